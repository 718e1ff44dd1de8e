"""Reading a log's copy over its tlog-tiles face — the log's own server or a mirror, which serve the same
paths: ``/log/checkpoint``, ``/log/tile/entries/<N>[.p/<W>]`` (the signed record notes) and Parley's
``/log/payloads/<N>[.p/<W>]`` (their payloads as the log stores them, ``log/tiles.py``) and
``/api/log/data-keys`` (the data subjects' keys, ``records/sealing.py``), with a bearer token.

``sync_once`` is a mirror's update from its log (C2SP tlog-mirror's "other update process": pulled, not
pushed): the log's published checkpoint, verified with the log key (and a witness policy, if given), then
the entries after the mirror's size, stored as pending, each payload checked against the hash its record
signs (a sealed one opened with its key; a destroyed one only with a later destroying record in the tree), and
the mirror checkpoint moved only once the root recomputed from every stored leaf equals the checkpoint's, so
what the mirror holds is exactly the tree the log signed. Every sync also reads the log's keys: new ones are
kept, destroyed ones deleted and their payloads overwritten (``MirrorStore.follow_keys``)."""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from parley.client import http_client
from parley.log import sealed, tiles
from parley.log.policy import Policy, PolicyError
from parley.log.sealed import Destructions
from parley.mirror.store import ListedKey, MirrorError, MirrorStore, verify_checkpoint

log = logging.getLogger(__name__)
# Entries fetched and stored as pending per step of a sync (16 bundles).
STEP = 16 * tiles.TILE_WIDTH


class TileReader:
    """The tlog-tiles face of a log or a mirror at ``url`` (``client``: an httpx client to use instead)."""

    def __init__(self, url: str, token: str | None = None, *, client: httpx.Client | None = None,
                 timeout: float = 60) -> None:
        self.client = client or http_client(url.rstrip("/"), timeout=timeout)
        self.url = url
        if token:
            self.client.headers["Authorization"] = f"Bearer {token}"

    def _get(self, path: str) -> bytes:
        try:
            r = self.client.get(path)
        except httpx.HTTPError as exc:
            raise MirrorError(f"GET {self.url.rstrip('/')}{path}: {exc.__class__.__name__}: {exc}") from None
        if r.status_code != 200:
            raise MirrorError(f"GET {path}: {r.status_code} {r.text.strip()[:200]}")
        return r.content

    def checkpoint(self) -> bytes:
        return self._get("/log/checkpoint")

    def data_keys(self) -> dict[str, ListedKey]:
        """Every data subject's key the server lists (None once destroyed), by subject."""
        out: dict[str, ListedKey] = {}
        after: str | None = ""
        while after is not None:
            try:
                page = json.loads(self._get(f"/api/log/data-keys?limit=5000&after={after}"))
                for k in page["keys"]:
                    key = base64.b64decode(k["key"]) if k["key"] is not None else None
                    out[str(k["subject"])] = ListedKey(key, int(k["created_idx"]),
                                                       int(k["destroyed_idx"]) if k["destroyed_idx"] is not None
                                                       else None)
                after = page["next"]
            except (ValueError, KeyError, TypeError) as exc:
                raise MirrorError(f"the key listing is malformed: {exc.__class__.__name__}") from None
            if after is not None and not isinstance(after, str):
                raise MirrorError("the key listing is malformed: next")
        return out

    def entries(self, start: int, end: int, size: int) -> list[tuple[bytes, bytes]]:
        """Entries ``start``…``end - 1`` (note, payload as stored) of the tree of ``size`` leaves that the
        server's checkpoint names (a partial bundle's width depends on it)."""
        if not 0 <= start <= end <= size:
            raise ValueError("bad entry range")
        out: list[tuple[bytes, bytes]] = []
        n = start // tiles.TILE_WIDTH
        while n * tiles.TILE_WIDTH < end:
            first = n * tiles.TILE_WIDTH
            width = min(tiles.TILE_WIDTH, size - first)
            w = None if width == tiles.TILE_WIDTH else width
            notes = tiles.decode_entry_bundle(self._get("/log/" + tiles.tile_path(-1, n, w)))
            payloads = tiles.decode_payload_bundle(self._get("/log/" + tiles.payload_path(n, w)))
            if len(notes) != width or len(payloads) != width:
                raise MirrorError(f"bundle {n} holds {len(notes)} entries and {len(payloads)} payloads, not {width}")
            lo, hi = max(start, first) - first, min(end, first + width) - first
            out += list(zip(notes[lo:hi], payloads[lo:hi], strict=True))
            n += 1
        return out


@dataclass(frozen=True)
class SyncResult:
    old: int
    new: int
    seconds: float


def sync_once(store: MirrorStore, reader: TileReader, policy: Policy | None = None,
              progress: Callable[[int, int], None] | None = None) -> SyncResult:
    """Bring the mirror up to the log's published checkpoint; raises ``MirrorError`` (nothing pending kept)
    if the log's checkpoint is not signed (or cosigned per ``policy``), goes back, or forks, or the
    entries it serves are not the ones its tree holds."""
    t0 = time.perf_counter()
    note = reader.checkpoint()
    cp = verify_checkpoint(note, store.log_key, store.origin)
    if policy is not None:
        try:
            policy.verify_checkpoint(note)
        except PolicyError as exc:
            raise MirrorError(f"the log's checkpoint is not cosigned as the policy requires: {exc}") from None
    cur = store.checkpoint()
    keys = reader.data_keys()
    store.follow_keys(keys)  # destructions at once, whatever else this sync finds
    if cp.size < cur.size:
        raise MirrorError(f"the log went back: it serves a checkpoint for size {cp.size}, the mirror holds "
                          f"{cur.size}; the mirror keeps its copy")
    if cp.size == cur.size:
        if cur.note and cp.root_hash != cur.root:
            raise MirrorError(f"the log signed two different roots for size {cp.size}: a fork; the mirror keeps "
                              "its copy")
        if cp.size and note != cur.note:
            store.commit(note)  # the same tree, more cosignatures
        return SyncResult(cur.size, cur.size, time.perf_counter() - t0)
    store.drop_pending()
    pos = cur.size
    destructions = Destructions()
    destroys: list[tuple[int, list[str]]] = []
    try:
        while pos < cp.size:
            end = min(cp.size, (pos // tiles.TILE_WIDTH) * tiles.TILE_WIDTH + STEP)
            entries = reader.entries(pos, end, cp.size)
            if _unlisted(entries, keys):  # subjects new since the listing was read
                keys = reader.data_keys()
                store.follow_keys(keys)
            destroys += store.append_pending(pos, entries, keys, destructions)
            pos = end
            if progress:
                progress(pos, cp.size)
        problems = destructions.problems(cp.size, cp.size - 1)
        if problems:
            idx, why = problems[0]
            raise MirrorError(f"entry {idx}: {why}; the mirror keeps its copy")
        store.commit(note, destroys=destroys)
    except BaseException:
        store.drop_pending()
        raise
    return SyncResult(cur.size, cp.size, time.perf_counter() - t0)


def _unlisted(entries: list[tuple[bytes, bytes]], keys: dict[str, ListedKey]) -> bool:
    """Is one of ``entries`` sealed under a key ``keys`` does not list?"""
    for _, payload in entries:
        if payload.startswith(sealed.SEALED_PREFIX.encode()):
            try:
                if any(x not in keys for x in sealed.subjects_of(payload.decode())):
                    return True
            except (ValueError, UnicodeDecodeError):
                continue  # malformed: the check of the payload says so
    return False
