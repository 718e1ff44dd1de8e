"""An exchange's page: its terms now, every version of them with its SHA-256 and who signed which, whether each
party signed the current version; a party's negotiator signs the exact SHA-256 of the version the page showed (a
page gone stale is refused by the record kind), and a negotiator taking part writes a counter-proposal (a new
version, to be signed again). Its status over time: a mediator declares it completed, suspended, resumed or
cancelled; once completed, a party's negotiator releases it with the figures it makes public."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from parley.errors import ParleyError
from parley.exchanges import rules
from parley.exchanges import service as svc
from parley.exchanges.models import Exchange
from parley.parties.principal import Principal
from parley.web.exchanges.common import (
    CATEGORIES, ENTER_FIGURE, STAGE_ROWS, TERMS_ALIASES, TERMS_KNOWN, exchange_of, field_of, formula_text,
    hoisted, no_exchange, page, stated, submit, terms_from_form, terms_values,
)
from parley.web.refusals import refusal
from parley.web.routes import Db, Who, check_csrf, lang_of

router = APIRouter(include_in_schema=False)

COUNTER_KNOWN = {"title", *TERMS_KNOWN}
STATUS_KNOWN = {"status", "reason"}
RELEASE_KNOWN = {"sent", "received", "note"}


def status_actions(who: Principal, x: Exchange) -> list[str]:
    """The statuses a mediator may declare now (``exchanges.kinds.apply_status``'s order of things)."""
    if not rules.may_close(who, x):
        return []
    out = []
    if x.status in ("under_way", "suspended"):
        out.append("completed")
    if x.status == "suspended":
        out.append("under_way")
    else:
        out.append("suspended")
    out.append("cancelled")
    return out


def _agreement_page(request: Request, s: Session, who: Principal, x: Exchange, status: int = 200,
                    errors: dict[str, Any] | None = None, values: dict[str, Any] | None = None) -> HTMLResponse:
    lang = lang_of(request)
    versions = []
    signoffs = svc.signoffs(s, who, x)
    for v in reversed(svc.versions(s, who, x)):
        t = json.loads(v.terms)
        versions.append({"v": v, "t": t, "formula": formula_text(lang, t),
                         "signed": [g for g in signoffs if g.version == v.version]})
    panel = []
    for party in x.party_list:
        mine = [g for g in signoffs if g.signer == party]
        panel.append({"party": party, "current": next((g for g in mine if g.version == x.version), None),
                      "last": mine[-1] if mine else None})
    statuses = svc.statuses(s, who, x)
    released_by = {r.party for r in statuses if r.status == "released"}
    signed_current = {g.signer for g in signoffs if g.version == x.version}
    forms = {"sign": rules.may_sign(who, x) and who.party not in signed_current,
             "counter": rules.may_propose(who, x), "status": bool(status_actions(who, x)),
             "release": rules.may_release(who, x) and who.party not in released_by}
    values = values or {}
    cv = {"title": x.title, **terms_values(svc.terms(x)), **values.get("counter", {})}
    errors = hoisted(errors or {}, forms)
    return page(request, s, "exchange.html", status, who=who, x=x, current="agreement", versions=versions,
                panel=panel, statuses=[(r, json.loads(r.figures) if r.figures else None) for r in statuses],
                forms=forms, actions=status_actions(who, x), formulas=rules.FORMULAS, categories=CATEGORIES,
                stage_rows=STAGE_ROWS, errors=errors, values={**values, "counter": cv},
                counter_open=any(key.startswith("counter.") for key in errors))


@router.get("/exchanges/{exchange_id}", response_class=HTMLResponse)
def exchange_page(request: Request, s: Db, who: Who, exchange_id: str) -> HTMLResponse:
    x = exchange_of(s, who, exchange_id)
    if x is None:
        return no_exchange(request, who)
    return _agreement_page(request, s, who, x)


async def _write(request: Request, s: Session, who: Principal, exchange_id: str, kind: str, payload: dict[str, Any],
                 form_name: str, known: set[str], values: dict[str, Any], anchor: str,
                 aliases: dict[str, str] | None = None) -> Response:
    x = exchange_of(s, who, exchange_id)
    if x is None:
        return no_exchange(request, who)
    try:
        await submit(request, s, who, kind, x, payload)
    except ParleyError as exc:
        s.rollback()
        x = exchange_of(s, who, exchange_id)
        if x is None:
            return no_exchange(request, who)
        return _agreement_page(request, s, who, x, 400, values={form_name: values}, errors={
            f"{form_name}.{field_of(exc, known, aliases)}": refusal(exc)})
    return RedirectResponse(f"/exchanges/{exchange_id}#{anchor}", status_code=303)


@router.post("/exchanges/{exchange_id}/signoffs", response_class=HTMLResponse)
async def sign(request: Request, s: Db, who: Who, exchange_id: str) -> Response:
    """Sign the version the page showed, by its exact SHA-256: if a newer version came meanwhile, the record kind
    refuses it and nothing is signed. The exchange is agreed once every party signed the same version."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    raw = str(form.get("version", "")).strip()
    note = str(form.get("note", ""))[:4000]
    payload = {"exchange": exchange_id, "version": int(raw) if raw.isdigit() and len(raw) < 10 else 0,
               "sha256": str(form.get("sha256", "")).strip()[:64], "note": note}
    return await _write(request, s, who, exchange_id, "exchange.sign", payload, "sign", {"note"}, {"note": note},
                        "signoffs")


@router.post("/exchanges/{exchange_id}/versions", response_class=HTMLResponse)
async def counter(request: Request, s: Db, who: Who, exchange_id: str) -> Response:
    """A counter-proposal: a new version of the terms (same parties, mediators and kind), which every party signs
    again."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    x = exchange_of(s, who, exchange_id)
    if x is None:
        return no_exchange(request, who)
    values, terms, errors = terms_from_form(form, "counter")
    values["title"] = str(form.get("title", ""))[:200].strip()
    terms["kind"] = x.kind
    values["kind"] = x.kind
    if errors:
        return _agreement_page(request, s, who, x, 400, errors=errors, values={"counter": values})
    payload = {"id": x.id, "title": values["title"], "parties": x.party_list, "mediators": x.mediator_list,
               "version": x.version + 1, "terms": terms}
    return await _write(request, s, who, exchange_id, "exchange.propose", payload, "counter", COUNTER_KNOWN, values,
                        "versions", TERMS_ALIASES)


@router.post("/exchanges/{exchange_id}/status", response_class=HTMLResponse)
async def change_status(request: Request, s: Db, who: Who, exchange_id: str) -> Response:
    """A mediator declares the exchange completed, suspended, resumed or cancelled."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    values = {f: str(form.get(f, ""))[:4000].strip() for f in STATUS_KNOWN}
    payload = {"exchange": exchange_id, "status": values["status"][:16], "reason": values["reason"]}
    return await _write(request, s, who, exchange_id, "exchange.status", payload, "status", STATUS_KNOWN, values,
                        "status")


@router.post("/exchanges/{exchange_id}/release", response_class=HTMLResponse)
async def release(request: Request, s: Db, who: Who, exchange_id: str) -> Response:
    """A party releases the completed exchange with the figures it makes public (no names): its press officers
    may then read them."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    values = {f: str(form.get(f, ""))[:4000].strip() for f in RELEASE_KNOWN}
    errors: dict[str, Any] = {}
    payload: dict[str, Any] = {"exchange": exchange_id, "note": values["note"]}
    for f in ("sent", "received"):
        try:
            payload[f] = stated(values[f])
        except ValueError:
            errors[f"release.{f}"] = ENTER_FIGURE
    if errors:
        x = exchange_of(s, who, exchange_id)
        if x is None:
            return no_exchange(request, who)
        return _agreement_page(request, s, who, x, 400, errors=errors, values={"release": values})
    return await _write(request, s, who, exchange_id, "exchange.release", payload, "release", RELEASE_KNOWN, values,
                        "status")
