"""When a failed request may be sent again, and how long to wait first.

Kept apart from polling (:mod:`offcloud_api.polling`): a retry repeats a request that failed, a
poll asks again about a job that is still running.
"""

from __future__ import annotations

import math
import random
import re
import time
from dataclasses import dataclass, field
from datetime import timezone
from email.utils import parsedate_to_datetime
from typing import Callable, Optional

__all__ = ["COMMAND_DEADLINE", "MAX_RETRY_AFTER", "RetryPolicy", "parse_retry_after"]

#: The longest wait a ``Retry-After`` may ask for (seconds); more is read as this much. A server
#: asking for hours (or ``inf``, or a date in the year 9999) must not park a link for years.
MAX_RETRY_AFTER = 3600.0
#: Seconds a command line call may take in all, every try and every wait between tries included
#: (:meth:`RetryPolicy.for_commands`): a command gives up within a minute however slowly a server
#: answers, with some seconds left for the command's own work and output.
COMMAND_DEADLINE = 50.0
# RFC 9110: delay-seconds = 1*DIGIT. A decimal fraction is tolerated; a sign, an exponent,
# "inf", "nan" and the underscores float() takes are not a delay.
_DELAY_SECONDS = re.compile(r"\d+(?:\.\d+)?")


@dataclass(frozen=True)
class RetryPolicy:
    """Retries for requests that are safe to repeat.

    ``attempts`` counts every try, the first included. Backoff is exponential from ``backoff_base``
    up to ``backoff_cap`` seconds, with full jitter. A 429 waits what ``Retry-After`` says, if that
    is at most ``max_retry_after``; a longer wait is the caller's to schedule, so the
    :class:`~offcloud_api.exceptions.RateLimitError` is raised at once.

    ``deadline`` (seconds) bounds the whole call, every try and every wait included: each try gets
    at most the time left, no wait runs past it, and once it has passed the last error is raised.
    ``None`` leaves only each try's own deadline (that of the transport). ``clock`` tells the time
    for it.
    """

    attempts: int = 3
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    max_retry_after: float = 30.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    jitter: Callable[[float], float] = field(
        default=lambda ceiling: random.uniform(ceiling / 2, ceiling),  # noqa: S311 - not crypto
        repr=False,
        compare=False,
    )
    deadline: Optional[float] = None
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.deadline is not None and not (math.isfinite(self.deadline) and self.deadline > 0):
            raise ValueError(
                f"deadline must be a positive number of seconds, not {self.deadline!r}"
            )

    def backoff(self, retry_number: int) -> float:
        """Seconds to wait before retry number ``retry_number`` (1 for the first retry)."""
        ceiling = min(self.backoff_cap, self.backoff_base * (2 ** (retry_number - 1)))
        return max(0.0, self.jitter(ceiling))

    @classmethod
    def never(cls) -> RetryPolicy:
        """A policy that tries once."""
        return cls(attempts=1)

    @classmethod
    def for_bursts(
        cls, sleep: Callable[[float], None] = time.sleep, *, max_retry_after: float = 10.0
    ) -> RetryPolicy:
        """Enough tries to ride out a burst of transient errors in seconds.

        Five tries, at most 0.5, 1, 2 and 4 s apart (7.5 s in all, half that on average): three
        or four 5xx answers or reset connections in a row cost a few seconds instead of a failed
        call, which a pyLoad link would answer with a wait of its own.
        """
        return cls(
            attempts=5,
            backoff_base=0.5,
            backoff_cap=4.0,
            max_retry_after=max_retry_after,
            sleep=sleep,
        )

    @classmethod
    def for_commands(cls, sleep: Callable[[float], None] = time.sleep) -> RetryPolicy:
        """The default tries, all of them within :data:`COMMAND_DEADLINE` seconds.

        For the command line: against a server that answers one byte at a time, each try would
        last its own deadline (40 s by default), three of them two minutes; here the call gives
        up within :data:`COMMAND_DEADLINE` in all. Inside pyLoad a link has a retry schedule of
        its own, which is why this is no default of the library.
        """
        return cls(sleep=sleep, deadline=COMMAND_DEADLINE)


def parse_retry_after(
    value: Optional[str], *, now: Optional[float] = None, cap: float = MAX_RETRY_AFTER
) -> Optional[float]:
    """Seconds from a ``Retry-After`` header: a number of seconds or an HTTP date.

    ``None`` when the header is missing or is no delay (a sign, ``inf``, ``nan``, words, a date
    that cannot be one): the caller then waits as if nothing was said. A longer wait than ``cap``
    seconds (an hour by default) is read as ``cap``; a date in the past as 0.
    """
    if value is None:
        return None
    value = value.strip()
    if _DELAY_SECONDS.fullmatch(value):
        return _bounded(float(value), cap)  # many digits make inf: still "very long"
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment is None:
        return None
    if moment.tzinfo is None:  # HTTP dates are GMT; "-0000" parses as naive, not local time
        moment = moment.replace(tzinfo=timezone.utc)
    current = time.time() if now is None else now
    try:
        return _bounded(moment.timestamp() - current, cap)
    except (OverflowError, ValueError):  # pragma: no cover - datetime refuses such years first
        return None


def _bounded(seconds: float, cap: float) -> Optional[float]:
    if math.isnan(seconds):  # pragma: no cover - neither digits nor a date make nan
        return None
    return min(max(0.0, seconds), cap)
