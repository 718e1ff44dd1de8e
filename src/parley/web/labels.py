"""Human names, in English, of the codes the record kinds use: record kinds, roles, kinds of party, fields of
a payload, statuses and events of operations and persons. Pages translate them where they show them
(``_(label)`` in templates); each is marked with ``N_`` so that it is extracted into the catalogue.

A code without a name here is shown as it is, and the translation test names it
(``tests/web/test_translations.py``): every record kind the log accepts has one.
"""

from __future__ import annotations

from parley.web.i18n import N_

# Every kind of record (``parley.assembly.kinds()``), as the log explorer lists and filters them.
KIND_LABELS: dict[str, str] = {
    "deployment.init": N_("Deployment created"), "party.create": N_("Party created"),
    "party.update": N_("Party renamed"), "member.create": N_("Member added"), "member.update": N_("Member changed"),
    "key.register": N_("Key registered"), "key.revoke": N_("Key revoked"), "key.rotate": N_("Key rotated"),
    "record.note": N_("Note"),
    "operation.rules": N_("Notice and answer periods set"), "operation.propose": N_("Operation proposed"),
    "operation.answer": N_("Answer to an operation"), "operation.status": N_("Status of an operation changed"),
    "operation.movement": N_("Movement of a convoy"), "operation.outcome": N_("Outcome of an operation"),
    "incident.report": N_("Incident reported"), "zone.declare": N_("Zone declared"),
    "zone.withdraw": N_("Zone withdrawn"), "channel.post": N_("Message in a liaison channel"),
    "channel.receipt": N_("Receipt of a message"), "channel.open": N_("Standing channel opened"),
    "operation.waiver": N_("Notice waived for an operation"), "corridor.declare": N_("Corridor declared by one side"),
    "person.register": N_("Person registered"), "person.update": N_("Report on a person corrected"),
    "person.event": N_("Status event of a person"), "list.import": N_("List imported"),
    "person.monitor": N_("Monitoring of a person"), "place.access_request": N_("Access to a place of detention asked"),
    "place.access_answer": N_("Access to a place of detention answered"),
    "person.destroy": N_("A person's data destroyed"),
    "inquiry.destroy": N_("An inquiry's data destroyed"),
    "retention.rules": N_("Retention rules of a party"),
    "match.decide": N_("Match decision"), "match.withdraw": N_("Match decision reversed"),
    "inquiry.file": N_("Inquiry filed"),
    "inquiry.decide": N_("Decision on an inquiry"),
    "inquiry.add": N_("Addition to an inquiry by the family"),
    "inquiry.release": N_("Inquiry released to tracing services"),
    "talks.process": N_("Talks process opened"), "talks.status": N_("Status of a talks process"),
    "talks.actor": N_("Actor of talks registered"), "talks.meeting": N_("Round or meeting recorded"),
    "talks.meeting_update": N_("Round or meeting changed"), "talks.track": N_("Track of talks opened"),
    "talks.point": N_("Point of talks opened"), "talks.position": N_("Position on a point"),
    "talks.statement": N_("Statement in talks"), "talks.text": N_("Joint text version"),
    "talks.signoff": N_("Sign-off of a joint text"), "talks.implementation": N_("Implementation of a point assessed"),
    "exchange.propose": N_("Terms of an exchange proposed"), "exchange.sign": N_("Terms of an exchange signed"),
    "exchange.list": N_("List of an exchange"), "exchange.consent": N_("Consent interview"),
    "exchange.plan": N_("Plan of an exchange"), "exchange.handover": N_("Handover of a person confirmed"),
    "exchange.remains": N_("Remains handed over"), "exchange.identify": N_("Identification of a body"),
    "exchange.count": N_("Count of an exchange stated"), "exchange.status": N_("Status of an exchange"),
    "exchange.release": N_("Exchange released"),
    "statement.draft": N_("Statement drafted"), "statement.approve": N_("Statement approved"),
    "statement.withdraw": N_("Statement withdrawn"),
    "figures.release": N_("Figures released"),
}

ROLE_LABELS: dict[str, str] = {
    "negotiator": N_("negotiator"), "liaison": N_("liaison"), "registrar": N_("registrar"), "press": N_("press"),
    "auditor": N_("auditor"), "admin": N_("admin"), "intake": N_("intake"),
}
PARTY_KIND_LABELS: dict[str, str] = {
    "belligerent": N_("belligerent"), "mediator": N_("mediator"), "observer": N_("observer"),
}

# -- operations ------------------------------------------------------------------------------------
# Codes of the operations' records → English labels (translated in the templates with _()).
OPERATION_LABELS: dict[str, str] = {
    # statuses and timeline events
    "proposed": N_("Proposed"), "acknowledged": N_("Acknowledged by all"), "under_way": N_("Under way"),
    "suspended": N_("Suspended"), "completed": N_("Completed"), "aborted": N_("Aborted"), "revised": N_("Revised"),
    "answer_acknowledged": N_("Acknowledgement received"), "answer_declined": N_("Declined"),
    "answer_counter": N_("Counter-proposal"), "incident": N_("Incident"), "outcome_reported": N_("Outcome reported"),
    # operation kinds
    "evacuation": N_("Evacuation"), "aid_delivery": N_("Aid delivery"), "remains_recovery": N_("Recovery of remains"),
    "transfer_of_persons": N_("Transfer of persons"),
    # board states
    "proposer": N_("Proposer"), "declined": N_("Declined"), "counter": N_("Counter-proposal"),
    "awaiting": N_("Awaiting answer"), "no_answer": N_("No answer"),
    # status actions
    "start": N_("Start"), "suspend": N_("Suspend"), "resume": N_("Resume"), "complete": N_("Complete"),
    "abort": N_("Abort"),
    # movements
    "departed": N_("Departed"), "checkpoint_passed": N_("Checkpoint passed"), "arrived": N_("Arrived"),
    "halted": N_("Halted"), "other": N_("Other"),
    # categories
    "seriously_wounded": N_("Seriously wounded and sick"), "civilians": N_("Civilians (not broken down)"),
    "women": N_("Women"), "children": N_("Children"), "elderly": N_("Elderly"), "wounded": N_("Wounded"),
    "other_civilians": N_("Other civilians"), "servicemen": N_("Servicemen"),
    # incidents
    "shelling": N_("Shelling"), "small_arms_fire": N_("Small-arms fire"), "air_strike": N_("Air strike"),
    "blocked_route": N_("Blocked route"), "mines": N_("Mines"), "detention_of_convoy": N_("Detention of a convoy"),
    "attack_on_convoy": N_("Attack on a convoy"), "heard": N_("Heard"), "seen": N_("Seen"), "camera": N_("Camera"),
    "reported": N_("Reported by others"),
    # zones
    "active_hostilities": N_("Active hostilities"), "mined": N_("Mined area"), "no_go": N_("No-go area"),
    # escalations
    "unread_urgent": N_("Urgent message unread"), "unseen_conflict": N_("Meets what a party cannot see"),
    # receipts
    "delivered": N_("delivered"), "read": N_("read"),
}
# A figure as its source stated it (``records.figures``), worded in the reader's language.
FIGURE_WORDS: dict[str, str] = {
    "more_than": N_("more than {value}"), "at_least": N_("at least {value}"), "fewer_than": N_("fewer than {value}"),
    "at_most": N_("at most {value}"), "about": N_("about {value}"), "range": N_("{low} to {high}"),
    "hundreds": N_("hundreds"),
}
FIGURE_FORMS: dict[str, str] = {
    "exact": N_("exactly"), "more_than": N_("more than"), "at_least": N_("at least"), "fewer_than": N_("fewer than"),
    "at_most": N_("at most"), "about": N_("about"), "hundreds": N_("hundreds"),
}
# Where a stated fact comes from (``records.sources``) and how far it is confirmed.
SOURCE_KIND_LABELS: dict[str, str] = {
    "party_statement": N_("The party's statement"), "named_official": N_("A named official"),
    "mediator": N_("The mediator"), "document": N_("A document"),
    "media_citing_officials": N_("A media report citing officials"),
    "anonymous_officials": N_("Anonymous officials"), "media_report": N_("A media report"),
}
CONFIRMATION_LABELS: dict[str, str] = {
    "confirmed": N_("confirmed"), "unconfirmed": N_("unconfirmed"), "preliminary": N_("preliminary"),
    "disputed": N_("disputed"),
}
CO_MEDIATOR_ROLE_LABELS: dict[str, str] = {
    "co_organiser": N_("co-organiser"), "registration": N_("registration of persons"), "escort": N_("escort"),
    "observer": N_("observer"),
}
# The acknowledgement board names each party's own answer: one party acknowledging is not "by all".
BOARD_LABELS: dict[str, str] = {**OPERATION_LABELS, "acknowledged": N_("Acknowledged")}
# The map's own controls (Leaflet's buttons carry these as their titles).
MAP_CONTROLS: dict[str, str] = {"zoom_in": N_("Zoom in"), "zoom_out": N_("Zoom out"), "find_place": N_("Find a place"),
                                "find_place_hint": N_("Name of a place, in any script"),
                                "no_place": N_("No place found"), "add_to_route": N_("Add to the route"),
                                "use_place": N_("Use this place")}

# -- persons ---------------------------------------------------------------------------------------
CATEGORY_LABELS: dict[str, str] = {
    "pow": N_("Prisoner of war"), "civilian": N_("Detained civilian"), "missing": N_("Missing person"),
    "deceased": N_("Deceased (remains)"),
}
EVENT_LABELS: dict[str, str] = {
    "captured": N_("Captured"), "detained": N_("Detained"), "missing": N_("Reported missing"), "held_at": N_("Held at"),
    "transferred": N_("Transferred"), "visited": N_("Visited"), "hospitalised": N_("Hospitalised"),
    "released": N_("Released"), "repatriated": N_("Repatriated"), "died": N_("Died"),
    "remains_recovered": N_("Remains recovered"), "remains_returned": N_("Remains returned"),
    "destroyed": N_("Destroyed"),  # not an event: the status of a person whose data was destroyed (person.destroy)
    # monitoring (person.monitor): observations, not statuses
    "proof_of_life": N_("Proof of life"), "contact": N_("Contact"), "conditions": N_("Conditions"),
}
# A monitoring observation's detail: how a contact was made; whether the conditions are known.
DETAIL_LABELS: dict[str, str] = {
    "call": N_("Call"), "letter": N_("Letter"), "message_via_mediator": N_("Message through the mediator"),
    "other": N_("Other means"), "known": N_("Conditions known"), "unknown": N_("Conditions unknown"),
}
SOURCE_LABELS: dict[str, str] = {
    "party_statement": N_("The party's own statement"), "named_official": N_("A named official"),
    "mediator": N_("The mediator's own observation"), "document": N_("A document"),
    "media_citing_officials": N_("A media report citing officials"), "anonymous_officials": N_("Anonymous officials"),
    "media_report": N_("A media report"),
}
ACCESS_LABELS: dict[str, str] = {"asked": N_("No answer"), "granted": N_("Access granted"),
                                 "refused": N_("Access refused")}
FIELD_LABELS: dict[str, str] = {
    "surname": N_("Surname"), "first_name": N_("First names"), "patronymic": N_("Father's first name (patronymic)"),
    "mother_maiden_name": N_("Mother's maiden name"), "sex": N_("Sex"), "birth_date": N_("Date of birth"),
    "birth_place": N_("Place of birth"), "citizenship": N_("Citizenship"), "rank": N_("Rank"),
    "service_number": N_("Service or identity number"), "unit": N_("Unit"),
    "power_depended_on": N_("Power on which the person depends"),
    "capture_date": N_("Date of capture or detention"), "capture_place": N_("Place of capture or detention"),
    "held_at": N_("Place of detention"), "health": N_("State of health"), "death_date": N_("Date of death"),
    "death_place": N_("Place of death"), "cause_of_death": N_("Cause of death"), "burial_place": N_("Place of burial"),
    "grave_marking": N_("Grave marking"), "person_to_inform": N_("Person to be informed"), "notes": N_("Notes"),
    "external_id": N_("Number in the party's list"), "category": N_("Category"),
    "seriously_wounded": N_("Seriously wounded or sick"),
    "full_name": N_("Full name (surname, first names, patronymic)"), "last_seen_date": N_("Last seen (date)"),
    "last_seen_place": N_("Last seen (place)"),
}
SEX_LABELS = {"m": N_("Male"), "f": N_("Female")}
STATUS_LABELS = {"open": N_("Open"), "answered": N_("Answered"), "closed": N_("Closed"),
                 "destroyed": N_("Destroyed")}
DECISION_LABELS = {"same": N_("Same person"), "different": N_("Different persons"),
                   "confirmed": N_("Candidate confirmed"), "rejected": N_("Candidate rejected"),
                   "message": N_("Message to the family"), "closed": N_("Inquiry closed")}
# What a family adds to its inquiry (``people.kinds.InquiryAdd``).
ADDITION_LABELS = {"marks": N_("Distinguishing marks"), "documents": N_("Documents the family holds"),
                   "dna_reference": N_("DNA sample: reference"), "dna_place": N_("DNA sample: where it was given"),
                   "contact_channel": N_("How to reach the family"), "contact_email": N_("E-mail address"),
                   "contact_language": N_("Language of messages"), "notify": N_("Tell the family when there is news")}
CHANNEL_LABELS = {"email": N_("By e-mail"), "phone": N_("By telephone"), "post": N_("By post"),
                  "none": N_("Do not contact; the family will look here")}
ROW_LABELS = {"accepted": N_("Accepted"), "duplicate": N_("Duplicate"), "rejected": N_("Rejected"),
              "ok": N_("Can be imported")}

# -- fields of a payload, as a refusal names them ----------------------------------------------------
# The last name of a refusal's field path (``plan.window.start`` → ``start`` under ``window``) → its label.
# Paths are tried longest first: ``window.start`` before ``start``.
FIELD_NAMES: dict[str, str] = {
    **FIELD_LABELS,
    # parties, members, keys
    "slug": N_("Short name"), "kind": N_("Kind"), "names": N_("Names"), "en": N_("Name in English"),
    "uk": N_("Name in Ukrainian"), "ru": N_("Name in Russian"), "handle": N_("Short name"),
    "display_name": N_("Full name"), "roles": N_("Roles"), "vkey": N_("Verifier key"), "key_id": N_("Key"),
    "member": N_("Member"), "party": N_("Party"), "active": N_("Active"),
    # operations
    "operation": N_("Operation"), "version": N_("Version"), "supersedes": N_("Version"), "answer": N_("Answer"),
    "reason": N_("Reason"), "action": N_("Action"), "plan": N_("Plan"), "title": N_("Title"),
    "mediator": N_("Mediator"), "parties": N_("Parties concerned"), "route": N_("Route"), "area": N_("Area"),
    "origin": N_("Origin"), "destination": N_("Destination"), "waypoints": N_("Waypoint"),
    "window": N_("Window"), "window.start": N_("Window start"), "window.end": N_("Window end"),
    "time_zone": N_("Time zone"), "buffer_m": N_("Buffer (metres)"), "convoy": N_("Convoy"),
    "vehicles": N_("Vehicles"), "description": N_("Description"), "markings": N_("Markings"),
    "expected": N_("Persons expected"), "emergency": N_("Emergency"), "event": N_("Event"), "at": N_("Time"),
    "position": N_("Position"), "place": N_("Place"), "note": N_("Note"), "moved": N_("Figures"),
    "count": N_("Count"), "type": N_("Type"), "observed": N_("Observed how"),
    "direction_deg": N_("Direction (degrees)"), "distance_m": N_("Distance (metres)"),
    "casualties": N_("Casualties"), "killed": N_("Killed"), "wounded": N_("Wounded"),
    "account_of": N_("Account of"), "name": N_("Name"), "geometry": N_("Zone"), "valid_from": N_("Valid from"),
    "valid_until": N_("Valid until"), "text": N_("Message"), "urgent": N_("Urgent"), "message": N_("Message"),
    "state": N_("State"), "audience": N_("Audience"), "id": N_("Identifier"),
    # persons, lists, inquiries
    "person": N_("Person"), "own_party": N_("Own party"), "date": N_("Date"), "list": N_("List"),
    "left": N_("Record"), "right": N_("Record"), "decision": N_("Decision"), "probability": N_("Probability"),
    "inquiry": N_("Inquiry"), "sought": N_("Sought person"), "relationship": N_("Relationship to the sought person"),
    "contact": N_("How the family is reached"), "file": N_("File"), "mapping": N_("Columns"),
    "report": N_("Report"), "filename": N_("File"), "sha256": N_("File"),
    # talks
    "format": N_("Format"), "level": N_("Level"), "said_on": N_("Said on"), "since": N_("Since (date)"),
    "as_of": N_("As of (date)"), "language": N_("Language"), "scheduled_start": N_("Scheduled start"),
    "actual_start": N_("Actual start"), "duration_minutes": N_("Duration (minutes)"),
    "number": N_("Number of the round"), "body": N_("Text"), "speaker": N_("Speaker"),
    "on_behalf": N_("On behalf of"), "venue": N_("Venue"), "venue.name": N_("Venue"),
    "venue.position": N_("Position of the venue"), "joint_text": N_("Joint text"), "evidence": N_("Evidence"),
    "evidence.ref": N_("Evidence"), "process": N_("Process"), "track": N_("Track"), "point": N_("Point"),
    "meeting": N_("Round or meeting"), "delegations": N_("Delegations"), "delegations.head": N_("Head of delegation"),
    "intermediaries": N_("Intermediaries"), "mediators": N_("Mediators"), "started_on": N_("Started on"),
    "acts_for": N_("Acts for"), "authorisation": N_("Authorisation"),
}


def field_name(path: str | None) -> str | None:
    """The label of a refusal's field (``plan.window.start``, ``person.birth_date``, ``moved.0``), or None."""
    parts = [p for p in (path or "").split(".") if p and not p.isdigit()]
    for i in range(len(parts)):
        key = ".".join(parts[i:])
        if key in FIELD_NAMES:
            return FIELD_NAMES[key]
    return None
