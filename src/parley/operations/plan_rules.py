"""The time rules of an operation's plan, as plain functions on datetimes and the deployment's rules (the
mapping ``kinds.rules`` reads: ``notice_hours``, ``emergency_notice_hours``, ``answer_hours``,
``emergency_answer_hours``): no database, no session, no clock.

- **The window**: it ends after it starts, lasts at most ``MAX_WINDOW``, and does not start before the time
  stated in the proposal's record.
- **The notice**: the window starts at least the notice period after the proposal (the emergency period for
  an emergency).
- **The answer deadline**: the answer period after the proposal, but never after the window starts; an answer
  after it is late, and silence past it is "no answer" (never acknowledgement).
- **Starting**: an operation starts or resumes only before its acknowledged window ends.

Every time compared is the one in a signed record (or, for what is shown, the present the reader passes in),
so replaying the log anywhere reaches the same state. The record kinds (``kinds.py``) and the board
(``service.py``) call these.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from parley.errors import Conflict, Unprocessable
from parley.operations import codes as C

MAX_WINDOW = timedelta(days=14)


def utc(t: datetime) -> datetime:
    return t.astimezone(UTC)


def check_window(start: datetime, end: datetime, when: datetime, field: str = "plan") -> tuple[datetime, datetime]:
    """The window (start, end) in UTC, proposed at ``when``; refused if it ends before it starts, lasts more
    than ``MAX_WINDOW`` or starts before ``when``."""
    start, end = utc(start), utc(end)
    if end <= start:
        raise Unprocessable(C.WINDOW_ENDS_FIRST, field=f"{field}.window.end")
    if end - start > MAX_WINDOW:
        raise Unprocessable(C.WINDOW_TOO_LONG, n=MAX_WINDOW.days, field=f"{field}.window.end")
    if start < when:
        raise Unprocessable(C.WINDOW_PAST, start=f"{start:%Y-%m-%d %H:%M}", when=f"{when:%Y-%m-%d %H:%M}",
                            field=f"{field}.window.start")
    return start, end


def notice(rules: Mapping[str, Any], emergency: bool) -> timedelta:
    """The notice period a plan owes: the emergency one for an emergency."""
    return timedelta(hours=rules["emergency_notice_hours" if emergency else "notice_hours"])


def check_notice(start: datetime, when: datetime, rules: Mapping[str, Any], emergency: bool,
                 field: str = "plan") -> None:
    """Refuse a window starting less than the notice period after the proposal at ``when`` (exactly the
    period is enough)."""
    if start - when < notice(rules, emergency):
        hours = (start - when).total_seconds() / 3600
        raise Unprocessable(C.NOTICE, hours=f"{hours:.1f}", notice=rules["notice_hours"],
                            emergency=rules["emergency_notice_hours"], field=f"{field}.window.start")


def answer_by(when: datetime, start: datetime, rules: Mapping[str, Any], emergency: bool) -> datetime:
    """The deadline for answering a version proposed at ``when``: the answer period later (the emergency
    one for an emergency), but never after the window starts."""
    period = timedelta(hours=rules["emergency_answer_hours" if emergency else "answer_hours"])
    return min(when + period, start)


def is_late(at: datetime, deadline: datetime) -> bool:
    """An answer given at ``at`` is late when it comes after the deadline (at the deadline is in time)."""
    return at > deadline


def unanswered(deadline: datetime, now: datetime) -> tuple[str, int]:
    """A party that has not answered, as the board shows it at ``now``: ("awaiting", seconds left) before
    the deadline, ("no_answer", 0) from the deadline on, counted in whole seconds (less than one second left
    is no answer). Silence is never an answer."""
    left = int((deadline - now).total_seconds())
    return ("awaiting" if left > 0 else "no_answer"), max(left, 0)


def window_open(when: datetime, window_end: datetime) -> bool:
    """An operation may start (or resume) at ``when``: its acknowledged window has not ended."""
    return when < window_end


def before_window(when: datetime, window_start: datetime) -> bool:
    """Is ``when`` before the agreed window opens? Starting then needs a stated reason (``operation.status``)."""
    return when < window_start


def check_window_open(when: datetime, window_end: datetime) -> None:
    """Refuse starting (or resuming) at ``when`` an operation whose acknowledged window has ended."""
    if not window_open(when, window_end):
        raise Conflict(C.WINDOW_ENDED, end=f"{window_end:%Y-%m-%d %H:%M}", field="action")
