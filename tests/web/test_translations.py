"""Every message the interface shows has a Ukrainian and a Russian translation.

The messages are found as a translator's tools find them: Babel's extractors over every Python module of
``parley`` (the keywords ``i18n.PYTHON_KEYWORDS``: ``N_``, ``NP_``, ``Message``, ``Plural``, ``i18n.gettext``,
``i18n.ngettext``) and every template (``_`` and ``ngettext``). A message a page shows that is none of these
is a defect of its own; ``test_language_pages.py`` catches those on real pages."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from parley.assembly import kinds
from parley.operations import kinds as op_kinds
from parley.parties.naming import PARTY_KINDS, ROLES
from parley.people import kinds as people_kinds
from parley.web import i18n, labels, refusals

WEB = Path(i18n.__file__).parent
SRC = WEB.parent
PLACEHOLDER = re.compile(r"{(\w+)}")

Singular = str
Plural = tuple[str, str]


@cache
def extracted() -> dict[Singular | Plural, list[str]]:
    """Every message of the interface → where it is used (``file:line``)."""
    found: dict[Singular | Plural, list[str]] = {}
    runs = ((SRC, [("**.py", "python")], i18n.PYTHON_KEYWORDS),
            (WEB / "templates", [("**.html", "jinja2.ext:babel_extract")], i18n.TEMPLATE_KEYWORDS))
    for directory, methods, keywords in runs:
        for filename, lineno, message, _, _ in extract_from_dir(directory, methods, keywords=keywords):
            key = tuple(message) if isinstance(message, tuple | list) else message
            found.setdefault(key, []).append(f"{filename}:{lineno}")  # type: ignore[arg-type]
    return found


def test_extraction_finds_the_messages_of_modules_and_templates():
    found = extracted()
    # From templates, from Python (N_, NP_, Message), singular and plural, and from the refusals' mapping.
    assert "Records you may read" in found and "Not allowed" in found
    assert ("{n} person shown.", "{n} persons shown.") in found
    assert ("{n} person", "{n} persons") in found
    assert "Give the reason for declining." in found and "Status of an operation changed" in found
    assert any(p.startswith("web/refusals.py") for p in found["Give the reason for declining."])
    # From the page groups' packages too.
    assert any(p.startswith("web/people/") for p in found["Choose a file (XLSX or CSV)."])
    assert any(p.startswith("web/operations/") for p in found["Choose a time zone."])
    assert any(p.startswith("operation.html") for p in found["Timeline"])
    assert len(found) > 600


@pytest.mark.parametrize("lang", ["uk", "ru"])
def test_every_message_is_translated(lang):
    singular, plural = i18n.catalogue(lang), i18n.plurals(lang)
    missing = sorted(f"{m!r} ({found[0]})" for m, found in extracted().items()
                     if (m not in plural if isinstance(m, tuple) else m not in singular))
    assert missing == []


@pytest.mark.parametrize("lang", ["uk", "ru"])
def test_plural_messages_have_every_form_of_the_language(lang):
    forms = i18n.plurals(lang)
    for m in (m for m in extracted() if isinstance(m, tuple)):
        assert len(forms[m]) == 3, (lang, m)  # one, few, many: 1 особа, 2 особи, 5 осіб
        assert all(set(PLACEHOLDER.findall(f)) == set(PLACEHOLDER.findall(m[1])) for f in forms[m]), (lang, m)


def test_plural_rule_of_the_catalogues():
    cases = {1: 0, 2: 1, 4: 1, 5: 2, 11: 2, 12: 2, 14: 2, 21: 0, 22: 1, 25: 2, 101: 0, 111: 2, 0: 2}
    for lang in ("uk", "ru"):
        t = i18n.translations(lang)
        for n, form in cases.items():
            assert t.ngettext("{n} person", "{n} persons", n) == i18n.plurals(lang)[("{n} person", "{n} persons")][form]
    assert [i18n.ngettext("uk", "{n} person", "{n} persons", n) for n in (1, 2, 5, 21, 1234)] == \
        ["1 особа", "2 особи", "5 осіб", "21 особа", "1\u00a0234 особи"]
    assert [i18n.ngettext("ru", "{n} person", "{n} persons", n) for n in (1, 2, 5, 11)] == \
        ["1 лицо", "2 лица", "5 лиц", "11 лиц"]
    assert [i18n.ngettext("en", "{n} person", "{n} persons", n) for n in (1, 2)] == ["1 person", "2 persons"]


def test_placeholders_survive_translation():
    for lang in ("uk", "ru"):
        for en, tr in i18n.catalogue(lang).items():
            assert set(PLACEHOLDER.findall(en)) == set(PLACEHOLDER.findall(tr)), (lang, en)


def test_every_code_a_page_names_has_a_label():
    assert set(labels.KIND_LABELS) == set(kinds())  # every kind the log accepts, not the spine's alone
    assert set(labels.ROLE_LABELS) == set(ROLES) and set(labels.PARTY_KIND_LABELS) == set(PARTY_KINDS)
    codes = {*op_kinds.OPERATION_KINDS, *op_kinds.CATEGORIES, *op_kinds.INCIDENT_TYPES, *op_kinds.OBSERVED,
             *op_kinds.ZONE_KINDS, *op_kinds.MOVEMENTS, *op_kinds.ACTIONS,
             *(to for _, to in op_kinds.ACTIONS.values()), "proposed", "acknowledged", "revised"}
    assert codes <= set(labels.OPERATION_LABELS), codes - set(labels.OPERATION_LABELS)
    assert set(people_kinds.CATEGORIES) == set(labels.CATEGORY_LABELS)
    assert set(people_kinds.EVENTS) <= set(labels.EVENT_LABELS)


def test_every_message_of_the_refusals_is_a_message():
    found = extracted()
    assert len(refusals.BY_CODE) >= 230
    for target in (*refusals.BY_CODE.values(), *(t for _, t in refusals.REASONS)):
        assert target in found, target
    for target in refusals.PYDANTIC.values():
        assert target in found, target
