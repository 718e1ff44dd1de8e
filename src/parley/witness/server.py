"""The witness's HTTP face: C2SP tlog-witness ``POST /add-checkpoint``.

The request is ``old <size>``, the consistency proof lines, a blank line and the checkpoint note.
The witness checks the log's signature, that ``old`` is the size it last cosigned (else 409 with its
size), and the consistency proof from that tree to the new one (else 422); it stores the new state
durably and only then answers with its cosignature.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from parley.log import merkle
from parley.log.checkpoint import Checkpoint, CheckpointError
from parley.log.note import NoteError, open_note
from parley.witness.store import WitnessStore

MAX_BODY = 64 * 1024


class _Refusal(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None, body: str | None = None):
        self.status, self.message, self.headers, self.body = status, message, headers or {}, body


def parse_request(body: bytes) -> tuple[int, list[bytes], bytes]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Refusal(400, "body is not UTF-8") from exc
    head, sep, note = text.partition("\n\n")
    if not sep or not note:
        raise _Refusal(400, "body needs 'old <size>', proof lines, a blank line and a checkpoint")
    lines = head.split("\n")
    first = lines[0]
    if not first.startswith("old ") or not first[4:].isdigit() or (first[4:] != "0" and first[4:].startswith("0")):
        raise _Refusal(400, "the first line must be 'old <size>'")
    if len(lines) - 1 > 63:
        raise _Refusal(400, "too many proof lines")
    try:
        proof = [base64.b64decode(x, validate=True) for x in lines[1:]]
    except (binascii.Error, ValueError) as exc:
        raise _Refusal(400, "malformed proof line") from exc
    if any(len(p) != merkle.HASH_SIZE for p in proof):
        raise _Refusal(400, "proof hashes must be 32 bytes")
    return int(first[4:]), proof, note.encode()


def add_checkpoint(store: WitnessStore, body: bytes, now: Callable[[], float]) -> str:
    old, proof, note = parse_request(body)
    try:
        text = note.decode().split("\n\n", 1)[0] + "\n"
        origin = text.split("\n", 1)[0]
    except UnicodeDecodeError as exc:
        raise _Refusal(400, "checkpoint is not UTF-8") from exc
    state = store.get(origin)
    if state is None:
        raise _Refusal(404, f"unknown log {origin!r}")
    try:
        text, _, _ = open_note(note, state.verifiers)
        cp = Checkpoint.parse(text)
    except NoteError as exc:
        raise _Refusal(403, f"checkpoint is not signed by the log's key: {exc}") from exc
    except CheckpointError as exc:
        raise _Refusal(400, f"malformed checkpoint: {exc}") from exc
    if old != state.size:
        raise _Refusal(409, f"old size {old} is not the size this witness last cosigned ({state.size})",
                       {"Content-Type": "text/x.tlog.size"}, f"{state.size}\n")
    if cp.size < old:
        raise _Refusal(400, "the checkpoint is smaller than the old size")
    if old == 0:
        if proof:
            raise _Refusal(422, "a proof from size 0 must be empty")
    elif cp.size == old:
        if proof or cp.root_hash != state.root:
            raise _Refusal(409 if cp.root_hash != state.root else 422,
                           "same size, different root: this is a fork and the witness refuses it")
    else:
        try:
            merkle.verify_consistency(old, cp.size, proof, state.root or b"", cp.root_hash)
        except merkle.ProofError as exc:
            raise _Refusal(422, f"consistency proof fails: {exc}") from exc
    if not store.advance(origin, old, cp.size, cp.root_hash):
        current = store.get(origin)
        size = current.size if current else 0
        raise _Refusal(409, "the witness state moved meanwhile", {"Content-Type": "text/x.tlog.size"}, f"{size}\n")
    return store.cosigner.cosign(text, int(now())).line()


def create_witness_app(store: WitnessStore, *, clock: Callable[[], float] = time.time) -> FastAPI:
    app = FastAPI(title=f"Parley witness {store.name}", docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/add-checkpoint")
    async def add(request: Request) -> Response:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            return PlainTextResponse("request too large\n", status_code=413)
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return PlainTextResponse("request too large\n", status_code=413)
        try:
            line = add_checkpoint(store, body, clock)
        except _Refusal as r:
            return Response(r.body if r.body is not None else r.message + "\n", status_code=r.status,
                            headers=r.headers, media_type=None if r.headers else "text/plain")
        return PlainTextResponse(line)

    @app.get("/")
    def about() -> JSONResponse:
        return JSONResponse({"name": store.name, "vkey": store.vkey(),
                             "logs": [{"origin": s.origin, "size": s.size} for s in store.logs()]})

    return app
