"""Pages of humanitarian operations: the map and list, proposing an operation with its route drawn on the
map, one operation's acknowledgement board, status, movements, outcomes and liaison channel, incidents
and zones. Reads go through ``operations.service`` (audience-filtered); every write is a record signed
with the member's web key (``submit_as``), refusals are shown beside the field."""

from __future__ import annotations

import json
import re
import zoneinfo
from datetime import UTC, datetime
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
from parley.submit import submit_as, submit_as_async
from parley.web import i18n
from parley.web.i18n import N_, NP_, Message, Plural, Verbatim
from parley.web.labels import BOARD_LABELS, MAP_CONTROLS, OPERATION_LABELS
from parley.web.refusals import refusal
from parley.web.routes import Db, Who, check_csrf, lang_of, not_found, render

router = APIRouter(include_in_schema=False)

TIME_ZONES = ("Europe/Kyiv", "Europe/Moscow", "Europe/Minsk", "Europe/Warsaw", "Europe/Istanbul",
              "Europe/Zurich", "UTC")  # Geneva keeps Zurich's time
DEFAULT_REGION = [22.0, 44.0, 41.0, 53.0]
STATUSES = ("proposed", "acknowledged", "under_way", "suspended", "completed", "aborted")

# Codes of the domain → English labels (translated in the templates with _()).
LABELS = OPERATION_LABELS
# Messages this module puts in ``errors`` (translated in the templates).
DRAW_ROUTE = N_("Draw the route on the map: click at least two points.")
ENTER_TIME = N_("Enter a date and time.")
ENTER_POSITION = N_("Enter longitude, latitude (for example 37.61, 47.10).")
ENTER_NUMBER = N_("Enter a whole number.")
TOO_MANY_CHECKS = N_("Too many conflict checks this hour. Wait, or propose the plan: a proposal is always checked.")
MESSAGES = (
    DRAW_ROUTE, ENTER_TIME, ENTER_POSITION, N_("Choose at least one party concerned."),
    N_("Enter at least one count."), ENTER_NUMBER, N_("Pick the position on the map or enter it."),
    N_("Draw the zone on the map: click at least three points."), N_("Choose a time zone."), TOO_MANY_CHECKS,
)


def label(code: str | None) -> str:
    return LABELS.get(code or "", code or "")


def board_label(code: str | None) -> str:
    return BOARD_LABELS.get(code or "", code or "")


def _tz(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def local(t: datetime | None, tz: str = "UTC", lang: str = "en") -> str:
    return i18n.local_time(lang, t, tz)


def utc(t: datetime | None, lang: str = "en") -> str:
    return i18n.utc_time(lang, t)


def iso(t: datetime | None) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if t else ""


def duration(seconds: int | None, lang: str = "en") -> str:
    return i18n.duration(lang, seconds)


# The notes the timeline's own events carry (``operations.service.event_note``) → what a page shows.
EVENT_NOTES: dict[str, str | tuple[str, str]] = {
    "version": N_("version {version}"),
    "acknowledged_version": N_("version {version} acknowledged by every party concerned"),
    "persons_moved": NP_("{n} person", "{n} persons"),
}


def event_note(e: Any) -> Any:
    """The note of a timeline event as a page shows it: a message for the events the log writes itself, the
    note as its author wrote it otherwise."""
    code, params = svc.event_note(e)
    if code == "text":
        return Verbatim(params["text"])
    if code == "incident":
        return Message(N_("{type}: {id}"), type=Message(label(params["type"])), id=params["id"])
    target = EVENT_NOTES[code]
    if isinstance(target, tuple):
        return Plural(target[0], target[1], params["n"])
    return Message(target, **params)


def page(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    lang = lang_of(request)
    return render(request, name, status, label=label, board_label=board_label,
                  local=lambda t, tz="UTC": local(t, tz, lang), utc=lambda t: utc(t, lang), iso=iso,
                  duration=lambda seconds: duration(seconds, lang), event_note=event_note,
                  zone_name=lambda tz: i18n.zone_name(lang, tz), **ctx)


def _parties(s: Session, lang: str) -> dict[str, str]:
    return svc.party_names(s, lang)


def _parse_local(value: str, tz: str) -> str | None:
    """A datetime-local value in ``tz`` → ISO 8601 UTC, or None if it does not parse."""
    try:
        t = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=_tz(tz))
    return iso(t)


def _position(value: str) -> list[float] | None:
    parts = [p for p in re.split(r"[,\s;]+", value.strip()) if p]
    if len(parts) != 2:
        return None
    try:
        lon, lat = float(parts[0]), float(parts[1])
    except ValueError:
        return None
    return [lon, lat]


def _geojson(value: str, kind: str) -> dict[str, Any] | None:
    try:
        g = json.loads(value)
    except (ValueError, TypeError):
        return None
    return g if isinstance(g, dict) and g.get("type") == kind else None


def _field(err: ParleyError, known: set[str], aliases: dict[str, str] | None = None) -> str:
    f = err.field or ""
    for prefix in ("plan.", "payload."):
        if f.startswith(prefix):
            f = f[len(prefix):]
    f = re.sub(r"\.\d+$", "", f).replace(".", "_")
    f = (aliases or {}).get(f, f)
    return f if f in known else "form"


async def _submit(request: Request, s: Session, who: Principal, kind: str, audience: list[str], payload: Any) -> Any:
    return await submit_as_async(request.app.state.runtime, s, who, kind, audience, payload)


def _region(s: Session) -> list[float]:
    return k.rules(s)["region"] or DEFAULT_REGION


def _op_feature(s: Session, op: Operation, lang_parties: dict[str, str], link: bool = True) -> dict[str, Any]:
    v = svc.current(s, op)
    plan = svc.plan_of(v)
    return {"id": op.id, "title": op.title, "status": op.status, "url": f"/operations/{op.id}" if link else None,
            "footprint": json.loads(v.footprint), "route": plan.get("route"), "area": plan.get("area"),
            "origin": plan.get("origin"), "destination": plan.get("destination")}


def _zone_feature(z: Any) -> dict[str, Any]:
    return {"id": z.id, "name": z.name, "kind": z.kind, "geometry": json.loads(z.geometry)}


def _incident_feature(i: Any, lang: str = "en") -> dict[str, Any]:
    return {"id": i.id, "position": [i.lon, i.lat], "type": i.type, "party": i.party, "place": i.place,
            "at": utc(i.at, lang), "url": f"/operations/{i.operation}" if i.operation else "/incidents"}


def _map_labels(request: Request) -> dict[str, str]:
    lang = lang_of(request)
    return {code: i18n.gettext(lang, text) for code, text in {**LABELS, **MAP_CONTROLS}.items()}


# -- the list and map ------------------------------------------------------------------------------
@router.get("/operations", response_class=HTMLResponse)
def operations_page(request: Request, s: Db, who: Who, status: str = "", kind: str = "") -> HTMLResponse:
    lang = lang_of(request)
    names = _parties(s, lang)
    rows = []
    features = []
    for op in svc.operations(s, who):
        v, board = svc.board(s, op)
        acked = sum(1 for r in board if r.state in ("acknowledged", "proposer"))
        if (status and op.status != status) or (kind and op.kind != kind):
            continue
        features.append(_op_feature(s, op, names))
        rows.append({"op": op, "v": v, "acked": acked, "total": len(board),
                     "no_answer": sum(1 for r in board if r.state == "no_answer"),
                     "declined": sum(1 for r in board if r.state in ("declined", "counter"))})
    zones = svc.zones(s, who)
    incidents = [i for g in svc.incidents(s, who) for i in g]
    escalations = svc.escalations(s, who) if who.is_mediator else None
    data = {"mode": "view", "lang": lang, "labels": _map_labels(request), "region": _region(s),
            "operations": features, "zones": [_zone_feature(z) for z in zones],
            "incidents": [_incident_feature(i, lang) for i in incidents]}
    return page(request, "operations.html", who=who, rows=rows, names=names, escalations=escalations,
                filters={"status": status, "kind": kind}, statuses=STATUSES,
                kinds=k.OPERATION_KINDS, map_data=data, can_propose=rules.may_propose(who))


# -- proposing -------------------------------------------------------------------------------------
PROPOSE_FIELDS = {"kind", "title", "mediator", "parties", "origin_name", "origin_position", "destination_name",
                  "destination_position", "route", "window_start", "window_end", "time_zone", "buffer_m", "vehicles",
                  "convoy_description", "markings", "emergency", "notes", *(f"expected_{c}" for c in k.CATEGORIES)}
PROPOSE_ALIASES = {"convoy_vehicles": "vehicles", "convoy_markings": "markings", "audience": "parties",
                   "window": "window_start"}


def _new_form(request: Request, s: Session, who: Principal, status: int = 200, values: dict[str, Any] | None = None,
              errors: dict[str, Any] | None = None, conflicts: Any = None,
              counter: Operation | None = None) -> HTMLResponse:
    lang = lang_of(request)
    parties = list(s.execute(select(Party).order_by(Party.slug)).scalars())
    mediators = [p for p in parties if p.kind == "mediator"]
    belligerents = [p for p in parties if p.kind == "belligerent"]
    defaults = {"kind": "evacuation", "mediator": who.party if who.party_kind == "mediator" else
                (mediators[0].slug if mediators else ""), "parties": [p.slug for p in belligerents],
                "time_zone": "Europe/Kyiv", "buffer_m": "1000", "vehicles": "0"}
    values = {**defaults, **(values or {})}
    data = {"mode": "route", "lang": lang, "labels": _map_labels(request), "region": _region(s),
            "zones": [_zone_feature(z) for z in svc.zones(s, who)]}
    zones = TIME_ZONES if values["time_zone"] in TIME_ZONES else (values["time_zone"], *TIME_ZONES)
    return page(request, "operation_new.html", status, who=who, values=values, errors=errors or {},
                mediators=mediators, belligerents=belligerents, time_zones=zones, kinds=k.OPERATION_KINDS,
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
        "kind": values["kind"], "title": values["title"], "mediator": values["mediator"],
        "parties": values["parties"], "route": route,
        "origin": {"name": values["origin_name"], "position": positions["origin_position"]},
        "destination": {"name": values["destination_name"], "position": positions["destination_position"]},
        "window": {"start": window["window_start"], "end": window["window_end"]}, "time_zone": tz,
        "buffer_m": numbers["buffer_m"],
        "convoy": {"vehicles": numbers["vehicles"], "description": values["convoy_description"],
                   "markings": values["markings"]},
        "expected": {c: numbers[f"expected_{c}"] for c in k.CATEGORIES},
        "emergency": values["emergency"], "notes": values["notes"],
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
        op_id = new_id(who.party, "op")
        audience = sorted({f"party:{p}" for p in [values["mediator"], *values["parties"]] if p})
        try:
            await _submit(request, s, who, "operation.propose", audience, {"operation": op_id, "plan": plan})
        except ParleyError as exc:
            errors[_field(exc, PROPOSE_FIELDS, PROPOSE_ALIASES)] = refusal(exc)
        else:
            return RedirectResponse(f"/operations/{op_id}", status_code=303)
    return _new_form(request, s, who, 400, values, errors)


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
        "kind": plan["kind"], "title": plan["title"], "mediator": plan["mediator"], "parties": plan["parties"],
        "route": json.dumps(plan["route"]) if plan.get("route") else "",
        "origin_name": plan["origin"]["name"], "origin_position": pos(plan["origin"].get("position")),
        "destination_name": plan["destination"]["name"],
        "destination_position": pos(plan["destination"].get("position")),
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
                                      fixed={"mediator": op.mediator, "parties": op.party_list})
    reason = str(form.get("reason", ""))[:4000]
    values["reason"] = reason
    if _version(form):
        values["version"] = _version(form)  # the version the member revised, kept across a refusal
    if plan is not None:
        # What the form does not edit (the area, the named waypoints) stays as it was.
        plan["area"], plan["waypoints"] = current.get("area"), current.get("waypoints") or []
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


# -- one operation ---------------------------------------------------------------------------------
def _answered(board: list[svc.BoardRow], who: Principal) -> bool:
    """Has ``who``'s party answered (or proposed) the current version, as the board shows it?"""
    return any(r.party == who.party and r.state not in ("awaiting", "no_answer") for r in board)


def _mark_read(request: Request, s: Session, who: Principal, op: Operation) -> None:
    """Opening the page is reading the channel: one signed read receipt per unread message to the party."""
    if not rules.may_use_channel(who, op):
        return  # an auditor, registrar or press officer reading the page has not read it for the party
    rt = request.app.state.runtime
    wrote = False
    for idx in svc.unreceipted(s, who, op, "read"):
        try:
            submit_as(rt, s, who, "channel.receipt", k.audience_for(op), {"message": idx, "state": "read"})
            wrote = True
        except ParleyError:
            break  # no web key, or not allowed: the page still shows
    if wrote:
        s.expire_all()


def _operation_page(request: Request, s: Session, who: Principal, op_id: str, status: int = 200,
                    errors: dict[str, Any] | None = None, values: dict[str, Any] | None = None) -> HTMLResponse:
    try:
        op = svc.operation(s, who, op_id)
    except ParleyError:
        return not_found(request, who, N_("There is no such operation, or you may not read it."))
    if request.method == "GET":
        _mark_read(request, s, who, op)
    lang = lang_of(request)
    names = _parties(s, lang)
    v, board = svc.board(s, op)
    plan = svc.plan_of(v)
    tz = v.time_zone
    events = svc.timeline(s, who, op)
    incidents = svc.incidents(s, who, operation_id=op.id)
    outcomes = svc.outcomes(s, who, op)
    messages = svc.channel(s, who, op)
    versions = svc.versions(s, op)
    conflicts = svc.conflicts_of(s, who, op)
    # The proposer's party learns one bit per version it proposed; the owners and the mediators read the alerts.
    unseen = {x.version: svc.meets_unseen(s, who, op, x.version) for x in versions}
    alerts = svc.alerts(s, who, operation_id=op.id)
    feature = _op_feature(s, op, names, link=False)
    data = {"mode": "view", "lang": lang, "labels": _map_labels(request), "region": _region(s),
            "operations": [feature],
            "events": [{"position": [e.lon, e.lat], "event": e.event, "at": local(e.at, tz, lang), "place": e.place}
                       for e in events if e.lon is not None and e.event != "incident"],
            "incidents": [_incident_feature(i, lang) for g in incidents for i in g]}
    destinations = sorted({d for _, d, _, _ in outcomes.rows} | {plan["destination"]["name"]})
    actions = rules.status_actions(who, op)
    shown = {"answer": rules.may_answer(who, op, _answered(board, who)), "status": bool(actions),
             "movement": rules.may_report_movement(who, op), "outcome": rules.may_report_outcome(who, op),
             "channel": rules.may_use_channel(who, op)}
    errors = dict(errors or {})
    # A refusal for a form the page no longer shows (the operation moved on meanwhile) is shown at the top.
    for key in [key for key in errors if key.split(".", 1)[0] in shown and not shown[key.split(".", 1)[0]]]:
        errors.setdefault("form", errors.pop(key))
    return page(request, "operation.html", status, who=who, op=op, v=v, plan=plan, tz=tz, board=board, names=names,
                events=events, incidents=incidents, outcomes=outcomes, messages=messages, versions=versions,
                conflicts=conflicts, unseen=unseen, alerts=alerts, can_answer=shown["answer"], actions=actions,
                can_move=shown["movement"], can_report=shown["outcome"], can_post=shown["channel"],
                categories=k.CATEGORIES, movements=k.MOVEMENTS,
                destination=plan["destination"]["name"], destinations=destinations,
                errors=errors, values=values or {}, map_data=data)


@router.get("/operations/{op_id}", response_class=HTMLResponse)
def operation_page(request: Request, s: Db, who: Who, op_id: str) -> HTMLResponse:
    return _operation_page(request, s, who, op_id)


async def _op_write(request: Request, s: Session, who: Principal, op_id: str, kind: str, payload: dict[str, Any],
                    form_name: str, known: set[str], values: dict[str, Any], anchor: str) -> Response:
    try:
        op = svc.operation(s, who, op_id)
    except ParleyError:
        return not_found(request, who, N_("There is no such operation, or you may not read it."))
    try:
        await _submit(request, s, who, kind, k.audience_for(op), payload)
    except ParleyError as exc:
        s.rollback()
        f = _field(exc, known)
        return _operation_page(request, s, who, op_id, 400, errors={f"{form_name}.{f}": refusal(exc)},
                               values={form_name: values})
    return RedirectResponse(f"/operations/{op_id}#{anchor}", status_code=303)


def _version(form: Any) -> int:
    raw = str(form.get("version", "")).strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else 0


@router.post("/operations/{op_id}/answer", response_class=HTMLResponse)
async def answer(request: Request, s: Db, who: Who, op_id: str) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    reason = str(form.get("reason", ""))[:4000]
    # The answer is to the version the member was shown: if a newer one has come since, the record is refused
    # ("not the current version") rather than acknowledging a plan the member never saw.
    payload = {"operation": op_id, "version": _version(form), "answer": str(form.get("answer", "")),
               "reason": reason}
    return await _op_write(request, s, who, op_id, "operation.answer", payload, "answer", {"answer", "reason"},
                           {"reason": reason}, "board")


@router.post("/operations/{op_id}/status", response_class=HTMLResponse)
async def set_status(request: Request, s: Db, who: Who, op_id: str) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    reason = str(form.get("reason", ""))[:4000]
    payload = {"operation": op_id, "action": str(form.get("action", "")), "reason": reason}
    return await _op_write(request, s, who, op_id, "operation.status", payload, "status", {"action", "reason"},
                           {"reason": reason}, "status")


@router.post("/operations/{op_id}/movement", response_class=HTMLResponse)
async def movement(request: Request, s: Db, who: Who, op_id: str) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    values = {f: str(form.get(f, ""))[:4000] for f in ("event", "at", "place", "position", "note")}
    op = s.get(Operation, op_id)
    tz = svc.current(s, op).time_zone if op else "UTC"
    at = _parse_local(values["at"], tz) if values["at"] else iso(svc.now_utc())
    errors = {}
    if at is None:
        errors["movement.at"] = ENTER_TIME
    pos = _position(values["position"]) if values["position"].strip() else None
    if values["position"].strip() and pos is None:
        errors["movement.position"] = ENTER_POSITION
    if errors:
        return _operation_page(request, s, who, op_id, 400, errors=errors, values={"movement": values})
    payload: dict[str, Any] = {"operation": op_id, "event": values["event"], "at": at, "place": values["place"],
                               "note": values["note"]}
    if pos is not None:
        payload["position"] = pos
    return await _op_write(request, s, who, op_id, "operation.movement", payload, "movement",
                           {"event", "at", "place", "position", "note"}, values, "timeline")


@router.post("/operations/{op_id}/outcome", response_class=HTMLResponse)
async def outcome(request: Request, s: Db, who: Who, op_id: str) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    values: dict[str, Any] = {"note": str(form.get("note", ""))[:4000]}
    moved = []
    errors = {}
    for c in k.CATEGORIES:
        dest = str(form.get(f"dest_{c}", ""))[:200].strip()
        count = str(form.get(f"count_{c}", "")).strip()
        values[f"dest_{c}"], values[f"count_{c}"] = dest, count
        if not count:
            continue
        if not count.isdigit():
            errors[f"outcome.count_{c}"] = ENTER_NUMBER
            continue
        moved.append({"category": c, "destination": dest, "count": int(count)})
    if not moved and not errors:
        errors["outcome.form"] = N_("Enter at least one count.")
    if errors:
        return _operation_page(request, s, who, op_id, 400, errors=errors, values={"outcome": values})
    payload = {"operation": op_id, "moved": moved, "note": values["note"]}
    return await _op_write(request, s, who, op_id, "operation.outcome", payload, "outcome", {"note"}, values,
                           "outcomes")


@router.post("/operations/{op_id}/channel", response_class=HTMLResponse)
async def post_message(request: Request, s: Db, who: Who, op_id: str) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    text = str(form.get("text", ""))[:4000]
    payload = {"operation": op_id, "text": text, "urgent": bool(form.get("urgent"))}
    return await _op_write(request, s, who, op_id, "channel.post", payload, "channel", {"text"},
                           {"text": text, "urgent": bool(form.get("urgent"))}, "channel")


# -- incidents -------------------------------------------------------------------------------------
INCIDENT_FIELDS = {"type", "observed", "at", "position", "place", "direction_deg", "distance_m", "killed", "wounded",
                   "description", "operation", "account_of"}


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
                firsts=firsts, types=k.INCIDENT_TYPES, observed=k.OBSERVED, values=values or {"observed": "seen"},
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
    for f in ("direction_deg", "distance_m", "killed", "wounded"):
        raw = values[f].strip()
        if not raw:
            numbers[f] = None
        elif raw.isdigit():
            numbers[f] = int(raw)
        else:
            errors[f] = ENTER_NUMBER
    if errors:
        return _incidents_page(request, s, who, 400, values, errors)
    payload: dict[str, Any] = {"id": new_id(who.party, "inc"), "at": at, "position": pos, "place": values["place"],
                               "type": values["type"], "observed": values["observed"],
                               "casualties": {"killed": numbers["killed"], "wounded": numbers["wounded"]},
                               "description": values["description"]}
    for f in ("direction_deg", "distance_m"):
        if numbers[f] is not None:
            payload[f] = numbers[f]
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
