"""The auditor against a small fake Parley server (FastAPI over a MemoryTree of signed record notes),
so each way a log operator can misbehave is staged exactly: edited payloads and notes, forged and
revoked keys, keys given by someone not allowed to, tiles that lie below an honest root, forks,
rollbacks, a missing witness quorum; and the exit codes of ``parley log verify``."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
import rfc8785
import typer
from fastapi import FastAPI, Header, HTTPException
from fastapi.responses import PlainTextResponse, Response
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from parley.assembly import kinds
from parley.log import auditor as auditor_mod
from parley.log import merkle
from parley.log.checkpoint import Checkpoint
from parley.log.note import Cosigner, Signer, format_note, sign_note
from parley.log.policy import parse_policy
from parley.log.tiles import TILE_WIDTH, hash_tile, parse_tile_path
from parley.logserver.audit import AuditError, Auditor, ForkDetected, TileMismatch
from parley.logserver.audit_cli import verify_command

ORIGIN = "fake.parley.test/log"
NAMES = {"en": "X", "uk": "X", "ru": "X"}


def record_text(kind: str, author: str, payload: Any, audience: str = "all") -> str:
    digest = hashlib.sha256(rfc8785.dumps(payload)).hexdigest()
    return "\n".join(["parley.record/v1", f"origin {ORIGIN}", f"kind {kind}", f"author {author}",
                      f"party {author.split('/')[0]}", "time 2026-01-01T00:00:00Z", f"audience {audience}",
                      f"payload sha256:{digest}"]) + "\n"


class FakeLog:
    """A log whose operator the test controls: ``payload_edit``, ``note_edit`` and ``tile_edit``
    change what is served without changing the tree."""

    def __init__(self, log_key: Signer) -> None:
        self.log_key = log_key
        self.tree = merkle.MemoryTree()
        self.notes: list[bytes] = []
        self.payloads: list[Any] = []
        self.audiences: list[str] = []
        self.signers: dict[str, Signer] = {}
        self.keys: dict[str, dict[str, Any]] = {}  # key id hex -> /api/keys entry
        self.payload_edit: dict[int, Any] = {}
        self.note_edit: dict[int, bytes] = {}
        self.tile_edit: dict[str, bytes] = {}
        self.cosigners: list[Cosigner] = []
        self.listed_checkpoints: list[bytes] = []  # signed checkpoints listed beside the current one
        self.served: bytes | None = None  # the checkpoint /log/checkpoint serves, if not the current tree's
        self.listing_size: int | None = None  # the tree size the record listing claims, if not the tree's
        self.serve_everything_to_ua = False  # a read policy that leaks
        admin = self.signers["icrc/admin"] = Signer.generate("icrc/admin")
        self.add("deployment.init", "icrc/admin", {"party": "icrc", "party_kind": "mediator", "names": NAMES,
                                                   "member": "admin", "display_name": "Admin",
                                                   "vkey": admin.vkey()})
        self._key(admin, 0)

    def _key(self, signer: Signer, idx: int) -> None:
        self.keys[signer.key_id.hex()] = {"name": signer.name, "key_id": signer.key_id.hex(), "vkey": signer.vkey(),
                                          "member": signer.name, "party": signer.name.split("/")[0],
                                          "status": "active", "registered_index": idx, "revoked_index": None}

    def add(self, kind: str, author: str, payload: Any, audience: str = "all", signer: Signer | None = None) -> int:
        note = sign_note(record_text(kind, author, payload, audience), signer or self.signers[author])
        self.notes.append(note)
        self.payloads.append(payload)
        self.audiences.append(audience)
        return self.tree.append(merkle.leaf_hash(note))

    def party(self, slug: str, kind: str = "belligerent") -> None:
        self.add("party.create", "icrc/admin", {"slug": slug, "kind": kind, "names": NAMES})

    def member(self, member: str, roles: list[str], by: str = "icrc/admin") -> Signer:
        party, handle = member.split("/")
        s = self.signers[member] = Signer.generate(member)
        idx = self.add("member.create", by, {"party": party, "handle": handle, "display_name": handle,
                                             "roles": roles, "vkey": s.vkey()})
        self._key(s, idx)
        return s

    def notes_by(self, author: str, count: int, audience: str = "all") -> None:
        for i in range(count):
            self.add("record.note", author, {"text": f"note {i} by {author}"}, audience)

    def checkpoint(self, size: int | None = None) -> bytes:
        size = self.tree.size if size is None else size
        text = Checkpoint(ORIGIN, size, self.tree.root(size)).text()
        return format_note(text, [self.log_key.sign(text.encode()), *(c.cosign(text, 1_700_000_000)
                                                                      for c in self.cosigners)])

    def app(self) -> FastAPI:
        app = FastAPI()

        def reader(authorization: str | None) -> str:
            if authorization not in ("Bearer mediator", "Bearer ua"):
                raise HTTPException(403)
            return authorization.split()[1]

        def readable(who: str, i: int) -> bool:
            if who == "ua" and self.serve_everything_to_ua:
                return True
            return who == "mediator" or self.audiences[i] in ("all", "public", f"party:{who}")

        @app.get("/api/me")
        def me(authorization: str | None = Header(None)) -> dict[str, Any]:
            if reader(authorization) == "mediator":
                return {"member": "icrc/auditor", "party": "icrc", "party_kind": "mediator", "roles": ["auditor"]}
            return {"member": "ua/negotiator", "party": "ua", "party_kind": "belligerent", "roles": ["negotiator"]}

        @app.get("/api/log/checkpoints")
        def checkpoints() -> dict[str, Any]:
            import base64

            out = []
            for note in [self.checkpoint(), *self.listed_checkpoints]:
                cp = Checkpoint.parse(note.decode().split("\n\n")[0] + "\n")
                out.append({"size": cp.size, "root_hash": base64.b64encode(cp.root_hash).decode(),
                            "note": note.decode()})
            return {"checkpoints": sorted(out, key=lambda c: -c["size"])}

        @app.get("/api/log/records/{index}")
        def record(index: int, authorization: str | None = Header(None)) -> dict[str, Any]:
            from parley.log.proof import TlogProof, format_tlog_proof

            if not readable(reader(authorization), index):
                raise HTTPException(404)
            proof = merkle.inclusion_proof(self.tree, index, self.tree.size)
            return {"index": index, "note": self.note_edit.get(index, self.notes[index]).decode(),
                    "proof": format_tlog_proof(TlogProof(index, tuple(proof), self.checkpoint())).decode()}

        @app.get("/api/persons")
        def persons() -> dict[str, Any]:
            return {"persons": []}

        @app.get("/api/operations")
        def operations() -> dict[str, Any]:
            return {"operations": []}

        @app.get("/log/checkpoint")
        def checkpoint() -> Response:
            return PlainTextResponse(self.served or self.checkpoint())

        @app.get("/log/key")
        def key() -> Response:
            return PlainTextResponse(self.log_key.vkey() + "\n")

        @app.get("/log/tile/{path:path}")
        def tile(path: str) -> Response:
            ref = parse_tile_path("tile/" + path)
            if ("tile/" + path) in self.tile_edit:
                return Response(self.tile_edit["tile/" + path])
            if (ref.n * TILE_WIDTH + (ref.width or TILE_WIDTH)) > self.tree.size >> (8 * ref.level):
                raise HTTPException(404, "beyond the published tree")
            return Response(hash_tile(self.tree, ref.level, ref.n, ref.width or TILE_WIDTH))

        @app.get("/api/log/records")
        def records(start: int = 0, limit: int = 500, payload: str = "json",
                    authorization: str | None = Header(None)) -> dict[str, Any]:
            who = reader(authorization)
            out, pos = [], start
            while pos < self.tree.size and len(out) < limit:
                if readable(who, pos):
                    note = self.note_edit.get(pos, self.notes[pos])
                    p = self.payload_edit.get(pos, self.payloads[pos])
                    rec: dict[str, Any] = {"index": pos, "note": note.decode(),
                                           "record_hash": hashlib.sha256(note).hexdigest()}
                    if payload == "canonical":
                        rec["payload_canonical"] = rfc8785.dumps(p).decode()
                    else:
                        rec["payload"] = p
                    out.append(rec)
                pos += 1
            return {"records": out, "next": pos if pos < self.tree.size else None,
                    "size": self.tree.size if self.listing_size is None else self.listing_size}

        @app.get("/api/log/consistency")
        def consistency(old: int, new: int, authorization: str | None = Header(None)) -> dict[str, Any]:
            reader(authorization)
            import base64

            if not 1 <= old <= new <= self.tree.size:  # as the real server answers
                raise HTTPException(400, "need 1 <= old <= new <= the current tree size")
            return {"old": old, "new": new,
                    "proof": [base64.b64encode(h).decode() for h in merkle.consistency_proof(self.tree, old, new)]}

        @app.get("/api/keys")
        def keys() -> dict[str, Any]:
            return {"keys": list(self.keys.values())}

        return app


def truncate(log: FakeLog, size: int) -> None:
    """The operator rolls its tables back to ``size`` records."""
    log.notes, log.payloads, log.audiences = log.notes[:size], log.payloads[:size], log.audiences[:size]
    log.tree = merkle.MemoryTree()
    for note in log.notes:
        log.tree.append(merkle.leaf_hash(note))


def small_log(notes: int = 20) -> FakeLog:
    log = FakeLog(Signer.generate(ORIGIN))
    log.party("ua")
    log.member("ua/admin", ["admin"])
    log.member("ua/negotiator", ["negotiator"], by="ua/admin")
    log.member("icrc/mediator", ["mediator"])
    log.notes_by("ua/negotiator", notes)
    log.notes_by("icrc/mediator", 3, audience="party:icrc")  # hidden from ua
    return log


def audit(log: FakeLog, state: Path, token: str = "mediator", **kw: Any):  # type: ignore[no-untyped-def]
    return Auditor("", log.log_key.vkey(), state, token, client=TestClient(log.app()), kinds=kinds(), **kw).run()


def state_file(state: Path) -> Path:
    return state / "fake.parley.test_log.checkpoint"


def test_happy_path_then_growth(tmp_path):
    log = small_log(600)  # two full leaf tiles and a level-1 tile
    report = audit(log, tmp_path / "s")
    assert report.ok, report.failures[:3]
    assert report.records_checked == report.size == log.tree.size and report.old_size == 0
    assert state_file(tmp_path / "s").read_bytes() == log.checkpoint()
    log.notes_by("ua/negotiator", 300)
    again = audit(log, tmp_path / "s")
    assert again.ok and again.old_size == report.size and again.size == report.size + 300


def test_a_reader_checks_only_what_it_may_read(tmp_path):
    log = small_log()
    report = audit(log, tmp_path / "s", token="ua")
    assert report.ok and report.records_checked == log.tree.size - 3


def test_tampered_payload(tmp_path):
    log = small_log()
    log.payload_edit[10] = {"text": "something else"}
    report = audit(log, tmp_path / "s")
    assert report.failures == [(10, "the payload does not match the record's payload hash")]
    assert not state_file(tmp_path / "s").exists()
    # What failed is kept as the server served it: the record, the checkpoint, why.
    ev = report.evidence
    assert ev is not None and (ev / "checkpoint").read_bytes() == log.checkpoint()
    served = json.loads((ev / "records/10.json").read_text())
    assert served["note"] == log.notes[10].decode() and served["payload_canonical"] == '{"text":"something else"}'
    assert json.loads((ev / "findings.json").read_text())["failures"] == [
        {"index": 10, "why": "the payload does not match the record's payload hash"}]


def test_tampered_note(tmp_path):
    log = small_log()
    log.note_edit[8] = log.notes[8].replace(b"time 2026-01-01", b"time 2026-01-02")
    report = audit(log, tmp_path / "s")
    assert report.failures == [(8, "the record does not hash to its leaf in the tree")]


def test_forged_record_in_the_tree(tmp_path):
    # The operator appends a record "by" ua/negotiator signed with a key of its own making.
    log = small_log()
    log.add("record.note", "ua/negotiator", {"text": "we agree"}, signer=Signer.generate("ua/negotiator"))
    report = audit(log, tmp_path / "s")
    assert [i for i, _ in report.failures] == [log.tree.size - 1]
    assert "no earlier record registered" in report.failures[0][1]


def test_revoked_key_and_unauthorised_key(tmp_path):
    log = small_log()
    neg = log.signers["ua/negotiator"]
    log.add("key.revoke", "ua/negotiator", {"member": "ua/negotiator", "key_id": neg.key_id.hex(), "reason": "lost"})
    log.keys[neg.key_id.hex()]["status"] = "revoked"
    late = log.add("record.note", "ua/negotiator", {"text": "signed after revocation"})
    # A member of ru gives ua/negotiator a new key: ru may not.
    log.party("ru")
    log.member("ru/admin", ["admin"])
    intruder = Signer.generate("ua/negotiator")
    bad = log.add("key.register", "ru/admin", {"member": "ua/negotiator", "vkey": intruder.vkey()})
    report = audit(log, tmp_path / "s")
    assert report.failures[0] == (late, "signed with a key revoked earlier")
    assert report.failures[1][0] == bad and "may not change the keys" in report.failures[1][1]


def test_tiles_that_lie_below_an_honest_root(tmp_path):
    # The operator edits record 8 and the leaf tile that holds it, but not the tile above: the root
    # (built from level-8 nodes) still matches, so only checking each tile against its parent finds it.
    log = small_log(600)
    forged = sign_note(record_text("record.note", "ua/negotiator", {"text": "forged"}), log.signers["ua/negotiator"])
    log.note_edit[8] = forged
    tile = bytearray(hash_tile(log.tree, 0, 0, TILE_WIDTH))
    tile[8 * 32:9 * 32] = merkle.leaf_hash(forged)
    log.tile_edit["tile/0/000"] = bytes(tile)
    log.payload_edit[8] = {"text": "forged"}
    with pytest.raises(TileMismatch, match="tile 0/0") as info:
        audit(log, tmp_path / "s")
    assert not state_file(tmp_path / "s").exists()
    ev = info.value.evidence  # the leaf tile as served, and the tile above it
    assert ev is not None and (ev / "tiles/tile/0/000").read_bytes() == bytes(tile)
    assert (ev / "tiles/tile/1/000.p/2").read_bytes() == hash_tile(log.tree, 1, 0, 2)


def test_tiles_that_do_not_add_up_to_the_root(tmp_path):
    log = small_log(600)
    log.tile_edit["tile/1/000.p/2"] = b"\x00" * 64
    with pytest.raises(TileMismatch):
        audit(log, tmp_path / "s")


def _two_histories(n_a: int, n_b: int) -> tuple[FakeLog, FakeLog]:
    key = Signer.generate(ORIGIN)
    a, b = FakeLog(key), FakeLog(key)
    for log, tag in ((a, "A"), (b, "B")):
        log.notes_by("icrc/admin", n_a if log is a else n_b)
        log.add("record.note", "icrc/admin", {"text": f"history {tag}"})
    return a, b


@pytest.mark.parametrize("n_b, why", [(30, "different roots"), (60, "consistency proof"), (10, "went back")])
def test_fork_or_rollback_saves_evidence_and_keeps_state(tmp_path, n_b, why):
    a, b = _two_histories(30, n_b)
    state = tmp_path / "s"
    assert audit(a, state).ok
    before = state_file(state).read_bytes()
    with pytest.raises(ForkDetected, match=why) as info:
        audit(b, state)
    ev = info.value.evidence
    assert ev.parent == state / "evidence" and ev.name.startswith("fake.parley.test_log-")
    assert (ev / "old.checkpoint").read_bytes() == a.checkpoint()
    assert (ev / "new.checkpoint").read_bytes() == b.checkpoint()
    proof = json.loads((ev / "proof.json").read_text())
    assert proof["old_size"] == a.tree.size and proof["new_size"] == b.tree.size
    assert bool(proof["proof"]) == (b.tree.size > a.tree.size)
    assert "Fork evidence" in (ev / "README.txt").read_text()
    assert state_file(state).read_bytes() == before  # never overwritten
    # Running again saves a second, separate piece of evidence.
    with pytest.raises(ForkDetected) as again:
        audit(b, state)
    assert again.value.evidence != ev and ev.exists()


def test_wrong_log_key_and_policy_quorum(tmp_path):
    log = small_log()
    with pytest.raises(AuditError, match="does not verify"):
        Auditor("", Signer.generate(ORIGIN).vkey(), tmp_path / "s", "mediator", client=TestClient(log.app()),
                kinds=kinds()).run()
    w1, w2 = Cosigner.generate("witness.ua.test"), Cosigner.generate("witness.icrc.test")
    policy = parse_policy(f"log {log.log_key.vkey()}\nwitness ua {w1.vkey()}\nwitness icrc {w2.vkey()}\n"
                          "group both all ua icrc\nquorum both\n")
    log.cosigners = [w1]
    with pytest.raises(AuditError, match="quorum"):
        audit(log, tmp_path / "s", policy=policy)
    log.cosigners = [w1, w2]
    report = audit(log, tmp_path / "s", policy=policy)
    assert report.ok and report.cosigned_by == ["icrc", "ua"]
    # A policy naming another log key does not let a checkpoint by that key through.
    other = FakeLog(Signer.generate(ORIGIN))
    other.cosigners = [w1, w2]
    with pytest.raises(AuditError):
        Auditor("", log.log_key.vkey(), tmp_path / "t", "mediator", client=TestClient(other.app()),
                policy=parse_policy(f"log {other.log_key.vkey()}\nquorum none\n"), kinds=kinds()).run()


def test_refused_token_is_an_audit_error(tmp_path):
    with pytest.raises(AuditError, match="403"):
        audit(small_log(), tmp_path / "s", token="nobody")


@pytest.fixture
def cli(monkeypatch):
    """``parley log verify`` as a one-command typer app whose HTTP client is the fake server."""
    servers: dict[str, FakeLog] = {}

    def client(base_url: str = "", **_: Any) -> httpx.Client:
        return TestClient(servers["current"].app())

    monkeypatch.setattr(auditor_mod.httpx, "Client", client)
    app = typer.Typer()
    app.command()(verify_command(kinds))

    def run(log: FakeLog, state: Path, *extra: str):  # type: ignore[no-untyped-def]
        servers["current"] = log
        return CliRunner().invoke(app, ["--url", "http://testserver", "--key", log.log_key.vkey(),
                                        "--state", str(state), "--token", "mediator", *extra])

    return run


def test_cli_exit_codes(cli, tmp_path):
    a, b = _two_histories(20, 40)
    ok = cli(a, tmp_path / "s")
    assert ok.exit_code == 0, ok.output
    assert "OK fake.parley.test/log: size 22" in ok.output
    a.payload_edit[5] = {"text": "edited"}
    bad = cli(a, tmp_path / "s")
    assert bad.exit_code == 1 and "record 5" in bad.output
    fork = cli(b, tmp_path / "s")
    assert fork.exit_code == 2 and "FORK" in fork.output and "new.checkpoint" in fork.output
    assert list((tmp_path / "s" / "evidence").iterdir())
    b.tile_edit["tile/0/000.p/42"] = b"\x00" * 32 * 42
    assert cli(b, tmp_path / "fresh").exit_code == 1
    pol = tmp_path / "policy"
    pol.write_text("this is not a policy\n")
    assert cli(a, tmp_path / "s2", "--policy", str(pol)).exit_code == 3


def test_cli_runs_no_thread_that_would_keep_the_audit_from_forking(cli, tmp_path, monkeypatch):
    """A long log's records are checked in forked processes only where no other thread runs
    (``auditor._can_fork``): the command's progress display must not start one."""
    seen: list[list[str]] = []

    def can_fork() -> bool:
        seen.append([type(t).__name__ for t in threading.enumerate()])
        return False  # the fake server lives in this process: check on threads

    monkeypatch.setattr(auditor_mod, "PROCESS_MIN", 1)
    monkeypatch.setattr(auditor_mod, "_can_fork", can_fork)
    a, _ = _two_histories(20, 40)
    ok = cli(a, tmp_path / "s")
    assert ok.exit_code == 0, ok.output
    assert seen and not any("_RefreshThread" in names for names in seen), seen


def test_membership_records_authored_outside_the_party(tmp_path):
    """A party's members and keys are managed by its own admins; a mediator's admin sets a party up only
    while it has no active admin (records.kinds.manages), and nobody widens their own roles."""
    log = FakeLog(Signer.generate(ORIGIN))
    log.party("ua")
    log.party("tr", kind="observer")
    log.member("tr/observer", ["negotiator"])  # tr has no admin: the mediator still manages it
    log.member("ua/admin", ["admin"])  # the bootstrap: ua's first admin, by the mediator's admin
    log.member("ua/negotiator", ["negotiator"], by="ua/admin")
    assert audit(log, tmp_path / "ok").ok
    created = log.tree.size
    mole = log.member("ua/mole", ["admin", "negotiator"])  # ua has an admin now: not the mediator's to do
    planted = Signer.generate("ua/negotiator")
    key = log.add("key.register", "icrc/admin", {"member": "ua/negotiator", "vkey": planted.vkey()})
    log._key(planted, key)
    renamed = log.add("party.update", "icrc/admin", {"slug": "ua", "names": NAMES})
    widened = log.add("member.update", "ua/admin", {"member": "ua/admin", "roles": ["admin", "auditor"]})
    report = audit(log, tmp_path / "s")
    listing = [why for _, why in report.failures if why.startswith("the server's key listing")]
    by_index = {i: why for i, why in report.failures if why not in listing}
    # The keys the refused records gave are still listed by the server: the listing disagrees, pointing back.
    assert listing and listing[0].endswith(f"(after record {created} failed)")
    assert by_index[created] == ("icrc/admin may not create members of party ua: a party's members and keys are "
                                 "managed by its own admins (a mediator's admin only while the party has no "
                                 "active admin of its own)")
    assert by_index[key].startswith("icrc/admin may not change the keys of ua/negotiator")
    assert by_index[renamed].startswith("icrc/admin may not update party ua")
    assert by_index[widened].startswith("ua/admin widened its own roles (to admin, auditor): nobody widens their "
                                        "own powers")
    assert mole.name == "ua/mole" and set(by_index) == {created, key, renamed, widened}


def test_a_record_the_caller_may_not_read_is_reported(tmp_path):
    log = small_log()  # three notes addressed to the ICRC only
    log.serve_everything_to_ua = True
    report = audit(log, tmp_path / "s", token="ua")
    hidden = [i for i, a in enumerate(log.audiences) if a == "party:icrc"]
    assert [i for i, _ in report.failures] == hidden
    assert report.failures[0][1] == ("the server sent you this record, but its signed audience (party:icrc) and "
                                     "kind (record.note) do not admit ua/negotiator")


def test_a_listed_checkpoint_of_another_history_is_a_fork(tmp_path):
    a, b = _two_histories(30, 10)
    a.listed_checkpoints = [b.checkpoint()]  # signed by the same log key, for another tree of size 12
    with pytest.raises(ForkDetected, match="not a checkpoint of the tree") as info:
        audit(a, tmp_path / "s")
    assert (info.value.evidence / "old.checkpoint").read_bytes() == b.checkpoint()


def test_a_listed_checkpoint_with_another_root_is_reported(tmp_path, monkeypatch):
    log = small_log()
    real = log.app

    def app():  # type: ignore[no-untyped-def]
        inner = real()

        @inner.middleware("http")
        async def lie(request, call_next):  # type: ignore[no-untyped-def]
            response = await call_next(request)
            if request.url.path != "/api/log/checkpoints":
                return response
            body = json.loads(b"".join([c async for c in response.body_iterator]))
            body["checkpoints"][0]["root_hash"] = base64.b64encode(b"\0" * 32).decode()
            return Response(json.dumps(body), media_type="application/json")

        return inner

    monkeypatch.setattr(log, "app", app)
    report = audit(log, tmp_path / "s")
    assert report.problems == [f"checkpoint {log.tree.size}: the listed root differs from the root its note signs"]
    assert report.evidence is not None
    assert json.loads((report.evidence / "listing/checkpoint-1.json").read_text())["root_hash"] == \
        base64.b64encode(b"\0" * 32).decode()


# -- evidence of a tree that does not match its checkpoint, and of the signed checkpoints the server lists ----------

def manifest(ev: Path) -> dict[str, Any]:
    return json.loads((ev / "evidence.json").read_text())


def test_another_tree_under_an_unchanged_checkpoint_saves_the_tiles_and_the_listed_checkpoints(tmp_path):
    # The operator rolled the log back and grew another history past it, but still publishes the checkpoint the
    # witnesses cosigned (test 4 variant A of the reliability review): the tiles no longer add up to it.
    a, b = _two_histories(30, 20)
    state = tmp_path / "s"
    assert audit(a, state).ok
    b.notes_by("icrc/admin", 20)  # 42 records, the first 32 not a's
    b.served = a.checkpoint()
    with pytest.raises(TileMismatch, match="root computed from the hash tiles differs") as info:
        audit(b, state)
    tiles, listed = info.value.all_evidence
    assert (tiles / "checkpoint").read_bytes() == a.checkpoint() == (tiles / "saved.checkpoint").read_bytes()
    assert (tiles / "tiles/tile/0/000.p/32").read_bytes() == hash_tile(b.tree, 0, 0, 32)  # as served
    m = manifest(tiles)
    assert m["kind"] == "audit.tiles_root" and m["size"] == 32
    assert base64.b64decode(m["root_from_tiles"]) == b.tree.root(32) != a.tree.root()
    assert "tiles/tile/0/000.p/32" in m["files"] and "tlog-tiles" in (tiles / "README.txt").read_text()
    # The signed checkpoint the server lists (42, of b's history) does not extend the one verified before.
    assert manifest(listed)["kind"] == "audit.listed_vs_saved"
    assert (listed / "old.checkpoint").read_bytes() == a.checkpoint()
    assert (listed / "new.checkpoint").read_bytes() == b.checkpoint()
    assert json.loads((listed / "proof.json").read_text())["proof"]  # the proof the server served, failing
    assert state_file(state).read_bytes() == a.checkpoint()


def test_two_roots_signed_for_the_verified_size_is_a_fork_whatever_the_tiles(tmp_path):
    a, b = _two_histories(30, 40)
    state = tmp_path / "s"
    assert audit(a, state).ok
    b.served = a.checkpoint()
    b.listed_checkpoints = [b.checkpoint(a.tree.size)]  # signed by the same key: another root for size 32
    with pytest.raises(ForkDetected, match="two different roots for size 32") as info:
        audit(b, state)
    ev = info.value.evidence
    assert ev is not None and manifest(ev)["kind"] == "audit.listed_two_roots"
    assert (ev / "old.checkpoint").read_bytes() == a.checkpoint()
    assert (ev / "new.checkpoint").read_bytes() == b.checkpoint(a.tree.size)
    kinds_found = {manifest(p)["kind"] for p in info.value.all_evidence}
    assert {"audit.listed_two_roots", "audit.tiles_root"} <= kinds_found


def test_a_shortened_tree_under_an_unchanged_checkpoint(tmp_path):
    log = small_log(30)
    state = tmp_path / "s"
    assert audit(log, state).ok
    published = log.checkpoint()
    size = log.tree.size
    truncate(log, size - 6)  # the last records lost, the checkpoint still served
    log.served = published
    with pytest.raises(TileMismatch, match=f"does not serve tile tile/0/000.p/{size}") as info:
        audit(log, state)
    m = manifest(info.value.evidence)
    assert m["kind"] == "audit.tile_missing" and "404" in m["server_answer"]
    assert (info.value.evidence / "checkpoint").read_bytes() == published


def test_a_listing_shorter_than_the_checkpoint(tmp_path):
    log = small_log()
    log.listing_size = 10
    with pytest.raises(TileMismatch, match=f"lists a tree of 10 records under its checkpoint for size "
                                           f"{log.tree.size}") as info:
        audit(log, tmp_path / "s")
    assert manifest(info.value.evidence)["listed_size"] == 10


def test_a_newer_listed_checkpoint_the_server_cannot_prove(tmp_path):
    a, b = _two_histories(30, 40)
    a.listed_checkpoints = [b.checkpoint()]  # 42, signed by the log's key, beyond a's tree of 32
    with pytest.raises(ForkDetected, match="inconsistent with its published one") as info:
        audit(a, tmp_path / "s")
    assert "no consistency proof" in str(info.value)
    assert manifest(info.value.evidence)["kind"] == "audit.listed_inconsistent"


def test_cli_names_the_evidence_in_the_readers_language(cli, tmp_path, monkeypatch):
    import parley.cli  # noqa: F401 - sets the command line's translation (parley.client.translate)

    a, b = _two_histories(30, 20)
    assert cli(a, tmp_path / "s").exit_code == 0
    b.notes_by("icrc/admin", 20)
    b.served = a.checkpoint()
    failed = cli(b, tmp_path / "s")
    assert failed.exit_code == 1
    flat = " ".join(failed.output.split())
    assert "FAILED: the root computed from the hash tiles differs" in flat and "evidence saved in" in flat
    saved = sorted((tmp_path / "s" / "evidence").iterdir())
    assert len(saved) == 2 and all(str(p) in failed.output.replace("\n", "") for p in saved)
    monkeypatch.setenv("LANGUAGE", "uk")
    again = " ".join(cli(b, tmp_path / "s").output.split())
    assert "Корінь, обчислений з хеш-плиток" in again and "Докази збережено" in again
    b.listed_checkpoints = [b.checkpoint(a.tree.size)]
    fork = cli(b, tmp_path / "s")
    assert fork.exit_code == 2 and "РОЗГАЛУЖЕННЯ" in fork.output and "Збережену контрольну" in fork.output
