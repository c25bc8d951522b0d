"""The routes only the legacy API has (2014 to early 2026): the ``legacy`` profile's own.

Family ``legacy``: ``account/stats``, ``sites/chunks``, ``cache`` (``torrent/check``),
``cloud/list/{id}``, remote transfers, proxies, remote accounts, the login check; and family
``login`` (§1.3), 404 on the 2026 API. They answer refusals with HTTP 200 (§4.1).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .http_messages import SESSION_COOKIE, TEXT_TYPE, Reply, json_reply
from .records import Refusal
from .routes_common import ID, Ctx, RouteTable
from .routes_documented import DocumentedRoutes

__all__ = ["LEGACY_ROUTES", "LegacyRoutes"]

LEGACY_ROUTES = RouteTable()


class LegacyRoutes(DocumentedRoutes):
    """Answers the legacy-only routes, with the documented ones' refusals and job answers."""

    # ----------------------------------------------------------------------------------------
    # account and sites (§3.7, §5)

    @LEGACY_ROUTES.route("GET", r"/api/account/stats", "legacy")
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

    @LEGACY_ROUTES.route("GET", r"/api/sites/chunks", "legacy", auth=False)
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

    @LEGACY_ROUTES.route("POST", r"/api/cache", "legacy")
    @LEGACY_ROUTES.route("POST", r"/api/torrent/check", "legacy")
    def cache_legacy(self, ctx: Ctx) -> Reply:
        cached = [
            item.strip().lower()
            for item in ctx.request.param_list("hashes")
            if self.state.cached_torrent(item) is not None
        ]
        return json_reply({"cachedItems": cached})

    # ----------------------------------------------------------------------------------------
    # remote requests (§3.1, §3.2, §3.6)

    @LEGACY_ROUTES.route("POST", r"/api/remote", "legacy")
    @LEGACY_ROUTES.route("POST", r"/api/remote/download", "legacy")
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

    @LEGACY_ROUTES.route("POST", r"/api/remote/status", "legacy")
    def remote_status(self, ctx: Ctx) -> Reply:
        return self._status(ctx, "remote")

    @LEGACY_ROUTES.route("GET", r"/api/remote/history", "legacy")
    def remote_history(self, ctx: Ctx) -> Reply:
        return json_reply(
            [self._history_item(job) for job in self.state.history(ctx.user, "remote")]
        )

    # ----------------------------------------------------------------------------------------
    # files of a finished request (§3.5)

    @LEGACY_ROUTES.route("GET", r"/api/cloud/list/" + ID, "legacy")
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

    @LEGACY_ROUTES.route("GET", r"/instant/remove/" + ID, "legacy")
    def instant_remove(self, ctx: Ctx) -> Reply:
        return self._remove_one(ctx, "instant")

    @LEGACY_ROUTES.route("GET", r"/remote/remove/" + ID, "legacy")
    def remote_remove(self, ctx: Ctx) -> Reply:
        return self._remove_one(ctx, "remote")

    @LEGACY_ROUTES.route("GET", r"/api/remote/retry/" + ID, "legacy")
    @LEGACY_ROUTES.route("GET", r"/api/remote/tryagain/" + ID, "legacy")
    def remote_retry(self, ctx: Ctx) -> Reply:
        return self._retry(ctx, "remote")

    # ----------------------------------------------------------------------------------------
    # legacy extras (§3.8)

    @LEGACY_ROUTES.route("POST", r"/api/proxy", "legacy")
    @LEGACY_ROUTES.route("POST", r"/api/proxy/list", "legacy")
    @LEGACY_ROUTES.route("GET", r"/api/proxy", "legacy")
    def proxies(self, ctx: Ctx) -> Reply:
        return json_reply(
            {
                "list": [
                    {"id": p.id, "name": p.name, "region": p.region}
                    for p in self.state.scenario.proxies
                ]
            }
        )

    @LEGACY_ROUTES.route("POST", r"/api/remote/accounts", "legacy")
    @LEGACY_ROUTES.route("POST", r"/api/remote-account/list", "legacy")
    @LEGACY_ROUTES.route("GET", r"/api/remote-account/list", "legacy")
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

    @LEGACY_ROUTES.route("GET", r"/api/check", "legacy", auth=False)
    @LEGACY_ROUTES.route("GET", r"/api/login/check", "legacy", auth=False)
    @LEGACY_ROUTES.route("POST", r"/api/login/check", "legacy", auth=False)
    def login_check(self, ctx: Ctx) -> Reply:
        return json_reply({"loggedIn": 1 if self.authenticate(ctx.request) is not None else 0})

    # ----------------------------------------------------------------------------------------
    # legacy login (§1.3): 404 on the 2026 API

    @LEGACY_ROUTES.route("POST", r"/api/login", "login", auth=False)
    @LEGACY_ROUTES.route("POST", r"/api/login/classic", "login", auth=False)
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

    @LEGACY_ROUTES.route("POST", r"/api/key", "login")
    @LEGACY_ROUTES.route("POST", r"/api/account/get", "login")
    def api_key(self, ctx: Ctx) -> Reply:
        return json_reply({"email": ctx.user.email, "apiKey": ctx.user.key})
