"""Contract tests: the real ``OffcloudAPI`` against the running simulator, over real HTTP.

Every test that takes ``any_simulator`` runs three times: on the ``live`` profile (the 2026 API as
probed, docs/api.md §00), on the ``rich`` one (every documented 2026 route) and on a
legacy-only server whose 2026 routes answer 404, where the client must fall back. Tests of instant
take ``instant_simulator`` (rich and legacy: the live API has no instant, L4). After each
test the call log must show the key only in the ``Authorization`` header, never in a URL.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
import requests

from offcloud_api import JobStatus, RetryPolicy, SiteStatus
from offcloud_api.exceptions import (
    AuthError,
    CloudJobError,
    CloudOnlyError,
    EndpointRemovedError,
    FeatureNotAvailableError,
    FileOfflineError,
    InvalidResponseError,
    IPNotRegisteredError,
    NotFoundError,
    OffcloudConnectionError,
    RateLimitError,
    ServerError,
)
from offcloud_api.simulator import (
    EXPIRED_API_KEY,
    NO_DOWNLOAD_API_KEY,
    Simulator,
    expected_sha256,
)

from .helpers import (
    ARCHIVE_LINK,
    CLOUD_FOLDER_JOB,
    CLOUD_ONLY_LINK,
    DEMO_LINK,
    ERRORED_JOB,
    FLAKY_LINK,
    HIDDEN_JOB,
    OFFLINE_LINK,
    PLAIN_LINK,
    SINGLE_FILE_JOB,
    make_scenario,
)

WAIT = {"poll_interval": 0.01, "max_interval": 0.05, "timeout": 10}


def is_legacy(sim: Simulator) -> bool:
    return not sim.scenario.api.modern


def is_live(sim: Simulator) -> bool:
    return sim.scenario.api.live


@pytest.fixture(params=["rich", "legacy"])
def instant_simulator(request: pytest.FixtureRequest) -> Iterator[Simulator]:
    """The profiles that have ``/api/instant``."""
    with Simulator(make_scenario(profile=request.param)) as sim:
        yield sim


@pytest.fixture(autouse=True)
def _key_only_in_bearer(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each test: every authenticated API call carried the key as Bearer, none in a URL."""
    yield
    for value in request.node.funcargs.values():
        if isinstance(value, Simulator):
            for call in value.calls:
                assert call.key_location != "query", call
                assert "query" not in call.key_locations, call
                if call.kind == "api" and call.key_locations:
                    assert call.key_locations == ("bearer",), call


def download(sim: Simulator, url: str) -> bytes:
    """Fetch a file URL: directly, or through the simulator's proxy for offcloud.com URLs."""
    proxied = url.startswith("https://")
    with requests.get(
        url,
        timeout=10,
        proxies={"https": sim.proxy_url} if proxied else None,
        verify=sim.ca_cert_path if proxied else True,
    ) as answer:
        answer.raise_for_status()
        return answer.content


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------------------------
# account and sites


def test_account_of_the_demo_key(any_simulator, client_for):
    info = client_for(any_simulator).get_account_stats()
    account = any_simulator.scenario.accounts[0]
    assert info.is_premium
    assert info.can_download
    assert not info.is_expired
    assert info.user_id == account.user_id
    assert info.email == account.email
    assert info.expiration == account.expiration_date
    route = "/api/account/stats" if is_legacy(any_simulator) else "/api/account/info"
    assert any_simulator.api_calls()[-1].path == route


def test_expired_account_is_not_premium(any_simulator, client_for):
    info = client_for(any_simulator, EXPIRED_API_KEY).get_account_stats()
    assert not info.is_premium
    assert info.is_expired
    assert info.expiration is not None
    assert info.expiration < datetime.now(timezone.utc).date()
    with pytest.raises(FeatureNotAvailableError) as raised:
        client_for(any_simulator, EXPIRED_API_KEY).cloud(DEMO_LINK)
    assert raised.value.feature == "premium"


def test_account_that_cannot_download(any_simulator, client_for):
    client = client_for(any_simulator, NO_DOWNLOAD_API_KEY)
    # account/stats (legacy) has no such flag; only account/info tells (§3.7).
    assert client.get_account_stats().can_download is is_legacy(any_simulator)
    with pytest.raises(FeatureNotAvailableError):
        client.cloud(DEMO_LINK)


def test_supported_sites(any_simulator, client_for):
    sites = {site.name: site for site in client_for(any_simulator).get_supported_sites()}
    rapidgator = sites["rapidgator"]  # a bare name (L17)
    assert rapidgator.status is SiteStatus.HEALTHY
    if is_live(any_simulator):  # [{name, status: up|down}] only
        assert sites["uploaded.net"].status is SiteStatus.DEAD
        assert sites["mediafire.com"].status is SiteStatus.DEAD
        assert sites["1fichier.com"].status is SiteStatus.HEALTHY
        assert sites["example-hoster.test"].status is SiteStatus.HEALTHY
        return
    assert "rg.to" in rapidgator.domains
    assert (rapidgator.max_chunks, rapidgator.max_chunks_global) == (16, 20)
    assert not rapidgator.cloud_only
    assert sites["nitroflare.com"].cloud_only
    assert sites["uploaded.net"].status is SiteStatus.DEAD
    assert sites["mediafire.com"].status is SiteStatus.AWAITING_DEMAND
    assert sites["1fichier.com"].status is SiteStatus.FRAGILE
    assert sites["1fichier.com"].max_chunks_global is None  # "unlimited"
    assert sites["example-hoster.test"].status is SiteStatus.HEALTHY


def test_chunk_limits_on_the_legacy_api(legacy_simulator, client_for):
    limits = client_for(legacy_simulator).get_chunk_limits()
    assert limits["rapidgator.net"] == (16, 20)


# --------------------------------------------------------------------------------------------
# cache


def test_cache_info_cached_and_uncached(any_simulator, client_for):
    release = any_simulator.scenario.torrent("Demo.Release")
    uncached = any_simulator.scenario.torrent("Demo.Uncached")
    first, second = client_for(any_simulator).cache_info(
        [release.magnet, uncached.info_hash], include_files=True
    )
    assert (first.cached, second.cached) == (True, False)
    assert first.info_hash == release.info_hash
    if is_legacy(any_simulator):
        assert first.files == ()  # legacy cache check knows only hashes
        assert any_simulator.api_calls()[-1].path == "/api/cache"
    else:
        assert [f.path for f in first.files] == [f.path for f in release.files]


def test_cache_download_gives_ready_links(rich_simulator, client_for):
    release = rich_simulator.scenario.torrent("Demo.Release")
    files = client_for(rich_simulator).cache_download(release.magnet)
    assert [f.filename for f in files] == [spec.path for spec in release.files]
    assert [f.size for f in files] == [spec.size for spec in release.files]
    assert sha256(download(rich_simulator, files[0].url)) == expected_sha256(release.files[0])
    assert not any(j.original_link == release.magnet for j in rich_simulator.state.jobs.values())


def test_cache_download_of_an_uncached_torrent_is_empty(rich_simulator, client_for):
    uncached = rich_simulator.scenario.torrent("Demo.Uncached")
    assert client_for(rich_simulator).cache_download(uncached.magnet) == []


def test_cache_download_on_live_gives_cdn_links_and_no_job(simulator, client_for):
    release = simulator.scenario.torrent("Demo.Release")
    jobs_before = set(simulator.state.jobs)
    files = client_for(simulator).cache_download(release.magnet)
    assert [f.filename for f in files] == [spec.path for spec in release.files]
    assert all(f.url.startswith(f"{simulator.url}/cdn3sto/") for f in files)  # sent direct
    assert sha256(download(simulator, files[0].url)) == expected_sha256(release.files[0])
    assert set(simulator.state.jobs) == jobs_before


def test_cache_download_switched_off_on_live_is_absent(client_for):
    with Simulator(make_scenario({"api": {"cache_download": False}})) as sim:
        release = sim.scenario.torrent("Demo.Release")
        with pytest.raises(NotFoundError):
            client_for(sim).cache_download(release.magnet)


def test_cache_download_is_absent_from_the_legacy_api(legacy_simulator, client_for):
    release = legacy_simulator.scenario.torrent("Demo.Release")
    with pytest.raises(NotFoundError):
        client_for(legacy_simulator).cache_download(release.magnet)


# --------------------------------------------------------------------------------------------
# instant and cloud


def test_instant_link_downloads_the_file(instant_simulator, client_for):
    job = client_for(instant_simulator).instant(DEMO_LINK)
    assert job.status is JobStatus.CREATED
    assert job.file_name == "demo.bin"
    assert job.url is not None
    spec = instant_simulator.scenario.link(DEMO_LINK).files[0]
    assert sha256(download(instant_simulator, job.url)) == expected_sha256(spec)


def test_instant_is_absent_from_the_live_api(simulator, client_for):
    """L4: no instant route; the client is told so (a route-not-found error), nothing is added."""
    client = client_for(simulator)
    with pytest.raises(NotFoundError):
        client.instant(DEMO_LINK)
    calls = simulator.api_calls()
    assert all(c.path.startswith("/api/instant") and c.status == 404 for c in calls)
    with pytest.raises(NotFoundError):
        client.instant(DEMO_LINK)
    assert len(simulator.api_calls()) == len(calls)  # found absent once, then remembered
    assert simulator.state.jobs.keys() == {j.request_id for j in simulator.scenario.jobs}


def test_cloud_single_file_job(any_simulator, client_for):
    client = client_for(any_simulator)
    job = client.cloud(CLOUD_ONLY_LINK)
    assert job.status is JobStatus.CREATED
    done = client.wait_for_download(job.request_id, **WAIT)
    assert done.status is JobStatus.DOWNLOADED
    if not is_live(any_simulator):  # the live status has no isDirectory and no size (L8)
        assert done.is_directory is False
        assert done.file_size == 3 << 20
    (file,) = client.explore_cloud(job.request_id, job=done)
    assert file.name == "cloud-only.bin"
    spec = any_simulator.scenario.link(CLOUD_ONLY_LINK).files[0]
    assert sha256(download(any_simulator, file.url)) == expected_sha256(spec)


def test_explore_of_a_single_file_job_falls_back_on_bad_archive(any_simulator, client_for):
    """§3.5: legacy explore answers ``Bad archive``; the URL is built from server and name."""
    client = client_for(any_simulator)
    (file,) = client.explore_cloud(SINGLE_FILE_JOB)
    assert file.name == "old-single.bin"
    paths = [call.path for call in any_simulator.api_calls()]
    if is_live(any_simulator):  # L10, L11: one CDN link, from the detailed explore
        assert "/cdn3sto/" in file.url
        assert file.url.endswith("/old-single.bin")
        assert paths == [f"/api/cloud/explore/{SINGLE_FILE_JOB}"]
    else:
        assert file.url.endswith(f"/cloud/download/{SINGLE_FILE_JOB}/old-single.bin")
    if is_live(any_simulator):
        pass
    elif is_legacy(any_simulator):
        assert paths == [f"/api/cloud/explore/{SINGLE_FILE_JOB}", "/api/cloud/status"]
    else:
        assert paths == [f"/api/cloud/explore/{SINGLE_FILE_JOB}"]  # detailed: one entry
    spec = any_simulator.scenario.job(SINGLE_FILE_JOB).files[0]
    assert sha256(download(any_simulator, file.url)) == expected_sha256(spec)


def test_archive_job_has_several_files(any_simulator, client_for):
    client = client_for(any_simulator)
    job = client.cloud(ARCHIVE_LINK)
    client.wait_for_download(job.request_id, **WAIT)
    files = client.explore_cloud(job.request_id)
    link = any_simulator.scenario.link(ARCHIVE_LINK)
    assert [f.name for f in files] == [spec.name for spec in link.files]
    if not is_legacy(any_simulator):
        assert [f.path for f in files] == [spec.path for spec in link.files]
        assert [f.size for f in files] == [spec.size for spec in link.files]
    if is_live(any_simulator):  # no cloud/list on live; links are CDN links (L11)
        assert all("/cdn3sto/" in f.url for f in files)
        assert sha256(download(any_simulator, files[1].url)) == expected_sha256(link.files[1])
        return
    urls = client.list_cloud(job.request_id)
    assert urls == [f.url for f in files]
    assert [url.split("/")[-2] for url in urls] == ["1", "2", "3"]  # 1-based index
    assert sha256(download(any_simulator, urls[1])) == expected_sha256(link.files[1])


def test_cached_magnet_is_downloaded_when_added(any_simulator, client_for):
    client = client_for(any_simulator)
    release = any_simulator.scenario.torrent("Demo.Release")
    job = client.cloud(release.magnet)
    assert job.status is JobStatus.DOWNLOADED
    assert job.file_name == "Demo.Release"
    files = client.explore_cloud(job.request_id)
    assert [f.name for f in files] == ["ep1.mkv", "ep2.mkv", "info.nfo"]


def test_uncached_magnet_takes_time(any_simulator, client_for):
    client = client_for(any_simulator)
    uncached = any_simulator.scenario.torrent("Demo.Uncached")
    job = client.cloud(uncached.magnet)
    # Not done at once; under a fast simulator clock and a busy machine it may have started.
    assert job.status in (JobStatus.CREATED, JobStatus.DOWNLOADING)
    seen: list[JobStatus] = []
    done = client.wait_for_download(
        job.request_id, on_progress=lambda j: seen.append(j.status), **WAIT
    )
    assert done.status is JobStatus.DOWNLOADED
    if not is_live(any_simulator):  # no isDirectory in the live status (L8)
        assert done.is_directory is True
    assert JobStatus.DOWNLOADED in seen


def test_existing_cloud_folder_in_history_can_be_explored(any_simulator, client_for):
    files = client_for(any_simulator).explore_cloud(CLOUD_FOLDER_JOB)
    assert [f.name for f in files] == ["part1.bin", "part2.bin", "readme.txt"]


def test_readding_a_link_returns_the_same_job(any_simulator, client_for):
    """§7.15: Offcloud dedupes a link that already has a live job (on live: magnets only, L5)."""
    client = client_for(any_simulator)
    first = client.cloud(PLAIN_LINK)
    second = client.cloud(PLAIN_LINK)
    if is_live(any_simulator):
        assert first.request_id != second.request_id
        magnet = any_simulator.scenario.torrent("Demo.Uncached").magnet
        assert client.cloud(magnet).request_id == client.cloud(magnet).request_id
        return
    assert first.request_id == second.request_id
    submissions = [c for c in any_simulator.api_calls() if c.path == "/api/cloud"]
    assert len(submissions) == 2
    assert submissions[0].body_summary == submissions[1].body_summary


# --------------------------------------------------------------------------------------------
# history and housekeeping


def test_history_is_newest_first_and_hides_internal_items(any_simulator, client_for):
    client = client_for(any_simulator)
    added = client.cloud(PLAIN_LINK)
    history = client.get_history()
    ids = [job.request_id for job in history]
    assert ids[0] == added.request_id
    assert CLOUD_FOLDER_JOB in ids
    if is_live(any_simulator):
        assert HIDDEN_JOB in ids  # no metaData in the live history (L12)
    else:
        assert HIDDEN_JOB not in ids  # metaData "hide" (§7.14)
    created = [job.created_on for job in history]
    assert created == sorted(created, reverse=True)


def test_remove(any_simulator, client_for):
    client = client_for(any_simulator)
    job = client.cloud(PLAIN_LINK)
    client.remove(job.request_id)
    assert job.request_id not in [j.request_id for j in client.get_history()]
    with pytest.raises(NotFoundError):
        client.cloud_status(job.request_id)
    paths = [(c.method, c.path, c.status) for c in any_simulator.api_calls()]
    # L15: GET /api/cloud/remove/{id} first; where it is no route, the site-root GET
    assert (
        "GET",
        f"/api/cloud/remove/{job.request_id}",
        404 if is_legacy(any_simulator) else 200,
    ) in paths
    if is_legacy(any_simulator):
        assert ("GET", f"/cloud/remove/{job.request_id}", 200) in paths


def test_retry_of_an_errored_job(any_simulator, client_for):
    client = client_for(any_simulator)
    assert client.cloud_status(ERRORED_JOB).status is JobStatus.ERROR
    if is_live(any_simulator):  # no probe saw a retry route: callers add the link again
        with pytest.raises(NotFoundError):
            client.retry(ERRORED_JOB)
        return
    retried = client.retry(ERRORED_JOB)
    assert retried is not None
    assert retried.request_id == ERRORED_JOB
    assert client.wait_for_download(ERRORED_JOB, **WAIT).status is JobStatus.DOWNLOADED


def test_a_failing_job_raises_and_succeeds_after_retry(any_simulator, client_for):
    client = client_for(any_simulator)
    job = client.cloud(FLAKY_LINK)
    with pytest.raises(CloudJobError) as raised:
        client.wait_for_download(job.request_id, **WAIT)
    job_error = raised.value.job
    assert "will not be downloaded" in (job_error.error_message or job_error.message or "")
    if is_live(any_simulator):
        return  # no retry route on live (see test_retry_of_an_errored_job)
    client.retry(job.request_id)
    assert client.wait_for_download(job.request_id, **WAIT).status is JobStatus.DOWNLOADED


# --------------------------------------------------------------------------------------------
# legacy extras and removed routes


def test_proxies_and_remote_accounts_on_the_legacy_api(legacy_simulator, client_for):
    client = client_for(legacy_simulator)
    proxies = client.get_proxies()
    assert [p.name for p in proxies] == ["Main (US, New York)", "Proxy (DE, Frankfurt)"]
    (remote,) = client.get_remote_accounts()
    assert remote.remote_option_id == "6b1c2d3e4f5061728394a5b6"
    assert remote.type == "gdrive"


def test_remote_job_on_the_legacy_api(legacy_simulator, client_for):
    client = client_for(legacy_simulator)
    job = client.remote(PLAIN_LINK, "6b1c2d3e4f5061728394a5b6")
    done = client.wait_for_download(job.request_id, "remote", **WAIT)
    assert done.status is JobStatus.DOWNLOADED


def test_proxies_are_gone_from_the_2026_api(simulator, client_for):
    with pytest.raises(NotFoundError):
        client_for(simulator).get_proxies()


def test_login_and_key_routes_are_removed(any_simulator, client_for):
    client = client_for(any_simulator)
    with pytest.raises(EndpointRemovedError):
        client.login("demo@offcloud-sim.test", "demo-password")
    with pytest.raises(EndpointRemovedError):
        client.get_api_key()


# --------------------------------------------------------------------------------------------
# errors


def test_bad_key(any_simulator, client_for):
    with pytest.raises(AuthError) as raised:
        client_for(any_simulator, "WrongKey000000000000000000000000").get_supported_sites()
    assert raised.value.status == (200 if is_legacy(any_simulator) else 401)


def test_key_revoked_while_a_job_runs(simulator, client_for):
    client = client_for(simulator)
    job = client.cloud("https://nitroflare.com/view/SLOW01/slow.bin")
    fault = simulator.revoke_key()
    with pytest.raises(AuthError):
        client.cloud_status(job.request_id)
    simulator.remove_fault(fault)
    assert client.cloud_status(job.request_id).status in (JobStatus.CREATED, JobStatus.DOWNLOADING)


def test_offline_link(any_simulator, client_for):
    """On live the add answers 500 + "Error parsing url - HTTP code: 404 " (L6): offline too."""
    client = client_for(any_simulator)
    with pytest.raises(FileOfflineError):
        client.cloud(OFFLINE_LINK)
    if is_live(any_simulator):
        assert [c.path for c in any_simulator.api_calls()] == ["/api/cloud"]  # no look-up, no retry
        return
    with pytest.raises(FileOfflineError):
        client.instant(OFFLINE_LINK)


def test_cloud_only_link_on_instant(instant_simulator, client_for):
    with pytest.raises(CloudOnlyError):
        client_for(instant_simulator).instant(CLOUD_ONLY_LINK)


def test_ip_not_registered_link(instant_simulator, client_for):
    with pytest.raises(IPNotRegisteredError):
        client_for(instant_simulator).instant("https://rapidgator.net/file/newip1/new-ip.bin")


def test_rate_limit_is_retried(simulator, client_for):
    simulator.inject("rate_limit", count=2, retry_after=0)
    assert client_for(simulator).get_account_stats().is_premium
    statuses = [c.status for c in simulator.api_calls() if c.path == "/api/account/info"]
    assert statuses == [429, 429, 200]


def test_long_retry_after_raises(simulator, client_for):
    simulator.inject("rate_limit", count=1, retry_after=120)
    with pytest.raises(RateLimitError) as raised:
        client_for(simulator).get_account_stats()
    assert raised.value.retry_after == 120
    assert len(simulator.api_calls()) == 1


def test_server_error_page(simulator, client_for):
    simulator.inject("server_error")
    client = client_for(simulator)
    with pytest.raises(ServerError):
        client.get_account_stats()
    assert len(simulator.api_calls()) == 3  # idempotent: retried
    simulator.reset_calls()
    with pytest.raises(ServerError):
        client.cloud(PLAIN_LINK)
    assert len(simulator.api_calls()) == 1  # not idempotent: sent once
    assert not any(j.original_link == PLAIN_LINK for j in simulator.state.jobs.values())


def test_truncated_json(simulator, client_for):
    simulator.inject("truncated_json", count=1)
    with pytest.raises(InvalidResponseError):
        client_for(simulator, retry=RetryPolicy.never()).get_account_stats()


def test_connection_reset_after_the_job_was_made(rich_simulator, client_for):
    rich_simulator.inject("reset", count=1, path="/api/cloud")
    client = client_for(rich_simulator)
    with pytest.raises(OffcloudConnectionError):
        client.cloud(PLAIN_LINK)
    # Offcloud did act on it: adding again finds the same job instead of a second one.
    job = client.cloud(PLAIN_LINK)
    made = [j for j in rich_simulator.state.jobs.values() if j.original_link == PLAIN_LINK]
    assert [j.request_id for j in made] == [job.request_id]


def test_connection_reset_after_a_magnet_job_was_made_on_live(simulator, client_for):
    """L5: on live only a magnet finds its job again (a hoster link would make a second one)."""
    magnet = simulator.scenario.torrent("Demo.Uncached").magnet
    simulator.inject("reset", count=1, path="/api/cloud")
    client = client_for(simulator)
    with pytest.raises(OffcloudConnectionError):
        client.cloud(magnet)
    job = client.cloud(magnet)
    made = [j for j in simulator.state.jobs.values() if j.dedupe_key.startswith("btih:")]
    assert [j.request_id for j in made] == [job.request_id]
