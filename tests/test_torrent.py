""".torrent files: bencode, the v1 info-hash, names, files, trackers, and refusals."""

from __future__ import annotations

import hashlib
import time
import tracemalloc
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offcloud_api import torrent as torrent_module
from offcloud_api.magnet import info_hash_of
from offcloud_api.torrent import MAX_TORRENT_BYTES, TorrentError, bdecode, bencode, parse_torrent

PIECES = b"\x00" * 20

SINGLE_INFO = {
    "name": "Demo.Single.mkv",
    "length": 1048576,
    "piece length": 262144,
    "pieces": PIECES,
}
MULTI_INFO = {
    "name": "Demo.Release",
    "piece length": 262144,
    "pieces": PIECES,
    "files": [
        {"length": 3145728, "path": ["Sub", "ep1.mkv"]},
        {"length": 2097152, "path": ["Sub", "ep2.mkv"]},
        {"length": 1024, "path": ["info.nfo"]},
    ],
}


def test_single_file_torrent() -> None:
    data = bencode({"announce": "udp://tracker.example:80", "info": SINGLE_INFO})
    torrent = parse_torrent(data)
    assert (
        torrent.info_hash
        == hashlib.sha1(  # noqa: S324 - BitTorrent v1 info-hashes are SHA-1
            bencode(SINGLE_INFO)
        ).hexdigest()
    )
    assert torrent.name == "Demo.Single.mkv"
    assert [(f.path, f.size) for f in torrent.files] == [("Demo.Single.mkv", 1048576)]
    assert torrent.trackers == ("udp://tracker.example:80",)
    assert torrent.size == 1048576


def test_multi_file_torrent_keeps_folders_under_its_name() -> None:
    data = bencode(
        {
            "announce": "http://a.example/announce",
            "announce-list": [
                ["http://a.example/announce", "http://b.example/announce"],
                ["udp://c.example:6969"],
            ],
            "info": MULTI_INFO,
        }
    )
    torrent = parse_torrent(data)
    assert [f.path for f in torrent.files] == [
        "Demo.Release/Sub/ep1.mkv",
        "Demo.Release/Sub/ep2.mkv",
        "Demo.Release/info.nfo",
    ]
    assert torrent.size == 3145728 + 2097152 + 1024
    assert torrent.trackers == (
        "http://a.example/announce",
        "http://b.example/announce",
        "udp://c.example:6969",
    )


def test_magnet_carries_hash_name_and_trackers() -> None:
    torrent = parse_torrent(bencode({"announce": "http://a.example/ann", "info": MULTI_INFO}))
    magnet = torrent.magnet
    assert magnet.startswith("magnet:?xt=urn:btih:" + torrent.info_hash)
    assert "dn=Demo.Release" in magnet
    assert "tr=http%3A%2F%2Fa.example%2Fann" in magnet
    assert info_hash_of(magnet) == torrent.info_hash


def test_the_info_hash_is_over_the_original_bytes_not_a_re_encoding() -> None:
    # Keys out of order are invalid bencode, but real torrents have them; the hash must be of
    # the bytes as written, which a decode-and-re-encode would change.
    info = b"d6:lengthi5e4:name5:a.bin12:piece lengthi16384e6:pieces20:" + PIECES + b"e"
    unsorted = b"d4:name5:a.bin6:lengthi5e12:piece lengthi16384e6:pieces20:" + PIECES + b"e"
    for raw in (info, unsorted):
        torrent = parse_torrent(b"d4:info" + raw + b"e")
        assert torrent.info_hash == hashlib.sha1(raw).hexdigest()  # noqa: S324 - BitTorrent v1 hash


def test_utf8_names_are_preferred() -> None:
    info = dict(SINGLE_INFO, **{"name.utf-8": "Démo.mkv"})
    assert parse_torrent(bencode({"info": info})).name == "Démo.mkv"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "truncated"),
        (b"i12", "unterminated integer"),
        (b"i-0e", "malformed integer"),
        (b"i03e", "malformed integer"),
        (b"ie", "malformed integer"),
        (b"ixe", "malformed integer"),
        (b"5:abc", "truncated string"),
        (b"5abc", "unterminated string length"),
        (b"l", "truncated"),
        (b"di1ei2ee", "key is not a string"),
        (b"x", "unexpected byte"),
        (b"i1ei2e", "trailing data"),
        (b"l" * 100 + b"e" * 100, "nested too deeply"),
    ],
)
def test_bdecode_refuses_malformed_data(data: bytes, reason: str) -> None:
    with pytest.raises(TorrentError, match=reason):
        bdecode(data)


def test_bdecode_values() -> None:
    assert bdecode(b"d1:ai-3e1:bl2:xyi0eee") == {b"a": -3, b"b": [b"xy", 0]}


@pytest.mark.parametrize(
    ("torrent", "reason"),
    [
        (bencode([1, 2]), "a torrent is a dictionary"),
        (bencode({"announce": "x"}), "no info dictionary"),
        (bencode({"info": {"name": "a", "piece length": 1}}), "neither files nor length"),
        (bencode({"info": {"name": 5, "length": 1}}), "expected a string"),
        (bencode({"info": {"name": "..", "length": 1}}), "unsafe path"),
        (
            bencode({"info": dict(MULTI_INFO, files=[{"length": 1, "path": ["..", "x"]}])}),
            "unsafe path",
        ),
        (
            bencode({"info": dict(MULTI_INFO, files=[{"length": 1, "path": ["a/b"]}])}),
            "unsafe path",
        ),
        (bencode({"info": dict(MULTI_INFO, files=[{"path": ["x"]}])}), "malformed file entry"),
        (bencode({"info": dict(MULTI_INFO, files=["x"])}), "malformed file entry"),
    ],
)
def test_parse_torrent_refuses_bad_torrents(torrent: bytes, reason: str) -> None:
    with pytest.raises(TorrentError, match=reason):
        parse_torrent(torrent)


def test_parse_torrent_refuses_huge_input() -> None:
    with pytest.raises(TorrentError, match="too large"):
        parse_torrent(b"d" + b"0" * MAX_TORRENT_BYTES)


def test_a_torrent_error_is_a_value_error() -> None:
    assert issubclass(TorrentError, ValueError)


def test_bencode_round_trips_and_sorts_keys() -> None:
    value = {"b": [1, "x", b"\x00"], "a": {"c": -5}}
    encoded = bencode(value)
    assert encoded == b"d1:ad1:ci-5ee1:bli1e1:x1:\x00ee"
    assert bdecode(encoded) == {b"a": {b"c": -5}, b"b": [1, b"x", b"\x00"]}


def test_bencode_refuses_what_the_format_has_not() -> None:
    with pytest.raises(TypeError):
        bencode(True)
    with pytest.raises(TypeError):
        bencode(1.5)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Cost (issue 14, item 5): pyLoad's event thread reads saved .torrent files.


def _with_extra(value: bytes, *, pieces: bytes = PIECES) -> bytes:
    """A single-file torrent with ``value`` under a key no reader of ours needs."""
    info = bencode(dict(SINGLE_INFO, pieces=pieces))
    return b"d4:info" + info + b"7:x-cache" + value + b"e"


def test_values_nobody_reads_are_walked_not_built() -> None:
    # 2 MB of empty dictionaries and a 2 MB pieces string: the old decoder built 1 million
    # dicts (some 70 MB) and copied the pieces; nothing of that is needed for the answer.
    data = _with_extra(b"l" + b"de" * 1_000_000 + b"e", pieces=b"\x01" * 20 * 100_000)
    tracemalloc.start()
    try:
        torrent = parse_torrent(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert torrent.name == "Demo.Single.mkv"
    assert (
        torrent.info_hash
        == hashlib.sha1(  # noqa: S324 - BitTorrent v1 hash
            bencode(dict(SINGLE_INFO, pieces=b"\x01" * 20 * 100_000))
        ).hexdigest()
    )
    assert peak < 512 * 1024


def test_many_trackers_cost_linear_time_and_are_capped() -> None:
    # 20 000 distinct trackers (0.5 MB) took 4 s: each was looked up in a list of the others.
    trackers = [f"udp://t{i}.example:80" for i in range(20_000)]
    data = bencode(
        {"announce": trackers[0], "announce-list": [trackers, trackers[:5]], "info": SINGLE_INFO}
    )
    started = time.perf_counter()
    torrent = parse_torrent(data)
    assert time.perf_counter() - started < 1.0
    assert torrent.trackers == tuple(trackers[: torrent_module.MAX_TRACKERS])


def test_the_file_list_can_be_left_unread() -> None:
    data = bencode({"announce": "udp://a.example:1", "info": MULTI_INFO})
    full = parse_torrent(data)
    brief = parse_torrent(data, list_files=False)
    assert (brief.info_hash, brief.name, brief.trackers, brief.magnet) == (
        full.info_hash,
        full.name,
        full.trackers,
        full.magnet,
    )
    assert brief.files == ()
    with pytest.raises(TorrentError, match="neither files nor length"):
        parse_torrent(bencode({"info": {"name": "a", "piece length": 1}}), list_files=False)


def test_what_a_walk_skips_must_still_be_well_formed() -> None:
    good = bencode({"info": SINGLE_INFO, "x-list": [1, {"a": [b"xy"]}]})
    assert parse_torrent(good).name == "Demo.Single.mkv"
    for bad, reason in [
        (_with_extra(b"l5:abe"), "truncated string"),
        (_with_extra(b"li01ee"), "malformed integer"),
        (_with_extra(b"lq"), "unexpected byte"),
        (_with_extra(b"l"), "truncated"),  # the list takes the last "e"
        (good + b"0:", "trailing data"),
        (good[:-1], "truncated"),
    ]:
        with pytest.raises(TorrentError, match=reason):
            parse_torrent(bad)


def test_the_info_hash_covers_exactly_the_info_value_wherever_it_stands() -> None:
    raw = bencode(MULTI_INFO)
    data = b"d1:ali1ee4:info" + raw + b"1:zd1:ki2eee"
    assert parse_torrent(data).info_hash == hashlib.sha1(raw).hexdigest()  # noqa: S324


def test_the_last_of_repeated_keys_counts() -> None:
    first = bencode(dict(SINGLE_INFO, name="first.bin"))
    last = bencode(dict(SINGLE_INFO, name="last.bin"))
    torrent = parse_torrent(b"d4:info" + first + b"4:info" + last + b"e")
    assert (torrent.name, torrent.info_hash) == ("last.bin", hashlib.sha1(last).hexdigest())  # noqa: S324


BENCODED = st.recursive(
    st.integers() | st.binary(max_size=12),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.binary(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(value=BENCODED)
def test_bdecode_reverses_bencode(value: Any) -> None:
    assert bdecode(bencode(value)) == value


@settings(max_examples=300, deadline=None)
@given(
    extra=st.dictionaries(st.sampled_from([b"x", b"comment", b"nodes", b"zz"]), BENCODED),
    info_extra=st.dictionaries(st.sampled_from([b"file tree", b"private", b"x"]), BENCODED),
)
def test_what_the_walk_steps_over_never_changes_the_answer(
    extra: dict[bytes, Any], info_extra: dict[bytes, Any]
) -> None:
    info = {**{k.decode(): v for k, v in info_extra.items()}, **SINGLE_INFO}
    data = bencode({**{k.decode(): v for k, v in extra.items()}, "info": info})
    torrent = parse_torrent(data)
    assert torrent.info_hash == hashlib.sha1(bencode(info)).hexdigest()  # noqa: S324
    assert (torrent.name, torrent.size) == ("Demo.Single.mkv", 1048576)
    truncated = data[: len(data) // 2]
    with pytest.raises(TorrentError):
        parse_torrent(truncated)


BASE_INFO = {"name": "Demo", "piece length": 1, "pieces": PIECES}
#: The raw start of a torrent whose file list follows (to write what bencode cannot).
RAW_FILES = b"d4:infod4:name4:Demo12:piece lengthi1e6:pieces20:" + PIECES + b"5:filesl"


@pytest.mark.parametrize(
    ("torrent", "reason"),
    [
        (bencode({"info": dict(BASE_INFO, files="x")}), "neither files nor length"),
        (bencode({"info": dict(BASE_INFO, files=[{"length": 1, "path": "x"}])}), "malformed file"),
        (bencode({"info": dict(BASE_INFO, files=[{"length": 1, "path": [1]}])}), "malformed file"),
        (bencode({"info": dict(BASE_INFO, files=[{"length": [1], "path": ["x"]}])}), "malformed"),
        (RAW_FILES + b"di1ei2eeeee", "dictionary key is not a string"),
        (RAW_FILES + b"d9:len", "truncated string"),
    ],
)
def test_file_entries_that_are_not_files_are_refused(torrent: bytes, reason: str) -> None:
    with pytest.raises(TorrentError, match=reason):
        parse_torrent(torrent)


@pytest.mark.parametrize(("data", "reason"), [(b"5x:abc", "malformed string length")])
def test_bdecode_names_a_malformed_string_length(data: bytes, reason: str) -> None:
    with pytest.raises(TorrentError, match=reason):
        bdecode(data)


def test_a_files_utf8_path_wins_and_unknown_keys_are_stepped_over() -> None:
    info = dict(
        BASE_INFO,
        files=[
            {"length": 1, "path": ["x"], "path.utf-8": ["y"]},
            {"length": 2, "path": ["z"], "md5sum": "abc"},
        ],
    )
    parsed = parse_torrent(bencode({"info": info}))
    assert [(f.path, f.size) for f in parsed.files] == [("Demo/y", 1), ("Demo/z", 2)]


def test_an_announce_list_that_is_not_a_list_leaves_the_announce() -> None:
    torrent = bencode(
        {
            "announce": "http://a.test/announce",
            "announce-list": "x",
            "info": dict(BASE_INFO, length=1),
        }
    )
    parsed = parse_torrent(torrent, list_files=False)
    assert parsed.trackers == ("http://a.test/announce",)
    assert parsed.files == ()
