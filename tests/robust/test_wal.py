"""A bounded disk on SQLite (reliability.md D3, issue 11): under sustained writes from several threads, with
readers overlapping every commit as requests do, the WAL stays under a stated bound, and closing the
runtime (the server's shutdown on SIGTERM or Ctrl-C) empties it. Before, 8 writers grew it to 445 MB
in two minutes beside a 19 MB database, and it was never truncated.

The bound: the WAL is truncated once it passes ``db.WAL_CHECKPOINT_BYTES`` (16 MB); past it, it grows only
while a checkpoint cannot finish (a reader older than 250 ms; tried again after as long, with twice the
wait). The test writes
until the bound and a quarter more went through the WAL (90 s at most) and allows three times the limit (48 MB; the
issue asks for under 64 MB). Measured: 17–31 MB at most in this test (89 MB in 20 s without the keeper);
34.3 MB at most over ``bench/wal_bound.py``'s 10 minutes of 8 writers (232,856 records, 520 truncating
checkpoints, 46 of them tried again)."""

from __future__ import annotations

import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select

from parley.db import WAL_CHECKPOINT_BYTES, sqlite_file
from parley.log.models import LogEntry, LogHead
from parley.records.compose import compose
from parley.runtime import Runtime

AUTHORS = ("ua/negotiator", "ru/negotiator", "icrc/mediator", "ua/admin")
BOUND = 3 * WAL_CHECKPOINT_BYTES
WAL_BYTES_PER_RECORD = 16_000  # each record's 8 kB payload goes into the WAL twice (note and payload column)


@dataclass
class Load:
    records: int = 0
    reads: int = 0
    wal_max: int = 0
    wal_samples: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def sustained_writes(rt: Runtime, signers: dict, seconds: float, writers: int = 8, readers: int = 4,
                     payload_bytes: int = 8000, records: int | None = None) -> Load:
    """``writers`` threads append signed notes through the pipeline and ``readers`` threads run read
    transactions of 100 ms (a page rendered from one snapshot), one after the other, for ``seconds`` (or
    until ``records`` were written, if sooner); the
    WAL's size is sampled every 50 ms. The readers overlap so that at almost every commit some reader holds
    an older snapshot: SQLite then never restarts the WAL by itself, which is how it grew without bound."""
    path = sqlite_file(rt.engine)
    assert path is not None
    wal = Path(f"{path}-wal")
    load, stop, lock = Load(), threading.Event(), threading.Lock()
    pad = "x" * payload_bytes

    def write(k: int) -> None:
        author = AUTHORS[k % len(AUTHORS)]
        i = 0
        while not stop.is_set():
            payload = {"text": f"writer {k} record {i} {pad}"}
            note = compose(signers[author], origin=rt.settings.log_origin, kind="record.note", audience="all",
                           payload=payload)
            try:
                rt.pipeline.submit(note, payload)
            except Exception as exc:  # noqa: BLE001 - counted and reported by the test
                load.errors.append(type(exc).__name__)
                return
            i += 1
            with lock:
                load.records += 1

    def read() -> None:
        while not stop.is_set():
            with rt.sessions() as s:
                size = s.get(LogHead, 1).size  # type: ignore[union-attr]
                s.execute(select(LogEntry.idx, LogEntry.kind).where(LogEntry.idx >= max(0, size - 20))).all()
                time.sleep(0.1)  # a page being rendered: its snapshot stays open meanwhile
                s.execute(select(LogEntry.idx).where(LogEntry.idx == size - 1)).all()
            with lock:
                load.reads += 1

    threads = [threading.Thread(target=write, args=(k,)) for k in range(writers)]
    threads += [threading.Thread(target=read) for _ in range(readers)]
    for t in threads:
        t.start()
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end and not load.errors and (records is None or load.records < records):
            try:
                size = wal.stat().st_size
            except FileNotFoundError:
                size = 0
            load.wal_samples.append(size)
            load.wal_max = max(load.wal_max, size)
            time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join()
    return load


def test_the_wal_stays_bounded_under_sustained_writes_and_is_emptied_on_close(sqlite_runtime: Runtime,
                                                                                sqlite_demo) -> None:  # type: ignore[no-untyped-def]
    rt = sqlite_runtime
    assert rt.wal is not None
    signers = {a: sqlite_demo.signer(a) for a in AUTHORS}
    # Until the bound and a quarter more went through the WAL (some 3,900 records: about 15 s here; a
    # slower machine takes longer rather than failing, 90 s at most).
    load = sustained_writes(rt, signers, seconds=90, records=5 * BOUND // 4 // WAL_BYTES_PER_RECORD)
    print(f"\n{load.records} records, {load.reads} reads; WAL max {load.wal_max / 1e6:.1f} MB "
          f"(bound {BOUND / 1e6:.0f} MB), {rt.wal.checkpoints} truncating checkpoints, {rt.wal.failures} retried")
    assert not load.errors, load.errors
    # Enough was written that an unbounded WAL would have passed the bound: each record puts its 8 kB
    # payload into the WAL twice (the note and the entry's payload column) besides its nodes and indexes.
    assert load.records * WAL_BYTES_PER_RECORD > BOUND
    assert rt.wal.checkpoints >= 1
    assert load.wal_max < BOUND, f"WAL reached {load.wal_max / 1e6:.1f} MB"
    path = sqlite_file(rt.engine)
    rt.close()  # what `parley serve` and `parley demo` do when uvicorn returns on SIGTERM or Ctrl-C
    wal = Path(f"{path}-wal")
    assert not wal.exists() or wal.stat().st_size == 0


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_parley_serve_empties_the_wal_when_stopped(sqlite_runtime: Runtime, sqlite_demo, tmp_path: Path,
                                                   stop: signal.Signals) -> None:  # type: ignore[no-untyped-def]
    import httpx

    from tests.robust.test_availability import serve_env
    from tests.robust.load import free_port, parley_serve

    rt = sqlite_runtime
    path = sqlite_file(rt.engine)
    wal = Path(f"{path}-wal")
    port = free_port()
    with parley_serve(serve_env(rt), port, tmp_path / "serve.log") as proc:
        for i in range(20):
            payload = {"text": f"before the stop {i} " + "x" * 4000}
            note = compose(sqlite_demo.signer("ua/negotiator"), origin=rt.settings.log_origin, kind="record.note",
                           audience="all", payload=payload)
            r = httpx.post(f"http://127.0.0.1:{port}/api/records", json={"note": note.decode(), "payload": payload},
                           headers=sqlite_demo.headers("ua/negotiator"), timeout=30)
            assert r.status_code == 201, r.text
        assert wal.stat().st_size > 0
        proc.send_signal(stop)
        assert proc.wait(30) == 0, (tmp_path / "serve.log").read_text()[-2000:]
    assert not wal.exists() or wal.stat().st_size == 0, f"WAL left at {wal.stat().st_size} bytes"
    # Stopping is not an error: no traceback (uvicorn 0.55 re-raises Ctrl-C inside the event loop).
    assert "Traceback" not in (tmp_path / "serve.log").read_text()


def test_a_checkpoint_kept_from_finishing_is_retried_with_twice_the_wait(tmp_path: Path) -> None:
    """A reader older than the checkpoint's wait keeps it from truncating: the keeper answers the wait it
    spent (the pause before the next try), doubles the wait up to its maximum, and once the reader is gone
    the checkpoint empties the WAL and the wait goes back to the first one."""
    from sqlalchemy import text

    from parley.db import WalKeeper, make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x BLOB)"))
    keeper = WalKeeper(engine, limit=1 << 20, wait_ms=20, max_wait_ms=80)

    def write(n: int) -> None:
        with engine.connect().execution_options(parley_write=True) as conn:
            for _ in range(n):
                conn.execute(text("INSERT INTO t VALUES (randomblob(65536))"))
            conn.commit()

    write(8)
    reader = engine.connect()
    reader.execute(text("SELECT count(*) FROM t")).one()  # a read transaction on the WAL as it is now
    write(32)
    assert keeper.size() > keeper.limit
    waits = [keeper.check() for _ in range(4)]
    assert waits == [20, 40, 80, 80]
    assert keeper.failures == 4 and keeper.checkpoints == 0
    reader.close()
    assert keeper.check() == 0
    assert keeper.checkpoints == 1 and keeper.size() == 0
    write(32)
    reader = engine.connect()
    reader.execute(text("SELECT count(*) FROM t")).one()
    write(1)
    assert keeper.check() == 20  # the first wait again
    reader.close()
    engine.dispose()
