"""What the torrent and cloud-folder plugins decide, kept outside pyLoad so it can be tested.

The plugin files (``decrypters/OffcloudComTorrent.py``, ``decrypters/OffcloudComFolder.py`` and
the folder and archive expansion of ``downloaders/OffcloudCom.py``) translate between pyLoad and
this module: where a torrent comes from and whether it may be read, what the cache policy says,
and which cloud job to reuse. Which files the filters keep is ``filters.py``; how files become
pyLoad packages is ``packages.py``.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Callable, Optional, Union
from urllib.parse import parse_qs, urlsplit

from ..client import OffcloudAPI
from ..exceptions import HTTPError, NotFoundError
from ..magnet import info_hash_of
from ..models import CacheResult, CloudFile, Job, JobStatus
from ..torrent import TorrentError, parse_torrent
from .background import Followed
from .cachebook import CacheBook, cachebook
from .cachedl import CacheDownloadRoute, cache_route
from .intake import local_torrent_path
from .jobs import JobStore, remember, remembered_job
from .progress import format_progress
from .storage import torrent_job_key

__all__ = [
    "CachePolicy",
    "HistoryMemo",
    "SourceKind",
    "Step",
    "TorrentJob",
    "TorrentRef",
    "TorrentSourceError",
    "cached_files",
    "decide",
    "find_existing_job",
    "followed_torrent",
    "obtain_job",
    "refusal_message",
    "source_kind",
    "submitted_message",
    "submitting",
    "torrent_for_link",
    "torrent_from_bytes",
    "torrent_from_magnet",
]


# --------------------------------------------------------------------------------------------
# Where a torrent comes from


class TorrentSourceError(ValueError):
    """A link the torrent decrypter will not (or cannot) read; the message is for the user."""


class SourceKind(str, Enum):
    MAGNET = "magnet"
    LOCAL_FILE = "local file"  # file://, what pyLoad's TORRENT container makes of an upload
    REMOTE_FILE = "remote file"  # http(s)://….torrent


def source_kind(url: str) -> SourceKind:
    scheme = url.strip().partition(":")[0].lower()
    if scheme == "magnet":
        return SourceKind.MAGNET
    if scheme == "file":
        return SourceKind.LOCAL_FILE
    if scheme in ("http", "https"):
        return SourceKind.REMOTE_FILE
    raise TorrentSourceError("Not a magnet link or .torrent address")


@dataclass(frozen=True)
class TorrentRef:
    """A torrent as Offcloud is asked about it: its info-hash and the magnet link sent."""

    info_hash: str  # lower-case hex, v1
    magnet: str
    name: Optional[str] = None  # the magnet's ``dn`` or the .torrent's name

    @property
    def storage_key(self) -> str:
        """Where the job is remembered: by info-hash, so a magnet and its .torrent share it."""
        return torrent_job_key(self.info_hash)

    @property
    def display_name(self) -> str:
        return self.name or self.info_hash


def torrent_from_magnet(url: str) -> TorrentRef:
    magnet = url.strip()
    info_hash = info_hash_of(magnet)
    if info_hash is None:
        raise TorrentSourceError("Not a BitTorrent magnet link: it has no urn:btih info-hash")
    names = parse_qs(urlsplit(magnet).query).get("dn")
    return TorrentRef(info_hash, magnet, (names[0].strip() or None) if names else None)


def torrent_from_bytes(data: bytes) -> TorrentRef:
    """A .torrent read locally and sent as its magnet link (with its trackers)."""
    try:
        info = parse_torrent(data)
    except TorrentError as exc:
        raise TorrentSourceError(f"Not a valid .torrent file: {exc}") from None
    return TorrentRef(info.info_hash, info.magnet, info.name)


#: What a ``.torrent`` address answered: its HTTP status and body (None: pyLoad raised for it).
Fetch = Callable[[str], tuple[int, Union[bytes, str, None]]]


def torrent_for_link(url: str, tempdir: str, fetch: Fetch) -> TorrentRef:
    """The torrent behind a magnet, an uploaded .torrent or a .torrent address (``fetch``).

    A ``file://`` .torrent is read only inside pyLoad's temp folder, where its TORRENT container
    saves uploads (``tmp_<name>.torrent``): a link anyone can add must not make pyLoad read, and
    send away, a file of the user's choosing (the rule is :func:`.intake.local_torrent_path`).
    """
    kind = source_kind(url)
    if kind is SourceKind.MAGNET:
        return torrent_from_magnet(url)
    if kind is SourceKind.LOCAL_FILE:
        path = local_torrent_path(url, tempdir)
        if path is None:
            raise TorrentSourceError(
                "Illegal URL: a file:// .torrent is read only from pyLoad's temp folder "
                "(upload .torrent files through pyLoad, or add a magnet link)"
            )
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise TorrentSourceError(
                f"The uploaded .torrent file cannot be read: {exc.strerror}"
            ) from None
        return torrent_from_bytes(data)
    status, body = fetch(url)  # through pyLoad: its proxy, its SSL settings
    if body is None or status >= 400:
        raise TorrentSourceError(f"The .torrent address answered HTTP {status}")
    return torrent_from_bytes(body if isinstance(body, bytes) else body.encode("latin-1"))


# --------------------------------------------------------------------------------------------
# The cache policy


class CachePolicy(str, Enum):
    """What to do with a torrent Offcloud does not hold yet (the ``cache_policy`` option)."""

    ALL = "all"  # add it and wait until Offcloud has fetched it
    ONLY_CACHED = "only_cached"  # refuse it; nothing is added to Offcloud
    UNCACHED_TO_CLOUD = "uncached_to_cloud"  # add it to the cloud, but do not wait in pyLoad

    @classmethod
    def parse(cls, value: Any) -> CachePolicy:
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            return cls.ALL


class Step(str, Enum):
    FETCH = "fetch"  # add (or reuse) the job, wait for it, hand its files to pyLoad
    SUBMIT_ONLY = "submit_only"  # add (or reuse) the job and stop there
    REFUSE = "refuse"  # add nothing
    WAIT_SLOT = "wait_slot"  # add nothing yet: max_running_jobs is reached (the addon adds it)


def decide(policy: CachePolicy, *, ready: bool) -> Step:
    """The policy table. ``ready``: cached at Offcloud, or already downloaded in the cloud."""
    if ready or policy is CachePolicy.ALL:
        return Step.FETCH
    if policy is CachePolicy.ONLY_CACHED:
        return Step.REFUSE
    return Step.SUBMIT_ONLY


def _job_state(job: Job) -> str:
    fraction = job.fraction_done
    percent = f" {fraction * 100:.0f} %" if fraction is not None and fraction > 0 else ""
    return f"job {job.request_id}, {job.status.value}{percent}"


def refusal_message(torrent: TorrentRef, job: Optional[Job]) -> str:
    where = (
        f"It is in your Offcloud cloud but not finished ({_job_state(job)})"
        if job is not None and not job.status.is_failed
        else "Nothing was added to Offcloud"
    )
    return (
        f"Offcloud does not have {torrent.display_name} cached and the cache policy is "
        f"only_cached. {where}. Set cache_policy of OffcloudComTorrent to all (or "
        "uncached_to_cloud) and restart the link to fetch it anyway"
    )


def submitted_message(torrent: TorrentRef, job: Job) -> str:
    return (
        f"{torrent.display_name} is not cached: it is downloading in your Offcloud cloud "
        f"({_job_state(job)}). The cache policy uncached_to_cloud does not wait for it; restart "
        "this link later to download the files"
    )


# --------------------------------------------------------------------------------------------
# Jobs already in the cloud


def find_existing_job(history: Iterable[Job], info_hash: str) -> Optional[Job]:
    """The job of ``info_hash`` in the cloud history: the first live one, else a failed one.

    A job belongs to the torrent when its ``originalLink`` carries the hash (a magnet in hex or
    base32, or a link with the hex hash in it), as Torrentio and StremThru match them
    (docs/api.md §6.2).
    """
    info_hash = info_hash.lower()
    failed: Optional[Job] = None
    for job in history:
        link = job.original_link or ""
        if info_hash not in link.lower() and info_hash_of(link) != info_hash:
            continue
        if not job.status.is_failed:
            return job
        failed = failed or job
    return failed


class HistoryMemo:
    """The cloud history per account, reused for ``ttl`` seconds and fetched once at a time.

    Many magnets added together are decrypted in parallel threads; without this each would
    fetch the whole history. Jobs pyLoad adds itself are remembered in its storage, so an answer
    a few seconds old cannot make pyLoad add a torrent twice.
    """

    def __init__(self, ttl: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, list[Job]]] = {}

    def history(self, api: OffcloudAPI) -> list[Job]:
        account = hashlib.sha256((api.api_key or "").encode("utf-8")).hexdigest()[:16]
        with self._lock:  # one fetch at a time: the others then find its answer
            entry = self._entries.get(account)
            if entry is not None and self._clock() - entry[0] <= self._ttl:
                return entry[1]
            jobs = api.get_history()
            self._entries[account] = (self._clock(), jobs)
            return jobs


#: The memo of a pyLoad process.
history_memo = HistoryMemo()

_submission_guard = threading.Lock()
_submission_locks: dict[str, threading.Lock] = {}


@contextlib.contextmanager
def submitting(info_hash: str) -> Iterator[None]:
    """One decision per torrent at a time: a magnet and its .torrent added together add once."""
    with _submission_guard:
        lock = _submission_locks.setdefault(info_hash, threading.Lock())
    with lock:
        yield


@dataclass(frozen=True)
class TorrentJob:
    """What :func:`obtain_job` decided, and the job to follow (``None`` if nothing exists)."""

    step: Step
    job: Optional[Job]
    cached: Optional[bool]  # Offcloud's cache answer; None when it was not needed
    reused: bool  # the job existed before (remembered or in the history)


def obtain_job(
    api: OffcloudAPI,
    store: JobStore,
    torrent: TorrentRef,
    policy: CachePolicy,
    *,
    book: CacheBook = cachebook,
    memo: HistoryMemo = history_memo,
    admit: Optional[Callable[[], bool]] = None,
) -> TorrentJob:
    """Find or add the cloud job of ``torrent`` as ``policy`` says; never add it twice.

    In order: the job remembered for this info-hash (a retry, a restart, the same torrent added
    again), then a job in the cloud history (legacy API only: the 2026 add itself returns the
    live job of a magnet), then Offcloud's cache answer (from the process-wide
    book the batch-check addon fills, else one ``cache/info`` call; with policy ``all`` the
    answer changes nothing, so it is only read from the book). A failed job is retried by
    Offcloud once, or added again when Offcloud will not retry it.

    ``admit`` is the cap on running jobs (``max_running_jobs``): asked before a torrent that is
    not ready starts a new job; when it says no, nothing is added (``Step.WAIT_SLOT``). With a
    cap the cache answer matters, so it is asked for when the book has none.
    """
    key = torrent.storage_key
    with submitting(torrent.info_hash):
        job = remembered_job(api, store, key)
        remembered = job is not None
        if job is None and api.api_generation != "2026":
            # The 2026 API answers a magnet added again while its job lives with that job
            # (docs/api.md L5), so the history (no paging, L12) is not needed there.
            job = find_existing_job(memo.history(api), torrent.info_hash)
        cached: Optional[bool] = None
        if job is not None and not job.status.is_failed:
            ready = job.status is JobStatus.DOWNLOADED
        else:
            answer = _cache_answer(api, torrent, policy, book, needed=admit is not None)
            cached = answer.cached if answer is not None else None
            ready = bool(cached)
        step = decide(policy, ready=ready)
        reused = job is not None
        if step is Step.REFUSE:
            return TorrentJob(step, job, cached, reused)
        if job is None and not ready and admit is not None and not admit():
            return TorrentJob(Step.WAIT_SLOT, None, cached, False)
        if job is None:
            job = api.cloud(torrent.magnet)
            remember(store, key, job.request_id)
        elif job.status.is_failed:
            job = _retry_or_add(api, store, key, job, torrent)
        elif not remembered:
            remember(store, key, job.request_id)
        return TorrentJob(step, job, cached, reused)


def _cache_answer(
    api: OffcloudAPI,
    torrent: TorrentRef,
    policy: CachePolicy,
    book: CacheBook,
    *,
    needed: bool = False,
) -> Optional[CacheResult]:
    needed = needed or policy is not CachePolicy.ALL
    # The book waits for an answer the batch check is still fetching, but only when it matters.
    answer = book.lookup(torrent.info_hash, wait=needed)
    if answer is None and needed:
        answer = api.cache_info([torrent.magnet])[0]
        book.remember([answer])
    return answer


def _retry_or_add(
    api: OffcloudAPI, store: JobStore, key: str, job: Job, torrent: TorrentRef
) -> Job:
    try:
        api.retry(job.request_id)
    except (NotFoundError, HTTPError):  # gone, or Offcloud will not retry it: add it again
        fresh = api.cloud(torrent.magnet)
        remember(store, key, fresh.request_id)
        return fresh
    remember(store, key, job.request_id, retried=True)
    return api.cloud_status(job.request_id)


# --------------------------------------------------------------------------------------------
# The decrypter's shortcuts and hand-over


def cached_files(
    api: OffcloudAPI,
    stored: Callable[[str], Any],
    torrent: TorrentRef,
    *,
    book: CacheBook = cachebook,
    route: CacheDownloadRoute = cache_route,
) -> Optional[list[CloudFile]]:
    """The files of a magnet Offcloud's cache answer says it holds, from cache/download (L19),
    in one call and without a cloud job; or None: add it as a job (no such route here, no
    cached answer in the book, or pyLoad added it before, ``stored`` its job: that job is used).
    """
    if stored(torrent.storage_key):
        return None
    answer = book.lookup(torrent.info_hash, wait=False)
    if answer is None or not answer.cached:
        return None
    return route.files(api, torrent.magnet)


def followed_torrent(
    torrent: TorrentRef,
    *,
    link_id: int,
    plugin: str,
    deadline: float = 0.0,
    job: Optional[Job] = None,
) -> Followed:
    """The torrent link as the addon's background loop follows it: its job once there is one,
    else its magnet to add when a slot (or room in the cloud) is free. Torrents count against
    ``max_running_jobs``."""
    return Followed(
        link_id=link_id,
        plugin=plugin,
        storage_key=torrent.storage_key,
        name=torrent.display_name,
        request_id=job.request_id if job is not None else None,
        magnet=torrent.magnet,
        capped=True,
        deadline=deadline,
        text=format_progress(job) if job is not None else "",
    )
