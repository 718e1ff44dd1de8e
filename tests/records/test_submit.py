"""The one write service: ``submit_as`` and its batch form ``submit_many_as`` sign as the member with their
custodial key and append through the pipeline; in a batch each record is accepted or refused on its own."""

from __future__ import annotations

import dataclasses

import pytest

from sqlalchemy import func, select

from parley.errors import ParleyError, Unprocessable
from parley.log.models import LogEntry
from parley.parties.principal import load_principal
from parley.records.pipeline import Receipt
from parley.runtime import Runtime
from parley.submit import submit_as, submit_many_as


def logged(rt: Runtime) -> int:
    with rt.sessions() as s:
        return s.scalar(select(func.count()).select_from(LogEntry)) or 0


def test_a_batch_keeps_its_good_records_and_answers_each_in_order(sqlite_runtime, sqlite_demo):
    rt = sqlite_runtime
    before = logged(rt)
    with rt.sessions() as s:
        who = load_principal(s, "ua/negotiator")
        assert who is not None
        out = submit_many_as(rt, s, who, [
            ("record.note", ["all"], {"text": "first"}),
            ("record.note", ["all"], {"text": ""}),  # an empty note: refused on its own
            ("record.note", ["party:ua"], {"text": "third"}),
        ])
    first, refused, third = out
    assert isinstance(first, Receipt) and isinstance(third, Receipt) and isinstance(refused, ParleyError)
    assert third.index == first.index + 1 and logged(rt) == before + 2
    with rt.sessions() as s:
        kept = [s.get(LogEntry, r.index) for r in (first, third)]
        assert [(e.kind, e.author) for e in kept if e is not None] == [("record.note", "ua/negotiator")] * 2


def test_one_record_as_a_member_and_none_for_a_member_without_a_custodial_key(sqlite_runtime, sqlite_demo):
    rt = sqlite_runtime
    with rt.sessions() as s:
        who = load_principal(s, "ua/negotiator")
        assert who is not None
        receipt = submit_as(rt, s, who, "record.note", ["all"], {"text": "one"})
    assert receipt.index == logged(rt) - 1
    before = logged(rt)
    ghost = dataclasses.replace(who, member="ua/nobody")
    with rt.sessions() as s, pytest.raises(Unprocessable, match="no signing key"):
        submit_many_as(rt, s, ghost, [("record.note", ["all"], {"text": "x"})])
    assert logged(rt) == before
