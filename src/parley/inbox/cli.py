"""``parley inbox``: what needs you now, as the overview shows it (``GET /api/inbox``)."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console
from rich.table import Column, Table

from parley.client import AsJson, Token, Url
from parley.client import call as _call

out = Console()


def _left(due: str | None, now: datetime) -> str:
    if not due:
        return ""
    seconds = int((datetime.fromisoformat(due) - now).total_seconds())
    if seconds <= 0:
        return "overdue"
    hours, rest = divmod(seconds, 3600)
    return f"{hours} h {rest // 60} min left" if hours else f"{rest // 60} min left"


def inbox(url: Url = "http://127.0.0.1:8000", token: Token = "", as_json: AsJson = False) -> None:
    """What needs you now: answers due, escalations, unread messages, sign-offs, lists and handovers awaited,
    review pairs and open inquiries, each with where it is done."""
    data = _call(url, token, "GET", "/api/inbox")
    if as_json:
        out.print_json(data=data)
        return
    if not data["items"]:
        out.print("Nothing needs you now.")
        return
    now = datetime.now(UTC)
    t = Table(Column("", no_wrap=True), Column("what", overflow="fold"), Column("about", overflow="fold"),
              Column("time", no_wrap=True), Column("where", no_wrap=True))
    for i in data["items"]:
        t.add_row("[bold red]![/bold red]" if i["urgent"] else "", i["text"], i["title"], _left(i["due"], now),
                  url.rstrip("/") + i["href"])
    out.print(t)
    out.print(f"{data['count']} items, {data['urgent']} urgent")
