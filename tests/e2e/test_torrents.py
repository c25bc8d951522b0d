"""Magnets, .torrent files, cloud folders and archives in a real pyLoad, Offcloud simulated.

One pyLoad and one simulator serve the module, as in test_multihoster.py. The torrents and jobs
are the demo scenario's, plus a .torrent built here (its info-hash is added to the scenario), a
second finished folder job and a second uncached torrent. Assertions are on files on disk
(sha256), on pyLoad's queue and on the simulator's call log.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from offcloud_api.torrent import bencode

pytest.importorskip("pyload")

from offcloud_api.harness.runner import FINAL_STATUSES, LinkStatus
from offcloud_api.harness.stack import OffcloudPyloadStack
from offcloud_api.magnet import build_magnet
from offcloud_api.simulator import DEMO_API_KEY, FileSpec, expected_sha256, file_sha256

from .conftest import StackSpec
from .conftest import cloud_adds as _cloud_adds

DEFAULT_SCENARIO = (
    Path(__file__).parents[2] / "offcloud_api" / "simulator" / "default_scenario.json"
)

pytestmark = pytest.mark.e2e

TORRENT = "OffcloudComTorrent"
RELEASE_HASH = "3bb71a0a14b2292203a8d3eded8b8d3c259c0603"  # cached, 3 files, Sub/ folder
UNCACHED_HASH = "3a48a5100c48c07ddce34b0322d81057ca80c94a"  # uncached, 6 s at Offcloud
SINGLE_HASH = "22d58f1c7bed28975f5848e8fc883043b203a7e3"  # cached, one file, no folder
REFUSED_HASH = "9c1e35b1a0f0c2d3e4f5a6b7c8d9e0f1a2b3c4d5"  # uncached, added here
LATER_HASH = "7d2f0e4c6b8a1d3f5e7c9b0a2d4f6e8c0a1b3d5f"  # uncached, added here
SLOW_HASH = "51051051051051051051051051051051051051aa"  # uncached, an hour long, added here
COUNTED_HASH = "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c1"  # cached, 2 files, only for the count
GARBAGE_MAGNET = "magnet:?xt=urn:btih:zzzz&dn=Garbage.Release"  # not 40 hex / 32 base32 (L7)
CLOUD_FOLDER_JOB = "0896d1afc0082e232c9b10a6"
SINGLE_FILE_JOB = "947f187506f7629c81c81879"
EXPIRING_JOB = "5713129db40677dd57001377"  # added here: a finished folder job
ARCHIVE_LINK = "https://1fichier.com/?demoarchive1"
SEED = "offcloud-demo"


UPLOAD_INFO = {
    "name": "Demo.Upload",
    "piece length": 262144,
    "pieces": b"\x00" * 20,
    "files": [
        {"length": 300 * 1024, "path": ["clip.mkv"]},
        {"length": 2048, "path": ["Extras", "notes.txt"]},
    ],
}
UPLOAD_TORRENT = bencode({"announce": "udp://tracker.example:80", "info": UPLOAD_INFO})
UPLOAD_HASH = hashlib.sha1(bencode(UPLOAD_INFO)).hexdigest()  # noqa: S324 - BitTorrent v1
REMOTE_INFO = {"name": "Demo.Remote.mkv", "length": 200 * 1024, "piece length": 262144}
REMOTE_INFO["pieces"] = b"\x00" * 20
REMOTE_HASH = hashlib.sha1(bencode(REMOTE_INFO)).hexdigest()  # noqa: S324 - BitTorrent v1
REMOTE_URL = "https://tracker.example/get/Demo.Remote.torrent"


def _scenario() -> dict[str, Any]:
    scenario = json.loads(DEFAULT_SCENARIO.read_text(encoding="utf-8"))
    scenario["clock"] = {"speedup": 2.0}  # the uncached torrent takes 3 s, still seen downloading
    scenario["torrents"] += [
        {
            "info_hash": UPLOAD_HASH,
            "name": "Demo.Upload",
            "cached": True,
            "files": [
                {"path": "Demo.Upload/clip.mkv", "size": 300 * 1024},
                {"path": "Demo.Upload/Extras/notes.txt", "size": 2048},
            ],
        },
        {
            "info_hash": REFUSED_HASH,
            "name": "Demo.Refused",
            "cached": False,
            "files": [{"path": "Demo.Refused/a.bin", "size": "1 MiB"}],
        },
        {
            "info_hash": SLOW_HASH,
            "name": "Demo.Slow",
            "cached": False,
            "duration": 3600,
            "files": [{"path": "Demo.Slow/a.bin", "size": "1 MiB"}],
        },
        {
            "info_hash": COUNTED_HASH,
            "name": "Demo.Counted",
            "cached": True,
            "files": [
                {"path": "Demo.Counted/a.mkv", "size": "384 KiB"},
                {"path": "Demo.Counted/extra/b.nfo", "size": 1500},
            ],
        },
        {
            "info_hash": LATER_HASH,
            "name": "Demo.Later",
            "cached": False,
            "duration": 2,
            "files": [
                {"path": "Demo.Later/a.bin", "size": "256 KiB"},
                {"path": "Demo.Later/b.bin", "size": "128 KiB"},
            ],
        },
    ]
    scenario["torrents"].append(
        {
            "info_hash": REMOTE_HASH,
            "name": "Demo.Remote.mkv",
            "cached": True,
            "files": [{"path": "Demo.Remote.mkv", "size": 200 * 1024}],
        }
    )
    scenario["direct_files"].append(
        {
            "url": REMOTE_URL,
            "data_base64": base64.b64encode(bencode({"info": REMOTE_INFO})).decode(),
        }
    )
    scenario["jobs"].append(
        {
            "request_id": EXPIRING_JOB,
            "link": "https://example-hoster.test/folder/Expiring",
            "name": "Demo.Expiring",
            "files": [
                {"path": "Demo.Expiring/one.bin", "size": "256 KiB"},
                {"path": "Demo.Expiring/two.bin", "size": "128 KiB"},
            ],
            "status": "downloaded",
            "server": "nl-2",
        }
    )
    return scenario


# The background loop's rounds every 2 s instead of 30: the tests see progress sooner. Jobs stay
# in the cloud after their download (the clean-up addon is on by default): the tests below add
# the same torrents again and expect their jobs reused.
STACK = StackSpec(
    "torrents",
    _scenario,
    options=[
        ("OffcloudComHook", "follow_interval", 2),
        ("OffcloudComCleanup", "after_download", False),
    ],
)


# ---------------------------------------------------------------------------------------------
# helpers


def _files(
    stack: OffcloudPyloadStack, package: str, everything: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The links of the package ``package`` and of its sub-folder packages ``package/…``."""
    return [
        f
        for f in (stack.process.files() if everything is None else everything)
        if f["package_name"] == package or f["package_name"].startswith(package + "/")
    ]


def _wait_finished(stack: OffcloudPyloadStack, package: str, count: int, timeout: float = 30):
    def done(_pl: Any) -> bool:
        files = _files(stack, package)
        if any(f["status"] in FINAL_STATUSES - {LinkStatus.FINISHED} for f in files):
            raise AssertionError(f"a link of {package} ended badly: {files}")
        return len(files) == count and all(f["status"] == LinkStatus.FINISHED for f in files)

    stack.process.wait_until(done, timeout=timeout, interval=1.5)
    return _files(stack, package)


def _source(stack: OffcloudPyloadStack, package: str, timeout: float = 30) -> dict[str, Any]:
    """The one link of ``package`` once it is final (a decrypter's link that failed, say)."""

    def final(_pl: Any) -> bool:
        files = [f for f in stack.process.files() if f["package_name"] == package]
        return len(files) == 1 and files[0]["status"] in FINAL_STATUSES

    stack.process.wait_until(final, timeout=timeout, interval=1.5)
    return next(f for f in stack.process.files() if f["package_name"] == package)


def _on_disk(stack: OffcloudPyloadStack, *parts: str) -> Path:
    return stack.process.storagedir.joinpath(*parts)


def _spec(stack: OffcloudPyloadStack, info_hash: str) -> Any:
    return next(t for t in stack.simulator.scenario.torrents if t.info_hash == info_hash)


def _job_spec(stack: OffcloudPyloadStack, request_id: str) -> Any:
    return next(j for j in stack.simulator.scenario.jobs if j.request_id == request_id)


def _assert_tree(stack: OffcloudPyloadStack, top: str, files: Any, strip: str) -> None:
    """Every file is on disk under ``top`` with its sub-folders and its exact bytes."""
    for spec in files:
        relative = spec.path[len(strip) + 1 :] if strip else spec.path
        path = _on_disk(stack, top, *relative.split("/"))
        assert path.is_file(), f"{path} is missing"
        assert file_sha256(path) == expected_sha256(spec), path


# ---------------------------------------------------------------------------------------------
# routing


def test_magnets_torrents_and_cloud_folders_go_to_our_decrypters(
    stack: OffcloudPyloadStack,
) -> None:
    file_url = f"https://de-3.offcloud.com/cloud/download/{CLOUD_FOLDER_JOB}/1/part1.bin"
    # A 2026 file link (L11): on the CDN, no request id in it; it ends in .torrent on purpose.
    cdn_url = (
        "https://1-cdn2-ovh-bea.energycdn.com/cdn3sto/frostyicebreath-sto/"
        "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-Ab/Some%20Release.torrent"
    )
    mapped = stack.process.check_urls(
        [
            build_magnet(RELEASE_HASH, "Demo.Release"),
            "https://tracker.example/get/Demo.Release.torrent",
            f"https://de-3.offcloud.com/cloud/download/{CLOUD_FOLDER_JOB}",
            file_url,
            cdn_url,
        ]
    )
    assert len(mapped.get(TORRENT, [])) == 2, mapped
    assert mapped.get("OffcloudComFolder") == [
        f"https://de-3.offcloud.com/cloud/download/{CLOUD_FOLDER_JOB}"
    ]
    assert mapped.get("OffcloudCom") == [file_url, cdn_url]


# ---------------------------------------------------------------------------------------------
# torrents


def test_cached_magnet_downloads_byte_exact_with_its_sub_folder(stack: OffcloudPyloadStack) -> None:
    stack.process.add_package("magnet", [build_magnet(RELEASE_HASH, "Demo.Release")])
    links = _wait_finished(stack, "Demo.Release", 3)
    assert {f["package_name"] for f in links} == {"Demo.Release", "Demo.Release/Sub"}
    _assert_tree(stack, "Demo.Release", _spec(stack, RELEASE_HASH).files, "Demo.Release")
    assert not [f for f in stack.process.files() if f["package_name"] == "magnet"]
    assert len(_cloud_adds(stack, RELEASE_HASH)) == 1


def test_a_cached_magnet_costs_at_most_three_api_calls(stack: OffcloudPyloadStack) -> None:
    # Live (L5): the add answers "downloaded" at once, so no status poll; the file links come
    # from one explore (L10). Every API call the simulator saw while it ran is counted, account
    # look-ups included: nothing else runs in this pyLoad meanwhile.
    start = len(stack.simulator.calls)
    stack.process.add_package("counted", [build_magnet(COUNTED_HASH, "Demo.Counted")])
    _wait_finished(stack, "Demo.Counted", 2)
    _assert_tree(stack, "Demo.Counted", _spec(stack, COUNTED_HASH).files, "Demo.Counted")
    calls = stack.simulator.calls[start:]
    api = [c for c in calls if c.kind == "api"]
    by_route = Counter(f"{c.method} {c.path}" for c in api)
    assert len(api) <= 3, by_route
    adds = [c for c in api if c.method == "POST" and c.path == "/api/cloud"]
    assert len(adds) == 1, by_route
    request_id = adds[0].request_id
    assert request_id
    assert by_route[f"GET /api/cloud/explore/{request_id}"] == 1, by_route
    assert by_route["POST /api/cloud/status"] == 0, by_route  # the add said downloaded
    assert by_route["POST /api/instant"] == 0, by_route
    # cache_policy all and no max_running_jobs: the cache answer would change nothing.
    assert by_route["POST /api/cache"] == 0, by_route
    # Its files came from the CDN (L11), both of them, as the job's files.
    downloads = [c for c in calls if c.kind == "file" and c.request_id == request_id]
    assert {c.host.rsplit(".", 2)[-2] for c in downloads} == {"energycdn"}, downloads
    assert {c.path.rsplit("/", 1)[-1] for c in downloads} == {"a.mkv", "b.nfo"}


def test_a_garbage_magnet_fails_clearly_and_adds_nothing(stack: OffcloudPyloadStack) -> None:
    # Live (L7): Offcloud would accept it and leave the job "Loading..." for ever, so the plugin
    # refuses it before any call to the cloud.
    start = len(stack.simulator.calls)
    stack.process.add_package("garbage", [GARBAGE_MAGNET])
    source = _source(stack, "garbage")
    assert source["status"] in (LinkStatus.FAILED, LinkStatus.OFFLINE), source
    assert "info-hash" in source["error"].lower(), source
    added = [
        c
        for c in stack.simulator.calls[start:]
        if c.kind == "api" and c.method == "POST" and c.path == "/api/cloud"
    ]
    assert added == []
    assert not [f for f in stack.process.files() if f["package_name"].startswith("Garbage")]


def test_the_same_magnet_again_reuses_the_job(stack: OffcloudPyloadStack) -> None:
    before = len(_cloud_adds(stack, RELEASE_HASH))
    stack.process.add_package("again", [build_magnet(RELEASE_HASH, "Demo.Release")])
    stack.process.wait_until(
        lambda pl: not [f for f in pl.files() if f["package_name"] == "again"], timeout=20
    )
    assert len(_cloud_adds(stack, RELEASE_HASH)) == before


def test_uncached_magnet_waits_with_progress_then_downloads(stack: OffcloudPyloadStack) -> None:
    stack.process.add_package("uncached", [build_magnet(UNCACHED_HASH, "Demo.Uncached")])
    seen: list[str] = []

    def finished(pl: Any) -> bool:
        everything = pl.files()  # one API call per poll: pyLoad allows 100 a minute
        seen.extend(f["statusmsg"] for f in everything if f["package_name"] == "uncached")
        files = _files(stack, "Demo.Uncached", everything)
        return len(files) == 2 and all(f["status"] == LinkStatus.FINISHED for f in files)

    stack.process.wait_until(finished, timeout=30, interval=1.5)
    # Followed in the background: no pyLoad thread waits, the link shows Offcloud's progress.
    assert any(
        "Offcloud downloading" in text and "followed in the background" in text for text in seen
    ), seen
    _assert_tree(stack, "Demo.Uncached", _spec(stack, UNCACHED_HASH).files, "Demo.Uncached")
    polls = [c for c in stack.simulator.calls if c.path == "/api/cloud/status"]
    assert polls
    assert len(_cloud_adds(stack, UNCACHED_HASH)) == 1


def test_uploaded_torrent_downloads_and_its_magnet_adds_no_second_job(
    stack: OffcloudPyloadStack,
) -> None:
    stack.process.upload_container("Demo.Upload.torrent", UPLOAD_TORRENT)
    stack.process.add_package("upload-magnet", [build_magnet(UPLOAD_HASH, "Demo.Upload")])
    _wait_finished(stack, "Demo.Upload", 4)  # two links each: the upload and the magnet
    _assert_tree(stack, "Demo.Upload", _spec(stack, UPLOAD_HASH).files, "Demo.Upload")
    # Whichever of the two came first added the job; the other found it.
    assert len(_cloud_adds(stack, UPLOAD_HASH)) == 1
    # pyLoad's copy of the upload is gone once its files are queued.
    assert not list(stack.process.tempdir.glob("tmp_Demo.Upload*.torrent"))


def test_a_torrent_link_is_fetched_through_pyload_and_downloads(
    stack: OffcloudPyloadStack,
) -> None:
    missing = "https://tracker.example/get/missing.torrent"
    stack.process.add_package("remote", [REMOTE_URL])
    stack.process.add_package("remote-missing", [missing])
    _wait_finished(stack, "Demo.Remote.mkv", 1)
    spec = _spec(stack, REMOTE_HASH).files[0]
    assert file_sha256(_on_disk(stack, "Demo.Remote.mkv", spec.name)) == expected_sha256(spec)
    fetched = [
        c for c in stack.simulator.calls if c.host == "tracker.example" and c.method == "GET"
    ]
    assert {c.path for c in fetched} == {"/get/Demo.Remote.torrent", "/get/missing.torrent"}
    failed = _source(stack, "remote-missing")
    assert failed["status"] == LinkStatus.FAILED, failed
    assert failed["error"] == "The .torrent address answered HTTP 404"


def test_single_file_torrent_and_single_file_job_download(stack: OffcloudPyloadStack) -> None:
    stack.process.add_package(
        "singles",
        [
            build_magnet(SINGLE_HASH, "Demo.Single"),
            f"https://fr-1.offcloud.com/cloud/download/{SINGLE_FILE_JOB}",
        ],
    )
    _wait_finished(stack, "Demo.Single", 1)
    single = _spec(stack, SINGLE_HASH).files[0]
    assert file_sha256(_on_disk(stack, "Demo.Single", single.name)) == expected_sha256(single)
    job_file = _job_spec(stack, SINGLE_FILE_JOB).files[0]
    _wait_finished(stack, job_file.name, 1)
    assert file_sha256(_on_disk(stack, job_file.name, job_file.name)) == expected_sha256(job_file)


@pytest.fixture
def in_thread(stack: OffcloudPyloadStack) -> Iterator[OffcloudPyloadStack]:
    """The decrypter waits in its own thread, as with OffcloudComHook's ``follow`` off."""
    stack.process.set_config_value("OffcloudComHook", "follow", False, plugin=True)
    try:
        yield stack
    finally:
        stack.process.set_config_value("OffcloudComHook", "follow", True, plugin=True)


def test_stop_during_the_wait_for_offcloud_takes_effect_within_two_seconds(
    in_thread: OffcloudPyloadStack,
) -> None:
    stack = in_thread
    stack.process.add_package("slow", [build_magnet(SLOW_HASH, "Demo.Slow")])

    def waiting(pl: Any) -> bool:
        return any(
            "Offcloud" in (f["statusmsg"] or "") for f in pl.files() if f["package_name"] == "slow"
        )

    stack.process.wait_until(waiting, timeout=20)
    fid = next(f["fid"] for f in stack.process.files() if f["package_name"] == "slow")
    started = time.monotonic()
    stack.process.stop_downloads([fid])
    source = _source(stack, "slow", timeout=10)
    assert source["status"] == LinkStatus.ABORTED, source
    assert time.monotonic() - started <= 2.0


def test_only_cached_refuses_an_uncached_magnet(stack: OffcloudPyloadStack) -> None:
    stack.process.set_config_value(TORRENT, "cache_policy", "only_cached", plugin=True)
    try:
        stack.process.add_package("refused", [build_magnet(REFUSED_HASH, "Demo.Refused")])
        source = _source(stack, "refused")
    finally:
        stack.process.set_config_value(TORRENT, "cache_policy", "all", plugin=True)
    assert source["status"] == LinkStatus.FAILED, source
    assert "does not have Demo.Refused cached" in source["error"]
    assert "only_cached" in source["error"]
    assert _cloud_adds(stack, REFUSED_HASH) == []


def test_uncached_to_cloud_adds_the_job_then_a_restart_downloads_it(
    in_thread: OffcloudPyloadStack,
) -> None:
    stack = in_thread
    stack.process.set_config_value(TORRENT, "cache_policy", "uncached_to_cloud", plugin=True)
    try:
        stack.process.add_package("later", [build_magnet(LATER_HASH, "Demo.Later")])
        source = _source(stack, "later")
        assert source["status"] == LinkStatus.FAILED, source
        assert "restart this link later" in source["error"]
        assert len(_cloud_adds(stack, LATER_HASH)) == 1
        stack.simulator.advance(10)  # Offcloud finishes it meanwhile
        stack.process.restart_file(source["fid"])
        _wait_finished(stack, "Demo.Later", 2)
    finally:
        stack.process.set_config_value(TORRENT, "cache_policy", "all", plugin=True)
    _assert_tree(stack, "Demo.Later", _spec(stack, LATER_HASH).files, "Demo.Later")
    assert len(_cloud_adds(stack, LATER_HASH)) == 1


# ---------------------------------------------------------------------------------------------
# cloud folders and archives


def test_cloud_folder_link_downloads_per_file(stack: OffcloudPyloadStack) -> None:
    stack.process.add_package(
        "cloud-folder", [f"https://de-3.offcloud.com/cloud/download/{CLOUD_FOLDER_JOB}"]
    )
    links = _wait_finished(stack, "Demo.Cloud.Folder", 3)
    assert {f["plugin"] for f in links} == {"OffcloudCom"}
    spec = _job_spec(stack, CLOUD_FOLDER_JOB)
    _assert_tree(stack, "Demo.Cloud.Folder", spec.files, "Demo.Cloud.Folder")
    assert not [
        c
        for c in stack.simulator.calls
        if c.path == "/api/cloud"
        and c.method == "POST"
        and CLOUD_FOLDER_JOB in (c.body_summary or "")
    ]
    # The job exists already: one explore lists its files, and that is all it costs.
    explores = [
        c for c in stack.simulator.calls if c.path == f"/api/cloud/explore/{CLOUD_FOLDER_JOB}"
    ]
    assert len(explores) == 1, explores


def test_an_expired_file_link_is_resolved_again(stack: OffcloudPyloadStack) -> None:
    # The folder decrypter queues the job's CDN links (L11) and notes the job of each; the first
    # CDN download answers 410, as an expired signed link would. The downloader finds the job
    # in its note (the URL names none), explores it once more and downloads from a fresh link.
    stack.simulator.inject("server_error", path="/cdn3sto/", status=410, count=1)
    start = len(stack.simulator.calls)
    explores_before = _explores(stack, EXPIRING_JOB)
    stack.process.add_package(
        "expiring", [f"https://nl-2.offcloud.com/cloud/download/{EXPIRING_JOB}"]
    )
    links = _wait_finished(stack, "Demo.Expiring", 2)
    assert all(".energycdn.com/cdn3sto/" in f["url"] for f in links), links
    spec = _job_spec(stack, EXPIRING_JOB)
    _assert_tree(stack, "Demo.Expiring", spec.files, "Demo.Expiring")
    downloads = [c for c in stack.simulator.calls[start:] if c.kind == "file"]
    refused = [c for c in downloads if c.status == 410]
    assert len(refused) == 1, downloads
    assert refused[0].fault == "server_error"  # answered by the fault, before any look-up
    assert refused[0].host.endswith(".energycdn.com")
    assert refused[0].path.startswith("/cdn3sto/")
    name = refused[0].path.rsplit("/", 1)[-1]
    assert name in {f.name for f in spec.files}
    # The same file again, later, from another signed link, answered.
    again = [
        c
        for c in downloads
        if c.path.rsplit("/", 1)[-1] == name and c.time >= refused[0].time and c.status < 300
    ]
    assert again, downloads
    assert {c.request_id for c in again} == {EXPIRING_JOB}
    assert {c.path for c in again}.isdisjoint({refused[0].path})
    # One explore by the folder decrypter, exactly one more by the downloader for a fresh link.
    assert _explores(stack, EXPIRING_JOB) - explores_before == 2
    assert "trying a fresh one from Offcloud" in stack.process.log_text()


def _explores(stack: OffcloudPyloadStack, request_id: str) -> int:
    return len([c for c in stack.simulator.calls if c.path == f"/api/cloud/explore/{request_id}"])


def _archive_file() -> FileSpec:
    scenario = json.loads(DEFAULT_SCENARIO.read_text(encoding="utf-8"))
    link = next(x for x in scenario["links"] if x["url"] == ARCHIVE_LINK)
    size = 2 * 1024 + 1024 * 1024 + 512 * 1024
    assert len(link["files"]) == 3
    return FileSpec(link["name"], size, f"{SEED}:archive:{ARCHIVE_LINK}")


def _assert_archive_expanded(
    stack: OffcloudPyloadStack, package: str, links: Any, *, folders: bool = True
) -> None:
    source = _source(stack, package)
    assert source["status"] == LinkStatus.SKIPPED, source
    assert "Expanded into 3 files" in source["error"]
    link = next(x for x in stack.simulator.scenario.links if x.url == ARCHIVE_LINK)
    if folders:
        assert {f["package_name"] for f in links} == {"Demo.Archive", "Demo.Archive/data"}
        _assert_tree(stack, "Demo.Archive", link.files, "Demo.Archive")
        return
    # The legacy explore lists bare file URLs, no paths: the files land side by side.
    assert {f["package_name"] for f in links} == {"Demo.Archive"}
    assert sorted(f["name"] for f in links) == sorted(spec.name for spec in link.files)
    for spec in link.files:
        path = _on_disk(stack, "Demo.Archive", spec.name)
        assert file_sha256(path) == expected_sha256(spec), path


def test_an_archive_link_goes_through_a_cloud_job_and_is_unpacked(
    stack: OffcloudPyloadStack,
) -> None:
    # Live (L4): no instant route, so there is no archive to hand over as one file; Offcloud's
    # cloud job unpacks it, whatever `archives` says (here the default, keep).
    assert stack.process.get_config_value("OffcloudCom", "archives", plugin=True) == "keep"
    start = len(stack.simulator.calls)
    stack.process.add_package("archive-live", [ARCHIVE_LINK])
    links = _wait_finished(stack, "Demo.Archive", 3)
    _assert_archive_expanded(stack, "archive-live", links)
    api = [c for c in stack.simulator.calls[start:] if c.kind == "api"]
    adds = [c for c in api if c.method == "POST" and c.path == "/api/cloud"]
    assert len(adds) == 1
    assert not [c for c in api if "instant" in c.path]
    assert len([c for c in api if c.path == f"/api/cloud/explore/{adds[0].request_id}"]) == 1
    assert "Offcloud unpacked the archive Demo.Archive.zip in the cloud" in (
        stack.process.log_text()
    )


# `archives = keep` (one file) only means something where instant exists: instant hands an
# archive over as it is. The plugins call instant only on an account whose API generation is
# legacy (on `rich` the account is a 2026 one, instant_available() is False and instant is never
# asked), so these two run on the `legacy` profile.
@pytest.fixture(scope="module")
def legacy_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OffcloudPyloadStack]:
    home = tmp_path_factory.mktemp("torrents-legacy")
    scenario = {"extends": "default", "api": {"profile": "legacy"}, "clock": {"speedup": 2.0}}
    with OffcloudPyloadStack(home, scenario=scenario) as running:
        yield running


def test_legacy_archive_link_downloads_as_one_file_by_default(
    legacy_stack: OffcloudPyloadStack,
) -> None:
    stack = legacy_stack
    stack.process.add_package("archive-kept", [ARCHIVE_LINK])
    links = _wait_finished(stack, "archive-kept", 1)
    archive = _archive_file()
    assert links[0]["name"] == archive.name
    path = stack.process.package_folder("archive-kept") / archive.name
    assert file_sha256(path) == expected_sha256(archive)
    instant = [c for c in stack.simulator.calls if c.kind == "api" and "instant" in c.path]
    assert len(instant) == 1, instant
    assert _cloud_adds(stack, "demoarchive1") == []


def test_legacy_archive_link_expands_into_its_files_when_asked(
    legacy_stack: OffcloudPyloadStack,
) -> None:
    stack = legacy_stack
    stack.process.set_config_value("OffcloudCom", "archives", "expand", plugin=True)
    try:
        stack.process.add_package("archive-expanded", [ARCHIVE_LINK])
        links = _wait_finished(stack, "Demo.Archive", 3)
    finally:
        stack.process.set_config_value("OffcloudCom", "archives", "keep", plugin=True)
    _assert_archive_expanded(stack, "archive-expanded", links, folders=False)
    assert len(_cloud_adds(stack, "demoarchive1")) == 1


# ---------------------------------------------------------------------------------------------
# no duplicates, no leaks


def test_no_torrent_was_submitted_twice(stack: OffcloudPyloadStack) -> None:
    for info_hash in (
        RELEASE_HASH,
        UNCACHED_HASH,
        SINGLE_HASH,
        UPLOAD_HASH,
        LATER_HASH,
        REMOTE_HASH,
        COUNTED_HASH,
    ):
        assert len(_cloud_adds(stack, info_hash)) <= 1, info_hash


def test_the_key_leaks_nowhere(stack: OffcloudPyloadStack) -> None:
    api_calls = [c for c in stack.simulator.calls if c.kind == "api"]
    assert {c.key_location for c in api_calls} == {"bearer"}
    for call in stack.simulator.calls:
        assert DEMO_API_KEY not in call.path
    process = stack.process
    assert DEMO_API_KEY not in process.log_text()
    assert DEMO_API_KEY not in json.dumps(process.queue())
    assert DEMO_API_KEY.encode() not in process.database_bytes()
