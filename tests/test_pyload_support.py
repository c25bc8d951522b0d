"""The pyLoad-side decisions that live outside the plugin files: outcomes, hosts, keys, progress."""

from __future__ import annotations

import pytest

from offcloud_api.exceptions import (
    AuthError,
    CloudJobError,
    CloudOnlyError,
    EndpointRemovedError,
    FeatureNotAvailableError,
    FileOfflineError,
    HostUnavailableError,
    HTTPError,
    InvalidResponseError,
    IPNotRegisteredError,
    NotFoundError,
    OffcloudConnectionError,
    OffcloudError,
    RateLimitError,
    ServerError,
    WaitAbortedError,
    WaitTimeoutError,
)
from offcloud_api.models import Job, JobStatus, Site, SiteStatus
from offcloud_api.pyload.outcomes import IP_ADVICE, Action, outcome_for
from offcloud_api.pyload.support import (
    format_progress,
    host_of,
    hosts_from_sites,
    job_storage_key,
    matching_host,
    parse_file_url,
)

JOB = Job(request_id="682fec68087e0a20ce1e7f95", status=JobStatus.ERROR)


@pytest.mark.parametrize(
    ("error", "action", "needle"),
    [
        (FileOfflineError("The file is not available on the server."), Action.OFFLINE, "offline"),
        (AuthError("NOAUTH", status=401), Action.ACCOUNT_INVALID, "API key"),
        (IPNotRegisteredError("Unregistered IP address detected."), Action.FAIL, "confirmed"),
        (FeatureNotAvailableError("nope", feature="cloud"), Action.FAIL, "'cloud' add-on"),
        (FeatureNotAvailableError("nope"), Action.FAIL, "'premium' add-on"),
        (RateLimitError("slow", retry_after=7.4), Action.RETRY, "429"),
        (HostUnavailableError("quota exceeded today"), Action.RETRY, "quota exceeded today"),
        (ServerError("HTTP 503", status=503), Action.RETRY, "HTTP 503"),
        (InvalidResponseError("broken JSON"), Action.RETRY, "broken JSON"),
        (OffcloudConnectionError("refused"), Action.RETRY, "refused"),
        (CloudOnlyError("cloud only"), Action.USE_CLOUD, "cloud"),
        (EndpointRemovedError("gone", feature="instant"), Action.USE_CLOUD, "cloud"),
        (EndpointRemovedError("gone", feature="login"), Action.FAIL, "gone"),
        (WaitAbortedError("stop"), Action.ABORT, "Stopped"),
        (WaitTimeoutError("still downloading after 60 s", job=JOB), Action.FAIL, "resumes it"),
        (CloudJobError("job failed: dead link", job=JOB), Action.FAIL, "dead link"),
        (NotFoundError("HTTP 404", status=404), Action.FAIL, "404"),
        (HTTPError("teapot", status=418), Action.FAIL, "teapot"),
        (OffcloudError("something else"), Action.FAIL, "something else"),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else None,
)
def test_outcome_table(error: OffcloudError, action: Action, needle: str) -> None:
    outcome = outcome_for(error)
    assert outcome.action is action
    assert needle in outcome.message


def test_rate_limit_waits_what_offcloud_asked_and_a_default_otherwise() -> None:
    assert outcome_for(RateLimitError("x", retry_after=7.4)).wait == 7
    assert outcome_for(RateLimitError("x", retry_after=0.1)).wait == 1
    assert outcome_for(RateLimitError("x")).wait == 60


def test_temporary_outcomes_are_bounded() -> None:
    for error in (ServerError("x"), HostUnavailableError("y"), RateLimitError("z")):
        outcome = outcome_for(error)
        assert 0 < outcome.attempts <= 10
        assert outcome.wait > 0


def test_ip_advice_names_what_to_do() -> None:
    assert IP_ADVICE in outcome_for(IPNotRegisteredError("x")).message


SITES = [
    Site(
        name="rapidgator",
        display_name="rapidgator.net",
        hosts=("rapidgator.net", "rg.to"),
        status=SiteStatus.HEALTHY,
        max_chunks=16,
    ),
    Site(name="cloudonly.example", status=SiteStatus.CLOUD_ONLY),
    Site(name="noinstant.example", status=SiteStatus.HEALTHY, no_instant=True),
    Site(name="dead.example", status=SiteStatus.DEAD),
    Site(name="soon.example", status=SiteStatus.COMING_SOON),
    Site(name="awaiting.example", status=SiteStatus.AWAITING_DEMAND),
    Site(name="fragile.example", status=SiteStatus.FRAGILE, max_chunks=0),
    Site(name="tf1", status=SiteStatus.HEALTHY),
]


def test_host_list_leaves_out_dead_and_awaiting_and_keeps_aliases() -> None:
    hosts = hosts_from_sites(SITES)
    assert hosts.domains == (
        "rapidgator.net",
        "rg.to",
        "cloudonly.example",
        "noinstant.example",
        "fragile.example",
    )
    assert hosts.cloud_only == {"cloudonly.example", "noinstant.example"}
    assert hosts.chunk_limits == {"rapidgator.net": 16, "rg.to": 16}


def test_host_list_includes_awaiting_demand_on_request() -> None:
    assert "awaiting.example" in hosts_from_sites(SITES, include_awaiting=True).domains


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://rapidgator.net/file/abc", "rapidgator.net"),
        ("https://www.rapidgator.net/file/abc", "rapidgator.net"),
        ("http://cdn.rg.to:8080/x", "rg.to"),
        ("https://example.com/?u=rapidgator.net", None),
        ("https://notrapidgator.net/x", None),
    ],
)
def test_matching_host(url: str, expected: str | None) -> None:
    assert matching_host(url, ["rapidgator.net", "rg.to"]) == expected


def test_host_of_strips_www_and_port() -> None:
    assert host_of("https://WWW.Example.com:8443/a") == "example.com"


def test_storage_key_is_stable_and_holds_no_url() -> None:
    url = "https://rapidgator.net/file/abc?token=SECRET"
    key = job_storage_key(url)
    assert key == job_storage_key(url + "  ")
    assert key != job_storage_key("https://rapidgator.net/file/abd")
    assert "SECRET" not in key
    assert "rapidgator" not in key


def test_parse_file_url() -> None:
    parsed = parse_file_url(
        "https://de-3.offcloud.com/cloud/download/682fec68087e0a20ce1e7f95/1/Show%20-%2001.mkv"
    )
    assert parsed is not None
    assert (parsed.server, parsed.request_id, parsed.name) == (
        "de-3",
        "682fec68087e0a20ce1e7f95",
        "Show - 01.mkv",
    )
    assert parse_file_url("https://offcloud.com/api/cloud") is None


def test_progress_line_says_what_where_how_fast() -> None:
    job = Job(
        request_id="r",
        status=JobStatus.DOWNLOADING,
        amount=50 * 1024 * 1024,
        file_size=100 * 1024 * 1024,
        speed=10 * 1024 * 1024,
    )
    assert (
        format_progress(job) == "Offcloud downloading, 50.0 MiB of 100.0 MiB, 10.0 MiB/s, 5 s left"
    )
    slow = Job(request_id="r", status=JobStatus.DOWNLOADING, amount=0, file_size=10**9, speed=1000)
    assert format_progress(slow).endswith("min left")
    assert format_progress(Job(request_id="r", status=JobStatus.QUEUED)) == "Offcloud queued"
