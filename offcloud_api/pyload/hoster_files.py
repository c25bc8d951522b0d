"""A hoster link's file download, as the downloader plugin acts on it (a mixin of its class).

What the file server answers decides what the link does next:

* a refused or expired Offcloud file link (403, 404, 410) gets one fresh link per attempt from
  exploring its job again (L11: links are signed per explore call and may be bound to the IP);
* a refusal that stays is retried as :func:`.outcomes.refused_download` says (resume from the
  start, one connection, the server's Retry-After);
* a small body that is one of Offcloud's errors (JSON, HTML or plain) is no file: it goes, and
  the link ends as the error says (or the account pauses: :mod:`.hoster_waits`);
* a dropped connection keeps the part and tries again after a growing wait (:mod:`.drops`);
* a finished download ends the account's IP pause, forgets the job and may remove it.

It also holds the link's API client (one per attempt, closed when the attempt ends).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NoReturn, Optional

from ..exceptions import NotFoundError, OffcloudError
from ..models import CloudFile
from ..retry import parse_retry_after
from .archives import match_refreshed_file
from .cloudroom import CreatedJobs, PyloadRoomView, room
from .drops import after_drop, drops_in_a_row
from .hoster_waits import HosterWaits
from .ippause import refusal_reason
from .links import parse_file_url
from .outcomes import file_server_error, refused_download
from .storage import FileLinks, job_storage_key
from .transport import has_headers, header_value

__all__ = ["SMALL_BODY_BYTES", "HosterFiles"]

#: A downloaded file this small may be an error body of Offcloud's rather than the file.
SMALL_BODY_BYTES = 4096


class HosterFiles(HosterWaits):
    """The file server's answers to a hoster link's download, and the link's API client."""

    api: Any  # the attempt's API client (offcloud_api.pyload.cloudroom's room client), or None
    last_download: Any
    _from_start: bool  # the server will not resume: download the whole file
    _one_connection: bool
    _drops: int  # the file connection dropped this often in a row without progress
    _file_path: Optional[str]  # the job's file this link downloads (its path in the job)
    _download_started: Optional[float]

    # -------------------------------------------------------------------------------------------
    # the API client

    def _client(self) -> Any:
        if self.api is None:
            api = self.account.offcloud_client(
                self, self.account.api_key(), lambda: self.pyfile.abort
            )
            # Its adds make room when the cloud is full (offcloud_api.pyload.cloudroom).
            self.api = room.client(api, PyloadRoomView(self.pyload))
        return self.api

    def _close_client(self) -> None:
        api, self.api = getattr(self, "api", None), None
        if api is not None:
            try:
                api.close()
            except Exception as exc:  # noqa: BLE001 - the attempt ends either way
                self.log_debug("Closing the Offcloud client failed", exc)

    # -------------------------------------------------------------------------------------------
    # the file link

    def _use_file(self, request_id: str, file: CloudFile) -> None:
        # The CDN link names no job (L11): note it, for a refresh, remove_finished and the
        # clean-up addon.
        FileLinks(self.pyload.db).remember(request_id, [file])
        self._file_path = file.path
        self._use_link(file.url, file.name, file.size)

    def _use_link(self, url: str, name: Optional[str], size: Optional[int]) -> None:
        if name:
            self.pyfile.name = name
        if size:
            self.pyfile.size = size
        self.link = url

    def _refreshed_link(self, url: str, status: int) -> Optional[str]:
        """A fresh URL for an Offcloud file link the server refused, or None.

        Offcloud's file links are signed per explore call and may expire or be bound to the IP
        that asked for them (L11); exploring the job again (from this IP) gives a current one.
        Once per attempt, for 403, 404 and 410. The job comes from the URL (legacy), from the
        note the decrypter or this plugin left for the link, or from the job this attempt follows.
        """
        parsed = parse_file_url(url)
        if (
            parsed is None
            or status not in (403, 404, 410)
            or self._link_refreshed
            or not (self.account and self.account.user)
        ):
            return None
        note = FileLinks(self.pyload.db).lookup(self.pyfile.url) or {}
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
                    "The file server refused the link and the Offcloud job {} is gone"
                    " from your cloud"
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
        FileLinks(self.pyload.db).remember(request_id, [found])
        return found.url

    def _expired_link(self, url: str, status: int) -> str:
        """The fresh link for a file link the server answered 404/410 to (pyLoad raises
        nothing for those: it deletes the error page and saves no file); else the link fails."""
        fresh = self._refreshed_link(url, status)
        if fresh is None:
            self.fail(
                self._(
                    "The file server answered HTTP {}: the link expired or the file is gone"
                ).format(status)
            )
        return fresh

    # -------------------------------------------------------------------------------------------
    # the file server's answers

    def _download_refused(self, exc: Any) -> NoReturn:
        """A refusal (pyLoad's ``BadHeader``) no fresh link helped with: retried as it says."""
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

    def _raise_body_error(self, body: bytes, status: int = 200) -> None:
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
        if error is not None:  # always, once here: _ip_refused never returns
            self._apply(error)

    def _check_body(self) -> None:
        """The downloaded file, when small, may be one of Offcloud's error bodies. pyLoad's
        generic rules would also loop for ever on any text file starting with three digits, so
        only a small body that parses as an Offcloud error counts."""
        path = Path(os.fsdecode(self.last_download))
        try:
            if path.stat().st_size <= SMALL_BODY_BYTES:
                with path.open("rb") as fp:
                    self._raise_body_error(fp.read())
        except OSError as exc:
            self.log_warning(self._("Could not read the downloaded file"), exc)

    def _connection_dropped(self, code: int, progressed: bool) -> NoReturn:
        """The file connection broke: the part stays, the link tries again after a growing wait
        and resumes it (offcloud_api.pyload.drops); it fails once the drops run out."""
        self._drops = drops_in_a_row(getattr(self, "_drops", 0), progressed=progressed)
        then = after_drop(code, self._drops)
        self.log_warning(then.message)
        if then.give_up:
            self.fail(then.message)
        # attempts=0: pyLoad counts no limit; the drops in a row are the limit.
        self.retry(0, then.wait, then.message)

    def _finished(self) -> None:
        """A download worked: the account's pause ends, the job is forgotten (and removed from
        the cloud with ``remove_finished``)."""
        self._ip_served(self._download_started)
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
