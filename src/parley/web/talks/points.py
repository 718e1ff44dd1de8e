"""A point's page: each party's current position side by side, the history of positions, the wordings proposed
(each by its SHA-256), each party's assessment of how far it is implemented with its evidence, and the operations
that name it as the point they implement, with their status and each party's figures; and the forms of a party's
member: a position (a wording proposed, or one of the wordings accepted, rejected or reserved on) and an
assessment of the implementation (0–3, with evidence)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from parley.errors import ParleyError
from parley.operations import service as ops
from parley.parties.principal import Principal
from parley.talks import kinds as k
from parley.talks import rules
from parley.talks import service as svc
from parley.web.labels import OPERATION_LABELS
from parley.web.operations.common import figure_text
from parley.web.refusals import refusal
from parley.web.routes import Db, Who, check_csrf, lang_of, not_found
from parley.web.talks.common import (
    CHOOSE_LEVEL, CHOOSE_WORDING, ENTER_REF, NO_POINT, WRITE_WORDING, field_of, hoisted, page, submit,
)

router = APIRouter(include_in_schema=False)

POSITION_FIELDS = {"position", "text", "sha256", "meeting", "note"}
IMPLEMENTATION_FIELDS = {"level", "evidence", "as_of", "note"}
EVIDENCE_ROWS = 3


def _operations(s: Session, who: Principal, point: str, lang: str, assessments: list[Any]) -> list[dict[str, Any]]:
    """The operations the member may read that name ``point`` as one they implement, or that an assessment of the
    point cites as evidence (a back channel's point, which an operation reaching others cannot name), each with the
    figures each party stated (its total as stated, else what its rows add up to)."""
    cited: dict[str, set[str]] = {}
    for a in assessments:
        for e in a.evidence_list():
            if e["kind"] == "operation":
                cited.setdefault(e["ref"], set()).add(a.party)
    out = []
    for op in ops.operations(s, who):
        named = point in op.implements.split(",")
        if not named and op.id not in cited:
            continue
        table = ops.outcomes(s, who, op)
        figures = [{"party": st.party, "at": st.at, "idx": st.idx,
                    "total": figure_text(lang, st.stated_total or st.rows_sum)} for st in table.statements]
        out.append({"op": op, "figures": figures, "differ": table.totals_differ, "named": named,
                    "cited_by": sorted(cited.get(op.id, ()))})
    return out


def _point_page(request: Request, s: Session, who: Principal, point_id: str, status: int = 200,
                errors: dict[str, Any] | None = None, values: dict[str, Any] | None = None) -> HTMLResponse:
    try:
        pt = svc.point(s, who, point_id)
        p = svc.process(s, who, pt.process)
    except ParleyError:
        return not_found(request, who, NO_POINT)
    lang = lang_of(request)
    track = next((t for t in svc.tracks(s, who, p) if t.id == pt.track), None)
    history = svc.positions(s, who, pt)
    current: dict[str, Any] = dict.fromkeys(p.party_list)
    stated: dict[str, int] = dict.fromkeys(p.party_list, 0)
    for x in history:
        current[x.party] = x
        stated[x.party] = stated.get(x.party, 0) + 1
    wordings = svc.point_texts(s, who, pt)
    assessments = svc.assessments(s, who, pt)
    latest: dict[str, Any] = {}
    for a in assessments:
        latest[a.party] = a
    assessors = [*p.party_list, *sorted(set(latest) - set(p.party_list))]
    implementing = _operations(s, who, pt.id, lang, assessments)
    values = values or {}
    iv = {"level": "", **values.get("implementation", {})}
    values = {**values, "implementation": iv}
    shown = {"position": rules.may_state_position(who, p),
             "implementation": rules.may_assess(who, p) and pt.agreed_sha256 is not None}
    return page(request, s, "talks_point.html", status, who=who, p=p, pt=pt, track=track, current=current,
                stated=stated, history=history, wordings=wordings, texts={w.sha256: w.body for w in wordings},
                agreed_text=svc.agreed_text(s, who, pt), assessments=assessments, latest=latest,
                assessors=assessors, implementing=implementing, statements=svc.statements(s, who, p, point=pt.id),
                meetings=svc.meetings(s, who, p), positions=rules.POSITIONS, levels=rules.LEVELS,
                evidence_kinds=k.EVIDENCE_KINDS, evidence_rows=EVIDENCE_ROWS,
                can_position=shown["position"], can_assess=shown["implementation"],
                op_label=lambda c: OPERATION_LABELS.get(c, c), errors=hoisted(errors or {}, shown), values=values)


@router.get("/talks/points/{point_id}", response_class=HTMLResponse)
def point_page(request: Request, s: Db, who: Who, point_id: str) -> HTMLResponse:
    return _point_page(request, s, who, point_id)


async def _write(request: Request, s: Session, who: Principal, point_id: str, kind: str, payload: dict[str, Any],
                 form_name: str, known: set[str], values: dict[str, Any], anchor: str) -> Response:
    try:
        pt = svc.point(s, who, point_id)
        p = svc.process(s, who, pt.process)
    except ParleyError:
        return not_found(request, who, NO_POINT)
    try:
        await submit(request, s, who, kind, p, payload)
    except ParleyError as exc:
        s.rollback()
        return _point_page(request, s, who, point_id, 400, errors={f"{form_name}.{field_of(exc, known)}": refusal(exc)},
                           values={form_name: values})
    return RedirectResponse(f"/talks/points/{point_id}#{anchor}", status_code=303)


@router.post("/talks/points/{point_id}/positions", response_class=HTMLResponse)
async def state_position(request: Request, s: Db, who: Who, point_id: str) -> Response:
    """The member's party's position: a wording proposed or counter-proposed, or one of the wordings proposed
    (by its SHA-256) accepted, rejected or reserved on."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    values = {f: str(form.get(f, ""))[:200_000 if f == "text" else 4000] for f in POSITION_FIELDS}
    values = {f: v if f == "text" else v.strip() for f, v in values.items()}
    errors: dict[str, Any] = {}
    payload: dict[str, Any] = {"point": point_id, "position": values["position"], "note": values["note"]}
    if values["position"] in ("proposed", "counter_proposed"):
        if not values["text"].strip():
            errors["position.text"] = WRITE_WORDING
        payload["text"] = values["text"]
    else:
        if values["position"] == "accepted" and not values["sha256"]:
            errors["position.sha256"] = CHOOSE_WORDING
        if values["sha256"]:
            payload["sha256"] = values["sha256"]
    if values["meeting"]:
        payload["meeting"] = values["meeting"]
    if errors:
        return _point_page(request, s, who, point_id, 400, errors=errors, values={"position": values})
    return await _write(request, s, who, point_id, "talks.position", payload, "position", POSITION_FIELDS, values,
                        "positions")


@router.post("/talks/points/{point_id}/implementation", response_class=HTMLResponse)
async def assess(request: Request, s: Db, who: Who, point_id: str) -> Response:
    """How far the agreed point is implemented, as the member's party sees it (0 not started … 3 complete), with
    the operations, exchanges or records that show it."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    values: dict[str, Any] = {f: str(form.get(f, ""))[:4000].strip() for f in ("level", "as_of", "note")}
    errors: dict[str, Any] = {}
    evidence = []
    for i in range(EVIDENCE_ROWS):
        row = {f: str(form.get(f"evidence_{f}_{i}", ""))[:200].strip() for f in ("kind", "ref", "note")}
        values.update({f"evidence_{f}_{i}": v for f, v in row.items()})
        if row["ref"]:
            evidence.append({"kind": row["kind"] or "operation", "ref": row["ref"], "note": row["note"]})
        elif row["note"]:
            errors["implementation.evidence"] = ENTER_REF
    if values["level"] not in ("0", "1", "2", "3"):
        errors["implementation.level"] = CHOOSE_LEVEL
    if errors:
        return _point_page(request, s, who, point_id, 400, errors=errors, values={"implementation": values})
    payload: dict[str, Any] = {"point": point_id, "level": int(values["level"]), "evidence": evidence,
                               "note": values["note"]}
    if values["as_of"]:
        payload["as_of"] = values["as_of"]
    return await _write(request, s, who, point_id, "talks.implementation", payload, "implementation",
                        IMPLEMENTATION_FIELDS, values, "implementation")
