"""The registry tells nothing of what an author may not read, intake accounts file their own party's
inquiries and nothing else, and a family's secret stays out of the log (security issue 9, V10, V11, V15).
Runs on SQLite and PostgreSQL, on the demo's parties without its scenario (``tests/small.py``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from parley.assembly import kinds
from parley.errors import ParleyError
from parley.log.models import LogEntry
from parley.log.note import Signer
from parley.people import service as svc
from parley.people.models import Inquiry, InquirySecret, Person, PersonList
from parley.records.compose import compose
from tests.conftest import ORIGIN
from tests.small import Small, small, small_client  # noqa: F401  (fixtures)

SHA = "0" * 64


def act(client, small: Small, member: str, kind: str, payload: Any, audience: list[str]) -> Any:  # type: ignore[no-untyped-def]
    return client.post("/api/actions", json={"kind": kind, "audience": audience, "payload": payload},
                       headers=small.headers(member))


def logged(runtime) -> int:  # type: ignore[no-untyped-def]
    with runtime.sessions() as s:
        return s.scalar(select(func.count()).select_from(LogEntry))


def person(pid: str, **extra: Any) -> dict[str, Any]:
    return {"id": pid, "category": "missing", "person": {"surname": "Тестенко", "first_name": "Іван"}, **extra}


def inquiry(ref: str) -> dict[str, Any]:
    return {"id": ref, "sought": {"surname": "Тестенко"}, "relationship": "брат"}


def report(**row: Any) -> dict[str, Any]:
    return {"title": "list", "filename": "list.csv", "sha256": SHA, "mapping": {}, "report": [row]}


def ok(r) -> Any:  # type: ignore[no-untyped-def]
    assert r.status_code == 201, r.text
    return r.json()


def test_persons_lists_and_inquiries_the_author_may_not_read_are_refused_as_absent_ones(
        small_client, small, runtime):
    client = small_client
    ua, ru = ["party:ua"], ["party:ru"]
    ok(act(client, small, "ua/registrar", "person.register", person("ua-p-secret"), ua))
    ok(act(client, small, "ua/registrar", "list.import",
           {"id": "ua-list-secret", **report(row=1, status="rejected", reason="illegible")}, ua))
    ok(act(client, small, "ua/registrar", "inquiry.file", inquiry("INQ-UA-SECR-ET01"), ua))
    ok(act(client, small, "ru/registrar", "person.register", person("ru-p-own"), ru))
    ok(act(client, small, "ru/registrar", "inquiry.file", inquiry("INQ-RU-OWN1-0001"), ru))
    n = logged(runtime)
    cases: list[tuple[str, dict[str, Any], list[str], str, str]] = [
        # (kind, payload naming Ukraine's object, audience, its id, an absent id in the same namespace)
        ("person.register", person("ua-p-secret"), ru, "ua-p-secret", "ua-p-absent"),
        ("person.update", person("ua-p-secret"), ua, "ua-p-secret", "ua-p-absent"),
        ("person.event", {"person": "ua-p-secret", "event": "visited"}, ua, "ua-p-secret", "ua-p-absent"),
        ("match.decide", {"left": "ru-p-own", "right": "ua-p-secret", "decision": "same"}, ["party:ru", "party:ua"],
         "ua-p-secret", "ua-p-absent"),
        ("list.import", {"id": "ua-list-secret", **report(row=1, status="rejected", reason="x")}, ru,
         "ua-list-secret", "ua-list-absent"),
        ("list.import", {"id": "ru-list-1", **report(row=1, status="duplicate", of="ua-p-secret")}, ru,
         "ua-p-secret", "ua-p-absent"),
        ("person.register", person("ru-p-2", list={"id": "ua-list-secret", "row": 1}), ru, "ua-list-secret",
         "ua-list-absent"),
        ("inquiry.file", inquiry("INQ-UA-SECR-ET01"), ru, "INQ-UA-SECR-ET01", "INQ-UA-ABSE-NT01"),
        ("inquiry.decide", {"inquiry": "INQ-UA-SECR-ET01", "decision": "message", "message": "x"}, ua,
         "INQ-UA-SECR-ET01", "INQ-UA-ABSE-NT01"),
        ("inquiry.decide", {"inquiry": "INQ-RU-OWN1-0001", "decision": "rejected", "person": "ua-p-secret"}, ru,
         "ua-p-secret", "ua-p-absent"),
    ]
    for kind, payload, audience, hidden, absent in cases:
        other = json.loads(json.dumps(payload).replace(f'"{hidden}"', f'"{absent}"'))
        a = act(client, small, "ru/registrar", kind, payload, audience)
        b = act(client, small, "ru/registrar", kind, other, audience)
        assert a.status_code in (404, 422) and a.json().get("field"), (kind, a.text)
        assert (a.status_code, a.json()) == (b.status_code, json.loads(b.text.replace(absent, hidden))), kind
    # The audit's probes: Ukraine's person ids, through the API as well.
    for pid in ("ua-p-secret", "ua-azov-0024"):
        a = client.post("/api/persons", json=person(pid), headers=small.headers("ru/registrar"))
        b = client.post("/api/persons", json=person("ua-p-absent"), headers=small.headers("ru/registrar"))
        assert (a.status_code, a.json()) == (b.status_code, b.json()) == (422, {
            "error": "unprocessable", "field": "id", "code": "record.id_prefix",
            "params": {"what": "person record", "prefix": "ru"},
            "message": "the id of a new person record starts with your party's slug and a dash (ru-…)"})
    a, b = (client.get(f"/api/persons/{x}", headers=small.headers("ru/registrar")) for x in ("ua-p-secret", "ua-p-x"))
    assert (a.status_code, b.status_code) == (404, 404) and a.json()["message"] == "no person 'ua-p-secret'"
    assert logged(runtime) == n, "a refused record was stored"
    # The reporting party itself still hears "already registered" of its own ids, and its own ids only.
    # (Another payload: the same signed record within the same second would be the same record, acknowledged again.)
    r = act(client, small, "ua/registrar", "person.register", {**person("ua-p-secret"), "category": "pow"}, ua)
    assert (r.status_code, r.json().get("field")) == (409, "id"), r.text
    # The server's own generators pick ids in the author's namespace.
    made = ok(client.post("/api/persons", json={"category": "missing", "person": {"surname": "Тестенко"}},
                          headers=small.headers("ru/registrar")))["person"]
    assert made.startswith("ru-p-")
    with runtime.sessions() as s:
        assert s.get(Person, made).party == "ru" and s.get(PersonList, "ua-list-secret").party == "ua"


def test_an_intake_account_files_its_own_partys_inquiries_and_nothing_else(small_client, small, runtime):
    client = small_client
    # Every kind but inquiry.file and inquiry.add (what families send) leaves the intake role out of its writers.
    assert sorted(k.name for k in kinds().values() if "intake" in k.roles) == ["inquiry.add", "inquiry.file"]
    n = logged(runtime)
    desk = "ua/family-desk"
    for kind, payload, audience in [
        ("record.note", {"text": "the form speaks"}, ["all"]),
        ("record.note", {"text": "the form speaks"}, ["party:ua"]),
        ("key.register", {"member": desk, "vkey": Signer.generate(desk).vkey()}, ["all"]),
        ("person.register", person("ua-p-1"), ["party:ua"]),
        ("inquiry.decide", {"inquiry": "INQ-UA-AAAA-0001", "decision": "closed", "message": "x"}, ["party:ua"]),
    ]:
        r = act(client, small, desk, kind, payload, audience)
        assert r.status_code == 403 and "may not write" in r.json()["message"], (kind, r.text)
    for audience in (["party:ua", "party:ru"], ["party:ru"], ["party:ua/registrar"], ["party:icrc", "party:ua"]):
        r = act(client, small, desk, "inquiry.file", inquiry("INQ-UA-AAAA-0001"), audience)
        assert (r.status_code, r.json()["field"]) == (403, "audience"), (audience, r.text)
        assert "its own party only" in r.json()["message"]
    r = act(client, small, desk, "inquiry.file", inquiry("INQ-RU-AAAA-0001"), ["party:ua"])
    assert (r.status_code, r.json()["field"]) == (422, "id")
    assert logged(runtime) == n, "a refused record was stored"
    ok(act(client, small, desk, "inquiry.file", inquiry("INQ-UA-AAAA-0001"), ["party:ua"]))
    # A registrar may address an inquiry to another party too; the public form may not.
    ok(act(client, small, "ua/registrar", "inquiry.file", inquiry("INQ-UA-AAAA-0002"), ["party:ru", "party:ua"]))
    with runtime.sessions() as s:
        assert s.get(Inquiry, "INQ-UA-AAAA-0001").audience == "party:ua"


def test_the_signed_inquiry_carries_no_secret_and_the_family_still_follows_it(small_client, small, runtime, tmp_path):
    client = small_client
    svc.public_limits(client.app.state).family.clear()
    svc.public_limits(client.app.state).filings.clear()
    r = client.post("/api/inquiries", json={"sought": {"surname": "Тестенко"}, "relationship": "мати",
                                            "contact": "+380 00 000 0000"}, headers=small.headers("ua/registrar"))
    filed = ok(r)
    ref, secret = filed["reference"], filed["secret"]
    assert ref.startswith("INQ-UA-")
    record = client.get(f"/api/log/records/{filed['index']}", headers=small.headers("ua/registrar")).json()
    assert record["payload"]["id"] == ref and "secret_hash" not in record["payload"]
    direct = client.post("/api/family/inquiries", json={"party": "ua", "sought": {"surname": "Тестенко"}})
    assert direct.status_code == 201 and direct.json()["reference"].startswith("INQ-UA-")
    with runtime.sessions() as s:
        for e in s.execute(select(LogEntry).where(LogEntry.kind == "inquiry.file")).scalars():
            assert "argon2" not in e.payload and "secret" not in e.payload and b"argon2" not in e.note
        kept = {k.inquiry: k.secret_hash for k in s.execute(select(InquirySecret)).scalars()}
    assert set(kept) == {ref, direct.json()["reference"]}
    assert all(h.startswith("$argon2id$") and secret not in h for h in kept.values())
    # The family follows its inquiry with reference and secret; a wrong secret or reference learns nothing.
    for ref_, secret_, status in ((ref, secret, 200), (ref.lower(), secret.lower(), 200),
                                  (ref, "WRON-GWRO-NGWR-ONGX", 404), ("INQ-UA-0000-0000", secret, 404),
                                  (direct.json()["reference"], direct.json()["secret"], 200)):
        got = client.post("/api/family/inquiry", json={"reference": ref_, "secret": secret_})
        assert got.status_code == status, (ref_, got.text)
    svc.public_limits(client.app.state).family.clear()
    svc.public_limits(client.app.state).filings.clear()
    # Local data is stored with its record or not at all: a refused record leaves no verifier behind.
    refused = {"id": "INQ-UA-REFU-SED1", "sought": {"surname": "Тестенко"}}
    note = compose(small.signer("ua/registrar"), origin=ORIGIN, kind="inquiry.file", audience="all", payload=refused)
    with pytest.raises(ParleyError) as err:
        runtime.pipeline.submit(note, refused, local=svc.local_secret("AAAA-BBBB-CCCC-DDDD"))
    assert err.value.field == "audience"
    with runtime.sessions() as s:
        assert s.get(InquirySecret, "INQ-UA-REFU-SED1") is None and s.get(Inquiry, "INQ-UA-REFU-SED1") is None
    # Replay rebuilds the inquiries from the log, but not the verifiers, which were never in it.
    from parley.db import make_engine
    from parley.logserver.replay import differences, replay

    target = make_engine(f"sqlite:///{tmp_path / 'rebuilt.db'}")
    assert replay(runtime.engine, target, runtime.log_signer, ORIGIN, kinds=runtime.kinds).problems == []
    assert differences(runtime.engine, target, (Inquiry,)) == []
    with target.connect() as c:
        assert c.execute(select(func.count()).select_from(InquirySecret)).scalar() == 0
