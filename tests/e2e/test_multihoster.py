"""Offcloud as a multi-hoster in a real pyLoad: the real plugins, real HTTP, the simulator as proxy.

One pyLoad process and one simulator serve the module (starting them takes a few seconds). The
plugins are installed with ``offcloud pyload install`` and the account is added through pyLoad's
web API, as a user would. Assertions are on files on disk (sha256), on pyLoad's API and on the
simulator's call log.

The simulator runs its default ``live`` profile, the 2026 API as live probes measured it
(docs/api.md L1-L18): a hoster link costs ``POST /api/cloud``, its status polls and
one explore, never an instant call (L4); its file comes from a signed CDN link on
``*.energycdn.com`` that names no job (L11); removal is ``GET /api/cloud/remove/{id}`` (L15).
Only the instant route itself is checked elsewhere: on the ``legacy`` profile, the one API where
the plugins still take it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional
from urllib.parse import quote

import pytest

pytest.importorskip("pyload")

from offcloud_api.harness.runner import FINAL_STATUSES, LinkStatus
from offcloud_api.harness.stack import PROBE_URL, OffcloudPyloadStack
from offcloud_api.simulator import (
    DEMO_API_KEY,
    EXPIRED_API_KEY,
    NO_DOWNLOAD_API_KEY,
    expected_sha256,
    file_sha256,
)

from .conftest import StackSpec, resume_notes, started_stack
from .conftest import api_calls as _api_calls

DEFAULT_SCENARIO = (
    Path(__file__).parents[2] / "offcloud_api" / "simulator" / "default_scenario.json"
)

pytestmark = pytest.mark.e2e

#: A link of a healthy site: instant on the legacy API, a cloud job on live.
INSTANT_LINK = "https://rapidgator.net/file/abc123/demo.bin"
CLOUD_ONLY_LINK = "https://nitroflare.com/view/CLOUD1/cloud-only.bin"
OFFLINE_LINK = "https://rapidgator.net/file/gone404/gone.bin"
SLOW_LINK = "https://nitroflare.com/view/SLOW01/slow.bin"
RESUME_LINK = "https://nitroflare.com/view/RESUME1/resume.bin"
IP_LINK = "https://rapidgator.net/file/newip1/new-ip.bin"
FOLDER_LINK = "https://example-hoster.test/folder/DemoFolder"
REMOVE_LINK = "https://nitroflare.com/view/REMOVE1/remove.bin"
#: A file of a host Offcloud does not support: pyLoad's own plugin downloads it, no API call.
DIRECT_LINK = "https://files.plain-host.test/plain/direct.bin"
#: What a hoster link's job may ask Offcloud: its add, its status polls and its explore.
JOB_ROUTES = {"POST /api/cloud", "POST /api/cloud/status", "GET /api/cloud/explore/{id}"}
#: A key no account has, used by the invalid-key test; it must not leak either.
INVALID_API_KEY = "NotAValidKey00000000000000000000"


def _scenario() -> dict[str, Any]:
    scenario = json.loads(DEFAULT_SCENARIO.read_text(encoding="utf-8"))
    scenario["links"].append(
        {"url": RESUME_LINK, "file": {"name": "resume.bin", "size": "2 MiB"}, "duration": 12}
    )
    scenario["links"].append(
        {"url": REMOVE_LINK, "file": {"name": "remove.bin", "size": "1 MiB"}, "duration": 1}
    )
    scenario["direct_files"].append({"url": DIRECT_LINK, "size": "256 KiB", "seed": "direct"})
    return scenario


def _live_scenario() -> dict[str, Any]:
    scenario = _scenario()
    assert scenario["api"]["profile"] == "live"  # what these tests are about
    return scenario


def _legacy_scenario() -> dict[str, Any]:
    scenario = _scenario()
    scenario["api"]["profile"] = "legacy"
    return scenario


#: Seconds between the checks whether Offcloud takes this IP again (the option's default is 60).
IP_CHECK = 3
STACK = StackSpec("multihoster", _live_scenario, options=[("OffcloudCom", "ip_check", IP_CHECK)])


@pytest.fixture(scope="module")
def legacy_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OffcloudPyloadStack]:
    """A second pyLoad against a simulator on the ``legacy`` profile: an API with instant."""
    legacy = StackSpec("multihoster-legacy", _legacy_scenario)
    with started_stack(tmp_path_factory, legacy) as running:
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


def _assert_only_the_jobs_calls(stack: OffcloudPyloadStack, start: int, request_id: str) -> None:
    """Since call ``start``: until the file was downloaded, the job's own calls (add, polls,
    explore) and nothing else (no account or host-list look-up, no retry); after it, at most
    the clean-up addon's removal of that job (on by default: it removes a job once every file
    from it is downloaded)."""
    calls = stack.simulator.calls[start:]
    downloaded = max(c.time for c in calls if c.kind == "file")
    api = [c for c in calls if c.kind == "api"]
    routes = {
        f"{c.method} {c.path}".replace(str(c.request_id), "{id}") if c.request_id else
        f"{c.method} {c.path}"
        for c in api
        if c.time <= downloaded
    }  # fmt: skip
    assert routes <= JOB_ROUTES, routes
    after = [f"{c.method} {c.path}" for c in api if c.time > downloaded]
    assert after in ([], [f"GET /api/cloud/remove/{request_id}"]), after


def _job_of(stack: OffcloudPyloadStack, needle: str) -> str:
    """The request id of the one job added for the link containing ``needle``."""
    (added,) = _api_calls(stack, "POST", "/api/cloud", needle)
    assert added.status == 200, added
    assert added.request_id, added
    return str(added.request_id)


def _cdn_job(stack: OffcloudPyloadStack, call: Any) -> Optional[str]:
    """The job whose explore signed the CDN link of the file request ``call`` (None: not one)."""
    parts = call.path.split("/")
    if not call.host.endswith(".energycdn.com") or len(parts) < 5 or parts[1] != "cdn3sto":
        return None
    issued = stack.simulator.state.cdn_links.get(parts[3])
    return None if issued is None else str(issued.request_id)


def _assert_live_route(stack: OffcloudPyloadStack, request_id: str) -> None:
    """The live way of a hoster link's job (L4, L10, L11): one explore (detailed) and its files
    from signed CDN links of that job, fetched without the key."""
    explores = [
        c
        for c in stack.simulator.calls
        if c.kind == "api"
        and c.path.startswith("/api/cloud/explore/")
        and c.path.endswith(request_id)
    ]
    assert len(explores) == 1, explores
    assert explores[0].status == 200
    assert "format" in explores[0].query_keys  # ?format=detailed
    files = [
        c for c in stack.simulator.calls if c.kind == "file" and _cdn_job(stack, c) == request_id
    ]
    assert files, "no file request went to a CDN link of the job"
    assert all(c.key_locations == () for c in files), files
    assert not [
        c for c in stack.simulator.calls if c.kind == "file" and "/cloud/download/" in c.path
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


def test_supported_host_link_goes_through_one_cloud_job_with_the_right_sha256(
    stack: OffcloudPyloadStack,
) -> None:
    start = len(stack.simulator.calls)
    stack.process.add_package("healthy", [INSTANT_LINK])
    final = _wait_final(stack, "healthy")
    assert final["status"] == LinkStatus.FINISHED, final
    spec = _link_spec(stack, INSTANT_LINK).files[0]
    assert file_sha256(_downloaded(stack, "healthy", spec.name)) == expected_sha256(spec)
    # 1 add + its polls + 1 explore, and not one call to the instant route that is not there.
    request_id = _job_of(stack, "abc123")
    assert [c for c in stack.simulator.calls if c.path.startswith("/api/instant")] == []
    polls = [c for c in stack.simulator.calls if c.path == "/api/cloud/status"]
    assert 1 <= len([c for c in polls if c.request_id == request_id]) <= 10
    _assert_live_route(stack, request_id)
    _assert_only_the_jobs_calls(stack, start, request_id)


def test_a_direct_link_of_an_unsupported_host_costs_no_api_call(stack: OffcloudPyloadStack) -> None:
    start = len(stack.simulator.calls)
    stack.process.add_package("direct", [DIRECT_LINK])
    final = _wait_final(stack, "direct")
    assert final["status"] == LinkStatus.FINISHED, final
    assert final["plugin"] != "OffcloudCom", final
    assert _downloaded(stack, "direct", "direct.bin").stat().st_size == 256 * 1024
    assert [c for c in stack.simulator.calls[start:] if c.kind == "api"] == []


def test_supported_host_link_downloads_instant_where_the_api_has_it(
    legacy_stack: OffcloudPyloadStack,
) -> None:
    # The live API has no instant route (L4), but the plugin still takes it where the account's
    # API has one: this is the one end-to-end check of that path. It runs on `legacy`, not
    # `rich`: the client takes instant only on the legacy generation (`instant_available()` is
    # False on any 2026 API, rich included, as the probes say the 2026 API has no instant).
    stack = legacy_stack
    assert stack.simulator.state.snapshot()["profile"] == "legacy"
    stack.process.add_package("instant", [INSTANT_LINK])
    final = _wait_final(stack, "instant")
    assert final["status"] == LinkStatus.FINISHED, final
    spec = _link_spec(stack, INSTANT_LINK).files[0]
    assert file_sha256(_downloaded(stack, "instant", spec.name)) == expected_sha256(spec)
    assert len(_api_calls(stack, "POST", "/api/instant", "abc123")) == 1
    assert _api_calls(stack, "POST", "/api/cloud", "abc123") == []
    assert not [c for c in stack.simulator.calls if "explore" in c.path]


def test_cloud_only_link_waits_with_progress_then_downloads(stack: OffcloudPyloadStack) -> None:
    start = len(stack.simulator.calls)
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
    # No instant try, one submission, a handful of status polls, one explore.
    assert _api_calls(stack, "POST", "/api/instant", "CLOUD1") == []
    request_id = _job_of(stack, "CLOUD1")
    polls = [c for c in stack.simulator.calls if c.path == "/api/cloud/status"]
    assert 1 <= len([c for c in polls if c.request_id == request_id]) <= 10
    _assert_live_route(stack, request_id)
    _assert_only_the_jobs_calls(stack, start, request_id)


def test_offline_link_ends_offline(stack: OffcloudPyloadStack) -> None:
    first = len(stack.simulator.calls)
    stack.process.add_package("offline", [OFFLINE_LINK])
    final = _wait_final(stack, "offline")
    assert final["status"] == LinkStatus.OFFLINE, final
    # L6: HTTP 500 with the bare string "Error parsing url - HTTP code: 404 ", Offcloud's words
    # kept; one add, no history look-up or second add (a refusal, not a lost answer).
    assert "Error parsing url - HTTP code: 404" in final["error"]
    calls = [c for c in stack.simulator.calls[first:] if c.kind == "api"]
    adds = [c for c in calls if c.path == "/api/cloud" and "gone404" in (c.body_summary or "")]
    assert [c.status for c in adds] == [500]
    assert not [c for c in calls if c.path == "/api/cloud/history"]


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
    # The addon notes the links to restart every few seconds; killed before, a link stays as
    # pyLoad leaves it (aborted).
    fid = _file(stack, "resume")["fid"]
    stack.process.wait_until(lambda pl: fid in resume_notes(pl), timeout=30)
    stack.restart_pyload(kill=True)
    # pyLoad marks unfinished links aborted on start; the addon restarts the Offcloud links it
    # noted (offcloud_api.pyload.resume), with no hand of the user.
    # Aborted at first (pyLoad's start), then restarted by the addon: wait for it to finish.
    stack.process.wait_until(
        lambda pl: _file(stack, "resume")["status"] == LinkStatus.FINISHED, timeout=60
    )
    final = _file(stack, "resume")
    assert final["status"] == LinkStatus.FINISHED, final
    request_id = _job_of(stack, "RESUME1")  # one submission: the same job went on
    _assert_live_route(stack, request_id)
    spec = _link_spec(stack, RESUME_LINK).files[0]
    assert file_sha256(_downloaded(stack, "resume", spec.name)) == expected_sha256(spec)


def test_an_invalid_key_makes_the_account_invalid(stack: OffcloudPyloadStack) -> None:
    account = stack.add_account(INVALID_API_KEY, login="wrong")
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
    # A package per folder of the job, so the sub-folder is kept on disk (docs/links.md).
    assert packages == {spec.name, f"{spec.name}/b"}
    for file_spec in spec.files:
        path = stack.process.storagedir / file_spec.path
        assert file_sha256(path) == expected_sha256(file_spec)
    request_id = _job_of(stack, "DemoFolder")
    # The per-file links are the job's signed CDN links (L11), one per file, queued by the
    # downloader with their job noted: fetched directly, never sent to the API again.
    downloads = [c for c in stack.simulator.calls if c.kind == "file"]
    mine = [c for c in downloads if _cdn_job(stack, c) == request_id]
    assert {c.path.rsplit("/", 1)[1] for c in mine} == {quote(name) for name in expanded}
    _assert_live_route(stack, request_id)
    for call in mine:
        assert not [
            c
            for c in stack.simulator.calls
            if c.kind == "api" and c.path == "/api/cloud" and call.path in (c.body_summary or "")
        ]


def test_remove_finished_removes_the_job_after_the_download(stack: OffcloudPyloadStack) -> None:
    stack.process.set_config_value("OffcloudCom", "remove_finished", True, plugin=True)
    try:
        stack.process.add_package("remove", [REMOVE_LINK])
        final = _wait_final(stack, "remove")
        assert final["status"] == LinkStatus.FINISHED, final
        request_id = _job_of(stack, "REMOVE1")
        _assert_live_route(stack, request_id)
        # L15: GET /api/cloud/remove/{id}, once the file is on disk; the first route the client
        # tries, so no other removal route is called.
        removals = [
            c
            for c in stack.simulator.calls
            if "/remove" in c.path and (request_id in c.path or request_id in c.body_summary)
        ]
        assert [(c.method, c.path, c.status) for c in removals] == [
            ("GET", f"/api/cloud/remove/{request_id}", 200)
        ], "the finished job was not removed from the cloud as L15 says"
        last_byte = max(c.time for c in stack.simulator.calls if _cdn_job(stack, c) == request_id)
        assert removals[0].time >= last_byte
        (job,) = [
            j for j in stack.simulator.state.snapshot()["jobs"] if j["request_id"] == request_id
        ]
        assert job["removed"] is True
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


def test_an_ip_to_confirm_makes_the_link_wait_with_the_instruction(
    stack: OffcloudPyloadStack,
) -> None:
    """The legacy IP text (docs/api.md §4.1, L24): only the user can fix it on offcloud.com, so
    the link waits saying what to do, never fails, and costs no call between the IP checks.
    Near the end of the module: the account pauses for every link while it lasts."""
    stack.process.add_package("new-ip", [IP_LINK])

    def waiting_for_the_ip(pl: Any) -> bool:
        link = _file(stack, "new-ip")
        return link["status"] == LinkStatus.WAITING and "IP" in (link.get("error") or "")

    stack.process.wait_until(waiting_for_the_ip, timeout=60)
    assert "offcloud.com" in _file(stack, "new-ip")["error"]
    # Two more IP checks (ip_check is IP_CHECK seconds here): it still waits, and each check
    # costs at most the one add it tries.
    start = len(stack.simulator.calls)
    time.sleep(2 * IP_CHECK + 4)
    link = _file(stack, "new-ip")
    assert link["status"] not in FINAL_STATUSES, link
    assert len(_api_calls(stack, since=start)) <= 3
    stack.process.delete_packages([link["package_id"]])


def test_the_key_and_the_signed_links_leak_nowhere(stack: OffcloudPyloadStack) -> None:
    """Last in the module: after every download, refresh, removal and account change above."""
    keys = (DEMO_API_KEY, EXPIRED_API_KEY, NO_DOWNLOAD_API_KEY, INVALID_API_KEY)
    api_calls = [c for c in stack.simulator.calls if c.kind == "api"]
    assert api_calls
    assert {c.key_location for c in api_calls} == {"bearer"}
    # The key in no URL the simulator saw: API calls, CDN downloads, proxy tunnels.
    for call in stack.simulator.calls:
        url = f"{call.host}{call.path}"
        assert not [key for key in keys if key in url], call
        assert "query" not in call.key_locations, call
        assert not {k.lower() for k in call.query_keys} & {"key", "apikey", "api_key"}, call
    # CDN links need no key (L11): none was sent with a download.
    downloads = [c for c in stack.simulator.calls if c.kind == "file"]
    assert downloads
    assert all(c.key_locations == () for c in downloads), downloads
    process = stack.process
    log = process.log_text()
    for key in keys:
        assert key not in log
        assert key not in json.dumps(process.queue())
        assert key.encode() not in process.database_bytes()
    # The signed part of every CDN link Offcloud handed out is masked in pyLoad's log like a key
    # (L11); the link itself is in the queue, where pyLoad needs it to download.
    tokens = set(stack.simulator.state.cdn_links)
    assert tokens
    assert [token for token in tokens if token in log] == []


def test_the_removal_url_is_never_logged(stack: OffcloudPyloadStack) -> None:
    """L15: removal is a GET that deletes ("never log or render that URL")."""
    removals = [c.path for c in stack.simulator.calls if c.path.startswith("/api/cloud/remove/")]
    assert removals, "run the whole module: remove_finished removes a job above"
    log = stack.process.log_text()
    assert [path for path in removals if path in log] == []
