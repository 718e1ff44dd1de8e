"""A party's own audit of the log (``parley log verify``). It trusts nothing but the log's verifier
key, an optional witness policy and its own state directory:

1. the new checkpoint is signed by the log (and cosigned per the policy);
2. it is consistent with the last checkpoint this auditor verified, else both signed checkpoints and
   the proof are saved as evidence of a fork;
3. the root recomputed from every hash tile equals the checkpoint's;
4. every record the caller may read hashes to its leaf in the tiles, carries a valid signature by a
   key its author held at that index, and commits to its payload.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import rfc8785

from parley.log import merkle
from parley.log.checkpoint import Checkpoint, CheckpointError
from parley.log.note import NoteError, Verifier, open_note, parse_note
from parley.log.policy import Policy, PolicyError
from parley.log.tiles import TILE_WIDTH, TileNodeSource

PAGE = 5000
KEY_KINDS = {"deployment.init", "member.create", "key.register", "key.rotate", "key.revoke"}


class AuditError(Exception):
    pass


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
    failures: list[tuple[int, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures


def _safe(origin: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in origin)


class Auditor:
    def __init__(self, url: str, log_vkey: str, state_dir: Path, token: str | None = None,
                 policy: Policy | None = None, client: httpx.Client | None = None,
                 progress: Callable[[int, int], None] | None = None) -> None:
        self.log_key = Verifier.from_vkey(log_vkey)
        self.origin = self.log_key.name
        self.state = Path(state_dir)
        self.policy = policy
        self.progress = progress
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.client = client or httpx.Client(base_url=url.rstrip("/"), timeout=60)
        self.client.headers.update(headers)

    def _get(self, path: str) -> httpx.Response:
        r = self.client.get(path)
        if r.status_code != 200:
            raise AuditError(f"GET {path}: {r.status_code} {r.text[:200]}")
        return r

    @property
    def _state_file(self) -> Path:
        return self.state / f"{_safe(self.origin)}.checkpoint"

    def _open_checkpoint(self, note: bytes) -> Checkpoint:
        try:
            if self.policy is not None:
                cp, _ = self.policy.verify_checkpoint(note)
            else:
                text, _, _ = open_note(note, [self.log_key])
                cp = Checkpoint.parse(text)
        except (NoteError, CheckpointError, PolicyError) as exc:
            raise AuditError(f"checkpoint does not verify: {exc}") from exc
        if cp.origin != self.origin:
            raise AuditError(f"checkpoint is for {cp.origin!r}, expected {self.origin!r}")
        return cp

    def _evidence(self, old_note: bytes, new_note: bytes, proof: list[str], why: str) -> Path:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        d = self.state / "evidence" / f"{_safe(self.origin)}-{stamp}"
        d.mkdir(parents=True, exist_ok=True)
        (d / "old.checkpoint").write_bytes(old_note)
        (d / "new.checkpoint").write_bytes(new_note)
        (d / "proof.json").write_text(json.dumps({"proof": proof}, indent=2))
        (d / "README.txt").write_text(
            f"Fork evidence for log {self.origin}\n\n{why}\n\n"
            "old.checkpoint and new.checkpoint are both signed by the log's key, and proof.json is the\n"
            "consistency proof the log served between them, which does not verify. Two signed\n"
            "checkpoints that cannot both be true show that the log presented two different histories.\n"
        )
        return d

    def run(self) -> AuditReport:
        t0 = time.perf_counter()
        report = AuditReport(origin=self.origin)
        new_note = self._get("/log/checkpoint").content
        cp = self._open_checkpoint(new_note)
        report.size = cp.size
        self.state.mkdir(parents=True, exist_ok=True)
        if self._state_file.exists():
            old_note = self._state_file.read_bytes()
            old = self._open_checkpoint(old_note)
            report.old_size = old.size
            proof: list[str] = []
            why = ""
            if cp.size < old.size:
                why = f"the log went back from size {old.size} to {cp.size}"
            elif cp.size == old.size:
                if cp.root_hash != old.root_hash:
                    why = f"two different roots for size {cp.size}"
            else:
                proof = self._get(f"/api/log/consistency?old={old.size}&new={cp.size}").json()["proof"]
                try:
                    merkle.verify_consistency(old.size, cp.size, [base64.b64decode(p) for p in proof],
                                              old.root_hash, cp.root_hash)
                except (merkle.ProofError, ValueError) as exc:
                    why = f"the consistency proof from {old.size} to {cp.size} fails: {exc}"
            if why:
                raise ForkDetected(why, self._evidence(old_note, new_note, proof, why))
        tiles = TileNodeSource(lambda p: self._get("/log/" + p).content, cp.size)
        if cp.size:
            try:
                root = merkle.root_hash(tiles, cp.size)
            except (ValueError, LookupError) as exc:
                raise AuditError(f"hash tiles are malformed: {exc}") from exc
            if root != cp.root_hash:
                raise AuditError("the root computed from the hash tiles differs from the checkpoint's")
        self._check_records(cp, tiles, report)
        if report.ok:
            self._state_file.write_bytes(new_note)
        report.seconds = time.perf_counter() - t0
        return report

    def _listed_keys(self) -> dict[tuple[str, str], bool]:
        return {(k["name"], k["key_id"]): k["status"] == "revoked" for k in self._get("/api/keys").json()["keys"]}

    @staticmethod
    def _prefetch_leaf_tiles(tiles: TileNodeSource, size: int) -> None:
        for n in range((size + TILE_WIDTH - 1) // TILE_WIDTH):
            tiles.node(0, n * TILE_WIDTH)

    def _page(self, start: int) -> dict[str, Any]:
        return self._get(f"/api/log/records?start={start}&limit={PAGE}&payload=canonical").json()

    def _check_records(self, cp: Checkpoint, tiles: TileNodeSource, report: AuditReport) -> None:
        # Key history comes from the signed key records themselves, in log order (every member may
        # read them), never from the server's say-so; /api/keys is only compared with it at the end.
        keys: dict[tuple[str, bytes], list[Any]] = {}
        # Pages and leaf tiles are fetched in the background while records are checked: the server
        # works on its core while this process verifies signatures on the other.
        with ThreadPoolExecutor(2) as pool:
            pool.submit(self._prefetch_leaf_tiles, tiles, cp.size)
            ahead: Future | None = pool.submit(self._page, 0)
            while ahead is not None:
                page: dict[str, Any] = ahead.result()
                nxt = page["next"]
                ahead = pool.submit(self._page, nxt) if nxt is not None and nxt < cp.size else None
                self._check_page(page, cp, tiles, keys, report)
        if report.records_checked and cp.size:
            rebuilt = {(v.name, kid.hex()): revoked for (_, kid), (v, revoked) in keys.items()}
            if rebuilt != self._listed_keys():
                report.failures.append((cp.size - 1, "the server's key listing (/api/keys) disagrees with the "
                                                     "key records in the log"))

    def _check_page(self, page: dict[str, Any], cp: Checkpoint, tiles: TileNodeSource,
                    keys: dict[tuple[str, bytes], list[Any]], report: AuditReport) -> None:
        for rec in page["records"]:
            idx = rec["index"]
            if idx >= cp.size:
                break
            problem = self._check_record(idx, rec, tiles, keys)
            report.records_checked += 1
            if problem:
                report.failures.append((idx, problem))
        if self.progress:
            self.progress(report.records_checked, cp.size)

    def _check_record(self, idx: int, rec: dict[str, Any], tiles: TileNodeSource,
                      keys: dict[tuple[str, bytes], list[Any]]) -> str | None:
        note = rec["note"].encode()
        if merkle.leaf_hash(note) != tiles.node(0, idx):
            return "the record does not hash to its leaf in the tree"
        try:
            text, sigs = parse_note(note)
        except NoteError as exc:
            return f"malformed note: {exc}"
        lines = text.split("\n")
        fields = dict(line.split(" ", 1) for line in lines[1:-1] if " " in line)
        if lines[0] != "parley.record/v1" or fields.get("origin") != self.origin:
            return "not a record of this log"
        author = fields.get("author", "")
        body = text.encode()
        for sig in sigs:
            if sig.name != author:
                continue
            kind = fields.get("kind")
            found = keys.get((sig.name, sig.key_id))
            if found is None and kind == "deployment.init" and idx == 0:
                genesis = self._payload_vkey(rec)  # the first record is signed by the key it registers
                found = [genesis, False] if genesis else None
            if found is None:
                return f"signed by a key that no earlier record registered for {author}"
            v, revoked = found
            if revoked:
                return "signed with a key revoked earlier"
            if not v.verify(body, sig.sig):
                return "the author's signature does not verify"
            break
        else:
            return "no signature by the author"
        if "payload_canonical" in rec:
            digest = hashlib.sha256(rec["payload_canonical"].encode()).hexdigest()
        else:
            digest = hashlib.sha256(rfc8785.dumps(rec["payload"])).hexdigest()
        if fields.get("payload") != f"sha256:{digest}":
            return "the payload does not match the record's payload hash"
        if kind in KEY_KINDS:
            return self._apply_key_record(kind, rec, keys)
        return None

    @staticmethod
    def _payload(rec: dict[str, Any]) -> Any:
        return rec["payload"] if "payload" in rec else json.loads(rec["payload_canonical"])

    def _payload_vkey(self, rec: dict[str, Any]) -> Verifier | None:
        try:
            return Verifier.from_vkey(self._payload(rec)["vkey"])
        except (KeyError, TypeError, ValueError, NoteError):
            return None

    def _apply_key_record(self, kind: str, rec: dict[str, Any], keys: dict[tuple[str, bytes], list[Any]]) -> str | None:
        try:
            p = self._payload(rec)
            if kind in ("key.revoke", "key.rotate"):
                old = bytes.fromhex(p["old_key_id"] if kind == "key.rotate" else p["key_id"])
                entry = keys.get((p["member"], old))
                if entry is None:
                    return "revokes a key that no earlier record registered"
                entry[1] = True
            if kind != "key.revoke":
                v = Verifier.from_vkey(p["vkey"])
                keys[(v.name, v.key_id)] = [v, False]
        except (KeyError, TypeError, ValueError, NoteError) as exc:
            return f"malformed key record: {exc}"
        return None
