"""Telling a family that there is news on its inquiry.

When a registrar or a mediator tells a family something (an ``inquiry.decide`` with a message), the record's
own transaction also writes a ``FamilyNotice`` (local data, ``people.kinds.apply_inquiry_decide``): a decision
never commits without the notice it owes. The ``Notifier`` sends what is owed through a pluggable ``Sender``,
to the address of the family's latest contact preference (``inquiry.add``, ``service.contact_preference``),
only when the family asked to be told, in the language it chose.

A message carries the inquiry's reference and where to read it, nothing else: no name, no status, no
words of the decision. The family reads those on its own page with its secret. Delivery is at least once: a
crash between sending and marking it sent sends it again; several notices of one inquiry owed at once go as
one message. Nothing here logs an address.
"""

from __future__ import annotations

import logging
import smtplib
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from parley.people.models import FamilyNotice
from parley.settings import Settings

log = logging.getLogger("parley.notify")

# After a failed attempt the notice waits 1, 2, 4 … minutes (at most an hour); after this many it is given up.
ATTEMPTS = 8

# What a family is told, in its language: the reference and where to look, nothing personal.
MESSAGES = {
    "uk": ("Новини щодо вашого запиту {reference}",
           "Щодо вашого запиту {reference} є новини.\n\n"
           "Відкрийте сторінку запиту{where} і введіть номер запиту та свій секретний код.\n"
           "Ми не пишемо подробиць у листах: прочитати їх можете лише ви.\n"),
    "ru": ("Новости по вашему запросу {reference}",
           "По вашему запросу {reference} есть новости.\n\n"
           "Откройте страницу запроса{where} и введите номер запроса и свой секретный код.\n"
           "Мы не пишем подробностей в письмах: прочитать их можете только вы.\n"),
    "en": ("News on your inquiry {reference}",
           "There is news on your inquiry {reference}.\n\n"
           "Open the inquiry page{where} and enter the reference and your secret.\n"
           "We never write the details in a message: only you can read them.\n"),
}


def compose(reference: str, language: str, public_url: str) -> tuple[str, str]:
    """The subject and the body of a notice: the reference, and the family page's address if one is known."""
    subject, body = MESSAGES.get(language) or MESSAGES["uk"]
    where = f" ({public_url.rstrip('/')}/family)" if public_url else ""
    return subject.format(reference=reference), body.format(reference=reference, where=where)


class Sender(Protocol):
    def send(self, to: str, subject: str, body: str) -> None:
        """Send one message; raise to have it tried again later."""


class LogSender:
    """Sends nothing: writes a line naming the inquiry (never the address) — for the demo and for deployments
    that tell families by other means."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []  # (subject, body) of what would have gone, for the demo and tests

    def send(self, to: str, subject: str, body: str) -> None:
        self.sent.append((subject, body))
        log.info("family notice (log only, not sent): %s", subject)


class SmtpSender:
    """Sends e-mail through an SMTP server (``PARLEY_SMTP_*``), with STARTTLS and a login where configured."""

    def __init__(self, host: str, port: int, sender: str, *, starttls: bool = False, username: str = "",
                 password: str = "", timeout: float = 20.0) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.starttls, self.username, self.password, self.timeout = starttls, username, password, timeout

    def send(self, to: str, subject: str, body: str) -> None:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = self.sender, to, subject
        msg.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(msg)


def sender_from(settings: Settings) -> Sender | None:
    """The sender ``PARLEY_NOTIFY_SENDER`` names: ``log`` (the default), ``smtp``, or ``off`` (None)."""
    if settings.notify_sender == "off":
        return None
    if settings.notify_sender == "smtp":
        return SmtpSender(settings.smtp_host, settings.smtp_port, settings.smtp_from, starttls=settings.smtp_starttls,
                          username=settings.smtp_username, password=settings.smtp_password)
    return LogSender()


class Notifier:
    """Sends the notices owed to families, now (``deliver_due``) and then on a schedule (``start``)."""

    def __init__(self, sessions: Callable[[], AbstractContextManager[Session]], sender: Sender,
                 public_url: str = "", interval: float = 5.0) -> None:
        self.sessions, self.sender, self.public_url, self.interval = sessions, sender, public_url, interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="parley-notifier", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.deliver_due()
            except Exception:  # a mail server being down must not stop the server
                log.exception("sending families' notices failed")

    def deliver_due(self, now: datetime | None = None) -> dict[str, int]:
        """Send every notice that is due; answers how many were sent, had no address, failed or were given up."""
        from parley.people.models import Inquiry
        from parley.people.service import contact_preference

        counts = {"sent": 0, "no_address": 0, "failed": 0, "given_up": 0}
        with self._lock, self.sessions() as s:
            now = now or datetime.now(UTC)
            due = list(s.execute(select(FamilyNotice).where(FamilyNotice.sent_at.is_(None))
                                 .order_by(FamilyNotice.id)).scalars())
            by_inquiry: dict[str, list[FamilyNotice]] = {}
            for n in due:
                if n.next_at is None or n.next_at <= now:
                    by_inquiry.setdefault(n.inquiry, []).append(n)
            for ref, notices in by_inquiry.items():
                inquiry = s.get(Inquiry, ref)
                pref = contact_preference(s, ref) if inquiry is not None and inquiry.status != "destroyed" else {}
                to = str(pref.get("contact_email") or "")
                if not (pref.get("notify") and to):
                    outcome = "no_address"
                else:
                    subject, body = compose(ref, str(pref.get("contact_language") or ""), self.public_url)
                    try:
                        self.sender.send(to, subject, body)
                        outcome = "sent"
                    except Exception as exc:  # noqa: BLE001 - whatever the transport raised, try again later
                        outcome = "failed"
                        log.warning("a family notice for %s was not sent (%s); tried again later", ref,
                                    type(exc).__name__)
                for n in notices:
                    n.attempts += 1
                    if outcome == "failed" and n.attempts < ATTEMPTS:
                        n.next_at = now + timedelta(minutes=min(60, 2 ** (n.attempts - 1)))
                        n.outcome = "failed"
                    else:
                        n.sent_at, n.outcome = now, "given_up" if outcome == "failed" else outcome
                counts["given_up" if outcome == "failed" and notices[0].sent_at else outcome] += 1
                s.commit()
        return counts
