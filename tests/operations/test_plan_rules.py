"""The time rules of a plan, without a database, a session or a clock (``parley.operations.plan_rules``): the
window, the notice period, the answer deadline and lateness, what the board shows for silence, and starting
only inside the acknowledged window. Boundaries are checked on both sides."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from parley.errors import Conflict, Unprocessable
from parley.operations import plan_rules as R

UTC = timezone.utc
KYIV = timezone(timedelta(hours=3))  # summer time, as a fixed offset
RULES = {"notice_hours": 48, "emergency_notice_hours": 24, "answer_hours": 24, "emergency_answer_hours": 6}
WHEN = datetime(2022, 5, 1, 9, 0, tzinfo=UTC)  # the time stated in the proposal's record
H = timedelta(hours=1)
S = timedelta(seconds=1)


def refusal(exc: pytest.ExceptionInfo[Unprocessable] | pytest.ExceptionInfo[Conflict]) -> tuple[str, str | None]:
    return str(exc.value), exc.value.field


# -- the window -------------------------------------------------------------------------------------------

def test_a_window_is_returned_in_utc():
    start, end = R.check_window(datetime(2022, 5, 4, 12, 0, tzinfo=KYIV), datetime(2022, 5, 5, 12, 0, tzinfo=KYIV),
                                WHEN)
    assert start == datetime(2022, 5, 4, 9, 0, tzinfo=UTC) and start.utcoffset() == timedelta(0)
    assert end - start == 24 * H


@pytest.mark.parametrize("length", [timedelta(0), -H])
def test_a_window_must_end_after_it_starts(length):
    start = WHEN + 72 * H
    with pytest.raises(Unprocessable) as exc:
        R.check_window(start, start + length, WHEN)
    assert refusal(exc) == ("the window ends before it starts", "plan.window.end")


def test_a_window_lasts_at_most_fourteen_days():
    start = WHEN + 72 * H
    assert R.check_window(start, start + R.MAX_WINDOW, WHEN) == (start, start + R.MAX_WINDOW)
    with pytest.raises(Unprocessable) as exc:
        R.check_window(start, start + R.MAX_WINDOW + S, WHEN, "plan")
    assert refusal(exc) == ("a window lasts at most 14 days", "plan.window.end")


def test_a_window_may_not_start_before_the_proposal():
    assert R.check_window(WHEN, WHEN + H, WHEN)[0] == WHEN  # starting at the proposal's time is not the past
    with pytest.raises(Unprocessable) as exc:
        R.check_window(WHEN - S, WHEN + H, WHEN, "counter")
    message, field = refusal(exc)
    assert field == "counter.window.start"
    assert "2022-05-01 08:59 UTC" in message and "stated at 2022-05-01 09:00 UTC" in message


def test_the_past_is_judged_in_utc_not_on_the_clock_face():
    # 11:30 in Kyiv is 08:30 UTC: before a proposal stated at 09:00 UTC, although 11:30 > 09:00.
    with pytest.raises(Unprocessable):
        R.check_window(datetime(2022, 5, 1, 11, 30, tzinfo=KYIV), datetime(2022, 5, 2, tzinfo=KYIV), WHEN)


# -- the notice -------------------------------------------------------------------------------------------

def test_the_notice_period_is_the_emergency_one_for_an_emergency():
    assert R.notice(RULES, emergency=False) == 48 * H
    assert R.notice(RULES, emergency=True) == 24 * H


def test_exactly_the_notice_period_is_enough_a_second_less_is_not():
    R.check_notice(WHEN + 48 * H, WHEN, RULES, False)
    with pytest.raises(Unprocessable) as exc:
        R.check_notice(WHEN + 47 * H, WHEN, RULES, False)
    assert refusal(exc) == ("the window starts 47.0 h after the proposal; the notice period is 48 h "
                            "(24 h for an emergency)", "plan.window.start")
    with pytest.raises(Unprocessable):
        R.check_notice(WHEN + 48 * H - S, WHEN, RULES, False)


def test_an_emergency_needs_only_the_emergency_notice():
    start = WHEN + 30 * H
    with pytest.raises(Unprocessable):
        R.check_notice(start, WHEN, RULES, emergency=False)
    R.check_notice(start, WHEN, RULES, emergency=True)
    with pytest.raises(Unprocessable):
        R.check_notice(WHEN + 24 * H - S, WHEN, RULES, emergency=True)


def test_without_a_notice_period_a_window_may_start_at_once():
    rules = {**RULES, "notice_hours": 0, "emergency_notice_hours": 0}
    R.check_notice(WHEN, WHEN, rules, False)
    R.check_notice(WHEN, WHEN, rules, True)


# -- the answer deadline ----------------------------------------------------------------------------------

def test_the_answer_deadline_is_the_answer_period_after_the_proposal():
    start = WHEN + 72 * H
    assert R.answer_by(WHEN, start, RULES, emergency=False) == WHEN + 24 * H
    assert R.answer_by(WHEN, start, RULES, emergency=True) == WHEN + 6 * H


def test_the_answer_deadline_never_falls_after_the_window_starts():
    rules = {**RULES, "notice_hours": 2, "emergency_notice_hours": 1}
    start = WHEN + 3 * H
    assert R.answer_by(WHEN, start, rules, emergency=False) == start  # 24 h would be after the start
    assert R.answer_by(WHEN, WHEN + 6 * H, rules, emergency=True) == WHEN + 6 * H  # equal: both are the deadline


@pytest.mark.parametrize(("emergency", "notice_h"), [(False, 48), (True, 24), (False, 100), (True, 1000)])
def test_every_plan_that_passes_the_notice_gets_a_deadline_before_its_window(emergency, notice_h):
    for answer_h in (1, 6, 24, 24 * 30):
        rules = {"notice_hours": notice_h, "emergency_notice_hours": notice_h, "answer_hours": answer_h,
                 "emergency_answer_hours": answer_h}
        start = WHEN + notice_h * H
        R.check_notice(start, WHEN, rules, emergency)
        deadline = R.answer_by(WHEN, start, rules, emergency)
        assert WHEN < deadline <= start
        assert deadline == min(WHEN + answer_h * H, start)


def test_an_answer_at_the_deadline_is_in_time_after_it_late():
    deadline = WHEN + 24 * H
    assert not R.is_late(deadline - S, deadline)
    assert not R.is_late(deadline, deadline)
    assert R.is_late(deadline + timedelta(microseconds=1), deadline)


def test_silence_is_awaited_until_the_deadline_then_shown_as_no_answer():
    deadline = WHEN + 24 * H
    assert R.unanswered(deadline, WHEN) == ("awaiting", 24 * 3600)
    assert R.unanswered(deadline, deadline - S) == ("awaiting", 1)
    assert R.unanswered(deadline, deadline - timedelta(milliseconds=500)) == ("no_answer", 0)  # whole seconds
    assert R.unanswered(deadline, deadline) == ("no_answer", 0)
    assert R.unanswered(deadline, deadline + 48 * H) == ("no_answer", 0)  # never negative, never "acknowledged"


# -- starting inside the window ---------------------------------------------------------------------------

def test_an_operation_starts_only_before_its_window_ends():
    end = WHEN + 72 * H
    R.check_window_open(end - S, end)
    with pytest.raises(Conflict) as exc:
        R.check_window_open(end, end)
    message, field = refusal(exc)
    assert field == "action" and "ended at 2022-05-04 09:00 UTC" in message
    with pytest.raises(Conflict):
        R.check_window_open(end + H, end)


def test_the_rules_load_no_database_no_schema_and_no_geometry():
    code = ("import sys, parley.operations.plan_rules\n"
            "heavy = [m for m in ('sqlalchemy', 'pydantic', 'fastapi', 'shapely', 'pyproj', 'parley.records',"
            " 'parley.operations.kinds', 'parley.operations.models') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
