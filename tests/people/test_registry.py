"""The registry on the one write path: registering persons, status events, corrections, match decisions and
inquiries as signed records; audiences that keep personal data to the parties concerned and the mediators;
every refusal leaves nothing behind. Runs on SQLite and PostgreSQL. All persons are invented."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from parley.errors import ParleyError
from parley.log.models import LogEntry
from parley.people import service as svc
from parley.people.models import Inquiry, InquiryDecision, MatchDecision, Person, PersonEvent
from parley.records.compose import compose
from tests.conftest import ORIGIN

UA_RU = "party:ru,party:ua"


def submit(rt, demo, who: str, kind: str, payload: Any, audience: str, time: datetime | None = None):  # type: ignore[no-untyped-def]
    note = compose(demo.signer(who), origin=ORIGIN, kind=kind, audience=audience, payload=payload, time=time)
    return rt.pipeline.submit(note, payload)


def logged(rt) -> int:  # type: ignore[no-untyped-def]
    with rt.sessions() as s:
        return s.scalar(select(func.count()).select_from(LogEntry))


def refused(rt, demo, who, kind, payload, audience, status: int, words: str, field: str | None = None):  # type: ignore[no-untyped-def]
    before = logged(rt)
    with pytest.raises(ParleyError) as err:
        submit(rt, demo, who, kind, payload, audience)
    assert err.value.status == status, err.value.message
    assert words in err.value.message, err.value.message
    if field is not None:
        assert err.value.field == field, err.value.field
    assert logged(rt) == before
    return err.value


def pow_ru(pid: str = "ru-p-0001", **person: Any) -> dict[str, Any]:
    """Russia reports a Ukrainian prisoner of war, in Russian forms (invented person)."""
    fields = {"surname": "Ковалёв", "first_name": "Александр", "patronymic": "Петрович", "birth_date": "1991-03-14",
              "birth_place": "Бердянск", "rank": "сержант", "service_number": "АА123456",
              "capture_date": "2022-05-17", "capture_place": "Мариуполь", "held_at": "Еленовка",
              "power_depended_on": "Украина", "person_to_inform": "мать, Бердянск"}
    fields.update(person)
    return {"id": pid, "category": "pow", "own_party": "ua", "person": fields}


def missing_ua(pid: str = "ua-p-0001", **person: Any) -> dict[str, Any]:
    """Ukraine reports the same man missing, in Ukrainian forms."""
    fields = {"surname": "Ковальов", "first_name": "Олександр", "patronymic": "Петрович", "birth_date": "1991-03-14",
              "birth_place": "Бердянськ", "service_number": "АА123456"}
    fields.update(person)
    return {"id": pid, "category": "missing", "person": fields}


def mine(rows) -> set[str]:  # type: ignore[no-untyped-def]
    """The persons this test registered (the demo has its own registry, ids ``<party>-azov-…``)."""
    return {x.id for x in rows if "-p-" in x.id}


def principal(s, member: str):  # type: ignore[no-untyped-def]
    from parley.auth import load_principal

    return load_principal(s, member)


def test_register_and_read_per_party_and_role(runtime, demo):
    submit(runtime, demo, "ru/registrar", "person.register", pow_ru(), UA_RU)
    submit(runtime, demo, "ua/registrar", "person.register", missing_ua(), "party:ua")
    with runtime.sessions() as s:
        p = s.get(Person, "ru-p-0001")
        assert p.status == "captured" and p.status_date == "2022-05-17" and p.own_party == "ua"
        assert p.surname_key and p.birth_year == "1991"
        ev = s.execute(select(PersonEvent).where(PersonEvent.person == p.id)).scalars().one()
        assert ev.event == "captured" and ev.party == "ru" and ev.place == "Мариуполь"
        # The person's own party reads Russia's report; Russia does not read Ukraine's list of its missing.
        ua, ru, icrc = principal(s, "ua/registrar"), principal(s, "ru/registrar"), principal(s, "icrc/mediator")
        assert mine(svc.persons(s, ua)) == {"ru-p-0001", "ua-p-0001"}
        assert mine(svc.persons(s, ru)) == {"ru-p-0001"}
        assert mine(svc.persons(s, icrc)) == {"ru-p-0001", "ua-p-0001"}
        assert all(x.party == "ru" or x.own_party == "ru" for x in svc.persons(s, ru))
        with pytest.raises(ParleyError):
            svc.person(s, ru, "ua-p-0001")
        # Press and liaison officers do not read personal data, even of their own party's reports.
        for member in ("ua/press", "ua/liaison"):
            with pytest.raises(ParleyError) as err:
                svc.persons(s, principal(s, member))
            assert err.value.status == 403


def test_search_across_scripts(runtime, demo):
    submit(runtime, demo, "ru/registrar", "person.register", pow_ru(), UA_RU)
    with runtime.sessions() as s:
        ua = principal(s, "ua/registrar")
        for q in ("Ковальов Олександр", "Kovalyov Oleksandr", "Kovalev", "KOWALJOW", "Ковалев Александр 1991"):
            found = [p.id for p, _ in svc.search(s, ua, q) if "-p-" in p.id]
            assert found[:1] == ["ru-p-0001"], q
        assert svc.search(s, ua, "Чорновол") == []
        assert [p.id for p, _ in svc.search(s, ua, "Ковальов 1985") if "-p-" in p.id] == []


def test_audience_keeps_personal_data_to_the_parties_concerned(runtime, demo):
    for audience in ("all", "public", "party:ru,role:press", "party:ru,party:tr", "party:ru"):
        refused(runtime, demo, "ru/registrar", "person.register", pow_ru(), audience, 422, "", field="audience")
    # A party that is not a belligerent is not a person's own party.
    refused(runtime, demo, "ru/registrar", "person.register", {**pow_ru(), "own_party": "icrc"}, "party:icrc,party:ru",
            422, "belligerent", field="own_party")


def test_bad_person_records_are_refused_and_nothing_is_stored(runtime, demo):
    r = refused(runtime, demo, "ru/registrar", "person.register", pow_ru(birth_date="1990-02-31"), UA_RU, 422,
                "no such date", field="person.birth_date")
    assert "1990" not in r.message  # errors name fields, never personal data
    refused(runtime, demo, "ru/registrar", "person.register", pow_ru(birth_date="1890"), UA_RU, 422, "1900",
            field="person.birth_date")
    future = (datetime.now(UTC) + timedelta(days=40)).strftime("%Y-%m-%d")
    refused(runtime, demo, "ru/registrar", "person.register", pow_ru(capture_date=future), UA_RU, 422,
            "after the record's own time", field="person.capture_date")
    refused(runtime, demo, "ru/registrar", "person.register", pow_ru(death_date="1980"), UA_RU, 422,
            "before the date of birth", field="person.death_date")
    refused(runtime, demo, "ru/registrar", "person.register", pow_ru(birth_date="14.03.1991"), UA_RU, 422, "",
            field="person.birth_date")
    refused(runtime, demo, "ru/registrar", "person.register", pow_ru(surname=""), UA_RU, 422, "",
            field="person.surname")
    refused(runtime, demo, "ru/registrar", "person.register", pow_ru(nickname="x"), UA_RU, 422, "")
    refused(runtime, demo, "ru/registrar", "person.register", pow_ru(surname="К" * 201), UA_RU, 422, "")
    # Only registrars and admins register persons.
    refused(runtime, demo, "ru/negotiator", "person.register", pow_ru(), UA_RU, 403, "may not write person.register")
    refused(runtime, demo, "ua/press", "person.register",
            missing_ua(), "party:ua", 403, "may not write person.register")
    submit(runtime, demo, "ru/registrar", "person.register", pow_ru(), UA_RU)
    refused(runtime, demo, "ru/registrar", "person.register", pow_ru(first_name="Иван"), UA_RU, 409,
            "already registered", field="id")


def test_status_history_events_and_corrections(runtime, demo):
    submit(runtime, demo, "ru/registrar", "person.register", pow_ru(), UA_RU)
    submit(runtime, demo, "icrc/admin", "person.event", {"person": "ru-p-0001", "event": "visited",
                                                        "date": "2022-06-02", "place": "Еленовка"}, UA_RU)
    submit(runtime, demo, "ru/registrar", "person.event", {"person": "ru-p-0001", "event": "hospitalised",
                                                          "date": "2022-06-10", "place": "Донецк",
                                                          "seriously_wounded": True}, UA_RU)
    with runtime.sessions() as s:
        p = s.get(Person, "ru-p-0001")
        assert p.status == "hospitalised" and p.seriously_wounded
        events = [(e.event, e.party) for e in s.execute(select(PersonEvent).where(PersonEvent.person == p.id)
                                                         .order_by(PersonEvent.idx)).scalars()]
        assert events == [("captured", "ru"), ("visited", "icrc"), ("hospitalised", "ru")]
    # An event before birth, an unknown event, a party not concerned: refused.
    refused(runtime, demo, "ru/registrar", "person.event", {"person": "ru-p-0001", "event": "visited",
                                                           "date": "1980-01-01"}, UA_RU, 422, "before", field="date")
    refused(runtime, demo, "ru/registrar", "person.event", {"person": "ru-p-0001", "event": "teleported"}, UA_RU,
            422, "")
    refused(runtime, demo, "tr/observer", "person.event", {"person": "ru-p-0001", "event": "visited"}, UA_RU, 403, "")
    # Ukraine, the person's own party, records the repatriation; then nothing but a visit, hospital or death.
    submit(runtime, demo, "ua/registrar", "person.event", {"person": "ru-p-0001", "event": "repatriated",
                                                          "date": "2022-09-21", "place": "Чернігів"}, UA_RU)
    refused(runtime, demo, "ru/registrar", "person.event", {"person": "ru-p-0001", "event": "transferred",
                                                           "date": "2022-09-22"}, UA_RU, 409, "repatriated")
    # Only the reporting party corrects its report.
    fixed = pow_ru()
    fixed["person"]["rank"] = "старший сержант"
    refused(runtime, demo, "ua/registrar", "person.update", {"id": "ru-p-0001", "person": fixed["person"]}, UA_RU,
            403, "reporting party")
    submit(runtime, demo, "ru/registrar", "person.update", {"id": "ru-p-0001", "person": fixed["person"],
                                                           "seriously_wounded": True}, UA_RU)
    with runtime.sessions() as s:
        assert s.get(Person, "ru-p-0001").rank == "старший сержант"


def test_match_decisions_are_kept_and_superseded(runtime, demo):
    submit(runtime, demo, "ru/registrar", "person.register", pow_ru(), UA_RU)
    submit(runtime, demo, "ua/registrar", "person.register", missing_ua(), "party:ua")
    # Russia cannot read Ukraine's record, so it cannot decide about it.
    refused(runtime, demo, "ru/registrar", "match.decide", {"left": "ru-p-0001", "right": "ua-p-0001",
                                                           "decision": "same"}, UA_RU, 404, "", field="right")
    refused(runtime, demo, "ua/registrar", "match.decide", {"left": "ru-p-0001", "right": "ru-p-0001",
                                                           "decision": "same"}, UA_RU, 422, "two different")
    refused(runtime, demo, "ua/registrar", "match.decide", {"left": "ru-p-0001", "right": "ua-p-0001",
                                                           "decision": "same"}, "all", 422, "", field="audience")
    submit(runtime, demo, "ua/registrar", "match.decide", {"left": "ua-p-0001", "right": "ru-p-0001",
                                                          "decision": "same", "probability": 0.97}, UA_RU)
    refused(runtime, demo, "ua/registrar", "match.decide", {"left": "ru-p-0001", "right": "ua-p-0001",
                                                           "decision": "same"}, UA_RU, 409, "already decided")
    with runtime.sessions() as s:
        ua = principal(s, "ua/registrar")
        assert [x.id for x in svc.same_as(s, ua, s.get(Person, "ua-p-0001"))] == ["ru-p-0001"]
        # Both sides' records stay as they were reported: nothing is overwritten.
        assert s.get(Person, "ua-p-0001").category == "missing" and s.get(Person, "ru-p-0001").category == "pow"
    submit(runtime, demo, "ua/registrar", "match.decide", {"left": "ru-p-0001", "right": "ua-p-0001",
                                                          "decision": "different", "note": "other unit"}, UA_RU)
    with runtime.sessions() as s:
        rows = list(s.execute(select(MatchDecision).where(MatchDecision.left.like("%-p-%"))
                              .order_by(MatchDecision.idx)).scalars())
        assert [(d.decision, d.current) for d in rows] == [("same", False), ("different", True)]
        assert svc.same_as(s, principal(s, "ua/registrar"), s.get(Person, "ua-p-0001")) == []


def test_inquiry_secret_and_family_view(runtime, demo):
    submit(runtime, demo, "ru/registrar", "person.register", pow_ru(), UA_RU)
    ref, secret = svc.new_reference("ua"), svc.new_secret()
    payload = {"id": ref, "relationship": "mother",
               "sought": {"surname": "Ковальов", "first_name": "Олександр", "birth_date": "1991"}}
    local = svc.local_secret(secret)

    def file(audience: str, body: dict[str, Any], kept: dict[str, Any] | None):  # type: ignore[no-untyped-def]
        note = compose(demo.signer("ua/registrar"), origin=ORIGIN, kind="inquiry.file", audience=audience,
                       payload=body)
        return runtime.pipeline.submit(note, body, local=kept)

    # The secret's verifier never goes into the signed payload, and is kept only as an Argon2 hash.
    for body, kept, field in (({**payload, "secret_hash": local["secret_hash"]}, local, "secret_hash"),
                              (payload, {"secret_hash": secret}, "secret")):
        before = logged(runtime)
        with pytest.raises(ParleyError) as err:
            file("party:ua", body, kept)
        assert err.value.status == 422 and err.value.field == field and secret not in err.value.message
        assert logged(runtime) == before
    refused(runtime, demo, "ua/registrar", "inquiry.file", payload, "all", 422, "", field="audience")
    file("party:ua", payload, local)
    with runtime.sessions() as s:
        inq = s.get(Inquiry, ref)
        assert inq.status == "open" and not hasattr(inq, "secret_hash")
        assert svc.family_view(s, ref, "WRONG-WRONG-WRONG-WRONG") is None
        assert svc.family_view(s, "INQ-UA-0000-0000", secret) is None
        view = svc.family_view(s, ref.lower(), secret.lower())
        assert view is not None and view.status == "open" and view.messages == []
    refused(runtime, demo, "ru/registrar", "inquiry.decide", {"inquiry": ref, "decision": "message",
                                                             "message": "x"}, "party:ua", 404, "")
    refused(runtime, demo, "ua/registrar", "inquiry.decide", {"inquiry": ref, "decision": "confirmed"}, "party:ua",
            422, "names the person")
    submit(runtime, demo, "ua/registrar", "inquiry.decide", {"inquiry": ref, "decision": "rejected",
                                                            "person": "ru-p-0001"}, "party:ua")
    submit(runtime, demo, "ua/registrar", "inquiry.decide", {
        "inquiry": ref, "decision": "confirmed", "person": "ru-p-0001",
        "message": "Your son is registered as a prisoner of war; the ICRC visited him in June 2022."}, "party:ua")
    with runtime.sessions() as s:
        view = svc.family_view(s, ref, secret)
        assert view.status == "answered"
        assert [m for _, m in view.messages] == [
            "Your son is registered as a prisoner of war; the ICRC visited him in June 2022."]
        assert len(s.execute(select(InquiryDecision).where(InquiryDecision.inquiry == ref)).scalars().all()) == 2
    submit(runtime, demo, "ua/registrar", "inquiry.decide", {"inquiry": ref, "decision": "closed",
                                                            "message": "Closed at the family's request."}, "party:ua")
    refused(runtime, demo, "ua/registrar", "inquiry.decide", {"inquiry": ref, "decision": "message",
                                                             "message": "again"}, "party:ua", 409, "closed")


def test_replay_rebuilds_the_registry(runtime, demo, tmp_path):
    from parley.db import make_engine
    from parley.logserver.replay import differences, replay
    from parley.people.models import TABLES

    submit(runtime, demo, "ru/registrar", "person.register", pow_ru(), UA_RU)
    submit(runtime, demo, "ua/registrar", "person.register", missing_ua(), "party:ua")
    submit(runtime, demo, "icrc/admin", "person.event", {"person": "ru-p-0001", "event": "visited",
                                                        "date": "2022-06-02"}, UA_RU)
    submit(runtime, demo, "ua/registrar", "match.decide", {"left": "ua-p-0001", "right": "ru-p-0001",
                                                          "decision": "same"}, UA_RU)
    target = make_engine(f"sqlite:///{tmp_path / 'rebuilt.db'}")
    report = replay(runtime.engine, target, runtime.log_signer, ORIGIN, kinds=runtime.kinds)
    assert report.problems == []
    assert differences(runtime.engine, target, TABLES) == []
