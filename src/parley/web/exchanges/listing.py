"""The exchanges a member may read (title, kind, parties and mediators, formula, status, version and the version
agreed), filtered by status and kind, and the form on which a negotiator of a belligerent or mediator party
proposes a new exchange; the figures parties released of completed exchanges, which press and liaison officers
read (no names, nothing before the release)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from parley.errors import ParleyError
from parley.exchanges import kinds as k
from parley.exchanges import rules
from parley.exchanges import service as svc
from parley.exchanges.models import Exchange
from parley.parties.models import Party
from parley.parties.principal import Principal
from parley.records.ids import new_id
from parley.submit import submit_as_async
from parley.web.exchanges.common import (
    CATEGORIES, NOT_READER, STAGE_ROWS, TERMS_ALIASES, TERMS_KNOWN, field_of, formula_text, hoisted,
    may_read_exchanges, page, terms_from_form,
)
from parley.web.refusals import refusal
from parley.web.routes import Db, Who, check_csrf, lang_of

router = APIRouter(include_in_schema=False)

PROPOSE_KNOWN = {"title", "parties", "mediators", *TERMS_KNOWN}


def may_propose(who: Principal) -> bool:
    """Does ``who`` propose exchanges: a negotiator (or admin) of a belligerent or a mediator party."""
    return bool(who.roles & rules.NEGOTIATORS) and who.party_kind in ("belligerent", "mediator")


def _parties(s: Session, kind: str) -> list[str]:
    return list(s.execute(select(Party.slug).where(Party.kind == kind).order_by(Party.slug)).scalars())


def _listing(request: Request, s: Session, who: Principal, status: str = "", kind: str = "", code: int = 200,
             errors: dict[str, Any] | None = None, values: dict[str, Any] | None = None) -> HTMLResponse:
    status, kind = status[:16], kind[:16]
    reader = may_read_exchanges(who)
    rows = [x for x in svc.exchanges(s, who) if (not status or x.status == status) and (not kind or x.kind == kind)] \
        if reader else []
    released = [{"x": x, "r": r, "figures": json.loads(r.figures or "{}")} for x, r in svc.released(s, who)]
    can_propose = reader and may_propose(who)
    values = values or {}
    pv = {"parties": [who.party] if who.party_kind == "belligerent" else [],
          "mediators": [who.party] if who.party_kind == "mediator" else [], "kind": "prisoners",
          "formula_kind": "n_for_n", **values.get("propose", {})}
    lang = lang_of(request)
    return page(request, s, "exchanges.html", code, who=who, reader=reader, rows=rows, released=released,
                formulas_of={x.id: formula_text(lang, svc.terms(x)) for x in rows}, not_reader=NOT_READER,
                filters={"status": status, "kind": kind}, statuses=rules.STATUSES, kinds=rules.KINDS,
                formulas=rules.FORMULAS, categories=CATEGORIES, stage_rows=STAGE_ROWS, can_propose=can_propose,
                belligerents=_parties(s, "belligerent") if can_propose else [],
                mediator_parties=_parties(s, "mediator") if can_propose else [],
                errors=hoisted(errors or {}, {"propose": can_propose}), values={**values, "propose": pv})


@router.get("/exchanges", response_class=HTMLResponse)
def exchanges_page(request: Request, s: Db, who: Who, status: str = "", kind: str = "") -> HTMLResponse:
    return _listing(request, s, who, status, kind)


@router.post("/exchanges", response_class=HTMLResponse)
async def propose(request: Request, s: Db, who: Who) -> Response:
    """Propose an exchange, its first version of terms: the parties and mediators, the kind, the formula (the
    same number each side, all for all, or by category), the stages and their sizes, the place, and the talks
    point or the operation of transfer it belongs to. Addressed, closed, to its parties and mediators."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    values, terms, errors = terms_from_form(form, "propose")
    values["title"] = str(form.get("title", ""))[:200].strip()
    values["parties"] = [str(x)[:64] for x in form.getlist("parties")][:8]
    values["mediators"] = [str(x)[:64] for x in form.getlist("mediators")][:8]
    if errors:
        return _listing(request, s, who, code=400, errors=errors, values={"propose": values})
    xid = new_id(who.party, "exchange")
    payload = {"id": xid, "title": values["title"], "parties": values["parties"], "mediators": values["mediators"],
               "version": 1, "terms": terms}
    view = Exchange(parties=",".join(values["parties"]), mediators=",".join(values["mediators"]))
    try:
        await submit_as_async(request.app.state.runtime, s, who, "exchange.propose", k.audience_for(view), payload)
    except ParleyError as exc:
        s.rollback()
        return _listing(request, s, who, code=400, values={"propose": values}, errors={
            f"propose.{field_of(exc, PROPOSE_KNOWN, TERMS_ALIASES)}": refusal(exc)})
    return RedirectResponse(f"/exchanges/{xid}", status_code=303)
