"""A plain (non-editable) install carries everything users need: plugin files, scenario, types."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]


def test_the_wheel_ships_the_plugins_the_scenario_and_py_typed(tmp_path: Path) -> None:
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
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    wheel = next(tmp_path.glob("offcloud_pyload-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "offcloud_api/py.typed",
        "offcloud_api/pyload/plugins/accounts/OffcloudCom.py",
        "offcloud_api/pyload/plugins/downloaders/OffcloudCom.py",
        "offcloud_api/simulator/default_scenario.json",
        "offcloud_api/simulator/SCENARIO.md",
    ):
        assert expected in names, expected
    assert not [n for n in names if n.startswith("tests/")]
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "offcloud = offcloud_api.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
