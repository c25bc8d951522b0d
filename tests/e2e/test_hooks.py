"""The Offcloud addons in a real pyLoad: torrent routing, one cache call for many magnets, the
clean-up after downloads and every hour, cloud-only mode; no key anywhere, no job added twice.

One pyLoad and one simulator serve the module. The addons are switched as a user does it, through
pyLoad's settings API while pyLoad runs. Assertions are on pyLoad's API, the files on disk and the
simulator's call log (its times are wall-clock seconds, comparable with file times).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyload")

from offcloud_api.harness.runner import FINAL_STATUSES, LinkStatus
from offcloud_api.harness.stack import OffcloudPyloadStack
from offcloud_api.magnet import build_magnet
from offcloud_api.simulator import DEMO_API_KEY, expected_sha256, file_sha256
from offcloud_api.torrent import bencode

from .conftest import StackSpec

pytestmark = pytest.mark.e2e

DEFAULT_SCENARIO = (
    Path(__file__).parents[2] / "offcloud_api" / "simulator" / "default_scenario.json"
)
HOOK = "OffcloudComHook"
CLEANUP = "OffcloudComCleanup"
TORRENT_DECRYPTER = "OffcloudComTorrent"

# Jobs in the history at start (request ids are 24 hex digits).
JOB_DONE = "a0c1ea0000000000000000d1"  # recent, 3 files: removed once all are on disk
JOB_FAIL = "a0c1ea0000000000000000f1"  # recent, 2 files, the second cannot be downloaded
JOB_USERS = "a0c1ea0000000000000000e1"  # recent, 1 file: the user's own, kept with only_own
OLD_DONE = "a0c1ea00000000000000001d"  # finished 48 h ago: the hourly clean-up takes it
OLD_ERROR = "a0c1ea00000000000000001e"  # failed 48 h ago: only with include_failed
OLD_RUNNING = "a0c1ea00000000000000001f"  # "downloading" for 48 h: never
OLD_WANTED = "a0c1ea00000000000000002d"  # finished 48 h ago, its file still in pyLoad: kept
RECENT_DONE = "a0c1ea00000000000000003d"  # finished 2 h ago: kept

HOSTER_LINK = "https://nitroflare.com/view/HOOKRM1/hook-remove.bin"  # a cloud job per link
CLOUD_ONLY_LINK = "https://rapidgator.net/file/hookco1/cloud-only-mode.bin"
UNSUPPORTED_LINK = "https://unsupported-host.test/file/elsewhere.bin"
OFFLINE_LINK = "https://rapidgator.net/file/gone404/gone.bin"  # Offcloud refuses it
CLOUD_ONLY_HASH = hashlib.sha1(b"hook-cloud-only").hexdigest()  # noqa: S324 - a made-up id
CLOUD_ONLY_MAGNET = build_magnet(CLOUD_ONLY_HASH, "Hook.CloudOnly")
# A cached torrent whose job the clean-up removes after its CDN links are downloaded.
TORRENT_HASH = hashlib.sha1(b"hook-torrent-cleanup").hexdigest()  # noqa: S324 - a made-up id
TORRENT_MAGNET = build_magnet(TORRENT_HASH, "Hook.Torrent")
BATCH = 1000  # Offcloud's /api/cache takes up to 1,000 hashes a call (L13)
BATCH_HASHES = [hashlib.sha1(f"hook-batch-{i}".encode()).hexdigest() for i in range(BATCH)]  # noqa: S324
BATCH_MAGNETS = [build_magnet(h, f"Hook.Batch.{i:03d}") for i, h in enumerate(BATCH_HASHES)]


def _ago(hours: float) -> str:
    return (datetime.now(timezone.utc) - timedelta(hours=hours)).isoformat()


def _job(request_id: str, name: str, files: int, status: str, hours: float) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "link": f"https://example-hoster.test/folder/{name}",
        "name": name,
        "files": [{"path": f"{name}/part{i}.bin", "size": "32 KiB"} for i in range(1, files + 1)],
        "status": status,
        "server": "de-3",
        "created_on": _ago(hours),
    }


def _scenario() -> dict[str, Any]:
    scenario = json.loads(DEFAULT_SCENARIO.read_text(encoding="utf-8"))
    scenario["jobs"] += [
        _job(JOB_DONE, "Hook.Done", 3, "downloaded", 1),
        _job(JOB_FAIL, "Hook.Fail", 2, "downloaded", 1),
        _job(JOB_USERS, "Hook.Users", 1, "downloaded", 1),
        _job(OLD_DONE, "Hook.Old", 1, "downloaded", 48),
        _job(OLD_ERROR, "Hook.OldError", 1, "error", 48),
        _job(OLD_RUNNING, "Hook.OldRunning", 1, "downloading", 48),
        _job(OLD_WANTED, "Hook.OldWanted", 1, "downloaded", 48),
        _job(RECENT_DONE, "Hook.Recent", 1, "downloaded", 2),
    ]
    scenario["links"] += [
        {"url": HOSTER_LINK, "file": {"name": "hook-remove.bin", "size": "64 KiB"}, "duration": 1},
        {"url": CLOUD_ONLY_LINK, "file": {"name": "cloud-only-mode.bin", "size": "1 MiB"}},
    ]
    scenario["torrents"] += [
        {
            "info_hash": info_hash,
            "name": f"Hook.Batch.{i:03d}",
            "cached": True,
            "files": [{"path": f"Hook.Batch.{i:03d}.bin", "size": 1024}],
        }
        for i, info_hash in enumerate(BATCH_HASHES)
    ]
    scenario["torrents"].append(
        {
            "info_hash": TORRENT_HASH,
            "name": "Hook.Torrent",
            "cached": True,
            "files": [
                {"path": "Hook.Torrent/video.mkv", "size": "256 KiB"},
                {"path": "Hook.Torrent/Sub/en.srt", "size": 3000},
            ],
        }
    )
    scenario["torrents"].append(
        {
            "info_hash": CLOUD_ONLY_HASH,
            "name": "Hook.CloudOnly",
            "duration": 30,
            "files": [{"path": "Hook.CloudOnly/video.mkv", "size": "2 MiB"}],
        }
    )
    return scenario


STACK = StackSpec("hooks", _scenario)


@pytest.fixture(scope="module")
def cleanup_on(stack: OffcloudPyloadStack) -> OffcloudPyloadStack:
    """The clean-up addon active in the running pyLoad (on by default; switched on again).

    The module's jobs come from the simulator's history, as if made on offcloud.com: with
    ``only_own`` off they stand for jobs pyLoad added (the ledger of those is cloudroom's, tested
    in tests/e2e/test_cloud_full.py); ``test_the_users_own_job_stays`` turns it on.
    """
    _set(stack, CLEANUP, "enabled", True)
    _set(stack, CLEANUP, "only_own", False)
    stack.process.wait_until(
        lambda pl: f"ADDON {CLEANUP}: Active" in pl.log_text(), timeout=15, interval=0.3
    )
    return stack


# ---------------------------------------------------------------------------------------------
# helpers


def _set(stack: OffcloudPyloadStack, plugin: str, option: str, value: Any) -> None:
    stack.process.set_config_value(plugin, option, value, plugin=True)


def _api(stack: OffcloudPyloadStack, method: str, path: str, needle: str = "") -> list[Any]:
    return [
        call
        for call in stack.simulator.calls
        if call.kind == "api"
        and call.method == method
        and call.path == path
        and needle in (call.body_summary or "")
    ]


def _cache_calls(stack: OffcloudPyloadStack) -> list[Any]:
    paths = ("/api/cache/info", "/api/cache")
    return [c for c in stack.simulator.calls if c.kind == "api" and c.path in paths]


def _removals(stack: OffcloudPyloadStack, request_id: str) -> list[Any]:
    """Calls that removed ``request_id`` (2026 bulk route or the legacy one)."""
    return [
        call
        for call in stack.simulator.calls
        if call.kind == "api"
        and (
            (call.path == "/api/cloud/remove" and request_id in (call.body_summary or ""))
            or call.path.endswith(f"/cloud/remove/{request_id}")
        )
    ]


def _removed_ids(stack: OffcloudPyloadStack) -> set[str]:
    ids: set[str] = set()
    for call in stack.simulator.calls:
        if call.kind == "api" and "/cloud/remove" in call.path:
            ids.update(re.findall(r"[0-9a-f]{24}", (call.body_summary or "") + call.path))
    return ids


def _files_of(stack: OffcloudPyloadStack, package: str) -> list[dict[str, Any]]:
    return [f for f in stack.process.files() if f["package_name"] == package]


def _wait_package_final(
    stack: OffcloudPyloadStack, package: str, count: int, timeout: float = 60
) -> list[dict[str, Any]]:
    def done(pl: Any) -> bool:
        files = _files_of(stack, package)
        return len(files) == count and all(f["status"] in FINAL_STATUSES for f in files)

    stack.process.wait_until(done, timeout=timeout, interval=0.5)
    return _files_of(stack, package)


def _file_urls(request_id: str, count: int) -> list[str]:
    base = f"https://de-3.offcloud.com/cloud/download/{request_id}"
    return [f"{base}/{i}/part{i}.bin" for i in range(1, count + 1)]


def _spec(stack: OffcloudPyloadStack, request_id: str) -> Any:
    return next(job for job in stack.simulator.scenario.jobs if job.request_id == request_id)


# ---------------------------------------------------------------------------------------------
# magnets and .torrent files reach OffcloudComTorrent


def test_torrents_reach_offcloud_whatever_the_torrent_addon_names(
    stack: OffcloudPyloadStack,
) -> None:
    links = [
        "magnet:?xt=urn:btih:3bb71a0a14b2292203a8d3eded8b8d3c259c0603&dn=Demo.Release",
        "https://example.test/releases/Demo.Release.torrent",
        (stack.process.tempdir / "tmp_Demo.Release.torrent").as_uri(),
    ]
    pl = stack.process
    assert pl.check_urls(links) == {TORRENT_DECRYPTER: links}  # TORRENT set to None
    try:
        _set(stack, "TORRENT", "torrent_plugin", "c:AlldebridComTorrent")
        assert pl.check_urls(links) == {TORRENT_DECRYPTER: links}
        # The option hands torrents back to what TORRENT chose (so the routing above was ours).
        _set(stack, HOOK, "torrents", False)
        assert pl.check_urls(links) == {"AlldebridComTorrent": links}
        _set(stack, HOOK, "torrents", True)
        assert pl.check_urls(links) == {TORRENT_DECRYPTER: links}

        # A .torrent uploaded through pyLoad: the TORRENT container saves it in the temp folder
        # and passes a file:// link on, which must come to us, not to AlldebridComTorrent.
        info = {"name": "Hook.Upload", "length": 4096, "piece length": 16384, "pieces": b"\0" * 20}
        pl.upload_container("Hook.Upload.torrent", bencode({"info": info}))

        def reached(pl: Any) -> bool:
            log = pl.log_text()
            return any(
                TORRENT_DECRYPTER in line and "tmp_Hook.Upload.torrent" in line
                for line in log.splitlines()
            )

        pl.wait_until(reached, timeout=30, interval=0.5)
        assert "AlldebridComTorrent" not in {f["plugin"] for f in pl.files()}
    finally:
        _set(stack, "TORRENT", "torrent_plugin", "None")
        _set(stack, HOOK, "torrents", True)


# ---------------------------------------------------------------------------------------------
# one cache call for many magnets


def test_a_thousand_magnets_added_together_cost_one_cache_call(
    stack: OffcloudPyloadStack,
) -> None:
    pl = stack.process
    # With this policy the decrypter needs Offcloud's cache answer for every magnet (with the
    # default one it would not ask at all), so each decrypter must find it in the book.
    _set(stack, TORRENT_DECRYPTER, "cache_policy", "only_cached")
    # The batch check alone: bulk resolution (on by default) would queue every file itself
    # (tests/e2e/test_background.py covers it).
    _set(stack, HOOK, "bulk", False)
    before = len(_cache_calls(stack))
    pid = pl.add_package("Hook.Batch", BATCH_MAGNETS)
    try:
        # pyLoad starts one decrypter a second; wait until several of them looked the hash up.
        def started(pl: Any) -> bool:
            left = [
                f for f in pl.files() if f["package_id"] == pid and f["status"] == LinkStatus.QUEUED
            ]
            return len(left) <= BATCH - 6

        pl.wait_until(started, timeout=60, interval=0.5)
        calls = _cache_calls(stack)[before:]
        # At most one /api/cache call per 1,000 hashes (bare hashes, hits only: L13), and no
        # /api/cache/info (100 magnets a call) at all.
        assert [(c.method, c.path) for c in calls] == [("POST", "/api/cache")] * math.ceil(
            BATCH / 1000
        ), [c.body_summary for c in calls]
        assert calls[0].status == 200
        assert f"Offcloud has {BATCH} of {BATCH} added torrents cached" in pl.log_text()
    finally:
        pl.delete_packages([p["pid"] for p in pl.queue() if p["name"].startswith("Hook.Batch")])
        _set(stack, TORRENT_DECRYPTER, "cache_policy", "all")
        _set(stack, HOOK, "bulk", True)
    time.sleep(2)  # decrypters that were running finish or abort
    pl.delete_packages([p["pid"] for p in pl.queue() if p["name"].startswith("Hook.Batch")])
    assert len(_cache_calls(stack)[before:]) == math.ceil(BATCH / 1000)


# ---------------------------------------------------------------------------------------------
# clean-up after the download


def test_the_users_own_job_stays(cleanup_on: OffcloudPyloadStack) -> None:
    """A job made outside this pyLoad (a cloud folder the user pasted) is downloaded and stays:
    after the download the clean-up removes only the jobs pyLoad added (only_own, on)."""
    stack = cleanup_on
    _set(stack, CLEANUP, "only_own", True)
    try:
        stack.process.add_package("Hook.Users", _file_urls(JOB_USERS, 1))
        files = _wait_package_final(stack, "Hook.Users", 1)
        assert {f["status"] for f in files} == {LinkStatus.FINISHED}, files
        stack.process.wait_until(
            lambda pl: f"Offcloud job {JOB_USERS} stays: not_ours" in pl.log_text(),
            timeout=15,
            interval=0.3,
        )
        assert _removals(stack, JOB_USERS) == []
    finally:
        _set(stack, CLEANUP, "only_own", False)


def test_a_job_is_removed_only_after_all_its_files_are_on_disk(
    cleanup_on: OffcloudPyloadStack,
) -> None:
    stack = cleanup_on
    pl = stack.process
    pl.add_package("Hook.Done", _file_urls(JOB_DONE, 3))
    files = _wait_package_final(stack, "Hook.Done", 3)
    assert {f["status"] for f in files} == {LinkStatus.FINISHED}, files
    stack.process.wait_until(lambda pl: _removals(stack, JOB_DONE), timeout=15, interval=0.3)

    folder = pl.package_folder("Hook.Done")
    spec = _spec(stack, JOB_DONE)
    written = []
    for file_spec in spec.files:
        path = folder / file_spec.name
        assert file_sha256(path) == expected_sha256(file_spec)
        written.append(path.stat().st_mtime)
    removals = _removals(stack, JOB_DONE)
    assert len(removals) == 1
    assert removals[0].time >= max(written)
    downloads = [c for c in stack.simulator.calls if c.kind == "file" and JOB_DONE in c.path]
    assert removals[0].time >= max(c.time for c in downloads)


def test_a_torrent_job_is_removed_once_its_cdn_links_are_downloaded(
    cleanup_on: OffcloudPyloadStack,
) -> None:
    # Live: the decrypter queues CDN links (L11), which name no job; it notes the job of each in
    # the downloader's storage, and the clean-up addon finds the job through those notes.
    stack = cleanup_on
    pl = stack.process
    pl.add_package("Hook.Torrent.Source", [TORRENT_MAGNET])

    def finished(pl: Any) -> bool:
        files = [f for f in pl.files() if f["package_name"].startswith("Hook.Torrent")]
        files = [f for f in files if f["package_name"] != "Hook.Torrent.Source"]
        if any(f["status"] in FINAL_STATUSES - {LinkStatus.FINISHED} for f in files):
            raise AssertionError(f"a link of Hook.Torrent ended badly: {files}")
        return len(files) == 2 and all(f["status"] == LinkStatus.FINISHED for f in files)

    pl.wait_until(finished, timeout=60, interval=0.5)
    queued = [f for f in pl.files() if f["package_name"] in ("Hook.Torrent", "Hook.Torrent/Sub")]
    assert all(".energycdn.com/cdn3sto/" in f["url"] for f in queued), queued
    added = _api(stack, "POST", "/api/cloud", TORRENT_HASH)
    assert len(added) == 1
    request_id = added[0].request_id
    assert request_id
    pl.wait_until(lambda pl: _removals(stack, request_id), timeout=15, interval=0.3)

    removals = _removals(stack, request_id)
    assert [(c.method, c.path, c.status) for c in removals] == [
        ("GET", f"/api/cloud/remove/{request_id}", 200)  # the live route (L15)
    ]
    torrent = next(t for t in stack.simulator.scenario.torrents if t.info_hash == TORRENT_HASH)
    written = []
    for spec in torrent.files:
        path = pl.storagedir.joinpath(*spec.path.split("/"))
        assert file_sha256(path) == expected_sha256(spec), path
        written.append(path.stat().st_mtime)
    downloads = [
        c for c in stack.simulator.calls if c.kind == "file" and c.request_id == request_id
    ]
    assert {c.path.rsplit("/", 1)[-1] for c in downloads} == {"video.mkv", "en.srt"}
    assert removals[0].time >= max(written)
    assert removals[0].time >= max(c.time for c in downloads)
    assert f"Removed Offcloud job {request_id}: every file from it is downloaded" in pl.log_text()


def test_a_failed_download_keeps_the_job_unless_told_otherwise(
    cleanup_on: OffcloudPyloadStack,
) -> None:
    stack = cleanup_on
    pl = stack.process
    # The job holds two files; a link to a third one cannot be downloaded (HTTP 404, and the
    # downloader finds no such file when it explores the job again).
    links = _file_urls(JOB_FAIL, 3)
    try:
        pl.add_package("Hook.Fail", links)
        files = _wait_package_final(stack, "Hook.Fail", 3)
        statuses = {f["url"]: f["status"] for f in files}
        assert statuses == {
            links[0]: LinkStatus.FINISHED,
            links[1]: LinkStatus.FINISHED,
            links[2]: LinkStatus.FAILED,
        }, files
        time.sleep(2)
        assert _removals(stack, JOB_FAIL) == []  # keep_failed is on by default

        _set(stack, CLEANUP, "keep_failed", False)
        failed = next(f for f in files if f["status"] == LinkStatus.FAILED)
        started = time.time()
        pl.restart_file(failed["fid"])
        pl.wait_until(lambda pl: _removals(stack, JOB_FAIL), timeout=30, interval=0.5)
        assert _removals(stack, JOB_FAIL)[0].time >= started
        assert len(_removals(stack, JOB_FAIL)) == 1
    finally:
        _set(stack, CLEANUP, "keep_failed", True)


def test_the_cloud_job_of_a_hoster_link_goes_after_its_download(
    cleanup_on: OffcloudPyloadStack,
) -> None:
    stack = cleanup_on
    pl = stack.process
    pl.add_package("Hook.Hoster", [HOSTER_LINK])
    files = _wait_package_final(stack, "Hook.Hoster", 1)
    assert files[0]["status"] == LinkStatus.FINISHED, files
    added = _api(stack, "POST", "/api/cloud", "HOOKRM1")
    assert len(added) == 1
    request_id = added[0].request_id
    pl.wait_until(lambda pl: _removals(stack, request_id), timeout=15, interval=0.3)
    path = pl.package_folder("Hook.Hoster") / "hook-remove.bin"
    assert path.stat().st_size == 64 * 1024
    removals = _removals(stack, request_id)
    assert len(removals) == 1  # not once by the downloader and once by the addon
    assert removals[0].time >= path.stat().st_mtime


# ---------------------------------------------------------------------------------------------
# the hourly clean-up


def test_the_hourly_clean_up_removes_old_finished_jobs_and_never_running_ones(
    cleanup_on: OffcloudPyloadStack,
) -> None:
    stack = cleanup_on
    pl = stack.process
    # A file of OLD_WANTED waits in the link collector: pyLoad still has to download it.
    pl.add_package("Hook.OldWanted", _file_urls(OLD_WANTED, 1), queue=False)
    untouchable = {OLD_RUNNING, OLD_WANTED, RECENT_DONE, "0896d1afc0082e232c9b10a6"}
    try:
        _set(stack, CLEANUP, "older_than", 24)  # a run starts a few seconds after the change
        pl.wait_until(lambda pl: _removals(stack, OLD_DONE), timeout=20, interval=0.5)
        time.sleep(1)
        removed = _removed_ids(stack)
        assert OLD_DONE in removed
        assert OLD_ERROR not in removed
        assert not untouchable & removed

        _set(stack, CLEANUP, "include_failed", True)
        pl.wait_until(lambda pl: _removals(stack, OLD_ERROR), timeout=20, interval=0.5)
        time.sleep(1)
        assert not untouchable & _removed_ids(stack)
        assert len(_removals(stack, OLD_DONE)) == 1
    finally:
        _set(stack, CLEANUP, "older_than", 0)
        _set(stack, CLEANUP, "include_failed", False)
        pl.delete_packages([p["pid"] for p in pl.collector() if p["name"] == "Hook.OldWanted"])


# ---------------------------------------------------------------------------------------------
# cloud only


def test_cloud_only_sends_links_and_magnets_to_the_cloud_and_downloads_nothing(
    stack: OffcloudPyloadStack,
) -> None:
    pl = stack.process
    _set(stack, HOOK, "cloud_only", True)
    try:
        pl.add_package(
            "Hook.CloudOnly", [CLOUD_ONLY_LINK, CLOUD_ONLY_MAGNET, UNSUPPORTED_LINK, OFFLINE_LINK]
        )
        pl.wait_until(
            lambda pl: pl.log_text().count("sent to your Offcloud cloud as job") >= 2,
            timeout=20,
            interval=0.5,
        )
        # Offcloud refused the offline link: it waits in the link collector, not downloaded.
        pl.wait_until(
            lambda pl: [p for p in pl.collector() if p["name"] == "Hook.CloudOnly (not sent)"],
            timeout=10,
            interval=0.5,
        )
        held = next(p for p in pl.collector() if p["name"] == "Hook.CloudOnly (not sent)")
        assert [link["url"] for link in held["links"]] == [OFFLINE_LINK]
        hoster = _api(stack, "POST", "/api/cloud", "hookco1")
        magnet = _api(stack, "POST", "/api/cloud", CLOUD_ONLY_HASH)
        assert len(hoster) == 1
        assert len(magnet) == 1
        request_ids = {hoster[0].request_id, magnet[0].request_id}
        log = pl.log_text()
        for request_id in request_ids:
            assert request_id
            assert f"as job {request_id}" in log
        # Only the link Offcloud does not handle stays in pyLoad.
        assert [f["url"] for f in _files_of(stack, "Hook.CloudOnly")] == [UNSUPPORTED_LINK]

        # The same links again: nothing new is submitted, and the empty package goes away.
        pl.add_package("Hook.CloudOnly.Again", [CLOUD_ONLY_LINK, CLOUD_ONLY_MAGNET])
        pl.wait_until(
            lambda pl: pl.log_text().count("is already in your Offcloud cloud as job") >= 2,
            timeout=20,
            interval=0.5,
        )
        pl.wait_until(
            lambda pl: all(p["name"] != "Hook.CloudOnly.Again" for p in pl.queue()),
            timeout=10,
            interval=0.5,
        )
        time.sleep(1)
        assert len(_api(stack, "POST", "/api/cloud", "hookco1")) == 1
        assert len(_api(stack, "POST", "/api/cloud", CLOUD_ONLY_HASH)) == 1
        assert not [
            c
            for c in stack.simulator.calls
            if c.kind == "file" and any(rid in c.path for rid in request_ids)
        ]
        assert not _api(stack, "POST", "/api/instant", "hookco1")

        # A .torrent uploaded through pyLoad goes to the cloud as a magnet (the API takes no
        # upload), read from pyLoad's temp folder.
        info = {"name": "Hook.CloudUpload", "length": 8192, "piece length": 16384}
        info["pieces"] = b"\1" * 20
        info_hash = hashlib.sha1(bencode(info)).hexdigest()  # noqa: S324 - BitTorrent v1
        pl.upload_container("Hook.CloudUpload.torrent", bencode({"info": info}))
        pl.wait_until(
            lambda pl: _api(stack, "POST", "/api/cloud", info_hash), timeout=20, interval=0.5
        )
        pl.wait_until(
            lambda pl: not [p for p in pl.queue() if "Hook.CloudUpload" in p["name"]],
            timeout=10,
            interval=0.5,
        )
        assert "Hook.CloudUpload sent to your Offcloud cloud as job" in pl.log_text()
        assert not list(pl.tempdir.glob("tmp_Hook.CloudUpload*"))  # the temporary copy is gone
    finally:
        _set(stack, HOOK, "cloud_only", False)
        pl.delete_packages(
            [p["pid"] for p in pl.queue() + pl.collector() if p["name"].startswith("Hook.Cloud")]
        )


# ---------------------------------------------------------------------------------------------
# across the module


def test_no_job_was_submitted_twice(stack: OffcloudPyloadStack) -> None:
    submitted = Counter(c.body_summary for c in _api(stack, "POST", "/api/cloud"))
    if not submitted:
        pytest.skip("checks the jobs the tests above submitted: run the whole module")
    assert [body for body, count in submitted.items() if count > 1] == []


def test_the_key_leaks_nowhere(cleanup_on: OffcloudPyloadStack) -> None:
    stack = cleanup_on
    api_calls = [c for c in stack.simulator.calls if c.kind == "api"]
    assert {c.key_location for c in api_calls} == {"bearer"}
    for call in stack.simulator.calls:
        assert DEMO_API_KEY not in call.path
    process = stack.process
    log = process.log_text()
    assert f"ADDON {HOOK}" in log  # the addons did log
    assert f"ADDON {CLEANUP}" in log
    assert DEMO_API_KEY not in log
    assert DEMO_API_KEY not in json.dumps(process.queue() + process.collector())
    assert DEMO_API_KEY.encode() not in process.database_bytes()
    # Files anywhere under pyLoad's home (logs, dumps of API answers, the temp folder): only the
    # account file holds the key.
    holders = process.files_containing(DEMO_API_KEY.encode(), skip=("accounts.cfg",))
    assert holders == []
