"""``OffcloudAPI``: the Offcloud API client.

It speaks the 2026 API first (``Authorization: Bearer``, JSON bodies) and falls back to a legacy
route where today's API has no equivalent or answers 404 (docs/offcloud-api.md §0, §2). Every call
goes through :meth:`OffcloudAPI._request`, which owns the base URL, the key, timeouts, decoding,
error mapping, retries and logging.
"""

from __future__ import annotations

import json as jsonlib
import logging
import os
import re
import time
from collections.abc import Iterable
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar, Union

from . import __version__
from .exceptions import (
    AuthError,
    BadArchiveError,
    EndpointRemovedError,
    InvalidResponseError,
    NotFoundError,
    OffcloudConnectionError,
    RateLimitError,
    ServerError,
    error_from_response,
)
from .magnet import build_magnet, info_hash_of, is_magnet
from .models import (
    AccountInfo,
    CachedDownload,
    CacheResult,
    CloudFile,
    Job,
    JobStatus,
    Proxy,
    RemoteAccount,
    Site,
    parse_list,
    sequence_of_str,
)
from .polling import PollSchedule, wait_for_job
from .redact import redact, redact_mapping, strip_query
from .retry import RetryPolicy, parse_retry_after
from .transport import Request, Response, Timeout, Transport

if TYPE_CHECKING:
    import requests

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_TIMEOUT", "OffcloudAPI"]

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://offcloud.com/api"
#: (connect, read) seconds for every API call.
DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 30.0)
#: Deeper JSON is not an answer of Offcloud's; it is treated as a broken body.
MAX_JSON_DEPTH = 64
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
#: Offcloud's batch sizes: cache checks per call (§3.4) and removals per call (§6.5).
CACHE_BATCH = 100
REMOVE_BATCH = 200

_LOGIN_REMOVED = (
    "Offcloud no longer accepts e-mail and password: since its 2026 API only API keys work. "
    "Copy your key from https://offcloud.com/#/account and pass it as api_key."
)

DownloadType = str  # "instant", "cloud" or "remote"
T = TypeVar("T")


class OffcloudAPI:
    """A client for one Offcloud account.

    ``base_url`` comes from the argument, else ``OFFCLOUD_API_URL``, else ``https://offcloud.com/api``.
    HTTP goes through ``transport``; without one, a :class:`RequestsTransport` on ``session`` (or
    a session of its own, closed by :meth:`close`).
    """

    def __init__(
        self,
        api_key: Optional[str] = None,
        *,
        base_url: Optional[str] = None,
        session: Optional[requests.Session] = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        transport: Optional[Transport] = None,
        retry: Optional[RetryPolicy] = None,
        user_agent: Optional[str] = None,
    ) -> None:
        self.api_key = api_key
        self.base_url = (base_url or os.environ.get("OFFCLOUD_API_URL") or DEFAULT_BASE_URL).rstrip(
            "/"
        )
        self.timeout = timeout
        self.retry_policy = retry if retry is not None else RetryPolicy()
        self.user_agent = user_agent or f"offcloud-pyload/{__version__}"
        if transport is None:
            from .requests_transport import RequestsTransport  # noqa: PLC0415 - requests only if used

            transport = RequestsTransport(session)
        elif session is not None:
            raise ValueError("pass either session or transport, not both")
        self.transport: Transport = transport
        # Capabilities whose 2026 route answered 404, so later calls go straight to the fallback.
        self._legacy: set[str] = set()

    def __repr__(self) -> str:
        return f"OffcloudAPI(base_url={self.base_url!r})"

    # ----------------------------------------------------------------------------------------
    # lifecycle

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> OffcloudAPI:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def session(self) -> Optional[requests.Session]:
        """The ``requests.Session`` in use, if the transport has one."""
        return getattr(self.transport, "session", None)

    @property
    def site_url(self) -> str:
        """The website root, for the legacy routes outside ``/api``."""
        return self.base_url[: -len("/api")] if self.base_url.endswith("/api") else self.base_url

    # ----------------------------------------------------------------------------------------
    # the choke point

    def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Optional[dict[str, str]] = None,
        idempotent: bool,
        auth: bool = True,
        raw: bool = False,
        on_site: bool = False,
    ) -> Any:
        """Send one API call and return its decoded JSON (or text with ``raw``).

        ``idempotent`` says whether the call may be repeated after it possibly reached Offcloud:
        then connection failures, 5xx and broken answers are retried. Any call is retried when it
        certainly did not arrive (connection refused) or was refused with 429.
        """
        if auth and not self.api_key:
            raise AuthError("no API key given", method=method, path=path)
        url = (self.site_url if on_site else self.base_url) + path
        headers = {"Accept": "application/json", "User-Agent": self.user_agent}
        if auth and self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = Request(
            method=method,
            url=url,
            timeout=self.timeout,
            headers=headers,
            params=params or {},
            json=json,
        )
        log_path = strip_query(url)
        policy = self.retry_policy
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            try:
                response = self.transport.send(request)
            except OffcloudConnectionError as exc:
                exc.method, exc.path = method, path
                log.debug("%s %s failed: %s", method, log_path, exc.message)
                if attempt < policy.attempts and (idempotent or not exc.request_sent):
                    policy.sleep(policy.backoff(attempt))
                    continue
                raise
            elapsed_ms = (time.monotonic() - started) * 1000
            log.debug("%s %s -> %d in %.0f ms", method, log_path, response.status, elapsed_ms)
            try:
                return self._decode(response, method=method, path=path, raw=raw)
            except RateLimitError as exc:
                wait = exc.retry_after if exc.retry_after is not None else policy.backoff(attempt)
                if attempt < policy.attempts and wait <= policy.max_retry_after:
                    log.debug("rate limited on %s %s; waiting %.1f s", method, log_path, wait)
                    policy.sleep(wait)
                    continue
                raise
            except (ServerError, InvalidResponseError):
                if idempotent and attempt < policy.attempts:
                    policy.sleep(policy.backoff(attempt))
                    continue
                raise

    def _decode(self, response: Response, *, method: str, path: str, raw: bool) -> Any:
        body = response.content
        text = body.decode("utf-8", errors="replace")
        stripped = text.lstrip()
        html = stripped.startswith("<")
        payload: Any = None
        parsed = False
        if stripped and not html:
            try:
                payload = _well_formed(jsonlib.loads(stripped))
                parsed = True
            except (ValueError, RecursionError):  # RecursionError: nested too deeply to parse
                payload = None
        if parsed:
            payload = _redact_payload_errors(payload, self.api_key)
        error = error_from_response(
            status=response.status,
            payload=payload,
            method=method,
            path=path,
            retry_after=parse_retry_after(response.header("retry-after")),
            html=html,
        )
        if error is not None:
            raise error
        if raw and not html:
            return text
        if not parsed:
            what = "an HTML page" if html else ("an empty body" if not stripped else "broken JSON")
            raise InvalidResponseError(
                f"expected {'text' if raw else 'JSON'} from {method} {path}, got {what}",
                status=response.status,
                method=method,
                path=path,
            )
        return payload

    def _job_from_api(self, payload: Any) -> Job:
        """A job whose free texts (Offcloud's messages) cannot carry the key on to a user."""
        job = Job.from_api(payload)
        if self.api_key and (job.message or job.error_message):
            job = replace(
                job,
                message=redact(job.message, (self.api_key,)) if job.message else None,
                error_message=(
                    redact(job.error_message, (self.api_key,)) if job.error_message else None
                ),
            )
        return job

    def _with_fallback(
        self,
        capability: str,
        modern: Callable[[], T],
        legacy: Callable[[], T],
    ) -> T:
        """Call the 2026 route, and the legacy one if the former is not there (404)."""
        if capability not in self._legacy:
            try:
                return modern()
            except EndpointRemovedError:
                raise
            except NotFoundError:
                log.debug("no 2026 route for %s; using the legacy one", capability)
                self._legacy.add(capability)
        return legacy()

    # ----------------------------------------------------------------------------------------
    # account and sites

    def get_account_stats(self) -> AccountInfo:
        """Premium, expiry, ``can_download`` and limits of the account behind the key."""
        payload = self._with_fallback(
            "account",
            lambda: self._request("GET", "/account/info", idempotent=True),
            lambda: self._request("GET", "/account/stats", idempotent=True),
        )
        return _parse(AccountInfo.from_api, payload, "GET /account/info")

    def get_supported_sites(self) -> list[Site]:
        """Every host Offcloud lists, with its status and limits."""
        payload = self._request("GET", "/sites", idempotent=True)
        return _parse(
            lambda p: parse_list(p, "sites", Site.from_api, "data", "sites", "fs", "list"),
            payload,
            "GET /sites",
        )

    def get_chunk_limits(self) -> dict[str, tuple[Optional[int], Optional[int]]]:
        """Host → (chunks per download, downloads at once), from legacy ``sites/chunks``."""
        payload = self._request("GET", "/sites/chunks", idempotent=True)
        sites = _parse(
            lambda p: parse_list(p, "chunk limits", Site.from_api, "data"),
            payload,
            "GET /sites/chunks",
        )
        return {site.name.lower(): (site.max_chunks, site.max_chunks_global) for site in sites}

    # ----------------------------------------------------------------------------------------
    # cache

    def cache_info(self, items: Iterable[str], *, include_files: bool = False) -> list[CacheResult]:
        """Whether Offcloud holds each torrent (magnet link or info-hash), in the order given.

        One call per 100 items: 2026 ``cache/info``, or legacy ``cache`` by hashes.
        """
        queries = [item.strip() for item in items if item and item.strip()]
        results: list[CacheResult] = []
        for start in range(0, len(queries), CACHE_BATCH):
            batch = queries[start : start + CACHE_BATCH]
            results.extend(
                self._with_fallback(
                    "cache",
                    partial(self._cache_info_2026, batch, include_files),
                    partial(self._cache_info_legacy, batch),
                )
            )
        return results

    def _cache_info_2026(self, queries: list[str], include_files: bool) -> list[CacheResult]:
        hashes = [info_hash_of(query) for query in queries]
        magnets = [
            query if is_magnet(query) else build_magnet(info_hash or query)
            for query, info_hash in zip(queries, hashes)
        ]
        body = {"urls": magnets, "includeFiles": include_files}
        payload = self._request("POST", "/cache/info", json=body, idempotent=True)

        def parse(data: Any) -> list[CacheResult]:
            answers = parse_list(data, "cache info", lambda item: item, "data", "results")
            if len(answers) != len(queries):
                raise InvalidResponseError(
                    f"cache/info answered {len(answers)} results for {len(queries)} links"
                )
            return [
                CacheResult.from_api(answer, query=query, info_hash=info_hash)
                for answer, query, info_hash in zip(answers, queries, hashes)
            ]

        return _parse(parse, payload, "POST /cache/info")

    def _cache_info_legacy(self, queries: list[str]) -> list[CacheResult]:
        hashes = [info_hash_of(query) for query in queries]
        body = {"hashes": [h for h in hashes if h]}
        payload = self._request("POST", "/cache", json=body, idempotent=True)

        def parse(data: Any) -> list[CacheResult]:
            if not isinstance(data, dict):
                raise InvalidResponseError("expected {cachedItems: [...]} from cache")
            cached = {item.lower() for item in sequence_of_str(data.get("cachedItems"))}
            return [
                CacheResult(query=query, info_hash=h, cached=bool(h) and h in cached)
                for query, h in zip(queries, hashes)
            ]

        return _parse(parse, payload, "POST /cache")

    def cache_download(self, magnet: str) -> list[CachedDownload]:
        """Ready file links of a cached torrent, without making a cloud job (2026)."""
        if not is_magnet(magnet):
            magnet = build_magnet(info_hash_of(magnet) or magnet)
        payload = self._request("POST", "/cache/download", json={"url": magnet}, idempotent=True)
        return _parse(
            lambda p: parse_list(p, "cached files", CachedDownload.from_api, "files", "data"),
            payload,
            "POST /cache/download",
        )

    # ----------------------------------------------------------------------------------------
    # adding jobs

    def instant(self, url: str, proxy_id: Optional[str] = None) -> Job:
        """Unrestrict ``url`` at once (legacy API). Raises ``EndpointRemovedError`` where gone."""
        body: dict[str, Any] = {"url": url}
        if proxy_id:
            body["proxyId"] = proxy_id
        for path in ("/instant", "/instant/download"):
            try:
                payload = self._request("POST", path, json=body, idempotent=False)
            except EndpointRemovedError:
                raise
            except NotFoundError:
                continue
            return _parse(self._job_from_api, payload, f"POST {path}")
        raise EndpointRemovedError(
            "Offcloud's API has no instant downloads here; use cloud()",
            feature="instant",
            status=404,
            method="POST",
            path="/instant",
        )

    def cloud(self, url: str) -> Job:
        """Add ``url`` (a hoster link, magnet or URL) as a cloud job."""
        payload = self._request("POST", "/cloud", json={"url": url}, idempotent=False)
        return _parse(self._job_from_api, payload, "POST /cloud")

    def remote(self, url: str, remote_option_id: str, folder_id: Optional[str] = None) -> Job:
        """Send ``url`` to a connected storage (legacy API; reported disabled in 2026)."""
        body: dict[str, Any] = {"url": url, "remoteOptionId": remote_option_id}
        if folder_id:
            body["folderId"] = folder_id
        payload = self._request("POST", "/remote", json=body, idempotent=False)
        return _parse(self._job_from_api, payload, "POST /remote")

    # ----------------------------------------------------------------------------------------
    # following jobs

    def cloud_status(self, request_id: str) -> Job:
        """The current status of a cloud job."""
        payload = self._request(
            "POST", "/cloud/status", json={"requestId": request_id}, idempotent=True
        )
        return _parse(self._job_from_api, payload, "POST /cloud/status")

    def remote_status(self, request_id: str) -> Job:
        """The current status of a remote job."""
        payload = self._request(
            "POST", "/remote/status", json={"requestId": request_id}, idempotent=True
        )
        return _parse(self._job_from_api, payload, "POST /remote/status")

    def wait_for_download(
        self,
        request_id: str,
        download_type: DownloadType = "cloud",
        *,
        poll_interval: float = 2.0,
        max_interval: float = 30.0,
        timeout: Optional[float] = 3600.0,
        on_progress: Optional[Callable[[Job], None]] = None,
        should_abort: Optional[Callable[[], bool]] = None,
        first: Optional[Job] = None,
    ) -> Job:
        """Poll a cloud or remote job until it is downloaded; return its final status.

        Polls start ``poll_interval`` apart and grow by half each time up to ``max_interval``.
        Raises ``CloudJobError``, ``WaitTimeoutError`` after ``timeout`` seconds, or
        ``WaitAbortedError`` within 0.2 s of ``should_abort()`` turning true.
        """
        fetch = {"cloud": self.cloud_status, "remote": self.remote_status}.get(download_type)
        if fetch is None:
            raise ValueError(f"only cloud and remote jobs can be waited for, not {download_type!r}")
        return wait_for_job(
            lambda: fetch(request_id),
            timeout=timeout,
            schedule=PollSchedule(first=poll_interval, cap=max(max_interval, poll_interval)),
            on_progress=on_progress,
            should_abort=should_abort,
            sleep=self.retry_policy.sleep,
            first=first,
        )

    def download_and_wait(
        self,
        url: str,
        download_type: DownloadType = "cloud",
        **wait_options: Any,
    ) -> Job:
        """Add ``url`` and, for cloud and remote, wait until it is downloaded.

        ``wait_options`` go to :meth:`wait_for_download`. Instant jobs are final when added.
        """
        if download_type == "instant":
            return self.instant(url)
        if download_type == "cloud":
            job = self.cloud(url)
        elif download_type == "remote":
            job = self.remote(
                url, wait_options.pop("remote_option_id"), wait_options.pop("folder_id", None)
            )
        else:
            raise ValueError(f"unknown download type {download_type!r}")
        first = job if job.status in (JobStatus.DOWNLOADED, JobStatus.ERROR) else None
        return self.wait_for_download(job.request_id, download_type, first=first, **wait_options)

    # ----------------------------------------------------------------------------------------
    # files of finished jobs

    def explore_cloud(self, request_id: str, *, job: Optional[Job] = None) -> list[CloudFile]:
        """The files of a finished cloud job, with names, sizes, paths and URLs where known.

        Uses the 2026 detailed form; a legacy URL list is accepted too. A single-file job
        (``Bad archive``) yields its one file, built from the job's server and name; ``job`` saves
        the status call that needs.
        """
        path = f"/cloud/explore/{request_id}"
        try:
            payload = self._request("GET", path, params={"format": "detailed"}, idempotent=True)
        except BadArchiveError:
            job = (
                job
                if job is not None and job.request_id == request_id
                else self.cloud_status(request_id)
            )
            url = job.file_url
            if url is None or not job.file_name:
                raise InvalidResponseError(
                    f"job {request_id} is a single file but has no server and name",
                    method="GET",
                    path=path,
                ) from None
            return [CloudFile(name=job.file_name, url=url, path=job.file_name, size=job.file_size)]
        return _parse(
            lambda p: [
                f
                for f in parse_list(p, "explore", CloudFile.from_api, "files", "data")
                if not f.name.endswith(".aria2")
            ],
            payload,
            f"GET {path}",
        )

    def list_cloud(self, request_id: str) -> list[str]:
        """The file URLs of a finished cloud job, one per file (legacy text route, then explore)."""

        def legacy() -> list[str]:
            text = self._request("GET", f"/cloud/list/{request_id}", idempotent=True, raw=True)
            return [line.strip() for line in str(text).splitlines() if line.strip()]

        def modern() -> list[str]:
            return [f.url for f in self.explore_cloud(request_id)]

        # The text route is the seed's; explore is what today's API certainly has.
        try:
            return legacy()
        except NotFoundError:
            return modern()

    # ----------------------------------------------------------------------------------------
    # history and housekeeping

    def get_history(self) -> list[Job]:
        """Cloud jobs of the account, newest first as Offcloud sends them.

        Items Offcloud marks as internal (``metaData: hide``) and items without an id are left out.
        """
        payload = self._request("GET", "/cloud/history", idempotent=True)
        items = _parse(
            lambda p: parse_list(p, "history", lambda item: item, "history", "data"),
            payload,
            "GET /cloud/history",
        )
        jobs: list[Job] = []
        for item in items:
            if isinstance(item, dict) and item.get("metaData") == "hide":
                continue
            try:
                jobs.append(self._job_from_api(item))
            except InvalidResponseError:
                log.debug("skipping a history item without a request id")
        return jobs

    def remove(self, request_ids: Union[str, Iterable[str]]) -> None:
        """Remove cloud jobs (one id or many) and their files from the Offcloud cloud."""
        ids = [request_ids] if isinstance(request_ids, str) else list(request_ids)
        for start in range(0, len(ids), REMOVE_BATCH):
            batch = ids[start : start + REMOVE_BATCH]
            self._with_fallback(
                "remove",
                partial(self._remove_batch, batch),
                partial(self._remove_legacy, batch),
            )

    def _remove_batch(self, batch: list[str]) -> None:
        self._request("POST", "/cloud/remove", json={"requests": batch}, idempotent=True)

    def _remove_legacy(self, batch: list[str]) -> None:
        for request_id in batch:
            self._request("GET", f"/cloud/remove/{request_id}", idempotent=True, on_site=True)

    def retry(self, request_id: str, download_type: DownloadType = "cloud") -> Optional[Job]:
        """Ask Offcloud to try a failed job again; the job's new status if the answer has one."""
        if download_type not in ("cloud", "remote"):
            raise ValueError(f"only cloud and remote jobs can be retried, not {download_type!r}")
        path = f"/{download_type}/retry/{request_id}"
        payload = self._request("GET", path, idempotent=False)
        try:
            return self._job_from_api(payload)
        except InvalidResponseError:
            return None

    # ----------------------------------------------------------------------------------------
    # legacy extras

    def get_proxies(self) -> list[Proxy]:
        """Proxy servers for instant downloads (legacy; ``{"list": [...]}`` or a bare list)."""
        payload = self._with_fallback(
            "proxy",
            lambda: self._request("POST", "/proxy", idempotent=True),
            lambda: self._request("POST", "/proxy/list", idempotent=True),
        )
        return _parse(
            lambda p: parse_list(p, "proxies", Proxy.from_api, "list", "data"),
            payload,
            "POST /proxy",
        )

    def get_remote_accounts(self) -> list[RemoteAccount]:
        """Connected storages for remote jobs (legacy; ``{"data": [...]}`` or a bare list)."""
        payload = self._with_fallback(
            "remote-accounts",
            lambda: self._request("POST", "/remote/accounts", idempotent=True),
            lambda: self._request("POST", "/remote-account/list", idempotent=True),
        )
        return _parse(
            lambda p: parse_list(p, "remote accounts", RemoteAccount.from_api, "data", "list"),
            payload,
            "POST /remote/accounts",
        )

    def login(self, username: str, password: str) -> dict[str, Any]:
        """Legacy e-mail and password login. Today's API answers 404: that raises a clear error."""
        try:
            payload = self._request(
                "POST",
                "/login",
                json={"username": username, "password": password},
                idempotent=False,
                auth=False,
            )
        except NotFoundError as exc:
            raise EndpointRemovedError(
                _LOGIN_REMOVED, feature="login", status=exc.status, method="POST", path="/login"
            ) from None
        if not isinstance(payload, dict):
            raise InvalidResponseError(
                "expected an object from login", method="POST", path="/login"
            )
        return payload

    def get_api_key(self) -> str:
        """Legacy: the key of the logged-in session. Today's API answers 404: a clear error."""
        try:
            payload = self._request("POST", "/key", idempotent=True, auth=False)
        except NotFoundError as exc:
            raise EndpointRemovedError(
                _LOGIN_REMOVED, feature="login", status=exc.status, method="POST", path="/key"
            ) from None
        key = payload.get("apiKey") or payload.get("key") if isinstance(payload, dict) else None
        if not isinstance(key, str) or not key:
            raise InvalidResponseError("no apiKey in the answer", method="POST", path="/key")
        return key


def _parse(parser: Callable[[Any], T], payload: Any, where: str) -> T:
    """Run a model parser; its shape errors name the route."""
    try:
        return parser(payload)
    except InvalidResponseError as exc:
        method, _, path = where.partition(" ")
        raise InvalidResponseError(
            f"unexpected answer from {where}: {exc.message}", method=method, path=path
        ) from None


def _well_formed(value: Any, depth: int = 0) -> Any:
    """``value`` with lone surrogates replaced, or ValueError if it nests too deeply.

    Offcloud's answers nest a few levels; a deeper one would make every recursive step after the
    parser (redaction, ``str()`` of an error, a status) hit the recursion limit. A ``\\ud800``
    escape without its pair is valid JSON but not text: it would fail when encoded (a URL, a file
    name), so it becomes U+FFFD here.
    """
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, (list, dict)) and depth >= MAX_JSON_DEPTH:
        raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, list):
        return [_well_formed(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {
            _well_formed(name, depth + 1): _well_formed(item, depth + 1)
            for name, item in value.items()
        }
    return value


def _redact_payload_errors(payload: Any, api_key: Optional[str]) -> Any:
    """Mask the key in an error payload's texts before they can reach a message.

    Recursive: an ``error`` that is an object or a list is turned into text whole, so the key
    must not survive at any depth.
    """
    if isinstance(payload, dict) and ("error" in payload or "not_available" in payload):
        return redact_mapping(payload, (api_key,))
    return payload
