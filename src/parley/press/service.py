"""Reads of the press desk: a party's statements as its own members read them, and the released statements as
anyone reads them, each with the signed records that make it (the version approved, the approval, a withdrawal)
and their inclusion proofs, so that it can be checked without an account (``press.verify``).

A member reads its own party's statements (drafts, approvals, withdrawals) if its roles read the kinds
(``press.kinds.READ``); anyone reads a released statement. Nothing here writes.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from parley.errors import NotFound
from parley.log.models import LogEntry
from parley.log.store import DbNodes, checkpoint_with_cosignatures, proof_checkpoint, tlog_proof
from parley.press import codes as C
from parley.press.kinds import POLICY, embargo_lifted, is_released
from parley.press.models import Statement, StatementVersion
from parley.records import sealing
from parley.records.policy import Reader

FORMAT = "parley.statement/v1"  # the public bundle of a released statement


@dataclass
class View:
    """A statement as a reader sees it: its current (or, publicly, its approved) text and where it stands."""

    statement: Statement
    text: dict[str, Any]  # texts, references, embargo, corrects (``kinds.released_text``)
    version: StatementVersion
    state: str  # draft | approved (embargoed) | released | withdrawn (before release) | withdrawn_after_release
    corrected_by: list[str] = field(default_factory=list)
    versions: list[StatementVersion] = field(default_factory=list)

    @property
    def released(self) -> bool:
        return self.state in ("released", "withdrawn_after_release")


def reads_statements(who: Reader) -> bool:
    return bool(who.roles & POLICY.readers("statement.draft").roles)


def _state(s: Session, st: Statement, now: datetime) -> str:
    if is_released(s, st, now):
        return "withdrawn_after_release" if st.withdrawn_idx is not None else "released"
    if st.withdrawn_idx is not None:
        return "withdrawn"
    return "approved" if st.approved_idx is not None else "draft"


def _versions(s: Session, sid: str) -> list[StatementVersion]:
    return list(s.execute(select(StatementVersion).where(StatementVersion.statement == sid)
                          .order_by(StatementVersion.version)).scalars())


def _corrected_by(s: Session, st: Statement, now: datetime) -> list[str]:
    return [c.id for c in s.execute(select(Statement).where(Statement.corrects == st.id)
                                    .order_by(Statement.idx)).scalars() if is_released(s, c, now)]


def _view(s: Session, st: Statement, now: datetime, *, public: bool) -> View:
    versions = _versions(s, st.id)
    shown = next((v for v in versions if v.version == st.approved_version), versions[-1]) if public else versions[-1]
    return View(st, json.loads(shown.text), shown, _state(s, st, now), _corrected_by(s, st, now),
                [] if public else versions)


def own(s: Session, who: Reader, *, now: datetime | None = None) -> list[View]:
    """The statements of the reader's own party, newest first (none for roles that do not read them)."""
    if not reads_statements(who):
        return []
    now = now or datetime.now(UTC)
    rows = s.execute(select(Statement).where(Statement.party == who.party).order_by(Statement.idx.desc())).scalars()
    return [_view(s, st, now, public=False) for st in rows if POLICY.may_read(who, "statement.draft", st.audience,
                                                                              st.party)]


def one(s: Session, who: Reader | None, sid: str, *, now: datetime | None = None) -> View:
    """A statement: its own party's members who read statements see it whole; anyone else only once released."""
    now = now or datetime.now(UTC)
    st = s.get(Statement, sid)
    if st is not None and who is not None and POLICY.may_read(who, "statement.draft", st.audience, st.party):
        return _view(s, st, now, public=False)
    if st is None or not is_released(s, st, now):
        raise NotFound(C.NO_STATEMENT, statement=sid)
    return _view(s, st, now, public=True)


def released(s: Session, *, party: str | None = None, now: datetime | None = None) -> list[View]:
    """Every released statement (of ``party``), newest release first: what the public side shows. Read in three
    queries whatever their number (the statements, the versions approved, the corrections), not per statement."""
    now = now or datetime.now(UTC)
    q = select(Statement).where(Statement.approved_idx.is_not(None))
    if party:
        q = q.where(Statement.party == party)
    shown = [st for st in s.execute(q).scalars() if is_released(s, st, now)]
    if not shown:
        return []
    ids = [st.id for st in shown]
    versions = {(v.statement, v.version): v for v in s.execute(
        select(StatementVersion).where(StatementVersion.statement.in_(ids))).scalars()}
    corrections: dict[str, list[str]] = {}
    for c in s.execute(select(Statement).where(Statement.corrects.in_(ids)).order_by(Statement.idx)).scalars():
        if is_released(s, c, now):
            corrections.setdefault(c.corrects or "", []).append(c.id)
    views = []
    for st in shown:
        v = versions[(st.id, st.approved_version or st.version)]
        views.append(View(st, json.loads(v.text), v, _state(s, st, now), corrections.get(st.id, [])))
    return sorted(views, key=lambda v: (released_at(s, v.statement), v.statement.id), reverse=True)


def released_at(s: Session, st: Statement) -> datetime:
    """When it became public: its approval, or the end of its embargo (the time, or the completing record's)."""
    assert st.approved_at is not None
    if st.embargo_until is not None:
        return max(st.approved_at, st.embargo_until)
    if st.embargo_object is not None:
        from parley.press.kinds import _event_idx

        e = s.get(LogEntry, _event_idx(s, st))
        if e is not None:
            return max(st.approved_at, datetime.fromisoformat(e.time.replace("Z", "+00:00")))
    return st.approved_at


def waiting_for(s: Session, st: Statement, now: datetime | None = None) -> str | None:
    """What an approved statement still waits for before release, for its own party: None once released."""
    if embargo_lifted(s, st, now):
        return None
    if st.embargo_until is not None:
        return f"until {st.embargo_until.isoformat()}"
    return f"until {st.embargo_object} {st.embargo_id} is completed"


def public_record_json(s: Session, rt: Any, row: LogEntry, opener: sealing.Opener | None = None) -> dict[str, Any]:
    """A public record as the public side serves it: its signed text, its payload, and its inclusion proof in the
    newest published checkpoint that covers it (C2SP tlog-proof, with the witnesses' cosignatures). The caller has
    asked the read policy that the record is public."""
    text, _ = (opener or sealing.Opener(s)).open(row.payload, row.payload_hash)
    cp = proof_checkpoint(s, row.idx)
    return {"index": row.idx, "kind": row.kind, "author": row.author, "time": row.time, "note": row.note.decode(),
            "payload": text,
            "proof": tlog_proof(DbNodes(s, rt.cache), row.idx, cp.size, checkpoint_with_cosignatures(s, cp))}


def public_record(s: Session, rt: Any, index: int) -> dict[str, Any]:
    """Record ``index`` with its proof, if anyone may read it (``Kind.public``: a released statement's records, a
    party's release of an exchange's figures); not found otherwise, whether it exists or not."""
    row = s.get(LogEntry, index) if 0 <= index < 1 << 62 else None
    if row is None or not rt.policy.is_public(s, row.kind, index):
        raise NotFound(C.NO_PUBLIC_RECORD, index=index)
    return {**public_record_json(s, rt, row), "log_key": rt.log_signer.vkey()}


def record_indices(st: Statement, version: StatementVersion) -> list[int]:
    """The records a released statement is made of: the version approved, its approval, any withdrawal."""
    out = [version.idx]
    if st.approved_idx is not None:
        out.append(st.approved_idx)
    if st.withdrawn_idx is not None:
        out.append(st.withdrawn_idx)
    return out


def bundle(s: Session, rt: Any, view: View) -> dict[str, Any]:
    """The public bundle of a released statement: its records as signed, each with its payload and its inclusion
    proof in a published checkpoint of the log (C2SP tlog-proof), and the log's key, for ``parley log
    verify-statement``. Only a released statement's records are ever put in one. The members' verifier keys are
    not: they are in membership records, which members read and the public does not (``docs/threat-model.md``)."""
    assert view.released
    st = view.statement
    opener = sealing.Opener(s)
    records = []
    for idx in record_indices(st, view.version):
        row = s.get(LogEntry, idx)
        assert row is not None and POLICY.is_public(s, row.kind, idx)
        records.append(public_record_json(s, rt, row, opener))
    return {"format": FORMAT, "statement": st.id, "party": st.party, "state": view.state,
            "released_at": released_at(s, st).isoformat(), "text": view.text, "corrected_by": view.corrected_by,
            "withdrawn_reason": st.withdrawn_reason if view.state == "withdrawn_after_release" else None,
            "records": records, "log_key": rt.log_signer.vkey()}


# -- figures a party releases of its own records ------------------------------------------------------------------
def require_figure_releaser(who: Reader) -> None:
    from parley.errors import Forbidden
    from parley.press import rules

    if not rules.may_release_figures(who, who.party):
        raise Forbidden(C.FIGURES_ROLES, roles=", ".join(sorted(rules.APPROVERS)))


def releasable(s: Session, party: str) -> dict[str, Any]:
    """What ``party`` may release of its own records now, computed from the log."""
    from parley.operations.models import Operation, OutcomeStatement
    from parley.press import figures
    from parley.press.kinds import computed_figures
    from parley.press.models import FigureRelease

    done = {r.operation for r in s.execute(select(FigureRelease).where(FigureRelease.party == party,
                                                                        FigureRelease.subject == "operation"))
            .scalars()}
    ops = []
    reported = select(OutcomeStatement.operation).where(OutcomeStatement.party == party).distinct()
    for op in s.execute(select(Operation).where(Operation.id.in_(reported), Operation.status == "completed")
                        .order_by(Operation.id)).scalars():
        if op.id in done:
            continue
        f = figures.operation_figures(s, party, op.id)
        if f is not None:
            ops.append({"operation": op.id, "title": op.title, "figures": f})
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    inq = computed_figures(s, party, {"subject": "inquiries", "until": yesterday.isoformat()}) or {}
    mine = [{"id": r.id, "subject": r.subject, "operation": r.operation, "day": r.of_day.date().isoformat(),
             "figures": json.loads(r.figures), "record": r.idx}
            for r in s.execute(select(FigureRelease).where(FigureRelease.party == party)
                               .order_by(FigureRelease.idx.desc())).scalars()]
    return {"operations": ops, "inquiries": inq, "released": mine}


def figures_payload(s: Session, party: str, subject: str, operation: str | None, until: Any) -> dict[str, Any]:
    """The ``figures.release`` payload of ``subject`` as computed now (the apply computes it again)."""
    from parley.errors import Conflict, Unprocessable
    from parley.press.kinds import computed_figures
    from parley.records.ids import new_id

    if subject == "operation" and not operation:
        raise Unprocessable(C.FIGURES_SUBJECT, field="operation")
    if subject == "inquiries" and until is None:
        raise Unprocessable(C.FIGURES_SUBJECT, field="until")
    what = {"subject": subject, **({"operation": operation} if subject == "operation" else
                                   {"until": until.isoformat()})}
    computed = computed_figures(s, party, what)
    if computed is None:
        raise Conflict(C.FIGURES_NOTHING, operation=operation or "", field="operation")
    return {"id": new_id(party, "figures"), **what, **computed}


# -- what the public side computes once per state of the log ------------------------------------------------------
_KEPT: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_KEPT_MAX = 512
_KEPT_LOCK = threading.Lock()


# Every public request asks the public state first; it is asked of the database again only when a commit in this
# process may have changed it, when the clock reaches the next embargo, or after STATE_FOR seconds (what another
# process, a command or a second server, committed in the meantime shows that much later).
STATE_FOR = 1.0
_COMMITS: dict[str, int] = {}  # commits in this process, by database address
_COMMITS_LOCK = threading.Lock()


@event.listens_for(Engine, "commit")
def _committed(conn: Any) -> None:
    url = conn.engine.url.render_as_string(hide_password=True)
    with _COMMITS_LOCK:
        _COMMITS[url] = _COMMITS.get(url, 0) + 1


@dataclass
class _KnownState:
    state: tuple[Any, ...]
    commits: int
    until: float  # time.monotonic()
    embargo: datetime | None  # the next embargo the clock lifts


_STATES: dict[str, _KnownState] = {}
_ASKING: dict[str, threading.Lock] = {}


def public_state(s: Session) -> tuple[Any, ...]:
    """What every public answer depends on: the log (its size and newest record), the embargoes the clock lifted
    so far, and the newest published checkpoint with its cosignatures (the proofs are against it). Two requests
    with the same state get the same answer."""
    url, known = _known_state(s)
    if known is not None:
        return known
    # One caller asks the database; those that find the state gone meanwhile wait for its answer.
    with _ASKING.setdefault(url, threading.Lock()):
        url, known = _known_state(s)
        if known is not None:
            return known
        commits, mono = _COMMITS.get(url, 0), time.monotonic()
        state, embargo = query_public_state(s)
        _STATES[url] = _KnownState(state, commits, mono + STATE_FOR, embargo)
        return state


def _address(s: Session) -> str:
    bind: Any = s.get_bind()
    return str((bind.engine if hasattr(bind, "engine") else bind).url.render_as_string(hide_password=True))


def _known_state(s: Session) -> tuple[str, tuple[Any, ...] | None]:
    """The database's address, and the public state if it is known without asking the database (no I/O)."""
    url = _address(s)
    known = _STATES.get(url)
    if (known is not None and known.commits == _COMMITS.get(url, 0) and time.monotonic() < known.until
            and (known.embargo is None or datetime.now(UTC) < known.embargo)):
        return url, known.state
    return url, None


def query_public_state(s: Session) -> tuple[tuple[Any, ...], datetime | None]:
    """The public state from the database (one round trip), and when the next embargo lifts."""
    from sqlalchemy import func

    from parley.log.models import LogCheckpoint, LogCosignature

    url = _address(s)
    now = datetime.now(UTC)
    size_q = select(func.max(LogEntry.idx)).scalar_subquery()
    published_q = select(func.max(LogCheckpoint.size)).where(LogCheckpoint.published.is_(True)).scalar_subquery()
    size, newest, lifted, published, cosigned, embargo = s.execute(select(
        size_q,
        select(LogEntry.record_hash).where(LogEntry.idx == size_q).scalar_subquery(),
        select(func.count()).select_from(Statement).where(
            Statement.embargo_until.is_not(None), Statement.embargo_until <= now).scalar_subquery(),
        published_q,
        select(func.count()).select_from(LogCosignature).where(LogCosignature.size == published_q)
        .scalar_subquery(),
        select(func.min(Statement.embargo_until)).where(Statement.embargo_until > now).scalar_subquery())).one()
    if isinstance(embargo, str):  # SQLite gives the text of a time computed in SQL
        embargo = datetime.fromisoformat(embargo)
    if embargo is not None and embargo.tzinfo is None:
        embargo = embargo.replace(tzinfo=UTC)
    return (url, size, newest, lifted, published, cosigned), embargo


def kept_if_known(s: Session, what: tuple[Any, ...]) -> Any | None:
    """What ``kept(s, what, …)`` gives, if it is at hand without asking the database, else None: an async route
    answers from it on the event loop and sends only the rest to a thread."""
    state = _known_state(s)[1]
    if state is None:
        return None
    key = (*state, *what)
    with _KEPT_LOCK:
        if key in _KEPT:
            _KEPT.move_to_end(key)
            return _KEPT[key]
    return None


def kept(s: Session, what: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
    """``compute()``, once per public state of the log (``public_state``) and ``what``; the caller does not change
    what it is given."""
    key = (*public_state(s), *what)
    with _KEPT_LOCK:
        if key in _KEPT:
            _KEPT.move_to_end(key)
            return _KEPT[key]
    value = compute()
    with _KEPT_LOCK:
        _KEPT[key] = value
        while len(_KEPT) > _KEPT_MAX:
            _KEPT.popitem(last=False)
    return value
