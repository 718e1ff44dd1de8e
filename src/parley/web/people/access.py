"""Access to places of detention: the table of requests (sorted and filtered), a mediator's form to ask, and a
request's page with the holding party's answer form. What each member may read and do comes from the read policy
(``people.access.POLICY``) and the rules (``people.rules``); a request one may not read is a page that does not
exist."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from parley.errors import ParleyError
from parley.parties.principal import Principal
from parley.people import access, rules
from parley.web.i18n import N_
from parley.web.people.common import ENTER_DATE, _date, _parties, _submit, forbidden, page
from parley.web.refusals import refusal
from parley.web.routes import Db, Who, check_csrf, not_found

router = APIRouter(include_in_schema=False)
NOT_ACCESS_READER = N_("Requests for access to places of detention are read by negotiators, liaison officers, "
                       "registrars, admins and auditors of the parties they name.")
NO_REQUEST = N_("There is no such request, or you may not read it.")
ASK_FIELDS = ("holder", "place", "lat", "lon", "purpose")
ANSWER_FIELDS = ("answer", "visit_on", "reason")


def _now() -> datetime:
    return datetime.now(UTC)


def _list(request: Request, s: Session, who: Principal, status: int = 200, values: dict[str, Any] | None = None,
          errors: dict[str, Any] | None = None, state: str = "", holder: str = "") -> HTMLResponse:
    _, belligerents = _parties(s)
    rows = access.requests(s, who, state=state, holder=holder)
    return page(request, s, "access.html", status, who=who, rows=rows, now=_now(), overdue=access.overdue,
                filters={"state": state, "holder": holder}, states=access.STATES, belligerents=belligerents,
                may_ask=rules.may_ask_access(who), values=values or {}, errors=errors or {})


@router.get("/access", response_class=HTMLResponse)
def access_page(request: Request, s: Db, who: Who, state: str = "", holder: str = "") -> HTMLResponse:
    if not access.may_read_requests(who):
        return forbidden(request, who, NOT_ACCESS_READER)
    return _list(request, s, who, state=state[:16], holder=holder[:64])


@router.post("/access", response_class=HTMLResponse)
async def ask(request: Request, s: Db, who: Who) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    if not rules.may_ask_access(who):
        return forbidden(request, who, N_("Only a mediator's negotiators, liaison officers and admins ask for "
                                          "access to a place of detention."))
    values = {f: str(form.get(f, ""))[:4000].strip() for f in ASK_FIELDS}
    errors: dict[str, Any] = {}
    if not values["place"]:
        errors["place"] = N_("Enter the place's name.")
    if not values["holder"]:
        errors["holder"] = N_("Choose the holding party.")
    position: dict[str, float] = {}
    for f in ("lat", "lon"):
        if values[f]:
            try:
                position[f] = float(values[f].replace(",", "."))
            except ValueError:
                errors[f] = N_("Enter a number of degrees, as 47.84.")
    if errors:
        return _list(request, s, who, 400, values, errors)
    rid = access.new_request_id(who.party)
    payload: dict[str, Any] = {"id": rid, "holder": values["holder"], "place": {"name": values["place"], **position}}
    if values["purpose"]:
        payload["purpose"] = values["purpose"]
    try:
        await _submit(request, s, who, access.REQUEST, access.default_audience(who.party, values["holder"]), payload)
    except ParleyError as exc:
        s.rollback()
        f = (exc.field or "").removeprefix("payload.").removeprefix("place.")
        f = {"name": "place", "audience": "holder"}.get(f, f)
        if exc.params.get("reason") == "access.position":
            f = "lat"
        return _list(request, s, who, 400, values, {f if f in ASK_FIELDS else "form": refusal(exc)})
    return RedirectResponse(f"/access/{rid}", status_code=303)


def _one(request: Request, s: Session, who: Principal, rid: str, status: int = 200,
         values: dict[str, Any] | None = None, errors: dict[str, Any] | None = None) -> HTMLResponse:
    try:
        r = access.request(s, who, rid)
    except ParleyError:
        return not_found(request, who, NO_REQUEST)
    return page(request, s, "access_request.html", status, who=who, r=r, now=_now(), overdue=access.overdue(r, _now()),
                source=json.loads(r.source or "{}"), answer_source=json.loads(r.answer_source or "{}"),
                may_answer=rules.may_answer_access(who, r), values=values or {}, errors=errors or {})


@router.get("/access/{rid}", response_class=HTMLResponse)
def request_page(request: Request, s: Db, who: Who, rid: str) -> HTMLResponse:
    if not access.may_read_requests(who):
        return forbidden(request, who, NOT_ACCESS_READER)
    return _one(request, s, who, rid[:64])


@router.post("/access/{rid}/answer", response_class=HTMLResponse)
async def answer(request: Request, s: Db, who: Who, rid: str) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    if not access.may_read_requests(who):
        return forbidden(request, who, NOT_ACCESS_READER)
    try:
        r = access.request(s, who, rid[:64])
    except ParleyError:
        return not_found(request, who, NO_REQUEST)
    values = {f: str(form.get(f, ""))[:4000].strip() for f in ANSWER_FIELDS}
    errors: dict[str, Any] = {}
    if values["answer"] not in ("granted", "refused"):
        errors["answer"] = N_("Choose granted or refused.")
    iso = ""
    if values["visit_on"]:
        iso = _date(values["visit_on"]) or ""
        if len(iso) != 10:
            errors["visit_on"] = ENTER_DATE
    if errors:
        return _one(request, s, who, r.id, 400, values, errors)
    payload: dict[str, Any] = {"request": r.id, "answer": values["answer"]}
    if iso:
        payload["visit_on"] = iso
    if values["reason"]:
        payload["reason"] = values["reason"]
    try:
        await _submit(request, s, who, access.ANSWER, r.audience.split(","), payload)
    except ParleyError as exc:
        s.rollback()
        f = (exc.field or "").removeprefix("payload.")
        f = {"access.visit_date": "visit_on", "access.reason": "reason"}.get(exc.params.get("reason") or "", f)
        return _one(request, s, who, r.id, 400, values, {f if f in ANSWER_FIELDS else "form": refusal(exc)})
    return RedirectResponse(f"/access/{r.id}", status_code=303)
