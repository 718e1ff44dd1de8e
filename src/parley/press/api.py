"""HTTP API of the press desk and of the public side.

Members (``/api/statements``): a party's press officers, negotiators and admins draft statements and their versions,
a second negotiator or admin approves the exact version (by its SHA-256), and a negotiator or admin withdraws one.
Every write is a record signed with the caller's custodial key, closed to the caller's party.

The public (``/api/public/…``, no account): the released statements as JSON and as an Atom feed, and each one's bundle
(its signed records with their inclusion proofs, the keys) that ``parley log verify-statement`` checks.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict

from parley.apischema import READ, ReceiptBody, body_schema, media, refusals, written
from parley.apischema import answer as json_answer
from parley.auth import CurrentPrincipal, CurrentRuntime, DbSession
from parley.press import kinds as k
from parley.press import service as svc
from parley.records.ids import new_id
from parley.records.pipeline import Receipt
from parley.submit import submit_as_async

router = APIRouter(prefix="/api/statements", tags=["press"])
public = APIRouter(prefix="/api/public", tags=["public"])
LANGS = ("uk", "ru", "en")


class Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class Statements(BaseModel):
    statements: list[dict[str, Any]]


class Created(ReceiptBody):
    id: str


def _answer(receipt: Receipt, **extra: Any) -> JSONResponse:
    return JSONResponse({**receipt.as_dict(), **extra}, status_code=200 if receipt.duplicate else 201)


def _body(model: type[BaseModel], *drop: str) -> Any:
    return Body(json_schema_extra=body_schema(model, drop=drop))


def view_json(s: Any, v: svc.View, *, whole: bool) -> dict[str, Any]:
    st = v.statement
    out: dict[str, Any] = {"id": st.id, "party": st.party, "state": v.state, "version": v.version.version,
                           "sha256": v.version.sha256, "text": v.text, "corrected_by": v.corrected_by,
                           "record": v.version.idx, "at": v.version.at.isoformat()}
    if v.released:
        out["released_at"] = svc.released_at(s, st).isoformat()
        out["records"] = svc.record_indices(st, v.version)
    if v.state == "withdrawn_after_release" or whole:
        out["withdrawn"] = None if st.withdrawn_idx is None else {
            "record": st.withdrawn_idx, "reason": st.withdrawn_reason, "at": st.withdrawn_at.isoformat()
            if st.withdrawn_at else None}
    if whole:
        out["author"] = v.version.author
        out["approved"] = None if st.approved_idx is None else {
            "record": st.approved_idx, "version": st.approved_version, "by": st.approved_by,
            "at": st.approved_at.isoformat() if st.approved_at else None}
        out["waiting_for"] = svc.waiting_for(s, st) if st.approved_idx is not None else None
        out["versions"] = [{"version": x.version, "record": x.idx, "sha256": x.sha256, "author": x.author,
                            "at": x.at.isoformat()} for x in v.versions]
    return out


@router.get("", response_model=Statements, responses=refusals(*READ))
def list_statements(s: DbSession, who: CurrentPrincipal) -> Response:
    """The statements of the caller's own party, newest first: drafts, approved (embargoed), released, withdrawn."""
    return json_answer({"statements": [view_json(s, v, whole=True) for v in svc.own(s, who)]})


@router.get("/{statement_id}", response_model=Loose, responses=refusals(*READ, 404))
def get_statement(statement_id: str, s: DbSession, who: CurrentPrincipal) -> Response:
    """One statement: whole for its own party's readers; for anyone else only once released."""
    v = svc.one(s, who, statement_id)
    return json_answer(view_json(s, v, whole=v.statement.party == who.party and svc.reads_statements(who)))


@router.post("", status_code=201, response_model=Created, responses=written(Created))
async def draft(body: Annotated[dict[str, Any], _body(k.Draft, "statement", "version")], rt: CurrentRuntime,
                s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    """Draft a statement (its version 1): ``texts`` in uk, ru and/or en (title and body each), ``references`` to
    an exchange, an operation or a talks point, an ``embargo`` (``until`` a time, or an ``exchange`` or
    ``operation`` completed), and what it ``corrects``. Closed to the caller's party until released."""
    sid = str(body.get("statement") or new_id(who.party, "statement"))
    payload = {**body, "statement": sid, "version": 1}
    return _answer(await submit_as_async(rt, s, who, "statement.draft", k.audience_for(who.party), payload), id=sid)


@router.post("/{statement_id}/versions", status_code=201, response_model=Created, responses=written(Created))
async def revise(statement_id: str, body: Annotated[dict[str, Any], _body(k.Draft, "statement", "version")],
                 rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    """A new version of a statement not yet approved: it needs its own approval."""
    v = svc.one(s, who, statement_id)
    payload = {**body, "statement": statement_id, "version": v.statement.version + 1}
    return _answer(await submit_as_async(rt, s, who, "statement.draft", k.audience_for(who.party), payload),
                   id=statement_id)


class ApproveBody(BaseModel):
    version: int
    sha256: str


@router.post("/{statement_id}/approvals", status_code=201, response_model=ReceiptBody, responses=written())
async def approve(statement_id: str, body: ApproveBody, rt: CurrentRuntime, s: DbSession,
                  who: CurrentPrincipal) -> JSONResponse:
    """Approve the exact version read (its number and the SHA-256 of its text): a negotiator or admin of the
    party other than the version's author. Released at once, or when its embargo lifts."""
    payload = {"statement": statement_id, "version": body.version, "sha256": body.sha256}
    return _answer(await submit_as_async(rt, s, who, "statement.approve", k.audience_for(who.party), payload))


class WithdrawBody(BaseModel):
    reason: str


@router.post("/{statement_id}/withdrawals", status_code=201, response_model=ReceiptBody, responses=written())
async def withdraw(statement_id: str, body: WithdrawBody, rt: CurrentRuntime, s: DbSession,
                   who: CurrentPrincipal) -> JSONResponse:
    """Withdraw a statement, with the reason: a released one stays visible, marked withdrawn; an unreleased one is
    never published."""
    payload = {"statement": statement_id, "reason": body.reason}
    return _answer(await submit_as_async(rt, s, who, "statement.withdraw", k.audience_for(who.party), payload))


# -- the public side -------------------------------------------------------------------------------------------

_RELEASED: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
_KEPT = 8  # states of the log kept (each deployment's latest few)


def released_json(s: Any, party: str | None = None) -> list[dict[str, Any]]:
    """``view_json`` of every released statement (of ``party``), newest release first, computed once per state of
    the log: the same log (its size and newest record) and the same embargoes lifted by the clock give the same
    answer, so readers between two records share one computation."""
    from sqlalchemy import func, select

    from parley.log.models import LogEntry
    from parley.press.models import Statement

    size = s.scalar(select(func.max(LogEntry.idx)))
    newest = s.scalar(select(LogEntry.record_hash).where(LogEntry.idx == size)) if size is not None else None
    lifted = s.scalar(select(func.count()).select_from(Statement).where(
        Statement.embargo_until.is_not(None), Statement.embargo_until <= datetime.now(UTC)))
    key = (str(s.get_bind().url), size, newest, lifted, party)
    known = _RELEASED.get(key)
    if known is None:
        known = [view_json(s, v, whole=False) for v in svc.released(s, party=party)]
        _RELEASED[key] = known
        while len(_RELEASED) > _KEPT:
            _RELEASED.pop(next(iter(_RELEASED)))
    return known


@public.get("/statements", response_model=Statements, responses=refusals(422))
def public_statements(s: DbSession, party: Annotated[str | None, Query(max_length=64)] = None) -> Response:
    """Every released statement (of ``party``), newest release first, each with its texts and its records' log
    indices. No account needed."""
    return json_answer({"statements": released_json(s, party)})


@public.get("/statements/{statement_id}", response_model=Loose, responses=refusals(404, 422))
def public_bundle(statement_id: str, s: DbSession, rt: CurrentRuntime) -> Response:
    """A released statement's bundle: its signed records with their payloads and inclusion proofs, the authors'
    keys and the log's key, which ``parley log verify-statement FILE`` checks without an account."""
    return json_answer(svc.bundle(s, rt, svc.one(s, None, statement_id)))


class Figures(BaseModel):
    releases: list[dict[str, Any]]
    compared: list[dict[str, Any]]
    suppressed_below: int


@public.get("/figures", response_model=Figures)
def public_figures(s: DbSession) -> Response:
    """What each party released of each completed exchange (persons sent and received, as it stated them), each
    side apart, and where both sides released one, what one says it sent beside what the other says it received.
    A figure that could point at fewer than 5 people is ``{"fewer_than": 5}``."""
    from parley.press import figures

    return json_answer(figures.table(s))


@public.get("/figures.csv", response_class=Response,
            responses=media("text/csv", "the releases as CSV, with an HXL hashtag row if asked", 422))
def public_figures_csv(s: DbSession, hxl: bool = False) -> Response:
    """The releases as CSV (a figure that could point at fewer than 5 people is ``<5``); ``hxl``: an HXL hashtag
    row under the header."""
    from parley.press import figures

    return Response(figures.csv_text(s, hxl=hxl), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="parley-figures.csv"'})


ATOM = "http://www.w3.org/2005/Atom"


@public.get("/feed.atom", response_class=Response,
            responses=media("application/atom+xml", "the released statements as an Atom feed", 422))
def atom_feed(s: DbSession, rt: CurrentRuntime,
              lang: Annotated[str, Query(pattern="^(uk|ru|en)$")] = "en") -> Response:
    """The released statements as an Atom feed (RFC 4287), in ``lang`` where a statement has it."""
    views = svc.released(s)
    origin = rt.settings.log_origin
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = "Parley: released statements"
    ET.SubElement(feed, f"{{{ATOM}}}id").text = f"tag:{origin},2022:statements"
    updated = max((svc.released_at(s, v.statement) for v in views), default=datetime(2022, 1, 1, tzinfo=UTC))
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = updated.isoformat()
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=f"/api/public/feed.atom?lang={lang}")
    for v in views:
        texts = v.text["texts"]
        t = texts.get(lang) or next(iter(texts.values()))
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}title").text = t["title"]
        ET.SubElement(entry, f"{{{ATOM}}}id").text = f"tag:{origin},2022:statement:{v.statement.id}"
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = svc.released_at(s, v.statement).isoformat()
        author = ET.SubElement(entry, f"{{{ATOM}}}author")
        ET.SubElement(author, f"{{{ATOM}}}name").text = v.statement.party
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=f"/api/public/statements/{v.statement.id}")
        ET.SubElement(entry, f"{{{ATOM}}}content", type="text").text = t["body"]
    body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return Response(body, media_type="application/atom+xml")
