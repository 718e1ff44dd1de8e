"""Checkpoints kept (issue 11, docs/operations.md): one signed checkpoint per batch piled up (2,824 for
8,660 records). After a clean self-check, checkpoints older than the retention period that no client needs
are pruned: kept are the cosigned ones, the newest, the released and the newest published, and the first of
each hour. Every receipt, its own checkpoint pruned or not, still verifies, its record is still proved
against the log's current checkpoint, and the self-check still passes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from parley.log import merkle
from parley.log.checkpoint import Checkpoint
from parley.log.models import LogCheckpoint, LogCosignature
from parley.log.note import Verifier, open_note
from parley.log.proof import parse_tlog_proof, verify_tlog_proof
from parley.log.store import DbNodes, NodeCache, proof_checkpoint, tlog_proof
from parley.records.compose import compose
from tests.conftest import ORIGIN


def test_old_checkpoints_no_client_needs_are_pruned_and_receipts_still_verify(runtime, demo) -> None:  # type: ignore[no-untyped-def]
    signer = demo.signer("ua/negotiator")
    receipts = []
    for i in range(12):  # one batch each: one signed checkpoint each
        payload = {"text": f"note {i}"}
        note = compose(signer, origin=ORIGIN, kind="record.note", audience="all", payload=payload)
        receipts.append((note, runtime.pipeline.submit(note, payload)))
    sizes = [r.index + 1 for _, r in receipts]
    old = datetime.now(UTC) - timedelta(days=8)
    with runtime.sessions() as s, s.begin():
        before = set(s.execute(select(LogCheckpoint.size)).scalars())
        assert set(sizes) <= before
        # Everything but the newest was signed 8 days ago, within one hour; one of them was cosigned.
        s.execute(update(LogCheckpoint).where(LogCheckpoint.size < sizes[-1]).values(created_at=old))
        s.add(LogCosignature(size=sizes[5], witness="ua-witness", line="— ua-witness AAAA\n"))
        first = min(before)
    assert runtime.integrity is not None and runtime.integrity.retention == timedelta(days=7)
    report = runtime.integrity.run_once()  # a clean self-check, then the pruning
    assert report.ok, report.summary
    with runtime.sessions() as s:
        after = set(s.execute(select(LogCheckpoint.size)).scalars())
    assert after == {first, sizes[5], sizes[-1]}, sorted(after)
    assert runtime.integrity.prune() == 0  # nothing more: the rule is stable
    key = Verifier.from_vkey(runtime.log_signer.vkey())
    with runtime.sessions() as s:
        nodes = DbNodes(s, NodeCache())
        for note, receipt in receipts:
            cp = verify_tlog_proof(parse_tlog_proof(receipt.proof.encode()), note, key)  # offline, as a client
            now = proof_checkpoint(s, receipt.index)  # the record proved again, against what the log shows
            verify_tlog_proof(parse_tlog_proof(tlog_proof(nodes, receipt.index, now.size, now.note).encode()),
                              note, key)
            # And the receipt's checkpoint, pruned or not, is consistent with the log's current one.
            current = Checkpoint.parse(open_note(now.note, [key])[0])
            merkle.verify_consistency(cp.size, current.size, merkle.consistency_proof(nodes, cp.size, current.size),
                                      cp.root_hash, current.root_hash)
    assert runtime.integrity.run_once().ok
    payload = {"text": "after the pruning"}
    note = compose(signer, origin=ORIGIN, kind="record.note", audience="all", payload=payload)
    assert runtime.pipeline.submit(note, payload).index == sizes[-1]
