"""``bench/exchange_plan.py --quick``, so the benchmark cannot rot: the list check end to end on a small synthetic
registry (SQLite), the plan, the act of transfer, every figure on the last line as name=value, and nothing left
behind."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "exchange_plan.py"


def _left_behind() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("parley-bench-exchange-*"))


@pytest.mark.slow
def test_exchange_bench_runs_and_prints_its_figures() -> None:
    before = _left_behind()
    run = subprocess.run([sys.executable, str(BENCH), "--quick", "--registry", "1200", "--list", "60", "--act", "12"],
                         check=False, capture_output=True, text=True, timeout=300, cwd=BENCH.parent)
    assert run.returncode == 0, run.stderr[-3000:]
    lines = run.stdout.strip().splitlines()
    assert any("end to end: exchanges.service.check" in line for line in lines), run.stdout
    figures = dict(pair.split("=", 1) for pair in lines[-1].split())
    assert (figures["database"], figures["end_to_end"]) == ("sqlite", "True"), lines[-1]
    assert (figures["registry"], figures["listed"], figures["act_persons"]) == ("1200", "120", "12"), lines[-1]
    assert float(figures["check_s"]) > 0 and float(figures["train_s"]) > 0, lines[-1]
    assert 0 < float(figures["found_rate"]) <= 1 and float(figures["found_precision"]) >= 0.9, lines[-1]
    assert float(figures["check_ratio"]) > 0 and float(figures["act_ratio"]) > 0, lines[-1]
    assert figures["plan_agrees"] == "True" and float(figures["plan_gap"]) == 0.0, lines[-1]
    assert int(figures["act_pages"]) >= 2, lines[-1]
    for target in ("meets_check_target", "meets_plan_target", "meets_act_target"):
        assert figures[target] in ("True", "False"), lines[-1]
    assert _left_behind() == before, "the bench left its temp dir"
