"""Every parser either returns or raises OffcloudError, whatever JSON-like value it is given.

The models promise "nothing else escapes a parser" (offcloud_api/models.py); error_from_response
must classify any (status, payload) without crashing. Keys are drawn mostly from the real field
names so the generated objects reach the interesting branches.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from offcloud_api.exceptions import OffcloudError, error_from_response
from offcloud_api.models import (
    AccountInfo,
    CachedDownload,
    CacheResult,
    CloudFile,
    Job,
    Proxy,
    RemoteAccount,
    Site,
    parse_list,
)

FIELD_NAMES = [
    # account
    "user_id", "userId", "id", "is_premium", "isPremium", "premium", "membershipType",
    "membership_type", "can_download", "canDownload", "email", "expiration_date",
    "expirationDate", "premium_until", "limits", "data",
    # sites
    "name", "host", "displayName", "display_name", "hosts", "domains", "tags", "isActive",
    "status", "state", "deadFor", "noInstantDownload", "no_instant_download", "maxChunks",
    "max_chunks", "maxChunksGlobal", "max_chunks_global", "maxAmountPerUser", "maxAmount",
    "max_amount",
    # jobs
    "requestId", "request_id", "fileName", "file_name", "fileSize", "file_size", "size",
    "amount", "downloaded", "progress", "downloadingSpeed", "speed", "downloading_speed",
    "server", "isDirectory", "is_directory", "url", "downloadLink", "originalLink",
    "original_link", "site", "createdOn", "created_on", "message", "info", "errorMessage",
    "error_message", "error",
    # files, cache, extras
    "link", "downloadUrl", "filename", "path", "cached", "isCached", "files", "folder",
    "proxyId", "_id", "region", "remoteOptionId", "remote_option_id", "accountId",
    "account_id", "type", "username",
    # envelopes and errors
    "list", "results", "history", "fs", "not_available", "error_description",
]  # fmt: skip

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([10**400, -(10**400), 2**1024])  # beyond float range
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["unlimited", "2026-12-31", "31-12-2019", "1767139200", "²", "http://[x",
                      "downloaded", "error", "Healthy", "Cloud only", "NOAUTH", "Bad archive",
                      "magnet:?xt=urn:btih:b6ed43c90bb5699c7a2f5e5453d681436847791a"])
)  # fmt: skip
KEYS = st.sampled_from(FIELD_NAMES) | st.text(max_size=10)
JSON_LIKE = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=6),
    max_leaves=12,
)
PAYLOADS = JSON_LIKE | st.dictionaries(KEYS, JSON_LIKE, max_size=8)

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def cache_result(payload: Any) -> CacheResult:
    return CacheResult.from_api(payload, query="q", info_hash=None)


def jobs_in_list(payload: Any) -> list[Job]:
    return parse_list(payload, "jobs", Job.from_api, "data", "history", "list")


PARSERS: list[tuple[str, Callable[[Any], Any]]] = [
    ("AccountInfo", AccountInfo.from_api),
    ("Site", Site.from_api),
    ("Job", Job.from_api),
    ("CloudFile", CloudFile.from_api),
    ("CacheResult", cache_result),
    ("CachedDownload", CachedDownload.from_api),
    ("Proxy", Proxy.from_api),
    ("RemoteAccount", RemoteAccount.from_api),
    ("parse_list", jobs_in_list),
]


def exercise(result: Any) -> None:
    """Touch the derived properties too: they run on parsed data later."""
    if isinstance(result, list):
        for item in result:
            exercise(item)
    elif isinstance(result, Job):
        _ = (result.fraction_done, result.eta, result.file_url, result.status.is_final)
    elif isinstance(result, Site):
        _ = (result.domains, result.cloud_only, result.status.is_usable)
    elif isinstance(result, AccountInfo):
        _ = result.is_expired
    elif isinstance(result, CloudFile):
        _ = result.folder


@FUZZ
@given(data=PAYLOADS)
@example(data={"is_premium": True, "expiration_date": "²"})
@example(data={"requestId": "r", "fileSize": 10**400, "createdOn": 10**400})
@example(data={"url": "http://[x", "requestId": "r", "fileName": "f"})
@example(data="http://[x")
def test_parsers_raise_only_offcloud_errors(data):
    # Every parser sees every example: one draw, nine parsers (drawing is the slow part).
    for name, parser in PARSERS:
        try:
            result = parser(data)
        except OffcloudError:
            continue
        except Exception as exc:  # noqa: BLE001 - the point is to report any other exception
            pytest.fail(f"{name}.from_api({data!r}) raised {exc!r}")
        exercise(result)


@FUZZ
@given(
    status=st.integers(min_value=0, max_value=1000),
    payload=PAYLOADS,
    retry_after=st.none() | st.floats(min_value=0, max_value=1e6),
    html=st.booleans(),
)
@example(status=200, payload={"error": {"nested": ["x"]}}, retry_after=None, html=False)
@example(status=503, payload={"error": "Temporary error"}, retry_after=None, html=False)
def test_error_from_response_never_crashes(status, payload, retry_after, html):
    error = error_from_response(
        status=status,
        payload=payload,
        method="GET",
        path="/x",
        retry_after=retry_after,
        html=html,
    )
    if error is None:
        assert 200 <= status < 300
        return
    assert isinstance(error, OffcloudError)
    assert (error.status, error.method, error.path) == (status, "GET", "/x")
    assert "GET /x" in str(error)
