"""What the server serves about persons and operations, recomputed by an auditor from the signed records
it read (``parley log verify``).

The auditor runs each record it verified through the kind's own ``apply`` (the kinds it is handed:
``parley.assembly.kinds()``, the spine's and every capability's) into a private in-memory database, then
renders the API's answers from it with the server's own route functions, as the member it is, and
compares them with what the server answered.
An edited projection row (a surname, a status, an answer on an operation's board) is then a difference
between the two, reported by object and field names, never by value (they hold personal data).

A reader sees only part of the log, so some objects cannot be recomputed: those a record touched that
the auditor could not apply (it refers to something the reader may not read) or that changed after the
checkpoint it verified (the server already shows newer records). Those are skipped and counted, never
reported. An object the server leaves out, or serves without any record for it, is reported only by a
reader whose records of that kind are complete: a mediator's member with a role that reads the kind.

To follow a change of an API's shape, adjust ``RENDER`` (how the server's answer is produced from the
tables) and ``VOLATILE`` (fields that depend on the present time, not on the records).
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, create_engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from parley.db import Base
from parley.errors import ParleyError
from parley.log.auditor import Caller
from parley.models import KEY_TABLES, PROJECTION_TABLES
from parley.parties.models import Member, Party
from parley.parties.principal import Principal
from parley.records.format import RecordText
from parley.records.kinds import Context, Kind, parse_payload
from parley.records.policy import ReadPolicy, reads_every_party

log = logging.getLogger(__name__)

# The kinds whose apply builds what is compared (and the membership they depend on).
MEMBERSHIP_KINDS = ("deployment.init", "party.create", "party.update", "member.create", "member.update",
                    "key.register", "key.revoke", "key.rotate")
FAMILIES: dict[str, tuple[str, ...]] = {
    # An exchange's handover and a body's identification change a person's status (``parley.exchanges``).
    "person": ("person.register", "person.update", "person.event", "person.monitor", "match.decide",
               "match.withdraw", "person.destroy", "exchange.handover", "exchange.identify"),
    "operation": ("operation.waiver", "operation.propose", "operation.answer", "operation.status",
                  "operation.movement", "operation.outcome", "incident.report"),
}
# What an exchange's handover and identification are checked against: the exchange, its lists, consent, plan
# and status, and the bodies handed over.
EXCHANGE_STATE = ("exchange.propose", "exchange.sign", "exchange.list", "exchange.consent", "exchange.plan",
                  "exchange.remains", "exchange.status")
APPLIED = frozenset(MEMBERSHIP_KINDS) | {"operation.rules", *EXCHANGE_STATE} | {k for ks in FAMILIES.values()
                                                                                for k in ks}
# Fields that follow the clock, not the records: an answer still awaited becomes "no answer" at its deadline.
VOLATILE = {"operation": ("board.*.seconds_left", "conflicts", "incidents")}
OPEN_STATES = ("awaiting", "no_answer")


def touched(kind: str, payload: Any) -> set[tuple[str, str]]:
    """The compared objects a record of ``kind`` changes."""
    if not isinstance(payload, dict):
        return set()
    out: set[tuple[str, str]] = set()

    def add(family: str, key: Any) -> None:
        if isinstance(key, str):
            out.add((family, key))

    if kind in ("person.register", "person.update"):
        add("person", payload.get("id"))
    elif kind in ("person.event", "person.monitor", "person.destroy"):
        add("person", payload.get("person"))
    elif kind in ("match.decide", "match.withdraw"):
        add("person", payload.get("left"))
        add("person", payload.get("right"))
    elif kind in ("exchange.handover", "exchange.identify"):
        add("person", payload.get("person"))
        add("person", payload.get("as_person"))
    elif kind in FAMILIES["operation"]:
        add("operation", payload.get("operation"))
    return out


# -- rendering: the server's own route functions over the auditor's tables --------------------------------

def _served(response: Any) -> Any:
    """What a route answers, as its client reads it (the routes answer the JSON bytes they serve)."""
    return json.loads(response.body)


def _persons(s: Session, who: Any) -> list[dict[str, Any]]:
    from parley.people import api

    return _served(api.list_persons(s, who, q="", category="", party="", wounded=None, list=""))["persons"]


def _person(s: Session, who: Any, pid: str) -> dict[str, Any]:
    from parley.people import api

    return _served(api.get_person(pid, s, who))


def _operations(s: Session, who: Any) -> list[dict[str, Any]]:
    from parley.operations import api

    return _served(api.list_operations(s, who, status=None))["operations"]


def _operation(s: Session, who: Any, op_id: str) -> dict[str, Any]:
    from parley.operations import api

    return _served(api.get_operation(op_id, s, who))


@dataclass(frozen=True)
class Render:
    family: str
    list_path: str  # the server's listing (first page)
    list_limit: int | None  # how many the listing holds at most (None: all)
    detail_path: str  # with {id}
    listing: Callable[[Session, Any], list[dict[str, Any]]]
    detail: Callable[[Session, Any, str], dict[str, Any]]
    key: str = "id"


RENDER = (
    Render("person", "/api/persons", 2000, "/api/persons/{id}", _persons, _person),
    Render("operation", "/api/operations", None, "/api/operations/{id}", _operations, _operation),
)


def differences(ours: Any, theirs: Any, family: str, path: str = "") -> list[str]:
    """Dotted names of the fields where two JSON answers differ (lists by position), volatile ones aside.
    Keys only one side has are ignored: another version of the server may add or drop a field."""
    if _volatile(family, path):
        return []
    if isinstance(ours, dict) and isinstance(theirs, dict):
        out: list[str] = []
        for k in ours.keys() & theirs.keys():
            out += differences(ours[k], theirs[k], family, f"{path}.{k}" if path else str(k))
        if family == "operation" and path.startswith("board.") and ours.get("state") in OPEN_STATES \
                and theirs.get("state") in OPEN_STATES:
            out = [p for p in out if not p.endswith(".state")]
        return out
    if isinstance(ours, list) and isinstance(theirs, list):
        if len(ours) != len(theirs):
            return [path or "(list)"]
        out = []
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            out += differences(a, b, family, f"{path}.{i}")
        return out
    return [] if ours == theirs else [path or "(value)"]


def _volatile(family: str, path: str) -> bool:
    for pattern in VOLATILE.get(family, ()):
        parts, have = pattern.split("."), path.split(".")
        if len(have) == len(parts) and all(p in ("*", h) for p, h in zip(parts, have, strict=True)):
            return True
    return False


@dataclass
class ProjectionReport:
    compared: dict[str, int] = field(default_factory=dict)  # family -> objects compared
    skipped: dict[str, int] = field(default_factory=dict)  # family -> objects not recomputable
    problems: list[tuple[str, Any, str]] = field(default_factory=list)  # (family, object id, why)


class Shadow:
    """The projection tables as the records an auditor read make them."""

    def __init__(self, me: Caller, kinds: Mapping[str, Kind]) -> None:
        self.who = Principal(member=me.member, party=me.party, party_kind=me.party_kind, roles=me.roles,
                             display_name=me.display_name)
        self.kinds = kinds
        self.policy = ReadPolicy(kinds)
        self.engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
        Base.metadata.create_all(self.engine, tables=[cast(Table, t.__table__)
                                                          for t in (*PROJECTION_TABLES, *KEY_TABLES)])
        self.session = Session(self.engine)
        self.tainted: set[tuple[str, str]] = set()
        self.applied = 0

    def close(self) -> None:
        self.session.close()
        self.engine.dispose()

    def taint(self, kind: str | None, payload: Any) -> None:
        if kind is not None:
            self.tainted |= touched(kind, payload)

    def destroyed(self, subjects: list[str]) -> None:
        """A record whose payload was destroyed: what its subjects are cannot be recomputed."""
        for subject in subjects:
            family, _, oid = str(subject).partition(":")
            if family == "person":
                self.tainted.add(("person", oid))

    def apply(self, idx: int, text: str, payload: Any) -> None:
        """Apply a verified record; one that cannot be applied here marks what it touches as unknown."""
        try:
            rec = RecordText.parse(text)
        except ParleyError:
            return
        if rec.kind not in APPLIED or rec.kind not in self.kinds:
            return
        s = self.session
        kind = self.kinds[rec.kind]
        try:
            parsed = parse_payload(kind, payload)
            author = s.get(Member, rec.author) if rec.kind != "deployment.init" else None
            party = s.get(Party, author.party) if author is not None else None
            with s.begin_nested():
                kind.apply(Context(session=s, record=rec, payload=parsed, idx=idx, author=author, author_party=party,
                                   objects=getattr(self.kinds, "objects", {})))
                s.flush()
            self.applied += 1
        except (ParleyError, SQLAlchemyError, ValueError, LookupError, AssertionError, AttributeError):
            self.taint(rec.kind, payload)

    def complete(self, family: str) -> bool:
        """Does this reader read every record of the family (so a missing object is the server's doing)?"""
        who = self.who
        return reads_every_party(who) and all(who.roles & self.policy.readers(k).roles for k in FAMILIES[family])

    def may_read(self, family: str) -> bool:
        return bool(self.who.roles & self.policy.readers(FAMILIES[family][0]).roles)

    def compare(self, get_json: Callable[[str], Any], *, details: int = 100,
                rng: random.Random | None = None) -> ProjectionReport:
        """Compare the server's answers with the ones rendered here. ``details``: how many objects of each
        family to fetch one by one (all if there are fewer; otherwise a random sample)."""
        report = ProjectionReport()
        rng = rng or random.SystemRandom()  # the sample must not be predictable by the server
        for r in RENDER:
            if not self.may_read(r.family):
                continue
            self.session.expire_all()
            try:
                ours = {o[r.key]: o for o in json_roundtrip(r.listing(self.session, self.who))}
            except ParleyError:
                continue
            theirs_list = get_json(r.list_path)
            theirs_list = next(iter(theirs_list.values())) if isinstance(theirs_list, dict) else theirs_list
            theirs = {o.get(r.key): o for o in theirs_list if isinstance(o, dict)}
            complete = self.complete(r.family)
            compared = skipped = 0
            for oid, served in theirs.items():
                if (r.family, oid) in self.tainted:
                    skipped += 1
                    continue
                mine = ours.get(oid)
                if mine is None:
                    if complete:
                        report.problems.append((r.family, oid, f"the server serves {r.family} {oid!r}, which no "
                                                                   "record you read gives"))
                    else:
                        skipped += 1
                    continue
                compared += 1
                diff = differences(mine, served, r.family)
                if diff:
                    report.problems.append((r.family, oid, f"the server serves {r.family} {oid!r} differently "
                                            f"from its signed records: {', '.join(sorted(diff)[:8])}"))
            full_listing = r.list_limit is None or len(theirs) < r.list_limit
            if complete and full_listing:
                for oid in sorted(set(ours) - set(theirs)):
                    if (r.family, oid) not in self.tainted:
                        report.problems.append((r.family, oid, f"the server's listing {r.list_path} leaves "
                                                f"out {r.family} {oid!r}, which the signed records give"))
            candidates = sorted(k for k in set(ours) & set(theirs) if (r.family, k) not in self.tainted)
            if len(candidates) > details:
                candidates = sorted(rng.sample(candidates, details))
            for oid in candidates:
                self.session.expire_all()
                try:
                    mine_detail = json_roundtrip(r.detail(self.session, self.who, oid))
                except ParleyError:
                    continue
                served_detail = get_json(r.detail_path.format(id=oid))
                diff = differences(mine_detail, served_detail, r.family)
                if diff:
                    report.problems.append((r.family, oid, f"the server serves {r.family} {oid!r} in detail "
                                            f"differently from its signed records: {', '.join(sorted(diff)[:8])}"))
            report.compared[r.family] = compared
            report.skipped[r.family] = skipped
        return report


def json_roundtrip(value: Any) -> Any:
    """Our rendering as the server's JSON would carry it (datetimes, tuples)."""
    return json.loads(json.dumps(value, default=str))
