"""Kill the server with SIGKILL in the middle of a burst of appends: every acknowledged record must be
there afterwards, and the log must still verify."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import select

from parley.db import make_engine
from parley.log import merkle
from parley.log.models import LogEntry
from parley.log.store import DbNodes, NodeCache, latest_checkpoint
from parley.logserver.replay import replay
from parley.records.compose import compose
from tests.conftest import ORIGIN, SECRET


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_sigkill_during_burst_loses_no_acknowledged_record(tmp_path, deployments):
    url, demo = deployments.sqlite_copy(True, tmp_path)
    port = free_port()
    env = {**os.environ, "PARLEY_DATABASE_URL": url, "PARLEY_DATA_DIR": str(tmp_path), "PARLEY_SECRET_KEY": SECRET,
           "PARLEY_LOG_ORIGIN": ORIGIN, "PARLEY_COOKIE_SECURE": "false"}
    proc = subprocess.Popen([sys.executable, "-m", "parley.cli", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    headers = demo.headers("ua/negotiator")
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/api/me", headers=headers, timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            pytest.fail("the server did not start: " + proc.stderr.read().decode()[-2000:])
        assert time.monotonic() < deadline, "the server did not answer within 30 s"
        time.sleep(0.1)

    signer = demo.signer("ua/negotiator")
    acked: list[tuple[int, str]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def worker(w: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=10) as c:
            for i in range(100_000):
                if stop.is_set():
                    return
                payload = {"text": f"burst {w}-{i}"}
                note = compose(signer, origin=ORIGIN, kind="record.note", audience="all", payload=payload)
                try:
                    r = c.post("/api/records", json={"note": note.decode(), "payload": payload})
                except httpx.HTTPError:
                    return
                if r.status_code == 201:
                    with lock:
                        acked.append((r.json()["index"], r.json()["record_hash"]))

    with ThreadPoolExecutor(8) as pool:
        for w in range(8):
            pool.submit(worker, w)
        time.sleep(0.5)
        while len(acked) < 200 and time.monotonic() < deadline + 30:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        stop.set()
    assert len(acked) >= 200

    engine = make_engine(url)
    with engine.connect() as conn:
        stored = dict(conn.execute(select(LogEntry.idx, LogEntry.record_hash)).all())
    missing = [(i, h) for i, h in acked if stored.get(i) != h]
    assert missing == []
    from parley.db import session_factory

    with session_factory(engine)() as s:
        cp = latest_checkpoint(s)
        assert cp.size == len(stored)
        assert merkle.root_hash(DbNodes(s, NodeCache()), cp.size) == cp.root_hash
    from parley.assembly import kinds
    from parley.runtime import load_log_key
    from tests.conftest import make_settings

    report = replay(engine, make_engine(f"sqlite:///{tmp_path / 'replayed.db'}"),
                    load_log_key(make_settings(url, tmp_path)), ORIGIN, kinds=kinds())
    assert report.problems == []
