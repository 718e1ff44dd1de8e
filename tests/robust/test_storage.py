"""Faults of the storage, as a client sees them (reliability.md D6, issue 11): a full disk answers 507 with
Retry-After (it was 409 "retry", which invited clients to hammer the server) and stores nothing; writes
resume once there is room; a database that does not answer gives JSON 503 with Retry-After on the API,
never a plain-text 500. (An over-long chunked body answers 413: tests/robust/test_limits.py.)"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError

from parley.db import make_engine, release, storage_failure
from parley.log.models import LogHead
from parley.parties.models import Party
from parley.records.compose import compose
from parley.runtime import Runtime


def signed(rt: Runtime, demo: Any, member: str, words: str) -> dict[str, Any]:
    payload = {"text": words}
    note = compose(demo.signer(member), origin=rt.settings.log_origin, kind="record.note", audience="all",
                   payload=payload)
    return {"note": note.decode(), "payload": payload}


def log_size(rt: Runtime) -> int:
    with rt.sessions() as s:
        return s.get(LogHead, 1).size  # type: ignore[union-attr]


def test_a_full_disk_answers_507_with_retry_after_and_stores_nothing(sqlite_runtime: Runtime, sqlite_demo,
                                                                     sqlite_client) -> None:  # type: ignore[no-untyped-def]
    rt, demo, client = sqlite_runtime, sqlite_demo, sqlite_client
    headers = demo.headers("ua/negotiator")
    with rt.engine.connect() as c:
        pages = c.execute(text("PRAGMA page_count")).scalar_one()
    assert rt.writer_engine is not None

    def no_room(dbapi_conn: Any, _record: Any) -> None:  # the disk holds what the database has, nothing more
        dbapi_conn.execute(f"PRAGMA max_page_count={pages}")

    event.listen(rt.writer_engine, "connect", no_room)
    rt.writer_engine.dispose()
    before = log_size(rt)
    big = "Положення сторін. " * 1000  # pages of its own: it cannot fit in the free space of existing pages
    try:
        r = client.post("/api/records", json=signed(rt, demo, "ua/negotiator", big), headers=headers)
        assert r.status_code == 507, r.text
        assert r.headers["retry-after"] == "60"
        body = r.json()
        assert body["error"] == "insufficient_storage" and body["code"] == "log.disk_full"
        assert log_size(rt) == before
    finally:
        event.remove(rt.writer_engine, "connect", no_room)
        rt.writer_engine.dispose()
    # Room again: the same kind of write is stored and acknowledged.
    r = client.post("/api/records", json=signed(rt, demo, "ua/negotiator", big), headers=headers)
    assert r.status_code == 201, r.text
    assert log_size(rt) == before + 1


def test_an_unreachable_database_answers_json_503_on_the_api(sqlite_runtime: Runtime, sqlite_demo,
                                                            sqlite_client) -> None:  # type: ignore[no-untyped-def]
    rt, demo, client = sqlite_runtime, sqlite_demo, sqlite_client
    headers = demo.headers("ua/negotiator")
    record = signed(rt, demo, "ua/negotiator", "written while the database is down")
    assert client.get("/api/me", headers=headers).status_code == 200
    # The database goes away: every engine now points at a PostgreSQL nobody listens on.
    gone = make_engine("postgresql://parley@127.0.0.1:9/gone", connect_args={"connect_timeout": 2})
    saved = (rt.sessions.kw["bind"], rt.pipeline.sessions.kw["bind"])
    rt.sessions.configure(bind=gone)
    rt.pipeline.sessions.configure(bind=gone)
    try:
        # The caller was looked up a moment ago: who they are is answered from the runtime's cache.
        assert client.get("/api/me", headers=headers).status_code == 200
        rt.principals.clear()
        for method, path, body in [("GET", "/api/me", None), ("GET", "/api/log/checkpoints?limit=5", None),
                                   ("GET", "/api/operations", None), ("POST", "/api/records", record)]:
            r = client.request(method, path, json=body, headers=headers)
            assert r.status_code == 503, (path, r.status_code, r.text)
            assert r.headers["content-type"].startswith("application/json"), (path, r.headers)
            assert r.headers["retry-after"], path
            assert r.json()["error"] in ("unavailable",), (path, r.json())
        # The requests' connections answer but the appender's do not: the write is 503 too, never 409 "retry".
        rt.sessions.configure(bind=saved[0])
        r = client.post("/api/records", json=record, headers=headers)
        assert r.status_code == 503 and r.headers["retry-after"] == "5", r.text
        assert r.json()["code"] == "log.database_unavailable"
    finally:
        rt.sessions.configure(bind=saved[0])
        rt.pipeline.sessions.configure(bind=saved[1])
        gone.dispose()
    # Back: the same record is written.
    r = client.post("/api/records", json=record, headers=headers)
    assert r.status_code == 201, r.text


def test_storage_failures_are_told_apart() -> None:
    import sqlite3

    from sqlalchemy.exc import IntegrityError, OperationalError

    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorcode = sqlite3.SQLITE_FULL  # type: ignore[attr-defined]
    assert storage_failure(OperationalError("INSERT", {}, full)) == "full"

    class DiskFull(Exception):
        sqlstate = "53100"

    assert storage_failure(OperationalError("INSERT", {}, DiskFull())) == "full"
    assert storage_failure(OperationalError("SELECT", {}, Exception("connection refused"))) == "unavailable"
    assert storage_failure(IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))) is None
    assert storage_failure(ValueError("x")) is None


def test_releasing_a_failed_session_ends_it_without_raising_over_its_error(sqlite_runtime: Runtime,
                                                                          sqlite_demo) -> None:  # type: ignore[no-untyped-def]
    """A request whose query failed (the database went away mid-request, a flush refused) gives its
    connection back: ``release`` rolls the failed transaction back rather than committing over the error,
    which answered a 500 ``PendingRollbackError`` in place of the outage's 503."""
    s = sqlite_runtime.sessions()
    try:
        s.add(Party(slug="ua", kind="belligerent", name_en="x", name_uk="x", name_ru="x", created_idx=0,
                    updated_idx=0))  # the demo's Ukraine exists: the flush fails
        with pytest.raises(IntegrityError):
            s.flush()
        assert not s.is_active
        release(s)
        assert not s.in_transaction()
        assert s.get(Party, "ua") is not None  # the session works again
    finally:
        s.close()
