"""The offline basemap shipped with Parley: its files, their source and disclaimer in every language, the
decoding that builds them, and the map pages drawing it in headless Chromium with no request leaving the
machine."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import Point, box, shape

from parley.operations import scenario

ROOT = Path(__file__).resolve().parents[2]
BASEMAP = ROOT / "src" / "parley" / "web" / "static" / "basemap"
LANGS = ("en", "uk", "ru")
CYRILLIC = re.compile(r"[\u0400-\u04FF]")


def load(name: str) -> Any:
    return json.loads((BASEMAP / name).read_text(encoding="utf-8"))


def build_script() -> Any:
    spec = importlib.util.spec_from_file_location("build_basemap", ROOT / "scripts" / "build_basemap.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def countries() -> dict[str, Any]:
    return {f["properties"]["name_en"]: shape(f["geometry"]) for f in load("countries.geojson")["features"]}


def test_files_are_shipped_small_and_packaged() -> None:
    names = {p.name for p in BASEMAP.iterdir()}
    assert {"countries.geojson", "water.geojson", "places.geojson", "attribution.json", "SOURCE.md"} <= names
    total = sum(p.stat().st_size for p in BASEMAP.iterdir())
    assert total < 1200 * 1024, f"the basemap is {total} bytes; every page with a map loads it"
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"web/static/**/*"' in pyproject  # shipped in the wheel with the rest of the static files


def test_countries_are_valid_within_the_region_and_named_in_three_languages() -> None:
    region = box(*load("attribution.json")["region"])
    features = load("countries.geojson")["features"]
    assert len(features) >= 15
    for f in features:
        geom = shape(f["geometry"])
        assert f["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert geom.is_valid and not geom.is_empty, f["properties"]
        assert region.buffer(1e-9).contains(geom), f["properties"]["name_en"]
        props = f["properties"]
        assert all(props[f"name_{lang}"] for lang in LANGS), props
    by_name = {f["properties"]["name_en"]: f["properties"] for f in features}
    for name in ("Ukraine", "Russia", "Belarus", "Moldova"):
        assert CYRILLIC.search(by_name[name]["name_uk"]) and CYRILLIC.search(by_name[name]["name_ru"])
    assert by_name["Ukraine"]["name_uk"] == "Україна" and by_name["Russia"]["name_ru"] == "Россия"


def test_capitals_fall_inside_their_countries() -> None:
    # Only places no party disputes: the check is of the decoding (a shifted or mirrored arc would fail it).
    shapes = countries()
    for country, (lon, lat) in {"Ukraine": (30.5234, 50.4501), "Russia": (37.6173, 55.7558),
                                "Belarus": (27.5615, 53.9045), "Moldova": (28.8638, 47.0105),
                                "Romania": (26.1025, 44.4268), "Poland": (21.0122, 52.2297),
                                "Georgia": (44.7930, 41.7151)}.items():
        assert shapes[country].contains(Point(lon, lat)), country
        others = [n for n, g in shapes.items() if n != country and g.contains(Point(lon, lat))]
        assert not others, (country, others)


def test_places_are_named_in_three_languages_and_lie_on_land() -> None:
    land = list(countries().values())
    features = load("places.geojson")["features"]
    assert len(features) >= 30
    for f in features:
        props = f["properties"]
        assert all(props[f"name_{lang}"] for lang in LANGS), props
        assert props["kind"] in ("capital", "city", "town", "site")
        assert isinstance(props["rank"], int)
        # Front-line-independent: a settlement says nothing of which country or side holds it.
        assert set(props) == {"name_en", "name_uk", "name_ru", "kind", "rank"}, props
        assert CYRILLIC.search(props["name_uk"]) and CYRILLIC.search(props["name_ru"]), props
        p = Point(f["geometry"]["coordinates"])
        # Coastal towns may sit a little off a coastline simplified to ~300 m.
        assert min(g.distance(p) for g in land) < 0.02, props["name_en"]


def test_places_of_the_demo_scenario_match_the_basemap() -> None:
    places = {f["properties"]["name_en"]: f["geometry"]["coordinates"] for f in load("places.geojson")["features"]}
    for name, position in {"Azovstal steel works": scenario.AZOVSTAL, "Mariupol": scenario.MARIUPOL,
                           "Manhush": scenario.MANHUSH, "Berdiansk": scenario.BERDIANSK,
                           "Tokmak": scenario.TOKMAK, "Vasylivka": scenario.VASYLIVKA,
                           "Zaporizhzhia": scenario.ZAPORIZHZHIA,
                           "Novoazovsk": scenario.NOVOAZOVSK, "Olenivka": scenario.OLENIVKA}.items():
        assert places[name] == position, name


def test_attribution_names_the_source_with_a_neutral_disclaimer_in_every_language() -> None:
    a = load("attribution.json")
    for lang in LANGS:
        assert "Natural Earth" in a["source"][lang]
        assert "Natural Earth" in a["disclaimer"][lang]
    assert "imply no position" in a["disclaimer"]["en"] and "line of contact" in a["disclaimer"]["en"]
    assert "не виражають жодної позиції" in a["disclaimer"]["uk"]
    assert "не выражают никакой позиции" in a["disclaimer"]["ru"]
    source = (BASEMAP / "SOURCE.md").read_text(encoding="utf-8")
    assert "world-atlas@2.0.2" in source and "public domain" in source
    # Each layer names its source and licence, in each language.
    assert {"countries", "water", "places"} <= set(a["layers"]) <= {"countries", "water", "roads", "places"}
    for layer in a["layers"].values():
        assert all("Natural Earth" in layer[lang] for lang in LANGS), layer
        assert "public domain" in layer["en"] and "суспільне надбання" in layer["uk"]
        assert "общественное достояние" in layer["ru"]
    assert "4.0.0" in a["layers"]["water"]["en"] and "4.0.0" in source and "CC0" in source
    assert all(a["disclaimer"][lang] in source for lang in LANGS)


def test_topojson_decoding_of_quantised_and_reversed_arcs() -> None:
    mod = build_script()
    # Two unit squares sharing the edge x=31 (arc 1); the second walks it reversed (~1 == -2).
    topology = {
        "type": "Topology", "transform": {"scale": [0.5, 0.25], "translate": [30.0, 46.0]},
        "arcs": [[[2, 4], [-2, 0], [0, -4], [2, 0]],   # (31,47) → (30,47) → (30,46) → (31,46)
                 [[2, 0], [0, 4]],                     # (31,46) → (31,47)
                 [[2, 0], [2, 0], [0, 4], [-2, 0]]],   # (31,46) → (32,46) → (32,47) → (31,47)
        "objects": {"countries": {"type": "GeometryCollection", "geometries": [
            {"type": "Polygon", "arcs": [[0, 1]], "properties": {"name": "Ukraine"}},
            {"type": "MultiPolygon", "arcs": [[[2, -2]]], "properties": {"name": "Elsewhere"}},
            {"type": "Point", "coordinates": [0, 0], "properties": {"name": "Not a polygon"}},
        ]}},
    }
    arcs = mod.decode_arcs(topology)
    assert arcs[0] == [(31.0, 47.0), (30.0, 47.0), (30.0, 46.0), (31.0, 46.0)]
    assert mod.ring(arcs, [2, -2]) == [(31.0, 46.0), (32.0, 46.0), (32.0, 47.0), (31.0, 47.0), (31.0, 46.0)]
    shapes = dict(mod.country_shapes(topology))
    assert shapes["Ukraine"].area == pytest.approx(1.0)
    assert shapes["Ukraine"].contains(Point(30.5, 46.5))
    assert shapes["Elsewhere"].contains(Point(31.5, 46.5)) and not shapes["Elsewhere"].contains(Point(30.5, 46.5))
    built = mod.build_countries(topology)
    names = [f["properties"] for f in built["features"]]
    assert {"name_en": "Ukraine", "name_uk": "Україна", "name_ru": "Украина"} in names
    assert {"name_en": "Elsewhere", "name_uk": "Elsewhere", "name_ru": "Elsewhere"} in names
    assert len(names) == 2


def test_basemap_is_served_without_signing_in(client) -> None:  # type: ignore[no-untyped-def]
    client.cookies.clear()
    r = client.get("/static/basemap/countries.geojson")
    assert r.status_code == 200
    assert r.json()["type"] == "FeatureCollection"
    assert client.get("/static/basemap/attribution.json").json()["source"]["uk"].startswith("Кордони")


@pytest.mark.browser
def test_map_draws_the_shipped_basemap_with_its_source_in_each_language(server, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from tests.web.test_operations_browser import Watch, wait_for_map

    base, demo = server
    watch = Watch()
    page = watch.page(browser, base, demo, "ua/negotiator")
    for lang, source, place in (("uk", "Кордони: Natural Earth", "Маріуполь"),
                                ("ru", "Границы: Natural Earth", "Мариуполь"),
                                ("en", "Boundaries: Natural Earth", "Mariupol")):
        page.goto(f"{base}/operations?lang={lang}")
        wait_for_map(page, "#ops-map")
        page.wait_for_selector("#ops-map .leaflet-control-attribution .basemap-attribution")
        attribution = page.locator("#ops-map .leaflet-control-attribution").text_content()
        assert source in attribution
        assert load("attribution.json")["disclaimer"][lang] in attribution
        # The box is one line until opened: the sources and the disclaimer are a click away.
        shown = page.locator("#ops-map .leaflet-control-attribution").inner_text()
        assert load("attribution.json")["short"][lang] in shown
        assert page.locator("#ops-map .leaflet-control-attribution").bounding_box()["height"] < 30
        page.wait_for_selector("#ops-map .place-label")
        assert place in page.locator("#ops-map .place-label").all_inner_texts()
        # The country polygons are drawn on the basemap pane's canvas, beneath the operations.
        assert page.locator("#ops-map .leaflet-basemap-pane canvas").count() == 1
        assert page.evaluate("() => document.querySelector('#ops-map').parleyLayers.country") >= 15
    assert watch.hosts <= {"127.0.0.1", "localhost", "data"}, watch.hosts
    assert not [e for e in watch.errors if "Uncaught" in e], watch.errors


from tests.web.test_browser import server  # noqa: E402,F401  (the uvicorn server fixture)
from tests.web.test_operations_browser import browser  # noqa: E402,F401


def test_water_is_clipped_to_the_area_of_the_operations_with_rivers_lakes_and_reservoirs() -> None:
    detail = box(*load("attribution.json")["detail"]).buffer(1e-6)
    features = load("water.geojson")["features"]
    kinds = {f["properties"]["kind"] for f in features}
    assert kinds == {"river", "lake", "reservoir"}
    assert sum(f["properties"]["kind"] == "river" for f in features) >= 40
    for f in features:
        geom = shape(f["geometry"])
        assert geom.is_valid and not geom.is_empty and detail.contains(geom), f["properties"]
    reservoirs = [shape(f["geometry"]) for f in features if f["properties"]["kind"] == "reservoir"]
    # The Dnipro's reservoirs: Kyiv's (north of the city) and Kremenchuk's, as Natural Earth draws them.
    for lon, lat in ((30.45, 50.8), (32.9, 49.2)):
        assert any(r.distance(Point(lon, lat)) < 0.1 for r in reservoirs), (lon, lat)
    # The Dnipro and the Siverskyi Donets cross the map: lines pass near Kherson and near Izium.
    rivers = [shape(f["geometry"]) for f in features if f["properties"]["kind"] == "river"]
    for lon, lat in ((32.62, 46.66), (37.26, 49.2)):
        assert min(r.distance(Point(lon, lat)) for r in rivers) < 0.1, (lon, lat)


def test_settlements_cover_the_area_with_names_in_three_scripts() -> None:
    features = load("places.geojson")["features"]
    assert len(features) >= 120
    by_en = {f["properties"]["name_en"]: f["properties"] for f in features}
    assert by_en["Kharkiv"]["name_uk"] == "Харків" and by_en["Kharkiv"]["name_ru"] == "Харьков"
    assert by_en["Vinnytsia"]["name_uk"] == "Вінниця" and by_en["Vinnytsia"]["name_ru"] == "Винница"
    assert by_en["Kyiv"]["kind"] == "capital"
    # One entry per place: Natural Earth's Mariupol or Zaporizhzhia is not added beside Parley's own.
    from parley.operations.service import place_key

    keys = [(place_key(f["properties"]["name_en"]), round(f["geometry"]["coordinates"][0]),
             round(f["geometry"]["coordinates"][1])) for f in features]
    assert len(keys) == len(set(keys))


def test_build_clips_simplifies_and_names() -> None:
    mod = build_script()
    area = (30.0, 46.0, 32.0, 48.0)
    coll = {"type": "FeatureCollection", "features": [
        # A river crossing the area's east edge, with a wiggle smaller than the tolerance.
        {"type": "Feature", "properties": {"featurecla": "River"},
         "geometry": {"type": "LineString", "coordinates": [[31.0, 47.0], [31.5, 47.0001], [33.0, 47.0]]}},
        {"type": "Feature", "properties": {"featurecla": "Reservoir"},
         "geometry": {"type": "Polygon",
                      "coordinates": [[[31.9, 46.5], [32.5, 46.5], [32.5, 46.8], [31.9, 46.8], [31.9, 46.5]]]}},
        {"type": "Feature", "properties": {"featurecla": "Lake"},  # about 0.1 km²: dropped
         "geometry": {"type": "Polygon",
                      "coordinates": [[[30.5, 46.5], [30.503, 46.5], [30.503, 46.503], [30.5, 46.5]]]}},
        {"type": "Feature", "properties": {"featurecla": "River"},  # outside
         "geometry": {"type": "LineString", "coordinates": [[20.0, 40.0], [21.0, 41.0]]}},
        {"type": "Feature", "properties": {"featurecla": "River"}, "geometry": None},
    ]}
    water = mod.build_water([coll, None], area=area, tolerance=0.01)
    kinds = [f["properties"]["kind"] for f in water["features"]]
    assert sorted(kinds) == ["reservoir", "river"]
    river = next(f for f in water["features"] if f["properties"]["kind"] == "river")
    # Cut at 32°E, the wiggle at 31.5°E gone.
    assert [[round(x, 3) for x in c] for c in river["geometry"]["coordinates"]] == [[31.0, 47.0], [32.0, 47.0]]
    reservoir = shape(next(f for f in water["features"] if f["properties"]["kind"] == "reservoir")["geometry"])
    assert reservoir.bounds == (31.9, 46.5, 32.0, 46.8)
    places, missing = mod.ne_places({"features": [
        {"properties": {"NAME": "Zaporizhzhya", "NAME_EN": "Zaporizhzhya", "NAME_RU": "Запорожье", "SCALERANK": 6,
                        "FEATURECLA": "Admin-1 capital", "ADM0NAME": "Ukraine"},
         "geometry": {"type": "Point", "coordinates": [31.175, 47.859]}},
        {"properties": {"NAME": "Nowhere", "NAME_EN": "Nowhere", "NAME_RU": "Нигде", "SCALERANK": 5},
         "geometry": {"type": "Point", "coordinates": [31.0, 47.0]}},
        {"properties": {"NAME": "Tiny", "NAME_EN": "Kherson", "NAME_RU": "Херсон", "SCALERANK": 10},
         "geometry": {"type": "Point", "coordinates": [31.0, 47.0]}},
        {"properties": {"NAME": "Far", "NAME_EN": "Kherson", "NAME_RU": "Херсон", "SCALERANK": 1},
         "geometry": {"type": "Point", "coordinates": [10.0, 47.0]}},
    ]}, area=area)
    assert missing == ["Nowhere"]
    assert places == [{"type": "Feature", "properties": {"name_en": "Zaporizhzhia", "name_uk": "Запоріжжя",
                                                         "name_ru": "Запорожье", "kind": "city", "rank": 6},
                       "geometry": {"type": "Point", "coordinates": [31.175, 47.859]}}]
    # Beside Parley's own Zaporizhzhia (35.14, 47.84) a Natural Earth one nearby is dropped, a far one kept.
    near = {**places[0], "geometry": {"type": "Point", "coordinates": [35.175, 47.859]}}
    built = mod.build_places([near, places[0]])
    assert len(built["features"]) == len(mod.PLACES) + 1
    assert mod.build_roads(None) is None
    roads = mod.build_roads({"features": [
        {"properties": {"type": "Major Highway"},
         "geometry": {"type": "LineString", "coordinates": [[29, 47], [31, 47]]}},
        {"properties": {"type": "Ferry Route"},
         "geometry": {"type": "LineString", "coordinates": [[30, 47], [31, 47]]}}]},
        area=area)
    assert [f["properties"]["kind"] for f in roads["features"]] == ["major"]
    assert [list(c) for c in roads["features"][0]["geometry"]["coordinates"]] == [[30.0, 47.0], [31.0, 47.0]]


def test_place_search_finds_a_place_in_any_script() -> None:
    from parley.web.operations.places import search

    found = [search(q, "uk")[0] for q in ("Запоріжжя", "Zaporizhzhia", "Запорожье", "zaporozhye", "Запор")]
    assert {p["name"] for p in found} == {"Запоріжжя"}
    assert {tuple(p["position"]) for p in found} == {(35.1396, 47.8388)}
    assert search("Мариуполь", "en")[0]["names"] == {"en": "Mariupol", "uk": "Маріуполь", "ru": "Мариуполь"}
    assert search("Kharkov", "ru")[0]["name"] == "Харьков"
    assert search("", "en") == [] and search("Qwxyzzz", "en") == []
