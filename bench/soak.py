"""The soak (issue 19, acceptance): a mix of links left alone in a real pyLoad while the simulated
Offcloud misbehaves and pyLoad is restarted twice, once cleanly and once killed.

40 hoster links and 30 magnets (20 cached, 10 uncached: 106 files in all) are added at once. The
simulator (live profile) fails a seeded share of calls: 5% HTML 500, 3% 429, 2% dropped calls, 2%
truncated answers, and 2% of file transfers drop mid-body (its ``random`` fault, SCENARIO.md).
pyLoad is stopped and started again once a share of the files is in, and killed (SIGKILL) and
started again later. Nothing is touched by hand: no link is restarted, no option changed. Every
file must arrive with the right sha256, and no link or torrent may have two jobs in the simulator's
job table. Prints the total time, the API calls by route, the faulted answers, the duplicates and
pyLoad's peak memory (VmHWM of each pyLoad process, read from /proc). Not part of the test run
(it takes minutes). Usage::

    .venv/bin/python bench/soak.py [--seed soak-1] [--timeout 1200] [--json out.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Optional

from offcloud_api.harness.runner import LinkStatus, PyloadProcess
from offcloud_api.harness.stack import OffcloudPyloadStack
from offcloud_api.magnet import build_magnet
from offcloud_api.simulator import expected_sha256, file_sha256

DEFAULT_SCENARIO = (
    Path(__file__).parents[1] / "offcloud_api" / "simulator" / "default_scenario.json"
)
KIB = 1024
#: The issue's mix of faults: shares of API calls and of file transfers.
SHARES = {
    "html_500": 0.05,
    "rate_limit": 0.03,
    "drop": 0.02,
    "truncated_json": 0.02,
    "file_drop": 0.02,
}
#: pyLoad is stopped cleanly once this share of the files is in, and killed at the second.
CLEAN_AT, KILL_AT = 0.25, 0.55
_BTIH = re.compile(r"btih:([0-9a-fA-F]{40})")
_RESTARTED = re.compile(r"Restarted (\d+) Offcloud links that were queued or downloading")
_DROPPED = "The connection to Offcloud's file server dropped ("
_ID_SEGMENT = re.compile(r"/(?:[0-9a-f]{16,}|\d+)(?=/|$)")


def _hash(label: str) -> str:
    return hashlib.sha1(label.encode()).hexdigest()  # noqa: S324 - a made-up info-hash


def build_mix() -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str], list[str]]:
    """Scenario links and torrents of the mix, the hoster URLs and the magnets (106 files)."""
    links, urls = [], []
    for i in range(40):
        # Half of a host pyLoad has its own plugin for (the account takes it over), half not.
        url = (
            f"https://nitroflare.com/view/SOAK{i:02d}/soak-h{i:02d}.bin"
            if i % 2
            else f"https://example-hoster.test/file/soak{i:02d}/soak-h{i:02d}.bin"
        )
        links.append(
            {
                "url": url,
                "file": {"name": f"soak-h{i:02d}.bin", "size": 512 * KIB},
                "duration": 2 + (i * 7) % 19,
            }
        )
        urls.append(url)
    torrents, magnets = [], []
    for i in range(30):
        cached = i < 20
        name = f"Soak.{'C' if cached else 'U'}{i:02d}"
        count = 2 if cached or i >= 26 else 3  # 20*2 + 6*3 + 4*2 = 66 files
        entry: dict[str, Any] = {
            "info_hash": _hash(name),
            "name": name,
            "cached": cached,
            "files": [
                {"path": f"{name}/{name.lower()}-{j}.mkv", "size": 256 * KIB} for j in range(count)
            ],
        }
        if not cached:
            entry.update(duration=20 + (i * 11) % 50, queued=1)
        torrents.append(entry)
        magnets.append(build_magnet(entry["info_hash"], name))
    return links, torrents, urls, magnets


# ---------------------------------------------------------------------------------------------
# evaluation (unit-tested in tests/test_soak.py)


def job_key(original_link: str) -> str:
    """What one job stands for: a torrent's info-hash, else the link."""
    found = _BTIH.search(original_link)
    return found.group(1).lower() if found else original_link


def duplicates(jobs: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Links or torrents with more than one cloud job (removed ones count), and how many."""
    counts = Counter(
        job_key(str(job.get("original_link") or ""))
        for job in jobs
        if job.get("kind", "cloud") == "cloud"
    )
    return {key: n for key, n in counts.items() if n > 1}


def route_of(path: str) -> str:
    """An API path with its ids taken out: ``/api/cloud/status/{id}`` counts as one route."""
    return _ID_SEGMENT.sub("/{id}", path.split("?", maxsplit=1)[0])


def tally(calls: Iterable[Any]) -> dict[str, Any]:
    """API calls by route, faulted answers by kind (API calls and file transfers)."""
    routes: Counter[str] = Counter()
    faults: Counter[str] = Counter()
    files = 0
    for call in calls:
        kind = getattr(call, "kind", "")
        if kind == "api":
            routes[f"{call.method} {route_of(call.path)}"] += 1
        elif kind == "file":
            files += 1
        else:
            continue
        if getattr(call, "fault", None):
            faults[f"{kind} {call.fault}"] += 1
    return {
        "api_calls": sum(routes.values()),
        "by_route": dict(routes.most_common()),
        "file_requests": files,
        "faulted": dict(faults.most_common()),
        "faulted_total": sum(faults.values()),
    }


def addon_restarts(log: str) -> list[int]:
    """How many links the addon restarted at each pyLoad start (its notices in pyLoad's log)."""
    return [int(n) for n in _RESTARTED.findall(log)]


def dropped_connections(log: str) -> int:
    """File downloads whose connection dropped and that were resumed (the downloader's warning;
    pyLoad's "Download restarted" line repeats the text and is not counted)."""
    return sum(1 for line in log.splitlines() if _DROPPED in line and " WARNING " in line)


def log_files(pl: PyloadProcess) -> str:
    """pyLoad's own log files (its console output repeats them)."""
    folder = pl.userdir / "logs"
    return "\n".join(
        path.read_text(encoding="utf-8", errors="replace")
        for path in sorted(folder.iterdir())
        if path.is_file()
    )


def peak_rss_kib(pid: Optional[int]) -> int:
    """The peak resident memory of a running process (``VmHWM``), 0 if it cannot be read."""
    if pid is None:
        return 0
    try:
        text = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return 0
    found = re.search(r"^VmHWM:\s+(\d+)\s+kB", text, re.MULTILINE)
    return int(found.group(1)) if found else 0


def verify(expected: Mapping[str, str], found: Mapping[str, list[Path]]) -> dict[str, str]:
    """Files that did not arrive intact (name → why); ``expected`` is name → sha256."""
    bad: dict[str, str] = {}
    for name, digest in expected.items():
        paths = found.get(name, [])
        if len(paths) != 1:
            bad[name] = f"{len(paths)} copies"
        elif file_sha256(paths[0]) != digest:
            bad[name] = "wrong sha256"
    return bad


# ---------------------------------------------------------------------------------------------
# the run


class Watch:
    """pyLoad's peak memory across its processes."""

    def __init__(self, pl: PyloadProcess) -> None:
        self.pl = pl
        self.peaks: dict[int, int] = {}

    def sample(self) -> None:
        pid = self.pl.pid
        if pid is not None:
            self.peaks[pid] = max(self.peaks.get(pid, 0), peak_rss_kib(pid))

    @property
    def peak_mib(self) -> float:
        return round(max(self.peaks.values(), default=0) / 1024, 1)


def run(seed: str, timeout: float) -> dict[str, Any]:
    links, torrents, urls, magnets = build_mix()
    scenario = json.loads(DEFAULT_SCENARIO.read_text(encoding="utf-8"))
    scenario["links"] += links
    scenario["torrents"] += torrents
    expected = {
        **{link["file"]["name"]: link for link in links},
        **{f["path"].rpartition("/")[2]: f for t in torrents for f in t["files"]},
    }
    total = len(expected)
    home = Path(tempfile.mkdtemp(prefix="offcloud-soak-"))
    result: dict[str, Any] = {"files": total, "seed": seed}
    try:
        with OffcloudPyloadStack(home, scenario=scenario) as stack:
            pl = stack.process
            sim = stack.simulator
            specs = {
                **{lk.files[0].name: lk.files[0] for lk in sim.scenario.links if lk.files},
                **{f.name: f for t in sim.scenario.torrents for f in t.files},
            }
            digests = {name: expected_sha256(specs[name]) for name in expected}
            watch = Watch(pl)
            calls_before = len(sim.calls)
            # The scenario's own history (jobs made before pyLoad started) is not the soak's.
            jobs_before = {job["request_id"] for job in sim.state.snapshot()["jobs"]}
            sim.inject({"kind": "random", "seed": seed, "shares": SHARES})
            started = time.monotonic()
            pl.add_package("Soak hosters", urls)
            pl.add_package("Soak torrents", magnets)
            restarts: list[dict[str, Any]] = []

            def done() -> set[str]:
                return {
                    f["name"]
                    for f in pl.files()
                    if f["status"] == LinkStatus.FINISHED and f["name"] in expected
                }

            finished: set[str] = set()
            while len(finished) < total:
                if time.monotonic() - started > timeout:
                    break
                watch.sample()
                finished = done()
                step = len(restarts)
                if step < 2 and len(finished) >= total * (CLEAN_AT, KILL_AT)[step]:
                    kill = step == 1
                    restarts.append(
                        {
                            "kill": kill,
                            "after_s": round(time.monotonic() - started, 1),
                            "files_in": len(finished),
                        }
                    )
                    stack.restart_pyload(kill=kill)
                    continue
                time.sleep(3)
            elapsed = time.monotonic() - started
            watch.sample()
            states = Counter(f["status_name"] for f in pl.files())
            found: dict[str, list[Path]] = {}
            for path in pl.storagedir.rglob("*"):
                if path.is_file() and path.name in expected:
                    found.setdefault(path.name, []).append(path)
            bad = verify(digests, found)
            jobs = [
                job for job in sim.state.snapshot()["jobs"] if job["request_id"] not in jobs_before
            ]
            result.update(
                {
                    "arrived_intact": total - len(bad),
                    "not_intact": bad,
                    "total_s": round(elapsed, 1),
                    "restarts": restarts,
                    "link_states": dict(states),
                    "jobs": len(jobs),
                    "duplicated_jobs": duplicates(jobs),
                    "pyload_peak_rss_mib": watch.peak_mib,
                    "pyload_processes": len(watch.peaks),
                    "links_restarted_by_the_addon": addon_restarts(log_files(pl)),
                    "dropped_file_connections_resumed": dropped_connections(log_files(pl)),
                    **tally(sim.calls[calls_before:]),
                }
            )
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return result


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seed", default="soak-1")
    parser.add_argument("--timeout", type=float, default=1200.0)
    parser.add_argument("--json", type=Path, help="also write the figures there")
    args = parser.parse_args(argv)
    result = run(args.seed, args.timeout)
    text = json.dumps(result, indent=2)
    sys.stdout.write(text + "\n")
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    ok = result["arrived_intact"] == result["files"] and not result["duplicated_jobs"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
