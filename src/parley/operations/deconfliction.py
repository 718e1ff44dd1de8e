"""What a plan's footprint meets: the zones valid during its window and the active operations overlapping it
in space and time.

``meets`` is the server's own view: it sees every zone and operation, readable or not, and is never shown to
a member as it is. A member is shown only the conflicts it may read (``service.deconflict``), never a count
or a hint of the others; a real proposal that meets something its proposer may not read leaves an alert for
the owner of that zone or operation and the mediators, and the proposer learns one bit
(``kinds._alert_unseen``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from parley.operations import geo
from parley.operations.models import ACTIVE, Operation, OperationVersion, Zone


@dataclass
class Hit:
    kind: str  # zone | operation
    id: str
    name: str
    what: str  # zone kind or operation status
    party: str  # the party that declared the zone or proposed the operation
    audience: str  # the audience of the record that made it
    mediator: str | None  # an operation's organising mediator
    overlap_km2: float  # area of the footprint's overlap, in km²
    start: datetime
    end: datetime

    @property
    def record_kind(self) -> str:
        """The kind of record that states it, for the read policy."""
        return "zone.declare" if self.kind == "zone" else "operation.propose"


def overlap_km2(a: Any, b: Any) -> float:
    inter = a.intersection(b)
    if inter.is_empty:
        return 0.0
    return round(geo.area_km2(inter), 3)


def zones_met(s: Session, footprint: Any, start: datetime, end: datetime,
              index: tuple[geo.Index, list[Zone]] | None = None) -> list[Hit]:
    """Zones in force during [start, end) whose shape meets the footprint, in the order they were declared.
    ``index``: a cached STRtree over the zones in force (reads); without it the zones are read from ``s``
    (inside the append transaction, where a cache shared between sessions must not be used)."""
    if index is not None:
        tree, rows = index
        found = [(rows[i], tree.shapes[i]) for i in tree.query(footprint, start.timestamp(), end.timestamp())]
    else:
        q = (select(Zone).where(Zone.withdrawn_idx.is_(None), Zone.valid_from < end, Zone.valid_until > start)
             .order_by(Zone.idx))
        found = []
        for z in s.execute(q).scalars():
            shape = geo.from_geojson(json.loads(z.geometry))
            if shape.intersects(footprint):
                found.append((z, shape))
    return [Hit("zone", z.id, z.name, z.kind, z.party, z.audience, None, overlap_km2(footprint, shape),
                z.valid_from, z.valid_until) for z, shape in found]


def operations_met(s: Session, footprint: Any, start: datetime, end: datetime,
                   exclude: str | None = None) -> list[Hit]:
    """Active operations whose current window overlaps [start, end) and whose footprint meets this one."""
    minx, miny, maxx, maxy = footprint.bounds
    q = (select(Operation, OperationVersion).join(OperationVersion, (OperationVersion.operation == Operation.id)
                                                  & (OperationVersion.version == Operation.version))
         .where(Operation.status.in_(ACTIVE), OperationVersion.window_start < end, OperationVersion.window_end > start,
                OperationVersion.min_lon <= maxx, OperationVersion.max_lon >= minx,
                OperationVersion.min_lat <= maxy, OperationVersion.max_lat >= miny)
         .order_by(Operation.created_idx))
    out = []
    for op, v in s.execute(q).all():
        if op.id == exclude:
            continue
        other = geo.from_geojson(json.loads(v.footprint))
        if not other.intersects(footprint):
            continue
        out.append(Hit("operation", op.id, op.title, op.status, op.party, op.audience, op.mediator,
                       overlap_km2(footprint, other), v.window_start, v.window_end))
    return out


def meets(s: Session, footprint: Any, start: datetime, end: datetime, exclude: str | None = None,
          index: tuple[geo.Index, list[Zone]] | None = None) -> list[Hit]:
    """Every zone and operation the footprint meets during [start, end), readable or not: the server's view."""
    return zones_met(s, footprint, start, end, index) + operations_met(s, footprint, start, end, exclude)
