"""The ``live`` profile, row by row: docs/api.md §00 (L1-L18) is what the real API does.

One test (or a few) per row, named after it; each fails when the simulator drifts from the row,
including by being kinder than it (a field, a route or a leniency no live probe saw). Plain HTTP
only (``requests``), never the project's client, so these tests pin the server alone.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import requests

from offcloud_api.simulator import (
    DEMO_API_KEY,
    EXPIRED_API_KEY,
    ScenarioError,
    Simulator,
    content_bytes,
    default_scenario,
    expected_sha256,
    load_scenario,
)
from offcloud_api.simulator.records import CDN_NODES, CDN_STORES
from offcloud_api.torrent import bencode, parse_torrent

from .helpers import (
    CLOUD_FOLDER_JOB,
    CLOUD_ONLY_LINK,
    DEMO_LINK,
    OFFLINE_LINK,
    PLAIN_LINK,
    SINGLE_FILE_JOB,
    add,
    bearer,
    call,
    make_scenario,
)

HEX24 = re.compile(r"^[0-9a-f]{24}$")
#: L11: https://<node>.energycdn.com/cdn3sto/<store>-sto/<token>/<URL-encoded name>
CDN_URL = re.compile(
    r"^https://(?P<node>[a-z0-9-]+)\.energycdn\.com/cdn3sto/(?P<store>[a-z0-9]+)-sto/"
    r"(?P<token>[A-Za-z0-9_-]+)/(?P<name>[^/]+)$"
)
DIRECT_CDN_URL = re.compile(
    r"^http://127\.0\.0\.1:\d+/cdn3sto/(?P<store>[a-z0-9]+)-sto/(?P<token>[A-Za-z0-9_-]+)/"
    r"(?P<name>[^/]+)$"
)
ADD_KEYS = {"requestId", "fileName", "status", "originalLink"}
ADD_OPTIONAL_KEYS = {"site", "createdOn"}
STATUS_KEYS = {"requestId", "status", "fileName", "progress", "message"}
HISTORY_KEYS = {"requestId", "fileName", "status", "originalLink", "createdOn"}
DEAD_LINK_BODY = b'"Error parsing url - HTTP code: 404 "'
TORRENT_INFO = {b"name": b"Live.Torrent.bin", b"length": 4096, b"piece length": 16384}
TORRENT_URL = "https://tracker.example/get/Live.Torrent.torrent"


@pytest.fixture
def live() -> Any:
    """The packaged demo scenario as it is (profile ``live``), fast clock."""
    with Simulator(make_scenario()) as sim:
        assert sim.scenario.api.profile == "live"
        yield sim


@pytest.fixture
def still() -> Any:
    """The live profile with a clock that only moves when a test advances it."""
    with Simulator(make_scenario({"clock": {"speedup": 1e-6}})) as sim:
        yield sim


def status(http: requests.Session, sim: Simulator, request_id: str) -> dict[str, Any]:
    answer = call(http, sim, "POST", "/cloud/status", json={"requestId": request_id})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"status"}
    return body["status"]  # type: ignore[no-any-return]


def explore(
    http: requests.Session, sim: Simulator, request_id: str, *, detailed: bool = False
) -> Any:
    params = {"format": "detailed"} if detailed else None
    answer = call(http, sim, "GET", f"/cloud/explore/{request_id}", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def through_proxy(sim: Simulator) -> dict[str, Any]:
    return {"proxies": {"https": sim.proxy_url}, "verify": sim.ca_cert_path, "timeout": 10}


def is_html(answer: requests.Response) -> bool:
    return answer.headers["Content-Type"].startswith("text/html") and answer.text.lstrip()[:1] == (
        "<"
    )


# --------------------------------------------------------------------------------------------
# the profile itself


def test_live_is_the_default_profile_of_the_packaged_scenario():
    assert default_scenario().api.profile == "live"
    assert load_scenario(None).api.live
    assert load_scenario({"extends": "default"}).api.live
    options = default_scenario().api
    assert (options.modern, options.legacy, options.instant, options.login, options.oauth) == (
        True,
        False,
        False,
        False,
        False,
    )


def test_profiles_set_defaults_and_single_flags_override_them():
    rich = load_scenario({"extends": "default", "api": {"profile": "rich"}}).api
    assert (rich.modern, rich.instant, rich.oauth, rich.live) == (True, True, True, False)
    legacy = load_scenario({"extends": "default", "api": {"profile": "legacy"}}).api
    assert (legacy.modern, legacy.legacy, legacy.instant) == (False, True, True)
    oauth = load_scenario({"extends": "default", "api": {"oauth": True}}).api
    assert oauth.live
    assert oauth.oauth
    with pytest.raises(ScenarioError, match="profile"):
        load_scenario({"extends": "default", "api": {"modern": False, "legacy": True}})
    with pytest.raises(ScenarioError, match="profile"):
        load_scenario({"extends": "default", "api": {"profile": "kind"}})


def test_oauth_is_off_on_live_unless_the_scenario_turns_it_on(http):
    with Simulator(make_scenario()) as sim:
        answer = http.post(sim.url + "/oauth/device/code", json={}, timeout=10)
        assert answer.status_code == 404
        assert is_html(answer)
    with Simulator(make_scenario({"api": {"oauth": True}})) as sim:
        answer = http.post(sim.url + "/oauth/device/code", json={}, timeout=10)
        assert answer.status_code == 200
        assert "device_code" in answer.json()


# --------------------------------------------------------------------------------------------
# L1, L2: authentication


def test_l1_bearer_and_query_key_authenticate_and_nothing_else(live, http):
    assert call(http, live, "GET", "/account/info").status_code == 200
    by_query = call(http, live, "GET", "/account/info", headers={}, params={"key": DEMO_API_KEY})
    assert by_query.status_code == 200
    assert live.api_calls()[-1].key_location == "query"
    # no probe saw these work on the 2026 API: the live profile refuses them
    for how in (
        {"params": {"apikey": DEMO_API_KEY}},
        {"params": {"apiKey": DEMO_API_KEY}},
    ):
        answer = call(http, live, "GET", "/account/info", headers={}, **how)
        assert answer.status_code == 401
    in_body = call(http, live, "POST", "/cloud", headers={}, json={"key": DEMO_API_KEY})
    assert in_body.status_code == 401
    in_form = call(http, live, "POST", "/cloud", headers={}, data={"key": DEMO_API_KEY})
    assert in_form.status_code == 401


def test_l2_missing_malformed_and_revoked_keys_all_answer_401_noauth(live, http):
    answers = [
        call(http, live, "GET", "/account/info", headers={}),
        call(http, live, "GET", "/account/info", headers=bearer("short")),
        call(http, live, "GET", "/account/info", headers={"Authorization": "Basic xyz"}),
        call(http, live, "GET", "/cloud/history", headers=bearer("W" * 32)),
    ]
    live.revoke_key()
    answers.append(call(http, live, "POST", "/cloud/status", json={"requestId": "0" * 24}))
    for answer in answers:
        assert (answer.status_code, answer.json()) == (401, {"error": "NOAUTH"})
        assert answer.headers["Content-Type"].startswith("application/json")
    assert len({answer.content for answer in answers}) == 1  # nothing tells them apart


# --------------------------------------------------------------------------------------------
# L3, L4: routes


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/instant"),
        ("POST", "/api/instant/download"),
        ("GET", "/api/instant/history"),
        ("GET", f"/api/cloud/retry/{SINGLE_FILE_JOB}"),
        ("GET", "/api/account/stats"),
        ("POST", "/api/login"),
        ("POST", "/api/key"),
        ("POST", "/api/proxy"),
        ("GET", "/api/sites/chunks"),
        ("POST", "/api/torrent/check"),
        ("GET", f"/api/cloud/list/{CLOUD_FOLDER_JOB}"),
        ("POST", "/api/remote"),
        ("GET", "/api/no-such-route"),
        ("GET", f"/cloud/remove/{SINGLE_FILE_JOB}"),
    ],
)
def test_l3_unknown_paths_answer_offclouds_html_404(live, http, method, path):
    for headers in (bearer(), {}):  # the route is looked up before the key
        answer = http.request(method, live.url + path, headers=headers, timeout=10)
        assert answer.status_code == 404
        assert is_html(answer), answer.text
        with pytest.raises(ValueError):
            answer.json()
    assert all(job.removed is False for job in live.state.jobs.values())


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/api/cloud", "POST"),
        ("GET", "/api/cloud/status", "POST"),
        ("POST", "/api/cloud/history", "GET"),
        ("GET", "/api/cache", "POST"),
        ("GET", "/api/cache/info", "POST"),
        ("POST", "/api/account/info", "GET"),
        ("DELETE", "/api/sites", "GET"),
        ("POST", f"/api/cloud/explore/{CLOUD_FOLDER_JOB}", "GET"),
        ("POST", f"/api/cloud/remove/{CLOUD_FOLDER_JOB}", "GET"),
    ],
)
def test_l3_a_known_path_with_the_wrong_verb_answers_an_html_405(live, http, method, path, allowed):
    answer = http.request(method, live.url + path, headers=bearer(), timeout=10)
    assert answer.status_code == 405
    assert is_html(answer)
    assert "405 Method Not Allowed" in answer.text
    assert answer.headers["Allow"] == allowed
    assert not live.state.jobs[CLOUD_FOLDER_JOB].removed


def test_l4_instant_is_absent_and_a_hoster_link_goes_add_status_explore(live, http):
    instant = call(http, live, "POST", "/instant", json={"url": DEMO_LINK})
    assert instant.status_code == 404
    assert is_html(instant)
    added = add(http, live, DEMO_LINK)
    assert added.status_code == 200
    request_id = added.json()["requestId"]
    live.advance(60)
    assert status(http, live, request_id)["status"] == "downloaded"
    (url,) = explore(http, live, request_id)
    spec = live.scenario.link(DEMO_LINK).files[0]
    assert http.get(url, timeout=10).content == content_bytes(spec.seed, spec.size)
    assert [c.path for c in live.api_calls()] == [
        "/api/instant",
        "/api/cloud",
        "/api/cloud/status",
        f"/api/cloud/explore/{request_id}",
    ]


# --------------------------------------------------------------------------------------------
# L5: the add answer


def test_l5_add_answer_has_no_url_server_or_size(live, http):
    for link in (DEMO_LINK, CLOUD_ONLY_LINK, live.scenario.torrent("Demo.Uncached").magnet):
        answer = add(http, live, link)
        assert answer.status_code == 200
        body = answer.json()
        assert ADD_KEYS <= set(body) <= ADD_KEYS | ADD_OPTIONAL_KEYS, body
        for absent in ("url", "server", "isDirectory", "size", "fileSize", "amount"):
            assert absent not in body
        assert HEX24.match(body["requestId"])
        assert body["status"] == "created"


def test_l5_a_cached_magnet_answers_downloaded_in_the_add_answer(live, http):
    release = live.scenario.torrent("Demo.Release")
    body = add(http, live, release.magnet).json()
    assert (body["status"], body["fileName"]) == ("downloaded", "Demo.Release")


def test_l5_the_same_magnet_while_its_job_lives_gets_the_same_request_id(live, http):
    uncached = live.scenario.torrent("Demo.Uncached")
    first = add(http, live, uncached.magnet).json()["requestId"]
    again = add(http, live, f"magnet:?xt=urn:btih:{uncached.info_hash.upper()}").json()
    assert again["requestId"] == first
    removed = call(http, live, "GET", f"/cloud/remove/{first}")
    assert removed.json() == {"success": True}
    assert add(http, live, uncached.magnet).json()["requestId"] != first


def test_l5_hoster_links_get_a_new_job_each_time(live, http):
    first = add(http, live, PLAIN_LINK).json()["requestId"]
    second = add(http, live, PLAIN_LINK).json()["requestId"]
    assert first != second


def test_l5_original_link_is_offclouds_canonical_form(http):
    torrent = bencode({b"announce": b"udp://tracker.example:80", b"info": TORRENT_INFO})
    scenario = make_scenario(
        {"direct_files": [{"url": TORRENT_URL, "data_base64": base64.b64encode(torrent).decode()}]}
    )
    with Simulator(scenario) as sim:
        uncached = sim.scenario.torrent("Demo.Uncached")
        sent = f"magnet:?xt=urn:btih:{uncached.info_hash}"
        canonical = add(http, sim, sent).json()["originalLink"]
        assert canonical != sent
        assert canonical.startswith(sent)
        assert "&tr=" in canonical  # trackers added
        info_hash = parse_torrent(torrent).info_hash
        from_url = add(http, sim, TORRENT_URL).json()
        assert from_url["originalLink"] == f"{info_hash}.torrent"
        assert from_url["fileName"] == "Live.Torrent.bin"
        assert add(http, sim, PLAIN_LINK).json()["originalLink"] == PLAIN_LINK


def test_l5_the_url_is_read_from_the_body_never_the_query(live, http):
    in_query = call(http, live, "POST", "/cloud", params={"url": PLAIN_LINK})
    assert in_query.status_code == 400
    assert "Missing required parameter: url" in in_query.text
    assert live.state.jobs.keys() == {job.request_id for job in live.scenario.jobs}
    # A form body is read too (L20); with form_bodies off, JSON only.
    assert call(http, live, "POST", "/cloud", data={"url": PLAIN_LINK}).status_code == 200
    with Simulator(make_scenario({"api": {"form_bodies": False}})) as strict:
        as_form = call(http, strict, "POST", "/cloud", data={"url": PLAIN_LINK})
        assert as_form.status_code == 400
        assert "Missing required parameter: url" in as_form.text
        assert strict.state.jobs.keys() == {job.request_id for job in strict.scenario.jobs}


# --------------------------------------------------------------------------------------------
# L6: add failures


def test_l6_a_dead_link_answers_500_with_a_bare_json_string(live, http):
    answer = add(http, live, OFFLINE_LINK)
    assert answer.status_code == 500
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.content == DEAD_LINK_BODY
    assert answer.json() == "Error parsing url - HTTP code: 404 "
    live.inject("link_offline", link=PLAIN_LINK)
    assert add(http, live, PLAIN_LINK).content == DEAD_LINK_BODY
    missing = add(http, live, "https://tracker.example/get/missing.torrent")
    assert (missing.status_code, missing.content) == (500, DEAD_LINK_BODY)
    assert live.state.jobs.keys() == {job.request_id for job in live.scenario.jobs}


def test_l6_other_refusals_are_bare_strings_too_and_a_plan_gap_is_not_available(live, http):
    quota = add(http, live, "https://rapidgator.net/file/quota1/quota.bin")
    assert quota.status_code == 500
    assert isinstance(quota.json(), str)
    assert "quota" in quota.json()
    expired = call(http, live, "POST", "/cloud", headers=bearer(EXPIRED_API_KEY))
    assert expired.status_code == 400  # no url: the parameter is checked first
    plan = call(
        http, live, "POST", "/cloud", headers=bearer(EXPIRED_API_KEY), json={"url": DEMO_LINK}
    )
    assert plan.json() == {"not_available": "premium"}


# --------------------------------------------------------------------------------------------
# L7: a garbage magnet


def test_l7_a_garbage_magnet_is_accepted_and_stays_created_loading_for_ever(still, http):
    answer = add(http, still, "magnet:?xt=urn:btih:zzzz")
    assert answer.status_code == 200
    request_id = answer.json()["requestId"]
    assert HEX24.match(request_id)
    assert answer.json()["status"] == "created"
    for _ in range(3):
        still.advance(86400)
        now = status(http, still, request_id)
        assert (now["status"], now["message"]) == ("created", "Loading...")
    assert add(http, still, "magnet:?xt=urn:btih:zzzz").json()["requestId"] == request_id


def test_l7_a_valid_uncached_magnet_leaves_created_within_a_few_seconds(still, http):
    uncached = still.scenario.torrent("Demo.Uncached")
    request_id = add(http, still, uncached.magnet).json()["requestId"]
    assert status(http, still, request_id)["message"] == "Loading..."
    still.advance(5)
    assert status(http, still, request_id)["status"] != "created"


# --------------------------------------------------------------------------------------------
# L8, L9: status


def test_l8_status_is_five_fields_progress_0_to_1_then_null(still, http):
    request_id = add(http, still, CLOUD_ONLY_LINK).json()["requestId"]
    created = status(http, still, request_id)
    assert set(created) == STATUS_KEYS
    assert created["progress"] == 0
    still.advance(0.5 + 2.5)  # queue 10 % of 5 s, then half of the download
    running = status(http, still, request_id)
    assert set(running) == STATUS_KEYS
    assert running["status"] == "downloading"
    assert 0 < running["progress"] < 1
    assert running["progress"] == pytest.approx(0.5)
    assert isinstance(running["message"], str)
    still.advance(60)
    done = status(http, still, request_id)
    assert done == {
        "requestId": request_id,
        "status": "downloaded",
        "fileName": "cloud-only.bin",
        "progress": None,
        "message": None,
    }


def test_l8_one_id_per_call_and_request_ids_is_a_400(live, http):
    many = call(
        http,
        live,
        "POST",
        "/cloud/status",
        json={"requestIds": [CLOUD_FOLDER_JOB, SINGLE_FILE_JOB]},
    )
    assert many.status_code == 400
    assert "Missing required parameter: requestId" in many.text
    many_form = call(http, live, "POST", "/cloud/status", data={"requestIds": [CLOUD_FOLDER_JOB]})
    assert many_form.status_code == 400  # one id per call in a form too (L8, L20)
    as_form = call(http, live, "POST", "/cloud/status", data={"requestId": CLOUD_FOLDER_JOB})
    assert as_form.status_code == 200
    assert as_form.json()["status"]["requestId"] == CLOUD_FOLDER_JOB


def test_l9_status_values_come_from_the_known_set(still, http):
    seen = set()
    flaky = add(http, still, "https://rapidgator.net/file/fail01/flaky.bin").json()
    plain = add(http, still, PLAIN_LINK).json()
    for _ in range(12):
        for request_id in (flaky["requestId"], plain["requestId"]):
            seen.add(status(http, still, request_id)["status"])
        still.advance(0.5)
    seen.add(status(http, still, "138bb025f5c103fe415d247a")["status"])
    assert {"created", "downloading", "downloaded", "error"} <= seen
    assert seen <= {"created", "queued", "downloading", "downloaded", "error", "canceled"}


# --------------------------------------------------------------------------------------------
# L10, L11: explore and the CDN file links


def test_l10_explore_is_a_bare_url_array_one_per_file_also_for_one_file(live, http):
    folder = explore(http, live, CLOUD_FOLDER_JOB)
    assert isinstance(folder, list)
    assert len(folder) == 3
    assert all(isinstance(url, str) for url in folder)
    single = explore(http, live, SINGLE_FILE_JOB)
    assert isinstance(single, list)
    assert len(single) == 1
    assert unquote(single[0].rpartition("/")[2]) == "old-single.bin"


def test_l10_format_detailed_gives_files_with_id_name_size_path_url(live, http):
    answer = explore(http, live, CLOUD_FOLDER_JOB, detailed=True)
    assert set(answer) == {"files"}
    files = answer["files"]
    assert [set(f) for f in files] == [{"id", "name", "size", "path", "url"}] * 3
    job = live.scenario.job(CLOUD_FOLDER_JOB)
    assert [f["path"] for f in files] == [spec.path for spec in job.files]
    assert [f["size"] for f in files] == [spec.size for spec in job.files]
    assert [f["name"] for f in files] == [spec.name for spec in job.files]
    (single,) = explore(http, live, SINGLE_FILE_JOB, detailed=True)["files"]
    assert single["name"] == single["path"] == "old-single.bin"


def test_l11_file_links_are_on_the_cdn_signed_per_call_and_carry_no_request_id(live, http):
    url = f"https://offcloud.com/api/cloud/explore/{CLOUD_FOLDER_JOB}"
    first = http.get(url, headers=bearer(), **through_proxy(live)).json()
    second = http.get(url, headers=bearer(), **through_proxy(live)).json()
    nodes, stores = set(), set()
    for link in first + second:
        match = CDN_URL.match(link)
        assert match is not None, link
        assert "offcloud.com" not in link
        assert CLOUD_FOLDER_JOB not in link
        assert not re.search(r"[0-9a-f]{24}", match.group("token"))
        nodes.add(match.group("node"))
        stores.add(match.group("store"))
    assert nodes <= set(CDN_NODES)
    assert stores <= set(CDN_STORES)
    assert len(nodes) > 1 or len(stores) > 1  # node and store vary (match the domain)
    assert set(first).isdisjoint(second)  # a fresh signature on every explore call
    names = [unquote(CDN_URL.match(link).group("name")) for link in first]  # type: ignore[union-attr]
    assert names == ["part1.bin", "part2.bin", "readme.txt"]


def test_l11_cdn_links_need_no_key_serve_ranges_and_work_through_connect(live, http):
    spec = live.scenario.job(CLOUD_FOLDER_JOB).files[0]
    first, *_ = http.get(
        f"https://offcloud.com/api/cloud/explore/{CLOUD_FOLDER_JOB}",
        headers=bearer(),
        **through_proxy(live),
    ).json()
    whole = http.get(first, **through_proxy(live))  # no key, no cookie
    assert whole.status_code == 200
    assert whole.headers["Accept-Ranges"] == "bytes"
    assert whole.content == content_bytes(spec.seed, spec.size)
    part = http.get(first, headers={"Range": "bytes=100-199"}, **through_proxy(live))
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 100-199/{spec.size}"
    assert part.content == content_bytes(spec.seed, spec.size, 100, 200)
    beyond = http.get(first, headers={"Range": f"bytes={spec.size}-"}, **through_proxy(live))
    assert beyond.status_code == 416
    host = urlsplit(first).hostname
    tunnels = [c for c in live.calls if c.kind == "connect" and c.host == host]
    assert tunnels
    assert tunnels[0].status == 200
    downloads = [c for c in live.calls if c.kind == "file"]
    assert {c.request_id for c in downloads} == {CLOUD_FOLDER_JOB}
    assert all(c.key_location is None for c in downloads)


def test_l11_sent_straight_to_the_simulator_links_point_back_at_it(live, http):
    (url,) = explore(http, live, SINGLE_FILE_JOB)
    assert DIRECT_CDN_URL.match(url), url
    assert url.startswith(live.url + "/cdn3sto/")
    spec = live.scenario.job(SINGLE_FILE_JOB).files[0]
    import hashlib  # noqa: PLC0415

    got = http.get(url, timeout=10).content
    assert hashlib.sha256(got).hexdigest() == expected_sha256(spec)


def test_l11_a_link_stops_working_with_its_job_and_cannot_be_forged(live, http):
    request_id = add(http, live, PLAIN_LINK).json()["requestId"]
    live.advance(60)
    (url,) = explore(http, live, request_id)
    assert http.head(url, timeout=10).status_code == 200
    forged = url.replace(url.split("/")[-2], "A" * 40)
    assert http.head(forged, timeout=10).status_code == 404
    renamed = url.rpartition("/")[0] + "/other.bin"
    assert http.head(renamed, timeout=10).status_code == 404
    old_shape = f"{live.url}/cloud/download/{request_id}/plain.bin"
    assert http.head(old_shape, timeout=10).status_code == 404  # no offcloud.com links
    call(http, live, "GET", f"/cloud/remove/{request_id}")
    assert http.head(url, timeout=10).status_code == 200  # links outlive their job (L15)
    with Simulator(make_scenario({"api": {"cdn_links_outlive_jobs": False}})) as strict:
        request_id = add(http, strict, PLAIN_LINK).json()["requestId"]
        strict.advance(60)
        (url,) = explore(http, strict, request_id)
        assert http.head(url, timeout=10).status_code == 200
        call(http, strict, "GET", f"/cloud/remove/{request_id}")
        assert http.head(url, timeout=10).status_code == 404


# --------------------------------------------------------------------------------------------
# L12: history


def test_l12_history_is_a_bare_array_newest_first_without_sizes(live, http):
    added = add(http, live, PLAIN_LINK).json()["requestId"]
    history = call(http, live, "GET", "/cloud/history").json()
    assert isinstance(history, list)
    assert history[0]["requestId"] == added
    assert all(set(item) == HISTORY_KEYS for item in history)
    created = [item["createdOn"] for item in history]
    assert created == sorted(created, reverse=True)
    assert {item["requestId"] for item in history} >= {CLOUD_FOLDER_JOB, SINGLE_FILE_JOB}
    paged = call(http, live, "GET", "/cloud/history", params={"page": 1}).json()
    # No paging: the same jobs in the same order (a job may have moved on between the two calls).
    assert [item["requestId"] for item in paged] == [item["requestId"] for item in history]


# --------------------------------------------------------------------------------------------
# L13, L14: the cache


def test_l13_cache_answers_hits_only(live, http):
    release = live.scenario.torrent("Demo.Release")
    single = live.scenario.torrent("Demo.Single")
    uncached = live.scenario.torrent("Demo.Uncached")
    hashes = [uncached.info_hash, release.info_hash, "0" * 40, single.info_hash, release.magnet]
    answer = call(http, live, "POST", "/cache", json={"hashes": hashes})
    assert answer.status_code == 200
    assert answer.json() == {"cachedItems": [release.info_hash, single.info_hash]}
    many = [f"{n:040x}" for n in range(5000)] + [release.info_hash]
    big = call(http, live, "POST", "/cache", json={"hashes": many})
    assert big.json() == {"cachedItems": [release.info_hash]}


def test_l14_cache_info_is_positional_folder_a_list_and_a_bare_hash_is_not_cached(live, http):
    release = live.scenario.torrent("Demo.Release")
    uncached = live.scenario.torrent("Demo.Uncached")
    urls = [uncached.magnet, release.magnet, release.info_hash]
    answer = call(
        http, live, "POST", "/cache/info", json={"urls": urls, "includeFiles": True}
    ).json()
    assert isinstance(answer, list)
    assert len(answer) == 3
    assert [item["cached"] for item in answer] == [False, True, False]
    assert answer[1]["files"] == [
        {"folder": ["Demo.Release", "Sub"], "filename": "ep1.mkv", "size": 3 << 20},
        {"folder": ["Demo.Release", "Sub"], "filename": "ep2.mkv", "size": 2 << 20},
        {"folder": ["Demo.Release"], "filename": "info.nfo", "size": 1024},
    ]
    plain = call(http, live, "POST", "/cache/info", json={"urls": urls[:2]}).json()
    assert plain == [{"cached": False}, {"cached": True}]
    # The switch gives the "/"-joined string DMM's types name.
    with Simulator(make_scenario({"api": {"cache_info_folder": "string"}})) as as_string:
        body = {"urls": [release.magnet], "includeFiles": True}
        (joined,) = call(http, as_string, "POST", "/cache/info", json=body).json()
        assert [f["folder"] for f in joined["files"]] == [
            "Demo.Release/Sub",
            "Demo.Release/Sub",
            "Demo.Release",
        ]


# --------------------------------------------------------------------------------------------
# L15, L16, L17, L18


def test_l15_removal_is_a_get_and_is_immediate(live, http):
    request_id = add(http, live, PLAIN_LINK).json()["requestId"]
    answer = call(http, live, "GET", f"/cloud/remove/{request_id}")
    assert (answer.status_code, answer.json()) == (200, {"success": True})
    ids = [item["requestId"] for item in call(http, live, "GET", "/cloud/history").json()]
    assert request_id not in ids
    gone = call(http, live, "POST", "/cloud/status", json={"requestId": request_id})
    assert gone.status_code == 404
    # The POST form answers too (L15, what ResolveURL sends).
    batch = call(http, live, "POST", "/cloud/remove", json={"requests": [CLOUD_FOLDER_JOB]})
    assert (batch.status_code, batch.json()) == (200, {"success": True})
    assert live.state.jobs[CLOUD_FOLDER_JOB].removed


def test_l16_account_info_has_the_five_fields(live, http):
    answer = call(http, live, "GET", "/account/info").json()
    assert set(answer) == {"user_id", "email", "is_premium", "expiration_date", "can_download"}
    assert re.match(r"^\d{4}-\d\d-\d\d$", answer["expiration_date"])
    assert answer["is_premium"] is True
    assert answer["can_download"] is True
    expired = call(http, live, "GET", "/account/info", headers=bearer(EXPIRED_API_KEY)).json()
    assert expired["is_premium"] is False


def test_l17_sites_are_name_and_status_only_with_bare_names(live, http):
    sites = call(http, live, "GET", "/sites").json()
    assert isinstance(sites, list)
    assert sites
    assert all(set(site) == {"name", "status"} for site in sites)
    assert {site["status"] for site in sites} == {"up", "down"}
    by_name = {site["name"]: site["status"] for site in sites}
    assert by_name["rapidgator"] == "up"  # a bare name, not a domain
    assert by_name["uploaded.net"] == "down"
    # the bare-named site still takes its hosts' links
    assert add(http, live, DEMO_LINK).status_code == 200


def test_l18_an_unknown_request_id_is_a_json_404(live, http):
    unknown = "0" * 24
    for answer in (
        call(http, live, "POST", "/cloud/status", json={"requestId": unknown}),
        call(http, live, "GET", f"/cloud/explore/{unknown}"),
    ):
        assert answer.status_code == 404
        assert answer.headers["Content-Type"].startswith("application/json")
        assert answer.json() == {"error": "Transfer not found"}


# --------------------------------------------------------------------------------------------
# faults, call log and control on the live profile


def test_faults_and_the_call_log_work_on_live(live, http):
    live.inject("rate_limit", count=1, retry_after=0)
    limited = call(http, live, "GET", "/account/info")
    assert limited.status_code == 429
    assert call(http, live, "GET", "/account/info").status_code == 200
    live.inject("job_error", request_id=None, link=PLAIN_LINK, message="Broken upstream.")
    request_id = add(http, live, PLAIN_LINK).json()["requestId"]
    live.advance(60)
    failed = status(http, live, request_id)
    assert (failed["status"], failed["progress"]) == ("error", None)
    (url,) = explore(http, live, SINGLE_FILE_JOB)
    live.inject("ip_changed", count=1)
    assert http.get(url, timeout=10).status_code == 403
    live.inject("range_error", count=1)
    assert http.get(url, headers={"Range": "bytes=0-9"}, timeout=10).status_code == 416
    assert http.get(url, headers={"Range": "bytes=0-9"}, timeout=10).status_code == 206
    records = http.get(live.url + "/_sim/calls", timeout=10).json()
    assert [r["fault"] for r in records if r["fault"]] == [
        "rate_limit",
        "ip_changed",
        "range_error",
    ]
    assert DEMO_API_KEY not in json.dumps(records)
    state = http.get(live.url + "/_sim/state", timeout=10).json()
    assert state["profile"] == "live"
