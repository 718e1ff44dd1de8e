"""The write rules of operations (``parley.operations.rules``) over their truth tables: pure, no database."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from dataclasses import dataclass, field

from parley.operations import rules
from parley.parties.naming import ROLES

STATUSES = ("proposed", "acknowledged", "under_way", "suspended", "completed", "aborted")
STATERS = {"negotiator", "liaison", "admin"}


@dataclass(frozen=True)
class Actor:
    party: str
    party_kind: str
    roles: frozenset[str]


@dataclass(frozen=True)
class Op:
    status: str
    mediator: str | None = "icrc"
    party_list: list[str] = field(default_factory=lambda: ["ru", "ua"])
    co_mediators: list[tuple[str, str]] = field(default_factory=list)  # (party, role)

    @property
    def mediator_list(self) -> list[str]:
        return [*([self.mediator] if self.mediator else []), *(p for p, _ in self.co_mediators)]

    @property
    def organisers(self) -> list[str]:
        if self.mediator is None:
            return self.party_list
        return [self.mediator, *(p for p, role in self.co_mediators if role == "co_organiser")]


@dataclass(frozen=True)
class Incident:
    party: str
    account_of: str | None = None


@dataclass(frozen=True)
class Zone:
    party: str


PARTIES = {"icrc": "mediator", "un-ocha": "mediator", "ua": "belligerent", "ru": "belligerent",
           "pl": "belligerent", "tr": "observer"}


def actors() -> list[Actor]:
    return [Actor(p, kind, frozenset({r})) for p, kind in PARTIES.items() for r in ROLES] + \
           [Actor(p, kind, frozenset({"press", "admin"})) for p, kind in PARTIES.items()]


def writer(a: Actor) -> bool:
    return bool(a.roles & STATERS)


def test_who_states_operations_incidents_and_zones():
    for a in actors():
        expected = writer(a)
        assert rules.states_operations(a) is expected
        assert rules.may_propose(a) is expected
        assert rules.may_report_incident(a) is expected
        assert rules.may_declare_zone(a) is expected
    assert not rules.may_propose(Actor("ua", "belligerent", frozenset({"registrar", "press", "auditor"})))


def test_answers_come_from_the_parties_concerned_while_the_operation_is_proposed():
    for a, status, answered in itertools.product(actors(), STATUSES, (False, True)):
        op = Op(status)
        expected = (writer(a) and a.party in ("ru", "ua") and status in ("proposed", "acknowledged")
                    and not answered)
        assert rules.may_answer(a, op, answered) is expected, (a, status, answered)
    # The mediator organises; it does not answer.
    assert not rules.may_answer(Actor("icrc", "mediator", frozenset({"negotiator"})), Op("proposed"), False)


def test_status_changes_by_the_organising_mediator_along_the_actions():
    follows = {"start": {"acknowledged"}, "suspend": {"under_way"}, "resume": {"suspended"},
               "complete": {"under_way", "suspended"},
               "abort": {"proposed", "acknowledged", "under_way", "suspended"}}
    for a, status in itertools.product(actors(), STATUSES):
        op = Op(status)
        for action, after in follows.items():
            expected = writer(a) and a.party == "icrc" and status in after
            assert rules.may_change_status(a, op, action) is expected, (a, status, action)
        assert rules.status_actions(a, op) == [x for x in follows if rules.may_change_status(a, op, x)]
        assert not rules.may_change_status(a, op, "explode")
    mediator = Actor("icrc", "mediator", frozenset({"liaison"}))
    assert rules.status_actions(mediator, Op("acknowledged")) == ["start", "abort"]
    assert rules.status_actions(mediator, Op("under_way")) == ["suspend", "complete", "abort"]
    assert rules.status_actions(mediator, Op("completed")) == []
    # Another mediator's admin does not run an operation it does not organise.
    assert rules.status_actions(Actor("un-ocha", "mediator", frozenset({"admin"})), Op("under_way")) == []
    # A co-organising mediator runs it too; a mediator that only registers persons does not.
    un = Actor("un-ocha", "mediator", frozenset({"liaison"}))
    assert rules.status_actions(un, Op("under_way", co_mediators=[("un-ocha", "co_organiser")])) == [
        "suspend", "complete", "abort"]
    assert rules.status_actions(un, Op("under_way", co_mediators=[("un-ocha", "registration")])) == []
    assert rules.may_report_movement(un, Op("under_way", co_mediators=[("un-ocha", "registration")]))
    # Agreed directly between the parties (no mediator): the parties concerned run it, no mediator does.
    direct = Op("under_way", mediator=None)
    assert rules.status_actions(Actor("ua", "belligerent", frozenset({"liaison"})), direct) == [
        "suspend", "complete", "abort"]
    assert rules.status_actions(mediator, direct) == [] and not rules.may_report_movement(mediator, direct)
    # Once the acknowledged window has ended, nothing starts or resumes; ending it is still offered.
    end = datetime(2026, 5, 1, 12, tzinfo=UTC)
    before, at = end - timedelta(seconds=1), end
    assert rules.status_actions(mediator, Op("acknowledged"), before, end) == ["start", "abort"]
    assert rules.status_actions(mediator, Op("acknowledged"), at, end) == ["abort"]
    assert rules.status_actions(mediator, Op("suspended"), at, end) == ["complete", "abort"]
    assert rules.status_actions(mediator, Op("suspended"), before, end) == ["resume", "complete", "abort"]


def test_movements_outcomes_and_the_channel_by_whoever_takes_part():
    for a, status in itertools.product(actors(), STATUSES):
        op = Op(status)
        part = writer(a) and a.party in ("icrc", "ru", "ua")
        assert rules.may_report_movement(a, op) is (part and status in ("under_way", "suspended")), (a, status)
        assert rules.may_report_outcome(a, op) is (part and status in ("under_way", "suspended", "completed"))
        assert rules.may_use_channel(a, op) is part
        assert rules.may_revise(a, op) is (part and status in ("proposed", "acknowledged", "suspended"))


def test_plans_are_proposed_by_their_mediator_or_a_party_they_concern():
    table = [("icrc", True), ("ua", True), ("ru", True), ("un-ocha", False), ("pl", False), ("tr", False)]
    for party, expected in table:
        assert rules.proposes_plan(Actor(party, PARTIES[party], frozenset({"negotiator"})), "icrc",
                                   ["ru", "ua"]) is expected


def test_receipts_by_the_parties_a_message_is_addressed_to():
    assert rules.may_give_receipt(Actor("ru", "belligerent", frozenset({"liaison"})), ["icrc", "ru"])
    assert not rules.may_give_receipt(Actor("ua", "belligerent", frozenset({"liaison"})), ["icrc", "ru"])


def test_another_account_answers_a_first_account_of_another_party():
    first_ua, first_ru, second = Incident("ua"), Incident("ru"), Incident("ru", account_of="ua-inc-1")
    for a in actors():
        assert rules.may_give_account(a, first_ua) is (writer(a) and a.party != "ua")
        assert rules.may_give_account(a, first_ru) is (writer(a) and a.party != "ru")
        assert rules.may_give_account(a, second) is False


def test_a_zone_is_withdrawn_by_its_declaring_party_or_a_mediators_admin():
    for a in actors():
        mediator_admin = a.party_kind == "mediator" and "admin" in a.roles
        assert rules.may_withdraw_zone(a, Zone("ua")) is (writer(a) and (a.party == "ua" or mediator_admin)), a
        assert rules.may_set_rules(a) is mediator_admin
