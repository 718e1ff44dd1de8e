"""Reading talks as a member may see them: processes and their timeline, actors found by name in any spelling,
meetings and their changes, the points board (each party's current position side by side, the history on
demand), statements and claims with their sources, joint texts with versions, word-level differences and the
sign-off panel, the implementation board, and the PA-X-style export of a process's provisions.

Every row is read through the one read policy (``talks.kinds.POLICY``) with the kind of the record that wrote
it; an object the member may not read does not exist for them (404, the same as an absent one).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from parley.errors import Code, NotFound
from parley.log.models import LogEntry
from parley.parties.principal import Principal
from parley.records import sources
from parley.records.policy import Reader
from parley.spelling import clean, phonetic
from parley.talks import codes as C
from parley.talks import diff as worddiff
from parley.talks import rules
from parley.talks.kinds import POLICY
from parley.talks.models import (
    TalksActor, TalksActorKey, TalksCurrent, TalksImplementation, TalksMeeting, TalksMeetingChange, TalksPoint,
    TalksPointText, TalksPosition, TalksProcess, TalksSignoff, TalksStatement, TalksStatus, TalksText,
    TalksTextVersion, TalksTrack,
)

R = TypeVar("R")
BOARD_PAGE = 200  # points on one page of the board
BOARD_MAX = 2000


def can_read(who: Reader, kind: str, row: Any) -> bool:
    return row is not None and POLICY.may_read(who, kind, row.audience, row.party)


def _readable(who: Reader, kind: str, rows: Any) -> list[Any]:
    return [r for r in rows if POLICY.may_read(who, kind, r.audience, r.party)]


def _one(s: Session, who: Reader, table: type[R], kind: str, code: Code, what: str, ident: str) -> R:
    """The row of ``table`` with id ``ident`` that ``who`` may read (written by records of ``kind``); one it may
    not read does not exist for it."""
    row = s.get(table, ident)
    if not can_read(who, kind, row):
        raise NotFound(code, **{what: ident})
    assert row is not None
    return row


# --- processes --------------------------------------------------------------------------------------------

def processes(s: Session, who: Reader) -> list[TalksProcess]:
    return _readable(who, "talks.process", s.execute(select(TalksProcess).order_by(TalksProcess.idx)).scalars())


def process(s: Session, who: Reader, pid: str) -> TalksProcess:
    return _one(s, who, TalksProcess, "talks.process", C.NO_PROCESS, "process", pid)


def statuses(s: Session, who: Reader, p: TalksProcess) -> list[TalksStatus]:
    return _readable(who, "talks.status", s.execute(
        select(TalksStatus).where(TalksStatus.process == p.id).order_by(TalksStatus.idx)).scalars())


def tracks(s: Session, who: Reader, p: TalksProcess) -> list[TalksTrack]:
    return _readable(who, "talks.track", s.execute(
        select(TalksTrack).where(TalksTrack.process == p.id).order_by(TalksTrack.idx)).scalars())


def track(s: Session, who: Reader, tid: str) -> TalksTrack:
    return _one(s, who, TalksTrack, "talks.track", C.NO_TRACK, "track", tid)


# --- actors -----------------------------------------------------------------------------------------------

def actors(s: Session, who: Reader, q: str = "") -> list[TalksActor]:
    """Actors the member may read; with ``q``, those whose names have every word's key of ``q`` (any script,
    any spelling: "Kovalyov", "Ковальов" and "Kovalev" find the same actor)."""
    stmt = select(TalksActor).order_by(TalksActor.idx)
    keys = {k for w in clean(q).split() if len(k := phonetic(w)) >= 2}
    if q.strip() and not keys:
        return []
    if keys:
        hits = (select(TalksActorKey.actor).where(TalksActorKey.key.in_(keys)).group_by(TalksActorKey.actor)
                .having(func.count() == len(keys)))
        stmt = stmt.where(TalksActor.id.in_(hits))
    return _readable(who, "talks.actor", s.execute(stmt).scalars())


def actor(s: Session, who: Reader, aid: str) -> TalksActor:
    return _one(s, who, TalksActor, "talks.actor", C.NO_ACTOR, "actor", aid)


def actor_names(s: Session, who: Reader, ids: set[str]) -> dict[str, TalksActor]:
    """The actors among ``ids`` the member may read, by id (one query)."""
    if not ids:
        return {}
    rows = s.execute(select(TalksActor).where(TalksActor.id.in_(ids))).scalars()
    return {a.id: a for a in _readable(who, "talks.actor", rows)}


# --- meetings ---------------------------------------------------------------------------------------------

def meetings(s: Session, who: Reader, p: TalksProcess) -> list[TalksMeeting]:
    rows = _readable(who, "talks.meeting", s.execute(
        select(TalksMeeting).where(TalksMeeting.process == p.id)).scalars())
    return sorted(rows, key=lambda m: (_when(m), m.idx))


def _when(m: TalksMeeting) -> datetime:
    """When a meeting starts or started; a meeting with no date yet sorts last."""
    return m.actual_start or m.scheduled_start or datetime.max.replace(tzinfo=UTC)


def meeting(s: Session, who: Reader, mid: str) -> TalksMeeting:
    return _one(s, who, TalksMeeting, "talks.meeting", C.NO_MEETING, "meeting", mid)


def meeting_changes(s: Session, who: Reader, m: TalksMeeting) -> list[TalksMeetingChange]:
    return _readable(who, "talks.meeting_update", s.execute(
        select(TalksMeetingChange).where(TalksMeetingChange.meeting == m.id).order_by(TalksMeetingChange.idx))
        .scalars())


# --- points and positions ---------------------------------------------------------------------------------

@dataclass
class BoardRow:
    point: TalksPoint
    positions: dict[str, Any]  # party -> current position the member may read (a TalksCurrent row's columns)
    agreed: bool  # mutual understanding: every party currently accepts the same text


@dataclass
class Board:
    process: TalksProcess
    parties: list[str]
    rows: list[BoardRow]
    total: int  # points in the process (or track) the member may read, on every page
    offset: int
    limit: int
    texts: dict[tuple[str, str], str] = field(default_factory=dict)  # (point, sha256) -> text, for the shown ones


def board(s: Session, who: Reader, p: TalksProcess, *, track: str | None = None, offset: int = 0,
          limit: int = BOARD_PAGE, texts: bool = True) -> Board:
    """The points board: one page of the process's points (or one track's), each party's current position side by
    side, whether the point reached mutual understanding, and (``texts``) the wordings the positions name."""
    limit = max(1, min(limit, BOARD_MAX))
    where = [TalksPoint.process == p.id, *([TalksPoint.track == track] if track is not None else [])]
    # The policy is asked once per (audience, author party) the points have, and the page cut in SQL: a process of
    # 10⁴ points costs one page's rows, not every row read and checked.
    groups = s.execute(select(TalksPoint.audience, TalksPoint.party).where(*where)
                       .group_by(TalksPoint.audience, TalksPoint.party)).all()
    readable = [and_(TalksPoint.audience == a, TalksPoint.party == party) for a, party in groups
                if POLICY.may_read(who, "talks.point", a, party)]
    if not readable:
        return Board(process=p, parties=p.party_list, rows=[], total=0, offset=offset, limit=limit)
    where.append(or_(*readable))
    total = s.execute(select(func.count()).select_from(TalksPoint).where(*where)).scalar_one()
    page = list(s.execute(select(TalksPoint).where(*where).order_by(TalksPoint.idx).offset(offset).limit(limit))
                .scalars())
    ids = [pt.id for pt in page]
    current: dict[str, dict[str, Any]] = defaultdict(dict)
    seen: dict[tuple[str, str], bool] = {}  # (audience, party) -> may read: rows alike are read alike

    def may(audience: str, party: str) -> bool:
        if (audience, party) not in seen:
            seen[(audience, party)] = POLICY.may_read(who, "talks.position", audience, party)
        return seen[(audience, party)]

    if ids:
        # Plain rows, not ORM objects: a page reads some 600 of them and changes none.
        cols = (TalksCurrent.point, TalksCurrent.party, TalksCurrent.idx, TalksCurrent.position, TalksCurrent.sha256,
                TalksCurrent.count, TalksCurrent.audience)
        for c in s.execute(select(*cols).where(TalksCurrent.point.in_(ids))):
            if may(c.audience, c.party):
                current[c.point][c.party] = c
    out = Board(process=p, parties=p.party_list, rows=[], total=total, offset=offset, limit=limit)
    for pt in page:
        out.rows.append(BoardRow(point=pt, positions=current.get(pt.id, {}), agreed=pt.agreed_sha256 is not None))
    # The wordings the page's current positions and agreements name, not every wording ever proposed.
    named = {(pt.id, h) for pt in page for h in [pt.agreed_sha256, *(c.sha256 for c in current.get(pt.id, {}).values())]
             if h}
    if texts and named:
        hashes = {h for _, h in named}
        cols2 = (TalksPointText.point, TalksPointText.sha256, TalksPointText.body, TalksPointText.audience,
                 TalksPointText.party)
        for t in s.execute(select(*cols2).where(TalksPointText.point.in_(ids), TalksPointText.sha256.in_(hashes))):
            if (t.point, t.sha256) in named and may(t.audience, t.party):
                out.texts[(t.point, t.sha256)] = t.body
    return out


def point(s: Session, who: Reader, pid: str) -> TalksPoint:
    return _one(s, who, TalksPoint, "talks.point", C.NO_POINT, "point", pid)


def positions(s: Session, who: Reader, pt: TalksPoint) -> list[TalksPosition]:
    """Every position stated on the point, oldest first (the history)."""
    return _readable(who, "talks.position", s.execute(
        select(TalksPosition).where(TalksPosition.point == pt.id).order_by(TalksPosition.idx)).scalars())


def point_texts(s: Session, who: Reader, pt: TalksPoint) -> list[TalksPointText]:
    return _readable(who, "talks.position", s.execute(
        select(TalksPointText).where(TalksPointText.point == pt.id).order_by(TalksPointText.idx)).scalars())


def agreed_text(s: Session, who: Reader, pt: TalksPoint) -> str | None:
    if pt.agreed_sha256 is None:
        return None
    t = s.get(TalksPointText, (pt.id, pt.agreed_sha256))
    return t.body if t is not None and can_read(who, "talks.position", t) else None


# --- statements -------------------------------------------------------------------------------------------

def statements(s: Session, who: Reader, p: TalksProcess, *, point: str | None = None,
               meeting: str | None = None) -> list[TalksStatement]:
    q = select(TalksStatement).where(TalksStatement.process == p.id)
    if point is not None:
        q = q.where(TalksStatement.point == point)
    if meeting is not None:
        q = q.where(TalksStatement.meeting == meeting)
    return _readable(who, "talks.statement", s.execute(q.order_by(TalksStatement.idx)).scalars())


def is_hearsay(st: TalksStatement) -> bool:
    """A claim reported from anonymous sources or by the media, not confirmed: never shown as fact."""
    return sources.is_hearsay(st.source_kind, st.confirmation)


# --- joint texts ------------------------------------------------------------------------------------------

def texts(s: Session, who: Reader, p: TalksProcess) -> list[TalksText]:
    return _readable(who, "talks.text", s.execute(
        select(TalksText).where(TalksText.process == p.id).order_by(TalksText.idx)).scalars())


def text(s: Session, who: Reader, tid: str) -> TalksText:
    return _one(s, who, TalksText, "talks.text", C.NO_TEXT, "text", tid)


def versions(s: Session, who: Reader, t: TalksText) -> list[TalksTextVersion]:
    return _readable(who, "talks.text", s.execute(
        select(TalksTextVersion).where(TalksTextVersion.text == t.id).order_by(TalksTextVersion.version)).scalars())


def version(s: Session, who: Reader, t: TalksText, n: int) -> TalksTextVersion:
    v = s.get(TalksTextVersion, (t.id, n))
    if v is None or not POLICY.may_read(who, "talks.text", v.audience, v.party):
        raise NotFound(C.NO_TEXT, text=f"{t.id} v{n}")
    return v


def signoffs(s: Session, who: Reader, t: TalksText) -> list[TalksSignoff]:
    rows = s.execute(select(TalksSignoff).where(TalksSignoff.text == t.id).order_by(TalksSignoff.idx)).scalars()
    return [r for r in rows if POLICY.may_read(who, "talks.signoff", r.audience, r.party)]


@dataclass
class SignoffState:
    party: str
    signed_current: TalksSignoff | None  # its sign-off of the current version
    last: TalksSignoff | None  # its latest sign-off of any version
    changed_since: list[worddiff.Piece] | None  # the current version against the one it last signed


def signoff_panel(s: Session, who: Reader, p: TalksProcess, t: TalksText) -> list[SignoffState]:
    """For each party of the process: has it signed the current version, which version it signed last, and what
    changed since then."""
    rows = signoffs(s, who, t)
    out = []
    current = version(s, who, t, t.version)
    for party in p.party_list:
        mine = [r for r in rows if r.party == party]
        last = mine[-1] if mine else None
        signed = next((r for r in mine if r.version == t.version and r.sha256 == t.sha256), None)
        changed = None
        if last is not None and last.version != t.version:
            changed = worddiff.words(version(s, who, t, last.version).body, current.body)
        out.append(SignoffState(party=party, signed_current=signed, last=last, changed_since=changed))
    return out


def diff(s: Session, who: Reader, t: TalksText, a: int, b: int) -> list[worddiff.Piece]:
    return worddiff.words(version(s, who, t, a).body, version(s, who, t, b).body)


# --- implementation ---------------------------------------------------------------------------------------

def assessments(s: Session, who: Reader, pt: TalksPoint) -> list[TalksImplementation]:
    """Every assessment of the point's implementation, oldest first."""
    return _readable(who, "talks.implementation", s.execute(
        select(TalksImplementation).where(TalksImplementation.point == pt.id).order_by(TalksImplementation.idx))
        .scalars())


@dataclass
class ImplementationRow:
    point: TalksPoint
    track: str
    by_party: dict[str, TalksImplementation]  # party or mediator -> its latest assessment


def implementation_board(s: Session, who: Reader, p: TalksProcess) -> tuple[list[str], list[ImplementationRow]]:
    """The agreed points × each party and mediator that assessed them × its latest level, with evidence."""
    agreed = _readable(who, "talks.point", s.execute(
        select(TalksPoint).where(TalksPoint.process == p.id, TalksPoint.agreed_sha256.is_not(None))
        .order_by(TalksPoint.idx)).scalars())
    latest: dict[str, dict[str, TalksImplementation]] = defaultdict(dict)
    if agreed:
        for r in _readable(who, "talks.implementation", s.execute(
                select(TalksImplementation).where(TalksImplementation.point.in_([pt.id for pt in agreed]))
                .order_by(TalksImplementation.idx)).scalars()):
            latest[r.point][r.party] = r
    assessors = [*p.party_list, *sorted({party for d in latest.values() for party in d} - set(p.party_list))]
    names = {t.id: t.name for t in tracks(s, who, p)}
    return assessors, [ImplementationRow(point=pt, track=names.get(pt.track, pt.track), by_party=latest.get(pt.id, {}))
                       for pt in agreed]


# --- the timeline and the export --------------------------------------------------------------------------

@dataclass
class Event:
    at: datetime
    idx: int
    what: str  # status, meeting, meeting_change, statement, text, signoff, point_agreed
    row: Any


def timeline(s: Session, who: Reader, p: TalksProcess) -> list[Event]:
    """What happened in the process in the order it happened: status changes, meetings (at their start, or when
    they were planned), changes of venue or date, statements (on the day they were said), text versions and
    sign-offs, and points reaching mutual understanding."""
    out: list[Event] = []
    for st in statuses(s, who, p):
        out.append(Event(st.at, st.idx, "status", st))
    for m in meetings(s, who, p):
        out.append(Event(m.actual_start or m.scheduled_start or _record_time(s, m.idx), m.idx, "meeting", m))
        for c in meeting_changes(s, who, m):
            out.append(Event(c.at, c.idx, "meeting_change", c))
    for st2 in statements(s, who, p):
        out.append(Event(st2.at, st2.idx, "statement", st2))
    for t in texts(s, who, p):
        for v in versions(s, who, t):
            out.append(Event(v.at, v.idx, "text", v))
        for so in signoffs(s, who, t):
            out.append(Event(so.at, so.idx, "signoff", so))
    for pt in _readable(who, "talks.point", s.execute(
            select(TalksPoint).where(TalksPoint.process == p.id, TalksPoint.agreed_idx.is_not(None))).scalars()):
        pos = s.get(TalksPosition, pt.agreed_idx)
        if pos is not None and POLICY.may_read(who, "talks.position", pos.audience, pos.party):
            out.append(Event(pos.at, pos.idx, "point_agreed", pt))
    return sorted(out, key=lambda e: (e.at, e.idx))


def _record_time(s: Session, idx: int) -> datetime:
    t = s.execute(select(LogEntry.time).where(LogEntry.idx == idx)).scalar_one()
    return datetime.fromisoformat(t)


STATUS_WORDS = {0: "not started", 1: "minimal", 2: "intermediate", 3: "complete"}


def export_rows(s: Session, who: Reader, p: TalksProcess) -> list[dict[str, Any]]:
    """The process's points coded after the PA-X Peace Agreements Database: one row per provision (point) with
    its agreement (the process), stage, track, the agreed text, whether it is agreed, and each party's latest
    implementation level (Peace Accords Matrix 0-3) side by side."""
    names = {t.id: t.name for t in tracks(s, who, p)}
    assessors, impl = implementation_board(s, who, p)
    by_point = {r.point.id: r for r in impl}
    rows = []
    stage = "implementation" if impl else ("framework" if p.status != "ended" else "ended")
    for pt in _readable(who, "talks.point", s.execute(
            select(TalksPoint).where(TalksPoint.process == p.id).order_by(TalksPoint.idx)).scalars()):
        r = by_point.get(pt.id)
        row: dict[str, Any] = {
            "agreement": p.title, "agreement_id": p.id, "format": p.format, "stage": stage,
            "track": names.get(pt.track, pt.track), "provision_id": pt.id, "provision": pt.title,
            "text": agreed_text(s, who, pt) or "", "status": "agreed" if pt.agreed_sha256 else "not_agreed",
            "agreed_sha256": pt.agreed_sha256 or "",
        }
        for party in assessors:
            a = r.by_party.get(party) if r else None
            row[f"implementation_{party}"] = a.level if a else None
            row[f"evidence_{party}"] = "; ".join(f"{e['kind']}:{e['ref']}" for e in a.evidence_list()) if a else ""
        rows.append(row)
    return rows


def source_of(row: Any) -> dict[str, Any] | None:
    return json.loads(row.source) if getattr(row, "source", None) else None


def may_write(who: Principal, p: TalksProcess) -> bool:
    return rules.may_write(who, p)
