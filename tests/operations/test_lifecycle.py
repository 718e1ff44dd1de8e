"""Operations on the one write path: propose, answer, counter, start, move, complete, report outcomes and
incidents; every refusal leaves nothing behind. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from parley.errors import ParleyError
from parley.log.models import LogEntry
from parley.operations.models import (
    ChannelReceipt, Incident, Operation, OperationAnswer, OperationEvent, OperationVersion, OutcomeFigure, Zone,
)
from parley.records.compose import compose
from tests.conftest import ORIGIN

AUD = "party:icrc,party:ru,party:ua"
NOW = datetime.now(UTC).replace(microsecond=0)


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def plan(**over: Any) -> dict[str, Any]:
    start = NOW + timedelta(hours=72)
    p = {
        "kind": "evacuation", "title": "Evacuation of civilians, Mariupol to Zaporizhzhia", "mediator": "icrc",
        "parties": ["ru", "ua"],
        "route": {"type": "LineString", "coordinates": [[37.6122, 47.0967], [37.3003, 47.0558], [36.7903, 46.7558],
                                                         [35.1396, 47.8388]]},
        "origin": {"name": "Azovstal", "position": [37.6122, 47.0967]},
        "destination": {"name": "Zaporizhzhia", "position": [35.1396, 47.8388]},
        "waypoints": [{"name": "Manhush", "position": [37.3003, 47.0558]}],
        "window": {"start": iso(start), "end": iso(start + timedelta(hours=36))},
        "time_zone": "Europe/Kyiv", "buffer_m": 2000,
        "convoy": {"vehicles": 12, "description": "buses and ambulances", "markings": "ICRC emblem, white flags"},
        "expected": {"women": 40, "children": 20, "elderly": 30},
    }
    p.update(over)
    return p


def submit(rt, demo, who: str, kind: str, payload: Any, audience: str = AUD, time: datetime | None = None):
    note = compose(demo.signer(who), origin=ORIGIN, kind=kind, audience=audience, payload=payload, time=time)
    return rt.pipeline.submit(note, payload)


def refused(rt, demo, who, kind, payload, status: int, words: str, audience: str = AUD, field: str | None = None):
    with rt.sessions() as s:
        n = s.scalar(select(func.count()).select_from(LogEntry))
    with pytest.raises(ParleyError) as err:
        submit(rt, demo, who, kind, payload, audience)
    assert err.value.status == status, err.value.message
    assert words in err.value.message, err.value.message
    if field is not None:
        assert err.value.field == field
    with rt.sessions() as s:
        assert s.scalar(select(func.count()).select_from(LogEntry)) == n, "a refused record was stored"
    return err.value


def op(rt, op_id: str) -> Operation:
    with rt.sessions() as s:
        o = s.get(Operation, op_id)
        assert o is not None
        s.expunge(o)
        return o


def test_full_lifecycle(runtime, demo):
    rt = runtime
    submit(rt, demo, "ua/negotiator", "operation.propose", {"operation": "ua-op-1", "plan": plan()})
    assert op(rt, "ua-op-1").status == "proposed"
    # The proposer's own party needs no acknowledgement; Russia's answer is awaited.
    submit(rt, demo, "ru/liaison", "operation.answer", {"operation": "ua-op-1", "version": 1, "answer": "acknowledged"})
    o = op(rt, "ua-op-1")
    assert o.status == "acknowledged"
    # Its window opens in 72 hours: starting before it needs a reason, which goes on the record and the timeline.
    refused(rt, demo, "icrc/mediator", "operation.status", {"operation": "ua-op-1", "action": "start"}, 422,
            "starting before it needs a reason", field="reason")
    submit(rt, demo, "icrc/mediator", "operation.status", {"operation": "ua-op-1", "action": "start",
                                                           "reason": "The convoy is ready and both sides agreed"})
    with rt.sessions() as s:
        notes = s.execute(select(OperationEvent.note).where(OperationEvent.operation == "ua-op-1",
                                                            OperationEvent.event == "under_way")).scalars().all()
    assert notes == ["The convoy is ready and both sides agreed"]
    submit(rt, demo, "icrc/mediator", "operation.movement",
           {"operation": "ua-op-1", "event": "departed", "at": iso(NOW), "position": [37.6122, 47.0967],
            "place": "Azovstal"})
    submit(rt, demo, "ua/liaison", "operation.outcome",
           {"operation": "ua-op-1", "moved": [{"category": "women", "destination": "Zaporizhzhia", "count": 41},
                                           {"category": "children", "destination": "Zaporizhzhia", "count": 19}]})
    submit(rt, demo, "ru/liaison", "operation.outcome",
           {"operation": "ua-op-1", "moved": [{"category": "women", "destination": "Zaporizhzhia", "count": 38},
                                           {"category": "children", "destination": "Bezimenne", "count": 3}]})
    submit(rt, demo, "icrc/mediator", "operation.status", {"operation": "ua-op-1", "action": "complete"})
    assert op(rt, "ua-op-1").status == "completed"
    with rt.sessions() as s:
        figures = s.execute(select(OutcomeFigure.party, OutcomeFigure.category, OutcomeFigure.count)
                            .where(OutcomeFigure.operation == "ua-op-1")
                            .order_by(OutcomeFigure.party, OutcomeFigure.category)).all()
        assert figures == [("ru", "children", 3), ("ru", "women", 38), ("ua", "children", 19), ("ua", "women", 41)]
        events = s.execute(select(OperationEvent.event).where(OperationEvent.operation == "ua-op-1")
                           .order_by(OperationEvent.idx, OperationEvent.seq)).scalars().all()
        assert events == ["proposed", "answer_acknowledged", "acknowledged", "under_way", "departed",
                          "outcome_reported", "outcome_reported", "completed"]
    # Answers are closed once the operation is completed.
    refused(rt, demo, "ru/liaison", "operation.answer",
            {"operation": "ua-op-1", "version": 1, "answer": "declined", "reason": "late"}, 409, "answers are closed")


def test_counter_proposal_needs_fresh_acknowledgements(runtime, demo):
    rt = runtime
    submit(rt, demo, "icrc/mediator", "operation.propose", {"operation": "icrc-op-2", "plan": plan()})
    submit(rt, demo, "ua/liaison", "operation.answer",
           {"operation": "icrc-op-2", "version": 1, "answer": "acknowledged"})
    assert op(rt, "icrc-op-2").status == "proposed"  # Russia has not answered
    later = plan(buffer_m=3000)
    submit(rt, demo, "ru/negotiator", "operation.answer",
           {"operation": "icrc-op-2", "version": 1, "answer": "counter", "reason": "wider buffer", "plan": later})
    o = op(rt, "icrc-op-2")
    assert (o.version, o.status) == (2, "proposed")
    # Ukraine's acknowledgement of version 1 does not carry over; answering version 1 now is refused.
    refused(rt, demo, "ua/liaison", "operation.answer",
            {"operation": "icrc-op-2", "version": 1, "answer": "acknowledged", "reason": "again"}, 409,
            "not the current version")
    submit(rt, demo, "ua/liaison", "operation.answer",
           {"operation": "icrc-op-2", "version": 2, "answer": "acknowledged"})
    assert op(rt, "icrc-op-2").status == "acknowledged"
    with rt.sessions() as s:
        answers = s.execute(select(OperationAnswer.version, OperationAnswer.party, OperationAnswer.answer)
                            .where(OperationAnswer.operation == "icrc-op-2")
                            .order_by(OperationAnswer.version, OperationAnswer.party)).all()
        assert answers == [(1, "ru", "counter"), (1, "ua", "acknowledged"), (2, "ru", "proposer"),
                           (2, "ua", "acknowledged")]
        assert s.get(OperationVersion, ("icrc-op-2", 2)).counter_to == 1


def test_a_decline_blocks_the_start(runtime, demo):
    rt = runtime
    submit(rt, demo, "ua/negotiator", "operation.propose", {"operation": "ua-op-3", "plan": plan()})
    refused(rt, demo, "ru/liaison", "operation.answer", {"operation": "ua-op-3", "version": 1, "answer": "declined"},
            422, "reason")
    # The same signed answer sent twice is one record with one receipt, not a second answer.
    payload = {"operation": "ua-op-3", "version": 1, "answer": "declined", "reason": "route crosses active fighting"}
    note = compose(demo.signer("ru/liaison"), origin=ORIGIN, kind="operation.answer", audience=AUD, payload=payload)
    first, again = rt.pipeline.submit(note, payload), rt.pipeline.submit(note, payload)
    assert not first.duplicate and again.duplicate and again.index == first.index
    refused(rt, demo, "icrc/mediator", "operation.status", {"operation": "ua-op-3", "action": "start"}, 409,
            "must be acknowledged", field="action")
    refused(rt, demo, "ru/liaison", "operation.answer",
            {"operation": "ua-op-3", "version": 1, "answer": "acknowledged"},
            409, "already answered")



def test_bad_geometry_and_windows_are_refused_and_nothing_is_stored(runtime, demo):
    rt = runtime
    who, kind = "ua/negotiator", "operation.propose"
    bowtie = {"type": "Polygon",
              "coordinates": [[[37.0, 47.0], [37.5, 47.5], [37.5, 47.0], [37.0, 47.5], [37.0, 47.0]]]}
    cases = [
        (plan(area=bowtie, route=None), "Self-intersection", "plan.area"),
        (plan(area={"type": "Polygon", "coordinates": [[[37.0, 47.0], [37.5, 47.5], [37.5, 47.0], [37.1, 47.0]]]},
              route=None), "not closed", "plan.area"),
        (plan(route={"type": "LineString", "coordinates": [[37.6, 47.1], [37.3, 95.0]]}), "outside -90..90",
         "plan.route"),
        (plan(route={"type": "LineString", "coordinates": [[37.6, 47.1]] * 2}), "two distinct", "plan.route"),
        (plan(route={"type": "LineString", "coordinates": [[37.0 + i * 1e-4, 47.0] for i in range(6000)]}),
         "at most", "plan.route"),
        (plan(window={"start": iso(NOW + timedelta(hours=80)), "end": iso(NOW + timedelta(hours=79))}),
         "ends before it starts", "plan.window.end"),
        (plan(window={"start": iso(NOW - timedelta(hours=5)), "end": iso(NOW + timedelta(hours=5))}),
         "in the past", "plan.window.start"),
        (plan(window={"start": iso(NOW + timedelta(hours=10)), "end": iso(NOW + timedelta(hours=20))}),
         "notice period is 48 h", "plan.window.start"),
        (plan(time_zone="Mars/Olympus"), "unknown time zone", None),
        (plan(mediator="ua"), "not a mediator", "plan.mediator"),
        (plan(parties=["ru", "tr"]), "not a belligerent", "plan.parties.1"),
        (plan(route=None), "route, an area", None),
    ]
    for payload_plan, words, field in cases:
        status = 422
        refused(rt, demo, who, kind, {"operation": "ua-op-bad", "plan": payload_plan}, status, words, field=field)
    # Emergency operations have the shorter notice period.
    submit(rt, demo, who, kind, {"operation": "ua-op-urgent", "plan": plan(
        emergency=True, window={"start": iso(NOW + timedelta(hours=25)), "end": iso(NOW + timedelta(hours=30))})})
    with rt.sessions() as s:
        assert s.get(Operation, "ua-op-bad") is None
        v = s.get(OperationVersion, ("ua-op-urgent", 1))
        assert v.answer_by == v.proposed_at + timedelta(hours=6)


def test_parties_roles_and_audience(runtime, demo):
    rt = runtime
    refused(rt, demo, "ua/negotiator", "operation.propose", {"operation": "ua-op-4", "plan": plan()}, 422,
            "must include party 'ru'", audience="party:icrc,party:ua")
    refused(rt, demo, "tr/observer", "operation.propose", {"operation": "tr-op-4", "plan": plan()}, 403,
            "organising mediator or a party concerned")
    # A new operation's id lies in its proposer's party's namespace.
    refused(rt, demo, "ua/negotiator", "operation.propose", {"operation": "op-4", "plan": plan()}, 422,
            "starts with your party's slug", field="operation")
    refused(rt, demo, "ua/registrar", "operation.propose", {"operation": "ua-op-4", "plan": plan()}, 403, "role")
    submit(rt, demo, "ua/negotiator", "operation.propose", {"operation": "ua-op-4", "plan": plan()})
    refused(rt, demo, "ua/negotiator", "operation.propose", {"operation": "ua-op-4", "plan": plan(buffer_m=500)}, 409,
            "already exists")
    # An observer may not read the operation: answering it is refused as for one that does not exist.
    refused(rt, demo, "tr/observer", "operation.answer",
            {"operation": "ua-op-4", "version": 1, "answer": "acknowledged"},
            404, "no operation 'ua-op-4'", field="operation")
    refused(rt, demo, "ua/liaison", "operation.answer",
            {"operation": "ua-op-4", "version": 1, "answer": "acknowledged"},
            409, "proposed this version")
    refused(rt, demo, "ua/negotiator", "operation.status", {"operation": "ua-op-4", "action": "abort", "reason": "x"},
            403, "only the organising mediator")
    refused(rt, demo, "icrc/mediator", "operation.movement",
            {"operation": "ua-op-4", "event": "departed", "at": iso(NOW)}, 409, "under way")
    refused(rt, demo, "icrc/mediator", "operation.status", {"operation": "ua-op-4", "action": "abort"}, 422, "say why")
    submit(rt, demo, "icrc/mediator", "operation.status",
           {"operation": "ua-op-4", "action": "abort", "reason": "no agreement"})
    refused(rt, demo, "ru/liaison", "operation.answer",
            {"operation": "ua-op-4", "version": 1, "answer": "acknowledged"},
            409, "aborted")


def test_incidents_keep_each_sides_account(runtime, demo):
    rt = runtime
    base = {"at": iso(NOW - timedelta(hours=1)), "position": [37.6122, 47.0967], "place": "Azovstal",
            "type": "shelling", "observed": "heard", "direction_deg": 90, "distance_m": 1500,
            "casualties": {"wounded": 2}}
    submit(rt, demo, "ua/liaison", "incident.report", {"id": "ua-inc-1", **base}, audience="all")
    submit(rt, demo, "ru/liaison", "incident.report",
           {"id": "ru-inc-1", "account_of": "ua-inc-1", **base, "type": "small_arms_fire", "observed": "reported",
            "casualties": {}}, audience="all")
    refused(rt, demo, "ua/negotiator", "incident.report", {"id": "ua-inc-2", "account_of": "ua-inc-1", **base}, 409,
            "one account", audience="all")
    refused(rt, demo, "ua/negotiator", "incident.report", {"id": "ua-inc-1", **base}, 409, "already recorded",
            audience="all")
    refused(rt, demo, "ua/negotiator", "incident.report",
            {"id": "ua-inc-3", **base, "at": iso(NOW + timedelta(hours=2))}, 422, "before it happens", audience="all")
    refused(rt, demo, "ua/negotiator", "incident.report", {"id": "ua-inc-3", **base, "position": [200, 47]}, 422,
            "longitude", audience="all")
    with rt.sessions() as s:
        rows = s.execute(select(Incident.id, Incident.party, Incident.type).where(Incident.id.like("%-inc-%"))
                         .order_by(Incident.idx)).all()
        assert rows == [("ua-inc-1", "ua", "shelling"), ("ru-inc-1", "ru", "small_arms_fire")]


def test_zones_and_channel_receipts(runtime, demo):
    rt = runtime
    square = {"type": "Polygon",
              "coordinates": [[[37.2, 47.0], [37.4, 47.0], [37.4, 47.2], [37.2, 47.2], [37.2, 47.0]]]}
    zone = {"id": "ru-z-1", "kind": "mined", "name": "Mined fields west of Manhush", "geometry": square,
            "valid_from": iso(NOW), "valid_until": iso(NOW + timedelta(days=30))}
    submit(rt, demo, "ru/liaison", "zone.declare", zone, audience="party:ru,party:icrc")
    bad = copy.deepcopy(zone)
    bad["id"], bad["valid_until"] = "ru-z-2", iso(NOW - timedelta(days=1))
    refused(rt, demo, "ru/liaison", "zone.declare", bad, 422, "ends before it starts", audience="party:ru")
    # Ukraine may not read Russia's zone: withdrawing it is refused as for a zone that does not exist.
    refused(rt, demo, "ua/liaison", "zone.withdraw", {"id": "ru-z-1"}, 404, "no zone 'ru-z-1'", field="id")
    refused(rt, demo, "ua/liaison", "zone.withdraw", {"id": "ru-z-9"}, 404, "no zone 'ru-z-9'", field="id")
    submit(rt, demo, "ua/negotiator", "operation.propose", {"operation": "ua-op-5", "plan": plan()})
    r = submit(rt, demo, "ua/liaison", "channel.post", {"operation": "ua-op-5", "text": "Convoy ready", "urgent": True})
    refused(rt, demo, "ua/liaison", "channel.receipt", {"message": r.index, "state": "read"}, 403, "recipient")
    submit(rt, demo, "ru/liaison", "channel.receipt", {"message": r.index, "state": "read"})
    refused(rt, demo, "ru/liaison", "channel.receipt", {"message": r.index, "state": "delivered"}, 409, "already")
    with rt.sessions() as s:
        states = s.execute(select(ChannelReceipt.party, ChannelReceipt.state).where(ChannelReceipt.message == r.index)
                           .order_by(ChannelReceipt.state)).all()
        assert states == [("ru", "delivered"), ("ru", "read")]
        assert s.get(Zone, "ru-z-1").party == "ru"
