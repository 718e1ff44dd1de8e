"""The demo's humanitarian operations, as the sources tell them, each fact signed by the party that stated it
and carrying its source:

* the evacuation of civilians from the Azovstal steel works and Mariupol by the UN and the ICRC, 29 April –
  3 May 2022, and the evacuations of the first week of May ("In early May … the UN and the Red Cross
  evacuated hundreds of civilians", seed 000); on 7 May Ukraine's Deputy Prime Minister stated that "all
  women, children and the elderly" had been removed from the plant, after which "Russian shelling began
  again" (seed 000);
* the exit of the Azovstal defenders agreed on 16 May 2022 at the meeting in Mariupol (seed 000) and begun
  that evening, the notice period waived by both parties: the seriously wounded to a medical facility in
  Novoazovsk, the others to Olenivka (Yelenovka) — "more than 250", 53 and 211 (seed 004) — still running on
  20 May ("the rescue operation continues", seed 004). No mediator organised it: the seeds give it to the
  back channel, and the ICRC's part was registering the men (its statement of 19 May 2022);
* a corridor Russia declared on its own on 3 March 2022, from Borodianka towards Berestianka (seed 003).

Each figure keeps the form its source gave it ("more than 250", "hundreds") and names its source: a seed
(``reference`` "seed 00N"), or, where the demo needs a fact the seeds lack, the public statement it comes
from, marked "not in the seeds" with its address. Every side's figure stands beside the other's and beside its
own earlier ones; none is derived or invented. Where a source gives a day and no hour, the hour is the demo's
own (noted beside it). Coordinates are real, to about 1 km (Berestianka's to a few km). Every member named in
the demo is invented. Times are UTC (Kyiv was UTC+3 in May 2022, Moscow UTC+3).
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
NOVOAZOVSK = [38.0803, 47.1146]
OLENIVKA = [37.6864, 47.8375]
BORODIANKA = [29.9236, 50.6447]
BERESTIANKA = [29.98, 50.59]  # approximate (a few km)
ALL_SIDES = "party:icrc,party:ru,party:ua,party:un-ocha"
REGION = [22.0, 44.0, 41.0, 53.0]
TOLERANCE_M = 5000
# The route along the coast to Zaporizhzhia, and the two ways out of Azovstal in May 2022: east to Novoazovsk,
# north to Olenivka (out and back through Mariupol's eastern edge).
TO_ZAPORIZHZHIA = [AZOVSTAL, MARIUPOL, MANHUSH, BERDIANSK, TOKMAK, VASYLIVKA, ZAPORIZHZHIA]
EXIT_ROUTE = [NOVOAZOVSK, [37.85, 47.11], AZOVSTAL, [37.62, 47.25], [37.64, 47.55], OLENIVKA]

SEED_000 = {"outlet": "CNN, retold in Ukrainian (seed 000)", "reference": "seed 000"}
SEED_003 = {"outlet": "Kommersant", "reference": "seed 003", "stated_on": "2022-03-03"}
SEED_004 = {"outlet": "Segodnya", "reference": "seed 004"}
UN_3_MAY = "https://ukraine.un.org/en/180300-statement-attributable-humanitarian-coordinator-ukraine-osnat-lubrani"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _plan(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"parties": ["ru", "ua"], "time_zone": "Europe/Kyiv", "waypoints": [],
                            "convoy": {"vehicles": 0, "description": "", "markings": ""}}
    base.update(kw)
    return base


def records(add: Add) -> None:
    """Append the operations scenario through ``add(author, kind, audience, payload, time)``, which returns
    the record's index in the log. Records come in the order of their times."""
    add("ru/liaison", "corridor.declare", "all", {
        "id": "ru-borodianka-berestianka", "name": "Borodianka towards Berestianka",
        "origin": {"name": "Borodianka", "position": BORODIANKA},
        "towards": {"name": "Berestianka", "position": BERESTIANKA},
        "valid_from": "2022-03-03T00:00:00Z",
        "source": {"kind": "named_official", "speaker": "Igor Konashenkov",
                   "body": "Ministry of Defence of the Russian Federation", **SEED_003,
                   "quote": "In Borodianka … civilians can safely leave the settlement through a specially "
                            "designated corridor in the direction of Berestyanka."},
        "note": "Announced at a briefing of the defence ministry; not proposed to Ukraine, nor agreed with it."},
        at("2022-03-03T20:00:00"))  # the hour is the demo's: the seed gives the day
    add("icrc/admin", "operation.rules", "all", {
        "notice_hours": 48, "emergency_notice_hours": 24, "answer_hours": 24, "emergency_answer_hours": 6,
        "urgent_read_minutes": 30, "region": REGION, "route_tolerance_m": TOLERANCE_M}, at("2022-03-04T10:00:00"))
    add("icrc/mediator", "zone.declare", "all", {
        "id": "icrc-mariupol-hostilities", "kind": "active_hostilities", "name": "Mariupol: encircled city",
        "geometry": {"type": "Polygon", "coordinates": [[
            [37.45, 47.03], [37.70, 47.03], [37.70, 47.17], [37.45, 47.17], [37.45, 47.03]]]},
        "valid_from": "2022-03-02T00:00:00Z", "valid_until": "2022-05-21T00:00:00Z",
        "note": "Area of active hostilities as known to the mediator; operations here need a local ceasefire. "
                "On 3 March Russia's defence ministry said the encirclement had been narrowed and Ukraine's "
                "General Staff that Mariupol was holding on (seed 003)."},
        at("2022-03-05T09:00:00"))

    # 1. The UN and the ICRC evacuate civilians from Azovstal, 29 April – 3 May 2022 (the UN's statement of
    # 3 May; seed 000 speaks of the evacuations of early May).
    op1 = "un-ocha-azovstal-civilians-1"
    add("un-ocha/liaison", "operation.propose", ALL_SIDES, {"operation": op1, "plan": _plan(
        kind="evacuation", title="Evacuation of civilians from Azovstal and Mariupol to Zaporizhzhia",
        mediator="un-ocha", co_mediators=[{"party": "icrc", "role": "co_organiser"}],
        route={"type": "LineString", "coordinates": TO_ZAPORIZHZHIA},
        origin={"name": "Azovstal iron and steel works, Mariupol", "position": AZOVSTAL},
        destinations=[{"name": "Zaporizhzhia", "position": ZAPORIZHZHIA}],
        waypoints=[{"name": "Manhush", "position": MANHUSH}],
        window={"start": "2022-04-29T12:00:00Z", "end": "2022-05-03T18:00:00Z"}, buffer_m=2000,
        convoy={"vehicles": 0, "description": "UN and ICRC vehicles with buses",
                "markings": "UN and Red Cross emblems"},
        notes="Carried out by the UN and the ICRC. The date of the proposal is the demo's: no source gives "
              "it.")}, at("2022-04-27T12:00:00"))
    add("ua/liaison", "operation.answer", ALL_SIDES,
        {"operation": op1, "version": 1, "answer": "acknowledged"}, at("2022-04-28T06:00:00"))
    add("ru/liaison", "operation.answer", ALL_SIDES,
        {"operation": op1, "version": 1, "answer": "acknowledged"}, at("2022-04-28T09:00:00"))
    add("un-ocha/liaison", "operation.status", ALL_SIDES, {"operation": op1, "action": "start"},
        at("2022-04-29T12:30:00"))
    add("un-ocha/liaison", "operation.movement", ALL_SIDES, {
        "operation": op1, "event": "arrived", "at": "2022-05-03T12:00:00Z", "position": ZAPORIZHZHIA,
        "place": "Zaporizhzhia", "source": {
            "kind": "named_official", "speaker": "Osnat Lubrani", "body": "UN Humanitarian Coordinator for Ukraine",
            "stated_on": "2022-05-03", "url": UN_3_MAY, "reference": "not in the seeds",
            "quote": "We have accompanied 127 people today to Zaporizhzhia."}}, at("2022-05-03T12:10:00"))
    add("un-ocha/liaison", "operation.outcome", ALL_SIDES, {
        "operation": op1, "moved": [{"category": "civilians", "destination": "Zaporizhzhia", "count": 127}],
        "source": {"kind": "named_official", "speaker": "Osnat Lubrani",
                   "body": "UN Humanitarian Coordinator for Ukraine", "stated_on": "2022-05-03", "url": UN_3_MAY,
                   "reference": "not in the seeds",
                   "quote": "101 civilians … Another 58 people joined us in Manhush … We have accompanied 127 "
                            "people today to Zaporizhzhia."},
        "note": "Not broken down by category in the statement; some of those who left chose to stay on the way."},
        at("2022-05-03T15:00:00"))
    add("un-ocha/liaison", "operation.status", ALL_SIDES, {"operation": op1, "action": "complete"},
        at("2022-05-03T18:00:00"))

    # 2. The evacuations of the first week of May (seed 000: "In early May … the UN and the Red Cross evacuated
    # hundreds of civilians from «Azovstal» and other districts of Mariupol").
    op2 = "un-ocha-azovstal-civilians-2"
    add("un-ocha/liaison", "operation.propose", ALL_SIDES, {"operation": op2, "plan": _plan(
        kind="evacuation", title="Further evacuations of civilians from Azovstal and Mariupol", mediator="un-ocha",
        co_mediators=[{"party": "icrc", "role": "co_organiser"}],
        route={"type": "LineString", "coordinates": TO_ZAPORIZHZHIA},
        origin={"name": "Azovstal iron and steel works, Mariupol", "position": AZOVSTAL},
        destinations=[{"name": "Zaporizhzhia", "position": ZAPORIZHZHIA}],
        window={"start": "2022-05-05T08:00:00Z", "end": "2022-05-08T18:00:00Z"}, buffer_m=2000, emergency=True,
        notes="Women, children and the elderly still sheltering in the plant. The window is the demo's: seed 000 "
              "says \"early May\".")}, at("2022-05-04T06:00:00"))
    add("ua/liaison", "operation.answer", ALL_SIDES,
        {"operation": op2, "version": 1, "answer": "acknowledged"}, at("2022-05-04T08:00:00"))
    add("ru/liaison", "operation.answer", ALL_SIDES,
        {"operation": op2, "version": 1, "answer": "acknowledged"}, at("2022-05-04T10:30:00"))
    add("un-ocha/liaison", "operation.status", ALL_SIDES, {"operation": op2, "action": "start"},
        at("2022-05-05T08:00:00"))
    add("ua/liaison", "operation.movement", ALL_SIDES, {
        "operation": op2, "event": "other", "at": "2022-05-07T17:00:00Z", "position": AZOVSTAL, "place": "Azovstal",
        "note": "All women, children and the elderly have been brought out of the plant.",
        "source": {"kind": "named_official", "speaker": "Iryna Vereshchuk", "body": "Deputy Prime Minister of Ukraine",
                   "stated_on": "2022-05-07", **SEED_000,
                   "quote": "On May 7, Deputy Prime Minister Irina Vereshchuk stated that «all women, children and "
                            "the elderly» were safely removed from the smelter."}},
        at("2022-05-07T17:05:00"))  # the hour is the demo's: the seed gives the day
    add("un-ocha/liaison", "operation.outcome", ALL_SIDES, {
        "operation": op2, "total": {"form": "hundreds"},
        "source": {"kind": "media_report", **SEED_000,
                   "quote": "In early May last year, the UN and the Red Cross evacuated hundreds of civilians from "
                            "«Azovstal» and other districts of Mariupol."},
        "note": "The report's figure for the evacuations of early May, as published; the UN's own figures for "
                "these days are not in the demo."}, at("2022-05-08T10:00:00"))
    add("un-ocha/liaison", "operation.status", ALL_SIDES, {"operation": op2, "action": "complete"},
        at("2022-05-08T12:00:00"))
    add("ua/liaison", "incident.report", "all", {
        "id": "ua-azovstal-shelling-2022-05-08", "operation": op2, "at": "2022-05-08T14:00:00Z", "position": AZOVSTAL,
        "place": "Azovstal iron and steel works", "type": "shelling", "observed": "reported",
        "alleged_responsible": "ru",
        "source": {"kind": "media_report", **SEED_000,
                   "quote": "However, the military remained at the plant, and Russian shelling began again."},
        "description": "Russian shelling of the plant began again once the civilians had been brought out; the "
                       "servicemen remain inside. The seed gives no date: after 7 May."}, at("2022-05-08T15:00:00"))

    # 3. The exit of the Azovstal defenders, agreed at the meeting of 16 May 2022 (seed 000) and begun that
    # evening: no notice beyond the meeting itself, waived by both parties.
    op3 = "ua-azovstal-exit"
    parties = "party:icrc,party:ru,party:ua"
    meeting = ("At the meeting in Mariupol on 16 May 2022 between the Russian generals and Ukrainian officers, "
               "among them Lieutenant Colonel Denys Prokopenko (seed 000).")
    promise = {"kind": "named_official", "speaker": "Oleksandr Kovalyov", "body": "Verkhovna Rada of Ukraine",
               **SEED_000, "quote": "the Russian side promised that there would be a civilized way out for our "
                                    "soldiers"}
    add("ua/negotiator", "operation.waiver", parties, {
        "operation": op3, "notice_hours": 2, "agreed": meeting, "source": promise}, at("2022-05-16T11:00:00"))
    add("ru/negotiator", "operation.waiver", parties, {
        "operation": op3, "notice_hours": 2, "agreed": meeting,
        "source": {"kind": "document", **SEED_000, "quote": "the conditions of the Russians were simple: the "
                   "Ukrainian military would stop hostilities, surrender the plant and surrender themselves. Then — "
                   "civilized conditions for the detention of our prisoners of war and exchange."}},
        at("2022-05-16T11:05:00"))  # the hours of the meeting's records are the demo's: the seed gives the day
    add("ua/negotiator", "operation.propose", parties, {"operation": op3, "plan": _plan(
        kind="evacuation", title="Exit of the Azovstal defenders: the seriously wounded to Novoazovsk, the others "
                                 "to Olenivka",
        mediator=None, co_mediators=[{"party": "icrc", "role": "registration"}],
        route={"type": "LineString", "coordinates": EXIT_ROUTE},
        origin={"name": "Azovstal iron and steel works, Mariupol", "position": AZOVSTAL},
        destinations=[{"name": "Novoazovsk (medical facility)", "position": NOVOAZOVSK},
                      {"name": "Olenivka", "position": OLENIVKA}],
        window={"start": "2022-05-16T14:00:00Z", "end": "2022-05-23T00:00:00Z"}, buffer_m=1500,
        emergency=True, notice_waived=True,
        convoy={"vehicles": 0, "description": "buses; the seriously wounded carried out on stretchers",
                "markings": ""},
        notes="The Ukrainian military stop hostilities and leave the plant into the custody of the other side; "
              "civilized conditions of detention, then an exchange (seed 000). The ICRC registers the men leaving "
              "the plant (its statement of 19 May 2022, not in the seeds); it does not transport them.")},
        at("2022-05-16T11:30:00"))
    add("ru/negotiator", "operation.answer", parties,
        {"operation": op3, "version": 1, "answer": "acknowledged"}, at("2022-05-16T12:00:00"))
    message = add("ua/liaison", "channel.post", parties, {
        "operation": op3, "text": "The seriously wounded are being carried out on stretchers. Confirm that the "
                                  "ceasefire holds on your side along the road to Novoazovsk.", "urgent": True},
        at("2022-05-16T13:00:00"))  # an exchange on the channel as the demo shows it; not from the sources
    add("ru/liaison", "channel.receipt", parties, {"message": message, "state": "delivered"},
        at("2022-05-16T13:02:00"))
    add("icrc/mediator", "channel.receipt", parties, {"message": message, "state": "read"},
        at("2022-05-16T13:10:00"))
    add("ru/liaison", "channel.receipt", parties, {"message": message, "state": "read"}, at("2022-05-16T13:21:00"))
    add("ua/liaison", "operation.status", parties, {"operation": op3, "action": "start"},
        at("2022-05-16T14:00:00"))
    add("ua/liaison", "operation.movement", parties, {
        "operation": op3, "event": "departed", "at": "2022-05-16T15:00:00Z", "position": AZOVSTAL,
        "place": "Azovstal", "note": "The most seriously wounded carried out of the plant on stretchers.",
        "source": {"kind": "media_report", **SEED_000,
                   "quote": "Later that day, the most seriously wounded were carried out of the factory on "
                            "stretchers."}}, at("2022-05-16T17:00:00"))
    add("ua/liaison", "operation.outcome", parties, {
        "operation": op3, "total": {"value": 264},
        "moved": [{"category": "seriously_wounded", "destination": "Novoazovsk", "count": 53}],
        "source": {"kind": "party_statement", "body": "Ministry of Defence of Ukraine", "stated_on": "2022-05-16",
                   "outlet": "The News International (thenews.com.pk)", "reference": "not in the seeds",
                   "quote": "264 Ukrainian fighters were evacuated … including 53 'heavily wounded'"},
        "note": "Announced late on 16 May, when the Ministry announced the start of the evacuation (seed 000)."},
        at("2022-05-16T20:00:00"))
    add("ua/liaison", "operation.movement", parties, {
        "operation": op3, "event": "departed", "at": "2022-05-17T06:00:00Z", "position": AZOVSTAL,
        "place": "Azovstal", "note": "The servicemen leave the plant into captivity; many on crutches or stretchers.",
        "source": {"kind": "media_report", **SEED_000,
                   "quote": "The next day, May 17, an endless stream of Ukrainian soldiers began their exit into "
                            "captivity. Many are on crutches or stretchers, some are seriously injured."}},
        at("2022-05-17T08:00:00"))  # the hours are the demo's: the seed gives the day
    add("ru/liaison", "operation.outcome", parties, {
        "operation": op3, "total": {"value": 265},
        "moved": [{"category": "seriously_wounded", "count": 51}],
        "source": {"kind": "named_official", "speaker": "Igor Konashenkov",
                   "body": "Ministry of Defence of the Russian Federation", "stated_on": "2022-05-17",
                   "outlet": "Euro Weekly News", "reference": "not in the seeds",
                   "quote": "Over the past 24 hours, 265 militants laid down their arms and surrendered, including "
                            "51 seriously wounded"},
        "note": "No destination in the statement."}, at("2022-05-17T10:00:00"))
    add("ua/liaison", "operation.outcome", parties, {
        "operation": op3, "moved": [{"category": "seriously_wounded", "count": 52}],
        "source": {"kind": "named_official", "speaker": "Iryna Vereshchuk", "body": "Deputy Prime Minister of Ukraine",
                   "stated_on": "2022-05-17", "outlet": "Euro Weekly News", "reference": "not in the seeds",
                   "quote": "52 of our seriously wounded servicemen"},
        "note": "A second Ukrainian figure for the seriously wounded; no destination in the statement."},
        at("2022-05-17T12:00:00"))
    add("ua/liaison", "operation.movement", parties, {
        "operation": op3, "event": "other", "at": "2022-05-20T12:00:00Z", "position": AZOVSTAL, "place": "Azovstal",
        "note": "The command is still at Azovstal; the rescue operation continues.",
        "source": {"kind": "named_official", "speaker": "Sviatoslav Palamar",
                   "body": "Deputy Commander of the Azov Regiment", "stated_on": "2022-05-20", **SEED_004,
                   "quote": "the command is still located on the territory of Azovstal in Mariupol. At the same "
                            "time, the rescue operation continues."}}, at("2022-05-20T14:00:00"))
    add("ua/liaison", "operation.outcome", parties, {
        "operation": op3, "total": {"form": "more_than", "value": 250},
        "moved": [{"category": "seriously_wounded", "destination": "Novoazovsk", "count": 53},
                  {"category": "servicemen", "destination": "Olenivka", "count": 211}],
        "source": {"kind": "media_citing_officials", **SEED_004,
                   "quote": "On the night of May 17 more than 250 military personnel were withdrawn from the "
                            "humanitarian corridor to territories not controlled by Ukraine. 53 seriously wounded "
                            "were evacuated to a medical facility in Novoazovsk for medical assistance. Another 211 "
                            "people were taken to Yelenovka through the humanitarian corridor."},
        "note": "Both settlements are in the occupied territory (seed 004)."}, at("2022-05-20T18:00:00"))
