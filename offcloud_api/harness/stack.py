"""The whole thing on one machine: the simulator, a headless pyLoad with our plugins, the account.

Used by the demo, the end-to-end tests and the benchmark, so all three run what a user runs:
plugins installed by ``offcloud pyload install``, pyLoad reaching "offcloud.com" through its
proxy setting (the simulator answers ``CONNECT`` with TLS; pyLoad refuses loopback targets
otherwise, docs/pyload.md §4.3), and the account added through pyLoad's web API.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Optional

from .runner import PyloadProcess

__all__ = ["ACCOUNT_LOGIN", "PLUGIN", "OffcloudPyloadStack"]

log = logging.getLogger(__name__)

PLUGIN = "OffcloudCom"
#: The account login: free text for Offcloud (the key is the password). pyLoad masks the login in
#: its logs wherever it appears, so it must not be a word of a URL such as "offcloud".
ACCOUNT_LOGIN = "demo"
#: A link of a host without a pyLoad plugin: it maps to our downloader once the host list is in.
PROBE_URL = "https://example-hoster.test/file/plain.bin"


class OffcloudPyloadStack:
    """Start with :meth:`start`, stop with :meth:`stop` (or use ``with``).

    With ``real=True`` there is no simulator: pyLoad talks to offcloud.com with ``api_key``.
    """

    def __init__(
        self,
        home: Path,
        *,
        api_key: Optional[str] = None,
        scenario: Any = None,
        real: bool = False,
        web_port: Optional[int] = None,
        plugin_config: Optional[dict[str, Any]] = None,
        pyload_python: Optional[Path] = None,
    ) -> None:
        self.home = home.resolve()
        self.real = real
        self.scenario = scenario
        self.simulator: Any = None
        self._api_key = api_key
        self._web_port = web_port
        self.plugin_config = plugin_config or {}
        #: The Python that runs pyLoad (default: the pyload command's); the plugins are always
        #: installed by this environment's CLI, as a user runs it.
        self.pyload_python = pyload_python
        self.pyload: Optional[PyloadProcess] = None
        self.install_output = ""

    @property
    def api_key(self) -> str:
        if self._api_key is not None:
            return self._api_key
        from ..simulator import DEMO_API_KEY  # noqa: PLC0415 - the simulator only when used

        return DEMO_API_KEY

    @property
    def process(self) -> PyloadProcess:
        if self.pyload is None:
            raise RuntimeError("the stack is not started")
        return self.pyload

    def start(self, *, timeout: float = 60) -> OffcloudPyloadStack:
        self.home.mkdir(parents=True, exist_ok=True)
        proxy = None
        if not self.real:
            from ..simulator import Simulator  # noqa: PLC0415

            self.simulator = Simulator(self.scenario).start()
            proxy = ("127.0.0.1", self.simulator.port)
        self.pyload = PyloadProcess(
            self.home / "pyload",
            proxy=proxy,
            ssl_verify=self.real,
            web_port=self._web_port,
            python=self.pyload_python,
        )
        self.pyload.prepare()
        self._install_plugins()
        for option, value in self.plugin_config.items():
            self.pyload.set_plugin_config(PLUGIN, option, value)
        self.pyload.start(timeout=timeout)
        self.add_account(self.api_key)
        if not self.real:
            self.pyload.wait_for_plugin(PROBE_URL, PLUGIN, timeout=timeout)
        return self

    def _install_plugins(self) -> None:
        """``offcloud pyload install``, as the README tells users to run it."""
        command = [
            sys.executable,
            "-m",
            "offcloud_api.cli",
            "pyload",
            "install",
            "--userdir",
            str(self.process.userdir),
            "--python",
            str(self.process.python),
        ]
        done = subprocess.run(  # noqa: S603 - our own CLI with fixed arguments
            command, capture_output=True, text=True, timeout=120, check=False
        )
        self.install_output = done.stdout + done.stderr
        if done.returncode != 0:
            raise RuntimeError(f"offcloud pyload install failed:\n{self.install_output}")

    def add_account(self, api_key: str, login: str = ACCOUNT_LOGIN) -> dict[str, Any]:
        """Add (or update) the Offcloud account; return pyLoad's view of it."""
        self.process.update_account(PLUGIN, login, api_key)
        return self.account(login)

    def account(self, login: str = ACCOUNT_LOGIN) -> dict[str, Any]:
        for entry in self.process.get_accounts(refresh=False):
            if entry.get("type") == PLUGIN and entry.get("login") == login:
                return entry
        raise LookupError(f"no {PLUGIN} account {login!r} in pyLoad")

    def wait_for_files(
        self, timeout: float, *, expect_count: Optional[int] = None
    ) -> list[dict[str, Any]]:
        return self.process.wait_for_files_done(timeout, expect_count=expect_count)

    def stop(self) -> None:
        if self.pyload is not None:
            self.pyload.stop()
        if self.simulator is not None:
            self.simulator.stop()

    def restart_pyload(self, *, kill: bool = False) -> None:
        """Restart pyLoad (SIGKILL first with ``kill``); the simulator keeps its state."""
        started = time.monotonic()
        if kill:
            self.process.kill()
        else:
            self.process.stop()
        self.process.start()
        if not self.real:
            # Until the account has loaded the host list again, links of hosts with their own
            # pyLoad plugin would run that plugin instead of ours (docs/pyload.md §2.2).
            self.process.wait_for_plugin(PROBE_URL, PLUGIN, timeout=60)
        log.debug("pyLoad restarted in %.1f s", time.monotonic() - started)

    def __enter__(self) -> OffcloudPyloadStack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
