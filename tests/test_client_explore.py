"""Files of finished jobs, history and housekeeping.

Shapes: doc §00 L10-L12, L15 (the live probes), §3.5, §3.6, §3.8, §6.5, §1.3.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from responses import matchers

from offcloud_api import Job, JobStatus, OffcloudAPI, RetryPolicy
from offcloud_api.client import HISTORY_MAX_BYTES, SMALL_ANSWER_BYTES
from offcloud_api.exceptions import (
    AuthError,
    EndpointRemovedError,
    InvalidResponseError,
    NotFoundError,
    ResponseTooLargeError,
    RouteNotFoundError,
)
from offcloud_api.transport import DEFAULT_MAX_BYTES, Request, Response

BASE = "https://offcloud.com/api"
SITE = "https://offcloud.com"
RID = "682fec68087e0a20ce1e7f95"
DETAILED = {"format": "detailed"}
CDN = "https://1-cdn2-ovh-fra.energycdn.com/cdn3sto/littlemouse-sto/0a1b2c3d4e5f"
HTML_404 = (Path(__file__).parent / "fixtures" / "html_404_L3.html").read_text(encoding="utf-8")
HTML_405 = (Path(__file__).parent / "fixtures" / "html_405_L3.html").read_text(encoding="utf-8")


def html(mocked, method, url, status=404, **kwargs):
    """Offcloud's HTML 404 (or Symfony's 405) page: this route is not here (§00 L3)."""
    body = HTML_405 if status == 405 else HTML_404
    return mocked.add(method, url, status=status, body=body, content_type="text/html", **kwargs)


# ---------------------------------------------------------------------------------------------
# explore: the only source of file links (§00 L10, L11)


def test_explore_detailed_l10(mocked, api, strict, payload):
    mocked.get(
        f"{BASE}/cloud/explore/{RID}",
        json=payload("explore_detailed_L10"),
        match=strict(params=DETAILED),
    )
    files = api.explore_cloud(RID)
    assert [(f.name, f.path, f.size, f.id) for f in files] == [
        ("Some.Release.1080p.mkv", "Some.Release.1080p/Some.Release.1080p.mkv", 1503238553, "0"),
        ("sample clip.mkv", "Some.Release.1080p/Sample/sample clip.mkv", 10485760, "1"),
    ]
    assert files[1].url == f"{CDN}/Some.Release.1080p/Sample/sample%20clip.mkv"  # L11: a CDN
    assert files[1].folder == "Some.Release.1080p/Sample"


@pytest.mark.parametrize("status", [404, 405])
def test_explore_bare_array_when_detailed_is_not_a_route_l10(mocked, api, strict, payload, status):
    detailed = html(
        mocked, "GET", f"{BASE}/cloud/explore/{RID}", status=status, match=strict(params=DETAILED)
    )
    bare = mocked.get(
        f"{BASE}/cloud/explore/{RID}", json=payload("explore_bare_L10"), match=strict()
    )
    files = api.explore_cloud(RID)
    assert [(f.name, f.path, f.size) for f in files] == [
        ("Some.Release.1080p.mkv", "Some.Release.1080p.mkv", None),
        ("sample clip.mkv", "sample clip.mkv", None),  # the URL's last segment, unquoted
        ("Some.Release.1080p.nfo", "Some.Release.1080p.nfo", None),
    ]
    assert files[1].url == f"{CDN}/Some.Release.1080p/Sample/sample%20clip.mkv"
    api.explore_cloud(RID)  # remembered: straight to the bare form
    assert (detailed.call_count, bare.call_count) == (1, 2)


def test_explore_bare_single_file_l10(mocked, api, strict, payload):
    # A hoster job: an array of one URL, also from the detailed route if it answers that way.
    mocked.get(
        f"{BASE}/cloud/explore/{RID}",
        json=payload("explore_bare_single_L10"),
        match=strict(params=DETAILED),
    )
    (only,) = api.explore_cloud(RID)
    assert (only.name, only.path, only.size) == ("archive.part1.rar", "archive.part1.rar", None)
    assert only.url.startswith("https://1-cdn2-ovh-bea.energycdn.com/cdn3sto/")


def test_explore_json_404_is_an_unknown_id_not_a_fallback_l18(mocked, api):
    mocked.get(f"{BASE}/cloud/explore/{RID}", status=404, json={"error": "Transfer not found"})
    with pytest.raises(NotFoundError) as caught:
        api.explore_cloud(RID)
    assert not isinstance(caught.value, RouteNotFoundError)
    assert len(mocked.calls) == 1


# ---------------------------------------------------------------------------------------------
# explore


def test_explore_2026_detailed(mocked, api, strict, payload):
    mocked.get(
        f"{BASE}/cloud/explore/{RID}",
        json=payload("explore_detailed_2026"),
        match=strict(params=DETAILED),
    )
    files = api.explore_cloud(RID)
    assert [(f.name, f.path, f.size, f.url, f.id) for f in files] == [
        ("video.mkv", "Release/video.mkv", 100, "https://video", "f1"),
        ("sample.txt", "Release/sample.txt", 1, "https://text", "f2"),
    ]  # the .aria2 control file is dropped
    assert files[0].folder == "Release"


def test_explore_legacy_url_list(mocked, api, strict, payload):
    mocked.get(
        f"{BASE}/cloud/explore/{RID}",
        json=payload("explore_legacy"),
        match=strict(params=DETAILED),
    )
    files = api.explore_cloud(RID)
    assert [f.name for f in files] == ["Show - 01.mkv", "Show - 02.mkv"]
    assert [f.path for f in files] == ["Show - 01.mkv", "Show - 02.mkv"]
    assert files[0].url.endswith("/1/Show%20-%2001.mkv")
    assert files[0].folder == ""
    assert files[0].size is None


def test_explore_bad_archive_builds_the_single_file(ordered, api, strict, payload):
    ordered.get(
        f"{BASE}/cloud/explore/{RID}",
        json={"error": "Bad archive"},
        match=strict(params=DETAILED),
    )
    ordered.post(
        f"{BASE}/cloud/status",
        json=payload("cloud_status_downloaded"),
        match=strict(json={"requestId": RID}),
    )
    (only,) = api.explore_cloud(RID)
    assert only.url == f"https://de-3.offcloud.com/cloud/download/{RID}/Some%20File.mkv"
    assert (only.name, only.path, only.size) == ("Some File.mkv", "Some File.mkv", 1503238553)
    assert len(ordered.calls) == 2


def test_explore_bad_archive_with_the_job_in_hand(mocked, api):
    mocked.get(f"{BASE}/cloud/explore/{RID}", json={"error": "Bad archive"})
    job = Job(
        request_id=RID,
        status=JobStatus.DOWNLOADED,
        file_name="a b.mkv",
        server="de-3",
        is_directory=False,
    )
    (only,) = api.explore_cloud(RID, job=job)
    assert only.url == f"https://de-3.offcloud.com/cloud/download/{RID}/a%20b.mkv"
    assert len(mocked.calls) == 1  # no status call


def test_explore_bad_archive_with_another_job_asks_status(mocked, api, payload):
    mocked.get(f"{BASE}/cloud/explore/{RID}", json={"error": "Bad archive"})
    mocked.post(f"{BASE}/cloud/status", json=payload("cloud_status_downloaded"))
    other = Job(request_id="other", status=JobStatus.DOWNLOADED, file_name="x", server="de-1")
    (only,) = api.explore_cloud(RID, job=other)
    assert only.name == "Some File.mkv"
    assert len(mocked.calls) == 2


def test_explore_bad_archive_without_server_and_name(mocked, api):
    mocked.get(f"{BASE}/cloud/explore/{RID}", json={"error": "Bad archive"})
    mocked.post(f"{BASE}/cloud/status", json={"status": {"requestId": RID, "status": "downloaded"}})
    with pytest.raises(InvalidResponseError, match="no server and name") as caught:
        api.explore_cloud(RID)
    assert caught.value.path == f"/cloud/explore/{RID}"
    assert caught.value.__cause__ is None


def test_explore_unknown_id(mocked, api):
    mocked.get(f"{BASE}/cloud/explore/nope", status=404, json={"error": "transfer not found"})
    with pytest.raises(NotFoundError) as caught:
        api.explore_cloud("nope")
    assert caught.value.path == "/cloud/explore/nope"
    assert "?" not in caught.value.path


# ---------------------------------------------------------------------------------------------
# list_cloud


def test_list_cloud_text_lines(mocked, api, strict):
    mocked.get(
        f"{BASE}/cloud/list/{RID}",
        body="https://de-3.offcloud.com/a\n\n  https://de-3.offcloud.com/b  \n",
        content_type="text/plain",
        match=strict(),
    )
    assert api.list_cloud(RID) == ["https://de-3.offcloud.com/a", "https://de-3.offcloud.com/b"]


def test_list_cloud_falls_back_to_explore_and_remembers(mocked, api, strict, payload):
    text = mocked.get(f"{BASE}/cloud/list/{RID}", status=404)
    explore = mocked.get(
        f"{BASE}/cloud/explore/{RID}",
        json=payload("explore_detailed_2026"),
        match=strict(params=DETAILED),
    )
    assert api.list_cloud(RID) == ["https://video", "https://text"]
    assert api.list_cloud(RID) == ["https://video", "https://text"]
    assert (text.call_count, explore.call_count) == (1, 2)


def test_list_cloud_html_page_means_explore(mocked, api, strict, payload):
    # §00 L3: an HTML page where text was expected is no route: explore instead.
    mocked.get(f"{BASE}/cloud/list/{RID}", body="<html><body>Please log in</body></html>")
    mocked.get(
        f"{BASE}/cloud/explore/{RID}",
        json=payload("explore_bare_L10"),
        match=strict(params=DETAILED),
    )
    assert len(api.list_cloud(RID)) == 3


def test_list_cloud_on_2026_asks_explore_directly(mocked, payload):
    api = OffcloudAPI("SECRET-KEY-123", base_url=BASE, api_generation="2026")
    mocked.get(f"{BASE}/cloud/explore/{RID}", json=payload("explore_bare_single_L10"))
    assert len(api.list_cloud(RID)) == 1
    assert len(mocked.calls) == 1


def test_list_cloud_unknown_id_is_not_a_fallback(mocked, api):
    mocked.get(f"{BASE}/cloud/list/{RID}", status=404, json={"error": "Transfer not found"})
    with pytest.raises(NotFoundError):
        api.list_cloud(RID)
    assert len(mocked.calls) == 1


# ---------------------------------------------------------------------------------------------
# history


def test_history_live_l12(mocked, api, strict, payload):
    mocked.get(f"{BASE}/cloud/history", json=payload("history_live_L12"), match=strict())
    jobs = api.get_history()
    assert [(j.request_id, j.status, j.file_name) for j in jobs] == [
        ("6a1b2c3d4e5f60718293a4b5", JobStatus.DOWNLOADED, "archive.part1.rar"),
        ("682fec68087e0a20ce1e7f95", JobStatus.DOWNLOADED, "Some.Release.1080p"),
        ("6a1b2c3d4e5f60718293a4b6", JobStatus.CREATED, "zzzz"),
    ]
    assert jobs[1].original_link == "b6ed43c90bb5699c7a2f5e5453d681436847791a.torrent"
    assert jobs[0].created_on is not None
    # No sizes and no links in the 2026 history.
    assert all(j.file_size is None and j.url is None and j.file_url is None for j in jobs)


class Recorder:
    """A transport that records the requests and answers each with ``body``."""

    def __init__(self, body: bytes = b"[]") -> None:
        self.body = body
        self.requests: list[Request] = []

    def send(self, request: Request) -> Response:
        self.requests.append(request)
        return Response(status=200, headers={"content-type": "application/json"}, content=self.body)

    def close(self) -> None:
        pass


def test_history_is_read_up_to_64_mib_other_calls_8_mib():
    transport = Recorder()
    api = OffcloudAPI("K", base_url=BASE, transport=transport)
    api.get_history()
    api.get_supported_sites()
    assert [r.max_bytes for r in transport.requests] == [HISTORY_MAX_BYTES, DEFAULT_MAX_BYTES]
    assert HISTORY_MAX_BYTES == 64 * 1024 * 1024


def test_answers_about_one_job_or_the_account_are_capped_at_1_mib(sleeps):
    # Parsing costs many times an answer's size in memory (issue 14, item 4): a status, an add or
    # the account, a few hundred bytes each, is refused past 1 MiB before it is parsed.
    transport = Recorder(b"[" + b"{}," * (SMALL_ANSWER_BYTES // 3) + b"{}]")
    api = OffcloudAPI("K", base_url=BASE, transport=transport, retry=RetryPolicy(sleep=sleeps))
    for call in (lambda: api.cloud_status("r1"), lambda: api.cloud("https://host.test/f")):
        with pytest.raises(ResponseTooLargeError):
            call()
    with pytest.raises(ResponseTooLargeError):
        api.get_account_stats()
    assert {r.max_bytes for r in transport.requests} == {SMALL_ANSWER_BYTES}
    assert SMALL_ANSWER_BYTES == 1024 * 1024


def test_an_answer_over_the_cap_from_any_transport_is_too_large(sleeps):
    # A transport that does not stream (pyLoad's, a test's) is still held to the cap.
    transport = Recorder(b"[" + b" " * DEFAULT_MAX_BYTES + b"]")
    api = OffcloudAPI("K", base_url=BASE, transport=transport, retry=RetryPolicy(sleep=sleeps))
    with pytest.raises(ResponseTooLargeError) as caught:
        api.get_supported_sites()
    assert (caught.value.method, caught.value.path) == ("GET", "/sites")
    assert len(transport.requests) == 1  # not retried
    assert sleeps.calls == []


def test_history_array(mocked, api, strict, payload):
    mocked.get(f"{BASE}/cloud/history", json=payload("history_2026"), match=strict())
    jobs = api.get_history()
    assert [(j.request_id, j.status, j.file_name) for j in jobs] == [
        ("req-1", JobStatus.DOWNLOADED, "Release"),
        ("req-2", JobStatus.CREATED, "Pending"),
    ]
    assert jobs[0].created_on is None  # "2026" is no timestamp


def test_history_skips_hidden_and_id_less_items(mocked, api, payload):
    mocked.get(f"{BASE}/cloud/history", json=payload("history_legacy"))
    (job,) = api.get_history()
    assert job.request_id == RID
    assert job.is_directory is True
    assert job.file_url is None


def test_history_envelope(mocked, api):
    mocked.get(
        f"{BASE}/cloud/history",
        json={"history": [{"requestId": "a", "status": "canceled"}], "isEnd": True},
    )
    (job,) = api.get_history()
    assert job.status is JobStatus.CANCELED
    assert job.status.is_failed


# ---------------------------------------------------------------------------------------------
# remove


def test_remove_one_id_by_get_l15(mocked, api, strict, payload):
    mocked.get(f"{BASE}/cloud/remove/{RID}", json=payload("remove_L15"), match=strict())
    assert api.remove(RID) is None
    assert len(mocked.calls) == 1


def test_remove_many_ids_one_get_each_l15(mocked, api, strict, payload):
    ids = ["id-1", "id-2", "id-3"]
    routes = [
        mocked.get(f"{BASE}/cloud/remove/{rid}", json=payload("remove_L15"), match=strict())
        for rid in ids
    ]
    api.remove(iter(ids))
    assert [route.call_count for route in routes] == [1, 1, 1]


def test_remove_unknown_id_counts_as_removed(mocked, api, payload):
    mocked.get(f"{BASE}/cloud/remove/gone", status=404, json={"error": "Transfer not found"})
    mocked.get(f"{BASE}/cloud/remove/{RID}", json=payload("remove_L15"))
    api.remove(["gone", RID])
    assert len(mocked.calls) == 2


def test_remove_falls_back_to_site_root_per_id(mocked, api, strict):
    ids = ["id-1", "id-2", "id-3"]
    modern = html(mocked, "GET", f"{BASE}/cloud/remove/id-1", match=strict())
    legacy = [
        mocked.get(f"{SITE}/cloud/remove/{rid}", json={"success": True}, match=strict())
        for rid in ids
    ]
    api.remove(ids)
    api.remove(["id-1"])  # remembered: no second 404
    assert modern.call_count == 1
    assert [call.call_count for call in legacy] == [2, 1, 1]
    assert all("/api/" not in call.request.url for call in mocked.calls[1:])


def test_remove_falls_back_to_post_in_batches_of_200(mocked, api, strict):
    ids = [f"{i:024x}" for i in range(450)]
    api_get = html(mocked, "GET", f"{BASE}/cloud/remove/{ids[0]}", status=405)
    site_get = html(mocked, "GET", f"{SITE}/cloud/remove/{ids[0]}")
    for start, end in ((0, 200), (200, 400), (400, 450)):
        mocked.post(
            f"{BASE}/cloud/remove",
            json={"success": True},
            match=strict(json={"requests": ids[start:end]}),
        )
    api.remove(iter(ids))
    assert (api_get.call_count, site_get.call_count) == (1, 1)
    mocked.post(
        f"{BASE}/cloud/remove", json={"success": True}, match=strict(json={"requests": ["x"]})
    )
    api.remove("x")  # both GET routes remembered as absent
    assert len(mocked.calls) == 6


def test_remove_falls_back_after_some_ids_went(mocked, api, strict):
    # The first ids were removed by GET; only the rest go to the next route.
    mocked.get(f"{BASE}/cloud/remove/a", json={"success": True})
    html(mocked, "GET", f"{BASE}/cloud/remove/b")
    mocked.get(f"{SITE}/cloud/remove/b", json={"success": True})
    api.remove(["a", "b"])
    assert [call.request.url for call in mocked.calls] == [
        f"{BASE}/cloud/remove/a",
        f"{BASE}/cloud/remove/b",
        f"{SITE}/cloud/remove/b",
    ]


def test_remove_nothing_makes_no_call(mocked, api):
    api.remove([])
    assert len(mocked.calls) == 0


# ---------------------------------------------------------------------------------------------
# proxies, remote accounts (doc §3.8)


def test_proxies_list_envelope(mocked, api, strict, payload):
    mocked.post(f"{BASE}/proxy", json=payload("proxies_list"), match=strict())
    proxies = api.get_proxies()
    assert [(p.id, p.name, p.region) for p in proxies] == [
        ("p1", "Main (US, New York)", "us"),
        ("p2", "Proxy (DE, Frankfurt)", "eu"),
    ]


def test_proxies_bare_list_on_old_route(mocked, api, strict):
    html(mocked, "POST", f"{BASE}/proxy", match=strict())
    mocked.post(f"{BASE}/proxy/list", json=[{"id": 7, "name": "Main"}], match=strict())
    (proxy,) = api.get_proxies()
    assert (proxy.id, proxy.name, proxy.region) == ("7", "Main", None)


def test_remote_accounts_data_envelope(mocked, api, strict, payload):
    mocked.post(f"{BASE}/remote/accounts", json=payload("remote_accounts_data"), match=strict())
    (account,) = api.get_remote_accounts()
    assert account.remote_option_id == "r1"
    assert account.account_id == "a1"
    assert (account.type, account.username, account.path) == (
        "googledrive",
        "me@gmail.com",
        "/Offcloud",
    )


def test_remote_accounts_old_route(mocked, api):
    mocked.post(f"{BASE}/remote/accounts", status=404)
    mocked.post(f"{BASE}/remote-account/list", json=[{"accountId": "a9", "host": "ftp.example"}])
    (account,) = api.get_remote_accounts()
    assert (account.remote_option_id, account.path) == ("a9", "ftp.example")


# ---------------------------------------------------------------------------------------------
# login and key (doc §1.3: both answer 404 since 2026)


def test_login_removed(mocked, api):
    # COMET-590: POST /api/login answers 404 since 2026 (§00 L3).
    html(
        mocked,
        "POST",
        f"{BASE}/login",
        match=[matchers.json_params_matcher({"username": "me@x.org", "password": "pw"})],
    )
    with pytest.raises(EndpointRemovedError, match="only API keys work") as caught:
        api.login("me@x.org", "pw")
    assert caught.value.feature == "login"
    assert caught.value.status == 404
    assert "pw" not in str(caught.value)
    assert "Authorization" not in mocked.calls[0].request.headers


def test_login_legacy_success(mocked, api, payload):
    mocked.post(f"{BASE}/login", json=payload("login_legacy"))
    assert api.login("test@test.com", "pw") == payload("login_legacy")


def test_login_wrong_credentials(mocked, api):
    mocked.post(f"{BASE}/login", json={"error": "The credentials entered are wrong."})
    with pytest.raises(AuthError):
        api.login("me@x.org", "bad")


def test_login_not_an_object(mocked, api):
    mocked.post(f"{BASE}/login", json=["?"])
    with pytest.raises(InvalidResponseError, match="expected an object"):
        api.login("me@x.org", "pw")


def test_get_api_key_removed(mocked, api):
    mocked.post(f"{BASE}/key", status=404)
    with pytest.raises(EndpointRemovedError, match="only API keys work") as caught:
        api.get_api_key()
    assert caught.value.path == "/key"


@pytest.mark.parametrize(
    "answer",
    [{"email": "test@test.com", "apiKey": "K" * 32}, {"key": "K" * 32}],
    ids=["apiKey", "key"],
)
def test_get_api_key_legacy(mocked, api, answer):
    mocked.post(f"{BASE}/key", json=answer)
    assert api.get_api_key() == "K" * 32


@pytest.mark.parametrize("answer", [{"email": "x"}, ["K"], {"apiKey": 5}], ids=str)
def test_get_api_key_missing(mocked, api, answer):
    mocked.post(f"{BASE}/key", json=answer)
    with pytest.raises(InvalidResponseError, match="no apiKey"):
        api.get_api_key()
