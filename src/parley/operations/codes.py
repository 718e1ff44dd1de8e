"""The refusals of operations, zones, incidents and the liaison channel: each a stable code and its English
template, the text the API and the log show (``parley.errors.Code``). Raised with their parameters
(``Conflict(ANSWERS_CLOSED, operation=op.id, status="completed", field="operation")``); pages and the command line
show each code's own message in the reader's language (``parley.web.refusals.BY_CODE``)."""

from __future__ import annotations

from parley.errors import Code

# -- who may ---------------------------------------------------------------------------------------------------
NOT_CONCERNED = Code("operation.party_not_concerned",
                     "party '{party}' is not concerned by operation '{operation}'; only the parties it concerns answer")
STATUS_BY_MEDIATOR = Code("operation.status_by_mediator",
                          "only the organising mediator ({mediator}) changes the status of an operation")

# -- what exists -------------------------------------------------------------------------------------------------
NO_OPERATION = Code("operation.not_found", "no operation '{operation}'")
NO_INCIDENT = Code("incident.not_found", "no incident '{incident}'")
NO_ZONE = Code("zone.not_found", "no zone '{zone}'")
NO_PARTY = Code("party.not_found", "no party '{party}'")
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

CODES: tuple[Code, ...] = tuple(v for v in dict(globals()).values() if isinstance(v, Code))
