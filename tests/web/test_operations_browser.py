"""Humanitarian operations in headless Chromium: the route is drawn on the Leaflet map by clicking, the other
party acknowledges, the mediator starts and completes, two parties' outcome figures differ and are shown so.
No request leaves the machine."""

from __future__ import annotations

import os
import zoneinfo
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.web.test_browser import ARGS, CHROMIUM, server  # noqa: F401  (the uvicorn server fixture)

pytestmark = pytest.mark.browser

KYIV = zoneinfo.ZoneInfo("Europe/Kyiv")
# Azovstal → Berdiansk area → Zaporizhzhia, as [lat, lon] for Leaflet.
POINTS = [[47.0967, 37.6122], [46.80, 36.80], [47.40, 35.60], [47.8388, 35.1396]]


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


class Watch:
    """Every request and console error of the contexts opened through it."""

    def __init__(self) -> None:
        self.hosts: set[str] = set()
        self.errors: list[str] = []

    def page(self, browser, base: str, demo, member: str):  # type: ignore[no-untyped-def]
        ctx = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
        ctx.on("request", lambda r: self.hosts.add(urlsplit(r.url).hostname or urlsplit(r.url).scheme))
        page = ctx.new_page()
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.goto(f"{base}/signin")
        page.fill("#member", member)
        page.fill("#password", demo.password(member))
        page.click("button.primary")
        page.wait_for_url(f"{base}/")
        return page


def local_input(hours: float) -> str:
    return (datetime.now(KYIV) + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


def wait_for_map(page, selector: str) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_selector(f"{selector}.leaflet-container[data-ready='1']")


def test_propose_by_drawing_acknowledge_start_and_differing_outcomes(server, browser, tmp_path):  # noqa: F811
    base, demo = server
    shots = Path(os.environ.get("PARLEY_SCREENSHOTS", tmp_path))
    watch = Watch()

    # Ukraine's negotiator proposes an evacuation, drawing the route on the map.
    ua = watch.page(browser, base, demo, "ua/negotiator")
    ua.goto(f"{base}/operations/new")
    wait_for_map(ua, "#route-map")
    ua.fill("#title", "Evacuation drawn in the browser")
    ua.fill("#origin_name", "Azovstal")
    ua.fill("#destination_name", "Zaporizhzhia")
    box = ua.locator("#route-map").bounding_box()
    for lat, lon in POINTS:
        pt = ua.evaluate("([lat, lon]) => document.getElementById('route-map').parleyMap"
                         ".latLngToContainerPoint([lat, lon])", [lat, lon])
        assert 0 < pt["x"] < box["width"] and 0 < pt["y"] < box["height"]
        ua.mouse.click(box["x"] + pt["x"], box["y"] + pt["y"])
    assert ua.locator("#route-count").inner_text() == "4"
    ua.click("#route-undo")
    assert ua.locator("#route-count").inner_text() == "3"
    pt = ua.evaluate("() => document.getElementById('route-map').parleyMap.latLngToContainerPoint([47.8388, 35.1396])")
    ua.mouse.click(box["x"] + pt["x"], box["y"] + pt["y"])
    route = ua.input_value("#route")
    assert '"LineString"' in route and route.count("[") == 5  # four points
    assert ua.input_value("#origin_position").startswith("37.")
    assert ua.input_value("#destination_position").startswith("35.")
    assert ua.locator("#route-map path.route").count() >= 1
    ua.fill("#window_start", local_input(60))
    ua.fill("#window_end", local_input(84))
    ua.select_option("#time_zone", "Europe/Kyiv")
    ua.fill("#buffer_m", "5000")
    ua.fill("#vehicles", "12")
    ua.fill("#expected_women", "40")
    ua.fill("#expected_children", "20")
    ua.screenshot(path=str(shots / "operation_new.png"), full_page=True)
    ua.click("#propose")
    ua.wait_for_url(f"{base}/operations/ua-op-*")
    op_url = ua.url
    wait_for_map(ua, "#op-map")
    assert ua.locator("#op-map path.route").count() >= 1
    assert "Awaiting answer" in ua.locator("#board").inner_text()
    assert "Acknowledgement is not permission" in ua.locator("#principle").inner_text()

    # Russia's liaison officer acknowledges.
    ru = watch.page(browser, base, demo, "ru/liaison")
    ru.goto(op_url)
    ru.click("#acknowledge")
    ru.wait_for_url(f"{op_url}*")
    assert ru.locator("#op-status").inner_text() == "Acknowledged by all"

    # The mediator starts the operation, reports its figures and completes it.
    icrc = watch.page(browser, base, demo, "icrc/mediator")
    icrc.goto(op_url)
    # Its window has not opened: the page asks first, with the reason, and says what follows.
    icrc.click("#action-start")
    icrc.wait_for_selector("#confirm-form")
    assert "Starting now, before it" in icrc.locator("#confirm-said").inner_text()
    icrc.fill("#confirm-reason", "Both sides asked to begin at once")
    icrc.click("#confirm-start")
    icrc.wait_for_url(f"{op_url}#status")
    assert icrc.locator("#op-status").inner_text() == "Under way"
    icrc.fill("#count_women", "41")
    icrc.fill("#count_children", "19")
    icrc.click("#outcome-form button.primary")
    icrc.wait_for_url(f"{op_url}*")
    icrc.click("#action-complete")
    icrc.wait_for_selector("#confirm-form")
    assert "No arrival has been recorded" in icrc.locator("#confirm-said").inner_text()
    icrc.click("#confirm-complete")
    icrc.wait_for_url(f"{op_url}#status")
    assert icrc.locator("#op-status").inner_text() == "Completed"

    # Ukraine's liaison officer reports different figures.
    ual = watch.page(browser, base, demo, "ua/liaison")
    ual.goto(op_url)
    ual.fill("#count_women", "38")
    ual.fill("#count_children", "19")
    ual.click("#outcome-form button.primary")
    ual.wait_for_url(f"{op_url}*")
    table = ual.locator("#outcome-table")
    assert table.locator("thead th[data-party='icrc']").count() == 1
    assert table.locator("thead th[data-party='ua']").count() == 1
    differ = table.locator("tbody tr.differ")
    assert differ.count() == 1
    assert differ.locator("td[data-party='icrc']").inner_text() == "41"
    assert differ.locator("td[data-party='ua']").inner_text() == "38"
    bg = differ.locator("td").first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert bg not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)")
    same = table.locator("tbody tr:not(.differ):not(.sr-only)")
    assert same.count() == 1 and same.locator("td[data-party='ua']").inner_text() == "19"
    wait_for_map(ual, "#op-map")
    assert ual.locator("#op-map.leaflet-container path.route").count() >= 1
    ual.screenshot(path=str(shots / "operation.png"), full_page=True)

    # The list page shows the map with the operation and its table row.
    ual.goto(f"{base}/operations")
    wait_for_map(ual, "#ops-map")
    assert ual.locator("#ops-map path.route").count() >= 1
    assert "Evacuation drawn in the browser" in ual.locator("#operations").inner_text()
    ual.screenshot(path=str(shots / "operations.png"), full_page=True)

    assert watch.hosts <= {"127.0.0.1", "localhost", "data"}, watch.hosts
    assert not [e for e in watch.errors if "Content Security Policy" in e or "Uncaught" in e], watch.errors


BASEMAP = {
    "countries.geojson": {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name_en": "X"},
                          "geometry": {"type": "Polygon", "coordinates": [[[30, 45], [40, 45], [40, 52], [30, 45]]]}}]},
    "places.geojson": {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {
        "type": "Point", "coordinates": [37.54, 47.10]}, "properties": {
        "name_en": "Mariupol", "name_uk": "Маріуполь", "name_ru": "Мариуполь"}}]},
    "water.geojson": {"type": "FeatureCollection", "features": []},
    "attribution.json": {"source": {"en": "Test basemap source", "uk": "Тестове джерело", "ru": "Тестовый источник"},
                         "disclaimer": {"en": "Boundaries shown are not endorsed", "uk": "Кордони не схвалено",
                                        "ru": "Границы не одобрены"}},
}


def test_zone_drawn_and_incident_picked_on_the_map(server, browser):  # noqa: F811
    import json

    base, demo = server
    watch = Watch()
    page = watch.page(browser, base, demo, "ru/negotiator")
    # The offline basemap, served here by the test so the test does not depend on the data files being present.
    page.route("**/static/basemap/*", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(BASEMAP[route.request.url.rsplit("/", 1)[1]])))
    page.goto(f"{base}/zones?lang=uk")
    wait_for_map(page, "#zone-map")
    page.wait_for_selector("#zone-map .leaflet-control-attribution .basemap-attribution")
    attribution = page.locator("#zone-map .leaflet-control-attribution").text_content()
    assert "Тестове джерело — Кордони не схвалено" in attribution
    page.wait_for_selector("#zone-map .place-label")
    assert page.locator("#zone-map .place-label").inner_text() == "Маріуполь"
    # The map's own buttons speak the page's language too.
    assert page.get_attribute("#zone-map .leaflet-control-zoom-in", "title") == "Збільшити"
    assert page.get_attribute("#zone-map .leaflet-control-zoom-out", "title") == "Зменшити"
    page.goto(f"{base}/zones?lang=en")
    wait_for_map(page, "#zone-map")
    box = page.locator("#zone-map").bounding_box()
    for lat, lon in [[47.3, 37.8], [47.3, 38.3], [47.0, 38.3]]:
        pt = page.evaluate("([lat, lon]) => document.getElementById('zone-map').parleyMap"
                           ".latLngToContainerPoint([lat, lon])", [lat, lon])
        page.mouse.click(box["x"] + pt["x"], box["y"] + pt["y"])
    geometry = page.input_value("#geometry")
    assert '"Polygon"' in geometry and geometry.count("[") == 6  # three corners, closed
    page.fill("#name", "Drawn minefield")
    page.select_option("#kind", "mined")
    page.fill("#valid_from", local_input(1))
    page.fill("#valid_until", local_input(200))
    page.check("input[name=audience][value=party]")
    page.click("#zone-form button.primary")
    page.wait_for_url(f"{base}/zones")
    assert "Drawn minefield" in page.locator("#zones").inner_text()
    page.goto(f"{base}/incidents")
    wait_for_map(page, "#incident-map")
    box = page.locator("#incident-map").bounding_box()
    pt = page.evaluate("() => document.getElementById('incident-map').parleyMap.latLngToContainerPoint([47.1, 37.55])")
    page.mouse.click(box["x"] + pt["x"], box["y"] + pt["y"])
    assert page.input_value("#position").startswith("37.")
    page.fill("#at", local_input(-2))
    page.fill("#description", "Shots heard near the bridge")
    page.click("#incident-form button.primary")
    page.wait_for_url(f"{base}/incidents")
    assert "Shots heard near the bridge" in page.content()
    assert watch.hosts <= {"127.0.0.1", "localhost", "data"}, watch.hosts
    assert not [e for e in watch.errors if "Content Security Policy" in e or "Uncaught" in e], watch.errors


def test_the_map_draws_each_destination_and_the_corridor_one_side_declared(server, browser):  # noqa: F811
    base, demo = server
    watch = Watch()
    page = watch.page(browser, base, demo, "icrc/mediator")
    # The exit of 16 May: two destinations, each a marker of its own.
    page.goto(f"{base}/operations/ua-azovstal-exit")
    wait_for_map(page, "#op-map")
    assert page.locator("#op-map .place-destination").count() == 2
    assert page.locator("#op-map .place-origin").count() == 1
    # The corridor Russia declared on its own is drawn dashed, apart from the agreed operations' routes.
    page.goto(f"{base}/operations")
    wait_for_map(page, "#ops-map")
    corridor = page.locator("#ops-map path.declared-corridor")
    assert corridor.count() == 1 and corridor.get_attribute("stroke-dasharray") == "6 6"
    assert page.locator("#corridors tbody tr").count() == 1
    assert watch.hosts <= {"127.0.0.1", "data", "blob"}  # nothing fetched from elsewhere
    assert not [e for e in watch.errors if "404" not in e], watch.errors  # no script error (the browser's own
    # request for /favicon.ico is the one 404)
