"""The batch commands' files (``parley match``, ``parley dedupe``): CSV lists in, links or clusters out; and
the count of the comparisons the blocking rules generate on a list.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from parley.people.matching.engine import Engine, dedupe, link
from parley.people.matching.features import INPUT_COLUMNS, InputError, prepare, splink_frame
from parley.people.matching.model import Progress, blocking_rules


def read_list(path: str | Path) -> pd.DataFrame:
    """A CSV list (UTF-8 with or without BOM; comma, semicolon or tab) as text columns; INPUT_COLUMNS are
    looked up case-insensitively, missing ones are empty, other columns are dropped."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    if not p.is_file():
        raise InputError(f"{p}: not a file")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(f"{p}: cannot read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{p}: not UTF-8 text (byte {exc.start})") from None
    first = text.split("\n", 1)[0]
    sep = max((",", ";", "\t"), key=first.count)
    try:
        df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, quoting=csv.QUOTE_MINIMAL,
                         skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"{p}: not a readable CSV list ({str(exc).strip()})") from None
    rename = {c: str(c).strip().lower() for c in df.columns}
    df = df.rename(columns=rename)
    if "id" not in df.columns:
        raise InputError(f"{p}: no 'id' column (found: {', '.join(map(str, df.columns)) or 'none'})")
    keep = [c for c in INPUT_COLUMNS if c in df.columns]
    return df.loc[:, ~df.columns.duplicated()][keep]


def match_files(left_csv: Path, right_csv: Path, out_csv: Path, *, threshold: float = 0.9,
                progress: Progress | None = None) -> int:
    """Link two CSV lists; writes left_id,right_id,probability to ``out_csv``; returns the number of links."""
    left, right = read_list(left_csv), read_list(right_csv)
    pairs = link(left, right, threshold=threshold, progress=progress)
    pairs.to_csv(out_csv, index=False, columns=["left_id", "right_id", "probability"], float_format="%.6f")
    return len(pairs)


def dedupe_file(in_csv: Path, out_csv: Path, *, threshold: float = 0.9, progress: Progress | None = None) -> int:
    """Deduplicate one CSV list; writes id,cluster_id to ``out_csv``; returns the number of clusters."""
    df = read_list(in_csv)
    _, clusters = dedupe(df, threshold=threshold, progress=progress)
    clusters.to_csv(out_csv, index=False, columns=["id", "cluster_id"])
    return int(clusters["cluster_id"].nunique())


def comparison_counts(df: pd.DataFrame, *, rules: Iterable[Any] | None = None,
                      record_sample_proportion: float = 1.0) -> pd.DataFrame:
    """Splink's count of the comparisons the blocking rules generate on one list (marginal and cumulative
    per rule; ``record_sample_proportion`` < 1 estimates from a sample, for lists of 10^6)."""
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    prepared = prepare(df)
    with Engine() as eng:
        sdf = eng.register(splink_frame(prepared), "records")
        recs = count_comparisons_from_blocking_rules(
            sdf, blocking_rules=list(rules) if rules is not None else blocking_rules(), link_type="dedupe_only",
            record_sample_proportion=record_sample_proportion)
    return pd.DataFrame(recs)[["blocking_rule", "marginal_comparison_count", "cumulative_comparison_count",
                               "total_possible_comparison_count"]]
