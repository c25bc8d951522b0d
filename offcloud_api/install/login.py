"""``offcloud pyload login``: put an Offcloud login (a device-flow token) into a pyLoad.

pyLoad keeps its accounts in ``<userdir>/settings/accounts.cfg`` (pyload-ng 0.5's
``AccountManager``: a ``version: 1`` line, then per account plugin a ``Name:`` line and one
``<tab>login:password`` line per account, ``:`` written as ``\\x3a``; mode 0600). It reads that
file once, when it starts, and writes it whole from memory whenever an account changes. So there
are two ways in, and this module takes the one that fits:

* **pyLoad is not running** on that user folder: :class:`AccountsFile` adds or updates the line
  in ``accounts.cfg`` (atomically, mode 0600, keeping the file's owner and every other line);
  pyLoad loads the account when it next starts.
* **pyLoad is running**: an edit of the file would be lost (pyLoad writes it from memory) and not
  seen until a restart, so :class:`PyloadWeb` calls pyLoad's own API instead,
  ``POST /api/update_account {plugin, account, password}`` with an API key of that pyLoad
  (``X-API-Key``; made under Settings → Users → Manage API Keys). pyLoad logs the account in at
  once, saves ``accounts.cfg`` itself, and ``GET /api/get_accounts`` shows the result.

Whether a pyLoad runs on a user folder is read from the note our plugins leave when pyLoad loads
them (``plugins/offcloud_lib/loaded.json``: pid and host): a live pid on this host means running.
A pyLoad in a container cannot be seen from outside it; stop the container first, or use its API.

The password of the account is the token: it goes only into the file or the request body, never
into a URL, a log line, a process argument or an error message.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import socket
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Optional

from .pyload_local import pid_alive
from .webapi import WEB_TIMEOUT, PyloadApiError, PyloadWebApi

__all__ = [
    "ACCOUNTS_FILE",
    "ACCOUNTS_VERSION",
    "PLUGIN",
    "AccountsFile",
    "PyloadLoginError",
    "PyloadWeb",
    "plugins_installed",
    "running_pid",
]

log = logging.getLogger(__name__)

#: Our account plugin (offcloud_api.harness.stack.PLUGIN).
PLUGIN = "OffcloudCom"
#: Where pyLoad keeps its accounts, under the user folder.
ACCOUNTS_FILE = Path("settings") / "accounts.cfg"
#: The format pyLoad's AccountManager reads (it wipes a file with an older one).
ACCOUNTS_VERSION = 1
#: Written by our plugins when pyLoad loads them (offcloud_api.pyload.runtime).
LOADED_NOTE = Path("plugins") / "offcloud_lib" / "loaded.json"
_VERSION_LINE = re.compile(r"^version\s*:\s*(\d+)\s*$")


class PyloadLoginError(Exception):
    """The account could not be put into pyLoad; the message says why and what to do."""


def plugins_installed(userdir: Path) -> bool:
    """Whether our account plugin is in ``userdir`` (pyLoad drops accounts of unknown plugins)."""
    return (userdir / "plugins" / "accounts" / f"{PLUGIN}.py").is_file()


def running_pid(userdir: Path) -> Optional[int]:
    """The pid of a pyLoad running on ``userdir`` on this host, from our plugins' load note."""
    try:
        note = json.loads((userdir / LOADED_NOTE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(note, dict) or note.get("host") != socket.gethostname():
        return None
    pid = note.get("pid")
    if isinstance(pid, int) and not isinstance(pid, bool) and pid > 0 and pid_alive(pid):
        return pid
    return None


# --------------------------------------------------------------------------------------------
# pyLoad stopped: its accounts.cfg


def _escape(text: str) -> str:
    return text.replace(":", r"\x3a")


def _unescape(text: str) -> str:
    return text.replace(r"\x3a", ":")


def _check_field(value: str, what: str) -> None:
    """pyLoad reads the file line by line, stripped: a value must survive that unchanged."""
    if not value or value != value.strip() or any(c in value for c in "\r\n\t"):
        raise PyloadLoginError(f"the {what} must be one line without surrounding spaces")
    if what == "login" and value[0] in "#@":
        raise PyloadLoginError("a pyLoad login cannot start with '#' or '@'")


class AccountsFile:
    """``<userdir>/settings/accounts.cfg``, read and edited the way pyLoad's AccountManager
    reads it."""

    def __init__(self, userdir: Path) -> None:
        self.path = userdir / ACCOUNTS_FILE

    def _lines(self) -> list[str]:
        """The file's lines, after checking its version; none if there is no file yet."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError) as exc:
            raise PyloadLoginError(f"cannot read {self.path}: {exc}") from None
        lines = text.splitlines(keepends=True)
        if not lines:
            return []
        match = _VERSION_LINE.match(lines[0].strip())
        if match is None or int(match.group(1)) != ACCOUNTS_VERSION:
            raise PyloadLoginError(
                f"{self.path} does not start with 'version: {ACCOUNTS_VERSION}': not the "
                "accounts format of the pyLoad this supports; add the account in pyLoad instead"
            )
        return lines

    def logins(self, plugin: str = PLUGIN) -> list[str]:
        """The logins of ``plugin``'s accounts, in file order."""
        found: list[str] = []
        current = None
        for line in self._lines()[1:]:
            kind, value = _classify(line)
            if kind == "plugin":
                current = value
            elif kind == "account" and current == plugin:
                found.append(value)
        return found

    def set_account(self, login: str, password: str, plugin: str = PLUGIN) -> bool:
        """Add the account, or give an existing login this password; True if it was added.

        Every other line (other plugins' accounts, options) stays as it was.
        """
        _check_field(login, "login")
        _check_field(password, "password")
        entry = f"\t{_escape(login)}:{_escape(password)}\n"
        lines = self._lines() or [f"version: {ACCOUNTS_VERSION}\n"]
        if not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        current = None
        section_end: Optional[int] = None  # after the last line of the plugin's section
        replaced = False
        for index, line in enumerate(lines[1:], start=1):
            kind, value = _classify(line)
            if kind == "plugin":
                current = value
                if value == plugin:
                    section_end = index + 1
                continue
            if current != plugin:
                continue
            if kind == "account" and value == login:  # every copy: pyLoad keeps the last
                lines[index] = entry
                replaced = True
            if line.strip():
                section_end = index + 1
        if not replaced:
            if section_end is None:
                lines += ["\n", f"{plugin}:\n", "\n", entry]
            else:
                lines[section_end:section_end] = ["\n", entry]
        self._write("".join(lines))
        return not replaced

    def _write(self, text: str) -> None:
        """Atomically, mode 0600, owned by whoever owned the file (or its folder) before."""
        folder = self.path.parent
        try:
            owner = self.path.stat() if self.path.exists() else folder.stat()
        except OSError:
            owner = None
        try:
            folder.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(prefix=".accounts.", dir=folder)
        except OSError as exc:
            raise PyloadLoginError(f"cannot write {self.path}: {exc.strerror}") from None
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            if owner is not None and hasattr(os, "chown"):
                with contextlib.suppress(OSError):  # only root may give a file away
                    os.chown(temporary, owner.st_uid, owner.st_gid)
            Path(temporary).replace(self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                Path(temporary).unlink()
            raise PyloadLoginError(f"cannot write {self.path}: {exc.strerror}") from None


def _classify(line: str) -> tuple[str, str]:
    """What pyLoad's AccountManager makes of a line: ``plugin``, ``account`` (the login),
    ``option``, or ``other`` (blank, comment, version)."""
    stripped = line.strip()
    if not stripped or stripped.startswith(("#", "version")):
        return "other", ""
    if stripped.endswith(":") and stripped.count(":") == 1:
        return "plugin", stripped[:-1]
    if stripped.startswith("@"):
        return "option", ""
    if ":" in stripped:
        return "account", _unescape(stripped.partition(":")[0])
    return "other", ""


# --------------------------------------------------------------------------------------------
# pyLoad running: its web API


class PyloadWeb:
    """A running pyLoad's HTTP API at ``url`` (its web address), with one of its API keys.

    Calls go through :class:`~offcloud_api.install.webapi.PyloadWebApi` (proxy settings of the
    environment apply as for any client); its errors come out as :class:`PyloadLoginError`.
    ``secrets`` (the token, the pyLoad key) are masked in every error message.
    """

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        timeout: float = WEB_TIMEOUT,
        secrets: Iterable[str] = (),
    ) -> None:
        try:
            self.api = PyloadWebApi(url, api_key, timeout=timeout, secrets=secrets)
        except PyloadApiError as exc:
            raise PyloadLoginError(str(exc)) from None
        self.url = self.api.url
        #: the client's own list: a secret added here is masked from then on
        self.secrets = self.api.secrets

    def __repr__(self) -> str:
        return f"PyloadWeb({self.url!r})"

    def call(self, method: str, name: str, **params: Any) -> Any:
        """``/api/<name>``: GET parameters in the query, POST ones as JSON; the decoded answer."""
        try:
            return self.api.call(method, name, **params)
        except PyloadApiError as exc:
            raise PyloadLoginError(str(exc)) from None

    def check(self) -> str:
        """pyLoad's version: proves the address and the key work, before anything else."""
        return str(self.call("GET", "get_server_version"))

    def accounts(self, plugin: str = PLUGIN) -> list[dict[str, Any]]:
        """pyLoad's view of ``plugin``'s accounts (login, valid, premium, validuntil...)."""
        found = self.call("GET", "get_accounts", refresh=False) or []
        return [a for a in found if isinstance(a, dict) and a.get("type") == plugin]

    def logins(self, plugin: str = PLUGIN) -> list[str]:
        return [str(a.get("login")) for a in self.accounts(plugin)]

    def set_account(self, login: str, password: str, plugin: str = PLUGIN) -> dict[str, Any]:
        """Add or update the account (pyLoad logs it in before answering); its state then."""
        _check_field(login, "login")
        _check_field(password, "password")
        self.call("POST", "update_account", plugin=plugin, account=login, password=password)
        for entry in self.accounts(plugin):
            if entry.get("login") == login:
                return entry
        raise PyloadLoginError(f"pyLoad at {self.url} took the account but does not list it")
