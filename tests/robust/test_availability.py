"""Availability under hostile load, against a real ``parley serve`` (uvicorn in a subprocess) on SQLite and
PostgreSQL: 64 form POSTs whose bodies never finish and 256 concurrent writers must not stop other members'
requests. Before the fix, 16 slow bodies or 15 writers exhausted the database pool and every request
waited 30 s, then failed (reliability.md D1, security issue 14)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from parley.runtime import Runtime
from tests.robust.conftest import small_deployment
from tests.robust.load import free_port, parley_serve, storm


def serve_env(rt: Runtime) -> dict[str, str]:
    st = rt.settings
    return {**os.environ, "PARLEY_DATABASE_URL": st.database_url, "PARLEY_DATA_DIR": str(st.data_dir),
            "PARLEY_SECRET_KEY": st.secret_key, "PARLEY_LOG_ORIGIN": st.log_origin, "PARLEY_COOKIE_SECURE": "false"}


@pytest.mark.slow
def test_slow_bodies_and_many_writers_do_not_stop_other_members(runtime: Runtime, tmp_path: Path) -> None:
    tokens = small_deployment(runtime)
    port = free_port()
    writers = [tokens[m] for m in ("ua/negotiator", "ru/negotiator", "icrc/mediator", "ua/admin", "ru/admin",
                                   "icrc/admin", "ua/liaison", "ru/liaison")]
    reader = tokens["tr/observer"]
    with parley_serve(serve_env(runtime), port, tmp_path / "serve.log"):
        result = asyncio.run(storm(
            port, slow_headers={"Authorization": f"Bearer {tokens['ua/press']}"}, writer_tokens=writers,
            reads=[(reader, "/api/log/checkpoints?limit=5"), (reader, "/operations"), (reader, "/api/operations"),
                   (tokens["icrc/auditor"], "/api/log/records?limit=20")],
            probe_writer=tokens["un-ocha/liaison"], slow=64, writers=256, duration=4.0))
    wal = Path(f"{runtime.settings.database_url.split('///', 1)[-1]}-wal")
    print(f"\n[{runtime.settings.database_url.split(':')[0]}]\n{result.report()}"
          + (f"\nWAL after: {wal.stat().st_size / 1e6:.1f} MB" if runtime.settings.is_sqlite and wal.exists() else ""))
    # Other members' reads answer, and within a second, while the server is flooded.
    assert set(result.probe_reads.statuses) == {200}, result.report()
    assert max(result.probe_reads.latencies) < 1.0, result.report()
    # Every write is acknowledged, the flood's and the other member's: nothing fails, nothing times out.
    assert set(result.writes.statuses) <= {201}, result.report()
    assert set(result.probe_writes.statuses) == {201}, result.report()
    assert result.writes.count > 256, result.report()
    # And the server logged no error doing it.
    log = (tmp_path / "serve.log").read_text()
    assert "Traceback" not in log and "ERROR" not in log and "unhandled" not in log, log[-3000:]
