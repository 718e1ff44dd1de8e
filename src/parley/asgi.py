"""ASGI middleware that keeps the server answering whatever a client sends.

``BodyLimit`` reads every request body in full, within a size limit and a time limit, *before* the
application runs: no dependency takes a database connection while a client trickles its body in, and
handlers read the body from memory (or from a spool file for spreadsheet uploads).

``WriteAdmission`` lets a bounded number of writing requests into the application, per credential and in
all; the others wait their turn holding nothing, so a flood of writes cannot crowd out reads.

``AccessLog`` writes one line per request once it is answered: method, path (never its query), status and
the time taken, and nothing else of the request.

``RouteIndex`` is the application's routing: a request tries only the routes its path's first segment can match.

``Guard`` is the layer inside it: it puts the security headers on every response, the server's own
errors included, and turns an unhandled exception into a plain 500 (503 when the database is busy or
unreachable) that logs the exception's type, the route and the code location only, never request data.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import sysconfig
import tempfile
import time
import traceback
from collections import deque
from http.cookies import SimpleCookie
from pathlib import Path
from typing import IO, Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("parley.errors")
access = logging.getLogger("parley.access")

SPOOL_IN_MEMORY = 1 << 20  # upload bodies beyond this go to a temporary file while they are read
REPLAY_CHUNK = 64 << 10
# Paths read by programs (auditors, witnesses, clients): their errors are JSON, never pages.
MACHINE_PATHS = ("/api/", "/log/tile/", "/log/payloads/")  # prefixes
MACHINE_FILES = ("/log/checkpoint", "/log/key")  # exact paths (``/log/checkpoints`` is a page)


def is_machine_path(path: str) -> bool:
    """Paths a program reads (JSON, the checkpoint, tiles): their errors are never answered with a page."""
    return path.startswith(MACHINE_PATHS) or path in MACHINE_FILES


async def _answer(send: Send, status: int, code: str, message: str, *, close: bool = False,
                  extra: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"error": code, "message": message}, separators=(",", ":")).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra or [])})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Reads the whole request body before the application sees the request, or refuses it: 413 over the
    limit (announced or counted), 408 when it does not arrive in time. Spreadsheets of persons are uploaded
    to a few paths only (``upload_paths``), which get the larger ``upload_limit`` and ``upload_timeout``."""

    def __init__(self, app: ASGIApp, limit: int, upload_limit: int = 0, upload_paths: tuple[str, ...] = (),
                 timeout: float = 20.0, upload_timeout: float = 120.0) -> None:
        self.app, self.limit, self.upload_limit, self.upload_paths = app, limit, max(limit, upload_limit), upload_paths
        self.timeout, self.upload_timeout = timeout, max(timeout, upload_timeout)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        upload = scope.get("path", "") in self.upload_paths
        limit = self.upload_limit if upload else self.limit
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            return await _too_large(send, limit)
        spool: IO[bytes] | None = tempfile.SpooledTemporaryFile(SPOOL_IN_MEMORY) if upload else None  # noqa: SIM115 — closed in the finally below, after the app read it
        chunks: list[bytes] = []
        seen = 0
        try:
            try:
                # asyncio's own deadline: a fraction of anyio's cost per request (each of its calls asks
                # for the running loop, a system call on Python 3.11).
                async with asyncio.timeout(self.upload_timeout if upload else self.timeout):
                    while True:
                        msg = await receive()
                        if msg["type"] == "http.disconnect":
                            return  # the client went away: nobody to answer
                        data = msg.get("body", b"")
                        seen += len(data)
                        if seen > limit:
                            return await _too_large(send, limit)
                        if data and spool is not None:
                            spool.write(data)
                        elif data:
                            chunks.append(data)
                        if not msg.get("more_body", False):
                            break
            except TimeoutError:
                return await _answer(send, 408, "timeout", "the request body did not arrive in time", close=True)
            await self.app(scope, _replay(chunks, spool, receive), send)
        finally:
            if spool is not None:
                spool.close()


def _replay(chunks: list[bytes], spool: IO[bytes] | None, receive: Receive) -> Receive:
    """A ``receive`` that hands the body read already, then waits on the real one (for a disconnect)."""
    body = b"".join(chunks)
    if spool is not None:
        spool.seek(0)
    done = False

    async def replay() -> Message:
        nonlocal done
        if done:
            return await receive()
        if spool is None:
            done = True
            return {"type": "http.request", "body": body, "more_body": False}
        data = spool.read(REPLAY_CHUNK)
        more = len(data) == REPLAY_CHUNK
        if not more:
            done = True
        return {"type": "http.request", "body": data, "more_body": more}

    return replay


async def _too_large(send: Send, limit: int) -> None:
    # The rest of the body is never read: the connection closes after the answer.
    await _answer(send, 413, "too_large", f"request body over {limit} bytes", close=True)


class _Gate:
    """At most ``n`` holders at once; the others wait in arrival order. Only the event loop's thread uses
    it, so it needs no lock, and it binds to no event loop (each waiter's event is its own)."""

    def __init__(self, n: int) -> None:
        self.n, self.held, self.waiters = n, 0, deque[anyio.Event]()

    def take_now(self) -> bool:
        """Take a place if one is free and nobody waits for it; never waits."""
        if self.held < self.n and not self.waiters:
            self.held += 1
            return True
        return False

    async def acquire(self) -> None:
        if self.take_now():
            return
        turn = anyio.Event()
        self.waiters.append(turn)
        try:
            await turn.wait()
        except BaseException:
            if turn in self.waiters:
                self.waiters.remove(turn)
            else:
                self.release()  # given the place as it was cancelled: pass it on
            raise

    def release(self) -> None:
        if self.waiters:
            self.waiters.popleft().set()  # the place goes straight to the next in line
        else:
            self.held -= 1

    @property
    def idle(self) -> bool:
        return self.held == 0 and not self.waiters


def _client_key(scope: Scope) -> bytes:
    """Who is asking, as far as can be told without the database: the API token or the session cookie
    (hashed), else the client's address."""
    headers = dict(scope.get("headers", []))
    credential = headers.get(b"authorization")
    if not credential and b"cookie" in headers:
        try:
            jar = SimpleCookie(headers[b"cookie"].decode("latin-1"))
            credential = jar["parley_session"].value.encode() if "parley_session" in jar else None
        except Exception:  # noqa: BLE001 - a malformed cookie header is just no credential
            credential = None
    if credential:
        return hashlib.sha256(credential).digest()
    client = scope.get("client") or ("?", 0)
    return f"address {client[0]}".encode()


class WriteAdmission:
    """Requests that change something (every method but GET, HEAD and OPTIONS) go through two gates:
    ``per_client`` at a time for one credential (or one address without one) and ``in_flight`` in all.
    A flood of writes queues here, holding no thread and no connection, so it cannot crowd reads out of
    the worker threads, and one member's flood does not delay another member's writes. A write that waits
    longer than ``queue_timeout`` is answered 503 with Retry-After. Runs after ``BodyLimit``: a body that
    never arrives never holds a place."""

    SAFE = frozenset({"GET", "HEAD", "OPTIONS"})

    def __init__(self, app: ASGIApp, in_flight: int = 64, per_client: int = 4, queue_timeout: float = 30.0) -> None:
        self.app, self.queue_timeout = app, queue_timeout
        self.all = _Gate(in_flight)
        self.per_client = per_client
        self.clients: dict[bytes, _Gate] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method", "GET") in self.SAFE:
            return await self.app(scope, receive, send)
        key = _client_key(scope)
        gate = self.clients.get(key)
        if gate is None:
            gate = self.clients[key] = _Gate(self.per_client)
        taken: list[_Gate] = []
        try:
            if gate.take_now():  # the usual case: places free, nobody waiting, no deadline to arm
                taken.append(gate)
                if self.all.take_now():
                    taken.append(self.all)
            if len(taken) < 2:
                try:
                    async with asyncio.timeout(self.queue_timeout):
                        if not taken:
                            await gate.acquire()
                            taken.append(gate)
                        await self.all.acquire()
                        taken.append(self.all)
                except TimeoutError:
                    return await _answer(send, 503, "busy",
                                         "too many requests are waiting to be written; retry shortly",
                                         extra=[(b"retry-after", b"2")])
            await self.app(scope, receive, send)
        finally:
            for g in reversed(taken):
                g.release()
            if gate.idle and self.clients.get(key) is gate:
                del self.clients[key]


def _route(scope: Scope) -> str:
    route = scope.get("route")
    return getattr(route, "path", None) or "(no route)"


def _where(exc: BaseException) -> str:
    """The innermost frame of the application's own code (not the standard library's or an installed
    package's) that the exception went through: file and line, never a value."""
    libraries = tuple({sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")})
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if not f.filename.startswith((*libraries, "<"))
           or "parley" in Path(f.filename).parts] or frames
    if not own:
        return "?"
    f = own[-1]
    return f"{'/'.join(Path(f.filename).parts[-2:])}:{f.lineno} in {f.name}"


def _unavailable(exc: BaseException) -> bool:
    """The database pool is exhausted or the database unreachable, or the log did not answer in time."""
    from sqlalchemy.exc import DBAPIError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    if isinstance(exc, PoolTimeout | OperationalError | TimeoutError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


ERROR_PAGE = ("<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>{title}</title>"
              "<body><h1>{title}</h1><p>{message}</p><p><a href=\"/\">Parley</a></p></body></html>")


class Guard:
    """Outermost: every response gets ``headers`` (unless the response set its own), and an exception
    nothing else handled becomes a 500 (503 for an unavailable database) in JSON for programs or a plain
    page for browsers. The log line names the exception's type, the route and the code location; never
    the request's path values, query, body or the exception's message, which may quote them."""

    def __init__(self, app: ASGIApp, headers: dict[str, str]) -> None:
        self.app = app
        self.headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def with_headers(msg: Message) -> None:
            nonlocal started
            if msg["type"] == "http.response.start":
                started = True
                have = {k.lower() for k, _ in msg.get("headers", [])}
                msg = {**msg, "headers": [*msg.get("headers", []), *((k, v) for k, v in self.headers if k not in have)]}
            await send(msg)

        try:
            await self.app(scope, receive, with_headers)
        except Exception as exc:  # noqa: BLE001 - the last line of defence: answer, log without data
            busy = _unavailable(exc)
            if not busy:
                log.error("unhandled %s on %s %s at %s", type(exc).__name__, scope.get("method", "?"),
                          _route(scope), _where(exc))
            elif (missed := _OUTAGE.seen()) is not None:  # an outage fails every request: once per 10 s
                log.warning("database unavailable (%s on %s %s at %s); %d more such answers in the last 10 s",
                            type(exc).__name__, scope.get("method", "?"), _route(scope), _where(exc), missed)
            if started:
                return  # the answer is half sent: the server closes the connection
            await _error(scope, with_headers, busy)


class _Throttle:
    """Says when to log again: the first time, then at most once per ``every`` seconds, with how many
    occurrences were not logged meanwhile."""

    def __init__(self, every: float) -> None:
        self.every, self.last, self.missed = every, -every, 0

    def seen(self) -> int | None:
        now = time.monotonic()
        if now - self.last < self.every:
            self.missed += 1
            return None
        missed, self.last, self.missed = self.missed, now, 0
        return missed


_OUTAGE = _Throttle(10.0)


async def _error(scope: Scope, send: Send, busy: bool) -> None:
    status = 503 if busy else 500
    message = ("The server is busy or its database is unreachable; try again in a moment." if busy
               else "The server could not answer this request. The error was logged without its data.")
    extra = [(b"retry-after", b"5")] if busy else []
    headers = {k.lower(): v for k, v in scope.get("headers", [])}
    path = scope.get("path", "")
    if not is_machine_path(path) and b"text/html" in headers.get(b"accept", b""):
        title = "Try again" if busy else "Something went wrong"
        body = ERROR_PAGE.format(title=title, message=message).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"text/html; charset=utf-8"),
                                (b"content-length", str(len(body)).encode()), *extra]})
        await send({"type": "http.response.body", "body": body})
        return
    await _answer(send, status, "unavailable" if busy else "internal", message, extra=extra)



class AccessLog:
    """One line per request on ``parley.access``, written once the answer has been sent (or the client went
    away): ``GET /operations/ua-op-1 200 4.2 ms``. The path without its query (a search for a name is a query),
    its unprintable characters escaped so a request cannot forge lines; no client address, header or body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not access.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        status = 0

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            path = scope["path"]
            if not path.isprintable() or " " in path:
                path = path.encode("unicode_escape").decode("ascii").replace(" ", "%20")
            access.info("%s %s %s %.1f ms", scope["method"], path, status or "-", (time.perf_counter() - t0) * 1000)


class RouteIndex:
    """The application's routing (``app.router.middleware_stack``), trying only the routes a path can match.
    FastAPI tries every route in turn, each included router's own again inside it, at about 2 µs a route with
    its bookkeeping: 0.6–0.8 ms for a page near the end of Parley's 276 routes, a fifth of what the server spends
    on a public page. Here the top-level routes are grouped by the first segment of the paths they match (a
    route or mount whose first segment is a parameter is in every group), in their own order, and a request is
    routed by FastAPI over its group alone (``/public/…`` over the routers with a route under ``/public``). The
    same route is chosen, and the same 404, 405 or slash redirect given, since a route left out could not have
    matched the path; ``url_for`` still sees every route. Grouped again whenever the routes change."""

    WILD = object()  # the key of the routes every group holds

    def __init__(self, router: Any) -> None:
        self.router = router
        self._routes: list[Any] = []
        self._groups: dict[Any, Any] = {}

    @staticmethod
    def _segment(path: str) -> Any:
        first = path.lstrip("/").split("/", 1)[0]
        return RouteIndex.WILD if "{" in first or (not path.strip("/") and path != "/") else first

    def _segments(self, route: Any, prefix: str = "") -> set[Any]:
        """The first segments of the paths ``route`` can match: an included router's are its routes' (each path
        with its router's prefix already, and the prefix it was included with), read without having FastAPI build
        its per-route contexts (most of a second for every router at once)."""
        inner = getattr(route, "original_router", None)
        if inner is not None:
            context = getattr(route, "include_context", None)
            within = prefix + (getattr(context, "prefix", "") or "")
            found: set[Any] = set()
            for r in inner.routes:
                found |= self._segments(r, within)
            return found
        path = getattr(route, "path", None)
        return {self.WILD if not isinstance(path, str) else self._segment(prefix + path)}

    def _group(self, segment: str) -> Any:
        routes = self.router.routes
        if routes != self._routes:
            self._regroup(list(routes))
        return self._groups.get(segment) or self._groups[self.WILD]

    def _regroup(self, routes: list[Any]) -> None:
        from fastapi.routing import APIRouter

        segments = [self._segments(r) for r in routes]
        keys = {k for found in segments for k in found} | {self.WILD}
        groups = {}
        for key in keys:
            sub = APIRouter(redirect_slashes=self.router.redirect_slashes)
            sub.routes = [r for r, found in zip(routes, segments, strict=True) if key in found or self.WILD in found]
            sub.default = self.router.default
            groups[key] = sub
        self._routes, self._groups = routes, groups

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.router.app(scope, receive, send)
            return
        path: str = scope["path"]
        root = scope.get("root_path", "")
        if root and path.startswith(root) and path != root and path[len(root)] == "/":
            path = path[len(root):]
        scope.setdefault("router", self.router)  # url_for and the like see every route
        await self._group(path.lstrip("/").split("/", 1)[0]).app(scope, receive, send)
