"""How many signed records per second a real server takes over HTTP, and how fast it still reads meanwhile.

A fresh deployment (the demo's parties and members, SQLite in a temp dir or, with ``--database-url``, a
PostgreSQL schema of its own) is served by ``parley serve`` in a subprocess on 127.0.0.1. Each of N
concurrent keep-alive clients POSTs ``record.note`` records its member signed with their own key to
``/api/records`` (N = 1, 8, 64, 256 by default). For each N: records/s, p50/p95/p99 latency and the
answers that were not 201, by status. Same run, same database, before the server starts: the in-process
append rate of the same kind of records (as ``bench/log_append.py``), and the ratio of each HTTP rate to it.
Afterwards every receipt is checked against the log: the acknowledged index must hold the very note sent.
Mixed: 64 writers write while readers fetch the main pages and APIs with members' tokens; read p95.

The load generator shares the machine's cores with the server: the figures are noisy (the load average is
printed). Everything written (temp dir, PostgreSQL schema) is removed at the end, on failure too.
Last line: name=value pairs.

    .venv/bin/python bench/http_load.py [--clients 1,8,64,256] [--records 3000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import CHEAP_HASHING, ORIGIN, SECRET, make_runtime  # noqa: E402
from tests.robust.load import Conn, free_port, parley_serve  # noqa: E402

# Reads of the mixed mode: (member, path), a member who may read it with their token.
READS = [("tr/observer", "/api/log/checkpoints?limit=5"), ("tr/observer", "/api/operations"),
         ("tr/observer", "/operations"), ("icrc/auditor", "/api/log/records?limit=20"), ("ua/negotiator", "/")]
TARGETS = {"sqlite": 1000, "postgresql": 700}


@dataclass
class Member:
    id: str
    token: str
    signer: Any


@dataclass
class Deployment:
    url: str
    data_dir: Path
    members: list[Member]


@contextlib.contextmanager
def deployment(url: str | None, tmp: Path) -> Iterator[Deployment]:
    """A migrated deployment with the demo's parties and members (their tokens and custodial keys); on
    PostgreSQL in a schema of its own, dropped at the end."""
    from sqlalchemy import text

    from parley.db import make_engine

    drop: Callable[[], None] | None = None
    if url and url.startswith("postgresql"):
        schema = "bench_http_" + uuid.uuid4().hex[:10]
        admin = make_engine(url)
        with admin.begin() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))

        def drop() -> None:
            with admin.begin() as c:
                c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()

        url = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    try:
        url = url or f"sqlite:///{tmp / 'parley.db'}"
        data = tmp / "data"
        data.mkdir()
        writers = load_members(url, data)
        yield Deployment(url, data, writers)
    finally:
        if drop is not None:
            drop()


def load_members(url: str, data: Path) -> list[Member]:
    """Migrates the database at ``url``, creates the log key and state file in ``data`` and loads the demo's
    parties and members (their API tokens and custodial keys); answers the members who may write notes
    (not the service accounts)."""
    from parley.records.kinds import STAFF
    from tests.robust.conftest import load_demo_members

    rt = make_runtime(url, data)
    try:
        built = load_demo_members(rt)
    finally:
        rt.close()
    return [Member(m.id, m.token, m.signer) for m in built.values() if set(m.roles) & STAFF]


def sign_notes(members: list[Member], clients: int, count: int, tag: str) -> list[list[tuple[bytes, Any]]]:
    """``count`` record.note records for ``clients`` clients, each client's signed by its own member."""
    from parley.records.compose import compose

    out: list[list[tuple[bytes, Any]]] = [[] for _ in range(clients)]
    for i in range(count):
        c = i % clients
        payload = {"text": f"Liaison note {tag}-{i}: corridor status checked at checkpoint {i % 17}."}
        out[c].append((compose(members[c % len(members)].signer, origin=ORIGIN, kind="record.note",
                               audience="all", payload=payload), payload))
    return out


def in_process_rate(url: str, data: Path, members: list[Member], count: int) -> float:
    """Records/s the pipeline appends in this process, submitted all at once (``bench/log_append.py``)."""
    from parley.db import make_engine
    from tests.conftest import make_settings

    from parley.assembly import open_runtime

    rt = open_runtime(make_settings(url, data), engine=make_engine(url))
    try:
        items = [n for per in sign_notes(members, len(members), count + 100, "inproc") for n in per]
        for note, payload in items[:100]:
            rt.pipeline.submit(note, payload)
        body = items[100:]
        t0 = time.perf_counter()
        futures = [rt.pipeline.submit_async(n, p) for n, p in body]
        for f in futures:
            f.result(600)
        return len(body) / (time.perf_counter() - t0)
    finally:
        rt.close()


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    receipts: list[tuple[int, bytes]] = field(default_factory=list)  # (acknowledged index, note sent)
    elapsed: float = 0.0
    batches: int = 0  # the group commit's transactions (one signed checkpoint each) during the run
    cpu: float = 0.0  # the server process's CPU seconds (user + system) during the run

    @property
    def batch_mean(self) -> float:
        return len(self.receipts) / self.batches if self.batches else 0.0

    @property
    def cpu_ms_per_record(self) -> float:
        return self.cpu * 1000 / len(self.receipts) if self.receipts else 0.0

    def add(self, status: int, seconds: float) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.latencies.append(seconds)

    def pct(self, p: float) -> float:
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else 0.0

    @property
    def errors(self) -> dict[int, int]:
        return {k: v for k, v in sorted(self.statuses.items()) if k not in (200, 201)}

    @property
    def rate(self) -> float:
        return len(self.receipts) / self.elapsed if self.elapsed else 0.0

    def ms(self, p: float) -> float:
        return round(self.pct(p) * 1000, 1)


class HttpxConn:
    """The same interface as ``tests.robust.load.Conn`` over an httpx.AsyncClient (one keep-alive connection)."""

    def __init__(self, port: int) -> None:
        import httpx

        self.client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=httpx.Limits(max_connections=1),
                                        timeout=60.0)  # the caller times each request itself

    async def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                      body: bytes = b"") -> tuple[int, bytes, dict[str, str]]:
        r = await self.client.request(method, path, headers=headers, content=body)
        return r.status_code, r.content, dict(r.headers)

    def close(self) -> None:
        asyncio.get_event_loop().create_task(self.client.aclose())


def connect(port: int, kind: str) -> Any:
    return HttpxConn(port) if kind == "httpx" else Conn(port)


async def write_all(port: int, members: list[Member], notes: list[list[tuple[bytes, Any]]], out: Tally,
                    client: str, timeout: float, stop: asyncio.Event | None = None) -> None:
    """Each client POSTs its notes one after the other on its own keep-alive connection."""

    async def one(c: int) -> None:
        conn = connect(port, client)
        headers = {"Authorization": f"Bearer {members[c % len(members)].token}", "Content-Type": "application/json"}
        for note, payload in notes[c]:
            if stop is not None and stop.is_set():
                break
            body = json.dumps({"note": note.decode(), "payload": payload}).encode()
            t = time.perf_counter()
            try:
                status, data, _ = await asyncio.wait_for(conn.request("POST", "/api/records", headers, body), timeout)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                conn.close()
                conn = connect(port, client)
                status, data = 0, b""
            out.add(status, time.perf_counter() - t)
            if status in (200, 201):
                out.receipts.append((json.loads(data)["index"], note))
        conn.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(one(c) for c in range(len(notes))))
    out.elapsed = time.perf_counter() - t0


async def read_loop(port: int, tokens: dict[str, str], out: Tally, stop: asyncio.Event, client: str,
                    timeout: float, by_path: dict[str, Tally]) -> None:
    conn = connect(port, client)
    while not stop.is_set():
        for member, path in READS:
            t = time.perf_counter()
            try:
                status, _, _ = await asyncio.wait_for(
                    conn.request("GET", path, {"Authorization": f"Bearer {tokens[member]}"}), timeout)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                conn.close()
                conn = connect(port, client)
                status = 0
            out.add(status, time.perf_counter() - t)
            by_path.setdefault(path, Tally()).add(status, time.perf_counter() - t)
    conn.close()


async def mixed(port: int, members: list[Member], notes: list[list[tuple[bytes, Any]]], readers: int,
                client: str, timeout: float, by_path: dict[str, Tally] | None = None) -> tuple[Tally, Tally]:
    """Writers write their notes while ``readers`` readers loop over ``READS``; reads stop with the writers."""
    writes, reads = Tally(), Tally()
    stop = asyncio.Event()
    tokens = {m.id: m.token for m in members}
    paths = by_path if by_path is not None else {}
    reading = [asyncio.create_task(read_loop(port, tokens, reads, stop, client, timeout, paths))
               for _ in range(readers)]
    try:
        await write_all(port, members, notes, writes, client, timeout)
    finally:
        stop.set()
        await asyncio.gather(*reading)
    return writes, reads


def check_receipts(url: str, tallies: list[Tally]) -> tuple[int, int]:
    """(acknowledged, lost): an acknowledged index that does not hold the very note sent is lost."""
    from sqlalchemy import select

    from parley.db import make_engine
    from parley.log.models import LogEntry

    engine = make_engine(url)
    try:
        with engine.connect() as c:
            stored = {idx: bytes(note) for idx, note in c.execute(select(LogEntry.idx, LogEntry.note))}
    finally:
        engine.dispose()
    receipts = [r for t in tallies for r in t.receipts]
    return len(receipts), sum(1 for idx, note in receipts if stored.get(idx) != note)


def checkpoints(url: str) -> int:
    """Signed checkpoints in the log: the appender signs one per batch it commits."""
    from sqlalchemy import func, select

    from parley.db import make_engine
    from parley.log.models import LogCheckpoint

    engine = make_engine(url)
    try:
        with engine.connect() as c:
            return int(c.execute(select(func.count()).select_from(LogCheckpoint)).scalar_one())
    finally:
        engine.dispose()


def cpu_seconds(pid: int) -> float:
    """The process's user + system CPU time so far (Linux), threads included; 0 elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def measured(url: str, pid: int, t: Tally) -> Iterator[None]:
    """Counts the batches committed and the server's CPU time while the block runs."""
    cps, cpu = checkpoints(url), cpu_seconds(pid)
    yield
    t.batches, t.cpu = checkpoints(url) - cps, cpu_seconds(pid) - cpu


def serve_env(d: Deployment, extra: dict[str, str]) -> dict[str, str]:
    return {**os.environ, **CHEAP_HASHING, "PARLEY_DATABASE_URL": d.url, "PARLEY_DATA_DIR": str(d.data_dir),
            "PARLEY_SECRET_KEY": SECRET, "PARLEY_LOG_ORIGIN": ORIGIN, "PARLEY_COOKIE_SECURE": "false", **extra}


@dataclass
class Result:
    backend: str
    inproc: float
    levels: dict[int, Tally]
    mixed_writes: Tally | None
    mixed_reads: Tally | None
    acknowledged: int
    lost: int
    server_errors: int


def run(*, url: str | None, clients: list[int], records: int, per_client_max: int, inproc_records: int,
        mixed_writers: int, readers: int, mixed_records: int, client: str = "raw", timeout: float = 30.0,
        server_env: dict[str, str] | None = None, log: Callable[[str], None] = print,
        on_serving: Callable[[int], None] | None = None) -> Result:
    """The whole benchmark; removes what it wrote whatever happens."""
    tmp = Path(tempfile.mkdtemp(prefix="parley-bench-http-"))
    try:
        with deployment(url, tmp) as d:
            backend = "postgresql" if d.url.startswith("postgresql") else "sqlite"
            inproc = in_process_rate(d.url, d.data_dir, d.members, inproc_records) if inproc_records else 0.0
            log(f"[{backend}] in-process append: {inproc:,.0f} records/s ({inproc_records} records)")
            port = free_port()
            levels: dict[int, Tally] = {}
            mw = mr = None
            with parley_serve(serve_env(d, server_env or {}), port, tmp / "serve.log") as proc:
                if on_serving:
                    on_serving(proc.pid)
                warm = sign_notes(d.members, 8, 80, "warm")
                asyncio.run(write_all(port, d.members, warm, Tally(), client, timeout))
                for n in clients:
                    count = max(n, min(records, per_client_max * n))
                    notes = sign_notes(d.members, n, count, f"c{n}")
                    t = levels[n] = Tally()
                    with measured(d.url, proc.pid, t):
                        asyncio.run(write_all(port, d.members, notes, t, client, timeout))
                    log(f"[{backend}] {n:>3} clients: {t.rate:7,.0f} records/s  p50 {t.ms(.5)} ms  p95 {t.ms(.95)} ms  "
                        f"p99 {t.ms(.99)} ms  errors {t.errors or 0}  ratio to in-process "
                        f"{t.rate / inproc if inproc else 0:.2f}  ({len(t.latencies)} requests; mean batch "
                        f"{t.batch_mean:.1f} records; server CPU {t.cpu_ms_per_record:.2f} ms/record)")
                if mixed_writers and readers:
                    notes = sign_notes(d.members, mixed_writers, mixed_records, "mixed")
                    by_path: dict[str, Tally] = {}
                    mw, mr = asyncio.run(mixed(port, d.members, notes, readers, client, timeout, by_path))
                    log(f"[{backend}] mixed: {mixed_writers} writers {mw.rate:,.0f} records/s p99 {mw.ms(.99)} ms "
                        f"errors {mw.errors or 0}; {readers} readers {len(mr.latencies)} reads p50 {mr.ms(.5)} ms "
                        f"p95 {mr.ms(.95)} ms p99 {mr.ms(.99)} ms errors {mr.errors or 0}")
                    log(f"[{backend}] mixed reads by path, p50/p95 ms: "
                        + "; ".join(f"{p} {t.ms(.5)}/{t.ms(.95)}" for p, t in by_path.items()))
            served = (tmp / "serve.log").read_text(errors="replace")
            server_errors = sum(served.count(w) for w in ("Traceback", "unhandled"))
            acknowledged, lost = check_receipts(d.url, [*levels.values(), *([mw] if mw else [])])
            log(f"[{backend}] receipts checked against the log: {acknowledged} acknowledged, {lost} lost; "
                f"server log errors: {server_errors}")
            return Result(backend, inproc, levels, mw, mr, acknowledged, lost, server_errors)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", default="1,8,64,256", help="comma-separated client counts")
    ap.add_argument("--records", type=int, default=3000, help="records per client count (at most 200 per client)")
    ap.add_argument("--per-client-max", type=int, default=200)
    ap.add_argument("--inproc-records", type=int, default=3000)
    ap.add_argument("--mixed-writers", type=int, default=64)
    ap.add_argument("--readers", type=int, default=4, help="0: no mixed run")
    ap.add_argument("--mixed-records", type=int, default=4000)
    ap.add_argument("--client", choices=("raw", "httpx"), default="raw",
                    help="raw: asyncio streams (tests/robust/load.py; cheapest on a shared machine); httpx")
    ap.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    ap.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                    help="extra environment for the server (e.g. PARLEY_WRITES_PER_CLIENT=16)")
    args = ap.parse_args()
    clients = [int(x) for x in args.clients.split(",") if x]
    load = os.getloadavg()
    r = run(url=args.database_url, clients=clients, records=args.records, per_client_max=args.per_client_max,
            inproc_records=args.inproc_records, mixed_writers=args.mixed_writers, readers=args.readers,
            mixed_records=args.mixed_records, client=args.client,
            server_env=dict(kv.split("=", 1) for kv in args.server_env))
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; after: "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()) + " (2 cores, shared with the load generator)")
    target = TARGETS[r.backend]
    at64 = r.levels.get(64)
    errors = sum(sum(t.errors.values()) for t in r.levels.values()) + (sum(r.mixed_writes.errors.values())
                                                                        if r.mixed_writes else 0)
    figures: dict[str, object] = {"backend": r.backend, "inproc_per_s": round(r.inproc)}
    for n, t in r.levels.items():
        figures[f"c{n}_per_s"] = round(t.rate)
        figures[f"c{n}_p99_ms"] = t.ms(.99)
        figures[f"c{n}_batch"] = round(t.batch_mean, 1)
        figures[f"c{n}_cpu_ms"] = round(t.cpu_ms_per_record, 2)
    if at64:
        figures["c64_p50_ms"], figures["c64_p95_ms"] = at64.ms(.5), at64.ms(.95)
        figures["c64_ratio"] = round(at64.rate / r.inproc, 3) if r.inproc else 0
    if r.mixed_reads:
        figures["read_p95_ms"] = r.mixed_reads.ms(.95)
        figures["read_errors"] = sum(r.mixed_reads.errors.values())
    figures.update(errors=errors, acknowledged=r.acknowledged, lost=r.lost, server_errors=r.server_errors,
                   load1=round(load[0], 2), target_per_s=target)
    figures["meets_target"] = bool(
        at64 and at64.rate >= target and at64.pct(.99) < 0.25 and errors == 0 and r.lost == 0
        and (r.mixed_reads is None or (r.mixed_reads.pct(.95) < 0.15 and not r.mixed_reads.errors)))
    print(" ".join(f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
