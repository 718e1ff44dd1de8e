"""Cross-script record linkage: the matcher (``parley.people.matching``) on synthetic lists of persons written
in Ukrainian Cyrillic, in Russian Cyrillic with the Russian forms of the names, and in Latin spellings of
either, against a plain Splink baseline on ASCII-transliterated names.

Name data (all from installed packages, nothing downloaded):
  * given names and patronymics: Faker ``uk_UA``/``ru_RU`` and mimesis ``uk``/``ru`` name lists, the Russian
    form of each through ``names_translator`` (``ru -> uk`` by inverting its dictionary), kept only where
    pymorphy3's Russian dictionary knows the Russian form as a given name (``Name``) or patronymic
    (``Patr``); ranked common-first and drawn Zipf-like;
  * surnames: Faker and mimesis lists, plus ``names_translator`` surnames whose Russian form pymorphy3 tags
    ``Surn``; Zipf-like, so namesakes occur by themselves as well as by construction;
  * places: Faker ``uk_UA``/``ru_RU`` and mimesis ``uk``/``ru`` city lists;
  * Latin: ``translitua`` (Ukrainian national 2010 KMU, passport 2007, BGN/PCGN, British, GOST 1986,
    German, French; Russian ICAO, passport 1997, GOST 2006, driver's licence) and ``iuliia`` (BGN/PCGN,
    ICAO Doc 9303, MVD 310, MVD 310 French, MVD 782, GOST 7.79, Wikipedia).

Each synthetic person gets 1-5 records (mean about 2.5), each written in one of: Ukrainian Cyrillic (35 %),
Russian Cyrillic with the Russian forms (35 %), Latin (30 %) from either form in a random system. Noise:
keyboard-adjacent substitutions, deletions, transpositions and doublings; missing patronymic, birth date or
place; surname and first name swapped; an initial instead of the first name; birth date as year only,
dd.mm.yyyy or ISO; birth place in another script, with "м."/"г." prefixes, or missing; a service number on
half the records of the persons who have one, its letters typed in Cyrillic or Latin look-alikes. Hard
negatives, as persons of their own: namesakes (same surname and first name, other patronymic and birth
date), brothers (same surname, patronymic and birth place, other first name and birth date) and twins (the
same but first name).

Held out: 20 % of the distinct (Ukrainian, Russian) dictionary pairs used by the generator in each pool
(given names, patronymics, surnames) are hidden from the matcher with ``names.Normaliser(exclude=...)``.

Metrics. Pairwise, over record pairs: a predicted pair is two records in the same predicted cluster (the
transitive closure of the links at probability >= 0.9, i.e. what ``dedupe`` returns), a true pair two
records of the same person; precision = |pred & true| / |pred|, recall = |pred & true| / |true|. Inquiries:
one extra, sparser record per sampled person (what a family knows: no service number, often no patronymic,
year only or no birth date, more typos), scored against the whole list with ``Matcher.candidates``; recall@k
= the share whose top k candidates include a record of the sought person. Time is wall time; memory is the
process's resident-set high-water (sampled from /proc every 20 ms per phase, and getrusage overall), which
includes DuckDB, since it runs in-process.

Baseline, same run: plain Splink on the same records, names transliterated per record to ASCII (translitua's
default Ukrainian table for Cyrillic, diacritics stripped for Latin), Jaro-Winkler on surname, first name and
patronymic, exact date of birth, blocking of about the same number of comparisons.

Usage: ``python bench/linkage.py [--records N] [--million] [--queries Q] [--seed S]``. Last line:
name=value pairs.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import threading
import time
import unicodedata
import warnings
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from _common import last_line  # (puts the repo root on sys.path)

from parley.people import names
from parley.people.matching import engine, features, matcher, model

HOLDOUT = 0.2
THRESHOLD = 0.9
STAGE_KEYS = tuple(f"{st}_s" for st in model.STAGES)

# --------------------------------------------------------------------------------------------------------
# Memory
# --------------------------------------------------------------------------------------------------------

_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE


class PeakRSS:
    """Resident-set high-water of this process while the block runs (sampled every 20 ms)."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss_bytes())

    def __enter__(self) -> PeakRSS:
        self.peak = rss_bytes()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, rss_bytes())

    @property
    def gb(self) -> float:
        return self.peak / 2**30


def maxrss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


# --------------------------------------------------------------------------------------------------------
# Name pools from installed packages
# --------------------------------------------------------------------------------------------------------

POOLS = {"given": "first", "patronymic": "patronymic", "surname": "last"}


@dataclass
class Pool:
    kind: str                   # given | patronymic | surname
    uk: list[str]
    ru: list[str]
    weights: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.choice(len(self.uk), size=n, p=self.weights)


def _site(pkg: str) -> Path:
    import importlib

    return Path(importlib.import_module(pkg).__file__).parent


def _mimesis(locale: str, key: str, gender: str) -> list[str]:
    data = json.loads((_site("mimesis") / "datasets" / locale / "person.json").read_text(encoding="utf-8"))
    return list(data[key][gender])


@cache
def _morph():  # type: ignore[no-untyped-def]
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang="ru").dictionary


def morph_is(word: str, grammeme: str, gender: str) -> bool:
    """pymorphy3's Russian dictionary has ``word`` as the nominative singular of a ``grammeme`` (Name, Surn,
    Patr) of ``gender`` (masc, femn)."""
    d = _morph()
    for pid, idx in d.words.get(word.lower(), []):
        g = d.build_tag_info(pid, idx).grammemes
        if grammeme in g and gender in g and "nomn" in g and "sing" in g:
            return True
    return False


def _cap(w: str) -> str:
    return "-".join(p[:1].upper() + p[1:] for p in w.split("-"))


def build_pools(rng: np.random.Generator) -> dict[tuple[str, str], Pool]:
    """(kind, gender) -> Pool of (Ukrainian, Russian) pairs; Russian = names_translator's form of the
    Ukrainian; Russian-side lists are mapped back through the inverted dictionary."""
    from faker.providers.person.ru_RU import Provider as RuP
    from faker.providers.person.uk_UA import Provider as UkP
    from names_translator.dicts import default_dicts

    dicts = default_dicts()
    inverse: dict[str, dict[str, str]] = {}
    for pool in ("first", "patronymic", "last"):
        inv: dict[str, str] = {}
        for uk, forms in dicts.as_dict(pool).items():
            for f in forms[:1]:
                inv.setdefault(names.clean(f), uk)
        inverse[pool] = inv

    def pairs(kind: str, uk_lists: list[list[str]], ru_lists: list[list[str]], grammeme: str, gender: str,
              extra: list[str] = (), morph_uk_lists: bool = True) -> Pool:
        pool = POOLS[kind]
        seen: dict[str, str] = {}
        ranked: list[str] = []

        def add(uk: str, check: bool) -> None:
            u = names.clean(uk)
            if not u or u in seen or " " in u:
                return
            found = dicts.lookup_key(u, pool)
            ru = names.clean(found[0]) if found else u
            if not found and kind != "surname":
                return
            if check and not morph_is(ru, grammeme, gender):
                return
            seen[u] = ru
            ranked.append(u)

        for lst in uk_lists:
            for w in lst:
                add(w, morph_uk_lists)
        for lst in ru_lists:
            for w in lst:
                uk = inverse[pool].get(names.clean(w))
                if uk:
                    add(uk, True)
        for w in extra:
            add(w, False)
        uk = [_cap(u) for u in ranked]
        ru = [_cap(seen[u]) for u in ranked]
        n = len(uk)
        # common first (the package lists), then the rest; Zipf-like weights over a shuffled rank
        head = min(n, sum(len(x) for x in uk_lists) // 2 or n)
        order = np.concatenate([rng.permutation(head), head + rng.permutation(n - head)])
        w = np.empty(n)
        # given names and patronymics: the most common about 3 % of persons; surnames: about 0.4 %
        w[order] = 1.0 / (np.arange(n) + 8.0) ** (1.05 if kind != "surname" else 0.75)
        return Pool(kind, uk, ru, w / w.sum())

    surn_extra = [u for u, forms in dicts.as_dict("last").items()
                  if forms and not u.endswith(("а", "я")) and len(u) > 3]
    rng.shuffle(surn_extra)
    surn_extra = surn_extra[:60_000]
    out = {
        ("given", "m"): pairs("given", [list(UkP.first_names_male), _mimesis("uk", "names", "male")],
                              [list(RuP.first_names_male), _mimesis("ru", "names", "male")], "Name", "masc"),
        ("given", "f"): pairs("given", [list(UkP.first_names_female), _mimesis("uk", "names", "female")],
                              [list(RuP.first_names_female), _mimesis("ru", "names", "female")], "Name", "femn"),
        ("patronymic", "m"): pairs("patronymic", [list(UkP.middle_names_male), _mimesis("uk", "patronymic", "male")],
                                   [list(RuP.middle_names_male), _mimesis("ru", "patronymic", "male")], "Patr",
                                   "masc"),
        ("patronymic", "f"): pairs("patronymic",
                                   [list(UkP.middle_names_female), _mimesis("uk", "patronymic", "female")],
                                   [list(RuP.middle_names_female), _mimesis("ru", "patronymic", "female")], "Patr",
                                   "femn"),
        ("surname", "m"): pairs("surname", [list(UkP.last_names), _mimesis("uk", "surnames", "male")],
                                [list(RuP.last_names_male), _mimesis("ru", "surnames", "male")], "Surn", "masc",
                                extra=surn_extra, morph_uk_lists=False),
    }
    return out


def feminine(surname: str, ru: bool) -> str:
    """The feminine form of a masculine surname (-ський -> -ська, -ов -> -ова, -ін -> -іна); others as they are."""
    low = surname.lower()
    for a, b in (("ський", "ська"), ("цький", "цька"), ("ский", "ская"), ("цкий", "цкая"), ("ий", "а"),
                 ("ой", "ая"), ("ов", "ова"), ("ев", "ева"), ("єв", "єва"), ("ёв", "ёва"), ("ин", "ина"),
                 ("ін", "іна"), ("їн", "їна"), ("ын", "ына")):
        if low.endswith(a):
            return surname[: len(surname) - len(a)] + b
    return surname


def places() -> tuple[list[str], list[str]]:
    from faker.providers.address.ru_RU import Provider as RuAddr
    from faker.providers.address.uk_UA import Provider as UkAddr

    def mim(loc: str) -> list[str]:
        data = json.loads((_site("mimesis") / "datasets" / loc / "address.json").read_text(encoding="utf-8"))
        return list(data.get("city", []))

    uk = sorted({c for c in [*UkAddr.city_names, *mim("uk")] if " " not in c and "(" not in c})
    ru = sorted({c for c in [*RuAddr.city_names, *mim("ru")] if " " not in c and "(" not in c})
    return uk, ru


_UK_TO_RU = str.maketrans({"і": "и", "и": "ы", "ї": "и", "є": "е", "ґ": "г", "'": "ь", "’": "ь",
                           "І": "И", "И": "Ы", "Ї": "И", "Є": "Е", "Ґ": "Г"})


# --------------------------------------------------------------------------------------------------------
# Writing a record
# --------------------------------------------------------------------------------------------------------

def _systems():  # type: ignore[no-untyped-def]
    import iuliia
    import translitua as T

    uk = [T.UkrainianKMU, T.UkrainianKMU, T.UkrainianPassport2007, T.UkrainianBGN, T.UkrainianBritish,
          T.UkrainianGOST1986, T.UkrainianGerman, T.UkrainianFrench, T.UkrainianNational1996]
    ru_t = [T.RussianICAO, T.RussianInternationalPassport1997, T.RussianGOST2006, T.RussianDriverLicense]
    ru_i = [iuliia.BGN_PCGN, iuliia.ICAO_DOC_9303, iuliia.MVD_310, iuliia.MVD_310_FR, iuliia.MVD_782,
            iuliia.GOST_779, iuliia.WIKIPEDIA]
    uk_fns = [(t.__name__, (lambda s, t=t: T.translit(s, t))) for t in uk]
    ru_fns = [(t.__name__, (lambda s, t=t: T.translit(s, t))) for t in ru_t]
    ru_fns += [(s.name, (lambda w, s=s: s.translate(w))) for s in ru_i]
    return uk_fns, ru_fns


UK_SYSTEMS, RU_SYSTEMS = _systems()


@lru_cache(maxsize=1 << 20)
def latin(word: str, system: int, from_uk: bool) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fn = (UK_SYSTEMS if from_uk else RU_SYSTEMS)[system][1]
        return fn(word)


_ROWS_CYR = ["йцукенгшщзхї", "фівапролджє", "ячсмитьбю"]
_ROWS_LAT = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]


def _adjacent(rows: list[str]) -> dict[str, str]:
    adj: dict[str, str] = {}
    for r, row in enumerate(rows):
        for i, c in enumerate(row):
            near = [row[j] for j in (i - 1, i + 1) if 0 <= j < len(row)]
            for rr in (r - 1, r + 1):
                if 0 <= rr < len(rows):
                    near += [rows[rr][j] for j in (i, i + 1) if 0 <= j < len(rows[rr])]
            adj[c] = "".join(near)
    return adj


ADJ = {**_adjacent(_ROWS_CYR), **_adjacent(_ROWS_LAT)}
ADJ.update({"ы": ADJ["і"], "э": ADJ["є"], "ъ": ADJ["ї"], "и": ADJ.get("и", "тм"), "ё": "е"})


def typo(word: str, rng: random.Random) -> str:
    """One keyboard slip: an adjacent key, a dropped letter, two letters swapped, or a doubled letter."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word))  # the first letter is rarely wrong
    kind = rng.random()
    c = word[i]
    if kind < 0.4:
        near = ADJ.get(c.lower())
        if not near:
            return word
        r = rng.choice(near)
        return word[:i] + (r.upper() if c.isupper() else r) + word[i + 1:]
    if kind < 0.65:
        return word[:i] + word[i + 1:]
    if kind < 0.9 and i + 1 < len(word):
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return word[:i] + c + word[i:]


_HOMO_LAT = "ABEKMHOPCTX"
_HOMO_CYR = "АВЕКМНОРСТХ"


@dataclass
class Person:
    pid: int
    sex: str
    s: int   # index into the surname pool
    g: int   # given
    p: int   # patronymic
    year: int
    month: int
    day: int
    place_uk: bool
    place: int
    service: str
    home_uk: bool  # which side's lists are likelier to carry the person


def write(person: Person, pools: dict, plc: tuple[list[str], list[str]], rng: random.Random, *,
          inquiry: bool = False) -> dict[str, str]:
    sp, gp, pp = pools[("surname", "m")], pools[("given", person.sex)], pools[("patronymic", person.sex)]
    r = rng.random()
    form = "uk" if r < 0.35 else ("ru" if r < 0.70 else "lat")
    if inquiry:
        form = "uk" if r < 0.45 else ("ru" if r < 0.85 else "lat")
    ru_form = form == "ru" or (form == "lat" and rng.random() < 0.5)
    sur = sp.ru[person.s] if ru_form else sp.uk[person.s]
    if person.sex == "f":
        sur = feminine(sur, ru_form)
    giv = gp.ru[person.g] if ru_form else gp.uk[person.g]
    pat = pp.ru[person.p] if ru_form else pp.uk[person.p]
    place_list = plc[0] if person.place_uk else plc[1]
    place = place_list[person.place]
    if person.place_uk and ru_form:
        place = place.translate(_UK_TO_RU)
    if form == "lat":
        if ru_form:
            sysno = rng.randrange(len(RU_SYSTEMS))
        else:
            sysno = rng.randrange(len(UK_SYSTEMS))
        sur, giv, pat = (latin(x, sysno, not ru_form) for x in (sur, giv, pat))
        if rng.random() < 0.8:
            place = latin(place, sysno, not ru_form) if not (person.place_uk and ru_form) else latin(
                place, sysno, False)
    elif rng.random() < 0.1:
        # the place copied from a document in another script
        place = latin(place, 0, True)
    noise = 0.09 if inquiry else 0.06
    if rng.random() < noise * 1.3:
        sur = typo(sur, rng)
    if rng.random() < noise:
        giv = typo(giv, rng)
    if rng.random() < noise:
        pat = typo(pat, rng)
    if rng.random() < (0.12 if form != "lat" else 0.02):
        sur, giv, pat = sur.upper(), giv.upper(), pat.upper()
    if rng.random() < (0.45 if inquiry else (0.2 if form != "lat" else 0.5)):
        pat = ""
    if rng.random() < 0.05:
        giv = giv[:1] + "."
        if pat and rng.random() < 0.7:
            pat = pat[:1] + "."
    if rng.random() < 0.03:
        sur, giv = giv, sur
    d = rng.random()
    if inquiry:
        full, year_only = 0.5, 0.85
    else:
        full, year_only = 0.8, 0.92
    if d < full:
        if rng.random() < 0.5:
            bd = f"{person.year:04d}-{person.month:02d}-{person.day:02d}"
        else:
            bd = f"{person.day:02d}.{person.month:02d}.{person.year:04d}"
    elif d < year_only:
        bd = str(person.year)
    else:
        bd = ""
    if place and rng.random() < 0.3:
        place = ("м. " if form == "uk" else "г. " if form == "ru" else "") + place
    if rng.random() < (0.6 if inquiry else 0.35):
        place = ""
    service = ""
    if person.service and not inquiry and rng.random() < 0.5:
        service = person.service
        if rng.random() < 0.5:
            service = service.translate(str.maketrans(_HOMO_LAT, _HOMO_CYR))
        if rng.random() < 0.3:
            service = service[:2] + "-" + service[2:]
    return {"surname": sur, "first_name": giv, "patronymic": pat, "birth_date": bd, "birth_place": place,
            "service_number": service}


def make_persons(n_target_records: int, pools: dict, plc: tuple[list[str], list[str]], nrng: np.random.Generator,
                 rng: random.Random) -> tuple[list[Person], np.ndarray, dict[str, int]]:
    """Persons (with namesakes, brothers and twins) and the number of records of each, summing to about
    ``n_target_records``."""
    counts_p = np.array([0.25, 0.30, 0.25, 0.12, 0.08])
    mean = float((np.arange(1, 6) * counts_p).sum())
    n_base = int(n_target_records / mean / 1.12)
    sexes = np.where(nrng.random(n_base) < 0.1, "f", "m")
    sp = pools[("surname", "m")]
    s_idx = sp.draw(nrng, n_base)
    g = {sx: pools[("given", sx)].draw(nrng, n_base) for sx in ("m", "f")}
    pt = {sx: pools[("patronymic", sx)].draw(nrng, n_base) for sx in ("m", "f")}
    years = nrng.integers(1962, 2007, n_base)
    months = nrng.integers(1, 13, n_base)
    days = nrng.integers(1, 29, n_base)
    place_uk = nrng.random(n_base) < 0.55
    persons: list[Person] = []
    stats = {"namesakes": 0, "brothers": 0, "twins": 0}

    def service() -> str:
        if rng.random() < 0.6:
            return "".join(rng.choice(_HOMO_LAT) for _ in range(2)) + f"{rng.randrange(10**6):06d}"
        return ""

    for i in range(n_base):
        sx = str(sexes[i])
        pu = bool(place_uk[i])
        p = Person(len(persons), sx, int(s_idx[i]), int(g[sx][i]), int(pt[sx][i]), int(years[i]), int(months[i]),
                   int(days[i]), pu, rng.randrange(len(plc[0] if pu else plc[1])), service(), pu)
        persons.append(p)
        r = rng.random()
        if r < 0.05:   # a namesake: same surname and first name, the rest their own
            while (pn := int(pools[("patronymic", sx)].draw(nrng, 1)[0])) == p.p:
                pass
            q = Person(len(persons), sx, p.s, p.g, pn,
                       int(nrng.integers(1962, 2007)), rng.randint(1, 12), rng.randint(1, 28), pu,
                       rng.randrange(len(plc[0] if pu else plc[1])), service(), pu)
            persons.append(q)
            stats["namesakes"] += 1
        elif r < 0.09:  # a brother: same surname, patronymic and birth place, other first name and date
            while (gb := int(pools[("given", "m")].draw(nrng, 1)[0])) == p.g:
                pass
            q = Person(len(persons), "m", p.s, gb,
                       p.p if sx == "m" else int(pools[("patronymic", "m")].draw(nrng, 1)[0]),
                       p.year + rng.choice([-5, -4, -3, -2, -1, 1, 2, 3, 4, 5]), rng.randint(1, 12),
                       rng.randint(1, 28), pu, p.place, service(), pu)
            persons.append(q)
            stats["brothers"] += 1
        elif r < 0.11:  # a twin: everything the same but the first name (and service number)
            while (gt := int(pools[("given", sx)].draw(nrng, 1)[0])) == p.g:
                pass
            q = Person(len(persons), sx, p.s, gt, p.p, p.year, p.month, p.day, pu, p.place, service(), pu)
            persons.append(q)
            stats["twins"] += 1
    counts = nrng.choice(np.arange(1, 6), size=len(persons), p=counts_p)
    # trim or pad to the exact record count
    diff = int(counts.sum()) - n_target_records
    while diff != 0:
        i = int(nrng.integers(len(persons)))
        if diff > 0 and counts[i] > 1:
            counts[i] -= 1
            diff -= 1
        elif diff < 0 and counts[i] < 5:
            counts[i] += 1
            diff += 1
    return persons, counts, stats


@dataclass
class Bench:
    records: pd.DataFrame       # input columns
    truth: np.ndarray           # person id per record
    persons: list[Person]
    pools: dict
    heldout: dict[str, set[tuple[str, str]]]
    heldout_records: int
    stats: dict[str, int]


def build(n: int, seed: int) -> Bench:
    nrng = np.random.default_rng(seed)
    rng = random.Random(seed)
    pools = build_pools(nrng)
    plc = places()
    persons, counts, stats = make_persons(n, pools, plc, nrng, rng)
    rows: list[dict[str, str]] = []
    truth = np.repeat(np.arange(len(persons)), counts)
    for p, c in zip(persons, counts, strict=True):
        for _ in range(int(c)):
            rows.append(write(p, pools, plc, rng))
    df = pd.DataFrame(rows, columns=list(features.INPUT_COLUMNS[1:]))
    order = nrng.permutation(len(df))  # lists are not sorted by person
    df = df.iloc[order].reset_index(drop=True)
    truth = truth[order]
    df.insert(0, "id", [f"r{i:07d}" for i in range(len(df))])

    # the held-out dictionary pairs: 20 % of the distinct pairs the generator used, per pool
    used: dict[str, set[tuple[str, str]]] = {"first": set(), "patronymic": set(), "last": set()}
    for p in persons:
        for kind, idx in (("given", p.g), ("patronymic", p.p), ("surname", p.s)):
            pool = pools[(kind, p.sex if kind != "surname" else "m")]
            uk, ru = names.clean(pool.uk[idx]), names.clean(pool.ru[idx])
            used[POOLS[kind]].add((uk, ru))
            if kind == "surname" and p.sex == "f":
                used["last"].add((names.clean(feminine(pool.uk[idx], False)),
                                  names.clean(feminine(pool.ru[idx], True))))
    heldout: dict[str, set[tuple[str, str]]] = {}
    for pool, pairs in used.items():
        ordered = sorted(pairs)
        pick = nrng.random(len(ordered)) < HOLDOUT
        heldout[pool] = {pr for pr, k in zip(ordered, pick, strict=True) if k}
    ho_person = np.zeros(len(persons), dtype=bool)
    for p in persons:
        for kind, idx in (("given", p.g), ("patronymic", p.p), ("surname", p.s)):
            pool = pools[(kind, p.sex if kind != "surname" else "m")]
            uk, ru = names.clean(pool.uk[idx]), names.clean(pool.ru[idx])
            if (uk, ru) in heldout[POOLS[kind]] and uk != ru:
                ho_person[p.pid] = True
    return Bench(df, truth, persons, pools, heldout, int(ho_person[truth].sum()), stats)


def exclude_for(heldout: dict[str, set[tuple[str, str]]]):  # type: ignore[no-untyped-def]
    ukset = {pool: {u for u, _ in prs} for pool, prs in heldout.items()}

    def exclude(pool: str, uk: str, ru: str) -> bool:
        return uk in ukset.get(pool, ()) and (uk, ru) in heldout[pool]

    return exclude


# --------------------------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------------------------


def pairwise(truth: np.ndarray, cluster: np.ndarray) -> tuple[float, float, float, int, int, int]:
    """(precision, recall, f1, true pairs, predicted pairs, correct pairs) over record pairs."""
    def c2(x: np.ndarray) -> int:
        x = x.astype(np.int64)
        return int((x * (x - 1) // 2).sum())

    tdf = pd.DataFrame({"t": truth, "c": cluster})
    true_pairs = c2(tdf.groupby("t").size().to_numpy())
    pred_pairs = c2(tdf.groupby("c").size().to_numpy())
    tp = c2(tdf.groupby(["t", "c"]).size().to_numpy())
    p = tp / pred_pairs if pred_pairs else 1.0
    r = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f1, true_pairs, pred_pairs, tp


# --------------------------------------------------------------------------------------------------------
# Baseline: plain Splink on ASCII names
# --------------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1 << 20)
def ascii_name(text: str) -> str:
    import translitua as T

    t = unicodedata.normalize("NFKC", text).strip()
    if any("\u0400" <= c <= "\u04ff" for c in t):
        t = T.translit(t)
    t = unicodedata.normalize("NFKD", t)
    return "".join(c for c in t if c.isascii() and (c.isalpha() or c == " ")).lower().strip()


def baseline(df: pd.DataFrame, comparisons_budget: int | None) -> tuple[np.ndarray, float, int]:
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.clustering import cluster_pairwise_predictions_at_threshold

    t0 = time.perf_counter()
    dates = features.birth_columns(df["birth_date"].astype(str))
    frame = pd.DataFrame({
        "unique_id": df["id"].to_numpy(),
        "surname": [ascii_name(x) or None for x in df["surname"]],
        "first_name": [ascii_name(x) or None for x in df["first_name"]],
        "patronymic": [ascii_name(x) or None for x in df["patronymic"]],
        "dob": [x or None for x in dates[2]],
        "birth_year": dates[0],
    })
    frame["sur3"] = frame["surname"].str[:3]
    con = engine.Engine()
    try:
        db = con.db_api
        sdf = db.register(frame, dataset_display_name="baseline")
        st = SettingsCreator(
            link_type="dedupe_only",
            comparisons=[cl.JaroWinklerAtThresholds("surname", [0.92, 0.85]),
                         cl.JaroWinklerAtThresholds("first_name", [0.92, 0.85]),
                         cl.JaroWinklerAtThresholds("patronymic", [0.92]),
                         cl.ExactMatch("dob")],
            blocking_rules_to_generate_predictions=[block_on("sur3", "birth_year"),
                                                    block_on("first_name", "birth_year"),
                                                    block_on("surname", "substr(first_name, 1, 1)")],
            retain_matching_columns=False, retain_intermediate_calculation_columns=False)
        linker = Linker(sdf, st)
        import logging

        logging.getLogger("splink").setLevel(logging.ERROR)
        linker.training.estimate_probability_two_random_records_match(
            [block_on("surname", "first_name", "dob")], recall=0.6)
        linker.training.estimate_u_using_random_sampling(max_pairs=3e6, seed=42)
        for rule in (block_on("dob"), block_on("surname", "first_name")):
            linker.training.estimate_parameters_using_expectation_maximisation(rule, max_pairs=2e6,
                                                                               record_sample_proportion=0.05)
        pred = linker.inference.predict(threshold_match_probability=THRESHOLD)
        n_cmp = int(db._execute_sql_against_backend(f"select count(*) from {pred.physical_name}").fetchall()[0][0])
        cc = cluster_pairwise_predictions_at_threshold(
            pd.DataFrame({"unique_id": frame["unique_id"]}),
            pred.as_duckdbpyrelation().select("unique_id_l, unique_id_r, match_probability").df(),
            db, node_id_column_name="unique_id", threshold_match_probability=THRESHOLD)
        clusters = cc.as_pandas_dataframe()
    finally:
        con.close()
    got = dict(zip(clusters["unique_id"], clusters["cluster_id"], strict=False))
    cl_arr = np.array([got.get(i, i) for i in df["id"]], dtype=object)
    return cl_arr, time.perf_counter() - t0, n_cmp


# --------------------------------------------------------------------------------------------------------
# Runs
# --------------------------------------------------------------------------------------------------------


def run_dedupe(bench: Bench) -> dict[str, float]:
    stages: dict[str, float] = {}
    last = [time.perf_counter(), None]

    def progress(stage: str, frac: float) -> None:
        now = time.perf_counter()
        if last[1] is not None and last[1] != stage:
            stages[last[1]] = stages.get(last[1], 0.0) + now - last[0]
            last[0] = now
        elif last[1] is None:
            last[0] = now
        last[1] = stage

    gc.collect()
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        pairs, clusters = engine.dedupe(bench.records, threshold=THRESHOLD, progress=progress)
        dt = time.perf_counter() - t0
    if last[1] is not None:
        stages[last[1]] = stages.get(last[1], 0.0) + time.perf_counter() - last[0]
    cmap = dict(zip(clusters["id"], clusters["cluster_id"], strict=True))
    cl_arr = np.array([cmap[i] for i in bench.records["id"]], dtype=object)
    p, r, f1, tpairs, ppairs, _ = pairwise(bench.truth, cl_arr)
    return {"dedupe_s": dt, "peak_rss_gb": mem.gb, "precision": p, "recall": r, "f1": f1, "true_pairs": tpairs,
            "pred_pairs": ppairs, "links": len(pairs), "clusters": int(clusters["cluster_id"].nunique()),
            **{f"{k}_s": v for k, v in stages.items()}, "cl": cl_arr}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--million", action="store_true", help="also deduplicate 10^6 records (several minutes)")
    ap.add_argument("--queries", type=int, default=1000, help="inquiries scored against the registry")
    ap.add_argument("--seed", type=int, default=20240)
    ap.add_argument("--no-baseline", action="store_true")
    args = ap.parse_args()

    t = time.perf_counter()
    bench = build(args.records, args.seed)
    n_persons = len(set(bench.truth.tolist()))
    ho = {k: len(v) for k, v in bench.heldout.items()}
    print(f"generated {len(bench.records)} records of {n_persons} persons in {time.perf_counter() - t:.1f} s "
          f"(namesakes {bench.stats['namesakes']}, brothers {bench.stats['brothers']}, twins {bench.stats['twins']}); "
          f"held out {ho['first']} given-name, {ho['patronymic']} patronymic, {ho['last']} surname pairs; "
          f"{bench.heldout_records} records ({bench.heldout_records / len(bench.records):.1%}) are of persons with a "
          f"held-out name whose Ukrainian and Russian forms differ")
    names.use(names.Normaliser(exclude=exclude_for(bench.heldout)))

    res = run_dedupe(bench)
    stage_txt = ", ".join(f"{k[:-2]} {res[k]:.1f} s" for k in STAGE_KEYS if k in res)
    print(f"dedupe of {len(bench.records)}: {res['dedupe_s']:.1f} s ({stage_txt}); "
          f"peak RSS {res['peak_rss_gb']:.2f} GB; "
          f"{res['links']} links, {res['clusters']} clusters; pairwise precision {res['precision']:.4f} recall "
          f"{res['recall']:.4f} F1 {res['f1']:.4f} ({res['true_pairs']} true pairs, {res['pred_pairs']} predicted)")
    ho_mask = np.zeros(len(bench.records), dtype=bool)
    # pairwise figures restricted to the persons with held-out names (their true pairs; predicted pairs touching them)
    ho_persons = set()
    for p in bench.persons:
        for kind, idx in (("given", p.g), ("patronymic", p.p), ("surname", p.s)):
            pool = bench.pools[(kind, p.sex if kind != "surname" else "m")]
            uk, ru = names.clean(pool.uk[idx]), names.clean(pool.ru[idx])
            if (uk, ru) in bench.heldout[POOLS[kind]] and uk != ru:
                ho_persons.add(p.pid)
    ho_mask = np.isin(bench.truth, list(ho_persons))
    hp, hr, _, *_ = pairwise(bench.truth[ho_mask], res["cl"][ho_mask])
    kp, kr, kf, *_ = pairwise(bench.truth[~ho_mask], res["cl"][~ho_mask])
    print(f"  persons with held-out names: recall {hr:.4f} (precision within them {hp:.4f}); "
          f"others: recall {kr:.4f} precision {kp:.4f} F1 {kf:.4f}")

    # inquiries
    rng = random.Random(args.seed + 1)
    sample = rng.sample(range(n_persons), min(args.queries, n_persons))
    plc = places()
    queries = [write(bench.persons[i], bench.pools, plc, rng, inquiry=True) for i in sample]
    with PeakRSS() as qmem:
        t = time.perf_counter()
        m = matcher.Matcher(bench.records)
        train_s = time.perf_counter() - t
        t = time.perf_counter()
        answers = m.candidates_many(queries, top=5)
        q_s = time.perf_counter() - t
        single = []
        for q, expect in list(zip(queries, answers, strict=True))[:20]:
            m.forget()  # scored again, not answered from the answers candidates_many left
            t1 = time.perf_counter()
            got = m.candidates(q, top=5)
            single.append(time.perf_counter() - t1)
            if [g for g, _ in got] != [g for g, _ in expect]:
                print("  candidates and candidates_many disagree:", got, expect)
    m.close()
    id_person = dict(zip(bench.records["id"], bench.truth, strict=True))
    hits1 = hits5 = 0
    for i, ans in zip(sample, answers, strict=True):
        ps = [id_person[a] for a, _ in ans]
        hits1 += bool(ps[:1] == [i])
        hits5 += i in ps[:5]
    r1, r5 = hits1 / len(sample), hits5 / len(sample)
    ho_q = [k for k, i in enumerate(sample) if i in ho_persons]
    r1_ho = ((sum(1 for k in ho_q if answers[k] and id_person[answers[k][0][0]] == sample[k]) / len(ho_q))
             if ho_q else float("nan"))
    print(f"inquiries: {len(sample)} against {len(bench.records)} records: recall@1 {r1:.4f} recall@5 {r5:.4f} "
          f"(of them {len(ho_q)} with held-out names: recall@1 {r1_ho:.4f}); Matcher trained in {train_s:.1f} s, "
          f"{q_s:.1f} s for the batch ({q_s / len(sample) * 1e3:.1f} ms a query), one query alone median "
          f"{np.median(single) * 1e3:.0f} ms; peak RSS {qmem.gb:.2f} GB")

    figures: dict[str, object] = {
        "n": len(bench.records), "persons": n_persons, "f1": round(res["f1"], 4),
        "precision": round(res["precision"], 4), "recall": round(res["recall"], 4), "recall_at_1": round(r1, 4),
        "recall_at_5": round(r5, 4), "dedupe_s": round(res["dedupe_s"], 1),
        "peak_rss_gb": round(res["peak_rss_gb"], 2),
        "heldout_records": bench.heldout_records, "heldout_recall": round(hr, 4),
        "heldout_recall_at_1": round(r1_ho, 4),
        **{k: round(res[k], 1) for k in STAGE_KEYS if k in res},
    }
    if not args.no_baseline:
        with PeakRSS() as bmem:
            bcl, b_s, b_cmp = baseline(bench.records, None)
        print(f"  baseline scored {b_cmp} pairs at or above {THRESHOLD}")
        bp, br, bf, *_ = pairwise(bench.truth, bcl)
        print(f"baseline (plain Splink, ASCII names, Jaro-Winkler + exact date of birth): {b_s:.1f} s, "
              f"precision {bp:.4f} recall {br:.4f} F1 {bf:.4f}; peak RSS {bmem.gb:.2f} GB")
        figures.update(baseline_f1=round(bf, 4), baseline_precision=round(bp, 4), baseline_recall=round(br, 4),
                       baseline_s=round(b_s, 1))
    if args.million:
        del bench, res
        gc.collect()
        t = time.perf_counter()
        big = build(1_000_000, args.seed + 2)
        print(f"generated {len(big.records)} records in {time.perf_counter() - t:.1f} s; "
              f"{big.heldout_records} records of persons with held-out names")
        names.use(names.Normaliser(exclude=exclude_for(big.heldout)))
        res = run_dedupe(big)
        stage_txt = ", ".join(f"{k[:-2]} {res[k]:.1f} s" for k in STAGE_KEYS if k in res)
        print(f"dedupe of {len(big.records)}: {res['dedupe_s']:.1f} s ({stage_txt}); "
              f"peak RSS {res['peak_rss_gb']:.2f} GB; "
              f"precision {res['precision']:.4f} recall {res['recall']:.4f} F1 {res['f1']:.4f}")
        figures.update(n_1m=len(big.records), dedupe_1m_s=round(res["dedupe_s"], 1),
                       peak_rss_1m_gb=round(res["peak_rss_gb"], 2), f1_1m=round(res["f1"], 4),
                       precision_1m=round(res["precision"], 4), recall_1m=round(res["recall"], 4),
                       **{f"{k[:-2]}_1m_s": round(res[k], 1) for k in STAGE_KEYS if k in res})
    figures["maxrss_gb"] = round(maxrss_gb(), 2)
    ok = (figures["f1"] >= 0.97 and figures["recall_at_1"] >= 0.95 and figures["dedupe_s"] <= 60
          and figures["peak_rss_gb"] <= 8)
    if args.million:
        ok = ok and figures["dedupe_1m_s"] <= 600 and figures["peak_rss_1m_gb"] <= 8
    figures["targets_met"] = str(bool(ok)).lower()
    last_line(**figures)


if __name__ == "__main__":
    main()
