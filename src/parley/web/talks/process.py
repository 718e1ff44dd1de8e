"""One process's page: its format, parties, mediators and intermediaries, its status over time and who stated
it, each side's preconditions, the timeline of rounds, meetings, statements and status (a claim reported from
anonymous or media sources marked as such), its meetings on the map, its joint texts and tracks; and the forms
of a member taking part: a statement, a change of status, a round or meeting, a track, a new joint text."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from parley.errors import ParleyError
from parley.parties.principal import Principal
from parley.records.figures import parse as parse_figure
from parley.records.ids import new_id
from parley.talks import kinds as k
from parley.talks import rules
from parley.talks import service as svc
from parley.talks.models import TalksPoint, TalksProcess
from parley.web.labels import CONFIRMATION_LABELS, SOURCE_KIND_LABELS
from parley.web.operations.common import ENTER_NUMBER, ENTER_POSITION, ENTER_TIME, TIME_ZONES
from parley.web.operations.operation import source_from_form
from parley.web.refusals import refusal
from parley.web.routes import Db, Who, check_csrf, lang_of, not_found
from parley.web.talks.common import (
    ENTER_MINUTES, EVENT_LABELS, NAME_VENUE, NO_PROCESS, WRITE_STATEMENT, WRITE_TEXT, field_of, hoisted, local_input,
    map_data, page, position_of, readers_of, source_of, submit, venue_place,
)

router = APIRouter(include_in_schema=False)

STATEMENT_FIELDS = {"type", "text", "language", "on_behalf", "speaker", "said_on", "meeting", "source"}
STATUS_FIELDS = {"status", "since", "reason"}
MEETING_FIELDS = {"kind", "number", "title", "status", "venue_name", "venue_position", "time_zone", "scheduled_start",
                  "scheduled_note", "actual_start", "duration_minutes", "duration_note", "format", "note", "heads"}
TRACK_FIELDS = {"name", "note"}
TEXT_FIELDS = {"title", "body", "language", "points", "note"}
TEXT_POINTS = 500  # the points a new joint text may be said to cover, offered on the form
MEETING_ALIASES = {"venue": "venue_name", "delegations_head": "heads", "delegations": "heads",
                   "delegations_party": "heads", "participants": "heads"}


def _sides(p: TalksProcess, statements: list[Any]) -> list[tuple[str, list[Any]]]:
    """Each side's preconditions: the parties of the process first, then whoever else stated one."""
    by: dict[str, list[Any]] = {}
    for st in statements:
        if st.type == "precondition":
            by.setdefault(st.on_behalf or st.party, []).append(st)
    order = [*p.party_list, *sorted(set(by) - set(p.party_list))]
    return [(side, by.get(side, [])) for side in order]


def _process_page(request: Request, s: Session, who: Principal, process_id: str, status: int = 200,
                  errors: dict[str, Any] | None = None, values: dict[str, Any] | None = None,
                  what: str = "") -> HTMLResponse:
    try:
        p = svc.process(s, who, process_id)
    except ParleyError:
        return not_found(request, who, NO_PROCESS)
    lang = lang_of(request)
    statements = svc.statements(s, who, p)
    meetings = svc.meetings(s, who, p)
    events = svc.timeline(s, who, p)
    listed = [e for e in events if not what or e.what == what]
    actors = {a.id: a for a in svc.actors(s, who)}
    venues = [v for m in meetings if (v := venue_place(m, lang)) is not None]
    can_write = rules.may_write(who, p)
    # An ended process takes statements still, but no meeting and no change of status.
    is_open = can_write and p.status != "ended"
    forms = {"statement": can_write, "meeting": is_open, "status": is_open, "track": is_open, "text": is_open}
    errors = hoisted(errors or {}, forms)
    values = values or {}
    mv = {"kind": "round", "status": "planned", "format": "in_person", "time_zone": "Europe/Minsk",
          **values.get("meeting", {})}
    values = {**values, "meeting": mv, "text": {"language": lang, "points": [], **values.get("text", {})}}
    texts = svc.texts(s, who, p)
    points = [x for x in s.execute(select(TalksPoint).where(TalksPoint.process == p.id).order_by(TalksPoint.idx)
                                   .limit(TEXT_POINTS)).scalars()
              if svc.can_read(who, "talks.point", x)] if forms["text"] else []
    return page(request, s, "talks_process.html", status, who=who, p=p, actors=actors,
                intermediaries=p.intermediary_list(), statuses=svc.statuses(s, who, p), tracks=svc.tracks(s, who, p),
                meetings=meetings, texts=texts, text_titles={x.id: x.title for x in texts}, statements=statements,
                sides=_sides(p, statements),
                events=listed, event_kinds=EVENT_LABELS, what=what, process_source=source_of(p),
                readers=readers_of(p), can_write=can_write, can_status=forms["status"], can_meet=forms["meeting"],
                can_track=forms["track"], can_text=forms["text"], points=points,
                statement_types=k.STATEMENT_TYPES, text_languages=("uk", "ru", "en", "other"),
                process_statuses=[x for x in rules.STATUSES if x != p.status], meeting_kinds=k.MEETING_KINDS,
                meeting_formats=k.MEETING_FORMATS, time_zones=TIME_ZONES, source_kinds=SOURCE_KIND_LABELS,
                confirmations=CONFIRMATION_LABELS, errors=errors, values=values,
                venue_map=map_data(request, s, "view", venues) if venues else None,
                pick_map=map_data(request, s, "point", venues) if forms["meeting"] else None)


@router.get("/talks/{process_id}", response_class=HTMLResponse)
def process_page(request: Request, s: Db, who: Who, process_id: str, what: str = "") -> HTMLResponse:
    return _process_page(request, s, who, process_id, what=what if what in EVENT_LABELS else "")


async def _write(request: Request, s: Session, who: Principal, process_id: str, kind: str, payload: dict[str, Any],
                 form_name: str, known: set[str], values: dict[str, Any], anchor: str,
                 aliases: dict[str, str] | None = None, to: str | None = None) -> Response:
    try:
        p = svc.process(s, who, process_id)
    except ParleyError:
        return not_found(request, who, NO_PROCESS)
    try:
        await submit(request, s, who, kind, p, payload)
    except ParleyError as exc:
        s.rollback()
        return _process_page(request, s, who, process_id, 400, errors={f"{form_name}.{field_of(exc, known, aliases)}":
                                                                refusal(exc)}, values={form_name: values})
    return RedirectResponse(to or f"/talks/{process_id}#{anchor}", status_code=303)


@router.post("/talks/{process_id}/statements", response_class=HTMLResponse)
async def record_statement(request: Request, s: Db, who: Who, process_id: str) -> Response:
    """A statement or claim: what a party or a principal said or was reported to have said, with its source."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    values: dict[str, Any] = {f: str(form.get(f, ""))[:20_000 if f == "text" else 200].strip()
                              for f in STATEMENT_FIELDS - {"source"}}
    source = source_from_form(form, values)
    if not values["text"]:
        return _process_page(request, s, who, process_id, 400, errors={"statement.text": WRITE_STATEMENT},
                             values={"statement": values})
    payload: dict[str, Any] = {"process": process_id, "type": values["type"], "text": values["text"],
                               "language": values["language"] or "en"}
    for f in ("on_behalf", "speaker", "said_on", "meeting"):
        if values[f]:
            payload[f] = values[f]
    if source is not None:
        payload["source"] = source
    return await _write(request, s, who, process_id, "talks.statement", payload, "statement", STATEMENT_FIELDS, values,
                        "timeline")


@router.post("/talks/{process_id}/status", response_class=HTMLResponse)
async def change_status(request: Request, s: Db, who: Who, process_id: str) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    values = {f: str(form.get(f, ""))[:4000].strip() for f in STATUS_FIELDS}
    payload: dict[str, Any] = {"process": process_id, "status": values["status"], "reason": values["reason"]}
    if values["since"]:
        payload["since"] = values["since"]
    return await _write(request, s, who, process_id, "talks.status", payload, "status", STATUS_FIELDS, values,
                        "statuses")


@router.post("/talks/{process_id}/meetings", response_class=HTMLResponse)
async def record_meeting(request: Request, s: Db, who: Who, process_id: str) -> Response:
    """A round or meeting, planned or held: venue (picked on the map), scheduled and actual start in the
    meeting's time zone, duration, format, and each delegation's head."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    values: dict[str, Any] = {f: str(form.get(f, ""))[:4000].strip() for f in MEETING_FIELDS - {"heads"}}
    heads = {str(key)[5:69]: str(v)[:64] for key, v in form.multi_items() if str(key).startswith("head_") and v}
    values["heads"] = heads
    errors: dict[str, Any] = {}
    tz = values["time_zone"] or "UTC"
    payload: dict[str, Any] = {"id": new_id(who.party, "meeting"), "process": process_id,
                               "kind": values["kind"] or "round", "title": values["title"],
                               "status": values["status"] or "planned", "format": values["format"] or "in_person",
                               "time_zone": tz, "scheduled_note": values["scheduled_note"],
                               "duration_note": values["duration_note"], "note": values["note"]}
    for f in ("scheduled_start", "actual_start"):
        if values[f]:
            t = local_input(values[f], tz)
            if t is None:
                errors[f"meeting.{f}"] = ENTER_TIME
            payload[f] = t
    if values["status"] == "held" and not values["actual_start"]:
        errors["meeting.actual_start"] = ENTER_TIME
    if values["number"]:
        if not values["number"].isdigit() or len(values["number"]) > 6:
            errors["meeting.number"] = ENTER_NUMBER
        else:
            payload["number"] = int(values["number"])
    if values["duration_minutes"]:
        # Minutes as the source states them: 170, or <180 ("less than three hours"), ~120, 150-170.
        try:
            fig = parse_figure(values["duration_minutes"])
        except ValueError:
            errors["meeting.duration_minutes"] = ENTER_MINUTES
        else:
            payload["duration_minutes"] = fig.value if fig.form == "exact" else fig.model_dump(exclude_none=True)
    if values["venue_name"]:
        payload["venue"] = {"name": values["venue_name"]}
        if values["venue_position"]:
            pos = position_of(values["venue_position"])
            if pos is None:
                errors["meeting.venue_position"] = ENTER_POSITION
            payload["venue"]["position"] = pos
    elif values["venue_position"]:
        errors["meeting.venue_name"] = NAME_VENUE
    if heads:
        payload["delegations"] = [{"party": party, "head": head} for party, head in heads.items()]
    if errors:
        return _process_page(request, s, who, process_id, 400, errors=errors, values={"meeting": values})
    return await _write(request, s, who, process_id, "talks.meeting", payload, "meeting", MEETING_FIELDS, values,
                        "meetings", MEETING_ALIASES, to=f"/talks/meetings/{payload['id']}")


@router.post("/talks/{process_id}/tracks", response_class=HTMLResponse)
async def open_track(request: Request, s: Db, who: Who, process_id: str) -> Response:
    """A track of the process (military; international-humanitarian; political settlement)."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    values = {f: str(form.get(f, ""))[:4000].strip() for f in TRACK_FIELDS}
    tid = new_id(who.party, "track")
    payload = {"id": tid, "process": process_id, "name": values["name"], "note": values["note"]}
    return await _write(request, s, who, process_id, "talks.track", payload, "track", TRACK_FIELDS, values, "tracks",
                        to=f"/talks/{process_id}/board?track={tid}")


@router.post("/talks/{process_id}/texts", response_class=HTMLResponse)
async def write_text(request: Request, s: Db, who: Who, process_id: str) -> Response:
    """A new joint text's first version (a draft any party or mediator taking part writes), with the points it
    covers; each party signs it on its page."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    values: dict[str, Any] = {f: str(form.get(f, ""))[:200_000 if f == "body" else 4000]
                              for f in TEXT_FIELDS - {"points"}}
    values = {f: v if f == "body" else v.strip() for f, v in values.items()}
    values["points"] = [str(x)[:64] for x in form.getlist("points")][:200]
    if not values["body"].strip():
        return _process_page(request, s, who, process_id, 400, errors={"text.body": WRITE_TEXT},
                             values={"text": values})
    tid = new_id(who.party, "text")
    payload = {"id": tid, "process": process_id, "title": values["title"], "body": values["body"],
               "language": values["language"] or "en", "points": values["points"], "note": values["note"]}
    return await _write(request, s, who, process_id, "talks.text", payload, "text", TEXT_FIELDS, values, "texts",
                        to=f"/talks/texts/{tid}")
