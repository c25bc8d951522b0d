"""Downloads: deterministic content, Range requests, error modes (§8 "File serving").

These run on the ``rich`` profile (instant and ``*.offcloud.com`` links); the live profile's CDN
links are pinned in test_sim_live.py (L11).
"""

from __future__ import annotations

import hashlib
import time

import pytest
import requests

from offcloud_api.simulator import (
    BLOCK_SIZE,
    FileSpec,
    content_bytes,
    expected_sha256,
    iter_content,
)

from .helpers import CLOUD_FOLDER_JOB, DEMO_LINK, SINGLE_FILE_JOB, bearer

SIZE = 2 * BLOCK_SIZE + 12345


def test_content_is_deterministic_and_ranges_agree():
    whole = content_bytes("seed-a", SIZE)
    assert len(whole) == SIZE
    assert whole == content_bytes("seed-a", SIZE)
    assert whole != content_bytes("seed-b", SIZE)
    for start, end in [
        (0, 1),
        (BLOCK_SIZE - 5, BLOCK_SIZE + 5),
        (SIZE - 7, SIZE),
        (123, 2 * BLOCK_SIZE + 1),
    ]:
        assert content_bytes("seed-a", SIZE, start, end) == whole[start:end]
    assert b"".join(iter_content("seed-a", SIZE, 10, 20)) == whole[10:20]
    assert expected_sha256("seed-a", SIZE) == hashlib.sha256(whole).hexdigest()
    assert expected_sha256(FileSpec("x.bin", SIZE, "seed-a")) == hashlib.sha256(whole).hexdigest()


def test_blocks_differ_so_misordered_chunks_are_caught():
    first = content_bytes("seed-a", SIZE, 0, BLOCK_SIZE)
    second = content_bytes("seed-a", SIZE, BLOCK_SIZE, 2 * BLOCK_SIZE)
    assert first != second
    swapped = second + first + content_bytes("seed-a", SIZE, 2 * BLOCK_SIZE)
    assert hashlib.sha256(swapped).hexdigest() != expected_sha256("seed-a", SIZE)


def test_expected_sha256_needs_a_size_for_a_seed():
    with pytest.raises(ValueError, match="size"):
        expected_sha256("seed-a")


@pytest.fixture
def demo_file(rich_simulator, client_for):
    job = client_for(rich_simulator).instant(DEMO_LINK)
    return job.url, rich_simulator.scenario.link(DEMO_LINK).files[0]


def test_full_download(rich_simulator, http, demo_file):
    url, spec = demo_file
    answer = http.get(url, timeout=10)
    assert answer.status_code == 200
    assert hashlib.sha256(answer.content).hexdigest() == expected_sha256(spec)
    assert answer.headers["Content-Length"] == str(spec.size)
    assert answer.headers["Accept-Ranges"] == "bytes"
    assert 'filename="demo.bin"' in answer.headers["Content-Disposition"]
    (call,) = [c for c in rich_simulator.calls if c.kind == "file"]
    assert (call.method, call.status, call.key_location) == ("GET", 200, None)


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=100-199", 100, 200),
        ("bytes=1048570-1048589", 1048570, 1048590),
        ("bytes=4194000-", 4194000, 4 << 20),
        ("bytes=-10", (4 << 20) - 10, 4 << 20),
        ("bytes=4194300-99999999", 4194300, 4 << 20),
    ],
)
def test_range_gives_206_and_the_right_slice(rich_simulator, http, demo_file, header, start, end):
    url, spec = demo_file
    answer = http.get(url, headers={"Range": header}, timeout=10)
    assert answer.status_code == 206
    assert answer.headers["Content-Range"] == f"bytes {start}-{end - 1}/{spec.size}"
    assert answer.headers["Content-Length"] == str(end - start)
    assert answer.content == content_bytes(spec.seed, spec.size, start, end)
    assert rich_simulator.calls[-1].range == header


def test_unsatisfiable_range_gives_416(http, demo_file):
    url, spec = demo_file
    answer = http.get(url, headers={"Range": f"bytes={spec.size}-"}, timeout=10)
    assert answer.status_code == 416
    assert answer.headers["Content-Range"] == f"bytes */{spec.size}"


def test_several_ranges_are_answered_with_the_whole_file(http, demo_file):
    url, spec = demo_file
    answer = http.get(url, headers={"Range": "bytes=0-1,5-6"}, timeout=10)
    assert answer.status_code == 200
    assert len(answer.content) == spec.size


def test_head(http, demo_file):
    url, spec = demo_file
    answer = http.head(url, timeout=10)
    assert answer.status_code == 200
    assert answer.headers["Content-Length"] == str(spec.size)
    assert answer.content == b""


def test_folder_job_files_by_1_based_index(rich_simulator, http):
    job = rich_simulator.scenario.job(CLOUD_FOLDER_JOB)
    base = f"{rich_simulator.url}/cloud/download/{CLOUD_FOLDER_JOB}"
    answer = http.get(f"{base}/2/part2.bin", timeout=10)
    assert hashlib.sha256(answer.content).hexdigest() == expected_sha256(job.files[1])
    assert http.get(f"{base}/4/nothing.bin", timeout=10).status_code == 404
    assert http.get(f"{base}/0/part1.bin", timeout=10).status_code == 404
    missing = http.get(f"{rich_simulator.url}/cloud/download/{'0' * 24}/x.bin", timeout=10)
    assert missing.status_code == 404
    assert "The requested URL was not found on the server" in missing.text


def test_request_folder_url_of_a_single_file_has_a_bad_name(rich_simulator, http):
    """§7.3: without the name in the URL the server sends a useless file name."""
    answer = http.get(f"{rich_simulator.url}/cloud/download/{SINGLE_FILE_JOB}", timeout=10)
    assert answer.status_code == 200
    assert 'filename="download"' in answer.headers["Content-Disposition"]


def test_files_of_unfinished_or_removed_jobs_are_gone(frozen_simulator, http):
    sim = frozen_simulator
    made = http.post(
        sim.api_url + "/cloud", json={"url": DEMO_LINK}, headers=bearer(), timeout=10
    ).json()
    url = f"{sim.url}/cloud/download/{made['requestId']}/demo.bin"
    assert http.get(url, timeout=10).status_code == 404  # still queued
    sim.advance(60)
    assert http.head(url, timeout=10).status_code == 200
    http.post(
        sim.api_url + "/cloud/remove",
        json={"requests": [made["requestId"]]},
        headers=bearer(),
        timeout=10,
    )
    assert http.get(url, timeout=10).status_code == 404


def test_range_error_faults(rich_simulator, http, demo_file):
    url, _spec = demo_file
    rich_simulator.inject("range_error", count=1)
    assert http.get(url, headers={"Range": "bytes=0-9"}, timeout=10).status_code == 416
    rich_simulator.inject("range_error", count=1, status=503)
    unavailable = http.get(url, headers={"Range": "bytes=0-9"}, timeout=10)
    assert (unavailable.status_code, unavailable.json()) == (503, {"error": "Temporary error"})
    rich_simulator.inject("range_error", count=1)
    assert http.get(url, timeout=10).status_code == 200  # no Range: not affected
    assert http.get(url, headers={"Range": "bytes=0-9"}, timeout=10).status_code == 416


def test_ip_changed_fault(rich_simulator, http, demo_file):
    url, _spec = demo_file
    rich_simulator.inject("ip_changed")
    answer = http.get(url, timeout=10)
    assert (answer.status_code, answer.json()) == (
        403,
        {"error": "You are not authorized to download this file."},
    )
    rich_simulator.clear_faults()
    assert http.head(url, timeout=10).status_code == 200


def test_reset_mid_download(rich_simulator, http, demo_file):
    url, _spec = demo_file
    rich_simulator.inject("reset", count=1, path="/dl/")
    broken = (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError)
    with pytest.raises(broken):
        http.get(url, timeout=10)
    assert rich_simulator.calls[-1].fault == "reset"
    assert http.head(url, timeout=10).status_code == 200


def test_serving_is_fast(rich_simulator, http):
    """Generated content must not be the bottleneck of a download benchmark."""
    size = 64 << 20
    spec = FileSpec("fast.bin", size, "throughput")
    token = rich_simulator.state.issue_token(spec)
    digest = hashlib.sha256()
    started = time.perf_counter()
    with http.get(f"{rich_simulator.url}/dl/{token}/fast.bin", stream=True, timeout=10) as answer:
        for chunk in answer.iter_content(1 << 20):
            digest.update(chunk)
    elapsed = time.perf_counter() - started
    assert digest.hexdigest() == expected_sha256(spec)
    # Loopback measures ~1 GB/s; the bound leaves room for a busy CI machine.
    assert size / elapsed > 50e6, f"{size / elapsed / 1e6:.0f} MB/s"
