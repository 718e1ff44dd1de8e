"""The runtime's resources: capabilities' per-runtime caches, each made once under its name, closed with the
runtime (the last made first, one failing to close keeping none of the others open), a bounded number of
them, none handed out once closed. No database: the registry is a plain object."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

from parley.runtime import RESOURCES, Resources, resources_of


class Thing:
    def __init__(self, closed: list[str], name: str, fail: bool = False) -> None:
        self.closed, self.name, self.fail = closed, name, fail

    def close(self) -> None:
        self.closed.append(self.name)
        if self.fail:
            raise OSError(f"{self.name} would not close")


def test_a_resource_is_made_once_under_its_name():
    res = Resources()
    made: list[str] = []

    def make() -> Thing:
        made.append("a")
        return Thing([], "a")

    first = res.get("a", make)
    assert res.get("a", make) is first
    assert made == ["a"] and len(res) == 1 and "a" in res and "b" not in res


def test_closing_closes_every_resource_last_made_first_even_when_one_fails():
    res = Resources()
    closed: list[str] = []
    for name in ("first", "second", "third"):
        res.get(name, lambda name=name: Thing(closed, name, fail=name == "second"))
    res.close()
    assert closed == ["third", "second", "first"]
    assert len(res) == 0
    res.close()  # twice is harmless: nothing is closed again
    assert closed == ["third", "second", "first"]


def test_a_closed_registry_hands_out_nothing():
    res = Resources()
    res.close()
    with pytest.raises(RuntimeError, match="closed"):
        res.get("late", lambda: Thing([], "late"))
    assert len(res) == 0


def test_the_number_of_resources_is_bounded():
    res = Resources(limit=3)
    for i in range(3):
        res.get(f"r{i}", lambda: Thing([], "x"))
    with pytest.raises(RuntimeError, match="more than 3"):
        res.get("r3", lambda: Thing([], "x"))
    assert len(res) == 3
    assert res.get("r1", lambda: Thing([], "y")).name == "x"  # a known name is still served


def test_a_session_finds_the_resources_of_its_sessionmaker_and_only_those():
    engine = create_engine("sqlite://")
    a, b = Resources(), Resources()
    made_a = sessionmaker(engine, info={RESOURCES: a})
    made_b = sessionmaker(engine, info={RESOURCES: b})
    with made_a() as s1, made_a() as s2, made_b() as s3, Session(engine) as elsewhere:
        assert resources_of(s1) is a and resources_of(s2) is a
        assert resources_of(s3) is b
        assert resources_of(elsewhere) is None
    engine.dispose()
