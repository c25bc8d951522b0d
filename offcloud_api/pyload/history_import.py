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
from typing import Callable

from ..models import Job, JobStatus
from .background import PluginStore

__all__ = ["Importer"]

log = logging.getLogger(__name__)

BASELINE_KEY = "import:baseline"
IMPORTED_PREFIX = "imported:"


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
        baseline = self.store.retrieve(BASELINE_KEY)
        if not isinstance(baseline, list):
            self.store.store(BASELINE_KEY, [job.request_id for job in finished])
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
                    IMPORTED_PREFIX + job.request_id,
                    {"request_id": job.request_id, "at": self.clock()},
                )
                imported.append(job.request_id)
            else:
                sighted.add(job.request_id)  # try again next round
        self._sighted = sighted
        return imported
