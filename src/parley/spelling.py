"""Spelling across scripts, for names of persons and of places: ``clean``, ``script``, ``to_latin`` and
``phonetic``, the script-level layer of the registry's name matching (``parley.people.names`` builds the
dictionary layer on it, and describes the keys). Shared below the capabilities: the registry matches persons
with it, operations line up places each side spells its own way (Новоазовск, Novoazovsk)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_APOSTROPHES = str.maketrans(dict.fromkeys("`’ʼ´‘ʹʻ′", "'"))
_UK_ONLY = set("іїєґ")
_RU_ONLY = set("ыэъё")
_CYR = re.compile(r"[а-яёіїєґ]")
_LAT = re.compile(r"[a-z]")
# Letters that look alike in the two scripts (what is typed by mistake on the other keyboard layout).
_LAT_TO_CYR = str.maketrans("aceiopxykmthb", "асеіорхукмтнв")
_CYR_TO_LAT = str.maketrans("асеіорхукмтнв", "aceiopxykmthb")
_NOT_NAME = re.compile(r"[^\w' -]+")

_CYR_TABLE = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "є": "ie", "ё": "io", "ж": "zh",
    "з": "z", "и": "i", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "iu", "я": "ia", "'": "",
}
_UK_TABLE = {**_CYR_TABLE, "г": "h", "и": "y"}
_LATIN_SPECIAL = {
    "š": "sh", "ž": "zh", "č": "ch", "ŝ": "shch", "ć": "ch", "ś": "s", "ź": "z", "ż": "zh", "ł": "l",
    "ß": "ss", "ä": "a", "ö": "o", "ü": "u", "ǵ": "g", "ẑ": "zh", "ĉ": "ch", "ħ": "kh", "ĥ": "kh",
    "ŭ": "u", "ĭ": "i", "ė": "e", "è": "e", "é": "e", "ë": "e", "ï": "i", "î": "i", "ì": "i", "ò": "o",
    "ó": "o", "ô": "o", "à": "a", "á": "a", "â": "a", "ù": "u", "ú": "u", "û": "u", "ÿ": "y", "ñ": "n",
    "ǎ": "a", "ě": "e", "ę": "e", "ą": "a", "ň": "n", "ř": "r", "ť": "t", "ď": "d", "ɡ": "g",
}

# (pattern, class) for Latin, tried longest first at each position.
_COMMON = [
    ("schtsch", "Z"), ("shtch", "Z"), ("shch", "Z"), ("chtch", "Z"), ("szcz", "Z"), ("sch", "Z"),
    ("tsch", "Z"), ("tch", "Z"), ("shh", "Z"), ("zh", "Z"), ("sh", "Z"), ("cz", "Z"), ("sz", "Z"),
    ("kh", "G"), ("gh", "G"), ("ts", "S"), ("tz", "S"), ("tc", "S"), ("ph", "F"), ("th", "T"),
    ("q", "K"), ("w", "V"),
]
_SINGLE = {"g": "G", "h": "G", "k": "K", "s": "S", "z": "S", "v": "V", "f": "F", "b": "B", "d": "D",
           "l": "L", "m": "M", "n": "N", "p": "P", "r": "R", "t": "T"}
_VOWELS = set("aeiouyj")


def _style(word: str) -> str:
    """Which Latin spelling tradition a word follows, as far as the word shows it."""
    if "sch" in word or "w" in word or re.match(r"ch[^aeiouy]", word):
        return "de"
    if "ou" in word:
        return "fr"
    return "en"


_TOKEN = re.compile("|".join(re.escape(p) for p, _ in _COMMON) + "|ch|.")
_COMMON_CLASS = dict(_COMMON)
_NOT_LOWER = re.compile(r"[^a-z]")
_REPEAT = re.compile(r"(.)\1+")


@lru_cache(maxsize=1 << 20)
def phonetic(word: str) -> str:
    """Parley's Slavic phonetic key of one word (any script); "" for a word without letters."""
    w = _NOT_LOWER.sub("", to_latin(word))
    if not w:
        return ""
    style = _style(w)
    out: list[str] = []
    tokens = _TOKEN.findall(w)
    n = len(tokens)
    for i, t in enumerate(tokens):
        cls = _COMMON_CLASS.get(t)
        if cls is not None:
            out.append(cls)
            continue
        if t == "ch":
            out.append("G" if style == "de" else "Z")
            continue
        nxt = tokens[i + 1][0] if i + 1 < n else ""
        if t == "c":
            # c is ц (ISO 9, GOST, Polish spellings) except before a, o, u, l, r, t: Nicolai, Victor
            out.append("K" if nxt in ("a", "o", "u", "l", "r", "t") else "S")
        elif t == "x":
            # x is кс (Alexei, Maxim) except where it stands for х (ISO 9: Xmel'nyc'kyj, Xarkiv)
            initial_h = i == 0 and nxt not in ("e", "")
            out.append("G" if initial_h or (nxt and nxt not in _VOWELS and nxt != "s") else "KS")
        elif t == "j" and style == "fr":
            out.append("Z")
        elif t in _VOWELS:
            out.append("a" if i == 0 else "")
        else:
            out.append(_SINGLE.get(t, ""))
    key = "".join(out)
    key = ("A" + key[1:]) if key.startswith("a") else key
    key = key.replace("a", "")
    return _REPEAT.sub(r"\1", key)


def _fix_mixed(word: str) -> str:
    cyr, lat = len(_CYR.findall(word)), len(_LAT.findall(word))
    if cyr and lat:
        return word.translate(_LAT_TO_CYR) if cyr >= lat else word.translate(_CYR_TO_LAT)
    return word


@lru_cache(maxsize=1 << 20)
def clean(text: str | None) -> str:
    """Lower-case words with one kind of apostrophe, mixed scripts repaired, no punctuation but ' and -."""
    if not text:
        return ""
    t = unicodedata.normalize("NFKC", str(text)).translate(_APOSTROPHES).lower()
    t = _NOT_NAME.sub(" ", t.replace("_", " "))
    words = [_fix_mixed(w.strip("'-")) for w in t.split()]
    return " ".join(w for w in words if w)


def script(text: str | None) -> str:
    """"uk" (Ukrainian letters), "ru" (Russian letters), "cyr" (Cyrillic, either), "lat", or ""."""
    t = clean(text)
    if _CYR.search(t):
        letters = set(t)
        if letters & _UK_ONLY:
            return "uk"
        if letters & _RU_ONLY:
            return "ru"
        return "cyr"
    return "lat" if _LAT.search(t) else ""


@lru_cache(maxsize=1 << 20)
def to_latin(word: str) -> str:
    """One plain ASCII spelling of ``word``: Cyrillic by Parley's fixed table, Latin without diacritics."""
    w = clean(word)
    if _CYR.search(w):
        table = _UK_TABLE if set(w) & _UK_ONLY else _CYR_TABLE
        return "".join(table.get(c, c) for c in w)
    w = "".join(_LATIN_SPECIAL.get(c, c) for c in w)
    w = unicodedata.normalize("NFKD", w)
    return "".join(c for c in w if not unicodedata.combining(c) and c != "'").encode("ascii", "ignore").decode()
