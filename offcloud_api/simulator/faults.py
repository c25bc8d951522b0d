"""Faults: ways to make the simulated Offcloud misbehave on purpose.

Two families:

* request faults change how matching requests are answered: ``rate_limit`` (429 with
  Retry-After), ``server_error`` (5xx with an HTML page), ``truncated_json`` (the right JSON cut
  in half, with a matching Content-Length), ``reset`` (the connection is reset mid-answer),
  ``drop`` (reset before any answer, the request not acted on), ``delay`` (the answer comes
  late), and for file downloads ``ip_refused``/``ip_changed`` ("You are not authorized to
  download this file.", L24), ``range_error`` (416 or 503 on a Range request) and ``file_drop``
  (the connection reset mid-body); ``random`` fires a seeded share of them (for soaks);
* state faults change the simulated world while they are active: ``link_offline``,
  ``link_error`` (an Offcloud error text for a link, see :data:`ERROR_PRESETS`), ``job_error``
  (a job ends in error) and ``revoke_key`` (a key stops working). Removing the fault undoes it.

Faults come from the scenario (``faults``), from ``POST /_sim/faults`` and from
:meth:`Simulator.inject <offcloud_api.simulator.Simulator.inject>`. Any fault may end by itself:
``for_seconds`` (wall-clock seconds) or ``for_sim_seconds`` (simulated seconds) after it was added.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Callable, Optional

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
    {
        "rate_limit",
        "server_error",
        "truncated_json",
        "reset",
        "drop",
        "delay",
        "ip_changed",
        "ip_refused",
        "range_error",
        "file_drop",
        "random",
    }
)
STATE_FAULTS = frozenset({"link_offline", "link_error", "job_error", "revoke_key"})
FAULT_KINDS = REQUEST_FAULTS | STATE_FAULTS
#: Request faults that only make sense for file downloads.
FILE_FAULTS = frozenset({"ip_changed", "ip_refused", "range_error", "file_drop"})
#: What a ``random`` fault may fire, by the kind of request: API calls and file downloads.
#: ``html_500`` is another name of ``server_error``.
RANDOM_API_KINDS = frozenset({"server_error", "rate_limit", "reset", "drop", "truncated_json"})
RANDOM_FILE_KINDS = frozenset({"file_drop"})
RANDOM_ALIASES: Mapping[str, str] = {"html_500": "server_error"}
#: Bodies of a refused download (``ip_refused``, ``ip_changed``): L24 does not capture the 2026 one.
REFUSAL_BODIES = ("json", "html", "text", "empty")

#: Offcloud's own error texts (docs/api.md §4.1), by a short name. ``{host}`` is filled in.
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
    #: ``ip_refused``/``ip_changed``: ``json`` (default), ``html``, ``text`` or ``empty``.
    body: Optional[str] = None
    #: ``file_drop`` (and ``reset``): bytes of the body sent before the reset (default: half).
    after_bytes: Optional[int] = None
    #: The fault ends by itself this many wall-clock seconds after it was added...
    for_seconds: Optional[float] = None
    #: ...or this many simulated seconds (``clock.speedup``) after it was added.
    for_sim_seconds: Optional[float] = None
    #: ``random``: the seed of its draws, and the share of requests each kind hits.
    seed: Optional[str] = None
    shares: Optional[dict[str, float]] = None
    id: str = ""
    hits: int = 0
    #: Simulated time at which the fault became active (set by the state).
    since: float = 0.0
    #: ``time.monotonic()`` when it was added (for ``for_seconds``).
    added_at: float = 0.0
    #: ``time.time()`` when it was added: the clock of the call log's ``time``, so a test can
    #: pick the calls made while the fault was active.
    added_time: float = 0.0
    #: ``random``: how often it fired each kind.
    fired: dict[str, int] = field(default_factory=dict)

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
        if self.body is not None and self.body not in REFUSAL_BODIES:
            raise FaultError(f"body must be one of {', '.join(REFUSAL_BODIES)}")
        for name in ("for_seconds", "for_sim_seconds"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise FaultError(f"{name} must be more than 0 seconds")
        if self.after_bytes is not None and self.after_bytes < 0:
            raise FaultError("after_bytes cannot be negative")
        if self.kind == "random":
            self.shares = _check_shares(self.shares)
            self.seed = self.seed or "offcloud-simulator"
        elif self.shares is not None:
            raise FaultError("shares are for the random fault only")
        if self.message is not None and self.message in ERROR_PRESETS:
            self.message = ERROR_PRESETS[self.message]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fault:
        known = {f.name for f in fields(cls)} - {"hits", "since", "added_at", "added_time", "fired"}
        unknown = set(data) - known
        if unknown:
            raise FaultError(f"unknown fault field(s) {', '.join(sorted(unknown))}")
        if not isinstance(data.get("kind"), str):
            raise FaultError("a fault needs kind")
        values = dict(data)
        try:
            for name in ("count", "skip", "status", "after_bytes"):
                if values.get(name) is not None:
                    values[name] = int(values[name])
            for name in ("retry_after", "delay", "for_seconds", "for_sim_seconds"):
                if values.get(name) is not None:
                    values[name] = float(values[name])
            if values.get("seed") is not None:
                values["seed"] = str(values["seed"])
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
        if self.kind == "random":
            return self.path is None or path.startswith(self.path)
        if self.kind in FILE_FAULTS:
            if kind != "file" or (self.kind == "range_error" and not has_range):
                return False
        elif self.path is None and kind != "api":
            return False
        return self.path is None or path.startswith(self.path)

    def expired(self, wall: float, sim: float) -> bool:
        """Whether ``for_seconds`` (wall) or ``for_sim_seconds`` (simulated) has run out."""
        if self.for_seconds is not None and wall - self.added_at >= self.for_seconds:
            return True
        return self.for_sim_seconds is not None and sim - self.since >= self.for_sim_seconds

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("added_at")
        if self.for_seconds is not None:
            left = self.added_at + self.for_seconds - time.monotonic()
            data["seconds_left"] = round(max(left, 0.0), 3)
        if self.kind != "random":
            data.pop("fired")
        return data


def _check_shares(shares: Any) -> dict[str, float]:
    """``{kind: share}`` of a ``random`` fault, with ``html_500`` read as ``server_error``."""
    if not isinstance(shares, Mapping) or not shares:
        raise FaultError(
            'random needs shares, e.g. {"html_500": 0.05, "rate_limit": 0.03, "file_drop": 0.02}'
        )
    known = RANDOM_API_KINDS | RANDOM_FILE_KINDS | set(RANDOM_ALIASES)
    checked: dict[str, float] = {}
    for name, value in shares.items():
        if name not in known:
            raise FaultError(f"random: unknown share {name!r} (known: {', '.join(sorted(known))})")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise FaultError(f"random: the share of {name} must be a number from 0 to 1")
        kind = RANDOM_ALIASES.get(name, name)
        checked[kind] = checked.get(kind, 0.0) + float(value)
    for family in (RANDOM_API_KINDS, RANDOM_FILE_KINDS):
        if sum(v for k, v in checked.items() if k in family) > 1 + 1e-9:
            raise FaultError("random: the shares of one kind of request add up to more than 1")
    return checked


@dataclass
class FaultSet:
    """The active faults, in the order they were added."""

    _faults: list[Fault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _counter: int = 0
    #: The simulated clock (``for_sim_seconds``); the state sets it.
    sim_now: Callable[[], float] = field(default=lambda: 0.0, repr=False)
    #: ``random`` faults' draws: one stream per fault and kind of request (``api``, ``file``).
    _streams: dict[tuple[str, str], random.Random] = field(default_factory=dict, repr=False)

    def add(self, fault: Fault, now: float) -> Fault:
        with self._lock:
            self._counter += 1
            fault.id = fault.id or f"fault-{self._counter}"
            fault.since = now
            fault.added_at = time.monotonic()
            fault.added_time = time.time()
            self._faults.append(fault)
            if fault.kind == "random":
                for kind in ("api", "file"):
                    # Reproducible test faults, not secrets.
                    stream = random.Random(f"{fault.seed}:{kind}")  # noqa: S311
                    self._streams[fault.id, kind] = stream
        return fault

    def _purge(self) -> None:
        """Drop the faults whose time ran out (call with the lock held)."""
        if not any(
            f.for_seconds is not None or f.for_sim_seconds is not None for f in self._faults
        ):
            return
        wall, sim = time.monotonic(), self.sim_now()
        self._faults = [f for f in self._faults if not f.expired(wall, sim)]

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
            self._purge()
            return list(self._faults)

    def active(self, kind: str) -> list[Fault]:
        """State faults of one kind."""
        with self._lock:
            self._purge()
            return [f for f in self._faults if f.kind == kind]

    def take(self, kind: str, path: str, has_range: bool) -> list[Fault]:
        """The request faults that fire for this request, counted as used.

        Every matching ``delay`` fires; of the others only the first that matches. A ``random``
        fault draws once per request it could answer (one seeded stream for API calls, one for
        downloads, so the draws depend only on the seed and the order of the requests); when the
        draw hits, it fires as the drawn kind (a copy carrying its ``id``); when it misses, the
        next fault may answer.
        """
        fired: list[Fault] = []
        answer_taken = False
        with self._lock:
            self._purge()
            for fault in list(self._faults):
                if not fault.applies_to(kind, path, has_range):
                    continue
                if fault.kind != "delay" and answer_taken:
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                made = fault
                if fault.kind == "random":
                    drawn = self._draw(fault, kind)
                    if drawn is None:
                        continue
                    made = Fault(
                        kind=drawn,
                        status=fault.status if drawn == "server_error" else None,
                        retry_after=fault.retry_after,
                        after_bytes=fault.after_bytes,
                        id=fault.id,
                    )
                    fault.fired[drawn] = fault.fired.get(drawn, 0) + 1
                fault.hits += 1
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                fired.append(made)
                answer_taken = answer_taken or fault.kind != "delay"
        return fired

    def _draw(self, fault: Fault, kind: str) -> Optional[str]:
        """The kind a ``random`` fault fires for one request of ``kind``, or None."""
        family = RANDOM_FILE_KINDS if kind == "file" else RANDOM_API_KINDS
        shares = [(name, share) for name, share in sorted((fault.shares or {}).items())]
        shares = [(name, share) for name, share in shares if name in family and share > 0]
        if not shares:
            return None
        point = self._streams[fault.id, kind].random()
        for name, share in shares:
            if point < share:
                return name
            point -= share
        return None
