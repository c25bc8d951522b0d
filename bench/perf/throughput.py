"""Throughput: the same file through the Offcloud plugin (a hoster link, which on the 2026 API goes
through a cloud job: no instant route, docs/api.md L4) and as a plain direct link through pyLoad's
DefaultPlugin, both through the simulator's proxy, with 1, 4 and 16 chunks (quick: 1 and 4); and
pyLoad's CPU time per MB for each (the transfer only, from its first byte)."""

from __future__ import annotations

import statistics
from typing import Any

from .config import MB, MIB, BenchConfig
from .session import JobRun, Session


def throughput(session: Session) -> list[dict[str, Any]]:
    config = session.scenario.config
    direct_items = iter(session.scenario.items["throughput-direct"])
    offcloud_items = iter(session.scenario.items["throughput-offcloud"])
    pl = session.pl
    rows = []
    for chunks in config.chunks:
        pl.set_config_value("download", "chunks", chunks)
        runs: dict[str, list[JobRun]] = {"direct": [], "offcloud": []}
        for rep in range(config.reps):
            # Alternate the order, so neither side always runs on a warmer machine.
            order = ["direct", "offcloud"] if rep % 2 == 0 else ["offcloud", "direct"]
            for side in order:
                item = next(direct_items if side == "direct" else offcloud_items)
                run = session.run_job(item)
                runs[side].append(run)
                session.say(
                    f"  {chunks:>2} chunks  {side:<8}  {mbps(run, config):7.1f} MB/s  "
                    f"{run.file_requests} connections  sha256 {'ok' if run.intact else 'WRONG'}"
                )
        direct_speed = statistics.median(mbps(r, config) for r in runs["direct"])
        offcloud_speed = statistics.median(mbps(r, config) for r in runs["offcloud"])
        size_mb = config.size_mib * MIB / MB
        rows.append(
            {
                "chunks": chunks,
                "direct_mb_s": round(direct_speed, 1),
                "offcloud_mb_s": round(offcloud_speed, 1),
                "ratio": round(offcloud_speed / direct_speed, 3),
                "direct_cpu_ms_per_mb": round(
                    1000 * statistics.median(r.cpu_s for r in runs["direct"]) / size_mb, 2
                ),
                "offcloud_cpu_ms_per_mb": round(
                    1000 * statistics.median(r.cpu_s for r in runs["offcloud"]) / size_mb, 2
                ),
                "connections": max(r.file_requests for r in runs["offcloud"]),
                "intact": all(r.intact for side in runs.values() for r in side),
                "runs": {
                    side: [r.as_json() for r in side_runs] for side, side_runs in runs.items()
                },
            }
        )
    pl.set_config_value("download", "chunks", 3)
    return rows


def mbps(run: JobRun, config: BenchConfig) -> float:
    """The throughput file's MB a second over a run's transfer; NaN without one."""
    seconds = run.transfer_s
    if not seconds or seconds <= 0:
        return float("nan")
    return config.size_mib * MIB / MB / seconds
