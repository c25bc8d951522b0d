"""Nothing stops for a pyLoad restart or a dropped file connection (issue 19, item 3), in a real
pyLoad with our plugins against the simulator's ``live`` profile.

pyLoad marks every unfinished link "aborted" when it starts; the addon restarts exactly the
Offcloud links that were queued, waiting or downloading (offcloud_api.pyload.resume), after a
crash (SIGKILL) as after a clean stop, and leaves alone the link the user stopped. A file
connection that breaks mid-body is resumed with a ``Range`` (offcloud_api.pyload.drops).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyload")

from offcloud_api.harness.runner import LinkStatus, PyloadProcess
from offcloud_api.harness.stack import OffcloudPyloadStack
from offcloud_api.magnet import build_magnet
from offcloud_api.simulator import expected_sha256, file_sha256

from .conftest import StackSpec, cloud_adds, resume_notes

pytestmark = pytest.mark.e2e

DEFAULT_SCENARIO = (
    Path(__file__).parents[2] / "offcloud_api" / "simulator" / "default_scenario.json"
)
HOOK = "OffcloudComHook"
MIB = 1024 * 1024
#: Hoster links (cloud jobs); the first is the one the user stops. A host without a pyLoad plugin
#: of its own: pyLoad checks links of hosts with one (NitroflareCom…) against the host's site on
#: add, which the simulator does not serve, and such a link may stand "starting" for good.
STOPPED = "https://example-hoster.test/file/rststop/stopped-by-user.bin"
HOSTERS = [f"https://example-hoster.test/file/rst{i}/restart-{i}.bin" for i in range(3)]
#: A cached torrent: its files come as Offcloud file links (CDN) from the decrypter.
TORRENT_HASH = "5a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
TORRENT_FILES = [f"Restart.Pack/part-{i}.mkv" for i in range(3)]
DROP_LINK = "https://example-hoster.test/file/rstdrop/dropped-connection.bin"
#: Total speed while links must stay unfinished across the restarts (KiB/s).
SPEED_KIB = 512


def _scenario() -> dict[str, Any]:
    scenario = json.loads(DEFAULT_SCENARIO.read_text(encoding="utf-8"))

    def link(url: str, size: int) -> dict[str, Any]:
        name = url.rpartition("/")[2]
        return {"url": url, "file": {"name": name, "size": size}, "duration": 1}

    scenario["links"] += [link(STOPPED, 6 * MIB), *(link(url, 2 * MIB) for url in HOSTERS)]
    scenario["links"].append(link(DROP_LINK, 2 * MIB))
    scenario["torrents"].append(
        {
            "info_hash": TORRENT_HASH,
            "name": "Restart.Pack",
            "cached": True,
            "files": [{"path": path, "size": 2 * MIB} for path in TORRENT_FILES],
        }
    )
    return scenario


STACK = StackSpec("restart", _scenario)


def _specs(stack: OffcloudPyloadStack) -> dict[str, Any]:
    """File name → the simulator's file spec, for every file of this module."""
    scenario = stack.simulator.scenario
    specs = {link.files[0].name: link.files[0] for link in scenario.links if link.files}
    for torrent in scenario.torrents:
        if torrent.info_hash == TORRENT_HASH:
            specs.update({spec.name: spec for spec in torrent.files})
    return specs


def _intact(stack: OffcloudPyloadStack, name: str) -> bool:
    spec = _specs(stack)[name]
    found = [p for p in stack.process.storagedir.rglob(name) if p.is_file()]
    return len(found) == 1 and file_sha256(found[0]) == expected_sha256(spec)


def _log_file(pl: PyloadProcess) -> str:
    """pyLoad's own log (its console output repeats each line)."""
    return pl.log_path.read_text(encoding="utf-8", errors="replace")


def _by_name(pl: PyloadProcess) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in pl.files()}


def test_links_run_on_after_a_crash_and_a_clean_restart(stack: OffcloudPyloadStack) -> None:
    pl = stack.process
    # pyLoad's 3 download slots (changing max_downloads at run time can lose a link pyLoad is
    # handing to a thread it stops: it stays "starting")
    pl.set_config_value("download", "limit_speed", True)
    pl.set_config_value("download", "max_speed", SPEED_KIB)
    names = [url.rpartition("/")[2] for url in HOSTERS] + [
        p.rpartition("/")[2] for p in TORRENT_FILES
    ]
    stopped_name = STOPPED.rpartition("/")[2]
    pl.add_package("Restart", [STOPPED, *HOSTERS])
    pl.add_package("Restart.Pack", [build_magnet(TORRENT_HASH, "Restart.Pack")])

    # The user stops one link while it downloads.
    pl.wait_until(
        lambda pl: _by_name(pl).get(stopped_name, {}).get("status") == LinkStatus.DOWNLOADING,
        timeout=60,
        interval=0.3,
    )
    stopped_id = _by_name(pl)[stopped_name]["fid"]
    pl.stop_downloads([stopped_id])
    pl.wait_until(lambda pl: pl.file_data(stopped_id)["status"] == LinkStatus.ABORTED, timeout=30)

    def unfinished(pl: PyloadProcess) -> set[int]:
        files = _by_name(pl)
        return {
            files[name]["fid"]
            for name in names
            if name in files and files[name]["status"] != LinkStatus.FINISHED
        }

    # Every file link is queued and noted; some links run, others wait for a slot.
    def ready_to_crash(pl: PyloadProcess) -> bool:
        files = _by_name(pl)
        running = [f for f in files.values() if f["status"] == LinkStatus.DOWNLOADING]
        waiting = unfinished(pl)
        return (
            set(names) <= set(files)
            and bool(running)
            and len(waiting) >= 4
            and waiting <= resume_notes(pl)
            and stopped_id not in resume_notes(pl)
        )

    pl.wait_until(ready_to_crash, timeout=90, interval=0.5)
    before_crash = unfinished(pl)
    stack.restart_pyload(kill=True)
    assert pl.file_data(stopped_id)["status"] == LinkStatus.ABORTED

    # They run on by themselves; pyLoad is stopped cleanly while some still download.
    pl.wait_until(
        lambda pl: (
            any(f["status"] == LinkStatus.DOWNLOADING for f in pl.files())
            and len(unfinished(pl)) >= 2
        ),
        timeout=90,
        interval=0.5,
    )
    before_stop = unfinished(pl)
    pl.wait_until(lambda pl: unfinished(pl) <= resume_notes(pl), timeout=30, interval=0.5)
    stack.restart_pyload()

    pl.set_config_value("download", "limit_speed", False)
    pl.wait_until(lambda pl: not unfinished(pl), timeout=180, interval=1)
    for name in names:
        assert _intact(stack, name), name
    # Restarted by the addon, both times; the user's stop stands.
    assert pl.file_data(stopped_id)["status"] == LinkStatus.ABORTED
    notices = re.findall(
        r"Restarted (\d+) Offcloud links that were queued or downloading", _log_file(pl)
    )
    assert len(notices) == 2, notices  # one after each start
    assert before_crash
    assert before_stop
    # No job twice at Offcloud for a hoster link or the torrent.
    for url in [STOPPED, *HOSTERS]:
        adds = [call for call in cloud_adds(stack, url) if call.status == 200]
        assert len(adds) == 1, url
    pl.wait_until(lambda pl: not resume_notes(pl) - {stopped_id}, timeout=30)
    assert stopped_id not in resume_notes(pl)
    pl.delete_packages([p["pid"] for p in pl.queue()])


def test_a_dropped_file_connection_resumes_and_the_file_arrives_intact(
    stack: OffcloudPyloadStack,
) -> None:
    pl = stack.process
    pl.set_config_value("download", "chunks", 1)  # the connection that drops is the download's
    fault = stack.simulator.inject("reset", path="/cdn3sto/", count=1)
    calls_before = len(stack.simulator.calls)
    log_before = pl.log_text()
    try:
        pl.add_package("Drop", [DROP_LINK])
        name = DROP_LINK.rpartition("/")[2]
        pl.wait_until(
            lambda pl: (
                _by_name(pl).get(name, {}).get("status") in (LinkStatus.FINISHED, LinkStatus.FAILED)
            ),
            timeout=90,
            interval=0.5,
        )
    finally:
        stack.simulator.clear_faults()
        pl.set_config_value("download", "chunks", 3)
    link = _by_name(pl)[name]
    assert link["status"] == LinkStatus.FINISHED, link
    assert _intact(stack, name)
    files = [c for c in stack.simulator.calls[calls_before:] if c.kind == "file"]
    assert [c.fault for c in files].count("reset") == 1, fault
    # The second request took up where the first broke off.
    resumed = [c for c in files if c.fault is None and c.range and not c.range.endswith("=0-")]
    assert resumed, [(c.range, c.fault, c.status) for c in files]
    log = pl.log_text()
    assert "The connection to Offcloud's file server dropped" in log[len(log_before) :]
    assert log.count("Traceback") == log_before.count("Traceback")
