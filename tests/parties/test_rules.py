"""The spine's write rules (``parley.parties.rules``) over their truth tables: pure, no database."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest

from parley.parties import rules
from parley.parties.naming import ROLES

PARTY_KINDS = ("belligerent", "mediator", "observer")


@dataclass(frozen=True)
class Actor:
    party: str
    party_kind: str
    roles: frozenset[str]
    member: str = ""


def actors() -> list[Actor]:
    """One member of each kind of party with each single role, and with admin among two roles."""
    out = []
    for kind, party in (("belligerent", "ua"), ("mediator", "icrc"), ("observer", "tr")):
        for role in ROLES:
            out.append(Actor(party, kind, frozenset({role}), f"{party}/{role}"))
        out.append(Actor(party, kind, frozenset({"liaison", "admin"}), f"{party}/two"))
        out.append(Actor(party, kind, frozenset(), f"{party}/none"))
    return out


def test_only_a_mediators_admin_creates_parties():
    allowed = {(a.party_kind, a.roles) for a in actors() if rules.may_create_party(a)}
    assert allowed == {("mediator", frozenset({"admin"})), ("mediator", frozenset({"liaison", "admin"}))}
    for a in actors():
        assert rules.is_mediator_admin(a) == rules.may_create_party(a)


@pytest.mark.parametrize("has_admin", [False, True])
def test_members_are_managed_by_the_partys_admins_or_a_mediators_admin_setting_it_up(has_admin):
    for a, party in itertools.product(actors(), ("ua", "icrc", "tr", "ru")):
        admin = "admin" in a.roles
        own = a.party == party
        setting_up = a.party_kind == "mediator" and not has_admin
        assert rules.may_manage(a, party, has_admin) == (admin and (own or setting_up)), (a, party)


def test_the_table_of_managing_a_partys_members():
    ua_admin = Actor("ua", "belligerent", frozenset({"admin"}), "ua/admin")
    ru_admin = Actor("ru", "belligerent", frozenset({"admin"}), "ru/admin")
    icrc_admin = Actor("icrc", "mediator", frozenset({"admin"}), "icrc/admin")
    tr_admin = Actor("tr", "observer", frozenset({"admin"}), "tr/admin")
    ua_registrar = Actor("ua", "belligerent", frozenset({"registrar"}), "ua/registrar")
    table = [  # (actor, party, the party has an active admin, may manage)
        (ua_admin, "ua", True, True), (ua_admin, "ua", False, True),
        (ru_admin, "ua", True, False), (ru_admin, "ua", False, False),
        (icrc_admin, "ua", True, False), (icrc_admin, "ua", False, True), (icrc_admin, "icrc", True, True),
        (tr_admin, "ua", False, False), (ua_registrar, "ua", True, False), (ua_registrar, "ua", False, False),
    ]
    for who, party, has_admin, expected in table:
        assert rules.may_manage(who, party, has_admin) is expected, (who, party, has_admin)


@pytest.mark.parametrize("has_admin", [False, True])
def test_keys_are_managed_by_their_member_or_whoever_manages_the_party(has_admin):
    for a in actors():
        for member, party in ((a.member, a.party), ("ua/negotiator", "ua"), ("icrc/mediator", "icrc")):
            own = member == a.member
            assert rules.may_manage_keys(a, member, party, has_admin) == (
                own or rules.may_manage(a, party, has_admin)), (a, member)
    # A member with no role at all still manages their own keys, and nobody else's.
    nobody = Actor("ua", "belligerent", frozenset(), "ua/x")
    assert rules.may_manage_keys(nobody, "ua/x", "ua", True)
    assert not rules.may_manage_keys(nobody, "ua/y", "ua", False)


def test_tokens_and_sessions_are_each_members_own():
    admin = Actor("icrc", "mediator", frozenset({"admin"}), "icrc/admin")
    assert rules.may_create_token(admin, "icrc/admin") and rules.may_end_sessions(admin, "icrc/admin")
    # Not even a mediator's admin, who manages a party being set up, holds another member's token or sessions.
    assert not rules.may_create_token(admin, "ua/negotiator")
    assert not rules.may_end_sessions(admin, "ua/negotiator")
    assert not rules.may_create_token(admin, "icrc/auditor")
