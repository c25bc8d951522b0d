"""plugins/base/offcloud_bootstrap.py, run as pyLoad runs it: from a user folder, in a fresh Python.

Every plugin and addon imports it first (tests/test_pyload_compat.py checks they do); it puts the
library copy the installer made on ``sys.path`` and says, in UNUSABLE, why the plugins cannot work.
pyLoad serving it to ``from ..base.offcloud_bootstrap import ...`` is checked in
tests/test_plugin_metadata.py and, in a real pyLoad on both ends of the range, by tests/e2e.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from offcloud_api.install import installer

BOOTSTRAP = Path(__file__).resolve().parents[1] / "plugins" / "base" / "offcloud_bootstrap.py"

#: Runs the installed bootstrap file; prints what it decided and where offcloud_api came from.
PROBE = """
import json, runpy, sys
found = runpy.run_path(sys.argv[1])
try:
    import offcloud_api
    where = offcloud_api.__file__
except ImportError:
    where = None
print(json.dumps({"unusable": found["UNUSABLE"], "path0": sys.path[0], "library": where}))
"""


def _run(bootstrap: Path, *flags: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, *flags, "-c", PROBE, str(bootstrap)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=bootstrap.parent,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_the_library_copy_beside_the_plugins_comes_first(tmp_path: Path) -> None:
    installer.install(tmp_path)
    plugins = tmp_path / "plugins"
    installed = plugins / "base" / "offcloud_bootstrap.py"
    assert installed.read_bytes() == BOOTSTRAP.read_bytes()
    seen = _run(installed)
    assert seen["path0"] == str(plugins / "offcloud_lib")
    assert seen["library"] == str(plugins / "offcloud_lib" / "offcloud_api" / "__init__.py")
    assert seen["unusable"] is None  # this test's pyLoad is in the supported range


def test_without_the_library_the_plugins_say_how_to_install_it(tmp_path: Path) -> None:
    lone = tmp_path / "plugins" / "base" / "offcloud_bootstrap.py"
    lone.parent.mkdir(parents=True)
    shutil.copyfile(BOOTSTRAP, lone)
    # -S: without site-packages this Python has no offcloud_api, like pyLoad's in a Docker image
    seen = _run(lone, "-S")
    assert seen["library"] is None
    assert isinstance(seen["unusable"], str)
    assert seen["unusable"].startswith("offcloud_api cannot be imported (No module named")
    assert "run offcloud pyload install --userdir <this pyLoad's folder>" in seen["unusable"]
