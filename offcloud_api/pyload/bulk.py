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

The addon's side (:class:`BulkTaker`): the batch is noted in the addon's storage before its
links leave pyLoad's add (``bulk:<batch>``, and ``bulkdone:<batch>:<hash>`` per torrent queued),
so a batch a restart interrupted gives back what it had not queued. Magnets added together that
the addon does not take (``bulk`` off, or the collector) still get one cache check for all of
them (:meth:`BulkTaker.check_batch`), whose answer the decrypters read from the cache book.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from ..client import OffcloudAPI
from ..exceptions import OffcloudError, RateLimitError
from ..models import CloudFile, Job, JobStatus
from . import intake
from .addonkit import Addon, exiting
from .cachebook import CacheBook, cachebook
from .cachedl import CacheDownloadRoute, cache_route
from .cloudroom import CloudRoom, PyloadRoomView, RoomView
from .cloudroom import room as default_room
from .intake import TorrentQuery
from .jobs import JobStore, remember, remembered_job
from .queueing import Handback, LinkTaker, queue_job_files
from .storage import (
    BULK_PREFIX,
    TORRENT_DECRYPTER,
    PluginStore,
    bulk_done_key,
    bulk_done_prefix,
    bulk_key,
    torrent_job_key,
)
from .torrents import submitting as torrent_submitting

__all__ = ["BATCH_MIN", "BulkResult", "BulkTaker", "RateGate", "dedupe", "resolve_batch"]

log = logging.getLogger(__name__)

#: Workers resolving cached torrents at once: fast, and gentle with Offcloud.
WORKERS = 8
#: Tries per torrent when Offcloud answers 429.
RATE_LIMIT_TRIES = 4
#: Longest pause a 429 gets here; past that the torrent goes back to pyLoad.
MAX_PAUSE = 60.0
#: Magnets added together that make a batch worth it (a lone one the decrypter checks).
BATCH_MIN = 2


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
    key = torrent_job_key(query.info_hash)
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


Submit = Callable[[Callable[[], None]], bool]


class BulkTaker(LinkTaker):
    """The addon's side of a bulk: take a batch out of pyLoad's add, resolve it, give back the rest.

    ``store`` is the addon's own pyLoad storage (the batch notes); ``clients`` gives what opens
    clients on the account's key (``None``: no usable account,
    :func:`~offcloud_api.pyload.addonkit.client_factory`); ``check`` and ``resolve`` run a task
    on the addon's workers (False: stopped): the cache check, and the batches.
    """

    def __init__(
        self,
        addon: Addon,
        store: PluginStore,
        handback: Handback,
        *,
        clients: Callable[[], Optional[Callable[[], OffcloudAPI]]],
        check: Submit,
        resolve: Submit,
        book: CacheBook = cachebook,
        clock: Callable[[], float] = time.time,
        submitting: Callable[[str], AbstractContextManager[None]] = torrent_submitting,
    ) -> None:
        super().__init__(addon, store, handback)
        self.clients = clients
        self.check = check
        self.resolve = resolve
        self.book = book
        self.clock = clock
        self.submitting = submitting

    def _queries(self, matches: Sequence[tuple[str, str]]) -> list[TorrentQuery]:
        tempdir = self.core.tempdir
        queries = (
            intake.torrent_query(url, tempdir)
            for url, plugin in matches
            if plugin == TORRENT_DECRYPTER
        )
        return [query for query in queries if query is not None]

    # -- one cache check for many magnets ------------------------------------------------------

    def check_batch(self, matches: Sequence[tuple[str, str]]) -> None:
        """Ask Offcloud about the torrents of one add at once, before their decrypters start."""
        queries: dict[str, TorrentQuery] = {}
        for query in self._queries(matches):
            queries.setdefault(query.info_hash, query)
        if len(queries) < BATCH_MIN:
            return
        # Marked now, before pyLoad starts a decrypter: their lookups wait for this answer.
        fresh = self.book.expect(queries)
        if fresh:
            asked = [queries[info_hash] for info_hash in fresh]
            if not self.check(lambda: self._check_cache(asked)):
                self.book.release(fresh)

    def _check_cache(self, asked: Sequence[TorrentQuery]) -> None:
        hashes = [query.info_hash for query in asked]
        try:
            client = self.clients()
            if client is None:
                self.addon.log_debug("No usable Offcloud account for the cache check")
                return
            with client() as api:
                results = api.cache_info([query.query for query in asked])
            self.book.remember(results)
            cached = sum(1 for result in results if result.cached)
            self.addon.log_info(f"Offcloud has {cached} of {len(results)} added torrents cached")
        except OffcloudError as exc:
            self.addon.log_warning("Offcloud cache check failed", exc.message)
        finally:
            self.book.release(hashes)

    # -- many magnets at once: resolved here ---------------------------------------------------

    def take(self, urls: Any, matches: Sequence[tuple[str, str]], pid: int) -> bool:
        """Take the torrents of a big add out of ``urls`` (pyLoad's list); False leaves them."""
        if not isinstance(urls, list) or not self._in_queue(pid):
            return False
        queries = self._queries(matches)
        if len({query.info_hash for query in queries}) < BATCH_MIN:
            return False
        taken = {query.url for query in queries}
        batch_id = f"{pid}-{self.clock():.6f}"
        # Noted before the links leave pyLoad's add: after a crash they are given back.
        self.store.store(bulk_key(batch_id), {"pid": pid, "urls": sorted(taken)})
        urls[:] = [url for url in urls if url not in taken]
        if not self.resolve(lambda: self._resolve(batch_id, pid, queries)):
            self._give_back(batch_id, pid, [query.url for query in queries])
        return True

    def _in_queue(self, pid: int) -> bool:
        try:
            return bool(self.core.files.get_package(pid).queue)
        except Exception:  # noqa: BLE001 - no such package: leave the links to pyLoad
            return False

    def _resolve(self, batch_id: str, pid: int, queries: Sequence[TorrentQuery]) -> None:
        started = time.monotonic()
        left = [query.url for query in queries]
        try:
            client = self.clients()
            if client is None:
                self.addon.log_warning("Bulk: no usable Offcloud account; the links go to pyLoad")
                return
            result = resolve_batch(
                queries,
                client=client,
                store=PluginStore(self.core.db, TORRENT_DECRYPTER),
                queue_files=lambda query, job, files: self._queue(batch_id, pid, query, job, files),
                submitting=self.submitting,
                should_stop=lambda: exiting(self.core),
                book=self.book,
                on_error=lambda query, exc: self.addon.log_warning(
                    f"Bulk: {query.name or query.info_hash} failed here, it goes to the decrypter",
                    repr(exc),
                ),
                # Cached magnets: files from cache/download where it answers, no job (L19);
                # an add into a full cloud makes room first, else the decrypter waits (L23).
                direct=cache_route,
                room_view=PyloadRoomView(self.core),
            )
            left = [query.url for query in result.left]
            self.addon.log_info(
                f"Bulk: {len(result.resolved)} of {len(queries)} torrents queued from Offcloud's "
                f"cache in {time.monotonic() - started:.1f} s; {len(result.left)} go to the "
                f"decrypter, {len(result.repeats)} links repeated a torrent of the batch"
            )
        except OffcloudError as exc:
            self.addon.log_warning(
                "Bulk: Offcloud's cache check failed; the links go to pyLoad", exc.message
            )
        finally:
            self._give_back(batch_id, pid, left)

    def _queue(
        self,
        batch_id: str,
        pid: int,
        query: TorrentQuery,
        job: Optional[Job],
        files: list[CloudFile],
    ) -> bool:
        source = self.core.files.get_package(pid)
        if source is None:
            return False
        try:
            queue_job_files(
                self.core,
                job,
                files,
                name=query.name or (job.file_name if job is not None else None) or query.info_hash,
                source=source,
                log=self.addon.log_debug,
            )
        except ValueError:  # the filters kept nothing: the decrypter says so on the link
            return False
        self.store.store(bulk_done_key(batch_id, query.info_hash), True)
        return True

    def _give_back(self, batch_id: str, pid: int, urls: Sequence[str]) -> None:
        """Links not resolved go back to pyLoad, for the decrypter; the batch's notes go."""
        if urls:
            self.handback.to_package(pid, urls)
        for key, _ in list(self.store.items(bulk_done_prefix(batch_id))):
            self.store.delete(key)
        self.store.delete(bulk_key(batch_id))
        if self.core.files.get_package(pid) is not None:
            self.handback.drop_if_empty(pid)

    def resume_batches(self) -> None:
        """Batches a pyLoad restart interrupted: what was not queued goes back to pyLoad."""
        for key, value in list(self.store.items(BULK_PREFIX)):
            if not isinstance(value, dict):
                self.store.delete(key)
                continue
            batch_id = key[len(BULK_PREFIX) :]
            done = {k.rpartition(":")[2] for k, _ in self.store.items(bulk_done_prefix(batch_id))}
            urls = []
            for url in value.get("urls") or []:
                query = intake.torrent_query(url, self.core.tempdir)
                if query is None or query.info_hash not in done:
                    urls.append(url)
            self.addon.log_info(
                f"Bulk: {len(urls)} links of an interrupted batch go back to pyLoad"
            )
            self._give_back(batch_id, int(value.get("pid") or 0), urls)
