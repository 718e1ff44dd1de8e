"""C2SP signed-note: Ed25519 signer and verifier keys in the note key formats, signing and opening
notes, and C2SP tlog-cosignature/v1 (algorithm 0x04) cosignatures over checkpoints."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Self

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04
MAX_NOTE_SIZE = 1 << 20
MAX_SIGNATURES = 100
MAX_TIMESTAMP = (1 << 63) - 1
DASH = "\u2014 "


class NoteError(ValueError):
    pass


class UnverifiedNoteError(NoteError):
    pass


class InvalidSignatureError(NoteError):
    pass


def key_id(name: str, alg: int, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public_key).digest()[:4]


def valid_key_name(name: str) -> bool:
    """Non-empty, no Unicode space, no '+', and printable: no control characters or lone surrogates."""
    if not isinstance(name, str) or not name:
        return False
    if name.isascii():  # the usual case, without a look-up per character: the same answer
        return name.isprintable() and " " not in name and "+" not in name
    # Any other Unicode character is allowed, as in the reference implementation, so that notes from
    # other implementations keep parsing whatever Unicode version their key names come from.
    return not any(c == "+" or c.isspace() or unicodedata.category(c) in ("Cc", "Cs") for c in name)


_HEX_ID = re.compile(r"[0-9a-fA-F]{8}\Z")


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
        if not isinstance(private, Ed25519PrivateKey):
            raise NoteError("an Ed25519 private key is required")
        if not valid_key_name(name):
            raise NoteError(f"invalid key name {name!r}")
        self.name = name
        self._private = private
        self.public_key = _pub(private)
        self.key_id = key_id(name, self.alg, self.public_key)

    @classmethod
    def generate(cls, name: str) -> Self:
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_private_key(cls, name: str, private: Ed25519PrivateKey) -> Self:
        return cls(name, private)

    @classmethod
    def from_skey(cls, skey: str) -> Self:
        # maxsplit keeps '+' characters of the base64 payload in the last part.
        parts = skey.strip().split("+", 4)
        if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY" or not _HEX_ID.match(parts[3]):
            raise NoteError("malformed private key")
        name, hexid, data = parts[2], parts[3], _b64(parts[4])
        if len(data) != 33 or data[0] != cls.alg:
            raise NoteError("unsupported private key algorithm")
        key = cls(name, Ed25519PrivateKey.from_private_bytes(data[1:]))
        if key.key_id.hex() != hexid.lower():
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
        if not 0 <= timestamp <= MAX_TIMESTAMP:
            raise NoteError("cosignature timestamp out of range")
        _check_text(checkpoint_text)
        sig = self._private.sign(cosignature_message(checkpoint_text, timestamp))
        return Signature(self.name, self.key_id, struct.pack(">Q", timestamp) + sig)


def cosignature_timestamp(sig: Signature) -> int:
    if len(sig.sig) != 72:
        raise NoteError("not a cosignature")
    timestamp: int = struct.unpack(">Q", sig.sig[:8])[0]
    return timestamp


class Verifier:
    """An Ed25519 note verifier: plain signatures (0x01) or tlog-cosignature/v1 cosignatures (0x04)."""

    def __init__(self, name: str, alg: int, public_key: bytes) -> None:
        if not valid_key_name(name):
            raise NoteError(f"invalid key name {name!r}")
        if alg not in (ALG_ED25519, ALG_COSIGNATURE_V1):
            raise NoteError(f"unsupported signature type {alg:#04x}")
        if len(public_key) != 32:
            raise NoteError("an Ed25519 public key is 32 bytes")
        self.name, self.alg, self.public_key = name, alg, bytes(public_key)
        self.key_id = key_id(name, alg, self.public_key)
        try:
            self._key = Ed25519PublicKey.from_public_bytes(self.public_key)
        except ValueError as exc:
            raise NoteError("invalid Ed25519 public key") from exc

    def __repr__(self) -> str:
        return f"Verifier({self.name!r}, {self.alg:#04x}, {self.key_id.hex()})"

    def vkey(self) -> str:
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(bytes([self.alg]) + self.public_key).decode()}"

    @classmethod
    def from_vkey(cls, vkey: str) -> Verifier:
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3 or not valid_key_name(parts[0]) or not _HEX_ID.match(parts[1]):
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
    if verifier.alg != ALG_COSIGNATURE_V1 or (sig.name, sig.key_id) != (verifier.name, verifier.key_id):
        return False
    if len(sig.sig) != 72:
        return False
    ts = struct.unpack(">Q", sig.sig[:8])[0]
    if ts > MAX_TIMESTAMP:
        return False
    return verifier.verify(cosignature_message(checkpoint_text, ts), sig.sig[8:])


# The spec's control characters are those below U+0020; newline is the only one allowed.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


def has_control(text: str) -> bool:
    """Does ``text`` hold a control character other than newline (``_CONTROL``)? For ASCII text without DEL, the
    same answer from ``str.isprintable`` (ASCII's printable characters are exactly 0x20-0x7e), several times
    faster than the regular expression over a record's text."""
    if text.isascii() and "\x7f" not in text:
        return not text.replace("\n", "").isprintable()
    return _CONTROL.search(text) is not None


def _check_text(text: str) -> None:
    if not isinstance(text, str) or not text or not text.endswith("\n"):
        raise NoteError("note text must be non-empty and end with a newline")
    if has_control(text):
        raise NoteError("note text must not contain control characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise NoteError("note text must be valid UTF-8") from exc


def format_note(text: str, signatures: Sequence[Signature]) -> bytes:
    _check_text(text)
    for s in signatures:
        if not valid_key_name(s.name) or len(s.key_id) != 4 or not s.sig:
            raise NoteError(f"malformed signature by {s.name!r}")
    return (text + "\n" + "".join(s.line() for s in signatures)).encode()


def sign_note(text: str, *signers: Signer) -> bytes:
    _check_text(text)
    msg = text.encode()
    return format_note(text, [s.sign(msg) for s in signers])


def parse_note(msg: bytes) -> tuple[str, list[Signature]]:
    if not isinstance(msg, (bytes, bytearray, memoryview)):
        raise NoteError("a note is bytes")
    if len(msg) > MAX_NOTE_SIZE:
        raise NoteError("note too large")
    try:
        s = bytes(msg).decode("utf-8")
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


_DASH = DASH.encode()


def parse_signed(msg: bytes) -> tuple[str, list[Signature], bytes]:
    """``parse_note``, with the signed text's bytes too: a note with one signature line (every record's) is
    read without the general path's line loop, any other goes through ``parse_note``. Same answers, same
    refusals."""
    split = msg.rfind(b"\n\n")
    if (split > 0 and len(msg) <= MAX_NOTE_SIZE and msg.endswith(b"\n") and msg.count(b"\n", split + 2) == 1
            and msg.startswith(_DASH, split + 2)):
        name_b, sep, b64 = msg[split + 2 + len(_DASH) : -1].partition(b" ")
        if sep and b" " not in b64:
            try:
                signed = msg[: split + 1]
                text, name = signed.decode(), name_b.decode()
                raw = base64.b64decode(b64, validate=True)
            except (UnicodeDecodeError, binascii.Error, ValueError):
                raw = b""
            if len(raw) >= 5 and valid_key_name(name) and not has_control(text):
                return text, [Signature(name, raw[:4], raw[4:])], signed
    text, sigs = parse_note(msg)
    return text, sigs, text.encode()


def open_note(msg: bytes, verifiers: Iterable[Verifier]) -> tuple[str, list[Signature], list[Signature]]:
    text, sigs = parse_note(msg)
    known = {(v.name, v.key_id): v for v in verifiers}
    verified: list[Signature] = []
    unverified: list[Signature] = []
    seen = set()
    body = text.encode()
    for sig in sigs:
        v = known.get((sig.name, sig.key_id))
        if v is None:
            unverified.append(sig)
            continue
        ok = verify_cosignature(v, text, sig) if v.alg == ALG_COSIGNATURE_V1 else v.verify(body, sig.sig)
        if not ok:
            raise InvalidSignatureError(f"invalid signature by {sig.name}")
        # A key signing twice still counts once.
        if (sig.name, sig.key_id) not in seen:
            seen.add((sig.name, sig.key_id))
            verified.append(sig)
    if not verified:
        raise UnverifiedNoteError("no signature by a known key")
    return text, verified, unverified
