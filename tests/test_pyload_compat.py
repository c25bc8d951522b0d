"""The supported pyLoad range (offcloud_api.pyload.compat) and the plugins' refusal outside it.

``./run test`` runs the multi-hoster end-to-end tests on both ends of the range; these tests hold
the decision itself, the message a user sees, that every plugin file acts on it, and that ./run
uses the same versions as compat.py.
"""

from __future__ import annotations

import ast
import logging
import re
import subprocess
from pathlib import Path

import pytest
from packaging.version import Version

from offcloud_api.pyload import compat
from offcloud_api.pyload.compat import NEWEST_TESTED, OLDEST_SUPPORTED, unsupported_pyload

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_FILES = sorted([*ROOT.glob("plugins/*/*.py"), *ROOT.glob("hooks/*.py")])
PLUGIN_FILES = [
    path for path in PLUGIN_FILES if not path.name.startswith("_") and path.parent.name != "base"
]
#: What every plugin file imports first; it decides UNUSABLE once for all of them.
BOOTSTRAP = ROOT / "plugins" / "base" / "offcloud_bootstrap.py"
#: What a plugin may do with the reason: fail the link or the login, or log it (an addon).
REFUSALS = {"fail", "fail_login", "log_error", "offline", "error"}


def test_the_range_is_ordered() -> None:
    assert Version(OLDEST_SUPPORTED) <= Version(NEWEST_TESTED)


@pytest.mark.parametrize("installed", ["0.5.0b3.dev99", "0.5.0b3.dev13", "0.5.0a9.dev806"])
def test_an_older_pyload_is_refused(installed: str) -> None:
    assert unsupported_pyload(installed) is not None


def test_the_oldest_supported_and_the_tested_are_accepted() -> None:
    assert unsupported_pyload(OLDEST_SUPPORTED) is None
    assert unsupported_pyload(NEWEST_TESTED) is None


def test_a_newer_pyload_is_accepted_with_a_debug_note(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger=compat.__name__):
        assert unsupported_pyload("0.5.0b3.dev200") is None
        assert unsupported_pyload("0.5.0") is None
    assert "newer than the newest tested" in caplog.text


def test_an_unknown_pyload_is_not_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compat, "pyload_version", lambda: None)
    assert unsupported_pyload() is None


@pytest.mark.parametrize("installed", ["", "not a version", "0.5.0-custom build"])
def test_an_unparsable_version_is_not_refused(installed: str) -> None:
    assert unsupported_pyload(installed) is None


def test_without_an_argument_the_installed_pyload_ng_is_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.metadata  # noqa: PLC0415

    real = importlib.metadata.version

    def fake(name: str) -> str:
        return "0.5.0b3.dev97" if name == "pyload-ng" else real(name)

    monkeypatch.setattr(importlib.metadata, "version", fake)
    assert compat.pyload_version() == "0.5.0b3.dev97"
    assert unsupported_pyload() is not None
    monkeypatch.setattr(importlib.metadata, "version", lambda name: NEWEST_TESTED)
    assert unsupported_pyload() is None


def test_the_refusal_names_the_range_and_how_to_update() -> None:
    message = unsupported_pyload("0.5.0b3.dev97")
    assert message is not None
    assert "\n" not in message  # one line in pyLoad's log and account list
    assert message.startswith("pyLoad 0.5.0b3.dev97 is older than")
    assert f"pyload-ng {OLDEST_SUPPORTED} or newer" in message
    assert f"tested up to {NEWEST_TESTED}" in message
    assert f"pip install --upgrade --pre 'pyload-ng>={OLDEST_SUPPORTED}'" in message
    assert "Docker image" in message


def test_the_update_command_in_the_message_installs_a_supported_build() -> None:
    from packaging.specifiers import SpecifierSet  # noqa: PLC0415

    message = unsupported_pyload("0.5.0b3.dev1")
    assert message is not None
    found = re.search(r"'pyload-ng(>=[^']+)'", message)
    assert found is not None
    wanted = SpecifierSet(found.group(1), prereleases=True)
    assert OLDEST_SUPPORTED in wanted
    assert NEWEST_TESTED in wanted
    assert "0.5.0b3.dev99" not in wanted


# ------------------------------------------------------------------------------------------------
# Every file pyLoad loads consults the range and refuses with the reason.


def _calls_unsupported(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "unsupported_pyload"
    )


def _refuses_with_reason(test: ast.If) -> bool:
    """``if UNUSABLE:`` whose body hands UNUSABLE to self.fail / fail_login / log_error."""
    if not (isinstance(test.test, ast.Name) and test.test.id == "UNUSABLE"):
        return False
    for node in ast.walk(ast.Module(body=test.body, type_ignores=[])):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in REFUSALS
            and any(isinstance(arg, ast.Name) and arg.id == "UNUSABLE" for arg in node.args)
        ):
            return True
    return False


def test_the_plugin_files_are_found() -> None:
    folders = {path.parent.name for path in PLUGIN_FILES}
    assert {"accounts", "downloaders", "decrypters", "hooks"} <= folders


def test_the_bootstrap_decides_with_the_range_when_it_loads() -> None:
    tree = ast.parse(BOOTSTRAP.read_text(encoding="utf-8"), filename=str(BOOTSTRAP))
    imported = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and (node.module or "").endswith("compat")
        and any(alias.name == "unsupported_pyload" for alias in node.names)
    ]
    assert imported, "imports unsupported_pyload from offcloud_api.pyload.compat"
    decided = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(isinstance(target, ast.Name) and target.id == "UNUSABLE" for target in node.targets)
        and _calls_unsupported(node.value)
    ]
    assert decided, "sets UNUSABLE = unsupported_pyload() when the module loads"


@pytest.mark.parametrize("path", PLUGIN_FILES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_plugin_file_refuses_an_unsupported_pyload(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    imported = [
        node
        for node in tree.body  # at the top: before anything else of ours is imported
        if isinstance(node, ast.ImportFrom)
        and node.level == 2
        and node.module == "base.offcloud_bootstrap"
        and any(alias.name == "UNUSABLE" for alias in node.names)
    ]
    assert imported, "imports UNUSABLE from ..base.offcloud_bootstrap at the top"
    refusing = [
        function.name
        for function in ast.walk(tree)
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
        for node in ast.walk(function)
        if isinstance(node, ast.If) and _refuses_with_reason(node)
    ]
    assert refusing, "some method does `if UNUSABLE: self.fail(UNUSABLE)` (or fail_login/log_error)"


def test_the_account_refuses_at_login() -> None:
    """The account list is where a user looks first: the login fails with the reason."""
    tree = ast.parse((ROOT / "plugins" / "accounts" / "OffcloudCom.py").read_text(encoding="utf-8"))
    signin = next(
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name == "signin"
    )
    first = signin.body[0]
    assert isinstance(first, ast.If)
    assert _refuses_with_reason(first)


# ------------------------------------------------------------------------------------------------
# ./run uses the same versions.


def test_run_pins_the_newest_tested() -> None:
    text = (ROOT / "run").read_text(encoding="utf-8")
    assert f'PYLOAD_PIN="pyload-ng=={NEWEST_TESTED}"' in text


def test_run_reads_the_oldest_supported_from_compat() -> None:
    text = (ROOT / "run").read_text(encoding="utf-8")
    line = re.search(r"^PYLOAD_OLDEST=\$\((.+)\)$", text, re.MULTILINE)
    assert line is not None, "./run defines PYLOAD_OLDEST from compat.py"
    done = subprocess.run(
        ["bash", "-c", line.group(1)], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == OLDEST_SUPPORTED


def test_without_pyload_ng_installed_the_version_is_unknown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.metadata  # noqa: PLC0415

    def missing(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", missing)
    assert compat.pyload_version() is None
    assert unsupported_pyload() is None
