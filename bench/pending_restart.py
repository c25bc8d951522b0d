"""100 uncached torrents waiting in the background survive a pyLoad restart (issue 13).

A real pyLoad with the plugins and the simulator (live profile): 100 uncached magnets are added,
each handed to the addon's background loop; once all wait there, pyLoad is stopped and started
again; then every torrent's file must be queued, with one Offcloud job per torrent. Prints the
figures; not a timed test. Usage::

    .venv/bin/python bench/pending_restart.py [--torrents N] [--job-seconds S]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from offcloud_api.harness.runner import PyloadProcess
from offcloud_api.harness.stack import OffcloudPyloadStack
from offcloud_api.magnet import build_magnet

DEFAULT_SCENARIO = (
    Path(__file__).parents[1] / "offcloud_api" / "simulator" / "default_scenario.json"
)
HOOK = "OffcloudComHook"
FOLLOWED = "followed in the background"


def _hash(i: int) -> str:
    return hashlib.sha1(f"pending-restart-{i}".encode()).hexdigest()  # noqa: S324 - made up


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--torrents", type=int, default=100)
    parser.add_argument("--job-seconds", type=float, default=240.0)
    args = parser.parse_args(argv)
    hashes = [_hash(i) for i in range(args.torrents)]
    scenario = json.loads(DEFAULT_SCENARIO.read_text(encoding="utf-8"))
    scenario["torrents"] += [
        {
            "info_hash": h,
            "name": f"Pending.{i:03d}",
            "cached": False,
            "duration": args.job_seconds,
            "queued": 1,
            "files": [{"path": f"Pending.{i:03d}.bin", "size": 4096}],
        }
        for i, h in enumerate(hashes)
    ]
    names = {f"Pending.{i:03d}.bin" for i in range(args.torrents)}
    home = Path(tempfile.mkdtemp(prefix="offcloud-pending-"))
    try:
        with OffcloudPyloadStack(home, scenario=scenario) as stack:
            pl = stack.process
            pl.set_config_value(HOOK, "follow_interval", 10, plugin=True)
            started = time.monotonic()
            pl.add_package(
                "Pending", [build_magnet(h, f"Pending.{i:03d}") for i, h in enumerate(hashes)]
            )

            def followed(pl: PyloadProcess) -> int:
                return sum(1 for f in pl.files() if FOLLOWED in (f["statusmsg"] or ""))

            pl.wait_until(lambda pl: followed(pl) == args.torrents, timeout=900, interval=5)
            handed = time.monotonic() - started
            threads = len(pl.status_downloads())
            stack.restart_pyload()
            restarted = time.monotonic() - started
            pl.wait_until(
                lambda pl: followed(pl) == args.torrents or _queued(pl, names),
                timeout=300,
                interval=5,
            )
            pl.wait_until(lambda pl: _queued(pl, names), timeout=1800, interval=5)
            done = time.monotonic() - started
            adds = Counter(
                h
                for c in stack.simulator.calls
                if c.kind == "api" and c.method == "POST" and c.path == "/api/cloud"
                for h in hashes
                if h in (c.body_summary or "")
            )
            jobs = {
                h: {
                    c.request_id
                    for c in stack.simulator.calls
                    if c.kind == "api" and c.path == "/api/cloud" and h in (c.body_summary or "")
                }
                for h in hashes
            }
            result: dict[str, Any] = {
                "torrents": args.torrents,
                "job_seconds": args.job_seconds,
                "all_followed_after_s": round(handed, 1),
                "threads_held_while_waiting": threads,
                "restarted_after_s": round(restarted, 1),
                "all_files_queued_after_s": round(done, 1),
                "files_queued": len(names & {f["name"] for f in pl.files()}),
                "torrents_added_more_than_once": sum(1 for n in adds.values() if n > 1),
                "torrents_with_more_than_one_job": sum(1 for ids in jobs.values() if len(ids) > 1),
            }
    finally:
        shutil.rmtree(home, ignore_errors=True)
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    return 0


def _queued(pl: PyloadProcess, names: set[str]) -> bool:
    return names <= {f["name"] for f in pl.files()}


if __name__ == "__main__":
    sys.exit(main())
