"""A plain (non-editable) install carries everything users need: plugin files, scenario, types."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]


def test_the_wheel_ships_exactly_the_library_and_the_plugin_files(tmp_path: Path) -> None:
    # Built from a copy: setuptools builds in the source tree's build/, and a build/lib left by an
    # earlier run would ship modules that no longer exist (and the checkout stays untouched).
    source = tmp_path / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv*", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".demo"
        ),
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    wheel = next(tmp_path.glob("offcloud_pyload-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {n for n in names if ".dist-info/" not in n}
    # Exactly this: the library, its data, and the plugin files from the top-level plugins/ and
    # hooks/ (the design card's layout) as data for `offcloud pyload install`.
    expected = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "offcloud_api").rglob("*")
        if p.is_file()
        and "__pycache__" not in p.parts
        and (p.suffix == ".py" or p.name == "py.typed" or p.parent.name == "simulator")
        and p.suffix != ".pyc"
    }
    expected |= {
        f"offcloud_api/_plugin_files/{p.relative_to(ROOT).as_posix()}"
        for top in ("plugins", "hooks")
        for p in (ROOT / top).rglob("*.py")
    }
    assert shipped == expected
    assert "offcloud_api/_plugin_files/plugins/accounts/OffcloudCom.py" in shipped
    assert "offcloud_api/_plugin_files/hooks/OffcloudComCleanup.py" in shipped
    assert "offcloud_api/simulator/default_scenario.json" in shipped
    assert not [n for n in names if n.startswith(("tests/", "bench/", "plugins/", "hooks/"))]
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "offcloud = offcloud_api.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
