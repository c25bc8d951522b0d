"""Faults for soaks: a seeded share of faulted API calls and file transfers (``random``), a call
dropped before it is acted on (``drop``), and a file connection dropped mid-body (``file_drop``).

Plain HTTP (``requests``, raw sockets) over 127.0.0.1 against a running simulator.
"""

from __future__ import annotations

import hashlib
import socket
from typing import Any, Union

import pytest
import requests

from offcloud_api.simulator import FaultError, Simulator, expected_sha256

from .helpers import PLAIN_LINK, SINGLE_FILE_JOB, bearer, make_scenario

SOAK_SHARES = {
    "html_500": 0.10,
    "rate_limit": 0.10,
    "reset": 0.05,
    "drop": 0.05,
    "truncated_json": 0.05,
    "file_drop": 0.25,
}


def outcome(method: str, url: str, **kwargs: Any) -> Union[int, str]:
    """The status, or the kind of failure, of one request on a fresh connection."""
    kwargs.setdefault("timeout", 10)
    try:
        with requests.Session() as session:
            answer = session.request(method, url, **kwargs)
            if answer.headers.get("Content-Type", "").startswith("application/json"):
                answer.json()
            return answer.status_code
    except requests.exceptions.JSONDecodeError:
        return "cut json"
    except requests.exceptions.RequestException:
        return "broken"  # reset or dropped (which exception depends on where it broke)


def run_mix(seed: str, calls: int = 120) -> tuple[list[Union[int, str]], list[Any], dict[str, int]]:
    """``calls`` account lookups and file reads under a random fault, in one fixed order."""
    with Simulator(make_scenario()) as sim:
        (url,) = requests.get(
            f"{sim.api_url}/cloud/explore/{SINGLE_FILE_JOB}", headers=bearer(), timeout=10
        ).json()
        sim.inject("random", seed=seed, shares=SOAK_SHARES)
        seen: list[Union[int, str]] = []
        for number in range(calls):
            if number % 4 == 3:
                seen.append(outcome("GET", url))
            else:
                seen.append(outcome("GET", f"{sim.api_url}/account/info", headers=bearer()))
        faults = [record.fault for record in sim.calls if record.kind in ("api", "file")]
        (fault,) = sim.faults
        return seen, faults, dict(fault.fired)


def test_random_faults_are_a_seeded_share_and_repeat_for_the_same_seed():
    first, faults, fired = run_mix("soak-1")
    again, faults_again, _ = run_mix("soak-1")
    other, faults_other, _ = run_mix("soak-2")
    assert first == again
    assert faults == faults_again
    assert faults != faults_other
    # 90 API calls and 30 downloads: every kind fired, none took over.
    assert set(fired) == {
        "server_error",
        "rate_limit",
        "reset",
        "drop",
        "truncated_json",
        "file_drop",
    }
    api_faults = sum(n for kind, n in fired.items() if kind != "file_drop")
    assert 10 <= api_faults <= 60
    assert 1 <= fired["file_drop"] <= 20
    assert first.count(500) == fired["server_error"]
    assert first.count(429) == fired["rate_limit"]
    assert first.count("cut json") == fired["truncated_json"]
    assert faults.count("drop") == fired["drop"]
    assert first.count(200) == len(first) - sum(fired.values())
    assert first.count("broken") == fired["reset"] + fired["drop"] + fired["file_drop"]
    assert other != first


def test_random_faults_never_touch_the_control_api(simulator):
    simulator.inject("random", seed="x", shares={"html_500": 1.0})
    assert outcome("GET", f"{simulator.api_url}/account/info", headers=bearer()) == 500
    for path in ("/_sim/state", "/_sim/calls", "/_sim/faults"):
        assert requests.get(simulator.url + path, timeout=10).status_code == 200
    listed = requests.get(simulator.url + "/_sim/faults", timeout=10).json()
    assert listed[0]["fired"] == {"server_error": 1}
    assert listed[0]["shares"] == {"server_error": 1.0}


def test_random_with_count_and_path_and_a_server_error_status(simulator):
    simulator.inject(
        "random", seed="x", shares={"html_500": 1.0}, count=2, status=503, path="/api/sites"
    )
    assert outcome("GET", f"{simulator.api_url}/account/info", headers=bearer()) == 200
    assert outcome("GET", f"{simulator.api_url}/sites", headers=bearer()) == 503
    assert outcome("GET", f"{simulator.api_url}/sites", headers=bearer()) == 503
    assert outcome("GET", f"{simulator.api_url}/sites", headers=bearer()) == 200
    assert simulator.faults == []


def test_a_random_miss_lets_the_next_fault_answer(simulator):
    simulator.inject("random", seed="x", shares={"file_drop": 1.0})  # files only
    simulator.inject("rate_limit", count=1, retry_after=0)
    assert outcome("GET", f"{simulator.api_url}/account/info", headers=bearer()) == 429


@pytest.mark.parametrize(
    "shares",
    [
        None,
        {},
        {"teapot": 0.1},
        {"html_500": 1.5},
        {"html_500": True},
        {"html_500": 0.6, "server_error": 0.3, "reset": 0.2},
    ],
)
def test_random_needs_sane_shares(shares):
    with pytest.raises(FaultError):
        Simulator(make_scenario()).inject("random", shares=shares)


def test_shares_are_for_random_only():
    with pytest.raises(FaultError, match="random"):
        Simulator(make_scenario()).inject("server_error", shares={"html_500": 0.1})


def test_a_dropped_call_gets_no_answer_and_is_not_acted_on(simulator):
    before = set(simulator.state.jobs)
    simulator.inject("drop", count=1)
    dropped = outcome(
        "POST", f"{simulator.api_url}/cloud", json={"url": PLAIN_LINK}, headers=bearer()
    )
    assert dropped == "broken"
    assert set(simulator.state.jobs) == before
    (record,) = [r for r in simulator.calls if r.kind == "api"]
    assert (record.fault, record.status) == ("drop", 0)
    added = requests.post(
        f"{simulator.api_url}/cloud", json={"url": PLAIN_LINK}, headers=bearer(), timeout=10
    )
    assert added.status_code == 200
    assert len(simulator.state.jobs) == len(before) + 1


def raw_get(port: int, path: str, headers: str = "") -> tuple[bytes, bytes, bool]:
    """Head and body of a GET, and whether the connection was reset."""
    data = b""
    reset = False
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        request = (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{headers}Connection: close\r\n\r\n"
        )
        sock.sendall(request.encode())
        try:
            while True:
                piece = sock.recv(65536)
                if not piece:
                    break
                data += piece
        except ConnectionResetError:
            reset = True
    head, _, body = data.partition(b"\r\n\r\n")
    return head, body, reset


def test_file_drop_resets_mid_body_after_some_bytes_and_a_range_resumes(simulator):
    (url,) = requests.get(
        f"{simulator.api_url}/cloud/explore/{SINGLE_FILE_JOB}", headers=bearer(), timeout=10
    ).json()
    path = url.split(str(simulator.port), 1)[1]
    spec = simulator.scenario.job(SINGLE_FILE_JOB).files[0]
    simulator.inject("file_drop", count=1, after_bytes=1000)
    account = outcome("GET", f"{simulator.api_url}/account/info", headers=bearer())
    assert account == 200  # file faults leave API calls alone
    head, body, reset = raw_get(simulator.port, path)
    assert head.startswith(b"HTTP/1.1 200")
    assert f"Content-Length: {spec.size}".encode() in head
    assert reset
    assert len(body) == 1000
    head, rest, reset = raw_get(simulator.port, path, "Range: bytes=1000-\r\n")
    assert head.startswith(b"HTTP/1.1 206")
    assert not reset
    assert hashlib.sha256(body + rest).hexdigest() == expected_sha256(spec.seed, spec.size)
    files = [r for r in simulator.calls if r.kind == "file"]
    assert [r.fault for r in files] == ["file_drop", None]
    # Without after_bytes, half the body goes out (the reset may discard some of it on the way
    # in, as a real one does: the client gets at most that).
    simulator.inject("file_drop", count=1)
    _, body, reset = raw_get(simulator.port, path)
    assert reset
    assert len(body) <= spec.size // 2
