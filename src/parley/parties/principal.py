"""Who is acting: an active member with their party and roles, as the read policy and the record kinds
see them. ``parley.auth`` resolves a request's API token or session cookie to one; services and pages
take one, without knowing how it was found."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from parley.db import on_commit_changing
from parley.parties.models import Credential, Member, Party


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


class Principals:
    """The active member behind an API token (``"t:" + its hash``) or a signed-in member id (``"m:" + id``),
    kept for ``ttl`` seconds so a request does not look them up in the database every time.

    Whatever this runtime commits to members, parties or credentials (a member deactivated, roles changed, a
    token replaced, a party renamed) clears the cache when that transaction commits (``watch``): a change
    made here is seen by the next request. Another process writing to the same database (a second server,
    an operator's command) is seen within ``ttl``. A lookup that began before a clearing is not kept
    (the generation it read is stale). Only active members are kept; an unknown token or an inactive member
    is looked up every time. At most ``limit`` entries (the oldest goes first)."""

    WATCHED = (Member, Party, Credential)

    def __init__(self, ttl: float, limit: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.limit, self.clock = ttl, limit, clock
        self._items: OrderedDict[str, tuple[float, Principal]] = OrderedDict()
        self._lock = threading.Lock()
        self.generation = 0

    def get(self, key: str) -> Principal | None:
        if self.ttl <= 0:
            return None
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                return None
            if hit[0] <= self.clock():
                del self._items[key]
                return None
            return hit[1]

    def put(self, key: str, p: Principal, generation: int) -> None:
        """Keep ``p`` under ``key`` if nothing was cleared since ``generation`` (read before the lookup)."""
        if self.ttl <= 0:
            return
        with self._lock:
            if generation != self.generation:
                return
            self._items[key] = (self.clock() + self.ttl, p)
            self._items.move_to_end(key)
            while len(self._items) > self.limit:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self.generation += 1
            self._items.clear()

    def watch(self, sessions: sessionmaker) -> None:
        """Clear the cache whenever a session of ``sessions`` commits a change to a member, a party or a
        credential (Parley changes them through the ORM only)."""
        on_commit_changing(sessions, self.WATCHED, self.clear)
