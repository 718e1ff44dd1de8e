"""``bench/public.py`` at a tiny size, so the benchmark cannot rot: a real server read by concurrent readers
without an account, no error, a statement released during the run seen by the public, every figure on the last
line as name=value, and nothing left behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "public.py"


def _run(bench: Path, args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """The benchmark with a temporary directory of its own (other benchmarks may run beside it), which it must
    leave empty of its own directories."""
    run = subprocess.run([sys.executable, str(bench), *args], check=False, capture_output=True, text=True,
                         timeout=300, cwd=bench.parent, env={**os.environ, "TMPDIR": str(tmp_path)})
    assert not list(tmp_path.glob("parley-bench-*")), "the bench left its temp dir"
    return run


@pytest.mark.slow
def test_public_bench_runs_and_prints_its_figures(tmp_path: Path) -> None:
    run = _run(BENCH, ["--readers", "4", "--seconds", "1", "--statements", "5"], tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    figures = dict(pair.split("=", 1) for pair in run.stdout.strip().splitlines()[-1].split())
    assert figures["errors"] == "0" and int(figures["requests"]) > 4 and figures["statements"] == "10"
    for name in ("public_p95_ms", "figures_p95_ms", "baseline_p95_ms", "ratio", "release_ms"):
        assert float(figures[name]) > 0, name


FIGURES_BENCH = BENCH.parent / "public_figures.py"


@pytest.mark.slow
def test_public_figures_bench_runs_and_prints_its_figures(tmp_path: Path) -> None:
    """``bench/public_figures.py`` at a tiny size: releases written through the pipeline, each new one seen in the
    recomputed figures, the update timed, nothing left behind."""
    run = _run(FIGURES_BENCH, ["--records", "300", "--releases", "10", "--rounds", "3"], tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    figures = dict(pair.split("=", 1) for pair in run.stdout.strip().splitlines()[-1].split())
    assert figures["releases"] == "13" and int(figures["records"]) > 300
    for name in ("update_ms", "update_p95_ms", "baseline_ms", "ratio"):
        assert float(figures[name]) > 0, name
