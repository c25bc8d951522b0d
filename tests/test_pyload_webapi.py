"""offcloud_api.install.webapi: the one client of pyLoad's web API, against a local stand-in.

The stand-in reads query and form values the way pyload-ng 0.5's ``api_blueprint.rpc`` does
(one more ``unquote``, then its own ``_parse_parameter``, imported from the installed pyLoad).
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import time
from ast import literal_eval
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any, Callable
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
from fakes import local_http_server

from offcloud_api.install.login import PyloadLoginError, PyloadWeb
from offcloud_api.install.pyload_local import PyloadError
from offcloud_api.install.webapi import PyloadApiError, PyloadWebApi, RateBudget, encode_param

KEY = "pl_17" + "k" * 43
SECRET = "token-that-must-not-show"

blueprint = pytest.importorskip("pyload.webui.app.blueprints.api_blueprint")
parse_like_pyload: Callable[[str], Any] = blueprint._parse_parameter

#: (method, path, headers, body) of every request the stand-in saw
Seen = list[tuple[str, str, Any, bytes]]
Route = Callable[["Handler", dict[str, Any]], tuple[int, Any]]


class Handler(BaseHTTPRequestHandler):
    routes: dict[str, Route]
    seen: Seen

    def log_message(self, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.seen.append((self.command, self.path, self.headers, body))
        parts = urlsplit(self.path)
        params: dict[str, Any] = {
            k: parse_like_pyload(unquote(v)) for k, v in parse_qsl(parts.query)
        }
        kind = self.headers.get("Content-Type", "")
        if kind == "application/json":
            params.update(json.loads(body))
        elif kind.startswith("multipart/form-data"):
            message = email.message_from_bytes(
                f"Content-Type: {kind}\r\n\r\n".encode() + body, policy=email.policy.HTTP
            )
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                value = part.get_payload(decode=True)
                if part.get_filename():
                    params[name] = (part.get_filename(), value)
                else:
                    params[name] = parse_like_pyload(unquote(value.decode()))
        route = self.routes.get(parts.path)
        status, value = route(self, params) if route else (404, {"error": "Not Found"})
        data = value if isinstance(value, bytes) else json.dumps(value).encode()
        self.send_response(status)
        for name, header in getattr(self, "extra_headers", {}).items():
            self.send_header(name, header)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()


@pytest.fixture
def pyload() -> Iterator[tuple[str, type[Handler]]]:
    handler = type("Fake", (Handler,), {"routes": {}, "seen": []})
    with local_http_server(handler) as url:
        yield url, handler


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    pauses: list[float] = []
    monkeypatch.setattr(time, "sleep", pauses.append)
    return pauses


def client(url: str, **kwargs: Any) -> PyloadWebApi:
    kwargs.setdefault("use_environment_proxy", False)
    return PyloadWebApi(url, KEY, secrets=[SECRET], **kwargs)


# ---- the one parameter encoding ---------------------------------------------------------------


VALUES = ["plain", 'it\'s "quoted"', "100%25 sure", "123", "a\\nb", "", 5, 1.5, [1, 2], None]


def test_param_encoding_survives_pyloads_literal_eval() -> None:
    for value in [*VALUES, {"a": 1}, ["x", True]]:
        assert literal_eval(unquote(encode_param(value))) == value
    assert encode_param(True) == "true"
    assert encode_param(False) == "false"
    with pytest.raises(TypeError):
        encode_param(object())


def test_pyload_reads_back_every_value_as_sent() -> None:
    for value in [*VALUES, True, False, {"a": [1, None]}]:
        assert parse_like_pyload(unquote(encode_param(value))) == value
    # Why not the plain text: pyLoad would turn these strings into something else.
    assert parse_like_pyload(unquote("123")) == 123
    assert parse_like_pyload(unquote("100%25 sure")) == "100% sure"


def test_get_parameters_arrive_as_sent_and_the_key_only_in_a_header(pyload) -> None:
    url, handler = pyload
    got: list[dict[str, Any]] = []
    handler.routes["/api/echo"] = lambda _, params: (got.append(params), (200, params))[1]
    params = {f"p{i}": value for i, value in enumerate(VALUES)}
    client(url).call("get", "echo", refresh=False, **params)
    assert got == [{"refresh": False, **params}]
    method, path, headers, body = handler.seen[-1]
    assert (method, body) == ("GET", b"")
    assert headers["X-API-Key"] == KEY
    assert KEY not in path


def test_post_parameters_go_as_a_json_body(pyload) -> None:
    url, handler = pyload
    handler.routes["/api/update_account"] = lambda _, params: (200, params)
    answer = client(url).call("POST", "update_account", plugin="P", account="a", password=SECRET)
    assert answer == {"plugin": "P", "account": "a", "password": SECRET}
    method, path, headers, _ = handler.seen[-1]
    assert (method, path, headers["Content-Type"]) == (
        "POST",
        "/api/update_account",
        "application/json",
    )
    assert SECRET not in path


def test_an_upload_is_multipart_with_its_fields_encoded(pyload) -> None:
    url, handler = pyload
    got: list[dict[str, Any]] = []
    handler.routes["/api/upload_container"] = lambda _, params: (got.append(params), (200, True))[1]
    data = b"d8:announce0:e\x00\xff"
    fields = {"filename": "my 100% file.torrent", "dest": 1}
    assert client(url).upload("upload_container", fields, "my 100% file.torrent", data) is True
    (params,) = got
    assert params["filename"] == "my 100% file.torrent"
    assert params["dest"] == 1
    assert params["data"] == ("my_100__file.torrent", data)


# ---- answers and errors -------------------------------------------------------------------


def test_every_failure_is_one_exception_with_a_message_and_no_secret(pyload) -> None:
    url, handler = pyload
    handler.routes["/api/refused"] = lambda *_: (401, {"error": "Login required"})
    handler.routes["/api/broken"] = lambda *_: (500, {"error": f"bad {KEY} and {SECRET}\n\nx"})
    handler.routes["/api/html"] = lambda *_: (200, b"<html>login</html>")
    handler.routes["/api/empty"] = lambda *_: (200, b"")
    api = client(url)
    assert api.call("GET", "empty") is None

    with pytest.raises(PyloadApiError, match=r"refused the API key \(HTTP 401\)") as refused:
        api.call("GET", "refused")
    assert (refused.value.status, refused.value.name, refused.value.method) == (
        401,
        "refused",
        "GET",
    )

    with pytest.raises(PyloadApiError, match=r"answered HTTP 500 to /api/broken: ") as broken:
        api.call("POST", "broken")
    assert broken.value.status == 500
    for text in (str(broken.value), broken.value.body):
        assert KEY not in text
        assert SECRET not in text
    assert "\n" not in str(broken.value)

    with pytest.raises(PyloadApiError, match="did not answer JSON") as html:
        api.call("GET", "html")
    assert html.value.status == 200

    with pytest.raises(PyloadApiError, match="HTTP 404") as unknown:
        api.call("GET", "nothing_here")
    assert isinstance(unknown.value, PyloadError)


def test_no_answer_is_status_0(unused_port: int) -> None:
    api = client(f"http://127.0.0.1:{unused_port}")
    with pytest.raises(PyloadApiError, match=r"cannot reach pyLoad at .* \(/api/x\)") as excinfo:
        api.call("GET", "x")
    assert excinfo.value.status == 0
    assert KEY not in str(excinfo.value)


def test_a_bad_address_or_no_key_is_refused_before_any_request() -> None:
    for bad in ["ftp://host/", "localhost:8000", "http://"]:
        with pytest.raises(PyloadApiError, match="not a pyLoad web address"):
            PyloadWebApi(bad, KEY)
    api = PyloadWebApi("http://127.0.0.1:1/?key=pl_x ", None)
    assert api.url == "http://127.0.0.1:1"
    assert repr(api) == "PyloadWebApi('http://127.0.0.1:1')"
    with pytest.raises(PyloadApiError, match="no API key"):
        api.call("GET", "x")


def test_environment_proxies_apply_only_when_asked(
    pyload, unused_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, handler = pyload
    handler.routes["/api/get_server_version"] = lambda *_: (200, "0.5.0")
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{unused_port}")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    assert client(url).call("GET", "get_server_version") == "0.5.0"
    with pytest.raises(PyloadApiError, match="cannot reach") as excinfo:
        client(url, use_environment_proxy=True).call("GET", "get_server_version")
    assert excinfo.value.status == 0


@pytest.fixture
def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---- pyLoad's rate limit --------------------------------------------------------------------


def test_429_is_waited_out_as_retry_after_asks(pyload, slept: list[float]) -> None:
    url, handler = pyload
    answers = iter([(429, {"error": "slow"}), (429, {"error": "slow"}), (200, "ok")])
    handler.routes["/api/busy"] = lambda *_: next(answers)
    handler.extra_headers = {"Retry-After": "7"}
    assert client(url).call("GET", "busy") == "ok"
    assert slept == [7.0, 7.0]


def test_429_beyond_the_wait_allowed_is_an_error(pyload, slept: list[float]) -> None:
    url, handler = pyload
    handler.routes["/api/busy"] = lambda *_: (429, {"error": "slow"})
    handler.extra_headers = {"Retry-After": "600"}
    with pytest.raises(PyloadApiError, match="HTTP 429") as excinfo:
        client(url, rate_limit_wait=100).call("GET", "busy")
    assert excinfo.value.status == 429
    assert slept == [65.0, 65.0]  # a pause is at most 65 s; the second one passed the 100 s


def test_429_without_a_usable_retry_after_waits_5_s(pyload, slept: list[float]) -> None:
    url, handler = pyload
    answers = iter([(429, {}), (200, 1)])
    handler.routes["/api/busy"] = lambda *_: next(answers)
    handler.extra_headers = {"Retry-After": "soon"}
    assert client(url).call("GET", "busy") == 1
    assert slept == [5.0]


def test_a_budget_keeps_calls_under_the_limit(pyload, slept: list[float]) -> None:
    url, handler = pyload
    handler.routes["/api/x"] = lambda *_: (200, 1)
    budget = RateBudget(3)
    api = client(url, budget=budget)
    for _ in range(3):
        api.call("GET", "x")
    assert slept == []
    assert len(budget.calls) == 3
    api.call("GET", "x")  # the fourth waits until the first leaves the minute
    assert len(slept) == 1
    assert 59 < slept[0] <= 60
    assert len(budget.calls) == 4


def test_budget_pause_for_room() -> None:
    budget = RateBudget(10)
    now = time.monotonic()
    budget.calls.extend([now - 70, now - 30, now - 20, *[now - 1] * 6])
    assert budget.pause_for_room(2) == 0.0  # 8 in the last minute (one expired) + 2 fit
    assert len(budget.calls) == 8
    assert 39 < budget.pause_for_room(4) <= 40  # until the two oldest leave the window


# ---- the web login ----------------------------------------------------------------------------

LOGIN_PAGE = b'<form><input type="hidden" name="csrf_token" value="form-token"></form>'
DASHBOARD = b'<meta name="csrf-token" content="page-token">'


def _web_login(handler: type[Handler], key_answer: Any) -> None:
    def login(this: Handler, params: dict[str, Any]) -> tuple[int, Any]:
        if this.command == "GET":
            this.extra_headers = {"Set-Cookie": "session=s1; Path=/"}
            return 200, LOGIN_PAGE
        return 200, DASHBOARD

    def generate(this: Handler, params: dict[str, Any]) -> tuple[int, Any]:
        assert this.headers["X-CSRFToken"] == "page-token"
        assert this.headers["Cookie"] == "session=s1"
        assert params == {"user": "pyload", "password": "pw", "name": "runner", "expires": 0}
        return 200, key_answer

    handler.routes["/login"] = login
    handler.routes["/json/generate_apikey"] = generate


def test_generate_api_key_through_the_web_login(pyload) -> None:
    url, handler = pyload
    _web_login(handler, {"success": True, "data": {"key": KEY}})
    assert PyloadWebApi(url).generate_api_key("pyload", "pw", "runner") == KEY
    (_, _, _, form) = handler.seen[1]
    assert dict(parse_qsl(form.decode())) == {
        "csrf_token": "form-token",
        "username": "pyload",
        "password": "pw",
    }


@pytest.mark.parametrize(
    ("answer", "message"),
    [({"success": False}, "generate_apikey: HTTP 200"), ({"data": {"key": "x"}}, "odd key")],
)
def test_generate_api_key_says_what_went_wrong(pyload, answer: Any, message: str) -> None:
    url, handler = pyload
    _web_login(handler, answer)
    with pytest.raises(PyloadApiError, match=message):
        PyloadWebApi(url).generate_api_key("pyload", "pw", "runner")


def test_generate_api_key_without_a_login_form_or_dashboard(pyload) -> None:
    url, handler = pyload
    handler.routes["/login"] = lambda *_: (200, b"<html>no form</html>")
    with pytest.raises(PyloadApiError, match="no csrf_token field"):
        PyloadWebApi(url).generate_api_key("pyload", "pw", "runner")
    handler.routes["/login"] = lambda this, _: (200, LOGIN_PAGE if this.command == "GET" else b"")
    with pytest.raises(PyloadApiError, match=r"web login as 'pyload' failed"):
        PyloadWebApi(url).generate_api_key("pyload", "pw", "runner")


# ---- offcloud pyload login's use of it ------------------------------------------------------


def test_login_maps_the_clients_errors_to_its_own(pyload) -> None:
    url, handler = pyload
    handler.routes["/api/get_server_version"] = lambda *_: (200, "0.5.0")
    handler.routes["/api/get_accounts"] = lambda _, params: (
        200,
        [{"type": "OffcloudCom", "login": "me", "refresh": params["refresh"]}, {"type": "Other"}],
    )
    web = PyloadWeb(url + "/", KEY)
    assert (web.url, repr(web)) == (url, f"PyloadWeb({url!r})")
    assert web.check() == "0.5.0"
    assert web.accounts() == [{"type": "OffcloudCom", "login": "me", "refresh": False}]
    web.secrets.append(SECRET)  # as the command does once it has the token
    handler.routes["/api/update_account"] = lambda *_: (500, {"error": f"no {SECRET}"})
    with pytest.raises(
        PyloadLoginError, match="answered HTTP 500 to /api/update_account"
    ) as failed:
        web.set_account("me", SECRET)
    assert SECRET not in str(failed.value)
    with pytest.raises(PyloadLoginError, match="not a pyLoad web address"):
        PyloadWeb("file:///etc/passwd", KEY)
