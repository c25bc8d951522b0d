"""Routes on their edges: unknown file links per host role, unknown ids, missing parameters."""

from __future__ import annotations

from offcloud_api.simulator.records import CDN_DOMAIN

from .helpers import DEMO_LINK, add, bearer, call

NO_SUCH_ID = "f" * 24
NOT_ON_SERVER = "The requested URL was not found on the server"


def _get(http, sim, path, host, method="GET"):
    return http.request(method, sim.url + path, headers={"Host": host}, timeout=10)


def test_unknown_paths_on_the_file_hosts_are_their_404_pages(simulator, http):
    cdn = _get(http, simulator, "/nothing/here", f"fra-1.{CDN_DOMAIN}")
    assert (cdn.status_code, "Not Found" in cdn.text, NOT_ON_SERVER in cdn.text) == (
        404,
        True,
        False,
    )
    server = _get(http, simulator, "/nothing/here", "de-3.offcloud.com")
    assert (server.status_code, NOT_ON_SERVER in server.text) == (404, True)


def test_unknown_download_links_are_404_on_the_rich_profile(rich_simulator, http):
    for path in (f"/cloud/download/{NO_SUCH_ID}/notanindex/a.bin", "/dl/deadbeef/a.bin"):
        answer = _get(http, rich_simulator, path, "de-3.offcloud.com")
        assert (answer.status_code, NOT_ON_SERVER in answer.text) == (404, True), path


def test_a_hoster_file_takes_only_get_and_head(simulator, http):
    answer = _get(http, simulator, "/direct/demo.bin", "example-hoster.test", method="POST")
    assert (answer.status_code, answer.text) == (405, "Method Not Allowed\n")


def test_live_routes_answer_404_for_unknown_ids_and_400_for_missing_urls(simulator, http):
    explore = call(http, simulator, "GET", f"/cloud/explore/{NO_SUCH_ID}")
    assert (explore.status_code, explore.json()) == (404, {"error": "Transfer not found"})
    remove = call(http, simulator, "GET", f"/cloud/remove/{NO_SUCH_ID}")
    assert (remove.status_code, remove.json()) == (404, {"error": "Transfer not found"})
    info = call(http, simulator, "POST", "/cache/info", json={})
    assert (info.status_code, info.json()) == (
        400,
        {"error": "Missing required parameter: urls"},
    )


def test_documented_explore_of_an_unknown_or_unfinished_job(frozen_simulator, http):
    unknown = call(http, frozen_simulator, "GET", f"/cloud/explore/{NO_SUCH_ID}")
    assert unknown.json() == {"error": "Transfer not found"}
    request_id = add(http, frozen_simulator, DEMO_LINK).json()["requestId"]
    early = call(http, frozen_simulator, "GET", f"/cloud/explore/{request_id}")
    assert early.json() == {"error": "The request is not downloaded yet."}


def test_instant_history_lists_the_instant_downloads(rich_simulator, http):
    assert call(http, rich_simulator, "GET", "/instant/history").json() == []
    answer = http.post(
        rich_simulator.api_url + "/instant/download",
        json={"url": DEMO_LINK},
        headers=bearer(),
        timeout=10,
    ).json()
    history = call(http, rich_simulator, "GET", "/instant/history").json()
    assert [item["requestId"] for item in history] == [answer["requestId"]]


def test_a_malformed_link_gets_offclouds_refusal_not_the_simulators_crash_page(simulator, http):
    answer = call(http, simulator, "POST", "/cloud", json={"url": "http://[broken/x"})
    assert answer.status_code == 500
    assert answer.json() == "Incorrect url"  # the live API's bare string (L6), not HTML
