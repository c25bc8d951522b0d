"""Offcloud as a multi-hoster in a real pyLoad: the real plugins, real HTTP, the simulator as proxy.

One pyLoad process and one simulator serve the module (starting them takes a few seconds). The
plugins are installed with ``offcloud pyload install`` and the account is added through pyLoad's
web API, as a user would. Assertions are on files on disk (sha256), on pyLoad's API and on the
simulator's call log.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyload")

from offcloud_api.pyload.runner import FINAL_STATUSES, LinkStatus
from offcloud_api.pyload.stack import PROBE_URL, OffcloudPyloadStack
from offcloud_api.simulator import (
    DEMO_API_KEY,
    EXPIRED_API_KEY,
    NO_DOWNLOAD_API_KEY,
    expected_sha256,
    file_sha256,
)

DEFAULT_SCENARIO = (
    Path(__file__).parents[2] / "offcloud_api" / "simulator" / "default_scenario.json"
)

pytestmark = pytest.mark.e2e

INSTANT_LINK = "https://rapidgator.net/file/abc123/demo.bin"
CLOUD_ONLY_LINK = "https://nitroflare.com/view/CLOUD1/cloud-only.bin"
OFFLINE_LINK = "https://rapidgator.net/file/gone404/gone.bin"
SLOW_LINK = "https://nitroflare.com/view/SLOW01/slow.bin"
RESUME_LINK = "https://nitroflare.com/view/RESUME1/resume.bin"
IP_LINK = "https://rapidgator.net/file/newip1/new-ip.bin"
FOLDER_LINK = "https://example-hoster.test/folder/DemoFolder"
REMOVE_LINK = "https://nitroflare.com/view/REMOVE1/remove.bin"


def _scenario() -> dict[str, Any]:
    scenario = json.loads(DEFAULT_SCENARIO.read_text(encoding="utf-8"))
    scenario["links"].append(
        {"url": RESUME_LINK, "file": {"name": "resume.bin", "size": "2 MiB"}, "duration": 12}
    )
    scenario["links"].append(
        {"url": REMOVE_LINK, "file": {"name": "remove.bin", "size": "1 MiB"}, "duration": 1}
    )
    return scenario


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OffcloudPyloadStack]:
    home = tmp_path_factory.mktemp("multihoster")
    with OffcloudPyloadStack(home, scenario=_scenario()) as running:
        yield running


def _link_spec(stack: OffcloudPyloadStack, url: str) -> Any:
    return next(link for link in stack.simulator.scenario.links if link.url == url)


def _downloaded(stack: OffcloudPyloadStack, package: str, name: str) -> Path:
    return stack.process.package_folder(package) / name


def _file(stack: OffcloudPyloadStack, package: str) -> dict[str, Any]:
    files = [f for f in stack.process.files() if f["package_name"] == package]
    assert len(files) == 1, files
    return files[0]


def _wait_final(stack: OffcloudPyloadStack, package: str, timeout: float = 60) -> dict[str, Any]:
    stack.process.wait_until(
        lambda pl: _file(stack, package)["status"] in FINAL_STATUSES,
        timeout=timeout,
    )
    return _file(stack, package)


def _api_calls(stack: OffcloudPyloadStack, method: str, path: str, needle: str = "") -> list[Any]:
    return [
        call
        for call in stack.simulator.calls
        if call.kind == "api"
        and call.method == method
        and call.path == path
        and needle in (call.body_summary or "")
    ]


def test_account_is_valid_premium_with_its_expiry(stack: OffcloudPyloadStack) -> None:
    account = stack.account()
    assert account["valid"] is True
    assert account["premium"] is True
    assert account["trafficleft"] == -1
    expires = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=365)
    assert account["validuntil"] == calendar.timegm(expires.timetuple()) + 86399


def test_hoster_links_are_routed_to_offcloud(stack: OffcloudPyloadStack) -> None:
    links = [INSTANT_LINK, CLOUD_ONLY_LINK, "https://example-hoster.test/file/plain.bin"]
    mapped = stack.process.check_urls(links)
    # Hosts with their own pyLoad plugin keep its name in the queue but run ours (§2.2).
    assert mapped.get("OffcloudCom") == ["https://example-hoster.test/file/plain.bin"]
    assert "RapidgatorNet" in mapped


def test_supported_host_link_downloads_instant_with_the_right_sha256(
    stack: OffcloudPyloadStack,
) -> None:
    stack.process.add_package("instant", [INSTANT_LINK])
    final = _wait_final(stack, "instant")
    assert final["status"] == LinkStatus.FINISHED, final
    spec = _link_spec(stack, INSTANT_LINK).files[0]
    assert file_sha256(_downloaded(stack, "instant", spec.name)) == expected_sha256(spec)
    assert len(_api_calls(stack, "POST", "/api/instant", "abc123")) == 1
    assert _api_calls(stack, "POST", "/api/cloud", "abc123") == []


def test_cloud_only_link_waits_with_progress_then_downloads(stack: OffcloudPyloadStack) -> None:
    stack.process.add_package("cloud", [CLOUD_ONLY_LINK])
    seen: list[str] = []

    def progressed(pl: Any) -> bool:
        seen.extend(
            f"{entry['statusmsg']} {entry.get('percent')}"
            for entry in pl.status_downloads()
            if entry.get("statusmsg")
        )
        return _file(stack, "cloud")["status"] in FINAL_STATUSES

    stack.process.wait_until(progressed, timeout=60)
    assert _file(stack, "cloud")["status"] == LinkStatus.FINISHED
    assert any("Offcloud downloading" in line for line in seen), seen
    spec = _link_spec(stack, CLOUD_ONLY_LINK).files[0]
    assert file_sha256(_downloaded(stack, "cloud", spec.name)) == expected_sha256(spec)
    # The host is cloud only: no instant try, one submission, a handful of status polls.
    assert _api_calls(stack, "POST", "/api/instant", "CLOUD1") == []
    assert len(_api_calls(stack, "POST", "/api/cloud", "CLOUD1")) == 1
    polls = [c for c in stack.simulator.calls if c.path == "/api/cloud/status"]
    assert 1 <= len(polls) <= 10


def test_offline_link_ends_offline(stack: OffcloudPyloadStack) -> None:
    stack.process.add_package("offline", [OFFLINE_LINK])
    final = _wait_final(stack, "offline")
    assert final["status"] == LinkStatus.OFFLINE, final


def test_unconfirmed_ip_fails_with_the_instruction(stack: OffcloudPyloadStack) -> None:
    stack.process.add_package("new-ip", [IP_LINK])
    final = _wait_final(stack, "new-ip")
    assert final["status"] == LinkStatus.FAILED, final
    assert "confirmed" in final["error"]


def test_stop_during_a_cloud_wait_takes_effect_within_two_seconds(
    stack: OffcloudPyloadStack,
) -> None:
    stack.process.add_package("slow", [SLOW_LINK])
    stack.process.wait_until(
        lambda pl: "Offcloud" in (_file(stack, "slow").get("statusmsg") or ""), timeout=30
    )
    fid = _file(stack, "slow")["fid"]
    started = time.monotonic()
    stack.process.stop_downloads([fid])
    stack.process.wait_until(
        lambda pl: _file(stack, "slow")["status"] == LinkStatus.ABORTED, timeout=10, interval=0.2
    )
    assert time.monotonic() - started <= 2.0


def test_a_restart_of_pyload_resumes_the_same_offcloud_job(stack: OffcloudPyloadStack) -> None:
    stack.process.add_package("resume", [RESUME_LINK])
    stack.process.wait_until(
        lambda pl: "Offcloud" in (_file(stack, "resume").get("statusmsg") or ""), timeout=30
    )
    stack.restart_pyload(kill=True)
    # pyLoad marks unfinished links aborted on start; the user (or a restart addon) restarts it.
    stack.process.restart_file(_file(stack, "resume")["fid"])
    final = _wait_final(stack, "resume", timeout=60)
    assert final["status"] == LinkStatus.FINISHED, final
    assert len(_api_calls(stack, "POST", "/api/cloud", "RESUME1")) == 1
    spec = _link_spec(stack, RESUME_LINK).files[0]
    assert file_sha256(_downloaded(stack, "resume", spec.name)) == expected_sha256(spec)


def test_the_key_leaks_nowhere(stack: OffcloudPyloadStack) -> None:
    api_calls = [c for c in stack.simulator.calls if c.kind == "api"]
    assert api_calls
    assert {c.key_location for c in api_calls} == {"bearer"}
    for call in stack.simulator.calls:
        assert DEMO_API_KEY not in call.path
        assert not call.query_keys or "key" not in {k.lower() for k in call.query_keys}
    process = stack.process
    assert DEMO_API_KEY not in process.log_text()
    assert DEMO_API_KEY not in json.dumps(process.queue())
    assert DEMO_API_KEY.encode() not in process.database_bytes()


def test_an_invalid_key_makes_the_account_invalid(stack: OffcloudPyloadStack) -> None:
    account = stack.add_account("NotAValidKey00000000000000000000", login="wrong")
    try:
        assert account["valid"] is False
        assert account["premium"] is False
    finally:
        stack.process.remove_account("OffcloudCom", "wrong")
    # pyLoad switches a multi-hoster off when any login is removed; ours comes back by itself.
    stack.process.wait_for_plugin(PROBE_URL, "OffcloudCom", timeout=15)


def test_a_folder_expands_into_files_that_download_without_more_api_calls(
    stack: OffcloudPyloadStack,
) -> None:
    stack.process.add_package("folder", [FOLDER_LINK])
    stack.process.wait_until(
        lambda pl: _file(stack, "folder")["status"] in FINAL_STATUSES, timeout=60
    )
    original = _file(stack, "folder")
    assert original["status"] == LinkStatus.SKIPPED
    assert "Expanded into 2 files" in original["error"]
    spec = _link_spec(stack, FOLDER_LINK)
    expanded = {f.name: f for f in spec.files}
    stack.process.wait_until(
        lambda pl: (
            sum(f["status"] == LinkStatus.FINISHED for f in pl.files() if f["name"] in expanded)
            == len(expanded)
        ),
        timeout=60,
    )
    packages = {f["package_name"] for f in stack.process.files() if f["name"] in expanded}
    # A package per folder of the job, so the sub-folder is kept on disk (README, sub-folders).
    assert packages == {spec.name, f"{spec.name}/b"}
    for file_spec in spec.files:
        path = stack.process.storagedir / file_spec.path
        assert file_sha256(path) == expected_sha256(file_spec)
    downloads = [
        c for c in stack.simulator.calls if c.kind == "file" and "/cloud/download/" in c.path
    ]
    request_ids = {c.path.split("/")[3] for c in downloads}
    # The per-file links are Offcloud file URLs: fetched directly, never sent to the API again.
    for request_id in request_ids:
        assert not [
            c
            for c in stack.simulator.calls
            if c.kind == "api" and c.path == "/api/cloud" and request_id in (c.body_summary or "")
        ]


def test_remove_finished_removes_the_job_after_the_download(stack: OffcloudPyloadStack) -> None:
    stack.process.set_config_value("OffcloudCom", "remove_finished", True, plugin=True)
    try:
        stack.process.add_package("remove", [REMOVE_LINK])
        final = _wait_final(stack, "remove")
        assert final["status"] == LinkStatus.FINISHED, final
        added = _api_calls(stack, "POST", "/api/cloud", "REMOVE1")
        assert len(added) == 1
        request_id = added[0].request_id
        removals = [
            c
            for c in stack.simulator.calls
            if c.path in ("/api/cloud/remove", f"/cloud/remove/{request_id}")
            and (request_id in (c.body_summary or "") or request_id in c.path)
        ]
        assert removals, "the finished job was not removed from the cloud"
        assert removals[0].time >= added[0].time
    finally:
        stack.process.set_config_value("OffcloudCom", "remove_finished", False, plugin=True)


@pytest.mark.parametrize(
    ("key", "premium", "traffic"),
    [(NO_DOWNLOAD_API_KEY, True, 0), (EXPIRED_API_KEY, False, None)],
    ids=["cannot-download", "expired"],
)
def test_blocked_and_expired_accounts_are_shown_as_such(
    stack: OffcloudPyloadStack, key: str, premium: bool, traffic: int | None
) -> None:
    account = stack.add_account(key, login="other")
    try:
        assert account["valid"] is True
        assert account["premium"] is premium
        assert account["trafficleft"] == traffic
    finally:
        stack.process.remove_account("OffcloudCom", "other")
        stack.process.wait_for_plugin(PROBE_URL, "OffcloudCom", timeout=15)
