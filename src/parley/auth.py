"""Who is calling: an API token (``Authorization: Bearer``) or a web session cookie, resolved to an
active member and their party. Every route but the public ones depends on ``principal``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from parley.errors import Forbidden, Unauthorized
from parley.parties.credentials import member_for_token
from parley.parties.models import Member, Party
from parley.parties.sessions import STATE, check_api_write
from parley.runtime import Runtime


@dataclass(frozen=True)
class Principal:
    member: str
    party: str
    party_kind: str
    roles: frozenset[str]
    display_name: str

    @property
    def is_mediator(self) -> bool:
        """A member of a mediator party: every audience admits them (``policy.reads_every_party``);
        what each kind lets their roles read still applies."""
        return self.party_kind == "mediator"


def runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def db_session(request: Request):  # type: ignore[no-untyped-def]
    with request.app.state.runtime.sessions() as s:
        yield s


def load_principal(s: Session, member_id: str) -> Principal | None:
    m = s.get(Member, member_id)
    if m is None or not m.active:
        return None
    p = s.get(Party, m.party)
    assert p is not None
    return Principal(member=m.id, party=p.slug, party_kind=p.kind, roles=m.role_set, display_name=m.display_name)


def optional_principal(request: Request, s: Annotated[Session, Depends(db_session)]) -> Principal | None:
    auth = request.headers.get("authorization", "")
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("use 'Authorization: Bearer <token>'")
        member = member_for_token(s, token.strip())
        if member is None:
            raise Unauthorized("unknown API token")
        p = load_principal(s, member)
        if p is None:
            raise Unauthorized("this member is not active")
        return p
    # The session cookie, resolved by parley.parties.sessions.SessionMiddleware (expired, idle and inactive
    # members' sessions are refused there). Writes under /api with it need the CSRF token and this site's Origin.
    state = request.scope.get(STATE)
    if state is not None and state.member:
        check_api_write(request)
        return load_principal(s, state.member)
    return None


def principal(p: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
    if p is None:
        raise Unauthorized("sign in or send an API token")
    return p


def require_role(*roles: str):  # type: ignore[no-untyped-def]
    def dep(p: Annotated[Principal, Depends(principal)]) -> Principal:
        if not (p.roles & set(roles)):
            raise Forbidden(f"this needs one of the roles: {', '.join(roles)}")
        return p

    return dep


CurrentPrincipal = Annotated[Principal, Depends(principal)]
DbSession = Annotated[Session, Depends(db_session)]
CurrentRuntime = Annotated[Runtime, Depends(runtime)]
