"""The public side and the press desk through HTTP: anyone reads the demo's released statements in Ukrainian, Russian
and English, each with how to check it, and never the embargoed one; a press officer drafts through the form (each
refusal beside its field, nothing stored), a negotiator approves the exact version, the statement appears on the
public page, and an admin withdraws it, which the public page then shows."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from parley.log.models import LogEntry
from tests.web.test_language_pages import Reader
from tests.web.test_operations_pages import as_member
from tests.web.test_pages import csrf

EMBARGOED_TITLE = "Завершення виходу з Азовсталі"


def raw(c: Any, path: str, lang: str = "en", token: str | None = None) -> str:
    """The page's HTML (``Reader.get`` checks the translation and returns its visible text)."""
    sep = "&" if "?" in path else "?"
    r = c.get(f"{path}{sep}lang={lang}", headers={"Accept": "text/html",
                                                   **({"Authorization": f"Bearer {token}"} if token else {})})
    assert r.status_code == 200, (path, r.status_code)
    return str(r.text)


def count(runtime: Any) -> int:
    with runtime.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(LogEntry)))


def test_the_public_reads_the_released_statements_in_three_languages(sqlite_client, sqlite_demo, sqlite_runtime):
    c = sqlite_client
    for lang in ("uk", "ru"):
        Reader(c, lang).get("/public")  # signed out: every message translated
        Reader(c, lang).get("/public/statements/ua-statement-azovstal-exit")
    for lang in ("uk", "ru", "en"):
        page = raw(c, "/public", lang)
        assert page.count('<li class="card statement') == 5 and EMBARGOED_TITLE not in page
        one = raw(c, "/public/statements/ua-statement-azovstal-exit", lang)
        assert "parley log verify-statement ua-statement-azovstal-exit.json --log-key" in one
        assert sqlite_runtime.log_signer.vkey() in one
    uk = raw(c, "/public", "uk")
    assert "Вихід захисників Азовсталі" in uk and "понад 200" in uk
    ru = raw(c, "/public/statements/ua-statement-pow-exchange", "ru")
    assert "Обмен пленными" in ru and "Обмін полоненими" in ru and 'lang="ru"' in ru
    # A statement written only in Ukrainian and English is shown in the first of them, marked, on the Russian page.
    ru_list = raw(c, "/public", "ru")
    assert re.search(r'id="statement-ua-statement-remains-returned".*?<span lang="uk">', ru_list, re.S)
    for path in ("/public/statements/ua-statement-exit-completed", "/public/statements/nothing"):
        assert c.get(path, headers={"Accept": "text/html"}).status_code == 404
    assert raw(c, "/public?party=ru").count('<li class="card statement') == 0
    # The figures the parties released: Ukraine's ten sent and nine received of the demo's exchange.
    page = raw(c, "/public", "en")
    row = re.search(r'<tr data-exchange="icrc-pow-exchange-demo" data-party="ua">.*?</tr>', page, re.S).group(0)
    assert re.search(r'class="num sent">10<', row) and re.search(r'class="num received">9<', row)


def test_a_statement_through_the_press_desk(sqlite_client, sqlite_demo, sqlite_runtime):
    c, demo, rt = sqlite_client, sqlite_demo, sqlite_runtime
    # Who sees the desk: a party's press officer, negotiator, admin; a registrar reads why not.
    assert 'href="/press"' in raw(c, "/", token=demo.token("ua/press"))
    assert 'href="/press"' not in raw(c, "/", token=demo.token("ua/registrar"))
    assert "press officers, negotiators, admins and auditors" in raw(c, "/press", token=demo.token("ua/registrar"))
    for lang in ("uk", "ru"):
        Reader(c, lang, demo.token("ua/press")).get("/press")  # every message translated
        Reader(c, lang, demo.token("ua/negotiator")).get("/press")
    desk = raw(c, "/press", "uk", demo.token("ua/press"))
    assert 'data-state="approved"' in desk and "ua-azovstal-exit" in desk  # the embargoed one, waiting
    assert 'id="approve-' not in desk  # a press officer approves nothing
    ru_desk = raw(c, "/press", "ru", demo.token("ru/negotiator"))
    assert "У вашей стороны ещё нет заявлений." in ru_desk and "Азовстал" not in ru_desk

    as_member(c, demo, "ua/press")
    token = csrf(c, "/press?lang=en")
    before = count(rt)
    r = c.post("/press", data={"csrf": token, "title_en": "A title without its text"})
    assert r.status_code == 400 and 'id="body_en-error"' in r.text and 'value="A title without its text"' in r.text
    r = c.post("/press", data={"csrf": token})
    assert r.status_code == 400 and 'id="title_uk-error"' in r.text
    r = c.post("/press", data={"csrf": token, "title_en": "T", "body_en": "B", "embargo_until": "tomorrow"})
    assert r.status_code == 400 and 'id="embargo_until-error"' in r.text
    r = c.post("/press", data={"csrf": token, "title_en": "T", "body_en": "B", "embargo_until": "2020-01-01T00:00"})
    assert r.status_code == 400 and 'id="embargo_until-error"' in r.text and "has passed" in r.text
    r = c.post("/press", data={"csrf": token, "title_en": "T", "body_en": "B", "references": "exchange nope"})
    assert r.status_code == 400 and 'id="references-error"' in r.text
    assert count(rt) == before
    r = c.post("/press", data={"csrf": token, "title_uk": "Заява через форму", "body_uk": "Текст заяви (тест).",
                               "references": "operation ua-azovstal-exit"}, follow_redirects=False)
    assert r.status_code == 303 and count(rt) == before + 1
    sid = r.headers["location"].split("#statement-")[1]
    assert 'data-state="draft"' in c.get("/press").text

    # A negotiator approves the exact version shown; the public then reads it.
    as_member(c, demo, "ua/negotiator")
    page = c.get("/press").text
    row = re.search(rf'<tr id="statement-{sid}".*?</tr>', page, re.S).group(0)
    version, sha = re.search(r'name="version" value="(\d+)".*?name="sha256" value="([0-9a-f]+)"', row, re.S).groups()
    bad = c.post(f"/press/{sid}/approve", data={"csrf": csrf(c, "/press"), "version": version, "sha256": "0" * 64})
    assert bad.status_code == 400 and 'id="form-error"' in bad.text
    r = c.post(f"/press/{sid}/approve", data={"csrf": csrf(c, "/press"), "version": version, "sha256": sha},
               follow_redirects=False)
    assert r.status_code == 303
    assert "Заява через форму" in raw(c, "/public", "uk")
    # An admin withdraws it with a reason: still public, marked.
    as_member(c, demo, "ua/admin")
    assert c.post(f"/press/{sid}/withdraw", data={"csrf": csrf(c, "/press"), "reason": ""}).status_code == 400
    r = c.post(f"/press/{sid}/withdraw", data={"csrf": csrf(c, "/press"), "reason": "Уточнюється"},
               follow_redirects=False)
    assert r.status_code == 303
    public = raw(c, f"/public/statements/{sid}", "uk")
    assert "Уточнюється" in public and "Відкликано" in public


def test_figures_released_from_the_press_desk(client, demo, runtime):
    """A negotiator releases its party's inquiries as Parley computed them, from the desk; a press officer sees no
    such form and cannot post one; a day that has not ended is refused beside the form. The release is on the public
    page with its record."""
    from datetime import UTC, datetime, timedelta

    assert 'id="figures"' not in raw(client, "/press", token=demo.token("ua/press"))
    desk = raw(client, "/press", token=demo.token("ua/negotiator"))
    assert 'id="release-inquiries"' in desk and 'id="releasable-operations-none"' in desk
    as_member(client, demo, "ua/negotiator")
    token = csrf(client, "/press?lang=en")
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    for until, words in ((tomorrow, "a day that has ended"), ("not a day", "2026-12-31")):
        r = client.post("/press/figures", data={"csrf": token, "subject": "inquiries", "until": until})
        assert r.status_code == 400 and 'id="figures-error"' in r.text and words in r.text, r.text[-2000:]
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    r = client.post("/press/figures", data={"csrf": token, "subject": "inquiries", "until": yesterday},
                    follow_redirects=False)
    assert r.status_code == 303
    page = raw(client, "/public", "en")
    assert re.search(rf'<tr data-party="ua">\s*<td data-value="{yesterday}">', page)
    as_member(client, demo, "ua/press")
    r = client.post("/press/figures", data={"csrf": csrf(client, "/press"), "subject": "inquiries",
                                            "until": yesterday})
    assert r.status_code == 400 and "release their party" in r.text
