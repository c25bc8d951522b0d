"""The supported-host list the account plugin hands to pyLoad, and which host a link is of."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Optional
from urllib.parse import urlsplit

from ..models import Site, SiteStatus

#: Seconds until the account loads the host list again after that failed inside pyLoad (pyLoad's
#: periodical task would otherwise never run again; its first try comes 3 s after the start).
HOST_LIST_RETRY_SECONDS = 10


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


#: A bare host name of Offcloud's 2026 list (``rapidgator``), and the pattern it becomes.
#: No dot in it: pyLoad escapes dots of the entries it joins into its pattern.
_BARE_HOST = re.compile(r"^[\w-]{3,63}$")
_BARE_LABEL = r"(?<=[/@\x2e]){}(?=\x2e)"


def split_bare_hosts(names: Sequence[str]) -> tuple[list[str], list[str]]:
    """The host list's names for pyLoad's ``parse_domains``, and patterns for its bare words.

    pyLoad keeps only names with a top-level domain; Offcloud's 2026 list may name a host by a
    bare word that no pyLoad plugin has (docs/api.md L17). pyLoad builds its pattern from the
    entries, so such a word goes in as a pattern of a host label ("word." after "//", "@" or a
    dot), never as a bare substring of any link.
    """
    bare = [name.strip().lower() for name in names if _BARE_HOST.match(name.strip())]
    domains = [name for name in names if name.strip().lower() not in bare]
    return domains, [_BARE_LABEL.format(re.escape(word)) for word in bare]


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
