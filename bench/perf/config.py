"""The bench's two configurations, its goals, and the names its scenario and sections share."""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1 << 20
MB = 10**6
DIRECT_HOST = "files.plain-host.test"  # not a host Offcloud supports: pyLoad's DefaultPlugin
# The default scenario's site "rapidgator" (a bare name in /api/sites, L17) holds these links.
HOSTER = "rapidgator.net"
HOSTER_JOB_S = 1  # how long Offcloud's cloud job of a hoster link takes here
CLOUD_HOSTER = "nitroflare.com"  # "Cloud only": every link is a cloud job
FOLDER_SERVER = "de-3"

GOALS = {
    "throughput_ratio": 0.95,
    # For what Offcloud has ready (a cached magnet, a cloud folder): pyLoad's own scheduling
    # tick (1 s) plus 0.5 s.
    "ttfb_s": 1.5,
    # Issue 11, measured on the live profile: a hoster link costs 1 add + its polls + 1 explore
    # and no instant call; a cached magnet at most 3 calls; 1,000 magnets at most one cache call
    # per 1,000 hashes.
    "hoster_link_calls": "1 add + polls + 1 explore, 0 instant",
    "cached_magnet_calls": 3,
    "cache_calls_per_1000_magnets": 1,
    "polls_per_30s_job": 10,
    "stop_latency_s": 1.5,
    # Issue 13: 1,000 cached magnets pasted at once, every file link queued within 60 s; no
    # pyLoad thread held by uncached torrents pending; the cap on running jobs holds.
    "magnets_queued_s": 60,
    "no_thread_held": "0 threads, every pending link followed (status 13)",
    "cap_held": "most jobs running at once <= max_running_jobs",
}


@dataclass(frozen=True)
class BenchConfig:
    name: str
    size_mib: int  # the throughput file
    chunks: tuple[int, ...]
    reps: int  # runs of each throughput configuration
    ttfb_reps: int  # runs of each first-byte case
    cloud_job_s: int  # how long the cloud-only job takes at Offcloud
    magnets: int  # cached magnets pasted at once
    stop_reps: int
    big_magnets: int  # a second, separate paste of cached magnets (0: none)
    pending: int  # uncached torrents left pending at once
    pending_window_s: float  # how long their API calls are counted
    pending_interval_s: int  # the addon's follow_interval meanwhile
    capped: int  # uncached magnets pasted under the cap on running jobs
    cap: int  # max_running_jobs for them
    capped_job_s: float  # how long each of their jobs takes at Offcloud
    capped_interval_s: int  # the addon's follow_interval meanwhile


FULL = BenchConfig(
    "full", 200, (1, 4, 16), reps=3, ttfb_reps=3, cloud_job_s=30, magnets=1000, stop_reps=5,
    big_magnets=10_000, pending=100, pending_window_s=150.0, pending_interval_s=30,
    capped=200, cap=10, capped_job_s=15.0, capped_interval_s=2,
)  # fmt: skip
QUICK = BenchConfig(
    "quick", 8, (1, 4), reps=1, ttfb_reps=1, cloud_job_s=6, magnets=100, stop_reps=1,
    big_magnets=0, pending=6, pending_window_s=4.0, pending_interval_s=2,
    capped=6, cap=2, capped_job_s=2.0, capped_interval_s=2,
)  # fmt: skip
#: The addon's default follow_interval (seconds), put back after each section that changes it.
FOLLOW_INTERVAL = 30
HOOK = "OffcloudComHook"
FOLLOWED = "followed in the background"  # the text of a link the addon's loop follows
WAITING_SLOT = "Waiting for a free Offcloud slot"
