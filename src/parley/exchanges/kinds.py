"""Record kinds of exchanges: the terms and their sign-off, each side's lists, the mediators' consent interviews,
plans, handover confirmations, remains and their identification, each side's count, the exchange's status and a
party's release.

Each is a signed record on the one write path; ``apply`` checks it against the current state, so replaying the log
gives the same tables. Every record of an exchange is addressed, closed (``only``), to its parties and mediators;
the kinds' readers (``rules.READERS``) keep press and liaison officers out until a party releases a completed
exchange. A consent interview is closed narrower still, to the holding party and the mediators: nobody else learns
why a person refused to go back.

An exchange names registry persons (``parley.people``): a side hands over only persons its own registry shows it
holds, asks only for its own, and each person's registry status follows the handover through the same records (the
sending side's record becomes ``released`` when it confirms the handover, the receiving side's own record
``repatriated`` — ``remains_returned`` for a body identified — when it confirms receipt).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, StringConstraints, model_validator
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from parley.errors import Conflict, Forbidden, Invalid, NotFound, Unprocessable
from parley.exchanges import codes as C
from parley.exchanges import rules
from parley.exchanges.models import (
    Exchange, ExchangeBody, ExchangeConsent, ExchangeCount, ExchangeEntry, ExchangeHandover, ExchangeIdentification,
    ExchangeList, ExchangePlan, ExchangeRemains, ExchangeSignoff, ExchangeStatus, ExchangeVersion,
)
from parley.operations.kinds import POLICY as OPERATIONS
from parley.operations.models import Operation
from parley.parties.models import Party
from parley.parties.naming import SLUG
from parley.people import codes as PEOPLE_CODES
from parley.people.kinds import POLICY as PEOPLE
from parley.people.models import MatchDecision, Person, PersonEvent, PersonList
from parley.records import codes as spine
from parley.records.figures import Figure, Stated, as_figure, to_columns
from parley.records.format import ONLY, canonical_payload
from parley.records.kinds import Context, Kind, ObjectLookup, Payload, Readers, Registry
from parley.records.policy import ReadPolicy
from parley.records.sources import Source

Slug = Annotated[str, StringConstraints(pattern=rf"^{SLUG}$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Short = Annotated[str, StringConstraints(max_length=200, strip_whitespace=True)]
Text = Annotated[str, StringConstraints(max_length=4000)]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")]
Category = Literal["wounded", "officer", "soldier", "civilian"]
MAX_LIST = 3000  # persons named in one list record (a record is at most 64 KiB); larger lists name imported lists
MAX_BODIES = 2000
READ = Readers(rules.READERS)
RELEASE = Readers(rules.RELEASE_READERS)
CONSENT_STATES = (True, False)


# --- payloads ----------------------------------------------------------------------------------------------

class Formula(Payload):
    """How many each side hands over: ``n_for_n`` (``n`` per side), ``all_for_all`` (every person on the lists who
    consents), ``by_category`` (``categories``: per side and category; "wounded" counts the seriously wounded and
    sick of any category, first under GC III Art. 109-110)."""

    kind: Literal["n_for_n", "all_for_all", "by_category"]
    n: Annotated[int, Field(ge=1, le=100_000)] | None = None
    categories: dict[Category, Annotated[int, Field(ge=0, le=100_000)]] = {}  # noqa: RUF012

    @model_validator(mode="after")
    def _shape(self) -> Formula:
        if self.kind == "n_for_n" and (self.n is None or self.categories):
            raise Invalid(C.FORMULA_N, kind=self.kind)
        if self.kind == "by_category" and (not self.categories or self.n is not None
                                           or not any(self.categories.values())):
            raise Invalid(C.FORMULA_CATEGORIES)
        if self.kind == "all_for_all" and (self.n is not None or self.categories):
            raise Invalid(C.FORMULA_ALL)
        return self

    @property
    def total(self) -> int | None:
        """Persons per side in all, when the formula fixes it."""
        return self.n if self.kind == "n_for_n" else sum(self.categories.values()) if self.categories else None


class Stage(Payload):
    number: Annotated[int, Field(ge=1, le=50)]
    size: Annotated[int, Field(ge=1, le=100_000)] | None = None  # persons (or bodies) per side in this stage
    on: date | None = None


class Terms(Payload):
    kind: Literal["prisoners", "civilians", "remains", "mixed"]
    formula: Formula
    stages: Annotated[list[Stage], Field(min_length=1, max_length=50)]
    operation: Slug | None = None  # the operation of transfer that carries the handover
    point: Slug | None = None  # the talks point the exchange implements
    window_start: AwareDatetime | None = None
    window_end: AwareDatetime | None = None
    place: Short = ""
    note: Text = ""

    @model_validator(mode="after")
    def _shape(self) -> Terms:
        if [s.number for s in self.stages] != list(range(1, len(self.stages) + 1)):
            raise Invalid(C.STAGES_NUMBERED)
        sizes = [s.size for s in self.stages]
        total = self.formula.total
        if total is not None and all(x is not None for x in sizes) and sum(x or 0 for x in sizes) != total:
            raise Invalid(C.STAGES_SUM, total=sum(x or 0 for x in sizes), n=total)
        if self.window_start and self.window_end and self.window_end < self.window_start:
            raise Invalid(C.WINDOW_ORDER)
        return self


class ExchangePropose(Payload):
    id: Slug
    title: Name
    parties: Annotated[list[Slug], Field(min_length=2, max_length=4)]
    mediators: Annotated[list[Slug], Field(min_length=1, max_length=4)]
    version: Annotated[int, Field(ge=1, le=10_000)] = 1
    terms: Terms

    @model_validator(mode="after")
    def _distinct(self) -> ExchangePropose:
        every = [*self.parties, *self.mediators]
        if len(set(every)) != len(every):
            raise Invalid(C.PARTIES_TWICE)
        return self


class ExchangeSign(Payload):
    exchange: Slug
    version: Annotated[int, Field(ge=1)]
    sha256: Sha256
    note: Text = ""


class ListVersion(Payload):
    """A version of the author's party's list: whom it hands over or asks for, by registry person, and any lists
    it imported (every person registered from their accepted rows)."""

    exchange: Slug
    direction: Literal["hand_over", "ask_for"]
    version: Annotated[int, Field(ge=1, le=10_000)]
    persons: Annotated[list[Slug], Field(max_length=MAX_LIST)] = []  # noqa: RUF012
    lists: Annotated[list[Slug], Field(max_length=20)] = []  # noqa: RUF012 — ``list.import`` ids
    note: Text = ""

    @model_validator(mode="after")
    def _shape(self) -> ListVersion:
        if not self.persons and not self.lists:
            raise Invalid(C.LIST_EMPTY)
        seen: set[str] = set()
        for p in self.persons:
            if p in seen:
                raise Invalid(C.LIST_TWICE, person=p)
            seen.add(p)
        return self


class Consent(Payload):
    """A mediator's private interview with a person held: whether the person wants to be repatriated."""

    salt: Annotated[str, StringConstraints(pattern=r"^([A-Za-z0-9_-]{16,64})?$")] = ""
    exchange: Slug
    person: Slug
    wants_repatriation: bool
    interviewed_on: date
    reason: Text = ""

    @model_validator(mode="after")
    def _reason(self) -> Consent:
        if not self.wants_repatriation and not self.reason.strip():
            raise Invalid(C.CONSENT_REASON)
        return self


class PlannedPerson(Payload):
    side: Slug
    person: Slug


class PlannedStage(Payload):
    stage: Annotated[int, Field(ge=1, le=50)]
    persons: Annotated[list[PlannedPerson], Field(max_length=MAX_LIST)]


class PlanRecord(Payload):
    exchange: Slug
    stages: Annotated[list[PlannedStage], Field(min_length=1, max_length=50)]
    pinned: Annotated[list[Slug], Field(max_length=1000)] = []  # noqa: RUF012
    excluded: Annotated[list[Slug], Field(max_length=1000)] = []  # noqa: RUF012
    gap: Annotated[float, Field(ge=0)] | None = None
    note: Text = ""


class Handover(Payload):
    exchange: Slug
    stage: Annotated[int, Field(ge=1, le=50)]
    person: Slug  # the sending side's record of the person
    step: Literal["handed_over", "received", "witnessed"]
    as_person: Slug | None = None  # received: the receiving side's own record of the person, if it has one
    at: AwareDatetime
    place: Short = ""
    note: Text = ""


class Remains(Payload):
    exchange: Slug
    stage: Annotated[int, Field(ge=1, le=50)]
    count: Stated  # as stated: "50", "more than 200" (a lower bound stays one)
    bodies: Annotated[list[Tag], Field(max_length=MAX_BODIES)] = []  # noqa: RUF012 — the tags of the bodies
    at: AwareDatetime
    place: Short = ""
    note: Text = ""
    source: Source | None = None


class Identify(Payload):
    exchange: Slug
    body: Tag
    state: Literal["preliminary", "dna_sampled", "identified"]
    person: Slug | None = None  # identified: the registry's missing or dead person
    note: Text = ""

    @model_validator(mode="after")
    def _person(self) -> Identify:
        if self.state == "identified" and self.person is None:
            raise Invalid(C.IDENTIFIED_PERSON)
        return self


class Side(Payload):
    """What a party counts it sent or received: a total and, if it says, by category, each as stated."""

    total: Stated
    by_category: dict[Literal["wounded", "officer", "soldier", "civilian", "remains"], Stated] = {}  # noqa: RUF012


class Count(Payload):
    exchange: Slug
    stage: Annotated[int, Field(ge=1, le=50)] | None = None
    sent: Side
    received: Side
    note: Text = ""
    source: Source | None = None


class StatusChange(Payload):
    exchange: Slug
    status: Literal["completed", "suspended", "cancelled", "under_way"]
    reason: Text = ""


class Release(Payload):
    """A party releases a completed exchange: the figures it makes public (no names)."""

    exchange: Slug
    sent: Stated
    received: Stated
    note: Text = ""


# --- helpers -------------------------------------------------------------------------------------------------

def canonical_terms(terms: Terms | dict[str, Any]) -> dict[str, Any]:
    """The terms as signed: validated, every field left at its default omitted (so the same terms written with or
    without their defaults are the same terms)."""
    t = terms if isinstance(terms, Terms) else Terms.model_validate(terms)
    return t.model_dump(mode="json", exclude_defaults=True)


def terms_hash(terms: Terms | dict[str, Any]) -> str:
    """What a party signs: SHA-256 of the canonical terms (``canonical_terms``) in RFC 8785 canonical JSON."""
    return hashlib.sha256(canonical_payload(canonical_terms(terms))).hexdigest()


def _readable(who: Any, kind: str, row: Any) -> bool:
    return row is not None and POLICY.may_read(who, kind, row.audience, row.party)


def _exchange(ctx: Context, xid: str, field: str = "exchange") -> Exchange:
    x = ctx.session.get(Exchange, xid)
    if not _readable(ctx, "exchange.propose", x):
        raise NotFound(C.NO_EXCHANGE, exchange=xid, field=field)
    assert x is not None
    return x


def _member(ctx: Context) -> tuple[str, str]:
    if ctx.author is None or ctx.author_party is None:
        raise Forbidden(C.MEMBERS_ONLY)
    return ctx.author.id, ctx.author_party.slug


def audience_for(x: Any) -> list[str]:
    """The audience of a record of exchange ``x``: closed to its parties and mediators."""
    return [ONLY, *sorted({f"party:{p}" for p in x.members})]


def consent_audience(x: Any, holder: str) -> list[str]:
    return [ONLY, *sorted(f"party:{p}" for p in {holder, *x.mediator_list})]


def _audience(ctx: Context, expected: list[str], code: Any = C.AUDIENCE) -> None:
    if ctx.record.audience.tokens != tuple(sorted(expected)):
        raise Unprocessable(code, expected=",".join(sorted(expected)), field="audience")


def _person(ctx: Context, pid: str, field: str) -> Person:
    p = ctx.session.get(Person, pid)
    if p is None or not PEOPLE.may_read(ctx, "person.register", p.audience, p.party):
        raise NotFound(C.NO_PERSON, person=pid, field=field)
    if p.destroyed_idx is not None:
        raise Conflict(C.DESTROYED, person=pid, field=field)
    return p


def same_graph(s: Session) -> dict[str, set[str]]:
    """Every current "same person" decision, as the records each one links (read once for a whole list)."""
    graph: dict[str, set[str]] = {}
    for left, right in s.execute(select(MatchDecision.left, MatchDecision.right).where(
            MatchDecision.current.is_(True), MatchDecision.decision == "same")):
        graph.setdefault(left, set()).add(right)
        graph.setdefault(right, set()).add(left)
    return graph


def linked(graph: dict[str, set[str]], pid: str) -> set[str]:
    """``pid`` and every record the decisions of ``graph`` link to it, transitively."""
    seen, todo = {pid}, [pid]
    while todo:
        for other in graph.get(todo.pop(), ()):
            if other not in seen:
                seen.add(other)
                todo.append(other)
    return seen


def same_persons(s: Session, pid: str) -> set[str]:
    """``pid`` and every record a current "same person" decision links to it (transitively)."""
    return linked(same_graph(s), pid)


def open_entries(s: Session, xid: str) -> dict[str, str]:
    """Every person on a current list of an open exchange other than ``xid``: person -> that exchange."""
    return {str(person): str(other) for person, other in s.execute(
        select(ExchangeEntry.person, ExchangeEntry.exchange).join(Exchange, Exchange.id == ExchangeEntry.exchange)
        .where(ExchangeEntry.exchange != xid, Exchange.status.in_(rules.OPEN)))}


def elsewhere(graph: dict[str, set[str]], entries: dict[str, str], pid: str) -> str | None:
    """The other open exchange whose list names ``pid`` or a record decided to be the same person."""
    return next((entries[q] for q in sorted(linked(graph, pid)) if q in entries), None)


def _consent(s: Session, xid: str, pid: str) -> ExchangeConsent | None:
    return s.execute(select(ExchangeConsent).where(ExchangeConsent.exchange == xid, ExchangeConsent.person == pid)
                     .order_by(ExchangeConsent.idx.desc()).limit(1)).scalar_one_or_none()


def current_plan(s: Session, xid: str) -> ExchangePlan | None:
    return s.execute(select(ExchangePlan).where(ExchangePlan.exchange == xid)
                     .order_by(ExchangePlan.idx.desc()).limit(1)).scalar_one_or_none()


def planned(plan: ExchangePlan | None) -> dict[str, tuple[int, str]]:
    """person -> (stage, side) in ``plan``."""
    if plan is None:
        return {}
    return {p["person"]: (st["stage"], p["side"]) for st in json.loads(plan.stages) for p in st["persons"]}


def _follow(ctx: Context, person: Person, event: str, when: date) -> None:
    """The person's registry status follows the exchange: one status event written by this very record, read by
    whoever reads the person. It names neither the exchange nor the place: those stay under the exchange's own
    closed audience (a reader of the person outside the exchange learns the status and its date only)."""
    ctx.session.add(PersonEvent(idx=ctx.idx, person=person.id, event=event, date=when.isoformat(), place="",
                                note="", party=ctx.party, author=ctx.member, audience=person.audience,
                                at=ctx.record.when))
    if when.isoformat() >= person.status_date or not person.status_date:
        person.status, person.status_date = event, when.isoformat()
    person.updated_idx = ctx.idx


# --- apply ---------------------------------------------------------------------------------------------------

def apply_propose(ctx: Context) -> None:
    p: ExchangePropose = ctx.payload
    author, party = _member(ctx)
    terms = canonical_terms(p.terms)
    digest = terms_hash(p.terms)
    x = ctx.session.get(Exchange, p.id)
    if p.version == 1:
        if x is not None:
            raise Conflict(C.EXISTS, exchange=p.id, field="id")
        for i, slug in enumerate(p.parties):
            row = ctx.session.get(Party, slug)
            if row is None:
                raise NotFound(spine.NO_PARTY, party=slug, field=f"parties.{i}")
            if row.kind != "belligerent":
                raise Unprocessable(C.NOT_BELLIGERENT, party=slug, field=f"parties.{i}")
        for i, slug in enumerate(p.mediators):
            row = ctx.session.get(Party, slug)
            if row is None:
                raise NotFound(spine.NO_PARTY, party=slug, field=f"mediators.{i}")
            if row.kind != "mediator":
                raise Unprocessable(C.NOT_MEDIATOR, party=slug, field=f"mediators.{i}")
        if party not in (*p.parties, *p.mediators):
            raise Forbidden(C.NOT_IN_EXCHANGE, party=party, exchange=p.id)
        if not ctx.roles & rules.NEGOTIATORS:
            raise Forbidden(C.ROLES, what="propose an exchange", roles=", ".join(sorted(rules.NEGOTIATORS)))
        x = Exchange(id=p.id, idx=ctx.idx, title=p.title, kind=p.terms.kind, parties=",".join(p.parties),
                     mediators=",".join(p.mediators), version=0, sha256=digest, terms="", status="proposed",
                     author=author, party=party, audience=ctx.record.audience.text(), updated_idx=ctx.idx)
        _audience(ctx, audience_for(x))
        ctx.session.add(x)
    else:
        x = _exchange(ctx, p.id, "id")
        if p.version != x.version + 1:
            raise Conflict(C.VERSION_NEXT, exchange=x.id, current=x.version, expected=x.version + 1, field="version")
        if p.parties != x.party_list or p.mediators != x.mediator_list or p.terms.kind != x.kind:
            raise Unprocessable(C.SAME_PARTIES, field="parties")
        if not rules.may_propose(ctx, x):
            if not rules.takes_part(ctx, x):
                raise Forbidden(C.NOT_IN_EXCHANGE, party=party, exchange=x.id)
            if x.status not in ("proposed", "agreed"):
                raise Conflict(C.UNDER_WAY, exchange=x.id)
            raise Forbidden(C.ROLES, what="propose terms", roles=", ".join(sorted(rules.NEGOTIATORS)))
        _audience(ctx, audience_for(x))
        x.status, x.agreed_version = "proposed", None
    if p.terms.operation is not None:
        op = ctx.session.get(Operation, p.terms.operation)
        if op is None or not OPERATIONS.may_read(ctx, "operation.propose", op.audience, op.party) \
                or op.kind not in ("transfer_of_persons", "remains_recovery"):
            raise NotFound(C.NO_OPERATION, operation=p.terms.operation, field="terms.operation")
    if p.terms.point is not None and not ctx.sees("talks.point", p.terms.point):
        raise NotFound(C.NO_POINT, point=p.terms.point, field="terms.point")
    x.title, x.version, x.sha256 = p.title, p.version, digest
    x.terms = json.dumps(terms, ensure_ascii=False, sort_keys=True)
    x.operation, x.point, x.updated_idx = p.terms.operation, p.terms.point, ctx.idx
    ctx.session.add(ExchangeVersion(exchange=x.id, version=p.version, idx=ctx.idx, title=p.title, sha256=digest,
                                    terms=x.terms, author=author, party=party,
                                    audience=ctx.record.audience.text(), at=ctx.record.when))


def apply_sign(ctx: Context) -> None:
    p: ExchangeSign = ctx.payload
    author, party = _member(ctx)
    x = _exchange(ctx, p.exchange)
    if not rules.may_sign(ctx, x):
        if not rules.is_party(ctx, x):
            raise Forbidden(C.PARTY_ONLY, exchange=x.id, what="signs its terms", party=party)
        if x.status not in ("proposed", "agreed"):
            raise Conflict(C.UNDER_WAY, exchange=x.id)
        raise Forbidden(C.ROLES, what="sign terms", roles=", ".join(sorted(rules.NEGOTIATORS)))
    _audience(ctx, audience_for(x))
    if p.version != x.version:
        raise Conflict(C.VERSION_STALE, version=p.version, current=x.version, exchange=x.id, field="version")
    if p.sha256 != x.sha256:
        raise Unprocessable(C.HASH_MISMATCH, version=p.version, field="sha256")
    if ctx.session.get(ExchangeSignoff, (x.id, p.version, party)) is not None:
        raise Conflict(C.SIGNED, party=party, version=p.version, field="version")
    ctx.session.add(ExchangeSignoff(exchange=x.id, version=p.version, signer=party, sha256=p.sha256, idx=ctx.idx,
                                    author=author, party=party, audience=ctx.record.audience.text(),
                                    at=ctx.record.when))
    ctx.session.flush()
    signed = {s.signer: s.sha256 for s in ctx.session.execute(select(ExchangeSignoff).where(
        ExchangeSignoff.exchange == x.id, ExchangeSignoff.version == p.version)).scalars()}
    if rules.signed_by_all(x.party_list, signed, x.sha256):
        x.agreed_version, x.status = p.version, "agreed"
    x.updated_idx = ctx.idx


def _imported(ctx: Context, lid: str, field: str) -> list[str]:
    """The persons registered from the accepted rows of imported list ``lid``, in row order."""
    row = ctx.session.get(PersonList, lid)
    if row is None or not PEOPLE.may_read(ctx, "list.import", row.audience, row.party):
        raise NotFound(C.NO_LIST, list=lid, field=field)
    return [r["person"] for r in json.loads(row.report) if r.get("status") == "accepted" and r.get("person")]


def apply_list(ctx: Context) -> None:
    p: ListVersion = ctx.payload
    author, party = _member(ctx)
    x = _exchange(ctx, p.exchange)
    if not rules.may_list(ctx, x):
        if not rules.is_party(ctx, x):
            raise Forbidden(C.PARTY_ONLY, exchange=x.id, what="keeps a list", party=party)
        if not rules.is_open(x):
            raise Conflict(C.CLOSED, exchange=x.id, status=x.status, what="lists")
        raise Forbidden(C.ROLES, what="keep lists", roles=", ".join(sorted(rules.REGISTRARS)))
    _audience(ctx, audience_for(x))
    if x.kind == "remains":
        raise Unprocessable(C.LIST_REMAINS, field="persons")
    current = ctx.session.execute(select(ExchangeList.version).where(
        ExchangeList.exchange == x.id, ExchangeList.party == party, ExchangeList.direction == p.direction)
        .order_by(ExchangeList.version.desc()).limit(1)).scalar_one_or_none() or 0
    if p.version != current + 1:
        raise Conflict(C.VERSION_NEXT, exchange=x.id, current=current, expected=current + 1, field="version")
    persons = list(p.persons)
    where = [f"persons.{i}" for i in range(len(persons))]
    for i, lid in enumerate(p.lists):
        for pid in _imported(ctx, lid, f"lists.{i}"):
            if pid in persons:
                raise Unprocessable(C.LIST_TWICE, person=pid, field=f"lists.{i}")
            persons.append(pid)
            where.append(f"lists.{i}")
    graph, others = same_graph(ctx.session), open_entries(ctx.session, x.id)
    for pid, field in zip(persons, where, strict=True):
        person = _person(ctx, pid, field)
        if p.direction == "hand_over":
            if person.party != party or person.category not in ("pow", "civilian") or person.status not in rules.HELD:
                raise Unprocessable(C.NOT_HELD, person=pid, status=person.status.replace("_", " "), field=field)
        elif party not in (person.own_party, person.party) or person.category == "deceased":
            raise Unprocessable(C.NOT_OWN, person=pid, party=party, field=field)
        other = elsewhere(graph, others, pid)
        if other is not None:
            raise Conflict(C.OTHER_EXCHANGE, person=pid, other=other, field=field)
    ctx.session.add(ExchangeList(idx=ctx.idx, exchange=x.id, direction=p.direction, version=p.version,
                                 persons=json.dumps(persons), note=p.note, author=author, party=party,
                                 audience=ctx.record.audience.text(), at=ctx.record.when))
    ctx.session.execute(delete(ExchangeEntry).where(ExchangeEntry.exchange == x.id, ExchangeEntry.side == party,
                                                    ExchangeEntry.direction == p.direction))
    ctx.session.add_all([ExchangeEntry(exchange=x.id, side=party, direction=p.direction, person=pid, n=n,
                                       list_idx=ctx.idx, audience=ctx.record.audience.text(), party=party)
                         for n, pid in enumerate(persons, 1)])
    x.updated_idx = ctx.idx


def _entry(ctx: Context, x: Exchange, pid: str, field: str) -> ExchangeEntry:
    """The person on some side's current hand-over list."""
    e = ctx.session.execute(select(ExchangeEntry).where(
        ExchangeEntry.exchange == x.id, ExchangeEntry.person == pid,
        ExchangeEntry.direction == "hand_over")).scalar_one_or_none()
    if e is None:
        raise NotFound(C.NOT_ON_LIST, person=pid, party="any side", field=field)
    return e


def apply_consent(ctx: Context) -> None:
    p: Consent = ctx.payload
    author, party = _member(ctx)
    x = _exchange(ctx, p.exchange)
    if not rules.may_interview(ctx, x):
        if not rules.is_mediator(ctx, x):
            raise Forbidden(C.MEDIATOR_ONLY, exchange=x.id, what="records a consent interview")
        if not rules.is_open(x):
            raise Conflict(C.CLOSED, exchange=x.id, status=x.status, what="interviews")
        raise Forbidden(C.ROLES, what="record consent", roles=", ".join(sorted(rules.REGISTRARS)))
    if not ctx.replay and not p.salt:
        raise Unprocessable(PEOPLE_CODES.SALT_REQUIRED, field="salt")
    e = _entry(ctx, x, p.person, "person")
    _person(ctx, p.person, "person")
    _audience(ctx, consent_audience(x, e.side), C.CONSENT_AUDIENCE)
    if p.interviewed_on > ctx.record.when.date():
        raise Unprocessable(C.INTERVIEW_FUTURE, field="interviewed_on")
    if ctx.session.execute(select(ExchangeHandover.idx).where(
            ExchangeHandover.exchange == x.id, ExchangeHandover.person == p.person).limit(1)).first() is not None:
        raise Conflict(C.STEP_TWICE, person=p.person, step="handed over", field="person")
    ctx.session.add(ExchangeConsent(idx=ctx.idx, exchange=x.id, person=p.person, holder=e.side,
                                    wants_repatriation=p.wants_repatriation,
                                    interviewed_on=p.interviewed_on.isoformat(), reason=p.reason, author=author,
                                    party=party, audience=ctx.record.audience.text(), at=ctx.record.when))
    x.updated_idx = ctx.idx


def eligible(s: Session, x: Exchange, pid: str) -> str | None:
    """Why ``pid`` cannot be planned or handed over, or None: on a hand-over list, interviewed and consenting."""
    c = _consent(s, x.id, pid)
    if c is None:
        return "no consent interview recorded"
    if not c.wants_repatriation:
        return "refused repatriation"
    return None


def apply_plan(ctx: Context) -> None:
    p: PlanRecord = ctx.payload
    author, party = _member(ctx)
    x = _exchange(ctx, p.exchange)
    if not rules.may_plan(ctx, x):
        if not rules.takes_part(ctx, x):
            raise Forbidden(C.NOT_IN_EXCHANGE, party=party, exchange=x.id)
        if x.status in ("proposed",):
            raise Conflict(C.NOT_AGREED, exchange=x.id)
        if not rules.is_open(x):
            raise Conflict(C.CLOSED, exchange=x.id, status=x.status, what="plans")
        raise Forbidden(C.ROLES, what="plan", roles=", ".join(sorted(rules.REGISTRARS)))
    _audience(ctx, audience_for(x))
    if set(p.pinned) & set(p.excluded):
        raise Unprocessable(C.PIN_EXCLUDE, person=sorted(set(p.pinned) & set(p.excluded))[0], field="pinned")
    terms = json.loads(x.terms)
    sizes = {s["number"]: s.get("size") for s in terms["stages"]}
    seen: set[str] = set()
    per_side: dict[str, int] = {}
    for si, st in enumerate(p.stages):
        if st.stage not in sizes:
            raise Unprocessable(C.PLAN_STAGE, stage=st.stage, field=f"stages.{si}.stage")
        counts: dict[str, int] = {}
        for pi, pp in enumerate(st.persons):
            field = f"stages.{si}.persons.{pi}"
            if pp.person in seen:
                raise Unprocessable(C.PLAN_TWICE, person=pp.person, field=field)
            seen.add(pp.person)
            e = _entry(ctx, x, pp.person, field)
            if e.side != pp.side:
                raise Unprocessable(C.WRONG_SIDE, party=pp.side, side="sending", person=pp.person, exchange=x.id,
                                    expected=e.side, field=field)
            if pp.person in p.excluded:
                raise Unprocessable(C.PLAN_INELIGIBLE, person=pp.person, reason="excluded", field=field)
            why = eligible(ctx.session, x, pp.person)
            if why is not None:
                raise Unprocessable(C.PLAN_INELIGIBLE, person=pp.person, reason=why, field=field)
            counts[pp.side] = counts.get(pp.side, 0) + 1
        size = sizes[st.stage]
        for side in x.party_list:
            if size is not None and counts.get(side, 0) != size:
                raise Unprocessable(C.PLAN_COUNT, stage=st.stage, party=side, count=counts.get(side, 0), size=size,
                                    field=f"stages.{si}")
            per_side[side] = per_side.get(side, 0) + counts.get(side, 0)
    formula = Formula.model_validate(terms["formula"])
    if formula.total is not None:
        for side in x.party_list:
            if per_side.get(side, 0) != formula.total:
                raise Unprocessable(C.PLAN_FORMULA, party=side, category="in all", count=per_side.get(side, 0),
                                    needed=formula.total, field="stages")
    for i, pid in enumerate(p.pinned):
        if pid not in seen:
            raise Unprocessable(C.PLAN_INELIGIBLE, person=pid, reason="pinned but not planned", field=f"pinned.{i}")
    ctx.session.add(ExchangePlan(idx=ctx.idx, exchange=x.id,
                                 stages=json.dumps([st.model_dump(mode="json") for st in p.stages]),
                                 pinned=json.dumps(p.pinned), excluded=json.dumps(p.excluded),
                                 gap="" if p.gap is None else f"{p.gap:.6g}", note=p.note, author=author, party=party,
                                 audience=ctx.record.audience.text(), at=ctx.record.when))
    x.updated_idx = ctx.idx


def _same(ctx: Context, a: Person, b: Person) -> bool:
    """One person by the registry's name keys (any script, any spelling) or by a registrars' decision."""
    if b.id in same_persons(ctx.session, a.id):
        return True
    return bool(a.surname_key) and a.surname_key == b.surname_key and a.first_key == b.first_key \
        and (not a.birth_year or not b.birth_year or a.birth_year == b.birth_year)


def apply_handover(ctx: Context) -> None:
    p: Handover = ctx.payload
    author, party = _member(ctx)
    x = _exchange(ctx, p.exchange)
    if not rules.may_confirm(ctx, x):
        if not rules.takes_part(ctx, x):
            raise Forbidden(C.NOT_IN_EXCHANGE, party=party, exchange=x.id)
        if x.status == "proposed":
            raise Conflict(C.NOT_AGREED, exchange=x.id)
        raise Conflict(C.CLOSED, exchange=x.id, status=x.status, what="handovers") if not rules.is_open(x) else \
            Forbidden(C.ROLES, what="confirm a handover", roles=", ".join(sorted(rules.REGISTRARS)))
    _audience(ctx, audience_for(x))
    e = _entry(ctx, x, p.person, "person")
    sender = e.side
    receivers = [q for q in x.party_list if q != sender]
    receiver = receivers[0]
    expected = {"handed_over": sender, "received": receiver}.get(p.step)
    if p.step == "witnessed":
        if not rules.is_mediator(ctx, x):
            raise Forbidden(C.MEDIATOR_ONLY, exchange=x.id, what="witnesses a handover")
    elif party != expected:
        raise Forbidden(C.WRONG_SIDE, party=party, side="sending" if p.step == "handed_over" else "receiving",
                        person=p.person, exchange=x.id, expected=expected)
    c = _consent(ctx.session, x.id, p.person)
    if c is not None and not c.wants_repatriation:
        raise Conflict(C.REFUSED_PERSON, person=p.person, field="person")
    stage = planned(current_plan(ctx.session, x.id)).get(p.person)
    if stage is None or stage[0] != p.stage:
        raise Conflict(C.NOT_PLANNED, person=p.person, stage=p.stage, field="person")
    steps = set(ctx.session.execute(select(ExchangeHandover.step).where(
        ExchangeHandover.exchange == x.id, ExchangeHandover.person == p.person)).scalars())
    if p.step in steps:
        raise Conflict(C.STEP_TWICE, person=p.person, step=p.step.replace("_", " "), field="step")
    if p.step != "handed_over" and "handed_over" not in steps:
        raise Conflict(C.STEP_ORDER, person=p.person, step=p.step.replace("_", " "), field="step")
    when = p.at.date()
    if p.step == "handed_over":
        person = _person(ctx, p.person, "person")
        _follow(ctx, person, "released", when)
    elif p.step == "received":
        if p.as_person is not None:
            own = _person(ctx, p.as_person, "as_person")
            if party not in (own.party, own.own_party):
                raise Unprocessable(C.NOT_OWN, person=own.id, party=party, field="as_person")
            held = ctx.session.get(Person, p.person)
            assert held is not None
            if not _same(ctx, held, own):
                raise Unprocessable(C.IDENTITY, person=p.person, other=own.id, field="as_person")
            _follow(ctx, own, "repatriated", when)
    elif p.as_person is not None:
        raise Unprocessable(C.AS_PERSON, field="as_person")
    ctx.session.add(ExchangeHandover(idx=ctx.idx, exchange=x.id, stage=p.stage, person=p.person, sender=sender,
                                     receiver=receiver, step=p.step, as_person=p.as_person, happened_at=p.at,
                                     place=p.place, author=author, party=party,
                                     audience=ctx.record.audience.text(), at=ctx.record.when))
    if x.status == "agreed":
        x.status = "under_way"
    x.updated_idx = ctx.idx


def apply_remains(ctx: Context) -> None:
    p: Remains = ctx.payload
    author, party = _member(ctx)
    x = _exchange(ctx, p.exchange)
    if x.kind not in ("remains", "mixed"):
        raise Unprocessable(C.NOT_REMAINS, exchange=x.id, field="exchange")
    if not rules.may_confirm(ctx, x) or not rules.is_party(ctx, x):
        if not rules.is_party(ctx, x):
            raise Forbidden(C.PARTY_ONLY, exchange=x.id, what="hands over remains", party=party)
        if x.status == "proposed":
            raise Conflict(C.NOT_AGREED, exchange=x.id)
        raise Conflict(C.CLOSED, exchange=x.id, status=x.status, what="handovers")
    _audience(ctx, audience_for(x))
    terms = json.loads(x.terms)
    if p.stage not in {s["number"] for s in terms["stages"]}:
        raise Unprocessable(C.PLAN_STAGE, stage=p.stage, field="stage")
    figure = as_figure(p.count)
    b = figure.bounds()
    if len(p.bodies) > (b.high if b.high is not None else len(p.bodies)) or \
            (figure.form == "exact" and p.bodies and len(p.bodies) != b.low):
        raise Unprocessable(C.BODIES_COUNT, bodies=len(p.bodies), count=b.low if b.exact else f"{b.low}+",
                            field="bodies")
    if len(set(p.bodies)) != len(p.bodies):
        raise Unprocessable(C.BODY_TWICE, body=next(t for t in p.bodies if p.bodies.count(t) > 1), field="bodies")
    for i, tag in enumerate(p.bodies):
        if ctx.session.get(ExchangeBody, (x.id, tag)) is not None:
            raise Conflict(C.BODY_TWICE, body=tag, field=f"bodies.{i}")
    receiver = next(q for q in x.party_list if q != party)
    least, stated = to_columns(figure)
    assert least is not None
    ctx.session.add(ExchangeRemains(idx=ctx.idx, exchange=x.id, stage=p.stage, sender=party, receiver=receiver,
                                    count_least=least, count_stated=stated, happened_at=p.at, place=p.place,
                                    note=p.note, author=author, party=party, audience=ctx.record.audience.text(),
                                    at=ctx.record.when))
    ctx.session.add_all([ExchangeBody(exchange=x.id, tag=tag, stage=p.stage, remains_idx=ctx.idx, sender=party,
                                      receiver=receiver, state="unidentified", person=None, updated_idx=ctx.idx,
                                      party=party, audience=ctx.record.audience.text()) for tag in p.bodies])
    if x.status == "agreed":
        x.status = "under_way"
    x.updated_idx = ctx.idx


def apply_identify(ctx: Context) -> None:
    p: Identify = ctx.payload
    author, party = _member(ctx)
    x = _exchange(ctx, p.exchange)
    body = ctx.session.get(ExchangeBody, (x.id, p.body))
    if body is None:
        raise NotFound(C.NO_BODY, body=p.body, exchange=x.id, field="body")
    if party != body.receiver and not rules.is_mediator(ctx, x):
        raise Forbidden(C.WRONG_SIDE, party=party, side="receiving", person=p.body, exchange=x.id,
                        expected=body.receiver)
    if not ctx.roles & rules.REGISTRARS:
        raise Forbidden(C.ROLES, what="identify remains", roles=", ".join(sorted(rules.REGISTRARS)))
    _audience(ctx, audience_for(x))
    order = rules.BODY_STATES
    if order.index(p.state) <= order.index(body.state):
        raise Conflict(C.STATE_BACK, body=p.body, state=body.state.replace("_", " "), field="state")
    if p.person is not None:
        person = _person(ctx, p.person, "person")
        if person.category not in ("missing", "deceased", "pow", "civilian") or \
                person.status in ("released", "repatriated", "remains_returned"):
            raise Unprocessable(C.PERSON_NOT_DEAD, person=p.person, field="person")
        if p.state == "identified":
            _follow(ctx, person, "remains_returned", ctx.record.when.date())
    ctx.session.add(ExchangeIdentification(idx=ctx.idx, exchange=x.id, tag=p.body, state=p.state, person=p.person,
                                           note=p.note, author=author, party=party,
                                           audience=ctx.record.audience.text(), at=ctx.record.when))
    body.state, body.updated_idx = p.state, ctx.idx
    if p.person is not None:
        body.person = p.person
    x.updated_idx = ctx.idx


def _check_side(side: Side, what: str) -> None:
    if not side.by_category:
        return
    parts = [as_figure(v).bounds() for v in side.by_category.values()]
    low = sum(b.low for b in parts)
    high = None if any(b.high is None for b in parts) else sum(b.high or 0 for b in parts)
    total = as_figure(side.total).bounds()
    from parley.records.figures import Bounds

    if not Bounds(low, high).overlaps(total):
        raise Unprocessable(C.COUNT_SUM, what=what, parts=low if high == low else f"{low}-{high or ''}",
                            total=total.low if total.exact else f"{total.low}-{total.high or ''}",
                            field=f"{what}.by_category")


def apply_count(ctx: Context) -> None:
    p: Count = ctx.payload
    author, party = _member(ctx)
    x = _exchange(ctx, p.exchange)
    if not rules.is_party(ctx, x):
        raise Forbidden(C.COUNT_PARTY, party=party)
    if x.status == "proposed":
        raise Conflict(C.NOT_AGREED, exchange=x.id)
    _audience(ctx, audience_for(x))
    if p.stage is not None and p.stage not in {s["number"] for s in json.loads(x.terms)["stages"]}:
        raise Unprocessable(C.PLAN_STAGE, stage=p.stage, field="stage")
    _check_side(p.sent, "sent")
    _check_side(p.received, "received")
    ctx.session.add(ExchangeCount(idx=ctx.idx, exchange=x.id, stage=p.stage,
                                  figures=json.dumps({"sent": p.sent.model_dump(mode="json", exclude_none=True),
                                                      "received": p.received.model_dump(mode="json",
                                                                                        exclude_none=True)}),
                                  source=None if p.source is None else p.source.model_dump_json(exclude_none=True),
                                  note=p.note, author=author, party=party, audience=ctx.record.audience.text(),
                                  at=ctx.record.when))
    x.updated_idx = ctx.idx


def apply_status(ctx: Context) -> None:
    p: StatusChange = ctx.payload
    author, party = _member(ctx)
    x = _exchange(ctx, p.exchange)
    if not rules.may_close(ctx, x):
        if not rules.is_mediator(ctx, x):
            raise Forbidden(C.MEDIATOR_ONLY, exchange=x.id, what="declares its status")
        if not ctx.roles & rules.NEGOTIATORS:
            raise Forbidden(C.ROLES, what="declare an exchange's status", roles=", ".join(sorted(rules.NEGOTIATORS)))
        raise Conflict(C.BAD_STATUS, exchange=x.id, status=x.status, new=p.status)
    _audience(ctx, audience_for(x))
    if p.status == "completed" and x.status not in ("under_way", "suspended"):
        raise Conflict(C.BAD_STATUS, exchange=x.id, status=x.status, new=p.status, field="status")
    if p.status == "under_way" and x.status != "suspended":
        raise Conflict(C.BAD_STATUS, exchange=x.id, status=x.status, new=p.status, field="status")
    ctx.session.add(ExchangeStatus(idx=ctx.idx, exchange=x.id, status=p.status, reason=p.reason, author=author,
                                   party=party, audience=ctx.record.audience.text(), at=ctx.record.when))
    x.status, x.updated_idx = p.status, ctx.idx


def apply_release(ctx: Context) -> None:
    p: Release = ctx.payload
    author, party = _member(ctx)
    x = _exchange(ctx, p.exchange)
    if not rules.is_party(ctx, x):
        raise Forbidden(C.PARTY_ONLY, exchange=x.id, what="releases it", party=party)
    if x.status != "completed":
        raise Conflict(C.NOT_COMPLETED, exchange=x.id)
    if not ctx.roles & rules.NEGOTIATORS:
        raise Forbidden(C.ROLES, what="release an exchange", roles=", ".join(sorted(rules.NEGOTIATORS)))
    if ctx.session.execute(select(ExchangeStatus.idx).where(
            ExchangeStatus.exchange == x.id, ExchangeStatus.status == "released",
            ExchangeStatus.party == party)).first() is not None:
        raise Conflict(C.RELEASED, party=party, exchange=x.id)
    figures = {"sent": as_figure(p.sent).model_dump(mode="json", exclude_none=True),
               "received": as_figure(p.received).model_dump(mode="json", exclude_none=True)}
    ctx.session.add(ExchangeStatus(idx=ctx.idx, exchange=x.id, status="released", reason=p.note,
                                   figures=json.dumps(figures), author=author, party=party,
                                   audience=ctx.record.audience.text(), at=ctx.record.when))
    x.updated_idx = ctx.idx


N = rules.NEGOTIATORS
R = rules.REGISTRARS
KINDS: tuple[Kind, ...] = (
    Kind("exchange.propose", ExchangePropose, apply_propose, N, readers=READ),
    Kind("exchange.sign", ExchangeSign, apply_sign, N, readers=READ),
    Kind("exchange.list", ListVersion, apply_list, R, readers=READ),
    Kind("exchange.consent", Consent, apply_consent, R, readers=READ,
         subjects=lambda p: (f"person:{p.person}",)),
    Kind("exchange.plan", PlanRecord, apply_plan, R, readers=READ),
    Kind("exchange.handover", Handover, apply_handover, R, readers=READ),
    Kind("exchange.remains", Remains, apply_remains, R, readers=READ),
    Kind("exchange.identify", Identify, apply_identify, R, readers=READ),
    Kind("exchange.count", Count, apply_count, rules.WRITERS, readers=READ),
    Kind("exchange.status", StatusChange, apply_status, N, readers=READ),
    # A party's release is its publication: public from the moment it is written (only a completed exchange is).
    Kind("exchange.release", Release, apply_release, N, readers=RELEASE, public=lambda s, idx: True),
)
KIND = Registry(KINDS)
POLICY = ReadPolicy(KIND)


def _sees_exchange(s: Session, who: Any, ident: str) -> bool:
    return _readable(who, "exchange.propose", s.get(Exchange, ident))


# What other capabilities' records may name (``Context.sees``): a talks assessment names an exchange as evidence.
OBJECTS: dict[str, ObjectLookup] = {"exchange": _sees_exchange}

__all__ = ["KINDS", "KIND", "OBJECTS", "POLICY", "audience_for", "consent_audience", "terms_hash", "Figure",
           "current_plan", "planned", "eligible", "same_persons"]
