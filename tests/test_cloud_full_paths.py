"""A full cloud and cache/download at the edges: a link's outcome, the notice, the route memory."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from offcloud_api import OffcloudAPI, RetryPolicy
from offcloud_api.exceptions import (
    AuthError,
    CloudFullError,
    InvalidResponseError,
    RateLimitError,
    RouteNotFoundError,
    ServerError,
)
from offcloud_api.models import CachedDownload
from offcloud_api.pyload import notices
from offcloud_api.pyload.cachedl import CacheDownloadRoute, as_cloud_file
from offcloud_api.pyload.cloudroom import MAX_FULL_WAIT, room
from offcloud_api.pyload.outcomes import Action, apply_outcome, outcome_for

BASE = "https://offcloud.com/api"
MAGNET = "magnet:?xt=urn:btih:b6ed43c90bb5699c7a2f5e5453d681436847791a"
HTML_404 = (Path(__file__).parent / "fixtures" / "html_404_L3.html").read_text(encoding="utf-8")
KEY = "SECRET-KEY-123"


def full() -> CloudFullError:
    return CloudFullError("Offcloud cloud storage is full (POST /cloud, HTTP 500)", code="cloud")


# --------------------------------------------------------------------------------------------
# what the link does


def test_a_full_cloud_waits_it_does_not_fail_and_says_how_to_free_space():
    outcome = outcome_for(full(), full_wait=300)
    assert outcome.action is Action.RETRY
    assert outcome.wait == 300
    assert outcome.attempts == MAX_FULL_WAIT // 300  # a day of tries before failing for good
    assert "https://offcloud.com/#/cloud" in outcome.message
    assert "add-on" not in outcome.message
    assert "every 5 min" in outcome.message


def test_the_wait_defaults_to_the_addons_option():
    before = room.wait_seconds
    try:
        room.set_wait(42)
        outcome = outcome_for(full())
        assert (outcome.wait, outcome.attempts) == (42, MAX_FULL_WAIT // 42)
    finally:
        room.wait_seconds = before


class RetriedError(Exception):
    pass


def test_apply_outcome_puts_the_message_on_the_link_and_retries():
    seen: dict[str, Any] = {}

    def retry(attempts: int, wait: int, msg: str, msgfail: str) -> None:
        seen.update(attempts=attempts, wait=wait, msg=msg, msgfail=msgfail)
        raise RetriedError

    plugin = SimpleNamespace(
        pyfile=SimpleNamespace(error=""),
        account=None,
        log_warning=lambda *args: None,
        retry=retry,
        fail=lambda msg: pytest.fail(f"failed: {msg}"),
    )
    with pytest.raises(RetriedError):
        apply_outcome(plugin, full(), full_wait=3)
    assert plugin.pyfile.error == seen["msg"]
    assert "cloud is full" in seen["msg"]
    assert (seen["wait"], seen["attempts"]) == (3, MAX_FULL_WAIT // 3)
    assert not hasattr(plugin, "offcloud_temporary_retries")  # no growing waits for it


def test_the_one_notice_names_the_account_and_the_cloud_page_and_masks_the_key():
    notice = notices.cloud_full(f"user {KEY}", secrets=(KEY, None))
    assert notice.kind == notices.CLOUD_FULL
    assert notice.title == "Offcloud cloud is full"
    assert notices.CLOUD_PAGE in notice.message
    assert KEY not in notice.message
    assert "go on by themselves" in notice.message
    # The account's other notices are untouched by it.
    due, _ = notices.decide(
        notices.Remembered(),
        notices.AccountState(premium=True, can_download=True),
        today=date(2026, 12, 7),
        warn_days=7,
        label="user",
    )
    assert due == []


# --------------------------------------------------------------------------------------------
# cache/download (L19)


def test_a_cache_download_file_becomes_an_explore_like_file():
    nested = as_cloud_file(CachedDownload("Show/S1/e1.mkv", "https://cdn.test/e1.mkv", 10))
    assert (nested.name, nested.path, nested.folder, nested.size) == (
        "e1.mkv",
        "Show/S1/e1.mkv",
        "Show/S1",
        10,
    )
    flat = as_cloud_file(CachedDownload("e2.mkv", "https://cdn.test/e2.mkv"))
    assert (flat.name, flat.path, flat.folder) == ("e2.mkv", "e2.mkv", "")
    odd = as_cloud_file(CachedDownload("\\A\\\\b.mkv", "https://cdn.test/b.mkv"))
    assert (odd.name, odd.path) == ("b.mkv", "A/b.mkv")


def test_the_client_remembers_an_absent_route_and_asks_no_more(mocked, api):
    mocked.post(f"{BASE}/cache/download", status=404, body=HTML_404, content_type="text/html")
    assert api.cache_download_available()
    with pytest.raises(RouteNotFoundError):
        api.cache_download(MAGNET)
    assert not api.cache_download_available()
    with pytest.raises(RouteNotFoundError, match="found absent before"):
        api.cache_download(MAGNET)
    assert len(mocked.calls) == 1


def test_the_route_memory_outlives_the_client(mocked, api, sleeps):
    # The plugins make a client per link: the pyLoad run remembers the absence.
    mocked.post(f"{BASE}/cache/download", status=404, body=HTML_404, content_type="text/html")
    route = CacheDownloadRoute()
    assert route.files(api, MAGNET) is None
    second = OffcloudAPI(KEY, base_url=BASE, retry=RetryPolicy.never())
    assert second.cache_download_available()
    assert not route.available(second)
    assert route.files(second, MAGNET) is None
    assert len(mocked.calls) == 1
    assert (route.calls, route.answered) == (1, 0)


class Answering:
    base_url = BASE

    def __init__(self, outcome: Any) -> None:
        self.outcome = outcome

    def cache_download_available(self) -> bool:
        return True

    def cache_download(self, magnet: str) -> list[CachedDownload]:
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


@pytest.mark.parametrize(
    "trouble",
    [ServerError("HTTP 502", status=502), InvalidResponseError("not cached: no list")],
    ids=["5xx", "broken"],
)
def test_temporary_trouble_falls_back_to_the_add_without_forgetting_the_route(trouble):
    route = CacheDownloadRoute()
    assert route.files(Answering(trouble), MAGNET) is None  # type: ignore[arg-type]
    assert route.available(Answering([]))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "error", [RateLimitError("slow down", status=429), AuthError("NOAUTH", status=401)]
)
def test_a_429_or_a_bad_key_is_the_callers(error):
    with pytest.raises(type(error)):
        CacheDownloadRoute().files(Answering(error), MAGNET)  # type: ignore[arg-type]


def test_files_answered_count():
    route = CacheDownloadRoute()
    ready = [CachedDownload("a.mkv", "https://cdn.test/a.mkv")]
    (only,) = route.files(Answering(ready), MAGNET) or []  # type: ignore[arg-type]
    assert only.url == "https://cdn.test/a.mkv"
    assert route.files(Answering([]), MAGNET) is None  # type: ignore[arg-type]
    assert (route.calls, route.answered) == (2, 1)
