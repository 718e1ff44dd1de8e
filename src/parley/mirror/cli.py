"""``parley mirror``: keep a copy of a log and serve it to the mirror's own clients (``init``, ``token``,
``sync``, ``serve``). The directory holds ``mirror.db`` (the copy) and ``mirror.key`` (the mirror's
cosigner key). The mirror reads the log as a member the log names in ``PARLEY_MIRROR_MEMBERS`` (a
mediator's auditor): its API token is given with ``--log-token`` or ``PARLEY_MIRROR_LOG_TOKEN``."""

from __future__ import annotations

import logging
import signal
import threading
import time
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True)
log = logging.getLogger("parley.mirror")

Dir = Annotated[Path, typer.Option("--dir", help="The mirror's directory")]
LogKey = Annotated[str | None, typer.Option("--log-key", help="The log's verifier key (needed on first use)")]
LogUrl = Annotated[str, typer.Option("--log", help="The log server's URL, e.g. https://parley.example.org")]
LogToken = Annotated[str, typer.Option("--log-token", envvar="PARLEY_MIRROR_LOG_TOKEN",
                                       help="API token of the member the mirror reads the log as")]
PolicyFile = Annotated[Path | None, typer.Option(
    "--policy", help="A C2SP tlog-policy file: mirror only checkpoints cosigned as it requires")]


def _store(directory: Path, log_key: str | None, name: str | None = None):  # type: ignore[no-untyped-def]
    from parley.mirror.store import MirrorError, MirrorStore

    try:
        return MirrorStore(directory, log_key, name)
    except (MirrorError, ValueError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def _policy(path: Path | None):  # type: ignore[no-untyped-def]
    if path is None:
        return None
    from parley.log.policy import PolicyError, parse_policy

    try:
        return parse_policy(path.read_text())
    except (OSError, PolicyError) as exc:
        typer.echo(f"error: {path}: {exc}", err=True)
        raise typer.Exit(2) from None


@app.command()
def init(directory: Dir, log_key: Annotated[str, typer.Option("--log-key", help="The log's verifier key")],
         name: Annotated[str, typer.Option(help="The mirror's key name, e.g. mirror.icrc.example.org")]) -> None:
    """Create the mirror's directory and key for the log; prints the mirror's verifier key."""
    store = _store(directory, log_key, name)
    typer.echo(store.vkey())
    store.close()


@app.command()
def token(directory: Dir, label: Annotated[str, typer.Option(help="Who gets it, e.g. 'log operator restore'")]) -> None:
    """Issue a client token for reading the mirror (printed once; only its hash is kept)."""
    store = _store(directory, None)
    typer.echo(store.add_client(label))
    store.close()


def _sync(store, url: str, log_token: str, policy) -> str:  # type: ignore[no-untyped-def]
    from parley.mirror.client import TileReader, sync_once

    reader = TileReader(url, log_token)
    try:
        r = sync_once(store, reader, policy)
    finally:
        reader.client.close()
    return f"mirror at size {r.new} (was {r.old}), {r.seconds:.2f} s"


@app.command()
def sync(directory: Dir, log_url: LogUrl, log_token: LogToken, log_key: LogKey = None,
         policy: PolicyFile = None) -> None:
    """Bring the mirror up to the log's published checkpoint once; exit 1 if that fails."""
    from parley.mirror.store import MirrorError

    store = _store(directory, log_key)
    try:
        typer.echo(_sync(store, log_url, log_token, _policy(policy)))
    except MirrorError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        store.close()


def follow(store, url: str, log_token: str, policy, interval: float,  # type: ignore[no-untyped-def]
           stop: threading.Event) -> None:
    """Sync every ``interval`` seconds until ``stop``; each outcome in the mirror's status."""
    from parley.mirror.store import MirrorError

    last_error = None
    while not stop.is_set():
        try:
            said = _sync(store, url, log_token, policy)
            store.set_status("last_sync", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
            if last_error is not None:
                log.warning("mirror: syncing works again: %s", said)
            if last_error is not None or store.status("last_error"):
                store.set_status("last_error", "")
            last_error = None
        except MirrorError as exc:
            if str(exc) != last_error:
                log.error("mirror: %s", exc)
                store.set_status("last_error", str(exc))
            last_error = str(exc)
        except Exception as exc:  # the follower goes on; the next round tries again
            log.exception("mirror: sync failed")
            last_error = exc.__class__.__name__
        stop.wait(interval)


@app.command()
def serve(directory: Dir, log_url: LogUrl, log_token: LogToken, log_key: LogKey = None,
          policy: PolicyFile = None, host: str = "127.0.0.1", port: int = 8090,
          interval: Annotated[float, typer.Option(help="Seconds between syncs")] = 2.0) -> None:
    """Follow the log (a sync every INTERVAL seconds) and serve the copy, read-only, to the mirror's clients."""
    import uvicorn

    from parley.mirror.server import create_mirror_app
    from parley.serving import exit_with_parent, witness_server_options

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per request, every INTERVAL seconds
    store = _store(directory, log_key)
    if not store.clients():
        typer.echo("warning: no client may read this mirror yet; issue a token with 'parley mirror token'", err=True)
    typer.echo(f"mirror {store.cosigner.name} of {store.origin}: {store.vkey()} (size {store.size})")
    stop = threading.Event()
    follower = threading.Thread(target=follow, args=(store, log_url, log_token, _policy(policy), interval, stop),
                                name="parley-mirror-follow", daemon=True)
    follower.start()
    exit_with_parent()

    def terminated(_signum: int, _frame: object) -> None:
        raise SystemExit(0)

    # uvicorn stops on SIGTERM as on Ctrl-C, then raises the signal again: end through ``finally`` instead.
    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        uvicorn.run(create_mirror_app(store), host=host, port=port, log_level="warning", **witness_server_options())
    finally:
        signal.signal(signal.SIGTERM, previous)
        stop.set()
        follower.join(timeout=30)
        store.close()


if __name__ == "__main__":  # ``python -m parley.mirror.cli``: the demo starts it as its own process
    app()
