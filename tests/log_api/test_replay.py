"""Replay rebuilds every table from the log alone, and the result equals the live database."""

from __future__ import annotations

import json

from sqlalchemy import update

from parley.db import make_engine
from parley.log.models import LogEntry
from parley.log.note import Signer
from parley.logserver.replay import differences, replay
from parley.models import PROJECTION_TABLES, LogCheckpoint, LogEntry as Entry, LogNode
from parley.records.compose import compose
from tests.conftest import ORIGIN


def _activity(rt, demo):
    """Some history beyond the demo: rotations, revocations, updates, notes with refs."""
    old = demo.signer("ua/liaison")
    new = Signer.generate("ua/liaison")
    items = []

    def add(signer, kind, payload, audience="all", refs=()):
        items.append((compose(signer, origin=ORIGIN, kind=kind, audience=audience, payload=payload, refs=refs),
                      payload))

    add(old, "key.rotate", {"member": "ua/liaison", "old_key_id": old.key_id.hex(), "vkey": new.vkey()})
    add(demo.signer("ru/admin"), "member.update", {"member": "ru/liaison", "roles": ["liaison", "registrar"]})
    add(demo.signer("icrc/admin"), "party.update", {"slug": "tr", "names": {"en": "Türkiye", "uk": "Туреччина",
                                                                           "ru": "Турция"}})
    rt.pipeline.submit_many(items)
    with rt.sessions() as s:
        first = s.get(LogEntry, 1).record_hash
    rt.pipeline.submit_many([(compose(new, origin=ORIGIN, kind="record.note", audience="party:ua",
                                      payload={"text": "disputed"}, refs=[first]), {"text": "disputed"})])


def test_replay_rebuilds_every_table(runtime, demo, tmp_path):
    _activity(runtime, demo)
    target = make_engine(f"sqlite:///{tmp_path / 'rebuilt.db'}")
    report = replay(runtime.engine, target, runtime.log_signer, ORIGIN, kinds=runtime.kinds)
    assert report.problems == []
    assert report.records > 20
    assert differences(runtime.engine, target, (*PROJECTION_TABLES, Entry, LogNode, LogCheckpoint)) == []


def test_replay_detects_an_edited_payload(runtime, demo, tmp_path):
    with runtime.sessions() as s:
        row = s.get(LogEntry, 2)
        payload = json.loads(row.payload)
        payload["names"]["en"] = "Someone else"
        s.execute(update(LogEntry).where(LogEntry.idx == 2).values(payload=json.dumps(payload)))
        s.commit()
    report = replay(runtime.engine, make_engine(f"sqlite:///{tmp_path / 'rebuilt.db'}"), runtime.log_signer, ORIGIN,
                    kinds=runtime.kinds)
    assert report.problems and "record 2" in report.problems[0]


def test_replay_refuses_a_non_empty_target(runtime, demo):
    import pytest

    with pytest.raises(RuntimeError):
        replay(runtime.engine, runtime.engine, runtime.log_signer, ORIGIN, kinds=runtime.kinds)
