"""``parley witness``: run a party's witness."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True)


def _logs(log: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item in log:
        origin, sep, vkey = item.partition("=")
        if not sep:
            raise typer.BadParameter("--log takes ORIGIN=VKEY")
        out.setdefault(origin, []).append(vkey)
    return out


@app.command()
def init(directory: Annotated[Path, typer.Option("--dir")], name: Annotated[str, typer.Option()],
         log: Annotated[list[str], typer.Option(help="ORIGIN=VKEY of a log to witness (repeatable)")] = []) -> None:
    """Create the witness's key and state; prints its verifier key."""
    from parley.witness.store import WitnessStore

    store = WitnessStore(directory, name)
    for origin, vkeys in _logs(log).items():
        store.add_log(origin, vkeys)
    typer.echo(store.vkey())


@app.command()
def key(directory: Annotated[Path, typer.Option("--dir")]) -> None:
    """Print the witness's verifier key."""
    from parley.witness.store import WitnessStore

    typer.echo(WitnessStore(directory).vkey())


@app.command()
def serve(directory: Annotated[Path, typer.Option("--dir")], name: Annotated[str, typer.Option()] = "",
          log: Annotated[list[str], typer.Option(help="ORIGIN=VKEY (repeatable)")] = [],
          host: str = "127.0.0.1", port: int = 8081) -> None:
    """Serve C2SP tlog-witness add-checkpoint."""
    import uvicorn

    from parley.witness.server import create_witness_app
    from parley.witness.store import WitnessStore

    store = WitnessStore(directory, name or None)
    for origin, vkeys in _logs(log).items():
        store.add_log(origin, vkeys)
    typer.echo(f"witness {store.name}: {store.vkey()}")
    uvicorn.run(create_witness_app(store), host=host, port=port, log_level="warning")
