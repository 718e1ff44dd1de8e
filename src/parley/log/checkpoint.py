"""C2SP tlog-checkpoint: the origin, tree size and root hash that a log signs."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

_SIZE = re.compile(r"(0|[1-9][0-9]{0,19})\Z")


class CheckpointError(ValueError):
    pass


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode(), *self.extensions]
        return "\n".join(lines) + "\n"

    @classmethod
    def parse(cls, text: str) -> "Checkpoint":
        if not text.endswith("\n"):
            raise CheckpointError("checkpoint must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3 or not lines[0] or any(not x for x in lines[3:]):
            raise CheckpointError("checkpoint needs origin, size and root hash lines")
        if not _SIZE.match(lines[1]):
            raise CheckpointError("malformed tree size")
        try:
            root = base64.b64decode(lines[2], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CheckpointError("malformed root hash") from exc
        if len(root) != 32:
            raise CheckpointError("root hash must be 32 bytes")
        return cls(lines[0], int(lines[1]), root, tuple(lines[3:]))
