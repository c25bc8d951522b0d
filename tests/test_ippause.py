"""The account pause while Offcloud refuses this IP (issue 19, item 2; docs/api.md L24).

The book runs on an injected clock, so intervals of a minute pass in no time; the message's time
of day comes from an injected function, so the tests do not depend on the time zone.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from fakes import ManualClock

from offcloud_api.exceptions import is_ip_refusal_text
from offcloud_api.pyload.ippause import (
    ACCOUNT_PAGE,
    LOGIN_CHECK_PAGE,
    MAX_PAUSE_SECONDS,
    PROBE_SECONDS,
    IPPause,
    Pause,
    Turn,
    Verdict,
    account_key,
    bare_refusal,
    ippause,
    probe_verdict,
    refusal_reason,
    refused_body,
)
from offcloud_api.pyload.partial import note_partial

NOT_AUTHORIZED = "You are not authorized to download this file."
CDN = "https://1-cdn2-ovh-fra.energycdn.com/cdn3sto/littlemouse-sto/TOKEN/a.bin"
OTHER_CDN = "https://1-cdn2-ovh-bea.energycdn.com/cdn3sto/frostyicebreath-sto/TOKEN2/b.bin"


@pytest.fixture
def book(clock: ManualClock) -> IPPause:
    return IPPause(clock=clock, clock_time=ManualClock.time_of_day)


# what counts as a refusal


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (json.dumps({"error": NOT_AUTHORIZED}).encode(), 403),
        (json.dumps({"error": NOT_AUTHORIZED}).encode(), 401),
        (json.dumps({"error": NOT_AUTHORIZED}).encode(), 200),  # in place of the file
        (f"<html><body><h1>403</h1><p>{NOT_AUTHORIZED}</p></body></html>".encode(), 403),
        (NOT_AUTHORIZED.encode(), 500),
        (b'{"error": "IP address needs to be registered. Check your email."}', 200),
        (b"Unregistered IP address detected.", 403),
    ],
    ids=["json-403", "json-401", "json-200", "html-403", "text-500", "legacy-1", "legacy-2"],
)
def test_offcloud_ip_texts_are_refusals_in_any_shape(body: bytes, status: int) -> None:
    reason = refusal_reason(body, status)
    assert reason is not None
    assert reason in (
        NOT_AUTHORIZED,
        "IP address needs to be registered.",
        "Unregistered IP address detected.",
    )
    assert "<" not in reason  # the sentence, not the page around it
    assert "{" not in reason


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"", 403),
        (b'{"error": "Temporary error"}', 503),
        (b'{"error": "NOAUTH"}', 401),
        (b"<html><body>Forbidden</body></html>", 403),
        (b"User not authorized", 200),  # legacy: a plan limit, not the IP
        (b"x" * 70_000 + NOT_AUTHORIZED.encode(), 200),  # a large file that mentions it
    ],
)
def test_other_answers_are_no_ip_refusal(body: bytes, status: int) -> None:
    assert refusal_reason(body, status) is None


def test_the_library_classifies_the_same_texts() -> None:
    assert is_ip_refusal_text(f"Error: {NOT_AUTHORIZED}")
    assert not is_ip_refusal_text("You are not allowed this operation.")


def test_a_bare_refusal_counts_only_on_a_fresh_link() -> None:
    assert bare_refusal(403, fresh_link=False) is None  # may have expired: explore once first
    assert bare_refusal(403, fresh_link=True) == "HTTP 403 on a fresh file link"
    assert bare_refusal(401, fresh_link=True) == "HTTP 401 on a fresh file link"
    assert bare_refusal(404, fresh_link=True) is None
    assert bare_refusal(503, fresh_link=True) is None


@pytest.mark.parametrize(
    ("status", "body", "verdict"),
    [
        (206, b"\x00", Verdict.ACCEPTED),
        (200, b"\x00" * 10, Verdict.ACCEPTED),
        (416, b"", Verdict.ACCEPTED),
        (403, b"", Verdict.REFUSED),
        (401, b"", Verdict.REFUSED),
        (403, json.dumps({"error": NOT_AUTHORIZED}).encode(), Verdict.REFUSED),
        (200, json.dumps({"error": NOT_AUTHORIZED}).encode(), Verdict.REFUSED),
        (404, b"", Verdict.GONE),
        (410, b"", Verdict.GONE),
        (503, b"", Verdict.UNKNOWN),
        (429, b"", Verdict.UNKNOWN),
    ],
)
def test_probe_verdicts(status: int, body: bytes, verdict: Verdict) -> None:
    assert probe_verdict(status, body) is verdict


def test_account_keys_name_no_login() -> None:
    assert account_key("demo") == account_key(" demo ")
    assert account_key("demo") != account_key("other")
    assert "demo" not in account_key("demo")
    assert account_key(None) == account_key("") == "-"


# the body pyLoad keeps in the chunk files


def test_the_refusal_body_is_read_back_from_a_fresh_chunk_file(tmp_path: Path) -> None:
    target = tmp_path / "movie.mkv"
    before = note_partial(target)
    body = json.dumps({"error": NOT_AUTHORIZED}).encode()
    (tmp_path / "movie.mkv.chunk0").write_bytes(body)
    assert refused_body(target, before) == body


def test_only_what_the_refused_attempt_appended_is_read(tmp_path: Path) -> None:
    target = tmp_path / "movie.mkv"
    chunk = tmp_path / "movie.mkv.chunk0"
    chunk.write_bytes(b"\x01" * 5000)  # the part from before
    before = note_partial(target)
    with chunk.open("ab") as fp:
        fp.write(NOT_AUTHORIZED.encode())
    assert refused_body(target, before) == NOT_AUTHORIZED.encode()


def test_a_large_or_no_write_is_no_refusal_body(tmp_path: Path) -> None:
    target = tmp_path / "movie.mkv"
    chunk = tmp_path / "movie.mkv.chunk0"
    chunk.write_bytes(b"\x01" * 10)
    before = note_partial(target)
    assert refused_body(target, before) == b""  # nothing written
    chunk.write_bytes(b"\x02" * 100_000)  # written afresh, and large: a file, not an error
    assert refused_body(target, before) == b""


# the book


def test_a_refusal_pauses_the_account_until_a_probe_is_accepted(
    book: IPPause, clock: ManualClock
) -> None:
    assert book.paused("a") is None
    pause = book.refused("a", url=CDN, reason=NOT_AUTHORIZED)
    assert book.paused("a") == pause
    assert book.paused("b") is None  # another Offcloud account goes on
    assert (pause.started, pause.next_check, pause.reason) == (
        clock.now,
        clock.now + PROBE_SECONDS,
        NOT_AUTHORIZED,
    )
    assert pause.wait_seconds(clock.now) == 62  # wakes just after the check
    assert book.turn("a", link=1) == (Turn.WAIT, None)  # no check due yet
    clock.now += PROBE_SECONDS
    assert book.turn("a", link=1) == (Turn.PROBE, CDN)
    assert book.turn("a", link=2) == (Turn.WAIT, None)  # one probe at a time
    later = book.probed("a", Verdict.REFUSED)
    assert later is not None
    assert later.next_check == clock.now + PROBE_SECONDS
    clock.now += PROBE_SECONDS
    assert book.turn("a", link=2) == (Turn.PROBE, CDN)  # any link may take the next turn
    assert book.probed("a", Verdict.ACCEPTED) is None
    assert book.paused("a") is None


def test_the_end_wakes_every_waiting_link_at_once(book: IPPause, clock: ManualClock) -> None:
    book.refused("a", url=CDN, reason=NOT_AUTHORIZED)
    woken: list[int] = []
    for link in (1, 2, 3):
        book.waiting("a", link, lambda link=link: woken.append(link))
    book.waiting("a", 3, lambda: woken.append(33))  # a link waits again: the newer waker
    clock.now += PROBE_SECONDS
    assert book.turn("a", link=1)[0] is Turn.PROBE
    assert woken == []
    book.probed("a", Verdict.ACCEPTED)
    assert sorted(woken) == [2, 33]  # the prober goes on by itself


def test_a_waker_that_fails_keeps_no_other_link_waiting(book: IPPause) -> None:
    book.refused("a", url=CDN)
    woken: list[int] = []

    def broken() -> None:
        raise RuntimeError("link gone")

    book.waiting("a", 1, broken)
    book.waiting("a", 2, lambda: woken.append(2))
    assert book.served("a") is True
    assert woken == [2]


def test_waiting_after_the_end_wakes_at_once(book: IPPause) -> None:
    woken: list[int] = []
    book.waiting("a", 1, lambda: woken.append(1))
    assert woken == [1]


def test_refusals_in_a_pause_join_it_and_keep_its_check(book: IPPause, clock: ManualClock) -> None:
    first = book.refused("a", url=CDN, reason=NOT_AUTHORIZED)
    clock.now += 20
    joined = book.refused("a", url=OTHER_CDN, reason="HTTP 403 on a fresh file link")
    assert joined.started == first.started
    assert joined.next_check == first.next_check  # a joining link does not push it back
    assert joined.reason == NOT_AUTHORIZED  # Offcloud's own words stay
    clock.now += 40
    assert book.turn("a", link=9) == (Turn.PROBE, OTHER_CDN)  # the newest refused link


def test_a_gone_probe_link_lets_one_link_try_its_own_download(
    book: IPPause, clock: ManualClock
) -> None:
    book.refused("a", url=CDN)
    clock.now += PROBE_SECONDS
    assert book.turn("a", link=1)[0] is Turn.PROBE
    book.probed("a", Verdict.GONE)
    assert book.paused("a") is not None
    clock.now += PROBE_SECONDS
    assert book.turn("a", link=2) == (Turn.TRY, None)
    assert book.turn("a", link=3) == (Turn.WAIT, None)
    again = book.refused("a", url=OTHER_CDN)  # the try was refused: a new probe link
    assert again.next_check == clock.now + PROBE_SECONDS
    clock.now += PROBE_SECONDS
    assert book.turn("a", link=3) == (Turn.PROBE, OTHER_CDN)


def test_an_api_refusal_without_a_file_link_tries_a_link_each_interval(
    book: IPPause, clock: ManualClock
) -> None:
    book.refused("a", reason="IP address needs to be registered.")
    clock.now += PROBE_SECONDS
    assert book.turn("a", link=1) == (Turn.TRY, None)


def test_a_turn_not_reported_passes_on_after_an_interval(book: IPPause, clock: ManualClock) -> None:
    book.refused("a", url=CDN)
    clock.now += PROBE_SECONDS
    assert book.turn("a", link=1)[0] is Turn.PROBE  # and the link is stopped by the user
    clock.now += PROBE_SECONDS - 1
    assert book.turn("a", link=2)[0] is Turn.WAIT
    clock.now += 1
    assert book.turn("a", link=2)[0] is Turn.PROBE


def test_unknown_answers_keep_the_pause(book: IPPause, clock: ManualClock) -> None:
    book.refused("a", url=CDN)
    clock.now += PROBE_SECONDS
    book.turn("a", link=1)
    pause = book.probed("a", Verdict.UNKNOWN)
    assert pause is not None
    assert pause.next_check == clock.now + PROBE_SECONDS
    assert book.probed("b", Verdict.ACCEPTED) is None  # nothing paused there


def test_the_interval_is_configurable_with_a_floor(book: IPPause, clock: ManualClock) -> None:
    assert book.refused("a", url=CDN, interval=3).next_check == clock.now + 3
    assert book.refused("b", url=CDN, interval=0).next_check == clock.now + 1


def test_a_download_that_started_before_the_pause_does_not_end_it(
    book: IPPause, clock: ManualClock
) -> None:
    started = clock.now
    clock.now += 5
    book.refused("a", url=CDN)
    assert book.served("a", since=started) is False
    assert book.paused("a") is not None
    assert book.served("a", since=clock.now) is True
    assert book.paused("a") is None


def test_one_notice_per_pause_again_only_after_downloads_worked(book: IPPause) -> None:
    book.refused("a", url=CDN)
    assert book.notice_due("a") is True
    book.refused("a", url=CDN)
    assert book.notice_due("a") is False
    assert book.served("a") is True  # a notice may be stored: forget it
    assert book.served("a") is False  # nothing new to forget
    book.refused("a", url=CDN)
    assert book.notice_due("a") is True


def test_a_notice_given_before_a_restart_counts(book: IPPause) -> None:
    asked: list[str] = []

    def said() -> bool:
        asked.append("asked")
        return True

    book.refused("a", url=CDN)
    assert book.notice_due("a", said_before=said) is False
    assert book.notice_due("a", said_before=said) is False
    assert asked == ["asked"]  # once per process


def test_the_message_says_what_happened_what_to_do_and_that_it_goes_on(
    book: IPPause, clock: ManualClock
) -> None:
    pause = book.refused("a", url=CDN, reason=NOT_AUTHORIZED)
    assert pause.message() == (
        f"Offcloud refuses downloads from this IP address ({NOT_AUTHORIZED}): sign in at "
        f"{ACCOUNT_PAGE} from this connection or open {LOGIN_CHECK_PAGE} to confirm the IP; "
        "downloads resume by themselves (checked every 1 min, next at T+60)"
    )
    assert "IP" in pause.give_up()
    assert ACCOUNT_PAGE in pause.give_up()
    assert not pause.expired(clock.now + MAX_PAUSE_SECONDS - 1)
    assert pause.expired(clock.now + MAX_PAUSE_SECONDS)
    plain = Pause(started=0, next_check=30, interval=30, clock_time=lambda moment: "x")
    assert "refuses downloads from this IP address:" in plain.message()
    assert "checked every 30 s" in plain.message()


def test_the_book_is_shared_and_thread_safe() -> None:
    book = IPPause()
    errors: list[BaseException] = []

    def worker(number: int) -> None:
        try:
            for _ in range(200):
                book.refused("a", url=f"{CDN}{number}")
                book.turn("a", link=number)
                book.waiting("a", number, lambda: None)
                book.served("a")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert isinstance(ippause, IPPause)
    book.clear()
    assert book.paused("a") is None
