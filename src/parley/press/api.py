"""HTTP API of the press desk and of the public side.

Members (``/api/statements``): a party's press officers, negotiators and admins draft statements and their versions,
a second negotiator or admin approves the exact version (by its SHA-256), and a negotiator or admin withdraws one.
Every write is a record signed with the caller's custodial key, closed to the caller's party.

The public (``/api/public/…``, no account): the released statements as JSON and as an Atom feed, and each one's bundle
(its signed records with their inclusion proofs, the keys) that ``parley log verify-statement`` checks.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Body, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict

from parley.apischema import READ, ReceiptBody, body_schema, media, refusals, written
from parley.apischema import answer as json_answer
from parley.auth import CurrentPrincipal, CurrentRuntime, DbSession
from parley.errors import BadRequest, NotFound
from parley.press import codes as C
from parley.press import kinds as k
from parley.press import service as svc
from parley.records.ids import new_id
from parley.records.pipeline import Receipt
from parley.submit import submit_as_async

router = APIRouter(prefix="/api/statements", tags=["press"])
figures_router = APIRouter(prefix="/api/figures", tags=["press"])
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

def released_json(s: Any, party: str | None = None) -> list[dict[str, Any]]:
    """``view_json`` of every released statement (of ``party``), newest release first, computed once per state of
    the log (``svc.kept``): readers between two records share one computation."""
    return list(svc.kept(s, ("released", party),
                         lambda: [view_json(s, v, whole=False) for v in svc.released(s, party=party)]))


def _kept_json(s: Any, what: tuple[Any, ...], compute: Any) -> Response:
    """A public JSON answer, serialised once per state of the log."""
    body = svc.kept(s, ("json", *what), lambda: json_answer(compute()).body)
    return Response(body, media_type="application/json")


async def _public_json(s: Any, what: tuple[Any, ...], compute: Any) -> Response:
    """``_kept_json`` for an async route: answered on the event loop when it is at hand (``svc.kept_if_known``),
    computed on a thread otherwise (it reads the database)."""
    body = svc.kept_if_known(s, ("json", *what))
    if body is not None:
        return Response(body, media_type="application/json")
    return await run_in_threadpool(_kept_json, s, what, compute)


@public.get("/statements", response_model=Statements, responses=refusals(422))
async def public_statements(s: DbSession, party: Annotated[str | None, Query(max_length=64)] = None) -> Response:
    """Every released statement (of ``party``), newest release first, each with its texts and its records' log
    indices. No account needed."""
    return await _public_json(s, ("statements", party), lambda: {"statements": released_json(s, party)})


@public.get("/statements/{statement_id}", response_model=Loose, responses=refusals(404, 422))
async def public_bundle(statement_id: str, s: DbSession, rt: CurrentRuntime) -> Response:
    """A released statement's bundle: its signed records with their payloads and inclusion proofs, the authors'
    keys and the log's key, which ``parley log verify-statement FILE`` checks without an account."""
    # 404 for anything not released: raised while computing, so nothing is kept for it.
    return await _public_json(s, ("bundle", statement_id[:64]),
                              lambda: svc.bundle(s, rt, svc.one(s, None, statement_id)))


# -- figures a party releases of its own records ------------------------------------------------------------------
class Releasable(BaseModel):
    operations: list[dict[str, Any]]  # completed operations the party reported on, not yet released: their figures
    inquiries: dict[str, Any]  # the party's inquiries until yesterday, as a release would carry them
    released: list[dict[str, Any]]  # the party's releases so far


@figures_router.get("/releasable", response_model=Releasable, responses=refusals(*READ, 403))
def releasable(s: DbSession, who: CurrentPrincipal) -> Response:
    """What the caller's party may release of its own records, computed from the log: each completed operation it
    reported an outcome of (not yet released) with its figures, and its inquiries until yesterday."""
    svc.require_figure_releaser(who)
    return json_answer(svc.releasable(s, who.party))


class FiguresBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject: Literal["operation", "inquiries"]
    operation: str | None = None  # the completed operation, for "operation"
    until: date | None = None  # the last day counted, for "inquiries" (a day that has ended)


@figures_router.post("/releases", status_code=201, response_model=Created, responses=written(Created))
async def release_figures(body: FiguresBody, rt: CurrentRuntime, s: DbSession, who: CurrentPrincipal) -> JSONResponse:
    """Release figures of the caller's party's own records, as Parley computes them from the log (never typed in):
    an operation's outcome as the party reported it, or its inquiries filed, answered and closed until a day. The
    ``figures.release`` record is public from the moment it is written (a negotiator or admin)."""
    svc.require_figure_releaser(who)
    payload = svc.figures_payload(s, who.party, body.subject, body.operation, body.until)
    receipt = await submit_as_async(rt, s, who, "figures.release", ["all"], payload)
    return _answer(receipt, id=payload["id"])


@public.get("/records/{index}", response_model=Loose, responses=refusals(404, 422))
def public_record(index: int, s: DbSession, rt: CurrentRuntime) -> Response:
    """A public record (a released statement's version, approval or withdrawal; a party's release of an exchange's
    figures — what each figure on the public side is computed from) with its payload and its inclusion proof in a
    published checkpoint; 404 for any other record, whether it exists or not."""
    return _kept_json(s, ("record", index), lambda: svc.public_record(s, rt, index))


@public.get("/checkpoint", response_class=Response,
            responses=media("text/plain", "the newest published checkpoint, a C2SP signed note with the "
                            "witnesses' cosignatures", 404))
def public_checkpoint(s: DbSession) -> Response:
    """The newest checkpoint the log published (signed by the log, cosigned by the witnesses its policy names): the
    log's size and root. Proofs on the public side are against published checkpoints."""
    from parley.log.store import checkpoint_with_cosignatures, latest_checkpoint

    cp = latest_checkpoint(s, published=True)
    if cp is None:
        raise NotFound(C.NO_PUBLISHED)
    return Response(checkpoint_with_cosignatures(s, cp), media_type="text/plain; charset=utf-8",
                    headers={"Cache-Control": "no-store"})


class PublicConsistency(BaseModel):
    old: int
    new: int
    proof: list[str]  # base64 hashes, RFC 9162


@public.get("/consistency", response_model=PublicConsistency, responses=refusals(400, 404, 422))
def public_consistency(s: DbSession, rt: CurrentRuntime, old: Annotated[int, Query(ge=1)],
                       new: Annotated[int, Query(ge=1)]) -> Response:
    """A consistency proof between two sizes of the log up to the newest published one: anyone holding an older
    checkpoint checks that the newer one extends it (the log never rewrites what it published)."""
    import base64

    from parley.log import merkle
    from parley.log.store import DbNodes, latest_checkpoint

    cp = latest_checkpoint(s, published=True)
    if cp is None:
        raise NotFound(C.NO_PUBLISHED)
    if not old <= new <= cp.size:
        raise BadRequest(C.CONSISTENCY_RANGE, size=cp.size)
    proof = merkle.consistency_proof(DbNodes(s, rt.cache), old, new)
    return json_answer({"old": old, "new": new, "proof": [base64.b64encode(h).decode() for h in proof]})


class Figures(BaseModel):
    releases: list[dict[str, Any]]  # each party's release of a completed exchange
    compared: list[dict[str, Any]]  # an exchange both sides released: what one sent beside what the other received
    evacuations: list[dict[str, Any]]  # persons evacuated by category and destination, as a party released them
    inquiries: list[dict[str, Any]]  # a party's inquiries filed, answered and closed up to a day
    evacuated_by_category: dict[str, dict[str, int]]
    over_time: dict[str, dict[str, list[dict[str, Any]]]]  # the charts' series, each party apart
    suppressed_below: int


@public.get("/figures", response_model=Figures)
async def public_figures(s: DbSession) -> Response:
    """What each party released of each completed exchange (persons sent and received, as it stated them), each
    side apart, and where both sides released one, what one says it sent beside what the other says it received.
    A figure that could point at fewer than 5 people is ``{"fewer_than": 5}``."""
    from parley.press import figures

    return await _public_json(s, ("figures",), lambda: figures.table(s))


@public.get("/figures.csv", response_class=Response,
            responses=media("text/csv", "the releases as CSV, with an HXL hashtag row if asked", 422))
def public_figures_csv(s: DbSession, hxl: bool = False,
                       table: Annotated[str, Query(pattern="^(exchanges|evacuations|inquiries)$")] = "exchanges",
                       ) -> Response:
    """A table of the figures as CSV (a figure that could point at fewer than 5 people is ``<5``): the exchanges'
    releases, the evacuations or the inquiries (``table``); ``hxl``: an HXL hashtag row under the header."""
    from parley.press import figures

    return Response(figures.csv_text(s, hxl=hxl, table=table), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="parley-{table}.csv"'})


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
