"""The routes of the ``live`` profile: the real API as docs/api.md §00 (rows L1-L24) says.

What the 2026 probes and the clients of the real service saw, nothing kinder and nothing stricter:
JSON (or form) bodies and never the query string, the short add answer, a failed add as HTTP 500
with a bare string (L6), one ``requestId`` per status call, file links on the CDN, hits-only
cache answers. Family ``live``, and ``live_cache_download`` (L19) with its own switch. Where a
row says "not captured", the ``api`` switches of the scenario pick the answer; the guesses are
marked where they are made.
"""

from __future__ import annotations

import re
from typing import Any, Optional
from urllib.parse import quote

from ..magnet import is_magnet
from .http_messages import ApiRequest, Reply, bare_string_reply, json_reply
from .records import CDN_DOMAIN, DEAD_LINK_TEXT, LOADING_MESSAGE, CdnLink, Refusal
from .routes_common import CDN_PREFIX, ID, Ctx, RoutesBase, RouteTable, detailed_files

__all__ = ["LIVE_ROUTES", "LiveRoutes"]

LIVE_ROUTES = RouteTable()

_HEX40 = re.compile(r"^[0-9a-fA-F]{40}$")
#: Terminal job statuses: ``progress`` and ``message`` are null in live status answers (L8).
FINISHED = ("downloaded", "error", "canceled")


class LiveRoutes(RoutesBase):
    """Answers the live routes (L1-L24) and builds their CDN file links (L11)."""

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

    @LIVE_ROUTES.route("GET", r"/api/account/info", "live")
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

    @LIVE_ROUTES.route("GET", r"/api/sites", "live")
    def live_sites(self, ctx: Ctx) -> Reply:
        """L17 (not captured): ``[{name, status}]`` only, names as the scenario gives them."""
        return json_reply(
            [
                {"name": site.name, "status": "up" if site.is_up else "down"}
                for site in self.state.scenario.sites
            ]
        )

    @LIVE_ROUTES.route("POST", r"/api/cache", "live")
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

    @LIVE_ROUTES.route("POST", r"/api/cache/info", "live")
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

    @LIVE_ROUTES.route("POST", r"/api/cloud", "live")
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

    @LIVE_ROUTES.route("POST", r"/api/cloud/status", "live")
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

    @LIVE_ROUTES.route("GET", r"/api/cloud/history", "live")
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

    @LIVE_ROUTES.route("GET", r"/api/cloud/explore/" + ID, "live")
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
            reply = json_reply(detailed_files(job, entries))
        else:
            reply = json_reply([url for _, _, url in entries])
        reply.request_id = job.request_id
        return reply

    @LIVE_ROUTES.route("POST", r"/api/cache/download", "live_cache_download")
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

    @LIVE_ROUTES.route("POST", r"/api/cloud/remove", "live")
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

    @LIVE_ROUTES.route("GET", r"/api/cloud/remove/" + ID, "live")
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
