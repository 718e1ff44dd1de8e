"""Parley's append-only transparency log, as a library: the pure format and proof code (merkle, note,
checkpoint, tiles, proof, policy: RFC 6962/9162 and the C2SP specs), its tables, the database store, the
state file of the last released checkpoint, the self-check, and a party's auditor. It knows no record
kind beyond its own; the log served over HTTP, its publisher and replay are ``parley.logserver``."""
