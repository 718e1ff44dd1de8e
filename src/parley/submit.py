"""Writing as a member through the one pipeline: a record signed with the member's custodial key (the
key the server keeps for them, wrapped under its secret), appended, and answered with its receipt only
once it is durable. The API (``/api/actions``, each capability's endpoints), the pages and the
capabilities' services write this way; a note the member signed themself goes through
``/api/records`` (``parley.logserver.records``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from typing import Any

from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from parley.db import release
from parley.errors import ParleyError, Unavailable, Unprocessable
from parley.parties.credentials import custody_signer
from parley.parties.principal import Principal
from parley.records.compose import compose
from parley.records.pipeline import Receipt
from parley.runtime import Runtime

# How long a request waits for the appender before answering 503 (the record may still be appended:
# submitting the same signed record again answers its receipt).
SUBMIT_TIMEOUT = 60.0


async def receipt_of(future: Future) -> Receipt:
    """Wait for the appender on the event loop: no thread and no database connection is held meanwhile.
    A client that goes away does not cancel the submission (shield): the appender still answers it."""
    answer = asyncio.wrap_future(future)
    # Read the outcome even when nobody waits any more, so it is not logged as "never retrieved".
    answer.add_done_callback(lambda f: f.cancelled() or f.exception())
    try:
        return await asyncio.wait_for(asyncio.shield(answer), SUBMIT_TIMEOUT)
    except TimeoutError:
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


Many = Callable[[list[tuple[str, list[str], dict[str, Any]]]], list[Receipt | ParleyError]]
One = Callable[[str, list[str], dict[str, Any]], Receipt]


def submitter(rt: Runtime, s: Session, who: Principal) -> tuple[Many, One]:
    """(submit_many, submit_one) signing with the member's custodial key, for a service that writes many
    records at once (a list import). ``s`` is read again afresh after each write."""

    def many(items: list[tuple[str, list[str], dict[str, Any]]]) -> list[Receipt | ParleyError]:
        signer = custody_signer(s, rt.settings.secret_key, who.member)
        if signer is None:
            raise Unprocessable("the server holds no signing key for you; sign records with your own key")
        notes = [(compose(signer, origin=rt.settings.log_origin, kind=kind, audience=aud, payload=payload), payload)
                 for kind, aud, payload in items]
        out = rt.pipeline.submit_many(notes)
        s.expire_all()
        return out

    def one(kind: str, audience: list[str], payload: dict[str, Any]) -> Receipt:
        r = sign_and_submit(rt, s, who, kind, audience, payload)
        s.expire_all()
        return r

    return many, one
