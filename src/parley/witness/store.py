"""The witness's durable state: its own cosigning key, the logs it knows (origin and verifier keys)
and, per log, the size and root hash it last cosigned. SQLite with synchronous=FULL: the witness
persists a new state before it answers, so it never forgets what it promised."""

from __future__ import annotations

import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from parley.log.note import Cosigner, Verifier

SCHEMA = """
CREATE TABLE IF NOT EXISTS log (
    origin TEXT PRIMARY KEY,
    vkeys TEXT NOT NULL,
    size INTEGER NOT NULL DEFAULT 0,
    root BLOB
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class LogState:
    origin: str
    verifiers: tuple[Verifier, ...]
    size: int
    root: bytes | None


class WitnessStore:
    def __init__(self, directory: Path, name: str | None = None) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.dir / "witness.db", isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        self.cosigner = self._load_key(name)

    def _load_key(self, name: str | None) -> Cosigner:
        path = self.dir / "witness.key"
        if path.exists():
            key = Cosigner.from_skey(path.read_text().strip())
            if name and key.name != name:
                raise ValueError(f"this witness directory belongs to {key.name!r}, not {name!r}")
            return key
        if not name:
            raise ValueError("a new witness needs a name")
        key = Cosigner.generate(name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(key.skey() + "\n")
        return key

    @property
    def name(self) -> str:
        return self.cosigner.name

    def vkey(self) -> str:
        return self.cosigner.vkey()

    def add_log(self, origin: str, vkeys: list[str]) -> None:
        for v in vkeys:
            if Verifier.from_vkey(v).name != origin:
                raise ValueError(f"log key {v!r} is not named {origin!r}")
        with self._lock:
            self._db.execute("INSERT INTO log (origin, vkeys) VALUES (?, ?) ON CONFLICT (origin) DO UPDATE "
                             "SET vkeys = excluded.vkeys", (origin, "\n".join(vkeys)))

    def logs(self) -> list[LogState]:
        rows = self._db.execute("SELECT origin, vkeys, size, root FROM log ORDER BY origin").fetchall()
        return [LogState(o, tuple(Verifier.from_vkey(v) for v in k.split("\n")), s, r) for o, k, s, r in rows]

    def get(self, origin: str) -> LogState | None:
        row = self._db.execute("SELECT origin, vkeys, size, root FROM log WHERE origin = ?", (origin,)).fetchone()
        if row is None:
            return None
        o, k, s, r = row
        return LogState(o, tuple(Verifier.from_vkey(v) for v in k.split("\n")), s, r)

    def advance(self, origin: str, old: int, size: int, root: bytes) -> bool:
        """Move the log's state from ``old`` to (size, root) durably; False if someone else moved it first."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cur = self._db.execute("SELECT size, root FROM log WHERE origin = ?", (origin,)).fetchone()
                if cur is None or cur[0] != old or (cur[0] == size and cur[1] not in (None, root)):
                    self._db.execute("ROLLBACK")
                    return False
                self._db.execute("UPDATE log SET size = ?, root = ? WHERE origin = ?", (size, root, origin))
                self._db.execute("COMMIT")
                return True
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        self._db.close()
