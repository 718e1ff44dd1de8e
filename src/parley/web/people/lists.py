"""Lists of persons: the import wizard (upload, check and correct the column mapping, import with a report for
every row), the lists and each list's row report.

An uploaded list waits between the wizard's steps in a file under the data directory, named by a random
token that only the uploading member's session knows, removed after the import or after an hour.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from parley.db import create_private
from parley.errors import ParleyError
from parley.parties.principal import Principal
from parley.people import kinds as k
from parley.people import rules
from parley.people import service as svc
from parley.people.models import Person
from parley.web.i18n import N_
from parley.web.people.common import _parties, _reader, _refuse_non_writer, forbidden, page
from parley.web.refusals import refusal
from parley.web.routes import Db, Who, check_csrf, not_found

router = APIRouter(include_in_schema=False)

UPLOAD_TTL = 3600  # seconds an uploaded list waits for its import
MAX_UPLOAD = 20 << 20
SAMPLE_ROWS = 8


def col_letter(index: int) -> str:
    """Excel's letters of a 0-based column index: 0 → A, 27 → AB."""
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


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
    d = _upload_dir(request)
    _sweep(d)
    token = secrets.token_urlsafe(24)
    for path, content in ((d / f"{token}.bin", data),
                          (d / f"{token}.json", json.dumps({"member": who.member, "filename": filename}).encode())):
        create_private(path, content)
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
