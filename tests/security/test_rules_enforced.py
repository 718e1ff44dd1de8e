"""The record kinds enforce the same write rules the pages offer (``parley.*.rules``): every demo member
submits the same repeatable records (a message to a family, a post to an operation's channel, a status event of
a person, a key for another member) and each is kept exactly when the member reads the object and its rule
holds; otherwise it is refused (403 for a rule, 404 for an object the member may not read) and not stored."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from parley.errors import ParleyError
from parley.log.models import LogEntry
from parley.log.note import Signer
from parley.operations import kinds as op_kinds
from parley.operations import rules as op_rules
from parley.operations.models import Operation
from parley.parties.principal import Principal, load_principal
from parley.people import kinds as people_kinds
from parley.people import rules as people_rules
from parley.people.models import Inquiry, Person
from parley.records.compose import compose
from parley.records.kinds import manages_keys
from parley.runtime import Runtime
from tests.conftest import ORIGIN, Demo


def outcome(rt: Runtime, demo: Demo, member: str, kind: str, audience: str, payload: dict[str, Any]) -> int:
    """200 if the record was kept, else the refusal's status (and nothing was stored)."""
    with rt.sessions() as s:
        before = s.scalar(select(func.count()).select_from(LogEntry))
    note = compose(demo.signer(member), origin=ORIGIN, kind=kind, audience=audience, payload=payload)
    try:
        rt.pipeline.submit(note, payload)
    except ParleyError as exc:
        with rt.sessions() as s:
            assert s.scalar(select(func.count()).select_from(LogEntry)) == before, (member, kind)
        return exc.status
    return 200


def principal(rt: Runtime, member: str) -> Principal:
    with rt.sessions() as s:
        who = load_principal(s, member)
    assert who is not None
    return who


def expect(status: int, reads: bool, allowed: bool, member: str, kind: str) -> bool:
    if reads and allowed:
        assert status == 200, (member, kind, status)
    else:
        assert status in ((403,) if reads else (403, 404)), (member, kind, status)
    return status == 200


def test_the_kinds_keep_exactly_what_the_rules_allow(sqlite_runtime, sqlite_demo):
    rt, demo = sqlite_runtime, sqlite_demo
    with rt.sessions() as s:
        inquiry = s.get(Inquiry, "INQ-UA-DEMO-0002")
        op = s.get(Operation, "ua-azovstal-exit")
        person = s.get(Person, "ru-azov-0001")
        assert inquiry is not None and op is not None and person is not None
        s.expunge_all()
    kept: dict[str, set[bool]] = {"inquiry.decide": set(), "channel.post": set(), "person.event": set(),
                                  "key.register": set()}
    for member in sorted(demo.signins):
        who = principal(rt, member)
        reads = people_kinds.POLICY.may_read(who, "inquiry.file", inquiry.audience, inquiry.party)
        status = outcome(rt, demo, member, "inquiry.decide", inquiry.audience,
                         {"inquiry": inquiry.id, "decision": "message", "message": "We are still looking."})
        kept["inquiry.decide"].add(expect(status, reads, people_rules.may_decide(who, inquiry), member,
                                          "inquiry.decide"))

        reads = op_kinds.POLICY.may_read(who, "operation.propose", op.audience, op.party)
        status = outcome(rt, demo, member, "channel.post", ",".join(op_kinds.audience_for(op)),
                         {"operation": op.id, "text": f"Checking in ({member})."})
        kept["channel.post"].add(expect(status, reads, op_rules.may_use_channel(who, op), member, "channel.post"))

        reads = people_kinds.POLICY.may_read(who, "person.register", person.audience, person.party)
        status = outcome(rt, demo, member, "person.event", person.audience,
                         {"person": person.id, "event": "visited", "note": member})
        kept["person.event"].add(expect(status, reads, people_rules.may_record_event(who), member, "person.event"))

        # Membership records are read by every member: each is a rule's answer, never "no such member".
        target = "ua/press"
        with rt.sessions() as s:
            allowed = manages_keys(s, who, target, "ua")
        status = outcome(rt, demo, member, "key.register", "all",
                         {"member": target, "vkey": Signer.generate(target).vkey()})
        kept["key.register"].add(expect(status, True, allowed, member, "key.register"))
    for kind, seen in kept.items():
        assert seen == {True, False}, (kind, seen)
