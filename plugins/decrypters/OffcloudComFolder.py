from ..base.decrypter import BaseDecrypter
from ..base.offcloud_bootstrap import UNUSABLE, unusable

try:
    from offcloud_api.exceptions import NotFoundError, OffcloudError
    from offcloud_api.models import JobStatus
    from offcloud_api.pyload.accounts import choose_account, no_account_message
    from offcloud_api.pyload.filters import FileFilter
    from offcloud_api.pyload.links import folder_request_id
    from offcloud_api.pyload.outcomes import apply_outcome
    from offcloud_api.pyload.packages import add_packages, folder_per_package, select_and_plan
    from offcloud_api.pyload.progress import show_progress
    from offcloud_api.pyload.storage import FileLinks
    from offcloud_api.redact import log_safe_args

    IMPORT_ERROR = None
except ImportError as exc:  # neither the library copy nor the Python has offcloud_api
    IMPORT_ERROR = exc
    UNUSABLE = unusable(exc)


class OffcloudComFolder(BaseDecrypter):
    __name__ = "OffcloudComFolder"
    __type__ = "decrypter"
    __version__ = "0.05"
    __status__ = "testing"

    # A job's folder link, without a file part: per-file links are the downloader's.
    __pattern__ = r"https?://(?:[\w-]+\.)?offcloud\.com/cloud/download/(?P<ID>\w+)/?(?:[?#].*)?$"
    __config__ = [
        ("folder_per_package", "Default;Yes;No", "Create folder for each package", "Default"),
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
        ("cloud_timeout", "int", "Give up waiting for an unfinished job after minutes", 120),
    ]

    __description__ = """Offcloud.com cloud folder links: one link per file of a job"""
    __license__ = "GPLv3"
    __authors__ = [("Offcloud for pyLoad", "")]

    def load_account(self):
        # Setting self.account also makes pyLoad mask the key in this plugin's log lines.
        self.account = choose_account(self.pyload.account_manager) if IMPORT_ERROR is None else None

    def decrypt(self, pyfile):
        if UNUSABLE:
            self.fail(UNUSABLE)
        if not self.account:
            self.fail(no_account_message(self.pyload.account_manager))
        request_id = folder_request_id(pyfile.url)
        if request_id is None:
            self.fail(self._("Not an Offcloud cloud folder link"))
        api = self.account.offcloud_client(self, self.account.api_key(), lambda: pyfile.abort)
        try:
            job = api.cloud_status(request_id)
            if job.status is not JobStatus.DOWNLOADED:
                job = api.wait_for_download(
                    request_id,
                    first=job,
                    timeout=max(1, self.config.get("cloud_timeout", 120)) * 60,
                    on_progress=lambda job: show_progress(pyfile, job),
                    should_abort=lambda: pyfile.abort,
                )
            files = api.explore_cloud(request_id, job=job)
        except NotFoundError:
            self.fail(
                self._(
                    "Your Offcloud cloud has no job {} (removed, or it belongs to another account)"
                ).format(request_id)
            )
        except OffcloudError as exc:
            apply_outcome(self, exc)
        finally:
            api.close()
        try:
            wanted = FileFilter.from_config(self.config.get)
            plans = select_and_plan(job.file_name or request_id, files, wanted)
        except ValueError as exc:  # nothing selected, or a bad min_size
            self.fail(str(exc))
        # CDN file links name no job (L11): note it for the downloader and the clean-up addon.
        FileLinks(self.pyload.db).remember(request_id, wanted.select(files))
        self.packages = [plan.as_tuple() for plan in plans]

    def _log(self, level, plugintype, pluginname, args, kwargs):
        # Queued CDN links are signed for the account (L11): masked where pyLoad logs them.
        if IMPORT_ERROR is None:
            args = log_safe_args(args)
        return super()._log(level, plugintype, pluginname, args, kwargs)

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
