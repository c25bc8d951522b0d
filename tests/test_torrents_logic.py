"""The torrent and folder decisions that live outside pyLoad: sources, policy, filters, packages."""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from offcloud_api.magnet import build_magnet
from offcloud_api.models import CacheResult, CloudFile, Job, JobStatus
from offcloud_api.pyload.archives import (
    ArchiveMode,
    expanded_name,
    is_archive_name,
    match_refreshed_file,
)
from offcloud_api.pyload.cachebook import CacheBook
from offcloud_api.pyload.filters import FileFilter, NothingSelectedError
from offcloud_api.pyload.links import folder_request_id
from offcloud_api.pyload.packages import (
    PackagePlan,
    clean_part,
    folder_per_package,
    package_folder,
    plan_packages,
    select_and_plan,
)
from offcloud_api.pyload.storage import job_storage_key
from offcloud_api.pyload.torrents import (
    CachePolicy,
    HistoryMemo,
    SourceKind,
    Step,
    TorrentRef,
    TorrentSourceError,
    cached_files,
    decide,
    find_existing_job,
    followed_torrent,
    refusal_message,
    source_kind,
    submitted_message,
    torrent_for_link,
    torrent_from_bytes,
    torrent_from_magnet,
)
from offcloud_api.torrent import bencode

HASH = "3bb71a0a14b2292203a8d3eded8b8d3c259c0603"
OTHER = "22d58f1c7bed28975f5848e8fc883043b203a7e3"
JOB_ID = "0896d1afc0082e232c9b10a6"
BASE32_MAGNET = "magnet:?xt=urn:btih:" + base64.b32encode(bytes.fromhex(HASH)).decode()
TORRENT_DATA = bencode(
    {"info": {"name": "Demo.Upload", "length": 10, "piece length": 16, "pieces": b"\0" * 20}}
)


def cloud_file(path: str, index: int = 1) -> CloudFile:
    name = path.rpartition("/")[2]
    return CloudFile(
        name=name,
        url=f"https://de-3.offcloud.com/cloud/download/{JOB_ID}/{index}/{name}",
        path=path,
    )


def job(status: JobStatus, link: str, request_id: str = JOB_ID) -> Job:
    return Job(request_id=request_id, status=status, original_link=link)


# ---------------------------------------------------------------------------------------------
# sources


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        (f"magnet:?xt=urn:btih:{HASH}", SourceKind.MAGNET),
        ("MAGNET:?xt=urn:btih:x", SourceKind.MAGNET),
        ("file:///tmp/pyload/tmp_a.torrent", SourceKind.LOCAL_FILE),
        ("https://tracker.example/a.torrent", SourceKind.REMOTE_FILE),
        ("http://tracker.example/a.torrent", SourceKind.REMOTE_FILE),
    ],
)
def test_source_kinds(url: str, kind: SourceKind) -> None:
    assert source_kind(url) is kind


def test_other_schemes_are_no_torrent_source() -> None:
    with pytest.raises(TorrentSourceError, match="Not a magnet link"):
        source_kind("ftp://tracker.example/a.torrent")


def test_a_magnet_gives_its_hash_name_and_itself() -> None:
    magnet = build_magnet(HASH.upper(), "Demo.Release", ("udp://t.example:80",))
    torrent = torrent_from_magnet(" " + magnet + " ")
    assert torrent == TorrentRef(HASH, magnet, "Demo.Release")
    assert torrent.display_name == "Demo.Release"
    assert torrent.storage_key == job_storage_key("btih:" + HASH)


def test_a_base32_magnet_without_name_is_known_by_its_hex_hash() -> None:
    torrent = torrent_from_magnet(BASE32_MAGNET)
    assert torrent.info_hash == HASH
    assert torrent.name is None
    assert torrent.display_name == torrent.info_hash


def test_a_magnet_without_a_btih_is_refused() -> None:
    with pytest.raises(TorrentSourceError, match="no urn:btih"):
        torrent_from_magnet("magnet:?xt=urn:ed2k:abc&dn=x")


def test_a_torrent_file_becomes_its_magnet_with_trackers() -> None:
    info = {"name": "Demo.Upload", "length": 10, "piece length": 16, "pieces": b"\0" * 20}
    data = bencode({"announce": "udp://tracker.example:80", "info": info})
    torrent = torrent_from_bytes(data)
    assert torrent.info_hash == hashlib.sha1(bencode(info)).hexdigest()  # noqa: S324
    assert torrent.name == "Demo.Upload"
    assert torrent.magnet.startswith(f"magnet:?xt=urn:btih:{torrent.info_hash}&dn=Demo.Upload")
    assert "tr=udp%3A%2F%2Ftracker.example%3A80" in torrent.magnet
    # A magnet and its .torrent are remembered under the same key.
    assert torrent.storage_key == torrent_from_magnet(build_magnet(torrent.info_hash)).storage_key


@pytest.mark.parametrize("data", [b"", b"<html>404</html>", b"d4:infoi1ee"])
def test_what_is_not_a_torrent_file_is_refused_with_the_reason(data: bytes) -> None:
    with pytest.raises(TorrentSourceError, match=r"Not a valid \.torrent file: "):
        torrent_from_bytes(data)


# ---------------------------------------------------------------------------------------------
# the tempdir rule


@pytest.fixture
def tempdir(tmp_path: Path) -> Path:
    folder = tmp_path / "pyload tmp"
    folder.mkdir()
    return folder


def file_url(path: Path) -> str:
    return path.as_uri()


def no_fetch(url: str) -> Any:
    raise AssertionError(f"{url} was fetched")


def test_a_torrent_in_pyloads_tempdir_is_read(tempdir: Path) -> None:
    upload = tempdir / "tmp_Demo Upload.torrent"
    upload.write_bytes(TORRENT_DATA)
    torrent = torrent_for_link(file_url(upload), str(tempdir), no_fetch)
    assert torrent == torrent_from_bytes(TORRENT_DATA)
    assert torrent.name == "Demo.Upload"


def test_an_unreadable_upload_says_why(tempdir: Path) -> None:
    gone = tempdir / "tmp_Gone.torrent"
    with pytest.raises(
        TorrentSourceError, match=r"^The uploaded \.torrent file cannot be read: No such file"
    ):
        torrent_for_link(file_url(gone), str(tempdir), no_fetch)


def test_a_magnet_is_read_from_the_link_itself(tempdir: Path) -> None:
    magnet = f"magnet:?xt=urn:btih:{HASH}&dn=Demo"
    assert torrent_for_link(magnet, str(tempdir), no_fetch) == torrent_from_magnet(magnet)


@pytest.mark.parametrize("body", [TORRENT_DATA, TORRENT_DATA.decode("latin-1")])
def test_a_torrent_address_is_loaded_through_the_given_fetch(tempdir: Path, body: Any) -> None:
    asked: list[str] = []

    def fetch(url: str) -> tuple[int, Any]:
        asked.append(url)
        return 200, body

    url = "https://tracker.example/get/Demo.torrent"
    assert torrent_for_link(url, str(tempdir), fetch) == torrent_from_bytes(TORRENT_DATA)
    assert asked == [url]


@pytest.mark.parametrize(("status", "body"), [(404, None), (403, b"<html>no</html>"), (500, b"")])
def test_a_torrent_address_that_refuses_names_the_status(
    tempdir: Path, status: int, body: Any
) -> None:
    with pytest.raises(
        TorrentSourceError, match=rf"^The \.torrent address answered HTTP {status}$"
    ):
        torrent_for_link("https://t.example/a.torrent", str(tempdir), lambda url: (status, body))


@pytest.mark.parametrize(
    "where",
    [
        lambda tempdir: tempdir.parent / "secret.torrent",
        lambda tempdir: tempdir / ".." / "secret.torrent",
        lambda tempdir: Path("/etc/passwd.torrent"),
        lambda tempdir: tempdir,
    ],
    ids=["beside", "dot-dot", "elsewhere", "the-tempdir-itself"],
)
def test_a_torrent_outside_the_tempdir_is_an_illegal_url(tempdir: Path, where: Any) -> None:
    path = where(tempdir)
    url = "file://" + str(path).replace(" ", "%20")
    with pytest.raises(TorrentSourceError, match=r"^Illegal URL: .*temp folder"):
        torrent_for_link(url, str(tempdir), no_fetch)


def test_a_symlink_out_of_the_tempdir_is_refused(tempdir: Path) -> None:
    secret = tempdir.parent / "secret.torrent"
    secret.write_bytes(b"x")
    link = tempdir / "tmp_link.torrent"
    link.symlink_to(secret)
    with pytest.raises(TorrentSourceError, match="Illegal URL"):
        torrent_for_link(file_url(link), str(tempdir), no_fetch)


# ---------------------------------------------------------------------------------------------
# the cache policy


@pytest.mark.parametrize(
    ("policy", "ready", "step"),
    [
        (CachePolicy.ALL, True, Step.FETCH),
        (CachePolicy.ALL, False, Step.FETCH),
        (CachePolicy.ONLY_CACHED, True, Step.FETCH),
        (CachePolicy.ONLY_CACHED, False, Step.REFUSE),
        (CachePolicy.UNCACHED_TO_CLOUD, True, Step.FETCH),
        (CachePolicy.UNCACHED_TO_CLOUD, False, Step.SUBMIT_ONLY),
    ],
)
def test_the_policy_table(policy: CachePolicy, ready: bool, step: Step) -> None:
    assert decide(policy, ready=ready) is step


@pytest.mark.parametrize(
    ("value", "policy"),
    [
        ("all", CachePolicy.ALL),
        (" Only_Cached ", CachePolicy.ONLY_CACHED),
        ("uncached_to_cloud", CachePolicy.UNCACHED_TO_CLOUD),
        ("bogus", CachePolicy.ALL),
        (None, CachePolicy.ALL),
    ],
)
def test_policy_option_values(value: Any, policy: CachePolicy) -> None:
    assert CachePolicy.parse(value) is policy


def test_messages_name_the_torrent_the_job_and_what_to_do() -> None:
    torrent = TorrentRef(HASH, build_magnet(HASH), "Demo.Uncached")
    refused = refusal_message(torrent, None)
    assert "Offcloud does not have Demo.Uncached cached" in refused
    assert "Nothing was added to Offcloud" in refused
    assert "cache_policy" in refused
    running = Job(request_id=JOB_ID, status=JobStatus.DOWNLOADING, progress=0.4)
    assert f"job {JOB_ID}, downloading 40 %" in refusal_message(torrent, running)
    submitted = submitted_message(torrent, running)
    assert "Demo.Uncached is not cached" in submitted
    assert f"job {JOB_ID}" in submitted
    assert "restart this link later" in submitted


# ---------------------------------------------------------------------------------------------
# existing jobs


def test_the_history_match_prefers_a_live_job_over_a_failed_one() -> None:
    history = [
        job(JobStatus.ERROR, build_magnet(HASH), "a" * 24),
        job(JobStatus.DOWNLOADED, "https://rapidgator.net/file/x", "b" * 24),
        job(JobStatus.DOWNLOADING, build_magnet(HASH, "Demo"), "c" * 24),
        job(JobStatus.DOWNLOADED, build_magnet(HASH), "d" * 24),
    ]
    found = find_existing_job(history, HASH.upper())
    assert found is not None
    assert found.request_id == "c" * 24


def test_a_failed_job_is_found_when_nothing_better_exists() -> None:
    history = [
        job(JobStatus.DOWNLOADED, build_magnet(OTHER), "b" * 24),
        job(JobStatus.CANCELED, build_magnet(HASH), "a" * 24),
    ]
    found = find_existing_job(history, HASH)
    assert found is not None
    assert found.request_id == "a" * 24


def test_history_matches_base32_magnets_and_links_carrying_the_hash() -> None:
    assert find_existing_job([job(JobStatus.DOWNLOADED, BASE32_MAGNET)], HASH) is not None
    link = f"https://tracker.example/{HASH.upper()}.torrent"
    assert find_existing_job([job(JobStatus.DOWNLOADED, link)], HASH) is not None
    assert find_existing_job([job(JobStatus.DOWNLOADED, build_magnet(OTHER))], HASH) is None
    assert find_existing_job([Job(request_id=JOB_ID, status=JobStatus.DOWNLOADED)], HASH) is None


class _Api:
    """Just enough of OffcloudAPI for the memo: a key and a counted history."""

    def __init__(self, key: str, delay: float = 0.0) -> None:
        self.api_key = key
        self.delay = delay
        self.fetches = 0

    def get_history(self) -> list[Job]:
        self.fetches += 1
        time.sleep(self.delay)
        return [job(JobStatus.DOWNLOADED, build_magnet(HASH))]


def test_the_history_memo_asks_once_per_account_until_it_expires() -> None:
    now = [0.0]
    memo = HistoryMemo(ttl=30, clock=lambda: now[0])
    first, second = _Api("key-one"), _Api("key-two")
    assert memo.history(first) == memo.history(first)  # type: ignore[arg-type]
    assert first.fetches == 1
    memo.history(second)  # type: ignore[arg-type]
    assert second.fetches == 1
    now[0] = 31.0
    memo.history(first)  # type: ignore[arg-type]
    assert first.fetches == 2


def test_the_history_memo_fetches_once_for_threads_asking_together() -> None:
    memo = HistoryMemo(ttl=30)
    api = _Api("key", delay=0.2)
    threads = [
        threading.Thread(target=memo.history, args=(api,))  # type: ignore[arg-type]
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert api.fetches == 1


# ---------------------------------------------------------------------------------------------
# filters


RELEASE = [
    cloud_file("Demo.Release/Sub/ep1.mkv", 1),
    cloud_file("Demo.Release/Sub/ep2.MKV", 2),
    cloud_file("Demo.Release/Sample/sample.mkv", 3),
    cloud_file("Demo.Release/info.nfo", 4),
]


@pytest.mark.parametrize(
    ("include", "exclude", "kept"),
    [
        ("", "", ["ep1.mkv", "ep2.MKV", "sample.mkv", "info.nfo"]),
        ("*.mkv", "", ["ep1.mkv", "ep2.MKV", "sample.mkv"]),
        ("*.mkv", "sample*", ["ep1.mkv", "ep2.MKV"]),
        ("*.mkv; *.nfo", "*/Sample/*", ["ep1.mkv", "ep2.MKV", "info.nfo"]),
        ("Demo.Release/Sub/*", "", ["ep1.mkv", "ep2.MKV"]),
        ("", " *.nfo , ", ["ep1.mkv", "ep2.MKV", "sample.mkv"]),
        ("*.iso", "", []),
    ],
)
def test_include_and_exclude_globs(include: str, exclude: str, kept: list[str]) -> None:
    selected = FileFilter.parse(include, exclude).select(RELEASE)
    assert [f.name for f in selected] == kept


def test_the_selected_files_are_planned_into_packages() -> None:
    plans = select_and_plan("Demo.Release", RELEASE, FileFilter.parse("*.mkv", "sample*"))
    assert plans == [
        PackagePlan("Demo.Release/Sub", (RELEASE[0].url, RELEASE[1].url), "Demo.Release/Sub")
    ]


def test_filters_that_leave_nothing_say_so() -> None:
    wanted = FileFilter.parse("*.iso", "")
    with pytest.raises(NothingSelectedError) as caught:
        select_and_plan("Demo.Release", RELEASE, wanted)
    assert str(caught.value) == (
        "The file filters (include *.iso) left none of the 4 files of Demo.Release"
    )
    assert FileFilter.parse("a", "b").describe() == "include a; exclude b"
    assert FileFilter().describe() == "no filters"


# ---------------------------------------------------------------------------------------------
# packages


def test_a_package_per_folder_the_job_top_folder_named_after_the_torrent() -> None:
    plans = plan_packages("Demo.Release", RELEASE)
    assert plans == [
        PackagePlan("Demo.Release", (RELEASE[3].url,), "Demo.Release"),
        PackagePlan("Demo.Release/Sub", (RELEASE[0].url, RELEASE[1].url), "Demo.Release/Sub"),
        PackagePlan("Demo.Release/Sample", (RELEASE[2].url,), "Demo.Release/Sample"),
    ]
    assert plans[1].as_tuple() == (
        "Demo.Release/Sub",
        [RELEASE[0].url, RELEASE[1].url],
        "Demo.Release/Sub",
    )


def test_the_package_name_replaces_the_jobs_top_folder() -> None:
    files = [cloud_file("Some.Other.Top/a.bin", 1), cloud_file("Some.Other.Top/b/c.bin", 2)]
    plans = plan_packages("Demo.Name", files)
    assert [(p.name, p.folder) for p in plans] == [
        ("Demo.Name", "Demo.Name"),
        ("Demo.Name/b", "Demo.Name/b"),
    ]


@pytest.mark.parametrize(
    "files",
    [
        [cloud_file("Demo.Single.mkv")],  # a single-file job
        [cloud_file("a.bin", 1), cloud_file("b.bin", 2)],  # a legacy explore: names only
    ],
)
def test_files_without_folders_make_one_package(files: list[CloudFile]) -> None:
    plans = plan_packages("Demo.Single", files)
    assert plans == [PackagePlan("Demo.Single", tuple(f.url for f in files), "Demo.Single")]


def test_files_without_a_common_top_folder_keep_their_first_folder() -> None:
    files = [cloud_file("x/a.bin", 1), cloud_file("y/b.bin", 2), cloud_file("c.bin", 3)]
    plans = plan_packages("Mixed", files)
    assert [p.folder for p in plans] == ["Mixed", "Mixed/x", "Mixed/y"]


def test_folder_names_lose_what_pyload_would_not_keep() -> None:
    files = [
        cloud_file("Top/../a.bin", 1),
        cloud_file('Top/we:ird<>"|?*/b.bin', 2),
        cloud_file("Top/./c.bin", 3),
    ]
    plans = plan_packages('Bad:"Name', files)
    assert [p.folder for p in plans] == ["BadName", "BadName/weird"]
    assert clean_part("..") == ""
    assert clean_part(" . ") == ""
    assert clean_part("a/b") == "ab"


@pytest.mark.parametrize(
    ("per_package", "source", "folder", "expected"),
    [
        (True, "src", "Demo.Release/Sub", "Demo.Release/Sub"),
        (False, "src", "Demo.Release/Sub", "src/Sub"),
        (False, "src", "Demo.Release", "src"),
        (False, "", "Demo.Release/Sub/Deep", "Sub/Deep"),
        (False, "", "Demo.Release", ""),
    ],
)
def test_without_folder_per_package_the_top_folder_goes(
    per_package: bool, source: str, folder: str, expected: str
) -> None:
    assert package_folder(folder, per_package=per_package, source_folder=source) == expected


@pytest.mark.parametrize(
    ("choice", "core", "expected"),
    [("Default", True, True), ("Default", False, False), ("Yes", False, True), ("No", True, False)],
)
def test_folder_per_package_choice(choice: str, core: bool, expected: bool) -> None:
    assert folder_per_package(choice, core) is expected


# ---------------------------------------------------------------------------------------------
# archives, folder links, expired links


@pytest.mark.parametrize(
    ("name", "archive"),
    [
        ("Demo.Archive.zip", True),
        ("x.RAR", True),
        ("x.part1.rar", True),
        ("x.7z", True),
        ("x.tar.gz", True),
        ("x.tgz", True),
        ("x.tar", True),
        ("movie.mkv", False),
        ("zip", False),
        ("x.zip.mkv", False),
        ("", False),
        (None, False),
    ],
)
def test_archive_names(name: Any, archive: bool) -> None:
    assert is_archive_name(name) is archive


def test_an_expanded_archive_is_named_without_its_extension() -> None:
    assert expanded_name("Demo.Archive.zip") == "Demo.Archive"
    assert expanded_name("x.tar.gz") == "x"
    assert expanded_name("Demo.Folder") == "Demo.Folder"
    assert expanded_name(".zip") == ".zip"


def test_archive_mode_option() -> None:
    assert ArchiveMode.parse("expand") is ArchiveMode.EXPAND
    assert ArchiveMode.parse("keep") is ArchiveMode.KEEP
    assert ArchiveMode.parse("nonsense") is ArchiveMode.KEEP


@pytest.mark.parametrize(
    ("url", "request_id"),
    [
        (f"https://de-3.offcloud.com/cloud/download/{JOB_ID}", JOB_ID),
        (f"https://de-3.offcloud.com/cloud/download/{JOB_ID}/", JOB_ID),
        (f"https://offcloud.com/cloud/download/{JOB_ID}?x=1", JOB_ID),
        (f"https://de-3.offcloud.com/cloud/download/{JOB_ID}/1/a.bin", None),
        (f"https://evil.example/cloud/download/{JOB_ID}", None),
    ],
)
def test_folder_link_request_ids(url: str, request_id: Any) -> None:
    assert folder_request_id(url) == request_id


def test_an_expired_link_finds_its_file_by_index_and_name() -> None:
    fresh = [cloud_file("R/a.bin", 1), cloud_file("R/x/a.bin", 2), cloud_file("R/b.bin", 3)]
    old = f"https://fr-1.offcloud.com/cloud/download/{JOB_ID}/2/a.bin?expires=1"
    assert match_refreshed_file(old, fresh) == fresh[1]
    # Without an index the name decides, if only one file has it.
    by_name = f"https://fr-1.offcloud.com/cloud/download/{JOB_ID}/b.bin"
    assert match_refreshed_file(by_name, fresh) == fresh[2]
    ambiguous = f"https://fr-1.offcloud.com/cloud/download/{JOB_ID}/a.bin"
    assert match_refreshed_file(ambiguous, fresh) is None
    gone = f"https://fr-1.offcloud.com/cloud/download/{JOB_ID}/9/c.bin"
    assert match_refreshed_file(gone, fresh) is None
    assert match_refreshed_file("https://example.com/a.bin", fresh) is None


# ---------------------------------------------------------------------------------------------
# selection by size and kind (issue 13)


def sized(path: str, size: int | None) -> CloudFile:
    name = path.rpartition("/")[2]
    return CloudFile(name=name, url=f"https://cdn.test/{name}", path=path, size=size)


SIZED = [
    sized("Show/ep1.mkv", 700 * 10**6),
    sized("Show/ep2.mp4", 1_400 * 10**6),
    sized("Show/sample.mkv", 20 * 10**6),
    sized("Show/info.nfo", 2_000),
    sized("Show/cover.jpg", 80 * 10**6),
]


def _names(files: list[CloudFile]) -> list[str]:
    return [file.name for file in files]


def test_video_only_keeps_video_files_by_extension() -> None:
    assert _names(FileFilter(video_only=True).select(SIZED)) == ["ep1.mkv", "ep2.mp4", "sample.mkv"]


def test_min_size_drops_smaller_files_and_keeps_unknown_sizes() -> None:
    wanted = FileFilter(min_size=50 * 10**6)
    assert _names(wanted.select(SIZED)) == ["ep1.mkv", "ep2.mp4", "cover.jpg"]
    # Offcloud's bare explore list has no sizes: nothing to compare, the file stays.
    assert _names(wanted.select([sized("Show/x.mkv", None)])) == ["x.mkv"]


def test_largest_only_keeps_the_largest_after_the_other_rules() -> None:
    assert _names(FileFilter(largest_only=True).select(SIZED)) == ["ep2.mp4"]
    video_no_mp4 = FileFilter(exclude=("*.mp4",), video_only=True, largest_only=True)
    assert _names(video_no_mp4.select(SIZED)) == ["ep1.mkv"]
    unknown = [sized("a.mkv", None), sized("b.mkv", 5)]
    assert _names(FileFilter(largest_only=True).select(unknown)) == ["a.mkv", "b.mkv"]


def test_the_options_are_read_from_pyloads_config() -> None:
    options = {"include": "*.mkv, *.mp4", "min_size": "100 MB", "largest_only": True}
    wanted = FileFilter.from_config(lambda name, default=None: options.get(name, default))
    assert wanted == FileFilter(include=("*.mkv", "*.mp4"), min_size=100 * 10**6, largest_only=True)
    assert wanted.describe() == "include *.mkv, *.mp4; at least 95.4 MiB; the largest file only"
    assert _names(wanted.select(SIZED)) == ["ep2.mp4"]
    bare = FileFilter.from_config(lambda name, default=None: {"min_size": "50"}.get(name, default))
    assert bare.min_size == 50 * 10**6  # a bare number is MB
    with pytest.raises(ValueError, match="min_size: 'lots' is not a size"):
        FileFilter.from_config(lambda name, default=None: {"min_size": "lots"}.get(name, default))


def test_size_filters_that_leave_nothing_say_which() -> None:
    with pytest.raises(NothingSelectedError, match=r"video files only; at least 2\.8 GiB"):
        select_and_plan("Show", SIZED, FileFilter(min_size=3 * 10**9, video_only=True))


# ---------------------------------------------------------------------------------------------
# the decrypter's cache shortcut and hand-over


class FakeRoute:
    def __init__(self, files: Any) -> None:
        self.asked: list[str] = []
        self._files = files

    def files(self, api: Any, magnet: str) -> Any:
        self.asked.append(magnet)
        return self._files


def test_a_magnet_the_book_knows_cached_gets_its_files_without_a_job() -> None:
    torrent = torrent_from_magnet(f"magnet:?xt=urn:btih:{HASH}&dn=Demo")
    book = CacheBook()
    book.remember([CacheResult(query=torrent.magnet, info_hash=HASH, cached=True)])
    files = [cloud_file("Demo/a.mkv")]
    route = FakeRoute(files)
    found = cached_files("api", {}.get, torrent, book=book, route=route)  # type: ignore[arg-type]
    assert found == files
    assert route.asked == [torrent.magnet]


@pytest.mark.parametrize("case", ["stored", "uncached", "unknown"])
def test_otherwise_the_magnet_goes_the_job_way(case: str) -> None:
    torrent = torrent_from_magnet(f"magnet:?xt=urn:btih:{HASH}&dn=Demo")
    book = CacheBook()
    if case != "unknown":
        book.remember([CacheResult(query=torrent.magnet, info_hash=HASH, cached=case == "stored")])
    stored = {torrent.storage_key: JOB_ID} if case == "stored" else {}
    route = FakeRoute([cloud_file("Demo/a.mkv")])
    assert cached_files("api", stored.get, torrent, book=book, route=route) is None  # type: ignore[arg-type]
    assert route.asked == []


def test_the_followed_torrent_counts_against_the_cap_and_carries_its_magnet() -> None:
    torrent = torrent_from_magnet(f"magnet:?xt=urn:btih:{HASH}&dn=Demo")
    waiting = followed_torrent(torrent, link_id=7, plugin="OffcloudComTorrent", deadline=99.0)
    assert (waiting.link_id, waiting.plugin, waiting.storage_key) == (
        7,
        "OffcloudComTorrent",
        torrent.storage_key,
    )
    assert (waiting.name, waiting.magnet, waiting.capped, waiting.deadline) == (
        "Demo",
        torrent.magnet,
        True,
        99.0,
    )
    assert (waiting.request_id, waiting.text) == (None, "")
    running = job(JobStatus.DOWNLOADING, torrent.magnet)
    followed = followed_torrent(torrent, link_id=7, plugin="OffcloudComTorrent", job=running)
    assert followed.request_id == JOB_ID
    assert followed.text
    assert followed.deadline == 0.0
