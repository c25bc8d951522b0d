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

The routes live in one module per profile: :mod:`.routes_live` (``live``),
:mod:`.routes_documented` (``rich``, and what ``legacy`` shares with it), :mod:`.routes_legacy`
(``legacy`` and ``login``), :mod:`.routes_oauth` (``oauth``); :mod:`.routes_common` holds what
they share and :mod:`.http_messages` the requests and replies. :class:`Api` joins them and picks
the route for each request.
"""

from __future__ import annotations

import re
from typing import Optional
from urllib.parse import unquote

from .http_messages import (
    TEXT_TYPE,
    ApiRequest,
    Reply,
    download_error_html,
    file_reply,
    json_reply,
    method_not_allowed_html,
    not_found_html,
    offcloud_not_found_html,
)
from .routes_common import CDN_PATH, CDN_PREFIX, Ctx, Route
from .routes_documented import DOCUMENTED_ROUTES
from .routes_legacy import LEGACY_ROUTES, LegacyRoutes
from .routes_live import LIVE_ROUTES, LiveRoutes
from .routes_oauth import OAUTH_ROUTES, OAuthRoutes
from .scenario import AccountSpec

__all__ = ["Api"]

#: Every route, live routes first so a legacy family switched on beside them never shadows one.
#: Apart from the live ones, no two routes share a method and a path.
_ROUTE_ORDER: list[Route] = sorted(
    [*DOCUMENTED_ROUTES.routes, *LEGACY_ROUTES.routes, *LIVE_ROUTES.routes, *OAUTH_ROUTES.routes],
    key=lambda candidate: candidate.family != "live",
)


class Api(LiveRoutes, LegacyRoutes, OAuthRoutes):
    """Answers Offcloud API, website and download requests from one :class:`SimState`."""

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
        match = CDN_PATH.match(request.path)
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
