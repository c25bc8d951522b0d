"""bench/soak.py's evaluation: the mix, duplicated jobs, API routes, faults, memory, sha256.

The soak itself runs minutes against a real pyLoad and is not part of the test run.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from offcloud_api.magnet import build_magnet

SCRIPT = Path(__file__).parents[1] / "bench" / "soak.py"


@pytest.fixture(scope="module")
def soak() -> Any:
    spec = importlib.util.spec_from_file_location("soak_bench", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_mix_is_the_issues(soak: Any) -> None:
    links, torrents, urls, magnets = soak.build_mix()
    assert len(urls) == len(links) == 40
    assert len(magnets) == len(torrents) == 30
    assert sum(1 for t in torrents if t["cached"]) == 20
    files = len(links) + sum(len(t["files"]) for t in torrents)
    assert files == 106
    names = [link["file"]["name"] for link in links]
    names += [f["path"].rpartition("/")[2] for t in torrents for f in t["files"]]
    assert len(set(names)) == files, "every file name once: the check finds files by name"
    assert sum(soak.SHARES.values()) == pytest.approx(0.14)


def test_duplicates_count_jobs_per_link_and_per_torrent(soak: Any) -> None:
    info_hash = "ab" * 20
    jobs = [
        {"original_link": "https://host.test/a", "kind": "cloud"},
        {"original_link": "https://host.test/b", "kind": "cloud"},
        {"original_link": "https://host.test/b", "kind": "cloud", "removed": True},
        {"original_link": build_magnet(info_hash, "One"), "kind": "cloud"},
        {"original_link": build_magnet(info_hash.upper(), "Same torrent"), "kind": "cloud"},
        {"original_link": "https://host.test/a", "kind": "remote"},  # not a cloud job
    ]
    assert soak.duplicates(jobs) == {"https://host.test/b": 2, info_hash: 2}
    assert soak.duplicates(jobs[:2]) == {}


def test_routes_and_faults_are_tallied(soak: Any) -> None:
    def call(kind: str, path: str, fault: Any = None, method: str = "GET") -> Any:
        return SimpleNamespace(kind=kind, path=path, fault=fault, method=method)

    calls = [
        call("api", "/api/cloud", method="POST"),
        call("api", "/api/cloud", "server_error", method="POST"),
        call("api", "/api/cloud/status/5f1e2d3c4b5a69788796a5b4"),
        call("api", "/api/cloud/status/0123456789abcdef0123"),
        call("api", "/api/cloud/explore/5f1e2d3c4b5a69788796a5b4?format=detailed", "drop"),
        call("file", "/cdn3sto/x/token/a.bin", "file_drop"),
        call("file", "/cdn3sto/x/token/a.bin"),
        call("control", "/_sim/faults", "ignored"),
    ]
    got = soak.tally(calls)
    assert got["api_calls"] == 5
    assert got["by_route"] == {
        "GET /api/cloud/status/{id}": 2,
        "POST /api/cloud": 2,
        "GET /api/cloud/explore/{id}": 1,
    }
    assert got["file_requests"] == 2
    assert got["faulted"] == {"api server_error": 1, "api drop": 1, "file file_drop": 1}
    assert got["faulted_total"] == 3


def test_the_logs_say_what_the_addon_restarted_and_what_dropped(soak: Any) -> None:
    restarted = "Offcloud links that were queued or downloading when pyLoad stopped"
    dropped = (
        "The connection to Offcloud's file server dropped (the connection broke while "
        "receiving, curl error 56); resuming the download in 2 s"
    )
    log = "\n".join(
        [
            f"[t]  INFO  pyload  ADDON OffcloudComHook: Restarted 72 {restarted}",
            f"[t]  INFO  pyload  ADDON OffcloudComHook: Restarted 7 {restarted}",
            f"[t]  WARNING  pyload  DOWNLOADER OffcloudCom[39]: OffcloudCom | {dropped}",
            f"[t]  INFO  pyload  Download restarted: a.bin | {dropped}",
        ]
    )
    assert soak.addon_restarts(log) == [72, 7]
    assert soak.dropped_connections(log) == 1
    assert soak.addon_restarts("") == []


def test_peak_memory_is_read_from_proc(soak: Any) -> None:
    if not Path("/proc/self/status").exists():
        pytest.skip("no /proc here")
    assert soak.peak_rss_kib(os.getpid()) > 1000
    assert soak.peak_rss_kib(None) == 0
    assert soak.peak_rss_kib(2**30) == 0  # no such process


def test_verify_names_missing_doubled_and_wrong_files(soak: Any, tmp_path: Path) -> None:
    from offcloud_api.simulator import file_sha256  # noqa: PLC0415

    good = tmp_path / "good.bin"
    good.write_bytes(b"right bytes")
    wrong = tmp_path / "wrong.bin"
    wrong.write_bytes(b"wrong bytes")
    twice = [tmp_path / "a" / "twice.bin", tmp_path / "b" / "twice.bin"]
    expected = {
        "good.bin": file_sha256(good),
        "wrong.bin": file_sha256(good),
        "twice.bin": file_sha256(good),
        "missing.bin": file_sha256(good),
    }
    found = {"good.bin": [good], "wrong.bin": [wrong], "twice.bin": twice}
    assert soak.verify(expected, found) == {
        "wrong.bin": "wrong sha256",
        "twice.bin": "2 copies",
        "missing.bin": "0 copies",
    }
