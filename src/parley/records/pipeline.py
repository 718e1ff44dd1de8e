"""The one write path. A signed record is verified, checked against its author's standing and the
current state, appended to the log and applied to the tables in one durable transaction, and only
then acknowledged with a receipt.

Submissions from many requests are gathered by one appender thread and committed together (group
commit), so each fsync acknowledges a batch; a refused record never affects the others in its batch
because each is applied inside its own savepoint.

What needs no state is done before the appender, on a few worker threads, in parallel: the stateless
checks (``precheck``), the payload's schema and the signature against the key the pipeline last saw
registered for that name and key id (Ed25519 in ``cryptography`` releases the GIL). Submissions keep
their order: the appender takes them from its queue in the order they were submitted and waits for each
to be prepared. It then only orders, checks state and writes: the author's key, membership and party are
read once per batch; the signature is checked again only if the key in the state is not the one it was
verified against (or it did not verify); the log's entries, nodes and staged rows are written with one
``executemany`` per table; the batch's receipt proofs are built in one pass. Every state check and its
refusal is as before, in log order.

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
import os
import queue
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Table, bindparam, select
from sqlalchemy.orm import Session, sessionmaker

from parley.db import on_commit_changing, storage_failure, writing
from parley.errors import (BadRequest, Code, Conflict, DatabaseUnavailable, Forbidden, InsufficientStorage,
                           ParleyError, TooLarge, Unauthorized, Unprocessable)
from parley.log import merkle
from parley.log import note as notes
from parley.log.models import LogCheckpoint, LogEntry, LogHead, LogNode
from parley.log.state import LogState, LogUnavailable, Released, StateError
from parley.log.store import DbNodes, NodeCache, b64, sign_checkpoint, tlog_proofs
from parley.parties.models import Member, MemberKey, Party
from parley.records import codes as C
from parley.records import sealing
from parley.records.format import MAX_RECORD_BYTES, RecordText, canonical_payload, record_hash
from parley.records.kinds import Context, DeploymentInit, Kind, Payload, parse_payload

log = logging.getLogger(__name__)
MAX_CLOCK_SKEW = timedelta(minutes=10)
LOG_ENTRY: Table = LogEntry.__table__  # type: ignore[assignment]
LOG_NODE: Table = LogNode.__table__  # type: ignore[assignment]
LOG_CHECKPOINT: Table = LogCheckpoint.__table__  # type: ignore[assignment]
_HEAD: Table = LogHead.__table__  # type: ignore[assignment]
HEAD_FOR_UPDATE = select(_HEAD.c.size).where(_HEAD.c.id == 1).with_for_update()
HEAD_SET = _HEAD.update().where(_HEAD.c.id == 1).values(size=bindparam("size"))
CHECKPOINT_AT = select(LOG_CHECKPOINT.c.root_hash, LOG_CHECKPOINT.c.note).where(
    LOG_CHECKPOINT.c.size == bindparam("size"))
ENTRY_SUBJECT: Table = sealing.EntrySubject.__table__  # type: ignore[assignment]
T = TypeVar("T")


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


def _held_lock() -> threading.Lock:
    lock = threading.Lock()
    lock.acquire()
    return lock


@dataclass
class Submission:
    note: bytes
    payload: Any
    replay: bool = False
    # A reconstructed history (the demo's 2022 records): its records keep their own times, far from the
    # log's clock, and are otherwise held to every rule a new record is (unlike a replay).
    historical: bool = False
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
    # Filled in by ``prepare`` (after ``precheck``), before the appender: the leaf hash, the payload parsed
    # against its kind's schema (or why it does not parse: raised in log order, after the author's checks),
    # and the public key the signature verified against, if any.
    leaf: bytes = b""
    parsed: Payload | ParleyError | None = None
    verified_with: bytes | None = None
    # Held until prepared (or refused by the stateless checks): the appender waits for it by acquiring it.
    ready: threading.Lock = field(default_factory=_held_lock)
    # Replay only: the payload as the source stored it (sealed, ``records.sealing``), stored again as it was.
    stored: str | None = None

    @property
    def destroyed(self) -> bool:
        """Replayed with its payload destroyed (``{"parley_destroyed":N,…}``): the note is appended as it was
        and nothing is applied, for the content is gone. The replayer checked that a later destroying record
        among those it replays claims it (``log.sealed.Destructions``)."""
        return self.replay and self.stored is not None and sealing.is_destroyed(self.stored)
    # Set by the appender: what ``log_entry.payload`` holds (the canonical payload, or it sealed) and the
    # data subjects it names.
    stored_as: str = ""
    subjects: Sequence[str] = ()


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
    canonical = b"" if sub.destroyed else canonical_payload(sub.payload)
    if not sub.destroyed and hashlib.sha256(canonical).hexdigest() != rec.payload_hash:
        raise Unprocessable(C.PAYLOAD_HASH, field="payload")
    if not (sub.replay or sub.historical):
        when = rec.when
        now = now or datetime.now(UTC)
        if abs(when - now) > MAX_CLOCK_SKEW:
            sub.late = Unprocessable(C.CLOCK_SKEW, time=rec.time, skew=str(MAX_CLOCK_SKEW), field="time")
    sub.record, sub.signature, sub.text, sub.canonical = rec, own[0], text, canonical
    sub.hash = record_hash(sub.note)


def prepare(sub: Submission, origin: str, kinds: Mapping[str, Kind],
            verifiers: Mapping[tuple[str, bytes], tuple[str, notes.Verifier]]) -> None:
    """``precheck``, then what else needs no state: the leaf hash, the payload's schema, and the signature
    against the verifier last seen registered for the author's name and key id (``verifiers``). A refusal
    by ``precheck`` completes the future; nothing else here refuses. Releases ``sub.ready`` in every case."""
    try:
        try:
            precheck(sub, origin, kinds)
        except ParleyError as exc:
            sub.future.set_exception(exc)
            return
        except Exception as exc:  # noqa: BLE001 — as submit_async raised it before: the caller's to see
            sub.future.set_exception(exc)
            return
        rec, sig = sub.record, sub.signature
        assert rec is not None and sig is not None
        sub.leaf = merkle.leaf_hash(sub.note)
        try:
            if not sub.destroyed:
                sub.parsed = parse_payload(kinds[rec.kind], json.loads(sub.canonical))
        except ParleyError as exc:
            sub.parsed = exc
        known = verifiers.get((rec.author, sig.key_id))
        if known is not None and known[1].verify(sub.text.encode(), sig.sig):
            sub.verified_with = known[1].public_key
    finally:
        sub.ready.release()


class Pipeline:
    """Owns appends to one log. ``submit`` is thread-safe and blocks until the record is durable."""

    def __init__(self, sessions: sessionmaker[Session], log_signer: notes.Signer, origin: str, *,
                 kinds: Mapping[str, Kind], batch: int = 512, cache: NodeCache | None = None, auto_publish: bool = True,
                 state: LogState | None = None, workers: int | None = None) -> None:
        self.sessions = sessions
        # The record kinds this log accepts, by name (``parley.assembly.kinds``: the spine's and every
        # capability's): their schemas, writers and ``apply``.
        self.kinds = kinds
        # What the log last released (``log/state.py``): every batch is checked against it and recorded
        # in it before any receipt. None only for a replay into a new database.
        self.state = state
        # Why the log refuses writes (a failed self-check, a database behind the state file), if it does.
        self.refusal: str | None = None
        self._refused_with: tuple[Code, dict[str, Any]] | None = None
        # Without a witness policy a checkpoint is published as soon as it is signed.
        self.auto_publish = auto_publish
        self.signer = log_signer
        self.origin = origin
        self.batch = batch
        self.cache = cache or NodeCache()
        self._queue: queue.SimpleQueue[Submission | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        # The verifier of each key the appender has read, by (name, key id), with the vkey it was made from:
        # read by the workers that verify before the appender, checked against the state by the appender.
        self._verifiers: dict[tuple[str, bytes], tuple[str, notes.Verifier]] = {}
        # Threads that prepare submissions (``prepare``) before the appender: one per core by default.
        self.workers = workers or min(8, os.cpu_count() or 1)
        self._prepare: queue.SimpleQueue[Submission | None] = queue.SimpleQueue()
        self._preparers: list[threading.Thread] = []
        # The authors' keys, members and parties the appender read, kept from one batch to the next
        # (``KeptRows``); forgotten when a batch changes one of them, or another writer moved the log.
        self._kept = KeptRows()
        on_commit_changing(sessions, KeptRows.MODELS, self._kept.forget)

    # -- public -------------------------------------------------------------------------------
    def refuse(self, reason: str, code: Code | None = None, **params: Any) -> None:
        """Refuse every write from now on (until the process restarts), saying why; with ``code`` (and its
        parameters) writes are refused with that code instead of ``log.refuses_writes``."""
        if self.refusal is None:
            log.error("the log refuses writes: %s", reason)
            self._refused_with = (code, params) if code is not None else None
            self.refusal = reason

    def _refusal_error(self) -> LogUnavailable:
        if self._refused_with is not None:
            code, params = self._refused_with
            return LogUnavailable(code, **params)
        return LogUnavailable(C.REFUSES_WRITES, why=str(self.refusal))

    def submit(self, note: bytes, payload: Any, *, timeout: float = 60.0,
               local: Mapping[str, Any] | None = None) -> Receipt:
        return self.submit_async(note, payload, local=local).result(timeout)

    def submit_async(self, note: bytes, payload: Any, *, replay: bool = False,
                     local: Mapping[str, Any] | None = None) -> Future[Receipt]:
        sub = Submission(note=note, payload=payload, replay=replay, local=local)
        self._ensure_thread()
        # Queued at once, so the appender takes submissions in the order they came; prepared in parallel.
        self._prepare.put(sub)
        self._queue.put(sub)
        return sub.future

    def submit_many(self, items: Iterable[tuple[bytes, Any] | tuple[bytes, Any, Mapping[str, Any] | None]
                                          | tuple[bytes, Any, Mapping[str, Any] | None, str | None]], *,
                    replay: bool = False, historical: bool = False) -> list[Receipt | ParleyError]:
        """Append in order, in batches, on the calling thread (loaders, replay, benchmarks). Each item is
        (note, payload), (note, payload, local data) or, replaying, (note, payload, None, the payload as the
        source stored it). ``historical``: records of a reconstructed history, whose times are their own."""
        subs: list[Submission] = []
        self._ensure_preparers()
        for note, payload, *rest in items:
            local = cast("Mapping[str, Any] | None", rest[0] if rest else None)
            stored = cast("str | None", rest[1] if len(rest) > 1 and replay else None)
            sub = Submission(note=note, payload=payload, replay=replay, local=local, stored=stored,
                             historical=historical)
            self._prepare.put(sub)
            subs.append(sub)
        for i in range(0, len(subs), self.batch):
            chunk = subs[i : i + self.batch]
            for sub in chunk:
                sub.ready.acquire()
            with self._lock:
                self._append([s for s in chunk if not s.future.done()])
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
        with self._lock:
            preparers, self._preparers = self._preparers, []
        for _ in preparers:
            self._prepare.put(None)
        for t in preparers:
            t.join()

    # -- the appender ----------------------------------------------------------------------------
    def _ensure_preparers(self) -> None:
        if not self._preparers:
            with self._lock:
                while len(self._preparers) < self.workers:
                    t = threading.Thread(target=self._prepare_loop, name="parley-prepare", daemon=True)
                    t.start()
                    self._preparers.append(t)

    def _prepare_loop(self) -> None:
        while (sub := self._prepare.get()) is not None:
            prepare(sub, self.origin, self.kinds, self._verifiers)

    def _ensure_thread(self) -> None:
        self._ensure_preparers()
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
            for sub in batch:  # in order; the later ones are being prepared meanwhile
                sub.ready.acquire()
            live = [s for s in batch if not s.future.done()]
            if live:
                with self._lock:
                    self._append(live)

    def _append(self, batch: Sequence[Submission]) -> None:
        try:
            if self.refusal is not None:
                raise self._refusal_error()
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
        destroys: list[tuple[int, list[str]]] = []
        signed: Released | None = None  # the checkpoint this batch signs
        with writing(self.sessions) as s:
            engine = s.get_bind()
            # Core statements for the batch's own bookkeeping (the head, the checkpoint before and after):
            # no ORM object to flush per batch.
            conn = s.connection()
            start = size = conn.execute(HEAD_FOR_UPDATE).scalar_one()
            nodes = DbNodes(s, self.cache, pending)
            prev = conn.execute(CHECKPOINT_AT, {"size": start}).one_or_none() if start else None
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
            staged: dict[Table, list[dict[str, Any]]] = {}
            # The authors' keys, members and parties read in this batch, each once. They are the session's
            # own objects (what ``Session.get`` returns), so a change an earlier record made is seen; and
            # held here, since the identity map holds them weakly. What was not found is read again.
            rows = BatchRows(s, self._kept.at(start))
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
                            ctx = self._check_and_apply(s, sub, size, known, rows)
                            s.flush()
                    else:
                        ctx = self._check_and_apply(s, sub, size, known, rows)
                except ParleyError as exc:
                    results.append((sub, exc, False))
                    continue
                for table, row in ctx.staged:
                    staged.setdefault(table, []).append(row)
                for subject in sub.subjects:
                    staged.setdefault(ENTRY_SUBJECT, []).append({"subject": subject, "idx": size})
                if ctx.destroys:
                    destroys.append((size, ctx.destroys))
                leaf = sub.leaf
                pending[(0, size)] = leaf
                for level, idx, h in merkle.appended_nodes(nodes, size, leaf):
                    pending[(level, idx)] = h
                    new_nodes.append({"level": level, "idx": idx, "hash": h})
                rec = sub.record
                assert rec is not None
                entries.append({"idx": size, "leaf_hash": leaf, "record_hash": sub.hash, "note": sub.note,
                                "kind": rec.kind, "author": rec.author, "party": rec.party, "time": rec.time,
                                "audience": rec.audience.text(), "payload": sub.stored_as,
                                "payload_hash": rec.payload_hash})
                known[sub.hash] = size
                results.append((sub, size, False))
                size += 1
            if entries:
                # Core executemany, one statement per table (the ORM's pending objects flush at commit).
                insert_rows(conn, LOG_ENTRY, entries)
                if new_nodes:
                    insert_rows(conn, LOG_NODE, new_nodes)
                for table, table_rows in staged.items():
                    insert_rows(conn, table, table_rows)
                for by, subjects in destroys:
                    destroy_entries(conn, by, subjects)
                root = merkle.root_hash(nodes, size)
                if prev is not None:
                    # Never sign a checkpoint inconsistent with the one before it (and so, by the check
                    # above, with the one released).
                    merkle.verify_consistency(start, size, merkle.consistency_proof(nodes, start, size),
                                              prev.root_hash, root)
                cp_note = sign_checkpoint(self.signer, self.origin, size, root)
                conn.execute(LOG_CHECKPOINT.insert(), {"size": size, "root_hash": root, "note": cp_note,
                                                       "created_at": datetime.now(UTC), "published": self.auto_publish})
                conn.execute(HEAD_SET, {"size": size})
                signed = Released(size, root, cp_note)
            else:  # duplicates only: their receipts are against the head's checkpoint
                cp_note = prev.note if prev is not None else b""
            # Every receipt's proof against the batch's checkpoint, built in one pass.
            indices = [res for _, res, _ in results if not isinstance(res, ParleyError)]
            proofs = iter(tlog_proofs(nodes, indices, size, cp_note)) if indices else iter(())
            checkpoint = cp_note.decode()
            receipts: list[tuple[Submission, Receipt | ParleyError]] = []
            for sub, res, dup in results:
                if isinstance(res, ParleyError):
                    receipts.append((sub, res))
                    continue
                receipts.append((sub, Receipt(
                    index=res, record_hash=sub.hash, leaf_hash=b64(sub.leaf), checkpoint=checkpoint,
                    proof=next(proofs), duplicate=dup,
                )))
        # Committed and durable. Record the checkpoint as released before anyone may hold it.
        self._kept.keep(rows, size)
        if self.state is not None and cp_note:
            try:
                self.state.advance(cp_note, signed=signed)
            except OSError as exc:
                # Stored but not released: the next append records it (the database is then ahead).
                log.error("the log's state file could not be written: %s", exc.strerror or type(exc).__name__)
                err = LogUnavailable(C.CHECKPOINT_NOT_RECORDED)
                for sub, _ in receipts:
                    sub.future.set_exception(err)
                return
        self.cache.update(pending)
        if destroys:
            try:
                sealing.forget_storage(engine)  # type: ignore[arg-type]
            except Exception as exc:  # noqa: BLE001 — committed: the next checkpoint or vacuum forgets it
                log.warning("storage not yet compacted after a destruction: %s", type(exc).__name__)
        for sub, outcome in receipts:
            if isinstance(outcome, ParleyError):
                sub.future.set_exception(outcome)
            else:
                sub.future.set_result(outcome)

    def _verifier(self, key: MemberKey, key_id: bytes) -> notes.Verifier:
        """The verifier of the key as the state has it now (made again if its vkey is not the cached one's)."""
        cached = self._verifiers.get((key.name, key_id))
        if cached is None or cached[0] != key.vkey:
            cached = self._verifiers[(key.name, key_id)] = (key.vkey, notes.Verifier.from_vkey(key.vkey))
        return cached[1]

    def _check_and_apply(self, s: Session, sub: Submission, idx: int, known: dict[str, int],
                         rows: BatchRows) -> Context:
        rec, sig = sub.record, sub.signature
        assert rec is not None and sig is not None
        kind = self.kinds[rec.kind]
        if isinstance(sub.parsed, ParleyError):
            raise sub.parsed
        payload = None if sub.destroyed else \
            sub.parsed if sub.parsed is not None else parse_payload(kind, json.loads(sub.canonical))
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
            key = rows.get(MemberKey, (sig.key_id.hex(), rec.author))
            if key is None:
                raise Unauthorized(C.NO_SIGNING_KEY, key=sig.key_id.hex(), author=rec.author)
            if key.revoked_idx is not None:
                raise Unauthorized(C.KEY_WAS_REVOKED, key=key.key_id, author=rec.author, index=key.revoked_idx)
            verifier = self._verifier(key, sig.key_id)
            author = rows.get(Member, rec.author)
            if author is None or not author.active:
                raise Forbidden(C.NOT_ACTIVE, author=rec.author)
            party = rows.get(Party, author.party)
            if not (author.role_set & kind.roles):
                raise Forbidden(C.ROLE_KIND, roles=author.roles, kind=rec.kind)
        # Verified before the appender against this very key, or verified now.
        if sub.verified_with != verifier.public_key and not verifier.verify(text, sig.sig):
            raise Unauthorized(C.BAD_SIGNATURE)
        if kind.min_audience and not ({kind.min_audience, "public"} & set(rec.audience.tokens)):
            raise Unprocessable(C.MIN_AUDIENCE, kind=rec.kind, audience=kind.min_audience, field="audience")
        for t in rec.audience.tokens:
            if t.startswith("party:"):
                slug = t[6:].partition("/")[0]
                if rows.get(Party, slug) is None and not (rec.kind == "deployment.init" and slug == rec.party):
                    raise Unprocessable(C.AUDIENCE_PARTY, party=slug, field="audience")
        if rec.refs:
            # Earlier records of this batch are not inserted yet; ``known`` has them.
            pending = [r for r in rec.refs if r not in known]
            found = set(s.execute(select(LogEntry.record_hash).where(LogEntry.record_hash.in_(pending))).scalars()) \
                if pending else set()
            if len(found) != len(pending):
                raise Unprocessable(C.REF_UNKNOWN, field="refs")
        ctx = Context(session=s, record=rec, payload=payload, idx=idx, author=author, author_party=party,
                      local=sub.local or {}, replay=sub.replay, objects=getattr(self.kinds, "objects", {}))
        if sub.destroyed:  # its author's standing and signature checked above; its content is gone
            assert sub.stored is not None
            sub.stored_as, sub.subjects = sub.stored, sorted(set(sealing.subjects_of(sub.stored)))
            return ctx
        kind.apply(ctx)
        sub.stored_as, sub.subjects = sub.canonical.decode(), ()
        if kind.subjects is not None:
            sub.subjects = sorted(set(kind.subjects(payload)))
            if sub.stored is not None:  # replayed as it was stored, under the keys carried over
                sub.stored_as = sub.stored
            elif sub.subjects:
                sub.stored_as = sealing.seal([self._data_key(s, subject, idx, rows) for subject in sub.subjects],
                                             sub.subjects, rec.payload_hash, sub.canonical)
        return ctx

    @staticmethod
    def _data_key(s: Session, subject: str, idx: int, rows: BatchRows) -> bytes:
        """The subject's key, made now if the subject is new; refused if it was destroyed."""
        row = rows.get(sealing.DataKey, subject)
        if row is None:
            row = sealing.DataKey(subject=subject, key=os.urandom(32), created_idx=idx)
            s.add(row)
            rows.put(sealing.DataKey, subject, row)
        if row.key is None:
            raise Conflict(C.SUBJECT_DESTROYED, subject=subject, index=row.destroyed_idx)
        return bytes(row.key)


def insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows that all have the same columns in one statement: ``executemany`` on SQLite (its driver
    loops in C); on PostgreSQL one ``INSERT … SELECT FROM unnest(…)`` of a typed array per column
    (psycopg's executemany sends a statement per row)."""
    if conn.dialect.name != "postgresql":
        if table is LOG_ENTRY or table is LOG_NODE:
            # The log's own rows hold integers, text and bytes only, which the driver binds as they are:
            # straight to its executemany, without SQLAlchemy's per-value processing.
            names = list(rows[0])
            q = conn.dialect.identifier_preparer
            sql = (f"INSERT INTO {q.format_table(table)} ({', '.join(q.quote(n) for n in names)}) "  # noqa: S608
                   f"VALUES ({', '.join('?' for _ in names)})")
            conn.exec_driver_sql(sql, [tuple(r[n] for n in names) for r in rows])
            return
        conn.execute(table.insert(), rows)
        return
    names = list(rows[0])
    q = conn.dialect.identifier_preparer
    types = [table.c[n].type.compile(dialect=conn.dialect) for n in names]
    # Only the table's own identifiers and column types are in the text; the values are parameters.
    columns = ", ".join(q.quote(n) for n in names)
    arrays = ", ".join(f"%s::{t}[]" for t in types)
    sql = f"INSERT INTO {q.format_table(table)} ({columns}) SELECT * FROM unnest({arrays})"  # noqa: S608
    conn.exec_driver_sql(sql, tuple([r[n] for r in rows] for n in names))


class KeptRows:
    """The authors' keys, members and parties the appender read, kept from one batch to the next, so a
    batch reads from the database only those it has not seen. Valid only while the log is where the last
    batch left it: every change to these rows is a record, so if another writer (another process on the
    same database) appended since, they are all forgotten (``at``). A batch that changes one of them
    forgets them all once it commits (``forget``, called by the sessions' commit hook), and so does a batch
    that fails (its ``keep`` never runs, and the next batch starts from a size it does not know)."""

    MODELS: tuple[type, ...] = (Member, MemberKey, Party)

    def __init__(self) -> None:
        self._rows: dict[tuple[type[Any], Any], Any] = {}
        self._size = -1
        self._changed = False

    def at(self, size: int) -> dict[tuple[type[Any], Any], Any]:
        """What is kept, for a batch that appends after ``size`` (nothing, if the log is not where it was)."""
        if size != self._size or self._changed:
            self._rows = {}
        self._changed = False
        self._size = -1  # until this batch keeps what it read
        return self._rows

    def keep(self, rows: BatchRows, size: int) -> None:
        if self._changed:
            self._rows, self._changed = {}, False
            return
        self._rows.update((k, v) for k, v in rows.read.items() if k[0] in self.MODELS)  # no data key, ever
        self._size = size

    def forget(self) -> None:
        self._changed = True


class BatchRows:
    """``Session.get`` for one batch, each row found read once and held until the batch ends. A row not
    found is looked for again next time (an earlier record of the batch may create it). The objects are the
    session's, so what an earlier record changed in them is seen (no apply deletes a member, key or party,
    nor changes one with a bulk statement). A row kept from an earlier batch (``KeptRows``) enters the
    session without a query (``Session.merge(load=False)``)."""

    def __init__(self, session: Session, kept: dict[tuple[type[Any], Any], Any] | None = None) -> None:
        self.session = session
        self.read: dict[tuple[type[Any], Any], Any] = {}
        self._kept = kept if kept is not None else {}

    def put(self, model: type[T], pk: Any, row: T) -> None:
        """A row this batch created (added to the session, flushed with its record)."""
        self.read[(model, pk)] = row

    def get(self, model: type[T], pk: Any) -> T | None:
        key = (model, pk)
        row: T | None = self.read.get(key)
        if row is None:
            kept = self._kept.get(key)
            row = self.session.merge(kept, load=False) if kept is not None else self.session.get(model, pk)
            if row is not None:
                self.read[key] = row
        return row


def destroy_entries(conn: Connection, by: int, subjects: Sequence[str]) -> None:
    """Store every entry that names one of ``subjects`` as destroyed by record ``by`` (its sealed payload, or a
    payload stored before sealing, is overwritten; the signed note stays)."""
    es = ENTRY_SUBJECT
    idxs = select(es.c.idx).where(es.c.subject.in_(list(subjects)))
    named: dict[int, list[str]] = {}
    for idx, subject in conn.execute(select(es.c.idx, es.c.subject).where(es.c.idx.in_(idxs))).all():
        named.setdefault(idx, []).append(subject)
    if named:  # one already destroyed (it names another destroyed subject too) keeps its first destroyer
        for idx in conn.execute(select(LOG_ENTRY.c.idx).where(LOG_ENTRY.c.idx.in_(list(named)),
                                                              LOG_ENTRY.c.payload.startswith(sealing.DESTROYED_PREFIX))
                                ).scalars():
            named.pop(idx)
    if named:
        conn.execute(LOG_ENTRY.update().where(LOG_ENTRY.c.idx == bindparam("i")).values(payload=bindparam("p")),
                     [{"i": i, "p": sealing.destroyed_marker(by, sorted(subj))} for i, subj in sorted(named.items())])


def _batch_error(exc: Exception) -> ParleyError:
    """What the submitters of a batch whose transaction failed are told: 507 for a full disk, 503 for a
    database that did not answer (each with Retry-After), else 409. Nothing of the batch was stored."""
    failure = storage_failure(exc)
    if failure == "full":
        return InsufficientStorage(C.DISK_FULL)
    if failure == "unavailable":
        return DatabaseUnavailable(C.DATABASE_DOWN)
    return Conflict(C.BATCH_FAILED)
