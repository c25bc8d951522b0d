import os
import sys
import time

import pycurl

# The library: the private copy `offcloud pyload install` puts beside the plugins (one version
# stamp with them, and it survives a new Docker image), else the Python's own offcloud_api.
_LIBRARY_COPY = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "offcloud_lib"
)
if os.path.isdir(_LIBRARY_COPY) and _LIBRARY_COPY not in sys.path:
    sys.path.insert(0, _LIBRARY_COPY)

from pyload.core.network.exceptions import Abort, Fail
from pyload.core.network.http.exceptions import BadHeader

from ..base.multi_downloader import MultiDownloader

try:
    from offcloud_api.exceptions import (
        CloudFullError,
        CloudOnlyError,
        EndpointRemovedError,
        IPNotRegisteredError,
        NotFoundError,
        OffcloudConnectionError,
        OffcloudError,
        ResponseTooLargeError,
        WaitTimeoutError,
    )
    from offcloud_api.pyload import notices
    from offcloud_api.pyload.archives import (
        ArchiveMode,
        expanded_name,
        is_archive_name,
        match_refreshed_file,
    )
    from offcloud_api.pyload.background import Followed, active_follower
    from offcloud_api.pyload.cloudroom import MAX_FULL_WAIT, CreatedJobs, PyloadRoomView, room
    from offcloud_api.pyload.compat import unsupported_pyload
    from offcloud_api.pyload.drops import (
        TRANSIENT_CURL_ERRORS,
        after_drop,
        curl_code,
        drops_in_a_row,
        part_bytes,
    )
    from offcloud_api.pyload.filters import FileFilter
    from offcloud_api.pyload.hostlist import host_of, matching_host
    from offcloud_api.pyload.hostrest import MAX_RESTS, counts_against_host, hostrest
    from offcloud_api.pyload.ippause import (
        PROBE_MAX_BYTES,
        PROBE_RANGE,
        PROBE_SECONDS,
        Turn,
        Verdict,
        account_key,
        bare_refusal,
        ippause,
        probe_verdict,
        refusal_reason,
        refused_body,
    )
    from offcloud_api.pyload.jobs import add_once, remembered_job, wait_retrying_once
    from offcloud_api.pyload.links import parse_file_url
    from offcloud_api.pyload.outcomes import (
        apply_outcome,
        file_server_error,
        outcome_for,
        refused_download,
    )
    from offcloud_api.pyload.packages import add_packages, select_and_plan
    from offcloud_api.pyload.partial import drop_partial, note_partial, restore_partial
    from offcloud_api.pyload.progress import format_progress, show_progress
    from offcloud_api.pyload.resume import active_keeper
    from offcloud_api.pyload.storage import FileLinkStore, job_storage_key
    from offcloud_api.pyload.transport import PyloadTransport, has_headers, header_value
    from offcloud_api.redact import log_safe_args
    from offcloud_api.retry import parse_retry_after
    from offcloud_api.transport import Request

    IMPORT_ERROR = None
    # Why the plugins cannot work here, said where the user looks: the library is missing, or
    # this pyLoad is outside the supported range.
    UNUSABLE = unsupported_pyload()
except ImportError as exc:  # neither the library copy nor the Python has offcloud_api
    IMPORT_ERROR = exc
    UNUSABLE = f"offcloud_api cannot be imported ({exc}): run offcloud pyload install --userdir <this pyLoad's folder>, which puts the library beside the plugins"


class OffcloudCom(MultiDownloader):
    __name__ = "OffcloudCom"
    __type__ = "downloader"
    __version__ = "0.10"
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
        self.chunk_limit = 1 if self._one_connection else self._chunk_limit()
        self.api = None
        self._link_refreshed = False  # an expired file link is resolved again once per attempt
        self._cloud_job = None  # the request id of the cloud job this attempt follows
        self._file_path = None  # that job's file this link downloads (its path in the job)
        self._ip_turn = False  # this attempt tries its download to learn whether the IP is back
        self._refusal_body = b""  # what a refused download wrote into its chunk files
        self._download_started = None

    def _chunk_limit(self):
        hosts = getattr(self.account, "offcloud_hosts", None) if self.account else None
        if hosts is not None:
            host = matching_host(self.pyfile.url, hosts.chunk_limits)
            if host is not None:
                return hosts.chunk_limits[host]
        return -1  # no limit known: pyLoad's own chunk setting applies

    # ---------------------------------------------------------------------------------------
    # pyLoad entry points

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

    def _process(self, thread):
        # Every attempt (finished, failed, retried, aborted) ends with its API client closed,
        # which frees the pyLoad request object it holds; the next attempt makes a new one.
        try:
            return super()._process(thread)
        except Abort:
            self._aborted(thread)
            raise
        finally:
            self._close_client()

    def _aborted(self, thread):
        # A user's stop (or delete) of this link: it stays aborted after a pyLoad restart
        # (offcloud_api.pyload.resume). pyLoad's exit stops every download thread before it
        # aborts their links; our own hand-over to the background loop sets no pyfile.abort.
        keeper = active_keeper() if IMPORT_ERROR is None else None
        if keeper is None or not self.pyfile.abort:
            return
        if not getattr(thread, "running", True) or getattr(self.pyload, "exiting", False):
            return
        keeper.user_stopped(self.pyfile.id)

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
            fresh = self._refreshed_link(url, self.req.code)
            if fresh is None:
                self.fail(
                    self._(
                        "The file server answered HTTP {}: the link expired or the file is gone"
                    ).format(self.req.code)
                )
            return self.download(fresh, *args, **kwargs)
        return result

    def _download(self, url, filename, *args, **kwargs):
        # pyLoad writes an error answer's body into the partial file; take it out again, or a
        # later resume keeps it inside the file (offcloud_api.pyload.partial).
        notes = None
        if IMPORT_ERROR is None:
            if self._from_start:  # pyLoad would leave the old part's other chunk files behind
                drop_partial(filename)
            notes = note_partial(filename)
        had = part_bytes(filename) if IMPORT_ERROR is None else 0
        try:
            return super()._download(url, filename, *args, **kwargs)
        except BadHeader:
            if notes is not None:
                # pyLoad keeps the refusal's body from the plugin: read it back first.
                self._refusal_body = refused_body(filename, notes)
                restore_partial(filename, notes)
            raise
        except pycurl.error as exc:
            if IMPORT_ERROR is not None or curl_code(exc) not in TRANSIENT_CURL_ERRORS:
                raise
            self._connection_dropped(curl_code(exc), part_bytes(filename) > had)

    def _connection_dropped(self, code, progressed):
        """The file connection broke: the part stays, the link tries again after a growing wait
        and resumes it (offcloud_api.pyload.drops); it fails once the drops run out."""
        self._drops = drops_in_a_row(getattr(self, "_drops", 0), progressed=progressed)
        then = after_drop(code, self._drops)
        self.log_warning(then.message)
        if then.give_up:
            self.fail(then.message)
        # attempts=0: pyLoad counts no limit; the drops in a row are the limit.
        self.retry(0, then.wait, then.message)

    def _log(self, level, plugintype, pluginname, args, kwargs):
        # pyLoad logs every URL it loads: a CDN link's path is signed for the account (L11) and
        # a removal URL is a GET that deletes (L15).
        if IMPORT_ERROR is None:
            args = log_safe_args(args)
        return super()._log(level, plugintype, pluginname, args, kwargs)

    def offline(self, msg=""):
        # pyLoad's offline() writes "offline" over the link's message; keep the reason set
        # before (apply_outcome does), so the queue says why. The status is pyLoad's "offline".
        if msg:
            self.pyfile.error = msg
        raise Fail("offline")

    def check_download(self):
        # Offcloud reports errors on file URLs as small JSON or HTML bodies. pyLoad's generic
        # rules would also loop for ever on any text file starting with three digits, so only a
        # small body that parses as an Offcloud error counts.
        path = os.fsdecode(self.last_download)
        try:
            if os.path.getsize(path) <= 4096:
                with open(path, "rb") as fp:
                    self._raise_body_error(fp.read())
        except OSError as exc:
            self.log_warning(self._("Could not read the downloaded file"), exc)
        self._finished()

    # ---------------------------------------------------------------------------------------
    # routes

    def _must_use_cloud(self, url):
        if self.config.get("force_cloud", False):
            return True
        hosts = getattr(self.account, "offcloud_hosts", None)
        return hosts is not None and matching_host(url, hosts.cloud_only) is not None

    def _client(self):
        if self.api is None:
            api = self.account.offcloud_client(
                self, self.account.api_key(), lambda: self.pyfile.abort
            )
            # Its adds make room when the cloud is full (offcloud_api.pyload.cloudroom).
            self.api = room.client(api, PyloadRoomView(self.pyload))
        return self.api

    def _close_client(self):
        api, self.api = getattr(self, "api", None), None
        if api is not None:
            try:
                api.close()
            except Exception as exc:
                self.log_debug("Closing the Offcloud client failed", exc)

    def _instant(self, pyfile):
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

    def _archive_mode(self):
        return ArchiveMode.parse(self.config.get("archives", "keep"))

    def _cloud(self, pyfile):
        key = job_storage_key(pyfile.url)
        job = remembered_job(self.api, self.db, key)
        if job is None:
            job = self._add_making_room(pyfile, key)
            hostrest.served(host_of(pyfile.url))  # Offcloud took a link of this host
            self.log_info(self._("Offcloud cloud job {}").format(job.request_id))
        else:
            self.log_info(self._("Resuming Offcloud cloud job {}").format(job.request_id))
        self._after_job(pyfile, key, job)

    def _add_making_room(self, pyfile, key):
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
            follower.wait_for_room(
                Followed(
                    link_id=pyfile.id,
                    plugin=self.classname,
                    storage_key=key,
                    name=pyfile.name,
                    magnet=pyfile.url,
                    deadline=time.time() + MAX_FULL_WAIT,
                )
            )
            self.log_info(self._("Offcloud's cloud is full: the link waits for room"))
            raise Abort from None

    def _cloud_full_notice(self):
        # One notice per full spell, whichever link meets it first (not one per link).
        if room.first_full() and self.account is not None:
            notice = getattr(self.account, "offcloud_notice", None)
            if notice is not None:
                notice(notices.cloud_full(self.account.user or "", secrets=(self._api_key(),)))

    def _after_job(self, pyfile, key, job):
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

    def _wait(self, job, key, url):
        def add_again():
            self.log_info(self._("Offcloud will not retry the job; adding the link again"))
            return self.api.cloud(url)

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
                should_abort=lambda: self.pyfile.abort,
                on_retry=lambda exc: self.log_warning(
                    self._("Offcloud job failed, trying it once more"), exc.message
                ),
                add_again=add_again,
            )
        except WaitTimeoutError as exc:
            if follower is None or exc.job is None:
                raise
            self._hand_over(follower, key, exc.job)

    def _cloud_timeout(self):
        return max(1, self.config.get("cloud_timeout", 120)) * 60

    def _hand_over(self, follower, key, job):
        """Leave the job to the addon's background loop; this download slot is free again."""
        follower.adopt(
            Followed(
                link_id=self.pyfile.id,
                plugin=self.classname,
                storage_key=key,
                name=self.pyfile.name,
                request_id=job.request_id,
                deadline=time.time() + self._cloud_timeout(),
                text=format_progress(job),
            )
        )
        self.log_info(
            self._(
                "Offcloud job {} takes longer: followed in the background, the download starts when it is done"
            ).format(job.request_id)
        )
        raise Abort

    def _use_file(self, request_id, file):
        # The CDN link names no job (L11): note it, for a refresh, remove_finished and the
        # clean-up addon.
        FileLinkStore(self.pyload.db).remember(request_id, [file])
        self._file_path = file.path
        self._use_link(file.url, file.name, file.size)

    def _use_link(self, url, name, size):
        if name:
            self.pyfile.name = name
        if size:
            self.pyfile.size = size
        self.link = url

    def _expand(self, job, files):
        source = self.pyfile.package()
        name = expanded_name(job.file_name or source.name)
        try:
            wanted = FileFilter.from_config(self.config.get)
            plans = select_and_plan(name, files, wanted)
        except ValueError as exc:  # nothing selected, or a bad min_size
            self.fail(str(exc))
        FileLinkStore(self.pyload.db).remember(job.request_id, wanted.select(files))
        add_packages(
            self.pyload,
            [plan.as_tuple() for plan in plans],
            source=source,
            per_package=self.pyload.config.get("general", "folder_per_package"),
            log=self.log_info,
        )
        count = sum(len(plan.links) for plan in plans)
        message = self._("Expanded into {} files").format(count)
        self.pyfile.error = message  # shown in the queue; pyLoad keeps no text of its own
        self.skip(message)

    # ---------------------------------------------------------------------------------------
    # errors

    def _apply(self, exc):
        if isinstance(exc, IPNotRegisteredError) and IMPORT_ERROR is None:
            # An API call answered Offcloud's IP text (legacy): the account pauses.
            self._ip_refused(None, refusal_reason(exc.message.encode(), 400) or exc.message)
        if counts_against_host(exc) and parse_file_url(self.pyfile.url) is None:
            rest = hostrest.failed(
                host_of(self.pyfile.url), exc.code or exc.message, rest_seconds=self._rest_seconds()
            )
            if rest is not None:
                self.log_warning(outcome_for(exc).message)
                self._rest(rest)
        apply_outcome(self, exc, kept_job=self._cloud_job)

    def _rest_seconds(self):
        return max(0.0, float(self.config.get("host_rest", 10.0) or 0)) * 60

    def _wait_while_host_rests(self, pyfile):
        """A link of a host that rests waits, without an API call (offcloud_api.pyload.hostrest)."""
        rest = hostrest.resting(host_of(pyfile.url))
        if rest is not None:
            self._rest(rest)
        if getattr(self, "_rest_shown", False):
            self._rest_shown = False
            pyfile.error = ""

    def _rest(self, rest):
        message = rest.message()
        # pyLoad runs an overridden hoster's links under that hoster's plugin name: while this
        # one is not multi_dl, pyLoad starts no other (they stay queued, no API call, no slot).
        # Links of other hosts run under our own name, and go on.
        self._show_wait(message, multi_dl=self.pyfile.pluginname == self.classname)
        self.log_warning(message)
        self.retry(MAX_RESTS, rest.wait_seconds(hostrest.now()), message, rest.give_up())

    def _show_wait(self, message, multi_dl):
        self.pyfile.error = message  # shown in the queue beside the countdown
        self._rest_shown = True
        self.multi_dl = multi_dl

    # ---------------------------------------------------------------------------------------
    # Offcloud refuses this IP: the account pauses (offcloud_api.pyload.ippause)

    def _ip_key(self):
        return account_key(self.account.user if self.account else None)

    def _ip_check_seconds(self):
        try:
            return max(1.0, float(self.config.get("ip_check", PROBE_SECONDS) or PROBE_SECONDS))
        except (TypeError, ValueError):
            return PROBE_SECONDS

    def _wait_while_ip_refused(self):
        """While Offcloud refuses this IP, the link waits without an API call. The first link
        to wake when a check is due asks one byte of a refused link (or, with none, tries its
        own download); the answer ends the pause for every link, or waits another interval."""
        if IMPORT_ERROR is not None or self._ip_turn:
            return
        key = self._ip_key()
        pause = ippause.paused(key)
        if pause is not None:
            if pause.expired(ippause.now()):
                self.fail(pause.give_up())
            turn, url = ippause.turn(key, self.pyfile.id)
            if turn is Turn.PROBE:
                verdict = self._probe(url)
                self.log_info(
                    self._(
                        "Asked whether Offcloud accepts downloads from this IP again: {}"
                    ).format(verdict.value)
                )
                pause = ippause.probed(key, verdict)
            elif turn is Turn.TRY:
                self._ip_turn = True
                self.log_info(
                    self._("Trying this link to learn whether Offcloud accepts this IP again")
                )
                pause = None
            if pause is not None:
                self._ip_wait(key, pause)
        if getattr(self, "_rest_shown", False):
            self._rest_shown = False
            self.pyfile.error = ""

    def _ip_wait(self, key, pause):
        # Woken at once when the pause ends (pyLoad's wait loop reads wait_until every 2 s).
        pyfile = self.pyfile
        ippause.waiting(key, pyfile.id, lambda: setattr(pyfile, "wait_until", time.time()))
        if ippause.paused(key) is None:
            return  # it ended in between
        message = pause.message()
        # The whole account waits: no other link of this plugin name starts meanwhile (they stay
        # queued: no slot, no API call); setup() of the next attempt lets them go again.
        self._show_wait(message, multi_dl=False)
        # attempts=0: pyLoad counts no limit; the pause's own length is the limit.
        self.retry(0, pause.wait_seconds(ippause.now()), message, pause.give_up())

    def _ip_refused(self, url, reason):
        """Offcloud refuses this IP: the account pauses, the user hears of it once."""
        key = self._ip_key()
        pause = ippause.refused(key, url=url, reason=reason, interval=self._ip_check_seconds())
        self._ip_turn = False
        self.log_warning(pause.message())
        account = self.account
        if account is not None and hasattr(account, "notify_ip_refused"):
            user = account.user
            if ippause.notice_due(key, said_before=lambda: account.ip_notice_given(user)):
                account.notify_ip_refused(user, pause.message())
        self._ip_wait(key, pause)
        # The pause ended while this link noted it: the link starts over at once.
        self.retry(5, 1, self._("Offcloud accepts downloads from this IP again"))

    def _ip_refusal(self, url, exc):
        """The account pauses when a file server's refusal says Offcloud refuses this IP: its
        text (read back from the chunk files, where pyLoad leaves it), a 401/403 while the
        account pauses already (no explore), or a 401/403 on a fresh link."""
        if IMPORT_ERROR is None:
            content = exc.content if isinstance(exc.content, bytes) else str(exc.content).encode()
            reason = refusal_reason(self._refusal_body or content, exc.code)
            if reason is None and exc.code in (401, 403):
                if ippause.paused(self._ip_key()) is not None:
                    reason = ""
                else:
                    reason = bare_refusal(exc.code, fresh_link=self._link_refreshed)
            if reason is not None:
                self._ip_refused(url, reason)

    def _probe(self, url):
        """One byte of a refused file link, through pyLoad's network stack (the downloads' IP)."""
        transport = PyloadTransport(self)
        try:
            answer = transport.send(
                Request(
                    "GET",
                    url,
                    timeout=(30.0, 30.0),
                    headers={"Range": PROBE_RANGE},
                    max_bytes=PROBE_MAX_BYTES,
                )
            )
        except ResponseTooLargeError:
            return Verdict.ACCEPTED  # the server ignored the range and sent the file
        except OffcloudConnectionError as exc:
            self.log_debug("The IP check got no answer", exc.message)
            return Verdict.UNKNOWN
        finally:
            transport.close()
        return probe_verdict(answer.status, answer.content)

    def _refreshed_link(self, url, status):
        """A fresh URL for an Offcloud file link the server refused, or None.

        Offcloud's file links are signed per explore call and may expire or be bound to the IP
        that asked for them (L11); exploring the job again (from this IP) gives a current one.
        Once per attempt, for 403, 404 and 410. The job comes from the URL (legacy), from the
        note the decrypter or this plugin left for the link, or from the job this attempt follows.
        """
        parsed = parse_file_url(url) if IMPORT_ERROR is None else None
        if (
            parsed is None
            or status not in (403, 404, 410)
            or self._link_refreshed
            or not (self.account and self.account.user)
        ):
            return None
        note = FileLinkStore(self.pyload.db).lookup(self.pyfile.url) or {}
        request_id = parsed.request_id or note.get("request_id") or self._cloud_job
        if not request_id:
            return None
        path = note.get("path") or self._file_path
        self._link_refreshed = True
        try:
            files = self._client().explore_cloud(request_id)
        except NotFoundError:
            self.fail(
                self._(
                    "The file server refused the link and the Offcloud job {} is gone from your cloud"
                ).format(request_id)
            )
        except OffcloudError as exc:
            self._apply(exc)
        found = match_refreshed_file(url, files, path=path, request_id=request_id)
        if found is None:
            self.fail(
                self._("{} is no longer in the Offcloud job {}").format(parsed.name, request_id)
            )
        self.log_info(
            self._(
                "The file server refused the link (HTTP {}); trying a fresh one from Offcloud"
            ).format(status)
        )
        FileLinkStore(self.pyload.db).remember(request_id, [found])
        return found.url

    def _download_refused(self, exc):
        if exc.code not in (416, 429, 503):  # those say all in their status
            body = exc.content if isinstance(exc.content, bytes) else str(exc.content).encode()
            self._raise_body_error(body, exc.code)
        retry_after = parse_retry_after(header_value(exc.headers, "Retry-After"))
        # On several connections pyLoad hands the refusal over without its headers.
        lost = not self._one_connection and not has_headers(exc.headers)
        then = refused_download(exc.code, retry_after, headers_lost=lost)
        self._from_start = self._from_start or then.from_start
        self._one_connection = self._one_connection or then.one_connection
        self.log_warning(then.message)
        self.retry(then.attempts, then.wait, then.message, then.give_up)

    def _raise_body_error(self, body, status=200):
        # Parsed tolerantly (deep JSON is no error of Offcloud's) and redacted: a file server
        # echoing the key must not put it on the link or into pyLoad's log.
        reason = refusal_reason(body, status)  # Offcloud's IP text, in JSON, HTML or plain
        error = file_server_error(body, status, secrets=(self._api_key(),))
        if error is None and reason is None:
            return
        if self.last_download:
            self.remove(self.last_download, try_trash=False)
        if reason is not None:
            self._ip_refused(self.link or None, reason)
        self._apply(error)

    def _api_key(self):
        try:
            return self.account.api_key() if self.account else None
        except Exception:
            return None

    def _finished(self):
        # A download worked: any pause of the account is over, and a later one is news.
        if ippause.served(self._ip_key(), since=self._download_started):
            forget = getattr(self.account, "ip_accepted", None)
            if forget is not None:
                forget(self.account.user)
        key = job_storage_key(self.pyfile.url)
        stored = self.db.retrieve(key)
        if stored:
            self.db.delete(key)
            request_id = stored.get("request_id") if isinstance(stored, dict) else None
            if request_id:
                # Its file is on disk: a full cloud may make room with it (cloudroom).
                CreatedJobs(self.pyload.db).mark_done(request_id)
            if request_id and self.config.get("remove_finished", False):
                try:
                    self._client().remove(request_id)
                except OffcloudError as exc:
                    self.log_warning(
                        self._("Could not remove the job from the Offcloud cloud"), exc.message
                    )
