"""Running the model: an isolated, offline DuckDB connection (:class:`Engine`), ``dedupe`` of one list and
``link`` of two, with registrars' decisions overriding the model's score for the pairs they decided.

Every DuckDB connection made here is in memory, spills only into its own temporary directory (removed on
close), never installs or auto-loads extensions, and has external access (files, HTTP) switched off once the
input is registered.
"""

from __future__ import annotations

import shutil
import tempfile
from typing import Any

import numpy as np
import pandas as pd

from parley.people.matching.cluster import cluster
from parley.people.matching.features import check_ids, labels, prepare, splink_frame
from parley.people.matching.model import STAGES, Progress, new_linker, report, settings, train

# Pairs below this probability are not kept by ``predict`` (the public threshold is applied afterwards).
_PREDICT_FLOOR = 0.01
# DuckDB's memory limit per connection (it spills to its temporary directory above it).
_DUCKDB_MEMORY = "4GB"


class Engine:
    """An in-memory DuckDB connection that spills only into its own temporary directory, with extension
    auto-install/auto-load disabled; external access is switched off after the first registration."""

    def __init__(self) -> None:
        import duckdb
        from splink import DuckDBAPI

        self.tmpdir = tempfile.mkdtemp(prefix="parley-match-")
        self.con = duckdb.connect(":memory:", config={
            "temp_directory": self.tmpdir,
            "extension_directory": self.tmpdir,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "allow_community_extensions": False,
            # bounded: beyond this DuckDB spills to tmpdir instead of growing (10^6 records need it)
            "memory_limit": _DUCKDB_MEMORY,
            "preserve_insertion_order": False,
        })
        self.con.execute("SET enable_external_access = false")
        self.db_api = DuckDBAPI(connection=self.con)

    def register(self, frame: pd.DataFrame, name: str) -> Any:
        return self.db_api.register(frame, dataset_display_name=name)

    def close(self) -> None:
        try:
            self.con.close()
        finally:
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def override(pairs: pd.DataFrame, labelled: pd.DataFrame | None, *, symmetric: bool) -> pd.DataFrame:
    """Registrars' decisions win over the model for the pairs they decided."""
    if labelled is None or not len(labelled):
        return pairs
    lab = labels(labelled)
    if symmetric:
        a = np.where(lab.left_id < lab.right_id, lab.left_id, lab.right_id)
        b = np.where(lab.left_id < lab.right_id, lab.right_id, lab.left_id)
        lab = pd.DataFrame({"left_id": a, "right_id": b, "match": lab.match.to_numpy()})
        pa = np.where(pairs.left_id < pairs.right_id, pairs.left_id, pairs.right_id)
        pb = np.where(pairs.left_id < pairs.right_id, pairs.right_id, pairs.left_id)
        pairs = pairs.assign(left_id=pa, right_id=pb)
    lab = lab.drop_duplicates(["left_id", "right_id"], keep="last")
    merged = pairs.merge(lab, on=["left_id", "right_id"], how="outer")
    decided = merged["match"].notna()
    merged["probability"] = np.where(decided, merged["match"].fillna(0).astype(float), merged["probability"])
    keep = ["left_id", "right_id", "probability"]
    if "weight" in merged.columns:
        merged["weight"] = np.where(decided, np.where(merged["match"].fillna(0) > 0, np.inf, -np.inf),
                                    merged["weight"])
        keep.append("weight")
    return merged[keep]


def predictions(linker: Any, floor: float) -> pd.DataFrame:
    pred = linker.inference.predict(threshold_match_probability=floor, warning_mode="never")
    rel = pred.as_duckdbpyrelation()
    cols = set(rel.columns)
    sel = "unique_id_l, unique_id_r, match_probability, match_weight"
    if "source_dataset_l" in cols:
        sel = "source_dataset_l, " + sel + ", source_dataset_r"
    df = rel.select(sel).df() if hasattr(rel, "select") else pred.as_pandas_dataframe()
    pred.drop_table_from_database_and_remove_from_cache()
    return df


def dedupe(
    df: pd.DataFrame, *, threshold: float = 0.9, labelled: pd.DataFrame | None = None,
    progress: Progress | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Find the records of one list that describe the same person.

    Returns (pairs: left_id, right_id, probability >= threshold, best first: the model's links) and
    (clusters: id, cluster_id for every input id; a record matched to nothing is its own cluster,
    cluster_id = its id; otherwise the smallest id of its cluster). Clusters are grown from the links, best
    first, but two groups are never joined if a record of one contradicts a record of the other (see
    :func:`cluster`): a record with only an initial does not chain two twins into one person."""
    report(progress, "prepare", 0.0)
    prepared = prepare(df)
    check_ids(prepared, "list")
    report(progress, "prepare", 1.0)
    ids = prepared["unique_id"]
    empty_pairs = pd.DataFrame({"left_id": pd.Series(dtype=object), "right_id": pd.Series(dtype=object),
                                "probability": pd.Series(dtype=float)})
    if len(prepared) < 2:
        for st in STAGES[1:]:
            report(progress, st, 1.0)
        return empty_pairs, pd.DataFrame({"id": ids.to_numpy(), "cluster_id": ids.to_numpy()})
    with Engine() as eng:
        sdf = eng.register(splink_frame(prepared), "records")
        linker = new_linker(sdf, settings("dedupe_only"))
        train(linker, labelled, progress=progress)
        report(progress, "predict", 0.05)
        raw = predictions(linker, min(threshold, _PREDICT_FLOOR) if labelled is not None else threshold)
    pairs = pd.DataFrame({"left_id": raw["unique_id_l"].astype(str).to_numpy(),
                          "right_id": raw["unique_id_r"].astype(str).to_numpy(),
                          "probability": raw["match_probability"].astype(float).to_numpy(),
                          "weight": raw["match_weight"].astype(float).to_numpy()})
    pairs = override(pairs, labelled, symmetric=True)
    pairs = pairs[pairs.probability >= threshold]
    pairs = pairs.sort_values(["probability", "weight", "left_id", "right_id"],
                              ascending=[False, False, True, True], ignore_index=True)
    report(progress, "predict", 1.0)
    report(progress, "cluster", 0.05)
    clusters = cluster(prepared, pairs, labelled)
    report(progress, "cluster", 1.0)
    return pairs[["left_id", "right_id", "probability"]], clusters


def link(
    left: pd.DataFrame, right: pd.DataFrame, *, threshold: float = 0.9, labelled: pd.DataFrame | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """The pairs (left_id, right_id, probability >= threshold, best first) of records in ``left`` and
    ``right`` that describe the same person. Ids may repeat between the two lists (Splink keeps a
    source_dataset column); within a list they must be unique."""
    report(progress, "prepare", 0.0)
    lp, rp = prepare(left), prepare(right)
    check_ids(lp, "left list")
    check_ids(rp, "right list")
    report(progress, "prepare", 1.0)
    out_cols = {"left_id": pd.Series(dtype=object), "right_id": pd.Series(dtype=object),
                "probability": pd.Series(dtype=float)}
    if not len(lp) or not len(rp):
        report(progress, "train", 1.0)
        report(progress, "predict", 1.0)
        return pd.DataFrame(out_cols)
    with Engine() as eng:
        ls = eng.register(splink_frame(lp), "left_list")
        rs = eng.register(splink_frame(rp), "right_list")
        linker = new_linker([ls, rs], settings("link_only"))
        train(linker, labelled, progress=progress)
        report(progress, "predict", 0.05)
        raw = predictions(linker, min(threshold, _PREDICT_FLOOR) if labelled is not None else threshold)
    flip = (raw["source_dataset_l"] != "left_list").to_numpy() if len(raw) else np.zeros(0, dtype=bool)
    l_ids = raw["unique_id_l"].astype(str).to_numpy()
    r_ids = raw["unique_id_r"].astype(str).to_numpy()
    pairs = pd.DataFrame({
        "left_id": np.where(flip, r_ids, l_ids),
        "right_id": np.where(flip, l_ids, r_ids),
        "probability": raw["match_probability"].astype(float).to_numpy(),
    })
    pairs = override(pairs, labelled, symmetric=False)
    pairs = pairs[pairs.probability >= threshold].sort_values(
        ["probability", "left_id", "right_id"], ascending=[False, True, True], ignore_index=True)
    report(progress, "predict", 1.0)
    return pairs
