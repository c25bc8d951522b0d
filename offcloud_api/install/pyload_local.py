"""The pyLoad on this machine, seen from outside: which Python runs it, whether a process of it is
alive, and its config files (``pyload.cfg``, ``plugins.cfg``).

Only the standard library; this module does not import pyLoad. The installer and the login use
it, and so does the test and demo harness (:mod:`offcloud_api.harness.runner`).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any, Optional

__all__ = [
    "PyloadError",
    "PyloadNotFoundError",
    "find_pyload_python",
    "get_cfg_option",
    "pid_alive",
    "set_cfg_option",
]


class PyloadError(RuntimeError):
    """Base class of the errors about a pyLoad: finding it, starting it, calling its web API."""


class PyloadNotFoundError(PyloadError):
    """No Python interpreter with pyLoad installed was found."""


# --------------------------------------------------------------------------------------------
# the interpreter and the process


def find_pyload_python() -> Path:
    """The Python interpreter that runs pyLoad.

    The current interpreter when it can import ``pyload``; otherwise the interpreter named in the
    shebang of the ``pyload`` console script on ``PATH``.
    """
    if importlib.util.find_spec("pyload") is not None:
        return Path(sys.executable)
    script = shutil.which("pyload")
    if script is None:
        raise PyloadNotFoundError(
            f"pyLoad is not installed: {sys.executable} cannot import 'pyload' and there is no "
            "'pyload' command on PATH (pip install pyload-ng==0.5.0b3.dev101)"
        )
    interpreter = _shebang_interpreter(Path(script))
    if interpreter is None:
        raise PyloadNotFoundError(f"cannot tell which Python runs {script}: no usable shebang line")
    return interpreter


def _shebang_interpreter(script: Path) -> Optional[Path]:
    try:
        with script.open("rb") as fh:
            first = fh.readline(4096).decode("utf-8", "replace").strip()
    except OSError:
        return None
    if not first.startswith("#!"):
        return None
    words = first[2:].split()
    if not words:
        return None
    if Path(words[0]).name == "env":
        # "#!/usr/bin/env [-S] python3 ..."
        names = [w for w in words[1:] if not w.startswith("-") and "=" not in w]
        if not names:
            return None
        found = shutil.which(names[0])
        return Path(found) if found else None
    candidate = Path(words[0])
    return candidate if candidate.exists() else None


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs (on this system)."""
    if os.name != "posix":  # pragma: no cover - os.kill(pid, 0) would terminate it on Windows
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --------------------------------------------------------------------------------------------
# pyload.cfg / plugins.cfg editing (only while pyLoad is not running)

_SECTION_RE = re.compile(r'^(?P<name>\S.*?)\s+-\s+"(?P<desc>.*)":\s*$')


def _option_re(option: str) -> re.Pattern[str]:
    return re.compile(
        r"^(?P<head>\s+(?P<type>.+?)\s+)" + re.escape(option) + r'(?P<mid>\s*:\s*".*?"\s*=)'
        r"(?P<value>.*)$"
    )


def _format_cfg_value(typ: str, value: Any, where: str) -> str:
    if isinstance(value, bool):
        text = "True" if value else "False"
    elif isinstance(value, (int, float, str)):
        text = str(value)
    else:
        raise TypeError(f"{where}: only str, int, float and bool values can be written")
    if "\n" in text or "\r" in text:
        raise ValueError(f"{where}: value must be a single line")
    if typ == "int":
        try:
            int(text)
        except ValueError:
            raise ValueError(f"{where}: {text!r} is not an int") from None
    elif typ == "bool" and text.lower() not in ("true", "false", "1", "0", "on", "off"):
        raise ValueError(f"{where}: {text!r} is not a bool")
    elif ";" in typ and text not in typ.split(";"):
        raise ValueError(f"{where}: {text!r} is not one of {typ.split(';')}")
    return text


def set_cfg_option(path: Path, section: str, option: str, value: Any) -> None:
    """Set ``section.option`` in a pyLoad config file (``pyload.cfg`` or ``plugins.cfg``).

    The file has ``<section> - "<description>":`` lines followed by tab-indented
    ``<type> <option> : "<description>" = <value>`` lines. Only the value is replaced; the line
    must already exist. List values are not supported.
    """
    where = f"{path.name}: {section}.{option}"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    option_re = _option_re(option)
    current: Optional[str] = None
    sections: list[str] = []
    options: list[str] = []
    hit: Optional[int] = None
    for index, line in enumerate(lines):
        head = _SECTION_RE.match(line.rstrip("\r\n"))
        if head is not None and not line[:1].isspace():
            current = head.group("name")
            sections.append(current)
            continue
        if current != section:
            continue
        match = option_re.match(line.rstrip("\r\n"))
        if match is None:
            words = line.split(":", 1)[0].split()
            if words:
                options.append(words[-1])
            continue
        if hit is not None:
            raise ValueError(f"{where}: option appears twice")
        hit = index
    if section not in sections:
        raise KeyError(f"{where}: no such section (sections: {', '.join(sorted(sections))})")
    if hit is None:
        raise KeyError(f"{where}: no such option (options: {', '.join(sorted(options))})")
    line = lines[hit]
    ending = line[len(line.rstrip("\r\n")) :]
    match = option_re.match(line.rstrip("\r\n"))
    assert match is not None  # noqa: S101 - matched above
    if match.group("value").strip().startswith("["):
        raise ValueError(f"{where}: list values are not supported")
    text = _format_cfg_value(match.group("type").strip(), value, where)
    lines[hit] = f"{match.group('head')}{option}{match.group('mid')} {text}{ending}"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(lines), encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)


def get_cfg_option(path: Path, section: str, option: str) -> str:
    """The raw text of ``section.option`` in a pyLoad config file."""
    current: Optional[str] = None
    option_re = _option_re(option)
    for line in path.read_text(encoding="utf-8").splitlines():
        head = _SECTION_RE.match(line)
        if head is not None and not line[:1].isspace():
            current = head.group("name")
        elif current == section:
            match = option_re.match(line)
            if match is not None:
                return match.group("value").strip()
    raise KeyError(f"{path.name}: {section}.{option} not found")
