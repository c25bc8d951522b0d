"""When a failed request may be sent again, and how long to wait first.

Kept apart from polling (:mod:`offcloud_api.polling`): a retry repeats a request that failed, a
poll asks again about a job that is still running.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import timezone
from email.utils import parsedate_to_datetime
from typing import Callable, Optional

__all__ = ["RetryPolicy", "parse_retry_after"]


@dataclass(frozen=True)
class RetryPolicy:
    """Retries for requests that are safe to repeat.

    ``attempts`` counts every try, the first included. Backoff is exponential from ``backoff_base``
    up to ``backoff_cap`` seconds, with full jitter. A 429 waits what ``Retry-After`` says, if that
    is at most ``max_retry_after``; a longer wait is the caller's to schedule, so the
    :class:`~offcloud_api.exceptions.RateLimitError` is raised at once.
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

    def backoff(self, retry_number: int) -> float:
        """Seconds to wait before retry number ``retry_number`` (1 for the first retry)."""
        ceiling = min(self.backoff_cap, self.backoff_base * (2 ** (retry_number - 1)))
        return max(0.0, self.jitter(ceiling))

    @classmethod
    def never(cls) -> RetryPolicy:
        """A policy that tries once."""
        return cls(attempts=1)


def parse_retry_after(value: Optional[str], *, now: Optional[float] = None) -> Optional[float]:
    """Seconds from a ``Retry-After`` header: a number of seconds or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    if moment.tzinfo is None:  # HTTP dates are GMT; "-0000" parses as naive, not local time
        moment = moment.replace(tzinfo=timezone.utc)
    current = time.time() if now is None else now
    return max(0.0, moment.timestamp() - current)
