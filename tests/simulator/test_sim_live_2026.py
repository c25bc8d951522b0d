"""The ``live`` profile, rows L19-L24 of docs/api.md §00: what the clients of the real service
in 2026 (ResolveURL, StremThru, MediaFusion, DMM) and Offcloud's own tracker show.

One test (or a few) per row, named after it (``pytest -k l23``), plain HTTP only (``requests``)
so they pin the server alone; each also checks the switch that turns the row's behaviour off.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

import pytest
import requests

from offcloud_api.simulator import (
    DEMO_API_KEY,
    EXPIRED_API_KEY,
    ScenarioError,
    Simulator,
    expected_sha256,
)

from .helpers import DEMO_LINK, PLAIN_LINK, SINGLE_FILE_JOB, add, bearer, call, make_scenario

DEMO_EMAIL = "demo@offcloud-sim.test"
DEMO_USER = "5f0c0ffee0c0ffee0c0ffee1"
MIB = 1 << 20


def with_storage(storage: Any, **api: Any) -> dict[str, Any]:
    """The demo account with a cloud quota (and ``api`` switches)."""
    extra: dict[str, Any] = {
        "accounts": [
            {
                "key": DEMO_API_KEY,
                "email": DEMO_EMAIL,
                "user_id": DEMO_USER,
                "storage_bytes": storage,
            }
        ]
    }
    if api:
        extra["api"] = api
    return extra


def control(http: requests.Session, sim: Simulator, method: str, path: str, **kw: Any) -> Any:
    answer = http.request(method, sim.url + path, timeout=10, **kw)
    assert answer.status_code < 300, answer.text
    return answer.json()


def state_account(http: requests.Session, sim: Simulator) -> dict[str, Any]:
    state = control(http, sim, "GET", "/_sim/state")
    return next(a for a in state["accounts"] if a["email"] == DEMO_EMAIL)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------------------
# L23: the cloud storage quota


def test_l23_every_job_counts_and_a_full_cloud_answers_not_available_cloud(http):
    presets = sum(
        f.size
        for job in make_scenario().jobs
        if job.account in (DEMO_API_KEY, DEMO_EMAIL)
        for f in job.files
    )
    demo_size = 4 * MIB  # demo.bin
    with Simulator(make_scenario(with_storage(presets + demo_size + 1))) as sim:
        assert state_account(http, sim)["storage_used"] == presets  # finished jobs count
        first = add(http, sim, DEMO_LINK)
        assert first.status_code == 200, first.text
        assert state_account(http, sim)["storage_used"] == presets + demo_size
        full = add(http, sim, DEMO_LINK)  # a hoster link: a new job each time (L5)
        assert full.status_code == 200  # the profile's error_status
        assert full.json() == {"not_available": "cloud"}
        cached = sim.scenario.torrent("Demo.Release")
        refused = add(http, sim, cached.magnet)  # a cached magnet counts too
        assert refused.json() == {"not_available": "cloud"}
        account = state_account(http, sim)
        assert account["cloud_full_refusals"] == 2
        assert account["storage_bytes"] == presets + demo_size + 1
        state = control(http, sim, "GET", "/_sim/state")
        assert state["cloud_full_refusals"] == 2
        calls = control(http, sim, "GET", "/_sim/calls")
        assert [c["fault"] for c in calls if c["kind"] == "api"] == [
            None,
            "cloud_full",
            "cloud_full",
        ]
        # Removing a job frees its bytes; then the add fits.
        removed = call(http, sim, "GET", f"/cloud/remove/{first.json()['requestId']}")
        assert removed.json() == {"success": True}
        assert state_account(http, sim)["storage_used"] == presets
        assert add(http, sim, DEMO_LINK).status_code == 200


def test_l23_the_same_magnet_again_needs_no_room_and_the_status_is_switchable(http):
    scenario = make_scenario(with_storage(1, cloud_full_status=507))
    with Simulator(scenario) as sim:
        full = add(http, sim, PLAIN_LINK)
        assert (full.status_code, full.json()) == (507, {"not_available": "cloud"})
        sim.set_storage(None)  # no cap
        magnet = sim.scenario.torrent("Demo.Single").magnet
        job = add(http, sim, magnet).json()["requestId"]
        sim.set_storage(1)
        again = add(http, sim, magnet)  # its job lives: the same job, no new bytes (L5)
        assert again.status_code == 200
        assert again.json()["requestId"] == job
        assert sim.storage()["cloud_full_refusals"] == 1


def test_l23_the_quota_is_set_through_the_control_api(http, simulator):
    assert state_account(http, simulator)["storage_bytes"] is None  # default: no cap
    assert add(http, simulator, PLAIN_LINK).status_code == 200
    answer = control(
        http,
        simulator,
        "POST",
        "/_sim/storage",
        json={"storage_bytes": "1 MiB", "account": DEMO_EMAIL},
    )
    assert answer["storage_bytes"] == MIB
    assert answer["storage_used"] > MIB
    assert add(http, simulator, PLAIN_LINK).json() == {"not_available": "cloud"}
    listed = control(http, simulator, "GET", "/_sim/storage")
    assert listed[0]["cloud_full_refusals"] == 1
    bad = http.post(simulator.url + "/_sim/storage", json={"storage_bytes": "lots"}, timeout=10)
    assert bad.status_code == 400
    unknown = http.post(
        simulator.url + "/_sim/storage", json={"storage_bytes": 1, "account": "x@y"}, timeout=10
    )
    assert unknown.status_code == 404
    assert http.post(simulator.url + "/_sim/storage", json={}, timeout=10).status_code == 400
    control(http, simulator, "POST", "/_sim/storage", json={"storage_bytes": None})
    assert add(http, simulator, PLAIN_LINK).status_code == 200
    control(http, simulator, "POST", "/_sim/reset", json={})
    assert state_account(http, simulator)["cloud_full_refusals"] == 0


def test_l23_the_quota_applies_on_rich_and_legacy_too(http):
    # legacy routes always answer 200 (SCENARIO.md, "api")
    for profile, expected in (("rich", 403), ("legacy", 200)):
        with Simulator(make_scenario(with_storage(1, error_status=403), profile=profile)) as sim:
            answer = add(http, sim, PLAIN_LINK)
            assert answer.status_code == expected
            assert answer.json() == {"not_available": "cloud"}


def test_l23_a_bad_quota_in_the_scenario_fails_at_start():
    with pytest.raises(ScenarioError, match="storage_bytes"):
        make_scenario(with_storage("a lot"))
    with pytest.raises(ScenarioError, match="cloud_full_status"):
        make_scenario({"api": {"cloud_full_status": 99}})


def test_l23_downloads_keep_the_content(http, simulator):
    # The quota changes nothing for files already in the cloud.
    simulator.set_storage(1)
    (url,) = call(http, simulator, "GET", f"/cloud/explore/{SINGLE_FILE_JOB}").json()
    job = simulator.scenario.job(SINGLE_FILE_JOB)
    body = http.get(url, timeout=10).content
    assert hashlib.sha256(body).hexdigest() == expected_sha256(job.files[0].seed, job.files[0].size)


# --------------------------------------------------------------------------------------------
# L24: downloads refused for the IP


def explore_one(http: requests.Session, sim: Simulator, request_id: str) -> str:
    (url,) = call(http, sim, "GET", f"/cloud/explore/{request_id}").json()
    return url  # type: ignore[no-any-return]


NOT_AUTHORIZED = "You are not authorized to download this file."


def test_l24_ip_refused_answers_not_authorized_as_json_403_by_default(http, simulator):
    url = explore_one(http, simulator, SINGLE_FILE_JOB)
    fault = control(http, simulator, "POST", "/_sim/faults", json={"kind": "ip_refused"})
    fault_id = fault["faults"][0]["id"]
    for _ in range(2):  # every download, until removed
        refused = http.get(url, timeout=10)
        assert refused.status_code == 403
        assert refused.headers["Content-Type"].startswith("application/json")
        assert refused.json() == {"error": NOT_AUTHORIZED}
    ranged = http.get(url, headers={"Range": "bytes=0-0"}, timeout=10)
    assert ranged.status_code == 403  # the one-byte probe is refused too
    assert call(http, simulator, "GET", "/account/info").status_code == 200  # API untouched
    control(http, simulator, "DELETE", f"/_sim/faults/{fault_id}")
    assert http.get(url, headers={"Range": "bytes=0-0"}, timeout=10).status_code == 206
    calls = control(http, simulator, "GET", "/_sim/calls")
    assert [c["fault"] for c in calls if c["kind"] == "file"] == ["ip_refused"] * 3 + [None]


@pytest.mark.parametrize(
    ("body", "status", "content_type", "text"),
    [
        ("html", 401, "text/html", NOT_AUTHORIZED),
        ("text", 403, "text/plain", NOT_AUTHORIZED),
        ("empty", 403, "text/html", ""),  # what pyLoad may pass on: a bare "403 Forbidden"
    ],
)
def test_l24_the_refusal_status_and_body_are_switchable(
    http, simulator, body, status, content_type, text
):
    url = explore_one(http, simulator, SINGLE_FILE_JOB)
    simulator.inject("ip_refused", body=body, status=status)
    refused = http.get(url, timeout=10)
    assert refused.status_code == status
    assert refused.headers["Content-Type"].startswith(content_type)
    assert text in refused.text
    if not text:
        assert refused.content == b""


def test_l24_a_refusal_for_some_wall_seconds_ends_by_itself(http, simulator):
    url = explore_one(http, simulator, SINGLE_FILE_JOB)
    fault = simulator.inject("ip_refused", for_seconds=0.5)
    assert http.get(url, timeout=10).status_code == 403
    listed = control(http, simulator, "GET", "/_sim/faults")
    assert 0 < listed[0]["seconds_left"] <= 0.5
    assert listed[0]["for_seconds"] == 0.5
    deadline = time.monotonic() + 30
    while http.get(url, timeout=10).status_code == 403:
        assert time.monotonic() < deadline, "the refusal never ended"
        time.sleep(0.05)
    assert time.monotonic() - fault.added_at >= 0.5
    assert simulator.faults == []
    # added_time is on the call log's clock: the calls made while it lasted are easy to pick.
    assert listed[0]["added_time"] == fault.added_time
    files = [c for c in simulator.calls if c.kind == "file"]
    during = [c for c in files if fault.added_time <= c.time < fault.added_time + 0.5]
    assert {c.fault for c in during} == {"ip_refused"}
    assert files[-1].fault is None
    assert files[-1].time >= fault.added_time + 0.5 - 0.01


def test_l24_a_refusal_for_some_simulated_seconds_ends_with_the_clock(http, frozen_live_simulator):
    sim = frozen_live_simulator
    url = explore_one(http, sim, SINGLE_FILE_JOB)
    control(http, sim, "POST", "/_sim/faults", json={"kind": "ip_refused", "for_sim_seconds": 45})
    assert http.get(url, timeout=10).status_code == 403
    sim.advance(44)
    assert http.get(url, timeout=10).status_code == 403
    control(http, sim, "POST", "/_sim/clock", json={"advance": 1})
    assert http.get(url, timeout=10).status_code == 200
    # Timed faults of any kind end the same way (a state fault here).
    sim.inject("revoke_key", for_sim_seconds=10)
    assert call(http, sim, "GET", "/account/info").status_code == 401
    sim.advance(10)
    assert call(http, sim, "GET", "/account/info").status_code == 200


def test_l24_bad_refusal_fields_are_refused(http, simulator):
    for bad in (
        {"kind": "ip_refused", "body": "xml"},
        {"kind": "ip_refused", "for_seconds": 0},
        {"kind": "ip_refused", "for_sim_seconds": -1},
        {"kind": "file_drop", "after_bytes": -1},
    ):
        answer = http.post(simulator.url + "/_sim/faults", json=bad, timeout=10)
        assert answer.status_code == 400, bad


# --------------------------------------------------------------------------------------------
# L14, L15 as the 2026 clients see them


def test_l14_folder_is_a_list_of_segments_by_default_and_a_string_by_switch(http):
    for folder, expected in (
        ("list", [["Demo.Release", "Sub"], ["Demo.Release", "Sub"], ["Demo.Release"]]),
        ("string", ["Demo.Release/Sub", "Demo.Release/Sub", "Demo.Release"]),
    ):
        extra = {} if folder == "list" else {"api": {"cache_info_folder": folder}}
        with Simulator(make_scenario(extra)) as sim:
            magnet = sim.scenario.torrent("Demo.Release").magnet
            body = {"urls": [magnet], "includeFiles": True}
            (answer,) = call(http, sim, "POST", "/cache/info", json=body).json()
            assert [f["folder"] for f in answer["files"]] == expected


def test_l15_post_removal_answers_success_and_the_cdn_link_keeps_working(http, simulator):
    request_id = add(http, simulator, PLAIN_LINK).json()["requestId"]
    simulator.advance(60)
    url = explore_one(http, simulator, request_id)
    removed = call(http, simulator, "POST", "/cloud/remove", json={"requests": [request_id]})
    assert (removed.status_code, removed.json()) == (200, {"success": True})
    history = call(http, simulator, "GET", "/cloud/history").json()
    assert request_id not in [item["requestId"] for item in history]
    assert call(http, simulator, "GET", f"/cloud/explore/{request_id}").status_code == 404
    played = http.get(url, timeout=10)  # removed first, played after (ResolveURL)
    assert played.status_code == 200
    spec = simulator.state.jobs[request_id].files[0]
    assert hashlib.sha256(played.content).hexdigest() == expected_sha256(spec.seed, spec.size)
    missing = call(http, simulator, "POST", "/cloud/remove", json={})
    assert missing.status_code == 400
    unknown = call(http, simulator, "POST", "/cloud/remove", json={"requests": ["0" * 24]})
    assert unknown.json() == {"success": True}  # not captured: the same answer


def test_l15_the_switch_kills_a_removed_jobs_cdn_links(http):
    with Simulator(make_scenario({"api": {"cdn_links_outlive_jobs": False}})) as sim:
        url = explore_one(http, sim, SINGLE_FILE_JOB)
        call(http, sim, "POST", "/cloud/remove", json={"requests": [SINGLE_FILE_JOB]})
        assert http.get(url, timeout=10).status_code == 404


# --------------------------------------------------------------------------------------------
# L19: cache/download


def test_l19_cache_download_gives_cdn_links_of_a_cached_magnet_and_no_job(http, simulator):
    release = simulator.scenario.torrent("Demo.Release")
    jobs = set(simulator.state.jobs)
    simulator.set_storage(1)  # no job, so no room needed (not captured: it does not count)
    answer = call(http, simulator, "POST", "/cache/download", json={"url": release.magnet})
    assert answer.status_code == 200
    files = answer.json()
    assert [set(item) for item in files] == [{"filename", "url", "size"}] * len(release.files)
    assert [item["filename"] for item in files] == [spec.path for spec in release.files]
    assert [item["size"] for item in files] == [spec.size for spec in release.files]
    assert set(simulator.state.jobs) == jobs
    assert simulator.storage()["cloud_full_refusals"] == 0
    for item, spec in zip(files, release.files):
        assert "/cdn3sto/" in item["url"]
        body = http.get(item["url"], timeout=10).content
        assert hashlib.sha256(body).hexdigest() == expected_sha256(spec.seed, spec.size)
    # Through the proxy the links are on the CDN's domain (L11).
    proxied = http.post(
        "https://offcloud.com/api/cache/download",
        json={"url": release.magnet},
        headers=bearer(),
        proxies={"https": simulator.proxy_url},
        verify=simulator.ca_cert_path,
        timeout=10,
    ).json()
    assert all(".energycdn.com/cdn3sto/" in item["url"] for item in proxied)
    uncached = simulator.scenario.torrent("Demo.Uncached")
    for url in (uncached.magnet, release.info_hash):  # not captured: nothing ready
        assert call(http, simulator, "POST", "/cache/download", json={"url": url}).json() == []
    assert call(http, simulator, "POST", "/cache/download", json={}).status_code == 400


def test_l19_the_switch_turns_cache_download_into_the_html_404_page(http):
    with Simulator(make_scenario({"api": {"cache_download": False}})) as sim:
        magnet = sim.scenario.torrent("Demo.Release").magnet
        for headers in (bearer(), {}):
            answer = call(
                http, sim, "POST", "/cache/download", json={"url": magnet}, headers=headers
            )
            assert answer.status_code == 404
            assert answer.headers["Content-Type"].startswith("text/html")


def test_l19_a_plan_gap_and_the_storage_switch(http):
    scenario = make_scenario(with_storage(1, cache_download_uses_storage=True))
    with Simulator(scenario) as sim:
        magnet = sim.scenario.torrent("Demo.Release").magnet
        full = call(http, sim, "POST", "/cache/download", json={"url": magnet})
        assert full.json() == {"not_available": "cloud"}
        assert sim.storage()["cloud_full_refusals"] == 1
        sim.set_storage(None)
        assert len(call(http, sim, "POST", "/cache/download", json={"url": magnet}).json()) == 3
        expired = call(
            http,
            sim,
            "POST",
            "/cache/download",
            json={"url": magnet},
            headers=bearer(EXPIRED_API_KEY),
        )
        assert expired.json() == {"not_available": "premium"}


# --------------------------------------------------------------------------------------------
# L20: form-encoded bodies


def test_l20_form_bodies_are_read_like_json_on_cloud_cache_and_status(http, simulator):
    release = simulator.scenario.torrent("Demo.Release")
    added = call(http, simulator, "POST", "/cloud", data={"url": PLAIN_LINK})
    assert added.status_code == 200
    request_id = added.json()["requestId"]
    status = call(http, simulator, "POST", "/cloud/status", data={"requestId": request_id})
    assert status.json()["status"]["requestId"] == request_id
    hits = call(
        http, simulator, "POST", "/cache", data={"hashes": [release.info_hash, "0" * 40]}
    ).json()
    assert hits == {"cachedItems": [release.info_hash]}
    one = call(http, simulator, "POST", "/cache", data={"hashes[]": release.info_hash}).json()
    assert one == {"cachedItems": [release.info_hash]}
    info = call(
        http,
        simulator,
        "POST",
        "/cache/info",
        data={"urls": release.magnet, "includeFiles": "true"},
    ).json()
    assert info[0]["cached"] is True
    assert len(info[0]["files"]) == 3
    many = call(http, simulator, "POST", "/cloud/status", data={"requestIds": [request_id]})
    assert many.status_code == 400  # still one id per call (L8)
    log = [c for c in simulator.calls if c.kind == "api"]
    assert log[0].body_summary == f'{{"url":"{PLAIN_LINK}"}}'


def test_l20_the_switch_reads_json_only(http):
    with Simulator(make_scenario({"api": {"form_bodies": False}})) as sim:
        for path, data in (
            ("/cloud", {"url": PLAIN_LINK}),
            ("/cloud/status", {"requestId": SINGLE_FILE_JOB}),
            ("/cache", {"hashes": "0" * 40}),
        ):
            assert call(http, sim, "POST", path, data=data).status_code == 400


# --------------------------------------------------------------------------------------------
# L21: CORS


def test_l21_a_preflight_allows_authorization_and_answers_carry_allow_origin(http, simulator):
    preflight = http.options(
        simulator.api_url + "/cloud",
        headers={
            "Origin": "https://debridmediamanager.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
        timeout=10,
    )
    assert preflight.status_code in (200, 204)
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    allowed = {
        h.strip().lower() for h in preflight.headers["Access-Control-Allow-Headers"].split(",")
    }
    assert {"authorization", "content-type"} <= allowed
    answer = call(http, simulator, "GET", "/account/info")
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    refused = call(http, simulator, "GET", "/account/info", headers={})
    assert refused.status_code == 401
    assert refused.headers["Access-Control-Allow-Origin"] == "*"
    control_answer = http.get(simulator.url + "/_sim/state", timeout=10)
    assert "Access-Control-Allow-Origin" not in control_answer.headers  # never for the control API
    methods = [c.method for c in simulator.calls if c.kind == "api"]
    assert methods == ["OPTIONS", "GET", "GET"]


def test_l21_the_switch_turns_cors_off(http):
    with Simulator(make_scenario({"api": {"cors": False}})) as sim:
        preflight = http.options(sim.api_url + "/cloud", timeout=10)
        assert preflight.status_code == 405
        assert "Access-Control-Allow-Origin" not in preflight.headers
        answer = call(http, sim, "GET", "/account/info")
        assert "Access-Control-Allow-Origin" not in answer.headers


# --------------------------------------------------------------------------------------------
# L22: HTML error pages with HTTP 200


def test_l22_the_switch_serves_the_html_404_and_405_pages_with_200(http):
    with Simulator(make_scenario({"api": {"html_errors_200": True}})) as sim:
        unknown = call(http, sim, "POST", "/instant", json={"url": PLAIN_LINK})
        wrong_verb = call(http, sim, "GET", "/cloud")
        for answer in (unknown, wrong_verb):
            assert answer.status_code == 200
            assert answer.headers["Content-Type"].startswith("text/html")
            with pytest.raises(ValueError):
                answer.json()
        assert "Page not found" in unknown.text
        assert "405 Method Not Allowed" in wrong_verb.text
    with Simulator(make_scenario()) as sim:  # default: the real statuses (L3)
        assert call(http, sim, "POST", "/instant", json={}).status_code == 404
        assert call(http, sim, "GET", "/cloud").status_code == 405
