"""A mirror of the log (``parley mirror``, parley/mirror/) and a restore from a backup plus the mirror
(``parley restore --mirror``): the issue's test — back up, write 1,000 more, crash, restore from the backup and
the mirror → no acknowledged record missing, publication to the witnesses resumes, the parties' audit passes —
and what must be refused: a server behind a tree a witness cosigned serves reads only; a mirror serving another
entry or payload than the log's appends nothing. One deployment, built once for the module on SQLite; the
restore also from a PostgreSQL deployment (``crashed_pg``), its backup made with pg_dump."""

from __future__ import annotations

import contextlib
import shutil
import socket
import sqlite3
import time
from datetime import timedelta
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from parley.app import create_app
from parley.backup import BackupError, create_backup, restore_backup
from parley.demo_witnesses import start_witnesses
from parley.log.models import LogEntry, LogHead, LogNode
from parley.log.policy import parse_policy
from parley.logserver.audit import Auditor
from parley.logserver.publish import Publisher
from parley.mirror.client import TileReader, sync_once
from parley.mirror.server import create_mirror_app
from parley.mirror.store import MirrorError, MirrorStore
from parley.records.compose import compose
from parley.runtime import Runtime
from tests.conftest import ORIGIN, Demo, Deployments, open_copy

MORE = 1000


def free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def notes(demo: Demo, n: int, tag: str) -> list[tuple[bytes, Any]]:
    signer = demo.signer("ua/negotiator")
    out = []
    for i in range(n):
        payload = {"text": f"mirror test {tag} {i}"}
        out.append((compose(signer, origin=ORIGIN, kind="record.note", audience="all", payload=payload), payload))
    return out


def register(client: TestClient, demo: Demo, surname: str) -> str:
    r = client.post("/api/persons", headers=demo.headers("ua/registrar"),
                    json={"category": "civilian", "person": {"surname": surname, "first_name": "Остап"}})
    assert r.status_code == 201, r.text
    return str(r.json()["person"])


def app_client(rt: Runtime) -> TestClient:
    return TestClient(create_app(rt.settings.model_copy(update={"self_check_on_start": False,
                                                                 "self_check_interval": timedelta(0)}), rt))


def head(url: str) -> int:
    from parley.db import make_engine

    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as c:
            return int(c.execute(select(LogHead.size).where(LogHead.id == 1)).scalar_one())
    finally:
        engine.dispose()


@dataclass
class Crashed:
    """A deployment (SQLite, the demo, three witnesses) that was backed up, then wrote 1,000 more records, a
    person and the destruction of a person the backup holds, followed by its mirror, audited, then lost: what
    survives is the backup, the log key, the witnesses, the mirror and an auditor's state."""
    work: Path
    demo: Demo
    policy: str
    backup: Path
    log_key: Path
    mirror_dir: Path
    mirror_token: str
    acknowledged: dict[int, str]  # index -> record hash, of the records written after the backup
    backup_size: int
    size: int
    root: bytes
    audit: Path  # a mediator's auditor's state: the checkpoint it verified before the crash
    servers: list[Any]
    seconds: dict[str, float]
    backend: str = "sqlite"
    lost_url: str = ""  # the lost database, kept to compare with (never served)


@pytest.fixture(scope="module")
def crashed(deployments: Deployments, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    with contextlib.ExitStack() as stack:
        yield _crash(stack, deployments, tmp_path_factory, "sqlite")


@pytest.fixture(scope="module")
def crashed_pg(deployments: Deployments, tmp_path_factory: pytest.TempPathFactory, pg_ok: bool):  # type: ignore[no-untyped-def]
    if not pg_ok:
        pytest.skip("PostgreSQL not reachable")
    with contextlib.ExitStack() as stack:
        yield _crash(stack, deployments, tmp_path_factory, "postgresql")


def _crash(stack: contextlib.ExitStack, deployments: Deployments, tmp_path_factory: pytest.TempPathFactory,
           backend: str) -> Crashed:
    work = tmp_path_factory.mktemp(f"mirror-{backend}")
    live = work / "live"
    url, demo = stack.enter_context(deployments.copy(backend, True, live))
    assert demo is not None
    vkey = (live / "log.key").read_text().strip()
    from parley.log.note import Signer

    log_vkey = Signer.from_skey(vkey).vkey()
    policy, _, servers = start_witnesses(work / "witnesses", "127.0.0.1", ORIGIN, log_vkey, ["ua", "ru", "icrc"],
                                         free_port)
    seconds: dict[str, float] = {}
    rt = open_copy(url, live, witness_policy=policy, mirror_members="icrc/auditor")
    try:
        publisher = Publisher(rt)
        mirror = MirrorStore(work / "mirror", log_vkey, "mirror.test.parley.local")
        token = mirror.add_client("restore")
        with app_client(rt) as client:
            # A person whose records the mirror holds sealed, destroyed after the backup.
            gone = register(client, demo, "Гнатюк")
            assert publisher.publish_once()
            reader = TileReader("", demo.token("icrc/auditor"), client=client)
            first = sync_once(mirror, reader)
            assert first.new == head(url) and first.old == 0
            gone_key = mirror.keys()[f"person:{gone}"].key
            assert gone_key is not None
            backup = work / "parley.backup"
            manifest = create_backup(rt.settings, backup, keys_out=work / "backup.keys")
            t0 = time.perf_counter()
            receipts = rt.pipeline.submit_many(notes(demo, MORE, "after"))
            seconds["write 1,000"] = time.perf_counter() - t0
            # After the backup: a person the backup does not know (a new data key), and the destruction.
            kept = register(client, demo, "Ковальчук")
            destroyed = client.post(f"/api/persons/{gone}/destroy", headers=demo.headers("ua/admin"),
                                    json={"reason": "request", "basis": "request of 2026-11-30"})
            assert destroyed.status_code == 201, destroyed.text
            # And written after the backup, then destroyed before the crash: a person with an event, an
            # inquiry answered with them (then open again), another inquiry. Their records come from the mirror
            # destroyed; the restore appends them as they are and makes their tombstones from the notes.
            ua, admin = demo.headers("ua/registrar"), demo.headers("ua/admin")
            late = register(client, demo, "Пилипчук")
            assert client.post(f"/api/persons/{late}/events", headers=ua,
                               json={"event": "held_at", "place": "Оленівка"}).status_code == 201
            asked = client.post("/api/inquiries", headers=ua, json={"sought": {"surname": "Пилипчук"}}).json()
            assert client.post(f"/api/inquiries/{asked['reference']}/decisions", headers=ua, json={
                "decision": "confirmed", "person": late, "message": "found"}).status_code == 201
            filed = client.post("/api/inquiries", headers=ua, json={"sought": {"surname": "Яворська"}}).json()
            body = {"reason": "court_order", "basis": "Court order 2026/18"}
            assert client.post(f"/api/persons/{late}/destroy", headers=admin, json=body).status_code == 201
            assert client.post(f"/api/inquiries/{filed['reference']}/destroy", headers=admin,
                               json=body).status_code == 201
            shown = client.get(f"/api/inquiries/{asked['reference']}", headers=ua).json()
            assert shown["status"] == "open" and shown["decisions"] == []  # its only answer was about them
            assert publisher.publish_once()
            t0 = time.perf_counter()
            again = sync_once(mirror, reader)
            seconds["mirror sync of 1,000"] = time.perf_counter() - t0
            assert again.new == head(url) > manifest.size + MORE + 2
            # The mirror followed the destruction: the key deleted (gone from its files too), the person's
            # payloads overwritten by the destroyed marker; the new person's key kept.
            held = mirror.keys()
            assert held[f"person:{gone}"].key is None and held[f"person:{kept}"].key is not None
            assert held[f"person:{gone}"].destroyed_idx == destroyed.json()["index"]
            for f in work.joinpath("mirror").glob("mirror.db*"):
                assert gone_key not in f.read_bytes(), f
            # Every party verified the log at its last size before it was lost: here a mediator's auditor,
            # who reads every record (each party's audit costs ~1 s; one proves that a restore continues it).
            audit = work / "audit"
            report = Auditor("", log_vkey, audit, demo.token("icrc/auditor"), policy=parse_policy(policy),
                             client=client, kinds=rt.kinds, projections=False, proofs=8).run()
            assert report.ok and report.size == again.new, (report.failures, report.problems)
            assert len(report.destroyed) == 4  # the person of the backup; the late person, event, answer
        with rt.sessions() as s:
            size = s.get(LogHead, 1).size  # type: ignore[union-attr]
            from parley.log.models import LogCheckpoint

            root = bytes(s.get(LogCheckpoint, size).root_hash)  # type: ignore[union-attr]
        mirror.close()
    finally:
        rt.close()  # the crash: nothing below reads the live directory but its log key
    acknowledged = {r.index: r.record_hash for r in receipts}  # type: ignore[union-attr]
    assert len(acknowledged) == MORE and min(acknowledged) == manifest.size
    key = work / "log.key"
    shutil.copy(live / "log.key", key)
    if backend == "sqlite":
        shutil.copy(live / "parley.db", work / "lost.db")  # kept to compare with, never served
        (live / "parley.db").unlink()  # the old server's disk is gone, its state file with it
        lost_url = f"sqlite:///{work / 'lost.db'}"
    else:
        lost_url = url  # never served again; dropped with the module
    (live / "log.state").unlink()

    def stop_witnesses() -> None:
        for w in servers:
            w.should_exit = True

    stack.callback(stop_witnesses)
    return Crashed(work, demo.moved_to(live), policy, backup, key, work / "mirror", token, acknowledged,
                   manifest.size, size, root, audit, servers, seconds, backend, lost_url)


def mirror_reader(store: MirrorStore, token: str) -> tuple[TileReader, TestClient]:
    client = TestClient(create_mirror_app(store))
    return TileReader("", token, client=client), client


def test_the_mirror_serves_its_copy_to_its_clients_only(crashed):
    store = MirrorStore(crashed.mirror_dir)
    try:
        client = TestClient(create_mirror_app(store))
        assert client.get("/log/checkpoint").status_code == 401
        assert client.get("/log/checkpoint", headers={"Authorization": "Bearer pmt_wrong"}).status_code == 401
        assert client.get("/log/tile/entries/000").status_code == 401
        ok = {"Authorization": f"Bearer {crashed.mirror_token}"}
        note = client.get("/log/checkpoint", headers=ok).content
        # The log's signature, the witnesses' cosignatures and the mirror's own (tlog-mirror).
        parse_policy(crashed.policy).verify_checkpoint(note)
        assert "— mirror.test.parley.local " in note.decode()
        assert store.checkpoint().size == crashed.size
        assert client.get("/log/tile/entries/000", headers=ok).status_code == 200
        assert client.get(f"/log/tile/entries/{crashed.size // 256 + 1:03d}", headers=ok).status_code == 404
    finally:
        store.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_restore_from_the_backup_and_the_mirror_loses_no_acknowledged_record(backend, request, deployments,
                                                                             tmp_path):
    crashed = request.getfixturevalue("crashed" if backend == "sqlite" else "crashed_pg")
    store = MirrorStore(crashed.mirror_dir)
    reader, client = mirror_reader(store, crashed.mirror_token)
    target = tmp_path / "restored"
    from parley.assembly import kinds

    if backend == "sqlite":
        url, database = f"sqlite:///{target / 'parley.db'}", None
    else:
        from tests.log_api.test_backup import new_pg_database

        name, url = new_pg_database(deployments)
        request.addfinalizer(lambda: deployments._drop(name))
        database = url
    t0 = time.perf_counter()
    try:
        result = restore_backup(crashed.backup, target, crashed.log_key, [], mirror=reader, kinds=kinds(),
                                policy=parse_policy(crashed.policy), published=False, database_url=database)
    finally:
        client.close()
        store.close()
    crashed.seconds["restore with the mirror"] = time.perf_counter() - t0
    assert result.missing is None and result.appended == crashed.size - crashed.backup_size
    assert result.size == crashed.size
    assert result.released.size == crashed.size
    rt = open_copy(url, target, witness_policy=crashed.policy, mirror_members="icrc/auditor")
    try:
        with rt.sessions() as s:
            stored = dict(s.execute(select(LogEntry.idx, LogEntry.record_hash)
                                    .where(LogEntry.idx >= crashed.backup_size)).all())
            from parley.log.models import LogCheckpoint

            assert bytes(s.get(LogCheckpoint, crashed.size).root_hash) == crashed.root  # type: ignore[union-attr]
        lost = {i: h for i, h in crashed.acknowledged.items() if stored.get(i) != h}
        assert not lost, f"{len(lost)} acknowledged records missing or changed"
        # Every projection is the one the lost server had: the same rows in every table the records make, the
        # entries stored as they were (sealed under the same keys, or destroyed) and the same keys (or none).
        from parley.db import make_engine
        from parley.logserver.replay import differences
        from parley.models import KEY_TABLES, PROJECTION_TABLES

        lost_db = make_engine(crashed.lost_url)
        try:
            assert not differences(lost_db, rt.engine, (*PROJECTION_TABLES, *KEY_TABLES, LogEntry, LogNode))
        finally:
            lost_db.dispose()
        assert rt.integrity is not None and rt.integrity.run_once().ok
        with app_client(rt) as client:
            # Publication resumes: the witnesses cosign a new record's tree, consistent with the restored one (the
            # one they cosigned).
            publisher = Publisher(rt)
            assert not publisher.behind and publisher.check_behind() is None
            demo = crashed.demo
            r = client.post("/api/actions", headers=demo.headers("ru/negotiator"),
                            json={"kind": "record.note", "audience": ["all"], "payload": {"text": "after the restore"}})
            assert r.status_code == 201, r.text
            assert r.json()["index"] == crashed.size
            assert publisher.publish_once()
            # The auditor that verified the lost server at its last size verifies the restored one.
            report = Auditor("", rt.log_signer.vkey(), crashed.audit, demo.token("icrc/auditor"),
                             policy=parse_policy(crashed.policy), client=client, kinds=rt.kinds, proofs=8,
                             projections=False).run()
            assert report.ok, (report.failures[:3], report.problems[:3])
            assert report.old_size == crashed.size and report.size == crashed.size + 1
    finally:
        rt.close()


def test_without_a_mirror_the_server_behind_the_witnesses_serves_reads_only(crashed, tmp_path):
    # No released checkpoint survives: the backup's own becomes the state file, and the server starts.
    target = tmp_path / "restored"
    # The backup's personal data opens with the keys file written with it (there is no mirror here).
    result = restore_backup(crashed.backup, target, crashed.log_key, [], backup_is_latest=True,
                            keys_file=crashed.work / "backup.keys")
    assert result.size == crashed.backup_size and result.missing is None
    rt = open_copy(f"sqlite:///{target / 'parley.db'}", target, witness_policy=crashed.policy)
    try:
        with app_client(rt) as client:
            demo = crashed.demo
            r = client.post("/api/actions", headers=demo.headers("ua/negotiator"),
                            json={"kind": "record.note", "audience": ["all"], "payload": {"text": "lost?"}})
            assert r.status_code == 503, r.text
            body = r.json()
            # (At least the 1,000: another test here may have had the witnesses cosign one more since.)
            missing = f"entries {crashed.backup_size} to "
            assert body["error"] == "log_unavailable" and body["code"] == "log.behind_witnesses"
            assert body["params"]["missing"].startswith(missing) and "cosigned by the witness" in body["message"]
            health = client.get("/api/health", headers=demo.headers("icrc/auditor"))
            assert health.status_code == 503 and health.json()["writes"] == "refused"
            # Reads work.
            assert client.get("/api/log/records?limit=5", headers=demo.headers("ua/negotiator")).status_code == 200
            assert client.get("/log/checkpoint", headers=demo.headers("ua/negotiator")).status_code == 200
            # A page says it in the reader's language.
            from parley.web import i18n, refusals

            assert "log.behind_witnesses" in refusals.BY_CODE
            assert i18n.render("uk", refusals.refusal(rt.pipeline._refusal_error())) != \
                refusals.BY_CODE["log.behind_witnesses"]
        with rt.sessions() as s:
            assert s.get(LogHead, 1).size == crashed.backup_size  # type: ignore[union-attr]
    finally:
        rt.close()


def _forged_mirror(crashed, tmp_path: Path, edit) -> tuple[MirrorStore, Path]:  # type: ignore[no-untyped-def]
    directory = tmp_path / "forged-mirror"
    shutil.copytree(crashed.mirror_dir, directory)
    c = sqlite3.connect(directory / "mirror.db")
    try:
        edit(c)
        c.commit()
    finally:
        c.close()
    return MirrorStore(directory), directory


@pytest.mark.parametrize("forgery", ["another record", "another payload", "destroyed by no destruction"])
def test_a_hostile_mirror_appends_nothing(crashed, tmp_path, forgery):
    idx = crashed.backup_size + 500
    demo = crashed.demo
    (note, payload), = notes(demo, 1, "forged")
    import rfc8785

    def edit(c: sqlite3.Connection) -> None:
        if forgery == "another record":  # validly signed by a member, but not the log's entry at idx
            c.execute("UPDATE entry SET note = ?, payload = ? WHERE idx = ?", (note, rfc8785.dumps(payload), idx))
        elif forgery == "another payload":  # the log's record, with a payload it does not sign
            c.execute("UPDATE entry SET payload = ? WHERE idx = ?", (rfc8785.dumps({"text": "forged"}), idx))
        else:  # its payload said destroyed, by a later record that destroys nothing (a note)
            marker = f'{{"parley_destroyed":{idx + 1},"subjects":["person:ua-p-1"]}}'
            c.execute("UPDATE entry SET payload = ? WHERE idx = ?", (marker.encode(), idx))

    store, _ = _forged_mirror(crashed, tmp_path, edit)
    reader, client = mirror_reader(store, crashed.mirror_token)
    target = tmp_path / "restored"
    from parley.assembly import kinds

    try:
        why = {"another record": "do not make the tree the log signed", "another payload": "does not hash",
               "destroyed by no destruction": f"record {idx + 1} is no destruction"}[forgery]
        with pytest.raises(BackupError, match=why) as info:
            restore_backup(crashed.backup, target, crashed.log_key, [], mirror=reader, kinds=kinds(),
                           policy=parse_policy(crashed.policy), published=False)
        assert "nothing was appended" in str(info.value)
    finally:
        client.close()
        store.close()
    assert head(f"sqlite:///{target / 'parley.db'}") == crashed.backup_size
    assert not (target / "log.state").exists()  # the directory cannot be served


def test_a_mirror_refuses_a_log_that_goes_back_or_serves_other_entries(crashed, tmp_path):
    # The "log" here is a mirror's copy served over the same paths, one payload altered.
    source = MirrorStore(crashed.mirror_dir)
    reader, client = mirror_reader(source, crashed.mirror_token)
    fresh = MirrorStore(tmp_path / "fresh", source.log_vkey, "mirror.fresh")
    older = MirrorStore(tmp_path / "older", source.log_vkey, "mirror.older")
    c = sqlite3.connect(crashed.mirror_dir / "mirror.db")
    try:
        old = c.execute("SELECT payload FROM entry WHERE idx = 7").fetchone()[0]
        c.execute("UPDATE entry SET payload = ? WHERE idx = 7", (b'{"text":"x"}',))
        c.commit()
        with pytest.raises(MirrorError, match="does not hash"):
            sync_once(fresh, reader)
        assert fresh.size == 0 and not fresh.entries(0, 0)
        c.execute("UPDATE entry SET payload = ? WHERE idx = 7", (old,))
        c.commit()
        assert sync_once(fresh, reader).new == crashed.size
        # The mirror never goes back: a log serving a checkpoint older than the mirror's is refused.
        from parley.log import merkle
        from parley.log.checkpoint import Checkpoint
        from parley.log.note import Signer, sign_note

        older.append_pending(0, fresh.entries(0, 10))
        tree = merkle.MemoryTree()
        for n, _ in fresh.entries(0, 10):
            tree.append(merkle.leaf_hash(n))
        signer = Signer.from_skey(crashed.log_key.read_text().strip())
        older.commit(sign_note(Checkpoint(ORIGIN, 10, tree.root()).text(), signer))
        with pytest.raises(MirrorError, match="went back"):
            sync_once(fresh, TileReader("", older.add_client("t"), client=TestClient(create_mirror_app(older))))
        assert fresh.size == crashed.size
    finally:
        c.close()
        client.close()
        for store in (source, fresh, older):
            store.close()
