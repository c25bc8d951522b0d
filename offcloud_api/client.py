"""``OffcloudAPI``: the Offcloud API client.

It speaks the 2026 API first (``Authorization: Bearer``, JSON bodies), as live probes measured it
(docs/api.md §00, rows L1-L18), and falls back to a legacy route where this server has
no such route. "No such route" (:class:`RouteNotFoundError`) is decided from status and content
type before parsing (L3); every fallback triggers on it only, and is remembered per client. Every
call goes through :meth:`OffcloudAPI._request`, which owns the base URL, the key, timeouts, the
byte cap, decoding, error mapping, retries and logging.
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
from urllib.parse import quote

from .exceptions import (
    AuthError,
    BadArchiveError,
    EndpointRemovedError,
    InvalidLinkError,
    InvalidResponseError,
    NotFoundError,
    OffcloudConnectionError,
    RateLimitError,
    ResponseTooLargeError,
    RouteNotFoundError,
    ServerError,
    error_from_response,
    is_html,
    route_missing,
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
from .transport import DEFAULT_MAX_BYTES, Request, Response, Timeout, Transport
from .version import __version__

if TYPE_CHECKING:
    import requests

__all__ = [
    "CACHE_BATCH",
    "CACHE_HASH_BATCH",
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "GENERATION_2026",
    "GENERATION_LEGACY",
    "HISTORY_MAX_BYTES",
    "SMALL_ANSWER_BYTES",
    "OffcloudAPI",
]

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://offcloud.com/api"
#: (connect, read) seconds for every API call.
DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 30.0)
#: Deeper JSON is not an answer of Offcloud's; it is treated as a broken body.
MAX_JSON_DEPTH = 64
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
#: Offcloud's batch sizes: ``cache/info`` magnets per call (§3.4), bare hashes per ``/cache``
#: call (§00 L13) and ids per legacy removal call (§6.5).
CACHE_BATCH = 100
CACHE_HASH_BATCH = 1000
REMOVE_BATCH = 200
#: The history has no paging and lists every job of the account (§00 L12): tens of thousands.
HISTORY_MAX_BYTES = 64 * 1024 * 1024
#: Answers about one job or the account are a few hundred bytes: a larger one is refused before
#: it is parsed (parsing costs many times an answer's size in memory).
SMALL_ANSWER_BYTES = 1024 * 1024
#: The API generations :attr:`OffcloudAPI.api_generation` may name.
GENERATION_2026 = "2026"
GENERATION_LEGACY = "legacy"
_GENERATIONS = (GENERATION_2026, GENERATION_LEGACY)

_LOGIN_REMOVED = (
    "Offcloud no longer accepts e-mail and password: since its 2026 API only API keys work. "
    "Log in with the device flow instead, which gives a token that works as the key "
    "('offcloud login' on the command line, offcloud_api.oauth.device_login(client) in Python), "
    "or copy your key from https://offcloud.com/#/account and pass it as api_key."
)

DownloadType = str  # "instant", "cloud" or "remote"
T = TypeVar("T")


class OffcloudAPI:
    """A client for one Offcloud account.

    ``base_url`` comes from the argument, else ``OFFCLOUD_API_URL``, else ``https://offcloud.com/api``.
    HTTP goes through ``transport``; without one, a :class:`RequestsTransport` on ``session`` (or
    a session of its own, closed by :meth:`close`). ``api_generation`` (``"2026"`` or
    ``"legacy"``) says which API the account's server speaks when the caller knows it already
    (from an earlier :meth:`get_account_stats`); otherwise that call finds out.
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
        api_generation: Optional[str] = None,
    ) -> None:
        if api_generation not in (None, *_GENERATIONS):
            raise ValueError(f"api_generation is '2026', 'legacy' or None, not {api_generation!r}")
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
        # Routes found absent here (RouteNotFoundError), so later calls go straight to the fallback.
        self._legacy: set[str] = set()
        self._generation: Optional[str] = api_generation

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
    def api_generation(self) -> Optional[str]:
        """``"2026"`` or ``"legacy"`` once known (from :meth:`get_account_stats`), else ``None``."""
        return self._generation

    def instant_available(self) -> Optional[bool]:
        """Whether :meth:`instant` can work here, without asking Offcloud.

        False on the 2026 API (it has no instant route, §00 L4) or once instant was found absent;
        True on the legacy API; None while the generation is unknown.
        """
        if "instant" in self._legacy or self._generation == GENERATION_2026:
            return False
        if self._generation == GENERATION_LEGACY:
            return True
        return None

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
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> Any:
        """Send one API call and return its decoded JSON (or text with ``raw``).

        ``idempotent`` says whether the call may be repeated after it possibly reached Offcloud:
        then connection failures, 5xx and broken answers are retried. Any call is retried when it
        certainly did not arrive (connection refused) or was refused with 429. An answer larger
        than ``max_bytes`` raises ``ResponseTooLargeError`` and is not retried.
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
            max_bytes=max_bytes,
        )
        log_path = strip_query(url)
        policy = self.retry_policy
        # A deadline on the whole call: each try gets what is left of it, no wait runs past it.
        ends = None if policy.deadline is None else policy.clock() + policy.deadline
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            try:
                response = self.transport.send(_within(request, policy, ends))
            except ResponseTooLargeError as exc:
                exc.method, exc.path = method, path
                log.debug("%s %s: %s", method, log_path, exc.message)
                raise
            except OffcloudConnectionError as exc:
                exc.method, exc.path = method, path
                log.debug("%s %s failed: %s", method, log_path, exc.message)
                if (
                    attempt < policy.attempts
                    and (idempotent or not exc.request_sent)
                    and _slept_in_time(policy, ends, policy.backoff(attempt))
                ):
                    continue
                if ends is not None and policy.clock() >= ends:
                    raise _past_call_deadline(exc, policy, attempt, log_path) from exc
                raise
            elapsed_ms = (time.monotonic() - started) * 1000
            log.debug("%s %s -> %d in %.0f ms", method, log_path, response.status, elapsed_ms)
            try:
                return self._decode(
                    response, method=method, path=path, raw=raw, max_bytes=max_bytes
                )
            except ResponseTooLargeError:
                raise
            except RateLimitError as exc:
                wait = exc.retry_after if exc.retry_after is not None else policy.backoff(attempt)
                if (
                    attempt < policy.attempts
                    and wait <= policy.max_retry_after
                    and _in_time(policy, ends, wait)
                ):
                    log.debug("rate limited on %s %s; waiting %.1f s", method, log_path, wait)
                    policy.sleep(wait)
                    continue
                raise
            except (ServerError, InvalidResponseError) as exc:
                again = _transient_wait(policy, attempt, exc, response) if idempotent else None
                if again is None or not _in_time(policy, ends, again):
                    raise
                log.debug("%s %s: %s; again in %.1f s", method, log_path, exc.message, again)
                policy.sleep(again)
                continue

    def _decode(
        self,
        response: Response,
        *,
        method: str,
        path: str,
        raw: bool,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> Any:
        body = response.content
        if len(body) > max_bytes:  # a transport that does not enforce the cap itself
            raise ResponseTooLargeError(
                f"the answer to {method} {path} is larger than {max_bytes} bytes",
                status=response.status,
                method=method,
                path=path,
            )
        html = is_html(response.header("content-type"), body)
        text = body.decode("utf-8", errors="replace")
        stripped = text.lstrip()
        payload: Any = None
        parsed = False
        if stripped and not html:
            try:
                payload = _well_formed(jsonlib.loads(stripped))
                parsed = True
            except (ValueError, RecursionError):  # RecursionError: nested too deeply to parse
                payload = None
        # Offcloud's answer for a route it does not have (§00 L3), decided before the payload.
        if route_missing(status=response.status, html=html, json_body=parsed):
            page = "an HTML page" if html else "no JSON"
            raise RouteNotFoundError(
                f"no route {method} {path} here (HTTP {response.status} with {page})",
                status=response.status,
                method=method,
                path=path,
            )
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
        """Call the 2026 route, and the legacy one if the former is not a route here.

        Only :class:`RouteNotFoundError` triggers the fallback (a JSON 404 is an unknown id, not a
        missing route); it is remembered, so later calls go straight to the legacy route.
        """
        if capability not in self._legacy:
            try:
                return modern()
            except EndpointRemovedError:
                raise
            except RouteNotFoundError:
                log.debug("no 2026 route for %s; using the legacy one", capability)
                self._legacy.add(capability)
        return legacy()

    # ----------------------------------------------------------------------------------------
    # account and sites

    def get_account_stats(self) -> AccountInfo:
        """Premium, expiry, ``can_download`` and limits of the account behind the key.

        Also finds out the API generation (:attr:`api_generation`): ``"2026"`` when
        ``account/info`` answered, ``"legacy"`` when it is not a route and ``account/stats`` did.
        """
        payload = self._with_fallback(
            "account",
            lambda: self._request(
                "GET", "/account/info", idempotent=True, max_bytes=SMALL_ANSWER_BYTES
            ),
            lambda: self._request(
                "GET", "/account/stats", idempotent=True, max_bytes=SMALL_ANSWER_BYTES
            ),
        )
        generation = GENERATION_LEGACY if "account" in self._legacy else GENERATION_2026
        where = "GET /account/stats" if generation == GENERATION_LEGACY else "GET /account/info"
        info = _parse(AccountInfo.from_api, payload, where)
        self._generation = generation
        return replace(info, api_generation=generation)

    def get_supported_sites(self) -> list[Site]:
        """Every host Offcloud lists, with its status and limits, read tolerantly (§00 L17).

        A bare list or one in a known envelope; items may be objects (``name``, ``status``
        ``"up"``/``"down"`` or the legacy ``isActive`` words, ``hosts`` or ``domains``) or bare
        strings, and a name may be a bare word (``rapidgator``), not a domain. Items that cannot
        be read are skipped and counted in the debug log; only an answer that is no list at all
        raises ``InvalidResponseError``.
        """
        payload = self._request("GET", "/sites", idempotent=True)
        items = _parse(
            lambda p: parse_list(p, "sites", lambda item: item, "data", "sites", "fs", "list"),
            payload,
            "GET /sites",
        )
        sites = [site for site in map(_site_or_none, items) if site is not None]
        if len(sites) < len(items):
            log.debug(
                "skipped %d unreadable of %d items in GET /sites",
                len(items) - len(sites),
                len(items),
            )
        return sites

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

        Without files: ``POST /cache`` with bare hashes, up to 1,000 a call, answered with the
        hits only (§00 L13); where that is not a route, ``cache/info``. With files:
        ``POST /cache/info`` with full magnets (a bare hash there silently answers "not cached",
        L14), 100 a call, answered by position. Items without a valid info-hash are answered
        ``cached=False`` without being sent.
        """
        queries = [item.strip() for item in items if item and item.strip()]
        hashes = [info_hash_of(query) for query in queries]
        wanted = [(query, h) for query, h in zip(queries, hashes) if h is not None]
        found: dict[str, CacheResult] = {}
        if wanted:
            if include_files:
                found = self._with_fallback(
                    "cache-info",
                    partial(self._cache_by_magnets, wanted, True),
                    partial(self._cache_by_hashes, wanted),
                )
            else:
                found = self._with_fallback(
                    "cache",
                    partial(self._cache_by_hashes, wanted),
                    partial(self._cache_by_magnets, wanted, False),
                )
        results: list[CacheResult] = []
        for query, h in zip(queries, hashes):
            answer = found.get(query) if h is not None else None
            results.append(answer or CacheResult(query=query, info_hash=h, cached=False))
        return results

    def _cache_by_hashes(self, wanted: list[tuple[str, str]]) -> dict[str, CacheResult]:
        """``POST /cache {"hashes": [...]}``: the answer lists the hits only (§00 L13)."""
        unique = list(dict.fromkeys(h for _, h in wanted))
        hits: set[str] = set()
        for start in range(0, len(unique), CACHE_HASH_BATCH):
            batch = unique[start : start + CACHE_HASH_BATCH]
            payload = self._request("POST", "/cache", json={"hashes": batch}, idempotent=True)

            def parse(data: Any) -> set[str]:
                if not isinstance(data, dict):
                    raise InvalidResponseError("expected {cachedItems: [...]} from cache")
                return {item.strip().lower() for item in sequence_of_str(data.get("cachedItems"))}

            hits |= _parse(parse, payload, "POST /cache")
        return {
            query: CacheResult(query=query, info_hash=h, cached=h in hits) for query, h in wanted
        }

    def _cache_by_magnets(
        self, wanted: list[tuple[str, str]], include_files: bool
    ) -> dict[str, CacheResult]:
        """``POST /cache/info`` with full magnets, answered by position (§00 L14)."""
        results: dict[str, CacheResult] = {}
        unique = list(dict.fromkeys(wanted))
        for start in range(0, len(unique), CACHE_BATCH):
            batch = unique[start : start + CACHE_BATCH]
            magnets = [query if is_magnet(query) else build_magnet(h) for query, h in batch]
            body = {"urls": magnets, "includeFiles": include_files}
            payload = self._request("POST", "/cache/info", json=body, idempotent=True)

            def parse(data: Any, batch: list[tuple[str, str]] = batch) -> list[CacheResult]:
                answers = parse_list(data, "cache info", lambda item: item, "data", "results")
                if len(answers) != len(batch):
                    raise InvalidResponseError(
                        f"cache/info answered {len(answers)} results for {len(batch)} links"
                    )
                return [
                    CacheResult.from_api(answer, query=query, info_hash=h)
                    for answer, (query, h) in zip(answers, batch)
                ]

            for result in _parse(parse, payload, "POST /cache/info"):
                results[result.query] = result
        return results

    def cache_download_available(self) -> bool:
        """False once ``cache/download`` was found absent here (no call is made to know it)."""
        return "cache-download" not in self._legacy

    def cache_download(self, magnet: str) -> list[CachedDownload]:
        """Ready file links of a cached torrent, without making a cloud job (2026, §00 L19).

        One source saw this route. Where it answers HTML 404 (:class:`RouteNotFoundError`) the
        absence is remembered: later calls raise at once, without a request, and the caller
        adds the magnet and explores its job instead.
        """
        if not self.cache_download_available():
            raise RouteNotFoundError(
                "no route POST /cache/download here (found absent before)",
                method="POST",
                path="/cache/download",
            )
        if not is_magnet(magnet):
            magnet = build_magnet(info_hash_of(magnet) or magnet)
        try:
            payload = self._request(
                "POST", "/cache/download", json={"url": magnet}, idempotent=True
            )
        except RouteNotFoundError:
            self._legacy.add("cache-download")
            raise
        return _parse(
            lambda p: parse_list(p, "cached files", CachedDownload.from_api, "files", "data"),
            payload,
            "POST /cache/download",
        )

    # ----------------------------------------------------------------------------------------
    # adding jobs

    def instant(self, url: str, proxy_id: Optional[str] = None) -> Job:
        """Unrestrict ``url`` at once (legacy API). Raises ``EndpointRemovedError`` where gone.

        Where :meth:`instant_available` is False (the 2026 API has no instant route, §00 L4) it
        raises at once, without a call; a route found absent is remembered.
        """
        if self.instant_available() is False:
            raise _instant_removed(None)
        body: dict[str, Any] = {"url": url}
        if proxy_id:
            body["proxyId"] = proxy_id
        paths = ["/instant", "/instant/download"]
        if "instant-name" in self._legacy:
            paths.pop(0)
        last_status: Optional[int] = None
        for path in paths:
            try:
                payload = self._request("POST", path, json=body, idempotent=False)
            except EndpointRemovedError:
                raise
            except RouteNotFoundError as exc:
                log.debug("no route POST %s here (HTTP %s)", path, exc.status)
                if path == "/instant":
                    self._legacy.add("instant-name")
                last_status = exc.status
                continue
            return _parse(self._job_from_api, payload, f"POST {path}")
        self._legacy.add("instant")
        raise _instant_removed(last_status)

    def cloud(self, url: str) -> Job:
        """Add ``url`` (a hoster link, magnet or ``.torrent`` URL) as a cloud job.

        ``POST /cloud {"url": ...}``. A magnet whose info-hash is not 40 hex or 32 base32
        characters raises ``InvalidLinkError`` before anything is sent: Offcloud would accept it
        and leave the job ``created`` for ever (§00 L7). The answer may already say
        ``downloaded`` (a cached magnet, L5): then there is nothing to wait for. It carries no
        file link, server or size: the files come from :meth:`explore_cloud`. A dead link raises
        ``FileOfflineError`` and another refusal ``RefusedError`` with Offcloud's text (L6).
        """
        if is_magnet(url) and info_hash_of(url) is None:
            raise InvalidLinkError(
                "not a valid magnet link: its info-hash (xt=urn:btih:...) must be 40 hex or "
                "32 base32 characters",
                method="POST",
                path="/cloud",
            )
        payload = self._request(
            "POST", "/cloud", json={"url": url}, idempotent=False, max_bytes=SMALL_ANSWER_BYTES
        )
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
            "POST",
            "/cloud/status",
            json={"requestId": request_id},
            idempotent=True,
            max_bytes=SMALL_ANSWER_BYTES,
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
        stuck_after: Optional[float] = 600.0,
    ) -> Job:
        """Poll a cloud or remote job until it is downloaded; return its final status.

        Polls start ``poll_interval`` apart and grow by half each time up to ``max_interval``.
        Raises ``CloudJobError``, ``JobStuckError`` when the job is still ``created`` with no
        progress ``stuck_after`` seconds after the wait began (``None``: never; §00 L7),
        ``WaitTimeoutError`` after ``timeout`` seconds, or ``WaitAbortedError`` within 0.2 s of
        ``should_abort()`` turning true.
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
            stuck_after=stuck_after,
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

        The only source of a job's file links (never the add or status answer, §00 L10):
        ``GET /cloud/explore/{id}?format=detailed`` answers ``{"files": [{id, name, size, path,
        url}]}``; a bare array of URLs is read too (name from the URL's last segment, no size).
        Where the detailed form is not a route, the bare form is asked for. One file gives a list
        of one. A legacy single-file job (``Bad archive``) yields its one file, built from the
        job's server and name; ``job`` saves the status call that needs.
        """
        path = f"/cloud/explore/{request_id}"
        try:
            if "explore-detailed" in self._legacy:
                payload = self._request("GET", path, idempotent=True)
            else:
                try:
                    payload = self._request(
                        "GET", path, params={"format": "detailed"}, idempotent=True
                    )
                except RouteNotFoundError:
                    log.debug("no detailed explore here; asking for the URL list")
                    self._legacy.add("explore-detailed")
                    payload = self._request("GET", path, idempotent=True)
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
        """The file URLs of a finished cloud job, one per file (legacy text route, then explore).

        On the 2026 API (or once the text route was found absent) explore is asked directly.
        """

        def legacy() -> list[str]:
            text = self._request("GET", f"/cloud/list/{request_id}", idempotent=True, raw=True)
            return [line.strip() for line in str(text).splitlines() if line.strip()]

        def modern() -> list[str]:
            return [f.url for f in self.explore_cloud(request_id)]

        if "list" in self._legacy or self._generation == GENERATION_2026:
            return modern()
        # The text route is the seed's; explore is what today's API certainly has.
        try:
            return legacy()
        except RouteNotFoundError:
            self._legacy.add("list")
            return modern()

    # ----------------------------------------------------------------------------------------
    # history and housekeeping

    def get_history(self) -> list[Job]:
        """Cloud jobs of the account, newest first as Offcloud sends them.

        The 2026 items have requestId, fileName, status, originalLink and createdOn only: no
        sizes, no links (§00 L12). There is no paging, so the answer may hold tens of thousands
        of jobs: up to 64 MiB is read, more raises ``ResponseTooLargeError``. Items Offcloud marks
        as internal (``metaData: hide``) and items without an id are left out.
        """
        payload = self._request(
            "GET", "/cloud/history", idempotent=True, max_bytes=HISTORY_MAX_BYTES
        )
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
        """Remove cloud jobs (one id or many) and their files from the Offcloud cloud.

        ``GET /api/cloud/remove/{id}`` per id (§00 L15); where that is not a route, the website's
        ``GET /cloud/remove/{id}``, then the legacy ``POST /api/cloud/remove {"requests": [...]}``
        in batches. Each route found absent is remembered. An id Offcloud does not know (a JSON
        404) counts as removed already.
        """
        ids = [request_ids] if isinstance(request_ids, str) else list(request_ids)
        pending = list(ids)
        # The same path on the API and on the website root.
        for capability, on_site in (("remove-api", False), ("remove-site", True)):
            if capability in self._legacy:
                continue
            try:
                while pending:
                    self._remove_one(pending[0], on_site=on_site)
                    pending.pop(0)
            except RouteNotFoundError:
                log.debug("no removal route for %s here; trying the next", capability)
                self._legacy.add(capability)
            else:
                return
        for start in range(0, len(pending), REMOVE_BATCH):
            batch = pending[start : start + REMOVE_BATCH]
            self._request("POST", "/cloud/remove", json={"requests": batch}, idempotent=True)

    def _remove_one(self, request_id: str, *, on_site: bool) -> None:
        path = f"/cloud/remove/{quote(request_id, safe='')}"
        try:
            self._request("GET", path, idempotent=True, on_site=on_site)
        except RouteNotFoundError:
            raise
        except NotFoundError:
            log.debug("removal: Offcloud does not know that id; removed already")

    def retry(self, request_id: str, download_type: DownloadType = "cloud") -> Optional[Job]:
        """Ask Offcloud to try a failed job again; the job's new status if the answer has one.

        No live probe saw a retry route on the 2026 API (§00): there this may raise
        ``RouteNotFoundError``, and the caller adds the link again instead.
        """
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
        """Legacy e-mail and password login (``POST /api/login``); the answer, on a legacy server.

        Offcloud's 2026 API answers 404 (docs/api.md §1.3): that raises
        :class:`EndpointRemovedError`, whose message points to the device flow. To log in without
        a key today, use :func:`offcloud_api.oauth.device_login` (or
        :class:`~offcloud_api.oauth.DeviceLogin`): the user confirms a code on offcloud.com and
        the token it returns works as ``api_key``.
        """
        try:
            payload = self._request(
                "POST",
                "/login",
                json={"username": username, "password": password},
                idempotent=False,
                auth=False,
            )
        except RouteNotFoundError as exc:
            raise EndpointRemovedError(
                _LOGIN_REMOVED, feature="login", status=exc.status, method="POST", path="/login"
            ) from None
        if not isinstance(payload, dict):
            raise InvalidResponseError(
                "expected an object from login", method="POST", path="/login"
            )
        return payload

    def get_api_key(self) -> str:
        """Legacy: the key of the session :meth:`login` opened (``POST /api/key``).

        Offcloud's 2026 API answers 404: that raises :class:`EndpointRemovedError` pointing to
        the device flow, :func:`offcloud_api.oauth.device_login`, whose token is used as the key
        (``client.api_key = device_login(client, on_code=show)``).
        """
        try:
            payload = self._request("POST", "/key", idempotent=True, auth=False)
        except RouteNotFoundError as exc:
            raise EndpointRemovedError(
                _LOGIN_REMOVED, feature="login", status=exc.status, method="POST", path="/key"
            ) from None
        key = payload.get("apiKey") or payload.get("key") if isinstance(payload, dict) else None
        if not isinstance(key, str) or not key:
            raise InvalidResponseError("no apiKey in the answer", method="POST", path="/key")
        return key


def _within(request: Request, policy: RetryPolicy, ends: Optional[float]) -> Request:
    """``request``, told what is left of the call's deadline (if the call has one)."""
    return request if ends is None else replace(request, deadline=ends - policy.clock())


def _in_time(policy: RetryPolicy, ends: Optional[float], wait: float) -> bool:
    """Whether a wait of ``wait`` seconds still leaves time for another try before ``ends``."""
    return ends is None or policy.clock() + wait < ends


def _slept_in_time(policy: RetryPolicy, ends: Optional[float], wait: float) -> bool:
    """Wait ``wait`` seconds and say True, or say False at once if that leaves no time to try."""
    if not _in_time(policy, ends, wait):
        return False
    policy.sleep(wait)
    return True


def _past_call_deadline(
    error: OffcloudConnectionError, policy: RetryPolicy, tries: int, where: str
) -> OffcloudConnectionError:
    """The error of a call that ran out of its whole deadline (``policy.deadline``)."""
    method = error.method or ""
    seconds = policy.deadline or 0.0
    counted = "1 try" if tries == 1 else f"{tries} tries"
    return OffcloudConnectionError(
        f"no complete answer to {method} {where} within {seconds:g} s ({counted}); Offcloud is "
        "slow or unreachable from here: try again later",
        request_sent=error.request_sent,
        method=method,
        path=error.path,
    )


def _transient_wait(
    policy: RetryPolicy,
    attempt: int,
    error: Union[ServerError, InvalidResponseError],
    response: Response,
) -> Optional[float]:
    """Seconds before trying a safe call again after a 5xx or a broken answer; None: give up.

    The policy's backoff, or what a 503's ``Retry-After`` asks; a longer wait than the policy
    allows is the caller's to schedule, as for a 429.
    """
    if attempt >= policy.attempts:
        return None
    asked = parse_retry_after(response.header("retry-after")) if error.status == 503 else None
    if asked is None:
        return policy.backoff(attempt)
    return asked if asked <= policy.max_retry_after else None


def _site_or_none(item: Any) -> Optional[Site]:
    try:
        return Site.from_api(item)
    except InvalidResponseError:
        return None


def _instant_removed(status: Optional[int]) -> EndpointRemovedError:
    return EndpointRemovedError(
        "Offcloud's API has no instant downloads here; use cloud()",
        feature="instant",
        status=status,
        method="POST",
        path="/instant",
    )


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
    """Mask the key in an error payload's texts (an error object or a bare string) before they
    can reach a message.

    Recursive: an ``error`` that is an object or a list is turned into text whole, so the key
    must not survive at any depth.
    """
    if isinstance(payload, dict) and ("error" in payload or "not_available" in payload):
        return redact_mapping(payload, (api_key,))
    if isinstance(payload, str):  # the 2026 refusal text, a bare JSON string (§00 L6)
        return redact(payload, (api_key,))
    return payload
