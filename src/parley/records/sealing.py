"""Crypto-shredding: personal payloads stored sealed under their data subjects' keys, so destroying a key
destroys the content in every copy that holds only the sealed text (backups, mirrors), while the log's
signed notes, hashes and proofs stay exactly as they were.

A kind that carries personal data names its **subjects** (``Kind.subjects``: ``person:<id>``,
``inquiry:<ref>``). The server keeps one random AES-256 key per subject (``data_key``), made the first
time a record names the subject. The appender stores such a record's payload (``log_entry.payload``) as
an envelope, never the plaintext::

    {"parley_sealed":1,"subjects":["person:ua-p-1"],"nonce":"<b64>","ct":"<b64>"}

AES-256-GCM over the RFC 8785 payload the author signed, with the payload hash and the subjects as
associated data. One subject: its key. Several (a match decision between two persons, a decision on an
inquiry that names a person): HKDF-SHA256 over all their keys, so destroying **any** of them destroys
the record's content. ``entry_subject`` indexes the entries by subject.

Destroying a subject (``person.destroy``): its key is erased (the row stays, key NULL, with the index of
the destroying record) and every entry naming it is stored as ``{"parley_destroyed":N,"subjects":[…]}``.
Readers then get the record's signed note with no payload and ``destroyed: {by: N}``; the payload hash in
the note reveals nothing, because personal payloads carry a random ``salt`` (``new_salt``, added by
``records.compose`` for every kind with subjects).

The content is gone for good only where each copy forgets: SQLite overwrites freed space
(``PRAGMA secure_delete``, set on every connection) and the WAL is checkpointed and truncated after the
destroying batch (``forget_storage``); PostgreSQL's dead rows are vacuumed. A copy of the database made
before a destruction still holds the key and the projections: see ``docs/retention.md``.
"""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Iterable
from typing import Any

from sqlalchemy import BigInteger, Engine, LargeBinary, String, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from parley.db import Base
from parley.log.sealed import (
    DESTROYED_PREFIX, SEALED_PREFIX, Destroyed, destroyed_marker, envelope, is_destroyed, is_sealed, record_key,
    seal, subjects_of, unseal,
)

__all__ = ["DESTROYED_PREFIX", "SEALED_PREFIX", "DataKey", "Destroyed", "EntrySubject", "Opener", "TABLES",
           "carry_keys", "destroyed_marker", "envelope", "forget_storage", "is_destroyed", "is_sealed", "load_keys",
           "load_keys_conn", "mark_salted", "new_salt", "record_key", "salted", "seal", "subjects_of", "unseal"]

log = logging.getLogger(__name__)

SUBJECT_MAX = 100


class DataKey(Base):
    """One data subject's key. ``key`` is NULL once destroyed, by the record at ``destroyed_idx``."""

    __tablename__ = "data_key"
    subject: Mapped[str] = mapped_column(String(SUBJECT_MAX), primary_key=True)  # person:<id> | inquiry:<ref>
    key: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    created_idx: Mapped[int] = mapped_column(BigInteger, nullable=False)
    destroyed_idx: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class EntrySubject(Base):
    """Which entries name which subject: the entries a destruction rewrites."""

    __tablename__ = "entry_subject"
    subject: Mapped[str] = mapped_column(String(SUBJECT_MAX), primary_key=True)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


TABLES = (DataKey, EntrySubject)


# -- salts -------------------------------------------------------------------------------------------------

_SALTED: set[str] = set()  # kinds whose payloads carry a salt (every kind with subjects; ``Registry`` fills it)


def mark_salted(kind: str) -> None:
    _SALTED.add(kind)


def salted(kind: str) -> bool:
    return kind in _SALTED


def new_salt() -> str:
    """128 random bits, base64url: the payload hash of a personal record cannot be guessed from its content."""
    return base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()


# -- keys in the database ----------------------------------------------------------------------------------

def load_keys(s: Session, subjects: Iterable[str]) -> dict[str, bytes | None]:
    """Keys by subject (None for a destroyed one; absent for an unknown one)."""
    wanted = sorted(set(subjects))
    out: dict[str, bytes | None] = {}
    for i in range(0, len(wanted), 500):
        for subj, key in s.execute(select(DataKey.subject, DataKey.key)
                                   .where(DataKey.subject.in_(wanted[i:i + 500]))).all():
            out[subj] = bytes(key) if key is not None else None
    return out


def carry_keys(s: Session, keys: Iterable[tuple[str, bytes | None, int, int | None]]) -> int:
    """Store keys carried over from another copy of the log (subject, key or None once destroyed, created_idx,
    destroyed_idx) that ``s``'s database does not hold, byte for byte, so the sealed payloads carried with them are
    stored again as they were (a replay, a restore from a mirror). Returns how many were added."""
    keys = list(keys)
    held = set(load_keys(s, [k[0] for k in keys]))
    added = 0
    for subject, key, created_idx, destroyed_idx in keys:
        if subject not in held:
            s.add(DataKey(subject=subject, key=key, created_idx=created_idx, destroyed_idx=destroyed_idx))
            added += 1
    return added


def load_keys_conn(conn: Any) -> dict[str, bytes | None]:
    """Every key, by subject, read on a connection (migrations)."""
    return {subj: (bytes(key) if key is not None else None)
            for subj, key in conn.execute(select(DataKey.subject, DataKey.key)).all()}


class Opener:
    """Opens stored payloads for a reader who may read them, keys read once per subject."""

    def __init__(self, s: Session) -> None:
        self.s = s
        self.keys: dict[str, bytes | None] = {}

    def preload(self, stored: Iterable[str]) -> None:
        wanted = {subj for t in stored if is_sealed(t) for subj in subjects_of(t)} - self.keys.keys()
        if wanted:
            found = load_keys(self.s, wanted)
            for subj in wanted:
                self.keys[subj] = found.get(subj)

    def open(self, stored: str, payload_hash: str) -> tuple[str | None, int | None]:
        """(the canonical payload, None), or (None, index of the destroying record) for a destroyed one."""
        if is_destroyed(stored):
            return None, int(envelope(stored)["parley_destroyed"])
        if not is_sealed(stored):
            return stored, None
        self.preload([stored])
        try:
            return unseal(stored, self.keys, payload_hash).decode(), None
        except Destroyed as exc:
            row = self.s.get(DataKey, exc.subject)
            return None, (row.destroyed_idx if row is not None else None) or -1
        except ValueError:
            # Altered where it is stored: served as stored, so a reader's hash check reports it.
            log.error("a sealed payload does not open under its subjects' keys")
            return stored, None


def forget_storage(engine: Engine) -> None:
    """After a destruction is committed: make the database's files forget what was overwritten. SQLite:
    freed space is zeroed as it is freed (``secure_delete``); the WAL still holds the old pages until it is
    checkpointed and truncated. PostgreSQL: dead row versions stay in the table files until vacuumed."""
    if engine.dialect.name == "sqlite":
        from parley.db import checkpoint_wal

        if not checkpoint_wal(engine, "TRUNCATE", 10_000):
            log.warning("the WAL could not be truncated after a destruction: it will be at the next checkpoint")
        return
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("log_entry", "data_key", "person", "person_event", "match_decision", "inquiry",
                          "inquiry_decision"):
                conn.execute(text(f"VACUUM {table}"))
