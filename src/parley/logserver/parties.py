"""Reading parties, members and keys over HTTP. Changes to them are records (``/api/records``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import select

from parley.apischema import READ, answer, refusals
from parley.auth import CurrentPrincipal, DbSession
from parley.errors import NotFound
from parley.parties.models import Member, MemberKey, Party
from parley.records import codes as C

router = APIRouter(prefix="/api", tags=["parties"])


class Names(BaseModel):
    en: str
    uk: str
    ru: str


class PartyOut(BaseModel):
    slug: str
    kind: str  # belligerent, mediator or observer
    names: Names
    created_index: int
    updated_index: int


class MemberOut(BaseModel):
    id: str
    party: str
    handle: str
    display_name: str
    roles: list[str]
    active: bool
    created_index: int


class KeyOut(BaseModel):
    name: str
    key_id: str
    vkey: str
    member: str
    party: str
    status: str  # active or revoked
    registered_index: int
    revoked_index: int | None


class Me(BaseModel):
    member: str
    party: str
    party_kind: str
    roles: list[str]
    display_name: str
    mediator: bool


class Parties(BaseModel):
    parties: list[PartyOut]


class PartyWithMembers(PartyOut):
    members: list[MemberOut]


class Members(BaseModel):
    members: list[MemberOut]


class Keys(BaseModel):
    keys: list[KeyOut]


def party_json(p: Party) -> dict[str, Any]:
    return {"slug": p.slug, "kind": p.kind, "names": {"en": p.name_en, "uk": p.name_uk, "ru": p.name_ru},
            "created_index": p.created_idx, "updated_index": p.updated_idx}


def member_json(m: Member) -> dict[str, Any]:
    return {"id": m.id, "party": m.party, "handle": m.handle, "display_name": m.display_name,
            "roles": sorted(m.role_set), "active": m.active, "created_index": m.created_idx}


def key_json(k: MemberKey, party: str) -> dict[str, Any]:
    return {"name": k.name, "key_id": k.key_id, "vkey": k.vkey, "member": k.member, "party": party,
            "status": "revoked" if k.revoked_idx is not None else "active",
            "registered_index": k.registered_idx, "revoked_index": k.revoked_idx}


@router.get("/me", response_model=Me, responses=refusals(401, 503))
def me(who: CurrentPrincipal) -> Response:
    return answer({"member": who.member, "party": who.party, "party_kind": who.party_kind, "roles": sorted(who.roles),
                   "display_name": who.display_name, "mediator": who.is_mediator})


@router.get("/parties", response_model=Parties, responses=refusals(401, 503))
def list_parties(s: DbSession, _: CurrentPrincipal) -> Response:
    return answer({"parties": [party_json(p) for p in s.execute(select(Party).order_by(Party.slug)).scalars()]})


@router.get("/parties/{slug}", response_model=PartyWithMembers, responses=refusals(*READ, 404))
def get_party(slug: str, s: DbSession, _: CurrentPrincipal) -> Response:
    p = s.get(Party, slug)
    if p is None:
        raise NotFound(C.NO_PARTY, party=slug)
    members = s.execute(select(Member).where(Member.party == slug).order_by(Member.id)).scalars()
    return answer({**party_json(p), "members": [member_json(m) for m in members]})


@router.get("/members", response_model=Members, responses=refusals(*READ))
def list_members(s: DbSession, _: CurrentPrincipal, party: str | None = None) -> Response:
    q = select(Member).order_by(Member.id)
    if party:
        q = q.where(Member.party == party)
    return answer({"members": [member_json(m) for m in s.execute(q).scalars()]})


@router.get("/keys", response_model=Keys, responses=refusals(401, 503))
def list_keys(s: DbSession, _: CurrentPrincipal) -> Response:
    rows = s.execute(select(MemberKey, Member.party).join(Member, Member.id == MemberKey.member)
                     .order_by(MemberKey.registered_idx)).all()
    return answer({"keys": [key_json(k, party) for k, party in rows]})
