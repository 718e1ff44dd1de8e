"""The witness: C2SP tlog-witness add-checkpoint, persisting before it answers, refusing forks."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from parley.log import merkle
from parley.log.checkpoint import Checkpoint
from parley.log.note import Signer, Verifier, parse_note, verify_cosignature
from parley.log.store import sign_checkpoint
from parley.witness.server import create_witness_app
from parley.witness.store import WitnessStore

ORIGIN = "w.test/log"


@pytest.fixture
def log():
    return Signer.generate(ORIGIN)


def tree(n: int, tag: bytes = b"e") -> merkle.MemoryTree:
    t = merkle.MemoryTree()
    for i in range(n):
        t.append(merkle.leaf_hash(tag + b"%d" % i))
    return t


def body(old: int, proof: list[bytes], note: bytes) -> bytes:
    return f"old {old}\n".encode() + b"".join(base64.b64encode(p) + b"\n" for p in proof) + b"\n" + note


def witness(tmp_path: Path, log: Signer) -> tuple[WitnessStore, TestClient]:
    store = WitnessStore(tmp_path / "w", "witness.ua.test")
    store.add_log(ORIGIN, [log.vkey()])
    return store, TestClient(create_witness_app(store, clock=lambda: 1_700_000_000))


def test_cosigns_consistent_growth_and_persists(tmp_path, log):
    store, c = witness(tmp_path, log)
    t = tree(50)
    note10 = sign_checkpoint(log, ORIGIN, 10, t.root(10))
    r = c.post("/add-checkpoint", content=body(0, [], note10))
    assert r.status_code == 200, r.text
    _, sigs = parse_note(b"x\n\n" + r.content)
    assert verify_cosignature(Verifier.from_vkey(store.vkey()), Checkpoint(ORIGIN, 10, t.root(10)).text(), sigs[0])
    note50 = sign_checkpoint(log, ORIGIN, 50, t.root(50))
    assert c.post("/add-checkpoint", content=body(10, merkle.consistency_proof(t, 10, 50), note50)).status_code == 200
    # A stale 'old' gets 409 with the size the witness holds.
    r = c.post("/add-checkpoint", content=body(10, merkle.consistency_proof(t, 10, 50), note50))
    assert r.status_code == 409 and r.headers["content-type"].startswith("text/x.tlog.size") and r.text.strip() == "50"
    # The state survives a restart: a new store on the same directory still holds size 50.
    store.close()
    store2 = WitnessStore(tmp_path / "w")
    assert store2.get(ORIGIN).size == 50 and store2.vkey() == store.vkey()


def test_refuses_forks_and_bad_proofs(tmp_path, log):
    store, c = witness(tmp_path, log)
    t, other = tree(40), tree(40, b"forged")
    assert c.post("/add-checkpoint",
                  content=body(0, [], sign_checkpoint(log, ORIGIN, 20, t.root(20)))).status_code == 200
    # The other history, same size: refused.
    assert c.post("/add-checkpoint",
                  content=body(20, [], sign_checkpoint(log, ORIGIN, 20, other.root(20)))).status_code == 409
    # The other history, larger, with its own (inconsistent) proof: refused.
    fork = sign_checkpoint(log, ORIGIN, 40, other.root(40))
    assert c.post("/add-checkpoint", content=body(20, merkle.consistency_proof(other, 20, 40), fork)).status_code == 422
    assert store.get(ORIGIN).size == 20 and store.get(ORIGIN).root == t.root(20)
    # Same size and root again: cosigned again.
    assert c.post("/add-checkpoint",
                  content=body(20, [], sign_checkpoint(log, ORIGIN, 20, t.root(20)))).status_code == 200
    # A smaller tree than the one cosigned.
    assert c.post("/add-checkpoint",
                  content=body(20, [], sign_checkpoint(log, ORIGIN, 5, t.root(5)))).status_code == 400


def test_refuses_unknown_logs_keys_and_malformed_bodies(tmp_path, log):
    store, c = witness(tmp_path, log)
    t = tree(5)
    impostor = Signer.generate(ORIGIN)
    assert c.post("/add-checkpoint",
                  content=body(0, [], sign_checkpoint(impostor, ORIGIN, 5, t.root(5)))).status_code == 403
    stranger = Signer.generate("other.test/log")
    assert c.post("/add-checkpoint",
                  content=body(0, [], sign_checkpoint(stranger, "other.test/log", 5, t.root(5)))).status_code == 404
    for bad in [b"", b"old x\n\nfoo", b"old 0\n!!!\n\n" + sign_checkpoint(log, ORIGIN, 5, t.root(5)),
                b"old 00\n\n" + sign_checkpoint(log, ORIGIN, 5, t.root(5)), b"\xff\xfe", b"old 0\n"]:
        assert c.post("/add-checkpoint", content=bad).status_code == 400, bad
    assert c.post("/add-checkpoint", content=b"x" * (65 * 1024)).status_code == 413
    assert c.post("/add-checkpoint",
                  content=body(0, [b"\x00" * 32], sign_checkpoint(log, ORIGIN, 5, t.root(5)))).status_code == 422
    assert store.get(ORIGIN).size == 0
    about = c.get("/").json()
    assert about["name"] == "witness.ua.test" and "PRIVATE" not in str(about)


def test_witness_key_file_is_private(tmp_path, log):
    _store, _ = witness(tmp_path, log)
    assert (tmp_path / "w" / "witness.key").stat().st_mode & 0o077 == 0
    with pytest.raises(ValueError):
        WitnessStore(tmp_path / "w", "someone.else")
