"""Who may act in talks, and when a point or a text is agreed: pure predicates, one per rule.

Each takes the actor (a signed-in ``Principal`` or a record's author, ``records.kinds.Context``) and plain views
of the objects (rows, or anything with the same attributes); none opens a session. The record kinds
(``talks.kinds``) enforce them with their own refusals; the pages ask them which forms to offer.

Mutual understanding (a point) and agreement (a joint text) are the strict rules of the issue: every party the
process requires must *currently* accept the *same* text. A party's own proposal or counter-proposal is its
acceptance of the text it proposes; a rejection, a reservation, or a party that has said nothing, is not. A
mediator is never a party to what is agreed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from parley.parties.rules import Actor

WRITERS = frozenset({"negotiator", "admin"})  # who writes talks records
IMPLEMENTERS = frozenset({"negotiator", "admin", "liaison"})  # who states how far a point is implemented
# Who reads talks records inside their audience: never press (what a party releases is the press desk's), never a
# registrar or a public inquiry form.
READERS = frozenset({"negotiator", "liaison", "admin", "auditor"})
FORMATS = ("official_talks", "back_channel", "military_channel")
STATUSES = ("active", "paused", "frozen", "resumed", "ended")
POSITIONS = ("proposed", "counter_proposed", "accepted", "rejected", "reserved")
ACCEPTING = ("proposed", "counter_proposed", "accepted")  # a position that accepts the text it names
LEVELS = (0, 1, 2, 3)  # Peace Accords Matrix: not started, minimal, intermediate, complete


class ProcessView(Protocol):
    @property
    def party_list(self) -> list[str]: ...

    @property
    def mediator_list(self) -> list[str]: ...

    @property
    def status(self) -> str: ...


def writes_talks(who: Actor) -> bool:
    return bool(who.roles & WRITERS)


def takes_part(who: Actor, process: ProcessView) -> bool:
    """``who``'s party is a party or a mediator of the process: it writes in it."""
    return who.party in process.party_list or who.party in process.mediator_list


def is_party(who: Actor, process: ProcessView) -> bool:
    """``who``'s party is one whose agreement the process needs: it states positions and signs texts."""
    return who.party in process.party_list


def agreed_text(parties: Iterable[str], current: Mapping[str, tuple[str, str | None]]) -> str | None:
    """The SHA-256 every party in ``parties`` currently accepts, or None. ``current``: party -> (position,
    sha256) of its latest position."""
    hashes = set()
    for p in parties:
        pos = current.get(p)
        if pos is None or pos[0] not in ACCEPTING or pos[1] is None:
            return None
        hashes.add(pos[1])
    return hashes.pop() if len(hashes) == 1 else None


def signed_by_all(parties: Iterable[str], signed: Mapping[str, str], sha256: str) -> bool:
    """Has every party in ``parties`` signed exactly ``sha256``? ``signed``: party -> the hash it signed."""
    return all(signed.get(p) == sha256 for p in parties)


def may_state_position(who: Actor, process: ProcessView) -> bool:
    return writes_talks(who) and is_party(who, process) and process.status != "ended"


def may_sign(who: Actor, process: ProcessView) -> bool:
    return writes_talks(who) and is_party(who, process)


def may_write(who: Actor, process: ProcessView) -> bool:
    return writes_talks(who) and takes_part(who, process)


def may_assess(who: Actor, process: ProcessView) -> bool:
    return bool(who.roles & IMPLEMENTERS) and takes_part(who, process)
