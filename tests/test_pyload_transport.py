"""PyloadTransport against a real pyLoad ``HTTPRequest`` stack and a loopback server.

pyLoad's request objects are the real thing here; only the plugin around them is a stand-in that
offers what a plugin offers (``load``, ``classname``, ``pyload.request_factory``). pyLoad's SSRF
guard refuses loopback, so the request objects get ``allow_private_ip`` (docs/pyload-ng.md §4.3).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

import pytest

pytest.importorskip("pyload")
pytest.importorskip("pycurl")

import pyload.core.utils.web.parse  # noqa: F401 - breaks pyLoad's import cycle first

from offcloud_api import OffcloudAPI, RetryPolicy
from offcloud_api.exceptions import (
    AuthError,
    OffcloudConnectionError,
    RateLimitError,
    ServerError,
)
from offcloud_api.pyload.transport import PyloadTransport

SEEN: list[dict[str, Any]] = []


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
        status, payload = routes.get(self.path.split("?")[0], (200, {"echo": True}))
        data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        self.send_response(status)
        if status == 429:
            self.send_header("Retry-After", "120")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = _answer  # noqa: N815 - http.server's naming
    do_POST = _answer  # noqa: N815


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


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
