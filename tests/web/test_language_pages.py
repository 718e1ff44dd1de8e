"""Real pages in Ukrainian and Russian, as demo members and a family see them: every word the page generates
comes from the catalogue (nothing looked up in vain, no English sentence of the interface left, none of the
English the audit found), counts in the language's plural forms, times and durations in its words, record kinds
by their names, refusals and error pages in the reader's language.

What members typed stays as they typed it: the demo's mediator wrote its operations' titles and notes in
English, so a page is checked for the interface's English, not for every English word."""

from __future__ import annotations

import html
import re
from functools import cache

import pytest

from parley.assembly import kinds
from parley.web import i18n
from parley.web.labels import KIND_LABELS
from tests.operations.test_lifecycle import plan, submit
from tests.web.test_operations_pages import as_member
from tests.web.test_pages import csrf
from tests.web.test_translations import PLACEHOLDER, extracted

KINDS = kinds()

LANGS = ("uk", "ru")

# English the interface used to generate on Ukrainian and Russian pages (ux audit), and its kind.
GENERATED_ENGLISH = [
    re.compile(r"\bversion \d"), re.compile(r"acknowledged by every party"), re.compile(r"\b\d+ persons?\b"),
    re.compile(r"\b\d+ (?:h|hr|min)\b"), re.compile(r"Acknowledged by all"), re.compile(r"Value error"),
    re.compile(r"payload of"), re.compile(r"Method Not Allowed|Not Found|Not allowed"),
    re.compile(r"\b([a-z]+\.[a-z]+) \1\b"),  # a record kind's code twice, for want of a name
    re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2}, \d{4}"),  # an English date
    re.compile(r"\b(?:Time left|Vehicles|persons shown|pairs to review|records)\b"),
]


def visible(page: str) -> str:
    """The text a person reads: the page's text and the attributes read out or shown on hover."""
    attrs = " ".join(m.group(2) for m in re.finditer(
        r'\b(title|aria-label|placeholder|data-confirm|alt)="([^"]*)"', page))
    page = re.sub(r"(?s)<script\b.*?</script>|<style\b.*?</style>", " ", page)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page) + " " + attrs))


@cache
def interface_english() -> tuple[str, ...]:
    """Pieces of the interface's English sentences (between their placeholders) that a translation replaces:
    any of them on a Ukrainian or Russian page is a sentence left untranslated."""
    pieces = set()
    for message in extracted():
        english = message if isinstance(message, str) else message[1]
        if i18n.gettext("uk", english) == english and not isinstance(message, tuple):
            continue
        for part in PLACEHOLDER.split(english):
            piece = part.strip(" .,;:()«»—-")
            if len(piece) >= 16 and " " in piece:
                pieces.add(piece)
    return tuple(sorted(pieces))


def check_language(page: str, where: str) -> str:
    text = visible(page)
    found = [m.group(0) for p in GENERATED_ENGLISH for m in p.finditer(text)]
    found += [p for p in interface_english() if p in text]
    assert found == [], (where, found)
    return text


def with_lang(path: str, lang: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}lang={lang}"


class Reader:
    """Reads pages in one language as one member (an API token, so no sign-in form) or signed out."""

    def __init__(self, client, lang: str, token: str | None = None) -> None:  # type: ignore[no-untyped-def]
        self.client, self.lang = client, lang
        self.headers = {"Accept": "text/html", **({"Authorization": f"Bearer {token}"} if token else {})}

    def get(self, path: str, status: int = 200) -> str:
        with i18n.missing() as missing:
            r = self.client.get(with_lang(path, self.lang), headers=self.headers)
        assert r.status_code == status, (path, r.status_code, r.text[:300])
        assert f'<html lang="{self.lang}">' in r.text
        assert missing == set(), (path, sorted(missing))  # every message looked up has its translation
        return check_language(r.text, path)


def plural_form(lang: str, n: int, one: str, few: str, many: str) -> str:
    """The form the language uses for n (written out here, not taken from the catalogue)."""
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


WORDS = {
    "uk": {"persons": ("особа", "особи", "осіб"), "shown": ("особу", "особи", "осіб"),
           "records": ("запис", "записи", "записів"), "vehicles": "12 транспортних засобів",
           "version": "версія 1", "all": "отримання версії 1 підтвердили всі залучені сторони",
           "ack": "Отримання підтверджено", "left": r"Залишилося: \d+ год( \d+ хв)?", "may": "трав. 2022 р.",
           "completed": "Завершено", "kind_filter": "Вид"},
    "ru": {"persons": ("лицо", "лица", "лиц"), "shown": ("лицо", "лица", "лиц"),
           "records": ("запись", "записи", "записей"), "vehicles": "12 транспортных средств",
           "version": "версия 1", "all": "получение версии 1 подтвердили все затронутые стороны",
           "ack": "Получение подтверждено", "left": r"Осталось: \d+ ч( \d+ мин)?", "may": "мая 2022 г.",
           "completed": "Завершена", "kind_filter": "Вид"},
}


def propose(runtime, demo) -> None:  # type: ignore[no-untyped-def]
    """An operation proposed now: the board waits for both parties' answers."""
    submit(runtime, demo, "icrc/mediator", "operation.propose", {"operation": "icrc-op-lang", "plan": plan()})


@pytest.mark.parametrize("lang", LANGS)
def test_operations_and_the_log_in_the_readers_language(sqlite_client, sqlite_demo, sqlite_runtime, lang):
    w = WORDS[lang]
    propose(sqlite_runtime, sqlite_demo)
    mediator = Reader(sqlite_client, lang, sqlite_demo.token("icrc/mediator"))
    for path in ("/", "/operations", "/operations/new", "/incidents", "/zones", "/parties", "/parties/ua",
                 "/members/icrc/mediator", "/log/checkpoints", "/log/records/1"):
        mediator.get(path)

    # The demo's wounded: its timeline notes, the figures each side reported, dates in the language.
    page = mediator.get("/operations/ua-azovstal-exit")
    assert w["version"] in page and w["all"] in page and w["may"] in page
    for n in (264, 265):
        assert f"{n} {plural_form(lang, n, *w['persons'])}" in page
    # Each party's row of the board says it acknowledged, not that all did.
    page = mediator.get("/operations/un-ocha-azovstal-civilians-1")
    assert page.count(w["ack"]) == 2 and w["completed"] in page

    # A new proposal: the time left in the language's units, the convoy counted.
    page = mediator.get("/operations/icrc-op-lang")
    assert re.search(w["left"], page) and w["vehicles"] in page

    # The log explorer: every kind the log accepts can be chosen, each by its name; no code stands for a name.
    raw = sqlite_client.get("/log", params={"lang": lang}, headers=mediator.headers).text
    options = dict(re.findall(r'<option value="([a-z_]+\.[a-z_]+)"[^>]*>([^<]+)</option>', raw))
    assert set(options) == set(KINDS)
    assert all(html.unescape(options[k]) == i18n.gettext(lang, KIND_LABELS[k]) != KIND_LABELS[k] for k in KINDS)
    names = [html.unescape(name) for name in options.values()]
    assert names == sorted(names, key=str.casefold)  # in the order of their names, not of their codes
    text = mediator.get("/log?kind=operation.status")
    assert i18n.gettext(lang, "Status of an operation changed") in text
    raw = sqlite_client.get(with_lang("/log?kind=operation.status", lang), headers=mediator.headers).text
    assert '<option value="operation.status" selected>' in raw
    # The overview counts the log's records in the language's forms.
    dashboard = mediator.get("/")
    for n in map(int, re.findall(r"(\d+) (?:" + "|".join(w["records"]) + r")\b", dashboard)) or [None]:
        assert n is not None and f"{n} {plural_form(lang, n, *w['records'])}" in dashboard


@pytest.mark.parametrize("lang", LANGS)
def test_the_registry_inquiries_lists_and_the_family_in_the_readers_language(sqlite_client, sqlite_demo, lang):
    w = WORDS[lang]
    registrar = Reader(sqlite_client, lang, sqlite_demo.token("ua/registrar"))
    page = registrar.get("/people")
    n = int(re.search(r"(?:Показано) (\d+) ", page).group(1))
    assert f"Показано {n} {plural_form(lang, n, *w['shown'])}." in page
    for path in ("/people?q=Ковальов", "/people/new", "/inquiries", "/inquiries/new", "/inquiries/INQ-UA-DEMO-0001",
                 "/lists", "/lists/import", "/review"):
        registrar.get(path)
    pid = re.search(r'href="/people/((?:ua|ru)-[a-z]+-\d+)"',
                    sqlite_client.get("/people", headers=registrar.headers).text).group(1)
    registrar.get(f"/people/{pid}")

    # A list whose file has a column nobody maps and a date that does not exist: warnings and reasons translated.
    as_member(sqlite_client, sqlite_demo, "ua/registrar")
    rows = "Прізвище;Ім'я;Дата народження;Зріст\nШевчишин;Тарас;02.02.1990;180\nГнатюк;Петро;31.02.1991;175\n"
    with i18n.missing() as missing:
        r = sqlite_client.post("/lists/import", params={"lang": lang},
                               data={"csrf": csrf(sqlite_client, "/lists/import"), "default_category": "pow"},
                               files={"file": ("list.csv", rows.encode(), "text/csv")})
    assert r.status_code == 200 and missing == set(), sorted(missing)
    text = check_language(r.text, "/lists/import")
    assert {"uk": "Такої дати не існує", "ru": "Такой даты не существует"}[lang] in text
    assert {"uk": "(D) не зіставлено з жодним полем", "ru": "(D) не сопоставлен ни с одним полем"}[lang] in text
    assert {"uk": "Прочитано 2 рядки.", "ru": "Прочитаны 2 строки."}[lang] in text
    assert {"uk": "1 рядок буде відхилено", "ru": "1 строка будет отклонена"}[lang] in text

    # A family, signed out, files its inquiry and follows it.
    sqlite_client.post("/signout", data={"csrf": csrf(sqlite_client, "/")})
    family = Reader(sqlite_client, lang)
    family.get("/family")
    family.get("/family/new")
    r = sqlite_client.post("/family/new", params={"lang": lang}, data={
        "csrf": csrf(sqlite_client, "/family/new"), "party": "ua", "surname": "Ковальов", "first_name": "Олександр",
        "relationship": "сестра", "contact": "+380 00 000 0000"})
    assert r.status_code == 201, r.text[:300]
    check_language(r.text, "/family/new")
    ref = re.search(r'id="reference">([A-Z0-9-]+)<', r.text).group(1)
    secret = re.search(r'id="secret">([A-Z0-9-]+)<', r.text).group(1)
    with i18n.missing() as missing:
        r = sqlite_client.post("/family", params={"lang": lang},
                               data={"reference": ref, "secret": secret, "csrf": csrf(sqlite_client, "/family")})
    assert r.status_code == 200 and 'id="family-status"' in r.text and missing == set()
    check_language(r.text, "/family")


@pytest.mark.parametrize("lang", LANGS)
def test_refusals_and_error_pages_in_the_readers_language(sqlite_client, sqlite_demo, sqlite_runtime, lang):
    propose(sqlite_runtime, sqlite_demo)
    as_member(sqlite_client, sqlite_demo, "ru/negotiator")
    token = csrf(sqlite_client, "/operations/icrc-op-lang")

    def post(path: str, **data: str) -> str:
        with i18n.missing() as missing:
            r = sqlite_client.post(path, params={"lang": lang}, data={"csrf": token, **data})
        assert r.status_code == 400 and missing == set(), (r.status_code, sorted(missing))
        return check_language(r.text, path)

    # Declining without a reason (pydantic's validator): the audit's "payload of operation.answer: Value error".
    text = post("/operations/icrc-op-lang/answer", version="1", answer="declined", reason="")
    assert {"uk": "Вкажіть причину відмови.", "ru": "Укажите причину отказа."}[lang] in text
    # A record kind's refusal, its values kept: an answer to a version that is not the current one.
    text = post("/operations/icrc-op-lang/answer", version="7", answer="acknowledged", reason="")
    assert {"uk": "Версія 7 уже не поточна (поточна — версія 1).",
            "ru": "Версия 7 уже не текущая (текущая — версия 1)."}[lang] in text
    # A refusal beside a field of the spine's forms: a party's short name already taken.
    as_member(sqlite_client, sqlite_demo, "icrc/admin")
    token = csrf(sqlite_client, "/parties")
    text = post("/parties", slug="ua", kind="belligerent", name_en="Again", name_uk="Знову", name_ru="Снова")
    assert {"uk": "Сторона з такою короткою назвою вже існує.",
            "ru": "Сторона с таким кратким именем уже существует."}[lang] in text
    as_member(sqlite_client, sqlite_demo, "ru/negotiator")
    # A form's address opened as a page: titled by its status, in the language, with the navigation.
    with i18n.missing() as missing:
        r = sqlite_client.get("/operations/icrc-op-lang/answer", params={"lang": lang},
                              headers={"Accept": "text/html"})
    assert r.status_code == 405 and "POST" in r.headers["allow"] and missing == set()
    text = check_language(r.text, "405")
    title = {"uk": "Такий спосіб звернення не дозволено", "ru": "Такой способ обращения не разрешён"}[lang]
    assert f"<h1>{title}</h1>" in r.text and f"<title>{title} ·" in r.text
    assert 'href="/operations"' in r.text and 'href="/people"' in r.text and "ru/negotiator" in text  # the header
    r = sqlite_client.get("/no/such/page", params={"lang": lang}, headers={"Accept": "text/html"})
    assert r.status_code == 404 and {"uk": "Такої сторінки немає.", "ru": "Такой страницы нет."}[lang] in r.text
    assert 'href="/operations"' in r.text
    check_language(r.text, "404")
    # The checkpoints page is a page (only /log/checkpoint itself is for programs): its error is a page too.
    r = sqlite_client.get("/log/checkpoints", params={"lang": lang, "before": "-1"}, headers={"Accept": "text/html"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html") and 'href="/operations"' in r.text
    r = sqlite_client.post("/log/checkpoint", headers={"Accept": "text/html"})
    assert r.status_code == 405 and r.headers["content-type"].startswith("application/json")
    # Signed out, an error page has no navigation but speaks the language; the API still answers JSON.
    sqlite_client.post("/signout", data={"csrf": csrf(sqlite_client, "/")})
    r = sqlite_client.get("/operations/icrc-op-lang/answer", params={"lang": lang}, headers={"Accept": "text/html"})
    assert r.status_code == 405 and title in r.text and 'href="/operations"' not in r.text
    r = sqlite_client.get("/api/no/such", headers={"Accept": "text/html"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/json")


def test_english_pages_keep_their_english(sqlite_client, sqlite_demo, sqlite_runtime):
    propose(sqlite_runtime, sqlite_demo)
    reader = {"Accept": "text/html", "Authorization": f"Bearer {sqlite_demo.token('icrc/mediator')}"}
    page = visible(sqlite_client.get("/operations/ua-azovstal-exit?lang=en", headers=reader).text)
    assert "version 1 acknowledged by every party concerned" in page and "264 persons" in page
    assert page.count("Acknowledged ") >= 2 and "Acknowledged by all" in page  # each row; the status
    page = visible(sqlite_client.get("/operations/icrc-op-lang?lang=en", headers=reader).text)
    assert re.search(r"Time left: \d+ hr( \d+ min)?", page) and "12 vehicles" in page
    r = sqlite_client.get("/operations/icrc-op-lang/answer?lang=en", headers=reader)
    assert r.status_code == 405 and "<h1>Method not allowed</h1>" in r.text and 'href="/operations"' in r.text
