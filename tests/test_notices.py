"""Account notices (issue 13, item 6): what is said when, once, and through which addons."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Optional

import pytest

from offcloud_api.pyload import notices
from offcloud_api.pyload.notices import (
    ACCOUNT_PAGE,
    DAYS_LEFT_OPTION,
    AccountState,
    Notice,
    Remembered,
    days_left,
    days_left_option,
    decide,
    deliver,
    notifiers,
    today_utc,
    warning_days,
)

TODAY = date(2026, 12, 1)
KEY = "SimSoonKey000000000000000000004x"


def in_days(days: int) -> date:
    return TODAY + timedelta(days=days)


def run(
    remembered: Remembered,
    *,
    premium: bool = True,
    can_download: bool = True,
    expires_in: Optional[int] = None,
    warn_days: int = 7,
    today: date = TODAY,
    label: str = "main",
) -> tuple[list[Notice], Remembered]:
    """decide() for an account whose plan ends ``expires_in`` days after TODAY (a fixed date,
    whatever ``today`` is)."""
    expiration = None if expires_in is None else in_days(expires_in)
    return decide(
        remembered,
        AccountState(premium, can_download, expiration),
        today=today,
        warn_days=warn_days,
        label=label,
        secrets=[KEY],
    )


# ---- what is remembered ----------------------------------------------------------------------


def test_what_is_remembered_survives_pyload_storage() -> None:
    remembered = Remembered(expiry="2026-12-05", refused=True)
    assert Remembered.from_stored(remembered.to_stored()) == remembered


@pytest.mark.parametrize(
    "stored",
    [None, "", [], "garbage", {"expiry": 20261205, "refused": "yes"}, {"expiry": ""}],
)
def test_nothing_or_something_unreadable_stored_is_a_blank(stored: Any) -> None:
    assert Remembered.from_stored(stored) == Remembered()


# ---- the option and the days -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "days"), [(7, 7), ("3", 3), (0, 0), (-2, 0), ("soon", 0), (None, 0)]
)
def test_warning_days_option_bad_or_negative_is_off(value: Any, days: int) -> None:
    assert warning_days(value) == days


def test_days_left_counts_whole_days_and_zero_on_the_last_day() -> None:
    assert days_left(in_days(3), TODAY) == 3
    assert days_left(TODAY, TODAY) == 0
    assert days_left(in_days(-1), TODAY) == -1
    assert days_left(None, TODAY) is None


def test_today_is_a_date() -> None:
    assert isinstance(today_utc(), date)


@pytest.mark.parametrize(
    ("state", "shown"),
    [
        (AccountState(True, True, in_days(12)), ["12"]),
        (AccountState(True, False, TODAY), ["0"]),  # refused downloads do not change the plan
        (AccountState(True, True, None), None),  # no date: nothing to count
        (AccountState(False, True, in_days(-3)), None),  # expired: the page says premium no
        (AccountState(False, True, in_days(30)), None),  # no plan
    ],
)
def test_days_left_option_only_while_a_plan_runs(
    state: AccountState, shown: Optional[list[str]]
) -> None:
    assert days_left_option(state, TODAY) == shown
    assert DAYS_LEFT_OPTION == "premium_days_left"  # the name users and API clients read


# ---- the expiry warning ------------------------------------------------------------------------


def test_far_from_expiry_nothing_is_said_or_remembered() -> None:
    assert run(Remembered(), expires_in=8) == ([], Remembered())


def test_within_the_warning_days_one_warning_naming_days_and_date() -> None:
    due, remembered = run(Remembered(), expires_in=3)
    assert [n.kind for n in due] == ["expiry_soon"]
    assert due[0].title == "Offcloud premium ends soon"
    assert due[0].message == (
        f"Offcloud account main: premium ends in 3 days (2026-12-04); renew it at {ACCOUNT_PAGE}"
    )
    assert remembered == Remembered(expiry="2026-12-04")


def test_the_warning_is_not_repeated_on_refresh_or_on_the_next_days() -> None:
    _due, remembered = run(Remembered(), expires_in=7)
    for day in range(8):
        due, remembered = run(remembered, expires_in=7, today=in_days(day))
        assert due == []
    assert remembered == Remembered(expiry=in_days(7).isoformat())


def test_warning_days_is_the_first_day_warned() -> None:
    assert run(Remembered(), expires_in=5, warn_days=5)[0]
    assert run(Remembered(), expires_in=6, warn_days=5)[0] == []


@pytest.mark.parametrize(("left", "words"), [(1, "ends tomorrow"), (0, "ends today")])
def test_the_last_days_read_naturally(left: int, words: str) -> None:
    (notice,), _ = run(Remembered(), expires_in=left)
    assert f"{words} ({in_days(left).isoformat()})" in notice.message


def test_zero_days_switches_expiry_notices_off() -> None:
    assert run(Remembered(), expires_in=1, warn_days=0) == ([], Remembered())
    assert run(Remembered(), premium=False, expires_in=-1, warn_days=0) == ([], Remembered())


def test_an_expiry_missed_while_pyload_was_off_is_said_once() -> None:
    due, remembered = run(Remembered(), premium=False, expires_in=-2)
    assert [n.kind for n in due] == ["expired"]
    assert "premium expired on 2026-11-29" in due[0].message
    assert run(remembered, premium=False, expires_in=-2) == ([], remembered)


def test_after_the_warning_the_expiry_itself_is_not_said_again() -> None:
    _due, remembered = run(Remembered(), expires_in=2)
    assert run(remembered, premium=False, expires_in=2, today=in_days(3)) == ([], remembered)


def test_a_renewed_plan_gets_its_own_warning_when_the_new_date_comes_near() -> None:
    _due, remembered = run(Remembered(), expires_in=2)
    renewed = 2 + 30
    assert run(remembered, expires_in=renewed)[0] == []
    due, remembered = run(remembered, expires_in=renewed, today=in_days(renewed - 4))
    assert "ends in 4 days" in due[0].message
    assert [n.kind for n in due] == ["expiry_soon"]
    assert remembered.expiry == in_days(renewed).isoformat()


def test_no_plan_with_a_date_ahead_says_nothing() -> None:
    assert run(Remembered(), premium=False, expires_in=3) == ([], Remembered())


# ---- refused downloads -------------------------------------------------------------------------


def test_refused_downloads_are_said_once() -> None:
    due, remembered = run(Remembered(), can_download=False, expires_in=200)
    assert [n.kind for n in due] == ["refused"]
    assert due[0].title == "Offcloud refuses downloads"
    assert "IP to confirm" in due[0].message
    assert ACCOUNT_PAGE in due[0].message
    assert remembered == Remembered(refused=True)
    for _ in range(3):
        assert run(remembered, can_download=False, expires_in=200) == ([], remembered)


def test_refused_again_after_it_was_fine_is_said_again() -> None:
    _due, remembered = run(Remembered(), can_download=False)
    due, remembered = run(remembered)
    assert due == []
    assert remembered == Remembered(refused=False)
    due, _ = run(remembered, can_download=False)
    assert [n.kind for n in due] == ["refused"]


def test_without_a_plan_can_download_false_is_no_news_and_changes_nothing() -> None:
    assert run(Remembered(), premium=False, can_download=False) == ([], Remembered())
    refused = Remembered(refused=True)
    assert run(refused, premium=False, can_download=True) == ([], refused)


def test_both_notices_at_once() -> None:
    due, remembered = run(Remembered(), can_download=False, expires_in=1)
    assert [n.kind for n in due] == ["expiry_soon", "refused"]
    assert remembered == Remembered(expiry=in_days(1).isoformat(), refused=True)


def test_the_api_key_never_appears_even_as_the_login() -> None:
    due, _ = run(Remembered(), can_download=False, expires_in=1, label=f"me-{KEY}")
    assert len(due) == 2
    for notice in due:
        assert KEY not in notice.message
        assert KEY not in notice.title
        assert "me-***" in notice.message


# ---- through pyLoad's notification addons ------------------------------------------------------


class Notifier:
    """pyLoad's Notifier as deliver() sees it: ``notify``, ``last_notify``, ``sendinterval``."""

    def __init__(self, name: str, clock: list[float], interval: float = 1, result: Any = True):
        self.__name__ = name
        self.clock = clock
        self.config = {"sendinterval": interval}
        self.last_notify = 0.0
        self.result = result
        self.got: list[tuple[str, str, float]] = []

    def notify(self, event: str, msg: str) -> Any:
        # pyLoad's own rule: nothing within sendinterval of the last message.
        if self.clock[0] - self.last_notify < self.config["sendinterval"]:
            return None
        self.got.append((event, msg, self.clock[0]))
        self.last_notify = self.clock[0]
        return self.result


class PushSomething(Notifier):
    pass


class Broken(Notifier):
    def notify(self, event: str, msg: str) -> Any:
        raise RuntimeError("service down")


NOTICE = Notice("refused", "Offcloud refuses downloads", "Offcloud account main: ...")


def fake_time(start: float = 1000.0) -> tuple[list[float], list[float], Any, Any]:
    clock = [start]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    return clock, slept, (lambda: clock[0]), sleep


def test_only_notification_addons_are_chosen() -> None:
    clock = [0.0]
    pushes = PushSomething("PushOver", clock)
    other = object()
    assert notifiers([other, pushes, "HotFolder"], Notifier) == [pushes]


def test_each_notifier_gets_the_notice_and_the_names_that_sent_come_back() -> None:
    clock, slept, now, sleep = fake_time()
    first, second = Notifier("PushOver", clock), Notifier("Discord", clock, result=None)
    assert deliver(NOTICE, [first, second], clock=now, sleep=sleep) == ["PushOver"]
    assert first.got == [(NOTICE.title, NOTICE.message, 1000.0)]
    assert second.got == [(NOTICE.title, NOTICE.message, 1000.0)]  # got it, said nothing back
    assert slept == []


def test_a_second_notice_waits_for_the_send_interval_instead_of_being_dropped() -> None:
    clock, slept, now, sleep = fake_time()
    pushes = Notifier("PushOver", clock, interval=5)
    deliver(NOTICE, [pushes], clock=now, sleep=sleep)
    clock[0] += 1
    assert deliver(NOTICE, [pushes], clock=now, sleep=sleep) == ["PushOver"]
    assert len(pushes.got) == 2
    assert slept == [pytest.approx(4.1)]


def test_the_wait_is_capped() -> None:
    clock, slept, now, sleep = fake_time()
    pushes = Notifier("PushOver", clock, interval=3600)
    pushes.last_notify = clock[0]
    assert deliver(NOTICE, [pushes], clock=now, sleep=sleep, max_wait=2) == []
    assert slept == [2]


def test_a_broken_addon_does_not_stop_the_others() -> None:
    clock, _slept, now, sleep = fake_time()
    good = Notifier("PushOver", clock)
    assert deliver(NOTICE, [Broken("Bad", clock), good], clock=now, sleep=sleep) == ["PushOver"]
    assert len(good.got) == 1


def test_an_addon_without_pyload_settings_is_not_waited_for() -> None:
    class Bare:
        def __init__(self) -> None:
            self.got: list[str] = []

        def notify(self, event: str, msg: str) -> bool:
            self.got.append(msg)
            return True

    _clock, slept, now, sleep = fake_time()
    bare = Bare()
    assert deliver(NOTICE, [bare], clock=now, sleep=sleep) == ["Bare"]
    assert slept == []
    assert bare.got == [NOTICE.message]


def test_the_ip_notice_carries_the_links_advice_without_the_key() -> None:
    advice = (
        "Offcloud refuses downloads from this IP address: sign in at https://offcloud.com/#/account"
    )
    notice = notices.ip_refused("demo KEY123", advice, secrets=("KEY123", None))
    assert notice.kind == notices.IP_REFUSED
    assert notice.title == "Offcloud refuses this IP"
    assert notice.message.startswith("Offcloud account demo ")
    assert notice.message.endswith(advice)
    assert "KEY123" not in notice.message
