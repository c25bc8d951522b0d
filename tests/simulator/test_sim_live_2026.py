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

from offcloud_api.simulator import DEMO_API_KEY, ScenarioError, Simulator, expected_sha256

from .helpers import DEMO_LINK, PLAIN_LINK, SINGLE_FILE_JOB, bearer, make_scenario

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


@pytest.fixture
def session() -> Any:
    with requests.Session() as made:
        yield made


def call(
    session: requests.Session, sim: Simulator, method: str, path: str, **kwargs: Any
) -> requests.Response:
    kwargs.setdefault("headers", bearer())
    return session.request(method, sim.api_url + path, timeout=10, **kwargs)


def add(session: requests.Session, sim: Simulator, url: str) -> requests.Response:
    return call(session, sim, "POST", "/cloud", json={"url": url})


def control(session: requests.Session, sim: Simulator, method: str, path: str, **kw: Any) -> Any:
    answer = session.request(method, sim.url + path, timeout=10, **kw)
    assert answer.status_code < 300, answer.text
    return answer.json()


def state_account(session: requests.Session, sim: Simulator) -> dict[str, Any]:
    state = control(session, sim, "GET", "/_sim/state")
    return next(a for a in state["accounts"] if a["email"] == DEMO_EMAIL)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------------------
# L23: the cloud storage quota


def test_l23_every_job_counts_and_a_full_cloud_answers_not_available_cloud(session):
    presets = sum(
        f.size
        for job in make_scenario().jobs
        if job.account in (DEMO_API_KEY, DEMO_EMAIL)
        for f in job.files
    )
    demo_size = 4 * MIB  # demo.bin
    with Simulator(make_scenario(with_storage(presets + demo_size + 1))) as sim:
        assert state_account(session, sim)["storage_used"] == presets  # finished jobs count
        first = add(session, sim, DEMO_LINK)
        assert first.status_code == 200, first.text
        assert state_account(session, sim)["storage_used"] == presets + demo_size
        full = add(session, sim, DEMO_LINK)  # a hoster link: a new job each time (L5)
        assert full.status_code == 200  # the profile's error_status
        assert full.json() == {"not_available": "cloud"}
        cached = sim.scenario.torrent("Demo.Release")
        refused = add(session, sim, cached.magnet)  # a cached magnet counts too
        assert refused.json() == {"not_available": "cloud"}
        account = state_account(session, sim)
        assert account["cloud_full_refusals"] == 2
        assert account["storage_bytes"] == presets + demo_size + 1
        state = control(session, sim, "GET", "/_sim/state")
        assert state["cloud_full_refusals"] == 2
        calls = control(session, sim, "GET", "/_sim/calls")
        assert [c["fault"] for c in calls if c["kind"] == "api"] == [
            None,
            "cloud_full",
            "cloud_full",
        ]
        # Removing a job frees its bytes; then the add fits.
        removed = call(session, sim, "GET", f"/cloud/remove/{first.json()['requestId']}")
        assert removed.json() == {"success": True}
        assert state_account(session, sim)["storage_used"] == presets
        assert add(session, sim, DEMO_LINK).status_code == 200


def test_l23_the_same_magnet_again_needs_no_room_and_the_status_is_switchable(session):
    scenario = make_scenario(with_storage(1, cloud_full_status=507))
    with Simulator(scenario) as sim:
        full = add(session, sim, PLAIN_LINK)
        assert (full.status_code, full.json()) == (507, {"not_available": "cloud"})
        sim.set_storage(None)  # no cap
        magnet = sim.scenario.torrent("Demo.Single").magnet
        job = add(session, sim, magnet).json()["requestId"]
        sim.set_storage(1)
        again = add(session, sim, magnet)  # its job lives: the same job, no new bytes (L5)
        assert again.status_code == 200
        assert again.json()["requestId"] == job
        assert sim.storage()["cloud_full_refusals"] == 1


def test_l23_the_quota_is_set_through_the_control_api(session, simulator):
    assert state_account(session, simulator)["storage_bytes"] is None  # default: no cap
    assert add(session, simulator, PLAIN_LINK).status_code == 200
    answer = control(
        session,
        simulator,
        "POST",
        "/_sim/storage",
        json={"storage_bytes": "1 MiB", "account": DEMO_EMAIL},
    )
    assert answer["storage_bytes"] == MIB
    assert answer["storage_used"] > MIB
    assert add(session, simulator, PLAIN_LINK).json() == {"not_available": "cloud"}
    listed = control(session, simulator, "GET", "/_sim/storage")
    assert listed[0]["cloud_full_refusals"] == 1
    bad = session.post(simulator.url + "/_sim/storage", json={"storage_bytes": "lots"}, timeout=10)
    assert bad.status_code == 400
    unknown = session.post(
        simulator.url + "/_sim/storage", json={"storage_bytes": 1, "account": "x@y"}, timeout=10
    )
    assert unknown.status_code == 404
    assert session.post(simulator.url + "/_sim/storage", json={}, timeout=10).status_code == 400
    control(session, simulator, "POST", "/_sim/storage", json={"storage_bytes": None})
    assert add(session, simulator, PLAIN_LINK).status_code == 200
    control(session, simulator, "POST", "/_sim/reset", json={})
    assert state_account(session, simulator)["cloud_full_refusals"] == 0


def test_l23_the_quota_applies_on_rich_and_legacy_too(session):
    # legacy routes always answer 200 (SCENARIO.md, "api")
    for profile, expected in (("rich", 403), ("legacy", 200)):
        with Simulator(make_scenario(with_storage(1, error_status=403), profile=profile)) as sim:
            answer = add(session, sim, PLAIN_LINK)
            assert answer.status_code == expected
            assert answer.json() == {"not_available": "cloud"}


def test_l23_a_bad_quota_in_the_scenario_fails_at_start():
    with pytest.raises(ScenarioError, match="storage_bytes"):
        make_scenario(with_storage("a lot"))
    with pytest.raises(ScenarioError, match="cloud_full_status"):
        make_scenario({"api": {"cloud_full_status": 99}})


def test_l23_downloads_keep_the_content(session, simulator):
    # The quota changes nothing for files already in the cloud.
    simulator.set_storage(1)
    (url,) = call(session, simulator, "GET", f"/cloud/explore/{SINGLE_FILE_JOB}").json()
    job = simulator.scenario.job(SINGLE_FILE_JOB)
    body = session.get(url, timeout=10).content
    assert hashlib.sha256(body).hexdigest() == expected_sha256(job.files[0].seed, job.files[0].size)


# --------------------------------------------------------------------------------------------
# L24: downloads refused for the IP


def explore_one(session: requests.Session, sim: Simulator, request_id: str) -> str:
    (url,) = call(session, sim, "GET", f"/cloud/explore/{request_id}").json()
    return url  # type: ignore[no-any-return]


NOT_AUTHORIZED = "You are not authorized to download this file."


def test_l24_ip_refused_answers_not_authorized_as_json_403_by_default(session, simulator):
    url = explore_one(session, simulator, SINGLE_FILE_JOB)
    fault = control(session, simulator, "POST", "/_sim/faults", json={"kind": "ip_refused"})
    fault_id = fault["faults"][0]["id"]
    for _ in range(2):  # every download, until removed
        refused = session.get(url, timeout=10)
        assert refused.status_code == 403
        assert refused.headers["Content-Type"].startswith("application/json")
        assert refused.json() == {"error": NOT_AUTHORIZED}
    ranged = session.get(url, headers={"Range": "bytes=0-0"}, timeout=10)
    assert ranged.status_code == 403  # the one-byte probe is refused too
    assert call(session, simulator, "GET", "/account/info").status_code == 200  # API untouched
    control(session, simulator, "DELETE", f"/_sim/faults/{fault_id}")
    assert session.get(url, headers={"Range": "bytes=0-0"}, timeout=10).status_code == 206
    calls = control(session, simulator, "GET", "/_sim/calls")
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
    session, simulator, body, status, content_type, text
):
    url = explore_one(session, simulator, SINGLE_FILE_JOB)
    simulator.inject("ip_refused", body=body, status=status)
    refused = session.get(url, timeout=10)
    assert refused.status_code == status
    assert refused.headers["Content-Type"].startswith(content_type)
    assert text in refused.text
    if not text:
        assert refused.content == b""


def test_l24_a_refusal_for_some_wall_seconds_ends_by_itself(session, simulator):
    url = explore_one(session, simulator, SINGLE_FILE_JOB)
    fault = simulator.inject("ip_refused", for_seconds=0.5)
    assert session.get(url, timeout=10).status_code == 403
    listed = control(session, simulator, "GET", "/_sim/faults")
    assert 0 < listed[0]["seconds_left"] <= 0.5
    assert listed[0]["for_seconds"] == 0.5
    deadline = time.monotonic() + 30
    while session.get(url, timeout=10).status_code == 403:
        assert time.monotonic() < deadline, "the refusal never ended"
        time.sleep(0.05)
    assert time.monotonic() - fault.added_at >= 0.5
    assert simulator.faults == []


def test_l24_a_refusal_for_some_simulated_seconds_ends_with_the_clock(
    session, frozen_live_simulator
):
    sim = frozen_live_simulator
    url = explore_one(session, sim, SINGLE_FILE_JOB)
    control(
        session, sim, "POST", "/_sim/faults", json={"kind": "ip_refused", "for_sim_seconds": 45}
    )
    assert session.get(url, timeout=10).status_code == 403
    sim.advance(44)
    assert session.get(url, timeout=10).status_code == 403
    control(session, sim, "POST", "/_sim/clock", json={"advance": 1})
    assert session.get(url, timeout=10).status_code == 200
    # Timed faults of any kind end the same way (a state fault here).
    sim.inject("revoke_key", for_sim_seconds=10)
    assert call(session, sim, "GET", "/account/info").status_code == 401
    sim.advance(10)
    assert call(session, sim, "GET", "/account/info").status_code == 200


def test_l24_bad_refusal_fields_are_refused(session, simulator):
    for bad in (
        {"kind": "ip_refused", "body": "xml"},
        {"kind": "ip_refused", "for_seconds": 0},
        {"kind": "ip_refused", "for_sim_seconds": -1},
        {"kind": "file_drop", "after_bytes": -1},
    ):
        answer = session.post(simulator.url + "/_sim/faults", json=bad, timeout=10)
        assert answer.status_code == 400, bad
