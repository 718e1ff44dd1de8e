"""A mirror's durable copy of one log (``DIR/mirror.db``, SQLite, WAL, synchronous=FULL; ``DIR/mirror.key``).

It holds, for one origin log: every entry (the signed record note and its canonical payload), every full
Merkle node computed from the entries' leaf hashes, and the *mirror checkpoint*: the newest checkpoint the
mirror verified (signed by the log key, with the cosignatures it came with) and whose whole tree it holds.

Payloads are kept **as the log stores them** (``docs/retention.md``): plain canonical JSON for a kind without
data subjects, the sealed envelope of a personal one (``log/sealed.py``), or the marker of a destroyed one. The
data subjects' keys are kept apart (``data_key``), where they can be deleted: when the log lists a key as
destroyed, or the mirror fetches a record that destroys (``DESTROY_KINDS``), the key's row is deleted (the
subject is remembered in ``destroyed_key``) and every entry sealed under it is overwritten with the destroyed
marker, as the log overwrites its own; the file zeroes what it frees (``secure_delete``) and the WAL is
truncated. A sealed payload is checked by opening it with its key and hashing what it holds; one whose key was
destroyed, or a destroyed marker, only with a later destroying record in the log (``Destructions``, as an
auditor checks it).

Entries beyond the mirror checkpoint are *pending* (C2SP tlog-mirror): written while a sync fetches them,
never served, and removed when the mirror opens or a sync fails. The mirror checkpoint moves in one
transaction, only after the root recomputed from the stored leaves equals the checkpoint's root, so every
entry and node at or below it is bound to a checkpoint the log signed.

The mirror's own key (C2SP tlog-cosignature/v1, ``mirror.key``, 0600) cosigns each checkpoint it verified
and stored: "this mirror holds this tree, entries and payloads, durably" (tlog-mirror's statement).

Clients of the mirror authenticate with a token the mirror's operator issued (``parley mirror token``); only
their SHA-256 is stored. The mirror serves nothing to anyone else: with its keys, its copy opens every record.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from parley.db import create_private, private_dir, private_file
from parley.log import merkle, sealed
from parley.log.checkpoint import Checkpoint, CheckpointError
from parley.log.note import ALG_COSIGNATURE_V1, Cosigner, NoteError, Verifier, open_note, parse_note

SCHEMA = """
CREATE TABLE IF NOT EXISTS entry (idx INTEGER PRIMARY KEY, note BLOB NOT NULL, payload BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS node (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,
                                 PRIMARY KEY (level, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS client (token_hash TEXT PRIMARY KEY, label TEXT NOT NULL, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS entry_subject (subject TEXT NOT NULL, idx INTEGER NOT NULL, PRIMARY KEY (subject, idx))
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS data_key (subject TEXT PRIMARY KEY, key BLOB NOT NULL, created_idx INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS destroyed_key (subject TEXT PRIMARY KEY, created_idx INTEGER NOT NULL,
                                          destroyed_idx INTEGER NOT NULL);
"""
KEY_FILE = "mirror.key"
DB_FILE = "mirror.db"


class MirrorError(RuntimeError):
    """The mirror cannot do what was asked: the message says why (never a record's content)."""


@dataclass(frozen=True)
class ListedKey:
    """A data subject's key as a log (``GET /api/log/data-keys``) or a mirror lists it: None once destroyed."""
    key: bytes | None
    created_idx: int
    destroyed_idx: int | None


def note_field(note: bytes, name: str) -> str | None:
    """A field of a record note's signed text (``kind``, ``payload``…)."""
    text, _ = parse_note(note)
    for line in text.split("\n")[1:]:
        if line.startswith(name + " "):
            return line[len(name) + 1:]
    return None


def check_payload(idx: int, note: bytes, stored: bytes, keys: Mapping[str, ListedKey]) -> tuple[bytes, bytes | None,
                                                                                                 int | None]:
    """Check a payload as the log stores it against the payload hash its record ``note`` signs. Returns what a
    copy keeps (``stored``, or the destroyed marker if a key it is sealed under is listed as destroyed), the
    canonical payload (None if destroyed) and, if destroyed, the record said to destroy it: a claim the caller
    checks against the log (``Destructions``). ``MirrorError`` if the payload does not prove the hash."""
    want = payload_hash_of(note)
    try:
        text = stored.decode()
        if sealed.is_destroyed(text):
            by = sealed.envelope(text).get("parley_destroyed")
            problem = sealed.Destructions.claim_problem(idx, by)
            if problem or not isinstance(by, int):
                raise MirrorError(f"entry {idx}: {problem}")
            return stored, None, by
        if sealed.is_sealed(text):
            subjects = sealed.subjects_of(text)
            unknown = [x for x in subjects if x not in keys]
            if unknown:
                raise MirrorError(f"entry {idx}: sealed under a key the log does not list ({unknown[0]})")
            gone = {x: keys[x].destroyed_idx for x in subjects if keys[x].key is None}
            if gone:
                if any(b is None for b in gone.values()):
                    raise MirrorError(f"entry {idx}: a key it is sealed under is listed as destroyed by no record")
                by = min(b for b in gone.values() if b is not None)
                problem = sealed.Destructions.claim_problem(idx, by)
                if problem:
                    raise MirrorError(f"entry {idx}: {problem}")
                marker = sealed.destroy_stored(text, by, [x for x, b in gone.items() if b == by])
                assert marker is not None
                return marker.encode(), None, by
            try:
                plain = sealed.unseal(text, {x: keys[x].key for x in subjects}, want)
            except ValueError:
                raise MirrorError(f"entry {idx}: its sealed payload does not open under its subjects' keys") from None
            if hashlib.sha256(plain).hexdigest() != want:
                raise MirrorError(f"entry {idx}: its sealed payload does not hash to the payload hash its record "
                                  "signs")
            return stored, plain, None
    except (UnicodeDecodeError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise MirrorError(f"entry {idx}: a malformed payload ({exc.__class__.__name__})") from None
    if hashlib.sha256(stored).hexdigest() != want:
        raise MirrorError(f"entry {idx}: its payload does not hash to the payload hash its record signs")
    return stored, stored, None


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
        self._db.execute("PRAGMA secure_delete=ON")  # a deleted key or overwritten payload is zeroed in the file
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
        create_private(path, cosigner.skey() + "\n")
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
            db.execute("DELETE FROM entry_subject WHERE idx >= ?", (size,))
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

    def append_pending(self, start: int, entries: Sequence[tuple[bytes, bytes]],
                       keys: Mapping[str, ListedKey] | None = None,
                       destructions: sealed.Destructions | None = None) -> list[tuple[int, list[str]]]:
        """Store entries ``start``… (note, payload as the log stores it) beyond what is stored, with the full nodes
        they complete; each payload must prove the payload hash its note signs (``check_payload``, with the
        log's ``keys``). Pending until ``commit``. The destroyed payloads and the records that destroy go into
        ``destructions``, for the caller to check before committing; returns the destructions among the entries
        (index, the subjects it destroys), for ``commit`` to follow."""
        keys = keys or {}
        destructions = destructions if destructions is not None else sealed.Destructions()
        destroys: list[tuple[int, list[str]]] = []
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

            rows, named = [], []
            for i, (note, payload) in enumerate(entries):
                idx = start + i
                try:
                    kind = note_field(note, "kind")
                except NoteError as exc:
                    raise MirrorError(f"entry {idx} is not a record: {exc}") from None
                kept, plain, by = check_payload(idx, note, payload, keys)
                destructions.saw(idx, kind)
                if by is not None:
                    destructions.claim(idx, by)
                elif kind in sealed.DESTROY_KINDS and plain is not None:
                    try:
                        destroyed = sealed.destroyed_subjects(kind, json.loads(plain))
                    except ValueError:
                        destroyed = []
                    if destroyed:
                        destroys.append((idx, destroyed))
                leaf = merkle.leaf_hash(note)
                pending[(0, idx)] = leaf
                for level, n, h in merkle.appended_nodes(Source, idx, leaf):
                    pending[(level, n)] = h
                rows.append((idx, note, kept))
                named += [(subject, idx) for subject in sealed.subjects_of(kept.decode())]
            db.executemany("INSERT INTO entry (idx, note, payload) VALUES (?, ?, ?)", rows)
            db.executemany("INSERT OR IGNORE INTO entry_subject (subject, idx) VALUES (?, ?)", named)
            db.executemany("INSERT INTO node (level, idx, hash) VALUES (?, ?, ?)",
                           [(lv, n, h) for (lv, n), h in pending.items()])
        return destroys

    # -- the data subjects' keys --------------------------------------------------------------------
    def keys(self) -> dict[str, ListedKey]:
        """Every key the mirror holds, and the subjects whose key it deleted (key None)."""
        with self._lock:
            live = self._db.execute("SELECT subject, key, created_idx FROM data_key").fetchall()
            gone = self._db.execute("SELECT subject, created_idx, destroyed_idx FROM destroyed_key").fetchall()
        out = {str(x): ListedKey(None, int(c), int(d)) for x, c, d in gone}
        out.update({str(x): ListedKey(bytes(k), int(c), None) for x, k, c in live})
        return out

    def follow_keys(self, listed: Mapping[str, ListedKey]) -> int:
        """Keep the keys the log lists that the mirror does not hold yet, and follow every destruction it lists
        (``destroy``). Returns how many subjects were destroyed here."""
        held = self.keys()
        new = [(x, k.key, k.created_idx) for x, k in listed.items() if k.key is not None and x not in held]
        gone = [(k.destroyed_idx, x) for x, k in listed.items()
                if k.key is None and k.destroyed_idx is not None and (x not in held or held[x].key is not None)]
        if new:
            with self._tx() as db:
                db.executemany("INSERT OR IGNORE INTO data_key (subject, key, created_idx) VALUES (?, ?, ?)", new)
        by: dict[int, list[str]] = {}
        for d, x in sorted(gone):
            by.setdefault(d, []).append(x)
        self.destroy(list(by.items()), {x: listed[x].created_idx for _, x in gone})
        return len(gone)

    def destroy(self, destroys: Sequence[tuple[int, Sequence[str]]], created: Mapping[str, int] | None = None) -> None:
        """Follow destructions (the destroying record's index, the subjects it destroys), in log order: delete
        each subject's key and overwrite every entry sealed under it with the destroyed marker (an entry already
        destroyed keeps its first destroyer); then make the file forget (the WAL truncated)."""
        if not destroys:
            return
        with self._tx() as db:
            self._destroy(db, destroys, created or {})
        self._forget()

    def _destroy(self, db: sqlite3.Connection, destroys: Sequence[tuple[int, Sequence[str]]],
                 created: Mapping[str, int]) -> None:
        for by, subjects in sorted(destroys):
            for subject in subjects:
                row = db.execute("SELECT created_idx FROM data_key WHERE subject = ?", (subject,)).fetchone()
                was = int(row[0]) if row else created.get(subject, by)
                db.execute("DELETE FROM data_key WHERE subject = ?", (subject,))
                db.execute("INSERT OR IGNORE INTO destroyed_key (subject, created_idx, destroyed_idx) VALUES (?, ?, ?)",
                           (subject, was, by))
            marks = ",".join("?" * len(subjects))  # as many parameters as subjects, no text of theirs
            rows = db.execute(f"SELECT idx, payload FROM entry WHERE idx IN (SELECT idx FROM entry_subject "  # noqa: S608
                              f"WHERE subject IN ({marks}))", list(subjects)).fetchall()
            for idx, payload in rows:
                marker = sealed.destroy_stored(bytes(payload).decode(), by, subjects)
                if marker is not None:
                    db.execute("UPDATE entry SET payload = ? WHERE idx = ?", (marker.encode(), idx))

    def _forget(self) -> None:
        with self._lock:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def commit(self, note: bytes, now: int | None = None,
               destroys: Sequence[tuple[int, Sequence[str]]] = ()) -> MirrorCheckpoint:
        """Make ``note`` (a checkpoint signed by the log, possibly cosigned) the mirror checkpoint, if the
        stored tree at its size has its root and it does not go back; cosigned by the mirror. ``destroys``: the
        destructions among the entries it adds (``append_pending``), followed in the same transaction."""
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
            self._destroy(db, destroys, {})
        if destroys:
            self._forget()
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
