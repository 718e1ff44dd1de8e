"""Fixtures: a migrated database on SQLite and on PostgreSQL (each test its own schema), a runtime,
the demo deployment, and an app client. With CI=true a missing PostgreSQL fails instead of skipping."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from parley.assembly import open_runtime
from parley.db import make_engine, migrate
from parley.log.note import Signer
from parley.parties import credentials
from parley.runtime import Runtime, create_log_key, create_log_state
from parley.settings import Settings

PG_URL = os.environ.get("PARLEY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
SECRET = "test-secret-" + "k" * 40
ORIGIN = "test.parley.local/log"

# Cheap Argon2 in tests (a hash in about a millisecond); the server keeps argon2-cffi's t=3, 64 MiB.
credentials.use_hash_cost(time_cost=1, memory_cost=1024, parallelism=1)


def _pg_available() -> bool:
    try:
        eng = make_engine(PG_URL, connect_args={"connect_timeout": 3})
        with eng.connect() as c:
            c.execute(text("SELECT 1"))
        eng.dispose()
        return True
    except Exception:  # noqa: BLE001 — whatever stops the connection, there is no PostgreSQL to test against
        return False


@pytest.fixture(scope="session")
def pg_ok() -> bool:
    ok = _pg_available()
    if not ok and os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL is required in CI but not reachable at {PG_URL}")
    return ok


@contextmanager
def database(request: pytest.FixtureRequest, kind: str, directory: Path) -> Iterator[str]:
    """A new, empty database of ``kind``: a file in ``directory``, or a schema of its own on PostgreSQL."""
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'parley.db'}"
        return
    if not request.getfixturevalue("pg_ok"):
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}")
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = make_engine(PG_URL)
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database(request, request.param, tmp_path) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'parley.db'}"


def make_settings(url: str, data_dir: Path, **extra: Any) -> Settings:
    return Settings(database_url=url, data_dir=data_dir, secret_key=SECRET, log_origin=ORIGIN,
                    cookie_secure=False, **extra)


def make_runtime(url: str, data_dir: Path, **extra: Any) -> Runtime:
    settings = make_settings(url, data_dir, **extra)
    engine = make_engine(url)
    migrate(engine)
    create_log_key(settings)
    create_log_state(settings, engine)
    return open_runtime(settings, engine=engine)


@pytest.fixture
def runtime(db_url: str, tmp_path: Path) -> Iterator[Runtime]:
    rt = make_runtime(db_url, tmp_path)
    yield rt
    rt.close()


@pytest.fixture
def sqlite_runtime(sqlite_url: str, tmp_path: Path) -> Iterator[Runtime]:
    rt = make_runtime(sqlite_url, tmp_path)
    yield rt
    rt.close()


class Demo:
    """The demo deployment's sign-ins, by member id, with each member's own signer."""

    def __init__(self, signins: list[dict[str, Any]]) -> None:
        self.signins = {s["member"]: s for s in signins}

    def signer(self, member: str) -> Signer:
        return Signer.from_skey(Path(self.signins[member]["key_file"]).read_text().strip())

    def token(self, member: str) -> str:
        return self.signins[member]["api_token"]

    def password(self, member: str) -> str:
        return self.signins[member]["password"]

    def headers(self, member: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(member)}"}


def load_demo_into(rt: Runtime) -> Demo:
    from parley.demo import load_demo

    return Demo(load_demo(rt.pipeline, rt.sessions, rt.settings.secret_key, rt.settings.log_origin,
                          rt.settings.data_dir))


@pytest.fixture
def demo(runtime: Runtime) -> Demo:
    return load_demo_into(runtime)


@pytest.fixture
def client(runtime: Runtime, demo: Demo):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from parley.app import create_app

    with TestClient(create_app(runtime.settings, runtime)) as c:
        yield c


@pytest.fixture
def sqlite_demo(sqlite_runtime: Runtime) -> Demo:
    return load_demo_into(sqlite_runtime)


@pytest.fixture
def sqlite_client(sqlite_runtime: Runtime, sqlite_demo: Demo):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from parley.app import create_app

    with TestClient(create_app(sqlite_runtime.settings, sqlite_runtime)) as c:
        yield c


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)
