"""The command line: settings that refuse to start, init of a real deployment, the demo unattended,
signing and submitting a record with one's own key, replay."""

from __future__ import annotations

import json
import os
import socket
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from parley.settings import Settings

PARLEY = [sys.executable, "-m", "parley.cli"]


def run(*args: str, env: dict[str, str] | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*PARLEY, *args], capture_output=True, text=True, timeout=timeout, check=False,
                          env={**os.environ, **(env or {})})


@pytest.mark.parametrize("secret", ["", "change-me", "secret", "short"])
def test_unsafe_secrets_refuse_to_start(secret):
    with pytest.raises(ValidationError):
        Settings(secret_key=secret)


def test_serve_refuses_without_a_secret(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    r = subprocess.run([*PARLEY, "serve", "--data", str(tmp_path)], capture_output=True, text=True, env=env, timeout=60,
                       check=False)
    assert r.returncode == 2 and "PARLEY_SECRET_KEY" in r.stderr


def test_init_starts_a_real_deployment(tmp_path):
    env = {"PARLEY_SECRET_KEY": "s" * 40, "PARLEY_LOG_ORIGIN": "field.example/log"}
    r = run("init", "--data", str(tmp_path), "--party", "icrc", "--name-en", "ICRC", "--admin", "ops",
            "--admin-name", "Operations (demo)", env=env)
    assert r.returncode == 0, r.stderr
    assert "log key: field.example/log+" in r.stdout and "first admin: icrc/ops" in r.stdout
    assert (tmp_path / "log.key").stat().st_mode & 0o077 == 0
    again = run("init", "--data", str(tmp_path), "--party", "icrc", env=env)
    assert again.returncode == 1 and "already started" in again.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_demo_unattended_then_submit_verify_and_replay(tmp_path):
    data = tmp_path / "demo"
    port = free_port()
    proc = subprocess.Popen([*PARLEY, "demo", "--host", "127.0.0.1", "--port", str(port), "--data", str(data)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    printed: list[str] = []
    threading.Thread(target=lambda: printed.extend(iter(proc.stdout.readline, "")), daemon=True).start()  # type: ignore[union-attr]
    mirror_pid: int | None = None
    try:
        creds_file = data / "demo-credentials.json"
        deadline = time.monotonic() + 90
        base = f"http://127.0.0.1:{port}"
        while True:
            assert proc.poll() is None, "".join(printed)
            assert time.monotonic() < deadline, "the demo did not come up"
            if creds_file.exists():
                try:
                    if httpx.get(f"{base}/signin", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
            time.sleep(0.2)
        signins = {s["member"]: s for s in json.loads(creds_file.read_text())["sign_ins"]}
        assert {"party", "member", "role", "password", "api_token"} <= set(signins["ua/negotiator"])
        me = signins["ua/negotiator"]
        headers = {"Authorization": f"Bearer {me['api_token']}"}
        vkey = httpx.get(f"{base}/log/key", headers=headers).text.strip()
        # The published checkpoint carries every party's witness cosignature.
        cp = httpx.get(f"{base}/log/checkpoint", headers=headers).text
        assert all(f"witness.{p}.demo.parley.local" in cp for p in ("ua", "ru", "icrc"))
        r = run("record", "submit", "--kind", "record.note", "--payload", '{"text": "from the command line"}',
                "--audience", "party:ua", "--key-file", me["key_file"], "--url", base, "--token", me["api_token"])
        assert r.returncode == 0, r.stderr
        receipt = json.loads(r.stdout)
        assert receipt["proof"].startswith("c2sp.org/tlog-proof@v1")
        # The receipt's checkpoint may await cosignatures; the auditor sees the published one.
        time.sleep(2.5)
        auditor = signins["icrc/auditor"]
        v = run("log", "verify", "--url", base, "--key", vkey, "--state", str(tmp_path / "audit"),
                "--token", auditor["api_token"])
        assert v.returncode == 0, v.stderr + v.stdout
        assert "OK demo.parley.local/log" in v.stdout
        # The demo's mirror (its own process) follows the log, as the ICRC's auditor, and serves its copy to
        # the holder of the client token it printed.
        mirror_url = next(line.split("Mirror of the log: ", 1)[1].split()[0] for line in printed
                          if "Mirror of the log: " in line)
        mirror = {"Authorization": f"Bearer {(data / 'mirror' / 'client.token').read_text().strip()}"}
        assert httpx.get(f"{mirror_url}/mirror/status").status_code == 401
        deadline = time.monotonic() + 30
        while (status := httpx.get(f"{mirror_url}/mirror/status", headers=mirror).json())["size"] <= receipt["index"]:
            assert time.monotonic() < deadline, status
            time.sleep(0.5)
        assert status["last_error"] in (None, ""), status
        assert httpx.get(f"{mirror_url}/log/key", headers=mirror).text.strip() == vkey
        mirror_pid = next(int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()
                          and b"parley.mirror.cli" in _cmdline(p) and str(data).encode() in _cmdline(p))
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C, as the README says to stop it
        stopped = proc.wait(30)
    # Stopping the demo stops its mirror, and is not an error.
    assert mirror_pid is not None and not Path(f"/proc/{mirror_pid}").exists()
    assert stopped == 0 and "Traceback" not in "".join(printed), "".join(printed)[-3000:]
    r = run("log", "replay", "--data", str(data), "--target", f"sqlite:///{tmp_path / 'replayed.db'}",
            env={"PARLEY_SECRET_KEY": (data / "secret.key").read_text().strip(),
                 "PARLEY_LOG_ORIGIN": "demo.parley.local/log"})
    assert r.returncode == 0, r.stderr
    assert "the rebuilt tables equal the source's" in r.stdout


def _cmdline(proc_dir: Path) -> bytes:
    try:
        return (proc_dir / "cmdline").read_bytes()
    except OSError:
        return b""
