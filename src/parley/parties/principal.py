"""Who is acting: an active member with their party and roles, as the read policy and the record kinds
see them. ``parley.auth`` resolves a request's API token or session cookie to one; services and pages
take one, without knowing how it was found."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from parley.parties.models import Member, Party


@dataclass(frozen=True)
class Principal:
    member: str
    party: str
    party_kind: str
    roles: frozenset[str]
    display_name: str

    @property
    def is_mediator(self) -> bool:
        """A member of a mediator party: every audience admits them (``policy.reads_every_party``);
        what each kind lets their roles read still applies."""
        return self.party_kind == "mediator"


def load_principal(s: Session, member_id: str) -> Principal | None:
    m = s.get(Member, member_id)
    if m is None or not m.active:
        return None
    p = s.get(Party, m.party)
    assert p is not None
    return Principal(member=m.id, party=p.slug, party_kind=p.kind, roles=m.role_set, display_name=m.display_name)
