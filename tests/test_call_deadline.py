"""A deadline on the whole call, retries included (issue 20, item 5).

Each try of a call has a deadline of its own (the transport's, 40 s by default): against a server
that answers one byte at a time, three tries took two minutes. ``RetryPolicy.deadline`` bounds the
call, every try and every wait between tries included, and the command line sets it
(``RetryPolicy.for_commands``) so that ``offcloud account`` gives up within a minute.

The first test runs the real command line against a dripping server on 127.0.0.1 with the call
deadline scaled down to seconds; the others drive the client with a clock of their own, at the
real figures (40 s tries, a 50 s call deadline), in no time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from fakes import isolate_cli, local_http_server

from offcloud_api import OffcloudAPI, RetryPolicy, requests_transport, retry
from offcloud_api.cli import main
from offcloud_api.cli.context import EXIT_TEMPORARY
from offcloud_api.client import DEFAULT_TIMEOUT
from offcloud_api.exceptions import OffcloudConnectionError, RateLimitError, ServerError
from offcloud_api.requests_transport import _total
from offcloud_api.transport import Request, Response

KEY = "SECRET-KEY-DRIP"
DRIP_EVERY = 0.05


class DrippingHandler(BaseHTTPRequestHandler):
    """Sends a status line, then one header byte at a time for as long as the client listens."""

    protocol_version = "HTTP/1.1"
    connections: list[str] = []  # noqa: RUF012 - the test's record of what came in

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:
        type(self).connections.append(self.path)
        self.wfile.write(b"HTTP/1.1 200 OK\r\n")
        try:
            while True:
                self.wfile.write(b"X")
                self.wfile.flush()
                time.sleep(DRIP_EVERY)
        except OSError:  # the client gave up and closed the connection
            return


@pytest.fixture
def dripping_server() -> Iterator[str]:
    DrippingHandler.connections = []
    with local_http_server(DrippingHandler) as url:
        yield url + "/api"


def test_offcloud_account_gives_up_on_a_dripping_server_within_the_command_deadline(
    dripping_server, monkeypatch, tmp_path, capsys
):
    # The real command, the real client and transport with their default (10, 30) s timeouts:
    # only the call's deadline is scaled down from 50 s to 2 s.
    isolate_cli(monkeypatch, tmp_path, KEY)
    monkeypatch.setenv("OFFCLOUD_API_URL", dripping_server)
    monkeypatch.setattr(retry, "COMMAND_DEADLINE", 2.0)
    outcome: dict[str, Any] = {}

    def run() -> None:
        outcome["code"] = main(["account"])

    started = time.monotonic()
    command = threading.Thread(target=run, daemon=True)
    command.start()
    # Without a deadline on the call, each of 3 tries lasts 40 s: the command would still run.
    command.join(timeout=20.0)
    elapsed = time.monotonic() - started
    assert not command.is_alive(), "offcloud account still waits on the dripping server"

    err = capsys.readouterr().err
    assert outcome["code"] == EXIT_TEMPORARY
    assert elapsed < 2.0 + 4.0, f"the command took {elapsed:.1f} s; its deadline was 2 s"
    assert f"no complete answer to GET {dripping_server}/account/info within 2 s" in err
    assert "try again later" in err
    assert KEY not in err
    assert DrippingHandler.connections[0] == "/api/account/info"


def test_the_command_line_bounds_every_call_within_a_minute():
    policy = RetryPolicy.for_commands()
    assert policy.deadline == retry.COMMAND_DEADLINE
    assert policy.deadline is not None
    assert policy.deadline <= 55.0
    # Left at the library's defaults: the tries of a call are as many as before, each as long.
    assert policy.attempts == RetryPolicy().attempts
    assert RetryPolicy().deadline is None
    assert RetryPolicy.for_bursts().deadline is None  # pyLoad keeps its own retry schedule


@pytest.mark.parametrize("deadline", [0, -1, float("nan"), float("inf")])
def test_a_call_deadline_must_be_a_positive_finite_number(deadline):
    with pytest.raises(ValueError, match="deadline"):
        RetryPolicy(deadline=deadline)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class DrippingTransport:
    """A server that never finishes an answer: every try lasts its whole deadline, then fails.

    A try's deadline is the transport's own (connect + read timeout, as ``RequestsTransport``),
    shortened to what is left of the call's deadline when the client says so.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.deadlines: list[float] = []

    def send(self, request: Request) -> Response:
        seconds = _total(request.timeout)
        if request.deadline is not None:
            seconds = min(seconds, request.deadline)
        self.deadlines.append(seconds)
        self.clock.now += seconds
        raise OffcloudConnectionError(
            f"no complete answer within {seconds:g} s (the total deadline)", method=request.method
        )

    def close(self) -> None:
        pass


def client_with(transport: Any, clock: Clock, policy: RetryPolicy) -> OffcloudAPI:
    policy = replace(policy, sleep=clock.sleep, clock=clock, jitter=lambda ceiling: ceiling)
    return OffcloudAPI(KEY, base_url="https://offcloud.test/api", transport=transport, retry=policy)


def test_every_try_and_wait_of_a_command_call_fits_in_its_deadline():
    clock = Clock()
    transport = DrippingTransport(clock)
    api = client_with(transport, clock, RetryPolicy.for_commands())
    started = clock.now

    with pytest.raises(OffcloudConnectionError) as caught:
        api.get_account_stats()

    assert _total(DEFAULT_TIMEOUT) == 40.0
    # 40 s, a 0.5 s wait, then the 9.5 s left: 50 s in all, where three tries took 121.5 s.
    assert transport.deadlines == [40.0, 9.5]
    assert clock.slept == [0.5]
    assert clock.now - started == pytest.approx(retry.COMMAND_DEADLINE)
    assert caught.value.message == (
        "no complete answer to GET https://offcloud.test/api/account/info within 50 s (2 tries); "
        "Offcloud is slow or unreachable from here: try again later"
    )
    assert caught.value.path == "/account/info"
    assert isinstance(caught.value.__cause__, OffcloudConnectionError)


def test_without_a_call_deadline_each_try_has_its_own_as_before():
    clock = Clock()
    transport = DrippingTransport(clock)
    api = client_with(transport, clock, RetryPolicy())
    with pytest.raises(OffcloudConnectionError, match="the total deadline"):
        api.get_account_stats()
    assert transport.deadlines == [40.0, 40.0, 40.0]
    assert clock.slept == [0.5, 1.0]


class Answering:
    """A transport that answers at once, each try with the next of ``answers``."""

    def __init__(self, clock: Clock, *answers: Response, takes: float = 0.0) -> None:
        self.clock = clock
        self.answers = list(answers)
        self.takes = takes
        self.requests: list[Request] = []

    def send(self, request: Request) -> Response:
        self.requests.append(request)
        self.clock.now += self.takes
        return self.answers.pop(0)

    def close(self) -> None:
        pass


def test_a_retry_after_past_the_call_deadline_is_the_callers_at_once():
    clock = Clock()
    limited = Response(429, {"retry-after": "30", "content-type": "application/json"}, b"{}")
    transport = Answering(clock, limited, limited, takes=25.0)
    api = client_with(transport, clock, RetryPolicy.for_commands())

    with pytest.raises(RateLimitError) as caught:
        api.get_account_stats()

    # 25 s gone, 30 more asked: the second try would end past 50 s, so there is none.
    assert len(transport.requests) == 1
    assert clock.slept == []
    assert caught.value.retry_after == 30.0


def test_a_backoff_past_the_call_deadline_raises_the_server_error():
    clock = Clock()
    broken = Response(500, {"content-type": "application/json"}, b'{"error": "boom"}')
    transport = Answering(clock, broken, broken, broken, takes=49.8)
    api = client_with(transport, clock, RetryPolicy.for_commands())

    with pytest.raises(ServerError):
        api.get_account_stats()

    assert len(transport.requests) == 1  # 0.2 s left: less than the 0.5 s wait
    assert clock.slept == []


def test_each_try_is_told_what_is_left_of_the_call_deadline():
    clock = Clock()
    broken = Response(503, {"content-type": "application/json"}, b'{"error": "busy"}')
    fine = Response(200, {"content-type": "application/json"}, b'{"ok": true}')
    transport = Answering(clock, broken, fine, takes=10.0)
    api = client_with(transport, clock, RetryPolicy.for_commands())

    assert api._request("GET", "/anything", idempotent=True) == {"ok": True}

    assert [request.deadline for request in transport.requests] == [50.0, 39.5]
    assert clock.slept == [0.5]


def test_a_request_deadline_only_ever_shortens_the_transports_own(monkeypatch):
    seen: list[float] = []

    class Recorded(requests_transport._Deadline):
        def __init__(self, seconds: float) -> None:
            seen.append(seconds)
            super().__init__(seconds)

    monkeypatch.setattr(requests_transport, "_Deadline", Recorded)
    transport = requests_transport.RequestsTransport(deadline=5.0)
    unreachable = "http://127.0.0.1:9/"  # the discard port: nothing listens, refused at once
    try:
        for deadline in (None, 2.0, 80.0, -3.0):
            request = Request("GET", unreachable, timeout=(1.0, 1.0), deadline=deadline)
            with pytest.raises(OffcloudConnectionError):
                transport.send(request)
    finally:
        transport.close()
    assert seen == [5.0, 2.0, 5.0, 0.0]
