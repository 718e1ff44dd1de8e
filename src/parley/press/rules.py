"""Who may do what on the press desk: pure predicates.

A party's press officers, negotiators and admins draft its statements; a negotiator or admin other than the
author of the version approves it, and only then is it released (at once, or when its embargo lifts). Nobody
outside the party reads a statement before it is released; once released, anyone does.
"""

from __future__ import annotations

from parley.parties.rules import Actor, Self

DRAFTERS = frozenset({"press", "negotiator", "admin"})
APPROVERS = frozenset({"negotiator", "admin"})
# Inside the party, before release: who reads its drafts and approvals (auditors audit them).
READERS = DRAFTERS | {"auditor"}
LANGUAGES = ("uk", "ru", "en")
OBJECTS = ("exchange", "operation", "talks.point")


def may_draft(who: Actor, party: str) -> bool:
    return who.party == party and bool(who.roles & DRAFTERS)


def may_approve(who: Self, party: str, author: str) -> bool:
    """A second member of the party with authority: never the version's own author."""
    return who.party == party and bool(who.roles & APPROVERS) and who.member != author


def may_withdraw(who: Actor, party: str) -> bool:
    return who.party == party and bool(who.roles & APPROVERS)


def may_release_figures(who: Actor, party: str) -> bool:
    """``figures.release``: a negotiator or admin releases figures of its own party's records."""
    return who.party == party and bool(who.roles & APPROVERS)
