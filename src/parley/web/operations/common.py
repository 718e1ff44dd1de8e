"""What the pages of operations share (``parley.web.operations``): the time zones offered, the labels and the
messages the forms put in ``errors``, times as a page writes them, the notes of a timeline's events, the page
renderer, the forms' parsing (local times, positions, GeoJSON, the field a refusal names), and the map's data
(the region, and operations, zones and incidents as features).

Reads go through ``operations.service`` (audience-filtered); every write is a record signed with the member's
web key (``submit_as``), refusals are shown beside the field."""

from __future__ import annotations

import json
import re
import zoneinfo
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from parley.errors import ParleyError
from parley.operations import kinds as k
from parley.operations import service as svc
from parley.operations.models import Operation
from parley.parties.principal import Principal
from parley.submit import submit_as_async
from parley.web import i18n
from parley.web.i18n import N_, NP_, Message, Plural, Verbatim
from parley.records.figures import Figure
from parley.records.sources import Source
from parley.web.labels import (
    BOARD_LABELS, CO_MEDIATOR_ROLE_LABELS, CONFIRMATION_LABELS, FIGURE_WORDS, MAP_CONTROLS, OPERATION_LABELS,
    SOURCE_KIND_LABELS,
)
from parley.web.routes import lang_of, render

TIME_ZONES = ("Europe/Kyiv", "Europe/Moscow", "Europe/Minsk", "Europe/Warsaw", "Europe/Istanbul",
              "Europe/Zurich", "UTC")  # Geneva keeps Zurich's time
DEFAULT_REGION = [22.0, 44.0, 41.0, 53.0]

# Codes of the domain → English labels (translated in the templates with _()).
LABELS = OPERATION_LABELS
# Messages the forms put in ``errors`` (translated in the templates).
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


def figure_text(lang: str, f: Figure | None) -> str:
    """A figure in the reader's language, in the form its source gave it: "264", "more than 250", "hundreds"."""
    if f is None:
        return "—"
    if f.form == "exact":
        return i18n.number(lang, f.value or 0)
    values = {k: i18n.number(lang, v) for k, v in (("value", f.value), ("low", f.low), ("high", f.high))
              if v is not None}
    return i18n.gettext(lang, FIGURE_WORDS[f.form], **values)


def source_text(lang: str, src: Source | None) -> str:
    """Who stated it, in a line: the kind of source, the speaker or outlet, the date, the reference, and how far
    it is confirmed."""
    if src is None:
        return ""
    parts = [i18n.gettext(lang, SOURCE_KIND_LABELS[src.kind])]
    said = src.said_by()
    if said:
        parts.append(said)
    if src.stated_on is not None:
        parts.append(i18n.day(lang, src.stated_on))
    if src.reference and src.reference not in said:
        parts.append(src.reference)
    parts.append(i18n.gettext(lang, CONFIRMATION_LABELS[src.confirmation]))
    return "; ".join(parts)


def co_mediator_role(code: str) -> str:
    return CO_MEDIATOR_ROLE_LABELS.get(code, code)


def page(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    lang = lang_of(request)
    return render(request, name, status, label=label, board_label=board_label,
                  figure=lambda f: figure_text(lang, f), source=lambda src: source_text(lang, src),
                  source_of=svc.source_of, casualty=svc.casualty, mediator_role=co_mediator_role,
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
            "origin": plan.get("origin"), "destination": plan["destinations"][0],
            "destinations": plan["destinations"]}


def _zone_feature(z: Any) -> dict[str, Any]:
    return {"id": z.id, "name": z.name, "kind": z.kind, "geometry": json.loads(z.geometry)}


def _incident_feature(i: Any, lang: str = "en") -> dict[str, Any]:
    return {"id": i.id, "position": [i.lon, i.lat], "type": i.type, "party": i.party, "place": i.place,
            "at": utc(i.at, lang), "url": f"/operations/{i.operation}" if i.operation else "/incidents"}


def _map_labels(request: Request) -> dict[str, str]:
    lang = lang_of(request)
    return {code: i18n.gettext(lang, text) for code, text in {**LABELS, **MAP_CONTROLS}.items()}


# -- what the operation's forms share: has the party answered, the version answered --------------
def _answered(board: list[svc.BoardRow], who: Principal) -> bool:
    """Has ``who``'s party answered (or proposed) the current version, as the board shows it?"""
    return any(r.party == who.party and r.state not in ("awaiting", "no_answer") for r in board)


def _version(form: Any) -> int:
    raw = str(form.get("version", "")).strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else 0
