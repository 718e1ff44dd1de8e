"""The matcher and the review queue's pairs belong to the runtime: two runtimes in one process (two
deployments, or two tests) never share them, closing a runtime closes its matcher's DuckDB connection, and
the review queue's pairs serve every higher threshold than the one they were computed at. SQLite only: the dialect
plays no part."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from parley.people import service as svc
from parley.people.models import Person
from parley.runtime import Runtime
from tests.conftest import load_demo_into, make_runtime


@pytest.fixture
def two(tmp_path: Path) -> Iterator[tuple[Runtime, Runtime]]:
    made = []
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        rt = make_runtime(f"sqlite:///{tmp_path / name / 'parley.db'}", tmp_path / name)
        made.append(rt)
        load_demo_into(rt)
    yield made[0], made[1]
    for rt in made:
        rt.close()


QUERY = {"surname": "Ковальов", "first_name": "Олександр", "birth_date": "1991"}


def test_two_runtimes_keep_their_own_matcher_and_closing_one_closes_only_its_own(two):
    a, b = two
    with a.sessions() as sa, b.sessions() as sb:
        ma, mb = svc.matcher(sa), svc.matcher(sb)
        assert ma is not None and mb is not None and ma is not mb
        assert svc.matcher(sa) is ma  # kept between calls of one runtime
        with a.sessions() as again:
            assert svc.matcher(again) is ma  # and between its sessions
        assert svc.match_cache(sa) is not svc.match_cache(sb)
        assert svc.MATCHING in a.resources and svc.MATCHING in b.resources
    assert not hasattr(svc, "_MATCHERS") and not hasattr(svc, "_PAIRS")  # nothing process-global

    a.close()
    assert ma._engine is None  # its DuckDB connection (and temporary directory) are gone
    assert svc.MATCHING not in a.resources
    with pytest.raises(RuntimeError, match="closed"), a.sessions() as late:
        svc.matcher(late)
    assert mb._engine is not None
    assert mb.candidates(QUERY, top=3)  # the other runtime's matcher still scores


def test_the_review_queues_pairs_serve_every_higher_threshold(sqlite_runtime, sqlite_demo, monkeypatch):
    from parley.people.matching import engine

    rt = sqlite_runtime
    runs = []
    dedupe = engine.dedupe

    def counted(*a, **k):  # type: ignore[no-untyped-def]
        runs.append(k.get("threshold"))
        return dedupe(*a, **k)

    monkeypatch.setattr(engine, "dedupe", counted)
    with rt.sessions() as s:
        first = svc.candidate_pairs(s, 0.5)
        assert svc.candidate_pairs(s, 0.5) is first  # computed once per state of the registry
        for t in [0.5 + i / 100 for i in range(1, 50)] + [1.0]:
            got = svc.candidate_pairs(s, t)  # a filter over the pairs at 0.5, their order kept
            assert list(got.left_id) == list(first[first.probability >= t].left_id)
        assert runs == [0.5]
        every = svc.candidate_pairs(s, svc.REVIEW_FLOOR)  # lower: computed again, at it
        assert runs == [0.5, svc.REVIEW_FLOOR] and (every.probability >= svc.REVIEW_FLOOR).all()
        assert len(every) >= len(first)
        for t in [svc.REVIEW_FLOOR, 0.3, 0.5, 0.77, 0.9, 1.0]:
            got = svc.candidate_pairs(s, t)
            assert (got.probability >= t).all()
            assert list(got.left_id) == list(every[every.probability >= t].left_id)
        assert list(svc.candidate_pairs(s, 0.5).right_id) == list(first.right_id)  # the same pairs either way
        assert runs == [0.5, svc.REVIEW_FLOOR]
        cache = svc.match_cache(s)
        assert len(cache) == 1  # no matcher trained here; the pairs
        svc.matcher(s)
        assert len(cache) == 2
        with pytest.raises(ValueError, match="at least"):
            svc.candidate_pairs(s, svc.REVIEW_FLOOR / 2)
    assert len(rt.resources) == 1  # one entry for the whole capability, however many calls


def test_the_pairs_at_a_threshold_are_those_the_model_finds_at_it(sqlite_runtime, sqlite_demo):
    """Filtering the pairs computed at the floor gives what a computation at the threshold itself gives."""
    from parley.people.matching.engine import dedupe

    with sqlite_runtime.sessions() as s:
        rows = list(s.execute(select(Person).where(svc.LIVE)).scalars())
        lab = svc.labelled(s)
        direct, _ = dedupe(svc.frame(rows), threshold=0.5, labelled=lab if len(lab) else None)
        got = svc.candidate_pairs(s, 0.5)
    assert len(direct) > 0
    assert list(zip(got.left_id, got.right_id, strict=True)) == list(zip(direct.left_id, direct.right_id,
                                                                      strict=True))
    assert list(got.probability.round(9)) == list(direct.probability.round(9))


def test_a_session_made_outside_a_runtime_keeps_nothing(sqlite_runtime, sqlite_demo):
    rt = sqlite_runtime
    with Session(rt.engine) as s:
        assert svc.match_cache(s) is not svc.match_cache(s)
        m = svc.matcher(s)
        assert m is not None and m is not svc.matcher(s)
        m.close()
    assert svc.MATCHING not in rt.resources


def test_an_inquirys_candidates_are_scored_once_per_state_of_the_registry(sqlite_runtime, sqlite_demo,
                                                                          monkeypatch):  # type: ignore[no-untyped-def]
    from parley.people.matching.matcher import Matcher

    scored: list[int] = []
    original = Matcher._score

    def counting(self, rows, top):  # type: ignore[no-untyped-def]
        scored.append(len(rows))
        return original(self, rows, top)

    monkeypatch.setattr(Matcher, "_score", counting)
    with sqlite_runtime.sessions() as s:
        m = svc.matcher(s)
        assert m is not None
        first = m.candidates(QUERY)
        assert m.candidates(dict(QUERY)) == first and scored == [1]  # the same inquiry again: not scored
        assert m.candidates({**QUERY, "birth_date": "1990"}) is not None and scored == [1, 1]
        # Several at once: only those not answered yet are scored, in one pass, in the order given.
        other = {**QUERY, "birth_date": "1985"}
        many = m.candidates_many([QUERY, other, {**QUERY, "birth_date": "1990"}])
        assert many[0] == first and scored == [1, 1, 1]
        assert m.candidates_many([other, QUERY]) == [many[1], first] and scored == [1, 1, 1]
        m.refresh(svc.frame(list(s.execute(select(Person)).scalars())))
        assert m.candidates(QUERY) == first and scored == [1, 1, 1, 1]  # a refreshed registry is scored again
