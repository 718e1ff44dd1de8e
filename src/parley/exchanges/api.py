"""HTTP API of exchanges: the agreement and its versions and sign-offs, each side's lists and their check against
the registry, consent interviews, the plan (computed by the solver, then signed), the handover person by person,
remains and their identification, each side's count and the reconciliation, status and release, and the act of
transfer of a stage as a PDF.

Reads go through the read policy (``exchanges.service``): an exchange the caller may not read answers 404 as an
absent one. Every write is a record signed with the caller's custodial key and appended through the pipeline
(``submit_as``), addressed by default to the exchange's parties and mediators (closed); a consent interview to the
holding party and the mediators only.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from parley.apischema import READ, ReceiptBody, body_schema, media, refusals, written
from parley.apischema import answer as json_answer
from parley.auth import CurrentPrincipal, CurrentRuntime, DbSession, Principal
from parley.exchanges import kinds as k
from parley.exchanges import service as svc
from parley.exchanges.models import Exchange, ExchangeEntry
from parley.people.models import Person
from parley.records.figures import Figure, words
from parley.records.ids import new_id
from parley.records.pipeline import Receipt
from parley.submit import submit_as_async

router = APIRouter(prefix="/api/exchanges", tags=["exchanges"])
Audience = Annotated[list[str] | None, Field(min_length=1, max_length=64)]


class Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class ExchangeOut(Loose):
    id: str
    record: int
    title: str
    kind: str  # prisoners, civilians, remains or mixed
    parties: list[str]
    mediators: list[str]
    version: int
    sha256: str  # of the current terms: what a party signs
    agreed_version: int | None
    status: str  # proposed, agreed, under_way, completed, suspended or cancelled
    formula: str
    terms: dict[str, Any]
    operation: str | None
    point: str | None


class Exchanges(BaseModel):
    exchanges: list[ExchangeOut]


class ExchangeFull(ExchangeOut):
    versions: list[dict[str, Any]]
    signoffs: list[dict[str, Any]]
    statuses: list[dict[str, Any]]
    lists: list[dict[str, Any]]
    plan: dict[str, Any] | None


class PersonRef(Loose):
    id: str
    party: str
    surname: str
    first_name: str
    patronymic: str
    birth_date: str
    status: str


class CheckOut(Loose):
    side: str
    direction: str  # hand_over or ask_for
    n: int
    person: PersonRef | dict[str, str]
    result: str  # found, not_found, ambiguous, released, deceased, other_exchange or duplicate
    counterpart: PersonRef | None
    probability: float | None
    other_exchange: str | None
    candidates: list[dict[str, Any]]
    consent: str | None  # wants, refused or not_interviewed (hand-over entries)
    reason: str | None  # a refusal's reason: mediators and the holding party only


class Checks(BaseModel):
    entries: list[CheckOut]


class DiffOut(BaseModel):
    side: str
    direction: str
    old: int
    new: int
    added: list[str]
    removed: list[str]
    kept: int


class ReasonOut(BaseModel):
    person: str
    side: str
    stage: int | None
    code: str
    detail: dict[str, Any]


class PlanOut(BaseModel):
    stages: list[dict[str, Any]]
    reasons: list[ReasonOut]
    status: str
    objective: float
    gap: float
    seconds: float


class BoardOut(BaseModel):
    persons: list[dict[str, Any]]


class ReconciliationOut(BaseModel):
    stage: int | None
    lines: list[dict[str, Any]]
    counts: list[dict[str, Any]]


class BodiesOut(BaseModel):
    remains: list[dict[str, Any]]
    bodies: list[dict[str, Any]]


class Released(BaseModel):
    released: list[dict[str, Any]]


class Created(ReceiptBody):
    id: str


# --- views ---------------------------------------------------------------------------------------------------

def exchange_json(x: Exchange) -> dict[str, Any]:
    t = svc.terms(x)
    return {"id": x.id, "record": x.idx, "title": x.title, "kind": x.kind, "parties": x.party_list,
            "mediators": x.mediator_list, "version": x.version, "sha256": x.sha256,
            "agreed_version": x.agreed_version, "status": x.status, "formula": svc.formula_text(t), "terms": t,
            "operation": x.operation, "point": x.point}


def person_json(p: Person | None, pid: str = "") -> dict[str, Any]:
    if p is None:
        return {"id": pid}
    return {"id": p.id, "party": p.party, "surname": p.surname, "first_name": p.first_name,
            "patronymic": p.patronymic, "birth_date": p.birth_date, "status": p.status, "category": p.category,
            "rank": p.rank, "seriously_wounded": p.seriously_wounded}


def figure_json(f: Figure | None) -> dict[str, Any] | None:
    return None if f is None else {**f.model_dump(exclude_none=True), "words": words(f)}


# --- reads ---------------------------------------------------------------------------------------------------

@router.get("", response_model=Exchanges, responses=refusals(*READ))
def list_exchanges(s: DbSession, who: CurrentPrincipal) -> Response:
    return json_answer({"exchanges": [exchange_json(x) for x in svc.exchanges(s, who)]})


@router.get("/released", response_model=Released, responses=refusals(*READ))
def list_released(s: DbSession, who: CurrentPrincipal) -> Response:
    """Completed exchanges a party has released, with the figures it made public and no names (nor the title of
    the terms, which only the exchange's readers read): what a press officer reads. Nothing of an exchange before
    its release."""
    import json

    return json_answer({"released": [
        {"exchange": x.id, "kind": x.kind, "party": r.party, "record": r.idx,
         "at": r.at.isoformat(), "figures": json.loads(r.figures or "{}"), "note": r.reason}
        for x, r in svc.released(s, who)]})


@router.get("/{exchange_id}", response_model=ExchangeFull, responses=refusals(*READ, 404))
def get_exchange(exchange_id: str, s: DbSession, who: CurrentPrincipal) -> Response:
    import json

    x = svc.exchange(s, who, exchange_id)
    plan = svc.current(s, who, x)
    return json_answer({
        **exchange_json(x),
        "versions": [{"version": v.version, "record": v.idx, "sha256": v.sha256, "title": v.title,
                      "terms": json.loads(v.terms), "by": v.author, "party": v.party, "at": v.at.isoformat()}
                     for v in svc.versions(s, who, x)],
        "signoffs": [{"version": g.version, "party": g.signer, "sha256": g.sha256, "record": g.idx, "by": g.author,
                      "at": g.at.isoformat()} for g in svc.signoffs(s, who, x)],
        "statuses": [{"status": r.status, "record": r.idx, "reason": r.reason, "party": r.party,
                      "figures": json.loads(r.figures) if r.figures else None, "at": r.at.isoformat()}
                     for r in svc.statuses(s, who, x)],
        "lists": [{"side": lv.party, "direction": lv.direction, "version": lv.version, "record": lv.idx,
                   "persons": json.loads(lv.persons), "note": lv.note, "at": lv.at.isoformat()}
                  for lv in svc.list_versions(s, who, x)],
        "plan": None if plan is None else {"record": plan.idx, "stages": json.loads(plan.stages),
                                           "pinned": json.loads(plan.pinned), "excluded": json.loads(plan.excluded),
                                           "gap": plan.gap, "by": plan.author, "at": plan.at.isoformat()},
    })


@router.get("/{exchange_id}/check", response_model=Checks, responses=refusals(*READ, 404))
def check_lists(exchange_id: str, s: DbSession, who: CurrentPrincipal) -> Response:
    """Every entry of every current list, checked against the registry with the matcher: the other side's record
    of the same person found (with the probability), not found, ambiguous (see the review queue), already released,
    deceased, already on another open exchange, or a duplicate within the list."""
    x = svc.exchange(s, who, exchange_id)
    cons = svc.consents(s, who, x)
    out = []
    for c in svc.check(s, who, x):
        con = cons.get(c.person)
        out.append({"side": c.side, "direction": c.direction, "n": c.n, "person": person_json(c.record, c.person),
                    "result": c.result, "counterpart": None if c.counterpart is None else person_json(c.counterpart),
                    "probability": None if c.probability is None else round(c.probability, 4),
                    "other_exchange": c.other,
                    "candidates": [{"person": q.id, "party": q.party, "probability": round(pr, 4)}
                                   for q, pr in c.candidates],
                    "consent": None if c.direction != "hand_over" else (con.state if con else "not_interviewed"),
                    "reason": con.reason if con else None})
    return json_answer({"entries": out})


@router.get("/{exchange_id}/lists/diff", response_model=DiffOut, responses=refusals(*READ, 404))
def diff_lists(exchange_id: str, s: DbSession, who: CurrentPrincipal, side: Annotated[str, Query(max_length=64)],
               direction: Literal["hand_over", "ask_for"], old: Annotated[int, Query(ge=1)],
               new: Annotated[int, Query(ge=1)]) -> Response:
    x = svc.exchange(s, who, exchange_id)
    d = svc.list_diff(s, who, x, side, direction, old, new)
    return json_answer(d.__dict__)


def _plan_json(p: Any) -> dict[str, Any]:
    return {"stages": [{"stage": n, "persons": [{"side": side, "person": pid} for side, pid in st]}
                       for n, st in enumerate(p.stages, 1)],
            "reasons": [{"person": r.person, "side": r.side, "stage": r.stage, "code": r.code, "detail": r.detail}
                        for r in p.reasons],
            "status": p.status, "objective": p.objective, "gap": p.gap, "seconds": round(p.seconds, 3)}


class PlanAsk(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pinned: Annotated[list[str], Field(max_length=1000)] = []
    excluded: Annotated[list[str], Field(max_length=1000)] = []


@router.post("/{exchange_id}/plan/compute", response_model=PlanOut, responses=refusals(*READ, 404, 409, 413))
def compute_plan(exchange_id: str, body: PlanAsk, s: DbSession, who: CurrentPrincipal) -> Response:
    """Propose a plan (nothing is stored): an integer program over the consenting, verified persons on the
    hand-over lists that satisfies the formula and the stages, the seriously wounded and sick first, then the
    longest held; ``pinned`` persons in, ``excluded`` out. Each person's reason in or out; a formula that cannot be
    satisfied is refused naming the constraint that fails. Sign it with ``POST …/plans``."""
    x = svc.exchange(s, who, exchange_id)
    return json_answer(_plan_json(svc.solve(s, who, x, pinned=set(body.pinned), excluded=set(body.excluded))))


@router.get("/{exchange_id}/handover", response_model=BoardOut, responses=refusals(*READ, 404))
def handover_board(exchange_id: str, s: DbSession, who: CurrentPrincipal) -> Response:
    x = svc.exchange(s, who, exchange_id)
    return json_answer({"persons": [
        {"person": person_json(b.record, b.person), "stage": b.stage, "side": b.side,
         "as_person": None if b.as_person is None else person_json(b.as_person), "complete": b.complete,
         "steps": {step: {"record": h.idx, "at": h.happened_at.isoformat(), "place": h.place, "by": h.author}
                   for step, h in b.steps.items()}} for b in svc.board(s, who, x)]})


@router.get("/{exchange_id}/reconciliation", response_model=ReconciliationOut, responses=refusals(*READ, 404))
def reconciliation(exchange_id: str, s: DbSession, who: CurrentPrincipal,
                   stage: Annotated[int | None, Query(ge=1, le=50)] = None) -> Response:
    """Each party's own count beside the person-by-person tally of the handover confirmations, and who accounts
    for every difference."""
    import json

    x = svc.exchange(s, who, exchange_id)
    r = svc.reconcile(s, who, x, stage)
    return json_answer({"stage": r.stage, "lines": [
        {"party": ln.party, "what": ln.what, "category": ln.category or None, "stated": figure_json(ln.stated),
         "tally": ln.tally, "tally_high": ln.tally_high,
         "agrees": ln.agrees, "persons": ln.persons, "why": ln.why} for ln in r.lines],
        "counts": [{"record": c.idx, "party": c.party, "stage": c.stage, "figures": json.loads(c.figures),
                    "note": c.note, "at": c.at.isoformat()} for c in r.counts]})


@router.get("/{exchange_id}/bodies", response_model=BodiesOut, responses=refusals(*READ, 404))
def list_bodies(exchange_id: str, s: DbSession, who: CurrentPrincipal) -> Response:
    x = svc.exchange(s, who, exchange_id)
    return json_answer({
        "remains": [{"record": r.idx, "stage": r.stage, "sender": r.sender, "receiver": r.receiver,
                     "count": figure_json(svc.remains_figure(r)), "at": r.happened_at.isoformat(), "place": r.place}
                    for r in svc.remains(s, who, x)],
        "bodies": [{"tag": b.tag, "stage": b.stage, "sender": b.sender, "receiver": b.receiver, "state": b.state,
                    "person": b.person} for b in svc.bodies(s, who, x)]})


@router.get("/{exchange_id}/act", response_class=Response,
            responses=media("application/pdf", "the act of transfer of one stage, in one language", *READ, 404, 409))
def act_of_transfer(exchange_id: str, s: DbSession, who: CurrentPrincipal, rt: CurrentRuntime,
                    stage: Annotated[int, Query(ge=1, le=50)], sender: Annotated[str, Query(max_length=64)],
                    lang: Literal["uk", "ru", "en"] = "en") -> Response:
    """The act of transfer of ``stage`` from ``sender`` as a PDF in ``lang``: parties, mediators, place, time,
    formula, every person handed over with each side's registry fields, the counts, a signature block, and each
    person's confirming record (log index and hash, also as a QR code). Refused before the handover."""
    from parley.exchanges import act

    x = svc.exchange(s, who, exchange_id)
    data = svc.act_data(s, who, x, stage, sender, lang, rt.settings.log_origin)
    pdf = act.render_isolated(data, lang)
    return Response(pdf, media_type="application/pdf", headers={
        "content-disposition": f'attachment; filename="act-{x.id}-{stage}-{sender}-{lang}.pdf"'})


# --- writes --------------------------------------------------------------------------------------------------

def _answer(receipt: Receipt, **extra: Any) -> JSONResponse:
    return JSONResponse({**receipt.as_dict(), **extra}, status_code=200 if receipt.duplicate else 201)


async def _write(rt: Any, s: Any, who: Principal, kind: str, x: Exchange, payload: dict[str, Any],
                 audience: list[str] | None = None, **extra: Any) -> JSONResponse:
    return _answer(await submit_as_async(rt, s, who, kind, audience or k.audience_for(x), payload), **extra)


def _body(model: type[BaseModel], *drop: str) -> Any:
    return Body(json_schema_extra=body_schema(model, drop=drop))


@router.post("", status_code=201, response_model=Created, responses=written(Created))
async def propose(body: Annotated[dict[str, Any], _body(k.ExchangePropose, "id", "version")], rt: CurrentRuntime,
                  s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    """Propose an exchange (its first version of terms): parties, mediators, kind, formula, stages, the operation
    of transfer and the talks point it implements. Addressed, closed, to its parties and mediators."""
    xid = str(body.get("id") or new_id(who.party, "exchange"))
    payload = {**body, "id": xid, "version": 1}
    parties = [p for p in payload.get("parties", []) if isinstance(p, str)] if isinstance(
        payload.get("parties"), list) else []
    mediators = [p for p in payload.get("mediators", []) if isinstance(p, str)] if isinstance(
        payload.get("mediators"), list) else []
    view = Exchange(parties=",".join(parties), mediators=",".join(mediators))
    return _answer(await submit_as_async(rt, s, who, "exchange.propose", k.audience_for(view), payload), id=xid)


@router.post("/{exchange_id}/versions", status_code=201, response_model=ReceiptBody, responses=written())
async def counter(exchange_id: str, body: Annotated[dict[str, Any], _body(k.ExchangePropose, "id", "version",
                                                                          "parties", "mediators", "title")],
                  rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    """A counter-proposal: a new version of the terms (the next version number), which needs every party's
    signature again."""
    x = svc.exchange(s, who, exchange_id)
    payload = {"title": x.title, **body, "id": x.id, "version": x.version + 1, "parties": x.party_list,
               "mediators": x.mediator_list}
    return await _write(rt, s, who, "exchange.propose", x, payload)


@router.post("/{exchange_id}/signoffs", status_code=201, response_model=ReceiptBody, responses=written())
async def sign(exchange_id: str, body: Annotated[dict[str, Any], _body(k.ExchangeSign, "exchange")],
               rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    """Sign a version of the terms: the version and the SHA-256 of its terms (what the signer read). The exchange
    is agreed once every party has signed the same current version."""
    x = svc.exchange(s, who, exchange_id)
    return await _write(rt, s, who, "exchange.sign", x, {**body, "exchange": x.id})


@router.post("/{exchange_id}/lists", status_code=201, response_model=ReceiptBody, responses=written())
async def write_list(exchange_id: str, body: Annotated[dict[str, Any], _body(k.ListVersion, "exchange", "version")],
                     rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    """A new version of the caller's party's list (``hand_over`` or ``ask_for``): registry persons, and imported
    lists whose accepted rows it takes. A person held by nobody, or on another open exchange, is refused."""
    from sqlalchemy import func, select

    from parley.exchanges.models import ExchangeList

    x = svc.exchange(s, who, exchange_id)
    current = s.scalar(select(func.max(ExchangeList.version)).where(
        ExchangeList.exchange == x.id, ExchangeList.party == who.party,
        ExchangeList.direction == body.get("direction"))) or 0
    return await _write(rt, s, who, "exchange.list", x, {**body, "exchange": x.id, "version": current + 1})


@router.post("/{exchange_id}/consent", status_code=201, response_model=ReceiptBody, responses=written())
async def consent(exchange_id: str, body: Annotated[dict[str, Any], _body(k.Consent, "exchange", "salt")],
                  rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    """A mediator's private interview with a person on a hand-over list: whether the person wants to be
    repatriated, and if not why. Addressed to the holding party and the mediators only."""
    from sqlalchemy import select

    x = svc.exchange(s, who, exchange_id)
    holder = s.scalar(select(ExchangeEntry.side).where(ExchangeEntry.exchange == x.id,
                                                       ExchangeEntry.person == str(body.get("person")),
                                                       ExchangeEntry.direction == "hand_over"))
    return await _write(rt, s, who, "exchange.consent", x, {**body, "exchange": x.id},
                        k.consent_audience(x, holder) if holder else None)


class PlanBody(PlanAsk):
    stages: list[dict[str, Any]] | None = None  # the stages as given; None: computed by the solver
    note: Annotated[str, Field(max_length=4000)] = ""


@router.post("/{exchange_id}/plans", status_code=201, response_model=ReceiptBody, responses=written())
async def write_plan(exchange_id: str, body: PlanBody, rt: CurrentRuntime, s: DbSession,
                     who: CurrentPrincipal) -> JSONResponse:
    """Sign a plan: the stages given, or (none given) the solver's plan for the pins and exclusions."""
    x = svc.exchange(s, who, exchange_id)
    gap: float | None = None
    stages = body.stages
    if stages is None:
        p = await run_in_threadpool(svc.solve, s, who, x, pinned=set(body.pinned), excluded=set(body.excluded))
        stages = _plan_json(p)["stages"]
        gap = p.gap
    payload: dict[str, Any] = {"exchange": x.id, "stages": stages, "pinned": body.pinned, "excluded": body.excluded,
                               "note": body.note}
    if gap is not None:
        payload["gap"] = gap
    return await _write(rt, s, who, "exchange.plan", x, payload)


@router.post("/{exchange_id}/handover", status_code=201, response_model=ReceiptBody, responses=written())
async def confirm(exchange_id: str, body: Annotated[dict[str, Any], _body(k.Handover, "exchange")],
                  rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    """Confirm one person at the handover: ``handed_over`` by the sending side, ``received`` by the receiving side
    (``as_person``: its own record of the person, checked by the name keys), ``witnessed`` by a mediator."""
    x = svc.exchange(s, who, exchange_id)
    return await _write(rt, s, who, "exchange.handover", x, {**body, "exchange": x.id})


@router.post("/{exchange_id}/remains", status_code=201, response_model=ReceiptBody, responses=written())
async def hand_over_remains(exchange_id: str, body: Annotated[dict[str, Any], _body(k.Remains, "exchange")],
                            rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    """Remains handed over in a stage by the caller's party: the count as stated ("more than 200" stays a lower
    bound) and the tags of the bodies."""
    x = svc.exchange(s, who, exchange_id)
    return await _write(rt, s, who, "exchange.remains", x, {**body, "exchange": x.id})


@router.post("/{exchange_id}/identifications", status_code=201, response_model=ReceiptBody, responses=written())
async def identify(exchange_id: str, body: Annotated[dict[str, Any], _body(k.Identify, "exchange")],
                   rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    """A body's identification advances (preliminary, DNA sample taken, identified); identified, it names the
    registry's missing or dead person, whose status becomes remains returned."""
    x = svc.exchange(s, who, exchange_id)
    return await _write(rt, s, who, "exchange.identify", x, {**body, "exchange": x.id})


@router.post("/{exchange_id}/counts", status_code=201, response_model=ReceiptBody, responses=written())
async def count(exchange_id: str, body: Annotated[dict[str, Any], _body(k.Count, "exchange")], rt: CurrentRuntime,
                s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    """The caller's party's own count of what it sent and received (in all or in a stage), by category, each
    figure as stated; categories that do not add up to the total are refused."""
    x = svc.exchange(s, who, exchange_id)
    return await _write(rt, s, who, "exchange.count", x, {**body, "exchange": x.id})


@router.post("/{exchange_id}/status", status_code=201, response_model=ReceiptBody, responses=written())
async def set_status(exchange_id: str, body: Annotated[dict[str, Any], _body(k.StatusChange, "exchange")],
                     rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    """A mediator declares the exchange completed, suspended, resumed (under way) or cancelled."""
    x = svc.exchange(s, who, exchange_id)
    return await _write(rt, s, who, "exchange.status", x, {**body, "exchange": x.id})


@router.post("/{exchange_id}/release", status_code=201, response_model=ReceiptBody, responses=written())
async def release(exchange_id: str, body: Annotated[dict[str, Any], _body(k.Release, "exchange")],
                  rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    """A party releases a completed exchange with the figures it makes public (no names): its press officers may
    then read it. Nothing is released before the exchange is completed."""
    x = svc.exchange(s, who, exchange_id)
    return await _write(rt, s, who, "exchange.release", x, {**body, "exchange": x.id})
