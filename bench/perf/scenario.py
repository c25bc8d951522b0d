"""The simulator scenario the bench runs on (the default one plus the bench's own links, files,
torrents and jobs), and the items the bench adds to pyLoad, by group."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from offcloud_api.magnet import build_magnet

from .config import (
    CLOUD_HOSTER,
    DIRECT_HOST,
    FOLDER_SERVER,
    HOSTER,
    HOSTER_JOB_S,
    MIB,
    BenchConfig,
)


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
