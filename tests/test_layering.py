"""lrsched's modules import one another without a cycle.

The import graph is read from the source with :mod:`ast`: every ``import`` and ``from ... import``
statement of every module, at module level, inside functions and under ``TYPE_CHECKING`` alike,
since each of them is an import that runs (or that a type checker follows) and a cycle through any
of them makes the modules' load order matter. Only edges between lrsched's own modules count; the
optional frameworks are outside the graph. The command-line drivers (``lrsched.cli``,
``lrsched.__main__``) sit above the core and import the facade by design: their edges are left
out, and the core must not import them.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "lrsched"
DRIVERS = ("cli", "__main__")


def _module_name(path: Path, root: Path) -> str:
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(root: Path) -> dict[str, dict[str, list[str]]]:
    """``{module: {imported module: ["file:line", ...]}}`` for the package in ``root``.

    ``import a.b`` is an edge to ``a.b``; ``from X import y`` is an edge to the module ``X.y`` when
    ``y`` is a module of the package, else to ``X``. Relative imports resolve against the importing
    module's package (a package's ``__init__`` is its own package). Imports of anything outside the
    package are dropped, and so is a module's import of itself.
    """
    files = {_module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    top = root.name

    def known(name: str) -> str | None:
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, dict[str, list[str]]] = {m: {} for m in files}
    for module, path in files.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        where = path.relative_to(root.parent).as_posix()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str | None] = []
            if isinstance(node, ast.Import):
                targets = [known(a.name) for a in node.names if a.name.split(".")[0] == top]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base_parts = package.split(".")
                    if node.level - 1 >= len(base_parts):
                        raise ValueError(f"{where}:{node.lineno}: relative import beyond the package {top}")
                    base = ".".join(base_parts[: len(base_parts) - (node.level - 1)])
                    base = f"{base}.{node.module}" if node.module else base
                else:
                    base = node.module or ""
                if base.split(".")[0] != top:
                    continue
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in files else known(base) for a in node.names]
            for target in dict.fromkeys(targets):
                if target is not None and target != module:
                    graph[module].setdefault(target, []).append(f"{where}:{node.lineno}")
    for edges in graph.values():
        for places in edges.values():
            places.sort(key=lambda place: int(place.rpartition(":")[2]))
    return graph


def strongly_connected(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """Tarjan's strongly connected components of more than one module, each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
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
    return sorted(found)


def describe(graph: dict[str, dict[str, list[str]]], components: list[list[str]]) -> str:
    lines = []
    for component in components:
        members = set(component)
        lines.append(f"cycle among {len(component)} modules: {', '.join(component)}")
        pairs = [(a, b) for a in component for b in graph[a] if a < b and a in graph.get(b, {})]
        lines += [f"  {a} <-> {b}" for a, b in sorted(pairs)]
        lines.append("  edges inside it:")
        for a in component:
            for b, places in sorted(graph[a].items()):
                if b in members:
                    lines.append(f"    {a} -> {b}  ({', '.join(places)})")
    return "\n".join(lines)


def _is_driver(module: str, top: str) -> bool:
    return any(module == f"{top}.{d}" or module.startswith(f"{top}.{d}.") for d in DRIVERS)


def core_graph(graph: dict[str, dict[str, list[str]]], top: str) -> dict[str, dict[str, list[str]]]:
    return {m: {} if _is_driver(m, top) else edges for m, edges in graph.items()}


# --------------------------------------------------------------------------------------------
# the builder itself, on a package whose graph is known
# --------------------------------------------------------------------------------------------
SYNTHETIC = {
    "__init__.py": """
        from .a import f
        VERSION = 1
        """,
    "a.py": """
        import os
        from . import b

        def f():
            return b
        """,
    "b.py": """
        def g():
            from .a import f
            return f
        """,
    "sub/__init__.py": """
        from typing import TYPE_CHECKING
        from .. import VERSION
        from ..b import g
        if TYPE_CHECKING:
            from .leaf import X
        """,
    "sub/leaf.py": """
        import numpy
        import pkg.b
        from pkg import sub
        X = 1
        """,
    "cli/__init__.py": """
        import pkg
        from pkg.a import f
        """,
    "__main__.py": """
        from .cli import main
        """,
}


@pytest.fixture
def synthetic(tmp_path):
    root = tmp_path / "pkg"
    for name, text in SYNTHETIC.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text).lstrip())
    return root


def test_builder_reads_every_kind_of_import(synthetic):
    graph = import_graph(synthetic)
    assert {m: sorted(e) for m, e in graph.items()} == {
        "pkg": ["pkg.a"],
        "pkg.a": ["pkg.b"],  # ``from . import b``: the submodule, not the package
        "pkg.b": ["pkg.a"],  # an import inside a function counts
        "pkg.sub": ["pkg", "pkg.b", "pkg.sub.leaf"],  # ``from .. import VERSION``: a name, so the package
        "pkg.sub.leaf": ["pkg.b", "pkg.sub"],  # absolute imports; numpy is outside
        "pkg.cli": ["pkg", "pkg.a"],
        "pkg.__main__": ["pkg.cli"],
    }
    assert graph["pkg.b"]["pkg.a"] == ["pkg/b.py:2"]
    assert graph["pkg.sub"]["pkg.sub.leaf"] == ["pkg/sub/__init__.py:5"]


def test_builder_finds_the_known_cycles(synthetic):
    graph = import_graph(synthetic)
    components = strongly_connected(core_graph(graph, "pkg"))
    assert components == [["pkg.a", "pkg.b"], ["pkg.sub", "pkg.sub.leaf"]]
    report = describe(graph, components)
    assert "pkg.a <-> pkg.b" in report and "pkg.sub <-> pkg.sub.leaf" in report
    assert "pkg.b -> pkg.a  (pkg/b.py:2)" in report
    assert "pkg.sub -> pkg.sub.leaf  (pkg/sub/__init__.py:5)" in report
    # the drivers' edges are left out of the graph the cycles are looked for in
    core = core_graph(graph, "pkg")
    assert core["pkg.cli"] == {} and core["pkg.__main__"] == {} and core["pkg.a"] == graph["pkg.a"]


def test_builder_without_the_function_level_import_has_no_cycle_there(synthetic):
    (synthetic / "b.py").write_text("def g():\n    return 1\n")
    components = strongly_connected(core_graph(import_graph(synthetic), "pkg"))
    assert components == [["pkg.sub", "pkg.sub.leaf"]]


# --------------------------------------------------------------------------------------------
# lrsched
# --------------------------------------------------------------------------------------------
def test_graph_covers_every_module_of_lrsched():
    graph = import_graph(PACKAGE)
    assert len(graph) == len(list(PACKAGE.rglob("*.py")))
    assert {"lrsched", "lrsched.compat", "lrsched.cli", "lrsched.__main__"} <= set(graph)
    assert "lrsched._node" in graph["lrsched"]  # the facade re-exports Schedule


def test_core_does_not_import_the_command_line():
    graph = import_graph(PACKAGE)
    wrong = [
        f"{m} -> {t}  ({', '.join(places)})"
        for m, edges in sorted(graph.items())
        if not _is_driver(m, "lrsched")
        for t, places in sorted(edges.items())
        if _is_driver(t, "lrsched")
    ]
    assert not wrong, "the core imports a command-line driver:\n" + "\n".join(wrong)


def test_no_import_cycle():
    graph = import_graph(PACKAGE)
    components = strongly_connected(core_graph(graph, "lrsched"))
    assert not components, "lrsched's imports form cycles:\n" + describe(graph, components)
