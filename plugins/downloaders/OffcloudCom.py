import time

import pycurl
from pyload.core.network.exceptions import Abort, Fail
from pyload.core.network.http.exceptions import BadHeader

from ..base.multi_downloader import MultiDownloader
from ..base.offcloud_bootstrap import UNUSABLE, unusable

try:
    from offcloud_api.pyload.drops import TRANSIENT_CURL_ERRORS, curl_code, part_bytes
    from offcloud_api.pyload.hoster_routes import HosterSteps
    from offcloud_api.pyload.ippause import refused_body
    from offcloud_api.pyload.links import parse_file_url
    from offcloud_api.pyload.partial import drop_partial, note_partial, restore_partial

    IMPORT_ERROR = None
except ImportError as exc:  # neither the library copy nor the Python has offcloud_api
    IMPORT_ERROR = exc
    UNUSABLE = unusable(exc)


# Without the library the plugin still loads, and fails its links saying why (UNUSABLE).
Glue = HosterSteps if IMPORT_ERROR is None else type("Glue", (), {})


class OffcloudCom(Glue, MultiDownloader):
    __name__ = "OffcloudCom"
    __type__ = "downloader"
    __version__ = "0.11"
    __status__ = "testing"

    # Offcloud's file links: legacy file servers, and the 2026 CDN explore answers with (L11).
    # pyLoad reads the pattern with a regex: it must stay on one line.
    __pattern__ = r"https?://(?:[\w.-]+\.offcloud\.com/cloud/download/\w+/|(?:[\w-]+\.)*energycdn\.com/).+"  # fmt: skip
    __config__ = [
        ("use_premium", "bool", "Use premium account if available", True),
        ("fallback", "bool", "Fallback to free download if premium fails", False),
        ("revert_failed", "bool", "When Offcloud fails, try the host own plugin instead", False),
        ("max_wait", "int", "Reconnect if waiting time is greater than minutes", 10),
        ("force_cloud", "bool", "Always use cloud downloading, never instant", False),
        ("cloud_timeout", "int", "Give up waiting for a cloud job after minutes", 120),
        (
            "host_rest",
            "float",
            "Minutes a host rests for all its links after Offcloud could not serve it 3 times in a row (0 to never rest)",
            10.0,
        ),
        (
            "ip_check",
            "int",
            "Seconds between checks whether Offcloud accepts downloads from this IP again, while it refuses them",
            60,
        ),
        (
            "remove_finished",
            "bool",
            "Remove the job from the Offcloud cloud once the file is downloaded",
            False,
        ),
        (
            "archives",
            "keep;expand",
            "Archives behind hoster links: keep them as one file, or expand them into their files",
            "keep",
        ),
        (
            "include",
            "str",
            "Expanded folders and archives: only files matching (comma separated globs, empty for all)",
            "",
        ),
        (
            "exclude",
            "str",
            "Expanded folders and archives: leave out files matching (comma separated globs)",
            "",
        ),
        (
            "min_size",
            "str",
            "Expanded folders and archives: skip files smaller than this (50 MB, 1.5 GiB; a bare number is MB; empty for none)",
            "",
        ),
        ("largest_only", "bool", "Expanded folders and archives: only the largest file", False),
        (
            "video_only",
            "bool",
            "Expanded folders and archives: only video files (mkv, mp4, avi and the like)",
            False,
        ),
    ]

    __description__ = """Offcloud.com multi-hoster: hoster links through your Offcloud account (a cloud job, or instant where the API has it)"""
    __license__ = "GPLv3"
    __authors__ = [("Offcloud for pyLoad", "")]

    #: Offcloud's own file links skip the HEAD check: they are downloads by construction.
    DIRECT_LINK = None

    # What the link does is decided in offcloud_api.pyload.hoster_routes (the route),
    # hoster_files (the file server's answers) and hoster_waits (IP pause, host rest); this class
    # keeps pyLoad's entry points.

    def init(self):
        super().init()
        # What a file server's refusal taught this link; pyLoad runs setup() again on every
        # retry, so these live here, for as long as the link runs (a restart starts afresh).
        self._from_start = False  # the server will not resume: download the whole file
        self._one_connection = False
        self._rest_shown = False  # the link shows that its host rests
        self._drops = 0  # the file connection dropped this often in a row without progress

    def setup(self):
        super().setup()
        self.resume_download = not self._from_start
        self.multi_dl = True
        limit = self._chunk_limit() if IMPORT_ERROR is None else -1
        self.chunk_limit = 1 if self._one_connection else limit
        self.api = None
        self._link_refreshed = False  # an expired file link is resolved again once per attempt
        self._cloud_job = None  # the request id of the cloud job this attempt follows
        self._file_path = None  # that job's file this link downloads (its path in the job)
        self._ip_turn = False  # this attempt tries its download to learn whether the IP is back
        self._refusal_body = b""  # what a refused download wrote into its chunk files
        self._download_started = None

    def handle_direct(self, pyfile):
        # Links from our decrypters are Offcloud file URLs: download them without an API call.
        parsed = parse_file_url(pyfile.url) if IMPORT_ERROR is None else None
        if parsed is not None:
            if pyfile.name in ("", pyfile.url) or "/" in pyfile.name:
                pyfile.name = parsed.name
            self.link = pyfile.url

    def handle_free(self, pyfile):
        # pyLoad lands here when no premium account could be chosen; say why.
        reason = getattr(self.account, "blocked_reason", None) if self.account else None
        self.fail(
            reason
            or self._("No usable Offcloud account: add one with your API key as the password")
        )

    def handle_premium(self, pyfile):
        if UNUSABLE:
            self.fail(UNUSABLE)
        self._route(pyfile)  # instant where it can, else a cloud job

    def _process(self, thread):
        # Every attempt (finished, failed, retried, aborted) ends with its API client closed,
        # which frees the pyLoad request object it holds; the next attempt makes a new one.
        try:
            return super()._process(thread)
        except Abort:
            if IMPORT_ERROR is None:
                self._aborted(thread)  # a user's stop stays after a restart
            raise
        finally:
            if IMPORT_ERROR is None:
                self._close_client()

    def download(self, url, *args, **kwargs):
        self._wait_while_ip_refused()
        if self._download_started is None:
            self._download_started = time.time()
        self._refusal_body = b""
        try:
            result = super().download(url, *args, **kwargs)
        except BadHeader as exc:
            self._ip_refusal(url, exc)  # Offcloud refuses this IP: the account pauses
            fresh = self._refreshed_link(url, exc.code)
            if fresh is None:
                self._download_refused(exc)
            return self.download(fresh, *args, **kwargs)
        if self.req.code in (404, 410):
            # pyLoad raises nothing for a 404: it deletes the error page and saves no file.
            return self.download(self._expired_link(url, self.req.code), *args, **kwargs)
        return result

    def _download(self, url, filename, *args, **kwargs):
        # pyLoad writes an error answer's body into the partial file; take it out again, or a
        # later resume keeps it inside the file (offcloud_api.pyload.partial).
        if self._from_start:  # pyLoad would leave the old part's other chunk files behind
            drop_partial(filename)
        notes = note_partial(filename)
        had = part_bytes(filename)
        try:
            return super()._download(url, filename, *args, **kwargs)
        except BadHeader:
            # pyLoad keeps the refusal's body from the plugin: read it back first.
            self._refusal_body = refused_body(filename, notes)
            restore_partial(filename, notes)
            raise
        except pycurl.error as exc:
            if curl_code(exc) not in TRANSIENT_CURL_ERRORS:
                raise
            self._connection_dropped(curl_code(exc), part_bytes(filename) > had)

    def offline(self, msg=""):
        # pyLoad's offline() writes "offline" over the link's message; keep the reason set
        # before (apply_outcome does), so the queue says why. The status is pyLoad's "offline".
        if msg:
            self.pyfile.error = msg
        raise Fail("offline")

    def check_download(self):
        # Offcloud reports errors on file URLs as small JSON or HTML bodies; pyLoad's generic
        # rules would loop for ever on text files starting with three digits (not used).
        self._check_body()
        self._finished()
