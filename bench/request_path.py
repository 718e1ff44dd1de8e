"""What one ``POST /api/records`` costs on the event loop, before the log: Parley's whole ASGI stack (security
headers, body limit, write admission, sessions, the caller from its API token, the body's schema, the
receipt's answer) with the pipeline answering at once, against a bare FastAPI route taking the same body
model, measured in the same process. CPU time of the calling thread per request, the best of five runs
(the figure that least depends on what else the machine runs). No network: ``bench/http_load.py`` measures
the server over sockets. Removes what it writes. Last line: name=value pairs.

    .venv/bin/python bench/request_path.py [--requests 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import fresh_deployment
from pydantic import BaseModel, ConfigDict


def scope_for(path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
            "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": headers,
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000)}


async def per_request(app: Any, scope: dict[str, Any], body: bytes, n: int, statuses: dict[int, int]) -> float:
    """CPU seconds of this thread per request, the best of five runs of ``n``."""
    async def one() -> None:
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:  # nobody disconnects
                await asyncio.sleep(3600)
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses[message["status"]] = statuses.get(message["status"], 0) + 1

        await app(dict(scope), receive, send)

    for _ in range(min(300, n)):
        await one()
    best = float("inf")
    for _ in range(5):
        started = time.thread_time()
        for _ in range(n):
            await one()
        best = min(best, (time.thread_time() - started) / n)
    return best


class SignedRecord(BaseModel):  # as parley.logserver.records's
    model_config = ConfigDict(extra="forbid")
    note: str
    payload: Any


def bare_app() -> Any:
    from fastapi import FastAPI

    app = FastAPI(telemetry={"tracing": False, "metrics": False, "logs": False})

    @app.post("/api/records", status_code=201)
    async def submit(body: SignedRecord) -> dict[str, Any]:
        return {"index": 1, "record_hash": "0" * 64}

    return app


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=3000)
    n = ap.parse_args().requests

    _, rt, demo = fresh_deployment()
    try:
        from parley.app import create_app
        from parley.records.compose import compose
        from tests.conftest import ORIGIN

        app = create_app(rt.settings, rt)
        payload = {"text": "Liaison note: corridor status checked at the checkpoint."}
        note = compose(demo.signer("ua/negotiator"), origin=ORIGIN, kind="record.note", audience="all",
                       payload=payload)
        receipt = rt.pipeline.submit(note, payload)

        def answered(*_: Any, **__: Any) -> Future[Any]:  # the log answers at once: only the path is measured
            done: Future[Any] = Future()
            done.set_result(receipt)
            return done

        rt.pipeline.submit_async = answered  # type: ignore[method-assign]
        body = json.dumps({"note": note.decode(), "payload": payload}).encode()
        headers = [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                   (b"content-length", str(len(body)).encode()),
                   (b"authorization", f"Bearer {demo.token('ua/negotiator')}".encode())]
        statuses: dict[int, int] = {}
        parley_s = asyncio.run(per_request(app, scope_for("/api/records", headers), body, n, statuses))
        bare_statuses: dict[int, int] = {}
        bare_s = asyncio.run(per_request(bare_app(), scope_for("/api/records", headers), body, n, bare_statuses))
    finally:
        rt.close()
    ok = set(statuses) == {201} and set(bare_statuses) == {201}
    print(f"Parley's request path: {parley_s * 1e6:.0f} us a request (answers {statuses})")
    print(f"bare FastAPI route, same body model: {bare_s * 1e6:.0f} us a request (answers {bare_statuses})")
    print(f"parley_us={parley_s * 1e6:.0f} bare_us={bare_s * 1e6:.0f} ratio={parley_s / bare_s:.2f} "
          f"answers_ok={ok} load1={os.getloadavg()[0]:.2f}")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
