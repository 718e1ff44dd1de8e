"""Record kinds of the registry of persons: registering a person, correcting one's own report, status
events, imported lists, match decisions, families' inquiries and the decisions on them.

Need to know: a person's records are read by the party that reported the person, the person's own party
(the power the person depends on) and the mediators; never by the public or by a role across parties.
``_person_audience`` enforces that on every record that carries personal data. Personal data never goes
into log lines or error messages: errors name fields, never values.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator
from sqlalchemy import delete, select

from parley.errors import Code, Conflict, Forbidden, Invalid, NotFound, Unprocessable
from parley.parties.models import Party
from parley.parties.naming import SLUG
from parley.people.models import (
    NAME_KEYS, PERSON_FIELDS, FamilyNotice, Inquiry, InquiryAddition, InquiryDecision, InquirySecret, MatchDecision,
    Person, PersonEvent, PersonList,
)
from parley.people import codes as C
from parley.people import access, rules
from parley.people.rules import DECIDERS, FILERS, WRITERS
from parley.records import codes as spine
from parley.records import ids
from parley.records.kinds import Context, Kind, Payload, Readers, Registry
from parley.records.policy import ReadPolicy
from parley.records.sealing import DataKey
from parley.records.sources import Source

Slug = Annotated[str, StringConstraints(pattern=rf"^{SLUG}$")]
Short = Annotated[str, StringConstraints(max_length=200, strip_whitespace=True)]
Text = Annotated[str, StringConstraints(max_length=4000)]
PartialDate = Annotated[str, StringConstraints(pattern=r"^(\d{4}(-\d{2}(-\d{2})?)?)?$")]

CATEGORIES = ("pow", "civilian", "missing", "deceased")
EVENTS = ("captured", "detained", "missing", "held_at", "transferred", "visited", "hospitalised", "released",
          "repatriated", "died", "remains_recovered", "remains_returned")
# What a party's monitoring states about a person (``person.monitor``), beside the status events: it changes no status.
OBSERVATIONS = ("proof_of_life", "contact", "conditions")
CONTACT_MEANS = ("call", "letter", "message_via_mediator", "other")
CONDITIONS = ("known", "unknown")
FIRST_EVENT = {"pow": "captured", "civilian": "detained", "missing": "missing", "deceased": "died"}
Reference = Annotated[str, StringConstraints(pattern=ids.REFERENCE)]
DATE_FIELDS = ("birth_date", "capture_date", "death_date")
# Every payload with personal data carries a random salt (``records.compose`` adds it): once the payload is
# destroyed, its signed hash cannot be matched against guessed contents. Optional in the schema only so that
# records written before it replay; a new record without one is refused (``_salted``).
Salt = Annotated[str, StringConstraints(pattern=r"^([A-Za-z0-9_-]{16,64})?$")]
DESTROY_REASONS = ("retention", "court_order", "request", "other")


def check_partial_date(value: str, field: str, *, not_after: date | None = None) -> str:
    """``yyyy``, ``yyyy-mm`` or ``yyyy-mm-dd``: a real date, from 1900, not after ``not_after``."""
    if not value:
        return value
    parts = [int(x) for x in value.split("-")]
    try:
        d = date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError:
        raise Unprocessable(C.NO_SUCH_DATE, field=field) from None
    if d.year < 1900:
        raise Unprocessable(C.BEFORE_1900, field=field)
    if not_after is not None and d > not_after:
        raise Unprocessable(C.AFTER_RECORD, field=field)
    return value


class PersonFields(Payload):
    surname: Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
    first_name: Short = ""
    patronymic: Short = ""
    mother_maiden_name: Short = ""
    sex: Literal["", "m", "f"] = ""
    birth_date: PartialDate = ""
    birth_place: Short = ""
    citizenship: Short = ""
    rank: Short = ""
    service_number: Annotated[str, StringConstraints(max_length=64, strip_whitespace=True)] = ""
    unit: Short = ""
    power_depended_on: Short = ""
    capture_date: PartialDate = ""
    capture_place: Short = ""
    held_at: Short = ""
    health: Text = ""
    death_date: PartialDate = ""
    death_place: Short = ""
    cause_of_death: Text = ""
    burial_place: Short = ""
    grave_marking: Short = ""
    person_to_inform: Text = ""
    notes: Text = ""
    external_id: Annotated[str, StringConstraints(max_length=100, strip_whitespace=True)] = ""


class ListRef(Payload):
    id: Slug
    row: Annotated[int, Field(ge=1, le=10_000_000)]


class PersonRegister(Payload):
    salt: Salt = ""
    id: Slug
    category: Literal["pow", "civilian", "missing", "deceased"]
    own_party: Slug | None = None
    person: PersonFields
    seriously_wounded: bool = False
    list: ListRef | None = None


class PersonUpdate(Payload):
    salt: Salt = ""
    id: Slug
    category: Literal["pow", "civilian", "missing", "deceased"] | None = None
    own_party: Slug | None = None
    person: PersonFields
    seriously_wounded: bool = False
    reason: Text = ""


class PersonEventPayload(Payload):
    salt: Salt = ""
    person: Slug
    event: Literal[EVENTS]  # type: ignore[valid-type]
    date: PartialDate = ""
    place: Short = ""
    note: Text = ""
    seriously_wounded: bool | None = None


class PersonMonitor(Payload):
    """What the author's party's monitoring found about a person, and where it comes from: ``proof_of_life`` (the
    person known alive on ``date``), ``contact`` (with the person on ``date``, by ``means``), ``conditions``
    (``known``, described in ``note``, or stated ``unknown``). ``source``: who said it, where, in what words."""

    salt: Salt = ""
    person: Slug
    observation: Literal["proof_of_life", "contact", "conditions"]
    date: PartialDate = ""
    place: Short = ""
    means: Literal["", "call", "letter", "message_via_mediator", "other"] = ""
    conditions: Literal["", "known", "unknown"] = ""
    note: Text = ""
    source: Source

    @model_validator(mode="after")
    def _shape(self) -> PersonMonitor:
        if self.observation in ("proof_of_life", "contact") and not self.date:
            raise Invalid(C.OBSERVATION_DATE)
        if self.observation == "contact" and not self.means:
            raise Invalid(C.CONTACT_MEANS)
        if self.observation == "conditions" and not self.conditions:
            raise Invalid(C.CONDITIONS_STATE)
        if self.conditions == "known" and not self.note.strip():
            raise Invalid(C.CONDITIONS_DESCRIBED)
        return self

    @property
    def detail(self) -> str:
        return self.means if self.observation == "contact" else self.conditions if self.observation == "conditions" \
            else ""


class RowReport(Payload):
    row: Annotated[int, Field(ge=1, le=10_000_000)]
    status: Literal["accepted", "duplicate", "rejected"]
    person: Slug | None = None  # the person registered from this row
    of: Slug | None = None  # the person it duplicates
    of_row: int | None = None  # or the earlier row of the same file
    reason: Annotated[str, StringConstraints(max_length=500)] = ""
    field: Annotated[str, StringConstraints(max_length=64)] | None = None


class ListImport(Payload):
    id: Slug
    title: Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
    filename: Annotated[str, StringConstraints(max_length=200)]
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    mapping: dict[Annotated[str, StringConstraints(max_length=64)], Annotated[str, StringConstraints(max_length=200)]]
    report: Annotated[list[RowReport], Field(max_length=200_000)]


class MatchDecide(Payload):
    salt: Salt = ""
    left: Slug
    right: Slug
    decision: Literal["same", "different"]
    probability: Annotated[float, Field(ge=0, le=1)] | None = None
    note: Text = ""

    @model_validator(mode="after")
    def _two(self) -> MatchDecide:
        if self.left == self.right:
            raise Invalid(C.TWO_RECORDS)
        return self


class MatchWithdraw(Payload):
    """A match decision made by mistake, reversed: the record of the decision (``decision``, its index in the
    log), the two records it named, and why. The decision is never edited; once reversed the pair is undecided
    again and goes back to the review queue. Read by the same parties as the decision."""

    salt: Salt = ""
    decision: Annotated[int, Field(ge=1)]
    left: Slug
    right: Slug
    reason: Text

    @model_validator(mode="after")
    def _why(self) -> MatchWithdraw:
        if not self.reason.strip():
            raise Invalid(C.WITHDRAW_REASON)
        return self


class Sought(Payload):
    surname: Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
    first_name: Short = ""
    patronymic: Short = ""
    birth_date: PartialDate = ""
    birth_place: Short = ""
    service_number: Annotated[str, StringConstraints(max_length=64, strip_whitespace=True)] = ""
    rank: Short = ""
    unit: Short = ""
    last_seen_date: PartialDate = ""
    last_seen_place: Short = ""
    category: Literal["", "pow", "civilian", "missing", "deceased"] = ""
    notes: Text = ""


class InquiryFile(Payload):
    """A family's inquiry. The verifier of the family's secret is not part of it: it is local data the server
    keeps beside the record (``Context.local["secret_hash"]``, table ``inquiry_secret``), never signed or
    shipped with the record."""

    id: Reference  # INQ-<filing party>-XXXX-XXXX
    sought: Sought
    relationship: Short = ""
    contact: Text = ""  # how the family is reached; read by the registrars only
    salt: Salt = ""


class InquiryDecide(Payload):
    inquiry: Reference
    salt: Salt = ""
    decision: Literal["confirmed", "rejected", "message", "closed"]
    person: Slug | None = None
    message: Text = ""

    @model_validator(mode="after")
    def _person(self) -> InquiryDecide:
        if self.decision in ("confirmed", "rejected") and self.person is None:
            raise Invalid(C.CANDIDATE_PERSON)
        if self.decision in ("message", "closed") and not self.message.strip():
            raise Invalid(C.FAMILY_TOLD)
        return self


Email = Annotated[str, StringConstraints(pattern=r"^([^@\s]{1,64}@[^@\s]{1,253}\.[^@\s.]{2,63})?$", max_length=320,
                                         strip_whitespace=True)]
# What a family may add to its inquiry (``inquiry.add``), as Ukraine's coordination staff ask families for it.
ADDITION_FIELDS = ("marks", "documents", "dna_reference", "dna_place", "contact_channel", "contact_email",
                   "contact_language", "notify")
CONTACT_CHANNELS = ("email", "phone", "post", "none")


class InquiryAdd(Payload):
    """What a family adds to its inquiry: distinguishing marks (scars, tattoos, dental work), the documents it
    holds, the reference of a DNA sample it gave and where, and how it wants to be reached (and whether it wants
    to be told when there is news). Each addition is one record, read by the filing party's registrars and the
    mediators only (audience ``party:<filer>/registrar``)."""

    inquiry: Reference
    salt: Salt = ""
    marks: Text = ""
    documents: Text = ""
    dna_reference: Short = ""
    dna_place: Short = ""
    contact_channel: Literal["", "email", "phone", "post", "none"] = ""
    contact_email: Email = ""
    contact_language: Literal["", "uk", "ru", "en"] = ""
    notify: bool = False

    @model_validator(mode="after")
    def _something(self) -> InquiryAdd:
        if not any(getattr(self, f) for f in ADDITION_FIELDS):
            raise Invalid(C.ADDITION_EMPTY)
        if self.notify and not self.contact_email:
            raise Invalid(C.NOTIFY_NEEDS_EMAIL)
        if self.dna_place and not self.dna_reference:
            raise Invalid(C.DNA_REFERENCE)
        return self


# What of an inquiry's sought person a party may release for other tracing tools (``inquiry.release``).
RELEASABLE = ("surname", "first_name", "patronymic", "birth_date", "last_seen_date", "last_seen_place")


class InquiryRelease(Payload):
    """The filing party releases an inquiry for other tracing tools (the PFIF export, ``people.pfif``): which of
    the sought person's fields go out, and whether the registry's confirmations go with it as status notes
    (alive, dead, missing; never what the family was told). ``withdraw`` takes it back out of later exports."""

    inquiry: Reference
    salt: Salt = ""
    fields: Annotated[list[Literal["surname", "first_name", "patronymic", "birth_date", "last_seen_date",
                                   "last_seen_place"]], Field(max_length=6, default_factory=list)]
    status_notes: bool = False
    withdraw: bool = False

    @model_validator(mode="after")
    def _fields(self) -> InquiryRelease:
        if self.withdraw:
            if self.fields or self.status_notes:
                raise Invalid(C.RELEASE_WITHDRAW_ALONE)
        elif "surname" not in self.fields:
            raise Invalid(C.RELEASE_NEEDS_SURNAME)
        if len(set(self.fields)) != len(self.fields):
            raise Invalid(C.RELEASE_FIELDS_ONCE)
        return self


class PersonDestroy(Payload):
    """The destruction of a person's personal data: which person, why, on what legal basis (the rule, the court
    order's reference, the request's date). Its author is the admin who destroys it. It carries no personal data
    itself: ``basis`` names a rule or an order, never the person."""

    person: Slug
    reason: Literal["retention", "court_order", "request", "other"]
    basis: Annotated[str, StringConstraints(min_length=1, max_length=1000, strip_whitespace=True)]


class InquiryDestroy(Payload):
    """The destruction of an inquiry's data (the family's description of the person sought, how to reach them,
    what they were told): which inquiry, why, on what legal basis. No personal data of its own."""

    inquiry: Reference
    reason: Literal["retention", "court_order", "request", "other"]
    basis: Annotated[str, StringConstraints(min_length=1, max_length=1000, strip_whitespace=True)]


class RetentionRules(Payload):
    """How long a party keeps what it reported once the case is closed: days by person category (counted from
    the person's last record once released, repatriated or their remains returned) and for its closed inquiries
    (``inquiry``, from the inquiry's last record); what is not named is kept without limit. The party's latest
    rules replace its earlier ones and, for its reports, the deployment's settings (``people.retention``).
    ``basis``: the law or agreement the rules follow."""

    rules: dict[Literal["pow", "civilian", "missing", "deceased", "inquiry"], Annotated[int, Field(ge=1, le=36_500)]]
    basis: Annotated[str, StringConstraints(min_length=1, max_length=1000, strip_whitespace=True)]


# -- helpers ---------------------------------------------------------------------------------------
def _require(ctx: Context, allowed: bool, roles: frozenset[str], what: Code) -> None:
    """Refuse unless ``allowed`` (the rule of ``people.rules`` over the author's roles), naming the roles."""
    if not allowed:
        raise Forbidden(what, roles=", ".join(sorted(roles)))


def _party_slug(ctx: Context) -> str:
    assert ctx.author_party is not None
    return ctx.author_party.slug


def _person_audience(ctx: Context, reporter: str, own: str | None) -> None:
    """Only parties' tokens, and only of the reporting party and the person's own party (mediators read all)."""
    allowed = {reporter, *([own] if own else [])}
    for t in ctx.record.audience.tokens:
        kind, _, rest = t.partition(":")
        party = rest.partition("/")[0]
        if kind != "party" or party not in allowed:
            raise Unprocessable(C.PERSON_AUDIENCE, token=t, field="audience")
    if own and own != reporter:
        own_party = ctx.session.get(Party, own)
        if own_party is not None and not ctx.record.audience.admits(own, own_party.kind, frozenset({"registrar"}),
                                                                    reporter):
            raise Unprocessable(C.OWN_PARTY_AUDIENCE, party=own, field="audience")


def _own_party(ctx: Context, slug: str | None) -> str | None:
    if slug is None:
        return None
    p = ctx.session.get(Party, slug)
    if p is None:
        raise NotFound(spine.NO_PARTY, party=slug, field="own_party")
    if p.kind != "belligerent":
        raise Unprocessable(C.OWN_PARTY_BELLIGERENT, field="own_party")
    return slug


def _keys(fields: PersonFields) -> dict[str, str]:
    from parley.people.names import features

    f = features(fields.surname, fields.first_name, fields.patronymic)
    return {"surname_key": f["surname_key"][:200] or "-", "first_key": f["first_key"][:200],
            "patronymic_key": f["patronymic_key"][:200], "birth_year": fields.birth_date[:4]}


def _check_fields(ctx: Context, fields: PersonFields, category: str) -> None:
    today = ctx.record.when.date()
    for name in DATE_FIELDS:
        check_partial_date(getattr(fields, name), f"person.{name}", not_after=today)
    if fields.birth_date and fields.death_date and fields.death_date < fields.birth_date:
        raise Unprocessable(C.DEATH_BEFORE_BIRTH, field="person.death_date")
    if fields.birth_date and fields.capture_date and fields.capture_date < fields.birth_date:
        raise Unprocessable(C.CAPTURE_BEFORE_BIRTH, field="person.capture_date")


def _may_read(ctx: Context, p: Person) -> bool:
    """A record may name only a person its author may read (the one read policy)."""
    return POLICY.may_read(ctx, "person.register", p.audience, p.party)


def _readable_person(ctx: Context, pid: str, field: str = "person", *, live: bool = True) -> Person:
    """The person ``pid`` if its author may read it; otherwise refused exactly as for an absent one. ``live``:
    refused too if its data was destroyed."""
    p = ctx.session.get(Person, pid)
    if p is None or not _may_read(ctx, p):
        raise NotFound(C.NO_PERSON, person=pid, field=field)
    if live and p.destroyed_idx is not None:
        raise Conflict(C.ALREADY_DESTROYED, person=pid, index=p.destroyed_idx, field=field)
    return p


def _salted(ctx: Context) -> None:
    if not ctx.replay and not ctx.payload.salt:
        raise Unprocessable(C.SALT_REQUIRED, field="salt")


# -- apply -----------------------------------------------------------------------------------------
def apply_register(ctx: Context) -> None:
    p: PersonRegister = ctx.payload
    _require(ctx, rules.writes_registry(ctx), WRITERS, C.REGISTER_ROLES)
    _salted(ctx)
    assert ctx.author is not None
    reporter = _party_slug(ctx)
    if ctx.author_party is not None and not rules.reports_persons(ctx):
        raise Forbidden(C.PARTIES_REGISTER)
    ids.require_own(ctx, p.id, "id", "person record")
    if p.list is not None:
        ids.require_own(ctx, p.list.id, "list.id", "list")
        _corrected_row(ctx, p.list)
    own = _own_party(ctx, p.own_party)
    _person_audience(ctx, reporter, own)
    if ctx.session.get(Person, p.id) is not None:
        raise Conflict(C.PERSON_EXISTS, person=p.id, field="id")
    _check_fields(ctx, p.person, p.category)
    status = FIRST_EVENT[p.category]
    status_date = {"pow": p.person.capture_date, "civilian": p.person.capture_date,
                   "deceased": p.person.death_date}.get(p.category, "")
    row = Person(id=p.id, category=p.category, party=reporter, own_party=own, author=ctx.author.id,
                 audience=ctx.record.audience.text(), seriously_wounded=p.seriously_wounded, status=status,
                 status_date=status_date, list_id=p.list.id if p.list else None,
                 list_row=p.list.row if p.list else None, created_idx=ctx.idx, updated_idx=ctx.idx,
                 created_at=ctx.record.when, **p.person.model_dump(), **_keys(p.person))
    ctx.session.add(row)
    ctx.session.add(PersonEvent(idx=ctx.idx, person=p.id, event=status, date=status_date,
                                place={"pow": p.person.capture_place, "civilian": p.person.capture_place,
                                       "deceased": p.person.death_place}.get(p.category, ""),
                                party=reporter, author=ctx.author.id, audience=row.audience, at=ctx.record.when))


def _corrected_row(ctx: Context, ref: ListRef) -> None:
    """A person registered from a list already recorded is one of its rejected rows, corrected and submitted
    again (``people.service.correct_row``): refused for a row the list's report did not reject, or one already
    registered. A list's own rows are registered before its report, so they never meet this."""
    x = ctx.session.get(PersonList, ref.id)
    if x is None:
        return
    entry = next((r for r in json.loads(x.report) if r.get("row") == ref.row), None)
    if entry is None or entry.get("status") != "rejected":
        raise Unprocessable(C.ROW_NOT_REJECTED, row=ref.row, field="list.row")
    if ctx.session.scalar(select(Person.id).where(Person.list_id == x.id, Person.list_row == ref.row)) is not None:
        raise Conflict(C.ROW_ALREADY_CORRECTED, row=ref.row, field="list.row")


def apply_update(ctx: Context) -> None:
    p: PersonUpdate = ctx.payload
    _require(ctx, rules.writes_registry(ctx), WRITERS, C.CORRECT_ROLES)
    _salted(ctx)
    row = _readable_person(ctx, p.id, "id")
    if not rules.reported(ctx, row):
        raise Forbidden(C.REPORTER_CORRECTS)
    own = _own_party(ctx, p.own_party) if p.own_party is not None else row.own_party
    _person_audience(ctx, row.party, own)
    category = p.category or row.category
    _check_fields(ctx, p.person, category)
    for name, value in {**p.person.model_dump(), **_keys(p.person)}.items():
        setattr(row, name, value)
    row.category, row.own_party, row.seriously_wounded = category, own, p.seriously_wounded
    row.audience = ctx.record.audience.text()
    row.updated_idx = ctx.idx


def apply_event(ctx: Context) -> None:
    p: PersonEventPayload = ctx.payload
    _require(ctx, rules.may_record_event(ctx), WRITERS, C.EVENT_ROLES)
    _salted(ctx)
    assert ctx.author is not None
    row = _readable_person(ctx, p.person)
    _person_audience(ctx, row.party, row.own_party)
    check_partial_date(p.date, "date", not_after=ctx.record.when.date())
    if p.date and row.birth_date and p.date < row.birth_date:
        raise Unprocessable(C.EVENT_BEFORE_BIRTH, field="date")
    if row.status in ("repatriated", "remains_returned") and p.event not in ("visited", "hospitalised", "died"):
        raise Conflict(C.ALREADY_STATUS, person_status=row.status.replace("_", " "), field="event")
    ctx.session.add(PersonEvent(idx=ctx.idx, person=row.id, event=p.event, date=p.date, place=p.place, note=p.note,
                                party=_party_slug(ctx), author=ctx.author.id, audience=ctx.record.audience.text(),
                                at=ctx.record.when))
    if p.date >= row.status_date or not p.date:
        row.status, row.status_date = p.event, p.date or row.status_date
    if p.event == "held_at" or (p.event == "transferred" and p.place):
        row.held_at = p.place
    if p.event == "died" and row.category != "deceased":
        row.death_date = row.death_date or p.date
        row.death_place = row.death_place or p.place
    if p.seriously_wounded is not None:
        row.seriously_wounded = p.seriously_wounded
    row.updated_idx = ctx.idx


def apply_monitor(ctx: Context) -> None:
    """A monitoring observation joins the person's history (``person_event``, with its detail and source); it
    changes no status. Refused for a person the author may not read (as for an absent one) or whose data was
    destroyed, and for a date or a source's date after the record's own time."""
    p: PersonMonitor = ctx.payload
    _require(ctx, rules.may_monitor(ctx), rules.MONITORS, C.MONITOR_ROLES)
    _salted(ctx)
    assert ctx.author is not None
    row = _readable_person(ctx, p.person)
    _person_audience(ctx, row.party, row.own_party)
    today = ctx.record.when.date()
    check_partial_date(p.date, "date", not_after=today)
    if p.date and row.birth_date and p.date < row.birth_date:
        raise Unprocessable(C.EVENT_BEFORE_BIRTH, field="date")
    if p.source.stated_on is not None and p.source.stated_on > today:
        raise Unprocessable(C.SOURCE_AFTER_RECORD, field="source.stated_on")
    if p.source.kind == "mediator" and ctx.party_kind != "mediator":
        raise Forbidden(C.SOURCE_MEDIATOR, field="source.kind")
    ctx.session.add(PersonEvent(idx=ctx.idx, person=row.id, event=p.observation, date=p.date, place=p.place,
                                note=p.note, detail=p.detail, party=_party_slug(ctx), author=ctx.author.id,
                                audience=ctx.record.audience.text(), at=ctx.record.when,
                                source=p.source.model_dump_json(exclude_defaults=True)))
    row.updated_idx = ctx.idx


def apply_list(ctx: Context) -> None:
    p: ListImport = ctx.payload
    _require(ctx, rules.may_import_list(ctx), WRITERS, C.IMPORT_ROLES)
    assert ctx.author is not None
    reporter = _party_slug(ctx)
    ids.require_own(ctx, p.id, "id", "list")
    if ctx.session.get(PersonList, p.id) is not None:
        raise Conflict(C.LIST_EXISTS, list=p.id, field="id")
    rows = [r.row for r in p.report]
    if len(set(rows)) != len(rows):
        raise Unprocessable(C.REPORT_ROWS_ONCE, field="report")
    for i, r in enumerate(p.report):
        if r.status == "accepted":
            person = ctx.session.get(Person, r.person) if r.person else None
            if person is None and ctx.replay and r.person and _key_destroyed(ctx, f"person:{r.person}"):
                continue  # replayed after its destruction: its registration came destroyed, nothing to check
            if person is None or person.list_id != p.id or person.list_row != r.row or person.party != reporter:
                raise Unprocessable(C.ACCEPTED_NAMES,
                                    field=f"report.{i}.person")
        elif r.status == "duplicate" and not (r.of or r.of_row):
            raise Unprocessable(C.DUPLICATE_NAMES, field=f"report.{i}.of")
        elif r.status == "duplicate" and r.of and not (ctx.replay and ctx.session.get(Person, r.of) is None
                                                       and _key_destroyed(ctx, f"person:{r.of}")):
            _readable_person(ctx, r.of, f"report.{i}.of", live=False)
        elif r.status == "rejected" and not r.reason:
            raise Unprocessable(C.REJECTED_REASON, field=f"report.{i}.reason")
    for t in ctx.record.audience.tokens:
        if t in ("public", "all") or t.startswith("role:"):
            raise Unprocessable(C.LIST_AUDIENCE, field="audience")
    count = {s: sum(1 for r in p.report if r.status == s) for s in ("accepted", "duplicate", "rejected")}
    ctx.session.add(PersonList(id=p.id, party=reporter, author=ctx.author.id, audience=ctx.record.audience.text(),
                               title=p.title, filename=p.filename, sha256=p.sha256, rows=len(p.report),
                               accepted=count["accepted"], duplicates=count["duplicate"], rejected=count["rejected"],
                               report=json.dumps([r.model_dump(exclude_defaults=True) for r in p.report]), idx=ctx.idx,
                               at=ctx.record.when))


def apply_match(ctx: Context) -> None:
    p: MatchDecide = ctx.payload
    _require(ctx, rules.may_decide_match(ctx), DECIDERS, C.DECIDE_ROLES)
    _salted(ctx)
    assert ctx.author is not None
    left, right = _readable_person(ctx, p.left, "left"), _readable_person(ctx, p.right, "right")
    allowed = {left.party, right.party, *(x for x in (left.own_party, right.own_party) if x)}
    for t in ctx.record.audience.tokens:
        kind, _, rest = t.partition(":")
        if kind != "party" or rest.partition("/")[0] not in allowed:
            raise Unprocessable(C.MATCH_AUDIENCE, token=t, field="audience")
    a, b = sorted((p.left, p.right))
    for old in ctx.session.execute(select(MatchDecision).where(MatchDecision.left == a, MatchDecision.right == b,
                                                               MatchDecision.current.is_(True))).scalars():
        if old.decision == p.decision and old.party == _party_slug(ctx):
            raise Conflict(C.ALREADY_DECIDED, decision=p.decision, field="decision")
        old.current = False
    ctx.session.add(MatchDecision(idx=ctx.idx, left=a, right=b, decision=p.decision,
                                  probability="" if p.probability is None else f"{p.probability:.4f}", note=p.note,
                                  party=_party_slug(ctx), author=ctx.author.id, audience=ctx.record.audience.text(),
                                  at=ctx.record.when, current=True))


def apply_match_withdraw(ctx: Context) -> None:
    """Reverse a match decision still in force: by the party that made it (or a mediator), with the decision's
    audience. Its projection keeps the decision and says which record reversed it, by whom and why."""
    p: MatchWithdraw = ctx.payload
    _require(ctx, rules.may_decide_match(ctx), DECIDERS, C.DECIDE_ROLES)
    _salted(ctx)
    _readable_person(ctx, p.left, "left")
    _readable_person(ctx, p.right, "right")
    d = ctx.session.get(MatchDecision, p.decision)
    if d is None or (d.left, d.right) != tuple(sorted((p.left, p.right))) \
            or not POLICY.may_read(ctx, "match.decide", d.audience, d.party):
        raise NotFound(C.NO_DECISION, index=p.decision, field="decision")
    if not d.current:
        raise Conflict(C.DECISION_NOT_CURRENT, index=p.decision, field="decision")
    if not rules.may_withdraw_match(ctx, d):
        raise Forbidden(C.WITHDRAW_OWN, field="decision")
    if ctx.record.audience.text() != d.audience:
        raise Unprocessable(C.WITHDRAW_AUDIENCE, field="audience")
    d.current = False
    d.withdrawn_idx, d.withdrawn_party, d.withdrawn_note = ctx.idx, _party_slug(ctx), p.reason.strip()


def apply_inquiry(ctx: Context) -> None:
    p: InquiryFile = ctx.payload
    _require(ctx, rules.may_file_inquiry(ctx), FILERS, C.FILE_ROLES)
    _salted(ctx)
    assert ctx.author is not None
    reporter = _party_slug(ctx)
    if rules.files_for_own_party_only(ctx) and ctx.record.audience.tokens != (f"party:{reporter}",):
        # The public inquiry form speaks for its own party only: what a family sends it is read by that
        # party's registrars and the mediators, never addressed by the form to another party.
        raise Forbidden(C.PUBLIC_FORM_OWN, party=reporter, field="audience")
    ids.require_own_reference(ctx, p.id, "id")
    for t in ctx.record.audience.tokens:
        kind = t.partition(":")[0]
        if kind != "party":
            raise Unprocessable(C.INQUIRY_AUDIENCE, token=t, field="audience")
    if not ctx.record.audience.admits(reporter, ctx.author_party.kind if ctx.author_party else "belligerent",
                                      frozenset({"registrar"}), "-"):
        raise Unprocessable(C.FILERS_AUDIENCE, field="audience")
    if ctx.session.get(Inquiry, p.id) is not None:
        raise Conflict(C.INQUIRY_EXISTS, inquiry=p.id, field="id")
    for name in ("birth_date", "last_seen_date"):
        check_partial_date(getattr(p.sought, name), f"sought.{name}", not_after=ctx.record.when.date())
    from parley.people.names import features

    key = features(p.sought.surname, p.sought.first_name, p.sought.patronymic)["surname_key"][:200] or "-"
    verifier = ctx.local.get("secret_hash")
    if verifier is not None and not (isinstance(verifier, str) and verifier.startswith("$argon2")
                                     and len(verifier) <= 200):
        raise Unprocessable(C.SECRET_HASHED, field="secret")
    ctx.session.add(Inquiry(id=p.id, party=reporter, author=ctx.author.id, audience=ctx.record.audience.text(),
                            sought=json.dumps({**p.sought.model_dump(), "contact": p.contact}, ensure_ascii=False),
                            surname_key=key, relationship=p.relationship, status="open", created_idx=ctx.idx,
                            at=ctx.record.when))
    if verifier is not None:
        # Local data, in the record's own transaction: never in the log, not rebuilt by replay. An inquiry
        # signed elsewhere and submitted without it has no family view until a registrar files a new one.
        ctx.session.flush()
        ctx.session.add(InquirySecret(inquiry=p.id, secret_hash=verifier))


def apply_inquiry_decide(ctx: Context) -> None:
    p: InquiryDecide = ctx.payload
    _require(ctx, rules.writes_registry(ctx), WRITERS, C.ANSWER_ROLES)
    _salted(ctx)
    assert ctx.author is not None
    inq = ctx.session.get(Inquiry, p.inquiry)
    if inq is None or not POLICY.may_read(ctx, "inquiry.file", inq.audience, inq.party):
        raise NotFound(C.NO_INQUIRY, inquiry=p.inquiry, field="inquiry")
    party = _party_slug(ctx)
    if not rules.answers_for(ctx, inq):
        raise Forbidden(C.FILERS_ANSWER, field="inquiry")
    if not rules.is_open(inq):
        raise Conflict(C.INQUIRY_CLOSED, field="inquiry")
    if p.person is not None:
        _readable_person(ctx, p.person)
    if ctx.record.audience.text() != inq.audience:
        raise Unprocessable(C.DECISION_AUDIENCE, field="audience")
    ctx.session.add(InquiryDecision(idx=ctx.idx, inquiry=inq.id, person=p.person, decision=p.decision,
                                    message=p.message, party=party, author=ctx.author.id, at=ctx.record.when))
    if p.decision == "closed":
        inq.status = "closed"
    elif p.decision == "message" or (p.decision == "confirmed" and p.message.strip()):
        inq.status = "answered"  # only once the family has been told something
    if p.decision != "rejected" and p.message.strip() and not ctx.replay:
        # What the family is told changed: a notice is owed, in this record's own transaction (local data,
        # never in the log; ``people.notify`` sends it to the address the family's latest preference gives).
        ctx.session.add(FamilyNotice(inquiry=inq.id, decision_idx=ctx.idx, created_at=ctx.record.when))


def apply_inquiry_release(ctx: Context) -> None:
    """The filing party's registrars and admins release an inquiry for other tracing tools, or withdraw it."""
    p: InquiryRelease = ctx.payload
    _require(ctx, rules.writes_registry(ctx), WRITERS, C.ANSWER_ROLES)
    _salted(ctx)
    inq = ctx.session.get(Inquiry, p.inquiry)
    if inq is None or not POLICY.may_read(ctx, "inquiry.file", inq.audience, inq.party) or inq.status == "destroyed":
        raise NotFound(C.NO_INQUIRY, inquiry=p.inquiry, field="inquiry")
    if not rules.may_release_inquiry(ctx, inq):
        raise Forbidden(C.FILER_RELEASES, field="inquiry")
    if ctx.record.audience.text() != inq.audience:
        raise Unprocessable(C.DECISION_AUDIENCE, field="audience")
    inq.released = "" if p.withdraw else json.dumps({"fields": list(p.fields), "status_notes": p.status_notes})
    inq.released_idx, inq.released_at = ctx.idx, ctx.record.when


def inquiry_audience(inq: Inquiry) -> str:
    """The audience of a family's addition to ``inq``: the filing party's registrars (and so the mediators)."""
    return f"party:{inq.party}/registrar"


def apply_inquiry_add(ctx: Context) -> None:
    """A family's addition to its inquiry, through the filing party's public form or one of its registrars."""
    p: InquiryAdd = ctx.payload
    _require(ctx, rules.may_file_inquiry(ctx), FILERS, C.ADD_ROLES)
    _salted(ctx)
    assert ctx.author is not None
    inq = ctx.session.get(Inquiry, p.inquiry)
    if inq is None or inq.party != _party_slug(ctx):
        raise NotFound(C.NO_INQUIRY, inquiry=p.inquiry, field="inquiry")
    if not rules.may_add(ctx, inq):
        raise Conflict(C.INQUIRY_CLOSED, field="inquiry")
    if ctx.record.audience.text() != inquiry_audience(inq):
        raise Unprocessable(C.ADDITION_AUDIENCE, audience=inquiry_audience(inq), field="audience")
    detail = {f: getattr(p, f) for f in ADDITION_FIELDS if getattr(p, f)}
    ctx.session.add(InquiryAddition(idx=ctx.idx, inquiry=inq.id, detail=json.dumps(detail, ensure_ascii=False),
                                    party=inq.party, author=ctx.author.id, audience=ctx.record.audience.text(),
                                    at=ctx.record.when))


def apply_destroy(ctx: Context) -> None:
    """Destroy a person's data: the key its records are sealed under, its projection (a tombstone that says
    which record destroyed it: what the log's notes say of it, nothing of its payloads), its status history,
    the match decisions and the inquiry decisions naming it (each such inquiry's status as its other decisions
    make it). The pipeline then stores every entry naming the person as destroyed (``Context.destroys``) and
    makes the storage forget once committed."""
    p: PersonDestroy = ctx.payload
    _require(ctx, rules.may_destroy_any(ctx), rules.DESTROYERS, C.DESTROY_ROLES)
    subject = f"person:{p.person}"
    if ctx.replay and ctx.session.get(Person, p.person) is None and _destroyed_since(ctx, subject):
        return
    row = _readable_person(ctx, p.person, live=False)
    if row.destroyed_idx is not None:
        raise Conflict(C.ALREADY_DESTROYED, person=row.id, index=row.destroyed_idx, field="person")
    if not rules.may_destroy(ctx, row):
        raise Forbidden(C.REPORTER_DESTROYS, field="person")
    if ctx.record.audience.text() != row.audience:
        raise Unprocessable(C.DESTROY_AUDIENCE, field="audience")
    s = ctx.session
    for name in (*PERSON_FIELDS, *NAME_KEYS):
        setattr(row, name, "")
    row.status, row.status_date, row.seriously_wounded = "destroyed", "", False
    row.category, row.own_party, row.list_id, row.list_row = "", None, None, None
    row.destroyed_idx = row.updated_idx = ctx.idx
    s.execute(delete(PersonEvent).where(PersonEvent.person == row.id))
    s.execute(delete(MatchDecision).where((MatchDecision.left == row.id) | (MatchDecision.right == row.id)))
    asked = set(s.execute(select(InquiryDecision.inquiry).where(InquiryDecision.person == row.id)).scalars())
    s.execute(delete(InquiryDecision).where(InquiryDecision.person == row.id))
    s.flush()
    for ref in sorted(asked):
        _inquiry_status(s, ref)
    key = s.get(DataKey, subject)
    if key is None:  # registered before sealing and never sealed: nothing to erase but the entries
        s.add(DataKey(subject=subject, key=None, created_idx=row.created_idx, destroyed_idx=ctx.idx))
    else:
        key.key, key.destroyed_idx = None, ctx.idx
    ctx.destroys.append(subject)


def _destroyed_since(ctx: Context, subject: str) -> bool:
    """Replaying: a subject whose projection does not exist because every record about it was appended
    destroyed (written after the copy the replay extends, destroyed since: its key came over destroyed). Its
    key is marked destroyed by this record and its entries are named destroyed by it; the tombstone is made
    from the log's notes once the replay ends (``people.retention.restore_tombstones``)."""
    if not _key_destroyed(ctx, subject):
        return False
    key = ctx.session.get(DataKey, subject)
    assert key is not None
    key.destroyed_idx = ctx.idx
    ctx.destroys.append(subject)
    return True


def _key_destroyed(ctx: Context, subject: str) -> bool:
    key = ctx.session.get(DataKey, subject)
    return key is not None and key.key is None and key.destroyed_idx is not None


def _inquiry_status(s: Any, ref: str) -> None:
    """An inquiry's status as its decisions make it (``apply_inquiry_decide``), after some were deleted."""
    inq = s.get(Inquiry, ref)
    if inq is None or inq.status == "destroyed":
        return
    status = "open"
    for decision in s.execute(select(InquiryDecision.decision).where(InquiryDecision.inquiry == ref)
                              .order_by(InquiryDecision.idx)).scalars():
        if decision == "closed":
            status = "closed"
        elif decision in ("confirmed", "message"):
            status = "answered"
    inq.status = status


def apply_inquiry_destroy(ctx: Context) -> None:
    """Destroy an inquiry's data: the key its records are sealed under, its projection (a tombstone, status
    ``destroyed``), its decisions and the family's secret; the pipeline stores every entry naming the inquiry
    (the filing and every decision on it) as destroyed. A person the inquiry was matched to is not touched:
    that is the registry's record, destroyed on its own."""
    p: InquiryDestroy = ctx.payload
    _require(ctx, rules.may_destroy_any(ctx), rules.DESTROYERS, C.DESTROY_ROLES)
    s = ctx.session
    if ctx.replay and s.get(Inquiry, p.inquiry) is None and _destroyed_since(ctx, f"inquiry:{p.inquiry}"):
        return
    inq = s.get(Inquiry, p.inquiry)
    if inq is None or not POLICY.may_read(ctx, "inquiry.file", inq.audience, inq.party):
        raise NotFound(C.NO_INQUIRY, inquiry=p.inquiry, field="inquiry")
    subject = f"inquiry:{inq.id}"
    key = s.get(DataKey, subject)
    if inq.status == "destroyed":
        raise Conflict(C.INQUIRY_DESTROYED, inquiry=inq.id, index=key.destroyed_idx if key else "?",
                       field="inquiry")
    if not rules.may_destroy_inquiry(ctx, inq):
        raise Forbidden(C.FILER_DESTROYS, field="inquiry")
    if ctx.record.audience.text() != inq.audience:
        raise Unprocessable(C.INQUIRY_DESTROY_AUDIENCE, field="audience")
    inq.sought, inq.surname_key, inq.relationship, inq.status = "{}", "", "", "destroyed"
    inq.released = ""
    s.execute(delete(InquiryDecision).where(InquiryDecision.inquiry == inq.id))
    s.execute(delete(InquiryAddition).where(InquiryAddition.inquiry == inq.id))
    s.execute(delete(InquirySecret).where(InquirySecret.inquiry == inq.id))
    s.execute(delete(FamilyNotice).where(FamilyNotice.inquiry == inq.id))
    if key is None:  # filed before sealing and never sealed: nothing to erase but the entries
        s.add(DataKey(subject=subject, key=None, created_idx=inq.created_idx, destroyed_idx=ctx.idx))
    else:
        key.key, key.destroyed_idx = None, ctx.idx
    ctx.destroys.append(subject)


def apply_retention_rules(ctx: Context) -> None:
    """A party's retention rules: signed by one of its admins, read by every party. The retention report reads
    them from the log (``people.retention.party_rules``); nothing else changes."""
    _require(ctx, rules.may_set_retention(ctx), rules.DESTROYERS, C.RETENTION_ROLES)
    if ctx.record.audience.text() != "all":
        raise Unprocessable(C.RETENTION_AUDIENCE, field="audience")


def _person_subject(pid: str) -> str:
    return f"person:{pid}"


# Personal data is read by these roles, in the parties a record's audience admits (mediators read every
# audience); press officers, liaison officers and the public inquiry form read none of it.
PERSONAL = Readers(frozenset({"registrar", "negotiator", "admin", "auditor"}))
# A family's contact details: registrars only.
INQUIRY = Readers(PERSONAL.roles, fields=(("contact", frozenset({"registrar"})),))

KINDS: tuple[Kind, ...] = (
    Kind("person.register", PersonRegister, apply_register, WRITERS, readers=PERSONAL,
         subjects=lambda p: (_person_subject(p.id),)),
    Kind("person.update", PersonUpdate, apply_update, WRITERS, readers=PERSONAL,
         subjects=lambda p: (_person_subject(p.id),)),
    Kind("person.event", PersonEventPayload, apply_event, WRITERS, readers=PERSONAL,
         subjects=lambda p: (_person_subject(p.person),)),
    Kind("person.monitor", PersonMonitor, apply_monitor, rules.MONITORS, readers=PERSONAL,
         subjects=lambda p: (_person_subject(p.person),)),
    Kind("list.import", ListImport, apply_list, WRITERS, readers=PERSONAL),  # ids and row numbers only
    Kind("match.decide", MatchDecide, apply_match, DECIDERS, readers=PERSONAL,
         subjects=lambda p: (_person_subject(p.left), _person_subject(p.right))),
    Kind("match.withdraw", MatchWithdraw, apply_match_withdraw, DECIDERS, readers=PERSONAL,
         subjects=lambda p: (_person_subject(p.left), _person_subject(p.right))),
    Kind("inquiry.file", InquiryFile, apply_inquiry, FILERS, readers=INQUIRY,
         subjects=lambda p: (f"inquiry:{p.id}",)),
    Kind("inquiry.decide", InquiryDecide, apply_inquiry_decide, WRITERS, readers=PERSONAL,
         subjects=lambda p: (f"inquiry:{p.inquiry}", *((_person_subject(p.person),) if p.person else ()))),
    Kind("inquiry.add", InquiryAdd, apply_inquiry_add, FILERS, readers=PERSONAL,
         subjects=lambda p: (f"inquiry:{p.inquiry}",)),
    Kind("inquiry.release", InquiryRelease, apply_inquiry_release, WRITERS, readers=PERSONAL,
         subjects=lambda p: (f"inquiry:{p.inquiry}",)),
    Kind("person.destroy", PersonDestroy, apply_destroy, rules.DESTROYERS, readers=PERSONAL),
    Kind("inquiry.destroy", InquiryDestroy, apply_inquiry_destroy, rules.DESTROYERS, readers=PERSONAL),
    Kind("retention.rules", RetentionRules, apply_retention_rules, rules.DESTROYERS),
    *access.KINDS,
)
# These kinds by name, and the read policy over them: what this capability's records and reads refer to is
# always one of its own kinds (``parley.assembly`` registers them with every other capability's).
KIND = Registry(KINDS)
POLICY = ReadPolicy(KIND)


def person_audience(reporter: str, own: str | None) -> list[str]:
    return sorted({f"party:{reporter}", *([f"party:{own}"] if own else [])})


def person_payload(values: dict[str, Any]) -> dict[str, Any]:
    """The ``person`` object of a register or update payload from a flat dict of fields (empty ones dropped)."""
    return {k: str(values[k]).strip() for k in PERSON_FIELDS if values.get(k) not in (None, "")}


__all__ = ["KINDS", "KIND", "POLICY", "CATEGORIES", "EVENTS", "OBSERVATIONS", "CONTACT_MEANS", "CONDITIONS",
           "FIRST_EVENT", "person_audience", "person_payload",
           "check_partial_date"]
