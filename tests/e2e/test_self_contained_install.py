"""The install a Docker user gets: pyLoad's Python has no offcloud_api, only its user folder does.

In the linuxserver.io image only the mounted ``/config`` (pyLoad's user folder) survives an update
of the image; pyLoad's own Python is new each time. So the plugins and a private copy of the
library go into the user folder, installed by the ``offcloud`` command of another environment
(the host's), and must keep working when pyLoad's environment is replaced by a fresh one.

Here pyLoad runs from a virtual environment made for the test with pyload-ng alone; the plugins are
installed by this environment's CLI (what ``OffcloudPyloadStack`` runs); the demo's items must all
arrive with the right sha256; then that environment is deleted and pyLoad starts from a new one
on the same user folder, nothing reinstalled, and the items arrive again.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyload")

from offcloud_api.harness.demo import SIMULATOR_ITEMS, expected_files
from offcloud_api.harness.runner import FINAL_STATUSES, LinkStatus
from offcloud_api.harness.stack import OffcloudPyloadStack
from offcloud_api.install.installer import LIBRARY_FOLDER, LOADED
from offcloud_api.pyload.compat import NEWEST_TESTED
from offcloud_api.simulator import file_sha256

pytestmark = pytest.mark.e2e


def _pyload_only_venv(path: Path) -> Path:
    """A fresh virtual environment with pyload-ng and nothing of ours; its Python."""
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, timeout=120)
    python = path / "bin" / "python"
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", f"pyload-ng=={NEWEST_TESTED}"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lacks = subprocess.run(
        [str(python), "-c", "import offcloud_api"], capture_output=True, timeout=60, check=False
    )
    assert lacks.returncode != 0, "the pyLoad environment must not have offcloud_api"
    return python


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OffcloudPyloadStack]:
    root = tmp_path_factory.mktemp("self-contained")
    python = _pyload_only_venv(root / "image-1")
    with OffcloudPyloadStack(root / "home", pyload_python=python) as running:
        yield running


def _add_demo_items(stack: OffcloudPyloadStack, round_name: str) -> dict[str, dict[str, str]]:
    expected: dict[str, dict[str, str]] = {}
    for label, url, _needle, package in SIMULATOR_ITEMS:
        name = f"{round_name}-{package}"
        expected[label] = expected_files(stack.simulator, url)
        stack.process.add_package(name, [url])
    return expected


def _check_round(stack: OffcloudPyloadStack, expected: dict[str, dict[str, str]]) -> None:
    wanted = {name: sha for files in expected.values() for name, sha in files.items()}

    def arrived(pl: Any) -> bool:
        finals = {f["name"] for f in pl.files() if f["status"] in FINAL_STATUSES}
        return set(wanted) <= finals

    stack.process.wait_until(arrived, timeout=300)
    done = {f["name"]: f for f in stack.process.files() if f["name"] in wanted}
    for name, sha in wanted.items():
        link = done[name]
        assert link["status"] == LinkStatus.FINISHED, link
        path = stack.process.storagedir / link["package_folder"] / name
        assert file_sha256(path) == sha, name


def _forget_first_round(stack: OffcloudPyloadStack) -> None:
    """The first round's links and files, out of the way (same names come again)."""
    stack.process.delete_packages([p["pid"] for p in stack.process.queue()])
    shutil.rmtree(stack.process.storagedir)
    stack.process.storagedir.mkdir()


def test_pyload_without_offcloud_api_runs_the_plugins_from_the_library_copy(
    stack: OffcloudPyloadStack,
) -> None:
    copy = stack.process.userdir / "plugins" / LIBRARY_FOLDER
    assert (copy / "offcloud_api" / "client.py").is_file()
    expected = _add_demo_items(stack, "first")
    _check_round(stack, expected)
    loaded = json.loads((stack.process.userdir / "plugins" / LOADED).read_text(encoding="utf-8"))
    # pyLoad imported the copy in its user folder, not some other offcloud_api.
    assert Path(loaded["library"]) == (copy / "offcloud_api").resolve()


def test_a_fresh_pyload_environment_keeps_working_on_the_same_user_folder(
    stack: OffcloudPyloadStack, tmp_path: Path
) -> None:
    installed = {
        p.relative_to(stack.process.userdir / "plugins")
        for p in (stack.process.userdir / "plugins").rglob("*.py")
    }
    stack.process.stop()
    old_env = stack.process.python.parent.parent
    shutil.rmtree(old_env)  # the old image is gone
    stack.process.python = _pyload_only_venv(tmp_path / "image-2")
    stack.process.start()
    stack.process.wait_for_plugin(
        "https://example-hoster.test/file/plain.bin", "OffcloudCom", timeout=60
    )
    # Nothing was installed again: the same files, loaded from the user folder.
    assert installed == {
        p.relative_to(stack.process.userdir / "plugins")
        for p in (stack.process.userdir / "plugins").rglob("*.py")
    }
    _forget_first_round(stack)
    expected = _add_demo_items(stack, "second")
    _check_round(stack, expected)
    loaded = json.loads((stack.process.userdir / "plugins" / LOADED).read_text(encoding="utf-8"))
    assert str(tmp_path / "image-2") not in loaded["library"]
    assert loaded["pid"] == stack.process.pid
