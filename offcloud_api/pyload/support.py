"""What the pyLoad plugins share, kept typed and testable outside pyLoad.

The plugin files translate between pyLoad and this module; everything that is a decision (which
hosts to list, which route a link takes, how a link maps to a remembered job, what a progress line
says) lives here.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from base64 import b85decode, b85encode
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Callable, Optional
from urllib.parse import unquote, urlsplit

from ..client import OffcloudAPI
from ..models import Job, JobStatus, Site, SiteStatus
from ..redact import mask_file_links
from ..retry import RetryPolicy
from ..units import format_size
from .transport import PyloadTransport

__all__ = [
    "FILE_URL_PATTERN",
    "FileLinkStore",
    "HostList",
    "HostListChoice",
    "abortable_sleep",
    "choose_host_list",
    "client_for",
    "decode_stored",
    "file_link_key",
    "format_progress",
    "has_headers",
    "header_value",
    "host_of",
    "hosts_from_sites",
    "job_storage_key",
    "log_safe",
    "log_safe_args",
    "mask_file_links",
    "parse_file_url",
]

#: Offcloud's file links: the legacy file servers
#: (``https://<server>.offcloud.com/cloud/download/<requestId>/…``) and, since 2026, the CDN that
#: explore answers with (``https://1-cdn2-ovh-fra.energycdn.com/cdn3sto/<store>-sto/…/<name>``,
#: docs/api.md L11; the node and the store vary, so the domain is matched).
FILE_URL_PATTERN = (
    r"https?://(?:[\w.-]+\.offcloud\.com/cloud/download/\w+/|(?:[\w-]+\.)*energycdn\.com/).+"
)
_FILE_URL = re.compile(
    r"https?://(?P<server>[\w-]+)\.offcloud\.com/cloud/download/(?P<request_id>\w+)/(?P<rest>.+)"
)
_CDN_URL = re.compile(r"https?://(?P<host>(?:[\w-]+\.)*energycdn\.com)(?::\d+)?/(?P<path>\S+)")


def header_value(headers: Any, name: str) -> Optional[str]:
    """A header from pyLoad's ``HttpHeaders`` (or any mapping), whatever the case of its name."""
    try:
        names = list(headers.keys())
    except AttributeError:
        return None
    wanted = name.lower()
    for candidate in names:
        if str(candidate).lower() == wanted:
            value = headers.get(candidate)
            return None if value is None else str(value)
    return None


def has_headers(headers: Any) -> bool:
    """Whether pyLoad's ``HttpHeaders`` (or any mapping) hold any header at all."""
    try:
        return bool(list(headers.keys()))
    except AttributeError:
        return False


def abortable_sleep(should_abort: Callable[[], bool]) -> Callable[[float], None]:
    """A ``sleep`` for retry waits that returns early when pyLoad asks the link to stop."""

    def sleep(seconds: float) -> None:
        end = time.monotonic() + seconds
        while not should_abort():
            left = end - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(0.2, left))

    return sleep


def client_for(
    plugin: Any,
    api_key: str,
    should_abort: Callable[[], bool],
    *,
    api_generation: Optional[str] = None,
) -> OffcloudAPI:
    """An API client that talks through ``plugin``'s pyLoad network settings.

    ``api_generation`` is what the account check learned (``"2026"`` or ``"legacy"``), so the
    client calls no route the account's API lacks (instant on 2026, docs/api.md L4).
    Calls that are safe to repeat ride out a burst of transient errors in seconds
    (:meth:`RetryPolicy.for_bursts`), waiting what a 429 or 503 asks up to 10 s; the waits end
    early when pyLoad stops the link.
    """
    return OffcloudAPI(
        api_key,
        transport=PyloadTransport(plugin),
        retry=RetryPolicy.for_bursts(abortable_sleep(should_abort), max_retry_after=10.0),
        api_generation=api_generation,
    )


@dataclass(frozen=True)
class HostList:
    """Supported hosts as the account plugin hands them to pyLoad, and what routing needs."""

    domains: tuple[str, ...] = ()
    cloud_only: frozenset[str] = frozenset()
    chunk_limits: dict[str, int] = field(default_factory=dict)


def hosts_from_sites(
    sites: Iterable[Site],
    *,
    include_awaiting: bool = False,
    plugin_names: Iterable[str] = (),
) -> HostList:
    """Hosts to offer pyLoad: dead hosts and, unless asked, "awaiting demand" ones left out.

    Offcloud's 2026 list may name a host by a bare word (``rapidgator``) rather than a domain
    (docs/api.md L17). pyLoad registers domains, so a bare word becomes the domain of
    the pyLoad plugin it names (``RapidgatorNet`` → ``rapidgator.net``, from ``plugin_names``,
    pyLoad's downloader plugins), and stays a bare word where no plugin has it: pyLoad then
    matches it anywhere in a link, as ResolveURL does.
    """
    plugin_domains = _plugin_domains(plugin_names)
    domains: dict[str, None] = {}
    cloud_only: set[str] = set()
    chunk_limits: dict[str, int] = {}
    for site in sites:
        if site.status is SiteStatus.AWAITING_DEMAND and not include_awaiting:
            continue
        if site.status in (SiteStatus.DEAD, SiteStatus.COMING_SOON):
            continue
        names = [name for name in site.domains if "." in name]
        if not names:
            bare = [_bare(name) for name in site.domains]
            names = [plugin_domains.get(word, word) for word in bare if len(word) >= 3]
        for name in names:
            domains.setdefault(name, None)
            if site.cloud_only:
                cloud_only.add(name)
            if site.max_chunks is not None and site.max_chunks > 0:
                chunk_limits[name] = site.max_chunks
    return HostList(tuple(domains), frozenset(cloud_only), chunk_limits)


@dataclass(frozen=True)
class HostListChoice:
    """The hosts the account hands pyLoad, and a warning when they are not Offcloud's answer."""

    hosts: list[str]
    fresh: bool
    warning: Optional[str] = None


def choose_host_list(
    fresh: Optional[HostList], last_good: Sequence[str], problem: Optional[str] = None
) -> HostListChoice:
    """Offcloud's list when it has hosts; else the last good one, with the reason.

    An empty, unreadable or failed answer (``fresh`` empty or ``None``, ``problem`` saying why)
    must not switch the multi-hoster off without a word (docs/api.md L17).
    """
    if fresh is not None and fresh.domains:
        return HostListChoice(list(fresh.domains), fresh=True)
    why = problem or "Offcloud's list of supported hosts was empty"
    if last_good:
        return HostListChoice(
            list(last_good),
            fresh=False,
            warning=f"{why}; keeping the last good list of {len(last_good)} hosts",
        )
    return HostListChoice(
        [],
        fresh=False,
        warning=f"{why}; no earlier list to keep: no hoster links go to Offcloud yet",
    )


def _bare(name: str) -> str:
    return re.sub(r"[^\w-]", "", name.strip().lower())


_CAMEL_PART = re.compile(r"[A-Z0-9][a-z0-9]*")


def _plugin_domains(plugin_names: Iterable[str]) -> dict[str, str]:
    """Bare word → domain from pyLoad's plugin naming (``RapidgatorNet``, ``NitroflareCom``).

    A plugin is named after its domain without dots, one capital per label; the last label is
    the top-level domain. Plugins whose name does not split that way are left out.
    """
    found: dict[str, str] = {}
    for plugin in plugin_names:
        parts = _CAMEL_PART.findall(plugin)
        if len(parts) < 2 or "".join(parts) != plugin:
            continue
        stem, tld = "".join(parts[:-1]).lower(), parts[-1].lower()
        if len(tld) >= 2 and tld.isalpha():
            found.setdefault(stem, f"{stem}.{tld}")
    return found


def host_of(url: str) -> str:
    """The lower-cased host of ``url`` without ``www.`` and port."""
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def matching_host(url: str, hosts: Iterable[str]) -> Optional[str]:
    """The entry of ``hosts`` that ``url``'s host is, or is a subdomain of.

    A bare word (no dot, Offcloud's 2026 naming) matches a host that has it as a label
    (``rapidgator`` matches ``rapidgator.net``, not ``notrapidgator.net``).
    """
    host = host_of(url)
    labels = host.split(".")
    for candidate in hosts:
        if host == candidate or host.endswith("." + candidate):
            return candidate
        if "." not in candidate and candidate in labels[:-1]:
            return candidate
    return None


def _url_digest(url: str) -> str:
    return hashlib.sha256(url.strip().encode("utf-8")).hexdigest()[:32]


def job_storage_key(url: str) -> str:
    """The key under which a link's Offcloud request id is remembered (no secret in it)."""
    return "job:" + _url_digest(url)


def file_link_key(url: str) -> str:
    """The key under which an Offcloud file link's job and path are remembered.

    A CDN file link carries no request id (L11), so whoever queues or follows one notes its job
    here; the refresh of an expired link, ``remove_finished`` and the clean-up addon read it.
    Separate from :func:`job_storage_key`: a file link is never a job the downloader follows.
    """
    return "file:" + _url_digest(url)


@dataclass(frozen=True)
class FileUrl:
    """What an Offcloud file link says of itself; ``request_id`` is ``None`` for a CDN link."""

    server: str
    request_id: Optional[str]
    name: str


def parse_file_url(url: str) -> Optional[FileUrl]:
    """Server, request id (where the URL has one) and file name of an Offcloud file link."""
    match = _FILE_URL.match(url)
    if match is not None:
        server, request_id = match.group("server"), match.group("request_id")
    else:
        cdn = _CDN_URL.match(url)
        if cdn is None:
            return None
        server, request_id = cdn.group("host").lower(), None
    last = urlsplit(url).path.rstrip("/").rpartition("/")[2]
    return FileUrl(server, request_id, unquote(last))


# A removal is a GET that deletes (docs/api.md L15): its URL is never logged whole.
_REMOVAL_URL = re.compile(r"(/cloud/remove/)[^\s/?#\"'<>|]+")


def log_safe(text: str) -> str:
    """``text`` for pyLoad's log: CDN signatures (L11) and removal URLs (L15) masked."""
    return _REMOVAL_URL.sub(r"\g<1>***", mask_file_links(text))


def log_safe_args(args: Iterable[Any]) -> tuple[Any, ...]:
    """A plugin's log arguments with :func:`log_safe` applied to the texts among them."""
    return tuple(log_safe(arg) if isinstance(arg, str) else arg for arg in args)


class FileLinkStore:
    """The downloader's pyLoad storage, written by any Offcloud plugin: which job a file link is of.

    pyLoad's ``self.db`` is per plugin; the decrypters queue the links the downloader
    (``OffcloudCom``) downloads, so they write into its storage, in pyLoad's own encoding
    (base85 of JSON, as ``pyload.plugins.helpers.DB``). Values: ``{"request_id", "path"}``.
    """

    PLUGIN = "OffcloudCom"

    def __init__(self, database: Any) -> None:
        self._db = database

    def remember(self, request_id: str, files: Iterable[Any]) -> None:
        """Note the job of each file (``CloudFile``-like: ``url`` and ``path``)."""
        for file in files:
            value = {"request_id": request_id, "path": getattr(file, "path", None) or file.name}
            self._db.set_storage(self.PLUGIN, file_link_key(file.url), _encode(value))

    def lookup(self, url: str) -> Optional[dict[str, Any]]:
        """``{"request_id", "path"}`` of a file link noted before, else ``None``."""
        raw = self._db.get_storage(self.PLUGIN, file_link_key(url))
        value = decode_stored(raw) if raw else None
        return value if isinstance(value, dict) and value.get("request_id") else None

    def job_of(self, url: str) -> Optional[str]:
        """The request id noted for a file link, else ``None`` (a ``JobLookup``)."""
        note = self.lookup(url)
        return str(note["request_id"]) if note else None

    def forget(self, url: str) -> None:
        self._db.del_storage(self.PLUGIN, file_link_key(url))


def decode_stored(value: Any) -> Any:
    """A pyLoad plugin-storage value: base85 of JSON (``DB.store``) or plain JSON; else None."""
    if not isinstance(value, (str, bytes)):
        return value
    raw = value.encode() if isinstance(value, str) else value
    try:
        text = b85decode(raw).decode("utf-8")
    except ValueError:  # not base85 (UnicodeDecodeError is a ValueError too): plain JSON?
        text = raw.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return None


def _encode(value: Any) -> str:
    return b85encode(json.dumps(value, ensure_ascii=False).encode("utf-8")).decode("ascii")


def format_progress(job: Job) -> str:
    """One short status line for pyLoad's queue: what Offcloud is doing, how far, how fast."""
    parts = [f"Offcloud {job.status.value}"]
    if job.amount is not None and job.file_size:
        parts.append(f"{format_size(job.amount)} of {format_size(job.file_size)}")
    elif job.fraction_done is not None and job.fraction_done > 0:
        # The 2026 status has a fraction and no sizes (docs/api.md L8).
        parts.append(f"{job.fraction_done * 100:.0f} %")
    if job.message and job.status is JobStatus.CREATED:
        parts.append(job.message)  # "Loading..." while Offcloud has not started it (L7)
    if job.speed:
        parts.append(f"{format_size(job.speed)}/s")
    eta = job.eta
    if eta is not None:
        parts.append(f"{eta:.0f} s left" if eta < 120 else f"{eta / 60:.0f} min left")
    return ", ".join(parts)
