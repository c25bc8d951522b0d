"""The legacy routes the clients rarely use: remote requests, cloud/list, one-by-one removal."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from offcloud_api.simulator import Simulator

from .helpers import PLAIN_LINK, bearer, call, make_scenario

REMOTE = "6b1c2d3e4f5061728394a5b6"
NO_SUCH_ID = "f" * 24


@pytest.fixture
def frozen_legacy() -> Iterator[Simulator]:
    """A legacy-only server whose clock barely moves: tests drive it with ``advance``."""
    with Simulator(make_scenario({"clock": {"speedup": 1e-6}}, legacy=True)) as sim:
        yield sim


def test_a_remote_request_for_an_unknown_remote_account_is_refused(legacy_simulator, http):
    answer = call(
        http, legacy_simulator, "POST", "/remote", json={"url": PLAIN_LINK, "remoteOptionId": "x"}
    )
    assert answer.json() == {"error": "Remote account not found."}


def test_a_remote_request_is_tracked_listed_and_removed(frozen_legacy, http):
    added = call(
        http, frozen_legacy, "POST", "/remote", json={"url": PLAIN_LINK, "remoteOptionId": REMOTE}
    ).json()
    request_id = added["requestId"]
    status = call(http, frozen_legacy, "POST", "/remote/status", json={"requestId": request_id})
    assert status.json()["status"]["requestId"] == request_id
    history = call(http, frozen_legacy, "GET", "/remote/history").json()
    assert [item["requestId"] for item in history] == [request_id]
    retried = call(http, frozen_legacy, "GET", f"/remote/retry/{request_id}")
    assert retried.json() == {"error": "Only failed requests can be tried again."}
    remove = frozen_legacy.url + f"/remote/remove/{request_id}"
    assert http.get(remove, headers=bearer(), timeout=10).json() == {"success": True}
    again = http.get(remove, headers=bearer(), timeout=10)
    assert again.json() == {"error": "Transfer not found"}
    assert call(http, frozen_legacy, "GET", "/remote/history").json() == []


def test_cloud_list_answers_the_links_as_text_once_downloaded(frozen_legacy, http):
    missing = call(http, frozen_legacy, "GET", f"/cloud/list/{NO_SUCH_ID}")
    assert missing.json() == {"error": "Transfer not found"}
    request_id = call(http, frozen_legacy, "POST", "/cloud", json={"url": PLAIN_LINK}).json()[
        "requestId"
    ]
    early = call(http, frozen_legacy, "GET", f"/cloud/list/{request_id}")
    assert early.json() == {"error": "The request is not downloaded yet."}
    frozen_legacy.advance(3600)
    listed = call(http, frozen_legacy, "GET", f"/cloud/list/{request_id}")
    assert listed.headers["Content-Type"].startswith("text/plain")
    (url,) = listed.text.splitlines()
    assert url.endswith("/plain.bin")
    assert request_id in url


def test_removing_an_unknown_instant_request_answers_not_found(legacy_simulator, http):
    answer = http.get(
        legacy_simulator.url + f"/instant/remove/{NO_SUCH_ID}", headers=bearer(), timeout=10
    )
    assert answer.json() == {"error": "Transfer not found"}
