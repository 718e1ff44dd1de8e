"""Every HTTP client Parley makes shares one TLS context per process (``parley.client.tls``): building one reads
the certificate bundle, tens of milliseconds, which the publisher used to pay for each witness at each
publication and each command for each call."""

from __future__ import annotations

from typing import Any

import ssl

import pytest


def test_clients_commands_and_witness_calls_build_one_tls_context(monkeypatch: pytest.MonkeyPatch) -> None:
    from parley import client
    from parley.witness.client import WitnessError, add_checkpoint

    built: list[Any] = []
    real = ssl.create_default_context

    def counted(*args: Any, **kwargs: Any) -> Any:  # what reads the certificate bundle, each time it is called
        built.append(real(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(ssl, "create_default_context", counted)
    client.tls.cache_clear()
    try:
        for _ in range(3):
            with client.http_client("http://127.0.0.1:9", "token"):
                pass
        for _ in range(2):  # nothing listens on the discard port: each call fails, having made its client
            with pytest.raises(WitnessError):
                add_checkpoint("http://127.0.0.1:9", 0, [], b"x", timeout=1)
        assert len(built) == 1 and client.tls() is built[0]
    finally:
        client.tls.cache_clear()
