"""Submitting records over HTTP: either a note the client signed with its own key, or a payload the
server signs with the member's custodial key. Both go through the one pipeline and answer with a receipt
only after the record is durable."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from parley.auth import CurrentPrincipal, CurrentRuntime, DbSession, Principal
from parley.db import release
from parley.errors import Forbidden, Unavailable, Unprocessable
from parley.parties.credentials import custody_signer
from parley.records.compose import compose
from parley.records.format import MAX_RECORD_BYTES
from parley.records.pipeline import Receipt
from parley.runtime import Runtime

router = APIRouter(prefix="/api", tags=["records"])
# How long a request waits for the appender before answering 503 (the record may still be appended:
# submitting the same signed record again answers its receipt).
SUBMIT_TIMEOUT = 60.0


class SignedRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Annotated[str, Field(max_length=MAX_RECORD_BYTES * 2)]
    payload: Any


class Action(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Annotated[str, Field(max_length=64)]
    audience: Annotated[list[str], Field(min_length=1, max_length=64)]
    payload: Any
    refs: Annotated[list[str], Field(max_length=64)] = []


def _answer(receipt: Receipt) -> JSONResponse:
    return JSONResponse(receipt.as_dict(), status_code=200 if receipt.duplicate else 201)


@router.post("/records", status_code=201)
async def submit_record(body: SignedRecord, rt: CurrentRuntime, who: CurrentPrincipal) -> JSONResponse:
    note = body.note.encode()
    # The token says who is sending; the signature says who is stating. They must be the same member.
    try:
        author = note.split(b"\nauthor ", 1)[1].split(b"\n", 1)[0].decode()
    except (IndexError, UnicodeDecodeError):
        author = ""
    if author and author != who.member:
        raise Forbidden("a member may only submit records they authored")
    # The stateless checks (parse, canonical payload, hash) run on a worker thread, not the event loop.
    receipt = await receipt_of(await run_in_threadpool(rt.pipeline.submit_async, note, body.payload))
    return _answer(receipt)


async def receipt_of(future: Future) -> Receipt:
    """Wait for the appender on the event loop: no thread and no database connection is held meanwhile.
    A client that goes away does not cancel the submission (shield): the appender still answers it."""
    answer = asyncio.wrap_future(future)
    # Read the outcome even when nobody waits any more, so it is not logged as "never retrieved".
    answer.add_done_callback(lambda f: f.cancelled() or f.exception())
    try:
        return await asyncio.wait_for(asyncio.shield(answer), SUBMIT_TIMEOUT)
    except asyncio.TimeoutError:
        raise Unavailable("the log did not confirm the record in time; it may still be appended: "
                          "submit the same record again for its receipt") from None


def sign(rt: Runtime, s: Session, who: Principal, kind: str, audience: list[str], payload: Any,
         refs: Sequence[str] = ()) -> bytes:
    """The record, signed with the member's custodial key; ``s``'s transaction is ended afterwards."""
    try:
        signer = custody_signer(s, rt.settings.secret_key, who.member)
    finally:
        release(s)
    if signer is None:
        raise Unprocessable("the server holds no signing key for you; sign records with your own key")
    return compose(signer, origin=rt.settings.log_origin, kind=kind, audience=audience, payload=payload, refs=refs)


def sign_and_submit(rt: Runtime, s: Session, who: Principal, kind: str, audience: list[str], payload: Any,
                    refs: Sequence[str] = (), *, local: Mapping[str, Any] | None = None) -> Receipt:
    """Sign a record with the member's custodial key and append it through the pipeline, blocking this
    thread (for code already on a worker thread; handlers on the event loop use ``submit_signed``). The
    session's connection is returned to the pool before the wait. ``local``: data kept beside the record that
    never enters the log (``records/pipeline.py``)."""
    note = sign(rt, s, who, kind, audience, payload, refs)
    try:
        return rt.pipeline.submit(note, payload, timeout=SUBMIT_TIMEOUT, local=local)
    except TimeoutError:
        raise Unavailable("the log did not confirm the record in time; it may still be appended") from None


async def submit_signed(rt: Runtime, s: Session, who: Principal, kind: str, audience: list[str], payload: Any,
                        refs: Sequence[str] = (), *, local: Mapping[str, Any] | None = None) -> Receipt:
    """``sign_and_submit`` for handlers on the event loop: signs on a worker thread, then waits for the
    appender without a thread or a connection."""
    release(s)  # what the handler read so far: not held while waiting for a worker thread

    def queue() -> Future:
        return rt.pipeline.submit_async(sign(rt, s, who, kind, audience, payload, refs), payload, local=local)

    return await receipt_of(await run_in_threadpool(queue))


@router.post("/actions", status_code=201)
async def act(body: Annotated[Action, Body()], rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    receipt = await submit_signed(rt, s, who, body.kind, body.audience, body.payload, body.refs)
    return _answer(receipt)

