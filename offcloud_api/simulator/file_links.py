"""What a file link points at: download tokens, signed CDN links, the files of a finished job.

:class:`FileLinks` is the part of :class:`~.state.SimState` that issues the links the API
answers hand out (``/dl/<token>/<name>``, the CDN links of L11 and L19) and finds the file a
download asks for; it shares the state's lock, id counter and jobs.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from typing import Optional

from .files import FileSpec
from .records import CDN_NODES, CDN_STORES, CdnLink, Job, JobProgress
from .scenario import Scenario

__all__ = ["FileLinks"]


class FileLinks:
    """Tokens, CDN links and job files (a part of :class:`~.state.SimState`)."""

    lock: threading.RLock
    scenario: Scenario
    jobs: dict[str, Job]
    tokens: dict[str, FileSpec]
    cdn_links: dict[str, CdnLink]
    _counter: int

    def _next_id(self, salt: str) -> str:
        """A fresh id from the state's one counter (:meth:`.state.SimState._next_id`)."""
        raise NotImplementedError

    def progress(self, job: Job) -> JobProgress:
        """The job as it stands now (:meth:`.state.SimState.progress`)."""
        raise NotImplementedError

    def issue_token(self, file: FileSpec) -> str:
        """A download token for ``file`` (instant and cached links)."""
        with self.lock:
            token = self._next_id(f"token:{file.seed}") + self._next_id("token")[:8]
            self.tokens[token] = file
            return token

    def job_file(self, request_id: str, index: Optional[int]) -> Optional[tuple[Job, FileSpec]]:
        """The file a download URL points to, if its job is downloaded and still there.

        ``index`` is as in the URL (base ``api.file_index_base``); ``None`` means the job's only
        file.
        """
        with self.lock:
            job = self.jobs.get(request_id)
            if job is None or job.removed or self.progress(job).status != "downloaded":
                return None
            if index is None:
                return (job, job.files[0]) if not job.is_directory else None
            position = index - self.scenario.api.file_index_base
            if 0 <= position < len(job.files):
                return job, job.files[position]
            return None

    def token_file(self, token: str) -> Optional[FileSpec]:
        with self.lock:
            return self.tokens.get(token)

    def issue_cdn_link(self, job: Job, position: int) -> CdnLink:
        """A fresh signed CDN link for file ``position`` of ``job`` (live profile, L11).

        Every call signs anew, as every explore call does; the token is random-looking
        base64url and carries no request id (a client cannot read the job out of the URL).
        """
        return self._issue_cdn(job.request_id, position, job.files[position])

    def issue_cdn_file(self, spec: FileSpec, position: int) -> CdnLink:
        """A signed CDN link for a cached torrent's file, with no job (``cache/download``, L19)."""
        return self._issue_cdn(None, position, spec)

    def _issue_cdn(self, request_id: Optional[str], position: int, spec: FileSpec) -> CdnLink:
        with self.lock:
            self._counter += 1
            salt = f"{request_id or spec.seed}:{position}:{self._counter}"
            digest = hashlib.sha256(f"{self.scenario.seed}:cdn:{salt}".encode()).digest()
            token = base64.urlsafe_b64encode(digest[:30]).decode("ascii")
            link = CdnLink(
                token=token,
                node=CDN_NODES[self._counter % len(CDN_NODES)],
                store=CDN_STORES[(self._counter // len(CDN_NODES)) % len(CDN_STORES)],
                request_id=request_id,
                position=position,
                file=spec,
            )
            self.cdn_links[token] = link
            return link

    def cdn_file(
        self, store: str, token: str, name: str
    ) -> Optional[tuple[Optional[Job], FileSpec]]:
        """The file a CDN link names (and its job, if it has one).

        A job's link works once the job is downloaded; after the job is removed it keeps
        working (L15) unless ``api.cdn_links_outlive_jobs`` is off. A ``cache/download`` link
        has no job and always works.
        """
        with self.lock:
            link = self.cdn_links.get(token)
            if link is None or link.store != store or link.file.name != name:
                return None
            if link.request_id is None:
                return None, link.file
            job = self.jobs.get(link.request_id)
            if job is None or self.progress(job).status != "downloaded":
                return None
            if job.removed and not self.scenario.api.cdn_links_outlive_jobs:
                return None
            return job, link.file
