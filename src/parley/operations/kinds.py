"""Record kinds of humanitarian operations: rules, proposals and versions, answers, status, movement
events, incidents, outcomes, zones and the liaison channel. Each is a signed record on the one write
path; ``apply`` checks it against the current state and the record's own time (never the server's
clock), so replaying the log anywhere gives the same tables.

Every object a record names (an operation, an incident, a zone, a channel message) must be one its author
may read (``parley.records.policy``); one it may not read is refused exactly as an absent one ("no
operation 'x'"). A new object's id lies in its author's party's namespace (``parley.records.ids``), so
"already exists" never tells of an object the author may not read. A proposal whose plan meets a zone or
an operation its proposer may not read is recorded with an alert for that object's owner and the
mediators (``DeconflictionAlert``); the proposer learns only that it met something.

Acknowledgement is not permission: an ``acknowledged`` answer says a party received the plan and
passed it on, nothing more. Silence is never turned into an answer; the board shows it as "no answer"
once ``answer_by`` has passed and the mediator sees it escalated.
"""

from __future__ import annotations

import json
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, StringConstraints, field_validator, model_validator
from sqlalchemy import func, select

from parley.errors import Conflict, Forbidden, Invalid, NotFound, Unprocessable
from parley.operations import codes as C
from parley.operations import geo, plan_rules
from parley.operations.deconfliction import meets
from parley.operations.rules import (
    ACTIONS, ANSWERABLE, MOVING, REPORTING, REVISABLE, WRITERS, action_follows, is_concerned, is_first_account,
    gives_other_account, may_give_receipt, may_set_rules, may_use_standing, organises, proposes_plan,
    states_operations, takes_part, withdraws,
)
from parley.operations.models import (
    ACTIVE, ChannelMessage, ChannelReceipt, DeclaredCorridor, StandingChannel, DeconflictionAlert, Incident,
    Operation, OperationAnswer, OperationEvent, OperationRules, OperationVersion, OutcomeFigure, OutcomeStatement,
    Zone,
)
from parley.operations.models import NoticeWaiver as NoticeWaiverRow
from parley.parties.models import Member, Party
from parley.parties.naming import SLUG
from parley.records import codes as spine
from parley.records import ids
from parley.records.figures import Figure, Stated, as_figure, of_bounds, to_columns, total, words
from parley.records.format import Audience, canonical_payload
from parley.records.kinds import Context, Kind, ObjectLookup, Payload, Registry
from parley.records.policy import ReadPolicy
from parley.records.sources import Source

Slug = Annotated[str, StringConstraints(pattern=rf"^{SLUG}$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Text = Annotated[str, StringConstraints(max_length=4000)]
Count = Annotated[int, Field(ge=0, le=1_000_000)]
Position = Annotated[list[float], Field(min_length=2, max_length=2)]

OPERATION_KINDS = ("evacuation", "aid_delivery", "remains_recovery", "transfer_of_persons")
# Disjoint, so that totals add up: a person is counted in the first category that applies, in this order.
# The seriously wounded and sick are the Geneva Conventions' priority class (GC I Art. 15, GC III Art. 109-110,
# GC IV Art. 17); "wounded" is every other wounded or sick person; "servicemen" the members of armed forces
# who are neither; the rest are civilians by age and sex, or "civilians" when the source gives no breakdown (a
# statement then does not also break down the civilians it moved to the same destination).
CATEGORIES = ("seriously_wounded", "wounded", "servicemen", "children", "elderly", "women", "other_civilians",
              "civilians")
CIVILIAN_BREAKDOWN = ("children", "elderly", "women", "other_civilians")
Category = Literal["seriously_wounded", "wounded", "servicemen", "children", "elderly", "women", "other_civilians",
                   "civilians"]
CO_MEDIATOR_ROLES = ("co_organiser", "registration", "escort", "observer")
INCIDENT_TYPES = ("shelling", "small_arms_fire", "air_strike", "blocked_route", "mines", "detention_of_convoy",
                  "attack_on_convoy", "other")
OBSERVED = ("heard", "seen", "camera", "reported")
ZONE_KINDS = ("active_hostilities", "mined", "no_go")
MOVEMENTS = ("departed", "checkpoint_passed", "arrived", "halted", "other")
DEFAULT_RULES = {"notice_hours": 48, "emergency_notice_hours": 24, "answer_hours": 24, "emergency_answer_hours": 6,
                 "urgent_read_minutes": 30, "region": None, "route_tolerance_m": 5000}
MAX_TOLERANCE_M = 100_000
FUTURE_SLACK = timedelta(minutes=10)


class Place(Payload):
    name: Name
    position: Position


class Window(Payload):
    start: AwareDatetime
    end: AwareDatetime


class Convoy(Payload):
    vehicles: Annotated[int, Field(ge=0, le=2000)] = 0
    description: Text = ""
    markings: Text = ""


class Expected(Payload):
    seriously_wounded: Count = 0
    wounded: Count = 0
    servicemen: Count = 0
    children: Count = 0
    elderly: Count = 0
    women: Count = 0
    other_civilians: Count = 0
    civilians: Count = 0  # not broken down


class CoMediator(Payload):
    party: Slug
    role: Literal["co_organiser", "registration", "escort", "observer"]


class Plan(Payload):
    """An operation's plan. ``mediator`` organises it (None: agreed directly between the parties concerned,
    who run it themselves); ``co_mediators`` are other mediators taking part, each with its role.
    ``destinations``: where the persons or goods go (several: the seriously wounded to a hospital, the others
    elsewhere); a plan signed before there could be several has one ``destination``, read as the one.
    ``notice_waived``: less notice than the rules ask, as every party concerned waived it
    (``operation.waiver``) — an emergency agreed at a meeting."""

    kind: Literal["evacuation", "aid_delivery", "remains_recovery", "transfer_of_persons"]
    title: Name
    mediator: Slug | None
    co_mediators: Annotated[list[CoMediator], Field(max_length=8)] = []  # noqa: RUF012 — pydantic copies defaults
    parties: Annotated[list[Slug], Field(min_length=1, max_length=8)]
    route: dict[str, Any] | None = None
    area: dict[str, Any] | None = None
    origin: Place
    destinations: Annotated[list[Place], Field(min_length=1, max_length=20)]
    waypoints: Annotated[list[Place], Field(max_length=100)] = []  # noqa: RUF012 — pydantic copies defaults
    window: Window
    time_zone: Annotated[str, StringConstraints(max_length=64)] = "UTC"
    buffer_m: Annotated[int, Field(ge=0, le=geo.MAX_BUFFER_M)] = 1000
    convoy: Convoy = Convoy()
    expected: Expected = Expected()
    emergency: bool = False
    notice_waived: bool = False
    notes: Text = ""
    # The talks points this operation carries out ("humanitarian corridors" agreed on 3 March 2022).
    implements: Annotated[list[Slug], Field(max_length=20)] = []  # noqa: RUF012 — pydantic copies defaults

    @model_validator(mode="before")
    @classmethod
    def _one_destination(cls, data: Any) -> Any:
        if isinstance(data, dict) and "destination" in data:
            if "destinations" in data:
                raise Invalid(C.DESTINATION_TWICE)
            data = dict(data)
            data["destinations"] = [data.pop("destination")]
        return data

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            zoneinfo.ZoneInfo(v)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise Invalid(C.UNKNOWN_TIME_ZONE, zone=v) from exc
        return v

    @model_validator(mode="after")
    def _shape(self) -> Plan:
        if self.route is None and self.area is None:
            raise Invalid(C.ROUTE_OR_AREA)
        if len(set(self.parties)) != len(self.parties):
            raise Invalid(C.PARTIES_TWICE)
        mediators = [m.party for m in self.co_mediators]
        if len(set(mediators)) != len(mediators) or self.mediator in mediators:
            raise Invalid(C.MEDIATOR_TWICE)
        if len(set(self.implements)) != len(self.implements):
            raise Invalid(C.POINT_TWICE)
        return self

    @property
    def destination(self) -> Place:
        """The first destination: where the route leads."""
        return self.destinations[0]

    @property
    def mediator_list(self) -> list[str]:
        return [*([self.mediator] if self.mediator else []), *(m.party for m in self.co_mediators)]


class OperationPropose(Payload):
    operation: Slug
    plan: Plan
    supersedes: Annotated[int, Field(ge=1)] | None = None  # the version a revision replaces


class OperationAnswerPayload(Payload):
    operation: Slug
    version: Annotated[int, Field(ge=1)]
    answer: Literal["acknowledged", "declined", "counter"]
    reason: Text = ""
    plan: Plan | None = None

    @model_validator(mode="after")
    def _counter(self) -> OperationAnswerPayload:
        if (self.answer == "counter") != (self.plan is not None):
            raise Invalid(C.PLAN_ONLY_COUNTER)
        if self.answer == "declined" and not self.reason.strip():
            raise Invalid(C.DECLINE_REASON)
        return self


class OperationStatus(Payload):
    operation: Slug
    action: Literal["start", "suspend", "resume", "complete", "abort"]
    reason: Text = ""


class OperationMovement(Payload):
    operation: Slug
    event: Literal["departed", "checkpoint_passed", "arrived", "halted", "other"]
    at: AwareDatetime
    position: Position | None = None
    place: Annotated[str, StringConstraints(max_length=200)] = ""
    note: Text = ""
    source: Source | None = None  # who reported it, when the author records another's report


class Casualties(Payload):
    """Killed and wounded, each a count, a figure as stated ("at least 3", "about 10"), or left out when not
    known."""

    killed: Stated | None = None
    wounded: Stated | None = None

    def stated(self, which: str) -> Figure | None:
        v = getattr(self, which)
        return None if v is None else as_figure(v)


class IncidentReport(Payload):
    id: Slug
    operation: Slug | None = None
    account_of: Slug | None = None
    at: AwareDatetime
    position: Position
    place: Annotated[str, StringConstraints(max_length=200)] = ""
    type: Literal["shelling", "small_arms_fire", "air_strike", "blocked_route", "mines", "detention_of_convoy",
                  "attack_on_convoy", "other"]
    observed: Literal["heard", "seen", "camera", "reported"]
    direction_deg: Annotated[int, Field(ge=0, le=359)] | None = None
    distance_m: Annotated[int, Field(ge=0, le=100_000)] | None = None
    casualties: Casualties = Casualties()
    description: Text = ""
    # The party this account alleges responsible ("Russian shelling began again"), if it names one.
    alleged_responsible: Slug | None = None
    source: Source | None = None


class Moved(Payload):
    """Persons of one category moved to one destination: ``count``, a number or a figure as stated ("more than
    250", "about 50")."""

    category: Category
    destination: Annotated[str, StringConstraints(max_length=200, strip_whitespace=True)] = ""  # "": not stated
    count: Stated

    def stated(self) -> Figure:
        return as_figure(self.count)


class OutcomeReport(Payload):
    """A party's statement of what an operation moved: rows by category and destination, a ``total`` as
    stated (which the rows must not contradict), or both; with its ``source``."""

    operation: Slug
    moved: Annotated[list[Moved], Field(max_length=60)] = []  # noqa: RUF012 — pydantic copies defaults
    total: Figure | None = None
    source: Source | None = None
    note: Text = ""

    @model_validator(mode="after")
    def _something(self) -> OutcomeReport:
        if not self.moved and self.total is None:
            raise Invalid(C.OUTCOME_EMPTY)
        return self


class NoticeWaiver(Payload):
    """A party concerned consents that ``operation`` (proposed now or soon) start with as little as
    ``notice_hours`` of notice: an emergency agreed at a meeting (``agreed``: where, when, by whom)."""

    operation: Slug
    notice_hours: Annotated[float, Field(ge=0, le=24 * 30)]
    agreed: Annotated[str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=True)]
    source: Source | None = None


class CorridorDeclare(Payload):
    """A corridor one side declares on its own ("civilians can leave through a specially designated corridor
    in the direction of Berestyanka"): not a proposal, and nobody else's agreement."""

    id: Slug
    name: Name
    origin: Place
    towards: Place
    route: dict[str, Any] | None = None
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None
    source: Source | None = None
    note: Text = ""


class ZoneDeclare(Payload):
    id: Slug
    kind: Literal["active_hostilities", "mined", "no_go"]
    name: Name
    geometry: dict[str, Any]
    valid_from: AwareDatetime
    valid_until: AwareDatetime
    note: Text = ""


class ZoneWithdraw(Payload):
    id: Slug
    reason: Text = ""


class RulesSet(Payload):
    notice_hours: Annotated[int, Field(ge=0, le=24 * 30)]
    emergency_notice_hours: Annotated[int, Field(ge=0, le=24 * 30)]
    answer_hours: Annotated[int, Field(ge=1, le=24 * 30)]
    emergency_answer_hours: Annotated[int, Field(ge=1, le=24 * 30)]
    urgent_read_minutes: Annotated[int, Field(ge=1, le=24 * 60)]
    region: Annotated[list[float], Field(min_length=4, max_length=4)] | None = None
    route_tolerance_m: Annotated[int, Field(ge=0, le=MAX_TOLERANCE_M)] | None = None

    @model_validator(mode="after")
    def _order(self) -> RulesSet:
        if self.emergency_notice_hours > self.notice_hours:
            raise Invalid(C.EMERGENCY_NOTICE)
        if self.region is not None:
            w, s, e, n = self.region
            if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
                raise Invalid(C.REGION_FORM)
        return self


class ChannelOpen(Payload):
    """A standing channel between designated members of two or more parties, not tied to one operation: for a
    talks ``process`` or ``point``, or standing alone (a military-to-military line). Urgent messages not read
    within ``urgent_read_minutes`` (default: the operations' rule) escalate to ``mediator``."""

    id: Slug
    title: Name
    parties: Annotated[list[Slug], Field(min_length=2, max_length=4)]
    members: Annotated[list[Annotated[str, StringConstraints(pattern=rf"^{SLUG}/{SLUG}$")]],
                       Field(min_length=2, max_length=40)]
    mediator: Slug | None = None
    process: Slug | None = None
    point: Slug | None = None
    urgent_read_minutes: Annotated[int, Field(ge=1, le=24 * 60)] | None = None
    note: Text = ""

    @model_validator(mode="after")
    def _distinct(self) -> ChannelOpen:
        if len(set(self.parties)) != len(self.parties):
            raise Invalid(C.PARTIES_TWICE)
        if len(set(self.members)) != len(self.members):
            raise Invalid(C.MEMBER_TWICE)
        return self


class ChannelPost(Payload):
    """A message to an operation's liaison channel (``operation``) or to a standing channel (``channel``)."""

    operation: Slug | None = None
    channel: Slug | None = None
    text: Annotated[str, StringConstraints(min_length=1, max_length=4000)]
    urgent: bool = False

    @model_validator(mode="after")
    def _one(self) -> ChannelPost:
        if (self.operation is None) == (self.channel is None):
            raise Invalid(C.CHANNEL_ONE)
        return self


class ChannelReceiptPayload(Payload):
    message: Annotated[int, Field(ge=0)]
    state: Literal["delivered", "read"]


# --- helpers -------------------------------------------------------------------------------------

def rules(s: Any) -> dict[str, Any]:
    row = s.get(OperationRules, 1)
    if row is None:
        return dict(DEFAULT_RULES)
    return {"notice_hours": row.notice_hours, "emergency_notice_hours": row.emergency_notice_hours,
            "answer_hours": row.answer_hours, "emergency_answer_hours": row.emergency_answer_hours,
            "urgent_read_minutes": row.urgent_read_minutes,
            "region": [float(x) for x in row.region.split(",")] if row.region else None,
            "route_tolerance_m": row.route_tolerance_m if row.route_tolerance_m is not None
            else DEFAULT_RULES["route_tolerance_m"]}


def _require_writer(ctx: Context) -> None:
    if not states_operations(ctx):
        raise Forbidden(C.STATE_ROLES)


def _operation(ctx: Context, op_id: str, field: str = "operation") -> Operation:
    """The operation a record names: one its author may read, or refused exactly as an absent one."""
    op = ctx.session.get(Operation, op_id)
    if op is None or not POLICY.may_read(ctx, "operation.propose", op.audience, op.party):
        raise NotFound(C.NO_OPERATION, operation=op_id, field=field)
    return op


def _incident(ctx: Context, incident_id: str, field: str) -> Incident:
    i = ctx.session.get(Incident, incident_id)
    if i is None or not POLICY.may_read(ctx, "incident.report", i.audience, i.party):
        raise NotFound(C.NO_INCIDENT, incident=incident_id, field=field)
    return i


def _zone(ctx: Context, zone_id: str, field: str) -> Zone:
    z = ctx.session.get(Zone, zone_id)
    if z is None or not POLICY.may_read(ctx, "zone.declare", z.audience, z.party):
        raise NotFound(C.NO_ZONE, zone=zone_id, field=field)
    return z


def _party(ctx: Context, slug: str, field: str) -> Party:
    p = ctx.session.get(Party, slug)
    if p is None:
        raise NotFound(spine.NO_PARTY, party=slug, field=field)
    return p


def _require_audience(ctx: Context, parties: list[str]) -> None:
    """An operation's records must reach the liaison officers of every party concerned."""
    aud = ctx.record.audience
    for p in parties:
        party = ctx.session.get(Party, p)
        kind = party.kind if party else "belligerent"
        if not aud.admits(p, kind, frozenset({"liaison", "negotiator"}), ctx.record.party):
            raise Unprocessable(C.AUDIENCE, party=p,
                                field="audience")


def _point(pos: list[float], field: str) -> Any:
    return geo.point(pos, field)


def _in_region(ctx: Context, geom: Any, field: str) -> None:
    region = rules(ctx.session)["region"]
    if region is None:
        return
    w, s, e, n = region
    minx, miny, maxx, maxy = geom.bounds
    if minx < w or maxx > e or miny < s or maxy > n:
        raise Unprocessable(
            C.OUTSIDE, w=w, s=s, e=e, n=n,
            field=field)


def _check_plan(ctx: Context, plan: Plan, field: str, op_id: str) -> tuple[Any, datetime]:
    """Validate a plan against geometry, parties, rules and the record's time; return (footprint, answer_by)."""
    when = ctx.record.when
    if plan.mediator is not None and _party(ctx, plan.mediator, f"{field}.mediator").kind != "mediator":
        raise Unprocessable(C.NOT_MEDIATOR, party=plan.mediator, field=f"{field}.mediator")
    for i, m in enumerate(plan.co_mediators):
        if _party(ctx, m.party, f"{field}.co_mediators.{i}.party").kind != "mediator":
            raise Unprocessable(C.NOT_MEDIATOR, party=m.party, field=f"{field}.co_mediators.{i}.party")
    for i, p in enumerate(plan.parties):
        if _party(ctx, p, f"{field}.parties.{i}").kind != "belligerent":
            raise Unprocessable(C.NOT_BELLIGERENT, party=p,
                                field=f"{field}.parties.{i}")
    shapes = []
    if plan.route is not None:
        shapes.append(geo.geometry(plan.route, f"{field}.route", ("LineString",)))
    if plan.area is not None:
        shapes.append(geo.geometry(plan.area, f"{field}.area", ("Polygon",)))
    places = [("origin", plan.origin), *((f"destinations.{i}", d) for i, d in enumerate(plan.destinations)),
              *((f"waypoints.{i}", w) for i, w in enumerate(plan.waypoints))]
    for name, place in places:
        _in_region(ctx, _point(place.position, f"{field}.{name}.position"), f"{field}.{name}.position")
    for g, name in zip(shapes, ("route", "area") if plan.route is not None else ("area",), strict=False):
        _in_region(ctx, g, f"{field}.{name}")
    r = rules(ctx.session)
    if plan.route is not None:
        # The route reaches its origin and first destination; every other destination and waypoint lies
        # within the tolerance the mediator set (a hospital a short drive off the road, not 35 km away).
        route = shapes[0]
        for name, place in places:
            ends = name in ("origin", "destinations.0")
            limit = max(plan.buffer_m, 2000) if ends else max(plan.buffer_m, r["route_tolerance_m"])
            gap = geo.distance_m(route, _point(place.position, name))
            if gap > limit:
                if ends:
                    raise Unprocessable(C.ROUTE_MISSES, km=f"{gap / 1000:.1f}", place=name.partition(".")[0],
                                        field=f"{field}.{name}.position")
                raise Unprocessable(C.OFF_ROUTE, what=place.name, km=f"{gap / 1000:.1f}",
                                    tolerance=f"{limit / 1000:.1f}", field=f"{field}.{name}.position")
    for i, point in enumerate(plan.implements):
        # A talks point, named through the objects the composition root lets records name (no import of talks),
        # that everyone the operation's records reach may read too: a back channel's point is not named here.
        if not ctx.sees("talks.point", point):
            raise NotFound(C.NO_POINT, point=point, field=f"{field}.implements.{i}")
        for side in _operation_readers(ctx, plan):
            if not ctx.sees("talks.point", point, side):
                raise Unprocessable(C.POINT_UNSEEN, point=point, party=side.party, field=f"{field}.implements.{i}")
    start, _ = plan_rules.check_window(plan.window.start, plan.window.end, when, field)
    if plan.notice_waived:
        _check_waivers(ctx, plan, op_id, start, field)
    else:
        plan_rules.check_notice(start, when, r, plan.emergency, field)
    footprint = geo.buffer_m(shapes[0] if len(shapes) == 1 else shapes[0].union(shapes[1]), plan.buffer_m)
    return footprint, plan_rules.answer_by(when, start, r, plan.emergency or plan.notice_waived)


@dataclass(frozen=True)
class _Side:
    """A party's liaison officers, as a reader: whom an operation's records reach."""

    party: str
    party_kind: str
    roles: frozenset[str] = frozenset({"liaison"})


def _operation_readers(ctx: Context, plan: Plan) -> list[_Side]:
    """Every party an operation's records reach: its parties and mediators, the parties its audience names, and,
    unless the audience is closed, every mediator (mediators read every open audience)."""
    named = {t[6:].partition("/")[0] for t in ctx.record.audience.tokens if t.startswith("party:")}
    slugs = {*plan.parties, *plan.mediator_list, *named}
    kinds = {p.slug: p.kind for p in ctx.session.query(Party)}
    if not ctx.record.audience.closed:
        slugs |= {slug for slug, kind in kinds.items() if kind == "mediator"}
    return [_Side(slug, kinds.get(slug, "belligerent")) for slug in sorted(slugs) if slug in kinds]


def _check_waivers(ctx: Context, plan: Plan, op_id: str, start: datetime, field: str) -> None:
    """A plan giving less notice than the rules stands once every party concerned has waived the notice for
    this operation (``operation.waiver``), each accepting at most the notice actually given."""
    given = (start - ctx.record.when).total_seconds() / 3600
    for p in plan.parties:
        w = ctx.session.get(NoticeWaiverRow, (op_id, p))
        if w is None:
            raise Unprocessable(C.WAIVER_MISSING, party=p, operation=op_id, field=f"{field}.notice_waived")
        if w.notice_hours > given + 1e-9:
            raise Unprocessable(C.WAIVER_SHORT, party=p, hours=f"{w.notice_hours:g}", given=f"{given:.1f}",
                                field=f"{field}.window.start")


def _within_operation(ctx: Context, op: Operation, position: list[float], field: str) -> None:
    """A movement's or an incident's position lies within the tolerance the mediator set of the operation's
    current footprint (its route or area, buffered)."""
    v = ctx.session.get(OperationVersion, (op.id, op.version))
    assert v is not None
    footprint = geo.geometry(json.loads(v.footprint), field, ("Polygon", "MultiPolygon"))
    tolerance = rules(ctx.session)["route_tolerance_m"]
    gap = geo.distance_m(footprint, _point(position, field))
    if gap > tolerance:
        raise Unprocessable(C.OFF_OPERATION, km=f"{gap / 1000:.1f}", operation=op.id,
                            tolerance=f"{tolerance / 1000:.1f}", field=field)


def _add_version(ctx: Context, op: Operation, plan: Plan, version: int, counter_to: int | None, field: str) -> None:
    footprint, answer_by = _check_plan(ctx, plan, field, op.id)
    if ctx.author_party is None or ctx.author is None:
        raise Forbidden(C.STATE_MEMBERS)
    concerned = set(plan.parties)
    if not proposes_plan(ctx, plan.mediator_list, plan.parties):
        raise Forbidden(C.PROPOSE_WHO)
    _require_audience(ctx, plan.parties)
    minx, miny, maxx, maxy = footprint.bounds
    ctx.session.add(OperationVersion(
        operation=op.id, version=version, idx=ctx.idx, author=ctx.author.id, party=ctx.author_party.slug,
        proposed_at=ctx.record.when, window_start=plan.window.start.astimezone(UTC),
        window_end=plan.window.end.astimezone(UTC), answer_by=answer_by, emergency=plan.emergency,
        time_zone=plan.time_zone, buffer_m=plan.buffer_m,
        plan=canonical_payload(plan.model_dump(mode="json")).decode(),
        footprint=json.dumps(geo.to_geojson(footprint)), min_lon=minx, min_lat=miny, max_lon=maxx, max_lat=maxy,
        counter_to=counter_to))
    op.kind, op.title, op.mediator, op.version = plan.kind, plan.title, plan.mediator, version
    op.implements = ",".join(plan.implements)
    op.co_mediators = ",".join(f"{m.party}:{m.role}" for m in plan.co_mediators)
    op.parties = ",".join(plan.parties)
    op.status = "proposed"
    op.updated_idx = ctx.idx
    if ctx.author_party.slug in concerned:
        # The proposing party's own plan needs no acknowledgement from itself.
        ctx.session.add(OperationAnswer(operation=op.id, version=version, party=ctx.author_party.slug,
                                        answer="proposer", reason="", author=ctx.author.id, idx=ctx.idx,
                                        at=ctx.record.when, late=False))
    ctx.session.flush()
    _alert_unseen(ctx, op, version, footprint, plan)
    _settle(ctx, op)
    _event(ctx, op, "proposed" if version == 1 else "revised", note=f"version {version}")


def _alert_unseen(ctx: Context, op: Operation, version: int, footprint: Any, plan: Plan) -> None:
    """Record what this plan meets that its proposer may not read: one alert per zone or operation, read by
    its owner and the mediators. The proposer is told no more than that there is at least one."""
    assert ctx.author is not None and ctx.author_party is not None
    start, end = plan.window.start.astimezone(UTC), plan.window.end.astimezone(UTC)
    unseen = [h for h in meets(ctx.session, footprint, start, end, exclude=op.id)
              if not POLICY.may_read(ctx, h.record_kind, h.audience, h.party)]
    for seq, h in enumerate(unseen):
        readers = {f"party:{h.party}", *(f"party:{m}" for m in plan.mediator_list),
                   *([f"party:{h.mediator}"] if h.mediator else [])}
        ctx.session.add(DeconflictionAlert(
            idx=ctx.idx, seq=seq, operation=op.id, version=version, proposer=ctx.author.id,
            party=ctx.author_party.slug, mediator=plan.mediator or "", target_kind=h.kind, target=h.id, owner=h.party,
            audience=",".join(sorted(readers)), at=ctx.record.when, window_start=start, window_end=end,
            overlap_km2=h.overlap_km2))


def _same_parties(op: Operation, plan: Plan, what: str) -> None:
    if plan.mediator != op.mediator:
        raise Unprocessable(C.SAME_MEDIATOR, what=what, mediator=op.mediator or "-", field="plan.mediator")
    if set(plan.parties) != set(op.party_list):
        raise Unprocessable(C.SAME_PARTIES, what=what, parties=", ".join(op.party_list),
                            field="plan.parties")


def _settle(ctx: Context, op: Operation) -> None:
    """Move a proposed operation to acknowledged once every party concerned has acknowledged this version."""
    if op.status != "proposed":
        return
    answers = {a.party: a.answer for a in ctx.session.query(OperationAnswer).filter_by(operation=op.id,
                                                                                      version=op.version)}
    if all(answers.get(p) in ("acknowledged", "proposer") for p in op.party_list):
        op.status = "acknowledged"
        _event(ctx, op, "acknowledged", note=f"version {op.version} acknowledged by every party concerned")


def _event(ctx: Context, op: Operation, event: str, *, at: datetime | None = None, position: Any = None,
           place: str = "", note: str = "", source: Source | None = None) -> None:
    assert ctx.author is not None
    ctx.session.flush()
    seq = ctx.session.query(OperationEvent).filter_by(idx=ctx.idx).count()
    ctx.session.add(OperationEvent(
        idx=ctx.idx, seq=seq, operation=op.id, event=event, at=at or ctx.record.when,
        lon=position[0] if position else None, lat=position[1] if position else None, place=place, note=note,
        source=_json(source), author=ctx.author.id, party=ctx.author.party, audience=ctx.record.audience.text()))


# --- apply functions -------------------------------------------------------------------------------

def apply_rules(ctx: Context) -> None:
    p: RulesSet = ctx.payload
    if not may_set_rules(ctx):
        raise Forbidden(C.RULES_WHO)
    row = ctx.session.get(OperationRules, 1)
    values = dict(notice_hours=p.notice_hours, emergency_notice_hours=p.emergency_notice_hours,
                  answer_hours=p.answer_hours, emergency_answer_hours=p.emergency_answer_hours,
                  urgent_read_minutes=p.urgent_read_minutes,
                  region=",".join(repr(float(x)) for x in p.region) if p.region else None,
                  route_tolerance_m=p.route_tolerance_m, set_idx=ctx.idx)
    if row is None:
        ctx.session.add(OperationRules(id=1, **values))
    else:
        for k, v in values.items():
            setattr(row, k, v)


def apply_propose(ctx: Context) -> None:
    p: OperationPropose = ctx.payload
    _require_writer(ctx)
    if p.supersedes is None:
        # A new operation: its id in the proposer's namespace, so "already exists" names only its own party's.
        ids.require_own(ctx, p.operation, "operation", "operation")
        if ctx.session.get(Operation, p.operation) is not None:
            raise Conflict(C.EXISTS, operation=p.operation,
                           field="operation")
        assert ctx.author is not None
        op = Operation(id=p.operation, kind=p.plan.kind, title=p.plan.title, mediator=p.plan.mediator,
                       status="proposed", version=1, author=ctx.author.id, party=ctx.author.party,
                       audience=ctx.record.audience.text(), parties=",".join(p.plan.parties),
                       created_idx=ctx.idx, updated_idx=ctx.idx)
        if p.plan.mediator is not None:
            _party(ctx, p.plan.mediator, "plan.mediator")
        ctx.session.add(op)
        ctx.session.flush()
        _add_version(ctx, op, p.plan, 1, None, "plan")
        return
    op = _operation(ctx, p.operation)
    if p.supersedes != op.version:
        raise Conflict(C.NOT_CURRENT, version=p.supersedes, current=op.version, field="supersedes")
    if op.status not in REVISABLE:
        raise Conflict(C.UNCHANGEABLE, operation=op.id, status=op.status, field="operation")
    if ctx.author_party is None or not takes_part(ctx, op):
        raise Forbidden(C.CHANGE_WHO)
    # A revision cannot drop a party (whose acknowledgement would then never be asked) or swap the mediator.
    _same_parties(op, p.plan, "a revision")
    _add_version(ctx, op, p.plan, op.version + 1, None, "plan")


def apply_answer(ctx: Context) -> None:
    p: OperationAnswerPayload = ctx.payload
    _require_writer(ctx)
    op = _operation(ctx, p.operation)
    assert ctx.author is not None and ctx.author_party is not None
    party = ctx.author_party.slug
    if not is_concerned(ctx, op):
        raise Forbidden(C.NOT_CONCERNED, party=party, operation=op.id, field="operation")
    if op.status not in ANSWERABLE:
        raise Conflict(C.ANSWERS_CLOSED, operation=op.id, status=op.status.replace("_", " "), field="operation")
    if p.version != op.version:
        raise Conflict(C.ANSWER_NOT_CURRENT, version=p.version, current=op.version,
                       field="version")
    existing = ctx.session.get(OperationAnswer, (op.id, op.version, party))
    if existing is not None:
        if existing.answer == "proposer":
            raise Conflict(C.PROPOSED_IT, party=party, field="answer")
        raise Conflict(C.ANSWERED, party=party, answer=existing.answer, field="answer")
    _require_audience(ctx, op.party_list)
    version = ctx.session.get(OperationVersion, (op.id, op.version))
    assert version is not None
    ctx.session.add(OperationAnswer(operation=op.id, version=op.version, party=party, answer=p.answer,
                                    reason=p.reason, author=ctx.author.id, idx=ctx.idx, at=ctx.record.when,
                                    late=plan_rules.is_late(ctx.record.when, version.answer_by)))
    ctx.session.flush()
    _event(ctx, op, f"answer_{p.answer}", note=p.reason)
    if p.answer == "counter":
        assert p.plan is not None
        _same_parties(op, p.plan, "a counter-proposal")
        ctx.session.flush()
        _add_version(ctx, op, p.plan, op.version + 1, op.version, "plan")
        return
    _settle(ctx, op)


def apply_status(ctx: Context) -> None:
    p: OperationStatus = ctx.payload
    _require_writer(ctx)
    op = _operation(ctx, p.operation)
    if ctx.author_party is None or not organises(ctx, op):
        if op.mediator is None:
            raise Forbidden(C.STATUS_BY_PARTIES)
        raise Forbidden(C.STATUS_BY_MEDIATOR, mediator=op.mediator)
    allowed, to = ACTIONS[p.action]
    if not action_follows(op, p.action):
        need = " or ".join(s.replace("_", " ") for s in allowed)
        raise Conflict(C.CANNOT, action=p.action, status=op.status.replace("_", " "), need=need,
                       field="action")
    if p.action in ("suspend", "abort") and not p.reason.strip():
        raise Unprocessable(C.SAY_WHY, action=p.action, field="reason")
    _require_audience(ctx, op.party_list)  # every party concerned learns of a start, suspension or end
    if p.action in ("start", "resume"):
        v = ctx.session.get(OperationVersion, (op.id, op.version))
        assert v is not None
        plan_rules.check_window_open(ctx.record.when, v.window_end)
        # Starting before the agreed window is the mediator's call, never silent: the reason goes on the record.
        if p.action == "start" and plan_rules.before_window(ctx.record.when, v.window_start) and not p.reason.strip():
            raise Unprocessable(C.EARLY_START, start=f"{v.window_start:%Y-%m-%d %H:%M}", field="reason")
    op.status = to
    op.updated_idx = ctx.idx
    _event(ctx, op, to, note=p.reason)


def apply_movement(ctx: Context) -> None:
    p: OperationMovement = ctx.payload
    _require_writer(ctx)
    op = _operation(ctx, p.operation)
    if ctx.author_party is None or not takes_part(ctx, op):
        raise Forbidden(C.MOVEMENT_WHO)
    if op.status not in MOVING:
        raise Conflict(C.MOVEMENTS_CLOSED, operation=op.id, status=op.status.replace("_", " "),
                       field="operation")
    at = p.at.astimezone(UTC)
    if at > ctx.record.when + FUTURE_SLACK:
        raise Unprocessable(C.MOVEMENT_FUTURE, field="at")
    if p.event != "departed":
        # A movement follows the departure: never shown before it on the timeline.
        departed = ctx.session.scalar(select(func.max(OperationEvent.at)).where(
            OperationEvent.operation == op.id, OperationEvent.event == "departed"))
        if departed is not None and at < departed.replace(tzinfo=UTC):
            raise Unprocessable(C.BEFORE_DEPARTURE, departed=f"{departed:%Y-%m-%d %H:%M}", field="at")
    _require_audience(ctx, op.party_list)
    pos = None
    if p.position is not None:
        _point(p.position, "position")
        _within_operation(ctx, op, p.position, "position")
        pos = p.position
    _event(ctx, op, p.event, at=at, position=pos, place=p.place, note=p.note, source=p.source)


def apply_incident(ctx: Context) -> None:
    p: IncidentReport = ctx.payload
    _require_writer(ctx)
    assert ctx.author is not None and ctx.author_party is not None
    ids.require_own(ctx, p.id, "id", "incident")
    if ctx.session.get(Incident, p.id) is not None:
        raise Conflict(C.INCIDENT_EXISTS, incident=p.id, field="id")
    op = _operation(ctx, p.operation) if p.operation is not None else None
    if p.account_of is not None:
        other = _incident(ctx, p.account_of, "account_of")
        if not is_first_account(other):
            raise Unprocessable(C.FIRST_ACCOUNT, field="account_of")
        if not gives_other_account(ctx, other):
            raise Conflict(C.ONE_ACCOUNT, field="account_of")
    at = p.at.astimezone(UTC)
    if at > ctx.record.when + FUTURE_SLACK:
        raise Unprocessable(C.INCIDENT_FUTURE, field="at")
    if p.alleged_responsible is not None:
        alleged = _party(ctx, p.alleged_responsible, "alleged_responsible")
        if alleged.kind != "belligerent":
            raise Unprocessable(C.ALLEGED_NOT_BELLIGERENT, party=alleged.slug, field="alleged_responsible")
    pt = _point(p.position, "position")
    if op is not None:
        _within_operation(ctx, op, p.position, "position")
    killed, killed_figure = to_columns(p.casualties.stated("killed"))
    wounded, wounded_figure = to_columns(p.casualties.stated("wounded"))
    ctx.session.add(Incident(
        id=p.id, idx=ctx.idx, operation=p.operation, account_of=p.account_of, at=at, lon=pt.x, lat=pt.y,
        place=p.place, type=p.type, observed=p.observed, direction_deg=p.direction_deg, distance_m=p.distance_m,
        killed=killed, wounded=wounded, killed_figure=killed_figure, wounded_figure=wounded_figure,
        description=p.description,
        alleged_responsible=p.alleged_responsible, source=_json(p.source), author=ctx.author.id,
        party=ctx.author_party.slug, audience=ctx.record.audience.text()))
    if op is not None:
        _event(ctx, op, "incident", at=at, position=[pt.x, pt.y], place=p.place, note=f"{p.type}: {p.id}")


def apply_outcome(ctx: Context) -> None:
    p: OutcomeReport = ctx.payload
    _require_writer(ctx)
    op = _operation(ctx, p.operation)
    assert ctx.author is not None and ctx.author_party is not None
    if not takes_part(ctx, op):
        raise Forbidden(C.OUTCOME_WHO)
    if op.status not in REPORTING:
        raise Conflict(C.OUTCOMES_CLOSED, operation=op.id, status=op.status.replace("_", " "),
                       field="operation")
    seen = set()
    for i, m in enumerate(p.moved):
        if (m.category, m.destination) in seen:
            raise Unprocessable(C.LISTED_TWICE, category=m.category, destination=m.destination, field=f"moved.{i}")
        seen.add((m.category, m.destination))
    for i, m in enumerate(p.moved):
        if m.category == "civilians" and any((c, m.destination) in seen for c in CIVILIAN_BREAKDOWN):
            raise Unprocessable(C.CIVILIANS_TWICE, destination=m.destination or "-", field=f"moved.{i}")
    rows = total([m.stated().bounds() for m in p.moved])
    # The rows may break down only part of the total ("264 … including 53 heavily wounded"), never more of it.
    cap = p.total.bounds().high if p.total is not None else None
    if p.total is not None and cap is not None and rows.low > cap:
        raise Unprocessable(C.TOTAL_DISAGREES, rows=words(of_bounds(rows)), total=words(of_bounds(p.total.bounds())),
                            field="total")
    audience = ctx.record.audience.text()
    for i, m in enumerate(p.moved):
        least, stated = to_columns(m.stated())
        ctx.session.add(OutcomeFigure(idx=ctx.idx, line=i, operation=op.id, party=ctx.author_party.slug,
                                      author=ctx.author.id, category=m.category, destination=m.destination,
                                      count=least, figure=stated,
                                      note=p.note if i == 0 else "", audience=audience))
    ctx.session.add(OutcomeStatement(idx=ctx.idx, operation=op.id, party=ctx.author_party.slug, author=ctx.author.id,
                                     at=ctx.record.when, total=_json(p.total), source=_json(p.source), note=p.note,
                                     audience=audience))
    whole = p.total.bounds() if p.total is not None else rows
    if whole.exact:
        _event(ctx, op, "outcome_reported", note=f"{whole.low} persons")
    else:
        _event(ctx, op, "outcome_reported", note="")


def _json(value: Payload | None) -> str | None:
    return None if value is None else canonical_payload(value.model_dump(mode="json", exclude_defaults=True)).decode()


def apply_waiver(ctx: Context) -> None:
    p: NoticeWaiver = ctx.payload
    _require_writer(ctx)
    assert ctx.author is not None and ctx.author_party is not None
    party = ctx.author_party.slug
    if ctx.author_party.kind != "belligerent":
        raise Forbidden(C.WAIVER_WHO)
    existing = ctx.session.get(Operation, p.operation)
    if existing is not None and (not POLICY.may_read(ctx, "operation.propose", existing.audience, existing.party)
                                 or party not in existing.party_list):
        raise Forbidden(C.WAIVER_WHO)
    if existing is not None and existing.status not in ("proposed",):
        raise Conflict(C.WAIVER_LATE, operation=p.operation, status=existing.status.replace("_", " "),
                       field="operation")
    if ctx.session.get(NoticeWaiverRow, (p.operation, party)) is not None:
        raise Conflict(C.WAIVER_GIVEN, party=party, operation=p.operation, field="operation")
    ctx.session.add(NoticeWaiverRow(operation=p.operation, party=party, idx=ctx.idx, author=ctx.author.id,
                                    at=ctx.record.when, notice_hours=p.notice_hours, agreed=p.agreed,
                                    source=_json(p.source), audience=ctx.record.audience.text()))


def apply_corridor(ctx: Context) -> None:
    p: CorridorDeclare = ctx.payload
    _require_writer(ctx)
    assert ctx.author is not None and ctx.author_party is not None
    if ctx.author_party.kind != "belligerent":
        raise Forbidden(C.CORRIDOR_WHO)
    ids.require_own(ctx, p.id, "id", "corridor")
    if ctx.session.get(DeclaredCorridor, p.id) is not None:
        raise Conflict(C.CORRIDOR_EXISTS, corridor=p.id, field="id")
    for name, place in (("origin", p.origin), ("towards", p.towards)):
        _in_region(ctx, _point(place.position, f"{name}.position"), f"{name}.position")
    route = None
    if p.route is not None:
        g = geo.geometry(p.route, "route", ("LineString",))
        _in_region(ctx, g, "route")
        route = json.dumps(geo.to_geojson(g))
    start = p.valid_from.astimezone(UTC) if p.valid_from else None
    end = p.valid_until.astimezone(UTC) if p.valid_until else None
    if start is not None and end is not None and end <= start:
        raise Unprocessable(C.CORRIDOR_ENDS_FIRST, field="valid_until")
    ctx.session.add(DeclaredCorridor(
        id=p.id, idx=ctx.idx, name=p.name, origin=_json(p.origin) or "", towards=_json(p.towards) or "",
        route=route, valid_from=start, valid_until=end, source=_json(p.source), note=p.note, author=ctx.author.id,
        party=ctx.author_party.slug, audience=ctx.record.audience.text()))


def apply_zone(ctx: Context) -> None:
    p: ZoneDeclare = ctx.payload
    _require_writer(ctx)
    assert ctx.author is not None and ctx.author_party is not None
    ids.require_own(ctx, p.id, "id", "zone")
    if ctx.session.get(Zone, p.id) is not None:
        raise Conflict(C.ZONE_EXISTS, zone=p.id, field="id")
    g = geo.geometry(p.geometry, "geometry", ("Polygon", "MultiPolygon"))
    _in_region(ctx, g, "geometry")
    start, end = p.valid_from.astimezone(UTC), p.valid_until.astimezone(UTC)
    if end <= start:
        raise Unprocessable(C.ZONE_ENDS_FIRST, field="valid_until")
    if end <= ctx.record.when:
        raise Unprocessable(C.ZONE_ENDED, end=f"{end:%Y-%m-%d %H:%M}",
                            field="valid_until")
    ctx.session.add(Zone(id=p.id, idx=ctx.idx, kind=p.kind, name=p.name, geometry=json.dumps(geo.to_geojson(g)),
                         valid_from=start, valid_until=end, note=p.note, author=ctx.author.id,
                         party=ctx.author_party.slug, audience=ctx.record.audience.text()))


def apply_zone_withdraw(ctx: Context) -> None:
    p: ZoneWithdraw = ctx.payload
    _require_writer(ctx)
    z = _zone(ctx, p.id, "id")
    if ctx.author_party is None or not withdraws(ctx, z):
        raise Forbidden(C.WITHDRAW_WHO)
    if z.withdrawn_idx is not None:
        raise Conflict(C.ZONE_WITHDRAWN, zone=p.id, field="id")
    z.withdrawn_idx = ctx.idx


def _channel(ctx: Context, cid: str, field: str = "channel") -> StandingChannel:
    ch = ctx.session.get(StandingChannel, cid)
    if ch is None or not POLICY.may_read(ctx, "channel.open", ch.audience, ch.party):
        raise NotFound(C.NO_CHANNEL, channel=cid, field=field)
    return ch


def apply_channel_open(ctx: Context) -> None:
    p: ChannelOpen = ctx.payload
    _require_writer(ctx)
    assert ctx.author is not None and ctx.author_party is not None
    ids.require_own(ctx, p.id, "id", "channel")
    if ctx.session.get(StandingChannel, p.id) is not None:
        raise Conflict(C.CHANNEL_EXISTS, channel=p.id, field="id")
    for i, slug in enumerate(p.parties):
        if _party(ctx, slug, f"parties.{i}").kind != "belligerent":
            raise Unprocessable(C.NOT_BELLIGERENT, party=slug, field=f"parties.{i}")
    if p.mediator is not None and _party(ctx, p.mediator, "mediator").kind != "mediator":
        raise Unprocessable(C.NOT_MEDIATOR, party=p.mediator, field="mediator")
    sides = [*p.parties, *([p.mediator] if p.mediator else [])]
    if ctx.author_party.slug not in sides:
        raise Forbidden(C.CHANNEL_OPEN_WHO)
    if p.process is not None and not ctx.sees("talks.process", p.process):
        raise NotFound(C.NO_PROCESS, process=p.process, field="process")
    if p.point is not None and not ctx.sees("talks.point", p.point):
        raise NotFound(C.NO_POINT, point=p.point, field="point")
    aud = ctx.record.audience
    covered = set()
    for i, mid in enumerate(p.members):
        m = ctx.session.get(Member, mid)
        if m is None or not m.active or m.party not in sides:
            raise Unprocessable(C.CHANNEL_MEMBER, member=mid, field=f"members.{i}")
        if not m.role_set & WRITERS:
            raise Unprocessable(C.CHANNEL_MEMBER_ROLE, member=mid, field=f"members.{i}")
        kind = "mediator" if m.party == p.mediator else "belligerent"
        if not aud.admits(m.party, kind, m.role_set, ctx.record.party):
            raise Unprocessable(C.AUDIENCE, party=m.party, field="audience")
        covered.add(m.party)
    for slug in p.parties:
        if slug not in covered:
            raise Unprocessable(C.CHANNEL_SIDE, party=slug, field="members")
    ctx.session.add(StandingChannel(
        id=p.id, idx=ctx.idx, title=p.title, parties=",".join(p.parties), mediator=p.mediator,
        members=",".join(p.members), process=p.process, point=p.point, urgent_read_minutes=p.urgent_read_minutes,
        note=p.note, author=ctx.author.id, party=ctx.author_party.slug, audience=aud.text()))


def _post_to_channel(ctx: Context, p: ChannelPost) -> None:
    assert p.channel is not None and ctx.author is not None and ctx.author_party is not None
    ch = _channel(ctx, p.channel)
    if not may_use_standing(ctx, ch):
        raise Forbidden(C.STANDING_WHO)
    if ctx.record.audience.text() != ch.audience:
        raise Unprocessable(C.CHANNEL_AUDIENCE, field="audience")
    ctx.session.add(ChannelMessage(idx=ctx.idx, operation=None, channel=ch.id, author=ctx.author.id,
                                   party=ctx.author_party.slug, text=p.text, urgent=p.urgent, at=ctx.record.when,
                                   recipients=",".join(x for x in ch.party_list if x != ctx.author_party.slug),
                                   audience=ch.audience))


def apply_channel_post(ctx: Context) -> None:
    p: ChannelPost = ctx.payload
    _require_writer(ctx)
    if p.channel is not None:
        _post_to_channel(ctx, p)
        return
    assert p.operation is not None
    op = _operation(ctx, p.operation)
    assert ctx.author is not None and ctx.author_party is not None
    members = [*op.mediator_list, *op.party_list]
    if not takes_part(ctx, op):
        raise Forbidden(C.CHANNEL_WHO)
    _require_audience(ctx, op.party_list)
    recipients = [x for x in members if x != ctx.author_party.slug]
    ctx.session.add(ChannelMessage(idx=ctx.idx, operation=op.id, author=ctx.author.id, party=ctx.author_party.slug,
                                   text=p.text, urgent=p.urgent, at=ctx.record.when, recipients=",".join(recipients),
                                   audience=ctx.record.audience.text()))


def apply_channel_receipt(ctx: Context) -> None:
    p: ChannelReceiptPayload = ctx.payload
    assert ctx.author is not None and ctx.author_party is not None
    msg = ctx.session.get(ChannelMessage, p.message)
    if msg is None or not POLICY.may_read(ctx, "channel.post", msg.audience, msg.party):
        raise NotFound(C.NO_MESSAGE, index=p.message, field="message")
    party = ctx.author_party.slug
    if not may_give_receipt(ctx, msg.recipients.split(",")):
        raise Forbidden(C.RECEIPT_WHO, field="message")
    if msg.channel is not None:
        ch = ctx.session.get(StandingChannel, msg.channel)
        if ch is None or ctx.member not in ch.member_list:
            raise Forbidden(C.STANDING_WHO, field="message")
    if ctx.session.get(ChannelReceipt, (msg.idx, party, p.state)) is not None:
        raise Conflict(C.RECEIPT_GIVEN, party=party, state=p.state, field="state")
    delivered = p.state == "delivered" or ctx.session.get(ChannelReceipt, (msg.idx, party, "delivered")) is not None
    states = [p.state] if delivered else ["delivered", "read"]  # reading a message implies it was delivered
    for st in states:
        ctx.session.add(ChannelReceipt(message=msg.idx, party=party, state=st, member=ctx.author.id, idx=ctx.idx,
                                       at=ctx.record.when))


KINDS: tuple[Kind, ...] = (
    Kind("operation.rules", RulesSet, apply_rules, frozenset({"admin"}), "all"),
    Kind("operation.propose", OperationPropose, apply_propose, WRITERS),
    Kind("operation.answer", OperationAnswerPayload, apply_answer, WRITERS),
    Kind("operation.status", OperationStatus, apply_status, WRITERS),
    Kind("operation.movement", OperationMovement, apply_movement, WRITERS),
    Kind("operation.outcome", OutcomeReport, apply_outcome, WRITERS),
    Kind("operation.waiver", NoticeWaiver, apply_waiver, WRITERS),
    Kind("incident.report", IncidentReport, apply_incident, WRITERS),
    Kind("corridor.declare", CorridorDeclare, apply_corridor, WRITERS),
    Kind("zone.declare", ZoneDeclare, apply_zone, WRITERS),
    Kind("zone.withdraw", ZoneWithdraw, apply_zone_withdraw, WRITERS),
    Kind("channel.open", ChannelOpen, apply_channel_open, WRITERS),
    Kind("channel.post", ChannelPost, apply_channel_post, WRITERS),
    # Receipts are the liaison officers' (and the mediator's writers'): an auditor or a registrar who opens
    # the page has not read the message for the party.
    Kind("channel.receipt", ChannelReceiptPayload, apply_channel_receipt, WRITERS),
)
# These kinds by name, and the read policy over them: what this capability's records and reads refer to is
# always one of its own kinds (``parley.assembly`` registers them with every other capability's).
KIND = Registry(KINDS)
POLICY = ReadPolicy(KIND)


def _sees_operation(s: Any, who: Any, ident: str) -> bool:
    op = s.get(Operation, ident)
    return op is not None and POLICY.may_read(who, "operation.propose", op.audience, op.party)


# What other capabilities' records may name (``Context.sees``): talks name the operations that implement a point.
OBJECTS: dict[str, ObjectLookup] = {"operation": _sees_operation}


def audience_for(op: Operation) -> list[str]:
    """The audience a record about ``op`` uses by default: its mediator and every party concerned."""
    return sorted({*(f"party:{m}" for m in op.mediator_list), *(f"party:{p}" for p in op.party_list)})


def local_time(t: datetime, tz: str) -> datetime:
    return t.astimezone(zoneinfo.ZoneInfo(tz))


__all__ = ["KINDS", "KIND", "POLICY", "Audience", "CATEGORIES", "INCIDENT_TYPES", "OBSERVED", "ZONE_KINDS",
           "OPERATION_KINDS", "ACTIVE", "ACTIONS", "MOVEMENTS", "rules", "audience_for", "local_time"]
