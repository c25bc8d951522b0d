"""Cloud-only mode: added links become cloud jobs, once each, the rest back into the collector.

Offcloud is the simulator, with a real client, making a new job for every add (as Offcloud may,
docs/api.md §7.15): a link added twice shows up as two jobs. pyLoad and the addon are stand-ins
(tests/addon_fakes.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import pytest
from addon_fakes import FakeAddon, FakeCore, run_now, stopped

from offcloud_api import OffcloudAPI, RetryPolicy
from offcloud_api.pyload.cloud_only import CloudOnly
from offcloud_api.pyload.intake import CloudOnlyPlan
from offcloud_api.pyload.queueing import Handback
from offcloud_api.pyload.storage import DOWNLOADER, FileLinks, PluginStore, job_storage_key
from offcloud_api.simulator import DEMO_API_KEY, Simulator, load_scenario
from offcloud_api.torrent import parse_torrent

LINK = "https://example-hoster.test/file/plain.bin"
OTHER = "https://nitroflare.com/view/CLOUD1/cloud-only.bin"
OFFLINE = "https://rapidgator.net/file/gone404/gone.bin"
HOOK = "OffcloudComHook"
PID = 5


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(load_scenario({"extends": "default", "api": {"dedupe": False}})) as running:
        yield running


@pytest.fixture(autouse=True)
def _no_faults_left(sim: Simulator) -> Iterator[None]:
    yield
    sim.clear_faults()


class Setup:
    def __init__(self, sim: Simulator, tmp_path: Path, *, account: bool = True) -> None:
        self.sim = sim
        self.core = FakeCore(tempdir=str(tmp_path))
        self.core.package(PID, "My links", links=0)
        self.addon = FakeAddon(self.core)
        self.store = PluginStore(self.core.db, HOOK)
        self.handback = Handback(self.core)
        self.opened: list[OffcloudAPI] = []
        self.account = account
        self.part = CloudOnly(
            self.addon, self.store, self.handback, client=self.client, submit=run_now
        )

    def client(self) -> Optional[OffcloudAPI]:
        if not self.account:
            return None
        api = OffcloudAPI(
            DEMO_API_KEY, base_url=self.sim.api_url, retry=RetryPolicy(sleep=lambda _s: None)
        )
        self.opened.append(api)
        return api

    def jobs_of(self, url: str) -> list[str]:
        return [
            job["request_id"]
            for job in self.sim.state.snapshot()["jobs"]
            if job["original_link"] == url
        ]

    def jobs_with(self, text: str) -> list[str]:
        return [
            job["request_id"]
            for job in self.sim.state.snapshot()["jobs"]
            if text in job["original_link"].lower()
        ]

    def collected(self) -> list[tuple[Any, ...]]:
        return [call for call in self.core.calls if call[0] == "add_package"]


@pytest.fixture
def setup(sim: Simulator, tmp_path: Path) -> Setup:
    return Setup(sim, tmp_path)


def send(setup: Setup, *urls: str) -> None:
    setup.part.send(CloudOnlyPlan(send=list(urls)), PID)


@pytest.mark.parametrize("kind", ["truncated_json", "reset"])
def test_a_lost_answer_makes_one_job_not_two(setup: Setup, kind: str) -> None:
    # The regression of issue 20: the add's answer is lost after Offcloud made the job.
    before = len(setup.jobs_of(LINK))
    setup.sim.inject(kind, path="/api/cloud", count=1)
    send(setup, LINK)
    made = setup.jobs_of(LINK)[before:]
    assert len(made) == 1
    assert setup.collected() == []  # sent: nothing goes back to the collector
    assert setup.store.retrieve(job_storage_key(LINK))["request_id"] == made[0]
    assert setup.addon.said("info") == [
        f"Cloud only: plain.bin sent to your Offcloud cloud as job {made[0]} (created)"
    ]
    send(setup, LINK)  # added again from the collector: the same job, still one
    assert setup.jobs_of(LINK)[before:] == made
    assert "already in your Offcloud cloud as job " + made[0] in setup.addon.said("info")[-1]


def test_a_lost_answer_the_history_cannot_explain_is_looked_for_before_the_next_add(
    setup: Setup,
) -> None:
    before = len(setup.jobs_of(OTHER))
    setup.sim.inject("reset", path="/api/cloud", count=1)
    setup.sim.inject("server_error", path="/api/cloud/history")  # every retry too
    send(setup, OTHER)
    assert setup.collected() == [
        ("add_package", "My links (not sent)", [OTHER], 0)
    ]  # waits in the link collector
    assert "submitted_at" in setup.store.retrieve(job_storage_key(OTHER))
    setup.sim.clear_faults()
    send(setup, OTHER)  # the user sends it again: found in the history, not added twice
    assert len(setup.jobs_of(OTHER)[before:]) == 1
    assert setup.store.retrieve(job_storage_key(OTHER))["request_id"] == setup.jobs_of(OTHER)[-1]


def test_a_job_offcloud_forgot_is_sent_again(setup: Setup) -> None:
    key = job_storage_key(OTHER)
    setup.store.store(key, {"request_id": "0123456789abcdef0123ffff"})
    before = len(setup.jobs_of(OTHER))
    send(setup, OTHER)
    made = setup.jobs_of(OTHER)[before:]
    assert len(made) == 1
    assert setup.store.retrieve(key)["request_id"] == made[0]


def test_a_refusal_goes_back_to_the_collector_without_a_note(setup: Setup) -> None:
    send(setup, OFFLINE)
    assert setup.collected() == [("add_package", "My links (not sent)", [OFFLINE], 0)]
    assert setup.store.retrieve(job_storage_key(OFFLINE)) is None
    warnings = setup.addon.said("warning")
    assert warnings[0].startswith("Cloud only: Offcloud did not take a link | ")
    assert warnings[-1] == "Cloud only: 1 links not sent, left in the link collector"
    # the links given back pass through the addon untouched when pyLoad adds them
    assert setup.handback.passing([OFFLINE, LINK]) == [OFFLINE]
    assert setup.handback.passing([OFFLINE]) == []


def test_without_an_account_nothing_is_sent(sim: Simulator, tmp_path: Path) -> None:
    setup = Setup(sim, tmp_path, account=False)
    send(setup, LINK)
    assert setup.addon.said("warning")[0] == "Cloud only: no usable Offcloud account"
    assert setup.collected() == [("add_package", "My links (not sent)", [LINK], 0)]


def test_a_failure_of_one_link_does_not_stop_the_others(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = setup.part.send_one

    def send_one(api: OffcloudAPI, url: str) -> bool:
        if url == LINK:
            raise RuntimeError("boom")
        return real(api, url)

    monkeypatch.setattr(setup.part, "send_one", send_one)
    send(setup, LINK, OTHER)
    assert "Cloud only: a link could not be sent | boom" in setup.addon.said("warning")
    assert setup.collected() == [("add_package", "My links (not sent)", [LINK], 0)]


def test_an_error_opening_the_client_sends_everything_back(setup: Setup) -> None:
    def broken() -> OffcloudAPI:
        raise RuntimeError("no client")

    setup.part.client = broken
    send(setup, LINK)
    assert setup.addon.said("warning")[0] == "Cloud only: sending to Offcloud stopped | no client"
    assert setup.collected()[0][2] == [LINK]


def test_links_already_in_the_cloud_are_named_and_the_empty_package_goes(setup: Setup) -> None:
    cdn = "https://1-cdn2-ovh-fra.energycdn.com/cdn3sto/littlemouse-sto/TOKEN/a.bin"
    FileLinks(setup.core.db).remember(
        "job77", [type("F", (), {"url": cdn, "path": "a.bin", "name": "a.bin"})()]
    )
    setup.part.send(CloudOnlyPlan(in_cloud=[cdn]), PID)
    assert setup.addon.said("info") == ["Cloud only: already in your Offcloud cloud as job job77"]
    assert ("delete_packages", [PID]) in setup.core.calls  # every link of it was taken
    assert setup.opened == []  # nothing to send: no client


def test_a_package_with_links_left_stays(setup: Setup) -> None:
    setup.core.package(PID, "My links", links=1)
    setup.part.send(CloudOnlyPlan(), PID)
    assert setup.core.calls == []


def test_a_package_gone_meanwhile_names_the_collectors_package(setup: Setup) -> None:
    setup.part.give_back([LINK], 999)
    assert setup.collected() == [("add_package", "Offcloud cloud only (not sent)", [LINK], 0)]


def torrent_bytes(name: str) -> bytes:
    info = b"d6:lengthi5e4:name%d:%s12:piece lengthi16384e6:pieces20:%se" % (
        len(name),
        name.encode(),
        b"a" * 20,
    )
    return b"d8:announce9:http://x/4:info" + info + b"e"


def test_an_uploaded_torrent_is_sent_as_its_magnet_and_its_copy_removed(setup: Setup) -> None:
    data = torrent_bytes("upload.bin")
    upload = Path(setup.core.tempdir) / "tmp_upload.torrent"
    upload.write_bytes(data)
    own = Path(setup.core.tempdir) / "mine.torrent"
    own.write_bytes(data)
    info_hash = parse_torrent(data).info_hash.lower()
    before = len(setup.jobs_with(info_hash))
    send(setup, upload.as_uri(), own.as_uri())
    assert not upload.exists()  # pyLoad's copy: gone once sent
    assert own.exists()  # the user's own file stays
    assert len(setup.jobs_with(info_hash)[before:]) == 1  # the second is the same torrent: known
    assert setup.collected() == []


def test_a_torrent_that_cannot_be_read_waits_in_the_collector(setup: Setup) -> None:
    missing = (Path(setup.core.tempdir) / "tmp_gone.torrent").as_uri()
    send(setup, missing)
    assert setup.addon.said("warning")[0] == (
        "Cloud only: not a readable .torrent in pyLoad's temp folder"
    )
    assert setup.collected()[0][2] == [missing]


def test_a_copy_that_cannot_be_removed_is_said_in_debug(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    upload = Path(setup.core.tempdir) / "tmp_stuck.torrent"
    upload.write_bytes(torrent_bytes("stuck.bin"))

    def refuse(self: Path, missing_ok: bool = False) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "unlink", refuse)
    send(setup, upload.as_uri())
    assert setup.addon.said("debug") == [
        "Could not remove the uploaded .torrent | Permission denied"
    ]


def test_take_keeps_what_pyload_handles_and_sends_the_rest(setup: Setup) -> None:
    setup.core.downloader_plugins["RapidgatorNet"] = {"new_name": DOWNLOADER}
    urls = [LINK, "https://elsewhere.test/x", LINK]
    matches = [(LINK, DOWNLOADER), ("https://elsewhere.test/x", "Other"), (LINK, DOWNLOADER)]
    setup.part.take(urls, matches, PID)
    assert urls == ["https://elsewhere.test/x"]  # pyLoad adds only this one
    assert setup.addon.said("info")[0].startswith("Cloud only: plain.bin ")


def test_take_with_nothing_for_offcloud_changes_nothing(setup: Setup) -> None:
    urls = ["https://elsewhere.test/x"]
    setup.part.take(urls, [("https://elsewhere.test/x", "Other")], PID)
    assert urls == ["https://elsewhere.test/x"]
    assert setup.core.calls == []


def test_take_of_a_stopped_addon_leaves_the_links_in_the_collector(setup: Setup) -> None:
    setup.part.submit = stopped
    urls = [LINK]
    setup.part.take(urls, [(LINK, DOWNLOADER)], PID)
    assert urls == []
    assert setup.collected() == [("add_package", "My links (not sent)", [LINK], 0)]


def test_take_refuses_links_it_cannot_change(setup: Setup) -> None:
    setup.part.take((LINK,), [(LINK, DOWNLOADER)], PID)
    assert setup.addon.said("warning") == ["Cloud only: pyLoad passed links that cannot be taken"]
