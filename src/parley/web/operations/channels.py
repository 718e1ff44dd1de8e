"""Standing channels: the "channels of communication and interaction" between designated members of two or more
parties, not tied to one operation (a talks process's, a point's, or a military-to-military line). The list with
the form that opens one; a channel's page, whose opening by a designated member signs the reading of the messages
addressed to the member's party, with the form that posts to it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from parley.errors import ParleyError
from parley.operations import rules
from parley.operations import service as svc
from parley.operations.models import StandingChannel
from parley.parties.models import Member, Party
from parley.parties.principal import Principal
from parley.records.ids import new_id
from parley.submit import submit_as
from parley.talks import service as talks
from parley.web.i18n import N_
from parley.web.operations.common import _field, _parties, _submit, page
from parley.web.refusals import refusal
from parley.web.routes import Db, Who, check_csrf, lang_of, not_found

router = APIRouter(include_in_schema=False)
OPEN_FIELDS = {"title", "parties", "members", "mediator", "process", "urgent_read_minutes", "note"}
NO_SUCH = N_("There is no such channel, or you may not read it.")


def _candidates(s: Session) -> list[Member]:
    """Members who may be designated: active negotiators, liaison officers and admins of a belligerent or a
    mediator."""
    kinds = {p.slug: p.kind for p in s.execute(select(Party)).scalars()}
    return [m for m in s.execute(select(Member).where(Member.active.is_(True)).order_by(Member.id)).scalars()
            if m.role_set & rules.WRITERS and kinds.get(m.party) in ("belligerent", "mediator")]


def _list_page(request: Request, s: Session, who: Principal, status: int = 200, values: dict[str, Any] | None = None,
               errors: dict[str, Any] | None = None) -> HTMLResponse:
    lang = lang_of(request)
    channels = svc.standing_channels(s, who)
    last = {c.id: (msgs[-1] if (msgs := svc.standing_messages(s, who, c)) else None) for c in channels}
    parties = list(s.execute(select(Party).order_by(Party.slug)).scalars())
    return page(request, "channels.html", status, who=who, channels=channels, last=last, names=_parties(s, lang),
                belligerents=[p.slug for p in parties if p.kind == "belligerent"],
                mediators=[p.slug for p in parties if p.kind == "mediator"], candidates=_candidates(s),
                processes=talks.processes(s, who), can_open=rules.states_operations(who),
                values=values or {"parties": [], "members": []}, errors=errors or {})


@router.get("/channels", response_class=HTMLResponse)
def channels_page(request: Request, s: Db, who: Who) -> HTMLResponse:
    return _list_page(request, s, who)


@router.post("/channels", response_class=HTMLResponse)
async def open_channel(request: Request, s: Db, who: Who) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    values: dict[str, Any] = {
        "title": str(form.get("title", ""))[:200], "parties": [str(x) for x in form.getlist("parties")][:4],
        "members": [str(x) for x in form.getlist("members")][:40], "mediator": str(form.get("mediator", "")),
        "process": str(form.get("process", "")), "urgent_read_minutes": str(form.get("urgent_read_minutes", "")),
        "note": str(form.get("note", ""))[:4000]}
    payload: dict[str, Any] = {"id": new_id(who.party, "channel"), "title": values["title"],
                               "parties": values["parties"], "members": values["members"], "note": values["note"]}
    for name in ("mediator", "process"):
        if values[name]:
            payload[name] = values[name]
    if values["urgent_read_minutes"].strip():
        try:
            payload["urgent_read_minutes"] = int(values["urgent_read_minutes"])
        except ValueError:
            return _list_page(request, s, who, 400, values,
                              {"urgent_read_minutes": N_("Give the minutes as a whole number.")})
    sides = [*values["parties"], *([values["mediator"]] if values["mediator"] else [])]
    audience = sorted({f"party:{p}" for p in sides} or {f"party:{who.party}"})
    try:
        await _submit(request, s, who, "channel.open", audience, payload)
    except ParleyError as exc:
        s.rollback()
        return _list_page(request, s, who, 400, values, {_field(exc, OPEN_FIELDS): refusal(exc)})
    return RedirectResponse(f"/channels/{payload['id']}", status_code=303)


def _mark_read(request: Request, s: Session, who: Principal, ch: StandingChannel) -> None:
    """Opening the page is reading the channel, for a designated member: one signed read receipt per message to
    the member's party not yet read."""
    rt = request.app.state.runtime
    wrote = False
    for idx in svc.unreceipted_standing(s, who, ch, "read"):
        try:
            submit_as(rt, s, who, "channel.receipt", ch.audience.split(","), {"message": idx, "state": "read"})
            wrote = True
        except ParleyError:
            break  # no web key: the page still shows
    if wrote:
        s.expire_all()


def _channel_page(request: Request, s: Session, who: Principal, channel_id: str, status: int = 200,
                  values: dict[str, Any] | None = None, errors: dict[str, Any] | None = None) -> HTMLResponse:
    try:
        ch = svc.standing_channel(s, who, channel_id)
    except ParleyError:
        return not_found(request, who, NO_SUCH)
    if request.method == "GET":
        _mark_read(request, s, who, ch)
    lang = lang_of(request)
    process = point = None
    if ch.process:
        try:
            process = talks.process(s, who, ch.process)
        except ParleyError:
            process = None
    if ch.point:
        try:
            point = talks.point(s, who, ch.point)
        except ParleyError:
            point = None
    return page(request, "channel.html", status, who=who, ch=ch, messages=svc.standing_messages(s, who, ch),
                names=_parties(s, lang), process=process, point=point,
                can_post=rules.may_use_standing(who, ch), values=values or {}, errors=errors or {})


@router.get("/channels/{channel_id}", response_class=HTMLResponse)
def channel_page(request: Request, s: Db, who: Who, channel_id: str) -> HTMLResponse:
    return _channel_page(request, s, who, channel_id)


@router.post("/channels/{channel_id}/messages", response_class=HTMLResponse)
async def post_message(request: Request, s: Db, who: Who, channel_id: str) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    values = {"text": str(form.get("text", ""))[:4000], "urgent": bool(form.get("urgent"))}
    try:
        ch = svc.standing_channel(s, who, channel_id)
    except ParleyError:
        return not_found(request, who, NO_SUCH)
    try:
        await _submit(request, s, who, "channel.post", ch.audience.split(","), {"channel": ch.id, **values})
    except ParleyError as exc:
        s.rollback()
        return _channel_page(request, s, who, channel_id, 400, values, {_field(exc, {"text"}): refusal(exc)})
    return RedirectResponse(f"/channels/{channel_id}#messages", status_code=303)
