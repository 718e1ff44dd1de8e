"""Parties, members and keys: their tables, names and roles, the acting member (``principal``), local
credentials (passwords, API tokens, custodial keys) and web sessions."""
