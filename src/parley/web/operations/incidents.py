"""Incidents: each party's account side by side, on the map, and reporting one (or an account of another's)."""

from __future__ import annotations

from typing import Any

from parley.parties.models import Party
from parley.records.figures import parse as parse_figure
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from parley.errors import ParleyError
from parley.operations import kinds as k
from parley.operations import rules
from parley.operations import service as svc
from parley.parties.principal import Principal
from parley.records.ids import new_id
from parley.web.i18n import N_
from parley.web.operations.common import (
    ENTER_NUMBER, ENTER_TIME, TIME_ZONES, _field, _incident_feature, _map_labels, _op_feature, _parse_local,
    _parties, _position, _region, _submit, page,
)
from parley.web.refusals import refusal
from parley.web.routes import Db, Who, check_csrf, lang_of

router = APIRouter(include_in_schema=False)


# -- incidents -------------------------------------------------------------------------------------
ENTER_FIGURE = N_("Enter a number, or the figure as stated: >3 (more than), ~10 (about), 3-5.")
INCIDENT_FIELDS = {"type", "observed", "at", "position", "place", "direction_deg", "distance_m", "killed", "wounded",
                   "description", "operation", "account_of", "alleged_responsible"}


def _incidents_page(request: Request, s: Session, who: Principal, status: int = 200,
                    values: dict[str, Any] | None = None, errors: dict[str, Any] | None = None) -> HTMLResponse:
    lang = lang_of(request)
    groups = svc.incidents(s, who)
    ops = svc.operations(s, who)
    data = {"mode": "point", "lang": lang, "labels": _map_labels(request), "region": _region(s),
            "incidents": [_incident_feature(i, lang) for g in groups for i in g],
            "operations": [_op_feature(s, o, {}) for o in ops if o.status in k.ACTIVE]}
    firsts = [g[0] for g in groups if g and rules.may_give_account(who, g[0])]
    return page(request, "incidents.html", status, who=who, groups=groups, names=_parties(s, lang), ops=ops,
                firsts=firsts, belligerents=[p.slug for p in s.query(Party).filter_by(kind="belligerent")
                                             .order_by(Party.slug)],
                types=k.INCIDENT_TYPES, observed=k.OBSERVED, values=values or {"observed": "seen"},
                errors=errors or {}, map_data=data, can_report=rules.may_report_incident(who), time_zones=TIME_ZONES)


@router.get("/incidents", response_class=HTMLResponse)
def incidents_page(request: Request, s: Db, who: Who) -> HTMLResponse:
    return _incidents_page(request, s, who)


@router.post("/incidents", response_class=HTMLResponse)
async def report_incident(request: Request, s: Db, who: Who) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    values = {f: str(form.get(f, ""))[:4000] for f in INCIDENT_FIELDS | {"time_zone"}}
    errors: dict[str, Any] = {}
    tz = values["time_zone"] if values["time_zone"] in TIME_ZONES else "Europe/Kyiv"
    at = _parse_local(values["at"], tz) if values["at"] else None
    if at is None:
        errors["at"] = ENTER_TIME
    pos = _position(values["position"])
    if pos is None:
        errors["position"] = N_("Pick the position on the map or enter it.")
    numbers: dict[str, int | None] = {}
    for f in ("direction_deg", "distance_m"):
        raw = values[f].strip()
        if not raw:
            numbers[f] = None
        elif raw.isdigit():
            numbers[f] = int(raw)
        else:
            errors[f] = ENTER_NUMBER
    # Casualties as the reporter states them: 3, or >3 (more than), >=3, ~10 (about), 3-5, hundreds.
    casualties: dict[str, Any] = {}
    for f in ("killed", "wounded"):
        raw = values[f].strip()
        if not raw:
            casualties[f] = None
            continue
        try:
            fig = parse_figure(raw)
        except ValueError:
            errors[f] = ENTER_FIGURE
            continue
        casualties[f] = fig.value if fig.form == "exact" else fig.model_dump(exclude_none=True)
    if errors:
        return _incidents_page(request, s, who, 400, values, errors)
    payload: dict[str, Any] = {"id": new_id(who.party, "inc"), "at": at, "position": pos, "place": values["place"],
                               "type": values["type"], "observed": values["observed"],
                               "casualties": casualties,
                               "description": values["description"]}
    for f in ("direction_deg", "distance_m"):
        if numbers[f] is not None:
            payload[f] = numbers[f]
    if values["alleged_responsible"]:
        payload["alleged_responsible"] = values["alleged_responsible"]
    audience = ["all"]
    if values["operation"]:
        payload["operation"] = values["operation"]
        try:
            audience = k.audience_for(svc.operation(s, who, values["operation"]))
        except ParleyError as exc:
            return _incidents_page(request, s, who, 400, values, {"operation": refusal(exc)})
    if values["account_of"]:
        payload["account_of"] = values["account_of"]
        first = next((g[0] for g in svc.incidents(s, who) if g and g[0].id == values["account_of"]), None)
        if first is not None and not values["operation"]:
            audience = first.audience.split(",")
    try:
        await _submit(request, s, who, "incident.report", audience, payload)
    except ParleyError as exc:
        s.rollback()
        return _incidents_page(request, s, who, 400, values, {_field(exc, INCIDENT_FIELDS,
                                                                     {"casualties_killed": "killed",
                                                                      "casualties_wounded": "wounded"}): refusal(exc)})
    return RedirectResponse("/incidents", status_code=303)
