"""Publishing checkpoints: the log asks each witness named in the policy to cosign its newest
checkpoint (C2SP tlog-witness), keeps the cosignatures, and marks the checkpoint published only once
the policy's quorum has cosigned. Without a policy every checkpoint is published as it is signed."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import select

from parley.db import writing
from parley.log import merkle
from parley.log.models import LogCheckpoint, LogCosignature, LogHead, WitnessProgress
from parley.log.note import verify_cosignature
from parley.log.policy import Policy, parse_policy
from parley.log.state import missing_entries
from parley.records import codes as C
from parley.log.store import DbNodes, latest_checkpoint
from parley.runtime import Runtime

log = logging.getLogger(__name__)


class Publisher:
    def __init__(self, rt: Runtime, policy: Policy | None = None) -> None:
        self.rt = rt
        self.policy = policy or parse_policy(rt.settings.witness_policy)
        self.urls = {**self.policy.witness_urls, **rt.settings.witness_urls}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # The database is behind a tree a witness cosigned: nothing it signs can be cosigned any more.
        self.behind = False

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="parley-publisher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        interval = self.rt.settings.publish_interval.total_seconds()
        while not self._stop.wait(interval):
            try:
                self.publish_once()
            except Exception:  # a witness being down must not stop the log
                log.exception("publishing a checkpoint failed")

    def check_behind(self, timeout: float = 3.0) -> tuple[str, int] | None:
        """Ask every witness of the policy which size of this log it last cosigned (its ``GET /``); if one
        cosigned a larger tree than this database holds, the log is behind what the parties already hold
        (an older backup restored without a mirror): it refuses writes from now on, with the entries it
        lacks (``log.behind_witnesses``), and keeps serving reads. Returns (witness, size) then, else None.
        A witness that does not answer is skipped: what it holds is learnt when it answers the publisher."""
        import httpx

        from parley.client import tls

        with self.rt.sessions() as s:
            head = s.get(LogHead, 1)
            size = head.size if head is not None else 0
        ahead: tuple[str, int] | None = None
        for name in self.policy.witnesses:
            url = self.urls.get(name)
            if url is None:
                continue
            try:
                r = httpx.get(url.rstrip("/") + "/", timeout=timeout, verify=tls())
                logs = r.json()["logs"] if r.status_code == 200 else []
                seen = next((int(x["size"]) for x in logs if x.get("origin") == self.rt.settings.log_origin), 0)
            except (httpx.HTTPError, ValueError, KeyError, TypeError, AttributeError) as exc:
                log.warning("witness %s did not say what it cosigned: %s", name, exc.__class__.__name__)
                continue
            if seen > size and (ahead is None or seen > ahead[1]):
                ahead = (name, seen)
        if ahead is not None:
            self.refuse_behind(*ahead, size=size)
        return ahead

    def refuse_behind(self, witness: str, cosigned: int, *, size: int) -> None:
        self.behind = True
        missing = missing_entries(size, cosigned)
        self.rt.pipeline.refuse(
            f"the witness {witness} cosigned a tree of {cosigned} entries, this database holds {size}: {missing} "
            "acknowledged but missing here; restore them from a mirror (parley restore --mirror)",
            C.BEHIND_WITNESSES, missing=missing, witness=witness)

    def publish_once(self) -> bool:
        """Try to get the newest checkpoint cosigned; True if it is now published."""
        from parley.witness.client import WitnessConflict, WitnessError, add_checkpoint

        if self.behind:
            return False
        with self.rt.sessions() as s:
            cp = latest_checkpoint(s)
            if cp is None:
                return False
            if cp.published:
                return True
            size, cp_note = cp.size, cp.note
            progress = dict(s.execute(select(WitnessProgress.witness, WitnessProgress.size)).all())
            have = set(s.execute(select(LogCosignature.witness).where(LogCosignature.size == size)).scalars())
            proofs = {old: merkle.consistency_proof(DbNodes(s, self.rt.cache), old, size)
                      for old in set(progress.values()) if 0 < old < size}
        text = cp_note.decode().split("\n\n", 1)[0] + "\n"
        got: dict[str, str] = {}
        # Witnesses are asked outside any transaction: a slow witness must not hold up appends.
        for name, verifier in self.policy.witnesses.items():
            url = self.urls.get(name)
            if url is None or name in have:
                continue
            old = progress.get(name, 0)
            for _ in range(2):
                if 0 < old < size and old not in proofs:
                    with self.rt.sessions() as s:
                        proofs[old] = merkle.consistency_proof(DbNodes(s, self.rt.cache), old, size)
                try:
                    sigs = add_checkpoint(url, old, proofs.get(old, []), cp_note)
                except WitnessConflict as c:
                    if c.size > size:
                        log.error("witness %s has cosigned a larger tree (%d) than this log has", name, c.size)
                        with self.rt.sessions() as s:
                            row = s.get(LogHead, 1)
                            held = row.size if row is not None else 0
                        if c.size > held:
                            self.refuse_behind(name, c.size, size=held)
                        break
                    old = c.size
                    continue
                except WitnessError as exc:
                    log.warning("witness %s: %s", name, exc)
                    break
                for sig in sigs:
                    if sig.name == verifier.name and verify_cosignature(verifier, text, sig):
                        got[name] = sig.line()
                break
        with writing(self.rt.sessions) as s:
            for name, line in got.items():
                s.merge(LogCosignature(size=size, witness=name, line=line))
                row = s.get(WitnessProgress, name)
                if row is None:
                    s.add(WitnessProgress(witness=name, size=size))
                else:
                    row.size = max(row.size, size)
            done = self.policy.satisfied(have | set(got))
            if done:
                s.get(LogCheckpoint, size).published = True  # type: ignore[union-attr]
        return done
