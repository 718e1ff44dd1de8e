"""``parley log verify``: each party's own audit detects edits to records, payloads and hashes, and
saves evidence of a fork."""

from __future__ import annotations

import json
import shutil

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from parley.app import create_app
from parley.log.models import LogEntry
from parley.log.state import StateError
from parley.logserver.audit import AuditError, Auditor, ForkDetected
from parley.records.compose import compose
from tests.conftest import ORIGIN, load_demo_into, make_runtime


def audit(rt, demo, state, member="ru/negotiator"):
    client = TestClient(create_app(rt.settings, rt))
    return Auditor("", rt.log_signer.vkey(), state, demo.token(member), client=client, kinds=rt.kinds).run()


def test_audit_passes_and_remembers(sqlite_runtime, sqlite_demo, tmp_path):
    rt, demo = sqlite_runtime, sqlite_demo
    report = audit(rt, demo, tmp_path / "state")
    # Russia's negotiator checks every record Russia may read: all but those private to Ukraine (a note to the
    # ICRC, Ukraine's list of its missing and its families' inquiries).
    # (and the ICRC's consent interviews of the men Ukraine holds, closed to Ukraine and the ICRC; and Ukraine's
    # statements, closed to Ukraine: those released are public through the public side, not in members' listings).
    with rt.sessions() as s:
        private = s.query(LogEntry).filter(LogEntry.audience.in_(
            ["party:icrc,party:ua", "party:ua", "only,party:icrc,party:ua", "only,party:ua"])).count()
    assert private > 1
    assert report.ok and report.records_checked == report.size - private
    rt.pipeline.submit(compose(demo.signer("ru/negotiator"), origin=ORIGIN, kind="record.note", audience="all",
                               payload={"text": "more"}), {"text": "more"})
    again = audit(rt, demo, tmp_path / "state")
    assert again.ok and again.old_size == report.size and again.size == report.size + 1
    everything = audit(rt, demo, tmp_path / "auditor-state", member="icrc/auditor")
    # The mediator's auditor checks every record but the families' inquiries, whose contact is read by
    # registrars only (parley.records.policy), and the records of the back channel and the military-to-military
    # channel, closed to the two parties' negotiators (talks), and Ukraine's statements, closed to Ukraine (the
    # released ones are checked through the public side: parley log verify-statement).
    with rt.sessions() as s:
        inquiries = s.query(LogEntry).filter(LogEntry.kind == "inquiry.file").count()
        closed = s.query(LogEntry).filter(LogEntry.audience == "only,party:ru/negotiator,party:ua/negotiator").count()
        statements = s.query(LogEntry).filter(LogEntry.kind.like("statement.%")).count()
    assert inquiries > 0 and closed > 0 and statements > 0 and everything.ok
    assert everything.records_checked == everything.size - inquiries - closed - statements
    # Inclusion proofs: every record's up to the sample's size (256 by default), a random sample beyond.
    assert everything.proofs_checked == min(everything.records_checked, 256)
    assert everything.checkpoints_checked == 2
    # Every operation is recomputed: none names a point the ICRC may not read (an operation names only a point
    # everyone it reaches may read).
    assert everything.projections_compared["person"] > 50
    assert (everything.projections_compared["operation"], everything.projections_skipped["operation"]) == (3, 0)


def test_edited_payload_is_detected(sqlite_runtime, sqlite_demo, tmp_path):
    rt, demo = sqlite_runtime, sqlite_demo
    with rt.sessions() as s:
        row = s.get(LogEntry, 1)
        payload = json.loads(row.payload)
        payload["kind"] = "mediator"
        s.execute(update(LogEntry).where(LogEntry.idx == 1).values(payload=json.dumps(payload)))
        s.commit()
    report = audit(rt, demo, tmp_path / "state")
    assert report.failures[0][0] == 1 and "payload" in report.failures[0][1]
    # Record 1 set up a party: what depended on it fails too, pointing at the cause.
    assert all("after record 1 failed" in why for _, why in report.failures[1:])
    assert not (tmp_path / "state" / "test.parley.local_log.checkpoint").exists()


def test_edited_note_is_detected(sqlite_runtime, sqlite_demo, tmp_path):
    rt, demo = sqlite_runtime, sqlite_demo
    with rt.sessions() as s:
        row = s.get(LogEntry, 2)
        s.execute(update(LogEntry).where(LogEntry.idx == 2).values(note=row.note.replace(b"audience all",
                                                                                         b"audience public")))
        s.commit()
    report = audit(rt, demo, tmp_path / "state")
    assert report.failures[0][0] == 2 and "leaf" in report.failures[0][1]
    assert all("after record 2 failed" in why for _, why in report.failures[1:])


def test_edited_hash_is_detected(sqlite_runtime, sqlite_demo, tmp_path):
    rt, demo = sqlite_runtime, sqlite_demo
    with rt.sessions() as s:
        s.execute(update(LogEntry).where(LogEntry.idx == 3).values(leaf_hash=b"\x00" * 32))
        s.commit()
    from parley.log.store import NodeCache

    rt.cache = NodeCache()  # as after a restart: this process had cached the true leaf
    with pytest.raises(AuditError):
        audit(rt, demo, tmp_path / "state")


def test_fork_is_detected_and_evidence_saved(tmp_path, deployments):
    # Two deployments with the same log key: the operator shows the auditor two histories.
    a, demo_a = deployments.sqlite_demo(tmp_path)
    # The log's state file refuses a second database behind what it released...
    with pytest.raises(StateError, match="rolled back"):
        make_runtime(f"sqlite:///{tmp_path / 'b.db'}", tmp_path)
    # ... so the operator copies the log key to a data directory of its own.
    (tmp_path / "b").mkdir()
    shutil.copy(tmp_path / "log.key", tmp_path / "b" / "log.key")
    b = make_runtime(f"sqlite:///{tmp_path / 'b.db'}", tmp_path / "b")
    demo_b = load_demo_into(b)
    state = tmp_path / "state"
    assert audit(a, demo_a, state).ok
    for i in range(3):
        b.pipeline.submit(compose(demo_b.signer("ru/negotiator"), origin=ORIGIN, kind="record.note",
                                  audience="all", payload={"text": f"other {i}"}), {"text": f"other {i}"})
    with pytest.raises(ForkDetected) as info:
        audit(b, demo_b, state)
    ev = info.value.evidence
    assert (ev / "old.checkpoint").read_bytes() != (ev / "new.checkpoint").read_bytes()
    assert json.loads((ev / "proof.json").read_text())["proof"]
    a.close()
    b.close()


def test_a_key_listing_that_lies_is_detected(sqlite_runtime, sqlite_demo, tmp_path):
    from parley.log.note import Signer
    from parley.parties.models import MemberKey

    rt, demo = sqlite_runtime, sqlite_demo
    signer = demo.signer("ru/liaison")
    rt.pipeline.submit(compose(signer, origin=ORIGIN, kind="key.revoke", audience="all",
                               payload={"member": "ru/liaison", "key_id": signer.key_id.hex(), "reason": "lost"}),
                       {"member": "ru/liaison", "key_id": signer.key_id.hex(), "reason": "lost"})
    assert audit(rt, demo, tmp_path / "honest").ok
    # The operator un-revokes the key and slips in a key no record registered.
    intruder = Signer.generate("ua/negotiator")
    with rt.sessions() as s:
        s.execute(update(MemberKey).where(MemberKey.key_id == signer.key_id.hex()).values(revoked_idx=None))
        s.add(MemberKey(key_id=intruder.key_id.hex(), name="ua/negotiator", member="ua/negotiator",
                        vkey=intruder.vkey(), registered_idx=1))
        s.commit()
    report = audit(rt, demo, tmp_path / "fooled")
    assert not report.ok and "disagrees" in report.failures[-1][1]
