"""How fast the public side answers readers without an account, against a real server (``parley serve`` in another
process on 127.0.0.1, a SQLite demo deployment with ``--statements`` more released statements on top of the
demo's).

``--readers`` concurrent keep-alive clients (50, each a raw HTTP/1.1 connection) read for ``--seconds`` (10) each
of: the public page (``/public``, statements and the figures table), the figures (``/api/public/figures``), the
statements as JSON and one statement's bundle with its inclusion proofs. Printed: requests, errors, p50/p95/p99 per
address. Baseline, same run, same readers: the sign-in form (``/signin``), a page with no record behind it;
``ratio`` = the public page's p95 / the sign-in form's. Target: the public page's p95 under 100 ms (the press desk
issue). Then the time to release one more statement and see it in the figures and statements (``release_ms``: the
approval's request until ``/api/public/statements`` lists it), and the server's CPU time per request
(``server_cpu_ms``, from /proc). Everything written is removed at exit. Last line: name=value pairs.

The figures recomputed after a new release on a large log: ``bench/public_figures.py``.
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
from pathlib import Path
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


async def readers(port: int, paths: list[str], n: int, seconds: float) -> dict[str, dict[str, Any]]:
    """``n`` keep-alive clients, each on its own raw HTTP/1.1 connection (``tests.robust.load.Conn``: a few lines
    of asyncio, so that the load generator, which shares the machine's two cores with the server, costs little)
    reading ``paths`` in turn for ``seconds``."""
    from tests.robust.load import Conn

    out: dict[str, dict[str, Any]] = {p: {"lat": [], "errors": 0} for p in paths}
    stop = time.monotonic() + seconds

    async def one(k: int) -> None:
        conn = Conn(port)
        i = k
        try:
            while time.monotonic() < stop:
                path = paths[i % len(paths)]
                i += 1
                t = time.perf_counter()
                try:
                    status, _, _ = await conn.request("GET", path, {"Accept": "text/html"})
                    ok = status == 200
                except (OSError, asyncio.IncompleteReadError):
                    ok = False
                out[path]["lat"].append(time.perf_counter() - t)
                if not ok:
                    out[path]["errors"] += 1
        finally:
            conn.close()

    await asyncio.gather(*(one(k) for k in range(n)))
    return out


def cpu_seconds(pid: int) -> float:
    """The process's user + system CPU time so far (Linux), threads included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
        cpu0 = cpu_seconds(server.pid)
        base_run = asyncio.run(readers(port, ["/signin"], args.readers, args.seconds / 2))
        cpu1 = cpu_seconds(server.pid)
        run = asyncio.run(readers(port, paths, args.readers, args.seconds))
        cpu2 = cpu_seconds(server.pid)
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
    base_n = len(base_run["/signin"]["lat"])
    cpu_base_ms = (cpu1 - cpu0) / base_n * 1000 if base_n else float("nan")
    cpu_public_ms = (cpu2 - cpu1) / total * 1000 if total else float("nan")
    rate = total / args.seconds
    print(f"server CPU per request: {cpu_public_ms:.2f} ms on the public addresses, {cpu_base_ms:.2f} ms on the "
          f"sign-in form; {rate:.0f} public requests/s")
    print(f"{args.readers} readers, {args.statements} more statements released: the public page p95 {page95:.1f} ms "
          f"(target < {TARGET_MS:.0f} ms), the sign-in form's {base95:.1f} ms; one more release public after "
          f"{release_ms:.0f} ms")
    last_line(readers=args.readers, statements=args.statements + 5, requests=total, errors=errors,
              public_p50_ms=round(statistics.median(run["/public"]["lat"]) * 1000, 1), public_p95_ms=round(page95, 1),
              figures_p95_ms=round(percentile([x * 1000 for x in run["/api/public/figures"]["lat"]], 95), 1),
              baseline_p95_ms=round(base95, 1), ratio=round(page95 / base95, 2) if base95 else None,
              requests_per_s=round(rate), server_cpu_ms=round(cpu_public_ms, 2), baseline_cpu_ms=round(cpu_base_ms, 2),
              release_ms=round(release_ms), target_ms=TARGET_MS, meets_target=page95 < TARGET_MS and errors == 0)


if __name__ == "__main__":
    main()
