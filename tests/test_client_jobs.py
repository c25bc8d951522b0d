"""Adding and following jobs: instant, cloud, remote, status, waiting, retry.

Shapes: doc §00 L4-L9 (the live probes), §2.2, §3.1-3.3.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from offcloud_api import JobStatus, OffcloudAPI
from offcloud_api.exceptions import (
    CloudFullError,
    CloudJobError,
    CloudOnlyError,
    EndpointRemovedError,
    FeatureNotAvailableError,
    FileOfflineError,
    HTTPError,
    InvalidLinkError,
    JobStuckError,
    RefusedError,
    RouteNotFoundError,
    ServerError,
    WaitAbortedError,
    WaitTimeoutError,
)

BASE = "https://offcloud.com/api"
RID = "682fec68087e0a20ce1e7f95"
LINK = "https://rapidgator.net/file/abc"
MAGNET = "magnet:?xt=urn:btih:b6ed43c90bb5699c7a2f5e5453d681436847791a"


def status_payload(status: str, **extra: object) -> dict[str, object]:
    return {"status": {"requestId": RID, "status": status, **extra}}


# ---------------------------------------------------------------------------------------------
# instant (legacy)


def test_instant_sends_only_url(mocked, api, strict, payload):
    mocked.post(f"{BASE}/instant", json=payload("instant_legacy"), match=strict(json={"url": LINK}))
    job = api.instant(LINK)
    assert job.request_id == "5713129db40677dd57001377"
    assert job.status is JobStatus.CREATED
    assert job.url == (
        "https://de-3.offcloud.com/cloud/download/5713129db40677dd57001377/yahei_mono.ttf"
    )
    assert job.site == "rapidgator"


def test_instant_sends_proxy_id_when_given(mocked, api, strict, payload):
    mocked.post(
        f"{BASE}/instant",
        json=payload("instant_legacy"),
        match=strict(json={"url": LINK, "proxyId": "p1"}),
    )
    assert api.instant(LINK, proxy_id="p1").request_id == "5713129db40677dd57001377"


def test_instant_falls_back_to_old_name(mocked, api, strict, payload):
    mocked.post(f"{BASE}/instant", status=404, match=strict(json={"url": LINK}))
    mocked.post(
        f"{BASE}/instant/download", json=payload("instant_legacy"), match=strict(json={"url": LINK})
    )
    assert api.instant(LINK).file_name == "yahei_mono.ttf"
    assert len(mocked.calls) == 2


def test_instant_gone_everywhere_is_endpoint_removed(mocked, api):
    mocked.post(f"{BASE}/instant", status=404)
    mocked.post(f"{BASE}/instant/download", status=404)
    with pytest.raises(EndpointRemovedError) as caught:
        api.instant(LINK)
    error = caught.value
    assert (error.feature, error.status, error.method, error.path) == (
        "instant",
        404,
        "POST",
        "/instant",
    )
    assert "use cloud()" in error.message
    assert len(mocked.calls) == 2


def test_instant_removed_is_not_retried_on_the_old_name(monkeypatch, api):
    paths: list[str] = []

    def removed(method, path, **kwargs):
        paths.append(path)
        raise EndpointRemovedError("gone", feature="instant", method=method, path=path)

    monkeypatch.setattr(api, "_request", removed)
    with pytest.raises(EndpointRemovedError):
        api.instant(LINK)
    assert paths == ["/instant"]


def test_instant_cloud_only_host(mocked, api):
    mocked.post(
        f"{BASE}/instant",
        json={
            "error": (
                "We are sorry but rapidgator.net links are supported only via Cloud downloading."
            )
        },
    )
    with pytest.raises(CloudOnlyError):
        api.instant(LINK)
    assert len(mocked.calls) == 1  # not retried, no fallback


# ---------------------------------------------------------------------------------------------
# cloud and remote


def test_cloud_created(mocked, api, strict, payload):
    mocked.post(
        f"{BASE}/cloud", json=payload("cloud_add_legacy"), match=strict(json={"url": MAGNET})
    )
    job = api.cloud(MAGNET)
    assert job.request_id == RID
    assert job.status is JobStatus.CREATED
    assert job.status_text == "created"
    assert job.site == "BitTorrent"
    assert job.created_on == datetime(2025, 5, 23, 10, 11, 12, 345000, tzinfo=timezone.utc)
    assert job.original_link.startswith(MAGNET)
    # The request-folder URL plus the escaped name (doc §3.1).
    assert job.file_url == (f"https://de-3.offcloud.com/cloud/download/{RID}/Some.Release.1080p")


def test_cloud_downloaded_when_cached(mocked, api, payload):
    mocked.post(f"{BASE}/cloud", json=payload("cloud_add_2026_downloaded"))
    job = api.cloud(MAGNET)
    assert job.status is JobStatus.DOWNLOADED
    assert job.fraction_done == 1.0


def test_cloud_not_available(mocked, api):
    mocked.post(f"{BASE}/cloud", json={"not_available": "torrent"})
    with pytest.raises(FeatureNotAvailableError) as caught:
        api.cloud(MAGNET)
    assert caught.value.feature == "torrent"
    assert caught.value.code == "torrent"
    assert (caught.value.method, caught.value.path) == ("POST", "/cloud")


@pytest.mark.parametrize(
    ("folder_id", "body"),
    [
        (None, {"url": LINK, "remoteOptionId": "r1"}),
        ("gdrive-folder", {"url": LINK, "remoteOptionId": "r1", "folderId": "gdrive-folder"}),
    ],
    ids=["no-folder", "folder"],
)
def test_remote(mocked, api, strict, folder_id, body):
    mocked.post(
        f"{BASE}/remote",
        json={"requestId": "rem-1", "fileName": "abc", "status": "created"},
        match=strict(json=body),
    )
    job = api.remote(LINK, "r1", folder_id)
    assert (job.request_id, job.status) == ("rem-1", JobStatus.CREATED)


# ---------------------------------------------------------------------------------------------
# status


def test_cloud_status_envelope_with_numbers_as_strings(mocked, api, strict, payload):
    mocked.post(
        f"{BASE}/cloud/status",
        json=payload("cloud_status_downloading"),
        match=strict(json={"requestId": RID}),
    )
    job = api.cloud_status(RID)
    assert job.status is JobStatus.DOWNLOADING
    assert job.file_size == 1503238553
    assert job.amount == 524288000
    assert job.speed == 10485760.0
    assert job.progress == pytest.approx(0.35)
    assert job.fraction_done == pytest.approx(0.35)
    assert job.eta == pytest.approx((1503238553 - 524288000) / 10485760)
    assert job.is_directory is True
    assert job.file_url is None  # a folder has no single file URL
    assert job.server == "de-3"
    assert job.message == "500 MB of 1.4 GB"


def test_cloud_status_percent_is_normalised(mocked, api):
    mocked.post(f"{BASE}/cloud/status", json=status_payload("downloading", progress=45))
    assert api.cloud_status(RID).progress == pytest.approx(0.45)


def test_remote_status(mocked, api, strict):
    mocked.post(
        f"{BASE}/remote/status",
        json={"status": {"requestId": "rem-1", "status": "uploading", "fileSize": "10"}},
        match=strict(json={"requestId": "rem-1"}),
    )
    job = api.remote_status("rem-1")
    assert job.status is JobStatus.UPLOADING
    assert job.status.is_final is False
    assert job.file_size == 10


# ---------------------------------------------------------------------------------------------
# waiting (polling through the client; the schedule itself is in test_polling.py)


def test_wait_created_downloading_downloaded(ordered, api, sleeps, strict):
    for status in ("created", "downloading", "downloaded"):
        ordered.post(
            f"{BASE}/cloud/status",
            json=status_payload(status, fileName="a.mkv", server="de-3", isDirectory=False),
            match=strict(json={"requestId": RID}),
        )
    seen: list[JobStatus] = []
    job = api.wait_for_download(RID, on_progress=lambda j: seen.append(j.status))
    assert job.status is JobStatus.DOWNLOADED
    assert seen == [JobStatus.CREATED, JobStatus.DOWNLOADING, JobStatus.DOWNLOADED]
    assert sleeps.calls == [2.0, 3.0]  # first interval, then 1.5 times that
    assert job.file_url == f"https://de-3.offcloud.com/cloud/download/{RID}/a.mkv"


def test_wait_poll_interval_and_cap(ordered, api, sleeps):
    for status in ("queued", "downloading", "processing", "downloaded"):
        ordered.post(f"{BASE}/cloud/status", json=status_payload(status))
    api.wait_for_download(RID, poll_interval=4.0, max_interval=5.0)
    assert sleeps.calls == [4.0, 5.0, 5.0]


def test_wait_error_raises_cloud_job_error(ordered, api, payload):
    ordered.post(f"{BASE}/cloud/status", json=status_payload("downloading"))
    ordered.post(f"{BASE}/cloud/status", json=payload("cloud_status_error"))
    with pytest.raises(CloudJobError, match="due to an error") as caught:
        api.wait_for_download(RID)
    assert caught.value.job.status is JobStatus.ERROR
    assert caught.value.job.request_id == RID


def test_wait_remote_job(ordered, api):
    ordered.post(
        f"{BASE}/remote/status", json={"status": {"requestId": "r", "status": "downloaded"}}
    )
    assert api.wait_for_download("r", "remote").status is JobStatus.DOWNLOADED


def test_wait_timeout_zero_raises_with_last_status(ordered, api):
    ordered.post(f"{BASE}/cloud/status", json=status_payload("downloading"))
    with pytest.raises(WaitTimeoutError) as caught:
        api.wait_for_download(RID, timeout=0)
    assert caught.value.job.status is JobStatus.DOWNLOADING
    assert len(ordered.calls) == 1


def test_wait_abort_before_first_poll_makes_no_call(mocked, api):
    with pytest.raises(WaitAbortedError):
        api.wait_for_download(RID, should_abort=lambda: True)
    assert len(mocked.calls) == 0


def test_wait_abort_between_polls(ordered, api, sleeps):
    ordered.post(f"{BASE}/cloud/status", json=status_payload("created"))
    answers = iter([False, True])  # before the first poll: go on; while sleeping: stop
    with pytest.raises(WaitAbortedError):
        api.wait_for_download(RID, should_abort=lambda: next(answers))
    assert len(ordered.calls) == 1
    assert sleeps.calls == []  # stopped at the first check, before any sleep


def test_wait_refuses_instant(api):
    with pytest.raises(ValueError, match="only cloud and remote"):
        api.wait_for_download(RID, "instant")


def test_download_and_wait_reuses_a_downloaded_add(mocked, api, payload):
    add = mocked.post(f"{BASE}/cloud", json=payload("cloud_add_2026_downloaded"))
    job = api.download_and_wait(MAGNET)
    assert job.status is JobStatus.DOWNLOADED
    assert add.call_count == 1
    assert len(mocked.calls) == 1  # no status call at all


def test_download_and_wait_reuses_a_failed_add(mocked, api):
    mocked.post(f"{BASE}/cloud", json={"requestId": RID, "status": "error", "message": "dead link"})
    with pytest.raises(CloudJobError, match="dead link"):
        api.download_and_wait(LINK)
    assert len(mocked.calls) == 1


def test_download_and_wait_polls_a_created_add(ordered, api, sleeps, payload):
    ordered.post(f"{BASE}/cloud", json=payload("cloud_add_legacy"))
    ordered.post(f"{BASE}/cloud/status", json=payload("cloud_status_downloaded"))
    job = api.download_and_wait(MAGNET, poll_interval=1.0)
    assert job.file_name == "Some File.mkv"
    assert len(ordered.calls) == 2
    assert sleeps.calls == []  # the add answer is not reused, so the first poll is immediate


def test_download_and_wait_instant(mocked, api, payload):
    mocked.post(f"{BASE}/instant", json=payload("instant_legacy"))
    assert api.download_and_wait(LINK, "instant").status is JobStatus.CREATED


def test_download_and_wait_remote(ordered, api, strict):
    ordered.post(
        f"{BASE}/remote",
        json={"requestId": "rem-1", "status": "created"},
        match=strict(json={"url": LINK, "remoteOptionId": "r1", "folderId": "f1"}),
    )
    ordered.post(
        f"{BASE}/remote/status",
        json={"status": {"requestId": "rem-1", "status": "downloaded"}},
        match=strict(json={"requestId": "rem-1"}),
    )
    job = api.download_and_wait(LINK, "remote", remote_option_id="r1", folder_id="f1")
    assert job.status is JobStatus.DOWNLOADED


def test_download_and_wait_unknown_type(mocked, api):
    with pytest.raises(ValueError, match="unknown download type"):
        api.download_and_wait(LINK, "usenet")
    assert len(mocked.calls) == 0


# ---------------------------------------------------------------------------------------------
# retry


def test_retry_without_a_job_in_the_answer(mocked, api, strict):
    mocked.get(f"{BASE}/cloud/retry/{RID}", json={"success": True}, match=strict())
    assert api.retry(RID) is None


def test_retry_with_a_job_in_the_answer(mocked, api, strict):
    mocked.get(
        f"{BASE}/remote/retry/rem-1",
        json={"requestId": "rem-1", "status": "queued"},
        match=strict(),
    )
    job = api.retry("rem-1", "remote")
    assert job is not None
    assert job.status is JobStatus.QUEUED


def test_retry_is_not_repeated_on_server_error(mocked, api):
    mocked.get(f"{BASE}/cloud/retry/{RID}", status=503, body="<html>down</html>")
    with pytest.raises(ServerError):
        api.retry(RID)
    assert len(mocked.calls) == 1  # GET, but it changes state: idempotent=False


def test_retry_refuses_instant(api):
    with pytest.raises(ValueError, match="only cloud and remote"):
        api.retry(RID, "instant")


# ---------------------------------------------------------------------------------------------
# the 2026 API as live probes measured it (doc §00)

LIVE_RID = "6a1b2c3d4e5f60718293a4b5"
HTML_404 = (Path(__file__).parent / "fixtures" / "html_404_L3.html").read_text(encoding="utf-8")


def test_cloud_add_live_has_no_link_l5(mocked, api, strict, payload):
    mocked.post(
        f"{BASE}/cloud", json=payload("cloud_add_live_L5"), match=strict(json={"url": LINK})
    )
    job = api.cloud(LINK)
    assert (job.request_id, job.status, job.file_name) == (
        LIVE_RID,
        JobStatus.CREATED,
        "archive.part1.rar",
    )
    # No url, server, isDirectory or size: the file links come from explore only.
    assert (job.url, job.server, job.is_directory, job.file_size, job.file_url) == (
        None,
        None,
        None,
        None,
        None,
    )


def test_cloud_add_cached_magnet_downloaded_at_once_l5(mocked, api, strict, payload):
    mocked.post(
        f"{BASE}/cloud",
        json=payload("cloud_add_cached_magnet_L5"),
        match=strict(json={"url": MAGNET}),
    )
    job = api.download_and_wait(MAGNET)
    assert job.status is JobStatus.DOWNLOADED
    assert job.original_link != MAGNET  # canonical: trackers added; never compared
    assert job.file_url is None
    assert len(mocked.calls) == 1  # no poll


@pytest.mark.parametrize(
    ("fixture", "error", "upstream"),
    [
        ("add_error_bare_string_L6", FileOfflineError, 404),
        ("add_error_bare_string_503_L6", RefusedError, 503),
    ],
)
def test_cloud_add_bare_string_500_l6(mocked, api, sleeps, payload, fixture, error, upstream):
    text = payload(fixture)
    mocked.post(f"{BASE}/cloud", status=500, json=text)
    with pytest.raises(error) as caught:
        api.cloud(LINK)
    assert type(caught.value) is error
    assert not isinstance(caught.value, ServerError)  # answered, not lost
    assert (caught.value.status, caught.value.code) == (500, text.strip())
    assert text.strip() in caught.value.message
    if error is RefusedError:
        assert caught.value.upstream_status == upstream
    assert len(mocked.calls) == 1
    assert sleeps.calls == []


def test_cloud_add_not_available_l6_is_a_full_cloud_l23(mocked, api, payload):
    # L6 read {"not_available": "cloud"} as a missing add-on; L23 (which wins) says: cloud full.
    mocked.post(f"{BASE}/cloud", json=payload("add_not_available_L6"))
    with pytest.raises(CloudFullError) as caught:
        api.cloud(LINK)
    assert not isinstance(caught.value, FeatureNotAvailableError)
    assert caught.value.code == "cloud"


@pytest.mark.parametrize(
    "magnet",
    [
        "magnet:?xt=urn:btih:zzzz",  # §00 L7's garbage magnet
        "magnet:?xt=urn:btih:" + "g" * 40,
        "magnet:?xt=urn:btih:" + "a" * 39,
        "magnet:?xt=urn:btih:" + "A" * 31,
        "magnet:?dn=no-hash",
        "magnet:?xt=urn:btmh:1220" + "a" * 64,
    ],
)
def test_cloud_refuses_an_invalid_info_hash_before_any_request_l7(mocked, api, magnet):
    with pytest.raises(InvalidLinkError, match="40 hex or 32 base32") as caught:
        api.cloud(magnet)
    assert isinstance(caught.value, FileOfflineError)
    assert (caught.value.method, caught.value.path) == ("POST", "/cloud")
    assert len(mocked.calls) == 0


def test_cloud_accepts_hex_and_base32_magnets(mocked, api, payload):
    base32 = "magnet:?xt=urn:btih:" + "A" * 32
    mocked.post(f"{BASE}/cloud", json=payload("cloud_add_live_L5"))
    api.cloud(base32)
    api.cloud(MAGNET.upper().replace("MAGNET:?XT=URN:BTIH:", "magnet:?xt=urn:btih:"))
    assert len(mocked.calls) == 2


def test_wait_stuck_in_created_raises_job_stuck_l7(mocked, api, payload):
    mocked.post(f"{BASE}/cloud/status", json=payload("cloud_status_loading_L7"))
    with pytest.raises(JobStuckError, match=r"still created \(Loading\.\.\.\)") as caught:
        api.wait_for_download("6a1b2c3d4e5f60718293a4b6", stuck_after=0)
    assert isinstance(caught.value, CloudJobError)
    assert caught.value.job.message == "Loading..."


def test_wait_status_live_l8(ordered, api, sleeps, strict, payload):
    for fixture in ("cloud_status_running_L8", "cloud_status_finished_L8"):
        ordered.post(
            f"{BASE}/cloud/status",
            json=payload(fixture),
            match=strict(json={"requestId": LIVE_RID}),  # one id per call
        )
    seen: list[object] = []
    job = api.wait_for_download(LIVE_RID, on_progress=lambda j: seen.append(j.progress))
    assert seen == [pytest.approx(0.42), None]
    assert (job.status, job.message, job.file_url) == (JobStatus.DOWNLOADED, None, None)


def test_status_plural_is_a_400_l8(mocked, api, payload):
    mocked.post(f"{BASE}/cloud/status", status=400, json=payload("status_plural_400_L8"))
    with pytest.raises(HTTPError, match="Missing required parameter: requestId"):
        api.cloud_status(LIVE_RID)


def test_instant_is_never_called_on_2026_l4(mocked, api, payload):
    mocked.get(f"{BASE}/account/info", json=payload("account_info_live_L16"))
    api.get_account_stats()
    assert api.instant_available() is False
    with pytest.raises(EndpointRemovedError) as caught:
        api.instant(LINK)
    assert caught.value.feature == "instant"
    assert [call.request.url for call in mocked.calls] == [f"{BASE}/account/info"]


def test_instant_found_absent_is_remembered_l3(mocked, api):
    for path in ("/instant", "/instant/download"):
        mocked.post(f"{BASE}{path}", status=404, body=HTML_404, content_type="text/html")
    assert api.instant_available() is None
    with pytest.raises(EndpointRemovedError):
        api.instant(LINK)
    assert api.instant_available() is False
    with pytest.raises(EndpointRemovedError):
        api.instant(LINK)
    assert len(mocked.calls) == 2  # the second call sent nothing


def test_instant_old_name_is_remembered(mocked, api, payload):
    old = mocked.post(f"{BASE}/instant", status=405, body=HTML_404, content_type="text/html")
    new = mocked.post(f"{BASE}/instant/download", json=payload("instant_legacy"))
    api.instant(LINK)
    api.instant(LINK)
    assert (old.call_count, new.call_count) == (1, 2)
    assert api.instant_available() is None


def test_instant_on_legacy_is_available(mocked, payload):
    api = OffcloudAPI("SECRET-KEY-123", base_url=BASE, api_generation="legacy")
    assert api.instant_available() is True
    mocked.post(f"{BASE}/instant", json=payload("instant_legacy"))
    assert api.instant(LINK).url is not None


def test_retry_route_absent_on_the_live_api(mocked, api):
    mocked.get(f"{BASE}/cloud/retry/{RID}", status=404, body=HTML_404, content_type="text/html")
    with pytest.raises(RouteNotFoundError):
        api.retry(RID)
