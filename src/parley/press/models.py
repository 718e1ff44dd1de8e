"""Projection tables of the press desk: each statement with its versions, its approval and its withdrawal; the
figures parties released.

Every row is written by a record's ``apply`` (``press/kinds.py``). A statement's records are closed to its party
until it is released; whether it is released is computed from these rows and the clock (``press.service``), never
stored, so an embargo lifts by itself.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from parley.db import UTC_DT, Base


class Statement(Base):
    """A party's statement: its current version, and its approval and withdrawal once they are recorded."""

    __tablename__ = "statement"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    party: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    idx: Mapped[int] = mapped_column(BigInteger, nullable=False)  # the first draft
    version: Mapped[int] = mapped_column(Integer, nullable=False)  # the current version
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)  # of the current version's text
    corrects: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    # Embargo of the current version: until a time, or until an exchange or operation is completed.
    embargo_until: Mapped[datetime | None] = mapped_column(UTC_DT, nullable=True)
    embargo_object: Mapped[str | None] = mapped_column(String(16), nullable=True)  # exchange | operation
    embargo_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    approved_idx: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    approved_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    approved_by: Mapped[str | None] = mapped_column(String(130), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTC_DT, nullable=True)
    withdrawn_idx: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTC_DT, nullable=True)
    withdrawn_by: Mapped[str | None] = mapped_column(String(130), nullable=True)
    withdrawn_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    audience: Mapped[str] = mapped_column(Text, nullable=False)
    updated_idx: Mapped[int] = mapped_column(BigInteger, nullable=False)


class StatementVersion(Base):
    """One version of a statement's text, as its author signed it (``statement.draft``)."""

    __tablename__ = "statement_version"
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    statement: Mapped[str] = mapped_column(String(64), ForeignKey("statement.id"), nullable=False, index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)  # JSON: texts, references, embargo, corrects
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)


class FigureRelease(Base):
    """A party's release of figures Parley computed from its own records (``figures.release``): an operation's
    outcome as the party reported it (persons moved by category and destination), or the party's inquiries filed,
    answered and closed up to a day. Public from the moment it is written."""

    __tablename__ = "figure_release"
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    id: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    party: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    subject: Mapped[str] = mapped_column(String(16), nullable=False)  # operation | inquiries
    operation: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    of_day: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)  # the day the figures are of (00:00 UTC)
    figures: Mapped[str] = mapped_column(Text, nullable=False)  # JSON, as signed
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)


TABLES = (Statement, StatementVersion, FigureRelease)
LOCAL_TABLES: tuple[type[Base], ...] = ()
