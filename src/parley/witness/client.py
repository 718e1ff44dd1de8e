"""Asking a witness to cosign, from the log's side: the C2SP tlog-witness ``add-checkpoint`` request
and its answers (cosignature lines; 409 with the witness's size; anything else is an error)."""

from __future__ import annotations

import base64

import httpx

from parley.client import tls
from parley.log.note import NoteError, Signature, parse_note


class WitnessError(Exception):
    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class WitnessConflict(WitnessError):
    """The witness last cosigned ``size``, not the old size sent: retry from there."""

    def __init__(self, size: int) -> None:
        super().__init__(f"the witness has cosigned size {size}", 409)
        self.size = size


def add_checkpoint(url: str, old_size: int, proof: list[bytes], checkpoint_note: bytes, *, timeout: float = 10,
                   client: httpx.Client | None = None) -> list[Signature]:
    """POST ``<url>/add-checkpoint``; returns the witness's signatures (the caller checks them).
    With ``client``, that client's own timeout applies."""
    if old_size < 0:
        raise ValueError("old size must not be negative")
    body = f"old {old_size}\n".encode() + b"".join(base64.b64encode(p) + b"\n" for p in proof) + b"\n" \
        + checkpoint_note
    target = url.rstrip("/") + "/add-checkpoint"
    try:
        if client is not None:
            r = client.post(target, content=body)
        else:
            r = httpx.post(target, content=body, timeout=timeout, verify=tls())
    except httpx.HTTPError as exc:
        raise WitnessError(f"witness unreachable: {exc}") from exc
    if r.status_code == 409 and r.headers.get("content-type", "").startswith("text/x.tlog.size"):
        text = r.text.strip()
        if text.isascii() and text.isdigit():
            raise WitnessConflict(int(text))
    if r.status_code != 200:
        raise WitnessError(f"witness answered {r.status_code}: {r.text.strip()[:200]}", r.status_code)
    # The answer is signature lines: parse them as the signature block of a note.
    try:
        _, sigs = parse_note(b"x\n\n" + r.content)
    except NoteError as exc:
        raise WitnessError(f"malformed cosignature: {exc}", 200) from exc
    return sigs
