"""Archives Offcloud hands over whole, and matching an expired file link to a fresh explore."""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import Enum
from typing import Any, Optional
from urllib.parse import unquote, urlsplit

from ..models import CloudFile
from .links import parse_file_url


class ArchiveMode(str, Enum):
    """The downloader's ``archives`` option."""

    KEEP = "keep"  # download the archive as one file (where Offcloud hands it over as such)
    EXPAND = "expand"  # let Offcloud unpack it and download its files

    @classmethod
    def parse(cls, value: Any) -> ArchiveMode:
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            return cls.KEEP


_ARCHIVE_NAME = re.compile(r"\.(?:zip|rar|7z|tar|tgz|tbz2?|txz|tar\.(?:gz|bz2|xz|zst))$", re.I)


def is_archive_name(name: Optional[str]) -> bool:
    """Whether a file name is an archive Offcloud unpacks in a cloud job (by its extension)."""
    return bool(name) and _ARCHIVE_NAME.search(name or "") is not None


def expanded_name(name: str) -> str:
    """The package name for a job's files: an archive's name without its extension."""
    stem = _ARCHIVE_NAME.sub("", name)
    return stem or name


def match_refreshed_file(
    old_url: str,
    files: Sequence[CloudFile],
    *,
    path: Optional[str] = None,
    request_id: Optional[str] = None,
) -> Optional[CloudFile]:
    """The file of a fresh explore that an expired Offcloud file link pointed to.

    By the file's path in the job where it was noted (``path``; a 2026 CDN link carries no job
    and a fresh signature, docs/api.md L11), else by a legacy URL's part after the
    request id (``2/ep2.mkv``), else by the file name when only one file has it.
    """
    old = parse_file_url(old_url)
    if old is None:
        return None
    if path:
        by_path = [file for file in files if file.path == path]
        if len(by_path) == 1:
            return by_path[0]
    job = old.request_id or request_id
    old_tail = _tail_after(old_url, job) if job else ""
    for file in files:
        if old_tail and job and _tail_after(file.url, job) == old_tail:
            return file
    named = [file for file in files if file.name == old.name]
    return named[0] if len(named) == 1 else None


def _tail_after(url: str, request_id: str) -> str:
    path = unquote(urlsplit(url).path)
    marker = f"/cloud/download/{request_id}/"
    return path.partition(marker)[2] if marker in path else ""
