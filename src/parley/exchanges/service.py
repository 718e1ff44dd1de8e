"""Reading exchanges as a member may see them: the exchanges, their versions of terms and sign-offs, each side's
lists with every entry's check against the registry, the differences between two versions of a list, consent, the
plan (and a new one computed by the solver), the handover board person by person, the bodies and their
identification, each side's count beside the person-by-person tally, and the data of an act of transfer.

Every row is read through the one read policy (``exchanges.kinds.POLICY``; persons through the registry's) with the
kind of the record that wrote it; an exchange the member may not read does not exist for them (404).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from parley.errors import Conflict, NotFound, Unprocessable
from parley.exchanges import codes as C
from parley.exchanges import plan as solver
from parley.exchanges import rules
from parley.exchanges.kinds import POLICY, Formula, current_plan, elsewhere, linked, open_entries, planned, same_graph
from parley.exchanges.models import (
    Exchange, ExchangeBody, ExchangeConsent, ExchangeCount, ExchangeEntry, ExchangeHandover, ExchangeIdentification,
    ExchangeList, ExchangePlan, ExchangeRemains, ExchangeSignoff, ExchangeStatus, ExchangeVersion,
)
from parley.log.models import LogEntry
from parley.parties.models import Party
from parley.people import service as people
from parley.people.kinds import POLICY as PEOPLE
from parley.people.models import Person
from parley.records.figures import Bounds, Figure, as_figure, words
from parley.records.policy import Reader

FOUND = 0.9  # a counterpart this probable, with no rival, is found
RIVAL = 0.5  # a second candidate this probable makes the entry ambiguous (to the review queue)
OFFICER_RANKS = ("officer", "лейтенант", "капитан", "капітан", "майор", "полковник", "підполковник", "подполковник",
                 "генерал", "lieutenant", "captain", "major", "colonel", "general")


def can_read(who: Reader, kind: str, row: Any) -> bool:
    return row is not None and POLICY.may_read(who, kind, row.audience, row.party)


def _readable(who: Reader, kind: str, rows: Any) -> list[Any]:
    return [r for r in rows if POLICY.may_read(who, kind, r.audience, r.party)]


def reads_person(who: Reader, p: Person | None) -> bool:
    return p is not None and p.destroyed_idx is None and PEOPLE.may_read(who, "person.register", p.audience, p.party)


# --- exchanges --------------------------------------------------------------------------------------------

def exchanges(s: Session, who: Reader) -> list[Exchange]:
    return _readable(who, "exchange.propose", s.execute(select(Exchange).order_by(Exchange.idx)).scalars())


def exchange(s: Session, who: Reader, xid: str) -> Exchange:
    x = s.get(Exchange, xid)
    if not can_read(who, "exchange.propose", x):
        raise NotFound(C.NO_EXCHANGE, exchange=xid)
    assert x is not None
    return x


def terms(x: Exchange) -> dict[str, Any]:
    return dict(json.loads(x.terms))


def formula_text(t: dict[str, Any]) -> str:
    f = t["formula"]
    if f["kind"] == "n_for_n":
        return f"{f['n']} for {f['n']}"
    if f["kind"] == "all_for_all":
        return "all for all"
    return ", ".join(f"{n} {c}" for c, n in sorted(f.get("categories", {}).items()))


def versions(s: Session, who: Reader, x: Exchange) -> list[ExchangeVersion]:
    return _readable(who, "exchange.propose", s.execute(
        select(ExchangeVersion).where(ExchangeVersion.exchange == x.id).order_by(ExchangeVersion.version)).scalars())


def signoffs(s: Session, who: Reader, x: Exchange) -> list[ExchangeSignoff]:
    return _readable(who, "exchange.sign", s.execute(
        select(ExchangeSignoff).where(ExchangeSignoff.exchange == x.id).order_by(ExchangeSignoff.idx)).scalars())


def statuses(s: Session, who: Reader, x: Exchange) -> list[ExchangeStatus]:
    return [r for r in s.execute(select(ExchangeStatus).where(ExchangeStatus.exchange == x.id)
                                 .order_by(ExchangeStatus.idx)).scalars()
            if can_read(who, "exchange.release" if r.status == "released" else "exchange.status", r)]


def released(s: Session, who: Reader) -> list[tuple[Exchange, ExchangeStatus]]:
    """Completed exchanges a party has released, with its public figures: what press officers may read."""
    out = []
    for r in s.execute(select(ExchangeStatus).where(ExchangeStatus.status == "released")
                       .order_by(ExchangeStatus.idx)).scalars():
        if can_read(who, "exchange.release", r):
            x = s.get(Exchange, r.exchange)
            assert x is not None
            out.append((x, r))
    return out


# --- lists and their check --------------------------------------------------------------------------------

def list_versions(s: Session, who: Reader, x: Exchange) -> list[ExchangeList]:
    return _readable(who, "exchange.list", s.execute(
        select(ExchangeList).where(ExchangeList.exchange == x.id).order_by(ExchangeList.idx)).scalars())


@dataclass
class ListDiff:
    side: str
    direction: str
    old: int
    new: int
    added: list[str]
    removed: list[str]
    kept: int


def list_diff(s: Session, who: Reader, x: Exchange, side: str, direction: str, old: int, new: int) -> ListDiff:
    """Who joined and who left ``side``'s list between two of its versions, person by person."""
    by_version = {r.version: r for r in list_versions(s, who, x) if r.party == side and r.direction == direction}
    for v in (old, new):
        if v not in by_version:
            raise NotFound(C.NO_LIST, list=f"{side}/{direction}/v{v}")
    a, b = json.loads(by_version[old].persons), json.loads(by_version[new].persons)
    sa, sb = set(a), set(b)
    return ListDiff(side, direction, old, new, [p for p in b if p not in sa], [p for p in a if p not in sb],
                    len(sa & sb))


@dataclass
class Check:
    """One entry of a side's current list, checked against the registry."""

    side: str
    direction: str
    n: int
    person: str
    record: Person | None  # the entry's own registry record, if the reader may read it
    result: str  # found | not_found | ambiguous | released | deceased | other_exchange | duplicate
    counterpart: Person | None = None  # the other side's record of the same person
    probability: float | None = None
    candidates: list[tuple[Person, float]] = field(default_factory=list)
    other: str | None = None  # the other open exchange


def entries(s: Session, who: Reader, x: Exchange) -> list[ExchangeEntry]:
    return _readable(who, "exchange.list", s.execute(
        select(ExchangeEntry).where(ExchangeEntry.exchange == x.id)
        .order_by(ExchangeEntry.side, ExchangeEntry.direction, ExchangeEntry.n)).scalars())


def _status_result(p: Person) -> str | None:
    if p.status in ("released", "repatriated"):
        return "released"
    if p.category == "deceased" or p.status in ("died", "remains_recovered", "remains_returned"):
        return "deceased"
    return None


def _row(p: Person) -> dict[str, str]:
    return {"surname": p.surname, "first_name": p.first_name, "patronymic": p.patronymic,
            "birth_date": p.birth_date, "birth_place": p.birth_place, "service_number": p.service_number}


CHUNK = 10_000  # ids in one IN (…): PostgreSQL takes at most 65,535 parameters a statement


def persons_by_id(s: Session, ids: set[str]) -> dict[str, Person]:
    out: dict[str, Person] = {}
    ordered = sorted(ids)
    for i in range(0, len(ordered), CHUNK):
        out.update((p.id, p) for p in s.execute(select(Person).where(Person.id.in_(ordered[i:i + CHUNK]))).scalars())
    return out


def check(s: Session, who: Reader, x: Exchange, *, matcher: Any = None) -> list[Check]:
    """Every entry of every current list the member may read, checked against the registry: the other side's
    record of the same person found (by a registrars' decision, or by the model with its probability), not found,
    ambiguous, already released, deceased, already on another open exchange, or a duplicate within the list."""
    rows = entries(s, who, x)
    persons = persons_by_id(s, {e.person for e in rows})
    graph, others_open = same_graph(s), open_entries(s, x.id)
    out: list[Check] = []
    todo: list[Check] = []
    seen_keys: dict[tuple[str, str, str, str, str], str] = {}
    for e in rows:
        p = persons.get(e.person)
        c = Check(e.side, e.direction, e.n, e.person, p if reads_person(who, p) else None, "not_found")
        out.append(c)
        if p is None or c.record is None:
            continue
        key = (e.side, e.direction, p.surname_key, p.first_key, p.birth_year)
        if p.surname_key and key in seen_keys:
            c.result, c.other = "duplicate", seen_keys[key]
            continue
        seen_keys.setdefault(key, e.person)
        other = elsewhere(graph, others_open, e.person)
        if other is not None:
            c.result, c.other = "other_exchange", other
            continue
        own = _status_result(p)
        if own is not None and e.direction == "ask_for":
            c.result = own
            continue
        decided = [q for q in (s.get(Person, i) for i in sorted(linked(graph, e.person) - {e.person}))
                   if q is not None and q.party != e.side and reads_person(who, q)]
        if decided:
            c.counterpart, c.probability, c.result = decided[0], 1.0, _status_result(decided[0]) or "found"
            continue
        todo.append(c)
    if todo:
        m = matcher if matcher is not None else people.matcher(s)
        found = m.candidates_many([_row(persons[c.person]) for c in todo], top=10) if m is not None else \
            [[] for _ in todo]
        ids = {rid for cands in found for rid, _ in cands}
        others = persons_by_id(s, ids)
        for c, cands in zip(todo, found, strict=True):
            usable = [(others[rid], prob) for rid, prob in cands
                      if rid in others and others[rid].party != c.side and reads_person(who, others[rid])]
            c.candidates = usable[:5]
            if not usable or usable[0][1] < RIVAL:
                c.result = "not_found"
            elif usable[0][1] >= FOUND and (len(usable) < 2 or usable[1][1] < RIVAL):
                c.counterpart, c.probability = usable[0]
                c.result = _status_result(usable[0][0]) or "found"
            else:
                c.counterpart, c.probability, c.result = usable[0][0], usable[0][1], "ambiguous"
    return out


# --- consent and plan -------------------------------------------------------------------------------------

@dataclass
class ConsentView:
    person: str
    state: str  # wants | refused | not_interviewed
    interviewed_on: str = ""
    reason: str | None = None  # only for the mediators and the holding party (the record's audience)


def consents(s: Session, who: Reader, x: Exchange) -> dict[str, ConsentView]:
    """Per person on a hand-over list: the latest consent interview. A member outside the interview's audience
    learns only that the person is not to be handed over, never why."""
    out: dict[str, ConsentView] = {}
    for c in s.execute(select(ExchangeConsent).where(ExchangeConsent.exchange == x.id)
                       .order_by(ExchangeConsent.idx)).scalars():
        readable = can_read(who, "exchange.consent", c)
        state = "wants" if c.wants_repatriation else "refused"
        out[c.person] = ConsentView(c.person, state, c.interviewed_on if readable else "",
                                    c.reason if readable and not c.wants_repatriation else None)
    return out


def plans(s: Session, who: Reader, x: Exchange) -> list[ExchangePlan]:
    return _readable(who, "exchange.plan", s.execute(
        select(ExchangePlan).where(ExchangePlan.exchange == x.id).order_by(ExchangePlan.idx)).scalars())


def current(s: Session, who: Reader, x: Exchange) -> ExchangePlan | None:
    p = current_plan(s, x.id)
    return p if can_read(who, "exchange.plan", p) else None


def plan_category(p: Person) -> str:
    if p.category == "civilian":
        return "civilian"
    rank = (p.rank or "").lower()
    return "officer" if any(r in rank for r in OFFICER_RANKS) else "soldier"


def _held_days(p: Person, today: date) -> int:
    try:
        parts = [int(v) for v in p.capture_date.split("-")] if p.capture_date else []
        d = date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1) if parts else None
    except ValueError:
        d = None
    return max(0, (today - d).days) if d else 0


def candidates(s: Session, who: Reader, x: Exchange, *, pinned: set[str] = frozenset(),  # type: ignore[assignment]
               excluded: set[str] = frozenset(), checks: list[Check] | None = None,  # type: ignore[assignment]
               today: date | None = None) -> list[solver.Candidate]:
    """Every person on a hand-over list, as the solver takes them: category, wounds, time held, consent, and
    whether the list check verified them (found, or not found but held by the sending side's own registry)."""
    today = today or datetime.now(UTC).date()
    given = {(c.side, c.person): c for c in (checks if checks is not None else check(s, who, x))}
    cons = consents(s, who, x)
    out = []
    for e in entries(s, who, x):
        if e.direction != "hand_over":
            continue
        p = s.get(Person, e.person)
        if p is None:
            continue
        c = given.get((e.side, e.person))
        verified = c is not None and c.result in ("found", "not_found")
        state = cons.get(e.person)
        consent = None if state is None else state.state == "wants"
        out.append(solver.Candidate(person=e.person, side=e.side, category=plan_category(p),
                                    seriously_wounded=p.seriously_wounded, held_days=_held_days(p, today),
                                    consent=consent, verified=verified, pinned=e.person in pinned,
                                    excluded=e.person in excluded))
    return out


def solve(s: Session, who: Reader, x: Exchange, *, pinned: set[str] = frozenset(),  # type: ignore[assignment]
          excluded: set[str] = frozenset()) -> solver.Plan:  # type: ignore[assignment]
    """A new plan for ``x`` (the HiGHS integer program of ``exchanges.plan``): refused with the constraint that
    fails."""
    if x.agreed_version is None:
        raise Conflict(C.NOT_AGREED, exchange=x.id)
    t = terms(x)
    f = Formula.model_validate(t["formula"])
    sizes = [st.get("size") for st in t["stages"]]
    stages = [int(v) for v in sizes] if all(v is not None for v in sizes) else None
    both = pinned & excluded
    if both:
        raise Unprocessable(C.PIN_EXCLUDE, person=sorted(both)[0], field="pinned")
    try:
        return solver.solve(candidates(s, who, x, pinned=pinned, excluded=excluded),
                            solver.Formula(kind=f.kind, n=f.n, categories={str(c): n for c, n in f.categories.items()}),
                            x.party_list, stages)
    except solver.PlanInfeasible as exc:
        detail = ", ".join(f"{k}={v}" for k, v in sorted(exc.params.items()))
        raise Unprocessable(C.INFEASIBLE, constraint=exc.constraint, detail=detail, field="plan") from None


# --- handover ---------------------------------------------------------------------------------------------

@dataclass
class Board:
    """One person on the current plan: the stage, the sending side and each confirmation so far."""

    person: str
    record: Person | None
    stage: int
    side: str
    steps: dict[str, ExchangeHandover] = field(default_factory=dict)
    as_person: Person | None = None

    @property
    def complete(self) -> bool:
        return set(self.steps) == set(rules.STEPS)


def handovers(s: Session, who: Reader, x: Exchange) -> list[ExchangeHandover]:
    return _readable(who, "exchange.handover", s.execute(
        select(ExchangeHandover).where(ExchangeHandover.exchange == x.id).order_by(ExchangeHandover.idx)).scalars())


def board(s: Session, who: Reader, x: Exchange) -> list[Board]:
    plan = current(s, who, x)
    rows = [Board(pid, None, stage, side) for pid, (stage, side) in planned(plan).items()]
    by_person = {b.person: b for b in rows}
    persons = {p.id: p for p in s.execute(select(Person).where(Person.id.in_(
        set(by_person) | {h.as_person for h in handovers(s, who, x) if h.as_person}))).scalars()}
    for b in rows:
        p = persons.get(b.person)
        b.record = p if reads_person(who, p) else None
    for h in handovers(s, who, x):
        b2 = by_person.get(h.person)
        if b2 is None:
            continue
        b2.steps[h.step] = h
        if h.as_person:
            q = persons.get(h.as_person)
            b2.as_person = q if reads_person(who, q) else None
    rows.sort(key=lambda b: (b.stage, b.side, b.person))
    return rows


# --- remains ----------------------------------------------------------------------------------------------

def remains(s: Session, who: Reader, x: Exchange) -> list[ExchangeRemains]:
    return _readable(who, "exchange.remains", s.execute(
        select(ExchangeRemains).where(ExchangeRemains.exchange == x.id).order_by(ExchangeRemains.idx)).scalars())


def bodies(s: Session, who: Reader, x: Exchange) -> list[ExchangeBody]:
    return _readable(who, "exchange.remains", s.execute(
        select(ExchangeBody).where(ExchangeBody.exchange == x.id).order_by(ExchangeBody.stage, ExchangeBody.tag))
        .scalars())


def identifications(s: Session, who: Reader, x: Exchange) -> list[ExchangeIdentification]:
    return _readable(who, "exchange.identify", s.execute(
        select(ExchangeIdentification).where(ExchangeIdentification.exchange == x.id)
        .order_by(ExchangeIdentification.idx)).scalars())


def remains_figure(r: ExchangeRemains) -> Figure:
    return Figure.model_validate_json(r.count_stated) if r.count_stated else Figure.of(r.count_least)


# --- counts and reconciliation ----------------------------------------------------------------------------

@dataclass
class Line:
    """One party's figure beside the person-by-person tally, with who accounts for any difference."""

    party: str
    what: str  # sent | received
    stated: Figure | None
    tally: int
    agrees: bool | None  # None: the party has stated nothing
    persons: list[str] = field(default_factory=list)  # who accounts for the difference
    why: str = ""  # planned_not_handed_over | handed_over_not_received | stated_fewer
    category: str = ""  # "" for the total; else wounded | officer | soldier | civilian | remains
    tally_high: int | None = None  # the most the tally allows; None: no bound (bodies counted "more than N")

    @property
    def tally_figure(self) -> Figure:
        """The tally as a figure: exact, or at least / a range where bodies were counted as stated."""
        if self.tally_high == self.tally:
            return Figure.of(self.tally)
        if self.tally_high is None:
            return Figure(form="at_least", value=self.tally)
        return Figure(form="range", low=self.tally, high=self.tally_high)


@dataclass
class Reconciliation:
    stage: int | None
    lines: list[Line]
    counts: list[ExchangeCount]


def counts(s: Session, who: Reader, x: Exchange) -> list[ExchangeCount]:
    return _readable(who, "exchange.count", s.execute(
        select(ExchangeCount).where(ExchangeCount.exchange == x.id).order_by(ExchangeCount.idx)).scalars())


def reconcile(s: Session, who: Reader, x: Exchange, stage: int | None = None) -> Reconciliation:
    """Each party's latest count (of ``stage``, or of the whole exchange) beside the tally of the handover
    confirmations, and for each difference the persons that account for it."""
    rows = counts(s, who, x)
    latest: dict[str, ExchangeCount] = {}
    for c in rows:
        if c.stage == stage:
            latest[c.party] = c
    hs = [h for h in handovers(s, who, x) if stage is None or h.stage == stage]
    handed: dict[str, list[str]] = defaultdict(list)  # sender -> persons handed over
    received: dict[str, list[str]] = defaultdict(list)  # receiver -> persons received
    for h in hs:
        if h.step == "handed_over":
            handed[h.sender].append(h.person)
        elif h.step == "received":
            received[h.receiver].append(h.person)
    plan = planned(current(s, who, x))
    # Bodies by the count each sender stated: "more than 200" is at least 201 with no upper bound.
    bodies_by: dict[str, list[Bounds]] = defaultdict(list)
    bodies_to: dict[str, list[Bounds]] = defaultdict(list)
    for r in remains(s, who, x):
        if stage is None or r.stage == stage:
            b = remains_figure(r).bounds()
            bodies_by[r.sender].append(b)
            bodies_to[r.receiver].append(b)
    # The category each confirmed or planned person counts under, as the plan counts it: the seriously wounded and
    # sick under "wounded" whatever their rank, the others as officer, soldier or civilian.
    people = persons_by_id(s, {h.person for h in hs} | set(plan))

    def cat(pid: str) -> str:
        p = people.get(pid)
        return "" if p is None else "wounded" if p.seriously_wounded else plan_category(p)

    lines = []
    for party in x.party_list:
        mine = latest.get(party)
        figs = json.loads(mine.figures) if mine is not None else {}
        for what in ("sent", "received"):
            lines.append(_line(party, what, "", figs[what]["total"] if figs else None, handed, received, plan,
                               stage, bodies_by, bodies_to, cat))
            by_category = figs[what].get("by_category") or {} if figs else {}
            for k, v in by_category.items():
                lines.append(_line(party, what, k, v, handed, received, plan, stage, bodies_by, bodies_to, cat))
    # A difference between what one side sent and the other received, person by person, even without counts.
    for sender, ps in handed.items():
        receiver = next((p for p in x.party_list if p != sender), None)
        if receiver is None:
            continue
        got = set(received[receiver])
        missing = sorted(pid for pid in ps if pid not in got)
        if missing and not any(ln.why == "handed_over_not_received" and ln.party == receiver and not ln.category
                               for ln in lines):
            lines.append(Line(receiver, "received", None, len(got), None, missing, "handed_over_not_received",
                              tally_high=len(got)))
    return Reconciliation(stage, lines, rows)


def _line(party: str, what: str, category: str, stated_as: Any, handed: dict[str, list[str]],
          received: dict[str, list[str]], plan: dict[str, tuple[int, str]], stage: int | None,
          bodies_by: dict[str, list[Bounds]], bodies_to: dict[str, list[Bounds]], cat: Callable[[str], str]) -> Line:
    """One party's figure of ``what`` (in all, or of one ``category``) beside the tally of confirmations of the
    same persons, with who accounts for a difference."""
    def mine(ps: list[str]) -> list[str]:
        return ps if not category else [] if category == "remains" else [pid for pid in ps if cat(pid) == category]

    bodies = (bodies_by if what == "sent" else bodies_to)[party] if category in ("", "remains") else []
    persons = len(mine(handed[party] if what == "sent" else received[party]))
    tally = persons + sum(b.low for b in bodies)
    high = None if any(b.high is None for b in bodies) else persons + sum(b.high or 0 for b in bodies)
    stated = Figure.model_validate(_fig(stated_as)) if stated_as is not None else None
    line = Line(party, what, stated, tally,
                None if stated is None else stated.bounds().overlaps(Bounds(tally, high)), category=category,
                tally_high=high)
    if line.agrees is False and stated is not None:
        if what == "sent" and stated.bounds().low > tally:
            line.why = "planned_not_handed_over"
            line.persons = sorted(mine([pid for pid, (st, side) in plan.items() if side == party
                                        and (stage is None or st == stage) and pid not in handed[party]]))
        elif what == "received" and stated.bounds().low > tally:
            line.why = "handed_over_not_received"
            got = set(received[party])
            line.persons = sorted(mine([pid for sender, ps in handed.items() if sender != party
                                        for pid in ps if pid not in got]))
        else:
            line.why = "stated_fewer"
            line.persons = sorted(mine(received[party] if what == "received" else handed[party]))
    return line


def _fig(v: Any) -> dict[str, Any]:
    return {"form": "exact", "value": v} if isinstance(v, int) else dict(v)


def figure_words(v: Any) -> str:
    return words(as_figure(Figure.model_validate(_fig(v))))


# --- act of transfer --------------------------------------------------------------------------------------

def party_names(s: Session, lang: str) -> dict[str, str]:
    return {p.slug: getattr(p, f"name_{lang}", "") or p.name_en for p in s.execute(select(Party)).scalars()}


def act_data(s: Session, who: Reader, x: Exchange, stage: int, sender: str, lang: str, origin: str) -> Any:
    """The act of transfer of ``stage`` from ``sender``: refused before any person (or body) of it is confirmed
    received."""
    from parley.exchanges import act

    t = terms(x)
    if stage not in {st["number"] for st in t["stages"]}:
        raise Unprocessable(C.PLAN_STAGE, stage=stage, field="stage")
    if sender not in x.party_list:
        raise NotFound(C.NOT_IN_EXCHANGE, party=sender, exchange=x.id)
    names = party_names(s, lang)
    receiver = next(p for p in x.party_list if p != sender)
    hs = [h for h in handovers(s, who, x) if h.stage == stage and h.sender == sender]
    steps: dict[str, dict[str, ExchangeHandover]] = defaultdict(dict)
    for h in hs:
        steps[h.person][h.step] = h
    done = [(pid, st) for pid, st in steps.items() if "received" in st]
    rem = [r for r in remains(s, who, x) if r.stage == stage and r.sender == sender]
    if not done and not rem:
        raise Conflict(C.NO_HANDOVER, stage=stage, exchange=x.id)
    last = max([h.idx for _, st in done for h in st.values()] + [r.idx for r in rem])
    wanted = [h.idx for _, st in done for h in st.values()] + [r.idx for r in rem] + [last]
    hashes: dict[int, str] = {int(i): str(digest) for i, digest in s.execute(
        select(LogEntry.idx, LogEntry.record_hash).where(LogEntry.idx.in_(wanted)))}
    persons = {p.id: p for p in s.execute(select(Person).where(Person.id.in_(
        [pid for pid, _ in done] + [st["received"].as_person for _, st in done if st["received"].as_person])))
        .scalars()}
    out = []
    times = []
    for n, (pid, st) in enumerate(sorted(done, key=lambda d: d[1]["received"].idx), 1):
        confirm = st.get("witnessed") or st["received"]
        p = persons.get(pid)
        q = persons.get(st["received"].as_person or "")
        times.append(st["handed_over"].happened_at if "handed_over" in st else st["received"].happened_at)
        out.append(act.ActPerson(
            n=n, sender=_fields(p) if reads_person(who, p) else {"surname": pid},
            receiver=_fields(q) if q is not None and reads_person(who, q) else None,
            handed_over=(st["handed_over"].happened_at if "handed_over" in st else st["received"].happened_at)
            .astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            index=confirm.idx, record_hash=hashes[confirm.idx],
            seriously_wounded=bool(p is not None and p.seriously_wounded)))
    times += [r.happened_at for r in rem]
    rec = reconcile(s, who, x, stage)
    counts_ = []
    for party in x.party_list:
        lines = {ln.what: ln for ln in rec.lines if ln.party == party and ln.stated is not None}
        if lines:
            counts_.append(act.ActCount(party=names.get(party, party),
                                        sent=words(lines["sent"].stated) if "sent" in lines and lines[
                                            "sent"].stated else "—",
                                        received=words(lines["received"].stated) if "received" in lines and lines[
                                            "received"].stated else "—"))
    place = next((h.place for _, st in done for h in st.values() if h.place), "") or \
        next((r.place for r in rem if r.place), "") or t.get("place", "")
    when = min(times).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if times else ""
    return act.Act(origin=origin, exchange=x.id, title=x.title, stage=stage, kind=x.kind,
                   formula=formula_text(t), sender=names.get(sender, sender), receiver=names.get(receiver, receiver),
                   mediators=[names.get(m, m) for m in x.mediator_list], place=place, time=when, persons=out,
                   counts=counts_, tally=len(out), last_index=last, last_hash=hashes[last],
                   bodies=sum(r.count_least for r in rem))


def _fields(p: Person | None) -> dict[str, str]:
    if p is None:
        return {}
    return {"surname": p.surname, "first_name": p.first_name, "patronymic": p.patronymic,
            "birth_date": p.birth_date, "rank": p.rank, "service_number": p.service_number, "category": p.category}


__all__ = ["exchanges", "exchange", "check", "candidates", "solve", "board", "reconcile", "act_data", "consents",
           "list_diff", "released"]
