"""The simulator's state on its edges, driven directly (no HTTP): what Offcloud refuses and why."""

from __future__ import annotations

import base64
import threading

import pytest

from offcloud_api.simulator import load_scenario
from offcloud_api.simulator.faults import ERROR_PRESETS, Fault
from offcloud_api.simulator.records import Refusal
from offcloud_api.simulator.state import SimState

KEY = "K" * 32
FILE = {"name": "a.bin", "size": 1000}


def _state(profile: str = "rich", **extra) -> SimState:
    document = {
        "api": {"profile": profile},
        "accounts": [{"key": KEY, "email": "me@example.com", "password": "secret"}],
        "sites": [
            {"name": "good.test"},
            {"name": "dead.test", "status": "Dead"},
            {"name": "waiting.test", "status": "Awaiting Demand"},
            {"name": "cloudy.test", "no_instant": True},
        ],
        "links": [
            {"url": "https://good.test/a", "file": FILE},
            {"url": "https://good.test/folder", "files": [FILE, {"name": "b", "size": 1}]},
            {"url": "https://dead.test/a", "file": FILE},
            {"url": "https://waiting.test/a", "file": FILE},
            {"url": "https://cloudy.test/a", "file": FILE},
        ],
        **extra,
    }
    return SimState(load_scenario(document))


def _error(answer) -> str:
    assert isinstance(answer, Refusal), answer
    return answer.payload["error"]


@pytest.fixture
def state() -> SimState:
    return _state()


def test_sites_are_found_by_host_and_its_subdomains(state):
    assert state.site_for_url("https://www.good.test/x").name == "good.test"
    assert state.site_for_url("https://cdn.good.test/x").name == "good.test"
    assert state.site_for_url("https://notgood.test/x") is None
    assert state.site_for_url("not a url") is None
    assert state.site_for_url("http://[broken/x") is None


@pytest.mark.parametrize(
    ("url", "preset"),
    [
        ("https://dead.test/a", "temporarily_disabled"),
        ("https://waiting.test/a", "no_premium_accounts"),
        ("https://nowhere.test/a", "incorrect_url"),
        ("https://good.test/not-in-the-scenario", "offline"),
    ],
)
def test_a_cloud_add_is_refused_with_offclouds_words(state, url, preset):
    account = state.account_for_key(KEY)
    assert _error(state.submit(account, url)) == ERROR_PRESETS[preset]


def test_an_empty_link_or_an_unknown_remote_account_is_refused(state):
    account = state.account_for_key(KEY)
    assert _error(state.submit(account, "   ")) == ERROR_PRESETS["incorrect_url"]
    refused = state.submit(account, "https://good.test/a", kind="remote", remote_option_id="r9")
    assert _error(refused) == "Remote account not found."


def test_a_bare_magnet_is_no_link_outside_the_live_profile(state):
    account = state.account_for_key(KEY)
    garbage = "magnet:?xt=urn:btih:nothex"
    assert _error(state.submit(account, garbage)) == ERROR_PRESETS["incorrect_url"]


def test_an_unknown_magnet_gets_a_plausible_single_file_torrent(state):
    account = state.account_for_key(KEY)
    info_hash = "ab" * 20
    job = state.submit(account, f"magnet:?xt=urn:btih:{info_hash}&dn=Some+Name")
    assert not isinstance(job, Refusal)
    torrent = state.torrent(info_hash)
    assert torrent is not None
    assert [f.name for f in torrent.files] == ["Some Name"]
    again = state.submit(account, f"magnet:?xt=urn:btih:{info_hash}")
    assert again is job  # the same job while it lives (dedupe)


def test_instant_refuses_torrents_folders_and_cloud_only_sites(state):
    account = state.account_for_key(KEY)
    magnet = _error(state.instant(account, "magnet:?xt=urn:btih:" + "ab" * 20))
    assert magnet == ERROR_PRESETS["cloud_only"].replace("{host}", "BitTorrent")
    folder = _error(state.instant(account, "https://good.test/folder"))
    assert folder == ERROR_PRESETS["cloud_only"].replace("{host}", "good.test")
    cloudy = _error(state.instant(account, "https://cloudy.test/a"))
    assert cloudy == ERROR_PRESETS["cloud_only"].replace("{host}", "cloudy.test")
    assert (
        _error(state.instant(account, "https://dead.test/a"))
        == ERROR_PRESETS["temporarily_disabled"]
    )


def test_instants_are_listed_newest_first_and_removed_once(state):
    account = state.account_for_key(KEY)
    first = state.instant(account, "https://good.test/a")
    assert not isinstance(first, Refusal)
    assert state.instant_history(account) == [first]
    assert state.remove(account, [first.request_id, "nope"], kind="instant") == 1
    assert state.remove(account, [first.request_id], kind="instant") == 0
    assert state.instant_history(account) == []


def test_only_failed_requests_can_be_retried(state):
    account = state.account_for_key(KEY)
    job = state.submit(account, "https://good.test/a")
    assert not isinstance(job, Refusal)
    assert (
        _error(state.retry(account, job.request_id)) == "Only failed requests can be tried again."
    )
    missing = state.retry(account, "f" * 24)
    assert isinstance(missing, Refusal)
    assert missing.not_found


def test_legacy_login_checks_the_address_and_the_password(state):
    assert _error(state.login("not-an-address", "secret")) == "Please enter a valid email address."
    assert _error(state.login("me@example.com", "wrong")) == "The credentials entered are wrong."
    session = state.login("ME@example.com", "secret")
    assert isinstance(session, str)
    assert state.account_for_session(session).key == KEY


def test_a_revoked_key_finds_no_account(state):
    assert state.account_for_key(KEY) is not None
    assert state.account_for_key("") is None
    assert state.account_for_key("unknown") is None
    state.add_fault(Fault.from_dict({"kind": "revoke_key", "key": KEY}))
    assert state.account_for_key(KEY) is None


def test_a_torrent_link_that_is_not_a_torrent_is_dead_on_the_live_profile():
    state = _state(
        "live",
        direct_files=[
            {
                "url": "https://files.test/fake.torrent",
                "data_base64": base64.b64encode(b"not bencode").decode(),
            },
            {"url": "https://files.test/plain.bin", "size": 5},
        ],
    )
    account = state.account_for_key(KEY)
    refused = state.submit(account, "https://files.test/fake.torrent")
    assert isinstance(refused, Refusal)
    assert refused.offline
    missing = state.submit(account, "https://files.test/missing.torrent")
    assert isinstance(missing, Refusal)
    assert missing.offline


def test_an_account_that_cannot_download_gets_no_instant_link():
    state = SimState(
        load_scenario(
            {
                "api": {"profile": "rich"},
                "accounts": [
                    {"key": KEY, "can_download": False},
                    {"key": "F" * 32, "premium": False},
                ],
                "sites": [{"name": "good.test"}],
                "links": [{"url": "https://good.test/a", "file": FILE}],
            }
        )
    )
    barred = state.account_for_key(KEY)
    assert _error(state.instant(barred, "https://good.test/a")) == ERROR_PRESETS["not_allowed"]
    free = state.instant(state.account_for_key("F" * 32), "https://good.test/a")
    assert isinstance(free, Refusal)
    assert free.payload == {"not_available": "premium"}


def test_an_instant_archive_is_one_file_of_all_its_parts():
    state = _state(
        links=[
            {
                "url": "https://good.test/archive",
                "kind": "archive",
                "name": "pack.zip",
                "files": [FILE, {"name": "b.bin", "size": 24}],
            }
        ]
    )
    request = state.instant(state.account_for_key(KEY), "https://good.test/archive")
    assert not isinstance(request, Refusal)
    assert (request.file.name, request.file.size) == ("pack.zip", 1024)


def test_a_bare_hash_is_no_link_on_the_live_profile():
    state = _state("live")
    account = state.account_for_key(KEY)
    assert _error(state.submit(account, "ab" * 20)) == ERROR_PRESETS["incorrect_url"]


@pytest.mark.parametrize("profile", ["live", "rich"])
def test_a_malformed_link_is_an_incorrect_url_not_a_crash(profile):
    state = _state(profile)
    account = state.account_for_key(KEY)
    for url in ("http://[broken/x", "http://[broken/x.torrent"):
        assert _error(state.submit(account, url)) == ERROR_PRESETS["incorrect_url"], url


def _free_elsewhere(state: SimState) -> bool:
    """Whether another thread could take the state's lock right now."""
    got: list[bool] = []

    def attempt() -> None:
        taken = state.lock.acquire(blocking=False)
        if taken:
            state.lock.release()
        got.append(taken)

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join(10)
    return got == [True]


def test_the_state_lock_can_be_held_by_a_caller(state):
    with state.locked():
        assert not _free_elsewhere(state)
    assert _free_elsewhere(state)
