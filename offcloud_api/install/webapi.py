"""The one client for a pyLoad's web API (``/api/<name>``), for ``offcloud pyload login`` and the
test and demo harness.

pyload-ng 0.5 (``webui/app/blueprints/api_blueprint.py``, docs/pyload.md §5):

* Authentication is an API key in ``X-API-Key`` (made under Settings → Users → Manage API Keys,
  or by :meth:`PyloadWebApi.generate_api_key` through the web login). ``/api/login`` is gone.
* Every call has a fixed verb (a wrong one: HTTP 405). A JSON body is passed on as keyword
  arguments unchanged. Query and form values are ``unquote``-d once more after the usual
  decoding, then read as Python literals: ``true``/``false`` become booleans, anything else goes
  through ``ast.literal_eval``, and what that cannot read is taken as a string. So a query value
  is the ``repr`` of the value with ``%`` escaped (:func:`encode_param`): the plain text of
  ``"123"`` would come back as the number 123, and a ``%41`` in it as ``A``.
* ``/api/*`` allows 100 calls a minute per client address, then answers HTTP 429 with
  ``Retry-After``. The client waits that out, up to ``rate_limit_wait`` seconds a call, and can
  keep itself under the limit (:class:`RateBudget`).

Only the standard library. Every failure is a :class:`PyloadApiError` whose message says what
happened; the API key and the other ``secrets`` are masked in it. The key goes in a header, never
in a URL.
"""

from __future__ import annotations

import http.cookiejar
import json
import logging
import re
import secrets as _secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any, Optional

from ..redact import redact, strip_query
from .pyload_local import PyloadError

__all__ = [
    "WEB_TIMEOUT",
    "PyloadApiError",
    "PyloadWebApi",
    "RateBudget",
    "encode_param",
]

log = logging.getLogger(__name__)

#: Seconds for one request (update_account logs in at Offcloud before answering).
WEB_TIMEOUT = 60.0


class PyloadApiError(PyloadError):
    """A call of pyLoad's web API failed; the message says why.

    ``status`` is the HTTP status (0: no answer at all), ``body`` the answer's text (secrets
    masked), ``method`` and ``name`` the call (``/api/<name>``; empty for other requests).
    """

    def __init__(
        self, message: str, *, method: str = "", name: str = "", status: int = 0, body: str = ""
    ) -> None:
        super().__init__(message)
        self.method = method
        self.name = name
        self.status = status
        self.body = body


def encode_param(value: Any) -> str:
    """A query or form value that pyLoad reads back as ``value`` (see the module docstring)."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (str, int, float, list, tuple, dict)) or value is None:
        text = repr(value)
    else:
        raise TypeError(f"cannot send a {type(value).__name__} as an API parameter")
    # The server unquotes once more after the normal form/query decoding.
    return text.replace("%", "%25")


class RateBudget:
    """At most ``per_minute`` calls in any 60 s (pyLoad refuses more than 100 per client)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        #: monotonic times of the calls of the last minute, oldest first
        self.calls: deque[float] = deque()

    def pause_for_room(self, calls: int) -> float:
        """Seconds until ``calls`` more calls fit in the last minute's window (0: now)."""
        now = time.monotonic()
        while self.calls and self.calls[0] <= now - 60:
            self.calls.popleft()
        excess = len(self.calls) + calls - self.per_minute
        return max(self.calls[excess - 1] + 60 - now, 0) if excess > 0 else 0.0

    def take(self) -> None:
        """Wait until one more call fits, and count it."""
        pause = self.pause_for_room(1)
        if pause > 0:
            log.info("pausing %.1f s to stay under pyLoad's API rate limit", pause)
            time.sleep(pause)
        self.calls.append(time.monotonic())


class PyloadWebApi:
    """A pyLoad's web API at ``url`` (its web address), with one of its API keys.

    ``use_environment_proxy``: whether the environment's proxy settings apply (as for any
    client; the harness talks to its own 127.0.0.1 and turns them off). ``budget`` keeps the
    calls under pyLoad's rate limit; ``rate_limit_wait`` is how long a call may wait out HTTP 429
    in all. ``secrets`` (besides the key) are masked in every error message.
    """

    def __init__(
        self,
        url: str,
        api_key: Optional[str] = None,
        *,
        timeout: float = WEB_TIMEOUT,
        secrets: Iterable[str] = (),
        use_environment_proxy: bool = True,
        budget: Optional[RateBudget] = None,
        rate_limit_wait: float = 60.0,
    ) -> None:
        parts = urllib.parse.urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PyloadApiError(f"not a pyLoad web address: {strip_query(url)!r}")
        self.url = strip_query(url.strip()).rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.secrets = list(secrets)
        self.budget = budget
        self.rate_limit_wait = rate_limit_wait
        self._proxies: Optional[dict[str, str]] = None if use_environment_proxy else {}
        self._opener = self._build_opener()

    def __repr__(self) -> str:
        return f"PyloadWebApi({self.url!r})"

    def _build_opener(self, *handlers: urllib.request.BaseHandler) -> urllib.request.OpenerDirector:
        return urllib.request.build_opener(urllib.request.ProxyHandler(self._proxies), *handlers)

    def _mask(self, text: str) -> str:
        return redact(text, [s for s in (self.api_key, *self.secrets) if s])

    # ---- requests ----------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Optional[bytes] = None,
        headers: Optional[Mapping[str, str]] = None,
        timeout: Optional[float] = None,
        opener: Optional[urllib.request.OpenerDirector] = None,
    ) -> tuple[int, dict[str, str], bytes]:
        """One request to ``<url><path>``; any HTTP status is returned, no answer raises OSError."""
        request = urllib.request.Request(  # noqa: S310 - http(s) checked in __init__
            self.url + path, data=body, headers=dict(headers or {}), method=method
        )
        try:
            with (opener or self._opener).open(request, timeout=timeout or self.timeout) as resp:
                return resp.status, dict(resp.headers.items()), resp.read()
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, dict(exc.headers.items()), exc.read()

    def call(self, method: str, name: str, /, **params: Any) -> Any:
        """``/api/<name>``: GET parameters in the query (:func:`encode_param`), others as a JSON
        body; the decoded answer."""
        method = method.upper()
        path = f"/api/{name}"
        body: Optional[bytes] = None
        headers = {"Accept": "application/json"}
        if method == "GET":
            if params:
                query = {key: encode_param(value) for key, value in params.items()}
                path += "?" + urllib.parse.urlencode(query)
        else:
            body = json.dumps(params).encode("utf-8")
            headers["Content-Type"] = "application/json"
        return self.send(method, name, path, body, headers)

    def upload(self, name: str, fields: Mapping[str, Any], filename: str, data: bytes) -> Any:
        """``POST /api/<name>`` as multipart, as the web UI uploads a file: ``fields`` as form
        values (:func:`encode_param`), the file as the part ``data``."""
        boundary = "----offcloud" + _secrets.token_hex(12)
        chunks: list[bytes] = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
            f"{encode_param(value)}\r\n".encode()
            for key, value in fields.items()
        ]
        safe_name = re.sub(r"[^A-Za-z0-9._-]", "_", filename) or "upload"
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="data"; '
            f'filename="{safe_name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
        )
        chunks.append(data)
        chunks.append(f"\r\n--{boundary}--\r\n".encode())
        headers = {
            "Accept": "application/json",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        }
        return self.send("POST", name, f"/api/{name}", b"".join(chunks), headers)

    def send(
        self, method: str, name: str, path: str, body: Optional[bytes], headers: Mapping[str, str]
    ) -> Any:
        """Send a prepared ``/api/<name>`` request with the key; the decoded JSON answer."""
        if self.api_key is None:
            raise PyloadApiError(
                f"no API key for pyLoad at {self.url}", method=method, name=name, status=0
            )
        headers = {**headers, "X-API-Key": self.api_key}
        waited = 0.0
        while True:
            if self.budget is not None:
                self.budget.take()
            try:
                status, answer_headers, data = self.request(
                    method, path, body=body, headers=headers
                )
            except (OSError, ValueError) as exc:
                reason = self._mask(str(getattr(exc, "reason", None) or exc))
                raise PyloadApiError(
                    f"cannot reach pyLoad at {self.url} (/api/{name}): {reason}",
                    method=method,
                    name=name,
                    status=0,
                    body=reason,
                ) from None
            text = data.decode("utf-8", "replace")
            if status == 429 and waited < self.rate_limit_wait:
                pause = _retry_after(answer_headers)
                log.warning("pyLoad rate limit hit on /api/%s; waiting %.0f s", name, pause)
                time.sleep(pause)
                waited += pause
                continue
            break
        if status == 200:
            try:
                return json.loads(text) if text.strip() else None
            except ValueError:
                message = f"{self.url}/api/{name} did not answer JSON"
        elif status == 401:
            message = f"pyLoad at {self.url} refused the API key (HTTP 401)"
        else:
            shown = " ".join(self._mask(text).split())[:200]
            message = f"pyLoad at {self.url} answered HTTP {status} to /api/{name}: {shown}"
        raise PyloadApiError(
            message, method=method, name=name, status=status, body=self._mask(text)
        )

    # ---- the web login -----------------------------------------------------------------------

    def generate_api_key(self, user: str, password: str, name: str) -> str:
        """Create an API key: web login (with its CSRF token), then ``/json/generate_apikey``."""
        opener = self._build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        status, _, page = self.request("GET", "/login", opener=opener)
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
        if status != 200 or token is None:
            raise PyloadApiError(f"pyLoad login page: HTTP {status}, no csrf_token field")
        form = urllib.parse.urlencode(
            {"csrf_token": token.group(1).decode(), "username": user, "password": password}
        ).encode()
        status, _, page = self.request(
            "POST",
            "/login",
            body=form,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            opener=opener,
        )
        meta = re.search(rb'name="csrf-token"\s+content="([^"]+)"', page)
        if status != 200 or meta is None:
            raise PyloadApiError(
                f"pyLoad web login as {user!r} failed (HTTP {status}, no dashboard); "
                "is the password still the default?"
            )
        status, _, data = self.request(
            "POST",
            "/json/generate_apikey",
            body=json.dumps(
                {"user": user, "password": password, "name": name, "expires": 0}
            ).encode(),
            headers={"Content-Type": "application/json", "X-CSRFToken": meta.group(1).decode()},
            opener=opener,
        )
        try:
            answer = json.loads(data)
            key = answer["data"]["key"]
        except (ValueError, KeyError, TypeError):
            raise PyloadApiError(
                f"/json/generate_apikey: HTTP {status}: {data[:300]!r}", status=status
            ) from None
        if not isinstance(key, str) or not key.startswith("pl_"):
            raise PyloadApiError(f"/json/generate_apikey returned an odd key: {answer!r}")
        return key


def _retry_after(headers: Mapping[str, str]) -> float:
    """A ``Retry-After`` in seconds, 1 to 65 (absent or not a number: 5)."""
    for key, value in headers.items():
        if key.lower() == "retry-after":
            try:
                return min(max(float(value), 1.0), 65.0)
            except ValueError:
                break
    return 5.0
