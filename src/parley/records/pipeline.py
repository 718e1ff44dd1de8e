"""The one write path. A signed record is verified, checked against its author's standing and the
current state, appended to the log and applied to the tables in one durable transaction, and only
then acknowledged with a receipt.

Submissions from many requests are gathered by one appender thread and committed together (group
commit), so each fsync acknowledges a batch; a refused record never affects the others in its batch
because each is applied inside its own savepoint.

A submission may carry **local data that never enters the log** (``local``): what the server keeps beside
a record but must not sign or ship, such as the verifier of a family's secret. The record's ``apply``
receives it as ``Context.local`` and stores it in a local table in the same transaction as the record, so
there is no moment when one exists without the other. Replay (``parley log replay``) has only the log and
cannot rebuild it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from parley.db import storage_failure, writing
from parley.errors import (BadRequest, Conflict, DatabaseUnavailable, Forbidden, InsufficientStorage, ParleyError,
                           TooLarge, Unauthorized, Unprocessable)
from parley.log import merkle
from parley.log import note as notes
from parley.log.models import LogCheckpoint, LogEntry, LogHead, LogNode
from parley.log.state import LogState, LogUnavailable, StateError
from parley.log.store import DbNodes, NodeCache, b64, new_checkpoint, tlog_proof
from parley.parties.models import Member, MemberKey, Party
from parley.records import codes as C
from parley.records.format import MAX_RECORD_BYTES, RecordText, canonical_payload, record_hash
from parley.records.kinds import Context, DeploymentInit, Kind, parse_payload

log = logging.getLogger(__name__)
MAX_CLOCK_SKEW = timedelta(minutes=10)


@dataclass
class Receipt:
    index: int
    record_hash: str
    leaf_hash: str
    checkpoint: str
    proof: str
    duplicate: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "record_hash": self.record_hash, "leaf_hash": self.leaf_hash,
                "checkpoint": self.checkpoint, "proof": self.proof, "duplicate": self.duplicate}


@dataclass
class Submission:
    note: bytes
    payload: Any
    replay: bool = False
    # Local data that never enters the log (see the module's docstring); given to the kind's apply only.
    local: Mapping[str, Any] | None = None
    future: Future[Receipt] = field(default_factory=Future)
    # Filled in by the stateless checks before the batch.
    record: RecordText | None = None
    signature: notes.Signature | None = None
    text: str = ""
    canonical: bytes = b""
    hash: str = ""
    # The record's time is too far from the log's clock: refused unless it is in the log already (a record
    # stored but never acknowledged gets its receipt whenever it is resubmitted).
    late: ParleyError | None = None


def precheck(sub: Submission, origin: str, kinds: Mapping[str, Kind], now: datetime | None = None) -> None:
    """Checks that need no database: size, note syntax, record text, a kind this log accepts, payload hash,
    clock (a clock refusal is kept in ``sub.late`` and given after the appender looked for the record)."""
    if len(sub.note) > MAX_RECORD_BYTES:
        raise TooLarge(C.TOO_LARGE, limit=MAX_RECORD_BYTES, size=len(sub.note))
    try:
        text, sigs = notes.parse_note(sub.note)
    except notes.NoteError as exc:
        raise BadRequest(C.NOTE_MALFORMED, why=str(exc)) from exc
    rec = RecordText.parse(text)
    if rec.origin != origin:
        raise Unprocessable(C.OTHER_LOG, origin=rec.origin, log=origin, field="origin")
    if rec.kind not in kinds:
        raise Unprocessable(C.UNKNOWN_KIND, kind=rec.kind, field="kind")
    own = [s for s in sigs if s.name == rec.author]
    if len(own) != 1:
        raise Unauthorized(C.ONE_SIGNATURE)
    canonical = canonical_payload(sub.payload)
    if hashlib.sha256(canonical).hexdigest() != rec.payload_hash:
        raise Unprocessable(C.PAYLOAD_HASH, field="payload")
    if not sub.replay:
        when = rec.when
        now = now or datetime.now(UTC)
        if abs(when - now) > MAX_CLOCK_SKEW:
            sub.late = Unprocessable(C.CLOCK_SKEW, time=rec.time, skew=str(MAX_CLOCK_SKEW), field="time")
    sub.record, sub.signature, sub.text, sub.canonical = rec, own[0], text, canonical
    sub.hash = record_hash(sub.note)


class Pipeline:
    """Owns appends to one log. ``submit`` is thread-safe and blocks until the record is durable."""

    def __init__(self, sessions: sessionmaker[Session], log_signer: notes.Signer, origin: str, *,
                 kinds: Mapping[str, Kind], batch: int = 512, cache: NodeCache | None = None, auto_publish: bool = True,
                 state: LogState | None = None) -> None:
        self.sessions = sessions
        # The record kinds this log accepts, by name (``parley.assembly.kinds``: the spine's and every
        # capability's): their schemas, writers and ``apply``.
        self.kinds = kinds
        # What the log last released (``log/state.py``): every batch is checked against it and recorded
        # in it before any receipt. None only for a replay into a new database.
        self.state = state
        # Why the log refuses writes (a failed self-check, a database behind the state file), if it does.
        self.refusal: str | None = None
        # Without a witness policy a checkpoint is published as soon as it is signed.
        self.auto_publish = auto_publish
        self.signer = log_signer
        self.origin = origin
        self.batch = batch
        self.cache = cache or NodeCache()
        self._queue: queue.Queue[Submission | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._verifiers: dict[tuple[str, str], notes.Verifier] = {}

    # -- public -------------------------------------------------------------------------------
    def refuse(self, reason: str) -> None:
        """Refuse every write from now on (until the process restarts), saying why."""
        if self.refusal is None:
            log.error("the log refuses writes: %s", reason)
            self.refusal = reason

    def submit(self, note: bytes, payload: Any, *, timeout: float = 60.0,
               local: Mapping[str, Any] | None = None) -> Receipt:
        return self.submit_async(note, payload, local=local).result(timeout)

    def submit_async(self, note: bytes, payload: Any, *, replay: bool = False,
                     local: Mapping[str, Any] | None = None) -> Future[Receipt]:
        sub = Submission(note=note, payload=payload, replay=replay, local=local)
        try:
            precheck(sub, self.origin, self.kinds)
        except ParleyError as exc:
            sub.future.set_exception(exc)
            return sub.future
        self._ensure_thread()
        self._queue.put(sub)
        return sub.future

    def submit_many(self, items: Iterable[tuple[bytes, Any] | tuple[bytes, Any, Mapping[str, Any] | None]], *,
                    replay: bool = False) -> list[Receipt | ParleyError]:
        """Append in order, in batches, on the calling thread (loaders, replay, benchmarks). Each item is
        (note, payload) or (note, payload, local data)."""
        subs: list[Submission] = []
        for note, payload, *rest in items:
            sub = Submission(note=note, payload=payload, replay=replay, local=rest[0] if rest else None)
            try:
                precheck(sub, self.origin, self.kinds)
            except ParleyError as exc:
                sub.future.set_exception(exc)
            subs.append(sub)
        live = [s for s in subs if not s.future.done()]
        for i in range(0, len(live), self.batch):
            with self._lock:
                self._append(live[i : i + self.batch])
        out: list[Receipt | ParleyError] = []
        for s in subs:
            failed = s.future.exception()
            out.append(failed if isinstance(failed, ParleyError) else s.future.result())
        return out

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    # -- the appender ----------------------------------------------------------------------------
    def _ensure_thread(self) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="parley-appender", daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self.batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)
                    break
                batch.append(nxt)
            with self._lock:
                self._append(batch)

    def _append(self, batch: Sequence[Submission]) -> None:
        try:
            if self.refusal is not None:
                raise LogUnavailable(C.REFUSES_WRITES, why=str(self.refusal))
            self._append_batch(batch)
        except StateError as exc:  # the database is behind, or forked from, what the log released
            self.refuse(str(exc))
            err: Exception = LogUnavailable(C.REFUSES_WRITES, why=str(exc))
            for s in batch:
                if not s.future.done():
                    s.future.set_exception(err)
        except Exception as exc:  # noqa: BLE001 — the whole transaction failed: nothing was stored, say so to everyone
            if not isinstance(exc, LogUnavailable):
                log.error("append batch of %d failed: %s", len(batch), type(exc).__name__)
            err = exc if isinstance(exc, ParleyError) else _batch_error(exc)
            for s in batch:
                if not s.future.done():
                    s.future.set_exception(err)

    def _append_batch(self, batch: Sequence[Submission]) -> None:
        results: list[tuple[Submission, int | ParleyError, bool]] = []
        pending: dict[tuple[int, int], bytes] = {}
        with writing(self.sessions) as s:
            head = s.execute(select(LogHead).where(LogHead.id == 1).with_for_update()).scalar_one()
            start = size = head.size
            nodes = DbNodes(s, self.cache, pending)
            prev = s.get(LogCheckpoint, start) if start else None
            if start and prev is None:
                raise Conflict(C.CHECKPOINT_MISSING)
            if self.state is not None:
                # Never extend a tree that is not the released one or an extension of it (a rollback).
                self.state.check_database(nodes, start, prev.root_hash if prev else merkle.EMPTY_ROOT)
            known: dict[str, int] = dict(s.execute(
                select(LogEntry.record_hash, LogEntry.idx).where(LogEntry.record_hash.in_([b.hash for b in batch]))
            ).all())
            entries: list[dict[str, Any]] = []
            new_nodes: list[dict[str, Any]] = []
            # The session's identity map holds rows weakly; keeping the authors' rows here for the batch
            # saves a query per record for the same member, party and key.
            hold: list[Any] = []
            for sub in batch:
                if sub.hash in known:  # the same record again: same receipt, stored once
                    results.append((sub, known[sub.hash], True))
                    continue
                if sub.late is not None:  # not in the log, and too far from the clock to enter it
                    results.append((sub, sub.late, False))
                    continue
                try:
                    if self.kinds[sub.record.kind].savepoint:  # type: ignore[union-attr]
                        with s.begin_nested():
                            self._check_and_apply(s, sub, size, known, hold)
                            s.flush()
                    else:
                        self._check_and_apply(s, sub, size, known, hold)
                except ParleyError as exc:
                    results.append((sub, exc, False))
                    continue
                leaf = merkle.leaf_hash(sub.note)
                pending[(0, size)] = leaf
                for level, idx, h in merkle.appended_nodes(nodes, size, leaf):
                    pending[(level, idx)] = h
                    new_nodes.append({"level": level, "idx": idx, "hash": h})
                rec = sub.record
                assert rec is not None
                entries.append({"idx": size, "leaf_hash": leaf, "record_hash": sub.hash, "note": sub.note,
                                "kind": rec.kind, "author": rec.author, "party": rec.party, "time": rec.time,
                                "audience": rec.audience.text(), "payload": sub.canonical.decode(),
                                "payload_hash": rec.payload_hash})
                known[sub.hash] = size
                results.append((sub, size, False))
                size += 1
            if entries:
                s.execute(insert(LogEntry), entries)
                if new_nodes:
                    s.execute(insert(LogNode), new_nodes)
                root = merkle.root_hash(nodes, size)
                if prev is not None:
                    # Never sign a checkpoint inconsistent with the one before it (and so, by the check
                    # above, with the one released).
                    merkle.verify_consistency(start, size, merkle.consistency_proof(nodes, start, size),
                                              prev.root_hash, root)
                cp_note = new_checkpoint(s, self.signer, self.origin, size, root, published=self.auto_publish).note
                head.size = size
            else:  # duplicates only: their receipts are against the head's checkpoint
                cp_note = prev.note if prev is not None else b""
            receipts: list[tuple[Submission, Receipt | ParleyError]] = []
            for sub, res, dup in results:
                if isinstance(res, ParleyError):
                    receipts.append((sub, res))
                    continue
                receipts.append((sub, Receipt(
                    index=res, record_hash=sub.hash, leaf_hash=b64(merkle.leaf_hash(sub.note)),
                    checkpoint=cp_note.decode(), proof=tlog_proof(nodes, res, size, cp_note), duplicate=dup,
                )))
        # Committed and durable. Record the checkpoint as released before anyone may hold it.
        if self.state is not None and cp_note:
            try:
                self.state.advance(cp_note)
            except OSError as exc:
                # Stored but not released: the next append records it (the database is then ahead).
                log.error("the log's state file could not be written: %s", exc.strerror or type(exc).__name__)
                err = LogUnavailable(C.CHECKPOINT_NOT_RECORDED)
                for sub, _ in receipts:
                    sub.future.set_exception(err)
                return
        self.cache.update(pending)
        for sub, outcome in receipts:
            if isinstance(outcome, ParleyError):
                sub.future.set_exception(outcome)
            else:
                sub.future.set_result(outcome)

    def _verifier(self, key: MemberKey) -> notes.Verifier:
        v = self._verifiers.get((key.name, key.key_id))
        if v is None:
            v = self._verifiers[(key.name, key.key_id)] = notes.Verifier.from_vkey(key.vkey)
        return v

    def _check_and_apply(self, s: Session, sub: Submission, idx: int, known: dict[str, int],
                         hold: list[Any]) -> None:
        rec, sig = sub.record, sub.signature
        assert rec is not None and sig is not None
        kind = self.kinds[rec.kind]
        payload = parse_payload(kind, json.loads(sub.canonical))
        text = sub.text.encode()
        author: Member | None = None
        party: Party | None = None
        if rec.kind == "deployment.init":
            if idx != 0:
                raise Conflict(C.NOT_FIRST)
            try:
                verifier = notes.Verifier.from_vkey(cast(DeploymentInit, payload).vkey)
            except (ValueError, notes.NoteError) as exc:
                raise Unprocessable(C.VKEY_MALFORMED, why=str(exc), field="vkey") from exc
            if verifier.name != rec.author or verifier.key_id != sig.key_id:
                raise Unauthorized(C.INIT_SIGNATURE)
        else:
            key = s.get(MemberKey, (sig.key_id.hex(), rec.author))
            if key is None:
                raise Unauthorized(C.NO_SIGNING_KEY, key=sig.key_id.hex(), author=rec.author)
            if key.revoked_idx is not None:
                raise Unauthorized(C.KEY_WAS_REVOKED, key=key.key_id, author=rec.author, index=key.revoked_idx)
            verifier = self._verifier(key)
            author = s.get(Member, rec.author)
            if author is None or not author.active:
                raise Forbidden(C.NOT_ACTIVE, author=rec.author)
            party = s.get(Party, author.party)
            hold.append((key, author, party))
            if not (author.role_set & kind.roles):
                raise Forbidden(C.ROLE_KIND, roles=author.roles, kind=rec.kind)
        if not verifier.verify(text, sig.sig):
            raise Unauthorized(C.BAD_SIGNATURE)
        if kind.min_audience and not ({kind.min_audience, "public"} & set(rec.audience.tokens)):
            raise Unprocessable(C.MIN_AUDIENCE, kind=rec.kind, audience=kind.min_audience, field="audience")
        for t in rec.audience.tokens:
            if t.startswith("party:"):
                slug = t[6:].partition("/")[0]
                if s.get(Party, slug) is None and not (rec.kind == "deployment.init" and slug == rec.party):
                    raise Unprocessable(C.AUDIENCE_PARTY, party=slug, field="audience")
        if rec.refs:
            # Earlier records of this batch are not inserted yet; ``known`` has them.
            pending = [r for r in rec.refs if r not in known]
            found = set(s.execute(select(LogEntry.record_hash).where(LogEntry.record_hash.in_(pending))).scalars()) \
                if pending else set()
            if len(found) != len(pending):
                raise Unprocessable(C.REF_UNKNOWN, field="refs")
        kind.apply(Context(session=s, record=rec, payload=payload, idx=idx, author=author, author_party=party,
                           local=sub.local or {}))


def _batch_error(exc: Exception) -> ParleyError:
    """What the submitters of a batch whose transaction failed are told: 507 for a full disk, 503 for a
    database that did not answer (each with Retry-After), else 409. Nothing of the batch was stored."""
    failure = storage_failure(exc)
    if failure == "full":
        return InsufficientStorage(C.DISK_FULL)
    if failure == "unavailable":
        return DatabaseUnavailable(C.DATABASE_DOWN)
    return Conflict(C.BATCH_FAILED)
