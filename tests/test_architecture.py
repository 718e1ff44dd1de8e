"""The import graph of ``src/parley``: no cycle between modules or between packages, every import in the
allowed direction (``docs/architecture.md``), and no ``__init__.py`` that imports anything.

Every module is parsed with ``ast``. Every import counts, wherever it is: at the top of a module, inside a
function (an import moved into a function to dodge a cycle is still an edge of the cycle), under
``TYPE_CHECKING``, relative ones, and ``__import__("parley…")`` / ``importlib.import_module("parley…")``
with a literal name.

The unit of the layering is a subpackage (``parley.records``) or a top-level module (``parley.auth``). The
layers, from the top down; a unit may import its own modules and any unit of a lower layer, never one of a
higher layer, and one of its own layer only where the layer says so:
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


@dataclass(frozen=True)
class Layer:
    name: str
    units: tuple[str, ...]
    # May the units of this layer import one another (still without a cycle)? Capabilities may not: what two
    # of them share moves down.
    siblings: bool = False


LAYERS = (
    # Delivery and composition: the command, the app and the demo are put together by the composition root.
    Layer("command line", ("parley.cli",)),
    Layer("app and demo", ("parley.app", "parley.demo", "parley.demo_witnesses")),
    Layer("composition root: every capability's kinds, routers, commands, demo", ("parley.assembly",)),
    Layer("pages", ("parley.web",)),
    Layer("log server: log, records and members over HTTP; publisher, replay, audit", ("parley.logserver",)),
    Layer("backups and restores of a deployment", ("parley.backup",)),
    Layer("a backup's personal data, sealed under the data subjects' keys", ("parley.sealed_rows",)),
    Layer("witness and mirror programs", ("parley.witness", "parley.mirror")),
    Layer("migrations", ("parley.migrations",)),
    Layer("every table, gathered", ("parley.models",)),
    # What needs a member now reads operations, the registry and exchanges, and no capability knows it.
    Layer("what needs a member now, across the capabilities", ("parley.inbox",)),
    # The press desk speaks of exchanges, operations and talks points, and its embargoes wait for an exchange or an
    # operation to be completed: it knows them, and no capability knows it.
    Layer("the press desk and the public side", ("parley.press",)),
    # Exchanges are built on the registry of persons (their lists name its persons, whose status follows the
    # handover) and on operations (the handover is an operation of transfer): they know those two, and no
    # capability knows them.
    Layer("capabilities built on the registry and operations", ("parley.exchanges",)),
    # Features: each capability knows the spine below it and nothing of another capability.
    Layer("capabilities", ("parley.operations", "parley.people", "parley.talks")),
    # What a request or a command runs on.
    Layer("writing as a member; who is calling (HTTP)", ("parley.submit", "parley.auth")),
    Layer("a running deployment", ("parley.runtime",)),
    # The spine: the one write path, then parties and the log library. They know no capability.
    Layer("records: format, kinds registry, read policy, pipeline", ("parley.records",)),
    Layer("parties, members, keys, credentials, sessions", ("parley.parties",)),
    Layer("the transparency log library and its store", ("parley.log",)),
    Layer("shared base", ("parley.db", "parley.settings", "parley.errors", "parley.serving", "parley.asgi",
                          "parley.spelling", "parley.client", "parley.apischema", "parley"), siblings=True),
)
__doc__ = (__doc__ or "") + "\n".join(f"    {i + 1:2}. {', '.join(layer.units)}: {layer.name}"
                                      for i, layer in enumerate(LAYERS))

RANK = {unit: i for i, layer in enumerate(LAYERS) for unit in layer.units}
SIBLINGS = {unit: layer.siblings for layer in LAYERS for unit in layer.units}


def modules() -> dict[str, tuple[Path, bool]]:
    """Every module under src/parley: dotted name -> (file, is a package's __init__)."""
    out = {}
    for path in sorted((SRC / "parley").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        package = parts[-1] == "__init__"
        if package:
            parts = parts[:-1]
        out[".".join(parts)] = (path, package)
    return out


MODULES = modules()


def resolve(name: str) -> str | None:
    """The module an imported dotted name lives in: the name itself, or the nearest enclosing module."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imported_names(module: str, path: Path, package: bool) -> Iterable[tuple[str, int]]:
    """(dotted name, line) of every ``parley`` name ``module`` imports, anywhere in it."""
    here = module if package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")
                base = base[: len(base) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            for alias in node.names:
                # ``from a import b``: the module a.b if there is one, else the name b of module a.
                yield (f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in MODULES else origin), node.lineno
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if called in ("__import__", "import_module"):
                yield node.args[0].value, node.lineno


def module_edges() -> dict[str, dict[str, int]]:
    """module -> {imported module: first line}, among parley's own modules."""
    edges: dict[str, dict[str, int]] = defaultdict(dict)
    for module, (path, package) in MODULES.items():
        for name, line in imported_names(module, path, package):
            if name == "parley" or name.startswith("parley."):
                target = resolve(name)
                if target and target != module:
                    edges[module].setdefault(target, line)
    return edges


EDGES = module_edges()


def unit(module: str) -> str:
    """The layering's unit of a module: its subpackage of parley, or the top-level module itself."""
    parts = module.split(".")
    return ".".join(parts[:2])


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def where(a: str, b: str) -> str:
    return f"{MODULES[a][0].relative_to(SRC.parent)}:{EDGES[a][b]}"


def test_the_scan_sees_the_code_base():
    # A scanner that saw nothing would pass everything: it must see the known edges.
    assert len(MODULES) > 80
    assert "parley.records.pipeline" in EDGES["parley.runtime"]
    assert "parley.log.note" in EDGES["parley.records.pipeline"]
    assert "parley.operations.kinds" in EDGES["parley.assembly"]  # imported inside a function


def test_no_module_imports_itself_round_a_cycle():
    graph = {m: set(targets) for m, targets in EDGES.items()}
    found = cycles(graph)
    described = ["  " + " <-> ".join(c) for c in found]
    assert not found, "import cycles between modules:\n" + "\n".join(described)


def test_no_cycle_between_packages():
    graph: dict[str, set[str]] = defaultdict(set)
    for m, targets in EDGES.items():
        for t in targets:
            if unit(m) != unit(t):
                graph[unit(m)].add(unit(t))
    found = cycles(graph)
    assert not found, "import cycles between packages: " + "; ".join(" <-> ".join(c) for c in found)


def test_every_package_has_its_layer():
    units = {unit(m) for m in MODULES}
    missing = sorted(units - RANK.keys())
    assert not missing, (f"place {missing} in LAYERS (tests/test_architecture.py) and in docs/architecture.md: "
                         "a new capability sits in the capabilities' layer")
    assert not sorted(RANK.keys() - units), "LAYERS names a package that no longer exists"


def test_every_import_goes_down_the_layers():
    wrong = []
    for m, targets in sorted(EDGES.items()):
        for t in sorted(targets):
            a, b = unit(m), unit(t)
            if a == b:
                continue
            if RANK[a] > RANK[b] or (RANK[a] == RANK[b] and not SIBLINGS[a]):
                wrong.append(f"  {where(m, t)}: {m} imports {t} ({LAYERS[RANK[a]].name} -> "
                             f"{LAYERS[RANK[b]].name})")
    assert not wrong, "imports against the allowed direction:\n" + "\n".join(wrong)


@pytest.mark.parametrize("module", sorted(m for m, (_, package) in MODULES.items() if package))
def test_a_package_imports_nothing_for_its_side_effects(module):
    """``__init__.py`` holds a docstring (and at most names of its own), never an import: importing
    ``parley.people.names`` must not load the registry, the ORM or another capability."""
    tree = ast.parse(MODULES[module][0].read_text())
    imports = [node.lineno for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
               and not (isinstance(node, ast.ImportFrom) and node.module == "__future__")]
    assert not imports, f"{module}/__init__.py imports at lines {imports}"


def test_the_spine_knows_no_capability():
    """Said by the layers already; said again by name, since it is the rule the next capabilities rely on."""
    capabilities = set(next(layer for layer in LAYERS if layer.name == "capabilities").units)
    spine = ("parley.records", "parley.log", "parley.parties", "parley.runtime", "parley.auth", "parley.submit")
    leaks = [where(m, t) for m, targets in EDGES.items() for t in targets
             if unit(m) in spine and unit(t) in capabilities]
    assert not leaks, f"the spine imports a capability: {leaks}"
