"""Probabilistic matching of persons across lists: the same prisoner of war, missing or dead person written
in Ukrainian Cyrillic, in Russian Cyrillic with the Russian form of the given name, or in one of several
Latin transliterations.

The model is a Fellegi-Sunter model run by Splink 5 on DuckDB. The comparison features (canonical name keys
that agree across scripts and across the Ukrainian and Russian forms of a given name, Latin spellings for
Jaro-Winkler, a short surname key for blocking) come from :mod:`parley.people.names`; :func:`prepare` adds the
date, place and service-number features.

Public API
    ``prepare(df)``                     input columns -> feature columns (vectorised; each distinct name part,
                                        date and place is normalised once)
    ``settings(link_type)``             THE model definition (a ``splink.SettingsCreator``, engine-agnostic)
    ``train(linker, labelled=None)``    lambda, u, m by EM, and m from registrars' decisions
    ``dedupe(df)``                      -> (pairs, clusters); ``cluster`` grows clusters from the links without
                                        joining records that contradict each other (twins, brothers)
    ``link(left, right)``               -> left_id, right_id, probability
    ``candidates(row, registry)`` and ``Matcher``   an inquiry against the registry, best first
                                        (``Matcher.candidates_many`` for a batch in one pass)
    ``match_files`` / ``dedupe_file``   the batch commands ``parley match`` and ``parley dedupe``

Registrars' decisions (``labelled``: left_id, right_id, match 0/1) feed back twice: the confirmed matches
(``match == 1``) are used to estimate the m probabilities (``estimate_m_from_pairwise_labels``), and every
decision overrides the model's score for that very pair (1.0 for a confirmed match; a rejected pair is never
linked directly).

Missing values: :func:`prepare` returns ``""`` for a missing text feature (and ``<NA>`` for ``birth_year``);
the frame handed to Splink must carry SQL NULL instead, otherwise every record without a service number
would block with every other one. :func:`splink_frame` does that conversion.

Running the same model on Spark (the settings use only portable SQL and Splink's dialect-aware levels)::

    from pyspark.sql import SparkSession
    from splink import Linker, SparkAPI
    from parley.people.matching import prepare, settings, splink_frame, train

    spark = SparkSession.builder.getOrCreate()
    spark_df = spark.createDataFrame(splink_frame(prepare(pandas_df)))  # or build the features in Spark
    db_api = SparkAPI(spark_session=spark)
    linker = Linker(db_api.register(spark_df), settings("dedupe_only"), log_level=None)
    train(linker)  # or Linker(..., saved_model_dict) to reuse a model trained on DuckDB
    predictions = linker.inference.predict(threshold_match_probability=0.9)

(With Splink 5 a table is registered with its database API first; ``Linker(spark_df, settings(...),
SparkAPI(spark_session=spark))`` was the Splink 3 spelling. Jaro-Winkler on Spark needs Splink's
similarity jar, which ``SparkAPI`` registers by default.)

Isolation: every DuckDB connection made here is in memory, spills only into its own temporary directory
(removed on close), never installs or auto-loads extensions, and has external access (files, HTTP) switched
off once the input is registered.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import re
import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from copy import deepcopy
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from parley.people import names

logger = logging.getLogger(__name__)

INPUT_COLUMNS = ("id", "surname", "first_name", "patronymic", "birth_date", "birth_place", "service_number")

NAME_FEATURES = (
    "surname_clean", "first_clean", "patronymic_clean",
    "surname_key", "first_key", "patronymic_key",
    "surname_latin", "first_latin", "patronymic_latin",
    "surname_sx", "first_initial", "script", "names_swapped_key",
)
SWAP_FEATURES = ("swap_surname_key", "swap_first_key")
FEATURE_COLUMNS = (
    "unique_id", *NAME_FEATURES, *SWAP_FEATURES, "birth_year", "birth_ym", "birth_full", "birth_place_key", "service_number_norm",
)
STAGES = ("prepare", "train", "predict", "cluster")

Progress = Callable[[str, float], None]

# Pairs below this probability are not kept by ``predict`` (the public threshold is applied afterwards).
_PREDICT_FLOOR = 0.01
# u sampling: random pairs scored for u. Training need not grow with the list: 1.5 * 10^6 pairs give u within
# a few per cent for every level but the rarest (same service number), and take a few seconds.
_U_MAX_PAIRS = 1.5e6
# EM: cap the number of blocked pairs per training session (Splink 5 samples records deterministically).
_EM_MAX_PAIRS = 2e6
# Below this many records u and m are not estimated (a few dozen records give noisy estimates worse than
# the priors in ``settings``); the prior probability of a match is still estimated.
_MIN_TRAIN = 500
# DuckDB's memory limit per connection (it spills to its temporary directory above it).
_DUCKDB_MEMORY = "4GB"


class InputError(ValueError):
    """A list that cannot be matched: unreadable file, no id column, duplicate or empty ids."""


# --------------------------------------------------------------------------------------------------------
# Features
# --------------------------------------------------------------------------------------------------------

_PLACE_PREFIX = re.compile(
    r"^\s*(?:(?:м|г|с|смт|пгт|сел|пос|п|х|ст|m|g|s|c|smt|pgt|st)\.\s*|"
    r"(?:місто|город|село|селище|поселок|посёлок|смт|пгт|хутор|станица|станиця|city|town|village|of)\s+)+",
    re.IGNORECASE,
)
_HOMOGLYPHS = str.maketrans({
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
    "У": "Y", "Х": "X", "І": "I", "Ї": "I", "Ё": "E", "Є": "E",
})
_ISO_DATE = re.compile(r"^\s*(\d{4})(?:[-./](\d{1,2})(?:[-./](\d{1,2}))?)?(?:[T ].*)?\s*$")
_DMY_DATE = re.compile(r"^\s*(?:(\d{1,2})[./-])?(\d{1,2})[./-](\d{4})\s*$")


def _text(series: pd.Series | None, n: int) -> pd.Series:
    """A column as stripped text, "" for missing; integral floats (ids read as numbers) without ".0"."""
    if series is None:
        return pd.Series([""] * n, dtype=object)
    s = series
    if pd.api.types.is_float_dtype(s.dtype):
        f = s.to_numpy(dtype="float64", na_value=np.nan)
        if np.all(np.isnan(f) | (f == np.floor(f))):
            s = pd.Series(f, index=series.index).astype("Int64")
    s = s.astype(object).where(s.notna(), "")
    return s.map(str).str.strip().astype(object)


def _parse_date(text: str) -> tuple[int | None, str, str]:
    """(year, "yyyy-mm" | "", "yyyy-mm-dd" | "") of one date written as ISO, partial ISO, dd.mm.yyyy or
    mm.yyyy; impossible dates keep only the parts that are valid."""
    m = _ISO_DATE.match(text)
    if m:
        y, mo, d = m.group(1), m.group(2), m.group(3)
    else:
        m = _DMY_DATE.match(text)
        if not m:
            return None, "", ""
        d, mo, y = m.group(1), m.group(2), m.group(3)
    year = int(y)
    if not 1880 <= year <= 2100:
        return None, "", ""
    month = int(mo) if mo else 0
    if not 1 <= month <= 12:
        return year, "", ""
    ym = f"{year:04d}-{month:02d}"
    day = int(d) if d else 0
    if not 1 <= day <= 31:
        return year, ym, ""
    try:
        date(year, month, day)
    except ValueError:  # 31 April and friends: keep year and month, drop the day
        return year, ym, ""
    return year, ym, f"{ym}-{day:02d}"


def _birth_columns(raw: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(birth_year Int64, birth_ym "yyyy-mm" | "", birth_full "yyyy-mm-dd" | "") from ISO, partial ISO,
    dd.mm.yyyy or mm.yyyy text, parsed once per distinct value."""
    values = raw.astype(object).where(raw.notna(), "").map(str).to_numpy(dtype=object)
    codes, uniques = pd.factorize(values)
    parsed = [_parse_date(u) for u in uniques]
    years = np.array([np.nan if p[0] is None else float(p[0]) for p in parsed] + [np.nan], dtype="float64")
    yms = np.array([p[1] for p in parsed] + [""], dtype=object)
    fulls = np.array([p[2] for p in parsed] + [""], dtype=object)
    return (
        pd.Series(pd.array(years[codes], dtype="Int64"), index=raw.index),
        pd.Series(yms[codes], index=raw.index, dtype=object),
        pd.Series(fulls[codes], index=raw.index, dtype=object),
    )


def _place_key(place: str) -> str:
    rest = _PLACE_PREFIX.sub("", place)
    m = re.search(r"[^\W\d_][\w'’ʼ-]*", rest)
    if not m:
        return ""
    return names.phonetic(m.group(0)).lower()


def _name_features(surname: pd.Series, first: pd.Series, patronymic: pd.Series) -> pd.DataFrame:
    """names.features for every row, vectorised: each name part is normalised once per distinct text, the
    parts are combined with array operations."""
    norm = names.default()
    cols: dict[str, np.ndarray] = {}
    scripts = []
    for series, kind, prefix in ((surname, "surname", "surname"), (first, "given", "first"),
                                 (patronymic, "patronymic", "patronymic")):
        codes, uniques = pd.factorize(series.to_numpy(dtype=object))
        norm.prefetch(kind, len(uniques))
        parts = [norm.part(u, kind) for u in uniques]
        for i, name in enumerate(("clean", "key", "latin", "script")):
            arr = np.array([p[i] for p in parts] + [""], dtype=object)[codes]
            if name == "script":
                scripts.append(arr)
            else:
                cols[f"{prefix}_{name}"] = arr
        if kind == "given":
            initials = np.array([(p[1] or names.phonetic(p[0]))[:1] for p in parts] + [""], dtype=object)
            cols["first_initial"] = initials[codes]
    sk, fk = cols["surname_key"], cols["first_key"]
    cols["surname_sx"] = pd.Series(sk).str.replace(" ", "", regex=False).str[:3].to_numpy(dtype=object)
    ss, fs, ps = scripts
    combos = pd.factorize(pd.Series(ss).str.cat([pd.Series(fs), pd.Series(ps)], sep="|").to_numpy(dtype=object))
    combo_script = np.array([names.Normaliser.combine_scripts(*c.split("|")) for c in combos[1]] + [""],
                            dtype=object)
    cols["script"] = combo_script[combos[0]]
    both = (sk != "") & (fk != "")
    lo = np.where(sk <= fk, sk, fk)
    hi = np.where(sk <= fk, fk, sk)
    swapped = np.full(len(sk), "", dtype=object)
    if both.any():
        swapped[both] = (pd.Series(lo[both]) + "|" + pd.Series(hi[both])).to_numpy(dtype=object)
    cols["names_swapped_key"] = swapped
    # the keys the two names would have if the surname and first name were written the other way round
    for series, kind, col in ((first, "surname", "swap_surname_key"), (surname, "given", "swap_first_key")):
        codes, uniques = pd.factorize(series.to_numpy(dtype=object))
        norm.prefetch(kind, len(uniques))
        cols[col] = np.array([norm.key(u, kind) for u in uniques] + [""], dtype=object)[codes]
    out = pd.DataFrame({k: cols[k] for k in (*NAME_FEATURES, *SWAP_FEATURES)}, index=surname.index)
    return out


def prepare(df: pd.DataFrame) -> pd.DataFrame:
    """The feature columns of a list of persons.

    Reads INPUT_COLUMNS (any may be missing or empty; ``birth_date`` as yyyy-mm-dd, yyyy-mm, yyyy,
    dd.mm.yyyy or mm.yyyy) and returns ``id``, ``unique_id`` (the id as text), the ``names.features``
    columns, ``birth_year`` (Int64), ``birth_ym``, ``birth_full`` (ISO or ""), ``birth_place_key`` (the first
    word of the place without "м."/"г."/"с." and the like, as its ``names.phonetic`` key, so that Харків,
    Харьков, Kharkiv and Kharkov agree) and ``service_number_norm`` (upper-case
    letters and digits only, Cyrillic look-alike letters as Latin)."""
    n = len(df)
    cols = {c: _text(df[c] if c in df.columns else None, n) for c in INPUT_COLUMNS}
    if "id" not in df.columns:
        cols["id"] = pd.Series([str(i) for i in range(n)], dtype=object)
    for c in INPUT_COLUMNS:
        cols[c].index = range(n)
    out = pd.DataFrame({"id": cols["id"], "unique_id": cols["id"]})
    feats = _name_features(cols["surname"], cols["first_name"], cols["patronymic"])
    for k in (*NAME_FEATURES, *SWAP_FEATURES):
        out[k] = feats[k].to_numpy(dtype=object)
    out["birth_year"], out["birth_ym"], out["birth_full"] = _birth_columns(cols["birth_date"])
    places = cols["birth_place"]
    uniq = pd.unique(places)
    place_map = {p: (_place_key(p) if p else "") for p in uniq}
    out["birth_place_key"] = places.map(place_map).to_numpy(dtype=object)
    out["service_number_norm"] = (
        cols["service_number"].str.upper().str.translate(_HOMOGLYPHS).str.replace(r"[^0-9A-Z]", "", regex=True)
    ).to_numpy(dtype=object)
    return out


def splink_frame(prepared: pd.DataFrame) -> pd.DataFrame:
    """The prepared features as Splink wants them: SQL NULL (None) for a missing value instead of ""."""
    out = pd.DataFrame({"unique_id": prepared["unique_id"].astype(object)})
    for c in FEATURE_COLUMNS[1:]:
        col = prepared[c]
        if c == "birth_year":
            out[c] = col.astype("Int64")
        else:
            v = col.astype(object)
            out[c] = v.where(v.notna() & (v != ""), None)
    return out


# --------------------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------------------


def settings(link_type: str = "dedupe_only") -> Any:
    """THE model definition, engine-agnostic (portable SQL and Splink's dialect-aware levels only).

    link_type: "dedupe_only" (one list, or the registry), "link_only" (two lists) or "link_and_dedupe".
    The m and u values given here are priors: training refines them, and a list too small to train on is
    scored with them."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator

    def lvl(level: Any, m: float, u: float, **kw: Any) -> Any:
        return level.configure(m_probability=m, u_probability=u, **kw)

    swapped = ("(surname_key_l = swap_surname_key_r AND first_key_l = swap_first_key_r) OR "
               "(swap_surname_key_l = surname_key_r AND swap_first_key_l = first_key_r)")
    surname = cl.CustomComparison(
        output_column_name="surname",
        comparison_description="surname: canonical key, names swapped, Jaro-Winkler of the Latin spelling",
        comparison_levels=[
            cll.NullLevel("surname_key"),
            lvl(cll.ExactMatchLevel("surname_key", term_frequency_adjustments=True), 0.86, 0.002),
            lvl(cll.CustomLevel(swapped, "surname and first name swapped"), 0.02, 0.00001),
            lvl(cll.JaroWinklerLevel("surname_latin", 0.92), 0.07, 0.003),
            lvl(cll.JaroWinklerLevel("surname_latin", 0.85), 0.03, 0.02),
            lvl(cll.ElseLevel(), 0.02, 0.975),
        ],
    )
    first = cl.CustomComparison(
        output_column_name="first_name",
        comparison_description="first name: canonical key (Олександр = Александр = Oleksandr), swapped, "
                               "Jaro-Winkler, an initial against a full name",
        comparison_levels=[
            cll.NullLevel("first_initial"),
            lvl(cll.ExactMatchLevel("first_key", term_frequency_adjustments=True), 0.9, 0.02),
            lvl(cll.CustomLevel(swapped, "surname and first name swapped"), 0.02, 0.00001),
            lvl(cll.JaroWinklerLevel("first_latin", 0.92), 0.04, 0.005),
            # one slip of the keyboard in a short name (Foka/Foa, Ivan/Ivxn) is still the same name
            lvl(cll.DamerauLevenshteinLevel("first_latin", 1), 0.02, 0.002),
            # a slip on top of a transliteration (Леогтій / Leontiy)
            lvl(cll.JaroWinklerLevel("first_latin", 0.85), 0.01, 0.01),
            lvl(cll.CustomLevel(
                "first_initial_l = first_initial_r AND "
                "(length(first_clean_l) <= 1 OR length(first_clean_r) <= 1)",
                "initial only, agrees"), 0.03, 0.002),
            # A different given name: twins and brothers share everything else, which Fellegi-Sunter's
            # independence assumption cannot see; so this level is fixed, not learnt.
            # (1e-9: twins agree on everything else, worth some +40 bits on a large list.)
            lvl(cll.ElseLevel(), 1e-9, 0.97, fix_m_probability=True),
        ],
    )
    patronymic = cl.CustomComparison(
        output_column_name="patronymic",
        comparison_levels=[
            cll.NullLevel("patronymic_key"),
            lvl(cll.ExactMatchLevel("patronymic_key"), 0.9, 0.03),
            lvl(cll.JaroWinklerLevel("patronymic_latin", 0.92), 0.06, 0.01),
            lvl(cll.ElseLevel(), 0.04, 0.96),
        ],
    )
    birth = cl.CustomComparison(
        output_column_name="birth_date",
        comparison_description="birth date at the precision both sides have",
        comparison_levels=[
            cll.NullLevel("birth_year"),
            lvl(cll.ExactMatchLevel("birth_full"), 0.75, 0.0001),
            lvl(cll.ExactMatchLevel("birth_ym"), 0.04, 0.002),
            lvl(cll.CustomLevel(
                "birth_year_l = birth_year_r AND (birth_full_l IS NULL OR birth_full_r IS NULL)",
                "same year, one side year (or month) only"), 0.15, 0.005),
            lvl(cll.CustomLevel("birth_year_l = birth_year_r", "same year, other day"), 0.03, 0.02),
            lvl(cll.CustomLevel("abs(birth_year_l - birth_year_r) <= 1", "year +/- 1"), 0.02, 0.05),
            lvl(cll.ElseLevel(), 0.01, 0.92),
        ],
    )
    service = cl.CustomComparison(
        output_column_name="service_number",
        comparison_levels=[
            cll.NullLevel("service_number_norm"),
            lvl(cll.ExactMatchLevel("service_number_norm"), 0.95, 0.00001),
            lvl(cll.ElseLevel(), 0.05, 0.99999),
        ],
    )
    place = cl.CustomComparison(
        output_column_name="birth_place",
        comparison_levels=[
            cll.NullLevel("birth_place_key"),
            lvl(cll.ExactMatchLevel("birth_place_key"), 0.85, 0.02),
            lvl(cll.ElseLevel(), 0.15, 0.98),
        ],
    )
    return SettingsCreator(
        link_type=link_type,
        comparisons=[surname, first, patronymic, birth, service, place],
        blocking_rules_to_generate_predictions=blocking_rules(),
        probability_two_random_records_match=1e-4,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        unique_id_column_name="unique_id",
        em_convergence=0.001,
        max_iterations=20,
    )


# Birth years the model could still link: equal, a year apart, or unknown on one side. Pairs further apart
# are never linked by the clustering (a contradiction) and score far below any threshold, so the rules that
# do not block on the year itself leave them out: on a list of 10^6 the rules on a common surname or first
# name would otherwise generate tens of millions of pairs, almost all of them hopeless.
_NEAR_YEAR = "(l.birth_year IS NULL OR r.birth_year IS NULL OR abs(l.birth_year - r.birth_year) <= 1)"


def _rule(*conditions: str, near_year: bool = False) -> str:
    """One blocking rule as portable SQL: ``col`` means l.col = r.col, anything with "l." is used as written."""
    parts = [c if "l." in c else f"l.{c} = r.{c}" for c in conditions]
    if near_year:
        parts.append(_NEAR_YEAR)
    return " AND ".join(parts)


def blocking_rules() -> list[Any]:
    """Blocking rules for prediction: a pair is scored if it agrees on any of these.

    Every rule pairs two agreeing name features with a third piece of evidence (the birth year, a year that
    is compatible, an initial, a full date), so that no rule grows with the square of a common name's
    frequency alone: on 10^6 records they generate about 4 * 10^7 pairs (Splink's
    ``count_comparisons_from_blocking_rules``, or :func:`comparison_counts`)."""
    return [
        # a slip after the surname's first three sounds
        _rule("surname_sx", "birth_year"),
        # a slip in the surname's first sounds (rarely in its first letter)
        _rule("first_key", "birth_year", "substr(l.surname_key, 1, 1) = substr(r.surname_key, 1, 1)"),
        # no birth year on one side, an initial or a slip in the first name
        _rule("surname_key", "first_initial", near_year=True),
        _rule("service_number_norm"),
        _rule("names_swapped_key", near_year=True),
        # surname and first name written the other way round (keys of each name read as the other kind)
        _rule("l.surname_key = r.swap_surname_key", "l.first_initial = substr(r.swap_first_key, 1, 1)",
              near_year=True),
        _rule("l.swap_surname_key = r.surname_key", "substr(l.swap_first_key, 1, 1) = r.first_initial",
              near_year=True),
        # a slip in the surname: the full birth date, or first name, patronymic and the surname's first sound
        _rule("birth_full", "first_initial"),
        _rule("substr(l.surname_key, 1, 1) = substr(r.surname_key, 1, 1)", "first_key", "patronymic_key",
              near_year=True),
    ]


def candidate_blocking_rules() -> list[Any]:
    """Blocking for one inquiry against the registry: looser, since a family may know little."""
    from splink import block_on

    return [*blocking_rules(), block_on("surname_key"), block_on("surname_sx", "first_initial"),
            block_on("first_key", "patronymic_key")]


def _call(progress: Progress | None, stage: str, fraction: float) -> None:
    if progress is not None:
        progress(stage, max(0.0, min(1.0, fraction)))


def train(linker: Any, labelled: pd.DataFrame | None = None, *, progress: Progress | None = None) -> None:
    """Estimate the model's parameters on the linker's data.

    1. probability_two_random_records_match from deterministic rules (same service number; same surname,
       first name and full birth date) with a recall guess of 0.6;
    2. u by random sampling (at most _U_MAX_PAIRS pairs, fixed seed);
    3. m by EM, blocked on the full birth date and then on surname and first name (each session at most
       _EM_MAX_PAIRS pairs);
    4. if ``labelled`` (left_id, right_id, match 0/1) is given, m from the confirmed matches as well
       (``estimate_m_from_pairwise_labels``; Splink averages it with the EM estimates)."""
    from splink import block_on
    from splink.internals.exceptions import SplinkException

    sett = linker._settings_obj
    n_records = _linker_record_count(linker)
    _call(progress, "train", 0.02)
    try:
        linker.training.estimate_probability_two_random_records_match(
            [block_on("service_number_norm"), block_on("surname_key", "first_key", "birth_full")], recall=0.6)
    except (ValueError, SplinkException) as exc:
        logger.info("prior from deterministic rules failed: %s", exc)
    lam = sett._probability_two_random_records_match
    if not lam or lam <= 0 or lam >= 0.5:
        # no deterministic match at all, or a tiny list: about one duplicate per ten records
        sett._probability_two_random_records_match = min(0.1, 0.1 / max(1, n_records - 1))
    _call(progress, "train", 0.15)
    if n_records >= _MIN_TRAIN:
        linker.training.estimate_u_using_random_sampling(max_pairs=_U_MAX_PAIRS, seed=42)
    _call(progress, "train", 0.45)
    for i, rule in enumerate((block_on("birth_full"), block_on("surname_key", "first_key"))):
        try:
            if n_records >= _MIN_TRAIN:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    rule, max_pairs=_EM_MAX_PAIRS if n_records > 50_000 else None,
                    record_sample_proportion=0.05)
        except (ValueError, SplinkException, ZeroDivisionError) as exc:
            logger.info("EM on %s skipped: %s", rule, exc)
        _call(progress, "train", 0.45 + 0.25 * (i + 1))
    if labelled is not None and len(labelled):
        _train_from_labels(linker, labelled)
    _call(progress, "train", 1.0)


def _linker_record_count(linker: Any) -> int:
    total = 0
    for sdf in linker._input_tables_dict.values():
        total += int(linker._db_api._execute_sql_against_backend(
            f'select count(*) from "{sdf.physical_name}"').fetchall()[0][0])
    return total


def _labels(labelled: pd.DataFrame) -> pd.DataFrame:
    missing = {"left_id", "right_id", "match"} - set(labelled.columns)
    if missing:
        raise InputError(f"labelled decisions need the columns left_id, right_id, match (missing {sorted(missing)})")
    lab = pd.DataFrame({
        "left_id": _text(labelled["left_id"], len(labelled)).to_numpy(),
        "right_id": _text(labelled["right_id"], len(labelled)).to_numpy(),
        "match": pd.to_numeric(labelled["match"], errors="coerce").fillna(0).astype(int).clip(0, 1).to_numpy(),
    })
    return lab[(lab.left_id != "") & (lab.right_id != "") & (lab.left_id != lab.right_id)]


def _train_from_labels(linker: Any, labelled: pd.DataFrame) -> None:
    lab = _labels(labelled)
    pos = lab[lab.match == 1]
    if pos.empty:
        return
    sds = list(linker._input_tables_dict.values())
    table = pd.DataFrame({"unique_id_l": pos.left_id.to_numpy(), "unique_id_r": pos.right_id.to_numpy()})
    if linker._settings_obj._link_type != "dedupe_only":
        names_ = [s.dataset_display_name for s in sds]
        table.insert(0, "source_dataset_l", names_[0])
        table.insert(2, "source_dataset_r", names_[-1])
    name = f"__parley_labels_{hashlib.sha1(pd.util.hash_pandas_object(table).values.tobytes()).hexdigest()[:10]}"
    labels = linker.table_management.register_table(table, name, overwrite=True)
    linker.training.estimate_m_from_pairwise_labels(labels)


# --------------------------------------------------------------------------------------------------------
# DuckDB: an isolated, offline connection
# --------------------------------------------------------------------------------------------------------


class _Engine:
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

    def __enter__(self) -> _Engine:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _check_ids(prepared: pd.DataFrame, what: str) -> None:
    ids = prepared["unique_id"]
    if (ids == "").any():
        raise InputError(f"{what}: {int((ids == '').sum())} row(s) without an id")
    dup = ids[ids.duplicated()]
    if len(dup):
        raise InputError(f"{what}: duplicate id(s) {', '.join(map(str, dup.unique()[:5]))}")


def _linker(sdfs: Any, model: Any) -> Any:
    from splink import Linker

    return Linker(sdfs, model, log_level=None)


def _override(pairs: pd.DataFrame, labelled: pd.DataFrame | None, *, symmetric: bool) -> pd.DataFrame:
    """Registrars' decisions win over the model for the pairs they decided."""
    if labelled is None or not len(labelled):
        return pairs
    lab = _labels(labelled)
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


def _predictions(linker: Any, floor: float) -> pd.DataFrame:
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
    _call(progress, "prepare", 0.0)
    prepared = prepare(df)
    _check_ids(prepared, "list")
    _call(progress, "prepare", 1.0)
    ids = prepared["unique_id"]
    empty_pairs = pd.DataFrame({"left_id": pd.Series(dtype=object), "right_id": pd.Series(dtype=object),
                                "probability": pd.Series(dtype=float)})
    if len(prepared) < 2:
        for st in STAGES[1:]:
            _call(progress, st, 1.0)
        return empty_pairs, pd.DataFrame({"id": ids.to_numpy(), "cluster_id": ids.to_numpy()})
    with _Engine() as eng:
        sdf = eng.register(splink_frame(prepared), "records")
        linker = _linker(sdf, settings("dedupe_only"))
        train(linker, labelled, progress=progress)
        _call(progress, "predict", 0.05)
        raw = _predictions(linker, min(threshold, _PREDICT_FLOOR) if labelled is not None else threshold)
    pairs = pd.DataFrame({"left_id": raw["unique_id_l"].astype(str).to_numpy(),
                          "right_id": raw["unique_id_r"].astype(str).to_numpy(),
                          "probability": raw["match_probability"].astype(float).to_numpy(),
                          "weight": raw["match_weight"].astype(float).to_numpy()})
    pairs = _override(pairs, labelled, symmetric=True)
    pairs = pairs[pairs.probability >= threshold]
    pairs = pairs.sort_values(["probability", "weight", "left_id", "right_id"],
                              ascending=[False, False, True, True], ignore_index=True)
    _call(progress, "predict", 1.0)
    _call(progress, "cluster", 0.05)
    clusters = cluster(prepared, pairs, labelled)
    _call(progress, "cluster", 1.0)
    return pairs[["left_id", "right_id", "probability"]], clusters


def _jw(a: str, b: str) -> float:
    from rapidfuzz.distance import JaroWinkler

    return float(JaroWinkler.similarity(a, b))


def _dl(a: str, b: str) -> int:
    from rapidfuzz.distance import DamerauLevenshtein

    return int(DamerauLevenshtein.distance(a, b))


class _Contradiction:
    """Whether two records clearly describe different persons, by the model's own strongest negative
    evidence: first names that the model puts in its "different given name" level (neither the same
    canonical key, nor swapped with the surname, nor Jaro-Winkler >= 0.85, nor one edit apart, nor an
    agreeing initial), full
    patronymics that differ the same way, or birth years more than a year apart."""

    def __init__(self, prepared: pd.DataFrame) -> None:
        self.first_key = prepared["first_key"].to_numpy(dtype=object)
        self.first_latin = prepared["first_latin"].to_numpy(dtype=object)
        self.first_clean = prepared["first_clean"].to_numpy(dtype=object)
        self.first_initial = prepared["first_initial"].to_numpy(dtype=object)
        self.surname_key = prepared["surname_key"].to_numpy(dtype=object)
        self.pat_key = prepared["patronymic_key"].to_numpy(dtype=object)
        self.pat_latin = prepared["patronymic_latin"].to_numpy(dtype=object)
        self.pat_clean = prepared["patronymic_clean"].to_numpy(dtype=object)
        years = prepared["birth_year"]
        self.year = years.fillna(-10_000).astype("int64").to_numpy()

    def __call__(self, a: int, b: int) -> bool:
        ia, ib = self.first_initial[a], self.first_initial[b]
        if ia and ib:
            fa, fb = self.first_key[a], self.first_key[b]
            swapped = fa == self.surname_key[b] and fb == self.surname_key[a]
            if fa != fb and not swapped:
                short = len(self.first_clean[a]) <= 1 or len(self.first_clean[b]) <= 1
                if short:
                    if ia != ib:
                        return True
                elif (_jw(self.first_latin[a], self.first_latin[b]) < 0.85
                      and _dl(self.first_latin[a], self.first_latin[b]) > 1):
                    return True
        pa, pb = self.pat_key[a], self.pat_key[b]
        if (pa and pb and pa != pb and len(self.pat_clean[a]) > 2 and len(self.pat_clean[b]) > 2
                and _jw(self.pat_latin[a], self.pat_latin[b]) < 0.85):
            return True
        ya, yb = self.year[a], self.year[b]
        return ya > 0 and yb > 0 and abs(int(ya) - int(yb)) > 1


def cluster(prepared: pd.DataFrame, pairs: pd.DataFrame, labelled: pd.DataFrame | None = None) -> pd.DataFrame:
    """Clusters (id, cluster_id) from links (left_id, right_id, probability; taken in the order given, best
    first): each link joins the two records' groups unless a record of one group contradicts a record of
    the other (:class:`_Contradiction`) or a registrar rejected a pair between them. Links a registrar
    confirmed are joined first, unconditionally. cluster_id is the smallest id of the group."""
    ids = prepared["unique_id"].to_numpy(dtype=object)
    pos = {i: k for k, i in enumerate(ids)}
    n = len(ids)
    parent = list(range(n))
    members: list[list[int]] = [[k] for k in range(n)]
    rejected: set[tuple[int, int]] = set()
    forced: list[tuple[int, int]] = []
    if labelled is not None and len(labelled):
        lab = _labels(labelled)
        for a, b, m in lab[["left_id", "right_id", "match"]].itertuples(index=False):
            if a in pos and b in pos:
                ka, kb = pos[a], pos[b]
                if m:
                    forced.append((ka, kb))
                else:
                    rejected.add((min(ka, kb), max(ka, kb)))
    contradicts = _Contradiction(prepared)
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
        ka, kb = pos.get(a), pos.get(b)
        if ka is None or kb is None:
            continue
        ra, rb = find(ka), find(kb)
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


def link(
    left: pd.DataFrame, right: pd.DataFrame, *, threshold: float = 0.9, labelled: pd.DataFrame | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """The pairs (left_id, right_id, probability >= threshold, best first) of records in ``left`` and
    ``right`` that describe the same person. Ids may repeat between the two lists (Splink keeps a
    source_dataset column); within a list they must be unique."""
    _call(progress, "prepare", 0.0)
    lp, rp = prepare(left), prepare(right)
    _check_ids(lp, "left list")
    _check_ids(rp, "right list")
    _call(progress, "prepare", 1.0)
    out_cols = {"left_id": pd.Series(dtype=object), "right_id": pd.Series(dtype=object),
                "probability": pd.Series(dtype=float)}
    if not len(lp) or not len(rp):
        _call(progress, "train", 1.0)
        _call(progress, "predict", 1.0)
        return pd.DataFrame(out_cols)
    with _Engine() as eng:
        ls = eng.register(splink_frame(lp), "left_list")
        rs = eng.register(splink_frame(rp), "right_list")
        linker = _linker([ls, rs], settings("link_only"))
        train(linker, labelled, progress=progress)
        _call(progress, "predict", 0.05)
        raw = _predictions(linker, min(threshold, _PREDICT_FLOOR) if labelled is not None else threshold)
    flip = (raw["source_dataset_l"] != "left_list").to_numpy() if len(raw) else np.zeros(0, dtype=bool)
    l_ids = raw["unique_id_l"].astype(str).to_numpy()
    r_ids = raw["unique_id_r"].astype(str).to_numpy()
    pairs = pd.DataFrame({
        "left_id": np.where(flip, r_ids, l_ids),
        "right_id": np.where(flip, l_ids, r_ids),
        "probability": raw["match_probability"].astype(float).to_numpy(),
    })
    pairs = _override(pairs, labelled, symmetric=False)
    pairs = pairs[pairs.probability >= threshold].sort_values(
        ["probability", "left_id", "right_id"], ascending=[False, True, True], ignore_index=True)
    _call(progress, "predict", 1.0)
    return pairs


# --------------------------------------------------------------------------------------------------------
# Inquiries against the registry
# --------------------------------------------------------------------------------------------------------

_QUERY_ID = "__inquiry__"


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
        self._engine: _Engine | None = None
        self._linker: Any = None
        self._registry: Any = None
        self._ids: set[str] = set()
        self._model: dict[str, Any] | None = None
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
        _check_ids(prepared, "registry")
        with self._lock:
            if self._engine is not None:
                self._engine.close()
            self._engine = _Engine()
            self._registry = self._engine.register(splink_frame(prepared), "registry")
            self._ids = set(prepared["unique_id"])
            if self._model is None or retrain or labelled is not None:
                linker = _linker(self._registry, settings("dedupe_only"))
                if len(prepared) >= 2:
                    train(linker, labelled)
                self._model = linker.misc.save_model_to_json()
                self._model.pop("linker_uid", None)
            self._linker = _linker(self._registry, self._model)
            for col in ("surname_key", "first_key"):
                self._linker.table_management.compute_tf_table(col)

    def candidates(self, row: dict[str, Any], top: int = 10) -> list[tuple[str, float]]:
        """The registry ids most probably describing the person of ``row`` (any of INPUT_COLUMNS), with
        that probability, best first."""
        return self.candidates_many([row], top=top)[0]

    def candidates_many(self, rows: list[dict[str, Any]], top: int = 10) -> list[list[tuple[str, float]]]:
        """:meth:`candidates` for several inquiries at once (one scoring pass), in the order given."""
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
        for a, b, p in res:
            a, b = str(a), str(b)
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
        except Exception:
            pass


_MATCHERS: OrderedDict[str, Matcher] = OrderedDict()
_MATCHERS_LOCK = threading.Lock()


def _fingerprint(df: pd.DataFrame) -> str:
    cols = [c for c in INPUT_COLUMNS if c in df.columns]
    h = hashlib.sha1(",".join(cols).encode())
    if len(df):
        h.update(pd.util.hash_pandas_object(df[cols].astype(str), index=False).values.tobytes())
    return h.hexdigest()


def candidates(query_row: dict[str, Any], registry_df: pd.DataFrame, *, top: int = 10) -> list[tuple[str, float]]:
    """The registry ids with the probability that they describe the person of ``query_row``, best first.
    The trained Matcher is cached per registry content (the last two registries)."""
    key = _fingerprint(registry_df)
    with _MATCHERS_LOCK:
        matcher = _MATCHERS.get(key)
        if matcher is not None:
            _MATCHERS.move_to_end(key)
    if matcher is None:
        matcher = Matcher(registry_df)
        with _MATCHERS_LOCK:
            _MATCHERS[key] = matcher
            while len(_MATCHERS) > 2:
                _MATCHERS.popitem(last=False)[1].close()
    return matcher.candidates(query_row, top=top)


# --------------------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------------------


def read_list(path: str | Path) -> pd.DataFrame:
    """A CSV list (UTF-8 with or without BOM; comma, semicolon or tab) as text columns; INPUT_COLUMNS are
    looked up case-insensitively, missing ones are empty, other columns are dropped."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    if not p.is_file():
        raise InputError(f"{p}: not a file")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(f"{p}: cannot read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{p}: not UTF-8 text (byte {exc.start})") from None
    first = text.split("\n", 1)[0]
    sep = max((",", ";", "\t"), key=first.count)
    try:
        df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, quoting=csv.QUOTE_MINIMAL,
                         skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"{p}: not a readable CSV list ({str(exc).strip()})") from None
    rename = {c: str(c).strip().lower() for c in df.columns}
    df = df.rename(columns=rename)
    if "id" not in df.columns:
        raise InputError(f"{p}: no 'id' column (found: {', '.join(map(str, df.columns)) or 'none'})")
    keep = [c for c in INPUT_COLUMNS if c in df.columns]
    return df.loc[:, ~df.columns.duplicated()][keep]


def match_files(left_csv: Path, right_csv: Path, out_csv: Path, *, threshold: float = 0.9,
                progress: Progress | None = None) -> int:
    """Link two CSV lists; writes left_id,right_id,probability to ``out_csv``; returns the number of links."""
    left, right = read_list(left_csv), read_list(right_csv)
    pairs = link(left, right, threshold=threshold, progress=progress)
    pairs.to_csv(out_csv, index=False, columns=["left_id", "right_id", "probability"], float_format="%.6f")
    return len(pairs)


def dedupe_file(in_csv: Path, out_csv: Path, *, threshold: float = 0.9, progress: Progress | None = None) -> int:
    """Deduplicate one CSV list; writes id,cluster_id to ``out_csv``; returns the number of clusters."""
    df = read_list(in_csv)
    _, clusters = dedupe(df, threshold=threshold, progress=progress)
    clusters.to_csv(out_csv, index=False, columns=["id", "cluster_id"])
    return int(clusters["cluster_id"].nunique())


def comparison_counts(df: pd.DataFrame, *, rules: Iterable[Any] | None = None,
                      record_sample_proportion: float = 1.0) -> pd.DataFrame:
    """Splink's count of the comparisons the blocking rules generate on one list (marginal and cumulative
    per rule; ``record_sample_proportion`` < 1 estimates from a sample, for lists of 10^6)."""
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    prepared = prepare(df)
    with _Engine() as eng:
        sdf = eng.register(splink_frame(prepared), "records")
        recs = count_comparisons_from_blocking_rules(
            sdf, blocking_rules=list(rules) if rules is not None else blocking_rules(), link_type="dedupe_only",
            record_sample_proportion=record_sample_proportion)
    return pd.DataFrame(recs)[["blocking_rule", "marginal_comparison_count", "cumulative_comparison_count",
                               "total_possible_comparison_count"]]


__all__ = [
    "INPUT_COLUMNS", "FEATURE_COLUMNS", "STAGES", "InputError", "Matcher", "blocking_rules", "candidates",
    "cluster", "comparison_counts", "dedupe", "dedupe_file", "link", "match_files", "prepare", "read_list", "settings", "splink_frame", "train",
]
