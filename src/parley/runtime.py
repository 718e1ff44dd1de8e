"""A running Parley: settings, engine, the log's signing key, its state file and the pipeline, built
from settings and the record kinds the log accepts. ``parley.assembly.open_runtime`` opens one with every
capability's kinds; this module knows none of them.

``open_runtime`` checks the schema is current and the database against the log's state file
(``log/state.py``): it refuses a database behind what the log released, and moves the state forward
over a batch committed just before a crash. The full self-check (``log/selfcheck.py``) runs when the
server starts (``app.py``) and then on a schedule.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Protocol, TypeVar

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from parley.db import WalKeeper, create_private, make_engine, private_dir, session_factory, sqlite_file
from parley.log.note import Signer, Verifier
from parley.log.selfcheck import IntegrityMonitor, check_log
from parley.log.state import LogState, Released, StateError, empty_checkpoint
from parley.log.store import NodeCache
from parley.parties.principal import Principals
from parley.records.kinds import Kind
from parley.records.pipeline import Pipeline
from parley.records.policy import ReadPolicy
from parley.settings import Settings

log = logging.getLogger(__name__)


def log_key_path(settings: Settings) -> Path:
    return settings.data_dir / "log.key"


def create_log_key(settings: Settings) -> Signer:
    path = log_key_path(settings)
    if path.exists():
        return Signer.from_skey(path.read_text().strip())
    private_dir(path.parent)
    signer = Signer.generate(settings.log_origin)
    create_private(path, signer.skey() + "\n")
    return signer


def load_log_key(settings: Settings) -> Signer:
    path = log_key_path(settings)
    if not path.exists():
        raise RuntimeError(f"the log key {path} does not exist; run 'parley init' first")
    signer = Signer.from_skey(path.read_text().strip())
    if signer.name != settings.log_origin:
        raise RuntimeError(f"the log key is for {signer.name!r}, settings say origin {settings.log_origin!r}")
    return signer


def log_state(settings: Settings, signer: Signer) -> LogState:
    return LogState.for_signer(settings.data_dir, signer, settings.log_origin)


def create_log_state(settings: Settings, engine: Engine) -> Released:
    """Create the log's state file if it is missing (``parley init``, the demo, test deployments): the
    empty log's checkpoint for a new database; for an existing one (a deployment upgraded to state
    files) its newest checkpoint, adopted only after the full self-check passes."""
    signer = load_log_key(settings)
    state = log_state(settings, signer)
    if state.exists():
        return state.current()
    from parley.log.models import LogCheckpoint, LogHead

    sessions = session_factory(engine)
    with sessions() as s:
        head = s.get(LogHead, 1)
        size = head.size if head is not None else 0
        newest = s.get(LogCheckpoint, size) if size else None
        note = newest.note if newest is not None else None
    if size == 0:
        return state.create(empty_checkpoint(signer, settings.log_origin))
    report = check_log(sessions, Verifier.from_vkey(signer.vkey()), settings.log_origin)
    if not report.ok or note is None:
        raise StateError(f"refusing to record this database's newest checkpoint as released: {report.summary}")
    released = state.create(note)
    log.warning("created the log's state file at size %d from the database (self-check passed)", released.size)
    return released


class Closeable(Protocol):
    def close(self) -> None: ...


C = TypeVar("C", bound=Closeable)

# The key of a runtime's sessions' ``info`` that carries its Resources (beside "log_state", ``log/store.py``).
RESOURCES = "resources"


class Resources:
    """What capabilities keep for one running deployment (a trained model, results computed once for every
    reader): each under a name, made on first use, closed with the runtime (``Runtime.close``), never shared
    with another runtime in the same process.

    Bounded: at most ``limit`` names, since a name is a capability's constant, never a value from a request;
    each resource bounds what it holds itself. A closed Resources hands out nothing more."""

    def __init__(self, limit: int = 16) -> None:
        self.limit = limit
        self._items: dict[str, Closeable] = {}
        self._lock = threading.Lock()
        self._closed = False

    def get(self, name: str, make: Callable[[], C]) -> C:
        """The resource called ``name``, made by ``make()`` (cheap: no work beyond building the holder) the
        first time it is asked for."""
        with self._lock:
            if self._closed:
                raise RuntimeError(f"the runtime is closed: no {name}")
            item = self._items.get(name)
            if item is None:
                if len(self._items) >= self.limit:
                    raise RuntimeError(f"more than {self.limit} per-runtime resources (asked for {name!r}): a "
                                       "resource's name is a constant of its capability")
                item = self._items[name] = make()
            return item  # type: ignore[return-value]

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __len__(self) -> int:
        return len(self._items)

    def close(self) -> None:
        """Close every resource, the last made first; one that fails to close does not keep the others open."""
        with self._lock:
            items = list(self._items.items())[::-1]
            self._items.clear()
            self._closed = True
        for name, item in items:
            try:
                item.close()
            except Exception:
                log.exception("closing the runtime's %s failed", name)


def resources_of(session: Session) -> Resources | None:
    """The Resources of the runtime whose sessions made ``session`` (None for a session made elsewhere)."""
    found = session.info.get(RESOURCES)
    return found if isinstance(found, Resources) else None


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker
    log_signer: Signer
    pipeline: Pipeline
    cache: NodeCache = field(default_factory=NodeCache)
    # The appender's own engine, so it never waits for a connection behind the requests it serves.
    writer_engine: Engine | None = None
    state: LogState | None = None
    integrity: IntegrityMonitor | None = None
    # Capabilities' per-runtime caches, closed with it; its sessions carry it (``resources_of``).
    resources: Resources = field(default_factory=Resources)
    # SQLite only: keeps the WAL bounded, and empties it when the runtime closes (``db.WalKeeper``).
    wal: WalKeeper | None = None
    # The members behind API tokens and sessions, cached (``parties.principal.Principals``); no cache unless
    # ``open_runtime`` made it (it watches this runtime's sessions for changes).
    principals: Principals = field(default_factory=lambda: Principals(ttl=0))

    @property
    def kinds(self) -> Mapping[str, Kind]:
        """The record kinds this log accepts (the pipeline's)."""
        return self.pipeline.kinds

    @cached_property
    def policy(self) -> ReadPolicy:
        """The read policy over every kind this log accepts: what the log's listings, record pages and
        entry bundles serve to whom."""
        return ReadPolicy(self.kinds)

    def close(self) -> None:
        if self.integrity is not None:
            self.integrity.stop()
        self.resources.close()
        self.pipeline.close()
        if self.wal is not None:
            self.wal.close()
            self.wal = None
        self.engine.dispose()
        if self.writer_engine is not None:
            self.writer_engine.dispose()


def writer_engine_for(engine: Engine) -> Engine:
    """A second engine on the same database with one connection (two for a caller appending on its own
    thread while the appender runs) for the pipeline alone."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return engine  # an in-memory database exists once per engine: share it
    return make_engine(url.render_as_string(hide_password=False), pool_size=1, max_overflow=1)


def reconcile(sessions: sessionmaker, state: LogState) -> Released:
    """Compare the database with the state file before serving: refuse a database behind it (or one
    whose tree at the released size has another root); after a crash between a commit and the state
    write, check the newer checkpoint extends the released one and record it."""
    from parley.log import merkle
    from parley.log.checkpoint import Checkpoint, CheckpointError
    from parley.log.models import LogCheckpoint, LogHead
    from parley.log.note import NoteError, open_note
    from parley.log.store import DbNodes

    with sessions() as s:
        head = s.get(LogHead, 1)
        size = head.size if head is not None else 0
        row = s.get(LogCheckpoint, size) if size else None
        if size and row is None:
            raise StateError(f"the database's log has {size} entries but no checkpoint for them: its tables "
                             "were altered")
        root = row.root_hash if row is not None else merkle.EMPTY_ROOT
        cur = state.check_database(DbNodes(s, NodeCache()), size, root)
        note = row.note if row is not None else b""
    if size > cur.size:
        try:
            text, _, _ = open_note(note, [state.verifier])
            cp = Checkpoint.parse(text)
        except (NoteError, CheckpointError) as exc:
            raise StateError(f"the database's newest checkpoint ({size}) is not signed by the log key") from exc
        if (cp.origin, cp.size, cp.root_hash) != (state.origin, size, root):
            raise StateError(f"the database's newest checkpoint ({size}) does not match its row")
        cur = state.advance(note)
        log.warning("the database was ahead of the log's state file (a batch committed just before a stop): "
                    "checked it extends the released size and recorded size %d", size)
    return cur


def open_runtime(settings: Settings, kinds: Mapping[str, Kind], *, engine: Engine | None = None) -> Runtime:
    """The deployment ``settings`` name, its log accepting ``kinds`` (``parley.assembly.kinds()``)."""
    engine = engine or make_engine(settings.database_url, pool_size=settings.worker_threads + 8)
    with engine.connect() as conn:
        if "alembic_version" not in inspect(conn).get_table_names():
            raise RuntimeError("the database has no schema; run 'parley init' (or 'parley db upgrade')")
        conn.execute(text("SELECT 1"))
    signer = load_log_key(settings)
    state = log_state(settings, signer)
    if not state.exists():
        # A new, empty database starts its state file; an existing one is adopted only by `parley init`,
        # after the self-check (create_log_state), never silently.
        from parley.log.models import LogHead

        with session_factory(engine)() as s:
            head = s.get(LogHead, 1)
            if head is not None and head.size == 0:
                state.create(empty_checkpoint(signer, settings.log_origin))
    sessions = session_factory(engine)
    # Sessions carry the state so the store hands out released checkpoints only (``log/store.py``), and the
    # runtime's resources so a capability's caches are this runtime's (``resources_of``).
    resources = Resources()
    sessions.configure(info={"log_state": state, RESOURCES: resources})
    reconcile(sessions, state)
    cache = NodeCache()
    writer = writer_engine_for(engine)
    pipeline = Pipeline(session_factory(writer), signer, settings.log_origin, kinds=kinds,
                        batch=settings.append_batch, cache=cache, auto_publish=not settings.witness_policy,
                        state=state)
    integrity = IntegrityMonitor(sessions, Verifier.from_vkey(signer.vkey()), settings.log_origin, state,
                                 pipeline.refuse, retention=settings.checkpoint_retention)
    principals = Principals(ttl=settings.principal_cache.total_seconds())
    principals.watch(sessions)
    principals.watch(pipeline.sessions)
    wal = None
    if sqlite_file(engine) is not None:
        wal = WalKeeper(engine)
        for e in {engine, writer}:
            wal.watch(e)
        wal.start()
    return Runtime(settings=settings, engine=engine, sessions=sessions, log_signer=signer, pipeline=pipeline,
                   cache=cache, writer_engine=writer if writer is not engine else None, state=state,
                   integrity=integrity, resources=resources, wal=wal, principals=principals)
