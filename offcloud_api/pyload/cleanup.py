"""Which Offcloud jobs the clean-up addon (``OffcloudComCleanup``) may remove, and when.

Two kinds of removal. After the download is on by default (the addon is enabled, with
``after_download``): every job counts against the account's small cloud quota and a full cloud
takes no new job (docs/api.md L23). The periodic one is opt-in (``older_than``). A full cloud
that this clean-up has not emptied yet is :mod:`.cloudroom`'s business.

- **After the download.** A job is removed once every pyLoad link that downloads from it is
  finished (its file is on disk and pyLoad checked it). Which job a link is of: a legacy file URL
  names it (``https://<server>.offcloud.com/cloud/download/<requestId>/...``); a 2026 CDN file link
  does not (docs/api.md L11), so the plugins that queue or follow one note its job in
  the downloader's storage (:class:`~offcloud_api.pyload.storage.FileLinks`), and the addon
  passes that look-up in as ``job_of``. A hoster link downloaded through a cloud job has such a
  file link as its download link. A link still queued or running makes the job wait; a failed,
  offline or aborted link keeps it, unless the user chose otherwise.
- **Periodic.** Jobs Offcloud finished (``downloaded``) longer ago than N hours; with an option
  also failed ones. Never a job that is still created, queued, downloading, processing or of an
  unknown status; never one whose files pyLoad still has to download, nor one a pyLoad plugin is
  still following (the downloader remembers its jobs until their file is downloaded).

Removing is best effort: Offcloud's 2026 API may not honour it (docs/api.md L15).
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Any, Callable, Optional

from ..models import Job, JobStatus
from .links import parse_file_url
from .storage import FileLinks, PluginStore, job_storage_key, stored_request_ids

__all__ = [
    "FAILED_STATUSES",
    "FINISHED_STATUSES",
    "EndedLinks",
    "Link",
    "Verdict",
    "ended_job",
    "followed_request_ids",
    "full_wait_seconds",
    "job_verdict",
    "links_from_pyload",
    "periodic_protected",
    "protected_request_ids",
    "pyload_links",
    "request_id_of",
    "stale_jobs",
]

#: pyLoad link statuses (``DownloadStatus``) that mean the file is there: finished, skipped.
FINISHED_STATUSES = frozenset({0, 4})
#: Statuses that end a link without its file: offline, temp. offline, failed, aborted.
FAILED_STATUSES = frozenset({1, 6, 8, 9})
# Everything else (queued, waiting, starting, decrypting, downloading, processing, online,
# unknown ...) is still to come.

#: Job statuses the periodic clean-up may remove (failed ones only when asked).
_DONE = frozenset({JobStatus.DOWNLOADED})
_FAILED = frozenset({JobStatus.ERROR, JobStatus.CANCELED})


@dataclass(frozen=True)
class Link:
    """One pyLoad link as the clean-up sees it."""

    fid: int
    url: str
    status: int
    package_id: int = 0
    #: The job, where the URL does not name it (a CDN link noted in the downloader's storage).
    job_id: Optional[str] = None

    @property
    def request_id(self) -> Optional[str]:
        return self.job_id or request_id_of(self.url)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES


JobLookup = Callable[[str], Optional[str]]


def request_id_of(url: Optional[str], job_of: Optional[JobLookup] = None) -> Optional[str]:
    """The Offcloud request id a file link downloads from, else ``None``.

    Read from a legacy file URL itself, else asked of ``job_of`` (the noted job of a CDN link).
    """
    if not url:
        return None
    parsed = parse_file_url(url)
    if parsed is None:
        return None
    if parsed.request_id is not None:
        return parsed.request_id
    return job_of(url) if job_of is not None else None


def ended_job(
    pyfile: Any, job_of: JobLookup, *, removed_by_downloader: Callable[[], bool]
) -> Optional[tuple[str, str]]:
    """``(request id, file link)`` of the job a link that ended downloaded from, else ``None``.

    A hoster link that went through a cloud job downloads from that job's file link (its
    plugin's ``link``). ``removed_by_downloader()``: the downloader's own ``remove_finished``
    removed the job of a finished hoster link already (asked only for such a link).
    """
    url = pyfile.url
    request_id = request_id_of(url, job_of)
    if request_id is not None:
        return request_id, url
    link = getattr(getattr(pyfile, "plugin", None), "link", None)
    request_id = request_id_of(link, job_of)
    if request_id is None or link is None or removed_by_downloader():
        return None
    return request_id, link


def pyload_links(core: Any) -> list[Link]:
    """Every link of pyLoad's queue and link collector (``core``: a running pyLoad)."""
    from pyload.core.datatypes.enums import Destination  # noqa: PLC0415 - in pyLoad only

    job_of = FileLinks(core.db).job_of
    links: list[Link] = []
    for destination in (Destination.QUEUE, Destination.COLLECTOR):
        links.extend(links_from_pyload(core.files.get_complete_data(destination), job_of))
    return links


def full_wait_seconds(minutes: Any) -> float:
    """The ``full_wait`` option (minutes between tries in a full cloud) in seconds."""
    try:
        return float(minutes) * 60
    except (TypeError, ValueError):
        return 5.0 * 60


class EndedLinks:
    """Downloads that ended, looked at together: one look at pyLoad's links for all those that
    ended meanwhile, not one per download (the clean-up addon is on by default).

    :meth:`add` runs on pyLoad's download threads; ``submit`` queues a task on the addon's worker
    (False: stopped), where ``look`` gets each batch of ``(request id, ended link)``.
    """

    def __init__(
        self,
        submit: Callable[[Callable[[], None]], bool],
        look: Callable[[list[tuple[str, Link]]], None],
    ) -> None:
        self._submit = submit
        self._look = look
        self._lock = threading.Lock()
        self._ended: list[tuple[str, Link]] = []
        self._draining = False

    def add(self, request_id: str, ended: Link) -> None:
        with self._lock:
            self._ended.append((request_id, ended))
            if self._draining:
                return  # the task that is due looks at this one too
            self._draining = True
        if not self._submit(self._drain):
            with self._lock:
                self._draining = False

    def _drain(self) -> None:
        try:
            while True:
                with self._lock:
                    batch, self._ended = self._ended, []
                    if not batch:
                        self._draining = False
                        return
                self._look(batch)
        except BaseException:
            with self._lock:
                self._draining = False  # the next download that ends submits a task again
            raise


def links_from_pyload(
    packages: Mapping[Any, Any], job_of: Optional[JobLookup] = None
) -> list[Link]:
    """Links from pyLoad's ``FileManager.get_complete_data()`` (``{pid: {"links": {fid: …}}}``).

    ``job_of`` names the job of a CDN file link (whose URL does not).
    """
    links: list[Link] = []
    for pid, package in packages.items():
        entries = package.get("links") if isinstance(package, Mapping) else None
        if not isinstance(entries, Mapping):
            continue
        for fid, entry in entries.items():
            if not isinstance(entry, Mapping):
                continue
            url = str(entry.get("url") or "")
            try:
                links.append(
                    Link(
                        fid=int(entry.get("id", fid)),
                        url=url,
                        status=int(entry.get("status", 14)),
                        package_id=int(entry.get("package", pid)),
                        job_id=request_id_of(url, job_of) if job_of is not None else None,
                    )
                )
            except (TypeError, ValueError):
                continue
    return links


class Verdict(str, Enum):
    """What to do with a job after one of its links ended."""

    REMOVE = "remove"
    WAIT = "wait"  # a link of it is still queued or running
    KEEP_FAILED = "keep_failed"  # a link of it failed and the user keeps such jobs
    IN_USE = "in_use"  # a pyLoad plugin still follows the job for another link
    NOT_OURS = "not_ours"  # the user made it outside this pyLoad (a cloud folder pasted, say)


def job_verdict(
    request_id: str,
    links: Iterable[Link],
    *,
    ended: Link,
    done_fids: Collection[int] = (),
    keep_failed: bool = True,
    in_use: Collection[str] = (),
    ours: Optional[Collection[str]] = None,
) -> Verdict:
    """Whether the job ``request_id`` may go now that the link ``ended`` ended.

    ``links`` are pyLoad's links (any package, queue and collector); those of the job are the ones
    whose URL is one of its file URLs, plus ``ended`` (whose ``url`` is its download link), which
    counts with its own ``status`` whatever pyLoad's list says. ``done_fids`` are links pyLoad
    reported downloaded whose status may not say so yet (pyLoad sets "finished" only after its
    ``download_finished`` event). ``in_use`` are request ids a plugin still follows. ``ours``,
    where given, are the jobs this pyLoad created (:class:`.cloudroom.CreatedJobs`): any other
    job is the user's own, made on offcloud.com, and stays.
    """
    if ours is not None and request_id not in ours:
        return Verdict.NOT_OURS
    if request_id in in_use:
        return Verdict.IN_USE
    members: dict[int, Link] = {
        link.fid: link for link in links if link.request_id == request_id and link.fid != ended.fid
    }
    members[ended.fid] = ended
    failed = False
    for link in members.values():
        if link.finished or link.fid in done_fids:
            continue
        if link.failed:
            failed = True
            continue
        return Verdict.WAIT
    if failed and keep_failed:
        return Verdict.KEEP_FAILED
    return Verdict.REMOVE


def protected_request_ids(links: Iterable[Link]) -> set[str]:
    """Jobs pyLoad still has files of to download (or to retry): not for the periodic clean-up."""
    return {
        request_id
        for link in links
        if not link.finished and (request_id := link.request_id) is not None
    }


def stale_jobs(
    history: Iterable[Job],
    *,
    now: datetime,
    older_than_hours: float,
    include_failed: bool = False,
    protected: Collection[str] = (),
) -> list[Job]:
    """Jobs of ``history`` the periodic clean-up removes.

    A job qualifies when Offcloud finished it (``downloaded``; also ``error``/``canceled`` with
    ``include_failed``), it was created at least ``older_than_hours`` before ``now`` (an unknown
    age never qualifies) and it is not ``protected``. ``older_than_hours <= 0`` removes nothing.
    """
    if older_than_hours <= 0:
        return []
    wanted = _DONE | _FAILED if include_failed else _DONE
    limit = _utc(now) - timedelta(hours=older_than_hours)
    stale: list[Job] = []
    seen: set[str] = set()
    for job in history:
        if job.status not in wanted or job.request_id in protected or job.request_id in seen:
            continue
        if job.created_on is None or _utc(job.created_on) > limit:
            continue
        seen.add(job.request_id)
        stale.append(job)
    return stale


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def followed_request_ids(
    downloader: PluginStore, links: Iterable[Link], *, ignore: Collection[int] = ()
) -> set[str]:
    """Jobs the downloader still follows for a link pyLoad has not finished.

    The downloader stores a hoster link's job under :func:`job_storage_key` of the link's URL
    (``downloader`` is its pyLoad storage) and deletes it once the file is downloaded; a link that
    failed keeps it, so that restarting the link resumes the job. Entries of links that are gone,
    finished or skipped (a link expanded into per-file links ends skipped) do not count, nor do
    the links in ``ignore``.
    """
    live = {
        job_storage_key(link.url) for link in links if not link.finished and link.fid not in ignore
    }
    return stored_request_ids([downloader], keys=live)


def periodic_protected(
    links: Iterable[Link], downloader: PluginStore, hook: PluginStore
) -> set[str]:
    """Jobs the periodic clean-up leaves: pyLoad still has files of them to download, the
    downloader follows them (``downloader``: its storage), or cloud-only mode sent them
    (``hook``: the addon's storage), and the user wants those in the cloud."""
    links = list(links)
    return (
        protected_request_ids(links)
        | followed_request_ids(downloader, links)
        | stored_request_ids([hook])
    )
