"""Many magnets and .torrent files at once: resolved by the addon, not one decrypter each.

pyLoad starts about one decrypter a second (docs/pyload.md §2.5), so 1,000 magnets pasted
together would take 17 minutes to reach the queue even when Offcloud holds every one. The addon
(``OffcloudComHook``) takes such a batch out of pyLoad's add, asks Offcloud's cache about all of
it at once (one call per 1,000 hashes, §00 L13), and resolves the cached torrents itself with a
few workers in parallel: add (a cached magnet is ``downloaded`` in the add answer, L5), explore,
queue the files. What is not cached, or fails, goes back to pyLoad as links, for the decrypter.

Where Offcloud answers ``cache/download`` (L19), a cached torrent's files come from it in one call
and no job is made (:mod:`.cachedl`); else it is added. An add that meets a full cloud (L23) makes
room first (:mod:`.cloudroom`); when none can be made, the torrent goes back to pyLoad, whose
decrypter waits for room: a full cloud never fails a link here.

Never a second job: a torrent that arrives twice in one batch is resolved once; a job pyLoad
already remembers for the torrent is reused; and each torrent is resolved under the same per-hash
lock the decrypter takes (:func:`~offcloud_api.pyload.torrents.submitting`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Callable, Optional

from ..client import OffcloudAPI
from ..exceptions import OffcloudError, RateLimitError
from ..models import CloudFile, Job, JobStatus
from .cachebook import CacheBook, cachebook
from .cachedl import CacheDownloadRoute
from .cloudroom import CloudRoom, RoomView
from .cloudroom import room as default_room
from .intake import TorrentQuery
from .jobs import JobStore, remember, remembered_job
from .storage import job_storage_key

__all__ = ["BulkResult", "RateGate", "dedupe", "resolve_batch"]

log = logging.getLogger(__name__)

#: Workers resolving cached torrents at once: fast, and gentle with Offcloud.
WORKERS = 8
#: Tries per torrent when Offcloud answers 429.
RATE_LIMIT_TRIES = 4
#: Longest pause a 429 gets here; past that the torrent goes back to pyLoad.
MAX_PAUSE = 60.0


def storage_key(info_hash: str) -> str:
    """The decrypter's key for a torrent's job (``TorrentRef.storage_key``)."""
    return job_storage_key("btih:" + info_hash.lower())


def dedupe(queries: Sequence[TorrentQuery]) -> tuple[list[TorrentQuery], list[TorrentQuery]]:
    """The first query of each info-hash, and the repeats (same torrent, another link)."""
    seen: set[str] = set()
    first: list[TorrentQuery] = []
    repeats: list[TorrentQuery] = []
    for query in queries:
        key = query.info_hash.lower()
        (repeats if key in seen else first).append(query)
        seen.add(key)
    return first, repeats


class RateGate:
    """Shared by the workers: after a 429 nobody calls Offcloud until its ``Retry-After`` passed."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._until = 0.0

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._until = max(self._until, self._clock() + min(seconds, MAX_PAUSE))

    def wait(self, sleep: Callable[[float], None], should_stop: Callable[[], bool]) -> None:
        while not should_stop():
            with self._lock:
                left = self._until - self._clock()
            if left <= 0:
                return
            sleep(min(left, 0.5))


@dataclass
class BulkResult:
    resolved: list[TorrentQuery] = field(default_factory=list)  # files queued
    left: list[TorrentQuery] = field(default_factory=list)  # back to pyLoad's decrypter
    repeats: list[TorrentQuery] = field(default_factory=list)  # same torrent twice: dropped
    cache_calls: int = 0


def resolve_batch(
    queries: Sequence[TorrentQuery],
    *,
    client: Callable[[], OffcloudAPI],
    store: JobStore,
    queue_files: Callable[[TorrentQuery, Optional[Job], list[CloudFile]], bool],
    submitting: Callable[[str], AbstractContextManager[None]],
    workers: int = WORKERS,
    should_stop: Callable[[], bool] = lambda: False,
    book: CacheBook = cachebook,
    sleep: Callable[[float], None] = time.sleep,
    gate: Optional[RateGate] = None,
    on_error: Optional[Callable[[TorrentQuery, Exception], None]] = None,
    direct: Optional[CacheDownloadRoute] = None,
    room_view: Optional[RoomView] = None,
    room: CloudRoom = default_room,
) -> BulkResult:
    """Check ``queries`` in one cache call, resolve the cached ones, leave the others.

    ``queue_files(query, job, files)`` hands a finished job's files to pyLoad (``job`` is
    ``None`` for files from ``cache/download``; False: it could not, and the link goes back to
    pyLoad). ``direct``: ask ``cache/download`` first. ``room_view``: what :mod:`.cloudroom`
    needs to make room in a full cloud (``None``: a full cloud sends the torrent back).
    ``submitting(info_hash)`` is the lock the decrypter holds while it decides about the same
    torrent.
    """
    result = BulkResult()
    unique, result.repeats = dedupe(queries)
    if not unique:
        return result
    with client() as api:
        answers = api.cache_info([query.query for query in unique])
    result.cache_calls = (len(unique) + 999) // 1000
    book.remember(answers)
    cached_hashes = {a.info_hash.lower() for a in answers if a.cached and a.info_hash}
    cached = [q for q in unique if q.info_hash.lower() in cached_hashes]
    result.left.extend(q for q in unique if q.info_hash.lower() not in cached_hashes)
    gate = gate or RateGate()
    lock = threading.Lock()
    local = threading.local()

    def api_of_thread() -> OffcloudAPI:
        api: Optional[OffcloudAPI] = getattr(local, "api", None)
        if api is None:
            api = client()
            local.api = api
            with lock:
                opened.append(api)
        return api

    def work(query: TorrentQuery) -> None:
        done = False
        try:
            done = _resolve_one(
                query,
                api_of_thread(),
                store=store,
                queue_files=queue_files,
                submitting=submitting,
                gate=gate,
                sleep=sleep,
                should_stop=should_stop,
                direct=direct,
                room=room,
                room_view=room_view,
            )
        except Exception as exc:
            log.warning("resolving %s failed", query.info_hash, exc_info=True)
            if on_error is not None:
                on_error(query, exc)
        with lock:
            (result.resolved if done else result.left).append(query)

    opened: list[OffcloudAPI] = []
    try:
        pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="OffcloudBulk")
        with pool:
            list(pool.map(work, cached))
    finally:
        for api in opened:
            api.close()
    return result


def _resolve_one(
    query: TorrentQuery,
    api: OffcloudAPI,
    *,
    store: JobStore,
    queue_files: Callable[[TorrentQuery, Optional[Job], list[CloudFile]], bool],
    submitting: Callable[[str], AbstractContextManager[None]],
    gate: RateGate,
    sleep: Callable[[float], None],
    should_stop: Callable[[], bool],
    direct: Optional[CacheDownloadRoute] = None,
    room: CloudRoom = default_room,
    room_view: Optional[RoomView] = None,
) -> bool:
    key = storage_key(query.info_hash)
    for _attempt in range(RATE_LIMIT_TRIES):
        gate.wait(sleep, should_stop)
        if should_stop():
            return False
        try:
            with submitting(query.info_hash):
                job = remembered_job(api, store, key)
                ready = (
                    direct.files(api, query.query) if job is None and direct is not None else None
                )
                if ready is None and (job is None or job.status.is_failed):
                    job = room.add(api, query.query, room_view)
                    remember(store, key, job.request_id)
            if ready is not None:
                return queue_files(query, None, ready)  # no job: nothing fills the cloud
            if job is None or job.status is not JobStatus.DOWNLOADED:
                return False  # not ready after all: the decrypter follows it (same job)
            files = api.explore_cloud(job.request_id, job=job)
        except RateLimitError as exc:
            gate.pause(exc.retry_after if exc.retry_after is not None else 5.0)
            continue
        except OffcloudError as exc:
            log.info("Offcloud could not resolve %s here: %s", query.info_hash, exc.message)
            return False
        return bool(files) and queue_files(query, job, files)
    return False
