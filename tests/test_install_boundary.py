"""What users run (offcloud_api.install) never imports the test and demo harness (issue 20).

The harness may import from install/, never the other way round.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import offcloud_api

INSTALL = Path(offcloud_api.__file__).parent / "install"
HARNESS = "offcloud_api.harness"


def _imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, relative imports resolved against its package."""
    package = ["offcloud_api", "install"]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def test_the_resolver_sees_relative_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from ..harness import runner\nfrom . import webapi\nimport json\n")
    assert _imported_modules(sample) >= {
        "offcloud_api.harness.runner",
        "offcloud_api.install.webapi",
        "json",
    }


def test_no_install_module_imports_the_harness() -> None:
    modules = sorted(INSTALL.glob("*.py"))
    assert {m.name for m in modules} >= {"installer.py", "login.py", "webapi.py"}
    for module in modules:
        wrong = [m for m in _imported_modules(module) if m.split(".")[:2] == HARNESS.split(".")]
        assert not wrong, f"{module.name} imports {wrong}"


def test_importing_install_loads_no_harness_module() -> None:
    names = ", ".join(f"offcloud_api.install.{p.stem}" for p in sorted(INSTALL.glob("[!_]*.py")))
    code = (
        f"import sys, {names}\nprint(sorted(m for m in sys.modules if m.startswith({HARNESS!r})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"
