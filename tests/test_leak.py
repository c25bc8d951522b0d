"""The API key must never leave the library except in the Authorization header.

A whole flow, its error paths included, runs with DEBUG logging on for this library and for
urllib3; then the key is searched in every log record, every raised exception (its chain too) and
every URL and body that was sent (docs/style.md §1.9, §5.18; doc §7.4). The last assertion checks
that the key *was* sent as a Bearer token, so a test that never sent it cannot pass.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import requests
import responses

from offcloud_api import JobStatus
from offcloud_api.exceptions import (
    AuthError,
    FeatureNotAvailableError,
    FileOfflineError,
    HTTPError,
    OffcloudConnectionError,
    OffcloudError,
    RefusedError,
    ServerError,
)

KEY = "SECRET-KEY-123"
BASE = "https://offcloud.com/api"
RID = "682fec68087e0a20ce1e7f95"
MAGNET = "magnet:?xt=urn:btih:b6ed43c90bb5699c7a2f5e5453d681436847791a"
HTML = "<html><body><h1>500 Internal Server Error</h1></body></html>"


def chain(error: BaseException) -> Iterator[BaseException]:
    """The exception and everything it was raised from or during."""
    seen: set[int] = set()
    todo: list[BaseException] = [error]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)


def test_key_never_leaks(ordered, api, payload, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")
    caplog.set_level(logging.DEBUG, logger="offcloud_api")

    # --- the happy flow -----------------------------------------------------------------------
    ordered.get(f"{BASE}/account/info", json=payload("account_info_2026"))
    ordered.get(f"{BASE}/sites", status=503, body=HTML)
    ordered.get(f"{BASE}/sites", json=payload("sites_legacy"))
    ordered.post(f"{BASE}/cache", json={"cachedItems": [MAGNET.rpartition(":")[2]]})
    ordered.post(f"{BASE}/cloud", status=429, headers={"Retry-After": "1"})
    ordered.post(f"{BASE}/cloud", json=payload("cloud_add_legacy"))
    ordered.post(f"{BASE}/cloud/status", json=payload("cloud_status_downloading"))
    ordered.post(
        f"{BASE}/cloud/status", json={"status": {"requestId": RID, "status": "downloaded"}}
    )
    # 2026 file URLs may carry the key (doc §7.4): returned to the caller, never logged.
    ordered.get(
        f"{BASE}/cloud/explore/{RID}",
        json={"files": [{"name": "a.mkv", "path": "R/a.mkv", "url": f"https://f/a.mkv?key={KEY}"}]},
    )
    ordered.get(f"{BASE}/cloud/history", json=payload("history_legacy"))
    # §00 L15: removal is a GET; its URL carries the id, never the key.
    ordered.get(f"{BASE}/cloud/remove/{RID}", json=payload("remove_L15"))

    assert api.get_account_stats().is_premium
    assert len(api.get_supported_sites()) == 7
    assert api.cache_info([MAGNET])[0].cached
    job = api.cloud(MAGNET)
    assert api.wait_for_download(job.request_id).status is JobStatus.DOWNLOADED
    (file,) = api.explore_cloud(RID)
    assert KEY in file.url  # the data reaches the caller unchanged
    assert len(api.get_history()) == 1
    api.remove(RID)

    # --- error paths ----------------------------------------------------------------------------
    ordered.get(f"{BASE}/account/info", status=401, json={"error": "NOAUTH"})
    for _ in range(3):
        ordered.get(f"{BASE}/sites", status=500, body=HTML)
    ordered.post(f"{BASE}/cloud", json={"error": f"bad key {KEY}"})
    ordered.post(f"{BASE}/cloud", json={"error": {"detail": f"bad key {KEY}", "list": [KEY]}})
    ordered.post(
        f"{BASE}/cloud",
        status=400,
        json={"error": "invalid_request", "error_description": f"key {KEY} unknown"},
    )
    ordered.post(f"{BASE}/cloud", json={"not_available": f"premium for {KEY}"})
    # §00 L6: a bare JSON string refusal that echoes the key, and one for a dead link.
    ordered.post(f"{BASE}/cloud", status=500, json=f"Error parsing url {KEY} - HTTP code: 503 ")
    ordered.post(f"{BASE}/cloud", status=500, json=f"Error parsing url {KEY} - HTTP code: 404 ")
    for _ in range(3):
        ordered.get(
            f"{BASE}/sites",
            body=requests.exceptions.ConnectionError(
                "HTTPSConnectionPool(host='offcloud.com', port=443): Max retries exceeded "
                "with url: "
                "/api/sites (Caused by NewConnectionError('Connection refused'))"
            ),
        )

    raised: list[BaseException] = []
    for call, expected in (
        (api.get_account_stats, AuthError),
        (api.get_supported_sites, ServerError),
        (lambda: api.cloud(MAGNET), HTTPError),
        (lambda: api.cloud(MAGNET), HTTPError),
        (lambda: api.cloud(MAGNET), HTTPError),
        (lambda: api.cloud(MAGNET), FeatureNotAvailableError),
        (lambda: api.cloud(MAGNET), RefusedError),
        (lambda: api.cloud(MAGNET), FileOfflineError),
        (api.get_supported_sites, OffcloudConnectionError),
    ):
        with pytest.raises(OffcloudError) as caught:
            call()
        assert type(caught.value) is expected
        raised.append(caught.value)
    assert "bad key ***" in str(raised[2])  # Offcloud's text kept, the key masked

    # --- where the key must not be --------------------------------------------------------------
    assert caplog.records, "DEBUG logging produced no records: the log check would be empty"
    for record in caplog.records:
        assert KEY not in record.getMessage(), record.getMessage()
        assert KEY not in repr(record.args)
        assert KEY not in str(record.msg)
    for error in raised:
        for link in chain(error):
            assert KEY not in str(link), repr(link)
            assert KEY not in repr(link)
            assert KEY not in repr(getattr(link, "args", ()))
            assert KEY not in str(getattr(link, "code", "") or "")
    for sent in ordered.calls:
        assert KEY not in sent.request.url
        assert KEY not in str(sent.request.body or "")

    # --- and where it must be -------------------------------------------------------------------
    assert len(ordered.calls) == 24
    assert all(sent.request.headers["Authorization"] == f"Bearer {KEY}" for sent in ordered.calls)
    # ... and every one of those calls, whatever the endpoint, carried the default timeout.
    assert {sent.request.req_kwargs["timeout"] for sent in ordered.calls} == {(10.0, 30.0)}


def test_a_job_message_that_echoes_the_key_is_masked(api, mocked) -> None:
    mocked.add(
        responses.POST,
        "https://offcloud.com/api/cloud/status",
        json={
            "status": {
                "requestId": "r1",
                "status": "error",
                "errorMessage": "key SECRET-KEY-123 refused",
                "message": "SECRET-KEY-123",
            }
        },
    )
    job = api.cloud_status("r1")
    assert job.error_message == "key *** refused"
    assert job.message == "***"
