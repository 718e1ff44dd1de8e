"""An exchange's handover board: every person on the current plan, by stage and sending side, and each step
confirmed so far (handed over by the sending side, received by the receiving side, which names its own record of
the person, witnessed by a mediator) with its time; the buttons of the step the member's party confirms next; and
the acts of transfer of each stage and sending side, in Ukrainian, Russian and English, once a receipt is
confirmed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from parley.errors import ParleyError
from parley.exchanges import rules
from parley.exchanges import service as svc
from parley.exchanges.models import Exchange
from parley.parties.principal import Principal
from parley.people.models import Person
from parley.web.exchanges.common import exchange_of, field_of, hoisted, no_exchange, page, submit
from parley.web.refusals import refusal
from parley.web.routes import Db, Who, check_csrf

router = APIRouter(include_in_schema=False)

HANDOVER_KNOWN = {"as_person", "place"}
STATES = ("open", "complete")


def next_steps(who: Principal, x: Exchange, b: svc.Board) -> list[str]:
    """The steps ``who`` may confirm now for ``b``'s person: the sending side hands over, the receiving side
    receives once handed over, a mediator witnesses once handed over."""
    if not rules.may_confirm(who, x):
        return []
    out = []
    if who.party == b.side and "handed_over" not in b.steps:
        out.append("handed_over")
    if "handed_over" in b.steps:
        if who.party in x.party_list and who.party != b.side and "received" not in b.steps:
            out.append("received")
        if rules.is_mediator(who, x) and "witnessed" not in b.steps:
            out.append("witnessed")
    return out


def acts(s: Session, who: Principal, x: Exchange) -> list[tuple[int, str]]:
    """(stage, sending side) of every act of transfer there is: a receipt confirmed, or remains handed over."""
    done = {(h.stage, h.sender) for h in svc.handovers(s, who, x) if h.step == "received"}
    done |= {(r.stage, r.sender) for r in svc.remains(s, who, x)}
    return sorted(done)


def _handover_page(request: Request, s: Session, who: Principal, x: Exchange, status: int = 200,
                   errors: dict[str, Any] | None = None, values: dict[str, Any] | None = None) -> HTMLResponse:
    q = request.query_params
    stage_raw, side, state = str(q.get("stage", ""))[:3], str(q.get("side", ""))[:64], str(q.get("state", ""))[:9]
    board = svc.board(s, who, x)
    stages = sorted({b.stage for b in board})
    rows = [b for b in board if (not stage_raw or str(b.stage) == stage_raw) and (not side or b.side == side)
            and (not state or (state == "complete") == b.complete)]
    persons: dict[str, Person] = {}
    for b in board:
        for p in (b.record, b.as_person):
            if p is not None:
                persons[p.id] = p
    steps = {b.person: next_steps(who, x, b) for b in rows}
    receivers = {b.person: next((p for p in x.party_list if p != b.side), "") for b in board}
    summary = {"planned": len(board), "complete": sum(1 for b in board if b.complete),
               "handed": sum(1 for b in board if "handed_over" in b.steps),
               "received": sum(1 for b in board if "received" in b.steps)}
    values = values or {}
    return page(request, s, "exchange_handover.html", status, who=who, x=x, current="handover", rows=rows,
                persons=persons, steps=steps, receivers=receivers, summary=summary, acts=acts(s, who, x),
                filters={"stage": stage_raw, "side": side, "state": state}, stages=stages, states=STATES,
                step_names=rules.STEPS, place=svc.terms(x).get("place", ""),
                errors=hoisted(errors or {}, {"handover": True}), values=values)


@router.get("/exchanges/{exchange_id}/handover", response_class=HTMLResponse)
def handover_page(request: Request, s: Db, who: Who, exchange_id: str) -> HTMLResponse:
    x = exchange_of(s, who, exchange_id)
    if x is None:
        return no_exchange(request, who)
    return _handover_page(request, s, who, x)


@router.post("/exchanges/{exchange_id}/handover", response_class=HTMLResponse)
async def confirm(request: Request, s: Db, who: Who, exchange_id: str) -> Response:
    """Confirm one step of one person now: handed over (the sending side), received (the receiving side,
    naming its own record of the person if it has one), witnessed (a mediator)."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    x = exchange_of(s, who, exchange_id)
    if x is None:
        return no_exchange(request, who)
    values = {"person": str(form.get("person", ""))[:64], "step": str(form.get("step", ""))[:16],
              "as_person": str(form.get("as_person", ""))[:64].strip(), "place": str(form.get("place", ""))[:200]}
    raw = str(form.get("stage", "")).strip()
    payload: dict[str, Any] = {"exchange": x.id, "stage": int(raw) if raw.isdigit() and len(raw) < 3 else 0,
                               "person": values["person"], "step": values["step"],
                               "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "place": values["place"].strip()}
    if values["as_person"] and values["step"] == "received":
        payload["as_person"] = values["as_person"]
    try:
        await submit(request, s, who, "exchange.handover", x, payload)
    except ParleyError as exc:
        s.rollback()
        x = exchange_of(s, who, exchange_id)
        if x is None:
            return no_exchange(request, who)
        return _handover_page(request, s, who, x, 400, {
            f"handover.{field_of(exc, HANDOVER_KNOWN)}": refusal(exc)}, {"handover": values})
    return RedirectResponse(f"/exchanges/{exchange_id}/handover#person-{values['person']}", status_code=303)
