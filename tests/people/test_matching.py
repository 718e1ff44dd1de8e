"""The matcher on small hand-made lists: the same person in Ukrainian Cyrillic, in Russian Cyrillic with the
Russian forms of the names and in Latin spellings links; twins and brothers do not; registrars' decisions
override the model; the batch commands write their documented columns; bad input is refused with a clear
InputError. All persons are invented. (The measurement at scale is bench/linkage.py.)"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from parley.people import linkcli
from parley.people.matching.engine import dedupe, link
from parley.people.matching.features import InputError, prepare
from parley.people.matching.files import comparison_counts, dedupe_file, read_list
from parley.people.matching.matcher import Matcher
from parley.people.matching.model import blocking_rules

COLS = ["id", "surname", "first_name", "patronymic", "birth_date", "birth_place", "service_number"]

# (person, id, surname, first name, patronymic, birth date, birth place, service number)
ROWS = [
    # one person in four forms: Ukrainian, Russian (Russian forms of the names), two Latin spellings
    ("koval", "k1", "Ковальов", "Микола", "Олексійович", "1984-03-12", "м. Харків", "АВ123456"),
    ("koval", "k2", "Ковалёв", "Николай", "Алексеевич", "12.03.1984", "г. Харьков", ""),
    ("koval", "k3", "Kovalov", "Mykola", "", "1984", "Kharkiv", "AB123456"),
    ("koval", "k4", "Nikolay", "Kovalev", "Alekseevich", "1984-03-12", "", ""),  # surname and name swapped
    # another person, Ukrainian and Russian forms plus German and French Latin spellings
    ("shch", "s1", "Щербак", "Олександр", "Григорович", "1990-07-01", "Полтава", ""),
    ("shch", "s2", "Щербак", "Александр", "Григорьевич", "01.07.1990", "", ""),
    ("shch", "s3", "Schtscherbak", "Oleksandr", "Hryhorowytsch", "1990-07-01", "Poltawa", ""),
    ("shch", "s4", "Chtcherbak", "Oleksandr", "", "1990", "", ""),
    # twins: everything the same but the first name
    ("tw1", "t1", "Бондаренко", "Андрій", "Петрович", "1995-05-20", "м. Суми", ""),
    ("tw1", "t2", "Бондаренко", "Андрей", "Петрович", "20.05.1995", "г. Сумы", ""),
    ("tw2", "t3", "Бондаренко", "Богдан", "Петрович", "1995-05-20", "м. Суми", ""),
    ("tw2", "t4", "Bondarenko", "Bohdan", "Petrovych", "1995-05-20", "Sumy", ""),
    # brothers: same surname, patronymic and birth place; other first name and birth date
    ("br1", "b1", "Ткачук", "Дмитро", "Іванович", "1987-11-02", "Житомир", ""),
    ("br1", "b2", "Tkachuk", "Dmytro", "Ivanovych", "02.11.1987", "Zhytomyr", ""),
    ("br2", "b3", "Ткачук", "Василь", "Іванович", "1983-01-15", "Житомир", ""),
    ("br2", "b4", "Ткачук", "Василий", "Иванович", "1983-01-15", "Житомир", ""),
    # single records of unrelated persons
    ("u1", "u1", "Мельник", "Ірина", "Степанівна", "1979-09-09", "Львів", ""),
    ("u2", "u2", "Шевченко", "Тарас", "Остапович", "1968-02-28", "Київ", ""),
    ("u3", "u3", "Петренко", "Ганна", "", "1992", "", ""),
    ("u4", "u4", "Олійник", "Юрій", "Васильович", "1975-12-31", "Одеса", ""),
]


def frame(rows: list[tuple[str, ...]] = ROWS) -> pd.DataFrame:
    return pd.DataFrame([r[1:] for r in rows], columns=COLS)


TRUTH = {r[1]: r[0] for r in ROWS}


def groups(clusters: pd.DataFrame) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for i, c in zip(clusters["id"], clusters["cluster_id"], strict=True):
        out.setdefault(c, set()).add(i)
    return out


@pytest.fixture(scope="module")
def deduped() -> tuple[pd.DataFrame, pd.DataFrame]:
    return dedupe(frame())


def test_the_same_person_links_across_scripts_and_forms(deduped) -> None:  # type: ignore[no-untyped-def]
    _, clusters = deduped
    cid = dict(zip(clusters["id"], clusters["cluster_id"], strict=True))
    assert cid["k1"] == cid["k2"] == cid["k3"] == cid["k4"]
    assert cid["s1"] == cid["s2"] == cid["s3"] == cid["s4"]
    assert cid["t1"] == cid["t2"] and cid["t3"] == cid["t4"]
    assert cid["b1"] == cid["b2"] and cid["b3"] == cid["b4"]


def test_twins_brothers_and_strangers_stay_apart(deduped) -> None:  # type: ignore[no-untyped-def]
    pairs, clusters = deduped
    for members in groups(clusters).values():
        assert len({TRUTH[m] for m in members}) == 1, members
    for a, b in zip(pairs["left_id"], pairs["right_id"], strict=True):
        assert TRUTH[a] == TRUTH[b], (a, b)
    assert set(clusters["id"]) == set(TRUTH)
    assert (pairs["probability"] >= 0.9).all()


def test_registrars_decisions_override_the_model() -> None:
    labelled = pd.DataFrame({"left_id": ["k1", "t1"], "right_id": ["k3", "t3"], "match": [0, 1]})
    pairs, clusters = dedupe(frame(), labelled=labelled)
    cid = dict(zip(clusters["id"], clusters["cluster_id"], strict=True))
    got = {tuple(sorted(p)): pr for *p, pr in pairs[["left_id", "right_id", "probability"]].itertuples(index=False)}
    assert ("k1", "k3") not in got  # rejected: never linked directly
    assert got[("t1", "t3")] == 1.0  # confirmed
    assert cid["t1"] == cid["t3"]


def test_link_two_lists() -> None:
    left = frame([r for r in ROWS if r[1] in ("k1", "s1", "t1", "t3", "b1", "u1")])
    right = frame([r for r in ROWS if r[1] in ("k3", "s3", "t4", "b3", "u2")])
    pairs = link(left, right)
    got = {(a, b) for a, b in zip(pairs["left_id"], pairs["right_id"], strict=True)}
    assert ("k1", "k3") in got and ("s1", "s3") in got and ("t3", "t4") in got
    assert all(TRUTH[a] == TRUTH[b] for a, b in got), got


def test_inquiry_finds_the_person_first() -> None:
    matcher = Matcher(frame())
    try:
        # a family writes in Russian, with the Russian form of the name, and knows only the year
        best = matcher.candidates({"surname": "Ковалев", "first_name": "Николай", "birth_date": "1984"}, top=5)
        assert best and TRUTH[best[0][0]] == "koval"
        # a Latin spelling of the Ukrainian forms
        best = matcher.candidates({"surname": "Shcherbak", "first_name": "Oleksandr", "birth_date": "01.07.1990"})
        assert best and TRUTH[best[0][0]] == "shch"
        many = matcher.candidates_many([{"surname": "Ковалев", "first_name": "Николай", "birth_date": "1984"},
                                        {"surname": "Бондаренко", "first_name": "Богдан"}], top=3)
        assert TRUTH[many[0][0][0]] == "koval" and TRUTH[many[1][0][0]] == "tw2"
    finally:
        matcher.close()


def _app() -> typer.Typer:
    app = typer.Typer()
    linkcli.register(app)

    @app.callback()
    def _root() -> None:  # several commands, not a single-command app
        pass

    return app


def test_cli_writes_the_documented_columns(tmp_path: Path) -> None:
    left, right, one = tmp_path / "left.csv", tmp_path / "right.csv", tmp_path / "list.csv"
    frame([r for r in ROWS if r[1] in ("k1", "s1", "u1")]).to_csv(left, index=False)
    frame([r for r in ROWS if r[1] in ("k2", "s3", "u2")]).to_csv(right, index=False)
    frame().to_csv(one, index=False)
    runner = CliRunner()
    res = runner.invoke(_app(), ["match", str(left), str(right), "--out", str(tmp_path / "links.csv")])
    assert res.exit_code == 0, res.output
    links = pd.read_csv(tmp_path / "links.csv", dtype=str)
    assert list(links.columns) == ["left_id", "right_id", "probability"]
    assert {("k1", "k2"), ("s1", "s3")} <= set(zip(links.left_id, links.right_id, strict=True))
    res = runner.invoke(_app(), ["dedupe", str(one), "--out", str(tmp_path / "clusters.csv")])
    assert res.exit_code == 0, res.output
    clusters = pd.read_csv(tmp_path / "clusters.csv", dtype=str)
    assert list(clusters.columns) == ["id", "cluster_id"]
    assert sorted(clusters["id"]) == sorted(TRUTH)


def test_bad_input_is_refused_clearly(tmp_path: Path) -> None:
    no_id = tmp_path / "no_id.csv"
    no_id.write_text("surname,first_name\nКовальов,Микола\n", encoding="utf-8")
    with pytest.raises(InputError, match="no 'id' column"):
        read_list(no_id)
    dup = tmp_path / "dup.csv"
    dup.write_text("id,surname\n1,Ковальов\n1,Ковалёв\n2,Щербак\n", encoding="utf-8")
    with pytest.raises(InputError, match="duplicate id"):
        dedupe_file(dup, tmp_path / "out.csv")
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("id,surname\n1,Kovaľov\n".encode("cp1250"))
    with pytest.raises(InputError, match="not UTF-8"):
        read_list(latin1)
    with pytest.raises(InputError, match="no such file"):
        read_list(tmp_path / "missing.csv")
    # the CLI says so and exits with status 2, without a traceback
    res = CliRunner().invoke(_app(), ["dedupe", str(latin1), "--out", str(tmp_path / "c.csv")])
    said = " ".join(res.output.split())
    assert res.exit_code == 2 and "UTF-8" in said and "Traceback" not in said


def test_prepare_reads_the_date_formats_and_service_number_lookalikes() -> None:
    p = prepare(pd.DataFrame({"id": ["a", "b", "c", "d", "e"],
                                "birth_date": ["1984-03-12", "12.03.1984", "1984", "31.04.1984", ""],
                                "service_number": ["АВ-123456", "AB123456", "", "", ""]}))
    assert list(p["birth_full"]) == ["1984-03-12", "1984-03-12", "", "", ""]
    assert list(p["birth_ym"]) == ["1984-03", "1984-03", "", "1984-04", ""]
    assert list(p["birth_year"].astype("Int64").astype(object).where(p["birth_year"].notna(), None)) == [
        1984, 1984, 1984, 1984, None]
    assert p["service_number_norm"][0] == p["service_number_norm"][1] == "AB123456"


def test_blocking_keeps_the_pairs_that_matter_and_leaves_hopeless_ones_out() -> None:
    """Each record of one person is blocked with the others written the usual way round (the swapped record
    without a birth year too; two swapped records meet through those); a
    common surname and first name with birth years far apart generates no pairs at all, which is what keeps
    the rules linear in practice on a list of 10^6."""
    rows = [r for r in ROWS if r[0] == "koval"] + [
        ("koval", "k5", "Mykola", "Kovaliov", "", "", "", ""),  # swapped, no birth date
    ]
    common = [(f"c{i}", f"c{i}", "Коваленко", "Іван", "Петрович", f"{1950 + 3 * i}-01-01", "", "")
              for i in range(12)]
    counts = comparison_counts(frame(rows + common))
    assert counts["cumulative_comparison_count"].iloc[-1] < 20
    pairs = link(frame(rows), frame(rows), threshold=0.0)  # link_only: every blocked pair is scored
    found = {tuple(sorted(p)) for p in zip(pairs.left_id, pairs.right_id, strict=True) if p[0] != p[1]}
    ids = [r[1] for r in rows]
    assert {(a, b) for a in ids for b in ids if a < b and {a, b} != {"k4", "k5"}} <= found


def test_an_initial_of_another_form_of_the_name_is_blocked_and_scored_as_agreeing() -> None:
    """«М.» on a Ukrainian list (Микола) and Николай on a Russian one: the Russian form's key starts with N,
    yet the pair is blocked (no birth year on one side: only the initial rules can bring it) and scores above
    a different initial."""
    left = frame([("x", "m", "Ковальов", "М.", "Олексійович", "", "", ""),
                  ("y", "n", "Kovalov", "N.", "Oleksiyovych", "", "", ""),
                  ("z", "d", "Ковальов", "Д.", "Олексійович", "", "", "")])
    right = frame([("x", "ru", "Ковалёв", "Николай", "Алексеевич", "12.03.1984", "", ""),
                   ("x", "lat", "Kovalov", "Mykola", "Oleksiyovych", "1984", "", "")])
    pairs = link(left, right, threshold=0.0)
    got = {(a, b): p for a, b, p in zip(pairs.left_id, pairs.right_id, pairs.probability, strict=True)}
    for initial in ("m", "n"):
        for full in ("ru", "lat"):
            assert (initial, full) in got, (initial, full)
            assert got[(initial, full)] > got.get(("d", full), 0.0), (initial, full)


def test_blocking_rules_are_portable_sql() -> None:
    for rule in blocking_rules():
        sql = rule if isinstance(rule, str) else rule.get_blocking_rule("duckdb").blocking_rule_sql
        assert "l." in sql and "r." in sql
