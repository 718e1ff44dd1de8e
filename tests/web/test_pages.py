"""The web interface through HTTP: sign-in, CSRF, languages, audiences per role, forms that sign records."""

from __future__ import annotations

import re

import pytest

from parley.log.note import Signer

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf(client, path="/signin"):
    return CSRF.search(client.get(path).text).group(1)


def sign_in(client, demo, member):
    r = client.post("/signin", data={"member": member, "password": demo.password(member), "csrf": csrf(client),
                                     "next": "/"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return client


def private_index(client, demo):
    recs = client.get("/api/log/records?limit=5000", headers=demo.headers("icrc/auditor")).json()["records"]
    return next(r["index"] for r in recs if r["audience"] == "party:icrc,party:ua")


def test_pages_need_sign_in(sqlite_client):
    for path in ["/", "/parties", "/parties/ua", "/members/ua/admin", "/records", "/records/1", "/checkpoints"]:
        r = sqlite_client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/signin?next="), path


def test_sign_in_errors_beside_the_field(sqlite_client, sqlite_demo):
    token = csrf(sqlite_client)
    r = sqlite_client.post("/signin", data={"member": "ua/admin", "password": "wrong", "csrf": token, "next": "/"})
    assert r.status_code == 400
    assert 'id="password-error"' in r.text and "Unknown member or wrong password." in r.text
    assert 'value="ua/admin"' in r.text
    r = sqlite_client.post("/signin", data={"member": "nobody/x", "password": "whatever", "csrf": token})
    assert r.status_code == 400


def test_csrf_is_required(sqlite_client, sqlite_demo):
    r = sqlite_client.post("/signin", data={"member": "ua/admin", "password": sqlite_demo.password("ua/admin"),
                                            "csrf": "forged"}, headers={"Accept": "text/html", "Accept-Language": "uk"})
    assert r.status_code == 403 and "Форма застаріла" in r.text
    sign_in(sqlite_client, sqlite_demo, "ua/admin")
    r = sqlite_client.post("/parties/ua/members", data={"handle": "x", "display_name": "X", "roles": ["press"],
                                                        "password": "a" * 12, "csrf": "forged"})
    assert r.status_code == 403


def test_open_redirect_is_refused(sqlite_client, sqlite_demo):
    r = sqlite_client.post("/signin", data={"member": "ua/admin", "password": sqlite_demo.password("ua/admin"),
                                            "csrf": csrf(sqlite_client), "next": "//evil.example/"},
                           follow_redirects=False)
    assert r.headers["location"] == "/"


@pytest.mark.parametrize("lang,word", [("uk", "Огляд"), ("ru", "Обзор"), ("en", "Overview")])
def test_every_page_in_three_languages(sqlite_client, sqlite_demo, lang, word):
    sign_in(sqlite_client, sqlite_demo, "icrc/admin")
    assert word in sqlite_client.get(f"/?lang={lang}").text
    for path in ["/", "/parties", "/parties/ua", "/members/ua/negotiator", "/records", "/records/1", "/checkpoints"]:
        r = sqlite_client.get(path)  # the cookie keeps the language
        assert r.status_code == 200 and f'<html lang="{lang}">' in r.text, path
        assert word in r.text
    r = sqlite_client.get("/parties")
    names = {"uk": "Міжнародний комітет Червоного Хреста", "ru": "Международный комитет Красного Креста",
             "en": "International Committee of the Red Cross"}
    assert names[lang] in r.text


def test_accept_language_chooses_the_default(sqlite_client):
    assert '<html lang="ru">' in sqlite_client.get("/signin", headers={"Accept-Language": "ru-RU,ru;q=0.9"}).text
    assert '<html lang="uk">' in sqlite_client.get("/signin", headers={"Accept-Language": "uk"}).text
    assert '<html lang="en">' in sqlite_client.get("/signin", headers={"Accept-Language": "de"}).text


@pytest.mark.parametrize("member,sees", [("ua/negotiator", True), ("ua/press", True), ("icrc/auditor", True),
                                         ("icrc/mediator", True), ("ru/negotiator", False), ("ru/admin", False),
                                         ("tr/observer", False)])
def test_record_audience_per_role(sqlite_client, sqlite_demo, member, sees):
    idx = private_index(sqlite_client, sqlite_demo)
    sign_in(sqlite_client, sqlite_demo, member)
    assert sqlite_client.get(f"/records/{idx}").status_code == (200 if sees else 404)
    listing = sqlite_client.get("/records").text
    assert (f'href="/records/{idx}"' in listing) is sees


def test_non_admin_cannot_add_members_or_parties(sqlite_client, sqlite_demo):
    sign_in(sqlite_client, sqlite_demo, "ua/negotiator")
    page = sqlite_client.get("/parties/ua").text
    assert "/parties/ua/members" not in page  # no form
    token = csrf(sqlite_client, "/parties/ua")
    r = sqlite_client.post("/parties/ua/members", data={"handle": "mole", "display_name": "M", "roles": ["press"],
                                                        "password": "long enough pass", "csrf": token})
    assert r.status_code == 400 and "admin" in r.text  # refused by the pipeline, shown on the form
    r = sqlite_client.post("/parties", data={"slug": "zz", "kind": "observer", "name_en": "Z", "name_uk": "З",
                                             "name_ru": "З", "csrf": token})
    assert r.status_code == 403


def test_admin_adds_a_member_who_then_signs_in(sqlite_client, sqlite_demo):
    sign_in(sqlite_client, sqlite_demo, "ua/admin")
    token = csrf(sqlite_client, "/parties/ua")
    bad = sqlite_client.post("/parties/ua/members", data={"handle": "Bad Name", "display_name": "", "password": "short",
                                                          "csrf": token})
    assert bad.status_code == 400
    for msg in ("Use lowercase Latin letters", "At least 12 characters.", "Choose at least one role."):
        assert msg in bad.text
    r = sqlite_client.post("/parties/ua/members", data={"handle": "registrar2", "display_name": "Halyna Demo",
                                                        "roles": ["registrar", "press"], "password": "a good long password",
                                                        "csrf": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/members/ua/registrar2"
    records = sqlite_client.get("/records?kind=member.create").text
    assert "ua/admin" in records
    sqlite_client.post("/signout", data={"csrf": csrf(sqlite_client, "/")})
    r = sqlite_client.post("/signin", data={"member": "ua/registrar2", "password": "a good long password",
                                            "csrf": csrf(sqlite_client), "next": "/"}, follow_redirects=False)
    assert r.status_code == 303
    page = sqlite_client.get("/").text
    assert "Halyna Demo" in page


def test_key_forms_write_records(sqlite_client, sqlite_demo):
    sign_in(sqlite_client, sqlite_demo, "ru/liaison")
    token = csrf(sqlite_client, "/members/ru/liaison")
    own = Signer.generate("ru/liaison")
    r = sqlite_client.post("/members/ru/liaison/keys", data={"vkey": own.vkey(), "csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    assert own.key_id.hex() in sqlite_client.get("/members/ru/liaison").text
    bad = sqlite_client.post("/members/ru/liaison/keys", data={"vkey": "ru/liaison+00000000+notbase64!!", "csrf": token})
    assert bad.status_code == 400 and "malformed" in bad.text
    r = sqlite_client.post(f"/members/ru/liaison/keys/{own.key_id.hex()}/revoke", data={"reason": "test", "csrf": token},
                           follow_redirects=False)
    assert r.status_code == 303
    r = sqlite_client.post("/members/ru/liaison/rotate", data={"csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    keys = sqlite_client.get("/api/keys", headers=sqlite_demo.headers("ru/admin")).json()["keys"]
    mine = [k for k in keys if k["member"] == "ru/liaison"]
    assert sorted(k["status"] for k in mine) == ["active", "revoked", "revoked"]
    # The rotated web key signs the next web action.
    r = sqlite_client.post("/members/ru/liaison/token", data={"csrf": token})
    new_token = re.search(r'<code class="token">([^<]+)</code>', r.text).group(1)
    assert sqlite_client.get("/api/me", headers={"Authorization": f"Bearer {new_token}"}).json()["member"] == "ru/liaison"
    # Another party's member cannot act on these keys.
    sqlite_client.post("/signout", data={"csrf": token})
    sign_in(sqlite_client, sqlite_demo, "ua/admin")
    t2 = csrf(sqlite_client, "/members/ru/liaison")
    r = sqlite_client.post("/members/ru/liaison/keys", data={"vkey": Signer.generate("ru/liaison").vkey(), "csrf": t2})
    assert r.status_code == 403


def test_record_page_shows_a_verifiable_proof(sqlite_client, sqlite_demo):
    from parley.log.note import Verifier
    from parley.log.proof import parse_tlog_proof, verify_tlog_proof
    import html

    sign_in(sqlite_client, sqlite_demo, "ru/registrar")
    page = sqlite_client.get("/records/2").text
    proof = html.unescape(re.search(r'<pre class="box" id="proof">(.*?)</pre>', page, re.S).group(1))
    rec = sqlite_client.get("/api/log/records/2", headers=sqlite_demo.headers("ru/registrar")).json()
    key = Verifier.from_vkey(sqlite_client.get("/log/key", headers=sqlite_demo.headers("ru/registrar")).text.strip())
    assert verify_tlog_proof(parse_tlog_proof(proof.encode()), rec["note"].encode(), key).size >= 3


def test_no_external_assets(sqlite_client, sqlite_demo):
    sign_in(sqlite_client, sqlite_demo, "ua/admin")
    page = sqlite_client.get("/").text
    assert "http://" not in page.replace("http://testserver", "") and "https://" not in page
    assert sqlite_client.get("/static/parley.css").status_code == 200
    assert "script-src 'self'" in sqlite_client.get("/").headers["content-security-policy"]
