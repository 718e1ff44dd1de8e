"""The registry: the table of persons with search in any script and its export, registering a person, and a
person's page (Geneva Conventions record, status timeline, the other parties' records of the same person)
with its forms (a status event, a match decision)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from parley.errors import ParleyError
from parley.parties.principal import Principal
from parley.people import kinds as k
from parley.people import rules
from parley.people import service as svc
from parley.people.models import PERSON_FIELDS, Person
from parley.people.monitoring import last_known_alive
from parley.records.sources import SOURCE_KINDS
from parley.web.i18n import N_
from parley.web.people.common import (
    ENTER_DATE, _date, _decide, _field, _parties, _reader, _refuse_non_writer, _submit, _withdraw, forbidden, page,
)
from parley.web.refusals import refusal
from parley.web.routes import Db, Who, check_csrf, not_found

router = APIRouter(include_in_schema=False)

PAGE_ROWS = 500
TEXT_FIELDS = ("health", "cause_of_death", "person_to_inform", "notes")


# -- the registry ----------------------------------------------------------------------------------
def _filtered(s: Session, who: Principal, q: str, category: str, party: str, wounded: str,
              list_id: str = "") -> tuple[list[tuple[Person, float | None]], bool]:
    rows = svc.select_persons(s, who, q=q, category=category or None, party=party or None,
                              wounded={"yes": True, "no": False}.get(wounded), list_id=list_id or None,
                              limit=PAGE_ROWS + 1)
    return rows[:PAGE_ROWS], len(rows) > PAGE_ROWS


@router.get("/people", response_class=HTMLResponse)
def people_page(request: Request, s: Db, who: Who, q: str = "", category: str = "", party: str = "",
                wounded: str = "") -> HTMLResponse:
    if not _reader(who):
        return forbidden(request, who)
    q, category, party, wounded = q[:200], category[:16], party[:64], wounded[:3]
    rows, more = _filtered(s, who, q, category, party, wounded)
    alive = svc.last_alive(s, who, [p for p, _ in rows])
    reporters, _ = _parties(s)
    filters = {"q": q, "category": category, "party": party, "wounded": wounded}
    query = urlencode({k_: v for k_, v in filters.items() if v})
    return page(request, s, "people.html", who=who, rows=rows, alive=alive, more=more, filters=filters,
                reporters=reporters,
                categories=k.CATEGORIES, export_query=query, searching=bool(q.strip()))


@router.get("/people.{fmt}")
def export_people(request: Request, s: Db, who: Who, fmt: str, q: str = "", category: str = "", party: str = "",
                  wounded: str = "", list: str = "") -> Response:
    """The table as shown (same filters), as CSV or XLSX, through the API's export (formula-safe)."""
    from parley.people.export import persons_file

    if not _reader(who):
        return forbidden(request, who)
    if fmt not in ("csv", "xlsx"):
        return not_found(request, who, N_("There is no such page."))
    flag = {"yes": True, "no": False}.get(wounded[:3])
    rows = [p for p, _ in svc.select_persons(s, who, q=q[:200], category=category[:16] or None,
                                             party=party[:64] or None, wounded=flag, list_id=list[:64] or None,
                                             limit=1_000_000)]
    return persons_file(fmt, rows, "persons", svc.last_alive(s, who, rows))


# -- registering a person --------------------------------------------------------------------------
def _new_form(request: Request, s: Session, who: Principal, status: int = 200, values: dict[str, Any] | None = None,
              errors: dict[str, Any] | None = None) -> HTMLResponse:
    _, belligerents = _parties(s)
    defaults: dict[str, Any] = {"category": "pow", "own_party": ""}
    return page(request, s, "person_new.html", status, who=who, values={**defaults, **(values or {})},
                errors=errors or {}, categories=k.CATEGORIES, belligerents=belligerents, text_fields=TEXT_FIELDS)


@router.get("/people/new", response_class=HTMLResponse)
def new_person(request: Request, s: Db, who: Who) -> HTMLResponse:
    if (refused := _refuse_non_writer(request, who, rules.may_register(who))) is not None:
        return refused
    return _new_form(request, s, who)


@router.post("/people/new", response_class=HTMLResponse)
async def register_person(request: Request, s: Db, who: Who) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    if (refused := _refuse_non_writer(request, who, rules.may_register(who))) is not None:
        return refused
    values: dict[str, Any] = {f: str(form.get(f, ""))[:4000].strip() for f in PERSON_FIELDS}
    values["category"] = str(form.get("category", ""))[:16]
    values["own_party"] = str(form.get("own_party", ""))[:64]
    values["seriously_wounded"] = bool(form.get("seriously_wounded"))
    errors: dict[str, Any] = {}
    fields = dict(values)
    for f in ("birth_date", "capture_date", "death_date"):
        if values[f]:
            iso = _date(values[f])
            if iso is None:
                errors[f] = ENTER_DATE
            fields[f] = iso or ""
    if not values["surname"]:
        errors["surname"] = N_("Enter the surname.")
    if values["category"] not in k.CATEGORIES:
        errors["category"] = N_("Choose a category.")
    if errors:
        return _new_form(request, s, who, 400, values, errors)
    pid = svc.new_person_id(who.party)
    payload: dict[str, Any] = {"id": pid, "category": values["category"], "person": k.person_payload(fields),
                               "seriously_wounded": values["seriously_wounded"]}
    own = values["own_party"] or None
    if own:
        payload["own_party"] = own
    try:
        await _submit(request, s, who, "person.register", k.person_audience(who.party, own), payload)
    except ParleyError as exc:
        s.rollback()
        f = _field(exc, {*PERSON_FIELDS, "category", "own_party", "seriously_wounded"})
        if (exc.field or "") == "audience":
            f = "own_party"
        return _new_form(request, s, who, 400, values, {f: refusal(exc)})
    return RedirectResponse(f"/people/{pid}", status_code=303)


# -- a person --------------------------------------------------------------------------------------
def _person_page(request: Request, s: Session, who: Principal, pid: str, status: int = 200,
                 values: dict[str, Any] | None = None, errors: dict[str, Any] | None = None) -> HTMLResponse:
    try:
        p = svc.person(s, who, pid)
    except ParleyError:
        return not_found(request, who, N_("There is no such person, or you may not read this record."))
    decisions = []
    for d in svc.decisions(s, who, p):
        other_id = d.right if d.left == p.id else d.left
        try:
            other: Person | None = svc.person(s, who, other_id)
        except ParleyError:
            other = None
        decisions.append((d, other_id, other))
    events = svc.events(s, who, p)
    sources = {e.idx: json.loads(e.source) for e in events if e.source}
    return page(request, s, "person.html", status, who=who, p=p, events=events, sources=sources,
                alive=last_known_alive(events), decisions=decisions,
                # Every current "same person" decision the reader may read, the other record linked when the
                # reader may open it: the section never says "none" above a decision it lists.
                same=[(d, other_id, other) for d, other_id, other in decisions if d.current and d.decision == "same"],
                may_withdraw=lambda d: rules.may_withdraw_match(who, d),
                event_kinds=k.EVENTS, may_event=rules.may_record_event(who), may_monitor=rules.may_monitor(who),
                observations=k.OBSERVATIONS, contact_means=k.CONTACT_MEANS, conditions=k.CONDITIONS,
                source_kinds=SOURCE_KINDS, values=values or {}, errors=errors or {})


@router.get("/people/{pid}", response_class=HTMLResponse)
def person_page(request: Request, s: Db, who: Who, pid: str) -> HTMLResponse:
    if not _reader(who):
        return forbidden(request, who)
    return _person_page(request, s, who, pid[:64])


@router.post("/people/{pid}/events", response_class=HTMLResponse)
async def add_event(request: Request, s: Db, who: Who, pid: str) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    if not _reader(who):
        return forbidden(request, who)
    values = {f: str(form.get(f, ""))[:4000].strip() for f in ("event", "date", "place", "note", "seriously_wounded")}
    try:
        p = svc.person(s, who, pid[:64])
    except ParleyError:
        return not_found(request, who, N_("There is no such person, or you may not read this record."))
    errors: dict[str, Any] = {}
    iso = ""
    if values["date"]:
        iso = _date(values["date"]) or ""
        if not iso:
            errors["date"] = ENTER_DATE
    if errors:
        return _person_page(request, s, who, p.id, 400, values, errors)
    payload: dict[str, Any] = {"person": p.id, "event": values["event"], "date": iso, "place": values["place"],
                               "note": values["note"]}
    if values["seriously_wounded"] in ("yes", "no"):
        payload["seriously_wounded"] = values["seriously_wounded"] == "yes"
    try:
        await _submit(request, s, who, "person.event", p.audience.split(","), payload)
    except ParleyError as exc:
        s.rollback()
        return _person_page(request, s, who, p.id, 400, values,
                            {_field(exc, {"event", "date", "place", "note", "seriously_wounded"}): refusal(exc)})
    return RedirectResponse(f"/people/{p.id}#timeline", status_code=303)


MONITOR_FIELDS = ("observation", "date", "place", "means", "conditions", "note")
SOURCE_FIELDS = ("kind", "speaker", "body", "outlet", "stated_on", "reference", "url", "quote")


@router.post("/people/{pid}/monitoring", response_class=HTMLResponse)
async def add_monitoring(request: Request, s: Db, who: Who, pid: str) -> Response:
    """Proof of life, a contact or the conditions, with its source; errors beside their fields."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    if not _reader(who):
        return forbidden(request, who)
    values = {f"m_{f}": str(form.get(f"m_{f}", ""))[:4000].strip() for f in MONITOR_FIELDS}
    values |= {f"src_{f}": str(form.get(f"src_{f}", ""))[:2000].strip() for f in SOURCE_FIELDS}
    try:
        p = svc.person(s, who, pid[:64])
    except ParleyError:
        return not_found(request, who, N_("There is no such person, or you may not read this record."))
    errors: dict[str, Any] = {}
    iso = ""
    if values["m_date"]:
        iso = _date(values["m_date"]) or ""
        if not iso:
            errors["m_date"] = ENTER_DATE
    stated = ""
    if values["src_stated_on"]:
        stated = _date(values["src_stated_on"]) or ""
        if len(stated) != 10:
            errors["src_stated_on"] = N_("Enter the full date the source said it, as 14.10.2022.")
    if values["m_observation"] not in k.OBSERVATIONS:
        errors["m_observation"] = N_("Choose what was observed.")
    if errors:
        return _person_page(request, s, who, p.id, 400, values, errors)
    source = {f: values[f"src_{f}"] for f in SOURCE_FIELDS if values[f"src_{f}"] and f != "stated_on"}
    if stated:
        source["stated_on"] = stated
    payload: dict[str, Any] = {"person": p.id, "observation": values["m_observation"], "source": source,
                               **{f: values[f"m_{f}"] for f in ("place", "means", "conditions", "note")
                                  if values[f"m_{f}"]}}
    if iso:
        payload["date"] = iso
    try:
        await _submit(request, s, who, "person.monitor", p.audience.split(","), payload)
    except ParleyError as exc:
        s.rollback()
        f = (exc.field or "").removeprefix("payload.")
        name = f"src_{f.removeprefix('source.')}" if f.startswith("source.") else f"m_{f}"
        if name not in values:
            name = {"person.contact_means": "m_means", "person.conditions_state": "m_conditions",
                    "person.conditions_described": "m_note", "person.observation_date": "m_date",
                    "source.needs_speaker": "src_speaker", "source.needs_outlet": "src_outlet",
                    "source.needs_reference": "src_reference", "source.anonymous_named": "src_speaker",
                    "person.source_mediator": "src_kind"}.get(exc.params.get("reason") or exc.refusal or "", "m_form")
        return _person_page(request, s, who, p.id, 400, values, {name: refusal(exc)})
    return RedirectResponse(f"/people/{p.id}#monitoring", status_code=303)


@router.post("/people/{pid}/withdraw", response_class=HTMLResponse)
async def withdraw_on_person(request: Request, s: Db, who: Who, pid: str) -> Response:
    """Reverse a match decision of this person made by mistake (a later signed record, never an edit)."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    if not _reader(who):
        return forbidden(request, who)
    error = await _withdraw(request, s, who, form)
    if error:
        key = "withdraw_" + str(form.get("decision", ""))[:20]
        return _person_page(request, s, who, pid[:64], 400, errors={key: error, "decision": error})
    return RedirectResponse(f"/people/{pid[:64]}#same", status_code=303)


@router.post("/people/{pid}/decide", response_class=HTMLResponse)
async def decide_on_person(request: Request, s: Db, who: Who, pid: str) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    if not _reader(who):
        return forbidden(request, who)
    error, _ = await _decide(request, s, who, form)
    if error:
        return _person_page(request, s, who, pid[:64], 400, errors={"decision": error})
    return RedirectResponse(f"/people/{pid[:64]}#same", status_code=303)
