"""The process-wide memo of cache answers: remembered, looked up by hash, expired."""

from __future__ import annotations

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
