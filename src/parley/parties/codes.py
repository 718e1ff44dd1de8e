"""The refusals of parties, members' credentials and web sessions: each a stable code and its English template
(``parley.errors.Code``), the text the API shows; pages and the command line show each code's own message in the
reader's language (``parley.web.refusals.BY_CODE``)."""

from __future__ import annotations

from parley.errors import Code

CUSTODY_KEY_MISMATCH = Code("key.custody_mismatch",
                            "the key the server is to hold is not the key this record registers")
HASH_BUSY = Code("server.busy", "the server is busy; try again in a moment")
CSRF_TOKEN = Code("session.csrf_token", "a write with the session cookie needs the page's CSRF token in the "
                  "X-CSRF-Token header (or use an API token: 'Authorization: Bearer')")
CSRF_SITE = Code("session.other_site", "this request comes from another site")

CODES: tuple[Code, ...] = tuple(v for v in dict(globals()).values() if isinstance(v, Code))
