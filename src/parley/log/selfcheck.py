"""The server checks its own log, on start-up and on a schedule (``parley log check`` runs it by hand).

Everything is recomputed from the stored entries and compared with what is stored beside them:

- each entry: its leaf hash and record hash are the hashes of its signed note; its kind, author,
  party, time and audience columns are the values in the note's signed text; its payload hashes to
  the payload hash the text signs; indices are dense;
- the tree: every stored inner node (levels 1 and up, so also the level-8, -16… nodes served in hash
  tiles) equals the node recomputed from the entries; no node or entry lies beyond the head;
- every checkpoint: its root column and the root its note signs equal the root recomputed at its
  size, and the note verifies with the log key; the newest checkpoint is at the head;
- the state file (``log/state.py``): the root recomputed at its size is the root it released, and the
  database is not behind it.

Entries are streamed in chunks of 2^12 in short read transactions (entries below the head never
change, so the chunks need no common snapshot, and a long read would hold SQLite's WAL open), with
the nodes of each chunk compared level by level and only the chunks' roots kept in memory. A
scheduled run sleeps between chunks (``pause``) so that appends and requests keep most of the CPU.

A failed check makes the pipeline refuse writes (with the reason in the server's log and at
``/api/health``, for members and their monitors); at start-up it stops the server from starting. Problems
name indices, levels, sizes and columns, never a record's content.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from parley.log import merkle, sealed
from parley.log.checkpoint import Checkpoint, CheckpointError
from parley.log.models import LogCheckpoint, LogEntry, LogHead, LogNode
from parley.log.note import NoteError, Verifier, open_note
from parley.log.state import LogState, StateError, rollback_message

log = logging.getLogger(__name__)
CHUNK_BITS = 12
_sha256 = hashlib.sha256
MAX_PROBLEMS = 50
_COLUMNS = ("origin", "kind", "author", "party", "time", "audience")


@dataclass
class SelfCheckReport:
    ok: bool = True
    size: int = 0  # the tree size checked: the head when the check began
    entries: int = 0
    nodes: int = 0
    checkpoints: int = 0
    state_size: int | None = None
    problems: list[str] = field(default_factory=list)  # the first MAX_PROBLEMS
    problem_count: int = 0
    seconds: float = 0.0
    finished_at: str = ""
    aborted: bool = False

    def problem(self, why: str) -> None:
        self.ok = False
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(why)

    @property
    def summary(self) -> str:
        if self.ok:
            return (f"log self-check passed: {self.entries} entries, {self.nodes} inner nodes and "
                    f"{self.checkpoints} checkpoints in {self.seconds:.2f} s")
        more = f" (and {self.problem_count - 1} more problems)" if self.problem_count > 1 else ""
        return f"log self-check failed: {self.problems[0]}{more}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _entry_problem(origin: str, row: Any, keys: Mapping[str, bytes | None] | None = None) -> str | None:
    idx, leaf, record_hash, note, kind, author, party, when, audience, payload, payload_hash = row
    note = bytes(note)
    if hashlib.sha256(b"\x00" + note).digest() != bytes(leaf):
        return f"entry {idx}: its stored leaf hash is not the hash of its signed note"
    if hashlib.sha256(note).hexdigest() != record_hash:
        return f"entry {idx}: its stored record hash is not the hash of its signed note"
    end = note.find(b"\n\n")
    text = note[: end + 1] if end >= 0 else b""
    head = (f"parley.record/v1\norigin {origin}\nkind {kind}\nauthor {author}\nparty {party}\ntime {when}\n"
            f"audience {audience}\n").encode()
    if not text.startswith(head):
        lines = text.decode(errors="replace").split("\n")
        values = (origin, kind, author, party, when, audience)
        wrong = [c for i, (c, v) in enumerate(zip(_COLUMNS, values, strict=True)) if i + 1 >= len(lines)
                 or lines[i + 1] != f"{c} {v}"]
        if wrong == ["origin"]:
            return f"entry {idx}: its signed text is not a record of this log"
        return f"entry {idx}: its {', '.join(wrong) or 'header'} column differs from its signed text"
    if not text.endswith(f"payload sha256:{payload_hash}\n".encode()):
        return f"entry {idx}: its payload hash column differs from its signed text"
    if sealed.is_destroyed(payload):
        # Destroyed personal data (``records.sealing``): nothing left to hash; destroyed by a later record.
        try:
            by = sealed.envelope(payload)["parley_destroyed"]
        except (ValueError, KeyError, TypeError):
            by = None
        if not isinstance(by, int) or by <= idx:
            return f"entry {idx}: it is stored as destroyed, but not by a later record"
        return None
    if sealed.is_sealed(payload):
        try:
            payload = sealed.unseal(payload, keys or {}, payload_hash).decode()
        except sealed.Destroyed:
            return None  # its subject's key is destroyed: the content is gone
        except (ValueError, KeyError, TypeError):
            return f"entry {idx}: its sealed payload does not open under its subjects' keys"
    if hashlib.sha256(payload.encode()).hexdigest() != payload_hash:
        return f"entry {idx}: its payload does not hash to the payload hash its author signed"
    return None


def _keys(conn: Any, rows: Sequence[Any]) -> dict[str, bytes | None]:
    """The data keys of the subjects that the chunk's sealed payloads name (``records.sealing``'s table)."""
    wanted = sorted({subj for row in rows if sealed.is_sealed(row[9]) for subj in sealed.subjects_of(row[9])})
    out: dict[str, bytes | None] = {}
    for i in range(0, len(wanted), 500):
        part = wanted[i:i + 500]
        names = ", ".join(f":s{j}" for j in range(len(part)))
        q = text(f"SELECT subject, key FROM data_key WHERE subject IN ({names})")  # noqa: S608 — bound names only
        for subj, key in conn.execute(q, {f"s{j}": v for j, v in enumerate(part)}).all():
            out[subj] = bytes(key) if key is not None else None
    return out


def _checkpoint_problem(verifier: Verifier, origin: str, size: int, stored_root: bytes, note: bytes,
                        root: bytes) -> str | None:
    if bytes(stored_root) != root:
        return f"checkpoint {size}: its stored root differs from the root recomputed from the entries"
    try:
        text, _, _ = open_note(bytes(note), [verifier])
        cp = Checkpoint.parse(text)
    except (NoteError, CheckpointError):
        return f"checkpoint {size}: its note is not signed by the log key"
    if cp.origin != origin or cp.size != size:
        return f"checkpoint {size}: its note names another log or size"
    if cp.root_hash != root:
        return f"checkpoint {size}: the root its note signs differs from the root recomputed from the entries"
    return None


def check_log(sessions: sessionmaker[Session], verifier: Verifier, origin: str, state: LogState | None = None, *,
              chunk_bits: int = CHUNK_BITS, pause: float = 0.0, stop: threading.Event | None = None,
              progress: Callable[[int, int], None] | None = None,
              verified: dict[int, bytes] | None = None) -> SelfCheckReport:
    """Check the stored log against itself and the state file; ``pause`` sleeps that many times the
    time each chunk took (a scheduled run), ``stop`` ends the check early (``aborted``).

    ``verified`` remembers, across runs, a digest of each chunk's checkpoints (their notes, stored roots
    and recomputed roots) once they all passed: a later run skips the signature checks of a chunk
    whose digest is unchanged, since those exact bytes were verified against those exact roots. A run
    without pause verifies signatures on every core (the Ed25519 check releases the GIL)."""
    t0 = time.perf_counter()
    report = SelfCheckReport()
    chunk = 1 << chunk_bits
    # The state file first: it only moves after the database, so the snapshot read next is at least as new.
    released = None
    if state is not None:
        try:
            released = state.current()
            report.state_size = released.size
        except StateError as exc:
            report.problem(str(exc))
    with _snapshot(sessions) as conn:
        head_size = conn.execute(select(LogHead.size).where(LogHead.id == 1)).scalar()
        size = head_size or 0
        newest = conn.execute(select(func.max(LogCheckpoint.size))).scalar()
        max_idx = conn.execute(select(func.max(LogEntry.idx))).scalar()
        node_max = dict(conn.execute(select(LogNode.level, func.max(LogNode.idx)).group_by(LogNode.level)).all())
    report.size = size
    if head_size is None:
        report.problem("the log has no head row")
    if size and newest != size:
        report.problem(f"the newest checkpoint is for size {newest}, but the log's head is at {size}")
    if max_idx is not None and max_idx >= size:
        report.problem(f"entries are stored beyond the log's head ({size}), up to index {max_idx}")
    for level, top in sorted(node_max.items()):
        if level < 1 or top >= size >> level:
            report.problem(f"Merkle nodes are stored beyond the tree at level {level}")
    if released is not None and state is not None and released.size > size:
        report.problem(rollback_message(state.path, released.size, size))
    workers = 1 if pause else min(4, os.cpu_count() or 1)
    pool = ThreadPoolExecutor(workers) if workers > 1 else None
    upper = merkle.MemoryTree()
    try:
        for start in range(0, size, chunk):
            if stop is not None and stop.is_set():
                report.aborted = True
                break
            t_chunk = time.perf_counter()
            end = min(start + chunk, size)
            with sessions() as s:
                conn = s.connection()
                rows = conn.execute(select(LogEntry.idx, LogEntry.leaf_hash, LogEntry.record_hash, LogEntry.note,
                                           LogEntry.kind, LogEntry.author, LogEntry.party, LogEntry.time,
                                           LogEntry.audience, LogEntry.payload, LogEntry.payload_hash)
                                    .where(LogEntry.idx >= start, LogEntry.idx < end).order_by(LogEntry.idx)).all()
                leaves = _check_entries(report, origin, rows, start, end, _keys(conn, rows))
                report.entries += len(rows)
                levels = [leaves]
                for level in range(1, chunk_bits + 1):
                    below = levels[-1]
                    levels.append([_sha256(b"\x01" + below[i] + below[i + 1]).digest()
                                   for i in range(0, len(below) - 1, 2)])
                    if not levels[level]:
                        break
                    first = start >> level
                    stored = conn.execute(select(LogNode.idx, LogNode.hash).where(
                        LogNode.level == level, LogNode.idx >= first, LogNode.idx < first + len(levels[level]))
                        .order_by(LogNode.idx)).all()
                    report.nodes += len(stored)
                    _compare_nodes(report, level, first, levels[level], stored)
                cps = conn.execute(select(LogCheckpoint.size, LogCheckpoint.root_hash, LogCheckpoint.note)
                                   .where(LogCheckpoint.size > start, LogCheckpoint.size <= end)
                                   .order_by(LogCheckpoint.size)).all()
            if end - start == chunk:
                upper.append(levels[chunk_bits][0])
            root_at = _roots(upper, chunk_bits, start, levels)
            checked = [(n, bytes(r), bytes(note), root_at(n)) for n, r, note in cps]
            report.checkpoints += len(checked)
            _check_checkpoints(report, verifier, origin, checked, start, verified, pool)
            if released is not None and state is not None and start < released.size <= end \
                    and root_at(released.size) != released.root:
                report.problem(f"the tree recomputed from the entries at size {released.size} does not have the "
                               f"root this log released there ({state.path}): entries were changed, removed or "
                               "reordered")
            if progress is not None:
                progress(end, size)
            if pause:
                time.sleep((time.perf_counter() - t_chunk) * pause)
    finally:
        if pool is not None:
            pool.shutdown()
    if not report.aborted:
        with sessions() as s:
            for j, computed in enumerate(upper.levels[1:], 1):
                level = chunk_bits + j
                stored = s.connection().execute(select(LogNode.idx, LogNode.hash).where(
                    LogNode.level == level, LogNode.idx < len(computed)).order_by(LogNode.idx)).all()
                report.nodes += len(stored)
                _compare_nodes(report, level, 0, computed, stored)
    report.seconds = time.perf_counter() - t0
    report.finished_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return report


@contextmanager
def _snapshot(sessions: sessionmaker[Session]) -> Iterator[Any]:
    """One consistent read of the head and the tables' extents (appends may run meanwhile)."""
    with sessions() as s:
        if s.get_bind().dialect.name == "postgresql":
            yield s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        else:  # SQLite: a read transaction sees one snapshot of the WAL from its first read
            yield s.connection()


def _check_entries(report: SelfCheckReport, origin: str, rows: Sequence[Any], start: int, end: int,
                   keys: Mapping[str, bytes | None] | None = None) -> list[bytes]:
    """Check a chunk's entries; return their leaf hashes recomputed from their notes (a placeholder for a
    missing one, so later positions keep theirs)."""
    leaves: list[bytes] = []
    expect = start
    for row in rows:
        while expect < row[0]:
            report.problem(f"entry {expect} is missing")
            leaves.append(b"\x00" * 32)
            expect += 1
        problem = _entry_problem(origin, row, keys)
        if problem:
            report.problem(problem)
        leaves.append(_sha256(b"\x00" + bytes(row[3])).digest())
        expect += 1
    for missing in range(expect, end):
        report.problem(f"entry {missing} is missing")
        leaves.append(b"\x00" * 32)
    return leaves


def _roots(upper: merkle.MemoryTree, bits: int, start: int, levels: list[list[bytes]]) -> Callable[[int], bytes]:
    """The root at each size in (start, start + 2^bits]: the full subtrees left of the chunk (the same for
    every size in it) and the chunk's own, folded right to left as RFC 6962's hash of a range is."""
    prefix = [upper.levels[lv - bits][i] for lv, i in merkle._range_keys(0, start)] if start else []

    def root_at(n: int) -> bytes:
        off = n - start
        hashes = list(prefix)
        if off == 1 << bits:
            hashes.append(levels[bits][0])
        else:
            pos = 0
            for level in range(bits - 1, -1, -1):
                if off >> level & 1:
                    hashes.append(levels[level][pos >> level])
                    pos += 1 << level
        h = hashes[-1]
        for left in reversed(hashes[:-1]):
            h = _sha256(b"\x01" + left + h).digest()
        return h

    return root_at


def _check_checkpoints(report: SelfCheckReport, verifier: Verifier, origin: str,
                       checked: list[tuple[int, bytes, bytes, bytes]], start: int,
                       verified: dict[int, bytes] | None, pool: ThreadPoolExecutor | None) -> None:
    digest = None
    if verified is not None:
        h = hashlib.sha256()
        for size, stored_root, note, root in checked:
            h.update(b"%d:%d:" % (size, len(note)) + note + stored_root + root)
        digest = h.digest()
        if verified.get(start) == digest:
            return
    args = [(verifier, origin, *c) for c in checked]
    results = pool.map(lambda a: _checkpoint_problem(*a), args) if pool is not None and len(args) > 8 \
        else (_checkpoint_problem(*a) for a in args)
    bad = False
    for problem in results:
        if problem:
            bad = True
            report.problem(problem)
    if verified is not None and digest is not None:
        if bad:
            verified.pop(start, None)
        else:
            verified[start] = digest


def _compare_nodes(report: SelfCheckReport, level: int, first: int, computed: list[bytes],
                   stored: Sequence[Any]) -> None:
    have = {i: bytes(h) for i, h in stored}
    for k, h in enumerate(computed):
        got = have.get(first + k)
        if got is None:
            report.problem(f"Merkle node at level {level}, index {first + k} is missing")
        elif got != h:
            report.problem(f"Merkle node at level {level}, index {first + k} differs from the node recomputed "
                           "from the entries")


class IntegrityMonitor:
    """Runs the self-check for a runtime, keeps the last report, and makes the pipeline refuse writes
    when it fails. ``start`` runs it on a schedule in a background thread. After a clean check it prunes
    the signed checkpoints older than ``retention`` that no client needs (``store.prune_checkpoints``)."""

    def __init__(self, sessions: sessionmaker[Session], verifier: Verifier, origin: str, state: LogState | None,
                 refuse: Callable[[str], None], retention: timedelta | None = None) -> None:
        self.sessions, self.verifier, self.origin, self.state = sessions, verifier, origin, state
        self.retention = retention if retention and retention.total_seconds() > 0 else None
        self._refuse = refuse
        self.last: SelfCheckReport | None = None
        self.running = False
        # Chunks whose checkpoints' signatures were verified, by digest (``check_log``'s ``verified``).
        self._verified: dict[int, bytes] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def run_once(self, *, pause: float = 0.0, stop: threading.Event | None = None) -> SelfCheckReport:
        with self._lock:
            self.running = True
            try:
                report = check_log(self.sessions, self.verifier, self.origin, self.state, pause=pause, stop=stop,
                                   verified=self._verified)
            finally:
                self.running = False
            if report.aborted:
                return report
            self.last = report
        if report.ok:
            log.info("%s", report.summary)
            if self.retention is not None:
                self.prune()
        else:
            log.error("%s", report.summary)
            for why in report.problems[1:10]:
                log.error("log self-check: %s", why)
            self._refuse(f"its self-check failed: {report.problems[0]}")
        return report

    def prune(self) -> int:
        """Prune the checkpoints past the retention period that no client needs; how many were deleted."""
        from parley.db import writing
        from parley.log.store import prune_checkpoints

        if self.retention is None:
            return 0
        with writing(self.sessions) as s:
            pruned = prune_checkpoints(s, datetime.now(UTC) - self.retention)
        if pruned:
            log.info("pruned %d signed checkpoints older than %s that no client needs", pruned, self.retention)
        return pruned

    def start(self, interval: float, pause: float = 1.0) -> None:
        if interval <= 0 or self._thread is not None:
            return
        stop = self._stop = threading.Event()

        def loop() -> None:
            while not stop.wait(interval):
                try:
                    self.run_once(pause=pause, stop=stop)
                except Exception:  # a database hiccup must not end the schedule
                    log.exception("the scheduled log self-check could not run")

        self._thread = threading.Thread(target=loop, name="parley-selfcheck", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
