"""The write rules of the registry of persons (``parley.people.rules``) over their truth tables: pure, no
database."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from parley.parties.naming import ROLES
from parley.people import rules

PARTIES = {"icrc": "mediator", "ua": "belligerent", "ru": "belligerent", "tr": "observer"}


@dataclass(frozen=True)
class Actor:
    party: str
    party_kind: str
    roles: frozenset[str]


@dataclass(frozen=True)
class Person:
    party: str


@dataclass(frozen=True)
class Inquiry:
    party: str
    status: str


def actors() -> list[Actor]:
    return [Actor(p, kind, frozenset({r})) for p, kind in PARTIES.items() for r in ROLES] + \
           [Actor(p, kind, frozenset({"intake", "registrar"})) for p, kind in PARTIES.items()]


def test_the_roles_that_write_the_registry():
    by_role = {r: Actor("ua", "belligerent", frozenset({r})) for r in ROLES}
    assert {r for r, a in by_role.items() if rules.may_record_event(a)} == {"registrar", "admin"}
    assert {r for r, a in by_role.items() if rules.may_import_list(a)} == {"registrar", "admin"}
    assert {r for r, a in by_role.items() if rules.may_decide_match(a)} == {"registrar", "admin", "negotiator"}
    assert {r for r, a in by_role.items() if rules.may_file_inquiry(a)} == {"registrar", "admin", "intake"}
    assert {r for r, a in by_role.items() if rules.files_for_own_party_only(a)} == set(ROLES) - {"registrar", "admin"}


def test_parties_register_persons_observers_do_not():
    for a in actors():
        expected = bool(a.roles & {"registrar", "admin"}) and a.party_kind in ("belligerent", "mediator")
        assert rules.may_register(a) is expected, a
    assert not rules.may_register(Actor("tr", "observer", frozenset({"registrar", "admin"})))


def test_a_report_is_corrected_by_the_reporting_party_only():
    for a, reporter in itertools.product(actors(), PARTIES):
        expected = bool(a.roles & {"registrar", "admin"}) and a.party == reporter
        assert rules.may_correct(a, Person(reporter)) is expected, (a, reporter)
    # Not even a mediator corrects another party's report: it registers its own.
    assert not rules.may_correct(Actor("icrc", "mediator", frozenset({"admin"})), Person("ua"))


def test_an_open_inquiry_is_answered_by_the_filing_partys_writers_and_the_mediators():
    for a, party, status in itertools.product(actors(), ("ua", "ru"), ("open", "answered", "closed")):
        expected = (bool(a.roles & {"registrar", "admin"}) and (a.party == party or a.party_kind == "mediator")
                    and status != "closed")
        assert rules.may_decide(a, Inquiry(party, status)) is expected, (a, party, status)
    registrar = Actor("ua", "belligerent", frozenset({"registrar"}))
    assert rules.may_decide(registrar, Inquiry("ua", "answered"))
    assert not rules.may_decide(registrar, Inquiry("ua", "closed"))
    assert not rules.may_decide(registrar, Inquiry("ru", "open"))
    assert not rules.may_decide(Actor("ua", "belligerent", frozenset({"negotiator"})), Inquiry("ua", "open"))
