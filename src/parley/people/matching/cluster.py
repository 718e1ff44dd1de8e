"""Clusters from scored pairs: links taken best first, never joining two groups when a record of one
contradicts a record of the other (twins, brothers) or a registrar said they are different persons. Plain
functions on pandas frames; no database, no Splink.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from parley.people.matching.features import labels


def _jaro_winkler(a: str, b: str) -> float:
    from rapidfuzz.distance import JaroWinkler

    return float(JaroWinkler.similarity(a, b))


def _edit_distance(a: str, b: str) -> int:
    from rapidfuzz.distance import DamerauLevenshtein

    return int(DamerauLevenshtein.distance(a, b))


class Contradiction:
    """Whether two records clearly describe different persons, by the model's own strongest negative
    evidence: first names that the model puts in its "different given name" level (neither the same
    canonical key, nor swapped with the surname, nor Jaro-Winkler >= 0.85, nor one edit apart, nor an
    agreeing initial: one that the name as written, or one of its equivalent forms, starts with), full
    patronymics that differ the same way, or birth years more than a year apart."""

    def __init__(self, prepared: pd.DataFrame) -> None:
        self.first_key = prepared["first_key"].to_numpy(dtype=object)
        self.first_latin = prepared["first_latin"].to_numpy(dtype=object)
        self.first_clean = prepared["first_clean"].to_numpy(dtype=object)
        self.first_initial = prepared["first_initial"].to_numpy(dtype=object)
        self.first_initial_alt = prepared["first_initial_alt"].to_numpy(dtype=object)
        self.surname_key = prepared["surname_key"].to_numpy(dtype=object)
        self.pat_key = prepared["patronymic_key"].to_numpy(dtype=object)
        self.pat_latin = prepared["patronymic_latin"].to_numpy(dtype=object)
        self.pat_clean = prepared["patronymic_clean"].to_numpy(dtype=object)
        years = prepared["birth_year"]
        self.year = years.fillna(-10_000).astype("int64").to_numpy()

    def initials_agree(self, a: int, b: int) -> bool:
        """Whether the given names of two records can start with the same letter: the initial of either name
        as written or of an equivalent form (Микола, Николай, Mykola: М, Н, M, N)."""
        ia, ib = self.first_initial[a], self.first_initial[b]
        xa, xb = self.first_initial_alt[a], self.first_initial_alt[b]
        return ia == ib or (bool(xb) and ia == xb) or (bool(xa) and xa == ib) or (bool(xa) and xa == xb)

    def __call__(self, a: int, b: int) -> bool:
        ia, ib = self.first_initial[a], self.first_initial[b]
        if ia and ib:
            fa, fb = self.first_key[a], self.first_key[b]
            swapped = fa == self.surname_key[b] and fb == self.surname_key[a]
            if fa != fb and not swapped:
                short = len(self.first_clean[a]) <= 1 or len(self.first_clean[b]) <= 1
                if short:
                    if not self.initials_agree(a, b):
                        return True
                elif (_jaro_winkler(self.first_latin[a], self.first_latin[b]) < 0.85
                      and _edit_distance(self.first_latin[a], self.first_latin[b]) > 1):
                    return True
        pa, pb = self.pat_key[a], self.pat_key[b]
        if (pa and pb and pa != pb and len(self.pat_clean[a]) > 2 and len(self.pat_clean[b]) > 2
                and _jaro_winkler(self.pat_latin[a], self.pat_latin[b]) < 0.85):
            return True
        ya, yb = self.year[a], self.year[b]
        return ya > 0 and yb > 0 and abs(int(ya) - int(yb)) > 1


def cluster(prepared: pd.DataFrame, pairs: pd.DataFrame, labelled: pd.DataFrame | None = None) -> pd.DataFrame:
    """Clusters (id, cluster_id) from links (left_id, right_id, probability; taken in the order given, best
    first): each link joins the two records' groups unless a record of one group contradicts a record of
    the other (:class:`Contradiction`) or a registrar rejected a pair between them. Links a registrar
    confirmed are joined first, unconditionally. cluster_id is the smallest id of the group."""
    ids = prepared["unique_id"].to_numpy(dtype=object)
    pos = {i: k for k, i in enumerate(ids)}
    n = len(ids)
    parent = list(range(n))
    members: list[list[int]] = [[k] for k in range(n)]
    rejected: set[tuple[int, int]] = set()
    forced: list[tuple[int, int]] = []
    if labelled is not None and len(labelled):
        lab = labels(labelled)
        for a, b, m in lab[["left_id", "right_id", "match"]].itertuples(index=False):
            if a in pos and b in pos:
                ka, kb = pos[a], pos[b]
                if m:
                    forced.append((ka, kb))
                else:
                    rejected.add((min(ka, kb), max(ka, kb)))
    contradicts = Contradiction(prepared)
    # the model's own links are its judgement on those pairs: never a contradiction
    left = pairs["left_id"].to_numpy(dtype=object)
    right = pairs["right_id"].to_numpy(dtype=object)
    linked = {(min(pos[a], pos[b]), max(pos[a], pos[b])) for a, b in zip(left, right, strict=True)
              if a in pos and b in pos}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(ra: int, rb: int) -> None:
        if len(members[ra]) < len(members[rb]):
            ra, rb = rb, ra
        parent[rb] = ra
        members[ra].extend(members[rb])
        members[rb] = []

    for ka, kb in forced:
        ra, rb = find(ka), find(kb)
        if ra != rb:
            union(ra, rb)
    for a, b in zip(left, right, strict=True):
        pa, pb = pos.get(a), pos.get(b)
        if pa is None or pb is None:
            continue
        ra, rb = find(pa), find(pb)
        if ra == rb:
            continue
        ma, mb = members[ra], members[rb]
        if len(ma) * len(mb) > 10_000:
            continue  # a group this size is not one person; leave it for review
        if any((min(x, y), max(x, y)) in rejected
               or ((min(x, y), max(x, y)) not in linked and contradicts(x, y)) for x in ma for y in mb):
            continue
        union(ra, rb)
    label = np.empty(n, dtype=object)
    for k in range(n):
        r = find(k)
        if members[r]:
            best = min(ids[m] for m in members[r])
            for m in members[r]:
                label[m] = best
            members[r] = []
    return pd.DataFrame({"id": ids, "cluster_id": label})
