"""The boards of a process: the points board (one track or all, a page at a time: each party's current position
side by side, the wording it names, the points every party accepts marked "mutual understanding", the history on
the point's page) with the form of a member taking part that adds a point to a track, and the implementation board
(the agreed points × each party × 0–3, with evidence)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from parley.errors import ParleyError
from parley.parties.principal import Principal
from parley.records.ids import new_id
from parley.talks import rules
from parley.talks import service as svc
from parley.web.refusals import refusal
from parley.web.routes import Db, Who, check_csrf, not_found
from parley.web.talks.common import CHOOSE_TRACK, NO_PROCESS, field_of, hoisted, page, submit

router = APIRouter(include_in_schema=False)

PAGE_POINTS = 100
MAX_POINTS = 500
POINT_FIELDS = {"track", "title", "text"}


def _board_page(request: Request, s: Session, who: Principal, process_id: str, track: str = "", offset: int = 0,
                limit: int = PAGE_POINTS, status: int = 200, errors: dict[str, Any] | None = None,
                values: dict[str, Any] | None = None) -> HTMLResponse:
    try:
        p = svc.process(s, who, process_id)
        tracks = svc.tracks(s, who, p)
    except ParleyError:
        return not_found(request, who, NO_PROCESS)
    track = track[:64] if track in {t.id for t in tracks} else ""
    offset, limit = max(0, min(offset, 10_000_000)), max(1, min(limit, MAX_POINTS))
    b = svc.board(s, who, p, track=track or None, offset=offset, limit=limit)

    def at(n: int) -> str:
        query = {k: v for k, v in (("track", track), ("offset", n), ("limit", limit if limit != PAGE_POINTS else 0))
                 if v}
        return f"/talks/{p.id}/board" + (f"?{urlencode(query)}" if query else "")

    pager = {"prev": at(max(0, offset - limit)) if offset > 0 else None,
             "next": at(offset + limit) if offset + limit < b.total else None,
             "first": offset + 1 if b.rows else 0, "last": offset + len(b.rows), "total": b.total}
    # A point is added to a track of a process still going on, by a member of a party or mediator taking part.
    can_add = rules.may_write(who, p) and p.status != "ended" and bool(tracks)
    values = values or {}
    pv = {"track": track, **values.get("point", {})}
    return page(request, s, "talks_board.html", status, who=who, p=p, b=b, tracks=tracks,
                track_names={t.id: t.name for t in tracks}, track=track, pager=pager,
                agreed=sum(1 for r in b.rows if r.agreed), can_add=can_add,
                errors=hoisted(errors or {}, {"point": can_add}), values={**values, "point": pv})


@router.get("/talks/{process_id}/board", response_class=HTMLResponse)
def board_page(request: Request, s: Db, who: Who, process_id: str, track: str = "", offset: int = 0,
               limit: int = PAGE_POINTS) -> HTMLResponse:
    return _board_page(request, s, who, process_id, track, offset, limit)


@router.post("/talks/{process_id}/points", response_class=HTMLResponse)
async def open_point(request: Request, s: Db, who: Who, process_id: str) -> Response:
    """A point on a track: its title and, optionally, a first wording (a mediator's or the secretariat's draft,
    no party's position)."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    values = {f: str(form.get(f, ""))[:200_000 if f == "text" else 4000] for f in POINT_FIELDS}
    values = {f: v if f == "text" else v.strip() for f, v in values.items()}
    track = values["track"][:64]
    try:
        p = svc.process(s, who, process_id)
    except ParleyError:
        return not_found(request, who, NO_PROCESS)
    if track not in {t.id for t in svc.tracks(s, who, p)}:  # a track of this process, not of another
        return _board_page(request, s, who, process_id, status=400, errors={"point.track": CHOOSE_TRACK},
                           values={"point": values})
    payload: dict[str, Any] = {"id": new_id(who.party, "point"), "track": track, "title": values["title"]}
    if values["text"].strip():
        payload["text"] = values["text"]
    try:
        await submit(request, s, who, "talks.point", p, payload)
    except ParleyError as exc:
        s.rollback()
        return _board_page(request, s, who, process_id, track, status=400, values={"point": values},
                           errors={f"point.{field_of(exc, POINT_FIELDS)}": refusal(exc)})
    return RedirectResponse(f"/talks/{process_id}/board?{urlencode({'track': track})}#points-board", status_code=303)


@router.get("/talks/{process_id}/implementation", response_class=HTMLResponse)
def implementation_page(request: Request, s: Db, who: Who, process_id: str) -> HTMLResponse:
    try:
        p = svc.process(s, who, process_id)
    except ParleyError:
        return not_found(request, who, NO_PROCESS)
    assessors, rows = svc.implementation_board(s, who, p)
    return page(request, s, "talks_implementation.html", who=who, p=p, assessors=assessors, rows=rows)
