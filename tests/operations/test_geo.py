"""Geometry of operations and zones: strict RFC 7946 validation, metric measures and buffers, the
spatial-temporal index against its brute-force baseline, and time zones. No database."""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import LineString, MultiPolygon, Point, Polygon

from parley.errors import Unprocessable
from parley.operations import geo
from parley.operations.geo import (
    MAX_VERTICES,
    Index,
    area_km2,
    buffer_m,
    distance_m,
    geometry,
    length_km,
    point,
    time_zone_at,
)

GEOD = Geod(ellps="WGS84")
ROUTE = [[37.55, 47.09], [37.61, 47.10], [37.70, 47.12]]
SQUARE = [[37.5, 47.0], [37.6, 47.0], [37.6, 47.1], [37.5, 47.1], [37.5, 47.0]]


def line(coords: Any, **extra: Any) -> dict[str, Any]:
    return {"type": "LineString", "coordinates": coords, **extra}


def polygon(*rings: Any) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": list(rings)}


def refused(obj: Any, field: str = "plan.route", allowed: tuple[str, ...] = ("LineString", "Polygon")) -> str:
    """The message of the ``Unprocessable`` that ``geometry`` raises, having checked it names ``field``."""
    with pytest.raises(Unprocessable) as err:
        geometry(obj, field, allowed)
    assert err.value.field == field
    assert err.value.status == 422
    assert err.value.message
    return err.value.message


# --- valid input -------------------------------------------------------------------------------


def test_linestring_parses() -> None:
    g = geometry(line(ROUTE), "plan.route", ("LineString",))
    assert isinstance(g, LineString)
    assert [list(c) for c in g.coords] == ROUTE


def test_polygon_parses_with_a_hole() -> None:
    hole = [[37.52, 47.02], [37.54, 47.02], [37.54, 47.04], [37.52, 47.04], [37.52, 47.02]]
    g = geometry(polygon(SQUARE, hole), "geometry", ("Polygon",))
    assert isinstance(g, Polygon)
    assert g.is_valid
    assert len(g.interiors) == 1
    assert g.exterior.coords[0] == (37.5, 47.0)


def test_multipolygon_parses() -> None:
    other = [[38.0, 47.0], [38.1, 47.0], [38.1, 47.1], [38.0, 47.0]]
    g = geometry({"type": "MultiPolygon", "coordinates": [[SQUARE], [other]]}, "geometry",
                 ("Polygon", "MultiPolygon"))
    assert isinstance(g, MultiPolygon)
    assert len(g.geoms) == 2


def test_integers_altitudes_and_bbox_are_accepted() -> None:
    g = geometry(line([[37, 47, 120.5], [38, 47, 99]], bbox=[37, 47, 38, 47]), "plan.route", ("LineString",))
    assert list(g.coords) == [(37.0, 47.0), (38.0, 47.0)]  # altitude dropped, integers become floats


def test_exactly_max_vertices_is_accepted() -> None:
    coords = [[30 + i * 1e-4, 47 + (i % 2) * 1e-4] for i in range(MAX_VERTICES)]
    assert len(geometry(line(coords), "plan.route", ("LineString",)).coords) == MAX_VERTICES


def test_point_as_geojson_or_bare_position() -> None:
    assert point([37.61, 47.10], "position").coords[0] == (37.61, 47.10)
    assert point({"type": "Point", "coordinates": [37.61, 47.10]}, "position").coords[0] == (37.61, 47.10)
    assert geometry({"type": "Point", "coordinates": [37.61, 47.10]}, "at", ("Point",)).x == 37.61


# --- each defect, named field and a message ------------------------------------------------------


def test_unclosed_ring() -> None:
    msg = refused(polygon([*SQUARE[:-1], [37.5, 47.05]]))
    assert "not closed" in msg


def test_ring_too_short_or_degenerate() -> None:
    assert "at least 4 positions" in refused(polygon([[37.5, 47.0], [37.6, 47.0], [37.5, 47.0]]))
    assert "fewer than 3 distinct" in refused(polygon([[37.5, 47.0], [37.6, 47.0], [37.6, 47.0], [37.5, 47.0]]))


def test_polygon_without_rings() -> None:
    assert "no rings" in refused(polygon())


def test_bow_tie_polygon_self_intersects() -> None:
    bow_tie = [[37.5, 47.0], [37.6, 47.1], [37.6, 47.0], [37.5, 47.1], [37.5, 47.0]]
    msg = refused(polygon(bow_tie))
    assert msg.startswith("invalid geometry")
    assert "Self-intersection" in msg


def test_longitude_out_of_range() -> None:
    msg = refused(line([[37.6, 47.1], [180.5, 47.1]]))
    assert "longitude 180.5 is outside -180..180" in msg
    assert "-180" in refused(line([[-181, 47.1], [37.6, 47.1]]))


def test_latitude_out_of_range_hints_at_swapped_order() -> None:
    # A place at longitude 120, latitude 30, written [latitude, longitude]:
    msg = refused(line([[37.6, 47.1], [30, 120]]))
    assert "latitude 120.0 is outside -90..90" in msg
    assert "swapped" in msg


def test_latitude_out_of_range_without_the_hint_when_longitude_could_not_be_a_latitude() -> None:
    msg = refused(line([[37.6, 47.1], [120, 95]]))
    assert "latitude 95.0 is outside -90..90" in msg
    assert "swapped" not in msg


def test_range_limits_are_inclusive() -> None:
    g = geometry(line([[-180, -90], [180, 90]]), "plan.route", ("LineString",))
    assert g.bounds == (-180.0, -90.0, 180.0, 90.0)


@pytest.mark.parametrize("bad", ["37.6", None, {"lon": 37.6}])
def test_non_numeric_coordinates(bad: Any) -> None:
    assert "must be numbers" in refused(line([[37.6, 47.1], [bad, 47.2]]))


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_nan_and_infinity(bad: float) -> None:
    assert "finite" in refused(line([[37.6, 47.1], [37.7, bad]]))
    assert "finite" in refused(line([[bad, 47.1], [37.7, 47.2]]))


@pytest.mark.parametrize("bad", [True, False])
def test_booleans_are_not_numbers(bad: bool) -> None:
    assert "must be numbers" in refused(line([[37.6, 47.1], [bad, 47.2]]))


@pytest.mark.parametrize("bad", [[37.6], [37.6, 47.1, 0, 0], "37.6,47.1"])
def test_position_of_the_wrong_shape(bad: Any) -> None:
    assert "[longitude, latitude]" in refused(line([[37.6, 47.1], bad]))


def test_too_many_vertices() -> None:
    coords = [[30 + i * 1e-4, 47 + (i % 2) * 1e-4] for i in range(MAX_VERTICES + 1)]
    msg = refused(line(coords))
    assert f"{MAX_VERTICES + 1} positions" in msg
    assert f"at most {MAX_VERTICES}" in msg
    ring = [[30 + 0.01 * math.cos(a), 47 + 0.01 * math.sin(a)]
            for a in np.linspace(0, 2 * math.pi, MAX_VERTICES + 1, endpoint=False)]
    assert f"at most {MAX_VERTICES}" in refused(polygon(ring + ring[:1]))


def test_wrong_type() -> None:
    msg = refused({"type": "Point", "coordinates": [37.6, 47.1]}, allowed=("LineString",))
    assert "must be one of LineString" in msg
    assert "'Point'" in msg
    assert "not None" in refused({"coordinates": ROUTE}, allowed=("LineString",))
    assert "expected a GeoJSON geometry" in refused(ROUTE)
    assert "expected a GeoJSON geometry" in refused("LINESTRING (37 47, 38 47)")
    assert "no coordinates" in refused({"type": "LineString", "coordinates": "37 47, 38 47"})


def test_extra_members() -> None:
    assert "unexpected members" in refused(line(ROUTE, properties={}))
    assert "unexpected members" in refused({"type": "Feature", "geometry": line(ROUTE)}, allowed=("Feature",))
    with pytest.raises(Unprocessable) as err:
        point({"type": "Point", "coordinates": [37.6, 47.1], "crs": "EPSG:4326"}, "plan.origin.position")
    assert err.value.field == "plan.origin.position"


def test_too_deep_nesting_is_refused() -> None:
    with pytest.raises(Unprocessable) as err:
        geometry(line([[[[[[37.6, 47.1]]]]]]), "geometry", ("LineString",))
    assert "nested too deeply" in err.value.message
    assert err.value.field == "geometry"


def test_too_deep_nesting_names_the_callers_field() -> None:
    assert "nested too deeply" in refused(line([[[[[[37.6, 47.1]]]]]]), field="plan.route")


@pytest.mark.parametrize("coords", [[[37.6, 47.1], 3], [[37.6, 47.1], 3.5], [[37.6, 47.1], {"lon": 1}],
                                    [[37.6, 47.1], [[37.6], 47.2]]])
def test_mixed_nesting_is_refused_as_unprocessable(coords: Any) -> None:
    assert refused(line(coords))


def test_huge_integer_coordinate_is_refused_as_unprocessable() -> None:
    assert "finite numbers" in refused(line([[37.6, 47.1], [10**400, 47.2]]))


def test_route_with_a_single_distinct_point() -> None:
    assert "two distinct positions" in refused(line([[37.6, 47.1], [37.6, 47.1], [37.6, 47.1]]))
    assert "two distinct positions" in refused(line([[37.6, 47.1]]))
    assert "two distinct positions" in refused(line([]))


def test_point_errors_name_the_field() -> None:
    for bad in ([37.6], [37.6, 95], {"type": "LineString", "coordinates": ROUTE}, "37.6 47.1"):
        with pytest.raises(Unprocessable) as err:
            point(bad, "plan.waypoints.2.position")
        assert err.value.field == "plan.waypoints.2.position"


# --- metric measures and buffers ----------------------------------------------------------------


@pytest.mark.parametrize("lon, lat", [(37.61, 0.0), (37.61, 47.10), (24.75, 60.0), (-58.38, -34.60),
                                      (151.21, -33.87), (35.9, -0.5), (-179.5, 65.0)])
def test_buffer_of_a_point_is_a_disc_of_pi_square_km(lon: float, lat: float) -> None:
    disc = buffer_m(Point(lon, lat), 1000)
    assert isinstance(disc, Polygon)
    assert disc.is_valid and disc.contains(Point(lon, lat))
    assert area_km2(disc) == pytest.approx(math.pi, rel=0.01)
    # Independently of the UTM projection: the geodesic area on the ellipsoid.
    assert abs(GEOD.geometry_area_perimeter(disc)[0]) / 1e6 == pytest.approx(math.pi, rel=0.01)
    # Every vertex is 1 km from the centre on the ground.
    lons, lats = np.asarray(disc.exterior.coords).T
    _, _, dist = GEOD.inv(np.full(len(lons), lon), np.full(len(lats), lat), lons, lats)
    assert np.all(np.abs(dist - 1000) < 3)


@pytest.mark.parametrize("start, azimuth, km", [((37.0, 47.0), 0, 10), ((37.0, 47.0), 90, 25),
                                                 ((22.5, 52.0), 45, 40), ((-58.4, -34.6), 200, 15)])
def test_buffer_of_a_line_is_a_stadium(start: tuple[float, float], azimuth: float, km: float) -> None:
    lon2, lat2, _ = GEOD.fwd(start[0], start[1], azimuth, km * 1000)
    route = LineString([start, (lon2, lat2)])
    r = 1.0
    assert length_km(route) == pytest.approx(km, rel=0.005)
    expected = 2 * r * km + math.pi * r**2
    assert area_km2(buffer_m(route, r * 1000)) == pytest.approx(expected, rel=0.02)


def test_buffer_is_at_least_a_metre() -> None:
    assert area_km2(buffer_m(Point(37.6, 47.1), 0)) == pytest.approx(math.pi * 1e-6, rel=0.02)


def test_length_of_one_degree_of_latitude() -> None:
    assert length_km(LineString([(39.0, 47.0), (39.0, 48.0)])) == pytest.approx(111.2, abs=0.5)
    assert length_km(LineString([(37.61, 0.0), (37.61, 1.0)])) == pytest.approx(110.6, abs=0.5)
    # Split in many segments, the length does not change.
    lats = np.linspace(47.0, 48.0, 11)
    assert length_km(LineString([(39.0, y) for y in lats])) == pytest.approx(111.2, abs=0.5)


@pytest.mark.parametrize("azimuth", [0, 45, 90, 135, 250])
def test_distance_between_two_points_a_km_apart(azimuth: float) -> None:
    lon, lat, _ = GEOD.fwd(37.61, 47.10, azimuth, 1000)
    assert distance_m(Point(37.61, 47.10), Point(lon, lat)) == pytest.approx(1000, abs=3)
    assert distance_m(Point(lon, lat), Point(37.61, 47.10)) == pytest.approx(1000, abs=3)


def test_distance_from_a_point_to_a_route_and_inside_a_zone() -> None:
    route = LineString([(37.0, 47.0), (37.0, 47.2)])
    lon, _, _ = GEOD.fwd(37.0, 47.1, 90, 2000)
    assert distance_m(route, Point(lon, 47.1)) == pytest.approx(2000, abs=6)
    assert distance_m(buffer_m(route, 500), Point(37.0, 47.1)) == 0


# --- the index ----------------------------------------------------------------------------------


def random_zones(rng: random.Random, n: int) -> tuple[list[Polygon], list[float], list[float]]:
    shapes, starts, ends = [], [], []
    for _ in range(n):
        lon, lat = rng.uniform(36.0, 39.0), rng.uniform(46.5, 48.0)
        if rng.random() < 0.5:
            shapes.append(Point(lon, lat).buffer(rng.uniform(0.005, 0.05), quad_segs=4))
        else:
            w, h = rng.uniform(0.005, 0.06), rng.uniform(0.005, 0.04)
            shapes.append(shapely.box(lon - w, lat - h, lon + w, lat + h))
        s = rng.uniform(0, 10 * 86400)
        starts.append(s)
        ends.append(s + rng.uniform(3600, 3 * 86400))
    return shapes, starts, ends


def random_probe(rng: random.Random) -> tuple[Any, float, float]:
    lon, lat = rng.uniform(36.2, 38.8), rng.uniform(46.6, 47.9)
    pts = [(lon, lat)]
    for _ in range(rng.randint(1, 8)):
        lon += rng.uniform(-0.08, 0.08)
        lat += rng.uniform(-0.05, 0.05)
        pts.append((lon, lat))
    s = rng.uniform(0, 10 * 86400)
    return buffer_m(LineString(pts), rng.uniform(500, 2000)), s, s + 6 * 3600


def test_query_query_many_and_brute_force_agree() -> None:
    rng = random.Random(20260501)
    shapes, starts, ends = random_zones(rng, 2000)
    index = Index([f"z{i}" for i in range(2000)], shapes, starts, ends)
    assert len(index) == 2000
    probes = [random_probe(rng) for _ in range(50)]
    singles = [index.query(p, s, e) for p, s, e in probes]
    batch = index.query_many([p[0] for p in probes], [p[1] for p in probes], [p[2] for p in probes])
    brute = [index.brute_force(p, s, e) for p, s, e in probes]
    assert singles == batch == brute
    # The check is not vacuous: probes find zones, and the time windows turn some of them away.
    assert sum(map(len, singles)) >= 20
    assert sum(1 for r in singles if r) >= 10
    spatial = sum(len(index.tree.query(p, predicate="intersects")) for p, _, _ in probes)
    assert spatial > sum(map(len, singles))
    # Every hit is a real one, and so is every zone not returned.
    for (p, s, e), found in zip(probes, singles, strict=True):
        for i in range(2000):
            hit = shapes[i].intersects(p) and starts[i] < e and ends[i] > s
            assert hit == (i in found)


def test_windows_are_half_open() -> None:
    box = shapely.box(37.0, 47.0, 37.1, 47.1)
    shapes = [box, box, box, box, shapely.box(38.0, 47.0, 38.1, 47.1)]
    starts = [0.0, 0.0, 200.0, 50.0, 0.0]
    ends = [100.0, 101.0, 300.0, 250.0, 1000.0]
    index = Index(["ends-at-start", "ends-just-after", "starts-at-end", "covers", "elsewhere"], shapes, starts, ends)
    probe = buffer_m(Point(37.05, 47.05), 1000)
    want = [1, 3]  # [0,100) ends where the probe starts, [200,300) starts where it ends
    assert index.query(probe, 100.0, 200.0) == want
    assert index.brute_force(probe, 100.0, 200.0) == want
    assert index.query_many([probe, probe, probe], [100.0, 99.0, 300.0], [200.0, 200.0, 400.0]) == [
        want, [0, 1, 3], []]
    assert index.query(probe, 99.0, 100.0) == [0, 1, 3]
    assert index.query(probe, 250.0, 260.0) == [2]
    assert index.query(probe, 300.0, 1000.0) == []


def test_touching_shapes_conflict_and_disjoint_ones_do_not() -> None:
    index = Index(["a", "b"], [shapely.box(37.0, 47.0, 37.1, 47.1), shapely.box(37.3, 47.0, 37.4, 47.1)],
                  [0.0, 0.0], [10.0, 10.0])
    assert index.query(shapely.box(37.1, 47.0, 37.2, 47.1), 0, 10) == [0]  # shares an edge
    assert index.query(shapely.box(37.15, 47.0, 37.25, 47.1), 0, 10) == []
    assert index.query_many([], [], []) == []


def test_empty_index() -> None:
    index = Index([], [], [], [])
    probe = buffer_m(Point(37.6, 47.1), 1000)
    assert len(index) == 0
    assert index.query(probe, 0, 10) == []
    assert index.query_many([probe], [0], [10]) == [[]]
    assert index.brute_force(probe, 0, 10) == []


# --- time zones ---------------------------------------------------------------------------------


def test_time_zone_on_land() -> None:
    assert time_zone_at(37.61, 47.10) == "Europe/Kyiv"  # Mariupol; timezonefinder's data says Kyiv
    assert time_zone_at(37.62, 55.75) == "Europe/Moscow"


def test_time_zone_at_sea_is_the_nautical_zone() -> None:
    # timezonefinder's data covers the oceans with Etc/GMT±N zones, so "UTC" is only its fallback.
    assert time_zone_at(0.0, 0.0) == "Etc/GMT"
    assert time_zone_at(-30.0, 40.0) == "Etc/GMT+2"  # mid-Atlantic; the Etc sign is reversed
    assert time_zone_at(-30.0, 40.0) == time_zone_at(-30.0, 40.0)


def test_time_zone_falls_back_to_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    class Nowhere:
        def timezone_at(self, *, lng: float, lat: float) -> None:
            return None

    monkeypatch.setattr(geo, "_zone_finder", Nowhere)
    assert time_zone_at(0.0, 0.0) == "UTC"
