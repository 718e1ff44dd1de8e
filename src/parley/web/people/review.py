"""The review queue: candidate pairs side by side with the differences highlighted, and the registrar's decision."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from sqlalchemy import select

from parley.errors import ParleyError
from parley.parties.principal import Principal
from parley.people import rules
from parley.people import service as svc
from parley.people.models import MatchDecision
from parley.web.people.common import _decide, _reader, _withdraw, forbidden, page
from parley.web.refusals import refusal
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
                 errors: dict[str, Any] | None = None, threshold: float = 0.5, decided: str = "",
                 confirming: dict[str, str] | None = None, withdraw: int | None = None,
                 withdrawn: bool = False) -> HTMLResponse:
    pairs = svc.review_queue(s, who, threshold=threshold)
    rows = []
    for pair in pairs:
        fields = []
        for f in REVIEW_FIELDS:
            x, y = getattr(pair.left, f) or "", getattr(pair.right, f) or ""
            fields.append((f, x, y, _state(f, x, y, pair.differences)))
        rows.append((pair, fields))
    return page(request, s, "review.html", status, who=who, rows=rows, errors=errors or {}, threshold=threshold,
                decided=decided, confirming=confirming or {}, withdraw=withdraw, withdrawn=withdrawn,
                # Whose view is narrowed by the read rules: a belligerent's member sees only pairs of two records its
                # party may read, one of them its own; a mediator sees every pair.
                narrowed=not who.is_mediator)


@router.get("/review", response_class=HTMLResponse)
def review_page(request: Request, s: Db, who: Who, threshold: float = 0.5, decided: str = "",
                record: int = 0, withdrawn: int = 0) -> HTMLResponse:
    if not _reader(who):
        return forbidden(request, who)
    withdraw = None
    if decided and record > 0:
        try:
            d = svc.decision(s, who, record)
        except ParleyError:
            d = None
        withdraw = d.idx if d is not None and d.current and rules.may_withdraw_match(who, d) else None
    return _review_page(request, s, who, threshold=min(max(threshold, svc.REVIEW_FLOOR), 1.0),
                        decided=decided if decided in ("same", "different") else "", withdraw=withdraw,
                        withdrawn=withdrawn == 1)


@router.post("/review/decide", response_class=HTMLResponse)
async def review_decide(request: Request, s: Db, who: Who) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    if not _reader(who):
        return forbidden(request, who)
    decision = str(form.get("decision", ""))[:16]
    if decision == "same" and form.get("confirmed") != "yes":
        # "Same person" joins two parties' records for good: say what follows and ask first (no script needed).
        keep = {f: str(form.get(f, ""))[:4000] for f in ("left", "right", "probability", "note")}
        try:
            svc.person(s, who, keep["left"][:64]), svc.person(s, who, keep["right"][:64])
        except ParleyError as exc:
            return _review_page(request, s, who, 400, {f"{keep['left'][:64]}|{keep['right'][:64]}": refusal(exc)})
        return _review_page(request, s, who, confirming=keep)
    error, key = await _decide(request, s, who, form)
    if error:
        return _review_page(request, s, who, 400, {key: error})
    left, right = sorted((str(form.get("left", ""))[:64], str(form.get("right", ""))[:64]))
    latest = s.scalar(select(MatchDecision.idx).where(MatchDecision.left == left, MatchDecision.right == right,
                                                      MatchDecision.current.is_(True)))
    return RedirectResponse(f"/review?decided={decision}&record={latest or 0}", status_code=303)


@router.post("/review/withdraw", response_class=HTMLResponse)
async def review_withdraw(request: Request, s: Db, who: Who) -> Response:
    """Reverse a decision just made by mistake: a later signed record; the pair comes back to the queue."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    if not _reader(who):
        return forbidden(request, who)
    error = await _withdraw(request, s, who, form)
    if error:
        return _review_page(request, s, who, 400, {"withdraw": error})
    return RedirectResponse("/review?withdrawn=1", status_code=303)
