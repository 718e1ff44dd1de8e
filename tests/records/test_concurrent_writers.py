"""Two writers with their own engines and pipelines (as two server processes would be) append to one
log at once: every record lands exactly once, indices are dense, and every checkpoint is consistent."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

from sqlalchemy import func, select

from parley.assembly import open_runtime
from parley.db import make_engine
from parley.log import merkle
from parley.log.models import LogCheckpoint, LogEntry
from parley.log.note import Verifier
from parley.log.proof import parse_tlog_proof, verify_tlog_proof
from parley.log.store import DbNodes, NodeCache
from parley.records.compose import compose
from tests.conftest import ORIGIN


def test_two_writers_share_one_log(runtime, demo):
    second = open_runtime(runtime.settings, engine=make_engine(runtime.settings.database_url))
    try:
        writers = [runtime.pipeline, second.pipeline]
        authors = ["ua/negotiator", "ru/negotiator"]
        items = [[(compose(demo.signer(a), origin=ORIGIN, kind="record.note", audience="all",
                           payload={"text": f"{a} {i}"}), {"text": f"{a} {i}"}) for i in range(150)] for a in authors]
        with runtime.sessions() as s:
            before = s.scalar(select(func.count()).select_from(LogEntry))

        def push(k: int):
            return [writers[k].submit(n, p) for n, p in items[k]]

        with ThreadPoolExecutor(2) as pool:
            receipts = [r for rs in pool.map(push, [0, 1]) for r in rs]
        assert sorted(r.index for r in receipts) == list(range(before, before + 300))
        key = Verifier.from_vkey(runtime.log_signer.vkey())
        notes = [n for batch in items for n, _ in batch]
        for note, r in zip(notes, receipts, strict=True):
            verify_tlog_proof(parse_tlog_proof(r.proof.encode()), note, key)
        with runtime.sessions() as s:
            cps = s.execute(select(LogCheckpoint).order_by(LogCheckpoint.size)).scalars().all()
            nodes = DbNodes(s, NodeCache())
            for a, b in pairwise(cps):
                merkle.verify_consistency(a.size, b.size, merkle.consistency_proof(nodes, a.size, b.size),
                                          a.root_hash, b.root_hash)
            assert cps[-1].root_hash == merkle.root_hash(nodes, cps[-1].size)
    finally:
        second.close()
