"""The refusals of talks: processes, actors, rounds and meetings, tracks, points and positions, statements, joint
texts and sign-offs, implementation. Each a stable code and its English template, the text the API and the log
show (``parley.errors.Code``); pages and the command line show each code's own message in the reader's language
(``parley.web.refusals.BY_CODE``)."""

from __future__ import annotations

from parley.errors import Code

# -- who may -------------------------------------------------------------------------------------------------
MEMBERS_ONLY = Code("talks.members_only", "only members state what happens in talks")
NOT_IN_PROCESS = Code("talks.not_in_process",
                      "party '{party}' takes no part in process '{process}'; its parties and mediators write in it")
POSITION_WHO = Code("talks.position_who",
                    "only a party to process '{process}' states a position; '{party}' is not one of its parties")
SIGNOFF_WHO = Code("talks.signoff_who",
                   "only a party to process '{process}' signs its texts; '{party}' is not one of its parties")
PROCESS_WHO = Code("talks.process_who", "a process is opened by one of its parties or mediators")

# -- what exists ----------------------------------------------------------------------------------------------
NO_PROCESS = Code("talks.process_not_found", "no process '{process}'")
NO_ACTOR = Code("talks.actor_not_found", "no actor '{actor}'")
NO_MEETING = Code("talks.meeting_not_found", "no meeting '{meeting}'")
NO_TRACK = Code("talks.track_not_found", "no track '{track}'")
NO_POINT = Code("talks.point_not_found", "no point '{point}'")
NO_TEXT = Code("talks.text_not_found", "no joint text '{text}'")
NO_EVIDENCE = Code("talks.evidence_not_found", "no {kind} '{ref}' that you may read")
EXISTS = Code("talks.exists", "{what} '{ident}' already exists")

# -- the shape of a record -----------------------------------------------------------------------------------
PARTIES_TWICE = Code("talks.parties_twice", "a party is listed twice")
NOT_BELLIGERENT = Code("talks.not_belligerent", "'{party}' is not a belligerent party; the parties to talks are")
NOT_MEDIATOR = Code("talks.not_mediator", "'{party}' is not a mediator party; a process's mediators must be")
ACTOR_NAMES_TWICE = Code("talks.actor_names_twice", "the same name is given twice")
WRONG_PROCESS = Code("talks.wrong_process", "{what} '{ident}' belongs to process '{other}', not '{process}'")
VENUE_POSITION = Code("talks.venue_position", "a position is [longitude, latitude] within -180..180 and -90..90")
DELEGATION_PARTY = Code("talks.delegation_party", "delegation of '{party}': not a party or mediator of the process")
ACTOR_UNSEEN = Code("talks.actor_unseen",
                    "actor '{actor}' is not readable by the negotiators of '{party}'; register the actor with the "
                    "process's audience")
ACTOR_PARTY = Code("talks.actor_party", "actor '{actor}' acts for '{other}', not for '{party}'")
PLANNED_STARTED = Code("talks.planned_started", "a planned meeting has not started; record it held to give its start")
HELD_NEEDS_START = Code("talks.held_needs_start", "a meeting held needs the time it actually started")
HELD_IN_FUTURE = Code("talks.held_in_future", "a meeting cannot be held at {start}, after the record's time")
NOTHING_CHANGED = Code("talks.nothing_changed", "the change names nothing to change")
MEETING_CLOSED = Code("talks.meeting_closed", "meeting '{meeting}' is {status}; it can no longer change")
STATUS_SAME = Code("talks.status_same", "process '{process}' is already {status}")
STATUS_ENDED = Code("talks.status_ended", "process '{process}' has ended; it can no longer change")
RESUME_ACTIVE = Code("talks.resume_active", "only a paused or frozen process resumes")

# -- positions and texts ---------------------------------------------------------------------------------------
POSITION_TEXT = Code("talks.position_text", "a {position} position carries the text it proposes")
POSITION_HASH = Code("talks.position_hash", "an accepted position names the SHA-256 of the text it accepts")
TEXT_HASH = Code("talks.text_hash", "SHA-256 {sha256} is not the hash of the text given ({expected})")
UNKNOWN_TEXT = Code("talks.unknown_text", "no text with SHA-256 {sha256} was proposed on point '{point}'")
POINT_CLOSED = Code("talks.point_closed", "point '{point}' is withdrawn")
SIGNOFF_NOT_CURRENT = Code("talks.signoff_not_current",
                           "version {version} of '{text}' is not the current one ({current}); sign the current version")
SIGNOFF_HASH = Code("talks.signoff_hash",
                    "SHA-256 {sha256} is not the hash of version {version} of '{text}' ({expected}); nothing signed")
SIGNED = Code("talks.signed", "'{party}' has already signed version {version} of '{text}'")
TEXT_SAME = Code("talks.text_same", "version {version} of '{text}' is the same text; nothing to sign again")
TEXT_NOT_CURRENT = Code("talks.text_not_current",
                        "version {version} of '{text}' supersedes {supersedes}, but the current version is {current}")

# -- implementation -----------------------------------------------------------------------------------------
NOT_AGREED = Code("talks.not_agreed",
                  "point '{point}' has not reached mutual understanding; only an agreed point is implemented")
EVIDENCE_TWICE = Code("talks.evidence_twice", "evidence {kind} '{ref}' is listed twice")

# -- audiences ------------------------------------------------------------------------------------------------
AUDIENCE_PARTY = Code("talks.audience_party",
                      "the audience must let the negotiators of '{party}' read records of process '{process}'")
NARROW_CLOSED = Code("talks.narrow_closed",
                     "a {format} is read by its parties' negotiators and its mediators only: close the audience "
                     "with 'only'")
NARROW_TOKEN = Code("talks.narrow_token",
                    "a {format} is read by its parties' and mediators' negotiators only; '{token}' is not allowed")
CODES: tuple[Code, ...] = tuple(v for v in dict(globals()).values() if isinstance(v, Code))
