"""The coverage.py plugin that makes pyLoad's exec'd plugin files countable
(tests/pyload_coverage/offcloud_pyload_coverage.py, loaded in pyLoad by ./run test's gate)."""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

HOOK_DIR = Path(__file__).parent / "pyload_coverage"


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(HOOK_DIR))
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))  # whatever a test adds goes
    return importlib.import_module("offcloud_pyload_coverage")


def test_a_source_text_is_compiled_under_the_file_name_of_its_globals(hook: ModuleType) -> None:
    space = {"__file__": "/pyload/userdir/plugins/downloaders/OffcloudCom.py"}
    hook.exec_under_file_name("def found():\n    return 42\n", space)
    assert space["found"].__code__.co_filename == space["__file__"]
    assert space["found"]() == 42


def test_without_a_file_name_the_text_runs_as_exec_runs_it(hook: ModuleType) -> None:
    space: dict[str, object] = {}
    hook.exec_under_file_name("def found():\n    return 1\n", space)
    assert space["found"].__code__.co_filename == "<string>"  # type: ignore[attr-defined]


def test_the_text_gets_no_future_flags_of_the_hook_module(hook: ModuleType) -> None:
    # The hook module is written with `from __future__ import annotations`; pyLoad's exec is not.
    space = {"__file__": "/p/Name.py"}
    hook.exec_under_file_name("def typed(x: int) -> None:\n    pass\n", space)
    assert space["typed"].__annotations__["x"] is int


def test_the_module_named_gets_the_exec_once_imported(
    hook: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "fake_plugin_manager.py").write_text(
        "def load(text, space):\n    exec(text, space)\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "fake_plugin_manager", raising=False)
    hook.coverage_init(None, {"module": "fake_plugin_manager"})
    hook.coverage_init(None, {"module": "fake_plugin_manager"})  # a second start adds nothing
    assert sum(isinstance(f, hook.PatchOnImport) for f in sys.meta_path) == 1

    loaded = importlib.import_module("fake_plugin_manager")
    space = {"__file__": "/p/OffcloudComHook.py"}
    loaded.load("def started():\n    pass\n", space)

    assert space["started"].__code__.co_filename == "/p/OffcloudComHook.py"
    assert not any(isinstance(f, hook.PatchOnImport) for f in sys.meta_path)


def test_pyloads_own_loader_runs_a_plugin_file_under_its_path(tmp_path: Path) -> None:
    plugin = tmp_path / "userdir" / "plugins" / "downloaders" / "OffcloudCom.py"
    plugin.parent.mkdir(parents=True)
    plugin.write_text("def process():\n    return 'done'\n", encoding="utf-8")
    script = textwrap.dedent(
        f"""
        import sys, types
        import offcloud_pyload_coverage as hook
        hook.coverage_init(None, {{}})
        from pyload.core.managers import plugin_manager
        Loader = plugin_manager.ImportRedirector.CustomModuleLoader
        module = types.ModuleType("pyload.plugins.downloaders.OffcloudCom")
        module.__file__ = {str(plugin)!r}
        Loader({str(plugin)!r}, module.__name__, "pyload.plugins.downloaders").exec_module(module)
        print(module.process(), module.process.__code__.co_filename)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
        env={"PYTHONPATH": str(HOOK_DIR), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["done", str(plugin)]
