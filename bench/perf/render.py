"""The bench's figures as the printed report (Markdown tables and lines) and as JSON (pure)."""

from __future__ import annotations

import json
from typing import Any, Optional

from .calls import by_route
from .config import FOLLOW_INTERVAL, GOALS, HOSTER_JOB_S


def to_json(results: dict[str, Any]) -> str:
    """The figures as the bench writes them to its JSON file."""
    return json.dumps(results, indent=2) + "\n"


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
            f"| {by_route(row['api_calls_first_run_by_route'])} |"
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
    lines += [
        "",
        (
            f"{pending['torrents']} uncached torrents pending at once (follow_interval "
            f"{_interval(pending)}): {pending['calls_per_minute']:.1f} Offcloud API calls a "
            f"minute over {pending['window_s']:.0f} s "
            f"({by_route(pending['calls_per_minute_by_route'])}, a minute each); "
            f"{pending['threads_held']} pyLoad threads held, {pending['links_followed']} of "
            f"{pending['torrents']} links followed in the background (status 13); all handed "
            f"over {pending['handed_over_after_s']:.0f} s after the add; "
            f"{pending['duplicate_submissions']} duplicate submissions"
        ),
    ]
    capped = results["capped"]
    lines += [
        "",
        (
            f"{capped['torrents']} uncached magnets pasted at once, max_running_jobs "
            f"{capped['cap']} (jobs of {capped['job_s']:g} s at Offcloud, follow_interval "
            f"{_interval(capped)}): at most {capped['most_running']} jobs running at once "
            f"(the simulator's job table, {capped['jobs']} jobs); {capped['torrents_held_back']} "
            f"torrents held back for a slot; the last job done {capped['last_job_done_s']:.0f} s "
            f"and every file link queued {capped['all_queued_s']:.0f} s after the add (pyLoad's "
            f"max_downloads 0 meanwhile; the jobs ran over {capped['jobs_span_s']:.0f} s); "
            f"{capped['duplicate_submissions']} duplicate submissions"
        ),
    ]
    return lines


def _interval(section: dict[str, Any]) -> str:
    """A section's follow_interval, and whether it is the addon's default."""
    interval = section["follow_interval_s"]
    default = "the default" if interval == FOLLOW_INTERVAL else "lowered for this run"
    return f"{interval} s, {default}"
