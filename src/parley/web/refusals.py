"""Refusals shown on pages, in the page's language.

The record kinds refuse with ``ParleyError``s whose messages are English sentences for the API and the log
(often f-strings), and pydantic refuses a payload with its own wording ("Value error, …"). A page never shows
either as it is in Ukrainian or Russian. ``refusal(exc)`` gives the ``Message`` to show instead:

- a payload pydantic refused: by the error's type (``PYDANTIC``: required, too long, not a number …) with the
  field's label, or for a validator's own sentence (``value_error``) the sentence's entry in ``PATTERNS``;
- a ``ParleyError``: the entry of ``PATTERNS`` its message matches, with the message's values as named
  parameters (a status, an action or a field is itself translated);
- anything else: a translated generic sentence for its kind of refusal, naming the field (``GENERIC``); an
  English page shows the original English sentence there, which names the problem more precisely.

``reason(text)`` does the same for the reasons a list import gives for a rejected row. This mapping of
English text is a bridge: once every refusal carries a stable code and parameters, pages translate the code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from parley.errors import (
    BadRequest, Code, Conflict, Forbidden, NotFound, ParleyError, TooLarge, TooManyRequests, Unauthorized,
    Unavailable, Unprocessable,
)
from parley.operations import codes as operation_codes
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


# How a message's values become parameters: by the name the pattern gives them; the others stay as written.
CONVERT: dict[str, Callable[[str], Any]] = {
    "status": _label(OPERATION_LABELS),
    "need": _labels(OPERATION_LABELS, " or "),
    "action": _label(OPERATION_LABELS),
    "answer": _label(BOARD_LABELS),
    "state": _label(OPERATION_LABELS),
    "category": _label(OPERATION_LABELS),
    "person_status": _label(EVENT_LABELS),
    "decision": _label(DECISION_LABELS),
    "roles": lambda text: Labels(tuple(_code(x) for x in text.split(",")), ROLE_LABELS, ", "),
    "field": _field,
    "place": _field,
    "n": int,
}

# English refusal (as the record kinds, the pipeline and the list reader word it; ``{name}`` stands for a
# value) → the message a page shows. A plural message (``NP_``) counts its ``{n}``.
PATTERNS: tuple[tuple[str, str | tuple[str, str]], ...] = (
    # -- operations: who may ------------------------------------------------------------------------
    ("only negotiators, liaison officers and admins state operations",
     N_("Only negotiators, liaison officers and admins state operations.")),
    ("only members state operations", N_("Only members state operations.")),
    ("only the organising mediator or a party concerned proposes an operation",
     N_("Only the organising mediator or a party concerned proposes an operation.")),
    ("only the organising mediator or a party concerned changes an operation",
     N_("Only the organising mediator or a party concerned changes an operation.")),
    ("only an admin of a mediator party sets the notice and answer periods",
     N_("Only an admin of a mediator party sets the notice and answer periods.")),
    ("party '{party}' is not concerned by operation '{operation}'; only the parties it concerns answer",
     N_("Your party is not concerned by this operation; only the parties it concerns answer.")),
    ("only the organising mediator ({mediator}) changes the status of an operation",
     N_("Only the organising mediator ({mediator}) changes the status of an operation.")),
    ("only the mediator or a party concerned reports the convoy's movements",
     N_("Only the mediator or a party concerned reports the convoy's movements.")),
    ("only the mediator or a party concerned reports an operation's outcome",
     N_("Only the mediator or a party concerned reports an operation's outcome.")),
    ("only the declaring party withdraws its zone", N_("Only the party that declared a zone withdraws it.")),
    ("only the mediator and the parties concerned use an operation's channel",
     N_("Only the mediator and the parties concerned use an operation's channel.")),
    ("only a recipient party gives a receipt for a message",
     N_("Only a party the message was sent to gives a receipt for it.")),
    # -- operations: state ---------------------------------------------------------------------------
    ("no operation '{operation}'", N_("There is no such operation, or you may not read it.")),
    ("no incident '{incident}'", N_("There is no such incident, or you may not read it.")),
    ("no zone '{zone}'", N_("There is no such zone, or you may not read it.")),
    ("no channel message at record {index}", N_("There is no such message.")),
    ("no message {record} in the channel of '{operation}'", N_("There is no such message.")),
    ("operation '{operation}' already exists; a change names the version it supersedes",
     N_("This operation already exists; a change names the version it replaces.")),
    ("version {version} is not the current version ({current}); answer the current one",
     N_("Version {version} is no longer the current one (the current is version {current}). Reload the page and "
        "answer the current version.")),
    ("version {version} is not the current version ({current})",
     N_("Version {version} is no longer the current one (the current is version {current}). Reload the page.")),
    ("operation '{operation}' is {status}; it can no longer be changed",
     N_("The operation's status is «{status}»; it can no longer be changed.")),
    ("operation '{operation}' is {status}; answers are closed",
     N_("The operation's status is «{status}»; answers are closed.")),
    ("operation '{operation}' is {status}; movements are reported while it is under way",
     N_("The operation's status is «{status}»; movements are reported while it is under way.")),
    ("operation '{operation}' is {status}; outcomes are reported once it has started",
     N_("The operation's status is «{status}»; outcomes are reported once it has started.")),
    ("party '{party}' proposed this version", N_("Your party proposed this version; it does not answer it.")),
    ("party '{party}' already answered ({answer})", N_("Your party has already answered this version: «{answer}».")),
    ("cannot {action} an operation that is {status} (it must be {need})",
     N_("«{action}» is not possible while the operation's status is «{status}»; it needs the status «{need}».")),
    ("say why the operation is to {action}", N_("Give the reason.")),
    ("the window acknowledged for this operation ended at {end} UTC; propose a new version with a new window",
     N_("The window acknowledged for this operation ended at {end} UTC; propose a new version with a new window.")),
    ("a movement cannot be reported before it happens", N_("A movement cannot be reported before it happens.")),
    ("an incident cannot be reported before it happens", N_("An incident cannot be reported before it happens.")),
    ("incident '{incident}' is already recorded", N_("This incident is already recorded.")),
    ("name the first account of the incident, not another account",
     N_("Choose the first account of the incident, not another party's account of it.")),
    ("a party gives one account of an incident; correct it with a note",
     N_("Your party has already given its account of this incident; correct it with a note.")),
    ("{category} to {destination} is listed twice", N_("«{category}» to {destination} is listed twice.")),
    ("zone '{zone}' is already declared", N_("This zone is already declared.")),
    ("zone '{zone}' was already withdrawn", N_("This zone was already withdrawn.")),
    ("the zone's validity ends before it starts", N_("The zone's validity ends before it starts.")),
    ("the zone's validity ended before it was declared ({end} UTC)",
     N_("The zone's validity ended before it was declared ({end} UTC).")),
    ("party '{party}' already gave a {state} receipt for this message",
     N_("Your party has already given this receipt («{state}»).")),
    # -- operations: the plan --------------------------------------------------------------------------
    ("{field} lies outside the deployment's area of operations [{w}, {s}, {e}, {n}]; are longitude and latitude "
     "swapped? GeoJSON puts longitude first",
     N_("This lies outside the area of operations ({w}–{e}° E, {s}–{n}° N). Are longitude and latitude "
        "swapped? Longitude comes first.")),
    ("'{party}' is not a mediator party", N_("{party} is not a mediator party.")),
    ("'{party}' is not a belligerent party; only belligerents acknowledge",
     N_("{party} is not a belligerent party; only belligerents acknowledge an operation.")),
    ("the route passes {km} km from the {place}; it must reach it",
     N_("The route passes {km} km from this place ({place}); it must reach it.")),
    ("the window ends before it starts", N_("The window ends before it starts.")),
    ("a window lasts at most {n} days", NP_("A window lasts at most {n} day.", "A window lasts at most {n} days.")),
    ("the window starts in the past ({start} UTC, stated at {when} UTC)",
     N_("The window starts in the past ({start} UTC; the record was stated at {when} UTC).")),
    ("the window starts {hours} h after the proposal; the notice period is {notice} h ({emergency} h for an "
     "emergency)",
     N_("The window starts {hours} h after the proposal; the notice period is {notice} h ({emergency} h for an "
        "emergency).")),
    ("{what} keeps the same mediator ({mediator})", N_("A new version keeps the same mediator ({mediator}).")),
    ("{what} keeps the same parties concerned ({parties})",
     N_("A new version keeps the same parties concerned ({parties}).")),
    ("the audience must include party '{party}', which this operation concerns",
     N_("The record must be addressed to every party the operation concerns ({party} is missing).")),
    ("an operation needs a route, an area or both", N_("Draw the route on the map: click at least two points.")),
    ("parties are listed twice", N_("A party is listed twice.")),
    ("a counter-proposal carries a plan; other answers do not",
     N_("Only a counter-proposal carries a plan; other answers do not.")),
    ("a declined answer gives its reason", N_("Give the reason for declining.")),
    ("the emergency notice period cannot be longer than the ordinary one",
     N_("The emergency notice period cannot be longer than the ordinary one.")),
    ("region is [west, south, east, north] in degrees", N_("The region is west, south, east, north in degrees.")),
    ("unknown time zone '{zone}'", N_("Choose a time zone.")),
    ("at most {limit} conflict checks an hour per member; wait, or propose the plan (a proposal is always checked)",
     N_("Too many conflict checks this hour. Wait, or propose the plan: a proposal is always checked.")),
    # -- geometry --------------------------------------------------------------------------------------
    ("a position is [longitude, latitude] (RFC 7946)", N_("A position is longitude, latitude.")),
    ("coordinates must be numbers", N_("Coordinates must be numbers.")),
    ("coordinates must be finite numbers", N_("Coordinates must be numbers.")),
    ("longitude {lon} is outside -180..180", N_("The longitude {lon} is outside −180…180.")),
    ("latitude {lat} is outside -90..90 (are longitude and latitude swapped? GeoJSON puts longitude first)",
     N_("The latitude {lat} is outside −90…90. Are longitude and latitude swapped? Longitude comes first.")),
    ("latitude {lat} is outside -90..90", N_("The latitude {lat} is outside −90…90.")),
    ("a route needs at least two distinct positions", N_("Draw the route on the map: click at least two points.")),
    ("a polygon ring needs at least 4 positions, the last equal to the first",
     N_("Draw the zone on the map: click at least three points.")),
    ("polygon ring has fewer than 3 distinct positions", N_("Draw the zone on the map: click at least three points.")),
    ("polygon ring is not closed: its last position must equal its first",
     N_("The zone's outline is not closed: its last point must be its first.")),
    ("invalid geometry: {why}", N_("The shape drawn is not valid: its lines must not cross each other.")),
    ("geometry has {count} positions; at most {limit} are accepted",
     N_("The shape has {count} points; at most {limit} are accepted.")),
    ("expected a GeoJSON geometry object", N_("Draw the shape on the map.")),
    ("geometry is empty", N_("Draw the shape on the map.")),
    ("geometry has no coordinates", N_("Draw the shape on the map.")),
    *((text, N_("The shape drawn cannot be read; draw it again on the map.")) for text in (
        "geometry type must be one of {allowed}, not '{kind}'", "unexpected members in the geometry",
        "coordinates are nested too deeply", "expected a GeoJSON Point",
        "coordinates mix positions [longitude, latitude] with other values", "polygon has no rings",
        "unsupported geometry type '{kind}'", "multipolygon has no polygons", "multipolygon member has no rings")),
    # -- persons ---------------------------------------------------------------------------------------
    ("only {roles} members register persons", N_("Only members with one of these roles register persons: {roles}.")),
    ("only {roles} members correct person records",
     N_("Only members with one of these roles correct the records of persons: {roles}.")),
    ("only {roles} members record a person's status",
     N_("Only members with one of these roles record a person's status: {roles}.")),
    ("only {roles} members import lists", N_("Only members with one of these roles import lists: {roles}.")),
    ("only {roles} members decide matches", N_("Only members with one of these roles decide matches: {roles}.")),
    ("only {roles} members file inquiries", N_("Only members with one of these roles file inquiries: {roles}.")),
    ("only {roles} members answer inquiries", N_("Only members with one of these roles answer inquiries: {roles}.")),
    ("no such date", N_("No such date (the order is day, month, year).")),
    ("no such date (the order is day, month, year)", N_("No such date (the order is day, month, year).")),
    ("dates before 1900 are not accepted", N_("Dates before 1900 are not accepted.")),
    ("the date lies after the record's own time", N_("The date lies in the future.")),
    ("the date lies in the future", N_("The date lies in the future.")),
    ("no party '{party}'", N_("There is no such party.")),
    ("a person's own party is a belligerent party", N_("A person's own party is a belligerent party.")),
    ("the date of death lies before the date of birth", N_("The date of death lies before the date of birth.")),
    ("the date of capture lies before the date of birth", N_("The date of capture lies before the date of birth.")),
    ("no person '{person}'", N_("There is no such person, or you may not read this record.")),
    ("only parties register persons", N_("Only parties register persons.")),
    ("person '{person}' is already registered", N_("This person is already registered.")),
    ("only the reporting party corrects its report; another party registers its own",
     N_("Only the reporting party corrects its report; another party registers its own.")),
    ("the event lies before the person's date of birth", N_("The event lies before the person's date of birth.")),
    ("the person is already {person_status}", N_("The person's status is already «{person_status}».")),
    ("list '{list}' is already recorded", N_("This list is already recorded.")),
    ("records about a person are read only by the reporting party, the person's own party and the mediators; "
     "'{token}' is not allowed",
     N_("Records about a person are read only by the reporting party, the person's own party and the mediators.")),
    ("the person's own party '{party}' must be in the audience",
     N_("The person's own party ({party}) must be among the readers of the record.")),
    ("a decision concerns two different person records", N_("A decision concerns two different records.")),
    ("these two records are already decided '{decision}'",
     N_("These two records are already decided: «{decision}».")),
    ("a match decision is read only by the parties of the two records; '{token}' is not allowed",
     N_("A match decision is read only by the parties of the two records.")),
    ("confirming or rejecting a candidate names the person",
     N_("Confirming or rejecting a candidate names the person.")),
    ("say what the family is told", N_("Write what the family is told.")),
    ("no inquiry '{inquiry}'", N_("There is no such inquiry, or you may not read it.")),
    ("only the filing party's registrars and the mediators answer an inquiry",
     N_("Only the registrars of the party it was filed with and the mediators answer an inquiry.")),
    ("the inquiry is closed", N_("The inquiry is closed.")),
    ("inquiry '{inquiry}' already exists", N_("This inquiry already exists.")),
    ("no list '{list}'", N_("There is no such list, or you may not read it.")),
    ("each row of the file appears once in the report", N_("Each row of the file appears once in the report.")),
    ("an accepted row names the person registered from it in this list",
     N_("An accepted row names the person registered from it in this list.")),
    ("a duplicate row names whom it duplicates", N_("A duplicate row names whom it duplicates.")),
    ("a rejected row gives its reason", N_("A rejected row gives its reason.")),
    ("a list's report is read by parties and mediators only",
     N_("A list's report is read by parties and mediators only.")),
    ("the public inquiry form files inquiries for its own party only (audience party:{party})",
     N_("The public inquiry form files inquiries for its own party only.")),
    ("an inquiry is read only by parties and mediators; '{token}' is not allowed",
     N_("An inquiry is read only by parties and mediators.")),
    ("the filing party's registrars must be in the audience",
     N_("The registrars of the party the inquiry is filed with must be among its readers.")),
    ("the family's secret is kept as an Argon2 hash, never in clear",
     N_("The family's secret is kept only as a hash, never in clear.")),
    ("a decision on an inquiry has the inquiry's audience",
     N_("A decision on an inquiry is read by the inquiry's readers.")),
    ("this party does not take inquiries from families directly",
     N_("This party does not take inquiries from families directly.")),
    ("the registry is read by members with one of the roles {roles} only", N_(
        "Personal data in the registry is read by registrars, negotiators, admins, auditors and mediators only. "
        "Press and liaison officers see the figures their party releases, never the persons.")),
    # -- members, keys, parties -------------------------------------------------------------------------
    ("only an admin of party '{party}' manages its members and keys",
     N_("Only an admin of this party manages its members and keys.")),
    ("only an admin of party '{party}' manages its members and keys (a mediator's admin does so only while the "
     "party has no admin of its own)",
     N_("Only an admin of this party manages its members and keys; a mediator's admin does so only while the "
        "party has no admin of its own.")),
    ("malformed verifier key: {why}", N_("This is not a verifier key.")),
    ("member keys must be Ed25519 note keys (algorithm 0x01)", N_("A member's key is an Ed25519 note key.")),
    ("key name must be '{name}'", N_("The key's name must be {name}.")),
    ("this key is already registered", N_("This key is already registered.")),
    ("no member '{member}'", N_("There is no such member.")),
    ("only an admin of a mediator party may create parties", N_("Only an admin of a mediator party creates parties.")),
    ("party '{party}' already exists", N_("A party with this short name already exists.")),
    ("party '{party}' would share the id prefix of party '{other}'",
     N_("This short name would begin the identifiers of party {other}; choose another.")),
    ("member '{member}' already exists", N_("A member with this short name already exists.")),
    ("nothing to change", N_("Nothing to change.")),
    ("deployment.init is only valid as the first record of the log",
     N_("The deployment is created by the first record of the log only.")),
    ("deployment.init must be authored by the member it creates",
     N_("The deployment's first record is signed by the member it creates.")),
    ("an admin cannot deactivate or demote themself; ask another admin",
     N_("An admin cannot deactivate or demote themself; ask another admin.")),
    ("nobody widens their own powers: another admin of your party gives you a role",
     N_("Nobody widens their own powers: another admin of your party gives you a role.")),
    ("member '{member}' has no key {key}", N_("The member has no such key.")),
    ("key {key} was already revoked", N_("This key was already revoked.")),
    # -- identifiers, the pipeline -----------------------------------------------------------------------
    ("the id of a new {what} starts with your party's slug and a dash ({prefix}-…)",
     N_("A new identifier starts with your party's short name and a dash ({prefix}-…).")),
    ("an inquiry's reference names the filing party: INQ-{party}-…",
     N_("An inquiry's reference names the party it is filed with: INQ-{party}-…")),
    ("{author} is not an active member", N_("Your membership is not active.")),
    ("role '{roles}' may not write {kind} records", N_("Your roles do not allow this record.")),
    ("audience names unknown party '{party}'", N_("There is no such party.")),
    ("the server holds no signing key for you; sign records with your own key",
     N_("The server holds no web key for you; sign records with your own key.")),
    ("the log did not confirm the record in time; it may still be appended: submit the same record again for its "
     "receipt", N_("The log did not confirm the record in time; it may still be appended. Reload the page to see.")),
    ("the log did not confirm the record in time; it may still be appended",
     N_("The log did not confirm the record in time; it may still be appended. Reload the page to see.")),
    # -- files of a list (the first step of the import) ----------------------------------------------------
    ("the file is empty", N_("The file is empty.")),
    ("the sheet is empty", N_("The sheet is empty.")),
    ("not an XLSX or CSV file ({what})", N_("This is not an XLSX or CSV file.")),
    ("this is an Excel 97-2003 (.xls) workbook or a password-protected one, which are not read; save it as .xlsx "
     "without a password, or as CSV",
     N_("Excel 97-2003 (.xls) workbooks and password-protected ones are not read; save the file as .xlsx "
        "without a password, or as CSV.")),
    ("the file is named as an XLSX workbook but is not one; save it again from Excel as .xlsx or as CSV",
     N_("The file is named as an XLSX workbook but is not one; save it again from Excel as .xlsx or as CSV.")),
    ("this is a web page (HTML) saved under a spreadsheet's name; open it in Excel and save it as .xlsx or CSV",
     N_("This is a web page (HTML) saved under a spreadsheet's name; open it in Excel and save it as .xlsx or "
        "CSV.")),
    ("XML spreadsheets (Excel 2003 XML) are not read; save the file as .xlsx or CSV",
     N_("Excel 2003 XML spreadsheets are not read; save the file as .xlsx or CSV.")),
    ("OpenDocument spreadsheets (.ods) are not read; save the file as .xlsx or CSV",
     N_("OpenDocument spreadsheets (.ods) are not read; save the file as .xlsx or CSV.")),
    ("binary Excel workbooks (.xlsb) are not read; save the file as .xlsx or CSV",
     N_("Binary Excel workbooks (.xlsb) are not read; save the file as .xlsx or CSV.")),
    ("the workbook is password-protected; save it without a password",
     N_("The workbook is password-protected; save it without a password.")),
    ("the workbook has no visible worksheet", N_("The workbook has no visible worksheet.")),
    ("row {row} has values beyond column {limit}, the most that is read; remove the columns that are not part of "
     "the list",
     N_("Row {row} has values beyond column {limit}, the last that is read; remove the columns that are not part "
        "of the list.")),
    ("the sheet has more than {limit} rows of data, the most that is read at once; split the list into several "
     "files", N_("The sheet has more than {limit} rows of data; split the list into several files.")),
    ("the file has more than {limit} lines, more than Excel can open",
     N_("The file has more than {limit} lines, more than Excel can open.")),
    ("the CSV file cannot be read after row {row}: {why}", N_("The CSV file cannot be read after row {row}.")),
    *((text, N_("The XLSX workbook is damaged; save it again from Excel as .xlsx, or as CSV.")) for text in (
        "the file looks like an XLSX workbook but its zip archive is damaged",
        "the XLSX workbook is damaged or is not an Excel workbook",
        "the XLSX workbook is damaged: a worksheet cannot be read",
        "the sheet has rows beyond row {row}, Excel's last row; the file is damaged")),
    *((text, N_("The workbook is built in a way that is refused, as a zip bomb would be; save it again from Excel "
                "as .xlsx, or as CSV.")) for text in (
        "the XLSX archive has more than {n} parts, which is refused",
        "the XLSX archive uses a compression method Excel does not write, which is refused",
        "the workbook would unpack to more than {n} MB, which is refused (a zip bomb, or a list far larger than one "
        "import)",
        "a part of the workbook is compressed more than {n} to 1, the mark of a zip bomb, which is refused",
        "the file contains XML entity declarations, which are refused")),
    ("XLSX files cannot be read safely on this server (the XML parser is not protected by defusedxml); save the "
     "list as CSV", N_("XLSX files cannot be read safely on this server; save the list as CSV.")),
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

# The English of the patterns above as regular expressions, each value a named group.
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _compile(pattern: str) -> re.Pattern[str]:
    out, last = [], 0
    for m in _PLACEHOLDER.finditer(pattern):
        out += [re.escape(pattern[last:m.start()]), f"(?P<{m.group(1)}>.+?)"]
        last = m.end()
    out.append(re.escape(pattern[last:]))
    return re.compile("".join(out), re.DOTALL)


_COMPILED = tuple((_compile(p), target) for p, target in PATTERNS)


def _by_code(codes: tuple[Code, ...]) -> dict[str, str | tuple[str, str]]:
    """Each code's page message: the entry above for its English template (a code without one fails here)."""
    messages = dict(PATTERNS)
    missing = [c.code for c in codes if c.template not in messages]
    if missing:
        raise RuntimeError(f"refusal codes without a page message in PATTERNS: {missing}")
    return {c.code: messages[c.template] for c in codes}


# The refusals that carry a code (``parley.errors.Code``) → the message a page shows; their parameters are
# converted as a matched sentence's are (``CONVERT``). The others are still matched by their English (``_match``).
CODES: tuple[Code, ...] = operation_codes.CODES
BY_CODE: dict[str, str | tuple[str, str]] = _by_code(CODES)
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
    target = BY_CODE.get(code)
    if target is None:
        return None
    # As a matched sentence gives them: text, each converted by its name.
    values = {name: str(value) for name, value in params.items()}
    return _message(target, {**({"field": field} if field and code in _NAMES_FIELD else {}), **values})


def _pydantic(exc: ValidationError) -> Message | Plural:
    first = exc.errors()[0]
    kind, ctx = first.get("type", ""), first.get("ctx") or {}
    path = ".".join(str(x) for x in first.get("loc", ()))
    label = field_name(path)
    field: Any = Message(label) if label else None
    if kind in ("value_error", "assertion_error"):
        found = _match(str(ctx.get("error", "")))
        if found is not None:
            return found
        return Message(VALUE_NOT_ACCEPTED, field=field) if field else Message(PYDANTIC_FORM)
    target = PYDANTIC.get(kind)
    if target is None or field is None:
        return Message(VALUE_NOT_ACCEPTED, field=field) if field else Message(PYDANTIC_FORM)
    limit = next((ctx[k] for k in ("ge", "gt", "le", "lt") if k in ctx), "")
    if isinstance(target, tuple):
        n = ctx.get("min_length", ctx.get("max_length", 0))
        return Plural(target[0], target[1], int(n), field=field)
    return Message(target, field=field, limit=limit)


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
    text = exc.message if isinstance(exc, ParleyError) else str(exc)
    found = _match(text)
    if found is not None:
        return found
    path = exc.field if isinstance(exc, ParleyError) else None
    label = field_name(path)
    for cls, plain, with_field in GENERIC:
        if isinstance(exc, cls):
            if label:
                return Refusal(with_field, original=text, field=Message(label))
            return Refusal(plain, original=text)
    raise AssertionError("unreachable: Exception matches every refusal")  # pragma: no cover


def reason(text: str) -> Message | Plural:
    """The reason a list import gives for a rejected row, as a page shows it."""
    found = _match(text)
    return found if found is not None else Refusal(N_("The row cannot be read."), original=text)


__all__ = ["BY_CODE", "FIELD_NAMES", "GENERIC", "PATTERNS", "PYDANTIC", "Labels", "Refusal", "coded", "reason",
           "refusal"]
