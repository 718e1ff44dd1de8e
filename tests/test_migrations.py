"""Every migration goes down as well as up, on SQLite and PostgreSQL: from the newest schema one step at a
time to an empty database, then up again to exactly the schema the models declare."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

import parley.models  # every table on Base.metadata
from parley.db import Base, make_engine, migrate


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(parley.models.__file__).parent / "migrations"))
    return cfg


def _step_down(engine, cfg: Config, revision: str) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def test_every_migration_downgrades_and_the_schema_comes_back(db_url):
    engine = make_engine(db_url)
    cfg = _config()
    revisions = list(ScriptDirectory.from_config(cfg).walk_revisions())  # newest first
    assert [r.revision for r in revisions][-1] == "0001" and len(revisions) >= 5
    migrate(engine)
    for rev in revisions:
        _step_down(engine, cfg, rev.down_revision or "base")  # type: ignore[arg-type]
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
        assert current == rev.down_revision, rev.revision
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate(engine)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diffs == []
    engine.dispose()
