"""Who may act in an exchange, and when its terms are agreed: pure predicates, one per rule.

Each takes the actor (a signed-in ``Principal`` or a record's author, ``records.kinds.Context``) and plain views of
the objects; none opens a session. The record kinds (``exchanges.kinds``) enforce them with their own refusals;
the pages ask them which forms to offer.

The parties agree an exchange; the mediators facilitate it, interview each person held in private about
repatriation, and witness the handover. A mediator never signs for a party, never hands over or receives a person,
and a party never records another's consent interview.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from parley.parties.rules import Actor

NEGOTIATORS = frozenset({"negotiator", "admin"})  # propose and sign terms, release, state counts, close
REGISTRARS = frozenset({"registrar", "negotiator", "admin"})  # lists, plans, consent, handover, bodies
WRITERS = NEGOTIATORS | REGISTRARS
# Who reads an exchange inside its audience (its parties and mediators): negotiators and registrars, admins and
# auditors; never press nor liaison officers (embargo), never a public inquiry form.
READERS = frozenset({"negotiator", "registrar", "admin", "auditor"})
# What a party releases once the exchange is completed (``exchange.release``): its figures, no names.
RELEASE_READERS = READERS | {"press", "liaison"}
KINDS = ("prisoners", "civilians", "remains", "mixed")
FORMULAS = ("n_for_n", "all_for_all", "by_category")
CATEGORIES = ("wounded", "officer", "soldier", "civilian")
STATUSES = ("proposed", "agreed", "under_way", "completed", "suspended", "cancelled")
OPEN = ("proposed", "agreed", "under_way", "suspended")
STEPS = ("handed_over", "received", "witnessed")
BODY_STATES = ("unidentified", "preliminary", "dna_sampled", "identified")
HELD = ("captured", "detained", "held_at", "transferred", "visited", "hospitalised")


class ExchangeView(Protocol):
    @property
    def party_list(self) -> list[str]: ...

    @property
    def mediator_list(self) -> list[str]: ...

    @property
    def status(self) -> str: ...


def takes_part(who: Actor, x: ExchangeView) -> bool:
    return who.party in x.party_list or who.party in x.mediator_list


def is_party(who: Actor, x: ExchangeView) -> bool:
    return who.party in x.party_list


def is_mediator(who: Actor, x: ExchangeView) -> bool:
    return who.party in x.mediator_list


def is_open(x: ExchangeView) -> bool:
    return x.status in OPEN


def may_propose(who: Actor, x: ExchangeView) -> bool:
    """A party's negotiators propose and counter-propose terms, and the mediators draft them, until the handover
    begins."""
    return bool(who.roles & NEGOTIATORS) and takes_part(who, x) and x.status in ("proposed", "agreed")


def may_sign(who: Actor, x: ExchangeView) -> bool:
    return bool(who.roles & NEGOTIATORS) and is_party(who, x) and x.status in ("proposed", "agreed")


def may_list(who: Actor, x: ExchangeView) -> bool:
    return bool(who.roles & REGISTRARS) and is_party(who, x) and is_open(x)


def may_interview(who: Actor, x: ExchangeView) -> bool:
    return bool(who.roles & REGISTRARS) and is_mediator(who, x) and is_open(x)


def may_plan(who: Actor, x: ExchangeView) -> bool:
    return bool(who.roles & REGISTRARS) and takes_part(who, x) and x.status in ("agreed", "under_way")


def may_confirm(who: Actor, x: ExchangeView) -> bool:
    return bool(who.roles & REGISTRARS) and takes_part(who, x) and x.status in ("agreed", "under_way")


def may_count(who: Actor, x: ExchangeView) -> bool:
    return bool(who.roles & NEGOTIATORS | who.roles & REGISTRARS) and is_party(who, x) \
        and x.status in ("under_way", "completed", "agreed")


def may_close(who: Actor, x: ExchangeView) -> bool:
    """The mediators declare an exchange completed, suspended or cancelled (each side states its own count)."""
    return bool(who.roles & NEGOTIATORS) and is_mediator(who, x) and x.status not in ("completed", "cancelled")


def may_release(who: Actor, x: ExchangeView) -> bool:
    return bool(who.roles & NEGOTIATORS) and is_party(who, x) and x.status == "completed"


def signed_by_all(parties: Iterable[str], signed: Mapping[str, str], sha256: str) -> bool:
    """Has every party signed exactly ``sha256``? ``signed``: party -> the hash it signed."""
    return all(signed.get(p) == sha256 for p in parties)
