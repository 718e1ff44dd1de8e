"""Talks over the API, on both databases: a process of official talks from opening to an agreed point, a joint
text signed by both parties and re-signed after a new version, implementation tied to an operation; a back channel
closed to the negotiators; actors found in any spelling; and every refusal the issue names, each storing nothing."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from tests.operations.test_lifecycle import plan


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def ok(r: Any) -> dict[str, Any]:
    assert r.status_code == 201, r.text
    return dict(r.json())


def refused(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.json().get("code") == code, r.text
    return dict(r.json())


def log_size(client: Any, h: Any) -> int:
    return int(client.get("/log/checkpoint", headers=h("icrc/auditor")).text.splitlines()[1])


CORRIDORS = "Joint provision of humanitarian corridors for the evacuation of civilians."
CORRIDORS_UK = "Спільне забезпечення гуманітарних коридорів для евакуації мирного населення."


def official(client: Any, h: Any) -> tuple[str, str]:
    """An official process between Ukraine and Russia facilitated by the ICRC, with a humanitarian track."""
    p = ok(client.post("/api/talks/processes", json={"process": {
        "title": "Talks in Belarus", "format": "official_talks", "parties": ["ua", "ru"], "mediators": ["icrc"]}},
        headers=h("ua/negotiator")))["id"]
    t = ok(client.post(f"/api/talks/processes/{p}/tracks", json={"name": "International humanitarian"},
                       headers=h("icrc/mediator")))["id"]
    return p, t


def test_a_point_is_agreed_only_when_every_party_accepts_the_same_text(client, demo):
    h = demo.headers
    p, t = official(client, h)
    assert p.startswith("ua-talks-")
    pt = ok(client.post(f"/api/talks/tracks/{t}/points",
                        json={"title": "Humanitarian corridors"}, headers=h("icrc/mediator")))["id"]
    ok(client.post(f"/api/talks/points/{pt}/positions", json={"position": "proposed", "text": CORRIDORS},
                   headers=h("ua/negotiator")))
    # Accepted by one side only: not agreed.
    board = client.get(f"/api/talks/processes/{p}/board", headers=h("ru/negotiator")).json()
    row = next(x for x in board["points"] if x["id"] == pt)
    assert row["agreed"] is False and row["positions"]["ru"] is None
    assert row["positions"]["ua"]["position"] == "proposed" and board["texts"][sha(CORRIDORS)] == CORRIDORS
    # Russia counter-proposes another wording; then Ukraine accepts Russia's text: both accept the same one.
    ok(client.post(f"/api/talks/points/{pt}/positions", json={"position": "counter_proposed", "text": CORRIDORS_UK},
                   headers=h("ru/negotiator")))
    assert not client.get(f"/api/talks/points/{pt}", headers=h("ua/negotiator")).json()["agreed"]
    # An acceptance names a wording proposed on this point, by its hash.
    size = log_size(client, h)
    refused(client.post(f"/api/talks/points/{pt}/positions", json={"position": "accepted", "sha256": "0" * 64},
                        headers=h("ua/negotiator")), 422, "talks.unknown_text")
    refused(client.post(f"/api/talks/points/{pt}/positions", json={"position": "accepted"},
                        headers=h("ua/negotiator")), 422, "record.payload_invalid")
    # A mediator never states a party's position; a party outside the process cannot either.
    refused(client.post(f"/api/talks/points/{pt}/positions", json={"position": "accepted", "sha256": sha(CORRIDORS)},
                        headers=h("icrc/mediator")), 403, "talks.position_who")
    assert log_size(client, h) == size
    ok(client.post(f"/api/talks/points/{pt}/positions", json={"position": "accepted", "sha256": sha(CORRIDORS_UK)},
                   headers=h("ua/negotiator")))
    got = client.get(f"/api/talks/points/{pt}", headers=h("ru/negotiator")).json()
    assert got["agreed"] and got["agreed_text"] == CORRIDORS_UK
    assert [x["position"] for x in got["positions"]] == ["proposed", "counter_proposed", "accepted"]
    assert {x["sha256"] for x in got["texts"]} == {sha(CORRIDORS), sha(CORRIDORS_UK)}
    # A later reservation undoes the understanding: the board reads the current positions.
    ok(client.post(f"/api/talks/points/{pt}/positions", json={"position": "reserved", "note": "to be checked"},
                   headers=h("ru/negotiator")))
    assert not client.get(f"/api/talks/points/{pt}", headers=h("ua/negotiator")).json()["agreed"]


def test_a_joint_text_is_agreed_when_every_party_signs_its_current_hash(client, demo):
    h = demo.headers
    p, _ = official(client, h)
    v1 = "The parties reached an understanding on humanitarian corridors."
    tid = ok(client.post(f"/api/talks/processes/{p}/texts", json={"title": "Communiqué", "body": v1},
                         headers=h("icrc/mediator")))["id"]
    size = log_size(client, h)
    refused(client.post(f"/api/talks/texts/{tid}/signoffs", json={"version": 1, "sha256": sha(v1 + " ")},
                        headers=h("ua/negotiator")), 422, "talks.signoff_hash")
    refused(client.post(f"/api/talks/texts/{tid}/signoffs", json={"version": 2, "sha256": sha(v1)},
                        headers=h("ua/negotiator")), 409, "talks.signoff_not_current")
    refused(client.post(f"/api/talks/texts/{tid}/signoffs", json={"version": 1, "sha256": sha(v1)},
                        headers=h("icrc/mediator")), 403, "talks.signoff_who")
    assert log_size(client, h) == size
    ok(client.post(f"/api/talks/texts/{tid}/signoffs", json={"version": 1, "sha256": sha(v1)},
                   headers=h("ua/negotiator")))
    assert client.get(f"/api/talks/texts/{tid}", headers=h("ru/negotiator")).json()["agreed"] is False
    refused(client.post(f"/api/talks/texts/{tid}/signoffs", json={"version": 1, "sha256": sha(v1), "note": "again"},
                        headers=h("ua/negotiator")), 409, "talks.signed")
    # A new version needs fresh sign-offs; Ukraine's panel shows what changed since it signed.
    v2 = "The parties reached an understanding on humanitarian corridors and a temporary ceasefire."
    refused(client.post(f"/api/talks/processes/{p}/texts", json={"id": tid, "title": "Communiqué", "body": v2,
                                                                 "supersedes": 2}, headers=h("ru/negotiator")),
            409, "talks.text_not_current")
    ok(client.post(f"/api/talks/processes/{p}/texts", json={"id": tid, "title": "Communiqué", "body": v2,
                                                            "supersedes": 1}, headers=h("ru/negotiator")))
    ok(client.post(f"/api/talks/texts/{tid}/signoffs", json={"version": 2, "sha256": sha(v2)},
                   headers=h("ru/negotiator")))
    got = client.get(f"/api/talks/texts/{tid}", headers=h("ua/negotiator")).json()
    assert got["version"] == 2 and not got["agreed"]
    panel = {x["party"]: x for x in got["panel"]}
    assert panel["ru"]["signed_current"] and not panel["ua"]["signed_current"]
    assert panel["ua"]["last_signed_version"] == 1
    assert {"op": "added", "text": " and a temporary ceasefire"} in panel["ua"]["changed_since"]
    ok(client.post(f"/api/talks/texts/{tid}/signoffs", json={"version": 2, "sha256": sha(v2)},
                   headers=h("ua/negotiator")))
    got = client.get(f"/api/talks/texts/{tid}", headers=h("icrc/mediator")).json()
    assert got["agreed"] and got["agreed_version"] == 2
    d = client.get(f"/api/talks/texts/{tid}/diff", params={"from": 1, "to": 2}, headers=h("ru/negotiator")).json()
    assert d["added_words"] == 4 and d["removed_words"] == 0
    assert "".join(x["text"] for x in d["pieces"] if x["op"] != "removed") == v2
    assert client.get(f"/api/talks/texts/{tid}/versions/2", headers=h("ru/negotiator")).json()["body"] == v2


def test_implementation_of_an_agreed_point_with_an_operation_as_evidence(client, demo):
    h = demo.headers
    p, t = official(client, h)
    pt = ok(client.post(f"/api/talks/tracks/{t}/points", json={"title": "Corridors", "text": CORRIDORS},
                        headers=h("icrc/mediator")))["id"]
    # Not agreed yet: no implementation status.
    refused(client.post(f"/api/talks/points/{pt}/implementation", json={"level": 1}, headers=h("ua/negotiator")),
            409, "talks.not_agreed")
    for member in ("ua/negotiator", "ru/negotiator"):
        ok(client.post(f"/api/talks/points/{pt}/positions", json={"position": "accepted", "sha256": sha(CORRIDORS)},
                       headers=h(member)))
    # An operation names the point it implements; one naming an unknown point is refused.
    bad = plan(implements=["ua-point-nothing"])
    refused(client.post("/api/operations", json={"plan": bad}, headers=h("ua/negotiator")), 404,
            "operation.point_not_found")
    op = ok(client.post("/api/operations", json={"plan": plan(implements=[pt])}, headers=h("ua/negotiator")))
    op_id = op["operation"]
    for level in (4, -1):
        refused(client.post(f"/api/talks/points/{pt}/implementation", json={"level": level},
                            headers=h("ua/negotiator")), 422, "record.payload_invalid")
    refused(client.post(f"/api/talks/points/{pt}/implementation",
                        json={"level": 2, "evidence": [{"kind": "operation", "ref": "ru-op-unknown"}]},
                        headers=h("ua/negotiator")), 404, "talks.evidence_not_found")
    ok(client.post(f"/api/talks/points/{pt}/implementation",
                   json={"level": 2, "evidence": [{"kind": "operation", "ref": op_id}, {"kind": "record", "ref": "0"}]},
                   headers=h("ua/negotiator")))
    ok(client.post(f"/api/talks/points/{pt}/implementation", json={"level": 1, "note": "only partly"},
                   headers=h("ru/liaison")))
    board = client.get(f"/api/talks/processes/{p}/implementation", headers=h("icrc/mediator")).json()
    row = next(r for r in board["points"] if r["point"] == pt)
    assert row["levels"]["ua"]["level"] == 2 and row["levels"]["ru"]["level"] == 1
    assert row["levels"]["ua"]["evidence"][0] == {"kind": "operation", "ref": op_id, "note": ""}
    rows = client.get(f"/api/talks/processes/{p}/export.json", headers=h("ua/negotiator")).json()["rows"]
    assert [(r["provision_id"], r["status"], r["implementation_ua"], r["implementation_ru"]) for r in rows] == \
        [(pt, "agreed", 2, 1)]
    csv = client.get(f"/api/talks/processes/{p}/export.csv", headers=h("ua/negotiator"))
    assert csv.headers["content-type"].startswith("text/csv") and pt in csv.text
    assert client.get(f"/api/operations/{op_id}", headers=h("ru/negotiator")).status_code == 200


def test_a_back_channel_is_closed_to_its_negotiators(client, demo):
    h = demo.headers
    kovalev = ok(client.post("/api/talks/actors", json={
        "actor": {"names": ["Oleksandr Kovalov", "Олександр Ковальов", "Александр Ковалев"], "acts_for": "ua",
                  "title": "lawmaker"},
        "audience": ["only", "party:ua/negotiator", "party:ru/negotiator"]}, headers=h("ua/negotiator")))["id"]
    for spelling in ("Kovalev", "Kovalyov", "Ковальов", "kowaljow", "Alexander Kovalev"):
        found = client.get("/api/talks/actors", params={"q": spelling}, headers=h("ru/negotiator")).json()["actors"]
        assert kovalev in [a["id"] for a in found], spelling
    nobody = client.get("/api/talks/actors", params={"q": "Shcherbakivskyi"}, headers=h("ru/negotiator"))
    assert nobody.json()["actors"] == []
    body = {"process": {"title": "Azovstal", "format": "back_channel", "parties": ["ua", "ru"],
                        "intermediaries": [{"actor": kovalev, "acting_for": "ua"}]}}
    # A back channel's records must be closed to the parties' negotiators: an open audience is refused.
    refused(client.post("/api/talks/processes", json={**body, "audience": ["party:ua", "party:ru"]},
                        headers=h("ua/negotiator")), 422, "talks.narrow_closed")
    refused(client.post("/api/talks/processes", json={**body, "audience": ["only", "party:ua/negotiator",
                                                                           "party:ru/negotiator", "party:ua/press"]},
                        headers=h("ua/negotiator")), 422, "talks.narrow_token")
    refused(client.post("/api/talks/processes", json={**body, "audience": ["only", "party:ua/negotiator"]},
                        headers=h("ua/negotiator")), 422, "talks.audience_party")
    p = ok(client.post("/api/talks/processes", json=body, headers=h("ua/negotiator")))["id"]
    for member, visible in [("ua/negotiator", True), ("ru/negotiator", True), ("ua/press", False),
                            ("ua/registrar", False), ("ru/liaison", False), ("icrc/mediator", False),
                            ("icrc/auditor", False), ("un-ocha/liaison", False), ("tr/observer", False)]:
        assert client.get(f"/api/talks/processes/{p}", headers=h(member)).status_code == (200 if visible else 404), \
            member
        listed = [x["id"] for x in client.get("/api/talks/processes", headers=h(member)).json()["processes"]]
        assert (p in listed) == visible, member
    # Every record in it takes the closed audience by default, and an open one is refused.
    m = ok(client.post(f"/api/talks/processes/{p}/meetings", json={"meeting": {
        "kind": "visit", "title": "First visit", "status": "held", "actual_start": "2022-04-25T09:00:00Z",
        "venue": {"name": "Mariupol", "position": [37.54, 47.10]},
        "delegations": [{"party": "ua", "head": kovalev}]}}, headers=h("ua/negotiator")))["id"]
    got = client.get(f"/api/talks/meetings/{m}", headers=h("ru/negotiator")).json()
    assert got["delegations"][0]["head"] == kovalev and got["venue"]["name"] == "Mariupol"
    assert client.get(f"/api/talks/meetings/{m}", headers=h("icrc/mediator")).status_code == 404
    # An operation reaches the mediators and liaison officers: it cannot name the back channel's point (its id would
    # reach them), though both negotiators may read the point.
    track = ok(client.post(f"/api/talks/processes/{p}/tracks", json={"name": "Exit"}, headers=h("ua/negotiator")))
    point = ok(client.post(f"/api/talks/tracks/{track['id']}/points", json={"title": "Safe exit"},
                           headers=h("ru/negotiator")))["id"]
    refused(client.post("/api/operations", json={"plan": plan(implements=[point])}, headers=h("ua/negotiator")),
            422, "operation.point_unseen")
    # A party outside the process cannot write in it (it cannot even read it).
    refused(client.post(f"/api/talks/processes/{p}/status", json={"status": "paused"}, headers=h("tr/observer")),
            404, "talks.process_not_found")


@pytest.mark.parametrize("field,value,code", [
    ("parties", ["ua", "icrc"], "talks.not_belligerent"),
    ("parties", ["ua", "ua"], "record.payload_invalid"),
    ("mediators", ["tr"], "talks.not_mediator"),
    ("format", "secret_talks", "record.payload_invalid"),
])
def test_a_malformed_process_is_refused(client, demo, field, value, code):
    h = demo.headers
    process = {"title": "T", "format": "official_talks", "parties": ["ua", "ru"], field: value}
    refused(client.post("/api/talks/processes", json={"process": process}, headers=h("ua/negotiator")), 422, code)


def test_meetings_their_changes_and_the_timeline(client, demo):
    h = demo.headers
    p, _ = official(client, h)
    m = ok(client.post(f"/api/talks/processes/{p}/meetings", json={"meeting": {
        "kind": "round", "number": 2, "title": "Second round", "status": "planned",
        "scheduled_start": "2022-03-02T12:00:00Z", "venue": {"name": "Gomel region"}}},
        headers=h("icrc/mediator")))["id"]
    refused(client.post(f"/api/talks/meetings/{m}/changes", json={"reason": "nothing"}, headers=h("ua/negotiator")),
            422, "talks.nothing_changed")
    refused(client.post(f"/api/talks/meetings/{m}/changes", json={"status": "held"}, headers=h("ua/negotiator")),
            422, "talks.held_needs_start")
    ok(client.post(f"/api/talks/meetings/{m}/changes", json={
        "status": "held", "actual_start": "2022-03-03T14:50:00Z", "duration_note": "less than three hours",
        "venue": {"name": "Belovezhskaya Pushcha", "position": [23.83, 52.57]}, "reason": "a day later"},
        headers=h("icrc/mediator")))
    got = client.get(f"/api/talks/meetings/{m}", headers=h("ru/negotiator")).json()
    assert got["status"] == "held" and got["venue"]["name"] == "Belovezhskaya Pushcha"
    assert got["changes"][0]["changes"]["venue"][0] == {"name": "Gomel region"}
    refused(client.post(f"/api/talks/meetings/{m}/changes", json={"status": "planned"}, headers=h("ua/negotiator")),
            409, "talks.meeting_closed")
    ok(client.post(f"/api/talks/processes/{p}/statements", json={
        "type": "accusation", "text": "The Ukrainian delegation is deliberately delaying the talks.", "language": "en",
        "on_behalf": "ru", "source": {"kind": "media_report", "outlet": "Kommersant"}}, headers=h("ua/negotiator")))
    ok(client.post(f"/api/talks/processes/{p}/status", json={"status": "frozen", "reason": "stated in November"},
                   headers=h("ru/negotiator")))
    refused(client.post(f"/api/talks/processes/{p}/status", json={"status": "frozen"}, headers=h("ru/negotiator")),
            409, "talks.status_same")
    full = client.get(f"/api/talks/processes/{p}", headers=h("ua/negotiator")).json()
    assert full["status"] == "frozen" and [x["status"] for x in full["statuses"]] == ["active", "frozen"]
    whats = [e["what"] for e in full["timeline"]]
    assert whats.index("meeting") < whats.index("meeting_change")  # the meeting on 3 March, the change recorded now
    st = client.get(f"/api/talks/processes/{p}/statements", headers=h("ua/negotiator")).json()["statements"]
    assert st[0]["hearsay"] is True and st[0]["on_behalf"] == "ru"


def test_reads_of_talks_are_refused_to_press_and_unknown_objects_are_absent(client, demo):
    h = demo.headers
    p, _ = official(client, h)
    assert client.get(f"/api/talks/processes/{p}", headers=h("ua/press")).status_code == 404
    assert client.get(f"/api/talks/processes/{p}", headers=h("ua/registrar")).status_code == 404
    assert client.get(f"/api/talks/processes/{p}").status_code == 401
    for path in ("/api/talks/points/ua-point-x", "/api/talks/texts/ua-text-x", "/api/talks/meetings/ua-m-x",
                 "/api/talks/actors/ua-actor-x", "/api/talks/processes/ua-talks-x/board"):
        assert client.get(path, headers=h("icrc/auditor")).status_code == 404, path


def test_an_ended_process_takes_no_meeting_or_sign_off_and_actors_must_be_readable_by_both_sides(client, demo):
    h = demo.headers
    p, _ = official(client, h)
    own = ok(client.post("/api/talks/actors", json={"actor": {"names": ["Ostap Verkhovynets"], "acts_for": "ua"}},
                         headers=h("ua/negotiator")))["id"]  # readable by Ukraine alone
    shared = ok(client.post("/api/talks/actors", json={"actor": {"names": ["Lev Zarichnyi"], "acts_for": "ua"},
                                                         "process": p}, headers=h("ua/negotiator")))["id"]
    meeting = {"kind": "round", "title": "Round", "status": "planned", "delegations": [{"party": "ua", "head": own}]}
    refused(client.post(f"/api/talks/processes/{p}/meetings", json={"meeting": meeting}, headers=h("ua/negotiator")),
            422, "talks.actor_unseen")
    meeting["delegations"] = [{"party": "ua", "head": shared}]
    ok(client.post(f"/api/talks/processes/{p}/meetings", json={"meeting": meeting}, headers=h("ua/negotiator")))
    tid = ok(client.post(f"/api/talks/processes/{p}/texts", json={"title": "T", "body": "Text."},
                         headers=h("ua/negotiator")))["id"]
    ok(client.post(f"/api/talks/processes/{p}/status", json={"status": "ended"}, headers=h("ru/negotiator")))
    refused(client.post(f"/api/talks/processes/{p}/meetings", json={"meeting": meeting}, headers=h("ua/negotiator")),
            409, "talks.status_ended")
    refused(client.post(f"/api/talks/texts/{tid}/signoffs", json={"version": 1, "sha256": sha("Text.")},
                        headers=h("ua/negotiator")), 409, "talks.status_ended")
    # What each side says about the process goes on being recorded.
    ok(client.post(f"/api/talks/processes/{p}/statements", json={"type": "assessment", "text": "It is over."},
                   headers=h("ua/negotiator")))


def test_operations_list_the_point_they_implement(client, demo):
    h = demo.headers
    _, t = official(client, h)
    pt = ok(client.post(f"/api/talks/tracks/{t}/points", json={"title": "Corridors"},
                        headers=h("icrc/mediator")))["id"]
    op = ok(client.post("/api/operations", json={"plan": plan(implements=[pt])}, headers=h("ua/negotiator")))
    got = client.get("/api/operations", params={"point": pt}, headers=h("ru/negotiator")).json()["operations"]
    assert [(o["id"], o["implements"]) for o in got] == [(op["operation"], [pt])]
    assert client.get("/api/operations", params={"point": "ua-point-none"}, headers=h("ru/negotiator")).json()[
        "operations"] == []
