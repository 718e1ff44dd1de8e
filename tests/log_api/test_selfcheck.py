"""The server's self-check (log/selfcheck.py): it recomputes the tree from the stored entries and compares
every stored node, checkpoint and entry column with it, on start-up and on a schedule, and the log refuses
writes (saying why) once it fails. The fifteen tamper cases are in test_tamper.py (SQLite); here the
check runs on both databases, edit by edit, each edit undone before the next."""

from __future__ import annotations

import time
from datetime import timedelta
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from parley.app import create_app
from parley.log.models import LogCheckpoint, LogEntry, LogHead, LogNode
from parley.log.note import Verifier
from parley.log.selfcheck import check_log
from parley.records.compose import compose
from tests.conftest import ORIGIN


def check(rt, **kw):  # type: ignore[no-untyped-def]
    return check_log(rt.sessions, Verifier.from_vkey(rt.log_signer.vkey()), ORIGIN, rt.state, **kw)


def edited(rt, model: Any, where: Any, column: str, change: Callable[[Any], Any]):  # type: ignore[no-untyped-def]
    """Apply an edit, yield, then put the value back."""
    with rt.sessions() as s:
        row = s.execute(model.__table__.select().where(where)).one()._mapping
        old = row[column]
        s.execute(update(model).where(where).values({column: change(old)}))
        s.commit()

    def undo() -> None:
        with rt.sessions() as s:
            s.execute(update(model).where(where).values({column: old}))
            s.commit()

    return undo


def flip(b: bytes) -> bytes:
    return bytes([b[0] ^ 1]) + b[1:]


def test_the_self_check_on_both_databases(runtime, demo):
    rt = runtime
    notes = [compose(demo.signer("ru/negotiator"), origin=ORIGIN, kind="record.note", audience="all",
                     payload={"text": f"n{i}"}) for i in range(130)]
    rt.pipeline.submit_many([(n, {"text": f"n{i}"}) for i, n in enumerate(notes)])
    with rt.sessions() as s:
        size = s.get(LogHead, 1).size
    # Small chunks: the chunk edges, the nodes above the chunks and the checkpoints between them all count.
    for bits in (12, 3):
        report = check(rt, chunk_bits=bits)
        assert report.ok, report.problems
        assert (report.entries, report.nodes, report.state_size) == (size, sum(size >> lv for lv in range(1, 12)),
                                                                    size)
    edits = [
        (LogNode, (LogNode.level == 8) & (LogNode.idx == 0), "hash", flip, "Merkle node at level 8, index 0 differs"),
        (LogNode, (LogNode.level == 2) & (LogNode.idx == 5), "hash", flip, "Merkle node at level 2, index 5 differs"),
        (LogEntry, LogEntry.idx == 7, "audience", lambda a: "party:ru", "entry 7: its audience column differs"),
        (LogEntry, LogEntry.idx == 9, "kind", lambda k: "record.note", "entry 9: its kind column differs"),
        (LogEntry, LogEntry.idx == 60, "payload", lambda p: p.replace('"', "'", 1),
         "entry 60: its payload does not hash"),
        (LogEntry, LogEntry.idx == 11, "leaf_hash", flip, "entry 11: its stored leaf hash is not the hash"),
        (LogCheckpoint, LogCheckpoint.size == size, "root_hash", flip, f"checkpoint {size}: its stored root differs"),
        (LogCheckpoint, LogCheckpoint.size == 439, "note", lambda n: n.replace(b"\n\n", b"\n\nx", 1),
         "checkpoint 439: its note is not signed by the log key"),
    ]
    # A scheduled run remembers which chunks' checkpoint signatures it verified: an edit still shows.
    memo: dict[int, bytes] = {}
    assert check(rt, verified=memo).ok and memo
    for model, where, column, change, problem in edits:
        undo = edited(rt, model, where, column, change)
        try:
            for kw in ({"chunk_bits": 12}, {"chunk_bits": 3}, {"verified": memo}):
                report = check(rt, **kw)
                assert not report.ok and any(problem in p for p in report.problems), (problem, report.problems)
        finally:
            undo()
    assert check(rt).ok and check(rt, verified=memo).ok


def test_a_failed_scheduled_check_stops_writes_and_says_why(sqlite_runtime, sqlite_demo):
    rt, demo = sqlite_runtime, sqlite_demo
    settings = rt.settings.model_copy(update={"self_check_interval": timedelta(seconds=0.2)})
    headers = demo.headers("ua/negotiator")
    with TestClient(create_app(settings, rt)) as client:
        assert client.get("/api/health", headers=headers).json()["status"] == "ok"
        assert client.get("/api/health").status_code == 401  # members and their monitors' tokens only
        first = rt.integrity.last
        assert first is not None and first.ok
        r = client.post("/api/actions", headers=headers,
                        json={"kind": "record.note", "audience": ["all"], "payload": {"text": "before"}})
        assert r.status_code == 201
        undo = edited(rt, LogNode, (LogNode.level == 3) & (LogNode.idx == 4), "hash", flip)
        deadline = time.monotonic() + 30
        while rt.pipeline.refusal is None:
            assert time.monotonic() < deadline, "the scheduled self-check did not run"
            time.sleep(0.1)
        undo()  # too late: writes stay refused until the operator restarts after looking
        r = client.post("/api/actions", headers=headers,
                        json={"kind": "record.note", "audience": ["all"], "payload": {"text": "after"}})
        assert r.status_code == 503 and r.json()["error"] == "log_unavailable"
        assert "Merkle node at level 3, index 4 differs" in r.json()["message"]
        health = client.get("/api/health", headers=headers)
        assert health.status_code == 503 and health.json()["status"] == "refusing_writes"
        detail = health.json()
        assert detail["writes"] == "refused" and "level 3, index 4" in detail["refusal"]
        assert detail["last_check"]["ok"] is False and "level 3, index 4" in detail["last_check"]["problems"][0]
        # Reads go on: the log and its tiles are still served for the parties to audit.
        assert client.get("/log/checkpoint", headers=headers).status_code == 200


def test_the_server_refuses_to_start_on_a_failed_check(sqlite_runtime, sqlite_demo):
    rt = sqlite_runtime
    edited(rt, LogEntry, LogEntry.idx == 5, "time", lambda t: "2020-01-01T00:00:00Z")
    with (pytest.raises(RuntimeError, match="refusing to start: log self-check failed: entry 5: its time column"),
          TestClient(create_app(rt.settings, rt))):
        pass


def test_a_scheduled_check_yields_to_appends(sqlite_runtime, sqlite_demo):
    """The scheduled run sleeps as long as each chunk took (pause=1): appends made during it go through."""
    rt, demo = sqlite_runtime, sqlite_demo
    import threading

    signer = demo.signer("ua/negotiator")
    rt.pipeline.submit_many([(compose(signer, origin=ORIGIN, kind="record.note", audience="all",
                                      payload={"text": f"bulk {i}"}), {"text": f"bulk {i}"}) for i in range(2000)])
    done = threading.Event()
    result: dict[str, Any] = {}

    def run() -> None:
        result["report"] = check(rt, chunk_bits=8, pause=1.0)
        done.set()

    t = threading.Thread(target=run)
    t.start()
    appended = 0
    while not done.is_set():
        rt.pipeline.submit(compose(signer, origin=ORIGIN, kind="record.note", audience="all",
                                   payload={"text": f"live {appended}"}), {"text": f"live {appended}"})
        appended += 1
    t.join()
    assert result["report"].ok, result["report"].problems
    assert appended >= 1  # writes were not held up for the length of the check (bench/log_selfcheck.py measures it)
