"""An exchange's lists and its consent interviews.

The lists: each side's current lists (whom it hands over, whom it asks for) side by side, every entry checked
against the registry (the other side's record of the same person found, with the probability; not found;
ambiguous, to the review queue; already released; recorded dead; on another open exchange; twice on the list) with
the person's consent; every version of every list, and the difference between two versions of one, person by
person; and the form on which a party's registrar writes a new version of its list (registry ids, one a line, and
imported lists).

Consent: each person on a hand-over list, and whether the mediators' private interview found that the person
wants to be repatriated; the reason of a refusal only where the interview's audience lets the reader read it
(the mediators and the holding party). A mediator records an interview per person."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from parley.errors import ParleyError
from parley.exchanges import kinds as k
from parley.exchanges import rules
from parley.exchanges import service as svc
from parley.exchanges.models import Exchange
from parley.parties.principal import Principal
from parley.people import service as people
from parley.people.models import Person
from parley.web.exchanges.common import (
    CHOOSE_ANSWER, NOT_AN_ID, SLUG, WRITE_PERSONS, WRITE_REASON, exchange_of, field_of, hoisted, ids_of,
    no_exchange, page, readable_persons, submit,
)
from parley.web.i18n import Message
from parley.web.refusals import refusal
from parley.web.routes import Db, Who, check_csrf

router = APIRouter(include_in_schema=False)

LIST_KNOWN = {"direction", "persons", "lists", "note"}
CONSENT_KNOWN = {"wants", "interviewed_on", "reason"}
CONSENT_ALIASES = {"wants_repatriation": "wants", "person": "form"}
IMPORTED = 50  # the imported lists of the member's party offered on the list form, the latest first


def _number(raw: Any) -> int | None:
    text = str(raw or "").strip()
    return int(text) if text.isdigit() and len(text) < 7 else None


def _diff(s: Session, who: Principal, x: Exchange, versions: list[Any], q: Any) -> tuple[dict[str, Any], Any]:
    """The pair of list versions to compare (from the query, else the last two of the first list that has two)
    and their difference, or None."""
    by: dict[tuple[str, str], list[int]] = {}
    for lv in versions:
        by.setdefault((lv.party, lv.direction), []).append(lv.version)
    side, direction = str(q.get("side", ""))[:64], str(q.get("direction", ""))[:16]
    old, new = _number(q.get("old")), _number(q.get("new"))
    if (side, direction) not in by:
        side, direction = next(((sd, d) for (sd, d), vs in by.items() if len(vs) > 1), ("", ""))
        old = new = None
    if not side:
        return {"side": "", "direction": "", "old": None, "new": None, "lists": by}, None
    vs = sorted(by[(side, direction)])
    new = new if new in vs else vs[-1]
    old = old if old in vs else (vs[-2] if len(vs) > 1 else vs[-1])
    chosen = {"side": side, "direction": direction, "old": old, "new": new, "lists": by}
    if old == new:
        return chosen, None
    try:
        return chosen, svc.list_diff(s, who, x, side, direction, old, new)
    except ParleyError:
        return chosen, None


def _lists_page(request: Request, s: Session, who: Principal, x: Exchange, status: int = 200,
                errors: dict[str, Any] | None = None, values: dict[str, Any] | None = None) -> HTMLResponse:
    checks = svc.check(s, who, x)
    consents = svc.consents(s, who, x)
    persons: dict[str, Person] = {}
    for c in checks:
        for p in (c.record, c.counterpart, *(q for q, _ in c.candidates)):
            if p is not None:
                persons[p.id] = p
    sides = {party: {"hand_over": [c for c in checks if c.side == party and c.direction == "hand_over"],
                     "ask_for": [c for c in checks if c.side == party and c.direction == "ask_for"]}
             for party in x.party_list}
    versions = svc.list_versions(s, who, x)
    chosen, diff = _diff(s, who, x, versions, request.query_params)
    if diff is not None:
        persons.update(readable_persons(s, who, [*diff.added, *diff.removed]))
    can_list = rules.may_list(who, x) and x.kind != "remains"
    imported = [lst for lst in people.lists(s, who) if lst.party == who.party][-IMPORTED:][::-1] if can_list else []
    values = values or {}
    lv = {"direction": "hand_over", "lists": [], **values.get("list", {})}
    return page(request, s, "exchange_lists.html", status, who=who, x=x, current="lists", sides=sides,
                consents=consents, persons=persons,
                versions=[(v, len(json.loads(v.persons))) for v in reversed(versions)], chosen=chosen, diff=diff,
                can_list=can_list, imported=imported, directions=("hand_over", "ask_for"),
                errors=hoisted(errors or {}, {"list": can_list}), values={**values, "list": lv})


@router.get("/exchanges/{exchange_id}/lists", response_class=HTMLResponse)
def lists_page(request: Request, s: Db, who: Who, exchange_id: str) -> HTMLResponse:
    x = exchange_of(s, who, exchange_id)
    if x is None:
        return no_exchange(request, who)
    return _lists_page(request, s, who, x)


@router.post("/exchanges/{exchange_id}/lists", response_class=HTMLResponse)
async def write_list(request: Request, s: Db, who: Who, exchange_id: str) -> Response:
    """A new version of the member's party's list, whom it hands over or asks for: registry ids, one a line,
    and imported lists (every person registered from their accepted rows). It replaces the current version."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    x = exchange_of(s, who, exchange_id)
    if x is None:
        return no_exchange(request, who)
    values: dict[str, Any] = {"direction": str(form.get("direction", ""))[:16],
                              "persons": str(form.get("persons", ""))[:200_000],
                              "note": str(form.get("note", ""))[:4000].strip(),
                              "lists": [str(v)[:64] for v in form.getlist("lists")][:20]}
    persons = ids_of(values["persons"])
    wrong = next((p for p in persons if not SLUG.match(p)), None)
    errors: dict[str, Any] = {}
    if wrong is not None:
        errors["list.persons"] = Message(NOT_AN_ID, value=wrong[:64])
    elif not persons and not values["lists"]:
        errors["list.persons"] = WRITE_PERSONS
    if errors:
        return await run_in_threadpool(_lists_page, request, s, who, x, 400, errors, {"list": values})
    current = max((lv.version for lv in svc.list_versions(s, who, x)
                   if lv.party == who.party and lv.direction == values["direction"]), default=0)
    payload = {"exchange": x.id, "direction": values["direction"], "version": current + 1, "persons": persons,
               "lists": values["lists"], "note": values["note"]}
    try:
        await submit(request, s, who, "exchange.list", x, payload)
    except ParleyError as exc:
        s.rollback()
        x = exchange_of(s, who, exchange_id)
        if x is None:
            return no_exchange(request, who)
        return await run_in_threadpool(_lists_page, request, s, who, x, 400,
                                       {f"list.{field_of(exc, LIST_KNOWN)}": refusal(exc)}, {"list": values})
    return RedirectResponse(f"/exchanges/{exchange_id}/lists#side-{who.party}", status_code=303)


# -- consent ---------------------------------------------------------------------------------------------------
def _consent_page(request: Request, s: Session, who: Principal, x: Exchange, status: int = 200,
                  errors: dict[str, Any] | None = None, values: dict[str, Any] | None = None) -> HTMLResponse:
    entries = [e for e in svc.entries(s, who, x) if e.direction == "hand_over"]
    persons = readable_persons(s, who, [e.person for e in entries])
    consents = svc.consents(s, who, x)
    handed = {h.person for h in svc.handovers(s, who, x)}
    can_interview = rules.may_interview(who, x)
    values = values or {}
    cv = values.get("consent", {})
    counts = {state: sum(1 for e in entries if (consents[e.person].state if e.person in consents
                                                 else "not_interviewed") == state)
              for state in ("wants", "refused", "not_interviewed")}
    return page(request, s, "exchange_consent.html", status, who=who, x=x, current="consent", entries=entries,
                persons=persons, consents=consents, handed=handed, can_interview=can_interview, counts=counts,
                today=datetime.now(UTC).date().isoformat(),
                errors=hoisted(errors or {}, {"consent": can_interview}), values={**values, "consent": cv})


@router.get("/exchanges/{exchange_id}/consent", response_class=HTMLResponse)
def consent_page(request: Request, s: Db, who: Who, exchange_id: str) -> HTMLResponse:
    x = exchange_of(s, who, exchange_id)
    if x is None:
        return no_exchange(request, who)
    return _consent_page(request, s, who, x)


@router.post("/exchanges/{exchange_id}/consent", response_class=HTMLResponse)
async def record_consent(request: Request, s: Db, who: Who, exchange_id: str) -> Response:
    """A mediator's private interview with one person on a hand-over list: whether the person wants to be
    repatriated, when asked, and if not why. Addressed to the holding party and the mediators only."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    x = exchange_of(s, who, exchange_id)
    if x is None:
        return no_exchange(request, who)
    values = {"person": str(form.get("person", ""))[:64], "wants": str(form.get("wants", ""))[:3],
              "interviewed_on": str(form.get("interviewed_on", ""))[:10].strip(),
              "reason": str(form.get("reason", ""))[:4000].strip()}
    errors: dict[str, Any] = {}
    if values["wants"] not in ("yes", "no"):
        errors["consent.wants"] = CHOOSE_ANSWER
    elif values["wants"] == "no" and not values["reason"]:
        errors["consent.reason"] = WRITE_REASON
    if errors:
        return _consent_page(request, s, who, x, 400, errors, {"consent": values})
    holder = next((e.side for e in svc.entries(s, who, x)
                   if e.direction == "hand_over" and e.person == values["person"]), None)
    payload: dict[str, Any] = {"exchange": x.id, "person": values["person"],
                               "wants_repatriation": values["wants"] == "yes",
                               "interviewed_on": values["interviewed_on"] or datetime.now(UTC).date().isoformat(),
                               "reason": values["reason"]}
    try:
        await submit(request, s, who, "exchange.consent", x, payload,
                     k.consent_audience(x, holder) if holder else None)
    except ParleyError as exc:
        s.rollback()
        x = exchange_of(s, who, exchange_id)
        if x is None:
            return no_exchange(request, who)
        return _consent_page(request, s, who, x, 400,
                             {f"consent.{field_of(exc, CONSENT_KNOWN, CONSENT_ALIASES)}": refusal(exc)},
                             {"consent": values})
    return RedirectResponse(f"/exchanges/{exchange_id}/consent#person-{values['person']}", status_code=303)
