"""Zones (active hostilities, mined, no-go) with their validity windows and audiences: the map, declaring and
withdrawing one, and the alerts of proposals that meet a zone."""

from __future__ import annotations

from typing import Any

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
    ENTER_TIME, TIME_ZONES, _field, _geojson, _map_labels, _parse_local, _parties, _region, _submit, _zone_feature,
    page,
)
from parley.web.refusals import refusal
from parley.web.routes import Db, Who, check_csrf, lang_of, not_found

router = APIRouter(include_in_schema=False)


# -- zones -----------------------------------------------------------------------------------------
ZONE_FIELDS = {"kind", "name", "geometry", "valid_from", "valid_until", "note", "audience", "time_zone"}


def _zones_page(request: Request, s: Session, who: Principal, status: int = 200, values: dict[str, Any] | None = None,
                errors: dict[str, Any] | None = None) -> HTMLResponse:
    lang = lang_of(request)
    zones = svc.zones(s, who)
    data = {"mode": "polygon", "lang": lang, "labels": _map_labels(request), "region": _region(s),
            "zones": [_zone_feature(z) for z in zones]}
    alerts = [a for a in svc.alerts(s, who) if a.row.target_kind == "zone"]
    return page(request, "zones.html", status, who=who, zones=zones, names=_parties(s, lang), kinds=k.ZONE_KINDS,
                alerts=alerts,
                values=values or {"audience": "all", "time_zone": "Europe/Kyiv", "kind": "active_hostilities"},
                errors=errors or {}, map_data=data, can_declare=rules.may_declare_zone(who),
                may_withdraw=lambda z: rules.may_withdraw_zone(who, z), time_zones=TIME_ZONES)


@router.get("/zones", response_class=HTMLResponse)
def zones_page(request: Request, s: Db, who: Who) -> HTMLResponse:
    return _zones_page(request, s, who)


@router.post("/zones/{zone_id}/withdraw", response_class=HTMLResponse)
async def withdraw_zone(request: Request, s: Db, who: Who, zone_id: str) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    z = next((z for z in svc.zones(s, who) if z.id == zone_id), None)
    if z is None:
        return not_found(request, who, N_("There is no such zone, or you may not read it."))
    try:
        await _submit(request, s, who, "zone.withdraw", z.audience.split(","),
                      {"id": z.id, "reason": str(form.get("reason", ""))[:4000]})
    except ParleyError as exc:
        s.rollback()
        return _zones_page(request, s, who, 400, errors={f"withdraw.{zone_id}": refusal(exc)})
    return RedirectResponse("/zones", status_code=303)


@router.post("/zones", response_class=HTMLResponse)
async def declare_zone(request: Request, s: Db, who: Who) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    values = {f: str(form.get(f, ""))[:20000] for f in ZONE_FIELDS}
    errors: dict[str, Any] = {}
    tz = values["time_zone"] if values["time_zone"] in TIME_ZONES else "Europe/Kyiv"
    geometry = _geojson(values["geometry"], "Polygon")
    if geometry is None or len((geometry.get("coordinates") or [[]])[0]) < 4:
        errors["geometry"] = N_("Draw the zone on the map: click at least three points.")
    times = {}
    for f in ("valid_from", "valid_until"):
        times[f] = _parse_local(values[f], tz) if values[f] else None
        if times[f] is None:
            errors[f] = ENTER_TIME
    if errors:
        return _zones_page(request, s, who, 400, values, errors)
    payload = {"id": new_id(who.party, "zone"), "kind": values["kind"], "name": values["name"], "geometry": geometry,
               "valid_from": times["valid_from"], "valid_until": times["valid_until"], "note": values["note"]}
    audience = [f"party:{who.party}"] if values["audience"] == "party" else ["all"]
    try:
        await _submit(request, s, who, "zone.declare", audience, payload)
    except ParleyError as exc:
        s.rollback()
        return _zones_page(request, s, who, 400, values, {_field(exc, ZONE_FIELDS): refusal(exc)})
    return RedirectResponse("/zones", status_code=303)
