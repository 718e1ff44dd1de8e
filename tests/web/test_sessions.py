"""Sessions on the server, sign-in limits, the Argon2 gate, CSRF on API writes with the cookie, proxy headers,
HSTS (security review findings V7, V8, V13, V14, V16). Time moves by a clock the tests set, never by sleeping."""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from datetime import datetime, timedelta

import pytest
from argon2.exceptions import VerifyMismatchError
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from parley.parties import credentials
from parley.parties.credentials import HASHING, HashBusy, HashGate
from parley.parties.models import SignInFailure, WebSession
from parley.parties.sessions import COOKIE, SignInLimits, address_key, agent_label, id_hash
from tests.web.test_pages import csrf, sign_in

META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 2, 9, 0, 0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@pytest.fixture
def clock(client) -> Clock:
    c = Clock()
    client.app.state.web_sessions.clock = c
    client.app.state.signin_limits.clock = c
    return c


def limits(client, clock: Clock, **settings) -> SignInLimits:
    rt = client.app.state.runtime
    lim = SignInLimits(rt.settings.model_copy(update=settings), clock=clock)
    client.app.state.signin_limits = lim
    return lim


def browser(client, address: str = "testclient", agent: str = "testclient", **kw) -> TestClient:
    """Another browser on the same server (its own cookies, address and user agent)."""
    return TestClient(client.app, client=(address, 50000), headers={"User-Agent": agent}, **kw)


def attempt(c: TestClient, member: str, password: str, lang: str = "en"):
    return c.post("/signin", data={"member": member, "password": password, "csrf": csrf(c), "next": "/"},
                  headers={"Accept-Language": lang}, follow_redirects=False)


def rows(runtime, model, *where):
    with runtime.sessions() as s:
        return list(s.execute(select(model).where(*where)).scalars())


# -- sign-in limits (V7) ---------------------------------------------------------------------------
def test_a_locked_member_is_refused_even_with_the_right_password(client, demo, runtime, clock, monkeypatch):
    limits(client, clock, signin_failures_per_member=3, signin_failures_per_address=100)
    checked = []
    real = credentials.check_password
    monkeypatch.setattr("parley.web.routes.check_password", lambda *a: checked.append(1) or real(*a))
    a, b = browser(client, "198.51.100.1"), browser(client, "198.51.100.2")
    assert [attempt(x, "ua/admin", "wrong").status_code for x in (a, b, a)] == [400, 400, 400]
    right = demo.password("ua/admin")
    for c in (a, b, browser(client, "2001:db8::1")):  # every address: the member is locked
        r = attempt(c, "ua/admin", right, lang="uk")
        assert r.status_code == 429
        assert 0 < int(r.headers["Retry-After"]) <= 15 * 60
        assert 'id="password-error"' in r.text and "Забагато невдалих спроб входу" in r.text \
            and "Спробувати знову можна через" in r.text and "хвилин" in r.text
    assert len(checked) == 3  # a locked attempt costs no hash
    assert a.get("/api/me").status_code == 401
    # Another member is not locked; the window passes and the member signs in.
    assert attempt(a, "ua/press", demo.password("ua/press")).status_code == 303
    clock.advance(minutes=15, seconds=1)
    assert attempt(b, "ua/admin", right).status_code == 303
    assert b.get("/api/me").json()["member"] == "ua/admin"


def test_an_address_is_locked_across_members_and_unknown_names(client, demo, runtime, clock):
    limits(client, clock, signin_failures_per_member=100, signin_failures_per_address=3)
    a = browser(client, "203.0.113.9")
    assert attempt(a, "ua/admin", "x").status_code == 400
    assert attempt(a, "nobody/here", "x").status_code == 400
    assert attempt(a, "ru/admin", "x").status_code == 400
    r = attempt(a, "ua/press", demo.password("ua/press"))
    assert r.status_code == 429 and "Too many failed sign-ins" in r.text and 'value="ua/press"' in r.text
    # IPv6 counts by /64: another address of the same /64 is the same client.
    v6 = [browser(client, f"2001:db8:1:2::{i}") for i in (1, 2, 3, 4)]
    for c in v6[:3]:
        assert attempt(c, "ua/admin", "x").status_code == 400
    assert attempt(v6[3], "ua/press", demo.password("ua/press")).status_code == 429
    # Another address signs in; a success keeps the address's failures against other members.
    assert attempt(browser(client, "203.0.113.10"), "ua/press", demo.password("ua/press")).status_code == 303
    assert len(rows(runtime, SignInFailure, SignInFailure.address == "203.0.113.9")) == 3


def test_success_forgets_the_members_failures_and_names_typed_are_kept_hashed(client, demo, runtime, clock):
    limits(client, clock, signin_failures_per_member=3, signin_failures_per_address=100)
    a = browser(client)
    for _ in range(2):
        assert attempt(a, "ua/admin", "wrong").status_code == 400
    assert attempt(a, "ua/admin", demo.password("ua/admin")).status_code == 303
    for _ in range(2):
        assert attempt(browser(client), "ua/admin", "wrong").status_code == 400
    assert attempt(browser(client), "ua/admin", demo.password("ua/admin")).status_code == 303
    # Hostile names: a password typed in the member field, control characters, 130 characters of Cyrillic.
    typed = ["correct horse battery staple", "ua/admin\x00' OR 1=1 --", "ж" * 130, "<script>alert(1)</script>"]
    for name in typed:
        r = attempt(browser(client), name, "x")
        assert r.status_code == 400 and "<script>alert(1)" not in r.text
    kept = {f.member for f in rows(runtime, SignInFailure)}
    assert not (kept & set(typed)) and all(k.startswith("?") and len(k) == 41 for k in kept)
    assert attempt(browser(client), "x" * 131, "x").status_code == 422


def test_hashing_is_bounded_across_concurrent_sign_ins(client, demo, runtime, monkeypatch):
    """Six sign-ins at once with two slots and two places to wait: two hash, two wait, two get 503 at once."""
    state = {"now": 0, "max": 0}
    lock, release = threading.Lock(), threading.Event()

    class Instrumented:
        time_cost, memory_cost, parallelism = 1, 1024, 1

        def verify(self, stored, password):
            with lock:
                state["now"] += 1
                state["max"] = max(state["max"], state["now"])
            try:
                release.wait(30)
            finally:
                with lock:
                    state["now"] -= 1
            raise VerifyMismatchError()

    monkeypatch.setattr(credentials, "_hasher", Instrumented())
    HASHING.configure(2, 2, 30)
    members = ["ua/admin", "ua/negotiator", "ua/registrar", "ua/press", "ua/liaison", "ru/admin"]
    browsers = {m: browser(client) for m in members}
    tokens = {m: csrf(c) for m, c in browsers.items()}
    answers: dict[str, object] = {}

    def go(m: str) -> None:
        answers[m] = browsers[m].post("/signin", data={"member": m, "password": "wrong", "csrf": tokens[m]})

    threads = [threading.Thread(target=go, args=(m,)) for m in members]
    try:
        for t in threads:
            t.start()
        deadline = time.monotonic() + 20
        while not (HASHING.active == 2 and HASHING.waiting == 2 and len(answers) == 2):
            assert time.monotonic() < deadline, (HASHING.active, HASHING.waiting, len(answers))
            time.sleep(0.01)
        busy = list(answers.values())
        release.set()
        for t in threads:
            t.join(30)
    finally:
        release.set()
        HASHING.configure(2, 8, 3.0)
    assert state["max"] == 2
    assert all(r.status_code == 503 and r.headers["Retry-After"] and 'id="password-error"' in r.text for r in busy)
    assert sorted(r.status_code for r in answers.values()) == [400, 400, 400, 400, 503, 503]
    # Refused for lack of a slot, not for the password: those two attempts are not counted as failures.
    assert len(rows(runtime, SignInFailure)) == 4


def test_the_gate_refuses_at_once_when_full_and_waits_for_no_one_past_its_time():
    gate = HashGate(slots=1, queue=0, wait=10)
    with gate.slot():
        with pytest.raises(HashBusy), gate.slot():
            pass
        gate.configure(1, 5, 0)  # room to wait, but no time to wait
        with pytest.raises(HashBusy) as exc, gate.slot():
            pass
        assert exc.value.status == 503 and exc.value.headers["Retry-After"]
    with gate.slot():  # released: free again
        assert gate.active == 1
    assert gate.active == 0 and gate.waiting == 0


def test_families_share_the_gate(client, demo):
    """The family's secret check takes the same slots: when they are taken it answers 503, not a hash."""
    from parley.people import service as svc

    svc.public_limits(client.app.state).family.clear()
    HASHING.configure(1, 0, 0)
    try:
        with HASHING.slot():
            r = client.post("/api/family/inquiry", json={"reference": "INQ-AAAA-BBBB", "secret": "x"})
            assert r.status_code == 503 and r.json()["error"] == "busy" and r.headers["Retry-After"]
            page = client.post("/family", data={"reference": "INQ-AAAA-BBBB", "secret": "x",
                                                "csrf": csrf(client, "/family")}, headers={"Accept-Language": "ru"})
            assert page.status_code == 503 and "Сервер занят" in page.text
            svc.public_limits(client.app.state).filings.clear()
            filed = client.post("/family/new", data={"surname": "Гнатюк", "first_name": "Роман", "party": "ua",
                                                     "csrf": csrf(client, "/family/new")},
                                headers={"Accept-Language": "ru"})
            assert filed.status_code == 503 and 'id="form-error"' in filed.text and "Сервер занят" in filed.text
            signin = attempt(client, "ua/admin", demo.password("ua/admin"))
            assert signin.status_code == 503 and "The server is busy" in signin.text
    finally:
        HASHING.configure(2, 8, 3.0)
        svc.public_limits(client.app.state).family.clear()
        svc.public_limits(client.app.state).filings.clear()
    assert attempt(client, "ua/admin", demo.password("ua/admin")).status_code == 303


# -- sessions (V8) ---------------------------------------------------------------------------------
def test_sign_out_ends_a_copied_cookie(client, demo, runtime):
    sign_in(client, demo, "ua/negotiator")
    copied = client.cookies[COOKIE]
    thief = browser(client)
    thief.cookies.set(COOKIE, copied)
    assert thief.get("/api/me").json()["member"] == "ua/negotiator"
    # The cookie holds a signed random id; the table holds only its SHA-256.
    raw = client.app.state.web_sessions.read_cookie(copied)
    [row] = rows(runtime, WebSession, WebSession.member == "ua/negotiator")
    assert row.id_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in f"{row.id_hash}{row.data}{row.address}{row.user_agent}"
    token = csrf(client, "/")
    r = client.post("/signout", data={"csrf": token}, follow_redirects=False)
    assert r.status_code == 303 and client.cookies[COOKIE] != copied
    assert thief.get("/api/me").status_code == 401
    assert client.get("/api/me").status_code == 401
    assert rows(runtime, WebSession, WebSession.member == "ua/negotiator") == []
    # The old session's CSRF token ended with it.
    assert client.post("/signout", data={"csrf": token}).status_code == 403


def test_a_tampered_or_planted_cookie_signs_no_one_in(client, demo):
    sign_in(client, demo, "ua/negotiator")
    value = client.cookies[COOKIE]
    for bad in (value[:-2] + ("AA" if not value.endswith("AA") else "BB"), "x" * 5000, "", "a.b.c",
                "..%00;", value.split(".")[0]):
        c = browser(client)
        c.cookies.set(COOKIE, bad)
        assert c.get("/api/me").status_code == 401
        assert c.get("/", follow_redirects=False).status_code == 303
    # A cookie from before sign-in (planted by someone else) is not the session after it.
    c = browser(client)
    c.get("/signin")
    planted = c.cookies[COOKIE]
    assert attempt(c, "ua/press", demo.password("ua/press")).status_code == 303
    assert c.cookies[COOKIE] != planted
    other = browser(client)
    other.cookies.set(COOKIE, planted)
    assert other.get("/api/me").status_code == 401


def test_deactivating_a_member_ends_their_sessions(client, demo, runtime):
    sign_in(client, demo, "ua/press")
    second = browser(client)
    assert attempt(second, "ua/press", demo.password("ua/press")).status_code == 303
    assert len(rows(runtime, WebSession, WebSession.member == "ua/press")) == 2
    r = client.post("/api/actions", headers=demo.headers("ua/admin"),
                    json={"kind": "member.update", "audience": ["all"],
                          "payload": {"member": "ua/press", "active": False}})
    assert r.status_code == 201, r.text
    assert client.get("/api/me").status_code == 401
    assert client.get("/", follow_redirects=False).status_code == 303
    assert rows(runtime, WebSession, WebSession.member == "ua/press") == []  # both deleted, not just refused
    assert second.get("/api/me").status_code == 401
    assert attempt(second, "ua/press", demo.password("ua/press")).status_code == 400


def test_sign_out_everywhere(client, demo, runtime):
    sign_in(client, demo, "ru/registrar")
    others = [browser(client), browser(client)]
    for c in others:
        assert attempt(c, "ru/registrar", demo.password("ru/registrar")).status_code == 303
    bystander = browser(client)
    assert attempt(bystander, "ru/admin", demo.password("ru/admin")).status_code == 303
    assert client.post("/signout/everywhere", data={"csrf": "forged"}).status_code == 403
    r = client.post("/signout/everywhere", data={"csrf": csrf(client, "/")}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/signin"
    assert [c.get("/api/me").status_code for c in (client, *others)] == [401, 401, 401]
    assert bystander.get("/api/me").status_code == 200
    # Not signed in: nothing to end, back to the sign-in page.
    r = client.post("/signout/everywhere", data={"csrf": csrf(client)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/signin")


def test_the_member_page_lists_and_ends_own_sessions(client, demo, runtime):
    here = browser(client, "198.51.100.7", FIREFOX)
    there = browser(client, "2001:db8::5", CHROME)
    odd = browser(client, "192.0.2.1", '<script>alert("ua")</script>')
    for c in (here, there, odd):
        assert attempt(c, "ua/registrar", demo.password("ua/registrar")).status_code == 303
    page = here.get("/members/ua/registrar?lang=uk").text
    assert "Ваші сеанси" in page and "Вийти всюди" in page
    assert "Firefox, Linux" in page and "198.51.100.7" in page
    assert "Chrome, Windows" in page and "2001:db8::/64" in page
    assert '<script>alert("ua")' not in page and "&lt;script&gt;" in page
    assert page.count("цей сеанс") == 1
    keys = re.findall(r'action="/members/ua/registrar/sessions/([0-9a-f]{64})/end"', page)
    assert len(keys) == 3
    there_key = id_hash(client.app.state.web_sessions.read_cookie(there.cookies[COOKIE]))
    token = META.search(page).group(1)
    r = here.post(f"/members/ua/registrar/sessions/{there_key}/end", data={"csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    assert there.get("/api/me").status_code == 401 and here.get("/api/me").status_code == 200
    again = here.post(f"/members/ua/registrar/sessions/{there_key}/end", data={"csrf": token})
    assert again.status_code == 404 and "Цей сеанс уже завершено." in again.text  # the language kept
    for hostile in ("../../../etc/passwd", "%00", "x" * 1000, "' OR 1=1 --"):
        r = here.post(f"/members/ua/registrar/sessions/{hostile}/end", data={"csrf": token})
        assert r.status_code in (404, 405), hostile
    # Others' pages show no sessions, and nobody ends another member's session.
    assert "Ваші сеанси" not in here.get("/members/ua/press").text
    admin = browser(client)
    sign_in(admin, demo, "ua/admin")
    odd_key = id_hash(client.app.state.web_sessions.read_cookie(odd.cookies[COOKIE]))
    t2 = csrf(admin, "/")
    assert admin.post(f"/members/ua/registrar/sessions/{odd_key}/end", data={"csrf": t2}).status_code == 403
    assert admin.post(f"/members/ua/admin/sessions/{odd_key}/end", data={"csrf": t2}).status_code == 404
    assert odd.get("/api/me").status_code == 200
    # Ending this very session signs out here.
    here_key = id_hash(client.app.state.web_sessions.read_cookie(here.cookies[COOKIE]))
    r = here.post(f"/members/ua/registrar/sessions/{here_key}/end", data={"csrf": token}, follow_redirects=False)
    assert r.headers["location"] == "/signin" and here.get("/api/me").status_code == 401


def test_sessions_expire_when_idle_and_at_their_age(client, demo, runtime, clock):
    sign_in(client, demo, "icrc/mediator")
    for _ in range(8):  # in use every 55 minutes: alive until the absolute limit (8 hours)
        clock.advance(minutes=55)
        assert client.get("/api/me").status_code == 200
    clock.advance(minutes=55)  # 8 h 15 min after sign-in
    assert client.get("/api/me").status_code == 401
    assert rows(runtime, WebSession, WebSession.member == "icrc/mediator") == []
    sign_in(client, demo, "icrc/mediator")
    clock.advance(minutes=59)
    assert client.get("/api/me").status_code == 200
    clock.advance(minutes=60, seconds=1)  # an hour without use
    assert client.get("/api/me").status_code == 401
    # The idle session is not listed either; expired rows are swept at the next sign-in.
    sign_in(client, demo, "icrc/mediator")
    assert len(rows(runtime, WebSession, WebSession.member == "icrc/mediator")) == 1


def test_pages_keep_their_data_on_the_server(client, demo, runtime):
    """What pages keep between requests (the list import's upload token) is in the row, not in the cookie, and
    belongs to that session only."""
    sign_in(client, demo, "ua/registrar")
    before = client.cookies[COOKIE]
    text = "Surname,First name\nShevchenko,Taras\n"
    r = client.post("/lists/import", data={"csrf": csrf(client, "/lists/import"), "default_category": "missing"},
                    files={"file": ("x.csv", text.encode(), "text/csv")})
    assert r.status_code == 200, r.text
    token = re.search(r'action="/lists/import/([A-Za-z0-9_-]{32})"', r.text).group(1)
    [row] = rows(runtime, WebSession, WebSession.member == "ua/registrar")
    assert token in row.data and token not in client.cookies[COOKIE]
    assert client.cookies[COOKIE] == before
    step = {"col_0": "surname", "col_1": "first_name", "default_category": "missing"}
    assert client.post(f"/lists/import/{token}", data={**step, "csrf": csrf(client, "/")}).status_code == 200
    other = browser(client)
    sign_in(other, demo, "ua/registrar")
    r = other.post(f"/lists/import/{token}", data={**step, "csrf": csrf(other, "/")})
    assert r.status_code == 400 and "belongs to another session" in r.text


# -- CSRF on API writes with the cookie (V13) -------------------------------------------------------
def test_api_writes_with_the_cookie_need_the_token_and_this_site(client, demo):
    sign_in(client, demo, "ua/negotiator")
    page = client.get("/")
    token = META.search(page.text).group(1)
    assert token == re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    note = {"kind": "record.note", "audience": ["party:ua"], "payload": {"text": "from the page"}}
    r = client.post("/api/actions", json=note)
    assert r.status_code == 403 and r.json()["error"] == "csrf" and r.json()["message"]
    assert client.post("/api/actions", json=note, headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert client.post("/api/actions", json=note, headers={"X-CSRF-Token": "жж".encode()}).status_code == 403
    for origin in ("https://evil.example", "null", "http://testserver.evil.example", "http://testserver:8080",
                   "javascript:alert(1)", "http://[::1"):
        r = client.post("/api/actions", json=note, headers={"X-CSRF-Token": token, "Origin": origin})
        assert r.status_code == 403 and r.json()["error"] == "csrf", origin
    r = client.post("/api/actions", json=note, headers={"X-CSRF-Token": token, "Referer": "https://evil.example/x"})
    assert r.status_code == 403
    for ok in ({}, {"Origin": "http://testserver"}, {"Referer": "http://testserver/operations"},
               {"Origin": "https://testserver"}):
        r = client.post("/api/actions", json={**note, "payload": {"text": f"ok {ok}"}},
                        headers={"X-CSRF-Token": token, **ok})
        assert r.status_code == 201, (ok, r.text)
    # The spreadsheet preview (multipart, finding C6) too; reads need nothing.
    files = {"file": ("x.csv", b"Surname\nShevchenko\n", "text/csv")}
    assert client.post("/api/lists/preview", files=files, headers={"Origin": "https://evil.example"}).status_code == 403
    registrar = browser(client)
    sign_in(registrar, demo, "ua/registrar")
    t2 = META.search(registrar.get("/").text).group(1)
    assert registrar.post("/api/lists/preview", files=files).status_code == 403
    assert registrar.post("/api/lists/preview", files=files, headers={"X-CSRF-Token": t2}).status_code == 200
    assert client.get("/api/me", headers={"Origin": "https://evil.example"}).status_code == 200
    # Another session's token is not this session's.
    assert client.post("/api/actions", json=note, headers={"X-CSRF-Token": t2}).status_code == 403


def test_api_tokens_need_no_csrf_token(client, demo):
    note = {"kind": "record.note", "audience": ["party:ua"], "payload": {"text": "from a program"}}
    r = client.post("/api/actions", json=note, headers={**demo.headers("ua/negotiator"), "Origin": "https://evil.example"})
    assert r.status_code == 201
    # With both, the token decides (and needs nothing more).
    sign_in(client, demo, "ua/press")
    r = client.post("/api/actions", json={**note, "payload": {"text": "both"}}, headers=demo.headers("ua/negotiator"))
    assert r.status_code == 201 and r.json()["index"]


# -- proxy headers (V14) ---------------------------------------------------------------------------
def test_forwarded_for_is_believed_only_from_trusted_proxies(client, demo, runtime, clock):
    import uvicorn
    from pydantic import ValidationError

    from parley.cli import proxy_options
    from parley.people import service as svc
    from parley.settings import Settings
    from tests.conftest import make_settings

    assert proxy_options(runtime.settings) == {"proxy_headers": False, "forwarded_allow_ips": ""}
    trusted = runtime.settings.model_copy(update={"trusted_proxies": "127.0.0.1"})
    assert proxy_options(trusted) == {"proxy_headers": True, "forwarded_allow_ips": "127.0.0.1"}
    for bad in ("example.org", "127.0.0.1, 10.0.0.0/33", "10.0.0.1;10.0.0.2"):
        with pytest.raises(ValidationError):
            make_settings("sqlite://", runtime.settings.data_dir, trusted_proxies=bad)
    assert Settings(secret_key="s" * 40, trusted_proxies=" 10.0.0.1 ,, fd00::/8").trusted_proxy_list == [
        "10.0.0.1", "fd00::/8"]

    limits(client, clock, signin_failures_per_member=100, signin_failures_per_address=3)

    def server(settings) -> TestClient:  # the app as `parley serve` hands it to uvicorn
        config = uvicorn.Config(client.app, log_config=None, **proxy_options(settings))
        config.load()
        return TestClient(config.loaded_app, client=("127.0.0.1", 40000))

    direct = server(runtime.settings)
    for i in range(3):
        r = direct.post("/signin", data={"member": "ua/admin", "password": "x", "csrf": csrf(direct)},
                        headers={"X-Forwarded-For": f"192.0.2.{i}"})
        assert r.status_code == 400
    r = direct.post("/signin", data={"member": "ua/press", "password": demo.password("ua/press"),
                                     "csrf": csrf(direct)}, headers={"X-Forwarded-For": "192.0.2.99"})
    assert r.status_code == 429
    assert {f.address for f in rows(runtime, SignInFailure)} == {"127.0.0.1"}
    # The family's limit reads the same address: rotating the header does not reset it.
    svc.public_limits(client.app.state).family.clear()
    try:
        codes = [direct.post("/api/family/inquiry", json={"reference": "INQ-AAAA-BBBB", "secret": "X"},
                             headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code for i in range(12)]
        assert codes[:10] == [404] * 10 and codes[10:] == [429, 429]
    finally:
        svc.public_limits(client.app.state).family.clear()
    # Behind a trusted proxy, the forwarded address is the client's.
    proxied = server(trusted)
    r = proxied.post("/signin", data={"member": "ru/admin", "password": "x", "csrf": csrf(proxied)},
                     headers={"X-Forwarded-For": "203.0.113.50"})
    assert r.status_code == 400
    assert "203.0.113.50" in {f.address for f in rows(runtime, SignInFailure)}


def test_address_keys():
    assert address_key("2001:db8::1") == address_key("2001:db8::ffff:1") == "2001:db8::/64"
    assert address_key("2001:db8:0:1::1") != address_key("2001:db8::1")
    assert address_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert address_key("192.0.2.1") == "192.0.2.1"
    assert address_key("testclient") == "testclient" and len(address_key("x" * 500)) == 64
    assert agent_label(FIREFOX) == "Firefox, Linux" and agent_label(CHROME) == "Chrome, Windows"
    assert agent_label("curl/8.5.0") == "curl" and agent_label("") == "?"


# -- HSTS (V16) and cookie flags -------------------------------------------------------------------
@pytest.mark.parametrize("secure", [True, False])
def test_hsts_only_with_secure_cookies(runtime, demo, secure):
    from parley.app import create_app

    app = create_app(runtime.settings.model_copy(update={"cookie_secure": secure}), runtime)
    with TestClient(app, base_url="https://testserver" if secure else "http://testserver") as c:
        cookie = c.get("/signin").headers.get("set-cookie", "")
        for path in ("/signin", "/api/me", "/static/parley.css"):
            r = c.get(path)
            assert ("Strict-Transport-Security" in r.headers) is secure, path
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and ("; Secure" in cookie) is secure
        if secure:
            assert c.get("/signin").headers["Strict-Transport-Security"].startswith("max-age=")


# -- nothing secret in the logs ---------------------------------------------------------------------
def test_no_password_cookie_or_token_reaches_the_logs(client, demo, caplog):
    caplog.set_level(logging.DEBUG)
    password = demo.password("ua/liaison")
    attempt(client, "ua/liaison", "wrong-" + password)
    attempt(client, "correct horse battery staple", password)
    sign_in(client, demo, "ua/liaison")
    cookie, token = client.cookies[COOKIE], csrf(client, "/")
    client.post("/api/actions", json={"kind": "record.note", "audience": ["all"], "payload": {"text": "x"}})
    client.post("/signout", data={"csrf": token})
    text = caplog.text
    for secret in (password, cookie, cookie.split(".")[0], token, "correct horse battery staple"):
        assert secret not in text


# -- the schema ------------------------------------------------------------------------------------
def test_the_migration_matches_the_models(runtime):
    """Autogenerate finds nothing to add: migration 0004 creates exactly the tables and indexes of the models,
    and goes down and up again."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from parley.db import Base, migrate

    with runtime.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"render_as_batch": conn.dialect.name == "sqlite"})
        assert compare_metadata(ctx, Base.metadata) == []
    migrate_down(runtime.engine, "0003")
    with runtime.engine.connect() as conn:
        from sqlalchemy import inspect

        assert not {"web_session", "signin_failure"} & set(inspect(conn).get_table_names())
    migrate(runtime.engine)
    with runtime.sessions() as s:
        assert s.scalar(select(func.count()).select_from(WebSession)) == 0


def migrate_down(engine, revision: str) -> None:
    from pathlib import Path

    from alembic import command
    from alembic.config import Config

    import parley.db

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(parley.db.__file__).parent / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
