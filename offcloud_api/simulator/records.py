"""The records of the simulated world: its clock, jobs and their progress, refusals, links.

Plain data with no lock and no HTTP in it; :class:`~.state.SimState` keeps them and
:mod:`.routes` turns them into Offcloud's answers. Job progress is a pure function of the
simulated clock: a job is ``created`` for its queue time, ``downloading`` for its duration
(progress 0..1) and then ``downloaded`` (or ``error``). The clock runs at wall speed times
``speedup`` and tests can push it with :meth:`SimClock.advance`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Optional
from urllib.parse import urlsplit

from ..magnet import info_hash_of, is_magnet
from .faults import ERROR_PRESETS
from .files import FileSpec

__all__ = [
    "CDN_DOMAIN",
    "CDN_NODES",
    "CDN_STORES",
    "CLOUD_FULL",
    "DEAD_LINK_TEXT",
    "LIVE_TRACKERS",
    "LOADING_MESSAGE",
    "RETRY_DURATION",
    "UNKNOWN_TORRENT_SIZE",
    "CdnLink",
    "InstantRequest",
    "Job",
    "JobProgress",
    "Refusal",
    "SimClock",
    "format_bytes",
    "normalize_link",
]

#: Size of the file Offcloud "finds" behind a magnet the scenario does not know.
UNKNOWN_TORRENT_SIZE = 1 << 20
#: Simulated seconds a retried preset job takes.
RETRY_DURATION = 2.0
#: Trackers the live profile adds to a magnet's ``originalLink`` (Offcloud's canonical form, L5).
LIVE_TRACKERS = (
    "udp://tracker.opentrackr.org:1337/announce",
    "udp://open.demonii.com:1337/announce",
)
#: What the live add answers (HTTP 500, a bare JSON string) for a dead link (L6).
DEAD_LINK_TEXT = "Error parsing url - HTTP code: 404 "
#: The message of a job Offcloud has not started (L7: a garbage magnet keeps it for ever).
LOADING_MESSAGE = "Loading..."
#: CDN nodes and stores of the live profile's file links (L11: both vary between links).
CDN_NODES = ("1-cdn2-ovh-fra", "1-cdn2-ovh-bea")
CDN_STORES = ("littlemouse", "frostyicebreath")
#: The CDN domain of the live profile's file links (L11).
CDN_DOMAIN = "energycdn.com"


class SimClock:
    """Simulated seconds since start: wall time times ``speedup``, plus manual advances."""

    def __init__(
        self, speedup: float = 1.0, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.speedup = speedup
        self._monotonic = monotonic
        self._started = monotonic()
        self._offset = 0.0
        self._lock = threading.Lock()
        self.started_wall = datetime.now(timezone.utc)

    def now(self) -> float:
        with self._lock:
            return (self._monotonic() - self._started) * self.speedup + self._offset

    def advance(self, seconds: float) -> None:
        """Jump ahead ``seconds`` of simulated time."""
        with self._lock:
            self._offset += seconds

    def wall(self, at: float) -> datetime:
        """The wall-clock moment of simulated time ``at``."""
        return self.started_wall + timedelta(seconds=at)


@dataclass(frozen=True)
class Refusal:
    """Offcloud said no; ``payload`` is its answer (an ``error`` or ``not_available`` object).

    ``not_found`` marks an unknown request id (HTTP 404 on the 2026 API); ``offline`` a link
    that is dead upstream (the live add answers it as HTTP 500 with a bare string, L6);
    ``cloud_full`` an add refused because the account's cloud storage is full (L23).
    """

    payload: dict[str, Any]
    not_found: bool = False
    offline: bool = False
    cloud_full: bool = False


#: What a full cloud answers (L23), on any status.
CLOUD_FULL = {"not_available": "cloud"}


@dataclass(frozen=True)
class JobProgress:
    """A job as it stands at one moment."""

    status: str
    amount: int
    progress: float
    speed: int
    elapsed_ms: int
    message: str
    error: Optional[str] = None


@dataclass
class Job:
    """A cloud or remote request."""

    request_id: str
    user_id: str
    kind: str
    original_link: str
    dedupe_key: str
    file_name: str
    site: str
    server: str
    files: tuple[FileSpec, ...]
    is_directory: bool
    created_on: datetime
    started_at: float
    queued: float
    duration: float
    fail: Optional[str] = None
    fail_at: float = 0.5
    retry_succeeds: bool = True
    attempt: int = 1
    fixed_status: Optional[str] = None
    removed: bool = False
    meta_data: Optional[str] = None
    remote_option_id: Optional[str] = None
    #: Never starts: ``created`` with "Loading..." for ever (a garbage magnet on live, L7).
    stuck: bool = False

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    def progress_at(self, now: float, speedup: float, injected_error: Optional[str]) -> JobProgress:
        size = self.size
        if self.stuck:
            elapsed_ms = int(max(now - self.started_at, 0.0) / speedup * 1000)
            return JobProgress("created", 0, 0.0, 0, elapsed_ms, LOADING_MESSAGE)
        if self.fixed_status is not None:
            done = self.fixed_status == "downloaded"
            error = (
                (self.fail or ERROR_PRESETS["download_error"])
                if self.fixed_status == "error"
                else None
            )
            return JobProgress(
                status=self.fixed_status,
                amount=size if done else 0,
                progress=1.0 if done else 0.0,
                speed=0,
                elapsed_ms=0,
                message=_message(self.fixed_status, size if done else 0, size, error),
                error=error,
            )
        elapsed = now - self.started_at
        end = self.queued + self.duration
        error = injected_error or self.fail
        fail_point = end if injected_error else self.queued + self.duration * self.fail_at
        speed = int(size / (self.duration / speedup)) if self.duration > 0 else 0
        elapsed_ms = int(max(elapsed, 0.0) / speedup * 1000)
        if error is not None and elapsed >= fail_point:
            fraction = (
                max(0.0, min(1.0, (fail_point - self.queued) / self.duration))
                if self.duration
                else 0.0
            )
            amount = int(size * fraction)
            return JobProgress("error", amount, fraction, 0, elapsed_ms, error, error)
        if elapsed < self.queued:
            return JobProgress("created", 0, 0.0, 0, elapsed_ms, _message("created", 0, size, None))
        if elapsed < end:
            fraction = (elapsed - self.queued) / self.duration
            amount = int(size * fraction)
            return JobProgress(
                "downloading",
                amount,
                round(fraction, 4),
                speed,
                elapsed_ms,
                _message("downloading", amount, size, None),
            )
        return JobProgress(
            "downloaded", size, 1.0, 0, elapsed_ms, _message("downloaded", size, size, None)
        )


def _message(status: str, amount: int, size: int, error: Optional[str]) -> str:
    if status == "created":
        return "Queued"
    if status == "downloading":
        return f"{format_bytes(amount)} of {format_bytes(size)}"
    if status == "downloaded":
        return f"Downloaded {format_bytes(size)}"
    return error or status


def format_bytes(count: int) -> str:
    """``12.5 MB``: decimal units, one decimal where it matters."""
    value = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            text = f"{value:.1f}".rstrip("0").rstrip(".")
            return f"{text} {unit}"
        value /= 1000
    return f"{count} B"  # pragma: no cover - the loop always returns


@dataclass
class InstantRequest:
    """An instant (direct) download: final at once, status stays ``created`` (§3.3)."""

    request_id: str
    user_id: str
    original_link: str
    file: FileSpec
    token: str
    site: str
    server: str
    created_on: datetime
    removed: bool = False


@dataclass(frozen=True)
class CdnLink:
    """A signed CDN file link (live profile): one file of one job, issued by one explore call,
    or one file of a cached torrent, issued by ``cache/download`` with no job (L19)."""

    token: str
    node: str
    store: str
    request_id: Optional[str]
    position: int
    file: FileSpec


def normalize_link(url: str) -> str:
    """The identity of a link: ``btih:<hash>`` for torrents, else host (no ``www.``) + path."""
    text = url.strip()
    if is_magnet(text) or len(text) in (32, 40):
        info_hash = info_hash_of(text)
        if info_hash:
            return f"btih:{info_hash}"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return text
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return text
    host = parts.hostname.lower()
    host = host[4:] if host.startswith("www.") else host
    suffix = f":{port}" if port not in (None, 80, 443) else ""
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{suffix}{parts.path or '/'}{query}"
