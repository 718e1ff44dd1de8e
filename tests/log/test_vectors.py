"""The published vectors in tests/vectors, loaded as they are."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest

from parley.log import merkle, tiles
from parley.log.checkpoint import Checkpoint
from parley.log.note import (
    InvalidSignatureError,
    Signer,
    UnverifiedNoteError,
    Verifier,
    open_note,
    parse_note,
    sign_note,
    verify_cosignature,
)

# The published vectors shipped in tests/vectors (see its README); PARLEY_VECTORS points at another copy.
VECTORS = Path(os.environ.get("PARLEY_VECTORS") or Path(__file__).resolve().parents[1] / "vectors")
RFC6962 = sorted((VECTORS / "rfc6962").rglob("*.json"))


def test_all_rfc6962_cases_are_there():
    assert len(RFC6962) == 196


def _b(x):
    return base64.b64decode(x) if x is not None else b""


@pytest.mark.parametrize("path", RFC6962, ids=lambda p: str(p.relative_to(VECTORS)))
def test_rfc6962_proof(path: Path):
    case = json.loads(path.read_text())
    proof = [_b(p) for p in case["proof"] or []]
    if "leafIdx" in case:
        def check() -> None:
            merkle.verify_inclusion(_b(case["leafHash"]), case["leafIdx"], case["treeSize"], proof, _b(case["root"]))
    else:
        def check() -> None:
            merkle.verify_consistency(case["size1"], case["size2"], proof, _b(case["root1"]), _b(case["root2"]))
    if case["wantErr"]:
        with pytest.raises(merkle.ProofError):
            check()
    else:
        check()


def test_signed_note_known_answer():
    kat = json.loads((VECTORS / "signed-note" / "kat.json").read_text())
    signer = Signer.from_skey(kat["signer_key"])
    assert signer.vkey() == kat["verifier_key"]
    assert sign_note(kat["text"], signer) == kat["signed_note"].encode()
    text, verified, unverified = open_note(kat["signed_note"].encode(), [Verifier.from_vkey(kat["verifier_key"])])
    assert text == kat["text"] and [s.name for s in verified] == ["PeterNeumann"] and not unverified
    with pytest.raises(UnverifiedNoteError):
        open_note(kat["signed_note"].encode(), [Verifier.from_vkey(kat["second_verifier_key"])])
    tampered = kat["signed_note"].replace("problem", "pr0blem", 1).encode()
    with pytest.raises(InvalidSignatureError):
        open_note(tampered, [Verifier.from_vkey(kat["verifier_key"])])


def _tree300() -> merkle.MemoryTree:
    t = merkle.MemoryTree()
    for i in range(300):
        t.append(merkle.leaf_hash(b"record %d" % i))
    return t


def test_tlog_tiles_tree_and_tiles_byte_for_byte():
    log = VECTORS / "tlog-tiles" / "log"
    t = _tree300()
    text, _ = parse_note((log / "checkpoint").read_bytes())
    cp = Checkpoint.parse(text)
    assert (cp.origin, cp.size, cp.root_hash) == ("rome2026h1.example.org", 300, t.root())
    assert tiles.hash_tile(t, 0, 0, 256) == (log / "tile/0/000").read_bytes()
    assert tiles.hash_tile(t, 0, 1, 44) == (log / "tile/0/001.p/44").read_bytes()
    assert tiles.hash_tile(t, 1, 0, 1) == (log / "tile/1/000.p/1").read_bytes()
    assert [tiles.tile_path(r.level, r.n, r.width) for r in tiles.tiles_for_size(300)] == \
        ["tile/0/000", "tile/0/001.p/44", "tile/1/000.p/1"]
    src = tiles.TileNodeSource(lambda p: (log / p).read_bytes(), 300)
    assert merkle.root_hash(src, 300) == cp.root_hash
    assert merkle.inclusion_proof(src, 257, 300) == merkle.inclusion_proof(t, 257, 300)


@pytest.mark.parametrize("checkpoint,key_file", [("log/checkpoint", "mirror.v0.json"),
                                                 ("witnessed-checkpoint", "witness.v0.json")])
def test_tlog_cosignatures(checkpoint: str, key_file: str):
    d = VECTORS / "tlog-tiles"
    vkey = json.loads((d / key_file).read_text())["verifier_keys"][0]
    v = Verifier.from_vkey(vkey)
    note = (d / checkpoint).read_bytes()
    text, verified, unverified = open_note(note, [v])
    assert [s.name for s in verified] == [v.name]
    assert verify_cosignature(v, text, verified[0])
    assert not verify_cosignature(v, text.replace("300", "301"), verified[0])
    # The log's own ECDSA signature (type 0x05) is kept as unverified, not rejected.
    if checkpoint == "witnessed-checkpoint":
        assert [s.name for s in unverified] == ["rome2026h1.example.org"]


@pytest.mark.parametrize("path,ref", [
    ("tile/0/000", (0, 0, None)), ("tile/1/000.p/1", (1, 0, 1)), ("tile/0/x001/234", (0, 1234, None)),
    ("tile/entries/x123/x456/789.p/255", (-1, 123456789, 255)),
])
def test_tile_paths(path, ref):
    r = tiles.parse_tile_path(path)
    assert (r.level, r.n, r.width) == ref
    assert tiles.tile_path(*ref) == path


@pytest.mark.parametrize("bad", ["tile/0/1", "tile/0/0001", "tile/0/x000/001/", "tile/00/000", "tile/0/000.p/0",
                                 "tile/0/000.p/256", "tile/0/000.p/07", "tile/x/000", "tiles/0/000", "tile/0/../000",
                                 "tile/0/001/002", "tile/64/000"])
def test_bad_tile_paths(bad):
    with pytest.raises(ValueError):
        tiles.parse_tile_path(bad)
