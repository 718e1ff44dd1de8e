"""How fast the public side answers readers without an account, against a real server (``parley serve`` in another
process on 127.0.0.1, a SQLite demo deployment with ``--statements`` more released statements on top of the
demo's).

``--readers`` concurrent keep-alive clients (50) read for ``--seconds`` (10) each of: the public page (``/public``,
statements and the figures table), the figures (``/api/public/figures``), the statements as JSON and one
statement's bundle with its inclusion proofs. Printed: requests, errors, p50/p95/p99 per address. Baseline, same
run, same readers: the sign-in form (``/signin``), a page with no record behind it; ``ratio`` = the public page's
p95 / the sign-in form's. Target: the public page's p95 under 100 ms (the press desk issue). Then the time to
release one more statement and see it in the figures and statements (``release_ms``: the approval's request until
``/api/public/statements`` lists it). Everything written is removed at exit. Last line: name=value pairs.

Not measured here (not built): figures over a log of 10^6 records recomputed incrementally.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from _common import fresh_deployment, last_line

from parley.press.kinds import text_hash
from tests.conftest import ORIGIN, SECRET

TARGET_MS = 100.0


def seed(rt: Any, demo: Any, statements: int) -> None:
    """More released statements (Ukraine's, approved by its negotiator), through the log."""
    from parley.records.compose import compose

    t0 = datetime.now(UTC) - timedelta(days=1)
    items = []
    for i in range(statements):
        draft = {"statement": f"ua-statement-bench-{i}", "version": 1, "texts": {
            "uk": {"title": f"Заява {i}", "body": "Текст заяви для вимірювання. " * 5},
            "en": {"title": f"Statement {i}", "body": "A statement's text, for the measurement. " * 5}}}
        approve = {"statement": draft["statement"], "version": 1, "sha256": text_hash(draft)}
        for author, kind, payload in (("ua/press", "statement.draft", draft),
                                      ("ua/negotiator", "statement.approve", approve)):
            t0 += timedelta(seconds=1)
            items.append((compose(demo.signer(author), origin=ORIGIN, kind=kind, audience="only,party:ua",
                                  payload=payload, time=t0), payload))
    rt.pipeline.submit_many(items)


def percentile(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))] if xs else float("nan")


async def readers(base: str, paths: list[str], n: int, seconds: float) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {p: {"lat": [], "errors": 0} for p in paths}
    stop = time.monotonic() + seconds

    async def one(k: int) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=30, headers={"Accept": "text/html"}) as c:
            i = k
            while time.monotonic() < stop:
                path = paths[i % len(paths)]
                i += 1
                t = time.perf_counter()
                try:
                    r = await c.get(path)
                    ok = r.status_code == 200
                except httpx.HTTPError:
                    ok = False
                out[path]["lat"].append(time.perf_counter() - t)
                if not ok:
                    out[path]["errors"] += 1

    await asyncio.gather(*(one(k) for k in range(n)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--readers", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--statements", type=int, default=200)
    args = ap.parse_args()
    tmp, rt, demo = fresh_deployment()
    seed(rt, demo, args.statements)
    rt.close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PARLEY_DATABASE_URL": rt.settings.database_url, "PARLEY_DATA_DIR": str(tmp),
           "PARLEY_SECRET_KEY": SECRET, "PARLEY_LOG_ORIGIN": ORIGIN, "PARLEY_COOKIE_SECURE": "false"}
    server = subprocess.Popen([sys.executable, "-m", "parley.cli", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/signin").status_code == 200:
                    break
            except httpx.HTTPError:
                assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
                time.sleep(0.1)
        paths = ["/public", "/api/public/figures", "/api/public/statements",
                 "/api/public/statements/ua-statement-azovstal-exit"]
        for p in [*paths, "/signin"]:  # warm: templates compiled, caches filled
            assert httpx.get(base + p).status_code == 200, p
        base_run = asyncio.run(readers(base, ["/signin"], args.readers, args.seconds / 2))
        run = asyncio.run(readers(base, paths, args.readers, args.seconds))
        # One more release, seen by the public.
        h = {"Authorization": f"Bearer {demo.token('ua/press')}"}
        sid = httpx.post(f"{base}/api/statements", headers=h, json={"texts": {"en": {
            "title": "One more", "body": "Released during the measurement."}}}).json()["id"]
        v = httpx.get(f"{base}/api/statements/{sid}", headers=h).json()
        t = time.perf_counter()
        r = httpx.post(f"{base}/api/statements/{sid}/approvals", json={"version": 1, "sha256": v["sha256"]},
                       headers={"Authorization": f"Bearer {demo.token('ua/negotiator')}"})
        assert r.status_code == 201, r.text
        while sid not in {st["id"] for st in httpx.get(f"{base}/api/public/statements").json()["statements"]}:
            assert time.perf_counter() - t < 10
        release_ms = (time.perf_counter() - t) * 1000
    finally:
        server.terminate()
        server.wait()
    total = sum(len(v["lat"]) for v in run.values())
    errors = sum(v["errors"] for v in run.values())
    for p, v in {**run, **base_run}.items():
        lat = [x * 1000 for x in v["lat"]]
        print(f"{p}: {len(lat):,} requests, {v['errors']} errors, p50 {percentile(lat, 50):.1f} ms, "
              f"p95 {percentile(lat, 95):.1f} ms, p99 {percentile(lat, 99):.1f} ms")
    page95 = percentile([x * 1000 for x in run["/public"]["lat"]], 95)
    base95 = percentile([x * 1000 for x in base_run["/signin"]["lat"]], 95)
    print(f"{args.readers} readers, {args.statements} more statements released: the public page p95 {page95:.1f} ms "
          f"(target < {TARGET_MS:.0f} ms), the sign-in form's {base95:.1f} ms; one more release public after "
          f"{release_ms:.0f} ms")
    last_line(readers=args.readers, statements=args.statements + 4, requests=total, errors=errors,
              public_p50_ms=round(statistics.median(run["/public"]["lat"]) * 1000, 1), public_p95_ms=round(page95, 1),
              figures_p95_ms=round(percentile([x * 1000 for x in run["/api/public/figures"]["lat"]], 95), 1),
              baseline_p95_ms=round(base95, 1), ratio=round(page95 / base95, 2) if base95 else None,
              release_ms=round(release_ms), target_ms=TARGET_MS, meets_target=page95 < TARGET_MS and errors == 0)


if __name__ == "__main__":
    main()
