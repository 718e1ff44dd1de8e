"""``parley log verify``: the command around ``parley.log.auditor``. Exit codes: 0 verified,
1 a record or tile failed, 2 a fork (evidence saved), 3 the log could not be audited."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import Progress

console = Console(stderr=True)


def verify(url: Annotated[str, typer.Option(help="The Parley server")],
           key: Annotated[str, typer.Option(help="The log's verifier key (name+id+base64)")],
           state: Annotated[Path, typer.Option(help="Directory that keeps the last verified checkpoint")],
           token: Annotated[str, typer.Option(envvar="PARLEY_TOKEN", help="Your API token")] = "",
           policy: Annotated[Optional[Path], typer.Option(help="C2SP tlog-policy file to require")] = None) -> None:
    """Audit the log on your own: checkpoint, consistency, tiles and every record you may read."""
    from parley.log.auditor import AuditError, Auditor, ForkDetected
    from parley.log.policy import parse_policy

    pol = parse_policy(policy.read_text()) if policy else None
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("verifying records", total=None)
        auditor = Auditor(url, key, state, token or None, pol,
                          progress=lambda done, total: progress.update(task, completed=done, total=total))
        try:
            report = auditor.run()
        except ForkDetected as fork:
            console.print(f"[bold red]FORK: {fork}[/bold red]")
            console.print(f"evidence saved in {fork.evidence}")
            for name in ("old.checkpoint", "new.checkpoint", "proof.json"):
                console.print(f"--- {name}\n{(fork.evidence / name).read_text()}")
            raise typer.Exit(2) from None
        except AuditError as exc:
            console.print(f"[red]the log could not be audited: {exc}[/red]")
            raise typer.Exit(3) from None
    for idx, why in report.failures[:50]:
        console.print(f"[red]record {idx}: {why}[/red]")
    summary = (f"{report.origin}: size {report.size} (last verified {report.old_size}), "
               f"{report.records_checked} records checked in {report.seconds:.2f} s")
    if report.failures:
        console.print(f"[red]FAILED[/red] {summary}; {len(report.failures)} failures")
        raise typer.Exit(1)
    typer.echo(f"OK {summary}")
