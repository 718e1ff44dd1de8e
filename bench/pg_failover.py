"""Failover to a synchronous PostgreSQL standby under load: how many acknowledged records are lost (must be 0)
and how long until writes resume.

Two throw-away PostgreSQL clusters on free local ports, in a temp dir, run as the ``postgres`` user when this
runs as root (initdb refuses root). The primary has ``synchronous_commit = on`` (``--synchronous-commit``):
once a standby is named in ``synchronous_standby_names``, a COMMIT returns only after that standby has
flushed the commit's WAL to its disk, so every record Parley acknowledges (its receipt follows the commit) is
on two machines' disks. ``remote_apply`` would also wait for the standby to replay it, which matters only to
readers of the standby; Parley reads from its primary alone and a promotion replays everything received
before it accepts writes, so ``on`` is enough.

1. initdb the primary (no standby yet), load the demo's parties and members into a ``parley`` database and run
   ``parley serve`` on it (a subprocess on 127.0.0.1). N concurrent keep-alive clients POST signed
   ``record.note`` records to ``/api/records``, each signed by its own member (as ``bench/http_load.py``),
   for ``--seconds``: the **baseline**, a primary without a standby.
2. ``pg_basebackup -R -X stream -C -S standby1`` makes the standby, which starts and streams; the primary's
   ``synchronous_standby_names`` becomes ``standby1`` (ALTER SYSTEM, reload) and the script waits until
   ``pg_stat_replication.sync_state`` is ``sync``.
3. The same load, **synchronous**, for ``--seconds``; then, mid-load, SIGKILL the primary (the postmaster and
   every one of its processes, as if its machine died). The script at once promotes the standby
   (``pg_ctl promote``), stops the old server and starts ``parley serve`` against the standby's URL with the
   same data directory (log key and state file). With ``--no-restart`` the server was given both hosts from
   the start (``target_session_attrs=read-write``) and keeps running. The clients keep going: a request that
   fails is sent again (a record stored but not acknowledged gets its original receipt).
4. Once writes are accepted again (and ``--after`` seconds more), the load stops. Every receipt the clients
   got (index, note) is looked up on the promoted standby: one that is not there holding the very note sent
   is **lost**. ``parley log check`` runs on the promoted standby.

Figures: records acknowledged, lost, seconds from the kill until the first write sent after it is
acknowledged (with promote and server restart times), records/s and p50 before the failover against the
baseline measured in the same run (the ratio is the cost of the synchronous standby). Both clusters are
stopped and the temp dir removed at the end, on failure and on SIGTERM too. Last line: name=value pairs;
exit 1 when a record was lost, writes did not resume or the self-check failed.

``--synchronous-commit local --stall-standby 2`` shows what the check catches: an asynchronous standby whose
link is cut (the primary's walsender stopped) 2 s before the kill misses what was acknowledged meanwhile, and
Parley refuses to write on it (its state file is ahead of the database).

    .venv/bin/python bench/pg_failover.py [--clients 8] [--seconds 10] [--after 3] [--no-restart]
        [--synchronous-commit on|remote_apply|remote_write|local] [--stall-standby S] [--keep-logs DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tests.conftest import CHEAP_HASHING, ORIGIN, SECRET  # noqa: E402
from tests.robust.load import Conn, free_port  # noqa: E402
from http_load import Member, load_members  # noqa: E402

STANDBY_NAME = "standby1"
RETRY_PAUSE = 0.05  # seconds a client waits before sending a failed record again
# The standby's wal_retrieve_retry_interval (default 5 s). A promote request that reaches PostgreSQL 15's startup
# process while it waits to retry the lost primary is acted on only when that wait ends: with the default,
# about one promotion in three took 5.1-5.3 s here instead of 0.1-0.3 s.
RETRY_INTERVAL = "200ms"


# ---- the PostgreSQL clusters ----

def pg_bin_dir() -> Path:
    """The directory of initdb, pg_ctl and pg_basebackup of one PostgreSQL version: beside ``pg_ctl`` on the
    PATH (Debian's /usr/bin/pg_basebackup is a wrapper that picks a version itself), else the newest
    /usr/lib/postgresql/N/bin."""
    found = shutil.which("pg_ctl")
    if found and (Path(found).resolve().parent / "initdb").exists():
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name)
                      if p.parent.name.isdigit() else 0)
    if not versions:
        raise RuntimeError("no PostgreSQL binaries (initdb, pg_ctl) found")
    return versions[-1]


def as_user() -> list[str]:
    """The prefix that runs a PostgreSQL tool as an unprivileged user: initdb and postgres refuse root."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


class Cluster:
    """One PostgreSQL cluster in ``base/name``, listening on 127.0.0.1:``port`` only, trust authentication."""

    def __init__(self, bin_dir: Path, base: Path, name: str, port: int) -> None:
        self.bin, self.name, self.port = bin_dir, name, port
        self.dir = base / name
        self.socket_dir = base / "sockets"
        self.log = base / f"{name}.log"

    def run(self, tool: str, *args: str, timeout: float = 120) -> str:
        r = subprocess.run([*as_user(), str(self.bin / tool), *args], check=False, capture_output=True,
                           text=True, timeout=timeout, cwd="/")
        if r.returncode:
            raise RuntimeError(f"{tool} {' '.join(args)} failed ({r.returncode}): {r.stderr or r.stdout}")
        return r.stdout

    def url(self, database: str = "parley") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def configure(self, **settings: object) -> None:
        """Appends settings to postgresql.conf (the last occurrence of a name wins)."""
        lines = [f"{k} = {v if isinstance(v, int) else repr(str(v))}" for k, v in settings.items()]
        with open(self.dir / "postgresql.conf", "a") as f:
            f.write("\n# bench/pg_failover.py\n" + "\n".join(lines) + "\n")

    def initdb(self, synchronous_commit: str) -> None:
        self.run("initdb", "-D", str(self.dir), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C",
                 "--no-sync")
        self.configure(listen_addresses="127.0.0.1", port=self.port, unix_socket_directories=str(self.socket_dir),
                       shared_buffers="64MB", max_connections=200, wal_level="replica", max_wal_senders=4,
                       max_replication_slots=4, synchronous_commit=synchronous_commit,
                       synchronous_standby_names="", fsync="on")

    def base_backup_from(self, primary: Cluster) -> None:
        """A standby of ``primary``: a base backup with WAL streamed, a replication slot of its own, and -R:
        ``standby.signal`` plus ``primary_conninfo``; it names itself ``standby1`` to the primary
        (``cluster_name`` is its walreceiver's application_name); it retries a lost primary every 200 ms."""
        self.run("pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres", "-D", str(self.dir),
                 "-R", "-X", "stream", "-C", "-S", STANDBY_NAME, "-c", "fast", "--no-sync")
        self.configure(port=self.port, cluster_name=STANDBY_NAME, hot_standby="on",
                       wal_retrieve_retry_interval=RETRY_INTERVAL)

    def start(self) -> None:
        self.run("pg_ctl", "-D", str(self.dir), "-l", str(self.log), "-w", "-t", "60", "start")

    def promote(self) -> None:
        self.run("pg_ctl", "-D", str(self.dir), "-w", "-t", "60", "promote")

    def pids(self) -> list[int]:
        """The postmaster and its children (backends, walsender, checkpointer, …), postmaster first."""
        try:
            master = int((self.dir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return []
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                    children.append(int(stat.parent.name))
            except (OSError, ValueError, IndexError):
                continue
        return [master, *children]

    def kill(self) -> int:
        """SIGKILL to the postmaster and all its processes at once: the machine is gone, nothing is flushed,
        nothing is sent. Answers how many processes were killed."""
        pids = self.pids()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return len(pids)

    def stop(self) -> None:
        """Stops the cluster if it runs (immediate: it is thrown away), killing it if pg_ctl cannot."""
        if not (self.dir / "postmaster.pid").exists():
            return
        try:
            self.run("pg_ctl", "-D", str(self.dir), "-m", "immediate", "-w", "-t", "20", "stop", timeout=30)
        except (RuntimeError, subprocess.TimeoutExpired):
            self.kill()

    def query(self, sql: str, database: str = "postgres") -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=database,
                             autocommit=True, connect_timeout=5) as c:
            cur = c.execute(sql)
            return list(cur.fetchall()) if cur.description else []


@contextlib.contextmanager
def workspace() -> Iterator[Path]:
    """A temp dir the postgres user can use (its clusters go in ``pg/``, owned by it); removed at the end."""
    tmp = Path(tempfile.mkdtemp(prefix="parley-bench-pgfail-"))
    try:
        (tmp / "pg").mkdir()
        (tmp / "pg" / "sockets").mkdir()
        if os.geteuid() == 0:
            import pwd

            pw = pwd.getpwnam("postgres")
            os.chmod(tmp, 0o711)  # noqa: S103 (search only, no listing: the postgres user reaches pg/)
            for d in (tmp / "pg", tmp / "pg" / "sockets"):
                os.chown(d, pw.pw_uid, pw.pw_gid)
        os.chmod(tmp / "pg", 0o700)
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def stall_walsender(primary: Cluster) -> int:
    """SIGSTOP to the primary's walsender: the standby gets nothing more, as if the link between them were cut
    (the SIGKILL that follows ends it with the rest of the primary). Answers its pid."""
    pid = int(primary.query(f"SELECT pid FROM pg_stat_replication WHERE application_name = '{STANDBY_NAME}'")[0][0])
    os.kill(pid, signal.SIGSTOP)
    return pid


def wait_for_sync(primary: Cluster, timeout: float = 30) -> str:
    """Waits until the standby streams to the primary as its synchronous standby; answers its sync_state."""
    deadline = time.monotonic() + timeout
    state = ""
    while time.monotonic() < deadline:
        rows = primary.query(f"SELECT state, sync_state FROM pg_stat_replication WHERE application_name = "
                             f"'{STANDBY_NAME}'")
        if rows:
            state = f"{rows[0][0]}/{rows[0][1]}"
            if rows[0] == ("streaming", "sync"):
                return "sync"
        time.sleep(0.1)
    raise RuntimeError(f"the standby is not a streaming synchronous standby after {timeout}s ({state or 'absent'})")


# ---- Parley: the deployment, its server, the writers ----

def parley_env(url: str, data: Path) -> dict[str, str]:
    return {**os.environ, **CHEAP_HASHING, "PARLEY_DATABASE_URL": url, "PARLEY_DATA_DIR": str(data),
            "PARLEY_SECRET_KEY": SECRET, "PARLEY_LOG_ORIGIN": ORIGIN, "PARLEY_COOKIE_SECURE": "false"}


class Server:
    """``parley serve`` in a subprocess on 127.0.0.1:``port``."""

    def __init__(self, url: str, data: Path, port: int, log: Path) -> None:
        self.url, self.data, self.port, self.log = url, data, port, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> None:
        from tests.robust.load import wait_until_serving

        with open(self.log, "ab") as f:
            self.proc = subprocess.Popen([sys.executable, "-m", "parley.cli", "serve", "--host", "127.0.0.1",
                                          "--port", str(self.port)], env=parley_env(self.url, self.data),
                                         stdout=f, stderr=subprocess.STDOUT)
        wait_until_serving(self.proc, self.port, self.log, timeout)

    def stop(self, grace: float = 5) -> None:
        """SIGTERM, then SIGKILL after ``grace`` seconds."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@dataclass
class Ack:
    index: int
    note: bytes
    sent: float  # time.monotonic() when the request that got the receipt was sent
    done: float  # … when its receipt arrived


@dataclass
class Load:
    acks: list[Ack] = field(default_factory=list)
    failed: dict[int, int] = field(default_factory=dict)  # status → count; 0: no answer (refused, reset, timeout)
    refused: int = 0  # answers 4xx (but 429): a record that will not be accepted; a new one is written instead
    errors: dict[str, int] = field(default_factory=dict)  # "status error" → count, from the answers' JSON
    unavailable: list[tuple[float, str]] = field(default_factory=list)  # (sent, message): answers log_unavailable

    def window(self, start: float, end: float) -> list[Ack]:
        return [a for a in self.acks if start <= a.done < end]


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else 0.0


async def writer(port: int, member: Member, n: int, out: Load, stop: threading.Event, timeout: float) -> None:
    """Writes signed notes one after the other on one keep-alive connection until ``stop``; a note that got no
    receipt (no answer, 5xx, 429) is sent again until it gets one."""
    from parley.records.compose import compose

    conn = Conn(port)
    headers = {"Authorization": f"Bearer {member.token}", "Content-Type": "application/json"}
    body: bytes | None = None
    note = b""
    i = 0
    while not stop.is_set():
        if body is None:
            payload = {"text": f"Liaison note {n}-{i}: corridor status checked at checkpoint {i % 17}."}
            note = compose(member.signer, origin=ORIGIN, kind="record.note", audience="all", payload=payload)
            body = json.dumps({"note": note.decode(), "payload": payload}).encode()
        sent = time.monotonic()
        try:
            status, data, _ = await asyncio.wait_for(conn.request("POST", "/api/records", headers, body), timeout)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            conn.close()
            status, data = 0, b""
        if status in (200, 201):
            out.acks.append(Ack(json.loads(data)["index"], note, sent, time.monotonic()))
            body, i = None, i + 1
            continue
        out.failed[status] = out.failed.get(status, 0) + 1
        if status:
            try:
                answer = json.loads(data)
            except ValueError:
                answer = {}
            error = f"{status} {answer.get('error', '?')}" if isinstance(answer, dict) else f"{status} ?"
            out.errors[error] = out.errors.get(error, 0) + 1
            if error == "503 log_unavailable":
                out.unavailable.append((sent, str(answer.get("message", ""))))
        if 400 <= status < 500 and status != 429:
            out.refused += 1
            body, i = None, i + 1
        await asyncio.sleep(RETRY_PAUSE)
    conn.close()


@contextlib.contextmanager
def load(port: int, members: list[Member], clients: int, out: Load, timeout: float = 30) -> Iterator[None]:
    """``clients`` writers in a thread of their own while the block runs (the block may block: it kills,
    promotes and restarts); stopped and joined at the end."""
    stop = threading.Event()

    async def all_writers() -> None:
        await asyncio.gather(*(writer(port, members[c % len(members)], c, out, stop, timeout)
                               for c in range(clients)))

    thread = threading.Thread(target=asyncio.run, args=(all_writers(),), name="writers", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout + 10)


def lost_receipts(url: str, acks: list[Ack]) -> list[int]:
    """The acknowledged indexes that do not hold the very note acknowledged in the database at ``url``."""
    from sqlalchemy import select

    from parley.db import make_engine
    from parley.log.models import LogEntry

    engine = make_engine(url)
    try:
        with engine.connect() as c:
            stored = {idx: bytes(note) for idx, note in c.execute(select(LogEntry.idx, LogEntry.note))}
    finally:
        engine.dispose()
    return sorted(a.index for a in acks if stored.get(a.index) != a.note)


def server_errors(path: Path) -> dict[str, int]:
    """The exceptions in a server's log (``unhandled …`` lines of ``asgi.Guard``; each traceback's last line),
    with how many times each occurred."""
    out: dict[str, int] = {}
    lines = path.read_text(errors="replace").splitlines()
    for i, line in enumerate(lines):
        if line.startswith("unhandled "):
            out[line[:200]] = out.get(line[:200], 0) + 1
        if line.startswith("Traceback"):
            j = i + 1
            while j < len(lines) and (lines[j].startswith((" ", "\t")) or not lines[j].strip()
                                      or lines[j].startswith(("The above", "During handling"))):
                j += 1
            if j < len(lines):
                why = lines[j][:200]
                out[why] = out.get(why, 0) + 1
    return out


def log_check(url: str, data: Path) -> tuple[bool, str]:
    """``parley log check`` on the database at ``url``: (passed, its summary line)."""
    r = subprocess.run([sys.executable, "-m", "parley.cli", "log", "check"],
                       env={**parley_env(url, data), "COLUMNS": "10000"}, check=False, capture_output=True, text=True,
                       timeout=300)
    lines = [ln for ln in r.stdout.splitlines() if ln.strip()] or [ln for ln in r.stderr.splitlines() if ln.strip()]
    return r.returncode == 0, (lines[-1] if lines else "")


# ---- the benchmark ----

@dataclass
class Phase:
    records: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


def phase(out: Load, start: float, end: float) -> Phase:
    acks = out.window(start, end)
    lat = [a.done - a.sent for a in acks]
    return Phase(len(acks), end - start, round(pct(lat, .5) * 1000, 1), round(pct(lat, .99) * 1000, 1))


@dataclass
class Result:
    synchronous_commit: str
    sync_state: str
    baseline: Phase
    synchronous: Phase
    acknowledged: int
    acknowledged_before_kill: int
    acknowledged_during_stall: int
    lost: int
    killed_processes: int
    promote_s: float
    stop_s: float  # the old server stopped (SIGTERM; its database gone)
    start_s: float  # parley serve on the promoted standby, from launch to answering (its self-check included)
    resume_s: float | None
    failed_requests: dict[int, int]
    log_check_ok: bool
    log_check: str
    standby_size: int

    @property
    def ratio(self) -> float:
        return self.synchronous.rate / self.baseline.rate if self.baseline.rate else 0.0


def run(*, clients: int = 8, seconds: float = 10.0, warmup: float = 1.0, after: float = 3.0,
        synchronous_commit: str = "on", stall: float = 0.0, resume_timeout: float = 120.0,
        restart: bool = True, keep_logs: Path | None = None,
        log: Callable[[str], None] = print) -> Result:
    """The whole benchmark; stops both clusters and the servers and removes the temp dir whatever happens."""
    bin_dir = pg_bin_dir()
    with workspace() as tmp:
        primary = Cluster(bin_dir, tmp / "pg", "primary", free_port())
        standby = Cluster(bin_dir, tmp / "pg", "standby", free_port())
        servers: list[Server] = []
        try:
            primary.initdb(synchronous_commit)
            primary.start()
            primary.query("CREATE DATABASE parley")
            log(f"primary on 127.0.0.1:{primary.port} (PostgreSQL {bin_dir.parent.name}, "
                f"synchronous_commit = {synchronous_commit}), no standby yet")
            data = tmp / "parley"
            members = load_members(primary.url(), data)
            port = free_port()
            # Without restarts the server is given both hosts at once: libpq connects to the first that accepts
            # writes (target_session_attrs=read-write), the standby once it is promoted.
            url = (f"postgresql+psycopg://postgres@/parley?host=127.0.0.1:{primary.port}&host=127.0.0.1:{standby.port}"
                   "&target_session_attrs=read-write") if not restart else primary.url()
            servers.append(Server(url, data, port, tmp / "serve-primary.log"))
            servers[0].start()
            out = Load()

            # 1. The baseline: the primary alone.
            with load(port, members, clients, out):
                t0 = time.monotonic()
                time.sleep(warmup + seconds)
            baseline = phase(out, t0 + warmup, t0 + warmup + seconds)
            log(f"baseline, primary alone: {baseline.rate:,.0f} records/s, p50 {baseline.p50_ms} ms, "
                f"p99 {baseline.p99_ms} ms ({clients} clients, {seconds:g} s)")

            # 2. The synchronous standby.
            t = time.monotonic()
            standby.base_backup_from(primary)
            standby.start()
            primary.query(f"ALTER SYSTEM SET synchronous_standby_names = '{STANDBY_NAME}'")
            primary.query("SELECT pg_reload_conf()")
            sync_state = wait_for_sync(primary) if synchronous_commit != "local" else "async"
            log(f"standby on 127.0.0.1:{standby.port}: base backup, started, {sync_state} "
                f"({time.monotonic() - t:.1f} s)")

            # 3. Load on the synchronous pair; kill the primary mid-load; promote; Parley on the standby.
            with load(port, members, clients, out):
                t0 = time.monotonic()
                time.sleep(warmup + seconds)
                stalled_at = time.monotonic()
                if stall:
                    stall_walsender(primary)
                    time.sleep(stall)
                killed_at = time.monotonic()
                killed = primary.kill()
                before_kill = len(out.acks)
                standby.promote()
                promoted_at = stopped_at = serving_at = time.monotonic()
                refused = ""
                if restart:
                    servers[0].stop()
                    stopped_at = time.monotonic()
                    new = Server(standby.url(), data, port, tmp / "serve-standby.log")
                    servers.append(new)
                    try:
                        new.start()
                    except RuntimeError as exc:  # e.g. the standby is behind the log's state file (asynchronous)
                        refused = " ".join(str(exc).split())
                        log(f"parley serve refused the promoted standby: {refused[-600:]}")
                    serving_at = time.monotonic()
                deadline = serving_at + (0 if refused else resume_timeout)
                while not [a for a in out.acks[before_kill:] if a.sent > killed_at] and time.monotonic() < deadline:
                    refusals = [why for sent, why in out.unavailable if sent > serving_at]
                    if refusals:  # the log refuses writes on this database for good (it is behind the state file)
                        refused = refusals[0]
                        log(f"parley refuses writes on the promoted standby: {refused[-600:]}")
                        break
                    time.sleep(0.02)
                time.sleep(0 if refused else after)
            synchronous = phase(out, t0 + warmup, t0 + warmup + seconds)
            during_stall = len(out.window(stalled_at, killed_at))
            if stall:
                log(f"the standby received nothing for the last {stall:g} s before the kill (walsender stopped): "
                    f"{during_stall} records acknowledged meanwhile")
            resumed = [a.done for a in out.acks if a.sent > killed_at]
            resume_s = min(resumed) - killed_at if resumed else None
            log(f"synchronous standby: {synchronous.rate:,.0f} records/s, p50 {synchronous.p50_ms} ms, "
                f"p99 {synchronous.p99_ms} ms; ratio to the baseline {synchronous.rate / baseline.rate:.2f}"
                if baseline.rate else "no baseline")
            log(f"SIGKILL to the primary ({killed} processes); standby promoted in {promoted_at - killed_at:.2f} s; "
                + (f"old server stopped in {stopped_at - promoted_at:.2f} s; parley serve on the standby "
                   f"{'refused to start' if refused else 'answering'} {serving_at - stopped_at:.2f} s later; "
                   if restart else "the server kept running (both hosts in its URL); ")
                + "first write " + (f"acknowledged {resume_s:.2f} s after the kill" if resume_s is not None
                                    else "never acknowledged"))
            for s in servers:
                s.stop()
            for s in servers:
                for why, n in server_errors(s.log).items():
                    log(f"{s.log.name}: {n} × {why}")

            # 4. Every receipt against the promoted standby; the log's self-check there.
            lost = lost_receipts(standby.url(), out.acks)
            size = int(standby.query("SELECT size FROM log_head", "parley")[0][0])
            ok, summary = log_check(standby.url(), data)
            log(f"{len(out.acks)} records acknowledged ({before_kill} before the kill), {len(lost)} lost"
                + (f" (indexes {lost[:10]}…)" if lost else "") + f"; promoted standby's log size {size}; "
                f"parley log check: {'passed' if ok else 'FAILED'}: {summary}")
            if out.failed:
                log(f"requests without a receipt (sent again): {dict(sorted(out.errors.items()))}, "
                    f"no answer: {out.failed.get(0, 0)}, refused for good: {out.refused}")
            return Result(synchronous_commit, sync_state, baseline, synchronous, len(out.acks), before_kill,
                          during_stall, len(lost), killed, round(promoted_at - killed_at, 2),
                          round(stopped_at - promoted_at, 2), round(serving_at - stopped_at, 2),
                          round(resume_s, 2) if resume_s is not None else None, dict(sorted(out.failed.items())),
                          ok, summary, size)
        finally:
            for s in servers:
                s.stop(grace=2)
            standby.stop()
            primary.stop()
            if keep_logs is not None:  # the clusters' and the servers' logs, before the temp dir goes
                keep_logs.mkdir(parents=True, exist_ok=True)
                for f in [*tmp.glob("*.log"), *(tmp / "pg").glob("*.log")]:
                    shutil.copy(f, keep_logs / f.name)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--clients", type=int, default=8, help="concurrent writers")
    ap.add_argument("--seconds", type=float, default=10.0, help="measured seconds of each load phase")
    ap.add_argument("--warmup", type=float, default=1.0, help="seconds of load before each measured phase")
    ap.add_argument("--after", type=float, default=3.0, help="seconds of load after writes resumed")
    ap.add_argument("--synchronous-commit", default="on", choices=("on", "remote_apply", "remote_write", "local"),
                    help="the primary's synchronous_commit (local: the standby is asynchronous)")
    ap.add_argument("--stall-standby", type=float, default=0.0, metavar="SECONDS",
                    help="stop the primary's walsender for the last SECONDS before the kill (a cut link: with "
                         "--synchronous-commit local, acknowledged records are then lost)")
    ap.add_argument("--keep-logs", type=Path, default=None, metavar="DIR",
                    help="copy the clusters' and the servers' logs into DIR before removing the rest")
    ap.add_argument("--no-restart", action="store_true",
                    help="give the server both hosts (target_session_attrs=read-write) instead of restarting it on "
                         "the standby's URL")
    args = ap.parse_args()

    def terminated(_signum: int, _frame: object) -> None:
        raise SystemExit(143)  # the clusters are stopped and the temp dir removed on the way out

    signal.signal(signal.SIGTERM, terminated)
    load_before = os.getloadavg()
    r = run(clients=args.clients, seconds=args.seconds, warmup=args.warmup, after=args.after,
            synchronous_commit=args.synchronous_commit, stall=args.stall_standby,
            restart=not args.no_restart, keep_logs=args.keep_logs)
    print(f"load average before: {load_before[0]:.2f}; after: {os.getloadavg()[0]:.2f} (2 cores, shared with the "
          "load generator and both clusters)")
    print(" ".join(f"{k}={v}" for k, v in {
        "synchronous_commit": r.synchronous_commit, "sync_state": r.sync_state, "clients": args.clients,
        "baseline_per_s": round(r.baseline.rate), "sync_per_s": round(r.synchronous.rate),
        "sync_ratio": round(r.ratio, 3), "baseline_p50_ms": r.baseline.p50_ms, "sync_p50_ms": r.synchronous.p50_ms,
        "baseline_p99_ms": r.baseline.p99_ms, "sync_p99_ms": r.synchronous.p99_ms,
        "acknowledged": r.acknowledged, "acknowledged_before_kill": r.acknowledged_before_kill, **(
            {"acknowledged_during_stall": r.acknowledged_during_stall} if args.stall_standby else {}), "lost": r.lost,
        "promote_s": r.promote_s, "stop_s": r.stop_s, "start_s": r.start_s, "resume_s": r.resume_s,
        "log_check": "passed" if r.log_check_ok else "failed", "load1": round(load_before[0], 2)}.items()))
    if r.lost or not r.log_check_ok or r.resume_s is None:
        sys.exit(1)


if __name__ == "__main__":
    main()
