"""In Chromium: the pages' fetch sends the CSRF token to the API, a request without it is refused, and a
member signs out everywhere from their page."""

from __future__ import annotations

import pytest

from tests.web.test_browser import page, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

POST = """async ([url, body]) => {
  const init = (n) => ({method: "POST", headers: {"Content-Type": "application/json"},
                        body: JSON.stringify({...body, payload: {text: body.payload.text + n}})});
  const a = await fetch(url, init(1));
  const b = await fetch(new Request(url, init(2)));
  const xhr = await new Promise((done) => {
    const x = new XMLHttpRequest();  // not fetch: no token
    x.open("POST", url); x.setRequestHeader("Content-Type", "application/json");
    x.onload = () => done({status: x.status, body: x.responseText}); x.send(JSON.stringify(body));
  });
  return [a.status, b.status, xhr.status, JSON.parse(xhr.body).error];
}"""


def test_page_scripts_send_the_csrf_token_and_sign_out_everywhere(server, page):  # noqa: F811
    base, demo = server
    page.goto(f"{base}/signin")
    page.fill("#member", "ua/negotiator")
    page.fill("#password", demo.password("ua/negotiator"))
    page.click("button.primary")
    page.wait_for_url(f"{base}/")
    note = {"kind": "record.note", "audience": ["party:ua"], "payload": {"text": "from the page's script"}}
    assert page.evaluate(POST, [f"{base}/api/actions", note]) == [201, 201, 403, "csrf"]
    page.goto(f"{base}/members/ua/negotiator")
    assert page.locator("#sessions").is_visible()
    assert page.locator("text=this session").count() == 1
    page.once("dialog", lambda d: d.accept())
    page.click("text=Sign out everywhere")
    page.wait_for_url(f"{base}/signin")
    assert page.evaluate("fetch('/api/me').then((r) => r.status)") == 401
