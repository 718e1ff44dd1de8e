"""Geometry of operations and zones: strict RFC 7946 validation, metric buffers and the spatial index
that deconflicts a proposal against declared zones and other operations.

Coordinates are WGS84 longitude, latitude (RFC 7946 order). Buffers are computed in metres in the
UTM zone of the geometry's centre (pyproj), then brought back to WGS84, so every stored and compared
shape is in one coordinate system and the STRtree works on it directly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry

from parley.errors import Code, Unprocessable
from parley.operations import codes as C

MAX_VERTICES = 5000  # per geometry; a route drawn on a map has tens, a surveyed zone hundreds
MAX_BUFFER_M = 50_000


def _fail(code: Code, field: str, **params: Any) -> Unprocessable:
    return Unprocessable(code, field=field, **params)


def _position(p: Any, field: str) -> tuple[float, float]:
    if not isinstance(p, list | tuple) or len(p) not in (2, 3):
        raise _fail(C.POSITION, field)
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in p):
        raise _fail(C.NUMBERS, field)
    try:
        lon, lat = float(p[0]), float(p[1])
    except OverflowError:
        raise _fail(C.FINITE, field) from None
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise _fail(C.FINITE, field)
    if not -180 <= lon <= 180:
        raise _fail(C.LONGITUDE, field, lon=lon)
    if not -90 <= lat <= 90:
        raise _fail(C.LATITUDE_SWAPPED if -90 <= lon <= 90 else C.LATITUDE, field, lat=lat)
    return lon, lat


def point(obj: Any, field: str) -> Point:
    """A Point given as GeoJSON or as a bare [lon, lat]."""
    if isinstance(obj, dict):
        if obj.get("type") != "Point" or set(obj) - {"type", "coordinates"}:
            raise _fail(C.NOT_POINT, field)
        obj = obj.get("coordinates")
    return Point(_position(obj, field))


def _ring(ring: Any, field: str) -> list[tuple[float, float]]:
    if not isinstance(ring, list) or len(ring) < 4:
        raise _fail(C.RING_SHORT, field)
    pts = [_position(p, field) for p in ring]
    if pts[0] != pts[-1]:
        raise _fail(C.RING_OPEN, field)
    if len(set(pts)) < 3:
        raise _fail(C.RING_DISTINCT, field)
    return pts


def geometry(obj: Any, field: str, allowed: Sequence[str]) -> BaseGeometry:
    """Parse and validate a GeoJSON geometry; raise ``Unprocessable`` naming ``field`` on any defect."""
    if not isinstance(obj, dict):
        raise _fail(C.NOT_GEOMETRY, field)
    kind = obj.get("type")
    if kind not in allowed:
        raise _fail(C.GEOMETRY_TYPE, field, allowed=", ".join(allowed), kind=kind)
    if set(obj) - {"type", "coordinates", "bbox"}:
        raise _fail(C.GEOMETRY_MEMBERS, field)
    coords = obj.get("coordinates")
    if not isinstance(coords, list):
        raise _fail(C.NO_COORDINATES, field)
    count = _count(coords, field)
    if count > MAX_VERTICES:
        raise _fail(C.TOO_MANY_POSITIONS, field, count=count, limit=MAX_VERTICES)
    if kind == "Point":
        return Point(_position(coords, field))
    if kind == "LineString":
        pts = [_position(p, field) for p in coords]
        if len(set(pts)) < 2:
            raise _fail(C.ROUTE_SHORT, field)
        geom: BaseGeometry = LineString(pts)
    elif kind == "Polygon":
        if not coords:
            raise _fail(C.NO_RINGS, field)
        rings = [_ring(r, field) for r in coords]
        geom = Polygon(rings[0], rings[1:])
    elif kind == "MultiPolygon":
        if not coords:
            raise _fail(C.NO_POLYGONS, field)
        polys = []
        for poly in coords:
            if not isinstance(poly, list) or not poly:
                raise _fail(C.MEMBER_NO_RINGS, field)
            rings = [_ring(r, field) for r in poly]
            polys.append(Polygon(rings[0], rings[1:]))
        geom = MultiPolygon(polys)
    else:  # pragma: no cover - ``allowed`` only names the types above
        raise _fail(C.UNSUPPORTED_TYPE, field, kind=kind)
    if not geom.is_valid:
        raise _fail(C.INVALID_GEOMETRY, field, why=shapely.is_valid_reason(geom))
    if geom.is_empty:
        raise _fail(C.EMPTY_GEOMETRY, field)
    return geom


def _count(coords: Any, field: str, depth: int = 0) -> int:
    """Positions in a coordinates array; refuses arrays that mix positions with other members."""
    if depth > 4:
        raise _fail(C.NESTED, field)
    if coords and isinstance(coords[0], list):
        if not all(isinstance(c, list) for c in coords):
            raise _fail(C.MIXED, field)
        return sum(_count(c, field, depth + 1) for c in coords)
    return 1


def _apply(tr: Transformer, geom: BaseGeometry) -> BaseGeometry:
    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack((x, y))

    return shapely.transform(geom, fn)


@lru_cache(maxsize=128)
def _utm(zone: int, south: bool) -> tuple[Transformer, Transformer]:
    epsg = (32700 if south else 32600) + zone
    fwd = Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)
    back = Transformer.from_crs(f"EPSG:{epsg}", "EPSG:4326", always_xy=True)
    return fwd, back


def utm_for(geom: BaseGeometry) -> tuple[Transformer, Transformer]:
    c = geom.centroid
    zone = min(60, max(1, int((c.x + 180) // 6) + 1))
    return _utm(zone, c.y < 0)


def buffer_m(geom: BaseGeometry, metres: float) -> BaseGeometry:
    """``geom`` grown by ``metres`` on the ground, as a WGS84 polygon."""
    fwd, back = utm_for(geom)
    projected = _apply(fwd, geom)
    grown = projected.buffer(max(metres, 1.0), quad_segs=8)
    return shapely.make_valid(_apply(back, grown))


def length_km(geom: BaseGeometry) -> float:
    fwd, _ = utm_for(geom)
    return _apply(fwd, geom).length / 1000


def area_km2(geom: BaseGeometry) -> float:
    fwd, _ = utm_for(geom)
    return _apply(fwd, geom).area / 1e6


def distance_m(a: BaseGeometry, b: BaseGeometry) -> float:
    fwd, _ = utm_for(a)
    return _apply(fwd, a).distance(_apply(fwd, b))


def to_geojson(geom: BaseGeometry) -> dict[str, Any]:
    return mapping(geom)


def from_geojson(obj: dict[str, Any]) -> BaseGeometry:
    """Trusted GeoJSON (already validated when its record was accepted)."""
    return shape(obj)


class Index:
    """An STRtree over WGS84 shapes, each with a validity window [start, end) in epoch seconds.

    ``query`` returns the keys of shapes that intersect the probe and whose window overlaps the
    probe's; ``query_many`` does the same for a batch of probes in one call into GEOS.
    """

    def __init__(self, keys: Sequence[str], shapes: Sequence[BaseGeometry], starts: Sequence[float],
                 ends: Sequence[float]) -> None:
        self.keys = list(keys)
        self.shapes = np.asarray(shapes, dtype=object)
        self.starts = np.asarray(starts, dtype=float)
        self.ends = np.asarray(ends, dtype=float)
        self.tree = shapely.STRtree(self.shapes)

    def __len__(self) -> int:
        return len(self.keys)

    def query(self, probe: BaseGeometry, start: float, end: float) -> list[int]:
        idx = self.tree.query(probe, predicate="intersects")
        if len(idx) == 0:
            return []
        keep = (self.starts[idx] < end) & (self.ends[idx] > start)
        return sorted(int(i) for i in idx[keep])

    def query_many(self, probes: Sequence[BaseGeometry], starts: Sequence[float],
                   ends: Sequence[float]) -> list[list[int]]:
        pairs = self.tree.query(np.asarray(probes, dtype=object), predicate="intersects")
        out: list[list[int]] = [[] for _ in probes]
        if pairs.shape[1] == 0:
            return out
        p, z = pairs
        s = np.asarray(starts, dtype=float)[p]
        e = np.asarray(ends, dtype=float)[p]
        keep = (self.starts[z] < e) & (self.ends[z] > s)
        for pi, zi in zip(p[keep], z[keep], strict=True):
            out[int(pi)].append(int(zi))
        for row in out:
            row.sort()
        return out

    def brute_force(self, probe: BaseGeometry, start: float, end: float) -> list[int]:
        """The same answer without the tree: every shape tested in turn (the benchmark's baseline)."""
        out = []
        shapely.prepare(probe)
        for i, g in enumerate(self.shapes):
            if self.starts[i] < end and self.ends[i] > start and probe.intersects(g):
                out.append(i)
        return out


def epoch(t: datetime) -> float:
    return t.timestamp()


@lru_cache(maxsize=1)
def _zone_finder() -> Any:
    from timezonefinder import TimezoneFinder

    return TimezoneFinder()


def time_zone_at(lon: float, lat: float) -> str:
    """The IANA time zone of a place (offline data from timezonefinder): Etc/GMT±n at sea, UTC if none."""
    return _zone_finder().timezone_at(lng=lon, lat=lat) or "UTC"
