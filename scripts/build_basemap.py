"""Build the offline basemap shipped in ``src/parley/web/static/basemap/``.

Parley's maps never fetch tiles at run time: two hostile parties use them, often on networks that
reach nothing outside. The basemap is built once, by hand, from Natural Earth 4.1.0 (public domain)
as redistributed in the npm package ``world-atlas@2`` (ISC), and committed:

    python scripts/build_basemap.py                    # fetches world-atlas@2 with ``npm pack``
    python scripts/build_basemap.py --topojson PATH    # or a countries-10m.json already on disk

It writes
- ``countries.geojson``: Natural Earth's 1:10m admin-0 polygons clipped to the region of the
  operations and simplified, each with ``name_en``, ``name_uk``, ``name_ru``;
- ``places.geojson``: the towns, sites and crossings that the operations and talks refer to, with
  names in the three languages of the interface and a kind;
- ``attribution.json``: the source and a neutral disclaimer in each language, shown on every map;
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
REGION = (20.0, 40.0, 50.0, 58.0)  # lon/lat box: Ukraine, its neighbours and the Black Sea
TOLERANCE = 0.003  # degrees (about 300 m): a coastline that still reads at the zoom of a corridor
PRECISION = 4  # decimals kept (about 10 m)

COUNTRY_NAMES: dict[str, tuple[str, str]] = {
    # Natural Earth's English name -> (Ukrainian, Russian)
    "Albania": ("Албанія", "Албания"),
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

SOURCE = {
    "en": "Boundaries: Natural Earth 1:10m, version 4.1.0 (public domain)",
    "uk": "Кордони: Natural Earth 1:10m, версія 4.1.0 (суспільне надбання)",
    "ru": "Границы: Natural Earth 1:10m, версия 4.1.0 (общественное достояние)",
}
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
        clipped = geom.intersection(region).simplify(TOLERANCE, preserve_topology=True)
        clipped = shapely.set_precision(clipped, 10 ** -PRECISION)
        polys = [p for p in getattr(clipped, "geoms", [clipped]) if isinstance(p, Polygon) and p.area > 1e-4]
        if not polys:
            continue
        uk, ru = COUNTRY_NAMES.get(name, (name, name))
        features.append({"type": "Feature", "properties": {"name_en": name, "name_uk": uk, "name_ru": ru},
                         "geometry": mapping(MultiPolygon(polys) if len(polys) > 1 else polys[0])})
    features.sort(key=lambda f: f["properties"]["name_en"])
    return {"type": "FeatureCollection", "features": features}


def build_places() -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name_en": en, "name_uk": uk, "name_ru": ru, "kind": kind},
         "geometry": {"type": "Point", "coordinates": [lon, lat]}}
        for en, uk, ru, kind, lon, lat in PLACES]}


def _dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--topojson", type=Path, help="world-atlas@2 countries-10m.json (default: npm pack it)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.topojson or fetch_world_atlas(Path(tmp))
        topology = json.loads(path.read_text(encoding="utf-8"))
    countries = build_countries(topology)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "countries.geojson").write_text(_dump(countries), encoding="utf-8")
    (args.out / "places.geojson").write_text(_dump(build_places()), encoding="utf-8")
    (args.out / "attribution.json").write_text(
        json.dumps({"source": SOURCE, "disclaimer": DISCLAIMER, "region": list(REGION)}, ensure_ascii=False,
                   indent=1) + "\n", encoding="utf-8")
    (args.out / "SOURCE.md").write_text(
        "# Offline basemap\n\n"
        f"Built by `scripts/build_basemap.py` from Natural Earth 1:10m admin-0 countries, version 4.1.0\n"
        "(public domain, https://www.naturalearthdata.com/), as redistributed in the npm package\n"
        "`world-atlas@2.0.2` (ISC licence, Copyright 2013-2019 Michael Bostock).\n\n"
        f"Clipped to longitude {REGION[0]:g}..{REGION[2]:g}, latitude {REGION[1]:g}..{REGION[3]:g}; simplified "
        f"to {TOLERANCE} degrees.\nPlace names and positions are Parley's own list (`PLACES` in the script).\n\n"
        f"{DISCLAIMER['en']}\n\n{DISCLAIMER['uk']}\n\n{DISCLAIMER['ru']}\n",
        encoding="utf-8")
    sizes = {p.name: p.stat().st_size for p in sorted(args.out.iterdir())}
    print(f"{len(countries['features'])} countries, {len(PLACES)} places; "
          + ", ".join(f"{k} {v / 1024:.0f} KiB" for k, v in sizes.items()))


if __name__ == "__main__":
    main()
