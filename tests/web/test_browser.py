"""The web interface in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright)."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from parley.app import create_app

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

pytestmark = pytest.mark.browser


@pytest.fixture
def server(tmp_path, deployments):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("Debian's chromium is required for the browser tests in CI")
        pytest.skip("no /usr/bin/chromium")
    rt, demo = deployments.sqlite_demo(tmp_path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(rt.settings, rt), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", demo
    srv.should_exit = True
    thread.join(10)
    rt.close()


@pytest.fixture
def page(tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
        yield context.new_page()
        browser.close()


def test_admin_walks_through_the_shell(server, page, tmp_path):
    base, demo = server
    shots = Path(os.environ.get("PARLEY_SCREENSHOTS", tmp_path))
    page.goto(f"{base}/log")
    assert "/signin" in page.url
    page.fill("#member", "icrc/admin")
    page.fill("#password", "wrong password")
    page.click("button.primary")
    assert page.locator("#password-error").is_visible()
    page.fill("#member", "icrc/admin")
    page.fill("#password", demo.password("icrc/admin"))
    page.click("button.primary")
    page.wait_for_url(f"{base}/log")
    # Switch to Ukrainian: the page reloads in Ukrainian and stays so.
    with page.expect_navigation():
        page.select_option("#lang-select", "uk")
    assert page.locator("html").get_attribute("lang") == "uk"
    assert page.locator("h1").inner_text() == "Записи, доступні вам"
    # Sort the table by number, both ways.
    def first() -> str:
        return page.locator("#records tbody tr td:first-child").first.inner_text()

    top_desc = first()
    page.click("#records th:first-child")
    assert page.locator("#records th:first-child").get_attribute("aria-sort") == "ascending"
    shown = page.locator("#records tbody tr td:first-child").all_inner_texts()
    assert first() == str(min(int(x) for x in shown))  # the page's records, oldest first
    page.click("#records th:first-child")
    assert first() == top_desc
    # Filter by kind.
    page.select_option("#f-kind", "party.create")
    page.click(".filters button")
    page.wait_for_url("**/log?kind=party.create**")
    kinds = page.locator("#records tbody td:nth-child(3) code").all_inner_texts()
    assert kinds and set(kinds) == {"party.create"}
    page.screenshot(path=str(shots / "log.png"), full_page=True)
    # A record and its proof.
    page.locator("#records tbody a").first.click()
    page.wait_for_url("**/log/records/*")
    assert page.locator("#proof").inner_text().startswith("c2sp.org/tlog-proof@v1")
    assert "Доказ включення" in page.content()
    page.screenshot(path=str(shots / "record.png"), full_page=True)
    # Ukraine runs its own members: the mediator's admin is offered no form there…
    page.goto(f"{base}/parties/ua")
    assert page.locator("form[action='/parties/ua/members']").count() == 0
    # …but sets up the observer, which has no admin of its own, through the form.
    page.goto(f"{base}/parties/tr")
    page.fill("#handle", "press2")
    page.fill("#display_name", "Mariia Demo")
    page.check("input[name=roles][value=press]")
    page.fill("#new-password", "correct horse battery")
    page.click("form[action='/parties/tr/members'] button.primary")
    page.wait_for_url(f"{base}/members/tr/press2")
    assert "Mariia Demo" in page.content()
    page.screenshot(path=str(shots / "member.png"), full_page=True)
    # Sign out, sign in as the new member.
    page.click("header form button.link")
    page.wait_for_url(f"{base}/signin")
    page.fill("#member", "tr/press2")
    page.fill("#password", "correct horse battery")
    page.click("button.primary")
    page.wait_for_url(f"{base}/")
    assert "Mariia Demo" in page.content() and "Огляд" in page.content()
    page.screenshot(path=str(shots / "dashboard.png"), full_page=True)


def test_a_belligerent_does_not_see_the_other_sides_private_record(server, page):
    base, demo = server
    page.goto(f"{base}/signin")
    page.fill("#member", "ru/negotiator")
    page.fill("#password", demo.password("ru/negotiator"))
    page.click("button.primary")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/log")
    audiences = page.locator("#records tbody td:nth-child(5)").all_inner_texts()
    # Ukraine's internal note (party:icrc,party:ua) is not shown; records addressed to both sides are.
    assert audiences and not any("party:ua" in a and "party:ru" not in a and a.strip() != "all" for a in audiences)
    assert any("party:ru" in a for a in audiences)
