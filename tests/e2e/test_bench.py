"""The benchmark's smallest configuration runs, as a user runs it, and reports sound figures.

Timings are printed, not asserted (they depend on the machine); what is asserted is that every
section ran, every file arrived intact, and the counts the benchmark exists to watch: one cache
call per 1,000 magnets added together, a hoster link's 1 add + polls + 1 explore and no instant
call, a cached magnet in at most 3 calls, no job submitted twice, a handful of status polls (all on
the simulator's default profile, live).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pyload")

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("bench") / "results.json"
    done = subprocess.run(
        [sys.executable, "bench/pyload_bench.py", "--quick", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    sys.stdout.write(done.stdout)  # the table, in the log of a failing run (pytest captures it)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "| chunks | direct MB/s | Offcloud MB/s | ratio |" in done.stdout
    return json.loads(out.read_text(encoding="utf-8"))


def test_throughput_compares_both_sides_for_each_chunk_setting(results: dict) -> None:
    rows = results["throughput"]
    assert [row["chunks"] for row in rows] == list(results["config"]["chunks"])
    for row in rows:
        assert row["intact"] is True
        assert row["direct_mb_s"] > 0
        assert row["offcloud_mb_s"] > 0
        assert math.isclose(row["ratio"], row["offcloud_mb_s"] / row["direct_mb_s"], rel_tol=0.02)
        # pyLoad really opened that many connections to the file server.
        assert row["connections"] == row["chunks"]


def test_every_job_kind_was_measured_with_its_api_calls(results: dict) -> None:
    jobs = {row["job"]: row for row in results["jobs"]}
    assert set(jobs) == {"direct link", "hoster link", "cached magnet", "cloud folder"}
    assert all(row["intact"] for row in jobs.values())
    assert all(row["ttfb_median_s"] > 0 for row in jobs.values())
    assert jobs["direct link"]["api_calls_first_run"] == 0
    # Live (docs/offcloud-api.md §00): no instant route, so a hoster link is a cloud job: 1 add,
    # its status polls (none if the add already says downloaded), 1 explore, and nothing else.
    hoster = jobs["hoster link"]
    routes = hoster["api_calls_first_run_by_route"]
    assert routes.get("POST /api/instant", 0) == 0
    assert hoster["instant_calls"] == 0
    assert routes["POST /api/cloud"] == 1
    assert routes["GET /api/cloud/explore/{id}"] == 1
    assert routes.get("POST /api/cloud/status", 0) >= 0
    assert hoster["api_calls_first_run"] == 2 + routes.get("POST /api/cloud/status", 0)
    assert hoster["adds_max"] == 1
    assert hoster["explores_max"] == 1
    assert hoster["other_calls_max"] == 0
    # A cached magnet: the add answers downloaded (L5), then one explore; at most 3 calls.
    magnet = jobs["cached magnet"]
    assert magnet["api_calls_max"] <= 3
    assert magnet["api_calls_first_run_by_route"]["POST /api/cloud"] == 1
    assert magnet["api_calls_first_run_by_route"]["GET /api/cloud/explore/{id}"] == 1
    assert magnet["instant_calls"] == 0
    folder = jobs["cloud folder"]["api_calls_first_run_by_route"]
    assert "POST /api/cloud" not in folder
    assert folder["GET /api/cloud/explore/{id}"] == 1
    assert all(row["instant_calls"] == 0 for row in jobs.values())
    assert all(row["submissions_max"] <= 1 for row in jobs.values())


def test_throughput_goes_through_a_cloud_job(results: dict) -> None:
    for row in results["throughput"]:
        for run in row["runs"]["offcloud"]:
            assert run["api_calls"].get("POST /api/instant", 0) == 0
            assert run["api_calls"]["POST /api/cloud"] == 1
            assert run["api_calls"]["GET /api/cloud/explore/{id}"] == 1
        for run in row["runs"]["direct"]:
            assert run["api_calls"] == {}


def test_a_cloud_job_costs_one_submission_and_few_polls(results: dict) -> None:
    job = results["cloud_job"]
    assert job["intact"] is True
    assert job["api_calls_first_run_by_route"]["POST /api/cloud"] == 1
    assert job["api_calls_first_run_by_route"]["GET /api/cloud/explore/{id}"] == 1
    assert job["instant_calls"] == 0
    assert job["other_calls_max"] == 0
    assert 1 <= job["status_polls"] <= 10


def test_magnets_added_together_cost_one_cache_call_per_thousand(results: dict) -> None:
    magnets = results["magnets"]
    allowed = math.ceil(magnets["magnets"] / 1000)
    assert magnets["cache_calls_allowed"] == allowed
    # /api/cache takes bare hashes, 1,000 a call (L13); /api/cache/info is never asked.
    assert magnets["cache_calls_by_route"] == {"POST /api/cache": allowed}
    assert magnets["cache_calls"] == allowed
    assert magnets["decrypted_in_window"] >= 1
    assert magnets["duplicate_submissions"] == 0


def test_stops_were_measured_and_the_goals_evaluated(results: dict) -> None:
    assert results["stop"]["runs"] == results["config"]["stop_reps"]
    assert results["stop"]["max_s"] > 0
    assert set(results["goals"]) >= {
        "throughput_ratio",
        "stop_latency_s",
        "no_duplicate_submission",
        "files_intact",
        "hoster_link_calls",
        "cached_magnet_calls",
        "cache_calls_per_1000_magnets",
    }
    assert results["goals"]["files_intact"] is True
    assert results["goals"]["no_duplicate_submission"] is True
    # The counts issue 11 asks for hold on every run, whatever the machine's speed.
    assert results["goals"]["hoster_link_calls"] is True
    assert results["goals"]["cached_magnet_calls"] is True
    assert results["goals"]["cache_calls_per_1000_magnets"] is True
