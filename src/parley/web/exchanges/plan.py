"""An exchange's plan: the current plan stage by stage and side by side, the plans signed before it, and the form
on which a registrar or a mediator taking part computes a plan (the HiGHS integer program of
``exchanges.plan``: the consenting, verified persons on the hand-over lists, the seriously wounded and sick
first, then the longest held), pinning persons a party insists on and excluding others. The proposal shows every
person's reason in or out; a formula that cannot be met is refused naming the constraint that fails. Nothing is
stored until the member signs the proposal shown, as it was shown."""

from __future__ import annotations

import json
import math
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from parley.errors import ParleyError
from parley.exchanges import rules
from parley.exchanges import service as svc
from parley.exchanges.kinds import planned
from parley.exchanges.models import Exchange
from parley.parties.principal import Principal
from parley.web.exchanges.common import (
    PLAN_UNREADABLE, SLUG, exchange_of, hoisted, no_exchange, page, plan_stages_json, readable_persons, submit,
)
from parley.web.refusals import refusal
from parley.web.routes import Db, Who, check_csrf

router = APIRouter(include_in_schema=False)

MAX_STAGES_JSON = 400_000


def _stages(stages: list[dict[str, Any]], sides: list[str]) -> list[dict[str, Any]]:
    """Stages as the page shows them: each stage's persons by side."""
    return [{"stage": st["stage"], "sides": {side: [p["person"] for p in st["persons"] if p["side"] == side]
                                             for side in sides}} for st in stages]


def _plan_page(request: Request, s: Session, who: Principal, x: Exchange, status: int = 200,
               errors: dict[str, Any] | None = None, values: dict[str, Any] | None = None,
               proposal: Any = None, constraint: str = "") -> HTMLResponse:
    plan = svc.current(s, who, x)
    current = None
    ids: set[str] = set()
    if plan is not None:
        current = {"p": plan, "stages": _stages(json.loads(plan.stages), x.party_list),
                   "pinned": json.loads(plan.pinned), "excluded": json.loads(plan.excluded)}
        ids |= set(planned(plan))
    can_plan = rules.may_plan(who, x)
    entries = [e for e in svc.entries(s, who, x) if e.direction == "hand_over"] if can_plan else []
    ids |= {e.person for e in entries}
    shown = None
    if proposal is not None:
        stages_json = plan_stages_json(proposal)
        shown = {"plan": proposal, "stages": _stages(json.loads(stages_json), x.party_list), "json": stages_json,
                 "in": [r for r in proposal.reasons if r.stage is not None],
                 "out": [r for r in proposal.reasons if r.stage is None]}
        ids |= {r.person for r in proposal.reasons}
    values = values or {}
    pv = {"pinned": [], "excluded": [], **values.get("plan", {})}
    return page(request, s, "exchange_plan.html", status, who=who, x=x, current="plan", plan=current,
                history=list(reversed(svc.plans(s, who, x))), can_plan=can_plan, entries=entries,
                consents=svc.consents(s, who, x) if can_plan else {}, proposal=shown,
                persons=readable_persons(s, who, ids), constraint=constraint,
                errors=hoisted(errors or {}, {"plan": can_plan}),
                values={**values, "plan": pv})


@router.get("/exchanges/{exchange_id}/plan", response_class=HTMLResponse)
def plan_page(request: Request, s: Db, who: Who, exchange_id: str) -> HTMLResponse:
    x = exchange_of(s, who, exchange_id)
    if x is None:
        return no_exchange(request, who)
    return _plan_page(request, s, who, x)


def _pins(form: Any) -> tuple[list[str], list[str]]:
    pinned = [str(v)[:64] for v in form.getlist("pinned") if SLUG.match(str(v)[:64])][:1000]
    excluded = [str(v)[:64] for v in form.getlist("excluded") if SLUG.match(str(v)[:64])][:1000]
    return pinned, excluded


def _computed(request: Request, s: Session, who: Principal, x: Exchange, pinned: list[str],
              excluded: list[str]) -> HTMLResponse:
    values = {"plan": {"pinned": pinned, "excluded": excluded}}
    try:
        proposal = svc.solve(s, who, x, pinned=set(pinned), excluded=set(excluded))
    except ParleyError as exc:
        constraint = str(exc.params.get("constraint", "")) if isinstance(exc.params, dict) else ""
        return _plan_page(request, s, who, x, 400, {"plan.form": refusal(exc)}, values, constraint=constraint)
    return _plan_page(request, s, who, x, 200, None, values, proposal)


@router.post("/exchanges/{exchange_id}/plan", response_class=HTMLResponse)
async def compute(request: Request, s: Db, who: Who, exchange_id: str) -> Response:
    """Compute a plan for the pins and exclusions of the form and show it, each person's reason in or out, with
    the form that signs it. Nothing is stored."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    x = exchange_of(s, who, exchange_id)
    if x is None:
        return no_exchange(request, who)
    pinned, excluded = _pins(form)
    return await run_in_threadpool(_computed, request, s, who, x, pinned, excluded)


@router.post("/exchanges/{exchange_id}/plans", response_class=HTMLResponse)
async def sign_plan(request: Request, s: Db, who: Who, exchange_id: str) -> Response:
    """Sign the plan the page proposed, as it showed it: its stages, pins and exclusions and the solver's gap. If
    the lists or the consents changed meanwhile so that it no longer holds, the record kind refuses it."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    x = exchange_of(s, who, exchange_id)
    if x is None:
        return no_exchange(request, who)
    pinned, excluded = _pins(form)
    raw = str(form.get("stages", ""))[:MAX_STAGES_JSON]
    try:
        stages = json.loads(raw)
        gap = float(str(form.get("gap", "0"))[:32] or 0)
    except (ValueError, RecursionError):
        stages, gap = None, 0.0
    values = {"plan": {"pinned": pinned, "excluded": excluded}}
    if not isinstance(stages, list):
        return _plan_page(request, s, who, x, 400, {"plan.form": PLAN_UNREADABLE}, values)
    payload: dict[str, Any] = {"exchange": x.id, "stages": stages, "pinned": pinned, "excluded": excluded,
                               "note": str(form.get("note", ""))[:4000],
                               "gap": gap if math.isfinite(gap) and gap > 0 else 0.0}
    try:
        await submit(request, s, who, "exchange.plan", x, payload)
    except ParleyError as exc:
        s.rollback()
        x = exchange_of(s, who, exchange_id)
        if x is None:
            return no_exchange(request, who)
        return _plan_page(request, s, who, x, 400, {"plan.form": refusal(exc)}, values)
    return RedirectResponse(f"/exchanges/{exchange_id}/plan#current", status_code=303)
