"""One way to show a probability to people, on every page, in the command line and in exports: a percentage
with one decimal, written as the language writes numbers ("99.4 %" in English, "99,4 %" in Ukrainian and
Russian), "> 99.9 %" and "< 0.1 %" at the ends (never "100 %" or "0 %": the model is never certain), "—" when
there is none. Machine answers (the API's JSON) keep the number itself.

A search's match score is not a probability: ``search_share`` turns it into the share of the best score the
query can reach, shown the same way.
"""

from __future__ import annotations

from babel.numbers import format_decimal

__all__ = ["probability", "search_share"]


def _decimal(lang: str, value: float) -> str:
    return format_decimal(value, format="#,##0.0", locale=lang if lang in ("uk", "ru", "en") else "en")


def probability(p: float | None, lang: str = "en") -> str:
    """``p`` (0 to 1) as a percentage in ``lang``: "99.4 %", "> 99.9 %", "< 0.1 %", or "—" for none."""
    if p is None:
        return "—"
    if p < 0.0005:
        return f"< {_decimal(lang, 0.1)} %"
    if p >= 0.9995:
        return f"> {_decimal(lang, 99.9)} %"
    return f"{_decimal(lang, p * 100)} %"


def search_share(query: str, score: float | None) -> float | None:
    """A name search's score (``people.service.search``) as the share of the best score ``query`` can reach:
    every word of the query matched exactly, and its year of birth when it gives one."""
    if score is None:
        return None
    tokens = query.split()
    words = [t for t in tokens if not t.isdigit()][:4]
    year = any(t.isdigit() and len(t) == 4 for t in tokens)
    best = (max(1, len(words)) if words else 0.5) + (0.3 if year else 0.0)
    return max(0.0, min(1.0, score / best))
