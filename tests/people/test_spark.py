"""The model definition is engine-agnostic: the same ``matching.model.settings`` compiles to Spark SQL (always
checked), and runs end to end on a local Spark session where PySpark and Java are installed (PySpark is
not one of Parley's dependencies; the second test is skipped without it)."""

from __future__ import annotations

import importlib.util
import shutil

import pandas as pd
import pytest
import sqlglot

from parley.people.matching.features import prepare, splink_frame
from parley.people.matching.model import blocking_rules, settings

ROWS = [
    {"id": "1", "surname": "Ковальов", "first_name": "Олександр", "patronymic": "Петрович", "birth_date": "1991-03-14"},
    {"id": "2", "surname": "Ковалёв", "first_name": "Александр", "patronymic": "Петрович", "birth_date": "14.03.1991"},
    {"id": "3", "surname": "Kovalyov", "first_name": "Oleksandr", "patronymic": "", "birth_date": "1991"},
    {"id": "4", "surname": "Шевчук", "first_name": "Тарас", "patronymic": "Іванович", "birth_date": "1985-01-20"},
    {"id": "5", "surname": "Шевчук", "first_name": "Богдан", "patronymic": "Іванович", "birth_date": "1987-07-02"},
]


@pytest.mark.parametrize("link_type", ["dedupe_only", "link_only", "link_and_dedupe"])
def test_the_model_compiles_to_spark_sql(link_type: str) -> None:
    compiled = settings(link_type).get_settings("spark")
    conditions = [lvl.sql_condition for c in compiled.comparisons for lvl in c.comparison_levels
                  if lvl.sql_condition != "ELSE"]
    assert len(conditions) > 20
    for sql in conditions:
        sqlglot.parse_one(sql, read="spark")  # raises on anything Spark cannot read
    from splink.internals.blocking_rule_creator_utils import to_blocking_rule_creator

    for rule in blocking_rules():
        sql = to_blocking_rule_creator(rule).get_blocking_rule("spark").blocking_rule_sql
        sqlglot.parse_one(sql, read="spark")


@pytest.mark.skipif(importlib.util.find_spec("pyspark") is None or shutil.which("java") is None,
                    reason="PySpark and Java are not installed (they are not Parley dependencies)")
def test_the_same_model_runs_on_spark(tmp_path) -> None:  # pragma: no cover - needs PySpark
    from pyspark.sql import SparkSession
    from splink import DuckDBAPI, Linker, SparkAPI
    from splink.backends.spark import similarity_jar_location

    spark = (SparkSession.builder.master("local[1]").appName("parley-test")
             .config("spark.jars", similarity_jar_location()).config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2").getOrCreate())
    spark.sparkContext.setCheckpointDir(str(tmp_path / "checkpoints"))  # Splink checkpoints its tables
    try:
        prepared = splink_frame(prepare(pd.DataFrame(ROWS)))
        api = SparkAPI(spark_session=spark)
        linker = Linker(api.register(spark.createDataFrame(prepared)), settings("dedupe_only"), log_level=None)
        on_spark = _pairs(linker.inference.predict(threshold_match_probability=0.01).as_pandas_dataframe())
    finally:
        spark.stop()
    duck = Linker(DuckDBAPI().register(prepared), settings("dedupe_only"), log_level=None)
    on_duckdb = _pairs(duck.inference.predict(threshold_match_probability=0.01).as_pandas_dataframe())
    # The same pairs with the same probabilities on both engines; the Ukrainian and Russian records of one
    # man are linked, the two brothers are not.
    assert on_spark.keys() == on_duckdb.keys()
    for pair, p in on_duckdb.items():
        assert on_spark[pair] == pytest.approx(p, abs=1e-6)
    assert on_spark[("1", "2")] > 0.95
    assert on_spark.get(("4", "5"), 0.0) < 0.01


def _pairs(df: pd.DataFrame) -> dict[tuple[str, str], float]:
    return {tuple(sorted((str(a), str(b)))): float(p)  # type: ignore[misc]
            for a, b, p in zip(df.unique_id_l, df.unique_id_r, df.match_probability, strict=True)}
