"""The pages of exchanges through HTTP: the demo's two exchanges render every tab for the members who read them,
in Ukrainian, Russian and English, with each entry's check, the consent and its reason only where the interview's
audience reads it, the plan, the board, the bodies and the counts beside the tally; the press reads the figures a
party released and no exchange; and a whole exchange is carried through the forms (proposed, countered, signed
by both, listed, consented, planned by the solver, handed over, counted, completed and released), each write a
signed record, each refusal beside its field."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from sqlalchemy import func, select

from parley.exchanges.scenario import POWS, REFUSES, REMAINS
from parley.log.models import LogEntry
from tests.web.test_language_pages import Reader, visible
from tests.web.test_operations_pages import as_member
from tests.web.test_pages import csrf

TABS = ("", "/lists", "/consent", "/plan", "/handover", "/counts")
REASON = "Fears prosecution on return"


def get(client: Any, demo: Any, member: str, path: str) -> Any:
    return client.get(path, headers={"Authorization": f"Bearer {demo.token(member)}", "Accept": "text/html"})


def count(runtime: Any) -> int:
    with runtime.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(LogEntry)))


def errors_of(page: str) -> list[str]:
    return [html.unescape(e) for e in re.findall(r'class="error"[^>]*>(?:<p>)?([^<]*)<', page)]


def test_the_demo_exchanges_render_in_three_languages(sqlite_client, sqlite_demo):
    c, demo = sqlite_client, sqlite_demo
    pages = ["/exchanges", *(f"/exchanges/{POWS}{tab}" for tab in TABS if tab != "/lists"),
             f"/exchanges/{POWS}/lists?side=ru&direction=hand_over&old=1&new=2", f"/exchanges/{POWS}/counts?stage=1",
             f"/exchanges/{POWS}/handover?state=open", *(f"/exchanges/{REMAINS}{tab}" for tab in ("", "/remains",
                                                                                                 "/counts")),
             f"/exchanges/{REMAINS}/remains?state=preliminary&sender=ru"]
    for lang in ("uk", "ru"):
        reader = Reader(c, lang, demo.token("icrc/mediator"))
        for path in pages:
            reader.get(path)  # every message translated, no interface English left
    uk = Reader(c, "uk", demo.token("ua/registrar")).get(f"/exchanges/{POWS}")
    assert "Обмін завершено" in uk and "узгоджено версію 2" in uk and "10 на 10" in uk
    ru = Reader(c, "ru", demo.token("ru/registrar")).get(f"/exchanges/{REMAINS}/remains")
    assert "Предварительная идентификация" in ru and "UA-B-001" in ru

    # The agreement: both versions with their SHA-256, who signed which; no sign form once the handover began.
    page = get(c, demo, "ua/negotiator", f"/exchanges/{POWS}?lang=en").text
    assert re.search(r'<tr data-version="2">.*?current.*?agreed', page, re.S)
    assert 'id="sign-form"' not in page and 'id="counter-form"' not in page
    assert "Exchange completed" in page and "Released by a party" in page and "10 for 10" in page

    # The lists: Russia's men found under Ukraine's own records with the probability; the refusal's reason for the
    # mediator and the holding party only; the difference between Russia's two lists, person by person.
    page = get(c, demo, "icrc/mediator", f"/exchanges/{POWS}/lists?lang=en").text
    row = re.search(rf'<tr data-person="{REFUSES}".*?</tr>', page, re.S)
    assert row is not None and "Refused repatriation" in row.group(0) and REASON in row.group(0)
    assert 'data-result="found"' in page and "Found on the other side" in page and "Their record" in page
    assert re.search(r'<ul id="diff-added">.*?ru-azov-0013.*?</ul>', page, re.S)
    assert re.search(r'<ul id="diff-removed">.*?ru-azov-0011.*?</ul>', page, re.S)
    assert "1 person added, 1 person removed, 11 persons kept" in visible(page)
    other = get(c, demo, "ru/registrar", f"/exchanges/{POWS}/lists?lang=en").text
    row = re.search(rf'<tr data-person="{REFUSES}".*?</tr>', other, re.S)
    assert row is not None and "Refused repatriation" in row.group(0) and REASON not in other
    assert 'id="list-form"' not in other  # the exchange is completed: no new list
    # The plan, the board (one man's receipt not confirmed) and the counts: the difference names him.
    page = get(c, demo, "ua/negotiator", f"/exchanges/{POWS}/plan?lang=en").text
    assert page.count('<li data-person="ru-azov-') == 10 and REFUSES not in page.split('id="plan-table"')[1]
    page = get(c, demo, "ua/negotiator", f"/exchanges/{POWS}/handover?state=open&lang=en").text
    assert re.findall(r'<tr id="person-([\w-]+)"', page) == ["ru-azov-0009"]
    assert 'href="/api/exchanges/icrc-pow-exchange-demo/act?stage=1&amp;sender=ru&amp;lang=uk"' in page
    page = get(c, demo, "ru/negotiator", f"/exchanges/{POWS}/counts?lang=en").text
    line = re.search(r'<tr data-party="ua" data-what="received" data-category="" class="differ">.*?</tr>', page, re.S)
    assert line is not None and "ru-azov-0009" in line.group(0)
    assert "Handed over, receipt not confirmed" in line.group(0)
    # The remains: each side's fifty as stated, the bodies and their identification.
    page = get(c, demo, "ua/registrar", f"/exchanges/{REMAINS}/remains?lang=en").text
    assert page.count('<tr data-sender="ru" data-stage="1">') == 1 and 'id="body-RU-B-005"' in page
    body = re.search(r'<tr id="body-RU-B-005".*?</tr>', page, re.S)
    assert body is not None and "Identified" in body.group(0) and "ua-azov-0024" in body.group(0)
    assert 'id="identify-form"' in page  # Ukraine received Russia's bodies: it identifies them
    assert 'id="tab-lists"' not in page and 'id="tab-remains"' in page
    # Ukraine's registrar advances a body's identification; a state back, or identified without a person, refused.
    m = Session(c, demo).as_("ua/registrar")
    r = m.post(f"/exchanges/{REMAINS}/identifications", 400, body="RU-B-006", state="preliminary")
    assert 'id="identify-state-error"' in r.text
    r = m.post(f"/exchanges/{REMAINS}/identifications", 400, body="RU-B-020", state="identified")
    assert 'id="identify-person-error"' in r.text
    m.post(f"/exchanges/{REMAINS}/identifications", body="RU-B-020", state="dna_sampled", note="Зразок узято")
    page = m.page(f"/exchanges/{REMAINS}/remains?state=dna_sampled&sender=ru")
    assert 'id="body-RU-B-020"' in page and "Зразок узято" in page and 'id="body-RU-B-001"' not in page


def test_the_press_reads_released_figures_and_no_exchange(client, demo):
    # No link for the press, the figures Ukraine released (no names, no title), and no exchange at its address.
    assert 'href="/exchanges"' not in get(client, demo, "ua/press", "/").text
    assert 'href="/exchanges"' in get(client, demo, "ua/negotiator", "/").text
    page = get(client, demo, "ua/press", "/exchanges?lang=en").text
    assert '<tr data-exchange="icrc-pow-exchange-demo">' in page and REMAINS not in page
    assert "Exchange of prisoners" not in page and "ru-azov" not in page and "дев'ятьох" in page.replace("&#39;", "'")
    assert 'id="exchanges"' not in page and 'id="propose-form"' not in page
    for member in ("ua/press", "ua/liaison", "tr/observer"):
        for xid in (POWS, REMAINS):
            for tab in (*TABS, "/remains"):
                assert get(client, demo, member, f"/exchanges/{xid}{tab}").status_code == 404, (member, xid, tab)
    assert get(client, demo, "icrc/auditor", "/exchanges/icrc-no-such-exchange/plan").status_code == 404
    # An auditor reads, and writes nothing.
    page = get(client, demo, "icrc/auditor", "/exchanges?lang=en").text
    assert POWS in page and 'id="propose-form"' not in page
    assert 'id="status-form"' not in get(client, demo, "icrc/auditor", f"/exchanges/{POWS}").text


class Session:
    """A member signed in through the sign-in form, posting the pages' forms with the session's CSRF token."""

    def __init__(self, client: Any, demo: Any) -> None:
        self.client, self.demo, self.token = client, demo, ""

    def as_(self, member: str) -> Session:
        as_member(self.client, self.demo, member)
        self.token = csrf(self.client, "/")
        return self

    def post(self, path: str, expect: int = 303, **data: Any) -> Any:
        r = self.client.post(path, data={"csrf": self.token, **data}, follow_redirects=False)
        assert r.status_code == expect, (path, r.status_code, errors_of(r.text))
        return r

    def page(self, path: str) -> str:
        r = self.client.get(path)
        assert r.status_code == 200, (path, r.status_code)
        return r.text


def test_a_whole_exchange_through_the_forms(client, demo, runtime):
    m = Session(client, demo).as_("ua/negotiator")
    logged = count(runtime)
    terms = {"title": "Обмін двох на двох", "parties": ["ua", "ru"], "mediators": ["icrc"], "kind": "prisoners",
             "formula_kind": "n_for_n", "place": "Пункт передачі"}
    # Proposed: a formula without its number, then stages that do not add up; each refused beside its field.
    r = m.post("/exchanges", 400, **terms, n="", stage_size_0="2")
    assert 'id="propose-formula-error"' in r.text and "Обмін двох на двох" in r.text
    r = m.post("/exchanges", 400, **terms, n="2", stage_size_0="3")
    assert 'id="propose-stages-error"' in r.text
    assert count(runtime) == logged
    r = m.post("/exchanges", **terms, n="2", stage_size_0="2")
    xid = r.headers["location"].rsplit("/", 1)[1]
    page = m.page(f"/exchanges/{xid}")
    assert "Terms proposed" in page and "2 for 2" in page and 'id="sign-form"' in page
    v1 = re.search(r'name="sha256" value="([0-9a-f]{64})"', page).group(1)
    m.post(f"/exchanges/{xid}/signoffs", version="1", sha256=v1)
    # Russia counters: two stages of one; Ukraine's signature of version 1 no longer counts.
    m.as_("ru/negotiator")
    page = m.page(f"/exchanges/{xid}")
    assert 'id="counter-form"' in page and 'value="Обмін двох на двох"' in page
    m.post(f"/exchanges/{xid}/versions", title="Обмін двох на двох", formula_kind="n_for_n", n="2",
           stage_size_0="1", stage_size_1="1", place="Пункт передачі")
    page = m.page(f"/exchanges/{xid}")
    v2 = re.search(r'name="sha256" value="([0-9a-f]{64})"', page).group(1)
    assert v2 != v1 and '<tr data-version="2">' in page
    m.post(f"/exchanges/{xid}/signoffs", version="2", sha256=v2)
    m.as_("ua/negotiator")
    r = m.post(f"/exchanges/{xid}/signoffs", 400, version="1", sha256=v1, note="з учорашньої сторінки")  # stale
    assert 'id="sign-form-error"' in r.text
    m.post(f"/exchanges/{xid}/signoffs", version="2", sha256=v2)
    assert "Terms agreed" in m.page(f"/exchanges/{xid}")

    # The lists: an id that is none refused beside the field; each side's hand-over list, Russia's twice.
    m.as_("ua/registrar")
    r = m.post(f"/exchanges/{xid}/lists", 400, direction="hand_over", persons="ua-pow-0005\nнет такого")
    assert 'id="list-persons-error"' in r.text and "нет такого" in r.text
    r = m.post(f"/exchanges/{xid}/lists", 400, direction="hand_over", persons="ru-azov-0014")
    assert 'id="list-persons-error"' in r.text  # not Ukraine's to hand over
    m.post(f"/exchanges/{xid}/lists", direction="hand_over", persons="ua-pow-0005\nua-pow-0012")
    m.as_("ru/registrar")
    m.post(f"/exchanges/{xid}/lists", direction="hand_over", persons="ru-azov-0014, ru-azov-0015")
    m.post(f"/exchanges/{xid}/lists", direction="hand_over", persons="ru-azov-0014\nru-azov-0016", note="уточнено")
    # Consent: a refusal needs its reason; then each man wants to go back.
    m.as_("icrc/mediator")
    page = m.page(f"/exchanges/{xid}/consent")
    assert page.count('class="consent-form"') == 4 and "Not interviewed yet" in page
    r = m.post(f"/exchanges/{xid}/consent", 400, person="ua-pow-0012", wants="no", interviewed_on="")
    assert 'id="consent-reason-error"' in r.text
    for pid in ("ua-pow-0005", "ua-pow-0012", "ru-azov-0014", "ru-azov-0016"):
        m.post(f"/exchanges/{xid}/consent", person=pid, wants="yes")
    # The plan: excluding one of Ukraine's two men leaves too few; the proposal, then signed as shown.
    r = m.post(f"/exchanges/{xid}/plan", 400, excluded="ua-pow-0005")
    assert 'data-constraint="side_count"' in r.text and "A side has too few persons who may go." in r.text
    r = m.post(f"/exchanges/{xid}/plan", 200)
    assert r.text.count('class="planned"') == 4 and 'id="sign-plan-form"' in r.text
    stages = html.unescape(re.search(r'name="stages" value="([^"]*)"', r.text).group(1))
    assert [len(st["persons"]) for st in json.loads(stages)] == [2, 2]
    m.post(f"/exchanges/{xid}/plans", stages=stages, gap="0", note="Спершу поранені")
    page = m.page(f"/exchanges/{xid}/plan")
    assert 'id="plan-table"' in page and "Спершу поранені" in page
    stage_of = {p["person"]: st["stage"] for st in json.loads(stages) for p in st["persons"]}

    # The handover: the wrong side is refused; each step by its own side, the mediator witnessing.
    m.as_("ru/registrar")
    page = m.page(f"/exchanges/{xid}/handover")
    assert 'id="handed_over-ru-azov-0014"' in page and 'id="handed_over-ua-pow-0005"' not in page
    r = m.post(f"/exchanges/{xid}/handover", 400, person="ua-pow-0005", stage=str(stage_of["ua-pow-0005"]),
               step="handed_over")
    assert 'id="handover-form-error"' in r.text
    m.post(f"/exchanges/{xid}/handover", person="ru-azov-0014", stage=str(stage_of["ru-azov-0014"]),
           step="handed_over")
    m.as_("ua/registrar")
    r = m.post(f"/exchanges/{xid}/handover", 400, person="ru-azov-0014", stage=str(stage_of["ru-azov-0014"]),
               step="received", as_person="ua-azov-0015")  # another man's record
    assert 'id="handover-as_person-error"' in r.text
    m.post(f"/exchanges/{xid}/handover", person="ru-azov-0014", stage=str(stage_of["ru-azov-0014"]),
           step="received", as_person="ua-azov-0014")
    m.as_("icrc/mediator")
    m.post(f"/exchanges/{xid}/handover", person="ru-azov-0014", stage=str(stage_of["ru-azov-0014"]),
           step="witnessed")
    page = m.page(f"/exchanges/{xid}/handover")
    row = re.search(r'<tr id="person-ru-azov-0014".*?</tr>', page, re.S).group(0)
    assert 'class="complete"' in row and "Received as" in row and "ua-azov-0014" in row
    act = re.search(rf'href="(/api/exchanges/{xid}/act\?stage=\d&amp;sender=ru&amp;lang=uk)"', page)
    r = client.get(html.unescape(act.group(1)))
    assert r.status_code == 200 and r.content.startswith(b"%PDF")

    # Counts: a figure that is none refused; Ukraine's count beside the tally.
    m.as_("ua/negotiator")
    r = m.post(f"/exchanges/{xid}/counts", 400, sent="два", received="1")
    assert 'id="count-sent-error"' in r.text
    r = m.post(f"/exchanges/{xid}/counts", 400, sent="0", received="1", received_civilian="один")
    assert 'id="count-received_civilian-error"' in r.text and 'value="один"' in r.text
    # By category: a civilian stated among those received, where the confirmations show a serviceman.
    m.post(f"/exchanges/{xid}/counts", sent="0", received="~1", received_civilian="1", note="за першим етапом")
    page = m.page(f"/exchanges/{xid}/counts")
    line = re.search(r'<tr data-party="ua" data-what="received" data-category="".*?</tr>', page, re.S).group(0)
    assert "about 1" in line and "agrees" in line
    line = re.search(r'<tr data-party="ua" data-what="received" data-category="civilian".*?</tr>', page,
                     re.S).group(0)
    assert "Civilians" in line and "differs" in line and re.search(r'class="num tally" data-value="0"', line)
    # The mediator completes it; Ukraine releases its figures, which its press officer then reads.
    m.as_("icrc/mediator")
    m.post(f"/exchanges/{xid}/status", status="completed", reason="Перший етап")
    m.as_("ua/negotiator")
    page = m.page(f"/exchanges/{xid}")
    assert "Exchange completed" in page and 'id="release-form"' in page
    r = m.post(f"/exchanges/{xid}/release", 400, sent="", received="1")
    assert 'id="release-sent-error"' in r.text
    m.post(f"/exchanges/{xid}/release", sent="0", received="1", note="Повернуто одного")
    assert 'id="release-form"' not in m.page(f"/exchanges/{xid}")
    page = get(client, demo, "ua/press", "/exchanges").text
    assert f'<tr data-exchange="{xid}">' in page and "Повернуто одного" in page
    assert get(client, demo, "ua/press", f"/exchanges/{xid}").status_code == 404
