"""Faults: ways to make the simulated Offcloud misbehave on purpose.

Two families:

* request faults change how matching requests are answered: ``rate_limit`` (429 with
  Retry-After), ``server_error`` (5xx with an HTML page), ``truncated_json`` (the right JSON cut
  in half, with a matching Content-Length), ``reset`` (the connection is reset mid-answer),
  ``delay`` (the answer comes late), and for file downloads ``ip_changed`` ("You are not
  authorized to download this file.") and ``range_error`` (416 or 503 on a Range request);
* state faults change the simulated world while they are active: ``link_offline``,
  ``link_error`` (an Offcloud error text for a link, see :data:`ERROR_PRESETS`), ``job_error``
  (a job ends in error) and ``revoke_key`` (a key stops working). Removing the fault undoes it.

Faults come from the scenario (``faults``), from ``POST /_sim/faults`` and from
:meth:`Simulator.inject <offcloud_api.simulator.Simulator.inject>`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Optional

__all__ = [
    "ERROR_PRESETS",
    "FAULT_KINDS",
    "REQUEST_FAULTS",
    "STATE_FAULTS",
    "Fault",
    "FaultError",
    "FaultSet",
]

REQUEST_FAULTS = frozenset(
    {"rate_limit", "server_error", "truncated_json", "reset", "delay", "ip_changed", "range_error"}
)
STATE_FAULTS = frozenset({"link_offline", "link_error", "job_error", "revoke_key"})
FAULT_KINDS = REQUEST_FAULTS | STATE_FAULTS
#: Request faults that only make sense for file downloads.
FILE_FAULTS = frozenset({"ip_changed", "range_error"})

#: Offcloud's own error texts (docs/offcloud-api.md §4.1), by a short name. ``{host}`` is filled in.
ERROR_PRESETS: Mapping[str, str] = {
    "offline": "The file is not available on the server.",
    "cloud_only": "We are sorry but {host} links are supported only via Cloud downloading.",
    "quota": "Premium account quota for {host} exceeded today. Please try to download again later.",
    "daily_quota": "You have exceeded your daily quota for {host}.",
    "ip_not_registered": (
        "IP address needs to be registered. Check your email for further information."
    ),
    "unregistered_ip": "Unregistered IP address detected.",
    "temporarily_disabled": (
        "The supported site is temporarily disabled. We are working to resolve the problem "
        "quickly. Please try again later. Sorry for the inconvenience."
    ),
    "no_premium_accounts": "NOPREMIUMACCOUNTS",
    "user_not_authorized": "User not authorized",
    "not_allowed": "User is not allowed this operation.",
    "purchase_addon": "Purchase a premium downloading addon to continue with this operation.",
    "networking": "There is a networking issue. Please contact our support to get some help.",
    "download_error": "File will not be downloaded due to an error.",
    "incorrect_url": "Incorrect url",
    "temporary": "Temporary error",
    "not_authorized_file": "You are not authorized to download this file.",
}


class FaultError(ValueError):
    """A fault description that cannot be used; the message says why."""


@dataclass
class Fault:
    """One fault. Which fields matter depends on ``kind`` (see SCENARIO.md, "faults").

    ``count`` is how many matching requests it affects (``None``: until removed) after letting
    ``skip`` matching requests through. ``path`` limits a request fault to paths starting with it;
    without it a request fault hits API calls only (``ip_changed`` and ``range_error``: file
    downloads only).
    """

    kind: str
    path: Optional[str] = None
    count: Optional[int] = None
    skip: int = 0
    status: Optional[int] = None
    retry_after: Optional[float] = None
    delay: float = 0.0
    link: Optional[str] = None
    request_id: Optional[str] = None
    message: Optional[str] = None
    route: Optional[str] = None
    key: Optional[str] = None
    retry_succeeds: bool = True
    id: str = ""
    hits: int = 0
    #: Simulated time at which the fault became active (set by the state).
    since: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise FaultError(
                f"unknown fault kind {self.kind!r} (known: {', '.join(sorted(FAULT_KINDS))})"
            )
        if self.count is not None and self.count < 1:
            raise FaultError("count must be at least 1 (or null for no limit)")
        if self.skip < 0 or self.delay < 0:
            raise FaultError("skip and delay cannot be negative")
        if self.kind in ("link_offline", "link_error") and not self.link:
            raise FaultError(f"{self.kind} needs link")
        if self.kind == "link_error" and not self.message:
            raise FaultError("link_error needs message (a text or a preset name)")
        if self.kind == "job_error" and not (self.link or self.request_id):
            raise FaultError("job_error needs link or request_id")
        if self.kind == "delay" and self.delay <= 0:
            raise FaultError("delay needs delay (seconds)")
        if self.route not in (None, "instant", "cloud"):
            raise FaultError("route must be instant or cloud")
        if self.message is not None and self.message in ERROR_PRESETS:
            self.message = ERROR_PRESETS[self.message]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fault:
        known = {f.name for f in fields(cls)} - {"hits", "since"}
        unknown = set(data) - known
        if unknown:
            raise FaultError(f"unknown fault field(s) {', '.join(sorted(unknown))}")
        if not isinstance(data.get("kind"), str):
            raise FaultError("a fault needs kind")
        values = dict(data)
        try:
            for name in ("count", "skip", "status"):
                if values.get(name) is not None:
                    values[name] = int(values[name])
            for name in ("retry_after", "delay"):
                if values.get(name) is not None:
                    values[name] = float(values[name])
        except (TypeError, ValueError) as exc:
            raise FaultError(f"bad number in fault: {exc}") from None
        return cls(**values)

    @property
    def is_request_fault(self) -> bool:
        return self.kind in REQUEST_FAULTS

    def applies_to(self, kind: str, path: str, has_range: bool) -> bool:
        """Whether a request of ``kind`` (``api``/``file``) at ``path`` is in scope."""
        if not self.is_request_fault:
            return False
        if self.kind in FILE_FAULTS:
            if kind != "file" or (self.kind == "range_error" and not has_range):
                return False
        elif self.path is None and kind != "api":
            return False
        return self.path is None or path.startswith(self.path)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class FaultSet:
    """The active faults, in the order they were added."""

    _faults: list[Fault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _counter: int = 0

    def add(self, fault: Fault, now: float) -> Fault:
        with self._lock:
            self._counter += 1
            fault.id = fault.id or f"fault-{self._counter}"
            fault.since = now
            self._faults.append(fault)
        return fault

    def remove(self, fault_id: str) -> bool:
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if f.id != fault_id]
            return len(self._faults) != before

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def snapshot(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def active(self, kind: str) -> list[Fault]:
        """State faults of one kind."""
        with self._lock:
            return [f for f in self._faults if f.kind == kind]

    def take(self, kind: str, path: str, has_range: bool) -> list[Fault]:
        """The request faults that fire for this request, counted as used.

        Every matching ``delay`` fires; of the others only the first that matches.
        """
        fired: list[Fault] = []
        answer_taken = False
        with self._lock:
            for fault in list(self._faults):
                if not fault.applies_to(kind, path, has_range):
                    continue
                if fault.kind != "delay" and answer_taken:
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                fault.hits += 1
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                fired.append(fault)
                answer_taken = answer_taken or fault.kind != "delay"
        return fired
