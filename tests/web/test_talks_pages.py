"""The pages of talks through HTTP: the process, its rounds, the points board, a point, a joint text and the
implementation board render for the members who may read them, in Ukrainian, Russian and English; a member who
may not read a process finds none (404), and the press is offered no talks; the forms post signed records and show
each refusal beside its field; a claim reported from anonymous sources is marked so; the text page shows the
word-level difference and who signed what, and refuses a sign-off from a page gone stale.

The data is built through the API (``tests/talks/test_api.py``), not taken from the demo's talks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from parley.log.models import LogEntry
from tests.operations.test_lifecycle import plan
from tests.talks.test_api import ok, sha
from tests.web.test_language_pages import Reader, visible
from tests.web.test_operations_pages import as_member, sign_out
from tests.web.test_pages import csrf, sign_in

# Synthetic people and places (the demo carries the seeds' own); the wordings are the seed's, in translation.
CORRIDORS = "Joint provision of humanitarian corridors for the evacuation of civilians."
CORRIDORS_UK = "Спільне забезпечення гуманітарних коридорів для евакуації цивільних."
V1 = "Сторони досягли порозуміння щодо гуманітарних коридорів."
V2 = "Сторони досягли порозуміння щодо гуманітарних коридорів і тимчасового припинення вогню."
V3 = "Сторони досягли порозуміння щодо коридорів і тимчасового припинення вогню на час операції."
RUMOUR = "Начальники генштабів нібито підтримують прямий зв'язок."


@dataclass
class Talks:
    process: str
    track: str
    agreed: str  # a point both parties accept
    open: str  # a point only one party proposed on
    meeting: str
    text: str
    back: str  # a back channel between the two parties, no mediator
    head_ua: str
    operation: str


def count(runtime: Any) -> int:
    with runtime.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(LogEntry)))


def build(client: Any, h: Any) -> Talks:
    """An official process (ua, ru; icrc mediating) with a track, a held round whose venue and date changed, a
    claim from anonymous officials and a precondition, a point agreed and one not, a joint text in two versions
    signed by each party once, an operation implementing the agreed point and Ukraine's assessment of it; and a
    back channel."""
    head_ua = ok(client.post("/api/talks/actors", json={"actor": {
        "names": ["Ivan Testenko", "Іван Тестенко", "Иван Тестенко"], "acts_for": "ua", "title": "head of delegation"},
        "audience": ["party:ua", "party:ru", "party:icrc"]}, headers=h("ua/negotiator")))["id"]
    head_ru = ok(client.post("/api/talks/actors", json={"actor": {
        "names": ["Petr Primerov", "Петр Примеров"], "acts_for": "ru", "title": "head of delegation"},
        "audience": ["party:ua", "party:ru", "party:icrc"]}, headers=h("ru/negotiator")))["id"]
    p = ok(client.post("/api/talks/processes", json={"process": {
        "title": "Переговори в Білорусі", "format": "official_talks", "parties": ["ua", "ru"], "mediators": ["icrc"],
        "authorisation": "authorised", "started_on": "2022-02-28"}}, headers=h("ua/negotiator")))["id"]
    track = ok(client.post(f"/api/talks/processes/{p}/tracks", json={"name": "Гуманітарний трек"},
                           headers=h("icrc/mediator")))["id"]
    m = ok(client.post(f"/api/talks/processes/{p}/meetings", json={"meeting": {
        "kind": "round", "number": 2, "title": "Другий раунд", "status": "planned", "time_zone": "Europe/Minsk",
        "scheduled_start": "2022-03-02T12:00:00Z", "venue": {"name": "Гомельська область", "position": [30.97, 52.43]},
        "delegations": [{"party": "ua", "head": head_ua}, {"party": "ru", "head": head_ru}]}},
        headers=h("icrc/mediator")))["id"]
    ok(client.post(f"/api/talks/meetings/{m}/changes", json={
        "status": "held", "actual_start": "2022-03-03T14:50:00Z", "duration_minutes": 170,
        "venue": {"name": "Біловезька пуща", "position": [23.82, 52.57]}, "reason": "на день пізніше"},
        headers=h("icrc/mediator")))
    ok(client.post(f"/api/talks/processes/{p}/statements", json={
        "type": "claim", "text": RUMOUR, "language": "uk", "on_behalf": "ru",
        "source": {"kind": "anonymous_officials", "outlet": "Газета"}}, headers=h("ua/negotiator")))
    ok(client.post(f"/api/talks/processes/{p}/statements", json={
        "type": "precondition", "text": "Спершу — гуманітарні коридори.", "language": "uk", "on_behalf": "ua",
        "speaker": head_ua, "meeting": m}, headers=h("ua/negotiator")))
    agreed = ok(client.post(f"/api/talks/tracks/{track}/points", json={"title": "Гуманітарні коридори"},
                            headers=h("icrc/mediator")))["id"]
    ok(client.post(f"/api/talks/points/{agreed}/positions", json={"position": "proposed", "text": CORRIDORS},
                   headers=h("ua/negotiator")))
    ok(client.post(f"/api/talks/points/{agreed}/positions", json={"position": "counter_proposed",
                                                                  "text": CORRIDORS_UK}, headers=h("ru/negotiator")))
    ok(client.post(f"/api/talks/points/{agreed}/positions", json={"position": "accepted", "sha256": sha(CORRIDORS_UK)},
                   headers=h("ua/negotiator")))
    open_point = ok(client.post(f"/api/talks/tracks/{track}/points", json={"title": "Режим тиші"},
                                headers=h("icrc/mediator")))["id"]
    ok(client.post(f"/api/talks/points/{open_point}/positions", json={"position": "proposed", "text": V2},
                   headers=h("ru/negotiator")))
    text = ok(client.post(f"/api/talks/processes/{p}/texts", json={"title": "Комюніке", "body": V1, "language": "uk"},
                          headers=h("icrc/mediator")))["id"]
    ok(client.post(f"/api/talks/texts/{text}/signoffs", json={"version": 1, "sha256": sha(V1)},
                   headers=h("ua/negotiator")))
    ok(client.post(f"/api/talks/processes/{p}/texts", json={"id": text, "title": "Комюніке", "body": V2,
                                                            "language": "uk", "supersedes": 1},
                   headers=h("ru/negotiator")))
    ok(client.post(f"/api/talks/texts/{text}/signoffs", json={"version": 2, "sha256": sha(V2)},
                   headers=h("ru/negotiator")))
    op = ok(client.post("/api/operations", json={"plan": plan(implements=[agreed])},
                        headers=h("ua/negotiator")))["operation"]
    ok(client.post(f"/api/talks/points/{agreed}/implementation", json={
        "level": 2, "evidence": [{"kind": "operation", "ref": op}]}, headers=h("ua/negotiator")))
    back = ok(client.post("/api/talks/processes", json={"process": {
        "title": "Закритий канал", "format": "back_channel", "parties": ["ua", "ru"]}},
        headers=h("ua/negotiator")))["id"]
    return Talks(p, track, agreed, open_point, m, text, back, head_ua, op)


def pages(t: Talks) -> list[str]:
    return ["/talks", "/talks/actors", "/talks/actors?q=Тестенко", f"/talks/{t.process}",
            f"/talks/{t.process}/board", f"/talks/{t.process}/board?track={t.track}",
            f"/talks/{t.process}/implementation", f"/talks/meetings/{t.meeting}", f"/talks/points/{t.agreed}",
            f"/talks/points/{t.open}", f"/talks/texts/{t.text}", f"/talks/texts/{t.text}?from=1&to=2&show=1"]


def test_pages_render_for_readers_in_three_languages(sqlite_client, sqlite_demo):
    t = build(sqlite_client, sqlite_demo.headers)
    for member in ("ua/negotiator", "icrc/mediator", "icrc/auditor", "ru/liaison"):
        for lang in ("uk", "ru"):
            reader = Reader(sqlite_client, lang, sqlite_demo.token(member))
            for path in pages(t):
                reader.get(path)  # every message translated, no interface English left
        r = sqlite_client.get(f"/talks/{t.process}?lang=en", headers={"Authorization":
                                                                      f"Bearer {sqlite_demo.token(member)}"})
        assert r.status_code == 200 and "Official talks" in r.text
    uk = Reader(sqlite_client, "uk", sqlite_demo.token("ru/negotiator"))
    page = uk.get(f"/talks/{t.process}")
    assert "Офіційні переговори" in page and "Іван Тестенко" in page and "Біловезька пуща" in page
    ru = Reader(sqlite_client, "ru", sqlite_demo.token("ua/negotiator"))
    page = ru.get(f"/talks/points/{t.agreed}")
    assert "Взаимопонимание" in page and CORRIDORS_UK in page
    page = visible(sqlite_client.get(f"/talks/meetings/{t.meeting}?lang=en", headers=sqlite_demo.headers(
        "ua/negotiator")).text)
    # In the meeting's own time zone (Minsk, UTC+3): scheduled 15:00, began 17:50 a day later, 2 hr 50 min.
    assert "15:00 UTC+3" in page and "17:50 UTC+3" in page and "2 hr 50 min" in page
    assert "began 1 day 2 hr later than scheduled" in page
    assert "Ivan Testenko" in page and "Гомельська область" in page and "на день пізніше" in page


def test_the_process_page_marks_reports_from_anonymous_sources(client, demo):
    t = build(client, demo.headers)
    r = client.get(f"/talks/{t.process}", headers={"Authorization": f"Bearer {demo.token('ua/negotiator')}"})
    assert r.status_code == 200
    claim = re.search(r'<article class="statement hearsay"[^>]*data-hearsay="yes">(.*?)</article>', r.text, re.S)
    assert claim is not None and RUMOUR.replace("'", "&#39;") in claim.group(1)
    assert "Reported, not confirmed" in claim.group(1) and "Anonymous officials" in claim.group(1)
    # The party's own precondition is not marked; it stands under its side.
    side = re.search(r'<div class="card side" data-party="ua">(.*?)</div>\s*<div class="card side"', r.text, re.S)
    assert side is not None and "Спершу — гуманітарні коридори." in side.group(1)
    assert 'data-hearsay="no"' in side.group(1) and "Reported, not confirmed" not in side.group(1)
    # The status over time, who stated it; the timeline; the venues on the map; the texts and tracks.
    assert 'id="status-table"' in r.text and "ua/negotiator" in r.text
    assert 'id="venues-map"' in r.text and '"places"' in r.text and "23.82" in r.text
    assert f'href="/talks/{t.process}/board?track={t.track}"' in r.text and f'href="/talks/texts/{t.text}"' in r.text
    assert "Mutual understanding reached" in r.text
    page = client.get(f"/talks/{t.process}?what=statement", headers={
        "Authorization": f"Bearer {demo.token('ua/negotiator')}"}).text
    assert set(re.findall(r'<tr class="event-\w+" data-what="(\w+)">', page)) == {"statement"}


def test_who_may_read_talks(client, demo):
    t = build(client, demo.headers)

    def get(member: str, path: str) -> Any:
        return client.get(path, headers={"Authorization": f"Bearer {demo.token(member)}"})

    # The press reads no talks: no link, a refusal for the list, nothing at a process's address.
    assert 'href="/talks"' not in get("ua/press", "/").text and 'href="/talks"' in get("ua/negotiator", "/").text
    assert get("ua/press", "/talks").status_code == 403
    for path in pages(t)[3:]:
        assert get("ua/press", path).status_code == 404, path
        assert get("ua/registrar", path).status_code == 404, path
    # A back channel: its parties' negotiators only; not the mediator, not another mediator, not an observer.
    for member, status in (("ua/negotiator", 200), ("ru/negotiator", 200), ("icrc/mediator", 404),
                           ("un-ocha/liaison", 404), ("ru/liaison", 404), ("tr/observer", 404)):
        assert get(member, f"/talks/{t.back}").status_code == status, member
        assert get(member, f"/talks/{t.back}/board").status_code == status, member
        listed = get(member, "/talks")
        assert (f'href="/talks/{t.back}"' in listed.text) == (status == 200), member
    assert "Read only by the negotiators" in get("ru/negotiator", f"/talks/{t.back}").text
    # Absent objects are absent, whoever asks.
    for path in ("/talks/ua-talks-none", "/talks/meetings/ua-meeting-none", "/talks/points/ua-point-none",
                 "/talks/texts/ua-text-none", "/talks/ua-talks-none/implementation"):
        assert get("icrc/auditor", path).status_code == 404, path
    # Forms only for those who may write: a liaison officer and an auditor read, and write nothing.
    for member in ("ru/liaison", "icrc/auditor"):
        page = get(member, f"/talks/{t.process}").text
        assert 'id="statement-form"' not in page and 'id="meeting-form"' not in page, member
    assert 'id="position-form"' not in get("icrc/mediator", f"/talks/points/{t.open}").text  # a mediator's
    assert 'id="signoff-form"' not in get("icrc/mediator", f"/talks/texts/{t.text}").text
    assert 'id="position-form"' in get("ua/negotiator", f"/talks/points/{t.open}").text
    # A liaison officer assesses the implementation of an agreed point, and states no position.
    page = get("ru/liaison", f"/talks/points/{t.agreed}").text
    assert 'id="implementation-form"' in page and 'id="position-form"' not in page
    assert 'id="implementation-form"' not in get("ru/liaison", f"/talks/points/{t.open}").text


def test_forms_post_records_and_show_refusals_beside_the_field(client, demo, runtime):
    t = build(client, demo.headers)
    sign_in(client, demo, "ru/negotiator")
    token = csrf(client, f"/talks/{t.process}")
    logged = count(runtime)

    def post(path: str, expect: int = 400, **data: Any) -> Any:
        r = client.post(path, data={"csrf": token, **data}, follow_redirects=False)
        assert r.status_code == expect, (path, r.status_code, re.findall(r"class=\"error\"[^>]*>([^<]*)<", r.text))
        return r

    # A statement: nothing said; a media report without its outlet; then recorded.
    r = post(f"/talks/{t.process}/statements", type="assessment", text="  ")
    assert 'id="statement-text-error"' in r.text and "Write what was said." in r.text
    r = post(f"/talks/{t.process}/statements", type="assessment", text="Є суттєвий прогрес.",
             source_kind="media_report")
    assert 'id="statement-source-error"' in r.text and "Name the outlet that published the report." in r.text
    assert "Є суттєвий прогрес." in r.text  # what the member typed is kept
    assert count(runtime) == logged
    r = post(f"/talks/{t.process}/statements", 303, type="assessment", text="Є суттєвий прогрес.", language="uk",
             on_behalf="ru", source_kind="media_report", source_outlet="Газета", source_confirmation="confirmed")
    assert r.headers["location"] == f"/talks/{t.process}#timeline"
    page = client.get(f"/talks/{t.process}").text
    assert "Є суттєвий прогрес." in page
    # A status the process already has: refused beside the status field.
    r = post(f"/talks/{t.process}/status", status="active")
    assert 'id="status-status-error"' in r.text and "already" in r.text
    post(f"/talks/{t.process}/status", 303, status="paused", reason="консультації")
    assert "консультації" in client.get(f"/talks/{t.process}").text
    # A meeting held needs its start; a position typed wrong; then recorded, in its own time zone.
    r = post(f"/talks/{t.process}/meetings", kind="round", title="Третій раунд", status="held",
             time_zone="Europe/Minsk")
    assert 'id="meeting-actual_start-error"' in r.text
    r = post(f"/talks/{t.process}/meetings", kind="round", title="Третій раунд", status="planned",
             venue_name="Брест", venue_position="north of Brest", time_zone="Europe/Minsk")
    assert 'id="meeting-venue_position-error"' in r.text
    r = post(f"/talks/{t.process}/meetings", kind="round", title="Третій раунд", status="planned",
             duration_minutes="three hours", time_zone="Europe/Minsk")
    assert 'id="meeting-duration_minutes-error"' in r.text
    r = post(f"/talks/{t.process}/meetings", 303, kind="round", title="Третій раунд", status="planned", number="3",
             venue_name="Брест", venue_position="23.69, 52.10", time_zone="Europe/Minsk",
             scheduled_start="2030-03-07T12:00", duration_minutes="<180", duration_note="менше трьох годин",
             head_ua=t.head_ua, head_ru="")
    mid = r.headers["location"].rsplit("/", 1)[1]
    page = client.get(f"/talks/meetings/{mid}").text
    assert "Третій раунд" in page and "12:00 UTC+3" in page and "Брест" in page and 'id="meeting-map"' in page
    assert "fewer than 3 hr; «менше трьох годин»" in page and "Ivan Testenko" in page
    # A position: an acceptance must name a wording; a proposal its wording; a wording not proposed here is refused.
    r = post(f"/talks/points/{t.open}/positions", position="accepted")
    assert 'id="position-sha256-error"' in r.text
    r = post(f"/talks/points/{t.open}/positions", position="counter_proposed", text="")
    assert 'id="position-text-error"' in r.text
    r = post(f"/talks/points/{t.open}/positions", position="accepted", sha256="0" * 64)
    assert 'id="position-sha256-error"' in r.text and "0" * 12 in r.text
    assert count(runtime) == logged + 3
    # Ukraine accepts Russia's wording: mutual understanding.
    as_member(client, demo, "ua/negotiator")
    token = csrf(client, f"/talks/points/{t.open}")
    post(f"/talks/points/{t.open}/positions", 303, position="accepted", sha256=sha(V2))
    page = client.get(f"/talks/points/{t.open}").text
    assert 'id="point-agreed">Mutual understanding<' in page and 'id="implementation-form"' in page
    # An implementation: no level; evidence the member may not read; then stated.
    r = post(f"/talks/points/{t.open}/implementation", level="")
    assert 'id="implementation-level-error"' in r.text
    r = post(f"/talks/points/{t.open}/implementation", level="1", evidence_kind_0="operation",
             evidence_ref_0="ru-op-unknown")
    assert 'id="implementation-evidence-error"' in r.text
    post(f"/talks/points/{t.open}/implementation", 303, level="3", evidence_kind_0="operation",
         evidence_ref_0=t.operation, evidence_kind_1="record", evidence_ref_1="1", note="виконано")
    page = client.get(f"/talks/{t.process}/implementation").text
    assert f'href="/operations/{t.operation}"' in page and "3 — complete" in page and 'href="/log/records/1"' in page
    # A refusal for a form the page no longer offers is shown at the top: an implementation of a point not agreed.
    as_member(client, demo, "ru/negotiator")
    token = csrf(client, f"/talks/points/{t.open}")
    post(f"/talks/points/{t.open}/positions", 303, position="reserved", note="потрібно перевірити")
    r = post(f"/talks/points/{t.open}/implementation", level="2")
    assert 'role="alert"' in r.text and "has not reached mutual understanding" in r.text


def test_the_text_page_shows_the_difference_and_who_signed_what(client, demo, runtime):
    t = build(client, demo.headers)
    sign_in(client, demo, "ua/negotiator")
    page = client.get(f"/talks/texts/{t.text}").text
    # The difference between versions 1 and 2, word by word.
    assert "<ins> і тимчасового припинення вогню</ins>" in page
    assert re.search(r'id="diff-summary">[^<]*4 words added, 0 words removed', page)
    # Sign-off panel: Russia signed the current version, Ukraine version 1, and what changed since then.
    ua = re.search(r'<tr data-party="ua" class="unsigned">(.*?)</tr>', page, re.S)
    ru = re.search(r'<tr data-party="ru" class="signed">(.*?)</tr>', page, re.S)
    assert ua is not None and ru is not None
    assert "Not signed" in ua.group(1) and "version 1" in ua.group(1) and "<ins>" in ua.group(1)
    assert "Signed" in ru.group(1) and "nothing: it signed the current version" in ru.group(1)
    assert "Not agreed" in page
    # The form carries the version and the exact hash the page showed.
    form = re.search(r'<form method="post" action="/talks/texts/[^"]+/signoffs" id="signoff-form".*?</form>', page,
                     re.S)
    assert form is not None
    assert 'name="version" value="2"' in form.group(0) and f'name="sha256" value="{sha(V2)}"' in form.group(0)
    token = csrf(client, f"/talks/texts/{t.text}")
    # Meanwhile the mediator writes version 3: the page Ukraine holds is stale, and its sign-off is refused.
    ok(client.post(f"/api/talks/processes/{t.process}/texts", json={
        "id": t.text, "title": "Комюніке", "body": V3, "language": "uk", "supersedes": 2},
        headers=demo.headers("icrc/mediator")))
    logged = count(runtime)
    r = client.post(f"/talks/texts/{t.text}/signoffs", data={"csrf": token, "version": "2", "sha256": sha(V2)})
    assert r.status_code == 400 and 'id="signoff-form-error"' in r.text
    assert "is no longer the current one" in r.text or "not the current" in r.text
    assert count(runtime) == logged
    # A hash that is not the version's: refused too.
    r = client.post(f"/talks/texts/{t.text}/signoffs", data={"csrf": token, "version": "3", "sha256": sha(V2)})
    assert r.status_code == 400 and 'id="signoff-form-error"' in r.text and count(runtime) == logged
    # The page as it now stands: version 3, signed by both.
    r = client.post(f"/talks/texts/{t.text}/signoffs", data={"csrf": token, "version": "3", "sha256": sha(V3)},
                    follow_redirects=False)
    assert r.status_code == 303
    as_member(client, demo, "ru/negotiator")
    page = client.get(f"/talks/texts/{t.text}").text
    assert 'id="signoff-form"' in page
    token = csrf(client, f"/talks/texts/{t.text}")
    client.post(f"/talks/texts/{t.text}/signoffs", data={"csrf": token, "version": "3", "sha256": sha(V3)})
    page = client.get(f"/talks/texts/{t.text}").text
    assert 'id="text-agreed">Agreed: every party signed the current version<' in page
    assert 'id="signoff-form"' not in page and 'id="signed-by-me"' in page
    # Any two versions compared; a version shown as it was.
    page = client.get(f"/talks/texts/{t.text}?from=1&to=3").text
    assert "<del>гуманітарних коридорів</del>" in page and "на час операції</ins>" in page
    assert V1 in client.get(f"/talks/texts/{t.text}?show=1").text
    # A new version through the form: a stale one is refused beside the form.
    token = csrf(client, f"/talks/texts/{t.text}")
    r = client.post(f"/talks/texts/{t.text}/versions", data={"csrf": token, "supersedes": "2", "title": "Комюніке",
                                                             "body": V1, "language": "uk"})
    assert r.status_code == 400 and 'id="version-form-error"' in r.text
    r = client.post(f"/talks/texts/{t.text}/versions", data={"csrf": token, "supersedes": "3", "title": "Комюніке",
                                                             "body": V1, "language": "uk"}, follow_redirects=False)
    assert r.status_code == 303
    assert 'id="current-version">4<' in client.get(f"/talks/texts/{t.text}").text


def test_the_boards_side_by_side_with_paging(client, demo):
    t = build(client, demo.headers)
    sign_in(client, demo, "icrc/mediator")
    page = client.get(f"/talks/{t.process}/board").text
    row = re.search(rf'<tr data-point="{t.agreed}" class="agreed">(.*?)</tr>', page, re.S)
    assert row is not None and "Mutual understanding" in row.group(1)
    cells = dict(re.findall(r'<td data-party="(\w+)" data-value="(\w*)"', row.group(1)))
    assert cells == {"ua": "accepted", "ru": "counter_proposed"}
    assert CORRIDORS_UK in row.group(1)  # the wording on demand, in a details element
    row = re.search(rf'<tr data-point="{t.open}" class="">(.*?)</tr>', page, re.S)
    assert row is not None and "not agreed" in row.group(1) and "no position stated" in row.group(1)
    # One point a page.
    page = client.get(f"/talks/{t.process}/board?limit=1").text
    assert t.agreed in page and t.open not in page and 'id="next-page"' in page
    page = client.get(f"/talks/{t.process}/board?limit=1&offset=1").text
    assert t.open in page and f'data-point="{t.agreed}"' not in page and 'id="prev-page"' in page
    # The point page: current positions, history, wordings with their short hash, the operation implementing it.
    page = client.get(f"/talks/points/{t.agreed}").text
    assert sha(CORRIDORS)[:12] in page and sha(CORRIDORS_UK)[:12] in page
    assert len(re.findall(r'<tr data-party="\w+" data-position="\w+">', page)) == 3
    assert f'<tr data-operation="{t.operation}">' in page and "2 — intermediate" in page
    # The actors found in any spelling.
    page = client.get("/talks/actors?q=Testenko").text
    assert f'id="actor-{t.head_ua}"' in page and "Іван Тестенко" in page
    assert f'id="actor-{t.head_ua}"' in client.get("/talks/actors?q=Тестєнко").text
    # An ended process takes statements still, and no meeting, change of status or sign-off.
    ok(client.post(f"/api/talks/processes/{t.process}/status", json={"status": "ended"},
                   headers=demo.headers("ua/negotiator")))
    as_member(client, demo, "ua/negotiator")
    page = client.get(f"/talks/{t.process}").text
    assert 'id="statement-form"' in page and 'id="meeting-form"' not in page and 'id="status-form"' not in page
    assert 'id="signoff-form"' not in client.get(f"/talks/texts/{t.text}").text
    sign_out(client)


def test_the_back_channels_point_lists_the_operation_its_assessments_cite(sqlite_client, sqlite_demo):
    # The demo's safe-exit term (seed 000) is the back channel's; the exit operation reaches the ICRC and cannot
    # name it, so the point's page shows the operation through the evidence of Ukraine's assessments.
    sign_in(sqlite_client, sqlite_demo, "ua/negotiator")
    page = sqlite_client.get("/talks/points/ru-azovstal-stop-and-leave")
    assert page.status_code == 200
    row = re.search(r'<tr data-operation="ua-azovstal-exit">.*?</tr>', page.text, re.S)
    assert row is not None and "cited as evidence by" in row.group(0)
    assert "names this point" not in row.group(0)


# --- the forms that open a process, add tracks, texts and points, register actors and change a meeting ----------

class Poster:
    """Posts one form as the member signed in, with the CSRF token of a page they read."""

    def __init__(self, client: Any, demo: Any, member: str, page: str) -> None:
        self.client = client
        as_member(client, demo, member)
        self.token = csrf(client, page)

    def __call__(self, path: str, expect: int = 400, **data: Any) -> Any:
        r = self.client.post(path, data={"csrf": self.token, **data}, follow_redirects=False)
        assert r.status_code == expect, (path, r.status_code, re.findall(r"class=\"error\"[^>]*>([^<]*)<", r.text))
        return r


def error_of(page: str, ident: str) -> str:
    """The text of the error shown beside a field (``process-parties`` → ``id="process-parties-error"``)."""
    m = re.search(rf'<p class="error" id="{ident}-error">([^<]*)</p>', page)
    assert m is not None, (ident, re.findall(r'<p class="error"[^>]*>[^<]*<', page))
    return m.group(1)


def read(r: Any) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    return dict(r.json())


def get_as(client: Any, demo: Any, member: str, path: str) -> Any:
    return client.get(path, headers={"Authorization": f"Bearer {demo.token(member)}"})


def test_a_process_is_opened_from_the_list(client, demo, runtime):
    t = build(client, demo.headers)
    # Writers of a belligerent or a mediator party open processes; not a liaison officer, an auditor, an observer.
    for member in ("ua/negotiator", "icrc/mediator", "un-ocha/liaison"):
        assert 'id="process-form"' in get_as(client, demo, member, "/talks").text, member
    for member in ("ru/liaison", "icrc/auditor", "tr/observer"):
        assert 'id="process-form"' not in get_as(client, demo, member, "/talks").text, member
    assert get_as(client, demo, "ua/press", "/talks").status_code == 403
    page = get_as(client, demo, "ua/negotiator", "/talks").text
    assert "only the negotiators of its parties and mediators read it" in page  # the back channel's audience
    post = Poster(client, demo, "ua/negotiator", "/talks")
    logged = count(runtime)
    # One party; an observer as a party; an intermediary's row without the intermediary: each beside its field.
    r = post("/talks", title="Канал через депутата", format="back_channel", parties=["ua"])
    assert "Parties concerned: at least 2 items." in error_of(r.text, "process-parties")
    assert 'value="Канал через депутата"' in r.text  # what the member typed is kept
    r = post("/talks", title="Канал через депутата", format="back_channel", parties=["ua", "tr"])
    assert error_of(r.text, "process-parties")
    r = post("/talks", title="Канал через депутата", format="back_channel", parties=["ua", "ru"],
             intermediary_role_0="депутат")
    assert error_of(r.text, "process-intermediaries") == "Choose the intermediary, or leave the row empty."
    assert 'value="депутат"' in r.text
    r = post("/talks", title="  ", format="official_talks", parties=["ua", "ru"])
    assert error_of(r.text, "process-title")
    assert count(runtime) == logged
    # A back channel with its intermediary and its source: closed to the parties' negotiators.
    r = post("/talks", 303, title="Канал через депутата", format="back_channel", parties=["ua", "ru"],
             intermediary_actor_0=t.head_ua, intermediary_acting_for_0="ua", intermediary_role_0="депутат",
             authorisation="authorised", started_on="2022-04-20", source_kind="media_report", source_outlet="Газета")
    pid = r.headers["location"].rsplit("/", 1)[1]
    assert count(runtime) == logged + 1
    got = read(client.get(f"/api/talks/processes/{pid}", headers=demo.headers("ru/negotiator")))
    assert got["format"] == "back_channel" and got["parties"] == ["ua", "ru"] and got["started_on"] == "2022-04-20"
    assert got["intermediaries"] == [{"actor": t.head_ua, "acting_for": "ua", "role": "депутат"}]
    assert got["audience"] == ["only", "party:ru/negotiator", "party:ua/negotiator"]
    assert got["source"]["outlet"] == "Газета"
    assert get_as(client, demo, "icrc/mediator", f"/talks/{pid}").status_code == 404
    # Official talks opened by the mediator: the parties' and its own audience.
    post = Poster(client, demo, "icrc/mediator", "/talks")
    r = post("/talks", 303, title="Обмін полоненими", format="official_talks", parties=["ua", "ru"],
             mediators=["icrc"])
    pid = r.headers["location"].rsplit("/", 1)[1]
    got = read(client.get(f"/api/talks/processes/{pid}", headers=demo.headers("ru/liaison")))
    assert got["mediators"] == ["icrc"] and got["audience"] == ["party:icrc", "party:ru", "party:ua"]


def test_tracks_and_joint_texts_are_added_on_the_process_page(client, demo, runtime):
    t = build(client, demo.headers)
    for member in ("ua/negotiator", "icrc/mediator"):
        page = get_as(client, demo, member, f"/talks/{t.process}").text
        assert 'id="track-form"' in page and 'id="text-form"' in page, member
    for member in ("ru/liaison", "icrc/auditor"):
        page = get_as(client, demo, member, f"/talks/{t.process}").text
        assert 'id="track-form"' not in page and 'id="text-form"' not in page, member
    post = Poster(client, demo, "icrc/mediator", f"/talks/{t.process}")
    logged = count(runtime)
    # A track with no name; a text with no body; a text covering a point that is not there.
    r = post(f"/talks/{t.process}/tracks", name=" ", note="спершу")
    assert error_of(r.text, "track-name") and 'value="спершу"' in r.text
    r = post(f"/talks/{t.process}/texts", title="Спільна заява", body="  \n", language="uk")
    assert error_of(r.text, "text-body") == "Write the text." and 'value="Спільна заява"' in r.text
    r = post(f"/talks/{t.process}/texts", title="Спільна заява", body=V1, language="uk", points=["ua-point-none"])
    assert error_of(r.text, "text-points") and V1 in r.text
    assert count(runtime) == logged
    # Then recorded.
    r = post(f"/talks/{t.process}/tracks", 303, name="Військовий трек")
    tid = r.headers["location"].rsplit("=", 1)[1]
    assert r.headers["location"] == f"/talks/{t.process}/board?track={tid}"
    got = read(client.get(f"/api/talks/processes/{t.process}", headers=demo.headers("ru/negotiator")))
    assert {"id": tid, "name": "Військовий трек"}.items() <= next(x for x in got["tracks"] if x["id"] == tid).items()
    r = post(f"/talks/{t.process}/texts", 303, title="Спільна заява", body=V1, language="uk",
             points=[t.agreed, t.open], note="проєкт посередника")
    text = r.headers["location"].rsplit("/", 1)[1]
    got = read(client.get(f"/api/talks/texts/{text}", headers=demo.headers("ua/negotiator")))
    assert got["title"] == "Спільна заява" and got["version"] == 1 and got["sha256"] == sha(V1)
    assert got["versions"][0]["points"] == [t.agreed, t.open] and got["versions"][0]["language"] == "uk"
    assert count(runtime) == logged + 2
    # An ended process takes neither.
    ok(client.post(f"/api/talks/processes/{t.process}/status", json={"status": "ended"},
                   headers=demo.headers("ua/negotiator")))
    page = client.get(f"/talks/{t.process}").text
    assert 'id="track-form"' not in page and 'id="text-form"' not in page
    r = post(f"/talks/{t.process}/tracks", name="Політичний трек")
    assert 'role="alert"' in r.text and count(runtime) == logged + 3  # the status, and nothing else


def test_points_are_added_on_the_board(client, demo, runtime):
    t = build(client, demo.headers)
    board = f"/talks/{t.process}/board?track={t.track}"
    for member in ("ua/negotiator", "icrc/mediator"):
        assert 'id="point-form"' in get_as(client, demo, member, board).text, member
    for member in ("ru/liaison", "icrc/auditor"):
        assert 'id="point-form"' not in get_as(client, demo, member, board).text, member
    # A process with no track yet offers no point.
    assert 'id="point-form"' not in get_as(client, demo, "ua/negotiator", f"/talks/{t.back}/board").text
    other = ok(client.post(f"/api/talks/processes/{t.back}/tracks", json={"name": "Вихід"},
                           headers=demo.headers("ua/negotiator")))["id"]
    post = Poster(client, demo, "icrc/mediator", board)
    page = client.get(board).text
    assert f'<option value="{t.track}" selected>' in page  # the board's track is the point's
    logged = count(runtime)
    r = post(f"/talks/{t.process}/points", track=t.track, title="", text="Чернетка")
    assert error_of(r.text, "point-title") and "Чернетка" in r.text
    r = post(f"/talks/{t.process}/points", track=other, title="Обмін полоненими")  # another process's track
    assert error_of(r.text, "point-track") == "Choose the track the point belongs to."
    assert count(runtime) == logged
    r = post(f"/talks/{t.process}/points", 303, track=t.track, title="Обмін полоненими", text=CORRIDORS)
    assert r.headers["location"] == f"/talks/{t.process}/board?track={t.track}#points-board"
    got = read(client.get(f"/api/talks/processes/{t.process}/board?track={t.track}",
                        headers=demo.headers("ru/negotiator")))
    new = [x for x in got["points"] if x["title"] == "Обмін полоненими"]
    assert len(new) == 1
    point = read(client.get(f"/api/talks/points/{new[0]['id']}", headers=demo.headers("ua/negotiator")))
    assert point["texts"][0]["text"] == CORRIDORS and not point["agreed"]
    assert all(x is None for x in point["current"].values())  # a first wording is no party's position
    r = post(f"/talks/{t.process}/points", 303, track=t.track, title="Режим тиші на час обміну", text="  ")
    assert count(runtime) == logged + 2


def test_actors_are_registered_on_the_actors_page(client, demo, runtime):
    t = build(client, demo.headers)
    for member in ("ua/negotiator", "icrc/mediator"):
        assert 'id="actor-form"' in get_as(client, demo, member, "/talks/actors").text, member
    for member in ("ru/liaison", "icrc/auditor"):
        assert 'id="actor-form"' not in get_as(client, demo, member, "/talks/actors").text, member
    post = Poster(client, demo, "ua/negotiator", "/talks/actors")
    page = client.get("/talks/actors").text
    assert f'<option value="{t.process}"' in page and f'<option value="{t.back}"' in page
    logged = count(runtime)
    r = post("/talks/actors", names=" \n ", title="генерал")
    assert error_of(r.text, "actor-names") == "Write at least one name, one a line." and 'value="генерал"' in r.text
    r = post("/talks/actors", names="Oleh Prykladenko\nOleh  Prykladenko")
    assert error_of(r.text, "actor-names") and "Oleh Prykladenko" in r.text
    r = post("/talks/actors", names="Oleh Prykladenko", acts_for="xx")
    assert error_of(r.text, "actor-acts_for")
    r = post("/talks/actors", names="Oleh Prykladenko", process="ru-talks-none")
    assert error_of(r.text, "actor-process")
    assert count(runtime) == logged
    # Taking the process's audience: the other side finds the actor in any spelling.
    r = post("/talks/actors", 303, names="Oleh Prykladenko\nОлег Прикладенко\nОлег Прикладенко-Ш", acts_for="ua",
             body="Головне управління розвідки", title="генерал", process=t.process,
             source_kind="media_report", source_outlet="Газета")
    aid = r.headers["location"].rsplit("#actor-", 1)[1]
    found = read(client.get("/api/talks/actors?q=Прікладенко", headers=demo.headers("ru/negotiator")))["actors"]
    assert [a["id"] for a in found] == [aid]
    assert found[0]["names"][:2] == ["Oleh Prykladenko", "Олег Прикладенко"] and found[0]["acts_for"] == "ua"
    assert found[0]["body"] == "Головне управління розвідки" and found[0]["source"]["outlet"] == "Газета"
    # Without a process: the member's own party only.
    r = post("/talks/actors", 303, names="Andrii Zrazkovyi", title="депутат")
    mine = r.headers["location"].rsplit("#actor-", 1)[1]
    assert get_as(client, demo, "ru/negotiator", f"/api/talks/actors/{mine}").status_code == 404
    assert read(get_as(client, demo, "ua/liaison", f"/api/talks/actors/{mine}"))["title"] == "депутат"
    # A back channel's audience: its negotiators, not the mediator.
    r = post("/talks/actors", 303, names="Ivan Kanalenko", process=t.back)
    closed = r.headers["location"].rsplit("#actor-", 1)[1]
    assert get_as(client, demo, "ru/negotiator", f"/api/talks/actors/{closed}").status_code == 200
    assert get_as(client, demo, "icrc/mediator", f"/api/talks/actors/{closed}").status_code == 404
    assert count(runtime) == logged + 3


def test_a_meeting_changes_venue_date_or_status_on_its_page(client, demo, runtime):
    t = build(client, demo.headers)
    planned = ok(client.post(f"/api/talks/processes/{t.process}/meetings", json={"meeting": {
        "kind": "round", "number": 3, "title": "Третій раунд", "status": "planned", "time_zone": "Europe/Minsk",
        "scheduled_start": "2030-03-07T09:00:00Z", "venue": {"name": "Брест", "position": [23.69, 52.10]}}},
        headers=demo.headers("icrc/mediator")))["id"]
    for member in ("ua/negotiator", "icrc/mediator"):
        page = get_as(client, demo, member, f"/talks/meetings/{planned}").text
        assert 'id="change-form"' in page and 'id="change-venue-map"' in page, member
    for member in ("ru/liaison", "icrc/auditor"):
        assert 'id="change-form"' not in get_as(client, demo, member, f"/talks/meetings/{planned}").text, member
    post = Poster(client, demo, "ru/negotiator", f"/talks/meetings/{planned}")
    logged = count(runtime)
    r = post(f"/talks/meetings/{planned}/changes", reason="  ")  # nothing changes
    assert error_of(r.text, "change-form")
    r = post(f"/talks/meetings/{planned}/changes", venue_name="Стамбул", venue_position="south of the Bosphorus",
             reason="на прохання сторони")
    assert error_of(r.text, "change-venue_position") and 'value="на прохання сторони"' in r.text
    r = post(f"/talks/meetings/{planned}/changes", duration_minutes="three hours")
    assert error_of(r.text, "change-duration_minutes").startswith("Enter minutes as a number")
    r = post(f"/talks/meetings/{t.meeting}/changes", status="planned")  # the meeting was held
    assert error_of(r.text, "change-status")
    r = post(f"/talks/meetings/{planned}/changes", status="held", actual_start="2030-03-07T12:00")
    assert error_of(r.text, "change-actual_start")  # not in the future
    assert count(runtime) == logged
    # Postponed and moved, in the meeting's own time zone (Minsk, UTC+3), with the reason and source.
    post(f"/talks/meetings/{planned}/changes", 303, status="postponed", scheduled_start="2030-03-10T12:00",
         venue_name="Стамбул", venue_position="28.97, 41.01", reason="на прохання сторони",
         source_kind="media_report", source_outlet="Газета")
    got = read(client.get(f"/api/talks/meetings/{planned}", headers=demo.headers("ua/negotiator")))
    assert got["status"] == "postponed" and got["scheduled_start"] == "2030-03-10T09:00:00Z"
    assert got["venue"] == {"name": "Стамбул", "position": [28.97, 41.01]}
    change = got["changes"][-1]
    assert change["reason"] == "на прохання сторони" and change["source"]["outlet"] == "Газета"
    assert set(change["changes"]) == {"status", "scheduled_start", "venue"}
    # The held round's duration as its source states it: fewer than three hours.
    post(f"/talks/meetings/{t.meeting}/changes", 303, duration_minutes="<180", duration_note="менше трьох годин")
    page = client.get(f"/talks/meetings/{t.meeting}?lang=en").text
    assert "fewer than 3 hr; «менше трьох годин»" in visible(page)
    assert count(runtime) == logged + 2
    # A cancelled meeting takes no more changes.
    post(f"/talks/meetings/{planned}/changes", 303, status="cancelled", reason="скасовано")
    assert 'id="change-form"' not in client.get(f"/talks/meetings/{planned}").text


def test_the_new_forms_render_in_ukrainian_and_russian(sqlite_client, sqlite_demo):
    t = build(sqlite_client, sqlite_demo.headers)
    for lang in ("uk", "ru"):
        reader = Reader(sqlite_client, lang, sqlite_demo.token("icrc/mediator"))
        for path in ("/talks", "/talks/actors", f"/talks/{t.process}", f"/talks/{t.process}/board?track={t.track}",
                     f"/talks/meetings/{t.meeting}"):
            page = reader.get(path)
            assert any(word in page for word in ("Відкрити процес", "Зареєструвати особу", "Додати напрям",
                                                  "Додати пункт", "Змінити місце", "Открыть процесс",
                                                  "Зарегистрировать лицо", "Добавить направление", "Добавить пункт",
                                                  "Изменить место")), (lang, path)
