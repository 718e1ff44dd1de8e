"""A joint text's page: its versions, the current body, a word-level difference between any two versions, and the
sign-off panel (who signed which version, whether each party signed the current one, and what changed since that
party last signed); the sign-off form signs the exact SHA-256 of the version the page showed, so a page gone stale
is refused by the record kind, and a member taking part may write a new version."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from parley.errors import ParleyError
from parley.parties.principal import Principal
from parley.talks import diff as worddiff
from parley.talks import rules
from parley.talks import service as svc
from parley.web.refusals import refusal
from parley.web.routes import Db, Who, check_csrf, not_found
from parley.web.talks.common import NO_TEXT, field_of, hoisted, page, submit

router = APIRouter(include_in_schema=False)

SIGNOFF_FIELDS = {"note"}
VERSION_FIELDS = {"title", "body", "language", "note"}


def _number(raw: Any, default: int, top: int) -> int:
    """A version number from the query or a form, within 1..``top``; ``default`` when it is not one."""
    text = str(raw or "").strip()
    n = int(text) if text.isdigit() and len(text) < 10 else default
    return n if 1 <= n <= top else default


def _text_page(request: Request, s: Session, who: Principal, text_id: str, status: int = 200,
               errors: dict[str, Any] | None = None, values: dict[str, Any] | None = None) -> HTMLResponse:
    try:
        t = svc.text(s, who, text_id)
        p = svc.process(s, who, t.process)
        versions = svc.versions(s, who, t)
        current = svc.version(s, who, t, t.version)
    except ParleyError:
        return not_found(request, who, NO_TEXT)
    q = request.query_params
    b = _number(q.get("to"), t.version, t.version)
    a = _number(q.get("from"), max(1, b - 1), t.version)
    shown = _number(q.get("show"), t.version, t.version)
    try:
        body = current if shown == t.version else svc.version(s, who, t, shown)
        pieces = svc.diff(s, who, t, a, b) if a != b else []
        panel = svc.signoff_panel(s, who, p, t)
    except ParleyError:  # a version recorded for a narrower audience than the text's
        return not_found(request, who, NO_TEXT)
    mine = next((x for x in panel if x.party == who.party), None)
    can_revise = rules.may_write(who, p) and p.status != "ended"
    values = values or {}
    vv = {"title": t.title, "body": current.body, "language": current.language, **values.get("version", {})}
    values = {**values, "version": vv}
    return page(request, s, "talks_text.html", status, who=who, text=t, p=p, versions=versions, current=current,
                body=body, a=a, b=b, pieces=pieces, counts=worddiff.summary(pieces), panel=panel,
                signoffs=svc.signoffs(s, who, t),
                can_sign=rules.may_sign(who, p) and p.status != "ended" and mine is not None
                and mine.signed_current is None,
                signed_by_me=mine.signed_current if mine is not None else None,
                can_revise=can_revise, text_languages=("uk", "ru", "en", "other"),
                errors=hoisted(errors or {}, {"version": can_revise}), values=values)


@router.get("/talks/texts/{text_id}", response_class=HTMLResponse)
def text_page(request: Request, s: Db, who: Who, text_id: str) -> HTMLResponse:
    return _text_page(request, s, who, text_id)


async def _write(request: Request, s: Session, who: Principal, text_id: str, kind: str, payload: dict[str, Any],
                 form_name: str, known: set[str], values: dict[str, Any], anchor: str) -> Response:
    try:
        t = svc.text(s, who, text_id)
        p = svc.process(s, who, t.process)
    except ParleyError:
        return not_found(request, who, NO_TEXT)
    try:
        await submit(request, s, who, kind, p, payload)
    except ParleyError as exc:
        s.rollback()
        return _text_page(request, s, who, text_id, 400, errors={f"{form_name}.{field_of(exc, known)}": refusal(exc)},
                          values={form_name: values})
    return RedirectResponse(f"/talks/texts/{text_id}#{anchor}", status_code=303)


@router.post("/talks/texts/{text_id}/signoffs", response_class=HTMLResponse)
async def sign(request: Request, s: Db, who: Who, text_id: str) -> Response:
    """Sign the version the page showed, by its exact SHA-256: if a newer version came meanwhile, the record kind
    refuses it and nothing is signed."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    raw = str(form.get("version", "")).strip()
    note = str(form.get("note", ""))[:4000]
    payload = {"text": text_id, "version": int(raw) if raw.isdigit() and len(raw) < 10 else 0,
               "sha256": str(form.get("sha256", "")).strip()[:64], "note": note}
    return await _write(request, s, who, text_id, "talks.signoff", payload, "signoff", SIGNOFF_FIELDS, {"note": note},
                        "signoffs")


@router.post("/talks/texts/{text_id}/versions", response_class=HTMLResponse)
async def revise(request: Request, s: Db, who: Who, text_id: str) -> Response:
    """A new version of the text, replacing the one the page showed (``supersedes``); it needs fresh sign-offs."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    values = {f: str(form.get(f, ""))[:200_000 if f == "body" else 4000] for f in VERSION_FIELDS}
    raw = str(form.get("supersedes", "")).strip()
    try:
        t = svc.text(s, who, text_id)
    except ParleyError:
        return not_found(request, who, NO_TEXT)
    payload = {"id": text_id, "process": t.process, "title": values["title"].strip(), "body": values["body"],
               "language": values["language"] or "en", "note": values["note"],
               "supersedes": int(raw) if raw.isdigit() and len(raw) < 10 else 0}
    return await _write(request, s, who, text_id, "talks.text", payload, "version", VERSION_FIELDS, values, "current")
