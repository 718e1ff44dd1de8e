"""The web interface's shell, and what every page shares: sign-in and sign-out, the overview, the error pages,
and the helpers each page group builds on (the session's member or the sign-in page, CSRF, the page
renderer in Ukrainian, Russian or English, refusals as a page shows them). The page groups are modules
of their own: ``parties`` (parties, members and their keys), ``explorer`` (the log), and each capability's
package (``operations``, ``people``). Every change made on a page is a record signed with the member's key
and appended through the one pipeline; forms answer refusals beside the field."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from parley.auth import Principal, db_session, load_principal, optional_principal
from parley.errors import ParleyError
from parley.log.store import cosigners_by_size, latest_checkpoint
from parley.parties.credentials import HashBusy, check_password
from parley.parties.models import Credential, Member, Party
from parley.parties.naming import AUTHOR_RE
from parley.parties.sessions import SignInLimits, address_key, client_address
from parley.runtime import Runtime
from parley.web import i18n
from parley.web.i18n import N_, Message
from parley.web.labels import KIND_LABELS, PARTY_KIND_LABELS, ROLE_LABELS
from parley.web.refusals import refusal as refusal_message

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# The templates ship with the package: no look at each file's time on every render (a system call per template).
templates.env.auto_reload = False

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
    remember_lang(request, response)
    return response


def remember_lang(request: Request, response: Response) -> None:
    """A language chosen in the address (``?lang=``) is kept in a cookie for the pages that follow."""
    if request.query_params.get("lang") in i18n.LANGUAGES:
        response.set_cookie("parley_lang", lang_of(request), max_age=365 * 86400, samesite="strict",
                            secure=request.app.state.runtime.settings.cookie_secure, httponly=True)


# Stands for the reader's CSRF token in a page rendered once for every reader (``render_shared``).
CSRF_SLOT = "csrf-" + secrets.token_hex(16)


def render_shared(request: Request, name: str, body: Callable[[Callable[..., HTMLResponse]], bytes]) -> HTMLResponse:
    """A page that is the same for every reader without an account (the public side), rendered by ``body`` (which
    calls the render it is given, perhaps from a cache) with a placeholder for the CSRF token, which is put in for
    this reader here: the session's, if the reader has one (a signed-in member's header posts the sign-out)."""
    def shared(*args: Any, **ctx: Any) -> HTMLResponse:
        return render(request, name, *args, **{**ctx, "csrf": CSRF_SLOT})

    # A reader without a session is not given one here: these pages post no form, so nothing needs its token.
    token = request.session.get("csrf", "") if request.session else ""
    page = body(shared).replace(CSRF_SLOT.encode(), token.encode())
    response = HTMLResponse(page)
    remember_lang(request, response)
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
def _inbox(request: Request, s: Session, who: Principal) -> dict[str, Any]:
    """What the overview's "needs you now" shows (``parley.inbox``), its texts in the page's language."""
    from parley.inbox.service import inbox
    from parley.operations.service import now_utc, party_names
    from parley.web.inbox import text

    lang = lang_of(request)
    now = now_utc()
    names = party_names(s, lang)
    items = inbox(s, who, now)
    return {"inbox": [(i, text(i, lang, names), i18n.duration(lang, int((i.due - now).total_seconds()))
                       if i.due and i.due > now else "") for i in items],
            "inbox_urgent": sum(1 for i in items if i.urgent)}


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, s: Db, who: Who) -> HTMLResponse:
    cp = latest_checkpoint(s, published=True)
    head = latest_checkpoint(s)
    cosigners = cosigners_by_size(s, [cp.size]).get(cp.size, []) if cp else []
    party = s.get(Party, who.party)
    return render(request, "dashboard.html", who=who, party=party, published=cp, head=head, cosigners=cosigners,
                  parties=s.scalar(select(func.count()).select_from(Party)),
                  members=s.scalar(select(func.count()).select_from(Member)), **_inbox(request, s, who))


@router.get("/inbox/items", response_class=HTMLResponse)
def inbox_items(request: Request, s: Db, who: Who) -> HTMLResponse:
    """The overview's "needs you now" list alone, which the overview fetches again to stay current."""
    response = render(request, "inbox_items.html", who=who, **_inbox(request, s, who))
    response.headers["Cache-Control"] = "no-store"
    return response
