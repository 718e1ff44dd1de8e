"""A desk officer's day, walked in headless Chromium by five people in their own languages, on a desktop and on a
390 px phone: Ukraine proposes an evacuation; Russia's overview shows the answer due, with the time left, and Russia
acknowledges from there; the mediator starts the operation, which the page asks to confirm (the window has not
opened) with the reason recorded; Ukraine's urgent message shows in the header of Russia's liaison officer on any
page; a family files an inquiry, Ukraine's registrar finds it in the inbox and answers, and the family is told.
On every page of the walk the page fits the screen and axe-core finds nothing serious or critical."""

from __future__ import annotations

import re

import pytest

from tests.web.test_a11y_browser import axe, run_axe  # noqa: F401 - the fixture
from tests.web.test_browser import server  # noqa: F401 - the fixture
from tests.web.test_operations_browser import POINTS, browser, local_input, wait_for_map  # noqa: F401

pytestmark = pytest.mark.browser


# What sticks out beyond the screen's width, to name it when a page does not fit.
WIDE = ("(w) => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w + 0.5)"
        ".map(e => e.tagName + '.' + e.className + '#' + e.id).slice(0, 8)")


class Day:
    def __init__(self, browser, base: str, demo, width: int, axe) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
        self.browser, self.base, self.demo, self.width, self.axe = browser, base, demo, width, axe
        self.errors: list[str] = []
        self.violations: list[str] = []

    def context(self):  # type: ignore[no-untyped-def]
        context = self.browser.new_context(locale="en-GB", viewport={"width": self.width, "height": 900})
        context.add_init_script(path=str(self.axe))  # axe-core in every page, from the test's own copy
        return context

    def member(self, member: str, lang: str):  # type: ignore[no-untyped-def]
        page = self.context().new_page()
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.goto(f"{self.base}/signin?lang={lang}")
        page.fill("#member", member)
        page.fill("#password", self.demo.password(member))
        page.click("button.primary")
        page.wait_for_url(f"{self.base}/")
        self.fits(page)
        return page

    def fits(self, page) -> None:  # type: ignore[no-untyped-def]
        """No part of the page is beyond the screen's width (a wide table scrolls inside its own box)."""
        wide = page.evaluate(WIDE, self.width)
        assert page.evaluate("document.documentElement.scrollWidth") <= self.width, (page.url, wide)
        # ... and passes the accessibility check (WCAG 2.1 AA): nothing serious or critical.
        self.violations += [f"{page.url}: {v['id']} ({v['impact']})" for v in run_axe(page)
                            if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_a_day(server, browser, axe, width):  # noqa: F811
    base, demo = server
    day = Day(browser, base, demo, width, axe)
    title = f"Евакуація цивільних, день ({width})"

    # Ukraine's negotiator proposes an evacuation, in Ukrainian.
    ua = day.member("ua/negotiator", "uk")
    ua.goto(f"{base}/operations/new")
    wait_for_map(ua, "#route-map")
    ua.fill("#title", title)
    ua.fill("#origin_name", "Азовсталь")
    ua.fill("#destination_name", "Запоріжжя")
    ua.locator("#route-map").scroll_into_view_if_needed()
    box = ua.locator("#route-map").bounding_box()
    for lat, lon in POINTS:
        pt = ua.evaluate("([lat, lon]) => document.getElementById('route-map').parleyMap"
                         ".latLngToContainerPoint([lat, lon])", [lat, lon])
        ua.mouse.click(box["x"] + pt["x"], box["y"] + pt["y"])
    ua.fill("#window_start", local_input(80))
    ua.fill("#window_end", local_input(100))
    ua.select_option("#time_zone", "Europe/Kyiv")
    ua.fill("#vehicles", "12")
    ua.fill("#expected_women", "40")
    ua.click("#propose")
    ua.wait_for_url(f"{base}/operations/ua-op-*")
    op_url = ua.url.split("#")[0]
    day.fits(ua)

    # Russia's negotiator sees, in Russian, that an answer is due and how long is left; acknowledges from there.
    ru = day.member("ru/negotiator", "ru")
    item = ru.locator(".inbox-item", has_text=title)
    assert "Ожидается ответ вашей стороны на версию 1" in item.inner_text()
    assert re.search(r"Осталось: \d+", item.inner_text()), item.inner_text()
    assert ru.locator("[data-inbox-badge]").is_visible()
    item.locator("a").click()
    ru.wait_for_url(f"{op_url}*")
    day.fits(ru)
    ru.click("#acknowledge")
    ru.wait_for_url(f"{op_url}*")
    ru.goto(f"{base}/")
    assert ru.locator(".inbox-item", has_text=title).count() == 0

    # The mediator starts it: the window opens in 80 hours, so the page asks first and the reason is recorded.
    icrc = day.member("icrc/mediator", "en")
    icrc.goto(op_url)
    icrc.click("#action-start")
    icrc.wait_for_selector("#confirm-form")
    assert "Starting now, before it" in icrc.locator("#confirm-said").inner_text()
    day.fits(icrc)
    icrc.fill("#confirm-reason", "Both sides asked to begin at once")
    icrc.click("#confirm-start")
    icrc.wait_for_url(f"{op_url}#status")
    assert icrc.locator("#op-status").inner_text() == "Under way"
    assert "Both sides asked to begin at once" in icrc.locator("#timeline").inner_text()

    # Ukraine's liaison officer sends an urgent message; Russia's sees it in the header of any page.
    ual = day.member("ua/liaison", "uk")
    ual.goto(op_url)
    ual.fill("#channel-text", "Колона на контрольному пункті, підтвердіть режим тиші")
    ual.locator("#channel-form input[name=urgent]").check()
    ual.locator("#channel-form button[type=submit]").click()
    ual.wait_for_url(f"{op_url}*")
    rul = day.member("ru/liaison", "ru")
    rul.goto(f"{base}/parties")
    rul.wait_for_function("() => !document.querySelector('[data-inbox-badge]').hidden")
    assert "urgent" in (rul.locator("[data-inbox-badge]").get_attribute("class") or "")
    rul.goto(f"{base}/")
    message = rul.locator(".inbox-item.urgent", has_text=title)
    assert "непрочитанное сообщение" in message.inner_text()

    # A family asks Ukraine about a relative, in Russian, on its own device.
    family = day.context().new_page()
    family.goto(f"{base}/family/new?lang=ru")
    family.fill("#surname", "Гнатюк")
    family.fill("#first_name", "Роман")
    family.fill("#birth_date", "1994")
    family.select_option("#party", "ua")
    family.fill("#relationship", "брат")
    family.click("#file-inquiry")
    family.wait_for_selector("#secret")
    day.fits(family)
    reference, secret = family.locator("#reference").inner_text(), family.locator("#secret").inner_text()

    # Ukraine's registrar finds it in the inbox, and answers.
    reg = day.member("ua/registrar", "uk")
    reg.locator(".inbox-item a", has_text="відкрит").click()
    reg.wait_for_url(f"{base}/inquiries?status=open")
    reg.locator(f"a[href='/inquiries/{reference}']").click()
    reg.wait_for_url(f"{base}/inquiries/{reference}")
    day.fits(reg)
    reg.fill("#message", "Ми перевіряємо списки і напишемо, щойно дізнаємося більше.")
    reg.click("#send-message")
    reg.wait_for_url(f"{base}/inquiries/{reference}*")

    # The family is told: answered, with the registrar's message.
    family.goto(f"{base}/family?lang=ru")
    family.fill("#reference", reference)
    family.fill("#secret", secret)
    family.locator("form button[type=submit]").last.click()
    family.wait_for_selector("#family-status")
    day.fits(family)
    assert family.locator("#family-status").inner_text() == "Есть ответ"
    assert "Ми перевіряємо списки" in family.locator("main").inner_text()
    assert family.locator("#family-messages-none").count() == 0
    assert day.errors == []
    assert day.violations == []
