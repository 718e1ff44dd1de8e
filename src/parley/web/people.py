"""Pages of the registry of persons: search in any script, a person's Geneva Conventions record with its status
timeline and the other parties' records of the same person, registering a person, the list import wizard with
its row report, the review queue of candidate matches, families' inquiries, and the family's own page.

Reads go through ``people.service`` (filtered by audience and role: press and liaison officers never read
personal data); every write is a record signed with the member's web key, refusals shown beside the field.
An uploaded list waits between the wizard's steps in a file under the data directory, named by a random
token that only the uploading member's session knows, removed after the import or after an hour.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from parley.errors import ParleyError
from parley.parties.credentials import HashBusy
from parley.parties.models import Party
from parley.parties.principal import Principal
from parley.parties.sessions import address_key, client_address
from parley.people import kinds as k
from parley.people import rules
from parley.people import service as svc
from parley.people.models import PERSON_FIELDS, Person
from parley.submit import submit_as, submit_as_async
from parley.web import i18n
from parley.web.i18n import N_
from parley.web.labels import (
    CATEGORY_LABELS, DECISION_LABELS, EVENT_LABELS, FIELD_LABELS, ROW_LABELS, SEX_LABELS, STATUS_LABELS,
)
from parley.web.refusals import reason as row_reason
from parley.web.refusals import refusal
from parley.web.routes import Db, Who, check_csrf, lang_of, not_found, render, templates

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
templates.env.globals["may_read_people"] = svc.may_read_people

PAGE_ROWS = 500
UPLOAD_TTL = 3600  # seconds an uploaded list waits for its import
MAX_UPLOAD = 20 << 20
SAMPLE_ROWS = 8

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
TEXT_FIELDS = ("health", "cause_of_death", "person_to_inform", "notes")
DATE_FIELDS = ("birth_date", "capture_date", "death_date", "last_seen_date")
SOUGHT_FIELDS = ("surname", "first_name", "patronymic", "birth_date", "birth_place", "service_number", "rank", "unit",
                 "last_seen_date", "last_seen_place", "category", "notes")
# Review: the fields shown side by side (the compared ones first).
REVIEW_FIELDS = ("surname", "first_name", "patronymic", "birth_date", "birth_place", "service_number", "rank",
                 "unit", "category", "held_at", "capture_date", "capture_place")

# Messages this module puts in ``errors`` or passes as a page's title or message (translated in templates).
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
    """A probability as a percentage, written as the language writes numbers: "99,4 %" in uk and ru."""
    if p is None:
        return "—"
    if p < 0.0005:
        return f"< {i18n.decimal(lang, 0.1, 1)} %"
    if p >= 0.9995:
        return f"> {i18n.decimal(lang, 99.9, 1)} %"
    return f"{i18n.decimal(lang, p * 100, 1)} %"


def col_letter(index: int) -> str:
    """Excel's letters of a 0-based column index: 0 → A, 27 → AB."""
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def page(request: Request, s: Session, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    lang = lang_of(request)
    attr = {"uk": Party.name_uk, "ru": Party.name_ru}.get(lang, Party.name_en)
    names = dict(s.execute(select(Party.slug, attr)).all())  # type: ignore[arg-type]
    return render(request, name, status, names=names, category_label=lambda c: CATEGORY_LABELS.get(c or "", c or ""),
                  event_label=lambda e: EVENT_LABELS.get(e or "", e or ""),
                  field_label=lambda f: FIELD_LABELS.get(f or "", f or ""),
                  sex_label=lambda x: SEX_LABELS.get(x or "", x or ""), status_label=lambda x: STATUS_LABELS.get(x, x),
                  decision_label=lambda x: DECISION_LABELS.get(x, x), row_label=lambda x: ROW_LABELS.get(x, x),
                  row_reason=row_reason, name_of=name_of, probability=lambda p: probability(p, lang),
                  decimal=lambda v, digits=2: i18n.decimal(lang, v, digits), field_groups=FIELD_GROUPS,
                  **_offers(ctx.get("who")), **ctx)


def _offers(who: Principal | None) -> dict[str, bool]:
    """What every registry page offers ``who`` (links and forms), each by its rule in ``people.rules``."""
    return {"can_register": who is not None and rules.may_register(who),
            "can_import": who is not None and rules.may_import_list(who),
            "can_file": who is not None and rules.may_file_inquiry(who),
            "can_decide": who is not None and rules.may_decide_match(who)}


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


# -- the registry ----------------------------------------------------------------------------------
def _filtered(s: Session, who: Principal, q: str, category: str, party: str, wounded: str,
              list_id: str = "") -> tuple[list[tuple[Person, float | None]], bool]:
    rows = svc.select_persons(s, who, q=q, category=category or None, party=party or None,
                              wounded={"yes": True, "no": False}.get(wounded), list_id=list_id or None,
                              limit=PAGE_ROWS + 1)
    return rows[:PAGE_ROWS], len(rows) > PAGE_ROWS


@router.get("/people", response_class=HTMLResponse)
def people_page(request: Request, s: Db, who: Who, q: str = "", category: str = "", party: str = "",
                wounded: str = "") -> HTMLResponse:
    if not _reader(who):
        return forbidden(request, who)
    q, category, party, wounded = q[:200], category[:16], party[:64], wounded[:3]
    rows, more = _filtered(s, who, q, category, party, wounded)
    reporters, _ = _parties(s)
    filters = {"q": q, "category": category, "party": party, "wounded": wounded}
    query = urlencode({k_: v for k_, v in filters.items() if v})
    return page(request, s, "people.html", who=who, rows=rows, more=more, filters=filters, reporters=reporters,
                categories=k.CATEGORIES, export_query=query, searching=bool(q.strip()))


@router.get("/people.{fmt}")
def export_people(request: Request, s: Db, who: Who, fmt: str, q: str = "", category: str = "", party: str = "",
                  wounded: str = "", list: str = "") -> Response:
    """The table as shown (same filters), as CSV or XLSX, through the API's export (formula-safe)."""
    from parley.people.export import persons_file

    if not _reader(who):
        return forbidden(request, who)
    if fmt not in ("csv", "xlsx"):
        return not_found(request, who, N_("There is no such page."))
    flag = {"yes": True, "no": False}.get(wounded[:3])
    rows = [p for p, _ in svc.select_persons(s, who, q=q[:200], category=category[:16] or None,
                                             party=party[:64] or None, wounded=flag, list_id=list[:64] or None,
                                             limit=1_000_000)]
    return persons_file(fmt, rows, "persons")


# -- registering a person --------------------------------------------------------------------------
def _new_form(request: Request, s: Session, who: Principal, status: int = 200, values: dict[str, Any] | None = None,
              errors: dict[str, Any] | None = None) -> HTMLResponse:
    _, belligerents = _parties(s)
    defaults: dict[str, Any] = {"category": "pow", "own_party": ""}
    return page(request, s, "person_new.html", status, who=who, values={**defaults, **(values or {})},
                errors=errors or {}, categories=k.CATEGORIES, belligerents=belligerents, text_fields=TEXT_FIELDS)


@router.get("/people/new", response_class=HTMLResponse)
def new_person(request: Request, s: Db, who: Who) -> HTMLResponse:
    if (refused := _refuse_non_writer(request, who, rules.may_register(who))) is not None:
        return refused
    return _new_form(request, s, who)


@router.post("/people/new", response_class=HTMLResponse)
async def register_person(request: Request, s: Db, who: Who) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    if (refused := _refuse_non_writer(request, who, rules.may_register(who))) is not None:
        return refused
    values: dict[str, Any] = {f: str(form.get(f, ""))[:4000].strip() for f in PERSON_FIELDS}
    values["category"] = str(form.get("category", ""))[:16]
    values["own_party"] = str(form.get("own_party", ""))[:64]
    values["seriously_wounded"] = bool(form.get("seriously_wounded"))
    errors: dict[str, Any] = {}
    fields = dict(values)
    for f in ("birth_date", "capture_date", "death_date"):
        if values[f]:
            iso = _date(values[f])
            if iso is None:
                errors[f] = ENTER_DATE
            fields[f] = iso or ""
    if not values["surname"]:
        errors["surname"] = N_("Enter the surname.")
    if values["category"] not in k.CATEGORIES:
        errors["category"] = N_("Choose a category.")
    if errors:
        return _new_form(request, s, who, 400, values, errors)
    pid = svc.new_person_id(who.party)
    payload: dict[str, Any] = {"id": pid, "category": values["category"], "person": k.person_payload(fields),
                               "seriously_wounded": values["seriously_wounded"]}
    own = values["own_party"] or None
    if own:
        payload["own_party"] = own
    try:
        await _submit(request, s, who, "person.register", k.person_audience(who.party, own), payload)
    except ParleyError as exc:
        s.rollback()
        f = _field(exc, {*PERSON_FIELDS, "category", "own_party", "seriously_wounded"})
        if (exc.field or "") == "audience":
            f = "own_party"
        return _new_form(request, s, who, 400, values, {f: refusal(exc)})
    return RedirectResponse(f"/people/{pid}", status_code=303)


# -- a person --------------------------------------------------------------------------------------
def _person_page(request: Request, s: Session, who: Principal, pid: str, status: int = 200,
                 values: dict[str, Any] | None = None, errors: dict[str, Any] | None = None) -> HTMLResponse:
    try:
        p = svc.person(s, who, pid)
    except ParleyError:
        return not_found(request, who, N_("There is no such person, or you may not read this record."))
    decisions = []
    for d in svc.decisions(s, who, p):
        other_id = d.right if d.left == p.id else d.left
        try:
            other: Person | None = svc.person(s, who, other_id)
        except ParleyError:
            other = None
        decisions.append((d, other_id, other))
    return page(request, s, "person.html", status, who=who, p=p, events=svc.events(s, who, p),
                same=svc.same_as(s, who, p), decisions=decisions, event_kinds=k.EVENTS,
                may_event=rules.may_record_event(who),
                values=values or {}, errors=errors or {})


@router.get("/people/{pid}", response_class=HTMLResponse)
def person_page(request: Request, s: Db, who: Who, pid: str) -> HTMLResponse:
    if not _reader(who):
        return forbidden(request, who)
    return _person_page(request, s, who, pid[:64])


@router.post("/people/{pid}/events", response_class=HTMLResponse)
async def add_event(request: Request, s: Db, who: Who, pid: str) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    if not _reader(who):
        return forbidden(request, who)
    values = {f: str(form.get(f, ""))[:4000].strip() for f in ("event", "date", "place", "note", "seriously_wounded")}
    try:
        p = svc.person(s, who, pid[:64])
    except ParleyError:
        return not_found(request, who, N_("There is no such person, or you may not read this record."))
    errors: dict[str, Any] = {}
    iso = ""
    if values["date"]:
        iso = _date(values["date"]) or ""
        if not iso:
            errors["date"] = ENTER_DATE
    if errors:
        return _person_page(request, s, who, p.id, 400, values, errors)
    payload: dict[str, Any] = {"person": p.id, "event": values["event"], "date": iso, "place": values["place"],
                               "note": values["note"]}
    if values["seriously_wounded"] in ("yes", "no"):
        payload["seriously_wounded"] = values["seriously_wounded"] == "yes"
    try:
        await _submit(request, s, who, "person.event", p.audience.split(","), payload)
    except ParleyError as exc:
        s.rollback()
        return _person_page(request, s, who, p.id, 400, values,
                            {_field(exc, {"event", "date", "place", "note", "seriously_wounded"}): refusal(exc)})
    return RedirectResponse(f"/people/{p.id}#timeline", status_code=303)


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


@router.post("/people/{pid}/decide", response_class=HTMLResponse)
async def decide_on_person(request: Request, s: Db, who: Who, pid: str) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    if not _reader(who):
        return forbidden(request, who)
    error, _ = await _decide(request, s, who, form)
    if error:
        return _person_page(request, s, who, pid[:64], 400, errors={"decision": error})
    return RedirectResponse(f"/people/{pid[:64]}#same", status_code=303)


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


# -- lists and the import wizard -------------------------------------------------------------------
def _upload_dir(request: Request) -> Path:
    d = Path(request.app.state.runtime.settings.data_dir) / "uploads"
    d.mkdir(mode=0o700, parents=True, exist_ok=True)
    return d


def _sweep(d: Path) -> None:
    cutoff = time.time() - UPLOAD_TTL
    for f in d.glob("*.bin"):
        try:
            if f.stat().st_mtime < cutoff:
                f.unlink(missing_ok=True)
                f.with_suffix(".json").unlink(missing_ok=True)
        except OSError:
            continue


def _save_upload(request: Request, who: Principal, data: bytes, filename: str) -> str:
    import os

    d = _upload_dir(request)
    _sweep(d)
    token = secrets.token_urlsafe(24)
    for path, content in ((d / f"{token}.bin", data),
                          (d / f"{token}.json", json.dumps({"member": who.member, "filename": filename}).encode())):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(content)
    kept = [t for t in request.session.get("uploads", []) if isinstance(t, str)]
    for old in kept[:-2]:  # a session keeps its last three uploads
        _drop_upload(request, old)
    request.session["uploads"] = [*kept[-2:], token]
    return token


def _load_upload(request: Request, who: Principal, token: str) -> tuple[bytes, str] | None:
    if not re.fullmatch(r"[A-Za-z0-9_-]{32}", token) or token not in request.session.get("uploads", []):
        return None
    d = _upload_dir(request)
    try:
        meta = json.loads((d / f"{token}.json").read_text())
        path = d / f"{token}.bin"
        if meta.get("member") != who.member or path.stat().st_mtime < time.time() - UPLOAD_TTL:
            return None
        return path.read_bytes(), str(meta.get("filename") or "list")
    except (OSError, ValueError):
        return None


def _drop_upload(request: Request, token: str) -> None:
    if not re.fullmatch(r"[A-Za-z0-9_-]{32}", token):
        return
    d = _upload_dir(request)
    (d / f"{token}.bin").unlink(missing_ok=True)
    (d / f"{token}.json").unlink(missing_ok=True)
    request.session["uploads"] = [t for t in request.session.get("uploads", []) if t != token]


def _wizard(request: Request, s: Session, who: Principal, status: int = 200, values: dict[str, Any] | None = None,
            errors: dict[str, Any] | None = None, pv: Any = None, token: str = "",
            chosen: dict[int, str] | None = None) -> HTMLResponse:
    from parley.people.spreadsheet import FIELDS

    _, belligerents = _parties(s)
    sample, results, counts, rejected = [], {}, {"ok": 0, "rejected": 0}, []
    if pv is not None:
        results = {r.row: r for r in pv.rows}
        sample = pv.sheet.rows[:SAMPLE_ROWS]
        for r in pv.rows:
            counts[r.status] = counts.get(r.status, 0) + 1
        rejected = [r for r in pv.rows if r.status != "ok"][:200]
    defaults = {"title": "", "default_category": "", "own_party": ""}
    return page(request, s, "list_import.html", status, who=who, values={**defaults, **(values or {})},
                errors=errors or {}, pv=pv, token=token, fields=FIELDS, belligerents=belligerents,
                categories=k.CATEGORIES, sample=sample, results=results, counts=counts, rejected=rejected,
                chosen=chosen or {}, col_letter=col_letter)


@router.get("/lists/import", response_class=HTMLResponse)
def import_form(request: Request, s: Db, who: Who) -> HTMLResponse:
    if (refused := _refuse_non_writer(request, who, rules.may_import_list(who))) is not None:
        return refused
    return _wizard(request, s, who)


def _list_values(form: Any) -> dict[str, str]:
    return {"title": str(form.get("title", ""))[:200].strip(),
            "default_category": str(form.get("default_category", ""))[:16],
            "own_party": str(form.get("own_party", ""))[:64]}


@router.post("/lists/import", response_class=HTMLResponse)
async def upload_list(request: Request, s: Db, who: Who) -> Response:
    """Step 1 → 2: the uploaded file is kept for the next steps and previewed with the mapping guessed from its
    header."""
    form = await request.form(max_files=1, max_fields=20)
    check_csrf(request, str(form.get("csrf", "")))
    if (refused := _refuse_non_writer(request, who, rules.may_import_list(who))) is not None:
        return refused
    values = _list_values(form)
    upload = form.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        return _wizard(request, s, who, 400, values, {"file": N_("Choose a file (XLSX or CSV).")})
    data = await upload.read(MAX_UPLOAD + 1)
    filename = (upload.filename or "list")[-200:]
    if len(data) > MAX_UPLOAD:
        return _wizard(request, s, who, 400, values, {"file": N_("The file is over 20 MB.")})
    if not data:
        return _wizard(request, s, who, 400, values, {"file": N_("The file is empty.")})
    try:
        pv = await run_in_threadpool(svc.preview, data, filename, None, values["default_category"] or None)
    except ParleyError as exc:
        return _wizard(request, s, who, 400, values, {"file": refusal(exc)})
    token = _save_upload(request, who, data, filename)
    if not values["title"]:
        values["title"] = filename.rsplit(".", 1)[0][:200]
    return _wizard(request, s, who, values=values, pv=pv, token=token)


@router.post("/lists/import/{token}", response_class=HTMLResponse)
async def import_step(request: Request, s: Db, who: Who, token: str) -> Response:
    """Step 2 again with a corrected mapping ("remap"), or step 3: the import and its row report ("import")."""
    from parley.people.spreadsheet import FIELDS
    from parley.submit import submitter

    form = await request.form(max_fields=600)
    check_csrf(request, str(form.get("csrf", "")))
    if (refused := _refuse_non_writer(request, who, rules.may_import_list(who))) is not None:
        return refused
    values = _list_values(form)
    kept = _load_upload(request, who, token)
    if kept is None:
        return _wizard(request, s, who, 400, values,
                       {"file": N_("The uploaded file has expired or belongs to another session; upload it again.")})
    data, filename = kept
    mapping: dict[int, str] = {}
    chosen: dict[int, str] = {}
    errors: dict[str, Any] = {}
    where: dict[str, int] = {}
    for name, raw in form.multi_items():
        if not name.startswith("col_") or not name[4:].isdigit() or len(name) > 9:
            continue
        i, f = int(name[4:]), str(raw)
        if f not in FIELDS:
            continue
        chosen[i] = f
        if f in where:
            errors[f"col_{i}"] = N_("This field is already read from column {col}.")
            errors[f"col_{i}.col"] = col_letter(where[f])
            continue
        where[f] = i
        mapping[i] = f
    if "surname" not in where and "full_name" not in where:
        errors["mapping"] = N_("Map a column to the surname or to the full name.")
    try:
        pv = await run_in_threadpool(svc.preview, data, filename, mapping, values["default_category"] or None)
    except ParleyError as exc:
        return _wizard(request, s, who, 400, values, {"file": refusal(exc)})
    if errors or form.get("intent") != "import":
        return _wizard(request, s, who, 400 if errors else 200, values, errors, pv, token, chosen)
    rt = request.app.state.runtime
    many, one = submitter(rt, s, who)
    own = values["own_party"] or None
    try:
        result = await run_in_threadpool(svc.import_rows, s, who, many, one, pv, title=values["title"], own_party=own)
    except ParleyError as exc:
        s.rollback()
        f = "own_party" if (exc.field or "") in ("audience", "own_party") else "form"
        return _wizard(request, s, who, 400, values, {f: refusal(exc)}, pv, token, chosen)
    _drop_upload(request, token)
    return RedirectResponse(f"/lists/{result.list_id}", status_code=303)


@router.get("/lists", response_class=HTMLResponse)
def lists_page(request: Request, s: Db, who: Who) -> HTMLResponse:
    if not _reader(who):
        return forbidden(request, who)
    return page(request, s, "lists.html", who=who, lists=svc.lists(s, who))


@router.get("/lists/{list_id}", response_class=HTMLResponse)
def list_page(request: Request, s: Db, who: Who, list_id: str, status: str = "") -> HTMLResponse:
    if not _reader(who):
        return forbidden(request, who)
    try:
        x = svc.person_list(s, who, list_id[:64])
    except ParleyError:
        return not_found(request, who, N_("There is no such list, or you may not read it."))
    report = json.loads(x.report)
    ids = {r.get("person") or r.get("of") for r in report} - {None}
    people = {p.id: p for p in s.execute(select(Person).where(Person.id.in_(ids))).scalars()} if ids else {}
    readable = {pid: p for pid, p in people.items() if svc.can_read(who, svc.PERSON, p)}
    shown = [r for r in report if not status or r.get("status") == status]
    counts = {st: sum(1 for r in report if r.get("status") == st) for st in ("accepted", "duplicate", "rejected")}
    return page(request, s, "list.html", who=who, x=x, report=shown, people=readable, shown_status=status[:16],
                counts=counts)


# -- inquiries -------------------------------------------------------------------------------------
@router.get("/inquiries", response_class=HTMLResponse)
def inquiries_page(request: Request, s: Db, who: Who, status: str = "") -> HTMLResponse:
    if not _reader(who):
        return forbidden(request, who)
    rows = [(i, svc.sought_of(i, who)) for i in svc.inquiries(s, who, status=status[:16] or None)]
    return page(request, s, "inquiries.html", who=who, rows=rows, shown_status=status[:16],
                statuses=tuple(STATUS_LABELS))


def _inquiry_form(request: Request, s: Session, who: Principal, status: int = 200,
                  values: dict[str, Any] | None = None, errors: dict[str, Any] | None = None) -> HTMLResponse:
    return page(request, s, "inquiry_new.html", status, who=who, values=values or {}, errors=errors or {},
                categories=k.CATEGORIES)


@router.get("/inquiries/new", response_class=HTMLResponse)
def new_inquiry(request: Request, s: Db, who: Who) -> HTMLResponse:
    if (refused := _refuse_non_writer(request, who, rules.may_file_inquiry(who))) is not None:
        return refused
    return _inquiry_form(request, s, who)


@router.post("/inquiries/new", response_class=HTMLResponse)
async def file_inquiry(request: Request, s: Db, who: Who) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    if (refused := _refuse_non_writer(request, who, rules.may_file_inquiry(who))) is not None:
        return refused
    values, sought, errors = _sought(form)
    if errors:
        return _inquiry_form(request, s, who, 400, values, errors)
    ref, secret = svc.new_reference(who.party), svc.new_secret()
    payload = {"id": ref, "sought": sought, "relationship": values["relationship"][:200], "contact": values["contact"]}
    local = await run_in_threadpool(svc.local_secret, secret)  # the secret's verifier: beside the record, not in it
    try:
        await _submit(request, s, who, "inquiry.file", [f"party:{who.party}"], payload, local=local)
    except ParleyError as exc:
        s.rollback()
        return _inquiry_form(request, s, who, 400, values,
                             {_field(exc, {*SOUGHT_FIELDS, "relationship", "contact"}): refusal(exc)})
    # The secret is shown this once, to be handed to the family; only its hash is kept.
    response = page(request, s, "inquiry_filed.html", 201, who=who, reference=ref, secret=secret,
                    sought=sought)
    response.headers["Cache-Control"] = "no-store"
    return response


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


def _inquiry_page(request: Request, s: Session, who: Principal, ref: str, status: int = 200,
                  values: dict[str, Any] | None = None, errors: dict[str, Any] | None = None) -> HTMLResponse:
    try:
        i = svc.inquiry(s, who, ref)
    except ParleyError:
        return not_found(request, who, N_("There is no such inquiry, or you may not read it."))
    sought = svc.sought_of(i, who)
    decisions = svc.inquiry_decisions(s, who, i)
    latest: dict[str, str] = {}
    for d in decisions:
        if d.person and d.decision in ("confirmed", "rejected"):
            latest[d.person] = d.decision
    matched = True
    try:
        candidates: list[tuple[Person, float | None]] = list(svc.candidates_for(s, who, sought))
    except Exception:  # the model failing must not hide the inquiry; fall back to the name search
        log.exception("matching an inquiry against the registry failed")
        matched = False
        query = " ".join(x for x in (sought.get("surname"), sought.get("first_name"), sought.get("patronymic"),
                                     (sought.get("birth_date") or "")[:4]) if x)
        candidates = [(p, None) for p, _ in svc.search(s, who, query, limit=10)]
    named = {d.person for d in decisions if d.person} - {p.id for p, _ in candidates}
    for pid in named:  # candidates decided earlier stay listed with their decision
        try:
            candidates.append((svc.person(s, who, pid), None))
        except ParleyError:
            continue
    return page(request, s, "inquiry.html", status, who=who, i=i, sought=sought, decisions=decisions,
                candidates=candidates, latest=latest, matched=matched, may_decide=rules.may_decide(who, i),
                values=values or {}, errors=errors or {}, sought_fields=SOUGHT_FIELDS,
                direct=svc.filed_directly(s, i))


@router.get("/inquiries/{ref}", response_class=HTMLResponse)
def inquiry_page(request: Request, s: Db, who: Who, ref: str) -> HTMLResponse:
    if not _reader(who):
        return forbidden(request, who)
    return _inquiry_page(request, s, who, ref[:40])


@router.post("/inquiries/{ref}/decide", response_class=HTMLResponse)
async def decide_inquiry(request: Request, s: Db, who: Who, ref: str) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    if not _reader(who):
        return forbidden(request, who)
    try:
        i = svc.inquiry(s, who, ref[:40])
    except ParleyError:
        return not_found(request, who, N_("There is no such inquiry, or you may not read it."))
    decision = str(form.get("decision", ""))[:16]
    message = str(form.get("message", ""))[:4000].strip()
    person = str(form.get("person", ""))[:64] or None
    form_name = "answer" if decision in ("message", "closed") else "candidate"
    values = {"message": message, "form": form_name}
    if decision in ("message", "closed") and not message:
        return _inquiry_page(request, s, who, i.id, 400, values,
                             {f"{decision}.message": N_("Write what the family is told.")})
    payload: dict[str, Any] = {"inquiry": i.id, "decision": decision, "message": message}
    if person:
        payload["person"] = person
    try:
        await _submit(request, s, who, "inquiry.decide", i.audience.split(","), payload)
    except ParleyError as exc:
        s.rollback()
        key = f"{decision}.message" if decision in ("message", "closed") else "candidate"
        return _inquiry_page(request, s, who, i.id, 400, values, {key: refusal(exc)})
    return RedirectResponse(f"/inquiries/{i.id}", status_code=303)


# -- the family's page -----------------------------------------------------------------------------
FAMILY_ATTEMPTS = svc.FAMILY_ATTEMPTS


def _family(request: Request, status: int = 200, **ctx: Any) -> HTMLResponse:
    response = render(request, "family.html", status, who=None, status_label=lambda x: STATUS_LABELS.get(x, x),
                      **{"view": None, "values": {}, "errors": {}, **ctx})
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
    address = address_key(client_address(request))
    family_attempts = svc.public_limits(request.app.state).family
    if family_attempts.blocked(address):
        return _family(request, 429, values={"reference": reference}, errors={
            "secret": N_("Too many wrong attempts from your address. Wait a quarter of an hour and try again.")})
    try:
        view = await run_in_threadpool(svc.family_view, s, reference, secret)
    except HashBusy as exc:
        response = _family(request, 503, values={"reference": reference}, errors={
            "secret": N_("The server is busy. Try again in a moment.")})
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if view is None:
        family_attempts.count(address)
        return _family(request, 400, values={"reference": reference},
                       errors={"secret": N_("No inquiry has this reference and secret.")})
    return _family(request, view=view)
