"""Families' inquiries as registrars file and answer them: the list, filing (the family's reference and secret
shown once), an inquiry with its candidates from the registry, and the decisions."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from parley.errors import ParleyError
from parley.parties.principal import Principal
from parley.people import kinds as k
from parley.people import rules
from parley.people import service as svc
from parley.people.models import Person
from parley.web.i18n import N_
from parley.web.labels import STATUS_LABELS
from parley.web.people.common import (
    SOUGHT_FIELDS, _field, _reader, _refuse_non_writer, _sought, _submit, forbidden, page,
)
from parley.web.refusals import refusal
from parley.web.routes import Db, Who, check_csrf, not_found

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

# -- inquiries -------------------------------------------------------------------------------------
@router.get("/inquiries", response_class=HTMLResponse)
def inquiries_page(request: Request, s: Db, who: Who, status: str = "") -> HTMLResponse:
    if not _reader(who):
        return forbidden(request, who)
    rows = [(i, svc.sought_of(i, who)) for i in svc.inquiries(s, who, status=status[:16] or None)]
    return page(request, s, "inquiries.html", who=who, rows=rows, shown_status=status[:16],
                statuses=tuple(STATUS_LABELS))


def _inquiry_form(request: Request, s: Session, who: Principal, status: int = 200,
                  values: dict[str, Any] | None = None, errors: dict[str, Any] | None = None) -> HTMLResponse:
    return page(request, s, "inquiry_new.html", status, who=who, values=values or {}, errors=errors or {},
                categories=k.CATEGORIES)


@router.get("/inquiries/new", response_class=HTMLResponse)
def new_inquiry(request: Request, s: Db, who: Who) -> HTMLResponse:
    if (refused := _refuse_non_writer(request, who, rules.may_file_inquiry(who))) is not None:
        return refused
    return _inquiry_form(request, s, who)


@router.post("/inquiries/new", response_class=HTMLResponse)
async def file_inquiry(request: Request, s: Db, who: Who) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    if (refused := _refuse_non_writer(request, who, rules.may_file_inquiry(who))) is not None:
        return refused
    values, sought, errors = _sought(form)
    if errors:
        return _inquiry_form(request, s, who, 400, values, errors)
    ref, secret = svc.new_reference(who.party), svc.new_secret()
    payload = {"id": ref, "sought": sought, "relationship": values["relationship"][:200], "contact": values["contact"]}
    local = await run_in_threadpool(svc.local_secret, secret)  # the secret's verifier: beside the record, not in it
    try:
        await _submit(request, s, who, "inquiry.file", [f"party:{who.party}"], payload, local=local)
    except ParleyError as exc:
        s.rollback()
        return _inquiry_form(request, s, who, 400, values,
                             {_field(exc, {*SOUGHT_FIELDS, "relationship", "contact"}): refusal(exc)})
    # The secret is shown this once, to be handed to the family; only its hash is kept.
    response = page(request, s, "inquiry_filed.html", 201, who=who, reference=ref, secret=secret,
                    sought=sought)
    response.headers["Cache-Control"] = "no-store"
    return response


def _inquiry_page(request: Request, s: Session, who: Principal, ref: str, status: int = 200,
                  values: dict[str, Any] | None = None, errors: dict[str, Any] | None = None) -> HTMLResponse:
    try:
        i = svc.inquiry(s, who, ref)
    except ParleyError:
        return not_found(request, who, N_("There is no such inquiry, or you may not read it."))
    sought = svc.sought_of(i, who)
    decisions = svc.inquiry_decisions(s, who, i)
    latest: dict[str, str] = {}
    for d in decisions:
        if d.person and d.decision in ("confirmed", "rejected"):
            latest[d.person] = d.decision
    matched = True
    try:
        candidates: list[tuple[Person, float | None]] = list(svc.candidates_for(s, who, sought))
    except Exception:  # the model failing must not hide the inquiry; fall back to the name search
        log.exception("matching an inquiry against the registry failed")
        matched = False
        query = " ".join(x for x in (sought.get("surname"), sought.get("first_name"), sought.get("patronymic"),
                                     (sought.get("birth_date") or "")[:4]) if x)
        candidates = [(p, None) for p, _ in svc.search(s, who, query, limit=10)]
    named = {d.person for d in decisions if d.person} - {p.id for p, _ in candidates}
    for pid in named:  # candidates decided earlier stay listed with their decision
        try:
            candidates.append((svc.person(s, who, pid), None))
        except ParleyError:
            continue
    return page(request, s, "inquiry.html", status, who=who, i=i, sought=sought, decisions=decisions,
                candidates=candidates, latest=latest, matched=matched, may_decide=rules.may_decide(who, i),
                values=values or {}, errors=errors or {}, sought_fields=SOUGHT_FIELDS,
                direct=svc.filed_directly(s, i), additions=svc.inquiry_additions(s, who, i),
                may_release=rules.may_release_inquiry(who, i) and i.status != "destroyed",
                release=json.loads(i.released) if i.released else None, releasable=k.RELEASABLE)


@router.get("/inquiries/{ref}", response_class=HTMLResponse)
def inquiry_page(request: Request, s: Db, who: Who, ref: str) -> HTMLResponse:
    if not _reader(who):
        return forbidden(request, who)
    return _inquiry_page(request, s, who, ref[:40])


@router.post("/inquiries/{ref}/decide", response_class=HTMLResponse)
async def decide_inquiry(request: Request, s: Db, who: Who, ref: str) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    if not _reader(who):
        return forbidden(request, who)
    try:
        i = svc.inquiry(s, who, ref[:40])
    except ParleyError:
        return not_found(request, who, N_("There is no such inquiry, or you may not read it."))
    decision = str(form.get("decision", ""))[:16]
    message = str(form.get("message", ""))[:4000].strip()
    person = str(form.get("person", ""))[:64] or None
    form_name = "answer" if decision in ("message", "closed") else "candidate"
    values = {"message": message, "form": form_name}
    if decision in ("message", "closed") and not message:
        return _inquiry_page(request, s, who, i.id, 400, values,
                             {f"{decision}.message": N_("Write what the family is told.")})
    payload: dict[str, Any] = {"inquiry": i.id, "decision": decision, "message": message}
    if person:
        payload["person"] = person
    try:
        await _submit(request, s, who, "inquiry.decide", i.audience.split(","), payload)
    except ParleyError as exc:
        s.rollback()
        key = f"{decision}.message" if decision in ("message", "closed") else "candidate"
        return _inquiry_page(request, s, who, i.id, 400, values, {key: refusal(exc)})
    return RedirectResponse(f"/inquiries/{i.id}", status_code=303)


@router.post("/inquiries/{ref}/release", response_class=HTMLResponse)
async def release_inquiry(request: Request, s: Db, who: Who, ref: str) -> Response:
    """Release the inquiry for other tracing tools with the fields ticked (the PFIF export), or withdraw it."""
    form = await request.form(max_fields=20)
    check_csrf(request, str(form.get("csrf", "")))
    if not _reader(who):
        return forbidden(request, who)
    try:
        i = svc.inquiry(s, who, ref[:40])
    except ParleyError:
        return not_found(request, who, N_("There is no such inquiry, or you may not read it."))
    withdraw = form.get("withdraw") == "1"
    fields = [f for f in k.RELEASABLE if form.get(f"release-{f}") == "1"]
    payload: dict[str, Any] = {"inquiry": i.id, "withdraw": withdraw}
    if not withdraw:
        payload.update(fields=fields, status_notes=form.get("status_notes") == "1")
    try:
        await _submit(request, s, who, "inquiry.release", i.audience.split(","), payload)
    except ParleyError as exc:
        s.rollback()
        return _inquiry_page(request, s, who, i.id, 400, {}, {"release": refusal(exc)})
    return RedirectResponse(f"/inquiries/{i.id}#release", status_code=303)


@router.get("/inquiries.pfif")
def export_pfif(request: Request, s: Db, who: Who) -> Response:
    """The released inquiries the member may read, as PFIF 1.4 XML (the API's ``GET /api/inquiries.pfif``)."""
    from parley.people import pfif

    if not _reader(who):
        return forbidden(request, who)
    body = pfif.document(s, pfif.released(s, who), request.app.state.runtime.settings.log_origin)
    return Response(body, media_type="application/xml",
                    headers={"Content-Disposition": 'attachment; filename="inquiries.pfif.xml"',
                             "Cache-Control": "no-store"})
