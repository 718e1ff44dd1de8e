"""Standing channels: the "channels of communication and interaction" of 3 March 2022, not tied to one operation —
between designated members of two parties, belonging to a talks process or standing alone, with delivery and read
receipts, urgent messages, and escalation to the mediator when an urgent message is not read in time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from parley.errors import Unprocessable
from parley.operations.kinds import KIND
from parley.records.compose import compose
from parley.records.kinds import parse_payload
from tests.conftest import ORIGIN
from tests.operations.test_api import live  # noqa: F401 — the live server fixture
from tests.operations.test_lifecycle import NOW

LINE = {"title": "Liaison line", "parties": ["ua", "ru"], "members": ["ua/liaison", "ru/liaison"],
        "mediator": "icrc", "urgent_read_minutes": 30}
AUD = ["party:icrc", "party:ru", "party:ua"]


def ok(r: Any) -> dict[str, Any]:
    assert r.status_code in (200, 201), r.text
    return dict(r.json())


def test_a_standing_channel_of_a_process_with_receipts_and_escalation(runtime, demo, client):
    h = demo.headers
    p = ok(client.post("/api/talks/processes", json={"process": {
        "title": "Talks", "format": "official_talks", "parties": ["ua", "ru"], "mediators": ["icrc"]}},
        headers=h("ua/negotiator")))["id"]
    cid = ok(client.post("/api/channels", json={"channel": {**LINE, "process": p}}, headers=h("icrc/mediator")))[
        "channel"]
    assert cid.startswith("icrc-channel-")
    listed = client.get("/api/channels", headers=h("ru/liaison")).json()["channels"]
    assert [(c["id"], c["process"], c["members"]) for c in listed] == [(cid, p, ["ua/liaison", "ru/liaison"])]
    # Only designated members (and the mediator) post; the channel takes its own audience.
    r = client.post(f"/api/channels/{cid}/messages", json={"text": "x"}, headers=h("ua/negotiator"))
    assert r.status_code == 403 and r.json()["code"] == "channel.standing_who", r.text
    # An urgent message written an hour ago, unread: escalated to the mediator, not to anyone else.
    msg = {"channel": cid, "text": "Confirm the ceasefire holds on your side", "urgent": True}
    note = compose(demo.signer("ua/liaison"), origin=ORIGIN, kind="channel.post", audience=",".join(AUD),
                   payload=msg, time=NOW - timedelta(hours=1))
    idx = runtime.pipeline.submit_many([(note, msg)], replay=True)[0].index
    esc = client.get("/api/escalations", headers=h("icrc/mediator")).json()["escalations"]
    assert [(e["kind"], e["channel"], e["operation"], e["party"]) for e in esc] == \
        [("unread_urgent", cid, None, "ru")]
    assert client.get("/api/escalations", headers=h("ua/liaison")).json()["escalations"] == []
    # Fetching the channel as a designated member of the recipient delivers it; reading it clears the escalation.
    got = client.get(f"/api/channels/{cid}", headers=h("ru/liaison")).json()
    assert got["messages"][0]["overdue"] and set(got["messages"][0]["receipts"]["ru"]) == {"delivered"}
    r = client.post(f"/api/channels/{cid}/messages/{idx}/receipts", json={"state": "read"}, headers=h("ru/negotiator"))
    assert r.status_code == 403, r.text  # not a designated member
    ok(client.post(f"/api/channels/{cid}/messages/{idx}/receipts", json={"state": "read"}, headers=h("ru/liaison")))
    assert client.get("/api/escalations", headers=h("icrc/mediator")).json()["escalations"] == []
    ok(client.post(f"/api/channels/{cid}/messages", json={"text": "It holds.", "urgent": False},
                   headers=h("ru/liaison")))
    msgs = client.get(f"/api/channels/{cid}", headers=h("icrc/mediator")).json()["messages"]
    assert [(m["party"], m["recipients"]) for m in msgs] == [("ua", ["ru"]), ("ru", ["ua"])]


def test_a_line_with_no_mediator_escalates_to_its_own_members(runtime, demo, client):
    h = demo.headers
    line = {"title": "Military line", "parties": ["ua", "ru"], "members": ["ua/negotiator", "ru/negotiator"]}
    cid = ok(client.post("/api/channels", json={"channel": line, "audience": ["party:ru", "party:ua"]},
                         headers=h("ua/negotiator")))["channel"]
    assert client.get(f"/api/channels/{cid}", headers=h("un-ocha/liaison")).status_code == 200  # mediators read
    msg = {"channel": cid, "text": "Urgent", "urgent": True}
    note = compose(demo.signer("ua/negotiator"), origin=ORIGIN, kind="channel.post", audience="party:ru,party:ua",
                   payload=msg, time=NOW - timedelta(hours=2))
    runtime.pipeline.submit_many([(note, msg)], replay=True)
    esc = client.get("/api/escalations", headers=h("ua/negotiator")).json()["escalations"]
    assert [(e["channel"], e["party"]) for e in esc] == [(cid, "ru")]
    assert client.get("/api/escalations", headers=h("icrc/mediator")).json()["escalations"] == []


def test_malformed_channels_are_refused(client, demo):
    h = demo.headers
    cases = [
        ({**LINE, "members": ["ua/liaison", "tr/observer"]}, 422, "channel.member"),
        ({**LINE, "members": ["ua/liaison", "ru/registrar"]}, 422, "channel.member_role"),
        ({**LINE, "members": ["ua/liaison", "icrc/mediator"]}, 422, "channel.side"),
        ({**LINE, "parties": ["ua", "icrc"]}, 422, "operation.not_a_belligerent"),
        ({**LINE, "process": "ua-talks-none"}, 404, "operation.process_not_found"),
        ({**LINE, "members": ["ua/liaison", "ua/liaison"]}, 422, "record.payload_invalid"),
    ]
    for body, status, code in cases:
        r = client.post("/api/channels", json={"channel": body}, headers=h("icrc/mediator"))
        assert (r.status_code, r.json().get("code")) == (status, code), (body, r.text)
    r = client.post("/api/channels", json={"channel": LINE}, headers=h("un-ocha/liaison"))
    assert r.status_code == 403 and r.json()["code"] == "channel.open_who", r.text
    # A message names an operation or a channel, not both and not neither.
    for both in ({"text": "x"}, {"text": "x", "operation": "ua-op-1", "channel": "ua-channel-1"}):
        with pytest.raises(Unprocessable) as err:
            parse_payload(KIND["channel.post"], both)
        assert err.value.params["reason"] == "channel.one"


def test_standing_channels_from_the_command_line(live):  # noqa: F811 — the fixture imported above
    from typer.testing import CliRunner

    from parley.operations.cli import channel_app

    url, demo = live
    runner = CliRunner()

    def cli(member: str, *args: str) -> str:
        r = runner.invoke(channel_app, [*args, "--url", url, "--token", demo.token(member)])
        assert r.exit_code == 0, r.output
        return r.output

    opened = cli("icrc/mediator", "open", "Liaison line", "--parties", "ua,ru", "--members", "ua/liaison,ru/liaison",
                 "--mediator", "icrc", "--urgent-minutes", "20")
    cid = opened.split()[1]
    assert cid.startswith("icrc-channel-")
    assert cid in cli("ru/liaison", "standing")
    cli("ua/liaison", "say", cid, "Convoy waits at the bridge", "--urgent")
    shown = " ".join(cli("ru/liaison", "read", cid, "--mark").split())
    assert "Convoy waits at the bridge" in shown and "URGENT" in shown
    assert "ru: read" in " ".join(cli("ua/liaison", "read", cid).split())
    r = runner.invoke(channel_app, ["say", cid, "x", "--url", url, "--token", demo.token("ru/negotiator")])
    assert r.exit_code != 0 and "designated members" in r.output
