"""Cloud-only mode (the addon's ``cloud_only`` option): added links become Offcloud cloud jobs.

The addon (``OffcloudComHook``) takes the links Offcloud handles out of pyLoad's add
(:func:`~offcloud_api.pyload.intake.plan_cloud_only`) and sends each to the cloud on its worker
thread; pyLoad downloads nothing. Links to Offcloud files and jobs are in the cloud already.

Never a second job: each link's job is remembered in the addon's storage under
:func:`~offcloud_api.pyload.storage.job_storage_key` of what was sent, a link sent before is
looked up rather than sent again, and the add goes through
:func:`~offcloud_api.pyload.jobs.add_once`, so an add whose answer is lost (cut, reset, a 5xx
page) finds the job it made in the cloud history instead of making another. Whatever does not
reach the cloud is not lost: it goes into the link collector
(:meth:`~offcloud_api.pyload.queueing.Handback.to_collector`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Callable, Optional

from ..client import OffcloudAPI
from ..exceptions import OffcloudError
from ..models import Job
from . import intake
from .addonkit import Addon
from .cleanup import request_id_of
from .jobs import add_once, remembered_job
from .queueing import Handback, LinkTaker
from .storage import FileLinks, PluginStore, job_storage_key

__all__ = ["CloudOnly"]

log = logging.getLogger(__name__)


class CloudOnly(LinkTaker):
    """Cloud-only sending for the addon ``addon``.

    ``store`` is the addon's own pyLoad storage (``self.db``); ``client`` opens a client on the
    account's key (``None``: no usable account); ``submit`` runs a task on the addon's worker
    (False: the worker is stopped).
    """

    def __init__(
        self,
        addon: Addon,
        store: PluginStore,
        handback: Handback,
        *,
        client: Callable[[], Optional[OffcloudAPI]],
        submit: Callable[[Callable[[], None]], bool],
    ) -> None:
        super().__init__(addon, store, handback)
        self.client = client
        self.submit = submit

    def take(self, urls: Any, matches: Sequence[tuple[str, str]], pid: int) -> None:
        """Take the links Offcloud handles out of ``urls`` (pyLoad's list, changed in place)."""
        if not isinstance(urls, list):
            self.addon.log_warning("Cloud only: pyLoad passed links that cannot be taken")
            return
        names = intake.offcloud_plugin_names(self.core.plugin_manager.downloader_plugins)
        plan = intake.plan_cloud_only(matches, names)
        if not plan.taken:
            return
        urls[:] = plan.keep  # pyLoad adds only what is left in the list
        if not self.submit(lambda: self.send(plan, pid)):
            self.give_back(plan.taken, pid)

    def send(self, plan: intake.CloudOnlyPlan, pid: int) -> None:
        """Send ``plan.send`` to the cloud; what did not get there goes to the link collector."""
        for url in plan.in_cloud:
            self.addon.log_info(
                "Cloud only: already in your Offcloud cloud as job "
                + (request_id_of(url, FileLinks(self.core.db).job_of) or "?")
            )
        done: set[str] = set()
        try:
            api = self.client() if plan.send else None
            if plan.send and api is None:
                self.addon.log_warning("Cloud only: no usable Offcloud account")
            elif api is not None:
                with api:
                    done.update(url for url in plan.send if self._send_one_of_many(api, url))
        except Exception as exc:  # noqa: BLE001 - said; the links go to the collector
            self.addon.log_warning("Cloud only: sending to Offcloud stopped", exc)
        finally:
            failed = [url for url in plan.send if url not in done]
            if failed:
                self.give_back(failed, pid)
            self.handback.drop_if_empty(pid)

    def _send_one_of_many(self, api: OffcloudAPI, url: str) -> bool:
        # One link that cannot be sent must not stop the others: it goes back to the collector.
        try:
            return self.send_one(api, url)
        except Exception as exc:  # noqa: BLE001 - said; the link goes to the collector
            self.addon.log_warning("Cloud only: a link could not be sent", exc)
            return False

    def send_one(self, api: OffcloudAPI, url: str) -> bool:
        """Make ``url`` a cloud job (once); whether it is in the cloud now."""
        submission = intake.submission_for(url, self.core.tempdir)
        if submission is None:
            self.addon.log_warning("Cloud only: not a readable .torrent in pyLoad's temp folder")
            return False
        key = job_storage_key(submission)
        try:
            job = self._known_job(api, key)
            if job is not None:
                self.addon.log_info(
                    f"Cloud only: {job.file_name or '?'} is already in your Offcloud cloud as job "
                    f"{job.request_id} ({job.status.value})"
                )
                return True
            job = add_once(api, self.store, key, submission)
        except OffcloudError as exc:
            self.addon.log_warning("Cloud only: Offcloud did not take a link", exc.message)
            return False
        self._forget_torrent_file(url)
        self.addon.log_info(
            f"Cloud only: {job.file_name or '?'} sent to your Offcloud cloud as job "
            f"{job.request_id} ({job.status.value})"
        )
        return True

    def _known_job(self, api: OffcloudAPI, key: str) -> Optional[Job]:
        """The job sent before under ``key``, unless Offcloud forgot it or it failed (an add
        whose answer was lost has no request id yet: add_once looks for it)."""
        job = remembered_job(api, self.store, key)
        return None if job is None or job.status.is_failed else job

    def _forget_torrent_file(self, url: str) -> None:
        # pyLoad's TORRENT container left its copy of an uploaded .torrent in the temp folder
        # (tmp_<name>.torrent); a .torrent of the user's own there stays.
        path = intake.own_upload_path(url, self.core.tempdir)
        if path is not None:
            try:
                Path(path).unlink()
            except OSError as exc:
                self.addon.log_debug("Could not remove the uploaded .torrent", exc.strerror)

    def give_back(self, urls: Sequence[str], pid: int) -> None:
        """Links cloud-only mode could not send: into the link collector, not downloaded."""
        self.handback.to_collector(pid, urls)
        self.addon.log_warning(
            f"Cloud only: {len(urls)} links not sent, left in the link collector"
        )
