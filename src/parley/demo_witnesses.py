"""The demo's witnesses: one per party, each with its own key and state directory, served by uvicorn
in this process. Returns the C2SP tlog-policy that requires every belligerent party's witness and
the mediator's before a checkpoint is published."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn

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
