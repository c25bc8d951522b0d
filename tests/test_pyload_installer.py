"""``offcloud pyload install|uninstall|status``: plugins and library copy, manifest, refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import offcloud_api
from offcloud_api.cli import main
from offcloud_api.install import installer
from offcloud_api.install.installer import InstallError
from offcloud_api.pyload import runtime


def _plugins(userdir: Path) -> dict[str, Path]:
    return {
        f"{folder}/{source.name}": userdir / "plugins" / folder / source.name
        for folder, source in installer.shipped_files()
    }


def _manifest(userdir: Path) -> dict[str, object]:
    data = json.loads((userdir / "plugins" / installer.MANIFEST).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _everything(userdir: Path) -> set[str]:
    return {
        p.relative_to(userdir).as_posix()
        for p in userdir.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_ships_the_plugins_and_the_library_the_plugins_import() -> None:
    names = {(folder, source.stem) for folder, source in installer.shipped_files()}
    assert names == {
        ("accounts", "OffcloudCom"),
        ("downloaders", "OffcloudCom"),
        ("decrypters", "OffcloudComTorrent"),
        ("decrypters", "OffcloudComFolder"),
        ("addons", "OffcloudComHook"),
        ("addons", "OffcloudComCleanup"),
        ("addons", "OffcloudComArr"),
        ("base", "offcloud_bootstrap"),
    }
    library = {relative for relative, _ in installer.library_files()}
    assert {
        "offcloud_api/__init__.py",
        "offcloud_api/client.py",
        "offcloud_api/py.typed",
    } <= library
    assert "offcloud_api/pyload/storage.py" in library
    # What drives pyLoad from outside, and the simulator, stay out of pyLoad's folder.
    outside = ("offcloud_api/install", "offcloud_api/harness", "offcloud_api/sim")
    assert not [r for r in library if r.startswith(outside)]


def test_install_writes_plugins_library_and_manifest_then_is_idempotent(tmp_path: Path) -> None:
    first = installer.install(tmp_path)
    assert {f.state for f in first.files} == {"installed"}
    for target in _plugins(tmp_path).values():
        assert target.is_file()
    copy = tmp_path / "plugins" / installer.LIBRARY_FOLDER
    assert (copy / "offcloud_api" / "client.py").read_bytes() == (
        Path(offcloud_api.__file__).parent / "client.py"
    ).read_bytes()
    manifest = _manifest(tmp_path)
    assert manifest["stamp"] == first.stamp
    assert str(first.stamp).startswith(offcloud_api.__version__ + "+")
    files = manifest["files"]
    assert isinstance(files, dict)
    # Exactly what is on disk, and nothing else: the manifest is the install.
    written = _everything(tmp_path) - {f"plugins/{installer.MANIFEST}"}
    assert {f"plugins/{relative}" for relative in files} == written
    second = installer.install(tmp_path)
    assert {f.state for f in second.files} == {"unchanged"}
    assert second.stamp == first.stamp


def test_a_file_that_is_not_ours_is_never_overwritten(tmp_path: Path) -> None:
    theirs = tmp_path / "plugins" / "downloaders" / "OffcloudCom.py"
    theirs.parent.mkdir(parents=True)
    theirs.write_text("# someone else's OffcloudCom\n", encoding="utf-8")
    with pytest.raises(InstallError, match="was not written by this installer") as refused:
        installer.install(tmp_path)
    assert str(theirs) in str(refused.value)
    assert "--force" in str(refused.value)
    assert theirs.read_text(encoding="utf-8") == "# someone else's OffcloudCom\n"
    # All refusals come before the first write: nothing else was installed either.
    assert _everything(tmp_path) == {"plugins/downloaders/OffcloudCom.py"}
    installer.install(tmp_path, force=True)
    assert "offcloud_api" in theirs.read_text(encoding="utf-8")


def test_a_file_changed_since_the_install_is_not_overwritten(tmp_path: Path) -> None:
    installer.install(tmp_path)
    edited = _plugins(tmp_path)["accounts/OffcloudCom.py"]
    edited.write_text(edited.read_text(encoding="utf-8") + "# my change\n", encoding="utf-8")
    assert {f.target: f.state for f in installer.status(tmp_path).files}[edited] == "modified"
    with pytest.raises(InstallError, match="was changed since it was installed"):
        installer.install(tmp_path)
    assert edited.read_text(encoding="utf-8").endswith("# my change\n")


def test_an_older_install_of_ours_is_updated(tmp_path: Path) -> None:
    installer.install(tmp_path)
    target = _plugins(tmp_path)["accounts/OffcloudCom.py"]
    # What an older version would have written, recorded as such in its manifest.
    target.write_text("# offcloud_api old account plugin\n", encoding="utf-8")
    manifest = _manifest(tmp_path)
    files = manifest["files"]
    assert isinstance(files, dict)
    files["accounts/OffcloudCom.py"] = installer._digest(target)
    files["offcloud_lib/offcloud_api/gone.py"] = "0" * 64  # a module this version no longer has
    stale = tmp_path / "plugins" / "offcloud_lib" / "offcloud_api" / "gone.py"
    stale.write_text("old\n", encoding="utf-8")
    files["offcloud_lib/offcloud_api/gone.py"] = installer._digest(stale)
    manifest["stamp"] = "0.0.1+old"
    (tmp_path / "plugins" / installer.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    assert {f.target: f.state for f in installer.status(tmp_path).files}[target] == "outdated"
    assert any("installed 0.0.1+old" in note for note in installer.status(tmp_path).notes)
    report = installer.install(tmp_path)
    states = {f.target: f.state for f in report.files}
    assert states[target] == "updated"
    assert states[stale] == "removed"
    assert not stale.exists()
    assert _manifest(tmp_path)["stamp"] == report.stamp != "0.0.1+old"


def test_never_writes_through_a_symlink(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    userdir = tmp_path / "pyload"
    (userdir / "plugins").mkdir(parents=True)
    (userdir / "plugins" / "addons").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(InstallError, match="symbolic link"):
        installer.install(userdir)
    assert list(elsewhere.iterdir()) == []
    # A symlinked file is refused even with --force: replacing it would write elsewhere.
    (userdir / "plugins" / "addons").unlink()
    installer.install(userdir)
    hook = userdir / "plugins" / "addons" / "OffcloudComHook.py"
    outside = elsewhere / "victim.py"
    outside.write_text("precious\n", encoding="utf-8")
    hook.unlink()
    hook.symlink_to(outside)
    with pytest.raises(InstallError, match="symbolic link"):
        installer.install(userdir, force=True)
    assert outside.read_text(encoding="utf-8") == "precious\n"


def test_uninstall_removes_exactly_the_manifest(tmp_path: Path) -> None:
    mine = tmp_path / "plugins" / "downloaders" / "MyHoster.py"
    mine.parent.mkdir(parents=True)
    mine.write_text("# mine, mentions offcloud_api\n", encoding="utf-8")
    installer.install(tmp_path)
    report = installer.uninstall(tmp_path)
    assert {f.state for f in report.files} == {"removed"}
    # The user's file stays, with its folder (which the install did not make); ours are gone.
    assert _everything(tmp_path) == {"plugins/downloaders/MyHoster.py"}
    assert not (tmp_path / "plugins" / "accounts").exists()  # made by the install
    with pytest.raises(InstallError, match="no install of ours"):
        installer.uninstall(tmp_path)
    assert mine.exists()


def test_uninstall_keeps_a_file_changed_since_and_says_so(tmp_path: Path) -> None:
    installer.install(tmp_path)
    edited = _plugins(tmp_path)["decrypters/OffcloudComFolder.py"]
    edited.write_text("# changed\n", encoding="utf-8")
    report = installer.uninstall(tmp_path)
    assert {f.target: f.state for f in report.files}[edited] == "kept"
    assert edited.exists()
    assert report.notes
    assert (tmp_path / "plugins" / installer.MANIFEST).exists()  # so --force can finish it
    forced = installer.uninstall(tmp_path, force=True)
    assert {f.target: f.state for f in forced.files}[edited] == "removed"
    assert _everything(tmp_path) == set()


def test_status_says_whether_pyload_loaded_this_install(tmp_path: Path) -> None:
    assert installer.status(tmp_path).restart is None
    report = installer.install(tmp_path)
    assert report.restart is not None
    assert "not loaded" in report.restart
    account = _plugins(tmp_path)["accounts/OffcloudCom.py"]
    note = runtime.note_loaded(str(account))  # what the account plugin does when pyLoad loads it
    assert note is not None
    assert note["stamp"] == report.stamp
    assert note["pid"] == os.getpid()
    assert "nothing to do" in str(installer.status(tmp_path).restart)
    loaded = tmp_path / "plugins" / installer.LOADED
    old = json.loads(loaded.read_text(encoding="utf-8"))
    old["stamp"] = "0.0.1+old"
    loaded.write_text(json.dumps(old), encoding="utf-8")
    advice = str(installer.status(tmp_path).restart)
    assert "restart pyLoad to load" in advice
    assert str(report.stamp) in advice


def test_the_note_of_what_pyload_loaded_is_written_only_into_an_install(tmp_path: Path) -> None:
    plugin = tmp_path / "plugins" / "accounts" / "OffcloudCom.py"
    plugin.parent.mkdir(parents=True)
    plugin.write_text("", encoding="utf-8")
    assert runtime.note_loaded(str(plugin)) is None
    assert _everything(tmp_path) == {"plugins/accounts/OffcloudCom.py"}


def test_the_library_copy_imports_in_a_python_without_offcloud_api(tmp_path: Path) -> None:
    installer.install(tmp_path)
    copy = tmp_path / "plugins" / installer.LIBRARY_FOLDER
    # -S -I: no site-packages, no environment: only the copy can provide offcloud_api.
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); import offcloud_api.pyload.storage as s; "
        "print(s.__file__)"
    )
    done = subprocess.run(
        [sys.executable, "-S", "-I", "-c", probe, str(copy)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(str(copy))


def test_check_python_uses_the_library_copy(tmp_path: Path) -> None:
    installer.install(tmp_path)
    check = installer.check_python(Path(sys.executable), tmp_path)
    assert check.ok
    assert str(tmp_path / "plugins" / installer.LIBRARY_FOLDER) in check.detail


def test_check_python_explains_a_python_that_cannot_run(tmp_path: Path) -> None:
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
    assert "library    " in out
    assert "Restart pyLoad" in out
    assert main(["pyload", "status", "--userdir", str(tmp_path), "--json", *python]) == 0
    status = json.loads(capsys.readouterr().out)
    assert {f["state"] for f in status["files"]} == {"current"}
    assert status["python"]["ok"] is True
    assert status["stamp"].startswith(offcloud_api.__version__)
    assert main(["pyload", "uninstall", "--userdir", str(tmp_path)]) == 0
    assert "removed" in capsys.readouterr().out
    assert main(["pyload", "status", "--userdir", str(tmp_path), *python]) == 1


def test_cli_refusal_is_one_line_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    theirs = tmp_path / "plugins" / "addons" / "OffcloudComHook.py"
    theirs.parent.mkdir(parents=True)
    theirs.write_text("# theirs\n", encoding="utf-8")
    assert main(["pyload", "install", "--userdir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert str(theirs) in err
    assert "--force" in err
    assert main(["pyload", "install", "--userdir", str(tmp_path), "--force"]) == 0


def test_a_note_that_cannot_be_written_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    installer.install(tmp_path)
    account = _plugins(tmp_path)["accounts/OffcloudCom.py"]

    def no_space(*_args: object, **_kwargs: object) -> tuple[int, str]:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(runtime.tempfile, "mkstemp", no_space)
    assert runtime.note_loaded(str(account)) is None
    assert not (tmp_path / "plugins" / installer.LOADED).exists()
