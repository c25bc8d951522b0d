"""Time to first byte after adding, and the Offcloud API calls, of each kind of job: a direct link
(pyLoad's own scheduling, the baseline), a hoster link (a cloud job of 1 s at Offcloud), a cached
magnet with 3 files, an Offcloud cloud folder; and a cloud job of 30 s (quick: 6 s)."""

from __future__ import annotations

import statistics
from typing import Any

from .calls import ADD, EXPLORE, INSTANT, POLL, REMOVE
from .session import JobRun, Session

#: The job kinds measured for their first byte and calls, in this order.
KINDS = ("direct link", "hoster link", "cached magnet", "cloud folder")


def first_byte_and_calls(session: Session) -> list[dict[str, Any]]:
    rows = []
    for group in KINDS:
        runs = [session.run_job(item) for item in session.scenario.items[group]]
        for run in runs:
            calls = sum(run.api_calls.values())
            session.say(f"  {group:<14} first byte after {run.ttfb_s:.2f} s, {calls} API calls")
        rows.append(job_row(group, runs))
    return rows


def cloud_job(session: Session) -> dict[str, Any]:
    config = session.scenario.config
    item = session.scenario.items["cloud job"][0]
    run = session.run_job(item, timeout=config.cloud_job_s + 120)
    session.say(f"  {item.label}: {dict(run.api_calls)}")
    row = job_row(item.label, [run])
    # How long after Offcloud had the file did pyLoad start fetching it (polling lag).
    row["first_byte_after_ready_s"] = round((run.ttfb_s or 0) - config.cloud_job_s, 2)
    return row


def job_row(label: str, runs: list[JobRun]) -> dict[str, Any]:
    """The figures of one kind of job over its runs."""
    first = runs[0]
    ttfbs = [r.ttfb_s for r in runs if r.ttfb_s is not None]
    return {
        "job": label,
        "runs": len(runs),
        "ttfb_median_s": round(statistics.median(ttfbs), 3) if ttfbs else None,
        "ttfb_max_s": round(max(ttfbs), 3) if ttfbs else None,
        "api_calls_first_run": sum(first.api_calls.values()),
        "api_calls_first_run_by_route": dict(first.api_calls),
        "api_calls_max": max(sum(r.api_calls.values()) for r in runs),
        # Of every run: the job's steps (add, status polls, explore) and instant calls.
        "adds_max": max(r.api_calls[ADD] for r in runs),
        "status_polls": first.api_calls[POLL],
        "status_polls_max": max(r.api_calls[POLL] for r in runs),
        "explores_max": max(r.api_calls[EXPLORE] for r in runs),
        "instant_calls": sum(r.api_calls[INSTANT] for r in runs),
        # Calls other than those steps and the clean-up's removal (account or host-list
        # look-ups, retries).
        "other_calls_max": max(
            sum(n for route, n in r.api_calls.items() if route not in (ADD, POLL, EXPLORE, REMOVE))
            for r in runs
        ),
        "removals_max": max(r.api_calls[REMOVE] for r in runs),
        # A job is submitted to Offcloud once at most: one instant or one cloud request.
        "submissions_max": max(
            r.api_calls["POST /api/instant"] + r.api_calls["POST /api/cloud"] for r in runs
        ),
        "intact": all(r.intact for r in runs),
        "details": [r.as_json() for r in runs],
    }
