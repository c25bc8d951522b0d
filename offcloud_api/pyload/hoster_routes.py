"""The way of a hoster link through Offcloud, as the downloader plugin takes it.

:class:`HosterSteps` is the FIRST base of the downloader class (plugins/downloaders/): the plugin
keeps pyLoad's entry points, and they call in here. The route (:meth:`HosterSteps._route`):

1. wait while the account pauses or the link's host rests (:mod:`.hoster_waits`), no API call;
2. instant where the API has it (2026: it does not, L4) and neither ``force_cloud`` nor a
   cloud-only host says otherwise; an archive to expand goes through a cloud job instead;
3. else a cloud job: the one remembered for the link, or one added once (:func:`.jobs.add_once`;
   a full cloud the link cannot make room in waits for room in the background loop);
4. wait for the job, in this thread for a while, then handed over to the addon's background loop
   (``follow_after``), so the job does not hold a download slot;
5. one file: its link is downloaded (:mod:`.hoster_files`); several (a folder, an archive
   Offcloud unpacked): expanded into packages, filtered by the plugin's options.
"""

from __future__ import annotations

import time
from typing import Any, cast

from ..exceptions import (
    CloudFullError,
    CloudOnlyError,
    EndpointRemovedError,
    OffcloudError,
    WaitTimeoutError,
)
from ..models import CloudFile, Job
from .archives import ArchiveMode, expanded_name, is_archive_name
from .background import Followed, active_follower
from .hoster_files import HosterFiles
from .hostlist import host_of, matching_host
from .hostrest import hostrest
from .jobs import add_once, remembered_job, wait_retrying_once
from .outcomes import outcome_for
from .progress import format_progress, show_progress
from .resume import active_keeper
from .storage import job_storage_key

__all__ = ["HosterSteps"]


class HosterSteps(HosterFiles):
    """Everything the downloader decides, behind pyLoad's entry points."""

    def _chunk_limit(self) -> int:
        """Connections per download: Offcloud's limit for the link's host, else -1 (pyLoad's)."""
        hosts = getattr(self.account, "offcloud_hosts", None) if self.account else None
        if hosts is not None:
            host = matching_host(self.pyfile.url, hosts.chunk_limits)
            if host is not None:
                return int(hosts.chunk_limits[host])
        return -1  # no limit known: pyLoad's own chunk setting applies

    def _aborted(self, thread: Any) -> None:
        # A user's stop (or delete) of this link: it stays aborted after a pyLoad restart
        # (offcloud_api.pyload.resume). pyLoad's exit stops every download thread before it
        # aborts their links; our own hand-over to the background loop sets no pyfile.abort.
        keeper = active_keeper()
        if keeper is None or not self.pyfile.abort:
            return
        if not getattr(thread, "running", True) or getattr(self.pyload, "exiting", False):
            return
        keeper.user_stopped(self.pyfile.id)

    # -------------------------------------------------------------------------------------------
    # routes

    def _route(self, pyfile: Any) -> None:
        """A hoster link through Offcloud: instant where it can, else a cloud job."""
        self._wait_while_ip_refused()
        if not self.db.retrieve(job_storage_key(pyfile.url)):  # a job at Offcloud goes on
            self._wait_while_host_rests(pyfile)
        self._client()
        try:
            # 2026: no instant route (docs/api.md L4), so not even a call to it.
            if self.api.instant_available() and not self._must_use_cloud(pyfile.url):
                try:
                    if self._instant(pyfile):
                        return
                except (CloudOnlyError, EndpointRemovedError) as exc:
                    self.log_info(outcome_for(exc).message)
            self._cloud(pyfile)
        except OffcloudError as exc:
            self._apply(exc)

    def _must_use_cloud(self, url: str) -> bool:
        if self.config.get("force_cloud", False):
            return True
        hosts = getattr(self.account, "offcloud_hosts", None)
        return hosts is not None and matching_host(url, hosts.cloud_only) is not None

    def _instant(self, pyfile: Any) -> bool:
        """Use Offcloud's instant link; False when an archive is to be expanded instead."""
        job = self.api.instant(pyfile.url)
        hostrest.served(host_of(pyfile.url))
        if not job.url:
            raise EndpointRemovedError("instant answered without a link", feature="instant")
        if self._archive_mode() is ArchiveMode.EXPAND and is_archive_name(job.file_name):
            # Instant hands an archive over as one file; a cloud job unpacks it.
            self.log_info(
                self._("{} is an archive: expanding it through a cloud job").format(job.file_name)
            )
            return False
        self._use_link(job.url, job.file_name, job.file_size)
        return True

    def _archive_mode(self) -> ArchiveMode:
        return ArchiveMode.parse(self.config.get("archives", "keep"))

    # -------------------------------------------------------------------------------------------
    # the cloud job

    def _cloud(self, pyfile: Any) -> None:
        key = job_storage_key(pyfile.url)
        job = remembered_job(self.api, self.db, key)
        if job is None:
            job = self._add_making_room(pyfile, key)
            hostrest.served(host_of(pyfile.url))  # Offcloud took a link of this host
            self.log_info(self._("Offcloud cloud job {}").format(job.request_id))
        else:
            self.log_info(self._("Resuming Offcloud cloud job {}").format(job.request_id))
        self._after_job(pyfile, key, job)

    def _add_making_room(self, pyfile: Any, key: str) -> Job:
        """Add the link; a full cloud that no room could be made in is waited out."""
        try:
            return add_once(
                self.api,
                self.db,
                key,
                pyfile.url,
                on_found=lambda job: self.log_info(
                    self._(
                        "Offcloud's answer was lost; found the job {} in the cloud history"
                    ).format(job.request_id)
                ),
            )
        except CloudFullError:
            self._cloud_full_notice()
            follower = active_follower()
            if follower is None:
                raise  # the link waits in its thread: apply_outcome retries after full_wait
            # The background loop adds it once there is room, and this download slot is free.
            follower.forget(pyfile.id)
            self._wait_for_room(
                follower,
                Followed(
                    link_id=pyfile.id,
                    plugin=self.classname,
                    storage_key=key,
                    name=pyfile.name,
                    magnet=pyfile.url,
                ),
                self._("Offcloud's cloud is full: the link waits for room"),
            )

    def _after_job(self, pyfile: Any, key: str, job: Job) -> None:
        self._cloud_job = job.request_id
        job = self._wait(job, key, pyfile.url)
        self._cloud_job = job.request_id  # a job added again after a failure has a new id
        # The file links come only from explore, never from the add or status answer (L5, L10).
        files = self.api.explore_cloud(job.request_id, job=job)
        if not files:
            self.fail(
                self._("Offcloud finished the job {} but lists no file in it").format(
                    job.request_id
                )
            )
        if len(files) == 1:
            self._use_file(job.request_id, files[0])
            return
        if is_archive_name(job.file_name) and self._archive_mode() is ArchiveMode.KEEP:
            # A cloud job has no archive to hand over: Offcloud unpacked it already.
            self.log_info(
                self._(
                    "Offcloud unpacked the archive {} in the cloud; downloading its files"
                ).format(job.file_name)
            )
        self._expand(job, files)

    def _wait(self, job: Job, key: str, url: str) -> Job:
        def add_again() -> Job:
            self.log_info(self._("Offcloud will not retry the job; adding the link again"))
            added: Job = self.api.cloud(url)
            return added

        # With the addon's background loop running, a job that takes long is left to it after
        # a short wait here, so it does not hold one of pyLoad's download slots.
        follower = active_follower()
        timeout = self._cloud_timeout()
        if follower is not None:
            follower.forget(self.pyfile.id)  # restarted while followed: this run takes over
            timeout = min(timeout, follower.settings.hand_over_after)
        try:
            return wait_retrying_once(
                self.api,
                self.db,
                key,
                job,
                timeout=timeout,
                on_progress=lambda job: show_progress(self.pyfile, job),
                should_abort=lambda: bool(self.pyfile.abort),
                on_retry=lambda exc: self.log_warning(
                    self._("Offcloud job failed, trying it once more"), exc.message
                ),
                add_again=add_again,
            )
        except WaitTimeoutError as exc:
            if follower is None or exc.job is None:
                raise
            # This download slot is free again; the loop restarts the link when it is done.
            self._hand_over(
                follower,
                Followed(
                    link_id=self.pyfile.id,
                    plugin=self.classname,
                    storage_key=key,
                    name=self.pyfile.name,
                    request_id=exc.job.request_id,
                    deadline=time.time() + self._cloud_timeout(),
                    text=format_progress(cast(Job, exc.job)),
                ),
                self._(
                    "Offcloud job {} takes longer: followed in the background,"
                    " the download starts when it is done"
                ).format(exc.job.request_id),
            )

    def _expand(self, job: Job, files: list[CloudFile]) -> None:
        """Several files: queued as packages beside the link's (filtered by the options); the
        link itself is skipped, saying how many."""
        name = expanded_name(job.file_name or self.pyfile.package().name)
        packages = self._plan_files(name, files, job.request_id)
        self._add_packages(
            packages, per_package=self.pyload.config.get("general", "folder_per_package")
        )
        count = sum(len(links) for _name, links, _folder in packages)
        message = self._("Expanded into {} files").format(count)
        self.pyfile.error = message  # shown in the queue; pyLoad keeps no text of its own
        self.skip(message)
