"""The operations map's initial load and first render in headless Chromium (Debian's /usr/bin/chromium, driven by
Playwright), against a real server (``parley serve`` in another process on 127.0.0.1, a SQLite demo deployment).

Each run opens ``/operations`` as the mediator in a new browser context (an empty cache) and counts the bytes
transferred (bodies and headers, as Chromium reports them) for the map's part of the load: Leaflet's script and
style, ``map.js``, and the offline basemap's files (countries, water, roads when shipped, places, attribution),
and for the whole page. The first render is the time from the navigation's start until the map says it is ready
(``data-ready``: the basemap's layers drawn, the view fitted, the labels laid out), read from the page's own clock.
Baseline, same run, same page: ``/operations`` with its map container but its map scripts refused (Leaflet and
``map.js``), until its ``load`` event; ``ratio`` = the map's first render / the baseline's load. ``--runs`` (5) of
each, medians. Targets (issue 16): the map's load under 2 MB, its first render under 1 s. Everything written is
removed at exit. Last line: name=value pairs.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from typing import Any

import httpx
from _common import fresh_deployment, last_line

from tests.conftest import ORIGIN, SECRET

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
TARGET_BYTES = 2 * 1024 * 1024
TARGET_MS = 1000.0
MAP_PARTS = ("/static/leaflet/", "/static/map.js", "/static/basemap/")
# The page's clock when the map first says it is ready (set before any script of the page runs).
READY_CLOCK = """new MutationObserver((_, obs) => {
  const el = document.querySelector('.map[data-ready="1"]');
  if (el) { window.__mapReady = performance.now(); obs.disconnect(); }
}).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-ready']});"""


def one_load(browser: Any, base: str, cookies: list[dict[str, Any]], with_map: bool) -> dict[str, Any]:
    ctx = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    ctx.add_cookies(cookies)
    page = ctx.new_page()
    page.add_init_script(READY_CLOCK)
    if not with_map:
        page.route("**/static/leaflet/*.js", lambda r: r.abort())
        page.route("**/static/map.js", lambda r: r.abort())
    sizes: dict[str, int] = {}

    def finished(request: Any) -> None:
        try:
            s = request.sizes()
        except Exception:  # noqa: BLE001 — a request that ends as its context closes (favicon) is not counted
            return
        sizes[request.url] = s["responseBodySize"] + s["responseHeadersSize"]

    page.on("requestfinished", finished)
    page.goto(f"{base}/operations", wait_until="load")
    if with_map:
        page.wait_for_function("() => window.__mapReady !== undefined", timeout=30_000)
        ms = page.evaluate("() => window.__mapReady")

        page.wait_for_load_state("networkidle")
    else:
        ms = page.evaluate("() => performance.getEntriesByType('navigation')[0].loadEventEnd")
    hosts = {httpx.URL(u).host for u in sizes}
    ctx.close()
    map_bytes = sum(v for u, v in sizes.items() if any(p in u for p in MAP_PARTS))
    return {"ms": ms, "map_bytes": map_bytes, "page_bytes": sum(sizes.values()), "requests": len(sizes), "hosts": hosts,
            "parts": {u.split("/static/", 1)[-1]: v for u, v in sizes.items() if any(p in u for p in MAP_PARTS)}}


def main() -> None:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    tmp, rt, demo = fresh_deployment()
    rt.close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PARLEY_DATABASE_URL": rt.settings.database_url, "PARLEY_DATA_DIR": str(tmp),
           "PARLEY_SECRET_KEY": SECRET, "PARLEY_LOG_ORIGIN": ORIGIN, "PARLEY_COOKIE_SECURE": "false"}
    server = subprocess.Popen([sys.executable, "-m", "parley.cli", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    runs: list[dict[str, Any]] = []
    baselines: list[dict[str, Any]] = []
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/signin").status_code == 200:
                    break
            except httpx.HTTPError:
                assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
                time.sleep(0.1)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            ctx = browser.new_context(locale="en-GB")
            page = ctx.new_page()
            page.goto(f"{base}/signin")
            page.fill("#member", "icrc/mediator")
            page.fill("#password", demo.password("icrc/mediator"))
            page.click("button.primary")
            page.wait_for_url(f"{base}/")
            cookies = ctx.cookies()
            ctx.close()
            one_load(browser, base, cookies, True)  # warm the server: templates compiled, caches filled
            one_load(browser, base, cookies, False)
            for _ in range(args.runs):  # interleaved, so that both see the same machine
                runs.append(one_load(browser, base, cookies, True))
                baselines.append(one_load(browser, base, cookies, False))
            browser.close()
    finally:
        server.terminate()
        server.wait()
    hosts = set().union(*(r["hosts"] for r in runs + baselines))
    assert hosts <= {"127.0.0.1"}, hosts
    first = runs[0]
    for part, size in sorted(first["parts"].items()):
        print(f"  {part}: {size / 1024:.1f} KiB")
    map_bytes = statistics.median(r["map_bytes"] for r in runs)
    page_bytes = statistics.median(r["page_bytes"] for r in runs)
    base_bytes = statistics.median(r["page_bytes"] for r in baselines)
    render = statistics.median(r["ms"] for r in runs)
    base_ms = statistics.median(r["ms"] for r in baselines)
    ratio = render / base_ms if base_ms else float("nan")
    print(f"the map's initial load {map_bytes / 1024:.0f} KiB (target < {TARGET_BYTES / 1024:.0f} KiB); the whole page "
          f"{page_bytes / 1024:.0f} KiB in {first['requests']} requests, without its map scripts "
          f"{base_bytes / 1024:.0f} KiB")
    each = ", ".join(f"{r['ms']:.0f}" for r in runs)
    print(f"first render {render:.0f} ms (target < {TARGET_MS:.0f} ms; runs {each}); "
          f"the page without its map scripts loads in {base_ms:.0f} ms; ratio {ratio:.2f}")
    last_line(runs=args.runs, map_bytes=int(map_bytes), page_bytes=int(page_bytes), baseline_bytes=int(base_bytes),
              first_render_ms=round(render), baseline_ms=round(base_ms), ratio=round(ratio, 2),
              target_bytes=TARGET_BYTES, target_ms=TARGET_MS,
              meets_target=map_bytes < TARGET_BYTES and render < TARGET_MS)


if __name__ == "__main__":
    main()
