"""The command line prints a refusal from the code and parameters the API answered, in the language of the
locale (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``; English by default), with the pages' catalogue; in
English, the API's own sentence.
No server: the API's answer is made as the API makes it (``ParleyError.as_dict``)."""

from __future__ import annotations

import json

import pytest

from parley import cli, client
from parley.errors import Conflict, Forbidden, NotFound
from parley.operations import codes as operation_codes
from parley.people import codes as people_codes
from parley.records import codes as record_codes

ANSWERS_CLOSED = Conflict(operation_codes.ANSWERS_CLOSED, operation="icrc-op-1", status="completed",
                          field="operation").as_dict()


@pytest.mark.parametrize(("env", "lang"), [
    ({}, "en"),
    ({"LANG": "C.UTF-8"}, "en"),
    ({"LANG": "uk_UA.UTF-8"}, "uk"),
    ({"LANG": "ru_RU.UTF-8"}, "ru"),
    ({"LANG": "de_DE.UTF-8"}, "en"),
    ({"LANG": "uk_UA.UTF-8", "LC_ALL": "ru_RU.UTF-8"}, "ru"),  # LC_ALL overrides LANG
    ({"LANG": "en_GB.UTF-8", "LC_MESSAGES": "uk_UA"}, "uk"),
    ({"LANG": "en_US.UTF-8", "LANGUAGE": "de:ru:en"}, "ru"),  # the first of LANGUAGE's list it knows
])
def test_the_language_comes_from_the_locale(env: dict[str, str], lang: str) -> None:
    assert cli.language(env) == lang


def test_a_coded_refusal_in_each_language() -> None:
    assert cli.refusal_text(ANSWERS_CLOSED, "en") is None  # the API's English, printed as it came
    assert cli.refusal_text(ANSWERS_CLOSED, "uk") == "Стан операції — «Завершено»; відповіді більше не приймаються."
    assert cli.refusal_text(ANSWERS_CLOSED, "ru") == "Состояние операции — «Завершена»; ответы больше не принимаются."


def test_parameters_reach_the_message_translated() -> None:
    body = Forbidden(people_codes.REGISTER_ROLES, roles="admin, registrar").as_dict()
    for lang in ("uk", "ru"):
        text = cli.refusal_text(body, lang)
        assert text is not None and not text.isascii() and "registrar" not in text, text
    body = NotFound(record_codes.NO_RECORD, index=41).as_dict()
    assert cli.refusal_text(body, "ru") == "Нет записи 41, которую вы можете читать."
    assert cli.refusal_text(body, "uk") == "Немає запису 41, який ви можете читати."


def test_a_refusal_without_a_code_is_generic_in_ukrainian_and_russian_and_as_sent_in_english() -> None:
    body = {"error": "conflict", "message": "something the server said", "field": "operation"}
    assert cli.refusal_text(body, "en") is None  # the server's own English is printed
    uk = cli.refusal_text(body, "uk")
    assert uk is not None and uk != cli.refusal_text(body, "ru") and not uk.isascii()


@pytest.mark.parametrize(("lang", "expected"), [
    ("uk_UA.UTF-8", "refused (409) [operation]: Стан операції — «Завершено»; відповіді більше не приймаються."),
    ("ru_RU.UTF-8", "refused (409) [operation]: Состояние операции — «Завершена»; ответы больше не принимаются."),
    ("en_US.UTF-8", "refused (409) [operation]: operation 'icrc-op-1' is completed; answers are closed"),
])
def test_the_command_prints_the_refusal_in_the_reader_language(lang: str, expected: str,
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", lang)
    assert client.translate is cli.refusal_text  # set by the command line
    client.refused(409, json.dumps(ANSWERS_CLOSED))
    assert " ".join(capsys.readouterr().err.split()) == expected  # as printed, unwrapped
