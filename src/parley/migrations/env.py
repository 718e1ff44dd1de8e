"""Alembic environment: runs migrations on the connection Parley hands it, or on PARLEY_DATABASE_URL."""

from __future__ import annotations

import os

from alembic import context

from parley import models  # noqa: F401  (registers every table on Base.metadata)
from parley.db import Base, make_engine

target_metadata = Base.metadata
connection = context.config.attributes.get("connection")


def _run(conn) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=conn,
        target_metadata=target_metadata,
        render_as_batch=conn.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:
    engine = make_engine(os.environ.get("PARLEY_DATABASE_URL", "sqlite:///./parley-data/parley.db"))
    with engine.begin() as conn:
        _run(conn)
