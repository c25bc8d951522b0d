"""The addon's parts that live in the library: bulk bookkeeping, the batch cache check, the
import's queueing, the give-back of links, the decrypter routing and the addon glue.

pyLoad and the addon are stand-ins (tests/addon_fakes.py); Offcloud is test_bulk's fake.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Callable, Optional

import pytest
from addon_fakes import FakeAddon, FakeCore, run_now, stopped
from test_bulk import Clock, FakeClient, Offcloud, info_hash, query

from offcloud_api.exceptions import NotFoundError, ServerError
from offcloud_api.models import CacheResult, Job, JobStatus
from offcloud_api.pyload import addonkit, intake
from offcloud_api.pyload.background import Settings
from offcloud_api.pyload.bulk import BulkTaker
from offcloud_api.pyload.cachebook import CacheBook
from offcloud_api.pyload.cleanup import (
    EndedLinks,
    Link,
    ended_job,
    full_wait_seconds,
    periodic_protected,
    pyload_links,
)
from offcloud_api.pyload.history_import import known_request_ids, queue_imported
from offcloud_api.pyload.qbit_files import TorrentJobs, drop_unread_upload, save_upload, upload_path
from offcloud_api.pyload.queueing import Handback
from offcloud_api.pyload.resume import Keeper, keeper_for
from offcloud_api.pyload.storage import (
    TORRENT_DECRYPTER,
    FileLinks,
    PluginStore,
    encode_stored,
    job_storage_key,
    torrent_job_key,
)
from offcloud_api.pyload.torrents import TorrentRef

HOOK = "OffcloudComHook"
PID = 3


class Parts:
    def __init__(self, *cached: int, account: bool = True) -> None:
        self.core = FakeCore(tempdir="")
        self.core.package(PID, "Magnets", queue=1)
        self.addon = FakeAddon(self.core)
        self.cloud = Offcloud(Clock())
        self.cloud.cached = {info_hash(n) for n in cached}
        self.store = PluginStore(self.core.db, HOOK)
        self.handback = Handback(self.core)
        self.book = CacheBook()
        self.account = account
        self.taker = BulkTaker(
            self.addon,
            self.store,
            self.handback,
            clients=self.clients,
            check=run_now,
            resolve=run_now,
            book=self.book,
            clock=lambda: 12.5,
        )

    def clients(self) -> Optional[Callable[[], Any]]:
        return (lambda: FakeClient(self.cloud)) if self.account else None

    def matches(self, *numbers: int) -> list[tuple[str, str]]:
        return [(query(n).url, TORRENT_DECRYPTER) for n in numbers]


def test_a_big_add_is_taken_resolved_and_the_rest_given_back() -> None:
    parts = Parts(1, 2)
    urls = [url for url, _ in parts.matches(1, 2, 3)] + ["https://other.test/x"]
    matches = [*parts.matches(1, 2, 3), ("https://other.test/x", "Other")]
    assert parts.taker.take(urls, matches, PID)
    assert urls == ["https://other.test/x"]  # pyLoad adds only this one
    added = [call for call in parts.core.calls if call[0] == "add_package"]
    assert [call[1] for call in added] == ["t1", "t2"]  # queued from the cache, one each
    assert parts.core.calls[-1] == ("add_files", PID, [query(3).url])  # not cached: decrypter
    assert parts.handback.passing([query(3).url]) == [query(3).url]
    assert list(parts.store.items()) == []  # the batch's notes are gone
    assert parts.addon.said("info")[-1].startswith(
        "Bulk: 2 of 3 torrents queued from Offcloud's cache in "
    )
    assert parts.addon.said("info")[-1].endswith(
        "s; 1 go to the decrypter, 0 links repeated a torrent of the batch"
    )


def test_a_small_add_or_one_outside_the_queue_is_left_to_pyload() -> None:
    parts = Parts(1, 2)
    urls = [query(1).url]
    assert not parts.taker.take(urls, parts.matches(1), PID)
    assert not parts.taker.take(tuple(urls), parts.matches(1, 2), PID)
    parts.core.package(PID, "Magnets", queue=0)  # the collector
    assert not parts.taker.take([query(1).url, query(2).url], parts.matches(1, 2), PID)
    assert not parts.taker.take([query(1).url, query(2).url], parts.matches(1, 2), 999)
    assert parts.core.calls == []


def test_a_stopped_worker_gives_the_batch_back_at_once() -> None:
    parts = Parts(1, 2)
    parts.taker.resolve = stopped
    urls = [url for url, _ in parts.matches(1, 2)]
    assert parts.taker.take(urls, parts.matches(1, 2), PID)
    assert parts.core.calls[0] == ("add_files", PID, [query(1).url, query(2).url])
    assert list(parts.store.items()) == []


def test_without_an_account_the_batch_goes_back_to_pyload() -> None:
    parts = Parts(1, 2, account=False)
    urls = [url for url, _ in parts.matches(1, 2)]
    parts.taker.take(urls, parts.matches(1, 2), PID)
    assert parts.addon.said("warning") == [
        "Bulk: no usable Offcloud account; the links go to pyLoad"
    ]
    assert parts.core.calls[0] == ("add_files", PID, [query(1).url, query(2).url])


class FailingClient(FakeClient):
    def cache_info(self, items: list[str]) -> list[CacheResult]:
        raise ServerError("502", status=502)


def test_a_failed_cache_check_gives_the_batch_back() -> None:
    parts = Parts(1, 2)
    parts.clients = lambda: lambda: FailingClient(parts.cloud)  # type: ignore[method-assign]
    parts.taker.clients = parts.clients
    parts.taker.take([url for url, _ in parts.matches(1, 2)], parts.matches(1, 2), PID)
    assert parts.addon.said("warning")[0].startswith(
        "Bulk: Offcloud's cache check failed; the links go to pyLoad | "
    )
    assert parts.core.calls[0][0] == "add_files"


def test_a_package_deleted_meanwhile_gets_its_links_in_a_new_package() -> None:
    parts = Parts()
    parts.taker._give_back("b1", 999, ["magnet:?x"])
    assert parts.core.calls == [("add_package", "Offcloud torrents", ["magnet:?x"], 1)]


def test_a_package_the_batch_emptied_is_deleted_and_the_queue_refused_files_go_back() -> None:
    parts = Parts(1, 2)
    parts.core.options["include"] = "*.nothing"  # the filters keep no file: decrypter's job
    parts.taker.take([url for url, _ in parts.matches(1, 2)], parts.matches(1, 2), PID)
    assert parts.core.calls == [
        ("add_files", PID, [query(1).url, query(2).url]),
    ]
    parts.core.packages[PID]["links"] = {}
    parts.taker._give_back("b2", PID, [])
    assert parts.core.calls[-1] == ("delete_packages", [PID])


def test_an_interrupted_batch_gives_back_what_it_had_not_queued() -> None:
    parts = Parts()
    parts.store.store("bulk:3-1.0", {"pid": PID, "urls": [query(1).url, query(2).url, "x"]})
    parts.store.store(f"bulkdone:3-1.0:{info_hash(1)}", True)
    parts.store.store("bulk:broken", "not a dict")
    parts.taker.resume_batches()
    assert parts.core.calls[0] == ("add_files", PID, [query(2).url, "x"])
    assert parts.addon.said("info") == ["Bulk: 2 links of an interrupted batch go back to pyLoad"]
    assert list(parts.store.items()) == []


def test_the_batch_is_noted_before_its_links_leave_pyloads_add() -> None:
    parts = Parts(1, 2)
    notes: list[Any] = []
    parts.taker.resolve = lambda task: notes.extend(parts.store.items()) or True
    parts.taker.take([url for url, _ in parts.matches(1, 2)], parts.matches(1, 2), PID)
    assert notes == [
        (f"bulk:{PID}-12.500000", {"pid": PID, "urls": sorted([query(1).url, query(2).url])})
    ]


def test_a_torrent_failing_in_the_bulk_is_said_and_left_to_the_decrypter() -> None:
    parts = Parts(1, 2)
    parts.cloud.direct = "empty"  # no cache/download answer: added as jobs
    parts.cloud.errors[("cloud", info_hash(1))] = [RuntimeError("boom")]
    parts.taker.take([url for url, _ in parts.matches(1, 2)], parts.matches(1, 2), PID)
    assert parts.addon.said("warning") == [
        "Bulk: t1 failed here, it goes to the decrypter | RuntimeError('boom')"
    ]
    assert parts.core.calls[-1] == ("add_files", PID, [query(1).url])
    assert PluginStore(parts.core.db, TORRENT_DECRYPTER).retrieve(torrent_job_key(info_hash(2)))


def test_one_cache_check_for_the_magnets_of_one_add() -> None:
    parts = Parts(1)
    parts.taker.check_batch(parts.matches(1, 2, 1))
    assert parts.addon.said("info") == ["Offcloud has 1 of 2 added torrents cached"]
    assert parts.book.lookup(info_hash(1)).cached is True
    parts.taker.check_batch(parts.matches(1, 2))  # answered before: not asked again
    assert len(parts.cloud.cache_asks) == 1
    parts.taker.check_batch(parts.matches(3))  # one magnet: its decrypter asks
    assert len(parts.cloud.cache_asks) == 1


def test_a_cache_check_that_cannot_run_releases_its_hashes() -> None:
    parts = Parts(account=False)
    parts.taker.check_batch(parts.matches(1, 2))
    assert parts.addon.said("debug") == ["No usable Offcloud account for the cache check"]
    assert parts.book.expect({info_hash(1): None, info_hash(2): None})  # free to ask again
    parts = Parts()
    parts.taker.check = stopped
    parts.taker.check_batch(parts.matches(1, 2))
    assert parts.book.expect({info_hash(1): None})
    parts = Parts()
    parts.taker.clients = lambda: lambda: FailingClient(parts.cloud)
    parts.taker.check_batch(parts.matches(1, 2))
    assert parts.addon.said("warning")[0].startswith("Offcloud cache check failed | ")


# -- the import's queueing ------------------------------------------------------------------


class ImportClient:
    def __init__(self, error: Optional[Exception] = None) -> None:
        self.error = error

    def __enter__(self) -> ImportClient:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def explore_cloud(self, request_id: str, *, job: Job) -> list[Any]:
        if self.error is not None:
            raise self.error
        return [
            SimpleNamespace(
                name="a.mkv", url=f"https://cdn.test/{request_id}/a.mkv", path="a.mkv", size=5
            )
        ]


def test_an_imported_job_is_queued_in_a_package_of_its_own() -> None:
    core = FakeCore()
    addon = FakeAddon(core)
    job = Job(request_id="r1", status=JobStatus.DOWNLOADED, file_name="Show")
    assert queue_imported(addon, ImportClient, job)  # type: ignore[arg-type,return-value]
    assert core.calls[0][:3] == ("add_package", "Show", ["https://cdn.test/r1/a.mkv"])
    assert addon.said("info")[-1] == "Import: Show (Offcloud job r1) queued"
    assert FileLinks(core.db).job_of("https://cdn.test/r1/a.mkv") == "r1"


def test_an_import_that_cannot_list_or_keeps_nothing() -> None:
    core = FakeCore(options={"include": "*.nothing"})
    addon = FakeAddon(core)
    job = Job(request_id="r2", status=JobStatus.DOWNLOADED)
    assert not queue_imported(addon, lambda: None, job)  # no account: next round
    assert not queue_imported(
        addon,
        lambda: ImportClient(NotFoundError("gone", status=404)),
        job,  # type: ignore[arg-type,return-value]
    )
    assert addon.said("warning")[0].startswith("Import: Offcloud did not list the job's files | ")
    assert queue_imported(addon, ImportClient, job)  # type: ignore[arg-type,return-value]
    assert addon.said("info")[0].startswith("Import: nothing of Offcloud job r2 queued | ")
    assert core.calls == []


def test_the_known_jobs_are_those_any_offcloud_plugin_remembers() -> None:
    core = FakeCore()
    for number, plugin in enumerate(
        ["OffcloudCom", "OffcloudComTorrent", "OffcloudComFolder", HOOK]
    ):
        core.db.set_storage(plugin, "job:x", encode_stored({"request_id": f"r{number}"}))
    core.db.set_storage("Other", "job:x", encode_stored({"request_id": "theirs"}))
    assert known_request_ids(core) == {"r0", "r1", "r2", "r3"}


# -- the decrypter routing, the follower's options, the keeper --------------------------------


def test_the_torrent_decrypter_is_put_first_and_back() -> None:
    index = {"TORRENT": 1, "Other": 2, TORRENT_DECRYPTER: 3}
    manager = SimpleNamespace(plugins={"decrypter": index}, decrypter_plugins=index)
    assert intake.route_torrent_decrypter(manager, first=True)
    assert list(manager.plugins["decrypter"]) == [TORRENT_DECRYPTER, "TORRENT", "Other"]
    assert manager.decrypter_plugins is manager.plugins["decrypter"]
    assert manager.plugins["decrypter"] is not index  # swapped in whole
    swapped = manager.plugins["decrypter"]
    assert intake.route_torrent_decrypter(manager, first=True)
    assert manager.plugins["decrypter"] is swapped  # in place already: left alone
    assert intake.route_torrent_decrypter(manager, first=False)
    assert list(manager.plugins["decrypter"]) == ["TORRENT", "Other", TORRENT_DECRYPTER]
    missing = SimpleNamespace(plugins={"decrypter": {"TORRENT": 1}})
    assert not intake.route_torrent_decrypter(missing, first=True)
    assert not intake.route_torrent_decrypter(SimpleNamespace(plugins={}), first=True)


def test_the_follower_takes_the_addons_options_within_bounds() -> None:
    settings = Settings()
    settings.configure(
        {"follow_interval": 1, "max_running_jobs": -3, "follow_after": 0, "import_finished": 1}.get
    )
    assert (settings.interval, settings.max_running, settings.hand_over_after) == (2, 0, 300)
    assert settings.always_history is True
    settings.configure({"follow_interval": 45, "max_running_jobs": 4, "follow_after": 60}.get)
    assert (settings.interval, settings.max_running, settings.hand_over_after) == (45, 4, 60)
    assert settings.always_history is False
    settings.configure(lambda name, default: default)
    assert (settings.interval, settings.max_running, settings.hand_over_after) == (30, 0, 300)


def test_the_keeper_of_a_pyload_keeps_its_notes_in_the_addons_storage() -> None:
    core = FakeCore()
    notices: list[str] = []
    keeper = keeper_for(core, lambda: True, notices.append)
    assert isinstance(keeper, Keeper)
    assert keeper.store.plugin == HOOK
    assert keeper.queue.core is core
    assert keeper.notice == notices.append


# -- the addon glue --------------------------------------------------------------------------


class Account:
    def __init__(self, accounts: dict[str, Any], chosen: Optional[str]) -> None:
        self.accounts = accounts
        self.chosen = chosen
        self.user = chosen
        self.given: list[Any] = []

    def select(self) -> tuple[Optional[str], Any]:
        return self.chosen, {}

    def offcloud_notice(self, notice: Any) -> None:
        self.given.append(notice)


def core_with(account: Any) -> Any:
    manager = SimpleNamespace(get_account_plugin=lambda name: account)
    requests = SimpleNamespace(get_request=lambda name: SimpleNamespace(name=name))
    return SimpleNamespace(account_manager=manager, exiting=False, request_factory=requests)


def test_clients_open_on_the_selected_key_and_none_without_one() -> None:
    account = Account({"me": {"password": " KEY123 ", "valid": True}}, "me")
    addon = SimpleNamespace(pyload=core_with(account), classname="OffcloudComHook")
    factory = addonkit.client_factory(addon)  # type: ignore[arg-type]
    assert factory is not None
    api = factory()
    assert api.api_key == "KEY123"
    api.close()
    opened = addonkit.open_client(addon)  # type: ignore[arg-type]
    assert opened is not None
    opened.close()
    account.chosen = None
    assert addonkit.client_factory(addon) is None  # type: ignore[arg-type]
    assert addonkit.open_client(addon) is None  # type: ignore[arg-type]


def test_pyloads_exit_is_read_from_its_flag() -> None:
    assert addonkit.exiting(SimpleNamespace(exiting=True))
    assert not addonkit.exiting(SimpleNamespace())


def test_the_full_cloud_notice_goes_through_the_account_with_the_key_masked() -> None:
    account = Account({"me": {"password": "KEY123"}}, "me")
    addonkit.notify_cloud_full(core_with(account))
    assert len(account.given) == 1
    assert "KEY123" not in repr(account.given[0])
    addonkit.notify_cloud_full(core_with(SimpleNamespace()))  # an account without notices
    addonkit.notify_cloud_full(SimpleNamespace())  # no account manager


class BaseAddon:
    def __init__(self, core: Any) -> None:
        self.pyload = core
        self.logged: list[tuple[Any, ...]] = []

    def _log(self, level: str, plugintype: str, pluginname: str, args: Any, kwargs: Any) -> Any:
        self.logged.append(tuple(args))
        return level


class Hook(addonkit.AddonGlue, BaseAddon):
    pass


def test_the_addon_glue_masks_every_key_in_its_log_lines() -> None:
    account = Account({"me": {"password": "SECRETKEY99"}}, "me")
    hook = Hook(core_with(account))
    assert hook._log("info", "addon", "Hook", ("key SECRETKEY99 here", 5), {}) == "info"
    assert "SECRETKEY99" not in hook.logged[0][0]
    assert hook.logged[0][1] == "5"
    assert not hook._exiting()


def test_the_give_back_drops_a_package_only_when_empty() -> None:
    core = FakeCore()
    core.package(7, "p", links=2)
    handback = Handback(core)
    handback.drop_if_empty(7)
    handback.drop_if_empty(8)  # gone
    assert core.calls == []
    core.package(7, "p", links=0)
    handback.drop_if_empty(7)
    assert core.calls == [("delete_packages", [7])]


@pytest.mark.parametrize("pid", [PID, 999])
def test_links_given_back_pass_the_addon_once(pid: int) -> None:
    core = FakeCore()
    core.package(PID, "p")
    handback = Handback(core)
    handback.to_package(pid, ["a", "b"])
    assert handback.passing(["b", "c"]) == ["b"]
    assert handback.passing(["a", "b"]) == ["a"]


# -- the clean-up addon's and the qBittorrent bridge's parts ----------------------------------


def test_the_job_a_link_that_ended_downloaded_from() -> None:
    legacy = "https://srv1.offcloud.com/cloud/download/abc123def456/a.bin"
    cdn = "https://1-cdn2-ovh-fra.energycdn.com/cdn3sto/littlemouse-sto/TOKEN/a.bin"
    noted = {cdn: "job9"}.get
    asked: list[bool] = []

    def removed() -> bool:
        asked.append(True)
        return False

    own = SimpleNamespace(url=legacy)
    assert ended_job(own, noted, removed_by_downloader=removed) == ("abc123def456", legacy)
    hoster = SimpleNamespace(url="https://rapidgator.net/file/x", plugin=SimpleNamespace(link=cdn))
    assert ended_job(hoster, noted, removed_by_downloader=removed) == ("job9", cdn)
    assert asked == [True]  # asked only for a hoster link
    assert ended_job(hoster, noted, removed_by_downloader=lambda: True) is None
    plain = SimpleNamespace(url="https://rapidgator.net/file/x")
    assert ended_job(plain, noted, removed_by_downloader=removed) is None


def test_pyloads_links_of_queue_and_collector() -> None:
    cdn = "https://1-cdn2-ovh-fra.energycdn.com/cdn3sto/littlemouse-sto/TOKEN/a.bin"
    data = {
        1: {1: {"links": {5: {"id": 5, "url": cdn, "status": 3, "package": 1}}}},
        0: {2: {"links": {6: {"id": 6, "url": "https://x.test/b", "status": 0, "package": 2}}}},
    }
    core = FakeCore()
    core.files.get_complete_data = lambda destination: data[int(destination)]
    FileLinks(core.db).remember("job5", [SimpleNamespace(url=cdn, path="a.bin", name="a")])
    links = pyload_links(core)
    assert [(link.fid, link.request_id) for link in links] == [(5, "job5"), (6, None)]


def test_the_full_wait_option_in_seconds() -> None:
    assert full_wait_seconds(2) == 120.0
    assert full_wait_seconds("0.5") == 30.0
    assert full_wait_seconds("soon") == 300.0
    assert full_wait_seconds(None) == 300.0


def test_the_periodic_clean_up_leaves_jobs_in_use_and_those_sent_to_the_cloud() -> None:
    legacy = "https://srv1.offcloud.com/cloud/download/{}/a.bin"
    links = [
        Link(fid=1, url=legacy.format("aaa111"), status=3),  # still to download
        Link(fid=2, url=legacy.format("bbb222"), status=0),  # finished
        Link(fid=3, url="https://rapidgator.net/file/y", status=3),
    ]
    db = FakeCore().db
    hoster = job_storage_key("https://rapidgator.net/file/y")
    db.set_storage("OffcloudCom", hoster, encode_stored({"request_id": "f1"}))
    db.set_storage(HOOK, "job:sent", encode_stored({"request_id": "c1"}))
    downloader, hook = PluginStore(db, "OffcloudCom"), PluginStore(db, HOOK)
    assert periodic_protected(links, downloader, hook) == {"aaa111", "f1", "c1"}


def test_an_uploaded_torrent_is_saved_once_and_dropped_while_unread(tmp_path: Any) -> None:
    path = upload_path(str(tmp_path), "ab" * 20)
    assert path == str(tmp_path / f"tmp_arr_{'ab' * 20}.torrent")
    link = save_upload(str(tmp_path), "ab" * 20, b"first")
    assert link == "file://" + path
    assert save_upload(str(tmp_path), "ab" * 20, b"second") == link
    assert (tmp_path / f"tmp_arr_{'ab' * 20}.torrent").read_bytes() == b"first"
    other = SimpleNamespace(info_hash="ab" * 20, link="magnet:?xt=urn:btih:" + "ab" * 20)
    drop_unread_upload(str(tmp_path), other)  # not added from the file: it stays
    assert (tmp_path / f"tmp_arr_{'ab' * 20}.torrent").exists()
    record = SimpleNamespace(info_hash="ab" * 20, link=link)
    drop_unread_upload(str(tmp_path), record)
    assert not (tmp_path / f"tmp_arr_{'ab' * 20}.torrent").exists()
    drop_unread_upload(str(tmp_path), record)  # read (and removed) by the decrypter already


def test_the_job_of_a_torrent_is_the_decrypters_note() -> None:
    core = FakeCore()
    key = TorrentRef("cd" * 20, "").storage_key
    core.db.set_storage(TORRENT_DECRYPTER, key, encode_stored({"request_id": "t1"}))
    core.db.set_storage(HOOK, "job:sent", encode_stored({"request_id": "c1"}))
    core.db.set_storage(HOOK, "follow:3", encode_stored({"request_id": "f3"}))
    jobs = TorrentJobs(core.db)
    assert jobs.request_id("cd" * 20) == "t1"
    assert jobs.request_id("ef" * 20) is None
    assert jobs.kept() == [{"request_id": "c1"}]
    jobs.forget("cd" * 20)
    assert jobs.request_id("cd" * 20) is None


class Worker:
    """A worker's ``submit`` that holds the tasks until the test runs them."""

    def __init__(self, running: bool = True) -> None:
        self.tasks: list[Callable[[], None]] = []
        self.running = running

    def submit(self, task: Callable[[], None]) -> bool:
        if self.running:
            self.tasks.append(task)
        return self.running


def ended(fid: int) -> Link:
    return Link(fid=fid, url=f"https://srv1.offcloud.com/cloud/download/job{fid}/a.bin", status=0)


def test_downloads_that_end_meanwhile_are_looked_at_in_one_batch() -> None:
    worker = Worker()
    batches: list[list[tuple[str, Link]]] = []
    links = EndedLinks(worker.submit, batches.append)
    links.add("job1", ended(1))
    links.add("job2", ended(2))  # the task due looks at this one too
    assert len(worker.tasks) == 1
    worker.tasks.pop()()
    assert batches == [[("job1", ended(1)), ("job2", ended(2))]]
    links.add("job3", ended(3))  # drained: a new task
    assert len(worker.tasks) == 1
    worker.tasks.pop()()
    assert batches[-1] == [("job3", ended(3))]


def test_a_download_ending_during_a_look_is_looked_at_by_the_same_task() -> None:
    worker = Worker()
    batches: list[list[str]] = []
    links: EndedLinks

    def look(batch: list[tuple[str, Link]]) -> None:
        batches.append([request_id for request_id, _ in batch])
        if len(batches) == 1:
            links.add("job2", ended(2))

    links = EndedLinks(worker.submit, look)
    links.add("job1", ended(1))
    worker.tasks.pop()()
    assert batches == [["job1"], ["job2"]]
    assert worker.tasks == []


def test_a_stopped_worker_or_a_failed_look_lets_the_next_download_submit_again() -> None:
    worker = Worker(running=False)
    looks: list[int] = []

    def look(batch: list[tuple[str, Link]]) -> None:
        looks.append(len(batch))
        if len(looks) == 1:
            raise RuntimeError("pyLoad's database is busy")

    links = EndedLinks(worker.submit, look)
    links.add("job1", ended(1))  # not submitted
    worker.running = True
    links.add("job2", ended(2))
    with pytest.raises(RuntimeError):
        worker.tasks.pop()()
    assert looks == [2]
    links.add("job3", ended(3))
    assert len(worker.tasks) == 1
    worker.tasks.pop()()
    assert looks == [2, 1]
