from ..base.decrypter import BaseDecrypter
from ..base.offcloud_bootstrap import UNUSABLE, unusable

try:
    from offcloud_api.exceptions import NotFoundError, OffcloudError
    from offcloud_api.models import JobStatus
    from offcloud_api.pyload.accounts import no_account_message
    from offcloud_api.pyload.links import folder_request_id
    from offcloud_api.pyload.outcomes import apply_outcome
    from offcloud_api.pyload.plugin_glue import DecrypterGlue
    from offcloud_api.pyload.progress import show_progress

    IMPORT_ERROR = None
except ImportError as exc:  # neither the library copy nor the Python has offcloud_api
    IMPORT_ERROR = exc
    UNUSABLE = unusable(exc)

# Without the library the class still loads, so that decrypt() can say why it cannot work.
Glue = DecrypterGlue if IMPORT_ERROR is None else type("Glue", (), {})


class OffcloudComFolder(Glue, BaseDecrypter):
    __name__ = "OffcloudComFolder"
    __type__ = "decrypter"
    __version__ = "0.06"
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
                    timeout=self._cloud_timeout(),
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
        self.packages = self._plan_files(job.file_name or request_id, files, request_id)
