"""Figures as they were stated: "264", "more than 250", "about 2,600", "hundreds", "between 50 and 60".

A count in a record keeps the form its source gave it (principle 5: each side's count is kept, as said). Every
form stands for the set of whole numbers it allows (``bounds``): an exact 264 for {264}; "more than 250" for
251 and up; "about 2,600" for 2,340–2,860 (``ABOUT`` either side, at least one); "hundreds" for 200–999.
Sums and differences work on those sets, so a total of "more than 250" beside "264" is not a contradiction,
while 52 beside 53 is; a sum of exact figures is exact, any other sum is the range of its parts' bounds.

``Figure`` is the payload form (``{"form": "more_than", "value": 250}``); ``Bounds`` the interval with its
arithmetic. Views word a figure through ``parley.web.labels`` (``figure_text``)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field, model_validator

from parley.errors import Code, Invalid
from parley.records.kinds import Payload

MAX_COUNT = 10_000_000
# "about N" allows N give or take this share of N (at least one either side).
ABOUT = 0.1
# "hundreds": from two hundred to the last number below a thousand.
HUNDREDS = (200, 999)
FORMS = ("exact", "more_than", "at_least", "fewer_than", "at_most", "about", "range", "hundreds")
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]

NEEDS_VALUE = Code("figure.needs_value", "a figure of the form '{form}' needs its value")
NO_VALUE = Code("figure.no_value", "a figure of the form '{form}' has no value; give its bounds only")
RANGE_BOUNDS = Code("figure.range_bounds", "a range needs its lower and upper bound")
RANGE_ORDER = Code("figure.range_order", "the lower bound ({low}) exceeds the upper bound ({high})")
FEWER_THAN_ZERO = Code("figure.fewer_than_zero", "'fewer than 0' allows no number")
CODES = (NEEDS_VALUE, NO_VALUE, RANGE_BOUNDS, RANGE_ORDER, FEWER_THAN_ZERO)


@dataclass(frozen=True)
class Bounds:
    """The whole numbers a figure allows: ``low`` to ``high`` (None: no upper bound)."""

    low: int
    high: int | None

    @property
    def exact(self) -> bool:
        return self.high == self.low

    def __add__(self, other: Bounds) -> Bounds:
        high = None if self.high is None or other.high is None else self.high + other.high
        return Bounds(self.low + other.low, high)

    def overlaps(self, other: Bounds) -> bool:
        """Some number satisfies both: the two figures do not contradict each other."""
        return (self.high is None or other.low <= self.high) and (other.high is None or self.low <= other.high)

    def difference(self, other: Bounds) -> Bounds:
        """How far apart the two can be at least and at most (0 when they overlap)."""
        if self.overlaps(other):
            low = 0
        elif other.high is not None and other.high < self.low:
            low = self.low - other.high
        else:
            assert self.high is not None
            low = other.low - self.high
        if self.high is None or other.high is None:
            return Bounds(low, None)
        return Bounds(low, max(abs(self.high - other.low), abs(other.high - self.low)))


ZERO = Bounds(0, 0)


def total(parts: list[Bounds]) -> Bounds:
    out = ZERO
    for b in parts:
        out = out + b
    return out


class Figure(Payload):
    """A count as its source stated it."""

    form: Literal["exact", "more_than", "at_least", "fewer_than", "at_most", "about", "range", "hundreds"] = "exact"
    value: Count | None = None
    low: Count | None = None
    high: Count | None = None

    @model_validator(mode="after")
    def _shape(self) -> Figure:
        if self.form == "range":
            if self.low is None or self.high is None or self.value is not None:
                raise Invalid(RANGE_BOUNDS)
            if self.low > self.high:
                raise Invalid(RANGE_ORDER, low=self.low, high=self.high)
            return self
        if self.low is not None or self.high is not None:
            raise Invalid(RANGE_BOUNDS)
        if self.form == "hundreds":
            if self.value is not None:
                raise Invalid(NO_VALUE, form=self.form)
            return self
        if self.value is None:
            raise Invalid(NEEDS_VALUE, form=self.form)
        if self.form == "fewer_than" and self.value == 0:
            raise Invalid(FEWER_THAN_ZERO)
        return self

    @classmethod
    def of(cls, n: int) -> Figure:
        return cls(form="exact", value=n)

    def bounds(self) -> Bounds:
        v = self.value
        match self.form:
            case "exact":
                assert v is not None
                return Bounds(v, v)
            case "more_than":
                assert v is not None
                return Bounds(v + 1, None)
            case "at_least":
                assert v is not None
                return Bounds(v, None)
            case "fewer_than":
                assert v is not None
                return Bounds(0, v - 1)
            case "at_most":
                assert v is not None
                return Bounds(0, v)
            case "about":
                assert v is not None
                spread = max(1, math.floor(v * ABOUT))
                return Bounds(max(0, v - spread), v + spread)
            case "range":
                assert self.low is not None and self.high is not None
                return Bounds(self.low, self.high)
            case _:
                return Bounds(*HUNDREDS)


# A count in a payload: a plain number (an exact count, as records before figures had it) or a figure as stated.
Stated = Count | Figure


def as_figure(v: int | Figure) -> Figure:
    return Figure.of(v) if isinstance(v, int) else v


def to_columns(f: Figure | None) -> tuple[int | None, str | None]:
    """How a projection row keeps a figure: the least it allows (what a count column sums and sorts), and the
    figure itself as JSON unless it is an exact count, which the first column already is."""
    if f is None:
        return None, None
    return f.bounds().low, None if f.form == "exact" else f.model_dump_json(exclude_none=True)


def from_columns(least: int | None, stated: str | None) -> Figure | None:
    """The figure ``to_columns`` kept."""
    if stated:
        return Figure.model_validate_json(stated)
    return None if least is None else Figure.of(least)


def of_bounds(b: Bounds) -> Figure:
    """The figure that says exactly ``b``: a sum of stated figures, shown as what it allows."""
    if b.high is None:
        return Figure(form="at_least", value=b.low)
    if b.exact:
        return Figure.of(b.low)
    return Figure(form="range", low=b.low, high=b.high)


# How each form is said in English (the API's and the command line's words; pages word it in the reader's
# language through ``parley.web.labels``).
WORDS = {"exact": "{value}", "more_than": "more than {value}", "at_least": "at least {value}",
         "fewer_than": "fewer than {value}", "at_most": "at most {value}", "about": "about {value}",
         "range": "{low}-{high}", "hundreds": "hundreds"}


def words(f: Figure) -> str:
    return WORDS[f.form].format(value=f.value, low=f.low, high=f.high)


_SHORT = re.compile(r"^\s*(?P<op>>=|<=|>|<|~)?\s*(?P<a>\d[\d,\s]*)\s*(?:-\s*(?P<b>\d[\d,\s]*))?\s*$")


def parse(text: str) -> Figure:
    """A figure written short, as the command line takes it: ``264``, ``>250`` (more than), ``>=250`` (at
    least), ``<5``, ``<=5``, ``~2600`` (about), ``50-60`` (a range), ``hundreds``. ValueError otherwise."""
    t = text.strip().lower()
    if t == "hundreds":
        return Figure(form="hundreds")
    m = _SHORT.match(t)
    if m is None or (m["b"] is not None and m["op"] is not None):
        raise ValueError(f"{text!r} is not a figure (264, >250, >=250, <5, <=5, ~2600, 50-60 or hundreds)")
    a = int(re.sub(r"[,\s]", "", m["a"]))
    if m["b"] is not None:
        return Figure(form="range", low=a, high=int(re.sub(r"[,\s]", "", m["b"])))
    form = {None: "exact", ">": "more_than", ">=": "at_least", "<": "fewer_than", "<=": "at_most", "~": "about"}
    return Figure(form=form[m["op"]], value=a)  # type: ignore[arg-type]
