"""HTTP API of operations, zones, incidents and liaison channels.

Reads are filtered by audience. Every write is a record signed with the caller's custodial key and
appended through the pipeline (``submit_as``); members holding their own keys sign the same
payloads themselves and post them to ``/api/records``.

Deconfliction answers with the conflicts the caller may read, nothing about the others. Dry-run checks are
recorded and limited per member (429 beyond); a proposal that meets something its proposer may not read
answers ``unseen_conflict: true`` and nothing more, and the owner and the mediators read the alert
(``/api/deconfliction/alerts``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from parley.apischema import READ, ReceiptBody, body_schema, refusals, written
from parley.apischema import answer as json_answer
from parley.auth import CurrentPrincipal, CurrentRuntime, DbSession, Principal
from parley.db import MAX_DB_INT
from parley.errors import NotFound, ParleyError
from parley.operations import codes as C
from parley.operations import kinds as k
from parley.operations import rules
from parley.operations import service as svc
from parley.operations.geo import time_zone_at, to_geojson
from parley.records.figures import Figure
from parley.records.figures import words as figure_words
from parley.records.ids import new_id
from parley.records.kinds import parse_payload
from parley.records.pipeline import Receipt
from parley.records.sources import Source
from parley.submit import submit_as, submit_as_async

router = APIRouter(prefix="/api", tags=["operations"])

Audience = Annotated[list[str] | None, Field(min_length=1, max_length=64)]
# Bodies taken as objects and checked by their record kind (``kinds.py``), described by the kind's payload
# without the fields the route fills in.
PlanObject = Annotated[dict[str, Any], Field(json_schema_extra=body_schema(k.Plan))]
MOVEMENT = body_schema(k.OperationMovement, drop=("operation",))
OUTCOME = body_schema(k.OutcomeReport, drop=("operation",))
WITHDRAW = body_schema(k.ZoneWithdraw, drop=("id",))
RULES = body_schema(k.RulesSet)
# A dry run is refused as a write is, without a record's conflicts; beyond the hourly limit, 429.
WRITE_REFUSALS = (400, 401, 403, 404, 413, 422, 503)


# --- what the routes answer (the OpenAPI description; the handlers build the same shapes as dicts) ----------

class Window(BaseModel):
    start: str | None
    end: str | None


class BoardRowOut(BaseModel):
    party: str
    state: str  # proposer, acknowledged, declined, counter, awaiting or no_answer
    reason: str
    at: str | None
    late: bool
    seconds_left: int | None


class CoMediatorOut(BaseModel):
    party: str
    role: str  # co_organiser, registration, escort or observer


class OperationOut(BaseModel):
    id: str
    implements: list[str]  # the talks points it carries out
    kind: str
    title: str
    status: str
    mediator: str | None  # None: agreed directly between the parties concerned, who run it
    co_mediators: list[CoMediatorOut]
    parties: list[str]
    version: int
    proposed_by: str
    window: Window
    time_zone: str
    answer_by: str | None
    emergency: bool
    board: list[BoardRowOut]
    footprint: dict[str, Any]  # GeoJSON geometry


class VersionOut(BaseModel):
    version: int
    record: int
    by: str
    at: str | None
    counter_to: int | None
    unseen_conflict: bool | None  # for the versions the reader's party proposed


class SourceOut(BaseModel):
    """Where a stated fact comes from (``parley.records.sources.Source``)."""
    kind: str
    speaker: str = ""
    body: str = ""
    outlet: str = ""
    stated_on: str | None = None
    reference: str = ""
    url: str = ""
    quote: str = ""
    confirmation: str = "unconfirmed"


class FigureOut(BaseModel):
    """A figure as stated, the numbers it allows (``high`` None: no upper bound), and its English words."""
    form: str  # exact, more_than, at_least, fewer_than, at_most, about, range or hundreds
    value: int | None
    low: int
    high: int | None
    text: str


class TimelineEntry(BaseModel):
    record: int
    event: str
    at: str | None
    position: list[float] | None
    place: str
    note: str
    by: str
    source: SourceOut | None


class StatementOut(BaseModel):
    record: int
    party: str
    by: str
    at: str | None
    source: SourceOut | None
    total: FigureOut | None  # as stated
    rows_sum: FigureOut | None  # what its rows add up to
    note: str


class OutcomeRow(BaseModel):
    category: str
    destination: str | None  # None: the category over every destination; "": a destination not stated
    figures: list[FigureOut | None]  # one per statement, in ``statements``' order
    differ: bool  # two of the figures allow no common number


class Outcomes(BaseModel):
    parties: list[str]
    statements: list[StatementOut]
    rows: list[OutcomeRow]
    totals_differ: bool


class Casualties(BaseModel):
    killed: int | None  # the least the figure allows
    wounded: int | None
    killed_as_stated: FigureOut | None  # the figure as stated
    wounded_as_stated: FigureOut | None


class IncidentOut(BaseModel):
    id: str
    record: int
    operation: str | None
    account_of: str | None
    at: str | None
    position: list[float]
    place: str
    type: str
    observed: str
    direction_deg: int | None
    distance_m: int | None
    casualties: Casualties
    description: str
    alleged_responsible: str | None  # the party this account alleges responsible
    source: SourceOut | None
    party: str
    by: str


class ConflictOut(BaseModel):
    kind: str  # zone or operation
    id: str
    name: str
    what: str
    party: str
    overlap_km2: float
    start: str | None
    end: str | None


class Conflicts(BaseModel):
    conflicts: list[ConflictOut]


class AlertOut(BaseModel):
    """The proposal's operation, title, version, proposer, party and window only to a reader of that operation."""
    record: int
    at: str | None
    mediator: str
    target_kind: str
    target: str
    target_name: str
    owner: str
    overlap_km2: float
    operation: str | None
    title: str | None = None
    version: int | None = None
    proposer: str | None = None
    party: str | None = None
    window: Window | None = None


class OperationFull(OperationOut):
    plan: dict[str, Any]
    versions: list[VersionOut]
    timeline: list[TimelineEntry]
    outcomes: Outcomes
    incidents: list[list[IncidentOut]]  # each incident: the first account, then the other parties'
    conflicts: Conflicts  # those the reader may read
    alerts: list[AlertOut]


class Operations(BaseModel):
    operations: list[OperationOut]


class MessageOut(BaseModel):
    record: int
    by: str
    party: str
    text: str
    urgent: bool
    at: str | None
    recipients: list[str]
    receipts: dict[str, dict[str, str | None]]  # party → delivered/read → when
    overdue: bool


class Channel(BaseModel):
    messages: list[MessageOut]


class StandingOut(BaseModel):
    id: str
    record: int
    title: str
    parties: list[str]
    members: list[str]  # the designated members
    mediator: str | None  # where unread urgent messages escalate
    process: str | None  # the talks process it belongs to
    point: str | None  # the talks point it belongs to
    urgent_read_minutes: int | None  # None: the operations' rule
    note: str
    by: str


class StandingChannels(BaseModel):
    channels: list[StandingOut]


class StandingFull(StandingOut):
    messages: list[MessageOut]


class ChannelOpened(ReceiptBody):
    channel: str


class EscalationOut(BaseModel):
    kind: str  # no_answer, unread_urgent or unseen_conflict
    operation: str | None  # None for a standing channel's message
    channel: str | None  # the standing channel, for its unread urgent message
    title: str
    party: str
    since: str | None
    message: int | None


class Escalations(BaseModel):
    escalations: list[EscalationOut]


class ZoneOut(BaseModel):
    id: str
    record: int
    kind: str
    name: str
    geometry: dict[str, Any]  # GeoJSON geometry
    valid_from: str | None
    valid_until: str | None
    party: str
    note: str


class Zones(BaseModel):
    zones: list[ZoneOut]


class Incidents(BaseModel):
    incidents: list[list[IncidentOut]]


class Rules(BaseModel):
    notice_hours: int
    emergency_notice_hours: int
    answer_hours: int
    emergency_answer_hours: int
    urgent_read_minutes: int
    region: list[float] | None  # [west, south, east, north]
    route_tolerance_m: int  # how far from an operation's route its places, movements and incidents may lie


class CheckOut(Conflicts):
    footprint: dict[str, Any]  # GeoJSON geometry


class Alerts(BaseModel):
    alerts: list[AlertOut]


class CheckRow(BaseModel):
    member: str
    party: str
    at: str | None
    bbox: list[float]
    window: Window
    operation: str | None
    shown: int | None
    refused: bool
    unseen: int | None = None  # to a mediator's members only


class Checks(BaseModel):
    limit_per_hour: int
    checks: list[CheckRow]


class Proposed(ReceiptBody):
    operation: str
    unseen_conflict: bool
    notice: str | None = None  # what an unseen conflict means, when there is one


class Answered(ReceiptBody):
    unseen_conflict: bool | None = None  # for a counter-proposal
    notice: str | None = None


class IncidentReported(ReceiptBody):
    incident: str


class ZoneDeclared(ReceiptBody):
    zone: str


def _answer(receipt: Receipt, **extra: Any) -> JSONResponse:
    return JSONResponse({**receipt.as_dict(), **extra}, status_code=200 if receipt.duplicate else 201)


def _unseen(s: Any, receipt: Receipt) -> dict[str, Any]:
    """The one bit a proposal gives its proposer, with what it means."""
    s.rollback()  # end the read transaction begun before the record, so its alerts are read back
    if not svc.unseen_at(s, receipt.index):
        return {"unseen_conflict": False}
    return {"unseen_conflict": True, "notice": svc.UNSEEN_NOTICE}


def _dt(t: datetime | None) -> str | None:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ") if t else None


def operation_json(s: Any, who: Principal, op: Any, *, full: bool = False) -> dict[str, Any]:
    v, rows = svc.board(s, op)
    plan = svc.plan_of(v)
    out: dict[str, Any] = {
        "id": op.id, "implements": [x for x in op.implements.split(",") if x],
        "kind": op.kind, "title": op.title, "status": op.status, "mediator": op.mediator,
        "co_mediators": [{"party": p, "role": r} for p, r in op.co_mediator_roles], "parties": op.party_list,
        "version": op.version, "proposed_by": op.author,
        "window": {"start": _dt(v.window_start), "end": _dt(v.window_end)}, "time_zone": v.time_zone,
        "answer_by": _dt(v.answer_by), "emergency": v.emergency,
        "board": [{"party": r.party, "state": r.state, "reason": r.reason, "at": _dt(r.at), "late": r.late,
                   "seconds_left": r.seconds_left} for r in rows],
        "footprint": json.loads(v.footprint),
    }
    if not full:
        return out
    out["plan"] = plan
    # For the versions the reader's party proposed: did it meet something the party may not read (one bit)?
    out["versions"] = [{"version": x.version, "record": x.idx, "by": x.author, "at": _dt(x.proposed_at),
                        "counter_to": x.counter_to, "unseen_conflict": svc.meets_unseen(s, who, op, x.version)}
                       for x in svc.versions(s, op)]
    out["timeline"] = [{"record": e.idx, "event": e.event, "at": _dt(e.at), "position": [e.lon, e.lat]
                        if e.lon is not None else None, "place": e.place, "note": e.note, "by": e.author,
                        "source": source_json(svc.source_of(e))}
                       for e in svc.timeline(s, who, op)]
    t = svc.outcomes(s, who, op)
    out["outcomes"] = {
        "parties": t.parties, "totals_differ": t.totals_differ,
        "statements": [{"record": st.idx, "party": st.party, "by": st.author, "at": _dt(st.at),
                        "source": source_json(st.source),
                        "total": figure_json(st.stated_total) if st.stated_total else None,
                        "rows_sum": figure_json(st.rows_sum) if st.rows_sum else None, "note": st.note}
                       for st in t.statements],
        "rows": [{"category": c, "destination": d, "figures": [figure_json(x) if x else None for x in f],
                  "differ": diff} for c, d, f, diff in t.rows]}
    out["incidents"] = [[incident_json(i) for i in g] for g in svc.incidents(s, who, operation_id=op.id)]
    d = svc.conflicts_of(s, who, op)
    out["conflicts"] = conflicts_json(d)
    out["alerts"] = [alert_json(a) for a in svc.alerts(s, who, operation_id=op.id)]
    return out


def incident_json(i: Any) -> dict[str, Any]:
    return {"id": i.id, "record": i.idx, "operation": i.operation, "account_of": i.account_of, "at": _dt(i.at),
            "position": [i.lon, i.lat], "place": i.place, "type": i.type, "observed": i.observed,
            "direction_deg": i.direction_deg, "distance_m": i.distance_m,
            "casualties": {"killed": i.killed, "wounded": i.wounded,
                           "killed_as_stated": figure_json(f) if (f := svc.casualty(i, "killed")) else None,
                           "wounded_as_stated": figure_json(f) if (f := svc.casualty(i, "wounded")) else None},
            "description": i.description,
            "alleged_responsible": i.alleged_responsible, "source": source_json(svc.source_of(i)),
            "party": i.party, "by": i.author}


def source_json(src: Source | None) -> dict[str, Any] | None:
    if src is None:
        return None
    return src.model_dump(mode="json")


def figure_json(f: Figure) -> dict[str, Any]:
    b = f.bounds()
    return {"form": f.form, "value": f.value, "low": b.low, "high": b.high, "text": figure_words(f)}


def conflicts_json(d: svc.Deconfliction) -> dict[str, Any]:
    return {"conflicts": [
        {"kind": c.kind, "id": c.id, "name": c.name, "what": c.what, "party": c.party,
         "overlap_km2": c.overlap_km, "start": _dt(c.start), "end": _dt(c.end)} for c in d.conflicts]}


def alert_json(a: svc.Alert) -> dict[str, Any]:
    """An alert as its reader (the owner of the zone or operation met, or a mediator) may read it: the proposal's
    operation, proposer and window only when the reader may read that operation."""
    r = a.row
    out: dict[str, Any] = {"record": r.idx, "at": _dt(r.at), "mediator": r.mediator, "target_kind": r.target_kind,
                           "target": r.target, "target_name": a.target_name, "owner": r.owner,
                           "overlap_km2": r.overlap_km2, "operation": None}
    if a.operation is not None:
        out.update(operation=r.operation, title=a.operation.title, version=r.version, proposer=r.proposer,
                   party=r.party, window={"start": _dt(r.window_start), "end": _dt(r.window_end)})
    return out


# --- reads -----------------------------------------------------------------------------------------

@router.get("/operations", response_model=Operations, responses=refusals(*READ))
def list_operations(s: DbSession, who: CurrentPrincipal,
                    status: Annotated[str | None, Query(max_length=16)] = None,
                    point: Annotated[str | None, Query(max_length=64, description="a talks point it implements")]
                    = None) -> Response:
    ops = svc.operations(s, who, status=status)
    if point is not None:
        ops = [o for o in ops if point in o.implements.split(",")]
    return json_answer({"operations": [operation_json(s, who, o) for o in ops]})


@router.get("/operations/{op_id}", response_model=OperationFull, responses=refusals(*READ, 404))
def get_operation(op_id: str, s: DbSession, who: CurrentPrincipal) -> Response:
    return json_answer(operation_json(s, who, svc.operation(s, who, op_id), full=True))


@router.get("/operations/{op_id}/channel", response_model=Channel, responses=refusals(*READ, 404))
def get_channel(op_id: str, rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> Response:
    """The liaison channel. Fetched by a liaison officer, negotiator or admin of a party the messages are
    addressed to, it is delivered to that party: one signed ``delivered`` receipt per message not yet
    delivered (reading is a separate receipt, ``POST …/receipts`` with ``read``)."""
    op = svc.operation(s, who, op_id)
    if rules.may_use_channel(who, op):
        wrote = False
        for idx in svc.unreceipted(s, who, op, "delivered"):
            try:
                submit_as(rt, s, who, "channel.receipt", k.audience_for(op), {"message": idx,
                                                                                     "state": "delivered"})
                wrote = True
            except ParleyError:
                break  # no key held for the member: the channel is still shown
        if wrote:
            s.rollback()  # end the read transaction begun before the receipts, so they are read back
    return json_answer({"messages": [message_json(m) for m in svc.channel(s, who, op)]})


def message_json(m: svc.Message) -> dict[str, Any]:
    return {"record": m.row.idx, "by": m.row.author, "party": m.row.party, "text": m.row.text, "urgent": m.row.urgent,
            "at": _dt(m.row.at), "recipients": m.row.recipients.split(","),
            "receipts": {p: {st: _dt(t) for st, t in r.items()} for p, r in m.receipts.items()},
            "overdue": m.overdue}


def standing_json(ch: Any) -> dict[str, Any]:
    return {"id": ch.id, "record": ch.idx, "title": ch.title, "parties": ch.party_list, "members": ch.member_list,
            "mediator": ch.mediator, "process": ch.process, "point": ch.point,
            "urgent_read_minutes": ch.urgent_read_minutes, "note": ch.note, "by": ch.author}


@router.get("/escalations", response_model=Escalations, responses=refusals(401, 503))
def get_escalations(s: DbSession, who: CurrentPrincipal) -> Response:
    return json_answer({"escalations": [{"kind": e.kind, "operation": e.operation, "channel": e.channel,
                                         "title": e.title, "party": e.party, "since": _dt(e.since),
                                         "message": e.message} for e in svc.escalations(s, who)]})


@router.get("/zones", response_model=Zones, responses=refusals(401, 503))
def list_zones(s: DbSession, who: CurrentPrincipal) -> Response:
    return json_answer({"zones": [{"id": z.id, "record": z.idx, "kind": z.kind, "name": z.name,
                              "geometry": json.loads(z.geometry), "valid_from": _dt(z.valid_from),
                              "valid_until": _dt(z.valid_until), "party": z.party, "note": z.note}
                             for z in svc.zones(s, who)]})


@router.get("/incidents", response_model=Incidents, responses=refusals(401, 503))
def list_incidents(s: DbSession, who: CurrentPrincipal) -> Response:
    return json_answer({"incidents": [[incident_json(i) for i in g] for g in svc.incidents(s, who)]})


@router.get("/operations-rules", response_model=Rules, responses=refusals(401, 503))
def get_rules(s: DbSession, who: CurrentPrincipal) -> Response:
    return json_answer(k.rules(s))


class CheckBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    plan: PlanObject
    operation: str | None = None


@router.post("/deconfliction/check", response_model=CheckOut, responses=refusals(*WRITE_REFUSALS, 429))
def check(body: CheckBody, rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> Response:
    """A dry run: the conflicts of a plan that you may read, and nothing about the others. Recorded, and at most
    ``CHECK_LIMIT`` an hour per member (429 beyond)."""
    plan = parse_payload(k.KIND["operation.propose"], {"operation": "check", "plan": body.plan}).plan  # type: ignore[attr-defined]
    fp = svc.footprint_of(plan)
    d = svc.check_plan(rt.sessions, s, who, plan, body.operation)
    return json_answer({"footprint": to_geojson(fp), **conflicts_json(d)})


@router.get("/deconfliction/alerts", response_model=Alerts, responses=refusals(*READ))
def get_alerts(s: DbSession, who: CurrentPrincipal, operation: Annotated[str | None, Query(max_length=64)] = None,
               target: Annotated[str | None, Query(max_length=64)] = None) -> Response:
    """Proposals that met a zone or an operation their proposer may not read: read by its owner and the mediators."""
    return json_answer({"alerts": [alert_json(a) for a in svc.alerts(s, who, operation_id=operation, target=target)]})


@router.get("/deconfliction/checks", response_model=Checks, responses=refusals(401, 503))
def get_checks(s: DbSession, who: CurrentPrincipal) -> Response:
    """The recorded dry-run checks: everyone's for a mediator's members, your own otherwise."""
    return json_answer({"limit_per_hour": svc.CHECK_LIMIT, "checks": [
        {"member": c.member, "party": c.party, "at": _dt(c.at), "bbox": [c.min_lon, c.min_lat, c.max_lon, c.max_lat],
         "window": {"start": _dt(c.window_start), "end": _dt(c.window_end)}, "operation": c.operation,
         "shown": c.shown, "refused": c.refused, **({"unseen": c.unseen} if who.is_mediator else {})}
        for c in svc.checks(s, who)]})


# --- writes ----------------------------------------------------------------------------------------

async def _submit(rt: Any, s: Any, who: Principal, kind: str, audience: list[str], payload: Any) -> Receipt:
    return await submit_as_async(rt, s, who, kind, audience, payload)


def _op_audience(s: Any, who: Principal, op_id: str, given: list[str] | None) -> list[str]:
    if given:
        return given
    return k.audience_for(svc.operation(s, who, op_id))


class ProposeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    operation: Annotated[str | None, Field(max_length=64)] = None
    plan: PlanObject
    supersedes: int | None = None
    audience: Audience = None


@router.post("/operations", status_code=201, response_model=Proposed, responses=written(Proposed))
async def propose(body: ProposeBody, rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    op_id = body.operation or new_id(who.party, "op")
    plan = dict(body.plan)
    origin = plan.get("origin")
    if "time_zone" not in plan and isinstance(origin, dict):
        # Times are shown in the place's time zone: take the origin's unless the proposer named one.
        pos = origin.get("position")
        if isinstance(pos, list) and len(pos) == 2 and all(isinstance(v, int | float) for v in pos) \
                and -180 <= pos[0] <= 180 and -90 <= pos[1] <= 90:
            plan["time_zone"] = time_zone_at(float(pos[0]), float(pos[1]))
    payload: dict[str, Any] = {"operation": op_id, "plan": plan}
    if body.supersedes is not None:
        payload["supersedes"] = body.supersedes
    parties = found if isinstance(found := body.plan.get("parties"), list) else []
    audience = body.audience or sorted({f"party:{p}" for p in [body.plan.get("mediator"), *parties]
                                        if isinstance(p, str)} or {f"party:{who.party}"})
    receipt = await _submit(rt, s, who, "operation.propose", audience, payload)
    return _answer(receipt, operation=op_id, **_unseen(s, receipt))


class AnswerBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int
    answer: Annotated[str, Field(description="acknowledged, declined or counter")]
    reason: str = ""
    plan: PlanObject | None = None


@router.post("/operations/{op_id}/answers", status_code=201, response_model=Answered, responses=written(Answered))
async def answer(op_id: str, body: AnswerBody, rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    payload = {"operation": op_id, **body.model_dump(exclude_none=True)}
    receipt = await _submit(rt, s, who, "operation.answer", _op_audience(s, who, op_id, None), payload)
    return _answer(receipt, **(_unseen(s, receipt) if body.answer == "counter" else {}))


class StatusBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Annotated[str, Field(description="start, suspend, resume, complete or abort")]
    reason: str = ""


@router.post("/operations/{op_id}/status", status_code=201, response_model=ReceiptBody, responses=written())
async def status(op_id: str, body: StatusBody, rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    payload = {"operation": op_id, **body.model_dump()}
    return _answer(await _submit(rt, s, who, "operation.status", _op_audience(s, who, op_id, None), payload))


@router.post("/operations/{op_id}/movements", status_code=201, response_model=ReceiptBody, responses=written())
async def movement(op_id: str, body: Annotated[dict[str, Any], Body(json_schema_extra=MOVEMENT)], rt: CurrentRuntime,
                   s: DbSession,
                   who: CurrentPrincipal) -> JSONResponse:
    payload = {**body, "operation": op_id}
    return _answer(await _submit(rt, s, who, "operation.movement", _op_audience(s, who, op_id, None), payload))


@router.post("/operations/{op_id}/outcomes", status_code=201, response_model=ReceiptBody, responses=written())
async def outcome(op_id: str, body: Annotated[dict[str, Any], Body(json_schema_extra=OUTCOME)], rt: CurrentRuntime,
                  s: DbSession,
                  who: CurrentPrincipal) -> JSONResponse:
    payload = {**body, "operation": op_id}
    return _answer(await _submit(rt, s, who, "operation.outcome", _op_audience(s, who, op_id, None), payload))


class PostBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str
    urgent: bool = False


@router.post("/operations/{op_id}/channel", status_code=201, response_model=ReceiptBody, responses=written())
async def post(op_id: str, body: PostBody, rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    payload = {"operation": op_id, **body.model_dump()}
    return _answer(await _submit(rt, s, who, "channel.post", _op_audience(s, who, op_id, None), payload))


class ReceiptStateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    state: Annotated[str, Field(description="delivered or read")]


@router.post("/operations/{op_id}/channel/{message}/receipts", status_code=201, response_model=ReceiptBody,
             responses=written())
async def receipt(op_id: str, message: Annotated[int, Path(ge=0, le=MAX_DB_INT)], body: ReceiptStateBody,
                  rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    op = svc.operation(s, who, op_id)
    if message not in {m.row.idx for m in svc.channel(s, who, op)}:
        raise NotFound(C.NOT_IN_CHANNEL, record=message, operation=op_id)
    payload = {"message": message, "state": body.state}
    return _answer(await _submit(rt, s, who, "channel.receipt", k.audience_for(op), payload))


class IncidentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    incident: Annotated[dict[str, Any], Field(json_schema_extra=body_schema(k.IncidentReport, drop=("id",)))]
    audience: Audience = None


@router.post("/incidents", status_code=201, response_model=IncidentReported, responses=written(IncidentReported))
async def report_incident(body: IncidentBody, rt: CurrentRuntime, s: DbSession,
                          who: CurrentPrincipal) -> JSONResponse:
    payload = {"id": new_id(who.party, "inc"), **body.incident}
    audience = body.audience
    if audience is None:
        op_id = payload.get("operation")
        audience = _op_audience(s, who, op_id, None) if isinstance(op_id, str) else ["all"]
    return _answer(await _submit(rt, s, who, "incident.report", audience, payload), incident=payload["id"])


class ZoneBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    zone: Annotated[dict[str, Any], Field(json_schema_extra=body_schema(k.ZoneDeclare, drop=("id",)))]
    audience: Audience = None


@router.post("/zones", status_code=201, response_model=ZoneDeclared, responses=written(ZoneDeclared))
async def declare_zone(body: ZoneBody, rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    payload = {"id": new_id(who.party, "zone"), **body.zone}
    return _answer(await _submit(rt, s, who, "zone.declare", body.audience or ["all"], payload), zone=payload["id"])


@router.post("/zones/{zone_id}/withdraw", status_code=201, response_model=ReceiptBody, responses=written())
async def withdraw_zone(zone_id: str, body: Annotated[dict[str, Any], Body(json_schema_extra=WITHDRAW)],
                        rt: CurrentRuntime, s: DbSession,
                        who: CurrentPrincipal) -> JSONResponse:
    z = next((z for z in svc.zones(s, who) if z.id == zone_id), None)
    if z is None:
        raise NotFound(C.NO_ZONE, zone=zone_id)
    payload = {"id": zone_id, "reason": str(body.get("reason", ""))[:4000]}
    return _answer(await _submit(rt, s, who, "zone.withdraw", z.audience.split(","), payload))


@router.post("/operations-rules", status_code=201, response_model=ReceiptBody, responses=written())
async def set_rules(body: Annotated[dict[str, Any], Body(json_schema_extra=RULES)], rt: CurrentRuntime, s: DbSession,
                    who: CurrentPrincipal) -> JSONResponse:
    return _answer(await _submit(rt, s, who, "operation.rules", ["all"], body))


class WaiverBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    notice_hours: float
    agreed: str
    source: dict[str, Any] | None = None
    # Who reads the waiver: the operation's readers once it is proposed; before that, name them (the mediator
    # and the other parties concerned).
    audience: Audience = None


@router.post("/operations/{op_id}/waivers", status_code=201, response_model=ReceiptBody, responses=written())
async def waive_notice(op_id: Annotated[str, Path(max_length=64)], body: WaiverBody, rt: CurrentRuntime,
                       s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    """Your party's signed consent that operation ``op_id`` start with as little as ``notice_hours`` of notice
    (an emergency agreed at a meeting, ``agreed``). A proposal giving less notice than the rules ask stands once
    every party concerned has waived it."""
    payload = {"operation": op_id, **body.model_dump(exclude_none=True, exclude={"audience"})}
    audience = body.audience
    if audience is None:
        try:
            audience = k.audience_for(svc.operation(s, who, op_id))
        except ParleyError:
            raise NotFound(C.WAIVER_AUDIENCE, operation=op_id, field="audience") from None
    return _answer(await _submit(rt, s, who, "operation.waiver", audience, payload))


class CorridorOut(BaseModel):
    id: str
    record: int
    name: str
    origin: dict[str, Any]
    towards: dict[str, Any]
    route: dict[str, Any] | None
    valid_from: str | None
    valid_until: str | None
    source: SourceOut | None
    note: str
    party: str  # the one side that declared it; nobody else agreed
    by: str


class Corridors(BaseModel):
    corridors: list[CorridorOut]


class CorridorDeclared(ReceiptBody):
    corridor: str


def corridor_json(c: Any) -> dict[str, Any]:
    return {"id": c.id, "record": c.idx, "name": c.name, "origin": json.loads(c.origin),
            "towards": json.loads(c.towards), "route": json.loads(c.route) if c.route else None,
            "valid_from": _dt(c.valid_from), "valid_until": _dt(c.valid_until),
            "source": source_json(svc.source_of(c)), "note": c.note, "party": c.party, "by": c.author}


@router.get("/corridors", response_model=Corridors, responses=refusals(401, 503))
def list_corridors(s: DbSession, who: CurrentPrincipal) -> Response:
    """Corridors one side declared on its own: not proposed to anyone, not acknowledged, not agreed."""
    return json_answer({"corridors": [corridor_json(c) for c in svc.corridors(s, who)]})


class CorridorBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    corridor: Annotated[dict[str, Any], Field(json_schema_extra=body_schema(k.CorridorDeclare, drop=("id",)))]
    audience: Audience = None


@router.post("/corridors", status_code=201, response_model=CorridorDeclared, responses=written(CorridorDeclared))
async def declare_corridor(body: CorridorBody, rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    payload = {"id": new_id(who.party, "corridor"), **body.corridor}
    return _answer(await _submit(rt, s, who, "corridor.declare", body.audience or ["all"], payload),
                   corridor=payload["id"])


# --- standing channels -------------------------------------------------------------------------------

@router.get("/channels", response_model=StandingChannels, responses=refusals(401, 503))
def list_channels(s: DbSession, who: CurrentPrincipal) -> Response:
    """The standing channels (not tied to one operation) the caller may read."""
    return json_answer({"channels": [standing_json(c) for c in svc.standing_channels(s, who)]})


@router.get("/channels/{channel_id}", response_model=StandingFull, responses=refusals(*READ, 404))
def get_standing(channel_id: str, rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> Response:
    """A standing channel and its messages. Fetched by one of its designated members, each message addressed to
    the member's party and not yet delivered gets a signed ``delivered`` receipt."""
    ch = svc.standing_channel(s, who, channel_id)
    wrote = False
    for idx in svc.unreceipted_standing(s, who, ch, "delivered"):
        try:
            submit_as(rt, s, who, "channel.receipt", ch.audience.split(","), {"message": idx, "state": "delivered"})
            wrote = True
        except ParleyError:
            break  # no key held for the member: the channel is still shown
    if wrote:
        s.rollback()
    return json_answer({**standing_json(ch), "messages": [message_json(m) for m in svc.standing_messages(s, who, ch)]})


class ChannelBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: Annotated[dict[str, Any], Field(json_schema_extra=body_schema(k.ChannelOpen, drop=("id",)))]
    id: Annotated[str | None, Field(max_length=64)] = None
    audience: Audience = None


@router.post("/channels", status_code=201, response_model=ChannelOpened, responses=written(ChannelOpened))
async def open_channel(body: ChannelBody, rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    """Open a standing channel between designated members of two or more parties. Its audience by default: the
    designated members themselves (``party:<p>/<role>`` for each of their roles is not enough to name a member, so
    the parties and the mediator, each as a whole)."""
    channel_id = body.id or new_id(who.party, "channel")
    payload = {**body.channel, "id": channel_id}
    given = payload.get("parties")
    sides = [x for x in [*(given if isinstance(given, list) else []), payload.get("mediator")] if isinstance(x, str)]
    audience = body.audience or sorted({f"party:{x}" for x in sides} or {f"party:{who.party}"})
    return _answer(await _submit(rt, s, who, "channel.open", audience, payload), channel=channel_id)


@router.post("/channels/{channel_id}/messages", status_code=201, response_model=ReceiptBody, responses=written())
async def post_standing(channel_id: str, body: PostBody, rt: CurrentRuntime, s: DbSession,
                        who: CurrentPrincipal) -> JSONResponse:
    ch = svc.standing_channel(s, who, channel_id)
    payload = {"channel": channel_id, **body.model_dump()}
    return _answer(await _submit(rt, s, who, "channel.post", ch.audience.split(","), payload))


@router.post("/channels/{channel_id}/messages/{message}/receipts", status_code=201, response_model=ReceiptBody,
             responses=written())
async def standing_receipt(channel_id: str, message: Annotated[int, Path(ge=0, le=MAX_DB_INT)], body: ReceiptStateBody,
                           rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    ch = svc.standing_channel(s, who, channel_id)
    if message not in {m.row.idx for m in svc.standing_messages(s, who, ch)}:
        raise NotFound(C.NOT_IN_STANDING, record=message, channel=channel_id)
    return _answer(await _submit(rt, s, who, "channel.receipt", ch.audience.split(","),
                                 {"message": message, "state": body.state}))
