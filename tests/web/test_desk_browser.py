"""A desk officer's day in headless Chromium: what needs you now appears on the overview and in the header
without reloading, and a family's reference and secret stay whole on a 390 px phone and copy with one click."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.operations.test_lifecycle import plan
from tests.web.test_browser import server  # noqa: F401 - the fixture
from tests.web.test_operations_browser import browser  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser


def signed_in(browser, base: str, demo, member: str, lang: str = "en", width: int = 1280):  # type: ignore[no-untyped-def]  # noqa: F811
    context = browser.new_context(locale="en-GB", viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/signin?lang={lang}")
    page.fill("#member", member)
    page.fill("#password", demo.password(member))
    page.click("button.primary")
    page.wait_for_url(f"{base}/")
    return page


def test_an_answer_due_reaches_the_other_side_without_reloading(server, browser):  # noqa: F811
    base, demo = server
    ru = signed_in(browser, base, demo, "ru/negotiator", "ru")
    before = int(ru.locator(".inbox-items").get_attribute("data-inbox-count"))
    assert "Что требует вашего внимания" in ru.locator("#inbox h2").inner_text()
    p = plan(title="Evacuation proposed while Russia watches")
    r = httpx.post(f"{base}/api/operations", json={"plan": p}, headers=demo.headers("ua/negotiator"))
    assert r.status_code == 201, r.text
    url = ru.url
    ru.evaluate("window.parleyRefreshInbox()")  # what the page does every 20 seconds and on becoming visible
    ru.wait_for_function("(n) => Number(document.querySelector('.inbox-items').dataset.inboxCount) > n", arg=before)
    assert ru.url == url  # not reloaded
    item = ru.locator(".inbox-item", has_text=p["title"])
    assert "Ожидается ответ вашей стороны на версию 1" in item.inner_text()
    assert re.search(r"Осталось: \d+", item.inner_text()), item.inner_text()
    assert ru.locator("[data-inbox-badge]").is_visible()
    assert ru.locator("[data-inbox-n]").inner_text() == str(before + 1)
    # Another page's header counts it too, from the API.
    ru.goto(f"{base}/operations")
    ru.wait_for_function("() => !document.querySelector('[data-inbox-badge]').hidden")
    assert ru.locator("[data-inbox-n]").inner_text() == str(before + 1)
    # The item links to where the answer is given.
    ru.goto(f"{base}/")
    ru.locator(".inbox-item a", has_text="Ожидается ответ").first.click()
    ru.wait_for_url(f"{base}/operations/*")
    assert ru.locator("#answer-form").count() == 1


def test_a_familys_reference_and_secret_stay_whole_on_a_phone_and_copy(server, browser):  # noqa: F811
    base, _ = server
    context = browser.new_context(locale="uk-UA", viewport={"width": 390, "height": 844})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page = context.new_page()
    page.goto(f"{base}/family/new?lang=uk")
    page.fill("#surname", "Гнатюк")
    page.fill("#first_name", "Роман")
    page.fill("#birth_date", "1994")
    page.select_option("#party", "ua")
    page.fill("#relationship", "брат")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_selector("#secret")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for code in ("#reference", "#secret"):
        box = page.locator(code).bounding_box()
        line = page.evaluate(f"parseFloat(getComputedStyle(document.querySelector('{code}')).lineHeight)")
        assert box is not None and box["height"] < 1.6 * line, (code, box, line)  # one line: not broken
        assert box["x"] + box["width"] <= 390
    page.click("button[data-copy='#secret']")
    assert page.evaluate("navigator.clipboard.readText()") == page.locator("#secret").inner_text().strip()
    assert page.locator("button[data-copy='#secret']").inner_text() == "Скопійовано"
    assert page.locator("#print").is_visible()
    context.close()
