"""How fast Parley checks, plans and prints an exchange at the size of a large one (the exchanges issue's figures).

1. The list check: each side ("ua", "ru") hands over a list of 5,000 persons, checked against a registry of 100,000
   person records by ``exchanges.service.check``, end to end: a SQLite deployment (migrated, no demo; ``--url`` for
   a schema of a PostgreSQL database instead) whose projection tables are filled directly (the person rows with
   their name keys as ``person.register`` writes them, one exchange, its two lists' entries; nothing goes through
   the log, which is not what is measured), the registry's model trained by ``people.service.matcher`` (Splink on
   DuckDB, over every person row read from the database: ``train_s``), then ``service.check`` as the mediator reads
   it (``check_s``: per entry the duplicate, other-exchange and decided-match look-ups, one
   ``Matcher.candidates_many`` pass over every entry, the other side's candidates read back and each entry
   classified with ``FOUND``/``RIVAL``; of it ``match_s`` in the matcher). Target: ``check_s`` under 60 s. Should
   ``service.check`` fail, the error is printed, ``end_to_end=False`` (the target is then not met) and the
   matcher's path alone is measured (``candidates_many`` and the same classification, no database). The registry
   is synthetic (the generator of ``bench/linkage.py``: names of Faker, mimesis and names_translator, each record
   written in Ukrainian Cyrillic, in Russian Cyrillic with the Russian forms of the names, or in one of
   translitua's and iuliia's Latin transliterations, with typos, missing parts, namesakes, brothers and twins):
   each listed person has the listing side's record and, for 80 % of them, the other side's record, written
   independently; the rest of the registry (to 100,000 records) is other persons with 1-5 records each, either
   side's. Since the truth is known: the share found, and the precision and recall of "found" (found = the other
   side's record of the same person). Baseline, same run: the exact name-key look-up (``people.names.features``:
   surname key, given-name key, birth year; found = one record of the other side with the same keys), over the
   same registry and lists.
2. The plan: 5,000 candidates a side (seeded random: officers, soldiers and civilians, about 8 % seriously wounded,
   1-1,500 days held, about 5 % who refused repatriation and 2 % not yet interviewed, about 1 % the list check did
   not verify, a few pinned and a few excluded by a party). ``exchanges.plan.solve`` proposes an ``n_for_n`` of 1,000
   per side in stages [300, 300, 400]: an integer program of 30,000 binaries for HiGHS. Figures: the time in HiGHS
   and its MIP gap (target: under 10 s, gap 0), and the whole ``solve`` call. Baseline, same run: the priority order
   sorted in Python (pinned first, then the order cut at each stage's size), which on these rules must give the same
   stages; the benchmark exits non-zero if it does not.
3. The act of transfer: ``exchanges.act.render`` of a 500-person act in Ukrainian (each side's spelling of each
   person, a QR code for each: every record hash is new in each run, so no QR code comes from the cache), after one
   untimed render of a one-person act (Typst's start-up, which a server pays once). Target: under 5 s. Baseline, same
   run: a 10-person act rendered the same way (``act_ratio`` = 500-person / 10-person).

``--quick`` runs everything at a tiny size (a smoke test: 2,000 records, lists of 150, a 100-for-100 plan among 500
a side, a 30-person act; Faker's name lists instead of the linkage generator's, which take some 20 s to build);
``--registry``, ``--list``, ``--per-side``, ``--n`` and ``--act`` set each size. Everything written (the temporary
directory, DuckDB's, the PostgreSQL schema) is removed at exit. Last line: name=value pairs.
"""

from __future__ import annotations

import argparse
import atexit
import hashlib
import io
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from _common import last_line  # also puts the repo root on sys.path

from parley.exchanges.plan import Candidate, Formula, Plan, priority_key, solve

SIDES = ("ua", "ru")
CHECK_TARGET_S = 60.0
PLAN_TARGET_S = 10.0
ACT_TARGET_S = 5.0
COUNTERPART = 0.8  # the share of a list's persons of whom the other side's registry has a record too
XID = "bench-exchange"
PERSON_AUDIENCE = "party:ru,party:ua"
EXCHANGE_AUDIENCE = "only,party:icrc,party:ru,party:ua"
RANKS = {"ua": ("солдат", "старший солдат", "сержант", "лейтенант", "капітан"),
         "ru": ("рядовой", "ефрейтор", "сержант", "лейтенант", "капитан")}


def temp_dir() -> Path:
    """A new temporary directory, removed with everything in it at exit."""
    tmp = Path(tempfile.mkdtemp(prefix="parley-bench-exchange-"))
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    return tmp


# --- synthetic registry and lists -----------------------------------------------------------------------------

def name_pools(quick: bool, seed: int) -> tuple[dict[Any, Any], tuple[list[str], list[str]]]:
    """The name pools and places of ``bench/linkage.py`` (about 20 s to build); with ``quick``, small pools from
    Faker's Ukrainian lists and names_translator's Russian forms (under a second)."""
    import linkage

    if not quick:
        return linkage.build_pools(np.random.default_rng(seed)), linkage.places()
    from faker.providers.person.uk_UA import Provider as Uk
    from names_translator.dicts import default_dicts

    from parley.people.names import clean

    dicts = default_dicts()

    def cap(w: str) -> str:
        return "-".join(p[:1].upper() + p[1:] for p in w.split("-"))

    def pool(kind: str, words: Sequence[str], translator_pool: str) -> Any:
        uk: list[str] = []
        ru: list[str] = []
        for w in dict.fromkeys(clean(x) for x in words):
            if w and " " not in w:
                found = dicts.lookup_key(w, translator_pool)
                uk.append(cap(w))
                ru.append(cap(clean(found[0]) if found else w))
        weights = 1.0 / (np.arange(len(uk)) + 8.0)
        return linkage.Pool(kind, uk, ru, weights / weights.sum())

    pools = {("given", "m"): pool("given", Uk.first_names_male, "first"),
             ("given", "f"): pool("given", Uk.first_names_female, "first"),
             ("patronymic", "m"): pool("patronymic", Uk.middle_names_male, "patronymic"),
             ("patronymic", "f"): pool("patronymic", Uk.middle_names_female, "patronymic"),
             ("surname", "m"): pool("surname", Uk.last_names, "last")}
    return pools, linkage.places()


def iso_date(text: str) -> str:
    """A registry's birth date is ISO ("yyyy-mm-dd" or "yyyy"): the generator's "dd.mm.yyyy" turned round."""
    if "." in text:
        d, m, y = text.split(".")
        return f"{y}-{m}-{d}"
    return text


@dataclass
class Registry:
    rows: list[dict[str, Any]]  # id, party, person (synthetic), and the matcher's input columns
    lists: dict[str, list[str]]  # side -> its hand-over list: the ids of its own records of the persons
    truth: dict[str, str | None]  # listed record id -> the other side's record of the same person, if any


def registry(n_records: int, per_side: int, seed: int, pools: dict[Any, Any],
             places: tuple[list[str], list[str]]) -> Registry:
    """``n_records`` registry records: each side's ``per_side`` listed persons with its own record and (80 %) the
    other side's, then other persons with 1-5 records of either side (namesakes, brothers and twins among them)."""
    import linkage

    nrng = np.random.default_rng(seed)
    rng = random.Random(seed)
    persons, counts, _ = linkage.make_persons(int(n_records * 1.2), pools, places, nrng, rng)
    if len(persons) < 4 * per_side:
        raise SystemExit(f"a registry of {n_records} records is too small for lists of {per_side} a side")
    chosen = rng.sample(range(len(persons)), 2 * per_side)
    specs: list[tuple[int, str, str]] = []  # (person, party, the listing side or "")
    for k, (side, other) in enumerate((SIDES, SIDES[::-1])):
        for i in chosen[k * per_side:(k + 1) * per_side]:
            specs.append((i, side, side))
            if rng.random() < COUNTERPART:
                specs.append((i, other, ""))
    listed = set(chosen)
    rest = [i for i in range(len(persons)) if i not in listed]
    rng.shuffle(rest)
    budget = n_records - len(specs)
    for i in rest:
        take = min(int(counts[i]), budget)
        specs.extend((i, rng.choice(SIDES), "") for _ in range(take))
        budget -= take
        if budget == 0:
            break
    rng.shuffle(specs)
    rows: list[dict[str, Any]] = []
    lists: dict[str, list[str]] = {side: [] for side in SIDES}
    by_person: dict[tuple[int, str], str] = {}
    for k, (i, party, listing) in enumerate(specs):
        rec = linkage.write(persons[i], pools, places, rng)
        rid = f"{party}-p-{k + 1:06d}"
        rows.append({"id": rid, "party": party, "person": i, **rec, "birth_date": iso_date(rec["birth_date"])})
        by_person[(i, party)] = rid
        if listing:
            lists[listing].append(rid)
    person = {r["id"]: r["person"] for r in rows}
    truth = {rid: by_person.get((person[rid], other)) for side, other in (SIDES, SIDES[::-1])
             for rid in lists[side]}
    for side in SIDES:
        rng.shuffle(lists[side])
    return Registry(rows, lists, truth)


def keys(row: dict[str, Any]) -> dict[str, str]:
    """The name keys ``person.register`` stores beside a record (``people.kinds._keys``)."""
    from parley.people.names import features

    f = features(row["surname"], row["first_name"], row["patronymic"])
    return {"surname_key": f["surname_key"][:200] or "-", "first_key": f["first_key"][:200],
            "patronymic_key": f["patronymic_key"][:200], "birth_year": row["birth_date"][:4]}


# --- 1. the list check ----------------------------------------------------------------------------------------

class TimedMatcher:
    """The registry's matcher, timing what ``service.check`` asks of it."""

    def __init__(self, matcher: Any) -> None:
        self.matcher, self.seconds, self.rows, self.ids = matcher, 0.0, 0, 0

    def candidates_many(self, rows: list[dict[str, Any]], top: int = 10) -> list[list[tuple[str, float]]]:
        t0 = time.perf_counter()
        out: list[list[tuple[str, float]]] = self.matcher.candidates_many(rows, top=top)
        self.seconds += time.perf_counter() - t0
        self.rows += len(rows)
        self.ids = len({rid for found in out for rid, _ in found})  # what check then reads back in one IN (...)
        return out


def database(tmp: Path, url: str | None) -> str:
    """SQLite in ``tmp``; or, given a PostgreSQL URL, a schema of its own there, dropped at exit."""
    if not url:
        return f"sqlite:///{tmp / 'parley.db'}"
    from sqlalchemy import text

    from parley.db import make_engine

    schema = "bench_" + os.urandom(5).hex()
    admin = make_engine(url)
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    atexit.register(drop)
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def deployment(tmp: Path, reg: Registry, url: str | None = None) -> tuple[Any, float]:
    """A new deployment (SQLite, or a schema of the PostgreSQL database ``url``) with the registry's persons and
    the exchange's two hand-over lists written straight into the projection tables; the seconds it took (name keys
    included)."""
    from sqlalchemy import insert

    from parley.exchanges.models import Exchange, ExchangeEntry
    from parley.people.models import Person
    from tests.conftest import make_runtime

    t0 = time.perf_counter()
    rt = make_runtime(database(tmp, url), tmp)
    now = datetime.now(UTC)
    rng = random.Random(len(reg.rows))
    persons = []
    for k, r in enumerate(reg.rows):
        other = SIDES[1] if r["party"] == SIDES[0] else SIDES[0]
        civilian = rng.random() < 0.1
        persons.append({
            "id": r["id"], "category": "civilian" if civilian else "pow", "party": r["party"], "own_party": other,
            "author": f"{r['party']}/registrar", "audience": PERSON_AUDIENCE, "surname": r["surname"],
            "first_name": r["first_name"], "patronymic": r["patronymic"], "birth_date": r["birth_date"],
            "birth_place": r["birth_place"], "service_number": r["service_number"],
            "rank": "" if civilian else rng.choice(RANKS[r["party"]]), "seriously_wounded": rng.random() < 0.08,
            "capture_date": f"{rng.randint(2022, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "status": "captured", **keys(r), "created_idx": k + 10, "updated_idx": k + 10, "created_at": now})
    terms = ('{"formula": {"kind": "n_for_n", "n": 1000}, "kind": "prisoners", "place": "bench", "stages": '
             '[{"number": 1, "size": 300}, {"number": 2, "size": 300}, {"number": 3, "size": 400}]}')
    with rt.sessions.begin() as s:
        for start in range(0, len(persons), 10_000):
            s.execute(insert(Person), persons[start:start + 10_000])
        s.add(Exchange(id=XID, idx=1, title="Benchmark exchange", kind="prisoners", parties=",".join(SIDES),
                       mediators="icrc", version=1, sha256="0" * 64, terms=terms, agreed_version=1, status="agreed",
                       author="icrc/mediator", party="icrc", audience=EXCHANGE_AUDIENCE, updated_idx=2))
        s.flush()
        s.execute(insert(ExchangeEntry), [
            {"exchange": XID, "side": side, "direction": "hand_over", "person": pid, "n": n, "list_idx": 3 + k,
             "audience": EXCHANGE_AUDIENCE, "party": side}
            for k, side in enumerate(SIDES) for n, pid in enumerate(reg.lists[side], 1)])
    return rt, time.perf_counter() - t0


def exact_keys(reg: Registry, stored: dict[str, dict[str, str]]) -> tuple[dict[str, str | None], float]:
    """The baseline: each listed record's other-side counterpart by its exact name keys (one record of the other
    side with the same surname key, given-name key and birth year, or none); the seconds it took."""
    from parley.people.names import features

    t0 = time.perf_counter()
    index: dict[tuple[str, str, str], list[tuple[str, str]]] = defaultdict(list)
    for rid, k in stored.items():
        index[(k["surname_key"], k["first_key"], k["birth_year"])].append((rid, rid.split("-", 1)[0]))
    rows = {r["id"]: r for r in reg.rows}
    out: dict[str, str | None] = {}
    for side in SIDES:
        for rid in reg.lists[side]:
            r = rows[rid]
            f = features(r["surname"], r["first_name"], r["patronymic"])
            hits = [h for h, party in index[(f["surname_key"] or "-", f["first_key"], r["birth_date"][:4])]
                    if party != side]
            out[rid] = hits[0] if len(hits) == 1 else None
    return out, time.perf_counter() - t0


def scores(found: dict[str, str | None], truth: dict[str, str | None]) -> tuple[float, float]:
    """Precision and recall of "found" against the truth."""
    right = sum(1 for rid, got in found.items() if got is not None and got == truth[rid])
    claimed = sum(1 for got in found.values() if got is not None)
    real = sum(1 for t in truth.values() if t is not None)
    return (right / claimed if claimed else 1.0), (right / real if real else 1.0)


def matcher_path(m: Any, reg: Registry) -> tuple[dict[str, tuple[str, list[tuple[str, float]]]], float]:
    """The check without the database: every listed record's candidates in one ``candidates_many`` pass, those of
    the other side classified as ``service.check`` does; per listed record (result, candidates); the seconds."""
    from parley.exchanges.service import FOUND, RIVAL

    rows = {r["id"]: r for r in reg.rows}
    listed = [(side, rid) for side in SIDES for rid in reg.lists[side]]
    t0 = time.perf_counter()
    answers = m.candidates_many([{c: rows[rid][c] for c in INPUT} for _, rid in listed], top=10)
    out: dict[str, tuple[str, list[tuple[str, float]]]] = {}
    for (side, rid), cands in zip(listed, answers, strict=True):
        usable = [(q, p) for q, p in cands if rows[q]["party"] != side]
        if not usable or usable[0][1] < RIVAL:
            result = "not_found"
        elif usable[0][1] >= FOUND and (len(usable) < 2 or usable[1][1] < RIVAL):
            result = "found"
        else:
            result = "ambiguous"
        out[rid] = (result, usable[:5])
    return out, time.perf_counter() - t0


INPUT = ("surname", "first_name", "patronymic", "birth_date", "birth_place", "service_number")


def check_figures(n_records: int, per_side: int, seed: int, quick: bool, url: str | None) -> dict[str, Any]:
    from parley.exchanges import service
    from parley.exchanges.models import Exchange
    from parley.parties.principal import Principal
    from parley.people import service as people

    t0 = time.perf_counter()
    pools, places = name_pools(quick, seed)
    reg = registry(n_records, per_side, seed, pools, places)
    gen_s = time.perf_counter() - t0
    tmp = temp_dir()
    db = "PostgreSQL" if url else "SQLite"
    rt, db_s = deployment(tmp, reg, url)
    with_counterpart = sum(1 for t in reg.truth.values() if t is not None)
    print(f"list check: {len(reg.rows):,} registry records and lists of {per_side:,} a side ({with_counterpart:,} of "
          f"the {2 * per_side:,} listed persons have a record of the other side too); generated in {gen_s:.1f} s, "
          f"written to {db} (name keys, person rows, exchange entries) in {db_s:.1f} s")
    mediator = Principal(member="icrc/mediator", party="icrc", party_kind="mediator",
                         roles=frozenset({"negotiator", "liaison"}), display_name="benchmark mediator")
    error = ""
    try:
        with rt.sessions() as s:
            t0 = time.perf_counter()
            m = people.matcher(s)
            train_s = time.perf_counter() - t0
            x = s.get(Exchange, XID)
            assert x is not None
            timed = TimedMatcher(m)
            t0 = time.perf_counter()
            try:
                checks = service.check(s, mediator, x, matcher=timed)
                check_s = time.perf_counter() - t0
                per = {c.person: (c.result, [(q.id, p) for q, p in c.candidates]) for c in checks}
                counterpart = {c.person: c.counterpart.id for c in checks
                               if c.result == "found" and c.counterpart is not None}
                how = f"end to end: exchanges.service.check on {db}"
            except Exception as exc:  # noqa: BLE001 - reported, and the matcher's path is measured instead
                error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
                print(f"  exchanges.service.check FAILED after {time.perf_counter() - t0:.1f} s "
                      f"({timed.ids:,} candidate persons to read back): {error}")
                s.rollback()
                m.forget()  # what the failed check scored is scored again
                per, check_s = matcher_path(m, reg)
                timed.seconds, timed.rows = check_s, len(per)
                counterpart = {rid: cands[0][0] for rid, (result, cands) in per.items() if result == "found"}
                how = "the matcher's path alone (Matcher.candidates_many and the classification; no database)"
        stored = {r["id"]: keys(r) for r in reg.rows}  # (already computed once: the Normaliser caches the parts)
        base_found, base_s = exact_keys(reg, stored)
    finally:
        rt.close()
    found = {rid: counterpart.get(rid) for rid in per}
    results = Counter(result for result, _ in per.values())
    top_right = sum(1 for rid, (_, cands) in per.items() if cands and cands[0][0] == reg.truth[rid])
    precision, recall = scores(found, reg.truth)
    b_precision, b_recall = scores(base_found, reg.truth)
    n = len(per)
    print(f"  {how}; the registry's model trained by people.service.matcher (person rows read, EM) in "
          f"{train_s:.1f} s")
    print(f"  checked {n:,} entries in {check_s:.1f} s (target < {CHECK_TARGET_S:.0f} s), of which "
          f"{timed.seconds:.1f} s in Matcher.candidates_many ({timed.rows:,} rows in one pass, {timed.ids:,} "
          f"candidate persons) and "
          f"{check_s - timed.seconds:.1f} s in the per-entry database look-ups, reading the candidates back and the "
          f"classification")
    print(f"  results: {', '.join(f'{k} {v:,}' for k, v in sorted(results.items()))}; found {results['found'] / n:.1%} "
          f"(FOUND={service.FOUND}, RIVAL={service.RIVAL}); precision of found {precision:.4f}, recall "
          f"{recall:.4f}; the right record first among the candidates for {top_right / with_counterpart:.1%} "
          f"of those who have one")
    print(f"  baseline (exact name keys: surname, given name, birth year): {base_s * 1000:.0f} ms, found "
          f"{sum(1 for v in base_found.values() if v) / n:.1%}, precision {b_precision:.4f}, recall {b_recall:.4f}; "
          f"check / baseline {check_s / base_s:.0f}x")
    return {"database": db.lower(), "end_to_end": not error, "registry": len(reg.rows), "listed": n,
            "train_s": round(train_s, 2), "check_s": round(check_s, 2), "match_s": round(timed.seconds, 2),
            "candidate_persons": timed.ids, "found_rate": round(results["found"] / n, 4),
            "ambiguous": results["ambiguous"], "not_found": results["not_found"], "duplicate": results["duplicate"],
            "found_precision": round(precision, 4), "found_recall": round(recall, 4),
            "check_baseline_ms": round(base_s * 1000, 1), "check_ratio": round(check_s / base_s, 1),
            "baseline_precision": round(b_precision, 4), "baseline_recall": round(b_recall, 4),
            "_registry": reg}


# --- 2. the plan ----------------------------------------------------------------------------------------------

def candidates(per_side: int, seed: int) -> list[Candidate]:
    """``per_side`` seeded random candidates for each side, with synthetic person ids (``ua-p-00001``)."""
    rng = random.Random(seed)
    out = []
    for side in SIDES:
        for i in range(per_side):
            u = rng.random()
            consent = False if u < 0.05 else None if u < 0.07 else True
            out.append(Candidate(person=f"{side}-p-{i + 1:05d}", side=side,
                                 category=rng.choices(("officer", "soldier", "civilian"), (1, 6, 3))[0],
                                 seriously_wounded=rng.random() < 0.08, held_days=rng.randint(1, 1500),
                                 consent=consent, verified=rng.random() >= 0.01,
                                 pinned=rng.random() < 0.002, excluded=rng.random() < 0.002))
    return out


def baseline(cands: list[Candidate], n: int, stages: list[int]) -> tuple[tuple[tuple[str, str], ...], ...]:
    """The stages by sorting: per side the pinned (eligible by construction here) and then the priority order,
    cut at n; the cut list then sorted by priority and split at the stage sizes."""
    out: list[list[tuple[str, str]]] = [[] for _ in stages]
    for side in SIDES:
        ok = sorted((c for c in cands if c.side == side and c.consent is True and c.verified and not c.excluded),
                    key=priority_key)
        pinned = [c for c in ok if c.pinned]
        chosen = sorted(pinned + [c for c in ok if not c.pinned][: n - len(pinned)], key=priority_key)
        at = 0
        for k, size in enumerate(stages):
            out[k].extend((side, c.person) for c in chosen[at : at + size])
            at += size
    return tuple(tuple(s) for s in out)


def plan_figures(per_side: int = 5_000, n: int = 1_000, stages: tuple[int, ...] = (300, 300, 400),
                 seed: int = 20260, log: bool = True) -> dict[str, float]:
    """Plan an n-for-n among ``per_side`` candidates a side; the figures, and whether the plan is the baseline's."""
    cands = candidates(per_side, seed)
    # Pinned persons who are not eligible would make the plan infeasible: the parties pin only eligible ones.
    cands = [c if not c.pinned or (c.consent is True and c.verified and not c.excluded)
             else replace(c, pinned=False) for c in cands]
    t0 = time.perf_counter()
    plan: Plan = solve(cands, Formula("n_for_n", n=n), SIDES, list(stages), time_limit=60.0)
    total_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    expected = baseline(cands, n, list(stages))
    baseline_s = time.perf_counter() - t0
    agrees = plan.stages == expected
    counts = [sum(1 for side, _ in s if side == "ua") for s in plan.stages]
    wounded_in = sum(1 for r in plan.reasons if r.code == "seriously_wounded")
    if log:
        print(f"plan: {len(cands)} candidates, {n}-for-{n} in stages {list(stages)}: {plan.status} in "
              f"{plan.seconds:.2f} s in HiGHS (target < {PLAN_TARGET_S:.0f} s; {total_s:.2f} s in all), optimality "
              f"gap {plan.gap:.2e}, objective {plan.objective:,.0f}")
        print(f"  per side per stage: {counts}; seriously wounded in: {wounded_in}")
        print(f"  baseline (sorted priority order): {baseline_s * 1000:.1f} ms; same stages: {agrees}; "
              f"plan / baseline {total_s / baseline_s:.0f}x")
    return {"candidates": len(cands), "plan_s": round(plan.seconds, 3), "plan_total_s": round(total_s, 3),
            "plan_gap": plan.gap, "plan_baseline_ms": round(baseline_s * 1000, 1), "plan_agrees": float(agrees),
            "plan_ratio": round(total_s / baseline_s, 1)}


# --- 3. the act of transfer -----------------------------------------------------------------------------------

def act_of(reg: Registry | None, count: int, nonce: str) -> Any:
    """An act of ``count`` persons handed over by "ua": ua's record of each beside ru's (when ru has one), every
    record hash new (``nonce``), so that none of the QR codes is in ``act.qr_svg``'s cache."""
    from parley.exchanges.act import Act, ActCount, ActPerson

    rng = random.Random(count)
    rows = {r["id"]: r for r in reg.rows} if reg is not None else {}
    listed = reg.lists["ua"] if reg is not None else []

    def fields(r: dict[str, Any] | None, side: str, k: int) -> dict[str, str]:
        if r is None:
            r = {"surname": f"Тестенко-{k}", "first_name": "Петро", "patronymic": "Іванович",
                 "birth_date": "1990-01-02", "service_number": ""}
        return {"surname": r["surname"], "first_name": r["first_name"], "patronymic": r["patronymic"],
                "birth_date": r["birth_date"], "rank": rng.choice(RANKS[side]), "service_number": r["service_number"],
                "category": "soldier"}

    def digest(k: int) -> str:
        return hashlib.sha256(f"{nonce}:{count}:{k}".encode()).hexdigest()

    persons = []
    for k in range(count):
        rid = listed[k % len(listed)] if listed else None
        mine = rows.get(rid) if rid else None
        theirs = rows.get(reg.truth[rid] or "") if reg is not None and rid else None
        persons.append(ActPerson(
            n=k + 1, sender=fields(mine, "ua", k), receiver=fields(theirs, "ru", k) if theirs or not listed else None,
            handed_over=f"2026-05-01 {10 + k // 60 % 10:02d}:{k % 60:02d} UTC", index=100_000 + k,
            record_hash=digest(k), seriously_wounded=rng.random() < 0.08))
    return Act(origin="parley.example/log", exchange=XID, title="Обмін полоненими (бенчмарк)", stage=1,
               kind="prisoners", formula=f"{count} for {count}", sender="Україна", receiver="Російська Федерація",
               mediators=["МКЧХ"], place="Пункт передачі (бенчмарк)", time="2026-05-01 10:00 UTC",
               persons=persons, counts=[ActCount("Україна", str(count), "—"), ActCount("Російська Федерація", "—",
                                                                                     str(count))],
               tally=count, last_index=100_000 + count - 1, last_hash=digest(count - 1))


def act_figures(reg: Registry | None, count: int, small: int) -> dict[str, Any]:
    import pypdf

    from parley.exchanges import act

    nonce = os.urandom(8).hex()
    t0 = time.perf_counter()
    act.render(act_of(None, 1, nonce + "warm-up"), "uk")
    warm_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    act.render(act_of(reg, small, nonce), "uk")
    small_s = time.perf_counter() - t0
    big = act_of(reg, count, nonce)
    t0 = time.perf_counter()
    pdf = act.render(big, "uk")
    act_s = time.perf_counter() - t0
    # Where the time goes: the document's data with the QR codes (fresh ones again), then Typst alone.
    fresh = act_of(reg, count, nonce + "again")
    t0 = time.perf_counter()
    act.document(fresh, "uk")
    doc_s = time.perf_counter() - t0
    pages = len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
    print(f"act of transfer: {count} persons in Ukrainian rendered in {act_s:.2f} s (target < {ACT_TARGET_S:.0f} s): "
          f"{pages} pages, {len(pdf) / 1024:.0f} KiB; of it about {doc_s:.2f} s for the data and the {count + 1} QR "
          f"codes, the rest in Typst")
    print(f"  baseline: a {small}-person act in {small_s:.2f} s (act / baseline {act_s / small_s:.1f}x); Typst's "
          f"first render (one person, untimed in the figures) {warm_s:.2f} s")
    return {"act_persons": count, "act_s": round(act_s, 3), "act_pages": pages, "act_baseline_s": round(small_s, 3),
            "act_ratio": round(act_s / small_s, 2), "act_data_s": round(doc_s, 3), "act_first_s": round(warm_s, 3)}


# --- main -----------------------------------------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    ap.add_argument("--quick", action="store_true", help="everything at a tiny size (a smoke test)")
    ap.add_argument("--registry", type=int, help="registry records (100,000; --quick 2,000)")
    ap.add_argument("--list", type=int, help="persons on each side's list (5,000; --quick 150)")
    ap.add_argument("--per-side", type=int, help="plan candidates a side (5,000; --quick 500)")
    ap.add_argument("--n", type=int, help="persons a side in the plan (1,000; --quick 100)")
    ap.add_argument("--act", type=int, help="persons in the act (500; --quick 30)")
    ap.add_argument("--seed", type=int, default=20260)
    ap.add_argument("--url", help="check on this PostgreSQL database (in a schema of its own) instead of SQLite")
    args = ap.parse_args()
    q = args.quick
    n_registry = args.registry or (2_000 if q else 100_000)
    n_list = args.list or (150 if q else 5_000)
    per_side = args.per_side or (500 if q else 5_000)
    n = args.n or (100 if q else 1_000)
    n_act = args.act or (30 if q else 500)

    chk = check_figures(n_registry, n_list, args.seed, q, args.url)
    reg = chk.pop("_registry")
    stages = (3 * n // 10, 3 * n // 10, n - 2 * (3 * n // 10))
    plan = plan_figures(per_side, n, stages, args.seed)
    act = act_figures(reg, n_act, max(1, min(10, n_act // 3)))

    meets_check = chk["end_to_end"] and chk["check_s"] < CHECK_TARGET_S
    meets_plan = plan["plan_s"] < PLAN_TARGET_S and plan["plan_gap"] == 0.0 and plan["plan_agrees"] == 1.0
    meets_act = act["act_s"] < ACT_TARGET_S
    last_line(**chk, check_target_s=CHECK_TARGET_S,
              candidates=int(plan["candidates"]), plan_s=plan["plan_s"], plan_total_s=plan["plan_total_s"],
              plan_gap=plan["plan_gap"], plan_agrees=plan["plan_agrees"] == 1.0,
              plan_baseline_ms=plan["plan_baseline_ms"], plan_ratio=plan["plan_ratio"], plan_target_s=PLAN_TARGET_S,
              **act, act_target_s=ACT_TARGET_S,
              meets_check_target=meets_check, meets_plan_target=meets_plan, meets_act_target=meets_act)
    if plan["plan_agrees"] != 1.0:
        sys.exit(1)


if __name__ == "__main__":
    main()
