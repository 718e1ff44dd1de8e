"""Who is calling: an API token (``Authorization: Bearer``) or a web session cookie, resolved to an
active member and their party (``parley.parties.principal.Principal``). Every route but the public ones
depends on ``principal``; the dependency aliases below are what every router takes."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import Depends, Request
from sqlalchemy.orm import Session

from parley.db import release
from parley.errors import Forbidden, Unauthorized
from parley.parties.credentials import member_for_token
from parley.parties.principal import Principal, load_principal
from parley.parties.sessions import STATE, check_api_write
from parley.records import codes as C
from parley.runtime import Runtime


# Dependencies that do no I/O are ``async``: a sync one costs a trip through the worker threads, where
# it would queue behind database work under load.
async def runtime(request: Request) -> Runtime:
    return request.app.state.runtime


async def db_session(request: Request):  # type: ignore[no-untyped-def]
    """The request's session. It holds a pooled connection only while a query's transaction is open:
    ``DbSession`` closes it when the handler returns, before the response is sent (scope "function"), and
    the principal lookup and ``submit_as`` end their transactions (``db.release``)."""
    s = request.app.state.runtime.sessions()  # connects to nothing until its first query
    try:
        yield s
    finally:
        if s.in_transaction():  # a connection to give back (a rollback): on a thread of its own
            await anyio.to_thread.run_sync(s.close, limiter=anyio.CapacityLimiter(1))
        else:
            s.close()


def optional_principal(request: Request, s: DbSession) -> Principal | None:
    try:
        return _principal_of(request, s)
    finally:
        release(s)  # the handler may wait on its body or a thread next: not with a connection checked out


def _principal_of(request: Request, s: Session) -> Principal | None:
    auth = request.headers.get("authorization", "")
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized(C.BEARER)
        member = member_for_token(s, token.strip())
        if member is None:
            raise Unauthorized(C.UNKNOWN_TOKEN)
        p = load_principal(s, member)
        if p is None:
            raise Unauthorized(C.MEMBER_INACTIVE)
        return p
    # The session cookie, resolved by parley.parties.sessions.SessionMiddleware (expired, idle and inactive
    # members' sessions are refused there). Writes under /api with it need the CSRF token and this site's Origin.
    state = request.scope.get(STATE)
    if state is not None and state.member:
        check_api_write(request)
        return load_principal(s, state.member)
    return None


async def principal(p: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
    if p is None:
        raise Unauthorized(C.SIGN_IN)
    return p


def require_role(*roles: str):  # type: ignore[no-untyped-def]
    async def dep(p: Annotated[Principal, Depends(principal)]) -> Principal:
        if not (p.roles & set(roles)):
            raise Forbidden(C.NEEDS_ROLE, roles=", ".join(roles))
        return p

    return dep


CurrentPrincipal = Annotated[Principal, Depends(principal)]
DbSession = Annotated[Session, Depends(db_session, scope="function")]
CurrentRuntime = Annotated[Runtime, Depends(runtime)]
