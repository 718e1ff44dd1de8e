"""Who may act on parties, members and keys: pure predicates, one per rule.

Each takes the actor — a signed-in member (``parties.principal.Principal``) or a record's author
(``records.kinds.Context``), both seen through ``Actor`` — and plain values (slugs, member ids, a flag the
caller read from the database); none opens a session or does I/O. The spine's record kinds
(``records.kinds``) enforce them when a record is applied, and refuse with their own messages; the pages ask
the same predicates which forms to offer, so no page restates a rule.
"""

from __future__ import annotations

from typing import Protocol


class Actor(Protocol):
    """Whoever acts: their party, its kind and their roles."""

    @property
    def party(self) -> str: ...

    @property
    def party_kind(self) -> str: ...

    @property
    def roles(self) -> frozenset[str]: ...


class Self(Actor, Protocol):
    """An actor known as a member (``<party>/<handle>``)."""

    @property
    def member(self) -> str: ...


def is_mediator_admin(who: Actor) -> bool:
    """An admin of a mediator party: creates parties, sets the operations' periods, withdraws any zone."""
    return who.party_kind == "mediator" and "admin" in who.roles


def may_create_party(who: Actor) -> bool:
    """``party.create``: only a mediator's admin creates parties (so no belligerent's admin can widen what
    anyone reads across parties)."""
    return is_mediator_admin(who)


def may_manage(who: Actor, party: str, party_has_admin: bool) -> bool:
    """May ``who`` manage the members and keys of ``party`` (``party.update``, ``member.create``,
    ``member.update``)? Its own admins do. A mediator's admin does only while the party has no active admin
    of its own (``party_has_admin``): it sets a party up, then the party runs itself, so that a mediator
    never acts as a belligerent's member. ``parley log verify`` lists every membership or key record
    authored outside its party."""
    if "admin" not in who.roles:
        return False
    if who.party == party:
        return True
    return who.party_kind == "mediator" and not party_has_admin


def may_manage_keys(who: Self, member: str, party: str, party_has_admin: bool) -> bool:
    """``key.register``, ``key.revoke``, ``key.rotate`` of ``member`` (of ``party``): the member themself, or
    whoever manages the party's members (``may_manage``)."""
    return who.member == member or may_manage(who, party, party_has_admin)


def may_create_token(who: Self, member: str) -> bool:
    """An API token (a local credential, not a record): each member creates their own."""
    return who.member == member


def may_end_sessions(who: Self, member: str) -> bool:
    """Web sessions (local, not records): members see and end their own; an admin deactivates a member to end
    theirs."""
    return who.member == member
