"""Drive a real, headless pyLoad process: for end-to-end tests, the demo and the benchmark.

:class:`PyloadProcess` owns one pyLoad home directory and the process running on it::

    with PyloadProcess(tmp_path / "pl", proxy=("127.0.0.1", sim_port), ssl_verify=False) as pl:
        pl.start()
        pl.update_account("OffcloudCom", "me@example.com", "KEY")
        pl.wait_for_plugin("https://rapidgator.net/file/x", "OffcloudCom")
        pl.add_package("p", ["https://rapidgator.net/file/x"])
        files = pl.wait_for_files_done(60)

Layout of ``home``: ``userdir/`` (settings, DB, logs, plugins), ``tmp/`` (pyLoad's temp dir),
``downloads/`` (the storage dir; pyLoad silently ignores one inside the userdir),
``pyload.out`` (stdout and stderr of every run, appended), ``pyload.pid`` and ``apikey.txt``.

Everything goes over pyLoad's HTTP API (``X-API-Key``; the key is created once through the web
login and kept in ``apikey.txt``, it lives in pyLoad's DB so it survives restarts). Only the
standard library is used, this module does not import pyLoad, and proxy environment variables are
ignored for the connections to 127.0.0.1. They are also removed from pyLoad's own environment
unless ``inherit_proxy_env=True`` (libcurl would otherwise honour ``http_proxy``).

pyLoad facts this relies on (pyload-ng 0.5.0b3.dev101, see docs/pyload.md §5): the API
answers about 1.5 s after launch; ``/api/*`` is limited to 100 calls per minute per client IP
(HTTP 429 with ``Retry-After``), so the polling helpers ask at most once a second; and
``/api/restart`` re-spawns pyLoad under a new PID, so :meth:`PyloadProcess.restart` stops and
starts the process itself instead.
"""

from __future__ import annotations

import atexit
import contextlib
import enum
import logging
import os
import re
import signal
import socket
import subprocess
import time
import unicodedata
import weakref
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Callable, Optional

from ..install.pyload_local import (
    PyloadError,
    find_pyload_python,
    get_cfg_option,
    pid_alive,
    set_cfg_option,
)
from ..install.webapi import PyloadApiError, PyloadWebApi, RateBudget

if TYPE_CHECKING:
    from types import TracebackType

__all__ = [
    "ACTIVE_STATUSES",
    "DEFAULT_PASSWORD",
    "DEFAULT_USER",
    "FINAL_STATUSES",
    "STATUS_NAMES",
    "LinkStatus",
    "PyloadProcess",
    "PyloadStartError",
    "free_port",
]

log = logging.getLogger(__name__)

#: pyLoad's default web user, created with every new database.
DEFAULT_USER = "pyload"
DEFAULT_PASSWORD = "pyload"  # noqa: S105 - pyLoad's documented default, not a secret

_PROXY_ENV = ("http_proxy", "https_proxy", "ftp_proxy", "all_proxy", "no_proxy")
#: Names a coverage.py configuration: pyLoad started by the runner measures itself with it
#: (``COVERAGE_PROCESS_START`` in its environment only, not in the test process's).
PYLOAD_COVERAGE_ENV = "OFFCLOUD_PYLOAD_COVERAGE"
#: Calls per minute the runner allows itself (pyLoad refuses more than 100).
API_CALLS_PER_MINUTE = 95


class LinkStatus(enum.IntEnum):
    """A link's status code (``pyload.core.datatypes.enums.DownloadStatus``)."""

    FINISHED = 0
    OFFLINE = 1
    ONLINE = 2
    QUEUED = 3
    SKIPPED = 4
    WAITING = 5
    TEMPOFFLINE = 6
    STARTING = 7
    FAILED = 8
    ABORTED = 9
    DECRYPTING = 10
    CUSTOM = 11
    DOWNLOADING = 12
    PROCESSING = 13
    UNKNOWN = 14


#: The names pyLoad itself uses (``pyload.core.datatypes.pyfile.status_map``).
STATUS_NAMES: dict[int, str] = {
    0: "finished",
    1: "offline",
    2: "online",
    3: "queued",
    4: "skipped",
    5: "waiting",
    6: "temp. offline",
    7: "starting",
    8: "failed",
    9: "aborted",
    10: "decrypting",
    11: "custom",
    12: "downloading",
    13: "processing",
    14: "unknown",
}

#: States pyLoad leaves alone until a user acts: the set its DB keeps at start-up (every other
#: state becomes "aborted" there) and never hands to a download thread.
FINAL_STATUSES = frozenset({0, 1, 4, 6, 8, 9})
#: States with a thread working on the link, or about to.
ACTIVE_STATUSES = frozenset({5, 7, 10, 11, 12, 13})


class PyloadStartError(PyloadError):
    """pyLoad did not come up (exited, or its web API did not answer in time)."""


# --------------------------------------------------------------------------------------------
# module helpers


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_in_use(port: int) -> bool:
    """Whether something listens on 127.0.0.1:``port`` (TIME_WAIT leftovers do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        if os.name == "posix":
            # As pyLoad's server does; on Windows the flag would allow stealing a live port.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no output file)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty)"


def _secure_filename(name: str) -> str:
    """werkzeug's ``secure_filename``, which pyLoad applies to package folder names."""
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    for sep in (os.sep, os.path.altsep):
        if sep:
            name = name.replace(sep, " ")
    return re.sub(r"[^A-Za-z0-9_.-]", "", "_".join(name.split())).strip("._")


# --------------------------------------------------------------------------------------------
# the process controller

_LIVE: weakref.WeakSet[PyloadProcess] = weakref.WeakSet()


@atexit.register
def _kill_leftovers() -> None:  # pragma: no cover - safety net for interrupted runs
    for proc in list(_LIVE):
        with contextlib.suppress(Exception):
            proc.kill()


class PyloadProcess:
    """One pyLoad home directory and the pyLoad process running on it."""

    def __init__(
        self,
        home: Path,
        *,
        python: Optional[Path] = None,
        web_port: Optional[int] = None,
        proxy: Optional[tuple[str, int]] = None,
        ssl_verify: bool = True,
        extra_config: Optional[dict[tuple[str, str], Any]] = None,
        debug: bool = True,
        inherit_proxy_env: bool = False,
        http_timeout: float = 60.0,
    ) -> None:
        self.home = Path(home).absolute()
        self.userdir = self.home / "userdir"
        self.tempdir = self.home / "tmp"
        self.storagedir = self.home / "downloads"
        self.out_path = self.home / "pyload.out"
        self.pidfile = self.home / "pyload.pid"
        self.apikey_path = self.home / "apikey.txt"
        self.python = Path(python) if python is not None else find_pyload_python()
        self.web_port = web_port if web_port is not None else free_port()
        self.web_url = f"http://127.0.0.1:{self.web_port}"
        self.proxy = proxy
        self.ssl_verify = ssl_verify
        self.extra_config = dict(extra_config or {})
        self.debug = debug
        self.inherit_proxy_env = inherit_proxy_env
        #: keeps the API calls under pyLoad's rate limit (its window lives in the process)
        self.budget = RateBudget(API_CALLS_PER_MINUTE)
        #: the web API of this pyLoad; proxy settings of the environment do not apply
        self.web = PyloadWebApi(
            self.web_url,
            timeout=http_timeout,
            use_environment_proxy=False,
            budget=self.budget,
            rate_limit_wait=120.0,
        )
        self.starts = 0
        self._prepared = False
        self._last_returncode: Optional[int] = None
        self._proc: Optional[subprocess.Popen[bytes]] = None
        self._out: Optional[IO[bytes]] = None

    # ---- paths and state ---------------------------------------------------------------------

    @property
    def api_key(self) -> Optional[str]:
        """The API key in use (kept in ``apikey.txt``); None before the first start."""
        return self.web.api_key

    @api_key.setter
    def api_key(self, key: Optional[str]) -> None:
        self.web.api_key = key

    @property
    def http_timeout(self) -> float:
        """Seconds for one request to pyLoad's web API."""
        return self.web.timeout

    @http_timeout.setter
    def http_timeout(self, seconds: float) -> None:
        self.web.timeout = seconds

    @property
    def config_path(self) -> Path:
        return self.userdir / "settings" / "pyload.cfg"

    @property
    def plugin_config_path(self) -> Path:
        return self.userdir / "settings" / "plugins.cfg"

    @property
    def database_path(self) -> Path:
        return self.userdir / "data" / "pyload.db"

    @property
    def log_path(self) -> Path:
        return self.userdir / "logs" / "pyload.log"

    @property
    def pid(self) -> Optional[int]:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and _peek_returncode(self._proc) is None

    @property
    def returncode(self) -> Optional[int]:
        """The exit code of the last pyLoad process, None while it runs or before any start."""
        if self._proc is None:
            return self._last_returncode
        return _peek_returncode(self._proc)

    def __repr__(self) -> str:
        state = f"pid {self.pid}" if self.running else "stopped"
        return f"PyloadProcess({str(self.home)!r}, {self.web_url}, {state})"

    def _pyload_args(self) -> list[str]:
        return [
            str(self.python),
            "-m",
            "pyload",
            "--userdir",
            str(self.userdir),
            "--tempdir",
            str(self.tempdir),
            "--storagedir",
            str(self.storagedir),
        ]

    def _child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        env.pop("PYTHONSTARTUP", None)
        # Coverage of the code that runs inside pyLoad (./run test's gate): coverage.py starts
        # in the child from this configuration; the test process itself is measured by pytest.
        measured = env.get(PYLOAD_COVERAGE_ENV)
        if measured:
            env["COVERAGE_PROCESS_START"] = measured
        if not self.inherit_proxy_env:
            for name in _PROXY_ENV:
                env.pop(name, None)
                env.pop(name.upper(), None)
        return env

    def _note(self, text: str) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        with self.out_path.open("a", encoding="utf-8") as fh:
            fh.write(f"=== runner {stamp}: {text}\n")

    # ---- configuration -----------------------------------------------------------------------

    def prepare(self, *, dry_run: bool = False) -> None:
        """Create the home (``pyload --dry-run`` when there is no config yet, or when ``dry_run``)
        and write the settings: web UI on 127.0.0.1:``web_port``, the proxy, ``ssl_verify``,
        ``debug`` and ``extra_config``.

        Run it again with ``dry_run=True`` after installing plugins to have pyLoad write their
        sections into ``plugins.cfg`` (for :meth:`set_plugin_config`).
        """
        if self.running:
            raise PyloadError("prepare() needs pyLoad stopped; use set_config_value() instead")
        for folder in (self.userdir, self.tempdir, self.storagedir):
            folder.mkdir(parents=True, exist_ok=True)
        if not self.config_path.exists():
            # Seed the web address so even the dry run does not touch pyLoad's default port 8000
            # (another pyLoad may be starting there). pyLoad merges it with its defaults.
            self.config_path.parent.mkdir(parents=True, exist_ok=True)
            self.config_path.write_text(
                "version: 2\n\n"
                'webui - "Web Interface":\n'
                '\tip host : "IP address" = 127.0.0.1\n'
                f'\tint port : "Port" = {self.web_port}\n',
                encoding="utf-8",
            )
            self.config_path.chmod(0o600)
            dry_run = True
        if dry_run or not self.database_path.exists():
            self._dry_run()
        self.set_config("webui", "host", "127.0.0.1")
        self.set_config("webui", "port", self.web_port)
        if self.proxy is not None:
            host, port = self.proxy
            self.set_config("proxy", "enabled", True)
            self.set_config("proxy", "host", host)
            self.set_config("proxy", "port", port)
            self.set_config("proxy", "type", "http")
        else:
            self.set_config("proxy", "enabled", False)
        self.set_config("general", "ssl_verify", "on" if self.ssl_verify else "off")
        self.set_config("general", "debug_mode", self.debug)
        for (section, option), value in self.extra_config.items():
            self.set_config(section, option, value)
        self._prepared = True

    def _dry_run(self) -> None:
        self._note("pyload --dry-run")
        started = time.monotonic()
        with self.out_path.open("ab") as out:
            try:
                result = subprocess.run(  # noqa: S603 - fixed argv, no shell
                    # Always our own --pidfile: the default one is shared by every pyLoad on
                    # the machine (a second one refuses to start, and the first deletes it).
                    [*self._pyload_args(), "--pidfile", str(self.pidfile), "--dry-run"],
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=self.home,
                    env=self._child_env(),
                    timeout=120,
                    check=False,
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise PyloadStartError(f"cannot run {self.python} -m pyload: {exc}") from exc
        if result.returncode != 0 or not self.database_path.exists():
            raise PyloadStartError(
                f"'pyload --dry-run' failed (exit code {result.returncode}, "
                f"{time.monotonic() - started:.1f} s); last lines of {self.out_path}:\n"
                f"{_tail(self.out_path)}"
            )

    def set_config(self, section: str, option: str, value: Any) -> None:
        """Edit ``settings/pyload.cfg`` while pyLoad is stopped (see :meth:`set_config_value`)."""
        if self.running:
            raise PyloadError(
                "pyLoad is running and would overwrite pyload.cfg; use set_config_value()"
            )
        set_cfg_option(self.config_path, section, option, value)

    def set_plugin_config(self, plugin: str, option: str, value: Any) -> None:
        """Edit ``settings/plugins.cfg`` while pyLoad is stopped.

        A plugin's section exists once pyLoad has loaded the plugin (``prepare(dry_run=True)``
        after installing it).
        """
        if self.running:
            raise PyloadError(
                "pyLoad is running and would overwrite plugins.cfg; "
                "use set_config_value(..., plugin=True)"
            )
        set_cfg_option(self.plugin_config_path, plugin, option, value)

    def get_config(self, section: str, option: str) -> str:
        """The raw value of ``section.option`` in ``settings/pyload.cfg``."""
        return get_cfg_option(self.config_path, section, option)

    def package_folder(self, name: str) -> Path:
        """Where pyLoad stores the files of the package ``name`` (``folder_per_package`` on).

        Asks pyLoad for the package's folder when it is running and knows the package, else
        derives it the way pyLoad does.
        """
        if self.running:
            for pack in [*self.queue(), *self.collector()]:
                if pack.get("name") == name:
                    return self.storagedir / str(pack.get("folder") or "")
        folder = _secure_filename(name.replace("http://", "").replace("https://", ""))
        return self.storagedir / folder

    # ---- process lifecycle -------------------------------------------------------------------

    def start(self, timeout: float = 30) -> None:
        """Launch pyLoad, wait until its web API answers and make sure we hold an API key.

        The first start of this object runs :meth:`prepare` unless it already ran. pyLoad marks
        every link that was not in a final state as aborted when it starts (its DB does that), so
        after a restart queued links wait for :meth:`restart_file` or :meth:`restart_failed`.
        """
        if self.running:
            raise PyloadError(f"pyLoad is already running (pid {self.pid})")
        self._finish()  # reap a previous pyLoad that died on its own
        if not self._prepared or not self.database_path.exists():
            # Once per object: a restart keeps what set_config_value() changed meanwhile.
            self.prepare()
        else:
            self.set_config("webui", "host", "127.0.0.1")
            self.set_config("webui", "port", self.web_port)
        self._clear_stale_pidfile()
        if _port_in_use(self.web_port):
            raise PyloadStartError(
                f"cannot start pyLoad: port {self.web_port} on 127.0.0.1 is already in use"
            )
        self.starts += 1
        self._note(f"start #{self.starts} on {self.web_url}")
        self._out = self.out_path.open("ab")
        kwargs: dict[str, Any] = {}
        if os.name == "posix":
            kwargs["start_new_session"] = True  # its own process group: kill() reaches children
        started = time.monotonic()
        try:
            self._proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                [*self._pyload_args(), "--pidfile", str(self.pidfile)],
                stdin=subprocess.DEVNULL,
                stdout=self._out,
                stderr=subprocess.STDOUT,
                cwd=self.home,
                env=self._child_env(),
                **kwargs,
            )
        except OSError as exc:
            self._out.close()
            self._out = None
            raise PyloadStartError(f"cannot run {self.python} -m pyload: {exc}") from exc
        _LIVE.add(self)
        self.budget.calls.clear()  # pyLoad's rate limiter lives in the process
        try:
            self._wait_for_web(started, timeout)
            self._ensure_api_key()
        except BaseException:
            self.kill()
            raise
        log.info(
            "pyLoad pid %s answered on %s after %.1f s",
            self.pid,
            self.web_url,
            time.monotonic() - started,
        )

    def _wait_for_web(self, started: float, timeout: float) -> None:
        deadline = started + timeout
        last_error = "no answer yet"
        while True:
            code = _peek_returncode(self._proc) if self._proc is not None else None
            if code is not None:
                raise PyloadStartError(
                    f"pyLoad exited with code {code} during start-up; "
                    f"last lines of {self.out_path}:\n{_tail(self.out_path)}"
                )
            try:
                status, _, _ = self.web.request("GET", "/login", timeout=2)
            except OSError as exc:
                last_error = str(exc)
            else:
                if status == 200:
                    return
                last_error = f"HTTP {status}"
            if time.monotonic() >= deadline:
                raise PyloadStartError(
                    f"pyLoad did not answer on {self.web_url} within {timeout:g} s "
                    f"({last_error}); last lines of {self.out_path}:\n{_tail(self.out_path)}"
                )
            time.sleep(0.2)

    def _clear_stale_pidfile(self) -> None:
        try:
            pid = int(self.pidfile.read_text().strip() or 0)
        except (OSError, ValueError):
            pid = 0
        if pid and pid_alive(pid):
            raise PyloadStartError(
                f"another pyLoad (pid {pid}, from {self.pidfile}) is running on this home"
            )
        with contextlib.suppress(FileNotFoundError):
            self.pidfile.unlink()

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM (pyLoad shuts down cleanly), then SIGKILL after ``timeout`` seconds."""
        proc = self._proc
        if proc is None:
            return
        if _peek_returncode(proc) is None:
            self._note(f"stop pid {proc.pid}")
            proc.terminate()
            deadline = time.monotonic() + timeout
            while _peek_returncode(proc) is None:
                if time.monotonic() >= deadline:
                    log.warning(
                        "pyLoad pid %s ignored SIGTERM for %g s; killing it", proc.pid, timeout
                    )
                    self._note(f"SIGTERM timed out after {timeout:g} s, SIGKILL")
                    break
                time.sleep(0.05)
        self._finish()

    def kill(self) -> None:
        """SIGKILL pyLoad (and its process group) at once, as in a crash."""
        proc = self._proc
        if proc is None:
            return
        if _peek_returncode(proc) is None:
            self._note(f"kill pid {proc.pid}")
        self._finish()
        # A crash leaves the pid file behind; the pid is dead now, so it is safe to remove.
        with contextlib.suppress(FileNotFoundError):
            self.pidfile.unlink()

    def _finish(self) -> None:
        """SIGKILL whatever is left of the process group, then reap pyLoad."""
        proc = self._proc
        if proc is None:
            return
        if os.name == "posix" and proc.returncode is None:
            # Popen made the group (start_new_session); its id is pyLoad's pid, which stays
            # reserved until the wait() below reaps pyLoad, so this reaches only our processes.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        elif proc.poll() is None:
            proc.kill()
        self._last_returncode = proc.wait(10)
        if self._out is not None:
            self._out.close()
            self._out = None
        self._proc = None
        _LIVE.discard(self)

    def restart(self, timeout: float = 30) -> None:
        """Stop and start again (the same home, port and API key). Not ``/api/restart``."""
        self.stop()
        self.start(timeout)

    def __enter__(self) -> PyloadProcess:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.stop()

    # ---- HTTP --------------------------------------------------------------------------------

    def wait_for_api_budget(self, calls: int) -> None:
        """Wait until ``calls`` more API calls fit in pyLoad's rate limit without a pause.

        For measurements: the pause :meth:`api` makes at the limit must not fall inside one.
        """
        pause = self.budget.pause_for_room(calls)
        if pause > 0:
            time.sleep(pause)

    def api(self, method: str, name: str, /, **params: Any) -> Any:
        """Call ``/api/<name>``: GET parameters go in the query, POST ones as a JSON body.

        Returns the decoded JSON answer. Raises :class:`PyloadApiError` (with the status and the
        body) for any non-200 answer, after waiting out HTTP 429 as ``Retry-After`` asks.
        """
        if self.api_key is None:
            raise PyloadError("no API key yet: call start() first")
        try:
            return self.web.call(method, name, **params)
        except PyloadApiError as exc:
            raise self._explained(exc) from None

    def _explained(self, exc: PyloadApiError) -> PyloadApiError:
        """``exc``, saying whether pyLoad still runs when it did not answer at all."""
        if exc.status != 0:
            return exc
        state = "running" if self.running else f"not running (exit code {self.returncode})"
        return PyloadApiError(
            f"{exc}; pyLoad is {state}", method=exc.method, name=exc.name, body=exc.body
        )

    # ---- API key -----------------------------------------------------------------------------

    def _ensure_api_key(self) -> None:
        if self.api_key is None and self.apikey_path.exists():
            self.api_key = self.apikey_path.read_text(encoding="utf-8").strip() or None
        if self.api_key is not None and not _plausible_api_key(self.api_key):
            # pyLoad answers HTTP 500, not 401, to some malformed keys.
            log.info("stored pyLoad API key is malformed; creating a new one")
            self.api_key = None
        if self.api_key is not None:
            try:
                self.api("GET", "get_server_version")
            except PyloadApiError as exc:
                if exc.status != 401:
                    raise
                log.info("stored pyLoad API key refused; creating a new one")
                self.api_key = None
            else:
                return
        self.api_key = self.generate_api_key()
        self.apikey_path.write_text(self.api_key + "\n", encoding="utf-8")
        self.apikey_path.chmod(0o600)

    def generate_api_key(
        self, user: str = DEFAULT_USER, password: str = DEFAULT_PASSWORD, name: str = "runner"
    ) -> str:
        """Create an API key: web login (with its CSRF token), then ``/json/generate_apikey``."""
        return self.web.generate_api_key(user, password, name)

    # ---- API wrappers ------------------------------------------------------------------------

    def server_version(self) -> str:
        return str(self.api("GET", "get_server_version"))

    def status_server(self) -> dict[str, Any]:
        return dict(self.api("GET", "status_server"))

    def update_account(
        self,
        plugin: str,
        login: str,
        password: str,
        options: Optional[dict[str, Any]] = None,
    ) -> None:
        """Add or update an account; pyLoad logs in and fetches its info before answering."""
        params: dict[str, Any] = {"plugin": plugin, "account": login, "password": password}
        if options:
            params["options"] = options
        self.api("POST", "update_account", **params)

    def remove_account(self, plugin: str, login: str) -> None:
        self.api("POST", "remove_account", plugin=plugin, account=login)

    def get_accounts(self, refresh: bool = False) -> list[dict[str, Any]]:
        return list(self.api("GET", "get_accounts", refresh=refresh))

    def check_urls(self, urls: list[str]) -> dict[str, list[str]]:
        """Which plugin pyLoad would give each URL: ``{plugin: [urls]}``."""
        return dict(self.api("POST", "check_urls", urls=urls))

    def plugin_for(self, url: str) -> Optional[str]:
        for plugin, urls in self.check_urls([url]).items():
            if url in urls:
                return plugin
        return None

    def wait_for_plugin(self, url: str, plugin: str, timeout: float = 30) -> None:
        """Poll ``check_urls`` (1 Hz) until ``url`` maps to ``plugin``.

        A multi-hoster's list is loaded a few seconds after its account is added; links added
        before that keep the plugin they matched then.
        """
        seen: list[Optional[str]] = []

        def matched(pl: PyloadProcess) -> bool:
            current = pl.plugin_for(url)
            seen.append(current)
            return current == plugin

        try:
            self.wait_until(matched, timeout, summary=False)
        except TimeoutError as exc:
            raise TimeoutError(
                f"{url} still maps to {seen[-1] if seen else None!r}, not {plugin!r}, "
                f"after {timeout:g} s\n{exc}"
            ) from None

    def add_package(self, name: str, links: list[str], *, queue: bool = True) -> int:
        """Add a package (to the queue, or the link collector) and return its id."""
        return int(self.api("POST", "add_package", name=name, links=links, dest=1 if queue else 0))

    def upload_container(self, filename: str, data: bytes, *, queue: bool = True) -> None:
        """Upload a container (.torrent, .dlc, ...) as the web UI does.

        pyLoad saves it as ``<tempdir>/upload/tmp_<filename>`` and adds a package named by that
        path, holding that path as its one link.
        """
        if self.api_key is None:
            raise PyloadError("no API key yet: call start() first")
        try:
            fields = {"filename": filename, "dest": 1 if queue else 0}
            self.web.upload("upload_container", fields, filename, data)
        except PyloadApiError as exc:
            raise self._explained(exc) from None

    def queue(self) -> list[dict[str, Any]]:
        """``/api/get_queue_data``: the queue's packages, each with its ``links``."""
        return list(self.api("GET", "get_queue_data"))

    def collector(self) -> list[dict[str, Any]]:
        """``/api/get_collector_data``: the link collector's packages with their ``links``."""
        return list(self.api("GET", "get_collector_data"))

    def files(self, *, collector: bool = False) -> list[dict[str, Any]]:
        """Every link of the queue (and the collector, if asked), flattened.

        Keys: ``fid``, ``url``, ``name``, ``size``, ``plugin``, ``status`` (int),
        ``status_name`` (pyLoad's name for it), ``statusmsg`` (the UI text, a plugin's custom
        status included), ``error``, ``package_id``, ``package_name``, ``package_folder``,
        ``order``.
        """
        packs = self.queue() + (self.collector() if collector else [])
        result: list[dict[str, Any]] = []
        for pack in packs:
            for link in pack.get("links") or []:
                status = int(link.get("status", 14))
                result.append(
                    {
                        "fid": int(link["fid"]),
                        "url": link.get("url", ""),
                        "name": link.get("name", ""),
                        "size": int(link.get("size") or 0),
                        "plugin": link.get("plugin", ""),
                        "status": status,
                        "status_name": STATUS_NAMES.get(status, str(status)),
                        "statusmsg": link.get("statusmsg", ""),
                        "error": link.get("error", ""),
                        "package_id": int(pack["pid"]),
                        "package_name": pack.get("name", ""),
                        "package_folder": pack.get("folder", ""),
                        "order": link.get("order"),
                    }
                )
        return result

    def file_data(self, file_id: int) -> dict[str, Any]:
        return dict(self.api("GET", "get_file_data", file_id=file_id))

    def package_data(self, package_id: int) -> dict[str, Any]:
        return dict(self.api("GET", "get_package_data", package_id=package_id))

    def status_downloads(self) -> list[dict[str, Any]]:
        """``/api/status_downloads``: the links a thread is working on right now."""
        return list(self.api("GET", "status_downloads"))

    def stop_downloads(self, file_ids: list[int]) -> None:
        """Abort these links (pyLoad answers once they are aborted, about 1 s)."""
        self.api("POST", "stop_downloads", file_ids=file_ids)

    def restart_file(self, file_id: int) -> None:
        self.api("POST", "restart_file", file_id=file_id)

    def restart_package(self, package_id: int) -> None:
        self.api("POST", "restart_package", package_id=package_id)

    def restart_failed(self) -> None:
        """Queue again every failed, aborted and temp. offline link."""
        self.api("POST", "restart_failed")

    def delete_packages(self, package_ids: list[int]) -> None:
        self.api("POST", "delete_packages", package_ids=package_ids)

    def pause(self) -> None:
        """Stop starting new downloads (running ones continue)."""
        self.api("POST", "pause_server")

    def unpause(self) -> None:
        self.api("POST", "unpause_server")

    def set_config_value(
        self, section: str, option: str, value: Any, *, plugin: bool = False
    ) -> None:
        """Change a setting in the running pyLoad (it applies at once and is saved).

        ``section`` is a ``pyload.cfg`` section (``proxy``, ``general``, ...) or, with
        ``plugin=True``, a plugin name. An unknown section or option gives HTTP 500. pyLoad casts
        the value to the option's type (``"on"``/``"off"`` for ``general.ssl_verify``).
        """
        self.api(
            "POST",
            "set_config_value",
            category=section,
            option=option,
            value=value,
            section="plugin" if plugin else "core",
        )

    def get_config_value(self, section: str, option: str, *, plugin: bool = False) -> Any:
        return self.api(
            "GET",
            "get_config_value",
            category=section,
            option=option,
            section="plugin" if plugin else "core",
        )

    # ---- waiting -----------------------------------------------------------------------------

    def wait_until(
        self,
        predicate: Callable[[PyloadProcess], bool],
        timeout: float,
        interval: float = 1.0,
        *,
        summary: bool = True,
    ) -> None:
        """Call ``predicate(self)`` every ``interval`` seconds until it is true.

        Raises :class:`TimeoutError` after ``timeout`` seconds, with the links' states and the
        end of ``pyload.out``; :class:`PyloadError` at once if pyLoad has exited.
        """
        deadline = time.monotonic() + timeout
        while True:
            if not self.running:
                raise PyloadError(
                    f"pyLoad is not running (exit code {self.returncode}); last lines of "
                    f"{self.out_path}:\n{_tail(self.out_path)}"
                )
            if predicate(self):
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            time.sleep(min(interval, remaining))
        raise TimeoutError(
            f"condition not met within {timeout:g} s\n"
            + (f"links:\n{self.describe_files()}\n" if summary else "")
            + f"last lines of {self.out_path}:\n{_tail(self.out_path)}"
        )

    def describe_files(self, limit: int = 20) -> str:
        """One line per link, for failure messages."""
        try:
            files = self.files()
        except PyloadError as exc:
            return f"  (unavailable: {exc})"
        if not files:
            return "  (no links in the queue)"
        lines = [
            f"  fid={f['fid']} package={f['package_name']!r} {f['status_name']}({f['status']}) "
            f"plugin={f['plugin']} name={f['name']!r} msg={f['statusmsg']!r} "
            f"error={f['error']!r}"
            for f in files[:limit]
        ]
        if len(files) > limit:
            lines.append(f"  ... and {len(files) - limit} more")
        return "\n".join(lines)

    def wait_for_files_done(
        self, timeout: float, *, expect_count: Optional[int] = None, interval: float = 1.0
    ) -> list[dict[str, Any]]:
        """Wait until every queued link is in a final state and return :meth:`files`.

        Final: finished, offline, skipped, temp. offline, failed, aborted (:data:`FINAL_STATUSES`).
        A link being decrypted is not final, and its package is replaced by the decrypted ones.
        With ``expect_count``, also wait until the queue holds exactly that many links.
        """
        result: list[dict[str, Any]] = []

        def done(pl: PyloadProcess) -> bool:
            nonlocal result
            result = pl.files()
            if expect_count is not None and len(result) != expect_count:
                return False
            return bool(result) and all(f["status"] in FINAL_STATUSES for f in result)

        self.wait_until(done, timeout, interval)
        return result

    # ---- artefacts ---------------------------------------------------------------------------

    def log_text(self) -> str:
        """pyLoad's log files (``userdir/logs``, rotated ones included) plus ``pyload.out``."""
        parts: list[str] = []
        logs = self.userdir / "logs"
        if logs.is_dir():
            parts.extend(
                path.read_text(encoding="utf-8", errors="replace")
                for path in sorted(p for p in logs.iterdir() if p.is_file())
            )
        if self.out_path.exists():
            parts.append(self.out_path.read_text(encoding="utf-8", errors="replace"))
        return "\n".join(parts)

    def database_bytes(self) -> bytes:
        """The raw bytes of ``userdir/data/pyload.db`` (plus its ``-wal``/``-journal`` files)."""
        chunks = []
        for suffix in ("", "-wal", "-journal"):
            path = self.database_path.with_name(self.database_path.name + suffix)
            if path.exists():
                chunks.append(path.read_bytes())
        return b"".join(chunks)

    def files_containing(self, needle: bytes, *, skip: tuple[str, ...] = ()) -> list[Path]:
        """Every file under ``home`` whose bytes contain ``needle`` (for secret-leak checks).

        ``skip`` holds file names to leave out, e.g. ``("accounts.cfg", "apikey.txt")``.
        """
        hits: list[Path] = []
        for path in sorted(self.home.rglob("*")):
            if not path.is_file() or path.name in skip:
                continue
            try:
                if needle in path.read_bytes():
                    hits.append(path)
            except OSError:
                continue
        return hits


def _peek_returncode(proc: subprocess.Popen[bytes]) -> Optional[int]:
    """``proc.poll()`` without reaping where the OS allows it (``waitid`` with ``WNOWAIT``).

    Until reaped, a dead child's pid (and so its process group id) cannot be reused, which keeps
    the ``killpg`` in :meth:`PyloadProcess._finish` safe.
    """
    if proc.returncode is not None:
        return proc.returncode
    waitid = getattr(os, "waitid", None)
    if waitid is None:  # pragma: no cover - macOS, Windows
        return proc.poll()
    try:
        info = waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:  # pragma: no cover - reaped elsewhere
        return proc.poll()
    if info is None:
        return None
    return int(info.si_status) if info.si_code == os.CLD_EXITED else -int(info.si_status)


def _plausible_api_key(key: str) -> bool:
    """pyLoad's key format: ``pl_`` + N (1-9) + an N-digit key id + 43 random characters."""
    if not re.fullmatch(r"pl_[1-9][0-9A-Za-z_-]+", key):
        return False
    digits = int(key[3])
    return len(key) == digits + 47 and key[4 : 4 + digits].isdigit()
