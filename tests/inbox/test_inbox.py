"""What needs a member now (``parley.inbox``): an answer due appears for the party that owes it and leaves when
it is given, an urgent message for the party it is addressed to, review pairs and open inquiries for those who
handle them, never anything a member may not read; the same in the API, on the overview (and its fragment,
fetched again without reloading) and in ``parley inbox``."""

from __future__ import annotations

from datetime import timedelta

from typer.testing import CliRunner

from parley.inbox.service import KINDS, TEXTS, Item, text
from parley.web import inbox as pages
from parley.inbox.cli import inbox as inbox_command
from parley.records.compose import compose
from tests.conftest import ORIGIN
from tests.operations.test_lifecycle import AUD, NOW, iso, plan


def items(client, demo, member: str) -> list[dict]:
    r = client.get("/api/inbox", headers=demo.headers(member))
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["count"] == len(data["items"]) and data["urgent"] == sum(i["urgent"] for i in data["items"])
    return data["items"]


def of(found: list[dict], kind: str, title: str | None = None) -> list[dict]:
    return [i for i in found if i["kind"] == kind and (title is None or i["title"] == title)]


def test_an_answer_due_is_in_the_inbox_of_the_party_that_owes_it_until_it_answers(client, demo):
    h = demo.headers
    p = plan(title="Evacuation for the inbox")
    r = client.post("/api/operations", json={"plan": p}, headers=h("ua/negotiator"))
    assert r.status_code == 201, r.text
    op = r.json()["operation"]
    due = of(items(client, demo, "ru/negotiator"), "answer_due", p["title"])
    assert len(due) == 1 and due[0]["href"] == f"/operations/{op}" and due[0]["due"] and not due[0]["urgent"]
    assert due[0]["text"] == "Your party's answer to version 1 is due"
    # The proposing party owes nothing; a member who may not read the operation sees nothing of it.
    assert of(items(client, demo, "ua/negotiator"), "answer_due", p["title"]) == []
    assert [i for i in items(client, demo, "tr/observer") if i["title"] == p["title"]] == []
    r = client.post(f"/api/operations/{op}/answers", json={"version": 1, "answer": "acknowledged"},
                    headers=h("ru/liaison"))
    assert r.status_code == 201, r.text
    assert of(items(client, demo, "ru/negotiator"), "answer_due", p["title"]) == []


def test_silence_past_the_deadline_is_urgent_for_the_party_and_an_escalation_for_the_mediator(runtime, demo, client):
    h = demo.headers
    then = NOW - timedelta(hours=30)
    payload = {"operation": "ua-op-inbox", "plan": plan(title="Silent", window={
        "start": iso(NOW + timedelta(hours=20)), "end": iso(NOW + timedelta(hours=40))})}
    note = compose(demo.signer("ua/negotiator"), origin=ORIGIN, kind="operation.propose", audience=AUD,
                   payload=payload, time=then)
    runtime.pipeline.submit_many([(note, payload)], replay=True)
    owed = of(items(client, demo, "ru/negotiator"), "answer_due", "Silent")
    assert len(owed) == 1 and owed[0]["urgent"]
    chased = of(items(client, demo, "icrc/mediator"), "escalation", "Silent")
    assert [(e["params"]["reason"], e["params"]["party"]) for e in chased] == [("no_answer", "ru")]
    assert chased[0]["text"] == "ru has not answered by the deadline"
    # An urgent message to both parties: unread by each, until its liaison reads it.
    msg = {"operation": "ua-op-inbox", "text": "Confirm the ceasefire", "urgent": True}
    note = compose(demo.signer("icrc/mediator"), origin=ORIGIN, kind="channel.post", audience=AUD, payload=msg,
                   time=NOW - timedelta(minutes=5))
    idx = runtime.pipeline.submit_many([(note, msg)], replay=True)[0].index
    unread = of(items(client, demo, "ru/liaison"), "message", "Silent")
    assert len(unread) == 1 and unread[0]["urgent"] and unread[0]["count"] == 1
    assert unread[0]["href"] == "/operations/ua-op-inbox#channel"
    # Computing the inbox signs no receipt: the message is still unread by Russia.
    assert of(items(client, demo, "ru/liaison"), "message", "Silent") == unread
    r = client.post(f"/api/operations/ua-op-inbox/channel/{idx}/receipts", json={"state": "read"},
                    headers=h("ru/liaison"))
    assert r.status_code == 201, r.text
    assert of(items(client, demo, "ru/liaison"), "message", "Silent") == []
    assert len(of(items(client, demo, "ua/liaison"), "message", "Silent")) == 1
    # Urgent items come first.
    found = items(client, demo, "ru/negotiator")
    assert [i["urgent"] for i in found] == sorted((i["urgent"] for i in found), reverse=True)


def test_registry_work_for_registrars_and_nothing_of_it_for_the_press(client, demo):
    ua = items(client, demo, "ua/registrar")
    review = of(ua, "review")
    assert len(review) == 1 and review[0]["count"] > 0 and review[0]["href"] == "/review"
    n = review[0]["count"]
    assert review[0]["text"] == (f"{n} pairs of records to review" if n > 1 else "1 pair of records to review")
    press = items(client, demo, "ua/press")
    assert of(press, "review") == [] and of(press, "inquiry") == []
    # No person's name reaches the inbox: items name operations, channels and exchanges only.
    assert all(i["kind"] in KINDS for i in ua)


def test_the_overview_shows_it_in_the_page_language_and_its_fragment_refreshes_it(client, demo):
    h = demo.headers
    p = plan(title="Evacuation on the overview")
    assert client.post("/api/operations", json={"plan": p}, headers=h("ua/negotiator")).status_code == 201
    page = client.get("/?lang=uk", headers=h("ru/negotiator"))
    assert page.status_code == 200
    assert "Що потребує вашої уваги" in page.text and "Evacuation on the overview" in page.text
    assert "data-inbox-badge" in page.text
    frag = client.get("/inbox/items?lang=ru", headers=h("ru/negotiator"))
    assert frag.status_code == 200 and frag.headers["cache-control"] == "no-store"
    assert 'class="inbox-items"' in frag.text and "Evacuation on the overview" in frag.text
    assert "Осталось" in frag.text or "Срок" in frag.text
    assert "<html" not in frag.text  # a fragment, not a page
    assert client.get("/inbox/items", follow_redirects=False).status_code in (303, 401)


def test_the_item_texts_read_in_each_language():
    item = Item("review", "", "/review", count=3)
    assert text(item) == pages.text(item, "en") == "3 pairs of records to review"
    assert pages.text(item, "uk") == "3 пари записів для перевірки"
    assert pages.text(item, "ru") == "3 пары записей для проверки"
    esc = Item("escalation", "Op", "/operations/x", params={"reason": "unread_urgent", "party": "ru"})
    assert text(esc, {"ru": "Russia"}) == pages.text(esc, "en", {"ru": "Russia"})
    assert text(esc, {"ru": "Russia"}) == "An urgent message is unread by Russia"
    # The pages' sentences are the API's, word for word, in English.
    assert pages.TEXTS == TEXTS


def test_the_command_line(client, demo, monkeypatch):
    """``parley inbox`` prints the API's items (the HTTP client is the test app's)."""
    h = demo.headers
    p = plan(title="Evacuation for the command line")
    assert client.post("/api/operations", json={"plan": p}, headers=h("ua/negotiator")).status_code == 201

    class Client:
        def __init__(self, url: str, token: str | None = None, timeout: float = 60) -> None:
            self.headers = {"Authorization": f"Bearer {token}"}

        def __enter__(self):  # type: ignore[no-untyped-def]
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def request(self, method: str, path: str, json=None):  # type: ignore[no-untyped-def]
            return client.request(method, path, json=json, headers=self.headers)

    import parley.client
    monkeypatch.setattr(parley.client, "http_client", Client)
    import typer
    app = typer.Typer()
    app.command()(inbox_command)
    r = CliRunner().invoke(app, ["--url", "http://parley.test", "--token", demo.token("ru/negotiator")],
                           env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "Your party's answer to version 1 is due" in r.output and "Evacuation for the command line" in r.output
    assert "http://parley.test/operations/" in r.output
