"""The docs name every command and every route, and name nothing that does not exist.

A command is documented when a code span of README.md or docs/*.md holds ``parley <command>``
(``docs/cli.md`` is the reference); a route when one holds ``METHOD /path`` with the path exactly as the
app declares it (``docs/api.md``). The other way round, every ``parley …`` a code span shows must be a
command with those options, and every ``METHOD /path`` a route of the app or of a witness.
"""

from __future__ import annotations

import re

from tests.docs.reference import (METHODS, Span, app_routes, code_spans, commands, documented_routes, groups,
                                  witness_routes)

# Commands the docs have shown for a long time; the walk finding fewer means it walked the wrong app.
KNOWN = {"init", "serve", "demo", "record submit", "log verify", "ops propose", "person register", "witness serve"}


def test_the_walk_finds_the_whole_command_line():
    found = {c.path for c in commands()}
    assert found >= KNOWN and len(found) >= 40, sorted(found)
    assert {"ops", "zone", "incident", "channel", "person", "list", "inquiry", "log", "witness"} <= groups()


def undocumented_commands(spans: list[Span]) -> list[str]:
    return [c.path for c in commands()
            if not any(re.search(rf"(?<![\w.-])parley {re.escape(c.path)}(?![\w-])", s.text) for s in spans)]


def test_every_command_is_documented():
    missing = undocumented_commands(list(code_spans()))
    assert not missing, f"commands named nowhere in README.md or docs/*.md (as `parley …`): {missing}"


def _invocations(text: str):
    """(words after ``parley``, the rest up to a shell separator) for each ``parley …`` in ``text``: up to three
    words, for a command of a group's sub-group (``parley talks meeting add``)."""
    for m in re.finditer(r"(?<![\w.-])parley((?: [a-z][\w-]*){1,3})(.*?)(?=&&|;|\||(?<![\w.-])parley |$)", text):
        yield m.group(1).split(), m.group(2)


def wrong_commands(spans: list[Span]) -> list[str]:
    """Each ``parley …`` in ``spans`` that names no command, or an option its command does not have."""
    by_path = {c.path: c for c in commands()}
    top = {p.split()[0] for p in by_path}
    subgroups = {p.rsplit(" ", 1)[0] for p in by_path if p.count(" ") == 2}  # "talks meeting"
    wrong = []
    for span in spans:
        for words, rest in _invocations(span.text):
            where = f"{span.file}:{span.line}: {span.text}"
            if words[0] not in top:
                wrong.append(f"{where}: no command {words[0]!r}")
                continue
            if words[0] in groups() and len(words) == 1:
                continue  # the group itself, e.g. "parley ops | zone"
            path = " ".join(words[:2]) if words[0] in groups() else words[0]
            if path in subgroups:
                if len(words) == 2:
                    continue  # the sub-group itself, e.g. "parley talks meeting"
                path = " ".join(words[:3])
            if path not in by_path:
                wrong.append(f"{where}: no command {path!r}")
                continue
            tail = rest if path == " ".join(words) else " ".join(words[len(path.split()):]) + rest
            for opt in re.findall(r"(?<![\w-])(--[a-z][\w-]*)", tail):
                if opt not in by_path[path].options:
                    wrong.append(f"{where}: {path!r} has no option {opt}")
    return wrong


def test_the_docs_name_only_commands_and_options_that_exist():
    wrong = wrong_commands(list(code_spans()))
    assert not wrong, "\n".join(wrong)


def test_the_checks_catch_what_they_are_for():
    fake = [Span("fake.md", 1, t) for t in (
        "parley ops propse PLAN.json", "parley opps list", "parley ops propose PLAN.json --ident X",
        ".venv/bin/parley person list -q X", "parley decide A B same --note N && parley review --treshold 0.5",
        "parley talks meeting add P T --kind round", "parley talks meeting ad P",
        "parley talks text add P T --bodyfile F")]
    assert wrong_commands(fake) == [
        "fake.md:1: parley ops propse PLAN.json: no command 'ops propse'",
        "fake.md:1: parley opps list: no command 'opps'",
        "fake.md:1: parley ops propose PLAN.json --ident X: 'ops propose' has no option --ident",
        "fake.md:1: parley decide A B same --note N && parley review --treshold 0.5: 'review' has no option --treshold",
        "fake.md:1: parley talks meeting ad P: no command 'talks meeting ad'",
        "fake.md:1: parley talks text add P T --bodyfile F: 'talks text add' has no option --bodyfile"]
    assert "person list" not in undocumented_commands(fake) and "ops propose" in undocumented_commands(fake[:2])
    assert undocumented_commands([]) == [c.path for c in commands()]
    assert set(documented_routes([Span("f", 1, "GET /api/persons/{pid}?x=1 and `POST /api/zones`")])) == {
        ("GET", "/api/persons/{pid}"), ("POST", "/api/zones")}


def test_every_route_is_documented():
    documented = set(documented_routes())
    missing = sorted(app_routes() - documented)
    assert not missing, f"routes named nowhere in README.md or docs/*.md (as `METHOD /path`): {missing}"
    missing = sorted(witness_routes() - documented)
    assert not missing, f"witness routes not documented: {missing}"


def test_the_docs_name_only_routes_that_exist():
    real = app_routes() | witness_routes()
    wrong = [f"{span.file}:{span.line}: {method} {path}" for (method, path), span in documented_routes().items()
             if (method, path) not in real]
    assert not wrong, "routes the docs name but nothing serves:\n" + "\n".join(wrong)


def test_the_route_walk_sees_included_routers():
    routes = app_routes()
    assert {("GET", "/api/operations"), ("POST", "/api/persons"), ("GET", "/log/checkpoint"),
            ("GET", "/operations"), ("POST", "/family")} <= routes and len(routes) > 100
    assert all(m in METHODS for m, _ in routes)
