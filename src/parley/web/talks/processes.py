"""The processes a member may read (format, parties, status, last activity), filtered by format and status, and
the actors of talks found by name in any script or spelling."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from parley.talks import rules
from parley.talks import service as svc
from parley.web.routes import Db, Who
from parley.web.talks.common import forbidden, may_read_talks, page, record_time

router = APIRouter(include_in_schema=False)


@router.get("/talks", response_class=HTMLResponse)
def processes_page(request: Request, s: Db, who: Who, format: str = "", status: str = "") -> HTMLResponse:
    if not may_read_talks(who):
        return forbidden(request, who)
    format, status = format[:24], status[:16]
    rows = []
    for p in svc.processes(s, who):
        if (format and p.format != format) or (status and p.status != status):
            continue
        events = svc.timeline(s, who, p)
        last = max((e.idx for e in events), default=p.idx)
        rows.append({"p": p, "last": record_time(s, last), "meetings": sum(1 for e in events if e.what == "meeting")})
    return page(request, s, "talks.html", who=who, rows=rows, filters={"format": format, "status": status},
                formats=rules.FORMATS, statuses=rules.STATUSES)


@router.get("/talks/actors", response_class=HTMLResponse)
def actors_page(request: Request, s: Db, who: Who, q: str = "") -> HTMLResponse:
    """Actors (heads of delegation, intermediaries, generals) found by every word of ``q`` in any script:
    "Kovalev", "Kovalyov" and "Ковальов" find the same one."""
    if not may_read_talks(who):
        return forbidden(request, who)
    q = q[:200]
    found = svc.actors(s, who, q)
    return page(request, s, "talks_actors.html", who=who, found=found, q=q, searching=bool(q.strip()))
