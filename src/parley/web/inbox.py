"""What needs a member now (``parley.inbox``) in the page's language: each kind of item's sentence, as
``parley.inbox.TEXTS`` has it in English, marked here for the catalogue."""

from __future__ import annotations

from parley.inbox.service import Item
from parley.web.i18n import N_, NP_, gettext, ngettext

TEXTS: dict[str, str | tuple[str, str]] = {
    "answer_due": N_("Your party's answer to version {version} is due"),
    "message": NP_("{n} unread message for your party", "{n} unread messages for your party"),
    "signoff": N_("Your party's sign-off of version {version} of the terms is awaited"),
    "list_due": N_("Your party's list for the exchange is awaited"),
    "handover": NP_("{n} handover to confirm", "{n} handovers to confirm"),
    "review": NP_("{n} pair of records to review", "{n} pairs of records to review"),
    "inquiry": NP_("{n} open inquiry to answer", "{n} open inquiries to answer"),
}
ESCALATIONS: dict[str, str] = {
    "no_answer": N_("{party} has not answered by the deadline"),
    "unread_urgent": N_("An urgent message is unread by {party}"),
    "unseen_conflict": N_("The plan meets a zone or an operation that {party} may not read"),
}


def text(item: Item, lang: str, party_names: dict[str, str] | None = None) -> str:
    """What ``item`` says, in ``lang``; parties by their names in ``party_names`` (else their slugs)."""
    params = dict(item.params)
    if "party" in params and party_names:
        params["party"] = party_names.get(params["party"], params["party"])
    if item.kind == "escalation":
        return gettext(lang, ESCALATIONS[params.pop("reason")], **params)
    message = TEXTS[item.kind]
    if isinstance(message, tuple):
        return ngettext(lang, message[0], message[1], item.count, **params)
    return gettext(lang, message, **params)
