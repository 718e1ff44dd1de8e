"""Slow and oversized clients against a real uvicorn with Parley's server options (``parley.serving``):
request heads and bodies that do not arrive in time are cut off, oversized bodies are refused with 413
(chunked ones too), and none of it holds a database connection."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import uvicorn

from parley.app import create_app
from parley.runtime import Runtime
from parley.serving import server_options
from tests.conftest import make_runtime
from tests.robust.load import free_port

HEADER_TIMEOUT = 1.0
BODY_TIMEOUT = 1.0


@pytest.fixture
def server(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[int, Runtime]]:
    """The app on a real uvicorn in a thread, with short timeouts and a database pool of two connections."""
    from parley.db import make_engine, migrate
    from parley.assembly import open_runtime

    rt0 = make_runtime(sqlite_url, tmp_path)
    rt0.close()
    settings = rt0.settings.model_copy(update={
        "header_timeout": timedelta(seconds=HEADER_TIMEOUT), "body_timeout": timedelta(seconds=BODY_TIMEOUT),
        "keep_alive_timeout": timedelta(seconds=1), "worker_threads": 4})
    engine = make_engine(sqlite_url, pool_size=2, max_overflow=0, pool_timeout=1)
    migrate(engine)
    rt = open_runtime(settings, engine=engine)
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(settings, rt), host="127.0.0.1", port=port, log_level="warning",
                                       **server_options(settings)))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield port, rt
    srv.should_exit = True
    thread.join(10)
    rt.close()


def connect(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s


def closed_after(s: socket.socket, limit: float, trickle: bytes = b"") -> tuple[float, bytes]:
    """Seconds until the server closes ``s`` (sending ``trickle`` a byte at a time meanwhile), and what it sent."""
    t = time.monotonic()
    s.settimeout(0.2)
    got = b""
    sent = 0
    while time.monotonic() - t < limit:
        try:
            chunk = s.recv(65536)
        except TimeoutError:
            if sent < len(trickle):
                try:
                    s.sendall(trickle[sent:sent + 1])
                except OSError:
                    break
                sent += 1
            continue
        except OSError:
            break
        if not chunk:
            break
        got += chunk
    return time.monotonic() - t, got


def get(port: int, path: str) -> tuple[int, float]:
    t = time.monotonic()
    with connect(port) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return int(data.split(b" ", 2)[1]), time.monotonic() - t


def test_an_unfinished_request_head_is_cut_off(server: tuple[int, Runtime]) -> None:
    port, _ = server
    with connect(port) as idle:
        idle.sendall(b"GET /log/key HTTP/1.1\r\nHost: x\r\n")  # and nothing more
        took, got = closed_after(idle, 10)
    assert got == b"" and HEADER_TIMEOUT - 0.1 < took < HEADER_TIMEOUT + 2
    # A head sent one byte every 0.2 s never completes in time either: the deadline is not re-armed by data.
    with connect(port) as slow:
        slow.sendall(b"GET /log/key HTTP/1.1\r\n")
        took, got = closed_after(slow, 10, trickle=b"X-Slow: " + b"a" * 100)
    assert got == b"" and took < HEADER_TIMEOUT + 2


def test_the_deadline_applies_to_each_request_of_a_kept_alive_connection(server: tuple[int, Runtime]) -> None:
    port, _ = server
    with connect(port) as s:
        s.sendall(b"GET /log/key HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.3)
        first = s.recv(65536)
        assert first.startswith(b"HTTP/1.1 401")  # answered, connection kept
        s.sendall(b"GET /log/key HTTP/1.1\r\n")  # the second head never finishes
        took, got = closed_after(s, 10, trickle=b"X-Slow: " + b"a" * 100)
    assert got == b"" and took < HEADER_TIMEOUT + 2


def test_a_complete_head_is_not_cut_off(server: tuple[int, Runtime]) -> None:
    port, _ = server
    status, _ = get(port, "/log/key")
    assert status == 401
    time.sleep(HEADER_TIMEOUT + 0.3)  # a new connection after the deadline of an earlier one
    status, _ = get(port, "/log/key")
    assert status == 401


def test_a_slow_body_is_answered_408_and_holds_no_connection(server: tuple[int, Runtime]) -> None:
    port, rt = server
    slow = []
    for _ in range(8):  # four times the pool
        s = connect(port)
        s.sendall(b"POST /operations/new HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                  b"Authorization: Bearer whatever\r\nContent-Length: 1000\r\n\r\ncsrf=")
        slow.append(s)
    time.sleep(0.3)
    # Meanwhile the database is free: no connection checked out, and a read that needs one answers at once.
    assert rt.engine.pool.checkedout() == 0
    status, took = get(port, "/api/log/checkpoints")
    assert status == 401 and took < 0.5  # 401: it went to the database for the token and back
    for s in slow:
        took, got = closed_after(s, 10)
        assert got.startswith(b"HTTP/1.1 408") and b'"error":"timeout"' in got, got[:200]
        assert b"x-content-type-options: nosniff" in got.lower()
        s.close()


def test_oversized_bodies_are_refused_413(server: tuple[int, Runtime]) -> None:
    port, rt = server
    limit = rt.settings.max_request_bytes
    with connect(port) as s:  # announced
        s.sendall(f"POST /api/records HTTP/1.1\r\nHost: x\r\nContent-Length: {limit + 1}\r\n\r\n".encode())
        _, got = closed_after(s, 5)
    assert got.startswith(b"HTTP/1.1 413") and b'"error":"too_large"' in got
    with connect(port) as s:  # chunked, no length: counted as it comes, refused 413 (it was 400 before)
        s.sendall(b"POST /api/records HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                  b"Content-Type: application/json\r\n\r\n")
        chunk = b"a" * 65536
        try:
            for _ in range(limit // len(chunk) + 2):
                s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:
            pass  # the server may close before the last chunks
        _, got = closed_after(s, 5)
    assert got.startswith(b"HTTP/1.1 413") and b'"error":"too_large"' in got
