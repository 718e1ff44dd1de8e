"""Hostile numbers and unhandled errors: every integer a request carries is bounded to the database's range
(422/404, never an overflow), every response carries the security headers, and an error nothing handled is a
plain 500 (503 for a busy database) whose log line names the exception's type and the route, never the
request's data. ``/api/openapi.json`` answers members (security issue 9, findings 12; security.md V12)."""

from __future__ import annotations

import logging

import pytest

from tests.robust.conftest import bearer

MAX = 2**63 - 1
HEADERS = {"x-content-type-options": "nosniff", "x-frame-options": "DENY", "referrer-policy": "same-origin"}


def has_security_headers(r) -> bool:  # type: ignore[no-untyped-def]
    return all(r.headers.get(k) == v for k, v in HEADERS.items()) and "default-src 'self'" in \
        r.headers.get("content-security-policy", "")


REFUSED = [  # (method, path): each answered 422, or 404 where the path is text
    ("GET", f"/api/log/records/{10**20}"),
    ("GET", f"/api/log/records/{MAX + 1}"),
    ("GET", "/api/log/records/-1"),
    ("GET", f"/api/log/records?start={MAX + 1}"),
    ("GET", f"/api/log/checkpoints?before={MAX + 1}"),
    ("GET", f"/api/log/checkpoints?before=-{10**30}"),
    ("GET", "/api/log/checkpoints?before=1e3"),
    ("GET", "/api/log/checkpoints?before=0x10"),
    ("GET", f"/api/log/consistency?old=1&new={MAX + 1}"),
    ("GET", f"/api/log/consistency?old={10**40}&new=2"),
    ("GET", f"/log/checkpoints?before={MAX + 1}"),
    ("GET", f"/log?start={MAX}"),
    ("GET", f"/log?start=-{10**30}"),
    ("GET", f"/log?limit={10**30}"),
    ("GET", f"/log/checkpoints?before=-{10**30}"),
    ("POST", f"/api/operations/op-x/channel/{MAX + 1}/receipts"),
]
ANSWERED = [  # the largest values in range are answered normally
    ("GET", f"/api/log/records/{MAX}", 404),
    ("GET", f"/api/log/records?start={MAX}", 200),
    ("GET", f"/api/log/checkpoints?before={MAX}", 200),
    ("GET", f"/log/checkpoints?before={MAX}", 200),
    ("GET", f"/log?start={MAX - 1}", 200),
    ("GET", f"/log/records/{10**20}", 404),
    ("POST", f"/api/operations/op-x/channel/{MAX}/receipts", 404),
]


def test_integers_out_of_the_database_range_are_refused(small_client, tokens) -> None:  # type: ignore[no-untyped-def]
    h = bearer(tokens, "ua/admin")
    for method, path in REFUSED:
        r = small_client.request(method, path, headers=h, json={"state": "read"} if method == "POST" else None)
        assert r.status_code == 422, (path, r.status_code, r.text[:200])
        assert r.json()["error"] == "invalid" and has_security_headers(r), path
    for method, path, status in ANSWERED:
        r = small_client.request(method, path, headers=h, json={"state": "read"} if method == "POST" else None)
        assert r.status_code == status, (path, r.status_code, r.text[:200])


def test_openapi_answers_members_and_only_them(small_client, tokens) -> None:  # type: ignore[no-untyped-def]
    for query in ("", "?_=1", "?_=x&x=1"):
        r = small_client.get(f"/api/openapi.json{query}", headers=bearer(tokens, "ua/press"))
        assert r.status_code == 200, r.text[:300]
        schema = r.json()
        assert schema["openapi"].startswith("3.") and "/api/log/records/{index}" in schema["paths"]
        names = {p.get("name") for op in schema["paths"].values() for m in op.values() for p in m.get("parameters", [])}
        assert "_" not in names and "s" not in names  # dependencies are no parameters
    anonymous = small_client.get("/api/openapi.json")
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "unauthorized"
    assert has_security_headers(anonymous)


@pytest.fixture
def failing_client(sqlite_runtime):  # type: ignore[no-untyped-def]
    """The app with routes that fail the way a bug or an exhausted pool would."""
    from fastapi.testclient import TestClient
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    from parley.app import create_app

    app = create_app(sqlite_runtime.settings, sqlite_runtime)

    @app.get("/api/boom/{pid}")
    @app.get("/people-boom/{pid}")
    def boom(pid: str) -> None:
        raise RuntimeError(f"Ковальов Петро Іванович, {pid}")

    @app.post("/api/busy")
    def busy() -> None:
        raise PoolTimeout("QueuePool limit of size 5 overflow 10 reached")

    with TestClient(app) as c:
        yield c


def test_an_unhandled_error_is_a_plain_500_with_headers_logged_without_data(failing_client, caplog) -> None:  # type: ignore[no-untyped-def]
    with caplog.at_level(logging.ERROR):
        r = failing_client.get("/api/boom/p-ua-0001?q=Kovalyov", headers={"X-Name": "Ковальов".encode()})
    assert r.status_code == 500 and has_security_headers(r)
    assert r.json() == {"error": "internal",
                        "message": "The server could not answer this request. The error was logged without its data."}
    logged = "\n".join(rec.getMessage() + str(rec.exc_info or "") for rec in caplog.records)
    assert "RuntimeError" in logged and "GET /api/boom/{pid}" in logged and "test_errors.py" in logged
    for secret in ("Ковальов", "p-ua-0001", "Kovalyov", "Петро"):
        assert secret not in logged and secret not in r.text
    assert all(rec.exc_info is None for rec in caplog.records)  # no traceback: its frames hold the values
    page = failing_client.get("/people-boom/p-1", headers={"Accept": "text/html"})
    assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
    assert has_security_headers(page) and "Something went wrong" in page.text and "Ковальов" not in page.text


def test_a_busy_database_is_503_with_retry_after(failing_client) -> None:  # type: ignore[no-untyped-def]
    r = failing_client.post("/api/busy", json={})
    assert r.status_code == 503 and r.headers["retry-after"] == "5" and has_security_headers(r)
    assert r.json()["error"] == "unavailable"


def test_refusals_before_the_app_carry_the_headers_too(sqlite_client) -> None:  # type: ignore[no-untyped-def]
    big = sqlite_client.post("/api/records", content=b"x" * (2 << 20), headers={"Content-Type": "application/json"})
    assert big.status_code == 413 and big.json()["error"] == "too_large" and has_security_headers(big)
    for r in (sqlite_client.get("/api/me"), sqlite_client.get("/no-such-page"), sqlite_client.get("/static/nope.css")):
        assert has_security_headers(r), r.status_code
