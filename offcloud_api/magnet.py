"""Info-hashes and magnet links, the keys of Offcloud's torrent cache."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Optional
from urllib.parse import parse_qs, quote, urlsplit

__all__ = ["build_magnet", "info_hash_of", "is_info_hash", "is_magnet"]

_HEX_HASH = re.compile(r"^[0-9a-fA-F]{40}$")
_BASE32_HASH = re.compile(r"^[A-Za-z2-7]{32}$")


def is_magnet(text: str) -> bool:
    return text.strip().lower().startswith("magnet:?")


def is_info_hash(text: str) -> bool:
    text = text.strip()
    return bool(_HEX_HASH.match(text) or _BASE32_HASH.match(text))


def _normalise_hash(value: str) -> Optional[str]:
    value = value.strip()
    if _HEX_HASH.match(value):
        return value.lower()
    if _BASE32_HASH.match(value):
        try:
            return binascii.hexlify(base64.b32decode(value.upper())).decode("ascii")
        except (binascii.Error, ValueError):
            return None
    return None


def info_hash_of(text: str) -> Optional[str]:
    """The lower-case hex BitTorrent v1 info-hash of a magnet link or a bare hash, if it has one."""
    text = text.strip()
    if not is_magnet(text):
        return _normalise_hash(text)
    query = parse_qs(urlsplit(text).query)
    for topic in query.get("xt", []):
        if topic.lower().startswith("urn:btih:"):
            found = _normalise_hash(topic[len("urn:btih:") :])
            if found:
                return found
    return None


def build_magnet(info_hash: str, name: Optional[str] = None, trackers: tuple[str, ...] = ()) -> str:
    """A magnet link for ``info_hash`` with an optional display name and trackers."""
    parts = [f"xt=urn:btih:{info_hash.lower()}"]
    if name:
        parts.append("dn=" + quote(name, safe=""))
    parts.extend("tr=" + quote(tracker, safe="") for tracker in trackers)
    return "magnet:?" + "&".join(parts)
