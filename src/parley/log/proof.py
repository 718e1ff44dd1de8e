"""C2SP tlog-proof: an offline-verifiable proof that an entry is in the log, as a checkpoint, the
entry's index and its inclusion proof. Parley's receipts are in this form."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from parley.log.checkpoint import Checkpoint, CheckpointError
from parley.log.merkle import ProofError, leaf_hash, verify_inclusion
from parley.log.note import NoteError, Verifier, open_note

HEADER = "c2sp.org/tlog-proof@v1"


class TlogProofError(ValueError):
    pass


@dataclass(frozen=True)
class TlogProof:
    index: int
    proof: tuple[bytes, ...]
    checkpoint_note: bytes
    extra: bytes | None = None


def format_tlog_proof(p: TlogProof) -> bytes:
    lines = [HEADER]
    if p.extra is not None:
        lines.append("extra " + base64.b64encode(p.extra).decode())
    lines.append(f"index {p.index}")
    lines += [base64.b64encode(h).decode() for h in p.proof]
    return ("\n".join(lines) + "\n\n").encode() + p.checkpoint_note


def parse_tlog_proof(data: bytes) -> TlogProof:
    try:
        head, sep, note = data.decode("utf-8").partition("\n\n")
    except UnicodeDecodeError as exc:
        raise TlogProofError("proof is not UTF-8") from exc
    if not sep:
        raise TlogProofError("proof has no checkpoint")
    lines = head.split("\n")
    if lines[0] != HEADER:
        raise TlogProofError(f"proof must start with {HEADER}")
    pos, extra = 1, None
    try:
        if len(lines) > pos and lines[pos].startswith("extra "):
            extra = base64.b64decode(lines[pos][6:], validate=True)
            pos += 1
        if len(lines) <= pos or not lines[pos].startswith("index "):
            raise TlogProofError("proof needs an index line")
        digits = lines[pos][6:]
        if not digits.isdigit() or (digits != "0" and digits.startswith("0")):
            raise TlogProofError("malformed index")
        hashes = tuple(base64.b64decode(x, validate=True) for x in lines[pos + 1 :])
    except (binascii.Error, ValueError) as exc:
        if isinstance(exc, TlogProofError):
            raise
        raise TlogProofError("malformed base64 in proof") from exc
    if any(len(h) != 32 for h in hashes):
        raise TlogProofError("proof hashes must be 32 bytes")
    return TlogProof(int(digits), hashes, note.encode(), extra)


def verify_tlog_proof(p: TlogProof, entry: bytes, log_verifier: Verifier) -> Checkpoint:
    try:
        text, _, _ = open_note(p.checkpoint_note, [log_verifier])
        cp = Checkpoint.parse(text)
    except (NoteError, CheckpointError) as exc:
        raise TlogProofError(f"checkpoint: {exc}") from exc
    if cp.origin != log_verifier.name:
        raise TlogProofError("checkpoint is for another log")
    verify_inclusion(leaf_hash(entry), p.index, cp.size, list(p.proof), cp.root_hash)
    return cp


__all__ = ["ProofError", "TlogProof", "TlogProofError", "format_tlog_proof", "parse_tlog_proof", "verify_tlog_proof"]
