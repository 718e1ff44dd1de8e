"""C2SP tlog-tiles: tile paths, hash tiles built from full Merkle nodes, entry bundles, and a node
source that serves full nodes from fetched hash tiles (for auditors and other clients)."""

from __future__ import annotations

import re
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
    if n < 0:
        raise ValueError("a tile index is non-negative")
    digits = str(n)
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*("x" + g for g in groups[:-1]), groups[-1]])


def tile_path(level: int, n: int, width: int | None = None) -> str:
    if not -1 <= level <= MAX_LEVEL:
        raise ValueError(f"tile level {level} is out of range")
    if width is not None and not 1 <= width <= TILE_WIDTH:
        raise ValueError(f"tile width {width} is out of range")
    lv = "entries" if level < 0 else str(level)
    path = f"tile/{lv}/{_encode_index(n)}"
    if width is not None and width != TILE_WIDTH:
        path += f".p/{width}"
    return path


# ASCII digits only: str.isdigit() would let other scripts' digits through int().
_TILE_PATH = re.compile(r"tile/(entries|0|[1-9][0-9]?)/((?:x[0-9]{3}/){0,6}[0-9]{3})(?:\.p/([1-9][0-9]{0,2}))?")


def parse_tile_path(path: str) -> TileRef:
    m = _TILE_PATH.fullmatch(path)
    if m is None:
        raise ValueError(f"not a tile path: {path!r}")
    lv, index, w = m.groups()
    level = -1 if lv == "entries" else int(lv)
    if level > MAX_LEVEL:
        raise ValueError("tile level out of range")
    width = None if w is None else int(w)
    if width is not None and width >= TILE_WIDTH:
        raise ValueError("partial tile width out of range")
    n = int(index.replace("x", "").replace("/", ""))
    if _encode_index(n) != index:
        raise ValueError("tile index is not in canonical form")
    return TileRef(level, n, width)


def hash_tile(src: NodeSource, level: int, n: int, width: int) -> bytes:
    if not 0 <= level <= MAX_LEVEL or n < 0 or not 1 <= width <= TILE_WIDTH:
        raise ValueError("bad hash tile coordinates")
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
    """Full nodes of a tree of ``size`` leaves, computed from its hash tiles fetched on demand.

    ``fetch(path)`` returns the bytes at a tile path such as ``tile/0/x001/234.p/5``."""

    def __init__(self, fetch: Callable[[str], bytes], size: int) -> None:
        if size < 0:
            raise ValueError("negative tree size")
        self.fetch = fetch
        self.size = size
        self._tiles: dict[tuple[int, int], bytes] = {}
        self._nodes: dict[tuple[int, int], bytes] = {}

    def _tile(self, tlevel: int, n: int) -> bytes:
        key = (tlevel, n)
        data = self._tiles.get(key)
        if data is not None:
            return data
        count = self.size >> (tlevel * TILE_HEIGHT)
        width = min(TILE_WIDTH, count - n * TILE_WIDTH)
        if width <= 0 or n < 0:
            raise LookupError(f"tile {tlevel}/{n} is beyond a tree of size {self.size}")
        if width == TILE_WIDTH:
            data = self.fetch(tile_path(tlevel, n))
        else:
            try:
                data = self.fetch(tile_path(tlevel, n, width))
            except Exception as exc:  # noqa: BLE001 - any failure of the partial tile: try the full one
                # tlog-tiles lets a log delete a partial tile once the full one exists; the full
                # tile's first ``width`` hashes are the same nodes.
                try:
                    data = self.fetch(tile_path(tlevel, n))[: width * HASH_SIZE]
                except Exception:  # noqa: BLE001 - the partial tile's error is the one to report
                    raise exc from None
        if len(data) != width * HASH_SIZE:
            raise ValueError(f"tile {tlevel}/{n} has {len(data)} bytes, want {width * HASH_SIZE}")
        # Tiles are immutable, so a tile fetched twice by two threads is the same either way.
        self._tiles[key] = bytes(data)
        return self._tiles[key]

    def add_bound(self, tlevel: int, n: int, data: bytes) -> None:
        """A full tile the caller built itself and bound to its entry in the tile above (an auditor's leaf
        tile from records it read): used as if fetched, so it is not fetched."""
        if len(data) != TILE_WIDTH * HASH_SIZE:
            raise ValueError("a bound tile is a full tile")
        self._tiles.setdefault((tlevel, n), bytes(data))

    def node(self, level: int, index: int) -> bytes:
        if level < 0 or index < 0 or ((index + 1) << level) > self.size:
            raise LookupError(f"node {level}/{index} is not a full node of a tree of size {self.size}")
        tlevel, r = divmod(level, TILE_HEIGHT)
        first = index << r
        n, off = divmod(first, TILE_WIDTH)
        tile = self._tile(tlevel, n)
        if r == 0:
            return tile[off * HASH_SIZE : (off + 1) * HASH_SIZE]
        cached = self._nodes.get((level, index))
        if cached is not None:
            return cached
        hashes = [tile[(off + i) * HASH_SIZE : (off + i + 1) * HASH_SIZE] for i in range(1 << r)]
        while len(hashes) > 1:
            hashes = [node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
        self._nodes[(level, index)] = hashes[0]
        return hashes[0]

    def full_nodes(self, keys: Sequence[tuple[int, int]]) -> list[bytes]:
        return [self.node(lv, i) for lv, i in keys]


# -- payload bundles: Parley's companion to entry bundles -------------------------------------------
# An entry bundle carries each record's signed note, which commits to its payload by hash only. A mirror
# (and a restore from it) needs the payloads too: ``/log/payloads/<N>[.p/<W>]`` serves, for the same
# entries as ``tile/entries/<N>[.p/<W>]``, each entry's payload as the log stores it (the canonical RFC 8785
# text, or for personal data the sealed envelope or destroyed marker, ``log/sealed.py``; UTF-8) with a
# big-endian uint32 length prefix (a payload may exceed an entry bundle's 65535 bytes).


def payload_path(n: int, width: int | None = None) -> str:
    return "payloads/" + tile_path(-1, n, width)[len("tile/entries/"):]


def parse_payload_path(path: str) -> TileRef:
    if not path.startswith("payloads/"):
        raise ValueError(f"not a payload bundle path: {path!r}")
    return parse_tile_path("tile/entries/" + path[len("payloads/"):])


def encode_payload_bundle(payloads: Sequence[bytes]) -> bytes:
    return b"".join(struct.pack(">I", len(p)) + p for p in payloads)


def decode_payload_bundle(data: bytes) -> list[bytes]:
    out, pos = [], 0
    while pos < len(data):
        if pos + 4 > len(data):
            raise ValueError("truncated payload bundle")
        (n,) = struct.unpack_from(">I", data, pos)
        pos += 4
        if pos + n > len(data):
            raise ValueError("truncated payload bundle")
        out.append(bytes(data[pos : pos + n]))
        pos += n
    return out
