"""Links a pyLoad restart would leave aborted: the notes, and the restart at the next start
(offcloud_api.pyload.resume), with pyLoad's queue and storage stood in."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any, Optional

import pytest
from fakes import FakePyloadDb

from offcloud_api.pyload import background, resume
from offcloud_api.pyload.background import Followed, Follower, LinkState
from offcloud_api.pyload.resume import (
    ABORTED,
    Keeper,
    LinkView,
    Note,
    PyloadQueue,
    active_keeper,
    hook_store,
)
from offcloud_api.pyload.storage import RESUME_PREFIX, PluginStore, resume_key

QUEUED, DOWNLOADING, WAITING, PROCESSING, FINISHED, FAILED, DECRYPTING = 3, 12, 5, 13, 0, 8, 10


class FakeQueue:
    def __init__(self) -> None:
        self.links_now: dict[int, LinkView] = {}
        self.is_calm = True
        self.plugins: Optional[set[str]] = {"OffcloudCom", "OffcloudComTorrent", "NitroflareCom"}
        self.following: set[int] = set()
        self.restarts: list[int] = []
        self.broken: set[int] = set()

    def put(self, link_id: int, status: int, plugin: str = "OffcloudCom", name: str = "") -> None:
        self.links_now[link_id] = LinkView(link_id, status, plugin, name or f"f{link_id}")

    def links(self) -> list[LinkView]:
        return list(self.links_now.values())

    def calm(self) -> bool:
        return self.is_calm

    def offcloud_plugins(self) -> Optional[set[str]]:
        return None if self.plugins is None else set(self.plugins)

    def followed(self, link_id: int) -> bool:
        return link_id in self.following

    def restart(self, link_id: int) -> None:
        if link_id in self.broken:
            raise RuntimeError("no such link")
        self.restarts.append(link_id)
        link = self.links_now[link_id]
        self.put(link_id, QUEUED, link.plugin, link.name)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def db() -> FakePyloadDb:
    return FakePyloadDb()


def _keeper(db: FakePyloadDb, queue: FakeQueue, clock: Clock, **kwargs: Any) -> Keeper:
    notices: list[str] = []
    keeper = Keeper(hook_store(db), queue, clock=clock, notice=notices.append, **kwargs)
    keeper.notices = notices  # type: ignore[attr-defined]
    return keeper


def _stored(db: FakePyloadDb) -> set[int]:
    return {
        note.link_id
        for _, v in hook_store(db).items(RESUME_PREFIX)
        if (note := Note.from_stored(v))
    }


def _pyload_start(queue: FakeQueue) -> None:
    """What pyLoad's database does at a start: every unfinished link becomes aborted."""
    for link in list(queue.links_now.values()):
        if link.status not in (0, 1, 4, 6, 8, 9):
            queue.put(link.link_id, ABORTED, link.plugin, link.name)


def test_offcloud_links_that_run_or_wait_are_noted_and_others_not(db: FakePyloadDb) -> None:
    queue, clock = FakeQueue(), Clock()
    queue.put(1, QUEUED)
    queue.put(2, DOWNLOADING, "NitroflareCom")  # a hoster the account took over
    queue.put(3, DECRYPTING, "OffcloudComTorrent")
    queue.put(4, QUEUED, "RapidgatorNet")  # not ours
    queue.put(5, FINISHED)
    queue.put(6, ABORTED)  # aborted before we saw it running: the user's
    keeper = _keeper(db, queue, clock)
    keeper.tick()
    assert _stored(db) == {1, 2, 3}
    assert hook_store(db).retrieve(resume_key(2)) == {
        "link_id": 2,
        "plugin": "NitroflareCom",
        "name": "f2",
    }


def test_a_link_that_ends_or_goes_is_forgotten(db: FakePyloadDb) -> None:
    queue, clock = FakeQueue(), Clock()
    for link_id in (1, 2, 3, 4):
        queue.put(link_id, DOWNLOADING)
    keeper = _keeper(db, queue, clock)
    keeper.tick()
    queue.put(1, FINISHED)
    queue.put(2, FAILED)
    del queue.links_now[3]  # deleted by the user
    keeper.tick()
    assert _stored(db) == {4}


def test_after_a_restart_exactly_the_noted_links_run_again(db: FakePyloadDb) -> None:
    queue, clock = FakeQueue(), Clock()
    queue.put(1, QUEUED)
    queue.put(2, DOWNLOADING)
    queue.put(3, WAITING, "NitroflareCom")
    queue.put(4, QUEUED, "RapidgatorNet")  # not ours: pyLoad's business
    queue.put(5, FINISHED)
    _keeper(db, queue, clock).tick()
    _pyload_start(queue)  # pyLoad stopped and started again (or was killed)
    keeper = _keeper(db, queue, clock)
    assert keeper.pending == {1, 2, 3}
    assert sorted(keeper.tick()) == [1, 2, 3]
    assert sorted(queue.restarts) == [1, 2, 3]
    assert queue.links_now[4].status == ABORTED
    assert "Restarted 3 Offcloud links" in keeper.notices[0]  # type: ignore[attr-defined]
    # They are noted again (a second crash resumes them too), and restarted only once.
    assert _stored(db) == {1, 2, 3}
    keeper.tick()
    assert sorted(queue.restarts) == [1, 2, 3]


def test_a_link_the_user_stopped_stays_aborted(db: FakePyloadDb) -> None:
    queue, clock = FakeQueue(), Clock()
    queue.put(1, DOWNLOADING)
    queue.put(2, DOWNLOADING)
    keeper = _keeper(db, queue, clock, settle=5)
    keeper.tick()
    queue.put(1, ABORTED)  # the user's stop: pyLoad runs on, calm
    keeper.tick()
    assert _stored(db) == {1, 2}, "one look is not enough: pyLoad's exit looks the same at first"
    clock.now += 6
    keeper.tick()
    assert _stored(db) == {2}
    _pyload_start(queue)
    restarted = _keeper(db, queue, clock).tick()
    assert restarted == [2]
    assert queue.links_now[1].status == ABORTED


def test_links_aborted_by_pyloads_exit_are_kept(db: FakePyloadDb) -> None:
    queue, clock = FakeQueue(), Clock()
    queue.put(1, DOWNLOADING)
    queue.put(2, QUEUED)
    keeper = _keeper(db, queue, clock, settle=5)
    keeper.tick()
    # pyLoad's exit: threads stopped, links aborted, for a while before "exiting" is set.
    queue.is_calm = False
    queue.put(1, ABORTED)
    for _ in range(5):
        clock.now += 3
        keeper.tick()
    assert _stored(db) == {1, 2}
    # A calm look in between does not add up with the earlier ones.
    queue.is_calm = True
    keeper.tick()
    queue.is_calm = False
    clock.now += 10
    keeper.tick()
    assert _stored(db) == {1, 2}


def test_the_downloader_says_at_once_that_the_user_stopped_a_link(db: FakePyloadDb) -> None:
    queue, clock = FakeQueue(), Clock()
    queue.put(1, DOWNLOADING)
    keeper = _keeper(db, queue, clock)
    keeper.tick()
    keeper.user_stopped(1)
    assert _stored(db) == set()
    keeper.user_stopped(1)  # twice is harmless


def test_links_of_taken_over_hosters_wait_for_the_host_list(db: FakePyloadDb) -> None:
    queue, clock = FakeQueue(), Clock()
    queue.put(1, QUEUED, "NitroflareCom")
    queue.put(2, QUEUED, "OffcloudCom")
    _keeper(db, queue, clock).tick()
    _pyload_start(queue)
    queue.plugins = {"OffcloudCom", "OffcloudComTorrent", "OffcloudComFolder"}  # no list yet
    keeper = _keeper(db, queue, clock)
    assert keeper.tick() == [2]
    assert queue.links_now[1].status == ABORTED
    assert _stored(db) == {1, 2}, "a pending note is not forgotten while it waits"
    queue.plugins.add("NitroflareCom")
    assert keeper.tick() == [1]


def test_without_an_account_nothing_restarts_and_the_links_are_given_up_late(
    db: FakePyloadDb,
) -> None:
    queue, clock = FakeQueue(), Clock()
    queue.put(1, QUEUED)
    _keeper(db, queue, clock).tick()
    _pyload_start(queue)
    queue.plugins = None
    keeper = _keeper(db, queue, clock, give_up_after=60)
    assert keeper.tick() == []
    assert _stored(db) == {1}
    clock.now += 61
    assert keeper.tick() == []
    assert _stored(db) == set()
    assert queue.links_now[1].status == ABORTED
    assert "stay aborted" in keeper.notices[-1]  # type: ignore[attr-defined]


def test_followed_and_already_running_links_are_not_restarted_twice(db: FakePyloadDb) -> None:
    queue, clock = FakeQueue(), Clock()
    for link_id in (1, 2, 3, 4):
        queue.put(link_id, PROCESSING if link_id == 1 else QUEUED)
    _keeper(db, queue, clock).tick()
    _pyload_start(queue)
    queue.following.add(1)  # the background loop resumes it
    queue.put(2, QUEUED)  # the user restarted it already
    queue.put(3, FINISHED)  # done before the restart (noted late)
    keeper = _keeper(db, queue, clock)
    assert keeper.tick() == [4]
    assert queue.restarts == [4]
    assert _stored(db) == {1, 2, 4}


def test_a_link_that_cannot_be_restarted_is_forgotten_and_the_others_go_on(
    db: FakePyloadDb,
) -> None:
    queue, clock = FakeQueue(), Clock()
    queue.put(1, QUEUED)
    queue.put(2, QUEUED)
    _keeper(db, queue, clock).tick()
    _pyload_start(queue)
    queue.broken.add(1)
    keeper = _keeper(db, queue, clock)
    assert keeper.tick() == [2]
    assert 1 not in _stored(db)


def test_a_pending_link_deleted_meanwhile_is_forgotten(db: FakePyloadDb) -> None:
    queue, clock = FakeQueue(), Clock()
    queue.put(1, QUEUED)
    _keeper(db, queue, clock).tick()
    del queue.links_now[1]
    keeper = _keeper(db, queue, clock)
    assert keeper.tick() == []
    assert _stored(db) == set()


def test_a_link_no_longer_ours_is_forgotten(db: FakePyloadDb) -> None:
    queue, clock = FakeQueue(), Clock()
    queue.put(1, QUEUED, "NitroflareCom")
    keeper = _keeper(db, queue, clock)
    keeper.tick()
    queue.plugins = None  # the account was removed: the hoster's own plugin has it again
    keeper.tick()
    assert _stored(db) == set()


def test_broken_notes_are_dropped_and_switching_off_forgets_all(db: FakePyloadDb) -> None:
    store = hook_store(db)
    store.store("resume:7", {"plugin": "OffcloudCom"})  # no link id
    store.store("resume:8", {"link_id": 9, "plugin": "OffcloudCom"})  # the wrong key
    store.store("resume:10", "nonsense")
    store.store("follow:3", {"link_id": 3})  # another key format: not ours to touch
    queue, clock = FakeQueue(), Clock()
    queue.put(1, QUEUED)
    keeper = _keeper(db, queue, clock)
    assert keeper.pending == set()
    keeper.tick()
    assert _stored(db) == {1}
    keeper.forget_all()
    assert _stored(db) == set()
    assert store.retrieve("follow:3") == {"link_id": 3}


def test_the_keeper_thread_looks_until_stopped(db: FakePyloadDb) -> None:
    queue = FakeQueue()
    queue.put(1, QUEUED)
    looked = threading.Event()

    class Watched(FakeQueue):
        def links(self) -> list[LinkView]:
            looked.set()
            raise RuntimeError("a broken look")  # the loop outlives it

    watched = Watched()
    keeper = Keeper(hook_store(db), watched, interval=0.01)
    resume.attach(keeper)
    try:
        assert active_keeper() is None  # not started
        keeper.start()
        keeper.start()  # once
        assert active_keeper() is keeper
        assert looked.wait(5)
    finally:
        keeper.stop()
        resume.detach(keeper)
    assert not keeper.running
    assert active_keeper() is None
    resume.detach(keeper)  # detaching twice is harmless


def test_a_long_queue_is_looked_at_less_often(db: FakePyloadDb) -> None:
    queue, clock = FakeQueue(), Clock()
    keeper = _keeper(db, queue, clock, interval=3)
    keeper.tick()
    assert keeper.pause() == 3
    for link_id in range(5000):
        queue.put(link_id, 0)
    keeper.tick()
    assert keeper.pause() == 15
    for link_id in range(5000, 50_000):
        queue.put(link_id, 0)
    keeper.tick()
    assert keeper.pause() == resume.MAX_INTERVAL


# ---------------------------------------------------------------------------------------------
# PyloadQueue: the keeper's view of a running pyLoad


def _core(db: FakePyloadDb, *, exiting: bool = False, threads: Any = None) -> Any:
    rows = {
        1: {"status": 3, "plugin": "OffcloudCom", "name": "a"},
        2: {"status": 3, "plugin": "NitroflareCom", "name": "b"},
    }
    database = SimpleNamespace(
        get_all_links=lambda queue: rows if queue == 1 else {},
        get_storage=db.get_storage,
        set_storage=db.set_storage,
        del_storage=db.del_storage,
    )
    running = SimpleNamespace(id=2, status=12, pluginname="NitroflareCom", name="b.bin")
    restarted: list[int] = []
    return SimpleNamespace(
        db=database,
        files=SimpleNamespace(cache={2: running}),
        exiting=exiting,
        thread_manager=SimpleNamespace(
            threads=threads if threads is not None else [SimpleNamespace(running=True)]
        ),
        plugin_manager=SimpleNamespace(
            downloader_plugins={
                "NitroflareCom": {"new_name": "OffcloudCom"},
                "RapidgatorNet": {},
            }
        ),
        api=SimpleNamespace(restart_file=restarted.append),
        restarted=restarted,
    )


def test_the_pyload_queue_reads_links_cache_first(db: FakePyloadDb) -> None:
    core = _core(db)
    queue = PyloadQueue(core, lambda: True)
    assert sorted(queue.links(), key=lambda link: link.link_id) == [
        LinkView(1, 3, "OffcloudCom", "a"),
        LinkView(2, 12, "NitroflareCom", "b.bin"),
    ]
    assert queue.offcloud_plugins() == {
        "OffcloudCom", "OffcloudComTorrent", "OffcloudComFolder", "NitroflareCom"
    }  # fmt: skip
    assert PyloadQueue(core, lambda: False).offcloud_plugins() is None
    queue.restart(2)
    assert core.restarted == [2]


def test_the_pyload_queue_is_calm_only_while_every_thread_runs(db: FakePyloadDb) -> None:
    assert PyloadQueue(_core(db), lambda: True).calm()
    assert not PyloadQueue(_core(db, exiting=True), lambda: True).calm()
    stopped = [SimpleNamespace(running=True), SimpleNamespace(running=False)]
    assert not PyloadQueue(_core(db, threads=stopped), lambda: True).calm()
    # every thread already gone: pyLoad is half way out
    assert not PyloadQueue(_core(db, threads=[]), lambda: True).calm()


def test_the_pyload_queue_asks_the_background_loop(db: FakePyloadDb) -> None:
    queue = PyloadQueue(_core(db), lambda: True)
    assert not queue.followed(5)
    # a pyLoad thread holds the link: the loop leaves it followed
    links = SimpleNamespace(state=lambda link_id: LinkState(PROCESSING, busy=True))
    follower = Follower(
        links,
        PluginStore(db, "OffcloudComHook"),
        lambda: None,
        plugin_store=lambda name: PluginStore(db, name),
    )
    follower.adopt(Followed(link_id=5, plugin="OffcloudCom", storage_key="k", name="n"))
    follower.start()
    background.attach(follower)
    try:
        assert queue.followed(5)
    finally:
        background.detach(follower)
        follower.stop()


def test_a_cache_that_changes_while_copied_is_read_again(db: FakePyloadDb) -> None:
    core = _core(db)

    class Flaky(dict):  # type: ignore[type-arg]
        calls = 0

        def values(self) -> Any:
            Flaky.calls += 1
            if Flaky.calls == 1:
                raise RuntimeError("dictionary changed size during iteration")
            return super().values()

    core.files.cache = Flaky(core.files.cache)
    views = {link.link_id: link for link in PyloadQueue(core, lambda: True).links()}
    assert views[2].status == 12
