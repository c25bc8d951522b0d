"""offcloud_api.install.pyload_local: pyLoad's interpreter, live pids, its config files."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from offcloud_api.install import pyload_local
from offcloud_api.install.pyload_local import (
    PyloadError,
    PyloadNotFoundError,
    _shebang_interpreter,
    find_pyload_python,
    get_cfg_option,
    pid_alive,
    set_cfg_option,
)

CFG = """version: 2

general - "General":
\tbool debug_mode : "Debug mode" = True
\toff;on;on (using aia-chaser) ssl_verify : "Verify SSL certificates" = True
\tfolder storage_folder : "Download folder" = /x

proxy - "Proxy":
\tip host : "IP address" = localhost
\tint port : "Port" = 7070

webui - "Web Interface":
\tip host : "IP address" = localhost
\tint port : "Port" = 8000
\tstr prefix: "Path prefix" = /old
"""


def test_set_cfg_option_edits_only_the_value(tmp_path: Path) -> None:
    path = tmp_path / "pyload.cfg"
    path.write_text(CFG)
    set_cfg_option(path, "webui", "port", 18800)
    set_cfg_option(path, "webui", "host", "127.0.0.1")
    set_cfg_option(path, "general", "ssl_verify", "off")
    set_cfg_option(path, "general", "debug_mode", False)
    set_cfg_option(path, "webui", "prefix", "/pl")

    text = path.read_text()
    assert '\tint port : "Port" = 18800\n' in text
    assert '\tip host : "IP address" = 127.0.0.1\n' in text
    assert '\toff;on;on (using aia-chaser) ssl_verify : "Verify SSL certificates" = off\n' in text
    assert '\tbool debug_mode : "Debug mode" = False\n' in text
    assert '\tstr prefix: "Path prefix" = /pl\n' in text
    assert get_cfg_option(path, "proxy", "host") == "localhost"  # the other section untouched
    assert get_cfg_option(path, "proxy", "port") == "7070"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("section", "option", "value", "error"),
    [
        ("nosuch", "port", 1, KeyError),
        ("webui", "nosuch", 1, KeyError),
        ("webui", "port", "eighty", ValueError),
        ("general", "ssl_verify", "True", ValueError),
        ("general", "debug_mode", "maybe", ValueError),
        ("webui", "host", "a\nb", ValueError),
        ("webui", "host", ["a"], TypeError),
    ],
)
def test_set_cfg_option_refuses_bad_input(
    tmp_path: Path, section: str, option: str, value: object, error: type[Exception]
) -> None:
    path = tmp_path / "pyload.cfg"
    path.write_text(CFG)
    with pytest.raises(error):
        set_cfg_option(path, section, option, value)
    assert path.read_text() == CFG


def test_get_cfg_option_names_what_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "pyload.cfg"
    path.write_text(CFG)
    assert get_cfg_option(path, "webui", "prefix") == "/old"
    with pytest.raises(KeyError, match=r"webui\.nosuch"):
        get_cfg_option(path, "webui", "nosuch")


def test_set_cfg_option_refuses_a_doubled_option_or_a_list(tmp_path: Path) -> None:
    path = tmp_path / "pyload.cfg"
    doubled = CFG + '\tint port : "Port" = 9000\n'
    path.write_text(doubled)
    with pytest.raises(ValueError, match="twice"):
        set_cfg_option(path, "webui", "port", 1)
    listed = CFG + '\nlog - "Log":\n\tstr names : "Names" = ["a", "b"]\n'
    path.write_text(listed)
    with pytest.raises(ValueError, match="list values"):
        set_cfg_option(path, "log", "names", "c")
    assert path.read_text() == listed


def test_shebang_interpreter(tmp_path: Path) -> None:
    direct = tmp_path / "direct"
    direct.write_text(f"#!{sys.executable}\nimport sys\n")
    assert _shebang_interpreter(direct) == Path(sys.executable)
    via_env = tmp_path / "via_env"
    via_env.write_text("#!/usr/bin/env -S sh -e\n")
    found = _shebang_interpreter(via_env)
    assert found is not None
    assert found.name == "sh"
    nothing = tmp_path / "nothing"
    nothing.write_text("print('hi')\n")
    assert _shebang_interpreter(nothing) is None
    assert _shebang_interpreter(tmp_path / "missing") is None


def test_shebang_interpreter_without_a_usable_line(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("#!\n")
    assert _shebang_interpreter(empty) is None
    env_only = tmp_path / "env_only"
    env_only.write_text("#!/usr/bin/env -S\n")
    assert _shebang_interpreter(env_only) is None
    unknown = tmp_path / "unknown"
    unknown.write_text("#!/usr/bin/env no-such-interpreter-here\n")
    assert _shebang_interpreter(unknown) is None
    gone = tmp_path / "gone"
    gone.write_text(f"#!{tmp_path / 'no-python'}\n")
    assert _shebang_interpreter(gone) is None


def test_find_pyload_python_is_this_one_when_it_has_pyload() -> None:
    pytest.importorskip("pyload")
    assert find_pyload_python() == Path(sys.executable)


def test_find_pyload_python_reads_the_pyload_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pyload_local.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PyloadNotFoundError, match="pip install pyload-ng") as missing:
        find_pyload_python()
    assert isinstance(missing.value, PyloadError)

    script = tmp_path / "pyload"
    script.write_text("echo no shebang\n")
    script.chmod(0o755)
    with pytest.raises(PyloadNotFoundError, match="no usable shebang"):
        find_pyload_python()

    script.write_text(f"#!{sys.executable}\n")
    assert find_pyload_python() == Path(sys.executable)


@pytest.mark.skipif(os.name != "posix", reason="pid checks are POSIX only")
def test_pid_alive() -> None:
    assert pid_alive(os.getpid())
    assert pid_alive(1)  # init: alive, whether or not we may signal it
    assert not pid_alive(2**22 + 1)  # above Linux's largest pid_max: never a process
