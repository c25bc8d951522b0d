"""Reading .torrent files: bencode, the v1 info-hash, the name, the files and the trackers.

Offcloud's 2026 API takes no upload, so a .torrent is read here and sent as a magnet link with
its trackers (offcloudarr does the same, docs/api.md §6.2).

:func:`parse_torrent` also runs in pyLoad's event thread (the hook addon's cache check), so it
is a walk, not a decode: it reads the few values a magnet and the file list need and steps over
the rest (``pieces``, v2 ``file tree`` and ``piece layers``, unknown keys) without building it.
A string is stepped over in one move whatever its length; nothing recurses, and memory grows
only with what is kept (nothing at all with ``list_files=False``). The info-hash is the SHA-1 of
the ``info`` value's bytes as written. :func:`token_bound` tells, at C speed, how long a walk
can take at most, for a caller with a time budget.

No bencode library is used: fastbencode's fast decoder is a compiled extension, which
``offcloud pyload install`` cannot copy into pyLoad's Docker image beside the plugins, and its
pure-Python fallback decodes everything (no faster than this walk, and as hungry as the decoder
this replaced); neither gives the bytes of ``info`` that the info-hash is taken over.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Optional, Union

from .magnet import build_magnet

__all__ = [
    "MAX_TORRENT_BYTES",
    "MAX_TRACKERS",
    "TorrentError",
    "TorrentFile",
    "TorrentInfo",
    "bdecode",
    "bencode",
    "parse_torrent",
    "token_bound",
]

Bencoded = Union[int, bytes, list["Bencoded"], dict[bytes, "Bencoded"]]

#: A .torrent larger than this is not a .torrent (the biggest real ones are a few MB).
MAX_TORRENT_BYTES = 20 * 1024 * 1024
#: Trackers kept for the magnet link (public tracker lists have about a hundred).
MAX_TRACKERS = 100
_MAX_DEPTH = 64

# An integer token: canonical, at most 64 digits (the longest real ones have 20).
_INTEGER = re.compile(rb"i(0|-?[1-9][0-9]{0,63})e")
#: Digits a string's length may have (leading zeros are kept: some writers emit them, and the
#: info-hash is over the bytes as written).
_LENGTH_DIGITS = 20
_END, _LIST, _DICT, _INT = b"eldi"


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
    files: tuple[TorrentFile, ...]  # empty when read with list_files=False
    trackers: tuple[str, ...]

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def magnet(self) -> str:
        return build_magnet(self.info_hash, self.name, self.trackers)


# --------------------------------------------------------------------------------------------
# tokens: dispatched on the lead byte, the hot loops inline (each call costs as much as a token)


def _malformed(data: bytes, index: int) -> TorrentError:
    """Why no valid token starts at ``index``."""
    if index >= len(data):
        return TorrentError("truncated data")
    lead = data[index : index + 1]
    if lead == b"i":
        if data.find(b"e", index) < 0:
            return TorrentError("unterminated integer")
        return TorrentError("malformed integer")
    if lead.isdigit():
        colon = data.find(b":", index)
        if colon < 0:
            return TorrentError("unterminated string length")
        if data[index:colon].isdigit():
            return TorrentError("truncated string")
        return TorrentError("malformed string length")
    return TorrentError(f"unexpected byte {lead!r} at {index}")


def _string(data: bytes, index: int) -> tuple[bytes, int]:
    """The string whose length starts at ``index`` (a digit), and the index after it."""
    colon = data.find(b":", index, index + _LENGTH_DIGITS + 1)
    digits = data[index:colon]
    if colon < 0 or not digits.isdigit():
        raise _malformed(data, index)
    end = colon + 1 + int(digits)
    if end > len(data):
        raise TorrentError("truncated string")
    return data[colon + 1 : end], end


def _integer(data: bytes, index: int) -> tuple[int, int]:
    token = _INTEGER.match(data, index)
    if token is None:
        raise _malformed(data, index)
    return int(token.group(1)), token.end()


def _skip(data: bytes, index: int) -> int:
    """The end of the value at ``index``, walked without building anything."""
    # The hottest loop: byte values as literals (e 101, l 108, d 100, i 105) and local names.
    size = len(data)
    find = data.find
    integer = _INTEGER.match
    depth = 0
    try:
        while True:
            lead = data[index]
            if lead == 101 and depth:
                depth -= 1
                index += 1
            elif lead == 100 or lead == 108:  # noqa: PLR1714 - faster than "in" here
                depth += 1
                index += 1
                continue
            elif lead == 105:
                token = integer(data, index)
                if token is None:
                    raise _malformed(data, index)
                index = token.end()
            else:
                colon = find(b":", index, index + _LENGTH_DIGITS + 1)
                digits = data[index:colon]
                if colon < 0 or not digits.isdigit():
                    raise _malformed(data, index)
                index = colon + 1 + int(digits)
                if index > size:
                    raise TorrentError("truncated string")
            if depth == 0:
                return index
    except IndexError:
        raise TorrentError("truncated data") from None


def _scalar(data: bytes, index: int) -> tuple[Union[bytes, int, None], int]:
    """A string or an integer at ``index``; a list or a dictionary is stepped over (``None``)."""
    lead = data[index] if index < len(data) else -1
    if lead == _INT:
        return _integer(data, index)
    if lead in (_LIST, _DICT):
        return None, _skip(data, index)
    return _string(data, index)


def _key(data: bytes, index: int) -> tuple[Optional[bytes], int]:
    """The dictionary key at ``index``, or ``None`` (and the index after it) at the ``e``."""
    lead = data[index] if index < len(data) else -1
    if lead == _END:
        return None, index + 1
    if lead in (_INT, _LIST, _DICT):
        _skip(data, index)  # a well-formed value, or its own error
        raise TorrentError("dictionary key is not a string")
    return _string(data, index)


def _strings(data: bytes, index: int) -> tuple[Optional[list[bytes]], int]:
    """A list of strings at ``index`` (a file's path); anything else is stepped over (``None``)."""
    if data[index : index + 1] != b"l":
        return None, _skip(data, index)
    found: list[bytes] = []
    find = data.find
    start = index
    index += 1
    while data[index : index + 1] != b"e":
        colon = find(b":", index, index + _LENGTH_DIGITS + 1)
        digits = data[index:colon]
        if colon < 0 or not digits.isdigit():
            return None, _skip(data, start)  # not a string, or malformed: it says why
        index = colon + 1 + int(digits)
        found.append(data[colon + 1 : index])  # past the end: the next find fails, _skip says
    return found, index + 1


# --------------------------------------------------------------------------------------------
# bencode


def bdecode(data: bytes) -> Bencoded:
    """Decode one bencoded value that fills ``data`` exactly (without recursion)."""
    containers: list[Union[list[Bencoded], dict[bytes, Bencoded]]] = []
    keys: list[Optional[bytes]] = []  # per container: a dictionary's key awaiting its value
    size = len(data)
    index = 0
    while True:
        lead = data[index] if index < size else -1
        value: Bencoded
        if lead == _END and containers and keys[-1] is None:
            keys.pop()
            value, index = containers.pop(), index + 1
        elif lead in (_LIST, _DICT):
            if len(containers) >= _MAX_DEPTH:
                raise TorrentError("nested too deeply")
            containers.append([] if lead == _LIST else {})
            keys.append(None)
            index += 1
            continue
        elif lead == _INT:
            value, index = _integer(data, index)
        else:
            value, index = _string(data, index)
        if not containers:
            if index != size:
                raise TorrentError("trailing data after the torrent")
            return value
        top = containers[-1]
        if isinstance(top, list):
            top.append(value)
            continue
        key = keys[-1]
        if key is not None:
            top[key] = value
            keys[-1] = None
        elif isinstance(value, bytes):
            keys[-1] = value
        else:
            raise TorrentError("dictionary key is not a string")


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


# --------------------------------------------------------------------------------------------
# the walk


#: A file entry as read: its path (``path.utf-8`` over ``path``; ``None``: not a list of strings)
#: and its length.
_Entry = tuple[Optional[list[bytes]], Union[bytes, int, None]]


@dataclass
class _Info:
    """What the walk keeps of the ``info`` dictionary (the last of repeated keys wins)."""

    start: int
    end: int = 0
    name: Union[bytes, int, None] = None
    name_utf8: Union[bytes, int, None] = None
    length: Union[bytes, int, None] = None
    has_files: bool = False
    entries: Optional[list[_Entry]] = None


def _read_info(data: bytes, index: int, list_files: bool) -> _Info:
    info = _Info(start=index)
    index += 1
    while True:
        key, index = _key(data, index)
        if key is None:
            info.end = index
            return info
        if key == b"name":
            info.name, index = _scalar(data, index)
        elif key == b"name.utf-8":
            info.name_utf8, index = _scalar(data, index)
        elif key == b"length":
            info.length, index = _scalar(data, index)
        elif key == b"files" and data[index : index + 1] == b"l":
            info.has_files = True
            if list_files:
                info.entries, index = _read_files(data, index)
            else:
                index = _skip(data, index)
        else:
            if key == b"files":
                info.has_files, info.entries = False, None
            index = _skip(data, index)


def _read_files(data: bytes, index: int) -> tuple[list[_Entry], int]:
    """The entries of the ``files`` list at ``index``.

    The hot path of a big torrent (tens of thousands of entries): keys are read inline, other
    values through the helpers.
    """
    entries: list[_Entry] = []
    find = data.find
    size = len(data)
    index += 1
    while data[index : index + 1] != b"e":
        if data[index : index + 1] != b"d":
            _skip(data, index)  # a well-formed value, or its own error
            raise TorrentError("malformed file entry")
        index += 1
        path: Optional[list[bytes]] = None
        path_utf8: Optional[list[bytes]] = None
        has_path = has_path_utf8 = False
        length: Union[bytes, int, None] = None
        while data[index : index + 1] != b"e":
            colon = find(b":", index, index + _LENGTH_DIGITS + 1)
            digits = data[index:colon]
            if colon < 0 or not digits.isdigit():
                _key(data, index)  # raises what is wrong
            start = colon + 1
            index = start + int(digits)
            if index > size:
                raise TorrentError("truncated string")
            key = data[start:index]
            if key == b"length":
                length, index = _scalar(data, index)
            elif key == b"path":
                path, index = _strings(data, index)
                has_path = True
            elif key == b"path.utf-8":
                path_utf8, index = _strings(data, index)
                has_path_utf8 = True
            else:
                index = _skip(data, index)
        entries.append((path_utf8 if has_path_utf8 else path if has_path else None, length))
        index += 1
    return entries, index + 1


def _files(name: str, entries: list[_Entry]) -> list[TorrentFile]:
    files: list[TorrentFile] = []
    for parts, length in entries:
        if not parts or not isinstance(length, int):
            raise TorrentError("malformed file entry")
        # Checked as bytes, joined: "/" and "\\" decode to themselves, and a "/" inside a part
        # shows as one "/" too many.
        joined = b"/".join(parts)
        if (
            b"" in parts
            or b"." in parts
            or b".." in parts
            or b"\\" in joined
            or joined.count(b"/") != len(parts) - 1
        ):
            for part in parts:
                _safe_part(_text(part))
        files.append(TorrentFile(f"{name}/{joined.decode('utf-8', errors='replace')}", length))
    return files


def _trackers(data: bytes, index: int, found: dict[str, None]) -> int:
    """Collect the strings of an ``announce-list`` (a list of tiers) into ``found``."""
    if data[index : index + 1] != b"l":
        return _skip(data, index)
    index += 1
    while data[index : index + 1] != b"e":
        if data[index : index + 1] != b"l" or len(found) >= MAX_TRACKERS:
            index = _skip(data, index)
            continue
        index += 1
        while data[index : index + 1] != b"e":
            value, index = _scalar(data, index)
            if isinstance(value, bytes) and len(found) < MAX_TRACKERS:
                found.setdefault(_text(value))
        index += 1
    return index + 1


def _text(value: object) -> str:
    if not isinstance(value, bytes):
        raise TorrentError("expected a string")
    return value.decode("utf-8", errors="replace")


_UNSAFE_PARTS = (b"", b".", b"..")


def _safe_part(part: str) -> str:
    if part in ("", ".", "..") or "/" in part or "\\" in part:
        raise TorrentError(f"unsafe path component {part!r}")
    return part


def token_bound(data: bytes) -> int:
    """The most steps a walk of ``data`` can take (well-formed or not), counted at C speed.

    Each step consumes a byte of its own among ``:`` (a string), ``e`` (an integer, or the end
    of a list or a dictionary), ``l`` and ``d`` (their start); the bytes inside strings, such as
    the pieces, only make the bound looser (by 4 in 256 for random bytes).
    """
    return sum(data.count(byte) for byte in (b":", b"e", b"l", b"d"))


def parse_torrent(data: bytes, *, list_files: bool = True) -> TorrentInfo:
    """Info-hash, name, files and trackers of a (v1 or hybrid) .torrent file.

    ``list_files=False`` steps over the file list (``files`` is then empty): what a cache query
    or a magnet needs, at the cost of a walk over the bytes.
    """
    if len(data) > MAX_TORRENT_BYTES:
        raise TorrentError("file too large to be a .torrent")
    if data[:1] != b"d":
        _skip(data, 0)  # a malformed value says why; a well-formed one is no dictionary
        raise TorrentError("a torrent is a dictionary")
    info: Optional[_Info] = None
    announce: Union[bytes, int, None] = None
    tiers: dict[str, None] = {}
    index = 1
    while True:
        key, index = _key(data, index)
        if key is None:
            break
        if key == b"info":
            if data[index : index + 1] == b"d":
                info = _read_info(data, index, list_files)
                index = info.end
            else:
                info, index = None, _skip(data, index)
        elif key == b"announce":
            announce, index = _scalar(data, index)
        elif key == b"announce-list":
            tiers.clear()
            index = _trackers(data, index, tiers)
        else:
            index = _skip(data, index)
    if index != len(data):
        raise TorrentError("trailing data after the torrent")
    if info is None:
        raise TorrentError("no info dictionary")
    raw_info = memoryview(data)[info.start : info.end]
    info_hash = hashlib.sha1(raw_info).hexdigest()  # noqa: S324 - BitTorrent's v1 hash
    name = _safe_part(_text(info.name_utf8 if info.name_utf8 is not None else info.name))
    files: list[TorrentFile] = []
    if info.has_files:
        files = _files(name, info.entries or [])
    elif not isinstance(info.length, int):
        raise TorrentError("neither files nor length in the info dictionary")
    elif list_files:
        files.append(TorrentFile(name, info.length))
    trackers: dict[str, None] = {}
    if isinstance(announce, bytes):
        trackers[_text(announce)] = None
    for tracker in tiers:
        if len(trackers) >= MAX_TRACKERS:
            break
        trackers.setdefault(tracker)
    return TorrentInfo(info_hash, name, tuple(files), tuple(trackers))
