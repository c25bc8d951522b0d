"""Retries at the choke point: what is repeated, how long it waits, what is never repeated.

Sequences use `OrderedRegistry`: each registered answer is served once, in order, so the number
of calls is pinned as well as their order (docs/style.md §3.1). Sleeps are recorded, not slept,
and the jitter is the identity, so the backoff values are exact: 0.5, 1.0, 2.0 ... capped at 8.
"""

from __future__ import annotations

import email.utils
import time

import pytest
import requests

from offcloud_api import OffcloudAPI, RetryPolicy
from offcloud_api.exceptions import (
    InvalidResponseError,
    OffcloudConnectionError,
    RateLimitError,
    ServerError,
)

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
