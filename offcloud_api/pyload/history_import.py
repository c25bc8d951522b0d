"""Import from offcloud.com (the addon's ``import_finished`` option).

Jobs finished in the cloud that pyLoad did not add (started on the website, by another app, by
the browser extension) are queued once each, with the torrent decrypter's filters. The background
loop passes every history answer here (one call a round, docs/api.md L12).

Which jobs are new: the first history seen with the option on is the baseline, and the jobs
finished in it are never imported (the option imports what finishes from now on, not years of
history). A job pyLoad added itself is known by its request id in the plugins' storage. A job is
imported on its second sighting as finished, so a job pyLoad is adding at this very moment (its
request id not stored yet) is not taken for a foreign one. Each imported id is remembered.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any, Callable, Optional

from ..client import OffcloudAPI
from ..exceptions import OffcloudError
from ..models import Job, JobStatus
from .addonkit import Addon
from .queueing import queue_job_files
from .storage import (
    DOWNLOADER,
    FOLDER_DECRYPTER,
    HOOK_STORAGE,
    IMPORT_BASELINE_KEY,
    TORRENT_DECRYPTER,
    PluginStore,
    imported_key,
    stored_request_ids,
)

__all__ = ["Importer", "known_request_ids", "queue_imported"]

log = logging.getLogger(__name__)


class Importer:
    def __init__(
        self,
        store: PluginStore,
        *,
        known: Callable[[], set[str]],
        queue_job: Callable[[Job], bool],
        notice: Callable[[str], None] = log.info,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.notice = notice
        self.store = store
        self.known = known
        self.queue_job = queue_job
        self.clock = clock
        self._sighted: set[str] = set()

    def on_history(self, jobs: Iterable[Job]) -> list[str]:
        """Import what is new in one history answer; the request ids imported."""
        finished = [job for job in jobs if job.status is JobStatus.DOWNLOADED]
        baseline = self.store.retrieve(IMPORT_BASELINE_KEY)
        if not isinstance(baseline, list):
            self.store.store(IMPORT_BASELINE_KEY, [job.request_id for job in finished])
            self.notice(
                f"Import: baseline of {len(finished)} finished jobs in your Offcloud cloud; "
                "jobs finishing from now on that pyLoad did not add are queued"
            )
            return []
        old = set(baseline)
        candidates = [job for job in finished if job.request_id not in old]
        if not candidates:
            self._sighted.clear()
            return []
        known = self.known()
        imported: list[str] = []
        sighted: set[str] = set()
        for job in candidates:
            if job.request_id in known:
                continue
            if job.request_id not in self._sighted:
                sighted.add(job.request_id)  # imported next round, if still nobody's
                continue
            if self.queue_job(job):
                self.store.store(
                    imported_key(job.request_id),
                    {"request_id": job.request_id, "at": self.clock()},
                )
                imported.append(job.request_id)
            else:
                sighted.add(job.request_id)  # try again next round
        self._sighted = sighted
        return imported


def known_request_ids(core: Any) -> set[str]:
    """The jobs pyLoad's Offcloud plugins remember: pyLoad added them, they are not imported."""
    stores = [
        PluginStore(core.db, name)
        for name in (DOWNLOADER, TORRENT_DECRYPTER, FOLDER_DECRYPTER, HOOK_STORAGE)
    ]
    return stored_request_ids(stores)


def queue_imported(addon: Addon, client: Callable[[], Optional[OffcloudAPI]], job: Job) -> bool:
    """Queue the files of ``job`` in a package of its own (the ``queue_job`` of an
    :class:`Importer`); False to try again next round (no account, Offcloud did not answer)."""
    api = client()
    if api is None:
        return False
    try:
        with api:
            files = api.explore_cloud(job.request_id, job=job)
    except OffcloudError as exc:
        addon.log_warning("Import: Offcloud did not list the job's files", exc.message)
        return False
    # A package of its own in the queue, like a pasted cloud folder link.
    source = SimpleNamespace(queue=1, password="", folder="")
    try:
        queue_job_files(
            addon.pyload,
            job,
            files,
            name=job.file_name or job.request_id,
            source=source,
            log=addon.log_debug,
        )
    except ValueError as exc:  # the filters kept nothing: imported all the same
        addon.log_info(f"Import: nothing of Offcloud job {job.request_id} queued", exc)
        return True
    addon.log_info(f"Import: {job.file_name or '?'} (Offcloud job {job.request_id}) queued")
    return True
