"""Cloud-only mode in a real pyLoad, with links that must not derail it (issue 14, item 6).

A ``file://`` link with ``%00`` stopped the rest of its batch with a bare ``ValueError``; and
after sending, the addon deleted any parseable .torrent in pyLoad's temp folder, not only the
``tmp_`` copies pyLoad's TORRENT container writes. One pyLoad and one simulator serve the module.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyload")

from offcloud_api.harness.stack import OffcloudPyloadStack
from offcloud_api.magnet import build_magnet
from offcloud_api.torrent import bencode

from .conftest import StackSpec

pytestmark = pytest.mark.e2e

DEFAULT_SCENARIO = (
    Path(__file__).parents[2] / "offcloud_api" / "simulator" / "default_scenario.json"
)
HOOK = "OffcloudComHook"
MAGNET_HASH = hashlib.sha1(b"cloud-only-after-a-bad-link").hexdigest()  # noqa: S324 - made up
MAGNET = build_magnet(MAGNET_HASH, "Cloud.After.Bad")
MINE_INFO = {"name": "Cloud.Mine", "length": 4096, "piece length": 16384, "pieces": b"\2" * 20}
MINE_HASH = hashlib.sha1(bencode(MINE_INFO)).hexdigest()  # noqa: S324 - BitTorrent v1


def _scenario() -> dict[str, Any]:
    scenario = json.loads(DEFAULT_SCENARIO.read_text(encoding="utf-8"))
    for info_hash, name in [(MAGNET_HASH, "Cloud.After.Bad"), (MINE_HASH, "Cloud.Mine")]:
        scenario["torrents"].append(
            {
                "info_hash": info_hash,
                "name": name,
                "duration": 30,
                "files": [{"path": f"{name}/video.mkv", "size": "1 MiB"}],
            }
        )
    return scenario


STACK = StackSpec("cloud-only", _scenario, options=[(HOOK, "cloud_only", True)])


def _submitted(stack: OffcloudPyloadStack, info_hash: str) -> list[Any]:
    return [
        call
        for call in stack.simulator.calls
        if call.kind == "api"
        and call.method == "POST"
        and call.path == "/api/cloud"
        and info_hash in (call.body_summary or "")
    ]


def _held(stack: OffcloudPyloadStack, name: str) -> list[str]:
    """The links cloud-only mode gave back to the link collector for package ``name``."""
    held = [p for p in stack.process.collector() if p["name"] == f"{name} (not sent)"]
    return [link["url"] for package in held for link in package["links"]]


def test_a_link_with_a_nul_byte_does_not_stop_the_batch(stack: OffcloudPyloadStack) -> None:
    pl = stack.process
    bad = (pl.tempdir / "evil.torrent").as_uri().replace("evil", "evil%00", 1)
    pl.add_package("Cloud.Bad", [bad, MAGNET])
    pl.wait_until(lambda pl: _submitted(stack, MAGNET_HASH), timeout=20, interval=0.5)
    pl.wait_until(lambda pl: _held(stack, "Cloud.Bad"), timeout=10, interval=0.5)
    assert _held(stack, "Cloud.Bad") == [bad]
    log = pl.log_text()
    assert "Cloud.After.Bad sent to your Offcloud cloud as job" in log
    assert "not a readable .torrent in pyLoad's temp folder" in log
    assert "sending to Offcloud stopped" not in log
    assert "Traceback" not in log


def test_a_torrent_of_the_users_own_in_the_temp_folder_is_sent_and_kept(
    stack: OffcloudPyloadStack,
) -> None:
    pl = stack.process
    mine = pl.tempdir / "Cloud.Mine.torrent"  # put there by the user, not by pyLoad
    mine.write_bytes(bencode({"info": MINE_INFO}))
    pl.add_package("Cloud.Mine", [mine.as_uri()])
    pl.wait_until(lambda pl: _submitted(stack, MINE_HASH), timeout=20, interval=0.5)
    pl.wait_until(
        lambda pl: "Cloud.Mine sent to your Offcloud cloud as job" in pl.log_text(),
        timeout=10,
        interval=0.5,
    )
    assert mine.read_bytes() == bencode({"info": MINE_INFO})
