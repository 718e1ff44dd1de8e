"""The public state every public answer is kept by (``press.service.public_state``) is asked of the database again
when this process commits, when the clock reaches the next embargo, and STATE_FOR seconds after it was last
asked: a change another process made shows that much later, never not at all."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from parley.press import service as svc
from parley.press.models import Statement

STATEMENT = "ua-statement-corridors-understanding"


def state(rt):  # type: ignore[no-untyped-def]
    with rt.sessions() as s:
        return svc.public_state(s)


def stored(at: datetime) -> str:
    """A time as the UTC column type stores it in SQLite."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


def test_a_commit_here_shows_at_once(sqlite_runtime, sqlite_demo, monkeypatch):
    monkeypatch.setattr(svc, "STATE_FOR", 3600.0)
    rt = sqlite_runtime
    before = state(rt)
    assert state(rt) == before
    with rt.sessions() as s:
        s.execute(update(Statement).where(Statement.id == STATEMENT)
                  .values(embargo_until=datetime.now(UTC) - timedelta(hours=1)))
        s.commit()
    after = state(rt)
    assert after != before and after[3] == before[3] + 1  # one more embargo lifted


def test_another_process_s_change_shows_after_state_for(sqlite_runtime, sqlite_demo, monkeypatch):
    rt = sqlite_runtime
    monkeypatch.setattr(svc, "STATE_FOR", 2.0)
    before = state(rt)
    asked = time.monotonic()
    # Another process's write: no commit of this process's engines sees it.
    path = rt.settings.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as other:
        other.execute("UPDATE statement SET embargo_until = ? WHERE id = ?",
                      (stored(datetime.now(UTC) - timedelta(hours=1)), STATEMENT))
    kept = state(rt)
    if time.monotonic() - asked < 2.0:
        assert kept == before  # kept: asked again only after STATE_FOR
    time.sleep(max(0.0, 2.1 - (time.monotonic() - asked)))
    assert state(rt)[3] == before[3] + 1


def test_the_next_embargo_is_lifted_on_time(sqlite_runtime, sqlite_demo, monkeypatch):
    monkeypatch.setattr(svc, "STATE_FOR", 3600.0)
    rt = sqlite_runtime
    lifted = state(rt)[3]
    embargo = datetime.now(UTC) + timedelta(seconds=2)
    with rt.sessions() as s:
        s.execute(update(Statement).where(Statement.id == STATEMENT).values(embargo_until=embargo))
        s.commit()
    before = state(rt)
    if datetime.now(UTC) < embargo:  # a very slow machine may be past it already
        assert before[3] == lifted and state(rt) == before
    time.sleep(max(0.0, (embargo - datetime.now(UTC)).total_seconds()) + 0.2)
    assert state(rt)[3] == lifted + 1  # the clock passed the embargo: asked again, lifted
