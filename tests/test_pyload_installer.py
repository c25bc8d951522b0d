"""``offcloud pyload install|uninstall|status`` as functions: copy, keep, report, remove."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from offcloud_api.cli import main
from offcloud_api.pyload import installer


def _targets(userdir: Path) -> dict[str, Path]:
    return {
        f"{folder}/{source.name}": userdir / "plugins" / folder / source.name
        for folder, source in installer.shipped_files()
    }


def test_ships_the_account_and_downloader() -> None:
    names = {(folder, source.stem) for folder, source in installer.shipped_files()}
    assert ("accounts", "OffcloudCom") in names
    assert ("downloaders", "OffcloudCom") in names


def test_install_copies_then_is_idempotent(tmp_path: Path) -> None:
    first = installer.install(tmp_path)
    assert {r.state for r in first} == {"installed"}
    for target in _targets(tmp_path).values():
        assert target.is_file()
        assert (target.parent / "__init__.py").is_file()
    second = installer.install(tmp_path)
    assert {r.state for r in second} == {"unchanged"}
    assert all(r.version for r in second)


def test_install_updates_a_changed_file(tmp_path: Path) -> None:
    installer.install(tmp_path)
    target = next(iter(_targets(tmp_path).values()))
    target.write_text("# offcloud_api old copy\n", encoding="utf-8")
    assert {r.name for r in installer.status(tmp_path) if r.state == "outdated"}
    states = {r.target: r.state for r in installer.install(tmp_path)}
    assert states[target] == "updated"


def test_status_reports_missing_current_and_foreign(tmp_path: Path) -> None:
    assert {r.state for r in installer.status(tmp_path)} == {"missing"}
    installer.install(tmp_path)
    assert {r.state for r in installer.status(tmp_path)} == {"current"}
    foreign = next(iter(_targets(tmp_path).values()))
    foreign.write_text("class Someone: pass\n", encoding="utf-8")
    assert {r.target: r.state for r in installer.status(tmp_path)}[foreign] == "foreign"


def test_uninstall_removes_ours_and_keeps_a_foreign_file(tmp_path: Path) -> None:
    installer.install(tmp_path)
    foreign = next(iter(_targets(tmp_path).values()))
    foreign.write_text("class Someone: pass\n", encoding="utf-8")
    results = {r.target: r.state for r in installer.uninstall(tmp_path)}
    assert results[foreign] == "foreign"
    assert foreign.exists()
    others = [t for t in _targets(tmp_path).values() if t != foreign]
    assert all(results[t] == "removed" and not t.exists() for t in others)
    assert {r.state for r in installer.uninstall(tmp_path)} <= {"missing", "foreign"}


def test_check_python_finds_the_library_in_this_interpreter() -> None:
    check = installer.check_python(Path(sys.executable))
    assert check.ok
    assert check.detail.startswith("offcloud_api ")


def test_check_python_explains_a_python_without_the_library(tmp_path: Path) -> None:
    check = installer.check_python(Path(sys.executable).with_name("no-such-python"))
    assert not check.ok
    assert "could not run" in check.detail


def test_find_pyload_python_returns_an_interpreter() -> None:
    assert installer.find_pyload_python().exists()


def test_cli_install_status_uninstall(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    python = ["--python", sys.executable]
    assert main(["pyload", "install", "--userdir", str(tmp_path), *python]) == 0
    out = capsys.readouterr().out
    assert "installed  accounts/OffcloudCom" in out
    assert "Restart pyLoad" in out
    assert main(["pyload", "status", "--userdir", str(tmp_path), "--json", *python]) == 0
    status = json.loads(capsys.readouterr().out)
    assert {f["state"] for f in status["files"]} == {"current"}
    assert status["python"]["ok"] is True
    assert main(["pyload", "uninstall", "--userdir", str(tmp_path)]) == 0
    assert "removed" in capsys.readouterr().out
    assert main(["pyload", "status", "--userdir", str(tmp_path), *python]) == 1


def test_cli_install_says_when_pyloads_python_lacks_the_library(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "python-without-it")
    assert main(["pyload", "install", "--userdir", str(tmp_path), "--python", missing]) == 1
    captured = capsys.readouterr()
    assert "CANNOT import offcloud_api" in captured.out
    assert "pip install" in captured.err
