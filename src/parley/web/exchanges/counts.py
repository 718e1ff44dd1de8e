"""An exchange's counts: each party's own figures of what it sent and received (in all, or in one stage), as it
stated them, beside the tally of the handover's confirmations person by person, and for every difference the
persons who account for it; every count stated; and the form on which a party states its count."""

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
    ENTER_FIGURE, exchange_of, field_of, hoisted, no_exchange, page, readable_persons, stated, submit,
)
from parley.web.refusals import refusal
from parley.web.routes import Db, Who, check_csrf

router = APIRouter(include_in_schema=False)

COUNT_CATEGORIES = (*rules.CATEGORIES, "remains")  # as kinds.Side.by_category names them
COUNT_KNOWN = {"stage", "sent", "received", "note"} | {f"{w}_{c}" for w in ("sent", "received")
                                                        for c in COUNT_CATEGORIES}
COUNT_ALIASES = {"sent_total": "sent", "received_total": "received", "sent_by_category": "sent",
                 "received_by_category": "received"}


def _stage(raw: Any, numbers: list[int]) -> int | None:
    text = str(raw or "").strip()
    return int(text) if text.isdigit() and len(text) < 3 and int(text) in numbers else None


def _counts_page(request: Request, s: Session, who: Principal, x: Exchange, status: int = 200,
                 errors: dict[str, Any] | None = None, values: dict[str, Any] | None = None) -> HTMLResponse:
    numbers = [st["number"] for st in svc.terms(x)["stages"]]
    stage = _stage(request.query_params.get("stage"), numbers)
    rec = svc.reconcile(s, who, x, stage)
    counts = [(c, json.loads(c.figures)) for c in reversed(rec.counts)]
    persons = readable_persons(s, who, [pid for ln in rec.lines for pid in ln.persons])
    can_count = rules.may_count(who, x)
    values = values or {}
    return page(request, s, "exchange_counts.html", status, who=who, x=x, current="counts", rec=rec, stage=stage,
                stage_numbers=numbers, counts=counts, persons=persons, can_count=can_count,
                errors=hoisted(errors or {}, {"count": can_count}),
                count_categories=COUNT_CATEGORIES,
                values={**values, "count": values.get("count", {"stage": "" if stage is None else str(stage)})})


@router.get("/exchanges/{exchange_id}/counts", response_class=HTMLResponse)
def counts_page(request: Request, s: Db, who: Who, exchange_id: str) -> HTMLResponse:
    x = exchange_of(s, who, exchange_id)
    if x is None:
        return no_exchange(request, who)
    return _counts_page(request, s, who, x)


@router.post("/exchanges/{exchange_id}/counts", response_class=HTMLResponse)
async def state_count(request: Request, s: Db, who: Who, exchange_id: str) -> Response:
    """The member's party's own count of what it sent and received, in all or in one stage, each figure as
    stated ("10", "more than 200", "about 50")."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    x = exchange_of(s, who, exchange_id)
    if x is None:
        return no_exchange(request, who)
    values = {f: str(form.get(f, ""))[:4000].strip() for f in COUNT_KNOWN}
    errors: dict[str, Any] = {}
    payload: dict[str, Any] = {"exchange": x.id, "note": values["note"]}
    if values["stage"]:
        payload["stage"] = int(values["stage"]) if values["stage"].isdigit() and len(values["stage"]) < 3 else 0
    for f in ("sent", "received"):
        try:
            payload[f] = {"total": stated(values[f])}
        except ValueError:
            errors[f"count.{f}"] = ENTER_FIGURE
        by_category: dict[str, Any] = {}
        for c in COUNT_CATEGORIES:  # optional: a category left blank is not stated
            if values[f"{f}_{c}"]:
                try:
                    by_category[c] = stated(values[f"{f}_{c}"])
                except ValueError:
                    errors[f"count.{f}_{c}"] = ENTER_FIGURE
        if by_category and f in payload:
            payload[f]["by_category"] = by_category
    if errors:
        return _counts_page(request, s, who, x, 400, errors, {"count": values})
    try:
        await submit(request, s, who, "exchange.count", x, payload)
    except ParleyError as exc:
        s.rollback()
        x = exchange_of(s, who, exchange_id)
        if x is None:
            return no_exchange(request, who)
        return _counts_page(request, s, who, x, 400, {f"count.{field_of(exc, COUNT_KNOWN, COUNT_ALIASES)}":
                                                      refusal(exc)}, {"count": values})
    where = f"?stage={payload['stage']}" if payload.get("stage") else ""
    return RedirectResponse(f"/exchanges/{exchange_id}/counts{where}#reconciliation", status_code=303)
