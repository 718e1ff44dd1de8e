"""``bench/http_load.py`` at a tiny size, so the benchmark cannot rot: a real server, two clients of twenty
records each, a short mixed run; every receipt found in the log, no error, nothing left behind."""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "http_load.py"


def _bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_http_load", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_http_load_bench_runs_and_every_receipt_is_in_the_log() -> None:
    before = set(Path(tempfile.gettempdir()).glob("parley-bench-http-*"))
    lines: list[str] = []
    r = _bench().run(url=None, clients=[2], records=40, per_client_max=20, inproc_records=50, mixed_writers=2,
                     readers=1, mixed_records=20, log=lines.append)
    report = "\n".join(lines)
    assert r.levels[2].statuses == {201: 40}, report
    assert r.mixed_writes is not None and r.mixed_writes.statuses == {201: 20}, report
    assert r.mixed_reads is not None and r.mixed_reads.latencies and not r.mixed_reads.errors, report
    assert (r.acknowledged, r.lost, r.server_errors) == (60, 0, 0), report
    assert r.inproc > 0 and r.levels[2].rate > 0, report
    assert set(Path(tempfile.gettempdir()).glob("parley-bench-http-*")) == before, "the bench left its temp dir"
