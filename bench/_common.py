"""Shared set-up for the benchmarks: a fresh SQLite deployment with the demo loaded, in a temp dir."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import Demo, load_demo_into, make_runtime  # noqa: E402


def fresh_deployment(url: str | None = None):  # type: ignore[no-untyped-def]
    tmp = Path(tempfile.mkdtemp(prefix="parley-bench-"))
    rt = make_runtime(url or f"sqlite:///{tmp / 'parley.db'}", tmp)
    demo: Demo = load_demo_into(rt)
    return tmp, rt, demo


def last_line(**figures: object) -> None:
    print(" ".join(f"{k}={v}" for k, v in figures.items()))
