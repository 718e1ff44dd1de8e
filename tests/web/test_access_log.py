"""The server's access log: one line per request with the method, the path without its query, the status and the
time taken; never a query, a header, a body or a client address, and no line forged by a request."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import time

import httpx
import pytest

from tests.conftest import ORIGIN, SECRET
from tests.log_api.test_crash import free_port

LINE = re.compile(r"^(GET|POST|PUT|DELETE|HEAD|OPTIONS|PATCH) (\S+) (\d{3}|-) \d+\.\d ms$")


def test_one_line_per_request_without_the_query(client, demo, caplog):
    caplog.set_level(logging.INFO, logger="parley.access")
    h = demo.headers("ua/registrar")
    assert client.get("/api/persons?q=Коваленко", headers=h).status_code == 200
    assert client.get("/operations/no-such-op", headers=h).status_code == 404
    assert client.post("/api/records", json={"note": "x"}, headers=h).status_code in (400, 422)
    client.get("/people/a%0Ab%20c", headers=h)
    lines = [r.getMessage() for r in caplog.records if r.name == "parley.access"]
    assert len(lines) == 4, lines
    assert all(LINE.match(line) for line in lines), lines
    assert lines[0].startswith("GET /api/persons 200 ") and lines[1].startswith("GET /operations/no-such-op 404 ")
    assert lines[2].startswith("POST /api/records 4")
    assert lines[3].startswith("GET /people/a\\nb%20c ")  # a newline in the path cannot start a line of its own
    text = "\n".join(lines)
    assert "Коваленко" not in text and "Bearer" not in text and "testclient" not in text


@pytest.mark.slow
def test_parley_serve_prints_it(tmp_path, deployments):
    url, demo = deployments.sqlite_copy(True, tmp_path)
    port = free_port()
    env = {**os.environ, "PARLEY_DATABASE_URL": url, "PARLEY_DATA_DIR": str(tmp_path), "PARLEY_SECRET_KEY": SECRET,
           "PARLEY_LOG_ORIGIN": ORIGIN, "PARLEY_COOKIE_SECURE": "false"}
    proc = subprocess.Popen([sys.executable, "-m", "parley.cli", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/me?who=someone", headers=demo.headers("ua/press"),
                             timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
    finally:
        proc.terminate()
        err = proc.communicate(timeout=30)[1]
    assert re.search(r"GET /api/me 200 \d+\.\d ms", err), err[-2000:]
    assert "who=someone" not in err and "127.0.0.1:" not in err.split("Uvicorn running")[-1].split("\n", 1)[-1]
