import datetime

from ..base.addon import BaseAddon
from ..base.offcloud_bootstrap import UNUSABLE, unusable

try:
    from offcloud_api.exceptions import OffcloudError
    from offcloud_api.pyload.addonkit import AddonGlue, SerialWorker, select_key
    from offcloud_api.pyload.cleanup import (
        EndedLinks,
        Link,
        Verdict,
        ended_job,
        followed_request_ids,
        full_wait_seconds,
        job_verdict,
        periodic_protected,
        pyload_links,
        stale_jobs,
    )
    from offcloud_api.pyload.cloudroom import CreatedJobs, room
    from offcloud_api.pyload.storage import DOWNLOADER, HOOK_STORAGE, FileLinks, PluginStore
    from offcloud_api.pyload.transport import client_for

    IMPORT_ERROR = None
except ImportError as exc:  # neither the library copy nor the Python has offcloud_api
    IMPORT_ERROR = exc
    UNUSABLE = unusable(exc)

# The shared addon glue (offcloud_api.pyload.addonkit): the key masked in every log line.
Glue = AddonGlue if IMPORT_ERROR is None else type("Glue", (), {})


class OffcloudComCleanup(Glue, BaseAddon):
    __name__ = "OffcloudComCleanup"
    __type__ = "addon"
    __version__ = "0.07"
    __status__ = "testing"

    __config__ = [
        ("enabled", "bool", "Activated", True),
        (
            "after_download",
            "bool",
            "Remove a job from the Offcloud cloud once every file from it is downloaded (off: keep jobs; a full cloud still gets room)",
            True,
        ),
        ("keep_failed", "bool", "Keep the job when a download from it failed", True),
        (
            "only_own",
            "bool",
            "After the download remove only jobs this pyLoad added, never one you started on offcloud.com",
            True,
        ),
        (
            "older_than",
            "int",
            "Every hour remove jobs Offcloud finished more than so many hours ago, 0 = never",
            0,
        ),
        ("include_failed", "bool", "The hourly clean-up also removes failed jobs", False),
        (
            "full_wait",
            "float",
            "Minutes between tries while your Offcloud cloud is full and pyLoad has no job to remove",
            5.0,
        ),
    ]

    __description__ = """Offcloud.com: remove jobs from your Offcloud cloud once downloaded, and old finished jobs every hour"""
    __license__ = "GPLv3"
    __authors__ = [("Offcloud for pyLoad", "")]

    INTERVAL = 60 * 60
    FIRST_RUN_DELAY = 3

    def init(self):
        self.active = False
        self.worker = None
        self.done_fids = set()
        self.removed = set()
        self.ended = None

    # ---------------------------------------------------------------------------------------
    # pyLoad lifecycle and events

    def activate(self):
        if UNUSABLE:
            self.log_error(UNUSABLE)
            return
        self.worker = SerialWorker(self.classname, self._task_failed)
        # Downloads that ended, looked at together (offcloud_api.pyload.cleanup.EndedLinks).
        self.ended = EndedLinks(self.worker.submit, self._look)
        self.active = True
        self._apply_full_wait()
        self._schedule()
        hours = self.config.get("older_than", 0)
        self.log_info(
            self._("Active"),
            self._("remove jobs after their download: {}").format(
                "on" if self.config.get("after_download", True) else "off"
            ),
            self._("hourly clean-up: {}").format(
                self._("jobs older than {} hours").format(hours) if hours > 0 else "off"
            ),
        )

    def deactivate(self):
        if not self.active:
            return
        self.active = False
        self.periodical.stop()
        self.worker.stop()

    def exit(self):
        if self.worker is not None:
            self.worker.stop()

    def config_changed(self, category, option, value, section):
        if self.active and category == self.classname and option == "full_wait":
            self._apply_full_wait()
        if (
            self.active
            and category == self.classname
            and option in ("older_than", "include_failed")
        ):
            self._schedule()

    def _apply_full_wait(self):
        # The plugins' waits for room in a full cloud (offcloud_api.pyload.cloudroom).
        room.set_wait(full_wait_seconds(self.config.get("full_wait", 5.0)))

    def download_finished(self, pyfile):
        if not self.active or not self.config.get("after_download", True):
            return
        try:
            # pyLoad marks the link finished only after this event: remember it ourselves.
            self.done_fids.add(pyfile.id)
            self._consider(pyfile, 0)
        except Exception as exc:  # an error here would fail the download in pyLoad
            self.log_warning(self._("Offcloud clean-up could not look at a download"), exc)

    def download_failed(self, pyfile):
        if not self.active or not self.config.get("after_download", True):
            return
        if self.config.get("keep_failed", True):
            return
        try:
            self._consider(pyfile, int(getattr(pyfile, "status", 8)))
        except Exception as exc:
            self.log_warning(self._("Offcloud clean-up could not look at a download"), exc)

    def periodical_task(self):
        # pyLoad's Periodical cannot report an error of ours (it crashes on it): never raise.
        try:
            self.worker.submit(self._clean_old)
        except Exception as exc:
            self.log_warning(self._("Offcloud clean-up not started"), exc)

    def _task_failed(self, exc):
        self.log_warning(self._("Offcloud clean-up failed"), exc)

    # ---------------------------------------------------------------------------------------
    # after the download

    def _consider(self, pyfile, status):
        found = ended_job(
            pyfile,
            FileLinks(self.pyload.db).job_of,
            removed_by_downloader=lambda: (
                status == 0 and self.config.get("remove_finished", False, plugin=DOWNLOADER)
            ),
        )
        if found is None:
            return
        request_id, url = found
        ended = Link(fid=pyfile.id, url=url, status=status, package_id=pyfile.packageid)
        self.ended.add(request_id, ended)

    def _look(self, batch):
        links = pyload_links(self.pyload)
        for request_id, ended in batch:
            self._remove_if_done(request_id, ended, links)

    def _remove_if_done(self, request_id, ended, links):
        if request_id in self.removed:
            return
        # The downloader's record of the link that just ended does not count as "in use".
        in_use = followed_request_ids(self._store(DOWNLOADER), links, ignore={ended.fid})
        verdict = job_verdict(
            request_id,
            links,
            ended=ended,
            done_fids=self.done_fids,
            keep_failed=self.config.get("keep_failed", True),
            in_use=in_use,
            ours=self._own_jobs() if self.config.get("only_own", True) else None,
        )
        if verdict is not Verdict.REMOVE:
            self.log_debug(f"Offcloud job {request_id} stays: {verdict.value}")
            return
        why = (
            self._("every file from it is downloaded")
            if ended.status == 0
            else self._("its downloads ended, one failed")
        )
        self._remove([request_id], why)

    # ---------------------------------------------------------------------------------------
    # every hour

    def _schedule(self):
        self.periodical.stop()
        if self.active and self.config.get("older_than", 0) > 0:
            self.periodical.start(self.INTERVAL, threaded=True, delay=self.FIRST_RUN_DELAY)

    def _clean_old(self):
        hours = self.config.get("older_than", 0)
        if not self.active or hours <= 0:
            return
        key = select_key(self.pyload)
        if key is None:
            self.log_debug("No usable Offcloud account for the clean-up")
            return
        links = pyload_links(self.pyload)
        protected = periodic_protected(links, self._store(DOWNLOADER), self._store(HOOK_STORAGE))
        try:
            with client_for(self, key, self._exiting) as api:
                history = api.get_history()
        except OffcloudError as exc:
            self.log_warning(self._("Could not read the Offcloud history"), exc.message)
            return
        stale = stale_jobs(
            history,
            now=datetime.datetime.now(datetime.timezone.utc),
            older_than_hours=hours,
            include_failed=self.config.get("include_failed", False),
            protected=protected,
        )
        if stale:
            why = self._("finished more than {} hours ago").format(hours)
            self._remove([job.request_id for job in stale], why, key=key)

    # ---------------------------------------------------------------------------------------
    # shared

    def _remove(self, request_ids, why, key=None):
        key = key or select_key(self.pyload)
        if key is None:
            self.log_warning(self._("No usable Offcloud account to remove jobs with"))
            return
        try:
            with client_for(self, key, self._exiting) as api:
                api.remove(request_ids)
        except OffcloudError as exc:
            # Best effort: the job stays in the cloud, nothing else depends on it.
            self.log_warning(
                self._("Could not remove jobs from the Offcloud cloud"),
                ", ".join(request_ids),
                exc.message,
            )
            return
        self.removed.update(request_ids)
        FileLinks(self.pyload.db).forget_jobs(request_ids)  # the notes of which job a link is of
        CreatedJobs(self.pyload.db).forget(request_ids)  # gone: nothing to make room with
        room.freed()  # links waiting for room may add at once
        for request_id in request_ids:
            self.log_info(self._("Removed Offcloud job {id}: {why}").format(id=request_id, why=why))

    def _own_jobs(self):
        # The jobs this pyLoad's adds created (offcloud_api.pyload.cloudroom's ledger).
        return {created.request_id for created in CreatedJobs(self.pyload.db).entries()}

    def _store(self, plugin):
        return PluginStore(self.pyload.db, plugin)
