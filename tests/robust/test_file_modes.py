"""Every person is in the database in clear: the data directory is its owner's only (0700), and the
database, its -wal and -shm files and the witnesses' databases are 0600 whatever the umask (security
issue 9, finding 13; security.md V16). Files an older version left readable by others are narrowed."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from parley.db import make_engine, migrate
from parley.log.note import Signer
from parley.witness.store import WitnessStore


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    old = os.umask(0o022)  # the usual default, which made the files 0644
    yield
    os.umask(old)


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def assert_database_private(db: Path) -> None:
    files = [db, Path(f"{db}-wal"), Path(f"{db}-shm")]
    assert all(f.exists() for f in files), [f.name for f in files if not f.exists()]
    assert {f.name: oct(mode(f)) for f in files} == {f.name: "0o600" for f in files}


def write_through(url: str) -> None:
    engine = make_engine(url)
    migrate(engine)
    with engine.begin() as c:
        c.execute(text("CREATE TABLE IF NOT EXISTS t (x TEXT)"))
        c.execute(text("INSERT INTO t VALUES ('Ковальов')"))
    with engine.connect() as c:  # WAL and shared memory exist while a connection is open
        c.execute(text("SELECT count(*) FROM t"))
        assert_database_private(Path(url.split("///", 1)[1]))
    engine.dispose()


def test_a_new_database_and_its_wal_are_private(tmp_path: Path) -> None:
    data = tmp_path / "new" / "data"
    write_through(f"sqlite:///{data / 'parley.db'}")
    assert mode(data) == 0o700


def test_an_old_world_readable_database_is_narrowed(tmp_path: Path) -> None:
    db = tmp_path / "parley.db"
    url = f"sqlite:///{db}"
    write_through(url)
    for f in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        if f.exists():
            os.chmod(f, 0o644)
    write_through(url)


def cli(*args: str, env: dict[str, str] | None = None) -> Any:
    from parley.cli import app

    r = CliRunner().invoke(app, list(args), env={"PARLEY_SECRET_KEY": "s" * 40, **(env or {})})
    assert r.exit_code == 0, r.output
    return r


def test_parley_init_keeps_the_data_directory_to_its_owner(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    cli("init", "--data", str(data), "--party", "icrc", "--admin", "admin")
    assert mode(data) == 0o700
    assert mode(data / "log.key") == 0o600
    write_through(f"sqlite:///{data / 'parley.db'}")  # the one init made, opened again: still private


def test_parley_demo_keeps_its_data_to_its_owner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import parley.demo

    def no_scenario(pipeline: Any, sessions: Any, secret: str, origin: str, data_dir: Path) -> list[Any]:
        (data_dir / "demo-credentials.json").write_text(json.dumps({"sign_ins": [], "family_inquiries": []}))
        return []

    monkeypatch.setattr(parley.demo, "load_demo", no_scenario)  # the scenario takes ten seconds; not the point
    data = tmp_path / "demo"
    data.mkdir(mode=0o755)
    cli("demo", "--data", str(data), "--no-witnesses", "--exit-after-load")
    assert mode(data) == 0o700 and mode(data / "secret.key") == 0o600 and mode(data / "log.key") == 0o600
    assert mode(data / "parley.db") == 0o600


def test_a_witness_keeps_its_state_to_its_owner(tmp_path: Path) -> None:
    d = tmp_path / "witness"
    store = WitnessStore(d, "witness.test.example")
    store.add_log("log.example", [Signer.generate("log.example").vkey()])  # the database is written
    assert mode(d) == 0o700
    assert_database_private(d / "witness.db")
    store.close()
    os.chmod(d, 0o755)  # noqa: S103 — loosened on purpose: reopening must make it private again
    os.chmod(d / "witness.db", 0o644)
    store = WitnessStore(d)
    assert mode(d) == 0o700 and mode(d / "witness.db") == 0o600
    store.close()
