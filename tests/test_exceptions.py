"""(status, payload) → exception class, through the client and at the mapping function (doc §4)."""

from __future__ import annotations

import email.utils
import time
from typing import Any

import pytest

from offcloud_api import OffcloudAPI, RetryPolicy
from offcloud_api.exceptions import (
    AuthError,
    BadArchiveError,
    CloudOnlyError,
    EndpointRemovedError,
    FeatureNotAvailableError,
    FileOfflineError,
    HostUnavailableError,
    HTTPError,
    InvalidResponseError,
    IPNotRegisteredError,
    NotFoundError,
    OffcloudError,
    RateLimitError,
    ServerError,
    TemporaryError,
    error_from_response,
)

BASE = "https://offcloud.com/api"
HTML = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


@pytest.fixture
def once() -> OffcloudAPI:
    """A client that never retries, so each case is exactly one answer."""
    return OffcloudAPI("SECRET-KEY-123", base_url=BASE, retry=RetryPolicy.never())


def error_text(text: str) -> dict[str, Any]:
    return {"json": {"error": text}}


# (id, status, body kwargs for responses, expected class, expected code)
TABLE: list[tuple[str, int, dict[str, Any], type[OffcloudError], str | None]] = [
    ("401-noauth", 401, error_text("NOAUTH"), AuthError, "NOAUTH"),
    ("200-noauth-legacy", 200, error_text("NOAUTH"), AuthError, "NOAUTH"),
    ("401-no-body", 401, {}, AuthError, None),
    ("402", 402, {}, FeatureNotAvailableError, None),
    ("403", 403, error_text("Forbidden"), AuthError, "Forbidden"),
    ("404", 404, {}, NotFoundError, None),
    ("418", 418, {"body": "I'm a teapot"}, HTTPError, None),
    ("500-html", 500, {"body": HTML}, ServerError, None),
    ("502-html", 502, {"body": HTML}, ServerError, None),
    ("503-html", 503, {"body": HTML}, ServerError, None),
    ("503-json-temporary", 503, error_text("Temporary error"), ServerError, "Temporary error"),
    (
        "200-unknown-text",
        200,
        error_text("Something odd happened"),
        HTTPError,
        "Something odd happened",
    ),
    (
        "200-error-with-description",
        200,
        {"json": {"error": "access_denied", "error_description": "The user denied authorization"}},
        HTTPError,
        "access_denied: The user denied authorization",
    ),
    (
        "200-offline",
        200,
        error_text("The file is not available on the server."),
        FileOfflineError,
        None,
    ),
    (
        "200-cloud-only",
        200,
        error_text(
            "We are sorry but rapidgator.net links are supported only via Cloud downloading."
        ),
        CloudOnlyError,
        None,
    ),
    (
        "200-quota",
        200,
        error_text(
            "Premium account quota for x exceeded today. Please try to download again later."
        ),
        HostUnavailableError,
        None,
    ),
    (
        "200-site-disabled",
        200,
        error_text(
            "The supported site is temporarily disabled. We are working to resolve the problem "
            "quickly. Please try again later. Sorry for the inconvenience."
        ),
        HostUnavailableError,
        None,
    ),
    (
        "200-ip-register",
        200,
        error_text("IP address needs to be registered. Check your email for further information."),
        IPNotRegisteredError,
        None,
    ),
    (
        "200-ip-unregistered",
        200,
        error_text("Unregistered IP address detected."),
        IPNotRegisteredError,
        None,
    ),
    (
        "200-ip-download",
        200,
        error_text("You are not authorized to download this file."),
        IPNotRegisteredError,
        None,
    ),
    (
        "403-ip-download",
        403,
        error_text("You are not authorized to download this file."),
        IPNotRegisteredError,
        None,
    ),
    ("200-bad-archive", 200, error_text("Bad archive"), BadArchiveError, "Bad archive"),
    ("200-temporary", 200, error_text("Temporary error"), TemporaryError, "Temporary error"),
    ("200-incorrect-url", 200, error_text("Incorrect url"), FileOfflineError, "Incorrect url"),
    (
        "200-addon",
        200,
        error_text("Purchase a premium downloading addon to continue with this operation."),
        FeatureNotAvailableError,
        None,
    ),
    (
        "200-not-available-premium",
        200,
        {"json": {"not_available": "premium"}},
        FeatureNotAvailableError,
        "premium",
    ),
    ("200-html", 200, {"body": HTML}, InvalidResponseError, None),
    ("200-truncated", 200, {"body": '{"user_id": "53f8", "is_prem'}, InvalidResponseError, None),
    ("200-empty", 200, {"body": ""}, InvalidResponseError, None),
]


@pytest.mark.parametrize(
    ("status", "body", "cls", "code"),
    [case[1:] for case in TABLE],
    ids=[case[0] for case in TABLE],
)
def test_answer_maps_to_exception(mocked, once, status, body, cls, code):
    # /sites has no legacy fallback, so a 404 stays a 404.
    mocked.get(f"{BASE}/sites", status=status, **body)
    with pytest.raises(OffcloudError) as caught:
        once.get_supported_sites()
    error = caught.value
    assert type(error) is cls
    assert error.status == status
    assert error.method == "GET"
    assert error.path == "/sites"
    if code is not None:
        assert error.code == code
    text = str(error)
    assert "<" not in text
    assert "nginx" not in text
    assert "GET /sites" in text


@pytest.mark.parametrize("status", [500, 502, 503], ids=str)
def test_html_server_error_says_html_without_the_page(mocked, once, status):
    mocked.get(f"{BASE}/sites", status=status, body=HTML)
    with pytest.raises(ServerError) as caught:
        once.get_supported_sites()
    assert str(caught.value) == f"HTTP {status} with an HTML error page from GET /sites"
    assert "Bad Gateway" not in repr(caught.value)


def test_feature_of_not_available(mocked, once):
    mocked.get(f"{BASE}/account/info", json={"not_available": "premium"})
    with pytest.raises(FeatureNotAvailableError) as caught:
        once.get_account_stats()
    assert caught.value.feature == "premium"
    assert str(caught.value) == "not available: premium (GET /account/info, HTTP 200)"


@pytest.mark.parametrize(
    ("text", "feature"),
    [
        ("Purchase a premium downloading addon to continue with this operation.", "premium"),
        ("User not authorized", "links"),
        ("User is not allowed this operation.", None),
    ],
    ids=["addon", "links", "none"],
)
def test_feature_hint_from_text(text, feature):
    error = error_from_response(status=200, payload={"error": text}, method="POST", path="/cloud")
    assert isinstance(error, FeatureNotAvailableError)
    assert error.feature == feature


def test_429_retry_after_seconds(mocked, once):
    mocked.get(f"{BASE}/sites", status=429, headers={"Retry-After": "45"})
    with pytest.raises(RateLimitError) as caught:
        once.get_supported_sites()
    assert caught.value.retry_after == 45.0
    assert caught.value.status == 429


def test_429_retry_after_http_date(mocked, once):
    mocked.get(
        f"{BASE}/sites",
        status=429,
        headers={"Retry-After": email.utils.formatdate(time.time() + 90, usegmt=True)},
    )
    with pytest.raises(RateLimitError) as caught:
        once.get_supported_sites()
    assert 85.0 <= caught.value.retry_after <= 90.0


def test_path_never_has_the_query(mocked, once):
    mocked.get(f"{BASE}/cloud/explore/abc", status=418)
    with pytest.raises(HTTPError) as caught:
        once.explore_cloud("abc")
    assert caught.value.path == "/cloud/explore/abc"
    assert "format" not in str(caught.value)
    assert "?" not in repr(caught.value)
    assert mocked.calls[0].request.url.endswith("?format=detailed")  # it was sent with one


def test_success_is_none():
    assert error_from_response(status=200, payload={"ok": 1}, method="GET", path="/x") is None
    assert error_from_response(status=204, payload=None, method="GET", path="/x") is None
    assert error_from_response(status=200, payload={"error": ""}, method="GET", path="/x") is None


def test_non_string_error_value_becomes_text():
    error = error_from_response(status=200, payload={"error": 42}, method="GET", path="/x")
    assert type(error) is HTTPError
    assert error.code == "42"


def test_long_error_text_is_one_short_line():
    text = "word\n" * 200
    error = error_from_response(status=400, payload={"error": text}, method="GET", path="/x")
    assert "\n" not in error.message
    assert len(error.code) == 120
    assert error.code.endswith("…")
    assert len(error.message) < 340


def test_repr_lists_only_known_fields():
    bare = OffcloudError("boom")
    assert repr(bare) == "OffcloudError('boom')"
    full = EndpointRemovedError("gone", feature="login", status=404, method="POST", path="/login")
    assert repr(full) == ("EndpointRemovedError('gone', status=404, method='POST', path='/login')")
    assert isinstance(full, NotFoundError)


def test_tree_lets_callers_catch_by_family():
    assert issubclass(RateLimitError, TemporaryError)
    assert issubclass(ServerError, TemporaryError)
    assert issubclass(InvalidResponseError, TemporaryError)
    assert issubclass(HostUnavailableError, TemporaryError)
    assert not issubclass(AuthError, TemporaryError)
