"""The refusals of operations, zones, incidents and the liaison channel: each a stable code and its English
template, the text the API and the log show (``parley.errors.Code``). Raised with their parameters
(``Conflict(ANSWERS_CLOSED, operation=op.id, status="completed", field="operation")``); pages and the command line
show each code's own message in the reader's language (``parley.web.refusals.BY_CODE``)."""

from __future__ import annotations

from parley.errors import Code

# -- who may ---------------------------------------------------------------------------------------------------
STATE_ROLES = Code("operation.state_roles", "only negotiators, liaison officers and admins state operations")
STATE_MEMBERS = Code("operation.state_members", "only members state operations")
PROPOSE_WHO = Code("operation.propose_who", "only the organising mediator or a party concerned proposes an operation")
CHANGE_WHO = Code("operation.change_who", "only the organising mediator or a party concerned changes an operation")
RULES_WHO = Code("operation.rules_who", "only an admin of a mediator party sets the notice and answer periods")
MOVEMENT_WHO = Code("operation.movement_who", "only the mediator or a party concerned reports the convoy's movements")
OUTCOME_WHO = Code("operation.outcome_who", "only the mediator or a party concerned reports an operation's outcome")
WITHDRAW_WHO = Code("zone.withdraw_who", "only the declaring party withdraws its zone")
CHANNEL_WHO = Code("channel.who", "only the mediator and the parties concerned use an operation's channel")
RECEIPT_WHO = Code("channel.receipt_who", "only a recipient party gives a receipt for a message")
NOT_CONCERNED = Code("operation.party_not_concerned",
                     "party '{party}' is not concerned by operation '{operation}'; only the parties it concerns answer")
STATUS_BY_MEDIATOR = Code("operation.status_by_mediator",
                          "only the organising mediator ({mediator}) changes the status of an operation")

# -- what exists -------------------------------------------------------------------------------------------------
NO_OPERATION = Code("operation.not_found", "no operation '{operation}'")
NO_INCIDENT = Code("incident.not_found", "no incident '{incident}'")
NO_ZONE = Code("zone.not_found", "no zone '{zone}'")
NO_CHANNEL = Code("channel.not_found", "no channel '{channel}'")
NO_PROCESS = Code("operation.process_not_found", "no talks process '{process}' that you may read")
NO_POINT = Code("operation.point_not_found", "no talks point '{point}' that you may read")
NO_MESSAGE = Code("channel.message_not_found", "no channel message at record {index}")
NOT_IN_CHANNEL = Code("channel.not_in_channel", "no message {record} in the channel of '{operation}'")
CHECKS_LIMIT = Code("operation.checks_limit", "at most {limit} conflict checks an hour per member; wait, or propose "
                    "the plan (a proposal is always checked)")

# -- the state of an operation -------------------------------------------------------------------------------
EXISTS = Code("operation.exists", "operation '{operation}' already exists; a change names the version it supersedes")
NOT_CURRENT = Code("operation.version_not_current", "version {version} is not the current version ({current})")
ANSWER_NOT_CURRENT = Code("operation.answer_not_current",
                          "version {version} is not the current version ({current}); answer the current one")
UNCHANGEABLE = Code("operation.unchangeable", "operation '{operation}' is {status}; it can no longer be changed")
ANSWERS_CLOSED = Code("operation.answers_closed", "operation '{operation}' is {status}; answers are closed")
MOVEMENTS_CLOSED = Code("operation.movements_closed",
                        "operation '{operation}' is {status}; movements are reported while it is under way")
OUTCOMES_CLOSED = Code("operation.outcomes_closed",
                       "operation '{operation}' is {status}; outcomes are reported once it has started")
PROPOSED_IT = Code("operation.proposed_this_version", "party '{party}' proposed this version")
ANSWERED = Code("operation.already_answered", "party '{party}' already answered ({answer})")
CANNOT = Code("operation.status_not_allowed", "cannot {action} an operation that is {status} (it must be {need})")
SAY_WHY = Code("operation.reason_needed", "say why the operation is to {action}")
BEFORE_DEPARTURE = Code("operation.movement_before_departure",
                        "the convoy departed at {departed} UTC; a movement after the departure cannot be earlier")
EARLY_START = Code("operation.early_start_reason", "the window agreed for this operation opens at {start} UTC; "
                   "starting before it needs a reason, which every party concerned sees")
WINDOW_ENDED = Code("operation.window_ended", "the window acknowledged for this operation ended at {end} UTC; "
                    "propose a new version with a new window")

# -- the plan ----------------------------------------------------------------------------------------------------
AUDIENCE = Code("operation.audience_lacks_party",
                "the audience must include party '{party}', which this operation concerns")
OUTSIDE = Code("operation.outside_region", "{field} lies outside the deployment's area of operations "
               "[{w}, {s}, {e}, {n}]; are longitude and latitude swapped? GeoJSON puts longitude first")
NOT_MEDIATOR = Code("operation.not_a_mediator", "'{party}' is not a mediator party")
NOT_BELLIGERENT = Code("operation.not_a_belligerent",
                       "'{party}' is not a belligerent party; only belligerents acknowledge")
ROUTE_MISSES = Code("operation.route_misses_place", "the route passes {km} km from the {place}; it must reach it")
WINDOW_TOO_LONG = Code("operation.window_too_long", "a window lasts at most {n} days")
WINDOW_PAST = Code("operation.window_in_the_past", "the window starts in the past ({start} UTC, stated at {when} UTC)")
NOTICE = Code("operation.notice_too_short", "the window starts {hours} h after the proposal; the notice period is "
              "{notice} h ({emergency} h for an emergency)")
SAME_MEDIATOR = Code("operation.same_mediator", "{what} keeps the same mediator ({mediator})")
SAME_PARTIES = Code("operation.same_parties", "{what} keeps the same parties concerned ({parties})")

# -- incidents, outcomes, zones, the channel ---------------------------------------------------------------------
INCIDENT_EXISTS = Code("incident.exists", "incident '{incident}' is already recorded")
LISTED_TWICE = Code("operation.outcome_listed_twice", "{category} to {destination} is listed twice")
ZONE_EXISTS = Code("zone.exists", "zone '{zone}' is already declared")
ZONE_ENDED = Code("zone.ended_before_declared", "the zone's validity ended before it was declared ({end} UTC)")
ZONE_WITHDRAWN = Code("zone.withdrawn", "zone '{zone}' was already withdrawn")
RECEIPT_GIVEN = Code("channel.receipt_given", "party '{party}' already gave a {state} receipt for this message")

MOVEMENT_FUTURE = Code("operation.movement_in_future", "a movement cannot be reported before it happens")
INCIDENT_FUTURE = Code("incident.in_future", "an incident cannot be reported before it happens")
FIRST_ACCOUNT = Code("incident.first_account", "name the first account of the incident, not another account")
ONE_ACCOUNT = Code("incident.one_account", "a party gives one account of an incident; correct it with a note")
ZONE_ENDS_FIRST = Code("zone.ends_before_start", "the zone's validity ends before it starts")
WINDOW_ENDS_FIRST = Code("operation.window_ends_before_start", "the window ends before it starts")
STATUS_BY_PARTIES = Code("operation.status_by_parties", "an operation agreed directly between the parties is "
                         "started, suspended and ended by a party concerned")
OFF_ROUTE = Code("operation.off_route",
                 "{what} lies {km} km from the route; the mediator's tolerance is {tolerance} km")
OFF_OPERATION = Code("operation.off_operation", "this position lies {km} km from the route or area of operation "
                     "'{operation}'; the mediator's tolerance is {tolerance} km")
TOTAL_DISAGREES = Code("operation.total_disagrees", "the rows add up to {rows}, more than the stated total ({total}) "
                       "allows; state them as separate figures if the source gave both")
CIVILIANS_TWICE = Code("operation.civilians_twice", "civilians to {destination} are given both broken down and "
                       "not; a statement counts each person once")
WAIVER_MISSING = Code("operation.waiver_missing", "party '{party}' has not waived the notice for operation "
                      "'{operation}'; every party concerned signs its waiver first")
WAIVER_SHORT = Code("operation.waiver_short", "party '{party}' waived the notice down to {hours} h; this plan gives "
                    "{given} h")
WAIVER_WHO = Code("operation.waiver_who", "only a party the operation concerns waives its notice")
WAIVER_LATE = Code("operation.waiver_late", "operation '{operation}' is {status}; a waiver comes before it is agreed")
WAIVER_AUDIENCE = Code("operation.waiver_audience", "no operation '{operation}' yet: name the waiver's audience "
                       "(the mediator and the parties concerned)")
WAIVER_GIVEN = Code("operation.waiver_given", "party '{party}' already waived the notice for operation '{operation}'")
ALLEGED_NOT_BELLIGERENT = Code("incident.alleged_not_belligerent",
                               "'{party}' is not a belligerent party; an account alleges a belligerent responsible")
CORRIDOR_WHO = Code("corridor.who", "only a belligerent party declares a corridor on its own")
CORRIDOR_EXISTS = Code("corridor.exists", "corridor '{corridor}' is already declared")
CORRIDOR_ENDS_FIRST = Code("corridor.ends_before_start", "the corridor's validity ends before it starts")

# -- the payloads' own checks (raised in validators as ``parley.errors.Invalid``) ---------------------------------
UNKNOWN_TIME_ZONE = Code("operation.unknown_time_zone", "unknown time zone {zone!r}")
ROUTE_OR_AREA = Code("operation.route_or_area", "an operation needs a route, an area or both")
PARTIES_TWICE = Code("operation.parties_twice", "parties are listed twice")
PLAN_ONLY_COUNTER = Code("operation.plan_only_counter", "a counter-proposal carries a plan; other answers do not")
DECLINE_REASON = Code("operation.decline_reason", "a declined answer gives its reason")
EMERGENCY_NOTICE = Code("operation.emergency_notice",
                        "the emergency notice period cannot be longer than the ordinary one")
REGION_FORM = Code("operation.region_form", "region is [west, south, east, north] in degrees")
DESTINATION_TWICE = Code("operation.destination_twice", "give destinations (a list) or destination (one), not both")
MEDIATOR_TWICE = Code("operation.mediator_twice", "a mediator is named twice")
POINT_UNSEEN = Code("operation.point_unseen",
                    "talks point '{point}' is not readable by '{party}', whom this operation's records reach; an "
                    "operation names only a point everyone concerned may read")
POINT_TWICE = Code("operation.point_twice", "a talks point is named twice")
OUTCOME_EMPTY = Code("operation.outcome_empty", "an outcome states rows, a total or both")

# -- geometry (geo.py) -------------------------------------------------------------------------------------------
POSITION = Code("geo.position", "a position is [longitude, latitude] (RFC 7946)")
NUMBERS = Code("geo.numbers", "coordinates must be numbers")
FINITE = Code("geo.finite", "coordinates must be finite numbers")
LONGITUDE = Code("geo.longitude", "longitude {lon} is outside -180..180")
LATITUDE_SWAPPED = Code("geo.latitude_swapped", "latitude {lat} is outside -90..90 (are longitude and latitude "
                        "swapped? GeoJSON puts longitude first)")
LATITUDE = Code("geo.latitude", "latitude {lat} is outside -90..90")
NOT_POINT = Code("geo.not_point", "expected a GeoJSON Point")
RING_SHORT = Code("geo.ring_short", "a polygon ring needs at least 4 positions, the last equal to the first")
RING_OPEN = Code("geo.ring_open", "polygon ring is not closed: its last position must equal its first")
RING_DISTINCT = Code("geo.ring_distinct", "polygon ring has fewer than 3 distinct positions")
NOT_GEOMETRY = Code("geo.not_geometry", "expected a GeoJSON geometry object")
GEOMETRY_TYPE = Code("geo.type_not_allowed", "geometry type must be one of {allowed}, not {kind!r}")
GEOMETRY_MEMBERS = Code("geo.unexpected_members", "unexpected members in the geometry")
NO_COORDINATES = Code("geo.no_coordinates", "geometry has no coordinates")
TOO_MANY_POSITIONS = Code("geo.too_many_positions", "geometry has {count} positions; at most {limit} are accepted")
ROUTE_SHORT = Code("geo.route_short", "a route needs at least two distinct positions")
NO_RINGS = Code("geo.no_rings", "polygon has no rings")
NO_POLYGONS = Code("geo.no_polygons", "multipolygon has no polygons")
MEMBER_NO_RINGS = Code("geo.member_no_rings", "multipolygon member has no rings")
UNSUPPORTED_TYPE = Code("geo.unsupported_type", "unsupported geometry type {kind!r}")
INVALID_GEOMETRY = Code("geo.invalid", "invalid geometry: {why}")
EMPTY_GEOMETRY = Code("geo.empty", "geometry is empty")
NESTED = Code("geo.nested_too_deeply", "coordinates are nested too deeply")
MIXED = Code("geo.mixed_positions", "coordinates mix positions [longitude, latitude] with other values")



# -- standing channels ---------------------------------------------------------------------------------------------
CHANNEL_ONE = Code("channel.one", "a message goes to an operation's channel or to a standing channel: name one")
CHANNEL_EXISTS = Code("channel.exists", "channel '{channel}' already exists")
CHANNEL_OPEN_WHO = Code("channel.open_who", "a standing channel is opened by one of its parties or its mediator")
CHANNEL_MEMBER = Code("channel.member", "'{member}' is not an active member of a party or the mediator of the channel")
CHANNEL_MEMBER_ROLE = Code("channel.member_role",
                           "'{member}' is not a negotiator, liaison officer or admin, who use channels")
CHANNEL_SIDE = Code("channel.side", "the channel needs at least one designated member of '{party}'")
STANDING_WHO = Code("channel.standing_who", "only the channel's designated members and its mediator use it")
CHANNEL_AUDIENCE = Code("channel.audience", "a message to a standing channel takes the channel's audience")
NOT_IN_STANDING = Code("channel.not_in_standing", "record {record} is not a message of channel '{channel}'")
MEMBER_TWICE = Code("channel.member_twice", "a member is designated twice")
CODES: tuple[Code, ...] = tuple(v for v in dict(globals()).values() if isinstance(v, Code))
