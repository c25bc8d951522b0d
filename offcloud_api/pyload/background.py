"""Offcloud jobs followed in the background: one loop for every link pyLoad waits for.

An uncached torrent (or a hoster link whose cloud job takes long) would hold a pyLoad thread for
as long as Offcloud works, up to ``cloud_timeout``. Instead the plugin hands the job to the
:class:`Follower` the addon (``OffcloudComHook``) runs, and its thread ends. The link stays in
the queue with pyLoad's status "processing" (13) and Offcloud's progress as its text: pyLoad
starts no thread for that status (``get_job`` takes 2, 3 and 14), and "delete finished" keeps it.

The loop asks Offcloud about all followed jobs at once: one history call a round gives every
job's status (docs/api.md L12), and a small budget of status calls refreshes the
progress shown (the history has none; L8 takes one id per call). A finished job restarts its
link: the plugin runs again, finds the job downloaded (it remembered the request id) and queues
the files the usual way, so filters, packages and sub-folders stay the plugins' own.

What is followed is kept in the addon's pyLoad storage, so a pyLoad restart (which turns
"processing" into "aborted") resumes every job; a link the user deletes or restarts is let go.

The cap on running jobs (``max_running_jobs``) lives here too: a torrent that would start a new
job while the cap is reached is handed over *before* it is submitted, and the loop submits it when
a job ends, oldest first.

A full cloud (docs/api.md L23) is waited out here too: a link whose add met a full cloud that no
room could be made in is handed over unsubmitted, like one waiting for a slot. The loop's adds
make room first (:mod:`.cloudroom`); while the cloud stays full the waiting links say so and the
loop tries again every ``full_wait`` (the clean-up addon's option), failing a link for it only
after a day.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Optional, Protocol

from ..client import OffcloudAPI
from ..exceptions import CloudFullError, NotFoundError, OffcloudError, RateLimitError
from ..models import Job, JobStatus
from .cloudroom import FULL_ADVICE, MAX_FULL_WAIT, CloudRoom, RoomView, full_message
from .cloudroom import room as default_room
from .jobs import remember
from .progress import format_progress
from .storage import FOLLOW_PREFIX, PluginStore, follow_key

__all__ = [
    "Followed",
    "Follower",
    "LinkState",
    "Links",
    "active_follower",
    "attach",
    "detach",
]

log = logging.getLogger(__name__)

#: pyLoad link statuses (``pyload.core.datatypes.pyfile.status_map``).
ABORTED, FAILED, PROCESSING = 9, 8, 13
#: Statuses a link has right after its plugin handed it over (it raised Abort), or after a
#: pyLoad restart (which turns every "processing" link into "aborted").
HANDED_OVER = frozenset({ABORTED, FAILED, PROCESSING})


@dataclass
class Followed:
    """A link waiting for its Offcloud job (or, under the cap, for a free slot to start one)."""

    link_id: int
    plugin: str  # the link's plugin, whose storage remembers the job under ``storage_key``
    storage_key: str
    name: str
    request_id: Optional[str] = None  # None: not submitted yet, waiting for a slot
    magnet: Optional[str] = None  # what to submit once a slot is free
    capped: bool = False  # counts against max_running_jobs (torrents do, hoster links not)
    handed_at: float = 0.0  # epoch seconds
    deadline: float = 0.0  # epoch seconds after which the wait is given up; 0: never
    # What the loop learned this session (not stored):
    text: str = field(default="", compare=False)  # the state to show until the loop knows more
    marked: bool = field(default=False, compare=False)
    shown: str = field(default="", compare=False)
    refreshed_at: float = field(default=0.0, compare=False)
    created_since: Optional[float] = field(default=None, compare=False)
    busy: bool = field(default=False, compare=False)  # a pyLoad thread had it at the last look

    STORED = (
        "link_id", "plugin", "storage_key", "name", "request_id", "magnet", "capped",
        "handed_at", "deadline",
    )  # fmt: skip

    @property
    def key(self) -> str:
        return follow_key(self.link_id)

    @property
    def running(self) -> bool:
        return self.request_id is not None

    def to_stored(self) -> dict[str, Any]:
        data = asdict(self)
        return {name: data[name] for name in self.STORED}

    @classmethod
    def from_stored(cls, value: Any) -> Optional[Followed]:
        if not isinstance(value, dict):
            return None
        try:
            return cls(
                link_id=int(value["link_id"]),
                plugin=str(value["plugin"]),
                storage_key=str(value["storage_key"]),
                name=str(value.get("name") or ""),
                request_id=str(value["request_id"]) if value.get("request_id") else None,
                magnet=str(value["magnet"]) if value.get("magnet") else None,
                capped=bool(value.get("capped")),
                handed_at=float(value.get("handed_at") or 0.0),
                deadline=float(value.get("deadline") or 0.0),
            )
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True)
class LinkState:
    status: int  # pyLoad's link status number
    busy: bool  # a pyLoad thread is working on it


class Links(Protocol):
    """What the loop needs from pyLoad's queue (the addon implements it)."""

    def state(self, link_id: int) -> Optional[LinkState]: ...

    def show(self, link_id: int, text: str, percent: Optional[int]) -> None: ...

    def restart(self, link_id: int) -> None: ...

    def fail(self, link_id: int, message: str) -> None: ...


@dataclass
class Settings:
    interval: float = 30.0  # seconds between rounds while something is followed
    max_running: int = 0  # jobs running at Offcloud at once (torrents); 0: no cap
    progress_calls: int = 2  # status calls a round for the progress shown
    progress_every: float = 0.0  # seconds before one job's progress may be asked again
    stuck_after: float = 600.0  # a job still "created" this long never starts (§00 L7)
    hand_over_after: float = 300.0  # seconds a hoster link waits in its own thread first
    always_history: bool = False  # ask for the history every round, also with nothing followed

    def configure(self, option: Callable[[str, Any], Any]) -> None:
        """Take the addon's options (``option(name, default)``, pyLoad's ``config.get``)."""
        self.interval = max(2, int(option("follow_interval", 30) or 30))
        self.max_running = max(0, int(option("max_running_jobs", 0) or 0))
        self.hand_over_after = max(1, int(option("follow_after", 300) or 300))
        self.always_history = bool(option("import_finished", False))


_current_lock = threading.Lock()
_current: Optional[Follower] = None


def active_follower() -> Optional[Follower]:
    """The running follower of this pyLoad process, or ``None`` (the addon is off)."""
    with _current_lock:
        return _current if _current is not None and _current.running else None


def attach(follower: Follower) -> None:
    global _current  # noqa: PLW0603 - one loop per pyLoad process, like the cache book
    with _current_lock:
        _current = follower


def detach(follower: Follower) -> None:
    global _current  # noqa: PLW0603
    with _current_lock:
        if _current is follower:
            _current = None


class Follower:
    """The loop. ``client()`` gives an API client (``None``: no usable account right now)."""

    def __init__(
        self,
        links: Links,
        store: PluginStore,
        client: Callable[[], Optional[OffcloudAPI]],
        *,
        plugin_store: Callable[[str], PluginStore],
        settings: Optional[Settings] = None,
        on_history: Optional[Callable[[list[Job]], None]] = None,
        notice: Callable[[str], None] = log.info,
        clock: Callable[[], float] = time.time,
        room_view: Optional[RoomView] = None,
        room: CloudRoom = default_room,
        on_full: Optional[Callable[[], None]] = None,
    ) -> None:
        self.room_view = room_view
        self.room = room
        self.on_full = on_full  # the one notice of a full spell (the addon's)
        self._full_until = 0.0
        self._full_text = ""
        self.links = links
        self.store = store
        self.client = client
        self.plugin_store = plugin_store
        self.settings = settings or Settings()
        self.on_history = on_history
        self.notice = notice
        self.clock = clock
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._entries: dict[int, Followed] = {}
        self._reserved: set[int] = set()
        self._thread: Optional[threading.Thread] = None
        self._stopped = threading.Event()
        self._pause_until = 0.0
        self.rounds = 0
        for _key, value in store.items(FOLLOW_PREFIX):
            entry = Followed.from_stored(value)
            if entry is not None:
                self._entries[entry.link_id] = entry

    # ---------------------------------------------------------------------------------------
    # what plugins call (from their threads)

    @property
    def running(self) -> bool:
        return self._thread is not None and not self._stopped.is_set()

    def adopt(self, entry: Followed) -> None:
        """Follow ``entry`` from now on (replacing what was followed for its link)."""
        entry.handed_at = entry.handed_at or self.clock()
        with self._lock:
            self._entries[entry.link_id] = entry
            self._reserved.discard(entry.link_id)
        self.store.store(entry.key, entry.to_stored())
        self._wake.set()

    def wait_for_room(self, entry: Followed) -> None:
        """Follow ``entry`` (not submitted: its add met a full cloud) until there is room.

        Its link says the cloud is full at once; the loop adds it after ``full_wait``.
        """
        with self._lock:
            if not self._full_text:
                self._full_text = full_message(self.room.wait_seconds)
                self._full_until = self.clock() + self.room.wait_seconds
        self.adopt(entry)

    def forget(self, link_id: int) -> None:
        """Stop following ``link_id`` (its plugin took the job back) and free its slot."""
        with self._lock:
            entry = self._entries.pop(link_id, None)
            self._reserved.discard(link_id)
        if entry is not None:
            self.store.delete(entry.key)
            self._wake.set()

    def hand_back(self) -> int:
        """Give every followed link back to its plugin (restarted: it waits in its own thread
        then); for when the loop is switched off. Returns how many."""
        entries = self.snapshot()
        for entry in entries:
            self.forget(entry.link_id)
            try:
                self.links.restart(entry.link_id)
            except Exception:
                log.debug("link %s could not be restarted", entry.link_id, exc_info=True)
        return len(entries)

    def follows(self, link_id: int) -> bool:
        with self._lock:
            return link_id in self._entries

    def admit(self, link_id: int) -> bool:
        """May ``link_id`` start a new job now? True reserves a slot until it is handed over
        (:meth:`adopt`) or given back (:meth:`release`). Links already waiting go first."""
        with self._lock:
            cap = self.settings.max_running
            if cap <= 0:
                return True
            waiting = any(not e.running and e.link_id != link_id for e in self._entries.values())
            if waiting or self._running_count() >= cap:
                return False
            self._reserved.add(link_id)
            return True

    def release(self, link_id: int) -> None:
        with self._lock:
            self._reserved.discard(link_id)

    def running_jobs(self) -> int:
        with self._lock:
            return self._running_count()

    def waiting_message(self) -> str:
        with self._lock:
            return (
                f"Waiting for a free Offcloud slot ({self._running_count()} of "
                f"{self.settings.max_running} jobs running)"
            )

    def snapshot(self) -> list[Followed]:
        with self._lock:
            return list(self._entries.values())

    def _running_count(self) -> int:
        running = sum(1 for e in self._entries.values() if e.running and e.capped)
        return running + len(self._reserved)

    # ---------------------------------------------------------------------------------------
    # the loop

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="OffcloudFollower", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stopped.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        last_round = float("-inf")
        while not self._stopped.is_set():
            # Read each time: a changed follow_interval applies to the round under way.
            next_round = max(last_round + self.settings.interval, self._pause_until)
            try:
                if self.clock() >= next_round:
                    last_round = self.clock()
                    self.round()
                else:
                    self._sync_links()  # a link just handed over shows its state at once
            except Exception:  # the loop must outlive any one failure
                log.warning("Offcloud background round failed", exc_info=True)
            next_round = max(last_round + self.settings.interval, self._pause_until)
            unmarked = any(not entry.marked for entry in self.snapshot())
            wait = 0.5 if unmarked else max(0.0, next_round - self.clock())
            self._wake.wait(min(wait, self.settings.interval))
            self._wake.clear()

    def round(self) -> None:
        """One pass: look at the links, start what may start, ask Offcloud, act on the answers."""
        self.rounds += 1
        self._sync_links()
        if self.clock() < self._pause_until:
            return
        if not self.snapshot() and not self._history_wanted():
            return
        api = self.client()
        if api is None:
            return
        try:
            self._check_jobs(api)
            self._submit_waiting(api)  # after the checks: the jobs that ended freed their slots
        except RateLimitError as exc:
            delay = exc.retry_after if exc.retry_after is not None else 60.0
            self._pause_until = self.clock() + delay
            log.info("Offcloud asked to slow down; the background loop pauses %.0f s", delay)
        except OffcloudError as exc:
            log.info("Offcloud background round stopped: %s", exc.message)
        finally:
            api.close()

    def _sync_links(self) -> None:
        """Let go of links the user deleted or restarted; show the new ones as waiting."""
        for entry in self.snapshot():
            state = self.links.state(entry.link_id)
            if state is None:
                self.notice(f"{entry.name}: the link was deleted, Offcloud is no longer followed")
                self.forget(entry.link_id)
                continue
            entry.busy = state.busy
            if state.busy:
                continue  # its plugin is handing it over, or runs it again
            if state.status not in HANDED_OVER or (entry.marked and state.status != PROCESSING):
                self.forget(entry.link_id)  # restarted: the plugin takes it from here
                continue
            if not entry.marked or state.status != PROCESSING:
                self._show(entry, self._waiting_text(entry), None, force=True)

    def _waiting_text(self, entry: Followed) -> str:
        if not entry.running:
            return self._full_text or self.waiting_message()
        return f"{entry.text or f'Offcloud job {entry.request_id}'} (followed in the background)"

    def _show(
        self, entry: Followed, text: str, percent: Optional[int], force: bool = False
    ) -> None:
        if entry.busy:
            return  # shown once its plugin's thread ended (pyLoad then sets "aborted")
        if force or text != entry.shown:
            self.links.show(entry.link_id, text, percent)
            entry.shown, entry.marked = text, True

    def _submit_waiting(self, api: OffcloudAPI) -> None:
        cap = self.settings.max_running
        if self.clock() < self._full_until:
            return  # the cloud was full a moment ago: tried again every full_wait
        waiting = sorted((e for e in self.snapshot() if not e.running), key=lambda e: e.handed_at)
        for entry in waiting:
            with self._lock:
                if cap > 0 and self._running_count() >= cap:
                    return
            if not self._submit(api, entry):
                return

    def _submit(self, api: OffcloudAPI, entry: Followed) -> bool:
        """Add ``entry``'s link; False when the cloud is full (nothing more is added now)."""
        if not entry.magnet:
            self._give_up(entry, "nothing to submit to Offcloud")
            return True
        try:
            job = self.room.add(api, entry.magnet, self.room_view)
        except RateLimitError:
            raise
        except CloudFullError:
            self._cloud_full()
            return False
        except OffcloudError as exc:
            self._give_up(entry, f"Offcloud did not take it: {exc.message}")
            return True
        if self._full_text:
            self._full_text = ""  # room again: the others show their usual text
            for other in self.snapshot():
                if not other.running and other is not entry:
                    self._show(other, self._waiting_text(other), None)
        remember(self.plugin_store(entry.plugin), entry.storage_key, job.request_id)
        entry.request_id = job.request_id
        self.store.store(entry.key, entry.to_stored())
        log.info("submitted %s as Offcloud job %s (a slot was free)", entry.name, job.request_id)
        if job.status is JobStatus.DOWNLOADED:
            self._finished(entry)
        else:
            self._show(entry, self._waiting_text(entry), 0)
        return True

    def _cloud_full(self) -> None:
        """No room could be made: every waiting link says so; the next try after full_wait."""
        wait = self.room.wait_seconds
        now = self.clock()
        self._full_until = now + wait
        self._full_text = full_message(wait)
        for entry in self.snapshot():
            if entry.running:
                continue
            if entry.handed_at and now - entry.handed_at > MAX_FULL_WAIT:
                self._give_up(
                    entry,
                    f"your Offcloud cloud stayed full for a day: {FULL_ADVICE}; then restart "
                    "the link",
                )
                continue
            self._show(entry, self._full_text, None)
        log.info("Offcloud's cloud is full; waiting links are submitted again in %.0f s", wait)
        if self.room.first_full() and self.on_full is not None:
            self.on_full()

    def _check_jobs(self, api: OffcloudAPI) -> None:
        running = [e for e in self.snapshot() if e.running]
        if not running and not self._history_wanted():
            return
        history = {job.request_id: job for job in api.get_history()}
        now = self.clock()
        for entry in running:
            job = history.get(entry.request_id or "")
            if job is None:
                job = self._status(api, entry)
                if job is None:
                    continue
            self._act(entry, job, now)
        self._refresh_progress(api, now)
        if self.on_history is not None:
            try:
                self.on_history(list(history.values()))
            except Exception:  # the import's trouble: the loop goes on (submits what waits)
                log.warning("Offcloud history consumer failed", exc_info=True)

    def _history_wanted(self) -> bool:
        return self.on_history is not None and self.settings.always_history

    def _status(self, api: OffcloudAPI, entry: Followed) -> Optional[Job]:
        try:
            return api.cloud_status(entry.request_id or "")
        except NotFoundError:
            self._give_up(
                entry,
                f"the Offcloud job {entry.request_id} is gone from your cloud; restart the "
                "link to add it again",
            )
            return None

    def _act(self, entry: Followed, job: Job, now: float) -> None:
        if job.status.is_final:
            self._ended(entry, job)
            return
        if job.status is JobStatus.CREATED and not job.fraction_done:
            entry.created_since = entry.created_since or now
            if now - entry.created_since > self.settings.stuck_after:
                self._give_up(
                    entry,
                    f"Offcloud never started the job {job.request_id} "
                    f"({self.settings.stuck_after / 60:.0f} min in 'created')",
                )
                return
        else:
            entry.created_since = None
        if entry.deadline and now > entry.deadline:
            self._give_up(
                entry,
                f"gave up waiting for the Offcloud job {job.request_id}; it goes on in your "
                "cloud, restart the link to follow it again",
            )

    def _refresh_progress(self, api: OffcloudAPI, now: float) -> None:
        due = sorted(
            (
                e
                for e in self.snapshot()
                if e.running and now - e.refreshed_at >= self.settings.progress_every
            ),
            key=lambda e: e.refreshed_at,
        )
        for entry in due[: self.settings.progress_calls]:
            entry.refreshed_at = now
            job = self._status(api, entry)
            if job is None or job.status.is_final:
                if job is not None:
                    self._ended(entry, job)
                continue
            fraction = job.fraction_done
            percent = int(fraction * 100) if fraction is not None else None
            self._show(entry, f"{format_progress(job)} (followed in the background)", percent)

    def _ended(self, entry: Followed, job: Job) -> None:
        """A downloaded job, or a failed one, goes back to its plugin: it queues the files, or has
        Offcloud try once more. A job that failed after that one more try ends here."""
        if job.status.is_failed:
            stored = self.plugin_store(entry.plugin).retrieve(entry.storage_key)
            if isinstance(stored, dict) and stored.get("retried"):
                reason = job.error_message or job.message or job.status.value
                self._give_up(
                    entry, f"Offcloud could not fetch it, also on a second try ({reason})"
                )
                return
        self._finished(entry)

    def _finished(self, entry: Followed) -> None:
        with self._lock:
            current = self._entries.get(entry.link_id)
        if current is not entry:
            return
        self.forget(entry.link_id)
        self.links.restart(entry.link_id)

    def _give_up(self, entry: Followed, why: str) -> None:
        self.forget(entry.link_id)
        self.links.fail(entry.link_id, why[:1].upper() + why[1:])
        self.notice(f"{entry.name}: {why}")
