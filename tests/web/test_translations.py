"""Every message the interface shows has a Ukrainian and a Russian translation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from parley.parties.naming import PARTY_KINDS, ROLES
from parley.web import i18n
from parley.web.routes import KIND_LABELS

WEB = Path(i18n.__file__).parent


def messages() -> set[str]:
    found: set[str] = set()
    for tpl in (WEB / "templates").glob("*.html"):
        text = tpl.read_text()
        found |= {m.group(2) for m in re.finditer(r"""_\(\s*(["'])(.*?)\1""", text)}
        found |= {m.group(2) for m in re.finditer(r"""\(\s*"(en|uk|ru)",\s*"([^"]+)"\)""", text)}
    routes = (WEB / "routes.py").read_text()
    found |= {m.group(1) for m in re.finditer(r'errors=\{[^}]*?"([A-Z][^"]+)"', routes)}
    found |= {m.group(1) for m in re.finditer(r'(?:title|message)="([^"]+)"', routes)}
    found |= {m.group(1) for m in re.finditer(r'not_found\(request, who, "([^"]+)"\)', routes)}
    found |= {m.group(1) for m in re.finditer(r'errors\["\w+"\] = "([^"]+)"', routes)}
    found |= {m.group(1) for m in re.finditer(r'HTTPException\(403, "([^"]+)"\)', routes)}
    return found | set(KIND_LABELS.values()) | set(ROLES) | set(PARTY_KINDS)


@pytest.mark.parametrize("lang", ["uk", "ru"])
def test_every_message_is_translated(lang):
    cat = i18n.catalogue(lang)
    missing = sorted(m for m in messages() if m not in cat)
    assert missing == []
    assert len(messages()) > 100


def test_placeholders_survive_translation():
    for lang in ("uk", "ru"):
        for en, tr in i18n.catalogue(lang).items():
            assert set(re.findall(r"{\w+}", en)) == set(re.findall(r"{\w+}", tr)), (lang, en)
