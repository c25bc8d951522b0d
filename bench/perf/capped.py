"""Uncached magnets pasted at once under the addon's ``max_running_jobs`` (200 under 10; quick: 6
under 2): the most jobs running at once at Offcloud (the simulator's job table), how many were
held back for a slot, and the time until every file link is queued."""

from __future__ import annotations

import re
import time
from typing import Any

from offcloud_api.harness.runner import FINAL_STATUSES, LinkStatus, PyloadProcess

from .calls import ADD, count_routes, info_hash, route, submissions
from .config import FOLLOW_INTERVAL, WAITING_SLOT
from .session import Session

_HELD_BACK = re.compile(r"(Bench\.Capped\.\d+): " + re.escape(WAITING_SLOT))


def capped_paste(session: Session) -> dict[str, Any]:
    """Uncached magnets pasted at once under max_running_jobs: the most jobs that ran at
    Offcloud at once (the simulator's job table), and the time until every job is done and
    its file link queued (pyLoad's max_downloads 0 meanwhile: pyLoad starts one download or
    decrypter a second, and each torrent takes two decrypter runs already)."""
    config = session.scenario.config
    items = session.scenario.items["capped"]
    hashes = {info_hash(item.url) for item in items}
    names = {name for item in items for name in item.names}
    max_downloads = int(session.pl.get_config("download", "max_downloads"))  # pyload.cfg
    session.pl.set_config_value("download", "max_downloads", 0)
    session.hook("max_running_jobs", config.cap)
    session.follow_interval(config.capped_interval_s)
    # A link handed to the addon's loop reads "aborted" until the loop marks it (0.5 s):
    # only a link that stays in a final state other than finished for 10 s has failed.
    ended_since: dict[int, float] = {}
    try:
        start_index = len(session.stack.simulator.calls)
        added_at = time.time()
        session.pl.add_package("bench-capped", [item.url for item in items])

        def done(pl: PyloadProcess) -> bool:
            nonlocal ended_since
            links = session.queue_links()
            now = time.monotonic()
            ended_since = {
                link[0]: ended_since.get(link[0], now)
                for link in links
                if link[2] in FINAL_STATUSES - {LinkStatus.FINISHED}
            }
            failed = [link for link in links if now - ended_since.get(link[0], now) > 10]
            if failed:
                fid, name, status, _ = failed[0]
                raise RuntimeError(
                    f"capped: {name} ended {LinkStatus(status).name.lower()}: "
                    f"{pl.file_data(fid).get('error')}"
                )
            return names <= {link[1] for link in links}

        # Twice a decrypter each (submit or wait, then queue the files) at about one a second.
        session.pl.wait_until(done, timeout=120 + 4 * len(items), interval=0.25)
        done_s = time.time() - added_at
        sim_now, wall_now = session.stack.simulator.state.clock.now(), time.time()
    finally:
        session.hook("max_running_jobs", 0)
        session.hook("follow_interval", FOLLOW_INTERVAL)
    calls = session.calls_since(start_index)
    submitted = submissions(calls, hashes)
    request_ids = {
        c.request_id
        for c in calls
        if route(c) == ADD and c.request_id and info_hash(c.body_summary or "") in hashes
    }
    jobs = session.stack.simulator.state.jobs
    spans = sorted(
        (job.started_at, job.started_at + job.queued + job.duration)
        for job in (jobs[request_id] for request_id in request_ids)
    )
    most = max((sum(1 for s, e in spans if s <= start < e) for start, _ in spans), default=0)
    # The decrypter's line for a torrent held back: "<name>: Waiting for a free ... slot".
    held_back = set(_HELD_BACK.findall(session.pl.log_text()))
    session.clean_up()
    session.pl.set_config_value("download", "max_downloads", max_downloads)  # after: see above
    # The simulator's clock runs at wall speed (no speedup in the bench's scenario).
    last_end = max((end for _, end in spans), default=None)
    last_done_s = None if last_end is None else wall_now - (sim_now - last_end) - added_at
    result = {
        "torrents": len(items),
        "cap": config.cap,
        "follow_interval_s": config.capped_interval_s,
        "job_s": config.capped_job_s,
        "jobs": len(spans),
        "most_running": most,
        "jobs_span_s": round(last_end - spans[0][0], 1) if last_end is not None else None,
        "last_job_done_s": round(last_done_s, 1) if last_done_s is not None else None,
        "all_queued_s": round(done_s, 1),
        "torrents_held_back": len(held_back),
        "cloud_submissions": sum(submitted.values()),
        "duplicate_submissions": sum(n - 1 for n in submitted.values() if n > 1),
        "api_calls": dict(count_routes(calls)),
    }
    session.say(
        f"  {len(items)} uncached magnets, max_running_jobs {config.cap} (follow_interval "
        f"{config.capped_interval_s} s, jobs of {config.capped_job_s:g} s): at most {most} "
        f"jobs ran at once; every file link queued after {done_s:.1f} s (the last job done "
        f"after {result['last_job_done_s']} s, the jobs ran over "
        f"{result['jobs_span_s']} s); {len(held_back)} held back for a slot; "
        f"{result['duplicate_submissions']} duplicate submissions"
    )
    return result
