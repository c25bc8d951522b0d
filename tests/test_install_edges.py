"""The installer on its edges: what it refuses, keeps or reports in a folder not as it left it."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

import pytest

from offcloud_api.install import installer, pyload_local
from offcloud_api.install.installer import InstallError


def _target(userdir: Path, relative: str = "accounts/OffcloudCom.py") -> Path:
    return userdir / "plugins" / relative


def _states(report: installer.InstallReport) -> dict[Path, str]:
    return {f.target: f.state for f in report.files}


def test_the_default_userdir_is_pyloads_own(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert installer.default_userdir() == tmp_path / ".pyload"


def test_an_installation_without_the_plugin_files_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    package = tmp_path / "site" / "offcloud_api"
    package.mkdir(parents=True)
    monkeypatch.setattr(installer.offcloud_api, "__file__", str(package / "__init__.py"))
    with pytest.raises(InstallError, match="the plugin files are missing from this installation"):
        installer.shipped_files()


def test_a_symlinked_userdir_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    with pytest.raises(InstallError, match=f"{link} is a symbolic link"):
        installer.install(link)
    assert list(real.iterdir()) == []


def test_a_folder_where_a_plugin_file_goes_is_refused(tmp_path: Path) -> None:
    _target(tmp_path).mkdir(parents=True)
    with pytest.raises(InstallError, match="exists and is not a file; move it away first"):
        installer.install(tmp_path)


def test_a_manifest_that_is_not_json_counts_as_no_install(tmp_path: Path) -> None:
    manifest = tmp_path / "plugins" / installer.MANIFEST
    manifest.parent.mkdir(parents=True)
    manifest.write_text("{broken", encoding="utf-8")
    with pytest.raises(InstallError, match="no install of ours"):
        installer.uninstall(tmp_path)
    manifest.write_text('{"files": []}', encoding="utf-8")  # an object, but not ours
    with pytest.raises(InstallError, match="no install of ours"):
        installer.uninstall(tmp_path)


def test_a_failed_write_leaves_no_temporary_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    real_replace = Path.replace

    def refuse(self: Path, target: Path) -> Path:
        if Path(target).name == "OffcloudCom.py":
            raise OSError(28, "No space left on device")
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", refuse)
    with pytest.raises(OSError, match="No space left"):
        installer.install(tmp_path)
    leftovers = [p for p in tmp_path.rglob(".*") if p.name.startswith(".OffcloudCom.py.")]
    assert leftovers == []


def test_a_failed_manifest_write_leaves_no_temporary_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(installer.json, "dump", refuse)
    with pytest.raises(OSError, match="No space left"):
        installer.install(tmp_path)
    folder = tmp_path / "plugins" / installer.LIBRARY_FOLDER
    assert not (tmp_path / "plugins" / installer.MANIFEST).exists()
    assert [p.name for p in folder.iterdir() if p.name.startswith(".manifest")] == []


def test_an_update_drops_the_stale_compiled_copy(tmp_path: Path) -> None:
    installer.install(tmp_path)
    target = _target(tmp_path)
    cache = target.parent / "__pycache__"
    cache.mkdir()
    stale = cache / "OffcloudCom.cpython-311.pyc"
    stale.write_bytes(b"old bytecode")
    other = cache / "Other.cpython-311.pyc"
    other.write_bytes(b"not ours")
    manifest_path = tmp_path / "plugins" / installer.MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    target.write_text("# an older version\n", encoding="utf-8")
    manifest["files"]["accounts/OffcloudCom.py"] = installer._digest(target)
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    assert _states(installer.install(tmp_path))[target] == "updated"
    assert not stale.exists()
    assert other.read_bytes() == b"not ours"


def test_uninstall_keeps_a_file_behind_a_symlink_and_reports_a_missing_one(tmp_path: Path) -> None:
    installer.install(tmp_path)
    plugins = tmp_path / "plugins"
    missing = _target(tmp_path, "downloaders/OffcloudCom.py")
    missing.unlink()
    # The accounts folder is now a link to someone else's folder holding a same-named file.
    elsewhere = tmp_path / "elsewhere"
    (plugins / "accounts").rename(elsewhere)
    (plugins / "accounts").symlink_to(elsewhere)
    report = installer.uninstall(tmp_path)
    states = _states(report)
    assert states[missing] == "missing"
    assert states[plugins / "accounts" / "OffcloudCom.py"] == "foreign"
    assert (elsewhere / "OffcloudCom.py").is_file()
    assert report.notes == [
        "1 file(s) changed since they were installed were kept (--force removes them)"
    ]
    assert (plugins / installer.MANIFEST).is_file()  # something was kept: the record stays


def test_uninstall_clears_a_folder_with_only_compiled_files_left(tmp_path: Path) -> None:
    installer.install(tmp_path)
    folder = tmp_path / "plugins" / installer.LIBRARY_FOLDER / "offcloud_api" / "pyload"
    (folder / "__pycache__").mkdir(exist_ok=True)
    (folder / "__pycache__" / "jobs.cpython-311.pyc").write_bytes(b"compiled")
    installer.uninstall(tmp_path)
    assert not folder.exists()


def test_uninstall_keeps_a_folder_with_a_users_file_in_its_cache(tmp_path: Path) -> None:
    installer.install(tmp_path)
    folder = tmp_path / "plugins" / installer.LIBRARY_FOLDER / "offcloud_api"
    (folder / "__pycache__").mkdir(exist_ok=True)
    mine = folder / "__pycache__" / "notes.txt"
    mine.write_text("mine", encoding="utf-8")
    installer.uninstall(tmp_path)
    assert mine.read_text(encoding="utf-8") == "mine"


def test_status_calls_a_symlink_or_an_unrecorded_file_foreign(tmp_path: Path) -> None:
    installer.install(tmp_path)
    linked = _target(tmp_path)
    elsewhere = tmp_path / "mine.py"
    elsewhere.write_text("# mine\n", encoding="utf-8")
    linked.unlink()
    linked.symlink_to(elsewhere)
    unrecorded = _target(tmp_path, "downloaders/OffcloudCom.py")
    manifest_path = tmp_path / "plugins" / installer.MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    del manifest["files"]["downloaders/OffcloudCom.py"]
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    unrecorded.write_text("# someone else's\n", encoding="utf-8")
    states = _states(installer.status(tmp_path))
    assert (states[linked], states[unrecorded]) == ("foreign", "foreign")


def test_status_says_to_start_pyload_when_the_one_that_loaded_it_is_gone(tmp_path: Path) -> None:
    stamp = installer.install(tmp_path).stamp
    loaded = tmp_path / "plugins" / installer.LOADED
    dead_pid = 2**22 + 12345  # above pid_max's default: no such process
    note = {"pid": dead_pid, "host": socket.gethostname(), "stamp": "0.0.1+old", "at": "then"}
    loaded.write_text(json.dumps(note), encoding="utf-8")
    advice = installer.status(tmp_path).restart
    assert advice == "pyLoad last loaded 0.0.1+old and is not running: start it"
    note["host"] = "another-host.example"
    loaded.write_text(json.dumps(note), encoding="utf-8")
    advice = installer.status(tmp_path).restart
    assert advice is not None
    assert advice.endswith(f"restart pyLoad to load {stamp}")


def test_find_pyload_python_falls_back_to_this_interpreter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def not_found() -> Path:
        raise pyload_local.PyloadNotFoundError("no pyload on PATH")

    monkeypatch.setattr(pyload_local, "find_pyload_python", not_found)
    assert installer.find_pyload_python() == Path(sys.executable)


def test_check_python_reports_the_last_line_of_a_failing_probe(tmp_path: Path) -> None:
    broken = tmp_path / "python"
    broken.write_text(
        "#!/bin/sh\necho first >&2\necho 'ImportError: no offcloud_api' >&2\nexit 1\n"
    )
    broken.chmod(0o700)
    check = installer.check_python(broken)
    assert (check.ok, check.detail) == (False, "ImportError: no offcloud_api")
    silent = tmp_path / "silent"
    silent.write_text("#!/bin/sh\nexit 3\n")
    silent.chmod(0o700)
    assert installer.check_python(silent).detail == "no output"
