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
    for path in ["/", "/parties", "/parties/ua", "/members/ua/admin", "/log", "/log/records/1", "/log/checkpoints"]:
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


@pytest.mark.parametrize("target", ["//evil.example/", "/\\evil.example/", "https://evil.example/", "/\t/evil"])
def test_open_redirect_is_refused(sqlite_client, sqlite_demo, target):
    r = sqlite_client.post("/signin", data={"member": "ua/admin", "password": sqlite_demo.password("ua/admin"),
                                            "csrf": csrf(sqlite_client), "next": target},
                           follow_redirects=False)
    assert r.headers["location"] == "/"


def test_sign_in_returns_to_the_page_asked_for(sqlite_client, sqlite_demo):
    r = sqlite_client.get("/log?kind=party.create", follow_redirects=False)
    target = r.headers["location"]
    form = sqlite_client.get(target).text
    next_url = re.search(r'name="next" value="([^"]+)"', form).group(1)
    r = sqlite_client.post("/signin", data={"member": "ua/admin", "password": sqlite_demo.password("ua/admin"),
                                            "csrf": csrf(sqlite_client), "next": next_url.replace("&amp;", "&")},
                           follow_redirects=False)
    assert r.headers["location"] == "/log?kind=party.create"


@pytest.mark.parametrize("lang,word", [("uk", "Огляд"), ("ru", "Обзор"), ("en", "Overview")])
def test_every_page_in_three_languages(sqlite_client, sqlite_demo, lang, word):
    sign_in(sqlite_client, sqlite_demo, "icrc/admin")
    assert word in sqlite_client.get(f"/?lang={lang}").text
    for path in ["/", "/parties", "/parties/ua", "/members/ua/negotiator", "/log", "/log/records/1",
                 "/log/checkpoints"]:
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
    assert sqlite_client.get(f"/log/records/{idx}").status_code == (200 if sees else 404)
    listing = sqlite_client.get(f"/log?start={idx}").text  # the page that starts at the record
    assert (f'href="/log/records/{idx}"' in listing) is sees


def test_non_admin_cannot_add_members_or_parties(sqlite_client, sqlite_demo):
    sign_in(sqlite_client, sqlite_demo, "ua/negotiator")
    page = sqlite_client.get("/parties/ua").text
    assert "/parties/ua/members" not in page  # no form
    token = csrf(sqlite_client, "/parties/ua")
    r = sqlite_client.post("/parties/ua/members", data={"handle": "mole", "display_name": "M", "roles": ["press"],
                                                        "password": "long enough pass", "csrf": token})
    assert r.status_code == 403 and "Only an admin of this party" in r.text  # refused before anything is signed
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
                                                        "roles": ["registrar", "press"],
                                                        "password": "a good long password", "csrf": token},
                           follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/members/ua/registrar2"
    # Its member.create record, signed by the admin, is in the log explorer.
    listing = sqlite_client.get("/log?kind=member.create&author=ua/admin").text
    newest = re.search(r'href="/log/records/(\d+)"', listing).group(1)
    record = sqlite_client.get(f"/log/records/{newest}").text
    assert "&#34;handle&#34;: &#34;registrar2&#34;" in record or '"handle": "registrar2"' in record
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
    bad = sqlite_client.post("/members/ru/liaison/keys",
                             data={"vkey": "ru/liaison+00000000+notbase64!!", "csrf": token})
    assert bad.status_code == 400 and "This is not a verifier key." in bad.text
    r = sqlite_client.post(f"/members/ru/liaison/keys/{own.key_id.hex()}/revoke",
                           data={"reason": "test", "csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    r = sqlite_client.post("/members/ru/liaison/rotate", data={"csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    keys = sqlite_client.get("/api/keys", headers=sqlite_demo.headers("ru/admin")).json()["keys"]
    mine = [k for k in keys if k["member"] == "ru/liaison"]
    assert sorted(k["status"] for k in mine) == ["active", "revoked", "revoked"]
    # The rotated web key signs the next web action.
    r = sqlite_client.post("/members/ru/liaison/token", data={"csrf": token})
    new_token = re.search(r'<code class="token">([^<]+)</code>', r.text).group(1)
    me = sqlite_client.get("/api/me", headers={"Authorization": f"Bearer {new_token}"}).json()
    assert me["member"] == "ru/liaison"
    # Another party's member cannot act on these keys.
    sqlite_client.post("/signout", data={"csrf": token})
    sign_in(sqlite_client, sqlite_demo, "ua/admin")
    t2 = csrf(sqlite_client, "/members/ru/liaison")
    r = sqlite_client.post("/members/ru/liaison/keys", data={"vkey": Signer.generate("ru/liaison").vkey(), "csrf": t2})
    assert r.status_code == 403


def test_record_page_shows_a_verifiable_proof(sqlite_client, sqlite_demo):
    import html

    from parley.log.note import Verifier
    from parley.log.proof import parse_tlog_proof, verify_tlog_proof

    sign_in(sqlite_client, sqlite_demo, "ru/registrar")
    page = sqlite_client.get("/log/records/2").text
    proof = html.unescape(re.search(r'<pre class="box" id="proof">(.*?)</pre>', page, re.DOTALL).group(1))
    rec = sqlite_client.get("/api/log/records/2", headers=sqlite_demo.headers("ru/registrar")).json()
    key = Verifier.from_vkey(sqlite_client.get("/log/key", headers=sqlite_demo.headers("ru/registrar")).text.strip())
    assert verify_tlog_proof(parse_tlog_proof(proof.encode()), rec["note"].encode(), key).size >= 3


def test_no_external_assets(sqlite_client, sqlite_demo):
    sign_in(sqlite_client, sqlite_demo, "ua/admin")
    page = sqlite_client.get("/").text
    assert "http://" not in page.replace("http://testserver", "") and "https://" not in page
    assert sqlite_client.get("/static/parley.css").status_code == 200
    assert "script-src 'self'" in sqlite_client.get("/").headers["content-security-policy"]


def test_old_explorer_addresses_move_to_the_log(sqlite_client, sqlite_demo):
    for old, new in [("/records?kind=record.note", "/log?kind=record.note"), ("/records/3", "/log/records/3"),
                     ("/checkpoints", "/log/checkpoints")]:
        r = sqlite_client.get(old, follow_redirects=False)
        assert r.status_code == 308 and r.headers["location"] == new


def test_log_explorer_pages_and_filters(sqlite_client, sqlite_demo):
    sign_in(sqlite_client, sqlite_demo, "icrc/auditor")
    rows = re.compile(r'<a href="/log/records/(\d+)">')
    first = sqlite_client.get("/log?limit=3").text
    page1 = [int(i) for i in rows.findall(first)]
    assert len(page1) == 3 and page1 == sorted(page1, reverse=True)
    older = re.search(r'<a href="(/log\?[^"]+)">[^<]*→', first).group(1).replace("&amp;", "&")
    page2 = [int(i) for i in rows.findall(sqlite_client.get(older).text)]
    assert len(page2) == 3 and max(page2) < min(page1)
    by_author = sqlite_client.get("/log?author=ua/liaison").text
    assert "<code>ua/liaison</code>" in by_author and "<code>ru/admin</code>" not in by_author
    by_kind = sqlite_client.get("/log?kind=party.create").text
    assert "party.create" in by_kind and "member.create</code>" not in by_kind
    # The language switcher keeps the filters.
    assert '<input type="hidden" name="kind" value="party.create">' in by_kind
    r = sqlite_client.get("/log/records/not-a-number", headers={"Accept": "text/html"})
    assert r.status_code == 404 and "There is no record with this number" in r.text
    assert sqlite_client.get("/log/records/999999").status_code == 404


def test_checkpoints_show_root_and_cosigned_note(sqlite_client, sqlite_demo):
    import base64

    sign_in(sqlite_client, sqlite_demo, "ru/registrar")
    page = sqlite_client.get("/log/checkpoints?lang=ru").text
    cp = sqlite_client.get("/log/checkpoint", headers=sqlite_demo.headers("ru/registrar")).text
    root = cp.splitlines()[2]
    assert base64.b64decode(root) and f"<code>{root}</code>" in page
    assert "Корневой хеш" in page and "<summary>" in page


def test_party_admin_rotates_a_members_web_key(sqlite_client, sqlite_demo):
    sign_in(sqlite_client, sqlite_demo, "ua/admin")
    token = csrf(sqlite_client, "/members/ua/press")
    before = sqlite_client.get("/api/keys", headers=sqlite_demo.headers("ua/admin")).json()["keys"]
    r = sqlite_client.post("/members/ua/press/rotate", data={"csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    after = sqlite_client.get("/api/keys", headers=sqlite_demo.headers("ua/admin")).json()["keys"]
    press = [k for k in after if k["member"] == "ua/press"]
    assert len(press) == len([k for k in before if k["member"] == "ua/press"]) + 1
    rotated = sqlite_client.get("/log?kind=key.rotate&author=ua/admin").text
    assert "<code>ua/admin</code>" in rotated
    # The member's next web action is signed with the new key.
    sqlite_client.post("/signout", data={"csrf": token})
    sign_in(sqlite_client, sqlite_demo, "ua/press")
    t2 = csrf(sqlite_client, "/members/ua/press")
    r = sqlite_client.post("/members/ua/press/keys", data={"vkey": Signer.generate("ua/press").vkey(), "csrf": t2},
                           follow_redirects=False)
    assert r.status_code == 303
    # A member of another party may not.
    sqlite_client.post("/signout", data={"csrf": t2})
    sign_in(sqlite_client, sqlite_demo, "ru/admin")
    r = sqlite_client.post("/members/ua/press/rotate", data={"csrf": csrf(sqlite_client, "/")})
    assert r.status_code == 403


def test_language_switch_after_a_form_answer_returns_to_the_form_page(sqlite_client, sqlite_demo):
    sign_in(sqlite_client, sqlite_demo, "ua/admin")
    token = csrf(sqlite_client, "/parties/ua")
    r = sqlite_client.post("/parties/ua/members", data={"handle": "x", "password": "short", "csrf": token},
                           headers={"Referer": "http://testserver/parties/ua"})
    assert r.status_code == 400 and '<form class="lang" method="get" action="/parties/ua">' in r.text
