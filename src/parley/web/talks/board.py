"""The boards of a process: the points board (one track or all, a page at a time: each party's current position
side by side, the wording it names, the points every party accepts marked "mutual understanding", the history on
the point's page), and the implementation board (the agreed points × each party × 0–3, with evidence)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from parley.errors import ParleyError
from parley.talks import service as svc
from parley.web.routes import Db, Who, not_found
from parley.web.talks.common import NO_PROCESS, page

router = APIRouter(include_in_schema=False)

PAGE_POINTS = 100
MAX_POINTS = 500


@router.get("/talks/{process_id}/board", response_class=HTMLResponse)
def board_page(request: Request, s: Db, who: Who, process_id: str, track: str = "", offset: int = 0,
               limit: int = PAGE_POINTS) -> HTMLResponse:
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
    return page(request, s, "talks_board.html", who=who, p=p, b=b, tracks=tracks,
                track_names={t.id: t.name for t in tracks}, track=track, pager=pager,
                agreed=sum(1 for r in b.rows if r.agreed))


@router.get("/talks/{process_id}/implementation", response_class=HTMLResponse)
def implementation_page(request: Request, s: Db, who: Who, process_id: str) -> HTMLResponse:
    try:
        p = svc.process(s, who, process_id)
    except ParleyError:
        return not_found(request, who, NO_PROCESS)
    assessors, rows = svc.implementation_board(s, who, p)
    return page(request, s, "talks_implementation.html", who=who, p=p, assessors=assessors, rows=rows)
