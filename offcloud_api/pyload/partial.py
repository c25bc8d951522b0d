"""What an error answer leaves in a partial download, and taking it out again.

pyLoad downloads into ``<file>.chunk0``, ``<file>.chunk1`` … and a ``<file>.chunks`` list of
their ranges. It writes whatever body a file server sends into the chunk file, the body of an
error answer (a 503's ``{"error":"Temporary error"}``, an HTML page) included: appended to the
part already there on a resume, or over it when the attempt started the file afresh. A later
resume would keep those bytes inside the file. So the downloader notes the chunk files before an
attempt (:func:`note_partial`) and, when the file server refused the attempt, puts them back
(:func:`restore_partial`). A download that starts over drops the old part first
(:func:`drop_partial`): pyLoad would leave its other chunk files behind.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

__all__ = ["ChunkNote", "drop_partial", "note_partial", "restore_partial"]

log = logging.getLogger(__name__)

#: Bytes of each chunk file's start kept, to notice a file that was written afresh.
HEAD_BYTES = 4096

PathLike = Union[str, bytes, "os.PathLike[str]"]


@dataclass(frozen=True)
class ChunkNote:
    size: int
    head: bytes


def _target(filename: PathLike) -> Path:
    return Path(os.fsdecode(filename))


def _chunk_files(target: Path) -> list[Path]:
    prefix = target.name + ".chunk"
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return []
    return sorted(
        path
        for path in entries
        if path.name.startswith(prefix) and path.name[len(prefix) :].isdigit() and path.is_file()
    )


def _note(path: Path) -> Optional[ChunkNote]:
    try:
        size = path.stat().st_size
        with path.open("rb") as fp:
            return ChunkNote(size, fp.read(min(size, HEAD_BYTES)))
    except OSError:
        return None


def _unchanged_start(path: Path, note: ChunkNote) -> bool:
    """Whether ``path`` still starts with the noted part (appended to at most)."""
    current = _note(path)
    return (
        current is not None
        and current.size >= note.size
        and current.head[: len(note.head)] == note.head
    )


def _remove(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        log.debug("could not remove %s: %s", path, exc)
        return False
    return True


def _cut(path: Path, size: int) -> bool:
    try:
        if path.stat().st_size <= size:
            return False
        os.truncate(path, size)
    except OSError as exc:
        log.debug("could not cut %s back: %s", path, exc)
        return False
    return True


def note_partial(filename: PathLike) -> dict[str, ChunkNote]:
    """The chunk files of the download to ``filename``: size and first bytes of each."""
    notes: dict[str, ChunkNote] = {}
    for path in _chunk_files(_target(filename)):
        note = _note(path)
        if note is not None:
            notes[str(path)] = note
    return notes


def drop_partial(filename: PathLike) -> list[str]:
    """Remove the partial download of ``filename`` (chunk files and their list); the removed."""
    target = _target(filename)
    gone = [*_chunk_files(target), target.with_name(target.name + ".chunks")]
    return [str(path) for path in gone if _remove(path)]


def restore_partial(filename: PathLike, notes: Mapping[str, ChunkNote]) -> list[str]:
    """Take out what a refused attempt wrote into the partial download of ``filename``.

    ``notes`` is :func:`note_partial` from before the attempt. Chunk files that grew are cut back
    to their noted size and chunk files the attempt made are removed. If there was no part
    before, or a noted file was written afresh (shorter, or its start changed), the noted part is
    gone: every chunk file and the ``.chunks`` list are removed, so the next attempt starts from
    the beginning. Returns the files changed or removed.
    """
    target = _target(filename)
    current = _chunk_files(target)
    kept = {str(path): note for path, note in notes.items()}
    intact = bool(kept) and all(
        _unchanged_start(path, kept[str(path)]) for path in current if str(path) in kept
    )
    if not intact:
        return drop_partial(filename)
    changed = []
    for path in current:
        note = kept.get(str(path))
        if _remove(path) if note is None else _cut(path, note.size):
            changed.append(str(path))
    return changed
