"""The SQLite WAL under sustained writes (issue 11, reliability.md D3): ``--writers`` threads append signed
notes of ``--payload`` bytes through the pipeline for ``--minutes`` while ``--readers`` threads hold 100 ms
read transactions one after another (pages rendered from one snapshot), which kept SQLite from ever
restarting the WAL. The WAL's size is sampled every 50 ms; closing the runtime must leave it empty.
Baseline, same run: the database file's size. The issue's case is the default, 10 minutes of 8 writers,
to stay under 64 MB. The temporary deployment is removed afterwards. Last line: name=value pairs.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from _common import fresh_deployment, last_line

from parley.db import WAL_CHECKPOINT_BYTES, sqlite_file
from tests.robust.test_wal import AUTHORS, sustained_writes


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--writers", type=int, default=8)
    ap.add_argument("--readers", type=int, default=4)
    ap.add_argument("--payload", type=int, default=8000, help="bytes of text in each note's payload")
    args = ap.parse_args()
    tmp, rt, demo = fresh_deployment()
    try:
        path = sqlite_file(rt.engine)
        assert path is not None and rt.wal is not None
        load = sustained_writes(rt, {a: demo.signer(a) for a in AUTHORS}, args.minutes * 60, writers=args.writers,
                                readers=args.readers, payload_bytes=args.payload)
        checkpoints, retried = rt.wal.checkpoints, rt.wal.failures
        db_mb = path.stat().st_size / 1e6
        rt.close()
        wal = Path(f"{path}-wal")
        after = wal.stat().st_size if wal.exists() else 0
        last_line(minutes=args.minutes, writers=args.writers, readers=args.readers, records=load.records,
                  errors=len(load.errors), wal_max_mb=round(load.wal_max / 1e6, 1),
                  wal_limit_mb=round(WAL_CHECKPOINT_BYTES / 1e6, 1), checkpoints=checkpoints,
                  retried=retried, wal_after_close=after, db_mb=round(db_mb, 1),
                  ok=load.wal_max < 64e6 and after == 0 and not load.errors)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
