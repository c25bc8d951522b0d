"""Reading .torrent files: bencode, the v1 info-hash, the name, the files and the trackers.

Offcloud's 2026 API takes no upload, so a .torrent is read here and sent as a magnet link with
its trackers (offcloudarr does the same, docs/anchors.md §3).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Union

from .magnet import build_magnet

__all__ = ["TorrentError", "TorrentFile", "TorrentInfo", "bdecode", "bencode", "parse_torrent"]

Bencoded = Union[int, bytes, list["Bencoded"], dict[bytes, "Bencoded"]]

#: A .torrent larger than this is not a .torrent (the biggest real ones are a few MB).
MAX_TORRENT_BYTES = 20 * 1024 * 1024
_MAX_DEPTH = 64


class TorrentError(ValueError):
    """The data is not a valid .torrent file."""


@dataclass(frozen=True)
class TorrentFile:
    path: str  # relative, "/"-separated, starting with the torrent's name for multi-file ones
    size: int


@dataclass(frozen=True)
class TorrentInfo:
    info_hash: str  # lower-case hex, v1
    name: str
    files: tuple[TorrentFile, ...]
    trackers: tuple[str, ...]

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def magnet(self) -> str:
        return build_magnet(self.info_hash, self.name, self.trackers)


def _decode(data: bytes, index: int, depth: int) -> tuple[Bencoded, int]:
    if depth > _MAX_DEPTH:
        raise TorrentError("nested too deeply")
    if index >= len(data):
        raise TorrentError("truncated data")
    lead = data[index : index + 1]
    if lead == b"i":
        end = data.find(b"e", index)
        if end < 0:
            raise TorrentError("unterminated integer")
        digits = data[index + 1 : end]
        if not digits or digits in (b"-", b"-0") or (digits[:1] == b"0" and len(digits) > 1):
            raise TorrentError("malformed integer")
        try:
            return int(digits), end + 1
        except ValueError:
            raise TorrentError("malformed integer") from None
    if lead == b"l":
        items: list[Bencoded] = []
        index += 1
        while data[index : index + 1] != b"e":
            item, index = _decode(data, index, depth + 1)
            items.append(item)
        return items, index + 1
    if lead == b"d":
        mapping: dict[bytes, Bencoded] = {}
        index += 1
        while data[index : index + 1] != b"e":
            key, index = _decode(data, index, depth + 1)
            if not isinstance(key, bytes):
                raise TorrentError("dictionary key is not a string")
            mapping[key], index = _decode(data, index, depth + 1)
        return mapping, index + 1
    if lead.isdigit():
        colon = data.find(b":", index)
        if colon < 0:
            raise TorrentError("unterminated string length")
        try:
            length = int(data[index:colon])
        except ValueError:
            raise TorrentError("malformed string length") from None
        start = colon + 1
        if start + length > len(data):
            raise TorrentError("truncated string")
        return data[start : start + length], start + length
    raise TorrentError(f"unexpected byte {lead!r} at {index}")


def bdecode(data: bytes) -> Bencoded:
    """Decode one bencoded value that fills ``data`` exactly."""
    value, end = _decode(data, 0, 0)
    if end != len(data):
        raise TorrentError("trailing data after the torrent")
    return value


Encodable = Union[int, str, bytes, list["Encodable"], dict[Union[str, bytes], "Encodable"]]


def bencode(value: Encodable) -> bytes:
    """Bencode ``value`` (strings as UTF-8, dictionary keys sorted as the format requires)."""
    if isinstance(value, bool):
        raise TypeError("bencode has no booleans")
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode("utf-8")
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, list):
        return b"l" + b"".join(bencode(item) for item in value) + b"e"
    if isinstance(value, dict):
        items = sorted(
            (k.encode("utf-8") if isinstance(k, str) else k, v) for k, v in value.items()
        )
        return b"d" + b"".join(bencode(k) + bencode(v) for k, v in items) + b"e"
    raise TypeError(f"cannot bencode {type(value).__name__}")


def _info_span(data: bytes) -> bytes:
    """The exact bytes of the top-level ``info`` value: the info-hash is their SHA-1."""
    if data[:1] != b"d":
        raise TorrentError("a torrent is a dictionary")
    index = 1
    while data[index : index + 1] != b"e":
        key, index = _decode(data, index, 1)
        start = index
        _, index = _decode(data, index, 1)
        if key == b"info":
            return data[start:index]
    raise TorrentError("no info dictionary")


def _text(value: object) -> str:
    if not isinstance(value, bytes):
        raise TorrentError("expected a string")
    return value.decode("utf-8", errors="replace")


def _safe_part(part: str) -> str:
    if part in ("", ".", "..") or "/" in part or "\\" in part:
        raise TorrentError(f"unsafe path component {part!r}")
    return part


def parse_torrent(data: bytes) -> TorrentInfo:
    """Info-hash, name, files and trackers of a (v1 or hybrid) .torrent file."""
    if len(data) > MAX_TORRENT_BYTES:
        raise TorrentError("file too large to be a .torrent")
    root = bdecode(data)
    if not isinstance(root, dict):
        raise TorrentError("a torrent is a dictionary")
    info = root.get(b"info")
    if not isinstance(info, dict):
        raise TorrentError("no info dictionary")
    info_hash = hashlib.sha1(_info_span(data)).hexdigest()  # noqa: S324 - BitTorrent's v1 hash
    name = _safe_part(_text(info.get(b"name.utf-8", info.get(b"name"))))
    files: list[TorrentFile] = []
    listed = info.get(b"files")
    if isinstance(listed, list):
        for entry in listed:
            if not isinstance(entry, dict):
                raise TorrentError("malformed file entry")
            parts = entry.get(b"path.utf-8", entry.get(b"path"))
            length = entry.get(b"length")
            if not isinstance(parts, list) or not parts or not isinstance(length, int):
                raise TorrentError("malformed file entry")
            path = "/".join([name, *(_safe_part(_text(p)) for p in parts)])
            files.append(TorrentFile(path, length))
    else:
        length = info.get(b"length")
        if not isinstance(length, int):
            raise TorrentError("neither files nor length in the info dictionary")
        files.append(TorrentFile(name, length))
    trackers: list[str] = []
    announce = root.get(b"announce")
    if isinstance(announce, bytes):
        trackers.append(_text(announce))
    tiers = root.get(b"announce-list")
    if isinstance(tiers, list):
        for tier in tiers:
            for tracker in tier if isinstance(tier, list) else []:
                if isinstance(tracker, bytes) and _text(tracker) not in trackers:
                    trackers.append(_text(tracker))
    return TorrentInfo(info_hash, name, tuple(files), tuple(trackers))
