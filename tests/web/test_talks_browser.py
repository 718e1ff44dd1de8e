"""Talks in headless Chromium: the process page with its venues on the map, a claim from anonymous officials shown
as reported, the timeline sorted; the points board with a wording opened on demand; the joint text page with its
word-level difference, another pair of versions compared, and a sign-off through the form that turns the panel.
No request leaves the machine."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from tests.talks.test_api import sha
from tests.web.test_browser import server  # noqa: F401  (the uvicorn server fixture)
from tests.web.test_operations_browser import Watch, browser, wait_for_map  # noqa: F401  (the browser fixture)
from tests.web.test_talks_pages import RUMOUR, V2, build

pytestmark = pytest.mark.browser


def test_process_board_and_text_in_the_browser(server, browser, tmp_path):  # noqa: F811
    base, demo = server
    shots = Path(os.environ.get("PARLEY_SCREENSHOTS", tmp_path))
    with httpx.Client(base_url=base, timeout=30) as api:
        t = build(api, demo.headers)
    watch = Watch()
    ua = watch.page(browser, base, demo, "ua/negotiator")

    # The process: the venue on the map, the claim reported from anonymous officials marked, the timeline sorted.
    ua.click("header nav a[href='/talks']")
    ua.wait_for_url(f"{base}/talks")
    ua.click(f"#processes a[href='/talks/{t.process}']")
    ua.wait_for_url(f"{base}/talks/{t.process}")
    wait_for_map(ua, "#venues-map")
    assert ua.locator("#venues-map path.venue").count() == 1  # the venue as changed: Belovezhskaya Pushcha
    claim = ua.locator("article.statement.hearsay").first
    assert claim.is_visible() and RUMOUR in claim.inner_text()
    assert "Reported, not confirmed" in claim.locator(".tag.reported").inner_text()
    style = claim.evaluate("e => getComputedStyle(e).borderLeftStyle")
    assert style == "dashed"
    assert ua.locator("#process-status").inner_text() == "Active"
    header = ua.locator("#timeline-table th").first
    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    times = ua.locator("#timeline-table tbody td:first-child").evaluate_all("cells => cells.map(c => c.dataset.value)")
    assert times == sorted(times)
    ua.screenshot(path=str(shots / "talks_process.png"), full_page=True)

    # The board: both parties side by side, the agreed point marked, a wording opened on demand.
    ua.click("#board-link")
    ua.wait_for_url(f"{base}/talks/{t.process}/board")
    row = ua.locator(f"#points-board tr[data-point='{t.agreed}']")
    assert row.locator(".tag.agreed").inner_text() == "Mutual understanding"
    assert row.locator("td[data-party='ua'] .tag").inner_text() == "Accepted"
    assert row.locator("td[data-party='ru'] .tag").inner_text() == "Counter-proposal"
    wording = row.locator("td[data-party='ru'] details.wording")
    assert not wording.locator("p").is_visible()
    wording.locator("summary").click()
    assert wording.locator("p").is_visible()
    ua.screenshot(path=str(shots / "talks_board.png"), full_page=True)

    # The joint text: what changed since Ukraine signed version 1, then Ukraine signs version 2 through the form.
    ua.goto(f"{base}/talks/texts/{t.text}")
    panel = ua.locator("#signoff-panel tr[data-party='ua']")
    assert "Not signed" in panel.inner_text()
    assert panel.locator("details.changed-since ins").inner_text().strip() == "і тимчасового припинення вогню"
    ins = ua.locator("#diff-pieces ins").first
    assert ins.evaluate("e => getComputedStyle(e).backgroundColor") not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)")
    ua.select_option("#diff-from", "2")
    ua.select_option("#diff-to", "1")
    with ua.expect_navigation():
        ua.click("#diff button")
    assert "from=2&to=1" in ua.url
    assert ua.locator("#diff-pieces del").first.inner_text().strip() == "і тимчасового припинення вогню"
    assert ua.input_value("#signoff-form input[name=sha256]") == sha(V2)
    with ua.expect_navigation():
        ua.click("#sign")
    assert ua.locator("#text-agreed").inner_text() == "Agreed: every party signed the current version"
    assert ua.locator("#signoff-panel tr[data-party='ua'] .tag.ok").inner_text() == "Signed"
    assert ua.locator("#signoff-form").count() == 0
    ua.screenshot(path=str(shots / "talks_text.png"), full_page=True)

    # The same pages in Ukrainian.
    ua.goto(f"{base}/talks/{t.process}/board?lang=uk")
    assert ua.locator("h1").inner_text() == "Таблиця пунктів"
    assert ua.locator(f"#points-board tr[data-point='{t.agreed}'] .tag.agreed").inner_text() == "Взаєморозуміння"

    assert watch.hosts <= {"127.0.0.1", "localhost", "data"}, watch.hosts
    assert not [e for e in watch.errors if "Content Security Policy" in e or "Uncaught" in e], watch.errors
