"""C2SP tlog-checkpoint: the note text a log signs for a tree head (origin, tree size, base64 root
hash, optional extension lines), and its strict parsing. Signing and opening the note is note.py's."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from parley.log.merkle import HASH_SIZE

MAX_SIZE = (1 << 64) - 1
_SIZE = re.compile(r"(0|[1-9][0-9]{0,19})\Z")
_B64_HASH = re.compile(r"[A-Za-z0-9+/]{43}=\Z")


class CheckpointError(ValueError):
    pass


def _check_line(line: str, what: str) -> None:
    if not isinstance(line, str) or not line or "\n" in line:
        raise CheckpointError(f"{what} must be a non-empty single line")


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        _check_line(self.origin, "origin")
        for ext in self.extensions:
            _check_line(ext, "extension line")
        if not 0 <= self.size <= MAX_SIZE:
            raise CheckpointError("tree size out of range")
        if len(self.root_hash) != HASH_SIZE:
            raise CheckpointError(f"root hash must be {HASH_SIZE} bytes")
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode(), *self.extensions]
        return "\n".join(lines) + "\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        if not isinstance(text, str) or not text.endswith("\n"):
            raise CheckpointError("checkpoint must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3 or not lines[0] or any(not x for x in lines[3:]):
            raise CheckpointError("checkpoint needs origin, size and root hash lines, and no empty lines")
        if not _SIZE.match(lines[1]) or int(lines[1]) > MAX_SIZE:
            raise CheckpointError("malformed tree size")
        # A 32-byte hash has exactly one canonical encoding: 43 characters and one '=' of padding, and
        # the last character's two unused bits zero (checked by re-encoding).
        if not _B64_HASH.match(lines[2]):
            raise CheckpointError("malformed root hash")
        try:
            root = base64.b64decode(lines[2], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CheckpointError("malformed root hash") from exc
        if base64.b64encode(root).decode() != lines[2]:
            raise CheckpointError("root hash is not canonical base64")
        return cls(lines[0], int(lines[1]), root, tuple(lines[3:]))
