"""``offcloud pyload install|uninstall|status``: the plugins, and a private copy of the library.

pyLoad has no entry-point discovery: it reads ``<userdir>/plugins/<type>s/*.py`` at start-up
(docs/pyload.md §1.2), so installing is copying the plugin files there. The plugins import
``offcloud_api``; so that a pyLoad whose Python lacks it works too (the linuxserver.io Docker
image, where only the mounted ``/config`` survives an update), the library is copied beside them,
into ``<userdir>/plugins/offcloud_lib/``, and the base every plugin imports first
(``<userdir>/plugins/base/offcloud_bootstrap.py``) puts that folder first on ``sys.path``.
Plugins and library copy are one install with one version stamp.

What the installer wrote is recorded in a manifest (``offcloud_lib/manifest.json``: each file's
path and sha256, the folders it made). It never overwrites or deletes a file it did not write, or
one changed since (it names the file; ``force`` takes it over), never writes through a symlink,
writes each file atomically, and ``uninstall`` removes exactly what the manifest lists.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

import offcloud_api

from . import pyload_local

__all__ = [
    "LIBRARY_FOLDER",
    "MANIFEST",
    "InstallError",
    "InstallReport",
    "InstalledFile",
    "PythonCheck",
    "check_python",
    "default_userdir",
    "find_pyload_python",
    "install",
    "library_files",
    "shipped_files",
    "status",
    "uninstall",
]

#: Our plugin folders (in this project, and in the wheel) and the pyLoad folder each one goes to.
_SOURCES = {
    "plugins/accounts": "accounts",
    "plugins/downloaders": "downloaders",
    "plugins/decrypters": "decrypters",
    "hooks": "addons",
    # What every plugin and addon imports first (``from ..base.offcloud_bootstrap import ...``):
    # pyLoad's import redirector serves indexed base files from the user folder (docs/pyload.md).
    "plugins/base": "base",
}
#: The library copy, under ``<userdir>/plugins``; the plugins look for it there.
LIBRARY_FOLDER = "offcloud_lib"
MANIFEST = f"{LIBRARY_FOLDER}/manifest.json"
#: Written by the plugins when pyLoad loads them (offcloud_api.pyload.runtime).
LOADED = f"{LIBRARY_FOLDER}/loaded.json"
#: Parts of offcloud_api the plugins never import: not copied.
_NOT_COPIED = ("install", "harness", "simulator", "_plugin_files", "__pycache__")


class InstallError(Exception):
    """The installer refused or could not go on; the message names the file and what to do."""


@dataclass(frozen=True)
class InstalledFile:
    """One file of the install: where it goes, and what happened to it or how it stands.

    ``state``: installed, updated, unchanged, removed, missing, current, outdated, modified
    (ours, changed since), foreign (not ours), kept (ours but changed, left in place).
    """

    name: str
    folder: str
    target: Path
    state: str
    version: Optional[str] = None


@dataclass(frozen=True)
class InstallReport:
    """The files, the stamp installed (or found), and what pyLoad has loaded."""

    files: list[InstalledFile]
    stamp: Optional[str]
    installed_at: Optional[str] = None
    restart: Optional[str] = None  # what to tell the user about restarting pyLoad
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PythonCheck:
    python: Path
    ok: bool
    detail: str


@dataclass(frozen=True)
class _Planned:
    relative: str  # under <userdir>/plugins, with "/"
    source: Path
    digest: str
    folder: str
    name: str


def default_userdir() -> Path:
    """pyLoad's default user folder (the linuxserver image uses /config)."""
    return Path.home() / ".pyload"


def _source_root() -> Path:
    """Where ``plugins/`` and ``hooks/`` are: inside the wheel, or this project's top level."""
    package = Path(offcloud_api.__file__).resolve().parent
    for root in (package / "_plugin_files", package.parent):
        if (root / "plugins").is_dir() and (root / "hooks").is_dir():
            return root
    raise InstallError(f"the plugin files are missing from this installation ({package})")


def shipped_files() -> list[tuple[str, Path]]:
    """(pyLoad folder, source file) for every plugin file this project ships."""
    root = _source_root()
    found: list[tuple[str, Path]] = []
    for source, folder in _SOURCES.items():
        found.extend(
            (folder, path)
            for path in sorted((root / source).glob("*.py"))
            if not path.name.startswith("_")
        )
    return found


def library_files() -> list[tuple[str, Path]]:
    """(path inside the library copy, source file) for the part of offcloud_api plugins use."""
    package = Path(offcloud_api.__file__).resolve().parent
    found: list[tuple[str, Path]] = []
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(package)
        if (
            not path.is_file()
            or relative.parts[0] in _NOT_COPIED
            or "__pycache__" in relative.parts
        ):
            continue
        if path.suffix in (".py", ".typed"):
            found.append((f"offcloud_api/{relative.as_posix()}", path))
    return found


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _plan() -> list[_Planned]:
    planned = [
        _Planned(f"{folder}/{source.name}", source, _digest(source), folder, source.stem)
        for folder, source in shipped_files()
    ]
    planned.extend(
        _Planned(f"{LIBRARY_FOLDER}/{relative}", source, _digest(source), LIBRARY_FOLDER, relative)
        for relative, source in library_files()
    )
    return planned


def _stamp(planned: list[_Planned]) -> str:
    """``<version>+<digest of every file>``: any change to plugins or library is a new stamp."""
    whole = hashlib.sha256()
    for item in sorted(planned, key=lambda p: p.relative):
        whole.update(f"{item.relative}\0{item.digest}\n".encode())
    return f"{offcloud_api.__version__}+{whole.hexdigest()[:12]}"


def _read_json(path: Path) -> dict[str, Any]:
    """A JSON object file of ours, or ``{}`` (missing, unreadable, a symlink, not an object)."""
    if path.is_symlink() or not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _read_manifest(base: Path) -> dict[str, Any]:
    data = _read_json(base / MANIFEST)
    return data if isinstance(data.get("files"), dict) else {}


def _symlink_on_the_way(base: Path, target: Path) -> Optional[Path]:
    """The first symlink from ``base``'s parent down to ``target``, if there is one."""
    here = base.parent
    for part in target.relative_to(base.parent).parts:
        here = here / part
        if here.is_symlink():
            return here
    return None


def _check_target(base: Path, target: Path, recorded: Optional[str], *, force: bool) -> str:
    """What writing ``target`` would do: ``write``, ``same``; or raise why it may not."""
    link = _symlink_on_the_way(base, target)
    if link is not None:
        raise InstallError(f"{link} is a symbolic link: the installer never writes through one")
    if not target.exists():
        return "write"
    if not target.is_file():
        raise InstallError(f"{target} exists and is not a file; move it away first")
    current = _digest(target)
    if recorded is not None and current == recorded:
        return "write"
    if force:
        return "write"
    why = (
        "was changed since it was installed"
        if recorded is not None
        else "was not written by this installer"
    )
    raise InstallError(
        f"{target} {why}; it is left alone. Move it away, or run again with --force to replace it"
    )


def _write_atomically(source: Path, target: Path) -> None:
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(source.read_bytes())
        Path(temporary).replace(target)  # replaces the name itself, never what it points to
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _write_json_atomically(data: dict[str, Any], target: Path) -> None:
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=1, sort_keys=True)
        Path(temporary).replace(target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _drop_compiled(target: Path) -> None:
    for stale in (target.parent / "__pycache__").glob(f"{target.stem}.*.pyc"):
        stale.unlink(missing_ok=True)


def install(userdir: Path, *, force: bool = False) -> InstallReport:
    """Install plugins and library copy into ``userdir``; files already current stay as they are.

    Every target is checked before anything is written: one refusal (a file not ours, a changed
    file, a symlink) leaves the install as it was. Files of an older install that this version no
    longer has are removed when they are unchanged.
    """
    base = userdir / "plugins"
    if base.is_symlink() or userdir.is_symlink():
        link = userdir if userdir.is_symlink() else base
        raise InstallError(f"{link} is a symbolic link: the installer never writes through one")
    userdir.mkdir(parents=True, exist_ok=True)
    old = _read_manifest(base)
    recorded: dict[str, str] = dict(old.get("files", {}))
    planned = _plan()
    for item in planned:  # all refusals before the first write
        _check_target(base, base / item.relative, recorded.get(item.relative), force=force)
    made_dirs: list[str] = list(old.get("dirs", []))
    results: list[InstalledFile] = []
    for item in planned:
        target = base / item.relative
        for parent in reversed(list(target.relative_to(base.parent).parents)[:-1]):
            folder = base.parent / parent
            if not folder.exists():
                folder.mkdir()
                relative = folder.relative_to(base).as_posix() if folder != base else "."
                if relative not in made_dirs:
                    made_dirs.append(relative)
        if target.exists() and _digest(target) == item.digest:
            state = "unchanged"
        else:
            state = "updated" if target.exists() else "installed"
            _write_atomically(item.source, target)
            _drop_compiled(target)
        results.append(InstalledFile(item.name, item.folder, target, state, _version_of(target)))
    wanted = {item.relative for item in planned}
    for relative, digest in recorded.items():
        if relative in wanted:
            continue
        gone = base / relative
        if gone.is_file() and not gone.is_symlink() and _digest(gone) == digest:
            gone.unlink()
            _drop_compiled(gone)
            results.append(InstalledFile(gone.stem, str(Path(relative).parent), gone, "removed"))
    stamp = _stamp(planned)
    installed_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    manifest = {
        "package": "offcloud-pyload",
        "version": offcloud_api.__version__,
        "stamp": stamp,
        "installed_at": installed_at,
        "files": {item.relative: item.digest for item in planned},
        "dirs": made_dirs,
    }
    _write_json_atomically(manifest, base / MANIFEST)
    return InstallReport(results, stamp, installed_at, _restart_advice(base, stamp))


def uninstall(userdir: Path, *, force: bool = False) -> InstallReport:
    """Remove exactly what the manifest lists; a file changed since stays unless ``force``."""
    base = userdir / "plugins"
    manifest = _read_manifest(base)
    if not manifest:
        raise InstallError(
            f"no install of ours in {base} (no {MANIFEST}); nothing was removed. Plugin files "
            "copied by hand or by a version before manifests have to be removed by hand"
        )
    results: list[InstalledFile] = []
    kept = 0
    for relative, digest in sorted(manifest["files"].items()):
        target = base / relative
        folder, name = str(Path(relative).parent), Path(relative).stem
        if _symlink_on_the_way(base, target) is not None:
            results.append(InstalledFile(name, folder, target, "foreign"))
            kept += 1
        elif not target.exists():
            results.append(InstalledFile(name, folder, target, "missing"))
        elif not target.is_file() or (_digest(target) != digest and not force):
            results.append(InstalledFile(name, folder, target, "kept"))
            kept += 1
        else:
            target.unlink()
            _drop_compiled(target)
            results.append(InstalledFile(name, folder, target, "removed"))
    if kept == 0:
        for extra in (base / LOADED, base / MANIFEST):
            if extra.is_file() and not extra.is_symlink():
                extra.unlink()
        # Folders the install made, deepest first, when nothing else is in them now.
        for relative in sorted(manifest.get("dirs", []), key=lambda d: d.count("/"), reverse=True):
            folder = base / relative
            if folder.is_dir() and not folder.is_symlink():
                cache = folder / "__pycache__"
                if cache.is_dir() and not any(p for p in cache.iterdir() if p.suffix != ".pyc"):
                    shutil.rmtree(cache)
                if not any(folder.iterdir()):
                    folder.rmdir()
    notes = (
        [f"{kept} file(s) changed since they were installed were kept (--force removes them)"]
        if kept
        else []
    )
    return InstallReport(results, manifest.get("stamp"), manifest.get("installed_at"), notes=notes)


def status(userdir: Path) -> InstallReport:
    """How each file stands in ``userdir``, the stamp installed, and what pyLoad has loaded."""
    base = userdir / "plugins"
    manifest = _read_manifest(base)
    recorded: dict[str, str] = manifest.get("files", {})
    planned = _plan()
    results: list[InstalledFile] = []
    for item in planned:
        target = base / item.relative
        if not target.exists():
            state = "missing"
        elif target.is_symlink() or not target.is_file():
            state = "foreign"
        else:
            current = _digest(target)
            if current == item.digest:
                state = "current"
            elif item.relative not in recorded:
                state = "foreign"
            elif current == recorded[item.relative]:
                state = "outdated"
            else:
                state = "modified"
        results.append(InstalledFile(item.name, item.folder, target, state, _version_of(target)))
    stamp = manifest.get("stamp")
    notes = []
    shipped = _stamp(planned)
    if stamp and stamp != shipped:
        notes.append(f"installed {stamp}; this offcloud-pyload is {shipped}: run install")
    return InstallReport(
        results,
        stamp,
        manifest.get("installed_at"),
        _restart_advice(base, stamp) if stamp else None,
        notes,
    )


def _restart_advice(base: Path, stamp: str) -> str:
    """What pyLoad runs, from the note the plugins leave when pyLoad loads them."""
    loaded = _read_json(base / LOADED)
    if not loaded:
        return "pyLoad has not loaded these plugins yet: (re)start pyLoad"
    where = f"pyLoad (pid {loaded.get('pid')} on {loaded.get('host')})"
    since = loaded.get("at", "?")
    if loaded.get("stamp") == stamp:
        return f"{where} loaded {stamp} at {since}: nothing to do"
    if loaded.get("host") == socket.gethostname() and not _alive(loaded.get("pid")):
        return f"pyLoad last loaded {loaded.get('stamp')} and is not running: start it"
    return f"{where} loaded {loaded.get('stamp')} at {since}: restart pyLoad to load {stamp}"


def _version_of(path: Path) -> Optional[str]:
    if path.suffix != ".py":
        return None
    try:
        for line in path.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            if stripped.startswith("__version__") and "=" in stripped:
                return stripped.split("=", 1)[1].strip().strip("\"'")
    except OSError:
        return None
    return None


def find_pyload_python() -> Path:
    """The interpreter of the ``pyload`` command on PATH, else the one running this code."""
    try:
        return pyload_local.find_pyload_python()
    except pyload_local.PyloadNotFoundError:
        return Path(sys.executable)


def _alive(pid: Any) -> bool:
    return isinstance(pid, int) and pid > 0 and pyload_local.pid_alive(pid)


def check_python(python: Path, userdir: Optional[Path] = None) -> PythonCheck:
    """Whether ``python`` can run the plugins: the library copy in ``userdir``, or its own."""
    copy = (userdir / "plugins" / LIBRARY_FOLDER) if userdir is not None else None
    probe = (
        "import sys\n"
        "if len(sys.argv) > 1: sys.path.insert(0, sys.argv[1])\n"
        "import offcloud_api\n"
        "sys.stdout.write(offcloud_api.__version__ + ' from ' + offcloud_api.__file__)\n"
    )
    command = [str(python), "-c", probe]
    if copy is not None and copy.is_dir():
        command.append(str(copy))
    try:
        done = subprocess.run(  # noqa: S603 - a fixed probe run by the given interpreter
            command, capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return PythonCheck(python, False, f"could not run {python}: {exc}")
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return PythonCheck(python, False, last)
    return PythonCheck(python, True, f"offcloud_api {done.stdout.strip()}")
