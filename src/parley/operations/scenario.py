"""The demo's humanitarian operations, reconstructed from the public reports in the seed articles:

* the UN/ICRC evacuation of civilians from the Azovstal steel works and Mariupol, 29 April – 3 May 2022;
* the second evacuation in the first week of May; on 7 May Ukraine's Deputy Prime Minister stated that
  all women, children and the elderly had been brought out of the plant; shelling of the plant resumed;
* the evacuation of wounded servicemen from Azovstal on 16–17 May 2022: 53 seriously wounded to a
  medical facility in Novoazovsk and 211 to Olenivka (the Ukrainian figures); the Russian defence
  ministry announced 265, of whom 51 seriously wounded. Each side's count is kept as its own record.

Figures not given in the reports are not invented: where a public figure had no breakdown by
category it is entered as "other civilians" with a note. Coordinates are real, to about 1 km. Every
member named in the demo is invented. Times are UTC (Kyiv was UTC+3 in May 2022).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

Add = Callable[..., int]

AZOVSTAL = [37.6122, 47.0967]
MARIUPOL = [37.5434, 47.0971]
MANHUSH = [37.3003, 47.0558]
BERDIANSK = [36.7845, 46.7553]
TOKMAK = [35.7053, 47.2551]
VASYLIVKA = [35.2789, 47.4372]
ZAPORIZHZHIA = [35.1396, 47.8388]
BEZIMENNE = [37.9478, 47.1075]
NOVOAZOVSK = [38.0803, 47.1146]
OLENIVKA = [37.6864, 47.8375]
ALL_SIDES = "party:icrc,party:ru,party:ua,party:un-ocha"
REGION = [22.0, 44.0, 41.0, 53.0]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _plan(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"parties": ["ru", "ua"], "time_zone": "Europe/Kyiv", "waypoints": [],
                            "convoy": {"vehicles": 0, "description": "", "markings": ""}}
    base.update(kw)
    return base


def records(add: Add) -> None:
    """Append the operations scenario through ``add(author, kind, audience, payload, time)``, which returns
    the record's index in the log."""
    add("icrc/admin", "operation.rules", "all", {
        "notice_hours": 48, "emergency_notice_hours": 24, "answer_hours": 24, "emergency_answer_hours": 6,
        "urgent_read_minutes": 30, "region": REGION}, at("2022-03-04T10:00:00"))
    add("icrc/mediator", "zone.declare", "all", {
        "id": "icrc-mariupol-hostilities", "kind": "active_hostilities", "name": "Mariupol: encircled city",
        "geometry": {"type": "Polygon", "coordinates": [[
            [37.45, 47.03], [37.70, 47.03], [37.70, 47.17], [37.45, 47.17], [37.45, 47.03]]]},
        "valid_from": "2022-03-02T00:00:00Z", "valid_until": "2022-05-21T00:00:00Z",
        "note": "Area of active hostilities as known to the mediator; operations here need a local ceasefire."},
        at("2022-03-05T09:00:00"))

    # 1. UN/ICRC evacuation of civilians from Azovstal, 29 April – 3 May 2022.
    op1 = "un-ocha-azovstal-civilians-1"
    add("un-ocha/liaison", "operation.propose", ALL_SIDES, {"operation": op1, "plan": _plan(
        kind="evacuation", title="Evacuation of civilians from Azovstal and Mariupol to Zaporizhzhia",
        mediator="un-ocha",
        route={"type": "LineString", "coordinates": [AZOVSTAL, MARIUPOL, MANHUSH, BERDIANSK, TOKMAK, VASYLIVKA,
                                                     ZAPORIZHZHIA]},
        origin={"name": "Azovstal iron and steel works, Mariupol", "position": AZOVSTAL},
        destination={"name": "Zaporizhzhia", "position": ZAPORIZHZHIA},
        waypoints=[{"name": "Manhush", "position": MANHUSH}, {"name": "Berdiansk", "position": BERDIANSK},
                   {"name": "Vasylivka", "position": VASYLIVKA}],
        window={"start": "2022-04-29T12:00:00Z", "end": "2022-05-03T18:00:00Z"}, buffer_m=2000,
        convoy={"vehicles": 0, "description": "UN and ICRC vehicles with buses",
                "markings": "UN and Red Cross emblems"},
        notes="Agreed in principle on 26 April 2022; carried out by the UN and the ICRC.")},
        at("2022-04-27T12:00:00"))
    add("ua/liaison", "operation.answer", ALL_SIDES,
        {"operation": op1, "version": 1, "answer": "acknowledged"}, at("2022-04-28T06:00:00"))
    add("ru/liaison", "operation.answer", ALL_SIDES,
        {"operation": op1, "version": 1, "answer": "acknowledged"}, at("2022-04-28T09:00:00"))
    add("un-ocha/liaison", "operation.status", ALL_SIDES, {"operation": op1, "action": "start"},
        at("2022-04-29T12:30:00"))
    add("un-ocha/liaison", "operation.movement", ALL_SIDES, {
        "operation": op1, "event": "departed", "at": "2022-04-30T08:00:00Z", "position": AZOVSTAL,
        "place": "Azovstal", "note": "First civilians leave the plant's shelters."}, at("2022-04-30T08:05:00"))
    add("un-ocha/liaison", "operation.movement", ALL_SIDES, {
        "operation": op1, "event": "checkpoint_passed", "at": "2022-05-01T10:00:00Z", "position": BEZIMENNE,
        "place": "Bezimenne", "note": "Convoy held at the reception point."}, at("2022-05-01T10:10:00"))
    add("un-ocha/liaison", "operation.movement", ALL_SIDES, {
        "operation": op1, "event": "arrived", "at": "2022-05-03T12:00:00Z", "position": ZAPORIZHZHIA,
        "place": "Zaporizhzhia"}, at("2022-05-03T12:10:00"))
    add("un-ocha/liaison", "operation.outcome", ALL_SIDES, {"operation": op1, "moved": [
        {"category": "other_civilians", "destination": "Zaporizhzhia", "count": 127}],
        "note": "UN figure: 101 civilians left the plant and 58 joined in Manhush; 127 reached Zaporizhzhia, "
                "others chose to stay. Not broken down by category in the public report."},
        at("2022-05-03T15:00:00"))
    add("ua/liaison", "operation.outcome", ALL_SIDES, {"operation": op1, "moved": [
        {"category": "other_civilians", "destination": "Zaporizhzhia", "count": 156}],
        "note": "Ukrainian figure announced on 3 May 2022; not broken down by category."},
        at("2022-05-03T16:00:00"))
    add("un-ocha/liaison", "operation.status", ALL_SIDES, {"operation": op1, "action": "complete"},
        at("2022-05-03T18:00:00"))

    # 2. The second evacuation, first week of May 2022 (emergency notice).
    op2 = "icrc-azovstal-civilians-2"
    add("icrc/mediator", "operation.propose", ALL_SIDES, {"operation": op2, "plan": _plan(
        kind="evacuation", title="Second evacuation of civilians from Azovstal", mediator="icrc",
        route={"type": "LineString", "coordinates": [AZOVSTAL, MARIUPOL, MANHUSH, BERDIANSK, TOKMAK, VASYLIVKA,
                                                     ZAPORIZHZHIA]},
        origin={"name": "Azovstal iron and steel works, Mariupol", "position": AZOVSTAL},
        destination={"name": "Zaporizhzhia", "position": ZAPORIZHZHIA},
        window={"start": "2022-05-05T08:00:00Z", "end": "2022-05-08T18:00:00Z"}, buffer_m=2000, emergency=True,
        notes="Women, children and the elderly still sheltering in the plant.")}, at("2022-05-04T06:00:00"))
    add("ua/liaison", "operation.answer", ALL_SIDES,
        {"operation": op2, "version": 1, "answer": "acknowledged"}, at("2022-05-04T08:00:00"))
    add("ru/liaison", "operation.answer", ALL_SIDES,
        {"operation": op2, "version": 1, "answer": "acknowledged"}, at("2022-05-04T10:30:00"))
    add("icrc/mediator", "operation.status", ALL_SIDES, {"operation": op2, "action": "start"},
        at("2022-05-05T08:00:00"))
    add("ua/liaison", "operation.movement", ALL_SIDES, {
        "operation": op2, "event": "other", "at": "2022-05-07T17:00:00Z", "position": AZOVSTAL, "place": "Azovstal",
        "note": "Ukraine's Deputy Prime Minister: all women, children and the elderly have been brought out of "
                "the plant."}, at("2022-05-07T17:05:00"))
    add("icrc/mediator", "operation.status", ALL_SIDES, {"operation": op2, "action": "complete"},
        at("2022-05-08T12:00:00"))
    add("ua/liaison", "incident.report", "all", {
        "id": "ua-azovstal-shelling-2022-05-08", "operation": op2, "at": "2022-05-08T14:00:00Z", "position": AZOVSTAL,
        "place": "Azovstal iron and steel works", "type": "shelling", "observed": "reported",
        "description": "Shelling of the plant resumed once the civilians had been evacuated; servicemen remain "
                       "inside."}, at("2022-05-08T15:00:00"))

    # 3. Evacuation of wounded servicemen, 16–17 May 2022.
    op3 = "icrc-azovstal-wounded"
    add("icrc/mediator", "operation.propose", ALL_SIDES, {"operation": op3, "plan": _plan(
        kind="evacuation", title="Evacuation of wounded servicemen from Azovstal", mediator="icrc",
        route={"type": "LineString", "coordinates": [AZOVSTAL, [37.62, 47.25], [37.64, 47.55], OLENIVKA]},
        origin={"name": "Azovstal iron and steel works, Mariupol", "position": AZOVSTAL},
        destination={"name": "Olenivka", "position": OLENIVKA},
        waypoints=[{"name": "Novoazovsk (medical facility for the seriously wounded)", "position": NOVOAZOVSK}],
        window={"start": "2022-05-16T12:00:00Z", "end": "2022-05-20T12:00:00Z"}, buffer_m=1500, emergency=True,
        expected={"wounded": 53, "servicemen": 211},
        convoy={"vehicles": 0, "description": "buses; the seriously wounded carried out on stretchers",
                "markings": "Red Cross emblem"},
        notes="Servicemen leave the plant into the custody of the other side, to be held until an exchange.")},
        at("2022-05-15T10:00:00"))
    add("ua/negotiator", "operation.answer", ALL_SIDES,
        {"operation": op3, "version": 1, "answer": "acknowledged"}, at("2022-05-15T14:00:00"))
    add("ru/negotiator", "operation.answer", ALL_SIDES,
        {"operation": op3, "version": 1, "answer": "acknowledged"}, at("2022-05-15T15:00:00"))
    message = add("icrc/mediator", "channel.post", ALL_SIDES, {
        "operation": op3, "text": "Stretchers and buses at the plant's exit from 19:00 Kyiv time. Confirm the local "
                                  "ceasefire holds on your side.", "urgent": True}, at("2022-05-16T13:00:00"))
    add("ua/liaison", "channel.receipt", ALL_SIDES, {"message": message, "state": "read"}, at("2022-05-16T13:04:00"))
    add("ru/liaison", "channel.receipt", ALL_SIDES, {"message": message, "state": "delivered"},
        at("2022-05-16T13:02:00"))
    add("ru/liaison", "channel.receipt", ALL_SIDES, {"message": message, "state": "read"}, at("2022-05-16T13:21:00"))
    add("icrc/mediator", "operation.status", ALL_SIDES, {"operation": op3, "action": "start"},
        at("2022-05-16T15:00:00"))
    add("icrc/mediator", "operation.movement", ALL_SIDES, {
        "operation": op3, "event": "departed", "at": "2022-05-16T17:00:00Z", "position": AZOVSTAL,
        "place": "Azovstal"}, at("2022-05-16T17:05:00"))
    add("icrc/mediator", "operation.movement", ALL_SIDES, {
        "operation": op3, "event": "arrived", "at": "2022-05-16T21:00:00Z", "position": NOVOAZOVSK,
        "place": "Novoazovsk", "note": "Seriously wounded taken to a medical facility."}, at("2022-05-16T21:05:00"))
    add("icrc/mediator", "operation.movement", ALL_SIDES, {
        "operation": op3, "event": "arrived", "at": "2022-05-17T02:00:00Z", "position": OLENIVKA,
        "place": "Olenivka"}, at("2022-05-17T02:05:00"))
    add("ua/liaison", "operation.outcome", ALL_SIDES, {"operation": op3, "moved": [
        {"category": "wounded", "destination": "Novoazovsk", "count": 53},
        {"category": "servicemen", "destination": "Olenivka", "count": 211}],
        "note": "Ukrainian figures, 17 May 2022."}, at("2022-05-17T09:00:00"))
    add("ru/liaison", "operation.outcome", ALL_SIDES, {"operation": op3, "moved": [
        {"category": "wounded", "destination": "Novoazovsk", "count": 51},
        {"category": "servicemen", "destination": "Olenivka", "count": 214}],
        "note": "Russian defence ministry, 17 May 2022: 265 in all, of whom 51 seriously wounded; the split by "
                "destination is derived from that statement."}, at("2022-05-17T10:00:00"))
    add("icrc/mediator", "operation.status", ALL_SIDES, {"operation": op3, "action": "complete"},
        at("2022-05-17T12:00:00"))
