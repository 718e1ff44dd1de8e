"""Who is calling: an API token (``Authorization: Bearer``) or a web session cookie, resolved to an
active member and their party (``parley.parties.principal.Principal``). Every route but the public ones
depends on ``principal``; the dependency aliases below are what every router takes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import anyio
from fastapi import Depends, Request
from sqlalchemy.orm import Session

from parley.db import release
from parley.errors import Forbidden, Unauthorized
from parley.parties.credentials import member_for_token, token_hash
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


def optional_principal(request: Request, s: Session) -> Principal | None:
    """The caller, for pages and handlers that already hold a session ``s`` (the cache first)."""
    try:
        return _principal_of(request, lambda: s)
    finally:
        release(s)  # the handler may wait on its body or a thread next: not with a connection checked out


def _caller(request: Request) -> tuple[str, str] | None:
    """Who the request says it is, as the key of the runtime's cache (``Runtime.principals``): ``t:`` and
    the API token's hash, ``m:`` and the member of the session cookie (resolved by
    ``parley.parties.sessions.SessionMiddleware``, which refuses expired, idle and inactive members'
    sessions), or None; with the token or the member to look up. A write under /api with the cookie must
    carry the CSRF token and this site's Origin."""
    auth = request.headers.get("authorization", "")
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized(C.BEARER)
        return "t:" + token_hash(token.strip()), token.strip()
    state = request.scope.get(STATE)
    if state is not None and state.member:
        check_api_write(request)
        return "m:" + state.member, state.member
    return None


def _principal_of(request: Request, session: Callable[[], Session]) -> Principal | None:
    """The member behind the request's API token or session cookie; ``session()`` is asked for only when
    the runtime's cache does not know them."""
    caller = _caller(request)
    if caller is None:
        return None
    key, who = caller
    cache = request.app.state.runtime.principals
    if (hit := cache.get(key)) is not None:
        return hit
    generation = cache.generation
    s = session()
    if key.startswith("t:"):
        member = member_for_token(s, who)
        if member is None:
            raise Unauthorized(C.UNKNOWN_TOKEN)
        found = load_principal(s, member)
        if found is None:
            raise Unauthorized(C.MEMBER_INACTIVE)
    else:
        found = load_principal(s, who)
    if found is not None:
        cache.put(key, found, generation)
    return found


async def request_principal(request: Request) -> Principal | None:
    """The caller, for the API: from the cache on the event loop when it knows them (no thread, no
    connection); else looked up on a worker thread with a session of its own."""
    caller = _caller(request)
    if caller is None:
        return None
    if (hit := request.app.state.runtime.principals.get(caller[0])) is not None:
        return hit
    return await anyio.to_thread.run_sync(_looked_up, request)


def _looked_up(request: Request) -> Principal | None:
    with request.app.state.runtime.sessions() as s:
        return _principal_of(request, lambda: s)


async def principal(p: Annotated[Principal | None, Depends(request_principal)]) -> Principal:
    if p is None:
        raise Unauthorized(C.SIGN_IN)
    return p


async def authenticated(request: Request) -> Principal:
    """``principal`` for a handler that asks itself rather than through a dependency."""
    return await principal(await request_principal(request))


def require_role(*roles: str):  # type: ignore[no-untyped-def]
    async def dep(p: Annotated[Principal, Depends(principal)]) -> Principal:
        if not (p.roles & set(roles)):
            raise Forbidden(C.NEEDS_ROLE, roles=", ".join(roles))
        return p

    return dep


CurrentPrincipal = Annotated[Principal, Depends(principal)]
DbSession = Annotated[Session, Depends(db_session, scope="function")]
CurrentRuntime = Annotated[Runtime, Depends(runtime)]
