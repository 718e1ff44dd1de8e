"""What the pages of talks share (``parley.web.talks``): the labels of the talks' codes, the messages the forms put
in ``errors``, the page renderer (party and actor names, times in a meeting's own time zone, sources, statements
reported from anonymous or media sources marked as such), the refusal of a member whose roles read no talks, the
forms' helpers (the field a refusal names, a local time, a position, a source) and the map's venues.

Reads go through ``talks.service`` (the read policy: an object the member may not read does not exist for them);
every write is a record signed with the member's web key (``submit_as_async``) with the process's default
audience (``talks.kinds.audience_for``: closed to the negotiators for a back channel), refusals shown beside the
field."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from parley.errors import ParleyError
from parley.log.models import LogEntry
from parley.parties.models import Party
from parley.parties.principal import Principal
from parley.records.figures import Figure
from parley.records.sources import Source, is_hearsay
from parley.submit import submit_as_async
from parley.talks import kinds as k
from parley.talks import rules
from parley.talks import service as svc
from parley.talks.models import TalksActor, TalksProcess
from parley.web import i18n
from parley.web.i18n import N_
from parley.web.labels import FIGURE_WORDS
from parley.web.operations.common import _map_labels, _parse_local, _position, _region, iso, source_text
from parley.web.routes import lang_of, render, templates

# -- labels of the talks' codes (translated where they are shown, with _()) ------------------------------------
FORMAT_LABELS: dict[str, str] = {
    "official_talks": N_("Official talks"), "back_channel": N_("Back channel"),
    "military_channel": N_("Military-to-military channel"),
}
STATUS_LABELS: dict[str, str] = {
    "active": N_("Active"), "paused": N_("Paused"), "frozen": N_("Frozen"), "resumed": N_("Resumed"),
    "ended": N_("Ended"),
}
AUTHORISATION_LABELS: dict[str, str] = {
    "authorised": N_("Authorised by the parties' leadership"), "unauthorised": N_("Not authorised by the leadership"),
    "unknown": N_("Authorisation not known"),
}
POSITION_LABELS: dict[str, str] = {
    "proposed": N_("Proposal"), "counter_proposed": N_("Counter-proposal"), "accepted": N_("Accepted"),
    "rejected": N_("Rejected"), "reserved": N_("Reservation"),
}
MEETING_KIND_LABELS: dict[str, str] = {"round": N_("Round"), "meeting": N_("Meeting"), "visit": N_("Visit")}
MEETING_STATUS_LABELS: dict[str, str] = {
    "planned": N_("Planned"), "held": N_("Held"), "postponed": N_("Postponed"), "cancelled": N_("Cancelled"),
}
MEETING_FORMAT_LABELS: dict[str, str] = {
    "in_person": N_("In person"), "video": N_("By video"), "mixed": N_("In person and by video"),
}
STATEMENT_LABELS: dict[str, str] = {
    "communique": N_("Communiqué"), "assessment": N_("Assessment"), "accusation": N_("Accusation"),
    "precondition": N_("Precondition"), "proposal": N_("Proposal"), "commitment": N_("Commitment"),
    "announcement": N_("Announcement"), "claim": N_("Claim"), "other": N_("Other"),
}
LANGUAGE_LABELS: dict[str, str] = {
    "uk": N_("Ukrainian"), "ru": N_("Russian"), "en": N_("English"), "other": N_("Another language"),
}
# Peace Accords Matrix: how far an agreed point is implemented.
LEVEL_LABELS: dict[int, str] = {
    0: N_("0 — not started"), 1: N_("1 — minimal"), 2: N_("2 — intermediate"), 3: N_("3 — complete"),
}
EVIDENCE_LABELS: dict[str, str] = {"operation": N_("Operation"), "exchange": N_("Exchange"), "record": N_("Record")}
# What the timeline of a process shows (``talks.service.Event.what``).
EVENT_LABELS: dict[str, str] = {
    "status": N_("Status stated"), "meeting": N_("Round or meeting"), "meeting_change": N_("Meeting changed"),
    "statement": N_("Statement"), "text": N_("Joint text version"), "signoff": N_("Sign-off"),
    "point_agreed": N_("Mutual understanding reached"),
}
# The fields a change of a meeting names (``TalksMeetingChange.changes``).
CHANGE_LABELS: dict[str, str] = {
    "status": N_("Status"), "venue": N_("Venue"), "scheduled_start": N_("Scheduled start"),
    "scheduled_note": N_("Scheduled (as said)"), "actual_start": N_("Actual start"),
    "duration_minutes": N_("Duration"), "duration_figure": N_("Duration"), "duration_note": N_("Duration (as said)"),
    "format": N_("Format"),
    "delegations": N_("Delegations"),
}
CODE_LABELS: dict[str, dict[Any, str]] = {
    "format": FORMAT_LABELS, "status": STATUS_LABELS, "authorisation": AUTHORISATION_LABELS,
    "position": POSITION_LABELS, "meeting_kind": MEETING_KIND_LABELS, "meeting_status": MEETING_STATUS_LABELS,
    "meeting_format": MEETING_FORMAT_LABELS, "statement": STATEMENT_LABELS, "language": LANGUAGE_LABELS,
    "level": LEVEL_LABELS, "evidence": EVIDENCE_LABELS, "event": EVENT_LABELS, "change": CHANGE_LABELS,
}

# -- messages the pages put in ``errors`` or show as a page's message ------------------------------------------
NOT_READER = N_("Talks are read by the negotiators, liaison officers, admins and auditors of the parties and "
                "mediators taking part.")
NO_PROCESS = N_("There is no such process, or you may not read it.")
NO_MEETING = N_("There is no such meeting, or you may not read it.")
NO_POINT = N_("There is no such point, or you may not read it.")
NO_TEXT = N_("There is no such joint text, or you may not read it.")
WRITE_STATEMENT = N_("Write what was said.")
WRITE_WORDING = N_("Write the wording your party proposes.")
CHOOSE_WORDING = N_("Choose the wording your party accepts, rejects or reserves its position on.")
CHOOSE_LEVEL = N_("Choose a level from 0 to 3.")
ENTER_REF = N_("Name the operation, exchange or record.")
NAME_VENUE = N_("Name the venue of the position picked.")
ENTER_MINUTES = N_("Enter minutes as a number, or as stated: <180 (fewer than), ~120 (about), 150-170.")
WRITE_NAMES = N_("Write at least one name, one a line.")
CHOOSE_ACTOR = N_("Choose the intermediary, or leave the row empty.")
WRITE_TEXT = N_("Write the text.")
CHOOSE_TRACK = N_("Choose the track the point belongs to.")
MESSAGES = (NOT_READER, NO_PROCESS, NO_MEETING, NO_POINT, NO_TEXT, WRITE_STATEMENT, WRITE_WORDING, CHOOSE_WORDING,
            CHOOSE_LEVEL, ENTER_REF, NAME_VENUE, ENTER_MINUTES, WRITE_NAMES, CHOOSE_ACTOR, WRITE_TEXT, CHOOSE_TRACK)

# Where an anonymous or a media source is the only ground: shown as reported, never as fact (``is_hearsay``).


def may_read_talks(who: Principal | None) -> bool:
    """Do ``who``'s roles read talks at all (``talks.rules.READERS``)? The navigation offers talks to them."""
    return who is not None and bool(who.roles & rules.READERS)


templates.env.globals["may_read_talks"] = may_read_talks


def label(kind: str, code: Any) -> str:
    """The English label of a talks code of ``kind`` (``CODE_LABELS``), translated in templates with _()."""
    return CODE_LABELS[kind].get(code, "" if code is None else str(code))


def short(sha256: str | None) -> str:
    """A SHA-256 as the pages show it: its first 12 hex digits (the full hash is beside it, in a title)."""
    return (sha256 or "")[:12]


def hearsay(src: Source | None) -> bool:
    """A fact known only from an anonymous or media source, not confirmed: shown as reported."""
    return src is not None and is_hearsay(src.kind, src.confirmation)


def source_of(row: Any) -> Source | None:
    raw = getattr(row, "source", None)
    return Source.model_validate_json(raw) if raw else None


def party_names(s: Session, lang: str) -> dict[str, str]:
    attr = {"uk": Party.name_uk, "ru": Party.name_ru}.get(lang, Party.name_en)
    return dict(s.execute(select(Party.slug, attr)).all())  # type: ignore[arg-type]


def record_time(s: Session, idx: int) -> datetime | None:
    """When record ``idx`` (one the member read a row of) was stated."""
    t = s.execute(select(LogEntry.time).where(LogEntry.idx == idx)).scalar_one_or_none()
    return datetime.fromisoformat(t).astimezone(UTC) if t else None


def actor_name(a: TalksActor | None, ident: str | None) -> str:
    """An actor as written first (the other spellings in the page's title attribute), or its id."""
    if a is not None:
        return a.name
    return ident or ""


def duration_text(lang: str, f: Figure | None) -> str:
    """A duration in minutes as its source stated it, in the reader's units: "2 год 50 хв", "fewer than 3 hr"."""
    if f is None:
        return ""
    if f.form == "exact":
        return i18n.duration(lang, (f.value or 0) * 60)
    values = {k: i18n.duration(lang, v * 60) for k, v in (("value", f.value), ("low", f.low), ("high", f.high))
              if v is not None}
    return i18n.gettext(lang, FIGURE_WORDS[f.form], **values)


def page(request: Request, s: Session, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    lang = lang_of(request)
    actors: dict[str, TalksActor] = ctx.pop("actors", {})
    return render(request, name, status, names=party_names(s, lang), tlabel=label, short=short, iso=iso,
                  local=lambda t, tz="UTC": i18n.local_time(lang, t, tz), utc=lambda t: i18n.utc_time(lang, t),
                  day=lambda d: i18n.day(lang, d) if d else "", duration=lambda m: i18n.duration(lang, m * 60),
                  duration_of=lambda f: duration_text(lang, f),
                  zone_name=lambda tz: i18n.zone_name(lang, tz), source=lambda src: source_text(lang, src),
                  source_of=source_of, hearsay=hearsay, is_hearsay=svc.is_hearsay, actors=actors,
                  actor=lambda ident: actor_name(actors.get(ident or ""), ident),
                  actor_names=lambda ident: " · ".join(actors[ident].name_list()) if ident in actors else "",
                  number=lambda n: i18n.number(lang, n), changed=lambda c: list(changes_of(c)), **ctx)


def forbidden(request: Request, who: Principal) -> HTMLResponse:
    return render(request, "error.html", 403, who=who, title=N_("Not allowed"), message=NOT_READER)


def readers_of(p: TalksProcess) -> str:
    """Who reads the process's records, as a message (the narrow channels are closed to negotiators)."""
    if p.narrow:
        return N_("Read only by the negotiators of its parties and mediators.")
    return N_("Read by the negotiators, liaison officers, admins and auditors of its parties and mediators.")


# -- the forms' helpers ----------------------------------------------------------------------------------------
async def submit(request: Request, s: Session, who: Principal, kind: str, p: TalksProcess,
                 payload: dict[str, Any]) -> Any:
    """Sign and append ``payload`` with the process's default audience."""
    return await submit_as_async(request.app.state.runtime, s, who, kind, k.audience_for(p), payload)


def field_of(exc: ParleyError, known: set[str] | tuple[str, ...], aliases: dict[str, str] | None = None) -> str:
    """The form field a refusal names (``source.outlet`` → ``source``, ``evidence.0.ref`` → ``evidence``), or
    ``form`` for a refusal of the whole form."""
    f = (exc.field or "").removeprefix("payload.")
    parts = [p for p in f.split(".") if p and not p.isdigit()]
    for name in ("_".join(parts), parts[0] if parts else ""):
        candidate = (aliases or {}).get(name, name)
        if candidate in known:
            return candidate
    return "form"


def hoisted(errors: dict[str, Any], shown: dict[str, bool]) -> dict[str, Any]:
    """The errors beside each form's fields; a refusal for a form the page no longer shows (the process moved on
    meanwhile, or the member may not use it) is shown at the top of the page."""
    out = dict(errors)
    for key in [key for key in out if not shown.get(key.split(".", 1)[0], True)]:
        out.setdefault("form", out.pop(key))
    return out


local_input = _parse_local  # a datetime-local value in a time zone → ISO 8601 UTC, or None
position_of = _position  # "lon, lat" as typed or picked on the map → [lon, lat], or None


def map_data(request: Request, s: Session, mode: str, venues: list[dict[str, Any]]) -> dict[str, Any]:
    """The map's data (``static/map.js``): the region, and the venues as places."""
    return {"mode": mode, "lang": lang_of(request), "labels": _map_labels(request), "region": _region(s),
            "places": venues}


def venue_place(m: Any, lang: str) -> dict[str, Any] | None:
    """A meeting's venue as a place on the map, or None when it has no position."""
    v = m.venue_place()
    if not v or not v.get("position"):
        return None
    when = m.actual_start or m.scheduled_start
    return {"name": v["name"], "position": v["position"], "url": f"/talks/meetings/{m.id}",
            "lines": [m.title, i18n.local_time(lang, when, m.time_zone) if when else ""]}


def change_value(field: str, value: Any, tz: str, lang: str, names: dict[str, str],
                 actors: dict[str, TalksActor]) -> str:
    """One side of a meeting's change (``TalksMeetingChange.changes``) as a page shows it."""
    if value is None or value == "":
        return "—"
    if field == "status":
        return i18n.gettext(lang, MEETING_STATUS_LABELS.get(value, value))
    if field == "format":
        return i18n.gettext(lang, MEETING_FORMAT_LABELS.get(value, value))
    if field == "venue":
        return str(value.get("name", "")) if isinstance(value, dict) else str(value)
    if field in ("scheduled_start", "actual_start"):
        try:
            return i18n.local_time(lang, datetime.fromisoformat(str(value).replace("Z", "+00:00")), tz)
        except ValueError:
            return str(value)
    if field == "duration_minutes" and isinstance(value, int):
        return i18n.duration(lang, value * 60)
    if field == "duration_figure" and isinstance(value, str):
        return duration_text(lang, Figure.model_validate_json(value))
    if field == "delegations" and isinstance(value, list):
        return "; ".join(str(names.get(d.get("party", ""), d.get("party", ""))) +
                         (f" ({actor_name(actors.get(d['head']), d['head'])})" if d.get("head") else "")
                         for d in value if isinstance(d, dict))
    return str(value)


def changes_of(c: Any) -> dict[str, list[Any]]:
    return dict(json.loads(c.changes))
