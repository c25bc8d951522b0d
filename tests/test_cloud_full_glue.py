"""The plugins' glue for a full cloud, driven with pyLoad stood in (docs/api.md L23).

The downloader's add and the torrent decrypter's meet a full cloud that no room can be made in:
without the background loop the link retries after ``full_wait`` in its own thread; with it, the
link is handed to the loop unsubmitted and its thread ends. Either way one notice, not one per
link.
"""

from __future__ import annotations

import importlib.util
from types import SimpleNamespace
from typing import Any, Optional

import pytest
from fakes import FakePyloadDb, MemoryStore

pytest.importorskip("pyload")

import pyload.core.utils.web.parse  # noqa: F401 - breaks pyLoad's import cycle first
from pyload.core.network.exceptions import Abort

from offcloud_api.exceptions import CloudFullError
from offcloud_api.install import installer
from offcloud_api.pyload import background, cloudroom
from offcloud_api.pyload.background import Follower
from offcloud_api.pyload.cloudroom import CloudRoom
from offcloud_api.pyload.storage import HOOK_STORAGE, PluginStore
from offcloud_api.pyload.torrents import torrent_from_magnet

KEY = "SECRET-KEY-123"
LINK = "https://rapidgator.net/file/abc"
MAGNET = "magnet:?xt=urn:btih:b6ed43c90bb5699c7a2f5e5453d681436847791a&dn=Demo"


def _plugin_class(folder: str, name: str) -> Any:
    source = next(p for f, p in installer.shipped_files() if f == folder and p.stem == name)
    spec = importlib.util.spec_from_file_location(f"pyload.plugins.{folder}.{name}", source)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


class RetriedError(Exception):
    def __init__(self, attempts: int, wait: int, msg: str) -> None:
        super().__init__(msg)
        self.attempts, self.wait, self.msg = attempts, wait, msg


class Account:
    user = "demo"

    def __init__(self) -> None:
        self.notices: list[Any] = []

    def api_key(self, user: Any = None) -> str:
        return KEY

    def offcloud_notice(self, notice: Any) -> None:
        self.notices.append(notice)


class FullCloud:
    """Offcloud with a full cloud: every add is refused."""

    def __init__(self) -> None:
        self.adds = 0

    def cloud(self, url: str) -> Any:
        self.adds += 1
        raise CloudFullError("Offcloud cloud storage is full (POST /cloud, HTTP 200)", code="cloud")


@pytest.fixture
def room(monkeypatch: pytest.MonkeyPatch) -> CloudRoom:
    """The process's room (the plugins and outcomes bound it at import), as if new, with
    waits of 42 s; put back as it was afterwards."""
    shared = cloudroom.room
    for name, value in (
        ("wait_seconds", 42.0),
        ("_full", False),
        ("_noticed_at", None),
        ("_nothing_until", 0.0),
    ):
        monkeypatch.setattr(shared, name, value)
    return shared


@pytest.fixture
def follower() -> Any:
    links = SimpleNamespace(
        state=lambda link_id: None,
        show=lambda *args: None,
        restart=lambda link_id: None,
        fail=lambda *args: None,
    )
    db = FakePyloadDb()
    running = Follower(
        links,  # type: ignore[arg-type]
        PluginStore(db, HOOK_STORAGE),
        lambda: None,
        plugin_store=lambda plugin: PluginStore(db, plugin),
    )
    running._thread = SimpleNamespace(is_alive=lambda: True)  # type: ignore[assignment]
    running.start = lambda: None  # type: ignore[method-assign]
    background.attach(running)
    yield running
    background.detach(running)


def _stand_in(plugin: Any, account: Account) -> Any:
    plugin.pyfile = SimpleNamespace(url=LINK, error="", abort=False, name="abc", id=7)
    plugin.account = account
    plugin.db = MemoryStore()
    plugin.pyload = SimpleNamespace(db=FakePyloadDb())
    plugin.config = SimpleNamespace(get=lambda name, default=None: default)
    plugin.logged = []
    plugin.log_warning = plugin.log_info = plugin.log_debug = lambda *args: plugin.logged.append(
        " ".join(str(a) for a in args)
    )
    plugin._ = lambda text: text

    def retry(attempts: int = 5, wait: int = 1, msg: str = "", msgfail: str = "") -> None:
        raise RetriedError(attempts, wait, msg)

    plugin.retry = retry
    plugin.fail = lambda msg="": pytest.fail(f"the link failed: {msg}")
    return plugin


def _downloader(account: Account, api: Optional[Any] = None) -> Any:
    plugin = _stand_in(object.__new__(_plugin_class("downloaders", "OffcloudCom")), account)
    plugin.api = api
    plugin._cloud_job = None
    return plugin


def _decrypter(account: Account) -> Any:
    plugin = _stand_in(object.__new__(_plugin_class("decrypters", "OffcloudComTorrent")), account)
    plugin.pyfile.url = MAGNET
    return plugin


def _absent_follower() -> None:
    assert background.active_follower() is None


def test_downloader_without_the_loop_raises_for_its_retry_and_gives_one_notice(room):
    _absent_follower()
    account = Account()
    offcloud = FullCloud()
    plugin = _downloader(account, api=room.client(offcloud, None))  # type: ignore[arg-type]
    with pytest.raises(CloudFullError):
        plugin._add_making_room(plugin.pyfile, "job:abc")
    again = _downloader(account, api=room.client(offcloud, None))  # type: ignore[arg-type]
    with pytest.raises(CloudFullError):
        again._add_making_room(again.pyfile, "job:abc")
    assert len(account.notices) == 1  # two links, one notice
    assert "https://offcloud.com/#/cloud" in account.notices[0].message
    assert plugin.db.retrieve("job:abc") is None  # no job was made: nothing to resume


def test_downloader_with_the_loop_hands_the_link_over_unsubmitted(room, follower):
    account = Account()
    plugin = _downloader(account, api=room.client(FullCloud(), None))  # type: ignore[arg-type]
    with pytest.raises(Abort):
        plugin._add_making_room(plugin.pyfile, "job:abc")
    (entry,) = follower.snapshot()
    assert (entry.link_id, entry.request_id, entry.magnet, entry.capped) == (7, None, LINK, False)
    assert (entry.plugin, entry.storage_key) == ("OffcloudCom", "job:abc")
    assert "cloud is full" in follower._waiting_text(entry)
    assert len(account.notices) == 1


def test_decrypter_without_the_loop_waits_full_wait_in_its_thread(room):
    _absent_follower()
    account = Account()
    plugin = _decrypter(account)
    full = CloudFullError("Offcloud cloud storage is full", code="cloud")
    with pytest.raises(RetriedError) as caught:
        plugin._cloud_full(None, torrent_from_magnet(MAGNET), full)
    assert caught.value.wait == 42
    assert caught.value.attempts == cloudroom.MAX_FULL_WAIT // 42
    assert "https://offcloud.com/#/cloud" in caught.value.msg
    assert plugin.pyfile.error == caught.value.msg
    assert len(account.notices) == 1


def test_decrypter_with_the_loop_hands_the_torrent_over_as_capped(room, follower):
    account = Account()
    plugin = _decrypter(account)
    torrent = torrent_from_magnet(MAGNET)
    full = CloudFullError("Offcloud cloud storage is full", code="cloud")
    with pytest.raises(Abort):
        plugin._cloud_full(follower, torrent, full)
    (entry,) = follower.snapshot()
    assert (entry.request_id, entry.magnet, entry.capped) == (None, torrent.magnet, True)
    assert entry.storage_key == torrent.storage_key
