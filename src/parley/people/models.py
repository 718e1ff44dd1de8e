"""Projection tables of the registry of persons: prisoners of war, detained civilians, the missing and the
dead; their status history; the lists they were imported from; families' inquiries; registrars' decisions
on candidate matches.

Every row is written by a record's ``apply`` (``people/kinds.py``) and carries the audience of that record,
so reads filter exactly as the log does. A person reported by two parties is two rows, one per report:
each side's record is kept, and a confirmed match links them without overwriting either.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from parley.db import UTC_DT, Base

# The fields of a person record, in the order of the Geneva Conventions' lists (GC III Art. 17, 70, 120,
# 122; GC I Art. 16-17; GC IV Art. 136-138). Dates are ISO text: "yyyy-mm-dd", "yyyy-mm" or "yyyy".
PERSON_FIELDS = (
    "surname", "first_name", "patronymic", "mother_maiden_name", "sex", "birth_date", "birth_place",
    "citizenship", "rank", "service_number", "unit", "power_depended_on", "capture_date", "capture_place",
    "held_at", "health", "death_date", "death_place", "cause_of_death", "burial_place", "grave_marking",
    "person_to_inform", "notes", "external_id",
)
# What a person's names and birth date are searched by (``people.names.features``): personal too, and blanked,
# sealed and destroyed with the fields above.
NAME_KEYS = ("surname_key", "first_key", "patronymic_key", "birth_year")


class Person(Base):
    __tablename__ = "person"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    category: Mapped[str] = mapped_column(String(16), nullable=False, index=True)  # pow | civilian | missing | deceased
    party: Mapped[str] = mapped_column(String(64), nullable=False, index=True)  # the reporting party
    own_party: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the party the person depends on
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)
    surname: Mapped[str] = mapped_column(String(200), nullable=False)
    first_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    patronymic: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    mother_maiden_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    sex: Mapped[str] = mapped_column(String(8), nullable=False, default="")
    birth_date: Mapped[str] = mapped_column(String(10), nullable=False, default="")
    birth_place: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    citizenship: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    rank: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    service_number: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    unit: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    power_depended_on: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    capture_date: Mapped[str] = mapped_column(String(10), nullable=False, default="")
    capture_place: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    held_at: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    health: Mapped[str] = mapped_column(Text, nullable=False, default="")
    seriously_wounded: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, index=True)
    death_date: Mapped[str] = mapped_column(String(10), nullable=False, default="")
    death_place: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    cause_of_death: Mapped[str] = mapped_column(Text, nullable=False, default="")
    burial_place: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    grave_marking: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    person_to_inform: Mapped[str] = mapped_column(Text, nullable=False, default="")
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    external_id: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # the latest status event
    status_date: Mapped[str] = mapped_column(String(10), nullable=False, default="")
    # Normalised keys (parley.people.names), for search in any script and for exact duplicates.
    surname_key: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    first_key: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    patronymic_key: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    birth_year: Mapped[str] = mapped_column(String(4), nullable=False, default="")
    list_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    list_row: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_idx: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_idx: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)
    # The record that destroyed this person's data (``person.destroy``): the row is then a tombstone, every
    # personal field empty and the status "destroyed".
    destroyed_idx: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


Index("ix_person_keys", Person.surname_key, Person.first_key, Person.birth_year)


class PersonEvent(Base):
    """One step of a person's status history (``person.event``) or a monitoring observation (``person.monitor``:
    proof of life, contact, conditions), with the party that stated it and its date."""

    __tablename__ = "person_event"
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    person: Mapped[str] = mapped_column(String(64), ForeignKey("person.id"), nullable=False, index=True)
    event: Mapped[str] = mapped_column(String(16), nullable=False)
    date: Mapped[str] = mapped_column(String(10), nullable=False, default="")
    place: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # A monitoring observation's detail: the means of a contact (call, letter, message_via_mediator, other) or
    # whether the conditions are known (known, unknown); empty for a status event.
    detail: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    # Where the observation comes from (``records.sources.Source`` as JSON); empty for a status event.
    source: Mapped[str] = mapped_column(Text, nullable=False, default="")
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)


class PersonList(Base):
    """An imported list: the file's digest, the mapping used and the report of every row."""

    __tablename__ = "person_list"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    party: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    rows: Mapped[int] = mapped_column(Integer, nullable=False)
    accepted: Mapped[int] = mapped_column(Integer, nullable=False)
    duplicates: Mapped[int] = mapped_column(Integer, nullable=False)
    rejected: Mapped[int] = mapped_column(Integer, nullable=False)
    report: Mapped[str] = mapped_column(Text, nullable=False)  # JSON: [{row, status, person, of, reason, field}]
    idx: Mapped[int] = mapped_column(BigInteger, nullable=False, unique=True)
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)


class MatchDecision(Base):
    """A registrar's or mediator's decision that two person records are, or are not, the same person."""

    __tablename__ = "match_decision"
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    left: Mapped[str] = mapped_column(String(64), ForeignKey("person.id"), nullable=False, index=True)
    right: Mapped[str] = mapped_column(String(64), ForeignKey("person.id"), nullable=False, index=True)
    decision: Mapped[str] = mapped_column(String(16), nullable=False)  # same | different
    probability: Mapped[str] = mapped_column(String(16), nullable=False, default="")  # the model's, when shown
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)
    current: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)  # a later decision supersedes
    # A decision made by mistake is reversed by a later signed record (``match.withdraw``), never edited: the
    # record that reversed it, its party and why. The pair is then undecided again (back in the review queue).
    withdrawn_idx: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    withdrawn_party: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    withdrawn_note: Mapped[str] = mapped_column(Text, nullable=False, default="")


class Inquiry(Base):
    """A family's inquiry about a sought person, filed through a registrar or by the family directly."""

    __tablename__ = "inquiry"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the reference the family keeps
    party: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)
    sought: Mapped[str] = mapped_column(Text, nullable=False)  # JSON of the sought person's fields
    surname_key: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    relationship: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # open | answered | closed
    created_idx: Mapped[int] = mapped_column(BigInteger, nullable=False)
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)
    # What the filing party released of it for other tracing tools (``inquiry.release``, the PFIF export): JSON
    # {"fields": [...], "status_notes": bool}, "" while nothing is released; and the record that did.
    released: Mapped[str] = mapped_column(Text, nullable=False, default="")
    released_idx: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    released_at: Mapped[datetime | None] = mapped_column(UTC_DT, nullable=True)


class InquiryDecision(Base):
    """A registrar's decision on one candidate of an inquiry, with what the family is told."""

    __tablename__ = "inquiry_decision"
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    inquiry: Mapped[str] = mapped_column(String(64), ForeignKey("inquiry.id"), nullable=False, index=True)
    person: Mapped[str | None] = mapped_column(String(64), ForeignKey("person.id"), nullable=True)
    decision: Mapped[str] = mapped_column(String(16), nullable=False)  # confirmed | rejected | message | closed
    message: Mapped[str] = mapped_column(Text, nullable=False, default="")  # for the family
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)


class InquirySecret(Base):
    """The verifier of a family's secret (an Argon2 hash): local data kept beside the ``inquiry.file`` record,
    written in the same transaction, never in the log nor shipped to any reader; replay cannot rebuild it."""

    __tablename__ = "inquiry_secret"
    inquiry: Mapped[str] = mapped_column(String(64), ForeignKey("inquiry.id"), primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(200), nullable=False)


class InquiryAddition(Base):
    """What a family added to its inquiry (``inquiry.add``): distinguishing marks, documents it holds, a DNA
    sample's reference and where it was given, how it wants to be reached. Read by the filing party's registrars
    and the mediators (the record's audience, ``party:<filer>/registrar``); deleted with the inquiry's data."""

    __tablename__ = "inquiry_addition"
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    inquiry: Mapped[str] = mapped_column(String(64), ForeignKey("inquiry.id"), nullable=False, index=True)
    detail: Mapped[str] = mapped_column(Text, nullable=False)  # JSON of the fields the family gave
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)


class FamilyNotice(Base):
    """A notification owed to a family: what the family is told about its inquiry changed (an ``inquiry.decide``
    with a message). Local data written in the decision's own transaction, so a decision never commits without
    its notice; ``people.notify`` sends it. It holds no address: the address is looked up when it is sent, from
    the family's latest contact preference, so a destroyed inquiry's notices go nowhere."""

    __tablename__ = "family_notice"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    inquiry: Mapped[str] = mapped_column(String(64), ForeignKey("inquiry.id"), nullable=False, index=True)
    decision_idx: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTC_DT, nullable=True, index=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_at: Mapped[datetime | None] = mapped_column(UTC_DT, nullable=True)  # not before, after a failure
    outcome: Mapped[str] = mapped_column(String(32), nullable=False, default="")  # sent | no_address | failed


class AccessRequest(Base):
    """A mediator's request to the holding party for access to visit a place of detention
    (``place.access_request``) and the holding party's answer (``place.access_answer``), if it gave one: a
    request without an answer stays ``asked`` for as long as the party is silent. Not personal data: the
    place, the parties, the dates and the reasons."""

    __tablename__ = "access_request"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    place_name: Mapped[str] = mapped_column(String(200), nullable=False)
    place_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    place_lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    holder: Mapped[str] = mapped_column(String(64), nullable=False, index=True)  # the holding party
    party: Mapped[str] = mapped_column(String(64), nullable=False, index=True)  # the asking (mediator) party
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)
    purpose: Mapped[str] = mapped_column(Text, nullable=False, default="")
    answer_by: Mapped[datetime | None] = mapped_column(UTC_DT, nullable=True)  # the asked deadline, if any
    source: Mapped[str] = mapped_column(Text, nullable=False, default="")  # ``records.sources.Source`` JSON
    idx: Mapped[int] = mapped_column(BigInteger, nullable=False, unique=True)
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)  # asked | granted | refused
    answer_idx: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    answer_author: Mapped[str] = mapped_column(String(130), nullable=False, default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTC_DT, nullable=True)
    visit_on: Mapped[str] = mapped_column(String(10), nullable=False, default="")  # granted: the visit's date
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")  # refused: the holder's reason
    answer_source: Mapped[str] = mapped_column(Text, nullable=False, default="")


TABLES = (Person, PersonEvent, PersonList, MatchDecision, Inquiry, InquiryDecision, InquiryAddition, AccessRequest)
LOCAL_TABLES = (InquirySecret, FamilyNotice)
