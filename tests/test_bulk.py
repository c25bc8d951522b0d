"""Many torrents at once: one cache check, the cached ones resolved in parallel, 429 shared.

Offcloud is an in-memory fake shared by every client the batch opens; the clock of the rate
gate and the sleeps are fakes too, so a 429's pause costs no time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Callable, ClassVar, Optional

import pytest
from fakes import MemoryStore

from offcloud_api.exceptions import (
    CloudFullError,
    NotFoundError,
    RateLimitError,
    RouteNotFoundError,
    ServerError,
)
from offcloud_api.models import CachedDownload, CacheResult, CloudFile, Job, JobStatus
from offcloud_api.pyload import bulk
from offcloud_api.pyload.bulk import BulkResult, RateGate, dedupe, resolve_batch
from offcloud_api.pyload.cachebook import CacheBook
from offcloud_api.pyload.cachedl import CacheDownloadRoute
from offcloud_api.pyload.cloudroom import CloudRoom, Created
from offcloud_api.pyload.intake import TorrentQuery
from offcloud_api.pyload.storage import torrent_job_key

START = 500.0


def info_hash(number: int) -> str:
    return f"{number:040x}"


def query(number: int, *, upper: bool = False, name: Optional[str] = None) -> TorrentQuery:
    value = info_hash(number)
    value = value.upper() if upper else value
    magnet = f"magnet:?xt=urn:btih:{value}&dn=t{number}"
    return TorrentQuery(url=magnet, info_hash=value, query=magnet, name=name or f"t{number}")


def hash_of(magnet: str) -> str:
    return magnet.split("btih:")[1][:40].lower()


class Clock:
    def __init__(self) -> None:
        self.now = START
        self.lock = threading.Lock()
        self.slept: list[float] = []

    def __call__(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.slept.append(seconds)
            self.now += seconds


class Offcloud:
    """What every fake client of one batch talks to."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.lock = threading.Lock()
        self.cached: set[str] = set()
        self.jobs: dict[str, Job] = {}
        self.add_status = JobStatus.DOWNLOADED
        self.calls: list[tuple[str, str, float]] = []
        self.cache_asks: list[list[str]] = []
        self.clients: list[FakeClient] = []
        # Per (call, hash or request id): exceptions to raise, in order, before answering.
        self.errors: dict[tuple[str, str], list[Exception]] = {}
        self.before: dict[tuple[str, str], Callable[[], None]] = {}
        self.no_files: set[str] = set()
        # cache/download (L19): "files" answers, "absent" is an HTML 404, "empty" lists nothing.
        self.direct = "files"

    def record(self, kind: str, key: str) -> None:
        with self.lock:
            self.calls.append((kind, key, self.clock()))
            raising = self.errors.get((kind, key))
            error = raising.pop(0) if raising else None
        hook = self.before.get((kind, key))
        if hook is not None:
            hook()
        if error is not None:
            raise error

    def made(self, kind: str) -> list[str]:
        return [key for name, key, _at in self.calls if name == kind]

    def job(self, request_id: str, status: JobStatus, link: str = "") -> Job:
        job = Job(request_id=request_id, status=status, original_link=link or None)
        self.jobs[request_id] = job
        return job


class FakeClient:
    base_url = "https://offcloud.test/api"

    def __init__(self, cloud: Offcloud) -> None:
        self.cloud_ = cloud
        self.closed = 0
        self.direct_absent = False  # the client's own memory of the route

    def cache_download_available(self) -> bool:
        return not self.direct_absent

    def cache_download(self, magnet: str) -> list[CachedDownload]:
        key = hash_of(magnet)
        self.cloud_.record("direct", key)
        if self.cloud_.direct == "absent":
            self.direct_absent = True
            raise RouteNotFoundError("no route POST /cache/download here", status=404)
        if self.cloud_.direct == "empty":
            return []
        return [CachedDownload(filename=f"t/{key[-4:]}.mkv", url=f"https://cdn.test/{key}.mkv")]

    def __enter__(self) -> FakeClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.closed += 1

    def cache_info(self, items: list[str]) -> list[CacheResult]:
        self.cloud_.cache_asks.append(list(items))
        return [
            CacheResult(
                query=item, info_hash=hash_of(item), cached=hash_of(item) in self.cloud_.cached
            )
            for item in items
        ]

    def cloud(self, url: str) -> Job:
        key = hash_of(url)
        self.cloud_.record("cloud", key)
        with self.cloud_.lock:
            request_id = f"job-{len(self.cloud_.made('cloud'))}-{key[-4:]}"
            return self.cloud_.job(request_id, self.cloud_.add_status, url)

    def cloud_status(self, request_id: str) -> Job:
        self.cloud_.record("status", request_id)
        if request_id not in self.cloud_.jobs:
            raise NotFoundError(f"no job {request_id}", status=404)
        return self.cloud_.jobs[request_id]

    def explore_cloud(self, request_id: str, *, job: Optional[Job] = None) -> list[CloudFile]:
        self.cloud_.record("explore", request_id)
        assert job is not None
        assert job.request_id == request_id
        if request_id in self.cloud_.no_files:
            return []
        return [CloudFile(name="a.mkv", url=f"https://cdn.test/{request_id}/a.mkv", path="a.mkv")]


class Batch:
    """One ``resolve_batch`` call's surroundings: Offcloud, storage, the queue, the lock."""

    def __init__(self, *cached: int) -> None:
        self.clock = Clock()
        self.cloud = Offcloud(self.clock)
        self.cloud.cached = {info_hash(n) for n in cached}
        self.store = MemoryStore()
        self.queued: list[tuple[str, str, list[str]]] = []
        self.refuse: set[str] = set()
        self.locked: list[str] = []
        self.errors: list[tuple[str, Exception]] = []
        self.book = CacheBook()

    def client(self) -> FakeClient:
        made = FakeClient(self.cloud)
        with self.cloud.lock:
            self.cloud.clients.append(made)
        return made

    def queue_files(self, query: TorrentQuery, job: Optional[Job], files: list[CloudFile]) -> bool:
        if query.info_hash in self.refuse:
            return False
        request_id = job.request_id if job is not None else "-"  # "-": cache/download, no job
        with self.cloud.lock:
            self.queued.append((query.info_hash, request_id, [f.url for f in files]))
        return True

    @contextmanager
    def submitting(self, info_hash: str) -> Iterator[None]:
        with self.cloud.lock:
            self.locked.append(info_hash)
        yield

    def run(self, queries: list[TorrentQuery], **options: Any) -> BulkResult:
        options.setdefault("book", self.book)
        options.setdefault("sleep", self.clock.sleep)
        options.setdefault("on_error", lambda q, exc: self.errors.append((q.info_hash, exc)))
        return resolve_batch(
            queries,
            client=self.client,  # type: ignore[arg-type]
            store=self.store,
            queue_files=self.queue_files,
            submitting=self.submitting,
            **options,
        )


def hashes(queries: list[TorrentQuery]) -> set[str]:
    return {q.info_hash for q in queries}


# --------------------------------------------------------------------------------------------


def test_dedupe_keeps_the_first_link_of_each_torrent() -> None:
    first, repeats = dedupe([query(1), query(2), query(1, upper=True), query(1)])
    assert [q.info_hash for q in first] == [info_hash(1), info_hash(2)]
    assert [q.info_hash for q in repeats] == [info_hash(1).upper(), info_hash(1)]
    assert dedupe([]) == ([], [])


def test_one_cache_check_resolves_the_cached_and_leaves_the_rest() -> None:
    batch = Batch(1, 2, 3)
    queries = [query(1), query(4), query(2), query(1, upper=True), query(3), query(5)]
    result = batch.run(queries, workers=2)
    assert batch.cloud.cache_asks == [[q.query for q in queries if q is not queries[3]]]
    assert result.cache_calls == 1
    assert hashes(result.resolved) == {info_hash(1), info_hash(2), info_hash(3)}
    assert hashes(result.left) == {info_hash(4), info_hash(5)}
    assert result.repeats == [queries[3]]
    # One job per cached torrent (the repeat added once), none for the others.
    assert sorted(batch.cloud.made("cloud")) == [info_hash(1), info_hash(2), info_hash(3)]
    assert sorted(batch.locked) == [info_hash(1), info_hash(2), info_hash(3)]
    assert sorted(h for h, _rid, _urls in batch.queued) == [info_hash(n) for n in (1, 2, 3)]
    for hash_, request_id, urls in batch.queued:
        assert batch.store.values[torrent_job_key(hash_)] == {
            "request_id": request_id,
            "retried": False,
        }
        assert urls == [f"https://cdn.test/{request_id}/a.mkv"]
    assert len(batch.store.values) == 3
    # The answers serve the decrypter too.
    found = batch.book.lookup(info_hash(4))
    assert found is not None
    assert not found.cached
    # Every client opened is closed: the cache check's and one per worker thread.
    assert 2 <= len(batch.cloud.clients) <= 3
    assert all(c.closed == 1 for c in batch.cloud.clients)
    assert batch.errors == []


def test_the_same_torrent_twice_in_a_batch_is_added_once() -> None:
    batch = Batch(7)
    result = batch.run([query(7), query(7, upper=True), query(7)], workers=4)
    assert batch.cloud.made("cloud") == [info_hash(7)]
    assert len(result.resolved) == 1
    assert len(result.repeats) == 2
    assert len(batch.queued) == 1


def test_the_cache_answers_of_many_torrents_come_from_one_check() -> None:
    batch = Batch()
    queries = [query(n) for n in range(1001)]
    result = batch.run(queries)
    assert len(batch.cloud.cache_asks) == 1  # the client splits it in 1,000s (L13)
    assert result.cache_calls == 2
    assert len(result.left) == 1001
    assert batch.cloud.calls == []


def test_an_empty_batch_asks_nothing() -> None:
    batch = Batch()
    assert batch.run([]) == BulkResult()
    assert batch.cloud.clients == []


def test_a_job_pyload_remembers_for_the_torrent_is_reused() -> None:
    batch = Batch(1)
    batch.cloud.job("old", JobStatus.DOWNLOADED)
    batch.store.store(torrent_job_key(info_hash(1)), {"request_id": "old", "retried": False})
    result = batch.run([query(1)])
    assert batch.cloud.made("cloud") == []
    assert batch.cloud.made("status") == ["old"]
    assert batch.queued == [(info_hash(1), "old", ["https://cdn.test/old/a.mkv"])]
    assert len(result.resolved) == 1


@pytest.mark.parametrize("old", ["failed-after-retry", "failed", "gone"])
def test_a_remembered_job_that_is_no_use_is_replaced(old: str) -> None:
    batch = Batch(1)
    if old != "gone":
        batch.cloud.job(old, JobStatus.ERROR)
    key = torrent_job_key(info_hash(1))
    batch.store.store(key, {"request_id": old, "retried": old == "failed-after-retry"})
    result = batch.run([query(1)])
    assert batch.cloud.made("status") == [old]
    assert batch.cloud.made("cloud") == [info_hash(1)]
    new_id = batch.queued[0][1]
    assert new_id != old
    assert batch.store.values[key] == {"request_id": new_id, "retried": False}
    assert len(result.resolved) == 1


def test_a_job_not_ready_after_all_goes_to_the_decrypter_remembered() -> None:
    batch = Batch(1)
    batch.cloud.add_status = JobStatus.DOWNLOADING
    result = batch.run([query(1)])
    assert hashes(result.left) == {info_hash(1)}
    assert result.resolved == []
    assert batch.cloud.made("explore") == []
    # The decrypter finds the job and follows it: no second job.
    assert batch.store.values[torrent_job_key(info_hash(1))]["request_id"].startswith("job-1")


def test_offcloud_errors_and_refusals_leave_the_link_to_the_decrypter() -> None:
    batch = Batch(1, 2, 3)
    batch.cloud.errors[("cloud", info_hash(1))] = [ServerError("502", status=502)]
    batch.cloud.no_files.add("job-2-" + info_hash(2)[-4:])  # an empty job
    batch.refuse.add(info_hash(3))
    result = batch.run([query(1), query(2), query(3)], workers=1)
    assert result.resolved == []
    assert hashes(result.left) == {info_hash(1), info_hash(2), info_hash(3)}
    assert batch.queued == []
    assert batch.errors == []  # expected outcomes, not errors
    assert batch.cloud.made("cloud") == [info_hash(1), info_hash(2), info_hash(3)]  # once each
    assert batch.cloud.made("explore") == [
        "job-2-" + info_hash(2)[-4:],
        "job-3-" + info_hash(3)[-4:],
    ]
    assert len(batch.cloud.clients) == 2  # the cache check's, and the one worker's for all three


def test_an_unexpected_error_is_reported_and_the_link_left() -> None:
    batch = Batch(1, 2)

    def broken(query: TorrentQuery, job: Job, files: list[CloudFile]) -> bool:
        if query.info_hash == info_hash(1):
            raise RuntimeError("pyLoad said no")
        return True

    batch.queue_files = broken  # type: ignore[method-assign]
    result = batch.run([query(1), query(2)])
    assert hashes(result.left) == {info_hash(1)}
    assert hashes(result.resolved) == {info_hash(2)}
    assert [(h, str(exc)) for h, exc in batch.errors] == [(info_hash(1), "pyLoad said no")]
    # Without anyone to tell, the link is left all the same.
    again = Batch(1)
    again.queue_files = broken  # type: ignore[method-assign]
    assert hashes(again.run([query(1)], on_error=None).left) == {info_hash(1)}


def test_nothing_is_added_once_pyload_stops() -> None:
    batch = Batch(1, 2)
    result = batch.run([query(1), query(2)], should_stop=lambda: True)
    assert batch.cloud.made("cloud") == []
    assert hashes(result.left) == {info_hash(1), info_hash(2)}


# --------------------------------------------------------------------------------------------
# 429


class SignallingGate(RateGate):
    def __init__(self, clock: Clock) -> None:
        super().__init__(clock)
        self.paused = threading.Event()
        self.pauses: list[float] = []

    def pause(self, seconds: float) -> None:
        super().pause(seconds)
        self.pauses.append(seconds)
        self.paused.set()


def test_a_429_pauses_every_worker_until_retry_after() -> None:
    batch = Batch(1, 2, 3)
    gate = SignallingGate(batch.clock)
    batch.cloud.errors[("cloud", info_hash(1))] = [
        RateLimitError("slow down", status=429, retry_after=30)
    ]
    # The second worker's add is under way when the 429 comes; it is not interrupted.
    batch.cloud.before[("cloud", info_hash(2))] = lambda: gate.paused.wait(5)
    result = batch.run([query(1), query(2), query(3)], workers=2, gate=gate)
    assert gate.pauses == [30]
    assert hashes(result.resolved) == {info_hash(1), info_hash(2), info_hash(3)}
    adds = [(key, at) for kind, key, at in batch.cloud.calls if kind == "cloud"]
    # The two workers start in either order: hash 2's add is under way beside the 429.
    assert [key for key, _at in adds].count(info_hash(2)) == 1
    others = [(key, at) for key, at in adds if key != info_hash(2)]
    assert others[0] == (info_hash(1), START)  # the one answered 429
    later = others[1:]
    assert sorted(key for key, _at in later) == [info_hash(1), info_hash(3)]
    assert all(at >= START + 30 for _key, at in later)  # nobody called Offcloud before
    assert all(step <= 0.5 for step in batch.clock.slept)
    assert len(batch.cloud.made("cloud")) == 4


def test_a_torrent_answered_429_every_time_goes_back_to_pyload() -> None:
    batch = Batch(1)
    gate = RateGate(batch.clock)
    batch.cloud.errors[("cloud", info_hash(1))] = [
        RateLimitError("slow down", status=429) for _ in range(bulk.RATE_LIMIT_TRIES + 1)
    ]
    result = batch.run([query(1)], gate=gate)
    assert hashes(result.left) == {info_hash(1)}
    assert len(batch.cloud.made("cloud")) == bulk.RATE_LIMIT_TRIES
    # No Retry-After: 5 s between tries.
    assert sum(batch.clock.slept) == pytest.approx(5.0 * (bulk.RATE_LIMIT_TRIES - 1))
    assert batch.store.values == {}


def test_a_429_on_the_file_list_resumes_the_same_job() -> None:
    batch = Batch(1)
    gate = RateGate(batch.clock)
    request_id = "job-1-" + info_hash(1)[-4:]
    batch.cloud.errors[("explore", request_id)] = [RateLimitError("slow", retry_after=2)]
    result = batch.run([query(1)], gate=gate)
    assert len(result.resolved) == 1
    assert batch.cloud.made("cloud") == [info_hash(1)]  # not a second job
    assert batch.cloud.made("status") == [request_id]
    assert batch.cloud.made("explore") == [request_id, request_id]


def test_the_gate_waits_out_the_pause_capped_and_stops_with_pyload() -> None:
    clock = Clock()
    gate = RateGate(clock)
    gate.wait(clock.sleep, lambda: False)
    assert clock.slept == []  # no pause: no wait
    gate.pause(600)  # longer than MAX_PAUSE: the torrent would rather go back to pyLoad
    gate.pause(3)  # a shorter pause does not shorten it
    gate.wait(clock.sleep, lambda: False)
    assert sum(clock.slept) == pytest.approx(bulk.MAX_PAUSE)
    assert max(clock.slept) == 0.5
    gate.pause(10)
    slept = len(clock.slept)
    stops = iter([False, False, True])
    gate.wait(clock.sleep, lambda: next(stops))
    assert len(clock.slept) == slept + 2


# --------------------------------------------------------------------------------------------
# cache/download (L19) and a full cloud (L23)


def test_cached_magnets_come_from_cache_download_with_no_job() -> None:
    batch = Batch(1, 2, 3)
    route = CacheDownloadRoute()
    result = batch.run([query(1), query(2), query(3), query(4)], direct=route)
    assert hashes(result.resolved) == {info_hash(1), info_hash(2), info_hash(3)}
    assert hashes(result.left) == {info_hash(4)}  # not cached: the decrypter's
    assert sorted(batch.cloud.made("direct")) == [info_hash(1), info_hash(2), info_hash(3)]
    assert batch.cloud.made("cloud") == []  # five magnets, five calls: no job at all
    assert batch.cloud.made("explore") == []
    assert {request_id for _h, request_id, _urls in batch.queued} == {"-"}
    assert (route.calls, route.answered) == (3, 3)


def test_where_cache_download_is_absent_it_is_asked_once_and_remembered() -> None:
    batch = Batch(1, 2, 3)
    batch.cloud.direct = "absent"
    route = CacheDownloadRoute()
    result = batch.run([query(1), query(2), query(3)], direct=route, workers=1)
    assert hashes(result.resolved) == {info_hash(1), info_hash(2), info_hash(3)}
    assert len(batch.cloud.made("direct")) == 1  # the HTML 404 once; then straight to add
    assert len(batch.cloud.made("cloud")) == 3
    assert not route.available(batch.client())  # type: ignore[arg-type]
    route.forget()
    assert route.available(batch.client())  # type: ignore[arg-type]


def test_in_parallel_an_absent_route_is_met_once() -> None:
    batch = Batch(*range(1, 9))
    batch.cloud.direct = "absent"
    route = CacheDownloadRoute()
    result = batch.run([query(n) for n in range(1, 9)], direct=route, workers=8)
    assert len(result.resolved) == 8
    assert len(batch.cloud.made("direct")) == 1  # the first call probes; the others wait for it
    assert len(batch.cloud.made("cloud")) == 8


def test_once_the_route_answered_magnets_ask_it_in_parallel() -> None:
    batch = Batch(1, 2, 3)
    route = CacheDownloadRoute()
    batch.run([query(1)], direct=route)
    batch.run([query(2), query(3)], direct=route)
    assert (route.calls, route.answered) == (3, 3)


def test_an_empty_cache_download_answer_falls_back_to_the_add() -> None:
    batch = Batch(1)
    batch.cloud.direct = "empty"
    result = batch.run([query(1), query(1, upper=True), query(2)], direct=CacheDownloadRoute())
    assert hashes(result.resolved) == {info_hash(1)}
    assert batch.cloud.made("direct") == [info_hash(1)]
    assert batch.cloud.made("cloud") == [info_hash(1)]


def full() -> CloudFullError:
    return CloudFullError("Offcloud cloud storage is full", status=500, code="cloud")


class View:
    """The room view of a pyLoad whose one finished job may go."""

    def __init__(self, created: list[Created]) -> None:
        self.ledger = list(created)
        self.gone: list[str] = []

    def created(self) -> list[Created]:
        return list(self.ledger)

    def links(self) -> list[Any]:
        return []

    def in_use(self, links: list[Any]) -> set[str]:
        return set()

    def kept(self) -> set[str]:
        return set()

    def note_created(self, request_id: str, at: float) -> None:
        self.ledger.append(Created(request_id, at))

    def removed(self, request_ids: list[str]) -> None:
        self.gone.extend(request_ids)


class RemovingClient(FakeClient):
    removed: ClassVar[list[list[str]]] = []

    def remove(self, request_ids: list[str]) -> None:
        RemovingClient.removed.append(list(request_ids))


def test_a_full_cloud_without_room_sends_the_torrent_back_not_into_failure() -> None:
    batch = Batch(1, 2)
    batch.cloud.errors[("cloud", info_hash(2))] = [full()]
    result = batch.run([query(1), query(2)], room=CloudRoom(), room_view=None)
    assert hashes(result.resolved) == {info_hash(1)}
    assert hashes(result.left) == {info_hash(2)}  # the decrypter waits for room
    assert batch.errors == []


def test_a_full_cloud_with_a_done_job_of_pyloads_makes_room_and_adds_again() -> None:
    batch = Batch(1)
    batch.cloud.errors[("cloud", info_hash(1))] = [full()]
    view = View([Created("old-done", 1.0, done=True)])
    room = CloudRoom()
    RemovingClient.removed = []
    result = resolve_batch(
        [query(1), query(2)],
        client=lambda: RemovingClient(batch.cloud),  # type: ignore[arg-type,return-value]
        store=batch.store,
        queue_files=batch.queue_files,
        submitting=batch.submitting,
        book=batch.book,
        sleep=batch.clock.sleep,
        room=room,
        room_view=view,
    )
    assert hashes(result.resolved) == {info_hash(1)}
    assert RemovingClient.removed == [["old-done"]]
    assert view.gone == ["old-done"]
    assert len(batch.cloud.made("cloud")) == 2  # refused as full, then added
    assert [entry.request_id for entry in view.ledger][1:] == [batch.queued[0][1]]
    assert (room.full_answers, room.removed) == (1, 1)
