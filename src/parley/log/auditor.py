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
import gc
import hashlib
import json
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import random
import sys
from itertools import repeat

import httpx
import pydantic_core
import rfc8785

from parley.errors import Code
from parley.log import codes as C
from parley.log import merkle
from parley.log.checkpoint import Checkpoint, CheckpointError
from parley.log.note import NoteError, Verifier, open_note, parse_note, parse_signed
from parley.log.policy import Policy, PolicyError
from parley.log.proof import TlogProofError, parse_tlog_proof, verify_tlog_proof
from parley.log.sealed import Destructions
from parley.log.tiles import TILE_HEIGHT, TILE_WIDTH, TileNodeSource, tile_path

PAGE = 19 * TILE_WIDTH  # whole leaf tiles, within the server's 5000
# The first page is small so checking starts while the server still builds the big ones.
FIRST_PAGE = 2 * TILE_WIDTH
CHECKPOINT_PAGE = 500
# The most signed checkpoints read from the server's listing in one audit.
MAX_LISTED_CHECKPOINTS = 100_000
# Checkpoints that need a consistency proof from the server (newer than the published one, or any when the
# tiles cannot be trusted) are each checked with one: at most this many an audit.
NEWER_CHECKPOINTS = 100
# Evidence keeps the tiles it is about, or all tiles fetched if they are few; and at most this many records.
EVIDENCE_TILES = 64
EVIDENCE_RECORDS = 100
# Findings that need no proof from the server: two roots the log signed for one size.
UNDENIABLE = frozenset({C.LISTED_TWO_ROOTS, C.LISTED_NOT_OF_TREE, C.TWO_ROOTS})
KEY_KINDS = {"deployment.init", "member.create", "key.register", "key.rotate", "key.revoke"}
STANDING_KINDS = KEY_KINDS | {"party.create", "party.update", "member.update"}
MANAGED_BY = ("a party's members and keys are managed by its own admins (a mediator's admin only while the "
              "party has no active admin of its own)")
# The listing's fields that repeat the signed text.
LISTED_FIELDS = ("kind", "author", "party", "time", "audience")
# Records are checked on this many threads, in chunks of the records of one leaf tile, the threads kept this
# many chunks ahead of the records settled in log order (``Auditor._check_records``).
CHECK_THREADS = 2
CHUNKS_AHEAD = 8
# A log of at least PROCESS_MIN records not yet verified is checked in CHECK_PROCESSES other processes instead,
# each fetching and checking ranges of RANGE records (whole leaf tiles), RANGES_AHEAD ranges in flight: parsing
# and hashing then run on every core too, not only the signatures. One process more than the cores, so that a
# core is not idle while a process waits for its page. Only where this process can fork safely (Linux, no
# other thread running) and the audit made its own HTTP client.
def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux: the processes are not used there
        return os.cpu_count() or 1


CHECK_PROCESSES = min(8, _cores() + 1)
PROCESS_MIN = 8192
RANGE = 4 * TILE_WIDTH
RANGES_AHEAD = 2 * CHECK_PROCESSES + 1


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


class Finding(AuditError):
    """Something the log signed or serves that an append-only log cannot (``parley.log.codes``), with the
    evidence saved for it: ``evidence`` the first directory, ``more`` any others found in the same audit."""

    def __init__(self, message: str | Code, evidence: Path | None = None, /, *, tiles: tuple[str, ...] = (),
                 details: dict[str, Any] | None = None, **params: Any) -> None:
        if isinstance(message, Code):
            self.code: Code | None = message
            text = message.format(params)
        else:
            self.code, text = None, message
        super().__init__(text)
        self.params = params
        self.evidence = evidence
        self.more: list[Path] = []
        self.tiles = tiles  # the tile paths it is about, if any
        self.details = details or {}

    @property
    def all_evidence(self) -> list[Path]:
        return ([self.evidence] if self.evidence is not None else []) + self.more


class TileMismatch(Finding):
    """The tree the server serves (its hash tiles, its listing) is not the one its checkpoint signs."""


class ForkDetected(Finding):
    """The log signed checkpoints of two different histories (or went back): evidence saved."""


class _TileUnavailable(LookupError):
    """The server answered a tile request with a refusal."""


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
    # Records whose payload the server says was destroyed (personal data, ``records.sealing``): (index, by the
    # record at index). Their notes, signatures and leaves are checked; their payloads cannot be.
    destroyed: list[tuple[int, int]] = field(default_factory=list)
    evidence: Path | None = None  # where what failed was saved, as the server served it
    served: dict[str, Any] = field(default_factory=dict, repr=False)  # what failed, as served (for the evidence)

    @property
    def ok(self) -> bool:
        return not self.failures and not self.problems


def _can_fork() -> bool:
    """May this process fork checking processes? Only with no other thread running: a child would inherit a
    lock another thread held, never to be released."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


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


def _by_tile(records: list[Any]) -> list[list[Any]]:
    """The records of a page in chunks, one per leaf tile (a record without an index stays with the one
    before it)."""
    chunks: list[list[Any]] = []
    tile = None
    for rec in records:
        idx = rec.get("index") if isinstance(rec, dict) else None
        n = idx // TILE_WIDTH if type(idx) is int else tile
        if n != tile or not chunks:
            chunks.append([])
            tile = n
        chunks[-1].append(rec)
    return chunks


class _Prepared:
    """What one listed record shows on its own (``_prepare``), for ``Auditor._settle``. Prepared in another
    process, it carries what settling needs of the record, and the record itself (``rec``) is read from the
    page it came in only if settling needs more (``_Page``)."""

    __slots__ = ("_rec", "audience", "author", "destroyed", "idx", "key_id", "kind", "page", "party", "payload_ok",
                 "pos", "problem", "sig", "signature_ok", "text", "verified_with")

    def __init__(self, rec: Any, pos: int = 0) -> None:
        self._rec = rec
        self.page: _Page | None = None
        self.pos = pos  # its place in its page's listing
        self.idx: Any = None
        self.problem: str | None = None
        self.kind: str | None = None
        self.author = ""
        self.party: str | None = None
        self.audience = ""
        self.key_id = b""
        self.sig: bytes | None = None  # the author's signature, None if the note has none
        self.text = b""  # the signed text (kept only while the signature is still to be verified)
        self.payload_ok = False
        self.verified_with: bytes | None = None  # the public key the signature was verified with, if any
        self.signature_ok = False
        self.destroyed: Any = None  # what the listing says of a destroyed payload

    @property
    def rec(self) -> Any:
        if self._rec is None and self.page is not None:
            self._rec = self.page.records()[self.pos]
        return self._rec

    def detach(self, page: _Page) -> None:
        """Ready to be sent back from a checking process: the record stays in its page's bytes, and a valid
        signature and its text are not sent (``signed``)."""
        self._rec, self.page = None, page
        if self.signature_ok:
            self.text, self.sig = b"", b""
        # One object for each repeated value, which pickling then sends once.
        intern = sys.intern
        self.kind = intern(self.kind) if self.kind is not None else None
        self.author, self.audience = intern(self.author), intern(self.audience)
        self.party = intern(self.party) if self.party is not None else None

    def signed(self) -> tuple[bytes, bytes]:
        """The signed text and the author's signature, from the note again if they were not kept."""
        if self.text and self.sig:
            return self.text, self.sig
        _, sigs, signed = parse_signed(self.rec["note"].encode())
        return signed, next(s.sig for s in sigs if s.name == self.author)

    def __getstate__(self) -> tuple[Any, ...]:
        return (self.page, self.pos, self.idx, self.problem, self.kind, self.author, self.party, self.audience,
                self.key_id, self.sig, self.text, self.payload_ok, self.verified_with, self.signature_ok,
                self.destroyed)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self._rec = None
        (self.page, self.pos, self.idx, self.problem, self.kind, self.author, self.party, self.audience, self.key_id,
         self.sig, self.text, self.payload_ok, self.verified_with, self.signature_ok, self.destroyed) = state


class _Page:
    """A page of the listing as the server sent it (bytes), parsed again only when a record of it is needed."""

    __slots__ = ("body", "parsed")

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.parsed: list[Any] | None = None

    def __getstate__(self) -> bytes:
        return self.body

    def __setstate__(self, body: bytes) -> None:
        self.body, self.parsed = body, None

    def records(self) -> list[Any]:
        if self.parsed is None:
            self.parsed = pydantic_core.from_json(self.body, cache_strings="keys")["records"]
        return self.parsed


def _prepare(records: list[Any], size: int, origin: str, keys: dict[tuple[str, bytes], list[Any]],
             offset: int = 0) -> tuple[list[_Prepared], list[bytes | None], bytes | None]:
    """What each record of one leaf tile's chunk shows on its own: its leaf hash, its signed text, the listing's
    fields, its payload hash, and its author's signature by the key ``keys`` name for it (Ed25519 in
    ``cryptography`` lets go of the GIL while it runs). Returns the prepared records, their leaf hashes (None
    for a note that is not text) and, if they are the whole of a full leaf tile in order, the hash of that
    tile's subtree, which ``Auditor._bind`` compares with its entry in the tile above. ``offset``: where the
    chunk starts in its page."""
    out = []
    leaves: list[bytes | None] = []
    verify: list[tuple[_Prepared, Verifier, bytes, bytes]] = []
    for pos, rec in enumerate(records):
        p = _Prepared(rec, offset + pos)
        out.append(p)
        try:
            idx = p.idx = rec["index"]
            note = rec["note"].encode()
            leaves.append(merkle.leaf_hash(note))
            if type(idx) is not int or idx >= size:
                continue
            p.destroyed = rec.get("destroyed")
            try:
                text, sigs, signed = parse_signed(note)
            except NoteError as exc:
                p.problem = f"malformed note: {exc}"
                continue
            lines = text.split("\n")
            try:  # every line of a record's text is "name value"
                fields = dict(map(str.split, lines[1:-1], repeat(" "), repeat(1)))
            except ValueError:
                fields = dict(line.split(" ", 1) for line in lines[1:-1] if " " in line)
            p.party, p.audience = fields.get("party"), fields.get("audience", "")
            if lines[0] != "parley.record/v1" or fields.get("origin") != origin:
                p.problem = "not a record of this log"
                continue
            p.kind = fields.get("kind")
            # The listing repeats the signed text's fields: the server's copies must be the signed ones.
            listed = [f for f in LISTED_FIELDS if f in rec and rec[f] != fields.get(f)]
            if "record_hash" in rec and rec["record_hash"] != hashlib.sha256(note).hexdigest():
                listed.append("record hash")
            if listed:
                p.problem = f"the server lists this record with another {', '.join(listed)} than its signed text"
                continue
            author = p.author = fields.get("author", "")
            sig = next((s for s in sigs if s.name == author), None)
            if sig is not None:
                p.key_id, p.sig, p.text = sig.key_id, sig.sig, signed
            if p.destroyed is None:  # a destroyed payload's claim is settled in log order
                if "payload_canonical" in rec:
                    digest = hashlib.sha256(rec["payload_canonical"].encode()).hexdigest()
                else:
                    digest = hashlib.sha256(rfc8785.dumps(rec["payload"])).hexdigest()
                p.payload_ok = fields.get("payload") == f"sha256:{digest}"
            found = keys.get((author, p.key_id)) if sig is not None else None
            if found is not None and sig is not None:
                p.verified_with = found[0].public_key
                verify.append((p, found[0], signed, sig.sig))
        except (KeyError, TypeError, ValueError, LookupError, AttributeError, UnicodeError) as exc:
            p.problem = f"malformed record in the listing: {exc!r}"
            if len(leaves) <= pos:
                leaves.append(None)
    # The signatures last, one after another: each lets go of the GIL while it runs.
    for p, v, msg, signature in verify:
        p.signature_ok = v.verify(msg, signature)
    root = None
    first = out[0].idx if out else None
    if (len(out) == TILE_WIDTH and type(first) is int and not first % TILE_WIDTH and first + TILE_WIDTH <= size
            and all(p.idx == first + k for k, p in enumerate(out)) and None not in leaves):
        root = merkle.mth(leaves)  # type: ignore[arg-type]  # no None among them
    return out, leaves, root


# A checking process's HTTP clients and the verifiers it made, by what they were made from.
_clients: dict[tuple[str, str | None], httpx.Client] = {}
_verifiers: dict[tuple[str, int, bytes], Verifier] = {}


@dataclass
class _Range:
    """What a checking process found in a range of the listing (``_check_range``)."""

    chunks: list[tuple[list[_Prepared], list[bytes | None], bytes | None]]
    listed_sizes: list[Any]  # the log size each page of the range said
    error: str | None = None  # why the range could not be read


def _check_range(url: str, token: str | None, start: int, end: int, size: int, origin: str,
                 keys: dict[tuple[str, bytes], tuple[str, int, bytes, bool]]) -> _Range:
    """Run in a checking process: the records listed in [start, end), read page by page and prepared by leaf
    tile (``_prepare``) with the keys settled so far."""
    client = _clients.get((url, token))
    if client is None:
        from parley.client import http_client

        client = _clients[(url, token)] = http_client(url, token)
    known: dict[tuple[str, bytes], list[Any]] = {}
    for k, (name, alg, public, revoked) in keys.items():
        v = _verifiers.get((name, alg, public))
        if v is None:
            v = _verifiers[(name, alg, public)] = Verifier(name, alg, public)
        known[k] = [v, revoked]
    out = _Range([], [])
    pos: int | None = start
    while pos is not None and pos < end:
        path = f"/api/log/records?start={pos}&end={end}&limit={end - pos}&payload=canonical"
        try:
            r = client.get(path)
        except httpx.HTTPError as exc:
            out.error = f"GET {path}: {exc}"
            return out
        if r.status_code != 200:
            out.error = f"GET {path}: {r.status_code} {r.text[:200]}"
            return out
        page = _Page(r.content)
        try:
            listing = pydantic_core.from_json(page.body, cache_strings="keys")
            records, nxt = listing["records"], listing["next"]
            if not isinstance(records, list) or not (nxt is None or (isinstance(nxt, int) and nxt > pos)):
                raise TypeError("records must be a list and next must move forward")
        except (ValueError, KeyError, TypeError) as exc:
            out.error = f"malformed record listing at {pos}: {exc}"
            return out
        out.listed_sizes.append(listing.get("size"))
        offset = 0
        for chunk in _by_tile(records):
            prepared, leaves, root = _prepare(chunk, size, origin, known, offset)
            offset += len(chunk)
            for p in prepared:
                p.detach(page)
            out.chunks.append((prepared, leaves, root))
        pos = nxt
    return out


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
        # This run's records read, those of them that destroy personal data and the payloads served as destroyed.
        self._destructions = Destructions()
        self.shadow = shadow
        self.proof_sample = proofs
        self.details = details
        self.rng = random.SystemRandom()  # which proofs are sampled must not be predictable by the server
        self._admitted: dict[Caller, dict[tuple[str, str, str], bool]] = {}
        self._findings: list[Finding] = []  # what this audit found, each with its evidence
        self._fetched: dict[str, bytes] = {}  # the tiles this audit fetched, by path
        try:
            self.log_key = Verifier.from_vkey(log_vkey)
        except NoteError as exc:
            raise AuditError(f"malformed log key: {exc}") from exc
        self.origin = self.log_key.name
        self.state = Path(state_dir)
        self.policy = policy
        self.progress = progress
        # Checking processes make clients of their own, like this one (``_check_in_processes``).
        self._url: str | None = url.rstrip("/") if client is None else None
        if client is None:
            from parley.client import http_client

            client = http_client(url.rstrip("/"))
        self.client = client
        self._token = token
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

    def _consistency(self, old: Checkpoint, new: Checkpoint) -> tuple[list[str], str | None]:
        """The consistency proof the server serves from ``old`` to ``new`` (base64 hashes), and why it does
        not verify (or why the server gave none: it refused), or None if it verifies."""
        path = f"/api/log/consistency?old={old.size}&new={new.size}"
        try:
            r = self.client.get(path)
        except httpx.HTTPError as exc:
            raise AuditError(f"GET {path}: {exc}") from exc
        if 400 <= r.status_code < 500 and r.status_code not in (401, 403, 429):
            return [], f"the server gives no consistency proof between them ({r.status_code} {r.text[:200]})"
        if r.status_code != 200:
            raise AuditError(f"GET {path}: {r.status_code} {r.text[:200]}")
        try:
            proof = [str(p) for p in pydantic_core.from_json(r.content)["proof"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise AuditError(f"malformed consistency proof answer: {exc}") from exc
        try:
            merkle.verify_consistency(old.size, new.size, [base64.b64decode(p, validate=True) for p in proof],
                                      old.root_hash, new.root_hash)
        except (merkle.ProofError, ValueError) as exc:
            return proof, str(exc)
        return proof, None

    def _page(self, start: int, limit: int, size: int = 0) -> tuple[list[dict[str, Any]], int | None]:
        """A page of the listing; ``size``: the published checkpoint's, which the listed tree must not be
        shorter than."""
        path = f"/api/log/records?start={start}&limit={limit}&payload=canonical"
        page = self._json(path)
        try:
            records, nxt = page["records"], page["next"]
            if not isinstance(records, list) or not (nxt is None or (isinstance(nxt, int) and nxt > start)):
                raise TypeError("records must be a list and next must move forward")
        except (KeyError, TypeError) as exc:
            raise AuditError(f"malformed record listing at {start}: {exc}") from exc
        listed = page.get("size")
        if type(listed) is int and listed < size:
            raise TileMismatch(C.TREE_SHORTER, details={"listing": path, "listed_size": listed}, listed=listed,
                               size=size)
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

    def _saved(self) -> tuple[bytes, Checkpoint] | None:
        """The checkpoint this auditor verified last (its signed note), if any."""
        if not self._state_file.exists():
            return None
        note = self._state_file.read_bytes()
        try:
            text, _, _ = open_note(note, [self.log_key])
            return note, Checkpoint.parse(text)
        except (NoteError, CheckpointError) as exc:
            raise AuditError(f"the stored checkpoint {self._state_file} does not verify: {exc}") from exc

    def _evidence_dir(self) -> tuple[Path, str]:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        base = self.state / "evidence" / f"{_safe(self.origin)}-{stamp}"
        d, n = base, 1
        while d.exists():  # never overwrite earlier evidence
            d, n = base.with_name(f"{base.name}-{n}"), n + 1
        d.mkdir(parents=True)
        return d, stamp

    def _key_text(self) -> str:
        return f"{self.log_key.name}+{self.log_key.key_id.hex()}"

    def _evidence(self, old_note: bytes, new_note: bytes, old: Checkpoint, new: Checkpoint, proof: list[str],
                  why: str, code: Code | None = None, *, old_is: str = "the checkpoint this auditor verified earlier",
                  new_is: str = "the one the log served now") -> Path:
        """Two checkpoints the log signed that an append-only log cannot both sign, and the consistency proof
        between them (empty if none applies), which does not verify: ``old.checkpoint``, ``new.checkpoint``,
        ``proof.json``, ``evidence.json`` and a README."""
        d, stamp = self._evidence_dir()
        (d / "old.checkpoint").write_bytes(old_note)
        (d / "new.checkpoint").write_bytes(new_note)
        (d / "proof.json").write_text(json.dumps({
            "origin": self.origin, "old_size": old.size, "new_size": new.size,
            "old_root": base64.b64encode(old.root_hash).decode(), "new_root": base64.b64encode(new.root_hash).decode(),
            "proof": proof, "reason": why}, indent=2) + "\n")
        self._manifest(d, stamp, code, why, {
            "old.checkpoint": f"{old_is}, size {old.size}, signed by the log",
            "new.checkpoint": f"{new_is}, size {new.size}, signed by the log",
            "proof.json": "the RFC 6962 consistency proof the log served between them (empty if none applies)"})
        (d / "README.txt").write_text(
            f"Fork evidence for log {self.origin}, found {stamp}\n\n{why}\n\n"
            f"old.checkpoint is {old_is}; new.checkpoint is {new_is}.\n"
            "Both are signed by the log's key (check them with any C2SP signed-note verifier and the log\n"
            f"key {self._key_text()}). proof.json holds the RFC 6962 consistency proof the log served\n"
            "between them (empty if none applies), which does not verify. A log that is append-only cannot\n"
            "sign two checkpoints like these: it has shown different histories to different readers, or\n"
            "rolled its history back. Keep this directory and share it with the other parties and their\n"
            "witnesses.\n"
        )
        return d

    def _manifest(self, d: Path, stamp: str, code: Code | None, why: str, files: dict[str, str],
                  **details: Any) -> None:
        (d / "evidence.json").write_text(json.dumps({
            "origin": self.origin, "log_key": self.log_key.vkey(), "found": stamp, "kind": code.code if code else None,
            "reason": why, "files": files, **details}, indent=2, ensure_ascii=False) + "\n")

    def _tile_evidence(self, new_note: bytes, cp: Checkpoint, saved: tuple[bytes, Checkpoint] | None,
                       finding: Finding) -> Path:
        """The tree the server serves does not match the checkpoint it signed: the checkpoint, the one this
        auditor verified before (if any) and the tiles as served (those the finding is about, or all fetched
        if few), each under its C2SP tlog-tiles path, so anyone can recompute what they add up to."""
        d, stamp = self._evidence_dir()
        why = str(finding)
        files = {"checkpoint": f"the checkpoint the log serves, size {cp.size}, signed by the log"}
        (d / "checkpoint").write_bytes(new_note)
        if saved is not None:
            (d / "saved.checkpoint").write_bytes(saved[0])
            files["saved.checkpoint"] = f"the checkpoint this auditor verified earlier, size {saved[1].size}"
        fetched = dict(self._fetched)
        wanted = [p for p in finding.tiles if p in fetched] or (sorted(fetched) if len(fetched) <= EVIDENCE_TILES
                                                                 else [])
        for path in wanted:
            target = d / "tiles" / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(fetched[path])
            files[f"tiles/{path}"] = "a hash tile as the server served it (C2SP tlog-tiles)"
        self._manifest(d, stamp, finding.code, why, files, size=cp.size,
                       root=base64.b64encode(cp.root_hash).decode(), **finding.details)
        (d / "README.txt").write_text(
            f"Evidence against log {self.origin}, found {stamp}\n\n{why}\n\n"
            "checkpoint is the checkpoint the log serves, signed by its key (check it with any C2SP\n"
            f"signed-note verifier and the log key {self._key_text()}); saved.checkpoint, if present, is\n"
            "the one this auditor verified before. tiles/ holds hash tiles as the server served them for\n"
            "that checkpoint, under their C2SP tlog-tiles paths; evidence.json says what else the server\n"
            "answered. Recompute the tree's root from the tiles (RFC 6962) and compare it with the signed\n"
            "root: a log that keeps its history serves the tiles of every checkpoint it signed. Tiles are\n"
            "not signed, so this shows what the server served, not what it signed: keep this directory,\n"
            "and look for signed evidence beside it (the checkpoints it lists, other auditors' evidence).\n"
        )
        return d

    def _check_consistency(self, new_note: bytes, cp: Checkpoint,
                           saved: tuple[bytes, Checkpoint] | None) -> ForkDetected | None:
        """Compare with the stored checkpoint: the fork found, its evidence saved, or None."""
        if saved is None:
            return None
        old_note, old = saved
        proof: list[str] = []
        code: Code | None = None
        params: dict[str, Any] = {}
        if cp.size < old.size:
            code, params = C.WENT_BACK, {"old_size": old.size, "new_size": cp.size}
        elif cp.size == old.size:
            if cp.root_hash != old.root_hash:
                code, params = C.TWO_ROOTS, {"size": cp.size}
        elif old.size > 0:
            proof, failed = self._consistency(old, cp)
            if failed is not None:
                code, params = C.NOT_CONSISTENT, {"old_size": old.size, "new_size": cp.size, "detail": failed}
        if code is None:
            return None
        why = code.format(params)
        return ForkDetected(code, self._evidence(old_note, new_note, old, cp, proof, why, code), **params)

    # -- tiles ------------------------------------------------------------------------------------

    def _tile_source(self, size: int) -> TileNodeSource:
        seen: dict[str, bytes] = {}
        self._fetched = seen

        def fetch(path: str) -> bytes:
            got = seen.get(path)
            if got is None:
                try:
                    r = self.client.get("/log/" + path)
                except httpx.HTTPError as exc:
                    raise AuditError(f"GET /log/{path}: {exc}") from exc
                if 400 <= r.status_code < 500:  # the server says it has no such tile
                    raise _TileUnavailable(f"{path}: {r.status_code} {r.text[:200]}")
                if r.status_code != 200:
                    raise AuditError(f"GET /log/{path}: {r.status_code} {r.text[:200]}")
                # setdefault: two threads fetching one tile both use the first bytes stored, so the
                # bytes the records were checked against are the bytes the tile check verifies.
                got = seen.setdefault(path, r.content)
            return got

        return TileNodeSource(fetch, size)

    @staticmethod
    def _tiles_failed(exc: Exception, size: int) -> TileMismatch:
        if isinstance(exc, _TileUnavailable):
            tile = str(exc).partition(":")[0]
            return TileMismatch(C.TILE_MISSING, tiles=(tile,), details={"server_answer": str(exc)}, tile=tile,
                                size=size, detail=str(exc).partition(": ")[2])
        return TileMismatch(C.TILES_MALFORMED, detail=str(exc))

    def _check_tiles(self, tiles: TileNodeSource, size: int, levels: range = range(0, 64, TILE_HEIGHT),
                     bound: set[int] | frozenset[int] = frozenset()) -> None:
        """Bind every full tile of ``levels`` (node levels: 0 the leaf tiles, 8 the tiles above them …) to its
        entry in the tile above, but the leaf tiles in ``bound``, whose records were read and found to hash to
        that entry (``_prepare``); the checkpoint's root (checked in ``run``) covers the partial tiles at the
        right edge."""
        try:
            for level in levels:
                if not size >> (level + TILE_HEIGHT):
                    break
                for n in range(size >> (level + TILE_HEIGHT)):
                    if level == 0 and n in bound:
                        continue
                    below = merkle.node_hash(tiles.node(level + TILE_HEIGHT - 1, 2 * n),
                                             tiles.node(level + TILE_HEIGHT - 1, 2 * n + 1))
                    if below != tiles.node(level + TILE_HEIGHT, n):
                        tl = level // TILE_HEIGHT
                        width = min(TILE_WIDTH, (size >> (level + TILE_HEIGHT)) - (n // TILE_WIDTH) * TILE_WIDTH)
                        above = tile_path(tl + 1, n // TILE_WIDTH, None if width == TILE_WIDTH else width)
                        raise TileMismatch(C.TILE_PARENT, tiles=(tile_path(tl, n), above), tile=f"{tl}/{n}",
                                           first=(n * TILE_WIDTH) << level)
        except (ValueError, LookupError) as exc:
            raise self._tiles_failed(exc, size) from exc

    # -- the audit --------------------------------------------------------------------------------

    def run(self) -> AuditReport:
        t0 = time.perf_counter()
        report = AuditReport(origin=self.origin)
        new_note = self._get("/log/checkpoint").content
        cp, cosigned = self._open_checkpoint(new_note)
        report.size, report.cosigned_by = cp.size, sorted(cosigned)
        self.state.mkdir(parents=True, exist_ok=True)
        saved = self._saved()
        report.old_size = saved[1].size if saved is not None else 0
        self._findings = []
        self._fetched = {}
        fork = self._check_consistency(new_note, cp, saved)
        if fork is not None:
            # The checkpoints the server lists, against the one verified before: signed evidence of their own.
            self._findings.append(fork)
            self._check_checkpoints(new_note, cp, None, saved, report)
            raise self._fork()
        tiles = self._tile_source(cp.size)
        shadow = None
        try:
            if cp.size:
                try:
                    root = merkle.root_hash(tiles, cp.size)
                except (ValueError, LookupError) as exc:
                    raise self._tiles_failed(exc, cp.size) from exc
                if root != cp.root_hash:
                    raise TileMismatch(C.TILES_ROOT, details={"root_from_tiles": base64.b64encode(root).decode()},
                                       size=cp.size)
            me = self._whoami()
            if self.projections and me is not None and self.shadow is not None:
                shadow = self.shadow(me)
            readable = self._check_records(cp, tiles, report, me, shadow)
            self._check_checkpoints(new_note, cp, tiles, saved, report)
            if self._findings:
                raise self._fork()
            self._check_proofs(cp, tiles, readable, report)
            if shadow is not None:
                self._check_projections(cp, shadow, report)
        except TileMismatch as exc:
            # The tree served is not the one signed: evidence of that, then the signed checkpoints the server
            # lists, checked with consistency proofs rather than against these tiles.
            # A proof that fails here may be a proof the same edited tables built: only two roots signed for one
            # size make this a fork; whatever else is found is kept as evidence beside the tiles'.
            if exc.evidence is None:
                exc.evidence = self._tile_evidence(new_note, cp, saved, exc)
            self._check_checkpoints(new_note, cp, None, saved, report)
            if any(f.code in UNDENIABLE for f in self._findings):
                self._findings.sort(key=lambda f: f.code not in UNDENIABLE)
                found = self._fork()
                found.more.append(exc.evidence)
                raise found from exc
            exc.more += [p for f in self._findings for p in f.all_evidence]
            raise
        finally:
            if shadow is not None:
                shadow.close()
        if report.ok:
            _write_atomically(self._state_file, new_note)
        else:
            report.evidence = self._report_evidence(new_note, cp, report)
        report.seconds = time.perf_counter() - t0
        return report

    def _report_evidence(self, new_note: bytes, cp: Checkpoint, report: AuditReport) -> Path:
        """What failed, as the server served it: the checkpoint, each failing record (up to
        ``EVIDENCE_RECORDS``) and listed checkpoint, and the reasons, for anyone to check again."""
        d, stamp = self._evidence_dir()
        (d / "checkpoint").write_bytes(new_note)
        files = {"checkpoint": f"the checkpoint the log serves, size {cp.size}, signed by the log",
                 "findings.json": "each record that failed (its index and why) and each other problem"}
        (d / "findings.json").write_text(json.dumps({"failures": [{"index": i, "why": why} for i, why in
                                                                  report.failures], "problems": report.problems},
                                                    indent=2, ensure_ascii=False) + "\n")
        for name, served in report.served.items():
            (d / name).parent.mkdir(parents=True, exist_ok=True)
            (d / name).write_text(json.dumps(served, indent=2, ensure_ascii=False) + "\n")
            files[name] = "as the server served it (records: the note is signed by its author)"
        why = f"{len(report.failures)} records and {len(report.problems)} other checks failed"
        self._manifest(d, stamp, None, why, files, size=cp.size, root=base64.b64encode(cp.root_hash).decode())
        (d / "README.txt").write_text(
            f"Audit failures for log {self.origin}, found {stamp}\n\n{why}.\n\n"
            "checkpoint is the checkpoint the log serves, signed by its key (check it with any C2SP\n"
            f"signed-note verifier and the log key {self._key_text()}). findings.json says what failed and\n"
            "why; records/ holds each failing record as the server listed it (its note is signed by its\n"
            "author: check the note's signature, its leaf hash against the tree and its payload hash\n"
            "against the payload), and listing/ what the server listed otherwise.\n")
        return d

    def _fork(self) -> ForkDetected:
        """The first fork found in this audit, carrying every piece of evidence saved."""
        first = self._findings[0]
        fork = first if isinstance(first, ForkDetected) else ForkDetected(str(first), first.evidence)
        fork.more = [p for f in self._findings[1:] for p in f.all_evidence]
        return fork

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
        """Every record the server lists, in two steps. First what each record shows on its own (``_prepare``),
        chunk by chunk (the records of one leaf tile), with the keys settled so far: on ``CHECK_THREADS``
        threads, which share the pages read here (each lets go of the GIL at every signature, so both cores
        verify), or for a long log in ``CHECK_PROCESSES`` processes that read ranges of the listing
        themselves (``_check_range``), so parsing and hashing run on every core too. Then here, in log order:
        each record's leaf against the tiles (``_bind``), the read policy, and standing (is the author an
        active member, the key theirs and not revoked at this index, and what the record changes), with the
        signature verified again only if the key is not the one it was verified with."""
        standing = _Standing()
        readable: list[int] = []
        self._destructions = Destructions()
        settle = _Settle(cp.size)
        bound: set[int] = set()  # leaf tiles whose every record was read and hashes to the tile above
        admits = self._admits_cached(me)

        def settled(page: int, chunk: tuple[list[_Prepared], list[bytes | None], bytes | None]) -> None:
            self._bind(*chunk, cp.size, tiles, bound)
            self._settle(page, chunk[0], settle, standing, report, me, shadow, readable, admits)

        if cp.size >= PROCESS_MIN and self._url is not None and _can_fork():
            self._check_in_processes(cp, tiles, standing, settled, report)
        else:
            self._check_on_threads(cp, tiles, standing, settled, report)
        # Every leaf tile not bound by its records is fetched and bound to the tile above.
        self._check_tiles(tiles, cp.size, range(1), bound)
        if report.records_checked:
            self._compare_keys(cp, standing, report)
        # A destroying record the caller reads must be one; one it may not read cannot be checked here.
        report.failures += self._destructions.problems(cp.size, settle.last)
        return readable

    def _check_on_threads(self, cp: Checkpoint, tiles: TileNodeSource, standing: _Standing,
                          settled: Callable[[int, Any], None], report: AuditReport) -> None:
        # Pages and tiles are fetched in the background while records are checked.
        with ThreadPoolExecutor(2) as fetching, ThreadPoolExecutor(CHECK_THREADS) as checking:
            tiles_checked = fetching.submit(self._check_tiles, tiles, cp.size, range(TILE_HEIGHT, 64, TILE_HEIGHT))
            ahead: Future[Any] | None = fetching.submit(self._page, 0, FIRST_PAGE, cp.size) if cp.size else None
            chunks: deque[tuple[int, Future[Any]]] = deque()
            page = 0
            while ahead is not None:
                records, nxt = ahead.result()
                ahead = fetching.submit(self._page, nxt, PAGE, cp.size) if nxt is not None and nxt < cp.size \
                    else None
                page += 1
                offset = 0
                for chunk in _by_tile(records):
                    chunks.append((page, checking.submit(_prepare, chunk, cp.size, self.origin, standing.keys,
                                                         offset)))
                    offset += len(chunk)
                    # Settle in log order, the threads kept a few chunks ahead: a key registered less than
                    # that many records earlier is not yet known to them (the signature is verified here).
                    while len(chunks) > CHUNKS_AHEAD or (chunks and chunks[0][1].done()):
                        n, done = chunks.popleft()
                        settled(n, done.result())
                if self.progress:
                    self.progress(report.records_checked, cp.size)
            while chunks:
                n, done = chunks.popleft()
                settled(n, done.result())
            tiles_checked.result()

    def _check_in_processes(self, cp: Checkpoint, tiles: TileNodeSource, standing: _Standing,
                            settled: Callable[[int, Any], None], report: AuditReport) -> None:
        url, token, size = self._url, self._token, cp.size
        assert url is not None
        hints = self._key_hints()

        def keys() -> dict[tuple[str, bytes], tuple[str, int, bytes, bool]]:
            known = dict(hints)
            known.update({k: (v.name, v.alg, v.public_key, revoked) for k, (v, revoked) in standing.keys.items()})
            return known

        def check(start: int, end: int) -> Future[_Range]:
            return pool.submit(_check_range, url, token, start, end, size, self.origin, keys())

        def next_range(start: int) -> int:
            # Smaller ranges towards the end, so that both processes finish together.
            share = (size - start) // (2 * CHECK_PROCESSES) // TILE_WIDTH * TILE_WIDTH
            return min(start + min(RANGE, max(TILE_WIDTH, share)), size)

        # The first submit forks the checking processes, before this process starts a thread of its own. What
        # this process holds is frozen out of the collector first, so that the processes' collections do not
        # write to (and so copy) the memory they share with it.
        gc.freeze()
        try:
            with ProcessPoolExecutor(CHECK_PROCESSES, mp_context=multiprocessing.get_context("fork")) as pool:
                ranges: deque[tuple[int, int, Future[_Range]]] = deque()
                nxt = 0
                with ThreadPoolExecutor(1) as fetching:
                    tiles_checked = None
                    page = 0
                    while True:
                        # RANGES_AHEAD in flight, each with the keys settled so far and, for the keys not yet
                        # settled, those the server lists (``_key_hints``).
                        while nxt < size and len(ranges) < RANGES_AHEAD:
                            end = next_range(nxt)
                            ranges.append((nxt, end, check(nxt, end)))
                            nxt = end
                        if tiles_checked is None:
                            tiles_checked = fetching.submit(self._check_tiles, tiles, size,
                                                            range(TILE_HEIGHT, 64, TILE_HEIGHT))
                        if not ranges:
                            break
                        start, end, done = ranges.popleft()
                        try:
                            found = done.result()
                        except BrokenProcessPool as exc:
                            raise AuditError(f"a checking process stopped: {exc}") from exc
                        if found.error is not None:
                            raise AuditError(found.error)
                        for listed in found.listed_sizes:
                            if type(listed) is int and listed < size:
                                raise TileMismatch(C.TREE_SHORTER, details={
                                    "listing": f"/api/log/records?start={start}&end={end}", "listed_size": listed},
                                    listed=listed, size=size)
                        page += 1
                        for chunk in found.chunks:
                            settled(page, chunk)
                        if self.progress:
                            self.progress(report.records_checked, size)
                    if tiles_checked is not None:
                        tiles_checked.result()
        finally:
            gc.unfreeze()

    def _key_hints(self) -> dict[tuple[str, bytes], tuple[str, int, bytes, bool]]:
        """The keys the server lists (``/api/keys``), for checking processes to verify signatures with before
        the records registering them are settled. Only a hint: a signature counts as verified only if the key
        it was verified with is the one the log's records give its author at its index (``_standing_of``
        verifies it again otherwise), so a wrong listing costs time, not findings. Empty if unreadable."""
        try:
            listed = self._listed_keys()
        except AuditError:
            return {}
        out = {}
        for (name, kid), (_, key) in listed.items():
            try:
                if key is not None:
                    out[(name, bytes.fromhex(kid))] = (*key, False)
            except (TypeError, ValueError):
                continue
        return out

    @staticmethod
    def _bind(prepared: list[_Prepared], leaves: list[bytes | None], root: bytes | None, size: int,
              tiles: TileNodeSource, bound: set[int]) -> None:
        """The records of a chunk against the tree: if they are a whole full leaf tile (``root`` given) that
        hashes to its entry in the tile above (a node the checkpoint's root binds), the tile is ``bound`` and
        the server's leaf tile is not needed; else each record's leaf hash is compared with the served one."""
        if root is not None:
            n = prepared[0].idx // TILE_WIDTH
            try:
                if root == tiles.node(TILE_HEIGHT, n):
                    tiles.add_bound(0, n, b"".join(leaf for leaf in leaves if leaf is not None))
                    bound.add(n)  # proofs and checkpoints read it
                    return
            except (ValueError, LookupError):
                pass
        for p, leaf in zip(prepared, leaves, strict=True):
            if leaf is None or type(p.idx) is not int or p.idx >= size:
                continue  # a record without a note or an index is reported as malformed
            try:
                if leaf != tiles.node(0, p.idx):
                    p.problem = "the record does not hash to its leaf in the tree"
            except (ValueError, LookupError) as exc:
                p.problem = f"malformed record in the listing: {exc!r}"

    def _settle(self, page: int, prepared: list[_Prepared], settle: _Settle, standing: _Standing,
                report: AuditReport, me: Any, shadow: Any, readable: list[int],
                admits: Callable[[str, str, str], bool] | None) -> None:
        """The prepared records of one chunk, in log order: the read policy, standing, and the outcome of each."""
        failures = report.failures
        for p in prepared:
            if settle.stopped == page:
                return
            idx = p.idx
            if type(idx) is not int or idx <= settle.last:
                failures.append((settle.last, f"the listing is out of order or repeats a record ({idx!r})"))
                continue
            if idx >= settle.size:
                settle.stopped = page
                return
            settle.last = idx
            problem = p.problem
            if problem is None and admits is not None and not admits(p.kind or "", p.audience, p.party or ""):
                problem = (f"the server sent you this record, but its signed audience ({p.audience}) "
                           f"and kind ({p.kind}) do not admit {me.member}")
            if problem is None:
                try:
                    problem = self._standing_of(p, standing)
                except (KeyError, TypeError, ValueError, LookupError, AttributeError, UnicodeError) as exc:
                    problem = f"malformed record in the listing: {exc!r}"
            report.records_checked += 1
            destroyed = p.destroyed if not problem else None
            self._destructions.saw(idx, p.kind if not problem else None)  # parsed by _prepare
            if destroyed is not None:
                report.destroyed.append((idx, destroyed["by"]))
                self._destructions.claim(idx, destroyed["by"])
                if shadow is not None:
                    shadow.destroyed(destroyed.get("subjects") or [])
            if problem:
                rec = p.rec
                failures.append((idx, problem))
                if len(report.served) < EVIDENCE_RECORDS:
                    report.served[f"records/{idx}.json"] = rec
                if _kind_of(rec) in STANDING_KINDS:
                    standing.broken.append(idx)
                if shadow is not None:
                    try:
                        shadow.taint(_kind_of(rec), self._payload(rec))
                    except (KeyError, TypeError, ValueError):
                        pass
            else:
                readable.append(idx)  # its proof is checked too
                if shadow is not None and destroyed is None:
                    rec = p.rec
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
        idx, author, kind = p.idx, p.author, p.kind
        genesis = idx == 0 and kind == "deployment.init"
        if not genesis:
            member = standing.members.get(author)
            if member is None or not member[1] or author.partition("/")[0] != p.party:
                return standing.after_broken(f"{author} is not an active member of party {p.party} at this index")
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
        if p.verified_with == v.public_key:
            ok = p.signature_ok
        else:
            ok = v.verify(*p.signed())
        if not ok:
            return "the author's signature does not verify"
        if p.destroyed is not None:
            by = p.destroyed.get("by") if isinstance(p.destroyed, dict) else None
            if kind in STANDING_KINDS:
                return "the server says this membership record's payload was destroyed: only personal data is"
            return Destructions.claim_problem(idx, by)
        if not p.payload_ok:
            return "the payload does not match the record's payload hash"
        if kind in STANDING_KINDS:
            problem = self._apply_standing(kind or "", idx, author, p.rec, standing)
            return standing.after_broken(problem) if problem else None
        return None

    # -- what else the server serves ----------------------------------------------------------------

    def _listed(self, report: AuditReport) -> list[tuple[int, bytes, Checkpoint]]:
        """The signed checkpoints the server lists (``/api/log/checkpoints``), newest first, each signed by the
        log (one that is not, or whose listing differs from its note, is a problem of the report)."""
        out: list[tuple[int, bytes, Checkpoint]] = []
        before: int | None = None
        seen = 0
        while seen < MAX_LISTED_CHECKPOINTS:
            q = f"/api/log/checkpoints?limit={CHECKPOINT_PAGE}" + (f"&before={before}" if before else "")
            try:
                items = self._json(q)["checkpoints"]
                if not isinstance(items, list):
                    raise TypeError("checkpoints must be a list")
            except (KeyError, TypeError) as exc:
                raise AuditError(f"malformed checkpoint listing: {exc}") from exc
            seen += len(items)
            for item in items:
                try:
                    size, note, listed_root = item["size"], item["note"].encode(), item["root_hash"]
                    text, _, _ = open_note(note, [self.log_key])
                    signed = Checkpoint.parse(text)
                except (KeyError, TypeError, AttributeError, NoteError, CheckpointError) as exc:
                    shown = item.get("size") if isinstance(item, dict) else "?"
                    report.problems.append(f"the server lists a checkpoint ({shown}) that the log did not sign: {exc}")
                    report.served[f"listing/checkpoint-{len(report.problems)}.json"] = item
                    continue
                report.checkpoints_checked += 1
                if signed.size != size or signed.origin != self.origin:
                    report.problems.append(f"checkpoint {size}: the listing names another size or log than its note")
                    report.served[f"listing/checkpoint-{len(report.problems)}.json"] = item
                    continue
                if listed_root != base64.b64encode(signed.root_hash).decode():
                    report.problems.append(f"checkpoint {size}: the listed root differs from the root its note signs")
                    report.served[f"listing/checkpoint-{len(report.problems)}.json"] = item
                out.append((size, note, signed))
            sizes: list[int] = [i["size"] for i in items if isinstance(i, dict) and isinstance(i.get("size"), int)]
            if len(items) < CHECKPOINT_PAGE or not sizes or min(sizes) <= 1 or (before and min(sizes) >= before):
                break
            before = min(sizes)
        return out

    def _check_checkpoints(self, new_note: bytes, cp: Checkpoint, tiles: TileNodeSource | None,
                           saved: tuple[bytes, Checkpoint] | None, report: AuditReport) -> None:
        """Every signed checkpoint the server lists: the listed root is the signed one, it has the root of the
        checkpoint this auditor verified before if it is of the same size, and it is a checkpoint of the same
        tree as the published one (its root from the tiles, or a consistency proof for a newer one). Without
        ``tiles`` (they do not add up to the published checkpoint, or that one is itself a fork), each is
        checked with a consistency proof against the checkpoint verified before (on a first audit, the
        published one). What fails is a finding with its evidence (``_findings``)."""
        proofs_left = NEWER_CHECKPOINTS
        ref_note, ref = saved if saved is not None and tiles is None else (new_note, cp)
        for size, note, signed in self._listed(report):
            if saved is not None and size == saved[1].size:
                if signed.root_hash != saved[1].root_hash:
                    why = C.LISTED_TWO_ROOTS.format({"size": size})
                    self._findings.append(ForkDetected(C.LISTED_TWO_ROOTS, self._evidence(
                        saved[0], note, saved[1], signed, [], why, C.LISTED_TWO_ROOTS,
                        new_is="a checkpoint the server lists"), size=size))
                continue
            if tiles is not None and size <= cp.size:
                if size and merkle.root_hash(tiles, size) != signed.root_hash:
                    # The published tree's own proof from this size: it leads to the signed root, but not from
                    # the root this checkpoint signs.
                    tree_proof = [base64.b64encode(h).decode() for h in merkle.consistency_proof(tiles, size, cp.size)]
                    params: dict[str, Any] = {"size": size, "published": cp.size}
                    why = C.LISTED_NOT_OF_TREE.format(params)
                    self._findings.append(ForkDetected(C.LISTED_NOT_OF_TREE, self._evidence(
                        note, new_note, signed, cp, tree_proof, why, C.LISTED_NOT_OF_TREE,
                        old_is="a checkpoint the server lists", new_is="the checkpoint the log publishes"), **params))
                continue
            if size == ref.size or ref.size == 0:
                if size and signed.root_hash != ref.root_hash:
                    params = {"size": size, "published": cp.size}
                    why = C.LISTED_NOT_OF_TREE.format(params)
                    self._findings.append(ForkDetected(C.LISTED_NOT_OF_TREE, self._evidence(
                        note, ref_note, signed, ref, [], why, C.LISTED_NOT_OF_TREE,
                        old_is="a checkpoint the server lists", new_is="the checkpoint the log publishes"), **params))
                continue
            if proofs_left <= 0:
                continue
            proofs_left -= 1
            (lo_note, lo), (hi_note, hi) = sorted([(ref_note, ref), (note, signed)], key=lambda x: x[1].size)
            proof, detail = self._consistency(lo, hi)
            if detail is None:
                continue
            code: Code
            if ref is cp:
                code, params = C.LISTED_INCONSISTENT, {"size": size, "published": cp.size, "detail": detail}
                ref_is = "the checkpoint the log publishes"
            else:
                code, params = C.LISTED_VS_SAVED, {"size": size, "saved": ref.size, "detail": detail}
                ref_is = "the checkpoint this auditor verified earlier"
            why = code.format(params)
            old_is, new_is = (ref_is, "a checkpoint the server lists") if lo is ref else \
                ("a checkpoint the server lists", ref_is)
            self._findings.append(ForkDetected(code, self._evidence(lo_note, hi_note, lo, hi, proof, why, code,
                                                                    old_is=old_is, new_is=new_is), **params))

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
