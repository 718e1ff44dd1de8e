"""Pages of parties and their members: the parties (a mediator's admin adds one), a party with its members
(its admins add members, each with a new signing key registered in a record they sign), and a member's page:
signing keys (register, revoke, rotate the web key), the API token and the member's own web sessions."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from parley.auth import Principal
from parley.db import writing
from parley.errors import ParleyError
from parley.log.note import NoteError, Signer
from parley.parties.credentials import (
    credential,
    custody_signer,
    hash_password,
    local_credential,
    new_token,
    token_hash,
)
from parley.parties.models import Credential, Member, MemberKey, Party
from parley.parties.naming import ROLES, SLUG_RE
from parley.parties.sessions import STATE, agent_label
from parley.parties import rules
from parley.records.kinds import manages, manages_keys
from parley.runtime import Runtime
from parley.submit import submit_as_async
from parley.web.i18n import N_
from parley.web.refusals import refusal as refusal_message
from parley.web.routes import Db, Who, check_csrf, not_found, refusal, render

router = APIRouter(include_in_schema=False)


# -- parties --------------------------------------------------------------------------------------
def _parties(s: Session) -> list[tuple[Party, int]]:
    counts = dict(s.execute(select(Member.party, func.count()).group_by(Member.party)).all())
    return [(p, counts.get(p.slug, 0)) for p in s.execute(select(Party).order_by(Party.kind, Party.slug)).scalars()]


@router.get("/parties", response_class=HTMLResponse)
def parties(request: Request, s: Db, who: Who) -> HTMLResponse:
    return render(request, "parties.html", who=who, parties=_parties(s), can_create=rules.may_create_party(who),
                  errors={}, values={})


@router.post("/parties", response_class=HTMLResponse)
async def create_party(request: Request, s: Db, who: Who, csrf: Annotated[str, Form()] = "",
                       slug: Annotated[str, Form(max_length=64)] = "", kind: Annotated[str, Form(max_length=16)] = "",
                       name_en: Annotated[str, Form(max_length=200)] = "",
                       name_uk: Annotated[str, Form(max_length=200)] = "",
                       name_ru: Annotated[str, Form(max_length=200)] = "") -> Response:
    check_csrf(request, csrf)
    values = {"slug": slug, "kind": kind, "name_en": name_en, "name_uk": name_uk, "name_ru": name_ru}
    payload = {"slug": slug.strip(), "kind": kind, "names": {"en": name_en, "uk": name_uk, "ru": name_ru}}
    try:
        await submit_as_async(request.app.state.runtime, s, who, "party.create", ["all"], payload)
    except (ParleyError, NoteError) as exc:
        field, message = refusal(exc)
        field = {"en": "name_en", "uk": "name_uk", "ru": "name_ru"}.get(field or "", field)
        return render(request, "parties.html", 403 if getattr(exc, "status", 400) == 403 else 400, who=who,
                      parties=_parties(s), can_create=rules.may_create_party(who), values=values,
                      errors={field or "form": message})
    return RedirectResponse(f"/parties/{slug.strip()}", status_code=303)


MANAGERS_ONLY = N_("Only an admin of this party manages its members and keys; a mediator's admin does so only "
                    "while the party has no admin of its own.")


@router.get("/parties/{slug}", response_class=HTMLResponse)
def party_page(request: Request, s: Db, who: Who, slug: str) -> HTMLResponse:
    p = s.get(Party, slug)
    if p is None:
        return not_found(request, who, N_("There is no such party."))
    members = s.execute(select(Member).where(Member.party == slug).order_by(Member.handle)).scalars().all()
    return render(request, "party.html", who=who, party=p, members=members, can_admin=manages(s, who, slug),
                  roles=ROLES, errors={}, values={"roles": []})


@router.post("/parties/{slug}/members", response_class=HTMLResponse)
async def add_member(request: Request, s: Db, who: Who, slug: str, csrf: Annotated[str, Form()] = "",
                     handle: Annotated[str, Form(max_length=64)] = "",
                     display_name: Annotated[str, Form(max_length=200)] = "",
                     roles: Annotated[list[str] | None, Form()] = None,
                     password: Annotated[str, Form(max_length=1000)] = "") -> Response:
    check_csrf(request, csrf)
    roles = [r for r in roles or [] if r in ROLES]
    rt: Runtime = request.app.state.runtime
    p = s.get(Party, slug)
    if p is None:
        return not_found(request, who, N_("There is no such party."))
    if not manages(s, who, slug):
        return render(request, "error.html", 403, who=who, title=N_("Not allowed"), message=MANAGERS_ONLY)
    handle = handle.strip()
    values = {"handle": handle, "display_name": display_name, "roles": roles}
    errors: dict[str, Any] = {}
    if not SLUG_RE.match(handle):
        errors["handle"] = N_("Use lowercase Latin letters, digits, '-' or '_'.")
    if len(password) < 12:
        errors["password"] = N_("At least 12 characters.")
    if not roles:
        errors["roles"] = N_("Choose at least one role.")
    if not errors:
        signer = Signer.generate(f"{slug}/{handle}")
        payload = {"party": slug, "handle": handle, "display_name": display_name, "roles": roles,
                   "vkey": signer.vkey()}
        # The password's hash and the web key go in the record's own transaction (local data, never logged).
        password_hash = await run_in_threadpool(hash_password, password)
        local = local_credential(rt.settings.secret_key, signer=signer, password_hash=password_hash)
        try:
            await submit_as_async(rt, s, who, "member.create", ["all"], payload, local=local)
        except ParleyError as exc:
            field, message = refusal(exc)
            errors[field if field in ("handle", "display_name", "roles") else "form"] = message
    if errors:
        members = s.execute(select(Member).where(Member.party == slug).order_by(Member.handle)).scalars().all()
        return render(request, "party.html", 400, who=who, party=p, members=members, can_admin=manages(s, who, slug),
                      roles=ROLES, errors=errors, values=values)
    return RedirectResponse(f"/members/{slug}/{handle}", status_code=303)


# -- members and keys -----------------------------------------------------------------------------
def _member_page(request: Request, s: Session, who: Principal, party: str, handle: str, status: int = 200,
                 **extra: Any) -> HTMLResponse:
    m = s.get(Member, f"{party}/{handle}")
    if m is None:
        return not_found(request, who, N_("There is no such member."))
    keys = s.execute(select(MemberKey).where(MemberKey.member == m.id)
                     .order_by(MemberKey.registered_idx)).scalars().all()
    cred = s.get(Credential, m.id)
    ctx = {"errors": {}, "values": {}, "new_token": None, **extra}
    # Members see their own sessions only (an address is personal): when and where, and each can be ended.
    state = request.scope.get(STATE)
    can_end_sessions = rules.may_end_sessions(who, m.id)
    sessions = request.app.state.web_sessions.active(s, m.id) if can_end_sessions else []
    return render(request, "member.html", status, who=who, member=m, party=s.get(Party, m.party), keys=keys,
                  web_key=cred.custody_key_id if cred else None,
                  can_manage=manages_keys(s, who, m.id, m.party), is_self=who.member == m.id,
                  can_create_token=rules.may_create_token(who, m.id), can_end_sessions=can_end_sessions,
                  sessions=sessions, this_session=state.key if state and state.member else None,
                  agent_label=agent_label, **ctx)


@router.get("/members/{party}/{handle}", response_class=HTMLResponse)
def member_page(request: Request, s: Db, who: Who, party: str, handle: str) -> HTMLResponse:
    return _member_page(request, s, who, party, handle)


async def _member_action(request: Request, s: Session, who: Principal, party: str, handle: str, kind: str,
                         payload: dict[str, Any], field: str, values: dict[str, str] | None = None) -> Response:
    if not manages_keys(s, who, f"{party}/{handle}", party):
        return render(request, "error.html", 403, who=who, title=N_("Not allowed"),
                      message=N_("Only the member or an admin of their party may do this."))
    try:
        await submit_as_async(request.app.state.runtime, s, who, kind, ["all"], payload)
    except ParleyError as exc:
        return _member_page(request, s, who, party, handle, 400, errors={field: refusal_message(exc)},
                            values=values or {})
    return RedirectResponse(f"/members/{party}/{handle}", status_code=303)


@router.post("/members/{party}/{handle}/keys", response_class=HTMLResponse)
async def register_key(request: Request, s: Db, who: Who, party: str, handle: str, csrf: Annotated[str, Form()] = "",
                       vkey: Annotated[str, Form(max_length=300)] = "") -> Response:
    check_csrf(request, csrf)
    return await _member_action(request, s, who, party, handle, "key.register",
                                {"member": f"{party}/{handle}", "vkey": vkey.strip()}, "vkey", {"vkey": vkey})


@router.post("/members/{party}/{handle}/keys/{key_id}/revoke", response_class=HTMLResponse)
async def revoke_key(request: Request, s: Db, who: Who, party: str, handle: str, key_id: str,
                     csrf: Annotated[str, Form()] = "", reason: Annotated[str, Form(max_length=500)] = "") -> Response:
    check_csrf(request, csrf)
    return await _member_action(request, s, who, party, handle, "key.revoke",
                                {"member": f"{party}/{handle}", "key_id": key_id, "reason": reason}, "revoke")


@router.post("/members/{party}/{handle}/rotate", response_class=HTMLResponse)
async def rotate_web_key(request: Request, s: Db, who: Who, party: str, handle: str,
                         csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    rt: Runtime = request.app.state.runtime
    member = f"{party}/{handle}"
    if not manages_keys(s, who, member, party):
        return render(request, "error.html", 403, who=who, title=N_("Not allowed"),
                      message=N_("Only the member or an admin of their party may do this."))
    old = custody_signer(s, rt.settings.secret_key, member)
    if old is None:
        return _member_page(request, s, who, party, handle, 400,
                            errors={"rotate": N_("The server holds no web key for this member.")})
    new = Signer.generate(member)
    try:
        await submit_as_async(rt, s, who, "key.rotate", ["all"],
                            {"member": member, "old_key_id": old.key_id.hex(), "vkey": new.vkey()},
                            local=local_credential(rt.settings.secret_key, signer=new))
    except ParleyError as exc:
        return _member_page(request, s, who, party, handle, 400, errors={"rotate": refusal_message(exc)})
    return RedirectResponse(f"/members/{party}/{handle}", status_code=303)


@router.post("/members/{party}/{handle}/token", response_class=HTMLResponse)
def create_token(request: Request, s: Db, who: Who, party: str, handle: str,
                 csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    rt: Runtime = request.app.state.runtime
    if not rules.may_create_token(who, f"{party}/{handle}"):
        return render(request, "error.html", 403, who=who, title=N_("Not allowed"),
                      message=N_("Each member creates their own API token."))
    token = new_token()
    with writing(rt.sessions) as w:
        credential(w, who.member).token_hash = token_hash(token)
    return _member_page(request, s, who, party, handle, new_token=token)


@router.post("/members/{party}/{handle}/sessions/{key}/end", response_class=HTMLResponse)
def end_session(request: Request, s: Db, who: Who, party: str, handle: str, key: str,
                csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    rt: Runtime = request.app.state.runtime
    store = request.app.state.web_sessions
    if not rules.may_end_sessions(who, f"{party}/{handle}"):
        return render(request, "error.html", 403, who=who, title=N_("Not allowed"),
                      message=N_("Members end their own sessions; an admin deactivates a member to end theirs."))
    if not re.fullmatch(r"[0-9a-f]{64}", key):
        return _member_page(request, s, who, party, handle, 404,
                            errors={"sessions": N_("This session has ended already.")})
    state = request.scope.get(STATE)
    if state is not None and key == state.key:
        store.sign_out(request, rt.sessions)
        return RedirectResponse("/signin", status_code=303)
    if not store.end(rt.sessions, key, member=who.member):
        return _member_page(request, s, who, party, handle, 404,
                            errors={"sessions": N_("This session has ended already.")})
    return RedirectResponse(f"/members/{party}/{handle}", status_code=303)
