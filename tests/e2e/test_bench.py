"""The benchmark's smallest configuration runs, as a user runs it, and reports sound figures.

Timings are printed, not asserted (they depend on the machine); what is asserted is that every
section ran, every file arrived intact, and the counts the benchmark exists to watch: one cache
check per 100 magnets added together, no job submitted twice, a handful of status polls.
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
    assert set(jobs) == {"direct link", "instant link", "cached magnet", "cloud folder"}
    assert all(row["intact"] for row in jobs.values())
    assert all(row["ttfb_median_s"] > 0 for row in jobs.values())
    assert jobs["direct link"]["api_calls_first_run"] == 0
    assert jobs["instant link"]["api_calls_first_run_by_route"] == {"POST /api/instant": 1}
    assert jobs["cached magnet"]["api_calls_first_run_by_route"].get("POST /api/cloud") == 1
    assert "POST /api/cloud" not in jobs["cloud folder"]["api_calls_first_run_by_route"]
    assert all(row["submissions_max"] <= 1 for row in jobs.values())


def test_a_cloud_job_costs_one_submission_and_few_polls(results: dict) -> None:
    job = results["cloud_job"]
    assert job["intact"] is True
    assert job["api_calls_first_run_by_route"]["POST /api/cloud"] == 1
    assert 1 <= job["status_polls"] <= 10


def test_magnets_added_together_cost_one_cache_check_per_hundred(results: dict) -> None:
    magnets = results["magnets"]
    assert magnets["cache_calls"] == math.ceil(magnets["magnets"] / 100)
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
    }
    assert results["goals"]["files_intact"] is True
    assert results["goals"]["no_duplicate_submission"] is True
