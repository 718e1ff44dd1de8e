"""Who may act on an operation, an incident or a zone: pure predicates, one per rule.

Each takes the actor (a signed-in ``Principal`` or a record's author, ``records.kinds.Context``) and the object
as a plain view (an ``Operation``, ``Incident`` or ``Zone`` row, or anything with the same attributes); none
opens a session or does I/O. The object is one the actor may read: every kind and every page looks it up
through the read policy first and treats one it may not read as absent.

The record kinds (``operations.kinds``) enforce these when a record is applied, each refusal with its own
message; the pages ask the composed predicates (``may_answer``, ``may_change_status`` …) which forms and
buttons to offer. What only the record can tell (its version, its time, its plan) stays in the kinds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from parley.operations import plan_rules
from parley.parties.rules import Actor, is_mediator_admin

# Who states operations, incidents, zones and channel messages.
WRITERS = frozenset({"negotiator", "liaison", "admin"})
ACTIONS = {  # action → (statuses it may follow, status it leads to)
    "start": (("acknowledged",), "under_way"),
    "suspend": (("under_way",), "suspended"),
    "resume": (("suspended",), "under_way"),
    "complete": (("under_way", "suspended"), "completed"),
    "abort": (("proposed", "acknowledged", "under_way", "suspended"), "aborted"),
}
ANSWERABLE = ("proposed", "acknowledged")  # the parties concerned answer the current version
REVISABLE = ("proposed", "acknowledged", "suspended")  # a new version may replace the current one
MOVING = ("under_way", "suspended")  # movements are reported
REPORTING = ("under_way", "suspended", "completed")  # outcomes are reported


class OperationView(Protocol):
    @property
    def mediator(self) -> str | None: ...

    @property
    def mediator_list(self) -> list[str]: ...

    @property
    def organisers(self) -> list[str]: ...

    @property
    def party_list(self) -> list[str]: ...

    @property
    def status(self) -> str: ...


class IncidentView(Protocol):
    @property
    def party(self) -> str: ...

    @property
    def account_of(self) -> str | None: ...


class ZoneView(Protocol):
    @property
    def party(self) -> str: ...


# -- the parts ---------------------------------------------------------------------------------------
def states_operations(who: Actor) -> bool:
    """Negotiators, liaison officers and admins state operations, incidents, zones and channel messages."""
    return bool(who.roles & WRITERS)


def organises(who: Actor, op: OperationView) -> bool:
    """``who`` belongs to one who runs the operation: its organising mediator or a co-organising one, or, for an
    operation agreed directly between the parties (no mediator), a party concerned."""
    return who.party in op.organisers


def is_concerned(who: Actor, op: OperationView) -> bool:
    """``who``'s party is one the operation concerns (a belligerent that answers it)."""
    return who.party in op.party_list


def takes_part(who: Actor, op: OperationView) -> bool:
    """A mediator taking part (organising or in another role) or a party concerned."""
    return who.party in op.mediator_list or is_concerned(who, op)


def proposes_plan(who: Actor, mediators: Sequence[str], parties: Sequence[str]) -> bool:
    """A plan is proposed (or revised, or countered) by a mediator it names or a party it concerns."""
    return who.party in mediators or who.party in parties


def action_follows(op: OperationView, action: str) -> bool:
    """The status ``action`` leads from is the operation's (``ACTIONS``)."""
    return action in ACTIONS and op.status in ACTIONS[action][0]


def is_first_account(incident: IncidentView) -> bool:
    """Another account names the first account of an incident, not another account."""
    return incident.account_of is None


def gives_other_account(who: Actor, incident: IncidentView) -> bool:
    """A party gives one account of an incident: another account comes from another party."""
    return incident.party != who.party


def withdraws(who: Actor, zone: ZoneView) -> bool:
    """The declaring party withdraws its zone; a mediator's admin withdraws any."""
    return zone.party == who.party or is_mediator_admin(who)


# -- the rules, as the kinds enforce them and the pages offer them -----------------------------------
def may_propose(who: Actor) -> bool:
    """``operation.propose`` of a new operation (whose plan then names ``who``'s party, ``proposes_plan``)."""
    return states_operations(who)


def may_revise(who: Actor, op: OperationView) -> bool:
    """``operation.propose`` superseding the current version."""
    return states_operations(who) and op.status in REVISABLE and takes_part(who, op)


def may_answer(who: Actor, op: OperationView, answered: bool) -> bool:
    """``operation.answer`` (acknowledge, decline or counter-propose) of the current version, which ``who``'s
    party has not ``answered`` (nor proposed)."""
    return states_operations(who) and is_concerned(who, op) and op.status in ANSWERABLE and not answered


def may_change_status(who: Actor, op: OperationView, action: str) -> bool:
    """``operation.status``: the organising mediator starts, suspends, resumes, completes or aborts, each from
    the statuses ``ACTIONS`` names. (Starting or resuming also needs the window not to have ended by the
    record's time; the kind checks that against the record.)"""
    return states_operations(who) and organises(who, op) and action_follows(op, action)


def status_actions(who: Actor, op: OperationView, now: datetime | None = None,
                   window_end: datetime | None = None) -> list[str]:
    """The actions ``may_change_status`` allows ``who`` now, in ``ACTIONS``' order; given the present and the
    acknowledged window's end, not starting or resuming once the window has ended (``plan_rules``)."""
    return [a for a in ACTIONS if may_change_status(who, op, a)
            and not (a in ("start", "resume") and now is not None and window_end is not None
                     and not plan_rules.window_open(now, window_end))]


def may_report_movement(who: Actor, op: OperationView) -> bool:
    """``operation.movement``: the mediator or a party concerned, while the operation is under way or
    suspended."""
    return states_operations(who) and takes_part(who, op) and op.status in MOVING


def may_report_outcome(who: Actor, op: OperationView) -> bool:
    """``operation.outcome``: the mediator or a party concerned, once the operation has started."""
    return states_operations(who) and takes_part(who, op) and op.status in REPORTING


def may_use_channel(who: Actor, op: OperationView) -> bool:
    """``channel.post`` to the operation's channel, and the receipts a member gives for their party when the
    channel is fetched or read (``channel.receipt``, for messages addressed to the party): the mediator and
    the parties concerned, through their negotiators, liaison officers and admins."""
    return states_operations(who) and takes_part(who, op)


class ChannelView(Protocol):
    @property
    def party_list(self) -> list[str]: ...

    @property
    def member_list(self) -> list[str]: ...

    @property
    def mediator(self) -> str | None: ...


def may_use_standing(who: Actor, channel: ChannelView) -> bool:
    """``channel.post`` to a standing channel: its designated members, and the writers of its mediator."""
    if not states_operations(who):
        return False
    member = getattr(who, "member", None)
    return member in channel.member_list or (channel.mediator is not None and who.party == channel.mediator)


def may_give_receipt(who: Actor, recipients: Sequence[str]) -> bool:
    """``channel.receipt`` for a message: only a party it is addressed to."""
    return who.party in recipients


def may_report_incident(who: Actor) -> bool:
    """``incident.report`` (a first account, or another party's account of one, ``may_give_account``)."""
    return states_operations(who)


def may_give_account(who: Actor, incident: IncidentView) -> bool:
    """``incident.report`` naming ``incident`` as the first account it answers."""
    return states_operations(who) and is_first_account(incident) and gives_other_account(who, incident)


def may_declare_zone(who: Actor) -> bool:
    """``zone.declare``."""
    return states_operations(who)


def may_withdraw_zone(who: Actor, zone: ZoneView) -> bool:
    """``zone.withdraw``."""
    return states_operations(who) and withdraws(who, zone)


def may_set_rules(who: Actor) -> bool:
    """``operation.rules``: the notice and answer periods are set by a mediator's admin."""
    return is_mediator_admin(who)
