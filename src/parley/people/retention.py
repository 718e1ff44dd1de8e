"""Retention and destruction of personal data, and the export of everything about one person.

- **Destruction** is a signed ``person.destroy`` record by an admin of the party that reported the person
  (``people.rules.may_destroy``), with the reason (retention end, court order, the person's request, other)
  and the legal basis. Applying it erases the person's data key and projection (``people.kinds.apply_destroy``,
  ``records.sealing``); the log keeps the signed notes, so every proof still verifies.
- **Retention rules** are the deployment's settings (``Settings.retention_days``, days by category, counted
  from the person's last record once the case is closed): ``report`` lists who is due and what was destroyed
  by which record. Nothing is destroyed automatically: a party's admin signs each destruction.
- **Export** (``export``): everything the caller may read about one person, for an inquiry: the projection,
  status history, match decisions, lists, inquiry decisions naming the person and every record that names
  them, each with its signed note and payload (or the record that destroyed it).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from parley.errors import Forbidden
from parley.log.models import LogEntry
from parley.parties.principal import Principal
from parley.people import codes as C
from parley.people import kinds as k
from parley.people import rules
from parley.people import service as svc
from parley.people.models import PERSON_FIELDS, Inquiry, InquiryDecision, Person, PersonList
from parley.records import sealing

CLOSED = ("released", "repatriated", "remains_returned")  # a case closed: its retention period runs


def require_destroyer(who: Principal, p: Person) -> None:
    """Refused before signing, as the record's apply would refuse it."""
    if not rules.may_destroy_any(who):
        raise Forbidden(C.DESTROY_ROLES, roles=", ".join(sorted(rules.DESTROYERS)))
    if not rules.may_destroy(who, p):
        raise Forbidden(C.REPORTER_DESTROYS, field="person")


def require_inquiry_destroyer(who: Principal, i: Inquiry) -> None:
    """Refused before signing, as ``inquiry.destroy``'s apply would refuse it."""
    if not rules.may_destroy_any(who):
        raise Forbidden(C.DESTROY_ROLES, roles=", ".join(sorted(rules.DESTROYERS)))
    if not rules.may_destroy_inquiry(who, i):
        raise Forbidden(C.FILER_DESTROYS, field="inquiry")


def inquiry_destroyed_by(s: Session, i: Inquiry) -> int | None:
    """The record that destroyed the inquiry's data, or None."""
    if i.status != "destroyed":
        return None
    key = s.get(sealing.DataKey, f"inquiry:{i.id}")
    return key.destroyed_idx if key is not None else None


def destruction_payload(pid: str, reason: str, basis: str) -> dict[str, Any]:
    return {"person": pid, "reason": reason, "basis": basis}


def _entries(s: Session, subject: str) -> list[LogEntry]:
    idxs = select(sealing.EntrySubject.idx).where(sealing.EntrySubject.subject == subject)
    return list(s.execute(select(LogEntry).where(LogEntry.idx.in_(idxs)).order_by(LogEntry.idx)).scalars())


def destruction_of(s: Session, idx: int) -> dict[str, Any]:
    """The destroying record as the report and the export show it (it holds no personal data)."""
    e = s.get(LogEntry, idx)
    if e is None:
        return {"index": idx}
    p = json.loads(e.payload)
    return {"index": idx, "person": p.get("person"), "inquiry": p.get("inquiry"), "reason": p.get("reason"),
            "basis": p.get("basis"),
            "author": e.author, "party": e.party, "time": e.time, "record_hash": e.record_hash}


def export(s: Session, who: Principal, pid: str) -> dict[str, Any]:
    """Everything ``who`` may read about person ``pid``, as one JSON object."""
    p = svc.person(s, who, pid)
    person: dict[str, Any] = {"id": p.id, "category": p.category, "party": p.party, "own_party": p.own_party,
                              "status": p.status, "status_date": p.status_date,
                              "seriously_wounded": p.seriously_wounded, "audience": p.audience.split(","),
                              "created_index": p.created_idx, "updated_index": p.updated_idx,
                              **{f: getattr(p, f) for f in PERSON_FIELDS}}
    out: dict[str, Any] = {"format": "parley.person-export/1", "exported_at": _now().strftime("%Y-%m-%dT%H:%M:%SZ"),
                           "exported_by": who.member, "person": person,
                           "destroyed": destruction_of(s, p.destroyed_idx) if p.destroyed_idx is not None else None}
    out["events"] = [{"index": e.idx, "event": e.event, "date": e.date, "place": e.place, "note": e.note,
                      "party": e.party, "author": e.author} for e in svc.events(s, who, p)]
    out["match_decisions"] = [{"index": d.idx, "left": d.left, "right": d.right, "decision": d.decision,
                               "party": d.party, "current": d.current} for d in svc.decisions(s, who, p)]
    out["same_as"] = [x.id for x in svc.same_as(s, who, p)]
    lst = s.get(PersonList, p.list_id) if p.list_id else None
    out["list"] = ({"id": lst.id, "row": p.list_row, "title": lst.title}
                   if lst is not None and svc.can_read(who, "list.import", lst) else None)
    out["inquiry_decisions"] = [
        {"index": d.idx, "inquiry": d.inquiry, "decision": d.decision, "message": d.message, "party": d.party}
        for d in s.execute(select(InquiryDecision).where(InquiryDecision.person == p.id)
                           .order_by(InquiryDecision.idx)).scalars()
        if _reads_inquiry(s, who, d.inquiry)]
    opener = sealing.Opener(s)
    records = []
    for e in _entries(s, f"person:{p.id}"):
        if not k.POLICY.may_read_record(who, e.kind, e.audience, e.party):
            continue
        text, by = opener.open(e.payload, e.payload_hash)
        records.append({"index": e.idx, "kind": e.kind, "author": e.author, "party": e.party, "time": e.time,
                        "record_hash": e.record_hash, "note": e.note.decode(),
                        "payload": json.loads(text) if text is not None else None,
                        **({"destroyed_by": by} if text is None else {})})
    out["records"] = records
    return out


def _reads_inquiry(s: Session, who: Principal, ref: str) -> bool:
    from parley.people.models import Inquiry

    inq = s.get(Inquiry, ref)
    return inq is not None and svc.can_read(who, "inquiry.decide", inq)


def _now() -> datetime:
    return datetime.now(UTC)


def party_rules(s: Session, who: Principal) -> dict[str, dict[str, Any]]:
    """Each party's latest signed retention rules (``retention.rules``, audience all), by party, as the read
    policy lets ``who`` read them."""
    out: dict[str, dict[str, Any]] = {}
    for e in s.execute(select(LogEntry).where(LogEntry.kind == "retention.rules").order_by(LogEntry.idx)).scalars():
        if not k.POLICY.may_read_record(who, e.kind, e.audience, e.party):
            continue
        p = json.loads(e.payload)
        out[e.party] = {"party": e.party, "rules": p.get("rules", {}), "basis": p.get("basis"), "index": e.idx,
                        "author": e.author, "time": e.time}
    return out


def report(s: Session, who: Principal, retention_days: dict[str, int], *, now: datetime | None = None,
           limit: int = 10_000) -> dict[str, Any]:
    """Who is due for destruction under the rules, and what was destroyed by which record (what ``who`` may
    read: persons and inquiries of its audience; due ones of any party it reads, each to be destroyed by its
    reporter). A party's signed rules (``retention.rules``) govern its reports; the deployment's settings
    (``retention_days``) those of a party that signed none."""
    svc.require_reader(who)
    now = now or _now()
    signed = party_rules(s, who)
    # (parties, or None: every party without signed rules) -> their rules, and where the rules come from.
    regimes: list[tuple[list[str] | None, dict[str, int], int | None]] = [
        ([party], {c: int(d) for c, d in r["rules"].items()}, r["index"]) for party, r in sorted(signed.items())]
    regimes.append((None, dict(retention_days), None))
    due: list[dict[str, Any]] = []
    due_inquiries: list[dict[str, Any]] = []
    for parties, days_by, source in regimes:
        whose = Person.party.in_(parties) if parties is not None else Person.party.notin_(list(signed))
        for category, days in sorted(days_by.items()):
            if category == "inquiry":
                due_inquiries += _due_inquiries(s, who, parties, list(signed), days, now, source)
                continue
            cutoff = (now - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
            q = (select(Person, LogEntry.time).join(LogEntry, LogEntry.idx == Person.updated_idx)
                 .where(svc.LIVE, whose, Person.category == category, Person.status.in_(CLOSED),
                        LogEntry.time < cutoff)
                 .order_by(Person.updated_idx))
            for p, last in s.execute(q).all():
                if svc.can_read(who, "person.register", p) and len(due) < limit:
                    due_at = datetime.fromisoformat(last) + timedelta(days=days)
                    due.append({"person": p.id, "category": p.category, "party": p.party, "status": p.status,
                                "last_record": last, "due_since": due_at.strftime("%Y-%m-%d"),
                                "may_destroy": rules.may_destroy(who, p), "rule": source})
    due.sort(key=lambda d: (d["due_since"], d["person"]))
    destroyed = []
    for e in s.execute(select(LogEntry).where(LogEntry.kind.in_(("person.destroy", "inquiry.destroy")))
                       .order_by(LogEntry.idx)).scalars():
        if k.POLICY.may_read_record(who, e.kind, e.audience, e.party):
            destroyed.append(destruction_of(s, e.idx))
    return {"rules": {c: {"days": d, "closed_statuses": list(CLOSED)} for c, d in sorted(retention_days.items())},
            "party_rules": [signed[p] for p in sorted(signed)], "due": due, "due_inquiries": due_inquiries,
            "destroyed": destroyed}


def _due_inquiries(s: Session, who: Principal, parties: list[str] | None, signed: list[str], days: int,
                   now: datetime, source: int | None) -> list[dict[str, Any]]:
    """Closed inquiries of ``parties`` (None: of every party not in ``signed``) whose last record is older than
    ``days``."""
    q = select(Inquiry).where(Inquiry.status == "closed")
    q = q.where(Inquiry.party.in_(parties)) if parties is not None else q.where(Inquiry.party.notin_(signed))
    out = []
    for i in s.execute(q.order_by(Inquiry.id)).scalars():
        if not svc.can_read(who, svc.INQUIRY, i):
            continue
        last_idx = s.scalar(select(func.max(InquiryDecision.idx)).where(InquiryDecision.inquiry == i.id)) \
            or i.created_idx
        last = s.scalar(select(LogEntry.time).where(LogEntry.idx == last_idx))
        if last is None:
            continue
        due_at = datetime.fromisoformat(last) + timedelta(days=days)
        if due_at <= now:
            out.append({"inquiry": i.id, "party": i.party, "status": i.status, "last_record": last,
                        "due_since": due_at.strftime("%Y-%m-%d"), "may_destroy": rules.may_destroy_inquiry(who, i),
                        "rule": source})
    return out



def restore_tombstones(s: Session) -> int:
    """After a replay (a restore from a mirror, ``parley log replay``): the tombstone of every person and
    inquiry destroyed whose records were all appended destroyed, so nothing made their projection. A
    tombstone holds only what the log's notes say (``people.kinds.apply_destroy`` keeps nothing else): the
    id, the reporting party and author and the time of the first record naming it, the audience of the record
    that destroyed it, and the indices. Answers how many were made."""
    made = 0
    keys = s.execute(select(sealing.DataKey).where(sealing.DataKey.destroyed_idx.is_not(None))).scalars().all()
    for key in keys:
        kind, _, ident = key.subject.partition(":")
        model = Person if kind == "person" else Inquiry if kind == "inquiry" else None
        if model is None or s.get(model, ident) is not None:
            continue
        first, by = s.get(LogEntry, key.created_idx), s.get(LogEntry, key.destroyed_idx)
        if first is None or by is None:
            continue
        when = datetime.fromisoformat(first.time.replace("Z", "+00:00"))
        if model is Person:
            s.add(Person(id=ident, category="", party=first.party, own_party=None, author=first.author,
                         audience=by.audience, status="destroyed", surname_key="", created_idx=first.idx,
                         updated_idx=by.idx, destroyed_idx=by.idx, created_at=when,
                         **dict.fromkeys(PERSON_FIELDS, "")))
        else:
            s.add(Inquiry(id=ident, party=first.party, author=first.author, audience=by.audience, sought="{}",
                          surname_key="", relationship="", status="destroyed", created_idx=first.idx, at=when))
        made += 1
    return made
