"""Torrents at scale (issue 13): cached magnets pasted at once, one of them twice (1,000, and
separately 10,000; quick: 100): the seconds until every file link is in pyLoad's queue (the addon
resolves them itself), the cache calls (at most one per 1,000 hashes), duplicate submissions
(none)."""

from __future__ import annotations

import math
import re
import time
from typing import Any, Optional

from offcloud_api.harness.runner import PyloadProcess
from offcloud_api.magnet import build_magnet

from .calls import CACHE_DOWNLOAD, RESOLVES, count_routes, info_hash, rate, route, submissions
from .session import Session, cpu_seconds

_BULK_LINE = re.compile(
    r"Bulk: (?P<done>\d+) of (?P<total>\d+) torrents queued from Offcloud's cache in "
    r"(?P<secs>[\d.]+) s; (?P<left>\d+) go to the decrypter, (?P<repeats>\d+) links repeated"
)


def many_magnets(session: Session, group: str) -> dict[str, Any]:
    """Cached magnets pasted at once, one of them twice: the seconds until every file link is
    in pyLoad's queue, the cache calls, the submissions per torrent."""
    items = session.scenario.items[group]
    hashes = {info_hash(item.url) for item in items}
    names = {name for item in items for name in item.names}
    paste = [item.url for item in items]
    # The same torrent again under another name: still one job and one package.
    paste.insert(len(paste) // 2, build_magnet(info_hash(items[0].url), "Bench.Again"))
    batches = math.ceil(len(hashes) / 1000)  # /api/cache takes 1,000 hashes a call (L13)
    max_downloads = int(session.pl.get_config("download", "max_downloads"))  # pyload.cfg
    # Thousands of tiny downloads would compete with the queueing; decrypting still runs.
    session.pl.set_config_value("download", "max_downloads", 0)
    start_index = len(session.stack.simulator.calls)
    cpu_before = cpu_seconds(session.pl.pid)
    added_at = time.time()
    session.pl.add_package(f"bench-{group.replace(' ', '-')}", paste)
    add_answered_s = time.time() - added_at
    queued_at = 0.0

    def all_queued(pl: PyloadProcess) -> bool:
        nonlocal queued_at
        if session.queue_link_count() < len(names):
            return False
        if not names <= {link[1] for link in session.queue_links()}:
            return False
        queued_at = time.time()
        return True

    session.pl.wait_until(all_queued, timeout=120 + 0.5 * len(items), interval=0.25)
    queued_s = queued_at - added_at
    cpu = cpu_seconds(session.pl.pid) - cpu_before
    links = session.queue_links()
    queued_names = [link[1] for link in links]
    packages = len({link[3] for link in links})
    line = _bulk_line(session, len(paste))
    calls = session.calls_since(start_index)
    # The cache checks (/api/cache, /api/cache/info), not cache/download's resolutions.
    cache = [
        c
        for c in calls
        if c.kind == "api" and c.path.startswith("/api/cache") and route(c) != CACHE_DOWNLOAD
    ]
    submitted = submissions(calls, hashes)
    explores = sorted(c.time for c in calls if route(c) in RESOLVES)
    clean_up_s = session.clean_up_many(decrypting=not line or line["left"] > 0)
    # Only now: a link pyLoad hands to a download thread while its package is being deleted
    # stays that thread's "active" link for good (DownloadThread skips a link without a
    # plugin and never clears it), and status_downloads answers HTTP 500 from then on
    # (the link's package is None). Seen once when this was done before the clean-up.
    session.pl.set_config_value("download", "max_downloads", max_downloads)
    result = {
        "magnets": len(items),
        "links_pasted": len(paste),
        "packages_queued": packages,
        "file_links_queued": len(queued_names),
        "file_links_expected": len(names),
        "add_answered_s": round(add_answered_s, 2),
        "queued_s": round(queued_s, 2),
        # The addon's own figure: from taking the batch to the last package queued.
        "addon_bulk_s": line["seconds"] if line else None,
        "addon_resolved": line["resolved"] if line else None,
        "addon_to_decrypter": line["left"] if line else None,
        "addon_repeats": line["repeats"] if line else None,
        "cache_calls": len(cache),
        "cache_calls_by_route": dict(count_routes(cache)),
        "cache_calls_allowed": batches,
        "cache_answered_after_s": round(max(c.time for c in cache) - added_at, 2)
        if cache
        else None,
        "cloud_submissions": sum(submitted.values()),
        "torrents_submitted": len(submitted),
        "duplicate_submissions": sum(n - 1 for n in submitted.values() if n > 1),
        # Where the time goes: Offcloud's answers (the last explore) against pyLoad's queue.
        "last_explore_after_s": round(explores[-1] - added_at, 2) if explores else None,
        # Torrents resolved a second (explore calls: one each, right before its queueing) in
        # the first and the last tenth of the paste: a slowdown as pyLoad's queue grows.
        "resolved_per_s_first_tenth": rate(explores[: max(2, len(explores) // 10)]),
        "resolved_per_s_last_tenth": rate(explores[-max(2, len(explores) // 10) :]),
        "pyload_cpu_s": round(cpu, 1),
        "clean_up_s": round(clean_up_s, 1),
        "api_calls": dict(count_routes(calls)),
    }
    session.say(
        f"  {len(items)} cached magnets (+1 repeated): all {len(names)} file links queued "
        f"after {queued_s:.2f} s (the add answered after {add_answered_s:.2f} s; the addon "
        f"says {result['addon_bulk_s']} s; last explore after "
        f"{result['last_explore_after_s']} s); {len(cache)} cache calls, "
        f"{result['cloud_submissions']} submissions, "
        f"{result['duplicate_submissions']} duplicate; resolved "
        f"{result['resolved_per_s_first_tenth']}/s in the first tenth, "
        f"{result['resolved_per_s_last_tenth']}/s in the last; pyLoad CPU {cpu:.1f} s; "
        f"deleting the packages took {clean_up_s:.1f} s"
    )
    return result


def _bulk_line(session: Session, total: int, timeout: float = 30) -> Optional[dict[str, float]]:
    """The addon's "Bulk: N of M torrents queued ..." line for a batch of ``total`` links."""
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in _BULK_LINE.finditer(session.pl.log_text()) if int(m["total"]) == total]
        if found or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    if not found:
        return None
    last = found[-1]
    return {
        "resolved": int(last["done"]),
        "seconds": float(last["secs"]),
        "left": int(last["left"]),
        "repeats": int(last["repeats"]),
    }
