"""Sealed payloads as a log entry stores them (``log_entry.payload``), the format only: AES-256-GCM under
the data subjects' keys, or the marker of a destroyed payload. Who holds the keys, which kinds are sealed and
what destroys them is ``parley.records.sealing``; the log's self-check opens envelopes with this module."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SEALED_PREFIX = '{"parley_sealed":'
DESTROYED_PREFIX = '{"parley_destroyed":'


class Destroyed(Exception):
    """A subject's key was destroyed (by the record ``by``)."""

    def __init__(self, subject: str, by: int | None) -> None:
        super().__init__(subject)
        self.subject, self.by = subject, by


# -- envelopes ---------------------------------------------------------------------------------------------

def is_sealed(stored: str) -> bool:
    return stored.startswith(SEALED_PREFIX)


def is_destroyed(stored: str) -> bool:
    return stored.startswith(DESTROYED_PREFIX)


def record_key(keys: Sequence[bytes], subjects: Sequence[str]) -> bytes:
    if len(keys) == 1:
        return keys[0]
    info = ("parley.sealed/v1\n" + "\n".join(subjects)).encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(b"".join(keys))


def _aad(payload_hash: str, subjects: Sequence[str]) -> bytes:
    return (payload_hash + "\n" + "\n".join(subjects)).encode()


def seal(keys: Sequence[bytes], subjects: Sequence[str], payload_hash: str, canonical: bytes) -> str:
    """The stored text of a payload sealed under its subjects' keys (in the order of ``subjects``, sorted)."""
    nonce = os.urandom(12)
    ct = AESGCM(record_key(keys, subjects)).encrypt(nonce, canonical, _aad(payload_hash, subjects))
    return json.dumps({"parley_sealed": 1, "subjects": list(subjects), "nonce": base64.b64encode(nonce).decode(),
                       "ct": base64.b64encode(ct).decode()}, separators=(",", ":"))


def envelope(stored: str) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(stored)
    return out


def unseal(stored: str, keys: Mapping[str, bytes | None], payload_hash: str) -> bytes:
    """The canonical payload of a sealed envelope; ``Destroyed`` if a subject's key is gone, ``ValueError`` if
    the envelope does not open (a wrong key, or text that was altered)."""
    env = envelope(stored)
    subjects = [str(x) for x in env["subjects"]]
    got = []
    for subj in subjects:
        k = keys.get(subj)
        if k is None:
            raise Destroyed(subj, None)
        got.append(k)
    try:
        return AESGCM(record_key(got, subjects)).decrypt(base64.b64decode(env["nonce"]), base64.b64decode(env["ct"]),
                                                         _aad(payload_hash, subjects))
    except (InvalidTag, ValueError, KeyError) as exc:
        raise ValueError("the sealed payload does not open") from exc


def destroyed_marker(by: int, subjects: Sequence[str]) -> str:
    return json.dumps({"parley_destroyed": by, "subjects": list(subjects)}, separators=(",", ":"))


def subjects_of(stored: str) -> list[str]:
    if is_sealed(stored) or is_destroyed(stored):
        return [str(x) for x in envelope(stored).get("subjects", [])]
    return []


def destroy_stored(stored: str, by: int, destroyed: Sequence[str]) -> str | None:
    """What an entry stored as ``stored`` holds once record ``by`` destroyed the subjects ``destroyed``: the
    destroyed marker naming those of them it was sealed under, or None if it names none of them or was destroyed
    already (the first destroyer stays), as the log's appender rewrites its own (``pipeline.destroy_entries``)."""
    if not is_sealed(stored):
        return None
    named = sorted(set(subjects_of(stored)) & set(destroyed))
    return destroyed_marker(by, named) if named else None


# -- destructions, as a copy of the log checks them --------------------------------------------------------

# The kinds of record that destroy personal data, and the data subjects each one's payload names: a payload
# served or stored as destroyed must name a later record of one of these kinds as its destroyer.
DESTROY_KINDS: dict[str, Callable[[Mapping[str, Any]], list[str]]] = {
    "person.destroy": lambda p: [f"person:{p['person']}"],
    "inquiry.destroy": lambda p: [f"inquiry:{p['inquiry']}"],
}


def destroyed_subjects(kind: str, payload: Mapping[str, Any]) -> list[str]:
    """The data subjects a destroying record (``DESTROY_KINDS``) destroys; [] for any other kind."""
    subjects = DESTROY_KINDS.get(kind)
    try:
        return subjects(payload) if subjects is not None else []
    except (KeyError, TypeError):
        return []


class Destructions:
    """Claims that records' payloads were destroyed (the destroyed marker, or a key listed as destroyed), checked
    against the records that destroy: each claim names a later record the log holds, of a destroying kind. Used
    by every copy that checks a log's payloads: an auditor (``log.auditor``) and a mirror (``parley.mirror``)."""

    def __init__(self) -> None:
        self.claims: list[tuple[int, int]] = []  # (index, the destroying record it names)
        self.destroyers: set[int] = set()  # the records read that destroy (``DESTROY_KINDS``)
        self.read: set[int] = set()  # the records read

    @staticmethod
    def claim_problem(idx: int, by: object) -> str | None:
        """What is wrong with a claim that record ``idx``'s payload was destroyed by record ``by``, seen alone."""
        if type(by) is not int or by <= idx:
            return "the server says this record's payload was destroyed, but names no later destroying record"
        return None

    def saw(self, idx: int, kind: str | None) -> None:
        """Record ``idx`` (of ``kind``) was read (and checked)."""
        self.read.add(idx)
        if kind in DESTROY_KINDS:
            self.destroyers.add(idx)

    def claim(self, idx: int, by: int) -> None:
        self.claims.append((idx, by))

    def problems(self, size: int, last: int) -> list[tuple[int, str]]:
        """The claims that name no destruction: a record beyond the tree of ``size``, or one read (up to ``last``)
        that is no destruction. A destroying record not read cannot be checked here."""
        out = []
        for idx, by in self.claims:
            if by >= size:
                out.append((idx, f"the server says record {by} destroyed this payload, but the log has only {size} "
                                 "records"))
            elif by <= last and by not in self.destroyers and by in self.read:
                out.append((idx, f"the server says record {by} destroyed this payload, but record {by} is no "
                                 "destruction"))
        return out
