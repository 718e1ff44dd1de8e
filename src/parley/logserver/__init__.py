"""The log and its members served: the log's HTTP endpoints (``api``: C2SP tiles, checkpoints, records
with proofs, health), the members' and records' endpoints (``parties``, ``records``), the publisher that
asks witnesses to cosign (``publish``), replay of the log into an empty database (``replay``), the
start of a deployment (``bootstrap``), and the auditor handed the record kinds (``audit``,
``projections``, ``audit_cli``). Built on ``parley.log``, ``parley.records`` and the capabilities; given
the record kinds by ``parley.assembly``."""
