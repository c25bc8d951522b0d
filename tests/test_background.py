"""The background loop that follows Offcloud jobs for pyLoad links, driven round by round.

pyLoad's queue, its plugin storage and Offcloud are in-memory fakes; ``Follower.round()`` is
called directly with a clock the test moves. Only the last test runs the loop's thread.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any, Callable, Optional

import pytest
from fakes import FakePyloadDb

from offcloud_api.exceptions import (
    CloudFullError,
    FileOfflineError,
    NotFoundError,
    RateLimitError,
    ServerError,
)
from offcloud_api.models import Job, JobStatus
from offcloud_api.pyload.background import (
    ABORTED,
    FAILED,
    PROCESSING,
    Followed,
    Follower,
    LinkState,
    Settings,
    active_follower,
    attach,
    detach,
)
from offcloud_api.pyload.cloudroom import CloudRoom
from offcloud_api.pyload.storage import HOOK_STORAGE, PluginStore

QUEUED = 2  # pyLoad's status of a link the user restarted
DECRYPTER = "OffcloudComTorrent"
MAGNET = "magnet:?xt=urn:btih:08ada5a7a6183aae1e09d831df6748d566095a10"
START = 1_000_000.0


class FakeLinks:
    """pyLoad's queue as the loop sees it; showing a text makes a link "processing", as pyLoad's
    ``set_custom_status`` does."""

    def __init__(self) -> None:
        self.states: dict[int, LinkState] = {}
        self.shown: list[tuple[int, str, Optional[int]]] = []
        self.restarted: list[int] = []
        self.failed: list[tuple[int, str]] = []

    def handed_over(self, link_id: int) -> None:
        self.states[link_id] = LinkState(status=ABORTED, busy=False)

    def state(self, link_id: int) -> Optional[LinkState]:
        return self.states.get(link_id)

    def show(self, link_id: int, text: str, percent: Optional[int]) -> None:
        self.shown.append((link_id, text, percent))
        old = self.states.get(link_id)
        self.states[link_id] = LinkState(status=PROCESSING, busy=old is not None and old.busy)

    def restart(self, link_id: int) -> None:
        self.restarted.append(link_id)
        self.states[link_id] = LinkState(status=QUEUED, busy=False)

    def fail(self, link_id: int, message: str) -> None:
        self.failed.append((link_id, message))
        self.states[link_id] = LinkState(status=FAILED, busy=False)

    def texts(self, link_id: int) -> list[str]:
        return [text for shown_id, text, _percent in self.shown if shown_id == link_id]


class FakeAPI:
    """Offcloud: ``jobs`` is the truth the status call answers; the history lists them too,
    except ``hidden`` ones, and says ``stale`` ones' older state."""

    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        self.hidden: set[str] = set()
        self.gone: set[str] = set()  # listed by the history, unknown to the status call
        self.stale: dict[str, Job] = {}
        self.calls: list[tuple[str, str]] = []
        self.closed = 0
        self.history_error: Optional[Exception] = None
        self.cloud_errors: list[Exception] = []
        self.new_status = JobStatus.DOWNLOADING
        self.on_history_call: Optional[Callable[[], None]] = None
        self._made = 0

    def set(self, request_id: str, status: JobStatus, **fields: Any) -> Job:
        job = Job(request_id=request_id, status=status, **fields)
        self.jobs[request_id] = job
        return job

    def get_history(self) -> list[Job]:
        self.calls.append(("history", ""))
        if self.on_history_call is not None:
            self.on_history_call()
        if self.history_error is not None:
            raise self.history_error
        return [
            self.stale.get(rid, job) for rid, job in self.jobs.items() if rid not in self.hidden
        ]

    def cloud_status(self, request_id: str) -> Job:
        self.calls.append(("status", request_id))
        if request_id not in self.jobs or request_id in self.gone:
            raise NotFoundError(f"no job {request_id}", status=404)
        return self.jobs[request_id]

    def cloud(self, url: str) -> Job:
        self.calls.append(("cloud", url))
        if self.cloud_errors:
            raise self.cloud_errors.pop(0)
        self._made += 1
        return self.set(f"new{self._made}", self.new_status)

    def close(self) -> None:
        self.closed += 1

    def made(self, kind: str) -> list[str]:
        return [arg for name, arg in self.calls if name == kind]


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


class Rig:
    """A follower over fakes, with what it told the user."""

    def __init__(
        self, *, on_history: Optional[Callable[[list[Job]], None]] = None, **settings: Any
    ):
        self.db = FakePyloadDb()
        self.links = FakeLinks()
        self.api = FakeAPI()
        self.clock = Clock()
        self.notices: list[str] = []
        self.clients = 0
        self.account = True
        settings.setdefault("progress_every", 60.0)
        self.settings = Settings(**settings)
        self.on_history = on_history
        self.follower = self.new_follower()

    def client(self) -> Optional[FakeAPI]:
        self.clients += 1
        return self.api if self.account else None

    def new_follower(self) -> Follower:
        """A follower on this rig's storage: what the addon makes when pyLoad starts."""
        return Follower(
            self.links,
            PluginStore(self.db, HOOK_STORAGE),
            self.client,  # type: ignore[arg-type]
            plugin_store=lambda plugin: PluginStore(self.db, plugin),
            settings=self.settings,
            on_history=self.on_history,
            notice=self.notices.append,
            clock=self.clock,
        )

    def hand_over(
        self,
        link_id: int,
        request_id: Optional[str] = None,
        *,
        magnet: Optional[str] = MAGNET,
        capped: bool = True,
        deadline: float = 0.0,
        handed_at: float = 0.0,
    ) -> Followed:
        """What a plugin does: remember its job, hand the link to the loop, end its thread."""
        if request_id is not None:
            self.plugin_store().store(
                f"job:{link_id}", {"request_id": request_id, "retried": False}
            )
        entry = Followed(
            link_id=link_id,
            plugin=DECRYPTER,
            storage_key=f"job:{link_id}",
            name=f"Torrent {link_id}",
            request_id=request_id,
            magnet=magnet,
            capped=capped,
            handed_at=handed_at,
            deadline=deadline,
        )
        self.follower.adopt(entry)
        self.links.handed_over(link_id)
        return entry

    def plugin_store(self) -> PluginStore:
        return PluginStore(self.db, DECRYPTER)

    def stored(self) -> dict[str, Any]:
        return dict(PluginStore(self.db, HOOK_STORAGE).items())

    def round(self, after: float = 0.0) -> None:
        self.clock.now += after
        self.follower.round()


# --------------------------------------------------------------------------------------------
# storage


def test_a_followed_link_is_stored_without_what_the_session_learned() -> None:
    entry = Followed(
        link_id=5,
        plugin=DECRYPTER,
        storage_key="job:abc",
        name="Demo",
        request_id="r1",
        magnet=MAGNET,
        capped=True,
        handed_at=10.5,
        deadline=99.0,
        text="Offcloud downloading",
        marked=True,
    )
    stored = entry.to_stored()
    assert set(stored) == set(Followed.STORED)
    again = Followed.from_stored(json.loads(json.dumps(stored)))
    assert again == entry
    assert again is not None
    assert not again.marked
    assert again.text == ""
    assert entry.key == "follow:5"
    assert entry.running
    waiting = Followed.from_stored({**stored, "request_id": "", "magnet": None, "deadline": None})
    assert waiting is not None
    assert not waiting.running
    assert waiting.magnet is None
    assert waiting.deadline == 0.0


@pytest.mark.parametrize(
    "value",
    ["follow", None, {"plugin": "x", "storage_key": "k"}, {"link_id": "seven", "plugin": "x",
     "storage_key": "k"}, {"link_id": 1, "plugin": "x", "storage_key": "k", "deadline": "soon"}],
)  # fmt: skip
def test_a_broken_stored_value_is_no_followed_link(value: Any) -> None:
    assert Followed.from_stored(value) is None


# --------------------------------------------------------------------------------------------
# following jobs


def test_a_handed_over_link_is_stored_shown_and_its_progress_asked() -> None:
    rig = Rig()
    rig.api.set("r1", JobStatus.DOWNLOADING, progress=0.42)
    rig.hand_over(7, "r1")
    assert rig.follower.follows(7)
    assert rig.stored()["follow:7"]["request_id"] == "r1"
    assert rig.stored()["follow:7"]["handed_at"] == START  # the loop's clock
    rig.round()
    assert rig.links.shown == [
        (7, "Offcloud job r1 (followed in the background)", None),
        (7, "Offcloud downloading, 42 % (followed in the background)", 42),
    ]
    assert rig.api.calls == [("history", ""), ("status", "r1")]
    assert rig.api.closed == 1
    assert rig.links.restarted == rig.links.failed == []
    # Not due again yet (progress_every): the history only, and nothing shown again.
    rig.round(after=30)
    assert rig.api.calls[2:] == [("history", "")]
    # Due again, same progress: asked, but the same text is not shown twice.
    rig.round(after=31)
    assert rig.api.calls[3:] == [("history", ""), ("status", "r1")]
    assert len(rig.links.shown) == 2
    rig.api.set("r1", JobStatus.DOWNLOADING, progress=0.9)
    rig.round(after=61)
    assert rig.links.shown[-1] == (7, "Offcloud downloading, 90 % (followed in the background)", 90)


def test_one_history_call_a_round_for_many_jobs_and_progress_within_its_budget() -> None:
    rig = Rig(progress_calls=3)
    for link_id in range(1, 21):
        rig.api.set(f"r{link_id}", JobStatus.DOWNLOADING)
        rig.hand_over(link_id, f"r{link_id}")
    rig.round()
    assert rig.api.made("history") == [""]
    first = rig.api.made("status")
    assert len(first) == 3
    rig.round(after=10)
    assert rig.api.made("history") == ["", ""]
    second = rig.api.made("status")[3:]
    assert len(second) == 3
    assert not set(first) & set(second)  # the longest unrefreshed go first
    assert rig.api.made("cloud") == []
    assert rig.api.closed == 2
    assert len(rig.follower.snapshot()) == 20


def test_a_finished_job_restarts_its_link_and_is_let_go() -> None:
    rig = Rig()
    rig.api.set("r1", JobStatus.DOWNLOADING)
    rig.api.set("r2", JobStatus.DOWNLOADING)
    rig.hand_over(7, "r1")
    rig.hand_over(8, "r2")
    rig.round()
    rig.api.set("r1", JobStatus.DOWNLOADED)
    rig.round(after=30)
    assert rig.links.restarted == [7]
    assert not rig.follower.follows(7)
    assert rig.follower.follows(8)
    assert "follow:7" not in rig.stored()
    assert rig.links.failed == []
    rig.api.set("r2", JobStatus.DOWNLOADED)
    rig.round(after=30)
    assert rig.links.restarted == [7, 8]
    assert rig.stored() == {}
    clients, calls = rig.clients, len(rig.api.calls)
    rig.round(after=30)  # nothing followed: Offcloud is not asked
    assert (rig.clients, len(rig.api.calls)) == (clients, calls)
    assert rig.links.restarted == [7, 8]  # a restarted link is not let go of or shown again


def test_a_failed_job_goes_back_to_its_plugin_for_its_one_retry() -> None:
    rig = Rig()
    rig.api.set("r1", JobStatus.ERROR, error_message="tracker unreachable")
    rig.hand_over(7, "r1")
    rig.round()
    assert rig.links.restarted == [7]
    assert rig.links.failed == []


def test_a_job_failed_after_its_retry_is_given_up_with_the_reason() -> None:
    rig = Rig()
    rig.api.set("r1", JobStatus.DOWNLOADING)
    rig.hand_over(7, "r1")
    rig.plugin_store().store("job:7", {"request_id": "r1", "retried": True})
    rig.api.set("r1", JobStatus.ERROR, error_message="tracker unreachable")
    rig.round()
    assert rig.links.failed == [
        (7, "Offcloud could not fetch it, also on a second try (tracker unreachable)")
    ]
    assert rig.links.restarted == []
    assert rig.notices == [
        "Torrent 7: Offcloud could not fetch it, also on a second try (tracker unreachable)"
    ]
    assert not rig.follower.follows(7)
    assert rig.stored() == {}


def test_a_job_failed_without_a_message_names_its_status() -> None:
    rig = Rig()
    rig.api.set("r1", JobStatus.CANCELED)
    rig.hand_over(7, "r1")
    rig.plugin_store().store("job:7", {"request_id": "r1", "retried": True})
    rig.round()
    assert rig.links.failed == [(7, "Offcloud could not fetch it, also on a second try (canceled)")]


def test_a_job_missing_from_the_history_is_asked_by_status() -> None:
    rig = Rig(progress_calls=0)
    rig.api.set("r1", JobStatus.DOWNLOADING)
    rig.api.hidden.add("r1")
    rig.hand_over(7, "r1")
    rig.round()
    assert rig.api.calls == [("history", ""), ("status", "r1")]
    assert rig.follower.follows(7)
    rig.api.set("r1", JobStatus.DOWNLOADED)
    rig.round(after=30)
    assert rig.links.restarted == [7]


def test_a_job_gone_from_the_cloud_is_given_up() -> None:
    rig = Rig()
    rig.hand_over(7, "gone1")
    rig.round()
    assert rig.links.failed == [
        (
            7,
            "The Offcloud job gone1 is gone from your cloud; restart the link to add it again",
        )
    ]
    assert rig.notices[-1].startswith("Torrent 7: the Offcloud job gone1 is gone")
    assert not rig.follower.follows(7)
    assert rig.api.made("status") == ["gone1"]  # not asked a second time for the progress


def test_a_job_deleted_between_history_and_progress_call_is_given_up() -> None:
    rig = Rig()
    rig.api.set("r1", JobStatus.DOWNLOADING)
    rig.api.gone.add("r1")
    rig.hand_over(7, "r1")
    rig.round()
    assert rig.api.calls == [("history", ""), ("status", "r1")]
    assert [link_id for link_id, _message in rig.links.failed] == [7]
    assert not rig.follower.follows(7)


def test_a_job_that_finishes_between_history_and_progress_call_restarts_its_link() -> None:
    rig = Rig()
    rig.api.set("r1", JobStatus.DOWNLOADED)
    rig.api.stale["r1"] = Job(request_id="r1", status=JobStatus.DOWNLOADING)
    rig.hand_over(7, "r1")
    rig.round()
    assert rig.links.restarted == [7]
    assert not rig.follower.follows(7)


def test_the_wait_is_given_up_at_the_deadline() -> None:
    rig = Rig()
    rig.api.set("r1", JobStatus.DOWNLOADING)
    rig.hand_over(7, "r1", deadline=START + 100)
    rig.round(after=50)
    assert rig.follower.follows(7)
    rig.round(after=51)
    assert rig.links.failed == [
        (
            7,
            (
                "Gave up waiting for the Offcloud job r1; it goes on in your cloud, restart the "
                "link to follow it again"
            ),
        )
    ]
    assert not rig.follower.follows(7)
    assert rig.links.restarted == []


def test_a_job_that_never_leaves_created_is_given_up() -> None:
    rig = Rig(stuck_after=600)
    rig.api.set("r1", JobStatus.CREATED, message="Loading...")
    rig.hand_over(7, "r1")
    rig.round()
    rig.round(after=300)
    # It started after all: the count starts again the next time it is back in "created".
    rig.api.set("r1", JobStatus.DOWNLOADING, progress=0.1)
    rig.round(after=200)
    rig.api.set("r1", JobStatus.CREATED)
    rig.round(after=200)
    rig.round(after=600)
    assert rig.links.failed == []
    rig.round(after=1)
    assert rig.links.failed == [(7, "Offcloud never started the job r1 (10 min in 'created')")]


def test_a_created_job_with_progress_is_not_stuck() -> None:
    rig = Rig(stuck_after=60)
    rig.api.set("r1", JobStatus.CREATED, progress=0.3)
    rig.hand_over(7, "r1")
    rig.round()
    rig.round(after=1000)
    assert rig.links.failed == []
    assert rig.follower.follows(7)


# --------------------------------------------------------------------------------------------
# links the user deleted or restarted


def test_a_deleted_link_is_let_go_without_asking_offcloud() -> None:
    rig = Rig()
    rig.api.set("r1", JobStatus.DOWNLOADING)
    rig.hand_over(7, "r1")
    del rig.links.states[7]
    rig.round()
    assert not rig.follower.follows(7)
    assert rig.stored() == {}
    assert rig.notices == ["Torrent 7: the link was deleted, Offcloud is no longer followed"]
    assert rig.clients == 0
    assert rig.api.calls == []
    assert rig.links.restarted == rig.links.failed == rig.links.shown == []


@pytest.mark.parametrize("status", [QUEUED, ABORTED], ids=["restarted", "aborted"])
def test_a_link_the_user_restarted_or_aborted_is_let_go(status: int) -> None:
    rig = Rig()
    rig.api.set("r1", JobStatus.DOWNLOADING)
    rig.hand_over(7, "r1")
    rig.round()
    assert rig.links.states[7].status == PROCESSING
    rig.links.states[7] = LinkState(status=status, busy=False)
    rig.api.set("r1", JobStatus.DOWNLOADED)
    rig.round(after=30)
    assert not rig.follower.follows(7)
    assert rig.stored() == {}
    assert rig.links.restarted == rig.links.failed == []  # its plugin takes it from here
    assert rig.api.made("history") == [""]  # nothing left to ask about


def test_a_link_its_plugin_thread_still_has_is_not_touched_until_the_thread_ends() -> None:
    # The plugin handed the link over and has not raised Abort yet when a round runs.
    rig = Rig()
    rig.api.set("r1", JobStatus.DOWNLOADING, progress=0.5)
    rig.hand_over(7, "r1")
    rig.links.states[7] = LinkState(status=QUEUED, busy=True)
    rig.round()
    assert rig.follower.follows(7)
    assert rig.api.made("status") == ["r1"]
    assert rig.links.shown == []  # its status is the thread's until it ends
    rig.links.states[7] = LinkState(status=ABORTED, busy=False)  # pyLoad's answer to Abort
    rig.round(after=5)
    assert rig.follower.follows(7)  # not taken for a link the user aborted
    assert rig.links.texts(7) == ["Offcloud job r1 (followed in the background)"]
    rig.round(after=60)
    assert rig.follower.follows(7)
    assert rig.links.texts(7)[-1] == "Offcloud downloading, 50 % (followed in the background)"


def test_a_plugin_that_takes_its_link_back_frees_it() -> None:
    rig = Rig(max_running=1)
    rig.api.set("r1", JobStatus.DOWNLOADING)
    rig.hand_over(7, "r1")
    assert rig.follower.running_jobs() == 1
    rig.follower.forget(7)
    rig.follower.forget(7)  # twice: nothing more happens
    assert rig.follower.running_jobs() == 0
    assert rig.stored() == {}
    assert not rig.follower.follows(7)


def test_a_link_handed_over_again_during_a_round_is_not_restarted_for_its_old_job() -> None:
    rig = Rig()
    rig.api.set("r1", JobStatus.DOWNLOADED)
    rig.api.set("r2", JobStatus.DOWNLOADING)
    rig.hand_over(7, "r1")

    def again() -> None:  # its plugin ran meanwhile and handed it over with a new job
        rig.api.on_history_call = None
        rig.hand_over(7, "r2")

    rig.api.on_history_call = again
    rig.round()
    assert rig.links.restarted == []
    assert rig.follower.snapshot()[0].request_id == "r2"
    assert rig.stored()["follow:7"]["request_id"] == "r2"


# --------------------------------------------------------------------------------------------
# a pyLoad restart


def test_a_new_follower_on_the_same_storage_resumes_every_link() -> None:
    rig = Rig(max_running=1)
    rig.api.set("r1", JobStatus.DOWNLOADING)
    rig.hand_over(7, "r1", deadline=START + 3600)
    rig.hand_over(8, None)  # waits for a slot
    before = rig.follower.snapshot()
    PluginStore(rig.db, HOOK_STORAGE).store("follow:99", "left by an older version")
    # pyLoad restarts: "processing" links come back "aborted", a new addon makes a new loop.
    rig.clock.now += 120
    rig.links.handed_over(7)
    rig.links.handed_over(8)
    rig.follower = rig.new_follower()
    assert sorted(rig.follower.snapshot(), key=lambda e: e.link_id) == before
    rig.round()
    assert rig.links.texts(8)[0] == "Waiting for a free Offcloud slot (1 of 1 jobs running)"
    assert rig.links.texts(7)[0] == "Offcloud job r1 (followed in the background)"
    assert rig.api.made("cloud") == []  # the cap holds across the restart
    rig.api.set("r1", JobStatus.DOWNLOADED)
    rig.round(after=30)
    assert rig.links.restarted == [7]
    assert rig.api.made("cloud") == [MAGNET]  # the slot went to the waiting torrent
    entry = rig.follower.snapshot()[0]
    assert (entry.link_id, entry.request_id) == (8, "new1")
    assert rig.stored()["follow:8"]["request_id"] == "new1"
    # The decrypter finds its job when the link runs again.
    assert rig.plugin_store().retrieve("job:8") == {"request_id": "new1", "retried": False}
    assert rig.links.texts(8)[-1] == "Offcloud job new1 (followed in the background)"


# --------------------------------------------------------------------------------------------
# the cap on running jobs


def test_admit_reserves_slots_and_links_already_waiting_go_first() -> None:
    rig = Rig(max_running=2)
    follower = rig.follower
    assert follower.admit(1)
    assert follower.admit(2)
    assert not follower.admit(3)
    assert follower.running_jobs() == 2
    follower.release(2)
    assert follower.admit(3)
    rig.hand_over(1, "r1")  # the reservation becomes the running job
    assert follower.running_jobs() == 2
    assert follower.waiting_message() == "Waiting for a free Offcloud slot (2 of 2 jobs running)"
    rig.hand_over(9, "r9", capped=False)  # a hoster link's job does not count
    assert follower.running_jobs() == 2
    rig.hand_over(4, None)  # a torrent waiting for a slot
    follower.release(3)
    assert follower.running_jobs() == 1
    assert not follower.admit(5)  # a slot is free, but 4 was first
    assert follower.admit(4)  # 4 itself may take it


def test_without_a_cap_every_link_is_admitted() -> None:
    rig = Rig(max_running=0)
    assert all(rig.follower.admit(link_id) for link_id in range(100))
    assert rig.follower.running_jobs() == 0


def test_the_cap_is_never_exceeded_and_the_oldest_waiting_torrent_goes_first() -> None:
    rig = Rig(max_running=2, progress_calls=0)
    order = [5, 3, 1, 4, 2]
    for position, link_id in enumerate(order):
        rig.hand_over(link_id, None, magnet=f"{MAGNET}&dn=t{link_id}", handed_at=START + position)
    submitted: list[str] = []
    for _round in range(12):
        rig.round(after=30)
        submitted = rig.api.made("cloud")
        working = [job for job in rig.api.jobs.values() if not job.status.is_final]
        assert len(working) <= 2
        assert rig.follower.running_jobs() <= 2
        running = [e for e in rig.follower.snapshot() if e.running]
        assert len(running) == len(working)
        if working:  # Offcloud finishes the oldest job before the next round
            rig.api.set(working[0].request_id, JobStatus.DOWNLOADED)
    assert submitted == [f"{MAGNET}&dn=t{link_id}" for link_id in order]
    assert rig.links.restarted == order
    assert rig.follower.snapshot() == []


def test_a_torrent_waiting_for_a_slot_that_is_cached_restarts_at_once() -> None:
    rig = Rig(max_running=1)
    rig.api.new_status = JobStatus.DOWNLOADED
    rig.hand_over(7, None)
    rig.round()
    assert rig.api.made("cloud") == [MAGNET]
    assert rig.links.restarted == [7]
    assert rig.plugin_store().retrieve("job:7") == {"request_id": "new1", "retried": False}
    assert rig.stored() == {}


def test_a_waiting_link_with_nothing_to_submit_is_given_up() -> None:
    rig = Rig(max_running=1)
    rig.hand_over(7, None, magnet=None)
    rig.round()
    assert rig.links.failed == [(7, "Nothing to submit to Offcloud")]
    assert rig.api.made("cloud") == []


def test_a_torrent_offcloud_refuses_is_given_up_and_the_next_one_submitted() -> None:
    rig = Rig(max_running=1)
    rig.api.cloud_errors.append(FileOfflineError("the torrent has no peers"))
    rig.hand_over(7, None, handed_at=START)
    rig.hand_over(8, None, magnet=MAGNET + "&dn=second", handed_at=START + 1)
    rig.round()
    assert rig.links.failed == [(7, "Offcloud did not take it: the torrent has no peers")]
    assert rig.notices == ["Torrent 7: Offcloud did not take it: the torrent has no peers"]
    assert rig.api.made("cloud") == [MAGNET, MAGNET + "&dn=second"]
    assert rig.follower.snapshot()[0].request_id == "new1"


# --------------------------------------------------------------------------------------------
# Offcloud's limits and errors


def test_a_429_pauses_the_loop_for_as_long_as_offcloud_asks() -> None:
    rig = Rig()
    rig.api.set("r1", JobStatus.DOWNLOADING)
    rig.hand_over(7, "r1")
    rig.api.history_error = RateLimitError("slow down", status=429, retry_after=120)
    rig.round()
    assert rig.api.closed == 1
    rig.api.history_error = None
    rig.round(after=60)
    rig.round(after=59)
    assert rig.clients == 1  # paused: not even a client
    assert rig.follower.follows(7)
    rig.round(after=1)
    assert rig.clients == 2
    assert rig.api.made("history") == ["", ""]


def test_a_429_without_retry_after_pauses_a_minute_and_a_refused_submit_waits() -> None:
    rig = Rig(max_running=1)
    rig.api.cloud_errors.append(RateLimitError("slow down", status=429))
    rig.hand_over(7, None)
    rig.round()
    assert rig.links.failed == []  # not given up: it is submitted after the pause
    rig.round(after=59)
    assert rig.api.made("cloud") == [MAGNET]
    rig.round(after=1)
    assert rig.api.made("cloud") == [MAGNET, MAGNET]
    assert rig.follower.snapshot()[0].request_id == "new1"


def test_another_offcloud_error_ends_the_round_only() -> None:
    rig = Rig()
    rig.api.set("r1", JobStatus.DOWNLOADING)
    rig.hand_over(7, "r1")
    rig.api.history_error = ServerError("502 Bad Gateway", status=502)
    rig.round()
    assert rig.api.closed == 1
    assert rig.follower.follows(7)
    assert rig.links.failed == []
    rig.api.history_error = None
    rig.api.set("r1", JobStatus.DOWNLOADED)
    rig.round(after=1)  # no pause after a 5xx
    assert rig.links.restarted == [7]


def test_without_a_usable_account_nothing_is_asked() -> None:
    rig = Rig()
    rig.account = False
    rig.hand_over(7, "r1")
    rig.round()
    assert rig.clients == 1
    assert rig.api.calls == []
    assert rig.follower.follows(7)
    assert rig.links.texts(7) == ["Offcloud job r1 (followed in the background)"]


# --------------------------------------------------------------------------------------------
# the history for the import


def test_the_history_is_passed_on_and_asked_also_with_nothing_followed_when_wanted() -> None:
    seen: list[list[str]] = []
    rig = Rig(on_history=lambda jobs: seen.append([j.request_id for j in jobs]))
    rig.api.set("x1", JobStatus.DOWNLOADED)
    rig.round()
    assert rig.clients == 0  # the import is off: nothing followed, nothing asked
    rig.settings.always_history = True
    rig.round(after=30)
    assert seen == [["x1"]]
    assert rig.api.calls == [("history", "")]
    rig.api.set("r1", JobStatus.DOWNLOADING)
    rig.hand_over(7, "r1")
    rig.round(after=30)
    assert seen[-1] == ["x1", "r1"]
    assert rig.api.made("history") == ["", ""]  # the same call serves both


def test_a_failing_history_consumer_does_not_stop_the_loop() -> None:
    def broken(_jobs: list[Job]) -> None:
        raise RuntimeError("the import broke")

    rig = Rig(on_history=broken, max_running=1, always_history=True)
    rig.api.set("r1", JobStatus.DOWNLOADED)
    rig.hand_over(7, "r1")
    rig.hand_over(8, None, handed_at=START + 1)
    rig.round()
    assert rig.links.restarted == [7]
    assert rig.api.made("cloud") == [MAGNET]  # the slot 7 freed still goes to 8
    assert rig.api.closed == 1


# --------------------------------------------------------------------------------------------
# the thread


def wait_for(condition: Callable[[], bool], timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_the_loop_thread_starts_wakes_and_stops(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="offcloud_api.pyload.background")
    links = FakeLinks()
    db = FakePyloadDb()
    clock = Clock()
    calls: list[str] = []

    def client() -> Optional[FakeAPI]:
        calls.append("client")
        if len(calls) == 1:
            raise RuntimeError("no client today")
        return None  # no usable account: a round that ends early, without an error

    follower = Follower(
        links,
        PluginStore(db, HOOK_STORAGE),
        client,  # type: ignore[arg-type]
        plugin_store=lambda plugin: PluginStore(db, plugin),
        settings=Settings(interval=3600),
        clock=clock,
    )
    other = Follower(links, PluginStore(db, HOOK_STORAGE), client, plugin_store=PluginStore)  # type: ignore[arg-type]
    other.stop()  # never started: nothing to stop
    assert not other.running
    follower.adopt(
        Followed(link_id=1, plugin=DECRYPTER, storage_key="k1", name="a", request_id="r1")
    )
    links.handed_over(1)
    attach(follower)
    try:
        assert active_follower() is None  # attached, not running yet
        follower.start()
        thread = follower._thread
        follower.start()  # a second start starts nothing
        assert follower._thread is thread
        assert active_follower() is follower
        assert wait_for(lambda: follower.rounds == 1 and links.texts(1) != [])
        assert wait_for(lambda: "no client today" in caplog.text)
        assert "Offcloud background round failed" in caplog.text
        # A link handed over now is shown at once, without a round before its time.
        follower.adopt(
            Followed(link_id=2, plugin=DECRYPTER, storage_key="k2", name="b", request_id="r2")
        )
        links.handed_over(2)
        assert wait_for(lambda: links.texts(2) != [])
        assert follower.rounds == 1
        assert calls == ["client"]  # the failed round did not make the loop spin
        # The next round comes at its time, also after a failed one.
        clock.now += 3600
        follower.wake()
        assert wait_for(lambda: follower.rounds == 2)
        assert calls == ["client", "client"]
        detach(other)  # not the attached one: nothing changes
        assert active_follower() is follower
    finally:
        follower.stop()
        detach(follower)
    assert thread is not None
    assert not thread.is_alive()
    assert not follower.running
    assert active_follower() is None
    attach(follower)
    assert active_follower() is None  # stopped
    detach(follower)
    follower.stop()  # stopping twice is harmless
    time.sleep(0.05)
    assert follower.rounds == 2


def test_switching_the_loop_off_gives_every_link_back_to_its_plugin() -> None:
    rig = Rig()
    rig.hand_over(1, "job-1")
    rig.hand_over(2, magnet=MAGNET)  # waiting for a slot
    rig.links.restart = _raising_for(rig.links, 2)  # type: ignore[method-assign]
    assert rig.follower.hand_back() == 2
    assert rig.links.restarted == [1]  # link 2 vanished meanwhile: nothing to restart
    assert rig.follower.snapshot() == []
    # Nothing is left in the storage for the next start.
    assert list(PluginStore(rig.db, HOOK_STORAGE).items("follow:")) == []


def _raising_for(links: FakeLinks, gone: int) -> Callable[[int], None]:
    restart = links.restart

    def restart_unless_gone(link_id: int) -> None:
        if link_id == gone:
            raise LookupError(link_id)
        restart(link_id)

    return restart_unless_gone


# --------------------------------------------------------------------------------------------
# a full cloud (docs/api.md L23)


def _full() -> CloudFullError:
    return CloudFullError("Offcloud cloud storage is full", status=500, code="cloud")


def _roomy(rig: Rig, wait: float = 300.0) -> list[str]:
    """The rig's follower with a room of its own (no room can be made: no view) and a notice
    counter."""
    room = CloudRoom(clock=rig.clock, wall_clock=rig.clock)
    room.set_wait(wait)
    said: list[str] = []
    rig.follower.room = room
    rig.follower.on_full = lambda: said.append("full")
    return said


def test_a_full_cloud_keeps_the_links_waiting_and_tries_again_after_full_wait() -> None:
    rig = Rig()
    said = _roomy(rig)
    rig.api.cloud_errors.append(_full())
    rig.hand_over(7, None, handed_at=START)
    rig.hand_over(8, None, magnet=MAGNET + "&dn=second", handed_at=START + 1)
    rig.round()
    assert rig.links.failed == []  # waiting, not failed
    assert rig.api.made("cloud") == [MAGNET]  # nothing more is added into a full cloud
    assert said == ["full"]
    for link_id in (7, 8):
        assert "cloud is full" in rig.links.texts(link_id)[-1]
        assert "https://offcloud.com/#/cloud" in rig.links.texts(link_id)[-1]
    rig.round(after=100)  # before full_wait: no add
    assert rig.api.made("cloud") == [MAGNET]
    rig.round(after=201)
    assert rig.api.made("cloud") == [MAGNET, MAGNET, MAGNET + "&dn=second"]
    assert all(entry.running for entry in rig.follower.snapshot())
    assert said == ["full"]  # one notice for the spell


def test_the_notice_comes_once_per_spell_not_per_link() -> None:
    rig = Rig()
    said = _roomy(rig, wait=10)
    rig.api.cloud_errors.extend([_full(), _full()])
    rig.hand_over(7, None)
    rig.round()
    rig.round(after=11)
    assert said == ["full"]
    assert rig.api.made("cloud") == [MAGNET, MAGNET]
    rig.round(after=11)  # room: added
    rig.api.cloud_errors.append(_full())
    rig.hand_over(8, None, magnet=MAGNET + "&dn=second")
    rig.round()
    assert said == ["full"]  # full again within the hour: the same trouble, no second notice
    rig.round(after=3700)  # room again: link 8 is added, the spell ends
    rig.api.cloud_errors.append(_full())
    rig.hand_over(9, None, magnet=MAGNET + "&dn=third")
    rig.round()
    assert said == ["full", "full"]  # a new spell more than an hour after the last notice


def test_a_link_handed_over_for_room_says_so_at_once_and_waits_full_wait() -> None:
    rig = Rig()
    _roomy(rig, wait=60)
    entry = Followed(
        link_id=9, plugin=DECRYPTER, storage_key="job:9", name="Torrent 9", magnet=MAGNET
    )
    rig.follower.wait_for_room(entry)
    rig.links.handed_over(9)
    rig.round()
    assert "cloud is full" in rig.links.texts(9)[-1]
    assert rig.api.made("cloud") == []
    rig.round(after=61)
    assert rig.api.made("cloud") == [MAGNET]
    assert rig.follower.snapshot()[0].running


def test_a_link_that_waited_a_day_for_room_fails_saying_what_to_do() -> None:
    rig = Rig()
    _roomy(rig, wait=60)
    rig.hand_over(7, None, handed_at=START)
    rig.hand_over(8, None, magnet=MAGNET + "&dn=late", handed_at=START + 86_000)
    rig.api.cloud_errors.append(_full())
    rig.round(after=86_401)
    (failed,) = rig.links.failed
    assert failed[0] == 7
    assert "stayed full for a day" in failed[1]
    assert "https://offcloud.com/#/cloud" in failed[1]
    assert [entry.link_id for entry in rig.follower.snapshot()] == [8]  # still waiting
