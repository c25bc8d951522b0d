"""What the account plugin decides, tried without pyLoad: reused answers, the plan as pyLoad sees
it, the notices due, and the host list's bare words (offcloud_api.pyload.accounts, hostlist)."""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from typing import Any

import pytest
from fakes import MemoryStore

from offcloud_api.models import AccountInfo
from offcloud_api.pyload import notices
from offcloud_api.pyload.accounts import (
    INFO_REUSE_SECONDS,
    AccountInfoCache,
    AccountNotices,
    options_with_days_left,
    standing,
)
from offcloud_api.pyload.hostlist import split_bare_hosts
from offcloud_api.pyload.ippause import account_key
from offcloud_api.pyload.storage import ip_notice_key, notice_key

KEY = "SECRET-KEY-123"
TODAY = date(2026, 12, 7)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Fetcher:
    def __init__(self, generation: str = "2026") -> None:
        self.calls = 0
        self.generation = generation

    def __call__(self) -> AccountInfo:
        self.calls += 1
        return AccountInfo(is_premium=True, can_download=True, api_generation=self.generation)


# ---------------------------------------------------------------------------------------------
# reused answers


def test_an_answer_is_reused_for_ten_minutes_then_asked_again() -> None:
    clock = Clock()
    cache = AccountInfoCache(clock=clock)
    fetch = Fetcher()
    first = cache.get("demo", KEY, fetch)
    clock.now += INFO_REUSE_SECONDS - 1
    assert cache.get("demo", KEY, fetch) is first
    assert fetch.calls == 1
    clock.now += 1
    cache.get("demo", KEY, fetch)
    assert fetch.calls == 2
    assert INFO_REUSE_SECONDS == 600


def test_a_login_with_another_key_or_another_login_is_asked_anew() -> None:
    cache = AccountInfoCache(clock=Clock())
    fetch = Fetcher()
    cache.get("demo", KEY, fetch)
    cache.get("demo", "OTHER-KEY", fetch)
    cache.get("other", KEY, fetch)
    assert fetch.calls == 3


def test_forget_makes_the_next_login_ask() -> None:
    cache = AccountInfoCache(clock=Clock())
    fetch = Fetcher()
    cache.get("demo", KEY, fetch)
    cache.forget()
    cache.get("demo", KEY, fetch)
    assert fetch.calls == 2
    assert cache.api_generation(KEY) == "2026"


def test_the_api_generation_is_what_the_check_of_that_key_learned() -> None:
    cache = AccountInfoCache(clock=Clock())
    assert cache.api_generation(KEY) is None  # not checked yet
    cache.get("demo", KEY, Fetcher("legacy"))
    assert cache.api_generation(f"  {KEY}\n") == "legacy"  # the key as pasted, spaces and all
    assert cache.api_generation("OTHER-KEY") is None
    cache.forget()
    assert cache.api_generation(KEY) is None


# ---------------------------------------------------------------------------------------------
# the plan as pyLoad sees it


def info(**kw: Any) -> AccountInfo:
    kw.setdefault("is_premium", True)
    kw.setdefault("can_download", True)
    return AccountInfo(**kw)


def test_a_running_plan_is_premium_with_unlimited_traffic_through_its_last_day() -> None:
    ends = notices.today_utc() + timedelta(days=30)
    found = standing(info(expiration=ends))
    assert (found.premium, found.trafficleft, found.blocked_reason) == (True, -1, None)
    assert found.validuntil == calendar.timegm(ends.timetuple()) + 86399
    assert standing(info()).validuntil == -1  # no date given


def test_a_plan_that_cannot_download_has_no_traffic_and_says_where_to_look() -> None:
    found = standing(info(can_download=False))
    assert (found.premium, found.trafficleft) == (True, 0)
    assert found.blocked_reason is not None
    assert found.blocked_reason.startswith("Offcloud reports this account cannot download")
    assert "https://offcloud.com/#/account" in found.blocked_reason


def test_an_expired_plan_or_none_says_so() -> None:
    expired = standing(info(expiration=date(2020, 1, 31)))
    assert (expired.premium, expired.trafficleft) == (False, None)
    assert expired.blocked_reason == "Your Offcloud premium expired on 2020-01-31"
    free = standing(info(is_premium=False))
    assert (free.premium, free.trafficleft, free.validuntil) == (False, None, -1)
    assert free.blocked_reason == "This Offcloud account has no premium plan"


def test_the_days_left_option_is_set_kept_apart_and_dropped() -> None:
    running = notices.AccountState(True, True, TODAY + timedelta(days=3))
    given = {"limit": ["1"]}
    updated = options_with_days_left(given, running, TODAY)
    assert updated == {"limit": ["1"], notices.DAYS_LEFT_OPTION: ["3"]}
    assert given == {"limit": ["1"]}  # pyLoad's own dict is left as it was
    ended = notices.AccountState(False, True, TODAY - timedelta(days=1))
    assert options_with_days_left(updated, ended, TODAY) == {"limit": ["1"]}
    assert options_with_days_left(None, ended, TODAY) == {}


# ---------------------------------------------------------------------------------------------
# notices


def test_an_expiry_notice_is_due_once_and_remembered_in_the_store() -> None:
    store = MemoryStore()
    state = notices.AccountState(True, True, TODAY + timedelta(days=2))
    book = AccountNotices(store)
    kw: dict[str, Any] = {"user_id": "u1", "api_key": KEY, "today": TODAY, "label": "demo"}
    (due,) = book.due(state, warn_days=7, **kw)
    assert due.kind == notices.EXPIRY_SOON
    assert KEY not in due.message
    assert book.due(state, warn_days=7, **kw) == []
    assert store.retrieve(notice_key("u1", KEY)) is not None
    # a pyLoad restart: a new book reads what was said from the store
    assert AccountNotices(store).due(state, warn_days=7, **kw) == []


def test_a_bad_warning_option_turns_the_warning_off() -> None:
    state = notices.AccountState(True, True, TODAY + timedelta(days=2))
    book = AccountNotices(MemoryStore())
    due = book.due(state, user_id=None, api_key=KEY, today=TODAY, warn_days="x", label="demo")
    assert due == []


def test_the_ip_notice_is_news_once_until_a_download_works() -> None:
    store = MemoryStore()
    book = AccountNotices(store)
    assert not book.ip_notice_given("demo")
    assert book.ip_refused_news("demo")
    assert not book.ip_refused_news("demo")
    assert book.ip_notice_given("demo")
    assert store.retrieve(ip_notice_key(account_key("demo"))) is True
    assert AccountNotices(store).ip_notice_given("demo")  # after a restart too
    assert book.ip_refused_news("other")  # per login
    book.ip_accepted("demo")
    assert not book.ip_notice_given("demo")
    assert book.ip_refused_news("demo")


# ---------------------------------------------------------------------------------------------
# the host list's bare words


def test_bare_words_become_host_label_patterns() -> None:
    domains, patterns = split_bare_hosts(["rapidgator.net", " Rapidgator ", "1fichier", "ab"])
    assert domains == ["rapidgator.net", "ab"]  # too short for a host word: pyLoad decides
    assert len(patterns) == 2
    rapid, fichier = (re.compile(pattern) for pattern in patterns)
    assert rapid.search("https://rapidgator.net/file/1")
    assert rapid.search("https://www.rapidgator.net/file/1")
    assert not rapid.search("https://notrapidgator.net/file/1")
    assert not rapid.search("https://example.com/rapidgator/1")
    assert fichier.search("https://1fichier.com/?abc")


@pytest.mark.parametrize("names", [[], ["uploaded.net", "mega.nz"]])
def test_names_with_a_domain_pass_as_they_are(names: list[str]) -> None:
    assert split_bare_hosts(names) == (names, [])
