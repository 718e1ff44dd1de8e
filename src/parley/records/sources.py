"""Where a stated fact comes from, and how far it is confirmed.

Principle 5: every fact is signed by whoever stated it. A record is signed by a member of a party; what the
member records is often what someone else said — a minister's statement, a media report citing officials,
anonymous officials, a document. ``Source`` says which, who spoke (and for which body), when, where it was
published, the words as quoted, and its confirmation. A record without a source is the signing party's own
statement (``kind`` "party_statement" with nobody named).

The kinds of source, from the most to the least attributable:

- ``party_statement``: the party's own statement (a ministry's announcement, a communiqué);
- ``named_official``: an official speaking, named in ``speaker`` (with ``body``: the ministry, directorate);
- ``mediator``: the mediator's own observation or statement;
- ``document``: a written document (an act, a list, a communiqué's text), named in ``reference``;
- ``media_citing_officials``: a media report (``outlet``) citing officials;
- ``anonymous_officials``: officials not named (as reported by ``outlet`` if any);
- ``media_report``: a media report with no official cited.

``confirmation``: ``confirmed`` (by the other side, the mediator or a document), ``unconfirmed`` (the
default), ``preliminary`` (the source calls it preliminary), ``disputed`` (another source contradicts it)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import StringConstraints, model_validator

from parley.errors import Code, Invalid
from parley.records.kinds import Payload

SOURCE_KINDS = ("party_statement", "named_official", "mediator", "document", "media_citing_officials",
                "anonymous_officials", "media_report")
CONFIRMATIONS = ("confirmed", "unconfirmed", "preliminary", "disputed")
# Sources whose word alone is hearsay: no party, official or document stands behind it.
HEARSAY_KINDS = ("anonymous_officials", "media_report", "media_citing_officials")


def is_hearsay(kind: str, confirmation: str) -> bool:
    """A fact known only from anonymous officials or the media, not confirmed: shown as reported, never as fact."""
    return kind in HEARSAY_KINDS and confirmation != "confirmed"
Short = Annotated[str, StringConstraints(max_length=200, strip_whitespace=True)]
Quote = Annotated[str, StringConstraints(max_length=2000)]
Url = Annotated[str, StringConstraints(max_length=500, pattern=r"^(https?://[^\s]+)?$")]

NEEDS_SPEAKER = Code("source.needs_speaker", "a named official's statement needs the official's name (speaker)")
NEEDS_OUTLET = Code("source.needs_outlet", "a media report needs the outlet that published it")
NEEDS_REFERENCE = Code("source.needs_reference", "a document needs its reference (title or number)")
ANONYMOUS_NAMED = Code("source.anonymous_named", "anonymous officials have no speaker; name the outlet instead")
CODES = (NEEDS_SPEAKER, NEEDS_OUTLET, NEEDS_REFERENCE, ANONYMOUS_NAMED)


class Source(Payload):
    kind: Literal["party_statement", "named_official", "mediator", "document", "media_citing_officials",
                  "anonymous_officials", "media_report"] = "party_statement"
    speaker: Short = ""  # who spoke: "Iryna Vereshchuk, Deputy Prime Minister"
    body: Short = ""  # the body the speaker speaks for, inside the party: "Ministry of Defence"
    outlet: Short = ""  # where it was published: "Segodnya", "CNN"
    stated_on: date | None = None  # when it was said or published
    reference: Short = ""  # a document's or report's reference: "seed 004", "communiqué of 3 March 2022"
    url: Url = ""
    quote: Quote = ""  # the words as published
    confirmation: Literal["confirmed", "unconfirmed", "preliminary", "disputed"] = "unconfirmed"

    @model_validator(mode="after")
    def _shape(self) -> Source:
        if self.kind == "named_official" and not self.speaker:
            raise Invalid(NEEDS_SPEAKER)
        if self.kind in ("media_citing_officials", "media_report") and not self.outlet:
            raise Invalid(NEEDS_OUTLET)
        if self.kind == "document" and not self.reference:
            raise Invalid(NEEDS_REFERENCE)
        if self.kind == "anonymous_officials" and self.speaker:
            raise Invalid(ANONYMOUS_NAMED)
        return self

    def said_by(self) -> str:
        """Who said it, in a line: the speaker (and body), the outlet, or the document."""
        parts = [p for p in (self.speaker, self.body) if p]
        if self.outlet and self.kind != "named_official":
            parts.append(self.outlet)
        if not parts and self.reference:
            parts.append(self.reference)
        return ", ".join(parts)
