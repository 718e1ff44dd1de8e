"""What the registry's pages share (``parley.web.people``): the Geneva Conventions' fields as the pages group
them, the messages the pages put in ``errors``, the page renderer with the registry's labels and offers, the
refusal of a member who may not read the registry or do what a page is for, and the forms' helpers (dates,
the field a refusal names, the parties for the selects, a match decision, an inquiry's sought person).

Reads go through ``people.service`` (filtered by audience and role: press and liaison officers never read
personal data); every write is a record signed with the member's web key, refusals shown beside the field.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from parley.errors import ParleyError
from parley.parties.models import Party
from parley.parties.principal import Principal
from parley.people import access
from parley.people import percent
from parley.people import kinds as k
from parley.people import rules
from parley.people import service as svc
from parley.submit import submit_as_async
from parley.web import i18n
from parley.web.i18n import N_
from parley.web.labels import (
    ACCESS_LABELS, ADDITION_LABELS, CATEGORY_LABELS, CHANNEL_LABELS, DECISION_LABELS, DETAIL_LABELS, EVENT_LABELS,
    FIELD_LABELS, ROW_LABELS, SEX_LABELS, SOURCE_LABELS, STATUS_LABELS,
)
from parley.web.refusals import reason as row_reason
from parley.web.refusals import refusal
from parley.web.routes import lang_of, render, templates

templates.env.globals["may_read_people"] = svc.may_read_people

# The Geneva Conventions' fields of a person, grouped as the person page and the form show them.
FIELD_GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (N_("Identity"), N_("GC III Art. 17, 70, 122; GC IV Art. 138"),
     ("surname", "first_name", "patronymic", "mother_maiden_name", "sex", "birth_date", "birth_place", "citizenship")),
    (N_("Service"), N_("GC III Art. 17"), ("rank", "service_number", "unit", "power_depended_on")),
    (N_("Capture and detention"), N_("GC III Art. 70, 122; GC IV Art. 136-138"),
     ("capture_date", "capture_place", "held_at", "health", "person_to_inform")),
    (N_("Death and burial"), N_("GC I Art. 16-17; GC III Art. 120"),
     ("death_date", "death_place", "cause_of_death", "burial_place", "grave_marking")),
    (N_("Other"), "", ("external_id", "notes")),
)
DATE_FIELDS = ("birth_date", "capture_date", "death_date", "last_seen_date")
SOUGHT_FIELDS = ("surname", "first_name", "patronymic", "birth_date", "birth_place", "service_number", "rank", "unit",
                 "last_seen_date", "last_seen_place", "category", "notes")

# Messages the registry's pages put in ``errors`` or pass as a page's title or message (translated in templates).
NOT_READER = N_("Personal data in the registry is read by registrars, negotiators, admins, auditors and mediators "
                "only. Press and liaison officers see the figures their party releases, never the persons.")
NOT_WRITER = N_("Only registrars and admins register persons, import lists and answer inquiries.")
ENTER_DATE = N_("Enter a date as 14.03.1991, 1991-03-14, 03.1991 or a year; not in the future.")
MESSAGES = (
    NOT_READER, NOT_WRITER, N_("Not allowed"), N_("Not found"),
    N_("There is no such person, or you may not read this record."),
    N_("There is no such list, or you may not read it."),
    N_("There is no such inquiry, or you may not read it."),
    ENTER_DATE,
    N_("Enter the surname."), N_("Choose a category."), N_("Choose a file (XLSX or CSV)."),
    N_("The file is over 20 MB."), N_("The file is empty."),
    N_("The uploaded file has expired or belongs to another session; upload it again."),
    N_("This field is already read from column {col}."),
    N_("Map a column to the surname or to the full name."),
    N_("Write what the family is told."),
    N_("No inquiry has this reference and secret."),
    N_("Too many wrong attempts from your address. Wait a quarter of an hour and try again."),
)


def name_of(p: Any) -> str:
    return " ".join(x for x in (p.surname, p.first_name, p.patronymic) if x)


def probability(p: float | None, lang: str = "en") -> str:
    """A probability as every page, the command line and the exports show it (``people.percent``)."""
    return percent.probability(p, lang)


def page(request: Request, s: Session, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    lang = lang_of(request)
    attr = {"uk": Party.name_uk, "ru": Party.name_ru}.get(lang, Party.name_en)
    names = dict(s.execute(select(Party.slug, attr)).all())  # type: ignore[arg-type]
    return render(request, name, status, names=names, category_label=lambda c: CATEGORY_LABELS.get(c or "", c or ""),
                  event_label=lambda e: EVENT_LABELS.get(e or "", e or ""),
                  detail_label=lambda d: DETAIL_LABELS.get(d or "", d or ""),
                  source_label=lambda d: SOURCE_LABELS.get(d or "", d or ""),
                  access_label=lambda d: ACCESS_LABELS.get(d or "", d or ""),
                  field_label=lambda f: FIELD_LABELS.get(f or "", f or ""),
                  sex_label=lambda x: SEX_LABELS.get(x or "", x or ""), status_label=lambda x: STATUS_LABELS.get(x, x),
                  decision_label=lambda x: DECISION_LABELS.get(x, x), row_label=lambda x: ROW_LABELS.get(x, x),
                  row_reason=row_reason, name_of=name_of, probability=lambda p: probability(p, lang),
                  search_share=percent.search_share,
                  decimal=lambda v, digits=2: i18n.decimal(lang, v, digits), field_groups=FIELD_GROUPS,
                  addition_label=lambda f: ADDITION_LABELS.get(f, f), channel_label=lambda c: CHANNEL_LABELS.get(c, c),
                  language_name=lambda code: i18n.NAMES.get(code, code), addition_fields=k.ADDITION_FIELDS,
                  **_offers(ctx.get("who")), **ctx)


def _offers(who: Principal | None) -> dict[str, bool]:
    """What every registry page offers ``who`` (links and forms), each by its rule in ``people.rules``."""
    return {"can_register": who is not None and rules.may_register(who),
            "can_import": who is not None and rules.may_import_list(who),
            "can_file": who is not None and rules.may_file_inquiry(who),
            "can_decide": who is not None and rules.may_decide_match(who),
            "can_read_access": who is not None and access.may_read_requests(who)}


def _refuse_non_writer(request: Request, who: Principal, allowed: bool) -> HTMLResponse | None:
    """The refusal page for a member who may not read the registry, or may not do what the page is for
    (``allowed``, a rule of ``people.rules``), else None."""
    if not _reader(who):
        return forbidden(request, who)
    if not allowed:
        return forbidden(request, who, NOT_WRITER)
    return None


def forbidden(request: Request, who: Principal | None, message: str = NOT_READER) -> HTMLResponse:
    return render(request, "error.html", 403, who=who, title=N_("Not allowed"), message=message)


def _reader(who: Principal) -> bool:
    return svc.may_read_people(who)


def _date(value: str) -> str | None:
    """A date as the form may write it (dd.mm.yyyy, yyyy-mm-dd, mm.yyyy, yyyy) → ISO, or None if it is not one."""
    from parley.people.spreadsheet import parse_date

    try:
        return parse_date(value)
    except ValueError:
        return None


def _field(exc: ParleyError, known: set[str] | tuple[str, ...]) -> str:
    f = (exc.field or "").removeprefix("payload.")
    for prefix in ("person.", "sought."):
        f = f.removeprefix(prefix)
    return f if f in known else "form"


async def _submit(request: Request, s: Session, who: Principal, kind: str, audience: list[str], payload: Any,
                  local: dict[str, Any] | None = None) -> Any:
    return await submit_as_async(request.app.state.runtime, s, who, kind, audience, payload, local=local)


def _parties(s: Session) -> tuple[list[Party], list[Party]]:
    """(parties that report persons, belligerent parties) for the selects."""
    rows = list(s.execute(select(Party).order_by(Party.kind, Party.slug)).scalars())
    return [p for p in rows if p.kind in ("belligerent", "mediator")], [p for p in rows if p.kind == "belligerent"]


# -- what two page groups share: a match decision, an inquiry's sought person -----------------------
async def _decide(request: Request, s: Session, who: Principal, form: Any) -> tuple[Any | None, str]:
    """Record a match decision from a form; (error or None, the pair's key)."""
    left, right = str(form.get("left", ""))[:64], str(form.get("right", ""))[:64]
    key = f"{left}|{right}"
    try:
        a, b = svc.person(s, who, left), svc.person(s, who, right)
    except ParleyError as exc:
        return refusal(exc), key
    payload: dict[str, Any] = {"left": a.id, "right": b.id, "decision": str(form.get("decision", ""))[:16],
                               "note": str(form.get("note", ""))[:4000]}
    raw = str(form.get("probability", ""))[:20]
    try:
        prob = float(raw)
    except ValueError:
        prob = None
    if prob is not None and 0 <= prob <= 1:
        payload["probability"] = round(prob, 6)
    try:
        await _submit(request, s, who, "match.decide", svc.decision_audience(a, b), payload)
    except ParleyError as exc:
        s.rollback()
        return refusal(exc), key
    return None, key


async def _withdraw(request: Request, s: Session, who: Principal, form: Any) -> Any | None:
    """Reverse a match decision from a form (``match.withdraw``): None, or the refusal to show."""
    try:
        d = svc.decision(s, who, int(str(form.get("decision", "0"))[:20] or 0))
    except (ParleyError, ValueError) as exc:
        return refusal(exc) if isinstance(exc, ParleyError) else N_("There is no such decision.")
    reason = str(form.get("reason", ""))[:4000].strip()
    if not reason:
        return N_("Say why the decision is reversed.")
    try:
        await _submit(request, s, who, "match.withdraw", d.audience.split(","),
                      {"decision": d.idx, "left": d.left, "right": d.right, "reason": reason})
    except ParleyError as exc:
        s.rollback()
        return refusal(exc)
    return None


def _sought(form: Any) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(values as typed, the sought person's fields, errors beside the field) from an inquiry form."""
    values = {f: str(form.get(f, ""))[:4000].strip() for f in (*SOUGHT_FIELDS, "relationship", "contact")}
    errors: dict[str, Any] = {}
    sought = {f: values[f] for f in SOUGHT_FIELDS if values[f]}
    for f in ("birth_date", "last_seen_date"):
        if values[f]:
            iso = _date(values[f])
            if iso is None:
                errors[f] = ENTER_DATE
            else:
                sought[f] = iso
    if not values["surname"]:
        errors["surname"] = N_("Enter the surname.")
    if values["category"] and values["category"] not in k.CATEGORIES:
        errors["category"] = N_("Choose a category.")
    return values, sought, errors
