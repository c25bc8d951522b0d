"""Finding or adding a torrent's cloud job, and waiting for it, against the simulator over HTTP.

The decisions of :func:`obtain_job` and :mod:`offcloud_api.pyload.jobs` run here with a real
client on the local Offcloud; the call log says what reached Offcloud. ``sim`` answers like the
real API of 2026 (the ``live`` profile, docs/api.md §00), with the client knowing it (as
the pyLoad account tells it); ``rich`` is the older simulation with a retry route and a history
the client searches, for the legacy generation's paths.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fakes import MemoryStore

from offcloud_api import OffcloudAPI, RetryPolicy
from offcloud_api.exceptions import CloudJobError
from offcloud_api.magnet import build_magnet
from offcloud_api.models import CacheResult, Job, JobStatus
from offcloud_api.pyload.cachebook import CacheBook
from offcloud_api.pyload.jobs import remember, remembered_job, wait_retrying_once
from offcloud_api.pyload.torrents import (
    CachePolicy,
    HistoryMemo,
    Step,
    TorrentRef,
    obtain_job,
    torrent_from_magnet,
)
from offcloud_api.simulator import DEMO_API_KEY, Simulator, load_scenario

CACHED = "3bb71a0a14b2292203a8d3eded8b8d3c259c0603"  # Demo.Release
UNCACHED = "3a48a5100c48c07ddce34b0322d81057ca80c94a"  # Demo.Uncached
FAILED = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00"  # a failed job in the history
FAILED_JOB = "aaaaaaaaaaaaaaaaaaaaaaaa"
SLOW = "5105105105105105105105105105105105105105"  # uncached, a day long even at 1000x
# Uncached, 2 s at 1000x: long enough that a fault injected right after the add finds it running.
RETRIED = "2e7121ed2e7121ed2e7121ed2e7121ed2e7121ed"


def _scenario(profile: str) -> Any:
    return load_scenario(
        {
            "extends": "default",
            "api": {"profile": profile},
            "clock": {"speedup": 1000},
            "torrents": [
                {
                    "info_hash": SLOW,
                    "name": "Demo.Slow",
                    "duration": 86_400_000,
                    "files": [{"path": "Demo.Slow/a.bin", "size": 1024}],
                },
                {
                    "info_hash": RETRIED,
                    "name": "Demo.Retried",
                    "duration": 2000,
                    "files": [{"path": "Demo.Retried/a.bin", "size": 1024}],
                },
                {
                    "info_hash": FAILED,
                    "name": "Demo.Failed",
                    "files": [{"path": "Demo.Failed/a.bin", "size": 1024}],
                },
            ],
            "jobs": [
                {
                    "request_id": FAILED_JOB,
                    "link": build_magnet(FAILED, "Demo.Failed"),
                    "name": "Demo.Failed",
                    "files": [{"path": "Demo.Failed/a.bin", "size": 1024}],
                    "status": "error",
                }
            ],
        }
    )


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(_scenario("live")) as running:
        yield running


@pytest.fixture
def api(sim: Simulator) -> Iterator[OffcloudAPI]:
    client = OffcloudAPI(
        DEMO_API_KEY,
        base_url=sim.api_url,
        retry=RetryPolicy(sleep=lambda _s: None),
        api_generation="2026",
    )
    yield client
    client.close()


@pytest.fixture
def rich() -> Iterator[Simulator]:
    with Simulator(_scenario("rich")) as running:
        yield running


@pytest.fixture
def rich_api(rich: Simulator) -> Iterator[OffcloudAPI]:
    client = OffcloudAPI(
        DEMO_API_KEY, base_url=rich.api_url, retry=RetryPolicy(sleep=lambda _s: None)
    )
    yield client
    client.close()


def torrent(info_hash: str, name: str = "Demo") -> TorrentRef:
    return torrent_from_magnet(build_magnet(info_hash, name))


def calls(sim: Simulator, method: str, path: str) -> list[Any]:
    return [c for c in sim.api_calls() if c.method == method and c.path == path]


def obtain(api: OffcloudAPI, store: MemoryStore, ref: TorrentRef, policy: CachePolicy, **kw: Any):
    kw.setdefault("book", CacheBook())
    kw.setdefault("memo", HistoryMemo(ttl=0))
    return obtain_job(api, store, ref, policy, **kw)


# ---------------------------------------------------------------------------------------------
# obtain_job


def test_a_cached_torrent_is_added_once_and_remembered(sim: Simulator, api: OffcloudAPI) -> None:
    store = MemoryStore()
    ref = torrent(CACHED)
    first = obtain(api, store, ref, CachePolicy.ONLY_CACHED)
    assert first.step is Step.FETCH
    assert first.cached is True
    assert first.reused is False
    assert first.job is not None
    assert store.values[ref.storage_key] == {"request_id": first.job.request_id, "retried": False}
    again = obtain(api, store, ref, CachePolicy.ONLY_CACHED)
    assert again.reused is True
    assert again.job is not None
    assert again.job.request_id == first.job.request_id
    assert len(calls(sim, "POST", "/api/cloud")) == 1
    # One cache question (bare hashes, L13), no history on 2026 (L5 reuses live jobs); the
    # second time the remembered job answered.
    assert calls(sim, "GET", "/api/cloud/history") == []
    assert len(calls(sim, "POST", "/api/cache")) == 1
    assert calls(sim, "POST", "/api/cache/info") == []


def test_a_job_someone_else_added_is_reused_by_adding_again(
    sim: Simulator, api: OffcloudAPI
) -> None:
    # docs/api.md L5: the same magnet added while its job lives gets its requestId.
    existing = api.cloud(build_magnet(UNCACHED))
    store = MemoryStore()
    found = obtain(api, store, torrent(UNCACHED), CachePolicy.ALL)
    assert found.step is Step.FETCH
    assert found.job is not None
    assert found.job.request_id == existing.request_id  # Offcloud answered with the live job
    assert calls(sim, "GET", "/api/cloud/history") == []
    assert store.values[torrent(UNCACHED).storage_key]["request_id"] == existing.request_id


def test_a_job_someone_else_added_is_found_in_the_history(
    rich: Simulator, rich_api: OffcloudAPI
) -> None:
    existing = rich_api.cloud(build_magnet(UNCACHED))
    store = MemoryStore()
    found = obtain(rich_api, store, torrent(UNCACHED), CachePolicy.ALL)
    assert found.step is Step.FETCH
    assert found.reused is True
    assert found.job is not None
    assert found.job.request_id == existing.request_id
    assert len(calls(rich, "POST", "/api/cloud")) == 1
    assert calls(rich, "POST", "/api/cache") == []
    assert store.values[torrent(UNCACHED).storage_key]["request_id"] == existing.request_id


def test_only_cached_refuses_an_uncached_torrent_without_adding(
    sim: Simulator, api: OffcloudAPI
) -> None:
    store = MemoryStore()
    book = CacheBook()
    refused = obtain(api, store, torrent(UNCACHED), CachePolicy.ONLY_CACHED, book=book)
    assert refused == type(refused)(Step.REFUSE, None, False, False)
    assert calls(sim, "POST", "/api/cloud") == []
    assert store.values == {}
    # The answer is in the book now: asking again costs no cache call.
    obtain(api, store, torrent(UNCACHED), CachePolicy.ONLY_CACHED, book=book)
    assert len(calls(sim, "POST", "/api/cache")) == 1


def test_only_cached_refuses_a_job_still_running_in_the_cloud(api: OffcloudAPI) -> None:
    store = MemoryStore()
    running = obtain(api, store, torrent(SLOW), CachePolicy.UNCACHED_TO_CLOUD)
    assert running.step is Step.SUBMIT_ONLY
    refused = obtain(api, store, torrent(SLOW), CachePolicy.ONLY_CACHED)
    assert refused.step is Step.REFUSE
    assert refused.job is not None
    assert refused.job.status is not JobStatus.DOWNLOADED


def test_uncached_to_cloud_adds_the_job_but_does_not_fetch(
    sim: Simulator, api: OffcloudAPI
) -> None:
    store = MemoryStore()
    submitted = obtain(api, store, torrent(UNCACHED), CachePolicy.UNCACHED_TO_CLOUD)
    assert submitted.step is Step.SUBMIT_ONLY
    assert submitted.cached is False
    assert len(calls(sim, "POST", "/api/cloud")) == 1
    sim.advance(60)
    later = obtain(api, store, torrent(UNCACHED), CachePolicy.UNCACHED_TO_CLOUD)
    assert later.step is Step.FETCH  # downloaded in the cloud meanwhile
    assert len(calls(sim, "POST", "/api/cloud")) == 1


def test_policy_all_asks_no_cache_question(sim: Simulator, api: OffcloudAPI) -> None:
    found = obtain(api, MemoryStore(), torrent(UNCACHED), CachePolicy.ALL)
    assert found.step is Step.FETCH
    assert found.cached is None
    assert calls(sim, "POST", "/api/cache") == []


def test_an_answer_in_the_book_saves_the_cache_call(sim: Simulator, api: OffcloudAPI) -> None:
    book = CacheBook()
    book.remember([CacheResult(query=CACHED, info_hash=CACHED, cached=True)])
    found = obtain(api, MemoryStore(), torrent(CACHED), CachePolicy.ONLY_CACHED, book=book)
    assert found.step is Step.FETCH
    assert found.cached is True
    assert calls(sim, "POST", "/api/cache") == []


def test_a_failed_job_in_the_history_is_retried_by_offcloud(
    rich: Simulator, rich_api: OffcloudAPI
) -> None:
    store = MemoryStore()
    ref = torrent(FAILED, "Demo.Failed")
    found = obtain(rich_api, store, ref, CachePolicy.ALL)
    assert found.job is not None
    assert found.job.request_id == FAILED_JOB
    assert found.job.status is not JobStatus.ERROR
    assert store.values[ref.storage_key] == {"request_id": FAILED_JOB, "retried": True}
    assert len(calls(rich, "GET", f"/api/cloud/retry/{FAILED_JOB}")) == 1
    assert calls(rich, "POST", "/api/cloud") == []


class _StaleMemo:
    """A history answer from before the job was removed."""

    def __init__(self, jobs: list[Job]) -> None:
        self.jobs = jobs

    def history(self, api: OffcloudAPI) -> list[Job]:
        return self.jobs


def test_a_failed_job_offcloud_no_longer_has_is_added_again(
    rich: Simulator, rich_api: OffcloudAPI
) -> None:
    gone = Job(request_id="b" * 24, status=JobStatus.ERROR, original_link=build_magnet(CACHED))
    store = MemoryStore()
    found = obtain(rich_api, store, torrent(CACHED), CachePolicy.ALL, memo=_StaleMemo([gone]))
    assert found.job is not None
    assert found.job.request_id != gone.request_id
    assert len(calls(rich, "POST", "/api/cloud")) == 1
    assert store.values[torrent(CACHED).storage_key]["request_id"] == found.job.request_id


def test_a_magnet_and_its_torrent_decided_together_add_one_job(
    sim: Simulator, api: OffcloudAPI
) -> None:
    store = MemoryStore()
    memo = HistoryMemo(ttl=0)
    results: list[Any] = []
    refs = [torrent(UNCACHED, "one"), torrent(UNCACHED, "two")] * 3

    def run(ref: TorrentRef) -> None:
        client = OffcloudAPI(DEMO_API_KEY, base_url=sim.api_url, api_generation="2026")
        with client:
            results.append(obtain(client, store, ref, CachePolicy.ALL, memo=memo))

    threads = [threading.Thread(target=run, args=(ref,)) for ref in refs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == len(refs)
    assert len({r.job.request_id for r in results}) == 1
    assert len(calls(sim, "POST", "/api/cloud")) == 1


# ---------------------------------------------------------------------------------------------
# remembered jobs and waiting


def test_remembered_job_resumes_and_forgets(sim: Simulator, api: OffcloudAPI) -> None:
    store = MemoryStore()
    assert remembered_job(api, store, "job:x") is None
    job = api.cloud(build_magnet(CACHED))
    remember(store, "job:x", job.request_id)
    resumed = remembered_job(api, store, "job:x")
    assert resumed is not None
    assert resumed.request_id == job.request_id
    api.remove(job.request_id)
    assert remembered_job(api, store, "job:x") is None  # Offcloud forgot it: so do we
    assert store.values == {}


def test_a_failed_job_already_retried_is_forgotten(api: OffcloudAPI) -> None:
    store = MemoryStore()
    remember(store, "job:y", FAILED_JOB, retried=True)
    assert remembered_job(api, store, "job:y") is None
    assert store.values == {}
    remember(store, "job:y", FAILED_JOB)
    failed = remembered_job(api, store, "job:y")
    assert failed is not None  # not yet retried: worth one Offcloud retry
    assert failed.status is JobStatus.ERROR


def _wait(
    api: OffcloudAPI, store: MemoryStore, key: str, job: Job, seen: list[Any], **kw: Any
) -> Job:
    return wait_retrying_once(
        api,
        store,
        key,
        job,
        timeout=30,
        on_progress=seen.append,
        should_abort=lambda: False,
        on_retry=seen.append,
        poll_interval=0.01,
        **kw,
    )


def test_a_job_that_fails_is_retried_once_then_finishes(
    rich: Simulator, rich_api: OffcloudAPI
) -> None:
    magnet = build_magnet(UNCACHED)
    rich.inject("job_error", link=magnet, message="Tracker timeout")
    job = rich_api.cloud(magnet)
    store = MemoryStore()
    remember(store, "job:z", job.request_id)
    seen: list[Any] = []
    done = _wait(rich_api, store, "job:z", job, seen)
    assert done.status is JobStatus.DOWNLOADED
    retries = [item for item in seen if isinstance(item, CloudJobError)]
    assert len(retries) == 1
    assert "Tracker timeout" in retries[0].message
    assert store.values["job:z"] == {"request_id": job.request_id, "retried": True}
    assert len(calls(rich, "GET", f"/api/cloud/retry/{job.request_id}")) == 1


def test_without_a_retry_route_a_failed_job_is_added_again_once(
    sim: Simulator, api: OffcloudAPI
) -> None:
    magnet = build_magnet(RETRIED)
    job = api.cloud(magnet)
    sim.inject("job_error", request_id=job.request_id, message="Tracker timeout")
    store = MemoryStore()
    remember(store, "job:u", job.request_id)
    seen: list[Any] = []
    done = _wait(api, store, "job:u", job, seen, add_again=lambda: api.cloud(magnet))
    assert done.status is JobStatus.DOWNLOADED
    assert len([item for item in seen if isinstance(item, CloudJobError)]) == 1
    # The retry route is not there on 2026 (one HTML 404), so the link went in once more.
    assert len(calls(sim, "GET", f"/api/cloud/retry/{job.request_id}")) == 1
    assert len(calls(sim, "POST", "/api/cloud")) == 2
    assert store.values["job:u"]["retried"] is True


def test_a_job_that_fails_after_its_retry_fails_for_good(
    rich: Simulator, rich_api: OffcloudAPI
) -> None:
    magnet = build_magnet(UNCACHED)
    rich.inject("job_error", link=magnet, message="Dead torrent", retry_succeeds=False)
    job = rich_api.cloud(magnet)
    store = MemoryStore()
    remember(store, "job:w", job.request_id)
    with pytest.raises(CloudJobError, match="Dead torrent"):
        _wait(rich_api, store, "job:w", job, [])
    assert len(calls(rich, "GET", f"/api/cloud/retry/{job.request_id}")) == 1


def test_a_job_retried_before_a_restart_is_not_retried_again(
    rich: Simulator, rich_api: OffcloudAPI
) -> None:
    magnet = build_magnet(UNCACHED)
    rich.inject("job_error", link=magnet, message="Dead torrent", retry_succeeds=False)
    job = rich_api.cloud(magnet)
    store = MemoryStore()
    remember(store, "job:v", job.request_id, retried=True)
    seen: list[Any] = []
    with pytest.raises(CloudJobError, match="Dead torrent"):
        _wait(rich_api, store, "job:v", job, seen)
    assert not [item for item in seen if isinstance(item, CloudJobError)]
    assert calls(rich, "GET", f"/api/cloud/retry/{job.request_id}") == []


def test_an_answer_the_batch_check_is_fetching_is_waited_for_only_when_it_matters(
    sim: Simulator, api: OffcloudAPI
) -> None:
    book = CacheBook()
    book.expect([UNCACHED], timeout=30)
    started = time.monotonic()
    obtain(api, MemoryStore(), torrent(UNCACHED), CachePolicy.ALL, book=book)
    assert time.monotonic() - started < 5  # policy all needs no answer: no wait for it

    book.expect([CACHED], timeout=30)
    answer = CacheResult(query=CACHED, info_hash=CACHED, cached=True)
    threading.Timer(0.3, book.remember, args=([answer],)).start()
    found = obtain(api, MemoryStore(), torrent(CACHED), CachePolicy.ONLY_CACHED, book=book)
    assert found.cached is True
    assert calls(sim, "POST", "/api/cache") == []  # the batch answer was used
