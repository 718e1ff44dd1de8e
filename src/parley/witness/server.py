"""The witness's HTTP face: C2SP tlog-witness ``POST /add-checkpoint`` and a public ``GET /``.

The request is ``old <size>``, the consistency proof lines, a blank line and the checkpoint note.
The witness checks the log's signature (404 unknown origin, 403 no trusted signature), that ``old``
is the size it last cosigned (else 409 with that size as ``text/x.tlog.size``), that the checkpoint
does not shrink (400), and the consistency proof from its tree to the new one (else 422; a different
root at the same size is 409). It commits the new state to disk and only then answers with its
cosignature. Refused requests that carry a valid log signature are kept as evidence.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from parley.log import merkle
from parley.log.checkpoint import Checkpoint, CheckpointError
from parley.log.note import NoteError, open_note, parse_note
from parley.witness.store import LogState, WitnessStore

MAX_BODY = 64 * 1024
MAX_PROOF_LINES = 63
SIZE_TYPE = "text/x.tlog.size"


class _Refusal(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None, body: str | None = None,
                 *, evidence: bool = False):
        super().__init__(message)
        self.status, self.message, self.headers, self.body = status, message, headers or {}, body
        # True when the log signed something inconsistent with what this witness cosigned.
        self.evidence = evidence


def _conflict(size: int, message: str) -> _Refusal:
    return _Refusal(409, message, {"Content-Type": SIZE_TYPE}, f"{size}\n")


def _decimal(s: str) -> int | None:
    # ASCII digits only (str.isdigit accepts other scripts), no leading zeroes.
    if not s or len(s) > 20 or not s.isascii() or not s.isdigit() or (s != "0" and s[0] == "0"):
        return None
    return int(s)


def parse_request(body: bytes) -> tuple[int, list[bytes], bytes]:
    """Split an add-checkpoint body into (old size, proof hashes, checkpoint note bytes)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Refusal(400, "body is not UTF-8") from exc
    head, sep, note = text.partition("\n\n")
    if not sep or not note:
        raise _Refusal(400, "body needs 'old <size>', proof lines, a blank line and a checkpoint")
    lines = head.split("\n")
    old = _decimal(lines[0][4:]) if lines[0].startswith("old ") else None
    if old is None:
        raise _Refusal(400, "the first line must be 'old <size>'")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise _Refusal(400, "too many proof lines")
    try:
        proof = [base64.b64decode(x, validate=True) for x in lines[1:]]
    except (binascii.Error, ValueError) as exc:
        raise _Refusal(400, "malformed proof line") from exc
    if any(len(p) != merkle.HASH_SIZE for p in proof):
        raise _Refusal(400, "proof hashes must be 32 bytes")
    return old, proof, note.encode()


def add_checkpoint(store: WitnessStore, body: bytes, now: Callable[[], float]) -> str:
    """Check one request and, if it passes, advance the state durably; returns the cosignature line."""
    old, proof, note = parse_request(body)
    try:
        text, _ = parse_note(note)
        cp = Checkpoint.parse(text)
    except (NoteError, CheckpointError) as exc:
        raise _Refusal(400, f"malformed checkpoint note: {exc}") from exc
    state = store.get(cp.origin)
    if state is None:
        raise _Refusal(404, f"unknown log {cp.origin!r}")
    try:
        open_note(note, state.verifiers)  # unknown keys are ignored; a bad signature by a known key fails
    except NoteError as exc:
        raise _Refusal(403, f"checkpoint is not signed by the log's key: {exc}") from exc
    try:
        return _advance(store, state, old, proof, cp, text, now)
    except _Refusal as r:
        if r.evidence:
            store.record_refusal(cp.origin, r.status, r.message, body)
        raise


def _advance(store: WitnessStore, state: LogState, old: int, proof: list[bytes], cp: Checkpoint, text: str,
             now: Callable[[], float]) -> str:
    if old > cp.size:
        raise _Refusal(400, f"old size {old} is larger than the checkpoint's size {cp.size}")
    if old != state.size:
        raise _conflict(state.size, f"old size {old} is not the size this witness last cosigned ({state.size})")
    if cp.size == 0 and cp.root_hash != merkle.EMPTY_ROOT:
        raise _Refusal(422, "an empty tree has the empty root", evidence=True)
    if old == 0:
        if proof:
            raise _Refusal(422, "a proof from size 0 must be empty")
    elif cp.size == old:
        if cp.root_hash != state.root:
            # Plain 409, not a size: retrying with another old size cannot help a fork.
            raise _Refusal(409, "same size, different root: this is a fork and the witness refuses it",
                           evidence=True)
        if proof:
            raise _Refusal(422, "a proof between equal sizes must be empty")
    else:
        try:
            merkle.verify_consistency(old, cp.size, proof, state.root or b"", cp.root_hash)
        except merkle.ProofError as exc:
            raise _Refusal(422, f"consistency proof fails: {exc}", evidence=True) from exc
    if not store.advance(cp.origin, state.size, state.root, cp.size, cp.root_hash):
        # Another request moved the state between our read and our write: the client retries.
        current = store.get(cp.origin)
        raise _conflict(current.size if current else 0, "the witness state moved meanwhile")
    return store.cosigner.cosign(text, int(now())).line()


class LogSeen(BaseModel):
    origin: str
    size: int  # the last size cosigned
    vkeys: list[str]
    root_hash: str | None


class About(BaseModel):
    name: str
    vkey: str  # the witness's verifier key
    logs: list[LogSeen]


def _text(why: str, media_type: str = "text/plain") -> dict[str, Any]:
    return {"description": why, "content": {media_type: {"schema": {"type": "string"}}}}


# What ``POST /add-checkpoint`` answers (C2SP tlog-witness): text, never JSON.
ADD_CHECKPOINT: dict[int | str, dict[str, Any]] = {
    200: _text("the witness's cosignature line"),
    400: _text("a malformed request"),
    403: _text("the log's signature does not verify"),
    404: _text("a log the witness does not know"),
    409: {"description": "``old`` is not the size last cosigned (the body is that size), or a fork",
          "content": {SIZE_TYPE: {"schema": {"type": "string"}}, "text/plain": {"schema": {"type": "string"}}}},
    413: _text("the request is too large"),
    422: _text("the consistency proof fails"),
}


def create_witness_app(store: WitnessStore, *, clock: Callable[[], float] = time.time) -> FastAPI:
    app = FastAPI(title=f"Parley witness {store.name}", docs_url=None, redoc_url=None, openapi_url=None)

    # The body is read by hand (``old SIZE``, proof lines, the checkpoint), so it is described here.
    @app.post("/add-checkpoint", response_class=PlainTextResponse, responses=ADD_CHECKPOINT,
              openapi_extra={"requestBody": {"required": True, "content": {"text/plain": {"schema": {
                  "type": "string", "maxLength": MAX_BODY}}}}})
    async def add(request: Request) -> Response:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            return PlainTextResponse("request too large\n", status_code=413)
        chunks, total = [], 0
        async for chunk in request.stream():
            total += len(chunk)
            if total > MAX_BODY:
                return PlainTextResponse("request too large\n", status_code=413)
            chunks.append(chunk)
        try:
            # Signature checks and the fsync'd commit block: keep them off the event loop.
            line = await run_in_threadpool(add_checkpoint, store, b"".join(chunks), clock)
        except _Refusal as r:
            if r.body is not None:
                return Response(r.body, status_code=r.status, headers=r.headers)
            return PlainTextResponse(r.message + "\n", status_code=r.status)
        return PlainTextResponse(line)

    @app.get("/", response_model=About)
    def about() -> JSONResponse:
        return JSONResponse({"name": store.name, "vkey": store.vkey(),
                             "logs": [{"origin": s.origin, "size": s.size, "vkeys": list(s.vkeys),
                                       "root_hash": base64.b64encode(s.root).decode() if s.root else None}
                                      for s in store.logs()]})

    return app
