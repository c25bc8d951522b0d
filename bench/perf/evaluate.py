"""The bench's figures against its goals (config.GOALS): one verdict a goal (pure)."""

from __future__ import annotations

import math
from typing import Any

from .config import GOALS


def evaluate(results: dict[str, Any]) -> dict[str, bool]:
    """``results`` (as the bench writes them) → goal name → met."""
    throughput = results["throughput"]
    rows = {row["job"]: row for row in results["jobs"]}
    magnets = results["magnets"]
    pastes = [m for m in (magnets, results.get("big_magnets")) if m]
    pending, capped = results["pending"], results["capped"]
    hoster_rows = [rows["hoster link"], results["cloud_job"]]
    return {
        "throughput_ratio": min(row["ratio"] for row in throughput) >= GOALS["throughput_ratio"],
        "ttfb_s": all(
            rows[job]["ttfb_median_s"] <= GOALS["ttfb_s"]
            for job in ("cached magnet", "cloud folder")
        ),
        "hoster_link_calls": all(
            row["adds_max"] == 1
            and row["explores_max"] == 1
            and row["instant_calls"] == 0
            and row["other_calls_max"] == 0
            and row["removals_max"] <= 1
            for row in hoster_rows
        ),
        "cached_magnet_calls": rows["cached magnet"]["api_calls_max"]
        <= GOALS["cached_magnet_calls"],
        "cache_calls_per_1000_magnets": all(
            m["cache_calls"]
            <= GOALS["cache_calls_per_1000_magnets"] * math.ceil(m["magnets"] / 1000)
            for m in pastes
        ),
        "polls_per_30s_job": results["cloud_job"]["status_polls"] <= GOALS["polls_per_30s_job"],
        "no_duplicate_submission": all(
            m["duplicate_submissions"] == 0 for m in [*pastes, pending, capped]
        )
        and all(row["submissions_max"] <= 1 for row in [*results["jobs"], results["cloud_job"]]),
        # Every file link of the 1,000 (quick: 100) queued in time; 10,000 is reported only.
        "magnets_queued_s": magnets["queued_s"] <= GOALS["magnets_queued_s"]
        and magnets["file_links_queued"] == magnets["file_links_expected"],
        "no_thread_held": pending["threads_held"] == 0
        and pending["links_followed"] == pending["torrents"],
        "cap_held": 0 < capped["most_running"] <= capped["cap"]
        and capped["jobs"] == capped["torrents"],
        "stop_latency_s": results["stop"]["max_s"] <= GOALS["stop_latency_s"],
        "files_intact": all(row["intact"] for row in throughput)
        and all(r["intact"] for r in [*results["jobs"], results["cloud_job"]]),
    }
