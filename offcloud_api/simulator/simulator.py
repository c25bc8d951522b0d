"""``Simulator``: a local, stateful Offcloud to run tests and demos against.

::

    with Simulator() as sim:                       # the packaged demo scenario
        api = OffcloudAPI(DEMO_API_KEY, base_url=sim.api_url)
        api.get_account_stats()
        sim.inject("rate_limit", count=1, retry_after=0)
        assert sim.calls[-1].key_location == "bearer"

``serve()`` runs one in the foreground (``offcloud simulate``).
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Optional, TextIO, Union

from .calllog import CallLog, CallRecord
from .faults import Fault
from .scenario import Scenario, ScenarioSource
from .scenario_fields import parse_size
from .scenario_loading import load_scenario
from .server import Backend, SimHTTPServer
from .state import SimState
from .tls import CertificateError

__all__ = ["Simulator", "serve"]

log = logging.getLogger(__name__)


class Simulator:
    """The simulated Offcloud on ``host:port`` (port 0 picks a free one), run in a thread.

    ``scenario`` is a :class:`Scenario`, a mapping, a path to a JSON (or YAML) file, or None for
    the packaged demo scenario.
    """

    def __init__(
        self, scenario: ScenarioSource = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.scenario: Scenario = load_scenario(scenario)
        self.host = host
        self._requested_port = port
        self.state = SimState(self.scenario)
        self.call_log = CallLog()
        self._backend = Backend(
            self.state, self.call_log, local_names={host, "127.0.0.1", "localhost", "::1"}
        )
        self._server: Optional[SimHTTPServer] = None
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "stopped"
        return f"Simulator({self.scenario.name!r}, {where})"

    # ----------------------------------------------------------------------------------------
    # lifecycle

    def start(self) -> Simulator:
        """Listen and serve in a background thread; returns ``self``."""
        with self._lock:
            if self._server is not None:
                return self
            if self._backend.tls_context is None and self._backend.tls_error is None:
                self._backend.prepare_tls()
            server = SimHTTPServer((self.host, self._requested_port), self._backend)
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.01},  # how fast stop() is noticed
                name=f"offcloud-simulator-{server.server_address[1]}",
                daemon=True,
            )
            thread.start()
            self._server, self._thread = server, thread
        log.debug("simulator %r listening on %s", self.scenario.name, self.url)
        return self

    def stop(self) -> None:
        """Stop serving, close every open connection and wait for the threads to end."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None:
            return
        server.stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        server.join_threads()
        if thread is not None:
            thread.join()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    # ----------------------------------------------------------------------------------------
    # addresses

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the simulator is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://HOST:PORT``: the simulator's own address."""
        return f"http://{self._url_host}:{self.port}"

    @property
    def api_url(self) -> str:
        """The base URL for clients that talk to the simulator directly."""
        return f"{self.url}/api"

    @property
    def proxy_url(self) -> str:
        """The same address, to be used as an HTTP(S) proxy for ``https://offcloud.com``."""
        return self.url

    @property
    def _url_host(self) -> str:
        host = self.host if self.host not in ("", "0.0.0.0") else "127.0.0.1"  # noqa: S104 - a comparison
        return f"[{host}]" if ":" in host else host

    @property
    def ca_cert_path(self) -> str:
        """The PEM file of the CA that signed the proxy's certificate (to verify TLS)."""
        if self._backend.certificate is None:
            self._backend.prepare_tls()
        if self._backend.certificate is None:
            raise CertificateError(self._backend.tls_error or "no certificate")
        return str(self._backend.certificate.ca_path)

    # ----------------------------------------------------------------------------------------
    # call log

    @property
    def calls(self) -> list[CallRecord]:
        """Every request answered so far, oldest first."""
        return self.call_log.snapshot()

    def api_calls(self) -> list[CallRecord]:
        """The calls to Offcloud's API and website routes (no files, tunnels or control)."""
        return [record for record in self.call_log.snapshot() if record.kind == "api"]

    def reset_calls(self) -> None:
        self.call_log.clear()

    # ----------------------------------------------------------------------------------------
    # control

    def inject(self, fault: Union[Fault, Mapping[str, Any], str], **params: Any) -> Fault:
        """Add a fault: a :class:`Fault`, a mapping, or a kind with its fields as keywords.

        ``sim.inject("rate_limit", count=2, retry_after=0)``; see SCENARIO.md for every kind.
        """
        if isinstance(fault, Fault):
            made = fault
        elif isinstance(fault, str):
            made = Fault.from_dict({"kind": fault, **params})
        else:
            made = Fault.from_dict({**fault, **params})
        return self.state.add_fault(made)

    @property
    def faults(self) -> list[Fault]:
        return self.state.faults.snapshot()

    def remove_fault(self, fault: Union[Fault, str]) -> bool:
        return self.state.faults.remove(fault.id if isinstance(fault, Fault) else fault)

    def clear_faults(self) -> None:
        self.state.faults.clear()

    def revoke_key(self, key: Optional[str] = None) -> Fault:
        """Make ``key`` (default: the first account's) invalid until the fault is removed."""
        return self.inject("revoke_key", key=key)

    def set_storage(
        self, storage_bytes: Union[int, str, None], account: Optional[str] = None
    ) -> None:
        """Set an account's cloud quota (L23; default: the first account); None: no cap.

        ``storage_bytes`` is bytes or a size such as ``"2.5 MiB"``; every cloud job the account
        holds counts against it, and an add that does not fit answers ``not_available: cloud``.
        """
        size = None if storage_bytes is None else parse_size(storage_bytes, "storage_bytes")
        self.state.set_storage(size, account)

    def storage(self, account: Optional[str] = None) -> dict[str, Any]:
        """``{"storage_bytes", "storage_used", "cloud_full_refusals"}`` of an account."""
        spec = self.scenario.account(account) if account else self.scenario.accounts[0]
        return self.state.storage_snapshot(spec)

    def advance(self, seconds: float) -> None:
        """Move the simulated clock ahead (jobs progress as if that time had passed)."""
        self.state.clock.advance(seconds)

    def reset(self) -> None:
        """Back to the scenario's start: jobs, faults, clock and call log."""
        self.state.reset()
        self.call_log.clear()


def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    scenario: Union[ScenarioSource, Path] = None,
    *,
    out: Optional[TextIO] = None,
    ready: Optional[threading.Event] = None,
    stop: Optional[threading.Event] = None,
) -> int:
    """Run a simulator in the foreground until Ctrl-C (or ``stop`` is set); returns 0.

    Prints where it listens, the demo keys and how to point a client or pyLoad at it.
    """
    stream = out if out is not None else sys.stdout
    simulator = Simulator(scenario, host=host, port=port).start()
    try:
        stream.write(_banner(simulator))
        stream.flush()
        if ready is not None:
            ready.set()
        waiter = stop if stop is not None else threading.Event()
        while not waiter.wait(0.5):
            pass
    except KeyboardInterrupt:
        stream.write("\nStopping the Offcloud simulator.\n")
    finally:
        simulator.stop()
    return 0


def _banner(simulator: Simulator) -> str:
    scenario = simulator.scenario
    lines = [
        f"Offcloud simulator ({scenario.name}) listening on {simulator.url}",
        "",
        "API keys:",
    ]
    for account in scenario.accounts:
        notes = []
        if not account.is_premium:
            notes.append("expired" if account.is_expired else "free")
        if not account.can_download:
            notes.append("cannot download")
        suffix = f"  ({', '.join(notes)})" if notes else "  (premium)"
        lines.append(f"  {account.key}  {account.email}{suffix}")
    try:
        ca_note = f"or trust {simulator.ca_cert_path}"
    except CertificateError as exc:
        ca_note = f"HTTPS proxying is off: {exc}"
    demo_key = scenario.accounts[0].key if scenario.accounts else "KEY"
    lines += [
        "",
        "Use it as the API base URL (downloads then come from this address too):",
        f"  OFFCLOUD_API_URL={simulator.api_url}",
        f"  curl -H 'Authorization: Bearer {demo_key}' {simulator.api_url}/account/info",
        "",
        "Or as an HTTP proxy for https://offcloud.com (what pyLoad needs):",
        f"  pyLoad: proxy on, type http, host 127.0.0.1, port {simulator.port}; ssl_verify off",
        (
            f"  curl --proxy {simulator.proxy_url} -k -H 'Authorization: Bearer {demo_key}' "
            "https://offcloud.com/api/account/info"
        ),
        f"  ({ca_note})",
        "",
        f"Control: {simulator.url}/_sim/calls, /_sim/state, POST /_sim/faults, POST /_sim/reset",
        "  (Host 127.0.0.1 or localhost only; POSTs as JSON:",
        f"  curl -X POST -H 'Content-Type: application/json' -d '{{}}' {simulator.url}/_sim/reset)",
        "Press Ctrl-C to stop.",
        "",
    ]
    return "\n".join(lines)
