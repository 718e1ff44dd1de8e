"""The press desk: a party's statements (drafts, approved under embargo, released, withdrawn) for its press officers,
negotiators, admins and auditors; the form on which a statement is drafted in Ukrainian, Russian and English with
its embargo; the approval of the exact version by a second negotiator or admin, and a withdrawal. A press officer
sees here only what the party may publish: its statements and what parties released (``/public``), never registry
rows nor embargoed exchanges."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from parley.errors import ParleyError
from parley.parties.principal import Principal
from parley.press import kinds as k
from parley.press import rules
from parley.press import service as svc
from parley.records.ids import new_id
from parley.submit import submit_as_async
from parley.web import i18n
from parley.records.figures import Figure
from parley.web.operations.common import figure_text
from parley.web.press.public import STATE_LABELS, text_in
from parley.web.refusals import refusal
from parley.web.routes import Db, Who, check_csrf, lang_of, render, templates

router = APIRouter(include_in_schema=False)
N_ = i18n.N_
NOT_READER = N_("Statements are drafted and read by a party's press officers, negotiators, admins and auditors. "
                "What parties released is on the public page.")
WRITE_TEXT = N_("Write the title and the text in at least one language.")
TITLE_AND_BODY = N_("Write both the title and the text.")
ONE_EMBARGO = N_("Choose one embargo: until a time, or until an exchange or an operation is completed.")
NOT_A_TIME = N_("Write the time as 2026-12-31T18:00 (UTC).")
FIELDS = {f"{w}_{lang}" for w in ("title", "body") for lang in rules.LANGUAGES} | {
    "embargo_until", "embargo_exchange", "embargo_operation", "references", "corrects"}
NOT_A_DAY = N_("Write the day as 2026-12-31.")
MESSAGES = (NOT_READER, WRITE_TEXT, TITLE_AND_BODY, ONE_EMBARGO, NOT_A_TIME, NOT_A_DAY)


def may_use_desk(who: Principal | None) -> bool:
    """Does ``who`` read its party's statements? The navigation offers the press desk."""
    return who is not None and svc.reads_statements(who)


templates.env.globals["may_use_desk"] = may_use_desk


def _desk(request: Request, s: Session, who: Principal, status: int = 200, errors: dict[str, Any] | None = None,
          values: dict[str, Any] | None = None) -> HTMLResponse:
    lang = lang_of(request)
    reader = may_use_desk(who)
    mine = svc.own(s, who) if reader else []
    rows = [{"v": v, "lang_text": text_in(v, lang), "waiting": svc.waiting_for(s, v.statement)
             if v.state == "approved" else None,
             "may_approve": v.state == "draft" and rules.may_approve(who, v.statement.party, v.version.author),
             "may_withdraw": v.state in ("draft", "approved", "released") and rules.may_withdraw(
                 who, v.statement.party)} for v in mine]
    releaser = rules.may_release_figures(who, who.party)
    return render(request, "press.html", status, who=who, reader=reader, rows=rows, states=STATE_LABELS,
                  not_reader=NOT_READER, may_draft=reader and rules.may_draft(who, who.party),
                  releasable=svc.releasable(s, who.party) if releaser else None,
                  figure_text=lambda f: figure_text(lang, Figure.model_validate(f)),
                  languages_of=i18n.NAMES, errors=errors or {}, values=values or {},
                  utc=lambda t: i18n.utc_time(lang, t))


@router.get("/press", response_class=HTMLResponse)
def desk(request: Request, s: Db, who: Who) -> HTMLResponse:
    return _desk(request, s, who)


def _draft_payload(values: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The draft's payload from the form, and the errors beside its fields."""
    errors: dict[str, Any] = {}
    texts = {}
    for lang in rules.LANGUAGES:
        title, body = values[f"title_{lang}"], values[f"body_{lang}"]
        if title and body:
            texts[lang] = {"title": title, "body": body}
        elif title or body:
            errors[f"body_{lang}" if title else f"title_{lang}"] = TITLE_AND_BODY
    if not texts and not errors:
        errors["title_uk"] = WRITE_TEXT
    payload: dict[str, Any] = {"texts": texts}
    chosen = [f for f in ("embargo_until", "embargo_exchange", "embargo_operation") if values[f]]
    if len(chosen) > 1:
        errors[chosen[1]] = ONE_EMBARGO
    elif chosen == ["embargo_until"]:
        try:
            until = datetime.fromisoformat(values["embargo_until"])
            payload["embargo"] = {"until": (until if until.tzinfo else until.replace(tzinfo=UTC)).isoformat()}
        except ValueError:
            errors["embargo_until"] = NOT_A_TIME
    elif chosen:
        payload["embargo"] = {chosen[0].removeprefix("embargo_"): values[chosen[0]]}
    refs = []
    for line in values["references"].splitlines():
        obj, _, ident = line.strip().partition(" ")
        if obj:
            refs.append({"object": obj, "id": ident.strip()})
    if refs:
        payload["references"] = refs
    if values["corrects"]:
        payload["corrects"] = values["corrects"]
    return payload, errors


def _field(exc: ParleyError) -> str:
    f = (exc.field or "").removeprefix("payload.")
    parts = [p for p in f.split(".") if p and not p.isdigit()]
    if parts[:1] == ["texts"] and len(parts) >= 3:
        return f"{parts[2]}_{parts[1]}"
    if parts[:1] == ["embargo"] and len(parts) >= 2:
        return f"embargo_{parts[1]}"
    if parts[:1] in (["references"], ["corrects"]):
        return parts[0]
    if parts[:1] == ["embargo"]:
        return "embargo_until"
    return "form"


@router.post("/press", response_class=HTMLResponse)
async def draft(request: Request, s: Db, who: Who) -> Response:
    """Draft a statement: its text in one or more languages, what it speaks of, its embargo."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    values = {f: str(form.get(f, ""))[:20000].strip() for f in FIELDS}
    payload, errors = _draft_payload(values)
    if errors:
        return _desk(request, s, who, 400, errors, values)
    sid = new_id(who.party, "statement")
    try:
        await submit_as_async(request.app.state.runtime, s, who, "statement.draft", k.audience_for(who.party),
                              {"statement": sid, "version": 1, **payload})
    except ParleyError as exc:
        s.rollback()
        return _desk(request, s, who, 400, {_field(exc): refusal(exc)}, values)
    return RedirectResponse(f"/press#statement-{sid}", status_code=303)


async def _act(request: Request, s: Session, who: Principal, kind: str, payload: dict[str, Any]) -> Response:
    try:
        await submit_as_async(request.app.state.runtime, s, who, kind, k.audience_for(who.party), payload)
    except ParleyError as exc:
        s.rollback()
        return _desk(request, s, who, 400, {"form": refusal(exc)})
    return RedirectResponse(f"/press#statement-{payload['statement']}", status_code=303)


@router.post("/press/{statement_id}/approve", response_class=HTMLResponse)
async def approve(request: Request, s: Db, who: Who, statement_id: str) -> Response:
    """Approve the version read, by its number and the SHA-256 the page showed."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    version = str(form.get("version", ""))
    return await _act(request, s, who, "statement.approve", {
        "statement": statement_id[:64], "version": int(version) if version.isdigit() and len(version) < 5 else 0,
        "sha256": str(form.get("sha256", ""))[:64]})


@router.post("/press/{statement_id}/withdraw", response_class=HTMLResponse)
async def withdraw(request: Request, s: Db, who: Who, statement_id: str) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    reason = str(form.get("reason", ""))[:2000].strip()
    if not reason:
        return _desk(request, s, who, 400, {"form": N_("Write why the statement is withdrawn.")})
    return await _act(request, s, who, "statement.withdraw", {"statement": statement_id[:64], "reason": reason})


@router.post("/press/figures", response_class=HTMLResponse)
async def release_figures(request: Request, s: Db, who: Who) -> Response:
    """Release figures of the party's own records as Parley computes them: an operation's outcome, or its inquiries
    until a day (``figures.release``, public at once)."""
    from datetime import date

    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    subject = str(form.get("subject", ""))
    try:
        svc.require_figure_releaser(who)
        until = date.fromisoformat(str(form.get("until", ""))[:10]) if subject == "inquiries" else None
        payload = svc.figures_payload(s, who.party, subject, str(form.get("operation", ""))[:64] or None, until)
        await submit_as_async(request.app.state.runtime, s, who, "figures.release", ["all"], payload)
    except ValueError:
        return _desk(request, s, who, 400, {"figures": NOT_A_DAY})
    except ParleyError as exc:
        s.rollback()
        return _desk(request, s, who, 400, {"figures": refusal(exc)})
    return RedirectResponse("/press#figures", status_code=303)
