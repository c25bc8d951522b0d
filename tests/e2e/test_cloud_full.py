"""A full Offcloud cloud (issue 19, item 1): real pyLoad, the simulator's ``live`` profile.

The account's cloud holds the user's own finished job and room for 2.5 more items of 1 MiB
(``accounts[].storage_bytes``, docs/api.md L23). Five cached 1 MiB magnets are added at once with
the default settings: every file arrives with its sha256, the user's job stays, no link fails,
and the simulator refused at least one add as full. With ``cache/download`` (L19) answering, five
cached magnets cost five ``cache/download`` calls and make no job at all.

One pyLoad and one simulator serve the module (``STACK``, tests/e2e/conftest.py). The
cache/download case runs first (the route answers); the full-cloud case then switches the route
off, so the plugins also meet its HTML 404 and fall back to add + explore. Only test speed is
configured: the background loop's rounds (``follow_interval`` 2 s) and the wait between tries
while the cloud is full (``full_wait``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyload")

from offcloud_api.harness.runner import FINAL_STATUSES, LinkStatus
from offcloud_api.harness.stack import OffcloudPyloadStack
from offcloud_api.magnet import build_magnet
from offcloud_api.simulator import expected_sha256, file_sha256

from .conftest import StackSpec

pytestmark = pytest.mark.e2e

DEFAULT_SCENARIO = (
    Path(__file__).parents[2] / "offcloud_api" / "simulator" / "default_scenario.json"
)
MIB = 1024 * 1024
FAILED_FOR_GOOD = {LinkStatus.FAILED, LinkStatus.OFFLINE, LinkStatus.TEMPOFFLINE}
OWN_JOB = "0c0ffee0c0ffee0c0ffee0aa"  # the user's own finished job: it must stay


def _hash(label: str) -> str:
    return hashlib.sha1(label.encode()).hexdigest()  # noqa: S324 - a made-up info-hash


DIRECT = [(_hash(f"direct-{n}"), f"Direct.{n}") for n in range(5)]  # cache/download on
FULL = [(_hash(f"full-{n}"), f"Full.{n}") for n in range(5)]  # a full cloud, route off
KEPT = [(_hash(f"kept-{n}"), f"Kept.{n}") for n in range(5)]  # the same, jobs kept after download


def _scenario() -> dict[str, Any]:
    scenario = json.loads(DEFAULT_SCENARIO.read_text(encoding="utf-8"))
    scenario["clock"] = {"speedup": 50.0}
    scenario["api"]["cache_download"] = True
    for info_hash, name in DIRECT + FULL + KEPT:
        scenario["torrents"].append(
            {
                "info_hash": info_hash,
                "name": name,
                "cached": True,
                "files": [{"path": f"{name}/{name}.bin", "size": MIB}],
            }
        )
    scenario["jobs"].append(
        {
            "request_id": OWN_JOB,
            "link": "https://example-hoster.test/file/own.bin",
            "name": "own.bin",
            "files": [{"path": "own.bin", "size": MIB}],
            "status": "downloaded",
        }
    )
    return scenario


# Only test speed: the background loop's rounds every 2 s, tries every 3 s instead of 5 min
# while the cloud is full.
STACK = StackSpec(
    "cloudfull",
    _scenario,
    options=[("OffcloudComHook", "follow_interval", 2), ("OffcloudComCleanup", "full_wait", 0.05)],
)


def _wait_all_finished(
    stack: OffcloudPyloadStack, source: str, names: list[str], timeout: float
) -> list[dict[str, Any]]:
    """Every link of the packages ``names`` finished; fails at once when one ends badly, or
    when a magnet's own link (in the package ``source``) does."""

    def done(_pl: Any) -> bool:
        everything = stack.process.files()
        files = [f for f in everything if f["package_name"] in names]
        bad = [f for f in files if f["status"] in FINAL_STATUSES - {LinkStatus.FINISHED}]
        # A magnet's link handed to the background loop is "aborted" for a moment, not failed.
        bad += [
            f for f in everything if f["package_name"] == source and f["status"] in FAILED_FOR_GOOD
        ]
        if bad:
            raise AssertionError(f"links ended badly: {bad}")
        return len(files) == len(names) and all(f["status"] == LinkStatus.FINISHED for f in files)

    stack.process.wait_until(done, timeout=timeout, interval=1.0)
    return [f for f in stack.process.files() if f["package_name"] in names]


def _assert_on_disk(stack: OffcloudPyloadStack, torrents: list[tuple[str, str]]) -> None:
    specs = {t.info_hash: t for t in stack.simulator.scenario.torrents}
    for info_hash, _name in torrents:
        (spec,) = specs[info_hash].files
        (path,) = stack.process.storagedir.rglob(spec.name)
        assert file_sha256(path) == expected_sha256(spec), path


def _calls(stack: OffcloudPyloadStack, path: str, hashes: list[str]) -> list[Any]:
    return [
        c
        for c in stack.simulator.api_calls()
        if c.method == "POST"
        and c.path == path
        and any(h in (c.body_summary or "").lower() for h in hashes)
    ]


def _jobs_of(stack: OffcloudPyloadStack, hashes: list[str]) -> list[dict[str, Any]]:
    return [
        job
        for job in stack.simulator.state.snapshot()["jobs"]
        if any(h in (job.get("original_link") or "").lower() for h in hashes)
    ]


def _figures(stack: OffcloudPyloadStack, since: int) -> str:
    """The API calls since call ``since``, by route (request ids left out)."""
    routes = Counter(
        re.sub(r"/[0-9a-f]{24}$", "", c.path) for c in stack.simulator.api_calls()[since:]
    )
    return ", ".join(f"{path.removeprefix('/api/')} {n}" for path, n in sorted(routes.items()))


def test_cached_magnets_come_from_cache_download_one_call_each_and_no_job(
    stack: OffcloudPyloadStack,
) -> None:
    hashes = [h for h, _ in DIRECT]
    before = len(stack.simulator.api_calls())
    started = time.monotonic()
    stack.process.add_package("direct", [build_magnet(h, name) for h, name in DIRECT])
    _wait_all_finished(stack, "direct", [name for _, name in DIRECT], timeout=120)
    took = time.monotonic() - started
    _assert_on_disk(stack, DIRECT)
    assert len(_calls(stack, "/api/cache/download", hashes)) == 5
    assert _calls(stack, "/api/cloud", hashes) == []
    assert _jobs_of(stack, hashes) == []  # nothing in the cloud, nothing to clean up
    print(  # noqa: T201 - the figures the report quotes (pytest -s shows them)
        f"cache/download: {took:.1f} s, {len(stack.simulator.api_calls()) - before} API calls; "
        f"{_figures(stack, before)}"
    )


def test_a_full_cloud_is_made_room_in_and_every_file_arrives(stack: OffcloudPyloadStack) -> None:
    sim = stack.simulator
    # The route is switched off: the plugins meet its HTML 404 and add + explore instead.
    sim.state.scenario = dataclasses.replace(
        sim.state.scenario, api=dataclasses.replace(sim.state.scenario.api, cache_download=False)
    )
    used = sim.storage()["storage_used"]  # the user's own job (and the scenario's others)
    sim.set_storage(used + int(2.5 * MIB))
    hashes = [h for h, _ in FULL]
    before = len(sim.api_calls())
    started = time.monotonic()

    stack.process.add_package("full", [build_magnet(h, name) for h, name in FULL])
    _wait_all_finished(stack, "full", [name for _, name in FULL], timeout=240)

    took = time.monotonic() - started
    _assert_on_disk(stack, FULL)
    storage = sim.storage()
    assert storage["cloud_full_refusals"] >= 1, "the cloud was never full: the test tests nothing"
    (own,) = [j for j in sim.state.snapshot()["jobs"] if j["request_id"] == OWN_JOB]
    assert own["removed"] is False, "the user's own job was removed"
    # One job per torrent: a refused add made none, and none was added twice.
    refused = [c for c in _calls(stack, "/api/cloud", hashes) if c.fault == "cloud_full"]
    adds = [c for c in _calls(stack, "/api/cloud", hashes) if c.fault != "cloud_full"]
    jobs = _jobs_of(stack, hashes)
    assert len({j["request_id"] for j in jobs}) == len(FULL)
    told = [
        line
        for path in sorted((stack.process.userdir / "logs").glob("*"))  # pyLoad's own log files
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
        if "your Offcloud cloud is full and holds no job pyLoad may remove" in line
    ]
    assert len(told) <= 1, told  # one notice, not one per link
    print(  # noqa: T201 - the figures the report quotes (pytest -s shows them)
        f"full cloud: {took:.1f} s, {len(sim.api_calls()) - before} API calls, "
        f"{len(adds)} adds taken, {len(refused)} refused as full "
        f"({storage['cloud_full_refusals']} in all), "
        f"{sum(1 for j in jobs if j['removed'])} of {len(jobs)} jobs removed; "
        f"{_figures(stack, before)}"
    )


def test_with_jobs_kept_after_download_a_full_cloud_still_gets_room(
    stack: OffcloudPyloadStack,
) -> None:
    """The user keeps jobs (after_download off): pyLoad's own finished jobs still make room."""
    sim = stack.simulator
    process = stack.process
    process.set_config_value("OffcloudComCleanup", "after_download", False, plugin=True)
    try:
        used = sim.storage()["storage_used"]
        sim.set_storage(used + int(2.5 * MIB))
        refused_before = sim.storage()["cloud_full_refusals"]
        hashes = [h for h, _ in KEPT]
        before = len(sim.api_calls())
        started = time.monotonic()

        process.add_package("kept", [build_magnet(h, name) for h, name in KEPT])
        _wait_all_finished(stack, "kept", [name for _, name in KEPT], timeout=240)

        took = time.monotonic() - started
        _assert_on_disk(stack, KEPT)
        assert sim.storage()["cloud_full_refusals"] > refused_before
        removals = [c for c in sim.api_calls()[before:] if "/cloud/remove" in c.path]
        jobs = _jobs_of(stack, hashes)
        removed = [j for j in jobs if j["removed"]]
        # Room came only from jobs this pyLoad made and had downloaded: at least the two that
        # filled the cloud went, the user's own job stayed.
        assert len(removed) >= 2, jobs
        assert removals
        (own,) = [j for j in sim.state.snapshot()["jobs"] if j["request_id"] == OWN_JOB]
        assert own["removed"] is False
        print(  # noqa: T201 - the figures the report quotes (pytest -s shows them)
            f"jobs kept: {took:.1f} s, {len(sim.api_calls()) - before} API calls, "
            f"{len(removed)} of {len(jobs)} jobs removed to make room; {_figures(stack, before)}"
        )
    finally:
        process.set_config_value("OffcloudComCleanup", "after_download", True, plugin=True)
