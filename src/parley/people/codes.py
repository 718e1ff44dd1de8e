"""The refusals of the registry of persons, lists, match decisions and inquiries: each a stable code and its English
template (``parley.errors.Code``), the text the API and the log show. Raised with their parameters
(``NotFound(NO_PERSON, person=pid, field="person")``); pages and the command line show each code's own message in
the reader's language (``parley.web.refusals.BY_CODE``)."""

from __future__ import annotations

from parley.errors import Code

# -- who may -----------------------------------------------------------------------------------------------------
REGISTER_ROLES = Code("person.register_roles", "only {roles} members register persons")
CORRECT_ROLES = Code("person.correct_roles", "only {roles} members correct person records")
EVENT_ROLES = Code("person.event_roles", "only {roles} members record a person's status")
IMPORT_ROLES = Code("list.import_roles", "only {roles} members import lists")
DECIDE_ROLES = Code("match.decide_roles", "only {roles} members decide matches")
FILE_ROLES = Code("inquiry.file_roles", "only {roles} members file inquiries")
ANSWER_ROLES = Code("inquiry.answer_roles", "only {roles} members answer inquiries")
PARTIES_REGISTER = Code("person.parties_register", "only parties register persons")
REPORTER_CORRECTS = Code("person.reporter_corrects",
                         "only the reporting party corrects its report; another party registers its own")
REGISTRY_READERS = Code("person.registry_readers", "the registry is read by members with one of the roles {roles} only")
FILERS_ANSWER = Code("inquiry.filers_answer", "only the filing party's registrars and the mediators answer an inquiry")
PUBLIC_FORM_OWN = Code("inquiry.public_form_own_party",
                       "the public inquiry form files inquiries for its own party only (audience party:{party})")

# -- dates -------------------------------------------------------------------------------------------------------
NO_SUCH_DATE = Code("person.no_such_date", "no such date")
BEFORE_1900 = Code("person.date_before_1900", "dates before 1900 are not accepted")
AFTER_RECORD = Code("person.date_after_record", "the date lies after the record's own time")
DEATH_BEFORE_BIRTH = Code("person.death_before_birth", "the date of death lies before the date of birth")
CAPTURE_BEFORE_BIRTH = Code("person.capture_before_birth", "the date of capture lies before the date of birth")
EVENT_BEFORE_BIRTH = Code("person.event_before_birth", "the event lies before the person's date of birth")

# -- what exists, the state --------------------------------------------------------------------------------------
NO_PERSON = Code("person.not_found", "no person {person!r}")
NO_LIST = Code("list.not_found", "no list {list!r}")
NO_INQUIRY = Code("inquiry.not_found", "no inquiry {inquiry!r}")
OWN_PARTY_BELLIGERENT = Code("person.own_party_belligerent", "a person's own party is a belligerent party")
PERSON_EXISTS = Code("person.exists", "person {person!r} is already registered")
ALREADY_STATUS = Code("person.already_status", "the person is already {person_status}")
LIST_EXISTS = Code("list.exists", "list {list!r} is already recorded")
INQUIRY_EXISTS = Code("inquiry.exists", "inquiry {inquiry!r} already exists")
ALREADY_DECIDED = Code("match.already_decided", "these two records are already decided {decision!r}")
INQUIRY_CLOSED = Code("inquiry.closed", "the inquiry is closed")
NO_DIRECT_INQUIRIES = Code("inquiry.no_direct", "this party does not take inquiries from families directly")

# -- audiences ---------------------------------------------------------------------------------------------------
PERSON_AUDIENCE = Code("person.audience", "records about a person are read only by the reporting party, the "
                       "person's own party and the mediators; {token!r} is not allowed")
OWN_PARTY_AUDIENCE = Code("person.own_party_audience", "the person's own party {party!r} must be in the audience")
LIST_AUDIENCE = Code("list.audience", "a list's report is read by parties and mediators only")
MATCH_AUDIENCE = Code("match.audience",
                      "a match decision is read only by the parties of the two records; {token!r} is not allowed")
INQUIRY_AUDIENCE = Code("inquiry.audience",
                        "an inquiry is read only by parties and mediators; {token!r} is not allowed")
FILERS_AUDIENCE = Code("inquiry.filers_audience", "the filing party's registrars must be in the audience")
DECISION_AUDIENCE = Code("inquiry.decision_audience", "a decision on an inquiry has the inquiry's audience")

# -- the payloads ------------------------------------------------------------------------------------------------
REPORT_ROWS_ONCE = Code("list.rows_once", "each row of the file appears once in the report")
ACCEPTED_NAMES = Code("list.accepted_names_person", "an accepted row names the person registered from it in this list")
DUPLICATE_NAMES = Code("list.duplicate_names_whom", "a duplicate row names whom it duplicates")
REJECTED_REASON = Code("list.rejected_reason", "a rejected row gives its reason")
SECRET_HASHED = Code("inquiry.secret_hashed", "the family's secret is kept as an Argon2 hash, never in clear")
TWO_RECORDS = Code("match.two_records", "a decision concerns two different person records")
CANDIDATE_PERSON = Code("inquiry.candidate_names_person", "confirming or rejecting a candidate names the person")
FAMILY_TOLD = Code("inquiry.family_told", "say what the family is told")
RELEASE_WITHDRAW_ALONE = Code("inquiry.release_withdraw_alone", "a withdrawal names no fields")
RELEASE_NEEDS_SURNAME = Code("inquiry.release_needs_surname", "a released inquiry gives at least the surname")
RELEASE_FIELDS_ONCE = Code("inquiry.release_fields_once", "each field is named once")
FILER_RELEASES = Code("inquiry.filer_releases", "only the filing party's registrars and admins release an inquiry")
ADD_ROLES = Code("inquiry.add_roles", "only {roles} members add to an inquiry")
ADDITION_EMPTY = Code("inquiry.addition_empty", "an addition to an inquiry gives at least one field")
NOTIFY_NEEDS_EMAIL = Code("inquiry.notify_needs_email", "to be told of news, give an e-mail address")
DNA_REFERENCE = Code("inquiry.dna_reference", "where a DNA sample was given goes with the sample's reference")
ADDITION_AUDIENCE = Code("inquiry.addition_audience",
                         "an addition to an inquiry is read by the filing party's registrars only ({audience})")

# -- the files of a list (api.py, export.py) ---------------------------------------------------------------------
MAPPING_FORM = Code("list.mapping_form", "mapping is a JSON object of column number to field")
FILE_TOO_LARGE = Code("list.file_too_large", "the file is over {mb} MB")
FILE_EMPTY = Code("list.file_empty", "the file is empty")
EXPORT_FORMAT = Code("person.export_format", "export as csv or xlsx")

# -- a list's file that cannot be read at all (spreadsheet.py's ``SpreadsheetError``) -------------------------
SHEET_FILE_EMPTY = Code("list.sheet_file_empty", "the file is empty")
XLS = Code("list.xls", "this is an Excel 97-2003 (.xls) workbook or a password-protected one, which are not read; "
           "save it as .xlsx without a password, or as CSV")
NOT_A_SHEET = Code("list.not_a_sheet", "not an XLSX or CSV file ({what})")
NAMED_XLSX = Code("list.named_xlsx", "the file is named as an XLSX workbook but is not one; save it again from "
                  "Excel as .xlsx or as CSV")
TOO_MANY_COLUMNS = Code("list.too_many_columns", "row {row} has values beyond column {limit}, the most that is read; "
                        "remove the columns that are not part of the list")
TOO_MANY_ROWS = Code("list.too_many_rows", "the sheet has more than {limit:,} rows of data, the most that is read "
                     "at once; split the list into several files")
SHEET_EMPTY = Code("list.sheet_empty", "the sheet is empty")
ZIP_DAMAGED = Code("list.zip_damaged", "the file looks like an XLSX workbook but its zip archive is damaged")
TOO_MANY_PARTS = Code("list.too_many_parts", "the XLSX archive has more than {n:,} parts, which is refused")
ODS = Code("list.ods", "OpenDocument spreadsheets (.ods) are not read; save the file as .xlsx or CSV")
XLSB = Code("list.xlsb", "binary Excel workbooks (.xlsb) are not read; save the file as .xlsx or CSV")
PASSWORD = Code("list.password", "the workbook is password-protected; save it without a password")
COMPRESSION = Code("list.compression",
                   "the XLSX archive uses a compression method Excel does not write, which is refused")
UNPACKS_TOO_LARGE = Code("list.unpacks_too_large", "the workbook would unpack to more than {n} MB, which is refused "
                         "(a zip bomb, or a list far larger than one import)")
RATIO = Code("list.compression_ratio",
             "a part of the workbook is compressed more than {n} to 1, the mark of a zip bomb, which is refused")
NO_DEFUSEDXML = Code("list.no_defusedxml", "XLSX files cannot be read safely on this server (the XML parser is not "
                     "protected by defusedxml); save the list as CSV")
ENTITIES = Code("list.xml_entities", "the file contains XML entity declarations, which are refused")
XLSX_DAMAGED = Code("list.xlsx_damaged", "the XLSX workbook is damaged or is not an Excel workbook")
NO_VISIBLE_SHEET = Code("list.no_visible_sheet", "the workbook has no visible worksheet")
BEYOND_LAST_ROW = Code("list.beyond_last_row",
                       "the sheet has rows beyond row {row:,}, Excel's last row; the file is damaged")
WORKSHEET_DAMAGED = Code("list.worksheet_damaged", "the XLSX workbook is damaged: a worksheet cannot be read")
HTML = Code("list.html", "this is a web page (HTML) saved under a spreadsheet's name; open it in Excel and save it "
            "as .xlsx or CSV")
XML_SHEET = Code("list.xml_sheet", "XML spreadsheets (Excel 2003 XML) are not read; save the file as .xlsx or CSV")
TOO_MANY_LINES = Code("list.too_many_lines", "the file has more than {limit:,} lines, more than Excel can open")
CSV_UNREADABLE = Code("list.csv_unreadable", "the CSV file cannot be read after row {row}: {why}")


# -- monitoring: proof of life, contact, conditions -------------------------------------------------------------
MONITOR_ROLES = Code("person.monitor_roles", "only {roles} members of a party record monitoring")
CONTACT_MEANS = Code("person.contact_means",
                     "a contact says how it was made (call, letter, message_via_mediator, other)")
CONDITIONS_STATE = Code("person.conditions_state", "a statement of conditions says whether they are known or unknown")
CONDITIONS_DESCRIBED = Code("person.conditions_described", "known conditions need their description")
OBSERVATION_DATE = Code("person.observation_date", "a proof of life or a contact needs its date")
SOURCE_MEDIATOR = Code("person.source_mediator", "only a mediator states its own observation (source kind 'mediator')")
SOURCE_AFTER_RECORD = Code("person.source_after_record", "the source's date lies after the record's own time")

# -- access to places of detention -------------------------------------------------------------------------------
ACCESS_ASK_ROLES = Code("access.ask_roles", "only {roles} members of a mediator ask for access to a place of detention")
ACCESS_ANSWER_ROLES = Code("access.answer_roles", "only {roles} members answer a request for access")
NO_ACCESS_REQUEST = Code("access.not_found", "no request for access {request!r}")
ACCESS_EXISTS = Code("access.exists", "request for access {request!r} already exists")
ACCESS_HOLDER = Code("access.holder", "the holding party must be a belligerent party")
ACCESS_NOT_HOLDER = Code("access.not_holder", "only the holding party {party!r} answers this request")
ACCESS_ANSWERED = Code("access.answered", "this request was already answered ({state})")
ACCESS_AUDIENCE = Code("access.audience", "a request for access is read by the parties it names only; {token!r} is "
                       "not allowed")
ACCESS_HOLDER_AUDIENCE = Code("access.holder_audience", "the holding party {party!r} must be in the audience")
ACCESS_ANSWER_AUDIENCE = Code("access.answer_audience", "an answer has the request's audience")
ACCESS_VISIT_DATE = Code("access.visit_date", "access granted needs the date of the visit")
ACCESS_REASON = Code("access.reason", "a refusal needs its reason")
ACCESS_POSITION = Code("access.position", "a position needs both latitude and longitude")


# -- a list's own party, a rejected row corrected, a match decision reversed -------------------------------------
OWN_PARTY_CHOICE = Code("list.own_party_choice",
                        "a list of prisoners of war names the persons' own party, or says that it is unknown "
                        "(own_party=unknown); otherwise the other party never sees them")
ROW_NOT_REJECTED = Code("list.row_not_rejected", "row {row} of the list was not rejected; only a rejected row is "
                        "corrected and submitted again")
ROW_ALREADY_CORRECTED = Code("list.row_already_corrected", "row {row} of the list was already corrected and registered")
ROW_STILL_REJECTED = Code("list.row_still_rejected", "the corrected row is still rejected: {why}")
ROW_CORRECTED_BY_REPORTER = Code("list.row_corrected_by_reporter",
                                 "only the party that imported a list corrects its rejected rows")
NO_DECISION = Code("match.no_decision", "no match decision at record {index} between these two records that you may "
                   "read")
DECISION_NOT_CURRENT = Code("match.not_current", "the decision of record {index} is no longer in force; there is "
                            "nothing to reverse")
WITHDRAW_OWN = Code("match.withdraw_own", "only the party that made a match decision, or a mediator, reverses it")
WITHDRAW_AUDIENCE = Code("match.withdraw_audience", "a reversal has the audience of the decision it reverses")
WITHDRAW_REASON = Code("match.withdraw_reason", "say why the decision is reversed")

CODES: tuple[Code, ...] = tuple(v for v in dict(globals()).values() if isinstance(v, Code))

# -- retention and destruction ---------------------------------------------------------------------------------
SALT_REQUIRED = Code("person.salt_required",
                     "a record with personal data carries a random salt (records.compose adds one)")
DESTROY_ROLES = Code("person.destroy_roles", "only {roles} members destroy a person's data")
REPORTER_DESTROYS = Code("person.reporter_destroys",
                         "only the reporting party's admins destroy its report of a person")
ALREADY_DESTROYED = Code("person.already_destroyed", "the data of person {person!r} was destroyed by record {index}")
DESTROY_AUDIENCE = Code("person.destroy_audience", "a destruction has the audience of the person it destroys")
RETENTION_ROLES = Code("retention.roles", "only {roles} members set their party's retention rules")
RETENTION_AUDIENCE = Code("retention.audience", "retention rules are read by every party: their audience is all")
FILER_DESTROYS = Code("inquiry.filer_destroys",
                      "only the admins of the party an inquiry was filed with destroy it")
INQUIRY_DESTROYED = Code("inquiry.already_destroyed",
                         "the data of inquiry {inquiry!r} was destroyed by record {index}")
INQUIRY_DESTROY_AUDIENCE = Code("inquiry.destroy_audience",
                                "a destruction has the audience of the inquiry it destroys")

