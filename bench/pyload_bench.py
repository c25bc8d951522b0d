"""Offcloud through pyLoad, measured against a direct download on the same machine.

One run starts the simulator and a headless pyLoad with the plugins installed by
``offcloud pyload install`` (the stack the demo and the end-to-end tests use), then measures:

- throughput: the same file through the Offcloud plugin (a hoster link, which on the 2026 API
  goes through a cloud job: no instant route, docs/api.md L4) and as a plain direct
  link through pyLoad's DefaultPlugin, both through the simulator's proxy, with 1, 4 and 16
  chunks; pyLoad's CPU time per MB for each (the transfer only, from its first byte);
- time to first byte after adding: a direct link (pyLoad's own scheduling, the baseline), a
  hoster link (a cloud job of 1 s at Offcloud), a cached magnet with 3 files, an Offcloud cloud
  folder;
- Offcloud API calls per job, from the simulator's call log: a hoster link (1 add + its status
  polls + 1 explore, 0 instant calls), a cloud job of 30 s, a cached magnet with 3 files (at most
  3 calls), a cloud folder;
- how long a stop takes during a cloud wait;
- torrents at scale (issue 13): 1,000 cached magnets pasted at once, one of them twice, and
  separately 10,000: the seconds until every file link is in pyLoad's queue (the addon resolves
  them itself), cache calls (at most one per 1,000 hashes), duplicate submissions (none); 100
  uncached torrents pending at once: Offcloud API calls a minute over 2.5 minutes (the addon's
  default ``follow_interval``, 30 s) and no pyLoad thread held; 200 uncached magnets pasted under
  ``max_running_jobs`` 10: the most jobs running at once at Offcloud (the simulator's job table).

The simulator runs its default profile, ``live``: the 2026 API as live probes measured it.

It prints a table and writes the figures as JSON. Usage (``./run bench`` runs this file)::

    ./run bench               # 200 MiB, 3 runs of each, 1,000 + 10,000 magnets: about 30 minutes
    ./run bench --quick       # the smallest configuration (CI runs it): about 1.5 minutes

Timings come from the simulator's call log (when a request arrived) and from the files on disk
(when the last byte was written), not from polling pyLoad, which answers at most 100 API calls a
minute. Where the end is a link in pyLoad's queue (every file link of a paste), the bench reads
pyLoad's database (autocommit: as current as its API) four times a second instead.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from contextlib import closing
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from offcloud_api.harness.runner import FINAL_STATUSES, LinkStatus, PyloadProcess
from offcloud_api.harness.stack import OffcloudPyloadStack
from offcloud_api.magnet import build_magnet
from offcloud_api.simulator import expected_sha256, file_sha256
from offcloud_api.simulator.calllog import CallRecord

MIB = 1 << 20
_ID_IN_PATH = re.compile(r"/[0-9a-f]{24}(?=/|$)")
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
#: Job routes, with ids as ``{id}``.
ADD = "POST /api/cloud"
POLL = "POST /api/cloud/status"
EXPLORE = "GET /api/cloud/explore/{id}"
#: A cached magnet's files without a job (docs/api.md L19): its resolution, like an explore.
CACHE_DOWNLOAD = "POST /api/cache/download"
#: The clean-up addon's removal of a job whose files are on disk (on by default).
REMOVE = "GET /api/cloud/remove/{id}"
#: The calls that resolve a torrent into file links, and the ones that submit it.
RESOLVES = (EXPLORE, CACHE_DOWNLOAD)
SUBMITS = (ADD, CACHE_DOWNLOAD)
HISTORY = "GET /api/cloud/history"
INSTANT = "POST /api/instant"


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


# ---------------------------------------------------------------------------------------------
# the scenario: the default one plus the bench's own links, files, torrents and jobs


def _hex(text: str, length: int = 40) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:length]  # noqa: S324 - a made-up id


@dataclass
class Item:
    """One thing the bench adds to pyLoad, and the files it must produce."""

    label: str
    url: str
    files: list[dict[str, Any]]  # name, seed, size (bytes)

    @property
    def names(self) -> set[str]:
        return {f["name"] for f in self.files}


@dataclass
class Scenario:
    config: BenchConfig
    data: dict[str, Any] = field(default_factory=dict)
    items: dict[str, list[Item]] = field(default_factory=dict)

    def add(self, group: str, item: Item) -> Item:
        self.items.setdefault(group, []).append(item)
        return item


def build_scenario(config: BenchConfig) -> Scenario:
    scenario = Scenario(config)
    links: list[dict[str, Any]] = []
    direct: list[dict[str, Any]] = []
    torrents: list[dict[str, Any]] = []
    jobs: list[dict[str, Any]] = []
    big = config.size_mib * MIB

    runs = config.reps * len(config.chunks)
    for run in range(runs):
        # A name per run, so no run finds the file of another on disk; the same bytes for all.
        name = f"big-{run:02d}.bin"
        direct_url = f"https://{DIRECT_HOST}/big/{name}"
        direct.append({"url": direct_url, "size": big, "seed": "bench-big"})
        scenario.add(
            "throughput-direct", Item("direct", direct_url, [_file(name, "bench-big", big)])
        )
        hoster_url = f"https://{HOSTER}/file/benchbig{run:02d}/{name}"
        links.append(
            {
                "url": hoster_url,
                "file": {"name": name, "size": big, "seed": "bench-big"},
                "duration": HOSTER_JOB_S,
                "queued": 0,
            }
        )
        scenario.add(
            "throughput-offcloud", Item("Offcloud", hoster_url, [_file(name, "bench-big", big)])
        )

    small = MIB
    for rep in range(config.ttfb_reps):
        name = f"small-{rep}.bin"
        url = f"https://{DIRECT_HOST}/small/{name}"
        direct.append({"url": url, "size": small, "seed": f"bench-small-{rep}"})
        scenario.add(
            "direct link", Item("direct link", url, [_file(name, f"bench-small-{rep}", small)])
        )

        name = f"hoster-{rep}.bin"
        url = f"https://{HOSTER}/file/benchhost{rep}/{name}"
        links.append(
            {
                "url": url,
                "file": {"name": name, "size": small, "seed": f"bench-host-{rep}"},
                "duration": HOSTER_JOB_S,
                "queued": 0,
            }
        )
        scenario.add(
            "hoster link", Item("hoster link", url, [_file(name, f"bench-host-{rep}", small)])
        )

        release = f"Bench.Magnet.{rep}"
        parts = [
            (f"{release}/Sub/ep1-{rep}.mkv", MIB),
            (f"{release}/Sub/ep2-{rep}.mkv", MIB // 2),
            (f"{release}/info-{rep}.nfo", 1024),
        ]
        info_hash = _hex(f"bench-magnet-{rep}")
        torrents.append(
            {
                "info_hash": info_hash,
                "name": release,
                "cached": True,
                "files": [{"path": p, "size": s, "seed": f"{p}"} for p, s in parts],
            }
        )
        scenario.add(
            "cached magnet",
            Item(
                "cached magnet",
                build_magnet(info_hash, release),
                [_file(p.rsplit("/", 1)[-1], p, s) for p, s in parts],
            ),
        )

        folder = f"Bench.Folder.{rep}"
        request_id = _hex(f"bench-folder-{rep}", 24)
        parts = [
            (f"{folder}/part1-{rep}.bin", MIB),
            (f"{folder}/extras/part2-{rep}.bin", MIB // 2),
            (f"{folder}/readme-{rep}.txt", 1024),
        ]
        jobs.append(
            {
                "request_id": request_id,
                "link": f"https://{HOSTER}/folder/{folder}",
                "name": folder,
                "files": [{"path": p, "size": s, "seed": p} for p, s in parts],
                "status": "downloaded",
                "server": FOLDER_SERVER,
            }
        )
        scenario.add(
            "cloud folder",
            Item(
                "cloud folder",
                f"https://{FOLDER_SERVER}.offcloud.com/cloud/download/{request_id}",
                [_file(p.rsplit("/", 1)[-1], p, s) for p, s in parts],
            ),
        )

    name = "cloud-job.bin"
    url = f"https://{CLOUD_HOSTER}/view/BENCHJOB/{name}"
    links.append(
        {
            "url": url,
            "file": {"name": name, "size": 4 * MIB, "seed": "bench-cloud-job"},
            "duration": config.cloud_job_s,
            "queued": 0,  # so the job is ready at Offcloud exactly cloud_job_s after it was added
        }
    )
    scenario.add(
        "cloud job",
        Item(f"cloud job ({config.cloud_job_s} s)", url, [_file(name, "bench-cloud-job", 4 * MIB)]),
    )

    for rep in range(config.stop_reps):
        url = f"https://{CLOUD_HOSTER}/view/BENCHSTOP{rep}/stop-{rep}.bin"
        links.append(
            {"url": url, "file": {"name": f"stop-{rep}.bin", "size": MIB}, "duration": 3600}
        )
        scenario.add("stop", Item("stop", url, []))

    torrents += _scale_torrents(scenario)

    scenario.data = {
        "extends": "default",
        "name": f"bench-{config.name}",
        "links": links,
        "direct_files": direct,
        "torrents": torrents,
        "jobs": jobs,
    }
    return scenario


def _scale_torrents(scenario: Scenario) -> list[dict[str, Any]]:
    """Torrents at scale (issue 13): cached magnets pasted at once (one file each), and uncached
    ones, left pending (a job of 10 h) or run under the cap on running jobs (short jobs)."""
    config = scenario.config
    torrents: list[dict[str, Any]] = []
    for group, count, prefix in (
        ("batch", config.magnets, "Batch"),
        ("big batch", config.big_magnets, "Big"),
        ("pending", config.pending, "Pending"),
        ("capped", config.capped, "Capped"),
    ):
        for index in range(count):
            release = f"Bench.{prefix}.{index:05d}"
            info_hash = _hex(f"bench-{group}-{index}")
            name = f"{release}.bin"
            torrent: dict[str, Any] = {
                "info_hash": info_hash,
                "name": release,
                "cached": group in ("batch", "big batch"),
                "files": [{"path": name, "size": 1024, "seed": name}],
            }
            if group == "pending":
                torrent.update(duration=36_000, queued=1)
            elif group == "capped":
                torrent.update(duration=config.capped_job_s, queued=0.5)
            torrents.append(torrent)
            scenario.add(
                group, Item(group, build_magnet(info_hash, release), [_file(name, name, 1024)])
            )
    return torrents


def _file(name: str, seed: str, size: int) -> dict[str, Any]:
    return {"name": name, "seed": seed, "size": size}


# ---------------------------------------------------------------------------------------------
# measuring one job


@dataclass
class JobRun:
    label: str
    added_at: float  # wall clock, just before pyLoad was asked to add the link
    first_byte_at: Optional[float]  # the first download request the simulator saw
    finished_at: Optional[float]  # the newest mtime of the job's files
    api_calls: Counter[str]
    file_requests: int
    intact: bool
    cpu_s: float
    status: str

    @property
    def ttfb_s(self) -> Optional[float]:
        return None if self.first_byte_at is None else self.first_byte_at - self.added_at

    @property
    def transfer_s(self) -> Optional[float]:
        if self.first_byte_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.first_byte_at

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["api_calls"] = dict(self.api_calls)
        data["api_calls_total"] = sum(self.api_calls.values())
        data["ttfb_s"] = self.ttfb_s
        data["transfer_s"] = self.transfer_s
        return data


def cpu_seconds(pid: Optional[int]) -> float:
    """User plus system CPU time of a process (Linux; 0 elsewhere)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Bench:
    def __init__(
        self, stack: OffcloudPyloadStack, scenario: Scenario, say: Callable[[str], None]
    ) -> None:
        self.stack = stack
        self.scenario = scenario
        self.say = say
        self.counter = 0

    @property
    def pl(self) -> PyloadProcess:
        return self.stack.process

    def calls_since(self, index: int) -> list[CallRecord]:
        calls: list[CallRecord] = self.stack.simulator.calls
        return calls[index:]

    def run_job(self, item: Item, *, timeout: float = 300) -> JobRun:
        """Add ``item`` as its own package, wait until its files are finished, measure, clean up."""
        self.counter += 1
        package = f"bench-{self.counter:03d}"
        start_index = len(self.stack.simulator.calls)
        cpu_before = cpu_seconds(self.pl.pid)
        added_at = time.time()
        self.pl.add_package(package, [item.url])

        def done(pl: PyloadProcess) -> bool:
            mine = [f for f in pl.files() if f["name"] in item.names]
            finished = {f["name"] for f in mine if f["status"] == LinkStatus.FINISHED}
            failed = [f for f in mine if f["status"] in FINAL_STATUSES - {LinkStatus.FINISHED}]
            if failed:
                first = failed[0]
                raise RuntimeError(
                    f"{item.label}: {first['name']} ended {first['status_name']}: {first['error']}"
                )
            return finished == item.names

        self.pl.wait_until(done, timeout=timeout, interval=1.0)
        cpu = cpu_seconds(self.pl.pid) - cpu_before
        calls = self.calls_since(start_index)
        file_calls = [c for c in calls if c.kind == "file"]
        api = _routes(calls)
        paths = [self._on_disk(f["name"]) for f in item.files]
        intact = all(
            file_sha256(path) == expected_sha256(f["seed"], f["size"])
            for path, f in zip(paths, item.files)
        )
        run = JobRun(
            label=item.label,
            added_at=added_at,
            first_byte_at=min((c.time for c in file_calls), default=None),
            finished_at=max(path.stat().st_mtime for path in paths),
            api_calls=api,
            file_requests=len(file_calls),
            intact=intact,
            cpu_s=cpu,
            status="finished",
        )
        self._clean_up()
        return run

    def _on_disk(self, name: str) -> Path:
        found = [p for p in self.pl.storagedir.rglob(name) if p.is_file()]
        if len(found) != 1:
            raise RuntimeError(f"expected one {name} on disk, found {found}")
        return found[0]

    def _clean_up(self) -> None:
        pids = [p["pid"] for p in self.pl.queue()]
        if pids:
            self.pl.delete_packages(pids)
        for child in self.pl.storagedir.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()

    # ---- the sections ------------------------------------------------------------------------

    def throughput(self) -> list[dict[str, Any]]:
        config = self.scenario.config
        direct_items = iter(self.scenario.items["throughput-direct"])
        offcloud_items = iter(self.scenario.items["throughput-offcloud"])
        rows = []
        for chunks in config.chunks:
            self.pl.set_config_value("download", "chunks", chunks)
            runs: dict[str, list[JobRun]] = {"direct": [], "offcloud": []}
            for rep in range(config.reps):
                # Alternate the order, so neither side always runs on a warmer machine.
                order = ["direct", "offcloud"] if rep % 2 == 0 else ["offcloud", "direct"]
                for side in order:
                    item = next(direct_items if side == "direct" else offcloud_items)
                    run = self.run_job(item)
                    runs[side].append(run)
                    self.say(
                        f"  {chunks:>2} chunks  {side:<8}  {_mbps(run, config):7.1f} MB/s  "
                        f"{run.file_requests} connections  sha256 {'ok' if run.intact else 'WRONG'}"
                    )
            direct_speed = statistics.median(_mbps(r, config) for r in runs["direct"])
            offcloud_speed = statistics.median(_mbps(r, config) for r in runs["offcloud"])
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
        self.pl.set_config_value("download", "chunks", 3)
        return rows

    def first_byte_and_calls(self) -> list[dict[str, Any]]:
        rows = []
        for group in ("direct link", "hoster link", "cached magnet", "cloud folder"):
            runs = [self.run_job(item) for item in self.scenario.items[group]]
            for run in runs:
                calls = sum(run.api_calls.values())
                self.say(f"  {group:<14} first byte after {run.ttfb_s:.2f} s, {calls} API calls")
            rows.append(_job_row(group, runs))
        return rows

    def cloud_job(self) -> dict[str, Any]:
        item = self.scenario.items["cloud job"][0]
        run = self.run_job(item, timeout=self.scenario.config.cloud_job_s + 120)
        self.say(f"  {item.label}: {dict(run.api_calls)}")
        row = _job_row(item.label, [run])
        # How long after Offcloud had the file did pyLoad start fetching it (polling lag).
        row["first_byte_after_ready_s"] = round(
            (run.ttfb_s or 0) - self.scenario.config.cloud_job_s, 2
        )
        return row

    def stop_latency(self) -> dict[str, Any]:
        latencies = []
        for item in self.scenario.items["stop"]:
            self.counter += 1
            self.pl.add_package(f"bench-{self.counter:03d}", [item.url])
            fid = 0

            def waiting(pl: PyloadProcess, url: str = item.url) -> bool:
                nonlocal fid
                entry = next((f for f in pl.files() if f["url"] == url), None)
                if entry is None or "Offcloud" not in (entry.get("statusmsg") or ""):
                    return False
                fid = entry["fid"]
                return True

            self.pl.wait_until(waiting, timeout=60)
            self.pl.wait_for_api_budget(5)
            started = time.monotonic()
            self.pl.stop_downloads([fid])  # pyLoad answers when the download thread let go
            latency = time.monotonic() - started
            status = next(f for f in self.pl.files() if f["fid"] == fid)["status"]
            if status != LinkStatus.ABORTED:
                raise RuntimeError(f"stop: the link is {status}, not aborted")
            latencies.append(latency)
            self.say(f"  stop during a cloud wait took {latency:.2f} s")
            self._clean_up()
        return {
            "runs": len(latencies),
            "median_s": round(statistics.median(latencies), 3),
            "max_s": round(max(latencies), 3),
            "all_s": [round(x, 3) for x in latencies],
        }

    # ---- torrents at scale (issue 13) --------------------------------------------------------

    def queue_links(self) -> list[tuple[int, str, int, int]]:
        """(link id, name, status, package id) of every link in pyLoad's queue, read from its
        database.

        pyLoad writes its queue in autocommit mode, so the database is as current as its API,
        and reading it costs none of the 100 API calls a minute pyLoad allows.
        """
        rows = self._read_queue("l.id, l.name, l.status, l.package")
        return [(int(f), str(n or ""), int(s), int(p)) for f, n, s, p in rows]

    def queue_link_count(self) -> int:
        return int(self._read_queue("COUNT(*)")[0][0])

    def _read_queue(self, columns: str) -> list[tuple[Any, ...]]:
        uri = f"{self.pl.database_path.as_uri()}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, timeout=10)) as db:
            return db.execute(
                f"SELECT {columns} FROM links l JOIN packages p ON l.package = p.id "  # noqa: S608
                "WHERE p.queue = 1"
            ).fetchall()

    def _hook(self, option: str, value: Any) -> None:
        self.pl.set_config_value(HOOK, option, value, plugin=True)

    def _follow_interval(self, seconds: int) -> None:
        self._hook("follow_interval", seconds)
        # The loop keeps the round it planned with the old interval (up to 30 s away); saving
        # "follow" again restarts it, so the new interval applies from now.
        self._hook("follow", True)

    def _clean_up_many(self, decrypting: bool) -> float:
        """:meth:`_clean_up` for thousands of packages; the seconds pyLoad took."""
        started = time.monotonic()
        # pyLoad deletes thousands of packages slowly: more than its API client's 60 s on a busy
        # 2-CPU machine. Wait for it; it is reported, not a goal.
        timeout, self.pl.http_timeout = self.pl.http_timeout, max(self.pl.http_timeout, 1800.0)
        try:
            self._clean_up()
            if decrypting:
                time.sleep(2)  # decrypters that were running end; their packages go too
                self._clean_up()
        finally:
            self.pl.http_timeout = timeout
        return time.monotonic() - started

    def many_magnets(self, group: str) -> dict[str, Any]:
        """Cached magnets pasted at once, one of them twice: the seconds until every file link is
        in pyLoad's queue, the cache calls, the submissions per torrent."""
        items = self.scenario.items[group]
        hashes = {_info_hash(item.url) for item in items}
        names = {name for item in items for name in item.names}
        paste = [item.url for item in items]
        # The same torrent again under another name: still one job and one package.
        paste.insert(len(paste) // 2, build_magnet(_info_hash(items[0].url), "Bench.Again"))
        batches = math.ceil(len(hashes) / 1000)  # /api/cache takes 1,000 hashes a call (L13)
        max_downloads = int(self.pl.get_config("download", "max_downloads"))  # pyload.cfg
        # Thousands of tiny downloads would compete with the queueing; decrypting still runs.
        self.pl.set_config_value("download", "max_downloads", 0)
        start_index = len(self.stack.simulator.calls)
        cpu_before = cpu_seconds(self.pl.pid)
        added_at = time.time()
        self.pl.add_package(f"bench-{group.replace(' ', '-')}", paste)
        add_answered_s = time.time() - added_at
        queued_at = 0.0

        def all_queued(pl: PyloadProcess) -> bool:
            nonlocal queued_at
            if self.queue_link_count() < len(names):
                return False
            if not names <= {link[1] for link in self.queue_links()}:
                return False
            queued_at = time.time()
            return True

        self.pl.wait_until(all_queued, timeout=120 + 0.5 * len(items), interval=0.25)
        queued_s = queued_at - added_at
        cpu = cpu_seconds(self.pl.pid) - cpu_before
        links = self.queue_links()
        queued_names = [link[1] for link in links]
        packages = len({link[3] for link in links})
        line = self._bulk_line(len(paste))
        calls = self.calls_since(start_index)
        # The cache checks (/api/cache, /api/cache/info), not cache/download's resolutions.
        cache = [
            c
            for c in calls
            if c.kind == "api" and c.path.startswith("/api/cache") and _route(c) != CACHE_DOWNLOAD
        ]
        submitted = _submissions(calls, hashes)
        explores = sorted(c.time for c in calls if _route(c) in RESOLVES)
        clean_up_s = self._clean_up_many(decrypting=not line or line["left"] > 0)
        # Only now: a link pyLoad hands to a download thread while its package is being deleted
        # stays that thread's "active" link for good (DownloadThread skips a link without a
        # plugin and never clears it), and status_downloads answers HTTP 500 from then on
        # (the link's package is None). Seen once when this was done before the clean-up.
        self.pl.set_config_value("download", "max_downloads", max_downloads)
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
            "cache_calls_by_route": dict(_routes(cache)),
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
            "resolved_per_s_first_tenth": _rate(explores[: max(2, len(explores) // 10)]),
            "resolved_per_s_last_tenth": _rate(explores[-max(2, len(explores) // 10) :]),
            "pyload_cpu_s": round(cpu, 1),
            "clean_up_s": round(clean_up_s, 1),
            "api_calls": dict(_routes(calls)),
        }
        self.say(
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

    def _bulk_line(self, total: int, timeout: float = 30) -> Optional[dict[str, float]]:
        """The addon's "Bulk: N of M torrents queued ..." line for a batch of ``total`` links."""
        deadline = time.monotonic() + timeout
        while True:
            found = [m for m in _BULK_LINE.finditer(self.pl.log_text()) if int(m["total"]) == total]
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

    def pending_torrents(self) -> dict[str, Any]:
        """Uncached torrents pending at once: the API calls a minute while Offcloud works on them,
        and whether a pyLoad thread waits for them."""
        config = self.scenario.config
        items = self.scenario.items["pending"]
        hashes = {_info_hash(item.url) for item in items}
        self._follow_interval(config.pending_interval_s)
        start_index = len(self.stack.simulator.calls)
        added_at = time.time()
        self.pl.add_package("bench-pending", [item.url for item in items])

        def processing(pl: PyloadProcess) -> bool:
            links = self.queue_links()
            return len(links) == len(items) and all(
                link[2] == LinkStatus.PROCESSING for link in links
            )

        def followed(pl: PyloadProcess) -> bool:
            links = pl.files()
            return len(links) == len(items) and all(
                f["status"] == LinkStatus.PROCESSING and FOLLOWED in (f["statusmsg"] or "")
                for f in links
            )

        # pyLoad starts about one decrypter a second; each hands its job over and ends.
        self.pl.wait_until(processing, timeout=60 + 3 * len(items), interval=0.5)
        handed_over_s = time.time() - added_at
        self.pl.wait_until(followed, timeout=30, interval=1.0)  # the text only pyLoad's API has
        held_at_start = self.pl.status_downloads()
        # The window starts half an interval after a round of the loop (its history call), so
        # it holds whole rounds: window / interval of them.
        index = len(self.stack.simulator.calls)

        def history_asked(pl: PyloadProcess) -> bool:
            return any(_route(c) == HISTORY for c in self.calls_since(index))

        self.pl.wait_until(history_asked, timeout=2 * config.pending_interval_s + 30)
        time.sleep(config.pending_interval_s / 2)
        window_index = len(self.stack.simulator.calls)
        window_start = time.time()
        time.sleep(config.pending_window_s)
        window_end = time.time()
        held = self.pl.status_downloads()
        links = self.pl.files()
        window = [
            c for c in self.calls_since(window_index) if c.kind == "api" and c.time <= window_end
        ]
        seconds = window_end - window_start
        routes = _routes(window)
        submitted = _submissions(self.calls_since(start_index), hashes)
        still_followed = sum(
            1
            for f in links
            if f["status"] == LinkStatus.PROCESSING and FOLLOWED in (f["statusmsg"] or "")
        )
        self._clean_up()
        self._hook("follow_interval", FOLLOW_INTERVAL)
        result = {
            "torrents": len(items),
            "follow_interval_s": config.pending_interval_s,
            "handed_over_after_s": round(handed_over_s, 1),
            "window_s": round(seconds, 1),
            "calls_in_window": len(window),
            "calls_per_minute": round(len(window) * 60 / seconds, 2),
            "calls_in_window_by_route": dict(routes),
            "calls_per_minute_by_route": {
                route: round(n * 60 / seconds, 2) for route, n in sorted(routes.items())
            },
            "threads_held": len(held) + len(held_at_start),
            "links_followed": still_followed,
            "progress_shown": sum(1 for f in links if "%" in (f["statusmsg"] or "")),
            "cloud_submissions": sum(submitted.values()),
            "duplicate_submissions": sum(n - 1 for n in submitted.values() if n > 1),
        }
        self.say(
            f"  {len(items)} uncached torrents followed {handed_over_s:.0f} s after the add; "
            f"over {seconds:.0f} s (follow_interval {config.pending_interval_s} s): "
            f"{result['calls_per_minute']:.1f} API calls a minute ({_by_route(dict(routes))}); "
            f"{result['threads_held']} pyLoad threads held, {still_followed} links followed"
        )
        return result

    def capped_paste(self) -> dict[str, Any]:
        """Uncached magnets pasted at once under max_running_jobs: the most jobs that ran at
        Offcloud at once (the simulator's job table), and the time until every job is done and
        its file link queued (pyLoad's max_downloads 0 meanwhile: pyLoad starts one download or
        decrypter a second, and each torrent takes two decrypter runs already)."""
        config = self.scenario.config
        items = self.scenario.items["capped"]
        hashes = {_info_hash(item.url) for item in items}
        names = {name for item in items for name in item.names}
        max_downloads = int(self.pl.get_config("download", "max_downloads"))  # pyload.cfg
        self.pl.set_config_value("download", "max_downloads", 0)
        self._hook("max_running_jobs", config.cap)
        self._follow_interval(config.capped_interval_s)
        # A link handed to the addon's loop reads "aborted" until the loop marks it (0.5 s):
        # only a link that stays in a final state other than finished for 10 s has failed.
        ended_since: dict[int, float] = {}
        try:
            start_index = len(self.stack.simulator.calls)
            added_at = time.time()
            self.pl.add_package("bench-capped", [item.url for item in items])

            def done(pl: PyloadProcess) -> bool:
                nonlocal ended_since
                links = self.queue_links()
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
            self.pl.wait_until(done, timeout=120 + 4 * len(items), interval=0.25)
            done_s = time.time() - added_at
            sim_now, wall_now = self.stack.simulator.state.clock.now(), time.time()
        finally:
            self._hook("max_running_jobs", 0)
            self._hook("follow_interval", FOLLOW_INTERVAL)
        calls = self.calls_since(start_index)
        submitted = _submissions(calls, hashes)
        request_ids = {
            c.request_id
            for c in calls
            if _route(c) == ADD and c.request_id and _info_hash(c.body_summary or "") in hashes
        }
        jobs = self.stack.simulator.state.jobs
        spans = sorted(
            (job.started_at, job.started_at + job.queued + job.duration)
            for job in (jobs[request_id] for request_id in request_ids)
        )
        most = max((sum(1 for s, e in spans if s <= start < e) for start, _ in spans), default=0)
        # The decrypter's line for a torrent held back: "<name>: Waiting for a free ... slot".
        held_back = set(_HELD_BACK.findall(self.pl.log_text()))
        self._clean_up()
        self.pl.set_config_value("download", "max_downloads", max_downloads)  # after: see above
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
            "api_calls": dict(_routes(calls)),
        }
        self.say(
            f"  {len(items)} uncached magnets, max_running_jobs {config.cap} (follow_interval "
            f"{config.capped_interval_s} s, jobs of {config.capped_job_s:g} s): at most {most} "
            f"jobs ran at once; every file link queued after {done_s:.1f} s (the last job done "
            f"after {result['last_job_done_s']} s, the jobs ran over "
            f"{result['jobs_span_s']} s); {len(held_back)} held back for a slot; "
            f"{result['duplicate_submissions']} duplicate submissions"
        )
        return result


_BTIH = re.compile(r"btih:([0-9a-fA-F]{40})")
_HELD_BACK = re.compile(r"(Bench\.Capped\.\d+): " + re.escape(WAITING_SLOT))
_BULK_LINE = re.compile(
    r"Bulk: (?P<done>\d+) of (?P<total>\d+) torrents queued from Offcloud's cache in "
    r"(?P<secs>[\d.]+) s; (?P<left>\d+) go to the decrypter, (?P<repeats>\d+) links repeated"
)


def _info_hash(text: str) -> str:
    """The (lower-case) info-hash of the first magnet in ``text``; "" if none."""
    found = _BTIH.search(text)
    return found.group(1).lower() if found else ""


def _rate(times: list[float]) -> Optional[float]:
    """Events a second over ``times`` (sorted), or None for fewer than two."""
    if len(times) < 2 or times[-1] <= times[0]:
        return None
    return round((len(times) - 1) / (times[-1] - times[0]), 1)


def _route(call: CallRecord) -> str:
    return f"{call.method} {_ID_IN_PATH.sub('/{id}', call.path)}" if call.kind == "api" else ""


def _submissions(calls: list[CallRecord], hashes: set[str]) -> Counter[str]:
    """POST /api/cloud and cache/download calls for each torrent of ``hashes``."""
    found: Counter[str] = Counter()
    for call in calls:
        if _route(call) in SUBMITS:
            info_hash = _info_hash(call.body_summary or "")
            if info_hash in hashes:
                found[info_hash] += 1
    return found


def _routes(calls: list[Any]) -> Counter[str]:
    """API calls by route, with job ids replaced by ``{id}``."""
    return Counter(
        f"{c.method} {_ID_IN_PATH.sub('/{id}', c.path)}" for c in calls if c.kind == "api"
    )


def _mbps(run: JobRun, config: BenchConfig) -> float:
    seconds = run.transfer_s
    if not seconds or seconds <= 0:
        return float("nan")
    return config.size_mib * MIB / MB / seconds


def _job_row(label: str, runs: list[JobRun]) -> dict[str, Any]:
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


# ---------------------------------------------------------------------------------------------
# the report


def evaluate(results: dict[str, Any]) -> dict[str, Any]:
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


def _by_route(calls: dict[str, int]) -> str:
    return ", ".join(f"{route}: {n}" for route, n in sorted(calls.items())) or "none"


def render(results: dict[str, Any]) -> str:
    config, environment = results["config"], results["environment"]
    lines = [
        (
            f"Offcloud for pyLoad: benchmark ({config['name']}), {environment['cpus']} CPUs, "
            f"pyLoad {environment['pyload']}, on the local simulator"
        ),
        "",
        (
            f"Throughput, {config['size_mib']} MiB, median of {config['reps']} "
            "(Offcloud: a hoster link through a cloud job, then its CDN link; direct: the same "
            "bytes through pyLoad's DefaultPlugin; both through the simulator's proxy)"
        ),
        "| chunks | direct MB/s | Offcloud MB/s | ratio | CPU ms/MB direct | CPU ms/MB Offcloud |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    lines.extend(
        f"| {row['chunks']} | {row['direct_mb_s']:.1f} | {row['offcloud_mb_s']:.1f} "
        f"| {row['ratio']:.2f} | {row['direct_cpu_ms_per_mb']:.1f} "
        f"| {row['offcloud_cpu_ms_per_mb']:.1f} |"
        for row in results["throughput"]
    )
    lines += [
        "",
        (
            f"Jobs: first byte after adding (median of {config['ttfb_reps']}; a hoster link's "
            f"cloud job takes {HOSTER_JOB_S} s at Offcloud), Offcloud API calls (first run; add, "
            "polls, explore and instant: the most of any run)"
        ),
        (
            "| job | first byte after | API calls | add | status polls | explore | instant "
            "| by route |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in [*results["jobs"], results["cloud_job"]]:
        ttfb = "n/a" if row["ttfb_median_s"] is None else f"{row['ttfb_median_s']:.2f} s"
        lines.append(
            f"| {row['job']} | {ttfb} | {row['api_calls_first_run']} | {row['adds_max']} "
            f"| {row['status_polls_max']} | {row['explores_max']} | {row['instant_calls']} "
            f"| {_by_route(row['api_calls_first_run_by_route'])} |"
        )
    lines += ["", *_render_scale(results)]
    job = results["cloud_job"]
    lines += [
        "",
        (
            f"Cloud job: ready at Offcloud after {config['cloud_job_s']} s; pyLoad's first byte "
            f"{job['first_byte_after_ready_s']:.2f} s later, "
            f"after {job['status_polls']} status polls"
        ),
    ]
    stop = results["stop"]
    runs = f"{stop['runs']} run" + ("s" if stop["runs"] != 1 else "")
    goals = ", ".join(
        f"{name} {'met' if ok else 'MISSED'}" for name, ok in results["goals"].items()
    )
    lines += [
        "",
        (
            f"Stop during a cloud wait: median {stop['median_s']:.2f} s, "
            f"max {stop['max_s']:.2f} s ({runs})"
        ),
        "",
        f"Goals: {goals}",
    ]
    return "\n".join(lines)


def _seconds(value: Optional[float]) -> str:
    return "n/a" if value is None else f"{value:.1f} s"


def _render_scale(results: dict[str, Any]) -> list[str]:
    """Issue 13's figures: many torrents at once."""
    lines = [
        (
            "Torrents at scale: cached magnets pasted at once as one package, one of them twice "
            "(pyLoad's max_downloads 0 meanwhile); seconds from the add until every file link "
            f"is in pyLoad's queue (goal: 1,000 in {GOALS['magnets_queued_s']} s)"
        ),
        (
            "| magnets | all file links queued | the addon's figure | pyLoad's add answered "
            "| last explore or cache/download | resolved a second (first, last tenth) "
            "| cache calls | submissions (add or cache/download) "
            "| duplicates | pyLoad CPU | deleting the packages |"
        ),
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m in (results["magnets"], results.get("big_magnets")):
        if not m:
            continue
        addon = "n/a" if m["addon_bulk_s"] is None else f"{m['addon_bulk_s']:.1f} s"
        lines.append(
            f"| {m['magnets']} | {m['queued_s']:.1f} s | {addon} | {m['add_answered_s']:.1f} s "
            f"| {_seconds(m['last_explore_after_s'])} "
            f"| {m['resolved_per_s_first_tenth']}, {m['resolved_per_s_last_tenth']} "
            f"| {m['cache_calls']} (at most {m['cache_calls_allowed']}) "
            f"| {m['cloud_submissions']} | {m['duplicate_submissions']} "
            f"| {m['pyload_cpu_s']:.1f} s | {m['clean_up_s']:.1f} s |"
        )
    pending = results["pending"]
    interval = pending["follow_interval_s"]
    default = "the default" if interval == FOLLOW_INTERVAL else "lowered for this run"
    lines += [
        "",
        (
            f"{pending['torrents']} uncached torrents pending at once (follow_interval "
            f"{interval} s, {default}): {pending['calls_per_minute']:.1f} Offcloud API calls a "
            f"minute over {pending['window_s']:.0f} s "
            f"({_by_route(pending['calls_per_minute_by_route'])}, a minute each); "
            f"{pending['threads_held']} pyLoad threads held, {pending['links_followed']} of "
            f"{pending['torrents']} links followed in the background (status 13); all handed "
            f"over {pending['handed_over_after_s']:.0f} s after the add; "
            f"{pending['duplicate_submissions']} duplicate submissions"
        ),
    ]
    capped = results["capped"]
    interval = capped["follow_interval_s"]
    default = "the default" if interval == FOLLOW_INTERVAL else "lowered for this run"
    lines += [
        "",
        (
            f"{capped['torrents']} uncached magnets pasted at once, max_running_jobs "
            f"{capped['cap']} (jobs of {capped['job_s']:g} s at Offcloud, follow_interval "
            f"{interval} s, {default}): at most {capped['most_running']} jobs running at once "
            f"(the simulator's job table, {capped['jobs']} jobs); {capped['torrents_held_back']} "
            f"torrents held back for a slot; the last job done {capped['last_job_done_s']:.0f} s "
            f"and every file link queued {capped['all_queued_s']:.0f} s after the add (pyLoad's "
            f"max_downloads 0 meanwhile; the jobs ran over {capped['jobs_span_s']:.0f} s); "
            f"{capped['duplicate_submissions']} duplicate submissions"
        ),
    ]
    return lines


def run(config: BenchConfig, home: Path, say: Callable[[str], None]) -> dict[str, Any]:
    scenario = build_scenario(config)
    started = time.monotonic()
    with OffcloudPyloadStack(home, scenario=scenario.data) as stack:
        say(f"pyLoad and the simulator are up after {time.monotonic() - started:.1f} s")
        bench = Bench(stack, scenario, say)
        took: dict[str, float] = {}

        def section(name: str, title: str, measure: Callable[[], Any]) -> Any:
            say(title)
            begun = time.monotonic()
            result = measure()
            took[name] = round(time.monotonic() - begun, 1)
            say(f"  ({took[name]:.0f} s)")
            return result

        jobs = section(
            "jobs", "time to first byte and API calls per job", bench.first_byte_and_calls
        )
        cloud_job = section("cloud_job", "a cloud job", bench.cloud_job)
        throughput = section("throughput", "throughput", bench.throughput)
        stop = section("stop", "stop latency", bench.stop_latency)
        magnets = section(
            "magnets",
            f"{config.magnets} cached magnets pasted at once",
            lambda: bench.many_magnets("batch"),
        )
        pending = section(
            "pending", f"{config.pending} uncached torrents pending at once", bench.pending_torrents
        )
        capped = section(
            "capped",
            f"{config.capped} uncached magnets pasted under max_running_jobs {config.cap}",
            bench.capped_paste,
        )
        big_magnets = None
        if config.big_magnets:
            big_magnets = section(
                "big_magnets",
                f"{config.big_magnets} cached magnets pasted at once",
                lambda: bench.many_magnets("big batch"),
            )
        pyload_version = stack.process.server_version()
    results: dict[str, Any] = {
        "config": asdict(config),
        "environment": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "pyload": pyload_version,
            "machine": platform.machine(),
            "date": time.strftime("%Y-%m-%d"),
        },
        "throughput": throughput,
        "jobs": jobs,
        "cloud_job": cloud_job,
        "stop": stop,
        "magnets": magnets,
        "big_magnets": big_magnets,
        "pending": pending,
        "capped": capped,
        "seconds": round(time.monotonic() - started, 1),
        "section_seconds": took,
    }
    results["goals"] = evaluate(results)
    return results


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="./run bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the smallest configuration")
    parser.add_argument(
        "--json",
        type=Path,
        default=Path("build/bench/results.json"),
        help="where to write the figures",
    )
    parser.add_argument("--keep", action="store_true", help="keep pyLoad's folder (printed)")
    args = parser.parse_args(argv)
    config = QUICK if args.quick else FULL

    def say(text: str) -> None:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    home = Path(tempfile.mkdtemp(prefix="offcloud-bench-"))
    try:
        results = run(config, home, say)
    finally:
        if args.keep:
            say(f"pyLoad's folder: {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    say("")
    say(render(results))
    say(f"\nfigures written to {args.json} ({results['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
