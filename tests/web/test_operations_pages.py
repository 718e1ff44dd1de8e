"""The pages of humanitarian operations through HTTP: proposing through the form (errors beside the field),
answering, status, outcomes side by side, audiences per role, zones, incidents and read receipts."""

from __future__ import annotations

import json
import re
import zoneinfo
from datetime import datetime, timedelta

from sqlalchemy import func, select

from parley.log.models import LogEntry
from parley.operations.models import ChannelMessage, ChannelReceipt, Incident, Operation, OperationAnswer, Zone
from parley.web import i18n
from parley.web.operations.common import LABELS, MESSAGES
from tests.operations.test_lifecycle import AUD, plan, submit
from tests.web.test_pages import csrf, sign_in

KYIV = zoneinfo.ZoneInfo("Europe/Kyiv")
ROUTE = {"type": "LineString", "coordinates": [[37.6122, 47.0967], [37.3003, 47.0558], [36.7903, 46.7558],
                                               [35.1396, 47.8388]]}


def local_input(hours: float) -> str:
    return (datetime.now(KYIV) + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


def proposal(**over: object) -> dict[str, object]:
    data: dict[str, object] = {
        "kind": "evacuation", "title": "Evacuation through the web form", "mediator": "icrc", "parties": ["ru", "ua"],
        "origin_name": "Azovstal", "origin_position": "", "destination_name": "Zaporizhzhia",
        "destination_position": "", "route": json.dumps(ROUTE), "window_start": local_input(60),
        "window_end": local_input(84), "time_zone": "Europe/Kyiv", "buffer_m": "2000", "vehicles": "12",
        "convoy_description": "buses", "markings": "ICRC emblem", "expected_women": "40", "expected_children": "20",
        "notes": "", "intent": "propose"}
    data.update(over)
    return data


def sign_out(client):  # type: ignore[no-untyped-def]
    client.post("/signout", data={"csrf": csrf(client, "/")})


def as_member(client, demo, member):  # type: ignore[no-untyped-def]
    sign_out(client)
    return sign_in(client, demo, member)


def count(runtime, model) -> int:  # type: ignore[no-untyped-def]
    with runtime.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def status_of(runtime, op_id: str) -> str:  # type: ignore[no-untyped-def]
    with runtime.sessions() as s:
        return s.get(Operation, op_id).status


def test_pages_need_sign_in(client):
    for path in ["/operations", "/operations/new", "/operations/ua-azovstal-exit", "/incidents", "/zones"]:
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/signin?next="), path


def test_propose_answer_start_outcomes_complete(client, demo, runtime):
    sign_in(client, demo, "ua/negotiator")
    form = client.get("/operations/new").text
    assert 'id="route-map"' in form and 'name="route"' in form and "Acknowledgement is not permission" in form
    token = csrf(client, "/operations/new")
    before, logged = count(runtime, Operation), count(runtime, LogEntry)
    # An invalid window: refused, the error beside the window field, the user's input kept, nothing stored.
    bad = client.post("/operations/new", data={**proposal(window_end=local_input(50)), "csrf": token})
    assert bad.status_code == 400
    assert 'id="window_end-error"' in bad.text and "ends before it starts" in bad.text
    assert 'value="Evacuation through the web form"' in bad.text
    assert count(runtime, Operation) == before and count(runtime, LogEntry) == logged
    # Too short a notice: the error is beside the start of the window.
    short = client.post("/operations/new", data={**proposal(window_start=local_input(5)), "csrf": token})
    assert short.status_code == 400 and 'id="window_start-error"' in short.text and "notice period" in short.text
    # No route drawn.
    none = client.post("/operations/new", data={**proposal(route=""), "csrf": token})
    assert none.status_code == 400 and 'id="route-error"' in none.text
    # Checking for conflicts writes nothing; the demo zone of Mariupol is in the past, so no conflict.
    chk = client.post("/operations/new", data={**proposal(intent="check"), "csrf": token})
    assert chk.status_code == 200 and 'id="conflicts"' in chk.text
    assert count(runtime, LogEntry) == logged
    # A valid proposal: redirected to the operation's page.
    r = client.post("/operations/new", data={**proposal(), "csrf": token}, follow_redirects=False)
    assert r.status_code == 303, r.text
    op_id = r.headers["location"].rsplit("/", 1)[1]
    assert status_of(runtime, op_id) == "proposed"
    page = client.get(f"/operations/{op_id}").text
    assert "Evacuation through the web form" in page and 'id="answer-form"' not in page  # the proposer's party
    assert "Proposer" in page and "Awaiting answer" in page and "Time left" in page
    assert "UTC+2" in page or "UTC+3" in page  # the plan in Kyiv time, its offset shown
    assert "Time (Kyiv)" in page
    assert "UTC" in page
    # Russia's liaison officer acknowledges through the form.
    as_member(client, demo, "ru/liaison")
    page = client.get(f"/operations/{op_id}").text
    assert 'id="answer-form"' in page
    token = csrf(client, f"/operations/{op_id}")
    r = client.post(f"/operations/{op_id}/answer", data={"answer": "acknowledged", "version": "1", "csrf": token},
                    follow_redirects=False)
    assert r.status_code == 303
    assert status_of(runtime, op_id) == "acknowledged"
    assert 'id="answer-form"' not in client.get(f"/operations/{op_id}").text
    # Only the organising mediator sees the status buttons.
    assert 'id="status-form"' not in client.get(f"/operations/{op_id}").text
    as_member(client, demo, "icrc/mediator")
    page = client.get(f"/operations/{op_id}").text
    assert 'value="start"' in page and 'value="complete"' not in page
    token = csrf(client, f"/operations/{op_id}")
    # Its window opens in 72 hours: the page asks first, says what follows, and signs nothing yet.
    r = client.post(f"/operations/{op_id}/status", data={"action": "start", "csrf": token}, follow_redirects=False)
    assert r.status_code == 200 and 'id="confirm-form"' in r.text and "Starting now, before it" in r.text
    assert status_of(runtime, op_id) == "acknowledged"
    # Confirmed without a reason: refused beside the reason field; with one, signed.
    r = client.post(f"/operations/{op_id}/status", data={"action": "start", "confirmed": "start", "csrf": token},
                    follow_redirects=False)
    assert r.status_code == 400 and 'id="status-reason-error"' in r.text and status_of(runtime, op_id) == "acknowledged"
    r = client.post(f"/operations/{op_id}/status", data={"action": "start", "confirmed": "start", "csrf": token,
                                                         "reason": "Both sides asked to begin at once"},
                    follow_redirects=False)
    assert r.status_code == 303 and status_of(runtime, op_id) == "under_way"
    # Suspending needs a reason: shown beside the reason field.
    r = client.post(f"/operations/{op_id}/status", data={"action": "suspend", "reason": "", "csrf": token})
    assert r.status_code == 400 and 'id="status-reason-error"' in r.text
    r = client.post(f"/operations/{op_id}/movement", data={"event": "departed", "at": "", "place": "Azovstal",
                                                           "position": "37.6122, 47.0967", "csrf": token},
                    follow_redirects=False)
    assert r.status_code == 303
    r = client.post(f"/operations/{op_id}/outcome", data={
        "dest_women": "Zaporizhzhia", "count_women": "41", "dest_children": "Zaporizhzhia", "count_children": "19",
        "csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    empty = client.post(f"/operations/{op_id}/outcome", data={"csrf": token})
    assert empty.status_code == 400 and "Enter at least one count." in empty.text
    as_member(client, demo, "ua/liaison")
    token = csrf(client, f"/operations/{op_id}")
    r = client.post(f"/operations/{op_id}/outcome", data={
        "dest_women": "Zaporizhzhia", "count_women": "38", "dest_children": "Zaporizhzhia", "count_children": "19",
        "csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    as_member(client, demo, "icrc/mediator")
    token = csrf(client, f"/operations/{op_id}")
    # No arrival was recorded: completing is asked first, saying what follows.
    r = client.post(f"/operations/{op_id}/status", data={"action": "complete", "csrf": token}, follow_redirects=False)
    assert r.status_code == 200 and "No arrival has been recorded" in r.text and 'id="confirm-complete"' in r.text
    assert status_of(runtime, op_id) == "under_way"
    r = client.post(f"/operations/{op_id}/status", data={"action": "complete", "confirmed": "complete",
                                                         "csrf": token}, follow_redirects=False)
    assert r.status_code == 303 and status_of(runtime, op_id) == "completed"
    # A suspension sent from a page opened before the completion: the status form is gone, the refusal is not.
    late = client.post(f"/operations/{op_id}/status", data={"action": "suspend", "reason": "shelling", "csrf": token})
    assert late.status_code == 400 and 'id="status-form"' not in late.text
    assert 'class="error" role="alert"' in late.text and status_of(runtime, op_id) == "completed"
    page = client.get(f"/operations/{op_id}").text
    table = re.search(r'<table class="data outcomes" id="outcome-table">(.*?)</table>', page, re.DOTALL).group(1)
    assert 'data-party="icrc"' in table and 'data-party="ua"' in table
    women = re.search(r'<tr class="differ">\s*<td>Women</td>(.*?)</tr>', table, re.DOTALL).group(1)
    assert ">41<" in women and ">38<" in women
    children = re.search(r'<tr class="">\s*<td>Children</td>(.*?)</tr>', table, re.DOTALL).group(1)
    assert children.count(">19<") == 2
    sums = re.search(r'<tr class="rows-sum">(.*?)</tr>', table, re.DOTALL).group(1)
    assert ">60<" in sums and ">57<" in sums  # each statement's rows added up; neither stated a total
    # A figure as its source stated it, with the source: a named official needs a name, shown beside the source.
    as_member(client, demo, "ua/liaison")
    token = csrf(client, f"/operations/{op_id}")
    stated = {"form_women": "more_than", "count_women": "40", "dest_women": "Zaporizhzhia", "form_total": "about",
              "count_total": "60", "source_kind": "named_official", "source_stated_on": "2022-05-03",
              "source_quote": "more than 40 women", "csrf": token}
    nameless = client.post(f"/operations/{op_id}/outcome", data=stated)
    assert nameless.status_code == 400 and "Name the official who made the statement." in nameless.text
    assert 'value="more than 40 women"' not in nameless.text and ">more than 40 women</textarea>" in nameless.text
    r = client.post(f"/operations/{op_id}/outcome", data={**stated, "source_speaker": "An invented official"},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/operations/{op_id}").text
    table = re.search(r'<table class="data outcomes" id="outcome-table">(.*?)</table>', page, re.DOTALL).group(1)
    women = re.search(r'<td>Women</td>(.*?)</tr>', table, re.DOTALL).group(1)
    assert ">41<" in women and ">38<" in women and ">more than 40<" in women  # three statements, none hidden
    assert "An invented official" in table and ">about 60<" in table  # who said it heads its column
    sources = re.search(r'<ol class="sources" id="outcome-sources">(.*?)</ol>', page, re.DOTALL).group(1)
    assert "A named official; An invented official;" in sources and "<q>more than 40 women</q>" in sources
    # The timeline has every step, in the operation's time zone.
    for event in ("Proposed", "Acknowledgement received", "Under way", "Departed", "Outcome reported", "Completed"):
        assert event in page, event
    # The list shows it with its translated status and the answers.
    listing = client.get("/operations?status=completed").text
    assert "Evacuation through the web form" in listing and "2/2 acknowledged" in listing
    assert "Evacuation through the web form" not in client.get("/operations?status=proposed").text


def test_decline_needs_a_reason_beside_the_field(client, demo, runtime):
    submit(runtime, demo, "icrc/mediator", "operation.propose", {"operation": "icrc-op-web-d", "plan": plan()})
    sign_in(client, demo, "ru/negotiator")
    token = csrf(client, "/operations/icrc-op-web-d")
    r = client.post("/operations/icrc-op-web-d/answer", data={"answer": "declined", "reason": "", "version": "1",
                                                         "csrf": token})
    assert r.status_code == 400 and "reason" in r.text and 'class="error"' in r.text
    r = client.post("/operations/icrc-op-web-d/answer", data={"answer": "declined", "reason": "shelling continues",
                                                         "version": "1", "csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/operations/icrc-op-web-d").text
    assert "shelling continues" in page and "Declined" in page


def test_operations_per_role(client, demo, runtime):
    submit(runtime, demo, "icrc/mediator", "operation.propose", {"operation": "icrc-op-web-aud", "plan": plan()},
           audience=AUD)
    sign_in(client, demo, "tr/observer")
    assert client.get("/operations/icrc-op-web-aud").status_code == 404
    assert client.get("/operations/ua-azovstal-exit").status_code == 404
    assert "icrc-op-web-aud" not in client.get("/operations").text
    for member in ("ua/press", "ru/liaison", "icrc/auditor", "un-ocha/liaison"):
        as_member(client, demo, member)
        assert client.get("/operations/icrc-op-web-aud").status_code == 200, member
        assert "/operations/icrc-op-web-aud" in client.get("/operations").text
    # Escalations are for mediators.
    assert 'id="escalations"' in client.get("/operations").text
    as_member(client, demo, "ru/liaison")
    assert 'id="escalations"' not in client.get("/operations").text


def test_zone_declared_for_one_party_is_not_shown_to_the_other(client, demo, runtime):
    sign_in(client, demo, "ru/negotiator")
    token = csrf(client, "/zones")
    poly = {"type": "Polygon", "coordinates": [[[37.8, 47.2], [38.0, 47.2], [38.0, 47.3], [37.8, 47.2]]]}
    bad = client.post("/zones", data={"kind": "mined", "name": "Field east of Mariupol", "geometry": "",
                                      "valid_from": local_input(1), "valid_until": local_input(100),
                                      "time_zone": "Europe/Kyiv", "audience": "party", "csrf": token})
    assert bad.status_code == 400 and 'id="geometry-error"' in bad.text
    bad = client.post("/zones", data={"kind": "mined", "name": "Field east of Mariupol", "geometry": json.dumps(poly),
                                      "valid_from": local_input(100), "valid_until": local_input(1),
                                      "time_zone": "Europe/Kyiv", "audience": "party", "csrf": token})
    assert bad.status_code == 400 and 'id="valid_until-error"' in bad.text
    r = client.post("/zones", data={"kind": "mined", "name": "Field east of Mariupol", "geometry": json.dumps(poly),
                                    "valid_from": local_input(1), "valid_until": local_input(100),
                                    "time_zone": "Europe/Kyiv", "audience": "party", "csrf": token},
                    follow_redirects=False)
    assert r.status_code == 303
    with runtime.sessions() as s:
        z = s.execute(select(Zone).where(Zone.name == "Field east of Mariupol")).scalar_one()
        assert z.audience == "party:ru"
    assert "Field east of Mariupol" in client.get("/zones").text
    as_member(client, demo, "ua/negotiator")
    page = client.get("/zones").text
    assert "Field east of Mariupol" not in page and "Mariupol: encircled city" in page
    assert "Field east of Mariupol" not in client.get("/operations").text
    as_member(client, demo, "icrc/mediator")
    assert "Field east of Mariupol" in client.get("/zones").text


def test_incident_reported_through_the_form_and_answered(client, demo, runtime):
    sign_in(client, demo, "ua/liaison")
    token = csrf(client, "/incidents")
    bad = client.post("/incidents", data={"type": "shelling", "observed": "heard", "at": local_input(-1),
                                          "time_zone": "Europe/Kyiv", "position": "", "csrf": token})
    assert bad.status_code == 400 and 'id="position-error"' in bad.text
    r = client.post("/incidents", data={"type": "shelling", "observed": "heard", "at": local_input(-1),
                                        "time_zone": "Europe/Kyiv", "position": "37.55, 47.10", "place": "Port",
                                        "direction_deg": "90", "distance_m": "800", "killed": ">3", "wounded": "~10",
                                        "description": "Shelling near the port", "alleged_responsible": "ru",
                                        "csrf": token},
                    follow_redirects=False)
    assert r.status_code == 303
    # Only a belligerent party is alleged responsible: the mediator named instead is refused beside its field.
    token = csrf(client, "/incidents")
    wrong = client.post("/incidents", data={"type": "shelling", "observed": "heard", "at": local_input(-1),
                                            "time_zone": "Europe/Kyiv", "position": "37.55, 47.10",
                                            "alleged_responsible": "icrc", "csrf": token})
    assert wrong.status_code == 400 and 'id="alleged_responsible-error"' in wrong.text
    unreadable = client.post("/incidents", data={"type": "shelling", "observed": "heard", "at": local_input(-1),
                                                 "time_zone": "Europe/Kyiv", "position": "37.55, 47.10",
                                                 "killed": "several", "csrf": token})
    assert unreadable.status_code == 400 and 'id="killed-error"' in unreadable.text
    with runtime.sessions() as s:
        first = s.execute(select(Incident).where(Incident.description == "Shelling near the port")).scalar_one().id
    as_member(client, demo, "ru/liaison")
    page = client.get("/incidents").text
    assert "Shelling near the port" in page and f'value="{first}"' in page
    assert "Killed: more than 3" in re.sub(r"\s+", " ", page) and "Wounded: about 10" in page  # as stated
    token = csrf(client, "/incidents")
    r = client.post("/incidents", data={"type": "other", "observed": "seen", "at": local_input(-1),
                                        "time_zone": "Europe/Kyiv", "position": "37.56, 47.10",
                                        "account_of": first, "description": "No firing observed", "csrf": token},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/incidents").text
    group = re.search(rf'<div class="accounts" id="incident-{first}">(.*?)</div>', page, re.DOTALL).group(1)
    assert "Shelling near the port" in group and "No firing observed" in group
    assert re.search(r'Alleged responsible: <strong>[^<]+</strong>', group)  # Ukraine's account names Russia


def test_opening_the_page_gives_read_receipts(client, demo, runtime):
    submit(runtime, demo, "icrc/mediator", "operation.propose", {"operation": "icrc-op-web-ch", "plan": plan()})
    sign_in(client, demo, "icrc/mediator")
    token = csrf(client, "/operations/icrc-op-web-ch")
    r = client.post("/operations/icrc-op-web-ch/channel", data={"text": "Convoy ready at 06:00", "urgent": "1",
                                                           "csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    with runtime.sessions() as s:
        message = s.scalar(select(func.max(ChannelMessage.idx)).where(ChannelMessage.operation == "icrc-op-web-ch"))
        assert s.scalar(select(func.count()).select_from(ChannelReceipt).where(ChannelReceipt.message == message)) == 0
    # The mediator's own view gives no receipt; a Ukrainian liaison officer's does, once.
    client.get("/operations/icrc-op-web-ch")
    as_member(client, demo, "ua/liaison")
    page = client.get("/operations/icrc-op-web-ch").text
    assert "Convoy ready at 06:00" in page
    client.get("/operations/icrc-op-web-ch")
    with runtime.sessions() as s:
        rows = s.execute(select(ChannelReceipt.party, ChannelReceipt.state, ChannelReceipt.member)
                         .where(ChannelReceipt.message == message).order_by(ChannelReceipt.state)).all()
    assert rows == [("ua", "delivered", "ua/liaison"), ("ua", "read", "ua/liaison")]
    as_member(client, demo, "icrc/mediator")
    page = client.get("/operations/icrc-op-web-ch").text
    receipts = re.search(r'<ul class="receipts">(.*?)</ul>', page, re.DOTALL).group(1)
    assert re.search(r'data-party="ua">.*?read', receipts, re.DOTALL)
    assert re.search(r'data-party="ru">.*?not yet delivered', receipts, re.DOTALL)


def test_pages_in_three_languages(client, demo):
    sign_in(client, demo, "icrc/mediator")
    for lang, word in (("uk", "Гуманітарні операції"), ("ru", "Гуманитарные операции"),
                       ("en", "Humanitarian operations")):
        assert word in client.get(f"/operations?lang={lang}").text
        for path in ("/operations/new", "/operations/ua-azovstal-exit", "/incidents", "/zones"):
            r = client.get(path)
            assert r.status_code == 200 and f'<html lang="{lang}">' in r.text, path
    assert "Евакуація" in client.get("/operations/ua-azovstal-exit?lang=uk").text


def test_labels_and_messages_are_translated():
    for lang in ("uk", "ru"):
        cat = i18n.catalogue(lang)
        missing = sorted(m for m in [*LABELS.values(), *MESSAGES] if m not in cat)
        assert missing == [], lang


def test_counter_proposal_through_the_form_is_a_new_version_needing_fresh_answers(client, demo, runtime):
    submit(runtime, demo, "icrc/mediator", "operation.propose", {"operation": "icrc-op-web-c", "plan": plan()})
    # The mediator, who proposed it, is not offered a counter-proposal; neither is a party not concerned.
    sign_in(client, demo, "icrc/mediator")
    assert 'id="counter-link"' not in client.get("/operations/icrc-op-web-c").text
    assert client.get("/operations/icrc-op-web-c/counter").status_code == 403
    as_member(client, demo, "ru/negotiator")
    page = client.get("/operations/icrc-op-web-c").text
    assert 'href="/operations/icrc-op-web-c/counter"' in page
    form = client.get("/operations/icrc-op-web-c/counter")
    assert form.status_code == 200
    # The form holds the current plan: its route on the map, its window in the plan's time zone.
    assert 'action="/operations/icrc-op-web-c/counter"' in form.text and "version 2" in form.text
    assert "&#34;LineString&#34;" in form.text or "&quot;LineString&quot;" in form.text
    assert 'id="mediator" name="mediator"' in form.text and "disabled" in form.text
    token = csrf(client, "/operations/icrc-op-web-c/counter")
    current = plan()
    tz = zoneinfo.ZoneInfo(current["time_zone"])
    start = datetime.fromisoformat(current["window"]["start"].replace("Z", "+00:00")).astimezone(tz)
    later = (start + timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M")
    end = (start + timedelta(hours=36)).strftime("%Y-%m-%dT%H:%M")
    fields = proposal(title="Later window, fewer vehicles", window_start=later, window_end=end, vehicles="6",
                      time_zone=current["time_zone"], route=json.dumps(current["route"]),
                      reason="the road through Vasylivka is not yet cleared", version="1")
    assert 'name="version" value="1"' in form.text
    fields.pop("mediator"), fields.pop("parties")  # disabled in the form: the browser does not send them
    logged = count(runtime, LogEntry)
    # An error stays beside its field and nothing is stored.
    bad = client.post("/operations/icrc-op-web-c/counter", data={**fields, "vehicles": "six", "csrf": token})
    assert bad.status_code == 400 and 'id="vehicles-error"' in bad.text
    assert "the road through Vasylivka is not yet cleared" in bad.text  # the reason is kept
    assert count(runtime, LogEntry) == logged
    r = client.post("/operations/icrc-op-web-c/counter", data={**fields, "csrf": token}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/operations/icrc-op-web-c#board"
    with runtime.sessions() as s:
        op = s.get(Operation, "icrc-op-web-c")
        assert op.version == 2 and op.status == "proposed" and op.title == "Later window, fewer vehicles"
        assert sorted(op.party_list) == ["ru", "ua"] and op.mediator == "icrc"
    with runtime.sessions() as s:
        from parley.operations import service as svc

        v, board = svc.board(s, s.get(Operation, "icrc-op-web-c"))
        revised = svc.plan_of(v)
    assert revised["convoy"]["vehicles"] == 6
    assert revised["window"]["start"].startswith((start + timedelta(hours=12)).astimezone(zoneinfo.ZoneInfo("UTC"))
                                                 .strftime("%Y-%m-%dT%H:%M"))
    # The version is new: Russia proposed it, Ukraine must answer it afresh, and may itself counter it.
    assert {r.party: r.state for r in board} == {"ru": "proposer", "ua": "awaiting"}
    page = client.get("/operations/icrc-op-web-c").text
    assert "the road through Vasylivka is not yet cleared" in page
    assert client.get("/operations/icrc-op-web-c/counter").status_code == 403  # it proposed this version
    as_member(client, demo, "ua/negotiator")
    assert 'id="counter-link"' in client.get("/operations/icrc-op-web-c").text


def test_zone_withdrawn_through_the_page_only_by_its_declaring_party(client, demo, runtime):
    sign_in(client, demo, "ua/negotiator")
    token = csrf(client, "/zones")
    poly = {"type": "Polygon", "coordinates": [[[36.8, 47.3], [37.0, 47.3], [37.0, 47.4], [36.8, 47.3]]]}
    r = client.post("/zones", data={"kind": "no_go", "name": "Bridge under repair", "geometry": json.dumps(poly),
                                    "valid_from": local_input(1), "valid_until": local_input(100),
                                    "time_zone": "Europe/Kyiv", "audience": "all", "csrf": token},
                    follow_redirects=False)
    assert r.status_code == 303
    with runtime.sessions() as s:
        zone_id = s.execute(select(Zone.id).where(Zone.name == "Bridge under repair")).scalar_one()
    # Russia reads the zone but is not offered to withdraw it; forcing the form is refused beside the row.
    as_member(client, demo, "ru/negotiator")
    page = client.get("/zones").text
    assert "Bridge under repair" in page and f'action="/zones/{zone_id}/withdraw"' not in page
    logged = count(runtime, LogEntry)
    r = client.post(f"/zones/{zone_id}/withdraw", data={"reason": "not theirs", "csrf": csrf(client, "/zones")})
    assert r.status_code == 400 and f'id="withdraw-{zone_id}-error"' in r.text \
        and "Only the party that declared a zone withdraws it." in r.text
    assert count(runtime, LogEntry) == logged
    # A press officer cannot write at all, and sees no withdrawal forms.
    as_member(client, demo, "ua/press")
    assert 'class="inline withdraw-form"' not in client.get("/zones").text
    # Ukraine withdraws it: it leaves the list and the map, and stays in the log.
    as_member(client, demo, "ua/negotiator")
    page = client.get("/zones").text
    assert f'action="/zones/{zone_id}/withdraw"' in page
    r = client.post(f"/zones/{zone_id}/withdraw", data={"reason": "repaired", "csrf": csrf(client, "/zones")},
                    follow_redirects=False)
    assert r.status_code == 303
    assert "Bridge under repair" not in client.get("/zones").text
    with runtime.sessions() as s:
        assert s.get(Zone, zone_id).withdrawn_idx is not None
        assert s.execute(select(LogEntry).where(LogEntry.kind == "zone.withdraw")).scalars().first() is not None
    again = client.post(f"/zones/{zone_id}/withdraw", data={"reason": "", "csrf": csrf(client, "/zones")})
    assert again.status_code == 404


def test_an_answer_is_to_the_version_shown_never_to_a_newer_one(client, demo, runtime):
    submit(runtime, demo, "icrc/mediator", "operation.propose", {"operation": "icrc-op-web-v", "plan": plan()})
    sign_in(client, demo, "ru/liaison")
    page = client.get("/operations/icrc-op-web-v").text
    assert 'name="version" value="1"' in page
    token = csrf(client, "/operations/icrc-op-web-v")
    # While the page is open, the mediator revises the plan: version 2, which Russia has not seen.
    submit(runtime, demo, "icrc/mediator", "operation.propose",
           {"operation": "icrc-op-web-v", "supersedes": 1, "plan": plan(buffer_m=4000)})
    logged = count(runtime, LogEntry)
    r = client.post("/operations/icrc-op-web-v/answer", data={"answer": "acknowledged", "version": "1", "csrf": token})
    assert r.status_code == 400 and "Version 1 is no longer the current one" in r.text
    assert count(runtime, LogEntry) == logged and status_of(runtime, "icrc-op-web-v") == "proposed"
    # A form without the version acknowledges nothing either.
    r = client.post("/operations/icrc-op-web-v/answer", data={"answer": "acknowledged", "csrf": token})
    assert r.status_code == 400 and count(runtime, LogEntry) == logged
    page = client.get("/operations/icrc-op-web-v").text
    assert 'name="version" value="2"' in page
    r = client.post("/operations/icrc-op-web-v/answer", data={"answer": "acknowledged", "version": "2",
                                                         "csrf": csrf(client, "/operations/icrc-op-web-v")},
                    follow_redirects=False)
    assert r.status_code == 303
    with runtime.sessions() as s:
        assert s.get(OperationAnswer, ("icrc-op-web-v", 2, "ru")).answer == "acknowledged"
        assert s.get(OperationAnswer, ("icrc-op-web-v", 1, "ru")) is None


def test_a_counter_proposal_to_a_superseded_version_is_refused(client, demo, runtime):
    submit(runtime, demo, "icrc/mediator", "operation.propose", {"operation": "icrc-op-web-cv", "plan": plan()})
    sign_in(client, demo, "ru/negotiator")
    form = client.get("/operations/icrc-op-web-cv/counter").text
    assert 'name="version" value="1"' in form
    token = csrf(client, "/operations/icrc-op-web-cv/counter")
    submit(runtime, demo, "icrc/mediator", "operation.propose",
           {"operation": "icrc-op-web-cv", "supersedes": 1, "plan": plan(buffer_m=4000)})
    current = plan()
    fields = proposal(route=json.dumps(current["route"]), reason="later", version="1")
    fields.pop("mediator"), fields.pop("parties")
    logged = count(runtime, LogEntry)
    r = client.post("/operations/icrc-op-web-cv/counter", data={**fields, "csrf": token})
    assert r.status_code == 400 and "Version 1 is no longer the current one" in r.text \
        and 'name="version" value="1"' in r.text
    assert count(runtime, LogEntry) == logged


def test_an_auditor_or_a_press_officer_reading_the_page_gives_no_receipt(client, demo, runtime):
    submit(runtime, demo, "ua/negotiator", "operation.propose", {"operation": "ua-op-web-ar", "plan": plan()})
    r = submit(runtime, demo, "ua/liaison", "channel.post", {"operation": "ua-op-web-ar", "text": "Ready?",
                                                             "urgent": True})
    for member in ("icrc/auditor", "ru/registrar"):
        as_member(client, demo, member)
        assert "Ready?" in client.get("/operations/ua-op-web-ar").text
    with runtime.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ChannelReceipt)
                        .where(ChannelReceipt.message == r.index)) == 0
    as_member(client, demo, "ru/liaison")
    client.get("/operations/ua-op-web-ar")
    with runtime.sessions() as s:
        assert set(s.execute(select(ChannelReceipt.party, ChannelReceipt.state)
                             .where(ChannelReceipt.message == r.index)).all()) == {("ru", "delivered"), ("ru", "read")}


def test_an_emergency_agreed_at_a_meeting_waived_and_proposed_through_the_forms(client, demo, runtime):
    # Each party signs its waiver on the propose page, then one proposes with no mediator, the ICRC registering
    # persons, the notice waived and the waivers' operation id: the window starts in three hours.
    op_id = "ua-op-web-emergency"
    for member in ("ru/negotiator", "ua/negotiator"):
        as_member(client, demo, member)
        token = csrf(client, "/operations/new")
        bad = client.post("/operations/waiver", data={"operation": op_id, "notice_hours": "soon", "agreed": "",
                                                      "csrf": token})
        assert bad.status_code == 400 and 'id="waiver-hours-error"' in bad.text
        assert 'id="waiver-agreed-error"' in bad.text
        r = client.post("/operations/waiver", data={"operation": op_id, "notice_hours": "2",
                                                    "agreed": "At the meeting this morning", "readers": ["icrc", "ru",
                                                                                                        "ua"],
                                                    "csrf": token}, follow_redirects=False)
        assert r.status_code == 303, r.text
        assert f"waived={op_id}" in r.headers["location"]
    again = client.post("/operations/waiver", data={"operation": op_id, "notice_hours": "2", "agreed": "again",
                                                    "csrf": token})
    assert again.status_code == 400 and "already waived" in again.text
    page = client.get(f"/operations/new?waived={op_id}").text
    assert 'id="waiver-signed"' in page and f'value="{op_id}"' in page
    token = csrf(client, "/operations/new")
    form = proposal(mediator="", co_icrc="registration", notice_waived="1", emergency="1", operation_id=op_id,
                    window_start=local_input(3), window_end=local_input(30))
    r = client.post("/operations/new", data={**form, "csrf": token}, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get(f"/operations/{op_id}").text
    assert 'id="direct"' in page and "registration of persons" in page and 'id="notice-waived"' in page
    assert 'id="waiver-ru"' in page and 'id="waiver-ua"' in page
    # The same form without the waiver is held to the notice period, beside the window's start.
    token = csrf(client, "/operations/new")
    short = client.post("/operations/new", data={**form, "notice_waived": "", "operation_id": "", "csrf": token})
    assert short.status_code == 400 and 'id="window_start-error"' in short.text


def test_a_movement_reported_by_someone_else_carries_its_source(client, demo, runtime):
    submit(runtime, demo, "icrc/mediator", "operation.propose", {"operation": "icrc-op-web-mv", "plan": plan()})
    for member in ("ru/negotiator", "ua/negotiator"):
        submit(runtime, demo, member, "operation.answer", {"operation": "icrc-op-web-mv", "version": 1,
                                                           "answer": "acknowledged"})
    submit(runtime, demo, "icrc/mediator", "operation.status", {"operation": "icrc-op-web-mv", "action": "start",
                                                                  "reason": "The parties asked to start early."})
    sign_in(client, demo, "ua/liaison")
    token = csrf(client, "/operations/icrc-op-web-mv")
    form = {"event": "other", "at": "", "place": "Azovstal", "note": "All civilians are out",
            "source_kind": "media_report", "csrf": token}
    bad = client.post("/operations/icrc-op-web-mv/movement", data=form)
    assert bad.status_code == 400 and "Name the outlet that published the report." in bad.text
    assert '<details class="source-details" open>' in bad.text
    r = client.post("/operations/icrc-op-web-mv/movement", data={**form, "source_outlet": "An invented outlet"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get("/operations/icrc-op-web-mv").text
    assert "A media report; An invented outlet" in page
