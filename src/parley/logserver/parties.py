"""Reading parties, members and keys over HTTP. Changes to them are records (``/api/records``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from parley.auth import CurrentPrincipal, DbSession
from parley.errors import NotFound
from parley.parties.models import Member, MemberKey, Party

router = APIRouter(prefix="/api", tags=["parties"])


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


@router.get("/me")
def me(who: CurrentPrincipal) -> dict[str, Any]:
    return {"member": who.member, "party": who.party, "party_kind": who.party_kind, "roles": sorted(who.roles),
            "display_name": who.display_name, "mediator": who.is_mediator}


@router.get("/parties")
def list_parties(s: DbSession, _: CurrentPrincipal) -> dict[str, Any]:
    return {"parties": [party_json(p) for p in s.execute(select(Party).order_by(Party.slug)).scalars()]}


@router.get("/parties/{slug}")
def get_party(slug: str, s: DbSession, _: CurrentPrincipal) -> dict[str, Any]:
    p = s.get(Party, slug)
    if p is None:
        raise NotFound(f"no party {slug!r}")
    members = s.execute(select(Member).where(Member.party == slug).order_by(Member.id)).scalars()
    return {**party_json(p), "members": [member_json(m) for m in members]}


@router.get("/members")
def list_members(s: DbSession, _: CurrentPrincipal, party: str | None = None) -> dict[str, Any]:
    q = select(Member).order_by(Member.id)
    if party:
        q = q.where(Member.party == party)
    return {"members": [member_json(m) for m in s.execute(q).scalars()]}


@router.get("/keys")
def list_keys(s: DbSession, _: CurrentPrincipal) -> dict[str, Any]:
    rows = s.execute(select(MemberKey, Member.party).join(Member, Member.id == MemberKey.member)
                     .order_by(MemberKey.registered_idx)).all()
    return {"keys": [key_json(k, party) for k, party in rows]}
