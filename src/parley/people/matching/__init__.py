"""Probabilistic matching of persons across lists: the same prisoner of war, missing or dead person written
in Ukrainian Cyrillic, in Russian Cyrillic with the Russian form of the given name, or in one of several
Latin transliterations.

The model is a Fellegi-Sunter model run by Splink 5 on DuckDB. The comparison features (canonical name keys
that agree across scripts and across the Ukrainian and Russian forms of a given name, Latin spellings for
Jaro-Winkler, a short surname key for blocking) come from :mod:`parley.people.names`; ``features.prepare``
adds the date, place and service-number features.

Modules (this ``__init__`` imports nothing: import what you use from its module)
    ``features``   ``prepare(df)``: input columns -> feature columns (vectorised; each distinct name part,
                   date and place is normalised once); ``splink_frame``; ``parse_date``, ``place_key``;
                   ``InputError``. Pure: pandas and ``names`` only.
    ``model``      ``settings(link_type)``: THE model definition (a ``splink.SettingsCreator``,
                   engine-agnostic); ``blocking_rules``; ``train(linker, labelled=None)``: lambda, u, m by EM,
                   and m from registrars' decisions
    ``cluster``    ``cluster(prepared, pairs, labelled)``: clusters grown from the links without joining
                   records that contradict each other (twins, brothers). Pure.
    ``engine``     the isolated DuckDB connection; ``dedupe(df)`` -> (pairs, clusters); ``link(left, right)``
                   -> left_id, right_id, probability
    ``matcher``    ``Matcher``: an inquiry against the registry, best first (``candidates_many`` for a batch
                   in one pass); ``candidates(row, registry)`` for a single one
    ``files``      ``match_files`` / ``dedupe_file``, the batch commands ``parley match`` and ``parley
                   dedupe``; ``read_list``; ``comparison_counts``

Registrars' decisions (``labelled``: left_id, right_id, match 0/1) feed back twice: the confirmed matches
(``match == 1``) are used to estimate the m probabilities (``estimate_m_from_pairwise_labels``), and every
decision overrides the model's score for that very pair (1.0 for a confirmed match; a rejected pair is never
linked directly).

Missing values: ``prepare`` returns ``""`` for a missing text feature (and ``<NA>`` for ``birth_year``); the
frame handed to Splink must carry SQL NULL instead, otherwise every record without a service number would
block with every other one. ``splink_frame`` does that conversion.

Running the same model on Spark (the settings use only portable SQL and Splink's dialect-aware levels)::

    from pyspark.sql import SparkSession
    from splink import Linker, SparkAPI
    from parley.people.matching.features import prepare, splink_frame
    from parley.people.matching.model import settings, train

    spark = SparkSession.builder.getOrCreate()
    spark_df = spark.createDataFrame(splink_frame(prepare(pandas_df)))  # or build the features in Spark
    db_api = SparkAPI(spark_session=spark)
    linker = Linker(db_api.register(spark_df), settings("dedupe_only"), log_level=None)
    train(linker)  # or Linker(..., saved_model_dict) to reuse a model trained on DuckDB
    predictions = linker.inference.predict(threshold_match_probability=0.9)

(With Splink 5 a table is registered with its database API first; ``Linker(spark_df, settings(...),
SparkAPI(spark_session=spark))`` was the Splink 3 spelling. Jaro-Winkler on Spark needs Splink's
similarity jar, which ``SparkAPI`` registers by default.)
"""
