"""schemathesis against the app's own OpenAPI schema (``/api/openapi.json``), as signed-in demo members:
data that fits the schema and data that does not, a bounded number of examples per operation, and not
one 5xx (security issue 9, "1.4 Input fuzzing"). PARLEY_FUZZ_EXAMPLES raises the number for a deeper run."""

from __future__ import annotations

import os
import time
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import HypothesisException
from schemathesis import GenerationMode

EXAMPLES = int(os.environ.get("PARLEY_FUZZ_EXAMPLES", "8"))
# Random integers are rarely this large; these are the values that overflowed the database (V12).
HUGE = [2**63, 2**64, -(2**63) - 1, 10**30]


def huge_integer_cases(op: Any) -> list[Any]:
    """The operation with each integer path or query parameter set to each of ``HUGE`` in turn (other path
    parameters get a placeholder): the class of V12 on every route, present or future."""
    params = list(op.iter_parameters())
    ints = [p for p in params if p.location.value in ("path", "query") and '"integer"' in _json(p.definition)]
    base_path = {p.name: "1" if '"integer"' in _json(p.definition) else "x"
                 for p in params if p.location.value == "path"}
    types = list(op.get_request_payload_content_types())
    body = {"body": {}, "media_type": "application/json"} if "application/json" in types else {}
    cases = []
    for p in ints:
        for value in HUGE:
            path, query = dict(base_path), {}
            (path if p.location.value == "path" else query)[p.name] = value
            cases.append(op.Case(path_parameters=path or None, query=query or None, **body))
    return cases


def _json(value: Any) -> str:
    import json

    return json.dumps(value)


@pytest.mark.slow
def test_no_generated_request_gets_a_server_error(sqlite_runtime, sqlite_demo) -> None:  # type: ignore[no-untyped-def]
    from schemathesis.python.asgi import shutdown_lifespans

    from parley.app import create_app

    app = create_app(sqlite_runtime.settings, sqlite_runtime)
    as_member = {GenerationMode.POSITIVE: sqlite_demo.headers("icrc/mediator"),  # reads everything
                 GenerationMode.NEGATIVE: sqlite_demo.headers("ua/registrar")}
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app, headers=as_member[GenerationMode.POSITIVE])
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) > 30  # the whole API, not an empty schema
    failures: list[str] = []
    calls: dict[int, int] = {}
    huge = 0
    started = time.monotonic()
    try:
        for op in operations:
            for mode, auth in as_member.items():
                @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
                @given(case=op.as_strategy(generation_mode=mode))
                def call(case: Any) -> None:  # called in this iteration, so the loop's values are the ones meant
                    response = case.call(headers=auth)  # noqa: B023
                    calls[response.status_code] = calls.get(response.status_code, 0) + 1
                    if response.status_code >= 500:
                        failures.append(f"{op.label} ({mode.value}) -> {response.status_code}: "  # noqa: B023
                                        f"{case.as_curl_command(headers=auth)}")  # noqa: B023

                try:
                    call()
                except HypothesisException:
                    pass  # no example fits this mode for this operation (nothing to make negative, say)
            for case in huge_integer_cases(op):
                response = case.call(headers=as_member[GenerationMode.POSITIVE])
                calls[response.status_code] = calls.get(response.status_code, 0) + 1
                huge += 1
                if response.status_code >= 500:
                    failures.append(f"{op.label} (huge integer) -> {response.status_code}: {case.as_curl_command()}")
    finally:
        shutdown_lifespans()
    print(f"\nschemathesis: {len(operations)} operations, {sum(calls.values())} requests in "
          f"{time.monotonic() - started:.1f}s ({huge} with huge integers), statuses {dict(sorted(calls.items()))}")
    assert sum(calls.values()) > 10 * len(operations) and huge >= 4 * 6  # the log's and the channel's integers
    assert failures == [], "\n".join(failures[:20])
