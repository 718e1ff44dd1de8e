"""The log's auditor (``parley.log.auditor``) with what depends on the record kinds handed in: the read
policy over every kind the log accepts, so a record the server should not have sent is reported, and the
projections recomputed from the records read (``projections.Shadow``), so an edited person or operation
is. ``parley log verify`` runs it with ``parley.assembly.kinds()``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from parley.log import auditor
from parley.log.auditor import AuditError, AuditReport, Caller, ForkDetected, TileMismatch
from parley.logserver.projections import Shadow
from parley.records.kinds import Kind
from parley.records.policy import ReadPolicy

__all__ = ["AuditError", "AuditReport", "Auditor", "ForkDetected", "TileMismatch"]


class Auditor(auditor.Auditor):
    """``parley.log.auditor.Auditor`` for a log that accepts ``kinds``."""

    def __init__(self, *args: Any, kinds: Mapping[str, Kind], **kw: Any) -> None:
        policy = ReadPolicy(kinds)

        def shadow(me: Caller) -> Shadow:
            return Shadow(me, kinds)

        super().__init__(*args, admits=policy.may_read_record, shadow=shadow, **kw)
