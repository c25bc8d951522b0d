"""What the ``OffcloudComHook`` addon decides as links enter pyLoad (typed, testable alone).

- **Torrent routing.** pyLoad matches a link against decrypters first, in the order of its plugin
  index, and the first match wins (docs/pyload.md §1.3). ``OffcloudComTorrent`` has its own
  pattern for magnets and .torrent links, so with pyLoad's TORRENT addon set to "None" it gets them
  anyway. When TORRENT names another service's decrypter, TORRENT gives that decrypter the same
  pattern (§2.6), and being a core plugin it comes earlier in the index and would win.
  :func:`decrypter_order` puts ours first instead; TORRENT's own pattern rewriting is left alone,
  so turning the option off (or removing the Offcloud account) hands torrents back to it.
- **Batch cache check.** :func:`torrent_query` gives the info-hash and the magnet to ask Offcloud
  about, for magnets and for .torrent files pyLoad saved in its temp folder. It runs in pyLoad's
  event thread, so it reads no file list and no .torrent that would take long to walk
  (:data:`MAX_EVENT_TOKENS`); such a link goes to the decrypter, which reads it in its own thread.
- **Cloud only.** :func:`plan_cloud_only` splits added links into those Offcloud takes as cloud
  jobs, those already in the Offcloud cloud, and those left to pyLoad.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional
from urllib.parse import parse_qs, urlsplit
from urllib.request import url2pathname

from ..magnet import info_hash_of, is_magnet
from ..torrent import MAX_TORRENT_BYTES, TorrentError, TorrentInfo, parse_torrent, token_bound
from .links import parse_file_url
from .storage import DOWNLOADER, FOLDER_DECRYPTER, TORRENT_DECRYPTER

__all__ = [
    "MAX_EVENT_TOKENS",
    "OFFCLOUD_PLUGINS",
    "CloudOnlyPlan",
    "TorrentQuery",
    "decrypter_order",
    "local_torrent_path",
    "offcloud_plugin_names",
    "own_upload_path",
    "plan_cloud_only",
    "route_torrent_decrypter",
    "submission_for",
    "torrent_query",
]

#: Our plugins in pyLoad's index.
OFFCLOUD_PLUGINS = frozenset({DOWNLOADER, TORRENT_DECRYPTER, FOLDER_DECRYPTER})

#: The most steps (:func:`~offcloud_api.torrent.token_bound`) a saved .torrent may take to walk
#: in pyLoad's event thread: 0.2 s at worst, a torrent of some 15 000 files. Its size
#: alone does not count: the pieces, most of a big .torrent, are stepped over in one go.
MAX_EVENT_TOKENS = 250_000
#: pyLoad's TORRENT container names its copy of an uploaded .torrent ``tmp_<name>.torrent``.
UPLOAD_PREFIX = "tmp_"


def decrypter_order(names: Sequence[str], ours: str, *, first: bool) -> list[str]:
    """pyLoad's decrypter index order with ``ours`` first (``first``) or back at the end.

    The end is where pyLoad puts a plugin from the user folder that overrides nothing, so "not
    first" is the order pyLoad itself would have. A missing ``ours`` leaves the order unchanged.
    """
    order = list(names)
    if ours not in order:
        return order
    order.remove(ours)
    return [ours, *order] if first else [*order, ours]


def route_torrent_decrypter(manager: Any, *, first: bool) -> bool:
    """Put our torrent decrypter first in pyLoad's decrypter index (``first``), or back where
    pyLoad would have it (:func:`decrypter_order`). ``manager`` is pyLoad's plugin manager.

    False: our decrypter is not in the index (nothing changed).
    """
    decrypters = manager.plugins.get("decrypter") or {}
    if TORRENT_DECRYPTER not in decrypters:
        return False
    names = list(decrypters)
    order = decrypter_order(names, TORRENT_DECRYPTER, first=first)
    if order != names:
        # A new dict, swapped in whole: a lookup running meanwhile keeps the old one.
        index = {name: decrypters[name] for name in order}
        manager.decrypter_plugins = index
        manager.plugins["decrypter"] = index
    return True


def offcloud_plugin_names(downloaders: Mapping[str, Any]) -> set[str]:
    """Plugin names whose links Offcloud handles: ours, and hoster plugins the account overrode.

    ``downloaders`` is pyLoad's downloader index; ``MultiAccount`` marks a hoster plugin it routes
    to us with ``new_name`` (docs/pyload.md §2.2).
    """
    names = set(OFFCLOUD_PLUGINS)
    for name, entry in downloaders.items():
        if isinstance(entry, Mapping) and entry.get("new_name") == DOWNLOADER:
            names.add(name)
    return names


def local_torrent_path(url: str, tempdir: str) -> Optional[str]:
    """The local path of a ``file://`` .torrent link, only if it lies inside ``tempdir``.

    pyLoad's TORRENT container saves uploads there and links them as ``file://``; any other local
    file is refused, so a link cannot make the plugins read (and send) arbitrary files. A link
    that names no usable path (a NUL byte, a malformed address) is refused too, never raised.
    """
    if not url.lower().startswith("file://") or not tempdir:
        return None
    try:
        path = os.path.realpath(url2pathname(urlsplit(url).path))
        root = os.path.realpath(tempdir)
        inside = os.path.commonpath([path, root]) == root
    except ValueError:  # a NUL byte, a bad address, different drives on Windows
        return None
    return path if inside and path != root else None


def own_upload_path(url: str, tempdir: str) -> Optional[str]:
    """The path of a ``file://`` .torrent that pyLoad's TORRENT container wrote, else ``None``.

    Only such a copy (``tmp_<name>.torrent`` in the temp folder) may be deleted once sent: a
    .torrent the user keeps in that folder and linked is the user's.
    """
    path = local_torrent_path(url, tempdir)
    if path is None or not Path(path).name.startswith(UPLOAD_PREFIX):
        return None
    return path


def _read_capped(path: str) -> Optional[bytes]:
    """The bytes of a regular file of at most MAX_TORRENT_BYTES; never blocks on a FIFO."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as file:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_TORRENT_BYTES:
            return None
        return file.read(status.st_size)


def _read_local_torrent(url: str, tempdir: str, *, in_event_thread: bool) -> Optional[TorrentInfo]:
    """A saved .torrent, read whole (``in_event_thread``: no file list, within the budget)."""
    path = local_torrent_path(url, tempdir)
    if path is None:
        return None
    try:
        data = _read_capped(path)
        if data is None:
            return None
        if in_event_thread:
            if token_bound(data) > MAX_EVENT_TOKENS:
                return None
            return parse_torrent(data, list_files=False)
        return parse_torrent(data)
    except (OSError, TorrentError):
        return None


@dataclass(frozen=True)
class TorrentQuery:
    """What to ask Offcloud's cache about for one added link."""

    url: str
    info_hash: str
    query: str  # a magnet link
    name: Optional[str] = None  # the magnet's dn or the .torrent's name


def torrent_query(url: str, tempdir: str) -> Optional[TorrentQuery]:
    """Info-hash and magnet of a magnet link or of a .torrent pyLoad saved; else ``None``.

    A .torrent behind an ``http(s)`` URL is not fetched here (the decrypter does that).
    """
    if is_magnet(url):
        info_hash = info_hash_of(url)
        return TorrentQuery(url, info_hash, url.strip(), _display_name(url)) if info_hash else None
    info = _read_local_torrent(url, tempdir, in_event_thread=True)
    if info is None:
        return None
    return TorrentQuery(url, info.info_hash, info.magnet, info.name)


def _display_name(magnet: str) -> Optional[str]:
    names = parse_qs(urlsplit(magnet.strip()).query).get("dn")
    return (names[0].strip() or None) if names else None


def submission_for(url: str, tempdir: str) -> Optional[str]:
    """What to send Offcloud as a cloud job for ``url``: a magnet for a saved .torrent (the API
    takes no upload), the link itself otherwise; ``None`` for a local file it may not read."""
    if url.lower().startswith("file://"):
        info = _read_local_torrent(url, tempdir, in_event_thread=False)
        return info.magnet if info is not None else None
    return url.strip()


@dataclass(frozen=True)
class CloudOnlyPlan:
    """Added links split for cloud-only mode."""

    send: list[str] = field(default_factory=list)  # to Offcloud as cloud jobs
    in_cloud: list[str] = field(default_factory=list)  # Offcloud file and job links: already there
    keep: list[str] = field(default_factory=list)  # left to pyLoad (other services, containers)

    @property
    def taken(self) -> list[str]:
        return [*self.send, *self.in_cloud]


def plan_cloud_only(
    matches: Iterable[tuple[str, str]], offcloud_plugins: Collection[str]
) -> CloudOnlyPlan:
    """Split ``(url, plugin name)`` pairs (pyLoad's ``parse_urls``) for cloud-only mode.

    Links a plugin of ours (or a hoster plugin routed to Offcloud) would take go to the cloud;
    links to Offcloud files and jobs are already there; the rest (other services, pyLoad's own
    containers, whose output comes back through here) stays with pyLoad. A link Offcloud takes
    counts once however often it was added.
    """
    plan = CloudOnlyPlan()
    seen: set[str] = set()
    for url, plugin in matches:
        if plugin not in offcloud_plugins:
            plan.keep.append(url)
            continue
        if url in seen:
            continue
        seen.add(url)
        if plugin == FOLDER_DECRYPTER or parse_file_url(url) is not None:
            plan.in_cloud.append(url)
        else:
            plan.send.append(url)
    return plan
