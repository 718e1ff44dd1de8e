"""A small keep-alive HTTP/1.1 client on asyncio streams, for driving a real server with hundreds of
connections from one process on two cores (a client library would cost more CPU than the server)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Conn:
    """One keep-alive connection; ``request`` answers (status, body) and reopens after ``Connection: close``."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                      body: bytes = b"") -> tuple[int, bytes, dict[str, str]]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        try:
            raw = await self.reader.readuntil(b"\r\n\r\n")
            lines = raw.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            got = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
            data = await self.reader.readexactly(int(got.get("content-length", "0")))
        except BaseException:
            self.close()
            raise
        if got.get("connection", "").lower() == "close":
            self.close()
        return status, data, got

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Tally:
    """Statuses and latencies of one class of requests (status 0: timed out or the connection failed)."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    def add(self, status: int, seconds: float) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.latencies.append(seconds)

    @property
    def count(self) -> int:
        return len(self.latencies)

    def pct(self, p: float) -> float:
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else 0.0

    def summary(self) -> str:
        return (f"n={self.count} statuses={dict(sorted(self.statuses.items()))} "
                f"p50={self.pct(.5) * 1000:.0f}ms p95={self.pct(.95) * 1000:.0f}ms "
                f"max={max(self.latencies or [0]) * 1000:.0f}ms")


async def timed(conn: Conn, tally: Tally, timeout: float, method: str, path: str, headers: dict[str, str],
                body: bytes = b"") -> int:
    t = time.perf_counter()
    try:
        status, _, _ = await asyncio.wait_for(conn.request(method, path, headers, body), timeout)
    except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
        conn.close()
        status = 0
    tally.add(status, time.perf_counter() - t)
    return status


async def slow_body(port: int, path: str, headers: dict[str, str], stop: asyncio.Event, length: int = 4096) -> None:
    """A form POST whose body never finishes: one byte every second until ``stop``."""
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return
    head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {length}",
            "Content-Type: application/x-www-form-urlencoded"] + [f"{k}: {v}" for k, v in headers.items()]
    try:
        writer.write(("\r\n".join(head) + "\r\n\r\ncsrf=").encode())
        while not stop.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
            writer.write(b"x")
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


@dataclass
class Storm:
    writes: Tally = field(default_factory=Tally)
    probe_reads: Tally = field(default_factory=Tally)
    probe_writes: Tally = field(default_factory=Tally)

    def report(self) -> str:
        return (f"writers: {self.writes.summary()}\nprobe reads: {self.probe_reads.summary()}\n"
                f"probe writes: {self.probe_writes.summary()}")


async def storm(port: int, *, slow_headers: dict[str, str], writer_tokens: list[str],
                reads: list[tuple[str, str]], probe_writer: str, slow: int = 64, writers: int = 256,
                duration: float = 8.0, timeout: float = 15.0) -> Storm:
    """``slow`` unfinished form POSTs and ``writers`` concurrent writers for ``duration`` seconds, while other
    members' reads (``(token, path)``) and writes are timed one after the other."""
    out = Storm()
    stop = asyncio.Event()
    # Each probed address answered once before the flood: what is timed is a server serving, not the first
    # render of a page (its templates compiled, its modules imported), which a flood would only delay.
    warm = Conn(port)
    for token, path in reads:
        await warm.request("GET", path, {"Authorization": f"Bearer {token}"})
    warm.close()
    slow_tasks = [asyncio.create_task(slow_body(port, "/operations/new", slow_headers, stop)) for _ in range(slow)]
    await asyncio.sleep(0.5)  # the slow bodies are in before anything else starts
    counter = iter(range(10**9))

    def note(token: str) -> tuple[dict[str, str], bytes]:
        body = json.dumps({"kind": "record.note", "audience": ["all"],
                           "payload": {"text": f"load {next(counter)}"}}).encode()
        return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}, body

    async def writer(i: int) -> None:
        conn = Conn(port)
        token = writer_tokens[i % len(writer_tokens)]
        while not stop.is_set():
            headers, body = note(token)
            await timed(conn, out.writes, timeout, "POST", "/api/actions", headers, body)
        conn.close()

    write_tasks = [asyncio.create_task(writer(i)) for i in range(writers)]
    await asyncio.sleep(1.0)  # the writers' queue is full before the first probe
    end = time.monotonic() + duration
    conn = Conn(port)
    while time.monotonic() < end:
        for token, path in reads:
            await timed(conn, out.probe_reads, timeout, "GET", path, {"Authorization": f"Bearer {token}"})
        headers, body = note(probe_writer)
        await timed(conn, out.probe_writes, timeout, "POST", "/api/actions", headers, body)
        await asyncio.sleep(0.1)
    conn.close()
    stop.set()
    await asyncio.wait(write_tasks + slow_tasks, timeout=timeout + 5)
    for t in write_tasks + slow_tasks:
        t.cancel()
    return out


def wait_until_serving(proc: subprocess.Popen[Any], port: int, log: Path, timeout: float = 60,
                       pause: float = 0.05) -> None:
    """Until ``parley serve`` (``proc``, writing to ``log``) answers on 127.0.0.1:``port``; raises if it exits
    first or does not answer within ``timeout`` seconds."""
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"parley serve exited ({proc.returncode}): {log.read_text(errors='replace')[-2000:]}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/log/key", timeout=1)
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise RuntimeError("parley serve did not start") from None
            time.sleep(pause)


@contextlib.contextmanager
def parley_serve(env: dict[str, str], port: int, log: Path) -> Iterator[subprocess.Popen[Any]]:
    """``parley serve`` in a subprocess on ``port``; stopped by its own PID at the end."""
    with open(log, "wb") as f:
        proc = subprocess.Popen([sys.executable, "-m", "parley.cli", "serve", "--host", "127.0.0.1",
                                 "--port", str(port)], env=env, stdout=f, stderr=subprocess.STDOUT)
    try:
        wait_until_serving(proc, port, log)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
