"""The files the commands read: every command that takes a JSON file has an example in docs/examples/,
every field of those files is described in docs/cli.md, and each example (the list's too) is accepted by the demo when
submitted through its command by a member allowed to.

Operations and zones must lie in the future when they are stated: when an example's dates have passed,
the test moves them forward by whole weeks (the times of day and weekdays stay), as docs/cli.md tells a
reader to do; until then the files are submitted exactly as they are.
"""

from __future__ import annotations

import json
import re
import types
import typing
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from tests.docs.reference import EXAMPLES, ROOT, code_spans, commands

# (command, the parameter that takes the file) → the example for it.
EXAMPLE_FOR = {
    ("ops check", "PLAN"): "plan.json",
    ("ops propose", "PLAN"): "plan.json",
    ("ops answer", "--counter"): "plan.json",
    ("zone declare", "ZONE"): "zone.json",
    ("incident report", "INCIDENT"): "incident.json",
    ("ops declare-corridor", "CORRIDOR"): "corridor.json",
    ("person register", "FILE"): "person.json",
    ("record submit", "--payload"): "note.json",
}
CLI_DOC = ROOT / "docs" / "cli.md"


def load(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def test_every_command_that_reads_a_json_file_has_an_example():
    takes = {(c.path, p) for c in commands() for p in c.json_file_params()}
    assert takes == set(EXAMPLE_FOR), "commands reading JSON files changed: give each an example in docs/examples/"
    for (command, _), name in EXAMPLE_FOR.items():
        assert isinstance(load(name), dict)
        shown = [s for s in code_spans() if f"parley {command}" in s.text and f"docs/examples/{name}" in s.text]
        assert shown, f"no code span in the docs shows `parley {command} … docs/examples/{name}`"


# -- every field of the files is described -------------------------------------------------------

def _models(annotation: Any) -> Iterator[tuple[str, type[BaseModel]]]:
    """("." or "[].", model) for each model inside an annotation (optional, list of)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        yield from _models(typing.get_args(annotation)[0])
    elif origin in (typing.Union, types.UnionType):
        for a in typing.get_args(annotation):
            yield from _models(a)
    elif origin is list:
        for sep, m in _models(typing.get_args(annotation)[0]):
            yield "[]" + sep, m
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield ".", annotation


def field_names(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    for name, f in model.model_fields.items():
        yield prefix + name
        for sep, sub in _models(f.annotation):
            yield from field_names(sub, prefix + name + sep)


def file_models() -> dict[str, list[tuple[str, type[BaseModel]]]]:
    """What each example file is, as the server reads it: (prefix, model) pairs."""
    from parley.assembly import kinds
    from parley.people.api import RegisterBody

    KINDS = kinds()

    def payload(kind: str) -> type[BaseModel]:
        return KINDS[kind].schema

    plan = payload("operation.propose").model_fields["plan"].annotation
    person = next(m for _, m in _models(payload("person.register").model_fields["person"].annotation))
    return {"plan.json": [("", plan)],
            "zone.json": [("", payload("zone.declare"))],
            "incident.json": [("", payload("incident.report"))],
            "corridor.json": [("", payload("corridor.declare"))],
            "person.json": [("", RegisterBody), ("person.", person)],
            "note.json": [("", payload("record.note"))]}


def test_every_field_of_the_files_is_described():
    described = {s.text for s in code_spans() if s.file == CLI_DOC.name}
    missing = {name: [f for prefix, model in models for f in field_names(model, prefix) if f not in described]
               for name, models in file_models().items()}
    missing = {k: v for k, v in missing.items() if v}
    assert not missing, f"fields not described (as `field`) in docs/cli.md: {missing}"


def test_the_examples_hold_only_fields_the_server_reads():
    for name, models in file_models().items():
        known = {f for prefix, model in models for f in field_names(model, prefix)}

        def walk(value: Any, prefix: str) -> Iterator[str]:
            if isinstance(value, dict):
                for k, v in value.items():
                    yield prefix + k
                    if prefix + k not in {"route", "area", "geometry"}:  # GeoJSON, read by its own rules
                        yield from walk(v, prefix + k + ".")
            elif isinstance(value, list):
                for v in value:
                    yield from walk(v, prefix[:-1] + "[].")

        unknown = [f for f in walk(load(name), "") if f not in known]
        assert not unknown, f"{name}: {unknown}"


# -- each example is accepted --------------------------------------------------------------------

def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def shifted(data: dict[str, Any], paths: list[str], by: timedelta) -> dict[str, Any]:
    """A copy of ``data`` with the times at the dotted ``paths`` moved by ``by``."""
    out = json.loads(json.dumps(data))
    for path in paths:
        *parents, last = path.split(".")
        holder = out
        for k in parents:
            holder = holder[k]
        holder[last] = _iso(_at(holder[last]) + by)
    return out


def moved(data: dict[str, Any], paths: list[str], lead: str, earliest: datetime) -> dict[str, Any]:
    """``data`` with the times at ``paths`` moved forward by whole weeks until the time at ``lead`` is after
    ``earliest`` (not at all while it already is)."""
    first = data
    for k in lead.split("."):
        first = first[k]
    weeks = max(0, -((_at(first) - earliest) // timedelta(weeks=1)))
    return shifted(data, paths, timedelta(weeks=weeks))


def test_moving_the_examples_dates_keeps_the_day_time_and_length():
    plan = load("plan.json")
    start, end = _at(plan["window"]["start"]), _at(plan["window"]["end"])
    assert moved(plan, ["window.start", "window.end"], "window.start", start - timedelta(days=3)) == plan
    later = moved(plan, ["window.start", "window.end"], "window.start", start + timedelta(days=400))
    new_start, new_end = _at(later["window"]["start"]), _at(later["window"]["end"])
    assert start + timedelta(days=400) <= new_start < start + timedelta(days=407)
    assert (new_start - start) % timedelta(weeks=1) == timedelta(0) and new_end - new_start == end - start
    assert {k: v for k, v in later.items() if k != "window"} == {k: v for k, v in plan.items() if k != "window"}


def write(tmp: Path, name: str, data: dict[str, Any]) -> Path:
    path = tmp / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_the_examples_are_accepted(parley, client, demo, tmp_path):
    now = datetime.now(UTC)
    # The demo's rules: 48 h notice (docs/cli.md); a day more so that the test never races the limit.
    plan = moved(load("plan.json"), ["window.start", "window.end"], "window.start", now + timedelta(hours=72))
    plan_file = write(tmp_path, "plan.json", plan)

    out = parley("ua/negotiator", "ops", "check", plan_file).output
    assert "no conflicts" in out
    out = parley("ua/negotiator", "ops", "propose", plan_file, "--id", "ua-op-vasylivka").output
    assert "operation ua-op-vasylivka" in out and "cannot see" not in out
    op = json.loads(parley("ru/liaison", "ops", "show", "ua-op-vasylivka", "--json").output)
    assert (op["title"], op["kind"], op["mediator"]) == (plan["title"], "evacuation", "icrc")
    assert op["parties"] == ["ru", "ua"]
    assert op["window"] == plan["window"] and op["plan"]["expected"]["children"] == 25 and op["status"] == "proposed"
    assert [(b["party"], b["state"]) for b in op["board"]] == [("ru", "awaiting"), ("ua", "proposer")]

    # The same file format answers with a counter-proposal: Russia moves the window a day later.
    later = shifted(plan, ["window.start", "window.end"], timedelta(days=1))
    parley("ru/negotiator", "ops", "answer", "ua-op-vasylivka", "--version", "1", "--counter",
           write(tmp_path, "counter.json", later))
    op = json.loads(parley("ua/negotiator", "ops", "show", "ua-op-vasylivka", "--json").output)
    assert op["version"] == 2 and op["window"] == later["window"]

    zone = moved(load("zone.json"), ["valid_from", "valid_until"], "valid_until", now + timedelta(days=7))
    out = parley("ru/liaison", "zone", "declare", write(tmp_path, "zone.json", zone), "--audience", "all").output
    zone_id = re.search(r"zone (ru-zone-[0-9a-f]+)", out).group(1)
    zones = {z["id"]: z for z in client.get("/api/zones", headers=demo.headers("ua/negotiator")).json()["zones"]}
    assert zones[zone_id]["name"] == zone["name"] and zones[zone_id]["kind"] == "mined"

    # An incident as it is (its time has passed, so it never needs moving), then the other side's account
    # of it, tied to the operation.
    out = parley("ua/liaison", "incident", "report", EXAMPLES / "incident.json").output
    incident_id = re.search(r"incident (ua-inc-[0-9a-f]+)", out).group(1)
    account = {**load("incident.json"), "operation": "ua-op-vasylivka", "account_of": incident_id,
               "observed": "reported", "direction_deg": None, "distance_m": None, "casualties": {},
               "description": "Our positions did not fire; the shelling came from the other side."}
    parley("ru/liaison", "incident", "report", write(tmp_path, "account.json", account))
    groups = client.get("/api/incidents", headers=demo.headers("icrc/mediator")).json()["incidents"]
    group = next(g for g in groups if g[0]["id"] == incident_id)
    assert [(i["party"], i["type"], i["observed"]) for i in group] == [("ua", "shelling", "heard"),
                                                                        ("ru", "shelling", "reported")]
    assert group[0]["direction_deg"] == 135 and group[1]["operation"] == "ua-op-vasylivka"

    # A corridor Russia declares on its own, as it is (a declared corridor may lie in the past or the future).
    out = parley("ru/liaison", "ops", "declare-corridor", EXAMPLES / "corridor.json").output
    corridor_id = re.search(r"corridor (ru-corridor-[0-9a-f]+)", out).group(1)
    corridors = client.get("/api/corridors", headers=demo.headers("ua/liaison")).json()["corridors"]
    assert any(c["id"] == corridor_id and c["name"] == load("corridor.json")["name"] for c in corridors)

    out = parley("ua/registrar", "person", "register", EXAMPLES / "person.json").output
    person_id = re.search(r"person (ua-p-[0-9a-f]+)", out).group(1)
    person = json.loads(parley("ru/registrar", "person", "show", person_id, "--json").output)
    example = load("person.json")
    assert {f: person[f] for f in example["person"]} == example["person"]
    assert (person["category"], person["own_party"], person["status"]) == ("pow", "ru", "captured")

    key_file = demo.signins["ua/negotiator"]["key_file"]
    out = parley("ua/negotiator", "record", "submit", "--kind", "record.note", "--payload",
                 f"@{EXAMPLES / 'note.json'}", "--key-file", key_file).output
    index = json.loads(out)["index"]
    record = client.get(f"/api/log/records/{index}", headers=demo.headers("ru/negotiator")).json()
    assert record["kind"] == "record.note" and record["payload"] == load("note.json")
    assert record["author"] == "ua/negotiator"

    # A list is a spreadsheet, not JSON; its example imports as docs/cli.md says.
    out = parley("ua/registrar", "list", "import", EXAMPLES / "list.csv", "--own-party", "ua", "--json").output
    report = json.loads(out)
    assert (report["accepted"], report["duplicates"], report["rejected"]) == (2, 1, 1)
    # Rows are numbered as a spreadsheet shows them: the header is row 1.
    rows = {r["row"]: r for r in report["report"]}
    assert [rows[2]["status"], rows[3]["status"]] == ["accepted", "accepted"]
    assert rows[4]["status"] == "duplicate" and rows[4]["of_row"] == 2
    assert rows[5]["status"] == "rejected" and rows[5]["field"] == "birth_date"
