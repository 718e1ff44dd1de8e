"""A round or meeting's page: its venue on the map, its scheduled and actual start in its own time zone and how
late it began, its duration and format, the delegations with their heads, the participants, the changes of venue
or date with their reasons, and the statements made at it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from parley.errors import ParleyError
from parley.talks import service as svc
from parley.web.routes import Db, Who, lang_of, not_found
from parley.web.talks.common import NO_MEETING, change_value, changes_of, map_data, page, party_names, venue_place

router = APIRouter(include_in_schema=False)


@router.get("/talks/meetings/{meeting_id}", response_class=HTMLResponse)
def meeting_page(request: Request, s: Db, who: Who, meeting_id: str) -> HTMLResponse:
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
    return page(request, s, "talks_meeting.html", who=who, m=m, p=p, actors=actors, venue=m.venue_place(),
                delegations=m.delegation_list(), participants=[a for a in m.participants.split(",") if a],
                late=late, changes=changes, statements=svc.statements(s, who, p, meeting=m.id),
                map_data=map_data(request, s, "view", [place]) if place else None)
