"""The web interface: sign-in, parties and members, signing keys, and the log explorer, rendered on
the server in Ukrainian, Russian or English. Every change made here is a record signed with the
member's key and appended through the one pipeline; forms answer refusals beside the field."""

from __future__ import annotations

import base64
import hmac
import json
import re
import secrets
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode, urlsplit

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from parley.auth import Principal, db_session, load_principal, optional_principal
from parley.db import MAX_DB_INT, writing
from parley.errors import ParleyError
from parley.log.models import LogCheckpoint, LogEntry
from parley.log.note import NoteError, Signer
from parley.log.store import (
    DbNodes,
    checkpoint_with_cosignatures,
    cosigners_by_size,
    latest_checkpoint,
    proof_checkpoint,
    tlog_proof,
)
from parley.logserver.api import readable
from parley.parties.credentials import (
    HashBusy,
    check_password,
    credential,
    custody_signer,
    hash_password,
    local_credential,
    new_token,
    token_hash,
)
from parley.parties.models import Credential, Member, MemberKey, Party
from parley.parties.naming import AUTHOR_RE, ROLES, SLUG_RE
from parley.parties.sessions import STATE, SignInLimits, address_key, agent_label, client_address
from parley.parties import rules
from parley.records.kinds import manages, manages_keys
from parley.runtime import Runtime
from parley.submit import submit_as_async
from parley.web import i18n
from parley.web.i18n import N_, Message
from parley.web.labels import KIND_LABELS, PARTY_KIND_LABELS, ROLE_LABELS
from parley.web.refusals import refusal as refusal_message

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
PAGE = 100
MAX_PAGE = 500

Db = Annotated[Session, Depends(db_session, scope="function")]


def lang_of(request: Request) -> str:
    return i18n.choose(request.query_params.get("lang"), request.cookies.get("parley_lang"),
                       request.headers.get("accept-language"))


def who_or_signin(request: Request, s: Db) -> Principal:
    try:
        who = optional_principal(request, s)
    except ParleyError:
        who = None
    if who is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise HTTPException(303, headers={"Location": f"/signin?next={quote(target)}"})
    return who


Who = Annotated[Principal, Depends(who_or_signin)]


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


def check_csrf(request: Request, sent: str) -> None:
    token = request.session.get("csrf", "")
    if not token or not hmac.compare_digest(token, sent or ""):
        raise HTTPException(403, N_("The form has expired or did not come from this site; reload the page and try "
                                    "again."))


def render(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    lang = lang_of(request)
    rt: Runtime = request.app.state.runtime

    def _(message: Any, **values: object) -> str:
        return i18n.gettext(lang, message, **values)

    def ngettext(singular: str, plural: str, n: int, **values: object) -> str:
        return i18n.ngettext(lang, singular, plural, n, **values)

    def party_name(p: Party) -> str:
        return {"uk": p.name_uk, "ru": p.name_ru}.get(lang, p.name_en)

    response = templates.TemplateResponse(request, name, {
        "_": _, "ngettext": ngettext, "lang": lang, "languages": i18n.NAMES, "csrf": csrf_token(request),
        "when": lambda v: i18n.when(lang, v), "party_name": party_name,
        "kind_label": lambda k: _(KIND_LABELS.get(k, k)), "role_label": lambda r: _(ROLE_LABELS.get(r, r)),
        "party_kind_label": lambda k: _(PARTY_KIND_LABELS.get(k, k)), "origin": rt.settings.log_origin,
        "path": request.url.path, "here": _here(request),
        "keep": [(k, v) for k, v in request.query_params.multi_items() if k != "lang"],
        **ctx}, status_code=status)
    if request.query_params.get("lang") in i18n.LANGUAGES:
        response.set_cookie("parley_lang", lang, max_age=365 * 86400, samesite="strict",
                            secure=rt.settings.cookie_secure, httponly=True)
    return response


def _here(request: Request) -> str:
    """The page to reload in another language: a form's answer has no GET of its own, so the page it came from."""
    if request.method == "GET":
        return request.url.path
    return _local(urlsplit(request.headers.get("referer", "")).path)


def not_found(request: Request, who: Principal | None, message: str) -> HTMLResponse:
    return render(request, "error.html", 404, who=who, title=N_("Not found"), message=message)


def refusal(exc: Exception) -> tuple[str | None, Message | Any]:
    """(the field a refusal names, the message a page shows for it, in the page's language)."""
    if isinstance(exc, ParleyError):
        return exc.field.split(".")[-1] if exc.field else None, refusal_message(exc)
    return None, refusal_message(exc)


# Error pages: their title and, when the error says nothing a person can use, their message.
ERROR_TITLES = {
    400: N_("The request could not be read"), 401: N_("Sign-in needed"), 403: N_("Not allowed"),
    404: N_("Not found"), 405: N_("Method not allowed"), 408: N_("The request took too long"),
    413: N_("Too large"), 422: N_("The address is not valid"), 429: N_("Too many requests"),
    503: N_("Unavailable"),
}
ERROR_MESSAGES = {
    400: N_("The request could not be read. Go back and try again."),
    401: N_("Sign in to open this page."),
    403: N_("You may not open this page."),
    404: N_("There is no such page."),
    405: N_("This address receives a form; it is not a page to open. Go back to the page with the form and "
            "send it from there."),
    408: N_("The request took too long to arrive. Try again."),
    413: N_("The request is too large."),
    422: N_("This address holds a value the page cannot use. Check the link, or go back and try again."),
    429: N_("Too many requests; wait a while and try again."),
    503: N_("The server is busy. Try again in a moment."),
}


def error_page(request: Request, status: int, detail: Any, headers: dict[str, str] | None = None) -> HTMLResponse:
    """The page of an HTTP error, in the reader's language, with the navigation of a signed-in member. The
    error's own text is shown when it is a message of the catalogue (ours), else the status's message."""
    who = None
    s = request.app.state.runtime.sessions()
    try:
        who = optional_principal(request, s)
    except ParleyError:
        who = None
    finally:
        s.close()
    title = ERROR_TITLES.get(status, N_("Error") if status < 500 else N_("Server error"))
    known = isinstance(detail, str) and detail in i18n.catalogue("uk")
    message = detail if known else ERROR_MESSAGES.get(
        status, N_("The request could not be answered.") if status < 500 else N_("The server failed to answer."))
    response = render(request, "error.html", status, who=who, title=title, message=message)
    for k, v in (headers or {}).items():
        response.headers.setdefault(k, v)
    return response


# -- sign-in ---------------------------------------------------------------------------------------
def _local(next_url: str | None) -> str:
    # Browsers read '//host' and '/\\host' as another site; only a plain path on this one is followed.
    if next_url and next_url.startswith("/") and not next_url.startswith("//") and "\\" not in next_url \
            and next_url.isprintable():
        return next_url
    return "/"


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "signin.html", who=None, next=_local(next), errors={}, values={})


def _signin_refused(request: Request, next_url: str, member: str, status: int, retry_after: int,
                    errors: dict[str, Any]) -> HTMLResponse:
    response = render(request, "signin.html", status, who=None, next=_local(next_url), values={"member": member},
                      errors=errors, retry_minutes=max(1, -(-retry_after // 60)))
    response.headers["Retry-After"] = str(retry_after)
    return response


@router.post("/signin", response_class=HTMLResponse)
def signin(request: Request, s: Db, member: Annotated[str, Form(max_length=130)] = "",
           password: Annotated[str, Form(max_length=1000)] = "", csrf: Annotated[str, Form()] = "",
           next: Annotated[str, Form()] = "/") -> Response:
    check_csrf(request, csrf)
    rt: Runtime = request.app.state.runtime
    limits: SignInLimits = request.app.state.signin_limits
    member = member.strip()
    # Counted before the (costly) check, refused while locked even with the right password.
    attempt, wait = limits.begin(rt.sessions, member, address_key(client_address(request)))
    if attempt is None:
        return _signin_refused(request, next, member, 429, wait, errors={
            "password": N_("Too many failed sign-ins for this member or from your address.")})
    cred = s.get(Credential, member) if AUTHOR_RE.match(member) else None  # no lookup for NUL bytes and such
    try:
        ok = check_password(cred.password_hash if cred else None, password)
    except HashBusy as exc:
        limits.abandon(rt.sessions, attempt)
        return _signin_refused(request, next, member, 503, exc.retry_after, errors={
            "password": N_("The server is busy. Try again in a moment.")})
    who = load_principal(s, member) if ok else None
    if who is None:
        return render(request, "signin.html", 400, who=None, next=_local(next), values={"member": member},
                      errors={"password": N_("Unknown member or wrong password.")})
    limits.succeeded(rt.sessions, who.member)
    request.app.state.web_sessions.sign_in(request, rt.sessions, who.member)
    return RedirectResponse(_local(next), status_code=303)


@router.post("/signout")
def signout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    """Ends this session on the server: a copy of the cookie no longer signs anyone in."""
    check_csrf(request, csrf)
    request.app.state.web_sessions.sign_out(request, request.app.state.runtime.sessions)
    return RedirectResponse("/signin", status_code=303)


@router.post("/signout/everywhere")
def signout_everywhere(request: Request, who: Who, csrf: Annotated[str, Form()] = "") -> Response:
    """Ends every session of the member signed in here, this one included."""
    check_csrf(request, csrf)
    request.app.state.web_sessions.sign_out(request, request.app.state.runtime.sessions, everywhere=True)
    return RedirectResponse("/signin", status_code=303)


# -- dashboard ------------------------------------------------------------------------------------
@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, s: Db, who: Who) -> HTMLResponse:
    cp = latest_checkpoint(s, published=True)
    head = latest_checkpoint(s)
    cosigners = cosigners_by_size(s, [cp.size]).get(cp.size, []) if cp else []
    party = s.get(Party, who.party)
    return render(request, "dashboard.html", who=who, party=party, published=cp, head=head, cosigners=cosigners,
                  parties=s.scalar(select(func.count()).select_from(Party)),
                  members=s.scalar(select(func.count()).select_from(Member)))


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


# -- the log explorer -----------------------------------------------------------------------------
@router.get("/log", response_class=HTMLResponse)
def records(request: Request, s: Db, who: Who, kind: str = "", party: str = "", author: str = "",
            start: Annotated[int | None, Query(ge=0, le=MAX_DB_INT - 1)] = None,  # start + 1 is a bound too
            limit: Annotated[int, Query(le=MAX_DB_INT)] = PAGE) -> HTMLResponse:
    """Newest first; ``start`` is the index to start from going back, so pages stay stable as the log grows."""
    limit = max(1, min(limit, MAX_PAGE))
    q = select(LogEntry).order_by(LogEntry.idx.desc())
    if kind:
        q = q.where(LogEntry.kind == kind[:64])
    if party:
        q = q.where(LogEntry.party == party[:64])
    if author:
        q = q.where(LogEntry.author.contains(author.strip()[:130]))
    rows: list[LogEntry] = []
    cursor = start + 1 if start is not None and start >= 0 else None
    more = None
    # Walk back in chunks so one request never scans the whole log for a reader of few records.
    for _ in range(20):
        batch = s.execute((q.where(LogEntry.idx < cursor) if cursor is not None else q).limit(500)).scalars().all()
        for row in batch:
            cursor = row.idx
            if readable(request.app.state.runtime.policy, who, row):
                if len(rows) == limit:
                    more = row.idx
                    break
                rows.append(row)
        if more is not None or len(batch) < 500:
            break
    else:
        more = cursor - 1 if cursor else None  # scanned enough for one page; let the reader ask for more
    head = latest_checkpoint(s)
    parties = s.execute(select(Party.slug).order_by(Party.slug)).scalars().all()
    filters = {"kind": kind, "party": party, "author": author}
    older = "/log?" + urlencode({**{k: v for k, v in filters.items() if v}, "start": more,
                                  **({"limit": limit} if limit != PAGE else {})}) if more is not None else None
    lang = lang_of(request)  # every kind the log accepts, by its name in the reader's language
    kinds = sorted(request.app.state.runtime.kinds,
                   key=lambda k: i18n.gettext(lang, KIND_LABELS.get(k) or k).casefold())
    return render(request, "records.html", who=who, rows=rows, kinds=kinds, parties=parties,
                  filters=filters, older=older, newest=start is None, size=head.size if head else 0)


@router.get("/log/records/{index}", response_class=HTMLResponse)
def record(request: Request, s: Db, who: Who, index: str) -> HTMLResponse:
    row = s.get(LogEntry, int(index)) if index.isdigit() and len(index) < 19 else None
    if row is None or not readable(request.app.state.runtime.policy, who, row):
        return not_found(request, who, N_("There is no record with this number that you may read."))
    rt: Runtime = request.app.state.runtime
    payload = json.dumps(json.loads(row.payload), ensure_ascii=False, indent=2, sort_keys=True)
    cp: LogCheckpoint | None
    try:
        cp = proof_checkpoint(s, row.idx)
    except LookupError:
        cp, proof = None, None
    else:
        proof = tlog_proof(DbNodes(s, rt.cache), row.idx, cp.size, checkpoint_with_cosignatures(s, cp))
    return render(request, "record.html", who=who, row=row, payload=payload, proof=proof, checkpoint=cp,
                  note=row.note.decode(), leaf=row.leaf_hash.hex())


@router.get("/log/checkpoints", response_class=HTMLResponse)
def checkpoints(request: Request, s: Db, who: Who,
                before: Annotated[int | None, Query(ge=0, le=MAX_DB_INT)] = None) -> HTMLResponse:
    q = select(LogCheckpoint).order_by(LogCheckpoint.size.desc()).limit(50)
    if before:
        q = q.where(LogCheckpoint.size < before)
    cps = s.execute(q).scalars().all()
    cosigs = cosigners_by_size(s, [c.size for c in cps])
    notes = {c.size: checkpoint_with_cosignatures(s, c).decode() for c in cps}
    return render(request, "checkpoints.html", who=who, checkpoints=cps, cosigs=cosigs, notes=notes,
                  roots={c.size: base64.b64encode(c.root_hash).decode() for c in cps},
                  log_key=request.app.state.runtime.log_signer.vkey(),
                  more=cps[-1].size if len(cps) == 50 else None)


# The explorer's first addresses, kept so links already shared keep working.
@router.get("/records")
@router.get("/records/{index}")
@router.get("/checkpoints")
def moved(request: Request) -> RedirectResponse:
    path = request.url.path
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(("/log" if path == "/records" else "/log" + path) + query, 308)
