"""The pages of the registry of persons through HTTP: search across scripts, the person page, registering with
errors beside the field, the import wizard and its row report, the review queue, inquiries, the family's page,
and who may read what. All persons are invented (the demo's and the ones made up here)."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from parley.log.models import LogEntry
from parley.people.models import Inquiry, InquirySecret, Person, PersonList
from parley.people.scenario import people as demo_men
from parley.web import i18n
from parley.web.people import common as web
from parley.web.people import family
from parley.people import service as svc
from tests.web.test_operations_pages import as_member
from tests.web.test_pages import csrf, sign_in


def secret_kept_apart(s, ref: str, secret: str) -> bool:  # type: ignore[no-untyped-def]
    """The family's secret is kept only as an Argon2 hash, in the local table beside the record: neither in
    the inquiry's projection row nor in the signed record's payload."""
    kept = s.get(InquirySecret, ref)
    payload = s.scalar(select(LogEntry.payload).where(LogEntry.kind == "inquiry.file", LogEntry.payload.contains(ref)))
    return (kept is not None and kept.secret_hash.startswith("$argon2") and secret not in kept.secret_hash
            and payload is not None and "secret" not in payload and "argon2" not in payload)


def count(runtime, model) -> int:  # type: ignore[no-untyped-def]
    with runtime.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def person_form(**over: str) -> dict[str, str]:
    """Russia registers a Ukrainian prisoner of war in Russian forms (invented)."""
    data = {"category": "pow", "own_party": "ua", "surname": "Ковалёв", "first_name": "Александр",
            "patronymic": "Петрович", "birth_date": "14.03.1991", "birth_place": "Бердянск", "rank": "сержант",
            "service_number": "АА123456", "capture_date": "17.05.2022", "capture_place": "Мариуполь",
            "held_at": "Еленовка", "seriously_wounded": "1", "person_to_inform": "мать, Бердянск"}
    data.update(over)
    return data


def register(client, demo, member: str = "ru/registrar", **over: str) -> str:  # type: ignore[no-untyped-def]
    as_member(client, demo, member)
    r = client.post("/people/new", data={**person_form(**over), "csrf": csrf(client, "/people/new")},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return r.headers["location"].rsplit("/", 1)[1]


PAGES = ["/people", "/people/new", "/people/ru-azov-0001", "/lists", "/lists/import", "/review", "/inquiries",
         "/inquiries/new", "/inquiries/INQ-UA-DEMO-0001"]


def test_pages_need_sign_in_but_the_familys_does_not(sqlite_client):
    for path in [*PAGES, "/people.csv"]:
        r = sqlite_client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/signin?next="), path
    r = sqlite_client.get("/family")
    assert r.status_code == 200 and 'id="family-form"' in r.text and 'name="csrf"' in r.text


@pytest.mark.parametrize("lang,words", [
    ("uk", ["Реєстр осіб", "Особи", "Тяжкопоранений або тяжкохворий", "Дата народження"]),
    ("ru", ["Реестр лиц", "Лица", "Тяжелораненый или тяжелобольной", "Дата рождения"]),
    ("en", ["Registry of persons", "People", "Seriously wounded or sick", "Date of birth"]),
])
def test_every_page_in_three_languages(sqlite_client, sqlite_demo, lang, words):
    sign_in(sqlite_client, sqlite_demo, "ua/registrar")
    page = sqlite_client.get(f"/people?lang={lang}").text
    assert all(w in page for w in words), lang
    for path in PAGES:
        r = sqlite_client.get(path)  # the cookie keeps the language
        assert r.status_code == 200, (path, r.text[:500])
        assert f'<html lang="{lang}">' in r.text, path
    r = sqlite_client.get("/family")
    assert {"uk": "Ваш запит", "ru": "Ваш запрос", "en": "Your inquiry"}[lang] in r.text


def test_every_label_and_message_is_translated():
    for lang in ("uk", "ru"):
        cat = i18n.catalogue(lang)
        used = [*web.CATEGORY_LABELS.values(), *web.EVENT_LABELS.values(), *web.FIELD_LABELS.values(),
                *web.SEX_LABELS.values(), *web.STATUS_LABELS.values(), *web.DECISION_LABELS.values(),
                *web.ROW_LABELS.values(), *web.MESSAGES, *(g[0] for g in web.FIELD_GROUPS),
                *(g[1] for g in web.FIELD_GROUPS if g[1])]
        assert sorted(m for m in used if m not in cat) == [], lang


def test_search_finds_a_person_registered_in_another_script(client, demo):
    pid = register(client, demo)
    as_member(client, demo, "ua/registrar")
    for q in ("Ковальов Олександр", "Kovalyov Oleksandr", "KOWALJOW", "Ковалев Александр 1991"):
        page = client.get("/people", params={"q": q}).text
        assert f'href="/people/{pid}"' in page, q
    # The filters narrow the search; a namesake of another year is not this man.
    assert f'/people/{pid}"' not in client.get("/people", params={"q": "Ковальов", "category": "missing"}).text
    assert f'/people/{pid}"' in client.get("/people", params={"q": "Ковальов", "wounded": "yes", "party": "ru"}).text
    assert f'/people/{pid}"' not in client.get("/people", params={"q": "Ковальов 1985"}).text
    # Export of the table as shown, through the formula-safe writer.
    csv = client.get("/people.csv", params={"q": "Kovalyov"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "Ковалёв" in csv.content.decode("utf-8-sig") and pid in csv.content.decode("utf-8-sig")
    xlsx = client.get("/people.xlsx", params={"category": "pow"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    # The API's own export answers the web session as well (with only its category and list filters).
    assert client.get("/api/persons.csv", params={"category": "pow"}).status_code == 200


def test_register_form_shows_errors_beside_the_field(client, demo, runtime):
    as_member(client, demo, "ru/registrar")
    form = client.get("/people/new").text
    for f in ("surname", "patronymic", "mother_maiden_name", "service_number", "power_depended_on", "held_at",
              "cause_of_death", "grave_marking", "person_to_inform", "seriously_wounded"):
        assert f'name="{f}"' in form, f
    token = csrf(client, "/people/new")
    before, logged = count(runtime, Person), count(runtime, LogEntry)
    r = client.post("/people/new", data={**person_form(surname="", birth_date="31.02.1991"), "csrf": token})
    assert r.status_code == 400
    assert 'id="surname-error"' in r.text and 'id="birth_date-error"' in r.text
    assert 'value="Александр"' in r.text and 'value="31.02.1991"' in r.text  # the input is kept
    # A refusal of the record pipeline is shown beside its field too.
    r = client.post("/people/new", data={**person_form(death_date="1980", category="deceased"), "csrf": token})
    assert r.status_code == 400 and 'id="death_date-error"' in r.text and "before the date of birth" in r.text
    assert count(runtime, Person) == before and count(runtime, LogEntry) == logged
    # Only registrars and admins register; a negotiator reads but gets a clear refusal.
    as_member(client, demo, "ru/negotiator")
    r = client.get("/people/new")
    assert r.status_code == 403 and "Only registrars and admins" in r.text
    assert 'href="/people/new"' not in client.get("/people").text


def test_person_page_timeline_same_person_and_a_status_event(client, demo):
    as_member(client, demo, "ua/registrar")
    page = client.get("/people/ru-azov-0001?lang=en").text
    assert 'id="wounded-flag"' in page and "Seriously wounded or sick" in page
    for label in ("Surname", "Father's first name (patronymic)", "Mother's maiden name", "Service or identity number",
                  "Power on which the person depends", "Place of detention", "Person to be informed",
                  "Place of burial", "Grave marking"):
        assert str(escape(label)) in page, label
    assert 'id="events"' in page and "Proof of life" in page and "Captured" in page
    same = re.search(r'<table class="data" id="same-as">(.*?)</table>', page, re.DOTALL).group(1)
    assert 'href="/people/ua-azov-0001"' in same  # the demo's confirmed pair
    token = csrf(client, "/people/ru-azov-0001")
    r = client.post("/people/ru-azov-0001/events", data={"event": "visited", "date": "32.13.2022", "csrf": token})
    assert r.status_code == 400 and 'id="date-error"' in r.text
    r = client.post("/people/ru-azov-0001/events", data={"event": "visited", "date": "1960", "csrf": token})
    assert r.status_code == 400 and 'id="date-error"' in r.text and "before" in r.text
    r = client.post("/people/ru-azov-0001/events", data={"event": "hospitalised", "date": "03.06.2022",
                                                        "place": "Донецк", "note": "visit by the ICRC",
                                                        "seriously_wounded": "yes", "csrf": token},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/people/ru-azov-0001").text
    assert "2022-06-03" in page and "Hospitalised" in page and "Донецк" in page


def test_press_and_liaison_officers_get_a_clear_refusal_and_readers_read(sqlite_client, sqlite_demo):
    for member in ("ua/press", "ua/liaison", "ru/liaison"):
        as_member(sqlite_client, sqlite_demo, member)
        assert 'href="/people"' not in sqlite_client.get("/").text, member
        for path in [*PAGES, "/people.csv", "/lists/import"]:
            r = sqlite_client.get(path)
            assert r.status_code == 403, (member, path)
            assert "Press and liaison officers see the figures their party releases" in r.text, path
        r = sqlite_client.post("/people/new", data={**person_form(), "csrf": csrf(sqlite_client, "/")})
        assert r.status_code == 403
    for member in ("ua/registrar", "ua/negotiator", "icrc/mediator", "icrc/auditor", "ru/registrar", "ru/admin"):
        as_member(sqlite_client, sqlite_demo, member)
        assert 'href="/people"' in sqlite_client.get("/").text, member
        assert "/people/ru-azov-0001" in sqlite_client.get("/people").text, member


def test_the_other_belligerent_does_not_see_what_it_may_not_read(sqlite_client, sqlite_demo):
    as_member(sqlite_client, sqlite_demo, "ru/registrar")
    page = sqlite_client.get("/people").text
    assert "/people/ru-azov-0001" in page and "/people/ua-azov-" not in page  # Ukraine's list of its missing
    r = sqlite_client.get("/people/ua-azov-0001")
    assert r.status_code == 404 and "may not read" in r.text
    assert sqlite_client.get("/inquiries/INQ-UA-DEMO-0001").status_code == 404
    assert "INQ-DEMO" not in sqlite_client.get("/inquiries").text
    # Its own record's page does not show the other side's record it cannot read, even if decided the same.
    assert "/people/ua-azov-0001" not in sqlite_client.get("/people/ru-azov-0001").text
    csv = sqlite_client.get("/people.csv").content.decode("utf-8-sig")
    assert "ru-azov-0001" in csv and "ua-azov-" not in csv


def mapping_of(page: str) -> dict[str, str]:
    """The field selected for each column of the wizard's mapping table."""
    out = {}
    for col, body in re.findall(r'<select id="(col_\d+)"[^>]*>(.*?)</select>', page, re.DOTALL):
        chosen = re.search(r'<option value="([a-z_]+)" selected', body)
        if chosen:
            out[col] = chosen.group(1)
    return out


def _upload(client, name: str, content: bytes, **fields: str):  # type: ignore[no-untyped-def]
    token = csrf(client, "/lists/import")
    return client.post("/lists/import", data={"csrf": token, **fields},
                       files={"file": (name, content, "text/csv")})


def test_import_wizard_preview_mapping_and_row_report(client, demo, runtime):
    as_member(client, demo, "ua/registrar")
    twin = demo_men()[40]  # on Ukraine's demo list already (ua-azov-0017)
    y, m, d = twin["birth_date"].split("-")
    rows = [
        "№;Прізвище;Ім'я;По батькові;Дата народження;Місце народження;Де служив",
        "1;Шевчишин;Тарас;Іванович;02.02.1990;Львів;А0001",
        "2;Гнатюк;Петро;;31.02.1991;Київ;А0001",
        "3;Шевчишин;Тарас;Іванович;02.02.1990;Львів;А0001",
        f"4;{twin['surname']};{twin['first_name']};{twin['patronymic']};{d}.{m}.{y};;А0001",
        "5;=HYPERLINK(\"http://x\");Іван;;1990;;",
        "6;Мельничук;Богдан;Петрович;1988;Полтава;А0002",
    ]
    data = "\n".join(rows).encode("utf-8")
    # No file: the error is beside the file field.
    r = client.post("/lists/import", data={"csrf": csrf(client, "/lists/import")})
    assert r.status_code == 400 and 'id="file-error"' in r.text
    # Step 2: the header as detected and the guessed field of each column, the last one not recognised.
    r = _upload(client, "список.csv", data, default_category="missing")
    assert r.status_code == 200, r.text
    token = re.search(r'action="/lists/import/([A-Za-z0-9_-]+)"', r.text).group(1)
    assert "Де служив" in r.text and "Шевчишин" in r.text
    selected = mapping_of(r.text)
    assert selected == {"col_0": "external_id", "col_1": "surname", "col_2": "first_name", "col_3": "patronymic",
                        "col_4": "birth_date", "col_5": "birth_place"}
    assert 'value="список"' in r.text  # the title proposed from the file name
    mapping = {**selected, "col_6": "unit", "csrf": csrf(client, "/lists/import"), "default_category": "missing",
               "title": "Список зниклих (тест)"}
    # The same field chosen twice: the error is beside the second column, nothing is imported.
    lists = count(runtime, PersonList)
    r = client.post(f"/lists/import/{token}", data={**mapping, "col_6": "surname", "intent": "import"})
    assert r.status_code == 400 and 'id="col_6-error"' in r.text and "column B" in r.text
    assert count(runtime, PersonList) == lists
    r = client.post(f"/lists/import/{token}", data={**mapping, "col_1": "", "col_6": "", "intent": "remap"})
    assert r.status_code == 400 and 'id="mapping-error"' in r.text
    # Remapped: the preview shows what will be rejected and why, and whom each row is about.
    records = count(runtime, LogEntry)
    r = client.post(f"/lists/import/{token}", data={**mapping, "intent": "remap"})
    assert r.status_code == 200 and 'id="rows-preview"' in r.text and mapping_of(r.text)["col_6"] == "unit"

    def preview_row(n: int) -> str:
        return re.search(rf'<tr data-row="{n}" data-status="\w+".*?</tr>', r.text, re.DOTALL).group(0)

    assert 'data-status="rejected"' in preview_row(3) and "Гнатюк Петро" in preview_row(3)
    assert "31.02.1991" in preview_row(3) and "Date of birth" in preview_row(3)
    # The duplicates are flagged before anything is signed, naming and linking whom each duplicates.
    assert 'data-status="duplicate"' in preview_row(5) and 'href="/people/ua-azov-0017"' in preview_row(5)
    assert twin["surname"] in preview_row(5)
    assert 'data-status="duplicate"' in preview_row(4) and "repeats row 2 of this file" in preview_row(4)
    assert 'id="duplicate-count"' in r.text and "2 are already in the registry or repeated" in r.text
    assert "2 can be imported" in r.text
    assert count(runtime, LogEntry) == records  # nothing was signed by the preview
    # Step 3: imported; the report names every row.
    r = client.post(f"/lists/import/{token}", data={**mapping, "intent": "import"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    list_id = r.headers["location"].rsplit("/", 1)[1]
    report = client.get(f"/lists/{list_id}?lang=en").text
    assert "Список зниклих (тест)" in report
    assert re.search(r'id="count-rows">6<', report) and re.search(r'id="count-accepted">2<', report)
    assert re.search(r'id="count-duplicates">2<', report) and re.search(r'id="count-rejected">2<', report)
    statuses = dict(re.findall(r'data-row="(\d+)" data-status="(\w+)"', report))
    # Rows are numbered as the spreadsheet shows them: the header is row 1.
    assert statuses == {"2": "accepted", "3": "rejected", "4": "duplicate", "5": "duplicate", "6": "rejected",
                        "7": "accepted"}
    def row(n: int) -> str:
        return re.search(rf'data-row="{n}".*?</tr>', report, re.DOTALL).group(0)

    assert 'href="/people/ua-azov-0017"' in row(5)  # a duplicate of whom
    assert "row 2" in row(4)
    assert "Date of birth" in row(3) and "Surname" in row(6)
    assert "список.csv" in client.get("/lists").text
    # A rejected row shows whom it was about, as read from the file, and is corrected in place.
    assert "Гнатюк Петро" in row(3) and "31.02.1991" in row(3) and 'id="correct-3"' in row(3)
    assert 'name="cell_birth_date" value="31.02.1991"' in row(3)
    persons = count(runtime, Person)
    # Still wrong: refused beside the field, nothing registered.
    r = client.post(f"/lists/{list_id}/rows/3", data={"csrf": csrf(client, f"/lists/{list_id}"),
                                                      "cell_surname": "Гнатюк", "cell_first_name": "Петро",
                                                      "cell_birth_date": "30.02.1991", "cell_category": "missing"})
    assert r.status_code == 400 and 'id="row-3-birth_date-error"' in r.text and "No such date" in r.text
    assert count(runtime, Person) == persons
    r = client.post(f"/lists/{list_id}/rows/3", data={"csrf": csrf(client, f"/lists/{list_id}"),
                                                      "cell_surname": "Гнатюк", "cell_first_name": "Петро",
                                                      "cell_birth_date": "28.02.1991", "cell_category": "missing"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    assert count(runtime, Person) == persons + 1  # that row only: nothing else of the list is imported again
    with runtime.sessions() as s:
        fixed = s.scalars(select(Person).where(Person.list_id == list_id, Person.list_row == 3)).one()
        assert (fixed.surname, fixed.birth_date, fixed.category) == ("Гнатюк", "1991-02-28", "missing")
        assert s.scalar(select(func.count()).select_from(Person).where(Person.list_id == list_id)) == 3
    report = client.get(f"/lists/{list_id}?lang=en").text
    assert "Corrected and registered" in row(3) and f'href="/people/{fixed.id}"' in row(3)
    assert 'id="correct-3"' not in row(3) and 'id="correct-6"' in row(6)
    # Submitted again: refused, registered once.
    r = client.post(f"/lists/{list_id}/rows/3", data={"csrf": csrf(client, f"/lists/{list_id}"),
                                                      "cell_surname": "Гнатюк", "cell_birth_date": "1991",
                                                      "cell_category": "missing"})
    assert r.status_code == 400 and count(runtime, Person) == persons + 1
    # An accepted row is not "corrected": the record kind refuses it too.
    r = client.post(f"/lists/{list_id}/rows/2", data={"csrf": csrf(client, f"/lists/{list_id}"),
                                                      "cell_surname": "Шевчишин", "cell_category": "missing"})
    assert r.status_code == 400 and count(runtime, Person) == persons + 1
    # The file is kept for the report only: its token can never import the list again.
    r = client.post(f"/lists/import/{token}", data={**mapping, "intent": "import"})
    assert r.status_code == 400 and "upload it again" in r.text
    # Another member's session cannot use a token it was never given.
    r = _upload(client, "b.csv", data, default_category="missing")
    token = re.search(r'action="/lists/import/([A-Za-z0-9_-]+)"', r.text).group(1)
    as_member(client, demo, "ua/admin")
    r = client.post(f"/lists/import/{token}", data={**mapping, "csrf": csrf(client, "/lists/import"),
                                                    "intent": "import"})
    assert r.status_code == 400 and "upload it again" in r.text


def test_a_file_that_cannot_be_read_is_refused_beside_the_file_field(sqlite_client, sqlite_demo):
    as_member(sqlite_client, sqlite_demo, "ua/registrar")
    r = _upload(sqlite_client, "scan.pdf", b"%PDF-1.4 not a list")
    assert r.status_code == 400 and 'id="file-error"' in r.text


def test_review_queue_side_by_side_and_deciding(client, demo, runtime):
    pid = register(client, demo, birth_place="Бердянск", unit="в/ч 00000")
    as_member(client, demo, "ua/registrar")
    r = client.post("/people/new", data={"category": "missing", "surname": "Ковальов", "first_name": "Олександр",
                                         "patronymic": "Петрович", "birth_date": "1991-03-14",
                                         "birth_place": "Бердянськ", "unit": "в/ч А0000", "service_number": "АА123456",
                                         "csrf": csrf(client, "/people/new")}, follow_redirects=False)
    ua_pid = r.headers["location"].rsplit("/", 1)[1]
    left, right = sorted((pid, ua_pid))
    page = client.get("/review?lang=en").text
    card = re.search(rf'<section class="card pair" id="pair-\d+" data-left="{left}" data-right="{right}".*?</section>',
                     page, re.DOTALL)
    assert card, "the pair is in the queue"
    card = card.group(0)
    by_field = {f: s for s, f in re.findall(r'<tr class="(\w+)" data-field="(\w+)"', card)}
    assert by_field["unit"] == "differ" and by_field["category"] == "differ"
    assert by_field["surname"] == "spelling" and by_field["first_name"] == "spelling"  # another script, same name
    assert "Ковалёв" in card and "Ковальов" in card and "Probability" in card
    # A negotiator of the party may decide; an auditor reads only.
    as_member(client, demo, "icrc/auditor")
    assert 'name="decision" value="same"' not in client.get("/review").text
    as_member(client, demo, "ua/registrar")
    form = {"left": left, "right": right, "decision": "same", "probability": "0.98", "note": "",
            "csrf": csrf(client, "/")}
    r = client.post("/review/decide", data=form, follow_redirects=False)
    assert r.status_code == 200 and 'id="confirm-same"' in r.text  # asked first, nothing signed yet
    r = client.post("/review/decide", data={**form, "confirmed": "yes"}, follow_redirects=False)
    assert r.status_code == 303
    assert f'data-left="{left}" data-right="{right}"' not in client.get("/review").text
    same = re.search(r'id="same-as">(.*?)</table>', client.get(f"/people/{ua_pid}").text, re.DOTALL).group(1)
    assert f'href="/people/{pid}"' in same
    # Undone from the person page: "different" supersedes "same".
    r = client.post(f"/people/{ua_pid}/decide", data={"left": ua_pid, "right": pid, "decision": "different",
                                                      "csrf": csrf(client, "/")}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/people/{ua_pid}").text
    assert 'id="same-none"' in page and "superseded" in page
    # Russia cannot decide about a record of Ukraine's it may not read.
    as_member(client, demo, "ru/registrar")
    r = client.post("/review/decide", data={"left": "ru-azov-0002", "right": "ua-azov-0002", "decision": "same",
                                            "csrf": csrf(client, "/")})
    assert r.status_code == 400


def test_inquiry_filed_answered_and_followed_by_the_family(client, demo, runtime):
    svc.public_limits(client.app.state).family.clear()
    as_member(client, demo, "ua/registrar")
    token = csrf(client, "/inquiries/new")
    r = client.post("/inquiries/new", data={"surname": "", "birth_date": "1991-02-30", "csrf": token})
    assert r.status_code == 400 and 'id="surname-error"' in r.text and 'id="birth_date-error"' in r.text
    man = demo_men()[4]  # on Russia's list of prisoners of war, in Russian forms
    r = client.post("/inquiries/new", data={"surname": man["surname"], "first_name": man["first_name"],
                                            "birth_date": man["birth_date"], "relationship": "сестра",
                                            "contact": "+380 00 000 0000", "csrf": token})
    assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
    ref = re.search(r'id="reference">([A-Z0-9-]+)<', r.text).group(1)
    secret = re.search(r'id="secret">([A-Z0-9-]+)<', r.text).group(1)
    assert "shown only this once" in r.text
    with runtime.sessions() as s:
        assert ref.startswith("INQ-UA-") and secret_kept_apart(s, ref, secret)
    page = client.get(f"/inquiries/{ref}").text
    assert man["surname"] in page and 'id="candidate-table"' in page
    candidate = re.search(r'<tr data-id="(ru-azov-\d+)"', page)
    assert candidate, "the registry's record is a candidate"
    pid = candidate.group(1)
    r = client.post(f"/inquiries/{ref}/decide", data={"decision": "confirmed", "person": pid, "csrf": token},
                    follow_redirects=False)
    assert r.status_code == 303
    r = client.post(f"/inquiries/{ref}/decide", data={"decision": "message", "message": "", "csrf": token})
    assert r.status_code == 400 and 'id="message-message-error"' in r.text
    text = "Ваш брат зареєстрований як військовополонений; МКЧХ відвідав його."
    r = client.post(f"/inquiries/{ref}/decide", data={"decision": "message", "message": text, "csrf": token},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/inquiries/{ref}?lang=en").text
    assert "Answered" in page and text in page and "decided-confirmed" in page
    # The family, signed out, with the right and a wrong secret.
    client.post("/signout", data={"csrf": csrf(client, "/")})
    token = csrf(client, "/family")
    r = client.post("/family", data={"reference": ref, "secret": "WRONG-WRONG-WRONG-WRONG", "csrf": token})
    assert r.status_code == 400 and 'id="secret-error"' in r.text and text not in r.text
    r = client.post("/family", data={"reference": ref.lower(), "secret": secret.lower(), "csrf": token})
    assert r.status_code == 200 and text in r.text and 'id="family-status"' in r.text
    assert "+380" not in r.text and pid not in r.text  # nothing but the status and the messages
    assert r.headers["cache-control"] == "no-store"
    r = client.post("/family", data={"reference": ref, "secret": secret, "csrf": "forged"})
    assert r.status_code == 403
    # The family adds to its inquiry from its page: each refusal beside its field, nothing stored, then added.
    page = client.post("/family", data={"reference": ref, "secret": secret, "csrf": token}).text
    assert 'id="family-add-form"' in page
    add = {"reference": ref, "secret": secret, "csrf": token}
    for extra, where in (({}, "form-error"), ({"notify": "1"}, "contact_email-error"),
                         ({"dna_place": "Київ"}, "dna_reference-error"),
                         ({"contact_email": "not-an-address"}, "contact_email-error")):
        r = client.post("/family/add", data={**add, **extra})
        assert r.status_code == 400 and f'id="{where}"' in r.text, (extra, r.text[-3000:])
    r = client.post("/family/add", data={**add, "marks": "шрам над лівою бровою (вигадано)",
                                         "dna_reference": "DNA-0001", "contact_email": "sister@example.org",
                                         "notify": "1", "contact_language": "uk"})
    assert r.status_code == 200 and 'id="family-added"' in r.text and 'id="family-added-list"' in r.text
    assert "шрам" not in r.text and "sister@example.org" not in r.text  # what was added is not shown back
    r = client.post("/family/add", data={**add, "secret": "WRONG-WRONG-WRONG-WRONG", "marks": "x"})
    assert r.status_code == 400 and 'id="secret-error"' in r.text
    svc.public_limits(client.app.state).family.clear()
    as_member(client, demo, "ua/registrar")
    page = client.get(f"/inquiries/{ref}?lang=en").text
    assert 'id="additions"' in page and "шрам над лівою бровою" in page and "sister@example.org" in page
    # The registrar releases it for other tracing services: without the surname refused beside the form, then out.
    token = csrf(client, f"/inquiries/{ref}")
    r = client.post(f"/inquiries/{ref}/release", data={"csrf": token, "release-first_name": "1"})
    assert r.status_code == 400 and 'id="release-error"' in r.text
    assert "Not released" in client.get(f"/inquiries/{ref}?lang=en").text
    r = client.post(f"/inquiries/{ref}/release", data={"csrf": token, "release-surname": "1"}, follow_redirects=False)
    assert r.status_code == 303
    assert 'class="tag ok">Released' in client.get(f"/inquiries/{ref}?lang=en").text
    pfif = client.get("/inquiries.pfif")
    assert pfif.status_code == 200 and ref in pfif.text and man["surname"] in pfif.text
    mine = pfif.text.split(f"/{ref}</pfif:person_record_id>")[1].split("</pfif:person>")[0]
    assert f"<pfif:full_name>{man['surname']}</pfif:full_name>" in mine  # only the surname was released
    assert man["first_name"] not in mine
    as_member(client, demo, "ru/registrar")
    assert client.get(f"/inquiries/{ref}").status_code == 404
    assert ref not in client.get("/inquiries.pfif").text


def test_the_family_page_brakes_guessing(sqlite_client, sqlite_demo):
    svc.public_limits(sqlite_client.app.state).family.clear()
    token = csrf(sqlite_client, "/family")
    for _ in range(family.FAMILY_ATTEMPTS):
        r = sqlite_client.post("/family", data={"reference": "INQ-UA-DEMO-0001", "secret": "GUES-SGUE-SSGU-ESSX",
                                         "csrf": token})
        assert r.status_code == 400
    # Even the right secret is refused now, from this address, for a while.
    r = sqlite_client.post("/family",
                           data={"reference": "INQ-UA-DEMO-0001", "secret": "DEMO-FAMI-LY01-0001", "csrf": token})
    assert r.status_code == 429 and "Too many wrong attempts" in r.text
    svc.public_limits(sqlite_client.app.state).family.clear()
    r = sqlite_client.post("/family",
                           data={"reference": "INQ-UA-DEMO-0001", "secret": "DEMO-FAMI-LY01-0001", "csrf": token})
    assert r.status_code == 200 and "Ми перевіряємо списки" in r.text


def test_a_family_asks_directly_without_an_account(sqlite_client, sqlite_demo, sqlite_runtime):
    from parley.people import service as svc

    svc.public_limits(sqlite_client.app.state).filings.clear()
    client = sqlite_client
    page = client.get("/family/new")
    assert page.status_code == 200 and 'name="party"' in page.text and "Ask about a relative" in page.text
    token = csrf(client, "/family/new")
    r = client.post("/family/new", data={"surname": "", "party": "", "birth_date": "31.02.1990", "csrf": token})
    assert r.status_code == 400
    for f in ("surname", "party", "birth_date"):
        assert f'id="{f}-error"' in r.text, f
    r = client.post("/family/new", data={"surname": "Гнатюк", "first_name": "Роман", "birth_date": "1994",
                                         "party": "ua", "relationship": "брат", "csrf": token})
    assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
    ref = re.search(r'id="reference">([A-Z0-9-]+)<', r.text).group(1)
    secret = re.search(r'id="secret">([A-Z0-9-]+)<', r.text).group(1)
    with sqlite_runtime.sessions() as s:
        inquiry = s.get(Inquiry, ref)
        assert inquiry.party == "ua" and inquiry.author == "ua/family-desk" and secret_kept_apart(s, ref, secret)
    # The family follows it; Ukraine's registrar sees that the family filed it through the form.
    followed = client.post("/family", data={"reference": ref, "secret": secret, "csrf": csrf(client, "/family")})
    assert followed.status_code == 200 and 'id="family-status"' in followed.text
    as_member(client, sqlite_demo, "ua/registrar")
    assert 'id="filed-directly"' in client.get(f"/inquiries/{ref}").text
    # In Ukrainian too.
    assert "Запитати про родича" in client.get("/family/new?lang=uk").text
    svc.public_limits(client.app.state).filings.clear()
