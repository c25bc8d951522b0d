"""``offcloud pyload install|uninstall|status``: put the plugin files where pyLoad looks.

pyLoad has no entry-point discovery: it reads ``<userdir>/plugins/<type>s/*.py`` at start-up
(docs/pyload-ng.md §1.2). The plugin files ship inside this package, so a plain ``pip install``
carries them, and installing is copying them there. The plugins import ``offcloud_api``, so the
Python that runs pyLoad must be able to import it; :func:`check_python` asks that Python.
"""

from __future__ import annotations

import filecmp
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

__all__ = [
    "InstalledFile",
    "PythonCheck",
    "check_python",
    "default_userdir",
    "find_pyload_python",
    "install",
    "shipped_files",
    "status",
    "uninstall",
]

_HERE = Path(__file__).resolve().parent
#: Our folders, and the pyLoad folder each one goes to.
_SOURCES = {
    "plugins/accounts": "accounts",
    "plugins/downloaders": "downloaders",
    "plugins/decrypters": "decrypters",
    "hooks": "addons",
}
_VERSION = re.compile(r"""__version__\s*=\s*["']([\d.]+)["']""")
#: A line every one of our plugin files has; uninstall removes only files that carry it.
OWN_MARKER = "offcloud_api"


@dataclass(frozen=True)
class InstalledFile:
    """One plugin file: where it goes, and what happened to it or how it stands."""

    name: str
    folder: str
    target: Path
    state: str  # installed, updated, unchanged, removed, missing, outdated, current, foreign
    version: Optional[str] = None


@dataclass(frozen=True)
class PythonCheck:
    python: Path
    ok: bool
    detail: str


def default_userdir() -> Path:
    """pyLoad's default user folder (the linuxserver image uses /config)."""
    return Path.home() / ".pyload"


def shipped_files() -> list[tuple[str, Path]]:
    """(pyLoad folder, source file) for every plugin file this package ships."""
    found: list[tuple[str, Path]] = []
    for source, folder in _SOURCES.items():
        directory = _HERE / source
        if directory.is_dir():
            found.extend(
                (folder, path)
                for path in sorted(directory.glob("*.py"))
                if not path.name.startswith("_")
            )
    return found


def _version_of(path: Path) -> Optional[str]:
    try:
        match = _VERSION.search(path.read_text(encoding="utf-8"))
    except OSError:
        return None
    return match.group(1) if match else None


def install(userdir: Path) -> list[InstalledFile]:
    """Copy every plugin file into ``userdir``; files already identical are left alone."""
    results: list[InstalledFile] = []
    for folder, source in shipped_files():
        target_dir = userdir / "plugins" / folder
        target_dir.mkdir(parents=True, exist_ok=True)
        # pyLoad rewrites these itself at start; they only make a fresh tree importable now.
        (target_dir / "__init__.py").touch(exist_ok=True)
        target = target_dir / source.name
        if target.exists() and filecmp.cmp(source, target, shallow=False):
            state = "unchanged"
        else:
            state = "updated" if target.exists() else "installed"
            shutil.copyfile(source, target)
        results.append(InstalledFile(source.stem, folder, target, state, _version_of(source)))
    return results


def uninstall(userdir: Path) -> list[InstalledFile]:
    """Remove our plugin files from ``userdir``; a same-named file that is not ours stays."""
    results: list[InstalledFile] = []
    for folder, source in shipped_files():
        target = userdir / "plugins" / folder / source.name
        if not target.exists():
            state = "missing"
        elif OWN_MARKER in target.read_text(encoding="utf-8", errors="replace"):
            target.unlink()
            compiled = target.parent / "__pycache__"
            for stale in compiled.glob(f"{source.stem}.*.pyc"):
                stale.unlink()
            state = "removed"
        else:
            state = "foreign"
        results.append(InstalledFile(source.stem, folder, target, state, _version_of(target)))
    return results


def status(userdir: Path) -> list[InstalledFile]:
    """How each plugin file stands in ``userdir``: current, outdated, missing or foreign."""
    results: list[InstalledFile] = []
    for folder, source in shipped_files():
        target = userdir / "plugins" / folder / source.name
        if not target.exists():
            state = "missing"
        elif filecmp.cmp(source, target, shallow=False):
            state = "current"
        elif OWN_MARKER in target.read_text(encoding="utf-8", errors="replace"):
            state = "outdated"
        else:
            state = "foreign"
        results.append(InstalledFile(source.stem, folder, target, state, _version_of(target)))
    return results


def find_pyload_python() -> Path:
    """The interpreter of the ``pyload`` command on PATH, else the one running this code."""
    command = shutil.which("pyload")
    if command:
        try:
            with Path(command).open("rb") as fp:
                first = fp.readline().decode("utf-8", "replace").strip()
        except OSError:
            first = ""
        if first.startswith("#!"):
            interpreter = first[2:].strip().split()[0]
            if Path(interpreter).name != "env" and Path(interpreter).exists():
                return Path(interpreter)
        sibling = Path(command).parent / "python"
        if sibling.exists():
            return sibling
    return Path(sys.executable)


def check_python(python: Path) -> PythonCheck:
    """Whether ``python`` can import ``offcloud_api`` (and which version it gets)."""
    probe = "import offcloud_api, sys; sys.stdout.write(offcloud_api.__version__)"
    try:
        done = subprocess.run(  # noqa: S603 - a fixed probe run by the given interpreter
            [str(python), "-c", probe], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return PythonCheck(python, False, f"could not run {python}: {exc}")
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return PythonCheck(python, False, last)
    return PythonCheck(python, True, f"offcloud_api {done.stdout.strip()}")
