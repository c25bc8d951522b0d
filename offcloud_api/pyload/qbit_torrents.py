"""Torrents an *arr app added through the qBittorrent-API bridge, as pyLoad holds them.

- **Records.** Each torrent is a record in the bridge addon's pyLoad storage (:class:`ArrStore`,
  the one place of its key formats): its info-hash, category, the pyLoad packages it became and
  what the app asked (stopped, tags). The apps therefore see the same torrents after a restart.
- **Categories and paths.** A category is a sub-folder of pyLoad's download folder; a category
  name or save path that would lead outside it (``..``, an absolute path elsewhere, a symlink
  pointing out) is refused (:func:`category_folder`, :func:`inside`).
- **State.** What a torrent's pyLoad links say (status numbers, the plugins' texts) becomes a
  qBittorrent state and the fields of ``torrents/info`` (:func:`torrent_info`). Only pyLoad's own
  state is read: no Offcloud call.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional

from .packages import clean_part
from .storage import (
    ARR_CATEGORY_PREFIX,
    ARR_TORRENT_PREFIX,
    PluginStore,
    arr_category_key,
    arr_torrent_key,
)

__all__ = [
    "ABORTED",
    "DONE_STATES",
    "DOWNLOADING",
    "ETA_UNKNOWN",
    "PROCESSING",
    "ArrStore",
    "CategoryError",
    "LinkView",
    "PackageView",
    "TorrentRecord",
    "TorrentView",
    "category_folder",
    "content_folders",
    "inside",
    "matches_filter",
    "torrent_files",
    "torrent_info",
    "torrent_view",
    "valid_category",
]

#: qBittorrent's ``eta`` when it does not know.
ETA_UNKNOWN = 8640000
#: pyLoad link statuses (``pyload.core.datatypes.pyfile.status_map``).
FINISHED, OFFLINE, ONLINE, QUEUED, SKIPPED, WAITING, TEMP_OFFLINE, STARTING = 0, 1, 2, 3, 4, 5, 6, 7
FAILED, ABORTED, DECRYPTING, CUSTOM, DOWNLOADING, PROCESSING, UNKNOWN = 8, 9, 10, 11, 12, 13, 14
_ON_DISK = frozenset({FINISHED, SKIPPED})
_BROKEN = frozenset({FAILED, OFFLINE, TEMP_OFFLINE})

#: States whose files are all on disk.
DONE_STATES = frozenset({"pausedUP", "uploading", "stalledUP", "queuedUP", "forcedUP"})
_DOWNLOADING_STATES = frozenset(
    {"downloading", "metaDL", "stalledDL", "pausedDL", "queuedDL", "forcedDL", "checkingDL"}
)
_PAUSED_STATES = frozenset({"pausedDL", "pausedUP"})

#: Texts of a wait that has a reason Offcloud gave (plugins' own words): a full cloud, a refused
#: IP, a job slot under ``max_running_jobs``. Matched after pyLoad's "waiting" status.
_STALLED_TEXT = re.compile(
    r"cloud storage is full|\bIP\b|free Offcloud slot|slot|host rests|asked to slow down"
)
#: Texts of the background loop while Offcloud fetches the torrent.
_CLOUD_WORKING = re.compile(r"Offcloud (?:downloading|processing|queued)|\d+ %")

_HEX40 = re.compile(r"^[0-9a-f]{40}$")


class CategoryError(ValueError):
    """A category name or save path the bridge refuses; the message says why."""


# --------------------------------------------------------------------------------------------
# Records


@dataclass
class TorrentRecord:
    """One torrent an app added; what survives a restart (no secret in it)."""

    info_hash: str
    name: str
    category: str
    folder: str  # the category's folder, relative to pyLoad's download folder ("" for none)
    link: str  # what pyLoad got: the magnet, or the file:// of the saved .torrent
    added_on: int
    pids: list[int] = field(default_factory=list)  # pyLoad packages: the source, then the files
    tags: list[str] = field(default_factory=list)
    size: int = 0  # from the .torrent, until pyLoad knows the files
    stopped: bool = False
    error: str = ""  # the bridge's own failure (cached_only, an unreadable .torrent ...)
    checking: bool = False  # cached_only: Offcloud's cache answer is awaited
    completion_on: int = 0

    @property
    def key(self) -> str:
        return arr_torrent_key(self.info_hash)

    def to_stored(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_stored(cls, value: Any) -> Optional[TorrentRecord]:
        if not isinstance(value, dict):
            return None
        try:
            info_hash = str(value["info_hash"]).lower()
            if not _HEX40.match(info_hash):
                return None
            return cls(
                info_hash=info_hash,
                name=str(value.get("name") or info_hash),
                category=str(value.get("category") or ""),
                folder=str(value.get("folder") or ""),
                link=str(value.get("link") or ""),
                added_on=int(value.get("added_on") or 0),
                pids=[int(p) for p in value.get("pids") or []],
                tags=[str(t) for t in value.get("tags") or []],
                size=int(value.get("size") or 0),
                stopped=bool(value.get("stopped")),
                error=str(value.get("error") or ""),
                checking=bool(value.get("checking")),
                completion_on=int(value.get("completion_on") or 0),
            )
        except (KeyError, TypeError, ValueError):
            return None


class ArrStore:
    """The bridge's records in the addon's pyLoad storage (keys: :mod:`.storage`).

    ``arr:t:<info-hash>`` a torrent (:class:`TorrentRecord`), ``arr:c:<name>`` a category
    (``{"folder": ...}``, relative to pyLoad's download folder).
    """

    def __init__(self, storage: PluginStore) -> None:
        self.storage = storage

    def torrents(self) -> list[TorrentRecord]:
        found = []
        for _key, value in self.storage.items(ARR_TORRENT_PREFIX):
            record = TorrentRecord.from_stored(value)
            if record is not None:
                found.append(record)
        return found

    def save(self, record: TorrentRecord) -> None:
        self.storage.store(record.key, record.to_stored())

    def drop(self, info_hash: str) -> None:
        self.storage.delete(arr_torrent_key(info_hash))

    def categories(self) -> dict[str, str]:
        found = {}
        for key, value in self.storage.items(ARR_CATEGORY_PREFIX):
            if isinstance(value, dict):
                found[key[len(ARR_CATEGORY_PREFIX) :]] = str(value.get("folder") or "")
        return found

    def save_category(self, name: str, folder: str) -> None:
        self.storage.store(arr_category_key(name), {"folder": folder})

    def drop_category(self, name: str) -> None:
        self.storage.delete(arr_category_key(name))


# --------------------------------------------------------------------------------------------
# Categories and paths


def valid_category(name: str) -> str:
    """``name`` as a category, or :class:`CategoryError` (qBittorrent's rules, and no escape).

    Sub-categories (``tv/anime``) are allowed; empty parts, ``.``/``..``, a leading or trailing
    ``/``, backslashes and control characters are not.
    """
    if not name or len(name) > 200:
        raise CategoryError("Invalid category name")
    if "\\" in name or any(ord(c) < 32 for c in name) or name != name.strip():
        raise CategoryError("Invalid category name")
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise CategoryError("Invalid category name")
    if any(clean_part(part) != part for part in parts):
        raise CategoryError("Invalid category name: it has characters a folder cannot have")
    return name


def category_folder(root: str, name: str, save_path: str = "") -> str:
    """The folder of category ``name``, relative to ``root`` (pyLoad's download folder).

    Without ``save_path`` it is the category's name. A ``save_path`` may be relative to ``root``
    or absolute inside it; either way the folder must stay inside ``root``, also after symlinks
    are followed.
    """
    valid_category(name)
    wanted = save_path.strip() if save_path else ""
    if not wanted:
        relative = name
    else:
        if "\\" in wanted or any(ord(c) < 32 for c in wanted):
            raise CategoryError("Invalid save path")
        absolute = os.path.normpath(Path(root) / wanted)  # an absolute ``wanted`` stays itself
        if not inside(root, absolute):
            raise CategoryError(
                "The save path must be inside pyLoad's download folder " + os.path.realpath(root)
            )
        relative = os.path.relpath(absolute, os.path.realpath(root)).replace(os.sep, "/")
        if relative == ".":
            relative = ""
    if relative and not inside(root, str(Path(root) / relative)):
        raise CategoryError("The category's folder leads outside pyLoad's download folder")
    return relative


def inside(root: str, path: str) -> bool:
    """Whether ``path`` is ``root`` or below it once both are resolved (symlinks followed)."""
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


# --------------------------------------------------------------------------------------------
# pyLoad's state, as the bridge reads it


@dataclass(frozen=True)
class LinkView:
    id: int
    url: str
    name: str
    size: int
    status: int
    text: str = ""  # pyLoad's status text (the plugins' own words for "processing")
    error: str = ""
    percent: int = 0
    speed: int = 0  # bytes per second, while downloading
    arrived: int = 0  # bytes on disk so far, while downloading


@dataclass(frozen=True)
class PackageView:
    id: int
    name: str
    folder: str  # relative to pyLoad's download folder, "/"-separated
    links: tuple[LinkView, ...]


@dataclass(frozen=True)
class TorrentView:
    """A torrent's state, worked out once and shared by info, properties and files."""

    record: TorrentRecord
    state: str
    message: str
    size: int
    done: int
    progress: float
    speed: int
    files: tuple[tuple[str, LinkView], ...]  # (path relative to save_path, link)
    content: str  # relative to pyLoad's download folder
    gone: bool  # every package of it was deleted in pyLoad


def expected_folder(record: TorrentRecord, folder: str) -> str:
    """Where a package of ``record`` belongs: its folder under the category's folder."""
    folder = folder.strip("/")
    if not record.folder or folder == record.folder or folder.startswith(record.folder + "/"):
        return folder
    return f"{record.folder}/{folder}" if folder else record.folder


def content_folders(record: TorrentRecord, packages: Sequence[PackageView]) -> str:
    """The torrent's top folder (relative to the download folder), from its file packages."""
    folders = [expected_folder(record, p.folder).split("/") for p in packages]
    folders = [parts for parts in folders if parts != [""]]
    if not folders:
        return posixpath.join(record.folder, clean_part(record.name) or record.info_hash)
    common = folders[0]
    for parts in folders[1:]:
        size = 0
        while size < min(len(common), len(parts)) and common[size] == parts[size]:
            size += 1
        common = common[:size]
    top = "/".join(common)
    if not top or top == record.folder:
        return posixpath.join(record.folder, clean_part(record.name) or record.info_hash)
    return top


def torrent_view(record: TorrentRecord, packages: Mapping[int, PackageView]) -> TorrentView:
    """The state of ``record`` from pyLoad's packages (``packages``: every package pyLoad has)."""
    mine = [packages[pid] for pid in record.pids if pid in packages]
    source_links = [link for p in mine for link in p.links if link.url == record.link]
    file_packages = [p for p in mine if any(link.url != record.link for link in p.links)]
    content = content_folders(record, file_packages)
    files: list[tuple[str, LinkView]] = []
    for package in file_packages:
        folder = expected_folder(record, package.folder)
        for link in package.links:
            if link.url == record.link:
                continue
            path = f"{folder}/{link.name}" if folder else link.name
            if record.folder and path.startswith(record.folder + "/"):
                path = path[len(record.folder) + 1 :]  # relative to the save path
            files.append((path, link))
    known = sum(link.size for _, link in files)  # pyLoad may not know the sizes yet
    size = known or record.size
    done = sum(
        link.size if link.status in _ON_DISK else min(link.arrived, link.size) for _, link in files
    )
    speed = sum(link.speed for _, link in files if link.status == DOWNLOADING)
    if len(files) == 1 and not source_links:
        content = posixpath.join(expected_folder(record, file_packages[0].folder), files[0][1].name)
    gone = not mine and not record.checking and not record.error
    state, message = _state(record, source_links, [link for _, link in files])
    if state in DONE_STATES:
        progress, done = 1.0, size
    elif known > 0:
        progress = min(done / known, 0.999)
    elif files:
        on_disk = sum(1 for _, link in files if link.status in _ON_DISK)
        progress = min(on_disk / len(files), 0.999)
    else:
        progress = 0.0
    return TorrentView(
        record=record,
        state=state,
        message=message,
        size=size,
        done=done,
        progress=progress,
        speed=speed,
        files=tuple(files),
        content=content,
        gone=gone,
    )


def _state(
    record: TorrentRecord, source: Sequence[LinkView], files: Sequence[LinkView]
) -> tuple[str, str]:
    """qBittorrent's state and the reason behind it."""
    if record.error:
        return "error", record.error
    if record.checking:
        return "metaDL", "Asking Offcloud whether it has the torrent cached"
    if source:
        link = source[0]
        if link.status in _BROKEN:
            return "error", link.error or link.text or "pyLoad could not fetch the torrent"
        if record.stopped or link.status == ABORTED:
            return "pausedDL", "Stopped"
        if link.status == WAITING:
            return "stalledDL", _waiting(link)
        if link.status == PROCESSING:
            if _STALLED_TEXT.search(link.text):
                return "stalledDL", link.text
            if _CLOUD_WORKING.search(link.text):
                return "downloading", link.text
            return "metaDL", link.text
        return "metaDL", link.text
    if not files:
        return ("pausedDL", "Stopped") if record.stopped else ("metaDL", "")
    broken = [link for link in files if link.status in _BROKEN]
    if broken:
        link = broken[0]
        return "error", f"{link.name}: {link.error or link.text or 'failed in pyLoad'}"
    if all(link.status in _ON_DISK for link in files):
        return "pausedUP", "Every file is on disk"
    if record.stopped:
        return "pausedDL", "Stopped"
    waiting = [link for link in files if link.status == WAITING]
    if waiting and not any(link.status == DOWNLOADING for link in files):
        return "stalledDL", _waiting(waiting[0])
    if any(link.status == ABORTED for link in files) and not any(
        link.status in (DOWNLOADING, STARTING, QUEUED, WAITING) for link in files
    ):
        return "pausedDL", "Stopped in pyLoad"
    return "downloading", ""


def _waiting(link: LinkView) -> str:
    """Why a link waits: the plugin's words (its error or its own status text), not pyLoad's
    bare "waiting"."""
    text = link.text if link.text.strip().lower() not in ("", "waiting") else ""
    return link.error or text or "Waiting"


def torrent_info(view: TorrentView, root: str, now: int) -> dict[str, Any]:
    """The ``torrents/info`` entry of a torrent (qBittorrent 4.6's fields)."""
    record = view.record
    save_path = _absolute(root, record.folder)
    eta = ETA_UNKNOWN
    if view.speed > 0 and view.state == "downloading":
        eta = int(max(view.size - view.done, 0) / view.speed)
    completion_on = record.completion_on if view.state in DONE_STATES else 0
    return {
        "hash": record.info_hash,
        "infohash_v1": record.info_hash,
        "infohash_v2": "",
        "name": record.name,
        "size": view.size,
        "total_size": view.size,
        "progress": round(view.progress, 4),
        "eta": eta,
        "dlspeed": view.speed,
        "upspeed": 0,
        "state": view.state,
        "category": record.category,
        "tags": ", ".join(record.tags),
        "save_path": save_path,
        "download_path": "",
        "content_path": _absolute(root, view.content),
        "root_path": _absolute(root, view.content) if len(view.files) != 1 else "",
        "magnet_uri": record.link if record.link.startswith("magnet:") else "",
        "ratio": 0,
        "ratio_limit": -2,
        "seeding_time_limit": -2,
        "inactive_seeding_time_limit": -2,
        "max_ratio": -1,
        "max_seeding_time": -1,
        "max_inactive_seeding_time": -1,
        "seeding_time": 0,
        "time_active": max(0, now - record.added_on),
        "last_activity": now if view.state == "downloading" else record.added_on,
        "added_on": record.added_on,
        "completion_on": completion_on,
        "downloaded": view.done,
        "downloaded_session": view.done,
        "uploaded": 0,
        "uploaded_session": 0,
        "amount_left": max(view.size - view.done, 0),
        "completed": view.done,
        "num_seeds": 0,
        "num_complete": 0,
        "num_leechs": 0,
        "num_incomplete": 0,
        "priority": 0,
        "force_start": False,
        "auto_tmm": False,
        "seq_dl": False,
        "f_l_piece_prio": False,
        "super_seeding": False,
        "dl_limit": 0,
        "up_limit": 0,
        "availability": -1,
        "tracker": "",
        "trackers_count": 0,
        "private": False,
        "comment": view.message,
    }


def torrent_properties(view: TorrentView, root: str, now: int) -> dict[str, Any]:
    """The ``torrents/properties`` answer of a torrent."""
    record = view.record
    return {
        "hash": record.info_hash,
        "infohash_v1": record.info_hash,
        "infohash_v2": "",
        "name": record.name,
        "save_path": _absolute(root, record.folder),
        "download_path": "",
        "creation_date": record.added_on,
        "addition_date": record.added_on,
        "completion_date": record.completion_on if view.state in DONE_STATES else -1,
        "comment": view.message,
        "created_by": "",
        "piece_size": 0,
        "pieces_have": 0,
        "pieces_num": 0,
        "total_size": view.size,
        "total_downloaded": view.done,
        "total_downloaded_session": view.done,
        "total_uploaded": 0,
        "total_uploaded_session": 0,
        "total_wasted": 0,
        "dl_speed": view.speed,
        "dl_speed_avg": view.speed,
        "up_speed": 0,
        "up_speed_avg": 0,
        "dl_limit": -1,
        "up_limit": -1,
        "eta": ETA_UNKNOWN,
        "time_elapsed": max(0, now - record.added_on),
        "seeding_time": 0,
        "nb_connections": 0,
        "nb_connections_limit": 0,
        "peers": 0,
        "peers_total": 0,
        "seeds": 0,
        "seeds_total": 0,
        "share_ratio": 0,
        "reannounce": 0,
        "last_seen": now if view.state == "downloading" else -1,
        "is_private": False,
    }


def torrent_files(view: TorrentView) -> list[dict[str, Any]]:
    """The ``torrents/files`` answer: each file's path relative to ``save_path``."""
    entries = []
    for index, (path, link) in enumerate(view.files):
        if link.status in _ON_DISK:
            progress = 1.0
        elif link.size > 0:
            progress = min(link.arrived / link.size, 0.999)
        else:
            progress = 0.0
        entries.append(
            {
                "index": index,
                "name": path,
                "size": link.size,
                "progress": round(progress, 4),
                "priority": 1,
                "is_seed": link.status in _ON_DISK,
                "piece_range": [0, 0],
                "availability": -1,
            }
        )
    return entries


def _absolute(root: str, relative: str) -> str:
    # String joins: this runs a few times per torrent on every poll (posixpath.relpath and
    # pathlib cost more than the rest of the answer). ``relative`` is clean already.
    root = root.rstrip("/") or "/"
    return f"{root}/{relative}" if relative else root


#: ``torrents/info``'s ``filter`` values and the states each takes.
_FILTERS: dict[str, frozenset[str]] = {
    "downloading": _DOWNLOADING_STATES,
    "seeding": frozenset({"uploading", "stalledUP", "forcedUP"}),
    "completed": DONE_STATES,
    "paused": _PAUSED_STATES,
    "stopped": _PAUSED_STATES,
    "stalled": frozenset({"stalledDL", "stalledUP"}),
    "stalled_uploading": frozenset({"stalledUP"}),
    "stalled_downloading": frozenset({"stalledDL"}),
    "errored": frozenset({"error", "missingFiles"}),
}


def matches_filter(info: Mapping[str, Any], name: str) -> bool:
    """Whether a ``torrents/info`` entry passes qBittorrent's ``filter`` ``name``."""
    name = (name or "all").strip().lower()
    state = str(info.get("state"))
    if name == "all":
        return True
    if name in ("resumed", "running"):
        return state not in _PAUSED_STATES
    if name == "active":
        return int(info.get("dlspeed") or 0) > 0
    if name == "inactive":
        return int(info.get("dlspeed") or 0) == 0
    states = _FILTERS.get(name)
    return states is not None and state in states


def split_hashes(value: str) -> list[str]:
    """The ``hashes`` argument: ``|``-separated info-hashes (lower-cased), or ``all``."""
    return [part.strip().lower() for part in value.split("|") if part.strip()]


def records_for(records: Iterable[TorrentRecord], hashes: str) -> list[TorrentRecord]:
    wanted = split_hashes(hashes)
    if wanted == ["all"]:
        return list(records)
    chosen = set(wanted)
    return [record for record in records if record.info_hash in chosen]
