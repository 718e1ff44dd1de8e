"""What the HTTP API answers, as the OpenAPI description (``GET /api/openapi.json``) states it: the one error
body every refusal has, the receipt every write answers, and the helpers the routers attach them with.

A route declares its answer's model (``response_model=``) and the refusals it can give (``refusals(…)``);
its handler returns ``answer(…)``, the bytes FastAPI writes for the plain dict — so the description costs no
validation per request and changes no byte a client reads. ``tests/api/test_openapi.py`` checks that every
route is described and that real answers fit their description."""

from __future__ import annotations

import copy
from typing import Any

import pydantic_core
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict


def answer(content: dict[str, Any], status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    """``content`` as JSON, byte for byte what FastAPI writes for a handler returning the dict (Pydantic's dump,
    without a ``TypeAdapter``'s pass over the dict: several times faster for a listing of thousands of records)."""
    return Response(pydantic_core.to_json(content), status_code=status_code, media_type="application/json",
                    headers=headers)


class ErrorBody(BaseModel):
    """Every refusal: ``error`` names the status (``not_found``, ``conflict``, …), ``message`` says why in
    English, ``field`` names the field at fault when there is one. A refusal given a stable code carries it
    (``code``, ``operation.answers_closed``) with the values its message names (``params``)."""
    model_config = ConfigDict(extra="allow")
    error: str
    code: str | None = None
    params: dict[str, Any] | None = None
    message: str
    field: str | None = None


class FieldError(BaseModel):
    field: str
    message: str


class InvalidBody(ErrorBody):
    """422: a refusal, or a body or parameter that does not fit the route's model (``error`` is ``invalid``,
    ``errors`` lists each field at fault)."""
    errors: list[FieldError] | None = None


class ReceiptBody(BaseModel):
    """A write's receipt, answered once the record is durable: its index in the log, its hashes, the checkpoint
    it is in and its inclusion proof (C2SP tlog-proof). 200 with ``duplicate`` true for the same record again."""
    model_config = ConfigDict(extra="allow")
    index: int
    record_hash: str
    leaf_hash: str
    checkpoint: str
    proof: str
    duplicate: bool


class OpenAPIDocument(BaseModel):
    """An OpenAPI 3.1 document (https://spec.openapis.org/oas/v3.1.0)."""
    model_config = ConfigDict(extra="allow")
    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]


WHY = {
    400: "malformed",
    401: "no or unknown credentials",
    403: "not allowed: role, party or audience",
    404: "no such object, or one you may not read",
    409: "contradicts the current state",
    413: "too large",
    422: "invalid: the refusal, or the fields that do not fit the route's model",
    429: "a limit was reached; wait and retry",
    503: "busy, the database unreachable, or the log refuses writes; retry after Retry-After",
    507: "the database's disk is full: nothing was stored; retry after Retry-After",
}

# Every route that needs a member (401), may find the database busy (503) and has parameters (422).
READ = (401, 422, 503)
# A write: also refused by its kind's rules (403, 409), too large (413), queued beyond its limit (503) and
# not stored for a full disk (507).
WRITE = (400, 401, 403, 404, 409, 413, 422, 503, 507)


def refusals(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for these statuses, each with the error body."""
    return {s: {"model": InvalidBody if s == 422 else ErrorBody, "description": WHY[s]} for s in sorted(set(statuses))}


def written(model: type[BaseModel] = ReceiptBody, *statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a write answered 201 with ``model`` (the receipt and what the route adds): the same
    record again answers 200, ``duplicate`` true; and the refusals of a write, with ``statuses`` besides."""
    return {200: {"model": model, "description": "the same record again: its receipt, duplicate"},
            **refusals(*WRITE, *statuses)}


def media(media_type: str, description: str, *statuses: int, schema: dict[str, Any] | None = None) \
        -> dict[int | str, dict[str, Any]]:
    """``responses=`` for an answer that is not JSON: its media type, then the refusals (JSON)."""
    return {200: {"description": description,
                  "content": {media_type: {"schema": schema or {"type": "string"}}}},
            **refusals(*statuses)}


def body_schema(model: type[BaseModel], *, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """``model``'s JSON Schema, with its definitions inlined and the fields ``drop`` left out: the description
    of a body the route takes as an object and its record kind checks (a route fills the fields it drops)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(copy.deepcopy(defs[ref.removeprefix("#/$defs/")]))
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    out = inline(schema)
    for name in drop:
        out.get("properties", {}).pop(name, None)
        if name in out.get("required", []):
            out["required"] = [r for r in out["required"] if r != name]
    out.pop("title", None)
    return out


__all__ = ["READ", "WRITE", "ErrorBody", "FieldError", "InvalidBody", "OpenAPIDocument", "ReceiptBody", "answer",
           "body_schema", "media", "refusals", "written"]
