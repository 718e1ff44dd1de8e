"""The witness's durable state: its own cosigning key (``witness.key``, C2SP tlog-cosignature/v1,
mode 0600), the logs it knows (origin and verifier keys), per log the size and root hash it last
cosigned, and the signed checkpoints it refused as inconsistent (evidence of a log showing two
histories). SQLite in WAL mode with synchronous=FULL: a new state is committed to disk before the
witness answers, and the move from one state to the next is a compare-and-set inside one
``BEGIN IMMEDIATE`` transaction, so two requests (threads or processes) can never both advance."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from parley.db import private_dir, private_file
from parley.log.note import ALG_ED25519, Cosigner, NoteError, Verifier

SCHEMA = """
CREATE TABLE IF NOT EXISTS log (
    origin TEXT PRIMARY KEY,
    vkeys TEXT NOT NULL,
    size INTEGER NOT NULL DEFAULT 0,
    root BLOB
);
CREATE TABLE IF NOT EXISTS refusal (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    origin TEXT NOT NULL,
    at INTEGER NOT NULL,
    status INTEGER NOT NULL,
    reason TEXT NOT NULL,
    request BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

# Refused requests are kept as evidence, but only so many per log: the log key holder could spam them.
MAX_REFUSALS = 1000


@dataclass(frozen=True)
class LogState:
    origin: str
    verifiers: tuple[Verifier, ...]
    size: int
    root: bytes | None
    vkeys: tuple[str, ...] = ()


@dataclass(frozen=True)
class Refusal:
    origin: str
    at: int
    status: int
    reason: str
    request: bytes


def _state(origin: str, vkeys: str, size: int, root: bytes | None) -> LogState:
    keys = tuple(v for v in vkeys.split("\n") if v)
    return LogState(origin, tuple(Verifier.from_vkey(v) for v in keys), size, root, keys)


class WitnessStore:
    def __init__(self, directory: Path, name: str | None = None) -> None:
        self.dir = Path(directory)
        # The state directory and its database (with its -wal and -shm) are the witness operator's only.
        private_dir(self.dir, narrow=True)
        private_file(self.dir / "witness.db")
        # One connection shared by the server's worker threads; the lock keeps their statements apart.
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.dir / "witness.db", isolation_level=None, check_same_thread=False,
                                   timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        self.cosigner = self._load_key(name)

    def _load_key(self, name: str | None) -> Cosigner:
        path = self.dir / "witness.key"
        if not path.exists():
            if not name:
                raise ValueError("a new witness needs a name")
            key = Cosigner.generate(name)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass  # another process created it first: use theirs
            else:
                with os.fdopen(fd, "w") as f:
                    f.write(key.skey() + "\n")
                    f.flush()
                    os.fsync(f.fileno())
        if path.stat().st_mode & 0o077:
            raise ValueError(f"{path} is readable by others; chmod 600 it")
        key = Cosigner.from_skey(path.read_text().strip())
        if name and key.name != name:
            raise ValueError(f"this witness directory belongs to {key.name!r}, not {name!r}")
        return key

    @property
    def name(self) -> str:
        return self.cosigner.name

    def vkey(self) -> str:
        return self.cosigner.vkey()

    def add_log(self, origin: str, vkeys: list[str]) -> None:
        """Trust ``vkeys`` (Ed25519 note keys named ``origin``) for the log; keeps its cosigned state."""
        if not vkeys:
            raise ValueError("a log needs at least one verifier key")
        for v in vkeys:
            try:
                verifier = Verifier.from_vkey(v)
            except NoteError as exc:
                raise ValueError(f"malformed log key {v!r}: {exc}") from exc
            if verifier.name != origin:
                raise ValueError(f"log key {v!r} is not named {origin!r}")
            if verifier.alg != ALG_ED25519:
                raise ValueError(f"log key {v!r} is not an Ed25519 note key")
        with self._lock:
            self._db.execute("INSERT INTO log (origin, vkeys) VALUES (?, ?) ON CONFLICT (origin) DO UPDATE "
                             "SET vkeys = excluded.vkeys", (origin, "\n".join(v.strip() for v in vkeys)))

    def logs(self) -> list[LogState]:
        with self._lock:
            rows = self._db.execute("SELECT origin, vkeys, size, root FROM log ORDER BY origin").fetchall()
        return [_state(*row) for row in rows]

    def get(self, origin: str) -> LogState | None:
        with self._lock:
            row = self._db.execute("SELECT origin, vkeys, size, root FROM log WHERE origin = ?",
                                   (origin,)).fetchone()
        return None if row is None else _state(*row)

    def advance(self, origin: str, old: int, old_root: bytes | None, size: int, root: bytes) -> bool:
        """Move the log from (old, old_root) to (size, root), committed to disk; False if the state was
        not (old, old_root) any more, or if it would move back or replace a root at the same size."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cur = self._db.execute("SELECT size, root FROM log WHERE origin = ?", (origin,)).fetchone()
                if (cur is None or cur[0] != old or cur[1] != old_root or size < cur[0]
                        or (size == cur[0] and cur[1] not in (None, root))):
                    self._db.execute("ROLLBACK")
                    return False
                self._db.execute("UPDATE log SET size = ?, root = ? WHERE origin = ?", (size, root, origin))
                self._db.execute("COMMIT")
                return True
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    def record_refusal(self, origin: str, status: int, reason: str, request: bytes) -> None:
        """Keep a refused, log-signed request: it may be half of the proof that the log forked."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("INSERT INTO refusal (origin, at, status, reason, request) VALUES (?, ?, ?, ?, ?)",
                                 (origin, int(time.time()), status, reason, request))
                self._db.execute("DELETE FROM refusal WHERE origin = ? AND id NOT IN (SELECT id FROM refusal "
                                 "WHERE origin = ? ORDER BY id DESC LIMIT ?)", (origin, origin, MAX_REFUSALS))
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    def refusals(self, origin: str | None = None) -> list[Refusal]:
        q = "SELECT origin, at, status, reason, request FROM refusal"
        args: tuple[str, ...] = ()
        if origin is not None:
            q, args = q + " WHERE origin = ?", (origin,)
        with self._lock:
            rows = self._db.execute(q + " ORDER BY id", args).fetchall()
        return [Refusal(*r) for r in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()
