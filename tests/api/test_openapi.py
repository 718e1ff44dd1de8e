"""The API's description (``GET /api/openapi.json``) is complete and true: every route under ``/api/`` and every
log endpoint is in it with its method; each states its answer (a JSON schema, or the media type of a file or a
signed note), its request body, and its refusals with the one error body; and the answers the demo gives to real
calls — reads, writes and refusals — fit the schema documented for their status. The witness's description
likewise."""

from __future__ import annotations

import re
import tempfile
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from tests.docs.reference import route_pairs

REF = "#/components/schemas/"
LOG_ENDPOINTS = ("/log/checkpoint", "/log/key")
ERROR_MODELS = {"ErrorBody", "InvalidBody"}
# Routes anyone may call: no 401 to document.
PUBLIC = {("POST", "/api/family/inquiry"), ("GET", "/api/family/parties"), ("POST", "/api/family/inquiries"),
          ("POST", "/api/family/inquiry/additions"), ("GET", "/api/public/records/{index}"),
          ("GET", "/api/public/checkpoint"), ("GET", "/api/public/consistency"),
          ("GET", "/api/public/statements"), ("GET", "/api/public/statements/{statement_id}"),
          ("GET", "/api/public/feed.atom"), ("GET", "/api/public/figures"), ("GET", "/api/public/figures.csv")}


@cache
def built() -> tuple[frozenset[tuple[str, str]], dict[str, Any]]:
    """The app's routes and its description; building the app opens nothing (the runtime opens in its lifespan)."""
    from parley.app import create_app
    from parley.settings import Settings

    with tempfile.TemporaryDirectory() as d:
        app = create_app(Settings(database_url=f"sqlite:///{d}/parley.db", data_dir=Path(d),
                                  secret_key="openapi-" + "k" * 40, log_origin="openapi.parley.local/log",
                                  cookie_secure=False))
        return frozenset(route_pairs(app)), app.openapi()


def machine_routes(routes: frozenset[tuple[str, str]]) -> set[tuple[str, str]]:
    """Routes programs call: everything under ``/api/`` and the log's C2SP endpoints (not the pages of the log
    explorer, ``/log/checkpoints`` and ``/log/records/…``), paths as OpenAPI writes them (``{path}``)."""
    return {(m, re.sub(r"\{(\w+):\w+\}", r"{\1}", p)) for m, p in routes
            if p.startswith(("/api/", "/log/tile/", "/log/payloads/")) or p in LOG_ENDPOINTS}


def operations(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(method.upper(), path): op for path, item in doc["paths"].items() for method, op in item.items()}


def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].removeprefix(REF)]
    return schema


def says_something(doc: dict[str, Any], schema: dict[str, Any]) -> bool:
    """Not an empty schema nor a bare object: named fields, items, alternatives, or a scalar type."""
    schema = resolve(doc, schema)
    if any(k in schema for k in ("properties", "items", "anyOf", "oneOf", "allOf", "prefixItems")):
        return True
    return schema.get("type") not in (None, "object")


def error_model(doc: dict[str, Any], response: dict[str, Any]) -> str | None:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return schema.get("$ref", "").removeprefix(REF) or None


def test_every_api_route_and_log_endpoint_is_described_with_its_method() -> None:
    routes, doc = built()
    wanted = machine_routes(routes)
    assert len(wanted) > 45 and ("GET", "/log/tile/{path}") in wanted and ("POST", "/api/actions") in wanted
    missing = sorted(wanted - operations(doc).keys())
    assert not missing, f"routes missing from /api/openapi.json: {missing}"
    # And nothing else: the pages are not the API.
    assert set(operations(doc)) == wanted


def test_every_operation_states_its_answer_its_body_and_its_refusals() -> None:
    _, doc = built()
    problems: list[str] = []
    for (method, path), op in operations(doc).items():
        where = f"{method} {path}"
        responses = op["responses"]
        ok = {s: r for s, r in responses.items() if s.startswith("2")}
        if not ok:
            problems.append(f"{where}: no 2xx answer")
        for status, r in ok.items():
            content = r.get("content", {})
            if not content:
                problems.append(f"{where}: {status} names no media type")
            for media_type, body in content.items():
                if media_type == "application/json" and not says_something(doc, body.get("schema", {})):
                    problems.append(f"{where}: {status} has no JSON schema worth the name")
                if media_type != "application/json" and body.get("schema", {}).get("type") != "string":
                    problems.append(f"{where}: {status} {media_type} is not described as text or bytes")
        for status, r in responses.items():
            # Not FastAPI's own 422 (HTTPValidationError): Parley answers the error body, with the fields at fault.
            if status[0] in "45" and error_model(doc, r) not in ERROR_MODELS \
                    and not (where == "GET /api/health" and status == "503"):  # the health report, refusing writes
                problems.append(f"{where}: {status} is not answered with the error body")
        if (method, path) not in PUBLIC and "401" not in responses:
            problems.append(f"{where}: 401 (no or unknown credentials) is not documented")
        if method == "POST":
            body = op.get("requestBody", {}).get("content", {})
            if not body:
                problems.append(f"{where}: no request body described")
            for media_type, b in body.items():
                schema = resolve(doc, b.get("schema", {}))
                if not schema.get("properties"):
                    problems.append(f"{where}: the {media_type} body has no fields described")
            created = responses.get("201", {}).get("content", {}).get("application/json", {}).get("schema", {})
            if "duplicate" in resolve(doc, created).get("properties", {}) and "200" not in responses:
                problems.append(f"{where}: a receipt is answered 201, and 200 for the same record again")
            if "413" not in responses:
                problems.append(f"{where}: 413 (body too large) is not documented")
    assert not problems, "\n".join(problems)


def test_the_shared_error_body() -> None:
    _, doc = built()
    schemas = doc["components"]["schemas"]
    assert {"error", "message"} <= set(schemas["ErrorBody"]["required"])
    assert "field" in schemas["ErrorBody"]["properties"]
    assert "errors" in schemas["InvalidBody"]["properties"]


def test_the_witness_is_described() -> None:
    from parley.witness.server import create_witness_app
    from parley.witness.store import WitnessStore

    with tempfile.TemporaryDirectory() as d:
        store = WitnessStore(Path(d), "witness.example.org")
        try:
            app = create_witness_app(store)
            routes, doc = route_pairs(app), app.openapi()
        finally:
            store.close()
    ops = operations(doc)
    assert routes <= ops.keys()
    about = ops[("GET", "/")]["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(resolve(doc, about)["properties"]) == {"name", "vkey", "logs"}
    add = ops[("POST", "/add-checkpoint")]
    assert add["requestBody"]["content"]["text/plain"]["schema"]["type"] == "string"
    assert {"200", "400", "403", "404", "409", "413", "422"} <= add["responses"].keys()
    assert "text/x.tlog.size" in add["responses"]["409"]["content"]


# -- real answers against their description ------------------------------------------------------------------

class Described:
    """Checks an answer against the schema the description gives its route, method and status."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.checked: dict[tuple[str, str], set[int]] = {}
        self.problems: list[str] = []

    def __call__(self, method: str, template: str, response: Any) -> Any:
        where = f"{method} {template} -> {response.status_code}"
        op = self.doc["paths"][template][method.lower()]
        documented = op["responses"].get(str(response.status_code))
        self.checked.setdefault((method, template), set()).add(response.status_code)
        if documented is None:
            self.problems.append(f"{where}: status not documented ({response.text[:200]})")
            return response
        media_type = response.headers["content-type"].split(";")[0]
        content = documented.get("content", {})
        if media_type not in content:
            self.problems.append(f"{where}: answered {media_type}, documented {sorted(content)}")
            return response
        if media_type == "application/json":
            schema = {**content[media_type]["schema"], "components": self.doc["components"]}
            errors = [f"{e.instance_path}: {e.message}"[:300] for e in
                      jsonschema_rs.Draft202012Validator(schema).iter_errors(response.json())]
            if errors:
                self.problems.append(f"{where}: does not fit its schema: {errors[:5]}")
        return response


@pytest.fixture
def described(sqlite_client, sqlite_demo) -> Described:  # type: ignore[no-untyped-def]
    return Described(sqlite_client.get("/api/openapi.json", headers=sqlite_demo.headers("icrc/admin")).json())


def test_the_demo_answers_as_described(sqlite_client, sqlite_demo, described) -> None:  # type: ignore[no-untyped-def]
    c, check = sqlite_client, described
    mediator, registrar, negotiator = (sqlite_demo.headers(m)
                                       for m in ("icrc/mediator", "ua/registrar", "ua/negotiator"))
    auditor, press = sqlite_demo.headers("icrc/auditor"), sqlite_demo.headers("ua/press")

    def get(template: str, headers: dict[str, str], path: str | None = None, **params: Any) -> Any:
        return check("GET", template, c.get(path or template, headers=headers, params=params))

    def post(template: str, headers: dict[str, str], path: str | None = None, **kw: Any) -> Any:
        return check("POST", template, c.post(path or template, headers=headers, **kw))

    # The spine: who you are, parties, members, keys, the log.
    for template in ("/api/me", "/api/parties", "/api/members", "/api/keys", "/api/openapi.json", "/api/health",
                     "/api/log/checkpoints", "/log/key", "/log/checkpoint"):
        get(template, mediator)
    get("/api/parties/{slug}", mediator, "/api/parties/ua")
    get("/api/parties/{slug}", mediator, "/api/parties/nobody")
    get("/api/me", {})  # 401
    get("/api/me", {"Authorization": "Bearer nonsense"})
    page = get("/api/log/records", auditor, limit=200).json()
    get("/api/log/records", auditor, payload="canonical", limit=5)
    get("/api/log/records", auditor, limit=0)  # 422
    get("/api/log/records/{index}", auditor, "/api/log/records/3")
    get("/api/log/records/{index}", press, "/api/log/records/999999")
    get("/api/log/consistency", auditor, old=2, new=page["size"])
    get("/api/log/consistency", auditor, old=9, new=2)  # 400
    get("/log/tile/{path}", auditor, "/log/tile/0/000.p/1")
    get("/log/tile/{path}", press, "/log/tile/entries/000.p/1")  # 403: entry bundles are the auditors'
    get("/log/tile/{path}", auditor, "/log/tile/nonsense")

    # Operations, zones, incidents, deconfliction.
    ops = get("/api/operations", mediator).json()["operations"]
    assert ops
    for op in ops:
        get("/api/operations/{op_id}", mediator, f"/api/operations/{op['id']}")
    get("/api/operations/{op_id}", press, "/api/operations/none")
    op_id = "un-ocha-azovstal-civilians-1"  # organised by the UN with the ICRC; proposed with the usual notice
    assert op_id in {o["id"] for o in ops}
    for template in ("/api/zones", "/api/incidents", "/api/escalations", "/api/operations-rules",
                     "/api/deconfliction/alerts", "/api/deconfliction/checks"):
        get(template, mediator)
        get(template, negotiator)
    plan = c.get(f"/api/operations/{op_id}", headers=mediator).json()["plan"]
    post("/api/deconfliction/check", negotiator, json={"plan": plan})
    post("/api/deconfliction/check", negotiator, json={"plan": plan, "nonsense": 1})  # 422, the fields at fault
    post("/api/operations", negotiator, json={"plan": plan})  # refused by the kind: a 2022 window
    soon = datetime.now(UTC).replace(microsecond=0)
    window = {"start": (soon + timedelta(days=3)).isoformat(), "end": (soon + timedelta(days=4)).isoformat()}
    proposed = post("/api/operations", negotiator, json={"plan": {**plan, "window": window}}).json()
    post("/api/operations/{op_id}/answers", sqlite_demo.headers("ru/negotiator"),
         f"/api/operations/{proposed['operation']}/answers", json={"version": 1, "answer": "acknowledged"})
    post("/api/operations/{op_id}/channel", mediator, f"/api/operations/{op_id}/channel",
         json={"text": "convoy at the checkpoint", "urgent": True})
    messages = get("/api/operations/{op_id}/channel", negotiator, f"/api/operations/{op_id}/channel").json()
    last = messages["messages"][-1]["record"]
    post("/api/operations/{op_id}/channel/{message}/receipts", negotiator,
         f"/api/operations/{op_id}/channel/{last}/receipts", json={"state": "read"})
    post("/api/operations/{op_id}/status", press, f"/api/operations/{op_id}/status", json={"action": "start"})
    closed = post("/api/operations/{op_id}/answers", negotiator, f"/api/operations/{op_id}/answers",
                  json={"version": 1, "answer": "acknowledged"}).json()
    assert closed["code"] == "operation.answers_closed" and closed["params"]["operation"] == op_id, closed
    post("/api/operations/{op_id}/movements", negotiator, f"/api/operations/{op_id}/movements",
         json={"event": "departed", "at": "2030-01-01T00:00:00Z"})
    post("/api/operations/{op_id}/outcomes", negotiator, f"/api/operations/{op_id}/outcomes",
         json={"moved": [{"category": "women", "destination": "Zaporizhzhia", "count": 3}]})
    zone = {"kind": "mined", "name": "Field north of the road", "valid_from": "2030-01-01T00:00:00Z",
            "valid_until": "2030-01-02T00:00:00Z",
            "geometry": {"type": "Polygon", "coordinates": [[[37.0, 47.0], [37.1, 47.0], [37.1, 47.1], [37.0, 47.0]]]}}
    zone_id = post("/api/zones", negotiator, json={"zone": zone}).json().get("zone")
    post("/api/zones/{zone_id}/withdraw", negotiator, f"/api/zones/{zone_id}/withdraw", json={"reason": "cleared"})
    post("/api/incidents", negotiator, json={"incident": {"at": "2022-05-10T00:00:00Z", "position": [37.6, 47.1],
                                                         "type": "shelling", "observed": "heard"}})
    post("/api/operations-rules", negotiator, json={"notice_hours": 48})  # not a mediator's admin

    # People: the registry, lists, the review queue, inquiries, the families.
    persons = get("/api/persons", registrar).json()["persons"]
    get("/api/persons", registrar, q="Kovalenko")
    get("/api/persons", press)  # 403: not a reader of the registry
    for p in persons[:5]:
        get("/api/persons/{pid}", registrar, f"/api/persons/{p['id']}")
    for fmt in ("csv", "xlsx", "pdf"):
        get("/api/persons.{fmt}", registrar, f"/api/persons.{fmt}")
    registered = post("/api/persons", registrar, json={"category": "missing", "person": {"surname": "Бондар"}}).json()
    pid = registered["person"]
    post("/api/persons/{pid}/events", registrar, f"/api/persons/{pid}/events",
         json={"event": "captured", "date": "2022-05-17"})
    csv = "surname,first_name,birth_date\nМельник,Петро,1990-01-02\n,Іван,1991\n".encode()
    post("/api/lists/preview", registrar, files={"file": ("list.csv", csv, "text/csv")})
    imported = post("/api/lists", registrar, files={"file": ("list.csv", csv, "text/csv")}, data={"title": "t"}).json()
    get("/api/lists", registrar)
    get("/api/lists/{list_id}", registrar, f"/api/lists/{imported['list']}")
    pairs = get("/api/review", registrar, threshold=0.3).json()["pairs"]
    if pairs:
        post("/api/matches", registrar, json={"left": pairs[0]["left"]["id"], "right": pairs[0]["right"]["id"],
                                              "decision": "different"})
    filed = post("/api/inquiries", registrar, json={"sought": {"surname": "Бондар"}, "relationship": "mother"}).json()
    inquiries = get("/api/inquiries", registrar).json()["inquiries"]
    get("/api/inquiries/{ref}", registrar, f"/api/inquiries/{filed['reference']}")
    post("/api/inquiries/{ref}/decisions", registrar, f"/api/inquiries/{filed['reference']}/decisions",
         json={"decision": "message", "message": "we are looking"})
    post("/api/family/inquiry", {}, json={"reference": filed["reference"], "secret": filed["secret"]})
    post("/api/family/inquiry", {}, json={"reference": filed["reference"], "secret": "wrong"})  # 404
    post("/api/family/inquiry/additions", {}, json={"reference": filed["reference"], "secret": filed["secret"],
                                                    "marks": "a scar (invented)"})
    post("/api/inquiries/{ref}/additions", registrar, f"/api/inquiries/{filed['reference']}/additions",
         json={"dna_reference": "DNA-TEST-1"})
    get("/api/family/parties", {})
    post("/api/family/inquiries", {}, json={"party": "ua", "sought": {"surname": "Бондар"}})

    # Records, signed by the member or by the server with the member's web key.
    from parley.records.compose import compose

    payload = {"text": "described"}
    note = compose(sqlite_demo.signer("ua/registrar"), origin=c.app.state.settings.log_origin, kind="record.note",
                   audience=["party:ua"], payload=payload).decode()
    post("/api/records", registrar, json={"note": note, "payload": payload})
    post("/api/records", registrar, json={"note": note, "payload": payload})  # 200, duplicate
    post("/api/actions", negotiator, json={"kind": "record.note", "audience": ["party:ua"],
                                           "payload": {"text": "by the web key"}})
    post("/api/actions", negotiator, json={"kind": "no.such", "audience": ["all"], "payload": {}})

    assert not check.problems, "\n".join(check.problems)
    statuses = {s for got in check.checked.values() for s in got}
    # The calls reached reads and writes, their duplicates and the refusals.
    assert {200, 201, 400, 401, 403, 404, 422} <= statuses, statuses
    assert len(check.checked) >= 45, sorted(machine_routes(built()[0]) - check.checked.keys())
    assert inquiries
