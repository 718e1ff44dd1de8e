"""Database plumbing: the declarative base, engines with Parley's durability settings, migrations.

SQLite runs in WAL mode with ``synchronous=FULL`` so an acknowledged commit survives power loss;
PostgreSQL is the production database. The schema changes only through Alembic migrations.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)

# The largest value an INTEGER/BIGINT column holds (SQLite and PostgreSQL): every integer a request
# carries into a query is bounded by it, so an oversized one is refused (422) instead of overflowing.
MAX_DB_INT = 2**63 - 1
# Connections per engine: as many as the worker threads that run database work, plus headroom for the
# request handlers that query on the event loop and the publisher. Nothing holds a connection while it
# waits on a client or on the appender, so a request that still finds the pool empty fails after
# POOL_TIMEOUT seconds (503) instead of queueing for 30 s.
DEFAULT_POOL_SIZE = 48
POOL_OVERFLOW = 8
POOL_TIMEOUT = 5.0
# SQLite's WAL: once it passes WAL_CHECKPOINT_BYTES a checkpoint copies it into the database and truncates
# it (``WalKeeper``), so it stays near that size under sustained writes; ``journal_size_limit`` truncates it
# to JOURNAL_SIZE_LIMIT whenever SQLite itself restarts it. Without these, readers overlapping the
# appender's commits keep SQLite from ever restarting the WAL and it grows without bound (reliability.md D3).
WAL_CHECKPOINT_BYTES = 16 << 20
JOURNAL_SIZE_LIMIT = 16 << 20
# How long a truncating checkpoint waits for older readers to finish (it holds the write lock meanwhile).
WAL_CHECKPOINT_WAIT_MS = 250
# ... doubled after each checkpoint that could not finish, up to this.
WAL_CHECKPOINT_MAX_WAIT_MS = 4000
BUSY_TIMEOUT_MS = 30000

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC on every database; read back as an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


# The column type of every time a capability stores (operations, people).
UTC_DT = UTCDateTime()


SQLITE_CACHE_KIB_NEGATIVE = -32 * 1024  # negative: KiB, not pages


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # The driver's own transaction handling is disabled so BEGIN IMMEDIATE can take the write lock.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")
    # A page cache of up to 32 MiB a connection (SQLite's default is 2 MiB), used as it fills: the hot indexes of a
    # large log (the talks board's, the registry's) stay in memory between requests.
    cur.execute(f"PRAGMA cache_size={SQLITE_CACHE_KIB_NEGATIVE}")
    # Freed space is overwritten with zeros, so destroyed personal data (``records.sealing``) and earlier
    # versions of corrected rows leave no bytes behind in the database file.
    cur.execute("PRAGMA secure_delete=ON")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # Writers take SQLite's write lock up front so two appenders never interleave; readers do not.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("parley_write") else "BEGIN")


def private_dir(path: Path, *, narrow: bool = False) -> None:
    """Create ``path`` for its owner only (0700). An existing directory is left as it is unless ``narrow``
    (Parley's own data directory: ``parley init``, ``parley demo``, a witness's state directory)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if narrow and path.stat().st_mode & 0o077:
        os.chmod(path, 0o700)
        log.warning("%s was open to others; narrowed to 0700", path.name)


def create_private(path: Path, data: bytes | str) -> None:
    """Write ``data`` to the new file ``path``, readable by its owner only (0600), and fsync it; never over an
    existing file (``FileExistsError``): keys, tokens, secrets, exports, backups' companions."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
        f.flush()
        os.fsync(f.fileno())


def private_file(path: Path) -> None:
    """Make sure ``path`` exists and only its owner may read it (0600). SQLite gives a database's -wal and
    -shm files the database file's mode, so creating the database 0600 first keeps all three private;
    files an older version left readable by others are narrowed, with their -wal and -shm."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        return
    except FileExistsError:
        pass
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        try:
            if p.stat().st_mode & 0o077:
                os.chmod(p, 0o600)
                log.warning("%s was readable by others; narrowed to 0600", p.name)
        except FileNotFoundError:
            pass


def _pool(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"pool_size": DEFAULT_POOL_SIZE, "max_overflow": POOL_OVERFLOW, "pool_timeout": POOL_TIMEOUT, **kwargs}


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1].split("?", 1)[0]
        if path and path != ":memory:" and not path.startswith("file:"):
            # Every person is in this file in clear: the data directory and the database are the owner's only.
            if not Path(path).parent.exists():
                private_dir(Path(path).parent)
            private_file(Path(path))
            kwargs = _pool(kwargs)
        # hide_parameters: a failed statement's error must never carry payloads (personal data) into logs.
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return create_engine(url, pool_pre_ping=True, hide_parameters=True, **_pool(kwargs))


def sqlite_file(engine: Engine) -> Path | None:
    """The database file of a file-backed SQLite engine (None for PostgreSQL or an in-memory database)."""
    if engine.dialect.name != "sqlite":
        return None
    name = engine.url.database
    return Path(name) if name and name != ":memory:" and not name.startswith("file:") else None


def checkpoint_wal(engine: Engine, mode: str = "TRUNCATE", wait_ms: int = WAL_CHECKPOINT_WAIT_MS) -> bool:
    """Run ``PRAGMA wal_checkpoint(mode)`` on one of ``engine``'s connections, waiting at most ``wait_ms`` for
    the write lock and for older readers; True when the WAL was checkpointed in full (and, for TRUNCATE,
    emptied). Outside any transaction: the driver's own transaction handling is off (``_sqlite_pragmas``)."""
    if mode not in ("PASSIVE", "FULL", "RESTART", "TRUNCATE"):
        raise ValueError(mode)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout={int(wait_ms)}")
            busy, _frames, _done = cur.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
        finally:
            cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cur.close()
    finally:
        raw.close()
    return busy == 0


class WalKeeper:
    """Keeps a SQLite database's WAL bounded: a thread woken after every commit (``nudge``, hooked to the
    engines' commit event) and every ``interval`` seconds checks the WAL's size and, past ``limit`` bytes,
    runs a TRUNCATE checkpoint, which holds the write lock while it waits for readers older than it. One
    that cannot finish within ``wait_ms`` is tried again after as long as it waited, with twice the wait
    (up to ``max_wait_ms``), until one finishes: a checkpoint first waits for the readers that stop it
    copying the WAL, then for those that began meanwhile, so on a loaded machine readers overlapping every
    commit can outlast a short wait, while a WAL growing for a second between tries (the former fixed
    back-off) could double. Writes are thereby held up at most half the time, and only while readers keep
    a checkpoint from finishing. ``close`` stops the thread and empties the WAL (the server's shutdown)."""

    def __init__(self, engine: Engine, limit: int = WAL_CHECKPOINT_BYTES, *, interval: float = 1.0,
                 wait_ms: int = WAL_CHECKPOINT_WAIT_MS, max_wait_ms: int = WAL_CHECKPOINT_MAX_WAIT_MS) -> None:
        path = sqlite_file(engine)
        if path is None:
            raise ValueError("a WalKeeper needs a file-backed SQLite engine")
        self.engine, self.wal = engine, Path(f"{path}-wal")
        self.limit, self.interval, self.wait_ms = limit, interval, wait_ms
        self.max_wait_ms = max(max_wait_ms, wait_ms)
        self._next_wait_ms = wait_ms  # doubled after each failed checkpoint, back to wait_ms after one succeeds
        self.failures = 0  # truncating checkpoints that could not finish (for tests and the logs)
        self.checkpoints = 0  # truncating checkpoints completed (for tests and the logs)
        self._wake = threading.Event()
        self._stop = False
        self._thread: threading.Thread | None = None
        self._retry_at = 0.0

    def nudge(self, *_: Any) -> None:
        self._wake.set()

    def watch(self, engine: Engine) -> None:
        """Check the WAL after every commit on ``engine`` (the appender's engine, the requests' engine)."""
        event.listen(engine, "commit", self.nudge)

    def start(self) -> WalKeeper:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="parley-wal", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        import time

        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop:
                return
            if time.monotonic() < self._retry_at:
                continue
            try:
                waited_ms = self.check()
            except Exception as exc:  # noqa: BLE001 - a failed checkpoint is tried again later; writes go on
                log.warning("WAL checkpoint failed: %s", type(exc).__name__)
                waited_ms = int(self.interval * 1000)
            if waited_ms:
                self._retry_at = time.monotonic() + waited_ms / 1000

    def size(self) -> int:
        try:
            return self.wal.stat().st_size
        except FileNotFoundError:
            return 0

    def check(self) -> int:
        """Checkpoint if the WAL is past the limit; answers how long (ms) a checkpoint waited in vain, to
        pause as long before the next try, or 0 if none was needed or it finished."""
        if self.size() <= self.limit:
            return 0
        wait_ms = self._next_wait_ms
        if checkpoint_wal(self.engine, "TRUNCATE", wait_ms):
            self.checkpoints += 1
            self._next_wait_ms = self.wait_ms
            return 0
        self.failures += 1
        self._next_wait_ms = min(2 * wait_ms, self.max_wait_ms)
        return wait_ms

    def close(self) -> None:
        """Stop the thread and empty the WAL into the database, waiting for readers up to a few seconds."""
        self._stop = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        try:
            if not checkpoint_wal(self.engine, "TRUNCATE", 5000):
                log.warning("the WAL could not be emptied at shutdown (a reader still open)")
        except Exception as exc:  # noqa: BLE001 - shutting down: the next start checkpoints it
            log.warning("WAL checkpoint at shutdown failed: %s", type(exc).__name__)


def storage_failure(exc: BaseException) -> str | None:
    """What a database error says about the storage: "full" (SQLite's SQLITE_FULL, PostgreSQL's disk_full
    53100), "unavailable" (the database unreachable or gone, its pool exhausted), or None (anything else)."""
    import sqlite3

    from sqlalchemy.exc import DBAPIError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    if isinstance(exc, PoolTimeout):
        return "unavailable"
    if not isinstance(exc, DBAPIError):
        return None
    orig = exc.orig
    if isinstance(orig, sqlite3.Error) and getattr(orig, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
        return "full"
    if getattr(orig, "sqlstate", None) == "53100":  # psycopg: disk_full
        return "full"
    if isinstance(exc, OperationalError) or exc.connection_invalidated:
        return "unavailable"
    return None


def session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)


def on_commit_changing(sessions: sessionmaker, models: tuple[type, ...], callback: Callable[[], None]) -> None:
    """Call ``callback()`` when a session of ``sessions`` commits a transaction that added, changed or deleted
    an object of one of ``models`` (through the ORM: a Core statement on their tables is not seen). A change
    flushed and then rolled back may call it too, at the session's next commit: callers only ever clear a
    cache with it, which is never wrong."""
    flag = f"parley.changed.{id(callback)}"

    def after_flush(session: Session, _context: Any) -> None:
        if any(isinstance(o, models) for o in (*session.new, *session.dirty, *session.deleted)):
            session.info[flag] = True

    def after_commit(session: Session) -> None:
        if session.info.pop(flag, False):
            callback()

    event.listen(sessions, "after_flush", after_flush)
    event.listen(sessions, "after_commit", after_commit)


def release(s: Session) -> None:
    """End ``s``'s transaction so its pooled connection goes back to the pool, keeping the objects it
    loaded. Request sessions only read (every change is a record appended by the pipeline), so ending the
    transaction changes nothing; the next query takes a connection again, for as long as it runs. Call it
    before waiting on anything slow: the appender, a client, another thread."""
    if not s.in_transaction():
        return
    if not s.is_active:  # a statement failed (the database went away): that error was raised already, and
        s.rollback()     # only a rollback ends the transaction; committing would raise over it
        return
    try:
        s.commit()  # expire_on_commit=False: what was loaded stays loaded
    except Exception:
        s.rollback()
        raise


@contextmanager
def writing(sessions: sessionmaker) -> Iterator[Session]:
    """A session whose transaction holds the write lock (SQLite) and commits when the block ends."""
    with sessions() as s:
        s.connection(execution_options={"parley_write": True})
        yield s
        s.commit()


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` with Alembic: the only way Parley's schema changes."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
