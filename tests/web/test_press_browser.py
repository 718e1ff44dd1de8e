"""The press desk and the public side in headless Chromium: Ukraine's press officer drafts a statement through the
form (a half-written language refused beside its field), Ukraine's negotiator approves that exact version, and a
reader without an account finds it on the public page in Ukrainian, Russian and English, opens it and downloads its
bundle, which ``parley log verify-statement`` then verifies; the embargoed statement is nowhere on the public side.
A family reads and adds to its inquiry in each language. The public pages fit a 390 px wide screen. No request
leaves the machine."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from parley.press.verify import verify_bundle
from tests.web.test_browser import server  # noqa: F401  (the uvicorn server fixture)
from tests.web.test_operations_browser import Watch, browser  # noqa: F401  (the browser fixture)

pytestmark = pytest.mark.browser

TITLE = "Заява з браузера"


def test_a_statement_drafted_approved_and_read_by_anyone_in_the_browser(server, browser, tmp_path):  # noqa: F811
    base, demo = server
    shots = Path(os.environ.get("PARLEY_SCREENSHOTS", tmp_path))
    watch = Watch()

    press = watch.page(browser, base, demo, "ua/press")
    press.click("header nav a[href='/press']")
    press.wait_for_url(f"{base}/press")
    assert press.locator("#statements-table tr[data-state='approved']").count() == 1  # the embargoed one
    # A title without its text: refused beside the field, what was typed kept.
    press.fill("#title_en", "Half written")
    with press.expect_navigation():
        press.click("#draft-submit")
    assert press.locator("#body_en-error").is_visible() and press.input_value("#title_en") == "Half written"
    press.fill("#title_en", "")
    press.fill("#title_uk", TITLE)
    press.fill("#body_uk", "Текст заяви, написаний у браузері.")
    press.fill("#title_ru", "Заявление из браузера")
    press.fill("#body_ru", "Текст заявления, написанный в браузере.")
    with press.expect_navigation():
        press.click("#draft-submit")
    row = press.locator("#statements-table tr[data-state='draft']")
    assert row.count() == 1 and TITLE in row.inner_text()
    sid = (row.get_attribute("id") or "").removeprefix("statement-")
    assert press.locator(f"#approve-{sid}").count() == 0  # its author's party's press officer approves nothing

    negotiator = watch.page(browser, base, demo, "ua/negotiator")
    negotiator.goto(f"{base}/press")
    with negotiator.expect_navigation():
        negotiator.click(f"#approve-{sid}")
    assert negotiator.locator(f"#statement-{sid}").get_attribute("data-state") == "released"

    # Anyone, without an account, in each language.
    ctx = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    ctx.on("request", lambda r: watch.hosts.add(r.url.split("/")[2].split(":")[0]))
    anyone = ctx.new_page()
    for lang, title in (("uk", TITLE), ("ru", "Заявление из браузера"), ("en", TITLE)):
        anyone.goto(f"{base}/public?lang={lang}")
        assert anyone.locator("html").get_attribute("lang") == lang
        card = anyone.locator(f"#statement-{sid}")
        assert card.is_visible() and title in card.inner_text(), lang
        assert "Завершення виходу" not in anyone.content()  # embargoed until an operation that never completes
    with anyone.expect_navigation():
        anyone.click(f"#statement-{sid} h2 a")
    with anyone.expect_download() as got:
        anyone.click("#bundle")
    bundle = json.loads(Path(got.value.path()).read_text(encoding="utf-8"))
    report = verify_bundle(bundle)
    assert report.ok, report.problems
    assert [r["author"] for r in bundle["records"]] == ["ua/press", "ua/negotiator"]
    anyone.screenshot(path=str(shots / "public_statement.png"), full_page=True)
    ctx.close()

    # On a phone: the public pages fit the screen.
    phone_ctx = browser.new_context(locale="en-GB", viewport={"width": 390, "height": 844})
    phone = phone_ctx.new_page()
    for path in ("/public", f"/public/statements/{sid}", "/public/statements/ua-statement-pow-exchange"):
        phone.goto(base + path)
        width = phone.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width[0] <= width[1] == 390, (path, width)
    phone_ctx.close()

    assert watch.hosts <= {"127.0.0.1", "localhost", "data"}, watch.hosts
    assert not [e for e in watch.errors if "Content Security Policy" in e or "Uncaught" in e], watch.errors


NEXT = {"uk": "Що робити далі", "ru": "Что делать дальше", "en": "What to do next"}


def test_a_family_reads_and_adds_to_its_inquiry_in_each_language(server, browser):  # noqa: F811
    """The demo's family, without an account, on a desktop and on a 390 px phone, in each language: its inquiry's
    history and what to do next, then an addition sent through the form (an e-mail missing for news refused beside
    the field first)."""
    base, _ = server
    watch = Watch()
    for width, height in ((1280, 900), (390, 844)):
        ctx = browser.new_context(locale="en-GB", viewport={"width": width, "height": height})
        ctx.on("request", lambda r: watch.hosts.add(r.url.split("/")[2].split(":")[0]))
        page = ctx.new_page()
        page.on("console", lambda m: watch.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: watch.errors.append(str(e)))
        for lang in ("uk", "ru", "en"):
            page.goto(f"{base}/family?lang={lang}")
            page.fill("#reference", "INQ-UA-DEMO-0002")
            page.fill("#secret", "DEMO-FAMI-LY02-0002")
            with page.expect_navigation():
                page.click("#family-form button[type=submit]")
            assert page.locator("html").get_attribute("lang") == lang
            assert NEXT[lang] in page.locator("#family-next").inner_text(), lang
            assert page.locator("#family-history li").count() >= 1
            assert page.locator("#family-add-form").is_visible()
            sizes = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            assert sizes[0] <= sizes[1], (lang, width, sizes)
        # The addition: news asked for without an address is refused beside the field, then sent.
        page.check("#add-notify")
        with page.expect_navigation():
            page.click("#family-add")
        assert page.locator("#contact_email-error").is_visible()
        page.fill("#add-contact_email", f"family{width}@example.org")
        page.select_option("#add-contact_language", "ru")
        page.fill("#add-marks", "Родимка на шиї (вигадано)")
        with page.expect_navigation():
            page.click("#family-add")
        assert page.locator("#family-added").is_visible() and page.locator("#family-added-list li").count() >= 1
        assert "Родимка" not in page.content()
        ctx.close()
    assert watch.hosts <= {"127.0.0.1", "localhost", "data"}, watch.hosts
    assert not [e for e in watch.errors if "Content Security Policy" in e or "Uncaught" in e], watch.errors


def test_a_statement_is_checked_in_the_browser_and_a_tampered_one_fails(server, browser):  # noqa: F811
    """Without an account, the reader's browser checks a released statement itself (Web Crypto: SHA-256 and
    Ed25519): the log's signature on each checkpoint, each record's inclusion, the payloads, the approval of exactly
    the text shown. A bundle altered on the way — a word of the text, a proof hash, the log's key — fails."""
    base, _ = server
    watch = Watch()
    ctx = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    ctx.on("request", lambda r: watch.hosts.add(r.url.split("/")[2].split(":")[0]))
    page = ctx.new_page()
    page.on("console", lambda m: watch.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: watch.errors.append(str(e)))
    url = f"{base}/public/statements/ua-statement-pow-exchange?lang=en"
    page.goto(url)
    page.click("#browser-check-run")
    page.wait_for_selector("#browser-check-result[data-state]")
    result = page.locator("#browser-check-result")
    assert result.get_attribute("data-state") == "ok", result.inner_text()
    assert "statement.draft" in result.inner_text() and "statement.approve" in result.inner_text()
    assert "in the log" in result.inner_text()

    def tampered(change):  # type: ignore[no-untyped-def]
        def handle(route):  # type: ignore[no-untyped-def]
            response = route.fetch()
            bundle = response.json()
            change(bundle)
            route.fulfill(response=response, body=json.dumps(bundle), content_type="application/json")
        return handle

    def reword(b):  # type: ignore[no-untyped-def]
        lang = next(iter(b["text"]["texts"]))
        b["text"]["texts"][lang]["body"] += " (altered)"

    def swap_hash(b):  # type: ignore[no-untyped-def]
        head, _, rest = b["records"][0]["proof"].partition("\n\n")
        lines = head.split("\n")
        lines[2] = "A" * 43 + "="
        b["records"][0]["proof"] = "\n".join(lines) + "\n\n" + rest

    def other_payload(b):  # type: ignore[no-untyped-def]
        b["records"][1]["payload"] = b["records"][1]["payload"].replace('"version":1', '"version":2')

    for change, expect in ((reword, "not of this text"), (swap_hash, "not in the checkpoint"),
                           (other_payload, "not the one the record names")):
        page.route("**/api/public/statements/*", tampered(change))
        page.goto(url)
        page.click("#browser-check-run")
        page.wait_for_selector("#browser-check-result[data-state]")
        assert result.get_attribute("data-state") == "failed", change.__name__
        assert expect in result.inner_text(), (change.__name__, result.inner_text())
        page.unroute("**/api/public/statements/*")
    # Another log's key: the checkpoint is not signed by it.
    page.goto(url)
    page.fill("#browser-check-key", "other.example/log+2d7c7a5b+AUIWK3pGgwb30kbLVsCmdW0FXBL9OnSjvTnzXYpqMeq/")
    page.click("#browser-check-run")
    page.wait_for_selector("#browser-check-result[data-state]")
    assert result.get_attribute("data-state") == "failed"
    ctx.close()
    assert watch.hosts <= {"127.0.0.1", "localhost", "data"}, watch.hosts
    assert not [e for e in watch.errors if "Content Security Policy" in e or "Uncaught" in e], watch.errors
