"""Fetching finished files from Offcloud's download servers, with resume and progress.

A file is written to ``<name>.part`` and renamed once complete, so a name without ``.part`` is
always a whole file. A ``.part`` left by an interrupted run is continued with a ``Range`` request;
a server that will not resume it gets a fresh download from byte zero.

Nothing that was not written here is replaced or deleted: an existing file (or a symlink) in the
way raises :class:`DestinationExistsError` unless ``overwrite`` asks for it, a ``.part`` that is
not a regular file is never opened, and the finished file is linked into place without replacing
one that appeared meanwhile. :func:`job_destinations` puts a job's files into a folder of its own
and refuses any path that would leave it, name no file, or land where another file of the job does.

Download servers never get the API key: the requests carry no ``Authorization`` header. Logs and
errors show a link without its query and, for a 2026 CDN link, without its signed part (§00 L11).
"""

from __future__ import annotations

import json
import logging
import os
import re
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import IO, Any, Callable, Optional

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
    "DestinationExistsError",
    "IncompleteDownloadError",
    "ProgressCallback",
    "UnsafePathError",
    "destination_for",
    "download_file",
    "is_complete",
    "job_destinations",
    "part_path",
    "relative_path",
    "safe_folder_name",
]

log = logging.getLogger(__name__)

CHUNK_SIZE = 1024 * 1024
#: (connect, read) seconds; the read timeout is per chunk, not for the whole file.
DOWNLOAD_TIMEOUT: tuple[float, float] = (10.0, 60.0)
PART_SUFFIX = ".part"
#: The most of an error body read to classify it; error pages are small.
_ERROR_BODY_LIMIT = 64 * 1024
#: Offcloud's error bodies nest a level or two; deeper JSON is read as no JSON at all (the
#: parser, the redaction and ``str()`` of an error would hit the recursion limit).
_MAX_JSON_DEPTH = 64
#: Control characters (C0, DEL, C1): replaced by ``_`` in the names written to disk.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")

#: Called with (bytes on disk, total size if known) after each chunk.
ProgressCallback = Callable[[int, Optional[int]], None]


class UnsafePathError(OffcloudError):
    """A file's path would land outside the target folder (``..``, absolute, a drive)."""


class DestinationExistsError(OffcloudError):
    """A file (or a symlink, a folder) is where a download would go; it is left as it is."""


class IncompleteDownloadError(TemporaryError):
    """The server sent less than the whole file; the ``.part`` is kept to resume from."""


def part_path(dest: Path) -> Path:
    """Where ``dest`` is written until it is complete."""
    return dest.with_name(dest.name + PART_SUFFIX)


def relative_path(path: str, name: str) -> str:
    """Offcloud's ``path`` of a file, or its ``name`` where that path names no file (``./``)."""
    return path if _parts_of(path) else name


def destination_for(root: Path, relative: str) -> Path:
    """``root`` joined with Offcloud's relative ``path`` of a file, refusing any escape from it.

    Refused (:class:`UnsafePathError`): absolute paths, drives, ``..``, NUL, and paths that name
    no file (empty, ``.``, ``./``). Other control characters in a name become ``_``.
    """
    return root.joinpath(*_safe_parts(relative))


def job_destinations(
    root: Path,
    paths: Sequence[str],
    *,
    job_name: Optional[str],
    fallback: str,
    own_folder: bool = True,
) -> list[Path]:
    """Where each of a job's files goes, checked before the first byte is written.

    With ``own_folder`` the job gets a folder of its own under ``root``: the one top folder its
    files share (``Release/a.mkv``, ``Release/b.srt``), else one named after the job (a single
    file too: ``movie.mkv/movie.mkv``), ``fallback`` (the request id) where the name is unusable.
    The folder is never hidden and never outside ``root``: ``.ssh`` becomes ``_ssh``. Raises
    :class:`UnsafePathError` for a path :func:`destination_for` refuses and for two files that
    would be written to one place (the same path, or one file's ``.part``).
    """
    parts_of_each = [_safe_parts(path) for path in paths]
    base = root
    if own_folder:
        tops = {parts[0] for parts in parts_of_each}
        if len(tops) == 1 and all(len(parts) > 1 for parts in parts_of_each):
            base = root / safe_folder_name(tops.pop(), fallback)
            parts_of_each = [parts[1:] for parts in parts_of_each]
        else:
            base = root / safe_folder_name(job_name or "", fallback)
    targets = [base.joinpath(*parts) for parts in parts_of_each]
    _refuse_collisions(paths, targets)
    return targets


def safe_folder_name(name: str, fallback: str) -> str:
    """``name`` as one folder name that is neither hidden nor special; ``fallback`` if unusable."""
    text = name.strip()
    if not text.strip("."):
        text = fallback.strip() if fallback.strip().strip(".") else "offcloud-job"
    text = _CONTROL.sub("_", text.replace("/", "_").replace("\\", "_"))
    if text.startswith("."):
        text = "_" + text.lstrip(".")
    return text


def _parts_of(relative: str) -> list[str]:
    parts = relative.replace("\\", "/").split("/")
    return [part for part in parts if part.strip() not in ("", ".")]


def _safe_parts(relative: str) -> list[str]:
    posix = relative.replace("\\", "/")
    if "\x00" in posix or PurePosixPath(posix).is_absolute() or PureWindowsPath(relative).drive:
        raise UnsafePathError(f"refusing to write the file path {relative!r}: it is not relative")
    parts = _parts_of(relative)
    if not parts:
        raise UnsafePathError(f"refusing to write the file path {relative!r}: it names no file")
    if ".." in parts:
        raise UnsafePathError(f"refusing to write the file path {relative!r}: it leaves the folder")
    return [_CONTROL.sub("_", part) for part in parts]


def _refuse_collisions(paths: Sequence[str], targets: Sequence[Path]) -> None:
    """Two files of one job must not be written to one place, nor one onto another's ``.part``."""
    owner: dict[Path, str] = {}
    for path, target in zip(paths, targets):
        if target in owner:
            raise UnsafePathError(
                f"refusing to write the file path {path!r}: {owner[target]!r} goes there too"
            )
        owner[target] = path
    for path, target in zip(paths, targets):
        other = owner.get(part_path(target))
        if other is not None:
            raise UnsafePathError(
                f"refusing to write the file path {other!r}: {path!r} is downloaded there first"
            )


def download_file(
    session: requests.Session,
    url: str,
    dest: Path,
    *,
    expected_size: Optional[int] = None,
    progress: Optional[ProgressCallback] = None,
    chunk_size: int = CHUNK_SIZE,
    timeout: tuple[float, float] = DOWNLOAD_TIMEOUT,
    overwrite: bool = False,
) -> Path:
    """Download ``url`` to ``dest``, resuming ``dest.part`` if one is there; return ``dest``.

    A ``dest`` that already has ``expected_size`` bytes is taken as done. Any other file (or
    symlink) at ``dest`` raises :class:`DestinationExistsError` before anything is fetched, and
    again at the end if one appeared meanwhile (the finished ``.part`` stays), unless
    ``overwrite``. A ``.part`` that is not a regular file is never written through. Raises
    :class:`UnsafePathError` for a ``dest`` without a file name (``.``),
    :class:`IncompleteDownloadError` when fewer than ``expected_size`` bytes arrived,
    :class:`~offcloud_api.exceptions.OffcloudConnectionError` when the connection failed (the
    ``.part`` stays for the next try) and the library's usual classes for error answers.
    """
    if dest.name in ("", ".", ".."):
        raise UnsafePathError(f"refusing to write to {str(dest)!r}: it names no file")
    if is_complete(dest, expected_size):
        log.debug("%s is complete already", dest)
        if progress is not None and expected_size is not None:
            progress(expected_size, expected_size)
        return dest
    if not overwrite and os.path.lexists(dest):
        raise DestinationExistsError(f"{dest} exists already; it was not replaced")
    part = part_path(dest)
    if os.path.lexists(part) and not _is_regular(part):
        raise DestinationExistsError(
            f"{part} is not a partial download (not a regular file); it was not touched"
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    offset = part.lstat().st_size if os.path.lexists(part) else 0
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
    _move_into_place(part, dest, overwrite=overwrite)
    return dest


def is_complete(dest: Path, expected_size: Optional[int]) -> bool:
    """Whether ``dest`` is a regular file (not a symlink) of exactly ``expected_size`` bytes."""
    if expected_size is None:
        return False
    try:
        info = dest.lstat()
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_size == expected_size


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def _move_into_place(part: Path, dest: Path, *, overwrite: bool) -> None:
    """Rename the finished ``part`` to ``dest``; without ``overwrite`` never replacing a file."""
    if overwrite:
        part.replace(dest)
        return
    exists = DestinationExistsError(
        f"{dest} appeared while it downloaded; it was not replaced (the download is in {part.name})"
    )
    try:
        os.link(part, dest)  # unlike a rename, fails if dest exists
    except FileExistsError:
        raise exists from None
    except OSError:  # a file system without hard links: check, then rename
        if os.path.lexists(dest):
            raise exists from None
        part.replace(dest)
    else:
        part.unlink()


def _open_part(part: Path, *, append: bool) -> IO[bytes]:
    """``part`` opened for writing, never through a symlink."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
    flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    return os.fdopen(os.open(part, flags, 0o666), "ab" if append else "wb")


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
            with _open_part(part, append=mode == "ab") as stream:
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
    payload = _json_or_none(text) if text and not text.startswith("<") else None
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


def _json_or_none(text: str) -> Any:
    """``text`` parsed, or None when it is not JSON or nests deeper than Offcloud's ever do."""
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested too deeply to parse
        return None
    pending: list[tuple[Any, int]] = [(payload, 0)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, (dict, list)):
            if depth >= _MAX_JSON_DEPTH:
                return None
            items = value.values() if isinstance(value, dict) else value
            pending.extend((item, depth + 1) for item in items)
    return payload


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
