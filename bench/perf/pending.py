"""Uncached torrents pending at once (100; quick: 6): the Offcloud API calls a minute while
Offcloud works on them (the full run over 2.5 minutes at the addon's default ``follow_interval``,
30 s), and whether a pyLoad thread waits for them (none should)."""

from __future__ import annotations

import time
from typing import Any

from offcloud_api.harness.runner import LinkStatus, PyloadProcess

from .calls import HISTORY, by_route, count_routes, info_hash, route, submissions
from .config import FOLLOW_INTERVAL, FOLLOWED
from .session import Session


def pending_torrents(session: Session) -> dict[str, Any]:
    """Uncached torrents pending at once: the API calls a minute while Offcloud works on them,
    and whether a pyLoad thread waits for them."""
    config = session.scenario.config
    items = session.scenario.items["pending"]
    hashes = {info_hash(item.url) for item in items}
    session.follow_interval(config.pending_interval_s)
    start_index = len(session.stack.simulator.calls)
    added_at = time.time()
    session.pl.add_package("bench-pending", [item.url for item in items])

    def processing(pl: PyloadProcess) -> bool:
        links = session.queue_links()
        return len(links) == len(items) and all(link[2] == LinkStatus.PROCESSING for link in links)

    def followed(pl: PyloadProcess) -> bool:
        links = pl.files()
        return len(links) == len(items) and all(
            f["status"] == LinkStatus.PROCESSING and FOLLOWED in (f["statusmsg"] or "")
            for f in links
        )

    # pyLoad starts about one decrypter a second; each hands its job over and ends.
    session.pl.wait_until(processing, timeout=60 + 3 * len(items), interval=0.5)
    handed_over_s = time.time() - added_at
    session.pl.wait_until(followed, timeout=30, interval=1.0)  # the text only pyLoad's API has
    held_at_start = session.pl.status_downloads()
    # The window starts half an interval after a round of the loop (its history call), so
    # it holds whole rounds: window / interval of them.
    index = len(session.stack.simulator.calls)

    def history_asked(pl: PyloadProcess) -> bool:
        return any(route(c) == HISTORY for c in session.calls_since(index))

    session.pl.wait_until(history_asked, timeout=2 * config.pending_interval_s + 30)
    time.sleep(config.pending_interval_s / 2)
    window_index = len(session.stack.simulator.calls)
    window_start = time.time()
    time.sleep(config.pending_window_s)
    window_end = time.time()
    held = session.pl.status_downloads()
    links = session.pl.files()
    window = [
        c for c in session.calls_since(window_index) if c.kind == "api" and c.time <= window_end
    ]
    seconds = window_end - window_start
    routes = count_routes(window)
    submitted = submissions(session.calls_since(start_index), hashes)
    still_followed = sum(
        1
        for f in links
        if f["status"] == LinkStatus.PROCESSING and FOLLOWED in (f["statusmsg"] or "")
    )
    session.clean_up()
    session.hook("follow_interval", FOLLOW_INTERVAL)
    result = {
        "torrents": len(items),
        "follow_interval_s": config.pending_interval_s,
        "handed_over_after_s": round(handed_over_s, 1),
        "window_s": round(seconds, 1),
        "calls_in_window": len(window),
        "calls_per_minute": round(len(window) * 60 / seconds, 2),
        "calls_in_window_by_route": dict(routes),
        "calls_per_minute_by_route": {
            name: round(n * 60 / seconds, 2) for name, n in sorted(routes.items())
        },
        "threads_held": len(held) + len(held_at_start),
        "links_followed": still_followed,
        "progress_shown": sum(1 for f in links if "%" in (f["statusmsg"] or "")),
        "cloud_submissions": sum(submitted.values()),
        "duplicate_submissions": sum(n - 1 for n in submitted.values() if n > 1),
    }
    session.say(
        f"  {len(items)} uncached torrents followed {handed_over_s:.0f} s after the add; "
        f"over {seconds:.0f} s (follow_interval {config.pending_interval_s} s): "
        f"{result['calls_per_minute']:.1f} API calls a minute ({by_route(dict(routes))}); "
        f"{result['threads_held']} pyLoad threads held, {still_followed} links followed"
    )
    return result
