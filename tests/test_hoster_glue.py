"""The plugin glue and the downloader's steps (offcloud_api.pyload.plugin_glue, hoster_*), on a
stand-in for pyLoad's plugin class.

The plugin classes take these mixins as their first base; here the base after them is
:class:`FakePyload`, which records what pyLoad would be asked (log lines, ``fail``, ``retry``,
``skip``). tests/test_downloader_checks.py and tests/test_downloader_drops.py drive the real
downloader class; tests/e2e run it inside pyLoad.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, Optional

import pytest
from fakes import FakePyloadDb, MemoryStore

from offcloud_api.exceptions import (
    CloudFullError,
    CloudOnlyError,
    FileOfflineError,
    NotFoundError,
    OffcloudError,
    ServerError,
    WaitTimeoutError,
)
from offcloud_api.models import CloudFile, Job, JobStatus
from offcloud_api.pyload import hoster_routes, plugin_glue
from offcloud_api.pyload.background import Followed
from offcloud_api.pyload.cloudroom import MAX_FULL_WAIT, CreatedJobs
from offcloud_api.pyload.hoster_routes import HosterSteps
from offcloud_api.pyload.hostrest import hostrest
from offcloud_api.pyload.ippause import account_key, ippause
from offcloud_api.pyload.plugin_glue import DecrypterGlue, PluginGlue
from offcloud_api.pyload.storage import FileLinks, job_storage_key

pyload_exceptions = pytest.importorskip("pyload.core.network.exceptions")

HOSTER_LINK = "https://rapidgator.net/file/abc"
CDN_LINK = "https://1-cdn2-ovh-fra.energycdn.com/cdn3sto/s1-sto/0a1b2c3d4e5f6a7b8c9d/movie.mkv"
LEGACY_LINK = "https://de-3.offcloud.com/cloud/download/682fec68087e0a20ce1e7f95/movie.mkv"


class CalledError(Exception):
    """What a stand-in pyLoad call that ends the attempt raises."""

    def __init__(self, call: str, *args: Any) -> None:
        super().__init__(call, *args)
        self.call = call
        self.values = args


class FakePackage:
    name = "Source package"
    folder = ""
    password = ""
    queue = 1


class FakeCore:
    """pyLoad's core as the glue reaches it: storage, config, API, files, accounts."""

    def __init__(self, per_package: bool = False) -> None:
        self.db = FakePyloadDb()
        self.config = SimpleNamespace(get=lambda section, option: per_package)
        self.added: list[tuple[str, list[str]]] = []
        self.folders: dict[int, str] = {}
        self.api = SimpleNamespace(add_package=self._add, set_package_data=lambda *a: None)
        self.files = SimpleNamespace(get_package=self._package, save=lambda: None)
        self.account_manager = None

    def _add(self, name: str, links: list[str], queue: int) -> int:
        self.added.append((name, links))
        return len(self.added)

    def _package(self, package_id: int) -> Any:
        core = self

        class Package:
            _folder = ""

            def sync(self) -> None:
                core.folders[package_id] = self._folder

        return Package()


class FakePyload:
    """pyLoad's plugin class behind the mixins: what they call, recorded."""

    classname = "OffcloudCom"

    def __init__(self, url: str = HOSTER_LINK, options: Optional[dict[str, Any]] = None) -> None:
        self.logged: list[tuple[str, tuple[Any, ...]]] = []
        self.options = dict(options or {})
        self.config = SimpleNamespace(get=self._option)
        self.pyload = FakeCore()
        self.db = MemoryStore()
        self.pyfile = SimpleNamespace(
            url=url, id=5, name="abc", error="", abort=False, pluginname="OffcloudCom",
            size=0, package=FakePackage,
        )  # fmt: skip
        self.account: Any = None
        self.api: Any = None
        self.link: Any = None
        self.last_download: Any = None
        self.multi_dl = True
        self.packages: list[Any] = []
        # What the downloader's init() and setup() give every attempt.
        self._from_start = self._one_connection = self._rest_shown = False
        self._drops = 0
        self._link_refreshed = self._ip_turn = False
        self._cloud_job: Optional[str] = None
        self._file_path: Optional[str] = None
        self._refusal_body = b""
        self._download_started: Optional[float] = None

    def _option(self, name: str, default: Any = None) -> Any:
        return self.options.get(name, default)

    def _(self, text: str) -> str:
        return text

    def _log(self, level: str, plugintype: str, pluginname: str, args: Any, kwargs: Any) -> None:
        self.logged.append((level, tuple(args)))

    def log_debug(self, *args: Any) -> None:
        self.logged.append(("debug", args))

    def log_info(self, *args: Any) -> None:
        self.logged.append(("info", args))

    def log_warning(self, *args: Any) -> None:
        self.logged.append(("warning", args))

    def texts(self) -> list[str]:
        return [str(arg) for _level, args in self.logged for arg in args]

    def fail(self, msg: str = "") -> None:
        raise CalledError("fail", msg)

    def skip(self, msg: str = "") -> None:
        raise CalledError("skip", msg)

    def offline(self, msg: str = "") -> None:
        raise CalledError("offline", msg)

    def abort(self, msg: str = "") -> None:
        raise CalledError("abort", msg)

    def retry(self, attempts: int = 5, wait: float = 1, msg: str = "", msgfail: str = "") -> None:
        raise CalledError("retry", attempts, wait, msg)

    def remove(self, path: Any, try_trash: bool = True) -> None:
        Path(path).unlink()


class Downloader(HosterSteps, FakePyload):
    pass


class Decrypter(DecrypterGlue, FakePyload):
    pass


class Glued(PluginGlue, FakePyload):
    pass


class FakeAccount:
    user = "me@example.com"

    def __init__(self, key: str = "KEY-123", api: Any = None) -> None:
        self.key = key
        self.api = api
        self.notices: list[Any] = []
        self.offcloud_hosts: Any = None

    def api_key(self) -> str:
        if not self.key:
            raise RuntimeError("no key")
        return self.key

    def offcloud_client(self, plugin: Any, key: str, should_abort: Any) -> Any:
        return self.api

    def offcloud_notice(self, notice: Any) -> None:
        self.notices.append(notice)


class FakeFollower:
    def __init__(self, hand_over_after: float = 300.0) -> None:
        self.settings = SimpleNamespace(hand_over_after=hand_over_after)
        self.adopted: list[Followed] = []
        self.waiting: list[Followed] = []
        self.forgotten: list[int] = []

    def adopt(self, entry: Followed) -> None:
        self.adopted.append(entry)

    def wait_for_room(self, entry: Followed) -> None:
        self.waiting.append(entry)

    def forget(self, link_id: int) -> None:
        self.forgotten.append(link_id)


class FakeApi:
    """The calls the route makes, answered from what the test sets."""

    def __init__(self, files: Optional[list[CloudFile]] = None, instant: Any = None) -> None:
        self.files = files if files is not None else [_file("movie.mkv")]
        self.instant_answer = instant
        self.calls: list[str] = []
        self.added = Job(request_id="job1", status=JobStatus.DOWNLOADED, file_name="movie.mkv")
        self.add_error: Optional[OffcloudError] = None
        self.wait_error: Optional[OffcloudError] = None
        self.explore_error: Optional[OffcloudError] = None
        self.closed = False

    def instant_available(self) -> bool:
        return self.instant_answer is not None

    def instant(self, url: str) -> Job:
        self.calls.append("instant")
        if isinstance(self.instant_answer, Exception):
            raise self.instant_answer
        return self.instant_answer  # type: ignore[no-any-return]

    def cloud(self, url: str) -> Job:
        self.calls.append("cloud")
        if self.add_error is not None:
            raise self.add_error
        return self.added

    def cloud_status(self, request_id: str) -> Job:
        self.calls.append("status")
        return Job(request_id=request_id, status=JobStatus.DOWNLOADING)

    def wait_for_download(self, request_id: str, **kwargs: Any) -> Job:
        self.calls.append("wait")
        if self.wait_error is not None:
            raise self.wait_error
        return Job(request_id=request_id, status=JobStatus.DOWNLOADED, file_name="movie.mkv")

    def explore_cloud(self, request_id: str, job: Any = None) -> list[CloudFile]:
        self.calls.append("explore")
        if self.explore_error is not None:
            raise self.explore_error
        return self.files

    def remove(self, request_id: str) -> None:
        self.calls.append(f"remove {request_id}")

    def close(self) -> None:
        self.closed = True


def _file(name: str, size: int = 100, folder: str = "Release") -> CloudFile:
    return CloudFile(
        name=name,
        url=f"https://1-cdn2-ovh-fra.energycdn.com/cdn3sto/s1-sto/sig/{folder}/{name}",
        path=f"{folder}/{name}",
        size=size,
    )


@pytest.fixture(autouse=True)
def _fresh_books() -> Any:
    """No account paused, no host resting, before and after each test (one book per process)."""
    ippause.clear()
    hostrest.clear()
    yield
    ippause.clear()
    hostrest.clear()


@pytest.fixture
def follower(monkeypatch: pytest.MonkeyPatch) -> FakeFollower:
    found = FakeFollower()
    monkeypatch.setattr(hoster_routes, "active_follower", lambda: found)
    return found


@pytest.fixture
def no_follower(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hoster_routes, "active_follower", lambda: None)


# ---------------------------------------------------------------------------------------------
# plugin_glue: what every plugin class shares


def test_log_lines_reach_pyload_with_signed_links_masked() -> None:
    plugin = Glued()
    plugin._log("debug", "downloader", "OffcloudCom", ("LOAD URL", CDN_LINK, 3), {})
    level, args = plugin.logged[0]
    assert level == "debug"
    assert args[0] == "LOAD URL"
    assert args[2] == 3
    assert args[1] != CDN_LINK
    assert "0a1b2c3d4e5f6a7b8c9d" not in args[1], "the signature must not reach the log"


def test_the_key_for_redaction_is_none_without_a_usable_account() -> None:
    plugin = Glued()
    assert plugin._api_key() is None
    plugin.account = FakeAccount()
    assert plugin._api_key() == "KEY-123"
    plugin.account = FakeAccount(key="")
    assert plugin._api_key() is None


def test_cloud_timeout_is_at_least_a_minute() -> None:
    assert Glued()._cloud_timeout() == 120 * 60
    assert Glued(options={"cloud_timeout": 0})._cloud_timeout() == 60
    assert Glued(options={"cloud_timeout": 5})._cloud_timeout() == 300


def test_files_are_filtered_planned_and_their_job_noted() -> None:
    plugin = Glued(options={"video_only": True})
    files = [_file("movie.mkv"), _file("notes.txt"), _file("extra.mp4", folder="Release/Sub")]
    packages = plugin._plan_files("Release", files, "job7")
    links = [link for _name, package_links, _folder in packages for link in package_links]
    assert sorted(links) == sorted([files[0].url, files[2].url])
    store = FileLinks(plugin.pyload.db)
    assert store.job_of(files[0].url) == "job7"
    assert store.lookup(files[2].url) == {"request_id": "job7", "path": "Release/Sub/extra.mp4"}
    assert store.job_of(files[1].url) is None, "a file left out is not noted"


def test_files_without_a_job_are_planned_but_not_noted() -> None:
    plugin = Glued()
    packages = plugin._plan_files("Release", [_file("movie.mkv")], None)
    assert [links for _name, links, _folder in packages] == [[_file("movie.mkv").url]]
    assert plugin.pyload.db.rows == {}


@pytest.mark.parametrize(
    ("options", "says"),
    [({"min_size": "lots"}, "min_size"), ({"include": "*.iso"}, "")],
)
def test_a_bad_or_empty_selection_fails_the_link(options: dict[str, Any], says: str) -> None:
    plugin = Glued(options=options)
    with pytest.raises(CalledError) as failed:
        plugin._plan_files("Release", [_file("movie.mkv")], "job7")
    assert failed.value.call == "fail"
    assert says in failed.value.values[0]
    assert failed.value.values[0]
    assert plugin.pyload.db.rows == {}, "nothing is noted for a selection that failed"


@pytest.mark.parametrize(("choice", "core_default", "folder"), [("Default", True, "Release"),
    ("No", True, ""), ("Yes", False, "Release")])  # fmt: skip
def test_the_decrypter_queues_its_packages_with_its_folder_choice(
    choice: str, core_default: bool, folder: str
) -> None:
    plugin = Decrypter(options={"folder_per_package": choice})
    plugin.pyload = FakeCore(per_package=core_default)
    plugin.packages = [("Release", [CDN_LINK], "Release")]
    plugin._create_packages()
    assert plugin.pyload.added == [("Release", [CDN_LINK])]
    assert plugin.pyload.folders == {1: folder}
    assert any("Package Release: 1 links" in text for text in plugin.texts())


def test_the_decrypter_takes_the_account_pyload_chooses() -> None:
    chosen = SimpleNamespace(choose=lambda: True)
    asked: list[str] = []
    plugin = Decrypter()
    plugin.pyload.account_manager = SimpleNamespace(
        get_account_plugin=lambda name: asked.append(name) or chosen
    )
    plugin.load_account()
    assert plugin.account is chosen
    assert asked == ["OffcloudCom"]
    plugin.pyload.account_manager = SimpleNamespace(get_account_plugin=lambda name: None)
    plugin.load_account()
    assert plugin.account is None


def test_a_full_cloud_is_told_once_and_only_to_an_account_that_listens(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    firsts = iter([True, False])
    monkeypatch.setattr(plugin_glue, "room", SimpleNamespace(first_full=lambda: next(firsts)))
    plugin = Glued()
    plugin.account = FakeAccount(key="KEY-123")
    plugin._cloud_full_notice()
    plugin._cloud_full_notice()
    assert len(plugin.account.notices) == 1
    assert "full" in plugin.account.notices[0].message
    assert "KEY-123" not in plugin.account.notices[0].message
    monkeypatch.setattr(plugin_glue, "room", SimpleNamespace(first_full=lambda: True))
    plugin.account = SimpleNamespace(user="me")  # an account without notices
    plugin._cloud_full_notice()


def test_a_hand_over_ends_the_thread_and_the_loop_follows(follower: FakeFollower) -> None:
    plugin = Glued()
    followed = Followed(link_id=5, plugin="OffcloudCom", storage_key="k", name="abc")
    with pytest.raises(pyload_exceptions.Abort):
        plugin._hand_over(follower, followed, "followed in the background")
    assert follower.adopted == [followed]
    assert ("info", ("followed in the background",)) in plugin.logged


def test_waiting_for_room_has_a_deadline(follower: FakeFollower) -> None:
    plugin = Glued()
    followed = Followed(link_id=5, plugin="OffcloudCom", storage_key="k", name="abc")
    with pytest.raises(pyload_exceptions.Abort):
        plugin._wait_for_room(follower, followed, "waits for room")
    assert follower.waiting == [followed]
    assert followed.deadline > MAX_FULL_WAIT, "an absolute time, MAX_FULL_WAIT from now"
    assert ("info", ("waits for room",)) in plugin.logged


# ---------------------------------------------------------------------------------------------
# hoster_routes: the way of a hoster link


def test_connections_follow_offcloud_s_limit_for_the_host() -> None:
    plugin = Downloader()
    assert plugin._chunk_limit() == -1, "no account: pyLoad's own setting"
    plugin.account = FakeAccount()
    assert plugin._chunk_limit() == -1, "no host list yet"
    plugin.account.offcloud_hosts = SimpleNamespace(chunk_limits={"rapidgator.net": 2})
    assert plugin._chunk_limit() == 2
    plugin.account.offcloud_hosts = SimpleNamespace(chunk_limits={"nitroflare.com": 2})
    assert plugin._chunk_limit() == -1


def test_instant_is_used_where_the_api_has_it() -> None:
    api = FakeApi(instant=Job(request_id="i", status=JobStatus.DOWNLOADED, url=CDN_LINK,
        file_name="movie.mkv", file_size=7))  # fmt: skip
    plugin = Downloader()
    plugin.account, plugin.api = FakeAccount(api=api), api
    plugin._route(plugin.pyfile)
    assert plugin.link == CDN_LINK
    assert (plugin.pyfile.name, plugin.pyfile.size) == ("movie.mkv", 7)
    assert api.calls == ["instant"]


@pytest.mark.usefixtures("no_follower")
@pytest.mark.parametrize(
    ("instant", "options", "hosts"),
    [
        (CloudOnlyError("cloud only"), {}, ()),
        (Job(request_id="i", status=JobStatus.DOWNLOADED), {}, ()),  # an answer without a link
        (Job(request_id="i", status=JobStatus.DOWNLOADED, url=CDN_LINK), {"force_cloud": True}, ()),
        (Job(request_id="i", status=JobStatus.DOWNLOADED, url=CDN_LINK), {}, ("rapidgator",)),
        (
            Job(request_id="i", status=JobStatus.DOWNLOADED, url=CDN_LINK, file_name="a.rar"),
            {"archives": "expand"},
            (),
        ),
    ],
    ids=["cloud-only", "no-link", "force-cloud", "cloud-only-host", "archive-to-expand"],
)
def test_else_a_cloud_job(instant: Any, options: dict[str, Any], hosts: tuple[str, ...]) -> None:
    api = FakeApi(instant=instant)
    plugin = Downloader(options=options)
    plugin.account, plugin.api = FakeAccount(api=api), api
    plugin.account.offcloud_hosts = SimpleNamespace(cloud_only=hosts, chunk_limits={})
    plugin._route(plugin.pyfile)
    assert api.calls[-2:] == ["cloud", "explore"]
    assert plugin.link == api.files[0].url
    assert plugin._cloud_job == "job1"
    assert plugin.db.retrieve(job_storage_key(HOSTER_LINK)) == {
        "request_id": "job1",
        "retried": False,
    }
    assert FileLinks(plugin.pyload.db).job_of(plugin.link) == "job1"
    assert "Offcloud cloud job job1" in plugin.texts()


@pytest.mark.usefixtures("no_follower")
def test_a_remembered_job_is_resumed_not_added_again() -> None:
    api = FakeApi()
    plugin = Downloader()
    plugin.account, plugin.api = FakeAccount(api=api), api
    plugin.db.store(job_storage_key(HOSTER_LINK), {"request_id": "old", "retried": False})
    plugin._route(plugin.pyfile)
    assert api.calls == ["status", "wait", "explore"]
    assert "Resuming Offcloud cloud job old" in plugin.texts()


@pytest.mark.usefixtures("no_follower")
def test_an_api_error_ends_the_attempt_as_its_outcome_says() -> None:
    api = FakeApi()
    api.add_error = FileOfflineError("File not found")
    plugin = Downloader()
    plugin.account, plugin.api = FakeAccount(api=api), api
    with pytest.raises(CalledError) as ended:
        plugin._route(plugin.pyfile)
    assert ended.value.call == "offline"
    assert plugin.pyfile.error, "the queue says why"


@pytest.mark.usefixtures("no_follower")
def test_a_job_without_files_fails_the_link() -> None:
    api = FakeApi(files=[])
    plugin = Downloader()
    plugin.account, plugin.api = FakeAccount(api=api), api
    with pytest.raises(CalledError) as ended:
        plugin._route(plugin.pyfile)
    assert ended.value.values == ("Offcloud finished the job job1 but lists no file in it",)


@pytest.mark.usefixtures("no_follower")
@pytest.mark.parametrize("archives", ["keep", "expand"])
def test_several_files_are_expanded_into_packages(archives: str) -> None:
    api = FakeApi(files=[_file("a.mkv"), _file("b.mkv")])
    api.added = Job(request_id="job1", status=JobStatus.DOWNLOADED, file_name="Release.rar")
    plugin = Downloader(options={"archives": archives})
    plugin.account, plugin.api = FakeAccount(api=api), api
    with pytest.raises(CalledError) as ended:
        plugin._route(plugin.pyfile)
    assert (ended.value.call, ended.value.values) == ("skip", ("Expanded into 2 files",))
    assert plugin.pyfile.error == "Expanded into 2 files"
    assert [links for _name, links in plugin.pyload.added] == [[f.url for f in api.files]]
    assert FileLinks(plugin.pyload.db).job_of(api.files[1].url) == "job1"
    unpacked = any("unpacked the archive Release.rar" in text for text in plugin.texts())
    assert unpacked is (archives == "keep")


def test_a_long_job_is_handed_to_the_background_loop(follower: FakeFollower) -> None:
    api = FakeApi()
    api.added = Job(request_id="job1", status=JobStatus.DOWNLOADING, amount=10, file_size=100)
    api.wait_error = WaitTimeoutError("slow", job=api.added)
    follower.settings.hand_over_after = 1
    plugin = Downloader()
    plugin.account, plugin.api = FakeAccount(api=api), api
    with pytest.raises(pyload_exceptions.Abort):
        plugin._route(plugin.pyfile)
    assert follower.forgotten == [5]
    (followed,) = follower.adopted
    assert (followed.link_id, followed.request_id, followed.plugin) == (5, "job1", "OffcloudCom")
    assert followed.storage_key == job_storage_key(HOSTER_LINK)
    assert followed.text.startswith("Offcloud downloading")
    assert any("Offcloud job job1 takes longer" in text for text in plugin.texts())


@pytest.mark.usefixtures("no_follower")
def test_without_the_loop_a_long_job_ends_the_attempt() -> None:
    api = FakeApi()
    api.added = Job(request_id="job1", status=JobStatus.DOWNLOADING)
    api.wait_error = WaitTimeoutError("slow", job=api.added)
    plugin = Downloader()
    plugin.account, plugin.api = FakeAccount(api=api), api
    with pytest.raises(CalledError):
        plugin._route(plugin.pyfile)
    assert plugin._cloud_job == "job1", "the job is kept for the next attempt"


@pytest.mark.usefixtures("no_follower")
def test_a_failed_job_offcloud_will_not_retry_is_added_again() -> None:
    from offcloud_api.exceptions import CloudJobError  # noqa: PLC0415

    api = FakeApi()
    first = Job(request_id="job1", status=JobStatus.DOWNLOADING)
    api.added = first
    waits = iter([CloudJobError("failed", job=first), None])

    def wait_for_download(request_id: str, **kwargs: Any) -> Job:
        error = next(waits)
        if error is not None:
            raise error
        return Job(request_id=request_id, status=JobStatus.DOWNLOADED)

    def retry(request_id: str) -> None:
        raise NotFoundError("no retry route")

    api.wait_for_download = wait_for_download  # type: ignore[method-assign]
    api.retry = retry  # type: ignore[attr-defined]
    plugin = Downloader()
    plugin.account, plugin.api = FakeAccount(api=api), api
    plugin._route(plugin.pyfile)
    assert api.calls.count("cloud") == 2
    assert "Offcloud will not retry the job; adding the link again" in plugin.texts()


def test_a_full_cloud_waits_for_room_in_the_loop(
    follower: FakeFollower, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plugin_glue, "room", SimpleNamespace(first_full=lambda: True))
    api = FakeApi()
    api.add_error = CloudFullError("full")
    plugin = Downloader()
    plugin.account, plugin.api = FakeAccount(api=api), api
    with pytest.raises(pyload_exceptions.Abort):
        plugin._route(plugin.pyfile)
    (followed,) = follower.waiting
    assert (followed.magnet, followed.request_id) == (HOSTER_LINK, None)
    assert follower.forgotten == [5]
    assert len(plugin.account.notices) == 1
    assert "Offcloud's cloud is full: the link waits for room" in plugin.texts()


def test_a_user_stop_is_kept_but_not_a_hand_over(monkeypatch: pytest.MonkeyPatch) -> None:
    stopped: list[int] = []
    keeper = SimpleNamespace(user_stopped=stopped.append)
    monkeypatch.setattr(hoster_routes, "active_keeper", lambda: keeper)
    plugin = Downloader()
    plugin._aborted(SimpleNamespace(running=True))
    assert stopped == [], "no pyfile.abort: our own hand-over"
    plugin.pyfile.abort = True
    plugin._aborted(SimpleNamespace(running=False))
    plugin.pyload.exiting = True  # type: ignore[attr-defined]
    plugin._aborted(SimpleNamespace(running=True))
    assert stopped == [], "pyLoad's exit stops threads: no user's stop"
    plugin.pyload.exiting = False  # type: ignore[attr-defined]
    plugin._aborted(SimpleNamespace(running=True))
    assert stopped == [5]
    monkeypatch.setattr(hoster_routes, "active_keeper", lambda: None)
    plugin._aborted(SimpleNamespace(running=True))
    assert stopped == [5]


# ---------------------------------------------------------------------------------------------
# hoster_files: the file server's answers


def test_the_client_is_made_once_per_attempt_and_closed() -> None:
    api = FakeApi()
    plugin = Downloader()
    plugin.account = FakeAccount(api=api)
    client = plugin._client()
    assert plugin._client() is client
    plugin._close_client()
    assert api.closed
    assert plugin.api is None
    plugin._close_client()  # nothing to close


def test_a_client_that_will_not_close_is_only_logged() -> None:
    plugin = Downloader()
    plugin.api = SimpleNamespace(close=lambda: 1 / 0)
    plugin._close_client()
    assert plugin.api is None
    assert "Closing the Offcloud client failed" in plugin.texts()


def test_a_link_without_name_or_size_keeps_the_link_s() -> None:
    plugin = Downloader()
    plugin._use_link(CDN_LINK, None, None)
    assert (plugin.link, plugin.pyfile.name, plugin.pyfile.size) == (CDN_LINK, "abc", 0)


def _refreshing(url: str = LEGACY_LINK, files: Optional[list[CloudFile]] = None) -> Any:
    api = FakeApi(files=files)
    plugin = Downloader(url=url)
    plugin.account, plugin.api = FakeAccount(api=api), api
    return plugin, api


def test_an_expired_link_is_resolved_again_once() -> None:
    fresh = CloudFile(name="movie.mkv", url=LEGACY_LINK + "?fresh", path="movie.mkv")
    plugin, api = _refreshing(files=[fresh])
    assert plugin._expired_link(LEGACY_LINK, 410) == fresh.url
    assert api.calls == ["explore"]
    assert plugin._refreshed_link(LEGACY_LINK, 410) is None, "once per attempt"
    assert api.calls == ["explore"]
    assert FileLinks(plugin.pyload.db).job_of(fresh.url) == "682fec68087e0a20ce1e7f95"


def test_an_expired_link_with_nothing_to_refresh_fails_saying_so() -> None:
    plugin, api = _refreshing(url=HOSTER_LINK)
    with pytest.raises(CalledError) as ended:
        plugin._expired_link(HOSTER_LINK, 404)
    assert ended.value.values == (
        "The file server answered HTTP 404: the link expired or the file is gone",
    )
    assert api.calls == []


@pytest.mark.parametrize(
    ("status", "account", "noted"),
    [(500, True, False), (403, False, False), (403, True, False)],
    ids=["other-status", "no-account", "cdn-link-without-note"],
)
def test_no_refresh_without_status_account_or_job(status: int, account: bool, noted: bool) -> None:
    plugin, api = _refreshing(url=CDN_LINK)
    plugin.account = FakeAccount(api=api) if account else None
    assert plugin._refreshed_link(CDN_LINK, status) is None
    assert api.calls == []


@pytest.mark.parametrize(
    ("error", "files", "says"),
    [
        (NotFoundError("gone"), None, "is gone from your cloud"),
        (None, [], "movie.mkv is no longer in the Offcloud job 682fec68087e0a20ce1e7f95"),
    ],
)
def test_a_refresh_that_finds_no_file_fails_the_link(
    error: Optional[OffcloudError], files: Optional[list[CloudFile]], says: str
) -> None:
    plugin, api = _refreshing(files=files)
    api.explore_error = error
    with pytest.raises(CalledError) as ended:
        plugin._refreshed_link(LEGACY_LINK, 403)
    assert ended.value.call == "fail"
    assert says in ended.value.values[0]


def test_a_refresh_meeting_an_api_error_ends_as_it_says() -> None:
    plugin, api = _refreshing()
    api.explore_error = ServerError("down", status=503)
    with pytest.raises(CalledError) as ended:
        plugin._refreshed_link(LEGACY_LINK, 403)
    assert ended.value.call == "retry"


def test_a_small_body_that_is_no_error_stays(tmp_path: Path) -> None:
    plugin = Downloader()
    plugin.last_download = str(tmp_path / "gone.bin")
    plugin._check_body()  # unreadable: only a warning
    assert "Could not read the downloaded file" in plugin.texts()
    big = tmp_path / "big.bin"
    big.write_bytes(b'{"error": "File not found"}' + b" " * 5000)
    plugin.last_download = str(big)
    plugin._check_body()
    assert big.exists(), "a big file is a file, whatever it starts with"


def test_a_small_offcloud_error_body_ends_the_link(tmp_path: Path) -> None:
    body = tmp_path / "movie.mkv"
    body.write_text('{"error": "File not found"}')
    plugin = Downloader(url=CDN_LINK)
    plugin.last_download = str(body)
    with pytest.raises(CalledError):
        plugin._check_body()
    assert not body.exists()


def test_a_finished_download_forgets_its_job_and_may_remove_it() -> None:
    api = FakeApi()
    plugin = Downloader(options={"remove_finished": True})
    plugin.account, plugin.api = FakeAccount(api=api), api
    key = job_storage_key(HOSTER_LINK)
    plugin.db.store(key, {"request_id": "job1", "retried": False})
    CreatedJobs(plugin.pyload.db).note("job1", at=1.0)
    plugin._finished()
    assert plugin.db.retrieve(key) is None
    assert api.calls == ["remove job1"]
    assert [entry.done for entry in CreatedJobs(plugin.pyload.db).entries()] == [True]


def test_a_removal_that_fails_is_only_a_warning() -> None:
    api = FakeApi()

    def remove(request_id: str) -> None:
        raise ServerError("down", status=503)

    api.remove = remove  # type: ignore[method-assign]
    plugin = Downloader(options={"remove_finished": True})
    plugin.account, plugin.api = FakeAccount(api=api), api
    plugin.db.store(job_storage_key(HOSTER_LINK), {"request_id": "job1"})
    plugin._finished()
    assert "Could not remove the job from the Offcloud cloud" in plugin.texts()


def test_a_finished_download_without_a_job_touches_nothing() -> None:
    plugin = Downloader(options={"remove_finished": True})
    plugin.db.store(job_storage_key(HOSTER_LINK), {"submitted_at": 1.0})
    plugin._finished()
    assert plugin.db.retrieve(job_storage_key(HOSTER_LINK)) is None
    assert plugin.api is None, "no client without a job to remove"


# ---------------------------------------------------------------------------------------------
# hoster_waits: the IP pause and the host rest


def test_a_resting_host_s_link_waits_and_another_link_shows_no_old_wait() -> None:
    plugin = Downloader(options={"host_rest": 1})
    for _ in range(3):
        rest = hostrest.failed("rapidgator.net", "down", rest_seconds=60)
    assert rest is not None
    with pytest.raises(CalledError) as ended:
        plugin._wait_while_host_rests(plugin.pyfile)
    assert ended.value.call == "retry"
    assert plugin.multi_dl is True, "links of other hosts run under our name and go on"
    hostrest.clear()
    plugin._wait_while_host_rests(plugin.pyfile)
    assert plugin.pyfile.error == ""
    assert plugin._rest_shown is False


def test_a_bad_ip_check_option_is_the_default() -> None:
    assert Downloader(options={"ip_check": "often"})._ip_check_seconds() == 60
    assert Downloader(options={"ip_check": 0.2})._ip_check_seconds() == 1.0


def test_a_paused_account_past_its_length_fails_the_link(monkeypatch: pytest.MonkeyPatch) -> None:
    plugin = Downloader()
    ippause.refused(account_key(None), url=CDN_LINK, reason="refused", interval=60)
    monkeypatch.setattr(ippause, "_clock", lambda: 10.0**12)
    with pytest.raises(CalledError) as ended:
        plugin._wait_while_ip_refused()
    assert ended.value.call == "fail"
    assert "Offcloud" in ended.value.values[0]


def test_a_served_download_ends_the_pause_and_tells_the_account() -> None:
    accepted: list[str] = []
    plugin = Downloader()
    plugin.account = FakeAccount()
    plugin.account.ip_accepted = accepted.append  # type: ignore[attr-defined]
    ippause.refused(account_key(FakeAccount.user), url=CDN_LINK, reason="refused", interval=60)
    plugin._ip_served(None)
    assert accepted == [FakeAccount.user]
    assert ippause.paused(account_key(FakeAccount.user)) is None
    plugin.account = SimpleNamespace(user="other")
    plugin._ip_served(None)  # nothing paused, no listener: nothing to say


# ---------------------------------------------------------------------------------------------
# the plugin file without the library: it loads, and says why it cannot work


def test_without_the_library_the_downloader_loads_and_fails_its_links_saying_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.util  # noqa: PLC0415
    import sys  # noqa: PLC0415

    import pyload.core.utils.web.parse  # noqa: F401, PLC0415 - breaks pyLoad's import cycle first

    from offcloud_api.install import installer  # noqa: PLC0415

    monkeypatch.setitem(sys.modules, "offcloud_api.pyload.hoster_routes", None)  # import fails
    source = next(p for f, p in installer.shipped_files() if f == "downloaders")
    spec = importlib.util.spec_from_file_location("pyload.plugins.downloaders.OffcloudCom", source)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.IMPORT_ERROR is not None
    assert "offcloud pyload install" in module.UNUSABLE
    assert not issubclass(module.OffcloudCom, HosterSteps)
    plugin = object.__new__(module.OffcloudCom)
    plugin.pyfile = SimpleNamespace(url=HOSTER_LINK, name="abc")
    plugin.handle_direct(plugin.pyfile)
    assert getattr(plugin, "link", None) is None, "no file link is taken without the library"
    with pytest.raises(pyload_exceptions.Fail, match="offcloud_api cannot be imported"):
        plugin.handle_premium(plugin.pyfile)
