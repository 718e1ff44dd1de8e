"""``parley backup`` and ``parley restore`` (parley/backup.py): an online, consistent copy while writers
write, verified after writing; a damaged copy refused; a restore into a new deployment only, whose state
file comes from the newest released checkpoint, never from the backup, and which names the entries an
older backup lacks. PostgreSQL runs when it is reachable (with CI=true it must be); pg_dump and
pg_restore are then required too, except where they are absent outside CI."""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import tarfile
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from parley.backup import (MANIFEST, BackupError, Manifest, create_backup, extract_member, read_manifest,
                           restore_backup, verify_backup)
from parley.db import make_engine, session_factory
from parley.log.models import LogEntry, LogHead
from parley.log.note import Verifier
from parley.records.compose import compose
from tests.conftest import ORIGIN, SECRET, Deployments, pg_database_url


def note(demo, i: int, who: str = "ua/negotiator"):  # type: ignore[no-untyped-def]
    payload = {"text": f"backup test {i}"}
    return compose(demo.signer(who), origin=ORIGIN, kind="record.note", audience="all", payload=payload), payload


def head(rt) -> int:  # type: ignore[no-untyped-def]
    with rt.sessions() as s:
        return s.get(LogHead, 1).size


@pytest.fixture
def pg_tools(backend: str) -> None:
    if backend == "postgresql" and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        if os.environ.get("CI") == "true":
            pytest.fail("pg_dump and pg_restore are required in CI")
        pytest.skip("pg_dump/pg_restore are not installed")


def new_pg_database(deployments: Deployments) -> tuple[str, str]:
    name = f"parley_restore_{uuid.uuid4().hex[:12]}"
    with deployments.admin().connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    return name, pg_database_url(name)


def stored_hashes(url: str, indices: list[int]) -> dict[int, str]:
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with session_factory(engine)() as s:
            rows = s.execute(select(LogEntry.idx, LogEntry.record_hash).where(LogEntry.idx.in_(indices))).all()
            return dict(rows)
    finally:
        engine.dispose()


def test_a_backup_while_writers_write_holds_every_acknowledged_record(runtime, demo, backend, pg_tools,
                                                                     deployments, tmp_path_factory):
    rt = runtime
    out = tmp_path_factory.mktemp("backups") / "parley.backup"
    acknowledged: list[tuple[float, int, str]] = []  # (when, index, record hash)
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer(w: int) -> None:
        i = 0
        try:
            while not stop.is_set():
                receipt = rt.pipeline.submit(*note(demo, w * 100_000 + i))
                acknowledged.append((time.monotonic(), receipt.index, receipt.record_hash))
                i += 1
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    while len(acknowledged) < 40 and not errors:
        time.sleep(0.01)
    began = time.monotonic()
    before = [(i, h) for when, i, h in list(acknowledged) if when < began]
    keys = tmp_path_factory.mktemp("keys") / "data.keys"
    manifest = create_backup(rt.settings, out, progress=lambda *a: None, keys_out=keys)
    assert os.stat(keys).st_mode & 0o777 == 0o600
    during = len(acknowledged)
    while len(acknowledged) < during + 20 and not errors:  # writers go on after it too
        time.sleep(0.01)
    stop.set()
    for t in threads:
        t.join()
    assert not errors, errors
    assert manifest.size < head(rt)
    assert os.stat(out).st_mode & 0o777 == 0o600
    # The file verifies (again, from scratch), and holds every record acknowledged before it began.
    again, report = verify_backup(out, Verifier.from_vkey(rt.log_signer.vkey()), scratch_on=rt.settings.database_url)
    assert report.ok and again == manifest and report.entries == manifest.size
    assert manifest.size >= max(i for i, _ in before) + 1
    target = tmp_path_factory.mktemp("restored") / "data"
    if backend == "sqlite":
        result = restore_backup(out, target, rt.settings.data_dir / "log.key", [rt.state.path], keys_file=keys)
        url = f"sqlite:///{target / 'parley.db'}"
    else:
        name, url = new_pg_database(deployments)
        result = restore_backup(out, target, rt.settings.data_dir / "log.key", [rt.state.path], database_url=url,
                                keys_file=keys)
    try:
        assert stored_hashes(url, [i for i, _ in before]) == dict(before)
        # Records acknowledged after it began may or may not be in it; the released tree is beyond it.
        assert result.size == manifest.size and result.missing is not None
    finally:
        if backend == "postgresql":
            deployments._drop(name)


def _rewrite(backup: Path, out: Path, db: Path, **changes: object) -> None:
    """``backup`` with its database replaced by ``db`` and its manifest changed (hash kept consistent); its other
    members (the sealed rows) as they were."""
    import hashlib

    manifest = read_manifest(backup)
    data = db.read_bytes()
    fields = {**manifest.__dict__, "member_bytes": len(data), "member_sha256": hashlib.sha256(data).hexdigest(),
              **changes}
    with tarfile.open(out, "w") as tar:
        m = Manifest(**fields).to_json()  # type: ignore[arg-type]
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(m)
        tar.addfile(info, io.BytesIO(m))
        info = tarfile.TarInfo(manifest.member)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        with tarfile.open(backup) as old:
            for m in old.getmembers():
                if m.name not in (MANIFEST, manifest.member):
                    tar.addfile(m, old.extractfile(m))


def test_a_damaged_or_altered_backup_is_refused(sqlite_runtime, sqlite_demo, tmp_path_factory):
    rt = sqlite_runtime
    rt.pipeline.submit_many([note(sqlite_demo, i) for i in range(3)])
    work = tmp_path_factory.mktemp("backups")
    good = work / "good.backup"
    manifest = create_backup(rt.settings, good, keys_out=work / "good.keys")
    verifier = Verifier.from_vkey(rt.log_signer.vkey())
    assert verify_backup(good, verifier)[1].ok

    # A flipped byte in the database member: its hash no longer matches the manifest.
    flipped = work / "flipped.backup"
    raw = bytearray(good.read_bytes())
    raw[-20_000] ^= 0x01
    flipped.write_bytes(bytes(raw))
    with pytest.raises(BackupError, match="damaged"):
        verify_backup(flipped, verifier)

    # A payload altered inside the copy, the manifest's hash recomputed to match: the log's check catches it.
    db = work / "copy.db"
    extract_member(good, manifest, db)
    with sqlite3.connect(db) as c:
        changed = c.execute("UPDATE log_entry SET payload = '{\"text\":\"backup test X\"}' WHERE idx = ?",
                            (manifest.size - 2,)).rowcount
    c.close()
    assert changed == 1
    altered = work / "altered.backup"
    _rewrite(good, altered, db)
    with pytest.raises(BackupError, match=f"entry {manifest.size - 2}: its payload does not hash"):
        verify_backup(altered, verifier)
    with pytest.raises(BackupError, match="does not verify"):
        restore_backup(altered, work / "restored", rt.settings.data_dir / "log.key", [rt.state.path],
                       keys_file=work / "good.keys")
    assert not (work / "restored").exists()

    # A copy that lost its newest entries but claims, with a fresh hash, to be a backup of the released log.
    short = work / "short.db"
    extract_member(good, manifest, short)
    with sqlite3.connect(short) as c:
        c.execute("DELETE FROM log_entry WHERE idx = ?", (manifest.size - 1,))
    c.close()
    _rewrite(good, work / "short.backup", short)
    with pytest.raises(BackupError, match=f"entry {manifest.size - 1} is missing"):
        verify_backup(work / "short.backup", verifier)

    # Another log's key.
    from parley.log.note import Signer

    with pytest.raises(BackupError, match="another log"):
        verify_backup(good, Verifier.from_vkey(Signer.generate(ORIGIN).vkey()))


def flat(result) -> str:  # type: ignore[no-untyped-def]
    """A command's output with Rich's line wrapping undone."""
    return " ".join(result.output.split())


def _cli_env(monkeypatch: pytest.MonkeyPatch, data: Path, url: str | None = None) -> None:
    for k, v in {"PARLEY_DATABASE_URL": url or f"sqlite:///{data / 'parley.db'}", "PARLEY_DATA_DIR": str(data),
                 "PARLEY_SECRET_KEY": SECRET, "PARLEY_LOG_ORIGIN": ORIGIN}.items():
        monkeypatch.setenv(k, v)


def test_restore_goes_into_a_new_deployment_and_names_the_entries_an_older_backup_lacks(
        tmp_path, tmp_path_factory, monkeypatch, deployments):
    from parley.cli import _register_commands, app

    _register_commands()
    rt, demo = deployments.sqlite_demo(tmp_path)
    live = rt.settings.data_dir
    work = tmp_path_factory.mktemp("backups")
    backup = work / "older.backup"
    _cli_env(monkeypatch, live)
    older_keys = work / "older.keys"
    made = CliRunner().invoke(app, ["backup", "--data", str(live), "--out", str(backup), "--keys-out", str(older_keys)])
    assert made.exit_code == 0, made.output
    assert "written and verified" in flat(made) and "holds no keys" in flat(made) and "rows of personal data" \
        in flat(made)
    with tarfile.open(backup) as tar:
        # No log.key, no secret, no state file, no data key: the personal data sealed beside the database.
        assert tar.getnames() == ["manifest.json", "parley.db", "sealed-rows.json"]
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert "PRIVATE" not in json.dumps(manifest) and manifest["log_vkey"] == rt.log_signer.vkey()
    again = CliRunner().invoke(app, ["backup", "--data", str(live), "--out", str(backup)])
    assert again.exit_code == 1 and "already exists" in flat(again)

    size = head(rt)
    rt.pipeline.submit_many([note(demo, i) for i in range(5)])
    assert head(rt) == size + 5
    rt.close()
    key = str(live / "log.key")

    refused = CliRunner().invoke(app, ["restore", "--backup", str(backup), "--data", str(live), "--log-key", key,
                                       "--checkpoint", str(live / "log.state")])
    assert refused.exit_code == 1 and "not empty" in flat(refused)
    unsaid = CliRunner().invoke(app, ["restore", "--backup", str(backup), "--data", str(work / "n0"),
                                      "--log-key", key])
    assert unsaid.exit_code == 1 and "--checkpoint" in flat(unsaid) and not (work / "n0").exists()
    other = work / "other.key"
    from parley.log.note import Signer

    other.write_text(Signer.generate(ORIGIN).skey())
    wrong = CliRunner().invoke(app, ["restore", "--backup", str(backup), "--data", str(work / "n0"),
                                     "--log-key", str(other), "--checkpoint", str(live / "log.state")])
    assert wrong.exit_code == 1 and "not the key of the log" in flat(wrong)

    # Without a key source the sealed personal data cannot be opened: refused, nothing written.
    keyless = CliRunner().invoke(app, ["restore", "--backup", str(backup), "--data", str(work / "n0"),
                                       "--log-key", key, "--checkpoint", str(live / "log.state")])
    assert keyless.exit_code == 1 and "no key source gives" in flat(keyless) and not (work / "n0").exists()
    # Restored with the live state file: 5 released entries are not in the backup; it says which.
    new = work / "n1"
    older = CliRunner().invoke(app, ["restore", "--backup", str(backup), "--data", str(new), "--log-key", key,
                                     "--checkpoint", str(live / "log.state"), "--keys", str(older_keys)])
    missing = f"entries {size} to {size + 4} (5 entries) are released but not in this backup"
    assert older.exit_code == 3, older.output
    assert missing in flat(older)
    assert (new / "log.state").read_bytes() == (live / "log.state").read_bytes()
    assert {p.name for p in new.iterdir()} == {"parley.db", "log.key", "log.state"}
    assert all(os.stat(p).st_mode & 0o077 == 0 for p in new.iterdir())
    _cli_env(monkeypatch, new)
    served = CliRunner().invoke(app, ["serve", "--port", "9"])
    said = flat(served)
    assert served.exit_code == 1 and "refusing to start" in said
    assert f"entries {size} to {size + 4} (5 entries) are released but not in this database" in said

    # A fresh backup of the live log restores consistent, checks clean, and serves.
    _cli_env(monkeypatch, live)
    newer = work / "newer.backup"
    newer_keys = work / "newer.keys"
    assert CliRunner().invoke(app, ["backup", "--data", str(live), "--out", str(newer),
                                    "--keys-out", str(newer_keys)]).exit_code == 0
    fresh = work / "n2"
    ok = CliRunner().invoke(app, ["restore", "--backup", str(newer), "--data", str(fresh), "--log-key", key,
                                  "--checkpoint", str(live / "log.state"), "--checkpoint", str(new / "log.state"),
                                  "--keys", str(newer_keys)])
    assert ok.exit_code == 0 and "consistent with the released checkpoint" in flat(ok)
    _cli_env(monkeypatch, fresh)
    checked = CliRunner().invoke(app, ["log", "check", "--data", str(fresh)])
    assert checked.exit_code == 0 and f"(size {size + 5}, state file at {size + 5})" in flat(checked)
    from tests.conftest import open_copy

    rt2 = open_copy(f"sqlite:///{fresh / 'parley.db'}", fresh)
    try:
        receipt = rt2.pipeline.submit(*note(demo, 99))
        assert receipt.index == size + 5
    finally:
        rt2.close()


def test_backup_fails_with_exit_1(tmp_path, tmp_path_factory, monkeypatch, deployments):
    from parley.cli import _register_commands, app

    _register_commands()
    deployments.sqlite_copy(False, tmp_path)
    (tmp_path / "log.key").unlink()
    _cli_env(monkeypatch, tmp_path)
    out = tmp_path_factory.mktemp("backups") / "x.backup"
    failed = CliRunner().invoke(app, ["backup", "--data", str(tmp_path), "--out", str(out)])
    assert failed.exit_code == 1 and "backup failed" in flat(failed) and "log key" in flat(failed)
    assert not out.exists()
    failed = CliRunner().invoke(app, ["backup", "--data", str(tmp_path), "--out", str(tmp_path / "no" / "x")])
    assert failed.exit_code == 1 and "does not exist" in flat(failed)


def test_the_sealed_personal_data_opens_only_with_this_logs_keys_and_unaltered(sqlite_runtime, sqlite_demo,
                                                                              tmp_path_factory):
    """A backup's sealed rows (``parley.sealed_rows``): a keys file of another log, a key that is not the
    subject's, a row altered inside the member (its hash recomputed) — each refused, nothing served."""
    import base64
    import hashlib

    rt = sqlite_runtime
    work = tmp_path_factory.mktemp("sealed")
    good, keys = work / "good.backup", work / "good.keys"
    manifest = create_backup(rt.settings, good, keys_out=keys)
    assert manifest.sealed_rows > 0
    state, key = [rt.state.path], rt.settings.data_dir / "log.key"

    # The keys file of another log.
    other = work / "other.keys"
    other.write_text(keys.read_text().replace(ORIGIN, "other.example/log"))
    with pytest.raises(BackupError, match="keys file is of log"):
        restore_backup(good, work / "r1", key, state, keys_file=other)
    # A key that is not the subject's: the sealed rows do not open; the directory must not be served.
    body = json.loads(keys.read_text())
    body["keys"][0]["key"] = base64.b64encode(b"\x01" * 32).decode()
    wrong = work / "wrong.keys"
    wrong.write_text(json.dumps(body))
    with pytest.raises(BackupError, match=r"does not open under its subjects' keys.*must not be served"):
        restore_backup(good, work / "r2", key, state, keys_file=wrong)
    assert not (work / "r2" / "log.state").exists()
    # A row altered inside the member, the manifest's hash recomputed to match: it does not open either.
    with tarfile.open(good) as tar:
        held = json.loads(tar.extractfile("sealed-rows.json").read())  # type: ignore[union-attr]
    row = next(r for rows in held["tables"].values() for r in rows)
    ct = bytearray(base64.b64decode(row["ct"]))
    ct[0] ^= 1
    row["ct"] = base64.b64encode(bytes(ct)).decode()
    data = json.dumps(held).encode()
    altered = work / "altered.backup"
    db = work / "copy.db"
    extract_member(good, manifest, db)
    _rewrite(good, work / "tmp.backup", db)
    with tarfile.open(work / "tmp.backup") as src, tarfile.open(altered, "w") as tar:
        fixed = {**json.loads(src.extractfile(MANIFEST).read()),  # type: ignore[union-attr]
                 "sealed_bytes": len(data), "sealed_sha256": hashlib.sha256(data).hexdigest()}
        for name, content in ((MANIFEST, json.dumps(fixed).encode()), (manifest.member, db.read_bytes()),
                              ("sealed-rows.json", data)):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    with pytest.raises(BackupError, match="does not open under its subjects' keys"):
        restore_backup(altered, work / "r3", key, state, keys_file=keys)
    # The member itself damaged (its hash no longer the manifest's): refused when read.
    damaged = work / "damaged.backup"
    with tarfile.open(good) as src, tarfile.open(damaged, "w") as tar:
        for m in src.getmembers():
            content = src.extractfile(m).read()  # type: ignore[union-attr]
            if m.name == "sealed-rows.json":
                content = content.replace(b'"ct":"', b'"ct":"A', 1)
            info = tarfile.TarInfo(m.name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    with pytest.raises(BackupError, match=r"sealed-rows\.json is damaged"):
        verify_backup(damaged, Verifier.from_vkey(rt.log_signer.vkey()))
    # And the good one, with its keys, restores.
    done = restore_backup(good, work / "r4", key, state, keys_file=keys)
    assert done.missing is None


def test_a_role_that_may_not_create_databases_backs_up_with_a_verify_database(pg_ok, tmp_path):
    """PostgreSQL: a role without CREATEDB (as on many managed servers) seals and checks its backup in the
    empty database ``verify_url`` names (emptied again between the two), and is told to name one without it."""
    from sqlalchemy.engine import make_url as _url

    from tests.conftest import PG_URL, load_demo_into, make_runtime

    if not pg_ok:
        pytest.skip("PostgreSQL not reachable")
    role = f"parley_nocreatedb_{uuid.uuid4().hex[:8]}"
    live, check = f"{role}_live", f"{role}_check"
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE ROLE "{role}" LOGIN NOCREATEDB'))
        c.execute(text(f'CREATE DATABASE "{live}" OWNER "{role}"'))
        c.execute(text(f'CREATE DATABASE "{check}" OWNER "{role}"'))
    as_role = _url(PG_URL).set(username=role, password=None)
    url = as_role.set(database=live).render_as_string(hide_password=False)
    verify = as_role.set(database=check).render_as_string(hide_password=False)
    rt = make_runtime(url, tmp_path / "data")
    try:
        load_demo_into(rt)
        with pytest.raises(BackupError, match="--verify-url"):
            create_backup(rt.settings, tmp_path / "without.backup")
        # Written, then read back and checked in the verify database (create_backup raises otherwise).
        manifest = create_backup(rt.settings, tmp_path / "with.backup", verify_url=verify)
        assert manifest.backend == "postgresql" and manifest.sealed_rows > 0 and manifest.size > 0
    finally:
        rt.close()
        with admin.connect() as c:
            for name in (live, check):
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            c.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()
