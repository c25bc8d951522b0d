"""Which files of a cloud job the filter options keep (include, exclude, sizes, video only)."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Callable

from ..models import CloudFile
from ..units import format_size, parse_size

#: The plugin options :meth:`FileFilter.from_config` reads.
FILTER_OPTIONS = ("include", "exclude", "min_size", "largest_only", "video_only")


#: What ``video_only`` keeps, by extension (docs/configuration.md).
VIDEO_EXTENSIONS = frozenset(
    {
        "3gp", "avi", "divx", "flv", "m2ts", "m4v", "mkv", "mov", "mp4", "mpeg", "mpg", "mts",
        "ogv", "rm", "rmvb", "ts", "vob", "webm", "wmv",
    }
)  # fmt: skip


@dataclass(frozen=True)
class FileFilter:
    """Which files of a job are downloaded: globs, then kind and size.

    ``include`` and ``exclude`` globs (comma- or semicolon-separated, case-insensitive): a glob
    without ``/`` is matched against the file name, one with ``/`` against the file's path inside
    the job (``Release/Sample/*``; ``*`` also crosses ``/``). No ``include`` globs means every
    file; ``exclude`` then removes files. Then ``video_only`` keeps video files
    (:data:`VIDEO_EXTENSIONS`), ``min_size`` (bytes, 0 = off) drops smaller files and
    ``largest_only`` keeps the one largest file. A file whose size Offcloud did not give is kept
    by the size rules (Offcloud's bare explore list has no sizes), and ``largest_only`` then keeps
    every file, since none can be told apart.
    """

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    min_size: int = 0
    largest_only: bool = False
    video_only: bool = False

    @classmethod
    def parse(cls, include: Any, exclude: Any) -> FileFilter:
        return cls(_globs(include), _globs(exclude))

    @classmethod
    def from_config(cls, get: Callable[..., Any]) -> FileFilter:
        """From a plugin's options (``self.config.get``); ValueError names a bad ``min_size``."""
        text = str(get("min_size", "") or "").strip()
        try:
            min_size = parse_size(text) if text else 0
        except ValueError as exc:
            raise ValueError(f"The option min_size: {exc}") from None
        return cls(
            _globs(get("include", "")),
            _globs(get("exclude", "")),
            min_size=min_size,
            largest_only=bool(get("largest_only", False)),
            video_only=bool(get("video_only", False)),
        )

    def accepts(self, file: CloudFile) -> bool:
        """Whether the globs, the kind and the minimum size keep ``file`` (not ``largest_only``)."""
        if self.include and not any(_matches(file, glob) for glob in self.include):
            return False
        if any(_matches(file, glob) for glob in self.exclude):
            return False
        if self.video_only and _extension(file.name) not in VIDEO_EXTENSIONS:
            return False
        return not (self.min_size and file.size is not None and file.size < self.min_size)

    def select(self, files: Iterable[CloudFile]) -> list[CloudFile]:
        kept = [file for file in files if self.accepts(file)]
        if self.largest_only and kept and all(file.size is not None for file in kept):
            return [max(kept, key=lambda file: file.size or 0)]
        return kept

    def describe(self) -> str:
        parts = []
        if self.include:
            parts.append("include " + ", ".join(self.include))
        if self.exclude:
            parts.append("exclude " + ", ".join(self.exclude))
        if self.video_only:
            parts.append("video files only")
        if self.min_size:
            parts.append(f"at least {format_size(self.min_size)}")
        if self.largest_only:
            parts.append("the largest file only")
        return "; ".join(parts) or "no filters"


def _extension(name: str) -> str:
    return name.rpartition(".")[2].lower() if "." in name else ""


def _globs(value: Any) -> tuple[str, ...]:
    text = str(value or "")
    return tuple(glob.strip().lower() for glob in re.split(r"[,;]", text) if glob.strip())


def _matches(file: CloudFile, glob: str) -> bool:
    subject = file.path if "/" in glob else file.name
    return fnmatch.fnmatchcase(subject.lower(), glob)


class NothingSelectedError(ValueError):
    """The filters left no file; the message is for the user."""
