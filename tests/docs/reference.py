"""What the docs tests compare: the ``parley`` commands (walked from the Typer apps), the routes of the
app and of a witness, and the code spans of README.md and docs/*.md where the docs name them."""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@dataclass(frozen=True)
class Span:
    """A piece of code in the docs: an inline code span, or one line of a fenced block."""

    file: str
    line: int
    text: str


@cache
def code_spans() -> tuple[Span, ...]:
    out: list[Span] = []
    for path in doc_files():
        text = path.read_text(encoding="utf-8")
        fenced = False
        for n, line in enumerate(text.splitlines(), 1):
            if line.lstrip().startswith("```"):
                fenced = not fenced
                continue
            if fenced:
                out.append(Span(path.name, n, line))
                continue
            # Inline spans: `x`, ``x`` (a table cell escapes | as \|).
            for m in re.finditer(r"(`+)(.+?)\1", line):
                out.append(Span(path.name, n, m.group(2).strip().replace("\\|", "|")))
    return tuple(out)


# -- the command line ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Command:
    path: str  # "ops propose"
    command: Any  # the Click/Typer command

    @property
    def options(self) -> set[str]:
        names: set[str] = {"--help"}
        for p in self.command.params:
            if p.param_type_name == "option":
                names.update(o for o in (*p.opts, *p.secondary_opts) if o.startswith("--"))
        return names

    def json_file_params(self) -> list[str]:
        """Parameters that take a JSON file: a path whose help says JSON, or text that may be ``@file``."""
        hints = typing.get_type_hints(self.command.callback)
        out = []
        for p in self.command.params:
            helptext = p.help or ""
            hint = hints.get(p.name)
            is_path = hint is Path or (typing.get_origin(hint) in (typing.Union, types.UnionType)
                                       and Path in typing.get_args(hint))
            if ("JSON" in helptext and is_path) or "@file" in helptext:
                out.append(p.opts[0] if p.param_type_name == "option" else p.name.upper())
        return out


@cache
def cli_root() -> Any:
    """The whole ``parley`` command, its sub-apps registered as ``parley.cli.main`` registers them."""
    from typer.main import get_command

    from parley import cli

    register = getattr(cli, "_register_commands", None)
    if register is not None:
        register()
    return get_command(cli.app)


def commands() -> list[Command]:
    def walk(cmd: Any, path: list[str]) -> Iterator[Command]:
        subs = getattr(cmd, "commands", None)
        if subs is None:
            yield Command(" ".join(path), cmd)
            return
        for name, sub in subs.items():
            if not getattr(sub, "hidden", False):
                yield from walk(sub, [*path, name])

    return sorted(walk(cli_root(), []), key=lambda c: c.path)


def groups() -> set[str]:
    return {name for name, cmd in cli_root().commands.items() if hasattr(cmd, "commands")}


# -- routes --------------------------------------------------------------------------------------

def _flat(routes: list[Any]) -> Iterator[Any]:
    """The app's routes, routers included by ``include_router`` resolved to their routes (FastAPI keeps them
    behind one entry per router in newer releases)."""
    for r in routes:
        contexts = getattr(r, "effective_route_contexts", None)
        if contexts is not None:
            yield from contexts()
        else:
            yield r


def route_pairs(app: Any) -> set[tuple[str, str]]:
    out = set()
    for r in _flat(app.routes):
        for method in getattr(r, "methods", None) or ():
            if method in METHODS:
                out.add((method, r.path))
    return out


@cache
def app_routes() -> frozenset[tuple[str, str]]:
    import tempfile

    from parley.app import create_app
    from parley.settings import Settings

    # Building the app opens nothing: the runtime (database, log key) is opened by its lifespan, not run here.
    with tempfile.TemporaryDirectory() as d:
        settings = Settings(database_url=f"sqlite:///{d}/parley.db", data_dir=Path(d), secret_key="docs-" + "k" * 40,
                            log_origin="docs.parley.local/log", cookie_secure=False)
        return frozenset(route_pairs(create_app(settings)))


@cache
def witness_routes() -> frozenset[tuple[str, str]]:
    import tempfile

    from parley.witness.server import create_witness_app
    from parley.witness.store import WitnessStore

    with tempfile.TemporaryDirectory() as d:
        store = WitnessStore(Path(d), "witness.example.org")
        try:
            return frozenset(route_pairs(create_witness_app(store)))
        finally:
            store.close()


def documented_routes(spans: Iterable[Span] | None = None) -> dict[tuple[str, str], Span]:
    """``METHOD /path`` named in a code span (a query string after the path is left out)."""
    out: dict[tuple[str, str], Span] = {}
    for span in code_spans() if spans is None else spans:
        for m in re.finditer(rf"\b({'|'.join(METHODS)}) (/[^\s`?]*)", span.text):
            out.setdefault((m.group(1), m.group(2)), span)
    return out
