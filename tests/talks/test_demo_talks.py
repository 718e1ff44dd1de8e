"""The demo's talks against their seeds, fact by fact, read from the talks tables (``parley.talks.models``): the
rounds in Belarus and the points agreed there (seed 003), the communiqué both parties signed, each side's words kept
apart; the Azovstal back channel, its three visits and the terms agreed on 16 May (seed 000), closed to the two
parties' negotiators and carried out by the exit operation; the military-to-military channel known only from
anonymous officials (seed 002); actors found in every spelling the seeds use."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from parley.operations.models import Operation
from parley.parties.principal import load_principal
from parley.records.sources import Source
from parley.talks import scenario as S
from parley.talks.kinds import POLICY, name_keys, sha256_text
from parley.talks.models import (
    TalksActor, TalksActorKey, TalksCurrent, TalksImplementation, TalksMeeting, TalksMeetingChange, TalksPoint,
    TalksPosition, TalksProcess, TalksSignoff, TalksStatement, TalksStatus, TalksText, TalksTextVersion, TalksTrack,
)
from tests.conftest import copied

NARROW = (S.BACK_CHANNEL, S.MILITARY_CHANNEL)


@pytest.fixture(scope="module")
def s(deployments, tmp_path_factory) -> Iterator[Session]:  # type: ignore[no-untyped-def]
    """One SQLite copy of the demo for the module: its tests only read."""
    with copied(deployments, "sqlite", True, tmp_path_factory.mktemp("demo-talks")) as (rt, _), rt.sessions() as s:
        yield s


def rows(s: Session, model: Any, *where: Any) -> list[Any]:
    return list(s.execute(select(model).where(*where)).scalars())


def source(row: Any) -> dict[str, Any]:
    """A row's source as recorded, with the defaults it left out (``confirmation`` "unconfirmed")."""
    return Source.model_validate(json.loads(row.source)).model_dump(mode="json") if row.source else {}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_seed_003_the_rounds_in_belarus(s):
    # "the first round, which took place at the beginning of the week in the Gomel region"; the second "began a day
    # later than expected" … "started on Thursday only at 17:50 Moscow time. And it lasted less than three hours."
    p = s.get(TalksProcess, S.OFFICIAL)
    assert (p.format, p.party_list, p.mediator_list, p.started_on) == ("official_talks", ["ua", "ru"], [],
                                                                       date(2022, 2, 28))
    rounds = {m.number: m for m in rows(s, TalksMeeting, TalksMeeting.process == S.OFFICIAL)}
    assert sorted(rounds) == [1, 2, 3] and all(m.kind == "round" for m in rounds.values())
    first, second, third = rounds[1], rounds[2], rounds[3]
    assert first.status == "held" and first.actual_start.date() == date(2022, 2, 28)
    assert first.venue_place()["name"] == "Gomel region, Belarus"
    assert second.status == "held" and second.actual_start == utc("2022-03-03T14:50:00")
    assert second.duration_note == "less than three hours" and second.venue_place()["name"].startswith(
        "Belovezhskaya Pushcha")
    assert second.duration().form == "fewer_than" and second.duration().value == 180
    heads = {d["party"]: d for d in second.delegation_list()}
    assert heads["ru"]["head"] == "ru-medinsky" and set(heads["ua"]["members"]) == {"ua-podolyak", "ua-arakhamia"}
    changes = [json.loads(c.changes) for c in rows(s, TalksMeetingChange, TalksMeetingChange.meeting == second.id)]
    postponed, held = changes
    assert postponed["status"] == ["planned", "postponed"]
    assert postponed["scheduled_note"] == ["Wednesday 2 March 2022", "Thursday 3 March 2022"]
    assert held["status"] == ["postponed", "held"]
    arakhamia = source(rows(s, TalksMeetingChange, TalksMeetingChange.meeting == second.id)[0])
    assert arakhamia["speaker"] == "David Arakhamia" and "meeting place could be changed" in arakhamia["quote"]
    # "It is assumed that the third round of negotiations will take place at the beginning of next week"
    assert third.status == "planned" and third.scheduled_note == "early next week" and third.actual_start is None
    assert source(third)["speaker"] == "Mikhail Podolyak"


def test_seed_003_three_tracks_and_only_the_humanitarian_points_reach_mutual_understanding(s):
    # "three issues were discussed …: military, international humanitarian and future political settlement. The
    # positions are absolutely clear, they are written down on points, on some of them … managed to find mutual
    # understanding"
    tracks = {t.id: t.name for t in rows(s, TalksTrack, TalksTrack.process == S.OFFICIAL)}
    assert sorted(tracks.values()) == ["Future political settlement", "International humanitarian", "Military"]
    points = {p.id: p for p in rows(s, TalksPoint, TalksPoint.process == S.OFFICIAL)}
    agreed = {pid for pid, p in points.items() if p.agreed_sha256}
    assert agreed == {S.CORRIDORS, S.CEASEFIRE, S.CHANNELS}
    assert {tracks[points[pid].track] for pid in agreed} == {"International humanitarian"}
    assert points[S.CORRIDORS].agreed_sha256 == sha256_text(S.CORRIDORS_TEXT)
    assert "humanitarian corridors" in S.CORRIDORS_TEXT and "temporary ceasefire" in S.CEASEFIRE_TEXT
    assert "channels of communication and interaction" in S.CHANNELS_TEXT
    # One party's wording, the other's acceptance of its exact hash.
    history = [(x.party, x.position, x.sha256) for x in
               rows(s, TalksPosition, TalksPosition.point == S.CORRIDORS)]
    assert history == [("ua", "proposed", sha256_text(S.CORRIDORS_TEXT)),
                       ("ru", "accepted", sha256_text(S.CORRIDORS_TEXT))]
    # The others: two different positions, a reservation, a proposal the other side never answered.
    not_agreed = {pid: {c.party: c.position for c in rows(s, TalksCurrent, TalksCurrent.point == pid)}
                  for pid in points if pid not in agreed}
    assert not_agreed == {"ua-belarus-military-positions": {"ua": "proposed", "ru": "counter_proposed"},
                          "ru-belarus-political-positions": {"ru": "proposed", "ua": "reserved"},
                          "ua-belarus-leaders-meeting": {"ua": "proposed"}}
    assert {tracks[points[pid].track] for pid in not_agreed} == {"Military", "Future political settlement"}


def test_seed_003_the_communique_is_a_joint_text_both_parties_signed_and_ukraines_delegate_read_out(s):
    # "Mr. Podolyak read out the official communiqué following the meeting."
    text = s.get(TalksText, "ua-belarus-communique-2")
    body = s.get(TalksTextVersion, (text.id, 1)).body
    assert body == S.COMMUNIQUE and text.sha256 == sha256_text(body) and text.agreed_version == 1
    signed = {x.party: x.sha256 for x in rows(s, TalksSignoff, TalksSignoff.text == text.id)}
    assert signed == {"ua": text.sha256, "ru": text.sha256}
    assert set(s.get(TalksTextVersion, (text.id, 1)).points.split(",")) == {S.CORRIDORS, S.CEASEFIRE, S.CHANNELS}
    (read_out,) = rows(s, TalksStatement, TalksStatement.type == "communique")
    assert (read_out.joint_text, read_out.joint_version, read_out.speaker, read_out.party) == (
        text.id, 1, "ua-podolyak", "ua")
    assert read_out.text == body and read_out.meeting == "ru-belarus-round-2"


def test_seed_003_each_sides_words_are_kept_apart_and_attributed(s):
    said = {(x.speaker, x.type): x for x in rows(s, TalksStatement, TalksStatement.process == S.OFFICIAL)}
    podolyak = said[("ua-podolyak", "assessment")]
    assert (podolyak.party, podolyak.on_behalf, podolyak.author) == ("ua", "ua", "ua/negotiator")
    assert "we did not get the results we expected" in podolyak.text
    medinsky = said[("ru-medinsky", "assessment")]
    assert (medinsky.party, medinsky.on_behalf, medinsky.author) == ("ru", "ru", "ru/negotiator")
    assert "Substantial progress" in medinsky.text and podolyak.idx != medinsky.idx
    # "the Kremlin has reason to believe that the Ukrainian delegation is deliberately delaying the talks"
    peskov = said[("ru-peskov", "accusation")]
    assert peskov.on_behalf == "ru" and "deliberately delaying" in peskov.text
    assert peskov.source_kind == "media_report" and source(peskov)["reference"] == "seed 003"
    # Seed 002: in November 2023 Medinsky said the 2022 process had been "frozen".
    assert s.get(TalksProcess, S.OFFICIAL).status == "frozen"
    (frozen,) = rows(s, TalksStatus, TalksStatus.process == S.OFFICIAL, TalksStatus.status == "frozen")
    assert frozen.party == "ru" and source(frozen)["speaker"] == "Vladimir Medinsky"
    assert source(frozen)["reference"].startswith("seed 002")


def test_seed_000_three_visits_to_mariupol_and_the_terms_agreed_on_16_may(s):
    p = s.get(TalksProcess, S.BACK_CHANNEL)
    assert (p.format, p.party_list, p.mediator_list) == ("back_channel", ["ua", "ru"], [])
    assert p.intermediary_list() == [{"actor": "ua-kovalov", "acting_for": "ua", "role": p.intermediary_list()[0][
        "role"]}]
    visits = rows(s, TalksMeeting, TalksMeeting.process == S.BACK_CHANNEL)
    assert [(v.kind, v.status, v.actual_start.date()) for v in sorted(visits, key=lambda v: v.number)] == [
        ("visit", "held", date(2022, 4, 25)), ("visit", "held", date(2022, 5, 9)), ("visit", "held", date(2022, 5, 16))]
    assert {v.venue_place()["name"] for v in visits} == {"Mariupol"}
    second = next(v for v in visits if v.number == 2)
    assert {d["party"]: set(d["members"]) for d in second.delegation_list()} == {
        "ua": {"ua-kovalov", "ua-usov"}, "ru": {"ru-alekseev", "ru-zorin"}}
    assert s.get(TalksActor, "ua-usov").body.startswith("Main Directorate of Intelligence")
    # "the Ukrainian military would stop hostilities, surrender the plant and surrender themselves. Then — civilized
    # conditions for the detention of our prisoners of war and exchange."
    for pid in (S.STOP_AND_LEAVE, S.DETENTION, S.EXCHANGE):
        point = s.get(TalksPoint, pid)
        assert point.process == S.BACK_CHANNEL and point.agreed_sha256 is not None
        last = rows(s, TalksPosition, TalksPosition.idx == point.agreed_idx)[0]
        assert (last.party, last.position, last.meeting, last.at.date()) == ("ua", "accepted", "ua-azovstal-visit-3",
                                                                             date(2022, 5, 16))
    # The seeds disagree on when the talks began (seed 000 says both 25 April and 25 May): both are kept.
    assert p.started_on == date(2022, 4, 25)
    (claim,) = [x for x in rows(s, TalksStatement, TalksStatement.process == S.BACK_CHANNEL)
                if "May 25" in x.text]
    assert claim.type == "claim" and claim.confirmation == "disputed" and source(claim)["reference"] == "seed 000"


def test_seed_000_the_safe_exit_is_implemented_by_the_wounded_servicemens_evacuation(s):
    # "According to Kovalev, the agreement on the safe exit of Ukrainian fighters was clearly implemented. Later that
    # day, the most seriously wounded were carried out of the factory on stretchers."
    op = s.get(Operation, S.EXIT_OPERATION)
    point = s.get(TalksPoint, S.STOP_AND_LEAVE)
    # The point is the back channel's, closed to the two negotiators; the operation reaches the ICRC and the liaison
    # officers, so it does not name the point (that would show them its id): the back channel cites the operation.
    assert op.implements == ""
    assert point.idx < point.agreed_idx < op.created_idx
    done = rows(s, TalksImplementation, TalksImplementation.point == S.STOP_AND_LEAVE)
    assert [(x.party, x.level) for x in done] == [("ua", 2), ("ua", 3)]
    for x in done:
        assert x.idx > op.created_idx
        assert [(e["kind"], e["ref"]) for e in x.evidence_list()] == [("operation", S.EXIT_OPERATION)]
    # Seed 004: "Today they are engaged in the second stage – their return": the exchange not yet begun.
    (exchange,) = rows(s, TalksImplementation, TalksImplementation.point == S.EXCHANGE)
    assert exchange.level == 0 and source(exchange)["speaker"] == "Andriy Yermak"


def test_seed_002_the_military_channel_is_known_only_from_anonymous_officials(s):
    p = s.get(TalksProcess, S.MILITARY_CHANNEL)
    assert (p.format, p.authorisation) == ("military_channel", "unauthorised")
    src = source(p)
    assert (src["kind"], src["confirmation"], src["reference"]) == ("anonymous_officials", "unconfirmed", "seed 002")
    assert src["speaker"] == "" and "anonymous US officials" in src["quote"]
    assert {m["actor"] for m in p.intermediary_list()} == {"ru-gerasimov", "ua-zaluzhny"}
    (claim,) = rows(s, TalksStatement, TalksStatement.process == S.MILITARY_CHANNEL)
    assert (claim.type, claim.source_kind, claim.confirmation) == ("claim", "anonymous_officials", "unconfirmed")


def closed_rows(s: Session) -> list[tuple[str, Any]]:
    """Every row the back channel and the military channel wrote, with the kind of record that wrote it."""
    points = [p.id for p in rows(s, TalksPoint, TalksPoint.process.in_(NARROW))]
    actors = {"ua-kovalov", "ua-budanov", "ua-usov", "ua-prokopenko", "ru-sychev", "ru-alekseev", "ru-zorin",
              "ru-gerasimov", "ua-zaluzhny"}
    return [*(("talks.process", x) for x in rows(s, TalksProcess, TalksProcess.id.in_(NARROW))),
            *(("talks.meeting", x) for x in rows(s, TalksMeeting, TalksMeeting.process.in_(NARROW))),
            *(("talks.track", x) for x in rows(s, TalksTrack, TalksTrack.process.in_(NARROW))),
            *(("talks.point", x) for x in rows(s, TalksPoint, TalksPoint.process.in_(NARROW))),
            *(("talks.position", x) for x in rows(s, TalksPosition, TalksPosition.point.in_(points))),
            *(("talks.statement", x) for x in rows(s, TalksStatement, TalksStatement.process.in_(NARROW))),
            *(("talks.implementation", x) for x in rows(s, TalksImplementation,
                                                        TalksImplementation.point.in_(points))),
            *(("talks.actor", x) for x in rows(s, TalksActor, TalksActor.id.in_(actors)))]


def test_back_channel_records_are_closed_to_the_two_parties_negotiators(s):
    closed = closed_rows(s)
    assert len(closed) > 30
    members = {m: load_principal(s, m) for m in ("ua/negotiator", "ru/negotiator", "ua/press", "ua/admin",
                                                 "ua/liaison", "ru/registrar", "un-ocha/liaison", "icrc/mediator",
                                                 "icrc/auditor", "tr/observer")}
    for kind, row in closed:
        assert row.audience == S.CLOSED and row.audience.split(",")[0] == "only", (kind, row)
        readers = {m for m, who in members.items() if POLICY.may_read(who, kind, row.audience, row.party)}
        assert readers == {"ua/negotiator", "ru/negotiator"}, (kind, row, readers)
    # The official talks are the parties' (and a mediator's), never the press's.
    p = s.get(TalksProcess, S.OFFICIAL)
    readers = {m for m, who in members.items() if POLICY.may_read(who, "talks.process", p.audience, p.party)}
    assert readers == {"ua/negotiator", "ru/negotiator", "ua/admin", "ua/liaison", "icrc/mediator", "icrc/auditor",
                       "un-ocha/liaison"}


def test_actors_are_found_in_every_spelling_the_seeds_use(s):
    def found(name: str) -> set[str]:
        keys = name_keys([name])
        return {k.actor for k in rows(s, TalksActorKey, TalksActorKey.key.in_(keys))}

    for spelling in ("Kovalev", "Kovalov", "Kovalyov", "Ковальов", "Ковалёв"):
        assert found(spelling) == {"ua-kovalov"}, spelling
    for spelling in ("Alekseev", "Alexseyev", "Алексеев", "Алексєєв"):
        assert found(spelling) == {"ru-alekseev"}, spelling
    # A given name is shared: Oleksandr, Alexander and Олександр are Kovalov and Zorin alike.
    assert found("Oleksandr Kovalov") & found("Alexander Kovalev") == {"ua-kovalov", "ru-zorin"}
    names = s.get(TalksActor, "ua-kovalov").name_list()
    assert {"Oleksandr Kovalov", "Alexander Kovalev", "Олександр Ковальов", "Александр Ковалёв"} <= set(names)


def test_every_talks_record_names_its_seed(s):
    from parley.log.models import LogEntry

    entries = rows(s, LogEntry, LogEntry.kind.like("talks.%"))
    assert len(entries) == 73
    for e in entries:
        if e.kind == "talks.point":  # a heading: its positions name their source
            continue
        assert "seed 00" in e.payload.lower(), (e.kind, e.payload)
