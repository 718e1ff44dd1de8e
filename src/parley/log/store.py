"""The log's storage: Merkle nodes read from the database, an in-process cache of committed nodes
(full subtrees never change once written), checkpoints signed by the log key, and receipts.

Checkpoints are handed out only once released: a session made by a runtime carries the log's state
(``session.info["log_state"]``, see ``log/state.py``), and ``latest_checkpoint`` and
``proof_checkpoint`` never return a checkpoint larger than the state file's, so one committed but not
yet recorded there is neither served, nor proven against, nor sent to witnesses."""

from __future__ import annotations

import base64
import functools
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session

from parley.log import merkle
from parley.log.checkpoint import Checkpoint
from parley.log.models import LogCheckpoint, LogCosignature, LogEntry, LogNode
from parley.log.note import Signer, sign_note
from parley.log.proof import TlogProof, format_tlog_proof, format_tlog_proofs


class NodeCache:
    """Committed full nodes; safe to share between threads and requests because they are immutable."""

    def __init__(self, limit: int = 4_000_000) -> None:
        self._nodes: dict[tuple[int, int], bytes] = {}
        self._limit = limit
        self._lock = threading.Lock()

    def get(self, key: tuple[int, int]) -> bytes | None:
        return self._nodes.get(key)

    def update(self, nodes: dict[tuple[int, int], bytes]) -> None:
        with self._lock:
            if len(self._nodes) + len(nodes) > self._limit:
                self._nodes.clear()
            self._nodes.update(nodes)


# Nodes read in one statement at most (its bound parameters stay well below every driver's limit).
MAX_NODES_PER_STATEMENT = 400


@functools.lru_cache(maxsize=512)
def _nodes_sql(leaves: int, inner: int, mark: str) -> str:
    """The SQL that reads ``leaves`` leaf hashes and ``inner`` inner nodes (level and index) as (level, idx, hash)
    rows, parameters marked ``mark`` (the driver's): primary-key lookups, the inner ones as an OR (SQLite scans
    the table for a row-value IN list). Only numbered placeholders are put in the text."""
    parts = []
    if leaves:
        marks = ", ".join([mark] * leaves)
        parts.append(f"SELECT 0, idx, leaf_hash FROM {LogEntry.__tablename__} WHERE idx IN ({marks})")  # noqa: S608
    if inner:
        terms = " OR ".join([f"(level = {mark} AND idx = {mark})"] * inner)
        parts.append(f"SELECT level, idx, hash FROM {LogNode.__tablename__} WHERE {terms}")  # noqa: S608
    return " UNION ALL ".join(parts)


# The placeholder of each DB-API parameter style Parley's drivers use (sqlite3: qmark, psycopg: pyformat).
_MARKS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


class DbNodes:
    """A ``merkle.NodeSource`` over one session: the batch's pending nodes, then the cache, then SQL."""

    def __init__(self, session: Session, cache: NodeCache, pending: dict[tuple[int, int], bytes] | None = None):
        self.session = session
        self.cache = cache
        self.pending = pending if pending is not None else {}

    def full_nodes(self, keys: Sequence[tuple[int, int]]) -> list[bytes]:
        found: dict[tuple[int, int], bytes] = {}
        leaves: list[int] = []
        inner: list[tuple[int, int]] = []
        for key in keys:
            h = self.pending.get(key) or self.cache.get(key)
            if h is not None:
                found[key] = h
            elif key[0] == 0:
                leaves.append(key[1])
            else:
                inner.append(key)
        fetched: dict[tuple[int, int], bytes] = {}
        if leaves or inner:
            fetched = self._read(leaves, inner)
        if fetched:
            self.cache.update(fetched)
            found.update(fetched)
        missing = [k for k in keys if k not in found]
        if missing:
            raise LookupError(f"log nodes missing from the database: {missing[:4]}")
        return [found[k] for k in keys]

    def _read(self, leaves: list[int], inner: list[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """The nodes from the database: one statement for a proof's leaf and inner nodes, its SQL made once
        per shape and run on the session's own DB-API connection, in its transaction. Building the same query
        as SQLAlchemy expressions, and running it through SQLAlchemy, was three quarters of a proof's time.
        Log entries and nodes are only ever written by Core inserts, so there is nothing to autoflush."""
        conn = self.session.connection()
        mark = _MARKS.get(conn.dialect.paramstyle)
        out: dict[tuple[int, int], bytes] = {}
        while leaves or inner:
            some_leaves, leaves = leaves[:MAX_NODES_PER_STATEMENT], leaves[MAX_NODES_PER_STATEMENT:]
            room = MAX_NODES_PER_STATEMENT - len(some_leaves)
            some_inner, inner = inner[:room], inner[room:]
            params = [*some_leaves, *(x for key in some_inner for x in key)]
            rows: list[Any] = []
            if mark is None:  # another driver: the same reads as SQLAlchemy expressions
                if some_leaves:
                    rows += [(0, i, h) for i, h in conn.execute(
                        select(LogEntry.idx, LogEntry.leaf_hash).where(LogEntry.idx.in_(some_leaves)))]
                if some_inner:
                    cond = or_(*(and_(LogNode.level == lv, LogNode.idx == i) for lv, i in some_inner))
                    rows += list(conn.execute(select(LogNode.level, LogNode.idx, LogNode.hash).where(cond)))
            else:
                cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
                try:
                    cur.execute(_nodes_sql(len(some_leaves), len(some_inner), mark), params)
                    rows = list(cur.fetchall())
                finally:
                    cur.close()
            out.update(((lv, i), bytes(h)) for lv, i, h in rows)
        return out


def sign_checkpoint(signer: Signer, origin: str, size: int, root: bytes) -> bytes:
    return sign_note(Checkpoint(origin, size, root).text(), signer)


def prune_checkpoints(session: Session, before: datetime, *, keep_every: timedelta = timedelta(hours=1),
                      limit: int = 10_000) -> int:
    """Delete signed checkpoints no client needs any more (docs/operations.md, "Checkpoints kept"): those
    signed before ``before`` that have no cosignature (under a witness policy every published checkpoint
    has its quorum's), are below the newest, the released and the newest published checkpoint, and are
    not the first checkpoint signed in their ``keep_every`` period (a thin history that stays listed).
    Receipts against a pruned checkpoint stay verifiable: each carries its checkpoint's signed note, and
    proofs are made from the tree's nodes. At most ``limit`` rows a call; answers how many were deleted."""
    newest = session.scalar(select(func.max(LogCheckpoint.size)))
    if newest is None:
        return 0
    released = released_size(session)
    top = newest if released is None else min(newest, released)
    shown = session.scalar(select(func.max(LogCheckpoint.size)).where(LogCheckpoint.published.is_(True)))
    if shown is not None and released is not None:  # what /log/checkpoint serves: the newest published released
        shown = session.scalar(select(func.max(LogCheckpoint.size)).where(
            LogCheckpoint.published.is_(True), LogCheckpoint.size <= released))
    cosigned = set(session.execute(select(LogCosignature.size).distinct()).scalars())
    period = keep_every.total_seconds()
    seen: set[int] = set()
    doomed: list[int] = []
    rows = session.execute(select(LogCheckpoint.size, LogCheckpoint.created_at)
                           .where(LogCheckpoint.created_at < before, LogCheckpoint.size < top)
                           .order_by(LogCheckpoint.size))
    for size, created in rows:
        when = created if created.tzinfo is not None else created.replace(tzinfo=UTC)
        bucket = int(when.timestamp() // period)
        first = bucket not in seen
        seen.add(bucket)
        if first or size == shown or size in cosigned:
            continue
        doomed.append(size)
        if len(doomed) >= limit:
            break
    for i in range(0, len(doomed), 500):
        session.execute(delete(LogCheckpoint).where(LogCheckpoint.size.in_(doomed[i : i + 500])))
    return len(doomed)


def released_size(session: Session) -> int | None:
    """The size of the last released checkpoint, if this session belongs to a log with a state file."""
    state = session.info.get("log_state")
    return state.released_size() if state is not None else None


def latest_checkpoint(session: Session, *, published: bool = False) -> LogCheckpoint | None:
    """The newest released checkpoint (``published``: the newest also cosigned per the policy)."""
    q = select(LogCheckpoint).order_by(LogCheckpoint.size.desc()).limit(1)
    if published:
        q = q.where(LogCheckpoint.published.is_(True))
    limit = released_size(session)
    if limit is not None:
        q = q.where(LogCheckpoint.size <= limit)
    return session.execute(q).scalar_one_or_none()


def cosigners_by_size(session: Session, sizes: Sequence[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    if sizes:
        rows = session.execute(select(LogCosignature.size, LogCosignature.witness)
                               .where(LogCosignature.size.in_(list(sizes))).order_by(LogCosignature.witness))
        for size, witness in rows:
            out.setdefault(size, []).append(witness)
    return out


def proof_checkpoint(session: Session, index: int) -> LogCheckpoint:
    """The checkpoint to prove ``index`` against: the newest published one that covers it, else the newest."""
    cp = latest_checkpoint(session, published=True)
    if cp is None or cp.size <= index:
        cp = latest_checkpoint(session)
    if cp is None or cp.size <= index:
        raise LookupError(f"no checkpoint covers record {index}")
    return cp


def checkpoint_with_cosignatures(session: Session, cp: LogCheckpoint) -> bytes:
    """The checkpoint note as published: the log's signature followed by the witnesses' cosignatures."""
    lines = session.execute(
        select(LogCosignature.line).where(LogCosignature.size == cp.size).order_by(LogCosignature.witness)
    ).scalars()
    return cp.note + "".join(lines).encode()


def tlog_proof(nodes: merkle.NodeSource, index: int, checkpoint_size: int, checkpoint_note: bytes) -> str:
    proof = merkle.inclusion_proof(nodes, index, checkpoint_size)
    return format_tlog_proof(TlogProof(index=index, proof=tuple(proof), checkpoint_note=checkpoint_note)).decode()


def tlog_proofs(nodes: merkle.NodeSource, indices: Sequence[int], checkpoint_size: int,
                checkpoint_note: bytes) -> list[str]:
    """``tlog_proof`` for several indices against one checkpoint, the proofs built in one pass."""
    proofs = merkle.inclusion_proofs(nodes, indices, checkpoint_size)
    return format_tlog_proofs(list(zip(indices, proofs, strict=True)), checkpoint_note)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
