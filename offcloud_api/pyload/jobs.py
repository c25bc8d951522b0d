"""Cloud jobs remembered across retries and restarts, and waited for with one Offcloud retry.

A cloud job can take minutes; pyLoad retries a link from scratch and forgets everything on a
restart. So the plugins store each job's request id in pyLoad's plugin storage (``self.db``) under
a key derived from the link (:func:`~offcloud_api.pyload.storage.job_storage_key`), and look there
before they submit anything. The stored value is ``{"request_id": ..., "retried": bool}``: no
secret, and ``retried`` makes Offcloud's own retry of a failed job happen at most once.

An add whose answer is lost (cut, reset, a 5xx page) may still have made the job, and adding the
link again would make a second one. So :func:`add_once` notes ``{"submitted_at": ...}`` before it
adds, and after such a failure, or on the next attempt, looks for the job in the cloud history.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, Optional, Protocol
from urllib.parse import urlsplit

from ..client import OffcloudAPI
from ..exceptions import (
    CloudJobError,
    HTTPError,
    InvalidResponseError,
    JobStuckError,
    NotFoundError,
    OffcloudConnectionError,
    OffcloudError,
    ServerError,
)
from ..models import Job, JobStatus

__all__ = [
    "JobStore",
    "add_once",
    "answer_was_lost",
    "find_added_job",
    "remember",
    "remembered_job",
    "wait_retrying_once",
]

log = logging.getLogger(__name__)

#: Seconds a job in the history may seem older than the add that made it (clocks differ).
CLOCK_SLACK = 10 * 60


class JobStore(Protocol):
    """pyLoad's per-plugin storage (``plugin.db``), or anything with its three methods."""

    def retrieve(self, key: str, default: Any = None) -> Any: ...

    def store(self, key: str, value: Any) -> None: ...

    def delete(self, key: str) -> None: ...


def remember(store: JobStore, key: str, request_id: str, *, retried: bool = False) -> None:
    store.store(key, {"request_id": request_id, "retried": retried})


def remembered_job(api: OffcloudAPI, store: JobStore, key: str) -> Optional[Job]:
    """The current status of the job stored under ``key``, if it is worth resuming.

    A job Offcloud no longer knows, or one that failed again after its one retry, is forgotten
    (``None``): the caller then submits afresh.
    """
    stored = store.retrieve(key)
    if not isinstance(stored, dict) or not stored.get("request_id"):
        return None
    try:
        job = api.cloud_status(str(stored["request_id"]))
    except NotFoundError:
        store.delete(key)
        return None
    if job.status.is_failed and stored.get("retried"):
        store.delete(key)
        return None
    return job


def answer_was_lost(error: OffcloudError) -> bool:
    """Whether an add that raised ``error`` may have made the job all the same.

    A cut or broken answer, a connection lost after the request went out and a 5xx page leave it
    open; a refusal Offcloud put in words (offline, bad key, 429 ...) says no job was made.
    """
    if isinstance(error, OffcloudConnectionError):
        return error.request_sent
    return isinstance(error, (InvalidResponseError, ServerError))


def find_added_job(api: OffcloudAPI, url: str, since: float) -> Optional[Job]:
    """The newest job of ``url`` in the cloud history made at ``since`` (epoch seconds) or later."""
    wanted = _link_identity(url)
    cutoff = since - CLOCK_SLACK
    for job in api.get_history():  # newest first
        if job.original_link is None or _link_identity(job.original_link) != wanted:
            continue
        if job.created_on is None or job.created_on.timestamp() >= cutoff:
            return job
    return None


def add_once(
    api: OffcloudAPI,
    store: JobStore,
    key: str,
    url: str,
    *,
    on_found: Optional[Callable[[Job], None]] = None,
    clock: Callable[[], float] = time.time,
) -> Job:
    """Add ``url`` as a cloud job and remember it under ``key``, never making a second job.

    If an earlier add under ``key`` got no usable answer, or this one gets none
    (:func:`answer_was_lost`), the job is looked for in the cloud history first; ``on_found``
    hears of a job found there. Raises the add's error when no job was made or the history
    cannot tell, and the history's error when an earlier add is still unaccounted for: the note
    stays then, so the next attempt looks again before it adds anything.
    """
    stored = store.retrieve(key)
    pending = stored.get("submitted_at") if isinstance(stored, dict) else None
    if isinstance(pending, (int, float)) and not isinstance(pending, bool):
        since = float(pending)
        found = find_added_job(api, url, since)
        if found is not None:
            return _adopt(store, key, found, on_found)
    else:
        since = clock()
        store.store(key, {"submitted_at": since})
    try:
        job = api.cloud(url)
    except OffcloudError as exc:
        if not answer_was_lost(exc):
            store.delete(key)
            raise
        log.debug("no usable answer to adding a link (%s); looking in the history", exc.message)
        try:
            found = find_added_job(api, url, since)
        except OffcloudError as history_error:
            log.debug("the cloud history cannot tell either: %s", history_error.message)
            found = None
        if found is None:
            raise
        return _adopt(store, key, found, on_found)
    remember(store, key, job.request_id)
    return job


def _adopt(store: JobStore, key: str, job: Job, on_found: Optional[Callable[[Job], None]]) -> Job:
    remember(store, key, job.request_id)
    if on_found is not None:
        on_found(job)
    return job


def _link_identity(url: str) -> str:
    """A link without what Offcloud may change: scheme, ``www.``, case of the host, final ``/``."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    host = host[4:] if host.startswith("www.") else host
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # not a number: leave it out
        port = ""
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{port}{parts.path.rstrip('/')}{query}"


def wait_retrying_once(
    api: OffcloudAPI,
    store: JobStore,
    key: str,
    job: Job,
    *,
    timeout: float,
    on_progress: Callable[[Job], None],
    should_abort: Callable[[], bool],
    on_retry: Optional[Callable[[CloudJobError], None]] = None,
    add_again: Optional[Callable[[], Job]] = None,
    poll_interval: float = 2.0,
) -> Job:
    """Wait until ``job`` is downloaded; if it fails, have it tried again, once per job.

    Offcloud's own retry often succeeds where the first fetch failed. The 2026 API has no retry
    route that a live probe saw (docs/api.md §00), so where Offcloud will not retry the
    job, ``add_again`` submits the link afresh (without it the failure stands). ``on_retry``
    hears about it (plugins log it where the user reads). A job that never started
    (:class:`JobStuckError`) is not tried again: the link itself is bad. Raises
    ``CloudJobError`` when the second try fails too, and whatever
    :meth:`OffcloudAPI.wait_for_download` raises (``poll_interval`` is its first pause).
    """

    def wait(current: Job) -> Job:
        if current.status is JobStatus.DOWNLOADED:
            return current  # a cached item: the add answer says so (L5), no poll needed
        return api.wait_for_download(
            current.request_id,
            first=current,
            poll_interval=poll_interval,
            timeout=timeout,
            on_progress=on_progress,
            should_abort=should_abort,
        )

    try:
        return wait(job)
    except JobStuckError:
        raise
    except CloudJobError as exc:
        stored = store.retrieve(key) or {}
        if stored.get("retried"):
            raise
        log.debug("job %s failed; asking Offcloud to retry it", job.request_id)
        if on_retry is not None:
            on_retry(exc)
        failure = exc
    remember(store, key, job.request_id, retried=True)
    try:
        api.retry(job.request_id)
    except (NotFoundError, HTTPError):  # no retry route, or Offcloud will not retry this job
        if add_again is None:
            raise failure from None
        fresh = add_again()
        remember(store, key, fresh.request_id, retried=True)
        return wait(fresh)
    return wait(api.cloud_status(job.request_id))
