"""The families' public pages, without an account: following an inquiry with its reference and secret
(``/family``), and asking a party directly (``/family/new``); attempts and filings limited per address."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from parley.errors import ParleyError
from parley.parties.credentials import HashBusy
from parley.parties.models import Party
from parley.parties.principal import Principal
from parley.parties.sessions import address_key, client_address
from parley.people import kinds as k
from parley.people import service as svc
from parley.people.models import Inquiry
from parley.submit import submit_as
from parley.web.i18n import N_
from parley.web import i18n
from parley.web.labels import ADDITION_LABELS, CHANNEL_LABELS, STATUS_LABELS
from parley.web.people.common import SOUGHT_FIELDS, _field, _sought, page
from parley.web.refusals import refusal
from parley.web.routes import Db, check_csrf, render

router = APIRouter(include_in_schema=False)

# -- the family's page -----------------------------------------------------------------------------
FAMILY_ATTEMPTS = svc.FAMILY_ATTEMPTS


def _family(request: Request, status: int = 200, **ctx: Any) -> HTMLResponse:
    response = render(request, "family.html", status, who=None, status_label=lambda x: STATUS_LABELS.get(x, x),
                      addition_label=lambda f: ADDITION_LABELS.get(f, f),
                      channel_label=lambda c: CHANNEL_LABELS.get(c, c),
                      channels=k.CONTACT_CHANNELS, message_languages=list(i18n.NAMES.items()),
                      **{"view": None, "values": {}, "errors": {}, "secret": "", **ctx})
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/family", response_class=HTMLResponse)
def family_form(request: Request) -> HTMLResponse:
    return _family(request)


def _direct_form(request: Request, s: Session, status: int = 200, values: dict[str, Any] | None = None,
                 errors: dict[str, Any] | None = None) -> HTMLResponse:
    parties = [p for p in (s.get(Party, slug) for slug in svc.intake_parties(s)) if p is not None]
    response = page(request, s, "inquiry_new.html", status, who=None, public=True, parties=parties,
                      values=values or {}, errors=errors or {}, categories=k.CATEGORIES)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/family/new", response_class=HTMLResponse)
def family_new(request: Request, s: Db) -> HTMLResponse:
    """A family files its inquiry itself, without an account, to a party that takes them directly."""
    return _direct_form(request, s)


@router.post("/family/new", response_class=HTMLResponse)
async def family_file(request: Request, s: Db) -> Response:
    form = await request.form(max_fields=30)
    check_csrf(request, str(form.get("csrf", "")))
    values, sought, errors = _sought(form)
    values["party"] = str(form.get("party", ""))[:64]
    if values["party"] not in svc.intake_parties(s):
        errors["party"] = N_("Choose whom you ask.")
    address = address_key(client_address(request))
    limits = svc.public_limits(request.app.state)
    if not errors and limits.filings.blocked(address):
        errors["form"] = N_("Too many inquiries from your address. Wait an hour and try again.")
    if errors:
        return _direct_form(request, s, 429 if "form" in errors else 400, values, errors)
    limits.filings.count(address)
    rt = request.app.state.runtime

    def submit(who: Principal, kind: str, audience: list[str], payload: dict[str, Any], local: dict[str, Any]) -> Any:
        return submit_as(rt, s, who, kind, audience, payload, local=local)

    try:
        ref, secret, _ = await run_in_threadpool(svc.file_directly, s, submit, values["party"], sought,
                                                 values["relationship"][:200], values["contact"])
    except HashBusy as exc:
        response = _direct_form(request, s, 503, values, {"form": N_("The server is busy. Try again in a moment.")})
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except ParleyError as exc:
        s.rollback()
        return _direct_form(request, s, 400, values,
                            {_field(exc, {*SOUGHT_FIELDS, "relationship", "contact", "party"}): refusal(exc)})
    party = s.get(Party, values["party"])
    response = page(request, s, "family_filed.html", 201, who=None, reference=ref, secret=secret, party=party)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/family", response_class=HTMLResponse)
async def family_page(request: Request, s: Db) -> Response:
    form = await request.form(max_fields=10)
    check_csrf(request, str(form.get("csrf", "")))
    reference = str(form.get("reference", ""))[:80].strip()
    secret = str(form.get("secret", ""))[:100]
    i = await _checked(request, s, reference, secret)
    if not isinstance(i, Inquiry):
        return i
    return _family(request, view=await run_in_threadpool(svc.family_view_of, s, i), secret=secret)


async def _checked(request: Request, s: Session, reference: str, secret: str) -> Inquiry | HTMLResponse:
    """The inquiry of this reference and secret, or the page that says why not: too many wrong attempts from
    this address, the hashing gate saturated, or no such inquiry (a wrong attempt counted)."""
    address = address_key(client_address(request))
    family_attempts = svc.public_limits(request.app.state).family
    if family_attempts.blocked(address):
        return _family(request, 429, values={"reference": reference}, errors={
            "secret": N_("Too many wrong attempts from your address. Wait a quarter of an hour and try again.")})
    try:
        i = await run_in_threadpool(svc.family_inquiry, s, reference, secret)
    except HashBusy as exc:
        response = _family(request, 503, values={"reference": reference}, errors={
            "secret": N_("The server is busy. Try again in a moment.")})
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if i is None:
        family_attempts.count(address)
        return _family(request, 400, values={"reference": reference},
                       errors={"secret": N_("No inquiry has this reference and secret.")})
    return i


# The refusals of an addition that belong beside one field of the form.
ADDITION_REFUSALS = {"inquiry.notify_needs_email": "contact_email", "inquiry.dna_reference": "dna_reference"}


@router.post("/family/add", response_class=HTMLResponse)
async def family_add(request: Request, s: Db) -> Response:
    """The family adds to its inquiry from its page (its reference and secret come again with the form)."""
    form = await request.form(max_fields=20)
    check_csrf(request, str(form.get("csrf", "")))
    reference = str(form.get("reference", ""))[:80].strip()
    secret = str(form.get("secret", ""))[:100]
    values: dict[str, Any] = {f: str(form.get(f, ""))[:4000].strip() for f in k.ADDITION_FIELDS if f != "notify"}
    values["notify"] = form.get("notify") in ("1", "on", "true")
    i = await _checked(request, s, reference, secret)
    if not isinstance(i, Inquiry):
        return i
    rt = request.app.state.runtime

    def submit(who: Principal, kind: str, audience: list[str], payload: dict[str, Any], local: dict[str, Any]) -> Any:
        return submit_as(rt, s, who, kind, audience, payload, local=local)

    errors: dict[str, Any] = {}
    if values["contact_channel"] and values["contact_channel"] not in k.CONTACT_CHANNELS:
        errors["contact_channel"] = N_("Choose one of the ways offered.")
    if values["contact_language"] not in ("", *i18n.NAMES):
        values["contact_language"] = ""
    if not errors:
        try:
            await run_in_threadpool(svc.add_from_family, s, submit, i, values)
        except ParleyError as exc:
            s.rollback()
            errors[ADDITION_REFUSALS.get(str(exc.params.get("reason") or exc.refusal),
                                         _field(exc, {*k.ADDITION_FIELDS}))] = refusal(exc)
    view = await run_in_threadpool(svc.family_view_of, s, i)
    if errors:
        return _family(request, 400, view=view, secret=secret, values=values, errors=errors)
    return _family(request, view=view, secret=secret, added_ok=True)
