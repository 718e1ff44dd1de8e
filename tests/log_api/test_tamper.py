"""The log against its own operator: the fifteen ways of editing the database that the security review
tried (docs/threat-model.md), each caught by the server's self-check, by ``parley log verify``, or both.

One deployment (the demo plus 3 notes: 442 entries, so the tree has a full hash tile and a level-8 node) is built
once; each case edits a copy of its SQLite file. The self-check runs as the server would at start-up.
``parley log verify`` runs against a *rogue* server on the copy: the same code with its state file and
self-check turned off, as an operator who edits the database would run it, so the auditor is shown
exactly what the edited tables give. The auditor keeps the state of an earlier audit of the pristine
log, as a party's auditor does.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import and_, delete, select, update

from parley.app import create_app
from parley.assembly import kinds, open_runtime
from parley.db import make_engine, session_factory
from parley.log.models import LogCheckpoint, LogCosignature, LogEntry, LogHead, LogNode
from parley.log.note import Signer, Verifier
from parley.log.selfcheck import check_log
from parley.log.store import NodeCache
from parley.logserver.audit import AuditError, Auditor, ForkDetected, TileMismatch
from parley.parties.models import Annotation, MemberKey
from parley.people.models import Person
from parley.records.compose import compose
from parley.records.pipeline import Pipeline
from parley.runtime import Runtime, load_log_key, log_state
from tests.conftest import ORIGIN, Demo, Deployments, make_settings

EXTRA = 3  # notes after the demo's 439 records: 442 entries
LAST_BATCH = 2  # the last notes are their own batch: a checkpoint at 440 and one at 442


def note(signer: Signer, i: int, prefix: str = "note") -> tuple[bytes, dict[str, str]]:
    payload = {"text": f"{prefix} {i}"}
    return compose(signer, origin=ORIGIN, kind="record.note", audience="all", payload=payload), payload


@dataclass
class Pristine:
    dir: Path
    demo: Demo
    size: int
    auditor_states: dict[str, Path]
    checked: dict[str, int]  # records each auditor checked


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory, deployments: Deployments) -> Pristine:
    base = tmp_path_factory.mktemp("pristine")
    rt, demo = deployments.sqlite_demo(base)
    signer = demo.signer("ua/negotiator")
    rt.pipeline.submit_many([note(signer, i) for i in range(EXTRA - LAST_BATCH)])
    rt.pipeline.submit_many([note(signer, i, "late") for i in range(LAST_BATCH)])
    with rt.sessions() as s:
        size = s.get(LogHead, 1).size
    states, checked = {}, {}
    with TestClient(create_app(rt.settings, rt)) as client:
        for member in ("icrc/auditor", "ru/negotiator", "ua/registrar"):
            states[member] = base / "auditors" / member.replace("/", "-")
            report = Auditor("", rt.log_signer.vkey(), states[member], demo.token(member), client=client,
                             proofs=0, details=0, kinds=rt.kinds).run()
            assert report.ok, (member, report.failures, report.problems)
            checked[member] = report.records_checked
    rt.close()
    return Pristine(base, demo, size, states, checked)


@dataclass
class Copy:
    dir: Path
    url: str
    settings: Any
    engine: Any
    pristine: Pristine

    def sessions(self):  # type: ignore[no-untyped-def]
        return session_factory(self.engine)()

    def self_check(self):  # type: ignore[no-untyped-def]
        signer = load_log_key(self.settings)
        return check_log(session_factory(self.engine), Verifier.from_vkey(signer.vkey()), ORIGIN,
                         log_state(self.settings, signer))

    def rogue(self) -> Runtime:
        """The server as an operator who edits its tables runs it: no state file, no self-check."""
        signer = load_log_key(self.settings)
        sessions = session_factory(self.engine)
        cache = NodeCache()
        return Runtime(settings=self.settings, engine=self.engine, sessions=sessions, log_signer=signer,
                       pipeline=Pipeline(sessions, signer, ORIGIN, kinds=kinds(), cache=cache), cache=cache)

    def verify(self, member: str = "icrc/auditor", **options: Any):  # type: ignore[no-untyped-def]
        rt = self.rogue()
        state = Path(tempfile.mkdtemp(dir=self.dir)) / "auditor-state"
        shutil.copytree(self.pristine.auditor_states[member], state)
        options = {"proofs": 0, "details": 0, **options}
        try:
            with TestClient(create_app(self.settings, rt)) as client:
                return Auditor("", rt.log_signer.vkey(), state, self.pristine.demo.token(member), client=client,
                               kinds=rt.kinds, **options).run()
        finally:
            rt.pipeline.close()

    @contextmanager
    def served(self) -> Iterator[str]:
        """The rogue server in a process of its own, over HTTP: its URL."""
        port = free_port()
        server = subprocess.Popen([sys.executable, "-c", ROGUE, str(self.dir), str(port)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{url}/log/key", timeout=1).status_code in (200, 401):
                        break
                except httpx.HTTPError:
                    pass
                assert server.poll() is None, server.stderr.read().decode()[-2000:] if server.stderr else ""
                assert time.monotonic() < deadline, "the rogue server did not start"
                time.sleep(0.1)
            yield url
        finally:
            server.terminate()
            server.wait(10)

    def verify_over_http(self, url: str, member: str = "icrc/auditor", *, modes: tuple[str, ...] = ("processes",),
                         **options: Any) -> list[SimpleNamespace]:
        """``verify`` against the rogue server at ``url``, as ``parley log verify`` runs it: in a process of its
        own (a test process may run other threads, which forbid forking), once per mode, each from a fresh copy
        of the member's auditor state. ``processes``: as a long log is checked, in other processes that read
        ranges of the listing themselves (``auditor._check_in_processes``), made to cut the copy's few entries
        into several ranges; ``threads``: on threads. The reports, as JSON gives them back, in ``modes``' order."""
        args = [url, load_log_key(self.settings).vkey(), self.pristine.demo.token(member),
                json.dumps({"proofs": 0, "details": 0, **options})]
        for mode in modes:
            state = Path(tempfile.mkdtemp(dir=self.dir)) / "auditor-state"
            shutil.copytree(self.pristine.auditor_states[member], state)
            args += [str(state), mode]
        done = subprocess.run([sys.executable, "-c", AUDIT, *args], capture_output=True, text=True, timeout=300,
                              check=False)
        assert done.returncode == 0, done.stderr[-3000:]
        reports = json.loads(done.stdout)
        for report in reports:
            report["failures"] = [tuple(f) for f in report["failures"]]
        return [SimpleNamespace(**report) for report in reports]


# ``Copy.verify_over_http``'s audits, in a process of its own: argv url, key, token, options, then a state
# directory and a mode (threads or processes) for each audit, run in that order (the threads' pools are shut
# down after each audit, so the process may fork for the next).
AUDIT = """
import json, sys
from pathlib import Path
from parley.assembly import kinds
from parley.log import auditor
from parley.logserver.audit import Auditor
url, vkey, token, options = sys.argv[1:5]
default = auditor.PROCESS_MIN, auditor.RANGE
# Signatures verified again in this process, after the checking processes verified them with another key.
again, signed = [0], auditor._Prepared.signed
def spied(self):
    again[0] += 1
    return signed(self)
auditor._Prepared.signed = spied
used = []
checked = auditor.Auditor._check_in_processes
def spy(*a, **k):
    used.append(1)
    checked(*a, **k)
auditor.Auditor._check_in_processes = spy
reports = []
for state, mode in zip(sys.argv[5::2], sys.argv[6::2], strict=True):
    auditor.PROCESS_MIN, auditor.RANGE = (1, 100) if mode == "processes" else default
    if mode == "processes":
        assert auditor._can_fork(), "the audit's process runs other threads: it may not fork"
    again[0], used[:] = 0, []
    r = Auditor(url, vkey, Path(state), token, kinds=kinds(), **json.loads(options)).run()
    assert bool(used) == (mode == "processes"), "records checked in processes" if used else "on threads"
    reports.append({"ok": r.ok, "failures": r.failures, "problems": r.problems,
                    "records_checked": r.records_checked, "proofs_checked": r.proofs_checked,
                    "projections_compared": r.projections_compared, "verified_again": again[0],
                    "served": {k: v for k, v in r.served.items() if k.startswith("records/")}})
print(json.dumps(reports))
"""


# The rogue server of ``Copy.rogue`` as a process of its own, on the copy in argv[1], at the port in argv[2].
ROGUE = """
import sys
from pathlib import Path
import uvicorn
from parley.app import create_app
from parley.db import make_engine
from tests.conftest import make_settings
from tests.log_api.test_tamper import Copy
d = Path(sys.argv[1])
url = f"sqlite:///{d / 'parley.db'}"
settings = make_settings(url, d)
rt = Copy(d, url, settings, make_engine(url), None).rogue()
uvicorn.run(create_app(settings, rt), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def copy(pristine: Pristine, tmp_path: Path) -> Copy:
    d = tmp_path / "data"
    shutil.copytree(pristine.dir, d, ignore=shutil.ignore_patterns("auditors"))
    url = f"sqlite:///{d / 'parley.db'}"
    engine = make_engine(url)
    yield Copy(d, url, make_settings(url, d), engine, pristine)
    engine.dispose()


# -- the edits ------------------------------------------------------------------------------------------------

def flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]


def first_idx(c: Copy, kind: str, audience: str | None = None) -> int:
    with c.sessions() as s:
        q = select(LogEntry.idx).where(LogEntry.kind == kind).order_by(LogEntry.idx)
        if audience:
            q = q.where(LogEntry.audience == audience)
        return s.execute(q.limit(1)).scalar_one()


def edit_entry(c: Copy, idx: int, **values: Any) -> None:
    with c.sessions() as s:
        s.execute(update(LogEntry).where(LogEntry.idx == idx).values(**values))
        s.commit()


def t_payload(c: Copy) -> None:
    idx = first_idx(c, "record.note")  # a payload stored as its author signed it (no personal data)
    with c.sessions() as s:
        payload = s.get(LogEntry, idx).payload
    at = payload.index('"text":"') + len('"text":"') + 3
    edit_entry(c, idx, payload=payload[:at] + chr(ord(payload[at]) ^ 1) + payload[at + 1:])


def t_sealed(c: Copy) -> None:
    """A personal payload is stored sealed (records/sealing.py): one character of its ciphertext changed."""
    idx = first_idx(c, "person.register", "party:ua")
    with c.sessions() as s:
        payload = s.get(LogEntry, idx).payload
    at = payload.index('"ct":"') + len('"ct":"') + 3
    edit_entry(c, idx, payload=payload[:at] + ("A" if payload[at] != "A" else "B") + payload[at + 1:])


def t_signature(c: Copy) -> None:
    with c.sessions() as s:
        n = s.get(LogEntry, 140).note
    sig = n.rindex(b"\n") - 10  # a base64 character of the signature line, still valid base64
    edit_entry(c, 140, note=n[:sig] + (b"A" if n[sig:sig + 1] != b"A" else b"B") + n[sig + 1:])


def t_text(c: Copy) -> None:
    with c.sessions() as s:
        n = s.get(LogEntry, 150).note
    at = n.index(b"\ntime ") + len(b"\ntime 2026-0")  # a digit of the month the author signed
    edit_entry(c, 150, note=n[:at] + (b"1" if n[at:at + 1] != b"1" else b"2") + n[at + 1:])


def t_leaf(c: Copy) -> None:
    with c.sessions() as s:
        leaf = s.get(LogEntry, 3).leaf_hash
    edit_entry(c, 3, leaf_hash=flip(leaf, 0))


def edit_node(c: Copy, level: int, idx: int) -> None:
    with c.sessions() as s:
        h = s.get(LogNode, (level, idx)).hash
        s.execute(update(LogNode).where(LogNode.level == level, LogNode.idx == idx).values(hash=flip(h, 5)))
        s.commit()


def t_tile_node(c: Copy) -> None:
    edit_node(c, 8, 0)


def t_inner_node(c: Copy) -> None:
    edit_node(c, 3, 12)


def edit_latest_checkpoint(c: Copy, **change: Callable[[Any], Any]) -> None:
    with c.sessions() as s:
        cp = s.get(LogCheckpoint, c.pristine.size)
        s.execute(update(LogCheckpoint).where(LogCheckpoint.size == cp.size)
                  .values(**{k: f(getattr(cp, k)) for k, f in change.items()}))
        s.commit()


def t_checkpoint_signature(c: Copy) -> None:
    def bad_sig(n: bytes) -> bytes:
        at = n.rindex(b"\n") - 10
        return n[:at] + (b"A" if n[at:at + 1] != b"A" else b"B") + n[at + 1:]

    edit_latest_checkpoint(c, note=bad_sig)


def t_checkpoint_root(c: Copy) -> None:
    edit_latest_checkpoint(c, root_hash=lambda r: flip(r, 0))


SURNAME_OF = "ru-azov-0001"


def t_projection(c: Copy) -> None:
    with c.sessions() as s:
        assert s.execute(update(Person).where(Person.id == SURNAME_OF).values(surname="Tampered")).rowcount == 1
        s.commit()


def t_audience(c: Copy) -> None:
    # Ukraine's internal note to the ICRC, served to Russia.
    edit_entry(c, first_idx(c, "record.note", "party:icrc,party:ua"), audience="all")


def t_key_bytes(c: Copy) -> None:
    forged = Signer.generate("ua/negotiator")
    with c.sessions() as s:
        s.execute(update(MemberKey).where(MemberKey.name == "ua/negotiator").values(vkey=forged.vkey()))
        s.commit()


def roll_back(c: Any, to: int) -> None:
    """What restoring an older backup amounts to: the last entries, their nodes, checkpoints,
    cosignatures and projection rows (here: the notes' annotations) gone, the head set back.
    ``c.sessions()`` opens a session on the database."""
    with c.sessions() as s:
        s.execute(delete(LogEntry).where(LogEntry.idx >= to))
        nodes = s.execute(select(LogNode.level, LogNode.idx)).all()
        gone = [(lv, i) for lv, i in nodes if (i + 1) << lv > to]
        for lv, i in gone:
            s.execute(delete(LogNode).where(and_(LogNode.level == lv, LogNode.idx == i)))
        s.execute(delete(LogCosignature).where(LogCosignature.size > to))
        s.execute(delete(LogCheckpoint).where(LogCheckpoint.size > to))
        s.execute(delete(Annotation).where(Annotation.idx >= to))
        s.execute(update(LogHead).values(size=to))
        s.commit()


def t_rollback(c: Copy) -> None:
    roll_back(c, c.pristine.size - LAST_BATCH)


def t_rollback_append(c: Copy) -> None:
    roll_back(c, c.pristine.size - LAST_BATCH)
    # The operator appends anyway with a server that ignores its state file: a second history for 442.
    rt = c.rogue()
    signer = c.pristine.demo.signer("ru/negotiator")
    rt.pipeline.submit_many([note(signer, i, "other") for i in range(LAST_BATCH)])
    rt.pipeline.close()


def t_deleted_entry(c: Copy) -> None:
    with c.sessions() as s:
        s.execute(delete(LogEntry).where(LogEntry.idx == 100))
        s.commit()


def t_swapped(c: Copy) -> None:
    cols = [col.name for col in LogEntry.__table__.columns if col.name != "idx"]
    with c.sessions() as s:
        a, b = (s.execute(select(*[getattr(LogEntry, n) for n in cols]).where(LogEntry.idx == i)).one()
                for i in (57, 58))
        s.execute(update(LogEntry).where(LogEntry.idx == 57).values(record_hash="x" * 64))
        s.execute(update(LogEntry).where(LogEntry.idx == 58).values(dict(zip(cols, a, strict=True))))
        s.execute(update(LogEntry).where(LogEntry.idx == 57).values(dict(zip(cols, b, strict=True))))
        s.commit()


# -- the cases ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    name: str
    edit: Callable[[Copy], None]
    self_check: str | None  # a problem the self-check reports, or None where it cannot see the edit
    verify: str | tuple[type[Exception], str] | None  # what `parley log verify` reports, or raises (type, message)
    member: str = "icrc/auditor"
    options: tuple[tuple[str, Any], ...] = ()


CASES = [
    Case("payload", t_payload, "payload does not hash to the payload hash its author signed",
         "the payload does not match the record's payload hash", member="ua/registrar"),
    Case("sealed", t_sealed, "its sealed payload does not open under its subjects' keys",
         "the payload does not match the record's payload hash", member="ua/registrar"),
    Case("signature", t_signature, "entry 140: its stored leaf hash is not the hash of its signed note",
         "the record does not hash to its leaf in the tree"),
    Case("record text", t_text, "entry 150: its stored leaf hash is not the hash of its signed note",
         "the record does not hash to its leaf in the tree"),
    Case("leaf hash", t_leaf, "entry 3: its stored leaf hash is not the hash of its signed note",
         (TileMismatch, "hash tile 0/0 does not hash to its entry in the tile above")),
    Case("tile node (level 8)", t_tile_node, "Merkle node at level 8, index 0 differs",
         (TileMismatch, "the root computed from the hash tiles differs")),
    Case("inner node (level 3)", t_inner_node, "Merkle node at level 3, index 12 differs",
         "the inclusion proof the server serves for this record does not verify", options=(("proofs", 1000),)),
    Case("checkpoint signature", t_checkpoint_signature, "checkpoint 442: its note is not signed by the log key",
         (AuditError, "checkpoint does not verify")),
    Case("checkpoint root", t_checkpoint_root, "checkpoint 442: its stored root differs",
         "checkpoint 442: the listed root differs from the root its note signs"),
    Case("projection row", t_projection, None, f"the server serves person '{SURNAME_OF}' differently from its "
         "signed records: surname"),
    Case("audience column", t_audience, "its audience column differs from its signed text",
         "the server lists this record with another audience than its signed text", member="ru/negotiator"),
    Case("key bytes", t_key_bytes, None, "is listed with other key bytes than the log registered"),
    Case("rollback", t_rollback, "the database holds a log of 440 entries, but this log already released a "
         "checkpoint for 442 entries", (ForkDetected, "the log went back from size 442 to 440")),
    Case("rollback then append", t_rollback_append, "the tree recomputed from the entries at size 442 does not "
         "have the root this log released there", (ForkDetected, "two different roots for size 442")),
    Case("deleted entry", t_deleted_entry, "entry 100 is missing", (AuditError, "missing nodes of this tile")),
    Case("swapped entries", t_swapped, "Merkle node at level 1, index 28 differs",
         (TileMismatch, "hash tile 0/0 does not hash to its entry in the tile above")),
]


def test_the_pristine_copy_passes_both(copy):
    report = copy.self_check()
    assert report.ok, report.problems
    assert (report.entries, report.checkpoints, report.state_size) == (copy.pristine.size, 3, copy.pristine.size)
    assert report.nodes == sum(copy.pristine.size >> level for level in range(1, 10))  # every full inner node
    audit = copy.verify(proofs=1000, details=1000)
    assert audit.ok, (audit.failures, audit.problems)
    assert audit.proofs_checked == audit.records_checked and audit.projections_compared["person"] > 50


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_tampering_is_detected(copy, case):
    case.edit(copy)
    detected = []
    report = copy.self_check()
    if case.self_check is None:
        assert report.ok, report.problems
    else:
        assert not report.ok and any(case.self_check in p for p in report.problems), report.problems
        detected.append("self-check")
        # ... and the server refuses to start on it.
        with pytest.raises(RuntimeError, match=r"refusing to start|rolled back|different root"):
            rt = open_runtime(copy.settings, engine=copy.engine)
            try:
                with TestClient(create_app(copy.settings, rt)):
                    pass
            finally:
                rt.pipeline.close()
    if case.verify is not None:
        if isinstance(case.verify, tuple):
            with pytest.raises(case.verify[0], match=case.verify[1]):
                copy.verify(case.member, **dict(case.options))
        else:
            audit = copy.verify(case.member, **dict(case.options))
            found = [why for _, why in audit.failures] + audit.problems
            assert not audit.ok and any(case.verify in why for why in found), found
        detected.append("verify")
    assert detected, f"{case.name}: detected by neither"


IN_PROCESSES = [c for c in CASES if c.name in ("payload", "signature", "audience column", "key bytes")]


def test_the_pristine_copy_passes_in_processes(copy):
    """The whole default audit (projections and proofs) with the records checked in other processes, by the
    mediator's auditor and by a party's, who reads fewer records."""
    with copy.served() as url:
        audit, = copy.verify_over_http(url, proofs=64, details=20)
        party, = copy.verify_over_http(url, "ru/negotiator")
    assert audit.ok, (audit.failures, audit.problems)
    assert audit.records_checked == copy.pristine.checked["icrc/auditor"] and audit.proofs_checked == 64
    assert audit.projections_compared["person"] > 50
    assert party.ok, (party.failures, party.problems)
    assert party.records_checked == copy.pristine.checked["ru/negotiator"] < audit.records_checked
    # The checking processes verified every signature with the key the server lists for it, from the first
    # range on, before the records registering the keys were settled here: none was verified again.
    assert audit.verified_again == 0 and party.verified_again == 0


@pytest.mark.parametrize("case", IN_PROCESSES, ids=[c.name for c in IN_PROCESSES])
def test_tampering_is_detected_in_processes(copy, case):
    """The same findings, about the same records, whether the records are checked on threads or in processes;
    a failing record is saved as served."""
    case.edit(copy)
    with copy.served() as url:
        # The records' checks only: the projections are compared alike either way (the pristine test above
        # compares them after checking in processes).
        threads, processes = copy.verify_over_http(url, case.member, modes=("threads", "processes"),
                                                   projections=False)
        listed = httpx.get(f"{url}/api/log/records?limit=5000", headers=copy.pristine.demo.headers(case.member))
    found = [why for _, why in processes.failures]
    assert not processes.ok and any(case.verify in why for why in found), found
    assert processes.failures == threads.failures and processes.problems == threads.problems
    assert processes.records_checked == threads.records_checked
    assert processes.served == threads.served
    if case.name != "key bytes":
        assert processes.served  # each failing record, as served
    else:
        # The server lists a forged key for ua/negotiator: the checking processes' verifications with it fail,
        # and each of its records is verified again here with the key the log registered, and passes.
        signed_by = sum(r["author"] == "ua/negotiator" for r in listed.json()["records"])
        assert processes.verified_again == signed_by > 0
        assert not any(why == "the author's signature does not verify" for why in found)


def test_sixteen_cases():
    assert len(CASES) == 16 and all(c.self_check or c.verify for c in CASES)


def test_verify_sees_served_edits_on_both_databases(runtime, demo, tmp_path):
    """The edits only `parley log verify` can see (served projections, listed fields, key bytes, inner
    nodes behind the proofs), on SQLite and PostgreSQL alike, against a rogue server on the same tables."""
    rt = runtime
    signer = load_log_key(rt.settings)
    sessions = session_factory(rt.engine)
    rogue = Runtime(settings=rt.settings, engine=rt.engine, sessions=sessions, log_signer=signer,
                    pipeline=Pipeline(sessions, signer, ORIGIN, kinds=rt.kinds), cache=NodeCache())

    def verify(member: str, **options: Any):  # type: ignore[no-untyped-def]
        with TestClient(create_app(rt.settings, rogue)) as client:
            return Auditor("", signer.vkey(), tmp_path / member.replace("/", "-"), demo.token(member), client=client,
                           kinds=rt.kinds, **{"proofs": 0, "details": 0, **options}).run()

    assert verify("icrc/auditor").ok and verify("ru/negotiator").ok
    with rt.sessions() as s:
        internal = s.execute(select(LogEntry.idx).where(LogEntry.audience == "party:icrc,party:ua")).scalar_one()
        s.execute(update(LogEntry).where(LogEntry.idx == internal).values(audience="all"))
        assert s.execute(update(Person).where(Person.id == SURNAME_OF).values(surname="Tampered")).rowcount == 1
        s.execute(update(LogNode).where(LogNode.level == 2, LogNode.idx == 3).values(hash=b"\x07" * 32))
        forged = Signer.generate("ru/liaison")
        s.execute(update(MemberKey).where(MemberKey.name == "ru/liaison").values(vkey=forged.vkey()))
        s.commit()
    russia = verify("ru/negotiator")
    assert (internal, "the server lists this record with another audience than its signed text") in russia.failures
    mediator = verify("icrc/auditor", proofs=1000)
    found = [why for _, why in mediator.failures] + mediator.problems
    assert any(f"person '{SURNAME_OF}' differently from its signed records: surname" in w for w in found), found
    assert any("key" in w and "of ru/liaison is listed with other key bytes" in w for w in found), found
    assert any("inclusion proof the server serves for this record does not verify" in w for w in found), found
