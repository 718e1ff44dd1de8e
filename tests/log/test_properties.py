"""Property tests for the Merkle proofs, signed notes and the tlog-proof and policy formats."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parley.log import merkle, tiles
from parley.log.checkpoint import Checkpoint, CheckpointError
from parley.log.note import (
    Cosigner,
    _CONTROL,
    NoteError,
    Signer,
    Verifier,
    has_control,
    open_note,
    parse_note,
    sign_note,
)
from parley.log.policy import PolicyError, parse_policy
from parley.log.proof import (
    TlogProof,
    TlogProofError,
    format_tlog_proof,
    parse_tlog_proof,
    verify_tlog_proof,
)


def sign_checkpoint(signer: Signer, origin: str, size: int, root: bytes) -> bytes:
    return sign_note(Checkpoint(origin, size, root).text(), signer)


TREE = merkle.MemoryTree()
LEAVES = [merkle.leaf_hash(b"entry %d" % i) for i in range(600)]
for leaf in LEAVES:
    TREE.append(leaf)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 600).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))))
def test_inclusion_proofs_verify_and_are_tight(case):
    size, index = case
    root = merkle.mth(LEAVES[:size])
    assert TREE.root(size) == root
    proof = merkle.inclusion_proof(TREE, index, size)
    merkle.verify_inclusion(LEAVES[index], index, size, proof, root)
    if size > 1:
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(LEAVES[index], (index + 1) % size, size, proof, root)
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(LEAVES[index], index, size, [*proof, root], root)
    for i in range(len(proof)):
        bad = list(proof)
        bad[i] = bytes([bad[i][0] ^ 1]) + bad[i][1:]
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(LEAVES[index], index, size, bad, root)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 600).flatmap(lambda n: st.tuples(st.integers(1, n), st.just(n))))
def test_consistency_proofs_verify_and_are_tight(case):
    a, b = case
    ra, rb = merkle.mth(LEAVES[:a]), merkle.mth(LEAVES[:b])
    proof = merkle.consistency_proof(TREE, a, b)
    merkle.verify_consistency(a, b, proof, ra, rb)
    for i in range(len(proof)):
        bad = list(proof)
        bad[i] = bytes([bad[i][0] ^ 0x80]) + bad[i][1:]
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(a, b, bad, ra, rb)
    if a < b:
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(a, b, proof, rb, ra)
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(a, b, proof[:-1], ra, rb)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 600))
def test_tile_node_source_matches_the_tree(size):
    store = {}
    for r in tiles.tiles_for_size(size):
        store[tiles.tile_path(r.level, r.n, r.width)] = tiles.hash_tile(TREE, r.level, r.n, r.width or 256)
    src = tiles.TileNodeSource(store.__getitem__, size)
    assert merkle.root_hash(src, size) == merkle.mth(LEAVES[:size])


@given(st.lists(st.binary(max_size=300), max_size=20))
def test_entry_bundles_round_trip(entries):
    assert tiles.decode_entry_bundle(tiles.encode_entry_bundle(entries)) == entries


def test_oversized_bundle_entry_and_truncation():
    with pytest.raises(ValueError):
        tiles.encode_entry_bundle([b"x" * 65536])
    with pytest.raises(ValueError):
        tiles.decode_entry_bundle(b"\x00\x05abc")


@settings(max_examples=50, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\n"), min_size=1,
               max_size=80))
def test_notes_round_trip_and_detect_edits(line):
    signer = Signer.generate("ua/tester")
    note = sign_note(line + "\n", signer)
    text, sigs = parse_note(note)
    assert text == line + "\n" and sigs[0].name == "ua/tester"
    open_note(note, [Verifier.from_vkey(signer.vkey())])


@pytest.mark.parametrize("bad", [b"", b"no newline", b"text\n", b"text\n\n", b"text\n\nnot a signature\n",
                                 b"text\n\n\xe2\x80\x94 name !!!\n", b"te\x00xt\n\n\xe2\x80\x94 n AAAAAAA=\n",
                                 b"\xff\n\n\xe2\x80\x94 n AAAAAAA=\n", b"x" * (2 << 20)])
def test_malformed_notes(bad):
    with pytest.raises(NoteError):
        parse_note(bad)


def test_checkpoint_parsing():
    cp = Checkpoint("o.example/log", 5, b"\x01" * 32, ("ext",))
    assert Checkpoint.parse(cp.text()) == cp
    for bad in ["o\n05\n" + "A" * 44 + "\n", "o\n5\nAAAA\n", "\n5\n" + "A" * 43 + "=\n", "o\n5\n", "o\n-1\nx\n"]:
        with pytest.raises(CheckpointError):
            Checkpoint.parse(bad)


def test_tlog_proof_round_trip_and_verification():
    log = Signer.generate("o.example/log")
    size = 77
    note = sign_checkpoint(log, "o.example/log", size, TREE.root(size))
    p = TlogProof(index=9, proof=tuple(merkle.inclusion_proof(TREE, 9, size)), checkpoint_note=note, extra=b"x")
    parsed = parse_tlog_proof(format_tlog_proof(p))
    assert parsed == p
    entry_leaf = LEAVES[9]
    merkle.verify_inclusion(entry_leaf, 9, size, list(parsed.proof), TREE.root(size))
    with pytest.raises((merkle.ProofError, TlogProofError)):
        verify_tlog_proof(parsed, b"entry 10", Verifier.from_vkey(log.vkey()))
    assert verify_tlog_proof(parsed, b"entry 9", Verifier.from_vkey(log.vkey())).size == size
    for bad in [b"nope", b"c2sp.org/tlog-proof@v1\nindex 01\n\nx", b"c2sp.org/tlog-proof@v1\nindex 1\n!!\n\nx"]:
        with pytest.raises(TlogProofError):
            parse_tlog_proof(bad)


def test_policy():
    log = Signer.generate("o.example/log")
    w = {n: Cosigner.generate(f"w.{n}") for n in ("ua", "ru", "icrc")}
    text = "\n".join([f"log {log.vkey()}", *(f"witness {n} {c.vkey()} http://127.0.0.1:1/{n}" for n, c in w.items()),
                      "group bel all ua ru", "group required all bel icrc", "quorum required", "# comment"])
    pol = parse_policy(text)
    assert pol.satisfied({"ua", "ru", "icrc"}) and not pol.satisfied({"ua", "icrc"})
    size = 10
    body = Checkpoint("o.example/log", size, TREE.root(size)).text()
    note = sign_checkpoint(log, "o.example/log", size, TREE.root(size))
    partial = note + w["ua"].cosign(body, 1).line().encode() + w["icrc"].cosign(body, 1).line().encode()
    with pytest.raises(PolicyError):
        pol.verify_checkpoint(partial)
    full = partial + w["ru"].cosign(body, 1).line().encode()
    cp, names = pol.verify_checkpoint(full)
    assert cp.size == size and names == {"ua", "ru", "icrc"}
    for bad in ["", f"log {log.vkey()}\nquorum nobody", f"log {log.vkey()}\nwitness a {log.vkey()}",
                f"log {log.vkey()}\ngroup g 3 x", "frobnicate"]:
        with pytest.raises(PolicyError):
            parse_policy(bad)


# Text of every kind a note's text can hold: ASCII with its controls and DEL, Latin-1's C1 controls, Cyrillic,
# line and paragraph separators, surrogates' neighbours.
NOTE_TEXT = st.text(st.characters(codec=None, min_codepoint=0, max_codepoint=0x3000, exclude_categories=("Cs",)),
                    max_size=40)


@settings(max_examples=2000, deadline=None)
@given(NOTE_TEXT)
def test_has_control_answers_as_the_regular_expression(text):
    assert has_control(text) == (_CONTROL.search(text) is not None)


@settings(max_examples=500, deadline=None)
@given(st.text(st.sampled_from("ab \n\x00\x09\x0b\x1f\x7f\x85ü—"), max_size=30))
def test_has_control_on_the_characters_at_its_edges(text):
    assert has_control(text) == (_CONTROL.search(text) is not None)
