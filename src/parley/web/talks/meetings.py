"""A round or meeting's page: its venue on the map, its scheduled and actual start in its own time zone and how
late it began, its duration and format, the delegations with their heads, the participants, the changes of venue
or date with their reasons, and the statements made at it; and the form of a member taking part that records a
change of its venue (picked on the map), date or status, with the reason and source."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from parley.errors import ParleyError
from parley.parties.principal import Principal
from parley.records.figures import parse as parse_figure
from parley.talks import kinds as k
from parley.talks import rules
from parley.talks import service as svc
from parley.web.labels import CONFIRMATION_LABELS, SOURCE_KIND_LABELS
from parley.web.operations.common import ENTER_POSITION, ENTER_TIME
from parley.web.operations.operation import source_from_form
from parley.web.refusals import refusal
from parley.web.routes import Db, Who, check_csrf, lang_of, not_found
from parley.web.talks.common import (
    ENTER_MINUTES, NAME_VENUE, NO_MEETING, change_value, changes_of, field_of, hoisted, local_input, map_data, page,
    party_names, position_of, submit, venue_place,
)

router = APIRouter(include_in_schema=False)

CHANGE_FIELDS = {"status", "venue_name", "venue_position", "scheduled_start", "scheduled_note", "actual_start",
                 "duration_minutes", "duration_note", "reason", "source"}
CHANGE_ALIASES = {"venue": "venue_name", "duration_figure": "duration_minutes"}


def _meeting_page(request: Request, s: Session, who: Principal, meeting_id: str, status: int = 200,
                  errors: dict[str, Any] | None = None, values: dict[str, Any] | None = None) -> HTMLResponse:
    try:
        m = svc.meeting(s, who, meeting_id)
        p = svc.process(s, who, m.process)
    except ParleyError:
        return not_found(request, who, NO_MEETING)
    lang = lang_of(request)
    actors = {a.id: a for a in svc.actors(s, who)}
    names = party_names(s, lang)
    place = venue_place(m, lang)
    late = None
    if m.actual_start is not None and m.scheduled_start is not None and m.actual_start > m.scheduled_start:
        late = int((m.actual_start - m.scheduled_start).total_seconds()) // 60
    changes = []
    for c in svc.meeting_changes(s, who, m):
        changed = changes_of(c)
        if "duration_figure" in changed:
            changed.pop("duration_minutes", None)  # the figure as stated says it; its least is the other column
        changes.append({"row": c, "fields": [(f, change_value(f, before, m.time_zone, lang, names, actors),
                                              change_value(f, after, m.time_zone, lang, names, actors))
                                             for f, (before, after) in changed.items()]})
    # A change is recorded by a member taking part, while the process goes on and the meeting is not cancelled.
    can_change = rules.may_write(who, p) and p.status != "ended" and m.status != "cancelled"
    values = values or {}
    return page(request, s, "talks_meeting.html", status, who=who, m=m, p=p, actors=actors, venue=m.venue_place(),
                delegations=m.delegation_list(), participants=[a for a in m.participants.split(",") if a],
                late=late, changes=changes, statements=svc.statements(s, who, p, meeting=m.id),
                map_data=map_data(request, s, "view", [place]) if place else None,
                can_change=can_change, meeting_statuses=k.MEETING_STATUSES, source_kinds=SOURCE_KIND_LABELS,
                confirmations=CONFIRMATION_LABELS, errors=hoisted(errors or {}, {"change": can_change}),
                values={**values, "change": values.get("change", {})},
                pick_map=map_data(request, s, "point", [place] if place else []) if can_change else None)


@router.get("/talks/meetings/{meeting_id}", response_class=HTMLResponse)
def meeting_page(request: Request, s: Db, who: Who, meeting_id: str) -> HTMLResponse:
    return _meeting_page(request, s, who, meeting_id)


@router.post("/talks/meetings/{meeting_id}/changes", response_class=HTMLResponse)
async def change_meeting(request: Request, s: Db, who: Who, meeting_id: str) -> Response:
    """A change of the meeting's venue, date or status (postponed, cancelled, held), with its start and duration
    once held, the reason and the source; the times in the meeting's own time zone. Only what is filled in
    changes."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    values: dict[str, Any] = {f: str(form.get(f, ""))[:4000].strip() for f in CHANGE_FIELDS - {"source"}}
    source = source_from_form(form, values)
    try:
        m = svc.meeting(s, who, meeting_id)
        p = svc.process(s, who, m.process)
    except ParleyError:
        return not_found(request, who, NO_MEETING)
    errors: dict[str, Any] = {}
    payload: dict[str, Any] = {"meeting": m.id, "reason": values["reason"]}
    if values["status"]:
        payload["status"] = values["status"]
    for f in ("scheduled_start", "actual_start"):
        if values[f]:
            t = local_input(values[f], m.time_zone)
            if t is None:
                errors[f"change.{f}"] = ENTER_TIME
            payload[f] = t
    for f in ("scheduled_note", "duration_note"):
        if values[f]:
            payload[f] = values[f]
    if values["duration_minutes"]:
        # Minutes as the source states them: 170, or <180 ("less than three hours"), ~120, 150-170.
        try:
            fig = parse_figure(values["duration_minutes"])
        except ValueError:
            errors["change.duration_minutes"] = ENTER_MINUTES
        else:
            payload["duration_minutes"] = fig.value if fig.form == "exact" else fig.model_dump(exclude_none=True)
    if values["venue_name"]:
        payload["venue"] = {"name": values["venue_name"]}
        if values["venue_position"]:
            pos = position_of(values["venue_position"])
            if pos is None:
                errors["change.venue_position"] = ENTER_POSITION
            payload["venue"]["position"] = pos
    elif values["venue_position"]:
        errors["change.venue_name"] = NAME_VENUE
    if source is not None:
        payload["source"] = source
    if errors:
        return _meeting_page(request, s, who, meeting_id, 400, errors=errors, values={"change": values})
    try:
        await submit(request, s, who, "talks.meeting_update", p, payload)
    except ParleyError as exc:
        s.rollback()
        return _meeting_page(request, s, who, meeting_id, 400, values={"change": values},
                             errors={f"change.{field_of(exc, CHANGE_FIELDS, CHANGE_ALIASES)}": refusal(exc)})
    return RedirectResponse(f"/talks/meetings/{meeting_id}#changes", status_code=303)
