"""Web sessions kept on the server, sign-in attempt limits, and the client's address.

The session cookie holds only a random id, signed with the server secret; the ``web_session`` table holds
the id's SHA-256, the member, when and where the session began and was last used, and when it expires.
Signing out deletes the row, so a copied cookie stops working at once; so do deactivating the member (the
resolver refuses and deletes sessions of inactive members), "sign out everywhere", the absolute age limit
(``session_max_age``) and the idle limit (``session_idle_timeout``).

Visitors who are not signed in get a cookie too, with a random id and no row: their CSRF token, like a
signed-in session's, is an HMAC of the id under the server secret, so forms work before sign-in without the
server storing anything for anonymous visitors.

Failed sign-ins are rows in ``signin_failure`` (in the database rather than in memory: they survive a
restart and hold across processes and servers sharing the database). An attempt is counted before the
password is checked and forgotten when it succeeds, so concurrent guesses count too.

Ids, tokens and passwords are never logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import math
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from urllib.parse import urlsplit

from itsdangerous import BadSignature, TimestampSigner
from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parley.asgi import is_machine_path
from parley.db import writing
from parley.errors import Forbidden
from parley.parties import codes as C
from parley.parties.models import Member, SignInFailure, WebSession
from parley.parties.naming import AUTHOR_RE
from parley.settings import Settings

COOKIE = "parley_session"
STATE = "parley.session"  # the scope key of the request's SessionState
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"
MAX_DATA = 8192  # bytes of JSON a session keeps for its pages (upload tokens)
_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """Naive UTC, as the DateTime columns store it on SQLite and PostgreSQL alike."""
    return datetime.now(UTC).replace(tzinfo=None)


# -- the client ------------------------------------------------------------------------------------
def client_address(conn: HTTPConnection | Scope) -> str:
    """The address of whoever sent the request. Proxy headers are believed only from PARLEY_TRUSTED_PROXIES,
    and that decision is uvicorn's (``proxy_headers``/``forwarded_allow_ips``, see ``parley.cli``): here the
    connection's peer is all there is, so X-Forwarded-For from anyone else changes nothing."""
    client = conn.client if isinstance(conn, HTTPConnection) else conn.get("client")
    host = client[0] if client else ""
    return str(host)[:64] or "-"


def address_key(address: str) -> str:
    """What attempt limits count by: the address, except IPv6 counts by /64 (one host holds a whole /64)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def short_agent(agent: str) -> str:
    return "".join(c for c in agent if c.isprintable())[:200]


def agent_label(agent: str) -> str:
    """'Firefox, Linux' from a user agent string, or its first characters when it is none we know."""
    browser = next((name for token, name in (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
                                              ("Chromium/", "Chromium"), ("Chrome/", "Chrome"),
                                              ("Safari/", "Safari"), ("curl/", "curl")) if token in agent), None)
    system = next((name for token, name in (("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iOS"),
                                             ("Windows", "Windows"), ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"),
                                             ("Linux", "Linux")) if token in agent), None)
    if browser:
        return f"{browser}, {system}" if system else browser
    return agent[:40] or "?"


# -- sessions --------------------------------------------------------------------------------------
def new_id() -> str:
    return secrets.token_urlsafe(32)


def id_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class SessionState:
    """The request's session: ``raw`` is the random id in the cookie (never stored, never logged). A request
    that came without a cookie gets a new id only when something asks for it (a page's CSRF token, the
    cookie set on a page): a program calling the API with a token never needs one."""

    def __init__(self, raw: str | None = None, member: str | None = None, fresh: bool = False,
                 changed: bool = False) -> None:
        self._raw = raw
        self.member = member
        self.fresh = fresh  # the request came without a valid cookie: a new id for an anonymous visitor
        self.changed = changed  # signed in or out during the request: the cookie is set again

    @property
    def raw(self) -> str:
        if self._raw is None:
            self._raw = new_id()
        return self._raw

    @raw.setter
    def raw(self, value: str) -> None:
        self._raw = value

    @property
    def key(self) -> str:
        return id_hash(self.raw)


class CsrfRefused(Forbidden):
    code = "csrf"


class WebSessions:
    """Creates, resolves and ends sessions. ``clock`` is replaceable (tests move time instead of waiting)."""

    TOUCH = timedelta(minutes=1)  # last-seen is written at most this often per session

    def __init__(self, settings: Settings, clock: Clock = utcnow) -> None:
        self.max_age, self.idle, self.secure = settings.session_max_age, settings.session_idle_timeout, \
            settings.cookie_secure
        self.clock = clock
        self._signer = TimestampSigner(settings.secret_key, salt="parley web session")
        self._csrf_key = hashlib.sha256(b"parley csrf\0" + settings.secret_key.encode()).digest()

    # the cookie
    def read_cookie(self, value: str | None) -> str | None:
        if not value or len(value) > 200:
            return None
        try:
            raw = self._signer.unsign(value, max_age=int(self.max_age.total_seconds())).decode()
        except (BadSignature, UnicodeDecodeError):
            return None
        return raw if len(raw) == 43 and set(raw) <= _ID_CHARS else None

    def cookie_header(self, raw: str) -> str:
        value = self._signer.sign(raw).decode()
        return (f"{COOKIE}={value}; Path=/; Max-Age={int(self.max_age.total_seconds())}; HttpOnly; SameSite=Strict"
                + ("; Secure" if self.secure else ""))

    def csrf(self, raw: str) -> str:
        """The session's CSRF token: it changes with the session id, and does not reveal it."""
        digest = hmac.new(self._csrf_key, raw.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    # the table
    def open(self, sessions: sessionmaker, raw: str) -> tuple[str, str] | None:
        """The member and the session's page data (JSON), or None. Expired, idle and inactive members' sessions
        are deleted here, when they are next presented."""
        key, now = id_hash(raw), self.clock()
        with sessions() as s:
            row = s.get(WebSession, key)
            if row is None:
                return None
            m = s.get(Member, row.member)
            active = m is not None and m.active
            alive = row.expires_at > now and row.last_seen_at + self.idle > now
            member, data, last = row.member, row.data, row.last_seen_at
        if not active:
            self.end_member(sessions, member)
            return None
        if not alive:
            self.end(sessions, key)
            return None
        if now - last >= self.TOUCH:
            with writing(sessions) as w:
                w.execute(update(WebSession).where(WebSession.id_hash == key).values(last_seen_at=now))
        return member, data

    def create(self, sessions: sessionmaker, member: str, address: str, agent: str) -> str:
        raw, now = new_id(), self.clock()
        with writing(sessions) as w:
            w.execute(delete(WebSession).where((WebSession.expires_at <= now)
                                               | (WebSession.last_seen_at <= now - self.idle)))
            w.add(WebSession(id_hash=id_hash(raw), member=member, created_at=now, last_seen_at=now,
                             expires_at=now + self.max_age, address=address[:64], user_agent=short_agent(agent),
                             data="{}"))
        return raw

    def end(self, sessions: sessionmaker, key: str, member: str | None = None) -> bool:
        """Ends one session (``key`` is its id's hash); with ``member``, only if it is that member's."""
        q = delete(WebSession).where(WebSession.id_hash == key)
        if member is not None:
            q = q.where(WebSession.member == member)
        with writing(sessions) as w:
            return bool(cast(CursorResult[Any], w.execute(q)).rowcount)

    def end_member(self, sessions: sessionmaker, member: str) -> int:
        with writing(sessions) as w:
            done = cast(CursorResult[Any], w.execute(delete(WebSession).where(WebSession.member == member)))
            return int(done.rowcount or 0)

    def active(self, s: Session, member: str) -> list[WebSession]:
        now = self.clock()
        return list(s.execute(select(WebSession).where(WebSession.member == member, WebSession.expires_at > now,
                                                       WebSession.last_seen_at > now - self.idle)
                              .order_by(WebSession.last_seen_at.desc())).scalars())

    def save_data(self, sessions: sessionmaker, key: str, data: dict[str, Any]) -> None:
        text = json.dumps(data, separators=(",", ":"))
        if len(text) > MAX_DATA:
            text = "{}"
        with writing(sessions) as w:
            w.execute(update(WebSession).where(WebSession.id_hash == key).values(data=text))

    # in a request
    def sign_in(self, request: Request, sessions: sessionmaker, member: str) -> None:
        """A new session (a new id, so a planted cookie never becomes signed in) and a new CSRF token."""
        raw = self.create(sessions, member, address_key(client_address(request)),
                          request.headers.get("user-agent", ""))
        self._switch(request, raw, member)

    def sign_out(self, request: Request, sessions: sessionmaker, *, everywhere: bool = False) -> None:
        state: SessionState = request.scope[STATE]
        if everywhere and state.member:
            self.end_member(sessions, state.member)
        else:
            self.end(sessions, state.key)
        self._switch(request, new_id(), None)

    def _switch(self, request: Request, raw: str, member: str | None) -> None:
        state: SessionState = request.scope[STATE]
        state.raw, state.member, state.changed = raw, member, True
        request.session.clear()
        request.session["csrf"] = self.csrf(raw)


def check_api_write(request: Request) -> None:
    """A write under /api authenticated by the session cookie must carry the session's CSRF token in
    ``X-CSRF-Token``, and its Origin (or, without one, its Referer) must be this site when present.
    SameSite=Strict already keeps other sites' requests from carrying the cookie; this is the second lock."""
    if request.method in SAFE_METHODS or not request.url.path.startswith("/api/"):
        return
    sent = request.headers.get(CSRF_HEADER, "").encode("latin-1")
    if not hmac.compare_digest(sent, str(request.session.get("csrf", "")).encode()):
        raise CsrfRefused(C.CSRF_TOKEN)
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin is not None and not same_site(origin, request):
        raise CsrfRefused(C.CSRF_SITE)


def same_site(url: str, request: Request) -> bool:
    """Whether ``url`` (an Origin or a Referer) is this site: the same host and port; https of the same host
    also counts when the server sees plain http (TLS ends at a proxy)."""
    try:
        u = urlsplit(url)
        port = u.port
    except ValueError:
        return False
    if u.scheme not in ("http", "https") or not u.hostname:
        return False
    here = request.url
    if (u.hostname or "").lower() != (here.hostname or "").lower():
        return False
    default = {"http": 80, "https": 443}
    if u.scheme == here.scheme:
        return (port or default[u.scheme]) == (here.port or default.get(here.scheme))
    return u.scheme == "https" and here.scheme == "http" and here.port is None and port in (None, 443)


class SessionMiddleware:
    """Puts the request's session in the scope: ``request.session`` (a dict of the pages' data and the CSRF
    token) and ``scope["parley.session"]`` (a SessionState: who is signed in). Sets the cookie when the
    session changes or when an anonymous visitor receives a page; saves the pages' data of signed-in sessions."""

    def __init__(self, app: ASGIApp, store: WebSessions, skip: tuple[str, ...] = ("/static/",)) -> None:
        self.app, self.store, self.skip = app, store, skip

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        store = self.store
        raw = store.read_cookie(HTTPConnection(scope).cookies.get(COOKIE))
        if raw is None and is_machine_path(scope["path"]):
            # A program without a session (an API token, or nobody): no session data, no CSRF token, no
            # cookie to set (a machine path never answers with a page).
            scope["session"], scope[STATE] = {}, SessionState(fresh=True)
            return await self.app(scope, receive, send)
        state = SessionState(raw=raw, fresh=raw is None)
        runtime = getattr(scope["app"].state, "runtime", None) if "app" in scope else None
        text = "{}"
        if raw and runtime is not None and not scope["path"].startswith(self.skip):
            opened = await run_in_threadpool(store.open, runtime.sessions, raw)
            if opened:
                state.member, text = opened
        data = _data(text)
        session: dict[str, Any] = {**data, "csrf": store.csrf(state.raw)}
        scope["session"], scope[STATE] = session, state

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                now = {k: v for k, v in session.items() if k != "csrf"}
                if state.member and not state.changed and now != data and runtime is not None:
                    await run_in_threadpool(store.save_data, runtime.sessions, state.key, now)
                headers = MutableHeaders(scope=message)
                if state.changed or (state.fresh and headers.get("content-type", "").startswith("text/html")):
                    headers.append("set-cookie", store.cookie_header(state.raw))
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _data(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# -- sign-in attempts ------------------------------------------------------------------------------
class SignInLimits:
    """Failed sign-ins per member and per address in a sliding window. At the limit, sign-in is refused (even
    with the right password) until the oldest counted failure leaves the window."""

    def __init__(self, settings: Settings, clock: Clock = utcnow) -> None:
        self.per_member, self.per_address = settings.signin_failures_per_member, settings.signin_failures_per_address
        self.window = settings.signin_failure_window
        self.clock = clock

    def begin(self, sessions: sessionmaker, member: str, address: str) -> tuple[int | None, int]:
        """Counts an attempt before its password is checked: (the attempt's id, 0), or (None, seconds to wait)
        when the member or the address is locked."""
        now = self.clock()
        with writing(sessions) as w:
            w.execute(delete(SignInFailure).where(SignInFailure.at <= now - self.window))
            key = self.member_key(w, member)
            wait = max(self._wait(w, SignInFailure.member == key, self.per_member, now),
                       self._wait(w, SignInFailure.address == address, self.per_address, now))
            if wait:
                return None, wait
            row = SignInFailure(member=key, address=address[:64], at=now)
            w.add(row)
            w.flush()
            return row.id, 0

    def succeeded(self, sessions: sessionmaker, member: str) -> None:
        """The member's failures are forgotten; the address's failures against other members are not."""
        with writing(sessions) as w:
            w.execute(delete(SignInFailure).where(SignInFailure.member == member))

    def abandon(self, sessions: sessionmaker, attempt: int) -> None:
        """An attempt that never reached the password check (the server was busy) does not count."""
        with writing(sessions) as w:
            w.execute(delete(SignInFailure).where(SignInFailure.id == attempt))

    @staticmethod
    def member_key(s: Session, member: str) -> str:
        # What was typed may be a password typed in the wrong field: an unknown name is kept only as a hash.
        if AUTHOR_RE.match(member) and s.get(Member, member) is not None:
            return member
        return "?" + hashlib.sha256(member.encode()).hexdigest()[:40]

    def _wait(self, s: Session, where: Any, limit: int, now: datetime) -> int:
        times = s.execute(select(SignInFailure.at).where(where, SignInFailure.at > now - self.window)
                          .order_by(SignInFailure.at.desc()).limit(limit)).scalars().all()
        if len(times) < limit:
            return 0
        return max(1, math.ceil((times[-1] + self.window - now).total_seconds()))
