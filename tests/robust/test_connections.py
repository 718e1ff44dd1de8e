"""The causes of security issue 14, one by one and deterministically: with the appender stalled (another
writer holds the log's write lock), requests waiting for it hold no database connection, so a pool of three
connections still serves other members; the appender has connections of its own."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from parley.assembly import open_runtime
from parley.auth import Principal
from parley.db import make_engine, migrate
from parley.log.models import LogHead
from parley.runtime import Runtime, create_log_key
from parley.submit import submit_as
from tests.conftest import make_settings
from tests.robust.conftest import bearer, small_deployment

POOL = 3


@pytest.fixture
def small_pool(db_url: str, tmp_path: Path) -> Iterator[Runtime]:
    settings = make_settings(db_url, tmp_path).model_copy(update={"worker_threads": 8})
    engine = make_engine(db_url, pool_size=POOL, max_overflow=0, pool_timeout=3)
    migrate(engine)
    create_log_key(settings)
    rt = open_runtime(settings, engine=engine)
    yield rt
    rt.close()


@contextmanager
def log_write_lock(url: str) -> Iterator[None]:
    """Holds the log's write lock the way a second appender would (SQLite: BEGIN IMMEDIATE; PostgreSQL:
    the head row FOR UPDATE), so this process's appender waits."""
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as plain:
            conn = plain.execution_options(parley_write=True)
            with conn.begin() as tx:
                conn.execute(select(LogHead).with_for_update())
                yield
                tx.rollback()
    finally:
        engine.dispose()


def spy_submissions(rt: Runtime) -> list[Any]:
    """Records each submission as it is queued for the appender (the pipeline's behaviour is unchanged)."""
    queued: list[Any] = []
    real = rt.pipeline.submit_async

    def submit_async(*args: Any, **kwargs: Any) -> Any:
        queued.append(args)
        return real(*args, **kwargs)

    rt.pipeline.submit_async = submit_async  # type: ignore[method-assign]
    return queued


def wait_for(condition: Any, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_requests_waiting_for_the_appender_hold_no_connection(small_pool: Runtime, db_url: str) -> None:
    from fastapi.testclient import TestClient

    from parley.app import create_app

    rt = small_pool
    tokens = small_deployment(rt)
    queued = spy_submissions(rt)
    writers = ["ua/negotiator", "ru/negotiator", "icrc/mediator", "ua/admin"]  # 3 writes each, 4 times the pool
    answers: list[int] = []
    with TestClient(create_app(rt.settings, rt)) as client:
        def write(member: str, i: int) -> None:
            r = client.post("/api/actions", headers=bearer(tokens, member),
                            json={"kind": "record.note", "audience": ["all"], "payload": {"text": f"{member} {i}"}})
            answers.append(r.status_code)

        threads = [threading.Thread(target=write, args=(m, i)) for m in writers for i in range(3)]
        reads = ("/api/log/checkpoints", "/api/operations", "/operations", "/api/me")
        for path in reads:  # rendered once first: what is timed below is the wait for a connection, not a first render
            assert client.get(path, headers=bearer(tokens, "tr/observer")).status_code == 200
        try:
            with log_write_lock(db_url):
                for t in threads:
                    t.start()
                wait_for(lambda: len(queued) == len(threads))
                time.sleep(0.2)
                # Twelve requests are waiting for the appender: none of them holds one of the three connections.
                assert rt.engine.pool.checkedout() == 0
                assert answers == []
                # Reads go on meanwhile: each finds a connection at once and answers (a request that waited on the
                # pool would wait pool_timeout, 3 s, and answer 503). Under the whole suite's load on two cores a
                # read has taken up to 2 s, hence the bound of 2.5 s rather than one.
                for path in reads:
                    t0 = time.monotonic()
                    r = client.get(path, headers=bearer(tokens, "tr/observer"))
                    assert r.status_code == 200 and time.monotonic() - t0 < 2.5, (path, r.status_code)
                    assert rt.engine.pool.checkedout() == 0  # and gave it back
        finally:
            for t in threads:
                if t.ident is not None:
                    t.join(30)
    assert answers == [201] * len(threads)


def test_submit_as_gives_the_connection_back_before_it_waits(small_pool: Runtime, db_url: str) -> None:
    rt = small_pool
    small_deployment(rt)
    queued = spy_submissions(rt)
    who = Principal(member="ua/admin", party="ua", party_kind="belligerent", roles=frozenset({"admin"}),
                    display_name="x")
    out: list[Any] = []
    with rt.sessions() as s:
        head = s.get(LogHead, 1)  # the handler read something: its transaction is open
        assert s.in_transaction() and rt.engine.pool.checkedout() == 1
        with log_write_lock(db_url):
            t = threading.Thread(target=lambda: out.append(
                submit_as(rt, s, who, "record.note", ["all"], {"text": "waiting"})))
            t.start()
            wait_for(lambda: len(queued) == 1)
            time.sleep(0.1)
            assert rt.engine.pool.checkedout() == 0 and not s.in_transaction()
        t.join(30)
        assert out and out[0].index == head.size  # what was loaded stays loaded


def test_the_appender_has_its_own_connections(runtime: Runtime) -> None:
    assert runtime.writer_engine is not None and runtime.writer_engine is not runtime.engine
    assert runtime.pipeline.sessions.kw["bind"] is runtime.writer_engine


def test_the_pool_is_larger_than_the_worker_threads(tmp_path: Path, sqlite_url: str) -> None:
    settings = make_settings(sqlite_url, tmp_path).model_copy(update={"worker_threads": 24})
    engine = make_engine(sqlite_url)
    migrate(engine)
    create_log_key(settings)
    engine.dispose()
    rt = open_runtime(settings)  # builds its own engine from the settings
    try:
        assert rt.engine.pool.size() == 24 + 8 and rt.engine.pool.timeout() <= 5
    finally:
        rt.close()


async def _thread_tokens() -> float:
    import anyio.to_thread

    return anyio.to_thread.current_default_thread_limiter().total_tokens


def test_the_worker_threads_never_outnumber_the_pool(small_pool: Runtime) -> None:
    from fastapi.testclient import TestClient

    from parley.app import create_app

    with TestClient(create_app(small_pool.settings, small_pool)) as client:
        tokens = client.portal.call(_thread_tokens)  # type: ignore[union-attr]
    assert tokens == POOL  # worker_threads is 8, the pool 3
