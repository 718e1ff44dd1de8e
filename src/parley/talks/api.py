"""HTTP API of talks: processes, actors, meetings, points and positions, statements, joint texts and sign-offs,
implementation, and the export of a process's provisions.

Reads go through the read policy (``talks.service``): an object the caller may not read answers 404 as an absent
one. Every write is a record signed with the caller's custodial key and appended through the pipeline
(``submit_as``); a record inside a process takes the process's audience unless the caller names one
(``talks.kinds.audience_for``: closed to the negotiators for a back channel). Members holding their own keys sign
the same payloads themselves and post them to ``/api/records``.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from parley.apischema import READ, ReceiptBody, body_schema, media, refusals, written
from parley.apischema import answer as json_answer
from parley.auth import CurrentPrincipal, CurrentRuntime, DbSession, Principal
from parley.records.ids import new_id
from parley.records.pipeline import Receipt
from parley.submit import submit_as_async
from parley.talks import diff as worddiff
from parley.talks import kinds as k
from parley.talks import service as svc
from parley.talks.models import TalksProcess

router = APIRouter(prefix="/api/talks", tags=["talks"])

Audience = Annotated[list[str] | None, Field(min_length=1, max_length=64)]


# --- what the routes answer ----------------------------------------------------------------------------------

class SourceOut(BaseModel):
    """Where a stated fact comes from (``parley.records.sources.Source``); fields left at their default are
    omitted."""
    model_config = ConfigDict(extra="allow")
    kind: str = "party_statement"
    confirmation: str = "unconfirmed"


class IntermediaryOut(BaseModel):
    actor: str
    acting_for: str | None = None
    role: str = ""


class ProcessOut(BaseModel):
    id: str
    record: int
    title: str
    format: str  # official_talks, back_channel or military_channel
    parties: list[str]
    mediators: list[str]
    intermediaries: list[IntermediaryOut]
    authorisation: str  # authorised, unauthorised or unknown
    started_on: str | None
    status: str  # active, paused, frozen, resumed or ended
    source: SourceOut | None
    note: str
    by: str
    audience: list[str]


class Processes(BaseModel):
    processes: list[ProcessOut]


class StatusOut(BaseModel):
    record: int
    status: str
    since: str | None
    reason: str
    source: SourceOut | None
    by: str
    party: str
    at: str


class TrackOut(BaseModel):
    id: str
    record: int
    name: str
    note: str


class VenueOut(BaseModel):
    name: str
    position: list[float] | None = None


class DelegationOut(BaseModel):
    party: str
    head: str | None = None
    members: list[str] = []


class MeetingOut(BaseModel):
    id: str
    record: int
    process: str
    kind: str  # round, meeting or visit
    number: int | None
    title: str
    status: str  # planned, held, postponed or cancelled
    venue: VenueOut | None
    scheduled_start: str | None
    scheduled_note: str
    actual_start: str | None
    duration_minutes: int | None  # the least the stated duration allows
    duration: FigureOut | None  # as stated: "fewer than 180"
    duration_note: str
    time_zone: str
    format: str
    delegations: list[DelegationOut]
    participants: list[str]
    note: str
    source: SourceOut | None
    by: str


class FigureOut(BaseModel):
    """A figure as stated (``parley.records.figures.Figure``)."""
    model_config = ConfigDict(extra="allow")
    form: str
    value: int | None = None


class ChangeOut(BaseModel):
    record: int
    changes: dict[str, list[Any]]  # field -> [before, after]
    reason: str
    source: SourceOut | None
    by: str
    at: str


class MeetingFull(MeetingOut):
    changes: list[ChangeOut]
    statements: list[StatementOut]


class StatementOut(BaseModel):
    record: int
    type: str
    text: str
    language: str
    meeting: str | None
    point: str | None
    joint_text: str | None
    joint_version: int | None
    speaker: str | None
    on_behalf: str | None
    said_on: str | None
    source: SourceOut | None
    hearsay: bool  # reported from anonymous sources or by the media, unconfirmed: never shown as fact
    by: str
    party: str
    at: str


class Statements(BaseModel):
    statements: list[StatementOut]


class TextOut(BaseModel):
    id: str
    record: int
    title: str
    version: int
    sha256: str
    agreed_version: int | None
    agreed: bool  # every party has signed the current version's hash


class EventOut(BaseModel):
    at: str
    record: int
    what: str  # status, meeting, meeting_change, statement, text, signoff or point_agreed
    ref: str  # the meeting, text, point or status concerned
    summary: str


class ProcessFull(ProcessOut):
    statuses: list[StatusOut]
    tracks: list[TrackOut]
    meetings: list[MeetingOut]
    texts: list[TextOut]
    preconditions: list[StatementOut]
    timeline: list[EventOut]


class CurrentOut(BaseModel):
    position: str
    sha256: str | None
    record: int
    positions_stated: int


class BoardPoint(BaseModel):
    id: str
    track: str
    title: str
    agreed: bool
    agreed_sha256: str | None
    positions: dict[str, CurrentOut | None]  # party -> its current position (None: none stated)


class BoardOut(BaseModel):
    process: str
    parties: list[str]
    total: int
    offset: int
    limit: int
    points: list[BoardPoint]
    texts: dict[str, str]  # sha256 -> wording, for the wordings the positions on this page name


class PositionOut(BaseModel):
    record: int
    party: str
    position: str
    sha256: str | None
    meeting: str | None
    note: str
    source: SourceOut | None
    by: str
    at: str


class PointTextOut(BaseModel):
    sha256: str
    text: str
    record: int
    party: str


class EvidenceOut(BaseModel):
    kind: str  # operation, exchange or record
    ref: str
    note: str = ""


class AssessmentOut(BaseModel):
    record: int
    party: str
    level: int  # 0 not started, 1 minimal, 2 intermediate, 3 complete
    evidence: list[EvidenceOut]
    as_of: str | None
    note: str
    source: SourceOut | None
    by: str
    at: str


class PointFull(BaseModel):
    id: str
    record: int
    process: str
    track: str
    title: str
    agreed: bool
    agreed_sha256: str | None
    agreed_text: str | None
    current: dict[str, CurrentOut | None]
    positions: list[PositionOut]
    texts: list[PointTextOut]
    assessments: list[AssessmentOut]
    statements: list[StatementOut]


class VersionOut(BaseModel):
    version: int
    record: int
    sha256: str
    language: str
    points: list[str]
    note: str
    by: str
    party: str
    at: str


class VersionFull(VersionOut):
    body: str


class PieceOut(BaseModel):
    op: str  # same, added or removed
    text: str


class SignoffOut(BaseModel):
    record: int
    party: str
    version: int
    sha256: str
    meeting: str | None
    note: str
    by: str
    at: str


class PanelOut(BaseModel):
    party: str
    signed_current: bool
    last_signed_version: int | None
    changed_since: list[PieceOut] | None  # the current version against the one it last signed


class TextFull(TextOut):
    process: str
    versions: list[VersionOut]
    signoffs: list[SignoffOut]
    panel: list[PanelOut]


class DiffOut(BaseModel):
    text: str
    from_version: int
    to_version: int
    added_words: int
    removed_words: int
    pieces: list[PieceOut]


class ImplementationRowOut(BaseModel):
    point: str
    track: str
    title: str
    levels: dict[str, AssessmentOut | None]


class ImplementationOut(BaseModel):
    process: str
    assessors: list[str]
    points: list[ImplementationRowOut]


class ActorOut(BaseModel):
    id: str
    record: int
    names: list[str]
    acts_for: str | None
    body: str
    title: str
    note: str
    source: SourceOut | None


class Actors(BaseModel):
    actors: list[ActorOut]


class ExportOut(BaseModel):
    process: str
    rows: list[dict[str, Any]]


class Created(ReceiptBody):
    id: str


MeetingFull.model_rebuild()


# --- rendering -----------------------------------------------------------------------------------------------

def _dt(t: datetime | None) -> str | None:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ") if t else None


def _d(t: date | None) -> str | None:
    return t.isoformat() if t else None


def process_json(p: TalksProcess) -> dict[str, Any]:
    return {"id": p.id, "record": p.idx, "title": p.title, "format": p.format, "parties": p.party_list,
            "mediators": p.mediator_list, "intermediaries": p.intermediary_list(), "authorisation": p.authorisation,
            "started_on": _d(p.started_on), "status": p.status, "source": svc.source_of(p), "note": p.note,
            "by": p.author, "audience": p.audience.split(",")}


def status_json(st: Any) -> dict[str, Any]:
    return {"record": st.idx, "status": st.status, "since": _d(st.since), "reason": st.reason,
            "source": svc.source_of(st), "by": st.author, "party": st.party, "at": _dt(st.at)}


def meeting_json(m: Any) -> dict[str, Any]:
    return {"id": m.id, "record": m.idx, "process": m.process, "kind": m.kind, "number": m.number, "title": m.title,
            "status": m.status, "venue": m.venue_place(), "scheduled_start": _dt(m.scheduled_start),
            "scheduled_note": m.scheduled_note, "actual_start": _dt(m.actual_start),
            "duration_minutes": m.duration_minutes,
            "duration": d.model_dump(exclude_none=True) if (d := m.duration()) is not None else None,
            "duration_note": m.duration_note, "time_zone": m.time_zone,
            "format": m.format, "delegations": m.delegation_list(),
            "participants": [a for a in m.participants.split(",") if a], "note": m.note,
            "source": svc.source_of(m), "by": m.author}


def statement_json(st: Any) -> dict[str, Any]:
    return {"record": st.idx, "type": st.type, "text": st.text, "language": st.language, "meeting": st.meeting,
            "point": st.point, "joint_text": st.joint_text, "joint_version": st.joint_version, "speaker": st.speaker,
            "on_behalf": st.on_behalf, "said_on": _d(st.said_on), "source": svc.source_of(st),
            "hearsay": svc.is_hearsay(st), "by": st.author, "party": st.party, "at": _dt(st.at)}


def text_json(t: Any) -> dict[str, Any]:
    return {"id": t.id, "record": t.idx, "title": t.title, "version": t.version, "sha256": t.sha256,
            "agreed_version": t.agreed_version, "agreed": t.agreed_version == t.version}


def current_json(c: Any) -> dict[str, Any] | None:
    if c is None:
        return None
    return {"position": c.position, "sha256": c.sha256, "record": c.idx, "positions_stated": c.count}


def assessment_json(a: Any) -> dict[str, Any]:
    return {"record": a.idx, "party": a.party, "level": a.level, "evidence": a.evidence_list(), "as_of": _d(a.as_of),
            "note": a.note, "source": svc.source_of(a), "by": a.author, "at": _dt(a.at)}


def event_json(e: svc.Event) -> dict[str, Any]:
    r = e.row
    ref, summary = "", ""
    if e.what == "status":
        ref, summary = r.process, f"{r.party}: {r.status}"
    elif e.what == "meeting":
        ref, summary = r.id, f"{r.title} ({r.status})"
    elif e.what == "meeting_change":
        ref, summary = r.meeting, ", ".join(sorted(json.loads(r.changes)))
    elif e.what == "statement":
        ref, summary = str(r.idx), f"{r.on_behalf or r.party}: {r.type}"
    elif e.what == "text":
        ref, summary = r.text, f"version {r.version}"
    elif e.what == "signoff":
        ref, summary = r.text, f"{r.party} signed version {r.version}"
    elif e.what == "point_agreed":
        ref, summary = r.id, r.title
    return {"at": _dt(e.at), "record": e.idx, "what": e.what, "ref": ref, "summary": summary}


def pieces_json(pieces: list[worddiff.Piece]) -> list[dict[str, str]]:
    return [{"op": p.op, "text": p.text} for p in pieces]


# --- reads ---------------------------------------------------------------------------------------------------

@router.get("/processes", response_model=Processes, responses=refusals(*READ))
def list_processes(s: DbSession, who: CurrentPrincipal) -> Response:
    return json_answer({"processes": [process_json(p) for p in svc.processes(s, who)]})


@router.get("/processes/{process_id}", response_model=ProcessFull, responses=refusals(*READ, 404))
def get_process(process_id: str, s: DbSession, who: CurrentPrincipal) -> Response:
    p = svc.process(s, who, process_id)
    return json_answer({
        **process_json(p), "statuses": [status_json(x) for x in svc.statuses(s, who, p)],
        "tracks": [{"id": t.id, "record": t.idx, "name": t.name, "note": t.note} for t in svc.tracks(s, who, p)],
        "meetings": [meeting_json(m) for m in svc.meetings(s, who, p)],
        "texts": [text_json(t) for t in svc.texts(s, who, p)],
        "preconditions": [statement_json(x) for x in svc.statements(s, who, p) if x.type == "precondition"],
        "timeline": [event_json(e) for e in svc.timeline(s, who, p)]})


@router.get("/processes/{process_id}/statements", response_model=Statements, responses=refusals(*READ, 404))
def list_statements(process_id: str, s: DbSession, who: CurrentPrincipal) -> Response:
    """What each party and principal said or was reported to have said, with its source: a claim from anonymous
    or media sources not confirmed is marked ``hearsay``."""
    p = svc.process(s, who, process_id)
    return json_answer({"statements": [statement_json(x) for x in svc.statements(s, who, p)]})


@router.get("/processes/{process_id}/board", response_model=BoardOut, responses=refusals(*READ, 404))
def get_board(process_id: str, s: DbSession, who: CurrentPrincipal, track: str | None = None,
              offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
              limit: Annotated[int, Query(ge=1, le=svc.BOARD_MAX)] = svc.BOARD_PAGE) -> Response:
    """The points board: each party's current position on each point side by side, a page at a time."""
    p = svc.process(s, who, process_id)
    if track is not None:
        svc.track(s, who, track)
    b = svc.board(s, who, p, track=track, offset=offset, limit=limit)
    return json_answer({
        "process": p.id, "parties": b.parties, "total": b.total, "offset": b.offset, "limit": b.limit,
        "points": [{"id": r.point.id, "track": r.point.track, "title": r.point.title, "agreed": r.agreed,
                    "agreed_sha256": r.point.agreed_sha256,
                    "positions": {party: current_json(r.positions.get(party)) for party in b.parties}}
                   for r in b.rows],
        "texts": {h: body for (_, h), body in b.texts.items()}})


@router.get("/processes/{process_id}/implementation", response_model=ImplementationOut, responses=refusals(*READ, 404))
def get_implementation(process_id: str, s: DbSession, who: CurrentPrincipal) -> Response:
    p = svc.process(s, who, process_id)
    assessors, rows = svc.implementation_board(s, who, p)
    return json_answer({"process": p.id, "assessors": assessors, "points": [
        {"point": r.point.id, "track": r.track, "title": r.point.title,
         "levels": {a: (assessment_json(r.by_party[a]) if a in r.by_party else None) for a in assessors}}
        for r in rows]})


@router.get("/processes/{process_id}/export.json", response_model=ExportOut, responses=refusals(*READ, 404))
def export_json(process_id: str, s: DbSession, who: CurrentPrincipal) -> Response:
    """The process's provisions coded after PA-X (agreement, stage, provision, status) with each party's
    implementation level."""
    p = svc.process(s, who, process_id)
    return json_answer({"process": p.id, "rows": svc.export_rows(s, who, p)})


@router.get("/processes/{process_id}/export.csv", response_class=Response,
            responses=media("text/csv", "the provisions as CSV", *READ, 404))
def export_csv(process_id: str, s: DbSession, who: CurrentPrincipal) -> Response:
    p = svc.process(s, who, process_id)
    rows = svc.export_rows(s, who, p)
    out = io.StringIO()
    if rows:
        w = csv.DictWriter(out, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            # A cell a spreadsheet would run as a formula starts with a quote.
            w.writerow({key: (f"'{v}" if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v)
                        for key, v in r.items()})
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{p.id}-provisions.csv"'})


@router.get("/actors", response_model=Actors, responses=refusals(*READ))
def list_actors(s: DbSession, who: CurrentPrincipal,
                q: Annotated[str, Query(max_length=200, description="a name in any script or spelling")] = "") \
        -> Response:
    return json_answer({"actors": [actor_json(a) for a in svc.actors(s, who, q)]})


def actor_json(a: Any) -> dict[str, Any]:
    return {"id": a.id, "record": a.idx, "names": a.name_list(), "acts_for": a.acts_for, "body": a.body,
            "title": a.title, "note": a.note, "source": svc.source_of(a)}


@router.get("/actors/{actor_id}", response_model=ActorOut, responses=refusals(*READ, 404))
def get_actor(actor_id: str, s: DbSession, who: CurrentPrincipal) -> Response:
    return json_answer(actor_json(svc.actor(s, who, actor_id)))


@router.get("/meetings/{meeting_id}", response_model=MeetingFull, responses=refusals(*READ, 404))
def get_meeting(meeting_id: str, s: DbSession, who: CurrentPrincipal) -> Response:
    m = svc.meeting(s, who, meeting_id)
    p = svc.process(s, who, m.process)
    return json_answer({**meeting_json(m), "changes": [
        {"record": c.idx, "changes": json.loads(c.changes), "reason": c.reason, "source": svc.source_of(c),
         "by": c.author, "at": _dt(c.at)} for c in svc.meeting_changes(s, who, m)],
        "statements": [statement_json(x) for x in svc.statements(s, who, p, meeting=m.id)]})


@router.get("/points/{point_id}", response_model=PointFull, responses=refusals(*READ, 404))
def get_point(point_id: str, s: DbSession, who: CurrentPrincipal) -> Response:
    """A point: each party's current position, the history of positions, the wordings proposed, the
    implementation assessments and the statements about it."""
    pt = svc.point(s, who, point_id)
    p = svc.process(s, who, pt.process)
    history = svc.positions(s, who, pt)
    current = dict.fromkeys(p.party_list)
    for x in history:
        current[x.party] = x
    count = {party: sum(1 for x in history if x.party == party) for party in p.party_list}
    return json_answer({
        "id": pt.id, "record": pt.idx, "process": pt.process, "track": pt.track, "title": pt.title,
        "agreed": pt.agreed_sha256 is not None, "agreed_sha256": pt.agreed_sha256,
        "agreed_text": svc.agreed_text(s, who, pt),
        "current": {party: ({"position": x.position, "sha256": x.sha256, "record": x.idx,
                             "positions_stated": count[party]} if x is not None else None)
                    for party, x in current.items()},
        "positions": [{"record": x.idx, "party": x.party, "position": x.position, "sha256": x.sha256,
                       "meeting": x.meeting, "note": x.note, "source": svc.source_of(x), "by": x.author,
                       "at": _dt(x.at)} for x in history],
        "texts": [{"sha256": t.sha256, "text": t.body, "record": t.idx, "party": t.party}
                  for t in svc.point_texts(s, who, pt)],
        "assessments": [assessment_json(a) for a in svc.assessments(s, who, pt)],
        "statements": [statement_json(x) for x in svc.statements(s, who, p, point=pt.id)]})


def version_json(v: Any) -> dict[str, Any]:
    return {"version": v.version, "record": v.idx, "sha256": v.sha256, "language": v.language,
            "points": [x for x in v.points.split(",") if x], "note": v.note, "by": v.author, "party": v.party,
            "at": _dt(v.at)}


@router.get("/texts/{text_id}", response_model=TextFull, responses=refusals(*READ, 404))
def get_text(text_id: str, s: DbSession, who: CurrentPrincipal) -> Response:
    """A joint text: its versions, every sign-off, and for each party whether it signed the current version and
    what changed since the version it last signed."""
    t = svc.text(s, who, text_id)
    p = svc.process(s, who, t.process)
    return json_answer({
        **text_json(t), "process": t.process, "versions": [version_json(v) for v in svc.versions(s, who, t)],
        "signoffs": [{"record": x.idx, "party": x.party, "version": x.version, "sha256": x.sha256,
                      "meeting": x.meeting, "note": x.note, "by": x.author, "at": _dt(x.at)}
                     for x in svc.signoffs(s, who, t)],
        "panel": [{"party": st.party, "signed_current": st.signed_current is not None,
                   "last_signed_version": st.last.version if st.last else None,
                   "changed_since": pieces_json(st.changed_since) if st.changed_since is not None else None}
                  for st in svc.signoff_panel(s, who, p, t)]})


@router.get("/texts/{text_id}/versions/{version}", response_model=VersionFull, responses=refusals(*READ, 404))
def get_version(text_id: str, version: Annotated[int, Path(ge=1, le=1_000_000)], s: DbSession,
                who: CurrentPrincipal) -> Response:
    t = svc.text(s, who, text_id)
    v = svc.version(s, who, t, version)
    return json_answer({**version_json(v), "body": v.body})


@router.get("/texts/{text_id}/diff", response_model=DiffOut, responses=refusals(*READ, 404))
def get_diff(text_id: str, s: DbSession, who: CurrentPrincipal,
             from_version: Annotated[int, Query(alias="from", ge=1, le=1_000_000)],
             to_version: Annotated[int, Query(alias="to", ge=1, le=1_000_000)]) -> Response:
    """The word-level difference between two versions (any script)."""
    t = svc.text(s, who, text_id)
    pieces = svc.diff(s, who, t, from_version, to_version)
    n = worddiff.summary(pieces)
    return json_answer({"text": t.id, "from_version": from_version, "to_version": to_version,
                        "added_words": n["added"], "removed_words": n["removed"], "pieces": pieces_json(pieces)})


# --- writes --------------------------------------------------------------------------------------------------

def _answer(receipt: Receipt, **extra: Any) -> JSONResponse:
    return JSONResponse({**receipt.as_dict(), **extra}, status_code=200 if receipt.duplicate else 201)


async def _write(rt: Any, s: Any, who: Principal, kind: str, audience: list[str] | None, process: TalksProcess | None,
                 payload: dict[str, Any], **extra: Any) -> JSONResponse:
    if audience is None:
        audience = k.audience_for(process) if process is not None else [f"party:{who.party}"]
    return _answer(await submit_as_async(rt, s, who, kind, audience, payload), **extra)


def _body(model: type[BaseModel], *drop: str) -> Any:
    return Body(json_schema_extra=body_schema(model, drop=drop))


class ProcessBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    process: Annotated[dict[str, Any], Field(json_schema_extra=body_schema(k.ProcessOpen, drop=("id",)))]
    id: Annotated[str | None, Field(max_length=64)] = None
    audience: Audience = None


@router.post("/processes", status_code=201, response_model=Created, responses=written(Created))
async def open_process(body: ProcessBody, rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    """Open a process. Its audience by default: its parties and mediators; for a back channel or a
    military-to-military channel, closed to their negotiators."""
    pid = body.id or new_id(who.party, "talks")
    payload = {**body.process, "id": pid}
    audience = body.audience
    if audience is None:
        listed = {name: v if isinstance(v := payload.get(name), list) else [] for name in ("parties", "mediators")}
        parties = [x for x in listed["parties"] if isinstance(x, str)]
        mediators = [x for x in listed["mediators"] if isinstance(x, str)]
        view = TalksProcess(parties=",".join(parties), mediators=",".join(mediators),
                            format=str(payload.get("format", "official_talks")))
        audience = k.audience_for(view)
    return await _write(rt, s, who, "talks.process", audience, None, payload, id=pid)


class Written(BaseModel):
    model_config = ConfigDict(extra="forbid")
    audience: Audience = None


class StatusBody(Written):
    status: str
    since: date | None = None
    reason: str = ""
    source: dict[str, Any] | None = None


@router.post("/processes/{process_id}/status", status_code=201, response_model=ReceiptBody, responses=written())
async def set_status(process_id: str, body: StatusBody, rt: CurrentRuntime, s: DbSession,
                     who: CurrentPrincipal) -> JSONResponse:
    p = svc.process(s, who, process_id)
    payload = {"process": process_id, **body.model_dump(mode="json", exclude_none=True, exclude={"audience"})}
    return await _write(rt, s, who, "talks.status", body.audience, p, payload)


class ActorBody(Written):
    actor: Annotated[dict[str, Any], Field(json_schema_extra=body_schema(k.ActorRegister, drop=("id",)))]
    id: Annotated[str | None, Field(max_length=64)] = None
    process: Annotated[str | None, Field(max_length=64, description="take this process's audience")] = None


@router.post("/actors", status_code=201, response_model=Created, responses=written(Created))
async def register_actor(body: ActorBody, rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    """Register an actor (someone who speaks or acts in talks). Its audience: the one given, or the named
    process's, or the caller's party."""
    aid = body.id or new_id(who.party, "actor")
    p = svc.process(s, who, body.process) if body.process else None
    return await _write(rt, s, who, "talks.actor", body.audience, p, {**body.actor, "id": aid}, id=aid)


class MeetingBody(Written):
    meeting: Annotated[dict[str, Any], Field(json_schema_extra=body_schema(k.MeetingRecord, drop=("id", "process")))]
    id: Annotated[str | None, Field(max_length=64)] = None


@router.post("/processes/{process_id}/meetings", status_code=201, response_model=Created, responses=written(Created))
async def record_meeting(process_id: str, body: MeetingBody, rt: CurrentRuntime, s: DbSession,
                         who: CurrentPrincipal) -> JSONResponse:
    p = svc.process(s, who, process_id)
    mid = body.id or new_id(who.party, "meeting")
    payload = {**body.meeting, "id": mid, "process": process_id}
    return await _write(rt, s, who, "talks.meeting", body.audience, p, payload, id=mid)


@router.post("/meetings/{meeting_id}/changes", status_code=201, response_model=ReceiptBody, responses=written())
async def change_meeting(meeting_id: str, body: Annotated[dict[str, Any], _body(k.MeetingUpdate, "meeting")],
                         rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    m = svc.meeting(s, who, meeting_id)
    p = svc.process(s, who, m.process)
    return await _write(rt, s, who, "talks.meeting_update", None, p, {**body, "meeting": meeting_id})


class TrackBody(Written):
    name: str
    note: str = ""
    id: Annotated[str | None, Field(max_length=64)] = None


@router.post("/processes/{process_id}/tracks", status_code=201, response_model=Created, responses=written(Created))
async def open_track(process_id: str, body: TrackBody, rt: CurrentRuntime, s: DbSession,
                     who: CurrentPrincipal) -> JSONResponse:
    p = svc.process(s, who, process_id)
    tid = body.id or new_id(who.party, "track")
    return await _write(rt, s, who, "talks.track", body.audience, p,
                        {"id": tid, "process": process_id, "name": body.name, "note": body.note}, id=tid)


class PointBody(Written):
    title: str
    text: str | None = None
    id: Annotated[str | None, Field(max_length=64)] = None


@router.post("/tracks/{track_id}/points", status_code=201, response_model=Created, responses=written(Created))
async def open_point(track_id: str, body: PointBody, rt: CurrentRuntime, s: DbSession,
                     who: CurrentPrincipal) -> JSONResponse:
    t = svc.track(s, who, track_id)
    p = svc.process(s, who, t.process)
    pid = body.id or new_id(who.party, "point")
    payload: dict[str, Any] = {"id": pid, "track": track_id, "title": body.title}
    if body.text is not None:
        payload["text"] = body.text
    return await _write(rt, s, who, "talks.point", body.audience, p, payload, id=pid)


@router.post("/points/{point_id}/positions", status_code=201, response_model=ReceiptBody, responses=written())
async def state_position(point_id: str, body: Annotated[dict[str, Any], _body(k.PositionState, "point")],
                         rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    """State the caller's party's position on a point: proposed or counter-proposed (with the text), accepted
    (with the SHA-256 of the text accepted), rejected or reserved."""
    pt = svc.point(s, who, point_id)
    p = svc.process(s, who, pt.process)
    return await _write(rt, s, who, "talks.position", None, p, {**body, "point": point_id})


@router.post("/processes/{process_id}/statements", status_code=201, response_model=ReceiptBody, responses=written())
async def record_statement(process_id: str, body: Annotated[dict[str, Any], _body(k.Statement, "process")],
                           rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    p = svc.process(s, who, process_id)
    return await _write(rt, s, who, "talks.statement", None, p, {**body, "process": process_id})


class TextBody(Written):
    title: str
    body: str
    language: str = "en"
    points: list[str] = []
    supersedes: int | None = None
    note: str = ""
    id: Annotated[str | None, Field(max_length=64)] = None


@router.post("/processes/{process_id}/texts", status_code=201, response_model=Created, responses=written(Created))
async def write_text(process_id: str, body: TextBody, rt: CurrentRuntime, s: DbSession,
                     who: CurrentPrincipal) -> JSONResponse:
    """A joint text's first version, or (``id`` and ``supersedes``: the version it replaces) a new version, which
    needs fresh sign-offs."""
    p = svc.process(s, who, process_id)
    tid = body.id or new_id(who.party, "text")
    payload = {**body.model_dump(exclude={"audience", "id"}, exclude_none=True), "id": tid, "process": process_id}
    return await _write(rt, s, who, "talks.text", body.audience, p, payload, id=tid)


@router.post("/texts/{text_id}/signoffs", status_code=201, response_model=ReceiptBody, responses=written())
async def sign_text(text_id: str, body: Annotated[dict[str, Any], _body(k.Signoff, "text")], rt: CurrentRuntime,
                    s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    """Sign a version of a joint text: the body names the version and its exact SHA-256 (what the signer read);
    a hash that is not the current version's is refused and nothing is stored."""
    t = svc.text(s, who, text_id)
    p = svc.process(s, who, t.process)
    return await _write(rt, s, who, "talks.signoff", None, p, {**body, "text": text_id})


@router.post("/points/{point_id}/implementation", status_code=201, response_model=ReceiptBody, responses=written())
async def assess(point_id: str, body: Annotated[dict[str, Any], _body(k.Implementation, "point")], rt: CurrentRuntime,
                 s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    """State how far an agreed point is implemented (0 not started … 3 complete), with evidence: operations,
    exchanges or records that the caller may read."""
    pt = svc.point(s, who, point_id)
    p = svc.process(s, who, pt.process)
    return await _write(rt, s, who, "talks.implementation", None, p, {**body, "point": point_id})
