"""The command line's tables on a narrow terminal (60 columns): every id, reference and member a next
command needs is printed whole, on one line, never cut or broken by the table."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

import pytest

from tests.docs.reference import EXAMPLES

WIDTH = 60
# What a table prints does not depend on the database.
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def shows_whole(output: str, values: Iterable[str]) -> None:
    lines = output.splitlines()
    assert max(len(line) for line in lines) <= WIDTH, "the table is wider than the terminal: COLUMNS was ignored"
    # Rich draws its tables with box characters; a value broken or cut shows as a part of itself.
    missing = [v for v in values if not any(re.search(rf"(?<![\w-]){re.escape(v)}(?![\w-])", line) for line in lines)]
    assert not missing, f"not shown whole at {WIDTH} columns: {missing}\n{output}"


def test_operations_and_zones(parley, client, demo):
    ops = json.loads(parley("icrc/mediator", "ops", "list", "--json").output)["operations"]
    assert ops
    shows_whole(parley("icrc/mediator", "ops", "list", columns=WIDTH).output, [o["id"] for o in ops])

    op = json.loads(parley("icrc/mediator", "ops", "show", "un-ocha-azovstal-civilians-1", "--json").output)
    shown = parley("icrc/mediator", "ops", "show", "un-ocha-azovstal-civilians-1", columns=WIDTH).output
    shows_whole(shown, [op["id"], *(b["party"] for b in op["board"]), *(e["by"] for e in op["timeline"])])

    zones = client.get("/api/zones", headers=demo.headers("ua/negotiator")).json()["zones"]
    assert zones
    shows_whole(parley("ua/negotiator", "zone", "list", columns=WIDTH).output, [z["id"] for z in zones])


def test_persons_lists_review_and_inquiries(parley, client, demo):
    # A list first, so that the registry also holds ids of the full length the server gives (ua-p-…).
    preview = parley("ua/registrar", "list", "import", EXAMPLES / "list.csv", "--preview", columns=WIDTH).output
    shows_whole(preview, ["Дата народження", "birth_date", "external_id"])
    report = parley("ua/registrar", "list", "import", EXAMPLES / "list.csv", "--own-party", "ua", columns=WIDTH).output
    list_id = re.search(r"list (ua-[\w-]+):", report).group(1)
    data = json.loads(parley("ua/registrar", "list", "show", list_id, "--json").output)
    accepted = [r["person"] for r in data["report"] if r["status"] == "accepted"]
    assert len(accepted) == 2
    shows_whole(report, accepted)
    shows_whole(parley("ua/registrar", "list", "show", list_id, columns=WIDTH).output, accepted)

    persons = json.loads(parley("ua/registrar", "person", "list", "--json").output)["persons"]
    assert len(persons) > 10
    shows_whole(parley("ua/registrar", "person", "list", columns=WIDTH).output, [p["id"] for p in persons])
    found = json.loads(parley("ua/registrar", "person", "list", "-q", "Yaroshenko Maksym", "--json").output)["persons"]
    assert found
    shows_whole(parley("ua/registrar", "person", "list", "-q", "Yaroshenko Maksym", columns=WIDTH).output,
                [p["id"] for p in found])

    pairs = json.loads(parley("ua/registrar", "review", "--json").output)["pairs"]
    assert pairs
    shows_whole(parley("ua/registrar", "review", columns=WIDTH).output,
                [p[side]["id"] for p in pairs for side in ("left", "right")])

    inquiries = client.get("/api/inquiries", headers=demo.headers("ua/registrar")).json()["inquiries"]
    refs = [i["reference"] for i in inquiries]
    assert refs
    for ref in refs:
        inquiry = json.loads(parley("ua/registrar", "inquiry", "show", ref, "--json").output)
        shows_whole(parley("ua/registrar", "inquiry", "show", ref, columns=WIDTH).output,
                    [ref, *(c["id"] for c in inquiry["candidates"])])


def test_talks(parley):
    def data(*args: str) -> dict:
        return json.loads(parley("ua/negotiator", "talks", *args, "--json").output)

    def shown(*args: str) -> str:
        return parley("ua/negotiator", "talks", *args, columns=WIDTH).output

    processes = data("list")["processes"]
    assert {"ua-belarus-talks", "ua-azovstal-back-channel", "ru-military-channel"} <= {p["id"] for p in processes}
    shows_whole(shown("list"), [p["id"] for p in processes])
    for p in processes:
        full = data("show", p["id"])
        shows_whole(shown("show", p["id"]), [
            p["id"], *(t["id"] for t in full["tracks"]), *(m["id"] for m in full["meetings"]),
            *(t["id"] for t in full["texts"]), *(e["ref"] for e in full["timeline"]),
            *(x["by"] for x in full["statuses"])])
        board = data("board", p["id"])
        shows_whole(shown("board", p["id"]), [*(board["parties"] if board["points"] else []),
                                              *(pt["id"] for pt in board["points"])])
        impl = data("implementation", p["id"])
        shows_whole(shown("implementation", p["id"]), [r["point"] for r in impl["points"]])
        for m in full["meetings"]:
            meeting = data("meeting", "show", m["id"])
            shows_whole(shown("meeting", "show", m["id"]), [m["id"], *(c["by"] for c in meeting["changes"])])
        for t in full["texts"]:
            text = data("text", "show", t["id"])
            shows_whole(shown("text", "show", t["id"]), [
                t["id"], *(v["by"] for v in text["versions"]), *(s["by"] for s in text["signoffs"])])
        for pt in board["points"]:
            point = data("point", "show", pt["id"])
            shows_whole(shown("point", "show", pt["id"]), [pt["id"], *(x["party"] for x in point["positions"])])
    actors = data("actors")["actors"]
    assert len(actors) > 10
    shows_whole(shown("actors"), [a["id"] for a in actors])



def test_exchanges(parley):
    def data(member: str, *args: str) -> dict:
        return json.loads(parley(member, "exchange", *args, "--json").output)

    def shown(member: str, *args: str) -> str:
        return parley(member, "exchange", *args, columns=WIDTH).output

    exchanges = data("icrc/mediator", "list")["exchanges"]
    assert {"icrc-pow-exchange-demo", "icrc-remains-zaporizhzhia"} <= {x["id"] for x in exchanges}
    shows_whole(shown("icrc/mediator", "list"), [x["id"] for x in exchanges])
    for x in exchanges:
        full = data("icrc/mediator", "show", x["id"])
        plan = full["plan"]["stages"] if full["plan"] else []
        shows_whole(shown("icrc/mediator", "show", x["id"]), [
            x["id"], *(v["by"] for v in full["versions"]), *(s["by"] for s in full["signoffs"]),
            *(p["person"] for st in plan for p in st["persons"])])
    # The persons' exchange: its lists checked, the handover board, the reconciliation naming a man.
    pows = "icrc-pow-exchange-demo"
    entries = data("ua/registrar", "check", pows)["entries"]
    shows_whole(shown("ua/registrar", "check", pows), [
        *(e["person"]["id"] for e in entries), *(e["counterpart"]["id"] for e in entries if e["counterpart"])])
    board = data("ua/registrar", "board", pows)["persons"]
    shows_whole(shown("ua/registrar", "board", pows), [
        *(b["person"]["id"] for b in board), *(b["as_person"]["id"] for b in board if b["as_person"])])
    persons = [p for ln in data("ru/negotiator", "reconcile", pows)["lines"] for p in ln["persons"]]
    assert persons
    shows_whole(shown("ru/negotiator", "reconcile", pows), persons)
    # The remains exchange: every body's tag and the person identified.
    bodies = data("ru/registrar", "bodies", "icrc-remains-zaporizhzhia")["bodies"]
    shows_whole(shown("ru/registrar", "bodies", "icrc-remains-zaporizhzhia"),
                [b["tag"] for b in bodies] + [b["person"] for b in bodies if b["person"]])
