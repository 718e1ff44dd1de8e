"""Proposing an operation with its route drawn on the map, a dry run against zones and other operations, and a
party's counter-proposal: the current plan, revised, as a new version."""

from __future__ import annotations

import json
import zoneinfo
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from parley.errors import ParleyError, TooManyRequests
from parley.operations import kinds as k
from parley.operations import rules
from parley.operations import service as svc
from parley.operations.models import Operation
from parley.parties.models import Party
from parley.parties.principal import Principal
from parley.records.ids import new_id
from parley.records.kinds import parse_payload
from parley.web.i18n import N_, Message
from parley.web.operations.common import (
    DRAW_ROUTE, ENTER_NUMBER, ENTER_POSITION, ENTER_TIME, TIME_ZONES, TOO_MANY_CHECKS, _answered, _field, _geojson,
    _map_labels, _parse_local, _position, _region, _submit, _tz, _version, _zone_feature, page,
)
from parley.web.refusals import refusal
from parley.web.routes import Db, Who, check_csrf, lang_of, not_found, render

router = APIRouter(include_in_schema=False)


# -- proposing -------------------------------------------------------------------------------------
PROPOSE_FIELDS = {"kind", "title", "mediator", "parties", "origin_name", "origin_position", "destination_name",
                  "destination_position", "route", "window_start", "window_end", "time_zone", "buffer_m", "vehicles",
                  "convoy_description", "markings", "emergency", "notes", "notice_waived", "operation_id",
                  *(f"expected_{c}" for c in k.CATEGORIES)}
PROPOSE_ALIASES = {"convoy_vehicles": "vehicles", "convoy_markings": "markings", "audience": "parties",
                   "window": "window_start"}


def _new_form(request: Request, s: Session, who: Principal, status: int = 200, values: dict[str, Any] | None = None,
              errors: dict[str, Any] | None = None, conflicts: Any = None,
              counter: Operation | None = None, waiver: dict[str, Any] | None = None,
              waiver_errors: dict[str, Any] | None = None) -> HTMLResponse:
    lang = lang_of(request)
    parties = list(s.execute(select(Party).order_by(Party.slug)).scalars())
    mediators = [p for p in parties if p.kind == "mediator"]
    belligerents = [p for p in parties if p.kind == "belligerent"]
    defaults = {"kind": "evacuation", "mediator": who.party if who.party_kind == "mediator" else
                (mediators[0].slug if mediators else ""), "parties": [p.slug for p in belligerents],
                "time_zone": "Europe/Kyiv", "buffer_m": "1000", "vehicles": "0", "co_mediators": []}
    values = {**defaults, **(values or {})}
    data = {"mode": "route", "lang": lang, "labels": _map_labels(request), "region": _region(s),
            "zones": [_zone_feature(z) for z in svc.zones(s, who)]}
    zones = TIME_ZONES if values["time_zone"] in TIME_ZONES else (values["time_zone"], *TIME_ZONES)
    roles = {m["party"]: m["role"] for m in values.get("co_mediators") or []}
    return page(request, "operation_new.html", status, who=who, values=values, errors=errors or {},
                mediators=mediators, belligerents=belligerents, time_zones=zones, kinds=k.OPERATION_KINDS,
                co_roles=roles, co_mediator_roles=k.CO_MEDIATOR_ROLES, waiver=waiver or {},
                waiver_errors=waiver_errors or {}, waived=request.query_params.get("waived", "")[:64],
                categories=k.CATEGORIES, map_data=data, conflicts=conflicts, notice=k.rules(s), counter=counter,
                action=f"/operations/{counter.id}/counter" if counter else "/operations/new")


@router.get("/operations/new", response_class=HTMLResponse)
def new_operation(request: Request, s: Db, who: Who) -> HTMLResponse:
    return _new_form(request, s, who)


def _known_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _read_plan(form: Any, route_optional: bool = False,
               fixed: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]:
    """The propose form's values, the errors beside each field, and the plan when there are none.

    ``route_optional``: a counter-proposal to an operation defined by its area may leave the route undrawn.
    ``fixed``: values the form shows but does not let the user change (a counter-proposal's parties).
    """
    values: dict[str, Any] = {f: str(form.get(f, ""))[:4000] for f in PROPOSE_FIELDS if f != "parties"}
    values["parties"] = [str(p) for p in form.getlist("parties")][:8]
    values["emergency"] = bool(form.get("emergency"))
    values["notice_waived"] = bool(form.get("notice_waived"))
    # Other mediators taking part: a role chosen beside each (``co_<slug>``), none by default.
    values["co_mediators"] = [{"party": str(key)[3:67], "role": str(role)} for key, role in form.multi_items()
                              if str(key).startswith("co_") and role and str(role) in k.CO_MEDIATOR_ROLES]
    values.update(fixed or {})
    errors: dict[str, Any] = {}
    tz = values["time_zone"] or "Europe/Kyiv"
    if tz not in TIME_ZONES and not (len(tz) < 64 and "/" in tz and _known_zone(tz)):
        errors["time_zone"] = N_("Choose a time zone.")
    route = _geojson(values["route"], "LineString")
    if route is not None and len(route.get("coordinates") or []) < 2:
        route = None
    if route is None and not (route_optional and not values["route"].strip()):
        errors["route"] = DRAW_ROUTE
    positions = {}
    for name in ("origin_position", "destination_position"):
        pos = _position(values[name])
        if pos is None:
            if route is not None and len(route.get("coordinates") or []) >= 2:
                pos = route["coordinates"][0 if name == "origin_position" else -1]
                values[name] = f"{pos[0]:.5f}, {pos[1]:.5f}"
            elif values[name] or route_optional:
                errors[name] = ENTER_POSITION
        positions[name] = pos
    window = {}
    for name in ("window_start", "window_end"):
        t = _parse_local(values[name], tz) if values[name] else None
        if t is None:
            errors[name] = ENTER_TIME
        window[name] = t
    if not values["parties"]:
        errors["parties"] = N_("Choose at least one party concerned.")
    numbers: dict[str, int] = {}
    for name in ("buffer_m", "vehicles", *(f"expected_{c}" for c in k.CATEGORIES)):
        raw = values[name].strip()
        if not raw:
            numbers[name] = 0 if name != "buffer_m" else 1000
            continue
        try:
            numbers[name] = int(raw)
        except ValueError:
            errors[name] = ENTER_NUMBER
    if errors:
        return values, errors, None
    plan = {
        "kind": values["kind"], "title": values["title"], "mediator": values["mediator"] or None,
        "co_mediators": [m for m in values["co_mediators"] if m["party"] != values["mediator"]],
        "parties": values["parties"], "route": route,
        "origin": {"name": values["origin_name"], "position": positions["origin_position"]},
        "destination": {"name": values["destination_name"], "position": positions["destination_position"]},
        "window": {"start": window["window_start"], "end": window["window_end"]}, "time_zone": tz,
        "buffer_m": numbers["buffer_m"],
        "convoy": {"vehicles": numbers["vehicles"], "description": values["convoy_description"],
                   "markings": values["markings"]},
        "expected": {c: numbers[f"expected_{c}"] for c in k.CATEGORIES},
        "emergency": values["emergency"], "notice_waived": values["notice_waived"], "notes": values["notes"],
    }
    return values, errors, plan


def _check(request: Request, s: Session, who: Principal, plan: dict[str, Any], errors: dict[str, Any],
           exclude: str | None = None) -> Any:
    """The form's dry run: recorded and limited per member like ``POST /api/deconfliction/check``."""
    try:
        parsed = parse_payload(k.KIND["operation.propose"], {"operation": "check", "plan": plan})
        return svc.check_plan(request.app.state.runtime.sessions, s, who, parsed.plan, exclude)  # type: ignore[attr-defined]
    except TooManyRequests:
        errors["form"] = TOO_MANY_CHECKS
        return None
    except ParleyError as exc:
        errors[_field(exc, PROPOSE_FIELDS, PROPOSE_ALIASES)] = refusal(exc)
        return None


def _check_status(errors: dict[str, Any]) -> int:
    if not errors:
        return 200
    form = errors.get("form")
    too_many = form == TOO_MANY_CHECKS or (isinstance(form, Message) and form.id == TOO_MANY_CHECKS)
    return 429 if too_many else 400


@router.post("/operations/new", response_class=HTMLResponse)
async def propose(request: Request, s: Db, who: Who) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    values, errors, plan = _read_plan(form)
    if plan is not None:
        if form.get("intent") == "check":
            conflicts = _check(request, s, who, plan, errors)
            return _new_form(request, s, who, _check_status(errors), values, errors, conflicts)
        # The id the parties' waivers name, if the member gives it; else a fresh one.
        op_id = values["operation_id"].strip() or new_id(who.party, "op")
        audience = sorted({f"party:{p}" for p in [values["mediator"], *(m["party"] for m in plan["co_mediators"]),
                                                   *values["parties"]] if p})
        try:
            await _submit(request, s, who, "operation.propose", audience, {"operation": op_id, "plan": plan})
        except ParleyError as exc:
            errors[_field(exc, PROPOSE_FIELDS, PROPOSE_ALIASES)] = refusal(exc)
        else:
            return RedirectResponse(f"/operations/{op_id}", status_code=303)
    return _new_form(request, s, who, 400, values, errors)


# -- a waiver of the notice, signed before an emergency operation agreed at a meeting is proposed ---------
WAIVER_FIELDS = {"operation", "notice_hours", "agreed"}


@router.post("/operations/waiver", response_class=HTMLResponse)
async def waive_notice(request: Request, s: Db, who: Who) -> Response:
    """Your party's signed waiver of the notice for an operation (``operation.waiver``), read by the parties and
    mediators ticked on the form: the operation proposed with ``notice_waived`` under that id stands once every
    party concerned has signed one."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    values: dict[str, Any] = {f: str(form.get(f, ""))[:2000].strip() for f in WAIVER_FIELDS}
    values["readers"] = [str(p)[:64] for p in form.getlist("readers")][:16]
    errors: dict[str, Any] = {}
    if not values["operation"]:
        errors["operation"] = N_("Give the id the operation will be proposed under.")
    try:
        hours = float(values["notice_hours"].replace(",", "."))
    except ValueError:
        errors["notice_hours"] = ENTER_NUMBER
    if not values["agreed"]:
        errors["agreed"] = N_("Say where, when and by whom the emergency was agreed.")
    if errors:
        return _new_form(request, s, who, 400, waiver=values, waiver_errors=errors)
    audience = sorted({f"party:{p}" for p in [who.party, *values["readers"]]})
    try:
        await _submit(request, s, who, "operation.waiver", audience,
                      {"operation": values["operation"], "notice_hours": hours, "agreed": values["agreed"]})
    except ParleyError as exc:
        s.rollback()
        return _new_form(request, s, who, 400, waiver=values,
                         waiver_errors={_field(exc, WAIVER_FIELDS, {"audience": "operation"}): refusal(exc)})
    return RedirectResponse(f"/operations/new?waived={values['operation']}#waiver", status_code=303)


# -- a counter-proposal: the current plan, revised, as a new version -------------------------------
def _local_input(iso_value: str, tz: str) -> str:
    t = datetime.fromisoformat(iso_value.replace("Z", "+00:00"))
    return t.astimezone(_tz(tz)).strftime("%Y-%m-%dT%H:%M")


def _values_of(plan: dict[str, Any]) -> dict[str, Any]:
    """A stored plan as the values of the propose form, times in the plan's own time zone."""
    tz = plan.get("time_zone") or "UTC"
    convoy = plan.get("convoy") or {}
    pos = lambda p: f"{p[0]:.5f}, {p[1]:.5f}" if p else ""  # noqa: E731
    values: dict[str, Any] = {
        "kind": plan["kind"], "title": plan["title"], "mediator": plan["mediator"] or "", "parties": plan["parties"],
        "co_mediators": plan.get("co_mediators") or [], "notice_waived": bool(plan.get("notice_waived")),
        "route": json.dumps(plan["route"]) if plan.get("route") else "",
        "origin_name": plan["origin"]["name"], "origin_position": pos(plan["origin"].get("position")),
        "destination_name": plan["destinations"][0]["name"],
        "destination_position": pos(plan["destinations"][0].get("position")),
        "window_start": _local_input(plan["window"]["start"], tz),
        "window_end": _local_input(plan["window"]["end"], tz),
        "time_zone": tz, "buffer_m": str(plan.get("buffer_m", 1000)), "vehicles": str(convoy.get("vehicles", 0)),
        "convoy_description": convoy.get("description", ""), "markings": convoy.get("markings", ""),
        "emergency": bool(plan.get("emergency")), "notes": plan.get("notes", ""),
    }
    for c in k.CATEGORIES:
        values[f"expected_{c}"] = str((plan.get("expected") or {}).get(c, 0))
    return values


def _counter_target(request: Request, s: Session, who: Principal, op_id: str) -> Operation | HTMLResponse:
    try:
        op = svc.operation(s, who, op_id)
    except ParleyError:
        return not_found(request, who, N_("There is no such operation, or you may not read it."))
    _, board = svc.board(s, op)
    if not rules.may_answer(who, op, _answered(board, who)):
        return render(request, "error.html", 403, who=who, title=N_("Not allowed"),
                      message=N_("Only a party concerned may counter-propose, while the operation is proposed."))
    return op


@router.get("/operations/{op_id}/counter", response_class=HTMLResponse)
def counter_form(request: Request, s: Db, who: Who, op_id: str) -> HTMLResponse:
    op = _counter_target(request, s, who, op_id)
    if not isinstance(op, Operation):
        return op
    v, _ = svc.board(s, op)
    return _new_form(request, s, who, values=_values_of(svc.plan_of(v)), counter=op)


@router.post("/operations/{op_id}/counter", response_class=HTMLResponse)
async def counter(request: Request, s: Db, who: Who, op_id: str) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    op = _counter_target(request, s, who, op_id)
    if not isinstance(op, Operation):
        return op
    v, _ = svc.board(s, op)
    current = svc.plan_of(v)
    # A counter-proposal keeps the operation's mediator and parties; the form shows them, fixed.
    values, errors, plan = _read_plan(form, route_optional=current.get("area") is not None,
                                      fixed={"mediator": op.mediator or "", "parties": op.party_list,
                                             "co_mediators": current.get("co_mediators") or []})
    reason = str(form.get("reason", ""))[:4000]
    values["reason"] = reason
    if _version(form):
        values["version"] = _version(form)  # the version the member revised, kept across a refusal
    if plan is not None:
        # What the form does not edit (the area, the named waypoints, the other mediators and destinations, a
        # waived notice) stays as it was.
        plan["area"], plan["waypoints"] = current.get("area"), current.get("waypoints") or []
        plan["co_mediators"] = current.get("co_mediators") or []
        plan["notice_waived"] = bool(current.get("notice_waived"))
        plan["destinations"] = [plan.pop("destination"), *current["destinations"][1:]]
        if form.get("intent") == "check":
            conflicts = _check(request, s, who, plan, errors, exclude=op.id)
            return _new_form(request, s, who, _check_status(errors), values, errors, conflicts, counter=op)
        try:
            await _submit(request, s, who, "operation.answer", k.audience_for(op),
                          {"operation": op.id, "version": _version(form), "answer": "counter", "reason": reason,
                           "plan": plan})
        except ParleyError as exc:
            s.rollback()
            errors[_field(exc, PROPOSE_FIELDS | {"reason"}, PROPOSE_ALIASES)] = refusal(exc)
        else:
            return RedirectResponse(f"/operations/{op.id}#board", status_code=303)
    return _new_form(request, s, who, 400, values, errors, counter=op)
