"""The process-wide memo of cache answers: remembered, looked up by hash, expired."""

from __future__ import annotations

import threading
import time

from offcloud_api.models import CacheResult
from offcloud_api.pyload.cachebook import CacheBook

HASH = "08ada5a7a6183aae1e09d831df6748d566095a10"


def test_remembered_answers_are_found_by_hash_in_any_case() -> None:
    book = CacheBook()
    book.remember([CacheResult(query="magnet:?xt=urn:btih:" + HASH, info_hash=HASH, cached=True)])
    found = book.lookup(HASH.upper())
    assert found is not None
    assert found.cached
    assert book.lookup("d84b7c56e1b7d38de18ad5a899f354c2b351e697") is None
    assert book.lookup(None) is None


def test_answers_expire_and_can_be_forgotten() -> None:
    now = [100.0]
    book = CacheBook(ttl=10, clock=lambda: now[0])
    book.remember([CacheResult(query=HASH, info_hash=HASH, cached=False)])
    now[0] = 109.0
    assert book.lookup(HASH) is not None
    now[0] = 111.0
    assert book.lookup(HASH) is None
    book.remember([CacheResult(query=HASH, info_hash=HASH, cached=False)])
    book.forget(HASH)
    assert book.lookup(HASH) is None


def test_answers_without_a_hash_are_not_kept() -> None:
    book = CacheBook()
    book.remember([CacheResult(query="not a torrent", info_hash=None, cached=False)])
    assert book.lookup("not a torrent") is None


OTHER = "d84b7c56e1b7d38de18ad5a899f354c2b351e697"


def answer(info_hash: str, cached: bool = True) -> CacheResult:
    return CacheResult(query="magnet:?xt=urn:btih:" + info_hash, info_hash=info_hash, cached=cached)


def test_expected_hashes_are_marked_once_and_known_ones_not_at_all() -> None:
    book = CacheBook()
    book.remember([answer(HASH)])
    assert book.expect([HASH.upper(), OTHER, OTHER.upper()]) == [OTHER]
    assert book.is_expected(OTHER)
    assert not book.is_expected(HASH)
    assert book.expect([OTHER]) == []  # already being fetched
    book.release([OTHER])
    assert not book.is_expected(OTHER)
    assert book.expect([OTHER]) == [OTHER]


def test_a_lookup_waits_for_an_answer_being_fetched() -> None:
    book = CacheBook()
    book.expect([HASH])
    threading.Timer(0.2, lambda: book.remember([answer(HASH, cached=False)])).start()
    started = time.monotonic()
    found = book.lookup(HASH)
    assert found is not None
    assert not found.cached
    assert 0.1 <= time.monotonic() - started < 5
    assert not book.is_expected(HASH)


def test_a_released_or_overdue_mark_ends_the_wait_without_an_answer() -> None:
    book = CacheBook()
    book.expect([HASH])
    assert book.lookup(HASH, wait=False) is None
    threading.Timer(0.2, lambda: book.release([HASH])).start()
    started = time.monotonic()
    assert book.lookup(HASH) is None
    assert time.monotonic() - started < 5

    book.expect([OTHER], timeout=0.3)
    started = time.monotonic()
    assert book.lookup(OTHER) is None
    assert 0.2 <= time.monotonic() - started < 5
    assert not book.is_expected(OTHER)


def test_an_overdue_mark_can_be_set_again() -> None:
    now = [0.0]
    book = CacheBook(clock=lambda: now[0])
    assert book.expect([HASH], timeout=5) == [HASH]
    now[0] = 6.0
    assert not book.is_expected(HASH)
    assert book.expect([HASH], timeout=5) == [HASH]
