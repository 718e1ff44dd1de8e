"""The review queue: candidate pairs side by side with the differences highlighted, and the registrar's decision."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from parley.parties.principal import Principal
from parley.people import service as svc
from parley.web.people.common import _decide, _reader, forbidden, page
from parley.web.routes import Db, Who, check_csrf

router = APIRouter(include_in_schema=False)

# Review: the fields shown side by side (the compared ones first).
REVIEW_FIELDS = ("surname", "first_name", "patronymic", "birth_date", "birth_place", "service_number", "rank",
                 "unit", "category", "held_at", "capture_date", "capture_place")


# -- the review queue ------------------------------------------------------------------------------
def _state(f: str, x: str, y: str, differences: list[str]) -> str:
    """How a field of a candidate pair is shown: ``differ`` (the service's differences, and capture dates that
    disagree), ``spelling`` (a compared field written differently that the service holds the same, as a name
    in another script), ``missing`` (given by one side only), ``same``, or ``info`` (not compared)."""
    if f in differences:
        return "differ"
    if bool(x) != bool(y):
        return "missing"
    if x == y:
        return "same"
    if f in svc.COMPARED:
        return "spelling"
    if f.endswith("_date") and not (x.startswith(y) or y.startswith(x)):
        return "differ"
    return "info"


def _review_page(request: Request, s: Session, who: Principal, status: int = 200,
                 errors: dict[str, Any] | None = None, threshold: float = 0.5, decided: str = "") -> HTMLResponse:
    pairs = svc.review_queue(s, who, threshold=threshold)
    rows = []
    for pair in pairs:
        fields = []
        for f in REVIEW_FIELDS:
            x, y = getattr(pair.left, f) or "", getattr(pair.right, f) or ""
            fields.append((f, x, y, _state(f, x, y, pair.differences)))
        rows.append((pair, fields))
    return page(request, s, "review.html", status, who=who, rows=rows, errors=errors or {}, threshold=threshold,
                decided=decided)


@router.get("/review", response_class=HTMLResponse)
def review_page(request: Request, s: Db, who: Who, threshold: float = 0.5, decided: str = "") -> HTMLResponse:
    if not _reader(who):
        return forbidden(request, who)
    return _review_page(request, s, who, threshold=min(max(threshold, 0.05), 1.0),
                        decided=decided if decided in ("same", "different") else "")


@router.post("/review/decide", response_class=HTMLResponse)
async def review_decide(request: Request, s: Db, who: Who) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    if not _reader(who):
        return forbidden(request, who)
    error, key = await _decide(request, s, who, form)
    if error:
        return _review_page(request, s, who, 400, {key: error})
    return RedirectResponse("/review?decided=" + str(form.get("decision", ""))[:16], status_code=303)
