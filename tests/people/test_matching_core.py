"""The matcher's pure cores, without a database, Splink or DuckDB: the features (name keys that agree across
Ukrainian and Russian Cyrillic and Latin spellings, dates at the precision given, place keys, service
numbers, ids) and the clustering (scored pairs and registrars' decisions into clusters, never through a
contradiction). All persons are invented."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from parley.people.matching.cluster import Contradiction, cluster
from parley.people.matching.features import (
    FEATURE_COLUMNS, InputError, check_ids, labels, parse_date, place_key, prepare, splink_frame,
)

COLS = ["id", "surname", "first_name", "patronymic", "birth_date", "birth_place", "service_number"]


def frame(*rows: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame([r + ("",) * (len(COLS) - len(r)) for r in rows], columns=COLS)


def pairs(*links: tuple[str, str]) -> pd.DataFrame:
    """Links as the model hands them over, best first."""
    return pd.DataFrame({"left_id": [a for a, _ in links], "right_id": [b for _, b in links],
                         "probability": [0.99 - i / 100 for i in range(len(links))]})


def groups(clusters: pd.DataFrame) -> set[frozenset[str]]:
    out: dict[str, set[str]] = {}
    for i, c in zip(clusters["id"], clusters["cluster_id"], strict=True):
        out.setdefault(c, set()).add(i)
    return {frozenset(g) for g in out.values()}


# -- names across scripts ---------------------------------------------------------------------------------

# One man in Ukrainian, in Russian with the Russian forms of his names, and in Latin spellings.
KOVAL = frame(
    ("uk", "Ковальов", "Микола", "Олексійович"),
    ("ru", "Ковалёв", "Николай", "Алексеевич"),
    ("lat-uk", "Kovalov", "Mykola", "Oleksiyovych"),
    ("lat-ru", "Kovalev", "Nikolay", "Alekseevich"),
    ("other", "Коваленко", "Василь", "Іванович"),
)


@pytest.fixture(scope="module")
def koval() -> pd.DataFrame:
    return prepare(KOVAL).set_index("id")


def test_name_keys_agree_across_scripts_and_the_ukrainian_and_russian_forms(koval):
    same = koval.loc[["uk", "ru", "lat-uk", "lat-ru"]]
    for col in ("surname_key", "first_key", "patronymic_key", "surname_sx", "first_initial"):
        assert same[col].nunique() == 1 and same[col].iloc[0] != "", col
    other = koval.loc["other"]
    assert other.surname_key != koval.loc["uk"].surname_key  # Коваленко is not Ковальов
    assert other.first_key != koval.loc["uk"].first_key
    assert other.patronymic_key != koval.loc["uk"].patronymic_key


def test_the_script_of_each_record_is_told(koval):
    assert koval.loc["lat-uk"].script == koval.loc["lat-ru"].script == "lat"
    assert koval.loc["uk"].script != "lat" and koval.loc["ru"].script != "lat"


def test_latin_spellings_are_given_for_jaro_winkler(koval):
    for who in koval.index:
        latin = koval.loc[who, "surname_latin"]
        assert latin and latin.isascii() and latin.isalpha()
    assert koval.loc["uk", "first_clean"] == "микола"  # clean keeps the script, lower-case


def test_surname_and_first_name_written_the_other_way_round():
    p = prepare(frame(("a", "Ковальов", "Олександр"), ("b", "Олександр", "Ковальов"), ("c", "Ковальов", ""))) \
        .set_index("id")
    a, b = p.loc["a"], p.loc["b"]
    assert a.surname_key != b.surname_key
    assert a.names_swapped_key == b.names_swapped_key != ""
    # each record carries the keys it would have the other way round, for the model and the blocking
    assert (b.swap_surname_key, b.swap_first_key) == (a.surname_key, a.first_key)
    assert p.loc["c"].names_swapped_key == ""  # needs both names


# -- dates ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "parsed"), [
    ("1984-03-12", (1984, "1984-03", "1984-03-12")),
    ("12.03.1984", (1984, "1984-03", "1984-03-12")),
    ("12/03/1984", (1984, "1984-03", "1984-03-12")),
    ("1984-03-12T10:00:00Z", (1984, "1984-03", "1984-03-12")),
    (" 1984-3 ", (1984, "1984-03", "")),
    ("03.1984", (1984, "1984-03", "")),
    ("1984", (1984, "", "")),
    # impossible parts are dropped, the valid ones kept
    ("31.04.1984", (1984, "1984-04", "")),
    ("1984-02-30", (1984, "1984-02", "")),
    ("00.03.1984", (1984, "1984-03", "")),
    ("13.1984", (1984, "", "")),
    ("1984-00-01", (1984, "", "")),
    # leap years
    ("29.02.1984", (1984, "1984-02", "1984-02-29")),
    ("29.02.1983", (1983, "1983-02", "")),
    # years outside 1880-2100 and what is not a date
    ("1880", (1880, "", "")),
    ("1879", (None, "", "")),
    ("2100-12-31", (2100, "2100-12", "2100-12-31")),
    ("2101-01-01", (None, "", "")),
    ("", (None, "", "")),
    ("unknown", (None, "", "")),
    ("12.03.84", (None, "", "")),
])
def test_a_birth_date_at_the_precision_it_was_given(text, parsed):
    assert parse_date(text) == parsed


def test_birth_columns_of_a_list():
    p = prepare(frame(("a", "X", "", "", "1984-03-12"), ("b", "X", "", "", "1984"), ("c", "X"),
                      ("d", "X", "", "", "12.03.1984")))
    assert str(p["birth_year"].dtype) == "Int64"
    assert p["birth_year"].isna().tolist() == [False, False, True, False]
    assert p["birth_full"].tolist() == ["1984-03-12", "", "", "1984-03-12"]
    assert p["birth_ym"].tolist() == ["1984-03", "", "", "1984-03"]


# -- places, service numbers, ids -------------------------------------------------------------------------

def test_a_place_key_agrees_across_scripts_and_ignores_the_kind_of_place():
    kharkiv = {place_key(p) for p in ("м. Харків", "г. Харьков", "Kharkiv", "Kharkov", "city of Kharkiv",
                                      "місто Харків", "город Харьков")}
    assert len(kharkiv) == 1 and kharkiv != {""}
    assert place_key("с. Велика Новосілка") == place_key("село Велика Новосілка") != ""
    assert place_key("смт Покровське") == place_key("пгт. Покровское") != ""
    assert place_key("Полтава") not in kharkiv


@pytest.mark.parametrize("text", ["", "   ", "м.", "123", "—"])
def test_no_place_no_key(text):
    assert place_key(text) == ""


def test_a_service_number_is_upper_case_latin_letters_and_digits():
    p = prepare(frame(("a", "X", "", "", "", "", "АВ123456"), ("b", "X", "", "", "", "", "ab 123-456"),
                      ("c", "X", "", "", "", "", "ав/123.456"), ("d", "X")))
    assert p["service_number_norm"].tolist() == ["AB123456", "AB123456", "AB123456", ""]


def test_ids_read_as_numbers_are_text_without_a_decimal_point_and_a_list_without_ids_is_numbered():
    assert prepare(pd.DataFrame({"id": [1.0, 2.0, 10.0], "surname": ["A", "B", "C"]}))["id"].tolist() == \
        ["1", "2", "10"]
    assert prepare(pd.DataFrame({"surname": ["A", "B"]}))["unique_id"].tolist() == ["0", "1"]


def test_ids_must_be_present_and_unique():
    with pytest.raises(InputError, match="duplicate id"):
        check_ids(prepare(frame(("a", "X"), ("a", "Y"))), "list")
    with pytest.raises(InputError, match="1 row"):
        check_ids(prepare(frame(("a", "X"), ("", "Y"))), "list")
    check_ids(prepare(frame(("a", "X"), ("b", "X"))), "list")


def test_splink_gets_sql_null_for_what_is_missing():
    p = prepare(frame(("a", "Ковальов", "", "", "1984"), ("b", "Ковальов", "Микола", "", "")))
    s = splink_frame(p)
    assert list(s.columns) == list(FEATURE_COLUMNS)
    assert s.loc[0, "first_key"] is None and s.loc[0, "service_number_norm"] is None
    assert s.loc[1, "first_key"] == p.loc[1, "first_key"] != ""
    assert s["birth_year"].isna().tolist() == [False, True]
    assert "" not in set(s.drop(columns=["birth_year"]).stack())


def test_registrars_decisions_are_cleaned():
    got = labels(pd.DataFrame({"left_id": ["a", "b", "c", "", " g "], "right_id": ["b", "b", "d", "e", "f"],
                               "match": ["1", 1, "yes", 0, 5]}))
    # no self-pair, no empty id; the decision 0 or 1 (unreadable: 0, more than 1: 1); ids stripped
    assert got.values.tolist() == [["a", "b", 1], ["c", "d", 0], ["g", "f", 1]]
    numeric = labels(pd.DataFrame({"left_id": [1.0, 2.0], "right_id": [2.0, 30.0], "match": [1.0, 0.0]}))
    assert numeric.values.tolist() == [["1", "2", 1], ["2", "30", 0]]  # ids read as numbers, as text
    with pytest.raises(InputError, match="match"):
        labels(pd.DataFrame({"left_id": ["a"], "right_id": ["b"]}))


# -- contradictions ---------------------------------------------------------------------------------------

PEOPLE = frame(
    ("vasyl", "Ткачук", "Василь", "Іванович", "1983-01-15"),
    ("vasily", "Ткачук", "Василий", "Иванович", "1983"),
    ("v-uk", "Ткачук", "В."),
    ("v-lat", "Tkachuk", "V."),
    ("d", "Ткачук", "Д."),
    ("dmytro", "Ткачук", "Дмитро", "Іванович", "1987-11-02"),
    ("ivan", "Tkachuk", "Ivan", "", "1983"),
    ("ivxn", "Tkachuk", "Ivxn", "", "1983"),
    ("petro", "Ткачук", "Василь", "Петрович", "1983"),
    ("y84", "Ткачук", "Василь", "", "1984"),
    ("y85", "Ткачук", "Василь", "", "1985"),
    ("swap", "Василь", "Ткачук", "", "1983"),
    ("short-pat", "Ткачук", "Василь", "Ів.", "1983"),
)


@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    return prepare(PEOPLE)


@pytest.fixture(scope="module")
def contradicts(people):
    c = Contradiction(people)
    at = {i: k for k, i in enumerate(people["unique_id"])}

    def both_ways(a: str, b: str) -> bool:
        one, other = bool(c(at[a], at[b])), bool(c(at[b], at[a]))
        assert one == other, f"a contradiction goes both ways: {a} {b}"
        return one

    return both_ways


@pytest.mark.parametrize(("a", "b"), [
    ("vasyl", "vasily"),    # Ukrainian and Russian forms of one name
    ("vasyl", "v-uk"),      # an initial that agrees
    ("vasyl", "v-lat"),     # in the other script
    ("ivan", "ivxn"),       # one slip of the keyboard
    ("vasyl", "swap"),      # surname and first name swapped
    ("vasyl", "y84"),       # a year apart
    ("vasyl", "short-pat"), # an abbreviated patronymic says nothing
    ("v-uk", "v-lat"),      # one initial in two scripts
])
def test_what_does_not_contradict(contradicts, a, b):
    assert not contradicts(a, b)


@pytest.mark.parametrize(("a", "b"), [
    ("vasyl", "dmytro"),    # another given name (brothers)
    ("vasyl", "d"),         # an initial that disagrees
    ("v-lat", "d"),
    ("vasyl", "petro"),     # another patronymic
    ("vasyl", "y85"),       # birth years two apart
])
def test_what_contradicts(contradicts, a, b):
    assert contradicts(a, b)


def test_an_initial_agrees_with_a_ukrainian_name_whose_russian_form_starts_otherwise():
    p = prepare(frame(("full", "Ковальов", "Микола"), ("initial", "Ковальов", "М.")))
    assert not Contradiction(p)(0, 1)


# Микола (Ukrainian) is Николай (Russian), Mykola and Nikolay in Latin: its initial is any of М, Н, M, N.
MYKOLA = frame(
    ("uk", "Ковальов", "Микола", "", "1980"),
    ("ru", "Ковалёв", "Николай", "", "1980"),
    ("lat-uk", "Kovalov", "Mykola", "", "1980"),
    ("lat-ru", "Kovalev", "Nikolay", "", "1980"),
    ("m-uk", "Ковальов", "М."),
    ("n-ru", "Ковалёв", "Н."),
    ("m-lat", "Kovalov", "M."),
    ("n-lat", "Kovalev", "N."),
    ("d-uk", "Ковальов", "Д."),
    ("d-lat", "Kovalov", "D."),
    ("dmytro", "Ковальов", "Дмитро", "", "1980"),
    ("mykhailo", "Ковальов", "Михайло", "", "1980"),
    ("olena", "Ковальова", "Олена", "", "1980"),
    ("katya-uk", "Ковальова", "Катерина", "", "1980"),
    ("katya-ru", "Ковалёва", "Екатерина", "", "1980"),
    ("k-uk", "Ковальова", "К."),
    ("ye-ru", "Ковалёва", "Е."),
    ("y-lat", "Kovalyova", "Y."),
)


@pytest.fixture(scope="module")
def mykola():
    p = prepare(MYKOLA)
    c = Contradiction(p)
    at = {i: k for k, i in enumerate(p["unique_id"])}

    def both_ways(a: str, b: str) -> bool:
        one, other = bool(c(at[a], at[b])), bool(c(at[b], at[a]))
        assert one == other, f"a contradiction goes both ways: {a} {b}"
        return one

    return p.set_index("id"), both_ways


def test_every_form_of_a_name_has_the_initials_of_all_its_forms(mykola):
    p, _ = mykola
    forms = p.loc[["uk", "ru", "lat-uk", "lat-ru"]]
    assert set(forms.first_initial) == {"N"} and set(forms.first_initial_alt) == {"M"}
    # a name whose forms all start alike has no other initial, nor has an initial
    assert p.loc["dmytro"].first_initial == "D" and p.loc["dmytro"].first_initial_alt == ""
    assert p.loc["m-uk"].first_initial == p.loc["m-lat"].first_initial == "M"
    assert p.loc["m-uk"].first_initial_alt == p.loc["n-ru"].first_initial_alt == ""


@pytest.mark.parametrize("full", ["uk", "ru", "lat-uk", "lat-ru"])
@pytest.mark.parametrize("initial", ["m-uk", "n-ru", "m-lat", "n-lat"])
def test_an_initial_of_any_form_agrees_with_every_form(mykola, full, initial):
    # Cyrillic initial and Latin name, Latin initial and Cyrillic name, Russian initial and Ukrainian name
    _, contradicts = mykola
    assert not contradicts(full, initial)


@pytest.mark.parametrize(("a", "b"), [
    ("katya-uk", "k-uk"), ("katya-ru", "k-uk"),   # Катерина / Екатерина
    ("katya-uk", "ye-ru"), ("katya-uk", "y-lat"),
])
def test_an_initial_agrees_across_other_forms_too(mykola, a, b):
    _, contradicts = mykola
    assert not contradicts(a, b)


@pytest.mark.parametrize("full", ["uk", "ru", "lat-uk", "lat-ru"])
@pytest.mark.parametrize("initial", ["d-uk", "d-lat"])
def test_a_different_initial_still_contradicts(mykola, full, initial):
    _, contradicts = mykola
    assert contradicts(full, initial)


def test_the_other_initial_does_not_make_other_names_agree(mykola):
    _, contradicts = mykola
    assert contradicts("mykhailo", "n-ru")   # Н. is not Михайло, though М. would be
    assert not contradicts("mykhailo", "m-uk")
    assert contradicts("uk", "mykhailo") and contradicts("ru", "dmytro")  # full names: as before
    assert contradicts("m-uk", "n-ru") and contradicts("m-lat", "n-lat")  # two initials: as written
    assert contradicts("olena", "k-uk")


# -- clusters ---------------------------------------------------------------------------------------------

TWINS = frame(
    ("t1", "Бондаренко", "Андрій", "Петрович", "1995-05-20"),
    ("t2", "Бондаренко", "Богдан", "Петрович", "1995-05-20"),
    ("x", "Bondarenko", "", "Petrovych", "1995-05-20"),  # no first name: agrees with both
    ("t1-ru", "Бондаренко", "Андрей", "Петрович", "20.05.1995"),
    ("alone", "Мельник", "Ірина", "Степанівна", "1979-09-09"),
)


@pytest.fixture(scope="module")
def twins() -> pd.DataFrame:
    return prepare(TWINS)


def test_without_links_every_record_is_its_own_cluster(twins):
    got = cluster(twins, pairs())
    assert got["id"].tolist() == TWINS["id"].tolist()
    assert got["cluster_id"].tolist() == got["id"].tolist()


def test_a_record_that_agrees_with_both_twins_does_not_chain_them(twins):
    got = cluster(twins, pairs(("t1", "x"), ("x", "t2"), ("t1", "t1-ru")))
    assert groups(got) == {frozenset({"t1", "x", "t1-ru"}), frozenset({"t2"}), frozenset({"alone"})}


def test_links_are_taken_best_first(twins):
    got = cluster(twins, pairs(("x", "t2"), ("t1", "x"), ("t1", "t1-ru")))
    assert groups(got) == {frozenset({"t2", "x"}), frozenset({"t1", "t1-ru"}), frozenset({"alone"})}


def test_the_cluster_id_is_the_smallest_id_of_the_cluster(twins):
    got = cluster(twins, pairs(("t1-ru", "t1"))).set_index("id")["cluster_id"]
    assert got["t1"] == got["t1-ru"] == "t1"
    assert got["alone"] == "alone"


def test_the_models_own_link_is_not_second_guessed(twins):
    # the model scored t1 and t2 together: its judgement on that very pair stands
    assert frozenset({"t1", "t2"}) in groups(cluster(twins, pairs(("t1", "t2"))))
    # but it does not carry a third record across a contradiction it did not score
    assert groups(cluster(twins, pairs(("t1", "t1-ru"), ("t1-ru", "t2")))) >= {frozenset({"t1", "t1-ru"}),
                                                                            frozenset({"t2"})}


def test_a_registrars_rejection_keeps_apart_even_through_a_third_record(twins):
    decided = pd.DataFrame({"left_id": ["t1-ru"], "right_id": ["t1"], "match": [0]})
    got = cluster(twins, pairs(("t1", "t1-ru")), decided)
    assert groups(got) >= {frozenset({"t1"}), frozenset({"t1-ru"})}
    got = cluster(twins, pairs(("t1", "x"), ("x", "t1-ru")), decided)
    assert groups(got) >= {frozenset({"t1", "x"}), frozenset({"t1-ru"})}


def test_a_registrars_confirmation_joins_whatever_the_model_says(twins):
    decided = pd.DataFrame({"left_id": ["alone"], "right_id": ["t2"], "match": [1]})
    got = cluster(twins, pairs(), decided)
    assert frozenset({"alone", "t2"}) in groups(got)


def test_links_and_decisions_naming_unknown_records_are_ignored(twins):
    decided = pd.DataFrame({"left_id": ["ghost"], "right_id": ["t1"], "match": [1]})
    got = cluster(twins, pairs(("ghost", "t2"), ("t1", "nobody")), decided)
    assert got["cluster_id"].tolist() == got["id"].tolist()


# -- purity -----------------------------------------------------------------------------------------------

def test_the_cores_load_no_database_no_splink_and_no_duckdb():
    code = ("import sys, parley.people.matching.features, parley.people.matching.cluster\n"
            "heavy = [m for m in ('sqlalchemy', 'splink', 'duckdb', 'pydantic', 'fastapi', 'parley.records',"
            " 'parley.people.models', 'parley.people.matching.engine') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
