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
    CloudJobError,
    CloudOnlyError,
    EndpointRemovedError,
    FeatureNotAvailableError,
    FileOfflineError,
    HostUnavailableError,
    HTTPError,
    InvalidLinkError,
    InvalidResponseError,
    IPNotRegisteredError,
    JobStuckError,
    NotFoundError,
    OffcloudError,
    RateLimitError,
    RefusedError,
    ResponseTooLargeError,
    RouteNotFoundError,
    ServerError,
    TemporaryError,
    error_from_response,
    is_html,
    route_missing,
    upstream_status_of,
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
    ("404-empty", 404, {}, RouteNotFoundError, None),  # §00 L3: a 404 that is not JSON
    ("404-json", 404, error_text("Transfer not found"), NotFoundError, "Transfer not found"),
    ("404-html", 404, {"body": HTML, "content_type": "text/html"}, RouteNotFoundError, None),
    ("405-html", 405, {"body": HTML, "content_type": "text/html"}, RouteNotFoundError, None),
    ("405-json", 405, error_text("Method Not Allowed"), RouteNotFoundError, None),
    ("429-html", 429, {"body": HTML, "content_type": "text/html"}, RateLimitError, None),
    # §00 L6: a bare JSON string with an error status is Offcloud's own refusal text.
    (
        "500-bare-string-404",
        500,
        {"json": "Error parsing url - HTTP code: 404 "},
        FileOfflineError,
        "Error parsing url - HTTP code: 404",
    ),
    (
        "500-bare-string-410",
        500,
        {"json": "Error parsing url - HTTP code: 410"},
        FileOfflineError,
        None,
    ),
    (
        "500-bare-string-503",
        500,
        {"json": "Error parsing url - HTTP code: 503 "},
        RefusedError,
        "Error parsing url - HTTP code: 503",
    ),
    ("500-bare-string-plain", 500, {"json": "Something failed"}, RefusedError, "Something failed"),
    ("400-bare-string", 400, {"json": "Missing required parameter"}, RefusedError, None),
    ("401-bare-string", 401, {"json": "nope"}, AuthError, "nope"),
    ("429-bare-string", 429, {"json": "slow down"}, RateLimitError, "slow down"),
    ("500-bare-string-known", 500, {"json": "Incorrect url"}, FileOfflineError, "Incorrect url"),
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
    ("200-html", 200, {"body": HTML}, RouteNotFoundError, None),  # §00 L3: HTML, not JSON
    ("200-truncated", 200, {"body": '{"user_id": "53f8", "is_prem'}, InvalidResponseError, None),
    ("200-empty", 200, {"body": ""}, InvalidResponseError, None),
]


@pytest.mark.parametrize(
    ("status", "body", "cls", "code"),
    [case[1:] for case in TABLE],
    ids=[case[0] for case in TABLE],
)
def test_answer_maps_to_exception(mocked, once, status, body, cls, code):
    # /sites has no legacy fallback, so a missing route is raised as it is.
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
    assert issubclass(EndpointRemovedError, RouteNotFoundError)
    assert issubclass(RouteNotFoundError, NotFoundError)
    assert issubclass(RefusedError, HTTPError)
    assert not issubclass(RefusedError, TemporaryError)  # answered: not a lost answer
    assert issubclass(InvalidLinkError, FileOfflineError)
    assert issubclass(JobStuckError, CloudJobError)
    assert issubclass(ResponseTooLargeError, InvalidResponseError)


def test_refused_error_carries_the_upstream_status():
    error = error_from_response(
        status=500, payload="Error parsing url - HTTP code: 503 ", method="POST", path="/cloud"
    )
    assert isinstance(error, RefusedError)
    assert error.upstream_status == 503
    assert error.code == "Error parsing url - HTTP code: 503"
    assert str(error) == "Error parsing url - HTTP code: 503 (POST /cloud, HTTP 500)"
    plain = error_from_response(status=500, payload="no number", method="POST", path="/cloud")
    assert isinstance(plain, RefusedError)
    assert plain.upstream_status is None


def test_a_bare_string_is_no_error_on_success_or_when_blank():
    assert error_from_response(status=200, payload="text", method="GET", path="/x") is None
    blank = error_from_response(status=500, payload="  ", method="GET", path="/x")
    assert type(blank) is ServerError


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Error parsing url - HTTP code: 404 ", 404),
        ("error parsing url - http code:503", 503),
        ("HTTP code: none", None),
        ("", None),
    ],
)
def test_upstream_status_of(text, status):
    assert upstream_status_of(text) == status


@pytest.mark.parametrize(
    ("content_type", "body", "html"),
    [
        ("text/html; charset=UTF-8", b"{}", True),
        ("TEXT/HTML", b"", True),
        (None, b"  \n<!DOCTYPE html>", True),
        ("application/json", b"<html>", True),
        ("application/json", b'{"a": 1}', False),
        (None, b"", False),
    ],
)
def test_is_html(content_type, body, html):
    assert is_html(content_type, body) is html


@pytest.mark.parametrize(
    ("status", "html", "json_body", "missing"),
    [
        (404, True, False, True),
        (405, True, False, True),
        (405, False, True, True),  # any 405
        (200, True, False, True),  # HTML where JSON was expected
        (204, True, False, True),
        (404, False, False, True),  # a 404 that is not JSON
        (404, False, True, False),  # a JSON 404: an unknown id
        (500, True, False, False),  # an outage page
        (502, True, False, False),
        (429, True, False, False),  # a rate limit
        (403, True, False, False),
        (200, False, True, False),
        (200, False, False, False),  # broken JSON: an invalid answer, not a missing route
    ],
)
def test_route_missing_l3(status, html, json_body, missing):
    assert route_missing(status=status, html=html, json_body=json_body) is missing
