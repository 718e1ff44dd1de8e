"""A revision (``supersedes``) is a new version that needs fresh acknowledgements and cannot drop a party;
status and movement records reach every party concerned; an operation whose window has ended cannot start;
zones already over, duplicate zones, swapped
coordinates and receipts by members who are not liaison officers are refused, and nothing is stored."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from parley.operations.models import ChannelReceipt, OperationAnswer, Zone
from parley.records.compose import compose
from tests.conftest import ORIGIN
from tests.operations.test_lifecycle import AUD, NOW, iso, op, plan, refused, submit

SQUARE = {"type": "Polygon", "coordinates": [[[37.2, 47.0], [37.4, 47.0], [37.4, 47.2], [37.2, 47.2], [37.2, 47.0]]]}


def test_a_revision_is_a_new_version_needing_fresh_acknowledgements(runtime, demo):
    rt = runtime
    submit(rt, demo, "ua/negotiator", "operation.propose", {"operation": "ua-op-rev", "plan": plan()})
    submit(rt, demo, "ru/liaison", "operation.answer",
           {"operation": "ua-op-rev", "version": 1, "answer": "acknowledged"})
    assert op(rt, "ua-op-rev").status == "acknowledged"
    refused(rt, demo, "ua/negotiator", "operation.propose",
            {"operation": "ua-op-rev", "supersedes": 2, "plan": plan(buffer_m=3000)}, 409, "not the current version",
            field="supersedes")
    submit(rt, demo, "ua/negotiator", "operation.propose",
           {"operation": "ua-op-rev", "supersedes": 1, "plan": plan(buffer_m=3000)})
    o = op(rt, "ua-op-rev")
    assert (o.version, o.status) == (2, "proposed")  # Russia's acknowledgement of version 1 does not carry over
    refused(rt, demo, "icrc/mediator", "operation.status", {"operation": "ua-op-rev", "action": "start"}, 409,
            "must be acknowledged")
    submit(rt, demo, "ru/liaison", "operation.answer",
           {"operation": "ua-op-rev", "version": 2, "answer": "acknowledged"})
    assert op(rt, "ua-op-rev").status == "acknowledged"


def test_a_revision_cannot_drop_a_party_or_swap_the_mediator(runtime, demo):
    rt = runtime
    submit(rt, demo, "ua/negotiator", "operation.propose", {"operation": "ua-op-drop", "plan": plan()})
    # Dropping Russia would leave only the proposer, "acknowledged by all" without Russia ever answering.
    refused(rt, demo, "ua/negotiator", "operation.propose",
            {"operation": "ua-op-drop", "supersedes": 1, "plan": plan(parties=["ua"])}, 422, "same parties",
            audience="party:icrc,party:ua", field="plan.parties")
    refused(rt, demo, "ua/negotiator", "operation.propose",
            {"operation": "ua-op-drop", "supersedes": 1, "plan": plan(mediator="un-ocha")}, 422, "same mediator",
            audience="party:icrc,party:ru,party:ua,party:un-ocha", field="plan.mediator")
    refused(rt, demo, "ru/negotiator", "operation.answer",
            {"operation": "ua-op-drop", "version": 1, "answer": "counter", "plan": plan(parties=["ru"])}, 422,
            "same parties", field="plan.parties")
    o = op(rt, "ua-op-drop")
    assert (o.version, o.status, o.party_list) == (1, "proposed", ["ru", "ua"])
    with rt.sessions() as s:
        assert s.get(OperationAnswer, ("ua-op-drop", 1, "ru")) is None


def test_status_and_movements_reach_every_party_concerned(runtime, demo):
    rt = runtime
    submit(rt, demo, "ua/negotiator", "operation.propose", {"operation": "ua-op-aud", "plan": plan()})
    submit(rt, demo, "ru/liaison", "operation.answer",
           {"operation": "ua-op-aud", "version": 1, "answer": "acknowledged"})
    refused(rt, demo, "icrc/mediator", "operation.status", {"operation": "ua-op-aud", "action": "start"}, 422,
            "must include party 'ru'", audience="party:icrc,party:ua", field="audience")
    submit(rt, demo, "icrc/mediator", "operation.status",
           {"operation": "ua-op-aud", "action": "start", "reason": "The parties asked to start early."})
    refused(rt, demo, "icrc/mediator", "operation.movement",
            {"operation": "ua-op-aud", "event": "departed", "at": iso(NOW)}, 422, "must include party 'ua'",
            audience="party:icrc,party:ru", field="audience")


def test_zones_already_over_or_declared_twice_are_refused(runtime, demo):
    rt = runtime
    zone = {"id": "ru-z-past", "kind": "mined", "name": "Cleared last week", "geometry": SQUARE,
            "valid_from": iso(NOW - timedelta(days=9)), "valid_until": iso(NOW - timedelta(days=2))}
    refused(rt, demo, "ru/liaison", "zone.declare", zone, 422, "ended before it was declared", audience="all",
            field="valid_until")
    ok = {**zone, "id": "ru-z-now", "valid_until": iso(NOW + timedelta(days=2))}  # begun in the past: accepted
    submit(rt, demo, "ru/liaison", "zone.declare", ok, audience="all")
    refused(rt, demo, "ru/negotiator", "zone.declare", {**ok, "name": "Another"}, 409, "already declared",
            audience="all", field="id")
    # Another party cannot pick an id in Russia's namespace, taken or not.
    refused(rt, demo, "ua/liaison", "zone.declare", {**ok, "name": "Another"}, 422, "starts with your party's slug",
            audience="all", field="id")
    with rt.sessions() as s:
        assert s.get(Zone, "ru-z-past") is None and s.get(Zone, "ru-z-now").party == "ru"


def test_coordinates_in_the_wrong_order_but_in_range_are_refused(runtime, demo):
    # [47.0967, 37.6122] is a valid position in Iran; in the demo's area of operations it is a swapped pair.
    swapped = [47.0967, 37.6122]
    p = plan(route={"type": "LineString", "coordinates": [swapped, [47.8388, 35.1396]]},
             origin={"name": "Azovstal", "position": swapped},
             destination={"name": "Zaporizhzhia", "position": [47.8388, 35.1396]})
    err = refused(runtime, demo, "ua/negotiator", "operation.propose", {"operation": "ua-op-swap", "plan": p}, 422,
                  "swapped", field="plan.origin.position")
    assert "longitude first" in err.message
    zone = {"id": "ua-z-swap", "kind": "no_go", "name": "Swapped", "valid_from": iso(NOW),
            "valid_until": iso(NOW + timedelta(days=1)),
            "geometry": {"type": "Polygon", "coordinates": [[[47.0, 37.2], [47.2, 37.2], [47.2, 37.4], [47.0, 37.2]]]}}
    refused(runtime, demo, "ua/liaison", "zone.declare", zone, 422, "swapped", audience="all", field="geometry")


def test_only_liaison_officers_and_negotiators_give_receipts(runtime, demo):
    rt = runtime
    submit(rt, demo, "ua/negotiator", "operation.propose", {"operation": "ua-op-rcpt", "plan": plan()})
    r = submit(rt, demo, "ua/liaison", "channel.post", {"operation": "ua-op-rcpt", "text": "Ready?", "urgent": True})
    # An auditor of the mediator or a registrar has not read the message for its party.
    refused(rt, demo, "icrc/auditor", "channel.receipt", {"message": r.index, "state": "read"}, 403, "role")
    refused(rt, demo, "ru/registrar", "channel.receipt", {"message": r.index, "state": "read"}, 403, "role")
    submit(rt, demo, "ru/liaison", "channel.receipt", {"message": r.index, "state": "delivered"}, audience=AUD)
    with rt.sessions() as s:
        rows = s.execute(select(ChannelReceipt.party, ChannelReceipt.state)
                         .where(ChannelReceipt.message == r.index)).all()
    assert rows == [("ru", "delivered")]


def test_an_operation_whose_window_has_ended_cannot_start(runtime, demo):
    # Proposed and acknowledged 100 hours ago (a historical import) for a window that ended 40 hours ago.
    then = NOW - timedelta(hours=100)
    p = {"operation": "ua-op-late", "plan": plan(window={"start": iso(NOW - timedelta(hours=50)),
                                                     "end": iso(NOW - timedelta(hours=40))})}
    ack = {"operation": "ua-op-late", "version": 1, "answer": "acknowledged"}
    notes = [(compose(demo.signer("ua/negotiator"), origin=ORIGIN, kind="operation.propose", audience=AUD,
                      payload=p, time=then), p),
             (compose(demo.signer("ru/liaison"), origin=ORIGIN, kind="operation.answer", audience=AUD,
                      payload=ack, time=then + timedelta(hours=1)), ack)]
    runtime.pipeline.submit_many(notes, replay=True)
    assert op(runtime, "ua-op-late").status == "acknowledged"
    refused(runtime, demo, "icrc/mediator", "operation.status", {"operation": "ua-op-late", "action": "start"}, 409,
            "window acknowledged for this operation ended", field="action")
    assert op(runtime, "ua-op-late").status == "acknowledged"


def test_the_timeline_reads_in_the_order_things_happened(runtime, demo):
    """A departure reported a few minutes ahead is where it happened on the timeline, and no later movement can
    be dated before it; a status written after a movement it precedes in time is shown before it."""
    from parley.operations import service as svc
    from parley.parties.principal import load_principal

    rt = runtime
    submit(rt, demo, "ua/negotiator", "operation.propose", {"operation": "ua-op-order", "plan": plan()})
    submit(rt, demo, "ru/liaison", "operation.answer",
           {"operation": "ua-op-order", "version": 1, "answer": "acknowledged"})
    submit(rt, demo, "icrc/mediator", "operation.status",
           {"operation": "ua-op-order", "action": "start", "reason": "Both sides asked to begin at once"})
    base = {"operation": "ua-op-order", "position": [37.6122, 47.0967]}
    submit(rt, demo, "icrc/mediator", "operation.movement",
           {**base, "event": "checkpoint_passed", "at": iso(NOW - timedelta(minutes=30)), "place": "before"})
    submit(rt, demo, "icrc/mediator", "operation.movement",
           {**base, "event": "departed", "at": iso(NOW + timedelta(minutes=6)), "place": "Azovstal"})
    refused(rt, demo, "ua/liaison", "operation.movement",
            {**base, "event": "checkpoint_passed", "at": iso(NOW + timedelta(minutes=2))}, 422,
            "departed at", field="at")
    submit(rt, demo, "ua/liaison", "operation.movement",
           {**base, "event": "arrived", "at": iso(NOW + timedelta(minutes=8)), "place": "Zaporizhzhia"})
    with rt.sessions() as s:
        who = load_principal(s, "ua/negotiator")
        o = svc.operation(s, who, "ua-op-order")
        events = [(e.event, e.place) for e in svc.timeline(s, who, o)]
        times = [e.at for e in svc.timeline(s, who, o)]
    assert times == sorted(times)
    moved = [e for e in events if e[0] in ("checkpoint_passed", "departed", "arrived")]
    assert moved == [("checkpoint_passed", "before"), ("departed", "Azovstal"), ("arrived", "Zaporizhzhia")]
