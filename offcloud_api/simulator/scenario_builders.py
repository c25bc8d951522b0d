"""From a scenario document to the model: every key checked, every default filled in.

:func:`build_scenario` takes the document (``extends`` already resolved by
:mod:`.scenario_loading`) and builds the frozen :class:`~.scenario.Scenario`; each ``_build_*``
builds one kind of entry and names its keys, so an unknown key fails with its place.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Any, Optional

from ..magnet import info_hash_of
from .files import FileSpec
from .scenario import (
    API_PROFILES,
    FILE_URL_STYLES,
    JOB_STATUSES,
    LINK_KINDS,
    OAUTH_DECISIONS,
    PROFILE_DEFAULTS,
    SITE_STATUSES,
    AccountSpec,
    ApiOptions,
    DirectFileSpec,
    JobSpec,
    LinkSpec,
    OAuthOptions,
    ProxySpec,
    RemoteAccountSpec,
    Scenario,
    ScenarioError,
    SiteSpec,
    TorrentSpec,
)
from .scenario_fields import Section, date_value, datetime_value, parse_size

__all__ = ["build_scenario"]

_KEY_PATTERN = re.compile(r"^[A-Za-z0-9]{32}$")
_HEX24 = re.compile(r"^[0-9a-f]{24}$")

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


def build_scenario(data: Mapping[str, Any]) -> Scenario:
    top = Section(data, "scenario", _TOP_KEYS)
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


def _build_api(section: Section) -> ApiOptions:
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


def _opt_status(section: Section, name: str) -> Optional[int]:
    """An optional HTTP status (100-599)."""
    if not section.has(name):
        return None
    value = section.integer(name, 200)
    if not 100 <= value <= 599:
        raise ScenarioError(f"{section.where}.{name}: expected an HTTP status, got {value}")
    return value


def _build_account(item: Any, where: str) -> AccountSpec:
    section = Section(item, where, _ACCOUNT_KEYS)
    key = section.text("key")
    if not _KEY_PATTERN.match(key):
        raise ScenarioError(f"{where}.key: an Offcloud key is 32 letters and digits")
    expiration: Optional[date] = None
    if section.has("expiration_date"):
        expiration = date_value(section.raw("expiration_date"), f"{where}.expiration_date")
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
    section = Section(item, where, _SITE_KEYS)
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
    section = Section(item, where, ("path", "name", "size", "seed"))
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


def _build_files(section: Section, where: str, seed: str) -> tuple[FileSpec, ...]:
    files: list[FileSpec] = []
    if section.has("file"):
        files.append(_build_file(section.raw("file"), f"{where}.file", seed))
    else:
        section.raw("file")
    files.extend(_build_file(item, w, seed) for item, w in section.items("files"))
    return tuple(files)


def _build_link(item: Any, where: str, seed: str) -> LinkSpec:
    section = Section(item, where, _LINK_KEYS)
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
    section = Section(item, where, _TORRENT_KEYS)
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
    section = Section(item, where, _JOB_KEYS)
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
        created_on=datetime_value(created, f"{where}.created_on") if created is not None else None,
        error=section.opt_text("error"),
        meta_data=section.opt_text("meta_data"),
        retry_succeeds=section.flag("retry_succeeds", True),
    )


def _build_direct(item: Any, where: str, seed: str) -> DirectFileSpec:
    section = Section(item, where, ("url", "name", "size", "seed", "data_base64"))
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
    section = Section(item, where, ("id", "name", "region"))
    return ProxySpec(
        id=section.text("id"), name=section.text("name"), region=section.text("region", "eu")
    )


def _build_remote(item: Any, where: str) -> RemoteAccountSpec:
    section = Section(item, where, _REMOTE_KEYS)
    option_id = section.text("remote_option_id")
    return RemoteAccountSpec(
        remote_option_id=option_id,
        account_id=section.text("account_id", option_id),
        type=section.text("type", "gdrive"),
        username=section.opt_text("username") or "",
        path=section.opt_text("path") or "/",
    )


def _build_oauth(section: Section, accounts: tuple[AccountSpec, ...]) -> OAuthOptions:
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
