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

from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class Code:
    """A refusal's stable code (``operation.answers_closed``) and its English template (``str.format`` fields,
    ``{status}``), declared once beside the capability that refuses (``parley.operations.codes``). Raised as
    ``Conflict(ANSWERS_CLOSED, operation=…, status=…)``: the API answers the code, the parameters and the English
    text; pages and the command line show the code's own message in the reader's language
    (``parley.web.refusals.BY_CODE``)."""

    code: str
    template: str

    def format(self, params: dict[str, Any]) -> str:
        return self.template.format(**params)


class Invalid(ValueError):
    """A payload validator's refusal with a code: pydantic words it "Value error, <the English>", and keeps the
    exception, from which the pipeline (``record.payload_invalid``'s ``reason``) and the pages read the code."""

    def __init__(self, code: Code, /, **params: Any) -> None:
        super().__init__(code.format(params))
        self.refusal, self.params = code.code, params


class ParleyError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str | Code, /, *, field: str | None = None, **params: Any) -> None:
        # A refusal with a code (``Code``) and its parameters, or, not yet given one, an English sentence.
        if isinstance(message, Code):
            self.refusal: str | None = message.code
            self.params: dict[str, Any] = params
            text = message.format({"field": field, **params})  # a template may name the field at fault
        else:
            if params:
                raise TypeError("parameters go with a refusal's Code, not with a sentence")
            self.refusal, self.params, text = None, {}, message
        super().__init__(text)
        self.message = text
        self.field = field

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.code}
        if self.refusal is not None:
            out["code"] = self.refusal
            out["params"] = self.params
        out["message"] = self.message
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


class DatabaseUnavailable(Unavailable):
    """The database did not answer (down, unreachable, its pool exhausted): nothing was stored; retry."""

    headers: ClassVar[dict[str, str]] = {"Retry-After": "5"}


class InsufficientStorage(ParleyError):
    """The database's disk is full: nothing was stored. 507 (RFC 4918), never a 409 that invites an
    immediate retry."""

    status, code = 507, "insufficient_storage"
    headers: ClassVar[dict[str, str]] = {"Retry-After": "60"}
