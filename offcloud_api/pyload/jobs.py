"""Cloud jobs remembered across retries and restarts, and waited for with one Offcloud retry.

A cloud job can take minutes; pyLoad retries a link from scratch and forgets everything on a
restart. So the plugins store each job's request id in pyLoad's plugin storage (``self.db``) under
a key derived from the link (:func:`~offcloud_api.pyload.support.job_storage_key`), and look there
before they submit anything. The stored value is ``{"request_id": ..., "retried": bool}``: no
secret, and ``retried`` makes Offcloud's own retry of a failed job happen at most once.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Optional, Protocol

from ..client import OffcloudAPI
from ..exceptions import CloudJobError, NotFoundError
from ..models import Job

__all__ = ["JobStore", "remember", "remembered_job", "wait_retrying_once"]

log = logging.getLogger(__name__)


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
    poll_interval: float = 2.0,
) -> Job:
    """Wait until ``job`` is downloaded; if it fails, ask Offcloud to retry it, once per job.

    Offcloud's own retry often succeeds where the first fetch failed; ``on_retry`` hears about
    it (plugins log it where the user reads). Raises ``CloudJobError`` when the retried job fails
    too, and whatever :meth:`OffcloudAPI.wait_for_download` raises (``poll_interval`` is its
    first pause).
    """

    def wait(current: Job) -> Job:
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
    except CloudJobError as exc:
        stored = store.retrieve(key) or {}
        if stored.get("retried"):
            raise
        log.debug("job %s failed; asking Offcloud to retry it", job.request_id)
        if on_retry is not None:
            on_retry(exc)
    remember(store, key, job.request_id, retried=True)
    api.retry(job.request_id)
    return wait(api.cloud_status(job.request_id))
