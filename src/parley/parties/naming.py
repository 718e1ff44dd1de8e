"""How parties, members and roles are named: a party's slug, a member's ``<party>/<handle>`` (also the
name of their signing key), the roles a member may hold and the kinds of party. Pure: the record format
(``parley.records.format``), web sessions and the pages share these."""

from __future__ import annotations

import re

SLUG = r"[a-z0-9][a-z0-9_-]{0,62}"
SLUG_RE = re.compile(SLUG + r"\Z")
AUTHOR_RE = re.compile(rf"({SLUG})/({SLUG})\Z")
ROLES = ("negotiator", "liaison", "registrar", "press", "auditor", "admin", "intake")
PARTY_KINDS = ("belligerent", "mediator", "observer")
