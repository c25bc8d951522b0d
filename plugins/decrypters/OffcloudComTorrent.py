import os
import time

from pyload.core.network.http.exceptions import BadHeader

from ..base.decrypter import BaseDecrypter
from ..base.offcloud_bootstrap import UNUSABLE, unusable

try:
    from offcloud_api.exceptions import CloudFullError, OffcloudError
    from offcloud_api.models import JobStatus
    from offcloud_api.pyload.accounts import no_account_message
    from offcloud_api.pyload.background import active_follower
    from offcloud_api.pyload.cloudroom import PyloadRoomView, room
    from offcloud_api.pyload.intake import own_upload_path
    from offcloud_api.pyload.jobs import wait_retrying_once
    from offcloud_api.pyload.outcomes import apply_outcome
    from offcloud_api.pyload.plugin_glue import DecrypterGlue
    from offcloud_api.pyload.progress import show_progress
    from offcloud_api.pyload.torrents import (
        CachePolicy,
        Step,
        TorrentSourceError,
        cached_files,
        followed_torrent,
        obtain_job,
        refusal_message,
        submitted_message,
        torrent_for_link,
    )

    IMPORT_ERROR = None
except ImportError as exc:  # neither the library copy nor the Python has offcloud_api
    IMPORT_ERROR = exc
    UNUSABLE = unusable(exc)

# Without the library the class still loads, so that decrypt() can say why it cannot work.
Glue = DecrypterGlue if IMPORT_ERROR is None else type("Glue", (), {})


class OffcloudComTorrent(Glue, BaseDecrypter):
    __name__ = "OffcloudComTorrent"
    __type__ = "decrypter"
    __version__ = "0.09"
    __status__ = "testing"

    # Offcloud's own file links are left to the downloader, even when they end in .torrent.
    __pattern__ = r"magnet:\?.+|file://.+\.torrent$|https?://(?![\w.-]+\.offcloud\.com/cloud/download/|(?:[\w-]+\.)*energycdn\.com/).+\.torrent(?:[?#].*)?$"
    __config__ = [
        ("folder_per_package", "Default;Yes;No", "Create folder for each package", "Default"),
        (
            "cache_policy",
            "all;only_cached;uncached_to_cloud",
            "Torrents Offcloud has not cached: add and wait (all), refuse (only_cached), or add to the cloud without waiting (uncached_to_cloud)",
            "all",
        ),
        ("include", "str", "Only files matching (comma separated globs, empty for all)", ""),
        ("exclude", "str", "Leave out files matching (comma separated globs)", ""),
        (
            "min_size",
            "str",
            "Skip files smaller than this (50 MB, 1.5 GiB; a bare number is MB; empty for none)",
            "",
        ),
        ("largest_only", "bool", "Download only the largest file", False),
        ("video_only", "bool", "Download only video files (mkv, mp4, avi and the like)", False),
        ("cloud_timeout", "int", "Give up waiting for Offcloud after minutes", 120),
    ]

    __description__ = """Offcloud.com torrents: magnets and .torrent files through your Offcloud cloud, one link per file"""
    __license__ = "GPLv3"
    __authors__ = [("Offcloud for pyLoad", "")]

    def decrypt(self, pyfile):
        if UNUSABLE:
            self.fail(UNUSABLE)
        if not self.account:
            self.fail(no_account_message(self.pyload.account_manager))
        try:
            torrent = torrent_for_link(pyfile.url, self.pyload.tempdir, self._fetch)
        except TorrentSourceError as exc:
            self.fail(str(exc))
        pyfile.name = torrent.display_name
        policy = CachePolicy.parse(self.config.get("cache_policy", "all"))
        # The addon's background loop, when it runs: it follows what Offcloud still works on,
        # so this thread does not wait (and it holds back new jobs past max_running_jobs).
        follower = active_follower()
        if follower is not None:
            follower.forget(pyfile.id)  # restarted while followed: this run takes over
        # Adds make room when the cloud is full (offcloud_api.pyload.cloudroom).
        api = room.client(
            self.account.offcloud_client(self, self.account.api_key(), lambda: pyfile.abort),
            PyloadRoomView(self.pyload),
        )
        job = None
        try:
            # A magnet known cached: its files in one call, no job (offcloud_api.pyload.cachedl).
            files = cached_files(api, self.db.retrieve, torrent)
            if files is not None:
                self.log_info(
                    self._("{}: {} files from Offcloud's cache, no cloud job").format(
                        torrent.display_name, len(files)
                    )
                )
            else:
                found = obtain_job(
                    api,
                    self.db,
                    torrent,
                    policy,
                    # Only a cap needs the cache answer before an add (cached torrents never wait).
                    admit=(
                        (lambda: follower.admit(pyfile.id))
                        if follower is not None and follower.settings.max_running > 0
                        else None
                    ),
                )
                if found.step is Step.REFUSE:
                    self.fail(refusal_message(torrent, found.job))
                if found.step is Step.WAIT_SLOT:
                    self._follow(follower, torrent, None)
                self.log_info(
                    self._("Offcloud job {} for {} ({})").format(
                        found.job.request_id,
                        torrent.display_name,
                        "reused" if found.reused else "added",
                    )
                )
                if follower is not None and found.job.status is not JobStatus.DOWNLOADED:
                    self._follow(follower, torrent, found.job)
                if found.step is Step.SUBMIT_ONLY:
                    self.fail(submitted_message(torrent, found.job))
                job = wait_retrying_once(
                    api,
                    self.db,
                    torrent.storage_key,
                    found.job,
                    timeout=self._cloud_timeout(),
                    on_progress=lambda job: show_progress(pyfile, job),
                    should_abort=lambda: pyfile.abort,
                    on_retry=lambda exc: self.log_warning(
                        self._("Offcloud job failed, trying it once more"), exc.message
                    ),
                    add_again=lambda: api.cloud(torrent.magnet),
                )
                files = api.explore_cloud(job.request_id, job=job)
        except CloudFullError as exc:
            self._cloud_full(follower, torrent, exc)
        except OffcloudError as exc:
            apply_outcome(self, exc)
        finally:
            if follower is not None:
                follower.release(pyfile.id)  # a slot it reserved and did not use
            api.close()
        name = torrent.name or (job.file_name if job is not None else None)
        self.packages = self._plan_files(
            name or torrent.info_hash, files, job.request_id if job is not None else None
        )
        self._discard_upload(pyfile.url)

    def _fetch(self, url):
        """A .torrent address's HTTP status and body, loaded through pyLoad (its proxy, its SSL
        settings); no body when pyLoad raised for the status."""
        try:
            data = self.load(url, decode=False)
        except BadHeader as exc:
            return exc.code, None
        return self.req.code, data

    def _cloud_full(self, follower, torrent, exc):
        """The cloud is full and no room could be made: the link waits, it does not fail."""
        self._cloud_full_notice()
        if follower is None:
            apply_outcome(self, exc)  # waits in this thread, tries again after full_wait
        self._wait_for_room(
            follower,
            followed_torrent(torrent, link_id=self.pyfile.id, plugin=self.classname),
            self._("{}: Offcloud's cloud is full, the link waits for room").format(
                torrent.display_name
            ),
        )

    def _follow(self, follower, torrent, job):
        """Leave the job (or, under the cap, the add) to the addon's background loop; this
        thread ends without deleting the link: the addon shows the job's state on it, and
        restarts it when Offcloud is done."""
        followed = followed_torrent(
            torrent,
            link_id=self.pyfile.id,
            plugin=self.classname,
            deadline=time.time() + self._cloud_timeout(),
            job=job,
        )
        if job is None:
            message = self._("{}: {}; it is added to Offcloud when a job ends").format(
                torrent.display_name, follower.waiting_message()
            )
        else:
            message = self._(
                "{} is not ready at Offcloud yet (job {}): followed in the background, its files are queued when it is done"
            ).format(torrent.display_name, job.request_id)
        self._hand_over(follower, followed, message)

    def _discard_upload(self, url):
        # pyLoad's TORRENT container left the upload in the temp folder; once the files are
        # queued nothing reads it again (a retry re-runs before this point).
        path = own_upload_path(url, self.pyload.tempdir)
        if path is not None:
            try:
                os.remove(path)
            except OSError as exc:
                self.log_debug("Could not remove the uploaded .torrent", exc.strerror)
