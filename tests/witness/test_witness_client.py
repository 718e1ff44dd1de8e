"""The witness from the log's side (``parley.witness.client``), under concurrent requests, its kept
evidence of refused forks, and the ``parley witness`` commands."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from parley.log import merkle
from parley.log.checkpoint import Checkpoint
from parley.log.note import (
    Signer,
    Verifier,
    format_note,
    parse_note,
    verify_cosignature,
)
from parley.log.store import sign_checkpoint
from parley.witness import server
from parley.witness.cli import app as witness_cli
from parley.witness.client import WitnessConflict, WitnessError, add_checkpoint
from parley.witness.server import create_witness_app
from parley.witness.store import WitnessStore
from tests.witness.test_witness import ORIGIN, body, tree


@pytest.fixture
def log():
    return Signer.generate(ORIGIN)


@pytest.fixture
def store(tmp_path, log):
    s = WitnessStore(tmp_path / "w", "witness.test")
    s.add_log(ORIGIN, [log.vkey()])
    yield s
    s.close()


def test_client_cosignatures_conflicts_and_errors(store, log):
    c = TestClient(create_witness_app(store, clock=lambda: 1_700_000_123))
    t = tree(30)
    sigs = add_checkpoint("http://testserver", 0, [], sign_checkpoint(log, ORIGIN, 10, t.root(10)), client=c)
    w = Verifier.from_vkey(store.vkey())
    assert len(sigs) == 1 and verify_cosignature(w, Checkpoint(ORIGIN, 10, t.root(10)).text(), sigs[0])
    note30 = sign_checkpoint(log, ORIGIN, 30, t.root(30))
    with pytest.raises(WitnessConflict) as conflict:
        add_checkpoint("http://testserver/", 0, [], note30, client=c)
    assert conflict.value.size == 10
    with pytest.raises(WitnessError) as bad_proof:
        add_checkpoint("http://testserver", 10, [b"\x00" * 32], note30, client=c)
    assert bad_proof.value.status == 422 and not isinstance(bad_proof.value, WitnessConflict)
    # A fork at the same size is a plain refusal, not a size to retry from.
    other = tree(10, b"fork")
    with pytest.raises(WitnessError) as fork:
        add_checkpoint("http://testserver", 10, [], sign_checkpoint(log, ORIGIN, 10, other.root(10)), client=c)
    assert fork.value.status == 409 and not isinstance(fork.value, WitnessConflict)
    assert add_checkpoint("http://testserver", 10, merkle.consistency_proof(t, 10, 30), note30, client=c)
    with pytest.raises(WitnessError, match="unreachable"):
        add_checkpoint("http://127.0.0.1:9", 30, [], note30, timeout=2)


def test_refused_forks_are_kept_as_evidence_across_restarts(tmp_path, store, log):
    c = TestClient(create_witness_app(store))
    t, other = tree(20), tree(20, b"fork")
    assert c.post("/add-checkpoint", content=body(0, [], sign_checkpoint(log, ORIGIN, 8, t.root(8)))).status_code == 200
    fork = body(8, [], sign_checkpoint(log, ORIGIN, 8, other.root(8)))
    assert c.post("/add-checkpoint", content=fork).status_code == 409
    # A stale old size is ordinary, not evidence.
    assert c.post("/add-checkpoint", content=body(3, [], sign_checkpoint(log, ORIGIN, 8, t.root(8)))).status_code == 409
    store.close()
    reopened = WitnessStore(tmp_path / "w")
    refused = reopened.refusals(ORIGIN)
    assert len(refused) == 1 and refused[0].status == 409 and refused[0].request == fork
    # After the restart the witness still refuses the other history, and still cosigns its own.
    c2 = TestClient(create_witness_app(reopened))
    grown = body(8, merkle.consistency_proof(other, 8, 20), sign_checkpoint(log, ORIGIN, 20, other.root(20)))
    assert c2.post("/add-checkpoint", content=grown).status_code == 422
    assert c2.post("/add-checkpoint", content=body(8, merkle.consistency_proof(t, 8, 20),
                                                   sign_checkpoint(log, ORIGIN, 20, t.root(20)))).status_code == 200
    assert len(reopened.refusals()) == 2
    reopened.close()


def test_more_refusals(store, log):
    c = TestClient(create_witness_app(store))
    t = tree(5)
    # A known key's signature that does not verify.
    note = sign_checkpoint(log, ORIGIN, 5, t.root(5))
    text, sigs = parse_note(note)
    bad = format_note(text, [type(sigs[0])(sigs[0].name, sigs[0].key_id, bytes(64))])
    assert c.post("/add-checkpoint", content=body(0, [], bad)).status_code == 403
    # A note that is not a checkpoint, and a checkpoint smaller than the old size.
    assert c.post("/add-checkpoint", content=b"old 0\n\nnot a note\n").status_code == 400
    assert c.post("/add-checkpoint", content=body(7, [], note)).status_code == 400
    assert c.post("/add-checkpoint", content=b"old \xd9\xa3\n\n" + note).status_code == 400  # non-ASCII digit
    assert c.post("/add-checkpoint", content=body(0, [b"\x00" * 32] * 64, note)).status_code == 400
    # An empty tree must have the empty root.
    assert c.post("/add-checkpoint", content=body(0, [], sign_checkpoint(log, ORIGIN, 0, t.root(5)))).status_code == 422
    assert c.post("/add-checkpoint",
                  content=body(0, [], sign_checkpoint(log, ORIGIN, 0, merkle.EMPTY_ROOT))).status_code == 200
    # Oversized by its declared length, without reading it.
    assert c.post("/add-checkpoint", content=b"x", headers={"content-length": "70000"}).status_code in (400, 413)
    assert store.get(ORIGIN).size == 0


def test_concurrent_requests_advance_once(store, log):
    # Many requests from the same old size at once: exactly one may move the witness forward.
    t = tree(40)
    results: list[int] = []
    start = threading.Barrier(8)

    def submit(size: int) -> None:
        start.wait()
        try:
            server.add_checkpoint(store, body(0, [], sign_checkpoint(log, ORIGIN, size, t.root(size))), lambda: 0)
            results.append(size)
        except server._Refusal as r:
            assert r.status == 409
            results.append(-size)

    threads = [threading.Thread(target=submit, args=(s,)) for s in range(33, 41)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    won = [s for s in results if s > 0]
    assert len(won) == 1 and store.get(ORIGIN).size == won[0] and store.get(ORIGIN).root == t.root(won[0])


def test_cli_init_key_and_bad_arguments(tmp_path):
    log = Signer.generate(ORIGIN)
    runner = CliRunner()
    d = tmp_path / "w"
    r = runner.invoke(witness_cli, ["init", "--dir", str(d), "--name", "witness.cli.test", "--log",
                                    f"{ORIGIN}={log.vkey()}"])
    assert r.exit_code == 0, r.output
    vkey = r.output.strip().splitlines()[-1]
    assert Verifier.from_vkey(vkey).name == "witness.cli.test"
    assert (d / "witness.key").stat().st_mode & 0o777 == 0o600
    assert "PRIVATE" in (d / "witness.key").read_text()
    k = runner.invoke(witness_cli, ["key", "--dir", str(d)])
    assert k.exit_code == 0 and k.output.strip() == vkey
    s = WitnessStore(d)
    assert s.get(ORIGIN).vkeys == (log.vkey(),)
    s.close()
    assert runner.invoke(witness_cli, ["key", "--dir", str(tmp_path / "none")]).exit_code == 2
    assert runner.invoke(witness_cli, ["init", "--dir", str(d), "--name", "someone.else"]).exit_code == 2
    assert runner.invoke(witness_cli, ["init", "--dir", str(d), "--name", "witness.cli.test",
                                       "--log", f"other.origin={log.vkey()}"]).exit_code == 2
    assert runner.invoke(witness_cli, ["init", "--dir", str(d), "--name", "witness.cli.test",
                                       "--log", "no-equals-sign"]).exit_code == 2


def test_about_shows_no_secrets(store, log):
    about = TestClient(create_witness_app(store)).get("/").json()
    assert about == {"name": "witness.test", "vkey": store.vkey(),
                     "logs": [{"origin": ORIGIN, "size": 0, "vkeys": [log.vkey()], "root_hash": None}]}
    assert "PRIVATE" not in str(about)


def test_a_world_readable_key_is_refused(tmp_path):
    WitnessStore(tmp_path / "w", "witness.test").close()
    (tmp_path / "w" / "witness.key").chmod(0o644)
    with pytest.raises(ValueError, match="chmod 600"):
        WitnessStore(Path(tmp_path / "w"))
