"""The control API (/_sim), faults and the call log."""

from __future__ import annotations

import time

import pytest

from offcloud_api import JobStatus
from offcloud_api.exceptions import CloudJobError, FileOfflineError, HostUnavailableError
from offcloud_api.simulator import DEMO_API_KEY, FaultError

from .helpers import DEMO_LINK, ERRORED_JOB, PLAIN_LINK, bearer

WAIT = {"poll_interval": 0.01, "max_interval": 0.05, "timeout": 10}


def test_faults_through_the_control_endpoint(simulator, http):
    added = http.post(
        simulator.url + "/_sim/faults",
        json={"kind": "rate_limit", "count": 2, "retry_after": 7, "path": "/api/sites"},
        timeout=10,
    )
    assert added.status_code == 201
    (fault,) = added.json()["faults"]
    assert fault["id"]
    limited = http.get(simulator.api_url + "/sites", headers=bearer(), timeout=10)
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "7")
    assert http.get(
        simulator.api_url + "/account/info", headers=bearer(), timeout=10
    ).ok  # other path
    listed = http.get(simulator.url + "/_sim/faults", timeout=10).json()
    assert [(f["id"], f["hits"], f["count"]) for f in listed] == [(fault["id"], 1, 1)]
    assert http.delete(simulator.url + f"/_sim/faults/{fault['id']}", timeout=10).json() == {
        "success": True
    }
    assert http.get(simulator.api_url + "/sites", headers=bearer(), timeout=10).ok


def test_bad_faults_are_refused(simulator, http):
    answer = http.post(simulator.url + "/_sim/faults", json={"kind": "meteor"}, timeout=10)
    assert answer.status_code == 400
    assert "unknown fault kind" in answer.json()["error"]
    with pytest.raises(FaultError):
        simulator.inject("link_error", link=DEMO_LINK)  # needs a message


def test_faults_from_the_scenario(http):
    from offcloud_api.simulator import Simulator  # noqa: PLC0415

    from .helpers import make_scenario  # noqa: PLC0415

    scenario = make_scenario({"faults": [{"kind": "server_error", "count": 1, "status": 503}]})
    with Simulator(scenario) as sim:
        answer = http.get(sim.api_url + "/sites", headers=bearer(), timeout=10)
        assert answer.status_code == 503
        assert "<h1>503 Service Unavailable</h1>" in answer.text
        assert http.get(sim.api_url + "/sites", headers=bearer(), timeout=10).ok


def test_skip_lets_requests_through_first(simulator, http):
    simulator.inject("server_error", skip=1, count=1)
    codes = [
        http.get(simulator.api_url + "/sites", headers=bearer(), timeout=10).status_code
        for _ in range(3)
    ]
    assert codes == [200, 500, 200]


def test_delay(simulator, http):
    simulator.inject("delay", delay=0.3, count=1)
    started = time.monotonic()
    assert http.get(simulator.api_url + "/sites", headers=bearer(), timeout=10).ok
    assert time.monotonic() - started >= 0.3


def test_link_faults(rich_simulator, client_for):
    client = client_for(rich_simulator)
    rich_simulator.inject("link_offline", link=PLAIN_LINK)
    with pytest.raises(FileOfflineError):
        client.cloud(PLAIN_LINK)
    quota = rich_simulator.inject("link_error", link=DEMO_LINK, message="quota", route="instant")
    with pytest.raises(HostUnavailableError, match=r"quota for rapidgator\.net"):
        client.instant(DEMO_LINK)
    assert client.cloud(DEMO_LINK).request_id  # only instant is affected
    rich_simulator.remove_fault(quota)
    assert client.instant(DEMO_LINK).url


def test_link_faults_also_hit_the_link_a_hoster_plugin_shortened(rich_simulator, client_for):
    # pyLoad's RapidgatorNet sends .../file/abc123 for .../file/abc123/demo.bin; Offcloud knows
    # the file either way, and so does a fault on it.
    client = client_for(rich_simulator)
    short = DEMO_LINK.rpartition("/")[0]
    offline = rich_simulator.inject("link_offline", link=DEMO_LINK)
    with pytest.raises(FileOfflineError):
        client.instant(short)
    rich_simulator.remove_fault(offline)
    rich_simulator.inject("job_error", link=DEMO_LINK, message="Error during downloading demo.bin")
    job = client.cloud(short)
    with pytest.raises(CloudJobError, match="Error during downloading"):
        client.wait_for_download(job.request_id, **WAIT)
    # The fault leaves other links alone.
    assert client.cloud(PLAIN_LINK).request_id


def test_job_error_then_retry(rich_simulator, client_for):
    client = client_for(rich_simulator)
    rich_simulator.inject(
        "job_error", link=PLAIN_LINK, message="Error during downloading plain.bin"
    )
    job = client.cloud(PLAIN_LINK)
    with pytest.raises(CloudJobError, match="Error during downloading"):
        client.wait_for_download(job.request_id, **WAIT)
    client.retry(job.request_id)
    assert client.wait_for_download(job.request_id, **WAIT).status is JobStatus.DOWNLOADED


def test_call_log_masks_keys_and_records_where_they_were(simulator, http):
    http.post(
        simulator.api_url + "/cloud", data={"key": DEMO_API_KEY, "url": PLAIN_LINK}, timeout=10
    )
    http.post(
        simulator.api_url + "/cloud",
        params={"key": DEMO_API_KEY},
        json={"url": PLAIN_LINK},
        timeout=10,
    )
    form, query = simulator.api_calls()
    assert (form.key_location, query.key_location) == ("form", "query")
    assert '"key":"***"' in form.body_summary
    assert query.query_keys == ("key",)
    assert query.path == "/api/cloud"
    logged = http.get(simulator.url + "/_sim/calls", timeout=10).text
    assert DEMO_API_KEY not in logged
    assert DEMO_API_KEY not in repr(simulator.calls)


def test_duplicate_submissions_are_visible(rich_simulator, client_for):
    client = client_for(rich_simulator)
    client.cloud(DEMO_LINK)
    client.cloud(DEMO_LINK)
    submissions = [
        c for c in rich_simulator.api_calls() if c.method == "POST" and c.path == "/api/cloud"
    ]
    assert len(submissions) == 2
    assert submissions[0].request_id == submissions[1].request_id  # deduped by Offcloud


def test_calls_endpoint_and_reset(simulator, http, client_for):
    client_for(simulator).cloud(PLAIN_LINK)
    calls = http.get(simulator.url + "/_sim/calls", timeout=10).json()
    assert [(c["method"], c["path"], c["kind"]) for c in calls] == [("POST", "/api/cloud", "api")]
    assert calls[0]["user_id"] == simulator.scenario.accounts[0].user_id
    assert len(simulator.calls) == 2  # the GET /_sim/calls itself, logged as control
    assert simulator.calls[-1].kind == "control"
    state = http.get(simulator.url + "/_sim/state", timeout=10).json()
    assert PLAIN_LINK in [job["original_link"] for job in state["jobs"]]
    http.post(simulator.url + "/_sim/reset", params={"only": "calls"}, json={}, timeout=10)
    assert simulator.calls == []
    http.post(simulator.url + "/_sim/reset", json={}, timeout=10)
    assert PLAIN_LINK not in [job.original_link for job in simulator.state.jobs.values()]
    assert simulator.calls == []


def test_clock_endpoint_moves_jobs_along(frozen_simulator, http, client_for):
    client = client_for(frozen_simulator)
    job = client.cloud(PLAIN_LINK)
    assert client.cloud_status(job.request_id).status is JobStatus.CREATED
    http.post(frozen_simulator.url + "/_sim/clock", json={"advance": 60}, timeout=10)
    assert client.cloud_status(job.request_id).status is JobStatus.DOWNLOADED


def test_retried_preset_job_downloads(frozen_simulator, client_for):
    client = client_for(frozen_simulator)
    client.retry(ERRORED_JOB)
    assert client.cloud_status(ERRORED_JOB).status is JobStatus.CREATED
    frozen_simulator.advance(1)
    assert client.cloud_status(ERRORED_JOB).status is JobStatus.DOWNLOADING
    frozen_simulator.advance(5)
    assert client.cloud_status(ERRORED_JOB).status is JobStatus.DOWNLOADED


# ---------------------------------------------------------------------------------------------
# Only the user's own programs drive the control API (issue 14, item 8)


def test_control_answers_only_to_its_own_host_names(simulator, http):
    # DNS rebinding: a web page's own name resolves to 127.0.0.1, and the browser sends it as
    # Host. Offcloud's routes keep answering any name; the control API does not.
    port = simulator.port
    simulator.inject("server_error", count=5)
    for host in ["rebind.example", f"rebind.example:{port}", f"127.0.0.1.nip.io:{port}"]:
        state = http.get(simulator.url + "/_sim/state", headers={"Host": host}, timeout=10)
        assert state.status_code == 403
        assert "Host" in state.json()["error"]
        reset = http.post(
            simulator.url + "/_sim/reset", json={}, headers={"Host": host}, timeout=10
        )
        assert reset.status_code == 403
    assert len(simulator.faults) == 1  # nothing was reset
    wrong_port = http.get(
        simulator.url + "/_sim/faults", headers={"Host": f"127.0.0.1:{port + 1}"}, timeout=10
    )
    assert wrong_port.status_code == 403
    for host in [f"127.0.0.1:{port}", f"localhost:{port}", "localhost", "127.0.0.1"]:
        answer = http.get(simulator.url + "/_sim/faults", headers={"Host": host}, timeout=10)
        assert answer.status_code == 200, host
    refused = [c for c in simulator.calls if c.kind == "control" and c.status == 403]
    assert len(refused) == 7  # refusals are in the call log


def test_control_posts_must_be_json(simulator, http):
    # A page on any site can POST text/plain, a form or no body at all to 127.0.0.1 without
    # asking first (a CORS "simple" request); application/json it cannot.
    simulator.inject("server_error", count=5)
    fault = '{"kind": "rate_limit", "count": 1}'
    attempts = [
        {"data": fault, "headers": {"Content-Type": "text/plain"}},
        {"data": {"kind": "rate_limit"}},  # a form
        {},  # no body, no type
    ]
    for path in ["/_sim/faults", "/_sim/reset", "/_sim/clock"]:
        for kwargs in attempts:
            answer = http.post(simulator.url + path, timeout=10, **kwargs)
            assert answer.status_code == 415, (path, kwargs)
            assert "application/json" in answer.json()["error"]
    assert len(simulator.faults) == 1
    typed = {"Content-Type": "application/json; charset=utf-8"}
    assert http.post(simulator.url + "/_sim/faults", data=fault, headers=typed, timeout=10).ok
    assert http.post(simulator.url + "/_sim/reset", json={}, timeout=10).ok
    assert simulator.faults == []
    assert http.delete(simulator.url + "/_sim/faults", timeout=10).ok  # no body needed
