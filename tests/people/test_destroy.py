"""Retention and destruction: a person's data destroyed by a signed ``person.destroy`` is gone from every
table, the SQLite file and its WAL, a fresh backup, what a mirror keeps, the exports and the pages, in every
script it was written in; the log still verifies, and the destroyed payloads are reported as destroyed. The
same for a family's inquiry destroyed by ``inquiry.destroy``. The byte-level search is of SQLite's files; on
PostgreSQL, every table's rows and a fresh backup restored into a new database. Every person is invented."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect, select, table, text

from parley.app import create_app
from parley.backup import create_backup
from parley.db import make_engine, sqlite_file
from parley.log.models import LogEntry
from parley.log.note import Verifier
from parley.log.selfcheck import check_log
from parley.logserver.audit import Auditor
from parley.logserver.replay import differences, replay
from parley.mirror.client import TileReader, sync_once
from parley.mirror.server import create_mirror_app
from parley.mirror.store import MirrorStore
from parley.models import KEY_TABLES, PROJECTION_TABLES
from parley.people.names import features
from parley.records import sealing

# The same invented person in Ukrainian, Russian and two Latin spellings.
NAMES = ["Жовтобрюх", "Явдоха", "Євдокія", "Евдокия", "Zhovtobriukh", "Zhovtobryukh", "Yavdokha", "Глухівка"]
LIST = ("Прізвище;Ім'я;По батькові;Дата народження;Місце народження;Категорія\n"
        "Жовтобрюх;Явдоха;Панасівна;1961;Глухівка;цивільна особа\n")


def _needles() -> list[str]:
    keys = features("Жовтобрюх", "Явдоха", "Панасівна")
    found = [v for v in (keys["surname_key"], keys["first_key"]) if len(v) >= 5]
    return [*NAMES, *found, "Панасівна"]


def _hits(blob: bytes) -> list[str]:
    low = blob.lower()
    return [n for n in _needles() if n.encode() in blob or n.lower().encode() in low]


def _every_table(url: str) -> bytes:
    """Every row of every table of the database at ``url``, as bytes to search (any backend)."""
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        out: list[bytes] = []
        with engine.connect() as c:
            for name in inspect(c).get_table_names():
                for row in c.execute(select(text("*")).select_from(table(name))):
                    out.append(repr(tuple(row)).encode())
                    out += [v if isinstance(v, bytes) else str(v).encode() for v in row]
        return b"\n".join(out)
    finally:
        engine.dispose()


def _register_invented(c: TestClient, headers: dict[str, str], note: str = "Явдоха Жовтобрюх") -> str:
    """The invented person of ``NAMES``, registered by hand with their Latin spellings, an event and a contact."""
    r = c.post("/api/persons", headers=headers, json={"category": "civilian", "person": {
        "surname": "Жовтобрюх", "first_name": "Явдоха", "birth_place": "Глухівка",
        "notes": "Zhovtobriukh / Zhovtobryukh Yavdokha; ru: Евдокия"}})
    assert r.status_code == 201, r.text
    pid = str(r.json()["person"])
    assert c.post(f"/api/persons/{pid}/events", headers=headers,
                  json={"event": "held_at", "place": "Глухівка", "note": note}).status_code == 201
    # Monitoring is personal data too: sealed under the person's key and destroyed with it.
    assert c.post(f"/api/persons/{pid}/monitoring", headers=headers, json={
        "observation": "contact", "date": "2022-06-01", "means": "letter", "place": "Глухівка", "note": note,
        "source": {"kind": "named_official", "speaker": "Zhovtobryukh Yavdokha", "quote": "Явдоха Жовтобрюх"}},
    ).status_code == 201
    return pid


def _same_tables(server: Engine, url: str) -> None:
    """Every table the records make, the keys and the log's entries at ``url`` equal the server's, row for row."""
    other = make_engine(url)
    try:
        assert not differences(server, other, (*PROJECTION_TABLES, *KEY_TABLES, LogEntry))
    finally:
        other.dispose()


def _replayed_equals_the_server(rt, path: Path) -> None:  # type: ignore[no-untyped-def]
    """``parley log replay`` into a new database at ``path``: every record replayed (the destroyed ones appended
    as they are, the destructions replayed, the tombstones made from the notes) and the same tables."""
    target = make_engine(f"sqlite:///{path}")
    try:
        done = replay(rt.engine, target, rt.log_signer, rt.settings.log_origin, kinds=rt.kinds)
        assert done.problems == [] and done.records == rt.state.current().size
    finally:
        target.dispose()
    _same_tables(rt.engine, f"sqlite:///{path}")


def test_a_destroyed_person_is_gone_everywhere_and_the_log_still_verifies(sqlite_runtime, sqlite_demo, tmp_path):
    rt, demo = sqlite_runtime, sqlite_demo
    c = TestClient(create_app(rt.settings, rt))
    ua, admin = demo.headers("ua/registrar"), demo.headers("ua/admin")
    # One report from a list, one registered by hand (with its Latin spellings), an event, a correction and a
    # match decision between them.
    listed = c.post("/api/lists", headers=ua, data={"title": "Civilians"},
                    files={"file": ("civilians.csv", LIST.encode(), "text/csv")}).json()
    b = next(r["person"] for r in listed["report"] if r["status"] == "accepted")
    a = _register_invented(c, ua, "Явдоха Жовтобрюх seen")
    upd = c.get(f"/api/persons/{a}", headers=ua).json()
    assert upd["surname"] == "Жовтобрюх"
    assert c.post("/api/matches", headers=ua, json={"left": a, "right": b, "decision": "same",
                                                   "note": "Євдокія = Явдоха"}).status_code == 201
    # Stored sealed: the log's payloads never hold the names, even before anything is destroyed.
    with rt.sessions() as s:
        stored = b"\n".join(p.encode() for (p,) in s.execute(select(LogEntry.payload)).all())
    assert _hits(stored) == []
    # A mirror (a mediator's auditor reads the log for it) holds the sealed payloads and, apart, their keys.
    rt.settings = rt.settings.model_copy(update={"mirror_members": "icrc/auditor"})
    mirror = MirrorStore(tmp_path / "mirror", rt.log_signer.vkey(), "mirror.test.parley.local")
    log = TileReader("", demo.token("icrc/auditor"), client=TestClient(c.app))
    sync_once(mirror, log)
    keys = {x: k.key for x, k in mirror.keys().items()}
    held = [p for _, p in mirror.entries(0, mirror.size) if f"person:{a}".encode() in p]
    assert len(held) == 4 and all(p.startswith(sealing.SEALED_PREFIX.encode()) for p in held)
    assert keys[f"person:{a}"] and keys[f"person:{b}"]
    assert _hits(b"".join(f.read_bytes() for f in (tmp_path / "mirror").glob("mirror.db*"))) == []

    db = sqlite_file(rt.engine)
    # The search finds them while they exist.
    assert db is not None and "Жовтобрюх" in _hits(_every_table(rt.settings.database_url))
    # Refused: a registrar, another party (which cannot read it), a mediator's admin, an unknown person.
    body = {"reason": "court_order", "basis": "Court order 2026/17, art. 5"}
    assert c.post(f"/api/persons/{a}/destroy", headers=ua, json=body).status_code == 403
    assert c.post(f"/api/persons/{a}/destroy", headers=demo.headers("ru/admin"), json=body).status_code == 404
    assert c.post(f"/api/persons/{a}/destroy", headers=demo.headers("icrc/admin"), json=body).status_code == 403
    assert c.post("/api/persons/ua-nobody/destroy", headers=admin, json=body).status_code == 404
    assert c.post(f"/api/persons/{a}/destroy", headers=admin, json={**body, "reason": "whim"}).status_code == 422
    # Destroyed, then refused a second time and for any new record about the person.
    first = c.post(f"/api/persons/{a}/destroy", headers=admin, json=body)
    assert first.status_code == 201, first.text
    by = first.json()["index"]
    assert c.post(f"/api/persons/{b}/destroy", headers=admin, json={**body, "reason": "request",
                                                                  "basis": "request of 2026-11-30"}).status_code == 201
    again = c.post(f"/api/persons/{a}/destroy", headers=admin, json={**body, "basis": "a second order"})
    assert again.status_code == 409 and again.json()["code"] == "person.already_destroyed"
    assert c.post(f"/api/persons/{a}/events", headers=ua, json={"event": "released"}).status_code == 409
    late = c.post(f"/api/persons/{a}/monitoring", headers=ua,
                  json={"observation": "conditions", "conditions": "unknown", "source": {}})
    assert late.status_code == 409 and late.json()["code"] == "person.already_destroyed"

    # What the pages, the API and the exports show: a tombstone naming the destroying record.
    page = c.get(f"/api/persons/{a}", headers=ua).json()
    assert page["destroyed_by"] == by and page["surname"] == "" and page["events"] == []
    export = c.get(f"/api/persons/{a}/export", headers=ua).json()
    assert export["destroyed"]["index"] == by and export["destroyed"]["reason"] == "court_order"
    assert {r["destroyed_by"] for r in export["records"]} == {by} and len(export["records"]) == 4
    reader = {**ua, "Accept": "text/html"}
    pages = [c.get(f"/people/{a}?lang={lang}", headers=reader).text for lang in ("uk", "ru", "en")]
    assert "Дані цієї особи знищено записом" in pages[0] and "Данные этого лица уничтожены записью" in pages[1]
    assert f"destroyed by record {by}" in pages[2]
    shown = [c.get(f"/api/persons/{p}/export", headers=ua).text for p in (a, b)]
    shown += [c.get(f"/api/persons/{a}", headers=ua).text, c.get("/api/persons.csv", headers=ua).text,
              c.get("/api/persons?q=Zhovtobriukh", headers=ua).text, c.get("/api/persons?q=Жовтобрюх", headers=ua).text,
              *pages, c.get(f"/api/lists/{listed['list']}", headers=ua).text,
              c.get("/api/log/records?limit=5000", headers=demo.headers("icrc/auditor")).text]
    assert "Жовтобрюх" in LIST and _hits("\n".join(shown).encode()) == []
    report = c.get("/api/retention", headers=admin).json()
    assert {(d["person"], d["index"], d["reason"]) for d in report["destroyed"]} >= {(a, by, "court_order")}

    # Every table, the database file and its WAL, and a fresh backup.
    assert _hits(_every_table(rt.settings.database_url)) == []
    wal = db.with_name(db.name + "-wal")
    assert _hits(db.read_bytes()) == [] and _hits(wal.read_bytes() if wal.exists() else b"") == []
    out = tmp_path / "fresh.backup"
    create_backup(rt.settings, out)
    with tarfile.open(out) as tar:
        members = [tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()]  # type: ignore[union-attr]
    assert members and all(_hits(m) == [] for m in members)
    # The log alone rebuilds every table (``parley log replay``), equal to the server's, row for row.
    _replayed_equals_the_server(rt, tmp_path / "replayed.db")

    # The mirror follows the destructions: the keys deleted, gone from its files, the payloads naming the persons
    # overwritten by the destroyed marker; it still serves everything else (a second mirror copies it whole,
    # every sealed payload opened with a key it serves and hashed, every destroyed one backed by its record).
    assert sync_once(mirror, log).new == mirror.size
    now = mirror.keys()
    assert now[f"person:{a}"].key is None and now[f"person:{a}"].destroyed_idx == by
    assert now[f"person:{b}"].key is None and now[f"person:{b}"].destroyed_idx == by + 1
    files = b"".join(f.read_bytes() for f in (tmp_path / "mirror").glob("mirror.db*"))
    assert keys[f"person:{a}"] not in files and keys[f"person:{b}"] not in files and _hits(files) == []
    named = [p for _, p in mirror.entries(0, mirror.size) if f"person:{a}".encode() in p]
    assert len(named) == 4 and all(sealing.envelope(p.decode())["parley_destroyed"] == by for p in named)
    token = mirror.add_client("restore")
    with TestClient(create_mirror_app(mirror)) as served:
        copy = MirrorStore(tmp_path / "copy", rt.log_signer.vkey(), "mirror.copy")
        assert sync_once(copy, TileReader("", token, client=served)).new == mirror.size
        assert copy.entries(0, copy.size) == mirror.entries(0, mirror.size) and copy.keys() == now
        copy.close()
    mirror.close()

    # The audit of a mediator's auditor (every record, the projections too) still passes: the destroyed payloads
    # are reported as destroyed, not as tampered. (One audit proves it; a party's own costs as much again.)
    audit = Auditor("", rt.log_signer.vkey(), tmp_path / "audit", demo.token("icrc/auditor"), client=c,
                    kinds=rt.kinds, proofs=8, details=3).run()
    assert audit.ok, (audit.failures, audit.problems)
    assert {i for _, i in audit.destroyed} == {by, by + 1} and len(audit.destroyed) == 5
    # And the server's own self-check: sealed payloads open and hash, destroyed ones are destroyed by later records.
    check = check_log(rt.sessions, Verifier.from_vkey(rt.log_signer.vkey()), rt.settings.log_origin)
    assert check.ok, check.problems


# An invented sought person and family, in two scripts.
SOUGHT = ["Кривошапка", "Криворучко-Зінь", "Kryvoshapka", "Кривошапко", "вул. Квітуча, 7", "+380 44 000 1234"]


def test_a_destroyed_inquiry_is_gone_everywhere_and_the_log_still_verifies(sqlite_runtime, sqlite_demo, tmp_path):
    rt, demo = sqlite_runtime, sqlite_demo
    c = TestClient(create_app(rt.settings, rt))
    ua, admin = demo.headers("ua/registrar"), demo.headers("ua/admin")
    filed = c.post("/api/inquiries", headers=ua, json={
        "sought": {"surname": "Кривошапка", "first_name": "Зінь", "birth_place": "Криворучко-Зінь"},
        "relationship": "sister (Kryvoshapka / Кривошапко)", "contact": "вул. Квітуча, 7; +380 44 000 1234"})
    assert filed.status_code == 201, filed.text
    ref, secret = filed.json()["reference"], filed.json()["secret"]
    told = c.post(f"/api/inquiries/{ref}/decisions", headers=ua,
                  json={"decision": "message", "message": "Kryvoshapka: we are checking the lists"})
    assert told.status_code == 201, told.text
    family = c.post("/api/family/inquiry", json={"reference": ref, "secret": secret})
    assert family.status_code == 200 and "Kryvoshapka" in family.text
    db = sqlite_file(rt.engine)
    assert db is not None
    # Found while it exists (in the projection, not the log).
    assert "Кривошапка" in _found(_every_table(rt.settings.database_url))

    body = {"reason": "request", "basis": "the family's request of 2026-12-01"}
    # Refused: a registrar, another party (which cannot read it), a mediator's admin (filed with ua), unknown.
    assert c.post(f"/api/inquiries/{ref}/destroy", headers=ua, json=body).status_code == 403
    assert c.post(f"/api/inquiries/{ref}/destroy", headers=demo.headers("ru/admin"), json=body).status_code == 404
    assert c.post(f"/api/inquiries/{ref}/destroy", headers=demo.headers("icrc/admin"), json=body).status_code == 403
    assert c.post("/api/inquiries/INQ-UA-0000-0000/destroy", headers=admin, json=body).status_code == 404
    done = c.post(f"/api/inquiries/{ref}/destroy", headers=admin, json=body)
    assert done.status_code == 201, done.text
    by = done.json()["index"]
    again = c.post(f"/api/inquiries/{ref}/destroy", headers=admin, json={**body, "basis": "a second request"})
    assert again.status_code == 409 and again.json()["code"] == "inquiry.already_destroyed"
    # Nothing more is said in it; the family's reference opens nothing.
    later = c.post(f"/api/inquiries/{ref}/decisions", headers=ua, json={"decision": "message", "message": "x"})
    assert later.status_code == 409
    assert c.post("/api/family/inquiry", json={"reference": ref, "secret": secret}).status_code == 404
    shown = c.get(f"/api/inquiries/{ref}", headers=ua).json()
    assert shown["status"] == "destroyed" and shown["destroyed_by"] == by and shown["decisions"] == []
    assert shown["candidates"] == [] and shown["sought"] == {}
    report = c.get("/api/retention", headers=admin).json()
    assert any(d["inquiry"] == ref and d["index"] == by and d["reason"] == "request" for d in report["destroyed"])
    html = {**ua, "Accept": "text/html"}
    answers = [c.get(f"/inquiries/{ref}?lang={lang}", headers=html) for lang in ("uk", "ru", "en")]
    assert [a.status_code for a in answers] == [200] * 3
    pages = [a.text for a in answers]
    assert "Знищено" in pages[0] and "Уничтожен" in pages[1] and "Destroyed" in pages[2]
    listed = [c.get("/api/inquiries", headers=ua).text, c.get("/inquiries", headers={**ua, "Accept": "text/html"}).text,
              c.get("/api/log/records?limit=5000", headers=demo.headers("icrc/auditor")).text]
    assert _found("\n".join([*pages, *listed]).encode()) == []

    # Every table, the database file and its WAL, a fresh backup.
    assert _found(_every_table(rt.settings.database_url)) == []
    wal = db.with_name(db.name + "-wal")
    assert _found(db.read_bytes()) == [] and _found(wal.read_bytes() if wal.exists() else b"") == []
    out = tmp_path / "fresh.backup"
    create_backup(rt.settings, out)
    with tarfile.open(out) as tar:
        members = [tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()]  # type: ignore[union-attr]
    assert members and all(_found(m) == [] for m in members)
    # The log still verifies; the decision is reported as destroyed by the record (the filing, with the family's
    # contact, is for the registrars: the auditor checks it through the tree only). Both are stored destroyed.
    report = Auditor("", rt.log_signer.vkey(), tmp_path / "audit", demo.token("icrc/auditor"), client=c,
                     kinds=rt.kinds, projections=False, proofs=4).run()
    assert report.ok, (report.failures[:3], report.problems[:3])
    destroyed = {i for i, _ in report.destroyed}
    assert told.json()["index"] in destroyed
    _replayed_equals_the_server(rt, tmp_path / "replayed.db")  # the inquiry's tombstone made from the notes
    with rt.sessions() as s:
        stored = {e.idx: e.payload for e in s.execute(select(LogEntry).where(LogEntry.idx.in_(
            [filed.json()["index"], told.json()["index"]]))).scalars()}
    assert all(p.startswith(f'{{"parley_destroyed":{by},') for p in stored.values()) and len(stored) == 2


def _found(blob: bytes) -> list[str]:
    low = blob.lower()
    return [n for n in SOUGHT if n.encode() in blob or n.lower().encode() in low]


def test_on_postgresql_destroyed_data_is_gone_from_every_table_and_a_fresh_backup(deployments, pg_ok, tmp_path):
    """PostgreSQL: the live rows of every table and a fresh backup (pg_dump, restored into a new database and
    searched there) hold nothing of a destroyed person or inquiry; the log still verifies. (Dead tuples in the
    table files are reusable space until overwritten: docs/retention.md says to run VACUUM FULL where the
    bytes themselves must be gone.)"""
    from parley.backup import restore_backup
    from tests.conftest import copied
    from tests.log_api.test_backup import new_pg_database

    if not pg_ok:
        pytest.skip("PostgreSQL not reachable")
    with copied(deployments, "postgresql", True, tmp_path / "live") as (rt, demo):
        assert demo is not None
        c = TestClient(create_app(rt.settings, rt))
        ua, admin = demo.headers("ua/registrar"), demo.headers("ua/admin")
        pid = _register_invented(c, ua)
        filed = c.post("/api/inquiries", headers=ua, json={
            "sought": {"surname": "Кривошапка", "first_name": "Зінь"}, "relationship": "sister",
            "contact": "вул. Квітуча, 7; +380 44 000 1234"}).json()
        assert "Жовтобрюх" in _hits(_every_table(rt.settings.database_url))
        assert "Кривошапка" in _found(_every_table(rt.settings.database_url))
        body = {"reason": "court_order", "basis": "Court order 2026/17"}
        assert c.post(f"/api/persons/{pid}/destroy", headers=admin, json=body).status_code == 201
        assert c.post(f"/api/inquiries/{filed['reference']}/destroy", headers=admin, json=body).status_code == 201
        live = _every_table(rt.settings.database_url)
        assert _hits(live) == [] and _found(live) == []
        out = tmp_path / "fresh.backup"
        manifest = create_backup(rt.settings, out, keys_out=tmp_path / "fresh.keys")
        name, url = new_pg_database(deployments)
        try:
            restored = restore_backup(out, tmp_path / "restored", rt.settings.data_dir / "log.key", [rt.state.path],
                                      database_url=url, keys_file=tmp_path / "fresh.keys")
            assert restored.size == manifest.size
            copy = _every_table(url)
            assert len(copy) > 10_000  # the restored copy has its rows
            assert _hits(copy) == [] and _found(copy) == []
        finally:
            deployments._drop(name)
        report = Auditor("", rt.log_signer.vkey(), tmp_path / "audit", demo.token("icrc/auditor"), client=c,
                         kinds=rt.kinds, projections=False, proofs=4).run()
        assert report.ok, (report.failures[:3], report.problems[:3])
        assert len(report.destroyed) >= 2


def test_a_backup_made_before_a_destruction_holds_nothing_readable_of_the_person(sqlite_runtime, sqlite_demo,
                                                                                  tmp_path):
    """The backup seals personal data under keys it does not hold: taken while the person exists, it holds
    no name in any script; restored with a mirror after the person was destroyed, the person is a tombstone,
    since the mirror forgot the key. The same backup restored with a keys file written before the destruction
    would open it: that file is the copy that does not forget (docs/retention.md)."""
    from parley.assembly import kinds
    from parley.backup import restore_backup
    rt, demo = sqlite_runtime, sqlite_demo
    rt.settings = rt.settings.model_copy(update={"mirror_members": "icrc/auditor"})
    c = TestClient(create_app(rt.settings, rt))
    ua, admin = demo.headers("ua/registrar"), demo.headers("ua/admin")
    pid = _register_invented(c, ua)
    backup = tmp_path / "before.backup"
    manifest = create_backup(rt.settings, backup, keys_out=tmp_path / "before.keys")
    assert manifest.sealed_rows >= 2
    with tarfile.open(backup) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]
    assert set(members) == {"manifest.json", "parley.db", "sealed-rows.json"}
    assert all(_hits(data) == [] for data in members.values()), {n: _hits(d) for n, d in members.items()}
    # The keys file holds the person's key (it is the copy that does not forget).
    assert f"person:{pid}".encode() in (tmp_path / "before.keys").read_bytes()

    destroyed = c.post(f"/api/persons/{pid}/destroy", headers=admin,
                       json={"reason": "request", "basis": "request of 2026-12-01"})
    assert destroyed.status_code == 201, destroyed.text
    mirror = MirrorStore(tmp_path / "mirror", rt.log_signer.vkey(), "mirror.test.parley.local")
    sync_once(mirror, TileReader("", demo.token("icrc/auditor"), client=TestClient(c.app)))
    assert mirror.keys()[f"person:{pid}"].key is None  # the mirror forgot it
    token = mirror.add_client("restore")
    served = TestClient(create_mirror_app(mirror))
    try:
        result = restore_backup(backup, tmp_path / "restored", rt.settings.data_dir / "log.key", [rt.state.path],
                                mirror=TileReader("", token, client=served), kinds=kinds(), published=True)
    finally:
        served.close()
        mirror.close()
    assert result.missing is None and result.appended >= 1
    restored = tmp_path / "restored" / "parley.db"
    assert _hits(_every_table(f"sqlite:///{restored}")) == [] and _hits(restored.read_bytes()) == []
    # Everything else is as the live server has it: the same rows, the same keys, the tombstone.
    _same_tables(rt.engine, f"sqlite:///{restored}")
