"""Refusals shown on pages and by the command line, in the reader's language.

Every refusal raised on purpose carries a stable code and its parameters (``parley.errors.Code``, declared once
beside what refuses); the API answers the code, the parameters and the English. ``refusal(exc)`` gives the
``Message`` a page shows, ``coded(code, params, field)`` the same from what the API answered (the command line):

- a refusal's code: its entry in ``BY_CODE`` with its parameters, converted by their names (``CONVERT``: a
  status, an action, roles or a field is itself translated);
- a payload pydantic refused (``record.payload_invalid``, or the ``ValidationError`` itself): a validator's own
  code (``parley.errors.Invalid``), else the error's type (``PYDANTIC``: required, too long, not a number …)
  with the field's label;
- anything else: a translated generic sentence for its kind of refusal, naming the field (``GENERIC``); an
  English page shows the original English sentence there.

``reason(text)`` gives the message for a reason a list import gives for a rejected row, or a warning about the
file: those are not refusals but sentences written into the ``list.import`` record, matched by ``REASONS``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from pydantic import ValidationError

from parley.errors import (
    BadRequest, Code, Conflict, Forbidden, Invalid, NotFound, ParleyError, TooLarge, TooManyRequests, Unauthorized,
    Unavailable, Unprocessable,
)
from parley.exchanges import codes as exchange_codes
from parley.log import codes as audit_codes
from parley.operations import codes as operation_codes
from parley.parties import codes as party_codes
from parley.people import codes as people_codes
from parley.records import codes as record_codes
from parley.records import figures, sources
from parley.press import codes as press_codes
from parley.talks import codes as talks_codes
from parley.web import i18n
from parley.web.i18n import N_, NP_, Message, Plural
from parley.web.labels import (
    BOARD_LABELS, DECISION_LABELS, EVENT_LABELS, FIELD_NAMES, OPERATION_LABELS, ROLE_LABELS, field_name,
)


@dataclass(frozen=True)
class Labels:
    """Codes shown as their translated labels, joined: "«Acknowledged by all» / «Under way»"."""

    codes: tuple[str, ...]
    mapping: Mapping[str, str]
    sep: str = " / "

    def render(self, lang: str) -> str:
        return self.sep.join(i18n.gettext(lang, self.mapping.get(c, c)) for c in self.codes)


@dataclass(frozen=True)
class Refusal(Message):
    """A refusal's message; on an English page a generic one shows the original sentence instead."""

    original: str = ""

    def __init__(self, id: str, /, original: str = "", **params: Any) -> None:
        super().__init__(id, **params)
        object.__setattr__(self, "original", original)

    def render(self, lang: str) -> str:
        if lang == "en" and self.original:
            return _sentence(self.original)
        return super().render(lang)


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:] + ("" if text.endswith((".", "?", "!")) else ".")) if text else text


def _code(text: str) -> str:
    return text.strip().strip("'\"").replace(" ", "_")


def _label(mapping: Mapping[str, str]) -> Callable[[str], Any]:
    return lambda text: Labels((_code(text),), mapping)


def _labels(mapping: Mapping[str, str], split: str) -> Callable[[str], Any]:
    return lambda text: Labels(tuple(_code(x) for x in text.split(split)), mapping)


def _field(text: str) -> Any:
    name = field_name(text.strip("'\""))
    return Message(name) if name else text


def _known(mapping: Mapping[str, str]) -> Callable[[str], Any]:
    """A code shown as its translated label; a value the mapping does not know stays as written."""
    return lambda text: Labels((_code(text),), mapping) if _code(text) in mapping else text


# The exchanges' own codes a refusal names (``parley.exchanges``): a side, a step of the handover, the stage an
# identification has reached, why a person cannot be planned, the rule no plan can meet (``exchanges.plan``).
EXCHANGE_SIDES: dict[str, str] = {"sending": N_("the sending side"), "receiving": N_("the receiving side")}
EXCHANGE_STEPS: dict[str, str] = {
    "handed_over": N_("handover by the sending side"), "received": N_("receipt by the receiving side"),
    "witnessed": N_("witnessing by the mediator"),
}
BODY_STATES: dict[str, str] = {
    "unidentified": N_("no identification"), "preliminary": N_("preliminary identification"),
    "dna_sampled": N_("DNA sample taken"), "identified": N_("identification confirmed"),
}
PLAN_REASONS: dict[str, str] = {
    "excluded": N_("the person is excluded from the plan"),
    "pinned_but_not_planned": N_("the person is pinned, but missing from the plan"),
    "no_consent_interview_recorded": N_("no consent interview is recorded"),
    "refused_repatriation": N_("the person refused repatriation"),
}
PLAN_CONSTRAINTS: dict[str, str] = {
    "empty": N_("the formula hands over no one"),
    "stage_sizes": N_("the stage sizes do not add up to the formula"),
    "pinned_ineligible": N_("a pinned person cannot be handed over"),
    "pinned_over": N_("more persons are pinned than there are places"),
    "side_count": N_("a side has fewer eligible persons than places"),
    "time_limit": N_("the solver found no plan within its time limit"),
    "model": N_("the solver found no plan"),
}


# How a message's values become parameters: by the name the pattern gives them; the others stay as written.
CONVERT: dict[str, Callable[[str], Any]] = {
    "status": _label(OPERATION_LABELS),
    "need": _labels(OPERATION_LABELS, " or "),
    "action": _label(OPERATION_LABELS),
    "answer": _label(BOARD_LABELS),
    "state": _label({**OPERATION_LABELS, **BODY_STATES}),
    "category": _label(OPERATION_LABELS),
    "person_status": _label(EVENT_LABELS),
    "decision": _label(DECISION_LABELS),
    "roles": lambda text: Labels(tuple(_code(x) for x in text.split(",")), ROLE_LABELS, ", "),
    "field": _field,
    "place": _field,
    "n": int,
    "side": _known(EXCHANGE_SIDES),
    "step": _known(EXCHANGE_STEPS),
    "reason": _known(PLAN_REASONS),
    "constraint": _known(PLAN_CONSTRAINTS),
}

# The reasons a list import gives for a rejected row, and its warnings about the file and the mapping, as the
# list reader words them (``{name}`` stands for a value) → the message a page shows. They are not refusals: they
# are written into the ``list.import`` record itself, so they stay English sentences there and are matched here.
# A plural message (``NP_``) counts its ``{n}``.
REASONS: tuple[tuple[str, str | tuple[str, str]], ...] = (
    ("no such date (the order is day, month, year)", N_("No such date (the order is day, month, year).")),
    ("dates before 1900 are not accepted", N_("Dates before 1900 are not accepted.")),
    ("the date lies in the future", N_("The date lies in the future.")),
    # -- rows of a list (reasons in the import's report) ------------------------------------------------------
    ("looks like a formula", N_("looks like a formula")),
    ("contains control characters", N_("contains control characters")),
    ("longer than {n} characters", NP_("longer than {n} character", "longer than {n} characters")),
    ("the {what} is longer than {n} characters",
     NP_("a name is longer than {n} character", "a name is longer than {n} characters")),
    ("sex not recognised; write m or f", N_("sex not recognised; write m or f")),
    ("unknown category; write pow, civilian, missing or deceased",
     N_("unknown category; write pow, civilian, missing or deceased")),
    ("no surname", N_("no surname")),
    ("the date of death lies before the date of birth", N_("The date of death lies before the date of birth.")),
    ("no category, and no default category was chosen", N_("no category, and no default category was chosen")),
    ("the year has two digits; write it with four", N_("the year has two digits; write it with four")),
    ("not a date; write day.month.year, month.year or the year",
     N_("not a date; write day.month.year, month.year or the year")),
    # -- warnings about a list's file and its mapping ---------------------------------------------------------
    ("some rows have values in columns without a header (up to column {col})",
     N_("Some rows have values in columns without a header (up to column {col}).")),
    ("the sheet has a header row but no rows of data", N_("The sheet has a header row but no rows of data.")),
    ("the workbook has {count} sheets; only the first visible worksheet (sheet {position} of {total}) was read",
     N_("The workbook has several sheets; only the first visible one (sheet {position} of {total}) was read.")),
    ("the file is not UTF-8; it was read as Windows-1251 (Cyrillic). If names look wrong, save the file again as "
     "CSV UTF-8",
     N_("The file is not in UTF-8; it was read as Windows-1251 (Cyrillic). If names look wrong, save the file "
        "again as CSV UTF-8.")),
    ("a column number in the mapping is not a column of the sheet; it was ignored",
     N_("A column of the mapping is not a column of the sheet; it was ignored.")),
    ("column {col} is mapped to an unknown field; it was ignored",
     N_("Column {col} is mapped to an unknown field; it was ignored.")),
    ("column {col} is mapped to {field} as well; only column {other} is read",
     N_("Column {col} is also mapped to «{field}»; only column {other} is read.")),
    ("column {col} also looks like {field}; only column {other} is read",
     N_("Column {col} also looks like «{field}»; only column {other} is read.")),
    ("column {col} is not mapped to any field and not imported",
     N_("Column {col} is not mapped to any field and is not imported.")),
    ("columns {col} are not mapped to any field and not imported",
     N_("Columns {col} are not mapped to any field and are not imported.")),
    ("no column is mapped to the surname or the full name; every row will be rejected",
     N_("No column is mapped to the surname or the full name; every row will be rejected.")),
    ("the default category is not one of pow, civilian, missing, deceased; it was ignored",
     N_("The default category is not one of the four categories; it was ignored.")),
)

# The English of the reasons above as regular expressions, each value a named group.
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _compile(pattern: str) -> re.Pattern[str]:
    out, last = [], 0
    for m in _PLACEHOLDER.finditer(pattern):
        out += [re.escape(pattern[last:m.start()]), f"(?P<{m.group(1)}>.+?)"]
        last = m.end()
    out.append(re.escape(pattern[last:]))
    return re.compile("".join(out), re.DOTALL)


_COMPILED = tuple((_compile(p), target) for p, target in REASONS)



# Every refusal's code (``parley.errors.Code``, declared once beside what refuses: the spine's in
# ``parley.records.codes`` and ``parley.parties.codes``, each capability's in its ``codes``) → the message a page
# shows; the parameters are converted by their names (``CONVERT``). A page or the command line never reads the
# English of a refusal: a refusal without a code is shown as the generic sentence of its kind (``GENERIC``).
BY_CODE: dict[str, str | tuple[str, str]] = {
    # -- records -------------------------------------------------------------------------------------------------------
    "record.audience_size": N_("The record's audience lists 1 to 64 distinct readers."),
    "record.audience_token": N_("The audience names an unknown reader: {token}."),
    "record.audience_only": N_("A closed audience (“only”) must name its readers and cannot be everyone."),
    "record.impossible_time": N_("The record's time {time} does not exist."),
    "record.text_incomplete": N_("The record's text is incomplete."),
    "record.text_header": N_("The record's text must start with {header}."),
    "record.text_line": N_("The record's line {line} is missing or out of order."),
    "record.ref_line": N_("A reference line of the record is malformed."),
    "record.too_many_refs": N_("A record names at most {limit} other records."),
    "record.payload_line": N_("The record's text must end with the hash of its content."),
    "record.author_form": N_("The record's author must be a member of the record's party (party/member)."),
    "record.kind_form": N_("The record's kind is malformed."),
    "record.time_form": N_("The record's time must be written YYYY-MM-DDTHH:MM:SSZ."),
    "record.not_canonical": N_("The record's text is not in canonical form."),
    "record.payload_json": N_("The record's content is not valid JSON."),
    "record.payload_invalid": N_("The form's values are not accepted."),
    "record.too_large": N_("A record is at most {limit} bytes; this one is {size}."),
    "record.note_malformed": N_("The signed record cannot be read."),
    "record.other_log": N_("The record is for another log ({origin})."),
    "record.unknown_kind": N_("This log does not accept records of the kind {kind}."),
    "record.one_signature": N_("The record must carry exactly one signature by its author's key."),
    "record.payload_hash": N_("The record's content does not match its hash."),
    "record.subject_destroyed": N_("This personal data was destroyed by record {index}."),
    "record.clock_skew": N_("The record's time {time} is too far from the log's clock; check your computer's clock."),
    "log.batch_failed": N_("The log could not store the record; try again."),
    "log.disk_full": N_("The log's disk is full; nothing was stored. Try again later."),
    "log.database_unavailable": N_("The log's database did not answer; nothing was stored. Try again shortly."),
    "log.checkpoint_missing":
        N_("The log's previous checkpoint is missing; the log accepts no records until this is repaired."),
    "log.refuses_writes": N_("The log accepts no records at the moment; try again later."),
    "log.behind_witnesses":
        N_("The log accepts no records: records the witnesses already cosigned are missing from this server. "
           "Its operator must restore them from a mirror; reading still works."),
    "log.checkpoint_not_recorded":
        N_("The record was stored, but its receipt is not ready; try again later to get it."),
    "deployment.init_signature": N_("The deployment's first record is signed by the key it registers."),
    "record.key_unknown": N_("The key that signed the record is not registered for {author}."),
    "record.key_revoked": N_("The key that signed the record was revoked (at record {index})."),
    "record.author_inactive": N_("Your membership is not active."),
    "record.role_may_not_write": N_("Your roles do not allow this record."),
    "record.bad_signature": N_("The record's signature does not verify."),
    "record.min_audience": N_("Records of this kind must be readable by {audience}."),
    "record.audience_party_unknown": N_("There is no such party."),
    "record.ref_unknown": N_("The record names a record that is not in the log."),
    "record.id_prefix": N_("A new identifier starts with your party's short name and a dash ({prefix}-…)."),
    "record.inquiry_reference": N_("An inquiry's reference names the party it is filed with: INQ-{party}-…"),
    "member.not_manager": N_("Only an admin of this party manages its members and keys."),
    "member.not_manager_mediator":
        N_("Only an admin of this party manages its members and keys; a mediator's admin does so only while "
           "the party has no admin of its own."),
    "key.malformed": N_("This is not a verifier key."),
    "key.algorithm": N_("A member's key is an Ed25519 note key."),
    "key.name": N_("The key's name must be {name}."),
    "key.exists": N_("This key is already registered."),
    "member.not_found": N_("There is no such member."),
    "deployment.not_first": N_("The deployment is created by the first record of the log only."),
    "deployment.init_author": N_("The deployment's first record is signed by the member it creates."),
    "party.create_by_mediator": N_("Only an admin of a mediator party creates parties."),
    "party.exists": N_("A party with this short name already exists."),
    "party.shares_prefix": N_("This short name would begin the identifiers of party {other}; choose another."),
    "party.not_found": N_("There is no such party."),
    "member.exists": N_("A member with this short name already exists."),
    "member.nothing_to_change": N_("Nothing to change."),
    "member.self_demote": N_("An admin cannot deactivate or demote themself; ask another admin."),
    "member.self_widen": N_("Nobody widens their own powers: another admin of your party gives you a role."),
    "key.not_found": N_("The member has no such key."),
    "key.already_revoked": N_("This key was already revoked."),
    "submit.no_custody_key": N_("The server holds no web key for you; sign records with your own key."),
    "submit.not_confirmed_resubmit":
        N_("The log did not confirm the record in time; it may still be appended. Reload the page to see."),
    "submit.not_confirmed":
        N_("The log did not confirm the record in time; it may still be appended. Reload the page to see."),
    "auth.bearer": N_("Send the API token as 'Authorization: Bearer <token>'."),
    "auth.unknown_token": N_("This API token is unknown."),
    "auth.member_inactive": N_("This member is not active."),
    "auth.sign_in": N_("Sign in, or send an API token."),
    "auth.needs_role": N_("This needs one of the roles: {roles}."),
    "log.no_checkpoint": N_("The log has no published checkpoint yet."),
    "log.no_tile": N_("There is no such tile."),
    "log.bundles_auditors": N_("Entry bundles hold every record's signed text; only a mediator's auditors read them."),
    "log.payloads_mirrors":
        N_("Payload bundles hold every record's content; only the mirrors this log names read them."),
    "log.beyond_tree": N_("This lies beyond the published tree."),
    "log.tile_nodes_missing": N_("The log is missing nodes of this tile."),
    "log.record_not_found": N_("There is no record {index} that you may read."),
    "log.consistency_range": N_("The sizes must satisfy 1 ≤ old ≤ new ≤ the current size of the tree."),
    "record.not_author": N_("A member submits only records they signed themself."),
    # -- parties -------------------------------------------------------------------------------------------------------
    "key.custody_mismatch": N_("The key the server is to hold is not the key this record registers."),
    "server.busy": N_("The server is busy. Try again in a moment."),
    "session.csrf_token": N_("The page has expired; reload it and try again."),
    "session.other_site": N_("This request comes from another site."),
    # -- operations ----------------------------------------------------------------------------------------------------
    "operation.state_roles": N_("Only negotiators, liaison officers and admins state operations."),
    "operation.state_members": N_("Only members state operations."),
    "operation.propose_who": N_("Only the organising mediator or a party concerned proposes an operation."),
    "operation.change_who": N_("Only the organising mediator or a party concerned changes an operation."),
    "operation.rules_who": N_("Only an admin of a mediator party sets the notice and answer periods."),
    "operation.movement_who": N_("Only the mediator or a party concerned reports the convoy's movements."),
    "operation.outcome_who": N_("Only the mediator or a party concerned reports an operation's outcome."),
    "zone.withdraw_who": N_("Only the party that declared a zone withdraws it."),
    "channel.who": N_("Only the mediator and the parties concerned use an operation's channel."),
    "channel.receipt_who": N_("Only a party the message was sent to gives a receipt for it."),
    "channel.not_found": N_("There is no such channel, or you may not read it."),
    "channel.one": N_("A message goes either to an operation's channel or to a standing channel: name one."),
    "channel.exists": N_("A channel {channel} already exists."),
    "channel.open_who": N_("A standing channel is opened by one of its parties or by its mediator."),
    "channel.member": N_("{member} is not an active member of one of the channel's parties or of its mediator."),
    "channel.member_role": N_("{member} is not a negotiator, liaison officer or admin, who use channels."),
    "channel.side": N_("Designate at least one member of {party}."),
    "channel.standing_who": N_("Only the channel's designated members and its mediator use it."),
    "channel.audience": N_("A message to a standing channel takes the channel's audience."),
    "channel.not_in_standing": N_("Record {record} is not a message of channel {channel}."),
    "channel.member_twice": N_("A member is designated twice."),
    "operation.process_not_found": N_("There is no such talks process, or you may not read it."),
    "operation.point_not_found": N_("There is no such talks point, or you may not read it: {point}."),
    "operation.point_unseen": N_("The talks point {point} is not readable by {party}, whom this operation's records "
                                 "reach: an operation names only a point everyone concerned may read."),
    "operation.point_twice": N_("A talks point is named twice."),
    "operation.party_not_concerned":
        N_("Your party is not concerned by this operation; only the parties it concerns answer."),
    "operation.status_by_mediator": N_("Only the organising mediator ({mediator}) changes the status of an operation."),
    "operation.not_found": N_("There is no such operation, or you may not read it."),
    "incident.not_found": N_("There is no such incident, or you may not read it."),
    "zone.not_found": N_("There is no such zone, or you may not read it."),
    "channel.message_not_found": N_("There is no such message."),
    "channel.not_in_channel": N_("There is no such message."),
    "operation.checks_limit":
        N_("Too many conflict checks this hour. Wait, or propose the plan: a proposal is always checked."),
    "operation.exists": N_("This operation already exists; a change names the version it replaces."),
    "operation.version_not_current":
        N_("Version {version} is no longer the current one (the current is version {current}). Reload the page."),
    "operation.answer_not_current":
        N_("Version {version} is no longer the current one (the current is version {current}). Reload the "
           "page and answer the current version."),
    "operation.unchangeable": N_("The operation's status is «{status}»; it can no longer be changed."),
    "operation.answers_closed": N_("The operation's status is «{status}»; answers are closed."),
    "operation.movements_closed":
        N_("The operation's status is «{status}»; movements are reported while it is under way."),
    "operation.outcomes_closed": N_("The operation's status is «{status}»; outcomes are reported once it has started."),
    "operation.proposed_this_version": N_("Your party proposed this version; it does not answer it."),
    "operation.already_answered": N_("Your party has already answered this version: «{answer}»."),
    "operation.status_not_allowed":
        N_("«{action}» is not possible while the operation's status is «{status}»; it needs the status «{need}»."),
    "operation.reason_needed": N_("Give the reason."),
    "operation.movement_before_departure":
        N_("The convoy departed at {departed} UTC; a movement after the departure cannot be earlier than that."),
    "operation.early_start_reason":
        N_("The agreed window opens at {start} UTC. To start before it, give the reason: every party concerned sees "
           "it on the timeline."),
    "operation.window_ended":
        N_("The window acknowledged for this operation ended at {end} UTC; propose a new version with a new window."),
    "operation.audience_lacks_party":
        N_("The record must be addressed to every party the operation concerns ({party} is missing)."),
    "operation.outside_region":
        N_("This lies outside the area of operations ({w}–{e}° E, {s}–{n}° N). Are longitude and latitude "
           "swapped? Longitude comes first."),
    "operation.not_a_mediator": N_("{party} is not a mediator party."),
    "operation.not_a_belligerent":
        N_("{party} is not a belligerent party; only belligerents acknowledge an operation."),
    "operation.route_misses_place": N_("The route passes {km} km from this place ({place}); it must reach it."),
    "operation.window_too_long": NP_("A window lasts at most {n} day.", "A window lasts at most {n} days."),
    "operation.window_in_the_past":
        N_("The window starts in the past ({start} UTC; the record was stated at {when} UTC)."),
    "operation.notice_too_short":
        N_("The window starts {hours} h after the proposal; the notice period is {notice} h ({emergency} h "
           "for an emergency)."),
    "operation.same_mediator": N_("A new version keeps the same mediator ({mediator})."),
    "operation.same_parties": N_("A new version keeps the same parties concerned ({parties})."),
    "incident.exists": N_("This incident is already recorded."),
    "operation.outcome_listed_twice": N_("«{category}» to {destination} is listed twice."),
    "zone.exists": N_("This zone is already declared."),
    "zone.ended_before_declared": N_("The zone's validity ended before it was declared ({end} UTC)."),
    "zone.withdrawn": N_("This zone was already withdrawn."),
    "channel.receipt_given": N_("Your party has already given this receipt («{state}»)."),
    "operation.movement_in_future": N_("A movement cannot be reported before it happens."),
    "incident.in_future": N_("An incident cannot be reported before it happens."),
    "incident.first_account": N_("Choose the first account of the incident, not another party's account of it."),
    "incident.one_account": N_("Your party has already given its account of this incident; correct it with a note."),
    "incident.alleged_not_belligerent":
        N_("{party} is not a belligerent party; an account alleges a belligerent party responsible."),
    "operation.status_by_parties":
        N_("This operation was agreed directly between the parties: a party concerned starts, suspends and ends it."),
    "operation.off_route": N_("{what} lies {km} km from the route; the mediator's tolerance is {tolerance} km."),
    "operation.off_operation":
        N_("This position lies {km} km from the route or area of the operation; the mediator's tolerance is "
           "{tolerance} km."),
    "operation.total_disagrees":
        N_("The rows add up to {rows}, more than the stated total ({total}) allows. If the source gave both, "
           "state them as separate figures."),
    "operation.civilians_twice":
        N_("The civilians taken to {destination} are given both broken down and not; count each person once."),
    "operation.waiver_missing":
        N_("{party} has not waived the notice for this operation; every party concerned signs its waiver first."),
    "operation.waiver_short": N_("{party} waived the notice down to {hours} h; this plan gives {given} h."),
    "operation.waiver_who": N_("Only a party the operation concerns waives its notice."),
    "operation.waiver_late": N_("The operation is {status}; a waiver comes before it is agreed."),
    "operation.waiver_audience":
        N_("There is no such operation yet: name who reads the waiver (the mediator and the parties concerned)."),
    "operation.waiver_given": N_("{party} has already waived the notice for this operation."),
    "corridor.who": N_("Only a belligerent party declares a corridor on its own."),
    "corridor.exists": N_("Corridor {corridor} is already declared."),
    "corridor.ends_before_start": N_("The corridor's validity ends before it starts."),
    "operation.destination_twice": N_("Give a list of destinations or one destination, not both."),
    "operation.mediator_twice": N_("A mediator is named twice."),
    "operation.outcome_empty": N_("State the rows, a total or both."),
    "figure.needs_value": N_("This figure needs its number."),
    "figure.no_value": N_("\"Hundreds\" has no number; leave it empty."),
    "figure.range_bounds": N_("A range needs its lower and its upper bound, and nothing else."),
    "figure.range_order": N_("The lower bound ({low}) exceeds the upper bound ({high})."),
    "figure.fewer_than_zero": N_("\"Fewer than 0\" allows no number."),
    "source.needs_speaker": N_("Name the official who made the statement."),
    "source.needs_outlet": N_("Name the outlet that published the report."),
    "source.needs_reference": N_("Give the document's title or number."),
    "source.anonymous_named": N_("Anonymous officials have no name; give the outlet instead."),
    "zone.ends_before_start": N_("The zone's validity ends before it starts."),
    "operation.window_ends_before_start": N_("The window ends before it starts."),
    "operation.unknown_time_zone": N_("Choose a time zone."),
    "operation.route_or_area": N_("Draw the route on the map: click at least two points."),
    "operation.parties_twice": N_("A party is listed twice."),
    "operation.plan_only_counter": N_("Only a counter-proposal carries a plan; other answers do not."),
    "operation.decline_reason": N_("Give the reason for declining."),
    "operation.emergency_notice": N_("The emergency notice period cannot be longer than the ordinary one."),
    "operation.region_form": N_("The region is west, south, east, north in degrees."),
    "geo.position": N_("A position is longitude, latitude."),
    "geo.numbers": N_("Coordinates must be numbers."),
    "geo.finite": N_("Coordinates must be numbers."),
    "geo.longitude": N_("The longitude {lon} is outside −180…180."),
    "geo.latitude_swapped":
        N_("The latitude {lat} is outside −90…90. Are longitude and latitude swapped? Longitude comes first."),
    "geo.latitude": N_("The latitude {lat} is outside −90…90."),
    "geo.not_point": N_("The shape drawn cannot be read; draw it again on the map."),
    "geo.ring_short": N_("Draw the zone on the map: click at least three points."),
    "geo.ring_open": N_("The zone's outline is not closed: its last point must be its first."),
    "geo.ring_distinct": N_("Draw the zone on the map: click at least three points."),
    "geo.not_geometry": N_("Draw the shape on the map."),
    "geo.type_not_allowed": N_("The shape drawn cannot be read; draw it again on the map."),
    "geo.unexpected_members": N_("The shape drawn cannot be read; draw it again on the map."),
    "geo.no_coordinates": N_("Draw the shape on the map."),
    "geo.too_many_positions": N_("The shape has {count} points; at most {limit} are accepted."),
    "geo.route_short": N_("Draw the route on the map: click at least two points."),
    "geo.no_rings": N_("The shape drawn cannot be read; draw it again on the map."),
    "geo.no_polygons": N_("The shape drawn cannot be read; draw it again on the map."),
    "geo.member_no_rings": N_("The shape drawn cannot be read; draw it again on the map."),
    "geo.unsupported_type": N_("The shape drawn cannot be read; draw it again on the map."),
    "geo.invalid": N_("The shape drawn is not valid: its lines must not cross each other."),
    "geo.empty": N_("Draw the shape on the map."),
    "geo.nested_too_deeply": N_("The shape drawn cannot be read; draw it again on the map."),
    "geo.mixed_positions": N_("The shape drawn cannot be read; draw it again on the map."),
    # -- people --------------------------------------------------------------------------------------------------------
    "person.register_roles": N_("Only members with one of these roles register persons: {roles}."),
    "person.correct_roles": N_("Only members with one of these roles correct the records of persons: {roles}."),
    "person.event_roles": N_("Only members with one of these roles record a person's status: {roles}."),
    "list.import_roles": N_("Only members with one of these roles import lists: {roles}."),
    "match.decide_roles": N_("Only members with one of these roles decide matches: {roles}."),
    "inquiry.file_roles": N_("Only members with one of these roles file inquiries: {roles}."),
    "inquiry.answer_roles": N_("Only members with one of these roles answer inquiries: {roles}."),
    "person.parties_register": N_("Only parties register persons."),
    "person.reporter_corrects": N_("Only the reporting party corrects its report; another party registers its own."),
    "person.registry_readers":
        N_("Personal data in the registry is read by registrars, negotiators, admins, auditors and "
           "mediators only. Press and liaison officers see the figures their party releases, never the "
           "persons."),
    "inquiry.filers_answer":
        N_("Only the registrars of the party it was filed with and the mediators answer an inquiry."),
    "inquiry.public_form_own_party": N_("The public inquiry form files inquiries for its own party only."),
    "person.no_such_date": N_("No such date (the order is day, month, year)."),
    "person.date_before_1900": N_("Dates before 1900 are not accepted."),
    "person.date_after_record": N_("The date lies in the future."),
    "person.death_before_birth": N_("The date of death lies before the date of birth."),
    "person.capture_before_birth": N_("The date of capture lies before the date of birth."),
    "person.event_before_birth": N_("The event lies before the person's date of birth."),
    "person.not_found": N_("There is no such person, or you may not read this record."),
    "list.not_found": N_("There is no such list, or you may not read it."),
    "inquiry.not_found": N_("There is no such inquiry, or you may not read it."),
    "person.own_party_belligerent": N_("A person's own party is a belligerent party."),
    "person.exists": N_("This person is already registered."),
    "person.salt_required": N_("A record with personal data must carry a random salt."),
    # -- monitoring captives and access to places of detention -----
    "person.monitor_roles": N_("Only members of a party with one of these roles record monitoring: {roles}."),
    "person.contact_means": N_("Say how the contact was made."),
    "person.conditions_state": N_("Say whether the conditions are known or unknown."),
    "person.conditions_described": N_("Describe the conditions, or state them as unknown."),
    "person.observation_date": N_("A proof of life or a contact needs its date."),
    "person.source_mediator": N_("Only a mediator states its own observation as the mediator's."),
    "person.source_after_record": N_("The source's date lies in the future."),
    "access.ask_roles": N_("Only a mediator's members with one of these roles ask for access to a place of "
                           "detention: {roles}."),
    "access.answer_roles": N_("Only members with one of these roles answer a request for access: {roles}."),
    "access.not_found": N_("There is no such request, or you may not read it."),
    "access.exists": N_("This request for access already exists."),
    "access.holder": N_("The holding party must be a belligerent party."),
    "access.not_holder": N_("Only the holding party answers this request."),
    "access.answered": N_("This request was already answered."),
    "access.audience": N_("A request for access is read only by the mediator and the holding party: {token} is not "
                          "allowed."),
    "access.holder_audience": N_("The holding party must be able to read the request."),
    "access.answer_audience": N_("An answer has the audience of the request it answers."),
    "access.visit_date": N_("Access granted needs the date of the visit."),
    "access.reason": N_("A refusal needs its reason."),
    "access.position": N_("A position needs both the latitude and the longitude."),
    "person.destroy_roles": N_("Only {roles} members destroy a person's data."),
    "person.reporter_destroys": N_("Only the reporting party's admins destroy its report of a person."),
    "person.already_destroyed": N_("This person's data was destroyed by record {index}."),
    "person.destroy_audience": N_("A destruction has the audience of the person it destroys."),
    "retention.roles": N_("Only {roles} members set their party's retention rules."),
    "retention.audience": N_("Retention rules are read by every party: their audience is all."),
    "inquiry.filer_destroys": N_("Only the admins of the party an inquiry was filed with destroy it."),
    "inquiry.already_destroyed": N_("This inquiry's data was destroyed by record {index}."),
    "inquiry.destroy_audience": N_("A destruction has the audience of the inquiry it destroys."),
    "person.already_status": N_("The person's status is already «{person_status}»."),
    "list.exists": N_("This list is already recorded."),
    "inquiry.exists": N_("This inquiry already exists."),
    "match.already_decided": N_("These two records are already decided: «{decision}»."),
    "inquiry.closed": N_("The inquiry is closed."),
    "inquiry.no_direct": N_("This party does not take inquiries from families directly."),
    "person.audience":
        N_("Records about a person are read only by the reporting party, the person's own party and the mediators."),
    "person.own_party_audience": N_("The person's own party ({party}) must be among the readers of the record."),
    "list.audience": N_("A list's report is read by parties and mediators only."),
    "match.audience": N_("A match decision is read only by the parties of the two records."),
    "inquiry.audience": N_("An inquiry is read only by parties and mediators."),
    "inquiry.filers_audience": N_("The registrars of the party the inquiry is filed with must be among its readers."),
    "inquiry.decision_audience": N_("A decision on an inquiry is read by the inquiry's readers."),
    "list.rows_once": N_("Each row of the file appears once in the report."),
    "list.accepted_names_person": N_("An accepted row names the person registered from it in this list."),
    "list.duplicate_names_whom": N_("A duplicate row names whom it duplicates."),
    "list.rejected_reason": N_("A rejected row gives its reason."),
    "inquiry.secret_hashed": N_("The family's secret is kept only as a hash, never in clear."),
    "match.two_records": N_("A decision concerns two different records."),
    "inquiry.candidate_names_person": N_("Confirming or rejecting a candidate names the person."),
    "inquiry.family_told": N_("Write what the family is told."),
    "inquiry.release_withdraw_alone": N_("A withdrawal names no fields."),
    "inquiry.release_needs_surname": N_("Release at least the surname."),
    "inquiry.release_fields_once": N_("Name each field once."),
    "inquiry.filer_releases": N_("Only the registrars and admins of the party the inquiry was filed with release it."),
    "inquiry.add_roles": N_("Only {roles} members add to an inquiry."),
    "inquiry.addition_empty": N_("Fill in at least one field."),
    "inquiry.notify_needs_email": N_("To be told when there is news, give an e-mail address."),
    "inquiry.dna_reference": N_("Give the sample's reference as well as where it was given."),
    "inquiry.addition_audience": N_("What a family adds is read by the registrars of the party it asked only."),
    "list.mapping_form": N_("The column mapping cannot be read."),
    "list.own_party_choice": N_("This list has prisoners of war: choose the persons' own party, or say that it is "
                                "unknown. Otherwise the other party never sees them."),
    "list.row_not_rejected": N_("Row {row} was not rejected; only a rejected row is corrected."),
    "list.row_already_corrected": N_("Row {row} was already corrected and registered."),
    "list.row_still_rejected": N_("The corrected row is still not accepted; correct the field marked."),
    "list.row_corrected_by_reporter": N_("Only the party that imported the list corrects its rejected rows."),
    "match.no_decision": N_("There is no such match decision between these two records, or you may not read it."),
    "match.not_current": N_("This decision is no longer in force; there is nothing to reverse."),
    "match.withdraw_own": N_("Only the party that made a decision, or a mediator, reverses it."),
    "match.withdraw_audience": N_("A reversal is read by the same parties as the decision it reverses."),
    "match.withdraw_reason": N_("Say why the decision is reversed."),
    "list.file_too_large": N_("The file is larger than {mb} MB."),
    "list.file_empty": N_("The file is empty."),
    "person.export_format": N_("Export as CSV or XLSX."),
    # -- the files of a list ---------------------------------------------------------------------------------------
    "list.sheet_file_empty": N_("The file is empty."),
    "list.xls":
        N_("Excel 97-2003 (.xls) workbooks and password-protected ones are not read; save the file as .xlsx "
           "without a password, or as CSV."),
    "list.not_a_sheet": N_("This is not an XLSX or CSV file."),
    "list.named_xlsx":
        N_("The file is named as an XLSX workbook but is not one; save it again from Excel as .xlsx or as CSV."),
    "list.too_many_columns":
        N_("Row {row} has values beyond column {limit}, the last that is read; remove the columns that are "
           "not part of the list."),
    "list.too_many_rows": N_("The sheet has more than {limit} rows of data; split the list into several files."),
    "list.sheet_empty": N_("The sheet is empty."),
    "list.zip_damaged": N_("The XLSX workbook is damaged; save it again from Excel as .xlsx, or as CSV."),
    "list.too_many_parts":
        N_("The workbook is built in a way that is refused, as a zip bomb would be; save it again from "
           "Excel as .xlsx, or as CSV."),
    "list.ods": N_("OpenDocument spreadsheets (.ods) are not read; save the file as .xlsx or CSV."),
    "list.xlsb": N_("Binary Excel workbooks (.xlsb) are not read; save the file as .xlsx or CSV."),
    "list.password": N_("The workbook is password-protected; save it without a password."),
    "list.compression":
        N_("The workbook is built in a way that is refused, as a zip bomb would be; save it again from "
           "Excel as .xlsx, or as CSV."),
    "list.unpacks_too_large":
        N_("The workbook is built in a way that is refused, as a zip bomb would be; save it again from "
           "Excel as .xlsx, or as CSV."),
    "list.compression_ratio":
        N_("The workbook is built in a way that is refused, as a zip bomb would be; save it again from "
           "Excel as .xlsx, or as CSV."),
    "list.no_defusedxml": N_("XLSX files cannot be read safely on this server; save the list as CSV."),
    "list.xml_entities":
        N_("The workbook is built in a way that is refused, as a zip bomb would be; save it again from "
           "Excel as .xlsx, or as CSV."),
    "list.xlsx_damaged": N_("The XLSX workbook is damaged; save it again from Excel as .xlsx, or as CSV."),
    "list.no_visible_sheet": N_("The workbook has no visible worksheet."),
    "list.beyond_last_row": N_("The XLSX workbook is damaged; save it again from Excel as .xlsx, or as CSV."),
    "list.worksheet_damaged": N_("The XLSX workbook is damaged; save it again from Excel as .xlsx, or as CSV."),
    "list.html":
        N_("This is a web page (HTML) saved under a spreadsheet's name; open it in Excel and save it as .xlsx or CSV."),
    "list.xml_sheet": N_("Excel 2003 XML spreadsheets are not read; save the file as .xlsx or CSV."),
    "list.too_many_lines": N_("The file has more than {limit} lines, more than Excel can open."),
    "list.csv_unreadable": N_("The CSV file cannot be read after row {row}."),
    # -- talks ---------------------------------------------------------------------------------------------------------
    "talks.members_only": N_("Only members state what happens in talks."),
    "talks.not_in_process": N_("{party} takes no part in this process; only its parties and mediators write in it."),
    "talks.position_who": N_("Only a party to the process states a position; {party} is not one of its parties."),
    "talks.signoff_who": N_("Only a party to the process signs its texts; {party} is not one of its parties."),
    "talks.process_who": N_("A process is opened by one of its parties or mediators."),
    "talks.process_not_found": N_("There is no such process, or you may not read it."),
    "talks.actor_not_found": N_("There is no such actor ({actor}), or you may not read it."),
    "talks.meeting_not_found": N_("There is no such meeting, or you may not read it."),
    "talks.track_not_found": N_("There is no such track, or you may not read it."),
    "talks.point_not_found": N_("There is no such point, or you may not read it."),
    "talks.text_not_found": N_("There is no such joint text, or you may not read it."),
    "talks.evidence_not_found": N_("There is no evidence «{ref}» that you may read."),
    "talks.exists": N_("This identifier is already taken."),
    "talks.parties_twice": N_("A party is listed twice."),
    "talks.not_belligerent": N_("{party} is not a belligerent party; the parties to talks are."),
    "talks.not_mediator": N_("{party} is not a mediator party; a process's mediators must be."),
    "talks.actor_names_twice": N_("The same name is given twice."),
    "talks.wrong_process": N_("This belongs to another process ({other}), not to {process}."),
    "talks.delegation_party":
        N_("{party} is not a party or mediator of the process, or its delegation is given twice."),
    "talks.actor_party": N_("{actor} acts for {other}, not for {party}."),
    "talks.actor_unseen":
        N_("The negotiators of {party} may not read {actor}; register the actor with the process's audience."),
    "talks.planned_started": N_("A planned meeting has not started yet; record it as held to give its start."),
    "talks.held_needs_start": N_("A meeting held needs the time it actually started."),
    "talks.held_in_future": N_("A meeting cannot have been held at {start}: that is after the record's time."),
    "talks.nothing_changed": N_("The change names nothing to change."),
    "talks.venue_position": N_("A position is longitude, latitude: within −180…180 and −90…90."),
    "talks.meeting_closed": N_("This meeting was held or cancelled; it can no longer change."),
    "talks.status_same": N_("The process already has this status."),
    "talks.status_ended": N_("The process has ended; it can no longer change."),
    "talks.resume_active": N_("Only a paused or frozen process resumes."),
    "talks.position_text": N_("A proposal or a counter-proposal carries the wording it proposes."),
    "talks.position_hash": N_("An acceptance names the SHA-256 of the wording it accepts."),
    "talks.text_hash": N_("SHA-256 {sha256} is not the hash of the text given ({expected})."),
    "talks.unknown_text": N_("No wording with SHA-256 {sha256} was proposed on this point."),
    "talks.point_closed": N_("This point is withdrawn."),
    "talks.signoff_not_current":
        N_("Version {version} is no longer the current one (the current is version {current}); nothing was signed. "
           "Read the current version and sign it."),
    "talks.signoff_hash":
        N_("SHA-256 {sha256} is not the hash of version {version} ({expected}); nothing was signed."),
    "talks.signed": N_("{party} has already signed version {version}."),
    "talks.text_same": N_("This is the same text as version {version}; there is nothing new to sign."),
    "talks.text_not_current":
        N_("This version replaces version {supersedes}, but the current version is {current}. Reload the page."),
    "talks.not_agreed":
        N_("This point has not reached mutual understanding; only an agreed point is implemented."),
    "talks.evidence_twice": N_("The evidence «{ref}» is listed twice."),
    "talks.audience_party":
        N_("The record must be readable by the negotiators of {party}, a party or mediator of this process."),
    "talks.narrow_closed":
        N_("A back channel or a military-to-military channel is read only by the negotiators of its parties and "
           "mediators: close the audience with “only”."),
    "talks.narrow_token":
        N_("A back channel or a military-to-military channel is read only by the negotiators of its parties and "
           "mediators; {token} is not allowed."),
    # -- exchanges -----------------------------------------------------------------------------------------------------
    "exchange.members_only": N_("Only members write exchange records."),
    "exchange.not_in_exchange":
        N_("{party} takes no part in exchange {exchange}; only its parties and mediators write in it."),
    "exchange.party_only": N_("Only a party to exchange {exchange} may do this; {party} is not one of its parties."),
    "exchange.mediator_only": N_("Only a mediator of exchange {exchange} may do this."),
    "exchange.wrong_side": N_("{party} is not {side} for {person} in exchange {exchange}; {expected} is."),
    "exchange.roles": N_("Your roles do not allow this; it takes one of these roles: {roles}."),
    "exchange.not_found": N_("There is no exchange {exchange}, or you may not read it."),
    "exchange.person_not_found": N_("There is no person {person} that you may read."),
    "exchange.list_not_found": N_("There is no imported list {list} that you may read."),
    "exchange.operation_not_found": N_("There is no operation {operation} that you may read."),
    "exchange.point_not_found": N_("There is no talks point {point} that you may read."),
    "exchange.body_not_found": N_("There is no body {body} in exchange {exchange}."),
    "exchange.not_on_list": N_("{person} is not on the current list of persons {party} is to hand over."),
    "exchange.exists": N_("Exchange {exchange} already exists."),
    "figures.subject":
        N_("Figures of an operation name the operation; figures of inquiries name the day they run until."),
    "figures.roles": N_("Only {roles} members release their party's figures."),
    "figures.exists": N_("These figures are already released."),
    "figures.until": N_("Figures of inquiries run until a day that has ended."),
    "figures.nothing": N_("There is nothing to release: the operation is not completed, or your party reported no "
                          "outcome of it."),
    "figures.differ": N_("These are not the figures Parley computes from the log; release them as computed."),
    "public.no_record": N_("This record is not public."),
    "public.no_checkpoint": N_("No checkpoint has been published yet."),
    "public.consistency_range": N_("Give two sizes from 1 up to the published size ({size}), the older first."),
    "statement.members_only": N_("Only members write statements."),
    "statement.not_found": N_("There is no statement {statement}, or you may not read it."),
    "statement.exists": N_("Statement {statement} already exists."),
    "statement.version_next":
        N_("Statement {statement} is at version {current}; a new version is version {expected}. Reload the page."),
    "statement.version_stale":
        N_("Version {version} is no longer the current one (the current is version {current}). Read it before you "
           "approve it."),
    "statement.hash_mismatch": N_("The SHA-256 approved is not that of version {version}; nothing was approved."),
    "statement.own_draft": N_("You wrote version {version}: a second member of your party approves it."),
    "statement.approved": N_("Statement {statement} is already approved; a correction is a new statement."),
    "statement.withdrawn": N_("Statement {statement} is withdrawn."),
    "statement.audience": N_("A statement stays with its own party until it is released."),
    "statement.object_not_found": N_("There is nothing with the id {object_id} that you may read."),
    "statement.embargo_past": N_("That time has passed: an embargo ends in the future."),
    "statement.embargo_one": N_("Choose one embargo: until a time, or until an exchange or an operation is completed."),
    "statement.corrects": N_("Only a released statement of your own party can be corrected."),
    "exchange.parties_twice": N_("A party is listed twice."),
    "exchange.not_belligerent": N_("{party} is not a belligerent party; the parties to an exchange are."),
    "exchange.not_mediator": N_("{party} is not a mediator party; an exchange's mediators must be."),
    "exchange.formula_n": N_("An “N for N” formula gives the number of persons per side, and no categories."),
    "exchange.formula_categories":
        N_("A formula by category gives a number for each category, and no total of its own."),
    "exchange.formula_all": N_("An “all for all” formula takes no number."),
    "exchange.stages_numbered": N_("The stages are numbered 1, 2, 3 … in order."),
    "exchange.stages_sum": N_("The stages hand over {total} per side, but the formula requires {n}."),
    "exchange.window_order": N_("The handover window ends before it starts."),
    "exchange.version_next":
        N_("Exchange {exchange} is at version {current}; a new version is version {expected}. Reload the page."),
    "exchange.same_parties": N_("A new version keeps the exchange's parties and mediators."),
    "exchange.version_stale":
        N_("Version {version} is no longer the current one (the current is version {current}). Reload the page."),
    "exchange.hash_mismatch":
        N_("The SHA-256 signed is not the hash of the terms of version {version}; nothing was signed."),
    "exchange.signed": N_("{party} has already signed version {version}."),
    "exchange.not_agreed":
        N_("Exchange {exchange} is not agreed yet: every party first signs the same version of its terms."),
    "exchange.closed":
        N_("Exchange {exchange} is completed or cancelled; nothing more of this kind is recorded in it."),
    "exchange.under_way": N_("The handover of exchange {exchange} has begun; its terms can no longer change."),
    "exchange.audience":
        N_("An exchange record is read only by the exchange's parties and mediators: close the audience with “only” "
           "and name them ({expected})."),
    "exchange.consent_audience":
        N_("A consent interview is read only by the holding party and the mediators: close the audience with “only” "
           "and name them ({expected})."),
    "exchange.list_empty": N_("A list names at least one person or imported list."),
    "exchange.list_twice": N_("{person} is on the list twice."),
    "exchange.list_remains": N_("An exchange of remains lists no persons; record its bodies instead."),
    "exchange.not_held":
        N_("By your registry, {person} is not held by anyone; a list hands over only persons your party holds."),
    "exchange.not_own":
        N_("By your registry, {person} is not a person of {party}; a party asks only for its own persons."),
    "exchange.other_exchange": N_("{person} is already on the list of another open exchange, {other}."),
    "exchange.destroyed": N_("The personal data of {person} was destroyed."),
    "exchange.interview_future": N_("The interview is dated after the record that states it."),
    "exchange.consent_reason": N_("A refusal records the person's reason, as the person told it to the mediator."),
    "exchange.plan_stage": N_("Stage {stage} is not a stage of the agreed terms."),
    "exchange.plan_twice": N_("{person} is planned twice."),
    "exchange.plan_ineligible": N_("{person} cannot be planned: {reason}."),
    "exchange.plan_count": N_("Stage {stage}: {party} hands over {count}, but the terms set {size}."),
    "exchange.plan_formula":
        N_("The plan does not satisfy the formula: {party} hands over {count} in all, but the formula requires "
           "{needed}."),
    "exchange.infeasible": N_("No plan satisfies the formula: {constraint} ({detail})."),
    "exchange.pin_exclude": N_("{person} is both pinned and excluded."),
    "exchange.not_planned": N_("{person} is not in stage {stage} of the current plan."),
    "exchange.refused_person": N_("{person} refused repatriation and is never handed over."),
    "exchange.step_twice": N_("The step «{step}» is already confirmed for {person}."),
    "exchange.step_order": N_("The step «{step}» is confirmed for {person} only after the handover."),
    "exchange.identity":
        N_("By their names, {person} and {other} are not the same person; if they are, record a match decision "
           "first."),
    "exchange.as_person": N_("The receiving side names its own record of the person (“as”)."),
    "exchange.not_remains": N_("Exchange {exchange} is an exchange of persons, not of remains."),
    "exchange.bodies_count": N_("Bodies tagged: {bodies}; the count stated allows {count}."),
    "exchange.body_twice": N_("Body {body} is tagged twice."),
    "exchange.state_back":
        N_("Body {body} has already reached the stage «{state}»; identification only moves forward."),
    "exchange.identified_person": N_("An identification names the person identified, as recorded in the registry."),
    "exchange.person_not_dead": N_("{person} is not recorded as missing or dead."),
    "exchange.count_sum": N_("The categories add up to {parts}, not to the total stated ({total})."),
    "exchange.count_party": N_("A party states its own count; {party} is not a party to this exchange."),
    "exchange.not_completed": N_("Exchange {exchange} is not completed; nothing is released before it is."),
    "exchange.released": N_("{party} has already released exchange {exchange}."),
    "exchange.no_handover":
        N_("Stage {stage} of exchange {exchange} has no confirmed handover yet; its act of transfer follows the "
           "handover."),
    "exchange.bad_status":
        N_("Exchange {exchange} cannot take this status now: it is declared under way again only when suspended, "
           "completed only when under way or suspended, and once completed or cancelled its status no longer "
           "changes."),
    # -- a party's audit of the log (parley log verify) -----------------------------------------------------------
    "audit.went_back": N_("The log went back from size {old_size} to {new_size}."),
    "audit.two_roots": N_("The log signed two different roots for size {size}."),
    "audit.not_consistent": N_("The consistency proof from size {old_size} to {new_size} fails: {detail}."),
    "audit.tiles_root":
        N_("The root computed from the hash tiles differs from the root the checkpoint for size {size} signs."),
    "audit.tile_parent": N_("Hash tile {tile} does not hash to its entry in the tile above (leaves from {first})."),
    "audit.tiles_malformed": N_("The hash tiles are malformed: {detail}."),
    "audit.tile_missing":
        N_("The server does not serve tile {tile} of the tree of size {size} its checkpoint commits to: {detail}."),
    "audit.tree_shorter": N_("The server lists a tree of {listed} records under its checkpoint for size {size}."),
    "audit.listed_not_of_tree":
        N_("The log signed a checkpoint for size {size} that is not a checkpoint of the tree its published "
           "checkpoint ({published}) commits to."),
    "audit.listed_inconsistent":
        N_("The log signed a checkpoint for size {size} inconsistent with its published one ({published}): {detail}."),
    "audit.listed_vs_saved":
        N_("The log signed a checkpoint for size {size} inconsistent with the checkpoint for size {saved} this "
           "auditor verified before: {detail}."),
    "audit.listed_two_roots":
        N_("The log signed two different roots for size {size}: the checkpoint this auditor verified before and "
           "one the server lists."),
    "audit.fork": N_("FORK: {why}"),
    "audit.failed": N_("FAILED: {why}"),
    "audit.evidence_saved": N_("Evidence saved in {path}."),
    "audit.state_kept":
        N_("The stored checkpoint was kept; share the evidence with the other parties and their witnesses."),
}


def _declared(module: ModuleType) -> tuple[Code, ...]:
    """A codes module's ``CODES``; for one that lists none, the ``Code`` constants it declares."""
    listed = getattr(module, "CODES", None)
    return tuple(listed) if listed is not None else tuple(v for v in vars(module).values() if isinstance(v, Code))


CODES: tuple[Code, ...] = tuple({c.code: c for m in (record_codes, party_codes, operation_codes, people_codes,
                                                     talks_codes, exchange_codes, press_codes, audit_codes, figures,
                                                     sources)
                                 for c in _declared(m)}.values())
_NAMES_FIELD = {c.code for c in CODES if "{field}" in c.template}

# Pydantic's error types → the message a page shows, with {field} (the field's label) and the error's context.
PYDANTIC: dict[str, str | tuple[str, str]] = {
    "missing": N_("Fill in: {field}."),
    "string_too_short": NP_("{field}: at least {n} character.", "{field}: at least {n} characters."),
    "string_too_long": NP_("{field}: at most {n} character.", "{field}: at most {n} characters."),
    "too_short": NP_("{field}: at least {n} item.", "{field}: at least {n} items."),
    "too_long": NP_("{field}: at most {n} item.", "{field}: at most {n} items."),
    "string_pattern_mismatch": N_("{field}: this is not written in the expected form."),
    "literal_error": N_("{field}: choose one of the values offered."),
    "enum": N_("{field}: choose one of the values offered."),
    "int_parsing": N_("{field}: enter a whole number."),
    "int_type": N_("{field}: enter a whole number."),
    "int_from_float": N_("{field}: enter a whole number."),
    "float_parsing": N_("{field}: enter a number."),
    "float_type": N_("{field}: enter a number."),
    "finite_number": N_("{field}: enter a number."),
    "greater_than_equal": N_("{field}: at least {limit}."),
    "greater_than": N_("{field}: more than {limit}."),
    "less_than_equal": N_("{field}: at most {limit}."),
    "less_than": N_("{field}: less than {limit}."),
    "datetime_parsing": N_("{field}: enter a date and time."),
    "datetime_type": N_("{field}: enter a date and time."),
    "datetime_from_date_parsing": N_("{field}: enter a date and time."),
    "timezone_aware": N_("{field}: enter a date and time with its time zone."),
    "date_parsing": N_("{field}: enter a date."),
    "date_type": N_("{field}: enter a date."),
    "date_from_datetime_parsing": N_("{field}: enter a date."),
    "bool_parsing": N_("{field}: answer yes or no."),
    "bool_type": N_("{field}: answer yes or no."),
    "extra_forbidden": N_("{field}: this field is not accepted."),
    "string_type": N_("{field}: enter text."),
    "list_type": N_("{field}: this value is not accepted."),
    "dict_type": N_("{field}: this value is not accepted."),
    "model_type": N_("{field}: this value is not accepted."),
}
# The same, for an error about the payload as a whole (no field).
PYDANTIC_FORM = N_("The form's values are not accepted.")
VALUE_NOT_ACCEPTED = N_("{field}: this value is not accepted.")

# A refusal nothing above names: a generic sentence for its kind, with and without the field.
GENERIC: tuple[tuple[type[Exception], str, str], ...] = (
    (Forbidden, N_("You may not do this."), N_("You may not do this ({field}).")),
    (NotFound, N_("There is no such record, or you may not read it."),
     N_("{field}: there is no such record, or you may not read it.")),
    (Conflict, N_("This contradicts the record as it stands; reload the page and try again."),
     N_("{field}: this contradicts the record as it stands; reload the page and try again.")),
    (Unauthorized, N_("Your signature or your sign-in was not accepted; sign in again."),
     N_("Your signature or your sign-in was not accepted; sign in again.")),
    (TooManyRequests, N_("Too many requests; wait a while and try again."),
     N_("Too many requests; wait a while and try again.")),
    (Unavailable, N_("The server is busy. Try again in a moment."), N_("The server is busy. Try again in a moment.")),
    (TooLarge, N_("This is too large to be accepted."), N_("{field}: this is too large to be accepted.")),
    (Unprocessable, N_("The form's values are not accepted."), VALUE_NOT_ACCEPTED),
    (BadRequest, N_("The form's values are not accepted."), VALUE_NOT_ACCEPTED),
    (Exception, N_("The record was refused."), N_("{field}: the record was refused.")),
)


def _match(text: str) -> Message | Plural | None:
    for pattern, target in _COMPILED:
        m = pattern.fullmatch(text.strip())
        if m is not None:
            return _message(target, m.groupdict())
    return None


def _message(target: str | tuple[str, str], values: Mapping[str, Any]) -> Message | Plural:
    params: dict[str, Any] = {}
    for name, value in values.items():
        try:
            params[name] = CONVERT[name](value) if name in CONVERT else value
        except ValueError:
            params[name] = value
    if isinstance(target, tuple):
        n = params.pop("n", 0)
        return Plural(target[0], target[1], n if isinstance(n, int) else 0, **params)
    return Message(target, **params)


def coded(code: str, params: Mapping[str, Any], field: str | None = None) -> Message | Plural | None:
    """The page message of a refusal's code (``BY_CODE``) with its parameters, or None for a code it lacks: for
    a refusal raised here, and for one the command line reads from the API (``code``, ``params``, ``field``)."""
    if code == record_codes.PAYLOAD.code:  # a payload its schema refused: pydantic's error, or a validator's code
        return _payload(str(params.get("type", "")), field, params.get("limit"), params.get("reason"),
                        params.get("reason_params"))
    target = BY_CODE.get(code)
    if target is None:
        return None
    # Parameters as text, each converted by its name (a status, an action or a field is itself translated).
    values = {name: str(value) for name, value in params.items()}
    return _message(target, {**({"field": field} if field and code in _NAMES_FIELD else {}), **values})


def _payload(kind: str, path: str | None, limit: Any = None, reason: Any = None,
             reason_params: Any = None) -> Message | Plural:
    """A payload pydantic refused: a validator's own code (``parley.errors.Invalid``), else the error's type
    (``PYDANTIC``) with the field's label and the length or bound it names."""
    if isinstance(reason, str):
        found = coded(reason, reason_params if isinstance(reason_params, Mapping) else {})
        if found is not None:
            return found
    label = field_name(path)
    field: Any = Message(label) if label else None
    target = PYDANTIC.get(kind)
    if target is None or field is None:
        return Message(VALUE_NOT_ACCEPTED, field=field) if field else Message(PYDANTIC_FORM)
    if isinstance(target, tuple):
        return Plural(target[0], target[1], int(limit) if isinstance(limit, int | float) else 0, field=field)
    return Message(target, field=field, limit="" if limit is None else limit)


def _pydantic(exc: ValidationError) -> Message | Plural:
    first = exc.errors()[0]
    ctx = first.get("ctx") or {}
    path = ".".join(str(x) for x in first.get("loc", ()))
    limit = next((ctx[k] for k in ("min_length", "max_length", "ge", "gt", "le", "lt") if k in ctx), None)
    cause = ctx.get("error")
    if isinstance(cause, Invalid):
        return _payload(first.get("type", ""), path, limit, cause.refusal, cause.params)
    return _payload(first.get("type", ""), path, limit)


def refusal(exc: BaseException) -> Message | Plural:
    """The message a page shows for a refused write: translated in the page's language when it is rendered."""
    cause = exc.__cause__
    if isinstance(cause, ValidationError):
        return _pydantic(cause)
    if isinstance(exc, ValidationError):
        return _pydantic(exc)
    if isinstance(exc, ParleyError) and exc.refusal is not None:
        found = coded(exc.refusal, exc.params, exc.field)
        if found is not None:
            return found
    # A refusal without a code (none is raised on purpose: tests/api/test_refusal_codes.py), or another error.
    return generic(exc)


def generic(exc: BaseException) -> Refusal:
    """The generic sentence for a refusal's kind (``GENERIC``), naming its field; an English page shows the
    original English sentence instead, which names the problem more precisely."""
    text = exc.message if isinstance(exc, ParleyError) else str(exc)
    label = field_name(exc.field if isinstance(exc, ParleyError) else None)
    for cls, plain, with_field in GENERIC:
        if isinstance(exc, cls):
            if label:
                return Refusal(with_field, original=text, field=Message(label))
            return Refusal(plain, original=text)
    raise AssertionError("unreachable: Exception matches every refusal")  # pragma: no cover


def generic_for(error: str, field: str | None = None) -> Message:
    """The generic sentence for a refusal the API answered without a code, by its kind (``error``: ``conflict``,
    ``not_found`` …), naming its field: what the command line shows in Ukrainian or Russian."""
    cls = next((c for c, _, _ in GENERIC if getattr(c, "code", None) == error), Exception)
    label = field_name(field)
    plain, with_field = next((p, w) for c, p, w in GENERIC if c is cls)
    return Message(with_field, field=Message(label)) if label else Message(plain)


def reason(text: str) -> Message | Plural:
    """The reason a list import gives for a rejected row, as a page shows it."""
    found = _match(text)
    return found if found is not None else Refusal(N_("The row cannot be read."), original=text)


__all__ = ["BY_CODE", "CODES", "FIELD_NAMES", "GENERIC", "PYDANTIC", "REASONS", "Labels", "Refusal", "coded",
           "generic", "generic_for", "reason", "refusal"]
