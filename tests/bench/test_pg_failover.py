"""``bench/pg_failover.py`` at a tiny size: two PostgreSQL clusters, a real server, two clients, the primary
killed mid-load, the standby promoted; the server restarted on the standby's URL, or given both hosts from the
start. Synchronous: no acknowledged record lost, writes resume, the log's self-check passes on the standby.
Asynchronous with the link cut before the kill: the records acknowledged meanwhile are lost, and Parley
refuses to write on the promoted standby (its state file is ahead). Nothing is left behind either way.

Each run takes 15–60 s on the shared 2-core machine (initdb, two server starts, a base backup), over the
suite's budget: they run only with PARLEY_SLOW_TESTS=1 (and PostgreSQL's initdb and pg_ctl installed)."""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "pg_failover.py"

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.environ.get("PARLEY_SLOW_TESTS") != "1",
                                 reason="15-60 s a run: set PARLEY_SLOW_TESTS=1")]


def _bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_pg_failover", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    try:
        module.pg_bin_dir()
    except RuntimeError:
        pytest.skip("no PostgreSQL binaries (initdb, pg_ctl)")
    return module


def _left_behind() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("parley-bench-pgfail-*"))


@pytest.mark.parametrize("restart", [True, False], ids=["restarted-on-the-standby", "both-hosts-in-the-url"])
def test_failover_to_a_synchronous_standby_loses_no_acknowledged_record(restart: bool) -> None:
    before = _left_behind()
    lines: list[str] = []
    r = _bench().run(clients=2, seconds=1.0, warmup=0.2, after=0.3, restart=restart, log=lines.append)
    report = "\n".join(lines)
    assert r.sync_state == "sync", report
    assert r.acknowledged_before_kill > 0 and r.baseline.records > 0 and r.synchronous.records > 0, report
    assert r.lost == 0, report
    assert r.resume_s is not None and r.acknowledged > r.acknowledged_before_kill, report
    assert r.log_check_ok and r.standby_size >= r.acknowledged, report
    assert _left_behind() == before, "the bench left its temp dir"


@pytest.mark.parametrize("restart", [True, False], ids=["restarted-on-the-standby", "both-hosts-in-the-url"])
def test_an_asynchronous_standby_cut_off_before_the_kill_loses_records_and_parley_refuses_it(restart: bool) -> None:
    before = _left_behind()
    lines: list[str] = []
    r = _bench().run(clients=2, seconds=0.3, warmup=0.2, after=1.0, synchronous_commit="local", stall=1.5,
                     restart=restart, log=lines.append)
    report = "\n".join(lines)
    assert r.sync_state == "async" and r.acknowledged_during_stall > 0, report
    # What was acknowledged while the standby received nothing is gone: all but what was already sent when the
    # link was cut (a request in flight per client, and the few ms it takes to find and stop the walsender).
    assert r.acknowledged_during_stall - 2 * 2 <= r.lost <= r.acknowledged, report
    # Parley does not sign a second history over the released sizes: a restarted server refuses to start, a
    # running one answers 503 to every write; the log's self-check fails on the standby, naming what is missing.
    assert r.resume_s is None, report
    if restart:
        assert "refused the promoted standby" in report, report
    else:
        assert set(r.failed_requests) == {503}, report
    assert not r.log_check_ok and "released but not in this database" in r.log_check, report
    assert _left_behind() == before, "the bench left its temp dir"
