"""The demo's witnesses: one per party, each with its own key and state directory, and its mirror.

``parley demo`` runs each witness (``parley witness serve``) and the mirror (``parley mirror serve``) as
its own process, as a real deployment would (``DemoProcesses``: started with the demo, stopped with it,
and ending by themselves if the demo dies: ``serving.exit_with_parent``). ``start_witnesses`` serves
them with uvicorn in this process instead, for tests. Both give the C2SP tlog-policy that requires every
belligerent party's witness and the mediator's before a checkpoint is published."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn

from parley.db import create_private
from parley.serving import witness_server_options
from parley.witness.server import create_witness_app
from parley.witness.store import WitnessStore

BELLIGERENTS = ("ua", "ru")


def policy_text(log_vkey: str, witnesses: dict[str, tuple[str, str]]) -> str:
    """``witnesses`` maps party to (witness vkey, url)."""
    lines = [f"log {log_vkey}"]
    for party, (vkey, url) in witnesses.items():
        lines.append(f"witness {party}-witness {vkey} {url}")
    bell = [f"{p}-witness" for p in witnesses if p in BELLIGERENTS]
    med = [f"{p}-witness" for p in witnesses if p not in BELLIGERENTS]
    lines.append(f"group belligerents all {' '.join(bell)}")
    lines.append(f"group mediators any {' '.join(med)}")
    lines.append("group required all belligerents mediators")
    lines.append("quorum required")
    return "\n".join(lines) + "\n"


def start_witnesses(directory: Path, host: str, origin: str, log_vkey: str, parties: list[str],
                    free_port: Callable[[str], int]) -> tuple[str, dict[str, str], list[Any]]:
    servers = []
    witnesses: dict[str, tuple[str, str]] = {}
    for party in parties:
        store = WitnessStore(directory / party, f"witness.{party}.demo.parley.local")
        store.add_log(origin, [log_vkey])
        port = free_port(host)
        server = uvicorn.Server(uvicorn.Config(create_witness_app(store), host=host, port=port, log_level="warning",
                                               **witness_server_options()))
        threading.Thread(target=server.run, name=f"witness-{party}", daemon=True).start()
        servers.append(server)
        witnesses[party] = (store.vkey(), f"http://{host}:{port}")
    deadline = time.monotonic() + 20
    while not all(s.started for s in servers):
        if time.monotonic() > deadline:
            raise RuntimeError("the demo witnesses did not start")
        time.sleep(0.05)
    return policy_text(log_vkey, witnesses), {}, servers


# -- the demo's witnesses and mirror as their own processes (as in a real deployment) --------------------


class DemoProcesses:
    """The demo's witness and mirror processes: started with ``parley demo``, stopped with it."""

    def __init__(self, directory: Path, *, hold: bool = False) -> None:
        """``hold``: processes spawned are started only by ``release`` (so they do not compete for the CPU
        with the demo's own start-up when there is nothing to load meanwhile)."""
        self.directory = directory
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.urls: dict[str, str] = {}
        self.held: list[tuple[str, list[str], str, dict[str, str] | None]] = []
        self.hold = hold
        self._lock = threading.RLock()
        self._stopped = False

    def release(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self.hold = False
            held, self.held = self.held, []
            for item in held:
                self.spawn(*item)

    def release_when_listening(self, host: str, port: int, timeout: float = 60.0) -> None:
        """``release`` from a thread once something listens on ``host:port`` (the demo's server is up)."""
        import socket

        def wait() -> None:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and not self._stopped:
                try:
                    with socket.create_connection((host, port), timeout=0.5):
                        break
                except OSError:
                    time.sleep(0.1)
            self.release()

        threading.Thread(target=wait, name="parley-demo-release", daemon=True).start()

    def spawn(self, name: str, args: list[str], url: str, env: dict[str, str] | None = None) -> None:
        if self.hold:
            self.held.append((name, args, url, env))
            self.urls[name] = url
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        logfile = open(self.directory / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it
        try:
            # The program is this Python running Parley's own modules; no shell.
            self.procs[name] = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", *args], stdin=subprocess.DEVNULL, stdout=logfile, stderr=logfile,
                env={**os.environ, **(env or {}), "PARLEY_EXIT_WITH_PARENT": str(os.getpid())})
        finally:
            logfile.close()
        self.urls[name] = url

    def wait_ready(self, names: list[str], timeout: float = 30.0, headers: dict[str, str] | None = None) -> None:
        """Wait until each named process answers HTTP (any status) or fail saying which did not."""
        import httpx

        from parley.client import tls

        deadline = time.monotonic() + timeout
        waiting = list(names)
        while waiting:
            for name in list(waiting):
                proc = self.procs[name]
                if proc.poll() is not None:
                    raise RuntimeError(f"the demo's {name} exited ({proc.returncode}); see "
                                       f"{self.directory / (name + '.log')}")
                try:
                    httpx.get(self.urls[name] + "/", timeout=1, headers=headers, verify=tls())
                    waiting.remove(name)
                except httpx.HTTPError:
                    pass
            if waiting:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the demo's {', '.join(waiting)} did not start")
                time.sleep(0.05)

    def stop(self, timeout: float = 10.0) -> None:
        with self._lock:
            self._stopped = True
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + timeout
        for proc in self.procs.values():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()


def spawn_witnesses(procs: DemoProcesses, directory: Path, host: str, origin: str, log_vkey: str,
                    parties: list[str], free_port: Callable[[str], int]) -> str:
    """One ``parley witness serve`` process per party (its key and state made here first, so its verifier
    key is known at once); returns the policy. ``procs.wait_ready`` waits for them to answer."""
    witnesses: dict[str, tuple[str, str]] = {}
    for party in parties:
        store = WitnessStore(directory / party, f"witness.{party}.demo.parley.local")
        store.add_log(origin, [log_vkey])
        vkey = store.vkey()
        store.close()
        port = free_port(host)
        url = f"http://{host}:{port}"
        procs.spawn(f"witness-{party}", ["parley.witness.cli", "serve", "--dir", str(directory / party),
                                         "--host", host, "--port", str(port)], url)
        witnesses[party] = (vkey, url)
    return policy_text(log_vkey, witnesses)


def spawn_mirror(procs: DemoProcesses, directory: Path, host: str, log_url: str, log_vkey: str, log_token: str,
                 free_port: Callable[[str], int], interval: float = 1.0) -> tuple[str, str]:
    """A ``parley mirror serve`` process following the demo's log as the ICRC's auditor; returns its URL and
    a client token for it (issued once, kept in ``DIR/client.token``, 0600)."""
    from parley.mirror.store import MirrorStore

    store = MirrorStore(directory, log_vkey, "mirror.icrc.demo.parley.local")
    token_file = directory / "client.token"
    if token_file.exists():
        token = token_file.read_text().strip()
    else:
        token = store.add_client("parley demo")
        create_private(token_file, token + "\n")
    store.close()
    port = free_port(host)
    url = f"http://{host}:{port}"
    procs.spawn("mirror", ["parley.mirror.cli", "serve", "--dir", str(directory), "--log", log_url,
                           "--host", host, "--port", str(port), "--interval", str(interval)], url,
                env={"PARLEY_MIRROR_LOG_TOKEN": log_token})
    return url, token
