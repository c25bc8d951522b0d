"""Taking a refused answer's body out of pyLoad's partial download files."""

from __future__ import annotations

from pathlib import Path

import pytest

from offcloud_api.pyload import partial as partial_module
from offcloud_api.pyload.partial import HEAD_BYTES, drop_partial, note_partial, restore_partial

ERROR_BODY = b'{"error":"Temporary error"}'


def partial(folder: Path, *parts: bytes) -> Path:
    """A download of ``folder/file.bin`` with one chunk file per part, and its ``.chunks`` list."""
    target = folder / "file.bin"
    for index, data in enumerate(parts):
        (folder / f"file.bin.chunk{index}").write_bytes(data)
    (folder / "file.bin.chunks").write_text("size:300\n", encoding="utf-8")
    return target


def files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_notes_are_the_chunk_files_only(tmp_path: Path) -> None:
    target = partial(tmp_path, b"a" * 10, b"b" * 5)
    (tmp_path / "file.bin.chunkX").write_bytes(b"not a chunk")
    (tmp_path / "other.bin.chunk0").write_bytes(b"another download")
    notes = note_partial(target)
    assert {Path(path).name: note.size for path, note in notes.items()} == {
        "file.bin.chunk0": 10,
        "file.bin.chunk1": 5,
    }


def test_an_error_body_appended_on_a_resume_is_cut_off(tmp_path: Path) -> None:
    target = partial(tmp_path, b"a" * 10, b"b" * 5)
    notes = note_partial(target)
    with (tmp_path / "file.bin.chunk0").open("ab") as fp:
        fp.write(ERROR_BODY)
    with (tmp_path / "file.bin.chunk1").open("ab") as fp:
        fp.write(b"b" * 3)  # another connection got real data meanwhile: only progress is lost
    changed = restore_partial(target, notes)
    assert sorted(Path(path).name for path in changed) == ["file.bin.chunk0", "file.bin.chunk1"]
    assert files(tmp_path) == {
        "file.bin.chunk0": b"a" * 10,
        "file.bin.chunk1": b"b" * 5,
        "file.bin.chunks": b"size:300\n",
    }


def test_a_chunk_file_the_attempt_made_is_removed(tmp_path: Path) -> None:
    target = partial(tmp_path, b"a" * 10)
    notes = note_partial(target)
    (tmp_path / "file.bin.chunk1").write_bytes(ERROR_BODY)
    restore_partial(target, notes)
    assert sorted(files(tmp_path)) == ["file.bin.chunk0", "file.bin.chunks"]


def test_a_part_written_over_is_dropped_whole(tmp_path: Path) -> None:
    # pyLoad started the file afresh and the fresh answer was an error: the part is gone, and
    # resuming from the error body would put it at the start of the file.
    target = partial(tmp_path, b"a" * 100, b"b" * 100)
    notes = note_partial(target)
    (tmp_path / "file.bin.chunk0").write_bytes(ERROR_BODY)
    restore_partial(target, notes)
    assert files(tmp_path) == {}


def test_a_part_written_over_with_a_longer_body_is_noticed_too(tmp_path: Path) -> None:
    target = partial(tmp_path, b"a" * 10)
    notes = note_partial(target)
    (tmp_path / "file.bin.chunk0").write_bytes(b"<html>" + b"x" * HEAD_BYTES)
    restore_partial(target, notes)
    assert files(tmp_path) == {}


def test_without_a_part_before_everything_the_attempt_wrote_goes(tmp_path: Path) -> None:
    target = tmp_path / "file.bin"
    notes = note_partial(target)
    assert notes == {}
    (tmp_path / "file.bin.chunk0").write_bytes(ERROR_BODY)
    (tmp_path / "file.bin.chunks").write_text("size:27\n", encoding="utf-8")
    restore_partial(target, notes)
    assert files(tmp_path) == {}


def test_an_untouched_part_stays_as_it_is(tmp_path: Path) -> None:
    target = partial(tmp_path, b"a" * 10, b"b" * 5)
    notes = note_partial(target)
    assert restore_partial(target, notes) == []
    assert files(tmp_path)["file.bin.chunk0"] == b"a" * 10


def test_a_missing_folder_is_no_error(tmp_path: Path) -> None:
    target = tmp_path / "gone" / "file.bin"
    assert note_partial(target) == {}
    assert restore_partial(target, {}) == []


def test_a_download_that_starts_over_drops_the_old_part_first(tmp_path: Path) -> None:
    # pyLoad starting over with one connection writes chunk0 only; chunk1 and chunk2 of the
    # old part would stay in the download folder for good.
    target = partial(tmp_path, b"a" * 10, b"b" * 5, b"c" * 5)
    (tmp_path / "file.bin").write_bytes(b"an earlier, finished file of the same name")
    removed = drop_partial(target)
    assert len(removed) == 4
    assert files(tmp_path) == {"file.bin": b"an earlier, finished file of the same name"}
    assert drop_partial(target) == []


def test_a_chunk_list_that_cannot_be_removed_is_left_and_not_reported(tmp_path: Path) -> None:
    target = tmp_path / "file.bin"
    (tmp_path / "file.bin.chunk0").write_bytes(b"a" * 10)
    (tmp_path / "file.bin.chunks").mkdir()  # not a file: unlink fails with IsADirectoryError
    assert drop_partial(target) == [str(tmp_path / "file.bin.chunk0")]
    assert (tmp_path / "file.bin.chunks").is_dir()


def test_a_chunk_file_that_cannot_be_cut_back_is_not_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = partial(tmp_path, b"a" * 10)
    notes = note_partial(target)
    with (tmp_path / "file.bin.chunk0").open("ab") as grown:
        grown.write(ERROR_BODY)

    def refuse(path: object, size: int) -> None:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(partial_module.os, "truncate", refuse)
    assert restore_partial(target, notes) == []
    assert files(tmp_path)["file.bin.chunk0"] == b"a" * 10 + ERROR_BODY


def test_a_chunk_file_that_cannot_be_read_is_not_noted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = partial(tmp_path, b"a" * 10, b"b" * 5)
    real_open = Path.open

    def refuse_first(self: Path, *args: object, **kwargs: object) -> object:
        if self.name == "file.bin.chunk0":
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", refuse_first)
    assert [Path(path).name for path in note_partial(target)] == ["file.bin.chunk1"]
