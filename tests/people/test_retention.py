"""Retention rules and the report: the deployment's settings for parties that signed none, a party's own signed
``retention.rules`` (an admin's, read by every party) for its reports, persons and closed inquiries due once
their case closed that many days ago. Every person is invented."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from parley.app import create_app
from parley.parties.principal import load_principal
from parley.people import retention


def _civilian(c: TestClient, headers: dict[str, str], surname: str) -> str:
    r = c.post("/api/persons", headers=headers, json={"category": "civilian",
                                                        "person": {"surname": surname, "first_name": "Тарас"}})
    assert r.status_code == 201, r.text
    pid = str(r.json()["person"])
    released = c.post(f"/api/persons/{pid}/events", headers=headers, json={"event": "released"})
    assert released.status_code == 201, released.text
    return pid


def test_a_partys_signed_rules_govern_its_reports_and_the_settings_the_others(sqlite_runtime, sqlite_demo):
    rt, demo = sqlite_runtime, sqlite_demo
    c = TestClient(create_app(rt.settings, rt))
    ua, ru = demo.headers("ua/registrar"), demo.headers("ru/registrar")
    ours = [_civilian(c, ua, "Остапчук"), _civilian(c, ua, "Мирошниченко")]
    theirs = _civilian(c, ru, "Кузнецов")
    filed = c.post("/api/inquiries", headers=ua, json={"sought": {"surname": "Гнатюк"}, "relationship": "son"}).json()
    closed = c.post(f"/api/inquiries/{filed['reference']}/decisions", headers=ua,
                    json={"decision": "closed", "message": "Your son was found and is home."})
    assert closed.status_code == 201, closed.text

    body = {"rules": {"civilian": 365, "inquiry": 30}, "basis": "Закон про захист персональних даних, ст. 15"}
    refused = c.post("/api/retention/rules", headers=ua, json=body)  # a registrar is no admin
    assert refused.status_code == 403 and "retention.rules" in refused.json()["message"]
    for bad in ({"rules": {"soldiers": 10}, "basis": "x"}, {"rules": {"civilian": 0}, "basis": "x"},
                {"rules": {"civilian": 10}, "basis": ""}):
        assert c.post("/api/retention/rules", headers=demo.headers("ua/admin"), json=bad).status_code == 422, bad
    signed = c.post("/api/retention/rules", headers=demo.headers("ua/admin"), json=body)
    assert signed.status_code == 201, signed.text
    index = signed.json()["index"]

    days = {"civilian": 30}  # the deployment's setting: for the parties that signed no rules of their own
    now = datetime.now(UTC)
    with rt.sessions() as s:
        reader = load_principal(s, "icrc/mediator")  # a mediator reads every party's registry
        ua_admin = load_principal(s, "ua/admin")
        assert reader is not None and ua_admin is not None
        soon = retention.report(s, reader, days, now=now + timedelta(days=40))
        later = retention.report(s, ua_admin, days, now=now + timedelta(days=400))
    # Every party reads every party's rules.
    assert [(r["party"], r["rules"], r["index"]) for r in soon["party_rules"]] == \
        [("ua", {"civilian": 365, "inquiry": 30}, index)]
    due = {d["person"]: d for d in soon["due"]}
    assert theirs in due and due[theirs]["rule"] is None  # ru: the setting's 30 days
    assert not set(ours) & set(due)  # ua: its own 365 days
    assert [(d["inquiry"], d["rule"]) for d in soon["due_inquiries"]] == [(filed["reference"], index)]
    due = {d["person"]: d for d in later["due"]}
    assert set(ours) <= set(due) and all(due[p]["rule"] == index and due[p]["may_destroy"] for p in ours)
    assert theirs not in due  # ru's report is not ua's to read
    assert later["due_inquiries"][0]["may_destroy"]
    # The same over the API, and its refusal to anyone who reads no registry.
    api = c.get("/api/retention", headers=demo.headers("ua/admin")).json()
    assert api["party_rules"][0]["index"] == index and api["due"] == [] and api["due_inquiries"] == []
    assert c.get("/api/retention", headers=demo.headers("ua/press")).status_code == 403
