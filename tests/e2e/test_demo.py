"""Command one, run as a user runs it: ``./run demo --once`` ends with every item verified."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pyload")

pytestmark = pytest.mark.e2e


def test_demo_once_downloads_every_item_with_the_right_sha256(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "offcloud_api.harness.demo",
            "--once",
            "--home",
            str(tmp_path / "demo"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    summary = out.split("\nSummary\n", 1)[1]
    rows = [line for line in summary.splitlines() if "sha256" in line]
    assert len(rows) == 5, summary
    assert all("sha256 ok" in row for row in rows), summary
    routes = {row[:22].strip(): row[22:].split()[0] for row in rows}
    # The simulator answers like Offcloud's 2026 API: no instant route (docs/api.md L4). One
    # magnet alone is added at once, unchecked: a cached one answers "downloaded" (L5), then one
    # explore and the clean-up's removal. cache/download (L19) serves magnets known cached, from
    # the cache check of several added together.
    assert routes == {
        "supported-host link": "cloud",
        "host link, 5 s job": "cloud",
        "cached magnet": "cloud",
        "cloud folder": "existing",
        "shared folder link": "cloud",
    }, summary
    calls = {row[:22].strip(): int(row.split()[-5]) for row in rows}
    # A hoster link: one add, its status polls, one explore; a cached magnet at most 3 (issue 11).
    assert 2 <= calls["supported-host link"] <= 12, summary
    assert calls["cached magnet"] <= 3, summary
    assert calls["cloud folder"] == 2, summary  # its status and one explore
    assert "pyLoad web interface: http://127.0.0.1:" in out
    # Every process the demo started is gone: its pyLoad pid file was removed on stop.
    assert not list((tmp_path / "demo").rglob("*.pid"))
