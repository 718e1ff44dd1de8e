"""Submitting records over HTTP: either a note the client signed with its own key, or a payload the
server signs with the member's custodial key. Both go through the one pipeline and answer with a receipt
only after the record is durable."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from parley.auth import CurrentPrincipal, CurrentRuntime, DbSession, Principal
from parley.errors import Forbidden, Unprocessable
from parley.parties.credentials import custody_signer
from parley.records.compose import compose
from parley.records.format import MAX_RECORD_BYTES
from parley.records.pipeline import Receipt
from parley.runtime import Runtime

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
    receipt = await run_in_threadpool(rt.pipeline.submit, note, body.payload)
    return _answer(receipt)


def sign_and_submit(rt: Runtime, s: Session, who: Principal, kind: str, audience: list[str], payload: Any,
                    refs: Sequence[str] = (), *, local: Mapping[str, Any] | None = None) -> Receipt:
    """Sign a record with the member's custodial key and append it through the pipeline (``local``: data kept
    beside the record that never enters the log, see ``records/pipeline.py``)."""
    signer = custody_signer(s, rt.settings.secret_key, who.member)
    if signer is None:
        raise Unprocessable("the server holds no signing key for you; sign records with your own key")
    note = compose(signer, origin=rt.settings.log_origin, kind=kind, audience=audience, payload=payload, refs=refs)
    return rt.pipeline.submit(note, payload, local=local)


@router.post("/actions", status_code=201)
async def act(body: Annotated[Action, Body()], rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    receipt = await run_in_threadpool(sign_and_submit, rt, s, who, body.kind, body.audience, body.payload, body.refs)
    return _answer(receipt)

