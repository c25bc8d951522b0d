"""PyloadTransport against a real pyLoad ``HTTPRequest`` stack and a loopback server.

pyLoad's request objects are the real thing here; only the plugin around them is a stand-in that
offers what a plugin offers (``load``, ``classname``, ``pyload.request_factory``). pyLoad's SSRF
guard refuses loopback, so the request objects get ``allow_private_ip`` (docs/pyload.md §4.3).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fakes import local_http_server

pytest.importorskip("pyload")
pytest.importorskip("pycurl")

import pyload.core.utils.web.parse  # noqa: F401 - breaks pyLoad's import cycle first

from offcloud_api import OffcloudAPI, RetryPolicy
from offcloud_api.exceptions import (
    AuthError,
    OffcloudConnectionError,
    RateLimitError,
    ResponseTooLargeError,
    ServerError,
)
from offcloud_api.pyload.transport import (
    PyloadTransport,
    abortable_sleep,
    client_for,
    has_headers,
    header_value,
)
from offcloud_api.transport import Request

SEEN: list[dict[str, Any]] = []
#: Jobs in the served history (a list, so a test can change it).
HISTORY_JOBS = [30_000]


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        SEEN.append(
            {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
        )
        routes = {
            "/api/account/info": (200, {"user_id": "u1", "is_premium": True, "can_download": True}),
            "/api/cloud/status": (200, {"status": {"requestId": "r1", "status": "downloaded"}}),
            "/api/bad": (401, {"error": "NOAUTH"}),
            "/api/busy": (429, {"error": "slow down"}),
            "/api/down": (503, "<html><body>down</body></html>"),
            "/api/missing": (404, {"error": "not here"}),
        }
        path = self.path.split("?")[0]
        if path == "/api/cloud/history":
            self._history()
            return
        status, payload = routes.get(path, (200, {"echo": True}))
        data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        self.send_response(status)
        if status == 429:
            self.send_header("Retry-After", "120")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _history(self) -> None:
        """A cloud history of ``HISTORY_JOBS`` jobs (L12: a bare array, no paging), chunked."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        items = [
            json.dumps(
                {
                    "requestId": f"{n:024x}",
                    "fileName": f"Some.Release.{n}.mkv",
                    "status": "downloaded",
                    "originalLink": f"https://rapidgator.net/file/{n:08x}/Some.Release.{n}.mkv",
                    "createdOn": "2026-09-02T10:00:00.000Z",
                }
            ).encode()
            for n in range(HISTORY_JOBS[0])
        ]
        body = b"[" + b",".join(items) + b"]"
        for start in range(0, len(body), 65536):
            chunk = body[start : start + 65536]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")

    do_GET = _answer  # noqa: N815 - http.server's naming
    do_POST = _answer  # noqa: N815


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with local_http_server(_Handler) as url:
        yield url


class _Factory:
    def get_request(self, plugin_name: str, account: object = None) -> Any:
        from pyload.core.network.browser import Browser  # noqa: PLC0415
        from pyload.core.network.cookie_jar import CookieJar  # noqa: PLC0415

        browser = Browser(None, {"proxies": {}, "ssl_verify": False})
        browser.set_cookie_jar(CookieJar(plugin_name))
        browser.http.allow_private_ip = True  # loopback test server; see the module docstring
        return browser


class _Plugin:
    """What PyloadTransport needs of a plugin; ``load`` is pyLoad's request's own load."""

    classname = "OffcloudCom"

    def __init__(self) -> None:
        self.pyload = SimpleNamespace(request_factory=_Factory())
        self.loads: list[dict[str, Any]] = []

    def load(self, url: str, *, get: Any, post: Any, referrer: Any, decode: Any, req: Any) -> Any:
        self.loads.append({"url": url, "get": get, "post": post})
        return req.load(url, get, post, referer=referrer, decode=decode)


@pytest.fixture
def api(server: str) -> Iterator[OffcloudAPI]:
    SEEN.clear()
    client = OffcloudAPI(
        "SECRET-KEY-123",
        base_url=server + "/api",
        transport=PyloadTransport(_Plugin()),
        retry=RetryPolicy(attempts=1),
    )
    yield client
    client.close()


def test_get_with_bearer_and_json_answer(api: OffcloudAPI) -> None:
    info = api.get_account_stats()
    assert info.is_premium
    assert SEEN[-1]["method"] == "GET"
    assert SEEN[-1]["headers"]["Authorization"] == "Bearer SECRET-KEY-123"
    assert "SECRET-KEY-123" not in SEEN[-1]["path"]


def test_post_sends_json_body_with_json_content_type(api: OffcloudAPI) -> None:
    job = api.cloud_status("r1")
    assert job.status.value == "downloaded"
    seen = SEEN[-1]
    assert seen["method"] == "POST"
    assert seen["headers"]["Content-Type"] == "application/json"
    assert json.loads(seen["body"]) == {"requestId": "r1"}


def test_bodiless_post_is_still_a_post(api: OffcloudAPI) -> None:
    api._request("POST", "/echo", idempotent=True)
    assert SEEN[-1]["method"] == "POST"
    assert SEEN[-1]["body"] == b"{}"


def test_get_after_post_on_the_same_request_is_a_get(api: OffcloudAPI) -> None:
    api.cloud_status("r1")
    api.get_account_stats()
    assert [s["method"] for s in SEEN[-2:]] == ["POST", "GET"]


def test_status_codes_pyload_raises_for_become_answers(api: OffcloudAPI) -> None:
    with pytest.raises(AuthError) as auth:
        api._request("GET", "/bad", idempotent=True)
    assert auth.value.status == 401
    with pytest.raises(ServerError) as server_error:
        api._request("GET", "/down", idempotent=True)
    assert "HTML" in str(server_error.value)


def test_status_codes_pyload_returns_normally_are_read_from_the_request(api: OffcloudAPI) -> None:
    with pytest.raises(RateLimitError) as limited:
        api._request("GET", "/busy", idempotent=True)
    assert limited.value.retry_after == 120
    with pytest.raises(Exception, match="not here") as missing:
        api._request("GET", "/missing", idempotent=True)
    assert getattr(missing.value, "status", None) == 404


def test_unreachable_server_is_a_connection_error_not_sent() -> None:
    client = OffcloudAPI(
        "SECRET-KEY-123",
        base_url="http://127.0.0.1:9/api",
        transport=PyloadTransport(_Plugin()),
        retry=RetryPolicy(attempts=1),
    )
    with pytest.raises(OffcloudConnectionError) as failed:
        client.get_account_stats()
    assert failed.value.request_sent is False
    assert "SECRET-KEY-123" not in str(failed.value)


def test_the_key_is_never_in_what_pyload_logs(api: OffcloudAPI) -> None:
    plugin = api.transport.plugin  # type: ignore[attr-defined]
    api.get_account_stats()
    api.cloud_status("r1")
    assert plugin.loads
    assert "SECRET-KEY-123" not in repr(plugin.loads)


def test_a_history_over_pyloads_2_mb_limit_is_read_whole_and_dumps_nothing(
    api: OffcloudAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tens of thousands of jobs (about 6 MB): pyLoad's own 2,000,000-byte cap would fail the
    # call with a bare Exception and write the whole answer to ./response.dump (pyload-ng.md §4.1).
    monkeypatch.chdir(tmp_path)
    HISTORY_JOBS[0] = 30_000
    jobs = api.get_history()
    assert len(jobs) == 30_000
    assert jobs[-1].request_id == f"{29_999:024x}"
    assert list(tmp_path.iterdir()) == []


def test_a_history_over_the_calls_cap_is_a_clear_error_and_dumps_nothing(
    api: OffcloudAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("offcloud_api.client.HISTORY_MAX_BYTES", 1_000_000)
    HISTORY_JOBS[0] = 30_000
    with pytest.raises(ResponseTooLargeError) as too_large:
        api.get_history()
    assert "larger than" in str(too_large.value)
    assert "SECRET-KEY-123" not in str(too_large.value)
    assert list(tmp_path.iterdir()) == []


class _ScriptedPlugin(_Plugin):
    """A plugin whose ``load`` answers what the test says, on a real pyLoad request object."""

    def __init__(self, answer: Any) -> None:
        super().__init__()
        self.answer = answer

    def load(self, url: str, *, get: Any, post: Any, referrer: Any, decode: Any, req: Any) -> Any:
        self.loads.append({"url": url, "get": get, "post": post})
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer


def _get(url: str = "http://127.0.0.1:9/api/x?key=SECRET-KEY-123", **options: Any) -> Request:
    return Request("GET", url, timeout=5, headers={"Authorization": "Bearer SECRET"}, **options)


def test_a_pyload_refusal_is_a_connection_error_that_was_not_sent() -> None:
    from pyload.core.network.exceptions import Fail  # noqa: PLC0415

    transport = PyloadTransport(_ScriptedPlugin(Fail("Access to private IP denied")))
    with pytest.raises(OffcloudConnectionError) as refused:
        transport.send(_get())
    assert refused.value.request_sent is False
    assert str(refused.value) == (
        "pyLoad refused GET http://127.0.0.1:9/api/x: Access to private IP denied"
    )
    transport.close()


def test_an_answer_past_the_cap_is_refused_even_if_curl_let_it_through() -> None:
    transport = PyloadTransport(_ScriptedPlugin("x" * 2048))
    with pytest.raises(ResponseTooLargeError, match=r"the answer to GET http://127.0.0.1:9/api/x"):
        transport.send(_get(max_bytes=1024))
    answer = transport.send(_get(max_bytes=4096))
    assert answer.content == b"x" * 2048


def test_closing_a_request_that_fails_to_close_is_only_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    transport = PyloadTransport(_ScriptedPlugin(b""))

    class _Broken:
        def close(self) -> None:
            raise RuntimeError("curl handle already gone")

    transport._request = _Broken()
    with caplog.at_level("DEBUG", logger="offcloud_api.pyload.transport"):
        transport.close()
    assert "closing the pyLoad request failed" in caplog.text


def test_header_helpers_read_any_case_and_tolerate_no_headers() -> None:
    headers = {"Content-Type": "application/json", "X-Empty": None}
    assert header_value(headers, "content-type") == "application/json"
    assert header_value(headers, "x-empty") is None
    assert header_value(headers, "retry-after") is None
    assert header_value(None, "content-type") is None
    assert has_headers(headers) is True
    assert has_headers({}) is False
    assert has_headers(None) is False


def test_abortable_sleep_returns_when_pyload_stops_the_link_or_the_time_is_up() -> None:
    asked: list[bool] = []

    def stop_now() -> bool:
        asked.append(True)
        return True

    abortable_sleep(stop_now)(3600)  # would hang for an hour if the abort were not seen
    assert asked == [True]
    abortable_sleep(lambda: False)(0)  # nothing left to wait: returns at once


def test_client_for_talks_through_the_plugins_pyload(server: str) -> None:
    plugin = _Plugin()
    client = client_for(plugin, "SECRET-KEY-123", lambda: False, api_generation="2026")
    try:
        assert isinstance(client.transport, PyloadTransport)
        assert client.transport.plugin is plugin
    finally:
        client.close()
