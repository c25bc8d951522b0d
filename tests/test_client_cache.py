"""Cache checks and cached downloads: 2026 cache/info and cache/download, legacy cache.

Shapes: doc §3.4.
"""

from __future__ import annotations

import base64
import binascii

import pytest

from offcloud_api.exceptions import InvalidResponseError

BASE = "https://offcloud.com/api"
HASH_A = "b6ed43c90bb5699c7a2f5e5453d681436847791a"
HASH_B = "f223ab10189810f6aa5fdecc696bf4621ba945b0"


def magnet(info_hash: str) -> str:
    return f"magnet:?xt=urn:btih:{info_hash}"


def test_cache_info_2026_positional_with_files(mocked, api, strict, payload):
    mocked.post(
        f"{BASE}/cache/info",
        json=payload("cache_info_2026"),
        match=strict(json={"urls": [magnet(HASH_A), magnet(HASH_B)], "includeFiles": True}),
    )
    first, second = api.cache_info([magnet(HASH_A), magnet(HASH_B)], include_files=True)
    assert (first.query, first.info_hash, first.cached, first.files) == (
        magnet(HASH_A),
        HASH_A,
        False,
        (),
    )
    assert second.cached is True
    assert second.info_hash == HASH_B
    assert [f.path for f in second.files] == ["Show/Season 1/ep01.mkv", "readme.txt"]
    assert [f.name for f in second.files] == ["ep01.mkv", "readme.txt"]


def test_cache_info_hashes_become_magnets(mocked, api, strict):
    base32 = base64.b32encode(binascii.unhexlify(HASH_B)).decode("ascii")
    assert len(base32) == 32
    mocked.post(
        f"{BASE}/cache/info",
        json=[{"cached": True}, {"cached": "false"}],
        match=strict(json={"urls": [magnet(HASH_A), magnet(HASH_B)], "includeFiles": False}),
    )
    results = api.cache_info([HASH_A.upper(), base32])
    assert [(r.query, r.info_hash, r.cached) for r in results] == [
        (HASH_A.upper(), HASH_A, True),
        (base32, HASH_B, False),
    ]


def test_cache_info_blank_items_make_no_call(mocked, api):
    assert api.cache_info(["", "   "]) == []
    assert len(mocked.calls) == 0


def test_cache_info_batches_of_100_keep_input_order(mocked, api, strict):
    hashes = [f"{i:040x}" for i in range(250)]
    for start, end in ((0, 100), (100, 200), (200, 250)):
        batch = hashes[start:end]
        mocked.post(
            f"{BASE}/cache/info",
            json=[{"cached": int(h, 16) % 3 == 0} for h in batch],
            match=strict(json={"urls": [magnet(h) for h in batch], "includeFiles": False}),
        )
    results = api.cache_info(hashes)
    assert len(mocked.calls) == 3
    assert [r.info_hash for r in results] == hashes
    assert [r.cached for r in results] == [i % 3 == 0 for i in range(250)]


def test_cache_info_length_mismatch_is_invalid_response(mocked, api):
    mocked.post(f"{BASE}/cache/info", json=[{"cached": True}])
    with pytest.raises(InvalidResponseError, match="1 results for 2 links") as caught:
        api.cache_info([HASH_A, HASH_B])
    assert (caught.value.method, caught.value.path) == ("POST", "/cache/info")
    assert len(mocked.calls) == 1


def test_cache_info_data_envelope(mocked, api):
    mocked.post(f"{BASE}/cache/info", json={"data": [True]})
    (result,) = api.cache_info([HASH_A])
    assert result.cached is True


def test_cache_info_falls_back_to_legacy_hashes(mocked, api, strict, payload):
    no_hash = "magnet:?xt=urn:btmh:1220abcdef&dn=v2-only"
    mocked.post(f"{BASE}/cache/info", status=404)
    mocked.post(
        f"{BASE}/cache",
        json=payload("cache_legacy"),  # upper-case: compared case-insensitively
        match=strict(json={"hashes": [HASH_A, HASH_B]}),
    )
    results = api.cache_info([magnet(HASH_A.upper()), HASH_B, no_hash])
    assert [(r.info_hash, r.cached) for r in results] == [
        (HASH_A, True),
        (HASH_B, False),
        (None, False),
    ]
    assert [r.query for r in results] == [magnet(HASH_A.upper()), HASH_B, no_hash]


def test_cache_fallback_is_remembered_across_batches(mocked, api):
    hashes = [f"{i:040x}" for i in range(150)]
    modern = mocked.post(f"{BASE}/cache/info", status=404)
    legacy = mocked.post(f"{BASE}/cache", json={"cachedItems": [hashes[0], hashes[149]]})
    results = api.cache_info(hashes)
    assert modern.call_count == 1
    assert legacy.call_count == 2
    assert [r.cached for r in results].count(True) == 2
    assert results[0].cached
    assert results[149].cached


def test_cache_legacy_wrong_shape(mocked, api):
    mocked.post(f"{BASE}/cache/info", status=404)
    mocked.post(f"{BASE}/cache", json=[HASH_A])
    with pytest.raises(InvalidResponseError, match="cachedItems"):
        api.cache_info([HASH_A])


@pytest.mark.parametrize(
    "given",
    [magnet(HASH_A), HASH_A, HASH_A.upper()],
    ids=["magnet", "hash", "upper-hash"],
)
def test_cache_download(mocked, api, strict, payload, given):
    mocked.post(
        f"{BASE}/cache/download",
        json=payload("cache_download_2026"),
        match=strict(json={"url": magnet(HASH_A)}),
    )
    files = api.cache_download(given)
    assert [(f.filename, f.size, f.url) for f in files] == [
        ("show.s01e01.mkv", 10, "https://wrong"),
        ("Show/show.s01e02.mkv", 20, "https://right"),
    ]


def test_cache_download_envelope_and_name_from_url(mocked, api):
    mocked.post(
        f"{BASE}/cache/download",
        json={"files": [{"url": "https://x.offcloud.com/dl/ep%2001.mkv"}]},
    )
    (only,) = api.cache_download(magnet(HASH_A))
    assert only.filename == "ep 01.mkv"
    assert only.size is None


def test_cache_download_not_cached_error(mocked, api):
    mocked.post(f"{BASE}/cache/download", json={"cached": False})
    with pytest.raises(InvalidResponseError, match="POST /cache/download"):
        api.cache_download(magnet(HASH_A))
