"""What Offcloud said about torrents lately, shared inside one pyLoad process.

The batch-check addon (``OffcloudComHook``) asks Offcloud about many magnets in one call (100 per
call) when they are added together and writes the answers here; the torrent decrypter reads them
instead of asking again. Answers expire, because a torrent Offcloud does not hold now may be cached
minutes later.

The addon marks the hashes it is about to ask for as *expected* before pyLoad starts any decrypter,
and asks in the background; :meth:`CacheBook.lookup` of an expected hash waits for that answer (up
to the mark's deadline) instead of returning ``None`` at once, so a decrypter that starts while the
batch call is in flight still does not make a call of its own.
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
#: Seconds a lookup waits at most for an answer the batch check is fetching.
PENDING_TIMEOUT = 20.0


class CacheBook:
    def __init__(
        self, ttl: float = ANSWER_TTL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._answers: dict[str, tuple[float, CacheResult]] = {}
        self._pending: dict[str, float] = {}  # hash -> deadline (clock seconds)

    def remember(self, results: Iterable[CacheResult]) -> None:
        now = self._clock()
        with self._changed:
            for result in results:
                if result.info_hash:
                    key = result.info_hash.lower()
                    self._answers[key] = (now, result)
                    self._pending.pop(key, None)
            self._changed.notify_all()

    def expect(self, info_hashes: Iterable[str], timeout: float = PENDING_TIMEOUT) -> list[str]:
        """Mark hashes an answer is being fetched for; returns those newly marked.

        A hash with a fresh answer or already marked is left out, so the caller asks Offcloud only
        about the returned ones (and must :meth:`remember` or :meth:`release` each of them).
        """
        now = self._clock()
        marked: list[str] = []
        with self._changed:
            for info_hash in info_hashes:
                key = info_hash.lower()
                if key in marked or self._fresh(key, now) is not None:
                    continue
                deadline = self._pending.get(key)
                if deadline is not None and deadline > now:
                    continue
                self._pending[key] = now + timeout
                marked.append(key)
        return marked

    def release(self, info_hashes: Iterable[str]) -> None:
        """Drop the marks of hashes whose answer will not come (the batch call failed)."""
        with self._changed:
            for info_hash in info_hashes:
                self._pending.pop(info_hash.lower(), None)
            self._changed.notify_all()

    def is_expected(self, info_hash: str) -> bool:
        with self._lock:
            deadline = self._pending.get(info_hash.lower())
            return deadline is not None and deadline > self._clock()

    def lookup(self, info_hash: Optional[str], *, wait: bool = True) -> Optional[CacheResult]:
        """The fresh answer for ``info_hash``; with ``wait``, waits for one being fetched."""
        if not info_hash:
            return None
        key = info_hash.lower()
        with self._changed:
            while True:
                now = self._clock()
                found = self._fresh(key, now)
                if found is not None:
                    return found
                deadline = self._pending.get(key)
                if not wait or deadline is None:
                    return None
                if deadline <= now:
                    del self._pending[key]
                    return None
                self._changed.wait(min(deadline - now, 1.0))

    def forget(self, info_hash: str) -> None:
        with self._lock:
            self._answers.pop(info_hash.lower(), None)

    def _fresh(self, key: str, now: float) -> Optional[CacheResult]:
        entry = self._answers.get(key)
        if entry is None:
            return None
        if now - entry[0] > self._ttl:
            del self._answers[key]
            return None
        return entry[1]


#: The one book of a pyLoad process (plugins and addons import the same module).
cachebook = CacheBook()
