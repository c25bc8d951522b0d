"""The benchmark's pure parts (bench/perf/): the goals' verdicts, the printed report and the JSON,
the call log read by route, a job's row, the scenario, and the sections ``./run bench`` runs.

The measurements themselves need a real pyLoad: tests/e2e/test_bench.py runs them (``-m bench``).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import math
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from offcloud_api.magnet import build_magnet
from offcloud_api.simulator.calllog import CallRecord

BENCH = Path(__file__).parents[1] / "bench"


def _load(name: str, path: Path, package: bool = False) -> ModuleType:
    """A bench module by its path (``./run bench`` runs them with bench/ first on sys.path)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, path, submodule_search_locations=[str(path.parent)] if package else None
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_load("perf", BENCH / "perf" / "__init__.py", package=True)
calls = importlib.import_module("perf.calls")
config = importlib.import_module("perf.config")
evaluate = importlib.import_module("perf.evaluate").evaluate
jobs = importlib.import_module("perf.jobs")
render_module = importlib.import_module("perf.render")
scenario = importlib.import_module("perf.scenario")
session = importlib.import_module("perf.session")
throughput = importlib.import_module("perf.throughput")
entry = _load("pyload_bench", BENCH / "pyload_bench.py")

HASH_A, HASH_B = "a" * 40, "b" * 40
JOB_ID = "0123456789abcdef01234567"


def _job(name: str, **figures: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "job": name,
        "runs": 1,
        "ttfb_median_s": 1.2,
        "ttfb_max_s": 1.2,
        "api_calls_first_run": 2,
        "api_calls_first_run_by_route": {"POST /api/cloud": 1, "GET /api/cloud/explore/{id}": 1},
        "api_calls_max": 2,
        "adds_max": 1,
        "status_polls": 0,
        "status_polls_max": 0,
        "explores_max": 1,
        "instant_calls": 0,
        "other_calls_max": 0,
        "removals_max": 1,
        "submissions_max": 1,
        "intact": True,
    }
    row.update(figures)
    return row


def _magnets(count: int, **figures: Any) -> dict[str, Any]:
    paste: dict[str, Any] = {
        "magnets": count,
        "queued_s": 0.8,
        "file_links_queued": count,
        "file_links_expected": count,
        "add_answered_s": 0.01,
        "addon_bulk_s": 0.6,
        "last_explore_after_s": 0.6,
        "resolved_per_s_first_tenth": 274.1,
        "resolved_per_s_last_tenth": 144.8,
        "cache_calls": 1,
        "cache_calls_allowed": 1,
        "cloud_submissions": count,
        "duplicate_submissions": 0,
        "pyload_cpu_s": 0.5,
        "clean_up_s": 0.4,
    }
    paste.update(figures)
    return paste


def _results() -> dict[str, Any]:
    """Figures as a quick run writes them, every goal met."""
    return {
        "config": {"name": "quick", "size_mib": 8, "reps": 1, "ttfb_reps": 1, "cloud_job_s": 6},
        "environment": {"cpus": 2, "pyload": "0.5.0"},
        "throughput": [
            {
                "chunks": 1,
                "direct_mb_s": 40.0,
                "offcloud_mb_s": 39.0,
                "ratio": 0.975,
                "direct_cpu_ms_per_mb": 6.04,
                "offcloud_cpu_ms_per_mb": 6.11,
                "intact": True,
            },
            {
                "chunks": 4,
                "direct_mb_s": 30.0,
                "offcloud_mb_s": 31.0,
                "ratio": 1.033,
                "direct_cpu_ms_per_mb": 7.0,
                "offcloud_cpu_ms_per_mb": 7.2,
                "intact": True,
            },
        ],
        "jobs": [
            _job(
                "direct link",
                api_calls_first_run=0,
                api_calls_first_run_by_route={},
                api_calls_max=0,
                adds_max=0,
                explores_max=0,
                removals_max=0,
                submissions_max=0,
            ),
            _job("hoster link", api_calls_first_run=3, status_polls=1, status_polls_max=1),
            _job("cached magnet"),
            _job(
                "cloud folder",
                adds_max=0,
                api_calls_first_run=1,
                api_calls_first_run_by_route={"GET /api/cloud/explore/{id}": 1},
                submissions_max=0,
            ),
        ],
        "cloud_job": _job(
            "cloud job (6 s)", status_polls=3, status_polls_max=3, first_byte_after_ready_s=1.76
        ),
        "stop": {"runs": 1, "median_s": 0.2, "max_s": 0.2},
        "magnets": _magnets(100),
        "big_magnets": None,
        "pending": {
            "torrents": 6,
            "follow_interval_s": 2,
            "handed_over_after_s": 6.0,
            "window_s": 4.0,
            "calls_per_minute": 90.0,
            "calls_per_minute_by_route": {
                "POST /api/cloud/status": 60.0,
                "GET /api/cloud/history": 30.0,
            },
            "threads_held": 0,
            "links_followed": 6,
            "duplicate_submissions": 0,
        },
        "capped": {
            "torrents": 6,
            "cap": 2,
            "follow_interval_s": 2,
            "job_s": 2.0,
            "jobs": 6,
            "most_running": 2,
            "jobs_span_s": 10.0,
            "last_job_done_s": 11.0,
            "all_queued_s": 14.1,
            "torrents_held_back": 4,
            "duplicate_submissions": 0,
        },
        "seconds": 82.0,
    }


def _set(results: dict[str, Any], path: str, value: Any) -> None:
    """``path`` like ``jobs.hoster link.instant_calls`` or ``throughput.0.ratio``."""
    *parents, last = path.split(".")
    node: Any = results
    for part in parents:
        if isinstance(node, list):
            node = (
                node[int(part)]
                if part.isdigit()
                else next(row for row in node if row["job"] == part)
            )
        else:
            node = node[part]
    node[last] = value


# ---- evaluation ----------------------------------------------------------------------------------


def test_every_goal_has_a_verdict_and_all_are_met() -> None:
    goals = evaluate(_results())
    assert set(goals) == (set(config.GOALS) | {"no_duplicate_submission", "files_intact"})
    assert [name for name, met in goals.items() if not met] == []


@pytest.mark.parametrize(
    ("path", "value", "missed"),
    [
        ("throughput.1.ratio", 0.94, "throughput_ratio"),
        ("jobs.cached magnet.ttfb_median_s", 1.6, "ttfb_s"),
        ("jobs.cloud folder.ttfb_median_s", 1.6, "ttfb_s"),
        ("jobs.hoster link.instant_calls", 1, "hoster_link_calls"),
        ("jobs.hoster link.adds_max", 2, "hoster_link_calls"),
        ("jobs.hoster link.explores_max", 0, "hoster_link_calls"),
        ("cloud_job.other_calls_max", 1, "hoster_link_calls"),
        ("cloud_job.removals_max", 2, "hoster_link_calls"),
        ("jobs.cached magnet.api_calls_max", 4, "cached_magnet_calls"),
        ("magnets.cache_calls", 2, "cache_calls_per_1000_magnets"),
        ("cloud_job.status_polls", 11, "polls_per_30s_job"),
        ("capped.duplicate_submissions", 1, "no_duplicate_submission"),
        ("pending.duplicate_submissions", 1, "no_duplicate_submission"),
        ("magnets.duplicate_submissions", 1, "no_duplicate_submission"),
        ("jobs.direct link.submissions_max", 2, "no_duplicate_submission"),
        ("magnets.queued_s", 60.5, "magnets_queued_s"),
        ("magnets.file_links_queued", 99, "magnets_queued_s"),
        ("pending.threads_held", 1, "no_thread_held"),
        ("pending.links_followed", 5, "no_thread_held"),
        ("capped.most_running", 3, "cap_held"),
        ("capped.most_running", 0, "cap_held"),
        ("capped.jobs", 5, "cap_held"),
        ("stop.max_s", 1.6, "stop_latency_s"),
        ("throughput.0.intact", False, "files_intact"),
        ("cloud_job.intact", False, "files_intact"),
    ],
)
def test_a_figure_past_its_goal_misses_that_goal_only(path: str, value: Any, missed: str) -> None:
    results = _results()
    _set(results, path, value)
    goals = evaluate(results)
    assert [name for name, met in goals.items() if not met] == [missed]


def test_goals_hold_on_their_bounds() -> None:
    results = _results()
    _set(results, "throughput.0.ratio", config.GOALS["throughput_ratio"])
    _set(results, "jobs.cached magnet.ttfb_median_s", config.GOALS["ttfb_s"])
    _set(results, "stop.max_s", config.GOALS["stop_latency_s"])
    _set(results, "magnets.queued_s", config.GOALS["magnets_queued_s"])
    _set(results, "cloud_job.status_polls", config.GOALS["polls_per_30s_job"])
    _set(results, "capped.most_running", 2)
    assert all(evaluate(results).values())


def test_the_big_paste_is_allowed_one_cache_call_per_thousand_magnets() -> None:
    results = _results()
    results["big_magnets"] = _magnets(10_000, cache_calls=10)
    assert evaluate(results)["cache_calls_per_1000_magnets"] is True
    results["big_magnets"]["cache_calls"] = 11
    assert evaluate(results)["cache_calls_per_1000_magnets"] is False
    # Its time is reported, not a goal; its duplicates are.
    results["big_magnets"].update(cache_calls=10, queued_s=600.0)
    assert all(evaluate(results).values())
    results["big_magnets"]["duplicate_submissions"] = 1
    assert evaluate(results)["no_duplicate_submission"] is False


# ---- rendering -----------------------------------------------------------------------------------


def _rendered(results: dict[str, Any]) -> list[str]:
    results["goals"] = evaluate(results)
    return render_module.render(results).splitlines()


def test_the_report_opens_with_the_throughput_table() -> None:
    lines = _rendered(_results())
    assert lines[0] == (
        "Offcloud for pyLoad: benchmark (quick), 2 CPUs, pyLoad 0.5.0, on the local simulator"
    )
    header = lines.index(
        "| chunks | direct MB/s | Offcloud MB/s | ratio | CPU ms/MB direct | CPU ms/MB Offcloud |"
    )
    assert lines[header - 1].startswith("Throughput, 8 MiB, median of 1 ")
    assert lines[header + 2 : header + 4] == [
        "| 1 | 40.0 | 39.0 | 0.97 | 6.0 | 6.1 |",
        "| 4 | 30.0 | 31.0 | 1.03 | 7.0 | 7.2 |",
    ]


def test_the_jobs_table_has_a_row_a_kind_and_the_cloud_job() -> None:
    results = _results()
    _set(results, "jobs.direct link.ttfb_median_s", None)
    lines = _rendered(results)
    assert "| direct link | n/a | 0 | 0 | 0 | 0 | 0 | none |" in lines
    assert (
        "| hoster link | 1.20 s | 3 | 1 | 1 | 1 | 0 "
        "| GET /api/cloud/explore/{id}: 1, POST /api/cloud: 1 |"
    ) in lines
    assert "| cloud job (6 s) | 1.20 s | 2 | 1 | 3 | 1 | 0 " in "\n".join(lines)
    assert any("a hoster link's cloud job takes 1 s at Offcloud" in line for line in lines)
    assert (
        "Cloud job: ready at Offcloud after 6 s; pyLoad's first byte 1.76 s later, "
        "after 3 status polls"
    ) in lines


def test_the_scale_table_lists_each_paste() -> None:
    results = _results()
    lines = _rendered(results)
    assert (
        "| 100 | 0.8 s | 0.6 s | 0.0 s | 0.6 s | 274.1, 144.8 | 1 (at most 1) | 100 | 0 "
        "| 0.5 s | 0.4 s |"
    ) in lines
    assert not any(line.startswith("| 10000 ") for line in lines)
    results["big_magnets"] = _magnets(
        10_000, cache_calls=10, cache_calls_allowed=10, addon_bulk_s=None, last_explore_after_s=None
    )
    lines = _rendered(results)
    big = next(line for line in lines if line.startswith("| 10000 "))
    assert big.startswith("| 10000 | 0.8 s | n/a | 0.0 s | n/a | ")
    assert "| 10 (at most 10) |" in big


def test_the_follow_interval_is_said_default_or_lowered() -> None:
    results = _results()
    text = "\n".join(_rendered(results))
    assert "6 uncached torrents pending at once (follow_interval 2 s, lowered for this run): " in (
        text
    )
    assert (
        "90.0 Offcloud API calls a minute over 4 s (GET /api/cloud/history: 30.0, "
        "POST /api/cloud/status: 60.0, a minute each)"
    ) in text
    assert "max_running_jobs 2 (jobs of 2 s at Offcloud, follow_interval 2 s, lowered" in text
    results["pending"]["follow_interval_s"] = config.FOLLOW_INTERVAL
    results["capped"]["follow_interval_s"] = config.FOLLOW_INTERVAL
    text = "\n".join(_rendered(results))
    assert "(follow_interval 30 s, the default): " in text
    assert "follow_interval 30 s, the default): at most 2 jobs running at once" in text


def test_stops_and_goals_close_the_report() -> None:
    results = _results()
    results["stop"]["max_s"] = 1.6
    lines = _rendered(results)
    assert lines[-3] == "Stop during a cloud wait: median 0.20 s, max 1.60 s (1 run)"
    assert lines[-1].startswith("Goals: throughput_ratio met, ttfb_s met, ")
    assert "stop_latency_s MISSED" in lines[-1]
    results["stop"]["runs"] = 5
    assert _rendered(results)[-3].endswith("(5 runs)")


def test_the_json_is_the_figures_indented_with_a_final_newline() -> None:
    results = _results()
    text = render_module.to_json(results)
    assert text.endswith("}\n")
    assert json.loads(text) == results
    assert '\n  "config": {\n' in text


# ---- the call log --------------------------------------------------------------------------------


def _call(method: str, path: str, body: str = "", kind: str = "api", at: float = 0.0) -> Any:
    return CallRecord(method, "api.test", path, None, 200, at, body_summary=body, kind=kind)


def test_routes_replace_job_ids_and_leave_out_file_requests() -> None:
    log = [
        _call("GET", f"/api/cloud/explore/{JOB_ID}"),
        _call("GET", f"/api/cloud/explore/{JOB_ID[::-1]}"),
        _call("POST", "/api/cloud"),
        _call("GET", f"/cdn/{JOB_ID}/file.bin", kind="file"),
    ]
    assert calls.route(log[0]) == calls.EXPLORE
    assert calls.route(log[3]) == ""
    assert calls.count_routes(log) == Counter({calls.EXPLORE: 2, calls.ADD: 1})
    assert calls.by_route(dict(calls.count_routes(log))) == (
        "GET /api/cloud/explore/{id}: 2, POST /api/cloud: 1"
    )
    assert calls.by_route({}) == "none"


def test_submissions_count_adds_and_cache_downloads_of_the_given_torrents() -> None:
    log = [
        _call("POST", "/api/cloud", build_magnet(HASH_A, "A")),
        _call("POST", "/api/cloud", f"magnet:?xt=urn:btih:{HASH_A.upper()}&dn=A+again"),
        _call("POST", "/api/cache/download", build_magnet(HASH_B, "B")),
        _call("POST", "/api/cloud/status", build_magnet(HASH_B, "B")),  # not a submission
        _call("POST", "/api/cloud", build_magnet("c" * 40, "not asked")),
        _call("POST", "/api/cloud", "https://rapidgator.net/file/x"),
    ]
    assert calls.submissions(log, {HASH_A, HASH_B}) == Counter({HASH_A: 2, HASH_B: 1})
    assert calls.info_hash(f"x magnet:?xt=urn:btih:{HASH_B.upper()}") == HASH_B
    assert calls.info_hash("no magnet here") == ""


def test_rate_is_events_a_second_between_the_first_and_the_last() -> None:
    assert calls.rate([10.0, 10.5, 11.0, 12.0]) == 1.5
    assert calls.rate([10.0]) is None
    assert calls.rate([10.0, 10.0]) is None


# ---- a job's row ---------------------------------------------------------------------------------


def _run(ttfb: Any, polls: int, **extra: int) -> Any:
    api = Counter({calls.ADD: 1, calls.POLL: polls, calls.EXPLORE: 1, calls.REMOVE: 1, **extra})
    first_byte = None if ttfb is None else 100.0 + ttfb
    return session.JobRun("job", 100.0, first_byte, 104.0, api, 2, True, 0.4, "finished")


def test_a_job_row_takes_the_first_run_and_the_most_of_any() -> None:
    runs = [_run(1.0, 2), _run(3.0, 5, **{"GET /api/account/info": 1}), _run(None, 1)]
    row = jobs.job_row("hoster link", runs)
    assert row["runs"] == 3
    assert row["ttfb_median_s"] == 2.0
    assert row["ttfb_max_s"] == 3.0
    assert row["api_calls_first_run"] == 5
    assert row["status_polls"] == 2
    assert row["status_polls_max"] == 5
    assert row["other_calls_max"] == 1  # the account look-up; the removal is not "other"
    assert row["removals_max"] == 1
    assert row["submissions_max"] == 1
    assert row["details"][2]["ttfb_s"] is None
    assert row["details"][0]["api_calls_total"] == 5
    assert jobs.job_row("x", [_run(None, 0)])["ttfb_median_s"] is None


def test_throughput_is_the_file_over_the_transfer() -> None:
    run = _run(2.0, 0)  # first byte at 102 s, last byte at 104 s
    assert run.transfer_s == 2.0
    assert throughput.mbps(run, config.QUICK) == pytest.approx(8 * config.MIB / config.MB / 2)
    assert math.isnan(throughput.mbps(_run(None, 0), config.QUICK))


# ---- the scenario and the sections ---------------------------------------------------------------


def test_the_quick_scenario_holds_every_group_the_sections_use() -> None:
    quick = config.QUICK
    built = scenario.build_scenario(quick)
    counts = {group: len(items) for group, items in built.items.items()}
    runs = quick.reps * len(quick.chunks)
    assert counts == {
        "throughput-direct": runs,
        "throughput-offcloud": runs,
        "direct link": quick.ttfb_reps,
        "hoster link": quick.ttfb_reps,
        "cached magnet": quick.ttfb_reps,
        "cloud folder": quick.ttfb_reps,
        "cloud job": 1,
        "stop": quick.stop_reps,
        "batch": quick.magnets,
        "pending": quick.pending,
        "capped": quick.capped,
    }
    assert built.items["cached magnet"][0].names == {"ep1-0.mkv", "ep2-0.mkv", "info-0.nfo"}
    assert built.data["name"] == "bench-quick"
    torrents = built.data["torrents"]
    assert len(torrents) == quick.ttfb_reps + quick.magnets + quick.pending + quick.capped
    assert len({t["info_hash"] for t in torrents}) == len(torrents)
    assert sum(1 for t in torrents if not t["cached"]) == quick.pending + quick.capped


def test_the_sections_run_in_order_and_the_big_paste_only_in_full() -> None:
    quick = [name for name, _, _ in entry.sections(config.QUICK)]
    full = [name for name, _, _ in entry.sections(config.FULL)]
    assert quick == ["jobs", "cloud_job", "throughput", "stop", "magnets", "pending", "capped"]
    assert full == [*quick, "big_magnets"]
    assert set(full) == set(entry.FIGURES)
    titles = {name: title for name, title, _ in entry.sections(config.FULL)}
    assert titles["magnets"] == "1000 cached magnets pasted at once"
    assert titles["capped"] == "200 uncached magnets pasted under max_running_jobs 10"
