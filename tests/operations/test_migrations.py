"""The migrations build exactly the schema the models declare, and migration 0005 carries the families'
secret verifiers out of the inquiry table (and back on downgrade). SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

import parley.models  # every table on Base.metadata
from parley.db import Base, make_engine, migrate


def _downgrade(engine, revision: str) -> None:  # type: ignore[no-untyped-def]
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(parley.models.__file__).parent / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def test_the_migrations_build_the_models_schema(db_url):
    engine = make_engine(db_url)
    migrate(engine)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diffs == []
    names = set(inspect(engine).get_table_names())
    assert {"deconfliction_check", "deconfliction_alert", "inquiry_secret"} <= names
    assert "secret_hash" not in {c["name"] for c in inspect(engine).get_columns("inquiry")}
    engine.dispose()


def test_0005_keeps_the_families_verifiers(db_url):
    engine = make_engine(db_url)
    migrate(engine, "0004")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO inquiry (id, party, author, audience, secret_hash, sought, surname_key, relationship, "
            "status, created_idx, at) VALUES ('INQ-UA-AAAA-0001', 'ua', 'ua/registrar', 'party:ua', "
            "'$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA', '{}', 'x', '', 'open', 7, :at)"),
            {"at": datetime(2026, 1, 1)})
        # A decision refers to the inquiry: the column goes without copying (and dropping) the table it refers to.
        conn.execute(text("INSERT INTO inquiry_decision (idx, inquiry, decision, message, party, author, at) "
                          "VALUES (8, 'INQ-UA-AAAA-0001', 'message', 'x', 'ua', 'ua/registrar', :at)"),
                     {"at": datetime(2026, 1, 2)})
    migrate(engine)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT inquiry, secret_hash FROM inquiry_secret")).all()
    assert [tuple(r) for r in rows] == [("INQ-UA-AAAA-0001", "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA")]
    _downgrade(engine, "0004")
    with engine.connect() as conn:
        back = conn.execute(text("SELECT secret_hash FROM inquiry")).scalar()
    assert back == "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"
    assert not {"deconfliction_check", "deconfliction_alert", "inquiry_secret"} & set(inspect(engine).get_table_names())
    engine.dispose()
