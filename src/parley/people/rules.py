"""Who may write to the registry of persons: pure predicates, one per rule.

Each takes the actor (a signed-in ``Principal`` or a record's author, ``records.kinds.Context``) and, where the
rule depends on it, the object as a plain view (a ``Person`` or ``Inquiry`` row, or anything with the same
attributes); none opens a session or does I/O. The object is one the actor may read: every kind and every page
looks it up through the read policy first (``people.kinds.POLICY``), and one the actor may not read is absent.

The record kinds (``people.kinds``) enforce these when a record is applied, each refusal with its own message;
the pages ask the same predicates which links, forms and buttons to offer. What only the record can tell (its
audience, its fields) stays in the kinds.
"""

from __future__ import annotations

from typing import Protocol

from parley.parties.rules import Actor

WRITERS = frozenset({"registrar", "admin"})  # register persons, import lists, answer inquiries
DECIDERS = frozenset({"registrar", "admin", "negotiator"})  # decide whether two records are one person
# A party's public inquiry form is a member of its own with the role "intake" (a service account whose key the
# server holds): it files the inquiries families send directly, read by its own party only, and writes
# nothing else (every other kind leaves "intake" out of its writers).
FILERS = WRITERS | {"intake"}
# Destroy a person's data (``person.destroy``): irreversible, on a legal basis, so a party's admins only — not
# its registrars — and only for the party's own report (a mediator's admin never destroys a belligerent's).
DESTROYERS = frozenset({"admin"})
REPORTING_PARTIES = ("belligerent", "mediator")  # the kinds of party that report persons (not observers)
# State what a party's own monitoring found (proof of life, contact, conditions: ``person.monitor``): its registrars
# and negotiators (who keep the contacts), and admins; a mediator's for its own monitoring.
MONITORS = frozenset({"registrar", "negotiator", "admin"})
# Ask for access to a place of detention (a mediator's), and answer (the holding party's).
ACCESS = frozenset({"negotiator", "liaison", "admin"})


class PersonView(Protocol):
    @property
    def party(self) -> str: ...  # the reporting party


class AccessView(Protocol):
    @property
    def holder(self) -> str: ...  # the holding party

    @property
    def state(self) -> str: ...  # asked | granted | refused


class InquiryView(Protocol):
    @property
    def party(self) -> str: ...  # the filing party

    @property
    def status(self) -> str: ...  # open | answered | closed


# -- the parts ---------------------------------------------------------------------------------------
def writes_registry(who: Actor) -> bool:
    """Registrars and admins write to the registry."""
    return bool(who.roles & WRITERS)


def reports_persons(who: Actor) -> bool:
    """Parties (belligerents and mediators) report persons; an observer does not."""
    return who.party_kind in REPORTING_PARTIES


def reported(who: Actor, person: PersonView) -> bool:
    """``who``'s party reported ``person``: it corrects its own report; another party registers its own."""
    return who.party == person.party


def answers_for(who: Actor, inquiry: InquiryView) -> bool:
    """The filing party and the mediators answer an inquiry."""
    return who.party == inquiry.party or who.party_kind == "mediator"


def is_open(inquiry: InquiryView) -> bool:
    return inquiry.status in ("open", "answered")


def files_for_own_party_only(who: Actor) -> bool:
    """The public inquiry form (an intake account without a writer's role) files for its own party only."""
    return not writes_registry(who)


# -- the rules, as the kinds enforce them and the pages offer them -----------------------------------
def may_register(who: Actor) -> bool:
    """``person.register``."""
    return writes_registry(who) and reports_persons(who)


def may_correct(who: Actor, person: PersonView) -> bool:
    """``person.update`` of ``person``."""
    return writes_registry(who) and reported(who, person)


def may_record_event(who: Actor) -> bool:
    """``person.event`` (captured, visited, released …) on a person ``who`` reads."""
    return writes_registry(who)


def may_import_list(who: Actor) -> bool:
    """``list.import``, the report of an imported list (each accepted row is a ``person.register``)."""
    return writes_registry(who)


def may_decide_match(who: Actor) -> bool:
    """``match.decide``: same person or different persons, of two records ``who`` reads."""
    return bool(who.roles & DECIDERS)


class DecisionView(Protocol):
    @property
    def party(self) -> str: ...  # the party that decided


def may_withdraw_match(who: Actor, decision: DecisionView) -> bool:
    """``match.withdraw``: a decision made by mistake is reversed by a member who decides matches, of the party
    that made it or of a mediator."""
    return may_decide_match(who) and (who.party == decision.party or who.party_kind == "mediator")


def may_file_inquiry(who: Actor) -> bool:
    """``inquiry.file`` (the public inquiry form only for its own party, ``files_for_own_party_only``)."""
    return bool(who.roles & FILERS)


def may_add(who: Actor, inquiry: InquiryView) -> bool:
    """``inquiry.add``: the family adds to its open inquiry, through its party's public form or a registrar of the
    party it filed with."""
    return bool(who.roles & FILERS) and who.party == inquiry.party and is_open(inquiry)


def may_release_inquiry(who: Actor, inquiry: InquiryView) -> bool:
    """``inquiry.release``: the filing party's registrars and admins release an inquiry for other tracing tools
    (the family asked that party; a mediator never releases a belligerent's inquiry)."""
    return writes_registry(who) and who.party == inquiry.party


def may_decide(who: Actor, inquiry: InquiryView) -> bool:
    """``inquiry.decide``: confirm or reject a candidate, send the family a message, close the inquiry."""
    return writes_registry(who) and answers_for(who, inquiry) and is_open(inquiry)


def may_destroy_any(who: Actor) -> bool:
    """``person.destroy`` at all: a party's admin."""
    return bool(who.roles & DESTROYERS)


def may_set_retention(who: Actor) -> bool:
    """``retention.rules``: a party's admin sets how long what the party reports is kept."""
    return may_destroy_any(who)


def may_destroy_inquiry(who: Actor, inquiry: InquiryView) -> bool:
    """``inquiry.destroy``: an admin of the party the inquiry was filed with (the family's request is made
    to it; a mediator's admin destroys the inquiries filed with the mediator)."""
    return may_destroy_any(who) and who.party == inquiry.party


def may_destroy(who: Actor, person: PersonView) -> bool:
    """``person.destroy`` of ``person``: an admin of the party that reported it."""
    return may_destroy_any(who) and reported(who, person)


def may_monitor(who: Actor) -> bool:
    """``person.monitor``: proof of life, a contact, the conditions, on a person ``who`` reads, as ``who``'s party's
    own statement (its source says whose words)."""
    return bool(who.roles & MONITORS) and reports_persons(who)


def may_ask_access(who: Actor) -> bool:
    """``place.access_request``: a mediator asks the holding party for access to a place of detention."""
    return who.party_kind == "mediator" and bool(who.roles & ACCESS)


def holds(who: Actor, request: AccessView) -> bool:
    """``who``'s party is the holding party the request was made to."""
    return who.party == request.holder


def is_answered(request: AccessView) -> bool:
    return request.state != "asked"


def may_answer_access(who: Actor, request: AccessView) -> bool:
    """``place.access_answer``: the holding party answers once (granted or refused); until then it is silent, and
    its silence is never an answer."""
    return bool(who.roles & ACCESS) and holds(who, request) and not is_answered(request)
