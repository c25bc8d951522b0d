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

This file runs the sections in order and writes the figures; each measurement is a module of
``bench/perf/`` (``jobs``, ``throughput``, ``stop``, ``magnets``, ``pending``, ``capped``), beside
the scenario (``scenario``), the pyLoad under measurement (``session``), the goals' verdicts
(``evaluate``) and the report (``render``).

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
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable, Optional

from perf.capped import capped_paste
from perf.config import FULL, QUICK, BenchConfig
from perf.evaluate import evaluate
from perf.jobs import cloud_job, first_byte_and_calls
from perf.magnets import many_magnets
from perf.pending import pending_torrents
from perf.render import render, to_json
from perf.scenario import build_scenario
from perf.session import Session
from perf.stop import stop_latency
from perf.throughput import throughput

from offcloud_api.harness.stack import OffcloudPyloadStack

#: The figures of each section, in the order of the JSON file.
FIGURES = ("throughput", "jobs", "cloud_job", "stop", "magnets", "big_magnets", "pending", "capped")


def sections(config: BenchConfig) -> list[tuple[str, str, Callable[[Session], Any]]]:
    """The measurements in the order they run: (name in the figures, title said, measurement)."""
    planned: list[tuple[str, str, Callable[[Session], Any]]] = [
        ("jobs", "time to first byte and API calls per job", first_byte_and_calls),
        ("cloud_job", "a cloud job", cloud_job),
        ("throughput", "throughput", throughput),
        ("stop", "stop latency", stop_latency),
        (
            "magnets",
            f"{config.magnets} cached magnets pasted at once",
            lambda session: many_magnets(session, "batch"),
        ),
        ("pending", f"{config.pending} uncached torrents pending at once", pending_torrents),
        (
            "capped",
            f"{config.capped} uncached magnets pasted under max_running_jobs {config.cap}",
            capped_paste,
        ),
    ]
    if config.big_magnets:
        planned.append(
            (
                "big_magnets",
                f"{config.big_magnets} cached magnets pasted at once",
                lambda session: many_magnets(session, "big batch"),
            )
        )
    return planned


def run(config: BenchConfig, home: Path, say: Callable[[str], None]) -> dict[str, Any]:
    scenario = build_scenario(config)
    started = time.monotonic()
    measured: dict[str, Any] = {}
    took: dict[str, float] = {}
    with OffcloudPyloadStack(home, scenario=scenario.data) as stack:
        say(f"pyLoad and the simulator are up after {time.monotonic() - started:.1f} s")
        session = Session(stack, scenario, say)
        for name, title, measure in sections(config):
            say(title)
            begun = time.monotonic()
            measured[name] = measure(session)
            took[name] = round(time.monotonic() - begun, 1)
            say(f"  ({took[name]:.0f} s)")
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
        **{name: measured.get(name) for name in FIGURES},
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
    args.json.write_text(to_json(results), encoding="utf-8")
    say("")
    say(render(results))
    say(f"\nfigures written to {args.json} ({results['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
