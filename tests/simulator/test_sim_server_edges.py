"""The simulator's HTTP server on its edges: control routes, body framing, odd methods, CONNECT.

Raw sockets where a client library would not send what is tested (a bad ``Content-Length``,
chunked bodies, garbage instead of a TLS handshake).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from offcloud_api.simulator import Simulator
from offcloud_api.simulator.server import MAX_BODY

from .helpers import bearer, make_scenario


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(make_scenario({"name": "edges"})) as simulator:
        yield simulator


def _raw(sim: Simulator, data: bytes) -> bytes:
    """Send ``data`` as it is; everything the server answers until it closes (or 10 s)."""
    with socket.create_connection(("127.0.0.1", sim.port), timeout=10) as conn:
        conn.sendall(data)
        chunks = []
        while True:
            try:
                chunk = conn.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def _body(answer: bytes) -> bytes:
    return answer.partition(b"\r\n\r\n")[2]


def _head(host: str, method: str, path: str, extra: str = "") -> bytes:
    return f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{extra}\r\n".encode()


def test_the_scenario_route_returns_the_document(sim, http):
    answer = http.get(sim.url + "/_sim/scenario", timeout=10)
    assert answer.status_code == 200
    assert answer.json()["name"] == "edges"


def test_reset_only_faults_keeps_the_calls(sim, http):
    sim.inject("server_error", count=3)
    http.get(sim.url + "/_sim/state", timeout=10)
    before = len(sim.calls)
    assert http.post(sim.url + "/_sim/reset", json={"only": "faults"}, timeout=10).ok
    assert sim.faults == []
    assert len(sim.calls) == before  # the calls were kept (a reset is never logged)


def test_the_clock_refuses_an_advance_that_is_not_a_number(sim, http):
    answer = http.post(sim.url + "/_sim/clock", json={"advance": "soon"}, timeout=10)
    assert answer.status_code == 400
    assert answer.json() == {"error": "advance must be a number of seconds"}


def test_unknown_control_routes_and_methods_answer_404(sim, http):
    unknown = http.get(sim.url + "/_sim/nothing", timeout=10)
    assert unknown.status_code == 404
    assert unknown.json() == {"error": "no control route GET /_sim/nothing"}
    put = http.put(sim.url + "/_sim/faults", json={}, timeout=10)
    assert put.status_code == 404
    assert put.json() == {"error": "no control route PUT /_sim/faults"}


def test_removing_an_unknown_fault_answers_404(sim, http):
    answer = http.delete(sim.url + "/_sim/faults/no-such-id", timeout=10)
    assert (answer.status_code, answer.json()) == (404, {"success": False})


@pytest.mark.parametrize(
    "payload",
    [[{"kind": "rate_limit"}, "not-a-fault"], [], "a string"],
)
def test_a_fault_list_with_anything_but_faults_is_refused(sim, http, payload):
    answer = http.post(sim.url + "/_sim/faults", json=payload, timeout=10)
    assert answer.status_code == 400
    assert "send a fault object or a list of them as JSON" in answer.json()["error"]
    assert sim.faults == []


@pytest.mark.parametrize(("length", "status"), [("abc", 400), ("-5", 400), (MAX_BODY + 1, 413)])
def test_a_bad_or_too_long_content_length_is_refused(sim, length, status):
    answer = _raw(sim, _head("127.0.0.1", "POST", "/api/sites", f"Content-Length: {length}\r\n"))
    assert _status(answer) == status


def test_a_chunked_body_is_read(sim):
    body = json.dumps({"kind": "rate_limit", "count": 1, "path": "/api/sites"}).encode()
    half = len(body) // 2
    chunks = (
        f"{half:x};ext=1\r\n".encode()
        + body[:half]
        + b"\r\n"
        + f"{len(body) - half:x}\r\n".encode()
        + body[half:]
        + b"\r\n0\r\nX-Trailer: yes\r\n\r\n"
    )
    head = _head(
        f"127.0.0.1:{sim.port}",
        "POST",
        "/_sim/faults",
        "Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n",
    )
    answer = _raw(sim, head + chunks)
    assert _status(answer) == 201
    assert [fault.kind for fault in sim.faults] == ["rate_limit"]


@pytest.mark.parametrize(
    ("chunks", "status"),
    [(b"zz\r\nabc\r\n0\r\n\r\n", 400), (f"{MAX_BODY + 1:x}\r\n".encode(), 413)],
)
def test_a_broken_or_too_long_chunked_body_is_refused(sim, chunks, status):
    head = _head("127.0.0.1", "POST", "/api/sites", "Transfer-Encoding: chunked\r\n")
    assert _status(_raw(sim, head + chunks)) == status


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_other_methods_reach_the_routes_and_the_call_log(sim, method):
    sim.reset_calls()
    answer = _raw(
        sim, _head(f"127.0.0.1:{sim.port}", method, "/api/sites", "Content-Length: 0\r\n")
    )
    assert _status(answer) >= 400
    assert [(call.method, call.path) for call in sim.calls] == [(method, "/api/sites")]


def test_an_ipv6_host_header_is_read_without_its_brackets(sim):
    sim.reset_calls()
    answer = _raw(sim, _head(f"[::1]:{sim.port}", "GET", "/_sim/faults"))
    assert _status(answer) == 200
    assert _body(answer) == b"[]"
    (call,) = sim.calls
    assert call.host == "::1"


@pytest.mark.parametrize("host", ["[::1]junk", "[::1]:99999", "127.0.0.1:http"])
def test_a_malformed_host_port_is_refused_by_the_control_api(sim, host):
    answer = _raw(sim, _head(host, "GET", "/_sim/faults"))
    assert _status(answer) == 403
    assert b"answers only Host 127.0.0.1 or localhost" in _body(answer)


def test_a_server_error_with_an_unknown_status_still_has_a_page(sim, http):
    sim.inject("server_error", count=1, status=599)
    answer = http.get(sim.api_url + "/sites", headers=bearer(), timeout=10)
    assert answer.status_code == 599
    assert "<h1>599 Error</h1>" in answer.text


def test_a_route_that_raises_answers_500_and_the_connection_survives(sim, http, monkeypatch):
    backend = sim._backend
    real = backend.api.handle

    def broken(request, role):
        if request.path == "/api/sites":
            raise RuntimeError("a bug in a route")
        return real(request, role)

    monkeypatch.setattr(backend.api, "handle", broken)
    answer = http.get(sim.api_url + "/sites", headers=bearer(), timeout=10)
    assert answer.status_code == 500
    assert "500 Internal Server Error" in answer.text
    assert http.get(sim.api_url + "/account/info", headers=bearer(), timeout=10).ok


def test_connect_without_a_certificate_answers_502_with_the_reason(sim, monkeypatch):
    backend = sim._backend
    monkeypatch.setattr(backend, "_tls", None)
    monkeypatch.setattr(backend, "tls_error", "openssl is missing")
    answer = _raw(sim, b"CONNECT offcloud.com:443 HTTP/1.1\r\nHost: offcloud.com:443\r\n\r\n")
    assert _status(answer) == 502
    assert _body(answer) == b"HTTPS proxying is unavailable: openssl is missing\n"


def test_connect_followed_by_no_tls_handshake_closes_the_tunnel(sim):
    if sim._backend.tls_context is None:
        pytest.skip(f"no certificate here: {sim._backend.tls_error}")
    with socket.create_connection(("127.0.0.1", sim.port), timeout=10) as conn:
        conn.sendall(b"CONNECT offcloud.com:443 HTTP/1.1\r\nHost: offcloud.com:443\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = conn.recv(1024)
            assert chunk, head
            head += chunk
        assert head.startswith(b"HTTP/1.1 200 Connection Established\r\n")
        conn.sendall(b"GET / HTTP/1.1\r\nHost: offcloud.com\r\n\r\n")  # not a ClientHello
        rest = b""
        while True:
            try:
                chunk = conn.recv(1024)
            except ConnectionResetError:
                break
            if not chunk:
                break
            rest += chunk
    assert b"HTTP/1.1" not in rest  # the server closed; nothing was answered in clear
    assert sim.running


# --------------------------------------------------------------------------------------------
# the OAuth device flow's edges (rich profile: the flow is on)

GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@pytest.fixture
def oauth_sim() -> Iterator[Simulator]:
    scenario = make_scenario(
        {"clock": {"speedup": 1e-6}, "oauth": {"enforce_interval": False}}, profile="rich"
    )
    with Simulator(scenario) as simulator:
        yield simulator


def test_the_token_route_wants_the_device_code_grant(oauth_sim, http):
    answer = http.post(oauth_sim.url + "/oauth/token", data={"grant_type": "password"}, timeout=10)
    assert (answer.status_code, answer.json()) == (400, {"error": "unsupported_grant_type"})
    unknown = http.post(
        oauth_sim.url + "/oauth/token",
        data={"grant_type": GRANT, "device_code": "nothing"},
        timeout=10,
    )
    assert (unknown.status_code, unknown.json()["error"]) == (400, "invalid_grant")


def test_an_approved_code_answers_its_token_again_and_a_late_code_is_expired(oauth_sim, http):
    device = http.post(oauth_sim.url + "/oauth/device/code", timeout=10).json()
    approved = http.post(oauth_sim.url + "/_sim/oauth", json={"action": "approve"}, timeout=10)
    assert approved.json() == {"user_code": device["user_code"], "action": "approve"}
    poll = {"grant_type": GRANT, "device_code": device["device_code"]}
    first = http.post(oauth_sim.url + "/oauth/token", data=poll, timeout=10).json()
    second = http.post(oauth_sim.url + "/oauth/token", data=poll, timeout=10).json()
    assert first["access_token"]
    assert second == first

    late = http.post(oauth_sim.url + "/oauth/device/code", timeout=10).json()
    oauth_sim.advance(device["expires_in"] + 1)
    codes = {c["user_code"]: c["state"] for c in http.get(oauth_sim.url + "/_sim/oauth").json()}
    assert codes == {device["user_code"]: "approved", late["user_code"]: "expired"}


def test_the_oauth_control_takes_only_get_and_post(oauth_sim, http):
    answer = http.delete(oauth_sim.url + "/_sim/oauth", timeout=10)
    assert (answer.status_code, answer.json()) == (405, {"error": "use GET or POST on /_sim/oauth"})
