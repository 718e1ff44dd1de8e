"""Shared set-up for the benchmarks: a fresh SQLite deployment with the demo loaded, in a temp dir."""

from __future__ import annotations

import atexit
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import Demo, load_demo_into, make_runtime  # noqa: E402


def temp_dir() -> Path:
    """A new temporary directory, removed with everything in it when the benchmark exits."""
    tmp = Path(tempfile.mkdtemp(prefix="parley-bench-"))
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    return tmp


def fresh_deployment(url: str | None = None):  # type: ignore[no-untyped-def]
    """A new deployment in a temporary directory removed at exit; on PostgreSQL in a schema of its own,
    dropped at exit, so the benchmark leaves nothing behind."""
    tmp = temp_dir()
    if url and url.startswith("postgresql"):
        import uuid

        from sqlalchemy import text

        from parley.db import make_engine

        schema = "bench_" + uuid.uuid4().hex[:10]
        admin = make_engine(url)
        with admin.begin() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))

        def drop() -> None:
            with admin.begin() as c:
                c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()

        atexit.register(drop)
        url = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    rt = make_runtime(url or f"sqlite:///{tmp / 'parley.db'}", tmp)
    demo: Demo = load_demo_into(rt)
    return tmp, rt, demo


def last_line(**figures: object) -> None:
    print(" ".join(f"{k}={v}" for k, v in figures.items()))


AUTHORS = ["ua/negotiator", "ru/negotiator", "icrc/mediator", "ua/registrar", "ru/registrar", "un-ocha/liaison"]


def signed_notes(demo: Demo, count: int, origin: str):  # type: ignore[no-untyped-def]
    """``count`` liaison notes signed in turn by six members of four parties, as (note, payload)."""
    from parley.records.compose import compose

    signers = [demo.signer(a) for a in AUTHORS]
    out = []
    for i in range(count):
        payload = {"text": f"Liaison note {i}: corridor status checked at checkpoint {i % 17}."}
        out.append((compose(signers[i % len(signers)], origin=origin, kind="record.note", audience="all",
                            payload=payload), payload))
    return out, signers
