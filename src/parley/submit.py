"""The one write service: a record signed as a member with their custodial key (the key the server keeps
for them, wrapped under its secret), appended through the one pipeline, and answered with its receipt only
once it is durable. The API (``/api/actions``, each capability's endpoints), the pages and the
capabilities' services write this way; a note the member signed themself goes through ``/api/records``
(``parley.logserver.records``), and the demo submits the notes its members signed in one batch.

- ``submit_as(rt, s, who, kind, audience, payload, refs, local=…) -> Receipt``: on a worker thread;
- ``submit_as_async(…)``: the same for handlers on the event loop (no thread or connection held waiting);
- ``submit_many_as(rt, s, who, items) -> [Receipt | ParleyError]``: a batch (a list import), each record
  accepted or refused on its own, appended in one group commit.

``local``: data the record needs kept beside it but never in the log (a member's password hash, a token's
hash, a custodial key, a family's secret verifier), stored by the record's own apply in the record's
transaction, so the two are committed together or not at all."""

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
from parley.records import codes as C
from parley.records.compose import compose
from parley.records.pipeline import Receipt
from parley.runtime import Runtime

# How long a request waits for the appender before answering 503 (the record may still be appended:
# submitting the same signed record again answers its receipt).
SUBMIT_TIMEOUT = 60.0


async def receipt_of(future: Future) -> Receipt:
    """Wait for the appender on the event loop: no thread and no database connection is held meanwhile.
    A client that goes away does not cancel the submission: the outcome is passed one way only, from the
    appender's future to the waiter (``asyncio.wrap_future`` would cancel the submission with the waiter)."""
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[Receipt] = loop.create_future()

    def settle(done: Future) -> None:
        if answer.done():  # the waiter went away (timed out, or the client left)
            return
        failed = done.exception()
        if failed is not None:
            answer.set_exception(failed)
        else:
            answer.set_result(done.result())

    def hand_over(done: Future) -> None:
        try:
            loop.call_soon_threadsafe(settle, done)
        except RuntimeError:  # the loop has closed (the server stopped): nobody is waiting any more
            pass

    future.add_done_callback(hand_over)
    try:
        async with asyncio.timeout(SUBMIT_TIMEOUT):
            return await answer
    except TimeoutError:
        raise Unavailable(C.NOT_CONFIRMED_RESUBMIT) from None


def sign(rt: Runtime, s: Session, who: Principal, kind: str, audience: list[str], payload: Any,
         refs: Sequence[str] = ()) -> bytes:
    """The record, signed with the member's custodial key; ``s``'s transaction is ended afterwards."""
    try:
        signer = custody_signer(s, rt.settings.secret_key, who.member)
    finally:
        release(s)
    if signer is None:
        raise Unprocessable(C.NO_CUSTODY_KEY)
    return compose(signer, origin=rt.settings.log_origin, kind=kind, audience=audience, payload=payload, refs=refs)


def submit_as(rt: Runtime, s: Session, who: Principal, kind: str, audience: list[str], payload: Any,
                    refs: Sequence[str] = (), *, local: Mapping[str, Any] | None = None) -> Receipt:
    """Sign a record with the member's custodial key and append it through the pipeline, blocking this
    thread (for code already on a worker thread; handlers on the event loop use ``submit_as_async``). The
    session's connection is returned to the pool before the wait. ``local``: data kept beside the record that
    never enters the log (``records/pipeline.py``)."""
    note = sign(rt, s, who, kind, audience, payload, refs)
    try:
        return rt.pipeline.submit(note, payload, timeout=SUBMIT_TIMEOUT, local=local)
    except TimeoutError:
        raise Unavailable(C.NOT_CONFIRMED) from None


async def submit_as_async(rt: Runtime, s: Session, who: Principal, kind: str, audience: list[str], payload: Any,
                        refs: Sequence[str] = (), *, local: Mapping[str, Any] | None = None) -> Receipt:
    """``submit_as`` for handlers on the event loop: signs on a worker thread, then waits for the
    appender without a thread or a connection."""
    release(s)  # what the handler read so far: not held while waiting for a worker thread

    def queue() -> Future:
        return rt.pipeline.submit_async(sign(rt, s, who, kind, audience, payload, refs), payload, local=local)

    return await receipt_of(await run_in_threadpool(queue))


Many = Callable[[list[tuple[str, list[str], dict[str, Any]]]], list[Receipt | ParleyError]]
One = Callable[[str, list[str], dict[str, Any]], Receipt]


def submit_many_as(rt: Runtime, s: Session, who: Principal,
                   items: Sequence[tuple[str, list[str], dict[str, Any]]]) -> list[Receipt | ParleyError]:
    """(kind, audience, payload) items signed as ``who`` and appended together: each answered with its receipt
    or its own refusal, in order (one refused item does not refuse the others)."""
    try:
        signer = custody_signer(s, rt.settings.secret_key, who.member)
    finally:
        release(s)
    if signer is None:
        raise Unprocessable(C.NO_CUSTODY_KEY)
    notes = [(compose(signer, origin=rt.settings.log_origin, kind=kind, audience=aud, payload=payload), payload)
             for kind, aud, payload in items]
    return rt.pipeline.submit_many(notes)


def submitter(rt: Runtime, s: Session, who: Principal) -> tuple[Many, One]:
    """(submit_many, submit_one) as ``who``, for a service that writes many records at once (a list import).
    ``s`` is read again afresh after each write."""

    def many(items: list[tuple[str, list[str], dict[str, Any]]]) -> list[Receipt | ParleyError]:
        out = submit_many_as(rt, s, who, items)
        s.expire_all()
        return out

    def one(kind: str, audience: list[str], payload: dict[str, Any]) -> Receipt:
        r = submit_as(rt, s, who, kind, audience, payload)
        s.expire_all()
        return r

    return many, one
