"""The app's route table as ``parley.assembly.routers`` puts it together from the page groups' routers: each
method and address served once, every route reached by its own address (a fixed address such as
``/operations/new`` listed before the pattern ``/operations/{op_id}`` that would also read it), and every page
module's router in the app."""

from __future__ import annotations

import importlib
import pkgutil
import re
import tempfile
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute

import parley.web
from tests.docs.reference import _flat


@cache
def table() -> tuple[Any, ...]:
    """The app's routes in the order a request tries them."""
    from parley.app import create_app
    from parley.settings import Settings

    with tempfile.TemporaryDirectory() as d:  # building the app opens nothing (the runtime opens in its lifespan)
        settings = Settings(database_url=f"sqlite:///{d}/parley.db", data_dir=Path(d), secret_key="routes-" + "k" * 40,
                            log_origin="routes.parley.local/log", cookie_secure=False)
        return tuple(_flat(create_app(settings).routes))


def routes() -> list[Any]:
    """The routes that answer methods (FastAPI's own, or its view of an included router's), not the mounts."""
    return [r for r in table() if getattr(r, "methods", None) and getattr(r, "endpoint", None)]


def pairs() -> list[tuple[str, str]]:
    return [(m, r.path) for r in routes() for m in sorted(r.methods)]


def test_no_two_routes_share_a_method_and_an_address():
    shared = sorted(pair for pair, n in Counter(pairs()).items() if n > 1)
    assert shared == []
    assert ("GET", "/people/new") in pairs() and ("GET", "/operations/{op_id}") in pairs() and len(pairs()) > 100


def test_every_route_is_reached_by_its_own_address():
    shadowed = []
    for route in routes():
        address = re.sub(r"{\w+(:\w+)?}", "x1", route.path)
        for method in sorted(route.methods):
            first = next(r for r in routes() if method in r.methods and r.path_regex.match(address))
            if first is not route:
                shadowed.append(f"{method} {route.path} is read as {first.path} ({first.endpoint.__module__})")
    assert shadowed == []


def test_every_page_module_is_served():
    """A page group's module whose router ``assembly.routers`` does not list would serve nothing."""
    served = {r.endpoint for r in routes()}
    modules = [importlib.import_module(m.name)
               for m in pkgutil.walk_packages(parley.web.__path__, "parley.web.")]
    routers = {m.__name__: m.router for m in modules if isinstance(getattr(m, "router", None), APIRouter)}
    assert {"parley.web.routes", "parley.web.parties", "parley.web.people.registry",
            "parley.web.operations.board"} <= routers.keys()
    missing = sorted(f"{name}: {r.path}" for name, router in routers.items() for r in router.routes
                     if isinstance(r, APIRoute) and r.endpoint not in served)
    assert missing == []


def test_apps_share_what_routing_worked_out_and_each_serves_its_own_deployment(sqlite_runtime, sqlite_demo, tmp_path):
    """Every app create_app makes shares the routers as included in the first (FastAPI works out their routes'
    dependencies and models once per process, not once an app); each still answers from its own runtime."""
    from fastapi.testclient import TestClient

    from parley.app import create_app
    from tests.conftest import load_demo_into, make_runtime

    other = make_runtime(f"sqlite:///{tmp_path / 'other' / 'parley.db'}", tmp_path / "other")
    try:
        other_demo = load_demo_into(other)
        first, second = create_app(sqlite_runtime.settings, sqlite_runtime), create_app(other.settings, other)
        shared = [r for r in second.router.routes if getattr(r, "original_router", None) is not None]
        assert len(shared) > 30 and all(any(r is s for s in first.router.routes) for r in shared)
        assert all(r.include_context.dependency_overrides_provider is None for r in shared)
        # Each demo's members have tokens of their own: each app knows its own deployment's, not the other's.
        mine = sqlite_demo.headers("ua/negotiator")
        theirs = other_demo.headers("ua/negotiator")
        assert mine != theirs
        for app, own, foreign in ((first, mine, theirs), (second, theirs, mine)):
            with TestClient(app) as c:
                assert c.get("/api/log/records?limit=1", headers=own).status_code == 200
                assert c.get("/api/log/records?limit=1", headers=foreign).status_code == 401
    finally:
        other.close()
