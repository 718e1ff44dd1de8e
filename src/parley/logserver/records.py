"""Submitting records over HTTP: either a note the client signed with its own key, or a payload the
server signs with the member's custodial key (``parley.submit``). Both go through the one pipeline and
answer with a receipt only after the record is durable."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from parley.apischema import ReceiptBody, written
from parley.auth import CurrentPrincipal, CurrentRuntime, DbSession, authenticated
from parley.runtime import Runtime
from parley.errors import Forbidden
from parley.records import codes as C
from parley.records.format import MAX_RECORD_BYTES
from parley.records.pipeline import Receipt
from parley.submit import receipt_of, submit_as_async

router = APIRouter(prefix="/api", tags=["records"])


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


@router.post("/records", status_code=201, response_model=ReceiptBody, responses=written())
async def submit_record(body: SignedRecord, request: Request) -> JSONResponse:
    # The route written to most: the caller and the runtime are found here rather than through dependencies
    # (FastAPI resolves a dependency tree on every request).
    who = await authenticated(request)
    rt: Runtime = request.app.state.runtime
    note = body.note.encode()
    # The token says who is sending; the signature says who is stating. They must be the same member.
    try:
        author = note.split(b"\nauthor ", 1)[1].split(b"\n", 1)[0].decode()
    except (IndexError, UnicodeDecodeError):
        author = ""
    if author and author != who.member:
        raise Forbidden(C.OWN_RECORDS)
    # Queued for the pipeline's preparer threads (parse, signature, canonical payload) and its appender; the
    # event loop only waits for the receipt.
    receipt = await receipt_of(rt.pipeline.submit_async(note, body.payload))
    return _answer(receipt)


@router.post("/actions", status_code=201, response_model=ReceiptBody, responses=written())
async def act(body: Annotated[Action, Body()], rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    receipt = await submit_as_async(rt, s, who, body.kind, body.audience, body.payload, body.refs)
    return _answer(receipt)
