"""A mirror's durable copy of one log (``DIR/mirror.db``, SQLite, WAL, synchronous=FULL; ``DIR/mirror.key``).

It holds, for one origin log: every entry (the signed record note and its canonical payload), every full
Merkle node computed from the entries' leaf hashes, and the *mirror checkpoint*: the newest checkpoint the
mirror verified (signed by the log key, with the cosignatures it came with) and whose whole tree it holds.

Entries beyond the mirror checkpoint are *pending* (C2SP tlog-mirror): written while a sync fetches them,
never served, and removed when the mirror opens or a sync fails. The mirror checkpoint moves in one
transaction, only after the root recomputed from the stored leaves equals the checkpoint's root, so every
entry and node at or below it is bound to a checkpoint the log signed.

The mirror's own key (C2SP tlog-cosignature/v1, ``mirror.key``, 0600) cosigns each checkpoint it verified
and stored: "this mirror holds this tree, entries and payloads, durably" (tlog-mirror's statement).

Clients of the mirror authenticate with a token the mirror's operator issued (``parley mirror token``); only
their SHA-256 is stored. The mirror serves nothing to anyone else: its copy holds every record in clear.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from parley.db import private_dir, private_file
from parley.log import merkle
from parley.log.checkpoint import Checkpoint, CheckpointError
from parley.log.note import ALG_COSIGNATURE_V1, Cosigner, NoteError, Verifier, open_note, parse_note

SCHEMA = """
CREATE TABLE IF NOT EXISTS entry (idx INTEGER PRIMARY KEY, note BLOB NOT NULL, payload BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS node (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,
                                 PRIMARY KEY (level, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS client (token_hash TEXT PRIMARY KEY, label TEXT NOT NULL, created INTEGER NOT NULL);
"""
KEY_FILE = "mirror.key"
DB_FILE = "mirror.db"


class MirrorError(RuntimeError):
    """The mirror cannot do what was asked: the message says why (never a record's content)."""


@dataclass(frozen=True)
class MirrorCheckpoint:
    size: int
    root: bytes
    note: bytes  # the log's signed note, with the cosignatures it was served with
    cosignature: str  # the mirror's own cosignature line on it ("" for the empty tree)
    verified_at: int

    def served(self) -> bytes:
        """The note as the mirror serves it: the log's note, its cosignatures and the mirror's."""
        return self.note + self.cosignature.encode()


def payload_hash_of(note: bytes) -> str:
    """The payload hash a record note signs (``payload sha256:<hex>``, its text's last line)."""
    text, _ = parse_note(note)
    last = text.rstrip("\n").rsplit("\n", 1)[-1]
    if not last.startswith("payload sha256:"):
        raise MirrorError("an entry is not a Parley record (no payload line)")
    return last[len("payload sha256:"):]


def verify_checkpoint(note: bytes, log_key: Verifier, origin: str) -> Checkpoint:
    try:
        text, _, _ = open_note(note, [log_key])
        cp = Checkpoint.parse(text)
    except (NoteError, CheckpointError) as exc:
        raise MirrorError(f"the checkpoint is not signed by the log's key: {exc}") from None
    if cp.origin != origin:
        raise MirrorError(f"the checkpoint is for log {cp.origin!r}, not {origin!r}")
    return cp


class MirrorStore:
    def __init__(self, directory: Path, log_vkey: str | None = None, name: str | None = None) -> None:
        """Open the mirror in ``directory``; on first use ``log_vkey`` (the log it mirrors) and ``name`` (the
        mirror's key name) are required and recorded; later they must match."""
        self.dir = Path(directory)
        private_dir(self.dir, narrow=True)
        private_file(self.dir / DB_FILE)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.dir / DB_FILE, isolation_level=None, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        stored = self._meta("log_vkey")
        if stored is None:
            if log_vkey is None:
                raise MirrorError(f"no mirror in {self.dir}: give the log's verifier key (--log-key) to create one")
            try:
                Verifier.from_vkey(log_vkey)
            except (NoteError, ValueError) as exc:
                raise MirrorError(f"malformed log key: {exc}") from None
            self._set_meta("log_vkey", log_vkey.encode())
        elif log_vkey is not None and log_vkey != stored.decode():
            raise MirrorError(f"{self.dir} mirrors the log with key {stored.decode()}, not {log_vkey}")
        self.log_vkey = (self._meta("log_vkey") or b"").decode()
        self.log_key = Verifier.from_vkey(self.log_vkey)
        self.origin = self.log_key.name
        self.cosigner = self._load_key(name)
        self.drop_pending()

    # -- keys and metadata ----------------------------------------------------------------------
    def _load_key(self, name: str | None) -> Cosigner:
        path = self.dir / KEY_FILE
        if path.exists():
            cosigner = Cosigner.from_skey(path.read_text().strip())
            if name and cosigner.name != name:
                raise MirrorError(f"{path} is the key of {cosigner.name!r}, not {name!r}")
            return cosigner
        cosigner = Cosigner.generate(name or f"mirror.{secrets.token_hex(4)}")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(cosigner.skey() + "\n")
            f.flush()
            os.fsync(f.fileno())
        return cosigner

    def vkey(self) -> str:
        return self.cosigner.vkey()

    def verifier(self) -> Verifier:
        v = Verifier.from_vkey(self.vkey())
        assert v.alg == ALG_COSIGNATURE_V1
        return v

    def _meta(self, key: str) -> bytes | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return bytes(row[0]) if row else None

    def _set_meta(self, key: str, value: bytes) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- clients ----------------------------------------------------------------------------------
    def add_client(self, label: str) -> str:
        """Issue a client token (shown once); only its hash is kept."""
        token = "pmt_" + secrets.token_urlsafe(32)
        with self._tx() as db:
            db.execute("INSERT INTO client (token_hash, label, created) VALUES (?, ?, ?)",
                       (hashlib.sha256(token.encode()).hexdigest(), label, int(time.time())))
        return token

    def client_of(self, token: str) -> str | None:
        """The label of the client holding ``token``, if the mirror issued it."""
        digest = hashlib.sha256(token.encode()).hexdigest()
        with self._lock:
            row = self._db.execute("SELECT label FROM client WHERE token_hash = ?", (digest,)).fetchone()
        return str(row[0]) if row else None

    def clients(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM client").fetchone()[0])

    # -- the copy ---------------------------------------------------------------------------------
    def checkpoint(self) -> MirrorCheckpoint:
        with self._lock:
            note = self._meta("checkpoint")
            if note is None:
                return MirrorCheckpoint(0, merkle.EMPTY_ROOT, b"", "", 0)
            cosig = (self._meta("cosignature") or b"").decode()
            at = int((self._meta("verified_at") or b"0").decode())
        cp = verify_checkpoint(note, self.log_key, self.origin)
        return MirrorCheckpoint(cp.size, cp.root_hash, note, cosig, at)

    @property
    def size(self) -> int:
        return self.checkpoint().size

    def drop_pending(self) -> None:
        """Forget entries and nodes beyond the mirror checkpoint (an interrupted or refused sync)."""
        size = self.size
        with self._tx() as db:
            db.execute("DELETE FROM entry WHERE idx >= ?", (size,))
            db.execute("DELETE FROM node WHERE idx >= (? >> level)", (size,))

    def full_nodes(self, keys: Sequence[tuple[int, int]]) -> list[bytes]:
        out = []
        with self._lock:
            for level, idx in keys:
                row = self._db.execute("SELECT hash FROM node WHERE level = ? AND idx = ?", (level, idx)).fetchone()
                if row is None:
                    raise LookupError(f"mirror node {level}/{idx} is missing")
                out.append(bytes(row[0]))
        return out

    def append_pending(self, start: int, entries: Sequence[tuple[bytes, bytes]]) -> None:
        """Store entries ``start``… (note, canonical payload) beyond what is stored, with the full nodes they
        complete; each payload must hash to the payload hash its note signs. Pending until ``commit``."""
        with self._tx() as db:
            top = db.execute("SELECT max(idx) FROM entry").fetchone()[0]
            if (top + 1 if top is not None else 0) != start:
                raise MirrorError(f"entries must follow the stored ones ({top}), not start at {start}")
            pending: dict[tuple[int, int], bytes] = {}

            class Source:
                @staticmethod
                def full_nodes(keys: Sequence[tuple[int, int]]) -> list[bytes]:
                    found = [pending.get(k) for k in keys]
                    missing = [k for k, h in zip(keys, found, strict=True) if h is None]
                    got = dict(zip(missing, self.full_nodes(missing), strict=True)) if missing else {}
                    return [h if h is not None else got[k] for k, h in zip(keys, found, strict=True)]

            rows = []
            for i, (note, payload) in enumerate(entries):
                idx = start + i
                if hashlib.sha256(payload).hexdigest() != payload_hash_of(note):
                    raise MirrorError(f"entry {idx}: its payload does not hash to the payload hash its record signs")
                leaf = merkle.leaf_hash(note)
                pending[(0, idx)] = leaf
                for level, n, h in merkle.appended_nodes(Source, idx, leaf):
                    pending[(level, n)] = h
                rows.append((idx, note, payload))
            db.executemany("INSERT INTO entry (idx, note, payload) VALUES (?, ?, ?)", rows)
            db.executemany("INSERT INTO node (level, idx, hash) VALUES (?, ?, ?)",
                           [(lv, n, h) for (lv, n), h in pending.items()])

    def commit(self, note: bytes, now: int | None = None) -> MirrorCheckpoint:
        """Make ``note`` (a checkpoint signed by the log, possibly cosigned) the mirror checkpoint, if the
        stored tree at its size has its root and it does not go back; cosigned by the mirror."""
        cp = verify_checkpoint(note, self.log_key, self.origin)
        with self._tx() as db:
            cur = self.checkpoint()
            if cp.size < cur.size:
                raise MirrorError(f"the log's checkpoint ({cp.size}) is behind the mirror's ({cur.size})")
            top = db.execute("SELECT max(idx) FROM entry").fetchone()[0]
            if cp.size and (top is None or top + 1 < cp.size):
                raise MirrorError(f"the mirror holds {0 if top is None else top + 1} entries, not {cp.size}")
            root = merkle.root_hash(self, cp.size) if cp.size else merkle.EMPTY_ROOT
            if root != cp.root_hash:
                raise MirrorError(f"the entries fetched do not add up to the log's checkpoint for size {cp.size}: "
                                  "the log (or the network) served other entries than its tree holds")
            if cp.size == cur.size and cur.note and cp.root_hash != cur.root:
                raise MirrorError(f"the log signed two different roots for size {cp.size}")
            at = int(now if now is not None else time.time())
            text = note.decode().split("\n\n", 1)[0] + "\n"
            line = self.cosigner.cosign(text, at).line()
            self._set_meta("checkpoint", note)
            self._set_meta("cosignature", line.encode())
            self._set_meta("verified_at", str(at).encode())
        return self.checkpoint()

    # -- reading (up to the mirror checkpoint only) ---------------------------------------------------
    def entries(self, start: int, end: int) -> list[tuple[bytes, bytes]]:
        size = self.size
        if not 0 <= start <= end <= size:
            raise LookupError(f"entries {start}..{end} are beyond the mirror's tree ({size})")
        with self._lock:
            rows = self._db.execute("SELECT note, payload FROM entry WHERE idx >= ? AND idx < ? ORDER BY idx",
                                    (start, end)).fetchall()
        if len(rows) != end - start:
            raise LookupError(f"entries {start}..{end} are missing from the mirror")
        return [(bytes(n), bytes(p)) for n, p in rows]

    def hash_tile(self, level: int, n: int, width: int) -> bytes:
        """The tlog-tiles hash tile (tile level ``level``) of the mirror's tree."""
        size = self.size
        base = level * 8
        start = n * 256
        if start + width > size >> base:
            raise LookupError("beyond the mirror's tree")
        with self._lock:
            rows = self._db.execute("SELECT hash FROM node WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx",
                                    (base, start, start + width)).fetchall()
        if len(rows) != width:
            raise LookupError("mirror nodes missing")
        return b"".join(bytes(r[0]) for r in rows)

    def set_status(self, key: str, value: str) -> None:
        with self._tx():
            self._set_meta(f"status.{key}", value.encode())

    def status(self, key: str) -> str | None:
        with self._lock:
            v = self._meta(f"status.{key}")
        return v.decode() if v is not None else None
