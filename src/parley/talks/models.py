"""Projection tables of talks: processes and their status over time, actors and their names' keys, rounds and
meetings with their changes, tracks, points, the texts proposed on them and each party's positions, statements,
joint texts with their versions and sign-offs, and each party's assessment of how far an agreed point is
implemented.

Every row is written by a record's ``apply`` (``talks/kinds.py``) and carries the audience and author party of
the record that wrote it, so reads filter exactly as the log does. Payload parts that no query reads (a source,
a venue, delegations, evidence) are kept as the record's canonical JSON. Times are UTC.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from parley.db import UTC_DT, Base
from parley.records.figures import Figure, from_columns


def _list(csv: str) -> list[str]:
    return [x for x in csv.split(",") if x]


class TalksProcess(Base):
    """A negotiation between parties: official talks, a back channel or a military-to-military channel."""

    __tablename__ = "talks_process"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    idx: Mapped[int] = mapped_column(BigInteger, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    format: Mapped[str] = mapped_column(String(24), nullable=False)  # official_talks | back_channel | military_channel
    parties: Mapped[str] = mapped_column(Text, nullable=False)  # the belligerents whose agreement it needs
    mediators: Mapped[str] = mapped_column(Text, nullable=False, default="")  # mediator parties facilitating it
    intermediaries: Mapped[str] = mapped_column(Text, nullable=False, default="[]")  # JSON: actor, acting for, role
    authorisation: Mapped[str] = mapped_column(String(16), nullable=False)  # authorised | unauthorised | unknown
    started_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # the latest status stated
    source: Mapped[str | None] = mapped_column(Text, nullable=True)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
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
        """Every party that writes in the process: its parties, then its mediators."""
        return [*self.party_list, *self.mediator_list]

    @property
    def narrow(self) -> bool:
        """A back channel or a military-to-military channel: read by its parties' negotiators only."""
        return self.format != "official_talks"

    def intermediary_list(self) -> list[dict[str, Any]]:
        return list(json.loads(self.intermediaries or "[]"))


class TalksStatus(Base):
    """A process's status as one party or mediator stated it (active, paused, frozen, resumed, ended)."""

    __tablename__ = "talks_status"
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    process: Mapped[str] = mapped_column(String(64), ForeignKey("talks_process.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    since: Mapped[date | None] = mapped_column(Date, nullable=True)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    source: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)


class TalksActor(Base):
    """Someone who speaks or acts in talks (a head of delegation, an intermediary, a general): not a member of
    Parley, but what records talk about. ``names``: JSON list of the names as written, in each script."""

    __tablename__ = "talks_actor"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    idx: Mapped[int] = mapped_column(BigInteger, nullable=False)
    names: Mapped[str] = mapped_column(Text, nullable=False)
    acts_for: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the party, if any
    body: Mapped[str] = mapped_column(String(200), nullable=False, default="")  # "Main Directorate of Intelligence"
    title: Mapped[str] = mapped_column(String(200), nullable=False, default="")  # "head of delegation"
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    source: Mapped[str | None] = mapped_column(Text, nullable=True)
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)

    def name_list(self) -> list[str]:
        return list(json.loads(self.names))

    @property
    def name(self) -> str:
        return self.name_list()[0]


class TalksActorKey(Base):
    """The phonetic key (``parley.spelling.phonetic``) of each word of an actor's names: Kovalev, Kovalov,
    Kovalyov and Ковальов all give ``KVLV``, so a search in any spelling finds the actor."""

    __tablename__ = "talks_actor_key"
    actor: Mapped[str] = mapped_column(String(64), ForeignKey("talks_actor.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class TalksMeeting(Base):
    """A round of official talks or a meeting of a channel (an intermediary's visit), planned or held."""

    __tablename__ = "talks_meeting"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    idx: Mapped[int] = mapped_column(BigInteger, nullable=False)
    process: Mapped[str] = mapped_column(String(64), ForeignKey("talks_process.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # round | meeting | visit
    number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # planned | held | postponed | cancelled
    venue: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON place: name, position
    scheduled_start: Mapped[datetime | None] = mapped_column(UTC_DT, nullable=True)
    scheduled_note: Mapped[str] = mapped_column(String(200), nullable=False, default="")  # "early next week"
    actual_start: Mapped[datetime | None] = mapped_column(UTC_DT, nullable=True)
    duration_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the least the figure allows
    duration_figure: Mapped[str | None] = mapped_column(Text, nullable=True)  # as stated, unless exact (figures)
    duration_note: Mapped[str] = mapped_column(String(200), nullable=False, default="")  # "less than three hours"
    time_zone: Mapped[str] = mapped_column(String(64), nullable=False, default="UTC")
    format: Mapped[str] = mapped_column(String(16), nullable=False)  # in_person | video | mixed
    delegations: Mapped[str] = mapped_column(Text, nullable=False, default="[]")  # JSON
    participants: Mapped[str] = mapped_column(Text, nullable=False, default="")  # actor ids
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    source: Mapped[str | None] = mapped_column(Text, nullable=True)
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)
    updated_idx: Mapped[int] = mapped_column(BigInteger, nullable=False)

    def delegation_list(self) -> list[dict[str, Any]]:
        return list(json.loads(self.delegations or "[]"))

    def duration(self) -> Figure | None:
        """How long the meeting lasted, in minutes, as stated."""
        return from_columns(self.duration_minutes, self.duration_figure)

    def venue_place(self) -> dict[str, Any] | None:
        return json.loads(self.venue) if self.venue else None


class TalksMeetingChange(Base):
    """A change of a meeting's venue, date, status or duration, as signed: ``changes`` the fields changed
    (JSON), each with what it was before."""

    __tablename__ = "talks_meeting_change"
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    meeting: Mapped[str] = mapped_column(String(64), ForeignKey("talks_meeting.id"), nullable=False, index=True)
    changes: Mapped[str] = mapped_column(Text, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    source: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)


class TalksTrack(Base):
    """A track of a process: military; international-humanitarian; political settlement."""

    __tablename__ = "talks_track"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    idx: Mapped[int] = mapped_column(BigInteger, nullable=False)
    process: Mapped[str] = mapped_column(String(64), ForeignKey("talks_process.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)


class TalksPoint(Base):
    """A point of a track. ``agreed_sha256``: the text every party of the process currently accepts (mutual
    understanding), or None; recomputed on every position."""

    __tablename__ = "talks_point"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    idx: Mapped[int] = mapped_column(BigInteger, nullable=False)
    process: Mapped[str] = mapped_column(String(64), ForeignKey("talks_process.id"), nullable=False, index=True)
    track: Mapped[str] = mapped_column(String(64), ForeignKey("talks_track.id"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    agreed_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    agreed_idx: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)
    updated_idx: Mapped[int] = mapped_column(BigInteger, nullable=False)

    # The board's index: a process's points by who may read them (audience, author party), in log order, so the
    # readable groups, their count and a page at any offset are read from the index alone.
    __table_args__ = (Index("ix_talks_point_readers", "process", "audience", "party", "idx"),)


class TalksPointText(Base):
    """A wording proposed on a point, by the SHA-256 of its UTF-8 text: what an acceptance names."""

    __tablename__ = "talks_point_text"
    point: Mapped[str] = mapped_column(String(64), ForeignKey("talks_point.id"), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    idx: Mapped[int] = mapped_column(BigInteger, nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)  # the record's that first proposed it


class TalksPosition(Base):
    """One party's position on a point, as stated (the history: every row is kept)."""

    __tablename__ = "talks_position"
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    point: Mapped[str] = mapped_column(String(64), ForeignKey("talks_point.id"), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    position: Mapped[str] = mapped_column(String(24), nullable=False)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the text proposed or accepted
    meeting: Mapped[str | None] = mapped_column(String(64), nullable=True)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    source: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)

    __table_args__ = (Index("ix_talks_position_point", "point", "idx"),)


class TalksCurrent(Base):
    """Each party's current position on each point (the latest ``TalksPosition``), for the points board."""

    __tablename__ = "talks_current"
    point: Mapped[str] = mapped_column(String(64), ForeignKey("talks_point.id"), primary_key=True)
    party: Mapped[str] = mapped_column(String(64), primary_key=True)
    idx: Mapped[int] = mapped_column(BigInteger, nullable=False)
    position: Mapped[str] = mapped_column(String(24), nullable=False)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)  # positions the party has stated on the point
    audience: Mapped[str] = mapped_column(Text, nullable=False)


class TalksStatement(Base):
    """What a party or a principal said publicly or reported: a communiqué read out, an assessment, an accusation,
    a precondition; attributed to who said it, with its source and how far it is confirmed."""

    __tablename__ = "talks_statement"
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    process: Mapped[str] = mapped_column(String(64), ForeignKey("talks_process.id"), nullable=False, index=True)
    meeting: Mapped[str | None] = mapped_column(String(64), nullable=True)
    point: Mapped[str | None] = mapped_column(String(64), nullable=True)
    joint_text: Mapped[str | None] = mapped_column(String(64), nullable=True)
    joint_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    type: Mapped[str] = mapped_column(String(24), nullable=False)
    speaker: Mapped[str | None] = mapped_column(String(64), nullable=True)  # an actor
    on_behalf: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the party it is attributed to
    text: Mapped[str] = mapped_column(Text, nullable=False)
    language: Mapped[str] = mapped_column(String(8), nullable=False)
    said_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    source: Mapped[str | None] = mapped_column(Text, nullable=True)
    source_kind: Mapped[str] = mapped_column(String(32), nullable=False)
    confirmation: Mapped[str] = mapped_column(String(16), nullable=False)
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)


class TalksText(Base):
    """A joint text (a communiqué, an agreement's terms): its current version; agreed when every party of the
    process has signed that version's hash."""

    __tablename__ = "talks_text"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    idx: Mapped[int] = mapped_column(BigInteger, nullable=False)
    process: Mapped[str] = mapped_column(String(64), ForeignKey("talks_process.id"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    agreed_version: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the latest version all signed
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)
    updated_idx: Mapped[int] = mapped_column(BigInteger, nullable=False)


class TalksTextVersion(Base):
    __tablename__ = "talks_text_version"
    text: Mapped[str] = mapped_column(String(64), ForeignKey("talks_text.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    language: Mapped[str] = mapped_column(String(8), nullable=False)
    points: Mapped[str] = mapped_column(Text, nullable=False, default="")  # the points it covers
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)


class TalksSignoff(Base):
    """A party's sign-off over the exact SHA-256 of one version of a joint text."""

    __tablename__ = "talks_signoff"
    text: Mapped[str] = mapped_column(String(64), ForeignKey("talks_text.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    party: Mapped[str] = mapped_column(String(64), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    idx: Mapped[int] = mapped_column(BigInteger, nullable=False)
    meeting: Mapped[str | None] = mapped_column(String(64), nullable=True)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)


class TalksImplementation(Base):
    """One party's (or mediator's) assessment of how far an agreed point is implemented, on the Peace Accords
    Matrix scale (0 not started, 1 minimal, 2 intermediate, 3 complete), with its evidence (JSON)."""

    __tablename__ = "talks_implementation"
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    point: Mapped[str] = mapped_column(String(64), ForeignKey("talks_point.id"), nullable=False, index=True)
    level: Mapped[int] = mapped_column(Integer, nullable=False)
    evidence: Mapped[str] = mapped_column(Text, nullable=False, default="[]")
    as_of: Mapped[date | None] = mapped_column(Date, nullable=True)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    source: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime] = mapped_column(UTC_DT, nullable=False)
    author: Mapped[str] = mapped_column(String(130), nullable=False)
    party: Mapped[str] = mapped_column(String(64), nullable=False)
    audience: Mapped[str] = mapped_column(Text, nullable=False)

    def evidence_list(self) -> list[dict[str, Any]]:
        return list(json.loads(self.evidence or "[]"))


TABLES = (TalksProcess, TalksStatus, TalksActor, TalksActorKey, TalksMeeting, TalksMeetingChange, TalksTrack,
          TalksPoint, TalksPointText, TalksPosition, TalksCurrent, TalksStatement, TalksText, TalksTextVersion,
          TalksSignoff, TalksImplementation)
LOCAL_TABLES: tuple[type[Base], ...] = ()
