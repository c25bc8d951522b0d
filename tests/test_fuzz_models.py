"""Every parser either returns or raises OffcloudError, whatever JSON-like value it is given.

The models promise "nothing else escapes a parser" (offcloud_api/models.py); error_from_response
must classify any (status, payload) without crashing. The strategies live in fuzz_strategies.py,
shared with test_fuzz_client.py, which fuzzes the same parsers behind every client call.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest
from fuzz_strategies import PAYLOADS, exercise
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


@FUZZ
@given(data=PAYLOADS)
@example(data={"is_premium": True, "expiration_date": "²"})
@example(data={"requestId": "r", "fileSize": 10**400, "createdOn": 10**400})
@example(data={"url": "http://[x", "requestId": "r", "fileName": "f"})
@example(data="http://[x")
@example(data={"requestId": "r", "fileSize": 1.7e308, "amount": -1.7e308, "downloadingSpeed": 1})
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
