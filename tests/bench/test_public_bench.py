"""``bench/public.py`` at a tiny size, so the benchmark cannot rot: a real server read by concurrent readers
without an account, no error, a statement released during the run seen by the public, every figure on the last
line as name=value, and nothing left behind."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "public.py"


def _left_behind() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("parley-bench-*"))


@pytest.mark.slow
def test_public_bench_runs_and_prints_its_figures() -> None:
    before = _left_behind()
    run = subprocess.run([sys.executable, str(BENCH), "--readers", "4", "--seconds", "1", "--statements", "5"],
                         check=False, capture_output=True, text=True, timeout=300, cwd=BENCH.parent)
    assert run.returncode == 0, run.stderr[-3000:]
    figures = dict(pair.split("=", 1) for pair in run.stdout.strip().splitlines()[-1].split())
    assert figures["errors"] == "0" and int(figures["requests"]) > 4 and figures["statements"] == "10"
    for name in ("public_p95_ms", "figures_p95_ms", "baseline_p95_ms", "ratio", "release_ms"):
        assert float(figures[name]) > 0, name
    assert _left_behind() <= before


FIGURES_BENCH = BENCH.parent / "public_figures.py"


@pytest.mark.slow
def test_public_figures_bench_runs_and_prints_its_figures() -> None:
    """``bench/public_figures.py`` at a tiny size: releases written through the pipeline, each new one seen in the
    recomputed figures, the update timed, nothing left behind."""
    before = _left_behind()
    run = subprocess.run([sys.executable, str(FIGURES_BENCH), "--records", "300", "--releases", "10", "--rounds", "3"],
                         check=False, capture_output=True, text=True, timeout=300, cwd=BENCH.parent)
    assert run.returncode == 0, run.stderr[-3000:]
    figures = dict(pair.split("=", 1) for pair in run.stdout.strip().splitlines()[-1].split())
    assert figures["releases"] == "13" and int(figures["records"]) > 300
    for name in ("update_ms", "update_p95_ms", "baseline_ms", "ratio"):
        assert float(figures[name]) > 0, name
    assert _left_behind() <= before
