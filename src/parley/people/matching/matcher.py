"""Inquiries against the registry: :class:`Matcher` holds the registry in its own DuckDB connection with a
trained model and scores inquiries against it, best first. Whoever keeps a Matcher closes it (the server keeps
one per runtime, ``parley.people.service``).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from copy import deepcopy
from pathlib import Path
from typing import Any

import pandas as pd

from parley.people.matching.engine import Engine
from parley.people.matching.features import INPUT_COLUMNS, check_ids, prepare, splink_frame
from parley.people.matching.model import candidate_blocking_rules, new_linker, settings, train


_QUERY_ID = "__inquiry__"
ANSWERS_KEPT = 10_000  # answers kept per registry (``Matcher.candidates`` and ``candidates_many``), by row


class Matcher:
    """The registry, trained once, answering inquiries.

    ``Matcher(registry_df)`` prepares the registry and trains the model on it (or takes a saved model:
    ``model=`` a settings dict or the path of a JSON file written by :meth:`save_model`, then nothing is
    trained). ``candidates(row)`` scores one inquiry against the registry; ``refresh(registry_df)`` swaps in
    the new registry and keeps the trained model (``retrain=True`` to train again, e.g. after new
    registrars' decisions). Thread-safe: one inquiry at a time per Matcher."""

    def __init__(self, registry_df: pd.DataFrame, labelled: pd.DataFrame | None = None, *,
                 model: dict[str, Any] | str | Path | None = None) -> None:
        self._lock = threading.RLock()
        self._engine: Engine | None = None
        self._linker: Any = None
        self._registry: Any = None
        self._ids: set[str] = set()
        self._model: dict[str, Any] | None = None
        # Answers of ``candidates`` for this registry, by the sought fields: an inquiry's page opened again
        # (by each reader, or after a refresh of the page) is not scored again. Emptied by ``refresh``.
        self._answers: OrderedDict[tuple[Any, ...], tuple[tuple[str, float], ...]] = OrderedDict()
        if model is not None:
            self._model = json.loads(Path(model).read_text(encoding="utf-8")) if isinstance(
                model, (str, Path)) else deepcopy(model)
        self.refresh(registry_df, labelled=labelled)

    @property
    def model(self) -> dict[str, Any]:
        """The trained model (Splink settings dict with m, u and lambda), to save and reuse."""
        assert self._model is not None
        return deepcopy(self._model)

    def save_model(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.model, indent=1, ensure_ascii=False), encoding="utf-8")

    def refresh(self, registry_df: pd.DataFrame, *, labelled: pd.DataFrame | None = None,
                retrain: bool = False) -> None:
        prepared = prepare(registry_df)
        check_ids(prepared, "registry")
        with self._lock:
            self._answers.clear()
            if self._engine is not None:
                self._engine.close()
            self._engine = Engine()
            self._registry = self._engine.register(splink_frame(prepared), "registry")
            self._ids = set(prepared["unique_id"])
            if self._model is None or retrain or labelled is not None:
                linker = new_linker(self._registry, settings("dedupe_only"))
                if len(prepared) >= 2:
                    train(linker, labelled)
                self._model = linker.misc.save_model_to_json()
                self._model.pop("linker_uid", None)
            self._linker = new_linker(self._registry, self._model)
            for col in ("surname_key", "first_key"):
                self._linker.table_management.compute_tf_table(col)

    def candidates(self, row: dict[str, Any], top: int = 10) -> list[tuple[str, float]]:
        """The registry ids most probably describing the person of ``row`` (any of INPUT_COLUMNS), with
        that probability, best first."""
        return self.candidates_many([row], top=top)[0]

    def forget(self) -> None:
        """Empty the answers kept: the next inquiries are scored again (a benchmark timing the scoring)."""
        with self._lock:
            self._answers.clear()

    @staticmethod
    def _key(row: dict[str, Any], top: int) -> tuple[Any, ...]:
        return (top, *((c, str(row.get(c) or "")) for c in INPUT_COLUMNS if c != "id"))

    def candidates_many(self, rows: list[dict[str, Any]], top: int = 10) -> list[list[tuple[str, float]]]:
        """:meth:`candidates` for several inquiries at once, in the order given: those answered since the last
        refresh from the answers kept (an inquiry's page or an exchange's list check opened again, by each
        reader), the others in one scoring pass."""
        keys = [self._key(row, top) for row in rows]
        out: list[list[tuple[str, float]] | None] = []
        with self._lock:
            for key in keys:
                known = self._answers.get(key)
                if known is not None:
                    self._answers.move_to_end(key)
                out.append(None if known is None else list(known))
            todo = [k for k, o in enumerate(out) if o is None]
            if todo:
                for k, found in zip(todo, self._score([rows[k] for k in todo], top), strict=True):
                    out[k] = found
                    self._answers[keys[k]] = tuple(found)
                while len(self._answers) > ANSWERS_KEPT:
                    self._answers.popitem(last=False)
        return [o if o is not None else [] for o in out]

    def _score(self, rows: list[dict[str, Any]], top: int) -> list[list[tuple[str, float]]]:
        """One Splink scoring pass of ``rows`` against the registry (the caller holds the lock)."""
        if not rows:
            return []
        qids = [f"{_QUERY_ID}{k}" for k in range(len(rows))]
        frame = pd.DataFrame([{**{c: row.get(c) for c in INPUT_COLUMNS if c != "id"}, "id": qid}
                              for row, qid in zip(rows, qids, strict=True)])
        prepared = prepare(frame)
        with self._lock:
            assert self._engine is not None
            sdf = self._engine.db_api.register(splink_frame(prepared))
            try:
                pred = self._linker.inference.predict_between(
                    self._registry, sdf, blocking_rules_to_generate_predictions=candidate_blocking_rules(),
                    warning_mode="never")
                res = pred.as_duckdbpyrelation().select(
                    "unique_id_l, unique_id_r, match_probability").fetchall()
                pred.drop_table_from_database_and_remove_from_cache()
            finally:
                sdf.drop_table_from_database_and_remove_from_cache(force_non_splink_table=True)
        index = {q: k for k, q in enumerate(qids)}
        best: list[dict[str, float]] = [{} for _ in rows]
        for left, right, p in res:
            a, b = str(left), str(right)
            if b in index and a in self._ids:
                k, rid = index[b], a
            elif a in index and b in self._ids:
                k, rid = index[a], b
            else:
                continue
            if p > best[k].get(rid, -1.0):
                best[k][rid] = float(p)
        return [sorted(d.items(), key=lambda kv: (-kv[1], kv[0]))[:top] for d in best]

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.close()
                self._engine = None

    def __del__(self) -> None:  # pragma: no cover - best effort
        try:
            self.close()
        except Exception:  # noqa: BLE001, S110 - at interpreter exit DuckDB may already be gone: nothing to report to
            pass


def candidates(query_row: dict[str, Any], registry_df: pd.DataFrame, *, top: int = 10) -> list[tuple[str, float]]:
    """The registry ids with the probability that they describe the person of ``query_row``, best first: one
    inquiry, with a Matcher trained for it and closed after it (keep a :class:`Matcher` for several)."""
    matcher = Matcher(registry_df)
    try:
        return matcher.candidates(query_row, top=top)
    finally:
        matcher.close()
