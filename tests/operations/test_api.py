"""The operations API per role (audience on every read), deconfliction, escalation of silence and of
unread urgent messages, hostile input, and the ``parley ops`` command line against a live server."""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import timedelta

import pytest
import uvicorn
from typer.testing import CliRunner

from parley.app import create_app
from parley.records.compose import compose
from tests.conftest import ORIGIN
from tests.operations.test_lifecycle import AUD, NOW, iso, plan

SQUARE = {"type": "Polygon", "coordinates": [[[37.2, 47.0], [37.4, 47.0], [37.4, 47.2], [37.2, 47.2], [37.2, 47.0]]]}


def zone(**over):
    z = {"kind": "mined", "name": "Mined fields west of Manhush", "geometry": SQUARE,
         "valid_from": iso(NOW - timedelta(days=1)), "valid_until": iso(NOW + timedelta(days=30))}
    z.update(over)
    return z


def test_reads_follow_the_audience_per_role(client, demo):
    h = demo.headers
    r = client.post("/api/operations", json={"plan": plan()}, headers=h("ua/negotiator"))
    assert r.status_code == 201, r.text
    op = r.json()["operation"]
    for member, visible in [("ua/registrar", True), ("ru/liaison", True), ("icrc/auditor", True),
                            ("un-ocha/liaison", True), ("tr/observer", False)]:
        got = client.get(f"/api/operations/{op}", headers=h(member))
        assert got.status_code == (200 if visible else 404), (member, got.text)
        listed = {o["id"] for o in client.get("/api/operations", headers=h(member)).json()["operations"]}
        assert (op in listed) == visible, member
    assert client.get(f"/api/operations/{op}").status_code == 401
    # A zone declared for Russia and the mediators is not shown to Ukraine, not even as a count; the mediator
    # sees it in full.
    r = client.post("/api/zones", json={"zone": zone(), "audience": ["party:ru"]}, headers=h("ru/liaison"))
    assert r.status_code == 201, r.text
    zid = r.json()["zone"]
    assert zid.startswith("ru-zone-")
    ua = client.get(f"/api/operations/{op}", headers=h("ua/negotiator")).json()["conflicts"]
    icrc = client.get(f"/api/operations/{op}", headers=h("icrc/mediator")).json()["conflicts"]
    assert ua == {"conflicts": []}
    assert [c["what"] for c in icrc["conflicts"] if c["kind"] == "zone"] == ["mined"]
    assert zid not in {z["id"] for z in client.get("/api/zones", headers=h("ua/liaison")).json()["zones"]}
    assert zid in {z["id"] for z in client.get("/api/zones", headers=h("ru/negotiator")).json()["zones"]}


def test_time_zone_defaults_to_the_origins(client, demo):
    p = plan()
    del p["time_zone"]
    r = client.post("/api/operations", json={"plan": p}, headers=demo.headers("ua/negotiator"))
    assert r.status_code == 201, r.text
    got = client.get(f"/api/operations/{r.json()['operation']}", headers=demo.headers("ru/liaison")).json()
    assert got["time_zone"] == "Europe/Kyiv"


def test_deconfliction_finds_zones_in_time_and_other_operations(client, demo):
    h = demo.headers
    client.post("/api/zones", json={"zone": zone()}, headers=h("icrc/mediator"))
    # A zone whose validity ended before the window does not conflict.
    client.post("/api/zones", json={"zone": zone(name="Old", valid_until=iso(NOW + timedelta(hours=1)))},
                headers=h("icrc/mediator"))
    far = {"type": "Polygon", "coordinates": [[[30.0, 50.0], [30.1, 50.0], [30.1, 50.1], [30.0, 50.1], [30.0, 50.0]]]}
    client.post("/api/zones", json={"zone": zone(name="Far", geometry=far)}, headers=h("icrc/mediator"))
    r = client.post("/api/deconfliction/check", json={"plan": plan()}, headers=h("ua/negotiator"))
    assert r.status_code == 200, r.text
    names = [c["name"] for c in r.json()["conflicts"]]
    assert names == ["Mined fields west of Manhush"]
    assert r.json()["conflicts"][0]["overlap_km2"] > 1
    first = client.post("/api/operations", json={"plan": plan()}, headers=h("ua/negotiator")).json()["operation"]
    r = client.post("/api/deconfliction/check", json={"plan": plan(buffer_m=500)}, headers=h("ru/negotiator"))
    assert [c["id"] for c in r.json()["conflicts"] if c["kind"] == "operation"] == [first]
    # Metric buffer: a route 3 km from the zone conflicts with a 5 km buffer, not with a 1 km one.
    near = {"type": "LineString", "coordinates": [[37.44, 47.05], [37.44, 47.8], [35.1396, 47.8388]]}
    lonely = dict(plan(route=near, buffer_m=1000, origin={"name": "A", "position": [37.44, 47.05]}))
    r1 = client.post("/api/deconfliction/check", json={"plan": lonely}, headers=h("icrc/mediator")).json()
    r5 = client.post("/api/deconfliction/check", json={"plan": {**lonely, "buffer_m": 5000}},
                     headers=h("icrc/mediator")).json()
    assert "Mined fields west of Manhush" not in [c["name"] for c in r1["conflicts"]]
    assert "Mined fields west of Manhush" in [c["name"] for c in r5["conflicts"]]


def test_silence_and_unread_urgent_messages_are_escalated_never_accepted(runtime, demo, client):
    h = demo.headers
    # A proposal made 30 hours ago (written as a historical import): its answers were due 6 hours ago.
    then = NOW - timedelta(hours=30)
    payload = {"operation": "ua-op-silent", "plan": plan(window={"start": iso(NOW + timedelta(hours=20)),
                                                              "end": iso(NOW + timedelta(hours=40))})}
    note = compose(demo.signer("ua/negotiator"), origin=ORIGIN, kind="operation.propose", audience=AUD,
                   payload=payload, time=then)
    runtime.pipeline.submit_many([(note, payload)], replay=True)
    op = client.get("/api/operations/ua-op-silent", headers=h("icrc/mediator")).json()
    assert op["status"] == "proposed"
    assert {b["party"]: b["state"] for b in op["board"]} == {"ru": "no_answer", "ua": "proposer"}
    esc = client.get("/api/escalations", headers=h("icrc/mediator")).json()["escalations"]
    assert [(e["kind"], e["operation"], e["party"]) for e in esc] == [("no_answer", "ua-op-silent", "ru")]
    # The board is not an escalation list for the parties themselves.
    assert client.get("/api/escalations", headers=h("ua/negotiator")).json()["escalations"] == []
    # An urgent message unread after the set time is escalated; reading it clears the escalation.
    msg = {"operation": "ua-op-silent", "text": "Confirm the ceasefire", "urgent": True}
    note = compose(demo.signer("icrc/mediator"), origin=ORIGIN, kind="channel.post", audience=AUD, payload=msg,
                   time=NOW - timedelta(hours=1))
    idx = runtime.pipeline.submit_many([(note, msg)], replay=True)[0].index
    esc = client.get("/api/escalations", headers=h("icrc/mediator")).json()["escalations"]
    assert {(e["kind"], e["party"]) for e in esc} == {("no_answer", "ru"), ("unread_urgent", "ru"),
                                                      ("unread_urgent", "ua")}
    r = client.post(f"/api/operations/ua-op-silent/channel/{idx}/receipts", json={"state": "read"},
                    headers=h("ru/liaison"))
    assert r.status_code == 201, r.text
    esc = client.get("/api/escalations", headers=h("icrc/mediator")).json()["escalations"]
    assert {(e["kind"], e["party"]) for e in esc} == {("no_answer", "ru"), ("unread_urgent", "ua")}
    chan = client.get("/api/operations/ua-op-silent/channel", headers=h("ua/liaison")).json()["messages"]
    assert chan[0]["overdue"] and set(chan[0]["receipts"]["ru"]) == {"delivered", "read"}
    # A late answer is recorded as late.
    client.post("/api/operations/ua-op-silent/answers", json={"version": 1, "answer": "acknowledged"},
                headers=h("ru/liaison"))
    board = client.get("/api/operations/ua-op-silent", headers=h("icrc/mediator")).json()["board"]
    assert {b["party"]: (b["state"], b["late"]) for b in board}["ru"] == ("acknowledged", True)


@pytest.mark.parametrize("body", [
    b"{not json", b"[]", b'{"plan": 5}', b'{"plan": {"kind": "evacuation"}}',
    json.dumps({"plan": plan(route={"type": "LineString", "coordinates": [[1e309, 47], [37, 47]]})}).encode(),
    json.dumps({"plan": plan(route={"type": "LineString", "coordinates": [[[[[[37, 47]]]]]] * 3})}).encode(),
    json.dumps({"plan": plan(route={"type": "LineString", "coordinates": [["37", "47"], [37, 47.1]]})}).encode(),
    json.dumps({"plan": plan(), "extra": 1}).encode(),
])
def test_hostile_bodies_get_clear_errors_and_store_nothing(client, demo, body):
    h = {**demo.headers("ua/negotiator"), "content-type": "application/json"}
    before = len(client.get("/api/operations", headers=h).json()["operations"])
    r = client.post("/api/operations", content=body, headers=h)
    assert r.status_code in (400, 422), r.text
    assert r.json()["message"]
    assert len(client.get("/api/operations", headers=h).json()["operations"]) == before


def test_oversized_body_is_refused(client, demo):
    coords = [[37.0 + i * 1e-5, 47.0] for i in range(200_000)]
    r = client.post("/api/operations", json={"plan": plan(route={"type": "LineString", "coordinates": coords})},
                    headers=demo.headers("ua/negotiator"))
    assert r.status_code == 413


@pytest.fixture
def live(tmp_path, deployments):
    rt, demo = deployments.sqlite_demo(tmp_path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(rt.settings, rt), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", demo
    srv.should_exit = True
    thread.join(10)
    rt.close()


def test_command_line_runs_an_operation(live, tmp_path):
    from parley.operations.cli import app

    url, demo = live
    runner = CliRunner()

    def cli(member: str, *args: str) -> str:
        r = runner.invoke(app, [*args, "--url", url, "--token", demo.token(member)])
        assert r.exit_code == 0, r.output
        return r.output

    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(plan()))
    assert "no conflicts" in cli("ua/negotiator", "check", str(plan_file))
    # Russia declares a zone across the route for itself alone: Ukraine's proposal gets one bit, the mediator and
    # Russia read the alert.
    from parley.operations.cli import zone_app

    zone_file = tmp_path / "zone.json"
    zone_file.write_text(json.dumps(zone(name="Russian minefield")))
    declared = runner.invoke(zone_app, ["declare", str(zone_file), "--audience", "party:ru", "--url", url,
                                        "--token", demo.token("ru/liaison")])
    assert declared.exit_code == 0 and "zone ru-zone-" in declared.output, declared.output
    assert "no conflicts" in cli("ua/negotiator", "check", str(plan_file))
    proposed = " ".join(cli("ua/negotiator", "propose", str(plan_file), "--id", "ua-op-cli").split())
    assert "operation ua-op-cli" in proposed and "cannot see; the mediator has been told" in proposed
    assert "Russian minefield" not in proposed and "ru-zone-" not in proposed
    assert cli("ua/negotiator", "alerts").strip() == "no alerts"
    told = " ".join(cli("icrc/mediator", "alerts").split())
    assert "operation ua-op-cli (version 1, proposed by ua) meets zone ru-zone-" in told
    assert "(Russian minefield) of ru" in " ".join(cli("ru/liaison", "alerts").split())
    assert "version 1 meets a zone or an operation you cannot see" in " ".join(
        cli("ua/negotiator", "show", "ua-op-cli").split())
    assert "cannot see" in " ".join(cli("icrc/mediator", "escalations").split())
    refused = runner.invoke(app, ["answer", "ua-op-cli", "--version", "1", "--acknowledge", "--url", url,
                                  "--token", demo.token("ua/liaison")])
    assert refused.exit_code == 1 and "proposed this version" in refused.output
    cli("ru/liaison", "answer", "ua-op-cli", "--version", "1", "--acknowledge")
    cli("icrc/mediator", "status", "ua-op-cli", "start", "--reason", "The parties asked to start early.")
    cli("icrc/mediator", "move", "ua-op-cli", "departed", "--at", iso(NOW), "--lon", "37.61", "--lat", "47.09",
        "--place", "Azovstal")
    cli("ua/liaison", "outcome", "ua-op-cli", "--moved", "women:Zaporizhzhia:41", "--moved", "children:Zaporizhzhia:19")
    cli("ru/liaison", "outcome", "ua-op-cli", "--moved", "women:Zaporizhzhia:38", "--moved", "children:Zaporizhzhia:19")
    cli("icrc/mediator", "status", "ua-op-cli", "complete")
    shown = cli("icrc/mediator", "show", "ua-op-cli")
    assert "completed" in shown and "not permission" in shown
    women = next(line for line in shown.splitlines() if "women" in line)
    assert "41" in women and "38" in women and "yes" in women
    data = json.loads(cli("ua/registrar", "show", "ua-op-cli", "--json"))
    assert {st["party"]: st["rows_sum"]["text"] for st in data["outcomes"]["statements"]} == {"ru": "57", "ua": "60"}
    # A figure as its source stated it, with the source; a figure that is not one is refused before sending.
    cli("ua/liaison", "outcome", "ua-op-cli", "--moved", "servicemen::>250", "--total", "~300",
        "--source", "named_official", "--speaker", "An invented official", "--stated-on", "2026-05-01")
    stated = json.loads(cli("ua/registrar", "show", "ua-op-cli", "--json"))["outcomes"]
    last = stated["statements"][-1]
    assert last["total"]["text"] == "about 300" and last["source"]["speaker"] == "An invented official"
    row = next(r for r in stated["rows"] if r["category"] == "servicemen")
    assert row["destination"] == "" and row["figures"][-1]["text"] == "more than 250"
    shown = " ".join(cli("ua/registrar", "show", "ua-op-cli").split())
    assert "named official; An invented official; 2026-05-01; unconfirmed" in shown
    wrong = runner.invoke(app, ["outcome", "ua-op-cli", "--moved", "women:Zaporizhzhia:60-50", "--url", url,
                                "--token", demo.token("ua/liaison")])
    assert wrong.exit_code == 2 and "exceeds the upper bound" in wrong.output
    nameless = runner.invoke(app, ["outcome", "ua-op-cli", "--total", "5", "--source", "named_official", "--url", url,
                                   "--token", demo.token("ua/liaison")])
    assert nameless.exit_code == 1 and "official's name" in nameless.output
    # A corridor one side declares on its own, listed apart from the operations.
    corridor = tmp_path / "corridor.json"
    corridor.write_text(json.dumps({"name": "Towards the west", "origin": {"name": "A", "position": [37.6, 47.1]},
                                    "towards": {"name": "B", "position": [37.3, 47.05]},
                                    "source": {"kind": "named_official", "speaker": "An invented spokesman"}}))
    assert "corridor ru-corridor-" in cli("ru/liaison", "declare-corridor", str(corridor))
    assert "nobody else agreed" in " ".join(cli("ua/liaison", "corridors").split())
    listed = json.loads(cli("ua/liaison", "corridors", "--json"))["corridors"]
    assert (listed[0]["name"], listed[0]["party"], listed[0]["source"]["speaker"]) == (
        "Towards the west", "ru", "An invented spokesman")  # newest first, beside the demo's own
    bad = runner.invoke(app, ["status", "ua-op-cli", "resume", "--url", url, "--token", demo.token("icrc/mediator")])
    assert bad.exit_code == 1 and "cannot resume" in bad.output
    # Notice periods are a record only a mediator's admin writes; the new period applies at once.
    assert json.loads(cli("ua/negotiator", "rules"))["notice_hours"] == 48
    denied = runner.invoke(app, ["rules", "--notice-hours", "30", "--url", url, "--token", demo.token("ua/admin")])
    assert denied.exit_code == 1 and "mediator" in denied.output
    cli("icrc/admin", "rules", "--notice-hours", "72")
    short = runner.invoke(app, ["propose", str(plan_file), "--url", url, "--token", demo.token("ua/negotiator")])
    assert short.exit_code == 1 and "[plan.window.start]" in short.output
    assert "the notice period is 72 h" in " ".join(short.output.split())


def test_fetching_the_channel_delivers_it_and_reading_is_a_second_receipt(client, demo):
    h = demo.headers
    r = client.post("/api/operations", json={"plan": plan()}, headers=h("ua/negotiator"))
    op = r.json()["operation"]
    r = client.post(f"/api/operations/{op}/channel", json={"text": "Convoy at the checkpoint"},
                    headers=h("ua/liaison"))
    assert r.status_code == 201, r.text

    def receipts(member: str) -> dict:
        return client.get(f"/api/operations/{op}/channel", headers=h(member)).json()["messages"][0]["receipts"]

    # A registrar of Russia reading the page is not Russia's liaison receiving it: nothing is signed.
    assert "ru" not in receipts("icrc/auditor")
    assert set(receipts("ru/liaison").get("ru", {})) == {"delivered"}
    assert set(receipts("ru/liaison")["ru"]) == {"delivered"}  # once, not again on every fetch
    idx = client.get(f"/api/operations/{op}/channel", headers=h("ru/liaison")).json()["messages"][0]["record"]
    client.post(f"/api/operations/{op}/channel/{idx}/receipts", json={"state": "read"}, headers=h("ru/liaison"))
    assert set(receipts("ua/liaison")["ru"]) == {"delivered", "read"}
