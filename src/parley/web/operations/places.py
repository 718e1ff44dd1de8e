"""Searching the offline basemap's settlements by name, in any script, for the maps' search box: the query and
every name of every place are keyed as the registry keys a place's name (``svc.place_key``), so "Zaporizhzhia",
"Запоріжжя" and "Запорожье" find the same place."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from parley.operations.service import place_key
from parley.web.routes import Who, lang_of

router = APIRouter(include_in_schema=False)

PLACES = Path(__file__).resolve().parents[1] / "static" / "basemap" / "places.geojson"
LANGS = ("en", "uk", "ru")
LIMIT = 8


@lru_cache(maxsize=1)
def _index() -> list[tuple[dict[str, Any], list[str]]]:
    """Each shipped place with the keys of its names (read once: the file is part of the release)."""
    try:
        features = json.loads(PLACES.read_text(encoding="utf-8")).get("features", [])
    except (OSError, ValueError):
        return []
    out = []
    for f in features:
        props = f.get("properties") or {}
        names = {props.get(f"name_{lang}") or "" for lang in LANGS} - {""}
        if names and (f.get("geometry") or {}).get("type") == "Point":
            out.append((f, sorted({place_key(n) for n in names})))
    return out


def search(query: str, lang: str = "en", limit: int = LIMIT) -> list[dict[str, Any]]:
    """Places whose name's key equals or begins with the query's key; exact matches first, then by rank."""
    q = place_key(query.strip()) if query.strip() else ""
    if not q:
        return []
    hits = []
    for f, keys in _index():
        exact = q in keys
        if exact or any(k.startswith(q) for k in keys):
            props = f["properties"]
            hits.append((0 if exact else 1, props.get("rank", 9), props.get(f"name_{lang}") or props["name_en"], f))
    hits.sort(key=lambda h: (h[0], h[1], h[2]))
    return [{"name": name, "names": {lang_: f["properties"].get(f"name_{lang_}") for lang_ in LANGS},
             "kind": f["properties"].get("kind"), "position": f["geometry"]["coordinates"]}
            for _, _, name, f in hits[:limit]]


@router.get("/map/places")
def places(request: Request, who: Who, q: str = "") -> JSONResponse:
    return JSONResponse({"query": q, "places": search(q[:100], lang_of(request))})
