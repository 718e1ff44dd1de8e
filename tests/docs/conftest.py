"""``parley``: the real command line, run in-process against the demo app of the ``client`` fixture (its
HTTP requests go to that app instead of a server), as a demo member."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from tests.docs.reference import cli_root

URL = "http://parley.test"


class _Shared(httpx.BaseTransport):
    """The test client's transport, shared by every client the commands open; closing one closes nothing."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.inner.handle_request(request)

    def close(self) -> None:
        pass


Run = Callable[..., Any]


@pytest.fixture
def parley(client: Any, demo: Any, monkeypatch: pytest.MonkeyPatch) -> Run:
    """``parley(member, *args, code=0, columns=None)`` runs ``parley *args --url … --token <member's>`` and
    returns the result after checking its exit code; ``member=None`` adds neither option."""
    from parley import cli

    cli_root()  # the sub-apps registered on cli.app
    shared = _Shared(client._transport)
    real = httpx.Client

    def routed(*args: Any, **kwargs: Any) -> httpx.Client:
        kwargs["transport"] = shared
        return real(*args, **kwargs)

    monkeypatch.setattr(httpx, "Client", routed)
    runner = CliRunner()

    def run(member: str | None, *args: str, code: int = 0, columns: int | None = None) -> Any:
        argv = [str(a) for a in args]
        if member is not None:
            argv += ["--url", URL, "--token", demo.token(member)]
        env = {"COLUMNS": str(columns)} if columns else {"COLUMNS": "200"}
        result = runner.invoke(cli.app, argv, env=env)
        assert result.exit_code == code, f"parley {' '.join(argv)} → {result.exit_code}:\n{result.output}" + (
            f"\n{result.exception!r}" if result.exception and not isinstance(result.exception, SystemExit) else "")
        return result

    return run
