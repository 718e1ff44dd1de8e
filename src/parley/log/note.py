"""C2SP signed-note: Ed25519 signer and verifier keys in the note key formats, signing and opening
notes, and C2SP tlog-cosignature/v1 (algorithm 0x04) cosignatures over checkpoints."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04
MAX_NOTE_SIZE = 1 << 20
MAX_SIGNATURES = 100
DASH = "\u2014 "


class NoteError(ValueError):
    pass


class UnverifiedNoteError(NoteError):
    pass


class InvalidSignatureError(NoteError):
    pass


def key_id(name: str, alg: int, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public_key).digest()[:4]


_BAD_NAME = re.compile(r"[\s+\x00-\x1f\x7f]")


def valid_key_name(name: str) -> bool:
    return bool(name) and _BAD_NAME.search(name) is None


def _b64(data: str) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise NoteError("malformed base64") from exc


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: bytes
    sig: bytes

    def line(self) -> str:
        return f"{DASH}{self.name} {base64.b64encode(self.key_id + self.sig).decode()}\n"


def _pub(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _seed(private: Ed25519PrivateKey) -> bytes:
    return private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                 serialization.NoEncryption())


class _Ed25519Key:
    alg = ALG_ED25519

    def __init__(self, name: str, private: Ed25519PrivateKey) -> None:
        if not valid_key_name(name):
            raise NoteError(f"invalid key name {name!r}")
        self.name = name
        self._private = private
        self.public_key = _pub(private)
        self.key_id = key_id(name, self.alg, self.public_key)

    @classmethod
    def generate(cls, name: str):  # type: ignore[no-untyped-def]
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_private_key(cls, name: str, private: Ed25519PrivateKey):  # type: ignore[no-untyped-def]
        return cls(name, private)

    @classmethod
    def from_skey(cls, skey: str):  # type: ignore[no-untyped-def]
        parts = skey.strip().split("+", 4)
        if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
            raise NoteError("malformed private key")
        name, hexid, data = parts[2], parts[3], _b64(parts[4])
        if len(data) != 33 or data[0] != cls.alg:
            raise NoteError("unsupported private key algorithm")
        key = cls(name, Ed25519PrivateKey.from_private_bytes(data[1:]))
        if len(hexid) != 8 or key.key_id.hex() != hexid.lower():
            raise NoteError("private key id does not match")
        return key

    def seed(self) -> bytes:
        return _seed(self._private)

    def skey(self) -> str:
        data = base64.b64encode(bytes([self.alg]) + self.seed()).decode()
        return f"PRIVATE+KEY+{self.name}+{self.key_id.hex()}+{data}"

    def vkey(self) -> str:
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(bytes([self.alg]) + self.public_key).decode()}"


class Signer(_Ed25519Key):
    """An Ed25519 note signer (algorithm 0x01)."""

    def sign(self, message: bytes) -> Signature:
        return Signature(self.name, self.key_id, self._private.sign(message))


def cosignature_message(checkpoint_text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n".encode() + checkpoint_text.encode()


class Cosigner(_Ed25519Key):
    """A C2SP tlog-cosignature/v1 cosigner (algorithm 0x04)."""

    alg = ALG_COSIGNATURE_V1

    def cosign(self, checkpoint_text: str, timestamp: int) -> Signature:
        sig = self._private.sign(cosignature_message(checkpoint_text, timestamp))
        return Signature(self.name, self.key_id, struct.pack(">Q", timestamp) + sig)


def cosignature_timestamp(sig: Signature) -> int:
    if len(sig.sig) != 72:
        raise NoteError("not a cosignature")
    return struct.unpack(">Q", sig.sig[:8])[0]


class Verifier:
    def __init__(self, name: str, alg: int, public_key: bytes) -> None:
        self.name, self.alg, self.public_key = name, alg, public_key
        self.key_id = key_id(name, alg, public_key)
        self._key = Ed25519PublicKey.from_public_bytes(public_key)

    @classmethod
    def from_vkey(cls, vkey: str) -> "Verifier":
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3 or not valid_key_name(parts[0]) or len(parts[1]) != 8:
            raise NoteError("malformed verifier key")
        data = _b64(parts[2])
        if len(data) != 33 or data[0] not in (ALG_ED25519, ALG_COSIGNATURE_V1):
            raise NoteError("unsupported verifier key algorithm")
        v = cls(parts[0], data[0], data[1:])
        if v.key_id.hex() != parts[1].lower():
            raise NoteError("verifier key id does not match the key")
        return v

    def verify(self, message: bytes, sig: bytes) -> bool:
        try:
            self._key.verify(sig, message)
            return True
        except InvalidSignature:
            return False


def verify_cosignature(verifier: Verifier, checkpoint_text: str, sig: Signature) -> bool:
    if verifier.alg != ALG_COSIGNATURE_V1 or sig.key_id != verifier.key_id or len(sig.sig) != 72:
        return False
    ts = struct.unpack(">Q", sig.sig[:8])[0]
    return verifier.verify(cosignature_message(checkpoint_text, ts), sig.sig[8:])


_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


def _check_text(text: str) -> None:
    if not text or not text.endswith("\n"):
        raise NoteError("note text must be non-empty and end with a newline")
    if "\n\n" in text or text.startswith("\n"):
        raise NoteError("note text must not contain blank lines")
    if _CONTROL.search(text):
        raise NoteError("note text must not contain control characters")


def format_note(text: str, signatures: Sequence[Signature]) -> bytes:
    _check_text(text)
    return (text + "\n" + "".join(s.line() for s in signatures)).encode()


def sign_note(text: str, *signers: Signer) -> bytes:
    _check_text(text)
    msg = text.encode()
    return format_note(text, [s.sign(msg) for s in signers])


def parse_note(msg: bytes) -> tuple[str, list[Signature]]:
    if len(msg) > MAX_NOTE_SIZE:
        raise NoteError("note too large")
    try:
        s = msg.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NoteError("note is not UTF-8") from exc
    if not s.endswith("\n"):
        raise NoteError("note must end with a newline")
    split = s.rfind("\n\n")
    if split < 0:
        raise NoteError("note has no signature block")
    text, block = s[: split + 1], s[split + 2 :]
    _check_text(text)
    lines = block.split("\n")[:-1]
    if not lines:
        raise NoteError("note has no signatures")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError("too many signatures")
    sigs = []
    for line in lines:
        if not line.startswith(DASH):
            raise NoteError("malformed signature line")
        name, sep, b64 = line[len(DASH) :].partition(" ")
        if not sep or not valid_key_name(name) or " " in b64:
            raise NoteError("malformed signature line")
        raw = _b64(b64)
        if len(raw) < 5:
            raise NoteError("signature too short")
        sigs.append(Signature(name, raw[:4], raw[4:]))
    return text, sigs


def open_note(msg: bytes, verifiers: Iterable[Verifier]) -> tuple[str, list[Signature], list[Signature]]:
    text, sigs = parse_note(msg)
    known = {(v.name, v.key_id): v for v in verifiers}
    verified, unverified = [], []
    body = text.encode()
    for sig in sigs:
        v = known.get((sig.name, sig.key_id))
        if v is None:
            unverified.append(sig)
            continue
        ok = verify_cosignature(v, text, sig) if v.alg == ALG_COSIGNATURE_V1 else v.verify(body, sig.sig)
        if not ok:
            raise InvalidSignatureError(f"invalid signature by {sig.name}")
        verified.append(sig)
    if not verified:
        raise UnverifiedNoteError("no signature by a known key")
    return text, verified, unverified
