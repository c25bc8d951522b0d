"""Info-hashes and magnet links (doc §3.4: hashes are lower-cased; POV builds magnets)."""

from __future__ import annotations

import base64
import binascii

import pytest

from offcloud_api.magnet import build_magnet, info_hash_of, is_info_hash, is_magnet

HEX = "b6ed43c90bb5699c7a2f5e5453d681436847791a"
B32 = base64.b32encode(binascii.unhexlify(HEX)).decode("ascii")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (HEX, HEX),
        (HEX.upper(), HEX),
        (f"  {HEX}  ", HEX),
        (B32, HEX),
        (B32.lower(), HEX),
        (f"magnet:?xt=urn:btih:{HEX.upper()}&dn=Some.Release", HEX),
        (f"MAGNET:?dn=x&xt=urn:btih:{B32}", HEX),
        (f"magnet:?xt=urn:btmh:1220{HEX}&xt=urn:btih:{HEX}", HEX),
        ("magnet:?xt=urn:btih:tooshort", None),
        ("magnet:?dn=no-topic", None),
        ("https://rapidgator.net/file/abc", None),
        (HEX[:-1], None),
        ("", None),
    ],
    ids=["hex", "upper", "spaces", "base32", "base32-lower", "magnet", "magnet-base32",
         "hybrid", "bad-topic", "no-topic", "url", "short", "empty"],
)  # fmt: skip
def test_info_hash_of(text, expected):
    assert info_hash_of(text) == expected


def test_is_magnet_and_is_info_hash():
    assert is_magnet(" Magnet:?xt=urn:btih:x")
    assert not is_magnet("https://x/magnet:?")
    assert is_info_hash(HEX)
    assert is_info_hash(B32)
    assert not is_info_hash(HEX + "0")
    assert not is_info_hash("g" * 40)


def test_build_magnet():
    assert build_magnet(HEX.upper()) == f"magnet:?xt=urn:btih:{HEX}"
    assert build_magnet(HEX, name="A B&C", trackers=("udp://t:1/announce",)) == (
        f"magnet:?xt=urn:btih:{HEX}&dn=A%20B%26C&tr=udp%3A%2F%2Ft%3A1%2Fannounce"
    )
    assert info_hash_of(build_magnet(HEX, name="x")) == HEX


def test_undecodable_base32_is_no_hash(monkeypatch):
    def broken(value):
        raise binascii.Error("Incorrect padding")

    monkeypatch.setattr(base64, "b32decode", broken)
    assert info_hash_of(B32) is None
    assert info_hash_of(HEX) == HEX
