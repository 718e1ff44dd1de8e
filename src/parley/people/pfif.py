"""The PFIF 1.4 export (People Finder Interchange Format, http://zesty.ca/pfif/1.4/): the inquiries a party chose
to release for other tracing tools (``inquiry.release``), so that they can import them.

Each released inquiry is one ``person``: only the fields its release names (a surname at least), the filing
party as author and source, the release's time as ``source_date``. Its notes: that a family seeks the person
(``information_sought``, at the filing), and, where the release says so, each confirmation by a registrar as a
status alone — ``believed_alive`` for a prisoner of war or a detained civilian, ``believed_dead`` for the dead,
``believed_missing`` for the missing — never the words the family was told, never the family's contact or
what it added, never the registry's record. An inquiry withdrawn or destroyed is not exported.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from parley.parties.models import Party
from parley.parties.principal import Principal
from parley.people import kinds as k
from parley.people.models import Inquiry, InquiryDecision, Person

NS = "http://zesty.ca/pfif/1.4"
STATUS_BY_CATEGORY = {"pow": "believed_alive", "civilian": "believed_alive", "deceased": "believed_dead",
                      "missing": "believed_missing"}
NOTE_TEXT = {
    "information_sought": "A family is looking for this person and asked {party}.",
    "believed_alive": "The registry of {party} confirmed a record of this person as held alive.",
    "believed_dead": "The registry of {party} confirmed a record of this person as dead.",
    "believed_missing": "The registry of {party} confirmed a record of this person as missing.",
}


def _utc(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def domain_of(origin: str) -> str:
    """The record-id domain of this deployment: the host part of its log origin (``parley.example.org/log``)."""
    return origin.split("/", 1)[0].rstrip(".")


def released(s: Session, who: Principal, party: str | None = None) -> list[Inquiry]:
    """The inquiries released for other tracing tools that ``who`` may read, of ``party`` if given."""
    q = select(Inquiry).where(Inquiry.released != "", Inquiry.status != "destroyed").order_by(Inquiry.id)
    if party:
        q = q.where(Inquiry.party == party)
    return [i for i in s.execute(q).scalars() if k.POLICY.may_read(who, "inquiry.file", i.audience, i.party)]


def _sub(parent: ET.Element, name: str, text: str) -> None:
    if text:
        ET.SubElement(parent, f"{{{NS}}}{name}").text = text


def document(s: Session, inquiries: Iterable[Inquiry], origin: str) -> bytes:
    """The PFIF 1.4 XML document of ``inquiries`` (each one the caller may read and that is released)."""
    ET.register_namespace("pfif", NS)
    root = ET.Element(f"{{{NS}}}pfif")
    domain = domain_of(origin)
    names = {p.slug: p.name_en for p in s.execute(select(Party)).scalars()}
    for inq in inquiries:
        release: dict[str, Any] = json.loads(inq.released)
        fields = set(release.get("fields") or ())
        sought: dict[str, str] = json.loads(inq.sought)
        given = {f: (sought.get(f) or "").strip() for f in fields}
        if not given.get("surname"):
            continue
        party = names.get(inq.party, inq.party)
        released_at = inq.released_at or inq.at
        pid = f"{domain}/{inq.id}"
        person = ET.SubElement(root, f"{{{NS}}}person")
        _sub(person, "person_record_id", pid)
        _sub(person, "author_name", party)
        _sub(person, "source_name", f"Parley: {party}")
        _sub(person, "source_date", _utc(released_at))
        full = " ".join(x for x in (given.get("surname"), given.get("first_name"), given.get("patronymic")) if x)
        _sub(person, "full_name", full)
        _sub(person, "given_name", " ".join(x for x in (given.get("first_name"), given.get("patronymic")) if x))
        _sub(person, "family_name", given.get("surname", ""))
        seen = ", ".join(x for x in (given.get("last_seen_date"), given.get("last_seen_place")) if x)
        _sub(person, "description", f"Last seen: {seen}" if seen else "")
        _sub(person, "date_of_birth", given.get("birth_date", ""))
        notes = [(inq.at, "information_sought", f"{inq.id}.filed")]
        if release.get("status_notes"):
            for d in s.execute(select(InquiryDecision).where(InquiryDecision.inquiry == inq.id,
                                                             InquiryDecision.decision == "confirmed")
                               .order_by(InquiryDecision.idx)).scalars():
                p = s.get(Person, d.person) if d.person else None
                status = STATUS_BY_CATEGORY.get(p.category if p is not None else "", "")
                if status:
                    notes.append((d.at, status, f"{inq.id}.{d.idx}"))
        for at, status, note_id in notes:
            note = ET.SubElement(person, f"{{{NS}}}note")
            _sub(note, "note_record_id", f"{domain}/{note_id}")
            _sub(note, "person_record_id", pid)
            _sub(note, "author_name", party)
            _sub(note, "source_date", _utc(at))
            _sub(note, "status", status)
            _sub(note, "text", NOTE_TEXT[status].format(party=party))
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"

