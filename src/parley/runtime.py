"""A running Parley: settings, engine, the log's signing key and the pipeline, built from settings.

Building one connects to nothing until it is used; ``open_runtime`` checks the schema is current.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from parley.db import make_engine, private_dir, session_factory
from parley.log.note import Signer
from parley.log.store import NodeCache
from parley.records.pipeline import Pipeline
from parley.settings import Settings


def log_key_path(settings: Settings) -> Path:
    return settings.data_dir / "log.key"


def create_log_key(settings: Settings) -> Signer:
    path = log_key_path(settings)
    if path.exists():
        return Signer.from_skey(path.read_text().strip())
    private_dir(path.parent)
    signer = Signer.generate(settings.log_origin)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(signer.skey() + "\n")
    return signer


def load_log_key(settings: Settings) -> Signer:
    path = log_key_path(settings)
    if not path.exists():
        raise RuntimeError(f"the log key {path} does not exist; run 'parley init' first")
    signer = Signer.from_skey(path.read_text().strip())
    if signer.name != settings.log_origin:
        raise RuntimeError(f"the log key is for {signer.name!r}, settings say origin {settings.log_origin!r}")
    return signer


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker
    log_signer: Signer
    pipeline: Pipeline
    cache: NodeCache = field(default_factory=NodeCache)
    # The appender's own engine, so it never waits for a connection behind the requests it serves.
    writer_engine: Engine | None = None

    def close(self) -> None:
        self.pipeline.close()
        self.engine.dispose()
        if self.writer_engine is not None:
            self.writer_engine.dispose()


def writer_engine_for(engine: Engine) -> Engine:
    """A second engine on the same database with one connection (two for a caller appending on its own
    thread while the appender runs) for the pipeline alone."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return engine  # an in-memory database exists once per engine: share it
    return make_engine(url.render_as_string(hide_password=False), pool_size=1, max_overflow=1)


def open_runtime(settings: Settings, *, engine: Engine | None = None) -> Runtime:
    engine = engine or make_engine(settings.database_url, pool_size=settings.worker_threads + 8)
    with engine.connect() as conn:
        if "alembic_version" not in inspect(conn).get_table_names():
            raise RuntimeError("the database has no schema; run 'parley init' (or 'parley db upgrade')")
        conn.execute(text("SELECT 1"))
    sessions = session_factory(engine)
    signer = load_log_key(settings)
    cache = NodeCache()
    writer = writer_engine_for(engine)
    pipeline = Pipeline(session_factory(writer), signer, settings.log_origin, batch=settings.append_batch,
                        cache=cache, auto_publish=not settings.witness_policy)
    return Runtime(settings=settings, engine=engine, sessions=sessions, log_signer=signer, pipeline=pipeline,
                   cache=cache, writer_engine=writer if writer is not engine else None)
