"""The downloader's file check: no endless wait/restart for text files, Offcloud errors caught.

pyLoad's generic ``check_download`` rule "Html error" matches any text file that starts with
three digits and a space, and answers with a 60 s wait and a restart, for ever
(docs/pyload.md §2.3). Our plugin replaces the check; these tests call the real plugin class
on real files, with only the pyLoad objects it touches stood in.
"""

from __future__ import annotations

import importlib.util
import json
import re
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar, Optional

import pytest
from fakes import FakePyloadDb, local_http_server

pytest.importorskip("pyload")

import pyload.core.utils.web.parse  # noqa: F401 - breaks pyLoad's import cycle first
from pyload.core.network import exceptions as pyload_exceptions
from pyload.core.network.exceptions import Fail
from pyload.core.network.http.exceptions import BadHeader
from pyload.plugins.base.multi_downloader import MultiDownloader
from pyload.plugins.base.simple_downloader import SimpleDownloader

from offcloud_api.exceptions import FileOfflineError, HostUnavailableError, IPNotRegisteredError
from offcloud_api.install import installer
from offcloud_api.pyload.hostrest import hostrest
from offcloud_api.pyload.ippause import Verdict, account_key, ippause

SOURCE = next(p for f, p in installer.shipped_files() if f == "downloaders")


@pytest.fixture(autouse=True)
def _no_pause() -> Any:
    """Every test starts and ends with no account paused (the book is one per process)."""
    ippause.clear()
    yield
    ippause.clear()


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
    plugin.pyfile = SimpleNamespace(url="https://rapidgator.net/file/abc", error="", id=1)
    plugin.db = _DB()
    plugin.pyload = SimpleNamespace(db=FakePyloadDb())  # pyLoad's storage table (cloudroom)
    plugin.config = SimpleNamespace(get=lambda name, default=None: default)
    plugin.log_warning = plugin.log_info = plugin.log_debug = lambda *args, **kwargs: None
    plugin._ = lambda text: text
    plugin.remove = lambda path, try_trash=True: Path(path).unlink()
    plugin.account = None
    plugin.link = None
    # What setup() gives every attempt (offcloud_api.pyload.ippause's part).
    plugin._ip_turn = False
    plugin._refusal_body = b""
    plugin._download_started = None
    plugin._link_refreshed = False
    plugin._rest_shown = False
    return plugin


def test_a_text_file_starting_with_digits_passes(tmp_path: Path) -> None:
    text = b"123 hello, a perfectly good text file\n"
    generic_rule = dict(SimpleDownloader.FILE_ERRORS)["Html error"]
    assert re.search(generic_rule, text), "pyLoad's own rule would wait and restart for ever"
    downloaded = tmp_path / "notes.txt"
    downloaded.write_bytes(text)
    _plugin(downloaded).check_download()
    assert downloaded.read_bytes() == text


def test_an_offcloud_ip_error_body_pauses_the_account_and_goes(tmp_path: Path) -> None:
    downloaded = tmp_path / "movie.mkv"
    downloaded.write_text(
        json.dumps({"error": f"You are not authorized to download this file. key={KEY}"})
    )
    plugin = _live_plugin(tmp_path)
    plugin._last_download = str(downloaded)
    with pytest.raises(RetriedError) as caught:
        plugin.check_download()
    assert not downloaded.exists(), "the error body must not stay as the file"
    assert caught.value.msg.startswith("Offcloud refuses downloads from this IP address")
    assert KEY not in " ".join([caught.value.msg, plugin.pyfile.error, *plugin.logged])


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
        url=url, error="", abort=False, pluginname="RapidgatorNet", name="abc", id=2
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
    ids=["temporary", "description"],
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


# ---------------------------------------------------------------------------------------------
# issue 19, item 2: Offcloud refuses this IP; the account pauses (offcloud_api.pyload.ippause)

OLD_LINK = "https://1-cdn2-ovh-fra.energycdn.com/cdn3sto/littlemouse-sto/OLDTOKEN/movie.mkv"
FRESH_LINK = "https://1-cdn2-ovh-bea.energycdn.com/cdn3sto/littlemouse-sto/NEWTOKEN/movie.mkv"
IP_BODY = json.dumps({"error": "You are not authorized to download this file."}).encode()


class _Clock:
    def __init__(self) -> None:
        self.now = 2_000_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def pause_clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    clock = _Clock()
    monkeypatch.setattr(ippause, "_clock", clock)
    return clock


class _NoticeAccount(_Account):
    """The account plugin's notice side (plugins/accounts/OffcloudCom.py), recorded."""

    def __init__(self) -> None:
        super().__init__()
        self.notices: list[str] = []
        self.stored = False
        self.accepted = 0

    def notify_ip_refused(self, user: str, advice: str) -> None:
        self.notices.append(advice)
        self.stored = True

    def ip_notice_given(self, user: str) -> bool:
        return self.stored

    def ip_accepted(self, user: str) -> None:
        self.accepted += 1
        self.stored = False


def _ip_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answers: list[Any]) -> Any:
    """A file link whose downloads answer ``answers`` in turn: an exception is raised (pyLoad's
    BadHeader), a callable is called with the plugin first; ``explores`` counts fresh links."""
    plugin = _live_plugin(tmp_path, url=OLD_LINK)
    plugin.pyfile.pluginname = "OffcloudCom"
    plugin.account = _NoticeAccount()
    plugin.req = SimpleNamespace(code=200)
    plugin.downloaded = []
    plugin.explores = []

    def download(self: Any, url: str, *args: Any, **kwargs: Any) -> str:
        self.downloaded.append(url)
        answer = answers.pop(0)
        if callable(answer):
            answer = answer(self)
        if isinstance(answer, BaseException):
            raise answer
        return str(answer)

    def refreshed(url: str, status: int) -> Any:
        if plugin._link_refreshed:
            return None
        plugin._link_refreshed = True
        plugin.explores.append(status)
        return FRESH_LINK

    monkeypatch.setattr(MultiDownloader, "download", download)
    plugin._refreshed_link = refreshed
    return plugin


def _paused(plugin: Any) -> Any:
    return ippause.paused(account_key(plugin.account.user))


def _assert_ip_wait(plugin: Any, caught: Any) -> None:
    assert caught.value.msg.startswith("Offcloud refuses downloads from this IP address")
    assert "https://offcloud.com/#/account" in caught.value.msg
    assert "https://offcloud.com/api/login/check" in caught.value.msg
    assert "resume by themselves" in caught.value.msg
    assert caught.value.attempts == 0  # no limit but the pause's own
    assert plugin.pyfile.error == caught.value.msg
    assert plugin.multi_dl is False  # the account's other links stay queued meanwhile


def test_a_bare_403_on_a_fresh_link_pauses_after_one_explore(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pyLoad hands a refused download over without its body (several chunks, say).
    plugin = _ip_plugin(tmp_path, monkeypatch, [_bad_header(403, b""), _bad_header(403, b"")])
    with pytest.raises(RetriedError) as caught:
        plugin.download(OLD_LINK)
    _assert_ip_wait(plugin, caught)
    assert "HTTP 403 on a fresh file link" in caught.value.msg
    assert plugin.explores == [403]  # one explore, not one per try
    assert plugin.downloaded == [OLD_LINK, FRESH_LINK]
    assert _paused(plugin) is not None
    assert len(plugin.account.notices) == 1


def test_an_expired_link_is_no_ip_refusal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plugin = _ip_plugin(tmp_path, monkeypatch, [_bad_header(403, b""), "movie.mkv"])
    assert plugin.download(OLD_LINK) == "movie.mkv"
    assert plugin.explores == [403]
    assert _paused(plugin) is None
    assert plugin.account.notices == []


@pytest.mark.parametrize(
    "body",
    [
        IP_BODY,
        b"<html><body><p>You are not authorized to download this file.</p></body></html>",
        b"You are not authorized to download this file.",
    ],
    ids=["json", "html", "text"],
)
def test_a_refusal_whose_body_pyload_kept_pauses_without_an_explore(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: bytes
) -> None:
    def refused(plugin: Any) -> BaseException:
        plugin._refusal_body = body  # what _download read back from the chunk file
        return _bad_header(401, b"")

    plugin = _ip_plugin(tmp_path, monkeypatch, [refused])
    with pytest.raises(RetriedError) as caught:
        plugin.download(OLD_LINK)
    _assert_ip_wait(plugin, caught)
    assert "(You are not authorized to download this file.)" in caught.value.msg
    assert plugin.explores == []


def test_a_refusal_body_in_the_badheader_itself_counts_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plugin = _ip_plugin(tmp_path, monkeypatch, [_bad_header(403, IP_BODY)])
    with pytest.raises(RetriedError):
        plugin.download(OLD_LINK)
    assert plugin.explores == []


def test_in_a_pause_a_bare_403_joins_it_without_an_explore(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused_meanwhile(plugin: Any) -> BaseException:
        # Another link found the refusal while this download was on its way.
        ippause.refused(account_key("demo"), url=FRESH_LINK, reason="HTTP 403 on a fresh link")
        return _bad_header(403, b"")

    plugin = _ip_plugin(tmp_path, monkeypatch, [refused_meanwhile])
    with pytest.raises(RetriedError) as caught:
        plugin.download(OLD_LINK)
    _assert_ip_wait(plugin, caught)
    assert plugin.explores == []


def test_a_link_of_a_paused_account_waits_without_an_api_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pause_clock: _Clock
) -> None:
    ippause.refused(account_key("demo"), url=OLD_LINK, reason="x", interval=60)
    plugin = _live_plugin(tmp_path, url="https://rapidgator.net/file/queued")
    with pytest.raises(RetriedError) as caught:
        plugin.handle_premium(plugin.pyfile)
    assert plugin.account.clients == []  # no client, so no API call
    _assert_ip_wait(plugin, caught)
    assert caught.value.wait == 62  # just past the next check
    # A file link waits the same, before any download.
    file_link = _ip_plugin(tmp_path, monkeypatch, [])
    with pytest.raises(RetriedError):
        file_link.download(OLD_LINK)
    assert file_link.downloaded == []


def test_the_link_whose_turn_it_is_probes_and_every_waiting_link_resumes(
    tmp_path: Path, pause_clock: _Clock
) -> None:
    key = account_key("demo")
    ippause.refused(key, url=OLD_LINK, reason="x", interval=30)
    waiting = SimpleNamespace(wait_until=pause_clock.now + 32)
    ippause.waiting(key, 99, lambda: setattr(waiting, "wait_until", 0))
    plugin = _live_plugin(tmp_path)
    probes: list[str] = []
    answers = [Verdict.REFUSED, Verdict.ACCEPTED]
    plugin._probe = lambda url: probes.append(url) or answers.pop(0)

    with pytest.raises(RetriedError) as caught:  # no check due yet
        plugin._wait_while_ip_refused()
    assert probes == []
    pause_clock.now += 30
    with pytest.raises(RetriedError) as caught:  # checked: still refused
        plugin._wait_while_ip_refused()
    assert probes == [OLD_LINK]
    assert caught.value.wait == 32
    assert waiting.wait_until > 0
    pause_clock.now += 30
    plugin._wait_while_ip_refused()  # checked: accepted; this link goes on
    assert probes == [OLD_LINK, OLD_LINK]
    assert waiting.wait_until == 0  # woken at once
    assert plugin.pyfile.error == ""
    assert ippause.paused(key) is None


def test_with_no_probe_link_one_link_tries_its_own_download(
    tmp_path: Path, pause_clock: _Clock
) -> None:
    plugin = _live_plugin(tmp_path)
    with pytest.raises(RetriedError) as caught:  # legacy: an API call answered the IP text
        plugin._apply(IPNotRegisteredError("IP address needs to be registered. Check your email"))
    assert "(IP address needs to be registered.)" in caught.value.msg
    pause_clock.now += 60
    other = _live_plugin(tmp_path)
    other._wait_while_ip_refused()  # its turn: it tries
    assert other._ip_turn is True
    other._wait_while_ip_refused()  # and is not held back later in the same attempt
    third = _live_plugin(tmp_path)
    with pytest.raises(RetriedError):
        third._wait_while_ip_refused()


def test_one_notice_and_another_only_after_a_download_worked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pause_clock: _Clock
) -> None:
    first = _ip_plugin(tmp_path, monkeypatch, [_bad_header(403, IP_BODY)])
    account = first.account
    with pytest.raises(RetriedError):
        first.download(OLD_LINK)
    second = _ip_plugin(tmp_path, monkeypatch, [_bad_header(403, IP_BODY)])
    second.account = account
    ippause.clear()  # as after a pyLoad restart: the account's storage remembers the notice
    with pytest.raises(RetriedError):
        second.download(OLD_LINK)
    assert len(account.notices) == 1
    pause_clock.now += 60
    done = _live_plugin(tmp_path)
    done.account = account
    done._download_started = pause_clock.now
    done._finished()  # a download worked: the pause ends, a later refusal is news
    assert account.accepted == 1
    assert _paused(done) is None
    third = _ip_plugin(tmp_path, monkeypatch, [_bad_header(403, IP_BODY)])
    third.account = account
    with pytest.raises(RetriedError):
        third.download(OLD_LINK)
    assert len(account.notices) == 2


class _FileServer(BaseHTTPRequestHandler):
    """A file server for the probe: each path answers one way; the Range headers are kept."""

    ranges: ClassVar[list[Optional[str]]] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        type(self).ranges.append(self.headers.get("Range"))
        status, body, headers = {
            "/ok": (206, b"\x00", {"Content-Range": "bytes 0-0/1000"}),
            "/no-range": (200, b"\x00" * 200_000, {}),
            "/refused": (403, IP_BODY, {}),
            "/bare": (403, b"", {}),
            "/gone": (404, b"", {}),
            "/busy": (503, b"", {}),
        }[self.path]
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def file_server() -> Any:
    with local_http_server(_FileServer) as url:
        yield url


class _RequestFactory:
    def get_request(self, plugin_name: str, account: object = None) -> Any:
        from pyload.core.network.browser import Browser  # noqa: PLC0415
        from pyload.core.network.cookie_jar import CookieJar  # noqa: PLC0415

        browser = Browser(None, {"proxies": {}, "ssl_verify": False})
        browser.set_cookie_jar(CookieJar(plugin_name))
        browser.http.allow_private_ip = True  # a loopback server (docs/pyload.md §4.3)
        return browser


@pytest.mark.parametrize(
    ("path", "verdict"),
    [
        ("/ok", Verdict.ACCEPTED),
        ("/no-range", Verdict.ACCEPTED),  # the server sent the file: it serves this IP
        ("/refused", Verdict.REFUSED),
        ("/bare", Verdict.REFUSED),
        ("/gone", Verdict.GONE),
        ("/busy", Verdict.UNKNOWN),
    ],
)
def test_the_probe_asks_one_byte_through_a_pyload_request(
    tmp_path: Path, file_server: str, path: str, verdict: Verdict
) -> None:
    plugin = _live_plugin(tmp_path)
    plugin.pyload = SimpleNamespace(request_factory=_RequestFactory())
    loads: list[str] = []

    def load(url: str, *, get: Any, post: Any, referrer: Any, decode: Any, req: Any) -> Any:
        loads.append(url)
        return req.load(url, get, post, referer=referrer, decode=decode)

    plugin.load = load
    _FileServer.ranges.clear()
    assert plugin._probe(file_server + path) is verdict
    assert loads == [file_server + path]  # through the plugin's load: pyLoad's network stack
    assert _FileServer.ranges == ["bytes=0-0"]


def test_a_probe_without_an_answer_is_unknown(tmp_path: Path) -> None:
    plugin = _live_plugin(tmp_path)
    plugin.pyload = SimpleNamespace(request_factory=_RequestFactory())
    plugin.log_debug = lambda *args, **kwargs: None
    plugin.load = lambda url, *, get, post, referrer, decode, req: req.load(
        url, get, post, referer=referrer, decode=decode
    )
    assert plugin._probe("http://127.0.0.1:9/none") is Verdict.UNKNOWN
