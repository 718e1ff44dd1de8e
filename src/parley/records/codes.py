"""The refusals of the spine: the record text, the pipeline, the parties, members and keys kinds, identifiers,
the write service, who is calling and the log served over HTTP. Each is a stable code and its English template
(``parley.errors.Code``), the text the API and the log show; raised with its parameters
(``NotFound(NO_MEMBER, member=…, field="member")``). Pages and the command line show each code's own message in the
reader's language (``parley.web.refusals.BY_CODE``). The capabilities declare theirs beside them
(``parley.operations.codes``, ``parley.people.codes``); parties' own are in ``parley.parties.codes``."""

from __future__ import annotations

from parley.errors import Code

# -- the record text (records/format.py) ---------------------------------------------------------------------
AUDIENCE_SIZE = Code("record.audience_size", "audience must list 1 to 64 distinct tokens")
AUDIENCE_TOKEN = Code("record.audience_token", "unknown audience token {token!r}")
AUDIENCE_ONLY = Code("record.audience_only", "an audience closed with 'only' must name its readers and cannot be "
                     "'all' or 'public'")
IMPOSSIBLE_TIME = Code("record.impossible_time", "impossible time {time!r}")
TEXT_INCOMPLETE = Code("record.text_incomplete", "record text is incomplete")
TEXT_HEADER = Code("record.text_header", "record text must start with {header!r}")
TEXT_LINE = Code("record.text_line", "record line {line!r} is missing or out of order")
REF_LINE = Code("record.ref_line", "malformed ref line: must be 'ref <64 lowercase hex>'")
TOO_MANY_REFS = Code("record.too_many_refs", "at most {limit} distinct refs")
PAYLOAD_LINE = Code("record.payload_line", "record must end with 'payload sha256:<64 hex>'")
AUTHOR_FORM = Code("record.author_form", "author must be '<party>/<member>' of the record's party")
KIND_FORM = Code("record.kind_form", "malformed kind")
TIME_FORM = Code("record.time_form", "time must be YYYY-MM-DDTHH:MM:SSZ")
NOT_CANONICAL = Code("record.not_canonical", "record text is not in canonical form")
PAYLOAD_JSON = Code("record.payload_json", "payload is not canonicalisable JSON: {why}")
# A payload its kind's schema refuses: ``detail`` is pydantic's ("plan.route Value error, …"); ``type`` its error
# type, ``limit`` a length or bound it names, ``reason`` and ``reason_params`` a validator's own code.
PAYLOAD = Code("record.payload_invalid", "payload of {kind}: {detail}")

# -- the pipeline (records/pipeline.py) ----------------------------------------------------------------------
TOO_LARGE = Code("record.too_large", "a record is at most {limit} bytes; this one is {size}")
NOTE_MALFORMED = Code("record.note_malformed", "malformed signed note: {why}")
OTHER_LOG = Code("record.other_log", "record is for log {origin!r}, this log is {log!r}")
UNKNOWN_KIND = Code("record.unknown_kind", "unknown record kind {kind!r}")
ONE_SIGNATURE = Code("record.one_signature", "the record must carry exactly one signature by its author's key")
PAYLOAD_HASH = Code("record.payload_hash", "payload does not match the record's payload hash")
CLOCK_SKEW = Code("record.clock_skew", "record time {time} is more than {skew} from the log's clock")
BATCH_FAILED = Code("log.batch_failed", "the log could not store this batch; retry")
DISK_FULL = Code("log.disk_full", "the log's disk is full: nothing was stored; retry later")
DATABASE_DOWN = Code("log.database_unavailable", "the log's database did not answer: nothing was stored; retry shortly")
CHECKPOINT_MISSING = Code("log.checkpoint_missing", "the log's previous checkpoint is missing; refusing to extend it")
REFUSES_WRITES = Code("log.refuses_writes", "the log refuses writes: {why}")
# The log's tree is behind a checkpoint a witness cosigned (an older backup restored without a mirror): reads are
# served, writes refused until the missing entries are restored (docs/operations.md, "Restore").
BEHIND_WITNESSES = Code("log.behind_witnesses",
                        "the log refuses writes: {missing} cosigned by the witness {witness} but not in this "
                        "server's database; restore them from a mirror (parley restore --mirror, docs/operations.md)")
CHECKPOINT_NOT_RECORDED = Code("log.checkpoint_not_recorded", "the record was stored but the log could not record "
                               "its checkpoint; retry later to get its receipt")
INIT_SIGNATURE = Code("deployment.init_signature", "deployment.init must be signed by the key it registers")
NO_SIGNING_KEY = Code("record.key_unknown", "no key {key} registered for {author}")
KEY_WAS_REVOKED = Code("record.key_revoked", "key {key} of {author} was revoked at record {index}")
NOT_ACTIVE = Code("record.author_inactive", "{author} is not an active member")
ROLE_KIND = Code("record.role_may_not_write", "role {roles!r} may not write {kind} records")
BAD_SIGNATURE = Code("record.bad_signature", "the author's signature does not verify")
MIN_AUDIENCE = Code("record.min_audience", "{kind} records must be readable by {audience!r}")
AUDIENCE_PARTY = Code("record.audience_party_unknown", "audience names unknown party {party!r}")
REF_UNKNOWN = Code("record.ref_unknown", "a ref names a record that is not in the log")

# -- identifiers (records/ids.py) ----------------------------------------------------------------------------
ID_PREFIX = Code("record.id_prefix", "the id of a new {what} starts with your party's slug and a dash ({prefix}-…)")
INQUIRY_REF = Code("record.inquiry_reference", "an inquiry's reference names the filing party: INQ-{party}-…")

# -- the spine's kinds: deployment, parties, members, keys (records/kinds.py) --------------------------------
NOT_MANAGER = Code("member.not_manager", "only an admin of party {party!r} manages its members and keys")
NOT_MANAGER_MEDIATOR = Code("member.not_manager_mediator", "only an admin of party {party!r} manages its members "
                            "and keys (a mediator's admin does so only while the party has no admin of its own)")
VKEY_MALFORMED = Code("key.malformed", "malformed verifier key: {why}")
VKEY_ALGORITHM = Code("key.algorithm", "member keys must be Ed25519 note keys (algorithm 0x01)")
VKEY_NAME = Code("key.name", "key name must be {name!r}")
KEY_EXISTS = Code("key.exists", "this key is already registered")
NO_MEMBER = Code("member.not_found", "no member {member!r}")
NOT_FIRST = Code("deployment.not_first", "deployment.init is only valid as the first record of the log")
INIT_AUTHOR = Code("deployment.init_author", "deployment.init must be authored by the member it creates")
CREATE_PARTIES = Code("party.create_by_mediator", "only an admin of a mediator party may create parties")
PARTY_EXISTS = Code("party.exists", "party {party!r} already exists")
PARTY_PREFIX = Code("party.shares_prefix", "party {party!r} would share the id prefix of party {other!r}")
NO_PARTY = Code("party.not_found", "no party {party!r}")
MEMBER_EXISTS = Code("member.exists", "member {member!r} already exists")
NOTHING_TO_CHANGE = Code("member.nothing_to_change", "nothing to change")
SELF_DEMOTE = Code("member.self_demote", "an admin cannot deactivate or demote themself; ask another admin")
SELF_WIDEN = Code("member.self_widen", "nobody widens their own powers: another admin of your party gives you a role")
NO_KEY = Code("key.not_found", "member {member!r} has no key {key}")
KEY_REVOKED = Code("key.already_revoked", "key {key} was already revoked")

# -- writing as a member (submit.py) -------------------------------------------------------------------------
NO_CUSTODY_KEY = Code("submit.no_custody_key",
                      "the server holds no signing key for you; sign records with your own key")
NOT_CONFIRMED_RESUBMIT = Code("submit.not_confirmed_resubmit", "the log did not confirm the record in time; it may "
                              "still be appended: submit the same record again for its receipt")
NOT_CONFIRMED = Code("submit.not_confirmed", "the log did not confirm the record in time; it may still be appended")

# -- who is calling (auth.py) --------------------------------------------------------------------------------
BEARER = Code("auth.bearer", "use 'Authorization: Bearer <token>'")
UNKNOWN_TOKEN = Code("auth.unknown_token", "unknown API token")
MEMBER_INACTIVE = Code("auth.member_inactive", "this member is not active")
SIGN_IN = Code("auth.sign_in", "sign in or send an API token")
NEEDS_ROLE = Code("auth.needs_role", "this needs one of the roles: {roles}")

# -- the log and its members over HTTP (logserver/) ----------------------------------------------------------
NO_CHECKPOINT = Code("log.no_checkpoint", "the log has no published checkpoint yet")
NO_TILE = Code("log.no_tile", "no such tile: {why}")
BUNDLES_AUDITORS = Code("log.bundles_auditors",
                        "entry bundles hold every record's signed text; only a mediator's auditors read them")
PAYLOADS_MIRRORS = Code("log.payloads_mirrors",
                        "payload bundles hold every record's content; only the mirrors this log names (a mediator's "
                        "auditor listed in PARLEY_MIRROR_MEMBERS) read them")
BEYOND_TREE = Code("log.beyond_tree", "beyond the published tree")
TILE_NODES = Code("log.tile_nodes_missing", "the log is missing nodes of this tile")
NO_RECORD = Code("log.record_not_found", "no record {index} that you may read")
CONSISTENCY_RANGE = Code("log.consistency_range", "need 1 <= old <= new <= the current tree size")
OWN_RECORDS = Code("record.not_author", "a member may only submit records they authored")

CODES: tuple[Code, ...] = tuple(v for v in dict(globals()).values() if isinstance(v, Code))

# -- personal data destroyed (records/sealing.py) -------------------------------------------------------------
SUBJECT_DESTROYED = Code("record.subject_destroyed", "the personal data of {subject} was destroyed by record {index}")
