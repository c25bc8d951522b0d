"""Selection by size and kind in a real pyLoad (issue 13, item 4): which files of a torrent come.

A cached torrent of five files: two episodes, a sample, a cover image and an .nfo. The torrent
decrypter's ``video_only``, ``min_size`` and ``largest_only`` decide which of them are queued;
the sizes come from Offcloud's detailed file list (docs/api.md L10).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyload")

from offcloud_api.harness.runner import FINAL_STATUSES, LinkStatus
from offcloud_api.harness.stack import OffcloudPyloadStack
from offcloud_api.magnet import build_magnet
from offcloud_api.simulator import expected_sha256, file_sha256

from .conftest import StackSpec

pytestmark = pytest.mark.e2e

DEFAULT_SCENARIO = (
    Path(__file__).parents[2] / "offcloud_api" / "simulator" / "default_scenario.json"
)
DECRYPTER = "OffcloudComTorrent"
SEASON = "5e1ec7105e1ec7105e1ec7105e1ec7105e1ec710"
FILES = [
    {"path": "Show.S01/Show.S01E01.mkv", "size": "3 MiB"},
    {"path": "Show.S01/Show.S01E02.mp4", "size": "4 MiB"},
    {"path": "Show.S01/Sample/sample.mkv", "size": "200 KiB"},
    {"path": "Show.S01/cover.jpg", "size": "1 MiB"},
    {"path": "Show.S01/Show.nfo", "size": "2 KiB"},
]


def _scenario() -> dict[str, Any]:
    scenario = json.loads(DEFAULT_SCENARIO.read_text(encoding="utf-8"))
    scenario["torrents"].append(
        {"info_hash": SEASON, "name": "Show.S01", "cached": True, "files": FILES}
    )
    return scenario


STACK = StackSpec("selection", _scenario)


def _queued_after(stack: OffcloudPyloadStack, options: dict[str, Any]) -> dict[str, Any]:
    """The files the season's magnet gives with ``options``, once all are downloaded."""
    for option, value in options.items():
        stack.process.set_config_value(DECRYPTER, option, value, plugin=True)
    try:
        stack.process.delete_packages([p["pid"] for p in stack.process.queue()])
        stack.process.add_package("season", [build_magnet(SEASON, "Show.S01")])

        def settled(pl: Any) -> bool:
            files = pl.files()
            return bool(files) and all(
                f["status"] in FINAL_STATUSES and f["package_name"] != "season" for f in files
            )

        stack.process.wait_until(settled, timeout=60)
        return {f["name"]: f for f in stack.process.files()}
    finally:
        for option in options:
            default: Any = "" if option == "min_size" else False
            stack.process.set_config_value(DECRYPTER, option, default, plugin=True)


def _check_sha(stack: OffcloudPyloadStack, files: dict[str, Any]) -> None:
    torrent = stack.simulator.state.torrent(SEASON)
    specs = {spec.name: spec for spec in torrent.files}
    for name, link in files.items():
        assert link["status"] == LinkStatus.FINISHED, link
        path = stack.process.storagedir / link["package_folder"] / name
        assert file_sha256(path) == expected_sha256(specs[name]), name
        path.unlink()  # the next case downloads some of the same names again


def test_largest_only_queues_the_one_largest_file(stack: OffcloudPyloadStack) -> None:
    files = _queued_after(stack, {"largest_only": True})
    assert set(files) == {"Show.S01E02.mp4"}
    _check_sha(stack, files)


def test_video_only_and_a_minimum_size_leave_the_episodes(stack: OffcloudPyloadStack) -> None:
    files = _queued_after(stack, {"video_only": True, "min_size": "1 MB"})
    assert set(files) == {"Show.S01E01.mkv", "Show.S01E02.mp4"}  # no sample, cover or .nfo
    _check_sha(stack, files)


def test_a_bad_minimum_size_fails_the_link_saying_why(stack: OffcloudPyloadStack) -> None:
    stack.process.set_config_value(DECRYPTER, "min_size", "lots", plugin=True)
    try:
        stack.process.delete_packages([p["pid"] for p in stack.process.queue()])
        stack.process.add_package("bad", [build_magnet(SEASON, "Show.S01")])
        stack.process.wait_until(
            lambda pl: any(f["status"] in FINAL_STATUSES for f in pl.files()), timeout=60
        )
        (link,) = stack.process.files()
        assert link["status"] == LinkStatus.FAILED, link
        assert "min_size" in link["error"]
        assert "is not a size" in link["error"]
    finally:
        stack.process.set_config_value(DECRYPTER, "min_size", "", plugin=True)
