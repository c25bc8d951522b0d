"""Offcloud links that a pyLoad restart would leave standing: noted while they run, restarted at
the next start.

pyLoad's database marks every link that was not finished, failed, offline or skipped "aborted"
when pyLoad starts (queued links included, docs/pyload.md §5), and pyLoad starts no thread for an
aborted link. A Docker image update, a crash or a reboot would leave the whole Offcloud queue
standing until the user restarts every link by hand.

So the addon (``OffcloudComHook``) keeps a note, in its pyLoad storage, of every queue link whose
plugin is one of ours (the downloader, for hoster links and Offcloud's file links, and the
decrypters) while it is queued, waiting or downloading: continuously, since a crash (``kill -9``)
gives no chance to note anything at exit. At the next start it restarts exactly the noted links
that stand aborted. A note goes when its link finishes, fails for good, is deleted, or is stopped
by the user.

Telling a user's stop from pyLoad's exit: both call ``pyfile.abort_download()`` and both leave
the link "aborted" while pyLoad still runs. At its exit pyLoad first stops every download thread
(``thread.running`` turns False, and each thread leaves the thread list once its link is
aborted), then aborts the links, and only then sets ``core.exiting``. So an aborted link counts as
stopped by the user only when pyLoad was :attr:`calm <Queue.calm>` (not exiting, every download
thread running) at two looks at least :data:`SETTLE` seconds apart; the downloader also says so at
once when its own link is stopped (:meth:`Keeper.user_stopped`), from the thread that was stopped.

Links the background loop follows (``background``) are resumed by it and not restarted here; a
bulk batch gives its links back by itself (``bulk``). Only what this module notes is restarted.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Callable, Optional, Protocol

from .intake import OFFCLOUD_PLUGINS, offcloud_plugin_names
from .storage import HOOK_STORAGE, RESUME_PREFIX, PluginStore, resume_key

__all__ = [
    "ABORTED",
    "RESUMABLE",
    "SETTLE",
    "Keeper",
    "LinkView",
    "Note",
    "PyloadQueue",
    "Queue",
    "active_keeper",
    "attach",
    "detach",
    "keeper_for",
]

log = logging.getLogger(__name__)

#: pyLoad link statuses (``pyload.core.datatypes.pyfile.status_map``) worth a note: online,
#: queued, waiting, starting, decrypting, custom, downloading, processing, unknown.
RESUMABLE = frozenset({2, 3, 5, 7, 10, 11, 12, 13, 14})
#: Finished, offline, skipped, temp. offline, failed: pyLoad keeps these at a start; no note.
SETTLED = frozenset({0, 1, 4, 6, 8})
ABORTED = 9
#: Seconds an aborted link must stay aborted, pyLoad calm all along, to count as stopped by the
#: user (pyLoad's exit aborts links too, for a few seconds before it says it is exiting).
SETTLE = 5.0
#: Seconds between looks at the queue, for a queue of up to :data:`LINKS_PER_INTERVAL` links; a
#: longer queue is looked at less often (each look reads the whole queue from pyLoad's database),
#: up to :data:`MAX_INTERVAL`.
INTERVAL = 3.0
LINKS_PER_INTERVAL = 1000
MAX_INTERVAL = 30.0
#: Seconds after the start within which a noted link's plugin must be ready (the account loaded
#: its host list, for links of hosters it takes over); later, it is left aborted and said so.
GIVE_UP_AFTER = 600.0


@dataclass(frozen=True)
class LinkView:
    """What a look at pyLoad's queue shows of one link."""

    link_id: int
    status: int  # pyLoad's link status number
    plugin: str  # the link's plugin name (an overridden hoster's own, for hoster links)
    name: str = ""


@dataclass(frozen=True)
class Note:
    link_id: int
    plugin: str
    name: str = ""

    def to_stored(self) -> dict[str, Any]:
        return {"link_id": self.link_id, "plugin": self.plugin, "name": self.name}

    @classmethod
    def from_stored(cls, value: Any) -> Optional[Note]:
        if not isinstance(value, dict):
            return None
        try:
            return cls(int(value["link_id"]), str(value["plugin"]), str(value.get("name") or ""))
        except (KeyError, TypeError, ValueError):
            return None


class Queue(Protocol):
    """What the keeper needs from pyLoad (:class:`PyloadQueue` on a running pyLoad)."""

    def links(self) -> list[LinkView]:
        """The links of the queue (not the link collector)."""
        ...

    def calm(self) -> bool:
        """pyLoad runs normally: not exiting, every download thread running."""
        ...

    def offcloud_plugins(self) -> Optional[set[str]]:
        """Plugin names whose links Offcloud handles now; ``None``: no Offcloud account."""
        ...

    def followed(self, link_id: int) -> bool:
        """The background loop follows this link (it resumes it by itself)."""
        ...

    def restart(self, link_id: int) -> None: ...


class Keeper:
    """The notes, and the restart of the noted links after a pyLoad start.

    ``store`` is the addon's storage; the notes found there when the keeper is made are the
    previous run's (pending: :meth:`tick` restarts them once their plugin is ready).
    """

    def __init__(
        self,
        store: PluginStore,
        queue: Queue,
        *,
        settle: float = SETTLE,
        interval: float = INTERVAL,
        give_up_after: float = GIVE_UP_AFTER,
        notice: Callable[[str], None] = log.info,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.queue = queue
        self.settle = settle
        self.interval = interval
        self.give_up_after = give_up_after
        self.notice = notice
        self.clock = clock
        self.started = clock()
        self._lock = threading.Lock()
        self._notes: dict[int, Note] = {}
        for key, value in store.items(RESUME_PREFIX):
            note = Note.from_stored(value)
            if note is None or key != resume_key(note.link_id):
                store.delete(key)
            else:
                self._notes[note.link_id] = note
        self.pending: set[int] = set(self._notes)
        self.restarted: list[int] = []
        self._aborted_since: dict[int, float] = {}
        self.queue_size = 0
        self._thread: Optional[threading.Thread] = None
        self._stopped = threading.Event()

    # ---------------------------------------------------------------------------------------
    # the notes

    def noted(self) -> dict[int, Note]:
        with self._lock:
            return dict(self._notes)

    def note(self, link: LinkView) -> None:
        note = Note(link.link_id, link.plugin, link.name)
        with self._lock:
            if self._notes.get(link.link_id) == note:
                return
            self._notes[link.link_id] = note
        self.store.store(resume_key(link.link_id), note.to_stored())

    def forget(self, link_id: int) -> None:
        with self._lock:
            known = self._notes.pop(link_id, None) is not None
            self.pending.discard(link_id)
            self._aborted_since.pop(link_id, None)
        if known:
            self.store.delete(resume_key(link_id))

    def user_stopped(self, link_id: int) -> None:
        """The user stopped (or deleted) this link while it ran: it stays as the user left it."""
        self.forget(link_id)

    def forget_all(self) -> None:
        """The addon is switched off: no note outlives it (nothing would keep them true)."""
        for link_id in list(self.noted()):
            self.forget(link_id)

    # ---------------------------------------------------------------------------------------
    # the look at the queue

    def tick(self) -> list[int]:
        """One look: restart the previous run's links that may start, then update the notes.
        Returns the links restarted."""
        links = {link.link_id: link for link in self.queue.links()}
        self.queue_size = len(links)
        plugins = self.queue.offcloud_plugins()
        restarted = self._restart_pending(links, plugins)
        if restarted:  # look again: they are queued now
            links = {link.link_id: link for link in self.queue.links()}
        self.scan(links.values(), plugins or set(), calm=self.queue.calm())
        return restarted

    def scan(self, links: Iterable[LinkView], plugins: set[str], *, calm: bool) -> None:
        """Note Offcloud links that are queued, waiting or running; forget those that ended,
        went, or that the user stopped."""
        now = self.clock()
        seen: set[int] = set()
        noted = self.noted()
        with self._lock:
            pending = set(self.pending)
        for link in links:
            seen.add(link.link_id)
            if link.link_id in pending:
                continue  # the previous run's: :meth:`_restart_pending` decides
            if link.status in RESUMABLE:
                self._aborted_since.pop(link.link_id, None)
                if link.plugin in plugins or link.plugin in OFFCLOUD_PLUGINS:
                    self.note(link)
                elif link.link_id in noted:
                    self.forget(link.link_id)  # its plugin is no longer ours (account removed)
            elif link.status in SETTLED:
                self.forget(link.link_id)
            elif link.status == ABORTED and link.link_id in noted:
                if not calm:
                    self._aborted_since.pop(link.link_id, None)  # perhaps pyLoad's exit
                    continue
                since = self._aborted_since.setdefault(link.link_id, now)
                if now - since >= self.settle:
                    log.debug("link %s was stopped by the user: not restarted", link.link_id)
                    self.forget(link.link_id)
        for link_id in set(noted) - seen - pending:
            self.forget(link_id)  # deleted, or moved to the link collector

    def _restart_pending(
        self, links: dict[int, LinkView], plugins: Optional[set[str]]
    ) -> list[int]:
        with self._lock:
            pending = sorted(self.pending)
        if not pending:
            return []
        late = self.clock() - self.started >= self.give_up_after
        due: list[int] = []
        left_alone: list[Note] = []
        noted = self.noted()
        for link_id in pending:
            note = noted.get(link_id)
            link = links.get(link_id)
            if note is None or link is None or link.status in SETTLED:
                self.forget(link_id)
                continue
            if link.status != ABORTED or self.queue.followed(link_id):
                self._settle_pending(link_id)  # running again already, or the loop has it
                continue
            if plugins is not None and (link.plugin in plugins or link.plugin in OFFCLOUD_PLUGINS):
                due.append(link_id)
            elif late:
                left_alone.append(note)
                self.forget(link_id)
        restarted: list[int] = []
        for link_id in due:
            try:
                self.queue.restart(link_id)
            except Exception:  # a link deleted meanwhile; the others go on
                log.debug("link %s could not be restarted", link_id, exc_info=True)
                self.forget(link_id)
                continue
            self._settle_pending(link_id)
            restarted.append(link_id)
        self.restarted.extend(restarted)
        if restarted:
            self.notice(
                f"Restarted {len(restarted)} Offcloud links that were queued or downloading "
                "when pyLoad stopped"
            )
        if left_alone:
            self.notice(
                f"{len(left_alone)} Offcloud links that were queued when pyLoad stopped stay "
                "aborted: the Offcloud account is missing or did not load its host list in "
                f"{self.give_up_after / 60:.0f} min; check the account, then restart them"
            )
        return restarted

    def _settle_pending(self, link_id: int) -> None:
        with self._lock:
            self.pending.discard(link_id)

    # ---------------------------------------------------------------------------------------
    # the thread

    @property
    def running(self) -> bool:
        return self._thread is not None and not self._stopped.is_set()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="OffcloudResume", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stopped.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def pause(self) -> float:
        """Seconds until the next look: longer for a long queue."""
        scale = max(1.0, self.queue_size / LINKS_PER_INTERVAL)
        return max(self.interval, min(MAX_INTERVAL, self.interval * scale))

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                self.tick()
            except Exception:  # the loop must outlive any one failure
                log.warning("Offcloud resume look failed", exc_info=True)
            self._stopped.wait(self.pause())


class PyloadQueue:
    """:class:`Queue` on a running pyLoad (``core``)."""

    #: pyLoad's queue (``Destination.QUEUE``); 0 is the link collector.
    QUEUE = 1

    def __init__(self, core: Any, has_account: Callable[[], bool]) -> None:
        self.core = core
        self.has_account = has_account

    def links(self) -> list[LinkView]:
        rows = self.core.db.get_all_links(self.QUEUE) or {}
        # A link a thread works on is newer in pyLoad's cache than in its database.
        cached = {}
        for _ in range(3):
            try:
                cached = {pyfile.id: pyfile for pyfile in list(self.core.files.cache.values())}
                break
            except RuntimeError:  # the cache changed while it was copied
                continue
        views = []
        for link_id, row in rows.items():
            pyfile = cached.get(link_id)
            if pyfile is not None:
                views.append(
                    LinkView(int(link_id), int(pyfile.status), str(pyfile.pluginname), pyfile.name)
                )
            else:
                views.append(
                    LinkView(
                        int(link_id),
                        int(row.get("status", 14)),
                        str(row.get("plugin") or ""),
                        str(row.get("name") or ""),
                    )
                )
        return views

    def calm(self) -> bool:
        if getattr(self.core, "exiting", False):
            return False
        threads = list(getattr(self.core.thread_manager, "threads", []) or [])
        # No download thread at all: pyLoad is stopping (each leaves the list once its link is
        # aborted), or max_downloads is 0 and nothing runs anyway.
        return bool(threads) and all(getattr(thread, "running", False) for thread in threads)

    def offcloud_plugins(self) -> Optional[set[str]]:
        if not self.has_account():
            return None
        return offcloud_plugin_names(self.core.plugin_manager.downloader_plugins)

    def followed(self, link_id: int) -> bool:
        from .background import active_follower  # noqa: PLC0415 - read when asked

        follower = active_follower()
        return follower is not None and follower.follows(link_id)

    def restart(self, link_id: int) -> None:
        self.core.api.restart_file(link_id)


def hook_store(database: Any) -> PluginStore:
    """Where the notes live: the addon's storage."""
    return PluginStore(database, HOOK_STORAGE)


def keeper_for(core: Any, has_account: Callable[[], bool], notice: Callable[[str], None]) -> Keeper:
    """The keeper of a running pyLoad (``core``), its notes in the addon's storage."""
    return Keeper(hook_store(core.db), PyloadQueue(core, has_account), notice=notice)


_current_lock = threading.Lock()
_current: Optional[Keeper] = None


def active_keeper() -> Optional[Keeper]:
    """The running keeper of this pyLoad process, or ``None`` (the addon is off)."""
    with _current_lock:
        return _current if _current is not None and _current.running else None


def attach(keeper: Keeper) -> None:
    global _current  # noqa: PLW0603 - one keeper per pyLoad process, like the follower
    with _current_lock:
        _current = keeper


def detach(keeper: Keeper) -> None:
    global _current  # noqa: PLW0603
    with _current_lock:
        if _current is keeper:
            _current = None
