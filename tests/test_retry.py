"""RetryPolicy backoff and Retry-After parsing.

The retry sequences through the client are in test_client_retry.py.
"""

from __future__ import annotations

import time

import pytest

from offcloud_api import RetryPolicy
from offcloud_api.retry import MAX_RETRY_AFTER, parse_retry_after

NOW = 1_445_412_480.0  # Wed, 21 Oct 2015 07:28:00 GMT


def test_defaults():
    policy = RetryPolicy()
    assert (policy.attempts, policy.backoff_base, policy.backoff_cap, policy.max_retry_after) == (
        3,
        0.5,
        8.0,
        30.0,
    )
    assert RetryPolicy.never().attempts == 1


def test_backoff_doubles_up_to_the_cap():
    policy = RetryPolicy(jitter=lambda ceiling: ceiling)
    assert [policy.backoff(n) for n in range(1, 8)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_default_jitter_stays_in_the_upper_half():
    policy = RetryPolicy()
    waits = [policy.backoff(3) for _ in range(200)]
    assert all(1.0 <= w <= 2.0 for w in waits)
    assert len(set(waits)) > 1


def test_negative_jitter_is_clamped():
    assert RetryPolicy(jitter=lambda ceiling: -ceiling).backoff(1) == 0.0


def test_policy_is_comparable_without_its_callables():
    assert RetryPolicy(sleep=lambda s: None) == RetryPolicy()
    assert "sleep" not in repr(RetryPolicy())


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("2", 2.0),
        (" 1.5 ", 1.5),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),  # already past
        ("Wed, 21 Oct 2015 07:28:30 -0000", 30.0),  # naive: GMT, not local time
        ("Wed, 21 Oct 2015 09:28:30 +0200", 30.0),
        ("soon", None),
        ("", None),
    ],
    ids=["missing", "seconds", "float", "date", "past", "naive-date", "offset", "words",
         "empty"],
)  # fmt: skip
def test_parse_retry_after(header, expected):
    assert parse_retry_after(header, now=NOW) == expected


def test_naive_http_date_ignores_the_local_zone(monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert parse_retry_after("Wed, 21 Oct 2015 07:28:30 -0000", now=NOW) == 30.0
    finally:
        monkeypatch.undo()
        time.tzset()


def test_parse_retry_after_uses_the_clock():
    assert (
        0.0
        < parse_retry_after(
            time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 60))
        )
        <= 60.0
    )


# ---------------------------------------------------------------------------------------------
# issue 14, item 2: a Retry-After that is garbage or absurd


@pytest.mark.parametrize(
    "header",
    ["inf", "Infinity", "-inf", "nan", "NaN", "-3", "-0.5", "+5", "1e3", "1_000", "0x10", "5 s"],
)
def test_garbage_retry_after_counts_as_absent(header):
    # float() takes all of these; RFC 9110 takes digits or an HTTP date. inf crashed pyLoad's
    # round() and the CLI with OverflowError; nan compared false with every limit.
    assert parse_retry_after(header, now=NOW) is None


@pytest.mark.parametrize(
    "header",
    [
        "86400000",  # 1000 days
        "9" * 400,  # float() makes this inf
        "Fri, 31 Dec 9999 23:59:59 GMT",
    ],
    ids=["days", "huge", "far-date"],
)
def test_an_absurd_retry_after_is_clamped(header):
    assert parse_retry_after(header, now=NOW) == MAX_RETRY_AFTER


def test_the_clamp_is_an_hour_and_a_caller_may_ask_for_less():
    assert MAX_RETRY_AFTER == 3600.0
    assert parse_retry_after("7200", now=NOW) == 3600.0
    assert parse_retry_after("7200", now=NOW, cap=600.0) == 600.0
    assert parse_retry_after("42", now=NOW, cap=600.0) == 42.0


def test_a_date_that_cannot_be_a_date_counts_as_absent():
    assert parse_retry_after("Wed, 32 Oct 2015 07:28:30 GMT", now=NOW) is None
    assert parse_retry_after("Wed, 21 Oct 99999 07:28:30 GMT", now=NOW) is None
