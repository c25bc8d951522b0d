"""How long a stop takes while a link waits for its cloud job at Offcloud (a job of an hour)."""

from __future__ import annotations

import statistics
import time
from typing import Any

from offcloud_api.harness.runner import LinkStatus, PyloadProcess

from .session import Session


def stop_latency(session: Session) -> dict[str, Any]:
    pl = session.pl
    latencies = []
    for item in session.scenario.items["stop"]:
        pl.add_package(session.next_package(), [item.url])
        fid = 0

        def waiting(pl: PyloadProcess, url: str = item.url) -> bool:
            nonlocal fid
            entry = next((f for f in pl.files() if f["url"] == url), None)
            if entry is None or "Offcloud" not in (entry.get("statusmsg") or ""):
                return False
            fid = entry["fid"]
            return True

        pl.wait_until(waiting, timeout=60)
        pl.wait_for_api_budget(5)
        started = time.monotonic()
        pl.stop_downloads([fid])  # pyLoad answers when the download thread let go
        latency = time.monotonic() - started
        status = next(f for f in pl.files() if f["fid"] == fid)["status"]
        if status != LinkStatus.ABORTED:
            raise RuntimeError(f"stop: the link is {status}, not aborted")
        latencies.append(latency)
        session.say(f"  stop during a cloud wait took {latency:.2f} s")
        session.clean_up()
    return {
        "runs": len(latencies),
        "median_s": round(statistics.median(latencies), 3),
        "max_s": round(max(latencies), 3),
        "all_s": [round(x, 3) for x in latencies],
    }
