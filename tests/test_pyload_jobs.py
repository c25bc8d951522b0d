"""Adding a hoster link's cloud job once, when Offcloud's answer to the add is lost on the way.

:func:`offcloud_api.pyload.jobs.add_once` runs with a real client against the simulator, which
here makes a new job for every add (as Offcloud may, docs/api.md §7.15), so a link added
twice shows up as two jobs.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from fakes import MemoryStore

from offcloud_api import OffcloudAPI, RetryPolicy
from offcloud_api.exceptions import (
    FileOfflineError,
    InvalidResponseError,
    OffcloudConnectionError,
    OffcloudError,
    ServerError,
)
from offcloud_api.models import Job
from offcloud_api.pyload.jobs import add_once, answer_was_lost, find_added_job
from offcloud_api.simulator import DEMO_API_KEY, Simulator, load_scenario

LINK = "https://example-hoster.test/file/plain.bin"
OFFLINE = "https://rapidgator.net/file/gone404/gone.bin"
KEY = "job:plain"


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(load_scenario({"extends": "default", "api": {"dedupe": False}})) as running:
        yield running


@pytest.fixture
def api(sim: Simulator) -> Iterator[OffcloudAPI]:
    client = OffcloudAPI(
        DEMO_API_KEY, base_url=sim.api_url, retry=RetryPolicy(sleep=lambda _s: None)
    )
    yield client
    client.close()


def jobs_of(sim: Simulator, url: str) -> list[str]:
    return [j["request_id"] for j in sim.state.snapshot()["jobs"] if j["original_link"] == url]


def adds(sim: Simulator) -> list[Any]:
    return [c for c in sim.api_calls() if c.method == "POST" and c.path == "/api/cloud"]


def test_a_plain_add_is_remembered_without_a_history_call(sim: Simulator, api: OffcloudAPI):
    store = MemoryStore()
    job = add_once(api, store, KEY, LINK)
    assert store.values == {KEY: {"request_id": job.request_id, "retried": False}}
    assert [c.path for c in sim.api_calls()] == ["/api/cloud"]


@pytest.mark.parametrize("kind", ["truncated_json", "reset"])
def test_a_lost_answer_finds_the_job_in_the_history(
    sim: Simulator, api: OffcloudAPI, kind: str
) -> None:
    sim.inject(kind, path="/api/cloud", count=1)
    store = MemoryStore()
    found: list[Job] = []
    job = add_once(api, store, KEY, LINK, on_found=found.append)
    assert jobs_of(sim, LINK) == [job.request_id]
    assert found == [job]
    assert store.values[KEY]["request_id"] == job.request_id
    assert [c.path for c in sim.api_calls()] == ["/api/cloud", "/api/cloud/history"]


def test_a_5xx_that_made_no_job_is_raised_and_the_next_attempt_adds_once(
    sim: Simulator, api: OffcloudAPI
) -> None:
    sim.inject("server_error", path="/api/cloud", count=1)
    store = MemoryStore()
    with pytest.raises(ServerError):
        add_once(api, store, KEY, LINK)
    assert jobs_of(sim, LINK) == []
    assert "submitted_at" in store.values[KEY]  # the next attempt looks in the history first
    job = add_once(api, store, KEY, LINK)
    assert jobs_of(sim, LINK) == [job.request_id]
    assert [c.path for c in sim.api_calls()] == [
        "/api/cloud",
        "/api/cloud/history",
        "/api/cloud/history",
        "/api/cloud",
    ]


def test_an_add_cut_off_by_a_crash_is_found_before_adding_again(
    sim: Simulator, api: OffcloudAPI
) -> None:
    # pyLoad was killed after it sent the add and before it stored the answer.
    store = MemoryStore()
    store.store(KEY, {"submitted_at": time.time()})
    made = api.cloud(LINK)
    job = add_once(api, store, KEY, LINK)
    assert job.request_id == made.request_id
    assert len(adds(sim)) == 1


def test_while_the_history_cannot_tell_nothing_is_added(sim: Simulator, api: OffcloudAPI):
    store = MemoryStore()
    store.store(KEY, {"submitted_at": time.time()})
    sim.inject("server_error", path="/api/cloud/history")
    with pytest.raises(ServerError):
        add_once(api, store, KEY, LINK)
    assert adds(sim) == []
    assert "submitted_at" in store.values[KEY]


def test_a_refusal_in_words_forgets_the_note(sim: Simulator, api: OffcloudAPI):
    store = MemoryStore()
    with pytest.raises(FileOfflineError):
        add_once(api, store, "job:gone", OFFLINE)
    assert store.values == {}
    assert [c.path for c in sim.api_calls()] == ["/api/cloud"]  # no history call


def test_a_job_of_the_link_from_before_the_add_is_not_taken() -> None:
    two_days_ago = (datetime.now(timezone.utc) - timedelta(days=2)).isoformat()
    old = {
        "request_id": "0123456789abcdef01234567",
        "link": LINK,
        "file": {"name": "plain.bin", "size": 1024},
        "created_on": two_days_ago,
    }
    scenario = load_scenario({"extends": "default", "api": {"dedupe": False}, "jobs": [old]})
    with Simulator(scenario) as sim:
        api = OffcloudAPI(
            DEMO_API_KEY, base_url=sim.api_url, retry=RetryPolicy(sleep=lambda _s: None)
        )
        sim.inject("server_error", path="/api/cloud", count=1)  # not acted on: no new job
        with pytest.raises(ServerError):
            add_once(api, MemoryStore(), KEY, LINK)
        assert jobs_of(sim, LINK) == [old["request_id"]]
        assert [c.path for c in sim.api_calls()] == ["/api/cloud", "/api/cloud/history"]
        api.close()


@pytest.mark.parametrize(
    ("error", "lost"),
    [
        (InvalidResponseError("cut"), True),
        (ServerError("502", status=502), True),
        (FileOfflineError("gone"), False),
    ],
    ids=["broken-answer", "5xx", "refusal"],
)
def test_which_errors_leave_the_add_open(error: Any, lost: bool) -> None:
    assert answer_was_lost(error) is lost


def test_a_connection_error_leaves_it_open_only_once_the_request_went_out() -> None:
    assert answer_was_lost(OffcloudConnectionError("reset", request_sent=True))
    assert not answer_was_lost(OffcloudConnectionError("refused", request_sent=False))


def test_a_lost_answer_the_history_cannot_explain_raises_and_keeps_the_note(
    sim: Simulator, api: OffcloudAPI
) -> None:
    sim.inject("truncated_json", path="/api/cloud/history")  # every history answer is cut
    sim.inject("truncated_json", path="/api/cloud", count=1)
    store = MemoryStore()
    with pytest.raises(OffcloudError) as lost:
        add_once(api, store, KEY, LINK)
    assert answer_was_lost(lost.value)
    assert "submitted_at" in store.values[KEY]  # the next attempt looks again first
    assert len(adds(sim)) == 1


def test_a_port_that_is_no_number_is_left_out_of_the_comparison(
    sim: Simulator, api: OffcloudAPI
) -> None:
    made = api.cloud(LINK)
    odd = LINK.replace("example-hoster.test", "example-hoster.test:http")
    found = find_added_job(api, odd, since=0)
    assert found is not None
    assert found.request_id == made.request_id
    other_port = LINK.replace("example-hoster.test", "example-hoster.test:8080")
    assert find_added_job(api, other_port, since=0) is None
