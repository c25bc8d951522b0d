"""The scenario: everything the simulated Offcloud knows when it starts.

A scenario is a JSON document (YAML too, if PyYAML is installed); ``SCENARIO.md`` next to this
file describes every key. This module is its model, frozen dataclasses: :class:`Scenario` and
the specs it holds. :func:`~.scenario_loading.load_scenario` reads a document (following
``extends``) and :mod:`.scenario_builders` validates it into them, so a typo fails at start with
the key's location instead of as a strange answer later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Optional, Union

from ..magnet import build_magnet
from .files import FileSpec

__all__ = [
    "API_PROFILES",
    "FILE_URL_STYLES",
    "JOB_STATUSES",
    "LINK_KINDS",
    "OAUTH_DECISIONS",
    "PROFILE_DEFAULTS",
    "SITE_STATUSES",
    "AccountSpec",
    "ApiOptions",
    "DirectFileSpec",
    "JobSpec",
    "LinkSpec",
    "OAuthOptions",
    "ProxySpec",
    "RemoteAccountSpec",
    "Scenario",
    "ScenarioError",
    "ScenarioSource",
    "SiteSpec",
    "TorrentSpec",
]

#: Offcloud's site health words (docs/api.md §5, JDownloader's vocabulary).
SITE_STATUSES = ("Healthy", "Fragile", "Limited", "Dead", "Cloud only", "Awaiting Demand")
LINK_KINDS = ("file", "folder", "archive")
JOB_STATUSES = ("created", "downloading", "downloaded", "error", "canceled")
FILE_URL_STYLES = ("auto", "offcloud", "direct")
#: ``api.profile``: ``live`` answers as docs/api.md §00 (rows L1-L24) says the real API did in
#: 2026, nothing kinder and nothing stricter; ``rich`` is the older, kinder 2026 simulation (every
#: documented field and route); ``legacy`` is the legacy-only server (2014 to early 2026).
API_PROFILES = ("live", "rich", "legacy")
#: The route switches each profile starts from; flags given in ``api`` override them one by one.
PROFILE_DEFAULTS: dict[str, dict[str, bool]] = {
    "live": {"modern": True, "legacy": False, "instant": False, "login": False, "oauth": False},
    "rich": {"modern": True, "legacy": False, "instant": True, "login": False, "oauth": True},
    "legacy": {"modern": False, "legacy": True, "instant": True, "login": False, "oauth": False},
}

ScenarioSource = Union["Scenario", Mapping[str, Any], str, Path, None]


class ScenarioError(ValueError):
    """The scenario is malformed; the message names the key."""


# --------------------------------------------------------------------------------------------
# The model


@dataclass(frozen=True)
class ApiOptions:
    """Which routes exist and how the API behaves (``profile`` first, then single flags)."""

    profile: str = "live"
    modern: bool = True
    legacy: bool = False
    instant: bool = False
    login: bool = False
    oauth: bool = False
    dedupe: bool = True
    error_status: int = 200
    file_index_base: int = 1
    #: HTTP status of ``{"not_available": "cloud"}`` (a full cloud, L23: not captured); None:
    #: ``error_status``.
    cloud_full_status: Optional[int] = None
    # The switches below shape the ``live`` profile (L14-L22); rich and legacy ignore them
    # unless said otherwise.
    #: Form-encoded bodies are read like JSON ones (L20); false: JSON only.
    form_bodies: bool = True
    #: ``folder`` in ``cache/info``: ``list`` of path segments (L14, default) or ``string``.
    cache_info_folder: str = "list"
    #: ``POST /api/cache/download`` is served (L19); false: the HTML 404 page.
    cache_download: bool = True
    #: ``cache/download`` needs room in the cloud (not captured; false: it does not count).
    cache_download_uses_storage: bool = False
    #: CDN links keep working after their job is removed (L15); false: they die with it.
    cdn_links_outlive_jobs: bool = True
    #: CORS (L21): preflights answered and ``Access-Control-Allow-Origin: *`` on API answers
    #: (every profile); false: ``OPTIONS`` is a method no route has.
    cors: bool = True
    #: The HTML 404 and 405 pages come with HTTP 200 (L22).
    html_errors_200: bool = False

    @property
    def live(self) -> bool:
        """Whether answers follow docs/api.md §00 (rows L1-L24)."""
        return self.profile == "live"


@dataclass(frozen=True)
class AccountSpec:
    key: str
    email: str
    user_id: str
    premium: bool = True
    expiration_date: Optional[date] = None
    can_download: bool = True
    password: Optional[str] = None
    limits: Mapping[str, Union[int, str]] = field(default_factory=dict)
    #: Cloud storage quota in bytes (L23); None: no cap.
    storage_bytes: Optional[int] = None

    @property
    def is_expired(self) -> bool:
        today = datetime.now(timezone.utc).date()
        return self.expiration_date is not None and self.expiration_date < today

    @property
    def is_premium(self) -> bool:
        """Premium as Offcloud reports it: a premium plan that has not expired."""
        return self.premium and not self.is_expired


@dataclass(frozen=True)
class SiteSpec:
    name: str
    hosts: tuple[str, ...]
    status: str = "Healthy"
    display_name: Optional[str] = None
    no_instant: bool = False
    max_chunks: Union[int, str] = 16
    max_chunks_global: Union[int, str] = 20
    max_amount_per_user: Union[int, str] = "unlimited"
    video_streaming: bool = False

    @property
    def domains(self) -> tuple[str, ...]:
        names = [self.name, *self.hosts]
        return tuple(dict.fromkeys(n.lower() for n in names))

    @property
    def is_up(self) -> bool:
        return self.status not in ("Dead", "Awaiting Demand")

    @property
    def instant_capable(self) -> bool:
        return not self.no_instant and self.status != "Cloud only"


@dataclass(frozen=True)
class LinkSpec:
    """A hoster link and what Offcloud makes of it."""

    url: str
    name: str
    files: tuple[FileSpec, ...]
    kind: str = "file"
    offline: bool = False
    error: Optional[str] = None
    error_route: Optional[str] = None
    instant: Optional[bool] = None
    duration: float = 5.0
    queued: Optional[float] = None
    fail: Optional[str] = None
    fail_at: float = 0.5
    retry_succeeds: bool = True

    @property
    def is_directory(self) -> bool:
        return self.kind != "file"


@dataclass(frozen=True)
class TorrentSpec:
    """A torrent Offcloud may hold in its cache, by info-hash."""

    info_hash: str
    name: str
    files: tuple[FileSpec, ...]
    cached: bool = False
    duration: float = 5.0
    queued: Optional[float] = None
    fail: Optional[str] = None
    fail_at: float = 0.5
    retry_succeeds: bool = True

    @property
    def is_directory(self) -> bool:
        return len(self.files) != 1 or "/" in self.files[0].path

    @property
    def magnet(self) -> str:
        return build_magnet(self.info_hash, self.name)


@dataclass(frozen=True)
class JobSpec:
    """A request already in an account's history when the simulator starts."""

    request_id: str
    account: str
    link: str
    name: str
    files: tuple[FileSpec, ...]
    is_directory: bool
    status: str = "downloaded"
    kind: str = "cloud"
    server: Optional[str] = None
    site: Optional[str] = None
    created_on: Optional[datetime] = None
    error: Optional[str] = None
    meta_data: Optional[str] = None
    retry_succeeds: bool = True


@dataclass(frozen=True)
class DirectFileSpec:
    """A file served as itself at a hoster address, for direct-download baselines.

    ``data`` (from ``data_base64``) serves those exact bytes instead of generated content: a
    .torrent file on a tracker, say.
    """

    url: str
    host: str
    path: str
    file: FileSpec
    data: Optional[bytes] = None


@dataclass(frozen=True)
class ProxySpec:
    id: str
    name: str
    region: str


@dataclass(frozen=True)
class RemoteAccountSpec:
    remote_option_id: str
    account_id: str
    type: str = "gdrive"
    username: str = ""
    path: str = "/"


#: What the simulated user does with a device code (``oauth.decision``): ``none`` never acts.
OAUTH_DECISIONS = ("approve", "deny", "none")


@dataclass(frozen=True)
class OAuthOptions:
    """The OAuth device flow (docs/api.md §1.4): what the simulated user does, and when.

    The user decides (``decision``) once ``approve_after`` simulated seconds have passed and
    ``pending_polls`` polls were answered ``authorization_pending``, whichever comes later.
    The polls numbered in ``slow_down_polls`` (1-based) answer ``slow_down``; with
    ``enforce_interval``, so does a poll that comes sooner than the code's interval after the
    previous one (RFC 8628 §3.5), and each ``slow_down`` adds 5 s to that code's interval.
    """

    account: Optional[str] = None
    approve_after: float = 3.0
    interval: float = 5.0
    expires_in: float = 600.0
    pending_polls: int = 0
    decision: str = "approve"
    slow_down_polls: tuple[int, ...] = ()
    enforce_interval: bool = True


@dataclass(frozen=True)
class Scenario:
    """A validated scenario. Build one with :func:`~.scenario_loading.load_scenario`."""

    name: str = "unnamed"
    description: str = ""
    seed: str = "offcloud-simulator"
    api: ApiOptions = field(default_factory=ApiOptions)
    speedup: float = 1.0
    file_url_style: str = "auto"
    servers: tuple[str, ...] = ("de-3",)
    accounts: tuple[AccountSpec, ...] = ()
    sites: tuple[SiteSpec, ...] = ()
    links: tuple[LinkSpec, ...] = ()
    torrents: tuple[TorrentSpec, ...] = ()
    jobs: tuple[JobSpec, ...] = ()
    direct_files: tuple[DirectFileSpec, ...] = ()
    proxies: tuple[ProxySpec, ...] = ()
    remote_accounts: tuple[RemoteAccountSpec, ...] = ()
    oauth: OAuthOptions = field(default_factory=OAuthOptions)
    faults: tuple[Mapping[str, Any], ...] = ()
    #: The document it was built from (after ``extends``), for ``/_sim/state``.
    source: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def link(self, url: str) -> LinkSpec:
        """The link whose ``url`` is exactly ``url``."""
        for link in self.links:
            if link.url == url:
                return link
        raise KeyError(url)

    def torrent(self, name_or_hash: str) -> TorrentSpec:
        """The torrent with this name or info-hash."""
        wanted = name_or_hash.lower()
        for torrent in self.torrents:
            if wanted in (torrent.info_hash, torrent.name.lower()):
                return torrent
        raise KeyError(name_or_hash)

    def job(self, request_id: str) -> JobSpec:
        for job in self.jobs:
            if job.request_id == request_id:
                return job
        raise KeyError(request_id)

    def direct_file(self, url: str) -> DirectFileSpec:
        for entry in self.direct_files:
            if entry.url == url:
                return entry
        raise KeyError(url)

    def account(self, key_or_email: str) -> AccountSpec:
        for account in self.accounts:
            if key_or_email in (account.key, account.email):
                return account
        raise KeyError(key_or_email)
