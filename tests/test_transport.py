"""The transport seam: `RequestsTransport` error translation; a custom transport, no requests."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap

import pytest
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from responses import matchers

from offcloud_api import OffcloudAPI, Request, Response, RetryPolicy, Transport
from offcloud_api.client import HISTORY_MAX_BYTES
from offcloud_api.exceptions import OffcloudConnectionError, ResponseTooLargeError
from offcloud_api.requests_transport import READ_CHUNK, RequestsTransport
from offcloud_api.transport import DEFAULT_MAX_BYTES

BASE = "https://offcloud.com/api"
URL = f"{BASE}/cloud/status"


def request(**overrides: object) -> Request:
    fields: dict[str, object] = {
        "method": "POST",
        "url": URL,
        "timeout": (10.0, 30.0),
        "headers": {"Authorization": "Bearer SECRET-KEY-123"},
        "json": {"requestId": "r1"},
    }
    fields.update(overrides)
    return Request(**fields)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# RequestsTransport


def test_send_passes_everything_and_lowercases_headers(mocked):
    mocked.post(
        URL,
        json={"ok": True},
        headers={"Retry-After": "3", "X-Thing": "y"},
        match=[
            matchers.json_params_matcher({"requestId": "r1"}),
            matchers.header_matcher({"Authorization": "Bearer SECRET-KEY-123"}),
            matchers.query_param_matcher({"format": "detailed"}),
            matchers.request_kwargs_matcher({"timeout": (10.0, 30.0)}),
        ],
    )
    transport = RequestsTransport()
    answer = transport.send(request(params={"format": "detailed"}))
    assert answer.status == 200
    assert answer.content == b'{"ok": true}'
    assert answer.header("retry-after") == "3"
    assert answer.header("X-THING") == "y"
    assert answer.header("missing") is None
    transport.close()


def test_empty_params_send_no_query(mocked):
    mocked.get(f"{BASE}/sites", json=[], match=[matchers.query_param_matcher({})])
    transport = RequestsTransport()
    transport.send(request(method="GET", url=f"{BASE}/sites", json=None))
    assert "?" not in mocked.calls[0].request.url


@pytest.mark.parametrize(
    ("failure", "sent", "text"),
    [
        (requests.exceptions.ConnectTimeout("connect timed out"), False,
         "timed out connecting for POST https://offcloud.com/api/cloud/status"),
        (requests.exceptions.ReadTimeout("read timed out"), True,
         "timed out waiting for the answer to POST https://offcloud.com/api/cloud/status"),
        (requests.exceptions.ConnectionError(
            "Max retries exceeded (Caused by NewConnectionError('[Errno 111] Connection refused'))"
         ), False, "connection failed for POST https://offcloud.com/api/cloud/status: conn"),
        (requests.exceptions.ConnectionError(
            "Max retries exceeded (Caused by NameResolutionError(\"Failed to resolve 'x'\"))"),
         False, "name did not resolve"),
        (requests.exceptions.ConnectionError("('Connection aborted.', ConnectionResetError(104, "
                                             "'Connection reset by peer'))"),
         True, "connection reset"),
        (requests.exceptions.ConnectionError("RemoteDisconnected('Remote end closed')"), True,
         "server closed the connection"),
        (requests.exceptions.ChunkedEncodingError("IncompleteRead(10 bytes read)"), True,
         "request failed for POST https://offcloud.com/api/cloud/status: ChunkedEncodingError"),
        (requests.exceptions.ConnectionError("IncompleteRead(10 bytes read)"), True,
         "answer cut off"),
        (requests.exceptions.SSLError("SSLError(certificate verify failed)"), True, "TLS error"),
        (requests.exceptions.ConnectionError("something else"), True, "ConnectionError"),
        (requests.exceptions.ConnectionError("[Errno 111] Connection refused"), False,
         "/cloud/status: connection refused"),
        (requests.exceptions.TooManyRedirects("Exceeded 30 redirects."), True,
         "request failed for POST https://offcloud.com/api/cloud/status: TooManyRedirects"),
    ],
    ids=["connect-timeout", "read-timeout", "refused", "dns", "reset", "disconnected",
         "chunked", "cut-off", "ssl", "other-connection", "refused-plain", "redirects"],
)  # fmt: skip
def test_requests_errors_are_translated(mocked, failure, sent, text):
    mocked.post(URL, body=failure)
    with pytest.raises(OffcloudConnectionError) as caught:
        RequestsTransport().send(request(url=f"{URL}?key=should-not-show"))
    error = caught.value
    assert error.request_sent is sent
    assert text in error.message
    assert error.method == "POST"
    assert "should-not-show" not in error.message
    assert error.__cause__ is failure


# ---------------------------------------------------------------------------------------------
# the byte cap, read streamed


class EndlessBody(io.RawIOBase):
    """A body that never ends (``[`` then spaces), counting what was read of it."""

    def __init__(self) -> None:
        self.read_bytes = 0
        self.closed_by_reader = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        size = len(buffer)
        buffer[:size] = (b"[" if self.read_bytes == 0 else b" ") + b" " * (size - 1)
        self.read_bytes += size
        return size

    def close(self) -> None:
        self.closed_by_reader = True
        super().close()


class EndlessAdapter(BaseAdapter):
    """Answers every request with an endless 200 JSON body and no Content-Length."""

    def __init__(self, headers: dict[str, str] | None = None) -> None:
        super().__init__()
        self.bodies: list[EndlessBody] = []
        self.headers = headers or {}

    def send(self, request, **kwargs):  # type: ignore[no-untyped-def]
        body = EndlessBody()
        self.bodies.append(body)
        answer = requests.Response()
        answer.status_code = 200
        answer.headers = CaseInsensitiveDict({"Content-Type": "application/json", **self.headers})
        answer.raw = body
        answer.url = request.url
        answer.request = request
        return answer

    def close(self) -> None:
        pass


def endless_session(**headers: str) -> tuple[requests.Session, EndlessAdapter]:
    session = requests.Session()
    adapter = EndlessAdapter(headers)
    session.mount("https://", adapter)
    return session, adapter


def test_body_past_the_cap_stops_reading_and_raises():
    session, adapter = endless_session()
    with pytest.raises(ResponseTooLargeError, match="larger than 1000000 bytes") as caught:
        RequestsTransport(session).send(request(method="GET", json=None, max_bytes=1_000_000))
    (body,) = adapter.bodies
    # Read in chunks and stopped at the first chunk past the cap: never the whole (endless) body.
    assert 1_000_000 < body.read_bytes <= 1_000_000 + READ_CHUNK
    assert caught.value.status == 200
    assert body.closed_by_reader


def test_announced_length_past_the_cap_is_refused_unread():
    session, adapter = endless_session(**{"Content-Length": str(DEFAULT_MAX_BYTES + 1)})
    with pytest.raises(ResponseTooLargeError, match="Content-Length"):
        RequestsTransport(session).send(request(method="GET", json=None))
    assert adapter.bodies[0].read_bytes == 0


def test_body_within_the_cap_is_read_whole(mocked):
    mocked.get(URL, body=b"x" * 5000)
    answer = RequestsTransport().send(request(method="GET", json=None, max_bytes=5000))
    assert answer.content == b"x" * 5000
    mocked.get(URL, body=b"x" * 5001)
    with pytest.raises(ResponseTooLargeError):
        RequestsTransport().send(request(method="GET", json=None, max_bytes=5000))


def test_history_over_64_mib_is_too_large_without_buffering_it_all():
    # §00 L12: no paging, tens of thousands of jobs; still, an endless answer stops at 64 MiB.
    session, adapter = endless_session()
    api = OffcloudAPI(
        "SECRET-KEY-123", base_url=BASE, session=session, retry=RetryPolicy(sleep=lambda s: None)
    )
    with pytest.raises(ResponseTooLargeError) as caught:
        api.get_history()
    assert (caught.value.method, caught.value.path) == ("GET", "/cloud/history")
    (body,) = adapter.bodies  # not retried
    assert HISTORY_MAX_BYTES < body.read_bytes <= HISTORY_MAX_BYTES + READ_CHUNK


def test_injected_session_is_not_closed_owned_one_is(monkeypatch):
    session = requests.Session()
    closed: list[str] = []
    monkeypatch.setattr(session, "close", lambda: closed.append("injected"))
    RequestsTransport(session).close()
    assert closed == []
    owned = RequestsTransport()
    monkeypatch.setattr(owned.session, "close", lambda: closed.append("owned"))
    owned.close()
    assert closed == ["owned"]


# ---------------------------------------------------------------------------------------------
# the interface


def test_request_repr_hides_headers():
    text = repr(request())
    assert text == "Request(POST https://offcloud.com/api/cloud/status)"
    assert "SECRET" not in text


class FakeTransport:
    """A transport from scratch: records requests, answers from a queue."""

    def __init__(self, *answers: Response) -> None:
        self.answers = list(answers)
        self.sent: list[Request] = []
        self.closed = False

    def send(self, request: Request) -> Response:
        self.sent.append(request)
        return self.answers.pop(0)

    def close(self) -> None:
        self.closed = True


def test_custom_transport_gets_the_whole_request():
    fake = FakeTransport(
        Response(200, {}, b'{"status": {"requestId": "r1", "status": "queued"}}'),
    )
    assert isinstance(fake, Transport)
    with OffcloudAPI("SECRET-KEY-123", base_url=BASE, transport=fake) as client:
        assert client.session is None
        assert client.cloud_status("r1").request_id == "r1"
    (sent,) = fake.sent
    assert (sent.method, sent.url, sent.timeout, sent.json, dict(sent.params)) == (
        "POST",
        f"{BASE}/cloud/status",
        (10.0, 30.0),
        {"requestId": "r1"},
        {},
    )
    assert sent.headers["Authorization"] == "Bearer SECRET-KEY-123"
    assert fake.closed is True


def test_core_works_without_requests_installed():
    """`import offcloud_api` and a custom transport must not need `requests` at all."""
    script = textwrap.dedent(
        """
        import sys

        class NoRequests:
            def find_spec(self, name, path=None, target=None):
                if name == "requests" or name.startswith("requests."):
                    raise ImportError("requests is blocked in this test")
                return None

        sys.meta_path.insert(0, NoRequests())
        for name in [n for n in sys.modules if n == "requests" or n.startswith("requests.")]:
            del sys.modules[name]

        import offcloud_api
        from offcloud_api import OffcloudAPI, Response

        class Fake:
            def __init__(self):
                self.urls = []
            def send(self, request):
                self.urls.append(request.url)
                return Response(200, {}, b'{"is_premium": true, "user_id": "u"}')
            def close(self):
                pass

        fake = Fake()
        info = OffcloudAPI("k", base_url="http://sim/api", transport=fake).get_account_stats()
        assert info.is_premium is True, info
        assert fake.urls == ["http://sim/api/account/info"], fake.urls
        assert "requests" not in sys.modules, "requests was imported"
        try:
            OffcloudAPI("k")
        except ImportError:
            print("DEFAULT-TRANSPORT-NEEDS-REQUESTS")
        print("OK")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["DEFAULT-TRANSPORT-NEEDS-REQUESTS", "OK"]
