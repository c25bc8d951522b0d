import os
import time

from pyload.core.network.exceptions import Abort
from pyload.core.network.http.exceptions import BadHeader

from ..base.decrypter import BaseDecrypter
from ..base.offcloud_bootstrap import UNUSABLE, unusable

try:
    from offcloud_api.exceptions import CloudFullError, OffcloudError
    from offcloud_api.models import JobStatus
    from offcloud_api.pyload import notices
    from offcloud_api.pyload.accounts import choose_account, no_account_message
    from offcloud_api.pyload.background import Followed, active_follower
    from offcloud_api.pyload.cachebook import cachebook
    from offcloud_api.pyload.cachedl import cache_route
    from offcloud_api.pyload.cloudroom import MAX_FULL_WAIT, PyloadRoomView, room
    from offcloud_api.pyload.filters import FileFilter
    from offcloud_api.pyload.jobs import wait_retrying_once
    from offcloud_api.pyload.outcomes import apply_outcome
    from offcloud_api.pyload.packages import add_packages, folder_per_package, select_and_plan
    from offcloud_api.pyload.progress import format_progress, show_progress
    from offcloud_api.pyload.storage import FileLinks
    from offcloud_api.pyload.torrents import (
        CachePolicy,
        SourceKind,
        Step,
        TorrentSourceError,
        local_torrent_path,
        obtain_job,
        refusal_message,
        source_kind,
        submitted_message,
        torrent_from_bytes,
        torrent_from_magnet,
    )
    from offcloud_api.redact import log_safe_args

    IMPORT_ERROR = None
except ImportError as exc:  # neither the library copy nor the Python has offcloud_api
    IMPORT_ERROR = exc
    UNUSABLE = unusable(exc)


class OffcloudComTorrent(BaseDecrypter):
    __name__ = "OffcloudComTorrent"
    __type__ = "decrypter"
    __version__ = "0.08"
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

    def load_account(self):
        # pyLoad looks for an account named like this class; ours is OffcloudCom. Setting
        # self.account also makes pyLoad mask the key in this plugin's log lines.
        self.account = choose_account(self.pyload.account_manager) if IMPORT_ERROR is None else None

    def decrypt(self, pyfile):
        if UNUSABLE:
            self.fail(UNUSABLE)
        if not self.account:
            self.fail(no_account_message(self.pyload.account_manager))
        try:
            torrent = self._torrent(pyfile.url)
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
            files = self._cached_files(api, torrent)
            if files is None:
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
                    self._hand_over(follower, torrent, None)
                self.log_info(
                    self._("Offcloud job {} for {} ({})").format(
                        found.job.request_id,
                        torrent.display_name,
                        "reused" if found.reused else "added",
                    )
                )
                if follower is not None and found.job.status is not JobStatus.DOWNLOADED:
                    self._hand_over(follower, torrent, found.job)
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
        try:
            wanted = FileFilter.from_config(self.config.get)
            name = torrent.name or (job.file_name if job is not None else None)
            plans = select_and_plan(name or torrent.info_hash, files, wanted)
        except ValueError as exc:  # nothing selected, or a bad min_size
            self.fail(str(exc))
        if job is not None:
            # CDN file links name no job (L11): note it for the downloader and the clean-up addon.
            FileLinks(self.pyload.db).remember(job.request_id, wanted.select(files))
        self.packages = [plan.as_tuple() for plan in plans]
        self._discard_upload(pyfile.url)

    def _cached_files(self, api, torrent):
        """The files of a magnet Offcloud's cache answer says it holds, from cache/download
        (L19), or None: add it as a job (no such route here, or a job of it exists already)."""
        if self.db.retrieve(torrent.storage_key):
            return None  # pyLoad added it before: that job is used
        answer = cachebook.lookup(torrent.info_hash, wait=False)
        if answer is None or not answer.cached:
            return None
        files = cache_route.files(api, torrent.magnet)
        if files is not None:
            self.log_info(
                self._("{}: {} files from Offcloud's cache, no cloud job").format(
                    torrent.display_name, len(files)
                )
            )
        return files

    def _cloud_full(self, follower, torrent, exc):
        """The cloud is full and no room could be made: the link waits, it does not fail."""
        if room.first_full():  # one notice per full spell, not one per link
            self.account.offcloud_notice(
                notices.cloud_full(self.account.user or "", secrets=(self.account.api_key(),))
            )
        if follower is None:
            apply_outcome(self, exc)  # waits in this thread, tries again after full_wait
        # The background loop adds it once there is room; this thread ends (the link waits).
        follower.wait_for_room(
            Followed(
                link_id=self.pyfile.id,
                plugin=self.classname,
                storage_key=torrent.storage_key,
                name=torrent.display_name,
                magnet=torrent.magnet,
                capped=True,
                deadline=time.time() + MAX_FULL_WAIT,
            )
        )
        self.log_info(
            self._("{}: Offcloud's cloud is full, the link waits for room").format(
                torrent.display_name
            )
        )
        raise Abort

    def _cloud_timeout(self):
        return max(1, self.config.get("cloud_timeout", 120)) * 60

    def _hand_over(self, follower, torrent, job):
        """Leave the job to the addon's background loop and end this thread (the link waits)."""
        follower.adopt(
            Followed(
                link_id=self.pyfile.id,
                plugin=self.classname,
                storage_key=torrent.storage_key,
                name=torrent.display_name,
                request_id=job.request_id if job is not None else None,
                magnet=torrent.magnet,
                capped=True,
                deadline=time.time() + self._cloud_timeout(),
                text=format_progress(job) if job is not None else "",
            )
        )
        if job is None:
            self.log_info(
                self._("{}: {}; it is added to Offcloud when a job ends").format(
                    torrent.display_name, follower.waiting_message()
                )
            )
        else:
            self.log_info(
                self._(
                    "{} is not ready at Offcloud yet (job {}): followed in the background, its files are queued when it is done"
                ).format(torrent.display_name, job.request_id)
            )
        # pyLoad's decrypter thread ends here without deleting the link: the addon shows the
        # job's state on it, and restarts it when Offcloud is done.
        raise Abort

    def _log(self, level, plugintype, pluginname, args, kwargs):
        # Queued CDN links are signed for the account (L11): masked where pyLoad logs them.
        if IMPORT_ERROR is None:
            args = log_safe_args(args)
        return super()._log(level, plugintype, pluginname, args, kwargs)

    def _torrent(self, url):
        """The torrent behind a magnet, an uploaded .torrent or a .torrent address."""
        kind = source_kind(url)
        if kind is SourceKind.MAGNET:
            return torrent_from_magnet(url)
        if kind is SourceKind.LOCAL_FILE:
            path = local_torrent_path(url, self.pyload.tempdir)
            try:
                with open(path, "rb") as fp:
                    return torrent_from_bytes(fp.read())
            except OSError as exc:
                raise TorrentSourceError(
                    self._("The uploaded .torrent file cannot be read: {}").format(exc.strerror)
                ) from None
        try:
            data = self.load(url, decode=False)  # through pyLoad: its proxy, its SSL settings
        except BadHeader as exc:
            raise TorrentSourceError(
                self._("The .torrent address answered HTTP {}").format(exc.code)
            ) from None
        if self.req.code >= 400:
            raise TorrentSourceError(
                self._("The .torrent address answered HTTP {}").format(self.req.code)
            )
        return torrent_from_bytes(data if isinstance(data, bytes) else data.encode("latin-1"))

    def _discard_upload(self, url):
        # pyLoad's TORRENT container left the upload in the temp folder as tmp_<name>.torrent;
        # once the files are queued nothing reads it again (a retry re-runs before this point).
        if source_kind(url) is not SourceKind.LOCAL_FILE:
            return
        path = local_torrent_path(url, self.pyload.tempdir)
        if os.path.basename(path).startswith("tmp_"):
            try:
                os.remove(path)
            except OSError as exc:
                self.log_debug("Could not remove the uploaded .torrent", exc.strerror)

    def _create_packages(self):
        # pyLoad's own version flattens nested folders such as Release/Sub (see
        # offcloud_api.pyload.torrents); this one keeps them.
        add_packages(
            self.pyload,
            self.packages,
            source=self.pyfile.package(),
            per_package=folder_per_package(
                self.config.get("folder_per_package", "Default"),
                self.pyload.config.get("general", "folder_per_package"),
            ),
            log=self.log_info,
        )
