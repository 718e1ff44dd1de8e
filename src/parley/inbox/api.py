"""``GET /api/inbox``: what needs the caller now (``parley.inbox``), for the CLI and the pages' header."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from parley.apischema import answer, refusals
from parley.auth import CurrentPrincipal, DbSession
from parley.inbox.service import counts, inbox, text

router = APIRouter(prefix="/api", tags=["inbox"])


class InboxItem(BaseModel):
    kind: str  # answer_due | escalation | message | signoff | list_due | handover | review | inquiry
    title: str  # the operation's, channel's or exchange's title; empty for a count of pairs or inquiries
    text: str  # what it says, in English
    href: str  # the page where it is done
    due: datetime | None  # its deadline, if it has one
    urgent: bool  # overdue, or an urgent message
    count: int
    params: dict[str, Any]


class Inbox(BaseModel):
    items: list[InboxItem]  # urgent first, then by deadline
    count: int
    urgent: int


@router.get("/inbox", response_model=Inbox, responses=refusals(401, 503))
def get_inbox(s: DbSession, who: CurrentPrincipal) -> Response:
    """What needs you now, computed from the records you may read and the actions your roles allow: answers
    due, escalations, unread messages, sign-offs, lists and handovers awaited, review pairs, open inquiries."""
    items = inbox(s, who)
    return answer({"items": [{**i.as_json(), "text": text(i)} for i in items], **counts(items)})
