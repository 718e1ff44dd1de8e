"""An exchange in headless Chromium, through the pages' forms only: Ukraine's negotiator proposes two for two and
signs, Russia's signs (agreed); each side's registrar submits its hand-over list; the ICRC records each man's
consent, computes the plan with the solver and signs it; each side confirms handing over and receiving its men
(the receiving side under its own record), the ICRC witnesses; the act of transfer is downloaded as a PDF. Then the
demo's exchange renders every tab on a 390 px wide screen without running wider than it. No request leaves the
machine."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from parley.exchanges.scenario import POWS, REMAINS
from tests.web.test_browser import server  # noqa: F401  (the uvicorn server fixture)
from tests.web.test_operations_browser import Watch, browser  # noqa: F401  (the browser fixture)

pytestmark = pytest.mark.browser

UA_MEN = ("ua-pow-0005", "ua-pow-0012")
RU_MEN = ("ru-azov-0014", "ru-azov-0016")
UA_OWN = {"ru-azov-0014": "ua-azov-0014", "ru-azov-0016": "ua-azov-0016"}  # Ukraine's own records of Russia's men
RU_OWN = {"ua-pow-0005": "ru-missing-0005"}


def confirm(page, base: str, xid: str, step: str, pid: str, as_person: str = "") -> None:  # type: ignore[no-untyped-def]
    if as_person:
        page.fill(f"#as-{pid}", as_person)
    with page.expect_navigation():
        page.click(f"#{step}-{pid}")
    assert page.url.startswith(f"{base}/exchanges/{xid}/handover"), page.url
    assert page.locator("#form-error, .error").count() == 0, page.locator(".error").all_inner_texts()


def test_an_exchange_through_the_forms_in_the_browser(server, browser, tmp_path):  # noqa: F811
    base, demo = server
    shots = Path(os.environ.get("PARLEY_SCREENSHOTS", tmp_path))
    watch = Watch()

    # Ukraine's negotiator proposes two for two in one stage, and signs.
    ua = watch.page(browser, base, demo, "ua/negotiator")
    ua.click("header nav a[href='/exchanges']")
    ua.wait_for_url(f"{base}/exchanges")
    ua.fill("#propose-title", "Обмін двох на двох у браузері")
    assert ua.is_checked("#propose-parties input[value=ua]")
    ua.check("#propose-parties input[value=ru]")
    ua.check("#propose-mediators input[value=icrc]")
    ua.select_option("#propose-formula_kind", "n_for_n")
    ua.fill("#propose-n", "2")
    ua.fill("#propose-stage_size_0", "2")
    ua.fill("#propose-place", "Пункт передачі")
    with ua.expect_navigation():
        ua.click("#propose")
    xid = ua.url.rsplit("/", 1)[1]
    assert xid.startswith("ua-exchange-") and ua.locator("#x-status").inner_text() == "Terms proposed"
    assert ua.locator("#x-formula").inner_text() == "2 for 2"
    with ua.expect_navigation():
        ua.click("#sign")
    assert ua.locator("#signoff-panel tr[data-party='ua'] .tag.ok").inner_text() == "Signed"
    url = f"{base}/exchanges/{xid}"

    # Russia's negotiator signs the same version: agreed.
    ru = watch.page(browser, base, demo, "ru/negotiator")
    ru.goto(url)
    assert ru.input_value("#sign-form input[name=sha256]") == ru.locator("#current-sha").inner_text()
    with ru.expect_navigation():
        ru.click("#sign")
    assert ru.locator("#x-status").inner_text() == "Terms agreed"

    # Each side's registrar submits the men it hands over; each entry is checked against the registry.
    uar = watch.page(browser, base, demo, "ua/registrar")
    uar.goto(url)
    uar.click("#tab-lists")
    uar.wait_for_url(f"{url}/lists")
    uar.fill("#list-persons", "\n".join(UA_MEN))
    with uar.expect_navigation():
        uar.click("#submit-list")
    rows = uar.locator("#list-ua-hand_over tbody tr")
    assert rows.count() == 2 and rows.first.get_attribute("data-person") == UA_MEN[0]
    assert "Not interviewed yet" in rows.first.inner_text()
    rur = watch.page(browser, base, demo, "ru/registrar")
    rur.goto(f"{url}/lists")
    rur.fill("#list-persons", "\n".join(RU_MEN))
    with rur.expect_navigation():
        rur.click("#submit-list")
    assert rur.locator("#list-ru-hand_over tbody tr").count() == 2
    rur.screenshot(path=str(shots / "exchange_lists.png"), full_page=True)

    # The ICRC interviews each man in private: all four want to go back.
    icrc = watch.page(browser, base, demo, "icrc/mediator")
    icrc.goto(f"{url}/consent")
    for pid in (*UA_MEN, *RU_MEN):
        icrc.check(f"#person-{pid} input[name=wants][value=yes]")
        with icrc.expect_navigation():
            icrc.click(f"#person-{pid} button")
        assert icrc.locator(f"#person-{pid}").get_attribute("data-consent") == "wants"

    # The plan: computed by the solver, each man's reason shown, then signed as shown.
    icrc.click("#tab-plan")
    icrc.wait_for_url(f"{url}/plan")
    assert icrc.locator("#no-plan").is_visible()
    with icrc.expect_navigation():
        icrc.click("#compute")
    assert icrc.locator("#reasons tbody tr.planned").count() == 4
    assert icrc.locator("#proposal-table td[data-party='ua'] li").count() == 2
    icrc.screenshot(path=str(shots / "exchange_plan.png"), full_page=True)
    with icrc.expect_navigation():
        icrc.click("#sign-plan")
    assert icrc.locator("#plan-table li[data-person]").count() == 4

    # The handover: each side hands over its men and receives the other's under its own records; the ICRC witnesses.
    rur.goto(f"{url}/handover")
    assert rur.locator(f"#handed_over-{UA_MEN[0]}").count() == 0  # not Russia's to hand over
    for pid in RU_MEN:
        confirm(rur, base, xid, "handed_over", pid)
    uar.goto(f"{url}/handover")
    for pid in UA_MEN:
        confirm(uar, base, xid, "handed_over", pid)
    for pid in RU_MEN:
        confirm(uar, base, xid, "received", pid, UA_OWN[pid])
    rur.goto(f"{url}/handover")
    for pid in UA_MEN:
        confirm(rur, base, xid, "received", pid, RU_OWN.get(pid, ""))
    icrc.goto(f"{url}/handover")
    for pid in (*UA_MEN, *RU_MEN):
        confirm(icrc, base, xid, "witnessed", pid)
    assert icrc.locator("#handover-board tbody tr.complete").count() == 4
    assert "Received as" in icrc.locator(f"#person-{RU_MEN[0]}").inner_text()
    header = icrc.locator("#handover-board th").nth(2)
    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    icrc.screenshot(path=str(shots / "exchange_handover.png"), full_page=True)

    # The act of transfer of Russia's men, in Ukrainian, as a PDF.
    uar.goto(f"{url}/handover")
    with uar.expect_download() as got:
        uar.click("#act-links li[data-sender='ru'] a[data-lang='uk']")
    pdf = Path(got.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 5000

    # The demo's exchanges on a phone's width: every tab fits, wide tables scroll in their own box.
    ctx = browser.new_context(locale="en-GB", viewport={"width": 390, "height": 844})
    phone = ctx.new_page()
    phone.goto(f"{base}/signin")
    phone.fill("#member", "icrc/mediator")
    phone.fill("#password", demo.password("icrc/mediator"))
    phone.click("button.primary")
    phone.wait_for_url(f"{base}/")
    for path in ("/exchanges", *(f"/exchanges/{POWS}{tab}" for tab in ("", "/lists", "/consent", "/plan", "/handover",
                                                                        "/counts")),
                 f"/exchanges/{REMAINS}/remains", f"/exchanges/{xid}/handover"):
        phone.goto(base + path)
        assert phone.locator(".exchange-tabs, #exchanges").first.is_visible(), path
        width = phone.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width[0] <= width[1] == 390, (path, width)
    phone.screenshot(path=str(shots / "exchange_phone.png"), full_page=True)
    ctx.close()

    assert watch.hosts <= {"127.0.0.1", "localhost", "data"}, watch.hosts
    assert not [e for e in watch.errors if "Content Security Policy" in e or "Uncaught" in e], watch.errors
