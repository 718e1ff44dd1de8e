"""Reading operations as a member may see them: audience-filtered lists, the acknowledgement board,
escalations, each side's outcome figures, incidents side by side, the channel, and deconfliction.

Everything here reads the projection tables; writes go through records (``kinds.py``). The one exception is
the record of dry-run deconfliction checks (``check_plan``), a local table that bounds and records them.

Deconfliction shows a member only the conflicts it may read: never a count or a hint of the zones and
operations it may not read. A dry-run check could otherwise be asked of any polygon and window until it
located them (122 checks recovered a hidden zone's bounding box and validity). A real proposal that meets
something its proposer may not read tells the proposer that much and no more (``meets_unseen``), and leaves
an alert for that object's owner and the mediators (``alerts``).
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from parley.db import writing
from parley.errors import NotFound, TooManyRequests
from parley.operations import codes as C
from parley.operations import geo, plan_rules
from parley.operations.deconfliction import Hit, meets
from parley.operations.kinds import ACTIVE, CATEGORIES, POLICY, Plan, rules
from parley.operations.models import (
    ChannelMessage, ChannelReceipt, DeclaredCorridor, DeconflictionAlert, DeconflictionCheck, Incident, NoticeWaiver,
    Operation, OperationAnswer, OperationEvent, OperationVersion, OutcomeFigure, OutcomeStatement, StandingChannel,
    Zone,
)
from parley import spelling
from parley.records import figures
from parley.records.figures import Figure, from_columns, of_bounds
from parley.records.sources import Source
from parley.parties.models import Party
from parley.parties.principal import Principal
from parley.records.policy import reads_every_party


def now_utc() -> datetime:
    return datetime.now(UTC)


def can_read(who: Principal, kind: str, row: Any) -> bool:
    """The read policy for a projection row made by records of ``kind``."""
    return POLICY.may_read(who, kind, row.audience, row.party)


def operations(s: Session, who: Principal, *, status: str | None = None) -> list[Operation]:
    q = select(Operation).order_by(Operation.created_idx.desc())
    if status:
        q = q.where(Operation.status == status)
    return [o for o in s.execute(q).scalars() if can_read(who, "operation.propose", o)]


def operation(s: Session, who: Principal, op_id: str) -> Operation:
    op = s.get(Operation, op_id)
    # An operation the member may not read does not exist for them.
    if op is None or not can_read(who, "operation.propose", op):
        raise NotFound(C.NO_OPERATION, operation=op_id)
    return op


def versions(s: Session, op: Operation) -> list[OperationVersion]:
    return list(s.execute(select(OperationVersion).where(OperationVersion.operation == op.id)
                          .order_by(OperationVersion.version)).scalars())


def current(s: Session, op: Operation) -> OperationVersion:
    v = s.get(OperationVersion, (op.id, op.version))
    assert v is not None
    return v


def plan_of(v: OperationVersion) -> dict[str, Any]:
    """A version's plan as stored, read the same whether it was signed before or after plans had several
    destinations and categories: ``destinations``, every category expected, ``co_mediators``."""
    plan = json.loads(v.plan)
    if "destinations" not in plan and "destination" in plan:
        plan["destinations"] = [plan.pop("destination")]
    plan["expected"] = {c: (plan.get("expected") or {}).get(c, 0) for c in CATEGORIES}
    plan.setdefault("co_mediators", [])
    return plan


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
            state, left = plan_rules.unanswered(v.answer_by, now)
            rows.append(BoardRow(p, state, seconds_left=left))
        else:
            rows.append(BoardRow(p, "no_answer"))
    return v, rows


@dataclass
class Escalation:
    kind: str  # no_answer | unread_urgent | unseen_conflict
    operation: str | None  # None: a standing channel's message (``channel``)
    title: str
    party: str
    since: datetime
    message: int | None = None
    channel: str | None = None


def escalations(s: Session, who: Principal, now: datetime | None = None) -> list[Escalation]:
    """What the mediator must chase: parties silent past their deadline, urgent messages left unread."""
    now = now or now_utc()
    out: list[Escalation] = []
    ops = [o for o in operations(s, who) if o.status in ACTIVE and (who.party in o.mediator_list or who.is_mediator)]
    for op in ops:
        if op.status == "proposed":
            v, rows = board(s, op, now)
            out += [Escalation("no_answer", op.id, op.title, r.party, v.answer_by) for r in rows
                    if r.state == "no_answer"]
    limit = timedelta(minutes=rules(s)["urgent_read_minutes"])
    for m in s.execute(select(ChannelMessage).where(ChannelMessage.urgent.is_(True),
                                                    ChannelMessage.at < now - limit)).scalars():
        read = set(s.execute(select(ChannelReceipt.party).where(ChannelReceipt.message == m.idx,
                                                                ChannelReceipt.state == "read")).scalars())
        unread = [p for p in m.recipients.split(",") if p and p not in read]
        if m.channel is not None:
            ch = s.get(StandingChannel, m.channel)
            if ch is not None and unread and escalates_to(who, ch) and can_read(who, "channel.open", ch):
                wait = timedelta(minutes=ch.urgent_read_minutes) if ch.urgent_read_minutes else limit
                if m.at + wait <= now:
                    out += [Escalation("unread_urgent", None, ch.title, p, m.at + wait, m.idx, ch.id) for p in unread]
            continue
        about = s.get(Operation, m.operation)
        if about is None or not (who.party in about.mediator_list or who.is_mediator):
            continue
        out += [Escalation("unread_urgent", about.id, about.title, p, m.at + limit, m.idx) for p in unread]
    # The current version of an operation it organises meets a zone or an operation a party may not read.
    for op in ops:
        seen: set[str] = set()
        for a in s.execute(select(DeconflictionAlert).where(DeconflictionAlert.operation == op.id,
                                                            DeconflictionAlert.version == op.version)
                           .order_by(DeconflictionAlert.seq)).scalars():
            if a.owner not in seen and may_read_alert(who, a):
                seen.add(a.owner)
                out.append(Escalation("unseen_conflict", op.id, op.title, a.owner, a.at))
    return sorted(out, key=lambda e: e.since)


def timeline(s: Session, who: Principal, op: Operation) -> list[OperationEvent]:
    """The operation's events in the order they happened (a movement at the time it says), then in log order."""
    rows = s.execute(select(OperationEvent).where(OperationEvent.operation == op.id)
                     .order_by(OperationEvent.at, OperationEvent.idx, OperationEvent.seq)).scalars()
    return [e for e in rows if can_read(who, "operation.status", e)]


# The notes the log's own timeline events carry (``operations.kinds`` writes them), by event: a code and its
# parameters, for a page or a client to word in its reader's language.
_OWN_NOTES: dict[str, tuple[re.Pattern[str], str]] = {
    "proposed": (re.compile(r"version (?P<version>\d+)"), "version"),
    "revised": (re.compile(r"version (?P<version>\d+)"), "version"),
    "acknowledged": (re.compile(r"version (?P<version>\d+) acknowledged by every party concerned"),
                     "acknowledged_version"),
    "outcome_reported": (re.compile(r"(?P<n>\d+) persons"), "persons_moved"),
    "incident": (re.compile(r"(?P<type>[a-z_]+): (?P<id>\S+)"), "incident"),
}


def event_note(e: OperationEvent) -> tuple[str, dict[str, Any]]:
    """What a timeline event's note says: ``("version", {"version": 2})``,
    ``("acknowledged_version", {"version": 2})``, ``("persons_moved", {"n": 41})``,
    ``("incident", {"type": "shelling", "id": …})`` for the events the log writes itself, and
    ``("text", {"text": note})`` for a note as its author wrote it (a reason, a movement's note)."""
    own = _OWN_NOTES.get(e.event)
    m = own[0].fullmatch(e.note or "") if own else None
    if own is None or m is None:
        return "text", {"text": e.note or ""}
    return own[1], {k: int(v) if v.isdigit() else v for k, v in m.groupdict().items()}


@dataclass
class Statement:
    """One party's outcome record: its figures by category and destination, the total as stated, its source."""

    idx: int
    party: str
    author: str
    at: datetime
    source: Source | None
    stated_total: Figure | None
    note: str
    cells: dict[tuple[str, str], Figure] = field(default_factory=dict)

    @property
    def rows_sum(self) -> Figure | None:
        """What its rows add up to (exact only if every row is), None without rows."""
        if not self.cells:
            return None
        return of_bounds(figures.total([f.bounds() for f in self.cells.values()]))

    def category(self, cat: str) -> Figure | None:
        """Its figures for ``cat`` over every destination, None if it states none."""
        found = [f.bounds() for (c, _), f in self.cells.items() if c == cat]
        return of_bounds(figures.total(found)) if found else None


@dataclass
class OutcomeTable:
    """Every stated figure, one column per statement (several from one party stand side by side), one row per
    category and destination; where a category's figures name several destinations (or one names none), a row of
    the category over every destination (destination None) compares them. A row or the stated totals ``differ``
    when two of its figures allow no common number: "more than 250" beside 264 does not differ, 52 beside 53
    does."""

    statements: list[Statement]
    rows: list[tuple[str, str | None, list[Figure | None], bool]]  # category, destination, per statement, differ
    totals_differ: bool

    @property
    def parties(self) -> list[str]:
        return sorted({st.party for st in self.statements})


def _differ(figs: list[Figure]) -> bool:
    bounds = [f.bounds() for f in figs]
    return any(not a.overlaps(b) for i, a in enumerate(bounds) for b in bounds[i + 1:])


def outcomes(s: Session, who: Principal, op: Operation) -> OutcomeTable:
    """Every party's every statement of figures, side by side; a difference is shown, never resolved by
    overwriting, and a later statement does not hide an earlier one."""
    statements = {st.idx: Statement(st.idx, st.party, st.author, st.at,
                                    Source.model_validate_json(st.source) if st.source else None,
                                    Figure.model_validate_json(st.total) if st.total else None, st.note)
                  for st in s.execute(select(OutcomeStatement).where(OutcomeStatement.operation == op.id))
                  .scalars() if can_read(who, "operation.outcome", st)}
    rows_of = [f for f in s.execute(select(OutcomeFigure).where(OutcomeFigure.operation == op.id)
                                    .order_by(OutcomeFigure.idx, OutcomeFigure.line)).scalars()
               if f.idx in statements]
    # One row per place however each side spells it (Новоазовск, Novoazovsk; Еленовка, Yelenovka, Olenivka):
    # the registry's phonetic keys, shown in the plan's spelling when it names the place, else in Latin letters.
    plan = plan_of(current(s, op))
    named = [d["name"].split(" (")[0] for d in plan["destinations"]]
    written: dict[str, str] = {}
    for name in [*named, *sorted((f.destination for f in rows_of), key=lambda d: spelling.script(d) != "lat")]:
        written.setdefault(place_key(name), name)
    for f in rows_of:
        st = statements[f.idx]
        key = (f.category, written[place_key(f.destination)] if f.destination else "")
        fig = from_columns(f.count, f.figure)
        assert fig is not None
        before = st.cells.get(key)
        st.cells[key] = fig if before is None else of_bounds(before.bounds() + fig.bounds())
    ordered = sorted(statements.values(), key=lambda st: (st.party, st.at, st.idx))
    keys = sorted({k for st in ordered for k in st.cells},
                  key=lambda k: (CATEGORIES.index(k[0]) if k[0] in CATEGORIES else len(CATEGORIES), k[1]))
    rows: list[tuple[str, str | None, list[Figure | None], bool]] = []
    for i, (cat, dest) in enumerate(keys):
        per = [st.cells.get((cat, dest)) for st in ordered]
        rows.append((cat, dest, per, _differ([f for f in per if f is not None])))
        last = i + 1 == len(keys) or keys[i + 1][0] != cat
        of_cat = [k for k in keys if k[0] == cat]
        if last and len(of_cat) > 1:
            every = [st.category(cat) for st in ordered]
            rows.append((cat, None, every, _differ([f for f in every if f is not None])))
    return OutcomeTable(ordered, rows, _differ([st.stated_total for st in ordered if st.stated_total is not None]))


def place_key(name: str) -> str:
    """A place's name as the registry's matcher keys a name: the same in Cyrillic and Latin, in Ukrainian and
    Russian forms (Оленівка, Еленовка, Olenivka, Yelenovka)."""
    words = spelling.clean(name).split()
    return " ".join(spelling.phonetic(w) or w for w in words) or name.strip().lower()


def corridors(s: Session, who: Principal) -> list[DeclaredCorridor]:
    """Corridors one side declared on its own, newest first."""
    return [c for c in s.execute(select(DeclaredCorridor).order_by(DeclaredCorridor.idx.desc())).scalars()
            if can_read(who, "corridor.declare", c)]


def waivers(s: Session, who: Principal, op: Operation) -> list[NoticeWaiver]:
    """The parties' signed waivers of the notice for ``op``."""
    return [w for w in s.execute(select(NoticeWaiver).where(NoticeWaiver.operation == op.id)
                                 .order_by(NoticeWaiver.idx)).scalars() if can_read(who, "operation.waiver", w)]


def casualty(i: Incident, which: str) -> Figure | None:
    """An incident's killed or wounded as stated: the figure, the exact count, or None when not known."""
    return from_columns(getattr(i, which), getattr(i, f"{which}_figure"))


def source_of(row: Any) -> Source | None:
    """The source a row keeps (an incident's, a movement's), if any."""
    text = getattr(row, "source", None)
    return Source.model_validate_json(text) if text else None


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
    return _messages(s, who, select(ChannelMessage).where(ChannelMessage.operation == op.id), now, limit)


def escalates_to(who: Principal, ch: StandingChannel) -> bool:
    """Whom an unread urgent message of a standing channel is escalated to: its mediator's members; with no
    mediator, the designated members of the parties (the sender's side learns its message was not read)."""
    if ch.mediator is not None:
        return who.party == ch.mediator
    return who.member in ch.member_list


def standing_channels(s: Session, who: Principal) -> list[StandingChannel]:
    return [c for c in s.execute(select(StandingChannel).order_by(StandingChannel.idx)).scalars()
            if can_read(who, "channel.open", c)]


def standing_channel(s: Session, who: Principal, cid: str) -> StandingChannel:
    ch = s.get(StandingChannel, cid)
    if ch is None or not can_read(who, "channel.open", ch):
        raise NotFound(C.NO_CHANNEL, channel=cid)
    return ch


def standing_messages(s: Session, who: Principal, ch: StandingChannel, now: datetime | None = None) -> list[Message]:
    now = now or now_utc()
    minutes = ch.urgent_read_minutes or rules(s)["urgent_read_minutes"]
    return _messages(s, who, select(ChannelMessage).where(ChannelMessage.channel == ch.id), now,
                     timedelta(minutes=minutes))


def _messages(s: Session, who: Principal, q: Any, now: datetime, limit: timedelta) -> list[Message]:
    msgs = [m for m in s.execute(q.order_by(ChannelMessage.idx)).scalars() if can_read(who, "channel.post", m)]
    out = []
    for m in msgs:
        rec: dict[str, dict[str, datetime]] = {}
        for r in s.execute(select(ChannelReceipt).where(ChannelReceipt.message == m.idx)).scalars():
            rec.setdefault(r.party, {})[r.state] = r.at
        unread = [p for p in m.recipients.split(",") if p and "read" not in rec.get(p, {})]
        out.append(Message(m, rec, bool(m.urgent and unread and now - m.at > limit)))
    return out


def unreceipted_standing(s: Session, who: Principal, ch: StandingChannel, state: str) -> list[int]:
    """Messages of a standing channel addressed to the member's party, not yet given a ``state`` receipt, when the
    member is one of its designated members (who alone receipt for their party)."""
    if who.member not in ch.member_list:
        return []
    return [m.row.idx for m in standing_messages(s, who, ch)
            if who.party in m.row.recipients.split(",") and state not in m.receipts.get(who.party, {})]


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
    overlap_km: float  # area of the footprint's overlap, in km²
    start: datetime
    end: datetime


@dataclass
class Deconfliction:
    """The conflicts a member may read, and nothing about the others."""

    conflicts: list[Conflict]


def _hits(s: Session, footprint: Any, start: datetime, end: datetime, exclude: str | None) -> list[Hit]:
    return meets(s, footprint, start, end, exclude, index=ZONES.get(s))


def _readable(who: Principal, h: Hit) -> bool:
    return POLICY.may_read(who, h.record_kind, h.audience, h.party)


def _shown(who: Principal, hits: list[Hit]) -> Deconfliction:
    return Deconfliction([Conflict(h.kind, h.id, h.name, h.what, h.party, h.overlap_km2, h.start, h.end)
                          for h in hits if _readable(who, h)])


def deconflict(s: Session, who: Principal, footprint: Any, start: datetime, end: datetime,
               exclude: str | None = None) -> Deconfliction:
    """The zones valid during [start, end) and the active operations overlapping in time whose shape meets the
    buffered footprint, those ``who`` may read only."""
    return _shown(who, _hits(s, footprint, start, end, exclude))


def footprint_of(plan: Plan) -> Any:
    """The buffered shape of a plan, validated as a record would be (geometry errors name the field)."""
    shapes = []
    if plan.route is not None:
        shapes.append(geo.geometry(plan.route, "plan.route", ("LineString",)))
    if plan.area is not None:
        shapes.append(geo.geometry(plan.area, "plan.area", ("Polygon",)))
    base = shapes[0] if len(shapes) == 1 else shapes[0].union(shapes[1])
    return geo.buffer_m(base, plan.buffer_m)


# Dry-run checks per member and hour. A real proposal is always checked, whatever the count.
CHECK_LIMIT, CHECK_WINDOW = 30, timedelta(hours=1)


def checks_used(s: Session, who: Principal, now: datetime, *, refused: bool = False) -> int:
    """The member's checks answered (or, with ``refused``, refused) in the last ``CHECK_WINDOW``."""
    return s.scalar(select(func.count()).select_from(DeconflictionCheck).where(
        DeconflictionCheck.member == who.member, DeconflictionCheck.at > now - CHECK_WINDOW,
        DeconflictionCheck.refused.is_(refused))) or 0


def _too_many() -> TooManyRequests:
    return TooManyRequests(C.CHECKS_LIMIT, limit=CHECK_LIMIT, field="plan")


def check_plan(sessions: sessionmaker, s: Session, who: Principal, plan: Plan, exclude: str | None = None,
               now: datetime | None = None) -> Deconfliction:
    """A dry-run check of a plan before proposing it: the conflicts ``who`` may read. Every check is recorded
    (``DeconflictionCheck``: who, when, the footprint's bounding box, the window, how many conflicts were shown
    and how many were not) and at most ``CHECK_LIMIT`` an hour are answered per member (``TooManyRequests``
    beyond; refused checks are recorded too, up to ``CHECK_LIMIT`` of them an hour)."""
    now = now or now_utc()
    footprint = footprint_of(plan)
    start, end = plan.window.start.astimezone(UTC), plan.window.end.astimezone(UTC)
    minx, miny, maxx, maxy = footprint.bounds
    row = dict(member=who.member, party=who.party, at=now, min_lon=minx, min_lat=miny, max_lon=maxx, max_lat=maxy,
               window_start=start, window_end=end, operation=exclude[:64] if exclude else None)
    # Nothing is computed for a check beyond the limit; the count is taken again where the check is recorded,
    # since another request of the same member may have come in between.
    hits = _hits(s, footprint, start, end, exclude) if checks_used(s, who, now) < CHECK_LIMIT else None
    shown = _shown(who, hits) if hits is not None else Deconfliction([])
    with writing(sessions) as w:
        refused = hits is None or checks_used(w, who, now) >= CHECK_LIMIT
        counts = {} if refused or hits is None else {"shown": len(shown.conflicts),
                                                     "unseen": len(hits) - len(shown.conflicts)}
        # Refused checks are recorded too, up to as many again an hour: beyond that the member is only
        # hammering, and each further row would cost the server more than the member.
        if not refused or checks_used(w, who, now, refused=True) < CHECK_LIMIT:
            w.add(DeconflictionCheck(**row, refused=refused, **counts))
    if refused:
        raise _too_many()
    return shown


def checks(s: Session, who: Principal, *, limit: int = 500) -> list[DeconflictionCheck]:
    """The recorded dry-run checks: every member's for a mediator's members (who read every zone and operation),
    one's own otherwise."""
    q = select(DeconflictionCheck).order_by(DeconflictionCheck.id.desc()).limit(limit)
    if not reads_every_party(who):
        q = q.where(DeconflictionCheck.member == who.member)
    return list(s.execute(q).scalars())


def conflicts_of(s: Session, who: Principal, op: Operation) -> Deconfliction:
    """The conflicts of an operation's current version that ``who`` may read (its footprint is the signed
    proposal's, so nothing can be probed through it)."""
    v = current(s, op)
    return deconflict(s, who, geo.from_geojson(json.loads(v.footprint)), v.window_start, v.window_end, op.id)


# --- alerts: what a real proposal met that its proposer may not read ---------------------------------

UNSEEN_NOTICE = "The plan meets a zone or an operation you cannot see; the mediator has been told."


def may_read_alert(who: Principal, a: DeconflictionAlert) -> bool:
    """An alert is read, through the read policy, by the party the zone or operation belongs to and the
    mediators; never by the proposer's party (unless it is the owner, which it then reads anyway)."""
    return POLICY.may_read(who, "operation.propose", a.audience, a.owner)


def meets_unseen(s: Session, who: Principal, op: Operation, version: int) -> bool | None:
    """The one bit a proposal gives its proposer: did ``version`` meet a zone or an operation the proposing
    party may not read? ``None`` unless ``who`` belongs to the party that proposed that version."""
    v = s.get(OperationVersion, (op.id, version))
    if v is None or v.party != who.party:
        return None
    return s.scalar(select(func.count()).select_from(DeconflictionAlert).where(
        DeconflictionAlert.operation == op.id, DeconflictionAlert.version == version)) != 0


def unseen_at(s: Session, idx: int) -> bool:
    """Did the proposal recorded at ``idx`` meet something its proposer may not read? (The proposer's bit.)"""
    return s.scalar(select(func.count()).select_from(DeconflictionAlert).where(DeconflictionAlert.idx == idx)) != 0


@dataclass
class Alert:
    row: DeconflictionAlert
    target_name: str  # the zone's or operation's name
    operation: Operation | None  # the proposal's operation, when the reader may read it


def alerts(s: Session, who: Principal, *, operation_id: str | None = None, target: str | None = None,
           limit: int = 500) -> list[Alert]:
    """The alerts ``who`` may read, newest first: each names the owner's zone or operation that a proposal
    met (to the members who read that zone or operation, and the mediators), and the proposal's operation only
    to a reader that may read it."""
    q = select(DeconflictionAlert).order_by(DeconflictionAlert.idx.desc(), DeconflictionAlert.seq)
    if operation_id is not None:
        q = q.where(DeconflictionAlert.operation == operation_id)
    if target is not None:
        q = q.where(DeconflictionAlert.target == target)
    out: list[Alert] = []
    for a in s.execute(q).scalars():
        if not may_read_alert(who, a):
            continue
        # Within the owner's party, only the members who read the zone or operation met read of it.
        met: Zone | Operation | None
        if a.target_kind == "zone":
            met = s.get(Zone, a.target)
            readable = met is not None and can_read(who, "zone.declare", met)
        else:
            met = s.get(Operation, a.target)
            readable = met is not None and can_read(who, "operation.propose", met)
        if not readable or met is None:
            continue
        name = met.name if isinstance(met, Zone) else met.title
        op = s.get(Operation, a.operation)
        out.append(Alert(a, name, op if op is not None and can_read(who, "operation.propose", op) else None))
        if len(out) >= limit:
            break
    return out


def party_names(s: Session, lang: str = "en") -> dict[str, str]:
    attr = {"uk": Party.name_uk, "ru": Party.name_ru}.get(lang, Party.name_en)
    return dict(s.execute(select(Party.slug, attr)).all())  # type: ignore[arg-type]
