"""Torrents at scale in a real pyLoad (issue 13): bulk resolution, jobs followed in the
background across a restart, the cap on running jobs, and the import from offcloud.com.

One pyLoad and one simulator (live profile) serve the module; the addon's options are switched
through pyLoad's settings API as a user would. Assertions are on pyLoad's queue, the files on disk
and the simulator's call log and job table.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyload")

from offcloud_api import OffcloudAPI
from offcloud_api.harness.runner import LinkStatus
from offcloud_api.harness.stack import OffcloudPyloadStack
from offcloud_api.magnet import build_magnet

from .conftest import StackSpec, cloud_adds

pytestmark = pytest.mark.e2e

DEFAULT_SCENARIO = (
    Path(__file__).parents[2] / "offcloud_api" / "simulator" / "default_scenario.json"
)
HOOK = "OffcloudComHook"
FOLLOWED = "followed in the background"


def _hash(label: str) -> str:
    return hashlib.sha1(label.encode()).hexdigest()  # noqa: S324 - a made-up info-hash


BULK = [_hash(f"bulk-{i}") for i in range(60)]
BULK_UNCACHED = [_hash(f"bulk-uncached-{i}") for i in range(2)]
SLOW = [_hash(f"slow-{i}") for i in range(3)]  # uncached: Offcloud takes a while
CAPPED = [_hash(f"capped-{i}") for i in range(6)]
FOREIGN = _hash("added-on-offcloud.com")
INTERRUPTED = [_hash(f"interrupted-{i}") for i in range(12)]
SLOW_HOSTER_LINK = "https://nitroflare.com/view/SLOWJOB1/slow-cloud-job.bin"


def _torrent(info_hash: str, name: str, *, cached: bool, duration: float = 0) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "info_hash": info_hash,
        "name": name,
        "cached": cached,
        "files": [{"path": f"{name}/{name}.mkv", "size": "64 KiB"}],
    }
    if not cached:
        entry.update(duration=duration, queued=0.5)
    return entry


def _scenario() -> dict[str, Any]:
    scenario = json.loads(DEFAULT_SCENARIO.read_text(encoding="utf-8"))
    # No cache/download here (L19; an HTML 404): the bulk path adds and explores cached torrents,
    # which is what this module measures. tests/e2e/test_cloud_full.py has the route answering.
    scenario["api"]["cache_download"] = False
    scenario["torrents"] += [_torrent(h, f"Bulk.{i:02d}", cached=True) for i, h in enumerate(BULK)]
    scenario["torrents"] += [
        _torrent(h, f"BulkNew.{i}", cached=False, duration=3) for i, h in enumerate(BULK_UNCACHED)
    ]
    scenario["torrents"] += [
        _torrent(h, f"Slow.{i}", cached=False, duration=15) for i, h in enumerate(SLOW)
    ]
    scenario["torrents"] += [
        _torrent(h, f"Capped.{i}", cached=False, duration=4) for i, h in enumerate(CAPPED)
    ]
    scenario["torrents"].append(_torrent(FOREIGN, "Foreign", cached=True))
    scenario["torrents"] += [
        _torrent(h, f"Cut.{i:02d}", cached=True) for i, h in enumerate(INTERRUPTED)
    ]
    scenario["links"].append(
        {
            "url": SLOW_HOSTER_LINK,
            "file": {"name": "slow-cloud-job.bin", "size": "96 KiB"},
            "duration": 12,
        }
    )
    return scenario


STACK = StackSpec("background", _scenario, options=[(HOOK, "follow_interval", 2)])
#: The cache checks (L13, L14); not cache/download, which hands out files (L19).
CACHE_CHECKS = ("/api/cache", "/api/cache/info")


def _set(stack: OffcloudPyloadStack, option: str, value: Any) -> None:
    stack.process.set_config_value(HOOK, option, value, plugin=True)


def _adds(stack: OffcloudPyloadStack, info_hash: str) -> list[Any]:
    return cloud_adds(stack, info_hash, ignore_case=True)


def _done_names(stack: OffcloudPyloadStack) -> set[str]:
    return {f["name"] for f in stack.process.files() if f["status"] == LinkStatus.FINISHED}


@dataclass
class Window:
    calls: list[Any]
    seconds: float


def _calls_while_waiting(stack: OffcloudPyloadStack, *, interval: float, rounds: int) -> Window:
    """The API calls of ``rounds`` whole rounds of the background loop, which asks the history
    once a round: the window starts half an interval after a history call (as the benchmark's)."""
    index = len(stack.simulator.calls)

    def history_asked(pl: Any) -> bool:
        return any(c.path == "/api/cloud/history" for c in stack.simulator.calls[index:])

    stack.process.wait_until(history_asked, timeout=2 * interval + 30, interval=0.2)
    time.sleep(interval / 2)  # the window's start: mid-round
    start, started = len(stack.simulator.calls), time.time()
    time.sleep(rounds * interval)  # the window itself: its length is what is measured
    ended = time.time()
    calls = [c for c in stack.simulator.calls[start:] if c.kind == "api" and c.time <= ended]
    return Window(calls, ended - started)


def _clear(stack: OffcloudPyloadStack) -> None:
    stack.process.delete_packages([p["pid"] for p in stack.process.queue()])


def test_cached_magnets_added_together_are_queued_by_the_addon(
    stack: OffcloudPyloadStack,
) -> None:
    pl = stack.process
    links = [build_magnet(h, f"Bulk.{i:02d}") for i, h in enumerate(BULK)]
    links.append(build_magnet(BULK[0], "Bulk.00.again"))  # the same torrent twice
    links += [build_magnet(h, f"BulkNew.{i}") for i, h in enumerate(BULK_UNCACHED)]
    cache_before = len([c for c in stack.simulator.calls if c.path in CACHE_CHECKS])
    direct_before = len([c for c in stack.simulator.calls if c.path == "/api/cache/download"])
    started = time.monotonic()
    pl.add_package("Bulk", links)

    def queued(pl: Any) -> bool:
        names = {f["name"] for f in pl.files()}
        return all(f"Bulk.{i:02d}.mkv" in names for i in range(len(BULK)))

    pl.wait_until(queued, timeout=60, interval=1.0)
    elapsed = time.monotonic() - started
    # Far faster than one decrypter a second (60 s for 60 magnets).
    assert elapsed < 30, elapsed
    cache_calls = [c for c in stack.simulator.calls if c.path in CACHE_CHECKS]
    assert len(cache_calls) - cache_before == 1
    # cache/download is asked once (its HTML 404), not once per torrent: then straight to add.
    direct = [c for c in stack.simulator.calls if c.path == "/api/cache/download"]
    assert len(direct) - direct_before <= 1
    # Each torrent added once, the duplicate link included; the uncached ones went the usual way.
    for info_hash in BULK + BULK_UNCACHED:
        pl.wait_until(lambda pl, h=info_hash: len(_adds(stack, h)) >= 1, timeout=60)
    assert all(len(_adds(stack, h)) == 1 for h in BULK), Counter(len(_adds(stack, h)) for h in BULK)
    # The uncached ones: followed in the background, their files queued when Offcloud is done
    # (behind the 60 downloads above, so not waited for here).
    pl.wait_until(
        lambda pl: {f"BulkNew.{i}.mkv" for i in range(2)} <= {f["name"] for f in pl.files()},
        timeout=60,
        interval=2,
    )
    assert "Bulk: 60 of 63 torrents queued" in pl.log_text()
    assert all(len(_adds(stack, h)) == 1 for h in BULK_UNCACHED)
    # A cached torrent is downloaded in the add's answer: one explore each, no status poll.
    jobs = {str(_adds(stack, h)[0].request_id) for h in BULK}
    explored = Counter(
        c.path.rsplit("/", 1)[-1] for c in stack.simulator.calls if "/api/cloud/explore/" in c.path
    )
    assert {explored[job] for job in jobs} == {1}, explored
    polled = {str(c.request_id) for c in stack.simulator.calls if c.path == "/api/cloud/status"}
    assert not jobs & polled
    _clear(stack)


def test_a_bulk_cut_by_a_pyload_crash_loses_nothing_and_doubles_nothing(
    stack: OffcloudPyloadStack,
) -> None:
    pl = stack.process
    names = {f"Cut.{i:02d}.mkv" for i in range(len(INTERRUPTED))}
    # Offcloud lists files slowly, so pyLoad is killed with part of the batch queued.
    stack.simulator.inject("delay", path="/api/cloud/explore", delay=1.0)
    try:
        pl.add_package("Cut", [build_magnet(h, f"Cut.{i:02d}") for i, h in enumerate(INTERRUPTED)])
        pl.wait_until(
            lambda pl: any(f["name"] in names for f in pl.files()), timeout=30, interval=0.2
        )
        stack.restart_pyload(kill=True)
    finally:
        stack.simulator.clear_faults()
    # What the batch had not queued went back to the package, for the decrypter.
    pl.wait_until(lambda pl: names <= {f["name"] for f in pl.files()}, timeout=120)
    pl.restart_failed()  # pyLoad marks every link unfinished at a crash "aborted"
    pl.wait_until(lambda pl: names <= _done_names(stack), timeout=120)
    queued = Counter(f["name"] for f in pl.files() if f["name"] in names)
    assert set(queued.values()) == {1}, queued
    assert "links of an interrupted batch go back to pyLoad" in pl.log_text()
    # One job per torrent at Offcloud, however often it was asked for.
    for info_hash in INTERRUPTED:
        jobs = {c.request_id for c in _adds(stack, info_hash) if c.status == 200}
        assert len(jobs) == 1, (info_hash, jobs)
    _clear(stack)


def test_uncached_torrents_wait_without_a_thread_and_survive_a_restart(
    stack: OffcloudPyloadStack,
) -> None:
    pl = stack.process
    # uncached_to_cloud: with the background loop the files come without a manual restart.
    pl.set_config_value("OffcloudComTorrent", "cache_policy", "uncached_to_cloud", plugin=True)
    for i, info_hash in enumerate(SLOW):
        pl.add_package(f"Slow.{i}", [build_magnet(info_hash, f"Slow.{i}")])

    def followed(pl: Any) -> list[dict[str, Any]]:
        return [f for f in pl.files() if FOLLOWED in (f["statusmsg"] or "")]

    pl.wait_until(lambda pl: len(followed(pl)) == len(SLOW), timeout=30, interval=0.5)
    waiting = followed(pl)
    assert all(f["status"] == LinkStatus.PROCESSING for f in waiting)
    # No pyLoad thread works on them: nothing is downloading or decrypting.
    assert not pl.status_downloads()
    assert not [f for f in pl.files() if f["status"] == LinkStatus.DECRYPTING]
    # While they wait, the background loop's rounds only: one history call a round and at most
    # two status calls a round (the progress shown), no call per torrent per round.
    window = _calls_while_waiting(stack, interval=2.0, rounds=2)
    routes = Counter(f"{c.method} {c.path}" for c in window.calls)
    assert set(routes) <= {
        "GET /api/cloud/history",
        "POST /api/cloud/status",
        "GET /api/account/info",  # pyLoad's own refresh of the account, should it fall due
    }, routes
    assert routes["GET /api/account/info"] <= 1
    assert 1 <= routes["GET /api/cloud/history"] <= window.seconds / 2.0 + 1, (routes, window)
    assert routes["POST /api/cloud/status"] <= 2 * routes["GET /api/cloud/history"], routes
    assert len(followed(pl)) == len(SLOW)  # still waiting: the window saw only the wait
    stack.restart_pyload()
    # After the restart the same links are followed again (pyLoad had marked them aborted).
    pl.wait_until(lambda pl: len(followed(pl)) == len(SLOW), timeout=30, interval=0.5)
    pl.wait_until(
        lambda pl: {f"Slow.{i}.mkv" for i in range(len(SLOW))} <= _done_names(stack),
        timeout=120,
    )
    for info_hash in SLOW:
        assert len(_adds(stack, info_hash)) == 1  # resumed, never added again
    pl.set_config_value("OffcloudComTorrent", "cache_policy", "all", plugin=True)
    _clear(stack)


def test_a_long_hoster_job_frees_its_download_slot(stack: OffcloudPyloadStack) -> None:
    pl = stack.process
    _set(stack, "follow_after", 2)
    try:
        pl.add_package("SlowHoster", [SLOW_HOSTER_LINK])
        pl.wait_until(
            lambda pl: any(FOLLOWED in (f["statusmsg"] or "") for f in pl.files()),
            timeout=30,
            interval=0.5,
        )
        assert not pl.status_downloads()  # the download slot is free while Offcloud works
        pl.wait_until(lambda pl: "slow-cloud-job.bin" in _done_names(stack), timeout=60)
    finally:
        _set(stack, "follow_after", 300)
    adds = [
        c
        for c in stack.simulator.calls
        if c.kind == "api" and c.path == "/api/cloud" and "SLOWJOB1" in c.body_summary
    ]
    assert len(adds) == 1  # resumed by the downloader, not added again
    _clear(stack)


def test_the_cap_holds_jobs_back_until_others_end(stack: OffcloudPyloadStack) -> None:
    pl = stack.process
    cap = 2
    _set(stack, "max_running_jobs", cap)
    try:
        pl.add_package("Capped", [build_magnet(h, f"Capped.{i}") for i, h in enumerate(CAPPED)])
        pl.wait_until(
            lambda pl: any("free Offcloud slot" in (f["statusmsg"] or "") for f in pl.files()),
            timeout=30,
            interval=0.3,
        )
        pl.wait_until(
            lambda pl: {f"Capped.{i}.mkv" for i in range(len(CAPPED))} <= _done_names(stack),
            timeout=180,
        )
    finally:
        _set(stack, "max_running_jobs", 0)
    # The simulator's jobs: at no moment more than ``cap`` of them ran at once.
    state = stack.simulator.state
    spans = []
    for info_hash in CAPPED:
        adds = _adds(stack, info_hash)
        assert len(adds) == 1
        job = state.jobs[adds[0].request_id]
        spans.append((job.started_at, job.started_at + job.queued + job.duration))
    most = max(sum(1 for s, e in spans if s <= start < e) for start, _ in spans)
    assert most <= cap, spans
    _clear(stack)


def test_jobs_finished_on_offcloud_are_imported_once(stack: OffcloudPyloadStack) -> None:
    pl = stack.process
    _set(stack, "import_finished", True)
    try:
        pl.wait_until(lambda pl: "Import: baseline" in pl.log_text(), timeout=30)
        # Someone adds a torrent on offcloud.com (it is cached: finished at once).
        with OffcloudAPI(stack.api_key, base_url=stack.simulator.api_url) as api:
            job = api.cloud(build_magnet(FOREIGN, "Foreign"))
        pl.wait_until(lambda pl: "Foreign.mkv" in _done_names(stack), timeout=60)
        time.sleep(5)  # more rounds: nothing is imported twice
        names = [f["name"] for f in pl.files()]
        assert names.count("Foreign.mkv") == 1
        assert f"Import: Foreign (Offcloud job {job.request_id}) queued" in pl.log_text()
    finally:
        _set(stack, "import_finished", False)
    _clear(stack)
