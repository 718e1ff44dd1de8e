"""Tables of the log itself: entries (the signed records and their payloads), Merkle nodes,
signed checkpoints and the witnesses' cosignatures. Rows here are only ever inserted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from parley.db import Base


class LogHead(Base):
    """One row: the current tree size. Writers lock it so appends are serialised across processes."""

    __tablename__ = "log_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)


class LogEntry(Base):
    __tablename__ = "log_entry"
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    record_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    note: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    kind: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    time: Mapped[str] = mapped_column(String(20), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)
    payload: Mapped[str] = mapped_column(Text, nullable=False)  # RFC 8785 canonical JSON
    payload_hash: Mapped[str] = mapped_column(String(64), nullable=False)


class LogNode(Base):
    """Full Merkle subtree hashes at level >= 1 (level 0 is ``log_entry.leaf_hash``)."""

    __tablename__ = "log_node"
    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)


class LogCheckpoint(Base):
    __tablename__ = "log_checkpoint"
    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    note: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)  # signed by the log key
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    published: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, index=True)


class LogCosignature(Base):
    __tablename__ = "log_cosignature"
    size: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("log_checkpoint.size"), primary_key=True, autoincrement=False
    )
    witness: Mapped[str] = mapped_column(String(200), primary_key=True)
    line: Mapped[str] = mapped_column(Text, nullable=False)


class WitnessProgress(Base):
    """The size each witness last cosigned, so the next request carries the right ``old``."""

    __tablename__ = "log_witness_progress"
    witness: Mapped[str] = mapped_column(String(200), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
