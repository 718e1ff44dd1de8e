"""The plan of an exchange: who each side hands over, in which stage, and why each person is in or out.

The parties' coordination staffs offer their lists; Parley checks them against the registry and the mediators
record each person's consent interview. From these, the agreed formula and its stages, ``solve`` proposes a plan
for the mediator and the parties to discuss: an integer program solved by HiGHS (``highspy``), never a greedy
loop, so that pinned persons, category counts and stage sizes are met together, and later rules slot in as rows.

The rules:

- **Eligible** is a person who wants to be repatriated (consent given), whom the list check found (verified), and
  whom no party excluded. Nobody else is ever in a stage.
- **Pinned** persons (a party insists) are in; a pinned person who is not eligible makes the plan infeasible.
- **Formula** ``n_for_n``: each side hands over exactly ``n``. ``by_category``: exactly ``categories[c]`` of each
  category ``c``, where ``"wounded"`` counts the seriously wounded or sick of any category (a seriously wounded
  officer counts under ``"wounded"`` only) and a category not named takes no one. ``all_for_all``: every eligible
  person is in.
- **Stages**: ``stages[k]`` persons per side in stage ``k``. For ``n_for_n`` and ``by_category`` they sum to the
  per-side total (one stage holding everyone when not given); for ``all_for_all`` each stage takes at most
  ``stages[k]`` per side and every eligible person must fit (no limit when not given).
- **Priority** (GC III Arts. 109-110, then time in captivity): the seriously wounded and sick first, then the
  longest held, ties broken by person id. Each side's eligible persons are ranked in that order; a person's weight
  is its place from the bottom (the last has 1), and a place in the first of ``K`` stages is worth ``K`` times the
  weight, in the second ``K - 1`` times, in the last once. Putting a person of higher priority in the place of
  one of lower priority of the same pool always gains (their weights' difference times a factor >= 1), so in the
  optimum no one is out while someone after them in the priority order is in (the pinned aside), and those in go
  to the earlier stages in priority order. The weights differ within a side, so that optimum is unique; weights
  and factors are integers, so an absolute gap below 1 proves it: the same input always gives the same plan.

Counts are checked before the solver runs, so that ``PlanInfeasible`` names the constraint that fails (which
side, which category, how many needed and available); the checks are complete for these rules, and ``"model"``
(HiGHS found no plan) is a safety net; ``"time_limit"``: HiGHS found none in time. A plan cut short by the time
limit is returned with its status and gap, so the mediator sees it is not the optimum. Arguments that make no
sense (unknown formula, negative counts, a candidate of a side not in the exchange, a person twice) raise
``ValueError``.

Pure: no database, no I/O, no time of day (only the solve's duration is measured); the service records the plan
and its reasons.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np

FORMULAS = ("n_for_n", "all_for_all", "by_category")
CATEGORIES = ("wounded", "officer", "soldier", "civilian")
# Why a person is in a stage, and why one is out: ``Reason.code``.
IN_CODES = ("pinned", "seriously_wounded", "longest_held", "priority")
OUT_CODES = ("excluded", "unverified", "refused", "no_consent_yet", "over_formula", "category_full")


@dataclass(frozen=True)
class Candidate:
    person: str  # registry person id (the sender's record)
    side: str  # the party (slug) that hands the person over
    category: str  # "officer" | "soldier" | "civilian" (not used for remains)
    seriously_wounded: bool  # seriously wounded or sick: GC III Arts. 109-110, first
    held_days: int  # days since capture; the longest held go first
    consent: bool | None  # True: wants repatriation; False: refused; None: not yet interviewed
    verified: bool  # the list check found the person (not ambiguous, not found, released, deceased)
    pinned: bool = False  # a party pinned the person: must be in
    excluded: bool = False  # a party excluded the person: must be out


@dataclass(frozen=True)
class Formula:
    kind: str  # "n_for_n" | "all_for_all" | "by_category"
    n: int | None = None  # n_for_n: persons per side in all
    # by_category: persons per side per category, keys among CATEGORIES; "wounded" counts the seriously wounded of
    # any category.
    categories: Mapping[str, int] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Reason:
    person: str
    side: str
    stage: int | None  # 1-based stage, None if out
    code: str  # IN_CODES when in, OUT_CODES when out
    # rank (1-based place in the side's priority order, eligible persons only), held_days, category (by_category),
    # places (the formula's places when out for lack of one), also (further grounds for being out), why (priority).
    detail: dict[str, Any] = field(hash=False)


@dataclass(frozen=True)
class Plan:
    # Per stage, (side, person) pairs: sides in the order given to ``solve``, then by priority.
    stages: tuple[tuple[tuple[str, str], ...], ...]
    reasons: tuple[Reason, ...]  # one per candidate, in candidate order
    status: str  # HiGHS model status as text, e.g. "Optimal"
    objective: float
    gap: float  # the solver's relative MIP gap (0.0 when proven optimal)
    seconds: float  # time in HiGHS: loading the model and solving it

    def reason(self, person: str) -> Reason:
        """The reason given for ``person`` (KeyError if not a candidate)."""
        for r in self.reasons:
            if r.person == person:
                return r
        raise KeyError(person)


class PlanInfeasible(Exception):
    """No plan meets the formula: ``constraint`` names the rule that fails, ``params`` its figures.

    - ``empty``: the formula hands over no one (``formula``; for all_for_all ``eligible`` per side).
    - ``stage_sizes``: the stage sizes do not add up (``stages``, ``total``, ``needed``; ``side`` for all_for_all).
    - ``pinned_ineligible``: a pinned person cannot go (``person``, ``side``, ``reason``: an out code).
    - ``pinned_over``: more pinned persons than places (``side``, ``category`` or None, ``pinned``, ``places``).
    - ``side_count``: too few eligible persons (``side``, ``category`` or None, ``needed``, ``available``).
    - ``model``: HiGHS found no plan (``status``).
    - ``time_limit``: HiGHS found no plan within ``time_limit`` seconds (``status``).
    """

    def __init__(self, constraint: str, **params: Any) -> None:
        self.constraint = constraint
        self.params: dict[str, Any] = params
        figures = ", ".join(f"{k}={v!r}" for k, v in params.items())
        super().__init__(f"{constraint}: {figures}" if figures else constraint)


def ineligibility(c: Candidate) -> list[str]:
    """Every ground on which ``c`` may not go, the weightiest first; empty if eligible."""
    grounds = []
    if c.excluded:
        grounds.append("excluded")
    if not c.verified:
        grounds.append("unverified")
    if c.consent is False:
        grounds.append("refused")
    elif c.consent is None:
        grounds.append("no_consent_yet")
    return grounds


def priority_key(c: Candidate) -> tuple[bool, int, str]:
    """Sort key of the priority order: seriously wounded first, then the longest held, then by person id."""
    return (not c.seriously_wounded, -c.held_days, c.person)


def pool_of(c: Candidate, formula: Formula) -> str | None:
    """The category a person counts under for ``by_category`` ("wounded" before the person's own); else None."""
    if formula.kind != "by_category":
        return None
    return "wounded" if c.seriously_wounded else c.category


def _check_arguments(candidates: Sequence[Candidate], formula: Formula, sides: Sequence[str],
                     stages: Sequence[int] | None) -> None:
    if formula.kind not in FORMULAS:
        raise ValueError(f"unknown formula {formula.kind!r}: one of {', '.join(FORMULAS)}")
    if formula.kind == "n_for_n" and (formula.n is None or formula.n < 0):
        raise ValueError(f"n_for_n needs n >= 0, not {formula.n!r}")
    if formula.kind == "by_category":
        unknown = sorted(set(formula.categories) - set(CATEGORIES))
        if unknown:
            raise ValueError(f"unknown categories {unknown}: among {', '.join(CATEGORIES)}")
        if any(v < 0 for v in formula.categories.values()):
            raise ValueError("category counts must be >= 0")
    if not sides or len(set(sides)) != len(sides):
        raise ValueError("sides must be given, each once")
    if stages is not None and (not stages or any(s < 0 for s in stages)):
        raise ValueError("stages must be a non-empty list of sizes >= 0")
    known, seen = set(sides), set()
    for c in candidates:
        if c.side not in known:
            raise ValueError(f"candidate {c.person} is handed over by {c.side!r}, not a side of the exchange")
        if c.person in seen:
            raise ValueError(f"candidate {c.person} is offered twice")
        if c.held_days < 0:
            raise ValueError(f"candidate {c.person} has held_days < 0")
        seen.add(c.person)


def _check_counts(candidates: Sequence[Candidate], formula: Formula, sides: Sequence[str],
                  stages: list[int] | None, eligible: dict[str, list[Candidate]]) -> list[int]:
    """Raise ``PlanInfeasible`` naming the first rule no plan can meet; return the stage sizes to use."""
    if formula.kind == "n_for_n":
        assert formula.n is not None
        total = formula.n
    elif formula.kind == "by_category":
        total = sum(formula.categories.values())
    else:
        total = -1
    if total == 0:
        raise PlanInfeasible("empty", formula=formula.kind)
    if formula.kind == "all_for_all" and not any(eligible.values()):
        raise PlanInfeasible("empty", formula=formula.kind, eligible=dict.fromkeys(sides, 0))
    if total > 0:
        sizes = [total] if stages is None else stages
        if sum(sizes) != total:
            raise PlanInfeasible("stage_sizes", stages=list(sizes), total=sum(sizes), needed=total)
    else:
        sizes = [max((len(e) for e in eligible.values()), default=0)] if stages is None else stages
        for side in sides:
            if len(eligible[side]) > sum(sizes):
                raise PlanInfeasible("stage_sizes", side=side, stages=list(sizes), total=sum(sizes),
                                     needed=len(eligible[side]))
    for c in candidates:
        grounds = ineligibility(c)
        if c.pinned and grounds:
            raise PlanInfeasible("pinned_ineligible", person=c.person, side=c.side, reason=grounds[0])
    for side in sides:
        if formula.kind == "n_for_n":
            pools: dict[str | None, int] = {None: total}
        elif formula.kind == "by_category":
            pools = {k: formula.categories.get(k, 0) for k in CATEGORIES}
            pools.update({pool_of(c, formula): 0 for c in eligible[side] if pool_of(c, formula) not in pools})
        else:
            continue
        for pool, places in pools.items():
            members = [c for c in eligible[side] if pool_of(c, formula) == pool]
            pinned = sum(c.pinned for c in members)
            if pinned > places:
                raise PlanInfeasible("pinned_over", side=side, category=pool, pinned=pinned, places=places)
            if len(members) < places:
                raise PlanInfeasible("side_count", side=side, category=pool, needed=places, available=len(members))
    return list(sizes)



_BANNER = threading.Lock()
_QUIET: list[bool] = []  # one entry once the banner has been printed (to /dev/null)


def _highs() -> Any:
    """A new HiGHS instance. The first one in a process prints HiGHS's banner on the C level before any option
    can silence it: that one is made with the process's standard output pointed at /dev/null, so a server's log
    and a command's output stay Parley's own."""
    with _BANNER:
        if _QUIET:
            return highspy.Highs()  # type: ignore[no-untyped-call]  # highspy's __init__ has no annotation
        sys.stdout.flush()
        saved = os.dup(1)
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, 1)
            h = highspy.Highs()  # type: ignore[no-untyped-call]
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(null)
        _QUIET.append(True)
        return h

def solve(candidates: Sequence[Candidate], formula: Formula, sides: Sequence[str], stages: Sequence[int] | None = None,
          *, time_limit: float = 10.0) -> Plan:
    """Propose who each side hands over in which stage under ``formula``, and why each candidate is in or out."""
    _check_arguments(candidates, formula, sides, stages)
    if not time_limit >= 0:
        raise ValueError(f"time_limit must be >= 0 seconds, not {time_limit!r}")
    eligible: dict[str, list[Candidate]] = {s: [] for s in sides}
    for c in candidates:
        if not ineligibility(c):
            eligible[c.side].append(c)
    for side in sides:
        eligible[side].sort(key=priority_key)
    sizes = _check_counts(candidates, formula, sides, None if stages is None else list(stages), eligible)
    rank = {c.person: i + 1 for side in sides for i, c in enumerate(eligible[side])}

    # Columns: x[e, k] = eligible person e (sides in order, each by priority) in stage k. Rows: one per person
    # (at most one stage; exactly one if pinned or all_for_all), one per side and stage (its size; at most its size
    # for all_for_all), and for by_category one per side and category (its count).
    people = [c for side in sides for c in eligible[side]]
    n_people, n_stages = len(people), len(sizes)
    side_index = {s: i for i, s in enumerate(sides)}
    side_of = np.fromiter((side_index[c.side] for c in people), dtype=np.int64, count=n_people)
    side_size = np.array([len(eligible[s]) for s in sides], dtype=np.int64)
    weight = side_size[side_of] - np.fromiter((rank[c.person] for c in people), dtype=np.int64, count=n_people) + 1
    factor = np.arange(n_stages, 0, -1, dtype=np.int64)
    costs = (weight[:, None] * factor[None, :]).ravel().astype(np.float64)

    everyone = formula.kind == "all_for_all"
    must = np.fromiter((everyone or c.pinned for c in people), dtype=bool, count=n_people)
    row_lower = [np.where(must, 1.0, 0.0)]
    row_upper = [np.ones(n_people)]
    entries = [np.repeat(np.arange(n_people), n_stages)]  # each column's person row
    n_rows = n_people
    if not (everyone and stages is None):
        stage_rows = np.tile(np.array(sizes, dtype=np.float64), len(sides))
        row_lower.append(np.zeros_like(stage_rows) if everyone else stage_rows)
        row_upper.append(stage_rows)
        entries.append(n_rows + (side_of[:, None] * n_stages + np.arange(n_stages)[None, :]).ravel())
        n_rows += len(stage_rows)
    if formula.kind == "by_category":
        pool_names = sorted({str(pool_of(c, formula)) for c in people})
        pool_index = {p: i for i, p in enumerate(pool_names)}
        places = np.array([float(formula.categories.get(p, 0)) for p in pool_names] * len(sides))
        row_lower.append(places)
        row_upper.append(places)
        pool = np.fromiter((pool_index[str(pool_of(c, formula))] for c in people), dtype=np.int64, count=n_people)
        entries.append(np.repeat(n_rows + side_of * len(pool_names) + pool, n_stages))
        n_rows += len(places)
    per_col = len(entries)
    n_cols = n_people * n_stages  # > 0: the counts checked above leave someone to plan
    index = np.column_stack(entries).ravel().astype(np.int32)
    start = np.arange(0, n_cols * per_col, per_col, dtype=np.int32)

    h = _highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 0.5)  # integral objective: a gap below 1 is a proof of the optimum
    # The rows are those of a flow (category -> person -> stage): presolve reduces nothing and cost 3-4 s at a
    # 1,000-for-1,000 among 10,000 candidates (bench/exchange_plan.py); without it the plan takes about 1 s.
    h.setOptionValue("presolve", "off")
    t0 = time.perf_counter()
    h.passModel(n_cols, n_rows, len(index), int(highspy.MatrixFormat.kColwise), int(highspy.ObjSense.kMaximize),
                0.0, costs, np.zeros(n_cols), np.ones(n_cols), np.concatenate(row_lower),
                np.concatenate(row_upper), start, index, np.ones(len(index)), np.ones(n_cols, dtype=np.int32))
    h.run()
    seconds = time.perf_counter() - t0
    status = h.getModelStatus()
    status_text = h.modelStatusToString(status)
    info = h.getInfo()
    if info.primal_solution_status != int(highspy.SolutionStatus.kSolutionStatusFeasible):
        if status == highspy.HighsModelStatus.kTimeLimit:
            raise PlanInfeasible("time_limit", status=status_text, time_limit=time_limit)
        raise PlanInfeasible("model", status=status_text)
    chosen = np.asarray(h.getSolution().col_value).reshape(n_people, n_stages) > 0.5
    stage_of: dict[str, int] = {}
    for e in np.flatnonzero(chosen.any(axis=1)):
        stage_of[people[e].person] = int(np.argmax(chosen[e])) + 1
    # Optimal: proven within an absolute gap below 1 on an integral objective, i.e. exactly (HiGHS may still
    # report a relative gap of the order of 1e-8). Otherwise (time limit) the plan is the best found, gap and all.
    gap = 0.0 if status == highspy.HighsModelStatus.kOptimal else float(info.mip_gap)

    plan_stages = tuple(tuple((c.side, c.person) for c in people if stage_of.get(c.person) == k + 1)
                        for k in range(n_stages))
    reasons = _explain(candidates, formula, sides, eligible, rank, stage_of)
    return Plan(stages=plan_stages, reasons=reasons, status=status_text,
                objective=float(info.objective_function_value), gap=gap, seconds=seconds)


def _explain(candidates: Sequence[Candidate], formula: Formula, sides: Sequence[str],
             eligible: dict[str, list[Candidate]], rank: dict[str, int],
             stage_of: dict[str, int]) -> tuple[Reason, ...]:
    """One reason per candidate, in candidate order."""
    # The longest held person left out of each (side, pool): who is in ahead of them was held longer ("longest_held")
    # or as long, the tie broken by person id ("priority"); with no one left out, everyone eligible is in.
    best_out: dict[tuple[str, str | None], int] = {}
    for side in sides:
        for c in eligible[side]:
            key = (side, pool_of(c, formula))
            if c.person not in stage_of and key not in best_out:
                best_out[key] = c.held_days  # eligible lists are in priority order: the first out is the longest held
    out: list[Reason] = []
    for c in candidates:
        grounds = ineligibility(c)
        if grounds:
            detail: dict[str, Any] = {"also": grounds[1:]} if len(grounds) > 1 else {}
            out.append(Reason(c.person, c.side, None, grounds[0], detail))
            continue
        pool = pool_of(c, formula)
        detail = {"rank": rank[c.person], "held_days": c.held_days}
        if pool is not None:
            detail["category"] = pool
        stage = stage_of.get(c.person)
        if stage is None:
            if formula.kind == "by_category":
                detail["places"] = formula.categories.get(str(pool), 0)
                out.append(Reason(c.person, c.side, None, "category_full", detail))
            else:
                detail["places"] = formula.n
                out.append(Reason(c.person, c.side, None, "over_formula", detail))
            continue
        if c.pinned:
            code = "pinned"
        elif c.seriously_wounded:
            code = "seriously_wounded"
        elif (c.side, pool) not in best_out:
            code, detail["why"] = "priority", "all_eligible_in"
        elif best_out[(c.side, pool)] < c.held_days:
            code = "longest_held"
        elif best_out[(c.side, pool)] == c.held_days:
            code, detail["why"] = "priority", "tie_by_person_id"
        else:  # only in a plan cut short by the time limit (``Plan.status``)
            code, detail["why"] = "priority", "not_optimal"
        out.append(Reason(c.person, c.side, stage, code, detail))
    return tuple(out)
