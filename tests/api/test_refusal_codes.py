"""Refusals with a stable code (``parley.errors.Code``): each code declared once, with an English template that
is the message the API and the log have always shown; the API answers the code and its parameters beside the
English; pages show the code's own message, the same in every language as the one the English used to find.
No database: refusals are made as the record kinds make them."""

from __future__ import annotations

import string

import pytest

from parley.errors import Code, Conflict, NotFound, ParleyError, Unprocessable
from parley.operations import codes as operation_codes
from parley.web import i18n, refusals

# A value for each parameter a template names, as the record kinds give them (labels are codes pages know).
SAMPLES = {"status": "under way", "need": "proposed or acknowledged", "action": "suspend", "answer": "declined",
           "state": "delivered", "category": "women", "field": "plan.route", "place": "origin", "n": 14,
           "what": "a new version", "parties": "ru, ua", "w": 22.0, "s": 44.0, "e": 41.0}


def params_of(code: Code) -> dict[str, object]:
    names = [name for _, name, _, _ in string.Formatter().parse(code.template) if name]
    return {name: SAMPLES.get(name, f"ua-{name}-1") for name in names}


def refused(code: Code) -> ParleyError:
    params = params_of(code)
    field = params.pop("field", None)
    return Conflict(code, field=field, **params)  # type: ignore[arg-type]


def test_each_code_is_declared_once_and_written_as_a_code() -> None:
    codes = [c.code for c in operation_codes.CODES]
    assert len(codes) == len(set(codes)) >= 35
    assert all(c.count(".") == 1 and c == c.lower() and " " not in c for c in codes)
    assert len({c.template for c in operation_codes.CODES}) == len(codes)
    # A parameter is a keyword of the page's message: never one of the arguments of gettext itself.
    names = {name for c in operation_codes.CODES for _, name, _, _ in string.Formatter().parse(c.template) if name}
    assert not names & {"lang", "message", "id", "singular", "plural"}


@pytest.mark.parametrize("code", operation_codes.CODES, ids=lambda c: c.code)
def test_a_coded_refusal_reads_as_the_english_did_and_is_shown_in_each_language(code: Code) -> None:
    exc = refused(code)
    # The page message comes from the code, not from matching the English; it is the one the English matched.
    by_code, by_english = refusals.refusal(exc), refusals._match(exc.message)
    assert by_english is not None, exc.message
    for lang in ("uk", "ru", "en"):
        assert i18n.render(lang, by_code) == i18n.render(lang, by_english)
    assert not i18n.render("uk", by_code).isascii() and not i18n.render("ru", by_code).isascii()


def test_the_api_answers_the_code_its_parameters_and_the_english() -> None:
    exc = Conflict(operation_codes.ANSWERS_CLOSED, operation="icrc-op-1", status="completed", field="operation")
    assert exc.message == "operation 'icrc-op-1' is completed; answers are closed"
    assert exc.as_dict() == {"error": "conflict", "code": "operation.answers_closed",
                             "params": {"operation": "icrc-op-1", "status": "completed"},
                             "message": "operation 'icrc-op-1' is completed; answers are closed", "field": "operation"}
    assert list(exc.as_dict()) == ["error", "code", "params", "message", "field"]
    # A refusal not yet given a code answers as before.
    assert NotFound("no such thing").as_dict() == {"error": "not_found", "message": "no such thing"}
    with pytest.raises(TypeError):
        Unprocessable("a sentence", value=1)


def test_a_template_may_name_the_field_at_fault() -> None:
    exc = Unprocessable(operation_codes.OUTSIDE, w=22.0, s=44.0, e=41.0, n=53.0, field="plan.route")
    assert exc.message.startswith(
        "plan.route lies outside the deployment's area of operations [22.0, 44.0, 41.0, 53.0]")
    assert exc.as_dict()["params"] == {"w": 22.0, "s": 44.0, "e": 41.0, "n": 53.0}


def test_the_command_line_translates_what_the_api_answered() -> None:
    body = Conflict(operation_codes.ANSWERS_CLOSED, operation="icrc-op-1", status="completed",
                    field="operation").as_dict()
    message = refusals.coded(body["code"], body["params"], body.get("field"))
    assert message is not None
    assert i18n.render("en", message) == "The operation's status is «Completed»; answers are closed."
    assert not i18n.render("uk", message).isascii()
    assert refusals.coded("no.such_code", {}) is None
