"""Record kinds: what a kind is (its payload schema, who may write it, who reads it, how it changes the
projection tables), the spine's own kinds (the deployment, parties, members, keys and notes), and the
``Registry`` of every kind a log accepts.

This module knows no capability. Each capability declares its kinds in its own ``kinds.py`` (a tuple
``KINDS``); ``parley.assembly`` puts the spine's and theirs in one ``Registry`` and hands it to the
pipeline, the read policy and replay. Adding a capability means adding kinds, never another write path.

Each ``apply`` runs inside the append transaction, after the signature and the author's standing
were checked; it validates against the current state and raises a ``ParleyError`` to refuse.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from parley.errors import Conflict, Forbidden, Invalid, NotFound, Unprocessable
from parley.log import note as notes
from parley.parties.credentials import keep_credential
from parley.parties.models import Annotation, Member, MemberKey, Party
from parley.parties import rules
from parley.parties.naming import ROLES, SLUG
from parley.records import codes as C
from parley.records import sealing
from parley.records.format import RecordText

ANNOTATION: Table = Annotation.__table__  # type: ignore[assignment]

Slug = Annotated[str, StringConstraints(pattern=rf"^{SLUG}$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Role = Literal["negotiator", "liaison", "registrar", "press", "auditor", "admin", "intake"]
VKey = Annotated[str, StringConstraints(min_length=10, max_length=300)]


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PartyNames(Payload):
    en: Name
    uk: Name
    ru: Name


class DeploymentInit(Payload):
    party: Slug
    party_kind: Literal["belligerent", "mediator", "observer"]
    names: PartyNames
    member: Slug
    display_name: Name
    vkey: VKey


class PartyCreate(Payload):
    slug: Slug
    kind: Literal["belligerent", "mediator", "observer"]
    names: PartyNames


class PartyUpdate(Payload):
    slug: Slug
    names: PartyNames


class MemberCreate(Payload):
    party: Slug
    handle: Slug
    display_name: Name
    roles: Annotated[list[Role], Field(min_length=1, max_length=len(ROLES))]
    vkey: VKey


class MemberUpdate(Payload):
    member: Annotated[str, StringConstraints(pattern=rf"^{SLUG}/{SLUG}$")]
    display_name: Name | None = None
    roles: Annotated[list[Role], Field(min_length=1, max_length=len(ROLES))] | None = None
    active: bool | None = None


class KeyRegister(Payload):
    member: Annotated[str, StringConstraints(pattern=rf"^{SLUG}/{SLUG}$")]
    vkey: VKey


class KeyRevoke(Payload):
    member: Annotated[str, StringConstraints(pattern=rf"^{SLUG}/{SLUG}$")]
    key_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{8}$")]
    reason: Annotated[str, StringConstraints(max_length=500)] = ""


class KeyRotate(Payload):
    member: Annotated[str, StringConstraints(pattern=rf"^{SLUG}/{SLUG}$")]
    old_key_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{8}$")]
    vkey: VKey


class RecordNote(Payload):
    text: Annotated[str, StringConstraints(min_length=1, max_length=20000)]


@dataclass
class Context:
    """What an apply function sees: the open transaction, the record, its index and its author."""

    session: Session
    record: RecordText
    payload: Any
    idx: int
    author: Member | None  # None only for deployment.init
    author_party: Party | None
    local: Mapping[str, Any] = field(default_factory=dict)  # never in the log: see records/pipeline.py
    # Rows written at the end of the batch, one executemany per table (``stage``); kept by the pipeline only
    # if the record is accepted.
    staged: list[tuple[Table, dict[str, Any]]] = field(default_factory=list)
    # Data subjects this record destroys (``records.sealing``): after its apply, the pipeline stores every
    # entry naming them as destroyed and, once the batch is committed, makes the storage forget.
    destroys: list[str] = field(default_factory=list)
    # Replaying a log into a new database (``parley log replay``): records written before a rule was added pass.
    replay: bool = False
    # The objects other capabilities let a record name (``Registry.objects``): "talks.point" -> whether a point
    # of that id exists that the author may read. A capability names another's object by this name only.
    objects: Mapping[str, ObjectLookup] = field(default_factory=dict)

    def sees(self, name: str, object_id: str, reader: rules.Actor | None = None) -> bool:
        """Is there an object ``name`` (``"talks.point"``) of id ``object_id`` that this record's author (or
        ``reader``: a party in some role, whom the record would show the id to) may read? False for one it may not
        read, as for one that does not exist, and for a name no capability serves."""
        lookup = self.objects.get(name)
        return lookup is not None and lookup(self.session, reader or self, object_id)

    def stage(self, table: Table, row: dict[str, Any]) -> None:
        """Insert ``row`` into ``table`` at the end of the batch, with the batch's other rows for that table
        (no ORM object, no flush). Only for a row that nothing checked or applied in the same batch reads,
        and that no later step of this apply can make wrong."""
        self.staged.append((table, row))

    @property
    def roles(self) -> frozenset[str]:
        return self.author.role_set if self.author else frozenset()

    # The author as a reader (``parley.records.policy.Reader``): what it may refer to, it must be able to read.
    @property
    def party(self) -> str:
        return self.author_party.slug if self.author_party else self.record.party

    @property
    def party_kind(self) -> str:
        return self.author_party.kind if self.author_party else ""

    @property
    def member(self) -> str:
        """The author's member id (``parties.rules.Self``); empty only for ``deployment.init``."""
        return self.author.id if self.author else ""

    def is_mediator_admin(self) -> bool:
        return rules.is_mediator_admin(self)

    def require_manager_of(self, party: str) -> None:
        if not manages(self.session, self, party):
            raise self.not_manager(party)

    def not_manager(self, party: str) -> Forbidden:
        return Forbidden(C.NOT_MANAGER if self.party == party else C.NOT_MANAGER_MEDIATOR, party=party)


Manager = rules.Actor
# Whether an object exists that a record's author may read (``Context.sees``).
ObjectLookup = Callable[[Session, rules.Actor, str], bool]


def has_active_admin(s: Session, party: str) -> bool:
    rows = s.execute(select(Member.roles).where(Member.party == party, Member.active.is_(True))).scalars()
    return any("admin" in r.split(",") for r in rows)


def manages(s: Session, who: Manager, party: str) -> bool:
    """May ``who`` manage the members and keys of ``party`` (``parties.rules.may_manage``, with whether the
    party has an active admin read from ``s``)?"""
    return rules.may_manage(who, party, has_active_admin(s, party))


def manages_keys(s: Session, who: rules.Self, member: str, party: str) -> bool:
    """May ``who`` register, revoke or rotate the keys of ``member`` of ``party``
    (``parties.rules.may_manage_keys``)?"""
    return rules.may_manage_keys(who, member, party, has_active_admin(s, party))


# Who reads records of a kind (``Kind.readers``). The intake role is a party's public inquiry form:
# it files what families send and reads nothing but the membership every member sees.
EVERY_ROLE = frozenset(ROLES)
STAFF = EVERY_ROLE - {"intake"}


@dataclass(frozen=True)
class Readers:
    """Which roles read records of a kind, inside the parties the record's audience admits.

    ``roles``: a member reads a record of this kind only with one of these roles (a mediator's member
    too). ``fields``: payload fields that fewer roles still read, by dotted name; a member outside
    them reads the kind's projection without those fields, and never the signed record itself (its
    payload carries them). ``parley.records.policy`` is the one place that applies this.
    """

    roles: frozenset[str] = STAFF
    fields: tuple[tuple[str, frozenset[str]], ...] = ()

    def field_roles(self, name: str) -> frozenset[str] | None:
        return next((roles for f, roles in self.fields if f == name), None)


MEMBERSHIP = Readers(EVERY_ROLE)


@dataclass(frozen=True)
class Kind:
    name: str
    schema: type[Payload]
    apply: Callable[[Context], None]
    # Roles allowed to author this kind at all; finer checks happen in apply.
    roles: frozenset[str] = STAFF
    # Readers every record of this kind must admit: membership data is visible to every member.
    min_audience: str | None = None
    # False only where apply cannot fail after it has written, so the record needs no savepoint.
    savepoint: bool = True
    # Who reads it, within its audience (see ``Readers``).
    readers: Readers = Readers()
    # The data subjects whose personal data its payload carries (``person:<id>``, ``inquiry:<ref>``), from the
    # parsed payload: such a payload carries a salt and is stored sealed under their keys (``records.sealing``).
    subjects: Callable[[Any], Sequence[str]] | None = None
    # Which of its records anyone reads, signed in or not, from the moment what they state is public (a statement
    # its party released, ``parley.press``): by the session and the record's index. None: never public.
    public: Callable[[Session, int], bool] | None = None


def _verifier(vkey: str, expected_name: str) -> notes.Verifier:
    try:
        v = notes.Verifier.from_vkey(vkey)
    except (ValueError, notes.NoteError) as exc:
        raise Unprocessable(C.VKEY_MALFORMED, why=str(exc), field="vkey") from exc
    if v.alg != notes.ALG_ED25519:
        raise Unprocessable(C.VKEY_ALGORITHM, field="vkey")
    if v.name != expected_name:
        raise Unprocessable(C.VKEY_NAME, name=expected_name, field="vkey")
    return v


def _add_key(ctx: Context, member: str, vkey: str) -> None:
    v = _verifier(vkey, member)
    kid = v.key_id.hex()
    if ctx.session.get(MemberKey, (kid, member)) is not None:
        raise Conflict(C.KEY_EXISTS, field="vkey")
    ctx.session.add(MemberKey(key_id=kid, name=member, member=member, vkey=vkey, registered_idx=ctx.idx))
    # The credential the server keeps for this member and key (a password's hash, a token's, the custodial
    # signing key), in this record's transaction: the record is never stored without it, nor it without
    # the record.
    if "credential" in ctx.local:
        keep_credential(ctx.session, member, ctx.local["credential"], kid)


def _member(ctx: Context, member_id: str) -> Member:
    m = ctx.session.get(Member, member_id)
    if m is None:
        raise NotFound(C.NO_MEMBER, member=member_id, field="member")
    return m


def apply_deployment_init(ctx: Context) -> None:
    p: DeploymentInit = ctx.payload
    if ctx.idx != 0:
        raise Conflict(C.NOT_FIRST)
    if ctx.record.party != p.party or ctx.record.member_handle != p.member:
        raise Unprocessable(C.INIT_AUTHOR)
    ctx.session.add(
        Party(slug=p.party, kind=p.party_kind, name_en=p.names.en, name_uk=p.names.uk, name_ru=p.names.ru,
              created_idx=ctx.idx, updated_idx=ctx.idx)
    )
    ctx.session.flush()
    mid = f"{p.party}/{p.member}"
    ctx.session.add(Member(id=mid, party=p.party, handle=p.member, display_name=p.display_name,
                           roles="admin", active=True, created_idx=ctx.idx, updated_idx=ctx.idx))
    ctx.session.flush()
    _add_key(ctx, mid, p.vkey)


def apply_party_create(ctx: Context) -> None:
    p: PartyCreate = ctx.payload
    if not rules.may_create_party(ctx):
        raise Forbidden(C.CREATE_PARTIES)
    if ctx.session.get(Party, p.slug) is not None:
        raise Conflict(C.PARTY_EXISTS, party=p.slug, field="slug")
    # Ids a record picks start with its author's party and a dash (``records.ids``): no slug may extend
    # another's that way, or one party could pick ids in another's name.
    for other in ctx.session.execute(select(Party.slug)).scalars():
        if p.slug.startswith(other + "-") or other.startswith(p.slug + "-"):
            raise Conflict(C.PARTY_PREFIX, party=p.slug, other=other, field="slug")
    ctx.session.add(Party(slug=p.slug, kind=p.kind, name_en=p.names.en, name_uk=p.names.uk,
                          name_ru=p.names.ru, created_idx=ctx.idx, updated_idx=ctx.idx))


def apply_party_update(ctx: Context) -> None:
    p: PartyUpdate = ctx.payload
    party = ctx.session.get(Party, p.slug)
    if party is None:
        raise NotFound(C.NO_PARTY, party=p.slug, field="slug")
    ctx.require_manager_of(p.slug)
    party.name_en, party.name_uk, party.name_ru = p.names.en, p.names.uk, p.names.ru
    party.updated_idx = ctx.idx


def apply_member_create(ctx: Context) -> None:
    p: MemberCreate = ctx.payload
    if ctx.session.get(Party, p.party) is None:
        raise NotFound(C.NO_PARTY, party=p.party, field="party")
    ctx.require_manager_of(p.party)
    mid = f"{p.party}/{p.handle}"
    if ctx.session.get(Member, mid) is not None:
        raise Conflict(C.MEMBER_EXISTS, member=mid, field="handle")
    ctx.session.add(Member(id=mid, party=p.party, handle=p.handle, display_name=p.display_name,
                           roles=",".join(sorted(set(p.roles))), active=True,
                           created_idx=ctx.idx, updated_idx=ctx.idx))
    ctx.session.flush()
    _add_key(ctx, mid, p.vkey)


def apply_member_update(ctx: Context) -> None:
    p: MemberUpdate = ctx.payload
    m = _member(ctx, p.member)
    ctx.require_manager_of(m.party)
    if p.display_name is None and p.roles is None and p.active is None:
        raise Unprocessable(C.NOTHING_TO_CHANGE)
    if m.id == (ctx.author.id if ctx.author else None):
        if p.active is False or (p.roles and "admin" not in p.roles):
            raise Conflict(C.SELF_DEMOTE)
        if p.roles and not set(p.roles) <= m.role_set:
            raise Forbidden(C.SELF_WIDEN,
                            field="roles")
    if p.display_name is not None:
        m.display_name = p.display_name
    if p.roles is not None:
        m.roles = ",".join(sorted(set(p.roles)))
    if p.active is not None:
        m.active = p.active
    m.updated_idx = ctx.idx


def _require_owner_or_admin(ctx: Context, member: Member) -> None:
    if not (ctx.author and manages_keys(ctx.session, ctx, member.id, member.party)):
        raise ctx.not_manager(member.party)


def apply_key_register(ctx: Context) -> None:
    p: KeyRegister = ctx.payload
    m = _member(ctx, p.member)
    _require_owner_or_admin(ctx, m)
    _add_key(ctx, m.id, p.vkey)


def _revoke(ctx: Context, member: str, key_id: str) -> None:
    k = ctx.session.get(MemberKey, (key_id, member))
    if k is None:
        raise NotFound(C.NO_KEY, member=member, key=key_id, field="key_id")
    if k.revoked_idx is not None:
        raise Conflict(C.KEY_REVOKED, key=key_id, field="key_id")
    k.revoked_idx = ctx.idx


def apply_key_revoke(ctx: Context) -> None:
    p: KeyRevoke = ctx.payload
    m = _member(ctx, p.member)
    _require_owner_or_admin(ctx, m)
    _revoke(ctx, m.id, p.key_id)


def apply_key_rotate(ctx: Context) -> None:
    p: KeyRotate = ctx.payload
    m = _member(ctx, p.member)
    _require_owner_or_admin(ctx, m)
    _revoke(ctx, m.id, p.old_key_id)
    _add_key(ctx, m.id, p.vkey)


def apply_record_note(ctx: Context) -> None:
    p: RecordNote = ctx.payload
    assert ctx.author is not None
    # Nothing in a batch reads annotations: written with the batch's, in one statement.
    ctx.stage(ANNOTATION, {"idx": ctx.idx, "author": ctx.author.id, "party": ctx.author.party, "text": p.text,
                           "refs": ",".join(ctx.record.refs)})


# The spine's own kinds: the deployment, parties, members, keys and notes.
SPINE_KINDS: tuple[Kind, ...] = (
    Kind("deployment.init", DeploymentInit, apply_deployment_init, min_audience="all", readers=MEMBERSHIP),
    Kind("party.create", PartyCreate, apply_party_create, frozenset({"admin"}), "all", readers=MEMBERSHIP),
    Kind("party.update", PartyUpdate, apply_party_update, frozenset({"admin"}), "all", readers=MEMBERSHIP),
    Kind("member.create", MemberCreate, apply_member_create, frozenset({"admin"}), "all", readers=MEMBERSHIP),
    Kind("member.update", MemberUpdate, apply_member_update, frozenset({"admin"}), "all", readers=MEMBERSHIP),
    Kind("key.register", KeyRegister, apply_key_register, min_audience="all", readers=MEMBERSHIP),
    Kind("key.revoke", KeyRevoke, apply_key_revoke, min_audience="all", readers=MEMBERSHIP),
    Kind("key.rotate", KeyRotate, apply_key_rotate, min_audience="all", readers=MEMBERSHIP),
    Kind("record.note", RecordNote, apply_record_note, savepoint=False),
)


class Registry(Mapping[str, Kind]):
    """Record kinds by name: the kinds a log accepts (``parley.assembly.kinds``: the spine's and every
    capability's), or one capability's own. A name registered twice is refused.

    ``objects``: how a record of one capability names an object of another (an operation naming the talks
    point it implements) without importing it: each capability's ``OBJECTS`` ("talks.point" -> lookup), which
    the pipeline hands to every ``apply`` as ``Context.objects``."""

    def __init__(self, *groups: Iterable[Kind], objects: Mapping[str, ObjectLookup] | None = None) -> None:
        self.objects: dict[str, ObjectLookup] = dict(objects or {})
        self._kinds: dict[str, Kind] = {}
        for group in groups:
            for kind in group:
                if kind.name in self._kinds:
                    raise RuntimeError(f"record kind {kind.name!r} is registered twice")  # a build error, not a refusal
                self._kinds[kind.name] = kind
                if kind.subjects is not None:
                    sealing.mark_salted(kind.name)  # ``records.compose`` salts its payloads

    def __getitem__(self, name: str) -> Kind:
        return self._kinds[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._kinds)

    def __len__(self) -> int:
        return len(self._kinds)

    def __repr__(self) -> str:
        return f"Registry({', '.join(self._kinds)})"


def parse_payload(kind: Kind, payload: Any) -> Payload:
    try:
        return kind.schema.model_validate(payload)
    except ValidationError as exc:
        errors = exc.errors()
        # A validator's own refusal says more than a type mismatch beside it: for a value that may be a number
        # or an object, an object that breaks the object's rules is refused for that, not for not being a number.
        first = next((e for e in errors if isinstance((e.get("ctx") or {}).get("error"), Invalid)), errors[0])
        loc = ".".join(str(x) for x in first["loc"]) or None
        raise Unprocessable(C.PAYLOAD, kind=kind.name, detail=f"{loc or ''} {first['msg']}", field=loc,
                            **payload_params(first)) from exc


def payload_params(error: Any) -> dict[str, Any]:
    """What a page or the command line needs to word pydantic's first error in the reader's language: its type,
    the length or bound it names, and a validator's own code (``parley.errors.Invalid``) with its parameters."""
    ctx = error.get("ctx") or {}
    out: dict[str, Any] = {"type": error["type"]}
    limit = next((ctx[k] for k in ("min_length", "max_length", "ge", "gt", "le", "lt") if k in ctx), None)
    if limit is not None:
        out["limit"] = limit if isinstance(limit, int | float) else str(limit)
    cause = ctx.get("error")
    if isinstance(cause, Invalid):
        out["reason"], out["reason_params"] = cause.refusal, cause.params
    return out

