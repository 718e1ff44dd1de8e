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
from parley.web.refusals import reason as row_reason
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


def _imported_tokens(request: Request) -> dict[str, dict[str, Any]]:
    """List id → what the report needs of the file it was imported from, kept for this session (``import_step``)."""
    kept = request.session.get("imported") or {}
    return {str(k_): v for k_, v in kept.items() if isinstance(v, dict)} if isinstance(kept, dict) else {}


def _load_upload(request: Request, who: Principal, token: str, *, imported: bool = False) -> tuple[bytes, str] | None:
    """The upload ``token`` of this member's session: one waiting for its import, or (``imported``) one already
    imported, read by its list's report only (it can never be imported again)."""
    tokens = ([str(v.get("token")) for v in _imported_tokens(request).values()] if imported
              else request.session.get("uploads", []))
    if not re.fullmatch(r"[A-Za-z0-9_-]{32}", token) or token not in tokens:
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


NAME_FIELDS = ("surname", "first_name", "patronymic")


def as_read(pv: Any, number: int) -> tuple[str, str]:
    """(name, date of birth) of row ``number`` of a previewed file, as written in its cells (the columns mapped to
    the names, or the full name, and to the date of birth): whom a row is about, even a rejected one."""
    cells = dict(pv.sheet.rows).get(number) or []
    by_field = {f: cells[i].strip() for i, f in pv.mapping.items() if i < len(cells) and cells[i].strip()}
    name = " ".join(by_field[f] for f in NAME_FIELDS if by_field.get(f)) or by_field.get("full_name", "")
    return " ".join(name.split())[:600], by_field.get("birth_date", "")[:100]


def row_cells(pv: Any, number: int) -> dict[str, str]:
    """Field → the cell's text, of row ``number`` as mapped: what a correction form starts from."""
    cells = dict(pv.sheet.rows).get(number) or []
    return {f: cells[i] for i, f in pv.mapping.items() if i < len(cells)}


def _wizard(request: Request, s: Session, who: Principal, status: int = 200, values: dict[str, Any] | None = None,
            errors: dict[str, Any] | None = None, pv: Any = None, token: str = "",
            chosen: dict[int, str] | None = None) -> HTMLResponse:
    from parley.people.spreadsheet import FIELDS

    _, belligerents = _parties(s)
    shown, results, counts, dups = [], {}, {"ok": 0, "rejected": 0, "duplicate": 0}, {}
    samples: dict[int, list[str]] = {}
    pows = 0
    if pv is not None:
        results = {r.row: r for r in pv.rows}
        dups = svc.duplicates(s, who, pv.rows)  # before anything is signed: what the import would report
        for r in pv.rows:
            counts[r.status] = counts.get(r.status, 0) + 1
            pows += r.status == "ok" and r.values.get("category") == "pow"
        counts["duplicate"] = len(dups)
        counts["ok"] -= len(dups)
        # The first rows, then every row the import would not register, so that each is seen before signing.
        first = {n for n, _ in pv.sheet.rows[:SAMPLE_ROWS]}
        shown = [(r, dups.get(r.row), *as_read(pv, r.row)) for r in pv.rows
                 if r.row in first or r.status != "ok" or r.row in dups][:SAMPLE_ROWS + 200]
        for _, cells in pv.sheet.rows[:3]:
            for i, c in enumerate(cells):
                if c.strip():
                    samples.setdefault(i, []).append(c.strip()[:60])
    defaults = {"title": "", "default_category": "", "own_party": ""}
    return page(request, s, "list_import.html", status, who=who, values={**defaults, **(values or {})},
                errors=errors or {}, pv=pv, token=token, fields=FIELDS, belligerents=belligerents,
                categories=k.CATEGORIES, shown=shown, results=results, counts=counts, dups=dups, samples=samples,
                pows=pows, chosen=chosen or {}, col_letter=col_letter, own_unknown=svc.OWN_UNKNOWN)


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
    # The file stays for the rest of its hour, for this member's session only: the report shows whom each rejected
    # row was about and offers it for correction (``correct_row``). Never in the log, removed by the sweep.
    request.session["uploads"] = [t_ for t_ in request.session.get("uploads", []) if t_ != token]
    imported = _imported_tokens(request)
    imported[result.list_id] = {"token": token, "mapping": {str(i): f for i, f in pv.mapping.items()},
                                "default_category": values["default_category"], "own_party": values["own_party"]}
    for old in list(imported)[:-3]:  # a session keeps the files of its last three imports
        _drop_upload(request, str(imported.pop(old).get("token") or ""))
    request.session["imported"] = imported
    return RedirectResponse(f"/lists/{result.list_id}", status_code=303)


@router.get("/lists", response_class=HTMLResponse)
def lists_page(request: Request, s: Db, who: Who) -> HTMLResponse:
    if not _reader(who):
        return forbidden(request, who)
    return page(request, s, "lists.html", who=who, lists=svc.lists(s, who))


def _kept_rows(request: Request, who: Principal, list_id: str) -> dict[int, tuple[str, str, dict[str, str]]]:
    """Row → (name, date of birth, cells by field) as the imported file gave them, while it is kept for this
    member's session (an hour after the upload); empty once it is gone."""
    meta = _imported_tokens(request).get(list_id)
    if meta is None:
        return {}
    kept = _load_upload(request, who, str(meta.get("token") or ""), imported=True)
    if kept is None:
        return {}
    try:
        mapping = {int(i): str(f) for i, f in (meta.get("mapping") or {}).items()}
        pv = svc.preview(kept[0], kept[1], mapping, str(meta.get("default_category") or "") or None)
    except (ParleyError, ValueError):
        return {}
    return {r.row: (*as_read(pv, r.row), row_cells(pv, r.row)) for r in pv.rows if r.status != "ok"}


def _list_page(request: Request, s: Session, who: Principal, list_id: str, status_filter: str = "", code: int = 200,
               errors: dict[str, Any] | None = None, values: dict[str, Any] | None = None) -> HTMLResponse:
    try:
        x = svc.person_list(s, who, list_id[:64])
    except ParleyError:
        return not_found(request, who, N_("There is no such list, or you may not read it."))
    report = json.loads(x.report)
    corrected = svc.corrected_rows(s, who, x)
    ids = {r.get("person") or r.get("of") for r in report} - {None}
    people = {p.id: p for p in s.execute(select(Person).where(Person.id.in_(ids))).scalars()} if ids else {}
    readable = {pid: p for pid, p in people.items() if svc.can_read(who, svc.PERSON, p)}
    shown = [r for r in report if not status_filter or r.get("status") == status_filter]
    counts = {st: sum(1 for r in report if r.get("status") == st) for st in ("accepted", "duplicate", "rejected")}
    may_correct = x.party == who.party and rules.may_import_list(who)
    kept = _kept_rows(request, who, x.id) if may_correct else {}
    meta = _imported_tokens(request).get(x.id) or {}
    _, belligerents = _parties(s)
    return page(request, s, "list.html", code, who=who, x=x, report=shown, people=readable,
                shown_status=status_filter[:16], counts=counts, corrected=corrected, kept=kept,
                may_correct=may_correct, belligerents=belligerents, categories=k.CATEGORIES,
                own_unknown=svc.OWN_UNKNOWN, errors=errors or {}, values=values or {},
                list_own=str(meta.get("own_party") or "") if isinstance(meta, dict) else "",
                list_category=str(meta.get("default_category") or "") if isinstance(meta, dict) else "",
                correction_fields=correction_fields)


# The fields a correction form always offers (besides the ones the row's columns were read into).
CORRECT_FIELDS = ("surname", "first_name", "patronymic", "birth_date")


def correction_fields(fault: str | None, cells: dict[str, str]) -> list[str]:
    """The text fields of a rejected row's correction form: those its columns were read into (or the names and
    the date of birth), and the field at fault; the category and the seriously-wounded flag are chosen apart."""
    out = [f for f in cells if f not in ("category", "seriously_wounded")] or list(CORRECT_FIELDS)
    if "full_name" in out:
        out = [f for f in out if f not in ("surname", "first_name", "patronymic")]
    if fault and fault not in out and fault not in ("category", "seriously_wounded"):
        out.append(fault)
    return out


@router.get("/lists/{list_id}", response_class=HTMLResponse)
def list_page(request: Request, s: Db, who: Who, list_id: str, status: str = "") -> HTMLResponse:
    if not _reader(who):
        return forbidden(request, who)
    return _list_page(request, s, who, list_id, status)


@router.post("/lists/{list_id}/rows/{row}", response_class=HTMLResponse)
async def correct_row(request: Request, s: Db, who: Who, list_id: str, row: int) -> Response:
    """A rejected row corrected in place on the report and submitted again: read and checked as the file's rows
    are, then one signed ``person.register`` naming the list and the row; the rest of the list is untouched."""
    from parley.people.spreadsheet import FIELDS
    from parley.submit import submitter

    form = await request.form(max_fields=100)
    check_csrf(request, str(form.get("csrf", "")))
    if (refused := _refuse_non_writer(request, who, rules.may_import_list(who))) is not None:
        return refused
    cells = {f: str(form.get(f"cell_{f}", ""))[:4000] for f in FIELDS if f"cell_{f}" in form}
    own = str(form.get("own_party", ""))[:64]
    values = {"row": row, "cells": cells, "own_party": own}
    _, one = submitter(request.app.state.runtime, s, who)
    try:
        await run_in_threadpool(svc.correct_row, s, who, one, list_id[:64], row, cells, own or None)
    except ParleyError as exc:
        s.rollback()
        f = (exc.field or "form").removeprefix("person.")
        if f in ("audience", "own_party"):
            f = "own_party"
        elif f not in FIELDS:
            f = "form"
        message: Any = refusal(exc)
        if exc.params.get("why"):
            message = row_reason(str(exc.params["why"]))
        return _list_page(request, s, who, list_id, "", 400, {f"row_{row}.{f}": message, f"row_{row}": True},
                          values)
    return RedirectResponse(f"/lists/{list_id[:64]}?corrected={row}#row-{row}", status_code=303)
