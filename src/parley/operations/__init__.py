"""Humanitarian operations: corridors and pauses, acknowledgements, deconfliction, status, outcomes."""

# The record kinds of every capability are registered by parley.records.kinds, which imports this
# package's kinds at its end: importing it first lets ``import parley.operations.kinds`` work on its own.
import parley.records.kinds  # noqa: E402,F401
