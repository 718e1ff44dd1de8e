"""The registry as a member may read it, and the writes that need more than one record: importing a list,
filing an inquiry. Reads filter by audience and role; writes go through signed records only.

Personal data is read by registrars, negotiators, admins and auditors of the parties in a record's
audience, and by the mediators; press officers and liaison officers do not read it.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import time
from collections import deque

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from parley.errors import Forbidden, NotFound, ParleyError, Unprocessable
from parley.parties.credentials import argon2_hash, argon2_verify
from parley.parties.principal import Principal
from parley.people import codes as C
from parley.people import kinds as k
from parley.people import monitoring
from parley.people.monitoring import Alive
from parley.people.models import (
    PERSON_FIELDS, Inquiry, InquiryAddition, InquiryDecision, InquirySecret, MatchDecision, Person, PersonEvent,
    PersonList,
)
from parley.records import ids
from parley.runtime import resources_of

REF_ALPHABET = ids.REF_ALPHABET


PERSON = "person.register"


def may_read_people(who: Principal) -> bool:
    return bool(who.roles & k.POLICY.readers(PERSON).roles)


def require_reader(who: Principal) -> None:
    if not may_read_people(who):
        roles = ", ".join(sorted(k.POLICY.readers(PERSON).roles))
        raise Forbidden(C.REGISTRY_READERS, roles=roles)


def can_read(who: Principal, kind: str, row: Any) -> bool:
    """The read policy for a projection row made by records of ``kind``."""
    return k.POLICY.may_read(who, kind, row.audience, row.party)


# -- persons ---------------------------------------------------------------------------------------
# Persons whose data was not destroyed (a destroyed one is a tombstone: found by id only, never listed,
# searched or matched).
LIVE = Person.destroyed_idx.is_(None)


def new_person_id(party: str) -> str:
    """A new person record's id, in the reporting party's namespace (``records/ids.py``)."""
    return f"{party}-p-{uuid.uuid4().hex[:16]}"


def decision_audience(a: Person, b: Person) -> list[str]:
    """A match decision is read by the parties of both records (and the mediators)."""
    return sorted({f"party:{x}" for x in (a.party, b.party, a.own_party, b.own_party) if x})


def persons(s: Session, who: Principal, *, category: str | None = None, party: str | None = None,
            wounded: bool | None = None, list_id: str | None = None, limit: int = 5000) -> list[Person]:
    require_reader(who)
    q = select(Person).where(LIVE).order_by(Person.created_idx.desc())
    if category:
        q = q.where(Person.category == category)
    if party:
        q = q.where(Person.party == party)
    if wounded is not None:
        q = q.where(Person.seriously_wounded.is_(wounded))
    if list_id:
        q = q.where(Person.list_id == list_id)
    out = []
    for p in s.execute(q).scalars():
        if can_read(who, PERSON, p):
            out.append(p)
            if len(out) >= limit:
                break
    return out


def select_persons(s: Session, who: Principal, *, q: str = "", category: str | None = None,
                   party: str | None = None, wounded: bool | None = None, list_id: str | None = None,
                   limit: int = 5000) -> list[tuple[Person, float | None]]:
    """The registry as a table is filtered: a name in any script (scored, best first) or every person the
    member may read (newest first), narrowed by category, reporting party, the seriously wounded flag and
    the list. The web table, its export and the API all read through here."""
    if not q.strip():
        return [(p, None) for p in persons(s, who, category=category, party=party, wounded=wounded,
                                           list_id=list_id, limit=limit)]
    out: list[tuple[Person, float | None]] = []
    for p, score in search(s, who, q, limit=1_000_000):
        if ((not category or p.category == category) and (not party or p.party == party)
                and (wounded is None or p.seriously_wounded == wounded) and (not list_id or p.list_id == list_id)):
            out.append((p, score))
            if len(out) >= limit:
                break
    return out


def person(s: Session, who: Principal, pid: str) -> Person:
    require_reader(who)
    p = s.get(Person, pid)
    if p is None or not can_read(who, PERSON, p):
        raise NotFound(C.NO_PERSON, person=pid)
    return p


def events(s: Session, who: Principal, p: Person) -> list[PersonEvent]:
    rows = s.execute(select(PersonEvent).where(PersonEvent.person == p.id).order_by(PersonEvent.idx)).scalars()
    return [e for e in rows if can_read(who, "person.event", e)]


def last_alive(s: Session, who: Principal, rows: Iterable[Person]) -> dict[str, Alive | None]:
    """When each person was last known alive and by whom (``people.monitoring``), from the events ``who`` may
    read only: a statement the reader may not read never shows through."""
    wanted = [p.id for p in rows]
    by: dict[str, list[Any]] = {pid: [] for pid in wanted}
    cols = (PersonEvent.idx, PersonEvent.person, PersonEvent.event, PersonEvent.date, PersonEvent.party,
            PersonEvent.audience)
    for i in range(0, len(wanted), 500):
        q = select(*cols).where(PersonEvent.person.in_(wanted[i:i + 500]),
                                PersonEvent.event.in_((*monitoring.ALIVE, *monitoring.ENDS)))
        for e in s.execute(q).all():
            if can_read(who, "person.event", e):
                by[e.person].append(e)
    return {pid: monitoring.last_known_alive(events) for pid, events in by.items()}


def decisions(s: Session, who: Principal, p: Person) -> list[MatchDecision]:
    rows = s.execute(select(MatchDecision).where(or_(MatchDecision.left == p.id, MatchDecision.right == p.id))
                     .order_by(MatchDecision.idx.desc())).scalars()
    return [d for d in rows if can_read(who, "match.decide", d)]


def decision(s: Session, who: Principal, index: int) -> MatchDecision:
    """The match decision of record ``index``, if ``who`` may read it."""
    require_reader(who)
    d = s.get(MatchDecision, index)
    if d is None or not can_read(who, "match.decide", d):
        raise NotFound(C.NO_DECISION, index=index, field="decision")
    return d


def same_as(s: Session, who: Principal, p: Person) -> list[Person]:
    """The other parties' records of this person, as registrars decided (current decisions only)."""
    others = []
    for d in decisions(s, who, p):
        if d.current and d.decision == "same":
            other = d.right if d.left == p.id else d.left
            try:
                others.append(person(s, who, other))
            except NotFound:
                continue
    return others


def _search_rows(s: Session, keys: list[tuple[str, str, str, str]], year: str) -> Iterable[Person]:
    """The rows that can reach the search's threshold, found through the indexed keys: an exact key of any
    word in any name part, or a surname whose key starts like a word's (a slip later in the name)."""
    from sqlalchemy import and_

    exact = {k for sk, gk, pk, _ in keys for k in (sk, gk, pk) if k}
    conds: list[ColumnElement[bool]] = []
    if exact:
        conds += [Person.surname_key.in_(exact), Person.first_key.in_(exact), Person.patronymic_key.in_(exact)]
    for prefix in {sk.replace(" ", "")[:2] for sk, _, _, _ in keys if len(sk.replace(" ", "")) >= 2}:
        conds.append(and_(Person.surname_key >= prefix, Person.surname_key < prefix[:-1] + chr(ord(prefix[-1]) + 1)))
    if not conds and year:
        conds.append(Person.birth_year == year)
    if not conds:
        return []
    return s.execute(select(Person).where(LIVE, or_(*conds)).order_by(Person.created_idx.desc())).scalars()


def search(s: Session, who: Principal, query: str, *, limit: int = 50) -> list[tuple[Person, float]]:
    """Persons whose name matches ``query`` written in any script or spelling, best first.

    The query is split into surname, given name and patronymic; each token is compared through the
    canonical keys of ``parley.people.names`` (exact) and the Latin phonetic form (Jaro-Winkler), so
    "Kovalyov Oleksandr", "Ковалёв Александр" and "Ковальов" all find Ковальов Олександр. Only the rows
    the keys can reach are read (an indexed lookup, not a scan of the registry).
    """
    from rapidfuzz.distance import JaroWinkler

    from parley.people import names

    require_reader(who)
    tokens = [t for t in names.clean(query).split() if t]
    if not tokens:
        return []
    year = next((t for t in tokens if t.isdigit() and len(t) == 4), "")
    words = [t for t in tokens if not t.isdigit()][:4]
    keys = [(names.canonical_surname(w), names.canonical_given(w), names.canonical_patronymic(w), names.to_latin(w))
            for w in words]
    scored: list[tuple[Person, float]] = []
    for p in _search_rows(s, keys, year):
        if not can_read(who, PERSON, p):
            continue
        own = [p.surname_key, p.first_key, p.patronymic_key]
        latin = [names.to_latin(p.surname), names.to_latin(p.first_name), names.to_latin(p.patronymic)]
        score = 0.0
        for sk, gk, pk, lat in keys:
            best = 0.0
            for i, (key, form) in enumerate(zip(own, latin, strict=True)):
                if not key:
                    continue
                if key in (sk, gk, pk):
                    best = max(best, 1.0 if i == 0 else 0.9)
                elif lat and form:
                    sim = JaroWinkler.similarity(lat, form)
                    if sim >= 0.88:
                        best = max(best, sim * (0.85 if i == 0 else 0.75))
            score += best
        if not words:
            score = 0.5
        if year:
            score += 0.3 if p.birth_year == year else -0.5
        if score >= 0.8 * max(1, len(words)) - (0.3 if len(words) > 1 else 0):
            scored.append((p, score))
    scored.sort(key=lambda x: (-x[1], x[0].surname))
    return scored[:limit]


# -- matching: candidates and the review queue -----------------------------------------------------
def frame(rows: Iterable[Person]):  # type: ignore[no-untyped-def]
    import pandas as pd

    return pd.DataFrame([{"id": p.id, "surname": p.surname, "first_name": p.first_name, "patronymic": p.patronymic,
                          "birth_date": p.birth_date, "birth_place": p.birth_place,
                          "service_number": p.service_number} for p in rows],
                        columns=["id", "surname", "first_name", "patronymic", "birth_date", "birth_place",
                                 "service_number"])


def labelled(s: Session):  # type: ignore[no-untyped-def]
    """Registrars' current decisions, as training labels for the model."""
    import pandas as pd

    rows = s.execute(select(MatchDecision).where(MatchDecision.current.is_(True))).scalars()
    return pd.DataFrame([{"left_id": d.left, "right_id": d.right, "match": 1 if d.decision == "same" else 0}
                         for d in rows], columns=["left_id", "right_id", "match"])


@dataclass
class _Cached:
    """One computation over the registry and the registry's state (``_stamp``) it was made for."""
    stamp: tuple[Any, ...] = ()
    trained_on: int = 0
    decisions: Any = None
    matcher: Any = None
    pairs: Any = None
    threshold: float = 1.0  # the threshold the pairs were computed at
    lock: threading.Lock = field(default_factory=threading.Lock)


RETRAIN_GROWTH = 1.2  # retrain the model when the registry has grown by a fifth since it was trained
REVIEW_FLOOR = 0.05  # the lowest threshold a reader may ask of the review queue (the API's and the page's bound)
MATCHING = "people.matching"  # the name of the MatchCache among a runtime's resources


class MatchCache:
    """The model over the registry and the review queue's pairs, for one runtime (``Runtime.resources``):
    one trained matcher and one computation of the pairs (at the lowest threshold asked since the registry last
    changed); closed with the runtime, which closes the matcher's DuckDB connection."""

    def __init__(self) -> None:
        self.trained = _Cached()
        self.review = _Cached()

    def __len__(self) -> int:
        """How many computations it holds: the matcher (if trained) and the pairs (if computed)."""
        return (self.trained.matcher is not None) + (self.review.pairs is not None)

    def close(self) -> None:
        with self.trained.lock:  # after a scoring under way
            if self.trained.matcher is not None:
                self.trained.matcher.close()
            self.trained.matcher, self.trained.stamp = None, ()
        with self.review.lock:
            self.review.pairs, self.review.stamp = None, ()


def match_cache(s: Session) -> MatchCache:
    """The MatchCache of the runtime whose session ``s`` is; for a session made outside a runtime, a new one
    that lasts for this call only (nothing is kept, nothing shared)."""
    resources = resources_of(s)
    return MatchCache() if resources is None else resources.get(MATCHING, MatchCache)


def _stamp(s: Session) -> tuple[Any, ...]:
    from sqlalchemy import func

    return (s.scalar(select(func.max(Person.updated_idx))), s.scalar(select(func.count()).select_from(Person)),
            s.scalar(select(func.max(MatchDecision.idx))), s.scalar(select(func.max(MatchDecision.withdrawn_idx))))


def matcher(s: Session) -> Any:
    """The model over the whole registry. A new person is scored with the model already trained (the
    registry is refreshed, not relearnt); the model is retrained when registrars decide (their decisions
    are training labels) or when the registry has grown by a fifth since the last training."""
    from parley.people.matching.matcher import Matcher

    cache = match_cache(s).trained
    stamp = _stamp(s)
    with cache.lock:
        if cache.matcher is not None and cache.stamp == stamp:
            return cache.matcher
        rows = list(s.execute(select(Person).where(LIVE)).scalars())
        if not rows:
            cache.matcher, cache.stamp = None, stamp
            return None
        lab = labelled(s)
        if (cache.matcher is None or cache.decisions != stamp[2:]
                or len(rows) > RETRAIN_GROWTH * max(1, cache.trained_on)):
            if cache.matcher is not None:
                cache.matcher.close()
            cache.matcher = Matcher(frame(rows), labelled=lab if len(lab) else None)
            cache.trained_on, cache.decisions = len(rows), stamp[2:]
        else:
            cache.matcher.refresh(frame(rows))
        cache.stamp = stamp
        return cache.matcher


def candidate_pairs(s: Session, threshold: float) -> Any:
    """Every pair of records in the registry the model scores at or above ``threshold`` (registrars'
    decisions override the model), best first. The model's pairs are computed once per state of the registry
    and shared by all readers and thresholds: computed at a threshold, they serve every higher one as a filter
    (the model, trained with a fixed seed, scores each pair the same whatever the threshold, which only filters
    its output), and only a lower threshold computes them again, at it. Each reader then sees only the pairs
    whose two records it may read."""
    from parley.people.matching.engine import dedupe

    if threshold < REVIEW_FLOOR:
        raise ValueError(f"the review queue's threshold is at least {REVIEW_FLOOR}")
    cache = match_cache(s).review
    stamp = _stamp(s)
    with cache.lock:
        if cache.pairs is None or cache.stamp != stamp or threshold < cache.threshold:
            rows = list(s.execute(select(Person).where(LIVE)).scalars())
            if len(rows) < 2:
                import pandas as pd

                cache.pairs = pd.DataFrame({"left_id": [], "right_id": [], "probability": []})
            else:
                lab = labelled(s)
                cache.pairs, _ = dedupe(frame(rows), threshold=threshold, labelled=lab if len(lab) else None)
            cache.stamp, cache.threshold = stamp, threshold
        pairs, computed_at = cache.pairs, cache.threshold
    return pairs if threshold <= computed_at else pairs[pairs.probability >= threshold]


MIN_CANDIDATE = 0.01  # below this a registry entry is not shown as a candidate at all


def candidates_for(s: Session, who: Principal, sought: dict[str, str], *, top: int = 10) -> list[tuple[Person, float]]:
    """Registry entries the member may read that may be the sought person, best first (probability at least
    ``MIN_CANDIDATE``)."""
    require_reader(who)
    m = matcher(s)
    if m is None:
        return []
    out = []
    for pid, prob in m.candidates({c: sought.get(c, "") for c in
                                   ("surname", "first_name", "patronymic", "birth_date", "birth_place",
                                    "service_number")}, top=top * 3):
        p = s.get(Person, pid)
        if prob < MIN_CANDIDATE:
            break
        if p is not None and can_read(who, PERSON, p):
            out.append((p, float(prob)))
        if len(out) >= top:
            break
    return out


@dataclass
class Pair:
    left: Person
    right: Person
    probability: float
    differences: list[str]


def review_queue(s: Session, who: Principal, *, threshold: float = 0.5, limit: int = 200) -> list[Pair]:
    """Candidate pairs of records that no one has decided, best first: the same person in two parties'
    reports, a list's row and the registry, or two rows of one list that differ by more than the exact
    duplicates the import already reported.

    Only pairs whose two records the member may read, and where one of them is the member's own
    party's (mediators see every pair).
    """
    require_reader(who)
    decided = {(d.left, d.right) for d in s.execute(select(MatchDecision).where(MatchDecision.current.is_(True)))
               .scalars()}
    pairs = candidate_pairs(s, threshold)
    out = []
    for left_id, right_id, prob in pairs[["left_id", "right_id", "probability"]].itertuples(index=False):
        a, b = sorted((str(left_id), str(right_id)))
        if (a, b) in decided:
            continue
        left, right = s.get(Person, a), s.get(Person, b)
        if left is None or right is None:
            continue
        if not (can_read(who, PERSON, left) and can_read(who, PERSON, right)):
            continue
        if not who.is_mediator and who.party not in (left.party, right.party):
            continue
        out.append(Pair(left, right, float(prob), differences(left, right)))
        if len(out) >= limit:
            break
    out.sort(key=lambda p: -p.probability)
    return out


COMPARED = ("surname", "first_name", "patronymic", "birth_date", "birth_place", "service_number", "rank", "unit",
            "category", "held_at")


PLACES = ("birth_place", "held_at")


def _place(text: str) -> str:
    from parley.people import names

    return " ".join(names.phonetic(w) for w in names.clean(text).replace("-", " ").split())


def differences(a: Person, b: Person) -> list[str]:
    """The fields that differ once names are normalised (so a spelling across scripts is not a difference)."""
    out = []
    for f in COMPARED:
        x, y = getattr(a, f) or "", getattr(b, f) or ""
        if not x or not y or x == y:
            continue
        if f == "surname" and a.surname_key == b.surname_key:
            continue
        if f == "first_name" and a.first_key == b.first_key:
            continue
        if f == "patronymic" and a.patronymic_key == b.patronymic_key:
            continue
        if f == "birth_date" and (x.startswith(y) or y.startswith(x)):
            continue
        if f in PLACES and _place(x) == _place(y):
            continue  # Львів and Львов, Бердянськ and Berdiansk: one place written in two ways
        out.append(f)
    return out


# -- lists -----------------------------------------------------------------------------------------
@dataclass
class Preview:
    sheet: Any
    mapping: dict[int, str]
    rows: list[Any]  # spreadsheet.RowResult
    sha256: str
    filename: str


def preview(data: bytes, filename: str, mapping: dict[int, str] | None = None,
            default_category: str | None = None) -> Preview:
    from parley.people import spreadsheet as sp

    try:
        sheet = sp.read_table(data, filename)
    except sp.SpreadsheetError as exc:
        raise Unprocessable(exc.code, field="file", **exc.params) from None
    used = mapping if mapping is not None else sp.guess_mapping(sheet.headers)
    rows = sp.parse_rows(sheet, used, default_category=default_category)
    return Preview(sheet, used, rows, hashlib.sha256(data).hexdigest(), filename[-200:])


def _dup_key(values: dict[str, str]) -> tuple[str, ...]:
    from parley.people.names import features

    f = features(values.get("surname"), values.get("first_name"), values.get("patronymic"))
    return (f["surname_key"], f["first_key"], f["patronymic_key"], (values.get("birth_date") or "")[:4])


def _compatible(a: dict[str, str] | Person, b: dict[str, str]) -> bool:
    """Same keys already; no conflicting full dates, patronymics or service numbers."""
    get = (lambda f: getattr(a, f) or "") if isinstance(a, Person) else (lambda f: a.get(f) or "")
    for f in ("birth_date", "service_number"):
        x, y = get(f), b.get(f) or ""
        if x and y and not (x.startswith(y) or y.startswith(x)):
            return False
    return True


@dataclass
class ImportResult:
    list_id: str
    report: list[dict[str, Any]]
    accepted: int
    duplicates: int
    rejected: int


OWN_UNKNOWN = "unknown"  # the explicit answer "the persons' own party is not known" (no own party is recorded)


def own_party_of(choice: str | None) -> str | None:
    """The own party a list's persons are registered with: a party's slug, or none for "" and ``unknown``."""
    return None if not choice or choice == OWN_UNKNOWN else choice


def require_own_party_choice(categories: Iterable[str], choice: str | None) -> None:
    """A list with prisoners of war names the persons' own party, or says explicitly that it is unknown: a person
    whose own party is not recorded is read by the reporting party and the mediators only, so the other side
    would never see its own soldiers held. Refused beside the field ``own_party`` before anything is signed."""
    if "pow" in set(categories) and not choice:
        raise Unprocessable(C.OWN_PARTY_CHOICE, field="own_party")


@dataclass
class Duplicate:
    """A row of a list that is already in the registry (``of``, a person the importing party reported) or repeats
    an earlier row of the same file (``of_row``)."""

    row: int
    of: Person | None = None
    of_row: int | None = None


def duplicates(s: Session, who: Principal, rows: Iterable[Any]) -> dict[int, Duplicate]:
    """The rows of a read list (``spreadsheet.RowResult``) that the import would report as duplicates, found as
    the import finds them: the same name keys in any script (``people.names``) and birth year as a person the
    member's party already reported, or as an earlier row of the file, with no conflicting full date of birth or
    service number. The preview shows them before anything is signed; the import reports the same rows."""
    existing: dict[tuple[str, ...], list[Person]] = {}
    for p in s.execute(select(Person).where(Person.party == who.party, LIVE)).scalars():
        existing.setdefault((p.surname_key, p.first_key, p.patronymic_key, p.birth_year), []).append(p)
    seen: dict[tuple[str, ...], list[tuple[int, dict[str, str]]]] = {}
    out: dict[int, Duplicate] = {}
    for r in rows:
        if r.status != "ok":
            continue
        key = _dup_key(r.values)
        twin = next((p for p in existing.get(key, []) if _compatible(p, r.values)), None)
        if twin is not None:
            out[r.row] = Duplicate(r.row, of=twin)
            continue
        earlier = next((row for row, v in seen.get(key, []) if _compatible(v, r.values)), None)
        if earlier is not None:
            out[r.row] = Duplicate(r.row, of_row=earlier)
            continue
        seen.setdefault(key, []).append((r.row, r.values))
    return out


def import_rows(s: Session, who: Principal, submit_many: Callable[[list[tuple[str, list[str], dict[str, Any]]]],
                                                                   list[Any]],
                submit_one: Callable[[str, list[str], dict[str, Any]], Any], pv: Preview, *, title: str,
                own_party: str | None, audience_roles: tuple[str, ...] = ()) -> ImportResult:
    """Register every good row of a previewed list as a signed person record, then record the list and its
    report. Rows already in the registry (the same party's report of the same person) or repeated in the
    file are duplicates (``duplicates``, as the preview showed them); rows the record pipeline refuses are
    rejected with its reason. ``own_party``: a party, ``unknown``, or "" (refused for a list with prisoners of
    war, ``require_own_party_choice``)."""
    require_own_party_choice((r.values.get("category", "") for r in pv.rows if r.status == "ok"), own_party)
    own_party = own_party_of(own_party)
    list_id = f"{who.party}-list-{uuid.uuid4().hex[:12]}"
    audience = k.person_audience(who.party, own_party)
    dups = duplicates(s, who, pv.rows)
    report: dict[int, dict[str, Any]] = {}
    batch: list[tuple[int, str, dict[str, Any]]] = []
    for r in pv.rows:
        if r.status != "ok":
            report[r.row] = {"row": r.row, "status": "rejected", "reason": r.reason[:500],
                             **({"field": r.field} if r.field else {})}
            continue
        dup = dups.get(r.row)
        if dup is not None and dup.of is not None:
            report[r.row] = {"row": r.row, "status": "duplicate", "of": dup.of.id,
                             "reason": "already in the registry from your party"}
            continue
        if dup is not None:
            report[r.row] = {"row": r.row, "status": "duplicate", "of_row": dup.of_row,
                             "reason": f"repeats row {dup.of_row} of this file"}
            continue
        pid = new_person_id(who.party)
        payload = register_payload(pid, r.values, own_party, {"id": list_id, "row": r.row})
        batch.append((r.row, pid, payload))
    results = submit_many([("person.register", audience, payload) for _, _, payload in batch]) if batch else []
    for (row, pid, _), res in zip(batch, results, strict=True):
        if isinstance(res, ParleyError):
            report[row] = {"row": row, "status": "rejected", "reason": res.message[:500],
                           **({"field": res.field.removeprefix("person.")} if res.field else {})}
        else:
            report[row] = {"row": row, "status": "accepted", "person": pid}
    ordered = [report[r] for r in sorted(report)]
    mapping = {str(i): f for i, f in sorted(pv.mapping.items())}
    submit_one("list.import", audience, {"id": list_id, "title": title[:200] or pv.filename or "list",
                                         "filename": pv.filename, "sha256": pv.sha256, "mapping": mapping,
                                         "report": ordered})
    count = {st: sum(1 for r in ordered if r["status"] == st) for st in ("accepted", "duplicate", "rejected")}
    return ImportResult(list_id, ordered, count["accepted"], count["duplicate"], count["rejected"])


def register_payload(pid: str, values: dict[str, str], own_party: str | None,
                     list_ref: dict[str, Any]) -> dict[str, Any]:
    """The ``person.register`` payload of a list's row, as read (``spreadsheet.parse_rows``)."""
    payload: dict[str, Any] = {"id": pid, "category": values.get("category") or "missing",
                               "person": k.person_payload(values),
                               "seriously_wounded": values.get("seriously_wounded") == "true", "list": list_ref}
    if own_party:
        payload["own_party"] = own_party
    return payload


def corrected_rows(s: Session, who: Principal, x: PersonList) -> dict[int, Person | None]:
    """The rejected rows of list ``x`` registered since, corrected (``correct_row``): row → the person (``None``
    when the member may not read it)."""
    rows = s.execute(select(Person).where(Person.list_id == x.id, LIVE)).scalars()
    rejected = {r.get("row") for r in json.loads(x.report) if r.get("status") == "rejected"}
    return {p.list_row: (p if can_read(who, PERSON, p) else None) for p in rows
            if p.list_row is not None and p.list_row in rejected}


def correct_row(s: Session, who: Principal, submit_one: Callable[[str, list[str], dict[str, Any]], Any],
                list_id: str, row: int, cells: dict[str, str], own_party: str | None) -> str:
    """A rejected row of an imported list, corrected and submitted again: its values (field → text as a
    spreadsheet cell would give it) go through the same reading and checks as the file's rows
    (``spreadsheet.parse_rows``), then the same single signed write, ``person.register`` naming the list and
    the row; nothing else of the list is touched. Returns the new person's id. Refusals name the field."""
    from parley.people import spreadsheet as sp

    x = person_list(s, who, list_id)
    if x.party != who.party:
        raise Forbidden(C.ROW_CORRECTED_BY_REPORTER, field="list")
    entry = next((r for r in json.loads(x.report) if r.get("row") == row), None)
    if entry is None or entry.get("status") != "rejected":
        raise Unprocessable(C.ROW_NOT_REJECTED, row=row, field="row")
    if row in corrected_rows(s, who, x):
        raise Unprocessable(C.ROW_ALREADY_CORRECTED, row=row, field="row")
    fields = list(sp.FIELDS)
    sheet = sp.Sheet(fields, [(row, [str(cells.get(f, "") or "")[:4000] for f in fields])])
    result = sp.parse_rows(sheet, dict(enumerate(fields)))[0]
    if result.status != "ok":
        raise Unprocessable(C.ROW_STILL_REJECTED, why=result.reason, field=result.field or "form")
    require_own_party_choice([result.values.get("category", "")], own_party)
    own = own_party_of(own_party)
    pid = new_person_id(who.party)
    submit_one("person.register", k.person_audience(who.party, own),
               register_payload(pid, result.values, own, {"id": x.id, "row": row}))
    return pid


def lists(s: Session, who: Principal) -> list[PersonList]:
    require_reader(who)
    rows = s.execute(select(PersonList).order_by(PersonList.idx.desc())).scalars()
    return [x for x in rows if can_read(who, "list.import", x)]


def person_list(s: Session, who: Principal, list_id: str) -> PersonList:
    require_reader(who)
    x = s.get(PersonList, list_id)
    if x is None or not can_read(who, "list.import", x):
        raise NotFound(C.NO_LIST, list=list_id)
    return x


def export_rows(rows: Iterable[Person], alive: dict[str, Alive | None] | None = None) -> list[dict[str, str]]:
    out = []
    for p in rows:
        d = {f: getattr(p, f) or "" for f in PERSON_FIELDS}
        d.update(category=p.category, seriously_wounded="true" if p.seriously_wounded else "false", id=p.id,
                 status=p.status)
        a = (alive or {}).get(p.id)
        d.update(last_alive_date=a.date if a else "", last_alive_by=a.party if a else "",
                 last_alive_event=a.event if a else "")
        out.append(d)
    return out


# -- inquiries -------------------------------------------------------------------------------------
class Attempts:
    """Attempts per client address in a sliding window: a brake on guessing families' secrets (on top of the
    Argon2 check's own cost) and on flooding the public inquiry form. Per process; bounded in size."""

    def __init__(self, limit: int, window: float, size: int = 10_000) -> None:
        self.limit, self.window, self.size = limit, window, size
        self.seen: dict[str, deque[float]] = {}
        self.lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self.seen.get(key) or deque()
        while q and q[0] < now - self.window:
            q.popleft()
        return q

    def blocked(self, key: str) -> bool:
        with self.lock:
            return len(self._recent(key, time.monotonic())) >= self.limit

    def count(self, key: str) -> None:
        now = time.monotonic()
        with self.lock:
            q = self._recent(key, now)
            q.append(now)
            self.seen[key] = q
            if len(self.seen) > self.size:
                for old in list(self.seen)[: len(self.seen) - self.size]:
                    del self.seen[old]

    def clear(self) -> None:
        with self.lock:
            self.seen.clear()


FAMILY_ATTEMPTS, FAMILY_WINDOW = 10, 900  # wrong reference or secret: 10 per quarter of an hour per address
FILINGS_PER_HOUR = 5  # inquiries filed through the public form, per address


@dataclass
class PublicLimits:
    """The brakes on what families do without an account, one set per application (not per process, so two
    deployments served by one process, or two tests, never count each other's attempts)."""
    family: Attempts = field(default_factory=lambda: Attempts(FAMILY_ATTEMPTS, FAMILY_WINDOW))
    filings: Attempts = field(default_factory=lambda: Attempts(FILINGS_PER_HOUR, 3600))

    def clear(self) -> None:
        self.family.clear()
        self.filings.clear()


_LIMITS_LOCK = threading.Lock()


def public_limits(state: Any) -> PublicLimits:
    """The application's limits (``app.state``), made on first use."""
    with _LIMITS_LOCK:
        limits = getattr(state, "public_limits", None)
        if limits is None:
            limits = PublicLimits()
            state.public_limits = limits
        return limits


def intake_member(s: Session, party: str) -> str | None:
    """The member that files the inquiries families send ``party`` directly (role "intake"), if it takes them."""
    from parley.parties.models import Member, Party

    p = s.get(Party, party)
    if p is None or p.kind != "belligerent":
        return None
    for m in s.execute(select(Member).where(Member.party == party, Member.active.is_(True))
                       .order_by(Member.id)).scalars():
        if "intake" in m.role_set:
            return m.id
    return None


def intake_parties(s: Session) -> list[str]:
    """The parties that take inquiries from families directly."""
    from parley.parties.models import Party

    return [p.slug for p in s.execute(select(Party).where(Party.kind == "belligerent").order_by(Party.slug))
            .scalars() if intake_member(s, p.slug)]


def file_directly(s: Session, submit: Callable[[Principal, str, list[str], dict[str, Any], dict[str, Any]], Any],
                  party: str,
                  sought: dict[str, Any], relationship: str, contact: str) -> tuple[str, str, Any]:
    """A family's own inquiry to ``party``: signed by the party's intake member (a service account whose key
    the server holds; its records say the family wrote through the public form), read by that party's
    registrars and the mediators. Returns (reference, secret, receipt); the secret is shown to the family
    once and only its hash is kept, as local data beside the record (``submit``'s last argument), never in
    the log."""
    from parley.parties.principal import load_principal

    member = intake_member(s, party)
    who = load_principal(s, member) if member else None
    if who is None:
        raise NotFound(C.NO_DIRECT_INQUIRIES, field="party")
    ref, secret = new_reference(party), new_secret()
    payload = {"id": ref, "sought": sought, "relationship": relationship, "contact": contact}
    receipt = submit(who, "inquiry.file", [f"party:{party}"], payload, local_secret(secret))
    return ref, secret, receipt


def filed_directly(s: Session, i: Inquiry) -> bool:
    from parley.parties.models import Member

    m = s.get(Member, i.author)
    return bool(m and "intake" in m.role_set)


def new_reference(party: str) -> str:
    """A new inquiry reference of ``party``, e.g. ``INQ-UA-7K3P-Q9XZ`` (the filing party's namespace)."""
    return ids.new_reference(party)


def new_secret() -> str:
    return "-".join("".join(secrets.choice(REF_ALPHABET) for _ in range(4)) for _ in range(4))


def hash_secret(secret: str) -> str:
    """Argon2 through the process's one hashing gate (raises HashBusy, a 503, when it is saturated)."""
    return argon2_hash(secret.strip().upper())


def local_secret(secret: str) -> dict[str, str]:
    """The local data an ``inquiry.file`` record carries for the family's secret: its Argon2 verifier, stored
    beside the record in the same transaction and never in the log (``records/pipeline.py``)."""
    return {"secret_hash": hash_secret(secret)}


def inquiries(s: Session, who: Principal, *, status: str | None = None) -> list[Inquiry]:
    require_reader(who)
    q = select(Inquiry).order_by(Inquiry.created_idx.desc())
    if status:
        q = q.where(Inquiry.status == status)
    return [i for i in s.execute(q).scalars() if can_read(who, INQUIRY, i)]


def inquiry(s: Session, who: Principal, ref: str) -> Inquiry:
    require_reader(who)
    i = s.get(Inquiry, ref)
    if i is None or not can_read(who, INQUIRY, i):
        raise NotFound(C.NO_INQUIRY, inquiry=ref)
    return i


def inquiry_decisions(s: Session, who: Principal | None, i: Inquiry) -> list[InquiryDecision]:
    """The decisions on an inquiry that ``who`` may read (``None``: all, for the family's own view)."""
    rows = s.execute(select(InquiryDecision).where(InquiryDecision.inquiry == i.id)
                     .order_by(InquiryDecision.idx)).scalars()
    # A decision has its inquiry's audience (``people.kinds.apply_inquiry_decide``).
    return [d for d in rows if who is None or k.POLICY.may_read(who, "inquiry.decide", i.audience, d.party)]


INQUIRY = "inquiry.file"


def sought_of(i: Inquiry, who: Principal | None = None) -> dict[str, str]:
    """Whom the family seeks, and how the family is reached only for the roles that read it (``who``
    None: the server's own use, such as matching)."""
    sought: dict[str, str] = json.loads(i.sought)
    if who is not None and not k.POLICY.may_read_field(who, INQUIRY, "contact"):
        sought.pop("contact", None)
    return sought


def inquiry_additions(s: Session, who: Principal, i: Inquiry) -> list[tuple[InquiryAddition, dict[str, Any]]]:
    """What the family added to an inquiry, for the members its records admit (the filing party's registrars and
    the mediators): each addition with its fields."""
    rows = s.execute(select(InquiryAddition).where(InquiryAddition.inquiry == i.id)
                     .order_by(InquiryAddition.idx)).scalars()
    return [(a, json.loads(a.detail)) for a in rows if k.POLICY.may_read(who, "inquiry.add", a.audience, a.party)]


def contact_preference(s: Session, inquiry: str) -> dict[str, Any]:
    """The family's contact preference as its latest additions give it (each field its latest value): how it
    wants to be reached, in which language, and whether to be told of news. The server's own use (notices)."""
    out: dict[str, Any] = {}
    for detail in s.execute(select(InquiryAddition.detail).where(InquiryAddition.inquiry == inquiry)
                            .order_by(InquiryAddition.idx)).scalars():
        d = json.loads(detail)
        if any(d.get(f) for f in ("contact_channel", "contact_email", "contact_language", "notify")):
            # A preference is stated whole: a later one replaces the earlier (notify off unless it says so).
            out = {f: d.get(f, "" if f != "notify" else False)
                   for f in ("contact_channel", "contact_email", "contact_language", "notify")}
    return out


@dataclass
class FamilyStep:
    """One step of what the family was told: the filing, or a decision with its message."""

    at: Any
    status: str  # open | answered | closed: the inquiry's status as this step left it
    message: str


@dataclass
class FamilyView:
    reference: str
    status: str
    filed_at: Any
    sought_name: str
    messages: list[tuple[Any, str]]
    party: str = ""
    history: list[FamilyStep] = field(default_factory=list)
    added: list[tuple[Any, list[str]]] = field(default_factory=list)  # (when, which fields) the family added
    may_add: bool = False


def family_view(s: Session, reference: str, secret: str) -> FamilyView | None:
    """What the family sees with its reference and secret: the status history the filing party released to it
    (its registrars' and the mediators' messages), what it added itself (which fields and when, not their
    contents), nothing about any other person or inquiry. ``None`` for a wrong reference or secret (the same
    work is done either way, so timing does not tell which was wrong). The check shares the sign-in's hashing
    gate and raises HashBusy (503) when it is saturated."""
    i = family_inquiry(s, reference, secret)
    return None if i is None else family_view_of(s, i)


def family_view_of(s: Session, i: Inquiry) -> FamilyView:
    """The family's view of ``i``, once its reference and secret were checked (``family_inquiry``)."""
    sought = sought_of(i)
    told = [d for d in inquiry_decisions(s, None, i) if d.message and d.decision != "rejected"]
    messages = [(d.at, d.message) for d in told]
    history = [FamilyStep(i.at, "open", "")]
    for d in told:
        history.append(FamilyStep(d.at, "closed" if d.decision == "closed" else "answered", d.message))
    # The status the family sees is what it was told: "answered" only once a message reached it.
    status = i.status if i.status != "answered" or messages else "open"
    added = [(a.at, [f for f in k.ADDITION_FIELDS if f in json.loads(a.detail)])
             for a in s.execute(select(InquiryAddition).where(InquiryAddition.inquiry == i.id)
                                .order_by(InquiryAddition.idx)).scalars()]
    name = " ".join(x for x in (sought.get("surname"), sought.get("first_name"), sought.get("patronymic")) if x)
    return FamilyView(i.id, status, i.at, name, messages, i.party, history, added,
                      status != "closed" and intake_member(s, i.party) is not None)


def family_inquiry(s: Session, reference: str, secret: str) -> Inquiry | None:
    """The inquiry whose reference and secret these are, or ``None`` (the same Argon2 work either way)."""
    ref = reference.strip().upper()
    verifier = s.get(InquirySecret, ref) if len(ref) <= 64 else None
    if not argon2_verify(verifier.secret_hash if verifier else None, secret.strip().upper()[:100]):
        return None
    i = s.get(Inquiry, ref) if verifier else None
    if i is None or i.status == "destroyed":
        return None
    return i


def add_from_family(s: Session, submit: Callable[[Principal, str, list[str], dict[str, Any], dict[str, Any]], Any],
                    i: Inquiry, fields: dict[str, Any]) -> Any:
    """A family's addition to its own inquiry (``inquiry.add``), once its reference and secret were checked
    (``family_inquiry``): signed by the filing party's intake member, read by that party's registrars and the
    mediators only."""
    from parley.parties.principal import load_principal

    member = intake_member(s, i.party)
    who = load_principal(s, member) if member else None
    if who is None:
        raise NotFound(C.NO_DIRECT_INQUIRIES, field="inquiry")
    given = {f: v for f, v in fields.items() if f in k.ADDITION_FIELDS and v not in ("", None, False)}
    payload = {"inquiry": i.id, **given}
    return submit(who, "inquiry.add", [k.inquiry_audience(i)], payload, {})
