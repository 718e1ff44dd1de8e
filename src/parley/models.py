"""Every table, gathered for Alembic and for replay's table-by-table comparison."""

from parley.db import Base
from parley.exchanges.models import TABLES as EXCHANGE_TABLES
from parley.log.models import LogCheckpoint, LogCosignature, LogEntry, LogHead, LogNode, WitnessProgress
from parley.operations.models import TABLES as OPERATION_TABLES
from parley.parties.models import Annotation, Credential, Member, MemberKey, Party, SignInFailure, WebSession
from parley.people.models import TABLES as PEOPLE_TABLES
from parley.press.models import TABLES as PRESS_TABLES
from parley.records.sealing import TABLES as SEALING_TABLES
from parley.talks.models import TABLES as TALKS_TABLES

LOG_TABLES = (LogHead, LogEntry, LogNode, LogCheckpoint, LogCosignature, WitnessProgress)
PROJECTION_TABLES = (Party, Member, MemberKey, Annotation, *OPERATION_TABLES, *PEOPLE_TABLES, *TALKS_TABLES,
                     *EXCHANGE_TABLES, *PRESS_TABLES)
LOCAL_TABLES: tuple[type[Base], ...] = (Credential, WebSession, SignInFailure)
# Data subjects' keys and which entries name them (``records.sealing``): written by the pipeline as records are
# applied, random, so a replay makes its own (or carries the source's over).
KEY_TABLES = SEALING_TABLES

__all__ = [
    "Annotation", "Credential", "LogCheckpoint", "LogCosignature", "LogEntry", "LogHead", "LogNode",
    "Member", "MemberKey", "Party", "SignInFailure", "WebSession", "WitnessProgress", "LOG_TABLES",
    "PROJECTION_TABLES", "LOCAL_TABLES", "KEY_TABLES",
]

# Capabilities' local tables (never in the log, not rebuilt by replay): families' secret verifiers, the
# record of dry-run deconfliction checks.
from parley.operations.models import LOCAL_TABLES as _OPERATION_LOCAL  # noqa: E402
from parley.people.models import LOCAL_TABLES as _PEOPLE_LOCAL  # noqa: E402

LOCAL_TABLES = (*LOCAL_TABLES, *_OPERATION_LOCAL, *_PEOPLE_LOCAL)
