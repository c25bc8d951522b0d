"""The bridge's HTTP layer (offcloud_api.pyload.qbit_web): forms, logins, bans, the server."""

from __future__ import annotations

import base64
import http.client
from collections.abc import Iterator

import pytest

from offcloud_api.pyload.qbit_web import (
    BadRequestError,
    Guard,
    GuardLimits,
    QbitServer,
    Request,
    Response,
    Sessions,
    basic_credentials,
    parse_body,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _multipart(parts: list[tuple[str, str | None, bytes]], boundary: str = "b0und") -> bytes:
    body = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        body += data + b"\r\n"
    return body + f"--{boundary}--\r\n".encode()


# ---------------------------------------------------------------------------------------------
# forms


def test_urlencoded_form_last_value_wins_and_blanks_stay() -> None:
    fields, uploads = parse_body(
        "application/x-www-form-urlencoded; charset=UTF-8",
        b"urls=magnet%3A%3Fxt%3D1%0Amagnet%3A%3Fxt%3D2&category=tv&paused=&category=films",
        max_upload=10,
    )
    assert fields == {"urls": "magnet:?xt=1\nmagnet:?xt=2", "category": "films", "paused": ""}
    assert uploads == []


def test_multipart_form_fields_and_files() -> None:
    body = _multipart(
        [
            ("category", None, b"tv-sonarr"),
            ("torrents", "a.torrent", b"d4:infode"),
            ("torrents", "b.torrent", b"\x00\xff binary"),
        ]
    )
    fields, uploads = parse_body("multipart/form-data; boundary=b0und", body, max_upload=100)
    assert fields == {"category": "tv-sonarr"}
    assert [(u.filename, u.data) for u in uploads] == [
        ("a.torrent", b"d4:infode"),
        ("b.torrent", b"\x00\xff binary"),
    ]


def test_multipart_file_over_the_cap_is_413() -> None:
    body = _multipart([("torrents", "big.torrent", b"x" * 101)])
    with pytest.raises(BadRequestError) as caught:
        parse_body("multipart/form-data; boundary=b0und", body, max_upload=100)
    assert caught.value.status == 413
    assert "big.torrent" in caught.value.message


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("application/octet-stream", b"x", 415),
        ("application/x-www-form-urlencoded", b"a=\xff", 400),
        ("multipart/form-data; boundary=b0und", b"not multipart at all", 400),
    ],
)
def test_unreadable_bodies(content_type: str, body: bytes, status: int) -> None:
    with pytest.raises(BadRequestError) as caught:
        parse_body(content_type, body, max_upload=100)
    assert caught.value.status == status


def test_empty_and_non_form_bodies_give_no_fields() -> None:
    assert parse_body("multipart/form-data", b"", max_upload=1) == ({}, [])
    assert parse_body("application/json", b"{}", max_upload=1) == ({}, [])


def test_request_helpers() -> None:
    request = Request(
        "POST",
        "/api/v2/torrents/add",
        params={"paused": "true", "stopped": "False"},
        headers={"cookie": "other=1; SID=abc; x"},
    )
    assert request.flag("paused") is True
    assert request.flag("stopped") is False
    assert request.flag("missing") is None
    assert request.cookie("SID") == "abc"
    assert request.cookie("nope") is None
    assert request.param("missing", "d") == "d"


def test_basic_credentials() -> None:
    token = base64.b64encode(b"pyload:pa:ss").decode()
    assert basic_credentials(f"Basic {token}") == ("pyload", "pa:ss")
    assert basic_credentials("Bearer abc") is None
    assert basic_credentials("Basic !!!") is None
    assert basic_credentials("Basic " + base64.b64encode(b"nocolon").decode()) is None


# ---------------------------------------------------------------------------------------------
# sessions and bans


def test_sessions_expire_when_idle_and_close() -> None:
    clock = Clock()
    sessions = Sessions(idle=60, clock=clock)
    token = sessions.open("pyload")
    assert sessions.user(token) == "pyload"
    clock.now += 59
    assert sessions.user(token) == "pyload"  # a call keeps it alive
    clock.now += 61
    assert sessions.user(token) is None
    second = sessions.open("pyload")
    assert len(sessions) == 1
    sessions.close(second)
    assert sessions.user(second) is None
    assert sessions.user(None) is None
    assert sessions.user("made-up") is None


def test_tokens_are_kept_only_as_hashes() -> None:
    sessions = Sessions()
    token = sessions.open("pyload")
    assert token not in repr(sessions._sessions)


def test_guard_bans_an_address_after_repeated_failures() -> None:
    clock = Clock()
    checked: list[tuple[str, str]] = []

    def check(user: str, password: str) -> str | None:
        checked.append((user, password))
        return user if password == "right" else None

    guard = Guard(check, GuardLimits(max_failures=3, window=100, ban_seconds=600), clock=clock)
    for _ in range(2):
        assert guard.login("10.0.0.9", "pyload", "wrong") is None
    assert guard.login("10.0.0.9", "pyload", "right") == "pyload"  # a success resets the count
    for _ in range(3):
        assert guard.login("10.0.0.9", "pyload", "wrong") is None
    assert guard.banned("10.0.0.9")
    calls = len(checked)
    assert guard.login("10.0.0.9", "pyload", "right") is None  # refused without a check
    assert len(checked) == calls
    assert not guard.banned("10.0.0.8")  # per address
    clock.now += 601
    assert not guard.banned("10.0.0.9")
    assert guard.login("10.0.0.9", "pyload", "right") == "pyload"


def test_guard_counts_failures_within_the_window_only() -> None:
    clock = Clock()
    guard = Guard(lambda u, p: None, GuardLimits(max_failures=3, window=10), clock=clock)
    for _ in range(5):
        guard.login("a", "u", "p")
        clock.now += 6  # never three within 10 s
    assert not guard.banned("a")


def test_guard_remembers_good_credentials_briefly() -> None:
    clock = Clock()
    calls: list[str] = []

    def check(user: str, password: str) -> str | None:
        calls.append(user)
        return user

    guard = Guard(check, GuardLimits(remember=30), clock=clock)
    guard.login("a", "pyload", "pw")
    guard.login("a", "pyload", "pw")
    assert calls == ["pyload"]
    clock.now += 31
    guard.login("a", "pyload", "pw")
    assert calls == ["pyload", "pyload"]
    guard.forget()
    guard.login("a", "pyload", "pw")
    assert len(calls) == 3


def test_guard_treats_a_failing_check_as_a_refusal() -> None:
    def broken(user: str, password: str) -> str | None:
        raise RuntimeError("database locked")

    assert Guard(broken).login("a", "u", "p") is None


# ---------------------------------------------------------------------------------------------
# the server, over real HTTP on 127.0.0.1


@pytest.fixture
def server() -> Iterator[tuple[QbitServer, list[Request]]]:
    seen: list[Request] = []

    def handler(request: Request) -> Response:
        seen.append(request)
        if request.path == "/boom":
            raise RuntimeError("handler failed")
        response = Response.text("Ok.")
        response.headers.append(("Set-Cookie", "SID=x; path=/"))
        return response

    running = QbitServer("127.0.0.1", 0, handler, max_body=1000, max_upload=100).start()
    yield running, seen
    running.stop()


def _call(
    server: QbitServer,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict | None = None,
) -> tuple[int, bytes, http.client.HTTPResponse]:
    connection = http.client.HTTPConnection(*server.address, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read(), response
    finally:
        connection.close()


def test_server_reads_query_and_form(server: tuple[QbitServer, list[Request]]) -> None:
    running, seen = server
    assert running.address[0] == "127.0.0.1"
    status, body, response = _call(
        running,
        "POST",
        "/api/v2/torrents/add?category=tv",
        b"urls=magnet%3A%3F&category=films",
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": "SID=abc"},
    )
    assert (status, body) == (200, b"Ok.")
    assert response.getheader("Set-Cookie") == "SID=x; path=/"
    request = seen[-1]
    assert request.path == "/api/v2/torrents/add"
    assert request.params == {"category": "films", "urls": "magnet:?"}
    assert request.cookie("SID") == "abc"
    assert request.client == "127.0.0.1"
    status, _, _ = _call(running, "GET", "/api/v2/app/version?x=1")
    assert status == 200
    assert seen[-1].params == {"x": "1"}


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({"Content-Length": "5000", "Content-Type": "application/x-www-form-urlencoded"}, b"", 413),
        ({"Transfer-Encoding": "chunked"}, None, 411),
        ({"Content-Length": "-3"}, None, 400),
        ({"Content-Length": "many"}, None, 400),
        ({"Content-Type": "application/pdf"}, b"%PDF", 415),
    ],
)
def test_server_refuses_bad_requests_before_the_handler(
    server: tuple[QbitServer, list[Request]], headers: dict, body: bytes | None, status: int
) -> None:
    running, seen = server
    connection = http.client.HTTPConnection(*running.address, timeout=10)
    try:
        connection.putrequest("POST", "/api/v2/torrents/add")
        for name, value in headers.items():
            connection.putheader(name, value)
        if body is not None and "Content-Length" not in headers:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body if body else None)
        response = connection.getresponse()
        assert response.status == status
    finally:
        connection.close()
    assert seen == []


def test_server_answers_500_when_the_handler_fails(
    server: tuple[QbitServer, list[Request]],
) -> None:
    running, _ = server
    assert _call(running, "GET", "/boom")[:2] == (500, b"Internal error")
    assert _call(running, "HEAD", "/api/v2/app/version")[0] == 405
    assert _call(running, "GET", "/api/v2/app/version")[0] == 200  # still serving


def test_server_stops() -> None:
    running = QbitServer("127.0.0.1", 0, lambda r: Response.text("x")).start()
    address = running.address
    running.stop()
    with pytest.raises(OSError):
        http.client.HTTPConnection(*address, timeout=2).request("GET", "/")


def test_a_multipart_part_without_a_name_is_left_out() -> None:
    body = b"--b0und\r\nContent-Disposition: form-data\r\n\r\nnameless\r\n" + _multipart(
        [("category", None, b"tv")]
    )
    fields, uploads = parse_body("multipart/form-data; boundary=b0und", body, max_upload=100)
    assert (fields, uploads) == ({"category": "tv"}, [])


def test_opening_a_session_forgets_the_idle_ones() -> None:
    clock = Clock()
    sessions = Sessions(idle=60, clock=clock)
    old = sessions.open("pyload")
    clock.now += 61
    new = sessions.open("viewer")
    assert len(sessions) == 1  # the idle one went when the new one came
    assert sessions.user(new) == "viewer"
    assert sessions.user(old) is None
