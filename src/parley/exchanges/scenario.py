"""The demo's exchanges:

* the exchange of the bodies of fallen soldiers on the Zaporizhzhia front line "according to the formula 50 to
  50" (seed 004): agreed through the ICRC, fifty bodies handed over by each side, each body tagged and, on the
  Ukrainian side, its identification advancing afterwards ("according to preliminary data, four of them served in
  the Azov regiment", seed 004, is the demo's four preliminary identifications). The seed dates neither the
  exchange nor its place more closely: the date (2 June 2022) and the tags are the demo's;
* an invented later exchange of prisoners of war, ten for ten, of men the demo's registry holds: Russia hands over
  Azovstal defenders it registered in Russian forms (Ukraine asks for them in Ukrainian forms, and one is found
  only under his Russian spelling), Ukraine hands over invented Russian servicemen it holds. The ICRC interviews
  every man in private; one refuses to go back (why, only the ICRC and the holding party read). The plan is
  computed by the solver (``exchanges.plan``), the seriously wounded first. At the handover one man's receipt is
  not confirmed (taken by the ICRC straight to hospital), so Russia counts ten sent and Ukraine nine received: the
  reconciliation names him. Every person here is invented.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from parley.exchanges import plan as solver
from parley.exchanges.kinds import terms_hash
from parley.people.scenario import RU_LIST, SERIOUSLY_WOUNDED

Add = Callable[..., int]
REMAINS = "icrc-remains-zaporizhzhia"
POWS = "icrc-pow-exchange-demo"
TEN = 10
CLOSED = "only,party:icrc,party:ru,party:ua"
# Invented Russian servicemen held by Ukraine: how Ukraine writes them, and how Russia does.
RU_MEN = [("Смірнов", "Олексій", "Смирнов", "Алексей"), ("Кузнєцов", "Дмитро", "Кузнецов", "Дмитрий"),
          ("Попов", "Сергій", "Попов", "Сергей"), ("Васильєв", "Андрій", "Васильев", "Андрей"),
          ("Петров", "Максим", "Петров", "Максим"), ("Соколов", "Іван", "Соколов", "Иван"),
          ("Михайлов", "Артем", "Михайлов", "Артём"), ("Новіков", "Микита", "Новиков", "Никита"),
          ("Федоров", "Кирило", "Фёдоров", "Кирилл"), ("Морозов", "Михайло", "Морозов", "Михаил"),
          ("Волков", "Єгор", "Волков", "Егор"), ("Алєксєєв", "Павло", "Алексеев", "Павел")]
RU_ASKS = 8  # Russia asks for the first eight by name
REFUSES = "ua-pow-0005"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def remains(add: Add) -> None:
    terms = {"kind": "remains", "formula": {"kind": "n_for_n", "n": 50}, "stages": [{"number": 1, "size": 50,
                                                                                       "on": "2022-06-02"}],
             "place": "Лінія зіткнення, Запорізька область / Zaporizhzhia front line",
             "note": "The formula \"50 to 50\" (seed 004); date and place beyond the region are the demo's."}
    add("icrc/mediator", "exchange.propose", CLOSED, {
        "id": REMAINS, "title": "Exchange of the bodies of the fallen, Zaporizhzhia front line",
        "parties": ["ua", "ru"], "mediators": ["icrc"], "version": 1, "terms": terms}, at("2022-05-30T10:00:00"))
    digest = terms_hash(terms)
    add("ua/negotiator", "exchange.sign", CLOSED, {"exchange": REMAINS, "version": 1, "sha256": digest},
        at("2022-05-31T09:00:00"))
    add("ru/negotiator", "exchange.sign", CLOSED, {"exchange": REMAINS, "version": 1, "sha256": digest},
        at("2022-05-31T11:00:00"))
    for side, prefix, hour in (("ru", "RU", 10), ("ua", "UA", 11)):
        add(f"{side}/registrar", "exchange.remains", CLOSED, {
            "exchange": REMAINS, "stage": 1, "count": 50, "bodies": [f"{prefix}-B-{i:03d}" for i in range(1, 51)],
            "at": f"2022-06-02T{hour:02d}:00:00Z", "place": "Запорізька область",
            "source": {"kind": "media_report", "outlet": "Segodnya", "reference": "seed 004",
                       "quote": "The procedure was carried out according to the formula \"50 to 50\"."}},
            at(f"2022-06-02T{hour:02d}:30:00"))
    # Ukraine's experts: four preliminary identifications (seed 004), DNA samples taken from others, one man of its
    # registry of the missing identified (invented).
    t = at("2022-06-03T09:00:00")
    for i in range(1, 5):
        add("ua/registrar", "exchange.identify", CLOSED, {
            "exchange": REMAINS, "body": f"RU-B-{i:03d}", "state": "preliminary",
            "note": "За попередніми даними — військовослужбовець полку «Азов»."}, t)
        t += timedelta(minutes=5)
    for i in range(5, 15):
        add("ua/registrar", "exchange.identify", CLOSED, {"exchange": REMAINS, "body": f"RU-B-{i:03d}",
                                                           "state": "dna_sampled"}, t)
        t += timedelta(minutes=5)
    add("ua/registrar", "exchange.identify", CLOSED, {
        "exchange": REMAINS, "body": "RU-B-005", "state": "identified", "person": "ua-azov-0024",
        "note": "Збіг ДНК з пробою родича (вигадано для демонстрації)."}, at("2022-06-20T12:00:00"))
    for side in ("ua", "ru"):
        add(f"{side}/negotiator", "exchange.count", CLOSED, {
            "exchange": REMAINS, "stage": 1, "sent": {"total": 50}, "received": {"total": 50}},
            at("2022-06-02T18:00:00"))
    add("icrc/mediator", "exchange.status", CLOSED, {"exchange": REMAINS, "status": "completed",
                                                      "reason": "Both sides handed over fifty bodies."},
        at("2022-06-02T19:00:00"))


def _ru_men(add: Add) -> None:
    """Ukraine's prisoners (invented Russian servicemen) and Russia's own record of the first eight as missing."""
    both = "party:ru,party:ua"
    for i, (s_uk, g_uk, _s_ru, _g_ru) in enumerate(RU_MEN, 1):
        add("ua/registrar", "person.register", both, {
            "id": f"ua-pow-{i:04d}", "category": "pow", "own_party": "ru",
            "person": {"surname": s_uk, "first_name": g_uk, "birth_date": f"{1985 + i}",
                       "rank": "рядовий" if i % 4 else "лейтенант", "power_depended_on": "Російська Федерація",
                       "capture_date": f"2022-04-{10 + i:02d}", "capture_place": "Харківська область"},
            "seriously_wounded": i == 3}, at(f"2022-08-01T09:{i:02d}:00"))
    for i, (_s_uk, _g_uk, s_ru, g_ru) in enumerate(RU_MEN[:RU_ASKS], 1):
        add("ru/registrar", "person.register", "party:ru", {
            "id": f"ru-missing-{i:04d}", "category": "missing",
            "person": {"surname": s_ru, "first_name": g_ru, "birth_date": f"{1985 + i}"}},
            at(f"2022-08-02T09:{i:02d}:00"))


def pows(add: Add) -> None:
    _ru_men(add)
    terms = {"kind": "prisoners", "formula": {"kind": "n_for_n", "n": TEN},
             "stages": [{"number": 1, "size": TEN, "on": "2022-09-29"}],
             "place": "Пункт передачі на лінії зіткнення (вигадано) / handover point (invented)",
             "note": "Invented for the demo: a later exchange of the men the demo registry holds."}
    v1 = {**terms, "formula": {"kind": "n_for_n", "n": 8}, "stages": [{"number": 1, "size": 8}]}
    title = "Exchange of prisoners of war, ten for ten (invented)"
    add("icrc/mediator", "exchange.propose", CLOSED, {"id": POWS, "title": title, "parties": ["ua", "ru"],
                                                       "mediators": ["icrc"], "version": 1, "terms": v1},
        at("2022-09-01T10:00:00"))
    add("ru/negotiator", "exchange.sign", CLOSED, {"exchange": POWS, "version": 1, "sha256": terms_hash(v1)},
        at("2022-09-02T10:00:00"))
    # Ukraine counter-proposes ten for ten; both sign the new version.
    add("ua/negotiator", "exchange.propose", CLOSED, {"id": POWS, "title": title, "parties": ["ua", "ru"],
                                                       "mediators": ["icrc"], "version": 2, "terms": terms},
        at("2022-09-05T10:00:00"))
    for side, hour in (("ua", 9), ("ru", 15)):
        add(f"{side}/negotiator", "exchange.sign", CLOSED, {"exchange": POWS, "version": 2,
                                                             "sha256": terms_hash(terms)},
            at(f"2022-09-07T{hour:02d}:00:00"))
    # Lists: Russia's first list of twelve, then a second without one man and with another; Ukraine's.
    ru_first = [f"ru-azov-{i:04d}" for i in range(1, 13)]
    ru_second = [p for p in ru_first if p != "ru-azov-0011"] + ["ru-azov-0013"]
    add("ru/registrar", "exchange.list", CLOSED, {"exchange": POWS, "direction": "hand_over", "version": 1,
                                                   "persons": ru_first}, at("2022-09-08T10:00:00"))
    add("ru/registrar", "exchange.list", CLOSED, {
        "exchange": POWS, "direction": "hand_over", "version": 2, "persons": ru_second,
        "note": "Уточнённый список."}, at("2022-09-12T10:00:00"))
    add("ua/registrar", "exchange.list", CLOSED, {
        "exchange": POWS, "direction": "ask_for", "version": 1,
        "persons": [f"ua-azov-{i:04d}" for i in range(1, 17)]}, at("2022-09-08T12:00:00"))
    ua_hand = [f"ua-pow-{i:04d}" for i in range(1, len(RU_MEN) + 1)]
    add("ua/registrar", "exchange.list", CLOSED, {"exchange": POWS, "direction": "hand_over", "version": 1,
                                                   "persons": ua_hand}, at("2022-09-08T13:00:00"))
    add("ru/registrar", "exchange.list", CLOSED, {
        "exchange": POWS, "direction": "ask_for", "version": 1,
        "persons": [f"ru-missing-{i:04d}" for i in range(1, RU_ASKS + 1)]}, at("2022-09-08T14:00:00"))
    # The ICRC interviews every man in private; one refuses to go back.
    t = at("2022-09-20T08:00:00")
    for pid, holder in [*((p, "ru") for p in ru_second), *((p, "ua") for p in ua_hand)]:
        refuses = pid == REFUSES
        payload = {"exchange": POWS, "person": pid, "wants_repatriation": not refuses,
                   "interviewed_on": "2022-09-20"}
        if refuses:
            payload["reason"] = "Fears prosecution on return; asks to remain (invented)."
        add("icrc/mediator", "exchange.consent", f"only,party:icrc,party:{holder}", payload, t)
        t += timedelta(minutes=10)
    # The plan, computed by the solver as a registrar would ask for it.
    ru_wounded = {f"ru-azov-{i:04d}" for i in range(1, SERIOUSLY_WOUNDED + 1)} - {"ru-azov-0002"}
    cands = [solver.Candidate(person=p, side="ru", category="soldier", seriously_wounded=p in ru_wounded,
                              held_days=(date(2022, 9, 20) - date(2022, 5, 17)).days, consent=True, verified=True)
             for p in ru_second]
    cands += [solver.Candidate(person=p, side="ua", category="soldier", seriously_wounded=p == "ua-pow-0003",
                               held_days=(date(2022, 9, 20) - date(2022, 4, 10 + n)).days,
                               consent=p != REFUSES, verified=True) for n, p in enumerate(ua_hand, 1)]
    plan = solver.solve(cands, solver.Formula(kind="n_for_n", n=TEN), ["ua", "ru"], [TEN])
    stages = [{"stage": n, "persons": [{"side": side, "person": pid} for side, pid in st]}
              for n, st in enumerate(plan.stages, 1)]
    add("icrc/mediator", "exchange.plan", CLOSED, {"exchange": POWS, "stages": stages, "gap": plan.gap,
                                                    "note": "The seriously wounded first, then the longest held."},
        at("2022-09-25T10:00:00"))
    # The handover, person by person.
    t = at("2022-09-29T08:00:00")
    place = "Пункт передачі (вигадано)"
    ua_own = {f"ru-azov-{i:04d}": f"ua-azov-{i:04d}" for i in range(1, 17)}
    # Two of Ukraine's records carry a typo in the surname: its registrar decides they are the same men first.
    for i in (3, 8):
        add("ua/registrar", "match.decide", "party:ru,party:ua", {
            "left": f"ru-azov-{i:04d}", "right": f"ua-azov-{i:04d}", "decision": "same",
            "note": "Звірено за фото та особовим номером."}, at("2022-09-28T12:00:00") + timedelta(minutes=i))
    planned = [(side, pid) for st in plan.stages for side, pid in st]
    for side, pid in planned:
        other = "ua" if side == "ru" else "ru"
        add(f"{side}/registrar", "exchange.handover", CLOSED, {
            "exchange": POWS, "stage": 1, "person": pid, "step": "handed_over", "at": _z(t), "place": place}, t)
        t += timedelta(minutes=1)
        if pid == "ru-azov-0009":
            continue  # taken by the ICRC straight to hospital: Ukraine has not confirmed his receipt
        received = {"exchange": POWS, "stage": 1, "person": pid, "step": "received", "at": _z(t), "place": place}
        if side == "ru" and pid in ua_own:
            received["as_person"] = ua_own[pid]
        if side == "ua" and int(pid[-4:]) <= RU_ASKS:
            received["as_person"] = f"ru-missing-{pid[-4:]}"
        add(f"{other}/registrar", "exchange.handover", CLOSED, received, t)
        t += timedelta(minutes=1)
        add("icrc/mediator", "exchange.handover", CLOSED, {
            "exchange": POWS, "stage": 1, "person": pid, "step": "witnessed", "at": _z(t), "place": place}, t)
        t += timedelta(minutes=1)
    add("ru/negotiator", "exchange.count", CLOSED, {"exchange": POWS, "sent": {"total": TEN},
                                                     "received": {"total": TEN}, "note": "Передано 10, получено 10."},
        at("2022-09-29T18:00:00"))
    add("ua/negotiator", "exchange.count", CLOSED, {"exchange": POWS, "sent": {"total": TEN},
                                                     "received": {"total": TEN - 1},
                                                     "note": "Передано 10, отримано 9."},
        at("2022-09-29T18:05:00"))
    add("icrc/mediator", "exchange.status", CLOSED, {"exchange": POWS, "status": "completed",
                                                      "reason": "Ten for ten handed over; one receipt to confirm."},
        at("2022-09-29T19:00:00"))
    add("ua/negotiator", "exchange.release", CLOSED, {"exchange": POWS, "sent": TEN, "received": TEN - 1,
                                                       "note": "Повернуто додому дев'ятьох захисників."},
        at("2022-09-30T09:00:00"))


def _z(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def records(add: Add) -> None:
    """Append the exchanges scenario through ``add(author, kind, audience, payload, time)``."""
    remains(add)
    pows(add)


__all__ = ["records", "REMAINS", "POWS", "RU_LIST"]
