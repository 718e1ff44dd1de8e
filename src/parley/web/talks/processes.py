"""The processes a member may read (format, parties, status, last activity), filtered by format and status, and
the actors of talks found by name in any script or spelling; and the forms of a member who writes talks: opening a
process (a member of a belligerent or mediator party) and registering an actor."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from parley.errors import ParleyError
from parley.parties.models import Party
from parley.parties.principal import Principal
from parley.records.ids import new_id
from parley.submit import submit_as_async
from parley.talks import kinds as k
from parley.talks import rules
from parley.talks import service as svc
from parley.talks.models import TalksProcess
from parley.web.labels import CONFIRMATION_LABELS, SOURCE_KIND_LABELS
from parley.web.operations.operation import source_from_form
from parley.web.refusals import refusal
from parley.web.routes import Db, Who, check_csrf
from parley.web.talks.common import (
    AUTHORISATION_LABELS, CHOOSE_ACTOR, WRITE_NAMES, field_of, forbidden, hoisted, may_read_talks, page, record_time,
)

router = APIRouter(include_in_schema=False)

INTERMEDIARY_ROWS = 3
PROCESS_FIELDS = {"title", "format", "parties", "mediators", "intermediaries", "authorisation", "started_on", "note",
                  "source"}
PROCESS_ALIASES = {"intermediaries_actor": "intermediaries", "intermediaries_acting_for": "intermediaries",
                   "intermediaries_role": "intermediaries"}
ACTOR_FIELDS = {"names", "acts_for", "body", "title", "note", "process", "source"}


def may_open(who: Principal | None) -> bool:
    """Does ``who`` open processes: a member with a role that writes talks, of a belligerent or a mediator party
    (an observer takes part in none)."""
    return who is not None and rules.writes_talks(who) and who.party_kind in ("belligerent", "mediator")


def _parties(s: Session, kind: str) -> list[str]:
    return list(s.execute(select(Party.slug).where(Party.kind == kind).order_by(Party.slug)).scalars())


def _processes_page(request: Request, s: Session, who: Principal, fmt: str = "", status: str = "", code: int = 200,
                    errors: dict[str, Any] | None = None, values: dict[str, Any] | None = None) -> HTMLResponse:
    if not may_read_talks(who):
        return forbidden(request, who)
    fmt, status = fmt[:24], status[:16]
    rows = []
    for p in svc.processes(s, who):
        if (fmt and p.format != fmt) or (status and p.status != status):
            continue
        events = svc.timeline(s, who, p)
        last = max((e.idx for e in events), default=p.idx)
        rows.append({"p": p, "last": record_time(s, last), "meetings": sum(1 for e in events if e.what == "meeting")})
    can_open = may_open(who)
    values = values or {}
    pv = {"format": "official_talks", "authorisation": "unknown",
          "parties": [who.party] if who.party_kind == "belligerent" else [],
          "mediators": [who.party] if who.party_kind == "mediator" else [], **values.get("process", {})}
    return page(request, s, "talks.html", code, who=who, rows=rows, filters={"format": fmt, "status": status},
                formats=rules.FORMATS, statuses=rules.STATUSES, can_open=can_open,
                belligerents=_parties(s, "belligerent") if can_open else [],
                mediator_parties=_parties(s, "mediator") if can_open else [],
                actors={a.id: a for a in svc.actors(s, who)} if can_open else {},
                authorisations=AUTHORISATION_LABELS, intermediary_rows=INTERMEDIARY_ROWS,
                source_kinds=SOURCE_KIND_LABELS, confirmations=CONFIRMATION_LABELS,
                errors=hoisted(errors or {}, {"process": can_open}), values={**values, "process": pv})


@router.get("/talks", response_class=HTMLResponse)
def processes_page(request: Request, s: Db, who: Who, format: str = "", status: str = "") -> HTMLResponse:
    return _processes_page(request, s, who, format, status)


@router.post("/talks", response_class=HTMLResponse)
async def open_process(request: Request, s: Db, who: Who) -> Response:
    """Open a process: its title, format, parties and mediators, named intermediaries, authorisation, start and
    source. Its audience: the parties and mediators; a back channel or a military-to-military channel is closed to
    their negotiators (``talks.kinds.audience_for``)."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    if not may_read_talks(who):
        return forbidden(request, who)
    values: dict[str, Any] = {f: str(form.get(f, ""))[:4000 if f == "note" else 200].strip()
                              for f in ("title", "format", "authorisation", "started_on", "note")}
    values["parties"] = [str(x)[:64] for x in form.getlist("parties")][:20]
    values["mediators"] = [str(x)[:64] for x in form.getlist("mediators")][:20]
    source = source_from_form(form, values)
    intermediaries = []
    for i in range(INTERMEDIARY_ROWS):
        row = {f: str(form.get(f"intermediary_{f}_{i}", ""))[:200].strip() for f in ("actor", "acting_for", "role")}
        values.update({f"intermediary_{f}_{i}": v for f, v in row.items()})
        if row["actor"]:
            intermediaries.append({"actor": row["actor"], **({"acting_for": row["acting_for"]}
                                                             if row["acting_for"] else {}), "role": row["role"]})
        elif row["acting_for"] or row["role"]:
            return _processes_page(request, s, who, code=400, errors={"process.intermediaries": CHOOSE_ACTOR},
                                   values={"process": values})
    payload: dict[str, Any] = {"id": new_id(who.party, "talks"), "title": values["title"],
                               "format": values["format"] or "official_talks", "parties": values["parties"],
                               "mediators": values["mediators"], "intermediaries": intermediaries,
                               "authorisation": values["authorisation"] or "unknown", "note": values["note"]}
    if values["started_on"]:
        payload["started_on"] = values["started_on"]
    if source is not None:
        payload["source"] = source
    view = TalksProcess(parties=",".join(values["parties"]), mediators=",".join(values["mediators"]),
                        format=payload["format"])
    try:
        await submit_as_async(request.app.state.runtime, s, who, "talks.process", k.audience_for(view), payload)
    except ParleyError as exc:
        s.rollback()
        return _processes_page(request, s, who, code=400, values={"process": values}, errors={
            f"process.{field_of(exc, PROCESS_FIELDS, PROCESS_ALIASES)}": refusal(exc)})
    return RedirectResponse(f"/talks/{payload['id']}", status_code=303)


def _actors_page(request: Request, s: Session, who: Principal, q: str = "", code: int = 200,
                 errors: dict[str, Any] | None = None, values: dict[str, Any] | None = None) -> HTMLResponse:
    if not may_read_talks(who):
        return forbidden(request, who)
    q = q[:200]
    found = svc.actors(s, who, q)
    can_register = rules.writes_talks(who)
    processes = [p for p in svc.processes(s, who) if rules.takes_part(who, p)] if can_register else []
    values = values or {}
    return page(request, s, "talks_actors.html", code, who=who, found=found, q=q, searching=bool(q.strip()),
                can_register=can_register, processes=processes,
                parties=[*_parties(s, "belligerent"), *_parties(s, "mediator")] if can_register else [],
                source_kinds=SOURCE_KIND_LABELS,
                confirmations=CONFIRMATION_LABELS, errors=hoisted(errors or {}, {"actor": can_register}),
                values={**values, "actor": values.get("actor", {})})


@router.get("/talks/actors", response_class=HTMLResponse)
def actors_page(request: Request, s: Db, who: Who, q: str = "") -> HTMLResponse:
    """Actors (heads of delegation, intermediaries, generals) found by every word of ``q`` in any script:
    "Kovalev", "Kovalyov" and "Ковальов" find the same one."""
    return _actors_page(request, s, who, q)


@router.post("/talks/actors", response_class=HTMLResponse)
async def register_actor(request: Request, s: Db, who: Who) -> Response:
    """Register an actor: their names as written in each script (one a line), the party and body they act for,
    their title. Read by the audience of the process chosen, else by the member's own party."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    if not may_read_talks(who):
        return forbidden(request, who)
    values: dict[str, Any] = {f: str(form.get(f, ""))[:4000].strip() for f in ACTOR_FIELDS - {"source"}}
    source = source_from_form(form, values)
    names = [n.strip() for n in values["names"].splitlines() if n.strip()]
    if not names:
        return _actors_page(request, s, who, code=400, errors={"actor.names": WRITE_NAMES}, values={"actor": values})
    audience = [f"party:{who.party}"]
    if values["process"]:
        try:
            audience = k.audience_for(svc.process(s, who, values["process"][:64]))
        except ParleyError as exc:
            return _actors_page(request, s, who, code=400, errors={"actor.process": refusal(exc)},
                                values={"actor": values})
    aid = new_id(who.party, "actor")
    payload: dict[str, Any] = {"id": aid, "names": names, "body": values["body"], "title": values["title"],
                               "note": values["note"]}
    if values["acts_for"]:
        payload["acts_for"] = values["acts_for"]
    if source is not None:
        payload["source"] = source
    try:
        await submit_as_async(request.app.state.runtime, s, who, "talks.actor", audience, payload)
    except ParleyError as exc:
        s.rollback()
        return _actors_page(request, s, who, code=400, values={"actor": values},
                            errors={f"actor.{field_of(exc, ACTOR_FIELDS)}": refusal(exc)})
    return RedirectResponse(f"/talks/actors#actor-{aid}", status_code=303)
