"""A party's own audit of the log (``parley log verify``). It trusts nothing but the log's verifier
key, an optional witness policy and its own state directory:

1. the new checkpoint is signed by the log (and cosigned per the policy, if one is given);
2. it is consistent with the last checkpoint this auditor verified, else both signed checkpoints and
   the proof are saved under ``<state>/evidence/`` as evidence of a fork (``ForkDetected``);
3. every full hash tile hashes to its entry in the tile above, and the root recomputed from the
   tiles equals the checkpoint's, so every leaf hash used below is bound to the signed root;
4. every record the caller may read hashes to its leaf, is a record of this log by an active member
   of its party, carries a valid signature by a key its author held at that index, and commits to
   its payload; the listing's own fields (kind, author, party, time, audience, record hash) are the
   signed ones, and the record's signed audience and kind admit the caller (``/api/me``), so a record
   the server should not have sent is reported. Key history and standing come from the log's own key
   and member records, in log order (every member may read them), under the rules of
   ``records/kinds.py``: a party's members and keys are managed by its own admins (a member manages
   its own keys), a mediator's admin only while the party has no active admin, and nobody widens
   their own roles. The server's ``/api/keys`` listing (status and key bytes) is compared with it;
5. every signed checkpoint the server lists (``/api/log/checkpoints``, back to the last verified
   size): its listed root is the root its note signs, and it is a checkpoint of the same tree as the
   published one (root from the tiles, or a consistency proof for a newer one), else a fork;
6. the inclusion proofs the server serves (``/api/log/records/<i>``) for a sample of the records,
   all if few: they come from the server's stored inner nodes, which no tile carries;
7. what the server serves about persons and operations equals what the records read give
   (``parley.logserver.projections``).

This module knows no record kind beyond the log's own membership and key records. What depends on the
kinds is handed in: ``admits`` (the read policy: may the caller read a record of this kind and audience?)
and ``shadow`` (the projections recomputed from the records read). ``parley.logserver.audit.Auditor``
hands in both for every kind the log accepts; ``parley log verify`` uses it.

Only a clean audit moves the stored checkpoint forward.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import random

import httpx
import pydantic_core
import rfc8785

from parley.log import merkle
from parley.log.checkpoint import Checkpoint, CheckpointError
from parley.log.note import NoteError, Verifier, open_note, parse_note
from parley.log.policy import Policy, PolicyError
from parley.log.proof import TlogProofError, parse_tlog_proof, verify_tlog_proof
from parley.log.tiles import TILE_HEIGHT, TILE_WIDTH, TileNodeSource

PAGE = 5000
# The first page is small so checking starts while the server still builds the big ones.
FIRST_PAGE = 500
CHECKPOINT_PAGE = 500
# Newer checkpoints than the published one are each checked with a consistency proof: at most this many.
NEWER_CHECKPOINTS = 100
KEY_KINDS = {"deployment.init", "member.create", "key.register", "key.rotate", "key.revoke"}
STANDING_KINDS = KEY_KINDS | {"party.create", "party.update", "member.update"}
MANAGED_BY = ("a party's members and keys are managed by its own admins (a mediator's admin only while the "
              "party has no active admin of its own)")
# The listing's fields that repeat the signed text.
LISTED_FIELDS = ("kind", "author", "party", "time", "audience")
# Records are checked on this many threads, in chunks of this many, the threads kept this many chunks ahead
# of the records settled in log order (``Auditor._check_records``).
CHECK_THREADS = 2
CHECK_CHUNK = 200
CHUNKS_AHEAD = 8


@dataclass(frozen=True)
class Caller:
    """The member the audit runs as (``/api/me``): a reader in the read policy's sense."""

    member: str
    party: str
    party_kind: str
    roles: frozenset[str]
    display_name: str = ""


# May the caller read the signed record of this kind, audience and author party? (the read policy)
Admits = Callable[[Caller, str, str, str], bool]


class AuditError(Exception):
    """The log could not be audited (unreachable, refused, malformed answers, bad checkpoint)."""


class TileMismatch(AuditError):
    """The hash tiles the server serves do not add up to the checkpoint it signed."""


class ForkDetected(AuditError):
    def __init__(self, message: str, evidence: Path) -> None:
        super().__init__(message)
        self.evidence = evidence


@dataclass
class AuditReport:
    origin: str = ""
    old_size: int = 0
    size: int = 0
    records_checked: int = 0
    failures: list[tuple[int, str]] = field(default_factory=list)  # (record index, why)
    problems: list[str] = field(default_factory=list)  # checkpoints, keys, projections
    seconds: float = 0.0
    cosigned_by: list[str] = field(default_factory=list)
    checkpoints_checked: int = 0
    proofs_checked: int = 0
    projections_compared: dict[str, int] = field(default_factory=dict)
    projections_skipped: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures and not self.problems


def _safe(origin: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in origin)


def _kind_of(rec: Any) -> str | None:
    try:
        kind: str = next(line[5:] for line in rec["note"].split("\n") if line.startswith("kind "))
        return kind
    except (KeyError, TypeError, AttributeError, StopIteration):
        return None


def _write_atomically(path: Path, data: bytes) -> None:
    # A crash mid-write must leave the old checkpoint, never a torn one.
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


@dataclass
class _Standing:
    """Parties, members and keys as the log's own signed records establish them, in log order."""

    parties: dict[str, str] = field(default_factory=dict)  # slug -> kind
    members: dict[str, list[Any]] = field(default_factory=dict)  # id -> [roles, active]
    keys: dict[tuple[str, bytes], list[Any]] = field(default_factory=dict)  # (name, key id) -> [Verifier, revoked]
    broken: list[int] = field(default_factory=list)  # failed records that would have set up standing

    def after_broken(self, why: str) -> str:
        # A failed key or member record makes later ones fail too: point at the cause.
        return f"{why} (after record {self.broken[0]} failed)" if self.broken else why

    def has_active_admin(self, party: str) -> bool:
        return any(active and "admin" in roles for mid, (roles, active) in self.members.items()
                   if mid.partition("/")[0] == party)

    def admin_of(self, author: str, party: str) -> bool:
        """May ``author`` manage the members and keys of ``party`` (``records.kinds.manages``)? Its own
        admins may; a mediator's admin only while the party has no active admin (setting it up)."""
        m = self.members.get(author)
        if m is None or "admin" not in m[0]:
            return False
        own = author.partition("/")[0]
        if own == party:
            return True
        return self.parties.get(own) == "mediator" and not self.has_active_admin(party)

    def owner_or_admin(self, author: str, member: str) -> bool:
        return author == member or self.admin_of(author, member.partition("/")[0])


class _Prepared:
    """What one listed record shows on its own (``Auditor._prepare``), for ``Auditor._settle``."""

    __slots__ = ("author", "fields", "idx", "key_id", "kind", "payload_ok", "problem", "rec", "sig", "signature_ok",
                 "text", "verified_with")

    def __init__(self, rec: Any) -> None:
        self.rec = rec
        self.idx: Any = None
        self.problem: str | None = None
        self.fields: dict[str, str] = {}
        self.kind: str | None = None
        self.author = ""
        self.key_id = b""
        self.sig: bytes | None = None  # the author's signature, None if the note has none
        self.text = b""
        self.payload_ok = False
        self.verified_with: Verifier | None = None  # the key the signature was verified with, if any
        self.signature_ok = False


@dataclass
class _Settle:
    """Where settling the listing in log order stands."""

    size: int
    last: int = -1
    stopped: int = 0  # the page at whose record beyond the checkpoint settling stopped


class Auditor:
    def __init__(self, url: str, log_vkey: str, state_dir: Path, token: str | None = None,
                 policy: Policy | None = None, client: httpx.Client | None = None,
                 progress: Callable[[int, int], None] | None = None, *, projections: bool = True,
                 proofs: int = 256, details: int = 100, admits: Admits | None = None,
                 shadow: Callable[[Caller], Any] | None = None) -> None:
        """``projections``: compare what the server serves about persons and operations; ``proofs``: how
        many records' inclusion proofs to check (all if fewer); ``details``: how many persons and
        operations to compare one by one (all if fewer). ``admits``: may the caller read the signed record
        of a kind, audience and author party (without it, records sent are not checked against the read
        policy); ``shadow``: the recomputed projections for the caller (without it, none are compared)."""
        self.projections = projections
        self.admits = admits
        self.shadow = shadow
        self.proof_sample = proofs
        self.details = details
        self.rng = random.SystemRandom()  # which proofs are sampled must not be predictable by the server
        self._admitted: dict[Caller, dict[tuple[str, str, str], bool]] = {}
        try:
            self.log_key = Verifier.from_vkey(log_vkey)
        except NoteError as exc:
            raise AuditError(f"malformed log key: {exc}") from exc
        self.origin = self.log_key.name
        self.state = Path(state_dir)
        self.policy = policy
        self.progress = progress
        self.client = client or httpx.Client(base_url=url.rstrip("/"), timeout=60)
        if token:
            self.client.headers["Authorization"] = f"Bearer {token}"

    # -- fetching ---------------------------------------------------------------------------------

    def _get(self, path: str) -> httpx.Response:
        try:
            r = self.client.get(path)
        except httpx.HTTPError as exc:
            raise AuditError(f"GET {path}: {exc}") from exc
        if r.status_code != 200:
            raise AuditError(f"GET {path}: {r.status_code} {r.text[:200]}")
        return r

    def _json(self, path: str) -> Any:
        try:
            # pydantic-core's parser: about twice as fast as the json module on a page of records.
            return pydantic_core.from_json(self._get(path).content, cache_strings="keys")
        except ValueError as exc:
            raise AuditError(f"GET {path}: not JSON") from exc

    def _page(self, start: int, limit: int) -> tuple[list[dict[str, Any]], int | None]:
        page = self._json(f"/api/log/records?start={start}&limit={limit}&payload=canonical")
        try:
            records, nxt = page["records"], page["next"]
            if not isinstance(records, list) or not (nxt is None or (isinstance(nxt, int) and nxt > start)):
                raise TypeError("records must be a list and next must move forward")
        except (KeyError, TypeError) as exc:
            raise AuditError(f"malformed record listing at {start}: {exc}") from exc
        return records, nxt

    # -- checkpoints and forks --------------------------------------------------------------------

    @property
    def _state_file(self) -> Path:
        return self.state / f"{_safe(self.origin)}.checkpoint"

    def _open_checkpoint(self, note: bytes) -> tuple[Checkpoint, set[str]]:
        try:
            # The log key given on the command line must sign it, whatever the policy says.
            text, _, _ = open_note(note, [self.log_key])
            cp = Checkpoint.parse(text)
            cosigned: set[str] = set()
            if self.policy is not None:
                cp, cosigned = self.policy.verify_checkpoint(note)
        except (NoteError, CheckpointError, PolicyError) as exc:
            raise AuditError(f"checkpoint does not verify: {exc}") from exc
        if cp.origin != self.origin:
            raise AuditError(f"checkpoint is for {cp.origin!r}, expected {self.origin!r}")
        return cp, cosigned

    def _evidence(self, old_note: bytes, new_note: bytes, old: Checkpoint, new: Checkpoint, proof: list[str],
                  why: str) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        base = self.state / "evidence" / f"{_safe(self.origin)}-{stamp}"
        d, n = base, 1
        while d.exists():  # never overwrite earlier evidence
            d, n = base.with_name(f"{base.name}-{n}"), n + 1
        d.mkdir(parents=True)
        (d / "old.checkpoint").write_bytes(old_note)
        (d / "new.checkpoint").write_bytes(new_note)
        (d / "proof.json").write_text(json.dumps({
            "origin": self.origin, "old_size": old.size, "new_size": new.size,
            "old_root": base64.b64encode(old.root_hash).decode(), "new_root": base64.b64encode(new.root_hash).decode(),
            "proof": proof, "reason": why}, indent=2) + "\n")
        (d / "README.txt").write_text(
            f"Fork evidence for log {self.origin}, found {stamp}\n\n{why}\n\n"
            "old.checkpoint is the checkpoint this auditor verified earlier; new.checkpoint is the one\n"
            "the log served now. Both are signed by the log's key (check them with any C2SP signed-note\n"
            f"verifier and the log key {self.log_key.name}+{self.log_key.key_id.hex()}). proof.json holds\n"
            "the RFC 6962 consistency proof the log served between them (empty if none applies), which\n"
            "does not verify. A log that is append-only cannot sign two checkpoints like these: it has\n"
            "shown different histories to different readers, or rolled its history back. Keep this\n"
            "directory and share it with the other parties and their witnesses.\n"
        )
        return d

    def _check_consistency(self, new_note: bytes, cp: Checkpoint) -> int:
        """Compare with the stored checkpoint; returns its size (0 if none)."""
        if not self._state_file.exists():
            return 0
        old_note = self._state_file.read_bytes()
        try:
            text, _, _ = open_note(old_note, [self.log_key])
            old = Checkpoint.parse(text)
        except (NoteError, CheckpointError) as exc:
            raise AuditError(f"the stored checkpoint {self._state_file} does not verify: {exc}") from exc
        proof: list[str] = []
        why = ""
        if cp.size < old.size:
            why = f"the log went back from size {old.size} to {cp.size}"
        elif cp.size == old.size:
            if cp.root_hash != old.root_hash:
                why = f"two different roots for size {cp.size}"
        elif old.size > 0:
            got = self._json(f"/api/log/consistency?old={old.size}&new={cp.size}")
            try:
                proof = [str(p) for p in got["proof"]]
                merkle.verify_consistency(old.size, cp.size, [base64.b64decode(p, validate=True) for p in proof],
                                          old.root_hash, cp.root_hash)
            except (KeyError, TypeError) as exc:
                raise AuditError(f"malformed consistency proof answer: {exc}") from exc
            except (merkle.ProofError, ValueError) as exc:
                why = f"the consistency proof from {old.size} to {cp.size} fails: {exc}"
        if why:
            raise ForkDetected(why, self._evidence(old_note, new_note, old, cp, proof, why))
        return old.size

    # -- tiles ------------------------------------------------------------------------------------

    def _tile_source(self, size: int) -> TileNodeSource:
        seen: dict[str, bytes] = {}

        def fetch(path: str) -> bytes:
            got = seen.get(path)
            if got is None:
                # setdefault: two threads fetching one tile both use the first bytes stored, so the
                # bytes the records were checked against are the bytes the tile check verifies.
                got = seen.setdefault(path, self._get("/log/" + path).content)
            return got

        return TileNodeSource(fetch, size)

    @staticmethod
    def _check_tiles(tiles: TileNodeSource, size: int) -> None:
        """Fetch every leaf tile, then bind every full tile to its entry in the tile above; the
        checkpoint's root (checked in ``run``) covers the partial tiles at the right edge."""
        try:
            for n in range((size + TILE_WIDTH - 1) // TILE_WIDTH):
                tiles.node(0, n * TILE_WIDTH)
            level = 0
            while size >> (level + TILE_HEIGHT):
                for n in range(size >> (level + TILE_HEIGHT)):
                    below = merkle.node_hash(tiles.node(level + TILE_HEIGHT - 1, 2 * n),
                                             tiles.node(level + TILE_HEIGHT - 1, 2 * n + 1))
                    if below != tiles.node(level + TILE_HEIGHT, n):
                        raise TileMismatch(f"hash tile {level // TILE_HEIGHT}/{n} does not hash to its entry "
                                           f"in the tile above (leaves from {(n * TILE_WIDTH) << level})")
                level += TILE_HEIGHT
        except (ValueError, LookupError) as exc:
            raise TileMismatch(f"hash tiles are malformed: {exc}") from exc

    # -- the audit --------------------------------------------------------------------------------

    def run(self) -> AuditReport:
        t0 = time.perf_counter()
        report = AuditReport(origin=self.origin)
        new_note = self._get("/log/checkpoint").content
        cp, cosigned = self._open_checkpoint(new_note)
        report.size, report.cosigned_by = cp.size, sorted(cosigned)
        self.state.mkdir(parents=True, exist_ok=True)
        report.old_size = self._check_consistency(new_note, cp)
        tiles = self._tile_source(cp.size)
        if cp.size:
            try:
                root = merkle.root_hash(tiles, cp.size)
            except (ValueError, LookupError) as exc:
                raise TileMismatch(f"hash tiles are malformed: {exc}") from exc
            if root != cp.root_hash:
                raise TileMismatch("the root computed from the hash tiles differs from the checkpoint's")
        me = self._whoami()
        shadow = None
        if self.projections and me is not None and self.shadow is not None:
            shadow = self.shadow(me)
        try:
            readable = self._check_records(cp, tiles, report, me, shadow)
            self._check_checkpoints(new_note, cp, tiles, report)
            self._check_proofs(cp, tiles, readable, report)
            if shadow is not None:
                self._check_projections(cp, shadow, report)
        finally:
            if shadow is not None:
                shadow.close()
        if report.ok:
            _write_atomically(self._state_file, new_note)
        report.seconds = time.perf_counter() - t0
        return report

    def _whoami(self) -> Caller:
        """The caller as a reader (``records.policy.Reader``), from ``/api/me``."""
        me = self._json("/api/me")
        try:
            return Caller(member=str(me["member"]), party=str(me["party"]), party_kind=str(me["party_kind"]),
                          roles=frozenset(str(r) for r in me["roles"]), display_name=str(me.get("display_name", "")))
        except (KeyError, TypeError) as exc:
            raise AuditError(f"malformed answer from /api/me: {exc}") from exc

    def _listed_keys(self) -> dict[tuple[str, str], tuple[bool, Any]]:
        try:
            out = {}
            for k in self._json("/api/keys")["keys"]:
                try:
                    v = Verifier.from_vkey(k["vkey"])
                    key = (v.name, v.alg, v.public_key)
                except (NoteError, TypeError, AttributeError):
                    key = None
                out[(k["name"], k["key_id"])] = (k["status"] == "revoked", key)
            return out
        except (KeyError, TypeError) as exc:
            raise AuditError(f"malformed key listing: {exc}") from exc

    def _compare_keys(self, cp: Checkpoint, standing: _Standing, report: AuditReport) -> None:
        rebuilt = {(v.name, kid.hex()): (revoked, (v.name, v.alg, v.public_key))
                   for (_, kid), (v, revoked) in standing.keys.items()}
        listed = self._listed_keys()
        if rebuilt == listed:
            return
        why = []
        for name, kid in sorted(rebuilt.keys() | listed.keys()):
            ours, theirs = rebuilt.get((name, kid)), listed.get((name, kid))
            if theirs is None:
                why.append(f"key {kid} of {name} is registered in the log but not listed")
            elif ours is None:
                why.append(f"key {kid} of {name} is listed but no record registered it")
            elif ours[1] != theirs[1]:
                why.append(f"key {kid} of {name} is listed with other key bytes than the log registered")
            elif ours[0] != theirs[0]:
                state = "revoked" if ours[0] else "active"
                why.append(f"key {kid} of {name} is {state} in the log but listed otherwise")
        more = f" (and {len(why) - 3} more)" if len(why) > 3 else ""
        report.failures.append((cp.size - 1, standing.after_broken(
            "the server's key listing (/api/keys) disagrees with the key records in the log: "
            + "; ".join(why[:3]) + more)))

    def _check_records(self, cp: Checkpoint, tiles: TileNodeSource, report: AuditReport, me: Any,
                       shadow: Any) -> list[int]:
        """Every record the server lists, in two steps. On ``CHECK_THREADS`` threads, chunk by chunk, what
        each record shows on its own: its leaf, its signed text, the listing's fields, the read policy, its
        payload hash, and its author's signature by the key the author held when the chunk started (Ed25519
        in ``cryptography`` releases the GIL, and each thread lets go of it at every signature, so both
        cores verify). Then here, in log order: standing (is the author an active member, the key theirs
        and not revoked at this index, and what the record changes), with the signature verified again
        only if the key is not the one the thread used."""
        standing = _Standing()
        readable: list[int] = []
        settle = _Settle(cp.size)
        # Pages and leaf tiles are fetched in the background while records are checked.
        with ThreadPoolExecutor(2) as fetching, ThreadPoolExecutor(CHECK_THREADS) as checking:
            tiles_checked = fetching.submit(self._check_tiles, tiles, cp.size)
            ahead: Future[Any] | None = fetching.submit(self._page, 0, FIRST_PAGE) if cp.size else None
            chunks: deque[tuple[int, Future[list[_Prepared]]]] = deque()
            page = 0
            while ahead is not None:
                records, nxt = ahead.result()
                ahead = fetching.submit(self._page, nxt, PAGE) if nxt is not None and nxt < cp.size else None
                page += 1
                for i in range(0, len(records), CHECK_CHUNK):
                    chunks.append((page, checking.submit(self._prepare, records[i : i + CHECK_CHUNK], cp.size,
                                                         tiles, standing, me)))
                    # Settle in log order, the threads kept a few chunks ahead: a key registered less than
                    # that many records earlier is not yet known to them (the signature is verified here).
                    while len(chunks) > CHUNKS_AHEAD or (chunks and chunks[0][1].done()):
                        self._settle(*chunks.popleft(), settle, standing, report, me, shadow, readable)
                if self.progress:
                    self.progress(report.records_checked, cp.size)
            while chunks:
                self._settle(*chunks.popleft(), settle, standing, report, me, shadow, readable)
            tiles_checked.result()
        if report.records_checked:
            self._compare_keys(cp, standing, report)
        return readable

    def _prepare(self, records: list[Any], size: int, tiles: TileNodeSource, standing: _Standing,
                 me: Any) -> list[_Prepared]:
        """What each record shows on its own (run on the checking threads; ``_check_records``)."""
        out = []
        origin, keys = self.origin, standing.keys
        admits = self._admits_cached(me)
        for rec in records:
            p = _Prepared(rec)
            out.append(p)
            try:
                idx = p.idx = rec["index"]
                if type(idx) is not int or idx >= size:
                    continue
                note = rec["note"].encode()
                if merkle.leaf_hash(note) != tiles.node(0, idx):
                    p.problem = "the record does not hash to its leaf in the tree"
                    continue
                try:
                    text, sigs = parse_note(note)
                except NoteError as exc:
                    p.problem = f"malformed note: {exc}"
                    continue
                lines = text.split("\n")
                fields = p.fields = dict(line.split(" ", 1) for line in lines[1:-1] if " " in line)
                if lines[0] != "parley.record/v1" or fields.get("origin") != origin:
                    p.problem = "not a record of this log"
                    continue
                kind = p.kind = fields.get("kind")
                # The listing repeats the signed text's fields: the server's copies must be the signed ones.
                listed = [f for f in LISTED_FIELDS if f in rec and rec[f] != fields.get(f)]
                if "record_hash" in rec and rec["record_hash"] != hashlib.sha256(note).hexdigest():
                    listed.append("record hash")
                if listed:
                    p.problem = f"the server lists this record with another {', '.join(listed)} than its signed text"
                    continue
                if admits is not None and not admits(kind or "", fields.get("audience", ""), fields.get("party", "")):
                    p.problem = (f"the server sent you this record, but its signed audience ({fields.get('audience')}) "
                                 f"and kind ({kind}) do not admit {me.member}")
                    continue
                author = p.author = fields.get("author", "")
                sig = next((s for s in sigs if s.name == author), None)
                if sig is not None:
                    p.key_id, p.sig, p.text = sig.key_id, sig.sig, text.encode()
                if "payload_canonical" in rec:
                    digest = hashlib.sha256(rec["payload_canonical"].encode()).hexdigest()
                else:
                    digest = hashlib.sha256(rfc8785.dumps(rec["payload"])).hexdigest()
                p.payload_ok = fields.get("payload") == f"sha256:{digest}"
                found = keys.get((author, p.key_id)) if sig is not None else None
                if found is not None:
                    p.verified_with = found[0]
                    p.signature_ok = found[0].verify(p.text, p.sig)
            except (KeyError, TypeError, ValueError, LookupError, AttributeError, UnicodeError) as exc:
                p.problem = f"malformed record in the listing: {exc!r}"
        return out

    def _settle(self, page: int, chunk: Future[list[_Prepared]], settle: _Settle, standing: _Standing,
                report: AuditReport, me: Any, shadow: Any, readable: list[int]) -> None:
        """The prepared records of one chunk, in log order: standing, and the outcome of each."""
        failures = report.failures
        for p in chunk.result():
            if settle.stopped == page:
                return
            rec, idx = p.rec, p.idx
            if type(idx) is not int or idx <= settle.last:
                failures.append((settle.last, f"the listing is out of order or repeats a record ({idx!r})"))
                continue
            if idx >= settle.size:
                settle.stopped = page
                return
            settle.last = idx
            problem = p.problem
            if problem is None:
                try:
                    problem = self._standing_of(p, standing)
                except (KeyError, TypeError, ValueError, LookupError, AttributeError, UnicodeError) as exc:
                    problem = f"malformed record in the listing: {exc!r}"
            report.records_checked += 1
            if problem:
                failures.append((idx, problem))
                if _kind_of(rec) in STANDING_KINDS:
                    standing.broken.append(idx)
                if shadow is not None:
                    try:
                        shadow.taint(_kind_of(rec), self._payload(rec))
                    except (KeyError, TypeError, ValueError):
                        pass
            else:
                readable.append(idx)  # its proof is checked too
                if shadow is not None:
                    shadow.apply(idx, rec["note"].split("\n\n", 1)[0] + "\n", self._payload(rec))

    def _admits_cached(self, me: Any) -> Callable[[str, str, str], bool] | None:
        """The read policy for the caller, its answers kept by kind, audience and author party."""
        if me is None or self.admits is None:
            return None
        admits, known = self.admits, self._admitted.setdefault(me, {})

        def cached(kind: str, audience: str, party: str) -> bool:
            key = (kind, audience, party)
            ok = known.get(key)
            if ok is None:
                ok = known[key] = admits(me, kind, audience, party)
            return ok

        return cached

    def _standing_of(self, p: _Prepared, standing: _Standing) -> str | None:
        """Why a record that shows nothing wrong on its own fails at its index, or None: its author is an
        active member of its party, holds the key it signed with (not revoked), the signature verifies,
        the payload hash matches, and what it changes in standing is allowed."""
        idx, author, kind, fields = p.idx, p.author, p.kind, p.fields
        genesis = idx == 0 and kind == "deployment.init"
        if not genesis:
            member = standing.members.get(author)
            if member is None or not member[1] or author.partition("/")[0] != fields.get("party"):
                return standing.after_broken(f"{author} is not an active member of party {fields.get('party')} "
                                             "at this index")
        if p.sig is None:
            return "no signature by the author"
        found = standing.keys.get((author, p.key_id))
        if found is None and genesis:
            v = self._payload_vkey(p.rec)  # the first record is signed by the key it registers
            found = [v, False] if v is not None and v.name == author else None
        if found is None:
            return standing.after_broken(f"signed by a key that no earlier record registered for {author}")
        v, revoked = found
        if revoked:
            return "signed with a key revoked earlier"
        ok = p.signature_ok if p.verified_with is v else v.verify(p.text, p.sig)
        if not ok:
            return "the author's signature does not verify"
        if not p.payload_ok:
            return "the payload does not match the record's payload hash"
        if kind in STANDING_KINDS:
            problem = self._apply_standing(kind or "", idx, author, p.rec, standing)
            return standing.after_broken(problem) if problem else None
        return None

    # -- what else the server serves ----------------------------------------------------------------

    def _check_checkpoints(self, new_note: bytes, cp: Checkpoint, tiles: TileNodeSource,
                           report: AuditReport) -> None:
        """Every checkpoint the server lists, newest first, down to the size this auditor verified
        before: the listed root is the signed one, and each is a checkpoint of the published tree."""
        floor = report.old_size
        before: int | None = None
        newer: list[tuple[int, bytes, Checkpoint]] = []
        while True:
            q = f"/api/log/checkpoints?limit={CHECKPOINT_PAGE}" + (f"&before={before}" if before else "")
            try:
                items = self._json(q)["checkpoints"]
                if not isinstance(items, list):
                    raise TypeError("checkpoints must be a list")
            except (KeyError, TypeError) as exc:
                raise AuditError(f"malformed checkpoint listing: {exc}") from exc
            for item in items:
                try:
                    size, note, listed_root = item["size"], item["note"].encode(), item["root_hash"]
                    text, _, _ = open_note(note, [self.log_key])
                    signed = Checkpoint.parse(text)
                except (KeyError, TypeError, AttributeError, NoteError, CheckpointError) as exc:
                    shown = item.get("size") if isinstance(item, dict) else "?"
                    report.problems.append(f"the server lists a checkpoint ({shown}) that the log did not sign: {exc}")
                    continue
                report.checkpoints_checked += 1
                if signed.size != size or signed.origin != self.origin:
                    report.problems.append(f"checkpoint {size}: the listing names another size or log than its note")
                    continue
                if listed_root != base64.b64encode(signed.root_hash).decode():
                    report.problems.append(f"checkpoint {size}: the listed root differs from the root its note signs")
                if size <= cp.size:
                    if size and merkle.root_hash(tiles, size) != signed.root_hash:
                        why = (f"the log signed a checkpoint for size {size} that is not a checkpoint of the tree "
                               f"its published checkpoint ({cp.size}) commits to")
                        raise ForkDetected(why, self._evidence(note, new_note, signed, cp, [], why))
                else:
                    newer.append((size, note, signed))
            sizes: list[int] = [i["size"] for i in items if isinstance(i, dict) and isinstance(i.get("size"), int)]
            if len(items) < CHECKPOINT_PAGE or not sizes or min(sizes) <= max(floor, 1):
                break
            before = min(sizes)
        for size, note, signed in sorted(newer, key=lambda x: -x[0])[:NEWER_CHECKPOINTS]:
            got = self._json(f"/api/log/consistency?old={cp.size}&new={size}") if cp.size else {"proof": []}
            try:
                proof = [str(p) for p in got["proof"]]
                if cp.size:
                    merkle.verify_consistency(cp.size, size, [base64.b64decode(p, validate=True) for p in proof],
                                              cp.root_hash, signed.root_hash)
            except (KeyError, TypeError) as exc:
                raise AuditError(f"malformed consistency proof answer: {exc}") from exc
            except (merkle.ProofError, ValueError) as exc:
                why = (f"the log signed a checkpoint for size {size} inconsistent with its published one "
                       f"({cp.size}): {exc}")
                raise ForkDetected(why, self._evidence(new_note, note, cp, signed, proof, why)) from None

    def _check_proofs(self, cp: Checkpoint, tiles: TileNodeSource, readable: list[int], report: AuditReport) -> None:
        """The inclusion proofs the server serves with records: built from its stored inner nodes."""
        sample = (readable if len(readable) <= self.proof_sample
                  else sorted(self.rng.sample(readable, self.proof_sample)))
        for idx in sample:
            rec = self._json(f"/api/log/records/{idx}")
            try:
                note = rec["note"].encode()
                proof = parse_tlog_proof(rec["proof"].encode())
                if proof.index != idx:
                    raise TlogProofError(f"the proof is for record {proof.index}")
                signed = verify_tlog_proof(proof, note, self.log_key)
            except (KeyError, TypeError, AttributeError, TlogProofError, merkle.ProofError) as exc:
                report.failures.append((idx, f"the inclusion proof the server serves for this record does not "
                                             f"verify: {exc}"))
                continue
            report.proofs_checked += 1
            if merkle.leaf_hash(note) != tiles.node(0, idx):
                report.failures.append((idx, "the server serves this record with another note than the one in the "
                                             "tree"))
            elif signed.size <= cp.size and merkle.root_hash(tiles, signed.size) != signed.root_hash:
                report.failures.append((idx, f"this record's proof is against a checkpoint ({signed.size}) that is "
                                             "not one of the published tree"))

    def _check_projections(self, cp: Checkpoint, shadow: Any, report: AuditReport) -> None:
        """Persons and operations as the server serves them, against the records this audit verified.
        Objects that records beyond the verified checkpoint touch (seen before and after the comparison,
        as the log may grow meanwhile) are not compared."""
        pos = self._taint_tail(cp.size, shadow)
        result = shadow.compare(self._json, details=self.details, rng=self.rng)
        self._taint_tail(pos, shadow)
        report.projections_compared = result.compared
        report.projections_skipped = result.skipped
        for family, oid, why in result.problems:
            if (family, oid) not in shadow.tainted:
                report.problems.append(why)

    def _taint_tail(self, start: int, shadow: Any) -> int:
        """Mark what the records from ``start`` on touch (those the server has beyond the verified
        checkpoint, author-signed); returns where the listing ended."""
        pos: int | None = start
        while pos is not None:
            page = self._json(f"/api/log/records?start={pos}&limit={PAGE}&payload=canonical")
            try:
                records, nxt = page["records"], page["next"]
            except (KeyError, TypeError) as exc:
                raise AuditError(f"malformed record listing at {pos}: {exc}") from exc
            if nxt is not None and (not isinstance(nxt, int) or nxt <= pos):
                raise AuditError(f"malformed record listing at {pos}: next must move forward")
            for rec in records:
                try:
                    note = rec["note"].encode()
                    text, _ = parse_note(note)
                    fields = dict(line.split(" ", 1) for line in text.split("\n")[1:-1] if " " in line)
                    digest = hashlib.sha256(rec["payload_canonical"].encode()).hexdigest()
                    if fields.get("payload") == f"sha256:{digest}":
                        shadow.taint(fields.get("kind"), json.loads(rec["payload_canonical"]))
                except (KeyError, TypeError, ValueError, AttributeError, NoteError):
                    continue
            try:
                start = max(start, int(page.get("size", start)))
            except (TypeError, ValueError):
                pass
            pos = nxt
        return start

    @staticmethod
    def _payload(rec: dict[str, Any]) -> Any:
        return rec["payload"] if "payload" in rec else json.loads(rec["payload_canonical"])

    def _payload_vkey(self, rec: dict[str, Any]) -> Verifier | None:
        try:
            return Verifier.from_vkey(self._payload(rec)["vkey"])
        except (KeyError, TypeError, ValueError, NoteError):
            return None

    def _apply_standing(self, kind: str, idx: int, author: str, rec: dict[str, Any], st: _Standing) -> str | None:
        """Replay who may do what (the rules of ``parley.records.kinds``) for the records that give
        keys, roles and parties: a key the log says a member holds must have been given by someone
        allowed to give it, and a party's members by its own admins (or a mediator's admin while the
        party had none)."""
        try:
            p = self._payload(rec)
            new_key: tuple[str, str] | None = None  # (member it is for, vkey)
            if kind == "deployment.init":
                if idx != 0:
                    return "deployment.init is only valid as the first record of the log"
                member = f"{p['party']}/{p['member']}"
                if member != author:
                    return "deployment.init must be authored by the member it creates"
                st.parties[p["party"]] = p["party_kind"]
                st.members[member] = [frozenset({"admin"}), True]
                new_key = (member, p["vkey"])
            elif kind == "party.create":
                if "admin" not in st.members.get(author, [frozenset()])[0] or \
                        st.parties.get(author.partition("/")[0]) != "mediator":
                    return "only an admin of a mediator party may create parties"
                st.parties[p["slug"]] = p["kind"]
            elif kind == "party.update":
                if p["slug"] not in st.parties:
                    return f"updates unknown party {p['slug']!r}"
                if not st.admin_of(author, p["slug"]):
                    return f"{author} may not update party {p['slug']}, which is not its own: {MANAGED_BY}"
            elif kind == "member.create":
                if p["party"] not in st.parties:
                    return f"creates a member of unknown party {p['party']!r}"
                if not st.admin_of(author, p["party"]):
                    return f"{author} may not create members of party {p['party']}: {MANAGED_BY}"
                member = f"{p['party']}/{p['handle']}"
                st.members[member] = [frozenset(p["roles"]), True]
                new_key = (member, p["vkey"])
            elif kind == "member.update":
                m = st.members.get(p["member"])
                if m is None:
                    return f"updates unknown member {p['member']!r}"
                if not st.admin_of(author, p["member"].partition("/")[0]):
                    return f"{author} may not update {p['member']}: {MANAGED_BY}"
                roles = frozenset(p["roles"]) if p.get("roles") is not None else None
                if p["member"] == author:
                    if p.get("active") is False or (roles is not None and "admin" not in roles):
                        return f"{author} deactivated or demoted itself, which the rules refuse"
                    if roles is not None and not roles <= m[0]:
                        return (f"{author} widened its own roles (to {', '.join(sorted(roles))}): nobody widens "
                                "their own powers")
                if roles is not None:
                    m[0] = roles
                if p.get("active") is not None:
                    m[1] = bool(p["active"])
            else:  # key.register, key.revoke, key.rotate
                member = p["member"]
                if member not in st.members:
                    return f"{author} changes the keys of unknown member {member!r}"
                if not st.owner_or_admin(author, member):
                    return f"{author} may not change the keys of {member}: {MANAGED_BY}, and a member its own"
                if kind in ("key.revoke", "key.rotate"):
                    old = bytes.fromhex(p["old_key_id"] if kind == "key.rotate" else p["key_id"])
                    entry = st.keys.get((member, old))
                    if entry is None or entry[1]:
                        return "revokes a key that no earlier record registered, or one already revoked"
                    entry[1] = True
                if kind != "key.revoke":
                    new_key = (member, p["vkey"])
            if new_key is not None:
                v = Verifier.from_vkey(new_key[1])
                if v.name != new_key[0]:
                    return f"registers a key named {v.name!r} for {new_key[0]}"
                if (v.name, v.key_id) in st.keys:
                    return "registers a key that is already registered"
                st.keys[(v.name, v.key_id)] = [v, False]
        except (KeyError, TypeError, ValueError, AttributeError, NoteError) as exc:
            return f"malformed {kind} record: {exc!r}"
        return None
