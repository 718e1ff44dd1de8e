"""Projection tables of humanitarian operations, zones, incidents, outcomes and liaison channels.

Every row is written by a record's ``apply`` (``operations/kinds.py``) and carries the audience and
author party of the record that wrote it, so reads filter exactly as the log does. Times are UTC.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from parley.db import UTC_DT, Base


class OperationRules(Base):
    """Notice and answer periods the parties work to, set by a mediator's signed record (one row)."""

    __tablename__ = "operation_rules"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    notice_hours: Mapped[int] = mapped_column(Integer, nullable=False)
    emergency_notice_hours: Mapped[int] = mapped_column(Integer, nullable=False)
    answer_hours: Mapped[int] = mapped_column(Integer, nullable=False)
    emergency_answer_hours: Mapped[int] = mapped_column(Integer, nullable=False)
    urgent_read_minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    region: Mapped[str | None] = mapped_column(String(200), nullable=True)  # "w,s,e,n" or none
    # How far (m) from an operation's route or area its waypoints, destinations, movements and incidents may lie.
    route_tolerance_m: Mapped[int | None] = mapped_column(Integer, nullable=True)
    set_idx: Mapped[int] = mapped_column(BigInteger, nullable=False)


# Statuses of an operation not yet over: what deconfliction meets and the mediator chases.
ACTIVE = ("proposed", "acknowledged", "under_way", "suspended")


class Operation(Base):
    __tablename__ = "operation"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    # The organising mediator; None for an operation agreed directly between the parties concerned (a back
    # channel), which those parties then run themselves.
    mediator: Mapped[str | None] = mapped_column(String(64), ForeignKey("party.slug"), nullable=True)
    # Other mediators taking part, each with its role: "icrc:registration,un-ocha:co_organiser".
    co_mediators: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)  # the current version
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)  # author party of the first version
    audience: Mapped[str] = mapped_column(Text, nullable=False)
    parties: Mapped[str] = mapped_column(Text, nullable=False)  # belligerents concerned, comma-separated
    # The talks points the current version says it implements, comma-separated.
    implements: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_idx: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_idx: Mapped[int] = mapped_column(BigInteger, nullable=False)

    @property
    def party_list(self) -> list[str]:
        return [p for p in self.parties.split(",") if p]

    @property
    def co_mediator_roles(self) -> list[tuple[str, str]]:
        """(party, role) of each other mediator taking part, in the plan's order."""
        return [(m.partition(":")[0], m.partition(":")[2]) for m in (self.co_mediators or "").split(",") if m]

    @property
    def mediator_list(self) -> list[str]:
        """Every mediator taking part: the organising one first."""
        return [*([self.mediator] if self.mediator else []), *(p for p, _ in self.co_mediator_roles)]

    @property
    def organisers(self) -> list[str]:
        """Who runs the operation (starts, suspends, completes it): its organising mediator and any mediator
        co-organising it, or, agreed directly between the parties, the parties concerned."""
        if self.mediator is None:
            return self.party_list
        return [self.mediator, *(p for p, role in self.co_mediator_roles if role == "co_organiser")]


class OperationVersion(Base):
    """One proposal or counter-proposal: the whole plan as signed, plus the fields queries need."""

    __tablename__ = "operation_version"
    operation: Mapped[str] = mapped_column(String(64), ForeignKey("operation.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, nullable=False, unique=True)
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    proposed_at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)
    window_start: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)
    window_end: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)
    answer_by: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)
    emergency: Mapped[bool] = mapped_column(Boolean, nullable=False)
    time_zone: Mapped[str] = mapped_column(String(64), nullable=False)
    buffer_m: Mapped[int] = mapped_column(Integer, nullable=False)
    plan: Mapped[str] = mapped_column(Text, nullable=False)  # the payload's proposal, canonical JSON
    footprint: Mapped[str] = mapped_column(Text, nullable=False)  # buffered route/area, GeoJSON
    min_lon: Mapped[float] = mapped_column(Float, nullable=False)
    min_lat: Mapped[float] = mapped_column(Float, nullable=False)
    max_lon: Mapped[float] = mapped_column(Float, nullable=False)
    max_lat: Mapped[float] = mapped_column(Float, nullable=False)
    counter_to: Mapped[int | None] = mapped_column(Integer, nullable=True)


class OperationAnswer(Base):
    """A belligerent party's answer to one version. Acknowledgement is not permission."""

    __tablename__ = "operation_answer"
    operation: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    party: Mapped[str] = mapped_column(String(64), primary_key=True)
    answer: Mapped[str] = mapped_column(String(16), nullable=False)  # acknowledged | declined | counter | proposer
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    idx: Mapped[int] = mapped_column(BigInteger, nullable=False)
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)
    late: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class OperationEvent(Base):
    """The timeline: status changes and movements, each with its time and, where known, its position."""

    __tablename__ = "operation_event"
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # several per record
    operation: Mapped[str] = mapped_column(String(64), ForeignKey("operation.id"), nullable=False, index=True)
    event: Mapped[str] = mapped_column(String(32), nullable=False)
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    place: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    source: Mapped[str | None] = mapped_column(Text, nullable=True)  # a movement's source, if not its author's own
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)


class Incident(Base):
    """One party's account of an incident; another party's account of the same incident names it in
    ``account_of`` and both are kept side by side."""

    __tablename__ = "incident"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    idx: Mapped[int] = mapped_column(BigInteger, nullable=False, unique=True)
    operation: Mapped[str | None] = mapped_column(String(64), ForeignKey("operation.id"), nullable=True, index=True)
    account_of: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)
    lon: Mapped[float] = mapped_column(Float, nullable=False)
    lat: Mapped[float] = mapped_column(Float, nullable=False)
    place: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    type: Mapped[str] = mapped_column(String(32), nullable=False)
    observed: Mapped[str] = mapped_column(String(16), nullable=False)
    direction_deg: Mapped[int | None] = mapped_column(Integer, nullable=True)
    distance_m: Mapped[int | None] = mapped_column(Integer, nullable=True)
    killed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    wounded: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Killed and wounded as stated when not exact counts (``records.figures.Figure`` JSON); the columns above
    # then hold the least each allows.
    killed_figure: Mapped[str | None] = mapped_column(Text, nullable=True)
    wounded_figure: Mapped[str | None] = mapped_column(Text, nullable=True)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # The party this account alleges responsible, if it names one; and its source.
    alleged_responsible: Mapped[str | None] = mapped_column(String(64), nullable=True)
    source: Mapped[str | None] = mapped_column(Text, nullable=True)
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)


class OutcomeFigure(Base):
    """Persons moved, by category and destination, as one party reported them in one record. A party's
    newer report replaces its older one in the comparison; every report stays in the log."""

    __tablename__ = "outcome_figure"
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    line: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    operation: Mapped[str] = mapped_column(String(64), ForeignKey("operation.id"), nullable=False, index=True)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    category: Mapped[str] = mapped_column(String(32), nullable=False)
    destination: Mapped[str] = mapped_column(String(200), nullable=False)
    count: Mapped[int] = mapped_column(Integer, nullable=False)  # the least the figure allows
    # The figure as stated (``records.figures.Figure``, JSON) when it is not an exact count.
    figure: Mapped[str | None] = mapped_column(Text, nullable=True)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    audience: Mapped[str] = mapped_column(Text, nullable=False)


class OutcomeStatement(Base):
    """One ``operation.outcome`` record as a whole: who stated the figures (its source), the total as stated,
    and when. Every statement is kept, several from one party side by side (principle 5)."""

    __tablename__ = "outcome_statement"
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    operation: Mapped[str] = mapped_column(String(64), ForeignKey("operation.id"), nullable=False, index=True)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)  # the record's time
    total: Mapped[str | None] = mapped_column(Text, nullable=True)  # the total as stated (Figure JSON)
    source: Mapped[str | None] = mapped_column(Text, nullable=True)  # ``records.sources.Source`` JSON
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    audience: Mapped[str] = mapped_column(Text, nullable=False)


class NoticeWaiver(Base):
    """A party's signed consent that an operation start with less than the notice the rules ask
    (``operation.waiver``): an emergency agreed at a meeting. A proposal that gives less notice stands only once
    every party concerned has waived it for that operation."""

    __tablename__ = "notice_waiver"
    operation: Mapped[str] = mapped_column(String(64), primary_key=True)
    party: Mapped[str] = mapped_column(String(64), primary_key=True)
    idx: Mapped[int] = mapped_column(BigInteger, nullable=False, unique=True)
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)
    notice_hours: Mapped[float] = mapped_column(Float, nullable=False)  # the least notice the party accepts
    agreed: Mapped[str] = mapped_column(Text, nullable=False, default="")  # where and how it was agreed
    source: Mapped[str | None] = mapped_column(Text, nullable=True)
    audience: Mapped[str] = mapped_column(Text, nullable=False)


class DeclaredCorridor(Base):
    """A corridor one side declared on its own (``corridor.declare``): not proposed, not acknowledged, not
    agreed by anyone else, and shown as such."""

    __tablename__ = "declared_corridor"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    idx: Mapped[int] = mapped_column(BigInteger, nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    origin: Mapped[str] = mapped_column(Text, nullable=False)  # Place JSON
    towards: Mapped[str] = mapped_column(Text, nullable=False)  # Place JSON
    route: Mapped[str | None] = mapped_column(Text, nullable=True)  # GeoJSON LineString
    valid_from: Mapped[datetime | None] = mapped_column(UTC_DT, nullable=True)
    valid_until: Mapped[datetime | None] = mapped_column(UTC_DT, nullable=True)
    source: Mapped[str | None] = mapped_column(Text, nullable=True)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)


class Zone(Base):
    __tablename__ = "zone"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    idx: Mapped[int] = mapped_column(BigInteger, nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    geometry: Mapped[str] = mapped_column(Text, nullable=False)  # GeoJSON
    valid_from: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)
    valid_until: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)
    withdrawn_idx: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class StandingChannel(Base):
    """A channel of communication not tied to one operation ("channels of communication and interaction will be
    organised", 3 March 2022): between designated members of two or more parties, belonging to a talks process or
    point or standing alone (a military-to-military line), with the mediator its urgent messages escalate to."""

    __tablename__ = "standing_channel"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    idx: Mapped[int] = mapped_column(BigInteger, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    parties: Mapped[str] = mapped_column(Text, nullable=False)  # comma-separated
    mediator: Mapped[str | None] = mapped_column(String(64), nullable=True)  # where unread urgent messages escalate
    members: Mapped[str] = mapped_column(Text, nullable=False)  # designated member ids, comma-separated
    process: Mapped[str | None] = mapped_column(String(64), nullable=True)  # a talks process
    point: Mapped[str | None] = mapped_column(String(64), nullable=True)  # a talks point
    urgent_read_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: the operations' rule
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)

    @property
    def party_list(self) -> list[str]:
        return [p for p in self.parties.split(",") if p]

    @property
    def member_list(self) -> list[str]:
        return [m for m in self.members.split(",") if m]


class ChannelMessage(Base):
    """A message of an operation's liaison channel (``operation``) or of a standing channel (``channel``)."""

    __tablename__ = "channel_message"
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    operation: Mapped[str | None] = mapped_column(String(64), ForeignKey("operation.id"), nullable=True, index=True)
    # The standing channel (no foreign key: SQLite could not drop such a column in place; ``channel.post`` checks
    # the channel exists and its author may read it).
    channel: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    urgent: Mapped[bool] = mapped_column(Boolean, nullable=False)
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)
    recipients: Mapped[str] = mapped_column(Text, nullable=False)  # parties, comma-separated
    audience: Mapped[str] = mapped_column(Text, nullable=False)


class ChannelReceipt(Base):
    """A recipient party's delivery or read receipt for one message, signed by the member who read it."""

    __tablename__ = "channel_receipt"
    message: Mapped[int] = mapped_column(BigInteger, ForeignKey("channel_message.idx"), primary_key=True)
    party: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), primary_key=True)  # delivered | read
    member: Mapped[str] = mapped_column(String(130), nullable=False)
    idx: Mapped[int] = mapped_column(BigInteger, nullable=False)
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)


class DeconflictionAlert(Base):
    """A proposal or counter-proposal whose plan meets a zone or an operation its proposer may not read.

    Written by the proposal's ``apply`` from the state at that point of the log, so replay rebuilds it. The
    proposer's party learns one bit ("the plan meets something you cannot see"); the alert itself is read,
    through the read policy, by the party the hidden zone or operation belongs to (``owner``) and by the
    mediators (``audience``), never by the proposer's party."""

    __tablename__ = "deconfliction_alert"
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)  # the proposal's record
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    operation: Mapped[str] = mapped_column(String(64), ForeignKey("operation.id"), nullable=False, index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    proposer: Mapped[str] = mapped_column(String(130), nullable=False)  # the member who stated the plan
    party: Mapped[str] = mapped_column(String(64), nullable=False)  # the proposer's party
    mediator: Mapped[str] = mapped_column(String(64), nullable=False)  # the organising mediator ("" if none)
    target_kind: Mapped[str] = mapped_column(String(16), nullable=False)  # zone | operation
    target: Mapped[str] = mapped_column(String(64), nullable=False)
    owner: Mapped[str] = mapped_column(String(64), nullable=False, index=True)  # the target's declaring party
    audience: Mapped[str] = mapped_column(Text, nullable=False)  # who reads the alert: owner and mediators
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)
    window_start: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)
    window_end: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)
    overlap_km2: Mapped[float] = mapped_column(Float, nullable=False)


class DeconflictionCheck(Base):
    """One dry-run deconfliction check (``POST /api/deconfliction/check``, the propose forms' preview, ``parley
    ops check``): who asked, when, the footprint's bounding box and the window, and how many conflicts it met,
    shown and unseen (the member is shown only the first). Checks are limited per member and hour; a check
    beyond the limit is recorded as refused. Local: not a record, never in the log, not rebuilt by replay."""

    __tablename__ = "deconfliction_check"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    member: Mapped[str] = mapped_column(String(130), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False, index=True)
    min_lon: Mapped[float] = mapped_column(Float, nullable=False)
    min_lat: Mapped[float] = mapped_column(Float, nullable=False)
    max_lon: Mapped[float] = mapped_column(Float, nullable=False)
    max_lat: Mapped[float] = mapped_column(Float, nullable=False)
    window_start: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)
    window_end: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)
    operation: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the operation being revised
    shown: Mapped[int | None] = mapped_column(Integer, nullable=True)  # conflicts the member may read
    unseen: Mapped[int | None] = mapped_column(Integer, nullable=True)  # conflicts the member may not read
    refused: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # beyond the limit


Index("ix_deconfliction_check_member_at", DeconflictionCheck.member, DeconflictionCheck.at)


TABLES = (OperationRules, StandingChannel, Operation, OperationVersion, OperationAnswer, OperationEvent, Incident,
          OutcomeFigure, OutcomeStatement, NoticeWaiver, DeclaredCorridor, Zone, ChannelMessage, ChannelReceipt,
          DeconflictionAlert)
# Local tables: written beside the log, never part of it, not rebuilt by replay.
LOCAL_TABLES = (DeconflictionCheck,)
