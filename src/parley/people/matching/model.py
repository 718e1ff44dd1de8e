"""THE model definition (Splink settings, engine-agnostic), its blocking rules and its training.

``settings(link_type)`` is a ``splink.SettingsCreator`` using only portable SQL and Splink's dialect-aware
levels, so the same model runs on DuckDB here and on Spark (``docs/people.md``); ``blocking_rules`` decide
which pairs are scored; ``train`` estimates lambda, u and m, and m again from registrars' decisions. Splink is
imported inside the functions that need it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any, Literal

import pandas as pd

from parley.people.matching.features import labels

logger = logging.getLogger(__name__)

STAGES = ("prepare", "train", "predict", "cluster")

Progress = Callable[[str, float], None]

# u sampling: random pairs scored for u. Training need not grow with the list: 1.5 * 10^6 pairs give u within
# a few per cent for every level but the rarest (same service number), and take a few seconds.
_U_MAX_PAIRS = 1.5e6
# EM: cap the number of blocked pairs per training session (Splink 5 samples records deterministically).
_EM_MAX_PAIRS = 2e6
# Below this many records u and m are not estimated (a few dozen records give noisy estimates worse than
# the priors in ``settings``); the prior probability of a match is still estimated.
_MIN_TRAIN = 500


# The two records' given names can start with the same letter: the initial of the canonical key
# (first_initial) or of another equivalent form (first_initial_alt, NULL for most names and every initial).
_INITIALS_AGREE = ("first_initial_l = first_initial_r OR first_initial_l = first_initial_alt_r OR "
                   "first_initial_alt_l = first_initial_r OR first_initial_alt_l = first_initial_alt_r")


def settings(link_type: Literal["link_only", "link_and_dedupe", "dedupe_only"] = "dedupe_only") -> Any:
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
            # an initial agrees with a name that it, or an equivalent form, starts with: «М.» on a
            # Ukrainian list with Николай (first_initial N, first_initial_alt M)
            lvl(cll.CustomLevel(
                f"({_INITIALS_AGREE}) AND (length(first_clean_l) <= 1 OR length(first_clean_r) <= 1)",
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
        # no birth year on one side, an initial or a slip in the first name (an initial may be that of
        # another form of the name: «М.» and Николай, first_initial N and first_initial_alt M)
        _rule("surname_key", "first_initial", near_year=True),
        _rule("surname_key", "l.first_initial = r.first_initial_alt", near_year=True),
        _rule("surname_key", "l.first_initial_alt = r.first_initial", near_year=True),
        _rule("service_number_norm"),
        _rule("names_swapped_key", near_year=True),
        # surname and first name written the other way round (keys of each name read as the other kind)
        _rule("l.surname_key = r.swap_surname_key", "l.first_initial = substr(r.swap_first_key, 1, 1)",
              near_year=True),
        _rule("l.swap_surname_key = r.surname_key", "substr(l.swap_first_key, 1, 1) = r.first_initial",
              near_year=True),
        # a slip in the surname: the full birth date, or first name, patronymic and the surname's first sound
        _rule("birth_full", "first_initial"),
        _rule("birth_full", "l.first_initial = r.first_initial_alt"),
        _rule("birth_full", "l.first_initial_alt = r.first_initial"),
        _rule("substr(l.surname_key, 1, 1) = substr(r.surname_key, 1, 1)", "first_key", "patronymic_key",
              near_year=True),
    ]


def candidate_blocking_rules() -> list[Any]:
    """Blocking for one inquiry against the registry: looser, since a family may know little."""
    from splink import block_on

    return [*blocking_rules(), block_on("surname_key"), block_on("surname_sx", "first_initial"),
            _rule("surname_sx", "l.first_initial = r.first_initial_alt"),
            _rule("surname_sx", "l.first_initial_alt = r.first_initial"),
            block_on("first_key", "patronymic_key")]


def report(progress: Progress | None, stage: str, fraction: float) -> None:
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
    report(progress, "train", 0.02)
    try:
        linker.training.estimate_probability_two_random_records_match(
            [block_on("service_number_norm"), block_on("surname_key", "first_key", "birth_full")], recall=0.6)
    except (ValueError, SplinkException) as exc:
        logger.info("prior from deterministic rules failed: %s", exc)
    lam = sett._probability_two_random_records_match
    if not lam or lam <= 0 or lam >= 0.5:
        # no deterministic match at all, or a tiny list: about one duplicate per ten records
        sett._probability_two_random_records_match = min(0.1, 0.1 / max(1, n_records - 1))
    report(progress, "train", 0.15)
    if n_records >= _MIN_TRAIN:
        linker.training.estimate_u_using_random_sampling(max_pairs=_U_MAX_PAIRS, seed=42)
    report(progress, "train", 0.45)
    for i, rule in enumerate((block_on("birth_full"), block_on("surname_key", "first_key"))):
        try:
            if n_records >= _MIN_TRAIN:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    rule, max_pairs=_EM_MAX_PAIRS if n_records > 50_000 else None,
                    record_sample_proportion=0.05)
        except (ValueError, SplinkException, ZeroDivisionError) as exc:
            logger.info("EM on %s skipped: %s", rule, exc)
        report(progress, "train", 0.45 + 0.25 * (i + 1))
    if labelled is not None and len(labelled):
        _train_from_labels(linker, labelled)
    report(progress, "train", 1.0)


def _linker_record_count(linker: Any) -> int:
    total = 0
    for sdf in linker._input_tables_dict.values():
        total += int(linker._db_api._execute_sql_against_backend(
            f'select count(*) from "{sdf.physical_name}"').fetchall()[0][0])  # noqa: S608 - Splink's own table name
    return total


def _train_from_labels(linker: Any, labelled: pd.DataFrame) -> None:
    lab = labels(labelled)
    pos = lab[lab.match == 1]
    if pos.empty:
        return
    sds = list(linker._input_tables_dict.values())
    table = pd.DataFrame({"unique_id_l": pos.left_id.to_numpy(), "unique_id_r": pos.right_id.to_numpy()})
    if linker._settings_obj._link_type != "dedupe_only":
        names_ = [s.dataset_display_name for s in sds]
        table.insert(0, "source_dataset_l", names_[0])
        table.insert(2, "source_dataset_r", names_[-1])
    name = f"__parley_labels_{hashlib.sha256(pd.util.hash_pandas_object(table).to_numpy().tobytes()).hexdigest()[:10]}"
    registered = linker.table_management.register_table(table, name, overwrite=True)
    linker.training.estimate_m_from_pairwise_labels(registered)


def new_linker(sdfs: Any, model: Any) -> Any:
    from splink import Linker

    return Linker(sdfs, model, log_level=None)
