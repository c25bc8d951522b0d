"""A full cloud (docs/api.md L23): `{"not_available": "cloud"}` on any status is CloudFullError."""

from __future__ import annotations

import pytest
from fakes import MemoryStore

from offcloud_api.exceptions import (
    CloudFullError,
    FeatureNotAvailableError,
    OffcloudError,
    ServerError,
    TemporaryError,
    error_from_response,
)
from offcloud_api.pyload.jobs import add_once, answer_was_lost

BASE = "https://offcloud.com/api"
MAGNET = "magnet:?xt=urn:btih:b6ed43c90bb5699c7a2f5e5453d681436847791a"

# The status a full cloud answers with was not captured (L23): a success status and both error
# families are read the same way.
STATUSES = [200, 400, 403, 500, 503]


@pytest.mark.parametrize("status", STATUSES, ids=str)
def test_full_cloud_on_any_status(status, payload):
    error = error_from_response(
        status=status, payload=payload("cloud_full_L23"), method="POST", path="/cloud"
    )
    assert type(error) is CloudFullError
    assert not isinstance(error, (FeatureNotAvailableError, TemporaryError))
    assert error.code == "cloud"
    assert error.status == status
    assert str(error) == f"Offcloud cloud storage is full (POST /cloud, HTTP {status})"


@pytest.mark.parametrize("feature", ["premium", "torrent", "links"])
def test_other_not_available_values_keep_their_meaning(feature):
    error = error_from_response(
        status=200, payload={"not_available": feature}, method="POST", path="/cloud"
    )
    assert type(error) is FeatureNotAvailableError
    assert error.feature == feature


def test_case_and_spaces_of_the_value_do_not_matter():
    error = error_from_response(
        status=200, payload={"not_available": " Cloud "}, method="POST", path="/cloud"
    )
    assert type(error) is CloudFullError


@pytest.mark.parametrize("status", STATUSES, ids=str)
def test_the_client_sends_a_full_add_once_and_never_again(mocked, api, sleeps, payload, status):
    mocked.post(f"{BASE}/cloud", status=status, json=payload("cloud_full_L23"))
    with pytest.raises(CloudFullError) as caught:
        api.cloud(MAGNET)
    assert (caught.value.method, caught.value.path) == ("POST", "/cloud")
    assert len(mocked.calls) == 1  # no retry of a non-idempotent add because of it
    assert sleeps.calls == []


@pytest.mark.parametrize("status", [200, 500], ids=str)
def test_add_once_does_not_look_in_the_history_after_a_full_answer(mocked, api, payload, status):
    # A full cloud made no job: no history call (mocked is strict), and the note is gone.
    mocked.post(f"{BASE}/cloud", status=status, json=payload("cloud_full_L23"))
    store = MemoryStore()
    with pytest.raises(CloudFullError):
        add_once(api, store, "job:x", MAGNET)
    assert store.retrieve("job:x") is None
    assert len(mocked.calls) == 1


def test_a_full_cloud_is_no_lost_answer():
    full = CloudFullError("Offcloud cloud storage is full", status=500, code="cloud")
    assert not answer_was_lost(full)
    assert answer_was_lost(ServerError("HTTP 500", status=500))
    assert isinstance(full, OffcloudError)
