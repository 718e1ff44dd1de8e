"""Replay: rebuild every table from the log alone. Each record goes through the same pipeline as
when it was first written (signature, standing, schema, state), into an empty database; the
checkpoints and cosignatures are then carried over, each checked against the rebuilt tree."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, delete, select
from sqlalchemy.engine import Engine

from parley.db import Base, migrate, session_factory, writing
from parley.errors import ParleyError
from parley.log import merkle
from parley.log.models import LogCheckpoint, LogCosignature, LogEntry, LogHead, WitnessProgress
from parley.log.note import Signer
from parley.log.store import DbNodes, NodeCache
from parley.records import sealing
from parley.records.kinds import Kind
from parley.records.pipeline import Pipeline, Receipt


@dataclass
class ReplayReport:
    records: int = 0
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)


def replay(source: Engine, target: Engine, signer: Signer, origin: str, *, kinds: Mapping[str, Kind],
           chunk: int = 2000, progress: Callable[[int, int], None] | None = None) -> ReplayReport:
    """Rebuild ``target`` (empty) from ``source``'s log; ``kinds``: the record kinds the log accepts
    (``parley.assembly.kinds()``, or ``Runtime.kinds``)."""
    migrate(target)
    tsessions = session_factory(target)
    with tsessions() as t:
        if t.get(LogHead, 1).size:  # type: ignore[union-attr]
            raise RuntimeError("the target database is not empty")
    ssessions = session_factory(source)
    report = ReplayReport()
    # The data keys come over as they are, so the sealed payloads are stored again byte for byte.
    with ssessions() as s, writing(tsessions) as t:
        sealing.carry_keys(t, [(k.subject, k.key, k.created_idx, k.destroyed_idx)
                               for k in s.execute(select(sealing.DataKey)).scalars()])
    pipeline = Pipeline(tsessions, signer, origin, kinds=kinds, batch=chunk, cache=NodeCache())
    with ssessions() as s:
        opener = sealing.Opener(s)
        total = s.get(LogHead, 1).size  # type: ignore[union-attr]
        pos = 0
        while pos < total:
            rows = s.execute(select(LogEntry.idx, LogEntry.note, LogEntry.payload, LogEntry.payload_hash)
                             .where(LogEntry.idx >= pos).order_by(LogEntry.idx).limit(chunk)).all()
            opener.preload(payload for _, _, payload, _ in rows)
            items: list[tuple[bytes, Any, None, str]] = []
            for idx, note, payload, payload_hash in rows:
                text, by = opener.open(payload, payload_hash)
                if text is None:
                    # Destroyed: appended as it is, nothing applied (its content is gone); the destroying
                    # record, later, is replayed onto what is left, and the tombstones are made at the end.
                    marker = payload if sealing.is_destroyed(payload) else \
                        sealing.destroyed_marker(by or idx + 1, sealing.subjects_of(payload))
                    items.append((note, None, None, marker))
                    continue
                items.append((note, json.loads(text), None, payload))
            results = pipeline.submit_many(items, replay=True)
            for (idx, _, _, _), res in zip(rows, results, strict=True):
                if isinstance(res, ParleyError):
                    report.problems.append(f"record {idx} refused on replay: {res.message}")
                elif isinstance(res, Receipt) and res.index != idx:
                    report.problems.append(f"record {idx} landed at {res.index} on replay")
            if report.problems:
                return report
            pos = rows[-1][0] + 1
            report.records = pos
            if progress:
                progress(pos, total)
        from parley.people.retention import restore_tombstones

        with writing(tsessions) as t:
            restore_tombstones(t)
        checkpoints = s.execute(select(LogCheckpoint).order_by(LogCheckpoint.size)).scalars().all()
        cosigs = s.execute(select(LogCosignature)).scalars().all()
        progress_rows = s.execute(select(WitnessProgress)).scalars().all()
    with writing(tsessions) as t:
        t.execute(delete(LogCheckpoint))
        nodes = DbNodes(t, NodeCache())
        for cp in checkpoints:
            if merkle.root_hash(nodes, cp.size) != cp.root_hash:
                report.problems.append(f"checkpoint {cp.size} does not match the replayed tree")
            t.add(LogCheckpoint(size=cp.size, root_hash=cp.root_hash, note=cp.note, created_at=cp.created_at,
                                published=cp.published))
        t.flush()
        for c in cosigs:
            t.add(LogCosignature(size=c.size, witness=c.witness, line=c.line))
        for w in progress_rows:
            t.add(WitnessProgress(witness=w.witness, size=w.size))
        report.checkpoints = len(checkpoints)
    return report


def table_rows(engine: Engine, tables: Iterable[type[Base]]) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {}
    with engine.connect() as conn:
        for model in tables:
            t = cast(Table, model.__table__)
            cols = list(t.columns)
            rows = conn.execute(select(*cols).order_by(*t.primary_key.columns)).all()
            out[t.name] = [tuple(_comparable(v) for v in r) for r in rows]
    return out


def _comparable(value: object) -> object:
    # SQLite returns naive datetimes, PostgreSQL aware ones: compare both in UTC.
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def differences(a: Engine, b: Engine, tables: Iterable[type[Base]]) -> list[str]:
    tables = list(tables)
    ra, rb = table_rows(a, tables), table_rows(b, tables)
    diffs = []
    for name in ra:
        if ra[name] != rb[name]:
            only_a = set(ra[name]) - set(rb[name])
            only_b = set(rb[name]) - set(ra[name])
            diffs.append(f"{name}: {len(only_a)} rows only in the first, {len(only_b)} only in the second")
    return diffs
