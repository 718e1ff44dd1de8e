"""Strictness of the text formats (signed notes, keys, checkpoints, tile paths, tlog-proof, policy) on
the inputs an attacker or another implementation may send."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest

from parley.log import merkle, tiles
from parley.log.checkpoint import Checkpoint, CheckpointError
from parley.log.note import (
    ALG_COSIGNATURE_V1,
    ALG_ED25519,
    Cosigner,
    InvalidSignatureError,
    MAX_NOTE_SIZE,
    NoteError,
    Signature,
    Signer,
    UnverifiedNoteError,
    Verifier,
    cosignature_timestamp,
    format_note,
    key_id,
    open_note,
    parse_note,
    parse_signed,
    sign_note,
    valid_key_name,
    verify_cosignature,
)
from parley.log.policy import PolicyError, format_policy, parse_policy
from parley.log.proof import (
    TlogProof,
    TlogProofError,
    format_tlog_proof,
    format_tlog_proofs,
    parse_tlog_proof,
    verify_tlog_proof,
)

# The published vectors shipped in tests/vectors (see its README); PARLEY_VECTORS points at another copy.
VECTORS = Path(os.environ.get("PARLEY_VECTORS") or Path(__file__).resolve().parents[1] / "vectors")
ORIGIN = "o.example/log"
TREE = merkle.MemoryTree()
for i in range(40):
    TREE.append(merkle.leaf_hash(b"e%d" % i))


def checkpoint_note(signer: Signer, size: int = 40, *extra: Signature) -> tuple[str, bytes]:
    text = Checkpoint(ORIGIN, size, TREE.root(size)).text()
    return text, format_note(text, [signer.sign(text.encode()), *extra])


# -- keys -----------------------------------------------------------------------------------------

def test_key_names():
    assert valid_key_name("example.com/log") and valid_key_name("ünïcødé/☃")
    for bad in ["", "a b", "a+b", "a\tb", "a\u00a0b", "a\u2003b", "a\x00b", "a\x7fb", "a\x85b", "a\ud800b"]:
        assert not valid_key_name(bad), bad


def test_key_round_trips_and_ids():
    s = Signer.generate(ORIGIN)
    assert Signer.from_skey(s.skey()).seed() == s.seed() and len(s.seed()) == 32
    v = Verifier.from_vkey(s.vkey())
    assert (v.name, v.alg, v.public_key, v.key_id) == (ORIGIN, ALG_ED25519, s.public_key, s.key_id)
    assert s.key_id == key_id(ORIGIN, ALG_ED25519, s.public_key)
    c = Cosigner.generate("w.example")
    assert Cosigner.from_skey(c.skey()).public_key == c.public_key
    assert Verifier.from_vkey(c.vkey()).alg == ALG_COSIGNATURE_V1
    with pytest.raises(NoteError):
        Signer.from_skey(c.skey())  # a cosigner's key is not a note signing key
    with pytest.raises(NoteError):
        Cosigner.from_skey(s.skey())


@pytest.mark.parametrize("mangle", [
    lambda v: v.replace("+", " ", 1),
    lambda v: v.split("+")[0] + "+zzzzzzzz+" + v.split("+", 2)[2],
    lambda v: v.split("+")[0] + "+00000000+" + v.split("+", 2)[2],
    lambda v: v.split("+")[0] + "+" + v.split("+")[1] + "+" + base64.b64encode(b"\x02" + b"\x00" * 32).decode(),
    lambda v: v[:-4],
    lambda v: v + "A",
    lambda v: "",
])
def test_malformed_vkeys(mangle):
    with pytest.raises(NoteError):
        Verifier.from_vkey(mangle(Signer.generate(ORIGIN).vkey()))


# -- notes ----------------------------------------------------------------------------------------

def test_note_text_may_have_blank_lines_and_del():
    s = Signer.generate("k")
    text = "a\n\nb\x7f\n\n"
    got, verified, unverified = open_note(sign_note(text, s), [Verifier.from_vkey(s.vkey())])
    assert got == text and len(verified) == 1 and not unverified


@pytest.mark.parametrize("text", ["", "no newline", "tab\there\n", "cr\r\n", "nul\x00\n"])
def test_unsignable_texts(text):
    with pytest.raises(NoteError):
        sign_note(text, Signer.generate("k"))


def test_unknown_and_duplicate_signatures():
    s, other = Signer.generate("k"), Signer.generate("k")  # same name, another key id
    note = sign_note("hello\n", s, other, s)
    _, verified, unverified = open_note(note, [Verifier.from_vkey(s.vkey())])
    assert len(verified) == 1 and [u.key_id for u in unverified] == [other.key_id]
    with pytest.raises(UnverifiedNoteError):
        open_note(note, [Verifier.from_vkey(Signer.generate("k2").vkey())])
    bad = format_note("hello\n", [Signature("k", s.key_id, b"\x00" * 64)])
    with pytest.raises(InvalidSignatureError):
        open_note(bad, [Verifier.from_vkey(s.vkey())])


def test_signature_limits():
    s = Signer.generate("k")
    sig = s.sign(b"t\n")
    assert parse_note(format_note("t\n", [sig] * 100))
    with pytest.raises(NoteError):
        parse_note(format_note("t\n", [sig] * 101))
    with pytest.raises(NoteError):
        parse_note(b"t\n\n" + b"\xe2\x80\x94 k AAAAAAAA\n" * (MAX_NOTE_SIZE // 16))
    for line in ["\u2014 k  " + base64.b64encode(b"12345").decode(), "\u2014 k " + base64.b64encode(b"1234").decode(),
                 "- k " + base64.b64encode(b"12345").decode(), "\u2014 k+x " + base64.b64encode(b"12345").decode(),
                 "\u2014 k AAAAAA==x"]:
        with pytest.raises(NoteError):
            parse_note(("t\n\n" + line + "\n").encode())


def test_cosignatures():
    log, w = Signer.generate(ORIGIN), Cosigner.generate("w.example")
    text, note = checkpoint_note(log)
    cosig = w.cosign(text, 1_700_000_000)
    assert cosignature_timestamp(cosig) == 1_700_000_000
    v = Verifier.from_vkey(w.vkey())
    assert verify_cosignature(v, text, cosig)
    assert not verify_cosignature(v, text.replace("40", "41"), cosig)
    assert not verify_cosignature(v, text, Signature("other", cosig.key_id, cosig.sig))
    assert not verify_cosignature(Verifier.from_vkey(log.vkey()), text, cosig)
    _, verified, unverified = open_note(note + cosig.line().encode(), [v])
    assert verified == [cosig] and len(unverified) == 1
    with pytest.raises(NoteError):
        w.cosign(text, -1)
    with pytest.raises(NoteError):
        w.cosign(text, 1 << 63)


# -- checkpoints ----------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [
    "o\n1\n" + "A" * 42 + "B=\n",  # non-canonical: unused bits set
    "o\n18446744073709551616\n" + "A" * 43 + "=\n",
    "o\n+1\n" + "A" * 43 + "=\n",
    "o\n\u0661\n" + "A" * 43 + "=\n",
    "o\n1\n" + "A" * 43 + "=\n\n",
    "o\n1\n" + "A" * 43 + "\n",
    "o\n1\n" + "A" * 43 + "=",
])
def test_strict_checkpoints(bad):
    with pytest.raises(CheckpointError):
        Checkpoint.parse(bad)


def test_checkpoint_text_refuses_malformed_fields():
    assert Checkpoint.parse("o\n18446744073709551615\n" + "A" * 43 + "=\n").size == (1 << 64) - 1
    for cp in [Checkpoint("", 1, b"\0" * 32), Checkpoint("a\nb", 1, b"\0" * 32), Checkpoint("o", -1, b"\0" * 32),
               Checkpoint("o", 1, b"\0" * 31), Checkpoint("o", 1, b"\0" * 32, ("",))]:
        with pytest.raises(CheckpointError):
            cp.text()


# -- tiles ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["tile/\u0661/000", "tile/0/\u0661\u0662\u0663", "tile/0/000.p/\u0665",
                                 "tile/0/000.p/", "tile/0/000.p", "tile/entries/000.p/256", "/tile/0/000",
                                 "tile/0/x1000/000", "tile/0/x001/x002/x003/x004/x005/x006/x007/008"])
def test_more_bad_tile_paths(bad):
    with pytest.raises(ValueError):
        tiles.parse_tile_path(bad)


def test_tile_path_arguments():
    assert tiles.tile_path(0, 1234067) == "tile/0/x001/x234/067"
    assert tiles.tile_path(2, 0, 256) == "tile/2/000"
    for args in [(64, 0), (0, -1), (0, 0, 0), (0, 0, 257), (-2, 0)]:
        with pytest.raises(ValueError):
            tiles.tile_path(*args)


def test_tile_source_falls_back_to_the_full_tile_and_refuses_missing_nodes():
    big = merkle.MemoryTree()
    for i in range(600):
        big.append(merkle.leaf_hash(b"x%d" % i))
    store = {tiles.tile_path(r.level, r.n, r.width): tiles.hash_tile(big, r.level, r.n, r.width or 256)
             for r in tiles.tiles_for_size(600)}
    store["tile/1/000.p/1"] = tiles.hash_tile(big, 1, 0, 1)
    fetched = []

    def fetch(path):
        fetched.append(path)
        return store[path]

    # A client that saw size 300 asks for tile/0/001.p/44, which the log has replaced by the full tile.
    src = tiles.TileNodeSource(fetch, 300)
    assert merkle.root_hash(src, 300) == big.root(300)
    assert "tile/0/001.p/44" in fetched and "tile/0/001" in fetched
    with pytest.raises(LookupError):
        src.node(0, 300)
    with pytest.raises(LookupError):
        src.node(9, 0)
    short = tiles.TileNodeSource(lambda p: b"\0" * 31, 1)
    with pytest.raises(ValueError):
        short.node(0, 0)


# -- tlog-proof -----------------------------------------------------------------------------------

def test_tlog_proof_strictness():
    log = Signer.generate(ORIGIN)
    _, note = checkpoint_note(log)
    p = TlogProof(3, tuple(merkle.inclusion_proof(TREE, 3, 40)), note)
    data = format_tlog_proof(p)
    assert parse_tlog_proof(data) == p
    assert verify_tlog_proof(p, b"e3", Verifier.from_vkey(log.vkey())).size == 40
    one = base64.b64encode(p.proof[0]).decode()
    for bad in [data.replace(b"index 3", "index \u0663".encode()), data.replace(b"index 3", b"index +3"),
                data.replace(one.encode(), one[:-1].encode() + b"B"),
                data.replace(b"index 3\n", b"index 3\nextra AA==\n"),
                data.replace(b"\n\n", b"\n"), b"c2sp.org/tlog-proof@v1\nextra !\nindex 0\n\n" + note]:
        with pytest.raises(TlogProofError):
            parse_tlog_proof(bad)
    other = Signer.generate("other.example/log")
    with pytest.raises(TlogProofError):
        verify_tlog_proof(p, b"e3", Verifier.from_vkey(other.vkey()))
    with pytest.raises(merkle.ProofError):
        verify_tlog_proof(TlogProof(4, p.proof, note), b"e3", Verifier.from_vkey(log.vkey()))


def test_tlog_proofs_in_one_pass_are_each_proof():
    """A batch's receipts (``merkle.inclusion_proofs``, ``format_tlog_proofs``) are byte for byte the proofs
    built one by one."""
    _, note = checkpoint_note(Signer.generate(ORIGIN))
    for size in (1, 2, 3, 7, 8, 9, 33, 40):
        indices = [*range(size), size - 1, 0]
        batch = merkle.inclusion_proofs(TREE, indices, size)
        assert batch == [merkle.inclusion_proof(TREE, i, size) for i in indices]
        assert format_tlog_proofs(list(zip(indices, batch, strict=True)), note) == [
            format_tlog_proof(TlogProof(i, tuple(p), note)).decode() for i, p in zip(indices, batch, strict=True)]
    with pytest.raises(merkle.ProofError):
        merkle.inclusion_proofs(TREE, [0, 5], 5)


# -- policy ---------------------------------------------------------------------------------------

def _policy_parts():
    log = Signer.generate(ORIGIN)
    ws = {n: Cosigner.generate(f"{n}.example") for n in ("a", "b", "c")}
    return log, ws


def test_policy_spec_rules():
    log, ws = _policy_parts()
    L = f"log {log.vkey()}"
    W = "\n".join(f"witness {n} {c.vkey()}" for n, c in ws.items())
    ok = parse_policy(f"  # comment\n{L} https://log.example/#x\n{W}\n\tgroup g\t2 a  b c \nquorum g\n")
    assert ok.groups["g"] == (2, ["a", "b", "c"]) and ok.quorum == "g"
    assert parse_policy(format_policy(ok)).groups == ok.groups
    assert parse_policy("quorum none\n").quorum is None
    bad = [f"{L}\n{W}\n", f"{L}\nquorum none\nquorum none", f"{L}\n{L}\nquorum none",
           f"{W}\nwitness d {ws['a'].vkey()}\nquorum none",
           f"{W}\nwitness none {Cosigner.generate('n').vkey()}\nquorum none",
           f"{W}\ngroup g 1 a a\nquorum g", f"{W}\ngroup g 0 a\nquorum g", f"{W}\ngroup g 02 a b\nquorum g",
           f"{W}\ngroup g \u0661 a\nquorum g", f"{W}\ngroup g any a none\nquorum g", f"{W}\nquorum g\ngroup g any a",
           f"{L}\r\nquorum none", f"{L}\u00a0x\nquorum none", f"{L}\nquorum none\nlog",
           f"log {ws['a'].vkey()}x\nquorum none"]
    for text in bad:
        with pytest.raises(PolicyError):
            parse_policy(text)


def test_policy_verify_checkpoint():
    log, ws = _policy_parts()
    W = "\n".join(f"witness {n} {c.vkey()}" for n, c in ws.items())
    pol = parse_policy(f"log {log.vkey()}\n{W}\ngroup g 2 a b c\nquorum g\n")
    text, note = checkpoint_note(log)
    a, b = ws["a"].cosign(text, 5), ws["b"].cosign(text, 6)
    with pytest.raises(PolicyError):
        pol.verify_checkpoint(note + a.line().encode())
    cp, names = pol.verify_checkpoint(note + a.line().encode() + b.line().encode())
    assert cp.size == 40 and names == {"a", "b"}
    forged = Signature(b.name, b.key_id, b.sig[:8] + bytes(64))
    with pytest.raises(PolicyError):
        pol.verify_checkpoint(note + a.line().encode() + forged.line().encode())
    with pytest.raises(PolicyError):
        pol.verify_checkpoint(checkpoint_note(Signer.generate(ORIGIN))[1] + a.line().encode() + b.line().encode())
    # A log key vouches only for a checkpoint whose origin is its name.
    wrong = Signer.generate("another.example/log")
    body = Checkpoint(ORIGIN, 40, TREE.root(40)).text()
    pol2 = parse_policy(f"log {wrong.vkey()}\nquorum none\n")
    with pytest.raises(PolicyError):
        pol2.verify_checkpoint(sign_note(body, wrong))


def test_policy_with_the_published_witness_vector():
    d = VECTORS / "tlog-tiles"
    wkey = json.loads((d / "witness.v0.json").read_text())["verifier_keys"][0]
    pol = parse_policy(f"witness w {wkey}\nquorum w\n")
    note = (d / "witnessed-checkpoint").read_bytes()
    text, sigs = parse_note(note)
    cosig = next(s for s in sigs if s.name == pol.witnesses["w"].name)
    assert verify_cosignature(pol.witnesses["w"], text, cosig)
    assert Checkpoint.parse(text).size == 300


def _parsed(parse, note):  # type: ignore[no-untyped-def]
    try:
        got = parse(note)
        return got[0], [(s.name, s.key_id, s.sig) for s in got[1]]
    except NoteError as exc:
        return str(exc)


def test_parse_signed_reads_every_note_as_parse_note_does():
    a, b = Signer.generate("ua/negotiator"), Signer.generate("ru/negotiator")
    one = sign_note("parley.record/v1\nkind record.note\n", a)
    two = sign_note("parley.record/v1\nkind record.note\n", a, b)
    bad_b64 = one.replace(b" ", b" !", 1)
    cases = [one, two, one[:-1], one + b"junk\n", bad_b64, b"text\n\n\n", b"\n\n" + one.split(b"\n\n")[1],
             one.replace(b"kind", b"ki\x01nd"), one.replace(b"\xe2\x80\x94", b"--"), b"x" * 10,
             one.replace(b"ua/negotiator", b"ua negotiator", 1), "text ü\n\n— ü/x QUJDREVGR0g=\n".encode(),
             one.rsplit(b" ", 1)[0] + b" QUJD\n", one.replace(b"kind", b"ki\x7fnd"), one.replace(b"kind", b"ki\tnd"),
             one.replace(b"kind", "ki\u0085nd".encode()), one.replace(b"kind", "кінд".encode()),
             one.replace(b"kind", b"ki\rnd")]
    for note in cases:
        fast = parse_signed(note)[:2] if not isinstance(_parsed(parse_signed, note), str) else None
        assert _parsed(parse_signed, note) == _parsed(parse_note, note), note
        if fast is not None:
            assert parse_signed(note)[2] == fast[0].encode()
