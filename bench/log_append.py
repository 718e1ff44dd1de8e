"""How many signed records per second the one write path appends with durable commits.

Pre-signed ``record.note`` records from several members are submitted concurrently; the appender
group-commits them (SQLite WAL, synchronous=FULL). Every receipt is checked against the database
afterwards: an acknowledged record that is missing is a failure, not a slow run. Baseline, same run:
raw sqlite3 inserts of the same note bytes, committed in batches of the same size, same pragmas.
Last line: name=value pairs.
"""

from __future__ import annotations

import argparse
import sqlite3
import time

from _common import fresh_deployment, last_line, signed_notes

from parley.log.models import LogEntry
from tests.conftest import ORIGIN

def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=20_000)
    ap.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = ap.parse_args()
    tmp, rt, demo = fresh_deployment(args.database_url)
    items, _signers = signed_notes(demo, args.records, ORIGIN)
    # Warm up (caches, JIT of nothing, first fsyncs).
    for note, payload in items[:200]:
        rt.pipeline.submit(note, payload)
    body = items[200:]
    t0 = time.perf_counter()
    futures = [rt.pipeline.submit_async(n, p) for n, p in body]
    receipts = [f.result(600) for f in futures]
    elapsed = time.perf_counter() - t0
    rate = len(body) / elapsed
    with rt.sessions() as s:
        stored = dict(s.query(LogEntry.idx, LogEntry.record_hash).tuples())
    lost = sum(1 for r in receipts if stored.get(r.index) != r.record_hash)
    batch = rt.settings.append_batch
    rt.close()

    raw = sqlite3.connect(tmp / "raw.db", isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=FULL")
    raw.execute("CREATE TABLE entry (idx INTEGER PRIMARY KEY, note BLOB NOT NULL)")
    notes = [n for n, _ in body]
    t0 = time.perf_counter()
    for i in range(0, len(notes), batch):
        raw.execute("BEGIN IMMEDIATE")
        raw.executemany("INSERT INTO entry (idx, note) VALUES (?, ?)",
                        ((i + j, n) for j, n in enumerate(notes[i : i + batch])))
        raw.execute("COMMIT")
    raw_elapsed = time.perf_counter() - t0
    raw_rate = len(notes) / raw_elapsed
    print(f"appended {len(body)} signed records in {elapsed:.2f} s with durable commits; lost acknowledged: {lost}")
    print(f"raw sqlite3 inserts of the same bytes: {raw_rate:,.0f}/s")
    last_line(records=len(body), append_per_s=round(rate), raw_insert_per_s=round(raw_rate),
              ratio=round(rate / raw_rate, 4), lost=lost, target_per_s=2000, meets_target=rate >= 2000 and lost == 0)


if __name__ == "__main__":
    main()
