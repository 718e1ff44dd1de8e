"""The log's HTTP face: C2SP tlog-tiles under ``/log/`` (checkpoint, verifier key, hash tiles for every
member, entry bundles for readers of every record) and JSON under ``/api/log/`` for records the caller
may read, with inclusion proofs, consistency proofs and the checkpoints with their cosignatures."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import select

from parley.apischema import READ, answer, media, refusals
from parley.auth import CurrentPrincipal, CurrentRuntime, DbSession, Principal
from parley.db import MAX_DB_INT
from parley.errors import BadRequest, Forbidden, NotFound
from parley.log import merkle, tiles
from parley.log.models import LogCheckpoint, LogEntry, LogNode
from parley.records import codes as C
from parley.log.store import (DbNodes, b64, checkpoint_with_cosignatures, cosigners_by_size, latest_checkpoint,
                               proof_checkpoint, released_size, tlog_proof)
from parley.records import sealing
from parley.records.policy import ReadPolicy, may_read_bundles

router = APIRouter()
IMMUTABLE = "public, max-age=31536000, immutable"
NOTE = "text/plain"  # UTF-8


class Destruction(BaseModel):
    by: int  # the index of the person.destroy record
    subjects: list[str]


class DataKeyRow(BaseModel):
    subject: str
    key: str | None  # base64; null once destroyed
    created_idx: int
    destroyed_idx: int | None


class DataKeys(BaseModel):
    keys: list[DataKeyRow]
    next: str | None  # the subject the following page starts after


class LogRecord(BaseModel):
    """A record as stored: its signed text (``note``), the fields of its header and its payload — parsed, or
    with ``payload=canonical`` the stored RFC 8785 text (``payload_canonical``)."""
    index: int
    record_hash: str
    note: str
    kind: str
    author: str
    party: str
    time: str
    audience: str
    payload: Any = None
    payload_canonical: str | None = None
    # A payload whose data subject was destroyed (``records.sealing``): no payload, and the destroying record.
    destroyed: Destruction | None = None
    # With ``payload=sealed``: the payload as stored (sealed under its subjects' keys), what a mirror keeps.
    payload_stored: str | None = None


class RecordPage(BaseModel):
    records: list[LogRecord]
    next: int | None  # where the following page starts; null at the end of the log (or of the range asked)
    size: int


class ProvenRecord(LogRecord):
    leaf_hash: str
    checkpoint_size: int
    proof: str  # C2SP tlog-proof, to the checkpoint of ``checkpoint_size``


class Consistency(BaseModel):
    old: int
    new: int
    proof: list[str]


class CheckpointRow(BaseModel):
    size: int
    root_hash: str
    published: bool
    created_at: str
    cosigned_by: list[str]
    note: str


class Checkpoints(BaseModel):
    checkpoints: list[CheckpointRow]


class Health(BaseModel):
    """200 while the log accepts writes, 503 (the same body) once it refuses them."""
    status: str  # ok, unchecked or refusing_writes
    writes: str  # accepted or refused
    refusal: str | None
    released_size: int | None
    self_check_running: bool
    last_check: dict[str, Any] | None  # the last self-check's report


def published(s: DbSession) -> LogCheckpoint:
    cp = latest_checkpoint(s, published=True)
    if cp is None:
        raise NotFound(C.NO_CHECKPOINT)
    return cp


@router.get("/log/checkpoint", response_class=Response, tags=["log"],
            responses=media(NOTE, "the checkpoint, a C2SP signed note with the witnesses' cosignatures", 401, 404, 503))
def get_checkpoint(s: DbSession, _: CurrentPrincipal) -> Response:
    cp = published(s)
    return Response(checkpoint_with_cosignatures(s, cp), media_type="text/plain; charset=utf-8",
                    headers={"Cache-Control": "no-store"})


@router.get("/log/key", response_class=Response, tags=["log"],
            responses=media(NOTE, "the log's verifier key, name+keyid+base64", 401))
def get_log_key(rt: CurrentRuntime, _: CurrentPrincipal) -> Response:
    return Response(rt.log_signer.vkey() + "\n", media_type="text/plain; charset=utf-8")


@router.get("/log/tile/{path:path}", tags=["log"], response_class=Response,
            responses=media("application/octet-stream", "a C2SP tlog-tiles hash tile or entry bundle", *READ, 403, 404,
                            schema={"type": "string", "format": "binary"}))
def get_tile(path: str, s: DbSession, rt: CurrentRuntime, who: CurrentPrincipal) -> Response:
    try:
        ref = tiles.parse_tile_path("tile/" + path)
    except ValueError as exc:
        raise NotFound(C.NO_TILE, why=str(exc)) from exc
    size = published(s).size
    width = ref.width or tiles.TILE_WIDTH
    start = ref.n * tiles.TILE_WIDTH
    if ref.level < 0:
        if not may_read_bundles(who):
            raise Forbidden(C.BUNDLES_AUDITORS)
        if start + width > size:
            raise NotFound(C.BEYOND_TREE)
        notes = s.execute(
            select(LogEntry.note).where(LogEntry.idx >= start, LogEntry.idx < start + width).order_by(LogEntry.idx)
        ).scalars().all()
        body = tiles.encode_entry_bundle(notes)
    else:
        if start + width > size >> (ref.level * tiles.TILE_HEIGHT):
            raise NotFound(C.BEYOND_TREE)
        body = _hash_tile(s, ref.level, start, width)
    headers = {"Cache-Control": IMMUTABLE} if ref.width is None else {}
    return Response(body, media_type="application/octet-stream", headers=headers)


@router.get("/log/payloads/{path:path}", tags=["log"], response_class=Response,
            responses=media("application/octet-stream", "a payload bundle: the payloads of an entry bundle's "
                            "records as stored (canonical JSON, sealed, or destroyed), each with a big-endian "
                            "uint32 length", *READ, 403, 404,
                            schema={"type": "string", "format": "binary"}))
def get_payloads(path: str, s: DbSession, rt: CurrentRuntime, who: CurrentPrincipal) -> Response:
    """For the log's mirrors (``parley mirror``): what an entry bundle's records commit to by hash, as stored
    (``records.sealing``: personal payloads sealed, destroyed ones as the marker; with the keys from
    ``/api/log/data-keys`` a mirror opens and checks them), so that a mirror's copy can rebuild every table (a
    restore from it). Read by the members ``PARLEY_MIRROR_MEMBERS`` names, each a mediator's auditor."""
    try:
        ref = tiles.parse_payload_path("payloads/" + path)
    except ValueError as exc:
        raise NotFound(C.NO_TILE, why=str(exc)) from exc
    mirrors = {m.strip() for m in rt.settings.mirror_members.split(",") if m.strip()}
    if who.member not in mirrors or not may_read_bundles(who):
        raise Forbidden(C.PAYLOADS_MIRRORS)
    size = published(s).size
    width = ref.width or tiles.TILE_WIDTH
    start = ref.n * tiles.TILE_WIDTH
    if start + width > size:
        raise NotFound(C.BEYOND_TREE)
    payloads = s.execute(
        select(LogEntry.payload).where(LogEntry.idx >= start, LogEntry.idx < start + width).order_by(LogEntry.idx)
    ).scalars().all()
    headers = {"Cache-Control": "private, max-age=31536000, immutable"} if ref.width is None else {}
    return Response(tiles.encode_payload_bundle([p.encode() for p in payloads]), media_type="application/octet-stream",
                    headers=headers)


def _hash_tile(s: DbSession, level: int, start: int, width: int) -> bytes:
    """A hash tile straight from the stored nodes: one range read (tiles.hash_tile is the reference)."""
    if level == 0:
        q = select(LogEntry.leaf_hash).where(LogEntry.idx >= start, LogEntry.idx < start + width).order_by(LogEntry.idx)
    else:
        q = (select(LogNode.hash).where(LogNode.level == level * tiles.TILE_HEIGHT, LogNode.idx >= start,
                                        LogNode.idx < start + width).order_by(LogNode.idx))
    hashes = s.execute(q).scalars().all()
    if len(hashes) != width:
        raise NotFound(C.TILE_NODES)
    return b"".join(hashes)


# A record's columns as listed: read as plain rows, not ORM objects, which cost several times as much per
# record in a listing of thousands.
LISTED = (LogEntry.idx, LogEntry.record_hash, LogEntry.note, LogEntry.kind, LogEntry.author, LogEntry.party,
          LogEntry.time, LogEntry.audience, LogEntry.payload, LogEntry.payload_hash)


def record_json(row: Any, opener: sealing.Opener, payload: str = "json") -> dict[str, Any]:
    """A record as served, from a ``LogEntry`` or a row of its ``LISTED`` columns: ``payload`` json
    (parsed), canonical (the RFC 8785 text its author signed, so hashing those exact bytes checks it) or
    sealed (as stored: what a mirror keeps, ``records.sealing``)."""
    # A row unpacked as a tuple: several times faster than reading its columns by name, for a listing of thousands.
    values = tuple(getattr(row, c.key) for c in LISTED) if isinstance(row, LogEntry) else row
    idx, record_hash, note, kind, author, party, at, audience, stored, payload_hash = values
    out: dict[str, Any] = {"index": idx, "record_hash": record_hash, "note": note.decode(), "kind": kind,
                           "author": author, "party": party, "time": at, "audience": audience}
    if payload == "sealed":
        out["payload_stored"] = stored
        return out
    text, by = opener.open(stored, payload_hash)
    if text is None:
        out["payload_canonical" if payload == "canonical" else "payload"] = None
        out["destroyed"] = {"by": by, "subjects": sealing.subjects_of(stored)}
    elif payload == "canonical":
        out["payload_canonical"] = text
    else:
        out["payload"] = json.loads(text)
    return out


def readable(policy: ReadPolicy, who: Principal, row: Any) -> bool:
    """May ``who`` read the signed record itself, payload and all (``ReadPolicy.may_read_record``, over
    every kind the log accepts: ``Runtime.policy``)?"""
    return policy.may_read_record(who, row.kind, row.audience, row.party)


@router.get("/api/log/records", tags=["log"], response_model=RecordPage, responses=refusals(*READ))
def list_records(s: DbSession, rt: CurrentRuntime, who: CurrentPrincipal,
                 start: Annotated[int, Query(ge=0, le=MAX_DB_INT)] = 0,
                 limit: Annotated[int, Query(ge=1, le=5000)] = 500,
                 kind: Annotated[str | None, Query(max_length=64)] = None,
                 payload: Annotated[str, Query(pattern="^(json|canonical|sealed)$")] = "json",
                 end: Annotated[int | None, Query(ge=1, le=MAX_DB_INT)] = None) -> Response:
    """The records ``who`` may read from ``start`` on, at most ``limit``, and below ``end`` if given (an
    auditor reading the log in ranges: ``next`` is null once the range is listed)."""
    cp = latest_checkpoint(s)
    size = cp.size if cp else 0
    total = size if end is None else min(size, end)
    out: list[dict[str, Any]] = []
    pos = start
    scanned = 0
    opener = sealing.Opener(s)
    may: dict[tuple[str, str, str], bool] = {}  # the read policy's answer by kind, audience and party
    # Scan in chunks so a reader of few records cannot make one request walk the whole log.
    while pos < total and len(out) < limit and scanned < 50_000:
        q = select(*LISTED).where(LogEntry.idx >= pos).order_by(LogEntry.idx).limit(limit)
        if end is not None:
            q = q.where(LogEntry.idx < total)
        if kind:
            q = q.where(LogEntry.kind == kind)
        rows = s.connection().execute(q).all()  # plain rows, not through the ORM's loading: a third of the cost
        if not rows:
            pos = total
            break
        if payload != "sealed":
            opener.preload(r[8] for r in rows)  # the stored payloads
        for row in rows:
            pos = row[0] + 1
            scanned += 1
            key = (row[3], row[7], row[5])  # kind, audience, party (by position: the cheapest way to read a row)
            ok = may.get(key)
            if ok is None:
                ok = may[key] = rt.policy.may_read_record(who, *key)  # as readable()
            if ok:
                out.append(record_json(row, opener, payload))
                if len(out) == limit:
                    break
    return answer({"records": out, "next": pos if pos < total else None, "size": size})


@router.get("/api/log/records/{index}", tags=["log"], response_model=ProvenRecord, responses=refusals(*READ, 404))
def get_record(index: Annotated[int, Path(ge=0, le=MAX_DB_INT)], s: DbSession, rt: CurrentRuntime,
               who: CurrentPrincipal) -> Response:
    row = s.get(LogEntry, index)
    if row is None or not readable(rt.policy, who, row):
        raise NotFound(C.NO_RECORD, index=index)
    cp = proof_checkpoint(s, index)
    out = record_json(row, sealing.Opener(s))
    out["leaf_hash"] = b64(row.leaf_hash)
    out["checkpoint_size"] = cp.size
    out["proof"] = tlog_proof(DbNodes(s, rt.cache), index, cp.size, checkpoint_with_cosignatures(s, cp))
    return answer(out)


@router.get("/api/log/data-keys", tags=["log"], response_model=DataKeys, responses=refusals(*READ, 403))
def list_data_keys(s: DbSession, who: CurrentPrincipal, after: Annotated[str, Query(max_length=100)] = "",
                   limit: Annotated[int, Query(ge=1, le=5000)] = 1000) -> Response:
    """The data subjects' keys (``records.sealing``), for a mirror: read by a mediator's auditors, who read every
    record. A mirror keeps them apart from the sealed payloads and deletes a key as soon as it sees it
    destroyed here or a ``person.destroy`` record naming its subject."""
    if not may_read_bundles(who):
        raise Forbidden(C.BUNDLES_AUDITORS)
    rows = s.execute(select(sealing.DataKey).where(sealing.DataKey.subject > after)
                     .order_by(sealing.DataKey.subject).limit(limit)).scalars().all()
    keys = [{"subject": k.subject, "key": b64(k.key) if k.key is not None else None, "created_idx": k.created_idx,
             "destroyed_idx": k.destroyed_idx} for k in rows]
    return answer({"keys": keys, "next": rows[-1].subject if len(rows) == limit else None})


@router.get("/api/log/consistency", tags=["log"], response_model=Consistency, responses=refusals(*READ, 400))
def get_consistency(s: DbSession, rt: CurrentRuntime, _: CurrentPrincipal,
                    old: Annotated[int, Query(ge=1, le=MAX_DB_INT)],
                    new: Annotated[int, Query(ge=1, le=MAX_DB_INT)]) -> Response:
    cp = latest_checkpoint(s)
    if old > new or cp is None or new > cp.size:
        raise BadRequest(C.CONSISTENCY_RANGE)
    proof = merkle.consistency_proof(DbNodes(s, rt.cache), old, new)
    return answer({"old": old, "new": new, "proof": [b64(h) for h in proof]})


@router.get("/api/log/checkpoints", tags=["log"], response_model=Checkpoints, responses=refusals(*READ))
def list_checkpoints(s: DbSession, _: CurrentPrincipal, published_only: bool = False,
                     limit: Annotated[int, Query(ge=1, le=500)] = 50,
                     before: Annotated[int | None, Query(ge=1, le=MAX_DB_INT)] = None) -> Response:
    q = select(LogCheckpoint).order_by(LogCheckpoint.size.desc()).limit(limit)
    if published_only:
        q = q.where(LogCheckpoint.published.is_(True))
    if before:
        q = q.where(LogCheckpoint.size < before)
    released = released_size(s)
    if released is not None:  # a checkpoint committed but not yet in the state file is not shown yet
        q = q.where(LogCheckpoint.size <= released)
    cps = s.execute(q).scalars().all()
    cosigs = cosigners_by_size(s, [c.size for c in cps])
    return answer({"checkpoints": [{"size": c.size, "root_hash": b64(c.root_hash), "published": c.published,
                                    "created_at": c.created_at.isoformat(), "cosigned_by": cosigs.get(c.size, []),
                                    "note": checkpoint_with_cosignatures(s, c).decode()} for c in cps]})


# -- the log's own health (log/selfcheck.py) -----------------------------------------------------------------

@router.get("/api/health", tags=["log"], response_model=Health,
            responses={503: {"model": Health, "description": "the log refuses writes, and why"}, **refusals(401)})
def health(rt: CurrentRuntime, _: CurrentPrincipal) -> Response:
    """The log's health, for members and their monitors (an API token): 200 while it accepts writes, 503
    once it refuses them (a failed self-check, a database behind what the log released), with the reason,
    the last self-check's report and the size last released."""
    refusal = rt.pipeline.refusal
    last = rt.integrity.last if rt.integrity is not None else None
    status = "refusing_writes" if refusal else ("ok" if last is not None and last.ok else "unchecked")
    released = None
    if rt.state is not None:
        try:
            released = rt.state.released_size()
        except RuntimeError:
            released = None
    body = {"status": status, "writes": "refused" if refusal else "accepted", "refusal": refusal,
            "released_size": released, "self_check_running": bool(rt.integrity and rt.integrity.running),
            "last_check": last.as_dict() if last is not None else None}
    return Response(json.dumps(body), status_code=503 if refusal else 200, media_type="application/json",
                    headers={"Cache-Control": "no-store"})
