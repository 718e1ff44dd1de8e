"""Access to places of detention: a mediator asks the holding party for access to visit a place
(``place.access_request``), and the holding party answers once — granted, with the date of the visit, or refused,
with its reason (``place.access_answer``). A party that does not answer is silent: the request stays ``asked``,
shown as unanswered (and overdue past the date the mediator asked an answer by, computed when read); silence is
never written into the log as an answer.

Not personal data: the place (a name in any script, a position if known), the parties, the dates, the reasons.
Need to know: read by the parties the request's audience names — by default the asking mediator and the holding
party, never widened by Parley — in the roles of ``ACCESS_READERS``, and by the mediators (as every record). A
request the reader may not read is answered exactly as an absent one, by the kinds and by every route.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from parley.errors import Conflict, Forbidden, Invalid, NotFound, Unprocessable
from parley.parties.models import Party
from parley.parties.naming import SLUG
from parley.people import codes as C
from parley.people import rules
from parley.people.models import AccessRequest
from parley.records import codes as spine
from parley.records import ids
from parley.records.kinds import Context, Kind, Payload, Readers, Registry
from parley.records.policy import Reader, ReadPolicy
from parley.records.sources import Source

Slug = Annotated[str, StringConstraints(pattern=rf"^{SLUG}$")]
PlaceName = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Text = Annotated[str, StringConstraints(max_length=4000)]
IsoDate = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")]
STATES = ("asked", "granted", "refused")
REQUEST, ANSWER = "place.access_request", "place.access_answer"


class Place(Payload):
    """A place of detention: its name as written (any script), its position if known (WGS 84)."""

    name: PlaceName
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None

    @model_validator(mode="after")
    def _both(self) -> Place:
        if (self.lat is None) != (self.lon is None):
            raise Invalid(C.ACCESS_POSITION)
        return self


class AccessAsk(Payload):
    id: Slug  # in the asking party's namespace
    place: Place
    holder: Slug  # the party holding the place
    purpose: Text = ""
    answer_by: datetime | None = None  # the date the mediator asks an answer by, if any
    source: Source = Source()


class AccessAnswer(Payload):
    request: Slug
    answer: Literal["granted", "refused"]
    visit_on: IsoDate | Literal[""] = ""  # granted: the date of the visit
    reason: Text = ""  # refused: why
    source: Source = Source()

    @model_validator(mode="after")
    def _shape(self) -> AccessAnswer:
        if self.answer == "granted" and not self.visit_on:
            raise Invalid(C.ACCESS_VISIT_DATE)
        if self.answer == "refused" and not self.reason.strip():
            raise Invalid(C.ACCESS_REASON)
        return self


def _json(source: Source) -> str:
    return source.model_dump_json(exclude_defaults=True)


def apply_request(ctx: Context) -> None:
    p: AccessAsk = ctx.payload
    if not rules.may_ask_access(ctx):
        raise Forbidden(C.ACCESS_ASK_ROLES, roles=", ".join(sorted(rules.ACCESS)))
    assert ctx.author is not None
    ids.require_own(ctx, p.id, "id", "request for access")
    holder = ctx.session.get(Party, p.holder)
    if holder is None:
        raise NotFound(spine.NO_PARTY, party=p.holder, field="holder")
    if holder.kind != "belligerent":
        raise Unprocessable(C.ACCESS_HOLDER, field="holder")
    # Need to know: parties' tokens only, and only the parties the request is between.
    for t in ctx.record.audience.tokens:
        kind, _, rest = t.partition(":")
        if kind != "party" or rest.partition("/")[0] not in (ctx.party, p.holder):
            raise Unprocessable(C.ACCESS_AUDIENCE, token=t, field="audience")
    if not ctx.record.audience.admits(p.holder, holder.kind, rules.ACCESS, ctx.party):
        raise Unprocessable(C.ACCESS_HOLDER_AUDIENCE, party=p.holder, field="audience")
    if ctx.session.get(AccessRequest, p.id) is not None:
        raise Conflict(C.ACCESS_EXISTS, request=p.id, field="id")
    ctx.session.add(AccessRequest(
        id=p.id, place_name=p.place.name, place_lat=p.place.lat, place_lon=p.place.lon, holder=p.holder,
        party=ctx.party, author=ctx.author.id, audience=ctx.record.audience.text(), purpose=p.purpose,
        answer_by=p.answer_by, source=_json(p.source), idx=ctx.idx, at=ctx.record.when, state="asked"))


def apply_answer(ctx: Context) -> None:
    p: AccessAnswer = ctx.payload
    assert ctx.author is not None
    req = ctx.session.get(AccessRequest, p.request)
    if req is None or not POLICY.may_read(ctx, REQUEST, req.audience, req.party):
        raise NotFound(C.NO_ACCESS_REQUEST, request=p.request, field="request")
    if not rules.holds(ctx, req):
        raise Forbidden(C.ACCESS_NOT_HOLDER, party=req.holder, field="request")
    if not ctx.roles & rules.ACCESS:
        raise Forbidden(C.ACCESS_ANSWER_ROLES, roles=", ".join(sorted(rules.ACCESS)))
    if rules.is_answered(req):
        raise Conflict(C.ACCESS_ANSWERED, state=req.state, field="request")
    if ctx.record.audience.text() != req.audience:
        raise Unprocessable(C.ACCESS_ANSWER_AUDIENCE, field="audience")
    if p.visit_on:
        try:
            date.fromisoformat(p.visit_on)
        except ValueError:
            raise Unprocessable(C.NO_SUCH_DATE, field="visit_on") from None
    req.state, req.answer_idx, req.answer_author, req.answered_at = p.answer, ctx.idx, ctx.author.id, ctx.record.when
    req.visit_on, req.reason, req.answer_source = p.visit_on, p.reason, _json(p.source)


# Who reads requests for access and their answers, in the parties their audience names: those who negotiate and
# carry out visits, and admins and auditors; not the press, nor a party's public inquiry form.
ACCESS_READERS = Readers(frozenset({"negotiator", "liaison", "registrar", "admin", "auditor"}))
KINDS: tuple[Kind, ...] = (
    Kind(REQUEST, AccessAsk, apply_request, rules.ACCESS, readers=ACCESS_READERS),
    Kind(ANSWER, AccessAnswer, apply_answer, rules.ACCESS, readers=ACCESS_READERS),
)
POLICY = ReadPolicy(Registry(KINDS))


# -- reads ---------------------------------------------------------------------------------------------------------
def may_read_requests(who: Reader) -> bool:
    return bool(who.roles & ACCESS_READERS.roles)


def requests(s: Session, who: Reader, *, state: str = "", holder: str = "") -> list[AccessRequest]:
    """The requests ``who`` may read, newest first, narrowed by state and holding party; none for a role that
    reads none."""
    if not may_read_requests(who):
        return []
    q = select(AccessRequest).order_by(AccessRequest.idx.desc())
    if state:
        q = q.where(AccessRequest.state == state)
    if holder:
        q = q.where(AccessRequest.holder == holder)
    return [r for r in s.execute(q).scalars() if POLICY.may_read(who, REQUEST, r.audience, r.party)]


def request(s: Session, who: Reader, rid: str) -> AccessRequest:
    """One request, or ``NotFound`` — the same for one that does not exist and one ``who`` may not read."""
    r = s.get(AccessRequest, rid)
    if r is None or not POLICY.may_read(who, REQUEST, r.audience, r.party):
        raise NotFound(C.NO_ACCESS_REQUEST, request=rid)
    return r


def overdue(r: AccessRequest, now: datetime) -> bool:
    """Unanswered past the date the mediator asked an answer by: computed when read, never recorded."""
    return r.state == "asked" and r.answer_by is not None and now > r.answer_by


def default_audience(asker: str, holder: str) -> list[str]:
    """The asking mediator and the holding party: nobody else unless the mediator names them."""
    return sorted({f"party:{asker}", f"party:{holder}"})


def new_request_id(party: str) -> str:
    import uuid

    return f"{party}-access-{uuid.uuid4().hex[:12]}"


def as_json(r: AccessRequest, now: datetime) -> dict[str, Any]:
    import json

    return {"id": r.id, "place": {"name": r.place_name, "lat": r.place_lat, "lon": r.place_lon},
            "holder": r.holder, "party": r.party, "author": r.author, "audience": r.audience.split(","),
            "purpose": r.purpose, "asked_at": r.at.isoformat().replace("+00:00", "Z"), "index": r.idx,
            "answer_by": r.answer_by.isoformat().replace("+00:00", "Z") if r.answer_by else None,
            "source": json.loads(r.source or "{}"), "state": r.state, "overdue": overdue(r, now),
            "answer": None if r.answer_idx is None else {
                "answer": r.state, "visit_on": r.visit_on, "reason": r.reason, "author": r.answer_author,
                "at": r.answered_at.isoformat().replace("+00:00", "Z") if r.answered_at else None,
                "index": r.answer_idx, "source": json.loads(r.answer_source or "{}")}}
