"""``parley match LEFT.csv RIGHT.csv --out links.csv`` and ``parley dedupe FILE.csv --out clusters.csv``: the
matcher on CSV files alone, without a server or a database, with a progress bar per stage.

Input columns (any may be empty; others are ignored): ``id, surname, first_name, patronymic, birth_date,
birth_place, service_number``. Names may be written in any script or spelling. Output: ``left_id,
right_id, probability`` (best first) and ``id, cluster_id`` (every input id; a record linked to nothing is
its own cluster).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

console = Console(stderr=True)

Threshold = Annotated[float, typer.Option(min=0.01, max=1.0, help="Keep pairs at or above this probability")]
Out = Annotated[Path, typer.Option("--out", "-o", help="Where to write the result (CSV)")]
LABELS = {"prepare": "names across scripts", "train": "training the model", "predict": "scoring pairs",
          "cluster": "clustering"}


def _progress(stages: tuple[str, ...]):  # type: ignore[no-untyped-def]
    bar = Progress(TextColumn("{task.description:<22}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                   TimeElapsedColumn(), console=console, transient=False)
    tasks = {st: bar.add_task(LABELS[st], total=1.0) for st in stages}

    def report(stage: str, fraction: float) -> None:
        if stage in tasks:
            bar.update(tasks[stage], completed=fraction)

    return bar, report


def _fail(exc: Exception) -> None:
    console.print(f"{exc}", style="red", markup=False)
    raise typer.Exit(2)


def match(left: Annotated[Path, typer.Argument(help="CSV list")], right: Annotated[Path, typer.Argument(help="CSV list")],
          out: Out, threshold: Threshold = 0.9) -> None:
    """Link two lists: the pairs of records, one from each, that describe the same person."""
    from parley.people.matching.features import InputError
    from parley.people.matching.files import match_files

    started = time.monotonic()
    bar, report = _progress(("prepare", "train", "predict"))
    try:
        with bar:
            n = match_files(left, right, out, threshold=threshold, progress=report)
    except InputError as exc:
        _fail(exc)
    console.print(f"{n} links written to {out} in {time.monotonic() - started:.1f} s", markup=False)


def dedupe(file: Annotated[Path, typer.Argument(help="CSV list")], out: Out, threshold: Threshold = 0.9) -> None:
    """Deduplicate one list: each record's cluster of records describing the same person."""
    from parley.people.matching.features import InputError
    from parley.people.matching.files import dedupe_file

    started = time.monotonic()
    bar, report = _progress(("prepare", "train", "predict", "cluster"))
    try:
        with bar:
            n = dedupe_file(file, out, threshold=threshold, progress=report)
    except InputError as exc:
        _fail(exc)
    console.print(f"{n} clusters written to {out} in {time.monotonic() - started:.1f} s", markup=False)


def register(root: typer.Typer) -> None:
    root.command("match")(match)
    root.command("dedupe")(dedupe)
