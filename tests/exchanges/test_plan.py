"""The plan of an exchange (``parley.exchanges.plan``): who goes in which stage under the formula, the priority
(seriously wounded first, then the longest held), the reasons given for every person, and each infeasibility
named by its constraint. Pure, no database; synthetic person ids only."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from parley.exchanges.plan import Candidate, Formula, Plan, PlanInfeasible, priority_key, solve

SIDES = ("ua", "ru")


def cand(person: str, side: str | None = None, *, category: str = "soldier", wounded: bool = False,
         held: int = 100, consent: bool | None = True, verified: bool = True, pinned: bool = False,
         excluded: bool = False) -> Candidate:
    return Candidate(person=person, side=side or person[:2], category=category, seriously_wounded=wounded,
                     held_days=held, consent=consent, verified=verified, pinned=pinned, excluded=excluded)


def pool(side: str, count: int, *, start: int = 1, held: int = 100, **kw: object) -> list[Candidate]:
    """``count`` eligible candidates of ``side`` held ``held``, ``held + 1``, … days."""
    return [cand(f"{side}-p-{start + i:04d}", held=held + i, **kw) for i in range(count)]  # type: ignore[arg-type]


def in_stage(plan: Plan) -> dict[str, int]:
    return {person: k + 1 for k, stage in enumerate(plan.stages) for _, person in stage}


def per_side(plan: Plan) -> list[dict[str, int]]:
    return [{s: sum(1 for side, _ in stage if side == s) for s in SIDES} for stage in plan.stages]


def test_n_for_n_takes_exactly_n_per_side_and_each_stage_its_size() -> None:
    cands = pool("ua", 30) + pool("ru", 25)
    plan = solve(cands, Formula("n_for_n", n=20), SIDES, [5, 7, 8])
    assert per_side(plan) == [{"ua": 5, "ru": 5}, {"ua": 7, "ru": 7}, {"ua": 8, "ru": 8}]
    assert plan.status == "Optimal" and plan.gap == 0.0 and plan.seconds >= 0
    assert [r.person for r in plan.reasons] == [c.person for c in cands]
    stage = in_stage(plan)
    assert all(r.stage == stage.get(r.person) for r in plan.reasons)
    # Within a stage: the sides in the order given, then by priority.
    first = plan.stages[0]
    assert [s for s, _ in first] == ["ua"] * 5 + ["ru"] * 5
    held = {c.person: c.held_days for c in cands}
    assert [held[p] for s, p in first if s == "ua"] == sorted((held[p] for s, p in first if s == "ua"), reverse=True)


def test_one_stage_when_none_given() -> None:
    plan = solve(pool("ua", 4) + pool("ru", 4), Formula("n_for_n", n=3), SIDES)
    assert per_side(plan) == [{"ua": 3, "ru": 3}]


def test_the_seriously_wounded_go_first_and_in_the_earliest_stage() -> None:
    # The wounded were held one day; the others up to 5,000 days: the wounded still go, all in stage 1.
    wounded = [cand(f"ua-p-w{i}", "ua", wounded=True, held=1) for i in range(3)]
    others = pool("ua", 10, held=4000) + pool("ru", 10)
    plan = solve(wounded + others, Formula("n_for_n", n=5), SIDES, [3, 2])
    stage = in_stage(plan)
    assert all(stage.get(c.person) == 1 for c in wounded)
    assert all(plan.reason(c.person).code == "seriously_wounded" for c in wounded)
    # One stage of 2 + 3: the wounded still take the first stage's places first.
    plan = solve(wounded + others, Formula("n_for_n", n=5), SIDES, [2, 3])
    assert sorted(stage for p, stage in in_stage(plan).items() if p.startswith("ua-p-w")) == [1, 1, 2]
    assert [p for s, p in plan.stages[0] if s == "ua"] == ["ua-p-w0", "ua-p-w1"]


def test_a_wounded_person_is_never_left_out_for_one_not_wounded() -> None:
    rng = random.Random(7)
    for _ in range(20):
        cands = [cand(f"ua-p-{i:04d}", "ua", wounded=rng.random() < 0.3, held=rng.randint(1, 5000),
                      category=rng.choice(("officer", "soldier", "civilian"))) for i in range(40)]
        cands += pool("ru", 40)
        n = rng.randint(1, 30)
        plan = solve(cands, Formula("n_for_n", n=n), SIDES, [n // 2, n - n // 2])
        stage = in_stage(plan)
        wounded = [c for c in cands if c.seriously_wounded]
        others_in = [c for c in cands if c.side == "ua" and not c.seriously_wounded and c.person in stage]
        if others_in:
            assert all(c.person in stage for c in wounded)
        # Every wounded person in goes no later than any other person in.
        last_wounded = max((stage[c.person] for c in wounded if c.person in stage), default=1)
        assert all(stage[c.person] >= last_wounded for c in others_in)


def test_the_longest_held_are_preferred_and_the_others_over_the_formula() -> None:
    cands = [cand("ua-p-0001", held=10), cand("ua-p-0002", held=900), cand("ua-p-0003", held=400),
             cand("ua-p-0004", held=50), *pool("ru", 2)]
    plan = solve(cands, Formula("n_for_n", n=2), SIDES, [1, 1])
    assert [p for s, p in plan.stages[0] if s == "ua"] == ["ua-p-0002"]
    assert [p for s, p in plan.stages[1] if s == "ua"] == ["ua-p-0003"]
    r = plan.reason("ua-p-0002")
    assert (r.stage, r.code, r.detail["rank"], r.detail["held_days"]) == (1, "longest_held", 1, 900)
    out = plan.reason("ua-p-0004")
    assert (out.stage, out.code, out.detail) == (None, "over_formula", {"rank": 3, "held_days": 50, "places": 2})
    # Nobody left out on the Russian side: in by priority, every eligible person is in.
    assert plan.reason("ru-p-0001").code == "priority" and plan.reason("ru-p-0001").detail["why"] == "all_eligible_in"


def test_ties_are_broken_by_person_id_and_said_so() -> None:
    cands = [cand("ua-p-0003", held=5), cand("ua-p-0001", held=5), cand("ua-p-0002", held=5), *pool("ru", 2)]
    plan = solve(cands, Formula("n_for_n", n=2), SIDES)
    assert [p for s, p in plan.stages[0] if s == "ua"] == ["ua-p-0001", "ua-p-0002"]
    assert plan.reason("ua-p-0001").code == "priority" and plan.reason("ua-p-0001").detail["why"] == "tie_by_person_id"
    assert plan.reason("ua-p-0003").code == "over_formula"


def test_refused_not_interviewed_unverified_and_excluded_are_out() -> None:
    out = [cand("ua-p-0901", held=9000, wounded=True, consent=False),
           cand("ua-p-0902", held=9000, wounded=True, consent=None),
           cand("ua-p-0903", held=9000, wounded=True, verified=False),
           cand("ua-p-0904", held=9000, wounded=True, excluded=True),
           cand("ua-p-0905", held=9000, excluded=True, verified=False, consent=False)]
    cands = out + pool("ua", 3) + pool("ru", 3)
    plan = solve(cands, Formula("n_for_n", n=3), SIDES)
    assert {p for stage in plan.stages for _, p in stage}.isdisjoint(c.person for c in out)
    codes = {c.person: (plan.reason(c.person).stage, plan.reason(c.person).code) for c in out}
    assert codes == {"ua-p-0901": (None, "refused"), "ua-p-0902": (None, "no_consent_yet"),
                     "ua-p-0903": (None, "unverified"), "ua-p-0904": (None, "excluded"),
                     "ua-p-0905": (None, "excluded")}
    assert plan.reason("ua-p-0905").detail == {"also": ["unverified", "refused"]}
    # Too few eligible once they are out: the plan is infeasible rather than taking them.
    with pytest.raises(PlanInfeasible) as e:
        solve(cands, Formula("n_for_n", n=4), SIDES)
    assert e.value.constraint == "side_count"


def test_a_pinned_person_is_in_even_last_in_priority() -> None:
    cands = [cand("ua-p-0001", held=1, pinned=True), *pool("ua", 10, start=2, held=500), *pool("ru", 5)]
    plan = solve(cands, Formula("n_for_n", n=5), SIDES, [4, 1])
    r = plan.reason("ua-p-0001")
    assert r.code == "pinned" and r.stage == 2 and r.detail["rank"] == 11
    assert per_side(plan) == [{"ua": 4, "ru": 4}, {"ua": 1, "ru": 1}]
    assert plan.reason("ua-p-0011").code == "longest_held" and plan.reason("ua-p-0002").code == "over_formula"


@pytest.mark.parametrize(("change", "reason"), [({"consent": False}, "refused"), ({"consent": None}, "no_consent_yet"),
                                                ({"verified": False}, "unverified"), ({"excluded": True}, "excluded")])
def test_a_pinned_person_who_may_not_go_makes_the_plan_infeasible(change: dict[str, object], reason: str) -> None:
    pinned = replace(cand("ua-p-0042", pinned=True), **change)  # type: ignore[arg-type]
    with pytest.raises(PlanInfeasible) as e:
        solve([pinned, *pool("ua", 5), *pool("ru", 5)], Formula("n_for_n", n=2), SIDES)
    assert e.value.constraint == "pinned_ineligible"
    assert e.value.params == {"person": "ua-p-0042", "side": "ua", "reason": reason}
    assert "pinned_ineligible" in str(e.value) and "ua-p-0042" in str(e.value)


def test_more_pinned_than_places() -> None:
    cands = pool("ua", 3, pinned=True) + pool("ru", 5)
    with pytest.raises(PlanInfeasible) as e:
        solve(cands, Formula("n_for_n", n=2), SIDES)
    assert (e.value.constraint, e.value.params) == ("pinned_over",
                                                    {"side": "ua", "category": None, "pinned": 3, "places": 2})


def test_too_few_eligible_names_the_side_and_the_numbers() -> None:
    cands = pool("ua", 10) + pool("ru", 6) + [cand("ru-p-0099", consent=False)]
    with pytest.raises(PlanInfeasible) as e:
        solve(cands, Formula("n_for_n", n=8), SIDES, [4, 4])
    assert e.value.constraint == "side_count"
    assert e.value.params == {"side": "ru", "category": None, "needed": 8, "available": 6}


def test_stage_sizes_must_add_up_to_n() -> None:
    with pytest.raises(PlanInfeasible) as e:
        solve(pool("ua", 10) + pool("ru", 10), Formula("n_for_n", n=8), SIDES, [3, 4])
    assert (e.value.constraint, e.value.params) == ("stage_sizes", {"stages": [3, 4], "total": 7, "needed": 8})


def test_by_category_counts_are_exact_and_the_wounded_count_only_as_wounded() -> None:
    cands = [cand("ua-p-0001", category="officer", wounded=True, held=10),
             cand("ua-p-0002", category="soldier", wounded=True, held=20),
             cand("ua-p-0003", category="civilian", wounded=True, held=30)]
    cands += pool("ua", 4, start=10, category="officer") + pool("ua", 6, start=20, category="soldier")
    cands += pool("ua", 3, start=30, category="civilian")
    cands += pool("ru", 3, start=1, wounded=True) + pool("ru", 2, start=10, category="officer")
    cands += pool("ru", 5, start=20, category="soldier") + pool("ru", 2, start=30, category="civilian")
    counts = {"wounded": 2, "officer": 2, "soldier": 3, "civilian": 1}
    plan = solve(cands, Formula("by_category", categories=counts), SIDES, [5, 3])
    assert per_side(plan) == [{"ua": 5, "ru": 5}, {"ua": 3, "ru": 3}]
    by = {c.person: c for c in cands}
    for side in SIDES:
        chosen = [by[p] for stage in plan.stages for s, p in stage if s == side]
        got = {"wounded": sum(c.seriously_wounded for c in chosen)}
        for k in ("officer", "soldier", "civilian"):
            got[k] = sum(1 for c in chosen if c.category == k and not c.seriously_wounded)
        assert got == counts
    # The wounded officer held least is out under "wounded", though officers have room: it counts there only.
    r = plan.reason("ua-p-0001")
    assert (r.code, r.detail["category"], r.detail["places"]) == ("category_full", "wounded", 2)
    assert plan.reason("ua-p-0003").code == "seriously_wounded" and plan.reason("ua-p-0003").stage == 1
    assert plan.reason("ua-p-0010").code == "category_full"
    assert plan.reason("ua-p-0013").code == "longest_held"


def test_by_category_too_few_of_a_category() -> None:
    cands = pool("ua", 3, category="officer") + pool("ru", 1, category="officer") + pool("ru", 5, start=10)
    with pytest.raises(PlanInfeasible) as e:
        solve(cands, Formula("by_category", categories={"officer": 2}), SIDES)
    assert (e.value.constraint, e.value.params) == ("side_count",
                                                    {"side": "ru", "category": "officer", "needed": 2, "available": 1})
    # A pinned civilian where the formula takes no civilian.
    cands = [*pool("ua", 3, category="officer"), cand("ua-p-0100", category="civilian", pinned=True)]
    cands += pool("ru", 3, category="officer")
    with pytest.raises(PlanInfeasible) as e:
        solve(cands, Formula("by_category", categories={"officer": 2}), SIDES)
    assert (e.value.constraint, e.value.params["category"], e.value.params["places"]) == ("pinned_over", "civilian", 0)


def test_all_for_all_takes_every_eligible_person() -> None:
    cands = pool("ua", 12) + pool("ru", 7) + [cand("ua-p-0500", consent=False), cand("ru-p-0500", verified=False)]
    plan = solve(cands, Formula("all_for_all"), SIDES)
    assert len(plan.stages) == 1 and per_side(plan) == [{"ua": 12, "ru": 7}]
    assert plan.reason("ua-p-0500").code == "refused" and plan.reason("ru-p-0500").code == "unverified"
    # With stages: each takes at most its size per side, in order of priority.
    plan = solve(cands, Formula("all_for_all"), SIDES, [5, 5, 5])
    assert per_side(plan) == [{"ua": 5, "ru": 5}, {"ua": 5, "ru": 2}, {"ua": 2, "ru": 0}]
    assert [p for s, p in plan.stages[0] if s == "ua"] == [f"ua-p-{i:04d}" for i in range(12, 7, -1)]
    with pytest.raises(PlanInfeasible) as e:
        solve(cands, Formula("all_for_all"), SIDES, [5, 5])
    assert (e.value.constraint, e.value.params["side"], e.value.params["needed"]) == ("stage_sizes", "ua", 12)


def test_the_same_input_gives_the_same_plan_in_any_order() -> None:
    rng = random.Random(11)
    cands = [cand(f"{side}-p-{i:04d}", side, wounded=rng.random() < 0.1, held=rng.randint(1, 30),
                  consent=rng.choice((True, True, True, False, None)), category=rng.choice(("officer", "soldier")))
             for side in SIDES for i in range(60)]
    one = solve(cands, Formula("n_for_n", n=20), SIDES, [6, 6, 8])
    shuffled = cands[:]
    rng.shuffle(shuffled)
    two = solve(shuffled, Formula("n_for_n", n=20), SIDES, [6, 6, 8])
    assert one.stages == two.stages
    assert {r.person: r for r in one.reasons} == {r.person: r for r in two.reasons}
    assert solve(cands, Formula("n_for_n", n=20), SIDES, [6, 6, 8]).stages == one.stages


def test_the_plan_is_the_priority_order_cut_at_n_and_split_at_the_stages() -> None:
    rng = random.Random(3)
    for _ in range(10):
        cands = [cand(f"{side}-p-{i:04d}", side, wounded=rng.random() < 0.15, held=rng.randint(1, 50),
                      pinned=rng.random() < 0.05) for side in SIDES for i in range(50)]
        n = rng.randint(5, 40)
        stages = [n // 3, n // 3, n - 2 * (n // 3)]
        plan = solve(cands, Formula("n_for_n", n=n), SIDES, stages)
        for side in SIDES:
            ranked = sorted((c for c in cands if c.side == side), key=priority_key)
            pinned = [c for c in ranked if c.pinned]
            chosen = sorted(pinned + [c for c in ranked if not c.pinned][: n - len(pinned)], key=priority_key)
            at = 0
            for k, size in enumerate(stages):
                assert [p for s, p in plan.stages[k] if s == side] == [c.person for c in chosen[at : at + size]]
                at += size


def test_bad_arguments() -> None:
    cands = pool("ua", 3) + pool("ru", 3)
    with pytest.raises(ValueError, match="unknown formula"):
        solve(cands, Formula("some_for_some"), SIDES)
    with pytest.raises(ValueError, match="n >= 0"):
        solve(cands, Formula("n_for_n", n=-1), SIDES)
    with pytest.raises(ValueError, match="n >= 0"):
        solve(cands, Formula("n_for_n"), SIDES)
    with pytest.raises(ValueError, match="unknown categories"):
        solve(cands, Formula("by_category", categories={"general": 1}), SIDES)
    with pytest.raises(ValueError, match="not a side"):
        solve([*cands, cand("tr-p-0001")], Formula("n_for_n", n=1), SIDES)
    with pytest.raises(ValueError, match="twice"):
        solve([*cands, cands[0]], Formula("n_for_n", n=1), SIDES)
    with pytest.raises(ValueError, match="stages"):
        solve(cands, Formula("n_for_n", n=1), SIDES, [])
    with pytest.raises(PlanInfeasible) as e:
        solve(cands, Formula("n_for_n", n=0), SIDES)
    assert e.value.constraint == "empty"
    with pytest.raises(PlanInfeasible) as e:
        solve([cand("ua-p-0001", consent=False)], Formula("all_for_all"), SIDES)
    assert (e.value.constraint, e.value.params["eligible"]) == ("empty", {"ua": 0, "ru": 0})


def test_no_plan_within_the_time_limit_is_said_so() -> None:
    with pytest.raises(PlanInfeasible) as e:
        solve(pool("ua", 30) + pool("ru", 30), Formula("n_for_n", n=10), SIDES, [5, 5], time_limit=0.0)
    assert (e.value.constraint, e.value.params["time_limit"]) == ("time_limit", 0.0)
    with pytest.raises(ValueError, match="time_limit"):
        solve(pool("ua", 3) + pool("ru", 3), Formula("n_for_n", n=1), SIDES, time_limit=-1)
