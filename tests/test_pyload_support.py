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
    error_from_response,
)
from offcloud_api.models import Job, JobStatus, Site, SiteStatus
from offcloud_api.pyload.hostlist import host_of, hosts_from_sites, matching_host
from offcloud_api.pyload.links import parse_file_url
from offcloud_api.pyload.outcomes import IP_ADVICE, Action, outcome_for, refused_download
from offcloud_api.pyload.progress import format_progress
from offcloud_api.pyload.storage import job_storage_key
from offcloud_api.pyload.transport import header_value

JOB = Job(request_id="682fec68087e0a20ce1e7f95", status=JobStatus.ERROR)


@pytest.mark.parametrize(
    ("error", "action", "needle"),
    [
        (FileOfflineError("The file is not available on the server."), Action.OFFLINE, "offline"),
        (AuthError("NOAUTH", status=401), Action.ACCOUNT_INVALID, "API key"),
        (IPNotRegisteredError("Unregistered IP address detected."), Action.RETRY, "IP address"),
        (FeatureNotAvailableError("nope", feature="cloud"), Action.FAIL, "'cloud' add-on"),
        (FeatureNotAvailableError("nope", feature="premium"), Action.FAIL, "'premium' add-on"),
        (FeatureNotAvailableError("nope"), Action.FAIL, "offcloud.com/#/account"),
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


def test_ip_advice_names_what_to_do_and_waits_instead_of_failing() -> None:
    # Only the user can fix it, on offcloud.com; failing would make them restart every link
    # (docs/api.md L24). The downloader pauses the whole account instead (ippause).
    outcome = outcome_for(IPNotRegisteredError("Unregistered IP address detected."))
    assert IP_ADVICE in outcome.message
    assert "https://offcloud.com/#/account" in outcome.message
    assert "https://offcloud.com/api/login/check" in outcome.message
    assert outcome.action is Action.RETRY
    assert outcome.wait == 300
    assert outcome.wait * outcome.attempts >= 24 * 3600
    # A decrypter's retries recurse in pyLoad: well below Python's recursion limit.
    assert outcome.attempts < 500


def test_an_account_refusal_is_not_sold_as_a_missing_add_on() -> None:
    # What Offcloud answers an account with can_download false (docs/api.md §4.1).
    error = error_from_response(
        status=200,
        payload={"error": "User is not allowed this operation."},
        method="POST",
        path="/instant",
    )
    assert error is not None
    outcome = outcome_for(error)
    assert outcome.action is Action.FAIL
    assert outcome.message.startswith(
        "Offcloud refused this for your account (User is not allowed this operation.)"
    )
    assert "add-on" not in outcome.message


@pytest.mark.parametrize(
    "error",
    [AuthError("NOAUTH", status=401), FeatureNotAvailableError("x")],
    ids=["key", "account"],
)
def test_a_failure_that_leaves_the_cloud_job_alone_says_it_is_kept(error: OffcloudError) -> None:
    outcome = outcome_for(error, kept_job="682fec68087e0a20ce1e7f95")
    assert outcome.message.startswith(outcome_for(error).message)
    assert outcome.message.endswith(
        "Your Offcloud job 682fec68087e0a20ce1e7f95 is kept; restart the link once this is fixed"
    )


@pytest.mark.parametrize(
    "error",
    [
        CloudJobError("job failed: dead link", job=JOB),
        WaitTimeoutError("still downloading after 60 s", job=JOB),
        NotFoundError("Transfer not found", status=404),
        ServerError("HTTP 500", status=500),
        WaitAbortedError("stop"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_no_kept_job_note_where_it_would_not_be_true_or_is_not_needed(
    error: OffcloudError,
) -> None:
    assert outcome_for(error, kept_job="682fec68087e0a20ce1e7f95") == outcome_for(error)


def test_a_server_that_cannot_resume_gets_the_whole_file_again() -> None:
    then = refused_download(416)
    assert (then.from_start, then.one_connection) == (True, True)
    assert "HTTP 416" in then.message
    assert "from the start" in then.message
    assert then.attempts >= 1


def test_a_busy_file_server_is_asked_again_when_it_says() -> None:
    assert refused_download(503, retry_after=2).wait == 2
    assert refused_download(503, retry_after=0.2).wait == 1
    assert refused_download(503, retry_after=86_400).wait == 600  # not a day
    assert refused_download(503).wait == 10  # Offcloud: retry after 10-30 s
    busy = refused_download(503, retry_after=2)
    assert busy.message == "File server busy (HTTP 503); trying again in 2 s"
    assert not busy.from_start
    assert "still busy (HTTP 503) after 5 tries" in busy.give_up


def test_other_file_server_refusals_are_tried_a_few_times() -> None:
    then = refused_download(502)
    assert "HTTP 502" in then.message
    assert "HTTP 502" in then.give_up
    assert 0 < then.attempts <= 5
    assert not then.from_start


def test_header_value_ignores_the_case_of_names() -> None:
    assert header_value({"retry-after": "7"}, "Retry-After") == "7"
    assert header_value({"Retry-After": "7"}, "retry-after") == "7"
    assert header_value({}, "Retry-After") is None
    assert header_value(None, "Retry-After") is None


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
        # a site known only by a bare word stays one (the account turns it into a label pattern)
        "tf1",
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
    # 2026 (docs/api.md L8, L7): a fraction without sizes; "Loading..." before start.
    live = Job(request_id="r", status=JobStatus.DOWNLOADING, progress=0.42)
    assert format_progress(live) == "Offcloud downloading, 42 %"
    loading = Job(request_id="r", status=JobStatus.CREATED, message="Loading...")
    assert format_progress(loading) == "Offcloud created, Loading..."
