"""Record kinds of talks: processes and their status, actors, rounds and meetings and their changes, tracks,
points and each party's positions, statements and claims, joint texts and sign-offs, implementation.

Each is a signed record on the one write path; ``apply`` checks it against the current state and the record's
own time, so replaying the log gives the same tables. Every object a record names must be one its author may
read (``parley.records.policy``), or it is refused exactly as an absent one; a new object's id lies in its
author's party's namespace (``parley.records.ids``).

Every record inside a process is addressed to every party of the process (their negotiators at least). A back
channel and a military-to-military channel are narrower still: their records are closed (``only``) to the
negotiators of the parties and mediators taking part, so neither press nor registrars of those parties, nor a
mediator that is not in the channel, read them.

A point reaches mutual understanding only when every party of the process currently accepts the same text
(``talks.rules.agreed_text``); a joint text is agreed only when every party has signed the SHA-256 of its current
version. A mediator facilitates, drafts and records, and never states a party's position or signs for one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AwareDatetime, Field, StringConstraints, field_validator, model_validator
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from parley.errors import Code, Conflict, Forbidden, Invalid, NotFound, Unprocessable
from parley.parties.models import Party
from parley.parties.naming import SLUG
from parley.records import codes as spine
from parley.records import ids
from parley.records.figures import Figure, Stated, as_figure, to_columns
from parley.records.format import ONLY, Audience, canonical_payload
from parley.records.kinds import Context, Kind, ObjectLookup, Payload, Readers, Registry
from parley.records.policy import ReadPolicy
from parley.records.sources import Source
from parley.spelling import clean, phonetic
from parley.talks import codes as C
from parley.talks import rules
from parley.talks.models import (
    TalksActor, TalksActorKey, TalksCurrent, TalksImplementation, TalksMeeting, TalksMeetingChange, TalksPoint,
    TalksPointText, TalksPosition, TalksProcess, TalksSignoff, TalksStatement, TalksStatus, TalksText,
    TalksTextVersion, TalksTrack,
)

Slug = Annotated[str, StringConstraints(pattern=rf"^{SLUG}$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Short = Annotated[str, StringConstraints(max_length=200, strip_whitespace=True)]
Text = Annotated[str, StringConstraints(max_length=4000)]
Said = Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
Body = Annotated[str, StringConstraints(min_length=1, max_length=200_000)]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Position = Annotated[list[float], Field(min_length=2, max_length=2)]
Language = Literal["uk", "ru", "en", "other"]
FUTURE_SLACK = timedelta(minutes=10)
STATEMENT_TYPES = ("communique", "assessment", "accusation", "precondition", "proposal", "commitment",
                   "announcement", "claim", "other")
MEETING_KINDS = ("round", "meeting", "visit")
MEETING_STATUSES = ("planned", "held", "postponed", "cancelled")
MEETING_FORMATS = ("in_person", "video", "mixed")
EVIDENCE_KINDS = ("operation", "exchange", "record")
READ = Readers(rules.READERS)
R = TypeVar("R")


def sha256_text(body: str) -> str:
    """The hash a sign-off or an acceptance names: SHA-256 of the text's UTF-8 bytes, exactly as written."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


# --- payloads ----------------------------------------------------------------------------------------------

class Intermediary(Payload):
    actor: Slug
    acting_for: Slug | None = None  # the party the intermediary acts for, if one
    role: Short = ""  # "lawmaker with contacts on the other side"


class ProcessOpen(Payload):
    id: Slug
    title: Name
    format: Literal["official_talks", "back_channel", "military_channel"]
    parties: Annotated[list[Slug], Field(min_length=2, max_length=8)]
    mediators: Annotated[list[Slug], Field(max_length=8)] = []  # noqa: RUF012 — pydantic copies defaults
    intermediaries: Annotated[list[Intermediary], Field(max_length=20)] = []  # noqa: RUF012
    authorisation: Literal["authorised", "unauthorised", "unknown"] = "unknown"
    started_on: date | None = None
    status: Literal["active", "paused", "frozen"] = "active"
    source: Source | None = None
    note: Text = ""

    @model_validator(mode="after")
    def _distinct(self) -> ProcessOpen:
        every = [*self.parties, *self.mediators]
        if len(set(every)) != len(every):
            raise Invalid(C.PARTIES_TWICE)
        return self


class ProcessStatus(Payload):
    process: Slug
    status: Literal["active", "paused", "frozen", "resumed", "ended"]
    since: date | None = None
    reason: Text = ""
    source: Source | None = None


class ActorRegister(Payload):
    id: Slug
    names: Annotated[list[Name], Field(min_length=1, max_length=12)]
    acts_for: Slug | None = None
    body: Short = ""
    title: Short = ""
    note: Text = ""
    source: Source | None = None

    @field_validator("names")
    @classmethod
    def _distinct(cls, v: list[str]) -> list[str]:
        if len({clean(n) for n in v}) != len(v):
            raise Invalid(C.ACTOR_NAMES_TWICE)
        return v


class Venue(Payload):
    name: Name
    position: Position | None = None  # [lon, lat]

    @field_validator("position")
    @classmethod
    def _on_earth(cls, v: list[float] | None) -> list[float] | None:
        if v is not None and not (-180 <= v[0] <= 180 and -90 <= v[1] <= 90):
            raise Invalid(C.VENUE_POSITION)
        return v


class Delegation(Payload):
    party: Slug
    head: Slug | None = None  # an actor
    members: Annotated[list[Slug], Field(max_length=50)] = []  # noqa: RUF012 — actors


class MeetingRecord(Payload):
    id: Slug
    process: Slug
    kind: Literal["round", "meeting", "visit"]
    number: Annotated[int, Field(ge=1, le=1000)] | None = None
    title: Name
    status: Literal["planned", "held"]
    venue: Venue | None = None
    scheduled_start: AwareDatetime | None = None
    scheduled_note: Short = ""  # "early next week", when no time is set
    actual_start: AwareDatetime | None = None
    # How long it lasted, in minutes, as stated: a number, or a figure ("less than three hours": fewer than 180).
    duration_minutes: Stated | None = None
    duration_note: Short = ""  # the words of the source: "less than three hours"
    time_zone: Annotated[str, StringConstraints(max_length=64)] = "UTC"
    format: Literal["in_person", "video", "mixed"] = "in_person"
    delegations: Annotated[list[Delegation], Field(max_length=10)] = []  # noqa: RUF012
    participants: Annotated[list[Slug], Field(max_length=50)] = []  # noqa: RUF012 — actors beyond the delegations
    note: Text = ""
    source: Source | None = None

    @model_validator(mode="after")
    def _held(self) -> MeetingRecord:
        if self.status == "held" and self.actual_start is None:
            raise Invalid(C.HELD_NEEDS_START)
        if self.status == "planned" and self.actual_start is not None:
            raise Invalid(C.PLANNED_STARTED)
        return self


class MeetingUpdate(Payload):
    meeting: Slug
    status: Literal["planned", "held", "postponed", "cancelled"] | None = None
    venue: Venue | None = None
    scheduled_start: AwareDatetime | None = None
    scheduled_note: Short | None = None
    actual_start: AwareDatetime | None = None
    duration_minutes: Stated | None = None
    duration_note: Short | None = None
    format: Literal["in_person", "video", "mixed"] | None = None
    delegations: Annotated[list[Delegation], Field(max_length=10)] | None = None
    reason: Text = ""
    source: Source | None = None


class TrackOpen(Payload):
    id: Slug
    process: Slug
    name: Name
    note: Text = ""


class PointOpen(Payload):
    id: Slug
    track: Slug
    title: Name
    text: Body | None = None  # a first wording (a mediator's or secretariat's draft), no party's position


class PositionState(Payload):
    point: Slug
    position: Literal["proposed", "counter_proposed", "accepted", "rejected", "reserved"]
    text: Body | None = None  # the wording proposed (proposed, counter_proposed)
    sha256: Sha256 | None = None  # the wording accepted, rejected or reserved on
    meeting: Slug | None = None
    note: Text = ""
    source: Source | None = None

    @model_validator(mode="after")
    def _shape(self) -> PositionState:
        if self.position in ("proposed", "counter_proposed"):
            if self.text is None:
                raise Invalid(C.POSITION_TEXT, position=self.position.replace("_", "-"))
        elif self.sha256 is None and self.position == "accepted":
            raise Invalid(C.POSITION_HASH)
        return self


class Statement(Payload):
    process: Slug
    type: Literal["communique", "assessment", "accusation", "precondition", "proposal", "commitment",
                  "announcement", "claim", "other"]
    text: Said
    language: Language = "en"
    meeting: Slug | None = None
    point: Slug | None = None
    joint_text: Slug | None = None
    joint_version: Annotated[int, Field(ge=1)] | None = None
    speaker: Slug | None = None  # an actor
    on_behalf: Slug | None = None  # the party it is attributed to
    said_on: date | None = None
    source: Source | None = None


class JointText(Payload):
    id: Slug
    process: Slug
    title: Name
    body: Body
    language: Language = "en"
    points: Annotated[list[Slug], Field(max_length=200)] = []  # noqa: RUF012
    supersedes: Annotated[int, Field(ge=1)] | None = None  # the version a new one replaces
    note: Text = ""


class Signoff(Payload):
    text: Slug
    version: Annotated[int, Field(ge=1)]
    sha256: Sha256
    meeting: Slug | None = None
    note: Text = ""


class Evidence(Payload):
    kind: Literal["operation", "exchange", "record"]
    ref: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=rf"^({SLUG}|\d{{1,18}})$")]
    note: Short = ""


class Implementation(Payload):
    point: Slug
    level: Annotated[int, Field(ge=0, le=3)]
    evidence: Annotated[list[Evidence], Field(max_length=50)] = []  # noqa: RUF012
    as_of: date | None = None
    note: Text = ""
    source: Source | None = None


# --- lookups: what a record names must be readable by its author -------------------------------------------

def _readable(ctx: Any, kind: str, row: Any) -> bool:
    return row is not None and POLICY.may_read(ctx, kind, row.audience, row.party)


def _find(ctx: Context, table: type[R], kind: str, code: Code, what: str, ident: str, field: str,
          process: TalksProcess | None = None) -> R:
    """The object of ``table`` a record names: one its author may read (through records of ``kind``), or refused
    exactly as an absent one; inside ``process`` when one is given."""
    row = ctx.session.get(table, ident)
    if not _readable(ctx, kind, row):
        raise NotFound(code, **{what: ident}, field=field)
    assert row is not None
    home = getattr(row, "process", None)
    if process is not None and home != process.id:
        raise Unprocessable(C.WRONG_PROCESS, what=what, ident=ident, other=home, process=process.id, field=field)
    return row


def _process(ctx: Context, pid: str, field: str = "process") -> TalksProcess:
    return _find(ctx, TalksProcess, "talks.process", C.NO_PROCESS, "process", pid, field)


def _actor(ctx: Context, aid: str, field: str, parties: Sequence[str] = (),
           mediators: Sequence[str] = ()) -> TalksActor:
    """An actor the author may read and, in a process, that the negotiators of each of its ``parties`` and
    ``mediators`` may read too: a record names no one the other side cannot look up."""
    a = _find(ctx, TalksActor, "talks.actor", C.NO_ACTOR, "actor", aid, field)
    aud = Audience.parse(a.audience)
    for p in [*parties, *mediators]:
        if not aud.admits(p, "mediator" if p in mediators else "belligerent", frozenset({"negotiator"}), a.party):
            raise Unprocessable(C.ACTOR_UNSEEN, actor=aid, party=p, field=field)
    return a


def _meeting(ctx: Context, mid: str, field: str, process: TalksProcess | None = None) -> TalksMeeting:
    return _find(ctx, TalksMeeting, "talks.meeting", C.NO_MEETING, "meeting", mid, field, process)


def _track(ctx: Context, tid: str, field: str) -> TalksTrack:
    return _find(ctx, TalksTrack, "talks.track", C.NO_TRACK, "track", tid, field)


def _point(ctx: Context, pid: str, field: str, process: TalksProcess | None = None) -> TalksPoint:
    return _find(ctx, TalksPoint, "talks.point", C.NO_POINT, "point", pid, field, process)


def _text(ctx: Context, tid: str, field: str, process: TalksProcess | None = None) -> TalksText:
    return _find(ctx, TalksText, "talks.text", C.NO_TEXT, "text", tid, field, process)


def _party(ctx: Context, slug: str, field: str) -> Party:
    p = ctx.session.get(Party, slug)
    if p is None:
        raise NotFound(spine.NO_PARTY, party=slug, field=field)
    return p


def _json(value: Payload | None) -> str | None:
    return None if value is None else canonical_payload(value.model_dump(mode="json", exclude_defaults=True)).decode()


def _new_id(ctx: Context, ident: str, row: Any, what: str) -> None:
    ids.require_own(ctx, ident, "id", what)
    if row is not None:
        raise Conflict(C.EXISTS, what=what, ident=ident, field="id")


def _member(ctx: Context) -> tuple[str, str]:
    """The author's member id and party: talks records are written by members only."""
    if ctx.author is None or ctx.author_party is None:
        raise Forbidden(C.MEMBERS_ONLY)
    return ctx.author.id, ctx.author_party.slug


def _in_process(ctx: Context, process: TalksProcess) -> tuple[str, str]:
    """The author takes part in the process (a party or a mediator of it), and the record reaches everyone who
    must read it and nobody a narrow channel keeps out."""
    author, party = _member(ctx)
    if not rules.takes_part(ctx, process):
        raise Forbidden(C.NOT_IN_PROCESS, party=party, process=process.id)
    _require_audience(ctx, process.id, process.format, process.party_list, process.mediator_list)
    return author, party


def _require_audience(ctx: Context, process: str, form: str, parties: list[str], mediators: list[str]) -> None:
    aud = ctx.record.audience
    if form != "official_talks":
        readable = " ".join(form.split("_"))
        if not aud.closed:
            raise Unprocessable(C.NARROW_CLOSED, format=readable, field="audience")
        allowed = {ONLY, *(f"party:{p}/negotiator" for p in [*parties, *mediators])}
        for t in aud.tokens:
            if t not in allowed:
                raise Unprocessable(C.NARROW_TOKEN, format=readable, token=t, field="audience")
    for p in [*parties, *mediators]:
        kind = "mediator" if p in mediators else "belligerent"
        if not aud.admits(p, kind, frozenset({"negotiator"}), ctx.record.party):
            raise Unprocessable(C.AUDIENCE_PARTY, party=p, process=process, field="audience")


def _open_process(process: TalksProcess) -> None:
    if process.status == "ended":
        raise Conflict(C.STATUS_ENDED, process=process.id, field="process")


# --- apply functions -----------------------------------------------------------------------------------------

def apply_process(ctx: Context) -> None:
    p: ProcessOpen = ctx.payload
    author, party = _member(ctx)
    _new_id(ctx, p.id, ctx.session.get(TalksProcess, p.id), "process")
    for i, slug in enumerate(p.parties):
        if _party(ctx, slug, f"parties.{i}").kind != "belligerent":
            raise Unprocessable(C.NOT_BELLIGERENT, party=slug, field=f"parties.{i}")
    for i, slug in enumerate(p.mediators):
        if _party(ctx, slug, f"mediators.{i}").kind != "mediator":
            raise Unprocessable(C.NOT_MEDIATOR, party=slug, field=f"mediators.{i}")
    if party not in p.parties and party not in p.mediators:
        raise Forbidden(C.PROCESS_WHO)
    _require_audience(ctx, p.id, p.format, p.parties, p.mediators)
    for i, m in enumerate(p.intermediaries):
        _actor(ctx, m.actor, f"intermediaries.{i}.actor", p.parties, p.mediators)
        if m.acting_for is not None and m.acting_for not in (*p.parties, *p.mediators):
            raise Unprocessable(C.DELEGATION_PARTY, party=m.acting_for, field=f"intermediaries.{i}.acting_for")
    audience = ctx.record.audience.text()
    ctx.session.add(TalksProcess(
        id=p.id, idx=ctx.idx, title=p.title, format=p.format, parties=",".join(p.parties),
        mediators=",".join(p.mediators),
        intermediaries=json.dumps([m.model_dump(mode="json") for m in p.intermediaries], ensure_ascii=False),
        authorisation=p.authorisation, started_on=p.started_on, status=p.status, source=_json(p.source), note=p.note,
        author=author, party=party, audience=audience, updated_idx=ctx.idx))
    ctx.session.flush()
    ctx.session.add(TalksStatus(idx=ctx.idx, process=p.id, status=p.status, since=p.started_on, reason="",
                                source=_json(p.source), at=ctx.record.when, author=author, party=party,
                                audience=audience))


def apply_status(ctx: Context) -> None:
    p: ProcessStatus = ctx.payload
    proc = _process(ctx, p.process)
    author, party = _in_process(ctx, proc)
    _open_process(proc)
    if p.status == proc.status:
        raise Conflict(C.STATUS_SAME, process=proc.id, status=p.status, field="status")
    if p.status == "resumed" and proc.status not in ("paused", "frozen"):
        raise Conflict(C.RESUME_ACTIVE, field="status")
    proc.status, proc.updated_idx = p.status, ctx.idx
    ctx.session.add(TalksStatus(idx=ctx.idx, process=proc.id, status=p.status, since=p.since, reason=p.reason,
                                source=_json(p.source), at=ctx.record.when, author=author, party=party,
                                audience=ctx.record.audience.text()))


def name_keys(names: list[str]) -> set[str]:
    """The phonetic key of every word of every name (``parley.spelling.phonetic``)."""
    return {k for n in names for w in clean(n).split() if len(k := phonetic(w)) >= 2}


def apply_actor(ctx: Context) -> None:
    p: ActorRegister = ctx.payload
    author, party = _member(ctx)
    if not rules.writes_talks(ctx):
        raise Forbidden(C.MEMBERS_ONLY)
    _new_id(ctx, p.id, ctx.session.get(TalksActor, p.id), "actor")
    if p.acts_for is not None:
        _party(ctx, p.acts_for, "acts_for")
    ctx.session.add(TalksActor(id=p.id, idx=ctx.idx, names=json.dumps(p.names, ensure_ascii=False),
                               acts_for=p.acts_for, body=p.body, title=p.title, note=p.note, source=_json(p.source),
                               author=author, party=party, audience=ctx.record.audience.text()))
    ctx.session.flush()
    for key in sorted(name_keys(p.names)):
        ctx.session.add(TalksActorKey(actor=p.id, key=key))


def _delegations(ctx: Context, proc: TalksProcess, delegations: list[Delegation], field: str) -> str:
    seen = set()
    for i, d in enumerate(delegations):
        if d.party not in proc.members or d.party in seen:
            raise Unprocessable(C.DELEGATION_PARTY, party=d.party, field=f"{field}.{i}.party")
        seen.add(d.party)
        for j, a in enumerate([*([d.head] if d.head else []), *d.members]):
            where = f"{field}.{i}.head" if d.head and j == 0 else f"{field}.{i}.members"
            actor = _actor(ctx, a, where, proc.party_list, proc.mediator_list)
            if actor.acts_for is not None and actor.acts_for != d.party:
                raise Unprocessable(C.ACTOR_PARTY, actor=a, other=actor.acts_for, party=d.party, field=where)
    return json.dumps([d.model_dump(mode="json") for d in delegations], ensure_ascii=False)


def _not_future(ctx: Context, t: datetime | None, field: str) -> datetime | None:
    if t is None:
        return None
    t = t.astimezone(UTC)
    if t > ctx.record.when + FUTURE_SLACK:
        raise Unprocessable(C.HELD_IN_FUTURE, start=f"{t:%Y-%m-%d %H:%M}Z", field=field)
    return t


def apply_meeting(ctx: Context) -> None:
    p: MeetingRecord = ctx.payload
    proc = _process(ctx, p.process)
    author, party = _in_process(ctx, proc)
    _open_process(proc)
    _new_id(ctx, p.id, ctx.session.get(TalksMeeting, p.id), "meeting")
    delegations = _delegations(ctx, proc, p.delegations, "delegations")
    for i, a in enumerate(p.participants):
        _actor(ctx, a, f"participants.{i}", proc.party_list, proc.mediator_list)
    actual = _not_future(ctx, p.actual_start, "actual_start") if p.status == "held" else None
    least, stated = _duration(p.duration_minutes)
    ctx.session.add(TalksMeeting(
        id=p.id, idx=ctx.idx, process=proc.id, kind=p.kind, number=p.number, title=p.title, status=p.status,
        venue=_json(p.venue), scheduled_start=p.scheduled_start.astimezone(UTC) if p.scheduled_start else None,
        scheduled_note=p.scheduled_note, actual_start=actual, duration_minutes=least,
        duration_figure=stated, duration_note=p.duration_note, time_zone=p.time_zone, format=p.format,
        delegations=delegations, participants=",".join(p.participants), note=p.note, source=_json(p.source),
        author=author, party=party, audience=ctx.record.audience.text(), updated_idx=ctx.idx))
    proc.updated_idx = ctx.idx


def _duration(v: int | Figure | None) -> tuple[int | None, str | None]:
    """A meeting's duration as its columns: the least it allows in minutes, and the figure as stated."""
    return to_columns(as_figure(v)) if v is not None else (None, None)


def _shown(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return v


def apply_meeting_update(ctx: Context) -> None:
    p: MeetingUpdate = ctx.payload
    m = _meeting(ctx, p.meeting, "meeting")
    proc = _process(ctx, m.process)
    author, party = _in_process(ctx, proc)
    _open_process(proc)
    if m.status == "cancelled":
        raise Conflict(C.MEETING_CLOSED, meeting=m.id, status=m.status, field="meeting")
    changes: dict[str, list[Any]] = {}

    def change(name: str, new: Any) -> None:
        old = getattr(m, name)
        if new != old:
            changes[name] = [_shown(old), _shown(new)]
            setattr(m, name, new)

    status = p.status
    if status is not None and status != m.status:
        if m.status == "held":
            raise Conflict(C.MEETING_CLOSED, meeting=m.id, status=m.status, field="status")
        change("status", status)
    if p.venue is not None:
        change("venue", _json(p.venue))
    if p.scheduled_start is not None:
        change("scheduled_start", p.scheduled_start.astimezone(UTC))
    if p.scheduled_note is not None:
        change("scheduled_note", p.scheduled_note)
    if p.actual_start is not None:
        change("actual_start", _not_future(ctx, p.actual_start, "actual_start"))
    if p.duration_minutes is not None:
        least, stated = _duration(p.duration_minutes)
        change("duration_minutes", least)
        change("duration_figure", stated)
    if p.duration_note is not None:
        change("duration_note", p.duration_note)
    if p.format is not None:
        change("format", p.format)
    if p.delegations is not None:
        change("delegations", _delegations(ctx, proc, p.delegations, "delegations"))
    if m.status == "held" and m.actual_start is None:
        raise Unprocessable(C.HELD_NEEDS_START, field="actual_start")
    if not changes:
        raise Unprocessable(C.NOTHING_CHANGED)
    if "venue" in changes:
        changes["venue"] = [json.loads(v) if v else None for v in changes["venue"]]
    if "delegations" in changes:
        changes["delegations"] = [json.loads(v) for v in changes["delegations"]]
    m.updated_idx = ctx.idx
    ctx.session.add(TalksMeetingChange(idx=ctx.idx, meeting=m.id, changes=json.dumps(changes, ensure_ascii=False),
                                       reason=p.reason, source=_json(p.source), at=ctx.record.when, author=author,
                                       party=party, audience=ctx.record.audience.text()))


def apply_track(ctx: Context) -> None:
    p: TrackOpen = ctx.payload
    proc = _process(ctx, p.process)
    author, party = _in_process(ctx, proc)
    _open_process(proc)
    _new_id(ctx, p.id, ctx.session.get(TalksTrack, p.id), "track")
    ctx.session.add(TalksTrack(id=p.id, idx=ctx.idx, process=proc.id, name=p.name, note=p.note, author=author,
                               party=party, audience=ctx.record.audience.text()))


def _add_text(ctx: Context, point: TalksPoint, body: str, party: str) -> str:
    h = sha256_text(body)
    if ctx.session.get(TalksPointText, (point.id, h)) is None:
        ctx.session.add(TalksPointText(point=point.id, sha256=h, body=body, idx=ctx.idx, party=party,
                                       audience=ctx.record.audience.text()))
    return h


def apply_point(ctx: Context) -> None:
    p: PointOpen = ctx.payload
    track = _track(ctx, p.track, "track")
    proc = _process(ctx, track.process)
    author, party = _in_process(ctx, proc)
    _open_process(proc)
    _new_id(ctx, p.id, ctx.session.get(TalksPoint, p.id), "point")
    point = TalksPoint(id=p.id, idx=ctx.idx, process=proc.id, track=track.id, title=p.title, agreed_sha256=None,
                       agreed_idx=None, author=author, party=party, audience=ctx.record.audience.text(),
                       updated_idx=ctx.idx)
    ctx.session.add(point)
    ctx.session.flush()
    if p.text is not None:
        _add_text(ctx, point, p.text, party)


def apply_position(ctx: Context) -> None:
    p: PositionState = ctx.payload
    point = _point(ctx, p.point, "point")
    proc = _process(ctx, point.process)
    author, party = _member(ctx)
    if not rules.is_party(ctx, proc):
        raise Forbidden(C.POSITION_WHO, process=proc.id, party=party, field="point")
    _in_process(ctx, proc)
    _open_process(proc)
    if p.meeting is not None:
        _meeting(ctx, p.meeting, "meeting", proc)
    if p.text is not None:
        if p.sha256 is not None and p.sha256 != sha256_text(p.text):
            raise Unprocessable(C.TEXT_HASH, sha256=p.sha256, expected=sha256_text(p.text), field="sha256")
        h: str | None = _add_text(ctx, point, p.text, party)
    else:
        h = p.sha256
        if h is not None and ctx.session.get(TalksPointText, (point.id, h)) is None:
            raise Unprocessable(C.UNKNOWN_TEXT, sha256=h, point=point.id, field="sha256")
    audience = ctx.record.audience.text()
    # Nothing in a batch reads the history: its row goes in with the batch's (``Context.stage``). The current
    # positions are read once, updated here, and the agreement computed from them.
    ctx.stage(POSITION, {"idx": ctx.idx, "point": point.id, "party": party, "position": p.position, "sha256": h,
                         "meeting": p.meeting, "note": p.note, "source": _json(p.source), "at": ctx.record.when,
                         "author": author, "audience": audience})
    rows = {c.party: c for c in ctx.session.execute(select(TalksCurrent).where(TalksCurrent.point == point.id))
            .scalars()}
    cur = rows.get(party)
    if cur is None:
        rows[party] = TalksCurrent(point=point.id, party=party, idx=ctx.idx, position=p.position, sha256=h, count=1,
                                   audience=audience)
        ctx.session.add(rows[party])
    else:
        cur.idx, cur.position, cur.sha256, cur.count, cur.audience = ctx.idx, p.position, h, cur.count + 1, audience
    agreed = rules.agreed_text(proc.party_list, {x: (c.position, c.sha256) for x, c in rows.items()})
    if agreed != point.agreed_sha256:
        point.agreed_sha256, point.agreed_idx = agreed, ctx.idx if agreed else None
    point.updated_idx = ctx.idx


def apply_statement(ctx: Context) -> None:
    p: Statement = ctx.payload
    proc = _process(ctx, p.process)
    author, party = _in_process(ctx, proc)
    if p.meeting is not None:
        _meeting(ctx, p.meeting, "meeting", proc)
    if p.point is not None:
        _point(ctx, p.point, "point", proc)
    if p.joint_text is not None:
        t = _text(ctx, p.joint_text, "joint_text", proc)
        if p.joint_version is not None and p.joint_version > t.version:
            raise NotFound(C.NO_TEXT, text=f"{t.id} v{p.joint_version}", field="joint_version")
    if p.speaker is not None:
        _actor(ctx, p.speaker, "speaker", proc.party_list, proc.mediator_list)
    if p.on_behalf is not None:
        _party(ctx, p.on_behalf, "on_behalf")
    src = p.source or Source()
    ctx.session.add(TalksStatement(
        idx=ctx.idx, process=proc.id, meeting=p.meeting, point=p.point, joint_text=p.joint_text,
        joint_version=p.joint_version, type=p.type, speaker=p.speaker, on_behalf=p.on_behalf, text=p.text,
        language=p.language, said_on=p.said_on, source=_json(p.source), source_kind=src.kind,
        confirmation=src.confirmation, at=ctx.record.when, author=author, party=party,
        audience=ctx.record.audience.text()))
    proc.updated_idx = ctx.idx


def apply_text(ctx: Context) -> None:
    p: JointText = ctx.payload
    proc = _process(ctx, p.process)
    author, party = _in_process(ctx, proc)
    _open_process(proc)
    for i, pid in enumerate(p.points):
        _point(ctx, pid, f"points.{i}", proc)
    h = sha256_text(p.body)
    if p.supersedes is None:
        _new_id(ctx, p.id, ctx.session.get(TalksText, p.id), "text")
        text = TalksText(id=p.id, idx=ctx.idx, process=proc.id, title=p.title, version=1, sha256=h,
                         agreed_version=None, author=author, party=party, audience=ctx.record.audience.text(),
                         updated_idx=ctx.idx)
        ctx.session.add(text)
        ctx.session.flush()
    else:
        text = _text(ctx, p.id, "id", proc)
        if p.supersedes != text.version:
            raise Conflict(C.TEXT_NOT_CURRENT, text=text.id, version=text.version + 1, supersedes=p.supersedes,
                           current=text.version, field="supersedes")
        if h == text.sha256:
            raise Conflict(C.TEXT_SAME, text=text.id, version=text.version, field="body")
        text.version, text.sha256, text.title, text.updated_idx = text.version + 1, h, p.title, ctx.idx
    ctx.session.add(TalksTextVersion(text=text.id, version=text.version, idx=ctx.idx, body=p.body, sha256=h,
                                     language=p.language, points=",".join(p.points), note=p.note, at=ctx.record.when,
                                     author=author, party=party, audience=ctx.record.audience.text()))


def apply_signoff(ctx: Context) -> None:
    p: Signoff = ctx.payload
    text = _text(ctx, p.text, "text")
    proc = _process(ctx, text.process)
    author, party = _member(ctx)
    if not rules.is_party(ctx, proc):
        raise Forbidden(C.SIGNOFF_WHO, process=proc.id, party=party, field="text")
    _in_process(ctx, proc)
    _open_process(proc)
    if p.version != text.version:
        raise Conflict(C.SIGNOFF_NOT_CURRENT, text=text.id, version=p.version, current=text.version, field="version")
    if p.sha256 != text.sha256:
        raise Unprocessable(C.SIGNOFF_HASH, sha256=p.sha256, version=p.version, text=text.id, expected=text.sha256,
                            field="sha256")
    if ctx.session.get(TalksSignoff, (text.id, p.version, party)) is not None:
        raise Conflict(C.SIGNED, party=party, version=p.version, text=text.id, field="version")
    if p.meeting is not None:
        _meeting(ctx, p.meeting, "meeting", proc)
    ctx.session.add(TalksSignoff(text=text.id, version=p.version, party=party, sha256=p.sha256, idx=ctx.idx,
                                 meeting=p.meeting, note=p.note, at=ctx.record.when, author=author,
                                 audience=ctx.record.audience.text()))
    ctx.session.flush()
    signed = {s.party: s.sha256 for s in ctx.session.execute(
        select(TalksSignoff).where(TalksSignoff.text == text.id, TalksSignoff.version == p.version)).scalars()}
    if rules.signed_by_all(proc.party_list, signed, text.sha256):
        text.agreed_version = p.version
    text.updated_idx = ctx.idx


def apply_implementation(ctx: Context) -> None:
    p: Implementation = ctx.payload
    point = _point(ctx, p.point, "point")
    proc = _process(ctx, point.process)
    author, party = _member(ctx)
    if not rules.may_assess(ctx, proc):
        raise Forbidden(C.NOT_IN_PROCESS, party=party, process=proc.id)
    _in_process(ctx, proc)
    if point.agreed_sha256 is None:
        raise Conflict(C.NOT_AGREED, point=point.id, field="point")
    seen = set()
    for i, e in enumerate(p.evidence):
        if (e.kind, e.ref) in seen:
            raise Unprocessable(C.EVIDENCE_TWICE, kind=e.kind, ref=e.ref, field=f"evidence.{i}")
        seen.add((e.kind, e.ref))
        if not ctx.sees(e.kind, e.ref):
            raise NotFound(C.NO_EVIDENCE, kind=e.kind, ref=e.ref, field=f"evidence.{i}.ref")
    ctx.session.add(TalksImplementation(
        idx=ctx.idx, point=point.id, level=p.level,
        evidence=json.dumps([e.model_dump(mode="json") for e in p.evidence], ensure_ascii=False), as_of=p.as_of,
        note=p.note, source=_json(p.source), at=ctx.record.when, author=author, party=party,
        audience=ctx.record.audience.text()))
    point.updated_idx = ctx.idx


POSITION: Table = TalksPosition.__table__  # type: ignore[assignment]
W = rules.WRITERS
KINDS: tuple[Kind, ...] = (
    Kind("talks.process", ProcessOpen, apply_process, W, readers=READ),
    Kind("talks.status", ProcessStatus, apply_status, W, readers=READ),
    Kind("talks.actor", ActorRegister, apply_actor, W, readers=READ),
    Kind("talks.meeting", MeetingRecord, apply_meeting, W, readers=READ),
    Kind("talks.meeting_update", MeetingUpdate, apply_meeting_update, W, readers=READ),
    Kind("talks.track", TrackOpen, apply_track, W, readers=READ),
    Kind("talks.point", PointOpen, apply_point, W, readers=READ),
    Kind("talks.position", PositionState, apply_position, W, readers=READ),
    Kind("talks.statement", Statement, apply_statement, W, readers=READ),
    Kind("talks.text", JointText, apply_text, W, readers=READ),
    Kind("talks.signoff", Signoff, apply_signoff, W, readers=READ),
    Kind("talks.implementation", Implementation, apply_implementation, rules.IMPLEMENTERS, readers=READ),
)
KIND = Registry(KINDS)
POLICY = ReadPolicy(KIND)


def _sees(table: Any, kind: str) -> ObjectLookup:
    def lookup(s: Session, who: Any, ident: str) -> bool:
        return _readable(who, kind, s.get(table, ident))
    return lookup


# What other capabilities' records may name (``Context.sees``): an operation names the point it implements.
OBJECTS: dict[str, ObjectLookup] = {"talks.point": _sees(TalksPoint, "talks.point"),
                                    "talks.process": _sees(TalksProcess, "talks.process")}


def audience_for(process: TalksProcess) -> list[str]:
    """The audience a record in ``process`` takes by default: its parties and mediators; for a back channel or a
    military-to-military channel, closed to their negotiators."""
    if process.narrow:
        return [ONLY, *sorted({f"party:{p}/negotiator" for p in process.members})]
    return sorted({f"party:{p}" for p in process.members})


__all__ = ["KINDS", "KIND", "OBJECTS", "POLICY", "audience_for", "sha256_text", "name_keys"]
