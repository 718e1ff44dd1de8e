"""An exchange's remains: what each side handed over in each stage, its count as it stated it ("more than 200"
stays a lower bound) and the bodies it tagged; every body's identification now (not identified, preliminary, a
DNA sample taken, identified as a person of the registry) and its steps; the form on which the receiving side's
registrar (or a mediator) advances a body's identification, and the form on which a party records the remains
it hands over in a stage."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from parley.errors import ParleyError
from parley.exchanges import kinds as k
from parley.exchanges import rules
from parley.exchanges import service as svc
from parley.exchanges.models import Exchange
from parley.parties.principal import Principal
from parley.web.exchanges.common import (
    CHOOSE_BODY, ENTER_FIGURE, NAME_PERSON, exchange_of, field_of, hoisted, ids_of, no_exchange, page,
    readable_persons, stated, submit,
)
from parley.web.refusals import refusal
from parley.web.routes import Db, Who, check_csrf

router = APIRouter(include_in_schema=False)

IDENTIFY_KNOWN = {"body", "state", "person", "note"}
REMAINS_KNOWN = {"stage", "count", "bodies", "place", "note"}
NEXT_STATES = rules.BODY_STATES[1:]


def _remains_page(request: Request, s: Session, who: Principal, x: Exchange, status: int = 200,
                  errors: dict[str, Any] | None = None, values: dict[str, Any] | None = None) -> HTMLResponse:
    q = request.query_params
    state, sender = str(q.get("state", ""))[:16], str(q.get("sender", ""))[:64]
    remains = [(r, svc.remains_figure(r)) for r in svc.remains(s, who, x)]
    bodies = svc.bodies(s, who, x)
    shown = [b for b in bodies if (not state or b.state == state) and (not sender or b.sender == sender)]
    steps: dict[str, list[Any]] = {}
    for i in svc.identifications(s, who, x):
        steps.setdefault(i.tag, []).append(i)
    tally = Counter((b.sender, b.state) for b in bodies)
    is_mediator = rules.is_mediator(who, x)
    can_identify = bool(who.roles & rules.REGISTRARS) and (is_mediator or who.party in x.party_list)
    open_bodies = [b for b in bodies if b.state != "identified" and (is_mediator or b.receiver == who.party)] \
        if can_identify else []
    can_hand_over = rules.may_confirm(who, x) and rules.is_party(who, x) and x.kind in ("remains", "mixed")
    values = values or {}
    return page(request, s, "exchange_remains.html", status, who=who, x=x, current="remains", remains=remains,
                bodies=shown, total=len(bodies), steps=steps, tally=tally,
                tagged=Counter(b.remains_idx for b in bodies), senders=sorted({b.sender for b in bodies}),
                body_states=rules.BODY_STATES,
                next_states=NEXT_STATES, filters={"state": state, "sender": sender}, open_bodies=open_bodies,
                can_identify=bool(open_bodies), can_hand_over=can_hand_over,
                stage_numbers=[st["number"] for st in svc.terms(x)["stages"]],
                persons=readable_persons(s, who, [b.person for b in bodies if b.person]),
                errors=hoisted(errors or {}, {"identify": bool(open_bodies), "remains": can_hand_over}),
                values={"identify": {}, "remains": {}, **values})


@router.get("/exchanges/{exchange_id}/remains", response_class=HTMLResponse)
def remains_page(request: Request, s: Db, who: Who, exchange_id: str) -> HTMLResponse:
    x = exchange_of(s, who, exchange_id)
    if x is None:
        return no_exchange(request, who)
    return _remains_page(request, s, who, x)


async def _write(request: Request, s: Session, who: Principal, exchange_id: str, kind: str, payload: dict[str, Any],
                 form_name: str, known: set[str], values: dict[str, Any], anchor: str) -> Response:
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
        return _remains_page(request, s, who, x, 400, {f"{form_name}.{field_of(exc, known)}": refusal(exc)},
                             {form_name: values})
    return RedirectResponse(f"/exchanges/{exchange_id}/remains#{anchor}", status_code=303)


@router.post("/exchanges/{exchange_id}/identifications", response_class=HTMLResponse)
async def identify(request: Request, s: Db, who: Who, exchange_id: str) -> Response:
    """A body's identification advances: preliminary, a DNA sample taken, identified; identified, it names the
    registry's missing or dead person, whose status becomes remains returned."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    values = {f: str(form.get(f, ""))[:4000 if f == "note" else 64].strip() for f in IDENTIFY_KNOWN}
    errors: dict[str, Any] = {}
    if not values["body"]:
        errors["identify.body"] = CHOOSE_BODY
    if values["state"] == "identified" and not values["person"]:
        errors["identify.person"] = NAME_PERSON
    if errors:
        x = exchange_of(s, who, exchange_id)
        if x is None:
            return no_exchange(request, who)
        return _remains_page(request, s, who, x, 400, errors, {"identify": values})
    payload: dict[str, Any] = {"exchange": exchange_id, "body": values["body"], "state": values["state"],
                               "note": values["note"]}
    if values["person"]:
        payload["person"] = values["person"]
    return await _write(request, s, who, exchange_id, "exchange.identify", payload, "identify", IDENTIFY_KNOWN,
                        values, f"body-{values['body']}")


@router.post("/exchanges/{exchange_id}/remains", response_class=HTMLResponse)
async def hand_over_remains(request: Request, s: Db, who: Who, exchange_id: str) -> Response:
    """Remains the member's party hands over in a stage: the count as stated and the tags of the bodies."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    values = {f: str(form.get(f, ""))[:100_000 if f == "bodies" else 4000].strip() for f in REMAINS_KNOWN}
    errors: dict[str, Any] = {}
    payload: dict[str, Any] = {"exchange": exchange_id,
                               "stage": int(values["stage"]) if values["stage"].isdigit() and len(values["stage"]) < 3
                               else 0,
                               "bodies": ids_of(values["bodies"], k.MAX_BODIES),
                               "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "place": values["place"][:200],
                               "note": values["note"]}
    try:
        payload["count"] = stated(values["count"])
    except ValueError:
        errors["remains.count"] = ENTER_FIGURE
    if errors:
        x = exchange_of(s, who, exchange_id)
        if x is None:
            return no_exchange(request, who)
        return _remains_page(request, s, who, x, 400, errors, {"remains": values})
    return await _write(request, s, who, exchange_id, "exchange.remains", payload, "remains", REMAINS_KNOWN, values,
                        "handed")
