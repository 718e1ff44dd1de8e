"""Refusals as a page shows them (``web/refusals.py``): pydantic's wording never, a record kind's English
refusal by its code as a catalogue message with its values as parameters, anything else as a translated generic
sentence naming the field. No database: the refusals are made as the record kinds make them."""

from __future__ import annotations

import ast
import inspect
import re

import pytest

from parley.assembly import kinds
from parley.errors import Conflict, Forbidden, NotFound, ParleyError, Unprocessable
from parley.operations import codes as operation_codes
from parley.operations import geo, plan_rules
from parley.people import codes as people_codes
from parley.records import ids
from parley.records.kinds import parse_payload
from parley.web import i18n, refusals

KINDS = kinds()

RAW = re.compile(r"Value error|payload of|validation error|Field required|Input should|String should")


def shown(exc: BaseException, lang: str) -> str:
    return i18n.render(lang, refusals.refusal(exc))


def refused(kind: str, payload: dict) -> ParleyError:
    with pytest.raises(ParleyError) as info:
        parse_payload(KINDS[kind], payload)
    return info.value


def test_a_declined_answer_without_a_reason_reads_as_a_sentence_in_each_language():
    exc = refused("operation.answer", {"operation": "icrc-op-1", "version": 1, "answer": "declined", "reason": ""})
    assert "Value error" in exc.message  # what the API says, and what the page said
    assert shown(exc, "ru") == "Укажите причину отказа."
    assert shown(exc, "uk") == "Вкажіть причину відмови."
    assert shown(exc, "en") == "Give the reason for declining."


@pytest.mark.parametrize(("payload", "uk", "ru"), [
    # a value outside the choices offered, named by its field's label
    ({"operation": "icrc-op-1", "event": "teleported", "at": "2026-01-01T00:00:00Z"},
     "Подія: оберіть одне із запропонованих значень.", "Событие: выберите одно из предложенных значений."),
    # a missing field
    ({"operation": "icrc-op-1", "at": "2026-01-01T00:00:00Z"},
     "Заповніть: Подія.", "Заполните: Событие."),
    # not a date
    ({"operation": "icrc-op-1", "event": "departed", "at": "yesterday"},
     "Час: введіть дату й час.", "Время: введите дату и время."),
])
def test_pydantic_errors_by_type_with_the_fields_label(payload, uk, ru):
    exc = refused("operation.movement", payload)
    assert (shown(exc, "uk"), shown(exc, "ru")) == (uk, ru)
    assert not RAW.search(shown(exc, "en"))


def test_a_length_is_counted_in_the_languages_plural_forms():
    exc = refused("channel.post", {"operation": "icrc-op-1", "text": "x" * 5000})
    assert shown(exc, "uk") == "Повідомлення: щонайбільше 4\u00a0000 символів."
    assert shown(exc, "ru") == "Сообщение: не более 4\u00a0000 символов."
    assert shown(exc, "en") == "Message: at most 4,000 characters."


def test_a_record_kinds_refusal_keeps_its_values_and_translates_its_codes():
    exc = Conflict(operation_codes.ANSWERS_CLOSED, operation="icrc-op-1", status="under way", field="operation")
    assert exc.message == "operation 'icrc-op-1' is under way; answers are closed"
    assert shown(exc, "uk") == "Стан операції — «Триває»; відповіді більше не приймаються."
    assert shown(exc, "ru") == "Состояние операции — «Идёт»; ответы больше не принимаются."
    exc = Conflict(operation_codes.CANNOT, action="start", status="proposed", need="acknowledged", field="action")
    assert shown(exc, "uk") == ("Дія «Розпочати» неможлива, поки стан операції — «Запропоновано»; "
                                "потрібен стан «Отримання підтвердили всі».")
    exc = Forbidden(operation_codes.STATUS_BY_MEDIATOR, mediator="icrc")
    assert shown(exc, "ru") == "Состояние операции меняет только посредник-организатор (icrc)."
    exc = Forbidden(people_codes.REGISTER_ROLES, roles="admin, registrar")
    assert exc.message == "only admin, registrar members register persons"
    assert shown(exc, "uk") == "Осіб реєструють лише учасники з такими ролями: адміністратор, реєстратор."
    exc = Conflict(operation_codes.ANSWER_NOT_CURRENT, version=1, current=2, field="version")
    assert shown(exc, "uk").startswith("Версія 1 уже не поточна (поточна — версія 2).")
    # The page reads the code, never the English: a sentence that reads the same but has no code is generic.
    assert shown(Conflict("operation 'icrc-op-1' is under way; answers are closed"), "uk") == \
        "Це суперечить поточному стану записів; оновіть сторінку й спробуйте ще раз."


def test_an_unknown_refusal_is_a_generic_sentence_with_the_field_and_the_original_in_english():
    exc = Unprocessable("the moon is in the wrong phase", field="plan.window.start")
    assert shown(exc, "uk") == "Початок вікна: це значення не приймається."
    assert shown(exc, "ru") == "Начало окна: это значение не принимается."
    assert shown(exc, "en") == "The moon is in the wrong phase."
    assert shown(Forbidden("no way"), "ru") == "Вам не разрешено это делать."
    assert shown(NotFound("no thing 'x'"), "uk") == "Такого запису немає або він вам недоступний."
    assert shown(ValueError("anything"), "uk") == "Запис відхилено."


def test_the_reasons_and_warnings_of_a_list_import():
    assert i18n.render("uk", refusals.reason("longer than 200 characters")) == "довше за 200 символів"
    assert i18n.render("ru", refusals.reason("longer than 21 characters")) == "длиннее 21 символа"
    warning = "column C is mapped to surname as well; only column A is read"
    assert i18n.render("uk", refusals.reason(warning)) == \
        "Стовпець C також зіставлено з полем «Прізвище»; читається лише стовпець A."


def _raises(module: object) -> list[tuple[int, re.Pattern[str]]]:
    """The refusals a module raises, each as a pattern of its English (its values matching anything)."""
    errors = {"Forbidden", "Conflict", "Unprocessable", "NotFound", "BadRequest", "TooManyRequests", "ValueError",
              "_fail"}

    def pattern(node: ast.expr) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return re.escape(node.value)
        if isinstance(node, ast.JoinedStr):
            return "".join(re.escape(v.value) if isinstance(v, ast.Constant) else ".+?" for v in node.values)
        if isinstance(node, ast.BinOp):
            left, right = pattern(node.left), pattern(node.right)
            return None if left is None or right is None else left + f"(?:{right})?"
        if isinstance(node, ast.IfExp):  # either branch
            a, b = pattern(node.body), pattern(node.orelse)
            return None if a is None or b is None else f"(?:{a}|{b})"
        return None

    found = []
    for node in ast.walk(ast.parse(inspect.getsource(module))):  # type: ignore[arg-type]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in errors and node.args:
            p = pattern(node.args[0])
            if p is not None:
                found.append((node.lineno, re.compile(p, re.DOTALL)))
    return found


def test_no_record_kind_refuses_with_a_sentence():
    """A refusal a record kind raises (its module, its validators, ids and geometry) carries a code
    (``parley.errors.Code``; a validator raises ``parley.errors.Invalid``), never an English sentence a page would
    have to recognise. tests/api/test_refusal_codes.py checks every module of ``src/parley``."""
    modules = {inspect.getmodule(x) for k in KINDS.values() for x in (k.apply, k.schema)} | {ids, geo, plan_rules}
    assert len(modules) >= 5
    sentences = [f"{m.__name__}:{line}" for m in modules if m is not None for line, _ in _raises(m)]
    assert sentences == []
    # The scan finds a sentence where there is one.
    assert _raises(refusals) == [] and len(_raises(_Sentences)) == 3


class _Sentences:
    def refuse(self, x: int) -> None:
        if x:
            raise Conflict("a sentence")
        raise NotFound(f"no thing {x!r}") if x > 1 else ValueError("a validator's " + "sentence")


@pytest.mark.parametrize(("data", "name", "uk"), [
    (b"", "list.csv", "Файл порожній."),
    (b"PK\x03\x04 not really a zip", "list.xlsx", "Книгу XLSX пошкоджено"),
    (b"<html><body>list</body></html>", "list.xlsx", "Файл названо як книгу XLSX, але це не вона"),
    (b"<!DOCTYPE html><html><body>list</body></html>", "list.csv", "Це вебсторінка (HTML)"),
])
def test_a_list_file_the_reader_refuses_is_named_in_the_language(data, name, uk):
    from parley.people.service import preview

    with pytest.raises(ParleyError) as info:
        preview(data, name, None, None)
    assert shown(info.value, "uk").startswith(uk), (info.value.message, shown(info.value, "uk"))
    assert not shown(info.value, "ru").isascii()
