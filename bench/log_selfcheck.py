"""The server's self-check (log/selfcheck.py) over a log of 10^6 records, and what a scheduled run costs
the appends made meanwhile.

The deployment is real (its first record, a deployment.init, went through the pipeline; its state file and
log key are the server's), then 10^6 - 1 liaison notes by its admin are bulk-inserted with their leaf
hashes, inner nodes and a checkpoint signed by the log key every ``--every`` records (3 by default: under
load the pipeline signs one checkpoint per batch of about three records). The notes carry a placeholder
signature: the self-check hashes every note but does not verify record signatures (the checkpoint
signatures it does verify cover the tree; record signatures are each party's audit).

Figures: the full check (every entry, node and checkpoint, the state file) and its peak memory; baseline,
same run: reading the same rows in the same chunks without checking them. Then append latency (one
writer, sequential) with no check running and during a scheduled run (pause=1). Last line: name=value.
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from _common import last_line, temp_dir  # also puts the repo root on sys.path

from sqlalchemy import insert, select, update

from parley.assembly import open_runtime
from parley.log import merkle
from parley.log.models import LogCheckpoint, LogEntry, LogHead, LogNode
from parley.log.note import Signer, Verifier
from parley.log.selfcheck import CHUNK_BITS, check_log
from parley.log.store import sign_checkpoint
from parley.records.compose import compose
from tests.conftest import ORIGIN, make_runtime, make_settings

CHUNK = 20_000


def build(size: int, every: int, tmp: Path):  # type: ignore[no-untyped-def]
    rt = make_runtime(f"sqlite:///{tmp / 'parley.db'}", tmp)
    admin = Signer.generate("icrc/admin")
    payload = {"party": "icrc", "party_kind": "mediator", "names": {"en": "ICRC", "uk": "МКЧХ", "ru": "МККК"},
               "member": "admin", "display_name": "Admin", "vkey": admin.vkey()}
    rt.pipeline.submit_many([(compose(admin, origin=ORIGIN, kind="deployment.init", audience="all",
                                      payload=payload), payload)])
    tree = merkle.MemoryTree()
    with rt.sessions() as s:
        tree.append(s.get(LogEntry, 0).leaf_hash)
    sig_line = "\u2014 icrc/admin " + "A" * 92 + "\n"  # the shape of an Ed25519 note signature
    t0 = time.perf_counter()
    entries, nodes, cps = [], [], []
    last_note = b""
    with rt.engine.begin() as conn:
        for i in range(1, size):
            canonical = f'{{"text":"Liaison note {i}: corridor status checked at checkpoint {i % 17}."}}'
            digest = hashlib.sha256(canonical.encode()).hexdigest()
            when = f"2026-01-01T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z"
            text = (f"parley.record/v1\norigin {ORIGIN}\nkind record.note\nauthor icrc/admin\nparty icrc\n"
                    f"time {when}\naudience all\npayload sha256:{digest}\n")
            note = (text + "\n" + sig_line).encode()
            leaf = merkle.leaf_hash(note)
            for level, idx, h in merkle.appended_nodes(tree, i, leaf):
                nodes.append({"level": level, "idx": idx, "hash": h})
            tree.append(leaf)
            entries.append({"idx": i, "leaf_hash": leaf, "record_hash": hashlib.sha256(note).hexdigest(),
                            "note": note, "kind": "record.note", "author": "icrc/admin", "party": "icrc",
                            "time": when, "audience": "all", "payload": canonical, "payload_hash": digest})
            if (i + 1) % every == 0 or i == size - 1:
                root = tree.root(i + 1)
                last_note = sign_checkpoint(rt.log_signer, ORIGIN, i + 1, root)
                cps.append({"size": i + 1, "root_hash": root, "note": last_note,
                            "created_at": datetime.now(UTC), "published": True})
            if len(entries) == CHUNK:
                conn.execute(insert(LogEntry), entries)
                conn.execute(insert(LogNode), nodes)
                conn.execute(insert(LogCheckpoint), cps)
                entries, nodes, cps = [], [], []
        for model, rows in ((LogEntry, entries), (LogNode, nodes), (LogCheckpoint, cps)):
            if rows:
                conn.execute(insert(model), rows)
        conn.execute(update(LogHead).values(size=size))
    rt.state.advance(last_note)
    rt.close()
    (tmp / "admin.key").write_text(admin.skey() + "\n")
    print(f"built a log of {size:,} records ({size // every:,} checkpoints) in {time.perf_counter() - t0:.0f} s")


def baseline(sessions, size: int) -> float:  # type: ignore[no-untyped-def]
    """Read every entry, node and checkpoint row in the check's chunks, checking nothing."""
    chunk = 1 << CHUNK_BITS
    t0 = time.perf_counter()
    for start in range(0, size, chunk):
        with sessions() as s:
            s.execute(select(LogEntry.idx, LogEntry.leaf_hash, LogEntry.record_hash, LogEntry.note, LogEntry.kind,
                             LogEntry.author, LogEntry.party, LogEntry.time, LogEntry.audience, LogEntry.payload,
                             LogEntry.payload_hash).where(LogEntry.idx >= start, LogEntry.idx < start + chunk)).all()
            for level in range(1, CHUNK_BITS + 1):
                s.execute(select(LogNode.idx, LogNode.hash).where(
                    LogNode.level == level, LogNode.idx >= start >> level,
                    LogNode.idx < (start + chunk) >> level)).all()
            s.execute(select(LogCheckpoint.size, LogCheckpoint.root_hash, LogCheckpoint.note).where(
                LogCheckpoint.size > start, LogCheckpoint.size <= start + chunk)).all()
    return time.perf_counter() - t0


def append_latencies(rt, admin: Signer, stop: threading.Event, limit: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    while not stop.is_set() and len(out) < limit:
        payload = {"text": f"live note {time.time_ns()}"}
        note = compose(admin, origin=ORIGIN, kind="record.note", audience="all", payload=payload)
        t = time.perf_counter()
        rt.pipeline.submit(note, payload)
        out.append(time.perf_counter() - t)
    return out


def ms(xs: list[float], q: float) -> float:
    return round(sorted(xs)[min(len(xs) - 1, int(len(xs) * q))] * 1e3, 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=1_000_000)
    ap.add_argument("--every", type=int, default=3, help="records per signed checkpoint")
    ap.add_argument("--appends", type=int, default=300, help="appends timed without and during the check")
    ap.add_argument("--build-into", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.build_into:
        build(args.size, args.every, args.build_into)
        return
    tmp = temp_dir()
    # Built in another process, so this one's peak memory is the check's.
    subprocess.run([sys.executable, __file__, "--size", str(args.size), "--every", str(args.every),
                    "--build-into", str(tmp)], check=True)
    admin = Signer.from_skey((tmp / "admin.key").read_text().strip())
    rt = open_runtime(make_settings(f"sqlite:///{tmp / 'parley.db'}", tmp))
    verifier = Verifier.from_vkey(rt.log_signer.vkey())
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    memo: dict[int, bytes] = {}  # as the server keeps between its runs
    report = check_log(rt.sessions, verifier, ORIGIN, rt.state, verified=memo)
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
    assert report.ok, report.problems[:3]
    again = check_log(rt.sessions, verifier, ORIGIN, rt.state, verified=memo)
    assert again.ok
    base = baseline(rt.sessions, args.size)
    print(f"self-check at start-up: {report.entries:,} entries, {report.nodes:,} inner nodes, {report.checkpoints:,} "
          f"checkpoints in {report.seconds:.1f} s; peak RSS {rss0 // 1024} MB before, {rss1 // 1024} MB after")
    print(f"a later run (checkpoint signatures of unchanged chunks already verified): {again.seconds:.1f} s")
    print(f"baseline, reading the same rows unchecked: {base:.1f} s")

    # Appends alone, then during a scheduled run (it sleeps as long as each chunk took).
    quiet = append_latencies(rt, admin, threading.Event(), args.appends)
    done = threading.Event()
    scheduled: dict[str, float] = {}

    def run() -> None:
        t = time.perf_counter()
        r = check_log(rt.sessions, verifier, ORIGIN, rt.state, pause=1.0, verified=memo)
        scheduled["seconds"], scheduled["ok"] = time.perf_counter() - t, r.ok
        done.set()

    thread = threading.Thread(target=run)
    thread.start()
    busy = append_latencies(rt, admin, done, 1_000_000)
    thread.join()
    rt.close()
    print(f"appends alone: p50 {ms(quiet, 0.5)} ms, p99 {ms(quiet, 0.99)} ms ({len(quiet)} appends); during a "
          f"scheduled check ({scheduled['seconds']:.0f} s, ok={scheduled['ok']}): p50 {ms(busy, 0.5)} ms, "
          f"p99 {ms(busy, 0.99)} ms, max {ms(busy, 1.0)} ms ({len(busy)} appends)")
    last_line(size=args.size, checkpoints=report.checkpoints, check_s=round(report.seconds, 1),
              later_check_s=round(again.seconds, 1),
              entries_per_s=round(report.entries / report.seconds), baseline_read_s=round(base, 1),
              ratio=round(report.seconds / base, 2), peak_rss_mb=rss1 // 1024,
              scheduled_check_s=round(scheduled["seconds"]), append_p50_ms=ms(quiet, 0.5),
              append_p99_ms=ms(quiet, 0.99), append_during_check_p50_ms=ms(busy, 0.5),
              append_during_check_p99_ms=ms(busy, 0.99), target_check_s=60, meets_target=report.seconds < 60)


if __name__ == "__main__":
    main()
