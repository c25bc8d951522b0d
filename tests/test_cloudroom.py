"""A full cloud (docs/api.md L23): which jobs may go, room made once for many links, the waits."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

import pytest
from fakes import FakePyloadDb

from offcloud_api.exceptions import CloudFullError, ServerError
from offcloud_api.models import Job, JobStatus
from offcloud_api.pyload import cloudroom
from offcloud_api.pyload.cleanup import Link
from offcloud_api.pyload.cloudroom import (
    CLOUD_PAGE,
    DEFAULT_WAIT,
    MAX_FULL_WAIT,
    CloudRoom,
    Created,
    CreatedJobs,
    PyloadRoomView,
    freeable,
    full_attempts,
    full_message,
    made_by_this_add,
)
from offcloud_api.pyload.storage import FileLinks, encode_stored, job_storage_key

CDN = "https://1-cdn2-ovh-fra.energycdn.com/cdn3sto/x-sto/"
FINISHED, QUEUED, FAILED = 0, 3, 8


def cdn(name: str) -> str:
    return CDN + name


def link(fid: int, status: int, job: Optional[str], url: str = "") -> Link:
    return Link(fid=fid, url=url or cdn(f"f{fid}"), status=status, job_id=job)


# --------------------------------------------------------------------------------------------
# which jobs may go


def test_oldest_first_and_only_what_is_downloaded():
    created = [Created("new", 30.0), Created("old", 10.0), Created("mid", 20.0)]
    links = [
        link(1, FINISHED, "old"),
        link(2, FINISHED, "new"),
        link(3, FINISHED, "mid"),
        link(4, FINISHED, "mid"),
    ]
    assert freeable(created, links) == ["old", "mid", "new"]


@pytest.mark.parametrize(
    ("links", "why"),
    [
        ([link(1, FINISHED, "a"), link(2, QUEUED, "a")], "a file still to download"),
        ([link(1, FINISHED, "a"), link(2, FAILED, "a")], "a failed link keeps it (keep_failed)"),
        ([], "no link says its files arrived"),
    ],
)
def test_a_job_with_files_to_come_or_no_proof_stays(links, why):
    assert freeable([Created("a", 1.0)], links) == [], why


def test_a_hoster_links_job_marked_done_may_go_without_links():
    assert freeable([Created("a", 1.0, done=True)], []) == ["a"]
    # ... but not while a link of it still waits (a hoster link expanded into files, say).
    assert freeable([Created("a", 1.0, done=True)], [link(1, QUEUED, "a")]) == []


def test_never_a_job_pyload_did_not_create_nor_one_in_use_or_kept():
    links = [link(1, FINISHED, "user"), link(2, FINISHED, "followed"), link(3, FINISHED, "kept")]
    created = [Created("followed", 1.0), Created("kept", 2.0)]
    assert freeable(created, links, in_use={"followed"}, kept={"kept"}) == []


# --------------------------------------------------------------------------------------------
# the ledger


def test_the_ledger_notes_marks_lists_and_forgets():
    db = FakePyloadDb()
    ledger = CreatedJobs(db)
    ledger.note("a", 10.0)
    ledger.note("a", 99.0)  # noted once: the first add's time stays
    ledger.note("b", 20.0)
    ledger.mark_done("b")
    ledger.mark_done("unknown")  # not noted: not pyLoad's, nothing to mark
    assert sorted(ledger.entries(), key=lambda e: e.at) == [
        Created("a", 10.0),
        Created("b", 20.0, done=True),
    ]
    ledger.forget(["a"])
    assert [entry.request_id for entry in ledger.entries()] == ["b"]
    # It lives in the downloader's storage, beside other keys it ignores.
    db.set_storage("OffcloudCom", "file:x", encode_stored({"request_id": "b"}))
    db.set_storage("OffcloudCom", "created:odd", encode_stored("not a dict"))
    assert [entry.request_id for entry in ledger.entries()] == ["b"]
    assert "created:b" in db.rows["OffcloudCom"]


def test_a_job_offcloud_had_before_the_add_is_not_ours():
    # Adding a magnet whose job lives answers that job (L5): the user's own stays the user's.
    since = datetime(2026, 12, 7, 6, 0, tzinfo=timezone.utc).timestamp()
    fresh = datetime(2026, 12, 7, 6, 0, 1, tzinfo=timezone.utc)
    before = datetime(2026, 12, 1, tzinfo=timezone.utc)
    assert made_by_this_add(Job("a", JobStatus.DOWNLOADED), since)  # no createdOn: ours
    assert made_by_this_add(Job("a", JobStatus.DOWNLOADED, created_on=fresh), since)
    assert not made_by_this_add(Job("a", JobStatus.DOWNLOADED, created_on=before), since)


# --------------------------------------------------------------------------------------------
# adding with room made


class FakeOffcloud:
    """A cloud of ``capacity`` jobs; ``remove`` frees them. Thread-safe, counts its calls."""

    def __init__(self, capacity: int, jobs: Optional[list[str]] = None) -> None:
        self.capacity = capacity
        self.jobs = list(jobs or [])
        self.lock = threading.Lock()
        self.adds = 0
        self.full = 0
        self.removals: list[list[str]] = []
        self.remove_error: Optional[Exception] = None
        self.created_on: Optional[datetime] = None
        self.closed = 0

    def cloud(self, url: str) -> Job:
        with self.lock:
            self.adds += 1
            if len(self.jobs) >= self.capacity:
                self.full += 1
                raise CloudFullError("Offcloud cloud storage is full", status=500, code="cloud")
            request_id = f"job{self.adds}"
            self.jobs.append(request_id)
            return Job(request_id, JobStatus.DOWNLOADED, created_on=self.created_on)

    def remove(self, request_ids: list[str]) -> None:
        with self.lock:
            if self.remove_error is not None:
                raise self.remove_error
            self.removals.append(list(request_ids))
            self.jobs = [job for job in self.jobs if job not in request_ids]

    def close(self) -> None:
        self.closed += 1


class FakeView:
    """What pyLoad shows making room: a ledger, links, and what is followed or kept."""

    def __init__(self, created=(), links=(), in_use=(), kept=()) -> None:
        self.ledger = {entry.request_id: entry for entry in created}
        self.link_list = list(links)
        self.using = set(in_use)
        self.keeping = set(kept)
        self.gone: list[str] = []
        self.looked = 0

    def created(self) -> list[Created]:
        return list(self.ledger.values())

    def links(self) -> list[Link]:
        self.looked += 1
        return list(self.link_list)

    def in_use(self, links: list[Link]) -> set[str]:
        return set(self.using)

    def kept(self) -> set[str]:
        return set(self.keeping)

    def note_created(self, request_id: str, at: float) -> None:
        self.ledger.setdefault(request_id, Created(request_id, at))

    def removed(self, request_ids: list[str]) -> None:
        self.gone.extend(request_ids)
        for request_id in request_ids:
            self.ledger.pop(request_id, None)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 7, tzinfo=timezone.utc).timestamp()

    def __call__(self) -> float:
        return self.now


def new_room(clock: Optional[Clock] = None) -> CloudRoom:
    clock = clock or Clock()
    return CloudRoom(clock=clock, wall_clock=clock)


def test_an_add_that_fits_is_noted_as_ours():
    offcloud, view, room = FakeOffcloud(5), FakeView(), new_room()
    job = room.add(offcloud, "magnet:1", view)
    assert view.ledger[job.request_id].at == datetime(2026, 12, 7, tzinfo=timezone.utc).timestamp()
    assert (offcloud.adds, room.looks, room.full_answers) == (1, 0, 0)


def test_an_add_answered_with_a_job_offcloud_had_is_not_noted():
    offcloud, view, room = FakeOffcloud(5), FakeView(), new_room()
    offcloud.created_on = datetime(2020, 1, 1, tzinfo=timezone.utc)
    room.add(offcloud, "magnet:1", view)
    assert view.ledger == {}


def test_a_full_cloud_removes_the_done_jobs_in_one_call_oldest_first_and_adds_again():
    offcloud = FakeOffcloud(3, jobs=["user", "done2", "done1"])
    view = FakeView(
        created=[Created("done2", 20.0), Created("done1", 10.0), Created("busy", 5.0)],
        links=[link(1, FINISHED, "done1"), link(2, FINISHED, "done2"), link(3, QUEUED, "busy")],
    )
    room = new_room()
    job = room.add(offcloud, "magnet:x", view)
    assert offcloud.removals == [["done1", "done2"]]  # one call, oldest first
    assert offcloud.jobs == ["user", job.request_id]  # the user's own job stays
    assert view.gone == ["done1", "done2"]
    assert (offcloud.adds, room.full_answers, room.looks) == (2, 1, 1)
    assert (room.remove_calls, room.removed, room.generation) == (1, 2, 1)
    assert job.request_id in view.ledger


def test_nothing_to_remove_raises_and_nobody_looks_again_for_a_while():
    offcloud = FakeOffcloud(1, jobs=["user"])
    view = FakeView(created=[Created("busy", 1.0)], links=[link(1, QUEUED, "busy")])
    clock = Clock()
    room = new_room(clock)
    with pytest.raises(CloudFullError):
        room.add(offcloud, "magnet:1", view)
    with pytest.raises(CloudFullError, match="not asked again"):
        room.add(offcloud, "magnet:2", view)  # within RESCAN_AFTER: no call, no second look
    assert (view.looked, room.looks, offcloud.removals, offcloud.adds) == (1, 1, [], 1)
    assert room.known_full == 1
    clock.now += cloudroom.RESCAN_AFTER + 1
    with pytest.raises(CloudFullError):
        room.add(offcloud, "magnet:3", view)
    assert view.looked == 2
    assert (room.full_answers, offcloud.adds) == (2, 2)


def test_room_made_elsewhere_lets_the_next_add_through_at_once():
    offcloud = FakeOffcloud(1, jobs=["user"])
    view = FakeView()
    room = new_room()
    with pytest.raises(CloudFullError):
        room.add(offcloud, "magnet:1", view)  # nothing to remove: known full for a while
    offcloud.jobs.clear()  # the clean-up addon removed jobs
    room.freed()
    assert room.add(offcloud, "magnet:2", view).request_id == "job2"


def test_without_a_view_a_full_cloud_is_raised_at_once():
    offcloud, room = FakeOffcloud(0), new_room()
    with pytest.raises(CloudFullError):
        room.add(offcloud, "magnet:1", None)
    assert (offcloud.adds, room.looks) == (1, 0)


def test_still_full_after_making_room_is_raised():
    # Offcloud's own count is sometimes wrong (L23): room made, and still full.
    offcloud = FakeOffcloud(1, jobs=["user", "done"])
    view = FakeView(created=[Created("done", 1.0)], links=[link(1, FINISHED, "done")])
    room = new_room()
    with pytest.raises(CloudFullError):
        room.add(offcloud, "magnet:1", view)
    assert offcloud.removals == [["done"]]
    assert (offcloud.adds, room.full_answers) == (2, 2)


def test_a_failed_removal_is_no_room():
    offcloud = FakeOffcloud(1, jobs=["done"])
    offcloud.remove_error = ServerError("HTTP 502", status=502)
    view = FakeView(created=[Created("done", 1.0)], links=[link(1, FINISHED, "done")])
    room = new_room()
    with pytest.raises(CloudFullError):
        room.add(offcloud, "magnet:1", view)
    assert (room.remove_calls, room.removed, view.gone) == (1, 0, [])


def test_links_added_together_make_room_once():
    """Five links meet the full cloud at once: one look, one removal, then all five fit."""
    done = [f"done{n}" for n in range(5)]
    offcloud = FakeOffcloud(5, jobs=list(done))
    view = FakeView(
        created=[Created(job, float(n)) for n, job in enumerate(done)],
        links=[link(n, FINISHED, job) for n, job in enumerate(done)],
    )
    room = new_room()
    barrier = threading.Barrier(5)
    jobs: list[Job] = []
    errors: list[Exception] = []

    def one(number: int) -> None:
        barrier.wait()
        try:
            jobs.append(room.add(offcloud, f"magnet:{number}", view))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert len(jobs) == 5
    assert offcloud.removals == [done]  # one removal call for all of them
    assert room.looks == 1
    assert room.remove_calls == 1


def test_one_notice_per_full_spell_and_at_most_one_an_hour():
    clock = Clock()
    offcloud, view, room = FakeOffcloud(5), FakeView(), new_room(clock)
    assert room.first_full() is True
    assert room.first_full() is False
    room.add(offcloud, "magnet:1", view)  # it takes jobs again: the spell is over
    assert room.first_full() is False  # but it filled again within the hour: no second notice
    room.add(offcloud, "magnet:2", view)
    clock.now += cloudroom.NOTICE_GAP + 1
    assert room.first_full() is True


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(120, 120.0), ("3", 3.0), (0, DEFAULT_WAIT), (-5, DEFAULT_WAIT), ("x", DEFAULT_WAIT)],
)
def test_the_wait_option(value: Any, seconds: float):
    room = new_room()
    room.set_wait(value)
    assert room.wait_seconds == seconds


def test_the_waiting_message_and_attempts():
    text = full_message(300)
    assert CLOUD_PAGE in text
    assert "every 5 min" in text
    assert "full" in text
    assert "every 3 s" in full_message(3)
    assert full_attempts(300) == MAX_FULL_WAIT // 300
    assert full_attempts(MAX_FULL_WAIT * 2) == 1
    assert full_attempts(0) == MAX_FULL_WAIT  # a wait under a second counts as one


def test_the_client_stand_in_adds_through_the_room():
    offcloud, view, room = FakeOffcloud(1, jobs=["done"]), FakeView(), new_room()
    view.ledger["done"] = Created("done", 1.0, done=True)
    with room.client(offcloud, view) as api:  # type: ignore[arg-type]
        job = api.cloud("magnet:1")
        assert api.capacity == 1  # everything else is the client's own
    assert offcloud.removals == [["done"]]
    assert job.request_id in view.ledger
    assert offcloud.closed == 1


# --------------------------------------------------------------------------------------------
# pyLoad's side


class FakeFiles:
    def __init__(self, queue: dict[int, Any], collector: dict[int, Any]) -> None:
        self.data = {1: queue, 0: collector}

    def get_complete_data(self, destination: Any) -> dict[int, Any]:
        return self.data[int(destination)]


def package(links: dict[int, tuple[str, int]]) -> dict[int, Any]:
    return {
        1: {
            "links": {
                fid: {"id": fid, "url": url, "status": status, "package": 1}
                for fid, (url, status) in links.items()
            }
        }
    }


def test_the_pyload_view_reads_links_storage_and_forgets_removed_jobs():
    pytest.importorskip("pyload")
    db = FakePyloadDb()
    files = FileLinks(db)
    done_file = type("F", (), {"url": cdn("done.mkv"), "path": "done.mkv", "name": "done.mkv"})
    busy_file = type("F", (), {"url": cdn("busy.mkv"), "path": "busy.mkv", "name": "busy.mkv"})
    files.remember("done", [done_file])
    files.remember("busy", [busy_file])
    hoster = "https://rapidgator.net/file/abc"
    db.set_storage(
        "OffcloudCom", job_storage_key(hoster), encode_stored({"request_id": "followed"})
    )
    db.set_storage("OffcloudComHook", "job:cloudonly", encode_stored({"request_id": "cloudonly"}))
    core = type("Core", (), {})()
    core.db = db
    core.files = FakeFiles(
        package({1: (cdn("done.mkv"), FINISHED), 2: (hoster, QUEUED)}),
        package({3: (cdn("busy.mkv"), QUEUED)}),
    )
    view = PyloadRoomView(core)
    view.note_created("done", 1.0)
    view.note_created("busy", 2.0)
    links = view.links()
    assert {(link.fid, link.request_id) for link in links} == {
        (1, "done"),
        (2, None),
        (3, "busy"),
    }
    assert view.in_use(links) == {"followed"}
    assert view.kept() == {"cloudonly"}
    assert freeable(view.created(), links, in_use=view.in_use(links), kept=view.kept()) == ["done"]
    view.removed(["done"])
    assert [entry.request_id for entry in view.created()] == ["busy"]
    assert files.lookup(cdn("done.mkv")) is None  # the note of a removed job's link goes
    assert files.lookup(cdn("busy.mkv")) is not None


def test_a_week_old_ledger_entry_still_counts():
    # Entries carry no expiry: a job pyLoad made last week and downloaded may go today.
    old = (datetime.now(timezone.utc) - timedelta(days=7)).timestamp()
    assert freeable([Created("a", old)], [link(1, FINISHED, "a")]) == ["a"]
