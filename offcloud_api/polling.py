"""Waiting for an Offcloud job: a deadline, a capped backoff, progress and an abort hook.

Polling is not retrying: each poll is a fresh, successful question about a job that is still
running. Errors of a single poll are the request layer's business (:mod:`offcloud_api.retry`);
this module only decides when to ask again and when to give up.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

from .exceptions import CloudJobError, JobStuckError, WaitAbortedError, WaitTimeoutError
from .models import Job, JobStatus

__all__ = ["PollSchedule", "wait_for_job"]

log = logging.getLogger(__name__)

#: How often an abort hook is asked while sleeping between polls.
ABORT_CHECK_SECONDS = 0.2


@dataclass(frozen=True)
class PollSchedule:
    """Intervals between polls: ``first`` seconds, growing by ``factor`` up to ``cap``.

    When Offcloud reports speed and size, or (its 2026 status, docs/api.md L8) only a
    fraction done, whose growth between two polls gives the rate, the next poll comes no later
    than the expected end (but not sooner than ``first``), so a job is noticed when it is done,
    not a long interval later.
    """

    first: float = 2.0
    factor: float = 1.5
    cap: float = 30.0

    def intervals(self) -> PollIntervals:
        return PollIntervals(self)


@dataclass
class PollIntervals:
    schedule: PollSchedule
    _current: float = field(init=False)
    #: (time, fraction done) at the last poll that reported a fraction.
    _seen: Optional[tuple[float, float]] = field(init=False, default=None)

    def __post_init__(self) -> None:
        self._current = self.schedule.first

    def next(self, job: Optional[Job], now: Optional[float] = None) -> float:
        """Seconds until the next poll, after ``job`` was seen at ``now`` (a monotonic clock)."""
        interval = self._current
        self._current = min(self.schedule.cap, self._current * self.schedule.factor)
        eta = job.eta if job is not None else None
        if eta is None and job is not None and now is not None:
            eta = self._eta_from_fraction(job, now)
        if eta is not None:
            interval = min(interval, max(self.schedule.first, eta))
        return interval

    def _eta_from_fraction(self, job: Job, now: float) -> Optional[float]:
        fraction = job.fraction_done
        if fraction is None:
            return None
        previous, self._seen = self._seen, (now, fraction)
        if previous is None:
            return None
        elapsed, gained = now - previous[0], fraction - previous[1]
        if elapsed <= 0 or gained <= 0:
            return None
        return (1.0 - fraction) * elapsed / gained


def wait_for_job(
    fetch: Callable[[], Job],
    *,
    timeout: Optional[float],
    schedule: PollSchedule = PollSchedule(),
    on_progress: Optional[Callable[[Job], None]] = None,
    should_abort: Optional[Callable[[], bool]] = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    first: Optional[Job] = None,
    stuck_after: Optional[float] = None,
) -> Job:
    """Poll ``fetch`` until the job is downloaded and return its last status.

    ``first`` is a status already in hand (from the add call, say), used instead of a first poll.
    Raises :class:`CloudJobError` if the job fails, :class:`WaitTimeoutError` once ``timeout``
    seconds have passed (``None`` waits for ever) and :class:`WaitAbortedError` as soon as
    ``should_abort`` returns true; it is asked every 0.2 s while sleeping. With ``stuck_after``,
    a job still ``created`` without progress that many seconds after the wait began raises
    :class:`JobStuckError`: Offcloud accepts a garbage magnet and never starts it (§00 L7).
    """
    started = clock()
    deadline = None if timeout is None else started + timeout
    stuck_at = None if stuck_after is None else started + stuck_after
    intervals = schedule.intervals()
    job = first
    while True:
        _check_abort(should_abort)
        if job is None:
            job = fetch()
        if on_progress is not None:
            on_progress(job)
        if job.status.is_failed:
            reason = job.error_message or job.message or job.status_text or job.status.value
            raise CloudJobError(f"Offcloud job {job.request_id} failed: {reason}", job=job)
        if job.status.is_final:
            return job
        pause = intervals.next(job, clock())
        if stuck_at is not None and _not_started(job):
            left = stuck_at - clock()
            if left <= 0:
                what = f" ({job.message})" if job.message else ""
                raise JobStuckError(
                    f"Offcloud job {job.request_id} is still created{what} "
                    f"{stuck_after:.0f} s after the wait began: Offcloud never started it "
                    "(an invalid or unavailable link?)",
                    job=job,
                )
            pause = min(pause, left)
        if deadline is not None:
            left = deadline - clock()
            if left <= 0:
                raise WaitTimeoutError(
                    f"Offcloud job {job.request_id} still {job.status.value} after {timeout:.0f} s",
                    job=job,
                )
            pause = min(pause, left)
        log.debug("job %s is %s; next poll in %.1f s", job.request_id, job.status.value, pause)
        _sleep_unless_aborted(pause, should_abort, sleep, clock)
        job = None


def _not_started(job: Job) -> bool:
    """Still ``created`` with no progress: what a job Offcloud never starts looks like."""
    return job.status is JobStatus.CREATED and not job.progress and not job.amount


def _check_abort(should_abort: Optional[Callable[[], bool]]) -> None:
    if should_abort is not None and should_abort():
        raise WaitAbortedError("the wait was stopped")


def _sleep_unless_aborted(
    seconds: float,
    should_abort: Optional[Callable[[], bool]],
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> None:
    if should_abort is None:
        sleep(seconds)
        return
    end = clock() + seconds
    while True:
        _check_abort(should_abort)
        left = end - clock()
        if left <= 0:
            return
        sleep(min(ABORT_CHECK_SECONDS, left))
