"""The PFIF 1.4 export of the inquiries a party released for other tracing tools: valid against the PFIF 1.4
schema, only the released fields, status notes without a word the family was told, nothing of an inquiry that was
not released, withdrawn or that the reader may not read, and no demo person's name but the released ones. Runs on
SQLite and PostgreSQL. Every person is invented."""

from __future__ import annotations

from pathlib import Path
from defusedxml import ElementTree as ET

import xmlschema

from parley.people.scenario import people

SCHEMA = xmlschema.XMLSchema(str(Path(__file__).parent / "data" / "pfif-1.4.xsd"))
NS = {"pfif": "http://zesty.ca/pfif/1.4"}


def export(client, demo, member="ua/registrar", **params):  # type: ignore[no-untyped-def]
    r = client.get("/api/inquiries.pfif", headers=demo.headers(member), params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/xml")
    SCHEMA.validate(r.content.decode("utf-8"))  # raises on the first element the schema refuses
    return r.text


def test_a_released_inquiry_goes_out_as_pfif_with_only_its_released_fields(client, demo):
    h = demo.headers
    r = client.post("/api/inquiries", headers=h("ua/registrar"), json={
        "sought": {"surname": "Приходько", "first_name": "Роман", "patronymic": "Олегович", "birth_date": "1987-05",
                   "last_seen_place": "Маріуполь", "last_seen_date": "2022-04"},
        "relationship": "sister", "contact": "+380 00 000 0001 (invented)"})
    ref = r.json()["reference"]
    hidden = client.post("/api/inquiries", headers=h("ua/registrar"), json={
        "sought": {"surname": "Невидимий", "first_name": "Олесь"}}).json()["reference"]
    pid = client.post("/api/persons", headers=h("ru/registrar"), json={
        "category": "pow", "own_party": "ua",
        "person": {"surname": "Приходько", "first_name": "Роман", "birth_date": "1987-05-02"}}).json()["person"]
    told = "Your brother was seen by a delegate in a camp near the border."
    assert client.post(f"/api/inquiries/{ref}/decisions", headers=h("ua/registrar"), json={
        "decision": "confirmed", "person": pid, "message": told}).status_code == 201
    r = client.post(f"/api/inquiries/{ref}/release", headers=h("ua/registrar"), json={
        "fields": ["surname", "first_name", "birth_date", "last_seen_place"], "status_notes": True})
    assert r.status_code == 201, r.text

    text = export(client, demo, party="ua")
    root = ET.fromstring(text)
    person = next(p for p in root.findall("pfif:person", NS)
                  if p.findtext("pfif:person_record_id", namespaces=NS).endswith("/" + ref))
    assert person.findtext("pfif:full_name", namespaces=NS) == "Приходько Роман"
    assert person.findtext("pfif:family_name", namespaces=NS) == "Приходько"
    assert person.findtext("pfif:date_of_birth", namespaces=NS) == "1987-05"
    assert person.findtext("pfif:description", namespaces=NS) == "Last seen: Маріуполь"
    assert person.findtext("pfif:author_name", namespaces=NS).startswith("Ukraine")
    statuses = [n.findtext("pfif:status", namespaces=NS) for n in person.findall("pfif:note", NS)]
    assert statuses == ["information_sought", "believed_alive"]
    # Not released: the patronymic, the date last seen, the family's contact, what it was told, the registry's
    # record and whoever is sought by an inquiry that was never released.
    for absent in ("Олегович", "2022-04", "+380", told, "delegate", pid, "Невидимий", hidden):
        assert absent not in text, absent

    # Russia's registrar does not read Ukraine's inquiries: none of them in its export. The press reads no registry.
    assert ref not in export(client, demo, "ru/registrar")
    assert client.get("/api/inquiries.pfif", headers=h("ua/press")).status_code == 403
    # A mediator reads it, and cannot release a belligerent's inquiry.
    assert ref in export(client, demo, "icrc/mediator")
    r = client.post(f"/api/inquiries/{ref}/release", headers=h("icrc/admin"), json={"fields": ["surname"]})
    assert r.status_code == 403 and r.json()["code"] == "inquiry.filer_releases"
    # Withdrawn: gone from the next export.
    assert client.post(f"/api/inquiries/{ref}/release", headers=h("ua/registrar"),
                       json={"withdraw": True}).status_code == 201
    assert ref not in export(client, demo)


def test_bad_releases_are_refused(client, demo):
    h = demo.headers
    ref = client.post("/api/inquiries", headers=h("ua/registrar"), json={
        "sought": {"surname": "Дорошенко"}}).json()["reference"]
    for body, code in (({"fields": ["first_name"]}, "inquiry.release_needs_surname"),
                       ({"fields": ["surname", "surname"]}, "inquiry.release_fields_once"),
                       ({"withdraw": True, "fields": ["surname"]}, "inquiry.release_withdraw_alone"),
                       ({"fields": ["surname", "contact"]}, None), ({"fields": ["surname"], "x": 1}, None)):
        r = client.post(f"/api/inquiries/{ref}/release", headers=h("ua/registrar"), json=body)
        assert r.status_code == 422, (body, r.text)
        if code:
            assert code in r.text, r.text
    assert client.post(f"/api/inquiries/{ref}/release", headers=h("ru/registrar"),
                       json={"fields": ["surname"]}).status_code == 404
    assert ref not in export(client, demo)


def test_the_demos_export_names_only_what_ukraine_released(client, demo):
    text = export(client, demo, "icrc/mediator")
    root = ET.fromstring(text)
    ids = [p.findtext("pfif:person_record_id", namespaces=NS) for p in root.findall("pfif:person", NS)]
    assert [i.rsplit("/", 1)[1] for i in ids] == ["INQ-UA-DEMO-0002"]
    released = people()[20]
    assert root.findtext("pfif:person/pfif:full_name", namespaces=NS) == \
        f"{released['surname']} {released['first_name']}"
    # No other demo person's surname in any script, and not the released one's patronymic.
    for j, man in enumerate(people()):
        if j != 20 and man["surname"] != released["surname"]:
            assert man["surname"] not in text, man["surname"]
    assert released["patronymic"] not in text
