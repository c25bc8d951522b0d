"""The scenario: everything the simulated Offcloud knows when it starts.

A scenario is a JSON document (YAML too, if PyYAML is installed); ``SCENARIO.md`` next to this
file describes every key. :func:`load_scenario` reads and validates it into frozen dataclasses,
so a typo fails at start with the key's location instead of as a strange answer later.
A scenario may start from another with ``"extends": "default"`` (or a path): objects are merged
key by key, lists of named things by their identity (an account's ``key``, a link's ``url``...).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import Any, Optional, Union

from ..magnet import build_magnet, info_hash_of
from .files import FileSpec

__all__ = [
    "API_PROFILES",
    "OAUTH_DECISIONS",
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
    "SiteSpec",
    "TorrentSpec",
    "default_scenario",
    "load_scenario",
    "parse_size",
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
_KEY_PATTERN = re.compile(r"^[A-Za-z0-9]{32}$")
_HEX24 = re.compile(r"^[0-9a-f]{24}$")

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
    """A validated scenario. Build one with :func:`load_scenario` or :func:`default_scenario`."""

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


# --------------------------------------------------------------------------------------------
# Loading


def default_scenario() -> Scenario:
    """The packaged demo scenario (``default_scenario.json``)."""
    return load_scenario(_read_default())


def _read_default() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("default_scenario.json").read_text("utf-8")
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ScenarioError("default_scenario.json: expected an object")
    return data


def load_scenario(source: ScenarioSource = None) -> Scenario:
    """A scenario from a :class:`Scenario`, a mapping, a JSON/YAML file path, or ``None`` (default).

    A ``str`` that starts with ``{`` is read as JSON text, any other ``str`` as a path.
    """
    if source is None:
        return default_scenario()
    if isinstance(source, Scenario):
        return source
    base_dir: Optional[Path] = None
    if isinstance(source, Mapping):
        data: Mapping[str, Any] = source
    elif isinstance(source, str) and source.lstrip().startswith("{"):
        data = _as_object(json.loads(source), "scenario")
    else:
        path = Path(source)
        data = _read_file(path)
        base_dir = path.parent
    return _build(_resolve_extends(data, base_dir, depth=0))


def _read_file(path: Path) -> Mapping[str, Any]:
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario {path}: {exc.strerror}") from exc
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml  # type: ignore[import-untyped]  # noqa: PLC0415 - optional dependency
        except ImportError:
            raise ScenarioError(f"{path}: YAML scenarios need PyYAML; use JSON") from None
        loaded = yaml.safe_load(text)
    else:
        try:
            loaded = json.loads(text)
        except ValueError as exc:
            raise ScenarioError(f"{path}: not valid JSON: {exc}") from exc
    return _as_object(loaded, str(path))


def _as_object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ScenarioError(f"{where}: expected a JSON object at the top")
    return value


_IDENTITY = {
    "accounts": "key",
    "sites": "name",
    "links": "url",
    "torrents": "info_hash",
    "jobs": "request_id",
    "direct_files": "url",
    "proxies": "id",
    "remote_accounts": "remote_option_id",
}


def _resolve_extends(
    data: Mapping[str, Any], base_dir: Optional[Path], depth: int
) -> dict[str, Any]:
    parent_ref = data.get("extends")
    own = {name: value for name, value in data.items() if name != "extends"}
    if parent_ref is None:
        return own
    if depth > 5:
        raise ScenarioError("extends: chain too deep")
    if not isinstance(parent_ref, str):
        raise ScenarioError("extends: expected 'default' or a path")
    if parent_ref == "default":
        parent: Mapping[str, Any] = _read_default()
        parent_dir = None
    else:
        path = Path(parent_ref)
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        parent = _read_file(path)
        parent_dir = path.parent
    return _merge(_resolve_extends(parent, parent_dir, depth + 1), own)


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for name, value in override.items():
        old = merged.get(name)
        if isinstance(old, Mapping) and isinstance(value, Mapping):
            merged[name] = _merge(old, value)
        elif name in _IDENTITY and isinstance(old, list) and isinstance(value, list):
            merged[name] = _merge_list(old, value, _IDENTITY[name])
        else:
            merged[name] = value
    return merged


def _merge_list(old: list[Any], new: list[Any], identity: str) -> list[Any]:
    result = list(old)
    positions = {
        item.get(identity): index
        for index, item in enumerate(result)
        if isinstance(item, Mapping) and item.get(identity) is not None
    }
    for item in new:
        ident = item.get(identity) if isinstance(item, Mapping) else None
        if ident is not None and ident in positions:
            result[positions[ident]] = item
        else:
            result.append(item)
    return result


# --------------------------------------------------------------------------------------------
# Validation helpers


class _Section:
    """Typed access to one JSON object whose keys must all be in ``known`` (typos fail first)."""

    def __init__(self, data: Any, where: str, known: Iterable[str]) -> None:
        if not isinstance(data, Mapping):
            raise ScenarioError(f"{where}: expected an object, got {type(data).__name__}")
        self.data: Mapping[str, Any] = data
        self.where = where
        names = set(known)
        allowed = ", ".join(sorted(names))
        unknown = ", ".join(sorted(set(data) - names))
        if unknown:
            raise ScenarioError(f"{where}: unknown key(s) {unknown} (known: {allowed})")

    def _get(self, name: str) -> Any:
        return self.data.get(name)

    def has(self, name: str) -> bool:
        return self.data.get(name) is not None

    def _fail(self, name: str, expected: str, value: Any) -> ScenarioError:
        return ScenarioError(f"{self.where}.{name}: expected {expected}, got {value!r}")

    def text(self, name: str, default: Optional[str] = None) -> str:
        value = self._get(name)
        if value is None:
            if default is None:
                raise ScenarioError(f"{self.where}.{name}: required")
            return default
        if not isinstance(value, str) or not value.strip():
            raise self._fail(name, "a non-empty string", value)
        return value.strip()

    def opt_text(self, name: str) -> Optional[str]:
        value = self._get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self._fail(name, "a string", value)
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self._get(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self._fail(name, "true or false", value)
        return value

    def opt_flag(self, name: str) -> Optional[bool]:
        value = self._get(name)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise self._fail(name, "true or false", value)
        return value

    def number(self, name: str, default: float, *, minimum: float = 0.0) -> float:
        value = self._get(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
            raise self._fail(name, f"a number >= {minimum:g}", value)
        return float(value)

    def opt_number(self, name: str) -> Optional[float]:
        return self.number(name, 0.0) if self.has(name) else self._get(name)

    def integer(self, name: str, default: int) -> int:
        value = self._get(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._fail(name, "an integer", value)
        return value

    def limit(self, name: str, default: Union[int, str]) -> Union[int, str]:
        value = self._get(name)
        if value is None:
            return default
        if value == "unlimited" or (isinstance(value, int) and not isinstance(value, bool)):
            return value  # type: ignore[no-any-return]
        raise self._fail(name, 'an integer or "unlimited"', value)

    def choice(self, name: str, choices: Sequence[str], default: Optional[str]) -> str:
        value = self._get(name)
        if value is None:
            if default is None:
                raise ScenarioError(f"{self.where}.{name}: required (one of {', '.join(choices)})")
            return default
        if value not in choices:
            raise self._fail(name, "one of " + ", ".join(repr(c) for c in choices), value)
        return str(value)

    def opt_choice(self, name: str, choices: Sequence[str]) -> Optional[str]:
        return self.choice(name, choices, None) if self.has(name) else self._get(name)

    def strings(self, name: str) -> tuple[str, ...]:
        value = self._get(name)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self._fail(name, "a list of strings", value)
        return tuple(value)

    def items(self, name: str) -> list[tuple[Any, str]]:
        value = self._get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._fail(name, "a list", value)
        return [(item, f"{self.where}.{name}[{index}]") for index, item in enumerate(value)]

    def section(self, name: str, known: Iterable[str]) -> _Section:
        value = self._get(name)
        return _Section({} if value is None else value, f"{self.where}.{name}", known)

    def raw(self, name: str) -> Any:
        return self._get(name)


_SIZE_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "kib": 1 << 10,
    "ki": 1 << 10,
    "m": 1000**2,
    "mb": 1000**2,
    "mib": 1 << 20,
    "mi": 1 << 20,
    "g": 1000**3,
    "gb": 1000**3,
    "gib": 1 << 30,
    "gi": 1 << 30,
    "t": 1000**4,
    "tb": 1000**4,
    "tib": 1 << 40,
    "ti": 1 << 40,
}


def parse_size(value: Any, where: str = "size") -> int:
    """Bytes from an integer or a string such as ``"4 MiB"`` or ``"1.5GB"`` (MB = 10^6)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str):
        match = _SIZE_PATTERN.match(value)
        if match:
            unit = (match.group(2) or "").lower()
            if unit in _SIZE_UNITS:
                return int(float(match.group(1)) * _SIZE_UNITS[unit])
    raise ScenarioError(f"{where}: expected a size in bytes or like '4 MiB', got {value!r}")


def _date_value(value: Any, where: str) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise ScenarioError(f"{where}: expected a date YYYY-MM-DD, got {value!r}")


def _datetime_value(value: Any, where: str) -> datetime:
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    raise ScenarioError(f"{where}: expected an ISO-8601 time, got {value!r}")


# --------------------------------------------------------------------------------------------
# Builders

_TOP_KEYS = (
    "name", "description", "seed", "api", "clock", "file_url_style", "servers", "accounts",
    "sites", "links", "torrents", "jobs", "direct_files", "proxies", "remote_accounts", "oauth",
    "faults",
)  # fmt: skip
_API_KEYS = (
    "profile", "modern", "legacy", "instant", "login", "oauth", "dedupe", "error_status",
    "file_index_base", "cloud_full_status", "form_bodies", "cache_info_folder", "cache_download",
    "cache_download_uses_storage", "cdn_links_outlive_jobs", "cors", "html_errors_200",
)  # fmt: skip
_OAUTH_KEYS = (
    "account", "approve_after", "interval", "expires_in", "pending_polls", "decision",
    "slow_down_polls", "enforce_interval",
)  # fmt: skip
_ACCOUNT_KEYS = (
    "key", "email", "user_id", "premium", "expiration_date", "expires_in_days", "can_download",
    "password", "limits", "storage_bytes",
)  # fmt: skip
_SITE_KEYS = (
    "name", "hosts", "status", "display_name", "no_instant", "max_chunks", "max_chunks_global",
    "max_amount_per_user", "video_streaming",
)  # fmt: skip
_RUN_KEYS = ("duration", "queued", "fail", "fail_at", "retry_succeeds")
_LINK_KEYS = (
    "url", "file", "files", "kind", "name", "offline", "error", "error_route", "instant",
    *_RUN_KEYS,
)  # fmt: skip
_TORRENT_KEYS = ("info_hash", "magnet", "name", "file", "files", "cached", *_RUN_KEYS)
_JOB_KEYS = (
    "request_id", "account", "link", "name", "file", "files", "is_directory", "status", "kind",
    "server", "site", "created_on", "error", "meta_data", "retry_succeeds",
)  # fmt: skip
_REMOTE_KEYS = ("remote_option_id", "account_id", "type", "username", "path")


def _build(data: Mapping[str, Any]) -> Scenario:
    top = _Section(data, "scenario", _TOP_KEYS)
    seed = top.text("seed", "offcloud-simulator")
    api = _build_api(top.section("api", _API_KEYS))
    speedup = top.section("clock", ("speedup",))
    factor = speedup.number("speedup", 1.0, minimum=1e-6)
    servers = top.strings("servers") or ("de-3",)
    for server in servers:
        if not re.match(r"^[a-z0-9][a-z0-9-]*$", server):
            raise ScenarioError(f"scenario.servers: {server!r} is not a host label")
    accounts = tuple(_build_account(item, where) for item, where in top.items("accounts"))
    keys = [a.key for a in accounts]
    if len(set(keys)) != len(keys):
        raise ScenarioError("scenario.accounts: two accounts have the same key")
    sites = tuple(_build_site(item, where) for item, where in top.items("sites"))
    links = tuple(_build_link(item, where, seed) for item, where in top.items("links"))
    torrents = tuple(_build_torrent(item, where, seed) for item, where in top.items("torrents"))
    jobs = tuple(
        _build_job(item, where, seed, accounts, servers) for item, where in top.items("jobs")
    )
    direct = tuple(_build_direct(item, where, seed) for item, where in top.items("direct_files"))
    proxies = tuple(_build_proxy(item, where) for item, where in top.items("proxies"))
    remotes = tuple(_build_remote(item, where) for item, where in top.items("remote_accounts"))
    oauth = _build_oauth(top.section("oauth", _OAUTH_KEYS), accounts)
    faults = []
    for item, where in top.items("faults"):
        if not isinstance(item, Mapping):
            raise ScenarioError(f"{where}: expected an object")
        faults.append(dict(item))
    scenario = Scenario(
        name=top.text("name", "unnamed"),
        description=top.opt_text("description") or "",
        seed=seed,
        api=api,
        speedup=factor,
        file_url_style=top.choice("file_url_style", FILE_URL_STYLES, "auto"),
        servers=tuple(servers),
        accounts=accounts,
        sites=sites,
        links=links,
        torrents=torrents,
        jobs=jobs,
        direct_files=direct,
        proxies=proxies,
        remote_accounts=remotes,
        oauth=oauth,
        faults=tuple(faults),
        source=dict(data),
    )
    _check_unique("links", [link.url for link in links])
    _check_unique("torrents", [t.info_hash for t in torrents])
    _check_unique("jobs", [j.request_id for j in jobs])
    return scenario


def _check_unique(what: str, values: list[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ScenarioError(f"scenario.{what}: {value!r} appears twice")
        seen.add(value)


def _build_api(section: _Section) -> ApiOptions:
    profile = section.choice("profile", API_PROFILES, "live")
    defaults = PROFILE_DEFAULTS[profile]
    options = ApiOptions(
        profile=profile,
        modern=section.flag("modern", defaults["modern"]),
        legacy=section.flag("legacy", defaults["legacy"]),
        instant=section.flag("instant", defaults["instant"]),
        login=section.flag("login", defaults["login"]),
        oauth=section.flag("oauth", defaults["oauth"]),
        dedupe=section.flag("dedupe", True),
        error_status=section.integer("error_status", 200),
        file_index_base=section.integer("file_index_base", 1),
        cloud_full_status=_opt_status(section, "cloud_full_status"),
        form_bodies=section.flag("form_bodies", True),
        cache_info_folder=section.choice("cache_info_folder", ("list", "string"), "list"),
        cache_download=section.flag("cache_download", True),
        cache_download_uses_storage=section.flag("cache_download_uses_storage", False),
        cdn_links_outlive_jobs=section.flag("cdn_links_outlive_jobs", True),
        cors=section.flag("cors", True),
        html_errors_200=section.flag("html_errors_200", False),
    )
    if not (options.modern or options.legacy):
        raise ScenarioError("scenario.api: at least one of modern and legacy must be true")
    if options.live and not options.modern:
        raise ScenarioError(
            "scenario.api: the live profile is the 2026 API (modern); "
            'for a legacy-only server use "profile": "legacy"'
        )
    if options.file_index_base not in (0, 1):
        raise ScenarioError("scenario.api.file_index_base: expected 0 or 1")
    return options


def _opt_status(section: _Section, name: str) -> Optional[int]:
    """An optional HTTP status (100-599)."""
    if not section.has(name):
        return None
    value = section.integer(name, 200)
    if not 100 <= value <= 599:
        raise ScenarioError(f"{section.where}.{name}: expected an HTTP status, got {value}")
    return value


def _build_account(item: Any, where: str) -> AccountSpec:
    section = _Section(item, where, _ACCOUNT_KEYS)
    key = section.text("key")
    if not _KEY_PATTERN.match(key):
        raise ScenarioError(f"{where}.key: an Offcloud key is 32 letters and digits")
    expiration: Optional[date] = None
    if section.has("expiration_date"):
        expiration = _date_value(section.raw("expiration_date"), f"{where}.expiration_date")
    elif section.has("expires_in_days"):
        days = section.integer("expires_in_days", 0)
        expiration = datetime.now(timezone.utc).date() + timedelta(days=days)
    section.raw("expires_in_days")
    limits_raw = section.raw("limits") or {}
    if not isinstance(limits_raw, Mapping) or not all(
        isinstance(v, (int, str)) and not isinstance(v, bool) for v in limits_raw.values()
    ):
        raise ScenarioError(f"{where}.limits: expected an object of numbers or strings")
    return AccountSpec(
        key=key,
        email=section.text("email", f"user-{key[:6].lower()}@example.com"),
        user_id=section.text("user_id", _hex24(key)),
        premium=section.flag("premium", True),
        expiration_date=expiration,
        can_download=section.flag("can_download", True),
        password=section.opt_text("password"),
        limits=dict(limits_raw),
        storage_bytes=(
            parse_size(section.raw("storage_bytes"), f"{where}.storage_bytes")
            if section.has("storage_bytes")
            else None
        ),
    )


def _build_site(item: Any, where: str) -> SiteSpec:
    section = _Section(item, where, _SITE_KEYS)
    name = section.text("name")
    return SiteSpec(
        name=name,
        hosts=section.strings("hosts") or (name,),
        status=section.choice("status", SITE_STATUSES, "Healthy"),
        display_name=section.opt_text("display_name"),
        no_instant=section.flag("no_instant", False),
        max_chunks=section.limit("max_chunks", 16),
        max_chunks_global=section.limit("max_chunks_global", 20),
        max_amount_per_user=section.limit("max_amount_per_user", "unlimited"),
        video_streaming=section.flag("video_streaming", False),
    )


def _build_file(item: Any, where: str, default_seed: str) -> FileSpec:
    section = _Section(item, where, ("path", "name", "size", "seed"))
    path = section.opt_text("path") or section.opt_text("name")
    if not path or not path.strip("/"):
        raise ScenarioError(f"{where}: a file needs a path or a name")
    path = path.strip("/")
    size_raw = section.raw("size")
    if size_raw is None:
        raise ScenarioError(f"{where}.size: required")
    return FileSpec(
        path=path,
        size=parse_size(size_raw, f"{where}.size"),
        seed=section.opt_text("seed") or f"{default_seed}:{path}",
    )


def _build_files(section: _Section, where: str, seed: str) -> tuple[FileSpec, ...]:
    files: list[FileSpec] = []
    if section.has("file"):
        files.append(_build_file(section.raw("file"), f"{where}.file", seed))
    else:
        section.raw("file")
    files.extend(_build_file(item, w, seed) for item, w in section.items("files"))
    return tuple(files)


def _build_link(item: Any, where: str, seed: str) -> LinkSpec:
    section = _Section(item, where, _LINK_KEYS)
    url = section.text("url")
    offline = section.flag("offline", False)
    error = section.opt_text("error")
    files = _build_files(section, where, f"{seed}:{url}")
    kind = section.choice("kind", LINK_KINDS, "file" if len(files) <= 1 else "folder")
    if not files and not offline and error is None:
        raise ScenarioError(f"{where}: a link needs a file, files, offline or error")
    if kind == "file" and len(files) > 1:
        raise ScenarioError(f"{where}: kind 'file' takes exactly one file")
    default_name = files[0].name if kind == "file" and files else url.rstrip("/").rpartition("/")[2]
    return LinkSpec(
        url=url,
        name=section.opt_text("name") or default_name,
        files=files,
        kind=kind,
        offline=offline,
        error=error,
        error_route=section.opt_choice("error_route", ("instant", "cloud")),
        instant=section.opt_flag("instant"),
        duration=section.number("duration", 5.0),
        queued=section.opt_number("queued"),
        fail=section.opt_text("fail"),
        fail_at=section.number("fail_at", 0.5),
        retry_succeeds=section.flag("retry_succeeds", True),
    )


def _build_torrent(item: Any, where: str, seed: str) -> TorrentSpec:
    section = _Section(item, where, _TORRENT_KEYS)
    raw_hash = section.opt_text("info_hash") or section.opt_text("magnet")
    info_hash = info_hash_of(raw_hash) if raw_hash else None
    if info_hash is None:
        raise ScenarioError(f"{where}: needs info_hash (40 hex) or magnet")
    name = section.text("name")
    files = _build_files(section, where, f"{seed}:{info_hash}")
    if not files:
        raise ScenarioError(f"{where}: a torrent needs files")
    return TorrentSpec(
        info_hash=info_hash,
        name=name,
        files=files,
        cached=section.flag("cached", False),
        duration=section.number("duration", 5.0),
        queued=section.opt_number("queued"),
        fail=section.opt_text("fail"),
        fail_at=section.number("fail_at", 0.5),
        retry_succeeds=section.flag("retry_succeeds", True),
    )


def _build_job(
    item: Any,
    where: str,
    seed: str,
    accounts: tuple[AccountSpec, ...],
    servers: Sequence[str],
) -> JobSpec:
    section = _Section(item, where, _JOB_KEYS)
    request_id = section.text("request_id")
    if not _HEX24.match(request_id):
        raise ScenarioError(f"{where}.request_id: Offcloud ids are 24 lower-case hex digits")
    account = section.opt_text("account")
    if account is None:
        if not accounts:
            raise ScenarioError(f"{where}: a job needs an account, and there is none")
        account = accounts[0].key
    elif not any(account in (a.key, a.email) for a in accounts):
        raise ScenarioError(f"{where}.account: no account with key or email {account!r}")
    files = _build_files(section, where, f"{seed}:{request_id}")
    if not files:
        raise ScenarioError(f"{where}: a job needs files")
    is_directory = section.opt_flag("is_directory")
    if is_directory is None:
        is_directory = len(files) != 1 or "/" in files[0].path
    default_name = files[0].path.split("/")[0] if is_directory else files[0].name
    created = section.raw("created_on")
    return JobSpec(
        request_id=request_id,
        account=account,
        link=section.text("link", f"https://example-hoster.test/preset/{request_id}"),
        name=section.opt_text("name") or default_name,
        files=files,
        is_directory=is_directory,
        status=section.choice("status", JOB_STATUSES, "downloaded"),
        kind=section.choice("kind", ("cloud", "remote"), "cloud"),
        server=section.opt_text("server") or servers[0],
        site=section.opt_text("site"),
        created_on=_datetime_value(created, f"{where}.created_on") if created is not None else None,
        error=section.opt_text("error"),
        meta_data=section.opt_text("meta_data"),
        retry_succeeds=section.flag("retry_succeeds", True),
    )


def _build_direct(item: Any, where: str, seed: str) -> DirectFileSpec:
    section = _Section(item, where, ("url", "name", "size", "seed", "data_base64"))
    url = section.text("url")
    match = re.match(r"^https?://([^/:]+)(?::\d+)?(/[^?#]*)$", url)
    if match is None:
        raise ScenarioError(f"{where}.url: expected http(s)://host/path, got {url!r}")
    host, path = match.group(1).lower(), match.group(2)
    if host == "offcloud.com" or host.endswith(".offcloud.com"):
        raise ScenarioError(f"{where}.url: offcloud.com hosts are the simulator's own")
    name = section.opt_text("name") or path.rstrip("/").rpartition("/")[2] or "file"
    data: Optional[bytes] = None
    encoded = section.opt_text("data_base64")
    if encoded is not None:
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ScenarioError(f"{where}.data_base64: not base64") from None
    size_raw = section.raw("size")
    if size_raw is None and data is None:
        raise ScenarioError(f"{where}.size: required")
    size = len(data) if data is not None else parse_size(size_raw, f"{where}.size")
    if data is not None and size_raw is not None and parse_size(size_raw, f"{where}.size") != size:
        raise ScenarioError(f"{where}.size: {size_raw} but data_base64 holds {size} bytes")
    spec = FileSpec(path=name, size=size, seed=section.opt_text("seed") or f"{seed}:{url}")
    return DirectFileSpec(url=url, host=host, path=path, file=spec, data=data)


def _build_proxy(item: Any, where: str) -> ProxySpec:
    section = _Section(item, where, ("id", "name", "region"))
    return ProxySpec(
        id=section.text("id"), name=section.text("name"), region=section.text("region", "eu")
    )


def _build_remote(item: Any, where: str) -> RemoteAccountSpec:
    section = _Section(item, where, _REMOTE_KEYS)
    option_id = section.text("remote_option_id")
    return RemoteAccountSpec(
        remote_option_id=option_id,
        account_id=section.text("account_id", option_id),
        type=section.text("type", "gdrive"),
        username=section.opt_text("username") or "",
        path=section.opt_text("path") or "/",
    )


def _build_oauth(section: _Section, accounts: tuple[AccountSpec, ...]) -> OAuthOptions:
    account = section.opt_text("account")
    if account is not None and not any(account in (a.key, a.email) for a in accounts):
        raise ScenarioError(f"scenario.oauth.account: no account {account!r}")
    slow_down = section.raw("slow_down_polls") or []
    if not isinstance(slow_down, list) or not all(
        isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in slow_down
    ):
        raise ScenarioError(
            f"scenario.oauth.slow_down_polls: expected a list of poll numbers (1, 2, ...), "
            f"got {slow_down!r}"
        )
    pending = section.integer("pending_polls", 0)
    if pending < 0:
        raise ScenarioError("scenario.oauth.pending_polls: expected 0 or more")
    interval = section.number("interval", 5.0)
    expires_in = section.number("expires_in", 600.0)
    if interval <= 0 or expires_in <= 0:
        raise ScenarioError("scenario.oauth: interval and expires_in must be more than 0")
    return OAuthOptions(
        account=account,
        approve_after=section.number("approve_after", 3.0),
        interval=interval,
        expires_in=expires_in,
        pending_polls=pending,
        decision=section.choice("decision", OAUTH_DECISIONS, "approve"),
        slow_down_polls=tuple(sorted(set(slow_down))),
        enforce_interval=section.flag("enforce_interval", True),
    )


def _hex24(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]
