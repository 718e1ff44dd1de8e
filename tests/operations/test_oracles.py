"""Deconfliction and references tell a member nothing about what it may not read (security issue 9, V5 and
V11): a dry-run check shows only the conflicts the member may read, is recorded and limited per member; a
real proposal meeting something its proposer may not read gives it one bit and alerts the owner and the
mediators; an operation, zone, incident or channel message the author may not read is refused exactly as an
absent one. Runs on SQLite and PostgreSQL, on the demo's parties without its scenario (``tests/small.py``)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from parley.log.models import LogEntry
from parley.operations import service as svc
from parley.operations.models import DeconflictionAlert, DeconflictionCheck, Incident, OperationEvent
from tests.operations.test_lifecycle import NOW, iso, plan
from tests.small import Small, small, small_client  # noqa: F401  (fixtures)

# A mined area west of Manhush that only Ukraine (and the mediators) may read; the demo plan's route crosses it.
SECRET_AREA = {"type": "Polygon", "coordinates": [[[37.2, 47.0], [37.4, 47.0], [37.4, 47.2], [37.2, 47.2],
                                                   [37.2, 47.0]]]}


def act(client, small: Small, member: str, kind: str, payload: Any, audience: list[str]) -> Any:  # type: ignore[no-untyped-def]
    return client.post("/api/actions", json={"kind": kind, "audience": audience, "payload": payload},
                       headers=small.headers(member))


def logged(runtime) -> int:  # type: ignore[no-untyped-def]
    with runtime.sessions() as s:
        return s.scalar(select(func.count()).select_from(LogEntry))


def secret_zone(client, small: Small, zone_id: str = "ua-zone-secret") -> str:  # type: ignore[no-untyped-def]
    r = act(client, small, "ua/liaison", "zone.declare", {
        "id": zone_id, "kind": "mined", "name": "Minefield only Ukraine knows", "geometry": SECRET_AREA,
        "valid_from": iso(NOW + timedelta(hours=1)), "valid_until": iso(NOW + timedelta(hours=240))}, ["party:ua"])
    assert r.status_code == 201, r.text
    return zone_id


def probe(bbox: tuple[float, float, float, float], hours: tuple[float, float]) -> dict[str, Any]:
    """A plan whose area is the box (west, south, east, north), in the window [now + hours)."""
    w, s, e, n = bbox
    area = {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}
    return plan(route=None, area=area, buffer_m=0, origin={"name": "a", "position": [w, s]},
                destination={"name": "b", "position": [e, n]},
                window={"start": iso(NOW + timedelta(hours=hours[0])), "end": iso(NOW + timedelta(hours=hours[1]))})


def bisection(client, small: Small, member: str) -> list[Any]:  # type: ignore[no-untyped-def]
    """The audit's attack (deconf_probe.py), shortened: halve a box around the area while the answer says
    something is there; the transcript is every answer the member got."""
    seen: list[Any] = []

    def ask(bbox: tuple[float, float, float, float], hours: tuple[float, float] = (2, 200)) -> bool:
        r = client.post("/api/deconfliction/check", json={"plan": probe(bbox, hours)}, headers=small.headers(member))
        assert r.status_code == 200, r.text
        seen.append(r.json())
        body = r.json()
        return bool(body["conflicts"]) or bool(body.get("hidden"))

    w, s, e, n = 36.0, 46.5, 38.5, 48.0
    ask((w, s, e, n))  # the whole region: the hidden zone lies inside
    for _ in range(4):  # the western edge
        mid = (w + e) / 2
        if ask((w, s, mid, n)):
            e = mid
        else:
            w = mid
    for _ in range(3):  # the validity window
        ask((36.0, 46.5, 38.5, 48.0), (2, 2 + 10 * (_ + 1)))
    return seen


def test_dry_run_checks_learn_nothing_of_what_the_member_may_not_read(small_client, small, runtime):
    client = small_client
    before = bisection(client, small, "ru/negotiator")
    zone = secret_zone(client, small)
    after = bisection(client, small, "ru/negotiator")
    # The same probes answer the same, with and without the zone Russia may not read: no count, no hint.
    assert after == before
    assert all(set(r) == {"footprint", "conflicts"} and r["conflicts"] == [] for r in after)
    # The probes did meet the zone: Ukraine is shown it, and the server recorded the unseen conflicts.
    first = client.post("/api/deconfliction/check", json={"plan": probe((36.0, 46.5, 38.5, 48.0), (2, 200))},
                        headers=small.headers("ua/negotiator")).json()
    assert [c["id"] for c in first["conflicts"]] == [zone]
    with runtime.sessions() as s:
        rows = list(s.execute(select(DeconflictionCheck).where(DeconflictionCheck.member == "ru/negotiator")
                              .order_by(DeconflictionCheck.id)).scalars())
    assert len(rows) == len(before) + len(after)
    assert [r.unseen for r in rows[: len(before)]] == [0] * len(before)
    assert rows[len(before)].unseen == 1 and rows[len(before)].shown == 0 and not rows[len(before)].refused
    assert (round(rows[0].min_lon, 3), round(rows[0].max_lat, 3)) == (36.0, 48.0) and rows[0].party == "ru"
    assert rows[0].window_end - rows[0].window_start == timedelta(hours=198)
    # Russia reads its own checks without the unseen counts; the mediator reads everyone's, with them.
    own = client.get("/api/deconfliction/checks", headers=small.headers("ru/negotiator")).json()["checks"]
    assert len(own) == len(rows) and all("unseen" not in c and c["member"] == "ru/negotiator" for c in own)
    everyone = client.get("/api/deconfliction/checks", headers=small.headers("icrc/mediator")).json()["checks"]
    assert {c["member"] for c in everyone} == {"ru/negotiator", "ua/negotiator"}
    assert sum(c["unseen"] for c in everyone if c["member"] == "ru/negotiator") >= 1


def test_checks_beyond_the_limit_answer_429_are_recorded_and_proposals_still_go_through(
        small_client, small, runtime, monkeypatch):
    client = small_client
    monkeypatch.setattr(svc, "CHECK_LIMIT", 3)
    body = {"plan": plan()}
    answers = [client.post("/api/deconfliction/check", json=body, headers=small.headers("ru/negotiator"))
               for _ in range(8)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429, 429, 429, 429, 429]
    assert answers[3].json()["error"] == "too_many_requests" and answers[3].json()["field"] == "plan"
    assert "3 conflict checks an hour" in answers[3].json()["message"]
    # Malformed plans are refused before any check: neither counted nor recorded.
    assert client.post("/api/deconfliction/check", json={"plan": {"kind": "evacuation"}},
                       headers=small.headers("ru/negotiator")).status_code == 422
    with runtime.sessions() as s:
        rows = list(s.execute(select(DeconflictionCheck.refused, DeconflictionCheck.shown)
                              .order_by(DeconflictionCheck.id)).all())
    # Refused checks are recorded as well, up to as many again an hour (then the member is only hammering).
    assert rows == [(False, 0), (False, 0), (False, 0), (True, None), (True, None), (True, None)]
    # The limit is per member; a real proposal is always checked, and counts against nothing.
    assert client.post("/api/deconfliction/check", json=body, headers=small.headers("ua/negotiator")).status_code == 200
    r = client.post("/api/operations", json={"operation": "ru-op-limit", "plan": plan(parties=["ru"])},
                    headers=small.headers("ru/negotiator"))
    assert r.status_code == 201 and r.json()["unseen_conflict"] is False
    # An hour later the member may check again.
    later = svc.now_utc() + timedelta(hours=1, minutes=1)
    monkeypatch.setattr(svc, "now_utc", lambda: later)
    assert client.post("/api/deconfliction/check", json=body, headers=small.headers("ru/negotiator")).status_code == 200


def test_the_web_forms_preview_is_limited_too(runtime, monkeypatch):
    from fastapi.testclient import TestClient

    from parley.app import create_app
    from tests.small import load_small_into
    from tests.web.test_pages import csrf, sign_in

    small_ = load_small_into(runtime, passwords=["ru/negotiator"])
    monkeypatch.setattr(svc, "CHECK_LIMIT", 1)
    with TestClient(create_app(runtime.settings, runtime)) as client:
        sign_in(client, small_, "ru/negotiator")
        token = csrf(client, "/operations/new")
        form = {"csrf": token, "intent": "check", "kind": "evacuation", "title": "Probe", "mediator": "icrc",
                "parties": "ru", "route": json.dumps(plan()["route"]), "origin_name": "a", "destination_name": "b",
                "window_start": "2030-01-01T10:00", "window_end": "2030-01-02T10:00", "time_zone": "UTC"}
        first = client.post("/operations/new", data=form)
        assert first.status_code == 200 and 'id="conflicts"' in first.text
        assert "Only the zones and operations you may read are checked here" in first.text
        second = client.post("/operations/new", data=form)
        assert second.status_code == 429 and 'id="form-error"' in second.text
        assert "Too many conflict checks this hour" in second.text
        uk = client.post("/operations/new?lang=uk", data=form)
        assert "Забагато перевірок конфліктів" in uk.text
    with runtime.sessions() as s:
        rows = s.execute(select(DeconflictionCheck.member, DeconflictionCheck.refused)
                         .order_by(DeconflictionCheck.id)).all()
    # One answered, one refused recorded (as many refused as answered are kept an hour), the third not kept.
    assert [tuple(r) for r in rows] == [("ru/negotiator", False), ("ru/negotiator", True)]


def test_a_proposal_meeting_what_its_proposer_cannot_see_gives_one_bit_and_alerts_owner_and_mediators(
        small_client, small, runtime, tmp_path):
    client = small_client
    zone = secret_zone(client, small)
    # Russia proposes, with the mediator, an operation Ukraine is not concerned by and may not read.
    r = client.post("/api/operations", json={"operation": "ru-op-west", "plan": plan(parties=["ru"])},
                    headers=small.headers("ru/negotiator"))
    assert r.status_code == 201, r.text
    answer = r.json()
    assert answer["unseen_conflict"] is True and answer["notice"] == svc.UNSEEN_NOTICE
    assert zone not in r.text and "Minefield" not in r.text
    # Russia's view of its operation: the one bit for its version, no conflict, no alert.
    mine = client.get("/api/operations/ru-op-west", headers=small.headers("ru/negotiator")).json()
    assert [v["unseen_conflict"] for v in mine["versions"]] == [True]
    assert mine["conflicts"] == {"conflicts": []} and mine["alerts"] == []
    assert zone not in json.dumps(mine)
    assert client.get("/api/deconfliction/alerts", headers=small.headers("ru/negotiator")).json() == {"alerts": []}
    assert client.get("/api/deconfliction/alerts", headers=small.headers("tr/observer")).json() == {"alerts": []}
    # Ukraine, the zone's owner, is told its zone is met, and nothing of an operation it may not read.
    ua = client.get("/api/deconfliction/alerts", headers=small.headers("ua/negotiator")).json()["alerts"]
    assert [(a["target"], a["target_name"], a["owner"], a["mediator"], a["operation"]) for a in ua] == [
        (zone, "Minefield only Ukraine knows", "ua", "icrc", None)]
    assert "ru-op-west" not in json.dumps(ua) and "title" not in ua[0] and "window" not in ua[0]
    # The mediators read all of it; the organising mediator is asked to chase it.
    for mediator in ("icrc/mediator", "un-ocha/liaison"):
        got = client.get("/api/deconfliction/alerts", headers=small.headers(mediator)).json()["alerts"]
        assert [(a["target"], a["operation"], a["version"], a["party"]) for a in got] == [(zone, "ru-op-west", 1, "ru")]
    esc = client.get("/api/escalations", headers=small.headers("icrc/mediator")).json()["escalations"]
    assert [(e["kind"], e["operation"], e["party"]) for e in esc] == [("unseen_conflict", "ru-op-west", "ua")]
    full = client.get("/api/operations/ru-op-west", headers=small.headers("icrc/mediator")).json()
    assert [c["id"] for c in full["conflicts"]["conflicts"]] == [zone]
    assert [a["target"] for a in full["alerts"]] == [zone]
    assert [v["unseen_conflict"] for v in full["versions"]] == [None]  # the bit is the proposer's party's
    # A revision that avoids the zone gives no bit; the first version's alert stays.
    far = {"type": "LineString", "coordinates": [[37.6122, 47.0967], [37.6, 47.6], [35.1396, 47.8388]]}
    r = client.post("/api/operations", json={"operation": "ru-op-west", "supersedes": 1,
                                              "plan": plan(parties=["ru"], route=far, waypoints=[])},
                    headers=small.headers("ru/negotiator"))
    assert r.status_code == 201 and r.json()["unseen_conflict"] is False and "notice" not in r.json()
    mine = client.get("/api/operations/ru-op-west", headers=small.headers("ru/negotiator")).json()
    assert [v["unseen_conflict"] for v in mine["versions"]] == [True, False]
    assert client.get("/api/escalations", headers=small.headers("icrc/mediator")).json()["escalations"] == []
    # A counter-proposal is a proposal: Russia's counter to the mediator's plan crossing the zone gives the bit.
    r = client.post("/api/operations", json={"operation": "icrc-op-both", "plan": plan(route=far, waypoints=[])},
                    headers=small.headers("icrc/mediator"))
    assert r.status_code == 201 and r.json()["unseen_conflict"] is False  # the mediator reads every zone
    r = client.post("/api/operations/icrc-op-both/answers", json={"version": 1, "answer": "counter",
                                                                  "reason": "shorter", "plan": plan()},
                    headers=small.headers("ru/liaison"))
    assert r.status_code == 201 and r.json()["unseen_conflict"] is True
    with runtime.sessions() as s:
        alerts = list(s.execute(select(DeconflictionAlert).order_by(DeconflictionAlert.idx)).scalars())
    assert [(a.operation, a.version, a.party, a.target, a.owner) for a in alerts] == [
        ("ru-op-west", 1, "ru", zone, "ua"), ("icrc-op-both", 2, "ru", zone, "ua")]
    # Alerts are projections of the proposals: replay rebuilds them from the log alone.
    from parley.db import make_engine
    from parley.logserver.replay import differences, replay
    from tests.conftest import ORIGIN

    target = make_engine(f"sqlite:///{tmp_path / 'rebuilt.db'}")
    assert replay(runtime.engine, target, runtime.log_signer, ORIGIN, kinds=runtime.kinds).problems == []
    assert differences(runtime.engine, target, (DeconflictionAlert,)) == []


def test_the_pages_show_the_bit_to_the_proposer_and_the_alert_to_the_owner(runtime):
    from fastapi.testclient import TestClient

    from parley.app import create_app
    from tests.small import load_small_into
    from tests.web.test_pages import sign_in

    small_ = load_small_into(runtime, passwords=["ru/negotiator", "ua/negotiator", "icrc/mediator"])
    with TestClient(create_app(runtime.settings, runtime)) as client:
        zone = secret_zone(client, small_)
        r = client.post("/api/operations", json={"operation": "ru-op-page", "plan": plan(parties=["ru"])},
                        headers=small_.headers("ru/negotiator"))
        assert r.json()["unseen_conflict"] is True
        sign_in(client, small_, "ru/negotiator")
        page = client.get("/operations/ru-op-page").text
        assert 'id="unseen-v1"' in page and "the mediator has been told" in page
        assert zone not in page and "Minefield" not in page and 'id="alerts"' not in page
        assert "Ця версія перетинає зону" in client.get("/operations/ru-op-page?lang=uk").text
        sign_in(client, small_, "ua/negotiator")
        zones = client.get("/zones?lang=en").text
        assert 'id="zone-alerts"' in zones and "an operation you may not read" in zones and "ru-op-page" not in zones
        sign_in(client, small_, "icrc/mediator")
        page = client.get("/operations/ru-op-page").text
        assert 'id="alerts"' in page and "Minefield only Ukraine knows" in page and 'id="unseen-v1"' not in page
        assert "Meets what a party cannot see" in client.get("/operations").text


def _same(a, b, swap: tuple[str, str], numbers: tuple[int, int] | None = None) -> None:  # type: ignore[no-untyped-def]
    """Two refusals answer alike: the same status and the same body once the ids are swapped (in the text, and
    in the refusal's parameters where an id is a number)."""
    assert a.status_code == b.status_code, (a.text, b.text)
    other = json.loads(b.text.replace(swap[1], swap[0]))
    if numbers is not None:
        other["params"] = {k: numbers[0] if v == numbers[1] else v for k, v in other.get("params", {}).items()}
    assert a.json() == other, (a.text, b.text)


def test_objects_the_author_may_not_read_are_refused_exactly_as_absent_ones(small_client, small, runtime):
    client = small_client
    ua_only, both = ["party:icrc", "party:ua"], ["party:icrc", "party:ru", "party:ua"]
    r = client.post("/api/operations", json={"operation": "ua-op-secret", "plan": plan(parties=["ua"]),
                                             "audience": ua_only}, headers=small.headers("ua/negotiator"))
    assert r.status_code == 201, r.text
    message = act(client, small, "ua/liaison", "channel.post", {"operation": "ua-op-secret", "text": "only us"},
                  ua_only).json()["index"]
    zone = secret_zone(client, small)
    incident = {"at": iso(NOW - timedelta(hours=1)), "position": [37.3, 47.1], "type": "mines", "observed": "seen"}
    assert act(client, small, "ua/liaison", "incident.report", {"id": "ua-inc-secret", **incident},
               ["party:ua"]).status_code == 201
    assert act(client, small, "ru/liaison", "incident.report", {"id": "ru-inc-own", **incident},
               ["all"]).status_code == 201
    n = logged(runtime)

    def pairs(party: str) -> list[tuple[str, dict[str, Any], dict[str, Any], str, str]]:
        """(kind, a payload naming the unreadable object, the same naming an absent one, the two ids)."""
        out = []
        for kind, payload, hidden, absent in [
            ("operation.propose", {"operation": "ua-op-secret", "plan": plan()}, "ua-op-secret", "ua-op-absent"),
            ("operation.propose", {"operation": "ua-op-secret", "supersedes": 1, "plan": plan()}, "ua-op-secret",
             "ua-op-absent"),
            ("operation.answer", {"operation": "ua-op-secret", "version": 1, "answer": "acknowledged"},
             "ua-op-secret", "ua-op-absent"),
            ("operation.status", {"operation": "ua-op-secret", "action": "abort", "reason": "x"}, "ua-op-secret",
             "ua-op-absent"),
            ("operation.movement", {"operation": "ua-op-secret", "event": "departed", "at": iso(NOW)},
             "ua-op-secret", "ua-op-absent"),
            ("operation.outcome", {"operation": "ua-op-secret", "moved": [
                {"category": "women", "destination": "x", "count": 1}]}, "ua-op-secret", "ua-op-absent"),
            ("channel.post", {"operation": "ua-op-secret", "text": "hello"}, "ua-op-secret", "ua-op-absent"),
            ("incident.report", {"id": f"{party}-inc-1", "operation": "ua-op-secret", **incident}, "ua-op-secret",
             "ua-op-absent"),
            ("incident.report", {"id": f"{party}-inc-2", "account_of": "ua-inc-secret", **incident},
             "ua-inc-secret", "ua-inc-absent"),
            ("incident.report", {"id": "ua-inc-secret", **incident}, "ua-inc-secret", "ua-inc-absent"),
            ("zone.declare", {"id": zone, "kind": "mined", "name": "x", "geometry": SECRET_AREA,
                              "valid_from": iso(NOW), "valid_until": iso(NOW + timedelta(days=1))}, zone,
             "ua-zone-absent"),
            ("zone.withdraw", {"id": zone, "reason": "x"}, zone, "ua-zone-absent"),
        ]:
            out.append((kind, payload, json.loads(json.dumps(payload).replace(f'"{hidden}"', f'"{absent}"')),
                        hidden, absent))
        # Record 1 states a party, not a channel message.
        out.append(("channel.receipt", {"message": message, "state": "read"}, {"message": 1, "state": "read"},
                    f"record {message}", "record 1"))
        return out

    for member in ("ru/negotiator", "tr/observer"):
        for kind, payload, other, hidden, absent in pairs(member.split("/")[0]):
            assert other != payload, kind
            a = act(client, small, member, kind, payload, both)
            b = act(client, small, member, kind, other, both)
            assert a.status_code in (404, 422), (member, kind, a.text)
            _same(a, b, (hidden, absent), (message, 1) if kind == "channel.receipt" else None)
    # The observer's incident on Ukraine's operation (audit W7h) and Russia's account of Ukraine's incident (W7i).
    w7h = act(client, small, "tr/observer", "incident.report", {"id": "tr-inc-1", "operation": "ua-op-secret",
                                                                **incident}, ["all"])
    assert (w7h.status_code, w7h.json()) == (404, {"error": "not_found", "code": "operation.not_found",
                                                   "params": {"operation": "ua-op-secret"},
                                                   "message": "no operation 'ua-op-secret'", "field": "operation"})
    w7i = act(client, small, "ru/liaison", "incident.report", {"id": "ru-inc-3", "account_of": "ua-inc-secret",
                                                               **incident}, ["all"])
    assert (w7i.status_code, w7i.json()["field"]) == (404, "account_of")
    assert logged(runtime) == n, "a refused record was stored"
    with runtime.sessions() as s:
        assert s.scalar(select(func.count()).select_from(OperationEvent)
                        .where(OperationEvent.operation == "ua-op-secret", OperationEvent.event == "incident")) == 0
        assert s.get(Incident, "tr-inc-1") is None
    # The same references are accepted from the parties that read them.
    assert act(client, small, "icrc/mediator", "incident.report",
               {"id": "icrc-inc-1", "operation": "ua-op-secret", **incident}, ua_only).status_code == 201
    assert act(client, small, "ru/liaison", "incident.report",
               {"id": "ru-inc-4", "account_of": "icrc-inc-1", **incident}, ["all"]).status_code == 404
    assert act(client, small, "ua/negotiator", "incident.report",
               {"id": "ua-inc-5", "account_of": "ru-inc-own", **incident}, ["all"]).status_code == 201


def test_party_namespaces_take_the_longest_slug(small_client, small, runtime):
    """``un`` could otherwise pick ``un-ocha-…`` ids and meet un-ocha's objects: no such party is created,
    and ids belong to the longest slug they start with."""
    client = small_client
    r = act(client, small, "icrc/admin", "party.create", {"slug": "un", "kind": "belligerent",
                                                          "names": {"en": "U", "uk": "U", "ru": "U"}}, ["all"])
    assert r.status_code == 409 and r.json()["field"] == "slug", r.text
    from parley.records import ids

    with runtime.sessions() as s:
        assert ids.owner(s, "un-ocha-op-1") == "un-ocha"
        assert ids.owner(s, "un-op-1") is None
        assert ids.owner(s, "ua-op-1") == "ua"
        assert ids.owner(s, "zz-op-1") is None and ids.owner(s, "ua") is None
    r = client.post("/api/operations", json={"operation": "icrc-op-1", "plan": plan()},
                    headers=small.headers("un-ocha/liaison"))
    assert r.status_code == 422 and r.json()["field"] == "operation" and "(un-ocha-…)" in r.json()["message"]
    r = client.post("/api/operations", json={"plan": plan(mediator="un-ocha")},
                    headers=small.headers("un-ocha/liaison"))
    assert r.status_code == 201 and r.json()["operation"].startswith("un-ocha-op-")


def test_within_the_owners_party_only_those_who_read_the_zone_read_the_alert(small_client, small):
    client = small_client
    r = act(client, small, "ua/liaison", "zone.declare", {
        "id": "ua-zone-liaison", "kind": "no_go", "name": "Liaison officers' own no-go area", "geometry": SECRET_AREA,
        "valid_from": iso(NOW), "valid_until": iso(NOW + timedelta(days=30))}, ["party:ua/liaison"])
    assert r.status_code == 201, r.text
    r = client.post("/api/operations", json={"operation": "ru-op-narrow", "plan": plan(parties=["ru"])},
                    headers=small.headers("ru/negotiator"))
    assert r.json()["unseen_conflict"] is True

    def alerts(member: str) -> list[str]:
        got = client.get("/api/deconfliction/alerts", headers=small.headers(member)).json()["alerts"]
        return [a["target"] for a in got]

    assert alerts("ua/liaison") == ["ua-zone-liaison"] and alerts("icrc/mediator") == ["ua-zone-liaison"]
    assert alerts("ua/negotiator") == [] and alerts("ru/negotiator") == []
