"""Ids a record picks for a new object are namespaced by its author's party: ``<party>-…``.

Creating an object under an id already taken has to be refused; if the object holding the id were one
its author may not read, that refusal would tell the author it exists. Within its own namespace an author
can only meet its own party's objects, which the party's writers read (a party always reads what it
stated), so "already exists" tells nothing new, and an id outside the namespace is refused before anyone
looks whether it is taken: an unreadable object and an absent one answer the same.

The owner of an id is the *longest* party slug it starts with followed by a dash, so that party ``un``
cannot pick ``un-ocha-…`` while party ``un-ocha`` exists. Inquiry references, which a family reads aloud,
carry the party in capitals: ``INQ-UA-7K3P-Q9XZ``.
"""

from __future__ import annotations

import secrets
from typing import Protocol

from sqlalchemy.orm import Session

from parley.errors import Unprocessable
from parley.parties.models import Party
from parley.records import codes as C

REF_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud over a telephone
REFERENCE = r"^INQ-[0-9A-Z][0-9A-Z_-]{0,62}-[0-9A-Z]{4}-[0-9A-Z]{4}$"


class Author(Protocol):
    @property
    def party(self) -> str: ...

    @property
    def session(self) -> Session: ...


def owner(s: Session, ident: str) -> str | None:
    """The party whose namespace ``ident`` lies in: the longest existing party slug it starts with, then a dash."""
    cuts = [i for i, ch in enumerate(ident) if ch == "-"]
    for i in reversed(cuts):
        if s.get(Party, ident[:i]) is not None:
            return ident[:i]
    return None


def require_own(ctx: Author, ident: str, field: str, what: str) -> None:
    """Refuse a new object's id outside its author's namespace (before looking whether the id is taken)."""
    if owner(ctx.session, ident) != ctx.party:
        raise Unprocessable(C.ID_PREFIX, what=what, prefix=ctx.party, field=field)


def reference_party(ref: str) -> str:
    """The party an inquiry reference names: ``INQ-UN-OCHA-7K3P-Q9XZ`` → ``un-ocha``."""
    return ref[4:-10].lower()


def require_own_reference(ctx: Author, ref: str, field: str) -> None:
    if reference_party(ref) != ctx.party:
        raise Unprocessable(C.INQUIRY_REF, party=ctx.party.upper(), field=field)


def new_id(party: str, what: str, nbytes: int = 4) -> str:
    """A fresh id in ``party``'s namespace, e.g. ``ua-op-1f2e3d4c``."""
    return f"{party}-{what}-{secrets.token_hex(nbytes)}"


def new_reference(party: str) -> str:
    """A fresh inquiry reference for ``party``, e.g. ``INQ-UA-7K3P-Q9XZ`` (40 random bits)."""
    def pick(n: int) -> str:
        return "".join(secrets.choice(REF_ALPHABET) for _ in range(n))

    return f"INQ-{party.upper()}-{pick(4)}-{pick(4)}"
