"""Build the offline basemap shipped in ``src/parley/web/static/basemap/``.

Parley's maps never fetch tiles at run time: two hostile parties use them, often on networks that
reach nothing outside. The basemap is built once, by hand, from Natural Earth 4.1.0 (public domain)
as redistributed in the npm package ``world-atlas@2`` (ISC), and committed:

    python scripts/build_basemap.py --ne DIR                    # fetches world-atlas@2 with ``npm pack``
    python scripts/build_basemap.py --ne DIR --topojson PATH    # or a countries-10m.json already on disk

``DIR`` holds Natural Earth 1:10m layers as GeoJSON (``.json`` or ``.geojson``), e.g. the folders
``10m/physical`` and ``10m/cultural`` of the public repository martynafford/natural-earth-geojson
(Natural Earth 4.0.0 converted with ogr2ogr, CC0; its ``.7z`` files unpacked with ``7zz x``):
``ne_10m_rivers_lake_centerlines``, ``ne_10m_rivers_europe``, ``ne_10m_lakes``, ``ne_10m_lakes_europe``,
``ne_10m_populated_places`` and, when present, ``ne_10m_roads``. Nothing is fetched at run time.
Natural Earth's roads (public domain) are not in that repository; they are ``geojson/ne_10m_roads.geojson`` (about
48 MB) of the public repository nvkelso/natural-earth-vector (or its ``10m_cultural/ne_10m_roads.shp``, converted to
GeoJSON with ``ogr2ogr``): put the file in ``DIR`` and run the script again to add ``roads.geojson``, which the map
draws over the water and under the labels, with its source in attribution.json. No package on the registries this
project reaches was found to ship it (searched: PyPI's Natural Earth data packages, npm's world-atlas, Debian's
python-cartopy-data and r-cran-rnaturalearthdata).

It writes
- ``countries.geojson``: Natural Earth's 1:10m admin-0 polygons clipped to the region of the
  operations and simplified, each with ``name_en``, ``name_uk``, ``name_ru``;
- ``water.geojson``: rivers (lines) and lakes and reservoirs (polygons) clipped to the area of the
  operations and simplified; no names (the labels are the settlements');
- ``roads.geojson`` (only when ``ne_10m_roads`` is given): main roads, clipped and simplified;
- ``places.geojson``: settlements with names in the three languages of the interface, a kind and a
  rank (lower is more important): Parley's own list of the places the operations and talks refer to,
  then Natural Earth's populated places (positions, English and Russian names from Natural Earth;
  Ukrainian names from ``UK_NAMES`` below). No layer takes a side: no front line, no occupied area,
  no country named per settlement;
- ``attribution.json``: each layer's source and licence and a neutral disclaimer in each language,
  shown on every map;
- ``SOURCE.md``: the same for readers of the repository.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon, box, mapping

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "parley" / "web" / "static" / "basemap"
REGION = (12.0, 38.0, 52.0, 60.0)  # lon/lat box: Ukraine, its neighbours and the Black Sea
TOLERANCE = 0.003  # degrees (about 300 m): a coastline that still reads at the zoom of a corridor
PRECISION = 4  # decimals kept (about 10 m)
# The basemap's countries reach well past the operations' area so that a zoomed-out map never shows a blank
# strip at its edge (the map is also clamped to REGION); the detailed layers cover only the area of the
# operations, where a corridor is drawn.
DETAIL = (22.0, 44.0, 41.5, 53.5)
WATER_TOLERANCE = 0.004  # degrees (about 400 m)
PLACE_MAX_SCALERANK = 8  # Natural Earth's populated places up to this scalerank (1: capitals .. 10: small towns)
NE_VERSION = "4.0.0"

COUNTRY_NAMES: dict[str, tuple[str, str]] = {
    # Natural Earth's English name -> (Ukrainian, Russian)
    "Albania": ("Албанія", "Албания"),
    "Austria": ("Австрія", "Австрия"),
    "Czechia": ("Чехія", "Чехия"),
    "Denmark": ("Данія", "Дания"),
    "Finland": ("Фінляндія", "Финляндия"),
    "Germany": ("Німеччина", "Германия"),
    "Iraq": ("Ірак", "Ирак"),
    "Italy": ("Італія", "Италия"),
    "Slovenia": ("Словенія", "Словения"),
    "Sweden": ("Швеція", "Швеция"),
    "Syria": ("Сирія", "Сирия"),
    "Turkmenistan": ("Туркменістан", "Туркменистан"),
    "Armenia": ("Вірменія", "Армения"),
    "Azerbaijan": ("Азербайджан", "Азербайджан"),
    "Belarus": ("Білорусь", "Беларусь"),
    "Bosnia and Herz.": ("Боснія і Герцеговина", "Босния и Герцеговина"),
    "Bulgaria": ("Болгарія", "Болгария"),
    "Croatia": ("Хорватія", "Хорватия"),
    "Estonia": ("Естонія", "Эстония"),
    "Georgia": ("Грузія", "Грузия"),
    "Greece": ("Греція", "Греция"),
    "Hungary": ("Угорщина", "Венгрия"),
    "Iran": ("Іран", "Иран"),
    "Kazakhstan": ("Казахстан", "Казахстан"),
    "Kosovo": ("Косово", "Косово"),
    "Latvia": ("Латвія", "Латвия"),
    "Lithuania": ("Литва", "Литва"),
    "Macedonia": ("Північна Македонія", "Северная Македония"),
    "North Macedonia": ("Північна Македонія", "Северная Македония"),
    "Moldova": ("Молдова", "Молдова"),
    "Montenegro": ("Чорногорія", "Черногория"),
    "Poland": ("Польща", "Польша"),
    "Romania": ("Румунія", "Румыния"),
    "Russia": ("Росія", "Россия"),
    "Serbia": ("Сербія", "Сербия"),
    "Slovakia": ("Словаччина", "Словакия"),
    "Turkey": ("Туреччина", "Турция"),
    "Ukraine": ("Україна", "Украина"),
}

# (English, Ukrainian, Russian, kind, longitude, latitude)
PLACES: list[tuple[str, str, str, str, float, float]] = [
    ("Kyiv", "Київ", "Киев", "capital", 30.5234, 50.4501),
    ("Moscow", "Москва", "Москва", "capital", 37.6173, 55.7558),
    ("Minsk", "Мінськ", "Минск", "capital", 27.5615, 53.9045),
    ("Chișinău", "Кишинів", "Кишинёв", "capital", 28.8638, 47.0105),
    ("Istanbul", "Стамбул", "Стамбул", "city", 28.9784, 41.0082),
    ("Gomel", "Гомель", "Гомель", "city", 30.9754, 52.4345),
    ("Lviv", "Львів", "Львов", "city", 24.0316, 49.8397),
    ("Kharkiv", "Харків", "Харьков", "city", 36.2304, 49.9935),
    ("Dnipro", "Дніпро", "Днепр", "city", 35.0462, 48.4647),
    ("Zaporizhzhia", "Запоріжжя", "Запорожье", "city", 35.1396, 47.8388),
    ("Mariupol", "Маріуполь", "Мариуполь", "city", 37.5434, 47.0971),
    ("Azovstal steel works", "Азовсталь", "Азовсталь", "site", 37.6122, 47.0967),
    ("Manhush", "Мангуш", "Мангуш", "town", 37.3003, 47.0558),
    ("Berdiansk", "Бердянськ", "Бердянск", "city", 36.7845, 46.7553),
    ("Tokmak", "Токмак", "Токмак", "town", 35.7053, 47.2551),
    ("Vasylivka", "Василівка", "Васильевка", "town", 35.2789, 47.4372),
    ("Bezimenne", "Безіменне", "Безыменное", "town", 37.9478, 47.1075),
    ("Novoazovsk", "Новоазовськ", "Новоазовск", "town", 38.0803, 47.1146),
    ("Olenivka", "Оленівка", "Еленовка", "town", 37.6864, 47.8375),
    ("Donetsk", "Донецьк", "Донецк", "city", 37.8028, 48.0159),
    ("Luhansk", "Луганськ", "Луганск", "city", 39.3078, 48.5740),
    ("Melitopol", "Мелітополь", "Мелитополь", "city", 35.3653, 46.8489),
    ("Enerhodar", "Енергодар", "Энергодар", "town", 34.6589, 47.4989),
    ("Nikopol", "Нікополь", "Никополь", "city", 34.3787, 47.5666),
    ("Kryvyi Rih", "Кривий Ріг", "Кривой Рог", "city", 33.3917, 47.9105),
    ("Kherson", "Херсон", "Херсон", "city", 32.6169, 46.6354),
    ("Mykolaiv", "Миколаїв", "Николаев", "city", 31.9946, 46.9750),
    ("Odesa", "Одеса", "Одесса", "city", 30.7233, 46.4825),
    ("Poltava", "Полтава", "Полтава", "city", 34.5514, 49.5883),
    ("Sumy", "Суми", "Сумы", "city", 34.7981, 50.9077),
    ("Chernihiv", "Чернігів", "Чернигов", "city", 31.2893, 51.4982),
    ("Bucha", "Буча", "Буча", "town", 30.2219, 50.5436),
    ("Irpin", "Ірпінь", "Ирпень", "town", 30.2500, 50.5218),
    ("Kramatorsk", "Краматорськ", "Краматорск", "city", 37.5558, 48.7305),
    ("Sloviansk", "Слов'янськ", "Славянск", "city", 37.6058, 48.8533),
    ("Bakhmut", "Бахмут", "Бахмут", "city", 38.0025, 48.5953),
    ("Kupiansk", "Куп'янськ", "Купянск", "town", 37.6169, 49.7106),
    ("Simferopol", "Сімферополь", "Симферополь", "city", 34.1024, 44.9521),
    ("Sevastopol", "Севастополь", "Севастополь", "city", 33.5224, 44.6167),
    ("Rostov-on-Don", "Ростов-на-Дону", "Ростов-на-Дону", "city", 39.7015, 47.2357),
    ("Taganrog", "Таганрог", "Таганрог", "city", 38.8969, 47.2362),
    ("Belgorod", "Бєлгород", "Белгород", "city", 36.5983, 50.5997),
    ("Kursk", "Курськ", "Курск", "city", 36.1874, 51.7373),
    ("Sudzha", "Суджа", "Суджа", "town", 35.2718, 51.1917),
    ("Voronezh", "Воронеж", "Воронеж", "city", 39.2003, 51.6720),
    ("Bryansk", "Брянськ", "Брянск", "city", 34.3654, 53.2521),
]

# Natural Earth 4.0.0 names its populated places in English and Russian (among others) but not in Ukrainian:
# Natural Earth's English name -> (Ukrainian, English as the interface writes it, or "" to keep Natural Earth's).
# A place missing here is left out (every label is written in the three languages).
UK_NAMES: dict[str, tuple[str, str]] = {
    "Kiev": ("Київ", "Kyiv"), "Dnipro": ("Дніпро", ""), "Donetsk": ("Донецьк", ""), "Kharkiv": ("Харків", ""),
    "Lviv": ("Львів", ""), "Odessa": ("Одеса", "Odesa"), "Zhytomyr": ("Житомир", ""),
    "Chornobyl": ("Чорнобиль", ""), "Mariupol": ("Маріуполь", ""), "Sumy": ("Суми", ""),
    "Zaporizhzhya": ("Запоріжжя", "Zaporizhzhia"), "Cherkasy": ("Черкаси", ""), "Chernivtsi": ("Чернівці", ""),
    "Ivano-Frankivsk": ("Івано-Франківськ", ""), "Izmail": ("Ізмаїл", ""), "Kherson": ("Херсон", ""),
    "Kropyvnytskyi": ("Кропивницький", ""), "Korosten": ("Коростень", ""), "Kovel": ("Ковель", ""),
    "Kremenchuk": ("Кременчук", ""), "Kupiansk": ("Куп'янськ", ""), "Luhansk": ("Луганськ", ""),
    "Lutsk": ("Луцьк", ""), "Lysychansk": ("Лисичанськ", ""), "Melitopol": ("Мелітополь", ""),
    "Nikopol": ("Нікополь", ""), "Nizhyn": ("Ніжин", ""), "Poltava": ("Полтава", ""), "Rivne": ("Рівне", ""),
    "Shostka": ("Шостка", ""), "Ternopil": ("Тернопіль", ""), "Vinnytsia": ("Вінниця", ""),
    "Voznesensk": ("Вознесенськ", ""), "Berdiansk": ("Бердянськ", ""), "Bila Tserkva": ("Біла Церква", ""),
    "Brovary": ("Бровари", ""), "Chernihiv": ("Чернігів", ""), "Drohobych": ("Дрогобич", ""),
    "Horlivka": ("Горлівка", ""), "Chornomorsk": ("Чорноморськ", ""),
    "Kamianets-Podilskyi": ("Кам'янець-Подільський", ""), "Khmelnytskyi": ("Хмельницький", ""),
    "Konotop": ("Конотоп", ""), "Kramatorsk": ("Краматорськ", ""), "Kryvyi Rih": ("Кривий Ріг", ""),
    "Makiivka": ("Макіївка", ""), "Mykolaiv": ("Миколаїв", ""), "Uman": ("Умань", ""), "Uzhhorod": ("Ужгород", ""),
    "Simferopol": ("Сімферополь", ""), "Sevastopol": ("Севастополь", ""), "Yalta": ("Ялта", ""),
    "Kerch": ("Керч", ""), "Yevpatoria": ("Євпаторія", ""), "Dzhankoy": ("Джанкой", ""),
    "Drobeta-Turnu Severin": ("Дробета-Турну-Северин", ""), "Tulcea": ("Тулча", ""), "Sibiu": ("Сібіу", ""),
    "Suceava": ("Сучава", ""), "Buzău": ("Бузеу", ""), "Galați": ("Галац", ""), "Focșani": ("Фокшани", ""),
    "Craiova": ("Крайова", ""), "Călărași": ("Келераші", ""), "Botoșani": ("Ботошани", ""),
    "Baia Mare": ("Бая-Маре", ""), "Târgu Mureș": ("Тиргу-Муреш", ""), "Pitești": ("Пітешть", ""),
    "Brașov": ("Брашов", ""), "Ploiești": ("Плоєшть", ""), "Bacău": ("Бакеу", ""), "Cluj-Napoca": ("Клуж-Напока", ""),
    "Constanța": ("Констанца", ""), "Iași": ("Ясси", ""), "Bucharest": ("Бухарест", ""),
    "Bălți": ("Бельці", ""), "Cahul": ("Кагул", ""), "Tiraspol": ("Тирасполь", ""), "Chișinău": ("Кишинів", ""),
    "Maykop": ("Майкоп", ""), "Novozybkov": ("Новозибков", ""), "Yelets": ("Єлець", ""), "Bataysk": ("Батайськ", ""),
    "Taganrog": ("Таганрог", ""), "Novocherkassk": ("Новочеркаськ", ""),
    "Kamensk-Shakhtinsky": ("Каменськ-Шахтинський", ""), "Novoshakhtinsk": ("Новошахтинськ", ""),
    "Shebekino": ("Шебекіно", ""), "Gubkin": ("Губкін", ""), "Apsheronsk": ("Апшеронськ", ""),
    "Kropotkin": ("Кропоткін", ""), "Michurinsk": ("Мічуринськ", ""), "Klintsy": ("Клинці", ""),
    "Lgov": ("Льгов", ""), "Zheleznogorsk": ("Железногорськ", ""), "Gryazi": ("Грязі", ""), "Livny": ("Лівни", ""),
    "Mtsensk": ("Мценськ", ""), "Belaya Kalitva": ("Біла Калитва", ""), "Shakhty": ("Шахти", ""),
    "Millerovo": ("Міллерово", ""), "Yefremov": ("Єфремов", ""), "Stary Oskol": ("Старий Оскол", ""),
    "Alexeyevka": ("Олексіївка", ""), "Valuyki": ("Валуйки", ""), "Tuapse": ("Туапсе", ""),
    "Gelendzhik": ("Геленджик", ""), "Labinsk": ("Лабінськ", ""), "Armavir": ("Армавір", ""),
    "Tikhoretsk": ("Тихорецьк", ""), "Timashevsk": ("Тимашевськ", ""), "Yeysk": ("Єйськ", ""),
    "Kursk": ("Курськ", ""), "Tambov": ("Тамбов", ""),
    "Lipetsk": ("Липецьк", ""), "Oryol": ("Орел", ""), "Belgorod": ("Бєлгород", ""),
    "Novorossiysk": ("Новоросійськ", ""), "Bryansk": ("Брянськ", ""), "Rostov-on-Don": ("Ростов-на-Дону", ""),
    "Krasnodar": ("Краснодар", ""), "Voronezh": ("Воронеж", ""), "Baranovichi": ("Барановичі", ""),
    "Pinsk": ("Пінськ", ""), "Mazyr": ("Мозир", ""), "Babruysk": ("Бобруйськ", ""), "Gomel": ("Гомель", ""),
    "Brest": ("Брест", ""), "Białystok": ("Білосток", ""), "Lublin": ("Люблін", ""), "Rzeszów": ("Ряшів", ""),
}
# Parley's own places rank before Natural Earth's of the same importance; lower ranks are labelled first.
KIND_RANK = {"capital": 1, "city": 4, "site": 5, "town": 6}

SOURCE = {
    "en": "Boundaries: Natural Earth 1:10m, version 4.1.0 (public domain)",
    "uk": "Кордони: Natural Earth 1:10m, версія 4.1.0 (суспільне надбання)",
    "ru": "Границы: Natural Earth 1:10m, версия 4.1.0 (общественное достояние)",
}
# Each layer: its source and licence in the three languages (shown under "Sources" on every map).
LAYERS: dict[str, dict[str, str]] = {
    "countries": SOURCE,
    "water": {
        "en": f"Rivers, lakes and reservoirs: Natural Earth 1:10m, version {NE_VERSION} (public domain)",
        "uk": f"Річки, озера й водосховища: Natural Earth 1:10m, версія {NE_VERSION} (суспільне надбання)",
        "ru": f"Реки, озёра и водохранилища: Natural Earth 1:10m, версия {NE_VERSION} (общественное достояние)",
    },
    "roads": {
        "en": f"Main roads: Natural Earth 1:10m, version {NE_VERSION} (public domain)",
        "uk": f"Головні дороги: Natural Earth 1:10m, версія {NE_VERSION} (суспільне надбання)",
        "ru": f"Главные дороги: Natural Earth 1:10m, версия {NE_VERSION} (общественное достояние)",
    },
    "places": {
        "en": f"Settlements: Natural Earth 1:10m populated places, version {NE_VERSION} (public domain), and "
              "Parley's own list; Ukrainian names: Parley",
        "uk": f"Населені пункти: Natural Earth 1:10m, версія {NE_VERSION} (суспільне надбання), і власний "
              "список Parley; українські назви: Parley",
        "ru": f"Населённые пункты: Natural Earth 1:10m, версия {NE_VERSION} (общественное достояние), и "
              "собственный список Parley; украинские названия: Parley",
    },
}
SHORT = {"en": "Map data: Natural Earth (public domain)", "uk": "Дані карти: Natural Earth (суспільне надбання)",
         "ru": "Данные карты: Natural Earth (общественное достояние)"}
DISCLAIMER = {
    "en": "Boundaries are shown as Natural Earth depicts them. They imply no position of Parley, the "
          "mediators or any party on the status of any territory or on any line of contact.",
    "uk": "Кордони показано так, як їх зображує Natural Earth. Вони не виражають жодної позиції Parley, "
          "посередників чи будь-якої сторони щодо статусу будь-якої території чи будь-якої лінії зіткнення.",
    "ru": "Границы показаны так, как их изображает Natural Earth. Они не выражают никакой позиции Parley, "
          "посредников или какой-либо стороны относительно статуса какой-либо территории или какой-либо "
          "линии соприкосновения.",
}


def fetch_world_atlas(workdir: Path) -> Path:
    """``npm pack world-atlas@2`` into ``workdir`` and return the path of countries-10m.json."""
    subprocess.run(["npm", "pack", "--silent", "world-atlas@2.0.2"], cwd=workdir, check=True,  # noqa: S607 — npm on PATH
                   stdout=subprocess.DEVNULL)
    tgz = next(workdir.glob("world-atlas-*.tgz"))
    with tarfile.open(tgz) as tar:
        member = tar.getmember("package/countries-10m.json")
        tar.extractall(workdir, members=[member], filter="data")
    return workdir / "package" / "countries-10m.json"


def decode_arcs(topology: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """TopoJSON arcs, delta-decoded and de-quantised to longitude, latitude."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        arcs.append(pts)
    return arcs


def ring(arcs: list[list[tuple[float, float]]], indexes: list[int]) -> list[tuple[float, float]]:
    """A ring stitched from arcs; a negative index ``~i`` means arc ``i`` reversed."""
    pts: list[tuple[float, float]] = []
    for i in indexes:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        pts.extend(arc if not pts else arc[1:])
    return pts


def country_shapes(topology: dict[str, Any]) -> list[tuple[str, Any]]:
    arcs = decode_arcs(topology)
    out = []
    for g in topology["objects"]["countries"]["geometries"]:
        if g.get("type") == "Polygon":
            polys = [g["arcs"]]
        elif g.get("type") == "MultiPolygon":
            polys = g["arcs"]
        else:
            continue
        shapes = []
        for p in polys:
            shell = ring(arcs, p[0])
            if len(shell) < 4:  # an islet quantised to nothing
                continue
            shapes.append(Polygon(shell, [r for r in (ring(arcs, h) for h in p[1:]) if len(r) >= 4]))
        if not shapes:
            continue
        out.append((g.get("properties", {}).get("name", ""), shapely.make_valid(MultiPolygon(shapes))))
    return out


def build_countries(topology: dict[str, Any]) -> dict[str, Any]:
    region = box(*REGION)
    features = []
    for name, geom in country_shapes(topology):
        if not geom.intersects(region):
            continue
        # Countries far from the operations' area are drawn only when zoomed out: coarser there.
        near = geom.intersects(box(*DETAIL).buffer(1.5))
        clipped = geom.intersection(region).simplify(TOLERANCE if near else TOLERANCE * 5, preserve_topology=True)
        clipped = shapely.set_precision(clipped, 10 ** -PRECISION)
        polys = [p for p in getattr(clipped, "geoms", [clipped]) if isinstance(p, Polygon) and p.area > 1e-4]
        if not polys:
            continue
        uk, ru = COUNTRY_NAMES.get(name, (name, name))
        features.append({"type": "Feature", "properties": {"name_en": name, "name_uk": uk, "name_ru": ru},
                         "geometry": mapping(MultiPolygon(polys) if len(polys) > 1 else polys[0])})
    features.sort(key=lambda f: f["properties"]["name_en"])
    return {"type": "FeatureCollection", "features": features}


# -- the detailed layers from Natural Earth's GeoJSON ---------------------------------------------------------
def load_ne(directory: Path, name: str) -> dict[str, Any] | None:
    """``name``.geojson or ``name``.json from ``directory`` (searched recursively), or None when absent."""
    for ext in (".geojson", ".json"):
        found = sorted(directory.rglob(name + ext))
        if found:
            return json.loads(found[0].read_text(encoding="utf-8"))  # type: ignore[no-any-return]
    return None


def clip(geom: Any, area: tuple[float, float, float, float], tolerance: float) -> Any:
    """``geom`` cut to the box ``area``, simplified and rounded to PRECISION decimals; None when nothing is left."""
    if geom is None or geom.is_empty or not geom.intersects(box(*area)):
        return None
    out = shapely.set_precision(geom.intersection(box(*area)).simplify(tolerance, preserve_topology=True),
                                10 ** -PRECISION)
    return None if out.is_empty else out


def _parts(geom: Any, kind: type) -> list[Any]:
    return [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, kind) and not g.is_empty]


def build_water(collections: list[dict[str, Any] | None], area: tuple[float, float, float, float] = DETAIL,
                tolerance: float = WATER_TOLERANCE) -> dict[str, Any]:
    """Rivers as lines, lakes and reservoirs as polygons, clipped to ``area``. A river is kept down to the
    detail of Natural Earth's European rivers; a lake smaller than about 2 km² is dropped."""
    from shapely.geometry import LineString, MultiLineString, shape

    features = []
    for coll in collections:
        for f in (coll or {}).get("features", []):
            if not f.get("geometry"):
                continue
            cls = str((f.get("properties") or {}).get("featurecla") or "")
            geom = clip(shape(f["geometry"]), area, tolerance)
            if geom is None:
                continue
            if "Lake" in cls or "Reservoir" in cls:
                polys = [p for p in _parts(geom, Polygon) if p.area > 2e-4]
                if polys:
                    kind = "reservoir" if "Reservoir" in cls else "lake"
                    features.append({"type": "Feature", "properties": {"kind": kind},
                                     "geometry": mapping(MultiPolygon(polys) if len(polys) > 1 else polys[0])})
            else:
                lines = [ln for ln in _parts(geom, LineString) if ln.length > 0.01]
                if lines:
                    features.append({"type": "Feature", "properties": {"kind": "river"},
                                     "geometry": mapping(MultiLineString(lines) if len(lines) > 1 else lines[0])})
    features.sort(key=lambda f: (f["properties"]["kind"], json.dumps(f["geometry"])[:60]))
    return {"type": "FeatureCollection", "features": features}


def build_roads(coll: dict[str, Any] | None, area: tuple[float, float, float, float] = DETAIL,
                tolerance: float = WATER_TOLERANCE) -> dict[str, Any] | None:
    """Natural Earth's major highways and roads clipped to ``area`` (None without the source)."""
    from shapely.geometry import LineString, MultiLineString, shape

    if coll is None:
        return None
    features = []
    for f in coll.get("features", []):
        props = {k.lower(): v for k, v in (f.get("properties") or {}).items()}
        if not f.get("geometry") or props.get("type") not in ("Major Highway", "Secondary Highway", "Road"):
            continue
        geom = clip(shape(f["geometry"]), area, tolerance)
        lines = _parts(geom, LineString) if geom is not None else []
        if lines:
            kind = "major" if props.get("type") == "Major Highway" else "road"
            features.append({"type": "Feature", "properties": {"kind": kind},
                             "geometry": mapping(MultiLineString(lines) if len(lines) > 1 else lines[0])})
    return {"type": "FeatureCollection", "features": features}


def ne_places(coll: dict[str, Any] | None, area: tuple[float, float, float, float] = DETAIL,
              max_rank: int = PLACE_MAX_SCALERANK) -> tuple[list[dict[str, Any]], list[str]]:
    """Natural Earth's populated places in ``area`` up to ``max_rank``, named in three languages; and the
    English names of those left out for want of a Ukrainian name."""
    out, missing = [], []
    for f in (coll or {}).get("features", []):
        props = {k.upper(): v for k, v in (f.get("properties") or {}).items()}
        lon, lat = f["geometry"]["coordinates"][:2]
        rank = int(props.get("SCALERANK") or 10)
        if not (area[0] <= lon <= area[2] and area[1] <= lat <= area[3]) or rank > max_rank:
            continue
        en = props.get("NAME_EN") or props.get("NAME") or ""
        ru = props.get("NAME_RU") or ""
        uk = props.get("NAME_UK") or ""
        latin = ""
        if en in UK_NAMES:
            uk, latin = uk or UK_NAMES[en][0], UK_NAMES[en][1]
        if not (en and uk and ru):
            missing.append(en or str(props.get("NAME")))
            continue
        kind = "capital" if props.get("FEATURECLA") == "Admin-0 capital" else "city" if rank <= 7 else "town"
        out.append({"type": "Feature",
                    "properties": {"name_en": latin or en, "name_uk": uk, "name_ru": ru, "kind": kind, "rank": rank},
                    "geometry": {"type": "Point", "coordinates": [round(lon, PRECISION), round(lat, PRECISION)]}})
    return out, missing


def build_places(extra: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Parley's places, then ``extra`` (Natural Earth's) less those that name a place already listed within
    about 15 km under the same name key (the registry's: Запоріжжя = Zaporizhzhia = Запорожье)."""
    from parley.operations.service import place_key

    own = [{"type": "Feature", "properties": {"name_en": en, "name_uk": uk, "name_ru": ru, "kind": kind,
                                              "rank": KIND_RANK[kind]},
            "geometry": {"type": "Point", "coordinates": [lon, lat]}}
           for en, uk, ru, kind, lon, lat in PLACES]
    seen = [(place_key(f["properties"]["name_en"]), f["geometry"]["coordinates"]) for f in own]
    features = list(own)
    for f in extra or []:
        key, (lon, lat) = place_key(f["properties"]["name_en"]), f["geometry"]["coordinates"]
        if any(k == key and abs(x - lon) < 0.2 and abs(y - lat) < 0.15 for k, (x, y) in seen):
            continue
        seen.append((key, (lon, lat)))
        features.append(f)
    return {"type": "FeatureCollection", "features": features}


def _dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n"


def attribution(layers: list[str]) -> dict[str, Any]:
    return {"source": SOURCE, "short": SHORT, "disclaimer": DISCLAIMER, "region": list(REGION),
            "detail": list(DETAIL), "layers": {name: LAYERS[name] for name in layers}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--topojson", type=Path, help="world-atlas@2 countries-10m.json (default: npm pack it)")
    ap.add_argument("--ne", type=Path, required=True,
                    help="a folder with Natural Earth 1:10m GeoJSON layers (rivers, lakes, populated places, roads)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.topojson or fetch_world_atlas(Path(tmp))
        topology = json.loads(path.read_text(encoding="utf-8"))
    countries = build_countries(topology)
    water = build_water([load_ne(args.ne, n) for n in ("ne_10m_lakes", "ne_10m_lakes_europe",
                                                       "ne_10m_rivers_lake_centerlines", "ne_10m_rivers_europe")])
    roads = build_roads(load_ne(args.ne, "ne_10m_roads"))
    extra, missing = ne_places(load_ne(args.ne, "ne_10m_populated_places"))
    places = build_places(extra)
    layers = ["countries", "water"] + (["roads"] if roads else []) + ["places"]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "countries.geojson").write_text(_dump(countries), encoding="utf-8")
    (args.out / "water.geojson").write_text(_dump(water), encoding="utf-8")
    if roads:
        (args.out / "roads.geojson").write_text(_dump(roads), encoding="utf-8")
    (args.out / "places.geojson").write_text(_dump(places), encoding="utf-8")
    (args.out / "attribution.json").write_text(
        json.dumps(attribution(layers), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (args.out / "SOURCE.md").write_text(
        "# Offline basemap\n\n"
        "Built by `scripts/build_basemap.py`; nothing is fetched at run time. Every layer is from Natural Earth\n"
        "(public domain, https://www.naturalearthdata.com/):\n\n"
        "- countries: Natural Earth 1:10m admin-0 countries, version 4.1.0, as redistributed in the npm package\n"
        "  `world-atlas@2.0.2` (ISC licence, Copyright 2013-2019 Michael Bostock);\n"
        f"- rivers, lakes and reservoirs (`water.geojson`): Natural Earth 1:10m rivers and lake centerlines,\n"
        f"  European rivers, lakes and European lakes, version {NE_VERSION}, as converted to GeoJSON in the public\n"
        "  repository martynafford/natural-earth-geojson (CC0 1.0);\n"
        + ("- main roads (`roads.geojson`): Natural Earth 1:10m roads;\n" if roads else
           "- main roads: not yet shipped (Natural Earth's ne_10m_roads was not at hand when this was built;\n"
           "  run the script again with it in the --ne folder to add `roads.geojson`);\n")
        + f"- settlements (`places.geojson`): Parley's own list (`PLACES` in the script) and Natural Earth 1:10m\n"
        f"  populated places, version {NE_VERSION} (same repository), scalerank up to {PLACE_MAX_SCALERANK};\n"
        "  English and"
        " Russian names from Natural Earth, Ukrainian names (and a few current English spellings) from\n"
        "  `UK_NAMES` in the script.\n\n"
        f"Countries clipped to longitude {REGION[0]:g}..{REGION[2]:g}, latitude {REGION[1]:g}..{REGION[3]:g}, "
        f"simplified to {TOLERANCE} degrees ({TOLERANCE * 5:g} more than 1.5 degrees away from the area below);\n"
        f"the other layers clipped to longitude {DETAIL[0]:g}..{DETAIL[2]:g}, "
        f"latitude {DETAIL[1]:g}..{DETAIL[3]:g}, simplified to {WATER_TOLERANCE} degrees.\n"
        "No layer takes a side: no front line, no occupied or controlled area, no country per settlement.\n\n"
        f"{DISCLAIMER['en']}\n\n{DISCLAIMER['uk']}\n\n{DISCLAIMER['ru']}\n",
        encoding="utf-8")
    sizes = {p.name: p.stat().st_size for p in sorted(args.out.iterdir())}
    print(f"{len(countries['features'])} countries, {len(water['features'])} water features, "
          f"{len(roads['features']) if roads else 0} roads, {len(places['features'])} places "
          f"({len(missing)} left out without a Ukrainian name: {', '.join(missing)}); "
          + ", ".join(f"{k} {v / 1024:.0f} KiB" for k, v in sizes.items()))

if __name__ == "__main__":
    main()
