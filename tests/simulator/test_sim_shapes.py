"""Shape tests: the rich_simulator's answers pinned to docs/api.md, section by section."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from offcloud_api.simulator import DEMO_API_KEY, Simulator

from .helpers import (
    CLOUD_FOLDER_JOB,
    CLOUD_ONLY_LINK,
    DEMO_LINK,
    FOLDER_LINK,
    HIDDEN_JOB,
    PLAIN_LINK,
    SINGLE_FILE_JOB,
    bearer,
    make_scenario,
)

HEX24 = re.compile(r"^[0-9a-f]{24}$")
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def post(http: requests.Session, sim: Simulator, path: str, **kwargs: Any) -> requests.Response:
    kwargs.setdefault("headers", bearer())
    return http.post(sim.api_url + path, timeout=10, **kwargs)


def get(http: requests.Session, sim: Simulator, path: str, **kwargs: Any) -> requests.Response:
    kwargs.setdefault("headers", bearer())
    return http.get(sim.api_url + path, timeout=10, **kwargs)


# --------------------------------------------------------------------------------------------
# §1.2 authentication, §4.1 NOAUTH


@pytest.mark.parametrize(
    ("how", "location"),
    [
        ({"headers": bearer()}, "bearer"),
        ({"headers": {}, "params": {"key": DEMO_API_KEY}}, "query"),
        ({"headers": {}, "params": {"apikey": DEMO_API_KEY}}, "query"),
        ({"headers": {}, "params": {"apiKey": DEMO_API_KEY}}, "query"),
        ({"headers": {}, "data": {"key": DEMO_API_KEY, "url": PLAIN_LINK}}, "form"),
        ({"headers": {}, "json": {"key": DEMO_API_KEY, "url": PLAIN_LINK}}, "json"),
    ],
)
def test_section_1_2_every_key_location_works_and_is_logged(rich_simulator, http, how, location):
    body = {} if "data" in how or "json" in how else {"json": {"url": PLAIN_LINK}}
    answer = post(http, rich_simulator, "/cloud", **how, **body)
    assert answer.status_code == 200
    assert HEX24.match(answer.json()["requestId"])
    (call,) = rich_simulator.api_calls()
    assert call.key_location == location
    assert call.path == "/api/cloud"  # never the query string
    assert DEMO_API_KEY not in repr(call)


def test_section_4_1_noauth_is_401_on_2026_routes_and_200_on_legacy_ones(http):
    with Simulator(make_scenario({"api": {"modern": True, "legacy": True}}, profile="rich")) as sim:
        wrong = bearer("WrongKey000000000000000000000000")
        modern = get(http, sim, "/account/info", headers=wrong)
        assert (modern.status_code, modern.json()) == (401, {"error": "NOAUTH"})
        shared = get(http, sim, "/cloud/history", headers={})
        assert (shared.status_code, shared.json()) == (401, {"error": "NOAUTH"})
        legacy = post(http, sim, "/cache", headers=wrong, json={"hashes": []})
        assert (legacy.status_code, legacy.json()) == (200, {"error": "NOAUTH"})


def test_section_4_1_noauth_on_a_legacy_only_server_is_200(legacy_simulator, http):
    answer = get(http, legacy_simulator, "/cloud/history", headers={})
    assert (answer.status_code, answer.json()) == (200, {"error": "NOAUTH"})


def test_section_2_2_removed_and_disabled_routes_answer_404_like_express(rich_simulator, http):
    for path in ("/login", "/key", "/account/stats", "/cache", "/proxy"):
        method = "GET" if path == "/account/stats" else "POST"
        answer = http.request(method, rich_simulator.api_url + path, headers=bearer(), timeout=10)
        assert answer.status_code == 404
        assert f"Cannot {method} /api{path}" in answer.text


def test_section_2_2_legacy_only_server_has_no_2026_routes(legacy_simulator, http):
    assert get(http, legacy_simulator, "/account/info").status_code == 404
    assert post(http, legacy_simulator, "/cache/info", json={"urls": []}).status_code == 404
    assert post(http, legacy_simulator, "/cloud/remove", json={"requests": []}).status_code == 404


def test_section_7_6_form_bodies_work_like_json(rich_simulator, http):
    answer = post(http, rich_simulator, "/cloud", data={"url": PLAIN_LINK})
    assert answer.json()["originalLink"] == PLAIN_LINK
    status = post(
        http, rich_simulator, "/cloud/status", data={"requestId": answer.json()["requestId"]}
    )
    assert "status" in status.json()


# --------------------------------------------------------------------------------------------
# §3.1 add, §3.2 status, §3.3 values


def test_section_3_1_cloud_add_answer(rich_simulator, http):
    answer = post(http, rich_simulator, "/cloud", json={"url": CLOUD_ONLY_LINK}).json()
    assert set(answer) == {
        "requestId",
        "fileName",
        "site",
        "status",
        "originalLink",
        "createdOn",
        "url",
    }
    assert HEX24.match(answer["requestId"])
    assert answer["status"] == "created"
    assert answer["fileName"] == "cloud-only.bin"
    assert answer["site"] == "nitroflare.com"
    assert ISO_MS.match(answer["createdOn"])
    assert answer["url"] == f"{rich_simulator.url}/cloud/download/{answer['requestId']}"


def test_section_3_1_torrent_site_is_bittorrent_and_cached_is_downloaded(rich_simulator, http):
    release = rich_simulator.scenario.torrent("Demo.Release")
    answer = post(http, rich_simulator, "/cloud", json={"url": release.magnet}).json()
    assert (answer["site"], answer["status"]) == ("BitTorrent", "downloaded")


def test_section_3_1_instant_answer(rich_simulator, http):
    answer = post(http, rich_simulator, "/instant", json={"url": DEMO_LINK, "proxyId": ""}).json()
    assert answer["status"] == "created"
    assert answer["fileName"] == "demo.bin"
    assert answer["originalLink"] == DEMO_LINK
    assert re.match(rf"^{rich_simulator.url}/dl/[0-9a-f]+/demo\.bin$", answer["url"])


def test_section_3_1_instant_switched_off_answers_404(http):
    with Simulator(make_scenario({"api": {"instant": False}}, profile="rich")) as sim:
        assert post(http, sim, "/instant", json={"url": DEMO_LINK}).status_code == 404


def test_section_3_2_status_envelope_through_a_jobs_life(frozen_simulator, http):
    sim = frozen_simulator
    request_id = post(http, sim, "/cloud", json={"url": CLOUD_ONLY_LINK}).json()["requestId"]

    def status() -> dict[str, Any]:
        answer = post(http, sim, "/cloud/status", json={"requestId": request_id}).json()
        assert set(answer) == {"status"}  # always nested (§3.2)
        return answer["status"]  # type: ignore[no-any-return]

    created = status()
    assert created["status"] == "created"
    assert created["amount"] == 0
    assert "isDirectory" not in created
    sim.advance(0.5 + 2.5)  # queue 10 % of 5 s, then half of the download
    halfway = status()
    assert halfway["status"] == "downloading"
    assert halfway["progress"] == pytest.approx(0.5)
    assert halfway["amount"] == halfway["fileSize"] // 2
    assert halfway["message"] == "1.6 MB of 3.1 MB"
    assert halfway["isCompleted"] is False
    assert isinstance(halfway["downloadingSpeed"], int)  # bytes per wall second
    sim.advance(10)
    done = status()
    assert done["status"] == "downloaded"
    assert done["progress"] == 1.0
    assert done["amount"] == done["fileSize"] == 3 << 20
    assert done["isDirectory"] is False
    assert done["server"] in sim.scenario.servers
    assert {"requestId", "fileName", "originalLink", "createdOn"} <= set(done)


def test_section_3_2_bulk_status(rich_simulator, http):
    answer = post(
        http,
        rich_simulator,
        "/cloud/status",
        json={"requestIds": [CLOUD_FOLDER_JOB, SINGLE_FILE_JOB]},
    )
    assert [item["requestId"] for item in answer.json()["requests"]] == [
        CLOUD_FOLDER_JOB,
        SINGLE_FILE_JOB,
    ]


def test_section_3_2_unknown_request_is_404_on_2026_and_200_on_legacy(
    rich_simulator, legacy_simulator, http
):
    for sim, code in ((rich_simulator, 404), (legacy_simulator, 200)):
        answer = post(http, sim, "/cloud/status", json={"requestId": "0" * 24})
        assert (answer.status_code, answer.json()) == (code, {"error": "Transfer not found"})


def test_section_3_3_failed_job_reports_error(frozen_simulator, http):
    sim = frozen_simulator
    request_id = post(
        http, sim, "/cloud", json={"url": "https://rapidgator.net/file/fail01/flaky.bin"}
    ).json()["requestId"]
    sim.advance(60)
    status = post(http, sim, "/cloud/status", json={"requestId": request_id}).json()["status"]
    assert status["status"] == "error"
    assert status["errorMessage"] == "File will not be downloaded due to an error."


def test_section_7_15_duplicate_add_returns_the_existing_job_unless_dedupe_is_off(http):
    with Simulator(make_scenario(profile="rich")) as sim:
        first = post(http, sim, "/cloud", json={"url": PLAIN_LINK}).json()
        second = post(http, sim, "/cloud", json={"url": PLAIN_LINK.replace("https", "http")}).json()
        assert first["requestId"] == second["requestId"]
    with Simulator(make_scenario({"api": {"dedupe": False}}, profile="rich")) as sim:
        first = post(http, sim, "/cloud", json={"url": PLAIN_LINK}).json()
        second = post(http, sim, "/cloud", json={"url": PLAIN_LINK}).json()
        assert first["requestId"] != second["requestId"]


# --------------------------------------------------------------------------------------------
# §3.4 cache


def test_section_3_4_cache_info_is_positional(rich_simulator, http):
    release = rich_simulator.scenario.torrent("Demo.Release")
    uncached = rich_simulator.scenario.torrent("Demo.Uncached")
    answer = post(
        http, rich_simulator, "/cache/info", json={"urls": [uncached.magnet, release.magnet]}
    ).json()
    assert answer == [{"cached": False}, {"cached": True}]


def test_section_3_4_cache_info_files_have_folder_and_filename(rich_simulator, http):
    release = rich_simulator.scenario.torrent("Demo.Release")
    answer = post(
        http, rich_simulator, "/cache/info", json={"urls": [release.magnet], "includeFiles": True}
    ).json()
    assert answer[0]["files"] == [
        {"folder": ["Demo.Release", "Sub"], "filename": "ep1.mkv"},
        {"folder": ["Demo.Release", "Sub"], "filename": "ep2.mkv"},
        {"folder": ["Demo.Release"], "filename": "info.nfo"},
    ]


def test_section_3_4_legacy_cache_lists_only_cached_hashes(legacy_simulator, http):
    release = legacy_simulator.scenario.torrent("Demo.Release")
    uncached = legacy_simulator.scenario.torrent("Demo.Uncached")
    hashes = [release.info_hash.upper(), uncached.info_hash]
    by_json = post(http, legacy_simulator, "/cache", json={"hashes": hashes}).json()
    assert by_json == {"cachedItems": [release.info_hash]}
    by_form = post(http, legacy_simulator, "/torrent/check", data={"hashes[]": hashes}).json()
    assert by_form == {"cachedItems": [release.info_hash]}


def test_section_3_4_cache_download_lists_ready_files(rich_simulator, http):
    release = rich_simulator.scenario.torrent("Demo.Release")
    answer = post(http, rich_simulator, "/cache/download", json={"url": release.magnet}).json()
    assert [set(item) for item in answer] == [{"filename", "size", "url"}] * 3
    assert [item["size"] for item in answer] == [3 << 20, 2 << 20, 1024]


# --------------------------------------------------------------------------------------------
# §3.5 explore and list


def test_section_3_5_explore_folder_is_a_url_array(rich_simulator, http):
    answer = get(http, rich_simulator, f"/cloud/explore/{CLOUD_FOLDER_JOB}").json()
    assert answer == [
        f"{rich_simulator.url}/cloud/download/{CLOUD_FOLDER_JOB}/1/part1.bin",
        f"{rich_simulator.url}/cloud/download/{CLOUD_FOLDER_JOB}/2/part2.bin",
        f"{rich_simulator.url}/cloud/download/{CLOUD_FOLDER_JOB}/3/readme.txt",
    ]


def test_section_3_5_explore_detailed(rich_simulator, http):
    answer = get(
        http, rich_simulator, f"/cloud/explore/{CLOUD_FOLDER_JOB}", params={"format": "detailed"}
    ).json()
    files = answer["files"]
    assert [set(f) for f in files] == [{"id", "name", "size", "path", "url"}] * 3
    assert [f["path"] for f in files] == [
        "Demo.Cloud.Folder/part1.bin",
        "Demo.Cloud.Folder/extras/part2.bin",
        "Demo.Cloud.Folder/readme.txt",
    ]
    assert files[1]["name"] == "part2.bin"
    assert files[1]["size"] == 512 << 10


def test_section_3_5_single_file_explore_is_bad_archive(rich_simulator, http):
    assert get(http, rich_simulator, f"/cloud/explore/{SINGLE_FILE_JOB}").json() == {
        "error": "Bad archive"
    }
    detailed = get(
        http, rich_simulator, f"/cloud/explore/{SINGLE_FILE_JOB}", params={"format": "detailed"}
    )
    (entry,) = detailed.json()["files"]
    assert entry["name"] == entry["path"] == "old-single.bin"
    assert entry["url"] == f"{rich_simulator.url}/cloud/download/{SINGLE_FILE_JOB}/old-single.bin"


def test_section_3_5_legacy_explore_ignores_format_and_has_a_text_list(legacy_simulator, http):
    sim = legacy_simulator
    explored = get(http, sim, f"/cloud/explore/{SINGLE_FILE_JOB}", params={"format": "detailed"})
    assert explored.json() == {"error": "Bad archive"}
    listed = get(http, sim, f"/cloud/list/{CLOUD_FOLDER_JOB}")
    assert listed.headers["Content-Type"].startswith("text/plain")
    assert listed.text.splitlines() == get(http, sim, f"/cloud/explore/{CLOUD_FOLDER_JOB}").json()
    old_name = post(http, sim, "/cloud/explore", data={"requestId": CLOUD_FOLDER_JOB})
    assert len(old_name.json()) == 3


# --------------------------------------------------------------------------------------------
# §3.6 history, §3.7 account, §3.8 extras, §5 sites, §6.5 remove


def test_section_3_6_history_items(rich_simulator, http):
    history = get(http, rich_simulator, "/cloud/history").json()
    assert isinstance(history, list)
    item = next(i for i in history if i["requestId"] == CLOUD_FOLDER_JOB)
    assert {
        "requestId",
        "fileName",
        "status",
        "originalLink",
        "createdOn",
        "server",
        "isDirectory",
        "fileSize",
    } <= set(item)
    hidden = next(i for i in history if i["requestId"] == HIDDEN_JOB)
    assert (hidden["metaData"], hidden["status"]) == ("hide", "error")


def test_section_3_7_account_info(rich_simulator, http):
    answer = get(http, rich_simulator, "/account/info").json()
    assert set(answer) == {"user_id", "email", "is_premium", "expiration_date", "can_download"}
    assert re.match(r"^\d{4}-\d\d-\d\d$", answer["expiration_date"])


def test_section_3_7_legacy_account_stats(legacy_simulator, http):
    answer = get(http, legacy_simulator, "/account/stats").json()
    assert {"userId", "email", "isPremium", "expirationDate", "limits"} <= set(answer)
    assert re.match(r"^\d\d-\d\d-\d{4}$", answer["expirationDate"])
    assert answer["limits"]["cloud"] == 1 << 40


def test_section_3_8_envelopes_of_proxies_and_remote_accounts(legacy_simulator, http):
    proxies = post(http, legacy_simulator, "/proxy").json()
    assert set(proxies) == {"list"}
    assert set(proxies["list"][0]) == {"id", "name", "region"}
    remotes = post(http, legacy_simulator, "/remote/accounts").json()
    assert set(remotes) == {"data"}
    assert remotes["data"][0]["remoteOptionId"] == "6b1c2d3e4f5061728394a5b6"


def test_section_5_sites_carry_both_generations_fields(rich_simulator, http):
    sites = {s["name"]: s for s in get(http, rich_simulator, "/sites").json()}
    rapidgator = sites["rapidgator"]  # a bare name (L17); its hosts still say which links
    assert rapidgator["hosts"] == ["rapidgator.net", "rg.to"]
    assert (rapidgator["isActive"], rapidgator["status"]) == ("Healthy", "up")
    assert (sites["uploaded.net"]["isActive"], sites["uploaded.net"]["status"]) == ("Dead", "down")
    assert sites["mediafire.com"]["status"] == "down"
    assert sites["nitroflare.com"]["noInstantDownload"] is True
    assert sites["1fichier.com"]["maxChunksGlobal"] == "unlimited"


def test_section_6_5_remove_both_ways(rich_simulator, http):
    first = post(http, rich_simulator, "/cloud", json={"url": PLAIN_LINK}).json()["requestId"]
    second = post(http, rich_simulator, "/cloud", json={"url": FOLDER_LINK}).json()["requestId"]
    assert post(http, rich_simulator, "/cloud/remove", json={"requests": [first]}).json() == {
        "success": True
    }
    site_root = rich_simulator.url + f"/cloud/remove/{second}"
    assert http.get(site_root, headers=bearer(), timeout=10).json() == {"success": True}
    ids = [i["requestId"] for i in get(http, rich_simulator, "/cloud/history").json()]
    assert first not in ids
    assert second not in ids


def test_section_2_2_retry_answer(rich_simulator, http):
    answer = get(http, rich_simulator, "/cloud/retry/138bb025f5c103fe415d247a").json()
    assert answer["success"] is True
    assert answer["requestId"] == "138bb025f5c103fe415d247a"
    not_failed = get(http, rich_simulator, f"/cloud/retry/{SINGLE_FILE_JOB}").json()
    assert "error" in not_failed


# --------------------------------------------------------------------------------------------
# §1.3 legacy login, §1.4 OAuth


def test_section_1_3_legacy_login_with_a_session_cookie(http):
    with Simulator(make_scenario({"api": {"login": True}}, legacy=True)) as sim:
        wrong = post(
            http,
            sim,
            "/login",
            headers={},
            data={"username": "demo@offcloud-sim.test", "password": "x"},
        )
        assert wrong.json() == {"error": "The credentials entered are wrong."}
        answer = post(
            http,
            sim,
            "/login",
            headers={},
            data={"username": "demo@offcloud-sim.test", "password": "demo-password"},
        )
        assert answer.json()["email"] == "demo@offcloud-sim.test"
        assert "connect.sid" in http.cookies
        assert post(http, sim, "/key", headers={}).json()["apiKey"] == DEMO_API_KEY
        assert sim.api_calls()[-1].key_location == "cookie"
        assert get(http, sim, "/check", headers={}).json() == {"loggedIn": 1}


def test_section_1_4_oauth_device_flow(frozen_simulator, http):
    sim = frozen_simulator
    code = http.post(sim.url + "/oauth/device/code", json={}, timeout=10).json()
    assert {
        "device_code",
        "user_code",
        "verification_uri",
        "verification_uri_complete",
        "interval",
        "expires_in",
    } <= set(code)
    grant = {
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
        "device_code": code["device_code"],
    }
    pending = http.post(sim.url + "/oauth/token", json=grant, timeout=10)
    assert (pending.status_code, pending.json()["error"]) == (400, "authorization_pending")
    sim.advance(5)
    token = http.post(sim.url + "/oauth/token", json=grant, timeout=10).json()
    assert token["token_type"] == "Bearer"
    info = get(http, sim, "/account/info", headers=bearer(token["access_token"]))
    assert info.json()["email"] == "demo@offcloud-sim.test"
    sim.advance(1000)
    expired = http.post(sim.url + "/oauth/token", json=grant, timeout=10).json()
    assert expired["error"] == "expired_token"
