"""What needs a member now, computed (``parley.inbox``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from parley.parties.principal import Principal

# The kinds of item, in the order a page lists them when none is urgent or due sooner.
KINDS = ("answer_due", "escalation", "message", "signoff", "list_due", "handover", "review", "inquiry")


@dataclass(frozen=True)
class Item:
    kind: str  # one of KINDS
    title: str  # what it is about: an operation's, channel's or exchange's title ("" for a count)
    href: str  # where it is done
    due: datetime | None = None  # the deadline, if the item has one
    urgent: bool = False  # overdue, or an urgent message
    count: int = 1
    params: dict[str, Any] = field(default_factory=dict)  # what its text names (a party, a version …)

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "title": self.title, "href": self.href,
                "due": self.due.isoformat() if self.due else None, "urgent": self.urgent, "count": self.count,
                "params": self.params}


def _operations(s: Session, who: Principal, now: datetime) -> list[Item]:
    from parley.operations import rules, service
    from parley.operations.models import ACTIVE

    out: list[Item] = []
    if not rules.states_operations(who):
        return out
    for op in service.operations(s, who):
        if op.status not in ACTIVE:
            continue
        if op.status in rules.ANSWERABLE and rules.is_concerned(who, op):
            v, board = service.board(s, op, now)
            mine = next((r for r in board if r.party == who.party), None)
            if mine is not None and mine.state in ("awaiting", "no_answer"):
                out.append(Item("answer_due", op.title, f"/operations/{op.id}", v.answer_by,
                                urgent=mine.state == "no_answer", params={"version": op.version}))
        if rules.may_use_channel(who, op):
            unread = [m for m in service.channel(s, who, op, now)
                      if who.party in m.row.recipients.split(",") and "read" not in m.receipts.get(who.party, {})]
            if unread:
                out.append(Item("message", op.title, f"/operations/{op.id}#channel",
                                urgent=any(m.row.urgent for m in unread), count=len(unread)))
    for ch in service.standing_channels(s, who):
        if who.member not in ch.member_list:
            continue  # its designated members read and receipt for their party
        unread = [m for m in service.standing_messages(s, who, ch, now)
                  if who.party in m.row.recipients.split(",") and "read" not in m.receipts.get(who.party, {})]
        if unread:
            out.append(Item("message", ch.title, f"/channels/{ch.id}", urgent=any(m.row.urgent for m in unread),
                            count=len(unread)))
    for e in service.escalations(s, who, now):
        href = f"/operations/{e.operation}" if e.operation else f"/channels/{e.channel}"
        out.append(Item("escalation", e.title, href, e.since, urgent=True,
                        params={"reason": e.kind, "party": e.party}))
    return out


def _registry(s: Session, who: Principal) -> list[Item]:
    from parley.people import rules, service

    out: list[Item] = []
    if not service.may_read_people(who):
        return out
    if rules.writes_registry(who):
        pairs = service.review_queue(s, who)
        if pairs:
            out.append(Item("review", "", "/review", count=len(pairs)))
        waiting = [i for i in service.inquiries(s, who) if i.status == "open" and rules.answers_for(who, i)]
        if waiting:
            out.append(Item("inquiry", "", "/inquiries?status=open", count=len(waiting)))
    return out


def _exchanges(s: Session, who: Principal) -> list[Item]:
    from parley.exchanges import rules, service
    from parley.exchanges.models import ExchangeList

    out: list[Item] = []
    for x in service.exchanges(s, who):
        href = f"/exchanges/{x.id}"
        if rules.may_sign(who, x):
            signed = {o.signer for o in service.signoffs(s, who, x) if o.version == x.version}
            if who.party not in signed:
                out.append(Item("signoff", x.title, href, params={"version": x.version}))
        if rules.may_list(who, x) and x.status in ("proposed", "agreed") and not any(
                li.party == who.party for li in service.list_versions(s, who, x) if isinstance(li, ExchangeList)):
            out.append(Item("list_due", x.title, f"{href}/lists"))
        if rules.may_confirm(who, x) and x.status == "under_way":
            owed = 0
            for b in service.board(s, who, x):
                if b.complete:
                    continue
                step = _step_of(who, x, b)
                if step is not None and step not in b.steps and _ready(step, b):
                    owed += 1
            if owed:
                out.append(Item("handover", x.title, f"{href}/handover", count=owed))
    return out


def _step_of(who: Principal, x: Any, b: Any) -> str | None:
    """The handover step ``who``'s party confirms for the person on board row ``b``."""
    from parley.exchanges import rules

    if rules.is_mediator(who, x):
        return "witnessed"
    if who.party == b.side:
        return "handed_over"
    return "received" if who.party in x.party_list else None


def _ready(step: str, b: Any) -> bool:
    """A receipt or a witness is owed once the person was handed over; a handover as soon as the stage is on."""
    return step == "handed_over" or "handed_over" in b.steps




def inbox(s: Session, who: Principal, now: datetime | None = None) -> list[Item]:
    """Everything that needs ``who`` now: urgent first, then by deadline, then in ``KINDS`` order."""
    from parley.operations.service import now_utc

    now = now or now_utc()
    items = _operations(s, who, now) + _exchanges(s, who) + _registry(s, who)
    far = datetime.max.replace(tzinfo=now.tzinfo)
    return sorted(items, key=lambda i: (not i.urgent, i.due or far, KINDS.index(i.kind), i.title))


# What an item says, in English (the API and the command line; the pages word it in their reader's language,
# ``parley.web.inbox``): a sentence, or a sentence for one and for several (``{n}``).
TEXTS: dict[str, str | tuple[str, str]] = {
    "answer_due": "Your party's answer to version {version} is due",
    "message": ("{n} unread message for your party", "{n} unread messages for your party"),
    "signoff": "Your party's sign-off of version {version} of the terms is awaited",
    "list_due": "Your party's list for the exchange is awaited",
    "handover": ("{n} handover to confirm", "{n} handovers to confirm"),
    "review": ("{n} pair of records to review", "{n} pairs of records to review"),
    "inquiry": ("{n} open inquiry to answer", "{n} open inquiries to answer"),
}
ESCALATIONS: dict[str, str] = {
    "no_answer": "{party} has not answered by the deadline",
    "unread_urgent": "An urgent message is unread by {party}",
    "unseen_conflict": "The plan meets a zone or an operation that {party} may not read",
}


def text(item: Item, party_names: dict[str, str] | None = None) -> str:
    """What ``item`` says, in English; parties by their names in ``party_names`` (else their slugs)."""
    params = dict(item.params)
    if "party" in params and party_names:
        params["party"] = party_names.get(params["party"], params["party"])
    if item.kind == "escalation":
        return ESCALATIONS[params.pop("reason")].format(**params)
    message = TEXTS[item.kind]
    if isinstance(message, tuple):
        message = message[0] if item.count == 1 else message[1]
    return message.format(n=item.count, **params)


def counts(items: list[Item]) -> dict[str, int]:
    """What the header shows: the items, and how many of them are urgent."""
    return {"count": len(items), "urgent": sum(1 for i in items if i.urgent)}
