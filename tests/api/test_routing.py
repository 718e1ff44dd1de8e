"""The application's routing by first path segment (``asgi.RouteIndex``) chooses what FastAPI's own routing over
every route chooses: the same route for every path any route can match, and the same 404, 405 and slash
redirect."""

from __future__ import annotations

import re

from starlette.routing import Match

from parley.app import create_app
from parley.asgi import RouteIndex


def concrete(path_format: str) -> str:
    """A path the route matches: each parameter given a value its convertor takes."""
    return re.sub(r"\{[^}]+\}", "1", path_format)


def chosen(routes: list, path: str, method: str) -> tuple[object, Match]:
    """The route FastAPI's loop picks over ``routes`` for a request (the first full match, else the first
    partial one), as ``APIRouter.app`` does."""
    scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": [], "query_string": b""}
    partial = None
    for route in routes:
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return route, match
        if match == Match.PARTIAL and partial is None:
            partial = route
    return partial, Match.PARTIAL if partial is not None else Match.NONE


def test_every_route_is_chosen_as_without_the_index(sqlite_runtime):
    app = create_app(sqlite_runtime.settings, sqlite_runtime)
    index = app.router.middleware_stack
    assert isinstance(index, RouteIndex), "the application routes through RouteIndex"
    paths = set()
    for route in app.router.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        for c in contexts() if contexts else [route]:
            inner = getattr(c, "starlette_route", None)
            fmt = getattr(inner, "path_format", None) or getattr(c, "path_format", None)
            methods = getattr(c, "methods", None) or {"GET"}
            paths.update((concrete(fmt), m) for m in methods)
    assert len(paths) > 250
    # Every route's own path, the same path with a slash more or less, and paths no route has.
    extra = {("/no/such/page", "GET"), ("/", "GET"), ("/api/nothing", "GET"), ("/public/", "GET"), ("", "GET")}
    tried = paths | {(p.rstrip("/") if p.endswith("/") else p + "/", m) for p, m in paths} | extra
    for path, method in sorted(tried):
        first = path.lstrip("/").split("/", 1)[0]
        group = index._group(first)
        assert chosen(group.routes, path, method) == chosen(app.router.routes, path, method), (method, path)
    # Fewer routes tried than FastAPI's loop: /public's group holds a handful of the routers.
    assert len(index._group("public").routes) < len(app.router.routes) / 4


def test_answers_as_without_the_index(sqlite_runtime, sqlite_demo):
    """The same answers, by status, body and Allow or Location header, with and without the index."""
    from fastapi.testclient import TestClient

    plain = create_app(sqlite_runtime.settings, sqlite_runtime)
    plain.router.middleware_stack = plain.router.app  # FastAPI's own routing over every route
    indexed = create_app(sqlite_runtime.settings, sqlite_runtime)
    auth = sqlite_demo.headers("ua/negotiator")
    requests = [("GET", "/public", {}), ("GET", "/static/parley.js", {}), ("GET", "/no/such/page", auth),
                ("GET", "/api/nothing", auth), ("PUT", "/api/public/figures", {}), ("GET", "/public/", {}),
                ("GET", "/operations", auth), ("GET", "/operations/", auth), ("GET", "/api/operations", auth),
                ("DELETE", "/signin", {}), ("GET", "/", auth)]
    with TestClient(plain) as a, TestClient(indexed) as b:
        for method, path, headers in requests:
            x, y = (c.request(method, path, headers=headers, follow_redirects=False) for c in (a, b))
            assert (x.status_code, x.headers.get("allow"), x.headers.get("location")) == \
                (y.status_code, y.headers.get("allow"), y.headers.get("location")), (method, path)
            if x.headers.get("content-type", "").startswith("application/json"):
                assert x.json() == y.json(), (method, path)
        statuses = {path: a.request(m, path, headers=h, follow_redirects=False).status_code for m, path, h in requests}
    assert statuses["/public"] == 200 and statuses["/no/such/page"] == 404 and statuses["/public/"] == 307
    assert statuses["/api/public/figures"] == 405
