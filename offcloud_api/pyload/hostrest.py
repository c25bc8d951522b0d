"""Hosts Offcloud cannot serve right now rest a while, for every link of the host at once.

When Offcloud answers that it cannot fetch from a host just now (the host is temporarily
disabled, its daily quota is used up, no premium account for it, or the host keeps answering
Offcloud with 5xx), every queued link of that host would otherwise spend its own tries and API
calls on the same answer. So the downloader reports each such failure here
(:meth:`HostRest.failed`); after :data:`HOST_FAILURES` in a row the host *rests*: for
``rest_seconds`` (ten minutes by default) every link of it waits without an API call, with a
message that says why and until when (:meth:`Rest.message`). When the rest is over the next link
tries again: a success (:meth:`HostRest.served`) ends it all, another failure rests the host again,
twice as long each time up to :data:`MAX_REST_SECONDS`. JDownloader's multi-host manager does the
same.

One book per pyLoad process (:data:`hostrest`), like :mod:`.cachebook`: the plugins and addons
import the same module. The clock is injectable for the tests; a rest is kept in wall-clock time
because its message names a time of day.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Callable, Optional

from ..exceptions import HostUnavailableError, OffcloudError, RefusedError

__all__ = [
    "HOST_FAILURES",
    "MAX_RESTS",
    "MAX_REST_SECONDS",
    "REST_SECONDS",
    "HostRest",
    "Rest",
    "clock_time_text",
    "counts_against_host",
    "duration_text",
    "hostrest",
]

#: Failures of a host in a row (no success between them, from any link) that make it rest.
HOST_FAILURES = 3
#: The first rest of a host, in seconds (the downloader's ``host_rest`` option, in minutes).
REST_SECONDS = 600.0
#: Every further rest without a success between is twice as long, up to this (or the first rest,
#: if that is longer).
MAX_REST_SECONDS = 3600.0
#: Rests one link waits through before it fails (about a day at the longest rest).
MAX_RESTS = 30


def counts_against_host(error: OffcloudError) -> bool:
    """Whether ``error`` says Offcloud cannot serve the link's host right now.

    The host is disabled at Offcloud or over its quota (:class:`HostUnavailableError`), or it
    answered Offcloud's fetch with a 5xx or 429 of its own (``Error parsing url - HTTP code: 503``,
    docs/api.md L6). A dead link, a bad key or an Offcloud outage say nothing about
    the host.
    """
    if isinstance(error, HostUnavailableError):
        return True
    if isinstance(error, RefusedError):
        upstream = error.upstream_status
        return upstream is not None and (upstream == 429 or upstream >= 500)
    return False


def duration_text(seconds: float) -> str:
    """``45 s``, ``10 min``, ``3 h``: a wait as a message says it."""
    if seconds < 59.5:
        return f"{max(1, round(seconds))} s"
    minutes = round(seconds / 60)
    if minutes < 120:
        return f"{minutes} min"
    return f"{round(minutes / 60)} h"


def clock_time_text(moment: float) -> str:
    """``14:05``: a moment (clock seconds) as a message says it, in local time."""
    return time.strftime("%H:%M", time.localtime(moment))


@dataclass(frozen=True)
class Rest:
    """A host resting: from ``started`` to ``until`` (clock seconds), and Offcloud's ``reason``."""

    host: str
    started: float
    until: float
    reason: str = ""
    #: Which rest of the host in a row this is (1 for the first).
    number: int = 1
    #: How a moment reads in messages (``HH:MM`` in local time).
    clock_time: Callable[[float], str] = clock_time_text

    @property
    def seconds(self) -> float:
        """How long this rest is."""
        return self.until - self.started

    def left(self, now: float) -> float:
        return max(0.0, self.until - now)

    def wait_seconds(self, now: float) -> int:
        """Whole seconds a link waits from ``now``: to the end of the rest, at least 1."""
        return max(1, math.ceil(self.left(now)))

    def message(self) -> str:
        """What a waiting link shows: ``Offcloud cannot serve rapidgator.net right now; resting
        10 min, next try at 14:05 (<Offcloud's reason>)``."""
        text = (
            f"Offcloud cannot serve {self.host} right now; resting {duration_text(self.seconds)}, "
            f"next try at {self.clock_time(self.until)}"
        )
        return f"{text} ({self.reason})" if self.reason else text

    def give_up(self) -> str:
        """What a link fails with after waiting through :data:`MAX_RESTS` rests."""
        why = f" ({self.reason})" if self.reason else ""
        return (
            f"Offcloud could not serve {self.host} through {MAX_RESTS} rests{why}; "
            "restart the link later"
        )


@dataclass
class _Host:
    failures: int = 0
    rests: int = 0
    rest: Optional[Rest] = None


class HostRest:
    """Failures in a row per host, and the rest a host takes after :data:`HOST_FAILURES` of them.

    ``clock`` gives wall-clock seconds (rests end at a time of day); ``clock_time`` formats one
    for the messages. Safe to use from several pyLoad threads at once.
    """

    def __init__(
        self,
        *,
        failures: int = HOST_FAILURES,
        max_rest: float = MAX_REST_SECONDS,
        clock: Callable[[], float] = time.time,
        clock_time: Callable[[float], str] = clock_time_text,
    ) -> None:
        if failures < 1:
            raise ValueError(f"failures must be 1 or more, not {failures}")
        self._failures = failures
        self._max_rest = max_rest
        self._clock = clock
        self._clock_time = clock_time
        self._lock = threading.Lock()
        self._hosts: dict[str, _Host] = {}

    def now(self) -> float:
        return self._clock()

    def resting(self, host: str) -> Optional[Rest]:
        """The rest ``host`` takes now, or ``None`` when its links may call Offcloud."""
        key = _key(host)
        with self._lock:
            state = self._hosts.get(key)
            rest = state.rest if state is not None else None
            if rest is None or rest.until <= self._clock():
                return None
            return rest

    def failed(
        self, host: str, reason: str = "", *, rest_seconds: float = REST_SECONDS
    ) -> Optional[Rest]:
        """Note that Offcloud could not serve ``host``; the rest it takes now, if it does.

        The :data:`HOST_FAILURES`-th failure in a row starts a rest of ``rest_seconds``; after a
        rest, the first failure starts the next one, twice as long (up to ``max_rest``). A failure
        of a link that was already on its way while the host rests joins that rest.
        ``rest_seconds`` of 0 or less turns resting off (failures are still counted).
        """
        key = _key(host)
        if not key:
            return None
        now = self._clock()
        with self._lock:
            state = self._hosts.setdefault(key, _Host())
            state.failures += 1
            if state.rest is not None and state.rest.until > now:
                return state.rest
            if rest_seconds <= 0 or state.failures < self._failures:
                return None
            length = min(rest_seconds * 2**state.rests, max(self._max_rest, rest_seconds))
            state.rests += 1
            state.rest = Rest(
                host=key,
                started=now,
                until=now + length,
                reason=" ".join(reason.split()),
                number=state.rests,
                clock_time=self._clock_time,
            )
            return state.rest

    def served(self, host: str) -> None:
        """Offcloud took a link of ``host``: its count and any rest end."""
        with self._lock:
            self._hosts.pop(_key(host), None)

    def clear(self) -> None:
        """Forget every host (tests; a new pyLoad process starts with none)."""
        with self._lock:
            self._hosts.clear()

    def failures(self, host: str) -> int:
        """Failures of ``host`` in a row so far."""
        with self._lock:
            state = self._hosts.get(_key(host))
            return state.failures if state is not None else 0


def _key(host: str) -> str:
    key = host.strip().lower().rstrip(".")
    return key[4:] if key.startswith("www.") else key


#: The one book of a pyLoad process (every plugin imports the same module).
hostrest = HostRest()
