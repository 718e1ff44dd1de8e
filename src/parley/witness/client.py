"""Asking a witness to cosign (C2SP tlog-witness ``add-checkpoint``) from the log's side."""

from __future__ import annotations

import base64

import httpx

from parley.log.note import NoteError, Signature, parse_note


class WitnessError(Exception):
    pass


class WitnessConflict(WitnessError):
    def __init__(self, size: int) -> None:
        super().__init__(f"the witness has cosigned size {size}")
        self.size = size


def add_checkpoint(url: str, old_size: int, proof: list[bytes], checkpoint_note: bytes, *, timeout: float = 10,
                   client: httpx.Client | None = None) -> list[Signature]:
    body = f"old {old_size}\n".encode() + b"".join(base64.b64encode(p) + b"\n" for p in proof) + b"\n" \
        + checkpoint_note
    target = url.rstrip("/") + "/add-checkpoint"
    try:
        if client is not None:
            r = client.post(target, content=body, timeout=timeout)
        else:
            r = httpx.post(target, content=body, timeout=timeout)
    except httpx.HTTPError as exc:
        raise WitnessError(f"witness unreachable: {exc}") from exc
    if r.status_code == 409 and r.headers.get("content-type", "").startswith("text/x.tlog.size"):
        text = r.text.strip()
        if text.isdigit():
            raise WitnessConflict(int(text))
    if r.status_code != 200:
        raise WitnessError(f"witness answered {r.status_code}: {r.text.strip()[:200]}")
    # The answer is signature lines: parse them as the signature block of a note.
    try:
        _, sigs = parse_note(b"x\n\n" + r.content)
    except NoteError as exc:
        raise WitnessError(f"malformed cosignature: {exc}") from exc
    return sigs
