"""The people API per role: audience on every read, list import with a report for every row (good rows kept
beside bad ones), exports without formula injection, the review queue and decisions, inquiries and the
family's own view, and hostile input. Runs on SQLite and PostgreSQL. Every person is invented."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
from sqlalchemy import func, select

from parley.log.models import LogEntry

CSV_UA = (
    "Прізвище;Ім'я;По батькові;Дата народження;Місце народження;Звання;Особистий номер;Категорія\n"
    "Чорновол;Остап;Тарасович;03.04.1990;Полтава;солдат;ВЕ445566;військовополонений\n"
    "Чорновол;Остап;Тарасович;03.04.1990;Полтава;солдат;ВЕ445566;військовополонений\n"
    ";Іван;Петрович;1988;Київ;;;зниклий безвісти\n"
    "Гайовий;Назар;Ігорович;31.02.1991;Львів;;;зниклий безвісти\n"
    "Гайовий;Назар;Ігорович;1991;Львів;;;зниклий безвісти\n"
    "=HYPERLINK(\"http://x\");Денис;;1995;;;;зниклий безвісти\n"
)


def upload(client, member, demo, text: str, name: str = "list.csv", **form):  # type: ignore[no-untyped-def]
    return client.post("/api/lists", headers=demo.headers(member), data={"title": "Test list", **form},
                       files={"file": (name, text.encode("utf-8"), "text/csv")})


def test_import_reports_every_row_and_keeps_the_good_ones(client, demo, runtime):
    # A list with prisoners of war names their own party (or says it is unknown): refused beside the field, and
    # nothing is registered.
    with runtime.sessions() as s:
        before = s.scalar(select(func.count()).select_from(LogEntry))
    r = upload(client, "ua/registrar", demo, CSV_UA)
    assert r.status_code == 422 and r.json()["field"] == "own_party" and r.json()["code"] == "list.own_party_choice"
    assert "own party" in r.json()["message"]
    with runtime.sessions() as s:
        assert s.scalar(select(func.count()).select_from(LogEntry)) == before
    # The preview says, before anything is signed, which rows are already in the registry.
    r = upload(client, "ua/registrar", demo, CSV_UA, own_party="ua")
    assert r.status_code == 201, r.text
    body = r.json()
    report = {row["row"]: row for row in body["report"]}
    assert sorted(report) == [2, 3, 4, 5, 6, 7]
    assert report[2]["status"] == "accepted" and report[2]["person"]
    assert report[3]["status"] == "duplicate" and report[3]["of_row"] == 2
    assert report[4]["status"] == "rejected" and report[4]["field"] == "surname"
    assert report[5]["status"] == "rejected" and report[5]["field"] == "birth_date"
    assert report[6]["status"] == "accepted"
    assert report[7]["status"] == "rejected" and "formula" in report[7]["reason"]
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (2, 1, 3)
    # The reasons never quote what the cells held.
    assert "Гайовий" not in json.dumps(body["report"], ensure_ascii=False)
    # The list and its report are a record; the accepted persons are readable, with their list row.
    got = client.get(f"/api/lists/{body['list']}", headers=demo.headers("ua/registrar")).json()
    assert got["rows"] == 6 and got["report"] == body["report"]
    person = client.get(f"/api/persons/{report[2]['person']}", headers=demo.headers("ua/registrar")).json()
    assert person["surname"] == "Чорновол" and person["birth_date"] == "1990-04-03" and person["category"] == "pow"
    assert person["service_number"] == "ВЕ445566" and person["list"] == body["list"]
    # Previewed again: the rows already in the registry are flagged as duplicates of whom, before signing.
    pv = client.post("/api/lists/preview", headers=demo.headers("ua/registrar"),
                     files={"file": ("list.csv", CSV_UA.encode(), "text/csv")}).json()
    flagged = {row["row"]: row for row in pv["rows"]}
    assert flagged[2]["status"] == "duplicate" and flagged[2]["of"] == report[2]["person"]
    assert flagged[3]["status"] == "duplicate" and flagged[3]["of"] == report[2]["person"]
    assert flagged[4]["status"] == "rejected"
    # The same file again: every good row is now a duplicate of the registry, nothing is registered twice.
    again = upload(client, "ua/registrar", demo, CSV_UA, own_party="unknown").json()
    assert again["accepted"] == 0 and {r["status"] for r in again["report"]} == {"duplicate", "rejected"}
    assert next(r for r in again["report"] if r["row"] == 2)["of"] == report[2]["person"]
    # Russia does not read Ukraine's list.
    assert client.get(f"/api/lists/{body['list']}", headers=demo.headers("ru/registrar")).status_code == 404


def test_preview_and_corrected_mapping(client, demo):
    text = "Col A,Col B,Born\nШевченко,Тарас,09.03.1984\n"
    r = client.post("/api/lists/preview", headers=demo.headers("ua/registrar"), data={"default_category": "missing"},
                    files={"file": ("x.csv", text.encode(), "text/csv")})
    assert r.status_code == 200, r.text
    pv = r.json()
    assert pv["headers"] == ["Col A", "Col B", "Born"] and pv["rows"][0]["status"] == "rejected"
    fixed = json.dumps({"0": "surname", "1": "first_name", "2": "birth_date"})
    r = client.post("/api/lists/preview", headers=demo.headers("ua/registrar"),
                    data={"default_category": "missing", "mapping": fixed},
                    files={"file": ("x.csv", text.encode(), "text/csv")})
    assert r.json()["rows"][0]["status"] == "ok"
    r = client.post("/api/lists", headers=demo.headers("ua/registrar"),
                    data={"default_category": "missing", "mapping": fixed, "title": "Corrected"},
                    files={"file": ("x.csv", text.encode(), "text/csv")})
    assert r.status_code == 201 and r.json()["accepted"] == 1
    bad = client.post("/api/lists/preview", headers=demo.headers("ua/registrar"), data={"mapping": "{not json"},
                      files={"file": ("x.csv", text.encode(), "text/csv")})
    assert bad.status_code == 422 and bad.json()["field"] == "mapping"


def test_hostile_and_oversized_files_are_refused(client, demo):
    h = demo.headers("ua/registrar")
    for data, name in ((b"", "empty.csv"), (bytes(range(256)) * 50, "noise.xlsx"), (b"PK\x03\x04broken", "x.xlsx")):
        r = client.post("/api/lists", headers=h, files={"file": (name, data, "application/octet-stream")})
        assert r.status_code == 422 and r.json()["field"] == "file", (name, r.text)
    big = b"a" * (21 << 20)
    r = client.post("/api/lists", headers=h, files={"file": ("big.csv", big, "text/csv")})
    assert r.status_code in (413, 422)
    assert client.get("/api/lists", headers=h).json()["lists"] == [] or all(
        x["title"] != "big.csv" for x in client.get("/api/lists", headers=h).json()["lists"])


def test_reads_per_role_and_party(client, demo):
    r = client.post("/api/persons", headers=demo.headers("ru/registrar"), json={
        "category": "pow", "own_party": "ua", "seriously_wounded": True,
        "person": {"surname": "Кравец", "first_name": "Николай", "patronymic": "Иванович", "birth_date": "1989-11-02",
                   "held_at": "Еленовка"}})
    assert r.status_code == 201, r.text
    pid = r.json()["person"]
    for member, status in (("ua/registrar", 200), ("ua/negotiator", 200), ("ru/registrar", 200),
                           ("icrc/mediator", 200), ("icrc/auditor", 200), ("ua/press", 403), ("ua/liaison", 403),
                           ("ru/liaison", 403), ("tr/observer", 404)):
        got = client.get(f"/api/persons/{pid}", headers=demo.headers(member))
        assert got.status_code == status, (member, got.text)
    assert client.get(f"/api/persons/{pid}").status_code == 401
    # Search in another script and spelling finds him; the public never does.
    found = client.get("/api/persons", params={"q": "Kravets Mykola"}, headers=demo.headers("ua/registrar")).json()
    assert pid in [p["id"] for p in found["persons"]][:3]
    # A Ukrainian registrar cannot register a person for Russia's audience only, nor use the public.
    r = client.post("/api/persons", headers=demo.headers("ua/registrar"), json={
        "category": "missing", "person": {"surname": "Тест"}, "audience": ["all"]})
    assert r.status_code == 422 and r.json()["field"] == "audience"
    r = client.post("/api/persons", headers=demo.headers("ua/registrar"), json={
        "category": "unknown", "person": {"surname": "Тест"}})
    assert r.status_code == 422
    r = client.post(f"/api/persons/{pid}/events", headers=demo.headers("ua/registrar"),
                    json={"event": "visited", "date": "2099-01-01"})
    assert r.status_code == 422 and r.json()["field"] == "date"


def test_export_is_inert_in_csv_and_xlsx(client, demo):
    r = client.post("/api/persons", headers=demo.headers("ua/registrar"), json={
        "category": "missing", "person": {"surname": "Мороз", "first_name": "Іван", "notes": "=1+2 (as reported)"}})
    assert r.status_code == 201, r.text
    pid = r.json()["person"]
    got = client.get("/api/persons.csv", headers=demo.headers("ua/registrar"))
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(got.content.decode("utf-8-sig"))))
    mine = next(r for r in rows if r["id"] == pid)
    assert mine["notes"] == "'=1+2 (as reported)" and mine["surname"] == "Мороз"
    got = client.get("/api/persons.xlsx", headers=demo.headers("ua/registrar"))
    wb = openpyxl.load_workbook(io.BytesIO(got.content))
    ws = wb.active
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[header.index("id")].value == pid:
            cell = row[header.index("notes")]
            assert cell.data_type == "s" and cell.value.endswith("=1+2 (as reported)")
            break
    else:
        raise AssertionError("exported person missing")
    # Russia's registrar's export does not contain Ukraine's list of its missing.
    ru = client.get("/api/persons.csv", headers=demo.headers("ru/registrar")).content.decode("utf-8-sig")
    assert pid not in ru
    assert client.get("/api/persons.pdf", headers=demo.headers("ua/registrar")).status_code == 422


def test_review_queue_and_decision(client, demo):
    h = demo.headers
    # The demo's registry: Russia's list in Russian forms, Ukraine's in Ukrainian forms.
    q = client.get("/api/review", headers=h("ua/registrar"))
    assert q.status_code == 200, q.text
    pairs = q.json()["pairs"]
    assert pairs, "the demo's lists share men written differently"
    top = pairs[0]
    assert {top["left"]["party"], top["right"]["party"]} == {"ru", "ua"} and top["probability"] >= 0.5
    assert "surname" not in top["differences"] or top["left"]["surname"] != top["right"]["surname"]
    # Russia's registrar may not read Ukraine's list of its missing (addressed to Ukraine only): none of its
    # records is in Russia's queue (Ukraine's prisoners, addressed to both, may be).
    ru_pairs = client.get("/api/review", headers=h("ru/registrar")).json()["pairs"]
    assert not [p for p in ru_pairs if "ua-azov-" in p["left"]["id"] + p["right"]["id"]]
    assert client.get("/api/review", headers=h("ua/press")).status_code == 403
    r = client.post("/api/matches", headers=h("ua/registrar"), json={
        "left": top["left"]["id"], "right": top["right"]["id"], "decision": "same", "probability": top["probability"]})
    assert r.status_code == 201, r.text
    after = client.get("/api/review", headers=h("ua/registrar")).json()["pairs"]
    assert not any({p["left"]["id"], p["right"]["id"]} == {top["left"]["id"], top["right"]["id"]} for p in after)
    ua_side = top["left"] if top["left"]["party"] == "ua" else top["right"]
    ru_side = top["right"] if ua_side is top["left"] else top["left"]
    person = client.get(f"/api/persons/{ua_side['id']}", headers=h("ua/registrar")).json()
    assert ru_side["id"] in [x["id"] for x in person["same_as"]]


def test_inquiry_candidates_and_family_view(client, demo):
    h = demo.headers
    r = client.post("/api/inquiries", headers=h("ua/registrar"), json={
        "sought": {"surname": "Kravets", "first_name": "Mykola", "birth_date": "1989"}, "relationship": "sister"})
    assert r.status_code == 201, r.text
    ref, secret = r.json()["reference"], r.json()["secret"]
    reg = client.post("/api/persons", headers=h("ru/registrar"), json={
        "category": "pow", "own_party": "ua",
        "person": {"surname": "Кравец", "first_name": "Николай", "patronymic": "Иванович", "birth_date": "1989-11-02"}})
    pid = reg.json()["person"]
    got = client.get(f"/api/inquiries/{ref}", headers=h("ua/registrar")).json()
    assert got["candidates"][0]["id"] == pid and got["candidates"][0]["probability"] > 0.5
    assert client.get(f"/api/inquiries/{ref}", headers=h("ru/registrar")).status_code == 404
    r = client.post(f"/api/inquiries/{ref}/decisions", headers=h("ua/registrar"), json={
        "decision": "confirmed", "person": pid, "message": "He is registered as a prisoner of war."})
    assert r.status_code == 201, r.text
    fam = client.post("/api/family/inquiry", json={"reference": ref, "secret": secret})
    assert fam.status_code == 200
    assert fam.json()["status"] == "answered"
    assert [m["message"] for m in fam.json()["messages"]] == ["He is registered as a prisoner of war."]
    assert "Кравец" not in fam.text and pid not in fam.text
    wrong = client.post("/api/family/inquiry", json={"reference": ref, "secret": "AAAA-BBBB-CCCC-DDDD"})
    assert wrong.status_code == 404
    assert client.post("/api/family/inquiry", json={"reference": ref}).status_code == 422


def test_places_in_two_scripts_are_not_differences_and_exports_filter(client, demo, runtime):
    from parley.people import service as svc
    from parley.people.models import Person

    h = demo.headers
    a = client.post("/api/persons", headers=h("ru/registrar"), json={"category": "pow", "own_party": "ua", "person": {
        "surname": "Левченко", "first_name": "Юрий", "birth_place": "Львов", "held_at": "Еленовка, Донецкая область",
        "birth_date": "1990-02-02"}}).json()["person"]
    b = client.post("/api/persons", headers=h("ua/registrar"), json={"category": "missing", "person": {
        "surname": "Левченко", "first_name": "Юрій", "birth_place": "Львів", "held_at": "Оленівка, Донецька область",
        "birth_date": "1991-02-02"}}).json()["person"]
    with runtime.sessions() as s:
        assert svc.differences(s.get(Person, a), s.get(Person, b)) == ["birth_date", "category"]
    # The export takes the same filters as the list, a name in another script included.
    got = client.get("/api/persons.csv", params={"q": "Levchenko Yurii", "party": "ru"}, headers=h("ua/registrar"))
    ids = [r["id"] for r in csv.DictReader(io.StringIO(got.content.decode("utf-8-sig")))]
    assert a in ids and b not in ids
    listed = client.get("/api/persons", params={"q": "Levchenko", "wounded": "false"}, headers=h("ua/registrar"))
    assert {a, b} <= {p["id"] for p in listed.json()["persons"]}


def test_a_family_files_directly_through_the_public_form(client, demo):
    assert client.get("/api/family/parties").json()["parties"] == ["ru", "ua"]
    body = {"party": "ua", "sought": {"surname": "Ковальчук", "first_name": "Денис", "birth_date": "1996"},
            "relationship": "mother", "contact": "+380 00 000 0000 (invented)"}
    r = client.post("/api/family/inquiries", json=body)
    assert r.status_code == 201, r.text
    ref, secret = r.json()["reference"], r.json()["secret"]
    # Ukraine's registrars read it (filed by the party's intake member); Russia's do not.
    got = client.get(f"/api/inquiries/{ref}", headers=demo.headers("ua/registrar"))
    assert got.status_code == 200 and got.json()["sought"]["surname"] == "Ковальчук"
    assert client.get(f"/api/inquiries/{ref}", headers=demo.headers("ru/registrar")).status_code == 404
    assert client.post("/api/family/inquiry", json={"reference": ref, "secret": secret}).json()["status"] == "open"
    # The intake account files inquiries and nothing else, and reads no personal data.
    assert client.get("/api/persons", headers=demo.headers("ua/family-desk")).status_code == 403
    r = client.post("/api/persons", headers=demo.headers("ua/family-desk"),
                    json={"category": "missing", "person": {"surname": "Тест"}})
    assert r.status_code == 403
    # Bad requests: an unknown party, a party that is no belligerent, a missing surname, unknown fields.
    for bad, field in (({**body, "party": "xx"}, "party"), ({**body, "party": "icrc"}, "party"),
                       ({**body, "sought": {"first_name": "Денис"}}, "sought.surname")):
        r = client.post("/api/family/inquiries", json=bad)
        assert r.status_code in (404, 422) and r.json()["field"].endswith(field), r.text
    assert client.post("/api/family/inquiries", json={**body, "admin": True}).status_code == 422
    # Flooding the form from one address is braked.
    from parley.people import service as svc

    svc.public_limits(client.app.state).filings.clear()
    codes = [client.post("/api/family/inquiries", json=body).status_code for _ in range(7)]
    assert codes[:5] == [201] * 5 and codes[5:] == [429, 429]
    svc.public_limits(client.app.state).filings.clear()


def test_personal_data_never_reaches_the_logs(client, demo, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    h = demo.headers
    marker = "Задорожнюк"  # an invented surname that appears nowhere else
    r = client.post("/api/persons", headers=h("ru/registrar"), json={
        "category": "pow", "own_party": "ua", "person": {"surname": marker, "first_name": "Ілля",
                                                        "birth_date": "2099-01-01"}})
    assert r.status_code == 422  # refused: the error names the field, not the value
    assert marker not in r.text and "2099" not in r.text
    r = client.post("/api/persons", headers=h("ru/registrar"), json={
        "category": "pow", "own_party": "ua", "person": {"surname": marker, "first_name": "Ілля"}})
    assert r.status_code == 201
    upload(client, "ua/registrar", demo,
           f"Прізвище;Ім'я;Дата народження\n{marker};Ілля;31.02.1990\n{marker};Ілля;1990\n")
    client.get("/api/persons", params={"q": marker}, headers=h("ua/registrar"))
    client.get("/api/review", headers=h("ua/registrar"))
    client.post("/api/inquiries", headers=h("ua/registrar"), json={"sought": {"surname": marker}})
    logged = "\n".join(f"{rec.getMessage()} {rec.exc_text or ''}" for rec in caplog.records)
    assert marker not in logged and "Ілля" not in logged
