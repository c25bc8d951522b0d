"""The bridge's records, paths and state mapping (qbit_torrents) and its file clean-up
(qbit_files)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fakes import FakePyloadDb

from offcloud_api.pyload.cleanup import Link
from offcloud_api.pyload.qbit_files import (
    files_to_delete,
    job_may_go,
    pyload_packages,
    remove_files,
)
from offcloud_api.pyload.qbit_torrents import (
    ETA_UNKNOWN,
    ArrStore,
    CategoryError,
    LinkView,
    PackageView,
    TorrentRecord,
    category_folder,
    inside,
    matches_filter,
    torrent_files,
    torrent_info,
    torrent_view,
    valid_category,
)
from offcloud_api.pyload.storage import PluginStore

HASH = "3bb71a0a14b2292203a8d3eded8b8d3c259c0603"
MAGNET = f"magnet:?xt=urn:btih:{HASH}&dn=Rel"


def _record(**changes: Any) -> TorrentRecord:
    values: dict[str, Any] = {
        "info_hash": HASH,
        "name": "Rel",
        "category": "tv",
        "folder": "tv",
        "link": MAGNET,
        "added_on": 100,
        "pids": [1],
    }
    values.update(changes)
    return TorrentRecord(**values)


def _source(status: int, text: str = "", error: str = "") -> dict[int, PackageView]:
    return {
        1: PackageView(1, "Rel", "tv/Rel", (LinkView(10, MAGNET, "Rel", 0, status, text, error),))
    }


def _files(*links: LinkView, folder: str = "Rel") -> dict[int, PackageView]:
    return {2: PackageView(2, "Rel", folder, links)}


def _file(n: int, status: int, size: int = 100, **more: Any) -> LinkView:
    return LinkView(20 + n, f"https://cdn.example/{n}", f"f{n}.mkv", size, status, **more)


# ---------------------------------------------------------------------------------------------
# records


def test_records_round_trip_through_pyloads_storage() -> None:
    db = FakePyloadDb()
    store = ArrStore(PluginStore(db, "OffcloudComArr"))
    record = _record(tags=["a"], size=5, stopped=True, completion_on=7)
    store.save(record)
    store.save_category("tv", "tv")
    assert store.torrents() == [record]
    assert store.categories() == {"tv": "tv"}
    assert set(db.rows["OffcloudComArr"]) == {f"arr:t:{HASH}", "arr:c:tv"}
    store.drop(HASH)
    store.drop_category("tv")
    assert store.torrents() == []
    assert store.categories() == {}


@pytest.mark.parametrize(
    "value",
    [
        None,
        "text",
        {"info_hash": "not-a-hash"},
        {"name": "no hash"},
        {"info_hash": HASH, "pids": ["x"]},
    ],
)
def test_broken_records_are_skipped(value: Any) -> None:
    assert TorrentRecord.from_stored(value) is None


def test_a_minimal_record_reads_with_defaults() -> None:
    record = TorrentRecord.from_stored({"info_hash": HASH.upper()})
    assert record is not None
    assert (record.info_hash, record.name, record.pids, record.stopped) == (HASH, HASH, [], False)


# ---------------------------------------------------------------------------------------------
# categories and paths


@pytest.mark.parametrize("name", ["tv", "tv/anime", "films-4k", "Sonarr TV"])
def test_valid_categories(name: str) -> None:
    assert valid_category(name) == name


@pytest.mark.parametrize(
    "name", ["", " tv", "tv/", "/tv", "a//b", ".", "a/./b", "..", "a\\b", "a:b", "x" * 201]
)
def test_invalid_categories(name: str) -> None:
    with pytest.raises(CategoryError):
        valid_category(name)


def test_category_folders(tmp_path: Path) -> None:
    root = str(tmp_path)
    assert category_folder(root, "tv") == "tv"
    assert category_folder(root, "tv", "series") == "series"
    assert category_folder(root, "tv", str(tmp_path / "a" / "b")) == "a/b"
    assert category_folder(root, "tv", str(tmp_path)) == ""
    for bad in ("/etc", "../x", "a/../../x", "bad\x00"):
        with pytest.raises(CategoryError):
            category_folder(root, "tv", bad)


def test_symlinks_are_followed_before_the_check(tmp_path: Path) -> None:
    root = tmp_path / "downloads"
    (root / "real").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (root / "inner").symlink_to(root / "real", target_is_directory=True)
    (root / "escape").symlink_to(tmp_path / "outside", target_is_directory=True)
    assert inside(str(root), str(root / "inner" / "x"))
    assert not inside(str(root), str(root / "escape" / "x"))
    assert not inside(str(root), str(tmp_path / "downloads-other"))
    with pytest.raises(CategoryError):
        category_folder(str(root), "escape")


# ---------------------------------------------------------------------------------------------
# states


@pytest.mark.parametrize(
    ("status", "text", "state"),
    [
        (3, "queued", "metaDL"),
        (10, "decrypting", "metaDL"),
        (13, "Offcloud job 12ab (followed in the background)", "metaDL"),
        (13, "Offcloud downloading, 40 %, 2 min left (followed in the background)", "downloading"),
        (13, "Waiting for a free Offcloud slot (2 of 2 jobs running)", "stalledDL"),
        (13, "Offcloud cloud storage is full: free space at offcloud.com", "stalledDL"),
        (5, "waiting", "stalledDL"),
        (13, "Offcloud refuses this IP: ...", "stalledDL"),
        (9, "aborted", "pausedDL"),
        (8, "failed", "error"),
        (1, "offline", "error"),
    ],
)
def test_source_link_states(status: int, text: str, state: str) -> None:
    view = torrent_view(_record(), _source(status, text, "the reason" if status == 8 else ""))
    assert view.state == state
    assert view.progress == 0.0
    if state == "error" and status == 8:
        assert view.message == "the reason"


def test_a_wait_says_the_plugins_reason() -> None:
    full = "Your Offcloud cloud storage is full: free space at https://offcloud.com/#/cloud"
    view = torrent_view(_record(), _source(5, "waiting", full))
    assert (view.state, view.message) == ("stalledDL", full)
    view = torrent_view(_record(pids=[2]), _files(_file(0, 0), _file(1, 5, text="waiting")))
    assert (view.state, view.message) == ("stalledDL", "Waiting")


def test_the_bridges_own_states_come_first() -> None:
    assert torrent_view(_record(error="refused"), {}).state == "error"
    checking = torrent_view(_record(checking=True, pids=[]), {})
    assert (checking.state, checking.gone) == ("metaDL", False)
    assert torrent_view(_record(stopped=True), _source(3)).state == "pausedDL"
    assert torrent_view(_record(), {}).gone


@pytest.mark.parametrize(
    ("statuses", "state"),
    [
        ((0, 0), "pausedUP"),
        ((0, 4), "pausedUP"),  # skipped: pyLoad had the file already
        ((0, 12), "downloading"),
        ((3, 3), "downloading"),
        ((0, 5), "stalledDL"),
        ((12, 5), "downloading"),
        ((0, 8), "error"),
        ((0, 9), "pausedDL"),
        ((12, 9), "downloading"),
    ],
)
def test_file_link_states(statuses: tuple[int, int], state: str) -> None:
    record = _record(pids=[2])
    links = [_file(n, s, error="Download failed" if s == 8 else "") for n, s in enumerate(statuses)]
    view = torrent_view(record, _files(*links))
    assert view.state == state
    if state == "error":
        assert "Download failed" in view.message


def test_stopped_with_files_pending_is_paused_and_done_is_done() -> None:
    assert torrent_view(_record(pids=[2], stopped=True), _files(_file(0, 3))).state == "pausedDL"
    assert torrent_view(_record(pids=[2], stopped=True), _files(_file(0, 0))).state == "pausedUP"
    assert torrent_view(_record(pids=[], stopped=True, checking=False, error=""), {}).gone


def test_progress_eta_and_sizes() -> None:
    record = _record(pids=[2], size=999)
    view = torrent_view(record, _files(_file(0, 0, 300), _file(1, 12, 700, speed=70, arrived=140)))
    assert (view.size, view.done, view.speed) == (1000, 440, 70)
    info = torrent_info(view, "/dl", now=200)
    assert info["progress"] == 0.44
    assert info["eta"] == 8
    assert info["amount_left"] == 560
    assert info["time_active"] == 100
    waiting = torrent_view(record, _files(_file(0, 3, 0), _file(1, 0, 0)))
    assert waiting.size == 999  # from the .torrent while pyLoad has no sizes
    assert waiting.progress == 0.5  # by files, then
    assert torrent_info(waiting, "/dl", 0)["eta"] == ETA_UNKNOWN
    nothing = torrent_view(_record(pids=[2]), _files(_file(0, 3, 0)))
    assert nothing.progress == 0.0


def test_content_paths() -> None:
    record = _record(pids=[2, 3])
    packages = {
        2: PackageView(2, "Rel", "Rel", (_file(0, 0),)),  # per-package folder: moved under tv/
        3: PackageView(3, "Rel/Sub", "tv/Rel/Sub", (_file(1, 0),)),
    }
    view = torrent_view(record, packages)
    info = torrent_info(view, "/dl", 0)
    assert info["save_path"] == "/dl/tv"
    assert info["content_path"] == "/dl/tv/Rel"
    assert [f["name"] for f in torrent_files(view)] == ["Rel/f0.mkv", "Rel/Sub/f1.mkv"]
    single = torrent_view(_record(pids=[2]), _files(_file(0, 0), folder="tv/Rel"))
    assert torrent_info(single, "/dl", 0)["content_path"] == "/dl/tv/Rel/f0.mkv"
    flat = torrent_view(_record(pids=[2]), _files(_file(0, 0), _file(1, 0), folder="tv"))
    assert torrent_info(flat, "/dl", 0)["content_path"] == "/dl/tv/Rel"  # never the save path
    uncategorised = _record(category="", folder="", pids=[2])
    view = torrent_view(uncategorised, _files(_file(0, 0), _file(1, 0), folder="Rel"))
    info = torrent_info(view, "/dl", 0)
    assert (info["save_path"], info["content_path"]) == ("/dl", "/dl/Rel")
    pending = torrent_info(torrent_view(_record(name=""), _source(3)), "/dl", 0)
    assert pending["content_path"] == f"/dl/tv/{HASH}"


def test_files_progress() -> None:
    view = torrent_view(
        _record(pids=[2]),
        _files(_file(0, 0, 10), _file(1, 12, 10, arrived=5), _file(2, 3, 0)),
    )
    assert [f["progress"] for f in torrent_files(view)] == [1.0, 0.5, 0.0]
    assert [f["is_seed"] for f in torrent_files(view)] == [True, False, False]


@pytest.mark.parametrize(
    ("state", "speed", "wanted", "passes"),
    [
        ("pausedUP", 0, "completed", True),
        ("pausedUP", 0, "downloading", False),
        ("metaDL", 0, "downloading", True),
        ("stalledDL", 0, "stalled", True),
        ("stalledDL", 0, "stalled_downloading", True),
        ("stalledDL", 0, "stalled_uploading", False),
        ("error", 0, "errored", True),
        ("pausedDL", 0, "paused", True),
        ("pausedDL", 0, "stopped", True),
        ("pausedDL", 0, "resumed", False),
        ("downloading", 0, "running", True),
        ("downloading", 10, "active", True),
        ("downloading", 0, "inactive", True),
        ("downloading", 0, "seeding", False),
        ("downloading", 0, "no-such-filter", False),
        ("downloading", 0, "", True),
    ],
)
def test_filters(state: str, speed: int, wanted: str, passes: bool) -> None:
    assert matches_filter({"state": state, "dlspeed": speed}, wanted) is passes


# ---------------------------------------------------------------------------------------------
# pyLoad's queue and the files on disk


class FakeFiles:
    def __init__(self, data: dict[int, dict[int, Any]], cache: dict[int, Any]) -> None:
        self.data = data
        self.cache = cache

    def get_complete_data(self, destination: int) -> dict[int, Any]:
        return self.data.get(destination, {})


def test_pyload_packages_reads_the_queue_and_live_downloads() -> None:
    running = SimpleNamespace(
        plugin=SimpleNamespace(req=SimpleNamespace(speed=50, arrived=200)),
        get_percent=lambda: 20,
    )
    between = SimpleNamespace(plugin=None, progress=7)
    links = {
        5: {"url": "u5", "name": "a", "size": 1000, "status": 12, "statusmsg": "downloading"},
        6: {"url": "u6", "name": "b", "size": 10, "status": 12, "error": ""},
        7: {"url": "u7", "name": "c", "size": 10, "status": 13, "statusmsg": "Offcloud x"},
    }
    files = FakeFiles(
        {1: {3: {"name": "P", "folder": "tv/P", "links": links}}, 0: {4: {"name": "Q"}}},
        {5: running, 6: between, 7: running},
    )
    found = pyload_packages(files, [1, 0])
    assert set(found) == {3, 4}
    a, b, c = found[3].links
    assert (a.percent, a.speed, a.arrived) == (20, 50, 200)
    assert (b.percent, b.speed) == (7, 0)
    assert (c.speed, c.text) == (0, "Offcloud x")
    assert found[3].folder == "tv/P"
    assert found[4].links == ()


def test_a_link_handed_to_the_background_loop_is_processing_not_stopped() -> None:
    links = {
        5: {"url": "magnet:?a", "name": "a", "status": 9},
        6: {"url": "magnet:?b", "name": "b", "status": 9},
    }
    files = FakeFiles({1: {3: {"name": "P", "folder": "tv/P", "links": links}}}, {})
    a, b = pyload_packages(files, [1], followed=lambda fid: fid == 5)[3].links
    assert (a.status, b.status) == (13, 9)
    assert "background" in a.text


def _package(folder: str, *names: str) -> dict[str, Any]:
    return {"folder": folder, "links": {n: {"name": name} for n, name in enumerate(names)}}


def test_only_the_files_of_the_packages_are_deleted(tmp_path: Path) -> None:
    root = tmp_path / "dl"
    release = root / "tv" / "Rel"
    (release / "Sub").mkdir(parents=True)
    for path in (release / "a.mkv", release / "Sub" / "b.mkv", release / "Sub" / "b.mkv.chunk1"):
        path.write_bytes(b"x")
    mine = release / "user-notes.txt"  # not a link of the torrent: stays
    mine.write_text("keep")
    outside = tmp_path / "secret.txt"
    outside.write_text("keep")
    (release / "evil.mkv").symlink_to(outside)
    packages = [
        _package("tv/Rel", "a.mkv", "evil.mkv", "../../secret.txt", ""),
        _package("tv/Rel/Sub", "b.mkv", "missing.mkv"),
        _package("../..", "secret.txt"),
    ]
    doomed = files_to_delete(str(root), packages)
    assert sorted(Path(p).name for p in doomed) == ["a.mkv", "b.mkv", "b.mkv.chunk1"]
    assert remove_files(str(root), doomed, keep="tv") == 3
    assert not (release / "Sub").exists()  # emptied: removed
    assert mine.read_text() == "keep"
    assert release.is_dir()  # not empty: stays
    assert outside.read_text() == "keep"
    assert (release / "evil.mkv").is_symlink()


def test_empty_folders_go_up_to_the_category(tmp_path: Path) -> None:
    root = tmp_path / "dl"
    deep = root / "tv" / "Rel" / "Sub"
    deep.mkdir(parents=True)
    (deep / "a.mkv").write_bytes(b"x")
    doomed = files_to_delete(str(root), [_package("tv/Rel/Sub", "a.mkv")])
    assert remove_files(str(root), [*doomed, str(root / "gone.mkv")], keep="tv") == 1
    assert not (root / "tv" / "Rel").exists()
    assert (root / "tv").is_dir()
    assert root.is_dir()


def test_a_file_that_cannot_be_deleted_is_skipped(tmp_path: Path, monkeypatch: Any) -> None:
    root = tmp_path / "dl"
    (root / "tv").mkdir(parents=True)
    target = root / "tv" / "a.mkv"
    target.write_bytes(b"x")

    def refuse(self: Path, missing_ok: bool = False) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "unlink", refuse)
    assert remove_files(str(root), [str(target)], keep="tv") == 0
    assert target.exists()
    assert (root / "tv").is_dir()


def test_the_job_of_a_deleted_torrent_goes_only_when_nothing_keeps_it() -> None:
    other = Link(fid=1, url="https://cdn.example/x", status=3, job_id="job2", package_id=9)
    done = Link(fid=2, url="https://cdn.example/y", status=0, job_id="job1", package_id=9)
    assert job_may_go("job1", kept=[], links=[other, done])
    assert not job_may_go("job2", kept=[], links=[other])  # still downloaded from
    assert not job_may_go("job1", kept=[{"request_id": "job1"}, "junk"], links=[])  # cloud only
