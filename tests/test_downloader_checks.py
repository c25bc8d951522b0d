"""The downloader's file check: no endless wait/restart for text files, Offcloud errors caught.

pyLoad's generic ``check_download`` rule "Html error" matches any text file that starts with
three digits and a space, and answers with a 60 s wait and a restart, for ever
(docs/pyload-ng.md §2.3). Our plugin replaces the check; these tests call the real plugin class
on real files, with only the pyLoad objects it touches stood in.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fakes import FakePyloadDb

pytest.importorskip("pyload")

import pyload.core.utils.web.parse  # noqa: F401 - breaks pyLoad's import cycle first
from pyload.core.network import exceptions as pyload_exceptions
from pyload.core.network.exceptions import Fail
from pyload.core.network.http.exceptions import BadHeader
from pyload.plugins.base.multi_downloader import MultiDownloader
from pyload.plugins.base.simple_downloader import SimpleDownloader

from offcloud_api.control import installer
from offcloud_api.exceptions import FileOfflineError, HostUnavailableError
from offcloud_api.pyload.hostrest import hostrest

SOURCE = next(p for f, p in installer.shipped_files() if f == "downloaders")


def _plugin_class() -> Any:
    spec = importlib.util.spec_from_file_location("pyload.plugins.downloaders.OffcloudCom", SOURCE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.OffcloudCom


class _DB:
    def __init__(self) -> None:
        self.deleted: list[str] = []

    def retrieve(self, key: str, default: Any = None) -> Any:
        return default

    def delete(self, key: str) -> None:
        self.deleted.append(key)


def _plugin(downloaded: Path) -> Any:
    plugin = object.__new__(_plugin_class())
    plugin._last_download = str(downloaded)
    plugin.pyfile = SimpleNamespace(url="https://rapidgator.net/file/abc", error="")
    plugin.db = _DB()
    plugin.pyload = SimpleNamespace(db=FakePyloadDb())  # pyLoad's storage table (cloudroom)
    plugin.config = SimpleNamespace(get=lambda name, default=None: default)
    plugin.log_warning = plugin.log_info = plugin.log_debug = lambda *args, **kwargs: None
    plugin._ = lambda text: text
    plugin.remove = lambda path, try_trash=True: Path(path).unlink()
    return plugin


def test_a_text_file_starting_with_digits_passes(tmp_path: Path) -> None:
    text = b"123 hello, a perfectly good text file\n"
    generic_rule = dict(SimpleDownloader.FILE_ERRORS)["Html error"]
    assert re.search(generic_rule, text), "pyLoad's own rule would wait and restart for ever"
    downloaded = tmp_path / "notes.txt"
    downloaded.write_bytes(text)
    _plugin(downloaded).check_download()
    assert downloaded.read_bytes() == text


def test_an_offcloud_ip_error_body_fails_with_the_instruction(tmp_path: Path) -> None:
    downloaded = tmp_path / "movie.mkv"
    downloaded.write_text(json.dumps({"error": "You are not authorized to download this file."}))
    with pytest.raises(Fail, match="confirmed"):
        _plugin(downloaded).check_download()
    assert not downloaded.exists(), "the error body must not stay as the file"


def test_a_small_json_file_that_is_no_offcloud_error_passes(tmp_path: Path) -> None:
    downloaded = tmp_path / "data.json"
    downloaded.write_text(json.dumps({"name": "real data", "values": [1, 2, 3]}))
    _plugin(downloaded).check_download()
    assert downloaded.exists()


# ---------------------------------------------------------------------------------------------
# issue 14: what reaches the link from a file server's answer, the client's life, host rests

KEY = "SECRET-KEY-7f3a9c"


class RetriedError(Exception):
    """What the stand-in for pyLoad's ``retry`` raises: pyLoad's own ``Retry``."""

    def __init__(self, attempts: int, wait: int, msg: str, msgfail: str) -> None:
        super().__init__(msg)
        self.attempts, self.wait, self.msg, self.msgfail = attempts, wait, msg, msgfail


class _Client:
    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


class _Account:
    user = "demo"

    def __init__(self) -> None:
        self.clients: list[_Client] = []

    def api_key(self, user: Any = None) -> str:
        return KEY

    def offcloud_client(self, plugin: Any, api_key: str, should_abort: Any = None) -> _Client:
        client = _Client()
        self.clients.append(client)
        return client


def _live_plugin(tmp_path: Path, url: str = "https://rapidgator.net/file/abc") -> Any:
    """A plugin with the pyLoad calls its error paths make stood in; they record."""
    plugin = _plugin(tmp_path / "none")
    plugin._last_download = ""
    plugin.pyfile = SimpleNamespace(
        url=url, error="", abort=False, pluginname="RapidgatorNet", name="abc"
    )
    plugin.account = _Account()
    plugin.api = None
    plugin.multi_dl = True
    plugin._cloud_job = None
    plugin._one_connection = True
    plugin._from_start = False
    plugin.logged = []
    plugin.log_warning = plugin.log_info = lambda *args, **kwargs: plugin.logged.append(
        " ".join(str(a) for a in args)
    )

    def retry(attempts: int = 5, wait: int = 1, msg: str = "", msgfail: str = "") -> None:
        raise RetriedError(attempts, wait, msg, msgfail)

    def fail(msg: str = "") -> None:
        raise Fail(msg)

    plugin.retry = retry
    plugin.fail = fail
    return plugin


def _bad_header(code: int, content: bytes, headers: Any = None) -> Any:
    return BadHeader(code, headers if headers is not None else {}, content)


# item 2: Retry-After: inf from a file server


@pytest.mark.parametrize("header", ["inf", "nan", "1e400", "99999999999"])
def test_a_busy_file_server_with_a_nonsense_retry_after_is_asked_again_soon(
    tmp_path: Path, header: str
) -> None:
    plugin = _live_plugin(tmp_path)
    with pytest.raises(RetriedError) as caught:
        plugin._download_refused(_bad_header(503, b"", {"Retry-After": header}))
    assert 1 <= caught.value.wait <= 600


# item 3: deep JSON


DEEP_SMALL = b'{"error":' + b"[" * 4000  # fits the 4 KiB check, too deep for json


def test_a_deeply_nested_small_file_is_no_recursion_error(tmp_path: Path) -> None:
    assert len(DEEP_SMALL) <= 4096
    downloaded = tmp_path / "nested.json"
    downloaded.write_bytes(DEEP_SMALL)
    _plugin(downloaded).check_download()  # not an Offcloud error: the file stays
    assert downloaded.exists()


@pytest.mark.parametrize(
    "body",
    [
        b'{"error":' + b"[" * 100_000,
        b'{"error":' + b'{"a":' * 200 + b'"Temporary error"' + b"}" * 201,
    ],
    ids=["unparseable", "parseable-but-deep"],
)
def test_deep_json_in_a_refusal_is_a_retry_not_a_recursion_error(
    tmp_path: Path, body: bytes
) -> None:
    plugin = _live_plugin(tmp_path)
    with pytest.raises(RetriedError) as caught:
        plugin._download_refused(_bad_header(500, body))
    assert "HTTP 500" in caught.value.msg


# item 7: redaction


@pytest.mark.parametrize(
    ("status", "body", "outcome"),
    [
        (
            200,
            {"error": f"You are not authorized to download this file. key={KEY}"},
            Fail,
        ),
        (
            500,
            {"error": f"Temporary error for {KEY}: token=abc123def and Bearer xyz987"},
            RetriedError,
        ),
        (
            403,
            {"error": "Temporary error", "message": f"apikey={KEY}"},
            RetriedError,
        ),
    ],
    ids=["ip-advice", "temporary", "description"],
)
def test_a_file_server_echoing_the_key_does_not_put_it_on_the_link(
    tmp_path: Path, status: int, body: dict[str, Any], outcome: type
) -> None:
    plugin = _live_plugin(tmp_path)
    raw = json.dumps(body).encode()
    if status == 200:  # in place of the file
        downloaded = tmp_path / "movie.mkv"
        downloaded.write_bytes(raw)
        plugin._last_download = str(downloaded)
        answer = plugin.check_download
    else:
        answer = lambda: plugin._download_refused(_bad_header(status, raw))  # noqa: E731
    with pytest.raises(outcome) as caught:
        answer()
    seen = [str(caught.value), plugin.pyfile.error, *plugin.logged]
    if isinstance(caught.value, RetriedError):
        seen += [caught.value.msg, caught.value.msgfail]
    for text in seen:
        assert KEY not in text
        assert "abc123def" not in text
        assert "xyz987" not in text
    assert any("***" in text for text in seen)


# item 10: the API client is closed at the end of every attempt


def _attempt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ending: Any) -> Any:
    def process(self: Any, thread: Any) -> None:
        self._client()
        if ending is not None:
            raise ending

    monkeypatch.setattr(MultiDownloader, "_process", process)
    return _live_plugin(tmp_path)


@pytest.mark.parametrize(
    "ending",
    [None, "Retry", "Fail", "Abort", "Skip", "RuntimeError"],
    ids=["finished", "retry", "fail", "abort", "skip", "crash"],
)
def test_every_attempt_closes_its_api_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ending: Any
) -> None:
    raised = None
    if ending == "RuntimeError":
        raised = RuntimeError("boom")
    elif ending is not None:
        raised = getattr(pyload_exceptions, ending)("end")
    plugin = _attempt(tmp_path, monkeypatch, raised)
    if raised is None:
        plugin._process(thread=None)
    else:
        with pytest.raises(type(raised)):
            plugin._process(thread=None)
    (client,) = plugin.account.clients
    assert client.closed == 1
    assert plugin.api is None  # the next attempt makes a fresh one


def test_an_attempt_without_an_api_call_closes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(MultiDownloader, "_process", lambda self, thread: None)
    plugin = _live_plugin(tmp_path)
    plugin._process(thread=None)
    assert plugin.account.clients == []


# item 12: the downloader translates host rests


@pytest.fixture
def hostrest_book() -> Any:
    hostrest.clear()
    yield hostrest
    hostrest.clear()


def test_three_host_failures_in_a_row_rest_the_host(tmp_path: Path, hostrest_book: Any) -> None:
    error = HostUnavailableError(
        "The supported site is temporarily disabled. (POST /cloud, HTTP 500)",
        code="The supported site is temporarily disabled.",
    )
    waits = []
    for number in range(3):
        plugin = _live_plugin(tmp_path, url=f"https://rapidgator.net/file/rest{number}")
        with pytest.raises(RetriedError) as caught:
            plugin._apply(error)
        waits.append(caught.value)
    assert [w.wait for w in waits[:2]] == [2, 2]  # a short wait: the host may be back at once
    rest = waits[2]
    assert 595 <= rest.wait <= 600  # ten minutes, for every link of the host
    assert re.fullmatch(
        r"Offcloud cannot serve rapidgator\.net right now; resting 10 min, next try at "
        r"\d\d:\d\d \(The supported site is temporarily disabled\.\)",
        rest.msg,
    ), rest.msg
    assert plugin.pyfile.error == rest.msg
    assert rest.attempts >= 10
    # The other links of this hoster stay queued: pyLoad starts no second link of a plugin
    # name whose running link is not multi_dl.
    assert plugin.multi_dl is False
    assert hostrest_book.resting("rapidgator.net") is not None


def test_a_link_of_a_resting_host_waits_without_an_api_call(
    tmp_path: Path, hostrest_book: Any
) -> None:
    for _ in range(3):
        hostrest_book.failed("rapidgator.net", "quota exceeded today", rest_seconds=120)
    plugin = _live_plugin(tmp_path, url="https://www.rapidgator.net/file/queued")
    with pytest.raises(RetriedError) as caught:
        plugin.handle_premium(plugin.pyfile)
    assert plugin.account.clients == []  # no client, so no API call
    assert 115 <= caught.value.wait <= 120
    assert caught.value.msg.startswith(
        "Offcloud cannot serve rapidgator.net right now; resting 2 min, next try at "
    )
    assert plugin.pyfile.error == caught.value.msg


def test_a_plugin_less_host_keeps_other_links_running(tmp_path: Path, hostrest_book: Any) -> None:
    # Links of hosts without a pyLoad plugin run under our own name, like every Offcloud file
    # link: those must not be held back while one host rests.
    for _ in range(3):
        hostrest_book.failed("example-hoster.test", "temporarily disabled", rest_seconds=60)
    plugin = _live_plugin(tmp_path, url="https://example-hoster.test/file/x")
    plugin.pyfile.pluginname = "OffcloudCom"
    with pytest.raises(RetriedError):
        plugin.handle_premium(plugin.pyfile)
    assert plugin.multi_dl is True


def test_an_offline_link_does_not_count_against_its_host(
    tmp_path: Path, hostrest_book: Any
) -> None:
    for _ in range(5):
        plugin = _live_plugin(tmp_path)
        plugin.offline = lambda msg="": (_ for _ in ()).throw(Fail("offline"))
        with pytest.raises(Fail):
            plugin._apply(FileOfflineError("The file is not available on the server."))
    assert hostrest_book.resting("rapidgator.net") is None
