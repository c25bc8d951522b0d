"""Cache checks and cached downloads: /cache (hashes, hits only), /cache/info, /cache/download.

Shapes: doc §00 L13, L14 (the live probes), §3.4.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

import pytest

from offcloud_api.exceptions import InvalidResponseError, NotFoundError

BASE = "https://offcloud.com/api"
HASH_A = "b6ed43c90bb5699c7a2f5e5453d681436847791a"
HASH_B = "f223ab10189810f6aa5fdecc696bf4621ba945b0"


def magnet(info_hash: str) -> str:
    return f"magnet:?xt=urn:btih:{info_hash}"


HTML_404 = (Path(__file__).parent / "fixtures" / "html_404_L3.html").read_text(encoding="utf-8")


def html_404(mocked, method, url, **kwargs):
    """Offcloud's HTML 404 page for a path it does not have (§00 L3)."""
    return mocked.add(method, url, status=404, body=HTML_404, content_type="text/html", **kwargs)


# ---------------------------------------------------------------------------------------------
# without files: POST /cache with bare hashes, hits only (§00 L13)


def test_cache_hits_only_l13(mocked, api, strict, payload):
    # cachedItems lists the hits only: "not cached" is the set difference.
    mocked.post(
        f"{BASE}/cache",
        json=payload("cache_hits_L13"),
        match=strict(json={"hashes": [HASH_A, HASH_B]}),
    )
    results = api.cache_info([magnet(HASH_A), HASH_B])
    assert [(r.query, r.info_hash, r.cached, r.files) for r in results] == [
        (magnet(HASH_A), HASH_A, True, ()),
        (HASH_B, HASH_B, False, ()),
    ]


def test_cache_hashes_are_bare_lower_hex(mocked, api, strict):
    base32 = base64.b32encode(binascii.unhexlify(HASH_B)).decode("ascii")
    assert len(base32) == 32
    mocked.post(
        f"{BASE}/cache",
        json={"cachedItems": [HASH_B.upper()]},  # compared case-insensitively
        match=strict(json={"hashes": [HASH_A, HASH_B]}),
    )
    results = api.cache_info([HASH_A.upper(), base32, f"magnet:?xt=urn:btih:{base32}&dn=x"])
    assert [(r.query, r.info_hash, r.cached) for r in results] == [
        (HASH_A.upper(), HASH_A, False),
        (base32, HASH_B, True),
        (f"magnet:?xt=urn:btih:{base32}&dn=x", HASH_B, True),  # the same hash: sent once
    ]


@pytest.mark.parametrize(("count", "calls"), [(1000, 1), (1001, 2), (2500, 3)])
def test_cache_batches_of_1000_hashes_l13(mocked, api, strict, count, calls):
    hashes = [f"{i:040x}" for i in range(count)]
    for start in range(0, count, 1000):
        batch = hashes[start : start + 1000]
        mocked.post(
            f"{BASE}/cache",
            json={"cachedItems": [h for h in batch if int(h, 16) % 3 == 0]},
            match=strict(json={"hashes": batch}),
        )
    results = api.cache_info(hashes)
    assert len(mocked.calls) == calls
    assert [r.info_hash for r in results] == hashes
    assert [r.cached for r in results] == [i % 3 == 0 for i in range(count)]


def test_cache_items_without_a_valid_hash_are_not_sent(mocked, api, strict):
    junk = [
        "magnet:?xt=urn:btih:zzzz",  # §00 L7's garbage magnet
        "magnet:?xt=urn:btmh:1220abcdef&dn=v2-only",
        "not a hash",
        HASH_A[:-1],
    ]
    mocked.post(
        f"{BASE}/cache", json={"cachedItems": [HASH_A]}, match=strict(json={"hashes": [HASH_A]})
    )
    results = api.cache_info([*junk, HASH_A])
    assert [(r.query, r.info_hash, r.cached) for r in results] == [
        *[(item, None, False) for item in junk],
        (HASH_A, HASH_A, True),
    ]


def test_cache_only_junk_or_blank_makes_no_call(mocked, api):
    assert api.cache_info(["", "   "]) == []
    assert [r.cached for r in api.cache_info(["magnet:?xt=urn:btih:zzzz"])] == [False]
    assert [r.cached for r in api.cache_info(["zzzz"], include_files=True)] == [False]
    assert len(mocked.calls) == 0


def test_cache_wrong_shape(mocked, api):
    mocked.post(f"{BASE}/cache", json=[HASH_A])
    with pytest.raises(InvalidResponseError, match="cachedItems") as caught:
        api.cache_info([HASH_A])
    assert (caught.value.method, caught.value.path) == ("POST", "/cache")


def test_cache_falls_back_to_cache_info_with_magnets_and_remembers(mocked, api, strict):
    # Where /cache is not a route (§00 L3), /cache/info with full magnets, 100 at a time.
    hashes = [f"{i:040x}" for i in range(150)]
    modern = html_404(mocked, "POST", f"{BASE}/cache", match=strict(json={"hashes": hashes}))
    for start, end in ((0, 100), (100, 150)):
        batch = hashes[start:end]
        mocked.post(
            f"{BASE}/cache/info",
            json=[{"cached": int(h, 16) in (0, 149)} for h in batch],
            match=strict(json={"urls": [magnet(h) for h in batch], "includeFiles": False}),
        )
    results = api.cache_info(hashes)
    assert modern.call_count == 1
    assert [r.cached for r in results].count(True) == 2
    assert results[0].cached
    assert results[149].cached
    mocked.post(
        f"{BASE}/cache/info",
        json=[{"cached": True}],
        match=strict(json={"urls": [magnet(HASH_A)], "includeFiles": False}),
    )
    assert api.cache_info([HASH_A])[0].cached
    assert modern.call_count == 1  # remembered


def test_cache_json_404_is_not_a_fallback(mocked, api):
    mocked.post(f"{BASE}/cache", status=404, json={"error": "Not found"})
    with pytest.raises(NotFoundError):
        api.cache_info([HASH_A])
    assert len(mocked.calls) == 1


# ---------------------------------------------------------------------------------------------
# with files: POST /cache/info with full magnets, by position (§00 L14)


def test_cache_info_live_folder_string_l14(mocked, api, strict, payload):
    mocked.post(
        f"{BASE}/cache/info",
        json=payload("cache_info_live_L14"),
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
    assert [f.path for f in second.files] == [
        "Some.Release.1080p/Some.Release.1080p.mkv",
        "Some.Release.1080p/Sample/sample clip.mkv",
    ]


def test_cache_info_folder_list_l14(mocked, api, strict, payload):
    mocked.post(
        f"{BASE}/cache/info",
        json=payload("cache_info_folder_list_L14"),
        match=strict(json={"urls": [magnet(HASH_B)], "includeFiles": True}),
    )
    (only,) = api.cache_info([magnet(HASH_B)], include_files=True)
    assert [f.path for f in only.files] == ["Show/Season 1/ep01.mkv", "readme.txt"]
    assert [f.name for f in only.files] == ["ep01.mkv", "readme.txt"]


def test_cache_info_2026_positional_with_files(mocked, api, strict, payload):
    mocked.post(
        f"{BASE}/cache/info",
        json=payload("cache_info_2026"),
        match=strict(json={"urls": [magnet(HASH_A), magnet(HASH_B)], "includeFiles": True}),
    )
    first, second = api.cache_info([magnet(HASH_A), magnet(HASH_B)], include_files=True)
    assert first.cached is False
    assert [f.path for f in second.files] == ["Show/Season 1/ep01.mkv", "readme.txt"]


def test_cache_info_sends_full_magnets_never_bare_hashes_l14(mocked, api, strict):
    # A bare hash there silently answers "not cached" for cached content: build a magnet.
    full = f"magnet:?xt=urn:btih:{HASH_A}&dn=Some%20Release&tr=udp%3A%2F%2Ft.example%3A1337"
    base32 = base64.b32encode(binascii.unhexlify(HASH_B)).decode("ascii")
    mocked.post(
        f"{BASE}/cache/info",
        json=[{"cached": True}, {"cached": "false"}],
        match=strict(json={"urls": [full, magnet(HASH_B)], "includeFiles": True}),
    )
    results = api.cache_info([full, base32], include_files=True)
    assert [(r.query, r.info_hash, r.cached) for r in results] == [
        (full, HASH_A, True),
        (base32, HASH_B, False),
    ]


def test_cache_info_batches_of_100_keep_input_order(mocked, api, strict):
    hashes = [f"{i:040x}" for i in range(250)]
    for start, end in ((0, 100), (100, 200), (200, 250)):
        batch = hashes[start:end]
        mocked.post(
            f"{BASE}/cache/info",
            json=[{"cached": int(h, 16) % 3 == 0} for h in batch],
            match=strict(json={"urls": [magnet(h) for h in batch], "includeFiles": True}),
        )
    results = api.cache_info(hashes, include_files=True)
    assert len(mocked.calls) == 3
    assert [r.info_hash for r in results] == hashes
    assert [r.cached for r in results] == [i % 3 == 0 for i in range(250)]


def test_cache_info_length_mismatch_is_invalid_response(mocked, api):
    mocked.post(f"{BASE}/cache/info", json=[{"cached": True}])
    with pytest.raises(InvalidResponseError, match="1 results for 2 links") as caught:
        api.cache_info([HASH_A, HASH_B], include_files=True)
    assert (caught.value.method, caught.value.path) == ("POST", "/cache/info")
    assert len(mocked.calls) == 1


def test_cache_info_data_envelope(mocked, api):
    mocked.post(f"{BASE}/cache/info", json={"data": [True]})
    (result,) = api.cache_info([HASH_A], include_files=True)
    assert result.cached is True


def test_cache_info_falls_back_to_legacy_hashes(mocked, api, strict, payload):
    # A legacy server has no cache/info: its /cache answers, without files.
    html_404(mocked, "POST", f"{BASE}/cache/info")
    mocked.post(
        f"{BASE}/cache",
        json=payload("cache_legacy"),  # upper-case: compared case-insensitively
        match=strict(json={"hashes": [HASH_A, HASH_B]}),
    )
    results = api.cache_info([magnet(HASH_A.upper()), HASH_B], include_files=True)
    assert [(r.info_hash, r.cached, r.files) for r in results] == [
        (HASH_A, True, ()),
        (HASH_B, False, ()),
    ]
    assert [r.query for r in results] == [magnet(HASH_A.upper()), HASH_B]


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
