"""What the hook addon decides as links enter pyLoad: torrent routing, cache queries, cloud only."""

from __future__ import annotations

import hashlib
import os
import threading
import tracemalloc
from pathlib import Path
from urllib.request import pathname2url

import pytest

from offcloud_api.magnet import info_hash_of
from offcloud_api.pyload import intake
from offcloud_api.pyload.intake import (
    OFFCLOUD_PLUGINS,
    CloudOnlyPlan,
    decrypter_order,
    local_torrent_path,
    offcloud_plugin_names,
    plan_cloud_only,
    submission_for,
    torrent_query,
)
from offcloud_api.pyload.storage import TORRENT_DECRYPTER
from offcloud_api.torrent import bencode

HASH = "3bb71a0a14b2292203a8d3eded8b8d3c259c0603"
MAGNET = f"magnet:?xt=urn:btih:{HASH}&dn=Demo.Release"
FILE_URL = "https://de-3.offcloud.com/cloud/download/0896d1afc0082e232c9b10a6/1/a.bin"
JOB_URL = "https://de-3.offcloud.com/cloud/download/0896d1afc0082e232c9b10a6"


INFO = {"name": "Hook.Test", "length": 1024, "piece length": 16384, "pieces": b"\x00" * 20}
TORRENT = bencode({"announce": "udp://tracker.example:80", "info": INFO})
TORRENT_HASH = hashlib.sha1(bencode(INFO)).hexdigest()  # noqa: S324 - v1 info-hashes are SHA-1


def file_url(path: Path) -> str:
    return "file://" + pathname2url(str(path))  # as pyLoad's TORRENT container writes it


def test_our_decrypter_moves_first_or_back_to_the_end() -> None:
    names = ["AlldebridComTorrent", "MegaNzFolder", TORRENT_DECRYPTER, "Other"]
    assert decrypter_order(names, TORRENT_DECRYPTER, first=True) == [
        TORRENT_DECRYPTER,
        "AlldebridComTorrent",
        "MegaNzFolder",
        "Other",
    ]
    assert decrypter_order(names, TORRENT_DECRYPTER, first=False) == [
        "AlldebridComTorrent",
        "MegaNzFolder",
        "Other",
        TORRENT_DECRYPTER,
    ]
    assert decrypter_order(["A", "B"], TORRENT_DECRYPTER, first=True) == ["A", "B"]


def test_hoster_plugins_the_account_overrode_count_as_offcloud() -> None:
    index = {
        "RapidgatorNet": {"pattern": "x", "new_name": "OffcloudCom", "new_module": object()},
        "MegaCoNz": {"pattern": "y"},
        "UploadedTo": {"new_name": "AlldebridCom"},
        "Broken": None,
    }
    assert offcloud_plugin_names(index) == set(OFFCLOUD_PLUGINS) | {"RapidgatorNet"}


def test_torrent_files_are_read_only_inside_pyloads_temp_folder(tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    (temp / "upload").mkdir(parents=True)
    inside = temp / "tmp_Hook.Test.torrent"
    inside.write_bytes(TORRENT)
    outside = tmp_path / "secret.torrent"
    outside.write_bytes(TORRENT)
    escape = temp / ".." / "secret.torrent"
    link = temp / "link.torrent"
    link.symlink_to(outside)

    assert local_torrent_path(file_url(inside), str(temp)) == str(inside.resolve())
    assert local_torrent_path(file_url(outside), str(temp)) is None
    assert local_torrent_path("file://" + str(escape), str(temp)) is None
    assert local_torrent_path(file_url(link), str(temp)) is None  # a symlink out is out
    assert local_torrent_path(file_url(temp), str(temp)) is None
    assert local_torrent_path("https://x.test/a.torrent", str(temp)) is None
    assert local_torrent_path(file_url(inside), "") is None


def test_cache_queries_for_magnets_and_saved_torrents(tmp_path: Path) -> None:
    saved = tmp_path / "tmp_Hook.Test.torrent"
    saved.write_bytes(TORRENT)
    query = torrent_query(MAGNET, str(tmp_path))
    assert query is not None
    assert (query.info_hash, query.query) == (HASH, MAGNET)

    from_file = torrent_query(file_url(saved), str(tmp_path))
    assert from_file is not None
    assert from_file.info_hash == TORRENT_HASH
    assert info_hash_of(from_file.query) == TORRENT_HASH
    assert "tr=udp" in from_file.query  # the trackers travel with the magnet


@pytest.mark.parametrize(
    "url",
    [
        "magnet:?dn=no-hash",
        "https://x.test/a.torrent",  # fetched by the decrypter, not here
        "file:///etc/passwd.torrent",
    ],
)
def test_no_query_without_a_hash_or_for_files_elsewhere(url: str, tmp_path: Path) -> None:
    assert torrent_query(url, str(tmp_path)) is None


def test_broken_or_huge_saved_torrents_give_no_query(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "tmp_broken.torrent"
    broken.write_bytes(b"d4:infoi1ee")
    assert torrent_query(file_url(broken), str(tmp_path)) is None
    assert torrent_query(file_url(tmp_path / "missing.torrent"), str(tmp_path)) is None
    huge = tmp_path / "tmp_huge.torrent"
    huge.write_bytes(TORRENT)
    monkeypatch.setattr("offcloud_api.pyload.intake.MAX_TORRENT_BYTES", 10)
    assert torrent_query(file_url(huge), str(tmp_path)) is None


def test_what_a_cloud_job_is_made_from(tmp_path: Path) -> None:
    saved = tmp_path / "tmp_Hook.Test.torrent"
    saved.write_bytes(TORRENT)
    assert submission_for(" https://rapidgator.net/file/abc123/demo.bin ", str(tmp_path)) == (
        "https://rapidgator.net/file/abc123/demo.bin"
    )
    assert submission_for(MAGNET, str(tmp_path)) == MAGNET
    magnet = submission_for(file_url(saved), str(tmp_path))
    assert magnet is not None
    assert info_hash_of(magnet) == TORRENT_HASH
    assert submission_for(file_url(tmp_path / "missing.torrent"), str(tmp_path)) is None


def test_cloud_only_takes_what_offcloud_would_handle() -> None:
    ours = set(OFFCLOUD_PLUGINS) | {"RapidgatorNet"}
    matches = [
        ("https://rapidgator.net/file/abc123/demo.bin", "RapidgatorNet"),
        (MAGNET, TORRENT_DECRYPTER),
        ("https://example-hoster.test/file/plain.bin", "OffcloudCom"),
        (FILE_URL, "OffcloudCom"),
        (JOB_URL, "OffcloudComFolder"),
        ("https://mega.nz/file/x", "MegaCoNz"),
        ("/pyload/tmp/upload/tmp_x.torrent", "TORRENT"),
        ("https://unknown.test/x.bin", "DefaultPlugin"),
        (MAGNET, TORRENT_DECRYPTER),
        ("https://unknown.test/x.bin", "DefaultPlugin"),
    ]
    plan = plan_cloud_only(matches, ours)
    assert plan == CloudOnlyPlan(
        send=[
            "https://rapidgator.net/file/abc123/demo.bin",
            MAGNET,
            "https://example-hoster.test/file/plain.bin",
        ],
        in_cloud=[FILE_URL, JOB_URL],
        keep=[
            "https://mega.nz/file/x",
            "/pyload/tmp/upload/tmp_x.torrent",
            "https://unknown.test/x.bin",
            "https://unknown.test/x.bin",
        ],
    )
    assert plan.taken == [*plan.send, *plan.in_cloud]
    assert plan_cloud_only([], ours).taken == []


# --------------------------------------------------------------------------------------------
# Reading saved .torrent files in pyLoad's event thread (issue 14, items 5 and 6)


def _many_files(count: int) -> bytes:
    files = [{"length": 1, "path": ["d", f"f{i:06d}.bin"]} for i in range(count)]
    info = {"name": "Many", "piece length": 16384, "pieces": b"\x00" * 20, "files": files}
    return bencode({"announce": "udp://tracker.example:80", "info": info})


def test_the_event_thread_builds_no_file_list(tmp_path: Path) -> None:
    saved = tmp_path / "tmp_Many.torrent"
    data = _many_files(5_000)
    saved.write_bytes(data)
    tracemalloc.start()
    try:
        query = torrent_query(file_url(saved), str(tmp_path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert query is not None
    assert query.name == "Many"
    assert peak < 2 * len(data)  # the bytes read, and little else (the old decoder: 25 times)


def test_a_torrent_too_costly_for_the_event_thread_is_left_to_the_decrypter(
    tmp_path: Path,
) -> None:
    # 40 000 files: beyond what the event thread may walk (MAX_EVENT_TOKENS). No query: pyLoad
    # hands the link to OffcloudComTorrent, which reads it in its own thread.
    saved = tmp_path / "tmp_Many.torrent"
    saved.write_bytes(_many_files(40_000))
    assert torrent_query(file_url(saved), str(tmp_path)) is None
    magnet = submission_for(file_url(saved), str(tmp_path))  # a cloud-only worker may
    assert magnet is not None
    assert "dn=Many" in magnet
    # Size alone is no reason: 5 MB of pieces are stepped over in one go.
    big = tmp_path / "tmp_Big.torrent"
    info = dict(INFO, pieces=b"\x01" * 20 * 250_000)
    big.write_bytes(bencode({"info": info}))
    query = torrent_query(file_url(big), str(tmp_path))
    assert query is not None
    assert query.info_hash == hashlib.sha1(bencode(info)).hexdigest()  # noqa: S324


def test_a_fifo_in_the_temp_folder_does_not_block_the_event_thread(tmp_path: Path) -> None:
    fifo = tmp_path / "tmp_fifo.torrent"
    os.mkfifo(fifo)
    answers: list[object] = []
    reader = threading.Thread(
        target=lambda: answers.append(torrent_query(file_url(fifo), str(tmp_path))), daemon=True
    )
    reader.start()
    reader.join(5)
    if reader.is_alive():  # release it: a writer opens the other end and closes it
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(5)
        pytest.fail("reading a FIFO blocked the event thread")
    assert answers == [None]


@pytest.mark.parametrize(
    "url",
    [
        "file://{temp}/evil%00.torrent",
        "file://{temp}/%00",
        "file://[::1/x.torrent",  # not even a valid address
    ],
)
def test_odd_file_links_are_refused_not_raised(url: str, tmp_path: Path) -> None:
    # A NUL byte made realpath raise ValueError, which stopped the rest of a cloud-only batch.
    url = url.replace("{temp}", str(tmp_path))
    assert local_torrent_path(url, str(tmp_path)) is None
    assert torrent_query(url, str(tmp_path)) is None
    assert submission_for(url, str(tmp_path)) is None
    assert intake.own_upload_path(url, str(tmp_path)) is None


def test_only_pyloads_own_uploads_may_be_deleted(tmp_path: Path) -> None:
    # pyLoad's TORRENT container writes tmp_<name>.torrent; anything else in the temp folder
    # (a .torrent the user put there and linked) is not ours to delete after sending it.
    upload = tmp_path / "tmp_Hook.Test.torrent"
    mine = tmp_path / "mine.torrent"
    nested = tmp_path / "upload" / "tmp_x.torrent"
    nested.parent.mkdir()
    for path in (upload, mine, nested):
        path.write_bytes(TORRENT)
    assert intake.own_upload_path(file_url(upload), str(tmp_path)) == str(upload.resolve())
    assert intake.own_upload_path(file_url(nested), str(tmp_path)) == str(nested.resolve())
    assert intake.own_upload_path(file_url(mine), str(tmp_path)) is None
    assert submission_for(file_url(mine), str(tmp_path)) is not None  # still sent
    outside = tmp_path.parent / "tmp_outside.torrent"
    assert intake.own_upload_path(file_url(outside), str(tmp_path)) is None
    assert intake.own_upload_path(MAGNET, str(tmp_path)) is None


class _Manager:
    """pyLoad's plugin manager as route_torrent_decrypter sees it: a decrypter index."""

    def __init__(self, names: list[str]) -> None:
        self.plugins = {"decrypter": {name: {"name": name} for name in names}}
        self.decrypter_plugins = self.plugins["decrypter"]


def test_our_torrent_decrypter_goes_first_and_back_to_the_end() -> None:
    manager = _Manager(["BitTorrent", "OffcloudComTorrent", "Zippy"])
    before = manager.plugins["decrypter"]
    assert intake.route_torrent_decrypter(manager, first=True) is True
    assert list(manager.plugins["decrypter"]) == ["OffcloudComTorrent", "BitTorrent", "Zippy"]
    assert manager.decrypter_plugins is manager.plugins["decrypter"]
    assert list(before) == ["BitTorrent", "OffcloudComTorrent", "Zippy"]  # swapped, not edited
    assert intake.route_torrent_decrypter(manager, first=False) is True
    assert list(manager.plugins["decrypter"]) == ["BitTorrent", "Zippy", "OffcloudComTorrent"]
    unchanged = manager.plugins["decrypter"]
    assert intake.route_torrent_decrypter(manager, first=False) is True
    assert manager.plugins["decrypter"] is unchanged  # already in place: nothing swapped


def test_without_our_decrypter_nothing_is_routed() -> None:
    manager = _Manager(["BitTorrent"])
    index = manager.plugins["decrypter"]
    assert intake.route_torrent_decrypter(manager, first=True) is False
    assert manager.plugins["decrypter"] is index
    empty = _Manager([])
    empty.plugins = {}
    assert intake.route_torrent_decrypter(empty, first=True) is False
