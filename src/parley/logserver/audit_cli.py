"""``parley log verify``: the command around the auditor (``parley.logserver.audit``), with rich progress
and a summary. Exit codes: 0 verified, 1 a record or hash tile failed verification (evidence saved for a tree
that does not match its checkpoint), 2 a fork or rollback (evidence saved, stored checkpoint kept), 3 the log
could not be audited. Every piece of evidence saved is named, and what the log did wrong is said in the
reader's language (``parley.log.codes``, through ``parley.client.translate``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from parley import client as api_client
from parley.errors import Code
from parley.log import codes as AC

if TYPE_CHECKING:
    from parley.log.auditor import Finding
    from parley.records.kinds import Kind

console = Console(stderr=True)
MAX_LISTED_FAILURES = 50


def say(code: Code, **params: object) -> str:
    """``code``'s message with ``params`` in the reader's language (the command line's catalogue), else English."""
    translate = api_client.translate
    shown = translate({"error": "audit", "code": code.code, "params": params}) if translate is not None else None
    return shown or code.format(params)


def finding_text(found: Finding) -> str:
    return say(found.code, **found.params) if found.code is not None else str(found)


def show_evidence(found: Finding) -> None:
    for path in found.all_evidence:
        console.print(say(AC.EVIDENCE_SAVED, path=str(path)), markup=False, highlight=False)


def verify_command(kinds: Callable[[], Mapping[str, Kind]]) -> Callable[..., None]:
    """The ``verify`` command for a log that accepts the record kinds ``kinds()`` gives (asked for only
    when the command runs: ``parley.assembly.kinds``)."""

    def verify(url: Annotated[str, typer.Option(help="The Parley server, e.g. https://parley.example.org")],
               key: Annotated[str, typer.Option(help="The log's verifier key (name+id+base64)")],
               state: Annotated[Path, typer.Option(help="Directory that keeps the last verified checkpoint")],
               token: Annotated[str, typer.Option(envvar="PARLEY_TOKEN", help="Your API token")] = "",
               policy: Annotated[Path | None, typer.Option(help="C2SP tlog-policy file to require")] = None,
               projections: Annotated[bool, typer.Option(help="Compare the persons and operations the server serves "
                                                              "with the records you read")] = True,
               proofs: Annotated[int, typer.Option(help="Records whose inclusion proofs to check "
                                                         "(all if fewer)")] = 256,
               details: Annotated[int, typer.Option(help="Persons and operations to compare one by one")] = 100,
               ) -> None:
        """Audit the log on your own: checkpoint, consistency, tiles, every record you may read, the signed
        checkpoints listed, inclusion proofs, keys, and the persons and operations served to you."""
        from parley.log.policy import PolicyError, parse_policy
        from parley.logserver.audit import AuditError, Auditor, ForkDetected, TileMismatch

        try:
            pol = parse_policy(policy.read_text()) if policy else None
            auditor_args = (url, key, state, token or None, pol)
            # Refreshed by the audit's progress, not by a thread of its own: with no other thread running, the
            # audit of a long log may fork the processes that check its records (``log.auditor``).
            with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                          TimeRemainingColumn(), console=console, transient=True, auto_refresh=False) as progress:
                task = progress.add_task("verifying records", total=None)

                def advanced(done: int, total: int) -> None:
                    progress.update(task, completed=done, total=total)
                    progress.refresh()

                auditor = Auditor(*auditor_args, kinds=kinds(), progress=advanced,
                                  projections=projections, proofs=proofs, details=details)
                report = auditor.run()
        except ForkDetected as fork:
            console.print(say(AC.FORK, why=finding_text(fork)), style="bold red", markup=False, highlight=False)
            show_evidence(fork)
            console.print(say(AC.STATE_KEPT), markup=False, highlight=False)
            for name in ("old.checkpoint", "new.checkpoint", "proof.json"):
                if fork.evidence is not None and (fork.evidence / name).exists():
                    console.print(f"--- {name}", highlight=False)
                    console.print((fork.evidence / name).read_text(), markup=False, highlight=False)
            raise typer.Exit(2) from None
        except TileMismatch as exc:
            console.print(say(AC.FAILED, why=finding_text(exc)), style="bold red", markup=False, highlight=False)
            show_evidence(exc)
            raise typer.Exit(1) from None
        except (AuditError, PolicyError, OSError) as exc:
            console.print(f"[red]the log could not be audited: {exc}[/red]")
            raise typer.Exit(3) from None
        for idx, why in report.failures[:MAX_LISTED_FAILURES]:
            console.print(f"[red]record {idx}: {why}[/red]", highlight=False)
        if len(report.failures) > MAX_LISTED_FAILURES:
            console.print(f"[red]… and {len(report.failures) - MAX_LISTED_FAILURES} more[/red]")
        for why in report.problems[:MAX_LISTED_FAILURES]:
            console.print(f"[red]{why}[/red]", highlight=False)
        witnesses = f", cosigned by {', '.join(report.cosigned_by)}" if report.cosigned_by else ""
        compared = ", ".join(f"{n} {family}s" for family, n in sorted(report.projections_compared.items()))
        summary = (f"{report.origin}: size {report.size} (last verified {report.old_size}){witnesses}, "
                   f"{report.records_checked} records, {report.checkpoints_checked} checkpoints and "
                   f"{report.proofs_checked} proofs checked" + (f", {compared} compared" if compared else "")
                   + (f", {len(report.destroyed)} payloads destroyed (by records "
                      f"{', '.join(str(n) for n in sorted({by for _, by in report.destroyed})[:10])})"
                      if report.destroyed else "")
                   + f" in {report.seconds:.2f} s")
        if not report.ok:
            if report.evidence is not None:
                console.print(say(AC.EVIDENCE_SAVED, path=str(report.evidence)), markup=False, highlight=False)
            count = len(report.failures) + len(report.problems)
            console.print(f"[red]FAILED[/red] {summary}; {count} failures", highlight=False)
            raise typer.Exit(1)
        typer.echo(f"OK {summary}")

    return verify
