"""The pyLoad side on Offcloud's 2026 API as live probes measured it (docs/api.md §00).

File links on a CDN that names no job (L11), hosts named by bare words (L17), no retry route,
the add's bare-string refusal (L6), jobs stuck in ``created`` (L7), huge histories (L12).
"""

from __future__ import annotations

import re
from typing import Any, Optional

import pytest
from fakes import MemoryStore

from offcloud_api.exceptions import (
    CloudJobError,
    FileOfflineError,
    JobStuckError,
    RefusedError,
    RouteNotFoundError,
)
from offcloud_api.models import CloudFile, Job, JobStatus, Site, SiteStatus
from offcloud_api.pyload.addonkit import masked
from offcloud_api.pyload.archives import match_refreshed_file
from offcloud_api.pyload.cleanup import (
    Link,
    Verdict,
    job_verdict,
    links_from_pyload,
    request_id_of,
)
from offcloud_api.pyload.hostlist import HostList, choose_host_list, hosts_from_sites, matching_host
from offcloud_api.pyload.jobs import wait_retrying_once
from offcloud_api.pyload.links import FILE_URL_PATTERN, parse_file_url
from offcloud_api.pyload.outcomes import (
    REFUSED_ATTEMPTS,
    Action,
    outcome_for,
    refused_download,
)
from offcloud_api.pyload.transport import has_headers
from offcloud_api.redact import log_safe, log_safe_args, mask_file_links

JOB = "682fec68087e0a20ce1e7f95"
# The shape of L11: a CDN node, a store, a signed path, the URL-encoded name.
CDN = "https://1-cdn2-ovh-fra.energycdn.com/cdn3sto/littlemouse-sto/aBc123SiGnEd/x9/Demo%20File.mkv"
CDN_FRESH = (
    "https://1-cdn2-ovh-bea.energycdn.com/cdn3sto/frostyicebreath-sto/ZzFresh/x9/Demo%20File.mkv"
)


# --------------------------------------------------------------------------------------------
# CDN file links (L11)


def test_cdn_links_are_offcloud_file_links_without_a_job() -> None:
    parsed = parse_file_url(CDN)
    assert parsed is not None
    assert parsed.request_id is None
    assert parsed.server == "1-cdn2-ovh-fra.energycdn.com"
    assert parsed.name == "Demo File.mkv"
    legacy = parse_file_url(f"https://de-3.offcloud.com/cloud/download/{JOB}/a.bin")
    assert legacy is not None
    assert legacy.request_id == JOB
    assert parse_file_url("https://energycdn.com.evil.test/x/y.bin") is None
    assert parse_file_url("https://rapidgator.net/file/abc/demo.bin") is None


@pytest.mark.parametrize(
    ("url", "claimed"),
    [
        (CDN, True),
        (CDN_FRESH, True),
        (f"https://de-3.offcloud.com/cloud/download/{JOB}/a.bin", True),
        (f"https://de-3.offcloud.com/cloud/download/{JOB}", False),  # a folder: the decrypter's
        ("https://energycdn.com.evil.test/x/y.bin", False),
        ("https://rapidgator.net/file/abc/demo.bin", False),
    ],
)
def test_the_downloader_pattern_claims_both_kinds_of_file_link(url: str, claimed: bool) -> None:
    assert bool(re.match(FILE_URL_PATTERN, url)) is claimed


def test_the_signed_part_of_a_cdn_link_is_masked_and_the_name_kept() -> None:
    line = f"DOWNLOAD URL {CDN} | other {CDN_FRESH}"
    out = mask_file_links(line)
    assert "aBc123SiGnEd" not in out
    assert "ZzFresh" not in out
    assert "littlemouse" not in out
    assert "https://1-cdn2-ovh-fra.energycdn.com/***/Demo%20File.mkv" in out
    assert mask_file_links("nothing to see https://rapidgator.net/a/b") == (
        "nothing to see https://rapidgator.net/a/b"
    )


def test_removal_urls_are_masked_in_log_lines_l15() -> None:
    # docs/api.md L15: removal is a GET that deletes; never log or render its URL.
    line = f"LOAD URL https://offcloud.com/api/cloud/remove/{JOB} | get=None"
    assert JOB not in log_safe(line)
    assert "https://offcloud.com/api/cloud/remove/***" in log_safe(line)
    assert log_safe_args((line, 3, None)) == (log_safe(line), 3, None)
    assert JOB not in masked((line,), [])[0]
    assert "aBc123SiGnEd" not in log_safe(f"DOWNLOAD URL {CDN}")


def test_a_busy_refusal_without_headers_is_asked_again_on_one_connection() -> None:
    # pyLoad drops the headers of a refusal on several connections: the Retry-After is unknown.
    probe = refused_download(503, None, headers_lost=True)
    assert probe.wait == 1
    assert probe.one_connection is True
    told = refused_download(503, 2.0, headers_lost=False)
    assert told.wait == 2
    assert "trying again in 2 s" in told.message
    plain = refused_download(503, None, headers_lost=False)
    assert plain.wait == 10  # the server named no wait on one connection either
    assert refused_download(416, None, headers_lost=True).from_start is True
    assert has_headers({"Content-Type": "text/html"}) is True
    assert has_headers({}) is False
    assert has_headers(None) is False


def test_addon_log_lines_mask_keys_and_cdn_signatures() -> None:
    out = masked(("SECRET-KEY-123 fetched", CDN, ValueError(CDN)), ["SECRET-KEY-123"])
    assert all("SECRET-KEY-123" not in arg and "aBc123SiGnEd" not in arg for arg in out)


def test_an_expired_cdn_link_is_matched_by_its_noted_path() -> None:
    files = [
        CloudFile(name="Demo File.mkv", url=CDN_FRESH, path="Demo.Release/Demo File.mkv"),
        CloudFile(
            name="Demo File.mkv", url=CDN_FRESH + "2", path="Demo.Release/Extra/Demo File.mkv"
        ),
    ]
    found = match_refreshed_file(CDN, files, path="Demo.Release/Extra/Demo File.mkv")
    assert found is files[1]
    # Without a note two files share the name: no guess.
    assert match_refreshed_file(CDN, files) is None
    assert match_refreshed_file(CDN, files[:1]) is files[0]


# --------------------------------------------------------------------------------------------
# The clean-up addon on CDN links


def test_cleanup_finds_the_job_of_a_cdn_link_through_the_note() -> None:
    notes = {CDN: JOB}
    assert request_id_of(CDN) is None
    assert request_id_of(CDN, notes.get) == JOB
    assert request_id_of("https://rapidgator.net/file/abc", notes.get) is None
    packages = {
        1: {
            "links": {
                10: {"id": 10, "url": CDN, "status": 0, "package": 1},
                11: {"id": 11, "url": CDN_FRESH, "status": 3, "package": 1},
            }
        }
    }
    links = links_from_pyload(packages, {CDN: JOB, CDN_FRESH: JOB}.get)
    assert [link.request_id for link in links] == [JOB, JOB]
    ended = Link(fid=10, url=CDN, status=0, job_id=JOB)
    # The other file of the job is still queued: the job waits.
    assert job_verdict(JOB, links, ended=ended) is Verdict.WAIT
    done = [Link(fid=11, url=CDN_FRESH, status=0, job_id=JOB)]
    assert job_verdict(JOB, done, ended=ended) is Verdict.REMOVE


# --------------------------------------------------------------------------------------------
# Hosts named by bare words (L17)


def test_bare_host_names_become_the_domain_of_the_pyload_plugin_that_has_them() -> None:
    sites = [
        Site(name="rapidgator", status=SiteStatus.HEALTHY),
        Site(name="nitroflare", status=SiteStatus.HEALTHY),
        Site(name="examplehost", status=SiteStatus.HEALTHY),
        Site(name="gone", status=SiteStatus.DEAD),
        Site(name="1fichier.com", status=SiteStatus.HEALTHY, hosts=("1fichier.com",)),
        Site(name="x", status=SiteStatus.HEALTHY),  # too short to match anything safely
    ]
    hosts = hosts_from_sites(
        sites, plugin_names=["RapidgatorNet", "NitroflareCom", "OneFichierCom", "XFSPlugin"]
    )
    assert hosts.domains == ("rapidgator.net", "nitroflare.com", "examplehost", "1fichier.com")


def test_a_bare_word_matches_a_host_label_not_a_substring() -> None:
    assert matching_host("https://rapidgator.net/file/1", ["rapidgator"]) == "rapidgator"
    assert matching_host("https://dl.rapidgator.net/file/1", ["rapidgator"]) == "rapidgator"
    assert matching_host("https://notrapidgator.net/file/1", ["rapidgator"]) is None


def test_a_good_host_list_is_taken_and_offered() -> None:
    choice = choose_host_list(HostList(("rapidgator.net", "examplehost")), ["old.example"])
    assert choice.hosts == ["rapidgator.net", "examplehost"]
    assert choice.fresh is True
    assert choice.warning is None


@pytest.mark.parametrize(
    ("fresh", "problem", "why"),
    [
        (HostList(()), None, "was empty"),
        (None, "Could not load Offcloud's supported hosts: HTTP 500", "HTTP 500"),
    ],
)
def test_an_empty_or_failed_host_list_keeps_the_last_good_one_and_says_why(
    fresh: Optional[HostList], problem: Optional[str], why: str
) -> None:
    choice = choose_host_list(fresh, ["rapidgator.net", "examplehost"], problem)
    assert choice.hosts == ["rapidgator.net", "examplehost"]
    assert choice.fresh is False
    assert choice.warning is not None
    assert why in choice.warning
    assert "keeping the last good list of 2 hosts" in choice.warning
    first = choose_host_list(fresh, [], problem)
    assert first.hosts == []
    assert first.warning is not None
    assert "no earlier list" in first.warning


# --------------------------------------------------------------------------------------------
# Outcomes of the 2026 answers


@pytest.mark.parametrize(
    ("upstream", "action"),
    [(503, Action.RETRY), (429, Action.RETRY), (None, Action.RETRY), (403, Action.FAIL)],
)
def test_a_refused_add_says_what_offcloud_said(upstream: Optional[int], action: Action) -> None:
    text = f"Error parsing url - HTTP code: {upstream}" if upstream else "Something odd"
    error = RefusedError(f"{text} (POST /cloud, HTTP 500)", status=500, code=text)
    error.upstream_status = upstream
    outcome = outcome_for(error)
    assert outcome.action is action
    assert text in outcome.message
    if action is Action.RETRY:
        assert outcome.attempts == REFUSED_ATTEMPTS


def test_a_stuck_job_fails_with_the_reason() -> None:
    job = Job(request_id=JOB, status=JobStatus.CREATED, message="Loading...")
    error = JobStuckError("Offcloud has not started job X in 10 minutes", job=job)
    outcome = outcome_for(error, kept_job=JOB)
    assert outcome.action is Action.FAIL
    assert "not started" in outcome.message


# --------------------------------------------------------------------------------------------
# One more try without a retry route


class ScriptedApi:
    """An ``OffcloudAPI`` stand-in whose waits end as the script says."""

    api_key = "k"

    def __init__(self, waits: list[Any], retry_error: Optional[Exception] = None) -> None:
        self.waits = waits
        self.retry_error = retry_error
        self.calls: list[str] = []

    def wait_for_download(self, request_id: str, **_: Any) -> Job:
        self.calls.append(f"wait {request_id}")
        outcome = self.waits.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def retry(self, request_id: str) -> None:
        self.calls.append(f"retry {request_id}")
        if self.retry_error is not None:
            raise self.retry_error

    def cloud_status(self, request_id: str) -> Job:
        self.calls.append(f"status {request_id}")
        return Job(request_id=request_id, status=JobStatus.DOWNLOADING)


def _failed(request_id: str = JOB) -> CloudJobError:
    return CloudJobError("failed", job=Job(request_id=request_id, status=JobStatus.ERROR))


def _wait(api: ScriptedApi, store: MemoryStore, **kwargs: Any) -> Job:
    return wait_retrying_once(
        api,  # type: ignore[arg-type]
        store,
        "job:k",
        Job(request_id=JOB, status=JobStatus.DOWNLOADING),
        timeout=60,
        on_progress=lambda job: None,
        should_abort=lambda: False,
        **kwargs,
    )


def test_without_a_retry_route_the_link_is_added_again_once() -> None:
    fresh = "b" * 24
    done = Job(request_id=fresh, status=JobStatus.DOWNLOADED)
    api = ScriptedApi([_failed(), done], retry_error=RouteNotFoundError("HTML 404", status=404))
    store = MemoryStore()
    added: list[str] = []

    def add_again() -> Job:
        added.append("x")
        return Job(request_id=fresh, status=JobStatus.CREATED)

    assert _wait(api, store, add_again=add_again) is done
    assert added == ["x"]
    assert api.calls == [f"wait {JOB}", f"retry {JOB}", f"wait {fresh}"]
    assert store.retrieve("job:k") == {"request_id": fresh, "retried": True}


def test_without_a_retry_route_and_nothing_to_add_the_failure_stands() -> None:
    api = ScriptedApi([_failed()], retry_error=RouteNotFoundError("HTML 404", status=404))
    with pytest.raises(CloudJobError, match="failed"):
        _wait(api, MemoryStore())


def test_a_second_failure_is_final() -> None:
    api = ScriptedApi([_failed(), _failed("b" * 24)], retry_error=RouteNotFoundError("x"))
    with pytest.raises(CloudJobError):
        _wait(
            api, MemoryStore(), add_again=lambda: Job(request_id="b" * 24, status=JobStatus.CREATED)
        )
    assert [call for call in api.calls if call.startswith("retry")] == [f"retry {JOB}"]


def test_a_stuck_job_is_not_tried_again() -> None:
    stuck = JobStuckError("never started", job=Job(request_id=JOB, status=JobStatus.CREATED))
    api = ScriptedApi([stuck])
    with pytest.raises(JobStuckError):
        _wait(api, MemoryStore(), add_again=lambda: pytest.fail("added again"))
    assert api.calls == [f"wait {JOB}"]


def test_a_job_the_add_answered_downloaded_is_not_polled() -> None:
    api = ScriptedApi([])
    job = wait_retrying_once(
        api,  # type: ignore[arg-type]
        MemoryStore(),
        "job:k",
        Job(request_id=JOB, status=JobStatus.DOWNLOADED),
        timeout=60,
        on_progress=lambda job: None,
        should_abort=lambda: False,
    )
    assert job.status is JobStatus.DOWNLOADED
    assert api.calls == []


def test_an_offline_link_is_not_a_failure_to_retry() -> None:
    api = ScriptedApi([FileOfflineError("dead")])
    with pytest.raises(FileOfflineError):
        _wait(api, MemoryStore(), add_again=lambda: pytest.fail("added again"))
