"""Fetching finished files from Offcloud's download servers, with resume and progress.

A file is written to ``<name>.part`` and renamed once complete, so a name without ``.part`` is
always a whole file. A ``.part`` left by an interrupted run is continued with a ``Range`` request;
a server that will not resume it gets a fresh download from byte zero.

Download servers never get the API key: the requests carry no ``Authorization`` header. Logs and
errors show a link without its query and, for a 2026 CDN link, without its signed part (§00 L11).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, Callable, Optional

import requests

from .exceptions import (
    HTTPError,
    OffcloudConnectionError,
    OffcloudError,
    TemporaryError,
    error_from_response,
)
from .redact import mask_file_links, redact_mapping, strip_query
from .retry import parse_retry_after

__all__ = [
    "CHUNK_SIZE",
    "DOWNLOAD_TIMEOUT",
    "PART_SUFFIX",
    "IncompleteDownloadError",
    "ProgressCallback",
    "UnsafePathError",
    "destination_for",
    "download_file",
    "part_path",
]

log = logging.getLogger(__name__)

CHUNK_SIZE = 1024 * 1024
#: (connect, read) seconds; the read timeout is per chunk, not for the whole file.
DOWNLOAD_TIMEOUT: tuple[float, float] = (10.0, 60.0)
PART_SUFFIX = ".part"
#: The most of an error body read to classify it; error pages are small.
_ERROR_BODY_LIMIT = 64 * 1024

#: Called with (bytes on disk, total size if known) after each chunk.
ProgressCallback = Callable[[int, Optional[int]], None]


class UnsafePathError(OffcloudError):
    """A file's path would land outside the target folder (``..``, absolute, a drive)."""


class IncompleteDownloadError(TemporaryError):
    """The server sent less than the whole file; the ``.part`` is kept to resume from."""


def part_path(dest: Path) -> Path:
    """Where ``dest`` is written until it is complete."""
    return dest.with_name(dest.name + PART_SUFFIX)


def destination_for(root: Path, relative: str) -> Path:
    """``root`` joined with Offcloud's relative ``path`` of a file, refusing any escape from it."""
    posix = relative.replace("\\", "/")
    if (
        not posix.strip("/ ")
        or "\x00" in posix
        or PurePosixPath(posix).is_absolute()
        or PureWindowsPath(relative).drive
    ):
        raise UnsafePathError(f"refusing to write the file path {relative!r}: it is not relative")
    parts = [part for part in posix.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise UnsafePathError(f"refusing to write the file path {relative!r}: it leaves the folder")
    return root.joinpath(*parts)


def download_file(
    session: requests.Session,
    url: str,
    dest: Path,
    *,
    expected_size: Optional[int] = None,
    progress: Optional[ProgressCallback] = None,
    chunk_size: int = CHUNK_SIZE,
    timeout: tuple[float, float] = DOWNLOAD_TIMEOUT,
) -> Path:
    """Download ``url`` to ``dest``, resuming ``dest.part`` if one is there; return ``dest``.

    A ``dest`` that already has ``expected_size`` bytes is taken as done. Raises
    :class:`IncompleteDownloadError` when fewer than ``expected_size`` bytes arrived,
    :class:`~offcloud_api.exceptions.OffcloudConnectionError` when the connection failed (the
    ``.part`` stays for the next try) and the library's usual classes for error answers.
    """
    if expected_size is not None and dest.is_file() and dest.stat().st_size == expected_size:
        log.debug("%s is complete already", dest)
        if progress is not None:
            progress(expected_size, expected_size)
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = part_path(dest)
    offset = part.stat().st_size if part.is_file() else 0
    if expected_size is not None and offset > expected_size:
        offset = 0  # more than the whole file: not a prefix of it
    fetch_options: dict[str, Any] = {
        "expected_size": expected_size,
        "progress": progress,
        "chunk_size": chunk_size,
        "timeout": timeout,
    }
    if not _fetch(session, url, part, offset, **fetch_options):
        log.debug("cannot resume %s at byte %d; starting again", part, offset)
        _fetch(session, url, part, 0, **fetch_options)

    size = part.stat().st_size
    if expected_size is not None and size < expected_size:
        raise IncompleteDownloadError(
            f"{dest.name}: got {size} of {expected_size} bytes; run again to resume",
            method="GET",
            path=_where(url),
        )
    if expected_size is not None and size > expected_size:
        log.warning("%s has %d bytes, Offcloud listed %d", dest.name, size, expected_size)
    part.replace(dest)
    return dest


def _fetch(
    session: requests.Session,
    url: str,
    part: Path,
    offset: int,
    *,
    expected_size: Optional[int],
    progress: Optional[ProgressCallback],
    chunk_size: int,
    timeout: tuple[float, float],
) -> bool:
    """Write the file into ``part`` from ``offset``; False if the part has to start over."""
    # identity: byte ranges of a compressed transfer would not be byte ranges of the file.
    headers = {"Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    log.debug("GET %s from byte %d", _where(url), offset)
    try:
        response = session.get(url, headers=headers, stream=True, timeout=timeout)
    except requests.RequestException as exc:
        raise _connection_error(url, exc) from exc
    with response:
        status = response.status_code
        if status == 416 and offset:
            # Nothing left to send: done only if the part is provably the whole file.
            return expected_size is not None and offset == expected_size
        if status == 206 and offset:
            if _range_start(response.headers.get("Content-Range")) not in (None, offset):
                return False
            mode, done = "ab", offset
        elif status in (200, 206):
            mode, done = "wb", 0
        else:
            raise _error_for(response, url)
        chunks = _body_chunks(response, url, chunk_size)
        length = _int_header(response.headers.get("Content-Length"))
        total = expected_size if expected_size is not None else _sum(done, length)
        try:
            with part.open(mode) as stream:
                for chunk in chunks:
                    stream.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(done, total)
        except requests.RequestException as exc:
            raise _connection_error(url, exc) from exc
    return True


def _body_chunks(response: requests.Response, url: str, chunk_size: int) -> Iterable[bytes]:
    """The body's chunks; a small JSON body is checked first for an Offcloud error."""
    content_type = response.headers.get("Content-Type", "").lower()
    length = _int_header(response.headers.get("Content-Length"))
    if "json" in content_type and length is not None and length <= _ERROR_BODY_LIMIT:
        # Offcloud answers some refusals ("not authorized to download this file") with 200 JSON.
        body = response.content
        error = _error_in(body, response, url)
        if error is not None:
            raise error
        return [body]
    return response.iter_content(chunk_size)


def _error_for(response: requests.Response, url: str) -> OffcloudError:
    try:
        body = next(response.iter_content(_ERROR_BODY_LIMIT), b"")
    except requests.RequestException:
        body = b""
    error = _error_in(body, response, url)
    if error is None:  # a 3xx that was not followed, or a 1xx: nothing to write
        return HTTPError(
            f"HTTP {response.status_code} from GET {_where(url)}",
            status=response.status_code,
            method="GET",
            path=_where(url),
        )
    return error


def _error_in(body: bytes, response: requests.Response, url: str) -> Optional[OffcloudError]:
    text = body.decode("utf-8", errors="replace").lstrip()
    payload: Any = None
    if text and not text.startswith("<"):
        try:
            payload = json.loads(text)
        except ValueError:
            payload = None
    if isinstance(payload, dict):
        payload = redact_mapping(payload)
    return error_from_response(
        status=response.status_code,
        payload=payload,
        method="GET",
        path=_where(url),
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
        html=text.startswith("<"),
    )


def _where(url: str) -> str:
    """``url`` as logs and errors show it: no query, and a CDN link's signed part masked."""
    return mask_file_links(strip_query(url))


def _connection_error(url: str, exc: requests.RequestException) -> OffcloudConnectionError:
    return OffcloudConnectionError(
        f"download from {_where(url)} failed: {type(exc).__name__}",
        method="GET",
        path=_where(url),
    )


def _range_start(content_range: Optional[str]) -> Optional[int]:
    """The first byte of ``Content-Range: bytes START-END/TOTAL``, if readable."""
    if not content_range:
        return None
    unit, _, spec = content_range.strip().partition(" ")
    start, _, _ = spec.partition("-")
    if unit.lower() != "bytes":
        return None
    return _int_header(start)


def _int_header(value: Optional[str]) -> Optional[int]:
    if value is None or not value.strip().isdigit():
        return None
    return int(value.strip())


def _sum(done: int, length: Optional[int]) -> Optional[int]:
    return None if length is None else done + length
