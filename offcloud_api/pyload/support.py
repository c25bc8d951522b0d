"""What the pyLoad plugins share, kept typed and testable outside pyLoad.

The plugin files translate between pyLoad and this module; everything that is a decision (which
hosts to list, which route a link takes, how a link maps to a remembered job, what a progress line
says) lives here.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Callable, Optional
from urllib.parse import unquote, urlsplit

from ..client import OffcloudAPI
from ..models import Job, Site, SiteStatus
from ..retry import RetryPolicy
from ..units import format_size
from .transport import PyloadTransport

__all__ = [
    "FILE_URL_PATTERN",
    "HostList",
    "abortable_sleep",
    "client_for",
    "format_progress",
    "header_value",
    "host_of",
    "hosts_from_sites",
    "job_storage_key",
    "parse_file_url",
]

#: Offcloud's file servers: ``https://<server>.offcloud.com/cloud/download/<requestId>/…``.
FILE_URL_PATTERN = r"https?://[\w.-]+\.offcloud\.com/cloud/download/\w+/.+"
_FILE_URL = re.compile(
    r"https?://(?P<server>[\w-]+)\.offcloud\.com/cloud/download/(?P<request_id>\w+)/(?P<rest>.+)"
)


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


def client_for(plugin: Any, api_key: str, should_abort: Callable[[], bool]) -> OffcloudAPI:
    """An API client that talks through ``plugin``'s pyLoad network settings."""
    return OffcloudAPI(
        api_key,
        transport=PyloadTransport(plugin),
        retry=RetryPolicy(sleep=abortable_sleep(should_abort), max_retry_after=10.0),
    )


@dataclass(frozen=True)
class HostList:
    """Supported hosts as the account plugin hands them to pyLoad, and what routing needs."""

    domains: tuple[str, ...] = ()
    cloud_only: frozenset[str] = frozenset()
    chunk_limits: dict[str, int] = field(default_factory=dict)


def hosts_from_sites(sites: Iterable[Site], *, include_awaiting: bool = False) -> HostList:
    """Domains to offer pyLoad: dead hosts and, unless asked, "awaiting demand" ones left out."""
    domains: dict[str, None] = {}
    cloud_only: set[str] = set()
    chunk_limits: dict[str, int] = {}
    for site in sites:
        if site.status is SiteStatus.AWAITING_DEMAND and not include_awaiting:
            continue
        if site.status in (SiteStatus.DEAD, SiteStatus.COMING_SOON):
            continue
        names = [name for name in site.domains if "." in name]
        for name in names:
            domains.setdefault(name, None)
            if site.cloud_only:
                cloud_only.add(name)
            if site.max_chunks is not None and site.max_chunks > 0:
                chunk_limits[name] = site.max_chunks
    return HostList(tuple(domains), frozenset(cloud_only), chunk_limits)


def host_of(url: str) -> str:
    """The lower-cased host of ``url`` without ``www.`` and port."""
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def matching_host(url: str, hosts: Iterable[str]) -> Optional[str]:
    """The entry of ``hosts`` that ``url``'s host is, or is a subdomain of."""
    host = host_of(url)
    for candidate in hosts:
        if host == candidate or host.endswith("." + candidate):
            return candidate
    return None


def job_storage_key(url: str) -> str:
    """The key under which a link's Offcloud request id is remembered (no secret in it)."""
    return "job:" + hashlib.sha256(url.strip().encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class FileUrl:
    server: str
    request_id: str
    name: str


def parse_file_url(url: str) -> Optional[FileUrl]:
    """Server, request id and file name of an Offcloud file URL, or ``None``."""
    match = _FILE_URL.match(url)
    if match is None:
        return None
    last = urlsplit(url).path.rstrip("/").rpartition("/")[2]
    return FileUrl(match.group("server"), match.group("request_id"), unquote(last))


def format_progress(job: Job) -> str:
    """One short status line for pyLoad's queue: what Offcloud is doing, how far, how fast."""
    parts = [f"Offcloud {job.status.value}"]
    if job.amount is not None and job.file_size:
        parts.append(f"{format_size(job.amount)} of {format_size(job.file_size)}")
    if job.speed:
        parts.append(f"{format_size(job.speed)}/s")
    eta = job.eta
    if eta is not None:
        parts.append(f"{eta:.0f} s left" if eta < 120 else f"{eta / 60:.0f} min left")
    return ", ".join(parts)
