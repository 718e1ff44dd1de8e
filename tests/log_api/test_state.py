"""The log's state file (log/state.py): what the log last released, kept beside its key and outside the
database. Written before any receipt or publication; a database behind it is refused (a rollback, an
older backup); a database ahead of it by a batch committed just before a crash is checked and caught up."""

from __future__ import annotations

import logging
import os
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from parley.app import create_app
from parley.assembly import open_runtime
from parley.db import make_engine, session_factory
from parley.log.checkpoint import Checkpoint
from parley.log.models import LogCheckpoint, LogHead, LogNode
from parley.log.note import Signer, open_note, sign_note
from parley.log.state import LogUnavailable, StateError
from parley.logserver.replay import replay
from parley.records.compose import compose
from tests.conftest import ORIGIN, SECRET, make_settings
from tests.log_api.test_tamper import roll_back


def note(demo, i: int, who: str = "ua/negotiator"):  # type: ignore[no-untyped-def]
    payload = {"text": f"state test {i}"}
    return compose(demo.signer(who), origin=ORIGIN, kind="record.note", audience="all", payload=payload), payload


def head(rt) -> int:  # type: ignore[no-untyped-def]
    with rt.sessions() as s:
        return s.get(LogHead, 1).size


def test_every_receipt_comes_after_its_checkpoint_is_in_the_state_file(runtime, demo):
    rt = runtime
    state = rt.state.current()
    assert state.size == head(rt) and rt.state.path == rt.settings.data_dir / "log.state"
    assert os.stat(rt.state.path).st_mode & 0o777 == 0o600
    seen = []
    real = rt.state.advance

    def spy(cp_note: bytes, **kw):  # type: ignore[no-untyped-def]
        seen.append(cp_note)
        return real(cp_note, **kw)

    rt.state.advance = spy  # type: ignore[method-assign]
    receipt = rt.pipeline.submit(*note(demo, 1))
    assert seen == [receipt.checkpoint.encode()]
    assert rt.state.current().note == receipt.checkpoint.encode() and rt.state.current().size == receipt.index + 1
    # The file holds the log-signed checkpoint itself: anyone with the log key can check it.
    text, _, _ = open_note(rt.state.path.read_bytes(), [rt.state.verifier])
    assert Checkpoint.parse(text).size == receipt.index + 1


def test_the_appender_verifies_its_checkpoint_once_and_another_writer_is_still_seen(sqlite_runtime, sqlite_demo,
                                                                                     monkeypatch):
    """What the appender wrote is cached under the file's new identity (no second read and verification);
    a file another process wrote is read and verified again."""
    rt, demo = sqlite_runtime, sqlite_demo
    verified: list[bytes] = []
    real = type(rt.state.verifier).verify

    def counting(self, msg: bytes, sig: bytes) -> bool:  # type: ignore[no-untyped-def]
        verified.append(msg)
        return real(self, msg, sig)

    monkeypatch.setattr(type(rt.state.verifier), "verify", counting)
    receipt = rt.pipeline.submit(*note(demo, 1))
    checkpoint_text = receipt.checkpoint.split("\n\n")[0].encode() + b"\n"
    assert verified.count(checkpoint_text) == 0  # signed here: neither parsed nor verified to record it
    assert rt.state.current().size == receipt.index + 1 and verified.count(checkpoint_text) == 0
    # Another process advances the file (here: a second LogState on the same path).
    from parley.log.state import LogState

    other = LogState(rt.state.path, rt.state.verifier, rt.state.origin)
    later = rt.pipeline.submit(*note(demo, 2))
    before = len(verified)
    other.advance(later.checkpoint.encode())  # the same checkpoint again: nothing to write
    rt.state.path.write_bytes(later.checkpoint.encode())  # rewritten in place by someone else
    os.utime(rt.state.path, ns=(1, 1))
    assert rt.state.current().size == later.index + 1 and len(verified) > before  # read and verified again
    # A note whose claimed size and root are not its own is parsed as any other.
    with pytest.raises(StateError, match="does not hold a checkpoint signed"):
        from parley.log.state import Released

        rt.state.advance(b"not a note", signed=Released(later.index + 5, b"x" * 32, b"another note"))


def test_a_crash_between_commit_and_state_write(runtime, demo, caplog):
    """The batch is stored but neither acknowledged nor served; the next append, or the next start,
    checks the database extends the released tree and records it."""
    rt = runtime
    released = rt.state.current()

    def disk_full(_: bytes, **kw):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device")

    rt.state.advance = disk_full  # type: ignore[method-assign]
    lost = note(demo, 1)
    with pytest.raises(LogUnavailable, match="stored but the log could not record its checkpoint"):
        rt.pipeline.submit(*lost)
    assert head(rt) == released.size + 1 and rt.state.current().size == released.size
    with TestClient(create_app(rt.settings, rt)) as client:
        h = demo.headers("ua/negotiator")
        # Committed but not released: not served, not proven against, not listed.
        cp = Checkpoint.parse(client.get("/log/checkpoint", headers=h).text.split("\n\n")[0] + "\n")
        assert cp.size == released.size
        assert client.get("/api/log/records", headers=h).json()["size"] == released.size
        assert client.get("/api/log/checkpoints", headers=h).json()["checkpoints"][0]["size"] == released.size
    del rt.state.advance  # the disk has room again
    # A second runtime starting now (a restart) checks and catches up.
    caplog.set_level(logging.WARNING)
    second = open_runtime(rt.settings, engine=make_engine(rt.settings.database_url))
    try:
        assert second.state.current().size == released.size + 1
        assert "database was ahead of the log's state file" in caplog.text
    finally:
        second.close()
    # The resubmitted record gets its receipt, against a released checkpoint.
    receipt = rt.pipeline.submit(*lost)
    assert receipt.duplicate and receipt.index == released.size
    assert rt.state.current().size == released.size + 1


def test_the_next_append_catches_up_too(sqlite_runtime, sqlite_demo):
    rt, demo = sqlite_runtime, sqlite_demo
    released = rt.state.current().size
    rt.state.advance = lambda _, **kw: (_ for _ in ()).throw(OSError(5, "I/O error"))  # type: ignore[method-assign]
    with pytest.raises(LogUnavailable):
        rt.pipeline.submit(*note(demo, 1))
    del rt.state.advance
    receipt = rt.pipeline.submit(*note(demo, 2))
    assert receipt.index == released + 1 and rt.state.current().size == released + 2


def test_a_leftover_temporary_file_is_ignored(sqlite_runtime, sqlite_demo):
    rt = sqlite_runtime
    (rt.settings.data_dir / ".log.state.k3j2h1").write_bytes(b"half a checkpoi")
    second = open_runtime(rt.settings, engine=make_engine(rt.settings.database_url))
    assert second.state.current().size == head(rt)
    second.close()


def test_a_database_behind_the_state_file_is_refused(runtime, demo):
    rt = runtime
    rt.pipeline.submit_many([note(demo, i) for i in range(3)])
    signed = head(rt)
    roll_back(SimpleNamespace(sessions=rt.sessions), signed - 3)  # an older backup restored
    # Starting refuses, with what to do.
    with pytest.raises(StateError) as info:
        open_runtime(rt.settings, engine=make_engine(rt.settings.database_url))
    message = str(info.value)
    assert f"holds a log of {signed - 3} entries, but this log already released a checkpoint for {signed}" in message
    assert "Restore a backup that holds at least" in message
    # A server already running refuses to sign anything on top of it, and says so.
    with pytest.raises(LogUnavailable, match="rolled back"):
        rt.pipeline.submit(*note(demo, 9))
    with rt.sessions() as s:
        assert s.get(LogHead, 1).size == signed - 3
        assert s.scalar(select(LogCheckpoint.size).order_by(LogCheckpoint.size.desc()).limit(1)) == signed - 3
    with pytest.raises(LogUnavailable, match="refuses writes"):
        rt.pipeline.submit(*note(demo, 10))
    with TestClient(create_app(rt.settings.model_copy(update={"self_check_on_start": False}), rt)) as client:
        r = client.get("/api/health", headers=demo.headers("icrc/auditor"))
        assert r.status_code == 503 and r.json()["status"] == "refusing_writes"
        assert r.json()["writes"] == "refused" and "rolled back" in r.json()["refusal"]
        r = client.post("/api/actions", headers=demo.headers("ua/negotiator"),
                        json={"kind": "record.note", "audience": ["all"], "payload": {"text": "x"}})
        assert r.status_code == 503 and r.json()["error"] == "log_unavailable"


def test_parley_serve_and_check_refuse_a_rolled_back_database(tmp_path, monkeypatch, deployments):
    from parley.cli import _register_commands, app

    _register_commands()
    rt, demo = deployments.sqlite_demo(tmp_path)
    url = rt.settings.database_url
    rt.pipeline.submit_many([note(demo, i) for i in range(2)])
    roll_back(SimpleNamespace(sessions=rt.sessions), head(rt) - 2)
    rt.close()
    for k, v in {"PARLEY_DATABASE_URL": url, "PARLEY_DATA_DIR": str(tmp_path), "PARLEY_SECRET_KEY": SECRET,
                 "PARLEY_LOG_ORIGIN": ORIGIN}.items():
        monkeypatch.setenv(k, v)
    served = CliRunner().invoke(app, ["serve", "--port", "9"])
    assert served.exit_code == 1 and "refusing to start" in served.output and "rolled back" in served.output
    checked = CliRunner().invoke(app, ["log", "check"])
    assert checked.exit_code == 1 and "already released a checkpoint" in checked.output


def test_init_creates_the_state_file_and_adopts_an_existing_database(tmp_path, monkeypatch):
    from parley.cli import app

    monkeypatch.setenv("PARLEY_SECRET_KEY", SECRET)
    monkeypatch.setenv("PARLEY_LOG_ORIGIN", ORIGIN)
    data = tmp_path / "d"
    first = CliRunner().invoke(app, ["init", "--data", str(data), "--party", "icrc"])
    assert first.exit_code == 0, first.output
    assert "released size 0" in first.output and (data / "log.state").exists()
    settings = make_settings(f"sqlite:///{(data / 'parley.db').resolve()}", data)
    rt = open_runtime(settings)
    assert rt.state.current().size == head(rt) == 1  # the bootstrap record, released
    rt.close()
    # A new, empty database starts its own state file.
    fresh = tmp_path / "fresh"
    fresh_settings = make_settings(f"sqlite:///{fresh / 'parley.db'}", fresh)
    from parley.db import migrate
    from parley.runtime import create_log_key

    migrate(make_engine(fresh_settings.database_url))
    create_log_key(fresh_settings)
    started = open_runtime(fresh_settings)
    assert started.state.current().size == 0
    started.close()
    # A deployment from before state files: the file is missing. The server refuses to guess...
    (data / "log.state").unlink()
    with pytest.raises(StateError, match=r"missing; .* run 'parley init'"):
        open_runtime(settings)
    # ... and `parley init` adopts the database's newest checkpoint once the self-check passes.
    again = CliRunner().invoke(app, ["init", "--data", str(data)])
    assert again.exit_code == 0 and "released size 1" in again.output
    # Not if the database fails it.
    (data / "log.state").unlink()
    engine = make_engine(settings.database_url)
    with session_factory(engine)() as s:
        s.execute(LogNode.__table__.insert().values(level=5, idx=9, hash=b"\0" * 32))
        s.commit()
    refused = CliRunner().invoke(app, ["init", "--data", str(data)])
    assert refused.exit_code == 1 and "refusing to record" in refused.output and not (data / "log.state").exists()


def test_a_state_file_not_signed_by_the_log_key_is_refused(sqlite_runtime, sqlite_demo):
    rt = sqlite_runtime
    other = Signer.generate(ORIGIN)
    cp = rt.state.current()
    rt.state.path.write_bytes(sign_note(Checkpoint(ORIGIN, cp.size, cp.root).text(), other))
    with pytest.raises(StateError, match="not hold a checkpoint signed by this log's key"):
        open_runtime(rt.settings, engine=make_engine(rt.settings.database_url))


def test_two_writers_move_the_state_forward_only(runtime, demo):
    from concurrent.futures import ThreadPoolExecutor

    import parley.log.state as state_module

    second = open_runtime(runtime.settings, engine=make_engine(runtime.settings.database_url))
    written: list[int] = []
    real = state_module.write_durably

    def spy(path, data, mode=0o600):  # type: ignore[no-untyped-def]
        written.append(runtime.state.parse(data).size)  # under the state file's lock
        return real(path, data, mode)

    state_module.write_durably = spy
    try:
        def push(k: int):  # type: ignore[no-untyped-def]
            rt = (runtime, second)[k]
            return [rt.pipeline.submit(*note(demo, 100 * k + i, ("ua/negotiator", "ru/negotiator")[k]))
                    for i in range(40)]

        with ThreadPoolExecutor(2) as pool:
            receipts = [r for rs in pool.map(push, [0, 1]) for r in rs]
        assert runtime.state.current().size == head(runtime) == max(r.index for r in receipts) + 1
        # The file only ever moved forward, though the two writers record their batches in any order.
        assert written == sorted(set(written)) and len(written) >= 2
    finally:
        state_module.write_durably = real
        second.close()


def test_replay_into_a_new_database_keeps_the_log_going(sqlite_runtime, sqlite_demo, tmp_path):
    rt, demo = sqlite_runtime, sqlite_demo
    rt.pipeline.submit(*note(demo, 1))
    target = f"sqlite:///{tmp_path / 'rebuilt.db'}"
    report = replay(rt.engine, make_engine(target), rt.log_signer, ORIGIN, kinds=rt.kinds)
    assert report.problems == []
    rt.close()
    # The rebuilt database, with the same data directory: the state file accepts it, and appends go on.
    moved = open_runtime(make_settings(target, rt.settings.data_dir))
    try:
        assert moved.state.current().size == head(moved)
        assert moved.pipeline.submit(*note(demo, 2)).index == head(moved) - 1
        assert moved.integrity.run_once().ok
    finally:
        moved.close()
