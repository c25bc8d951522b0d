"""A transport for :class:`~offcloud_api.OffcloudAPI` on pyLoad's own network stack.

API calls made from inside pyLoad must leave by the same road as the downloads: Offcloud binds
download links to the IP that asked for them, and pyLoad applies the user's proxy, interface and
SSL settings only to requests it makes itself (docs/pyload.md §4). So each plugin gives the
client a transport that sends through ``plugin.load`` on a request object of its own:

- its own object, because headers set on a pyLoad request stick to it (docs/pyload.md §4.1),
  and ``Authorization`` must never follow a download or a HEAD check to a file server;
- ``decode=False``, because pyLoad's decoding HTML-unescapes JSON;
- ``BadHeader`` is an answer, not a failure: pyLoad raises it for some status codes only;
- the size cap is the call's own (``Request.max_bytes``, enforced by libcurl), not pyLoad's
  2,000,000 bytes: past that pyLoad fails with a bare ``Exception`` and writes the whole answer
  into ``response.dump`` in its working folder (docs/pyload.md §4.1), and an account's cloud
  history can be larger than that (docs/api.md L12: no paging).

pyLoad is imported lazily, so this module can be imported (and type-checked) without it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from typing import Any, Callable, Optional

from ..client import OffcloudAPI
from ..exceptions import OffcloudConnectionError, ResponseTooLargeError
from ..redact import strip_query
from ..retry import RetryPolicy
from ..transport import Request, Response

__all__ = ["PyloadTransport", "abortable_sleep", "client_for", "has_headers", "header_value"]

log = logging.getLogger(__name__)

# libcurl error codes raised before anything reached the server (safe to send again).
_CURL_NOT_SENT = {
    5,  # couldn't resolve proxy
    6,  # couldn't resolve host
    7,  # couldn't connect
    35,  # TLS handshake failed
    60,  # peer certificate cannot be authenticated
}
_CURL_FILESIZE_EXCEEDED = 63


class PyloadTransport:
    """Sends requests with ``plugin.load`` on a fresh pyLoad request object of its own."""

    def __init__(self, plugin: Any) -> None:
        self.plugin = plugin
        self._request: Any = plugin.pyload.request_factory.get_request(plugin.classname)

    def send(self, request: Request) -> Response:
        import pycurl  # noqa: PLC0415 - only inside pyLoad
        from pyload.core.network.exceptions import Fail  # noqa: PLC0415
        from pyload.core.network.http.exceptions import BadHeader  # noqa: PLC0415

        http = self._request.http
        http.clear_headers()
        for name, value in request.headers.items():
            http.set_header(name, value)
        body: Optional[str] = None
        if request.method == "POST":
            # pyLoad sends a POST only when ``post`` is truthy, so a bodiless POST sends "{}".
            http.set_header("Content-Type", "application/json")
            body = json.dumps(request.json if request.json is not None else {})
        connect, read = (
            request.timeout if isinstance(request.timeout, tuple) else (request.timeout,) * 2
        )
        http.c.setopt(pycurl.CONNECTTIMEOUT, max(1, int(connect)))
        http.c.setopt(pycurl.TIMEOUT, max(1, int(connect + read)))
        http.limit = 0  # pyLoad's own cap dumps the answer to response.dump: ours instead
        http.c.setopt(pycurl.MAXFILESIZE_LARGE, request.max_bytes)
        where = f"{request.method} {strip_query(request.url)}"
        try:
            content = self.plugin.load(
                request.url,
                get=dict(request.params) or None,
                post=body,
                referrer=False,
                decode=False,
                req=self._request,
            )
            status = int(self._request.code)
        except BadHeader as exc:
            content = exc.content if isinstance(exc.content, bytes) else str(exc.content).encode()
            status = exc.code
            return Response(status=status, headers=_headers(exc.headers), content=content)
        except pycurl.error as exc:
            code = exc.args[0] if exc.args else None
            if code == _CURL_FILESIZE_EXCEEDED:
                raise _too_large(request, where) from None
            raise OffcloudConnectionError(
                f"connection failed for {where}: curl error {code}",
                request_sent=code not in _CURL_NOT_SENT,
                method=request.method,
            ) from None
        except Fail as exc:
            # pyLoad's SSRF guard and its response size cap raise Fail before any answer is read.
            raise OffcloudConnectionError(
                f"pyLoad refused {where}: {exc}", request_sent=False, method=request.method
            ) from None
        headers = _headers(getattr(http, "response_headers", {}))
        raw = content if isinstance(content, bytes) else str(content).encode()
        if len(raw) > request.max_bytes:  # libcurl stops at the cap; this is the backstop
            raise _too_large(request, where)
        return Response(status=status, headers=headers, content=raw)

    def close(self) -> None:
        try:
            self._request.close()
        except Exception:
            log.debug("closing the pyLoad request failed", exc_info=True)


def _too_large(request: Request, where: str) -> ResponseTooLargeError:
    return ResponseTooLargeError(
        f"the answer to {where} is larger than {request.max_bytes // (1024 * 1024)} MiB",
        method=request.method,
    )


def _headers(source: Any) -> Mapping[str, str]:
    """Header names lower-cased from pyLoad's ``HttpHeaders`` (or any mapping)."""
    try:
        names = list(source.keys())
    except AttributeError:
        return {}
    result: dict[str, str] = {}
    for name in names:
        value = source.get(name)
        if value is not None:
            result[str(name).lower()] = str(value)
    return result


def header_value(headers: Any, name: str) -> Optional[str]:
    """A header from pyLoad's ``HttpHeaders`` (or any mapping), whatever the case of its name."""
    try:
        names = list(headers.keys())
    except AttributeError:
        return None
    wanted = name.lower()
    for candidate in names:
        if str(candidate).lower() == wanted:
            value = headers.get(candidate)
            return None if value is None else str(value)
    return None


def has_headers(headers: Any) -> bool:
    """Whether pyLoad's ``HttpHeaders`` (or any mapping) hold any header at all."""
    try:
        return bool(list(headers.keys()))
    except AttributeError:
        return False


def abortable_sleep(should_abort: Callable[[], bool]) -> Callable[[float], None]:
    """A ``sleep`` for retry waits that returns early when pyLoad asks the link to stop."""

    def sleep(seconds: float) -> None:
        end = time.monotonic() + seconds
        while not should_abort():
            left = end - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(0.2, left))

    return sleep


def client_for(
    plugin: Any,
    api_key: str,
    should_abort: Callable[[], bool],
    *,
    api_generation: Optional[str] = None,
) -> OffcloudAPI:
    """An API client that talks through ``plugin``'s pyLoad network settings.

    ``api_generation`` is what the account check learned (``"2026"`` or ``"legacy"``), so the
    client calls no route the account's API lacks (instant on 2026, docs/api.md L4).
    Calls that are safe to repeat ride out a burst of transient errors in seconds
    (:meth:`RetryPolicy.for_bursts`), waiting what a 429 or 503 asks up to 10 s; the waits end
    early when pyLoad stops the link.
    """
    return OffcloudAPI(
        api_key,
        transport=PyloadTransport(plugin),
        retry=RetryPolicy.for_bursts(abortable_sleep(should_abort), max_retry_after=10.0),
        api_generation=api_generation,
    )
