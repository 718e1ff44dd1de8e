"""The text of a record: the body that its author's signed-note signature covers.

::

    parley.record/v1
    origin <log origin>
    kind <kind>
    author <party>/<member>
    party <party>
    time <YYYY-MM-DDTHH:MM:SSZ>
    audience <token>,<token>...
    ref <64 hex>                (zero or more)
    payload sha256:<64 hex>     (of the payload's RFC 8785 canonical JSON)

A record's hash is the SHA-256 of its whole signed note; the note is the log entry.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import rfc8785

from parley.errors import BadRequest
from parley.records import codes as C
from parley.parties.naming import AUTHOR_RE, ROLES, SLUG_RE

HEADER = "parley.record/v1"
MAX_RECORD_BYTES = 65535  # the C2SP entry-bundle limit: a uint16 length prefix
MAX_REFS = 64
KIND_RE = re.compile(r"[a-z][a-z_]{0,30}\.[a-z][a-z_]{0,30}\Z")
TIME_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")
HEX64 = re.compile(r"[0-9a-f]{64}\Z")
ONLY = "only"  # the audience token that closes an audience to what it names (``Audience``)


@dataclass(frozen=True)
class Audience:
    """Which parties and roles a record is addressed to. Its author's party reads it (only in the roles
    named, if the audience names the author's party only with roles), and the mediators read every
    audience; the record's kind may narrow this to some roles (``parley.records.policy``).

    The token ``only`` closes an audience to exactly the parties and roles it names: a mediator it does not
    name reads it no more than any other party does (a back channel's records: the parties' negotiators and
    the intermediary's mediator, nobody else). A closed audience cannot also be ``all`` or ``public``."""

    tokens: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Audience:
        tokens = tuple(t for t in text.split(",") if t)
        if not tokens or len(tokens) > 64 or len(set(tokens)) != len(tokens):
            raise BadRequest(C.AUDIENCE_SIZE, field="audience")
        for t in tokens:
            if t in ("public", "all", ONLY):
                continue
            kind, _, rest = t.partition(":")
            if kind == "party":
                party, _, role = rest.partition("/")
                if SLUG_RE.match(party) and (not role or role in ROLES):
                    continue
            elif kind == "role" and rest in ROLES:
                continue
            raise BadRequest(C.AUDIENCE_TOKEN, token=t, field="audience")
        if ONLY in tokens and ({"public", "all"} & set(tokens) or len(tokens) == 1):
            raise BadRequest(C.AUDIENCE_ONLY, field="audience")
        return cls(tuple(sorted(tokens)))

    def text(self) -> str:
        return ",".join(self.tokens)

    def admits(self, party: str, party_kind: str, roles: frozenset[str], author_party: str) -> bool:
        if (party_kind == "mediator" and not self.closed) or (party == author_party and not self.narrows(party)):
            return True
        for t in self.tokens:
            if t in ("public", "all"):
                return True
            kind, _, rest = t.partition(":")
            if kind == "role" and rest in roles:
                return True
            if kind == "party":
                p, _, role = rest.partition("/")
                if p == party and (not role or role in roles):
                    return True
        return False

    def narrows(self, party: str) -> bool:
        """Does the audience name ``party`` only with roles (``party:ua/registrar``)? Then the author's own
        party reads it only in those roles, as its author asked."""
        own = [t for t in self.tokens if t == f"party:{party}" or t.startswith(f"party:{party}/")]
        return bool(own) and all("/" in t for t in own)

    @property
    def closed(self) -> bool:
        """Does the audience admit only what it names (``only``), mediators included?"""
        return ONLY in self.tokens

    def names_party(self, party: str) -> bool:
        """Does the audience name ``party`` (with or without roles)?"""
        return any(t == f"party:{party}" or t.startswith(f"party:{party}/") for t in self.tokens)

    @property
    def is_public(self) -> bool:
        return "public" in self.tokens


@dataclass(frozen=True)
class RecordText:
    origin: str
    kind: str
    author: str
    party: str
    time: str
    audience: Audience
    payload_hash: str
    refs: tuple[str, ...] = field(default=())

    @property
    def member_handle(self) -> str:
        return self.author.split("/", 1)[1]

    @property
    def when(self) -> datetime:
        try:
            return datetime.fromisoformat(self.time)
        except ValueError as exc:
            raise BadRequest(C.IMPOSSIBLE_TIME, time=self.time, field="time") from exc

    def text(self) -> str:
        lines = [
            HEADER,
            f"origin {self.origin}",
            f"kind {self.kind}",
            f"author {self.author}",
            f"party {self.party}",
            f"time {self.time}",
            f"audience {self.audience.text()}",
            *(f"ref {r}" for r in self.refs),
            f"payload sha256:{self.payload_hash}",
        ]
        return "\n".join(lines) + "\n"

    @classmethod
    def parse(cls, text: str) -> RecordText:
        lines = text.split("\n")
        if lines[-1] != "" or len(lines) < 9:
            raise BadRequest(C.TEXT_INCOMPLETE)
        lines = lines[:-1]
        if lines[0] != HEADER:
            raise BadRequest(C.TEXT_HEADER, header=HEADER)
        fixed = ("origin", "kind", "author", "party", "time", "audience")
        values: dict[str, str] = {}
        for key, line in zip(fixed, lines[1:7], strict=True):
            k, sep, v = line.partition(" ")
            if k != key or not sep or not v:
                raise BadRequest(C.TEXT_LINE, line=key)
            values[key] = v
        refs = []
        for line in lines[7:-1]:
            k, _, v = line.partition(" ")
            if k != "ref" or not HEX64.match(v):
                raise BadRequest(C.REF_LINE)
            refs.append(v)
        if len(refs) > MAX_REFS or len(set(refs)) != len(refs):
            raise BadRequest(C.TOO_MANY_REFS, limit=MAX_REFS)
        k, _, v = lines[-1].partition(" ")
        if k != "payload" or not v.startswith("sha256:") or not HEX64.match(v[7:]):
            raise BadRequest(C.PAYLOAD_LINE)
        m = AUTHOR_RE.match(values["author"])
        if not m or m.group(1) != values["party"]:
            raise BadRequest(C.AUTHOR_FORM, field="author")
        if not KIND_RE.match(values["kind"]):
            raise BadRequest(C.KIND_FORM, field="kind")
        if not TIME_RE.match(values["time"]):
            raise BadRequest(C.TIME_FORM, field="time")
        rec = cls(
            origin=values["origin"],
            kind=values["kind"],
            author=values["author"],
            party=values["party"],
            time=values["time"],
            audience=Audience.parse(values["audience"]),
            payload_hash=v[7:],
            refs=tuple(refs),
        )
        rec.when  # noqa: B018  (rejects impossible dates such as month 13)
        if rec.text() != text:
            raise BadRequest(C.NOT_CANONICAL)
        return rec


def canonical_payload(payload: Any) -> bytes:
    try:
        return rfc8785.dumps(payload)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise BadRequest(C.PAYLOAD_JSON, why=str(exc), field="payload") from exc


def payload_hash(payload: Any) -> str:
    return hashlib.sha256(canonical_payload(payload)).hexdigest()


def record_hash(note: bytes) -> str:
    return hashlib.sha256(note).hexdigest()


def now_text(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
