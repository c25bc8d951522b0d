"""Retries at the choke point: what is repeated, how long it waits, what is never repeated.

Sequences use `OrderedRegistry`: each registered answer is served once, in order, so the number
of calls is pinned as well as their order (docs/development.md). Sleeps are recorded, not slept,
and the jitter is the identity, so the backoff values are exact: 0.5, 1.0, 2.0 ... capped at 8.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import replace
from types import SimpleNamespace

import pytest
import requests

from offcloud_api import OffcloudAPI, RetryPolicy
from offcloud_api.exceptions import (
    InvalidResponseError,
    OffcloudConnectionError,
    RateLimitError,
    ServerError,
)
from offcloud_api.pyload.transport import client_for

BASE = "https://offcloud.com/api"
RID = "682fec68087e0a20ce1e7f95"
MAGNET = "magnet:?xt=urn:btih:b6ed43c90bb5699c7a2f5e5453d681436847791a"
CREATED = {"requestId": RID, "status": "created"}
HTML_503 = "<html><head><title>503 Service Unavailable</title></head><body>down</body></html>"


def refused() -> requests.exceptions.ConnectionError:
    return requests.exceptions.ConnectionError(
        "HTTPSConnectionPool(host='offcloud.com', port=443): Max retries exceeded "
        "(Caused by NewConnectionError('[Errno 111] Connection refused'))"
    )


# ---------------------------------------------------------------------------------------------
# idempotent calls


def test_get_503_then_200_is_retried(ordered, api, sleeps, strict):
    ordered.get(f"{BASE}/sites", status=503, body=HTML_503, match=strict())
    ordered.get(f"{BASE}/sites", json=[{"name": "a", "status": "up"}], match=strict())
    assert [s.name for s in api.get_supported_sites()] == ["a"]
    assert len(ordered.calls) == 2
    assert sleeps.calls == [0.5]


def test_get_gives_up_after_the_attempts(ordered, api, sleeps):
    for _ in range(3):
        ordered.get(f"{BASE}/sites", status=502, body=HTML_503)
    with pytest.raises(ServerError) as caught:
        api.get_supported_sites()
    assert caught.value.status == 502
    assert len(ordered.calls) == 3
    assert sleeps.calls == [0.5, 1.0]


def test_backoff_is_capped(ordered, sleeps):
    client = OffcloudAPI(
        "SECRET-KEY-123",
        base_url=BASE,
        retry=RetryPolicy(attempts=6, backoff_cap=3.0, sleep=sleeps, jitter=lambda c: c),
    )
    for _ in range(5):
        ordered.get(f"{BASE}/sites", status=500)
    ordered.get(f"{BASE}/sites", json=[])
    assert client.get_supported_sites() == []
    assert sleeps.calls == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_idempotent_post_503_then_200_is_retried(ordered, api, sleeps, strict):
    for answer in ({"status": 503, "body": HTML_503}, {"json": {"status": CREATED}}):
        ordered.post(f"{BASE}/cloud/status", match=strict(json={"requestId": RID}), **answer)
    assert api.cloud_status(RID).request_id == RID
    assert len(ordered.calls) == 2
    assert sleeps.calls == [0.5]


def test_truncated_json_then_200_is_retried(ordered, api, sleeps):
    ordered.get(f"{BASE}/cloud/history", body='[{"requestId": "a", "sta')
    ordered.get(f"{BASE}/cloud/history", json=[{"requestId": "a", "status": "queued"}])
    assert [j.request_id for j in api.get_history()] == ["a"]
    assert sleeps.calls == [0.5]


def test_connection_error_is_retried(ordered, api, sleeps, strict):
    ordered.get(f"{BASE}/sites", body=requests.exceptions.ReadTimeout("read timed out"))
    ordered.get(f"{BASE}/sites", json=[], match=strict())
    assert api.get_supported_sites() == []
    assert len(ordered.calls) == 2
    assert sleeps.calls == [0.5]


def test_connection_error_on_every_attempt(ordered, api, sleeps):
    for _ in range(3):
        ordered.get(f"{BASE}/sites", body=refused())
    with pytest.raises(OffcloudConnectionError) as caught:
        api.get_supported_sites()
    error = caught.value
    assert (error.method, error.path, error.request_sent) == ("GET", "/sites", False)
    assert isinstance(error.__cause__, requests.exceptions.ConnectionError)
    assert sleeps.calls == [0.5, 1.0]


# ---------------------------------------------------------------------------------------------
# 429


def test_429_waits_retry_after_then_succeeds(ordered, api, sleeps, strict):
    ordered.get(
        f"{BASE}/sites",
        status=429,
        headers={"Retry-After": "2"},
        json={"error": "rate limit exceeded"},
        match=strict(),
    )
    ordered.get(f"{BASE}/sites", json=[], match=strict())
    assert api.get_supported_sites() == []
    assert sleeps.calls == [2.0]


def test_429_retry_after_too_long_raises_at_once(ordered, api, sleeps):
    ordered.get(f"{BASE}/sites", status=429, headers={"Retry-After": "120"})
    with pytest.raises(RateLimitError) as caught:
        api.get_supported_sites()
    assert caught.value.retry_after == 120.0
    assert caught.value.status == 429
    assert len(ordered.calls) == 1
    assert sleeps.calls == []


def test_429_http_date_retry_after(ordered, api, sleeps):
    when = email.utils.formatdate(time.time() + 10, usegmt=True)
    ordered.get(f"{BASE}/sites", status=429, headers={"Retry-After": when})
    ordered.get(f"{BASE}/sites", json=[])
    api.get_supported_sites()
    (waited,) = sleeps.calls
    assert 7.0 <= waited <= 10.0


def test_429_without_retry_after_uses_backoff(ordered, api, sleeps):
    ordered.get(f"{BASE}/sites", status=429)
    ordered.get(f"{BASE}/sites", status=429)
    ordered.get(f"{BASE}/sites", status=429)
    with pytest.raises(RateLimitError) as caught:
        api.get_supported_sites()
    assert caught.value.retry_after is None
    assert sleeps.calls == [0.5, 1.0]


def test_429_is_retried_even_for_post_cloud(ordered, api, sleeps, strict):
    # A 429 means Offcloud refused the request, so adding it again cannot duplicate a job.
    ordered.post(
        f"{BASE}/cloud",
        status=429,
        headers={"Retry-After": "1"},
        match=strict(json={"url": MAGNET}),
    )
    ordered.post(f"{BASE}/cloud", json=CREATED, match=strict(json={"url": MAGNET}))
    assert api.cloud(MAGNET).request_id == RID
    assert sleeps.calls == [1.0]


# ---------------------------------------------------------------------------------------------
# non-idempotent POST /cloud


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ({"status": 503, "body": HTML_503}, ServerError),
        ({"status": 200, "body": '{"requestId": "6'}, InvalidResponseError),
        ({"body": requests.exceptions.ReadTimeout("read timed out")}, OffcloudConnectionError),
        (
            {"body": requests.exceptions.ConnectionError("Connection reset by peer")},
            OffcloudConnectionError,
        ),
    ],
    ids=["503", "truncated", "read-timeout", "reset"],
)
def test_post_cloud_is_not_retried_once_sent(ordered, api, sleeps, strict, answer, error):
    ordered.post(f"{BASE}/cloud", match=strict(json={"url": MAGNET}), **answer)
    with pytest.raises(error):
        api.cloud(MAGNET)
    assert len(ordered.calls) == 1
    assert sleeps.calls == []


@pytest.mark.parametrize(
    "failure",
    [refused, lambda: requests.exceptions.ConnectTimeout("connect timed out")],
    ids=["refused", "connect-timeout"],
)
def test_post_cloud_is_retried_when_never_sent(ordered, api, sleeps, strict, failure):
    ordered.post(f"{BASE}/cloud", body=failure(), match=strict(json={"url": MAGNET}))
    ordered.post(f"{BASE}/cloud", json=CREATED, match=strict(json={"url": MAGNET}))
    assert api.cloud(MAGNET).request_id == RID
    assert len(ordered.calls) == 2
    assert sleeps.calls == [0.5]


def test_never_policy_tries_once(ordered):
    client = OffcloudAPI("SECRET-KEY-123", base_url=BASE, retry=RetryPolicy.never())
    ordered.get(f"{BASE}/sites", status=503)
    with pytest.raises(ServerError):
        client.get_supported_sites()
    assert len(ordered.calls) == 1


# ---------------------------------------------------------------------------------------------
# issue 14, item 2: a Retry-After that is garbage or absurd


@pytest.mark.parametrize("header", ["inf", "nan", "-1"])
def test_429_with_a_garbage_retry_after_backs_off_instead(ordered, api, sleeps, header):
    # inf was "too long to wait here" and raised at once, carrying inf on to pyLoad's round().
    ordered.get(f"{BASE}/sites", status=429, headers={"Retry-After": header})
    ordered.get(f"{BASE}/sites", json=[])
    assert api.get_supported_sites() == []
    assert sleeps.calls == [0.5]


def test_429_with_a_retry_after_of_years_raises_a_sane_wait(ordered, api, sleeps):
    ordered.get(f"{BASE}/sites", status=429, headers={"Retry-After": "99999999999"})
    with pytest.raises(RateLimitError) as caught:
        api.get_supported_sites()
    assert caught.value.retry_after == 3600.0  # clamped, not three thousand years
    assert sleeps.calls == []


# ---------------------------------------------------------------------------------------------
# issue 14, item 11: a burst of transient errors costs seconds


def test_503_with_retry_after_waits_what_it_asks(ordered, api, sleeps):
    ordered.get(f"{BASE}/sites", status=503, headers={"Retry-After": "3"}, body=HTML_503)
    ordered.get(f"{BASE}/sites", json=[])
    assert api.get_supported_sites() == []
    assert sleeps.calls == [3.0]


def test_503_with_a_retry_after_too_long_for_the_client_raises_at_once(ordered, api, sleeps):
    ordered.get(f"{BASE}/sites", status=503, headers={"Retry-After": "120"}, body=HTML_503)
    with pytest.raises(ServerError):
        api.get_supported_sites()
    assert sleeps.calls == []


def test_a_500_names_no_wait_even_with_retry_after(ordered, api, sleeps):
    # Retry-After means something on 503 and 429 only; a 500 backs off as usual.
    ordered.get(f"{BASE}/sites", status=500, headers={"Retry-After": "120"}, body=HTML_503)
    ordered.get(f"{BASE}/sites", json=[])
    assert api.get_supported_sites() == []
    assert sleeps.calls == [0.5]


def _pyload_policy() -> RetryPolicy:
    """The policy ``client_for`` gives the pyLoad plugins, built on a stand-in plugin."""
    factory = SimpleNamespace(get_request=lambda name: SimpleNamespace(close=lambda: None))
    plugin = SimpleNamespace(pyload=SimpleNamespace(request_factory=factory), classname="X")
    with client_for(plugin, "SECRET-KEY-123", lambda: False) as client:
        return client.retry_policy


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 500, "body": HTML_503},
        {"status": 502, "body": HTML_503},
        {"status": 503, "body": HTML_503},
        {"body": requests.exceptions.ConnectionError("Connection reset by peer")},
    ],
    ids=["500", "502", "503", "reset"],
)
def test_pyload_clients_ride_out_three_transient_errors_in_a_row(ordered, sleeps, failure):
    # Three in a row used to exhaust the three tries, and pyLoad then waited 30 s per link.
    policy = _pyload_policy()
    client = OffcloudAPI(
        "SECRET-KEY-123",
        base_url=BASE,
        retry=replace(policy, sleep=sleeps, jitter=lambda ceiling: ceiling),
    )
    for _ in range(3):
        ordered.post(f"{BASE}/cloud/status", **failure)
    ordered.post(f"{BASE}/cloud/status", json={"status": CREATED})
    assert client.cloud_status(RID).request_id == RID
    assert sleeps.calls == [0.5, 1.0, 2.0]


def test_the_pyload_backoff_is_short_and_capped():
    policy = _pyload_policy()
    ceilings = replace(policy, jitter=lambda ceiling: ceiling)
    waits = [ceilings.backoff(n) for n in range(1, policy.attempts)]
    assert policy.attempts >= 5
    assert waits == sorted(waits)  # growing
    assert max(waits) <= 4.0
    assert sum(waits) <= 10.0  # the whole burst costs seconds
    assert policy.max_retry_after == 10.0
