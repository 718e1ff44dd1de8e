"""Projection tables of exchanges: the exchange and its versions of terms with each party's sign-off, each side's
lists and their versions, the current entries, the mediators' consent interviews, plans, handover confirmations
person by person, remains handed over by stage with each body's identification, each side's counts, and the
exchange's status and releases.

Every row is written by a record's ``apply`` (``exchanges/kinds.py``) and carries the audience and author party of
the record that wrote it, so reads filter exactly as the log does. Times are UTC.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from parley.db import UTC_DT, Base


def _list(csv: str) -> list[str]:
    return [x for x in csv.split(",") if x]


class Exchange(Base):
    """An exchange agreed (or being agreed) between parties through mediators; its current terms."""

    __tablename__ = "exchange"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    idx: Mapped[int] = mapped_column(BigInteger, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # prisoners | civilians | remains | mixed
    parties: Mapped[str] = mapped_column(Text, nullable=False)
    mediators: Mapped[str] = mapped_column(Text, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)  # the current version of the terms
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)  # of the current terms
    terms: Mapped[str] = mapped_column(Text, nullable=False)  # JSON of the current terms
    operation: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)  # the transfer operation
    point: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the talks point it implements
    agreed_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)
    updated_idx: Mapped[int] = mapped_column(BigInteger, nullable=False)

    @property
    def party_list(self) -> list[str]:
        return _list(self.parties)

    @property
    def mediator_list(self) -> list[str]:
        return _list(self.mediators)

    @property
    def members(self) -> list[str]:
        return [*self.party_list, *self.mediator_list]


class ExchangeVersion(Base):
    """One version of an exchange's terms: the first proposal or a counter-proposal."""

    __tablename__ = "exchange_version"
    exchange: Mapped[str] = mapped_column(String(64), ForeignKey("exchange.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    idx: Mapped[int] = mapped_column(BigInteger, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    terms: Mapped[str] = mapped_column(Text, nullable=False)
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)


class ExchangeSignoff(Base):
    __tablename__ = "exchange_signoff"
    exchange: Mapped[str] = mapped_column(String(64), ForeignKey("exchange.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    signer: Mapped[str] = mapped_column(String(64), primary_key=True)  # the party signing
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    idx: Mapped[int] = mapped_column(BigInteger, nullable=False)
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)


class ExchangeList(Base):
    """A version of one side's list: whom it hands over (``hand_over``) or asks for (``ask_for``)."""

    __tablename__ = "exchange_list"
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    exchange: Mapped[str] = mapped_column(String(64), ForeignKey("exchange.id"), nullable=False, index=True)
    direction: Mapped[str] = mapped_column(String(16), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    persons: Mapped[str] = mapped_column(Text, nullable=False)  # JSON list of person ids, in the list's order
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)  # the side whose list it is
    audience: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)


class ExchangeEntry(Base):
    """A person on the current version of a side's list (the rows of the latest ``ExchangeList``)."""

    __tablename__ = "exchange_entry"
    exchange: Mapped[str] = mapped_column(String(64), ForeignKey("exchange.id"), primary_key=True)
    side: Mapped[str] = mapped_column(String(64), primary_key=True)
    direction: Mapped[str] = mapped_column(String(16), primary_key=True)
    person: Mapped[str] = mapped_column(String(64), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, nullable=False)  # its place on the list
    list_idx: Mapped[int] = mapped_column(BigInteger, nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)


Index("ix_exchange_entry_person", ExchangeEntry.person)


class ExchangeConsent(Base):
    """A mediator's private interview with a person held: whether the person wants to be repatriated and, if not,
    why (read by the mediators and the holding party only: the record's closed audience)."""

    __tablename__ = "exchange_consent"
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    exchange: Mapped[str] = mapped_column(String(64), ForeignKey("exchange.id"), nullable=False, index=True)
    person: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    holder: Mapped[str] = mapped_column(String(64), nullable=False)
    wants_repatriation: Mapped[bool] = mapped_column(Boolean, nullable=False)
    interviewed_on: Mapped[str] = mapped_column(String(10), nullable=False, default="")
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)


class ExchangePlan(Base):
    """A plan: who goes in which stage, with the pins and exclusions it was computed with."""

    __tablename__ = "exchange_plan"
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    exchange: Mapped[str] = mapped_column(String(64), ForeignKey("exchange.id"), nullable=False, index=True)
    stages: Mapped[str] = mapped_column(Text, nullable=False)  # JSON: [{stage, persons: [{side, person}]}]
    pinned: Mapped[str] = mapped_column(Text, nullable=False, default="[]")
    excluded: Mapped[str] = mapped_column(Text, nullable=False, default="[]")
    gap: Mapped[str] = mapped_column(String(32), nullable=False, default="")  # the solver's optimality gap
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)


class ExchangeHandover(Base):
    """One confirmation of one person at the handover: handed over by the sending side, received by the receiving
    side (naming its own record of the person), witnessed by a mediator."""

    __tablename__ = "exchange_handover"
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    exchange: Mapped[str] = mapped_column(String(64), ForeignKey("exchange.id"), nullable=False, index=True)
    stage: Mapped[int] = mapped_column(Integer, nullable=False)
    person: Mapped[str] = mapped_column(String(64), nullable=False, index=True)  # the sending side's record
    sender: Mapped[str] = mapped_column(String(64), nullable=False)
    receiver: Mapped[str] = mapped_column(String(64), nullable=False)
    step: Mapped[str] = mapped_column(String(16), nullable=False)  # handed_over | received | witnessed
    as_person: Mapped[str | None] = mapped_column(String(64), nullable=True)  # received: the receiver's record
    happened_at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)
    place: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)


Index("ix_exchange_handover_step", ExchangeHandover.exchange, ExchangeHandover.person, ExchangeHandover.step,
      unique=True)


class ExchangeRemains(Base):
    """Remains handed over in one stage by one side: the count as stated (a lower bound stays one) and the bodies
    tagged."""

    __tablename__ = "exchange_remains"
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    exchange: Mapped[str] = mapped_column(String(64), ForeignKey("exchange.id"), nullable=False, index=True)
    stage: Mapped[int] = mapped_column(Integer, nullable=False)
    sender: Mapped[str] = mapped_column(String(64), nullable=False)
    receiver: Mapped[str] = mapped_column(String(64), nullable=False)
    count_least: Mapped[int] = mapped_column(Integer, nullable=False)
    count_stated: Mapped[str | None] = mapped_column(Text, nullable=True)
    happened_at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)
    place: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)


class ExchangeBody(Base):
    """One body handed over, by its tag, with its identification state now and the registry person identified."""

    __tablename__ = "exchange_body"
    exchange: Mapped[str] = mapped_column(String(64), ForeignKey("exchange.id"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)
    stage: Mapped[int] = mapped_column(Integer, nullable=False)
    remains_idx: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sender: Mapped[str] = mapped_column(String(64), nullable=False)
    receiver: Mapped[str] = mapped_column(String(64), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    person: Mapped[str | None] = mapped_column(String(64), nullable=True)
    updated_idx: Mapped[int] = mapped_column(BigInteger, nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)


class ExchangeIdentification(Base):
    """A step of a body's identification, as the receiving side's experts stated it."""

    __tablename__ = "exchange_identification"
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    exchange: Mapped[str] = mapped_column(String(64), ForeignKey("exchange.id"), nullable=False, index=True)
    tag: Mapped[str] = mapped_column(String(64), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    person: Mapped[str | None] = mapped_column(String(64), nullable=True)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)


class ExchangeCount(Base):
    """A party's own count of what it sent and received, in all or in one stage, per category, as it stated it."""

    __tablename__ = "exchange_count"
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    exchange: Mapped[str] = mapped_column(String(64), ForeignKey("exchange.id"), nullable=False, index=True)
    stage: Mapped[int | None] = mapped_column(Integer, nullable=True)
    figures: Mapped[str] = mapped_column(Text, nullable=False)  # JSON: {sent: {total, by category}, received: …}
    source: Mapped[str | None] = mapped_column(Text, nullable=True)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)


class ExchangeStatus(Base):
    """A change of an exchange's status stated by a mediator, or a party's release of a completed exchange
    (``status`` "released", with the figures the party makes public)."""

    __tablename__ = "exchange_status"
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    exchange: Mapped[str] = mapped_column(String(64), ForeignKey("exchange.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    figures: Mapped[str] = mapped_column(Text, nullable=False, default="")  # released: JSON of the public figures
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)


TABLES = (Exchange, ExchangeVersion, ExchangeSignoff, ExchangeList, ExchangeEntry, ExchangeConsent, ExchangePlan,
          ExchangeHandover, ExchangeRemains, ExchangeBody, ExchangeIdentification, ExchangeCount, ExchangeStatus)
LOCAL_TABLES: tuple[type[Base], ...] = ()
