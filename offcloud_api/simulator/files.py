"""Deterministic file content, generated on the fly so multi-gigabyte files need no disk.

A file is ``(seed, size)``. Its bytes are 1 MiB blocks; block ``i`` is a fixed 1 MiB buffer drawn
from the seed (SHAKE-256), rotated by an offset drawn from ``sha256(seed, i)``. So every block
differs (a downloader that puts chunks in the wrong order gets a different sha256), yet serving
is only slicing one cached buffer: no hashing per byte, and the server writes straight from
``memoryview`` slices.

:func:`content_bytes` and :func:`expected_sha256` give tests the expected content.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional, Union

__all__ = [
    "BLOCK_SIZE",
    "FileSpec",
    "content_bytes",
    "expected_sha256",
    "file_sha256",
    "iter_content",
]

#: Size of one content block; also the largest slice the server writes at once.
BLOCK_SIZE = 1 << 20


@dataclass(frozen=True)
class FileSpec:
    """A simulated file. ``path`` is relative, with its folders (``Release/Sub/ep1.mkv``)."""

    path: str
    size: int
    seed: str

    @property
    def name(self) -> str:
        """The last part of ``path``."""
        return self.path.rpartition("/")[2]

    @property
    def folders(self) -> list[str]:
        """The folders of ``path``, outermost first."""
        return self.path.split("/")[:-1]


@lru_cache(maxsize=16)
def _base_block(seed: str) -> bytes:
    return hashlib.shake_256(b"offcloud-simulator\x00" + seed.encode("utf-8")).digest(BLOCK_SIZE)


def _rotation(seed: str, index: int) -> int:
    digest = hashlib.sha256(f"{seed}\x00{index}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % BLOCK_SIZE


def iter_content(
    seed: str, size: int, start: int = 0, end: Optional[int] = None
) -> Iterator[memoryview]:
    """Bytes ``start`` (inclusive) to ``end`` (exclusive, default ``size``) of a file, in slices.

    Slices are views of a cached buffer: consume (write or hash) each before asking for the next
    is not required, but do not modify them.
    """
    stop = size if end is None else min(end, size)
    base = memoryview(_base_block(seed))
    position = max(start, 0)
    while position < stop:
        index, offset = divmod(position, BLOCK_SIZE)
        rotation = _rotation(seed, index)
        block_stop = min(stop - index * BLOCK_SIZE, BLOCK_SIZE)
        # Byte k of block ``index`` is base[(rotation + k) % BLOCK_SIZE]: at most two slices.
        while offset < block_stop:
            source = (rotation + offset) % BLOCK_SIZE
            length = min(block_stop - offset, BLOCK_SIZE - source)
            yield base[source : source + length]
            offset += length
        position = index * BLOCK_SIZE + block_stop


def content_bytes(seed: str, size: int, start: int = 0, end: Optional[int] = None) -> bytes:
    """The bytes of a file (or of the range ``start`` to ``end``) as one ``bytes`` object."""
    return b"".join(iter_content(seed, size, start, end))


def expected_sha256(file: Union[FileSpec, str], size: Optional[int] = None) -> str:
    """Hex sha256 of a whole file: pass a :class:`FileSpec`, or a seed and a size."""
    if isinstance(file, FileSpec):
        seed, total = file.seed, file.size
    else:
        if size is None:
            raise ValueError("expected_sha256(seed, size) needs the size")
        seed, total = file, size
    digest = hashlib.sha256()
    for piece in iter_content(seed, total):
        digest.update(piece)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file on disk, read in blocks: compare it with :func:`expected_sha256`."""
    digest = hashlib.sha256()
    with path.open("rb") as fp:
        for block in iter(lambda: fp.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
