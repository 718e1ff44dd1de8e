"""Humanitarian operations: corridors and pauses, acknowledgements, deconfliction, status, outcomes.

A capability (``parley.assembly`` registers it): record kinds in ``kinds``, tables in ``models``, reads
in ``service``, the HTTP API in ``api``, commands in ``cli``, the demo's part in ``scenario``; ``geo`` and
``deconfliction`` are its pure geometry.
"""
