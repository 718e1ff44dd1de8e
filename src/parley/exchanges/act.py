"""The act of transfer: the printable PDF of one stage of an exchange, in Ukrainian, Russian or English (one language
per document, the reader's choice).

The act names the parties, the mediators, the place, the time and the formula; lists the persons handed over with
each side's own record of them beside each other (the sending side's and the receiving side's spelling, printed as
written, never transliterated); gives the counts as each side stated them and the person-by-person tally; and ends
with a signature block, one line per party and per mediator. For every person it prints the log index and the full
SHA-256 of the record that confirmed the handover, with a QR code carrying both, and one QR code for the act as a
whole, so that anyone holding the paper can check it against the log.

QR payloads:

- a person: ``parley:<log origin>:<log index>:<record hash hex>`` (``qr_payload``);
- the act: the same for the stage's last confirmation, then ``:<exchange id>:<stage>`` (``act_payload``; the
  exchange id percent-encoded, so a reader splits the payload on ``:`` from the right).

Typeset by Typst (``act.typ`` beside this module) with the fonts embedded in Typst itself (Libertinus Serif, which
covers Cyrillic, and DejaVu Sans Mono for hashes): no system font, nothing fetched. The act's data goes to the
template as one JSON input; the QR codes are SVGs drawn here from segno's module matrix. The PDF carries no
creation date, so the same act in the same language renders to the same bytes. Nothing is printed beyond the
fields of ``Act``.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import segno
import typst

TEMPLATE = Path(__file__).with_name("act.typ")
LANGS = ("uk", "ru", "en")
# A person's record as each side wrote it: the name line, then the other fields in this order.
NAME_FIELDS = ("surname", "first_name", "patronymic")
DETAIL_FIELDS = ("birth_date", "rank", "service_number", "category")
SHA256_HEX = re.compile(r"[0-9a-f]{64}")

LABELS: dict[str, dict[str, str]] = {
    "uk": {
        "title": "Акт передачі",
        "exchange": "Обмін",
        "stage": "Етап",
        "kind": "Вид обміну",
        "formula": "Формула",
        "sender": "Сторона, що передає",
        "receiver": "Сторона, що приймає",
        "mediator": "Посередник",
        "mediators": "Посередники",
        "place": "Місце",
        "time": "Час",
        "last": "Останнє підтвердження",
        "log_record": "запис журналу",
        "verify": "Кожен QR-код містить рядок parley:<журнал>:<індекс>:<хеш> — індекс у журналі та хеш SHA-256 "
                  "запису, яким підтверджено передачу особи; QR-код акта додає ідентифікатор обміну та етап. "
                  "Звірте їх із журналом {origin}.",
        "verify_act": "QR-код акта містить рядок parley:<журнал>:<індекс>:<хеш>:<обмін>:<етап> — індекс і хеш "
                      "SHA-256 останнього підтвердження в журналі, ідентифікатор обміну та етап. Звірте їх із журналом "
                      "{origin}.",
        "persons": "Передані особи",
        "n": "№",
        "sender_record": "Запис сторони, що передає",
        "receiver_record": "Запис сторони, що приймає",
        "handed_over": "Час передачі",
        "no_record": "запису немає",
        "wounded": "тяжке поранення",
        "confirmed": "Підтверджено записом журналу",
        "birth_date": "дата народження",
        "rank": "звання",
        "service_number": "особистий номер",
        "category": "категорія",
        "counts": "Кількість",
        "party": "Сторона",
        "stated_sent": "Заявлено переданих",
        "stated_received": "Заявлено отриманих",
        "tally": "Підтверджено поіменно",
        "bodies": "Передано тіл",
        "signatures": "Підписи",
        "signatory": "Сторона / посередник",
        "name": "Прізвище та ініціали",
        "position": "Посада",
        "signature": "Підпис",
        "date": "Дата",
        "sender_role": "сторона, що передає",
        "receiver_role": "сторона, що приймає",
        "mediator_role": "посередник",
        "page": "Сторінка",
        "of": "з",
    },
    "ru": {
        "title": "Акт передачи",
        "exchange": "Обмен",
        "stage": "Этап",
        "kind": "Вид обмена",
        "formula": "Формула",
        "sender": "Передающая сторона",
        "receiver": "Принимающая сторона",
        "mediator": "Посредник",
        "mediators": "Посредники",
        "place": "Место",
        "time": "Время",
        "last": "Последнее подтверждение",
        "log_record": "запись журнала",
        "verify": "Каждый QR-код содержит строку parley:<журнал>:<индекс>:<хеш> — индекс в журнале и хеш SHA-256 "
                  "записи, которой подтверждена передача лица; QR-код акта добавляет идентификатор обмена и этап. "
                  "Сверьте их с журналом {origin}.",
        "verify_act": "QR-код акта содержит строку parley:<журнал>:<индекс>:<хеш>:<обмен>:<этап> — индекс и хеш "
                      "SHA-256 последнего подтверждения в журнале, идентификатор обмена и этап. Сверьте их с журналом "
                      "{origin}.",
        "persons": "Переданные лица",
        "n": "№",
        "sender_record": "Запись передающей стороны",
        "receiver_record": "Запись принимающей стороны",
        "handed_over": "Время передачи",
        "no_record": "записи нет",
        "wounded": "тяжёлое ранение",
        "confirmed": "Подтверждено записью журнала",
        "birth_date": "дата рождения",
        "rank": "звание",
        "service_number": "личный номер",
        "category": "категория",
        "counts": "Количество",
        "party": "Сторона",
        "stated_sent": "Заявлено переданных",
        "stated_received": "Заявлено полученных",
        "tally": "Подтверждено поимённо",
        "bodies": "Передано тел",
        "signatures": "Подписи",
        "signatory": "Сторона / посредник",
        "name": "Фамилия и инициалы",
        "position": "Должность",
        "signature": "Подпись",
        "date": "Дата",
        "sender_role": "передающая сторона",
        "receiver_role": "принимающая сторона",
        "mediator_role": "посредник",
        "page": "Страница",
        "of": "из",
    },
    "en": {
        "title": "Act of transfer",
        "exchange": "Exchange",
        "stage": "Stage",
        "kind": "Kind",
        "formula": "Formula",
        "sender": "Handing over",
        "receiver": "Receiving",
        "mediator": "Mediator",
        "mediators": "Mediators",
        "place": "Place",
        "time": "Time",
        "last": "Last confirmation",
        "log_record": "log record",
        "verify": "Each QR code carries parley:<log>:<index>:<hash>, the log index and the SHA-256 hash of the record "
                  "that confirmed the person's handover; the act's QR code adds the exchange id and the stage. "
                  "Check them against the log {origin}.",
        "verify_act": "The act's QR code carries parley:<log>:<index>:<hash>:<exchange>:<stage>, the log index and "
                      "the SHA-256 hash of the last confirmation, the exchange id and the stage. Check them against "
                      "the log {origin}.",
        "persons": "Persons handed over",
        "n": "No.",
        "sender_record": "Record of the handing-over side",
        "receiver_record": "Record of the receiving side",
        "handed_over": "Handed over at",
        "no_record": "no record",
        "wounded": "seriously wounded",
        "confirmed": "Confirmed by log record",
        "birth_date": "born",
        "rank": "rank",
        "service_number": "service no.",
        "category": "category",
        "counts": "Counts",
        "party": "Party",
        "stated_sent": "Stated as handed over",
        "stated_received": "Stated as received",
        "tally": "Confirmed person by person",
        "bodies": "Bodies handed over",
        "signatures": "Signatures",
        "signatory": "Party / mediator",
        "name": "Name",
        "position": "Position",
        "signature": "Signature",
        "date": "Date",
        "sender_role": "handing over",
        "receiver_role": "receiving",
        "mediator_role": "mediator",
        "page": "Page",
        "of": "of",
    },
}

# The codes of an exchange's kind and of a person's category, in the reader's language; any other value is printed
# as written.
KINDS: dict[str, dict[str, str]] = {
    "uk": {"prisoners": "полонені", "civilians": "цивільні особи", "remains": "тіла загиблих", "mixed": "змішаний"},
    "ru": {"prisoners": "пленные", "civilians": "гражданские лица", "remains": "тела погибших", "mixed": "смешанный"},
    "en": {"prisoners": "prisoners", "civilians": "civilians", "remains": "remains", "mixed": "mixed"},
}
CATEGORIES: dict[str, dict[str, str]] = {
    "uk": {"officer": "офіцер", "soldier": "солдат", "civilian": "цивільна особа"},
    "ru": {"officer": "офицер", "soldier": "солдат", "civilian": "гражданское лицо"},
    "en": {"officer": "officer", "soldier": "soldier", "civilian": "civilian"},
}


@dataclass(frozen=True)
class ActPerson:
    n: int  # line number
    # The sending side's record: surname, first_name, patronymic, birth_date, rank, service_number, category (any
    # may be "").
    sender: Mapping[str, str]
    receiver: Mapping[str, str] | None  # the receiving side's record of the same person, if it has one
    handed_over: str  # ISO time of the handover confirmation
    index: int  # log index of the record that confirmed the person (the receipt)
    record_hash: str  # SHA-256 hex of that record
    seriously_wounded: bool = False


@dataclass(frozen=True)
class ActCount:
    party: str  # party display name
    sent: str  # a stated figure as text, e.g. "50", "at least 200", "about 50", "48–52"
    received: str


@dataclass(frozen=True)
class Act:
    origin: str  # the log origin, e.g. "parley.example/log"
    exchange: str  # exchange id
    title: str
    stage: int
    kind: str  # prisoners | civilians | remains | mixed
    formula: str  # already-rendered text of the formula, e.g. "50 for 50"
    sender: str  # display name of the party handing over in this act
    receiver: str  # display name of the receiving party
    mediators: Sequence[str]
    place: str
    time: str  # ISO datetime of the handover (first–last confirmation)
    persons: Sequence[ActPerson]
    counts: Sequence[ActCount]
    tally: int  # persons confirmed person by person
    last_index: int
    last_hash: str
    bodies: int = 0  # remains: the number of bodies handed over (persons may then be empty)


def _hash(record_hash: str) -> str:
    h = record_hash.lower()
    if not SHA256_HEX.fullmatch(h):
        raise ValueError(f"not a SHA-256 hex digest: {record_hash!r}")
    return h


def qr_payload(origin: str, index: int, record_hash: str) -> str:
    """What a person's QR code carries: ``parley:<log origin>:<log index>:<record hash hex>``."""
    if index < 0:
        raise ValueError(f"a log index is not negative: {index}")
    return f"parley:{origin}:{index}:{_hash(record_hash)}"


def act_payload(act: Act) -> str:
    """What the act's QR code carries: the last confirmation's payload, then the exchange id and the stage."""
    return f"{qr_payload(act.origin, act.last_index, act.last_hash)}:{quote(act.exchange, safe='')}:{act.stage}"


@lru_cache(maxsize=2048)
def qr_svg(payload: str) -> str:
    """The QR code of a payload as a small SVG: one path of filled modules on a one-module white border.

    Cached by payload: a record's code never changes, and the same act is often printed in more than one language.
    The mask is fixed (pattern 0; any mask decodes): segno's search over all eight takes four times as long as the
    rest of the encoding, which across a 500-person act is seconds."""
    code = segno.make_qr(payload, error="m", boost_error=False, mask=0)
    matrix = code.matrix
    border = 1
    size = len(matrix) + 2 * border
    runs = []
    for y, row in enumerate(matrix):
        x, width = 0, len(row)
        while x < width:
            if row[x]:
                start = x
                while x < width and row[x]:
                    x += 1
                runs.append(f"M{start + border} {y + border}h{x - start}v1h{start - x}z")
            else:
                x += 1
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{size}" height="{size}" '
            f'shape-rendering="crispEdges"><rect width="{size}" height="{size}" fill="#fff"/>'
            f'<path fill="#000" d="{"".join(runs)}"/></svg>')


def _record(record: Mapping[str, str], lang: str) -> dict[str, Any]:
    labels, categories = LABELS[lang], CATEGORIES[lang]
    name = " ".join(v for f in NAME_FIELDS if (v := (record.get(f) or "").strip()))
    details = []
    for f in DETAIL_FIELDS:
        value = (record.get(f) or "").strip()
        if value:
            details.append(f"{labels[f]}: {categories.get(value, value) if f == 'category' else value}")
    return {"name": name, "details": details}


def document(act: Act, lang: str) -> dict[str, Any]:
    """The data the template reads (``sys.inputs.data``): the act's fields, the labels of one language, the QR codes."""
    if lang not in LANGS:
        raise ValueError(f"the act is printed in {', '.join(LANGS)}, not {lang!r}")
    labels = LABELS[lang]
    verify = labels["verify" if act.persons else "verify_act"].format(origin=act.origin)
    return {
        "lang": lang,
        "labels": {**labels, "verify": verify},
        "origin": act.origin,
        "exchange": act.exchange,
        "title": act.title,
        "stage": act.stage,
        "kind": KINDS[lang].get(act.kind, act.kind),
        "formula": act.formula,
        "sender": act.sender,
        "receiver": act.receiver,
        "mediators": list(act.mediators),
        "place": act.place,
        "time": act.time,
        "persons": [{
            "n": p.n,
            "sender": _record(p.sender, lang),
            "receiver": None if p.receiver is None else _record(p.receiver, lang),
            "handed_over": p.handed_over,
            "wounded": p.seriously_wounded,
            "index": p.index,
            "hash": _hash(p.record_hash),
            "qr": qr_svg(qr_payload(act.origin, p.index, p.record_hash)),
        } for p in act.persons],
        "counts": [{"party": c.party, "sent": c.sent, "received": c.received} for c in act.counts],
        "tally": act.tally,
        "bodies": act.bodies,
        "last_index": act.last_index,
        "last_hash": _hash(act.last_hash),
        "qr": qr_svg(act_payload(act)),
    }


def render(act: Act, lang: str) -> bytes:
    """The act as a PDF in ``lang`` ("uk", "ru" or "en"); ValueError for any other language or a malformed hash."""
    data = json.dumps(document(act, lang), ensure_ascii=False)
    return typst.compile(str(TEMPLATE), root=str(TEMPLATE.parent), ignore_system_fonts=True, sys_inputs={"data": data})


# Typst keeps what it compiled in memory for the life of the process, with no way to clear it from Python: in a
# long-running server, acts of hundreds of persons would grow it by hundreds of MiB. The server renders acts in a
# worker process of its own instead, replaced after ``RENDERS_PER_WORKER`` acts, which gives that memory back.
RENDERS_PER_WORKER = 16
_POOL: list[Any] = []
_POOL_LOCK = threading.Lock()


def render_isolated(act: Act, lang: str) -> bytes:
    """``render`` in the act worker process (started on first use, spawned: no state of the server's copied; it
    stops with the server)."""
    return bytes(_worker_pool().submit(render, act, lang).result(timeout=120))


def _worker_pool() -> Any:
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    with _POOL_LOCK:
        if not _POOL:
            _POOL.append(ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                             max_tasks_per_child=RENDERS_PER_WORKER,
                                             initializer=_worker_started, initargs=(os.getpid(),)))
        return _POOL[0]


def _worker_started(server: int) -> None:
    """In the act worker: end it once the server that started it is gone. A server that ends normally stops
    its worker, but one killed outright (SIGKILL, out of memory) cannot, and a spawned worker waiting for work
    would otherwise wait for ever, holding its memory."""
    import os

    from parley.serving import watch_parent

    watch_parent(server, lambda: os._exit(0))

