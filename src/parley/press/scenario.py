"""The press desk's part of the demo: what Ukraine's press officers release of seed 004, each statement drafted by
one member and approved by a second.

- The understanding on humanitarian corridors and a temporary ceasefire read out after the second round (seed 003).
- The exit of the Azovstal defenders (seeds 000 and 004): more than 250 servicemen through the humanitarian
  corridor on the night of 17 May, 53 seriously wounded to a medical facility in Novoazovsk, 211 to Olenivka.
- The defenders are alive, and a press centre for prisoners' families has been set up at the intelligence
  directorate (seed 004); the return of the bodies of the dead has begun, "more than 200" (a lower bound, as the
  source gives it).
- The demo's invented prisoner exchange, embargoed until the exchange is completed (drafted by a negotiator: a
  press officer does not read an exchange before its release), released when the mediator declares it completed.
- A statement on the end of the exit, embargoed until that operation is completed: in the demo it never is, so the
  statement waits on the press desk and nobody outside Ukraine reads it.
- Figures computed from the log and released (``figures.release``): the UN's outcome of the two completed
  evacuations of civilians from Azovstal, Ukraine's inquiries of June 2022.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from parley.press.kinds import text_hash

Add = Callable[..., int]
CLOSED = "only,party:ua"
EXIT = "ua-azovstal-exit"  # the operation of the demo (parley.operations.scenario)
POWS = "icrc-pow-exchange-demo"  # the exchange of the demo (parley.exchanges.scenario)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


STATEMENTS: list[tuple[str, str, str, dict[str, Any], str]] = [
    # (id, drafted by, approved by, draft payload without id and version, when)
    ("ua-statement-corridors-understanding", "ua/press", "ua/negotiator", {
        "texts": {
            "uk": {"title": "Порозуміння щодо гуманітарних коридорів",
                   "body": "Сторони досягли порозуміння щодо спільного забезпечення гуманітарних коридорів для "
                           "евакуації цивільного населення, а також для доставки ліків і продуктів харчування. На "
                           "час гуманітарної операції в районах евакуації можливе тимчасове припинення вогню."},
            "ru": {"title": "Понимание о гуманитарных коридорах",
                   "body": "Стороны достигли понимания о совместном обеспечении гуманитарных коридоров для эвакуации "
                           "мирного населения, а также для доставки лекарств и продуктов питания. На время "
                           "гуманитарной операции в районах эвакуации возможно временное прекращение огня."},
            "en": {"title": "An understanding on humanitarian corridors",
                   "body": "The parties reached an understanding on the joint provision of humanitarian corridors "
                           "for the evacuation of civilians and the delivery of medicines and food. In the areas of "
                           "evacuation a temporary ceasefire is possible for the duration of the humanitarian "
                           "operation."}}}, "2022-03-03T20:00:00"),
    ("ua-statement-azovstal-exit", "ua/press", "ua/negotiator", {
        "texts": {
            "uk": {"title": "Вихід захисників Азовсталі",
                   "body": "У ніч на 17 травня понад 250 військовослужбовців вийшли гуманітарним коридором. "
                           "53 тяжкопоранених евакуйовано до медичного закладу в Новоазовську, ще 211 осіб — "
                           "до Оленівки."},
            "ru": {"title": "Выход защитников Азовстали",
                   "body": "В ночь на 17 мая более 250 военнослужащих вышли по гуманитарному коридору. "
                           "53 тяжелораненых эвакуированы в медицинское учреждение в Новоазовске, ещё 211 человек — "
                           "в Еленовку."},
            "en": {"title": "The exit of the Azovstal defenders",
                   "body": "On the night of 17 May more than 250 servicemen left through the humanitarian corridor. "
                           "53 seriously wounded were evacuated to a medical facility in Novoazovsk, another 211 "
                           "people to Olenivka."}},
        "references": [{"object": "operation", "id": EXIT}]}, "2022-05-17T10:00:00"),
    ("ua-statement-defenders-alive", "ua/press", "ua/admin", {
        "texts": {
            "uk": {"title": "Полонені захисники Азовсталі живі",
                   "body": "Ми знаємо, що вони живі. Процес їх звільнення не зупиняється. Для родин полонених "
                           "створено прес-центр у Головному управлінні розвідки."},
            "en": {"title": "The captured Azovstal defenders are alive",
                   "body": "We know that they are alive. The process of their release does not stop. A press "
                           "centre for prisoners' families has been set up at the intelligence directorate."}}},
     "2022-05-31T12:00:00"),
    ("ua-statement-remains-returned", "ua/press", "ua/negotiator", {
        "texts": {
            "uk": {"title": "Повернення тіл загиблих",
                   "body": "Процес повернення тіл наших загиблих героїв розпочався. На сьогодні — понад 200."},
            "en": {"title": "The return of the bodies of the dead",
                   "body": "The process of returning the bodies of our dead heroes has begun. Today it is already "
                           "more than 200."}}}, "2022-05-31T12:30:00"),
    ("ua-statement-exit-completed", "ua/press", "ua/negotiator", {
        "texts": {
            "uk": {"title": "Завершення виходу з Азовсталі",
                   "body": "Усі захисники, які вийшли з Азовсталі, зареєстровані. Подробиці — після завершення "
                           "операції."},
            "en": {"title": "The exit from Azovstal completed",
                   "body": "Every defender who left Azovstal has been registered. Details once the operation is "
                           "completed."}},
        "references": [{"object": "operation", "id": EXIT}], "embargo": {"operation": EXIT}},
     "2022-05-20T09:00:00"),
    ("ua-statement-pow-exchange", "ua/negotiator", "ua/admin", {
        "texts": {
            "uk": {"title": "Обмін полоненими",
                   "body": "Додому повернулися дев'ятеро захисників. Десятий перебуває під опікою МКЧХ."},
            "ru": {"title": "Обмен пленными",
                   "body": "Домой вернулись девять защитников. Десятый находится под опекой МККК."},
            "en": {"title": "An exchange of prisoners",
                   "body": "Nine defenders have come home. The tenth is in the care of the ICRC."}},
        "references": [{"object": "exchange", "id": POWS}], "embargo": {"exchange": POWS}}, "2022-09-30T08:00:00"),
]


# Figures parties release of their own records (``figures.release``), as Parley computes them from the log: the UN
# its outcome of the two completed evacuations from Azovstal (seed 000), Ukraine its inquiries of June 2022 (two:
# "fewer than 5" on the public side).
FIGURES: list[tuple[str, dict[str, Any], str]] = [
    ("un-ocha/liaison", {"id": "un-ocha-figures-azovstal-1", "subject": "operation",
                         "operation": "un-ocha-azovstal-civilians-1",
                         "moved": [{"category": "civilians", "destination": "Zaporizhzhia",
                                    "figure": {"form": "exact", "value": 127}}]}, "2022-05-04T09:00:00"),
    ("un-ocha/liaison", {"id": "un-ocha-figures-azovstal-2", "subject": "operation",
                         "operation": "un-ocha-azovstal-civilians-2", "moved": [], "total": {"form": "hundreds"}},
     "2022-05-09T09:00:00"),
    ("ua/negotiator", {"id": "ua-figures-inquiries-2022-06", "subject": "inquiries", "until": "2022-06-30",
                       "filed": 2, "answered": 1, "closed": 0}, "2022-07-01T09:00:00"),
]


def records(add: Add) -> None:
    for sid, author, approver, body, when in STATEMENTS:
        draft = {"statement": sid, "version": 1, **body}
        t = at(when)
        add(author, "statement.draft", CLOSED, draft, t)
        add(approver, "statement.approve", CLOSED, {"statement": sid, "version": 1, "sha256": text_hash(draft)},
            t + timedelta(minutes=20))
    for author, payload, when in FIGURES:
        add(author, "figures.release", "all", payload, at(when))
