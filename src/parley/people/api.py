"""HTTP API of the registry of persons, lists, the review queue and families' inquiries.

Reads are filtered by audience and role (``parley.records.policy``). Every write is a record signed with the
caller's custodial key; a list import is one record per accepted row plus one for the list and its
report, each acknowledged only after its commit. ``/api/family/inquiry`` is the one route without a
member: a family reads its own inquiry with its reference and secret.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from parley.apischema import READ, WRITE, ReceiptBody, body_schema, refusals, written
from parley.apischema import answer as json_answer
from parley.auth import CurrentPrincipal, CurrentRuntime, DbSession, Principal
from parley.errors import Unprocessable
from parley.parties.sessions import address_key, client_address
from parley.people import access
from parley.people import codes as C
from parley.people import kinds as k
from parley.people import retention
from parley.people import service as svc
from parley.people.export import persons_file
from parley.people.models import Person
from parley.people.monitoring import Alive, last_known_alive
from parley.records.sources import Source
from parley.records.pipeline import Receipt
from parley.submit import submit_as, submit_as_async, submitter

router = APIRouter(prefix="/api", tags=["people"])
MAX_UPLOAD = 20 << 20  # the same as Settings.max_upload_bytes; the body limit refuses larger bodies first
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The person sought by an inquiry, taken as an object and checked by its record kind.
SoughtObject = Annotated[dict[str, Any], Field(json_schema_extra=body_schema(k.Sought))]


# --- what the routes answer (the OpenAPI description; the handlers build the same shapes as dicts) ----------

class LastAlive(BaseModel):
    """The last event the caller may read that shows the person alive (``people.monitoring``); once a readable
    event records a death, ``died`` is true and ``date`` empty."""
    date: str  # a partial date: yyyy, yyyy-mm or yyyy-mm-dd
    party: str  # who stated it
    event: str  # proof_of_life, contact, visited, captured … (or died)
    index: int  # its record
    died: bool


class PersonOut(BaseModel):
    id: str
    category: str  # pow, civilian, missing or deceased
    party: str  # the reporting party
    own_party: str | None
    surname: str
    first_name: str
    patronymic: str
    birth_date: str
    status: str
    status_date: str
    seriously_wounded: bool
    last_alive: LastAlive | None = None  # when last known alive and by whom, from the events the caller may read
    list: str | None  # the list it came in with (last: it shadows the type)


class FoundPerson(PersonOut):
    score: float | None = None  # with ``q``: how well the name matches


class PersonFull(PersonOut):
    """Every field of the Geneva Conventions' record (``people.models.PERSON_FIELDS``) and the audience."""
    model_config = ConfigDict(extra="allow")
    audience: list[str]


class Persons(BaseModel):
    persons: list[FoundPerson]


class EventOut(BaseModel):
    event: str  # a status event, or a monitoring observation: proof_of_life, contact, conditions
    date: str
    place: str
    note: str
    party: str
    index: int
    detail: str = ""  # a contact's means; whether the conditions are known or unknown
    source: dict[str, Any] | None = None  # where a monitoring observation comes from (records.sources.Source)


class DecisionOut(BaseModel):
    left: str
    right: str
    decision: str  # same or different
    party: str
    current: bool
    index: int
    withdrawn_by: int | None = None  # the record that reversed it (``match.withdraw``), if one did


class PersonPage(PersonFull):
    events: list[EventOut]
    same_as: list[PersonOut]  # the other parties' records of the same person
    decisions: list[DecisionOut]


class Registered(ReceiptBody):
    person: str


class PreviewRow(BaseModel):
    row: int
    status: str  # ok, duplicate (already in the registry, or repeats an earlier row) or rejected
    reason: str
    field: str | None
    of: str | None = None  # the person of your party's reports it duplicates
    of_row: int | None = None  # or the earlier row of the file it repeats


class PreviewOut(BaseModel):
    filename: str
    sha256: str
    headers: list[str]
    mapping: dict[str, str]  # column number → field
    warnings: list[str]
    rows: list[PreviewRow]


class ReportRow(BaseModel):
    """One row of a list: accepted as ``person``, a duplicate ``of`` a person (or ``of_row``), or rejected."""
    row: int
    status: str  # accepted, duplicate or rejected
    person: str | None = None
    of: str | None = None
    of_row: int | None = None
    reason: str | None = None
    field: str | None = None


class Imported(BaseModel):
    list_id: str = Field(alias="list")  # the answer's key is "list"; the attribute is not, so it shadows no type
    accepted: int
    duplicates: int
    rejected: int
    report: list[ReportRow]


class ListOut(BaseModel):
    id: str
    title: str
    party: str
    filename: str
    rows: int
    accepted: int
    duplicates: int
    rejected: int
    index: int


class Lists(BaseModel):
    lists: list[ListOut]


class ListReport(BaseModel):
    id: str
    title: str
    party: str
    filename: str
    sha256: str
    rows: int
    accepted: int
    duplicates: int
    rejected: int
    report: list[ReportRow]


class Pair(BaseModel):
    left: PersonFull
    right: PersonFull
    probability: float
    differences: list[str]


class Review(BaseModel):
    pairs: list[Pair]


class Filed(ReceiptBody):
    reference: str
    secret: str  # shown this once


class InquiryRow(BaseModel):
    reference: str
    status: str
    party: str
    sought: dict[str, Any]
    index: int


class Inquiries(BaseModel):
    inquiries: list[InquiryRow]


class InquiryDecisionOut(BaseModel):
    decision: str
    person: str | None
    message: str
    party: str
    index: int


class Candidate(PersonOut):
    probability: float


class InquiryAdditionOut(BaseModel):
    index: int
    at: str
    detail: dict[str, Any]  # the fields the family gave (people.kinds.InquiryAdd)


class InquiryOut(BaseModel):
    reference: str
    status: str
    party: str
    sought: dict[str, Any]
    relationship: str
    destroyed_by: int | None = None  # the inquiry.destroy record, once its data is destroyed
    decisions: list[InquiryDecisionOut]
    additions: list[InquiryAdditionOut]  # for the filing party's registrars and the mediators only
    candidates: list[Candidate]  # best first


class FamilyMessage(BaseModel):
    at: str
    message: str


class FamilyStepOut(BaseModel):
    at: str
    status: str  # open (filed), answered, closed: the status this step left
    message: str


class FamilyAdded(BaseModel):
    at: str
    fields: list[str]  # which fields the family added (their contents are not shown back)


class FamilyInquiry(BaseModel):
    reference: str
    status: str  # "answered" only once the family was told something
    sought: str  # the sought person's name
    messages: list[FamilyMessage]
    history: list[FamilyStepOut]  # the filing, then each status the filing party released to the family
    added: list[FamilyAdded]
    next_step: str  # wait (open), read (answered), closed
    may_add: bool  # the family may add to it here (open, and its party takes additions from families)


class FamilyParties(BaseModel):
    parties: list[str]


class FiledByFamily(BaseModel):
    reference: str
    secret: str  # shown this once
    index: int


def _answer(receipt: Receipt, **extra: Any) -> JSONResponse:
    return JSONResponse({**receipt.as_dict(), **extra}, status_code=200 if receipt.duplicate else 201)


def person_json(p: Person, *, full: bool = False, alive: Alive | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": p.id, "category": p.category, "party": p.party, "own_party": p.own_party,
                           "surname": p.surname, "first_name": p.first_name, "patronymic": p.patronymic,
                           "birth_date": p.birth_date, "status": p.status, "status_date": p.status_date,
                           "seriously_wounded": p.seriously_wounded,
                           "last_alive": alive.as_dict() if alive else None, "list": p.list_id}
    if full:
        out.update({f: getattr(p, f) for f in k.PERSON_FIELDS})
        out["audience"] = p.audience.split(",")
        if p.destroyed_idx is not None:
            out["destroyed_by"] = p.destroyed_idx  # a tombstone: every personal field is empty
    return out


# -- persons ---------------------------------------------------------------------------------------
@router.get("/persons", response_model=Persons, responses=refusals(*READ, 403))
def list_persons(s: DbSession, who: CurrentPrincipal, q: Annotated[str, Query(max_length=200)] = "",
                 category: Annotated[str, Query(max_length=16)] = "", party: Annotated[str, Query(max_length=64)] = "",
                 wounded: bool | None = None, list: Annotated[str, Query(max_length=64)] = "") -> Response:
    """Persons you may read: every one (newest first, at most 2,000), or those matching a name written in any
    script (``q``, best first, with a score)."""
    rows = svc.select_persons(s, who, q=q, category=category or None, party=party or None, wounded=wounded,
                              list_id=list or None, limit=2000)
    alive = svc.last_alive(s, who, [p for p, _ in rows])
    return json_answer({"persons": [{**person_json(p, alive=alive[p.id]),
                                     **({"score": round(score, 3)} if score is not None else {})}
                                    for p, score in rows]})


class RegisterBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Annotated[str | None, Field(max_length=64)] = None
    category: str
    own_party: str | None = None
    person: Annotated[dict[str, Any], Field(json_schema_extra=body_schema(k.PersonFields))]
    seriously_wounded: bool = False
    audience: Annotated[list[str] | None, Field(min_length=1, max_length=8)] = None


@router.post("/persons", status_code=201, response_model=Registered, responses=written(Registered))
async def register(body: RegisterBody, rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    pid = body.id or svc.new_person_id(who.party)
    payload: dict[str, Any] = {"id": pid, "category": body.category, "person": body.person,
                               "seriously_wounded": body.seriously_wounded}
    if body.own_party:
        payload["own_party"] = body.own_party
    audience = body.audience or k.person_audience(who.party, body.own_party)
    receipt = await submit_as_async(rt, s, who, "person.register", audience, payload)
    return _answer(receipt, person=pid)


@router.get("/persons/{pid}", response_model=PersonPage, responses=refusals(*READ, 403, 404))
def get_person(pid: str, s: DbSession, who: CurrentPrincipal) -> Response:
    p = svc.person(s, who, pid)
    events = svc.events(s, who, p)
    return json_answer({**person_json(p, full=True, alive=last_known_alive(events)),
                        "events": [{"event": e.event, "date": e.date, "place": e.place, "note": e.note,
                                    "party": e.party, "index": e.idx, "detail": e.detail,
                                    "source": json.loads(e.source) if e.source else None} for e in events],
                        "same_as": [person_json(x) for x in svc.same_as(s, who, p)],
                        "decisions": [{"left": d.left, "right": d.right, "decision": d.decision, "party": d.party,
                                       "current": d.current, "index": d.idx, "withdrawn_by": d.withdrawn_idx}
                                      for d in svc.decisions(s, who, p)]})


class EventBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    event: str
    date: str = ""
    place: str = ""
    note: str = ""
    seriously_wounded: bool | None = None


@router.post("/persons/{pid}/events", status_code=201, response_model=ReceiptBody, responses=written())
async def add_event(pid: str, body: EventBody, rt: CurrentRuntime, s: DbSession,
                    who: CurrentPrincipal) -> JSONResponse:
    p = svc.person(s, who, pid)
    payload = {"person": p.id, **body.model_dump(exclude_none=True)}
    receipt = await submit_as_async(rt, s, who, "person.event", p.audience.split(","), payload)
    return _answer(receipt)


class MonitorBody(BaseModel):
    """A monitoring observation (``person.monitor``); its audience is the person's."""
    model_config = ConfigDict(extra="forbid")
    observation: str  # proof_of_life, contact or conditions
    date: Annotated[str, Field(max_length=10)] = ""
    place: Annotated[str, Field(max_length=200)] = ""
    means: Annotated[str, Field(max_length=32)] = ""  # a contact: call, letter, message_via_mediator, other
    conditions: Annotated[str, Field(max_length=16)] = ""  # known or unknown
    note: Annotated[str, Field(max_length=4000)] = ""
    source: Annotated[dict[str, Any], Field(json_schema_extra=body_schema(Source))]


@router.post("/persons/{pid}/monitoring", status_code=201, response_model=ReceiptBody, responses=written())
async def add_monitoring(pid: str, body: MonitorBody, rt: CurrentRuntime, s: DbSession,
                         who: CurrentPrincipal) -> JSONResponse:
    """Proof of life, a contact or the conditions (known or unknown) of a person you may read, with its source."""
    p = svc.person(s, who, pid)
    payload = {"person": p.id, **{f: v for f, v in body.model_dump().items() if v not in ("", None)}}
    receipt = await submit_as_async(rt, s, who, "person.monitor", p.audience.split(","), payload)
    return _answer(receipt)


@router.get("/persons.{fmt}", response_class=Response, responses={
    200: {"description": "the persons as CSV (``csv``) or XLSX (``xlsx``); no cell is ever a formula",
          "content": {"text/csv": {"schema": {"type": "string"}},
                      XLSX: {"schema": {"type": "string", "format": "binary"}}}},
    **refusals(*READ, 403)})
def export_persons(fmt: str, s: DbSession, who: CurrentPrincipal, q: Annotated[str, Query(max_length=200)] = "",
                   category: Annotated[str, Query(max_length=16)] = "",
                   party: Annotated[str, Query(max_length=64)] = "", wounded: bool | None = None,
                   list: Annotated[str, Query(max_length=64)] = "") -> Response:
    """The same selection as ``GET /api/persons``, every row, as CSV or XLSX (no cell is ever a formula)."""
    rows = [p for p, _ in svc.select_persons(s, who, q=q, category=category or None, party=party or None,
                                             wounded=wounded, list_id=list or None, limit=1_000_000)]
    return persons_file(fmt, rows, "persons", svc.last_alive(s, who, rows))


# -- retention and destruction -------------------------------------------------------------------------
class Destruction(BaseModel):
    index: int  # the person.destroy or inquiry.destroy record
    person: str | None = None
    inquiry: str | None = None
    reason: str | None = None  # retention, court_order, request or other
    basis: str | None = None  # the legal basis
    author: str | None = None
    party: str | None = None
    time: str | None = None
    record_hash: str | None = None


class ExportedRecord(BaseModel):
    index: int
    kind: str
    author: str
    party: str
    time: str
    record_hash: str
    note: str  # the signed note
    payload: dict[str, Any] | None  # null once destroyed
    destroyed_by: int | None = None


class PersonExport(BaseModel):
    """Everything the caller may read about one person (``people.retention.export``)."""
    format: str  # parley.person-export/1
    exported_at: str
    exported_by: str
    person: dict[str, Any]  # the projection: every field of the Geneva Conventions' record, empty once destroyed
    destroyed: Destruction | None
    events: list[dict[str, Any]]
    match_decisions: list[dict[str, Any]]
    same_as: list[str]
    inquiry_decisions: list[dict[str, Any]]
    records: list[ExportedRecord]
    list: dict[str, Any] | None  # the list the person came in with: id, row, title (last: it shadows the type)


class DueRow(BaseModel):
    person: str
    category: str
    party: str
    status: str
    last_record: str
    due_since: str
    may_destroy: bool
    rule: int | None  # the party's retention.rules record, or None: the deployment's settings


class DueInquiry(BaseModel):
    inquiry: str
    party: str
    status: str
    last_record: str
    due_since: str
    may_destroy: bool
    rule: int | None


class PartyRules(BaseModel):
    party: str
    rules: dict[str, int]  # days, by person category and "inquiry"
    basis: str | None
    index: int  # the retention.rules record
    author: str
    time: str


class RetentionRule(BaseModel):
    days: int
    closed_statuses: list[str]


class RetentionReport(BaseModel):
    rules: dict[str, RetentionRule]  # the deployment's settings, by category: for parties that signed none
    party_rules: list[PartyRules]  # each party's latest signed rules, which govern its reports
    due: list[DueRow]
    due_inquiries: list[DueInquiry]
    destroyed: list[Destruction]


class RulesBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rules: dict[str, int]  # days by person category (pow, civilian, missing, deceased) and "inquiry"
    basis: Annotated[str, Field(max_length=1000)]  # the law or agreement the rules follow


class DestroyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str  # retention, court_order, request or other
    basis: Annotated[str, Field(max_length=1000)]  # the legal basis: the rule, the order's reference


@router.post("/persons/{pid}/destroy", status_code=201, response_model=ReceiptBody, responses=written())
async def destroy_person(pid: str, body: DestroyBody, rt: CurrentRuntime, s: DbSession,
                         who: CurrentPrincipal) -> JSONResponse:
    """Destroy a person's personal data for good: a signed ``person.destroy`` record by an admin of the reporting
    party. The log keeps its signed notes (every proof still verifies); the payloads, the projection and the
    data key are gone."""
    p = svc.person(s, who, pid)
    retention.require_destroyer(who, p)
    receipt = await submit_as_async(rt, s, who, "person.destroy", p.audience.split(","),
                                    retention.destruction_payload(p.id, body.reason, body.basis))
    return _answer(receipt)


@router.post("/retention/rules", status_code=201, response_model=ReceiptBody, responses=written())
async def set_retention_rules(body: RulesBody, rt: CurrentRuntime, s: DbSession,
                              who: CurrentPrincipal) -> JSONResponse:
    """Your party's retention rules, signed by one of its admins and read by every party (``retention.rules``):
    they replace the party's earlier ones and, for its reports, the deployment's settings."""
    receipt = await submit_as_async(rt, s, who, "retention.rules", ["all"], body.model_dump())
    return _answer(receipt)


@router.get("/persons/{pid}/export", response_model=PersonExport, responses=refusals(*READ, 403, 404))
def export_person(pid: str, s: DbSession, who: CurrentPrincipal) -> Response:
    """Everything you may read about one person, for an inquiry: the record as projected, its status history,
    match and inquiry decisions, its list, and every signed record naming the person with its payload (or the
    record that destroyed it)."""
    return json_answer(retention.export(s, who, pid))


@router.get("/retention", response_model=RetentionReport, responses=refusals(*READ, 403))
def retention_report(s: DbSession, rt: CurrentRuntime, who: CurrentPrincipal) -> Response:
    """The retention rules, the persons due for destruction under them, and every destruction you may read."""
    return json_answer(retention.report(s, who, rt.settings.retention_days))


# -- lists -----------------------------------------------------------------------------------------
def _mapping(text: str) -> dict[int, str] | None:
    import json

    if not text.strip():
        return None
    try:
        raw = json.loads(text)
        return {int(i): str(f) for i, f in raw.items() if f}
    except (ValueError, AttributeError, TypeError):
        raise Unprocessable(C.MAPPING_FORM, field="mapping") from None


async def _read_upload(file: UploadFile) -> bytes:
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise Unprocessable(C.FILE_TOO_LARGE, mb=MAX_UPLOAD >> 20, field="file")
    if not data:
        raise Unprocessable(C.FILE_EMPTY, field="file")
    return data


def preview_json(pv: svc.Preview, dups: dict[int, svc.Duplicate] | None = None) -> dict[str, Any]:
    """The rows as the import would report them, before anything is signed: ``ok``, ``duplicate`` (of a person,
    or of an earlier row) or ``rejected``."""
    dups = dups or {}

    def row(r: Any) -> dict[str, Any]:
        d = dups.get(r.row)
        if d is None:
            return {"row": r.row, "status": r.status, "reason": r.reason, "field": r.field}
        return {"row": r.row, "status": "duplicate", "field": None,
                "reason": "already in the registry from your party" if d.of is not None
                else f"repeats row {d.of_row} of this file",
                "of": d.of.id if d.of is not None else None, "of_row": d.of_row}

    return {"filename": pv.filename, "sha256": pv.sha256, "headers": pv.sheet.headers,
            "mapping": {str(i): f for i, f in pv.mapping.items()}, "warnings": pv.sheet.warnings,
            "rows": [row(r) for r in pv.rows]}


@router.post("/lists/preview", response_model=PreviewOut, responses=refusals(*WRITE))
async def preview_list(s: DbSession, who: CurrentPrincipal, file: Annotated[UploadFile, File()],
                       mapping: Annotated[str, Form(max_length=5000)] = "",
                       default_category: Annotated[str, Form(max_length=16)] = "") -> Response:
    svc.require_reader(who)
    data = await _read_upload(file)
    pv = await run_in_threadpool(svc.preview, data, file.filename or "list", _mapping(mapping),
                                 default_category or None)
    return json_answer(preview_json(pv, svc.duplicates(s, who, pv.rows)))


@router.post("/lists", status_code=201, response_model=Imported, responses=refusals(*WRITE))
async def import_list(rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal, file: Annotated[UploadFile, File()],
                      title: Annotated[str, Form(max_length=200)] = "",
                      mapping: Annotated[str, Form(max_length=5000)] = "",
                      default_category: Annotated[str, Form(max_length=16)] = "",
                      own_party: Annotated[str, Form(max_length=64, description=(
                          "The persons' own party (a party's slug), or 'unknown'. Required for a list with "
                          "prisoners of war: otherwise the other party never sees them."))] = "") -> JSONResponse:
    svc.require_reader(who)
    data = await _read_upload(file)
    pv = await run_in_threadpool(svc.preview, data, file.filename or "list", _mapping(mapping),
                                 default_category or None)
    many, one = submitter(rt, s, who)
    result = await run_in_threadpool(svc.import_rows, s, who, many, one, pv, title=title, own_party=own_party or None)
    return JSONResponse({"list": result.list_id, "accepted": result.accepted, "duplicates": result.duplicates,
                         "rejected": result.rejected, "report": result.report}, status_code=201)


@router.get("/lists", response_model=Lists, responses=refusals(401, 403, 503))
def get_lists(s: DbSession, who: CurrentPrincipal) -> Response:
    return json_answer({"lists": [{"id": x.id, "title": x.title, "party": x.party, "filename": x.filename,
                                   "rows": x.rows, "accepted": x.accepted, "duplicates": x.duplicates,
                                   "rejected": x.rejected, "index": x.idx} for x in svc.lists(s, who)]})


@router.get("/lists/{list_id}", response_model=ListReport, responses=refusals(*READ, 403, 404))
def get_list(list_id: str, s: DbSession, who: CurrentPrincipal) -> Response:
    import json

    x = svc.person_list(s, who, list_id)
    return json_answer({"id": x.id, "title": x.title, "party": x.party, "filename": x.filename, "sha256": x.sha256,
                        "rows": x.rows, "accepted": x.accepted, "duplicates": x.duplicates, "rejected": x.rejected,
                        "report": json.loads(x.report)})


class RowCorrection(BaseModel):
    """A rejected row of a list, corrected: its cells as the file would give them (field → text, read and checked
    as the file's rows are), and the persons' own party (a slug, or ``unknown``; required for a prisoner of war)."""

    model_config = ConfigDict(extra="forbid")
    cells: dict[Annotated[str, Field(max_length=64)], Annotated[str, Field(max_length=4000)]]
    own_party: Annotated[str, Field(max_length=64)] = ""


class RowCorrected(ReceiptBody):
    person: str


@router.post("/lists/{list_id}/rows/{row}", status_code=201, response_model=RowCorrected,
             responses=written(RowCorrected))
async def correct_row(list_id: str, row: int, body: RowCorrection, rt: CurrentRuntime, s: DbSession,
                      who: CurrentPrincipal) -> JSONResponse:
    """Correct a rejected row of a list you imported and submit it again: one signed ``person.register`` naming
    the list and the row; nothing else of the list is imported again."""
    receipts: list[Receipt] = []
    _, submit_one = submitter(rt, s, who)

    def one(kind: str, audience: list[str], payload: dict[str, Any]) -> Receipt:
        receipts.append(submit_one(kind, audience, payload))
        return receipts[-1]

    pid = await run_in_threadpool(svc.correct_row, s, who, one, list_id[:64], row, body.cells,
                                  body.own_party or None)
    return _answer(receipts[-1], person=pid)


class WithdrawBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, Field(max_length=4000)]


@router.post("/matches/{index}/withdraw", status_code=201, response_model=ReceiptBody, responses=written())
async def withdraw_decision(index: int, body: WithdrawBody, rt: CurrentRuntime, s: DbSession,
                            who: CurrentPrincipal) -> JSONResponse:
    """Reverse a match decision made by mistake (``match.withdraw``): a later signed record, never an edit; the
    pair goes back to the review queue."""
    d = svc.decision(s, who, index)
    receipt = await submit_as_async(rt, s, who, "match.withdraw", d.audience.split(","),
                                    {"decision": d.idx, "left": d.left, "right": d.right, "reason": body.reason})
    return _answer(receipt)


# -- review queue and decisions --------------------------------------------------------------------
@router.get("/review", response_model=Review, responses=refusals(*READ, 403))
def review(s: DbSession, who: CurrentPrincipal,
           threshold: Annotated[float, Query(ge=svc.REVIEW_FLOOR, le=1)] = 0.5) -> Response:
    pairs = svc.review_queue(s, who, threshold=threshold)
    return json_answer({"pairs": [{"left": person_json(p.left, full=True), "right": person_json(p.right, full=True),
                                   "probability": round(p.probability, 4), "differences": p.differences}
                                  for p in pairs]})


class DecideBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    left: str
    right: str
    decision: Annotated[str, Field(description="same or different")]
    probability: float | None = None
    note: str = ""


@router.post("/matches", status_code=201, response_model=ReceiptBody, responses=written())
async def decide(body: DecideBody, rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    left, right = svc.person(s, who, body.left), svc.person(s, who, body.right)
    audience = svc.decision_audience(left, right)
    receipt = await submit_as_async(rt, s, who, "match.decide", audience,
                                  body.model_dump(exclude_none=True))
    return _answer(receipt)


# -- inquiries -------------------------------------------------------------------------------------
class InquiryBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sought: SoughtObject
    relationship: str = ""
    contact: str = ""


@router.post("/inquiries", status_code=201, response_model=Filed, responses=written(Filed))
async def file_inquiry(body: InquiryBody, rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    ref, secret = svc.new_reference(who.party), svc.new_secret()
    payload = {"id": ref, "sought": body.sought, "relationship": body.relationship, "contact": body.contact}
    local = await run_in_threadpool(svc.local_secret, secret)
    receipt = await submit_as_async(rt, s, who, "inquiry.file", [f"party:{who.party}"], payload, local=local)
    # The secret is shown once, to be handed to the family; only its hash is kept, beside the record and never
    # in the log.
    return _answer(receipt, reference=ref, secret=secret)


@router.get("/inquiries", response_model=Inquiries, responses=refusals(*READ, 403))
def get_inquiries(s: DbSession, who: CurrentPrincipal, status: str = "") -> Response:
    return json_answer({"inquiries": [{"reference": i.id, "status": i.status, "party": i.party,
                                       "sought": svc.sought_of(i, who), "index": i.created_idx}
                                      for i in svc.inquiries(s, who, status=status or None)]})


@router.get("/inquiries/{ref}", response_model=InquiryOut, responses=refusals(*READ, 403, 404))
def get_inquiry(ref: str, s: DbSession, who: CurrentPrincipal) -> Response:
    i = svc.inquiry(s, who, ref)
    sought = svc.sought_of(i, who)
    gone = retention.inquiry_destroyed_by(s, i)
    return json_answer({"reference": i.id, "status": i.status, "party": i.party, "sought": sought,
                        "relationship": i.relationship, "destroyed_by": gone,
                        "decisions": [{"decision": d.decision, "person": d.person, "message": d.message,
                                       "party": d.party, "index": d.idx} for d in svc.inquiry_decisions(s, who, i)],
                        "additions": [{"index": a.idx, "at": _at(a.at), "detail": detail}
                                      for a, detail in svc.inquiry_additions(s, who, i)],
                        "candidates": [] if gone is not None else
                        [{**person_json(p), "probability": round(prob, 4)}
                         for p, prob in svc.candidates_for(s, who, sought)]})


class AdditionBody(BaseModel):
    """What a family adds to its inquiry (``people.kinds.InquiryAdd``): at least one field."""

    model_config = ConfigDict(extra="forbid")
    marks: Annotated[str, Field(max_length=4000)] = ""
    documents: Annotated[str, Field(max_length=4000)] = ""
    dna_reference: Annotated[str, Field(max_length=200)] = ""
    dna_place: Annotated[str, Field(max_length=200)] = ""
    contact_channel: Literal["", "email", "phone", "post", "none"] = ""
    contact_email: Annotated[str, Field(max_length=320)] = ""
    contact_language: Literal["", "uk", "ru", "en"] = ""
    notify: bool = False


@router.post("/inquiries/{ref}/additions", status_code=201, response_model=ReceiptBody, responses=written())
async def add_to_inquiry(ref: str, body: AdditionBody, rt: CurrentRuntime, s: DbSession,
                         who: CurrentPrincipal) -> JSONResponse:
    """What the family told a registrar of the party it filed with (by telephone, at the desk), added to its
    inquiry on its behalf: read by that party's registrars and the mediators only."""
    i = svc.inquiry(s, who, ref)
    given = {f: v for f, v in body.model_dump().items() if v not in ("", False)}
    receipt = await submit_as_async(rt, s, who, "inquiry.add", [k.inquiry_audience(i)], {"inquiry": i.id, **given})
    return _answer(receipt)


class ReleaseBody(BaseModel):
    """What of an inquiry goes out to other tracing tools (``people.kinds.InquiryRelease``)."""

    model_config = ConfigDict(extra="forbid")
    fields: list[Literal["surname", "first_name", "patronymic", "birth_date", "last_seen_date", "last_seen_place"]] = \
        Field(default_factory=list, max_length=6)
    status_notes: bool = False
    withdraw: bool = False


@router.post("/inquiries/{ref}/release", status_code=201, response_model=ReceiptBody, responses=written())
async def release_inquiry(ref: str, body: ReleaseBody, rt: CurrentRuntime, s: DbSession,
                          who: CurrentPrincipal) -> JSONResponse:
    """Release an inquiry for other tracing tools (the PFIF export), naming the fields that go out, or withdraw
    it: a registrar or admin of the party it was filed with (``inquiry.release``)."""
    i = svc.inquiry(s, who, ref)
    payload = {"inquiry": i.id, **body.model_dump()}
    receipt = await submit_as_async(rt, s, who, "inquiry.release", i.audience.split(","), payload)
    return _answer(receipt)


@router.get("/inquiries.pfif", response_class=Response, responses={
    200: {"description": "PFIF 1.4 XML: the released inquiries you may read, as persons with their notes",
          "content": {"application/xml": {"schema": {"type": "string"}}}},
    **refusals(*READ, 403)})
def export_pfif(s: DbSession, rt: CurrentRuntime, who: CurrentPrincipal,
                party: Annotated[str, Query(max_length=64)] = "") -> Response:
    """The inquiries their filing parties released for other tracing tools, as PFIF 1.4 (People Finder
    Interchange Format): only the released fields, and status notes without any message to the family."""
    from parley.people import pfif

    svc.require_reader(who)
    body = pfif.document(s, pfif.released(s, who, party or None), rt.settings.log_origin)
    return Response(body, media_type="application/xml",
                    headers={"Content-Disposition": 'attachment; filename="inquiries.pfif.xml"',
                             "Cache-Control": "no-store"})


class InquiryDecideBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Annotated[str, Field(description="confirmed, rejected, message or closed")]
    person: str | None = None
    message: str = ""


@router.post("/inquiries/{ref}/decisions", status_code=201, response_model=ReceiptBody, responses=written())
async def decide_inquiry(ref: str, body: InquiryDecideBody, rt: CurrentRuntime, s: DbSession,
                         who: CurrentPrincipal) -> JSONResponse:
    i = svc.inquiry(s, who, ref)
    payload = {"inquiry": i.id, **body.model_dump(exclude_none=True)}
    receipt = await submit_as_async(rt, s, who, "inquiry.decide", i.audience.split(","), payload)
    return _answer(receipt)


@router.post("/inquiries/{ref}/destroy", status_code=201, response_model=ReceiptBody, responses=written())
async def destroy_inquiry(ref: str, body: DestroyBody, rt: CurrentRuntime, s: DbSession,
                          who: CurrentPrincipal) -> JSONResponse:
    """Destroy an inquiry's data for good (the family's description of the sought person, their contact, what
    they were told): a signed ``inquiry.destroy`` record by an admin of the party it was filed with."""
    i = svc.inquiry(s, who, ref)
    retention.require_inquiry_destroyer(who, i)
    receipt = await submit_as_async(rt, s, who, "inquiry.destroy", i.audience.split(","),
                                    {"inquiry": i.id, "reason": body.reason, "basis": body.basis})
    return _answer(receipt)


class FamilyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reference: Annotated[str, Field(max_length=80)]
    secret: Annotated[str, Field(max_length=100)]


def _address(request: Request) -> str:
    return address_key(client_address(request))


def _too_many() -> JSONResponse:
    return JSONResponse({"error": "too_many_requests", "message": "too many attempts from your address; wait and "
                         "try again"}, status_code=429)


@router.post("/family/inquiry", response_model=FamilyInquiry, responses=refusals(404, 413, 422, 429, 503))
def family(body: FamilyBody, request: Request, s: DbSession) -> JSONResponse:
    """A family reads its own inquiry with its reference and secret (no account): the status and the messages
    the registrars wrote for it, nothing else."""
    address = _address(request)
    attempts = svc.public_limits(request.app.state).family
    if attempts.blocked(address):
        return _too_many()
    view = svc.family_view(s, body.reference, body.secret)
    if view is None:
        attempts.count(address)
        return JSONResponse({"error": "not_found", "message": "no inquiry with this reference and secret"},
                            status_code=404)
    return JSONResponse({"reference": view.reference, "status": view.status, "sought": view.sought_name,
                         "messages": [{"at": _at(at), "message": m} for at, m in view.messages],
                         "history": [{"at": _at(h.at), "status": h.status, "message": h.message} for h in view.history],
                         "added": [{"at": _at(at), "fields": fields} for at, fields in view.added],
                         "next_step": NEXT_STEP[view.status], "may_add": view.may_add},
                        headers={"Cache-Control": "no-store"})


def _at(at: Any) -> str:
    return str(at.strftime("%Y-%m-%dT%H:%M:%SZ"))


# What the family should do next, by the status it sees (the pages say it in the family's language).
NEXT_STEP = {"open": "wait", "answered": "read", "closed": "closed"}


class FamilyAdditionBody(AdditionBody):
    """What a family adds to its own inquiry, with its reference and secret (``people.kinds.InquiryAdd``)."""

    reference: Annotated[str, Field(max_length=80)]
    secret: Annotated[str, Field(max_length=100)]


@router.post("/family/inquiry/additions", status_code=201, response_model=ReceiptBody,
             responses={200: {"model": ReceiptBody, "description": "the same record again: its receipt, duplicate"},
                        **refusals(400, 404, 409, 413, 422, 429, 503)})
async def family_adds(body: FamilyAdditionBody, request: Request, rt: CurrentRuntime, s: DbSession) -> JSONResponse:
    """A family adds to its own inquiry with its reference and secret (no account): distinguishing marks, the
    documents it holds, a DNA sample's reference and where it was given, how it wants to be reached and whether
    it wants to be told of news. Signed by the filing party's intake member; read by that party's registrars and
    the mediators only. Wrong references and secrets count against the address like a look-up."""
    address = _address(request)
    attempts = svc.public_limits(request.app.state).family
    if attempts.blocked(address):
        return _too_many()
    i = await run_in_threadpool(svc.family_inquiry, s, body.reference, body.secret)
    if i is None:
        attempts.count(address)
        return JSONResponse({"error": "not_found", "message": "no inquiry with this reference and secret"},
                            status_code=404)

    def submit(who: Principal, kind: str, audience: list[str], payload: dict[str, Any],
               local: dict[str, Any]) -> Receipt:
        return submit_as(rt, s, who, kind, audience, payload, local=local)

    fields = body.model_dump(exclude={"reference", "secret"})
    receipt = await run_in_threadpool(svc.add_from_family, s, submit, i, fields)
    return _answer(receipt)


class DirectInquiryBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    party: Annotated[str, Field(max_length=64)]
    sought: SoughtObject
    relationship: Annotated[str, Field(max_length=200)] = ""
    contact: Annotated[str, Field(max_length=4000)] = ""


@router.get("/family/parties", response_model=FamilyParties, responses=refusals(503))
def family_parties(s: DbSession) -> Response:
    """The parties that take inquiries from families directly."""
    return json_answer({"parties": svc.intake_parties(s)})


@router.post("/family/inquiries", status_code=201, response_model=FiledByFamily,
             responses=refusals(400, 403, 404, 409, 413, 422, 429, 503))
async def family_files(body: DirectInquiryBody, request: Request, rt: CurrentRuntime, s: DbSession) -> JSONResponse:
    """A family files an inquiry itself (no account). It is signed by the party's intake member, read by that
    party's registrars and the mediators; the answer carries the reference and the secret, shown this once."""
    address = _address(request)
    filings = svc.public_limits(request.app.state).filings
    if filings.blocked(address):
        return _too_many()
    filings.count(address)

    def submit(who: Principal, kind: str, audience: list[str], payload: dict[str, Any],
               local: dict[str, Any]) -> Receipt:
        return submit_as(rt, s, who, kind, audience, payload, local=local)

    ref, secret, receipt = await run_in_threadpool(svc.file_directly, s, submit, body.party, body.sought,
                                                   body.relationship, body.contact)
    return JSONResponse({"reference": ref, "secret": secret, "index": receipt.index}, status_code=201)


# -- access to places of detention ----------------------------------------------------------------------------
class PlaceOut(BaseModel):
    name: str
    lat: float | None
    lon: float | None


class AccessAnswerOut(BaseModel):
    answer: str  # granted or refused
    visit_on: str  # granted: the date of the visit
    reason: str  # refused: why
    author: str
    at: str | None
    index: int
    source: dict[str, Any]


class AccessRequestOut(BaseModel):
    id: str
    place: PlaceOut
    holder: str  # the holding party
    party: str  # the asking mediator
    author: str
    audience: list[str]
    purpose: str
    asked_at: str
    index: int
    answer_by: str | None  # the date an answer was asked by
    source: dict[str, Any]
    state: str  # asked (no answer: silence is never an answer), granted or refused
    overdue: bool  # asked, and past answer_by: computed now, never recorded
    answer: AccessAnswerOut | None


class AccessRequests(BaseModel):
    requests: list[AccessRequestOut]


class AccessAskBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Annotated[str | None, Field(max_length=64)] = None
    place: Annotated[dict[str, Any], Field(json_schema_extra=body_schema(access.Place))]
    holder: Annotated[str, Field(max_length=64)]
    purpose: Annotated[str, Field(max_length=4000)] = ""
    answer_by: Annotated[str | None, Field(max_length=40)] = None
    source: Annotated[dict[str, Any] | None, Field(json_schema_extra=body_schema(Source))] = None
    # The parties that read it: by default the asking mediator and the holding party, never more unless named.
    audience: Annotated[list[str] | None, Field(min_length=1, max_length=8)] = None


class Asked(ReceiptBody):
    request: str


class AccessAnswerBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: Annotated[str, Field(max_length=16)]  # granted or refused
    visit_on: Annotated[str, Field(max_length=10)] = ""
    reason: Annotated[str, Field(max_length=4000)] = ""
    source: Annotated[dict[str, Any] | None, Field(json_schema_extra=body_schema(Source))] = None


def _now() -> datetime:
    return datetime.now(UTC)


@router.get("/access-requests", response_model=AccessRequests, responses=refusals(*READ))
def list_access_requests(s: DbSession, who: CurrentPrincipal, state: Annotated[str, Query(max_length=16)] = "",
                         holder: Annotated[str, Query(max_length=64)] = "") -> Response:
    """Requests for access to places of detention you may read, newest first, with their answers; a request
    the holding party has not answered is ``asked`` (and ``overdue`` past the date asked)."""
    now = _now()
    return json_answer({"requests": [access.as_json(r, now) for r in access.requests(s, who, state=state,
                                                                                     holder=holder)]})


@router.get("/access-requests/{rid}", response_model=AccessRequestOut, responses=refusals(*READ, 404))
def get_access_request(rid: str, s: DbSession, who: CurrentPrincipal) -> Response:
    """One request; 404 alike for one that does not exist and one you may not read."""
    return json_answer(access.as_json(access.request(s, who, rid[:64]), _now()))


@router.post("/access-requests", status_code=201, response_model=Asked, responses=written(Asked))
async def ask_access(body: AccessAskBody, rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    """A mediator asks the holding party for access to visit a place of detention (``place.access_request``)."""
    rid = body.id or access.new_request_id(who.party)
    payload: dict[str, Any] = {"id": rid, "place": body.place, "holder": body.holder}
    for name in ("purpose", "answer_by", "source"):
        if getattr(body, name):
            payload[name] = getattr(body, name)
    audience = body.audience or access.default_audience(who.party, body.holder)
    receipt = await submit_as_async(rt, s, who, access.REQUEST, audience, payload)
    return _answer(receipt, request=rid)


@router.post("/access-requests/{rid}/answer", status_code=201, response_model=ReceiptBody, responses=written())
async def answer_access(rid: str, body: AccessAnswerBody, rt: CurrentRuntime, s: DbSession,
                        who: CurrentPrincipal) -> JSONResponse:
    """The holding party's one answer: ``granted`` with the date of the visit, or ``refused`` with its reason
    (``place.access_answer``, with the request's audience)."""
    r = access.request(s, who, rid[:64])
    payload: dict[str, Any] = {"request": r.id, **{f: v for f, v in body.model_dump().items() if v not in ("", None)}}
    receipt = await submit_as_async(rt, s, who, access.ANSWER, r.audience.split(","), payload)
    return _answer(receipt)
