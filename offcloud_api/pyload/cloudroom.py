"""A full Offcloud cloud: make room by removing what pyLoad is done with, else wait.

Every job in an Offcloud cloud counts against the account's storage quota, cached ones too, and a
full cloud refuses a new job with ``{"not_available": "cloud"}`` (docs/api.md L23), which the
client raises as :class:`~offcloud_api.exceptions.CloudFullError`. Then, before the add is tried
once more, :meth:`CloudRoom.add` removes the jobs that

- **this pyLoad created**: its ledger (:class:`CreatedJobs`) notes every job one of its add paths
  made, and nothing else (a job the user made, an imported one, a cloud folder link's job, or a
  job Offcloud already held when pyLoad added the same magnet (L5) is never noted);
- **whose every file is downloaded**: every pyLoad link that downloads from the job is finished
  (and there is at least one), or the downloader noted the job done when its one file was checked
  on disk;
- **nobody still needs**: no link of the job is queued, running or failed (a failed link keeps its
  job, so ``keep_failed`` holds), no plugin or the background loop still follows it, and no job
  cloud-only mode sent (those are in the cloud because the user wants them there).

Oldest first, all of them in one :meth:`~offcloud_api.client.OffcloudAPI.remove`. One thread at a
time makes room (a lock): the others find the room made (a generation count) and add at once,
and after a look that found nothing to remove, nobody looks again for :data:`RESCAN_AFTER`
seconds. When nothing can go, the link waits (:data:`DEFAULT_WAIT` between tries, at most
:data:`MAX_FULL_WAIT` in all) with :data:`FULL_ADVICE`, and the user gets one notice per full
spell (:meth:`CloudRoom.first_full`, at most one an hour), not one per link.

The ledger lives in the downloader's pyLoad storage, like
:class:`~offcloud_api.pyload.storage.FileLinks`: ``created:<request id>``
(:func:`~offcloud_api.pyload.storage.created_key`) → ``{"at": epoch seconds, "done": bool}``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any, Callable, Optional, Protocol

from ..client import OffcloudAPI
from ..exceptions import CLOUD_FULL_MESSAGE, CloudFullError, OffcloudError
from ..models import Job
from .cleanup import Link, pyload_links
from .storage import (
    CREATED_PREFIX,
    DOWNLOADER,
    HOOK_STORAGE,
    FileLinks,
    PluginStore,
    created_key,
    job_storage_key,
    stored_request_ids,
)

__all__ = [
    "CLOUD_PAGE",
    "DEFAULT_WAIT",
    "FULL_ADVICE",
    "MAX_FULL_WAIT",
    "CloudRoom",
    "Created",
    "CreatedJobs",
    "PyloadRoomView",
    "RoomView",
    "freeable",
    "full_attempts",
    "full_message",
    "room",
]

log = logging.getLogger(__name__)

#: Where a user sees and deletes the jobs in the cloud.
CLOUD_PAGE = "https://offcloud.com/#/cloud"
#: Seconds between tries while the cloud stays full (the clean-up addon's ``full_wait``).
DEFAULT_WAIT = 5 * 60
#: Seconds a link waits for room in all before it fails for good.
MAX_FULL_WAIT = 24 * 60 * 60
#: Seconds after a look that found nothing to remove before anyone looks again.
RESCAN_AFTER = 10.0
#: Seconds after a full-cloud notice before another one (a cloud that fills again soon after
#: it had room is the same trouble: one notice, not one per refill).
NOTICE_GAP = 60 * 60
#: Seconds a job found in the add answer may seem older than the add (clocks differ).
CLOCK_SLACK = 10 * 60

FULL_ADVICE = (
    f"delete finished jobs at {CLOUD_PAGE} (or get more storage); pyLoad removes the jobs whose "
    "files it has downloaded by itself"
)


def full_message(wait_seconds: float) -> str:
    """What a link that waits for room says."""
    minutes = wait_seconds / 60
    every = f"{minutes:.0f} min" if minutes >= 1 else f"{max(1.0, wait_seconds):.0f} s"
    return (
        "Your Offcloud cloud is full and holds no job pyLoad may remove: "
        f"{FULL_ADVICE}. Trying again every {every}"
    )


def full_attempts(wait_seconds: float) -> int:
    """Tries a link gets at ``wait_seconds`` apart before :data:`MAX_FULL_WAIT` is used up."""
    return max(1, int(MAX_FULL_WAIT // max(1.0, wait_seconds)))


# --------------------------------------------------------------------------------------------
# The ledger


@dataclass(frozen=True)
class Created:
    """A job this pyLoad created: when (epoch seconds), and whether its one file is on disk."""

    request_id: str
    at: float
    done: bool = False


class CreatedJobs:
    """The ledger of jobs this pyLoad created, in the downloader's storage (``core.db``)."""

    def __init__(self, database: Any) -> None:
        self.store = PluginStore(database, DOWNLOADER)

    def note(self, request_id: str, at: float) -> None:
        key = created_key(request_id)
        if not self.store.has(key):
            self.store.store(key, {"at": at, "done": False})

    def mark_done(self, request_id: str) -> None:
        """The job's one file is on disk (a hoster link's job); ignored for jobs not noted."""
        key = created_key(request_id)
        value = self.store.retrieve(key)
        if isinstance(value, dict):
            self.store.store(key, {**value, "done": True})

    def entries(self) -> list[Created]:
        found: list[Created] = []
        for key, value in self.store.items(CREATED_PREFIX):
            if not isinstance(value, dict):
                continue
            at = value.get("at")
            found.append(
                Created(
                    request_id=key[len(CREATED_PREFIX) :],
                    at=float(at) if isinstance(at, (int, float)) else 0.0,
                    done=value.get("done") is True,
                )
            )
        return found

    def forget(self, request_ids: Iterable[str]) -> None:
        for request_id in request_ids:
            self.store.delete(created_key(request_id))


def made_by_this_add(job: Job, since: float) -> bool:
    """Whether the add that answered ``job`` made it, or found it in the cloud already.

    Adding a magnet whose job lives answers that job (L5): one the user made before is not ours.
    The answer's ``createdOn`` tells (when Offcloud sends it); without it the add made the job.
    """
    if job.created_on is None:
        return True
    return job.created_on.timestamp() >= since - CLOCK_SLACK


# --------------------------------------------------------------------------------------------
# What may go


def freeable(
    created: Iterable[Created],
    links: Iterable[Link],
    *,
    in_use: Collection[str] = (),
    kept: Collection[str] = (),
) -> list[str]:
    """The jobs to remove to make room, oldest first (see the module's rules)."""
    members: dict[str, list[Link]] = {}
    for link in links:
        request_id = link.request_id
        if request_id is not None:
            members.setdefault(request_id, []).append(link)
    chosen: list[str] = []
    for entry in sorted(created, key=lambda item: (item.at, item.request_id)):
        request_id = entry.request_id
        if request_id in in_use or request_id in kept:
            continue
        own = members.get(request_id, [])
        if any(not link.finished for link in own):
            continue  # files still to download, or a failed link that keeps the job
        if not own and not entry.done:
            continue  # nothing says its files arrived
        chosen.append(request_id)
    return chosen


class RoomView(Protocol):
    """What making room needs to know of pyLoad."""

    def created(self) -> list[Created]: ...

    def links(self) -> list[Link]: ...

    def in_use(self, links: list[Link]) -> set[str]: ...

    def kept(self) -> set[str]: ...

    def note_created(self, request_id: str, at: float) -> None: ...

    def removed(self, request_ids: list[str]) -> None: ...


class PyloadRoomView:
    """:class:`RoomView` on a running pyLoad (``core``): its links and its plugins' storage."""

    def __init__(self, core: Any) -> None:
        self.core = core  # read only when room is needed: a view costs nothing until then

    @property
    def ledger(self) -> CreatedJobs:
        return CreatedJobs(self.core.db)

    def created(self) -> list[Created]:
        return self.ledger.entries()

    def links(self) -> list[Link]:
        return pyload_links(self.core)

    def in_use(self, links: list[Link]) -> set[str]:
        # A job the downloader follows for a link not finished: its hoster link is not done.
        live = {job_storage_key(link.url) for link in links if not link.finished}
        return stored_request_ids([PluginStore(self.core.db, DOWNLOADER)], keys=live)

    def kept(self) -> set[str]:
        # Cloud-only jobs and the jobs the background loop follows.
        return stored_request_ids([PluginStore(self.core.db, HOOK_STORAGE)])

    def note_created(self, request_id: str, at: float) -> None:
        self.ledger.note(request_id, at)

    def removed(self, request_ids: list[str]) -> None:
        self.ledger.forget(request_ids)
        FileLinks(self.core.db).forget_jobs(request_ids)


# --------------------------------------------------------------------------------------------
# Adding with room made


class CloudRoom:
    """Adds that make room when the cloud is full, one room-making at a time (a process's).

    Counters for the curious (and the tests): ``full_answers`` (adds refused as full),
    ``known_full`` (adds not sent: the cloud was full a moment ago), ``looks`` (times the links
    were examined), ``remove_calls`` and ``removed`` (jobs).
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock
        self._wall_clock = wall_clock
        self._lock = threading.Lock()
        self.generation = 0
        self._nothing_until = 0.0
        self._full = False
        self._noticed_at: Optional[float] = None
        self.wait_seconds: float = DEFAULT_WAIT
        self.full_answers = 0
        self.known_full = 0
        self.looks = 0
        self.remove_calls = 0
        self.removed = 0

    def add(self, api: OffcloudAPI, url: str, view: Optional[RoomView]) -> Job:
        """``api.cloud(url)``; a full cloud makes room and adds once more (else raises it).

        Within :data:`RESCAN_AFTER` of a look that found nothing to remove, and with no room
        made since, the cloud is known full: it raises at once, without asking Offcloud.
        """
        with self._lock:
            if self._clock() < self._nothing_until:
                self.known_full += 1
                raise CloudFullError(
                    f"{CLOUD_FULL_MESSAGE} (a moment ago; not asked again)", code="cloud"
                )
        seen = self.generation
        since = self._wall_clock()
        try:
            job = api.cloud(url)
        except CloudFullError:
            with self._lock:
                self.full_answers += 1
            if view is None or not self.make_room(api, view, seen=seen):
                raise
            since = self._wall_clock()
            try:
                job = api.cloud(url)
            except CloudFullError:
                with self._lock:
                    self.full_answers += 1
                raise
        self._full = False  # it takes jobs again: a later full spell gets its own notice
        if view is not None and made_by_this_add(job, since):
            view.note_created(job.request_id, since)
        return job

    def make_room(self, api: OffcloudAPI, view: RoomView, *, seen: int) -> bool:
        """Remove what may go (:func:`freeable`); True when room was made since ``seen``."""
        with self._lock:
            if self.generation != seen:
                return True  # another link made room meanwhile
            if self._clock() < self._nothing_until:
                return False
            self.looks += 1
            links = view.links()
            chosen = freeable(view.created(), links, in_use=view.in_use(links), kept=view.kept())
            if not chosen:
                self._nothing_until = self._clock() + RESCAN_AFTER
                log.info("Offcloud's cloud is full and no job of pyLoad's may go yet")
                return False
            try:
                api.remove(chosen)
            except OffcloudError as exc:
                log.warning("making room in the Offcloud cloud failed: %s", exc.message)
                self._nothing_until = self._clock() + RESCAN_AFTER
                return False
            finally:
                self.remove_calls += 1
            self.removed += len(chosen)
            view.removed(chosen)
            self.generation += 1
            log.info(
                "Offcloud's cloud was full: removed %d finished jobs pyLoad had added (%s)",
                len(chosen),
                ", ".join(chosen),
            )
            return True

    def freed(self) -> None:
        """Room was made elsewhere (the clean-up addon removed jobs): add again at once."""
        with self._lock:
            self.generation += 1
            self._nothing_until = 0.0

    def first_full(self) -> bool:
        """True once per full spell (and at most once in :data:`NOTICE_GAP`): the caller gives
        the user the one notice."""
        with self._lock:
            first, self._full = not self._full, True
            now = self._clock()
            if not first or (self._noticed_at is not None and now - self._noticed_at < NOTICE_GAP):
                return False
            self._noticed_at = now
            return True

    def set_wait(self, seconds: Any) -> None:
        """The seconds between tries while full (the clean-up addon's option); a bad value is
        the default."""
        try:
            value = float(seconds)
        except (TypeError, ValueError):
            value = float(DEFAULT_WAIT)
        self.wait_seconds = value if value > 0 else float(DEFAULT_WAIT)

    def client(self, api: OffcloudAPI, view: Optional[RoomView]) -> RoomMakingAPI:
        """``api`` whose :meth:`~OffcloudAPI.cloud` makes room (for code that calls it itself)."""
        return RoomMakingAPI(api, self, view)


class RoomMakingAPI:
    """An :class:`OffcloudAPI` stand-in whose ``cloud`` goes through :meth:`CloudRoom.add`.

    Everything else is the wrapped client's, so the plugins hand it to code that adds jobs its
    own way (the torrent decrypter's ``obtain_job``, ``add_once``) without teaching that code
    about room.
    """

    def __init__(self, api: OffcloudAPI, room: CloudRoom, view: Optional[RoomView]) -> None:
        self._api = api
        self._room = room
        self._view = view

    def cloud(self, url: str) -> Job:
        return self._room.add(self._api, url, self._view)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._api, name)

    def __enter__(self) -> RoomMakingAPI:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._api.close()


#: The one of a pyLoad process (plugins and addons import the same module).
room = CloudRoom()
