"""Per-host backoff (issue 14, item 12): a host Offcloud cannot serve rests, for all its links.

The book runs on an injected clock, so rests of minutes pass in no time; the message's time of
day is formatted by an injected function, so the tests do not depend on the time zone.
"""

from __future__ import annotations

import threading

import pytest
from fakes import ManualClock

from offcloud_api.exceptions import (
    AuthError,
    FileOfflineError,
    HostUnavailableError,
    OffcloudConnectionError,
    RateLimitError,
    RefusedError,
    ServerError,
)
from offcloud_api.pyload.hostrest import (
    HOST_FAILURES,
    MAX_REST_SECONDS,
    MAX_RESTS,
    REST_SECONDS,
    HostRest,
    Rest,
    counts_against_host,
    hostrest,
)

DISABLED = "The supported site is temporarily disabled."


@pytest.fixture
def book(clock: ManualClock) -> HostRest:
    return HostRest(clock=clock, clock_time=ManualClock.time_of_day)


def test_defaults() -> None:
    assert (HOST_FAILURES, REST_SECONDS, MAX_REST_SECONDS) == (3, 600.0, 3600.0)
    assert MAX_RESTS * MAX_REST_SECONDS >= 24 * 3600  # a link waits about a day at most
    assert isinstance(hostrest, HostRest)


def test_a_few_failures_in_a_row_rest_the_host(book: HostRest, clock: ManualClock) -> None:
    assert book.failed("rapidgator.net", DISABLED) is None
    assert book.failed("rapidgator.net", DISABLED) is None
    assert book.resting("rapidgator.net") is None
    rest = book.failed("rapidgator.net", DISABLED)
    assert rest is not None
    assert (rest.host, rest.seconds, rest.number, rest.reason) == (
        "rapidgator.net",
        600.0,
        1,
        DISABLED,
    )
    assert book.resting("rapidgator.net") == rest
    assert book.failures("rapidgator.net") == 3
    clock.now += 599
    assert book.resting("rapidgator.net") == rest
    assert rest.wait_seconds(clock.now) == 1
    clock.now += 1
    assert book.resting("rapidgator.net") is None  # back by itself


def test_the_message_says_who_why_how_long_and_until_when(book: HostRest) -> None:
    for _ in range(3):
        rest = book.failed("rapidgator.net", f"  {DISABLED}\n Sorry.  ")
    assert rest is not None
    assert rest.message() == (
        "Offcloud cannot serve rapidgator.net right now; resting 10 min, next try at T+600 "
        f"({DISABLED} Sorry.)"
    )
    assert rest.give_up() == (
        f"Offcloud could not serve rapidgator.net through {MAX_RESTS} rests ({DISABLED} Sorry.); "
        "restart the link later"
    )


def test_the_message_reads_the_time_of_day_by_default(clock: ManualClock) -> None:
    book = HostRest(clock=clock)
    for _ in range(3):
        rest = book.failed("rapidgator.net")
    assert rest is not None
    assert rest.message().startswith(
        "Offcloud cannot serve rapidgator.net right now; resting 10 min, next try at "
    )
    assert rest.message()[-5:-2].endswith(":")  # HH:MM, no reason given
    assert rest.give_up().endswith(f"through {MAX_RESTS} rests; restart the link later")


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(12, "12 s"), (0.2 * 60, "12 s"), (0.2, "1 s"), (59.4, "59 s"), (59.5, "1 min"),
     (60, "1 min"), (600, "10 min"), (7140, "119 min"), (7200, "2 h"), (36000, "10 h")],
)  # fmt: skip
def test_rest_lengths_read_naturally(seconds: float, shown: str) -> None:
    rest = Rest(host="h", started=0.0, until=seconds, clock_time=lambda moment: "x")
    assert f"resting {shown}, next try at x" in rest.message()


def test_a_success_in_between_starts_the_count_again(book: HostRest) -> None:
    book.failed("rapidgator.net")
    book.failed("rapidgator.net")
    book.served("rapidgator.net")
    assert book.failures("rapidgator.net") == 0
    assert book.failed("rapidgator.net") is None
    assert book.failed("rapidgator.net") is None
    assert book.failed("rapidgator.net") is not None


def test_hosts_rest_apart(book: HostRest) -> None:
    for _ in range(3):
        book.failed("rapidgator.net")
    assert book.resting("nitroflare.com") is None
    assert book.failed("nitroflare.com") is None


def test_names_are_compared_as_hosts(book: HostRest) -> None:
    book.failed("www.RapidGator.net")
    book.failed("rapidgator.net.")
    rest = book.failed("RAPIDGATOR.NET")
    assert rest is not None
    assert rest.host == "rapidgator.net"
    assert book.resting("www.rapidgator.net") == rest
    assert book.failed("") is None
    assert book.failures("") == 0


def test_after_a_rest_one_failure_rests_it_again_twice_as_long(
    book: HostRest, clock: ManualClock
) -> None:
    for _ in range(3):
        first = book.failed("rapidgator.net", rest_seconds=600)
    assert first is not None
    lengths = [first.seconds]
    for _ in range(5):
        clock.now = book.resting("rapidgator.net").until  # type: ignore[union-attr]
        assert book.resting("rapidgator.net") is None
        again = book.failed("rapidgator.net", rest_seconds=600)  # the first try after the rest
        assert again is not None
        assert again.started == clock.now
        lengths.append(again.seconds)
    assert lengths == [600, 1200, 2400, 3600, 3600, 3600]
    assert again.number == 6


def test_a_first_rest_longer_than_the_cap_is_kept(book: HostRest, clock: ManualClock) -> None:
    for _ in range(3):
        rest = book.failed("h.example", rest_seconds=7200)
    assert rest is not None
    clock.now = rest.until
    again = book.failed("h.example", rest_seconds=7200)
    assert again is not None
    assert again.seconds == 7200


def test_failures_during_a_rest_join_it(book: HostRest, clock: ManualClock) -> None:
    # Links already on their way when the rest began: their failures neither extend the rest
    # nor start a longer one.
    for _ in range(3):
        rest = book.failed("rapidgator.net")
    clock.now += 30
    assert book.failed("rapidgator.net") == rest
    assert book.failed("rapidgator.net") == rest
    assert book.resting("rapidgator.net") == rest


def test_resting_can_be_turned_off(book: HostRest) -> None:
    for _ in range(5):
        assert book.failed("rapidgator.net", rest_seconds=0) is None
    assert book.failures("rapidgator.net") == 5
    assert book.resting("rapidgator.net") is None


def test_clear_forgets_every_host(book: HostRest) -> None:
    for _ in range(3):
        book.failed("rapidgator.net")
    book.clear()
    assert book.resting("rapidgator.net") is None
    assert book.failures("rapidgator.net") == 0


def test_at_least_one_failure_is_needed() -> None:
    with pytest.raises(ValueError, match="failures must be 1 or more"):
        HostRest(failures=0)
    assert HostRest(failures=1).failed("h.example") is not None


def test_the_wall_clock_is_the_default() -> None:
    book = HostRest(failures=1)
    rest = book.failed("h.example", rest_seconds=60)
    assert rest is not None
    assert 0 < rest.left(book.now()) <= 60
    assert rest.left(rest.until + 5) == 0.0


def test_many_threads_count_every_failure(book: HostRest) -> None:
    def fail() -> None:
        for _ in range(100):
            book.failed("rapidgator.net")

    threads = [threading.Thread(target=fail) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert book.failures("rapidgator.net") == 800
    rest = book.resting("rapidgator.net")
    assert rest is not None
    assert rest.number == 1


@pytest.mark.parametrize(
    ("error", "counts"),
    [
        (HostUnavailableError(DISABLED), True),
        (HostUnavailableError("Premium account quota for rapidgator.net exceeded today."), True),
        (RefusedError("Error parsing url - HTTP code: 503", upstream_status=503), True),
        (RefusedError("Error parsing url - HTTP code: 429", upstream_status=429), True),
        (RefusedError("Error parsing url - HTTP code: 403", upstream_status=403), False),
        (RefusedError("Something odd"), False),
        (FileOfflineError("The file is not available on the server."), False),
        (ServerError("HTTP 500 with an HTML error page", status=500), False),  # Offcloud's own
        (OffcloudConnectionError("reset"), False),
        (RateLimitError("slow"), False),
        (AuthError("NOAUTH"), False),
    ],
    ids=lambda value: value if isinstance(value, bool) else type(value).__name__,
)
def test_what_counts_against_a_host(error: Exception, counts: bool) -> None:
    assert counts_against_host(error) is counts  # type: ignore[arg-type]
