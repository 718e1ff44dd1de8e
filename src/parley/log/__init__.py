"""Parley's append-only transparency log: the pure format and proof library (merkle, note,
checkpoint, tiles, proof, policy: RFC 6962/9162 and the C2SP specs) and, beside it, the database
store, HTTP API, publisher and auditor built on it."""
