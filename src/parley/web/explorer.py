"""The log explorer: the records a member may read, newest first and filtered, each record with its signed
text and inclusion proof, and the checkpoints with the witnesses' cosignatures; the explorer's first
addresses redirect here."""

from __future__ import annotations

import base64
import json
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from parley.db import MAX_DB_INT
from parley.log.models import LogCheckpoint, LogEntry
from parley.log.store import (
    DbNodes,
    checkpoint_with_cosignatures,
    cosigners_by_size,
    latest_checkpoint,
    proof_checkpoint,
    tlog_proof,
)
from parley.logserver.api import readable
from parley.parties.models import Party
from parley.runtime import Runtime
from parley.web import i18n
from parley.web.i18n import N_
from parley.web.labels import KIND_LABELS
from parley.web.routes import Db, Who, lang_of, not_found, render

router = APIRouter(include_in_schema=False)
PAGE = 100
MAX_PAGE = 500


# -- the log explorer -----------------------------------------------------------------------------
@router.get("/log", response_class=HTMLResponse)
def records(request: Request, s: Db, who: Who, kind: str = "", party: str = "", author: str = "",
            start: Annotated[int | None, Query(ge=0, le=MAX_DB_INT - 1)] = None,  # start + 1 is a bound too
            limit: Annotated[int, Query(le=MAX_DB_INT)] = PAGE) -> HTMLResponse:
    """Newest first; ``start`` is the index to start from going back, so pages stay stable as the log grows."""
    limit = max(1, min(limit, MAX_PAGE))
    q = select(LogEntry).order_by(LogEntry.idx.desc())
    if kind:
        q = q.where(LogEntry.kind == kind[:64])
    if party:
        q = q.where(LogEntry.party == party[:64])
    if author:
        q = q.where(LogEntry.author.contains(author.strip()[:130]))
    rows: list[LogEntry] = []
    cursor = start + 1 if start is not None and start >= 0 else None
    more = None
    # Walk back in chunks so one request never scans the whole log for a reader of few records.
    for _ in range(20):
        batch = s.execute((q.where(LogEntry.idx < cursor) if cursor is not None else q).limit(500)).scalars().all()
        for row in batch:
            cursor = row.idx
            if readable(request.app.state.runtime.policy, who, row):
                if len(rows) == limit:
                    more = row.idx
                    break
                rows.append(row)
        if more is not None or len(batch) < 500:
            break
    else:
        more = cursor - 1 if cursor else None  # scanned enough for one page; let the reader ask for more
    head = latest_checkpoint(s)
    parties = s.execute(select(Party.slug).order_by(Party.slug)).scalars().all()
    filters = {"kind": kind, "party": party, "author": author}
    older = "/log?" + urlencode({**{k: v for k, v in filters.items() if v}, "start": more,
                                  **({"limit": limit} if limit != PAGE else {})}) if more is not None else None
    lang = lang_of(request)  # every kind the log accepts, by its name in the reader's language
    kinds = sorted(request.app.state.runtime.kinds,
                   key=lambda k: i18n.gettext(lang, KIND_LABELS.get(k) or k).casefold())
    return render(request, "records.html", who=who, rows=rows, kinds=kinds, parties=parties,
                  filters=filters, older=older, newest=start is None, size=head.size if head else 0)


@router.get("/log/records/{index}", response_class=HTMLResponse)
def record(request: Request, s: Db, who: Who, index: str) -> HTMLResponse:
    row = s.get(LogEntry, int(index)) if index.isdigit() and len(index) < 19 else None
    if row is None or not readable(request.app.state.runtime.policy, who, row):
        return not_found(request, who, N_("There is no record with this number that you may read."))
    rt: Runtime = request.app.state.runtime
    payload = json.dumps(json.loads(row.payload), ensure_ascii=False, indent=2, sort_keys=True)
    cp: LogCheckpoint | None
    try:
        cp = proof_checkpoint(s, row.idx)
    except LookupError:
        cp, proof = None, None
    else:
        proof = tlog_proof(DbNodes(s, rt.cache), row.idx, cp.size, checkpoint_with_cosignatures(s, cp))
    return render(request, "record.html", who=who, row=row, payload=payload, proof=proof, checkpoint=cp,
                  note=row.note.decode(), leaf=row.leaf_hash.hex())


@router.get("/log/checkpoints", response_class=HTMLResponse)
def checkpoints(request: Request, s: Db, who: Who,
                before: Annotated[int | None, Query(ge=0, le=MAX_DB_INT)] = None) -> HTMLResponse:
    q = select(LogCheckpoint).order_by(LogCheckpoint.size.desc()).limit(50)
    if before:
        q = q.where(LogCheckpoint.size < before)
    cps = s.execute(q).scalars().all()
    cosigs = cosigners_by_size(s, [c.size for c in cps])
    notes = {c.size: checkpoint_with_cosignatures(s, c).decode() for c in cps}
    return render(request, "checkpoints.html", who=who, checkpoints=cps, cosigs=cosigs, notes=notes,
                  roots={c.size: base64.b64encode(c.root_hash).decode() for c in cps},
                  log_key=request.app.state.runtime.log_signer.vkey(),
                  more=cps[-1].size if len(cps) == 50 else None)


# The explorer's first addresses, kept so links already shared keep working.
@router.get("/records")
@router.get("/records/{index}")
@router.get("/checkpoints")
def moved(request: Request) -> RedirectResponse:
    path = request.url.path
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(("/log" if path == "/records" else "/log" + path) + query, 308)
