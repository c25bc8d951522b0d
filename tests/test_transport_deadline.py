"""RequestsTransport's total deadline and byte cap against a real server (issue 14, item 4).

A read timeout bounds each wait for a byte, not the call: a server that sends a byte a second
would keep a call alive for as long as it likes. The transport ends every call at a total
deadline (connect + read timeout by default, like pyLoad's libcurl ``TIMEOUT``), however the
bytes trickle in: in the status line, the headers or the body.
"""

from __future__ import annotations

import socket
import time
import tracemalloc
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest
import requests
from fakes import local_http_server

from offcloud_api import OffcloudAPI, RetryPolicy
from offcloud_api.exceptions import OffcloudConnectionError, ResponseTooLargeError
from offcloud_api.requests_transport import RequestsTransport
from offcloud_api.transport import Request

#: How long the dripping server goes on before it ends its answer normally: a transport
#: without a total deadline gets a whole answer after this long instead of an error.
DRIP_FOR = 6.0
DRIP_EVERY = 0.05
BIG = 8_000_000
BIG_BODY = b'"' + b"x" * (BIG - 2) + b'"'  # made here, not while memory is measured


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def _drip(self, data: bytes) -> bool:
        for index in range(len(data)):
            try:
                self.wfile.write(data[index : index + 1])
                self.wfile.flush()
            except OSError:
                return False
            time.sleep(DRIP_EVERY)
        return True

    def do_GET(self) -> None:
        body = b'{"ok": true}'
        if self.path == "/drip-headers":
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            count = int(DRIP_FOR / DRIP_EVERY / 12)
            if not self._drip(b"X-Slow: 12345\r\n" * count):
                return
            self.wfile.write(b"Content-Length: 12\r\n\r\n" + body)
        elif self.path == "/drip-body":
            padded = b"[" + b" " * int(DRIP_FOR / DRIP_EVERY) + b"1]"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(padded)))
            self.end_headers()
            self._drip(padded)
        elif self.path == "/drip-chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for _ in range(int(DRIP_FOR / DRIP_EVERY)):
                try:
                    self.wfile.write(b"1\r\n \r\n")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(DRIP_EVERY)
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/big":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(BIG))
            self.end_headers()
            self.wfile.write(BIG_BODY)
        else:
            time.sleep(0.3)  # slower than nothing, well within the deadline
            self.send_response(200)
            self.send_header("Content-Length", "12")
            self.end_headers()
            self.wfile.write(body)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with local_http_server(Handler) as url:
        yield url


def get(url: str, timeout: float | tuple[float, float] = (0.5, 0.5)) -> Request:
    return Request(method="GET", url=url, timeout=timeout)


@pytest.mark.parametrize("route", ["/drip-headers", "/drip-body", "/drip-chunked"])
def test_a_dripping_server_cannot_keep_a_call_alive_past_the_deadline(base_url, route):
    transport = RequestsTransport()
    started = time.monotonic()
    try:
        with pytest.raises(OffcloudConnectionError) as caught:
            transport.send(get(base_url + route))
    finally:
        transport.close()

    elapsed = time.monotonic() - started
    assert elapsed < 2.5, f"the call lasted {elapsed:.1f} s; its deadline was 1 s"
    assert caught.value.message == (
        f"no complete answer to GET {base_url}{route} within 1 s (the total deadline)"
    )
    assert caught.value.request_sent is True


def test_the_deadline_can_be_set(base_url):
    transport = RequestsTransport(deadline=0.3)
    started = time.monotonic()
    try:
        with pytest.raises(OffcloudConnectionError, match=r"within 0\.3 s"):
            transport.send(get(base_url + "/drip-body", timeout=(5.0, 5.0)))
    finally:
        transport.close()
    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize("deadline", [0, -1, float("nan"), float("inf")])
def test_a_deadline_must_be_a_positive_finite_number(deadline):
    with pytest.raises(ValueError, match="deadline"):
        RequestsTransport(deadline=deadline)


def test_an_answer_within_the_deadline_is_read_and_the_connection_reused(base_url):
    transport = RequestsTransport()
    try:
        for _ in range(3):
            answer = transport.send(get(base_url + "/slow-but-fine", timeout=(1.0, 1.0)))
            assert answer.status == 200
            assert answer.content == b'{"ok": true}'
    finally:
        transport.close()


def test_the_client_gives_up_on_a_dripping_server_within_its_retries(base_url):
    api = OffcloudAPI(
        "k", base_url=base_url, timeout=(0.4, 0.4), retry=RetryPolicy(sleep=lambda s: None)
    )
    started = time.monotonic()
    try:
        with pytest.raises(OffcloudConnectionError, match="total deadline"):
            api._request("GET", "/drip-body", idempotent=True)
    finally:
        api.close()
    assert time.monotonic() - started < 3 * 0.8 + 2.0


def test_a_borrowed_session_is_left_as_it_was(base_url):
    session = requests.Session()
    adapters = dict(session.adapters)
    transport = RequestsTransport(session)
    answer = transport.send(get(base_url + "/slow-but-fine", timeout=(1.0, 1.0)))
    assert answer.status == 200
    assert session.adapters == adapters
    session.close()


def test_an_8_mb_answer_is_read_streamed_into_about_its_own_size(base_url):
    transport = RequestsTransport()
    try:
        tracemalloc.start()
        try:
            answer = transport.send(get(base_url + "/big", timeout=(5.0, 5.0)))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert len(answer.content) == BIG
        assert peak < 1.5 * BIG, f"reading {BIG} bytes took {peak / 1e6:.0f} MB"
        with pytest.raises(ResponseTooLargeError):
            transport.send(Request("GET", base_url + "/big", timeout=(5.0, 5.0), max_bytes=BIG - 1))
    finally:
        transport.close()


def test_the_deadline_timer_never_touches_a_socket_after_the_call(base_url, monkeypatch):
    shut: list[object] = []
    original = socket.socket.shutdown
    server_port = int(base_url.rsplit(":", 1)[1])

    def recording_shutdown(self: socket.socket, how: int) -> None:
        # Only the client's sockets: the test server shuts its own side of every connection
        # down when it is done with a request (socketserver), which is not the timer's doing.
        try:
            client_side = self.getsockname()[1] != server_port
        except OSError:
            client_side = True
        if client_side:
            shut.append(self)
        original(self, how)

    monkeypatch.setattr(socket.socket, "shutdown", recording_shutdown)
    transport = RequestsTransport(deadline=0.5)
    try:
        transport.send(get(base_url + "/slow-but-fine", timeout=(1.0, 1.0)))
        time.sleep(0.8)  # past the deadline of the finished call
        assert shut == []
        assert transport.send(get(base_url + "/slow-but-fine", timeout=(1.0, 1.0))).status == 200
    finally:
        transport.close()
