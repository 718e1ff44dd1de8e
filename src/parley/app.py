"""The web application: an object built from settings (or a ready runtime), so tests build as many as
they like. It serves the HTTP API, the log's C2SP endpoints and the web interface: every router that
``parley.assembly.routers`` gathers, behind the body limit, write admission, sessions and the headers."""

from __future__ import annotations

import dataclasses
import gc
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import fastapi.routing
from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from parley import __version__
from parley.apischema import OpenAPIDocument, refusals
from parley.asgi import AccessLog, BodyLimit, Guard, RouteIndex, WriteAdmission, is_machine_path
from parley.assembly import open_runtime, routers
from parley.auth import CurrentPrincipal
from parley.errors import ParleyError
from parley.log import merkle, note
from parley.parties.credentials import HASHING
from parley.parties.sessions import SessionMiddleware, SignInLimits, WebSessions
from parley.runtime import Runtime
from parley.settings import Settings

# Paths read by programs (auditors, witnesses, clients): their errors are JSON, never pages.
UPLOAD_PATHS = ("/api/lists", "/api/lists/preview", "/lists/import")
log = logging.getLogger(__name__)


def _leaflet_dir() -> Path:
    """Leaflet's files from the installed package (django-js-lib-leaflet ships them as plain static files)."""
    import importlib.util

    spec = importlib.util.find_spec("js_lib_leaflet")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the Leaflet package (django-js-lib-leaflet) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "static" / "js_lib_leaflet"


def create_app(settings: Settings, runtime: Runtime | None = None) -> FastAPI:
    """The server: every router of the composition root (``assembly.routers()``), the static files, the error
    answers and the layers every request passes (security headers, body limits, write admission, sessions).
    Without ``runtime`` it opens its own from ``settings`` when it starts, and closes it when it stops."""
    # No /docs or /redoc: FastAPI's pages load their scripts from a CDN. The description is /openapi.json.
    # No OpenTelemetry: Parley sends nothing anywhere, and FastAPI's per-request check that it is off costs.
    app = FastAPI(title="Parley", version=__version__, lifespan=_lifespan(settings), docs_url=None, redoc_url=None,
                  openapi_url=None, description="The shared, verifiable record of humanitarian agreements.",
                  telemetry={"tracing": False, "metrics": False, "logs": False})
    app.state.runtime = runtime
    app.state.settings = settings
    app.state.web_sessions = WebSessions(settings)
    app.state.signin_limits = SignInLimits(settings)
    HASHING.configure(settings.password_hash_slots, settings.password_hash_queue,
                      settings.password_hash_wait.total_seconds())
    _error_answers(app)

    @app.get("/api/openapi.json", tags=["api"], response_model=OpenAPIDocument, responses=refusals(401, 503))
    def openapi(_: CurrentPrincipal) -> JSONResponse:
        """This description of the API (OpenAPI 3.1)."""
        return JSONResponse(app.openapi())

    _include_routers(app)
    app.mount("/static/leaflet", StaticFiles(directory=_leaflet_dir()), name="leaflet")
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "web" / "static"), name="static")
    # Routing by the path's first segment (``asgi.RouteIndex``), where the router routes nothing else itself.
    if app.router.middleware_stack == app.router.app:
        app.router.middleware_stack = RouteIndex(app.router)

    app.add_middleware(SessionMiddleware, store=app.state.web_sessions)
    app.add_middleware(WriteAdmission, in_flight=settings.writes_in_flight, per_client=settings.writes_per_client)
    app.add_middleware(BodyLimit, limit=settings.max_request_bytes, upload_limit=settings.max_upload_bytes,
                       upload_paths=UPLOAD_PATHS, timeout=settings.body_timeout.total_seconds(),
                       upload_timeout=settings.upload_timeout.total_seconds())
    app.add_middleware(Guard, headers=security_headers(settings))
    if settings.access_log:
        app.add_middleware(AccessLog)
    return app


# The routers as included in the first app create_app made in this process, shared by every later one
# (``_include_routers``).
_INCLUDED: list[Any] = []
_INCLUDED_LOCK = threading.Lock()


def _include_routers(app: FastAPI) -> None:
    """Every router of ``assembly.routers()``, included in ``app``. FastAPI works out what routing needs of an
    included router's routes (their dependencies, their parameters' models) on the first request through it, and
    does so for each app: about 0.6 s for all of Parley's routes. A server makes one app and pays it once; a
    process that makes many (the tests make one a test) paid it in every one. So the routers as included in the
    first app are shared by the later ones, with what FastAPI worked out for them. That is the same for each app:
    create_app includes every router the same way (no prefix, no dependencies, FastAPI's defaults), and what is
    shared holds no app's own state, not even its dependency overrides, which Parley does not use (the provider
    is cleared). A FastAPI without these internals, or a router with a start-up or shut-down of its own (which
    ``include_router`` would add to each app's), gets its routers included the documented way."""
    included_router = getattr(fastapi.routing, "_IncludedRouter", None)
    changed = getattr(app.router, "_mark_routes_changed", None)
    mine = routers()
    plain = type(APIRouter().lifespan_context)  # a router with no start-up or shut-down of its own
    if (included_router is None or changed is None
            or any(r.on_startup or r.on_shutdown or type(r.lifespan_context) is not plain for r in mine)):
        for router in mine:
            app.include_router(router)
        return
    with _INCLUDED_LOCK:
        if _INCLUDED:
            app.router.routes.extend(_INCLUDED)
            changed()
            return
        start = len(app.router.routes)
        for router in mine:
            app.include_router(router)
        added: list[Any] = app.router.routes[start:]
        if len(added) == len(mine) and all(type(r) is included_router for r in added):
            for r in added:
                r.include_context = dataclasses.replace(r.include_context, dependency_overrides_provider=None)
            _INCLUDED.extend(added)


def _lifespan(settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Start-up and shut-down: the runtime (opened here unless one was given), the log's self-check before
    serving and then on a schedule, the publisher to the witnesses, the notifier of families."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = app.state.runtime is None
        if own:
            app.state.runtime = open_runtime(settings)
        _size_thread_pool(settings, app.state.runtime)
        rt = app.state.runtime
        if rt.integrity is not None:
            # The log checks itself before serving (log/selfcheck.py), then on a schedule.
            if settings.self_check_on_start:
                report = await run_in_threadpool(rt.integrity.run_once)
                if not report.ok:
                    if own:
                        rt.close()
                    raise RuntimeError(f"refusing to start: {report.summary}")
            rt.integrity.start(settings.self_check_interval.total_seconds())
        publisher = None
        if settings.witness_policy:
            from parley.logserver.publish import Publisher

            publisher = Publisher(app.state.runtime)
            # Behind a tree a witness cosigned (an older backup restored without a mirror): serve reads only.
            await run_in_threadpool(publisher.check_behind)
            publisher.start()
        notifier = None
        from parley.people.notify import Notifier, sender_from

        sender = sender_from(settings)
        if sender is not None and settings.notify_interval.total_seconds() > 0:
            notifier = Notifier(rt.sessions, sender, settings.public_url, settings.notify_interval.total_seconds())
            app.state.notifier = notifier
            notifier.start()
        # What start-up built (the application, its models, the runtime's caches) lives as long as the
        # process: out of the collector's sight, a full collection walks only what requests made since (a
        # served process only, ``cli.run_server``: a test process makes many applications and drops them).
        if getattr(app.state, "freeze_after_start", False):
            gc.freeze()
        try:
            yield
        finally:
            if notifier:
                notifier.stop()
            if publisher:
                publisher.stop()
            if rt.integrity is not None:
                rt.integrity.stop()
            if own:
                app.state.runtime.close()

    return lifespan


def _error_answers(app: FastAPI) -> None:
    """How refusals and errors are answered: JSON (``{error, code?, params?, message, field?}``) to programs and
    on the API's and the log's paths; an error page in the reader's language to a browser on a page's path."""

    @app.exception_handler(ParleyError)
    async def parley_error(_: Request, exc: ParleyError) -> JSONResponse:
        return JSONResponse(exc.as_dict(), status_code=exc.status, headers=getattr(exc, "headers", None))

    @app.exception_handler(merkle.ProofError)
    async def proof_error(_: Request, exc: merkle.ProofError) -> JSONResponse:
        return JSONResponse({"error": "proof", "message": str(exc)}, status_code=422)

    @app.exception_handler(note.NoteError)
    async def note_error(_: Request, exc: note.NoteError) -> JSONResponse:
        return JSONResponse({"error": "bad_note", "message": str(exc)}, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):  # type: ignore[no-untyped-def]
        if exc.status_code >= 400 and _wants_page(request):
            from parley.web.routes import error_page

            # Titled by its status, in the reader's language, with the navigation of whoever is signed in.
            return await run_in_threadpool(error_page, request, exc.status_code, exc.detail,
                                           getattr(exc, "headers", None))
        return JSONResponse({"error": "http", "message": str(exc.detail)}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):  # type: ignore[no-untyped-def]
        if _wants_page(request):
            from parley.web.routes import error_page

            return await run_in_threadpool(error_page, request, 422, None)
        errors = [{"field": ".".join(str(x) for x in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        return JSONResponse({"error": "invalid", "message": "the request is invalid", "errors": errors},
                            status_code=422)


def _wants_page(request: Request) -> bool:
    """A browser asking for a page (not a program, not the API's or the log's paths)."""
    return not is_machine_path(request.url.path) and "text/html" in request.headers.get("accept", "")


def security_headers(settings: Settings) -> dict[str, str]:
    """The headers on every response, errors included (``Guard``, the outermost layer, adds those a response
    lacks)."""
    headers = {
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Content-Security-Policy":
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
    }
    if settings.cookie_secure:  # served over HTTPS (secure cookies): browsers keep to HTTPS for a year
        headers["Strict-Transport-Security"] = "max-age=31536000"
    return headers


def _size_thread_pool(settings: Settings, rt: Runtime) -> None:
    """At most ``worker_threads`` threads run handlers and database work, and never more than the
    database pool can serve at once: a thread never waits for a connection."""
    import anyio.to_thread
    from sqlalchemy.pool import QueuePool

    tokens = settings.worker_threads
    if isinstance(rt.engine.pool, QueuePool):
        tokens = max(2, min(tokens, rt.engine.pool.size()))
    anyio.to_thread.current_default_thread_limiter().total_tokens = tokens
