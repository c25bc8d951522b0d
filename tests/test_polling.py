"""The poll schedule and `wait_for_job`, on a fake clock (docs/development.md)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from offcloud_api import Job, JobStatus, PollSchedule
from offcloud_api.exceptions import (
    CloudJobError,
    JobStuckError,
    WaitAbortedError,
    WaitTimeoutError,
)
from offcloud_api.polling import ABORT_CHECK_SECONDS, wait_for_job


class FakeClock:
    """A monotonic clock that only moves when the fake ``sleep`` is called."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


def job(status: str, **fields: object) -> Job:
    return Job.from_api({"requestId": "r1", "status": status, **fields})


def feeder(*jobs: Job) -> Iterator[Job]:
    yield from jobs
    raise AssertionError("polled more often than expected")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_schedule_grows_by_factor_up_to_cap():
    intervals = PollSchedule(first=2.0, factor=1.5, cap=10.0).intervals()
    assert [intervals.next(None) for _ in range(7)] == [2.0, 3.0, 4.5, 6.75, 10.0, 10.0, 10.0]


def test_default_schedule():
    schedule = PollSchedule()
    assert (schedule.first, schedule.factor, schedule.cap) == (2.0, 1.5, 30.0)


def test_eta_shortcut_polls_at_the_expected_end():
    intervals = PollSchedule(first=2.0, factor=2.0, cap=60.0).intervals()
    near_end = job("downloading", fileSize=1000, amount=900, downloadingSpeed=20)  # eta 5 s
    assert near_end.eta == 5.0
    assert intervals.next(near_end) == 2.0  # the interval is already shorter than the eta
    assert intervals.next(near_end) == 4.0
    assert intervals.next(near_end) == 5.0  # 8 s would overshoot: poll at the eta
    almost = job("downloading", fileSize=1000, amount=999, downloadingSpeed=1000)
    assert intervals.next(almost) == 2.0  # never sooner than `first`
    no_speed = job("downloading", fileSize=1000, amount=10)
    assert intervals.next(no_speed) == 32.0  # 2, 4, 8, 16, 32: the growth goes on unchanged


def test_a_growing_fraction_alone_gives_the_eta_l8():
    # docs/api.md L8: the 2026 status has `progress` 0..1 and no sizes or speed.
    intervals = PollSchedule(first=2.0, factor=1.5, cap=30.0).intervals()
    assert intervals.next(job("downloading", progress=0.1), now=0.0) == 2.0  # no rate yet
    # 0.1 -> 0.2 in 2 s: 8 s left, but the growing interval (3 s) is shorter.
    assert intervals.next(job("downloading", progress=0.2), now=2.0) == 3.0
    # 0.2 -> 0.8 in 3 s: 1 s left; never sooner than `first`.
    assert intervals.next(job("downloading", progress=0.8), now=5.0) == 2.0
    stalled = intervals.next(job("downloading", progress=0.8), now=7.0)
    assert stalled == 6.75  # no growth, no estimate: the schedule goes on (2, 3, 4.5, 6.75)


def test_a_30_s_job_is_noticed_soon_after_it_ends(clock):
    # The live status: a fraction growing evenly over 30 s, then downloaded with progress null.
    def fetch() -> Job:
        elapsed = clock.now - 1000.0
        if elapsed >= 30:
            return job("downloaded", progress=None)
        return job("downloading", progress=elapsed / 30)

    final = wait_for_job(fetch, timeout=None, first=job("created"), sleep=clock.sleep, clock=clock)
    assert final.status is JobStatus.DOWNLOADED
    noticed = clock.now - 1000.0
    assert 30 <= noticed <= 32.5  # without the estimate: 41.6 s (2+3+4.5+6.75+10.1+15.2)
    assert len(clock.sleeps) <= 8


def test_wait_sequence_with_progress(clock):
    polls = feeder(job("created"), job("downloading", progress=0.5), job("downloaded"))
    seen: list[Job] = []
    final = wait_for_job(
        lambda: next(polls),
        timeout=None,
        on_progress=seen.append,
        sleep=clock.sleep,
        clock=clock,
    )
    assert final.status is JobStatus.DOWNLOADED
    assert [j.status for j in seen] == [
        JobStatus.CREATED,
        JobStatus.DOWNLOADING,
        JobStatus.DOWNLOADED,
    ]
    assert seen[1].fraction_done == 0.5
    assert clock.sleeps == [2.0, 3.0]


def test_first_status_replaces_the_first_poll(clock):
    polls = feeder(job("downloaded"))
    final = wait_for_job(
        lambda: next(polls), timeout=60, first=job("queued"), sleep=clock.sleep, clock=clock
    )
    assert final.status is JobStatus.DOWNLOADED
    assert clock.sleeps == [2.0]


def test_first_status_already_final_makes_no_poll(clock):
    polls = feeder()
    final = wait_for_job(
        lambda: next(polls), timeout=60, first=job("downloaded"), sleep=clock.sleep, clock=clock
    )
    assert final.request_id == "r1"
    assert clock.sleeps == []


@pytest.mark.parametrize(
    ("status", "fields", "reason"),
    [
        ("error", {"errorMessage": "File will not be downloaded due to an error."}, "due to an"),
        ("error", {"message": "dead torrent"}, "dead torrent"),
        ("canceled", {}, "canceled"),
        ("failed", {}, "failed"),
    ],
    ids=["error-message", "message", "canceled", "failed-word"],
)
def test_failed_job_raises_cloud_job_error(clock, status, fields, reason):
    polls = feeder(job("downloading"), job(status, **fields))
    with pytest.raises(CloudJobError, match=reason) as caught:
        wait_for_job(lambda: next(polls), timeout=None, sleep=clock.sleep, clock=clock)
    assert caught.value.job.status.is_failed
    assert "r1" in str(caught.value)


def test_deadline_raises_wait_timeout_with_last_status(clock):
    polls = feeder(*(job("downloading", amount=i) for i in range(10)))
    with pytest.raises(WaitTimeoutError, match="still downloading after 10 s") as caught:
        wait_for_job(lambda: next(polls), timeout=10, sleep=clock.sleep, clock=clock)
    # 2 + 3 + 4.5 = 9.5, then only the 0.5 s left is slept; the poll at the deadline is the last.
    assert clock.sleeps == [2.0, 3.0, 4.5, 0.5]
    assert clock.now == 1010.0
    assert caught.value.job.amount == 4


def test_should_abort_is_checked_every_fifth_of_a_second(clock):
    calls: list[float] = []

    def should_abort() -> bool:
        calls.append(clock.now)
        return clock.now >= 1002.9

    polls = feeder(job("queued"), job("downloading"))
    with pytest.raises(WaitAbortedError):
        wait_for_job(
            lambda: next(polls),
            timeout=None,
            should_abort=should_abort,
            sleep=clock.sleep,
            clock=clock,
        )
    assert all(s <= ABORT_CHECK_SECONDS + 1e-9 for s in clock.sleeps)
    gaps = [b - a for a, b in zip(calls, calls[1:])]
    assert max(gaps) <= ABORT_CHECK_SECONDS + 1e-9
    assert clock.now == pytest.approx(1003.0)  # stopped within 0.2 s of the hook turning true


def test_should_abort_before_the_first_poll(clock):
    polls = feeder()
    with pytest.raises(WaitAbortedError, match="stopped"):
        wait_for_job(
            lambda: next(polls),
            timeout=None,
            should_abort=lambda: True,
            sleep=clock.sleep,
            clock=clock,
        )


def test_should_abort_false_lets_the_wait_finish(clock):
    polls = feeder(job("queued"), job("downloaded"))
    final = wait_for_job(
        lambda: next(polls),
        timeout=None,
        should_abort=lambda: False,
        sleep=clock.sleep,
        clock=clock,
    )
    assert final.status is JobStatus.DOWNLOADED
    assert sum(clock.sleeps) == pytest.approx(2.0)
    assert len(clock.sleeps) == 10


def test_stuck_in_created_raises_job_stuck_l7(clock):
    # §00 L7: a garbage magnet's job stays created/"Loading..." for ever.
    stuck = job("created", message="Loading...", progress=None)
    polls = feeder(*([stuck] * 20))
    stuck_text = r"still created \(Loading\.\.\.\) 10 s after"
    with pytest.raises(JobStuckError, match=stuck_text) as caught:
        wait_for_job(
            lambda: next(polls), timeout=600, stuck_after=10, sleep=clock.sleep, clock=clock
        )
    # 2 + 3 + 4.5 = 9.5, then only the 0.5 s up to the limit: the poll at 10 s is the last.
    assert clock.sleeps == [2.0, 3.0, 4.5, 0.5]
    assert clock.now == 1010.0
    assert caught.value.job is stuck


def test_first_status_counts_for_stuck(clock):
    polls = feeder(job("created"))
    with pytest.raises(JobStuckError):
        wait_for_job(
            lambda: next(polls),
            timeout=None,
            stuck_after=1,
            first=job("created"),
            sleep=clock.sleep,
            clock=clock,
        )
    assert clock.sleeps == [1.0]


@pytest.mark.parametrize(
    "started",
    [
        job("downloading"),
        job("queued"),
        job("created", progress=0.1),
        job("created", amount=10),
    ],
    ids=["downloading", "queued", "created-progress", "created-amount"],
)
def test_a_job_that_moves_is_not_stuck(clock, started):
    polls = feeder(job("created"), started, *([started] * 5), job("downloaded"))
    done = wait_for_job(
        lambda: next(polls), timeout=None, stuck_after=5, sleep=clock.sleep, clock=clock
    )
    assert done.status is JobStatus.DOWNLOADED


def test_without_stuck_after_created_waits_until_the_deadline(clock):
    polls = feeder(*([job("created")] * 10))
    with pytest.raises(WaitTimeoutError):
        wait_for_job(lambda: next(polls), timeout=10, sleep=clock.sleep, clock=clock)


def test_wait_through_the_client_with_a_fake_clock(ordered, api, clock):
    # The client's status calls on an OrderedRegistry, the clock faked: the deadline is exact.
    for status in ("created", "downloading", "downloading"):
        ordered.post(
            "https://offcloud.com/api/cloud/status",
            json={"status": {"requestId": "r1", "status": status}},
        )
    with pytest.raises(WaitTimeoutError) as caught:
        wait_for_job(
            lambda: api.cloud_status("r1"),
            timeout=5,
            sleep=clock.sleep,
            clock=clock,
        )
    assert caught.value.job.status is JobStatus.DOWNLOADING
    assert clock.sleeps == [2.0, 3.0]
    assert len(ordered.calls) == 3
