"""One operation's page: its acknowledgement board, status, timeline, movements, outcomes and liaison channel
(opening the page signs the reading of the channel), and the forms that write to it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from parley.errors import ParleyError
from parley.operations import kinds as k
from parley.operations import plan_rules, rules
from parley.operations import service as svc
from parley.operations.models import Operation
from parley.parties.principal import Principal
from parley.submit import submit_as
from parley.web import i18n
from parley.web.i18n import N_, Message
from parley.web.labels import CONFIRMATION_LABELS, FIGURE_FORMS, SOURCE_KIND_LABELS
from parley.web.operations.common import (
    ENTER_NUMBER, ENTER_POSITION, ENTER_TIME, _answered, _field, _incident_feature, _map_labels, _op_feature,
    _parse_local, _parties, _position, _region, _submit, _version, iso, local, page,
)
from parley.web.refusals import refusal
from parley.web.routes import Db, Who, check_csrf, lang_of, not_found

router = APIRouter(include_in_schema=False)


# -- one operation ---------------------------------------------------------------------------------
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
                    errors: dict[str, Any] | None = None, values: dict[str, Any] | None = None,
                    confirm: dict[str, Any] | None = None) -> HTMLResponse:
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
    destinations = sorted({d for _, d, _, _ in outcomes.rows if d} | {d["name"] for d in plan["destinations"]})
    actions = rules.status_actions(who, op, svc.now_utc(), v.window_end)
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
                categories=k.CATEGORIES, movements=k.MOVEMENTS, figure_forms=FIGURE_FORMS,
                source_kinds=SOURCE_KIND_LABELS, confirmations=CONFIRMATION_LABELS,
                waivers=svc.waivers(s, who, op), exchanges=_exchanges(s, who, op.id),
                destination=plan["destinations"][0]["name"], destinations=destinations,
                errors=errors, values=values or {}, map_data=data, confirm=confirm)


def _exchanges(s: Session, who: Principal, op_id: str) -> list[Any]:
    """The exchanges whose handover this operation carries, that the member may read (the exchange names the
    operation; the page shows the link the other way)."""
    from parley.exchanges import service as exchanges

    return [x for x in exchanges.exchanges(s, who) if x.operation == op_id]


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


# What follows an action that cannot be undone or goes beyond what was agreed: the page asks before signing it.
EARLY = N_("The agreed window opens at {start}, in {left}. Starting now, before it, is recorded with your reason, "
           "and every party concerned sees both on the timeline.")
NO_ARRIVAL = N_("No arrival has been recorded for this operation. Completing it ends its movements: none can be "
                "reported afterwards, and every party concerned sees it as completed. Figures can still be reported.")
ABORTING = N_("Aborting ends the operation for every party concerned, and it cannot be resumed. Your reason is "
              "recorded and every party sees it.")


def _guard(request: Request, s: Session, who: Principal, op_id: str, action: str) -> Message | None:
    """What the page must say, and have confirmed, before ``action`` is signed; None if it may be signed at once."""
    try:
        op = svc.operation(s, who, op_id)
    except ParleyError:
        return None  # the write says why
    v = svc.current(s, op)
    now = svc.now_utc()
    lang = lang_of(request)
    if action == "start" and plan_rules.before_window(now, v.window_start):
        return Message(EARLY, start=local(v.window_start, v.time_zone, lang),
                       left=i18n.duration(lang, int((v.window_start - now).total_seconds())))
    if action == "complete" and not any(e.event == "arrived" for e in svc.timeline(s, who, op)):
        return Message(NO_ARRIVAL)
    if action == "abort":
        return Message(ABORTING)
    return None


@router.post("/operations/{op_id}/status", response_class=HTMLResponse)
async def set_status(request: Request, s: Db, who: Who, op_id: str) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    reason = str(form.get("reason", ""))[:4000]
    action = str(form.get("action", ""))
    # Asked first, signed once confirmed: the confirmation names the action it confirms.
    if form.get("confirmed") != action:
        said = _guard(request, s, who, op_id, action)
        if said is not None:
            return _operation_page(request, s, who, op_id, values={"status": {"reason": reason}},
                                   confirm={"action": action, "message": said})
    payload = {"operation": op_id, "action": action, "reason": reason}
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
    source = source_from_form(form, values)
    if source is not None:
        payload["source"] = source
    return await _op_write(request, s, who, op_id, "operation.movement", payload, "movement",
                           {"event", "at", "place", "position", "note", "source"}, values, "timeline")


SOURCE_FIELDS = ("speaker", "body", "outlet", "stated_on", "reference", "url", "quote")


def source_from_form(form: Any, values: dict[str, Any], prefix: str = "source") -> dict[str, Any] | None:
    """The source fields of a form (``source_kind``, ``source_speaker`` …) as a ``Source`` payload, or None when
    the member named no source (the statement is then its party's own)."""
    got = {f: str(form.get(f"{prefix}_{f}", ""))[:2000 if f == "quote" else 500].strip() for f in SOURCE_FIELDS}
    kind = str(form.get(f"{prefix}_kind", "")).strip()
    confirmation = str(form.get(f"{prefix}_confirmation", "")).strip()
    values.update({f"{prefix}_{f}": v for f, v in got.items()}, **{f"{prefix}_kind": kind,
                                                                      f"{prefix}_confirmation": confirmation})
    if not kind and not any(got.values()):
        return None
    out: dict[str, Any] = {"kind": kind or "party_statement", **{f: v for f, v in got.items() if v}}
    if confirmation:
        out["confirmation"] = confirmation
    return out


def _figure_field(form: Any, name: str, values: dict[str, Any], errors: dict[str, Any],
                  error_key: str) -> int | dict[str, Any] | None:
    """A figure from a form's ``form_<name>`` (exactly, more than, about …) and ``count_<name>``: the number for
    an exact one, the figure for any other, None when left empty."""
    shape = str(form.get(f"form_{name}", "exact")).strip() or "exact"
    count = str(form.get(f"count_{name}", "")).strip()
    values[f"form_{name}"], values[f"count_{name}"] = shape, count
    if shape not in FIGURE_FORMS:
        errors[error_key] = ENTER_NUMBER
        return None
    if shape == "hundreds":
        return {"form": "hundreds"}
    if not count:
        return None
    if not count.isdigit() or len(count) > 9:
        errors[error_key] = ENTER_NUMBER
        return None
    n = int(count)
    return n if shape == "exact" else {"form": shape, "value": n}


@router.post("/operations/{op_id}/outcome", response_class=HTMLResponse)
async def outcome(request: Request, s: Db, who: Who, op_id: str) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    values: dict[str, Any] = {"note": str(form.get("note", ""))[:4000]}
    moved = []
    errors: dict[str, Any] = {}
    for c in k.CATEGORIES:
        dest = str(form.get(f"dest_{c}", ""))[:200].strip()
        values[f"dest_{c}"] = dest
        got = _figure_field(form, c, values, errors, f"outcome.count_{c}")
        if got is not None:
            moved.append({"category": c, "destination": dest, "count": got})
    total = _figure_field(form, "total", values, errors, "outcome.total")
    source = source_from_form(form, values)
    if not moved and total is None and not errors:
        errors["outcome.form"] = N_("Enter at least one count.")
    if errors:
        return _operation_page(request, s, who, op_id, 400, errors=errors, values={"outcome": values})
    payload: dict[str, Any] = {"operation": op_id, "moved": moved, "note": values["note"]}
    if total is not None:
        payload["total"] = total if isinstance(total, dict) else {"value": total}
    if source is not None:
        payload["source"] = source
    return await _op_write(request, s, who, op_id, "operation.outcome", payload, "outcome",
                           {"note", "total", "source", "moved"}, values, "outcomes")


@router.post("/operations/{op_id}/channel", response_class=HTMLResponse)
async def post_message(request: Request, s: Db, who: Who, op_id: str) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    text = str(form.get("text", ""))[:4000]
    payload = {"operation": op_id, "text": text, "urgent": bool(form.get("urgent"))}
    return await _op_write(request, s, who, op_id, "channel.post", payload, "channel", {"text"},
                           {"text": text, "urgent": bool(form.get("urgent"))}, "channel")
