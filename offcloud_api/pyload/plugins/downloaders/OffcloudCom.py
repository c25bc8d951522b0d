import os

from pyload.core.network.http.exceptions import BadHeader

from ..base.multi_downloader import MultiDownloader

try:
    from offcloud_api.exceptions import (
        CloudJobError,
        CloudOnlyError,
        EndpointRemovedError,
        NotFoundError,
        OffcloudError,
        error_from_response,
    )
    from offcloud_api.pyload.outcomes import IP_ADVICE, Action, outcome_for
    from offcloud_api.pyload.support import (
        format_progress,
        job_storage_key,
        matching_host,
        parse_file_url,
    )

    IMPORT_ERROR = None
except ImportError as exc:  # the library is missing from the Python that runs pyLoad
    IMPORT_ERROR = exc


class OffcloudCom(MultiDownloader):
    __name__ = "OffcloudCom"
    __type__ = "downloader"
    __version__ = "0.01"
    __status__ = "testing"

    __pattern__ = r"https?://[\w.-]+\.offcloud\.com/cloud/download/\w+/.+"
    __config__ = [
        ("use_premium", "bool", "Use premium account if available", True),
        ("fallback", "bool", "Fallback to free download if premium fails", False),
        ("revert_failed", "bool", "When Offcloud fails, try the host own plugin instead", False),
        ("max_wait", "int", "Reconnect if waiting time is greater than minutes", 10),
        ("force_cloud", "bool", "Always use cloud downloading, never instant", False),
        ("cloud_timeout", "int", "Give up waiting for a cloud job after minutes", 120),
        (
            "remove_finished",
            "bool",
            "Remove the job from the Offcloud cloud once the file is downloaded",
            False,
        ),
    ]

    __description__ = """Offcloud.com multi-hoster: hoster links through your Offcloud account, instant or cloud"""
    __license__ = "GPLv3"
    __authors__ = [("Offcloud for pyLoad", "")]

    #: Offcloud's own file links skip the HEAD check: they are downloads by construction.
    DIRECT_LINK = None

    def setup(self):
        super().setup()
        self.resume_download = True
        self.multi_dl = True
        self.chunk_limit = self._chunk_limit()

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
        if IMPORT_ERROR is not None:
            self.fail(
                self._("offcloud_api is not installed in the Python that runs pyLoad: {}").format(
                    IMPORT_ERROR
                )
            )
        self.api = self.account.offcloud_client(
            self, self.account.api_key(), lambda: self.pyfile.abort
        )
        try:
            if not self._must_use_cloud(pyfile.url):
                try:
                    self._instant(pyfile)
                    return
                except (CloudOnlyError, EndpointRemovedError) as exc:
                    self.log_info(outcome_for(exc).message)
            self._cloud(pyfile)
        except OffcloudError as exc:
            self._apply(exc)

    def download(self, url, *args, **kwargs):
        try:
            return super().download(url, *args, **kwargs)
        except BadHeader as exc:
            self._download_refused(exc)

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

    def _instant(self, pyfile):
        job = self.api.instant(pyfile.url)
        if not job.url:
            raise EndpointRemovedError("instant answered without a link", feature="instant")
        self._use_link(job.url, job.file_name, job.file_size)

    def _cloud(self, pyfile):
        key = job_storage_key(pyfile.url)
        job = self._stored_job(key)
        if job is None:
            job = self.api.cloud(pyfile.url)
            self.db.store(key, {"request_id": job.request_id, "retried": False})
            self.log_info(self._("Offcloud cloud job {}").format(job.request_id))
        else:
            self.log_info(self._("Resuming Offcloud cloud job {}").format(job.request_id))
        job = self._wait(job, key)
        if job.is_directory:
            files = self.api.explore_cloud(job.request_id, job=job)
            if len(files) == 1:
                self._use_link(files[0].url, files[0].name, files[0].size)
                return
            self._expand(job, files)
        url = job.file_url
        if not url:
            self.fail(self._("Offcloud finished the job but gave no file link"))
        self._use_link(url, job.file_name, job.file_size)

    def _stored_job(self, key):
        stored = self.db.retrieve(key)
        if not stored:
            return None
        try:
            job = self.api.cloud_status(stored["request_id"])
        except NotFoundError:
            self.db.delete(key)
            return None
        if job.status.is_failed and stored.get("retried"):
            self.db.delete(key)
            return None
        return job

    def _wait(self, job, key):
        timeout = max(1, self.config.get("cloud_timeout", 120)) * 60
        while True:
            try:
                return self.api.wait_for_download(
                    job.request_id,
                    first=job,
                    timeout=timeout,
                    on_progress=self._show_progress,
                    should_abort=lambda: self.pyfile.abort,
                )
            except CloudJobError as exc:
                stored = self.db.retrieve(key) or {}
                if stored.get("retried"):
                    raise
                # Offcloud's own retry often succeeds where the first fetch failed; once.
                self.log_warning(
                    self._("Offcloud job failed, asking Offcloud to retry it"), exc.message
                )
                self.db.store(key, {"request_id": job.request_id, "retried": True})
                self.api.retry(job.request_id)
                job = self.api.cloud_status(job.request_id)

    def _show_progress(self, job):
        self.pyfile.set_custom_status(format_progress(job))
        fraction = job.fraction_done
        if fraction is not None:
            self.pyfile.set_progress(int(fraction * 100))

    def _use_link(self, url, name, size):
        if name:
            self.pyfile.name = name
        if size:
            self.pyfile.size = size
        self.link = url

    def _expand(self, job, files):
        package = self.pyfile.package()
        name = job.file_name or package.name
        self.pyload.api.add_package(name, [f.url for f in files], package.queue)
        message = self._("Expanded into {} files").format(len(files))
        self.pyfile.error = message  # shown in the queue; pyLoad keeps no text of its own
        self.skip(message)

    # ---------------------------------------------------------------------------------------
    # errors

    def _apply(self, exc):
        outcome = outcome_for(exc)
        self.log_warning(outcome.message)
        if outcome.action is Action.ABORT:
            self.abort()
        if outcome.action is Action.OFFLINE:
            self.pyfile.error = outcome.message
            self.offline()
        if outcome.action is Action.ACCOUNT_INVALID:
            self.account.relogin()
            self.fail(outcome.message)
        if outcome.action is Action.RETRY:
            self.retry(outcome.attempts, outcome.wait, outcome.message, outcome.message)
        self.fail(outcome.message)

    def _download_refused(self, exc):
        body = exc.content if isinstance(exc.content, bytes) else str(exc.content).encode()
        self._raise_body_error(body, exc.code)
        if exc.code == 416:
            # The server cannot resume what we have: start the file again, from one connection.
            self.resume_download = False
            self.retry(2, 1, self._("Resume refused by the file server (HTTP 416)"))
        if exc.code == 503:
            self.chunk_limit = 1
            self.retry(5, 30, self._("File server busy (HTTP 503)"))
        self.retry(3, 30, self._("File server answered HTTP {}").format(exc.code))

    def _raise_body_error(self, body, status=200):
        stripped = body.strip()
        if not stripped.startswith(b"{"):
            return
        try:
            import json

            payload = json.loads(stripped.decode("utf-8", "replace"))
        except ValueError:
            return
        error = error_from_response(
            status=status, payload=payload, method="GET", path="/cloud/download"
        )
        if error is None:
            return
        if self.last_download:
            self.remove(self.last_download, try_trash=False)
        outcome = outcome_for(error)
        if outcome.action is Action.FAIL and IP_ADVICE in outcome.message:
            self.fail(outcome.message)
        self._apply(error)

    def _finished(self):
        key = job_storage_key(self.pyfile.url)
        stored = self.db.retrieve(key)
        if stored:
            self.db.delete(key)
            if self.config.get("remove_finished", False):
                try:
                    self.api.remove(stored["request_id"])
                except OffcloudError as exc:
                    self.log_warning(
                        self._("Could not remove the job from the Offcloud cloud"), exc.message
                    )
