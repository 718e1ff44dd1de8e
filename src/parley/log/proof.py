"""C2SP tlog-proof: an offline-verifiable proof that an entry is in the log, as the entry's index,
its inclusion proof, optional unauthenticated extra data and the log's signed checkpoint (with any
witness cosignatures). Parley's receipts are in this form."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass

from parley.log.checkpoint import Checkpoint, CheckpointError
from parley.log.merkle import HASH_SIZE, ProofError, leaf_hash, verify_inclusion
from parley.log.note import MAX_NOTE_SIZE, NoteError, Verifier, open_note

HEADER = "c2sp.org/tlog-proof@v1"
# A proof in a tree of up to 2^64 leaves has at most 64 hashes.
MAX_PROOF_HASHES = 64
_INDEX = re.compile(r"index (0|[1-9][0-9]{0,19})")


class TlogProofError(ValueError):
    pass


@dataclass(frozen=True)
class TlogProof:
    index: int
    proof: tuple[bytes, ...]
    checkpoint_note: bytes
    extra: bytes | None = None


def format_tlog_proof(p: TlogProof) -> bytes:
    if p.index < 0 or any(len(h) != HASH_SIZE for h in p.proof):
        raise TlogProofError("malformed proof")
    lines = [HEADER]
    if p.extra is not None:
        lines.append("extra " + base64.b64encode(p.extra).decode())
    lines.append(f"index {p.index}")
    lines += [base64.b64encode(h).decode() for h in p.proof]
    return ("\n".join(lines) + "\n\n").encode() + p.checkpoint_note


def format_tlog_proofs(proofs: Sequence[tuple[int, Sequence[bytes]]], checkpoint_note: bytes) -> list[str]:
    """``format_tlog_proof`` of several proofs (no extra data) against one checkpoint, as text: the hashes
    they share (a batch's receipts share most) encoded once."""
    encoded: dict[bytes, str] = {}
    note = checkpoint_note.decode()
    out = []
    for index, hashes in proofs:
        if index < 0 or any(len(h) != HASH_SIZE for h in hashes):
            raise TlogProofError("malformed proof")
        lines = [HEADER, f"index {index}"]
        for h in hashes:
            e = encoded.get(h)
            if e is None:
                e = encoded[h] = base64.b64encode(h).decode()
            lines.append(e)
        out.append("\n".join(lines) + "\n\n" + note)
    return out


def _b64(s: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise TlogProofError(f"malformed base64 in {what}") from exc
    # One canonical encoding per value, so a proof cannot be varied without changing its meaning.
    if base64.b64encode(raw).decode() != s:
        raise TlogProofError(f"non-canonical base64 in {what}")
    return raw


def parse_tlog_proof(data: bytes) -> TlogProof:
    if len(data) > MAX_NOTE_SIZE + 64 * MAX_PROOF_HASHES + (1 << 16):
        raise TlogProofError("proof too large")
    try:
        head, sep, note = bytes(data).decode("utf-8").partition("\n\n")
    except UnicodeDecodeError as exc:
        raise TlogProofError("proof is not UTF-8") from exc
    if not sep:
        raise TlogProofError("proof has no checkpoint")
    lines = head.split("\n")
    if lines[0] != HEADER:
        raise TlogProofError(f"proof must start with {HEADER}")
    pos, extra = 1, None
    if len(lines) > pos and lines[pos].startswith("extra "):
        extra = _b64(lines[pos][len("extra ") :], "extra data")
        pos += 1
    m = _INDEX.fullmatch(lines[pos]) if len(lines) > pos else None
    if m is None:
        raise TlogProofError("proof needs an index line: 'index <decimal>'")
    index = int(m.group(1))
    if index >= 1 << 64:
        raise TlogProofError("index out of range")
    hashes = tuple(_b64(x, "inclusion proof") for x in lines[pos + 1 :])
    if len(hashes) > MAX_PROOF_HASHES:
        raise TlogProofError("too many proof hashes")
    if any(len(h) != HASH_SIZE for h in hashes):
        raise TlogProofError(f"proof hashes must be {HASH_SIZE} bytes")
    return TlogProof(index, hashes, note.encode(), extra)


def verify_tlog_proof(p: TlogProof, entry: bytes, log_verifier: Verifier) -> Checkpoint:
    """The checkpoint, once its log signature and the entry's inclusion in it verify. Witness
    cosignatures are left to a policy (policy.Policy.verify_checkpoint)."""
    try:
        text, _, _ = open_note(p.checkpoint_note, [log_verifier])
        cp = Checkpoint.parse(text)
    except (NoteError, CheckpointError) as exc:
        raise TlogProofError(f"checkpoint: {exc}") from exc
    # tlog-checkpoint: the log's key name should match the origin; Parley's logs always do, and
    # binding them stops a key shared by two logs from vouching for the wrong one.
    if cp.origin != log_verifier.name:
        raise TlogProofError("checkpoint is for another log")
    verify_inclusion(leaf_hash(entry), p.index, cp.size, list(p.proof), cp.root_hash)
    return cp


__all__ = ["ProofError", "TlogProof", "TlogProofError", "format_tlog_proof", "format_tlog_proofs", "parse_tlog_proof",
           "verify_tlog_proof"]
