"""A file connection that drops mid-body is transient (offcloud_api.pyload.drops), and a user's
stop of a running link is told apart from pyLoad's exit (offcloud_api.pyload.resume): the real
downloader class, with the pyLoad calls it makes stood in."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

pytest.importorskip("pyload")

import pycurl
import pyload.core.utils.web.parse  # noqa: F401 - breaks pyLoad's import cycle first
from fakes import FakePyloadDb
from pyload.core.network.exceptions import Abort, Fail
from pyload.plugins.base.downloader import BaseDownloader
from pyload.plugins.base.multi_downloader import MultiDownloader

from offcloud_api.install import installer
from offcloud_api.pyload import resume
from offcloud_api.pyload.drops import (
    DROP_ATTEMPTS,
    TRANSIENT_CURL_ERRORS,
    after_drop,
    curl_code,
    drops_in_a_row,
    part_bytes,
)
from offcloud_api.pyload.outcomes import TEMPORARY_WAITS
from offcloud_api.pyload.resume import Keeper, LinkView, hook_store

SOURCE = next(p for f, p in installer.shipped_files() if f == "downloaders")


def _plugin_class() -> Any:
    spec = importlib.util.spec_from_file_location("pyload.plugins.downloaders.OffcloudCom", SOURCE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.OffcloudCom


class RetriedError(Exception):
    def __init__(self, attempts: int, wait: int, msg: str) -> None:
        super().__init__(msg)
        self.attempts, self.wait, self.msg = attempts, wait, msg


def _plugin() -> Any:
    plugin = object.__new__(_plugin_class())
    plugin.pyfile = SimpleNamespace(id=7, url="https://x.energycdn.com/f", abort=False, name="f")
    plugin.pyload = SimpleNamespace(exiting=False)
    plugin._from_start = False
    plugin._drops = 0
    plugin.logged = []
    plugin.log_warning = plugin.log_info = plugin.log_debug = lambda *a, **k: plugin.logged.append(
        " ".join(str(x) for x in a)
    )
    plugin._ = lambda text: text

    def retry(attempts: int = 5, wait: int = 1, msg: str = "", msgfail: str = "") -> None:
        raise RetriedError(attempts, wait, msg)

    def fail(msg: str = "") -> None:
        raise Fail(msg)

    plugin.retry, plugin.fail = retry, fail
    return plugin


class Server:
    """pyLoad's transfer, stood in: each attempt appends ``grow`` bytes, then the connection
    drops with curl error ``code`` (or the file arrives)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, target: Path) -> None:
        self.target = target
        self.plan: list[tuple[int, int]] = []  # (bytes that arrive, curl error or 0)
        monkeypatch.setattr(BaseDownloader, "_download", self._download)

    def _download(self, url: str, filename: str, *args: Any, **kwargs: Any) -> str:
        # set on pyLoad's class, called from the plugin's _download: bound to this server
        grow, code = self.plan.pop(0)
        part = Path(filename + ".chunk0")
        with part.open("ab") as fp:
            fp.write(b"x" * grow)
        if code:
            raise pycurl.error(code, "Recv failure: Connection reset by peer")
        return ""


def _attempt(plugin: Any, target: Path) -> Any:
    return plugin._download(
        "https://x.energycdn.com/f", str(target), {}, {}, True, True, True, None, None
    )


def test_a_dropped_connection_waits_longer_each_time_keeps_the_part_then_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "movie.mkv"
    server = Server(monkeypatch, target)
    plugin = _plugin()
    server.plan = [(1000, 56)] + [(0, 56)] * DROP_ATTEMPTS
    waits = []
    for _ in range(DROP_ATTEMPTS):
        with pytest.raises(RetriedError) as caught:
            _attempt(plugin, target)
        assert caught.value.attempts == 0  # pyLoad counts nothing; the drops in a row do
        assert "dropped" in caught.value.msg
        waits.append(caught.value.wait)
    assert waits == list(TEMPORARY_WAITS)
    assert part_bytes(target) == 1000, "the part stays for the resume"
    with pytest.raises(Fail, match=f"dropped {DROP_ATTEMPTS + 1} times; restart the link later"):
        _attempt(plugin, target)
    assert part_bytes(target) == 1000


def test_a_drop_after_progress_starts_the_count_afresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "movie.mkv"
    server = Server(monkeypatch, target)
    plugin = _plugin()
    server.plan = [(0, 7), (0, 18), (0, 52), (500, 56), (0, 55), (0, 0)]
    got = []
    for _ in range(5):
        with pytest.raises(RetriedError) as caught:
            _attempt(plugin, target)
        got.append(caught.value.wait)
    assert got == [2, 4, 8, 2, 4]
    assert _attempt(plugin, target) == ""  # the rest arrived


@pytest.mark.parametrize("code", [6, 23, 60, 33])
def test_other_curl_errors_are_pyloads_business(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    target = tmp_path / "movie.mkv"
    server = Server(monkeypatch, target)
    server.plan = [(0, code)]
    with pytest.raises(pycurl.error):
        _attempt(_plugin(), target)


def test_the_drop_messages_say_what_happened_and_what_to_do() -> None:
    first = after_drop(56, 1)
    assert not first.give_up
    assert first.wait == TEMPORARY_WAITS[0]
    assert "connection broke while receiving" in first.message
    assert "curl error 56" in first.message
    assert "resuming the download in 2 s" in first.message
    assert after_drop(99, 2).message.startswith(
        "The connection to Offcloud's file server dropped (the connection broke, curl error 99)"
    )
    last = after_drop(56, DROP_ATTEMPTS + 1)
    assert last.give_up
    assert last.message == (
        f"The connection to Offcloud's file server dropped {DROP_ATTEMPTS + 1} times; restart "
        "the link later"
    )
    assert set(TRANSIENT_CURL_ERRORS) == {7, 18, 28, 52, 55, 56}


def test_curl_codes_and_parts(tmp_path: Path) -> None:
    assert curl_code(pycurl.error(56, "x")) == 56
    assert curl_code(pycurl.error("no number")) is None
    assert curl_code(pycurl.error(True)) is None
    assert curl_code(Exception()) is None
    assert drops_in_a_row(3, progressed=False) == 4
    assert drops_in_a_row(3, progressed=True) == 1
    target = tmp_path / "a.bin"
    assert part_bytes(target) == 0
    (tmp_path / "a.bin.chunk0").write_bytes(b"12345")
    (tmp_path / "a.bin.chunk1").write_bytes(b"678")
    (tmp_path / "a.bin.chunks").write_text("list")
    (tmp_path / "a.bin.chunkX").write_bytes(b"nope")
    assert part_bytes(target) == 8
    assert part_bytes(tmp_path / "missing" / "a.bin") == 0


# ---------------------------------------------------------------------------------------------
# a user's stop against pyLoad's exit


class _Queue:
    def links(self) -> list[LinkView]:
        return [LinkView(7, 12, "OffcloudCom", "f")]

    def calm(self) -> bool:
        return True

    def offcloud_plugins(self) -> set[str]:
        return {"OffcloudCom"}

    def followed(self, link_id: int) -> bool:
        return False

    def restart(self, link_id: int) -> None:
        raise AssertionError("nothing to restart")


@pytest.fixture
def keeper() -> Any:
    keeper = Keeper(hook_store(FakePyloadDb()), _Queue(), interval=60)
    keeper.tick()
    assert 7 in keeper.noted()
    keeper.start()
    resume.attach(keeper)
    yield keeper
    resume.detach(keeper)
    keeper.stop()


def _stopped(plugin: Any, monkeypatch: pytest.MonkeyPatch, thread: Any) -> None:
    def process(self: Any, thread: Any) -> None:
        raise Abort

    monkeypatch.setattr(MultiDownloader, "_process", process)
    plugin.api = None
    with pytest.raises(Abort):
        plugin._process(thread)


def test_a_users_stop_forgets_the_note_at_once(
    keeper: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    plugin = _plugin()
    plugin.pyfile.abort = True
    _stopped(plugin, monkeypatch, SimpleNamespace(running=True))
    assert 7 not in keeper.noted()


@pytest.mark.parametrize("why", ["thread-stopped", "exiting", "hand-over"])
def test_pyloads_exit_or_a_hand_over_keeps_the_note(
    keeper: Any, monkeypatch: pytest.MonkeyPatch, why: str
) -> None:
    plugin = _plugin()
    plugin.pyfile.abort = why != "hand-over"  # the hand-over raises Abort on its own
    plugin.pyload.exiting = why == "exiting"
    _stopped(plugin, monkeypatch, SimpleNamespace(running=why != "thread-stopped"))
    assert 7 in keeper.noted()


def test_without_the_addon_a_stop_touches_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resume.active_keeper() is None
    plugin = _plugin()
    plugin.pyfile.abort = True
    _stopped(plugin, monkeypatch, SimpleNamespace(running=True))
