"""The modules of ``offcloud_api`` import each other without a cycle (issue 20).

The graph is read from the source with :mod:`ast`, not by importing: every ``import`` and
``from ... import`` anywhere in a module counts, at the top, inside a function or under
``if TYPE_CHECKING:``, and so does ``importlib.import_module("offcloud_api...")`` with a literal
name. ``from package import name`` is an edge to the submodule ``package.name`` when there is
one, else to the package itself (its ``__init__``). Importing a submodule also runs its
package's ``__init__``; that implicit step is not an edge (it is no choice of the importer).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

import offcloud_api

ROOT = Path(offcloud_api.__file__).parent
PACKAGE = "offcloud_api"

#: Cycles found in modules other than those this test was written with, left for their owners
#: (each a sorted tuple of module names). The test fails when one of them is gone too, so that
#: this list only ever shrinks to empty.
KNOWN_CYCLES: set[tuple[str, ...]] = set()


def module_files(root: Path = ROOT, package: str = PACKAGE) -> dict[str, Path]:
    """Every module under ``root`` by its dotted name; a package by its own name."""
    found: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = [package, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imported_modules(name: str, path: Path, files: Mapping[str, Path]) -> set[str]:
    """The modules of ``files`` that ``path`` (the module ``name``) imports, in any way:
    absolute, relative, in a function, under TYPE_CHECKING, through import_module("...")."""
    here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                names.add(submodule if submodule in files else source)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value)
    return {imported for imported in names if imported in files}


def import_graph(files: Mapping[str, Path]) -> dict[str, set[str]]:
    """Module -> the modules of ``files`` it imports."""
    return {name: imported_modules(name, path, files) for name, path in files.items()}


def cycles(graph: Mapping[str, Iterable[str]]) -> set[tuple[str, ...]]:
    """The strongly connected groups of more than one module, and modules importing
    themselves, each as a sorted tuple (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[tuple[str, ...]] = set()
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph.get(target, ())))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1 or node in graph.get(node, ()):
                        found.add(tuple(sorted(group)))
    return found


def test_the_library_has_no_import_cycle_but_the_known_ones() -> None:
    graph = import_graph(module_files())

    found = cycles(graph)

    assert found - KNOWN_CYCLES == set(), f"new import cycles: {sorted(found - KNOWN_CYCLES)}"
    assert KNOWN_CYCLES - found == set(), (
        f"these cycles are gone; remove them from KNOWN_CYCLES: {sorted(KNOWN_CYCLES - found)}"
    )


def test_the_graph_sees_every_kind_of_import() -> None:
    graph = import_graph(module_files())

    # at the top, relative
    assert "offcloud_api.exceptions" in graph["offcloud_api.models"]
    # relative from a subpackage, with two dots
    assert "offcloud_api.client" in graph["offcloud_api.cli.context"]
    # "from . import module" is the module, not the package
    assert "offcloud_api.cli.context" in graph["offcloud_api.cli.login"]
    assert "offcloud_api.cli" not in graph["offcloud_api.cli.login"]
    # under TYPE_CHECKING
    assert "offcloud_api.cli.context" in graph["offcloud_api.cli.cache"]
    # inside a function
    assert "offcloud_api.install.installer" in graph["offcloud_api.cli.pyload"]
    # importlib.import_module("...")
    assert "offcloud_api.simulator" in graph["offcloud_api.cli.simulate"]
    # a name from the package's __init__ is the package
    assert "offcloud_api" in graph["offcloud_api.cli.app"]


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, set()),
        ({"a": {"b"}, "b": {"a"}}, {("a", "b")}),
        ({"a": {"a"}}, {("a",)}),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, {("a", "b", "c")}),
        ({"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"c"}}, {("a", "b"), ("c", "d")}),
    ],
)
def test_cycles_are_found(graph, expected) -> None:
    assert cycles(graph) == expected


def test_a_type_checking_import_back_is_a_cycle(tmp_path: Path) -> None:
    (tmp_path / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "errors.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .models import Job\n",
        encoding="utf-8",
    )
    (tmp_path / "models.py").write_text("from .errors import Bad\n", encoding="utf-8")

    graph = import_graph(module_files(tmp_path, "pkg"))

    assert cycles(graph) == {("pkg.errors", "pkg.models")}
