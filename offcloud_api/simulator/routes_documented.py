"""The routes of the documented API: the ``rich`` profile, and what ``legacy`` shares with it.

Families ``modern`` (the 2026 routes of docs/api.md §1-§8), ``both`` (served by the 2026 and
the legacy API alike) and ``instant``; a handler also carries its legacy names (``cloud/download``,
``cloud/tryagain/{id}``...). The answers are the full documented shapes (§3), kinder than the
live API: file links on ``*.offcloud.com``, sizes and servers in job answers. Refusals answer
HTTP 200 on legacy routes and ``api.error_status`` on 2026 ones (§4.1, §8).
"""

from __future__ import annotations

from typing import Any

from .http_messages import Reply, json_reply
from .records import Job, Refusal
from .routes_common import ID, Ctx, RoutesBase, RouteTable, detailed_files
from .scenario import SiteSpec

__all__ = ["DOCUMENTED_ROUTES", "DocumentedRoutes"]

DOCUMENTED_ROUTES = RouteTable()


class DocumentedRoutes(RoutesBase):
    """Answers the documented 2026 routes and their legacy names (profiles ``rich``, ``legacy``)."""

    # ----------------------------------------------------------------------------------------
    # refusals and job answers

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
    # account and sites (§3.7, §5)

    @DOCUMENTED_ROUTES.route("GET", r"/api/account/info", "modern")
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

    @DOCUMENTED_ROUTES.route("GET", r"/api/sites", "both")
    def sites(self, ctx: Ctx) -> Reply:
        return json_reply([_site_object(site) for site in self.state.scenario.sites])

    # ----------------------------------------------------------------------------------------
    # cache (§3.4)

    @DOCUMENTED_ROUTES.route("POST", r"/api/cache/info", "modern")
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

    @DOCUMENTED_ROUTES.route("POST", r"/api/cache/download", "modern")
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

    @DOCUMENTED_ROUTES.route("POST", r"/api/cloud", "both")
    @DOCUMENTED_ROUTES.route("POST", r"/api/cloud/download", "legacy")
    def cloud(self, ctx: Ctx) -> Reply:
        result = self.state.submit(ctx.user, ctx.request.param("url") or "")
        if isinstance(result, Refusal):
            return self._refusal(ctx, result)
        return self._add_answer(ctx, result)

    @DOCUMENTED_ROUTES.route("POST", r"/api/instant", "instant")
    @DOCUMENTED_ROUTES.route("POST", r"/api/instant/download", "instant")
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

    @DOCUMENTED_ROUTES.route("GET", r"/api/instant/history", "instant")
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

    # ----------------------------------------------------------------------------------------
    # following requests (§3.2, §3.6)

    @DOCUMENTED_ROUTES.route("POST", r"/api/cloud/status", "both")
    def cloud_status(self, ctx: Ctx) -> Reply:
        return self._status(ctx, "cloud")

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

    @DOCUMENTED_ROUTES.route("GET", r"/api/cloud/history", "both")
    def cloud_history(self, ctx: Ctx) -> Reply:
        return json_reply([self._history_item(job) for job in self.state.history(ctx.user)])

    # ----------------------------------------------------------------------------------------
    # files of a finished request (§3.5)

    @DOCUMENTED_ROUTES.route("GET", r"/api/cloud/explore/" + ID, "both")
    @DOCUMENTED_ROUTES.route("GET", r"/api/cloud/explore", "legacy")
    @DOCUMENTED_ROUTES.route("POST", r"/api/cloud/explore", "legacy")
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
                detailed_files(
                    job, [(position, spec, url) for position, (spec, url) in enumerate(entries)]
                )
            )
            if detailed
            else json_reply([url for _, url in entries])
        )
        reply.request_id = job.request_id
        return reply

    # ----------------------------------------------------------------------------------------
    # housekeeping (§6.5)

    @DOCUMENTED_ROUTES.route("POST", r"/api/cloud/remove", "modern")
    def cloud_remove_many(self, ctx: Ctx) -> Reply:
        self.state.remove(ctx.user, ctx.request.param_list("requests"))
        return json_reply({"success": True})

    @DOCUMENTED_ROUTES.route("GET", r"/cloud/remove/" + ID, "both")
    @DOCUMENTED_ROUTES.route("GET", r"/api/cloud/remove/" + ID, "modern")
    def cloud_remove_one(self, ctx: Ctx) -> Reply:
        return self._remove_one(ctx, "cloud")

    def _remove_one(self, ctx: Ctx, kind: str) -> Reply:
        request_id = ctx.match.group("id")
        if not self.state.remove(ctx.user, [request_id], kind):
            return self._not_found(ctx)
        reply = json_reply({"success": True})
        reply.request_id = request_id
        return reply

    @DOCUMENTED_ROUTES.route("GET", r"/api/cloud/retry/" + ID, "both")
    @DOCUMENTED_ROUTES.route("GET", r"/api/cloud/tryagain/" + ID, "legacy")
    def cloud_retry(self, ctx: Ctx) -> Reply:
        return self._retry(ctx, "cloud")

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
