"""pyLoad's queue and download folder as the qBittorrent-API bridge reads and cleans them.

:func:`pyload_packages` turns pyLoad's queue data (two database reads for everything, plus the
live numbers of running downloads) into :class:`~.qbit_torrents.PackageView` objects;
:func:`files_to_delete` and :func:`remove_files` delete the files a torrent's packages wrote, and
nothing else: only paths inside pyLoad's download folder, never through a symlink, and only
folders left empty.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Callable, Optional

from .cleanup import Link, protected_request_ids
from .intake import UPLOAD_PREFIX
from .qbit_torrents import (
    ABORTED,
    DOWNLOADING,
    PROCESSING,
    LinkView,
    PackageView,
    TorrentRecord,
    inside,
)
from .storage import (
    HOOK_STORAGE,
    JOB_PREFIX,
    TORRENT_DECRYPTER,
    PluginStore,
    torrent_job_key,
)

__all__ = [
    "TorrentJobs",
    "drop_unread_upload",
    "files_to_delete",
    "job_may_go",
    "pyload_packages",
    "remove_files",
    "save_upload",
    "upload_path",
]

log = logging.getLogger(__name__)

#: pyLoad writes a download in parts named ``<file>.chunk<N>`` until it is finished.
MAX_CHUNKS = 32


def _live(files: Any, link_id: int, status: int) -> tuple[int, int, int]:
    """(percent, speed, bytes arrived) of a running download, from pyLoad's link cache."""
    pyfile = files.cache.get(link_id) if status == DOWNLOADING else None
    if pyfile is None:
        return 0, 0, 0
    try:
        request = pyfile.plugin.req
        return int(pyfile.get_percent() or 0), int(request.speed or 0), int(request.arrived or 0)
    except AttributeError:  # the plugin is between two states
        return int(getattr(pyfile, "progress", 0) or 0), 0, 0


def pyload_packages(
    files: Any, destinations: Iterable[Any], followed: Optional[Callable[[int], bool]] = None
) -> dict[int, PackageView]:
    """Every package of pyLoad's ``files`` manager in ``destinations`` (queue, collector).

    ``followed`` tells the links the background loop follows: a plugin hands one over by
    aborting its thread, so it stands "aborted" until the loop shows its state; it is
    "processing" here from the start.
    """
    found: dict[int, PackageView] = {}
    cache = dict(getattr(files, "cache", {}) or {})
    for destination in destinations:
        for pid, package in files.get_complete_data(destination).items():
            links = []
            for fid, link in dict(package.get("links") or {}).items():
                status = int(link.get("status") or 0)
                text = str(link.get("statusmsg") or "")
                if status == ABORTED and followed is not None and followed(int(fid)):
                    status, text = PROCESSING, "Offcloud job followed in the background"
                percent, speed, arrived = (0, 0, 0)
                if int(fid) in cache:
                    percent, speed, arrived = _live(files, int(fid), status)
                links.append(
                    LinkView(
                        id=int(fid),
                        url=str(link.get("url") or ""),
                        name=str(link.get("name") or ""),
                        size=int(link.get("size") or 0),
                        status=status,
                        text=text,
                        error=str(link.get("error") or ""),
                        percent=percent,
                        speed=speed,
                        arrived=arrived,
                    )
                )
            found[int(pid)] = PackageView(
                id=int(pid),
                name=str(package.get("name") or ""),
                folder=str(package.get("folder") or ""),
                links=tuple(sorted(links, key=lambda link: link.id)),
            )
    return found


def files_to_delete(root: str, packages: Iterable[Mapping[str, Any]]) -> list[str]:
    """The files pyLoad's packages (``get_package_data`` dicts) wrote under ``root``.

    A link's file is ``<root>/<package folder>/<link name>``, with its unfinished parts. A path
    that leads outside ``root`` or through a symlink is left out.
    """
    found: list[str] = []
    for package in packages:
        folder = str(package.get("folder") or "")
        for link in dict(package.get("links") or {}).values():
            name = str(link.get("name") or "")
            if not name or "/" in name or name in (".", ".."):
                continue
            base = os.path.normpath(Path(root) / folder / name)
            candidates = [base, *(f"{base}.chunk{n}" for n in range(MAX_CHUNKS))]
            found.extend(path for path in candidates if _deletable(root, path))
    return found


def _deletable(root: str, path: str) -> bool:
    candidate = Path(path)
    if candidate.is_symlink() or not candidate.is_file():
        return False
    # Every folder on the way must be a real folder inside root.
    return inside(root, str(candidate.parent)) and inside(root, path)


def remove_files(root: str, paths: Iterable[str], *, keep: str = "") -> int:
    """Delete ``paths`` (see :func:`files_to_delete`), then the folders they leave empty, up to
    ``root``/``keep`` (a category's folder stays). Returns how many files were deleted."""
    removed = 0
    folders: set[Path] = set()
    for path in paths:
        if not _deletable(root, path):
            continue
        try:
            Path(path).unlink()
        except OSError as exc:
            log.warning("could not delete %s: %s", path, exc.strerror)
            continue
        removed += 1
        folders.add(Path(path).parent)
    stop = {Path(os.path.realpath(root)), Path(os.path.realpath(Path(root) / keep))}
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        current = folder
        while Path(os.path.realpath(current)) not in stop and inside(root, str(current)):
            if current.is_symlink():
                break
            try:
                current.rmdir()  # only when empty
            except OSError:
                break
            current = current.parent
    return removed


def job_may_go(request_id: str, *, kept: Iterable[Any], links: Iterable[Link]) -> bool:
    """Whether the Offcloud job of a torrent its app deleted may be removed (the clean-up rules):
    not when cloud-only mode sent it (``kept``: what the hook remembers of those jobs), nor while
    another pyLoad link still downloads from it (``links``: pyLoad's queue as the clean-up sees
    it)."""
    if any(isinstance(v, dict) and v.get("request_id") == request_id for v in kept):
        return False
    return request_id not in protected_request_ids(links)


def upload_path(tempdir: str, info_hash: str) -> str:
    """Where the bridge saves a .torrent an app uploaded: pyLoad's temp folder, named like the
    TORRENT container's copies (``tmp_``), so the torrent decrypter removes it once it queued the
    files."""
    return str(Path(tempdir) / f"{UPLOAD_PREFIX}arr_{info_hash}.torrent")


def save_upload(tempdir: str, info_hash: str, data: bytes) -> str:
    """Save an uploaded .torrent (:func:`upload_path`); its ``file://`` link for pyLoad."""
    path = upload_path(tempdir, info_hash)
    try:
        with Path(path).open("xb") as file:
            file.write(data)
    except FileExistsError:
        pass  # ours from an earlier add of the same torrent (same hash, same info)
    return "file://" + path


def drop_unread_upload(tempdir: str, record: TorrentRecord) -> None:
    """Remove the saved .torrent of a deleted torrent that the decrypter has not read yet."""
    upload = upload_path(tempdir, record.info_hash)
    if record.link == "file://" + upload and Path(upload).is_file():
        Path(upload).unlink()  # ours, not read yet


class TorrentJobs:
    """The Offcloud job of each torrent, as the torrent decrypter remembers it (by info-hash),
    and the jobs cloud-only mode sent (which stay), in pyLoad's storage table ``database``."""

    def __init__(self, database: Any) -> None:
        self.decrypter = PluginStore(database, TORRENT_DECRYPTER)
        self.hook = PluginStore(database, HOOK_STORAGE)

    def request_id(self, info_hash: str) -> Optional[str]:
        stored = self.decrypter.retrieve(torrent_job_key(info_hash))
        found = stored.get("request_id") if isinstance(stored, dict) else None
        return str(found) if found else None

    def forget(self, info_hash: str) -> None:
        self.decrypter.delete(torrent_job_key(info_hash))

    def kept(self) -> list[Any]:
        """The notes of the jobs cloud-only mode sent (for :func:`job_may_go`)."""
        return list(self.hook.values(JOB_PREFIX))
