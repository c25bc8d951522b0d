"""What every profile's routes share: the route table, a handler's context, the base answers.

Each ``routes_*`` module declares its routes in a :class:`RouteTable` with the table's
``route`` decorator, on a class that extends :class:`RoutesBase`; :class:`~.routes.Api` puts
the classes and the tables together and picks the route for each request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Optional, TypeVar, Union
from urllib.parse import quote

from .files import FileSpec
from .http_messages import ApiRequest, Reply, json_reply
from .records import InstantRequest, Job
from .scenario import AccountSpec
from .state import SimState

__all__ = [
    "CDN_PATH",
    "CDN_PREFIX",
    "ID",
    "Ctx",
    "Route",
    "RouteTable",
    "RoutesBase",
    "detailed_files",
]

#: Where a CDN file link's path starts (L11): ``/cdn3sto/<store>-sto/<token>/<name>``.
CDN_PREFIX = "/cdn3sto/"
CDN_PATH = re.compile(
    r"^/cdn3sto/(?P<store>[a-z0-9]+)-sto/(?P<token>[A-Za-z0-9_-]+)/(?P<name>[^/]+)$"
)
#: The ``{id}`` of a route's path.
ID = r"(?P<id>[^/]+)"


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


#: A route handler: a method of a ``RoutesBase`` subclass (``Api`` is all of them).
Handler = Callable[[Any, Ctx], Reply]
H = TypeVar("H", bound=Handler)


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    family: str
    handler: Handler
    auth: bool


class RouteTable:
    """The routes one module declares, in the order it declares them."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def route(
        self, method: str, pattern: str, family: str, *, auth: bool = True
    ) -> Callable[[H], H]:
        def register(handler: H) -> H:
            self.routes.append(Route(method, re.compile(pattern + "/?$"), family, handler, auth))
            return handler

        return register


class RoutesBase:
    """The state every handler answers from, the key check and the answers profiles share."""

    def __init__(self, state: SimState) -> None:
        self.state = state

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

    def _cloud_full(self, *, modern: bool) -> Reply:
        """A full cloud (L23): ``{"not_available": "cloud"}``; its status is not captured."""
        api = self.state.scenario.api
        status = (api.cloud_full_status or api.error_status) if modern else 200
        reply = json_reply({"not_available": "cloud"}, status)
        reply.marker = "cloud_full"
        return reply

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


def detailed_files(job: Job, entries: list[tuple[int, FileSpec, str]]) -> dict[str, Any]:
    """``explore?format=detailed`` (§3.5, L10): ``{"files": [{id, name, size, path, url}]}``.

    ``entries`` are ``(position in the job, file, its link)``.
    """
    return {
        "files": [
            {
                "id": f"{job.request_id[:16]}{position:08x}",
                "name": spec.name,
                "size": spec.size,
                "path": spec.path,
                "url": url,
            }
            for position, spec, url in entries
        ]
    }
