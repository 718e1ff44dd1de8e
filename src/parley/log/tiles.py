"""C2SP tlog-tiles: tile paths, hash tiles built from full Merkle nodes, entry bundles, and a node
source that serves full nodes from fetched hash tiles (for auditors and other clients)."""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from parley.log.merkle import HASH_SIZE, NodeSource, node_hash

TILE_HEIGHT = 8
TILE_WIDTH = 256
MAX_LEVEL = 63


@dataclass(frozen=True)
class TileRef:
    level: int  # -1: an entry bundle
    n: int
    width: int | None


def _encode_index(n: int) -> str:
    digits = f"{n:03d}"
    if len(digits) % 3:
        digits = "0" * (3 - len(digits) % 3) + digits
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*("x" + g for g in groups[:-1]), groups[-1]])


def tile_path(level: int, n: int, width: int | None = None) -> str:
    lv = "entries" if level < 0 else str(level)
    path = f"tile/{lv}/{_encode_index(n)}"
    if width is not None and width != TILE_WIDTH:
        path += f".p/{width}"
    return path


def parse_tile_path(path: str) -> TileRef:
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != "tile":
        raise ValueError("not a tile path")
    if parts[1] == "entries":
        level = -1
    elif parts[1].isdigit() and (parts[1] == "0" or not parts[1].startswith("0")) and int(parts[1]) <= MAX_LEVEL:
        level = int(parts[1])
    else:
        raise ValueError("bad tile level")
    rest = parts[2:]
    width = None
    if len(rest) >= 2 and rest[-2].endswith(".p"):
        w = rest[-1]
        if not w.isdigit() or w.startswith("0") or not 1 <= int(w) < TILE_WIDTH:
            raise ValueError("bad partial tile width")
        width = int(w)
        rest = [*rest[:-2], rest[-2][:-2]]
    if not rest or len(rest) > 7:
        raise ValueError("bad tile index")
    digits = ""
    for i, elem in enumerate(rest):
        last = i == len(rest) - 1
        body = elem if last else (elem[1:] if elem.startswith("x") else "")
        if len(body) != 3 or not body.isdigit():
            raise ValueError("bad tile index element")
        digits += body
    n = int(digits)
    if _encode_index(n) != "/".join(rest):
        raise ValueError("tile index is not in canonical form")
    return TileRef(level, n, width)


def hash_tile(src: NodeSource, level: int, n: int, width: int) -> bytes:
    base = level * TILE_HEIGHT
    start = n * TILE_WIDTH
    return b"".join(src.full_nodes([(base, start + i) for i in range(width)]))


def tiles_for_size(size: int) -> list[TileRef]:
    out = []
    level = 0
    while True:
        count = size >> (level * TILE_HEIGHT)
        if count == 0:
            break
        full, part = divmod(count, TILE_WIDTH)
        out += [TileRef(level, n, None) for n in range(full)]
        if part:
            out.append(TileRef(level, full, part))
        level += 1
    return out


def encode_entry_bundle(entries: Sequence[bytes]) -> bytes:
    out = bytearray()
    for e in entries:
        if len(e) > 0xFFFF:
            raise ValueError("an entry is at most 65535 bytes")
        out += struct.pack(">H", len(e)) + e
    return bytes(out)


def decode_entry_bundle(data: bytes) -> list[bytes]:
    out, pos = [], 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise ValueError("truncated entry bundle")
        (n,) = struct.unpack_from(">H", data, pos)
        pos += 2
        if pos + n > len(data):
            raise ValueError("truncated entry bundle")
        out.append(bytes(data[pos : pos + n]))
        pos += n
    return out


class TileNodeSource:
    """Full nodes of a tree of ``size`` leaves, computed from its hash tiles fetched on demand."""

    def __init__(self, fetch: Callable[[str], bytes], size: int) -> None:
        self.fetch = fetch
        self.size = size
        self._tiles: dict[tuple[int, int], bytes] = {}

    def _tile(self, tlevel: int, n: int) -> bytes:
        key = (tlevel, n)
        if key not in self._tiles:
            count = self.size >> (tlevel * TILE_HEIGHT)
            width = min(TILE_WIDTH, count - n * TILE_WIDTH)
            if width <= 0:
                raise LookupError(f"tile {tlevel}/{n} is beyond a tree of size {self.size}")
            data = self.fetch(tile_path(tlevel, n, None if width == TILE_WIDTH else width))
            if len(data) != width * HASH_SIZE:
                raise ValueError(f"tile {tlevel}/{n} has {len(data)} bytes, want {width * HASH_SIZE}")
            # Tiles are immutable, so a tile fetched twice by two threads is the same either way.
            self._tiles[key] = data
            return data
        return self._tiles[key]

    def node(self, level: int, index: int) -> bytes:
        if level == 0:  # the common case for auditors: a leaf hash, straight from its tile
            n, off = divmod(index, TILE_WIDTH)
            return self._tile(0, n)[off * HASH_SIZE : (off + 1) * HASH_SIZE]
        tlevel, r = divmod(level, TILE_HEIGHT)
        first = index << r
        n, off = divmod(first, TILE_WIDTH)
        tile = self._tile(tlevel, n)
        hashes = [tile[(off + i) * HASH_SIZE : (off + i + 1) * HASH_SIZE] for i in range(1 << r)]
        while len(hashes) > 1:
            hashes = [node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
        return hashes[0]

    def full_nodes(self, keys: Sequence[tuple[int, int]]) -> list[bytes]:
        return [self.node(lv, i) for lv, i in keys]
