"""Inclusion proofs from a log of 10^6 records stored in the database, cold cache per proof.

The tree's tables are filled directly (leaf hashes and full nodes computed in memory, then bulk
inserted) because appending 10^6 signed records is what log_append.py measures. Each proof is served
with a fresh node cache, so every proof reads its nodes from SQLite. Baseline, same run: the same
proofs from an in-memory tree. Last line: name=value pairs.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import time

from _common import last_line, temp_dir  # also puts the repo root on sys.path

from sqlalchemy import insert

from parley.db import make_engine, migrate, session_factory
from parley.log import merkle
from parley.log.models import LogEntry, LogNode
from parley.log.store import DbNodes, NodeCache


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=1_000_000)
    ap.add_argument("--proofs", type=int, default=2000)
    args = ap.parse_args()
    tmp = temp_dir()
    engine = make_engine(f"sqlite:///{tmp / 'proofs.db'}")
    migrate(engine)
    tree = merkle.MemoryTree()
    t0 = time.perf_counter()
    with engine.begin() as conn:
        chunk: list[dict] = []
        nodes: list[dict] = []
        for i in range(args.size):
            note = b"record %d" % i
            leaf = merkle.leaf_hash(note)
            for level, idx, h in merkle.appended_nodes(tree, i, leaf):
                nodes.append({"level": level, "idx": idx, "hash": h})
            tree.append(leaf)
            chunk.append({"idx": i, "leaf_hash": leaf, "record_hash": hashlib.sha256(note).hexdigest(), "note": note,
                          "kind": "record.note", "author": "ua/x", "party": "ua", "time": "2026-01-01T00:00:00Z",
                          "audience": "all", "payload": "{}", "payload_hash": "0" * 64})
            if len(chunk) == 50_000:
                conn.execute(insert(LogEntry), chunk)
                conn.execute(insert(LogNode), nodes)
                chunk, nodes = [], []
        if chunk:
            conn.execute(insert(LogEntry), chunk)
        if nodes:
            conn.execute(insert(LogNode), nodes)
    print(f"built a {args.size}-leaf tree in the database in {time.perf_counter() - t0:.1f} s")
    root = tree.root()
    rng = random.Random(7)
    indexes = [rng.randrange(args.size) for _ in range(args.proofs)]
    sessions = session_factory(engine)
    times = []
    with sessions() as s:
        for i in indexes:
            t = time.perf_counter()
            proof = merkle.inclusion_proof(DbNodes(s, NodeCache()), i, args.size)
            times.append(time.perf_counter() - t)
            merkle.verify_inclusion(tree.full_nodes([(0, i)])[0], i, args.size, proof, root)
    mem = []
    for i in indexes:
        t = time.perf_counter()
        merkle.inclusion_proof(tree, i, args.size)
        mem.append(time.perf_counter() - t)
    med, p99 = statistics.median(times) * 1e3, sorted(times)[int(len(times) * 0.99)] * 1e3
    mem_med = statistics.median(mem) * 1e3
    print(f"inclusion proof from the database: median {med:.3f} ms, p99 {p99:.3f} ms; in memory {mem_med:.4f} ms")
    last_line(size=args.size, proof_median_ms=round(med, 3), proof_p99_ms=round(p99, 3),
              memory_median_ms=round(mem_med, 4), ratio=round(med / mem_med, 2), target_ms=5, meets_target=p99 < 5)


if __name__ == "__main__":
    main()
