"""Reading operations as a member may see them: audience-filtered lists, the acknowledgement board,
escalations, each side's outcome figures, incidents side by side, the channel, and deconfliction.

Everything here reads the projection tables; nothing writes. Writes go through records (``kinds.py``).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from parley.auth import Principal
from parley.errors import NotFound
from parley.operations import geo
from parley.operations.kinds import ACTIVE, Plan, rules
from parley.operations.models import (
    ChannelMessage, ChannelReceipt, Incident, Operation, OperationAnswer, OperationEvent, OperationVersion,
    OutcomeFigure, Zone,
)
from parley.parties.models import Party
from parley.records import policy


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def can_read(who: Principal, kind: str, row: Any) -> bool:
    """The read policy for a projection row made by records of ``kind``."""
    return policy.may_read(who, kind, row.audience, row.party)


def operations(s: Session, who: Principal, *, status: str | None = None) -> list[Operation]:
    q = select(Operation).order_by(Operation.created_idx.desc())
    if status:
        q = q.where(Operation.status == status)
    return [o for o in s.execute(q).scalars() if can_read(who, "operation.propose", o)]


def operation(s: Session, who: Principal, op_id: str) -> Operation:
    op = s.get(Operation, op_id)
    # An operation the member may not read does not exist for them.
    if op is None or not can_read(who, "operation.propose", op):
        raise NotFound(f"no operation {op_id!r}")
    return op


def versions(s: Session, op: Operation) -> list[OperationVersion]:
    return list(s.execute(select(OperationVersion).where(OperationVersion.operation == op.id)
                          .order_by(OperationVersion.version)).scalars())


def current(s: Session, op: Operation) -> OperationVersion:
    v = s.get(OperationVersion, (op.id, op.version))
    assert v is not None
    return v


def plan_of(v: OperationVersion) -> dict[str, Any]:
    return json.loads(v.plan)


@dataclass
class BoardRow:
    party: str
    state: str  # proposer | acknowledged | declined | counter | awaiting | no_answer
    reason: str = ""
    at: datetime | None = None
    author: str = ""
    late: bool = False
    seconds_left: int | None = None


def board(s: Session, op: Operation, now: datetime | None = None) -> tuple[OperationVersion, list[BoardRow]]:
    """Who has answered the current version, who has not, and how long they have left. Silence past the
    deadline is shown as no answer: never as acknowledgement."""
    now = now or now_utc()
    v = current(s, op)
    answers = {a.party: a for a in s.execute(select(OperationAnswer).where(
        OperationAnswer.operation == op.id, OperationAnswer.version == op.version)).scalars()}
    rows = []
    for p in op.party_list:
        a = answers.get(p)
        if a is not None:
            rows.append(BoardRow(p, a.answer, a.reason, a.at, a.author, a.late))
        elif op.status in ("proposed", "acknowledged"):
            left = int((v.answer_by - now).total_seconds())
            rows.append(BoardRow(p, "awaiting" if left > 0 else "no_answer", seconds_left=max(left, 0)))
        else:
            rows.append(BoardRow(p, "no_answer"))
    return v, rows


@dataclass
class Escalation:
    kind: str  # no_answer | unread_urgent
    operation: str
    title: str
    party: str
    since: datetime
    message: int | None = None


def escalations(s: Session, who: Principal, now: datetime | None = None) -> list[Escalation]:
    """What the mediator must chase: parties silent past their deadline, urgent messages left unread."""
    now = now or now_utc()
    out: list[Escalation] = []
    ops = [o for o in operations(s, who) if o.status in ACTIVE and (who.party == o.mediator or who.is_mediator)]
    for op in ops:
        if op.status == "proposed":
            v, rows = board(s, op, now)
            out += [Escalation("no_answer", op.id, op.title, r.party, v.answer_by) for r in rows
                    if r.state == "no_answer"]
    limit = timedelta(minutes=rules(s)["urgent_read_minutes"])
    for m in s.execute(select(ChannelMessage).where(ChannelMessage.urgent.is_(True),
                                                    ChannelMessage.at < now - limit)).scalars():
        op = s.get(Operation, m.operation)
        if op is None or not (who.party == op.mediator or who.is_mediator):
            continue
        read = set(s.execute(select(ChannelReceipt.party).where(ChannelReceipt.message == m.idx,
                                                                ChannelReceipt.state == "read")).scalars())
        out += [Escalation("unread_urgent", op.id, op.title, p, m.at + limit, m.idx)
                for p in m.recipients.split(",") if p and p not in read]
    return sorted(out, key=lambda e: e.since)


def timeline(s: Session, who: Principal, op: Operation) -> list[OperationEvent]:
    rows = s.execute(select(OperationEvent).where(OperationEvent.operation == op.id)
                     .order_by(OperationEvent.idx, OperationEvent.seq)).scalars()
    return [e for e in rows if can_read(who, "operation.status", e)]


@dataclass
class OutcomeTable:
    parties: list[str]
    rows: list[tuple[str, str, dict[str, int | None], bool]]  # category, destination, figure per party, differ
    totals: dict[str, int]
    reported_at: dict[str, int] = field(default_factory=dict)  # party → record index of its latest report


def outcomes(s: Session, who: Principal, op: Operation) -> OutcomeTable:
    """Each party's latest figures side by side; a difference is shown, never resolved by overwriting."""
    figs = [f for f in s.execute(select(OutcomeFigure).where(OutcomeFigure.operation == op.id)
                                 .order_by(OutcomeFigure.idx, OutcomeFigure.line)).scalars()
            if can_read(who, "operation.outcome", f)]
    latest: dict[str, int] = {}
    for f in figs:
        latest[f.party] = max(latest.get(f.party, -1), f.idx)
    figs = [f for f in figs if f.idx == latest[f.party]]
    parties = sorted(latest)
    cells: dict[tuple[str, str], dict[str, int | None]] = {}
    for f in figs:
        cells.setdefault((f.category, f.destination), {})[f.party] = f.count
    order = ["women", "children", "elderly", "wounded", "other_civilians", "servicemen"]
    rows = []
    for (cat, dest), per in sorted(cells.items(), key=lambda kv: (order.index(kv[0][0]), kv[0][1])):
        full = {p: per.get(p) for p in parties}
        values = {v for v in full.values()}
        rows.append((cat, dest, full, len(values) > 1))
    totals = {p: sum(f.count for f in figs if f.party == p) for p in parties}
    return OutcomeTable(parties, rows, totals, latest)


def incidents(s: Session, who: Principal, *, operation_id: str | None = None) -> list[list[Incident]]:
    """Incidents as groups: the first account, then every other party's account of the same incident."""
    q = select(Incident).order_by(Incident.at.desc(), Incident.idx)
    if operation_id is not None:
        firsts = select(Incident.id).where(Incident.operation == operation_id)
        q = q.where(or_(Incident.operation == operation_id, Incident.account_of.in_(firsts)))
    rows = [i for i in s.execute(q).scalars() if can_read(who, "incident.report", i)]
    groups: dict[str, list[Incident]] = {}
    for i in rows:
        if i.account_of is None:
            groups.setdefault(i.id, []).insert(0, i)
    for i in rows:
        if i.account_of is not None:
            groups.setdefault(i.account_of, []).append(i)
    return list(groups.values())


@dataclass
class Message:
    row: ChannelMessage
    receipts: dict[str, dict[str, datetime]]  # party → state → when
    overdue: bool


def channel(s: Session, who: Principal, op: Operation, now: datetime | None = None) -> list[Message]:
    now = now or now_utc()
    limit = timedelta(minutes=rules(s)["urgent_read_minutes"])
    msgs = [m for m in s.execute(select(ChannelMessage).where(ChannelMessage.operation == op.id)
                                 .order_by(ChannelMessage.idx)).scalars() if can_read(who, "channel.post", m)]
    out = []
    for m in msgs:
        rec: dict[str, dict[str, datetime]] = {}
        for r in s.execute(select(ChannelReceipt).where(ChannelReceipt.message == m.idx)).scalars():
            rec.setdefault(r.party, {})[r.state] = r.at
        unread = [p for p in m.recipients.split(",") if p and "read" not in rec.get(p, {})]
        out.append(Message(m, rec, bool(m.urgent and unread and now - m.at > limit)))
    return out


def unreceipted(s: Session, who: Principal, op: Operation, state: str) -> list[int]:
    """Messages addressed to the member's party that it has not yet given a ``state`` receipt for."""
    out = []
    for m in channel(s, who, op):
        if who.party in m.row.recipients.split(",") and state not in m.receipts.get(who.party, {}):
            out.append(m.row.idx)
    return out


def zones(s: Session, who: Principal, *, include_withdrawn: bool = False) -> list[Zone]:
    q = select(Zone).order_by(Zone.idx.desc())
    if not include_withdrawn:
        q = q.where(Zone.withdrawn_idx.is_(None))
    return [z for z in s.execute(q).scalars() if can_read(who, "zone.declare", z)]


# --- deconfliction ---------------------------------------------------------------------------------

class _ZoneCache:
    """One STRtree per database, rebuilt when a zone is declared or withdrawn."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_engine: dict[int, tuple[tuple[Any, ...], geo.Index, list[Zone]]] = {}

    def get(self, s: Session) -> tuple[geo.Index, list[Zone]]:
        stamp = tuple(s.execute(select(func.max(Zone.idx), func.max(Zone.withdrawn_idx), func.count())).one())
        key = id(s.get_bind())
        with self._lock:
            hit = self._by_engine.get(key)
            if hit and hit[0] == stamp:
                return hit[1], hit[2]
        rows = list(s.execute(select(Zone).where(Zone.withdrawn_idx.is_(None)).order_by(Zone.idx)).scalars())
        for z in rows:
            s.expunge(z)
        index = geo.Index([z.id for z in rows], [geo.from_geojson(json.loads(z.geometry)) for z in rows],
                          [z.valid_from.timestamp() for z in rows], [z.valid_until.timestamp() for z in rows])
        with self._lock:
            self._by_engine[key] = (stamp, index, rows)
        return index, rows


ZONES = _ZoneCache()


@dataclass
class Conflict:
    kind: str  # zone | operation
    id: str
    name: str
    what: str  # zone kind or operation status
    party: str
    overlap_km: float  # length of route inside, or area overlap in km² for areas
    start: datetime
    end: datetime


@dataclass
class Deconfliction:
    conflicts: list[Conflict]
    hidden: int  # conflicts with zones or operations this member may not read (the mediator sees them)


def _overlap(a: Any, b: Any) -> float:
    inter = a.intersection(b)
    if inter.is_empty:
        return 0.0
    return round(geo.area_km2(inter), 3)


def deconflict(s: Session, who: Principal, footprint: Any, start: datetime, end: datetime,
               exclude: str | None = None) -> Deconfliction:
    """Every zone valid during [start, end) and every active operation overlapping in time whose shape
    meets the buffered footprint."""
    index, rows = ZONES.get(s)
    found: list[Conflict] = []
    hidden = 0
    for i in index.query(footprint, start.timestamp(), end.timestamp()):
        z = rows[i]
        if not can_read(who, "zone.declare", z):
            hidden += 1
            continue
        found.append(Conflict("zone", z.id, z.name, z.kind, z.party,
                              _overlap(footprint, index.shapes[i]), z.valid_from, z.valid_until))
    minx, miny, maxx, maxy = footprint.bounds
    q = (select(Operation, OperationVersion).join(OperationVersion, (OperationVersion.operation == Operation.id)
                                                  & (OperationVersion.version == Operation.version))
         .where(Operation.status.in_(ACTIVE), OperationVersion.window_start < end, OperationVersion.window_end > start,
                OperationVersion.min_lon <= maxx, OperationVersion.max_lon >= minx,
                OperationVersion.min_lat <= maxy, OperationVersion.max_lat >= miny))
    for op, v in s.execute(q).all():
        if op.id == exclude:
            continue
        other = geo.from_geojson(json.loads(v.footprint))
        if not other.intersects(footprint):
            continue
        if not can_read(who, "operation.propose", op):
            hidden += 1
            continue
        found.append(Conflict("operation", op.id, op.title, op.status, op.party, _overlap(footprint, other),
                              v.window_start, v.window_end))
    return Deconfliction(found, hidden)


def footprint_of(plan: Plan) -> Any:
    """The buffered shape of a plan, validated as a record would be (geometry errors name the field)."""
    shapes = []
    if plan.route is not None:
        shapes.append(geo.geometry(plan.route, "plan.route", ("LineString",)))
    if plan.area is not None:
        shapes.append(geo.geometry(plan.area, "plan.area", ("Polygon",)))
    base = shapes[0] if len(shapes) == 1 else shapes[0].union(shapes[1])
    return geo.buffer_m(base, plan.buffer_m)


def check_plan(s: Session, who: Principal, plan: Plan, exclude: str | None = None) -> Deconfliction:
    return deconflict(s, who, footprint_of(plan), plan.window.start, plan.window.end, exclude)


def conflicts_of(s: Session, who: Principal, op: Operation) -> Deconfliction:
    v = current(s, op)
    return deconflict(s, who, geo.from_geojson(json.loads(v.footprint)), v.window_start, v.window_end, op.id)


def party_names(s: Session, lang: str = "en") -> dict[str, str]:
    attr = {"uk": Party.name_uk, "ru": Party.name_ru}.get(lang, Party.name_en)
    return dict(s.execute(select(Party.slug, attr)).all())  # type: ignore[arg-type]
