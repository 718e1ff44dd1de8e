"""Refusals with a stable code (``parley.errors.Code``): each code declared once, with an English template that
is the message the API and the log have always shown; the API answers the code and its parameters beside the
English; pages show the code's own message, the same in every language as the one the English used to find.
No database: refusals are made as the record kinds make them, and the sources are read, not run."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from parley.errors import Code, Conflict, Forbidden, NotFound, ParleyError, Unprocessable
from parley.log import codes as audit_codes
from parley.operations import codes as operation_codes
from parley.parties import codes as party_codes
from parley.people import codes as people_codes
from parley.records import codes as record_codes
from parley.records import figures, sources
from parley.talks import codes as talks_codes
from parley.web import i18n, refusals

# A value for each parameter a template names, as the record kinds give them (labels are codes pages know).
MODULES = (record_codes, party_codes, operation_codes, people_codes, talks_codes, audit_codes, figures, sources)
SAMPLES = {"status": "under way", "need": "proposed or acknowledged", "action": "suspend", "answer": "declined",
           "state": "delivered", "category": "women", "field": "plan.route", "place": "origin", "n": 14,
           "what": "a new version", "parties": "ru, ua", "w": 22.0, "s": 44.0, "e": 41.0,
           "roles": "admin, registrar", "person_status": "held at", "decision": "same", "limit": 7, "row": 3,
           "lat": 95.0, "lon": 10.0, "mb": 20, "count": 9000, "index": 12}


def params_of(code: Code) -> dict[str, object]:
    names = [name for _, name, _, _ in string.Formatter().parse(code.template) if name]
    return {name: SAMPLES.get(name, f"ua-{name}-1") for name in names}


def refused(code: Code) -> ParleyError:
    params = params_of(code)
    field = params.pop("field", None)
    return Conflict(code, field=field, **params)  # type: ignore[arg-type]


def test_each_code_is_declared_once_and_written_as_a_code() -> None:
    codes = [c.code for c in refusals.CODES]
    assert len(codes) == len(set(codes)) >= 230
    # A code is declared once: the same code in two modules is one object (the spine's, re-exported).
    declared = [c for m in MODULES for c in m.CODES]
    assert len({c.code: id(c) for c in declared}) == len({id(c) for c in declared})
    assert all(c.count(".") == 1 and c == c.lower() and " " not in c for c in codes)
    # The same English under two codes: "the file is empty" (the upload, the sheet); an exchange's "a party is listed
    # twice" (as talks words it) and "no talks point '{point}' that you may read" (as operations word it).
    assert len({c.template for c in refusals.CODES}) == len(codes) - 3
    # A parameter is a keyword of the page's message: never one of the arguments of gettext itself.
    names = {name for c in refusals.CODES for _, name, _, _ in string.Formatter().parse(c.template) if name}
    assert not names & {"lang", "message", "id", "singular", "plural"}


@pytest.mark.parametrize("code", refusals.CODES, ids=lambda c: c.code)
def test_every_code_has_a_page_message_in_each_language(code: Code) -> None:
    exc = refused(code)
    message = refusals.refusal(exc)
    assert not isinstance(message, refusals.Refusal), f"{code.code} is shown as a generic refusal"
    catalogue = {lang: i18n.catalogue(lang) for lang in ("uk", "ru")}
    target = refusals.BY_CODE.get(code.code, "The form's values are not accepted.")
    singular = target[0] if isinstance(target, tuple) else target
    for lang in ("uk", "ru"):
        if isinstance(target, tuple):
            assert target in i18n.plurals(lang), (lang, target)
        else:
            assert singular in catalogue[lang], (lang, singular)
        text = i18n.render(lang, message)
        assert not text.isascii() and "{" not in text, (lang, text)
    # The page message names only parameters the code gives (or the field), each filled in.
    given = {name for _, name, _, _ in string.Formatter().parse(code.template) if name} | {"field"}
    wanted = {name for _, name, _, _ in string.Formatter().parse(singular) if name}
    assert wanted <= given, (code.code, wanted - given)
    assert "{" not in i18n.render("en", message)


def test_a_coded_refusal_reads_as_the_english_did() -> None:
    # The English of the API and the log is the sentence each refusal always had, byte for byte.
    assert Forbidden(people_codes.REGISTER_ROLES, roles="admin, registrar").message == \
        "only admin, registrar members register persons"
    assert NotFound(people_codes.NO_PERSON, person="ua-p-1").message == "no person 'ua-p-1'"
    assert NotFound(record_codes.NO_PARTY, party="x'y").message == "no party \"x'y\""
    assert Forbidden(record_codes.NOT_MANAGER_MEDIATOR, party="ua").message == (
        "only an admin of party 'ua' manages its members and keys (a mediator's admin does so only while the party "
        "has no admin of its own)")
    assert sp_error(people_codes.TOO_MANY_ROWS, limit=50000) == ("the sheet has more than 50,000 rows of data, the "
                                                                 "most that is read at once; split the list into "
                                                                 "several files")


def sp_error(code: Code, **params: object) -> str:
    from parley.people.spreadsheet import SpreadsheetError

    return str(SpreadsheetError(code, **params))


def test_a_payload_refused_by_a_validator_carries_its_code() -> None:
    from parley.operations.kinds import KINDS
    from parley.records.kinds import parse_payload

    answer = next(k for k in KINDS if k.name == "operation.answer")
    with pytest.raises(Unprocessable) as err:
        parse_payload(answer, {"operation": "icrc-op-1", "version": 1, "answer": "declined"})
    body = err.value.as_dict()
    assert body["code"] == "record.payload_invalid"
    assert body["message"] == "payload of operation.answer:  Value error, a declined answer gives its reason"
    assert body["params"]["reason"] == "operation.decline_reason" and body["params"]["type"] == "value_error"
    # The page (from the exception) and the command line (from the API's answer) show the validator's message.
    for message in (refusals.refusal(err.value), refusals.coded(body["code"], body["params"], body.get("field"))):
        assert message is not None
        assert i18n.render("en", message) == "Give the reason for declining."
        assert not i18n.render("ru", message).isascii()


def test_a_payload_refused_by_its_schema_is_named_by_the_error_type() -> None:
    body = {"error": "unprocessable", "code": "record.payload_invalid", "field": "reason",
            "params": {"kind": "operation.answer", "detail": "reason String should have at most 2000 characters",
                       "type": "string_too_long", "limit": 2000}}
    message = refusals.coded(body["code"], body["params"], body["field"])
    assert message is not None
    assert i18n.render("uk", message) == "Причина: щонайбільше 2\u00a0000 символів."


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


# The error classes of ``parley.errors`` and those derived from them anywhere in ``src/parley``.
SRC = Path(__file__).resolve().parents[2] / "src" / "parley"
# Refusals that may stay without a code, each with why. None today.
UNCODED: dict[str, str] = {}


def _error_classes(trees: dict[Path, ast.Module]) -> set[str]:
    names = {"ParleyError"}
    while True:
        more = {node.name for tree in trees.values() for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
                and any(isinstance(b, ast.Name | ast.Attribute) and (b.id if isinstance(b, ast.Name) else b.attr)
                        in names for b in node.bases)} - names
        if not more:
            return names | {"SpreadsheetError"}  # a list's file: its code becomes the import's refusal
        names |= more


def _is_code(arg: ast.expr) -> bool:
    """A Code constant (``C.NO_PERSON``, ``NO_PARTY``), one of two (``A if … else B``), or a helper's ``code``/``what``
    parameter that is itself given a Code."""
    if isinstance(arg, ast.IfExp):
        return _is_code(arg.body) and _is_code(arg.orelse)
    if isinstance(arg, ast.Attribute):
        return arg.attr.isupper() or arg.attr == "code"  # a list file's SpreadsheetError: its Code
    if isinstance(arg, ast.Name):
        return arg.id.isupper() or arg.id in ("code", "what") or arg.id == "_ENTITIES"
    return False


def test_every_refusal_raised_in_the_sources_has_a_code() -> None:
    trees = {p: ast.parse(p.read_text(), str(p)) for p in SRC.rglob("*.py")}
    errors = _error_classes(trees)
    uncoded, calls = [], 0
    for path, tree in trees.items():
        # The error classes this module names: imported, or its own (another ``Conflict`` is not a refusal).
        here = {a.asname or a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                for a in node.names if a.name in errors}
        here |= {node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef) and node.name in errors
                 and (node.bases or node.name == "ParleyError")}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.id if isinstance(node.func, ast.Name) and node.func.id in here else \
                node.func.attr if isinstance(node.func, ast.Attribute) and node.func.attr in errors else ""
            if name or (path.name == "geo.py" and isinstance(node.func, ast.Name) and node.func.id == "_fail"):
                calls += 1
                where = f"{path.relative_to(SRC.parent)}:{node.lineno}"
                if not _is_code(node.args[0]) and where not in UNCODED:
                    uncoded.append(f"{where}: {name or '_fail'}({ast.unparse(node.args[0])[:80]})")
    assert calls > 220  # the scan sees the raise sites
    assert uncoded == []


def test_the_scan_catches_a_sentence_and_an_f_string() -> None:
    for source in ('raise Conflict("a sentence")', 'raise NotFound(f"no person {pid!r}")', "raise Forbidden(str(exc))"):
        call = ast.parse(source).body[0].exc  # type: ignore[attr-defined]
        assert not _is_code(call.args[0]), source
    for source in ("raise Conflict(C.EXISTS, zone=z)", "raise Forbidden(A if x else B, party=p)"):
        call = ast.parse(source).body[0].exc  # type: ignore[attr-defined]
        assert _is_code(call.args[0]), source
