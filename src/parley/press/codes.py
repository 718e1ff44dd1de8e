"""The refusals of the press desk. Each a stable code and its English template (``parley.errors.Code``)."""

from __future__ import annotations

from parley.errors import Code

MEMBERS_ONLY = Code("statement.members_only", "only members write statements")
NO_STATEMENT = Code("statement.not_found", "no statement '{statement}'")
EXISTS = Code("statement.exists", "statement '{statement}' already exists")
VERSION_NEXT = Code("statement.version_next", "statement '{statement}' is at version {current}; the next is "
                    "{expected}")
VERSION_STALE = Code("statement.version_stale", "statement '{statement}' is at version {current}, not {version}: "
                     "read the current text before you approve it")
HASH_MISMATCH = Code("statement.hash_mismatch", "the SHA-256 given is not that of version {version} of statement "
                     "'{statement}' ({sha256})")
OWN_DRAFT = Code("statement.own_draft", "you wrote version {version} of statement '{statement}': a second member "
                 "approves it")
APPROVED = Code("statement.approved", "statement '{statement}' is already approved; a correction is a new "
                "statement that corrects it")
WITHDRAWN = Code("statement.withdrawn", "statement '{statement}' is withdrawn")
AUDIENCE = Code("statement.audience", "a statement's records are addressed to '{expected}' until it is released")
NO_OBJECT = Code("statement.object_not_found", "no {object} '{object_id}' that you may read")
EMBARGO_PAST = Code("statement.embargo_past", "an embargo until {until} has already ended")
EMBARGO_ONE = Code("statement.embargo_one", "an embargo is until a time or until an event, not both")
CORRECTS = Code("statement.corrects", "statement '{statement}' is not a released statement of your party; only "
                "one can be corrected")
NO_PUBLIC_RECORD = Code("public.no_record", "record {index} is not public")
NO_PUBLISHED = Code("public.no_checkpoint", "no checkpoint has been published yet")
CONSISTENCY_RANGE = Code("public.consistency_range", "give 1 <= old <= new <= the published size ({size})")
FIGURES_SUBJECT = Code("figures.subject", "figures of an operation name the operation; figures of inquiries name the "
                       "day they run until")
FIGURES_ROLES = Code("figures.roles", "only {roles} members release their party's figures")
FIGURES_EXISTS = Code("figures.exists", "figures '{release}' are already released")
FIGURES_UNTIL = Code("figures.until", "figures of inquiries run until a day that has ended")
FIGURES_NOTHING = Code("figures.nothing", "there is nothing to release: the operation is not completed, or your party "
                       "reported no outcome of it")
FIGURES_DIFFER = Code("figures.differ", "the figures are not those Parley computes from the log; release them as "
                      "computed")
FIGURES_CODES = (FIGURES_SUBJECT, FIGURES_ROLES, FIGURES_EXISTS, FIGURES_UNTIL, FIGURES_NOTHING, FIGURES_DIFFER)
CODES = (*FIGURES_CODES, NO_PUBLIC_RECORD, NO_PUBLISHED, CONSISTENCY_RANGE, MEMBERS_ONLY, NO_STATEMENT, EXISTS,
         VERSION_NEXT, VERSION_STALE, HASH_MISMATCH, OWN_DRAFT, APPROVED, WITHDRAWN, AUDIENCE, NO_OBJECT, EMBARGO_PAST,
         EMBARGO_ONE, CORRECTS)
