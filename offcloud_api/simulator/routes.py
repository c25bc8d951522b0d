"""Offcloud's HTTP surface on top of :class:`~.state.SimState`: routes, shapes, status codes.

Every answer follows docs/api.md; the section is named next to each handler. Routes come
in families that a scenario switches on and off (``api`` options):

* ``modern``: only on the 2026 API (``account/info``, ``cache/info``, ``cache/download``,
  ``POST cloud/remove``, OAuth);
* ``legacy``: only on the legacy API (``cache``, ``account/stats``, ``cloud/list``, proxies,
  remote, old route names);
* ``both``: served by either (``sites``, ``cloud``, ``cloud/status``, ``cloud/history``,
  ``cloud/explore``, ``/cloud/remove/{id}``, ``cloud/retry``);
* ``instant`` and ``login``: their own switches;
* ``live``: the profile ``live`` (the default), which answers as docs/api.md §00 L1-L24 say: the
  live probes of 2026 and what the clients of the real service send and get, nothing kinder and
  nothing stricter (``live_cache_download``, L19, has its own switch). On it ``modern`` and
  ``both`` are off; the other families still follow their flags (``oauth``, ``instant``... are
  off unless a scenario turns them on).

On ``rich`` and ``legacy`` a route that is switched off answers 404 like Express ("Cannot POST
/api/login"). On ``live`` an unknown path answers Offcloud's HTML 404 page and a known path with
the wrong verb Symfony's HTML 405 page (L3). A bad key answers ``{"error":"NOAUTH"}`` with HTTP
401 on 2026 routes and HTTP 200 on legacy ones (§4.1, §8, L2).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, TypeVar, Union
from urllib.parse import parse_qs, quote, unquote

from ..magnet import is_magnet
from .files import FileSpec
from .scenario import AccountSpec, SiteSpec
from .state import (
    CDN_DOMAIN,
    DEAD_LINK_TEXT,
    LOADING_MESSAGE,
    CdnLink,
    InstantRequest,
    Job,
    Refusal,
    SimState,
)

__all__ = [
    "Api",
    "ApiRequest",
    "Reply",
    "file_reply",
    "method_not_allowed_html",
    "not_found_html",
    "offcloud_not_found_html",
]

JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"
QUERY_KEY_NAMES = ("key", "apikey", "apiKey")
#: Where a key may be, in the order the call log reports them (a key in the URL always shows).
KEY_LOCATION_ORDER = ("query", "bearer", "form", "json", "cookie")
SESSION_COOKIE = "connect.sid"
#: Where a CDN file link's path starts (L11): ``/cdn3sto/<store>-sto/<token>/<name>``.
CDN_PREFIX = "/cdn3sto/"
_CDN_PATH = re.compile(
    r"^/cdn3sto/(?P<store>[a-z0-9]+)-sto/(?P<token>[A-Za-z0-9_-]+)/(?P<name>[^/]+)$"
)
_HEX40 = re.compile(r"^[0-9a-fA-F]{40}$")
#: Terminal job statuses: ``progress`` and ``message`` are null in live status answers (L8).
FINISHED = ("downloaded", "error", "canceled")


@dataclass
class ApiRequest:
    """One HTTP request, parsed: the body is read as JSON or as a form, whichever it is."""

    method: str
    host: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    via: str
    base_url: str
    fields: dict[str, Any] = field(default_factory=dict)
    body_kind: Optional[str] = None
    json_value: Any = None

    @classmethod
    def parse(
        cls,
        *,
        method: str,
        host: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes,
        via: str,
        base_url: str,
    ) -> ApiRequest:
        path, _, query_text = target.partition("?")
        request = cls(
            method=method,
            host=host,
            path=path or "/",
            query=parse_qs(query_text, keep_blank_values=True),
            headers=headers,
            body=body,
            via=via,
            base_url=base_url,
        )
        request._parse_body()
        return request

    def _parse_body(self) -> None:
        if not self.body:
            return
        content_type = self.header("content-type") or ""
        text = self.body.decode("utf-8", errors="replace")
        if "json" in content_type or text.lstrip()[:1] in ("{", "["):
            try:
                value = json.loads(text)
            except ValueError:
                value = None
            else:
                self.body_kind = "json"
                self.json_value = value
                if isinstance(value, dict):
                    self.fields = value
                return
        if "multipart" in content_type:
            return
        form = parse_qs(text, keep_blank_values=True)
        if form:
            self.body_kind = "form"
            self.fields = {
                name: values if len(values) > 1 or name.endswith("[]") else values[0]
                for name, values in form.items()
            }

    def header(self, name: str) -> Optional[str]:
        return self.headers.get(name.lower())

    def param(self, *names: str) -> Optional[str]:
        """A scalar parameter from the body (JSON or form), else from the query string."""
        for name in names:
            value = self.fields.get(name)
            if isinstance(value, list) and value:
                value = value[0]
            if isinstance(value, (str, int, float)) and not isinstance(value, bool):
                text = str(value).strip()
                if text:
                    return text
        for name in names:
            values = self.query.get(name)
            if values and values[0].strip():
                return values[0].strip()
        return None

    def param_list(self, name: str) -> list[str]:
        """A list parameter: a JSON array, repeated form fields (``name`` or ``name[]``)."""
        for candidate in (name, f"{name}[]"):
            value = self.fields.get(candidate)
            if value is None:
                value = self.query.get(candidate)
            if isinstance(value, list):
                return [str(v) for v in value if isinstance(v, (str, int)) and str(v).strip()]
            if isinstance(value, str) and value.strip():
                return [value.strip()]
        return []

    def flag(self, name: str) -> bool:
        value = self.fields.get(name)
        if isinstance(value, bool):
            return value
        text = self.param(name)
        return text is not None and text.lower() in ("1", "true", "yes", "on")

    def cookie(self, name: str) -> Optional[str]:
        for part in (self.header("cookie") or "").split(";"):
            key, _, value = part.strip().partition("=")
            if key == name and value:
                return unquote(value)
        return None

    def key_sources(self) -> list[tuple[str, str]]:
        """Every ``(location, key)`` the request carries, in :data:`KEY_LOCATION_ORDER`."""
        found: list[tuple[str, str]] = []
        for name in QUERY_KEY_NAMES:
            found.extend(("query", value) for value in self.query.get(name, []) if value)
        authorization = self.header("authorization") or ""
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            found.append(("bearer", token.strip()))
        for name in QUERY_KEY_NAMES:
            field_value = self.fields.get(name)
            if isinstance(field_value, str) and field_value:
                found.append(("json" if self.body_kind == "json" else "form", field_value))
        session = self.cookie(SESSION_COOKIE)
        if session:
            found.append(("cookie", session))
        return found

    @property
    def key_locations(self) -> tuple[str, ...]:
        places = {location for location, _ in self.key_sources()}
        return tuple(p for p in KEY_LOCATION_ORDER if p in places)


@dataclass
class Reply:
    """An answer. ``file`` with ``file_range`` streams generated content instead of ``body``."""

    status: int
    body: bytes = b""
    content_type: str = JSON_TYPE
    headers: list[tuple[str, str]] = field(default_factory=list)
    file: Optional[FileSpec] = None
    file_range: tuple[int, int] = (0, 0)
    is_json: bool = False
    request_id: Optional[str] = None
    user_id: Optional[str] = None
    #: A note for the call log's ``fault`` field when no fault fired (``cloud_full``).
    marker: Optional[str] = None

    @property
    def length(self) -> int:
        if self.file is not None:
            return self.file_range[1] - self.file_range[0]
        return len(self.body)


def json_reply(payload: Any, status: int = 200) -> Reply:
    body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    return Reply(status=status, body=body, is_json=True)


def not_found_html(method: str, path: str) -> Reply:
    """Express's answer for a route it does not have (what the 2026 server sends, §2.2)."""
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n'
        f"</head>\n<body>\n<pre>Cannot {method} {_html_escape(path)}</pre>\n</body>\n</html>\n"
    )
    return Reply(status=404, body=page.encode("utf-8"), content_type=HTML_TYPE)


def offcloud_not_found_html() -> Reply:
    """Offcloud's own HTML 404 page: what the live API answers for a path it has not (L3)."""
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="UTF-8">\n'
        "<title>Page not found | Offcloud</title>\n</head>\n<body>\n"
        '<div class="error-page"><h1>404</h1><p>The page you are looking for does not exist.</p>'
        '<a href="https://offcloud.com/">Back to Offcloud</a></div>\n</body>\n</html>\n'
    )
    return Reply(status=404, body=page.encode("utf-8"), content_type="text/html; charset=UTF-8")


def method_not_allowed_html(allowed: list[str]) -> Reply:
    """Symfony's HTML 405 page: a known path asked with the wrong verb on the live API (L3)."""
    page = (
        '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="UTF-8" />\n'
        "<title>An Error Occurred: Method Not Allowed</title>\n</head>\n<body>\n"
        "<h1>Oops! An Error Occurred</h1>\n"
        '<h2>The server returned a "405 Method Not Allowed".</h2>\n'
        "<div>Something is broken. Please let us know what you were doing when this error "
        "occurred. We will fix it as soon as possible. Sorry for any inconvenience caused.</div>\n"
        "</body>\n</html>\n"
    )
    return Reply(
        status=405,
        body=page.encode("utf-8"),
        content_type="text/html; charset=UTF-8",
        headers=[("Allow", ", ".join(allowed))],
    )


def bare_string_reply(text: str, status: int = 500) -> Reply:
    """A bare JSON string body (the live add's failure form, L6)."""
    return Reply(status=status, body=json.dumps(text).encode("utf-8"), is_json=True)


def download_error_html(status: int, text: str) -> Reply:
    """A download server's HTML error page (the texts JD matches, §4.1)."""
    page = (
        "<html><head><title>Error</title></head>"
        f"<body><h1>Error: {_html_escape(text)}</h1></body></html>\n"
    )
    return Reply(status=status, body=page.encode("utf-8"), content_type=HTML_TYPE)


def _html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def file_reply(request: ApiRequest, file: FileSpec, *, disposition_name: Optional[str]) -> Reply:
    """A file answer with ``Accept-Ranges``; one ``Range`` gives 206, an impossible one 416."""
    size = file.size
    headers = [("Accept-Ranges", "bytes")]
    if disposition_name is not None:
        ascii_name = disposition_name.encode("ascii", "replace").decode().replace('"', "_")
        encoded = quote(disposition_name, safe="")
        disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{encoded}"
        headers.append(("Content-Disposition", disposition))
    wanted = parse_range(request.header("range"), size)
    if isinstance(wanted, str):
        return Reply(
            status=416,
            headers=[*headers, ("Content-Range", f"bytes */{size}")],
            content_type=TEXT_TYPE,
        )
    if wanted is None:
        return Reply(
            status=200,
            headers=headers,
            content_type="application/octet-stream",
            file=file,
            file_range=(0, size),
        )
    start, end = wanted
    headers.append(("Content-Range", f"bytes {start}-{end - 1}/{size}"))
    return Reply(
        status=206,
        headers=headers,
        content_type="application/octet-stream",
        file=file,
        file_range=(start, end),
    )


_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


def parse_range(header: Optional[str], size: int) -> Union[tuple[int, int], str, None]:
    """``(start, end_exclusive)``, ``"unsatisfiable"``, or None to send the whole file.

    Several ranges or a malformed header are ignored (RFC 9110 allows answering 200).
    """
    if not header:
        return None
    match = _RANGE.match(header)
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        count = int(last)
        if count == 0 or size == 0:
            return "unsatisfiable"
        return max(size - count, 0), size
    start = int(first)
    if start >= size:
        return "unsatisfiable"
    end = size if not last else min(int(last) + 1, size)
    if end <= start:
        return None
    return start, end


# --------------------------------------------------------------------------------------------
# Routing


@dataclass
class Ctx:
    """What a route handler gets."""

    request: ApiRequest
    match: re.Match[str]
    account: Optional[AccountSpec]
    modern: bool

    @property
    def user(self) -> AccountSpec:
        if self.account is None:  # routes with auth=True always have one
            raise RuntimeError("route needs an account")
        return self.account


Handler = Callable[["Api", Ctx], Reply]
H = TypeVar("H", bound=Handler)


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    family: str
    handler: Handler
    auth: bool


_ROUTES: list[Route] = []
_ID = r"(?P<id>[^/]+)"


def route(method: str, pattern: str, family: str, *, auth: bool = True) -> Callable[[H], H]:
    def register(handler: H) -> H:
        _ROUTES.append(Route(method, re.compile(pattern + "/?$"), family, handler, auth))
        return handler

    return register


class Api:
    """Answers Offcloud API, website and download requests from one :class:`SimState`."""

    def __init__(self, state: SimState) -> None:
        self.state = state

    # ----------------------------------------------------------------------------------------
    # entry points

    def handle(self, request: ApiRequest, role: str) -> Reply:
        """Answer ``request`` sent to a host of ``role``.

        Roles: ``site`` (offcloud.com), ``server`` (a download server such as de-3.offcloud.com),
        ``local`` (the simulator's own address: everything) and ``hoster`` (a ``direct_files``
        host).
        """
        if role == "hoster":
            return self._hoster_file(request)
        if request.method in ("GET", "HEAD"):
            reply = self._download(request, role)
            if reply is not None:
                return reply
        if role == "cdn":
            return download_error_html(404, "Not Found")
        if role == "server":
            return download_error_html(404, "The requested URL was not found on the server")
        return self._api(request)

    def _api(self, request: ApiRequest) -> Reply:
        api = self.state.scenario.api
        live = api.live
        # Symfony answers HEAD like GET; the body is dropped on the way out.
        method = "GET" if live and request.method == "HEAD" else request.method
        allowed: list[str] = []
        for candidate in _ROUTE_ORDER:
            match = candidate.pattern.match(request.path)
            if match is None or not self._enabled(candidate.family):
                continue
            if candidate.method != method:
                allowed.append(candidate.method)
                continue
            modern = (
                live
                or candidate.family in ("modern", "oauth")
                or (candidate.family == "both" and api.modern)
            )
            account: Optional[AccountSpec] = None
            if candidate.auth:
                account = self.authenticate(request)
                if account is None:
                    return json_reply({"error": "NOAUTH"}, 401 if modern else 200)
            reply = candidate.handler(self, Ctx(request, match, account, modern))
            if account is not None:
                reply.user_id = account.user_id
            return reply
        if live:
            page = (
                method_not_allowed_html(sorted(set(allowed)))
                if allowed
                else offcloud_not_found_html()
            )
            if api.html_errors_200:
                page.status = 200  # L22: judge by the content type, not the status
            return page
        return not_found_html(request.method, request.path)

    def _enabled(self, family: str) -> bool:
        api = self.state.scenario.api
        return {
            "live": api.live,
            "modern": api.modern and not api.live,
            "legacy": api.legacy,
            "both": not api.live,
            "instant": api.instant,
            "login": api.login,
            "oauth": api.modern and api.oauth,
            "live_cache_download": api.live and api.cache_download,
        }[family]

    def authenticate(self, request: ApiRequest) -> Optional[AccountSpec]:
        """The account of the first working key, trying Bearer, query, body, then session.

        The live profile takes only what L1 saw work: ``Authorization: Bearer`` and ``?key=``.
        """
        found = request.key_sources()
        if self.state.scenario.api.live:
            found = [(place, key) for place, key in found if place == "bearer"]
            found += [("query", key) for key in request.query.get("key", []) if key]
        sources = sorted(
            found,
            key=lambda item: ("bearer", "query", "form", "json", "cookie").index(item[0]),
        )
        for location, key in sources:
            account = (
                self.state.account_for_session(key)
                if location == "cookie"
                else self.state.account_for_key(key)
            )
            if account is not None:
                return account
        return None

    # ----------------------------------------------------------------------------------------
    # helpers

    def _cloud_full(self, *, modern: bool) -> Reply:
        """A full cloud (L23): ``{"not_available": "cloud"}``; its status is not captured."""
        api = self.state.scenario.api
        status = (api.cloud_full_status or api.error_status) if modern else 200
        reply = json_reply({"not_available": "cloud"}, status)
        reply.marker = "cloud_full"
        return reply

    def _refusal(self, ctx: Ctx, refusal: Refusal) -> Reply:
        if refusal.cloud_full:
            return self._cloud_full(modern=ctx.modern)
        if refusal.not_found and ctx.modern:
            status = 404
        elif ctx.modern:
            status = self.state.scenario.api.error_status
        else:
            status = 200
        return json_reply(refusal.payload, status)

    def _not_found(self, ctx: Ctx) -> Reply:
        return self._refusal(ctx, Refusal({"error": "Transfer not found"}, not_found=True))

    def _file_base(self, request: ApiRequest, server: str) -> str:
        style = self.state.scenario.file_url_style
        if style == "direct" or (style == "auto" and request.via == "direct"):
            return request.base_url
        return f"https://{server}.offcloud.com"

    def folder_url(self, request: ApiRequest, job: Job) -> str:
        return f"{self._file_base(request, job.server)}/cloud/download/{job.request_id}"

    def single_file_url(self, request: ApiRequest, job: Job) -> str:
        return f"{self.folder_url(request, job)}/{quote(job.files[0].name, safe='')}"

    def indexed_file_urls(self, request: ApiRequest, job: Job) -> list[tuple[FileSpec, str]]:
        base = self.state.scenario.api.file_index_base
        folder = self.folder_url(request, job)
        return [
            (spec, f"{folder}/{index + base}/{quote(spec.name, safe='')}")
            for index, spec in enumerate(job.files)
        ]

    def token_url(self, request: ApiRequest, server: str, token: str, name: str) -> str:
        return f"{self._file_base(request, server)}/dl/{token}/{quote(name, safe='')}"

    def _created_on(self, job: Union[Job, InstantRequest]) -> str:
        return (
            job.created_on.strftime("%Y-%m-%dT%H:%M:%S.")
            + f"{job.created_on.microsecond // 1000:03d}Z"
        )

    def _add_answer(self, ctx: Ctx, job: Job) -> Reply:
        """§3.1: what adding a cloud or remote request returns."""
        progress = self.state.progress(job)
        payload: dict[str, Any] = {
            "requestId": job.request_id,
            "fileName": job.file_name,
            "site": job.site,
            "status": progress.status,
            "originalLink": job.original_link,
            "createdOn": self._created_on(job),
        }
        if job.kind == "cloud":
            payload["url"] = self.folder_url(ctx.request, job)
        reply = json_reply(payload)
        reply.request_id = job.request_id
        return reply

    def status_object(self, job: Job) -> dict[str, Any]:
        """§3.2: the object inside ``{"status": ...}``."""
        progress = self.state.progress(job)
        data: dict[str, Any] = {
            "requestId": job.request_id,
            "status": progress.status,
            "fileName": job.file_name,
            "fileSize": job.size,
            "amount": progress.amount,
            "progress": progress.progress,
            "downloadingSpeed": progress.speed,
            "downloadingTime": progress.elapsed_ms,
            "message": progress.message,
            "server": job.server,
            "site": job.site,
            "originalLink": job.original_link,
            "createdOn": self._created_on(job),
        }
        if progress.status == "downloading":
            data["isCompleted"] = False
        if progress.status == "downloaded":
            data["isDirectory"] = job.is_directory
        if progress.error is not None:
            data["errorMessage"] = progress.error
        return data

    def _history_item(self, job: Job) -> dict[str, Any]:
        """§3.6: one history entry."""
        progress = self.state.progress(job)
        item: dict[str, Any] = {
            "requestId": job.request_id,
            "fileName": job.file_name,
            "status": progress.status,
            "originalLink": job.original_link,
            "createdOn": self._created_on(job),
            "server": job.server,
            "isDirectory": job.is_directory,
            "fileSize": job.size,
            "site": job.site,
        }
        if job.meta_data is not None:
            item["metaData"] = job.meta_data
        return item

    # ----------------------------------------------------------------------------------------
    # downloads

    def _download(self, request: ApiRequest, role: str) -> Optional[Reply]:
        path = request.path
        if path.startswith(CDN_PREFIX):
            # Any simulated host serves CDN paths (file_url_style "direct" points at offcloud.com)
            return self._cdn_download(request)
        if role == "cdn":
            return None
        match = re.match(
            r"^/cloud/download/(?P<id>[0-9a-f]{24})(?:/(?P<a>[^/]+))?(?:/(?P<b>[^/]+))?/?$", path
        )
        if match is not None and self.state.scenario.api.live:
            # No live file link points at a *.offcloud.com download server (L11).
            return download_error_html(404, "The requested URL was not found on the server")
        if match is not None:
            request_id, first, second = match.group("id", "a", "b")
            index: Optional[int] = None
            name: Optional[str] = None
            if second is not None:
                if not first.isdigit():
                    return download_error_html(404, "The requested URL was not found on the server")
                index, name = int(first), unquote(second)
            elif first is not None:
                name = unquote(first)
            found = self.state.job_file(request_id, index)
            if found is None:
                return download_error_html(404, "The requested URL was not found on the server")
            job, spec = found
            reply = file_reply(
                request, spec, disposition_name=spec.name if name is not None else "download"
            )
            reply.request_id = job.request_id
            return reply
        match = re.match(r"^/dl/(?P<token>[0-9a-f]+)/(?P<name>[^/]+)$", path)
        if match is not None:
            spec_or_none = self.state.token_file(match.group("token"))
            if spec_or_none is None:
                return download_error_html(404, "The requested URL was not found on the server")
            return file_reply(request, spec_or_none, disposition_name=spec_or_none.name)
        return None

    def _cdn_download(self, request: ApiRequest) -> Reply:
        """A signed CDN file link (L11): no key, Range works, gone with its job."""
        match = _CDN_PATH.match(request.path)
        found = (
            self.state.cdn_file(
                match.group("store"), match.group("token"), unquote(match.group("name"))
            )
            if match is not None
            else None
        )
        if found is None:
            return download_error_html(404, "Not Found")
        job, spec = found
        reply = file_reply(request, spec, disposition_name=spec.name)
        reply.request_id = job.request_id if job is not None else None
        return reply

    def _hoster_file(self, request: ApiRequest) -> Reply:
        if request.method not in ("GET", "HEAD"):
            return Reply(status=405, body=b"Method Not Allowed\n", content_type=TEXT_TYPE)
        for entry in self.state.scenario.direct_files:
            if entry.host == request.host and entry.path == request.path:
                if entry.data is not None:
                    return Reply(
                        status=200, body=entry.data, content_type="application/octet-stream"
                    )
                return file_reply(request, entry.file, disposition_name=entry.file.name)
        return Reply(status=404, body=b"Not Found\n", content_type=TEXT_TYPE)

    # ----------------------------------------------------------------------------------------
    # account and sites (§3.7, §5)

    @route("GET", r"/api/account/info", "modern")
    def account_info(self, ctx: Ctx) -> Reply:
        account = ctx.user
        payload: dict[str, Any] = {
            "user_id": account.user_id,
            "email": account.email,
            "is_premium": account.is_premium,
            "can_download": account.can_download,
        }
        if account.expiration_date is not None:
            payload["expiration_date"] = account.expiration_date.isoformat()
        return json_reply(payload)

    @route("GET", r"/api/account/stats", "legacy")
    def account_stats(self, ctx: Ctx) -> Reply:
        account = ctx.user
        limits: dict[str, Any] = {
            "links": "unlimited",
            "premium": "unlimited",
            "torrent": "unlimited",
            "streaming": "unlimited",
            "cloud": 1 << 40,
            "proxy": "unlimited",
        }
        limits.update(account.limits)
        payload: dict[str, Any] = {
            "userId": account.user_id,
            "email": account.email,
            "isPremium": account.is_premium,
            "limits": limits,
        }
        if account.expiration_date is not None:
            payload["expirationDate"] = account.expiration_date.strftime("%d-%m-%Y")
        return json_reply(payload)

    @route("GET", r"/api/sites", "both")
    def sites(self, ctx: Ctx) -> Reply:
        return json_reply([_site_object(site) for site in self.state.scenario.sites])

    @route("GET", r"/api/sites/chunks", "legacy", auth=False)
    def site_chunks(self, ctx: Ctx) -> Reply:
        return json_reply(
            [
                {
                    "host": site.display_name or site.name,
                    "maxChunks": site.max_chunks,
                    "maxChunksGlobal": site.max_chunks_global,
                }
                for site in self.state.scenario.sites
            ]
        )

    # ----------------------------------------------------------------------------------------
    # cache (§3.4)

    @route("POST", r"/api/cache/info", "modern")
    def cache_info(self, ctx: Ctx) -> Reply:
        urls = ctx.request.param_list("urls")
        include_files = ctx.request.flag("includeFiles")
        answers: list[dict[str, Any]] = []
        for url in urls:
            torrent = self.state.cached_torrent(url)
            answer: dict[str, Any] = {"cached": torrent is not None}
            if torrent is not None and include_files:
                answer["files"] = [
                    {"folder": spec.folders, "filename": spec.name} for spec in torrent.files
                ]
            answers.append(answer)
        return json_reply(answers)

    @route("POST", r"/api/cache", "legacy")
    @route("POST", r"/api/torrent/check", "legacy")
    def cache_legacy(self, ctx: Ctx) -> Reply:
        cached = [
            item.strip().lower()
            for item in ctx.request.param_list("hashes")
            if self.state.cached_torrent(item) is not None
        ]
        return json_reply({"cachedItems": cached})

    @route("POST", r"/api/cache/download", "modern")
    def cache_download(self, ctx: Ctx) -> Reply:
        refusal = self.state.refuse_account(ctx.user)
        if refusal is not None:
            return self._refusal(ctx, refusal)
        url = ctx.request.param("url") or ""
        torrent = self.state.cached_torrent(url)
        if torrent is None:
            return json_reply([])  # not cached: nothing ready (§8 leaves this open)
        server = self.state.scenario.servers[0]
        return json_reply(
            [
                {
                    "filename": spec.path,
                    "size": spec.size,
                    "url": self.token_url(
                        ctx.request, server, self.state.issue_token(spec), spec.name
                    ),
                }
                for spec in torrent.files
            ]
        )

    # ----------------------------------------------------------------------------------------
    # adding requests (§3.1)

    @route("POST", r"/api/cloud", "both")
    @route("POST", r"/api/cloud/download", "legacy")
    def cloud(self, ctx: Ctx) -> Reply:
        result = self.state.submit(ctx.user, ctx.request.param("url") or "")
        if isinstance(result, Refusal):
            return self._refusal(ctx, result)
        return self._add_answer(ctx, result)

    @route("POST", r"/api/instant", "instant")
    @route("POST", r"/api/instant/download", "instant")
    def instant(self, ctx: Ctx) -> Reply:
        result = self.state.instant(ctx.user, ctx.request.param("url") or "")
        if isinstance(result, Refusal):
            return self._refusal(ctx, result)
        reply = json_reply(
            {
                "requestId": result.request_id,
                "fileName": result.file.name,
                "url": self.token_url(ctx.request, result.server, result.token, result.file.name),
                "site": result.site,
                "status": "created",
                "originalLink": result.original_link,
                "createdOn": self._created_on(result),
            }
        )
        reply.request_id = result.request_id
        return reply

    @route("GET", r"/api/instant/history", "instant")
    def instant_history(self, ctx: Ctx) -> Reply:
        return json_reply(
            [
                {
                    "requestId": item.request_id,
                    "fileName": item.file.name,
                    "status": "created",
                    "originalLink": item.original_link,
                    "createdOn": self._created_on(item),
                    "site": item.site,
                    "downloadLink": self.token_url(
                        ctx.request, item.server, item.token, item.file.name
                    ),
                }
                for item in self.state.instant_history(ctx.user)
            ]
        )

    @route("POST", r"/api/remote", "legacy")
    @route("POST", r"/api/remote/download", "legacy")
    def remote(self, ctx: Ctx) -> Reply:
        result = self.state.submit(
            ctx.user,
            ctx.request.param("url") or "",
            kind="remote",
            remote_option_id=ctx.request.param("remoteOptionId"),
        )
        if isinstance(result, Refusal):
            return self._refusal(ctx, result)
        return self._add_answer(ctx, result)

    # ----------------------------------------------------------------------------------------
    # following requests (§3.2, §3.6)

    @route("POST", r"/api/cloud/status", "both")
    def cloud_status(self, ctx: Ctx) -> Reply:
        return self._status(ctx, "cloud")

    @route("POST", r"/api/remote/status", "legacy")
    def remote_status(self, ctx: Ctx) -> Reply:
        return self._status(ctx, "remote")

    def _status(self, ctx: Ctx, kind: str) -> Reply:
        many = ctx.request.param_list("requestIds")
        if many:  # the bulk form (§2.2 row 5b)
            jobs = [self.state.find_job(ctx.user, rid, kind) for rid in many]
            return json_reply(
                {"requests": [self.status_object(job) for job in jobs if job is not None]}
            )
        request_id = ctx.request.param("requestId", "request_id") or ""
        job = self.state.find_job(ctx.user, request_id, kind)
        if job is None:
            return self._not_found(ctx)
        reply = json_reply({"status": self.status_object(job)})
        reply.request_id = job.request_id
        return reply

    @route("GET", r"/api/cloud/history", "both")
    def cloud_history(self, ctx: Ctx) -> Reply:
        return json_reply([self._history_item(job) for job in self.state.history(ctx.user)])

    @route("GET", r"/api/remote/history", "legacy")
    def remote_history(self, ctx: Ctx) -> Reply:
        return json_reply(
            [self._history_item(job) for job in self.state.history(ctx.user, "remote")]
        )

    # ----------------------------------------------------------------------------------------
    # files of a finished request (§3.5)

    @route("GET", r"/api/cloud/explore/" + _ID, "both")
    @route("GET", r"/api/cloud/explore", "legacy")
    @route("POST", r"/api/cloud/explore", "legacy")
    def explore(self, ctx: Ctx) -> Reply:
        request_id = ctx.match.groupdict().get("id") or ctx.request.param("requestId") or ""
        job = self.state.find_job(ctx.user, request_id)
        if job is None:
            return self._not_found(ctx)
        if self.state.progress(job).status != "downloaded":
            return self._refusal(ctx, Refusal({"error": "The request is not downloaded yet."}))
        detailed = ctx.request.param("format") == "detailed" and self.state.scenario.api.modern
        if not job.is_directory and not detailed:
            return self._refusal(ctx, Refusal({"error": "Bad archive"}))
        if not job.is_directory:
            entries = [(job.files[0], self.single_file_url(ctx.request, job))]
        else:
            entries = self.indexed_file_urls(ctx.request, job)
        reply = (
            json_reply(
                {
                    "files": [
                        {
                            "id": _file_id(job, position),
                            "name": spec.name,
                            "size": spec.size,
                            "path": spec.path,
                            "url": url,
                        }
                        for position, (spec, url) in enumerate(entries)
                    ]
                }
            )
            if detailed
            else json_reply([url for _, url in entries])
        )
        reply.request_id = job.request_id
        return reply

    @route("GET", r"/api/cloud/list/" + _ID, "legacy")
    def cloud_list(self, ctx: Ctx) -> Reply:
        job = self.state.find_job(ctx.user, ctx.match.group("id"))
        if job is None:
            return self._not_found(ctx)
        if self.state.progress(job).status != "downloaded":
            return self._refusal(ctx, Refusal({"error": "The request is not downloaded yet."}))
        if job.is_directory:
            urls = [url for _, url in self.indexed_file_urls(ctx.request, job)]
        else:
            urls = [self.single_file_url(ctx.request, job)]
        return Reply(
            status=200,
            body=("\n".join(urls) + "\n").encode("utf-8"),
            content_type=TEXT_TYPE,
            request_id=job.request_id,
        )

    # ----------------------------------------------------------------------------------------
    # housekeeping (§6.5)

    @route("POST", r"/api/cloud/remove", "modern")
    def cloud_remove_many(self, ctx: Ctx) -> Reply:
        self.state.remove(ctx.user, ctx.request.param_list("requests"))
        return json_reply({"success": True})

    @route("GET", r"/cloud/remove/" + _ID, "both")
    @route("GET", r"/api/cloud/remove/" + _ID, "modern")
    def cloud_remove_one(self, ctx: Ctx) -> Reply:
        return self._remove_one(ctx, "cloud")

    @route("GET", r"/instant/remove/" + _ID, "legacy")
    def instant_remove(self, ctx: Ctx) -> Reply:
        return self._remove_one(ctx, "instant")

    @route("GET", r"/remote/remove/" + _ID, "legacy")
    def remote_remove(self, ctx: Ctx) -> Reply:
        return self._remove_one(ctx, "remote")

    def _remove_one(self, ctx: Ctx, kind: str) -> Reply:
        request_id = ctx.match.group("id")
        if not self.state.remove(ctx.user, [request_id], kind):
            return self._not_found(ctx)
        reply = json_reply({"success": True})
        reply.request_id = request_id
        return reply

    @route("GET", r"/api/cloud/retry/" + _ID, "both")
    @route("GET", r"/api/cloud/tryagain/" + _ID, "legacy")
    def cloud_retry(self, ctx: Ctx) -> Reply:
        return self._retry(ctx, "cloud")

    @route("GET", r"/api/remote/retry/" + _ID, "legacy")
    @route("GET", r"/api/remote/tryagain/" + _ID, "legacy")
    def remote_retry(self, ctx: Ctx) -> Reply:
        return self._retry(ctx, "remote")

    def _retry(self, ctx: Ctx, kind: str) -> Reply:
        result = self.state.retry(ctx.user, ctx.match.group("id"), kind)
        if isinstance(result, Refusal):
            return self._refusal(ctx, result)
        # No real sample exists (§2.2 row 9); a success flag plus the new status is a guess.
        reply = json_reply(
            {
                "success": True,
                "requestId": result.request_id,
                "status": self.state.progress(result).status,
            }
        )
        reply.request_id = result.request_id
        return reply

    # ----------------------------------------------------------------------------------------
    # legacy extras (§3.8)

    @route("POST", r"/api/proxy", "legacy")
    @route("POST", r"/api/proxy/list", "legacy")
    @route("GET", r"/api/proxy", "legacy")
    def proxies(self, ctx: Ctx) -> Reply:
        return json_reply(
            {
                "list": [
                    {"id": p.id, "name": p.name, "region": p.region}
                    for p in self.state.scenario.proxies
                ]
            }
        )

    @route("POST", r"/api/remote/accounts", "legacy")
    @route("POST", r"/api/remote-account/list", "legacy")
    @route("GET", r"/api/remote-account/list", "legacy")
    def remote_accounts(self, ctx: Ctx) -> Reply:
        return json_reply(
            {
                "data": [
                    {
                        "remoteOptionId": r.remote_option_id,
                        "accountId": r.account_id,
                        "type": r.type,
                        "username": r.username,
                        "path": r.path,
                    }
                    for r in self.state.scenario.remote_accounts
                ]
            }
        )

    @route("GET", r"/api/check", "legacy", auth=False)
    @route("GET", r"/api/login/check", "legacy", auth=False)
    @route("POST", r"/api/login/check", "legacy", auth=False)
    def login_check(self, ctx: Ctx) -> Reply:
        return json_reply({"loggedIn": 1 if self.authenticate(ctx.request) is not None else 0})

    # ----------------------------------------------------------------------------------------
    # legacy login (§1.3): 404 on the 2026 API

    @route("POST", r"/api/login", "login", auth=False)
    @route("POST", r"/api/login/classic", "login", auth=False)
    def login(self, ctx: Ctx) -> Reply:
        result = self.state.login(
            ctx.request.param("username") or "", ctx.request.param("password") or ""
        )
        if isinstance(result, Refusal):
            return json_reply(result.payload)
        account = self.state.account_for_session(result)
        if account is None:
            return json_reply({"error": "NOAUTH"})
        reply = json_reply({"email": account.email, "userId": account.user_id})
        reply.headers.append(("Set-Cookie", f"{SESSION_COOKIE}={quote(result)}; Path=/; HttpOnly"))
        return reply

    @route("POST", r"/api/key", "login")
    @route("POST", r"/api/account/get", "login")
    def api_key(self, ctx: Ctx) -> Reply:
        return json_reply({"email": ctx.user.email, "apiKey": ctx.user.key})

    # ----------------------------------------------------------------------------------------
    # the live profile (§00, rows L1-L24): what the probes and the 2026 clients saw, no more

    def _json_body(self, ctx: Ctx) -> dict[str, Any]:
        """The JSON object sent, or the form's fields (L20: clients send both, none saw a form
        refused; ``api.form_bodies`` false reads JSON only). Never the query string."""
        request = ctx.request
        if request.body_kind == "form" and self.state.scenario.api.form_bodies:
            return request.fields
        value = request.json_value if request.body_kind == "json" else None
        return value if isinstance(value, dict) else {}

    def _json_text(self, ctx: Ctx, name: str) -> Optional[str]:
        value = self._json_body(ctx).get(name)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
        return None

    def _json_texts(self, ctx: Ctx, name: str) -> Optional[list[str]]:
        """A list: a JSON array, or a form's field (``name`` or ``name[]``, once or repeated)."""
        body = self._json_body(ctx)
        value = body.get(name)
        if ctx.request.body_kind == "form":
            value = value if value is not None else body.get(f"{name}[]")
            if isinstance(value, str):
                value = [value]
        if not isinstance(value, list):
            return None
        return [item for item in value if isinstance(item, str)]

    def _json_flag(self, ctx: Ctx, name: str) -> bool:
        """``true`` in JSON; ``true``/``1`` in a form."""
        value = self._json_body(ctx).get(name)
        if isinstance(value, str) and ctx.request.body_kind == "form":
            return value.strip().lower() in ("true", "1")
        return value is True

    @staticmethod
    def _missing(name: str) -> Reply:
        # L8 saw the text for requestId; the same wording for the other routes is a guess.
        return json_reply({"error": f"Missing required parameter: {name}"}, 400)

    def _live_refusal(self, ctx: Ctx, refusal: Refusal) -> Reply:
        """An add refusal on live: 500 + a bare JSON string (L6), ``not_available`` as an object."""
        if refusal.cloud_full:
            return self._cloud_full(modern=True)
        if refusal.not_found:
            return json_reply(refusal.payload, 404)
        if "error" not in refusal.payload:
            return json_reply(refusal.payload, self.state.scenario.api.error_status)
        if refusal.offline:
            return bare_string_reply(DEAD_LINK_TEXT)
        return bare_string_reply(str(refusal.payload["error"]))

    @route("GET", r"/api/account/info", "live")
    def live_account_info(self, ctx: Ctx) -> Reply:
        """L16: the five fields; ``is_premium`` is the only plan signal."""
        account = ctx.user
        expiry = account.expiration_date
        return json_reply(
            {
                "user_id": account.user_id,
                "email": account.email,
                "is_premium": account.is_premium,
                "expiration_date": expiry.isoformat() if expiry is not None else None,
                "can_download": account.can_download,
            }
        )

    @route("GET", r"/api/sites", "live")
    def live_sites(self, ctx: Ctx) -> Reply:
        """L17 (not captured): ``[{name, status}]`` only, names as the scenario gives them."""
        return json_reply(
            [
                {"name": site.name, "status": "up" if site.is_up else "down"}
                for site in self.state.scenario.sites
            ]
        )

    @route("POST", r"/api/cache", "live")
    def live_cache(self, ctx: Ctx) -> Reply:
        """L13: ``{"cachedItems": [hits only]}`` for bare hex hashes."""
        hashes = self._json_texts(ctx, "hashes")
        if hashes is None:
            return self._missing("hashes")
        hits = [
            item.strip().lower()
            for item in hashes
            if _HEX40.match(item.strip()) and self.state.cached_torrent(item) is not None
        ]
        return json_reply({"cachedItems": list(dict.fromkeys(hits))})

    @route("POST", r"/api/cache/info", "live")
    def live_cache_info(self, ctx: Ctx) -> Reply:
        """L14: by position; only full magnets are found; ``folder`` a list of segments (or, with
        ``api.cache_info_folder: string``, ``/``-joined)."""
        urls = self._json_texts(ctx, "urls")
        if urls is None:
            return self._missing("urls")
        include_files = self._json_flag(ctx, "includeFiles")
        as_list = self.state.scenario.api.cache_info_folder == "list"
        answers: list[dict[str, Any]] = []
        for url in urls:
            torrent = self.state.cached_torrent(url) if is_magnet(url) else None
            answer: dict[str, Any] = {"cached": torrent is not None}
            if torrent is not None and include_files:
                answer["files"] = [
                    {
                        "folder": spec.folders if as_list else "/".join(spec.folders),
                        "filename": spec.name,
                        "size": spec.size,
                    }
                    for spec in torrent.files
                ]
            answers.append(answer)
        return json_reply(answers)

    @route("POST", r"/api/cloud", "live")
    def live_cloud(self, ctx: Ctx) -> Reply:
        """L5-L7: the short add answer; failures as L6 says."""
        url = self._json_text(ctx, "url")
        if url is None:
            return self._missing("url")
        result = self.state.submit(ctx.user, url)
        if isinstance(result, Refusal):
            return self._live_refusal(ctx, result)
        payload: dict[str, Any] = {
            "requestId": result.request_id,
            "fileName": result.file_name,
            "status": self.state.progress(result).status,
            "originalLink": result.original_link,
        }
        if not result.dedupe_key.startswith("btih:") and not result.stuck:
            # "sometimes" (L5): hoster jobs carry site and createdOn, torrent jobs do not.
            payload["site"] = result.site
            payload["createdOn"] = self._created_on(result)
        reply = json_reply(payload)
        reply.request_id = result.request_id
        return reply

    @route("POST", r"/api/cloud/status", "live")
    def live_cloud_status(self, ctx: Ctx) -> Reply:
        """L8: one ``requestId`` per call; progress 0..1, null (and message null) once finished."""
        request_id = self._json_text(ctx, "requestId")
        if request_id is None:
            return self._missing("requestId")
        job = self.state.find_job(ctx.user, request_id)
        if job is None:
            return json_reply({"error": "Transfer not found"}, 404)  # L18: a guess
        progress = self.state.progress(job)
        if progress.status == "downloaded":
            message: Optional[str] = None
        elif progress.status in FINISHED:
            message = progress.error or progress.message  # not captured (L9); kept for users
        elif progress.status == "created":
            message = LOADING_MESSAGE
        else:
            message = progress.message
        reply = json_reply(
            {
                "status": {
                    "requestId": job.request_id,
                    "status": progress.status,
                    "fileName": job.file_name,
                    "progress": None if progress.status in FINISHED else progress.progress,
                    "message": message,
                }
            }
        )
        reply.request_id = job.request_id
        return reply

    @route("GET", r"/api/cloud/history", "live")
    def live_cloud_history(self, ctx: Ctx) -> Reply:
        """L12: a bare array, newest first, five fields, no sizes, no paging."""
        return json_reply(
            [
                {
                    "requestId": job.request_id,
                    "fileName": job.file_name,
                    "status": self.state.progress(job).status,
                    "originalLink": job.original_link,
                    "createdOn": self._created_on(job),
                }
                for job in self.state.history(ctx.user)
            ]
        )

    @route("GET", r"/api/cloud/explore/" + _ID, "live")
    def live_explore(self, ctx: Ctx) -> Reply:
        """L10, L11: CDN links, signed anew on every call; one file gives a list of one."""
        job = self.state.find_job(ctx.user, ctx.match.group("id"))
        if job is None:
            return json_reply({"error": "Transfer not found"}, 404)  # L18: a guess
        if self.state.progress(job).status != "downloaded":
            return json_reply(
                {"error": "The request is not downloaded yet."},
                self.state.scenario.api.error_status,
            )
        entries = [
            (position, spec, self.cdn_url(ctx.request, self.state.issue_cdn_link(job, position)))
            for position, spec in enumerate(job.files)
        ]
        if ctx.request.query.get("format", [""])[0] == "detailed":
            reply = json_reply(
                {
                    "files": [
                        {
                            "id": _file_id(job, position),
                            "name": spec.name,
                            "size": spec.size,
                            "path": spec.path,
                            "url": url,
                        }
                        for position, spec, url in entries
                    ]
                }
            )
        else:
            reply = json_reply([url for _, _, url in entries])
        reply.request_id = job.request_id
        return reply

    @route("POST", r"/api/cache/download", "live_cache_download")
    def live_cache_download(self, ctx: Ctx) -> Reply:
        """L19: a cached magnet's CDN file links ``[{filename, url, size}]``, and no job.

        Not captured: an uncached magnet (an empty list here, a guess) and whether it counts
        against the cloud (``api.cache_download_uses_storage``, off: it does not).
        """
        refusal = self.state.refuse_account(ctx.user)
        if refusal is not None:
            return self._live_refusal(ctx, refusal)
        url = self._json_text(ctx, "url")
        if url is None:
            return self._missing("url")
        torrent = self.state.cached_torrent(url) if is_magnet(url) else None
        if torrent is None:
            return json_reply([])
        if self.state.scenario.api.cache_download_uses_storage:
            size = sum(spec.size for spec in torrent.files)
            if self.state.storage_refusal(ctx.user, size) is not None:
                return self._cloud_full(modern=True)
        return json_reply(
            [
                {
                    "filename": spec.path,
                    "url": self.cdn_url(ctx.request, self.state.issue_cdn_file(spec, position)),
                    "size": spec.size,
                }
                for position, spec in enumerate(torrent.files)
            ]
        )

    @route("POST", r"/api/cloud/remove", "live")
    def live_remove_many(self, ctx: Ctx) -> Reply:
        """L15: ``{"requests": [ids]}`` → ``{"success": true}`` (what ResolveURL sends).

        Not captured: ids the account does not have; they are skipped, and the answer is the
        same.
        """
        ids = self._json_texts(ctx, "requests")
        if ids is None:
            return self._missing("requests")
        self.state.remove(ctx.user, ids)
        return json_reply({"success": True})

    @route("GET", r"/api/cloud/remove/" + _ID, "live")
    def live_remove(self, ctx: Ctx) -> Reply:
        """L15: removal is a GET, immediate and complete (its CDN links keep working unless
        ``api.cdn_links_outlive_jobs`` is off)."""
        request_id = ctx.match.group("id")
        if not self.state.remove(ctx.user, [request_id]):
            return json_reply({"error": "Transfer not found"}, 404)  # L18: a guess
        reply = json_reply({"success": True})
        reply.request_id = request_id
        return reply

    def cdn_url(self, request: ApiRequest, link: CdnLink) -> str:
        """``https://<node>.energycdn.com/cdn3sto/<store>-sto/<token>/<name>`` (L11).

        Through the proxy (or with ``file_url_style: offcloud``) the CDN host; sent straight to
        the simulator's address (``auto``) or with ``direct``, that address.
        """
        style = self.state.scenario.file_url_style
        if style == "direct" or (style == "auto" and request.via == "direct"):
            base = request.base_url
        else:
            base = f"https://{link.node}.{CDN_DOMAIN}"
        name = quote(link.file.name, safe="")
        return f"{base}{CDN_PREFIX}{link.store}-sto/{link.token}/{name}"

    # ----------------------------------------------------------------------------------------
    # OAuth device flow (§1.4)

    @route("POST", r"/oauth/device/code", "oauth", auth=False)
    def device_code(self, ctx: Ctx) -> Reply:
        device = self.state.start_device()
        options = self.state.scenario.oauth
        return json_reply(
            {
                "device_code": device.device_code,
                "user_code": device.user_code,
                "verification_uri": "https://offcloud.com/activate",
                "verification_uri_complete": f"https://offcloud.com/activate?code={device.user_code}",
                "interval": _json_number(options.interval),
                "expires_in": _json_number(options.expires_in),
            }
        )

    @route("POST", r"/oauth/token", "oauth", auth=False)
    def token(self, ctx: Ctx) -> Reply:
        """Pending, slow_down, denied, expired (HTTP 400, §1.4's texts) or the token.

        The status of the errors is the one JACK's fixture shows for pending (§1.4: [ONCE]).
        """
        grant = ctx.request.param("grant_type") or ""
        if grant != "urn:ietf:params:oauth:grant-type:device_code":
            return json_reply({"error": "unsupported_grant_type"}, 400)
        outcome, token = self.state.poll_device(ctx.request.param("device_code") or "")
        if token is not None:
            return json_reply({"access_token": token, "token_type": "Bearer"})
        description = _OAUTH_DESCRIPTIONS.get(outcome, outcome)
        return json_reply({"error": outcome, "error_description": description}, 400)

    def oauth_control(self, request: ApiRequest) -> Reply:
        """``/_sim/oauth``: ``GET`` lists the device codes; ``POST {"action": "approve" | "deny"
        | "expire", "user_code"?, "account"?}`` acts as the user on the activation page (the
        newest pending code unless ``user_code`` names one)."""
        if request.method == "GET":
            return json_reply(self.state.device_snapshot())
        if request.method != "POST":
            return json_reply({"error": "use GET or POST on /_sim/oauth"}, 405)
        action = request.param("action") or ""
        try:
            device = self.state.decide_device(
                action, request.param("user_code"), request.param("account")
            )
        except ValueError as exc:
            return json_reply({"error": str(exc)}, 400)
        except KeyError as exc:
            return json_reply({"error": f"unknown device code or account: {exc.args[0]}"}, 404)
        return json_reply({"user_code": device.user_code, "action": action})


def _json_number(value: float) -> Union[int, float]:
    """A whole number of seconds as an integer, as Offcloud sends it (§1.4: ``"interval":5``)."""
    return int(value) if value.is_integer() else value


#: ``error_description`` of each device-flow error (§1.4's texts where it gives one).
_OAUTH_DESCRIPTIONS = {
    "authorization_pending": "The user has not yet authorized the device",
    "slow_down": "Polling too frequently; increase the interval by 5 seconds",
    "access_denied": "The user denied authorization",
    "expired_token": "The device code has expired",
    "invalid_grant": "Unknown device code",
}


def _site_object(site: SiteSpec) -> dict[str, Any]:
    """§5: the legacy rich object, plus the 2026 ``status`` word so both parsers work."""
    return {
        "name": site.name,
        "displayName": site.display_name or site.name,
        "hosts": list(site.hosts),
        "isActive": site.status,
        "status": "up" if site.is_up else "down",
        "noInstantDownload": not site.instant_capable,
        "isVideoStreaming": site.video_streaming,
        "maxAmountPerUser": site.max_amount_per_user,
        "maxChunks": site.max_chunks,
        "maxChunksGlobal": site.max_chunks_global,
    }


def _file_id(job: Job, position: int) -> str:
    return f"{job.request_id[:16]}{position:08x}"


#: Live routes first, so a legacy family switched on beside them never shadows one.
_ROUTE_ORDER = sorted(_ROUTES, key=lambda candidate: candidate.family != "live")
