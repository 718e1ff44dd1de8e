"""Record kinds of the press desk: a statement's versions (``statement.draft``), the approval that releases one
(``statement.approve``) and a withdrawal (``statement.withdraw``).

A party's statement is drafted by its press officer (or a negotiator or admin) in one or more of Ukrainian, Russian
and English, may name the records it speaks of (an exchange, an operation, a talks point) and may carry an embargo:
until a time, or until an exchange or operation is completed. It is released only when a second member of the same
party with authority (a negotiator or an admin, never the version's author) approves that exact version: the draft
and the approval are two signed records over the same SHA-256 of the text (``text_hash``). An approved statement
without embargo is released at once; an embargoed one when its embargo lifts, by itself: the time passes, or the
record that completes the exchange or operation is in the log.

Until then every record of a statement is closed to its party (``only,party:<party>``) and read there by its press
officers, negotiators, admins and auditors. From its release, the version approved, its approval and any
withdrawal are public (``Kind.public``): anyone reads them, with their signatures and inclusion proofs, and no other
record. A withdrawal or a correction (a new statement that ``corrects`` a released one) is a later record; the
original stays visible, marked.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, StringConstraints, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from parley.errors import Conflict, Forbidden, Invalid, NotFound, Unprocessable
from parley.parties.naming import SLUG
from parley.press import codes as C
from parley.press import rules
from parley.press.models import FigureRelease, Statement, StatementVersion
from parley.records.format import ONLY, canonical_payload
from parley.records.kinds import Context, Kind, Payload, Readers, Registry
from parley.records.policy import ReadPolicy

Slug = Annotated[str, StringConstraints(pattern=rf"^{SLUG}$")]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Title = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Body = Annotated[str, StringConstraints(min_length=1, max_length=20000)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=True)]
Language = Literal["uk", "ru", "en"]
READ = Readers(rules.READERS)


class Text(Payload):
    title: Title
    body: Body


class Reference(Payload):
    object: Literal["exchange", "operation", "talks.point"]
    id: Slug


class Embargo(Payload):
    """Until a time, or until an exchange or an operation is completed: one of the three."""

    until: AwareDatetime | None = None
    exchange: Slug | None = None
    operation: Slug | None = None

    @model_validator(mode="after")
    def _one(self) -> Embargo:
        if sum(v is not None for v in (self.until, self.exchange, self.operation)) != 1:
            raise Invalid(C.EMBARGO_ONE)
        return self


class Draft(Payload):
    statement: Slug
    version: Annotated[int, Field(ge=1, le=1000)]
    texts: Annotated[dict[Language, Text], Field(min_length=1)]
    references: Annotated[list[Reference], Field(max_length=20)] = []  # noqa: RUF012
    embargo: Embargo | None = None
    corrects: Slug | None = None  # a released statement of the same party that this one corrects


class Approve(Payload):
    statement: Slug
    version: Annotated[int, Field(ge=1, le=1000)]
    sha256: Sha256


class Withdraw(Payload):
    statement: Slug
    reason: Reason


def released_text(d: Draft | dict[str, Any]) -> dict[str, Any]:
    """What an approver approves: the texts, the references, the embargo and what it corrects, as JSON."""
    p = d if isinstance(d, Draft) else Draft.model_validate(d)
    out: dict[str, Any] = {"texts": {lang: t.model_dump() for lang, t in sorted(p.texts.items())},
                           "references": [r.model_dump() for r in p.references]}
    if p.embargo is not None:
        out["embargo"] = p.embargo.model_dump(mode="json", exclude_none=True)
    if p.corrects is not None:
        out["corrects"] = p.corrects
    return out


def text_hash(d: Draft | dict[str, Any]) -> str:
    """SHA-256 of ``released_text`` in RFC 8785 canonical JSON: what the author signed and the approver approves."""
    return hashlib.sha256(canonical_payload(released_text(d))).hexdigest()


def audience_for(party: str) -> list[str]:
    return [ONLY, f"party:{party}"]


def _member(ctx: Context) -> tuple[str, str]:
    if ctx.author is None or ctx.author_party is None:
        raise Forbidden(C.MEMBERS_ONLY)
    return ctx.author.id, ctx.author_party.slug


def _audience(ctx: Context, party: str) -> None:
    expected = audience_for(party)
    if ctx.record.audience.tokens != tuple(sorted(expected)):
        raise Unprocessable(C.AUDIENCE, expected=",".join(sorted(expected)), field="audience")


def _statement(ctx: Context, sid: str, party: str) -> Statement:
    st = ctx.session.get(Statement, sid)
    if st is None or st.party != party:  # another party's statement is not shown to exist
        raise NotFound(C.NO_STATEMENT, statement=sid, field="statement")
    return st


def apply_draft(ctx: Context) -> None:
    p: Draft = ctx.payload
    author, party = _member(ctx)
    _audience(ctx, party)
    for i, ref in enumerate(p.references):
        if not ctx.sees(ref.object, ref.id):
            raise NotFound(C.NO_OBJECT, object=ref.object, object_id=ref.id, field=f"references.{i}.id")
    if p.embargo is not None:
        emb = p.embargo
        if emb.until is not None and emb.until <= ctx.record.when and not ctx.replay:
            raise Unprocessable(C.EMBARGO_PAST, until=emb.until.isoformat(), field="embargo.until")
        for obj in ("exchange", "operation"):
            ident = getattr(emb, obj)
            if ident is not None and not ctx.sees(obj, ident):
                raise NotFound(C.NO_OBJECT, object=obj, object_id=ident, field=f"embargo.{obj}")
    if p.corrects is not None:
        old = ctx.session.get(Statement, p.corrects)
        if old is None or old.party != party or not is_released(ctx.session, old, ctx.record.when):
            raise Unprocessable(C.CORRECTS, statement=p.corrects, field="corrects")
    st = ctx.session.get(Statement, p.statement)
    digest = text_hash(p)
    if st is None:
        if p.version != 1:
            raise Conflict(C.VERSION_NEXT, statement=p.statement, current=0, expected=1, field="version")
        st = Statement(id=p.statement, party=party, idx=ctx.idx, version=1, sha256=digest,
                       audience=ctx.record.audience.text(), updated_idx=ctx.idx, withdrawn_reason="")
        ctx.session.add(st)
    else:
        if st.party != party:
            raise Conflict(C.EXISTS, statement=p.statement, field="statement")
        if st.withdrawn_idx is not None:
            raise Conflict(C.WITHDRAWN, statement=st.id)
        if st.approved_idx is not None:
            raise Conflict(C.APPROVED, statement=st.id)
        if p.version != st.version + 1:
            raise Conflict(C.VERSION_NEXT, statement=st.id, current=st.version, expected=st.version + 1,
                           field="version")
        st.version, st.sha256, st.updated_idx = p.version, digest, ctx.idx
    st.corrects = p.corrects
    e = p.embargo
    st.embargo_until = e.until if e is not None else None
    st.embargo_object = None if e is None or e.until is not None else "exchange" if e.exchange else "operation"
    st.embargo_id = None if e is None else e.exchange or e.operation
    ctx.session.add(StatementVersion(idx=ctx.idx, statement=st.id, version=p.version, sha256=digest,
                                     text=json.dumps(released_text(p), ensure_ascii=False), author=author,
                                     party=party, audience=ctx.record.audience.text(), at=ctx.record.when))


def apply_approve(ctx: Context) -> None:
    p: Approve = ctx.payload
    author, party = _member(ctx)
    _audience(ctx, party)
    st = _statement(ctx, p.statement, party)
    if st.withdrawn_idx is not None:
        raise Conflict(C.WITHDRAWN, statement=st.id)
    if st.approved_idx is not None:
        raise Conflict(C.APPROVED, statement=st.id)
    if p.version != st.version:
        raise Conflict(C.VERSION_STALE, statement=st.id, current=st.version, version=p.version, field="version")
    if p.sha256 != st.sha256:
        raise Unprocessable(C.HASH_MISMATCH, statement=st.id, version=st.version, sha256=st.sha256, field="sha256")
    version = ctx.session.execute(select(StatementVersion).where(
        StatementVersion.statement == st.id, StatementVersion.version == st.version)).scalar_one()
    if version.author == author:
        raise Forbidden(C.OWN_DRAFT, statement=st.id, version=st.version)
    st.approved_idx, st.approved_version, st.approved_by = ctx.idx, st.version, author
    st.approved_at, st.updated_idx = ctx.record.when, ctx.idx


def apply_withdraw(ctx: Context) -> None:
    p: Withdraw = ctx.payload
    author, party = _member(ctx)
    _audience(ctx, party)
    st = _statement(ctx, p.statement, party)
    if st.withdrawn_idx is not None:
        raise Conflict(C.WITHDRAWN, statement=st.id)
    st.withdrawn_idx, st.withdrawn_at, st.withdrawn_reason = ctx.idx, ctx.record.when, p.reason
    st.withdrawn_by = author
    st.updated_idx = ctx.idx


# -- figures a party releases of its own records -------------------------------------------------------------
class FiguresRelease(Payload):
    """A party releases figures Parley computed from its own records, exactly as computed (the apply computes them
    again and refuses any other): ``operation``, its latest outcome report of a completed operation (the persons
    ``moved`` by category and destination, the ``total`` as stated); or ``inquiries``, its inquiries filed,
    answered and closed until ``until`` (a day, UTC, included). Public from the moment it is written."""

    id: Slug
    subject: Literal["operation", "inquiries"]
    operation: Slug | None = None
    moved: Annotated[list[dict[str, Any]], Field(max_length=60)] = []  # noqa: RUF012
    total: dict[str, Any] | None = None
    until: date | None = None
    filed: Annotated[int, Field(ge=0)] | None = None
    answered: Annotated[int, Field(ge=0)] | None = None
    closed: Annotated[int, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _subject(self) -> FiguresRelease:
        if (self.subject == "operation") != (self.operation is not None) or \
                (self.subject == "inquiries") != (self.until is not None):
            raise Invalid(C.FIGURES_SUBJECT)
        return self


def computed_figures(s: Session, party: str, p: FiguresRelease | dict[str, Any]) -> dict[str, Any] | None:
    """What a release of ``p``'s subject carries, computed from the log's projections now (None: nothing to
    release: the operation is not completed or the party reported no outcome)."""
    from parley.press import figures

    r = p if isinstance(p, FiguresRelease) else FiguresRelease.model_validate({"id": "x", **p})
    if r.subject == "operation":
        assert r.operation is not None
        return figures.operation_figures(s, party, r.operation)
    assert r.until is not None
    return {"until": r.until.isoformat(),
            **figures.inquiry_figures(s, party, datetime.combine(r.until, time(), UTC) + timedelta(days=1))}


def apply_figures(ctx: Context) -> None:
    p: FiguresRelease = ctx.payload
    author, party = _member(ctx)
    if not rules.may_release_figures(ctx, party):
        raise Forbidden(C.FIGURES_ROLES, roles=", ".join(sorted(rules.APPROVERS)))
    if ctx.session.execute(select(FigureRelease.idx).where(FigureRelease.id == p.id)).first() is not None:
        raise Conflict(C.FIGURES_EXISTS, release=p.id, field="id")
    if p.subject == "inquiries" and p.until is not None and p.until >= ctx.record.when.date():
        raise Unprocessable(C.FIGURES_UNTIL, field="until")
    computed = computed_figures(ctx.session, party, p)
    if computed is None:
        raise Conflict(C.FIGURES_NOTHING, operation=p.operation or "", field="operation")
    given = p.model_dump(mode="json", exclude={"id", "subject", "operation"}, exclude_none=True)
    if p.subject == "inquiries":
        given.pop("moved", None)
    if given != computed:
        raise Conflict(C.FIGURES_DIFFER, field="figures")
    if p.subject == "operation":
        from parley.press.figures import completed_on

        day = completed_on(ctx.session, p.operation or "") or ctx.record.when
    else:
        assert p.until is not None
        day = datetime.combine(p.until, time(), UTC)
    ctx.session.add(FigureRelease(idx=ctx.idx, id=p.id, party=party, subject=p.subject, operation=p.operation,
                                  of_day=day, figures=json.dumps(computed, ensure_ascii=False), author=author,
                                  audience=ctx.record.audience.text(), at=ctx.record.when))


# -- release ---------------------------------------------------------------------------------------------------

def embargo_lifted(s: Session, st: Statement, now: datetime | None = None) -> bool:
    """Has the statement's embargo lifted (or has it none)? A time passed, or the exchange or operation it waits
    for is completed."""
    now = now or datetime.now(UTC)
    if st.embargo_until is not None:
        return now >= st.embargo_until
    if st.embargo_object == "exchange":
        from parley.exchanges.models import Exchange

        x = s.get(Exchange, st.embargo_id)
        return x is not None and x.status == "completed"
    if st.embargo_object == "operation":
        from parley.operations.models import Operation

        op = s.get(Operation, st.embargo_id)
        return op is not None and op.status == "completed"
    return True


def is_released(s: Session, st: Statement, now: datetime | None = None) -> bool:
    """Approved, its embargo lifted, and not withdrawn before that: what the public reads."""
    if st.approved_idx is None or not embargo_lifted(s, st, now):
        return False
    if st.withdrawn_idx is None:
        return True
    # Withdrawn: released if it was public before the withdrawal (a withdrawal of an embargoed statement keeps it
    # unpublished). For an embargo until a time the withdrawal's time tells; for an event, its record's index.
    if st.embargo_until is not None:
        return st.withdrawn_at is not None and st.withdrawn_at >= st.embargo_until
    if st.embargo_object is not None:
        return _event_idx(s, st) < st.withdrawn_idx
    return True


def _event_idx(s: Session, st: Statement) -> int:
    """The index of the record that completed the exchange or operation the embargo waits for (a large number if
    none)."""
    never = 2**62
    if st.embargo_object == "exchange":
        from parley.exchanges.models import ExchangeStatus

        idx = s.execute(select(ExchangeStatus.idx).where(ExchangeStatus.exchange == st.embargo_id,
                                                         ExchangeStatus.status == "completed")
                        .order_by(ExchangeStatus.idx).limit(1)).scalar()
        return idx if idx is not None else never
    if st.embargo_object == "operation":
        from parley.operations.models import OperationEvent

        idx = s.execute(select(OperationEvent.idx).where(OperationEvent.operation == st.embargo_id,
                                                         OperationEvent.event == "completed")
                        .order_by(OperationEvent.idx).limit(1)).scalar()
        return idx if idx is not None else never
    return never


def _public_version(s: Session, idx: int) -> bool:
    v = s.get(StatementVersion, idx)
    if v is None:
        return False
    st = s.get(Statement, v.statement)
    return st is not None and st.approved_version == v.version and is_released(s, st)


def _public_approval(s: Session, idx: int) -> bool:
    st = s.execute(select(Statement).where(Statement.approved_idx == idx)).scalar_one_or_none()
    return st is not None and is_released(s, st)


def _public_withdrawal(s: Session, idx: int) -> bool:
    st = s.execute(select(Statement).where(Statement.withdrawn_idx == idx)).scalar_one_or_none()
    return st is not None and is_released(s, st)


KINDS: tuple[Kind, ...] = (
    Kind("statement.draft", Draft, apply_draft, rules.DRAFTERS, readers=READ, public=_public_version),
    Kind("statement.approve", Approve, apply_approve, rules.APPROVERS, readers=READ, public=_public_approval),
    Kind("statement.withdraw", Withdraw, apply_withdraw, rules.APPROVERS, readers=READ, public=_public_withdrawal),
    # A party's release of figures is its publication: public from the moment it is written.
    Kind("figures.release", FiguresRelease, apply_figures, rules.APPROVERS, readers=Readers(rules.READERS),
         public=lambda s, idx: True),
)
KIND = Registry(KINDS)
POLICY = ReadPolicy(KIND)
