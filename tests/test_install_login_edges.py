"""``offcloud pyload login``'s parts on their edges: the loaded note, accounts.cfg, pyLoad's API."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from fakes import local_http_server

from offcloud_api.install import login
from offcloud_api.install.login import (
    ACCOUNTS_FILE,
    LOADED_NOTE,
    AccountsFile,
    PyloadLoginError,
    PyloadWeb,
    running_pid,
)

TOKEN = "ocat.token-value"


def _note(userdir: Path, value: Any) -> None:
    path = userdir / LOADED_NOTE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(value if isinstance(value, str) else json.dumps(value), encoding="utf-8")


def _accounts(userdir: Path, text: str) -> Path:
    path = userdir / ACCOUNTS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("note", "running"),
    [
        ({"pid": "self", "host": "this"}, True),
        ({"pid": "self", "host": "another-host.example"}, False),
        ({"pid": True, "host": "this"}, False),
        ({"pid": 0, "host": "this"}, False),
        ([1, 2], False),
        ("{not json", False),
    ],
)
def test_a_pyload_runs_on_the_folder_only_with_a_live_pid_on_this_host(tmp_path, note, running):
    if isinstance(note, dict):
        note = {
            "pid": os.getpid() if note["pid"] == "self" else note["pid"],
            "host": socket.gethostname() if note["host"] == "this" else note["host"],
        }
    _note(tmp_path, note)
    assert running_pid(tmp_path) == (os.getpid() if running else None)


def test_no_note_means_not_running(tmp_path):
    assert running_pid(tmp_path) is None


def test_an_accounts_path_that_cannot_be_read_is_a_clear_error(tmp_path):
    (tmp_path / ACCOUNTS_FILE).mkdir(parents=True)
    with pytest.raises(PyloadLoginError, match=r"cannot read .*accounts.cfg"):
        AccountsFile(tmp_path).logins()


def test_an_empty_accounts_file_has_no_logins_and_gets_the_version_line(tmp_path):
    path = _accounts(tmp_path, "")
    accounts = AccountsFile(tmp_path)
    assert accounts.logins() == []
    assert accounts.set_account("me@example.com", TOKEN) is True
    assert path.read_text(encoding="utf-8") == (
        f"version: 1\n\nOffcloudCom:\n\n\tme@example.com:{TOKEN}\n"
    )


def test_an_account_goes_into_the_plugins_section_among_options_and_other_lines(tmp_path):
    text = (
        "version: 1\n"
        "\n"
        "OffcloudCom:\n"
        "\t@limitdl 0\n"
        "\tfirst@example.com:old-token\n"
        "\ta line pyLoad skips\n"
        "\n"
        "OtherHoster:\n"
        "\tuser:pass"  # no final newline
    )
    path = _accounts(tmp_path, text)
    accounts = AccountsFile(tmp_path)
    assert accounts.logins() == ["first@example.com"]
    assert accounts.set_account("second@example.com", TOKEN) is True
    written = path.read_text(encoding="utf-8")
    assert written == (
        "version: 1\n"
        "\n"
        "OffcloudCom:\n"
        "\t@limitdl 0\n"
        "\tfirst@example.com:old-token\n"
        "\ta line pyLoad skips\n"
        "\n"
        f"\tsecond@example.com:{TOKEN}\n"
        "\n"
        "OtherHoster:\n"
        "\tuser:pass\n"
    )
    assert accounts.logins() == ["first@example.com", "second@example.com"]
    assert accounts.logins("OtherHoster") == ["user"]


def test_a_folder_where_no_file_can_be_made_is_a_clear_error(tmp_path, monkeypatch):
    def no_space(*_args: Any, **_kwargs: Any) -> Any:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(login.tempfile, "mkstemp", no_space)
    with pytest.raises(PyloadLoginError, match=r"cannot write .*: No space left on device"):
        AccountsFile(tmp_path).set_account("me@example.com", TOKEN)
    assert TOKEN not in str(list(tmp_path.rglob("*")))


def test_a_failed_replace_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = _accounts(tmp_path, "version: 1\n")

    def refuse(self: Path, target: Path) -> Path:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(Path, "replace", refuse)
    with pytest.raises(PyloadLoginError, match=r"cannot write .*: Read-only file system") as err:
        AccountsFile(tmp_path).set_account("me@example.com", TOKEN)
    assert TOKEN not in str(err.value)
    assert path.read_text(encoding="utf-8") == "version: 1\n"
    assert [p.name for p in path.parent.iterdir()] == ["accounts.cfg"]


class _ForgetfulPyload(BaseHTTPRequestHandler):
    """Takes update_account, but lists no account (as a pyLoad without our plugin would)."""

    def log_message(self, *args: Any) -> None:
        pass

    def _reply(self, value: Any) -> None:
        body = json.dumps(value).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._reply([{"type": "OtherHoster", "login": "x"}, "not-an-account"])

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._reply(None)


@pytest.fixture
def forgetful() -> Iterator[str]:
    with local_http_server(_ForgetfulPyload) as url:
        yield url


def test_an_account_pyload_takes_but_does_not_list_is_an_error(forgetful):
    web = PyloadWeb(forgetful, "pyload-key", secrets=[TOKEN])
    assert repr(web) == f"PyloadWeb({forgetful!r})"
    assert web.logins() == []
    with pytest.raises(PyloadLoginError, match="took the account but does not list it") as err:
        web.set_account("me@example.com", TOKEN)
    assert TOKEN not in str(err.value)


def test_a_bad_pyload_address_is_a_login_error():
    with pytest.raises(PyloadLoginError):
        PyloadWeb("ftp://example.com", "pyload-key")
