"""Who may read what: the one read policy that every route returning record content asks.

A member reads a record when two things hold:

- its **audience** admits the member's party and roles (``Audience.admits``: the author's own party,
  the parties and roles the record names, everyone for ``all``; a mediator's members are admitted to
  every audience, because mediators carry lists and witness handovers for all sides);
- its **kind's readers** (``Kind.readers``, declared beside the kind) include one of the member's
  roles, wherever the member sits: press and liaison officers read no personal data, a party's
  public inquiry form reads nothing.

Some payload fields are read by fewer roles (a family's contact: registrars only). A member outside
them reads the kind's projection with those fields left out, and never the signed record itself,
whose payload carries them: log listings, record pages and entry bundles serve a record only to
members who may read all of it.

Nothing grants reading across parties but belonging to a mediator party, and only a mediator's admin
creates parties: no role a belligerent's admin can give reads another party's records.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from parley.log.models import LogEntry
from parley.records.format import Audience
from parley.records.kinds import Kind, ObjectLookup, Readers

_NOBODY = Readers(frozenset())


class Reader(Protocol):
    """Whoever asks to read: a signed-in member (``auth.Principal``) or a record's author (``Context``)."""

    @property
    def party(self) -> str: ...

    @property
    def party_kind(self) -> str: ...

    @property
    def roles(self) -> frozenset[str]: ...


class ReadPolicy:
    """The read policy over a set of record kinds, whose ``readers`` it applies. Built by the composition
    root over every kind (``parley.assembly.kinds``, carried by the runtime as ``Runtime.policy``), and by
    each capability over its own kinds for its own reads. A kind it does not know is read by nobody."""

    def __init__(self, kinds: Mapping[str, Kind]) -> None:
        self.kinds = kinds

    def readers(self, kind: str) -> Readers:
        k = self.kinds.get(kind)
        return k.readers if k is not None else _NOBODY

    def may_read(self, who: Reader, kind: str, audience: str, author_party: str) -> bool:
        """May ``who`` read what a record of ``kind`` states (its projection), fields aside?"""
        return bool(who.roles & self.readers(kind).roles) and in_audience(who, audience, author_party)

    def may_read_field(self, who: Reader, kind: str, name: str) -> bool:
        """May ``who`` read the payload field ``name`` of a record of ``kind`` it may read?"""
        roles = self.readers(kind).field_roles(name)
        return roles is None or bool(who.roles & roles)

    def is_public(self, s: Session, kind: str, idx: int) -> bool:
        """May anyone, without signing in, read the record ``idx`` of ``kind`` (``Kind.public``)?"""
        k = self.kinds.get(kind)
        return k is not None and k.public is not None and k.public(s, idx)

    def may_read_record(self, who: Reader, kind: str, audience: str, author_party: str) -> bool:
        """May ``who`` read the signed record itself, every payload field included?"""
        r = self.readers(kind)
        return self.may_read(who, kind, audience, author_party) and all(who.roles & roles for _, roles in r.fields)


def in_audience(who: Reader, audience: str, author_party: str) -> bool:
    return Audience(tuple(audience.split(","))).admits(who.party, who.party_kind, who.roles, author_party)


def reads_every_party(who: Reader) -> bool:
    """A mediator's member: every audience admits them (the kinds' readers still apply)."""
    return who.party_kind == "mediator"


def may_read_bundles(who: Reader) -> bool:
    """Entry bundles carry every record's signed text (kind, author, audience, time, payload hash; no
    payload): read by a mediator's auditors, who check the whole log."""
    return reads_every_party(who) and "auditor" in who.roles


def record_lookup(kinds: Mapping[str, Kind]) -> ObjectLookup:
    """``Context.sees("record", "<index>")``: is there a record at that log index whose whole signed text the
    author may read (through the read policy over ``kinds``)? Evidence that names a record by its index."""
    policy = ReadPolicy(kinds)

    def lookup(s: Session, who: Reader, ref: str) -> bool:
        if not ref.isdigit():
            return False
        row = s.execute(select(LogEntry.kind, LogEntry.audience, LogEntry.party)
                        .where(LogEntry.idx == int(ref))).first()
        return row is not None and policy.may_read_record(who, row.kind, row.audience, row.party)
    return lookup
