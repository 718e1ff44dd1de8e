"""``parley witness``: set up and run a party's witness (``init``, ``key``, ``serve``). The state
directory holds ``witness.key`` and ``witness.db``; ``--log ORIGIN=VKEY`` names a log to witness."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True)

LogOption = Annotated[list[str] | None, typer.Option("--log", help="ORIGIN=VKEY of a log to witness (repeatable)")]


def _logs(log: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item in log:
        origin, sep, vkey = item.partition("=")
        if not sep or not origin or not vkey:
            raise typer.BadParameter("--log takes ORIGIN=VKEY")
        out.setdefault(origin, []).append(vkey)
    return out


def _open(directory: Path, name: str | None, log: list[str] | None):  # type: ignore[no-untyped-def]
    from parley.witness.store import WitnessStore

    logs = _logs(log or [])
    try:
        store = WitnessStore(directory, name)
        for origin, vkeys in logs.items():
            store.add_log(origin, vkeys)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    return store


@app.command()
def init(directory: Annotated[Path, typer.Option("--dir", help="The witness's state directory")],
         name: Annotated[str, typer.Option(help="The witness's key name, e.g. witness.example.org")],
         log: LogOption = None) -> None:
    """Create the witness's key and state (or add logs to it); prints its verifier key."""
    store = _open(directory, name, log)
    typer.echo(store.vkey())
    store.close()


@app.command()
def key(directory: Annotated[Path, typer.Option("--dir", help="The witness's state directory")]) -> None:
    """Print the witness's verifier key."""
    if not (directory / "witness.key").exists():
        typer.echo(f"error: no witness in {directory}; run 'parley witness init' first", err=True)
        raise typer.Exit(2)
    store = _open(directory, None, [])
    typer.echo(store.vkey())
    store.close()


@app.command()
def serve(directory: Annotated[Path, typer.Option("--dir", help="The witness's state directory")],
          name: Annotated[str, typer.Option(help="Key name, needed on first run")] = "",
          log: LogOption = None, host: str = "127.0.0.1", port: int = 8081) -> None:
    """Serve C2SP tlog-witness add-checkpoint (creates the key on first run)."""
    import uvicorn

    from parley.serving import exit_with_parent, witness_server_options
    from parley.witness.server import create_witness_app

    store = _open(directory, name or None, log)
    if not store.logs():
        typer.echo("warning: this witness knows no log yet; pass --log ORIGIN=VKEY", err=True)
    typer.echo(f"witness {store.name}: {store.vkey()}")
    exit_with_parent()
    uvicorn.run(create_witness_app(store), host=host, port=port, log_level="warning", **witness_server_options())


if __name__ == "__main__":  # ``python -m parley.witness.cli``: the demo starts it as its own process
    app()
