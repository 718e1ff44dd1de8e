"""What the sources say, recorded as they said it (issue 12): figures in the form they were stated, every
statement kept with its source, several mediators, operations agreed directly between the parties with the
notice they waived, incidents naming whom they allege, places and positions checked against the route, and
corridors one side declared. Bad input gets a clear error and nothing is stored."""
# ruff: noqa: F811  (the small deployment's fixtures, imported and named as arguments)

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from parley.log.models import LogEntry
from parley.records.figures import Bounds, Figure, of_bounds, parse, total
from tests.operations.test_lifecycle import NOW, iso, plan
from tests.small import Small, small, small_client  # noqa: F401  (fixtures)

BOTH = ["party:icrc", "party:ru", "party:ua"]
NOVOAZOVSK = [38.0803, 47.1146]
OLENIVKA = [37.6864, 47.8375]
AZOVSTAL = [37.6122, 47.0967]

# Every test operation starts before its agreed window, which needs a reason (``operation.status``).
EARLY = "The parties asked to start early."


def act(client, small: Small, member: str, kind: str, payload: Any, audience: list[str] = BOTH) -> Any:  # type: ignore[no-untyped-def]
    return client.post("/api/actions", json={"kind": kind, "audience": audience, "payload": payload},
                       headers=small.headers(member))


def logged(runtime) -> int:  # type: ignore[no-untyped-def]
    with runtime.sessions() as s:
        return s.scalar(select(func.count()).select_from(LogEntry))


def refused(client, small, runtime, member, kind, payload, code, status=422, audience=BOTH):  # type: ignore[no-untyped-def]
    before = logged(runtime)
    r = act(client, small, member, kind, payload, audience)
    assert r.status_code == status, r.text
    body = r.json()
    assert code in (body.get("code"), body.get("params", {}).get("reason_code"), body.get("reason_code")) \
        or code in r.text, r.text
    assert logged(runtime) == before  # nothing stored
    return body


def exit_plan(**over: Any) -> dict[str, Any]:
    """The exit of 16 May as a plan: no mediator, the ICRC registering, two destinations, notice waived."""
    start = NOW + timedelta(hours=4)
    return plan(**{"mediator": None, "co_mediators": [{"party": "icrc", "role": "registration"}],
                   "route": {"type": "LineString", "coordinates": [NOVOAZOVSK, [37.85, 47.11], AZOVSTAL,
                                                                   [37.62, 47.25], [37.64, 47.55], OLENIVKA]},
                   "origin": {"name": "Azovstal", "position": AZOVSTAL}, "destination": None,
                   "destinations": [{"name": "Novoazovsk", "position": NOVOAZOVSK},
                                    {"name": "Olenivka", "position": OLENIVKA}],
                   "waypoints": [], "notice_waived": True, "emergency": True,
                   "window": {"start": iso(start), "end": iso(start + timedelta(hours=96))}, **over})


def without_destination(p: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in p.items() if not (k == "destination" and v is None)}


def test_figures_allow_what_their_form_says():
    assert Figure(form="more_than", value=250).bounds() == Bounds(251, None)
    assert Figure(form="about", value=2600).bounds() == Bounds(2340, 2860)
    assert Figure(form="about", value=3).bounds() == Bounds(2, 4)  # at least one either side
    assert Figure(form="hundreds").bounds() == Bounds(200, 999)
    assert Figure(form="fewer_than", value=5).bounds() == Bounds(0, 4)
    # "more than 250" beside 264 is no contradiction; 52 beside 53 is.
    assert Figure(form="more_than", value=250).bounds().overlaps(Figure.of(264).bounds())
    assert not Figure.of(52).bounds().overlaps(Figure.of(53).bounds())
    assert Figure.of(52).bounds().difference(Figure.of(55).bounds()) == Bounds(3, 3)
    # A sum of exact figures is exact; with one bounded below only, so is the sum.
    assert of_bounds(total([Figure.of(53).bounds(), Figure.of(211).bounds()])) == Figure.of(264)
    assert of_bounds(total([Figure.of(53).bounds(), Figure(form="at_least", value=10).bounds()])) == \
        Figure(form="at_least", value=63)
    assert of_bounds(total([Figure.of(1).bounds(), Figure(form="range", low=2, high=3).bounds()])) == \
        Figure(form="range", low=3, high=4)
    assert parse(">250") == Figure(form="more_than", value=250) and parse("~2,600").value == 2600
    for bad in ({"form": "range", "low": 60, "high": 50}, {"form": "about"}, {"form": "range", "low": 1},
                {"form": "hundreds", "value": 300}, {"form": "fewer_than", "value": 0}, {"form": "guess", "value": 1},
                {"form": "exact", "value": -1}, {"form": "exact", "value": 10**12}):
        with pytest.raises(ValueError):
            Figure.model_validate(bad)


def test_a_direct_agreement_stands_on_every_partys_waiver_and_is_run_by_the_parties(small_client, small, runtime):
    c = small_client
    p = without_destination(exit_plan())
    body = refused(c, small, runtime, "ua/negotiator", "operation.propose", {"operation": "ua-op-exit", "plan": p},
                   "operation.waiver_missing")
    assert "ru" in body["message"]
    # The ordinary rules refuse the same plan without the waiver: the window starts 4 h after the proposal.
    refused(c, small, runtime, "ua/negotiator", "operation.propose",
            {"operation": "ua-op-exit", "plan": {**p, "notice_waived": False}}, "operation.notice_too_short")
    agreed = "At the meeting in Mariupol, this morning"
    for member, hours in (("ua/negotiator", 5), ("ru/negotiator", 1)):
        r = act(c, small, member, "operation.waiver", {"operation": "ua-op-exit", "notice_hours": hours,
                                                       "agreed": agreed})
        assert r.status_code == 201, r.text
    refused(c, small, runtime, "ua/negotiator", "operation.waiver",
            {"operation": "ua-op-exit", "notice_hours": 3, "agreed": agreed}, "operation.waiver_given", 409)
    refused(c, small, runtime, "icrc/mediator", "operation.waiver",
            {"operation": "ua-op-exit", "notice_hours": 3, "agreed": agreed}, "operation.waiver_who", 403)
    # Ukraine accepted no less than 5 h of notice; the plan gives 4.
    refused(c, small, runtime, "ua/negotiator", "operation.propose", {"operation": "ua-op-exit", "plan": p},
            "operation.waiver_short")
    later = NOW + timedelta(hours=6)
    p = {**p, "window": {"start": iso(later), "end": iso(later + timedelta(hours=96))}}
    r = act(c, small, "ua/negotiator", "operation.propose", {"operation": "ua-op-exit", "plan": p})
    assert r.status_code == 201, r.text
    assert act(c, small, "ru/negotiator", "operation.answer",
               {"operation": "ua-op-exit", "version": 1, "answer": "acknowledged"}).status_code == 201
    refused(c, small, runtime, "ru/negotiator", "operation.waiver",
            {"operation": "ua-op-exit", "notice_hours": 0, "agreed": agreed}, "operation.waiver_late", 409)
    # No mediator runs it: the parties concerned do. The ICRC, registering persons, reports but does not run it.
    refused(c, small, runtime, "icrc/mediator", "operation.status", {"operation": "ua-op-exit", "action": "start"},
            "operation.status_by_parties", 403)
    assert act(c, small, "ua/liaison", "operation.status",
               {"operation": "ua-op-exit", "action": "start", "reason": EARLY}).status_code == 201
    assert act(c, small, "icrc/mediator", "operation.movement", {
        "operation": "ua-op-exit", "event": "departed", "at": iso(NOW), "position": AZOVSTAL}).status_code == 201
    # A movement 60 km from the route (Mariupol to Donetsk's side) is refused: beyond the tolerance.
    body = refused(c, small, runtime, "ua/liaison", "operation.movement", {
        "operation": "ua-op-exit", "event": "arrived", "at": iso(NOW), "position": [37.0, 47.9]},
        "operation.off_operation")
    assert "5.0 km" in body["message"]
    op = c.get("/api/operations/ua-op-exit", headers=small.headers("ua/registrar")).json()
    assert op["mediator"] is None and op["co_mediators"] == [{"party": "icrc", "role": "registration"}]
    assert [d["name"] for d in op["plan"]["destinations"]] == ["Novoazovsk", "Olenivka"]
    assert op["status"] == "under_way"


def test_places_lie_within_the_tolerance_the_mediator_sets(small_client, small, runtime):
    c = small_client
    novoazovsk_off = plan(waypoints=[{"name": "Novoazovsk", "position": NOVOAZOVSK}])  # ~70 km off the route west
    body = refused(c, small, runtime, "icrc/mediator", "operation.propose",
                   {"operation": "icrc-op-off", "plan": novoazovsk_off}, "operation.off_route")
    assert "Novoazovsk" in body["message"]
    far = plan(destination=None, destinations=[{"name": "Zaporizhzhia", "position": [35.1396, 47.8388]},
                                               {"name": "Novoazovsk", "position": NOVOAZOVSK}])
    refused(c, small, runtime, "icrc/mediator", "operation.propose",
            {"operation": "icrc-op-off", "plan": without_destination(far)}, "operation.off_route")
    refused(c, small, runtime, "icrc/mediator", "operation.propose",
            {"operation": "icrc-op-off", "plan": {**plan(), "destinations": [{"name": "x", "position": AZOVSTAL}]}},
            "operation.destination_twice")
    # The mediator widens its tolerance: the same plan stands.
    rules = c.get("/api/operations-rules", headers=small.headers("icrc/admin")).json()
    r = c.post("/api/operations-rules", json={**rules, "route_tolerance_m": 90_000},
               headers=small.headers("icrc/admin"))
    assert r.status_code == 201, r.text
    assert act(c, small, "icrc/mediator", "operation.propose",
               {"operation": "icrc-op-off", "plan": novoazovsk_off}).status_code == 201
    # Only a mediator's admin sets it.
    r = c.post("/api/operations-rules", json={**rules, "route_tolerance_m": 100}, headers=small.headers("ua/admin"))
    assert r.status_code == 403


def test_every_statement_of_figures_is_kept_as_stated_with_its_source(small_client, small, runtime):
    c = small_client
    assert act(c, small, "icrc/mediator", "operation.propose", {"operation": "icrc-op-fig", "plan": plan(
        co_mediators=[{"party": "un-ocha", "role": "co_organiser"}])}).status_code == 201
    for member in ("ru/negotiator", "ua/negotiator"):
        assert act(c, small, member, "operation.answer",
                   {"operation": "icrc-op-fig", "version": 1, "answer": "acknowledged"}).status_code == 201
    # The co-organising mediator starts it.
    assert act(c, small, "un-ocha/liaison", "operation.status",
               {"operation": "icrc-op-fig", "action": "start", "reason": EARLY}).status_code == 201
    op = "icrc-op-fig"
    bad = [
        ({"moved": [{"category": "seriously_wounded", "destination": "Novoazovsk",
                     "count": {"form": "range", "low": 60, "high": 50}}]}, "figure.range_order"),
        ({"moved": [{"category": "servicemen", "count": {"form": "about"}}]}, "figure.needs_value"),
        ({"moved": [{"category": "servicemen"}]}, ""),
        ({"moved": []}, "operation.outcome_empty"),
        ({"moved": [{"category": "servicemen", "count": 53}], "total": {"value": 10}}, "operation.total_disagrees"),
        ({"moved": [{"category": "civilians", "destination": "Z", "count": 5},
                    {"category": "women", "destination": "Z", "count": 2}]}, "operation.civilians_twice"),
        ({"total": {"value": 5}, "source": {"kind": "named_official"}}, "source.needs_speaker"),
        ({"total": {"value": 5}, "source": {"kind": "media_report"}}, "source.needs_outlet"),
        ({"total": {"value": 5}, "source": {"kind": "party_statement", "url": "javascript:alert(1)"}}, ""),
        ({"total": {"value": 5}, "source": {"kind": "party_statement", "quote": "x" * 2001}}, ""),
        ({"moved": [{"category": "wounded_lightly", "count": 5}]}, ""),
    ]
    for payload, code in bad:
        refused(c, small, runtime, "ua/liaison", "operation.outcome", {"operation": op, **payload}, code)
    mod = {"kind": "party_statement", "body": "Ministry of Defence", "stated_on": "2026-05-01"}
    statements = [
        ("ua/liaison", {"total": {"form": "more_than", "value": 250},
                        "moved": [{"category": "seriously_wounded", "destination": "Novoazovsk", "count": 53},
                                  {"category": "servicemen", "destination": "Olenivka", "count": 211}],
                        "source": {**mod, "reference": "a report", "confirmation": "preliminary"}}),
        ("ua/liaison", {"moved": [{"category": "seriously_wounded", "count": 52}],
                        "source": {"kind": "named_official", "speaker": "An invented minister"}}),
        ("ru/liaison", {"total": {"value": 265}, "moved": [{"category": "seriously_wounded", "count": 51}]}),
    ]
    for member, payload in statements:
        r = act(c, small, member, "operation.outcome", {"operation": op, **payload})
        assert r.status_code == 201, r.text
    oc = c.get(f"/api/operations/{op}", headers=small.headers("icrc/auditor")).json()["outcomes"]
    assert [(s["party"], s["total"]["text"] if s["total"] else None) for s in oc["statements"]] == [
        ("ru", "265"), ("ua", "more than 250"), ("ua", None)]
    assert oc["statements"][1]["source"]["confirmation"] == "preliminary"
    assert oc["statements"][2]["source"]["speaker"] == "An invented minister"
    assert not oc["totals_differ"]  # 265 is more than 250
    rows = {(r["category"], r["destination"]): r for r in oc["rows"]}
    every = rows[("seriously_wounded", None)]
    assert [f["text"] if f else None for f in every["figures"]] == ["51", "53", "52"] and every["differ"]
    assert not rows[("servicemen", "Olenivka")]["differ"]  # one statement only
    assert oc["statements"][1]["rows_sum"] == {"form": "exact", "value": 264, "low": 264, "high": 264, "text": "264"}


def test_an_incident_names_whom_it_alleges_and_lies_near_its_operation(small_client, small, runtime):
    c = small_client
    assert act(c, small, "icrc/mediator", "operation.propose", {"operation": "icrc-op-inc", "plan": plan()}) \
        .status_code == 201
    base = {"at": iso(NOW), "position": AZOVSTAL, "type": "shelling", "observed": "reported"}
    refused(c, small, runtime, "ua/liaison", "incident.report",
            {"id": "ua-inc-1", **base, "alleged_responsible": "icrc"}, "incident.alleged_not_belligerent")
    refused(c, small, runtime, "ua/liaison", "incident.report",
            {"id": "ua-inc-1", **base, "alleged_responsible": "nobody"}, "party", 404)
    refused(c, small, runtime, "ua/liaison", "incident.report",
            {"id": "ua-inc-1", **base, "operation": "icrc-op-inc", "position": [30.5, 50.45]},
            "operation.off_operation")
    refused(c, small, runtime, "ua/liaison", "incident.report",
            {"id": "ua-inc-1", **base, "casualties": {"killed": {"form": "about"}}}, "figure.needs_value")
    r = act(c, small, "ua/liaison", "incident.report", {
        "id": "ua-inc-1", **base, "operation": "icrc-op-inc", "alleged_responsible": "ru",
        "casualties": {"killed": {"form": "at_least", "value": 3}, "wounded": 7},
        "source": {"kind": "media_report", "outlet": "An outlet", "quote": "shelling began again"}})
    assert r.status_code == 201, r.text
    r = act(c, small, "ru/liaison", "incident.report", {
        "id": "ru-inc-1", **base, "account_of": "ua-inc-1", "alleged_responsible": "ua",
        "description": "The other side fired first"})
    assert r.status_code == 201, r.text
    group = c.get("/api/incidents", headers=small.headers("icrc/auditor")).json()["incidents"][0]
    assert [(i["party"], i["alleged_responsible"]) for i in group] == [("ua", "ru"), ("ru", "ua")]
    assert group[0]["source"]["outlet"] == "An outlet" and group[1]["source"] is None
    cas = group[0]["casualties"]
    assert (cas["killed"], cas["killed_as_stated"]["text"], cas["wounded"], cas["wounded_as_stated"]["text"]) == (
        3, "at least 3", 7, "7")
    assert group[1]["casualties"]["killed_as_stated"] is None


def test_a_corridor_one_side_declares_is_not_an_operation(small_client, small, runtime):
    c = small_client
    corridor = {"id": "ru-corridor-1", "name": "Borodianka towards Berestianka",
                "origin": {"name": "Borodianka", "position": [29.9236, 50.6447]},
                "towards": {"name": "Berestianka", "position": [29.98, 50.59]},
                "valid_from": iso(NOW), "source": {"kind": "named_official", "speaker": "An invented spokesman"}}
    refused(c, small, runtime, "icrc/mediator", "corridor.declare", {**corridor, "id": "icrc-corridor-1"},
            "corridor.who", 403, ["all"])
    refused(c, small, runtime, "ru/liaison", "corridor.declare",
            {**corridor, "valid_until": iso(NOW - timedelta(hours=1))}, "corridor.ends_before_start", 422, ["all"])
    refused(c, small, runtime, "ru/liaison", "corridor.declare", {**corridor, "id": "ua-corridor-1"}, "", 422, ["all"])
    r = c.post("/api/corridors", json={"corridor": {k: v for k, v in corridor.items() if k != "id"}},
               headers=small.headers("ru/liaison"))
    assert r.status_code == 201, r.text
    assert r.json()["corridor"].startswith("ru-corridor-")
    listed = c.get("/api/corridors", headers=small.headers("ua/liaison")).json()["corridors"]
    assert [(x["name"], x["party"], x["source"]["speaker"]) for x in listed] == [
        ("Borodianka towards Berestianka", "ru", "An invented spokesman")]
    assert c.get("/api/operations", headers=small.headers("ua/liaison")).json()["operations"] == []
    # Need to know: a corridor declared for Russia's own members only is nobody else's to read.
    r = c.post("/api/corridors", json={"corridor": {**{k: v for k, v in corridor.items() if k != "id"},
                                                    "name": "Russia's own"}, "audience": ["party:ru"]},
               headers=small.headers("ru/liaison"))
    assert r.status_code == 201, r.text
    assert "Russia's own" not in c.get("/api/corridors", headers=small.headers("ua/liaison")).text
    assert "Russia's own" in c.get("/api/corridors", headers=small.headers("ru/negotiator")).text


def test_a_place_each_side_spells_its_own_way_is_one_row(small_client, small, runtime):
    # Audit F2: «Новоазовск» 51 and «Еленовка» 214 from Russia beside Novoazovsk 53 and Olenivka 211 from Ukraine
    # gave four rows instead of two. Places are lined up by the registry's phonetic keys, named as the plan does.
    c = small_client
    p = without_destination(plan(destination=None, route={"type": "LineString", "coordinates": [
        NOVOAZOVSK, [37.85, 47.11], AZOVSTAL, [37.62, 47.25], [37.64, 47.55], OLENIVKA]},
        origin={"name": "Azovstal", "position": AZOVSTAL}, waypoints=[],
        destinations=[{"name": "Novoazovsk (hospital)", "position": NOVOAZOVSK},
                      {"name": "Olenivka", "position": OLENIVKA}]))
    assert act(c, small, "icrc/mediator", "operation.propose", {"operation": "icrc-op-names", "plan": p}) \
        .status_code == 201
    for member in ("ru/negotiator", "ua/negotiator"):
        act(c, small, member, "operation.answer", {"operation": "icrc-op-names", "version": 1,
                                                   "answer": "acknowledged"})
    assert act(c, small, "icrc/mediator", "operation.status",
               {"operation": "icrc-op-names", "action": "start", "reason": EARLY}).status_code == 201
    for member, rows in (("ua/liaison", [("seriously_wounded", "Novoazovsk", 53), ("servicemen", "Yelenovka", 211)]),
                         ("ru/liaison", [("seriously_wounded", "Новоазовск", 51), ("servicemen", "Еленовка", 214)])):
        r = act(c, small, member, "operation.outcome", {"operation": "icrc-op-names", "moved": [
            {"category": cat, "destination": dest, "count": n} for cat, dest, n in rows]})
        assert r.status_code == 201, r.text
    oc = c.get("/api/operations/icrc-op-names", headers=small.headers("icrc/auditor")).json()["outcomes"]
    assert [(r["category"], r["destination"], [f["text"] for f in r["figures"]]) for r in oc["rows"]] == [
        ("seriously_wounded", "Novoazovsk", ["51", "53"]), ("servicemen", "Olenivka", ["214", "211"])]
