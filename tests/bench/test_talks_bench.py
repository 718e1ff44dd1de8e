"""``bench/talks.py`` at a tiny size, so the benchmark cannot rot: the parties, members, process, points, positions
and text versions written through the pipeline, a real server read over HTTP, every figure on the last line as
name=value, and nothing left behind."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "talks.py"
CASES = ("board_first", "board_last", "diff_adjacent", "diff_far")


def _left_behind() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("parley-bench-talks-*"))


@pytest.mark.slow
def test_talks_bench_runs_and_prints_its_figures() -> None:
    before = _left_behind()
    run = subprocess.run([sys.executable, str(BENCH), "--points", "12", "--positions", "2", "--versions", "4",
                          "--text-kb", "3", "--requests", "3", "--warmup", "1"],
                         check=False, capture_output=True, text=True, timeout=300, cwd=BENCH.parent)
    assert run.returncode == 0, run.stderr[-3000:]
    last = run.stdout.strip().splitlines()[-1]
    figures = dict(pair.split("=", 1) for pair in last.split())
    assert (figures["points"], figures["positions"], figures["versions"]) == ("12", "72", "4"), last
    assert float(figures["baseline_ms"]) > 0, last
    for case in CASES:
        assert float(figures[f"{case}_ms"]) > 0 and float(figures[f"{case}_p95_ms"]) >= float(figures[f"{case}_ms"])
        assert float(figures[f"{case}_ratio"]) > 0, last
    assert int(figures["diff_adjacent_pieces"]) > 1 and int(figures["diff_far_pieces"]) > 1, last
    assert figures["meets_target"] in ("True", "False"), last
    assert _left_behind() == before, "the bench left its temp dir"
