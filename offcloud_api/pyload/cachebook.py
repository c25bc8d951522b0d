"""What Offcloud said about torrents lately, shared inside one pyLoad process.

The batch-check addon asks Offcloud about many magnets in one call (100 per call) when they are
added together and writes the answers here; the torrent decrypter reads them instead of asking
again. Answers expire, because a torrent Offcloud does not hold now may be cached minutes later.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Callable, Optional

from ..models import CacheResult

__all__ = ["CacheBook", "cachebook"]

#: Seconds an answer is trusted.
ANSWER_TTL = 600.0


class CacheBook:
    def __init__(
        self, ttl: float = ANSWER_TTL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._answers: dict[str, tuple[float, CacheResult]] = {}

    def remember(self, results: Iterable[CacheResult]) -> None:
        now = self._clock()
        with self._lock:
            for result in results:
                if result.info_hash:
                    self._answers[result.info_hash.lower()] = (now, result)

    def lookup(self, info_hash: Optional[str]) -> Optional[CacheResult]:
        if not info_hash:
            return None
        with self._lock:
            entry = self._answers.get(info_hash.lower())
            if entry is None:
                return None
            if self._clock() - entry[0] > self._ttl:
                del self._answers[info_hash.lower()]
                return None
            return entry[1]

    def forget(self, info_hash: str) -> None:
        with self._lock:
            self._answers.pop(info_hash.lower(), None)


#: The one book of a pyLoad process (plugins and addons import the same module).
cachebook = CacheBook()
