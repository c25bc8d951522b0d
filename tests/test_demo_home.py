"""``./run demo --home DIR`` empties only a home it made itself (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest

from offcloud_api.harness.demo import HOME_MARKER, DemoHomeError, main, prepare_home


def test_a_new_or_empty_folder_becomes_the_home(tmp_path: Path) -> None:
    fresh = prepare_home(tmp_path / "new")
    assert (fresh / HOME_MARKER).is_file()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert prepare_home(empty) == empty.resolve()
    assert [p.name for p in empty.iterdir()] == [HOME_MARKER]


def test_a_home_the_demo_made_is_emptied_for_the_next_run(tmp_path: Path) -> None:
    home = prepare_home(tmp_path / "demo")
    (home / "pyload").mkdir()
    (home / "pyload" / "leftover.log").write_text("old run", encoding="utf-8")
    again = prepare_home(home)
    assert sorted(p.name for p in again.iterdir()) == [HOME_MARKER]


def test_a_folder_the_demo_did_not_make_is_refused_and_left_alone(tmp_path: Path) -> None:
    mine = tmp_path / "documents"
    mine.mkdir()
    (mine / "thesis.tex").write_text("precious", encoding="utf-8")
    with pytest.raises(DemoHomeError, match="was not made by the demo"):
        prepare_home(mine)
    assert (mine / "thesis.tex").read_text(encoding="utf-8") == "precious"
    assert not (mine / HOME_MARKER).exists()


def test_a_symlink_or_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    (target / HOME_MARKER).write_text("", encoding="utf-8")  # even a marked one behind a link
    link = tmp_path / "link"
    link.symlink_to(target, target_is_directory=True)
    with pytest.raises(DemoHomeError, match="symbolic link"):
        prepare_home(link)
    assert (target / HOME_MARKER).exists()
    plain = tmp_path / "file"
    plain.write_text("x", encoding="utf-8")
    with pytest.raises(DemoHomeError, match="not a folder"):
        prepare_home(plain)


def test_the_demo_command_says_why_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "keep.txt").write_text("x", encoding="utf-8")
    with pytest.raises(SystemExit) as stopped:
        main(["--once", "--home", str(tmp_path)])
    assert stopped.value.code == 2
    assert "was not made by the demo" in capsys.readouterr().err
    assert (tmp_path / "keep.txt").exists()
