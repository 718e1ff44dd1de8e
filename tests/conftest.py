"""Fixtures: a migrated database on SQLite and on PostgreSQL, a runtime, the demo deployment, and an app
client. With CI=true a missing PostgreSQL fails instead of skipping.

A deployment (the migrated schema, the log key and state file, and for ``demo`` the whole scenario loaded
through the pipeline) is built once per session, backend and xdist worker; each test gets a copy of its
own: the SQLite file and the data directory copied into ``tmp_path``, or on PostgreSQL a database made with
``CREATE DATABASE … TEMPLATE`` (dropped after the test) and the data directory copied. Every test opens its
copy with a new runtime, so nothing in memory (node cache, log state, limits, the app) is shared."""

from __future__ import annotations

import json
import os
import queue
import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.engine import Engine

from parley.assembly import open_runtime
from parley.db import make_engine, migrate
from parley.log.note import Signer
from parley.parties import credentials
from parley.runtime import Runtime, create_log_key, create_log_state
from parley.settings import Settings

# An xdist worker has COLUMNS=80 and LINES=24 in its environment (set in the worker as it starts), which
# the CLI's Rich consoles would keep from import on; a terminal's size is each command's own (test_cli_tables).
if os.environ.get("PYTEST_XDIST_WORKER"):
    for name in ("COLUMNS", "LINES"):
        os.environ.pop(name, None)

PG_URL = os.environ.get("PARLEY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
SECRET = "test-secret-" + "k" * 40
ORIGIN = "test.parley.local/log"

# Cheap Argon2 in tests (a hash in about a millisecond); a deployment keeps RFC 9106's t=3, 64 MiB, p=4. Set in
# the environment too, so every Settings the tests make, and every `parley` they start, hashes cheaply.
CHEAP_HASHING = {"PARLEY_PASSWORD_HASH_TIME_COST": "1", "PARLEY_PASSWORD_HASH_MEMORY_KIB": "1024",
                 "PARLEY_PASSWORD_HASH_PARALLELISM": "1"}
os.environ.update(CHEAP_HASHING)
credentials.use_hash_cost(time_cost=1, memory_cost=1024, parallelism=1)


def _commands_built_once() -> None:
    """typer's CliRunner builds an app's click command again on every ``invoke`` (36 ms for ``parley talks``,
    more than many a command's own work); a ``parley`` process builds it once. Here each app's command is built
    once for each shape of the app (its commands and sub-apps, counted all the way down: ``parley.cli`` registers
    its sub-apps late), then reused."""
    import weakref

    import typer.main
    import typer.testing

    built: weakref.WeakKeyDictionary[Any, tuple[Any, Any]] = weakref.WeakKeyDictionary()

    def shape(app: Any) -> tuple[Any, ...]:
        return (len(app.registered_commands), id(app.registered_callback),
                tuple(shape(g.typer_instance) for g in app.registered_groups if g.typer_instance is not None))

    def command(app: Any) -> Any:
        now = shape(app)
        cached = built.get(app)
        if cached is None or cached[0] != now:
            cached = built[app] = (now, typer.main.get_command(app))
        return cached[1]

    typer.testing._get_command = command  # type: ignore[attr-defined]


_commands_built_once()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules with a slow or browser test run first (each module's tests in their order): on several
    workers, none of them is then left running one long test alone at the end."""
    heavy = {item.path for item in items if item.get_closest_marker("slow") or item.get_closest_marker("browser")}
    items.sort(key=lambda item: item.path not in heavy)


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
def backend(request: pytest.FixtureRequest) -> str:
    """The database a test runs on (``runtime``, ``demo``, ``client``, ``db_url``); PostgreSQL is skipped
    when it is not reachable, except with CI=true, where it fails."""
    if request.param == "postgresql" and not request.getfixturevalue("pg_ok"):
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}")
    return str(request.param)


@pytest.fixture
def db_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[str]:
    """A new database with no schema at all (the migration tests run the real migrations on it)."""
    with database(request, backend, tmp_path) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'parley.db'}"


def make_settings(url: str, data_dir: Path, **extra: Any) -> Settings:
    return Settings(database_url=url, data_dir=data_dir, secret_key=SECRET, log_origin=ORIGIN,
                    cookie_secure=False, **extra)


def make_runtime(url: str, data_dir: Path, **extra: Any) -> Runtime:
    """A new deployment: migrates the database at ``url``, creates the log key and state file in ``data_dir``."""
    settings = make_settings(url, data_dir, **extra)
    engine = make_engine(url)
    migrate(engine)
    create_log_key(settings)
    create_log_state(settings, engine)
    return open_runtime(settings, engine=engine)


def open_copy(url: str, data_dir: Path, **extra: Any) -> Runtime:
    """A runtime on a copied deployment (``Deployments.copy``): its schema, log key and state file exist."""
    return open_runtime(make_settings(url, data_dir, **extra), engine=make_engine(url))


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

    def moved_to(self, data_dir: Path) -> Demo:
        """The same sign-ins for a copy of the deployment in ``data_dir``: its own key files, and its
        ``demo-credentials.json`` naming them."""
        signins = [{**s, "key_file": str((data_dir / "keys" / Path(s["key_file"]).name).resolve())}
                   for s in self.signins.values()]
        creds = data_dir / "demo-credentials.json"
        if creds.exists():
            listing = json.loads(creds.read_text())
            listing["sign_ins"] = signins
            creds.write_text(json.dumps(listing, ensure_ascii=False, indent=2))  # keeps the file's 0600
        return Demo(signins)


def load_demo_into(rt: Runtime) -> Demo:
    from parley.demo import load_demo

    return Demo(load_demo(rt.pipeline, rt.sessions, rt.settings.secret_key, rt.settings.log_origin,
                          rt.settings.data_dir))


# Under pytest-xdist each worker builds its own templates and names its databases after itself.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


def pg_database_url(name: str) -> str:
    """``PG_URL`` with another database of the same server."""
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


@dataclass
class Template:
    backend: str
    directory: Path  # the data directory (log.key, log.state, the demo's keys) and, on SQLite, parley.db
    database: str | None  # PostgreSQL: the template database
    demo: Demo | None  # None: a migrated deployment without the demo


class Deployments:
    """Deployments built once (per session and worker) and copied for each test that asks for one."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.templates: dict[tuple[str, bool], Template] = {}
        self._admin: Engine | None = None
        self._drops: queue.Queue[str | None] = queue.Queue()
        self._dropper: threading.Thread | None = None
        self.drop_errors: list[str] = []
        # PostgreSQL copies made ahead, per template, by a thread of their own: CREATE DATABASE … TEMPLATE takes
        # 0.3-0.6 s here (mostly waiting on the WAL), which a test would otherwise wait for in its setup.
        self._ready: dict[tuple[str, bool], queue.Queue[str | BaseException]] = {}
        self._copiers: list[threading.Thread] = []
        self._stop = threading.Event()
        self._starting = threading.Lock()

    def admin(self) -> Engine:
        if self._admin is None:
            self._admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT", pool_size=2, max_overflow=3)
        return self._admin

    def template(self, backend: str, with_demo: bool) -> Template:
        key = (backend, with_demo)
        if key not in self.templates:
            self.templates[key] = self._build(backend, with_demo)
        return self.templates[key]

    def _build(self, backend: str, with_demo: bool) -> Template:
        label = "demo" if with_demo else "empty"
        directory = self.root / f"{backend}-{label}"
        database = None
        if backend == "sqlite":
            url = f"sqlite:///{directory / 'parley.db'}"
        else:
            database = f"parley_tpl_{WORKER}_{label}_{uuid.uuid4().hex[:8]}"
            with self.admin().connect() as c:
                c.execute(text(f'CREATE DATABASE "{database}"'))
            url = pg_database_url(database)
        try:
            rt = make_runtime(url, directory)
            try:
                demo = load_demo_into(rt) if with_demo else None
            finally:
                rt.close()
        except BaseException:
            if database is not None:
                self._drop(database)
            raise
        if database is not None:
            with self.admin().connect() as c:
                # CREATE DATABASE … TEMPLATE copies only a database nobody is connected to: none may connect.
                c.execute(text(f'ALTER DATABASE "{database}" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false'))
                c.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"),
                          {"d": database})
        return Template(backend, directory, database, demo)

    @contextmanager
    def copy(self, backend: str, with_demo: bool, data_dir: Path) -> Iterator[tuple[str, Demo | None]]:
        """A copy of the deployment, its data directory in ``data_dir`` (on SQLite the database too):
        the database URL and the demo's sign-ins. A PostgreSQL copy is dropped afterwards."""
        if backend == "sqlite":
            yield self.sqlite_copy(with_demo, data_dir)
            return
        tpl = self.template(backend, with_demo)
        shutil.copytree(tpl.directory, data_dir, dirs_exist_ok=True)
        demo = tpl.demo.moved_to(data_dir) if tpl.demo is not None else None
        name = self._next_copy((backend, with_demo), tpl)
        try:
            yield pg_database_url(name), demo
        finally:
            self._drop(name)

    def _next_copy(self, key: tuple[str, bool], tpl: Template) -> str:
        """A new database copied from ``tpl``: one the copier made ahead, waiting for it if none is ready."""
        ready = self._ready.get(key)
        if ready is None:
            ready = self._ready[key] = queue.Queue(maxsize=2)
            t = threading.Thread(target=self._copy_ahead, args=(tpl, ready), name=f"copy-{key[1]}", daemon=True)
            self._copiers.append(t)
            t.start()
        got = ready.get()
        if isinstance(got, BaseException):
            raise got
        return got

    def _copy_ahead(self, tpl: Template, ready: queue.Queue[str | BaseException]) -> None:
        while not self._stop.is_set():
            name = f"parley_t_{WORKER}_{uuid.uuid4().hex[:12]}"
            try:
                with self.admin().connect() as c:
                    c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{tpl.database}"'))
            except BaseException as exc:  # noqa: BLE001 - handed to the test that waits for the copy
                ready.put(exc)
                return
            while True:
                try:
                    ready.put(name, timeout=0.2)
                    break
                except queue.Full:
                    if self._stop.is_set():
                        self._drop(name)
                        return

    def sqlite_copy(self, with_demo: bool, data_dir: Path) -> tuple[str, Demo | None]:
        """A copy of the SQLite deployment in ``data_dir``, as ``make_runtime`` (and ``load_demo_into``) would
        leave it there: the database URL and the demo's sign-ins."""
        tpl = self.template("sqlite", with_demo)
        shutil.copytree(tpl.directory, data_dir, dirs_exist_ok=True)
        return f"sqlite:///{data_dir / 'parley.db'}", tpl.demo.moved_to(data_dir) if tpl.demo is not None else None

    def sqlite_demo(self, data_dir: Path, **extra: Any) -> tuple[Runtime, Demo]:
        """``make_runtime`` then ``load_demo_into`` on SQLite in ``data_dir``, from a copy: the caller closes
        the runtime."""
        url, demo = self.sqlite_copy(True, data_dir)
        assert demo is not None
        return open_copy(url, data_dir, **extra), demo

    def _drop(self, name: str) -> None:
        # DROP DATABASE waits for a checkpoint: a thread of its own does it while the next tests run.
        with self._starting:  # the tests' thread and the copiers drop
            if self._dropper is None:
                self._dropper = threading.Thread(target=self._drop_queued, name="drop-test-databases", daemon=True)
                self._dropper.start()
        self._drops.put(name)

    def _drop_queued(self) -> None:
        while (name := self._drops.get()) is not None:
            try:
                with self.admin().connect() as c:
                    c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            except Exception as exc:  # noqa: BLE001 - any failure to drop is reported when the session ends
                self.drop_errors.append(f"{name}: {exc}")

    def close(self) -> None:
        self._stop.set()
        for t in self._copiers:
            t.join()
        for ready in self._ready.values():
            while not ready.empty():
                left = ready.get()
                if isinstance(left, str):
                    self._drop(left)
        if self._dropper is not None:
            self._drops.put(None)
            self._dropper.join()
        for tpl in self.templates.values():
            if tpl.database is not None:
                with self.admin().connect() as c:
                    c.execute(text(f'ALTER DATABASE "{tpl.database}" WITH IS_TEMPLATE false'))
                    c.execute(text(f'DROP DATABASE "{tpl.database}" WITH (FORCE)'))
        if self._admin is not None:
            self._admin.dispose()
        assert not self.drop_errors, f"test databases not dropped: {self.drop_errors}"


@pytest.fixture(scope="session")
def deployments(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployments]:
    built = Deployments(tmp_path_factory.mktemp("deployments"))
    yield built
    built.close()


@contextmanager
def copied(deployments: Deployments, backend: str, with_demo: bool, data_dir: Path,
           **extra: Any) -> Iterator[tuple[Runtime, Demo | None]]:
    """A runtime on a copy of the (demo) deployment in ``data_dir``, closed afterwards."""
    with deployments.copy(backend, with_demo, data_dir) as (url, demo):
        rt = open_copy(url, data_dir, **extra)
        try:
            yield rt, demo
        finally:
            rt.close()


@pytest.fixture
def _deployment(request: pytest.FixtureRequest, deployments: Deployments, backend: str,
                tmp_path: Path) -> Iterator[tuple[Runtime, Demo | None]]:
    # The demo's copy when the test uses the demo (``demo``, ``client`` and the fixtures over them).
    with copied(deployments, backend, "demo" in request.fixturenames, tmp_path) as deployment:
        yield deployment


@pytest.fixture
def runtime(_deployment: tuple[Runtime, Demo | None]) -> Runtime:
    return _deployment[0]


@pytest.fixture
def demo(_deployment: tuple[Runtime, Demo | None]) -> Demo:
    rt, demo = _deployment
    return demo if demo is not None else load_demo_into(rt)


@pytest.fixture
def client(runtime: Runtime, demo: Demo):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from parley.app import create_app

    with TestClient(create_app(runtime.settings, runtime)) as c:
        yield c


@pytest.fixture
def _sqlite_deployment(request: pytest.FixtureRequest, deployments: Deployments,
                       tmp_path: Path) -> Iterator[tuple[Runtime, Demo | None]]:
    with copied(deployments, "sqlite", "sqlite_demo" in request.fixturenames, tmp_path) as deployment:
        yield deployment


@pytest.fixture
def sqlite_runtime(_sqlite_deployment: tuple[Runtime, Demo | None]) -> Runtime:
    return _sqlite_deployment[0]


@pytest.fixture
def sqlite_demo(_sqlite_deployment: tuple[Runtime, Demo | None]) -> Demo:
    rt, demo = _sqlite_deployment
    return demo if demo is not None else load_demo_into(rt)


@pytest.fixture
def sqlite_client(sqlite_runtime: Runtime, sqlite_demo: Demo):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from parley.app import create_app

    with TestClient(create_app(sqlite_runtime.settings, sqlite_runtime)) as c:
        yield c


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)
