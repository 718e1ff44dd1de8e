"""The demo's registry of persons, after the evacuation of wounded servicemen from Azovstal on 16–17 May 2022
(seeds 000 and 004): the seriously wounded taken to a medical facility in Novoazovsk, the others to Olenivka
(Yelenovka); their relatives asking after them; the parties' lists written in different scripts.

Every person here is invented: the names are combinations drawn with a fixed seed from common given names,
patronymics and surnames, the dates of birth and service numbers are random. Only the places, the dates of
the operation and the mechanism are public facts. The scenario is small on purpose (it is loaded into every
demo): Russia's list of prisoners of war in Russian forms, Ukraine's list of servicemen missing after the
evacuation in Ukrainian forms, partly the same men written differently (the other script, the Russian form
of the given name, a typo, a year of birth only), a transfer, Ukraine's monitoring of the captives as seed 004
states it (alive, contact with some, conditions unknown), two families' inquiries, and the ICRC's request for
access to the Olenivka penal facility, unanswered (outside the seeds; its source says so).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

Add = Callable[..., int]

GIVEN = ["Олександр", "Андрій", "Сергій", "Дмитро", "Микола", "Володимир", "Олексій", "Юрій", "Віталій",
         "Богдан", "Тарас", "Павло", "Петро", "Іван", "Максим", "Євген", "Ігор", "Роман", "Василь", "Григорій",
         "Михайло", "Артем", "Денис", "Віктор", "Костянтин", "Ярослав", "Олег", "Антон", "Валерій", "Федір"]
PATRONYMIC = ["Олександрович", "Андрійович", "Сергійович", "Миколайович", "Володимирович", "Олексійович",
              "Юрійович", "Іванович", "Петрович", "Васильович", "Михайлович", "Григорович", "Вікторович",
              "Федорович", "Павлович", "Богданович"]
SURNAME = ["Коваленко", "Бондаренко", "Ткаченко", "Кравченко", "Олійник", "Шевчук", "Поліщук", "Мельник",
           "Ковальчук", "Гнатюк", "Савчук", "Марченко", "Руденко", "Левченко", "Мороз", "Лисенко", "Кузьменко",
           "Гончаренко", "Білоус", "Дорошенко", "Ковальов", "Яковенко", "Зінченко", "Приходько", "Остапчук",
           "Клименко", "Пономаренко", "Литвиненко", "Головко", "Сидоренко"]
PLACES = [("Маріуполь", "Мариуполь"), ("Запоріжжя", "Запорожье"), ("Бердянськ", "Бердянск"),
          ("Харків", "Харьков"), ("Київ", "Киев"), ("Дніпро", "Днепр"), ("Полтава", "Полтава"),
          ("Вінниця", "Винница"), ("Львів", "Львов"), ("Одеса", "Одесса")]
RANKS = [("солдат", "солдат"), ("старший солдат", "старший солдат"), ("сержант", "сержант"),
         ("старший сержант", "старший сержант"), ("лейтенант", "лейтенант"), ("старший лейтенант",
                                                                           "старший лейтенант")]
# The place of detention as each side writes it.
OLENIVKA = "Оленівка, Донецька область"
YELENOVKA = "Еленовка, Донецкая область"
NOVOAZOVSK_RU = "Новоазовск, больница"

RU_LIST = 40  # Russia's list of prisoners of war (invented men)
SERIOUSLY_WOUNDED = 9  # of them, taken to Novoazovsk
UA_OVERLAP = 16  # of Russia's list, also on Ukraine's list of the missing
UA_ONLY = 8  # on Ukraine's list only


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _russian(word: str, kind: str) -> str:
    from names_translator.dicts import default_dicts

    found = default_dicts().lookup(word, {"given": "first", "patronymic": "patronymic", "surname": "last"}[kind])
    return found[0] if found else word


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def people(seed: int = 20220517) -> list[dict[str, Any]]:
    """The invented servicemen: Ukrainian forms, date and place of birth, rank, service number."""
    rng = random.Random(seed)
    seen: set[tuple[str, str]] = set()
    out: list[dict[str, Any]] = []
    while len(out) < RU_LIST + UA_ONLY:
        s, g = rng.choice(SURNAME), rng.choice(GIVEN)
        if (s, g) in seen:
            continue
        seen.add((s, g))
        place = rng.choice(PLACES)
        out.append({
            "surname": s, "first_name": g, "patronymic": rng.choice(PATRONYMIC),
            "birth_date": f"{rng.randint(1968, 2003)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "birth_place": place, "rank": rng.choice(RANKS),
            "service_number": f"{rng.choice('АБВГДЕ')}{rng.choice('АБВГДЕ')}{rng.randint(100000, 999999)}",
        })
    return out


def records(add: Add) -> None:
    """Append the registry scenario through ``add(author, kind, audience, payload, time)``."""
    rng = random.Random(17)
    men = people()
    both = "party:ru,party:ua"
    # 17-20 May 2022: Russia registers the men taken from Azovstal as prisoners of war, in Russian forms.
    for i, m in enumerate(men[:RU_LIST]):
        wounded = i < SERIOUSLY_WOUNDED
        person = {
            "surname": _russian(m["surname"], "surname"), "first_name": _russian(m["first_name"], "given"),
            "patronymic": _russian(m["patronymic"], "patronymic"), "birth_date": m["birth_date"],
            "birth_place": m["birth_place"][1], "rank": m["rank"][1], "service_number": m["service_number"],
            "power_depended_on": "Украина", "capture_date": "2022-05-17", "capture_place": "Мариуполь, Азовсталь",
            "held_at": NOVOAZOVSK_RU if wounded else YELENOVKA,
            "health": "тяжёлое ранение" if wounded else "",
        }
        add("ru/registrar", "person.register", both, {
            "id": f"ru-azov-{i + 1:04d}", "category": "pow", "own_party": "ua", "person": person,
            "seriously_wounded": wounded}, at(f"2022-05-{18 + i // 20}T{8 + i % 10:02d}:{i % 60:02d}:00"))
    # One wounded man is moved from Novoazovsk to Olenivka once treated.
    add("ru/registrar", "person.event", both, {
        "person": "ru-azov-0002", "event": "transferred", "date": "2022-06-02", "place": YELENOVKA,
        "note": "Переведён после лечения.", "seriously_wounded": False}, at("2022-06-02T09:00:00"))
    # Ukraine's list of servicemen missing after the evacuation, in Ukrainian forms: some of Russia's
    # prisoners written differently, and men Russia has not reported.
    ua_men = [(j, men[j]) for j in range(UA_OVERLAP)] + [(RU_LIST + j, men[RU_LIST + j]) for j in range(UA_ONLY)]
    for n, (_j, m) in enumerate(ua_men):
        person = {"surname": m["surname"], "first_name": m["first_name"], "patronymic": m["patronymic"],
                  "birth_date": m["birth_date"], "birth_place": m["birth_place"][0], "rank": m["rank"][0],
                  "unit": "військова частина А0000 (вигадана)", "capture_place": "Маріуполь"}
        if n % 4 == 1:
            person["birth_date"] = m["birth_date"][:4]  # the family knew only the year
        if n % 5 == 2:
            person["surname"] = _typo(m["surname"], rng)
        if n % 3 == 0:
            person["service_number"] = m["service_number"]
        add("ua/registrar", "person.register", "party:ua", {
            "id": f"ua-azov-{n + 1:04d}", "category": "missing", "person": person},
            at(f"2022-05-{21 + n // 12}T{9 + n % 8:02d}:{n % 60:02d}:00"))
    # A registrar of each side already confirmed one pair as the same man.
    add("ua/registrar", "match.decide", both, {"left": "ru-azov-0001", "right": "ua-azov-0001", "decision": "same",
                                                "note": "Підтверджено за фотографією, наданою родиною."},
        at("2022-06-01T10:00:00"))
    monitoring(add)


# Seed 004: Andriy Yermak, head of the Office of the President, in an interview with Segodnya.
YERMAK = {"kind": "named_official", "speaker": "Andriy Yermak", "body": "Office of the President of Ukraine",
          "outlet": "Segodnya", "reference": "seed 004 (the date of the interview is not in the seed)"}
ALIVE_QUOTE = "We know that they are alive. [...] But we know for sure that they are alive."
CONDITIONS_QUOTE = ("As for the conditions, this issue is also monitored. We cannot say clearly under what "
                    "conditions yet.")
CONTACT_QUOTE = "The GUR is constantly monitoring this, with some of them there are connection"
CONTACTED = (2, 11, 27)  # "some of them": which men is the demo's invention


def monitoring(add: Add) -> None:
    """What Ukraine states of its captured defenders (seed 004): the GUR's monitoring knows them alive, has contact
    with some of them, and cannot say under what conditions they are held — each with its source. The seed dates
    neither the interview nor what it states: the observations carry the year only (2022, the year of the
    evacuation it follows) and their source no date; the records' own time (1 June 2022, after the registry above
    and before the families' inquiries) is the demo's choice, not the seed's."""
    both = "party:ru,party:ua"
    t = 0

    def when() -> datetime:
        nonlocal t
        t += 1
        return at(f"2022-06-01T12:{t // 60:02d}:{t % 60:02d}")

    for i in range(RU_LIST):
        add("ua/registrar", "person.monitor", both, {
            "person": f"ru-azov-{i + 1:04d}", "observation": "proof_of_life", "date": "2022",
            "note": "Моніторинг ГУР: живий.", "source": {**YERMAK, "quote": ALIVE_QUOTE}}, when())
    for i in CONTACTED:
        add("ua/negotiator", "person.monitor", both, {
            "person": f"ru-azov-{i + 1:04d}", "observation": "contact", "date": "2022", "means": "other",
            "note": "Зв'язок через ГУР; спосіб не названо.", "source": {**YERMAK, "quote": CONTACT_QUOTE}}, when())
    for i in range(RU_LIST):
        add("ua/registrar", "person.monitor", both, {
            "person": f"ru-azov-{i + 1:04d}", "observation": "conditions", "conditions": "unknown",
            "source": {**YERMAK, "quote": CONDITIONS_QUOTE}}, when())


def access(add: Add) -> None:
    """The ICRC's request for access to visit the Olenivka penal facility, which Russia has not granted. Outside
    the seeds: on 14 October 2022 the ICRC said its teams were "ready on the ground – and have been ready for months
    – to visit the Olenivka penal facility" (Interfax-Ukraine). No answer is recorded: none is known, and silence is
    never an answer."""
    add("icrc/mediator", "place.access_request", "party:icrc,party:ru", {
        "id": "icrc-access-olenivka",
        "place": {"name": "Оленівка / Еленовка (Olenivka), виправна колонія"},
        "holder": "ru", "purpose": "To visit the prisoners of war held at the Olenivka penal facility.",
        "source": {"kind": "mediator", "outlet": "Interfax-Ukraine", "stated_on": "2022-10-14",
                   "reference": "not in the seeds", "url": "https://en.interfax.com.ua/news/general/865640.html",
                   "quote": "our teams are ready on the ground – and have been ready for months – to visit the "
                            "Olenivka penal facility"}}, at("2022-10-14T12:00:00"))


def inquiries(add: Add, local_secret: Callable[[str], dict[str, str]]) -> dict[str, str]:
    """Two families' inquiries filed through Ukraine's registrar; returns reference → secret for the demo's
    credentials file (the secret is otherwise shown once, to the family). The secret's verifier is local data
    beside each record (``local_secret``), never in the log."""
    men = people()
    out: dict[str, str] = {}
    for ref, secret, j, relationship, known in (
        ("INQ-UA-DEMO-0001", "DEMO-FAMI-LY01-0001", 4, "мати", ("surname", "first_name", "birth_date")),
        ("INQ-UA-DEMO-0002", "DEMO-FAMI-LY02-0002", 20, "дружина", ("surname", "first_name", "patronymic")),
    ):
        m = men[j]
        sought = {f: m[f] for f in known}
        add("ua/registrar", "inquiry.file", "party:ua", {
            "id": ref, "sought": sought, "relationship": relationship,
            "contact": "через гарячу лінію Координаційного штабу"}, at(f"2022-06-0{3 + len(out)}T11:00:00"),
            local=local_secret(secret))
        out[ref] = secret
    add("ua/registrar", "inquiry.decide", "party:ua", {
        "inquiry": "INQ-UA-DEMO-0001", "decision": "message",
        "message": "Ваше звернення зареєстровано. Ми перевіряємо списки, передані через МКЧХ."},
        at("2022-06-04T09:00:00"))
    # Ukraine releases the second inquiry to other tracing services (the PFIF export): the surname and first name
    # only, without the patronymic the family gave.
    add("ua/registrar", "inquiry.release", "party:ua", {
        "inquiry": "INQ-UA-DEMO-0002", "fields": ["surname", "first_name"], "status_notes": False},
        at("2022-06-06T10:00:00"))
    return out
