"""Languages of the interface: Ukrainian, Russian and English. Catalogues are gettext .po files read
with Babel when first needed (no compile step); English is the source language.

Every string a person reads on a page comes from the catalogue:

- ``gettext(lang, message, **values)`` and, in templates, ``_(message, **values)``;
- ``ngettext(lang, singular, plural, n, **values)`` (in templates ``ngettext(singular, plural, n, ...)``) for
  counts, with the catalogue's plural rule (uk and ru have three forms: 1 особа, 2 особи, 5 осіб);
- ``N_(message)`` marks a message that is translated later, where it is shown (labels of codes, messages
  put in a form's errors); ``Message`` is such a message with its parameters, translated when rendered;
- ``duration``, ``local_time``, ``utc_time`` and ``when`` format time with Babel in the page's language.

``tests/web/test_translations.py`` extracts the messages with Babel's extractors from every module and
template (the keywords are ``PYTHON_KEYWORDS`` and ``TEMPLATE_KEYWORDS``) and fails on any without a
Ukrainian or Russian entry.
"""

from __future__ import annotations

import contextlib
import functools
import gettext as _gettext
import io
import zoneinfo
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from babel import Locale
from babel.core import negotiate_locale
from babel.dates import format_date, format_datetime, format_skeleton, get_timezone, get_timezone_location
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.units import format_unit

LANGUAGES = ("uk", "ru", "en")
NAMES = {"uk": "Українська", "ru": "Русский", "en": "English"}
CATALOGUES = Path(__file__).parent / "i18n"

# The functions whose literal arguments are messages, as Babel's extractors take them (argument positions,
# 1-based): in Python modules, and in templates (where the language is implicit).
PYTHON_KEYWORDS: dict[str, Any] = {"N_": None, "NP_": (1, 2), "Message": None, "Plural": (1, 2),
                                   "gettext": (2,), "ngettext": (2, 3)}
TEMPLATE_KEYWORDS: dict[str, Any] = {"_": None, "ngettext": (1, 2)}


def N_(message: str) -> str:
    """Marks ``message`` for the catalogue; it is translated where it is shown."""
    return message


def NP_(singular: str, plural: str) -> tuple[str, str]:
    """Marks a message with a count (``{n}``) for the catalogue, in its singular and plural forms."""
    return singular, plural


@dataclass(frozen=True)
class Message:
    """A message and its parameters, translated in the language of the page that shows it. Parameters may be
    messages themselves (a field's label, a status), translated with it."""

    id: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __init__(self, id: str, /, **params: Any) -> None:
        object.__setattr__(self, "id", id)
        object.__setattr__(self, "params", params)

    def render(self, lang: str) -> str:
        return gettext(lang, self.id, **self.params)

    def __str__(self) -> str:  # English, for logs and the API
        return self.render("en")


@dataclass(frozen=True)
class Plural:
    """A count with its singular and plural message, translated with the catalogue's plural rule when shown."""

    singular: str
    plural: str
    n: int
    params: Mapping[str, Any] = field(default_factory=dict)

    def __init__(self, singular: str, plural: str, n: int, /, **params: Any) -> None:
        object.__setattr__(self, "singular", singular)
        object.__setattr__(self, "plural", plural)
        object.__setattr__(self, "n", n)
        object.__setattr__(self, "params", params)

    def render(self, lang: str) -> str:
        return ngettext(lang, self.singular, self.plural, self.n, **self.params)

    def __str__(self) -> str:
        return self.render("en")


class Verbatim(str):
    """Text shown as it was written (a note a member typed), never looked up in the catalogue."""

    def render(self, lang: str) -> str:
        return str(self)


def _read(lang: str) -> Any:
    path = CATALOGUES / lang / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return None
    with path.open("rb") as f:
        return read_po(f, locale=lang)


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """The translated singular messages of ``lang`` (message → translation); fuzzy entries are left out."""
    cat = _read(lang)
    if cat is None:
        return {}
    return {m.id: m.string for m in cat if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}


@functools.cache
def plurals(lang: str) -> dict[tuple[str, str], tuple[str, ...]]:
    """The translated plural messages of ``lang``: (singular, plural) → every form the language has."""
    cat = _read(lang)
    if cat is None:
        return {}
    return {tuple(m.id): tuple(m.string) for m in cat  # type: ignore[misc]
            if isinstance(m.id, tuple | list) and all(m.string) and not m.fuzzy}


@functools.cache
def translations(lang: str) -> _gettext.NullTranslations:
    """gettext's translations of ``lang``, with the plural rule of the catalogue's Plural-Forms header."""
    cat = _read(lang) if lang != "en" else None
    if cat is None:
        return _gettext.NullTranslations()
    buf = io.BytesIO()
    write_mo(buf, cat)  # fuzzy entries are left out
    buf.seek(0)
    return _gettext.GNUTranslations(buf)


# Tests collect the messages a page looked up and did not find (``missing()``); nothing is kept otherwise.
_misses: list[set[str]] = []


@contextlib.contextmanager
def missing() -> Iterator[set[str]]:
    """The messages looked up in Ukrainian or Russian with no entry in the catalogue, while this is open."""
    found: set[str] = set()
    _misses.append(found)
    try:
        yield found
    finally:
        _misses.remove(found)


def _miss(lang: str, message: str) -> None:
    if _misses and lang != "en":
        for found in _misses:
            found.add(message)


def _values(lang: str, values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.render(lang) if hasattr(v, "render") else
            number(lang, v) if isinstance(v, int | float) and not isinstance(v, bool) else v for k, v in values.items()}


def render(lang: str, message: Any) -> str:
    """A ``Message``, ``Plural`` (or anything with a ``render(lang)``) or a plain message, in ``lang``."""
    if hasattr(message, "render"):
        return str(message.render(lang))
    return gettext(lang, message)


def gettext(lang: str, message: str | Message | Plural, **values: object) -> str:
    if hasattr(message, "render"):
        return str(message.render(lang))
    if not isinstance(message, str):
        message = str(message)
    if lang == "en":
        text = message
    else:
        text = catalogue(lang).get(message, message)
        if text is message and message:
            _miss(lang, message)
    return text.format(**_values(lang, values)) if values else text


def ngettext(lang: str, singular: str, plural: str, n: int, **values: object) -> str:
    """The form of the message for ``n`` in ``lang`` (uk, ru: one, few, many), with ``{n}`` and ``values``
    put in; ``n`` is written with the language's digit grouping."""
    if lang != "en" and (singular, plural) not in plurals(lang):
        _miss(lang, singular)
    text = translations(lang if lang in LANGUAGES else "en").ngettext(singular, plural, n)
    return text.format(**_values(lang, {"n": n, **values}))


def number(lang: str, n: int | float) -> str:
    return format_decimal(n, locale=Locale.parse(lang))


def decimal(lang: str, value: float, digits: int) -> str:
    """``value`` with ``digits`` decimals, as the language writes it: 99.4 in English, 99,4 in uk and ru."""
    return format_decimal(value, format="#,##0." + "0" * digits if digits else "#,##0", locale=Locale.parse(lang))


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


def day(lang: str, value: date) -> str:
    """A date without a time, as the reader's language writes it."""
    return format_date(value, "medium", locale=Locale.parse(lang))


def _tz(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def local_time(lang: str, t: datetime | None, tz: str = "UTC") -> str:
    """A moment in the time zone ``tz``, as the language writes a date and time, with the zone's offset:
    "4 груд. 2026 р., 08:00 UTC+2"."""
    if t is None:
        return ""
    zone = _tz(tz)
    locale = Locale.parse(lang)
    lt = t.astimezone(zone)
    return f"{_date_time(lt, locale)} {offset(lt)}"


def zone_name(lang: str, tz: str) -> str:
    """A time zone as the language names its city ("Київ" for Europe/Kyiv), or its identifier."""
    try:
        return str(get_timezone_location(get_timezone(tz), locale=Locale.parse(lang), return_city=True))
    except (LookupError, ValueError):
        return tz


def offset(t: datetime) -> str:
    """The offset from UTC of an aware moment, as "UTC+2", "UTC+5:30" or "UTC"."""
    minutes = int((t.utcoffset() or timedelta(0)).total_seconds()) // 60
    if not minutes:
        return "UTC"
    h, m = divmod(abs(minutes), 60)
    return f"UTC{'+' if minutes > 0 else '-'}{h}" + (f":{m:02d}" if m else "")


def utc_time(lang: str, t: datetime | None) -> str:
    """A moment in UTC, as the language writes a date and time: "4 груд. 2026 р., 06:00 UTC"."""
    if t is None:
        return ""
    return f"{_date_time(t.astimezone(UTC), Locale.parse(lang))} UTC"


def _date_time(t: datetime, locale: Locale) -> str:
    day = format_skeleton("yMMMd", t, tzinfo=t.tzinfo, locale=locale)
    return str(locale.datetime_formats["medium"]).replace("{1}", day).replace("{0}", f"{t:%H:%M}")


def duration(lang: str, seconds: int | None) -> str:
    """A time left or taken, in the language's units: "23 год 59 хв", "2 дн. 3 год", "5 min"."""
    if seconds is None:
        return ""
    locale = Locale.parse(lang)
    minutes = max(seconds, 0) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts: list[tuple[int, str]]
    if days:
        parts = [(days, "duration-day"), *([(hours, "duration-hour")] if hours else [])]
    elif hours:
        parts = [(hours, "duration-hour"), *([(mins, "duration-minute")] if mins else [])]
    else:
        parts = [(mins, "duration-minute")]
    return " ".join(format_unit(v, unit, length="short", locale=locale) for v, unit in parts)
