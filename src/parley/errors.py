"""The errors Parley raises on purpose, each carrying the HTTP status it maps to.

    ParleyError
    ├── BadRequest (400)      malformed input: a note that does not parse, a bad payload
    ├── Unauthorized (401)    no or unknown credentials
    ├── Forbidden (403)       known caller, not allowed: role, party or audience
    ├── NotFound (404)
    ├── Conflict (409)        valid input that contradicts the current state
    ├── TooLarge (413)
    ├── Unprocessable (422)   well-formed but invalid: schema or signature failures
    ├── TooManyRequests (429) a limit per member or address was reached; wait and retry
    └── Unavailable (503)     the server is too busy or its database unreachable: retry later
"""

from __future__ import annotations


class ParleyError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def as_dict(self) -> dict[str, str]:
        out = {"error": self.code, "message": self.message}
        if self.field:
            out["field"] = self.field
        return out


class BadRequest(ParleyError):
    status, code = 400, "bad_request"


class Unauthorized(ParleyError):
    status, code = 401, "unauthorized"


class Forbidden(ParleyError):
    status, code = 403, "forbidden"


class NotFound(ParleyError):
    status, code = 404, "not_found"


class Conflict(ParleyError):
    status, code = 409, "conflict"


class TooLarge(ParleyError):
    status, code = 413, "too_large"


class Unprocessable(ParleyError):
    status, code = 422, "unprocessable"


class TooManyRequests(ParleyError):
    status, code = 429, "too_many_requests"


class Unavailable(ParleyError):
    status, code = 503, "unavailable"
