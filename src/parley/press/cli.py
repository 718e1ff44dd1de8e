"""``parley log verify-statement FILE``: check a released statement's public bundle offline (``press.verify``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

out = Console(highlight=False)


def verify_statement(
    bundle: Annotated[Path, typer.Argument(help="A statement bundle, as /api/public/statements/<id> serves it")],
    log_key: Annotated[str | None, typer.Option("--log-key", help="The log's verifier key (name+id+key). Without "
                                                "it the bundle's own is used, and the report says so")] = None,
    keys: Annotated[Path | None, typer.Option("--keys", help="A file of members' verifier keys, one a line: "
                                              "each record's signature is then checked")] = None,
) -> None:
    """Check a released statement without an account: each record in a checkpoint signed by the log, its payload,
    the approval of exactly this text by a second member of the party, and (with --keys) the signatures."""
    from parley.press.verify import verify_bundle

    try:
        data = json.loads(bundle.read_text(encoding="utf-8"))
        vkeys = [ln.strip() for ln in keys.read_text(encoding="utf-8").splitlines() if ln.strip()] if keys else None
    except (OSError, ValueError) as exc:
        out.print(f"cannot read {bundle if keys is None else keys}: {exc}", markup=False)
        raise typer.Exit(2) from exc
    if not isinstance(data, dict):
        out.print("not a statement bundle", markup=False)
        raise typer.Exit(1)
    report = verify_bundle(data, log_key=log_key, keys=vkeys)
    for line in report.checked:
        out.print(f"ok: {line}", markup=False)
    for line in report.problems:
        out.print(f"FAILED: {line}", markup=False)
    if report.log_key_from_bundle:
        out.print("note: checked against the log key the bundle itself names; give --log-key to check against the "
                  "one you hold", markup=False)
    if not keys:
        out.print("note: signatures not checked (no --keys)", markup=False)
    if not report.ok:
        raise typer.Exit(1)
    out.print(f"statement {report.statement}: verified", markup=False)
