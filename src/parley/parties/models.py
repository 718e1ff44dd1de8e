"""Projection tables for parties, members and their signing keys (rebuilt by replaying the log),
and the local tables, never part of the log: credentials (secrets), web sessions and failed sign-ins."""

from __future__ import annotations

import functools
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from parley.db import Base


class Party(Base):
    __tablename__ = "party"
    slug: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # belligerent | mediator | observer
    name_en: Mapped[str] = mapped_column(String(200), nullable=False)
    name_uk: Mapped[str] = mapped_column(String(200), nullable=False)
    name_ru: Mapped[str] = mapped_column(String(200), nullable=False)
    created_idx: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_idx: Mapped[int] = mapped_column(BigInteger, nullable=False)


@functools.lru_cache(maxsize=256)
def _role_set(roles: str) -> frozenset[str]:
    return frozenset(r for r in roles.split(",") if r)


class Member(Base):
    __tablename__ = "member"
    id: Mapped[str] = mapped_column(String(130), primary_key=True)  # "<party>/<handle>"
    party: Mapped[str] = mapped_column(String(64), ForeignKey("party.slug"), nullable=False, index=True)
    handle: Mapped[str] = mapped_column(String(64), nullable=False)
    display_name: Mapped[str] = mapped_column(String(200), nullable=False)
    roles: Mapped[str] = mapped_column(String(200), nullable=False)  # comma-separated, sorted
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_idx: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_idx: Mapped[int] = mapped_column(BigInteger, nullable=False)

    @property
    def role_set(self) -> frozenset[str]:
        return _role_set(self.roles)


class MemberKey(Base):
    __tablename__ = "member_key"
    key_id: Mapped[str] = mapped_column(String(8), primary_key=True)  # hex of the 4-byte note key id
    name: Mapped[str] = mapped_column(String(130), primary_key=True)
    member: Mapped[str] = mapped_column(String(130), ForeignKey("member.id"), nullable=False, index=True)
    vkey: Mapped[str] = mapped_column(Text, nullable=False)
    registered_idx: Mapped[int] = mapped_column(BigInteger, nullable=False)
    revoked_idx: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class Credential(Base):
    """Local secrets of a member: never logged, never replayed, backed up with the server secret."""

    __tablename__ = "credential"
    member: Mapped[str] = mapped_column(String(130), primary_key=True)
    password_hash: Mapped[str | None] = mapped_column(Text, nullable=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    # The member's web signing key, wrapped with AES-GCM under a key derived from the server secret.
    custody_key: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    custody_key_id: Mapped[str | None] = mapped_column(String(8), nullable=True)


class WebSession(Base):
    """A signed-in browser. Its cookie holds a random id; this table holds only the id's SHA-256, so a copy
    of the table signs nobody in. Times are UTC."""

    __tablename__ = "web_session"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    member: Mapped[str] = mapped_column(String(130), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, index=True)
    address: Mapped[str] = mapped_column(String(64), nullable=False)  # the client's address at sign-in
    user_agent: Mapped[str] = mapped_column(String(200), nullable=False)  # shortened
    data: Mapped[str] = mapped_column(Text, nullable=False, default="{}")  # what pages keep between requests


class SignInFailure(Base):
    """One failed (or still running) sign-in: counted per member and per address for the lockout. ``member`` is
    the member id when it exists, otherwise a hash of what was typed (it may be a mistyped password)."""

    __tablename__ = "signin_failure"
    __table_args__ = (Index("ix_signin_failure_member_at", "member", "at"),
                      Index("ix_signin_failure_address_at", "address", "at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    member: Mapped[str] = mapped_column(String(130), nullable=False)
    address: Mapped[str] = mapped_column(String(64), nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, index=True)


class Annotation(Base):
    """A member's signed remark on earlier records: a dispute, a correction, a note for the file."""

    __tablename__ = "annotation"
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    refs: Mapped[str] = mapped_column(Text, nullable=False)  # comma-separated record hashes
