"""The refusals of exchanges: the agreement and its sign-off, lists, consent, plans, the handover, remains, counts
and release. Each a stable code and its English template (``parley.errors.Code``); pages and the command line show
each code's own message in the reader's language (``parley.web.refusals.BY_CODE``)."""

from __future__ import annotations

from parley.errors import Code

# -- who may -------------------------------------------------------------------------------------------------
MEMBERS_ONLY = Code("exchange.members_only", "only members write exchange records")
NOT_IN_EXCHANGE = Code("exchange.not_in_exchange",
                       "party '{party}' takes no part in exchange '{exchange}'; its parties and mediators write in it")
PARTY_ONLY = Code("exchange.party_only", "only a party to exchange '{exchange}' {what}; '{party}' is not one")
MEDIATOR_ONLY = Code("exchange.mediator_only", "only a mediator of exchange '{exchange}' {what}")
WRONG_SIDE = Code("exchange.wrong_side",
                  "'{party}' is not the {side} side for '{person}' in exchange '{exchange}'; '{expected}' is")
ROLES = Code("exchange.roles", "your roles may not {what}; {roles} may")

# -- what exists ----------------------------------------------------------------------------------------------
NO_EXCHANGE = Code("exchange.not_found", "no exchange '{exchange}'")
NO_PERSON = Code("exchange.person_not_found", "no person '{person}' that you may read")
NO_LIST = Code("exchange.list_not_found", "no imported list '{list}' that you may read")
NO_OPERATION = Code("exchange.operation_not_found", "no operation '{operation}' that you may read")
NO_POINT = Code("exchange.point_not_found", "no talks point '{point}' that you may read")
NO_BODY = Code("exchange.body_not_found", "no body '{body}' in exchange '{exchange}'")
NOT_ON_LIST = Code("exchange.not_on_list", "'{person}' is not on the current list of '{party}' to hand over")
EXISTS = Code("exchange.exists", "exchange '{exchange}' already exists")

# -- the agreement --------------------------------------------------------------------------------------------
PARTIES_TWICE = Code("exchange.parties_twice", "a party is listed twice")
NOT_BELLIGERENT = Code("exchange.not_belligerent", "'{party}' is not a belligerent party; the parties to an "
                       "exchange are")
NOT_MEDIATOR = Code("exchange.not_mediator", "'{party}' is not a mediator party; an exchange's mediators must be")
FORMULA_N = Code("exchange.formula_n", "a formula '{kind}' needs the number of persons per side")
FORMULA_CATEGORIES = Code("exchange.formula_categories", "a formula by category needs a number for each category "
                          "and no total of its own")
FORMULA_ALL = Code("exchange.formula_all", "a formula 'all for all' takes no number")
STAGES_NUMBERED = Code("exchange.stages_numbered", "stages are numbered 1, 2, 3 … in order")
STAGES_SUM = Code("exchange.stages_sum", "the stages hand over {total} per side, the formula {n}")
WINDOW_ORDER = Code("exchange.window_order", "the handover window ends before it starts")
VERSION_NEXT = Code("exchange.version_next", "exchange '{exchange}' is at version {current}; a new version is "
                    "{expected}")
SAME_PARTIES = Code("exchange.same_parties", "a new version keeps the parties and mediators of the exchange")
VERSION_STALE = Code("exchange.version_stale", "version {version} is not the current version ({current}) of "
                     "exchange '{exchange}'")
HASH_MISMATCH = Code("exchange.hash_mismatch", "the SHA-256 signed is not that of version {version}'s terms")
SIGNED = Code("exchange.signed", "'{party}' has already signed version {version}")
NOT_AGREED = Code("exchange.not_agreed", "exchange '{exchange}' is not agreed: every party signs the same version "
                  "first")
CLOSED = Code("exchange.closed", "exchange '{exchange}' is {status}; it takes no more {what}")
UNDER_WAY = Code("exchange.under_way", "the handover of exchange '{exchange}' has begun; its terms no longer change")
AUDIENCE = Code("exchange.audience", "an exchange record is addressed, closed ('only'), to its parties and "
                "mediators: {expected}")
CONSENT_AUDIENCE = Code("exchange.consent_audience", "a consent interview is addressed, closed ('only'), to the "
                        "holding party and the mediators only: {expected}")

# -- lists ----------------------------------------------------------------------------------------------------
LIST_EMPTY = Code("exchange.list_empty", "a list names at least one person or imported list")
LIST_TWICE = Code("exchange.list_twice", "'{person}' is on the list twice")
LIST_REMAINS = Code("exchange.list_remains", "a remains exchange lists no persons; record its bodies")
NOT_HELD = Code("exchange.not_held", "'{person}' is held by nobody by your registry ({status}); a list hands over "
                "persons your party holds")
NOT_OWN = Code("exchange.not_own", "'{person}' is not a person of '{party}' in your registry; a party asks for its "
               "own")
OTHER_EXCHANGE = Code("exchange.other_exchange", "'{person}' is already on the list of open exchange '{other}'")
DESTROYED = Code("exchange.destroyed", "the data of '{person}' was destroyed")

# -- consent --------------------------------------------------------------------------------------------------
INTERVIEW_FUTURE = Code("exchange.interview_future", "the interview is dated after the record that states it")
CONSENT_REASON = Code("exchange.consent_reason", "a refusal records the person's reason as told to the mediator")

# -- plans ----------------------------------------------------------------------------------------------------
PLAN_STAGE = Code("exchange.plan_stage", "stage {stage} is not a stage of the agreed terms")
PLAN_TWICE = Code("exchange.plan_twice", "'{person}' is planned twice")
PLAN_INELIGIBLE = Code("exchange.plan_ineligible", "'{person}' cannot be planned: {reason}")
PLAN_COUNT = Code("exchange.plan_count", "stage {stage}: '{party}' hands over {count}, the terms {size}")
PLAN_FORMULA = Code("exchange.plan_formula", "the plan does not satisfy the formula: '{party}' {category} {count}, "
                    "the formula {needed}")
INFEASIBLE = Code("exchange.infeasible", "no plan satisfies the formula: {constraint} ({detail})")
PIN_EXCLUDE = Code("exchange.pin_exclude", "'{person}' is both pinned and excluded")

# -- handover -------------------------------------------------------------------------------------------------
NOT_PLANNED = Code("exchange.not_planned", "'{person}' is not in stage {stage} of the current plan")
REFUSED_PERSON = Code("exchange.refused_person", "'{person}' refused repatriation and is never handed over")
STEP_TWICE = Code("exchange.step_twice", "'{person}' is already confirmed {step}")
STEP_ORDER = Code("exchange.step_order", "'{person}' is confirmed {step} only after being handed over")
IDENTITY = Code("exchange.identity", "'{person}' and '{other}' are not the same person by their names; record a "
                "match decision first if they are")
AS_PERSON = Code("exchange.as_person", "the receiving side names its own record of the person ('as')")

# -- remains --------------------------------------------------------------------------------------------------
NOT_REMAINS = Code("exchange.not_remains", "exchange '{exchange}' is of persons, not remains")
BODIES_COUNT = Code("exchange.bodies_count", "{bodies} bodies are tagged, but the count stated allows {count}")
BODY_TWICE = Code("exchange.body_twice", "body '{body}' is tagged twice")
STATE_BACK = Code("exchange.state_back", "body '{body}' is already {state}; identification only advances")
IDENTIFIED_PERSON = Code("exchange.identified_person", "an identification names the registry person identified")
PERSON_NOT_DEAD = Code("exchange.person_not_dead", "'{person}' is not recorded missing or dead")

# -- counts ---------------------------------------------------------------------------------------------------
COUNT_SUM = Code("exchange.count_sum", "the categories {what} add up to {parts}, not the total stated ({total})")
COUNT_PARTY = Code("exchange.count_party", "a party states its own count; '{party}' is not a party of the exchange")

# -- status and release ---------------------------------------------------------------------------------------
NOT_COMPLETED = Code("exchange.not_completed", "exchange '{exchange}' is not completed; nothing is released "
                     "before")
RELEASED = Code("exchange.released", "'{party}' has already released exchange '{exchange}'")
NO_HANDOVER = Code("exchange.no_handover", "stage {stage} of exchange '{exchange}' has no confirmed handover yet; "
                   "its act follows the handover")
BAD_STATUS = Code("exchange.bad_status", "exchange '{exchange}' is {status}; it cannot become {new}")
