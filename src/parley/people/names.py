"""Names across scripts: the same person written in Ukrainian Cyrillic, in Russian Cyrillic with the Russian
form of the given name, and in Latin spellings of either (Ukraine's national system of 2010, the Russian
passport rules of 1997 and 2010/ICAO Doc 9303, GOST, BGN/PCGN, German and French spellings).

Three layers, each usable alone:

``clean(text)``
    Unicode NFKC, one apostrophe, lower case, letters of mixed scripts repaired (a Latin "о" typed into a
    Cyrillic word), everything but letters, digits, apostrophes, hyphens and spaces removed.

``to_latin(word)``
    One plain ASCII spelling of a word in any script, for string similarity (Jaro-Winkler): Cyrillic by a
    fixed table, Latin with its diacritics resolved (š → sh, ž → zh, ŝ → shch, ï → i).

``phonetic(word)``
    Parley's Slavic phonetic key: the sounds that the transliteration systems disagree on fall into one
    class each, so every system's spelling of a name gives the same key. Classes: hushing sibilants
    ж ш ч щ (zh sh ch tch tsch sch shch cz sz š ž č ŝ, French j) → ``Z``; hissing с з ц (s z c ts tz) →
    ``S``; г ґ х (g h kh gh, German ch) → ``G``; к (k c ck q) → ``K``; в (v w) → ``V``; ф (f ph) → ``F``;
    x → ``KS`` (or ``G`` where it stands for х); the other consonants as themselves. Vowels and й
    (a e i o u y j, ie/ye/je, ia/ya/ja …) are dropped, except that a word starting with a vowel starts with
    ``A``; repeated classes collapse. So
    Ковальов, Ковалёв, Kovalov, Kovalyov, Kovalev and Kowaljow are all ``KVLV``; Щербак, Shcherbak,
    Schtscherbak, Chtcherbak and Ŝerbak are all ``ZRBK``. Which spelling tradition a Latin word follows is
    read from the word itself (German: "sch", "w", an initial "ch" before a consonant; French: "ou"),
    because "ch" is ч in English, ш in French and х in German.

``canonical_given / canonical_patronymic / canonical_surname(word)``
    The key of the Russian form of the name: a Ukrainian Cyrillic name is first translated with the
    ``names_translator`` dictionaries (Микола → Николай, Олексійович → Алексеевич, Ковальов → Ковалев),
    and a Latin given name or patronymic is mapped through the keys of the same dictionaries
    (Mykola → ``MKL`` → ``NKL``). So Микола, Mykola, Николай and Nikolay share a key.

``features(surname, first_name, patronymic)`` gathers everything the matcher compares.

A ``Normaliser`` can be built with part of the dictionaries hidden (``exclude``): the linkage benchmark
holds out names that way, to measure the matcher on names its dictionaries do not know.

The tables derived from the whole dictionaries (the key maps for Latin spellings, the initials of each
given name's forms) are shipped precomputed in ``parley.people._name_tables`` (written by
``scripts/build_name_keys.py``; a test checks it is current) and computed at first use only where they do
not apply: entries hidden, or another version of ``names_translator`` installed.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any, ClassVar

from parley.spelling import _CYR, _RU_ONLY, clean, phonetic, script, to_latin


class Normaliser:
    """Canonical keys of names, from the ``names_translator`` dictionaries (all of them, or all but the
    entries ``exclude`` hides: ``exclude(pool, ukrainian, russian) -> True`` for a pair of the pool
    "first", "patronymic" or "last", both in ``clean`` form)."""

    POOLS: ClassVar[dict[str, str]] = {"surname": "last", "given": "first", "patronymic": "patronymic"}

    def __init__(self, exclude: Callable[[str, str, str], bool] | None = None) -> None:
        from names_translator.dicts import default_dicts

        self._dicts = default_dicts()
        self._exclude = exclude
        self._maps: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], str] = {}
        self._parts: dict[tuple[str, str], tuple[str, str, str, str]] = {}
        self._bulk: dict[str, dict[str, str]] = {}
        self._lookups: dict[str, int] = {}

    # Ukrainian → Russian form of one Cyrillic word
    def russian_form(self, word: str, kind: str) -> str:
        w = clean(word)
        if not w or not _CYR.search(w) or set(w) & _RU_ONLY:
            return w
        pool = self.POOLS[kind]
        found = self._lookup(w, pool)
        if not found:
            return w
        ru = clean(found)
        return w if self._exclude is not None and self._exclude(pool, w, ru) else ru

    # After this many look-ups in one pool, the whole pool is loaded as a dict (O(1) instead of a DAWG walk
    # per word, about 50 µs). Loading costs as much as some 10^5 walks for the surnames (a few seconds) and
    # a few 10^4 for the other pools; :meth:`prefetch` loads at once when a batch will need that many.
    _BULK_AFTER = 20_000
    _BULK_WORTH: ClassVar[dict[str, int]] = {"last": 90_000}

    def prefetch(self, kind: str, lookups: int) -> None:
        """About ``lookups`` distinct words of ``kind`` are coming: load the whole pool now if that is
        cheaper than looking each word up (it is already loaded after ``_BULK_AFTER`` look-ups)."""
        pool = self.POOLS[kind]
        if pool not in self._bulk and lookups >= self._BULK_WORTH.get(pool, self._BULK_AFTER):
            self._load_bulk(pool)

    def _load_bulk(self, pool: str) -> None:
        from names_translator.dicts import LEGACY

        with self._lock:
            if LEGACY not in self._bulk:
                self._bulk[LEGACY] = {k: v[0] for k, v in self._dicts.as_dict(LEGACY).items() if v}
            if pool not in self._bulk:
                self._bulk[pool] = {k: v[0] for k, v in self._dicts.as_dict(pool).items() if v}

    def _lookup(self, w: str, pool: str) -> str | None:
        """The first Russian form of the Ukrainian ``w`` (``clean`` form) in ``pool`` (or the legacy pool),
        as ``names_translator``'s ``lookup_key`` gives it."""
        bulk = self._bulk.get(pool)
        if bulk is None:
            n = self._lookups[pool] = self._lookups.get(pool, 0) + 1
            if n > self._BULK_WORTH.get(pool, self._BULK_AFTER):
                self._load_bulk(pool)
                return self._lookup(w, pool)
            found = self._dicts.lookup_key(w, pool)
            return found[0] if found else None
        from names_translator.dicts import LEGACY

        return bulk.get(w) or self._bulk[LEGACY].get(w)

    def _keymap(self, kind: str) -> dict[str, str]:
        """Phonetic key of a Ukrainian given name or patronymic → key of its Russian form, where they differ
        (for Latin spellings, which the dictionaries cannot look up)."""
        if kind not in self._maps:
            with self._lock:
                if kind not in self._maps:
                    shipped = self._shipped()
                    self._maps[kind] = shipped.KEYMAPS[kind] if shipped else self._build_keymap(kind)
        return self._maps[kind]

    def _shipped(self) -> Any:
        """The tables precomputed from the installed dictionaries (``parley.people._name_tables``, written by
        ``scripts/build_name_keys.py``), or None where they do not apply: some entries are hidden
        (``exclude``), or the installed ``names_translator`` is not the one they were computed from."""
        return None if self._exclude is not None else _shipped_tables()

    def _build_keymap(self, kind: str) -> dict[str, str]:
        pool = self.POOLS[kind]
        votes: dict[str, Counter[str]] = defaultdict(Counter)
        for uk, forms in self._dicts.as_dict(pool).items():
            if not forms or (self._exclude is not None and self._exclude(pool, uk, clean(forms[0]))):
                continue
            ru_key = phonetic(forms[0])
            uk_key = phonetic(uk)
            if uk_key and ru_key and uk_key != ru_key:
                votes[uk_key][ru_key] += 1
        # Every Ukrainian key goes to the Russian key most of its names translate to, even where some rare
        # Russian name has the Ukrainian key too (КТРН: Катерина is also a Russian form of Екатерина): the
        # map is applied to every spelling, Cyrillic or Latin, so the two merge consistently.
        out = {uk_key: c.most_common(1)[0][0] for uk_key, c in votes.items()}
        # no chains: a target that is itself mapped is resolved once
        return {k: out.get(v, v) for k, v in out.items()}

    def _initials_map(self) -> dict[str, str]:
        """Canonical key of a given name → the initials its forms start with (sorted, as one string), where
        they are more than one: Микола and Николай are both ``NKL``, written М/M and Н/N."""
        if "initials" not in self._maps:
            shipped = self._shipped()
            table = shipped.INITIALS if shipped else self._build_initials(self._keymap("given"))
            with self._lock:
                self._maps.setdefault("initials", table)
        return self._maps["initials"]

    def _build_initials(self, keymap: dict[str, str]) -> dict[str, str]:
        pool = self.POOLS["given"]
        found: dict[str, set[str]] = defaultdict(set)
        for uk, forms in self._dicts.as_dict(pool).items():
            if not forms or (self._exclude is not None and self._exclude(pool, uk, clean(forms[0]))):
                continue
            ru_key = phonetic(forms[0])
            key = keymap.get(ru_key, ru_key)
            if key:
                found[key].update(k[:1] for k in (key, ru_key, phonetic(uk)) if k)
        return {k: "".join(sorted(v)) for k, v in sorted(found.items()) if len(v) > 1}

    def tables(self) -> dict[str, Any]:
        """The tables derived from the dictionaries, computed now (never the shipped ones): what
        ``scripts/build_name_keys.py`` writes into ``parley.people._name_tables``."""
        keymaps = {kind: dict(sorted(self._build_keymap(kind).items())) for kind in ("given", "patronymic")}
        return {"KEYMAPS": keymaps, "INITIALS": self._build_initials(keymaps["given"])}

    def initials(self, text: str | None) -> tuple[str, str]:
        """(initial, other initial) of a given name: the initial of its canonical key (``first_initial``) and
        the other letter an equivalent form starts with, or "": Микола, Николай, Mykola and Nikolay all give
        ("N", "M"), so that «М.» on a Ukrainian list and «Н.» on a Russian one agree with each of them. The
        initials are phonetic classes (``phonetic``), so a Latin and a Cyrillic initial compare directly. A
        name of one letter (an initial) has no other initial."""
        c, key, _, _ = self.part(text, "given")
        first = (key or phonetic(c))[:1]
        words = c.replace("-", " ").split()
        if not first or len(c) <= 1 or not words:
            return first, ""
        key1 = key.split()[0] if key else ""
        options = set(self._initials_map().get(key1, ""))
        options.add(phonetic(words[0])[:1])  # as written (the Russian form's initial is the key's or in the table)
        options -= {first, ""}
        # the dictionaries give at most two initials per key; were there more, the first is kept
        return first, min(options) if options else ""

    def key(self, word: str, kind: str) -> str:
        """The canonical key of one name (several words joined by spaces), ``kind`` surname, given or
        patronymic."""
        ck = (word, kind)
        hit = self._cache.get(ck)
        if hit is not None:
            return hit
        parts = []
        for w in clean(word).replace("-", " ").split():
            k = phonetic(self.russian_form(w, kind))
            if kind != "surname":
                k = self._keymap(kind).get(k, k)
            if k:
                parts.append(k)
        out = " ".join(parts)
        if len(self._cache) > 500_000:
            self._cache.clear()
        self._cache[ck] = out
        return out

    def latin(self, word: str, kind: str) -> str:
        """The Latin spelling compared by Jaro-Winkler: of the Russian form for Cyrillic, as written for Latin."""
        return " ".join(to_latin(self.russian_form(w, kind)) for w in clean(word).replace("-", " ").split())

    def part(self, text: str | None, kind: str) -> tuple[str, str, str, str]:
        """(clean, canonical key, Latin spelling, script) of one name part; ``kind`` surname, given or
        patronymic. Computed once per distinct text (the lists repeat names a lot)."""
        ck = (text or "", "part:" + kind)
        hit = self._parts.get(ck)
        if hit is not None:
            return hit
        c = clean(text)
        keys, latins = [], []
        keymap = self._keymap(kind) if kind != "surname" else None
        for w in c.replace("-", " ").split():
            r = self.russian_form(w, kind)
            k = phonetic(r)
            if keymap is not None:
                k = keymap.get(k, k)
            if k:
                keys.append(k)
            latins.append(to_latin(r))
        out = (c, " ".join(keys), " ".join(latins), script(c))
        if len(self._parts) > 1_000_000:
            self._parts.clear()
        self._parts[ck] = out
        return out

    @staticmethod
    def combine_scripts(*scripts: str) -> str:
        """The script of a whole name from the scripts of its parts."""
        found = set(scripts) - {""}
        if found == {"lat"}:
            return "lat"
        if "uk" in found:
            return "uk"
        if "ru" in found:
            return "ru"
        return "cyr" if found else ""

    def features(self, surname: str | None, first_name: str | None, patronymic: str | None) -> dict[str, Any]:
        s, sk, sl, ss = self.part(surname, "surname")
        f, fk, fl, fs = self.part(first_name, "given")
        p, pk, pl, ps = self.part(patronymic, "patronymic")
        first_initial, alt = self.initials(first_name)
        return {
            "surname_clean": s, "first_clean": f, "patronymic_clean": p,
            "surname_key": sk, "first_key": fk, "patronymic_key": pk,
            "surname_latin": sl, "first_latin": fl, "patronymic_latin": pl,
            "surname_sx": sk.replace(" ", "")[:3], "first_initial": first_initial, "first_initial_alt": alt,
            "script": self.combine_scripts(ss, fs, ps),
            "names_swapped_key": "|".join(sorted((sk, fk))) if sk and fk else "",
        }


_SHIPPED: list[Any] = []


def _dictionaries_version() -> str | None:
    """The version of the installed ``names_translator`` (its dictionaries ship with it)."""
    import names_translator

    found = getattr(names_translator, "__version__", None)
    if found:
        return str(found)
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("names_translator")
    except PackageNotFoundError:
        return None


def _shipped_tables() -> Any:
    """``parley.people._name_tables`` if it was computed from the installed ``names_translator``, else None
    (then the tables are computed from the dictionaries on first use, as with ``exclude``)."""
    if not _SHIPPED:
        from parley.people import _name_tables

        _SHIPPED.append(_name_tables if _dictionaries_version() == _name_tables.NAMES_TRANSLATOR else None)
    return _SHIPPED[0]


_default: Normaliser | None = None
_default_lock = threading.Lock()


def default() -> Normaliser:
    global _default  # noqa: PLW0603 — built once on first use, under the lock
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Normaliser()
    return _default


def use(normaliser: Normaliser | None) -> None:
    """Make ``normaliser`` the one the module functions use (``None``: back to the full dictionaries)."""
    global _default  # noqa: PLW0603 — the module functions' normaliser, swapped by tests and the benchmark
    _default = normaliser


def canonical_surname(word: str) -> str:
    return default().key(word, "surname")


def canonical_given(word: str) -> str:
    return default().key(word, "given")


def canonical_patronymic(word: str) -> str:
    return default().key(word, "patronymic")


def features(surname: str | None, first_name: str | None, patronymic: str | None) -> dict[str, Any]:
    """Every feature the matcher compares, for one person's name (any part may be empty)."""
    return default().features(surname, first_name, patronymic)


__all__ = ["Normaliser", "canonical_given", "canonical_patronymic", "canonical_surname", "clean", "default",
           "features", "phonetic", "script", "to_latin", "use"]
