"""A family's side of its inquiry: the status history released to it, what it adds (marks, documents, a DNA
sample, how to reach it) read by the filing party's registrars and the mediators only, and the notices sent
when it is told something — through a real SMTP server started here, carrying the reference and nothing
personal. Runs on SQLite and PostgreSQL. Every person and address is invented."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from parley.people import service as svc
from parley.people.models import FamilyNotice, InquiryAddition
from parley.people.notify import LogSender, Notifier, SmtpSender, compose


def _file(client, demo, surname="Гнатюк", first="Орест"):  # type: ignore[no-untyped-def]
    r = client.post("/api/family/inquiries", json={
        "party": "ua", "sought": {"surname": surname, "first_name": first, "birth_date": "1994"},
        "relationship": "brother"})
    assert r.status_code == 201, r.text
    svc.public_limits(client.app.state).filings.clear()
    return r.json()["reference"], r.json()["secret"]


def _view(client, ref, secret):  # type: ignore[no-untyped-def]
    r = client.post("/api/family/inquiry", json={"reference": ref, "secret": secret})
    assert r.status_code == 200, r.text
    return r.json()


def test_a_family_adds_to_its_inquiry_and_only_the_registrars_and_mediators_read_it(client, demo):
    ref, secret = _file(client, demo)
    add = {"reference": ref, "secret": secret, "marks": "scar above the left eyebrow (invented)",
           "documents": "military ID, copy", "dna_reference": "DNA-UA-0000-TEST", "dna_place": "Kyiv, forensic centre"}
    r = client.post("/api/family/inquiry/additions", json=add)
    assert r.status_code == 201, r.text
    r = client.post("/api/family/inquiry/additions", json={
        "reference": ref, "secret": secret, "contact_channel": "email", "contact_email": "family@example.org",
        "contact_language": "ru", "notify": True})
    assert r.status_code == 201, r.text
    # The family sees which fields it added and when, never their contents back.
    view = _view(client, ref, secret)
    assert [a["fields"] for a in view["added"]] == [["marks", "documents", "dna_reference", "dna_place"],
                                                     ["contact_channel", "contact_email", "contact_language", "notify"]]
    assert "scar" not in str(view) and "family@example.org" not in str(view) and view["may_add"] is True
    # Ukraine's registrar and the mediator read the additions; Ukraine's negotiator sees the inquiry without them.
    for member in ("ua/registrar", "icrc/mediator"):
        got = client.get(f"/api/inquiries/{ref}", headers=demo.headers(member)).json()
        details = [a["detail"] for a in got["additions"]]
        assert details[0]["dna_reference"] == "DNA-UA-0000-TEST" and details[1]["contact_email"] == "family@example.org"
    assert client.get(f"/api/inquiries/{ref}", headers=demo.headers("ua/negotiator")).json()["additions"] == []
    assert client.get(f"/api/inquiries/{ref}", headers=demo.headers("ru/registrar")).status_code == 404
    # A registrar adds what the family said on the telephone, on its behalf.
    r = client.post(f"/api/inquiries/{ref}/additions", headers=demo.headers("ua/registrar"),
                    json={"marks": "tattoo of an anchor on the right forearm (invented)"})
    assert r.status_code == 201, r.text
    assert len(client.get(f"/api/inquiries/{ref}", headers=demo.headers("ua/registrar")).json()["additions"]) == 3
    # Russia's registrar cannot add to Ukraine's inquiry (it does not read it).
    r = client.post(f"/api/inquiries/{ref}/additions", headers=demo.headers("ru/registrar"), json={"marks": "x"})
    assert r.status_code == 404


def test_bad_additions_are_refused_and_nothing_is_stored(client, demo, runtime):
    ref, secret = _file(client, demo, "Стельмах", "Богдан")
    base = {"reference": ref, "secret": secret}
    cases = [
        ({}, "inquiry.addition_empty"),
        ({"notify": True}, "inquiry.notify_needs_email"),
        ({"dna_place": "Lviv"}, "inquiry.dna_reference"),
        ({"contact_email": "not an address"}, None),
        ({"contact_channel": "pigeon"}, None),
        ({"marks": "x" * 4001}, None),
        ({"marks": "x", "admin": True}, None),
    ]
    for extra, code in cases:
        r = client.post("/api/family/inquiry/additions", json={**base, **extra})
        assert r.status_code == 422, (extra, r.text)
        if code:
            assert code in r.text, r.text
    # A wrong secret is not found, and counts against the address like a look-up.
    svc.public_limits(client.app.state).family.clear()
    r = client.post("/api/family/inquiry/additions", json={**base, "secret": "AAAA-BBBB-CCCC-DDDD", "marks": "x"})
    assert r.status_code == 404 and "scar" not in r.text
    with runtime.sessions() as s:
        assert s.execute(select(InquiryAddition).where(InquiryAddition.inquiry == ref)).first() is None
    svc.public_limits(client.app.state).family.clear()


def test_the_family_sees_answered_only_once_it_was_told_something(client, demo):
    ref, secret = _file(client, demo, "Олійник", "Тарас")
    h = demo.headers
    reg = client.post("/api/persons", headers=h("ru/registrar"), json={
        "category": "pow", "own_party": "ua",
        "person": {"surname": "Олейник", "first_name": "Тарас", "birth_date": "1994"}})
    pid = reg.json()["person"]
    r = client.post(f"/api/inquiries/{ref}/decisions", headers=h("ua/registrar"),
                    json={"decision": "confirmed", "person": pid})
    assert r.status_code == 201, r.text
    view = _view(client, ref, secret)
    assert view["status"] == "open" and view["next_step"] == "wait" and view["messages"] == []
    assert [s["status"] for s in view["history"]] == ["open"]
    for member, message in (("ua/registrar", "He is registered as a prisoner of war."),
                            ("icrc/admin", "A delegate visited the place where he is held.")):
        r = client.post(f"/api/inquiries/{ref}/decisions", headers=h(member),
                        json={"decision": "message", "message": message})
        assert r.status_code == 201, r.text
    view = _view(client, ref, secret)
    assert view["status"] == "answered" and view["next_step"] == "read"
    assert [(s["status"], s["message"]) for s in view["history"]] == [
        ("open", ""), ("answered", "He is registered as a prisoner of war."),
        ("answered", "A delegate visited the place where he is held.")]
    client.post(f"/api/inquiries/{ref}/decisions", headers=h("ua/registrar"),
                json={"decision": "closed", "message": "He was released in an exchange."})
    view = _view(client, ref, secret)
    assert view["status"] == "closed" and view["next_step"] == "closed" and view["may_add"] is False
    # A closed inquiry takes no more additions.
    r = client.post("/api/family/inquiry/additions", json={"reference": ref, "secret": secret, "marks": "x"})
    assert r.status_code == 409


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_server():  # type: ignore[no-untyped-def]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def test_notices_go_by_smtp_with_the_reference_and_nothing_personal(client, demo, runtime, smtp_server):
    controller, inbox = smtp_server
    client.app.state.notifier.stop()  # this test sends them itself, through the SMTP server
    ref, secret = _file(client, demo, "Бондаренко", "Ілля")
    quiet_ref, _ = _file(client, demo, "Мельник", "Сергій")
    client.post("/api/family/inquiry/additions", json={
        "reference": ref, "secret": secret, "contact_channel": "email", "contact_email": "sister@example.org",
        "contact_language": "ru", "notify": True, "marks": "birthmark on the neck (invented)"})
    h = demo.headers
    told = "Ilia Bondarenko is alive and held in a camp; the delegate saw him."
    for r in (client.post(f"/api/inquiries/{ref}/decisions", headers=h("ua/registrar"),
                          json={"decision": "message", "message": told}),
              client.post(f"/api/inquiries/{ref}/decisions", headers=h("icrc/admin"),
                          json={"decision": "message", "message": "A second message."}),
              client.post(f"/api/inquiries/{quiet_ref}/decisions", headers=h("ua/registrar"),
                          json={"decision": "message", "message": "No news yet."})):
        assert r.status_code == 201, r.text
    notifier = Notifier(runtime.sessions, SmtpSender("127.0.0.1", controller.port, "parley@example.org"),
                        public_url="https://parley.example.org")
    counts = notifier.deliver_due()
    assert counts["sent"] == 1 and counts["no_address"] >= 1
    deadline = time.monotonic() + 5
    while not inbox.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(inbox.messages) == 1  # the two notices of one inquiry went as one message
    sender, rcpt, content = inbox.messages[0]
    text = content.decode("utf-8", "replace")
    assert sender == "parley@example.org" and rcpt == ["sister@example.org"]
    import email
    from email import policy

    msg = email.message_from_bytes(content, policy=policy.default)
    body = msg.get_body().get_content()  # type: ignore[union-attr]
    assert ref in str(msg["Subject"]) and ref in body and "https://parley.example.org/family" in body
    assert "Новости" in str(msg["Subject"])  # the language the family chose
    for personal in ("Бондаренко", "Bondarenko", "Ілля", "birthmark", "camp", "alive", secret):
        assert personal not in text and personal not in body
    # Nothing is sent twice.
    assert notifier.deliver_due()["sent"] == 0 and len(inbox.messages) == 1
    with runtime.sessions() as s:
        outcomes = {n.inquiry: n.outcome for n in s.execute(select(FamilyNotice)).scalars()
                    if n.inquiry in (ref, quiet_ref)}
    assert outcomes == {ref: "sent", quiet_ref: "no_address"}


def test_a_notice_that_cannot_be_sent_is_tried_again_later(client, demo, runtime, smtp_server):
    controller, inbox = smtp_server
    client.app.state.notifier.stop()
    ref, secret = _file(client, demo, "Ткаченко", "Віктор")
    client.post("/api/family/inquiry/additions", json={
        "reference": ref, "secret": secret, "contact_email": "mother@example.org", "notify": True})
    client.post(f"/api/inquiries/{ref}/decisions", headers=demo.headers("ua/registrar"),
                json={"decision": "message", "message": "Registered."})
    down = Notifier(runtime.sessions, SmtpSender("127.0.0.1", _free_port(), "parley@example.org", timeout=2))
    now = datetime.now(UTC)
    assert down.deliver_due(now)["failed"] == 1
    with runtime.sessions() as s:
        n = s.execute(select(FamilyNotice).where(FamilyNotice.inquiry == ref)).scalar_one()
        assert n.sent_at is None and n.attempts == 1 and n.next_at is not None and n.outcome == "failed"
    up = Notifier(runtime.sessions, SmtpSender("127.0.0.1", controller.port, "parley@example.org"))
    assert up.deliver_due(now)["sent"] == 0  # not before its time
    assert up.deliver_due(now + timedelta(minutes=2))["sent"] == 1
    deadline = time.monotonic() + 5
    while not inbox.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    assert inbox.messages[0][1] == ["mother@example.org"]
    assert "Новини" in inbox.messages[0][2].decode("utf-8", "replace") or ref in inbox.messages[0][2].decode()


def test_the_log_sender_sends_nothing_and_logs_no_address(client, demo, runtime, caplog):
    client.app.state.notifier.stop()
    ref, secret = _file(client, demo, "Литвин", "Андрій")
    client.post("/api/family/inquiry/additions", json={
        "reference": ref, "secret": secret, "contact_email": "son@example.org", "notify": True,
        "contact_language": "en"})
    client.post(f"/api/inquiries/{ref}/decisions", headers=demo.headers("ua/registrar"),
                json={"decision": "message", "message": "Found."})
    sender = LogSender()
    with caplog.at_level("INFO", logger="parley.notify"):
        assert Notifier(runtime.sessions, sender).deliver_due()["sent"] >= 1
    assert any(ref in subject for subject, _ in sender.sent)
    assert "son@example.org" not in caplog.text and "Литвин" not in caplog.text and ref in caplog.text
    assert compose(ref, "en", "")[0] == f"News on your inquiry {ref}"


def test_destroying_an_inquiry_destroys_its_additions_and_notices(client, demo, runtime):
    client.app.state.notifier.stop()
    ref, secret = _file(client, demo, "Савчук", "Максим")
    client.post("/api/family/inquiry/additions", json={
        "reference": ref, "secret": secret, "contact_email": "wife@example.org", "notify": True, "marks": "x"})
    client.post(f"/api/inquiries/{ref}/decisions", headers=demo.headers("ua/registrar"),
                json={"decision": "message", "message": "Registered."})
    r = client.post(f"/api/inquiries/{ref}/destroy", headers=demo.headers("ua/admin"),
                    json={"reason": "request", "basis": "the family's written request (invented)"})
    assert r.status_code == 201, r.text
    with runtime.sessions() as s:
        assert s.execute(select(InquiryAddition).where(InquiryAddition.inquiry == ref)).first() is None
        assert s.execute(select(FamilyNotice).where(FamilyNotice.inquiry == ref)).first() is None
    assert client.post("/api/family/inquiry", json={"reference": ref, "secret": secret}).status_code == 404
