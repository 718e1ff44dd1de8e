"""When a person was last known to be alive, and by whom: a pure function of the person's events as one reader
may read them (``people.service.last_alive`` hands it the events that reader may read, so no one learns it from
a statement they may not read).

What counts (``ALIVE``): an observation that someone saw, heard or had proof of the person alive — a proof of
life, a contact, a visit — and the events in which a person is taken or handed over alive: captured, detained,
hospitalised, released, repatriated. A registration alone, a ``held_at`` or ``transferred`` (a list's place, not
an observation), a statement of conditions and a report of going missing do not count. An event with no date
says nothing about when, and does not count either.

A death ends it (``ENDS``: died, remains recovered or returned): once any readable event records a death, the
person is not "last known alive" any more, and ``Alive.died`` says so (the statements before and after it stay in
the history, as each party made them).

Dates are partial (``2022``, ``2022-05``, ``2022-05-17``). Two that cannot be ordered — one period holds the other
(``2022`` and ``2022-05-17``) — are ordered by the log: the later statement wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

ALIVE = ("proof_of_life", "contact", "visited", "captured", "detained", "hospitalised", "released", "repatriated")
ENDS = ("died", "remains_recovered", "remains_returned")


class EventView(Protocol):
    @property
    def idx(self) -> int: ...

    @property
    def event(self) -> str: ...

    @property
    def date(self) -> str: ...

    @property
    def party(self) -> str: ...


@dataclass(frozen=True)
class Alive:
    date: str  # the partial date the person was last known alive on ("" once dead)
    party: str  # the party that stated it
    event: str  # which event
    index: int  # its record
    died: bool = False  # a readable event records the person's death

    def as_dict(self) -> dict[str, object]:
        return {"date": self.date, "party": self.party, "event": self.event, "index": self.index, "died": self.died}


def later(new: str, old: str) -> bool:
    """Does the partial date ``new``, stated after ``old`` in the log, replace it as the last known?"""
    if new.startswith(old) or old.startswith(new):  # one period holds the other: the later statement
        return True
    return new > old


def last_known_alive(events: Iterable[EventView]) -> Alive | None:
    """The last event that shows the person alive, or, once dead, an ``Alive`` with ``died`` and no date (the
    index the death's record); None when nothing readable shows either."""
    best: EventView | None = None
    death: EventView | None = None
    for e in sorted(events, key=lambda x: x.idx):
        if e.event in ENDS:
            death = death or e
        elif e.event in ALIVE and e.date and (best is None or later(e.date, best.date)):
            best = e
    if death is not None:
        return Alive("", death.party, death.event, death.idx, died=True)
    if best is None:
        return None
    return Alive(best.date, best.party, best.event, best.idx)
