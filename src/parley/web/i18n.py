"""Languages of the interface: Ukrainian, Russian and English. Catalogues are gettext .po files read
with Babel when first needed (no compile step); English is the source language."""

from __future__ import annotations

import functools
from datetime import datetime
from pathlib import Path

from babel import Locale
from babel.core import negotiate_locale
from babel.dates import format_datetime
from babel.messages.pofile import read_po

LANGUAGES = ("uk", "ru", "en")
NAMES = {"uk": "Українська", "ru": "Русский", "en": "English"}
CATALOGUES = Path(__file__).parent / "i18n"


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    path = CATALOGUES / lang / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as f:
        cat = read_po(f, locale=lang)
    return {m.id: m.string for m in cat if m.id and m.string and not m.fuzzy}


def gettext(lang: str, message: str, **values: object) -> str:
    text = catalogue(lang).get(message, message) if lang != "en" else message
    return text.format(**values) if values else text


def choose(query: str | None, cookie: str | None, accept: str | None) -> str:
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return candidate  # type: ignore[return-value]
    wanted = [part.split(";")[0].strip().replace("-", "_") for part in (accept or "").split(",") if part.strip()]
    return negotiate_locale(wanted, list(LANGUAGES), sep="_") or "en"


def when(lang: str, value: datetime | str) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return format_datetime(value, "medium", locale=Locale.parse(lang))
