"""The bridge addon's glue (hooks/OffcloudComArr.py): the real class, pyLoad stood in.

The whole addon runs in tests/e2e/test_arr.py; these pin what its event handlers and its Backend
methods do with pyLoad's objects.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Optional

import pytest
from fakes import FakePyloadDb

pytest.importorskip("pyload")

import pyload.core.utils.web.parse  # noqa: F401 - breaks pyLoad's import cycle first

from offcloud_api.install import installer
from offcloud_api.magnet import build_magnet
from offcloud_api.pyload.qbit_api import BridgeSettings, QbitApp
from offcloud_api.pyload.qbit_torrents import ArrStore, TorrentRecord
from offcloud_api.pyload.storage import PluginStore
from offcloud_api.pyload.torrents import TorrentRef

SOURCE = next(
    p for f, p in installer.shipped_files() if f == "addons" and p.stem == "OffcloudComArr"
)
HASH = "3bb71a0a14b2292203a8d3eded8b8d3c259c0603"


def _addon_class() -> Any:
    spec = importlib.util.spec_from_file_location("pyload.plugins.addons.OffcloudComArr", SOURCE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.OffcloudComArr


class Package:
    def __init__(self, pid: int, folder: str, queue: int = 1) -> None:
        self.id = pid
        self._folder = folder
        self.queue = queue
        self.synced = 0

    def sync(self) -> None:
        self.synced += 1


class Files:
    def __init__(self) -> None:
        self.packages: dict[int, Package] = {}
        self.data: dict[int, dict[str, Any]] = {}
        self.saves = 0
        self.cache: dict[int, Any] = {}

    def get_package(self, pid: int) -> Optional[Package]:
        return self.packages.get(pid)

    def get_package_data(self, pid: int) -> Optional[dict[str, Any]]:
        return self.data.get(pid)

    def get_complete_data(self, destination: Any) -> dict[int, Any]:
        wanted = 1 if int(destination.value) == 1 else 0
        return {pid: data for pid, data in self.data.items() if self.packages[pid].queue == wanted}

    def save(self) -> None:
        self.saves += 1


class Api:
    def __init__(self, files: Files) -> None:
        self.files = files
        self.calls: list[tuple[Any, ...]] = []

    def add_package(self, name: str, links: list[str], destination: Any) -> int:
        pid = len(self.files.packages) + 1
        queue = int(destination.value)
        self.files.packages[pid] = Package(pid, name, queue=queue)
        self.files.data[pid] = {
            "id": pid,
            "name": name,
            "folder": name,
            "links": {pid * 10: {"url": links[0], "name": name, "status": 3}},
        }
        self.calls.append(("add_package", name, links, queue))
        return pid

    def delete_packages(self, pids: list[int]) -> None:
        self.calls.append(("delete_packages", pids))

    def stop_downloads(self, ids: list[int]) -> None:
        self.calls.append(("stop_downloads", ids))

    def move_package(self, destination: Any, pid: int) -> None:
        self.calls.append(("move_package", int(destination.value), pid))

    def restart_file(self, fid: int) -> None:
        self.calls.append(("restart_file", fid))

    def check_auth(self, user: str, password: str) -> dict[str, Any]:
        if password != "right":
            return {}
        return {"name": user, "role": 1, "permission": 1 if user == "adder" else 3}

    def is_authorized(self, func: str, data: dict[str, Any]) -> bool:
        needed = {"add_package": 1, "delete_packages": 2}[func]
        return bool(data["permission"] & needed)


@pytest.fixture
def addon(tmp_path: Path) -> Any:
    root = tmp_path / "downloads"
    root.mkdir()
    (tmp_path / "temp").mkdir()
    files = Files()
    db = FakePyloadDb()
    plugin = object.__new__(_addon_class())
    plugin.init()
    plugin.pyload = SimpleNamespace(
        files=files,
        api=Api(files),
        db=db,
        tempdir=str(tmp_path / "temp"),
        config=SimpleNamespace(get=lambda section, option: str(root)),
    )
    plugin._ = lambda text: text
    plugin.logged = []
    plugin.log_info = plugin.log_warning = plugin.log_error = lambda *a: plugin.logged.append(a)
    plugin.submitted = []
    plugin.worker = SimpleNamespace(submit=plugin.submitted.append)
    plugin.app = QbitApp(plugin, ArrStore(PluginStore(db, "OffcloudComArr")), BridgeSettings())
    plugin.active = True
    return plugin


def _record(addon: Any, **changes: Any) -> TorrentRecord:
    values: dict[str, Any] = {
        "info_hash": HASH,
        "name": "Rel",
        "category": "tv",
        "folder": "tv",
        "link": build_magnet(HASH, "Rel"),
        "added_on": 1,
    }
    values.update(changes)
    return TorrentRecord(**values)


def test_add_makes_a_package_in_the_folder(addon: Any) -> None:
    record = _record(addon)
    pid = addon.add(record, "tv/Rel", paused=False)
    assert addon.pyload.files.packages[pid]._folder == "tv/Rel"
    assert addon.pyload.files.packages[pid].synced == 1
    stopped = addon.add(_record(addon, info_hash="1" * 40), "tv/X", paused=True)
    assert addon.pyload.api.calls[-1][-1] == 0  # the link collector: nothing starts
    assert addon.pyload.files.packages[stopped].queue == 0


def test_a_package_queued_from_the_torrents_decrypter_thread_is_its(addon: Any) -> None:
    record = _record(addon, pids=[7])
    addon.app._records[HASH] = record
    # pyLoad's decrypter thread has the torrent's source link as its active link.
    thread = threading.current_thread()
    thread.active = SimpleNamespace(packageid=7)  # type: ignore[attr-defined]
    try:
        addon.links_added(["https://cdn.example/a.mkv"], 8)
    finally:
        del thread.active  # type: ignore[attr-defined]
    assert record.pids == [7, 8]
    addon.links_added(["https://elsewhere/b"], 9)  # another thread: not ours
    assert record.pids == [7, 8]
    # Its folder goes under the category before a file downloads.
    package = Package(8, "Rel")
    addon.download_preparing(SimpleNamespace(package=lambda: package))
    assert package._folder == "tv/Rel"
    assert package.synced == 1
    addon.download_preparing(SimpleNamespace(package=lambda: package))
    assert package.synced == 1  # right already
    addon.package_deleted(7)
    addon.package_deleted(8)
    assert addon.app.records() == []


def test_handlers_never_raise_into_pyload(addon: Any) -> None:
    def broken() -> Any:
        raise RuntimeError("no package")

    addon.download_preparing(SimpleNamespace(package=broken))
    addon.links_added([], "not a number")
    assert len(addon.logged) == 2
    addon.active = False
    addon.links_added([], 1)
    addon.package_deleted(1)
    addon.download_preparing(None)


def test_users_are_pyloads_and_delete_needs_its_permission(addon: Any) -> None:
    assert addon.check_user("admin", "wrong") is None
    assert addon.check_user("admin", "right") == "admin"
    assert addon.check_user("adder", "right") == "adder"
    assert addon.allowed("admin", "delete")
    assert not addon.allowed("adder", "delete")
    assert not addon.allowed("stranger", "delete")
    assert addon.storage_root().endswith("downloads")


def test_an_upload_is_kept_where_the_decrypter_reads_it(addon: Any) -> None:
    link = addon.save_torrent(HASH, b"d4:infode")
    path = Path(link[len("file://") :])
    assert path.parent == Path(addon.pyload.tempdir)
    assert path.name.startswith("tmp_")  # the decrypter removes it once the files are queued
    assert path.read_bytes() == b"d4:infode"
    assert addon.save_torrent(HASH, b"d4:infode") == link


def test_remove_deletes_the_packages_their_files_and_asks_for_the_job(
    addon: Any, tmp_path: Path
) -> None:
    root = Path(addon.storage_root())
    (root / "tv" / "Rel").mkdir(parents=True)
    (root / "tv" / "Rel" / "a.mkv").write_bytes(b"x")
    files = addon.pyload.files
    files.packages[3] = Package(3, "tv/Rel")
    files.data[3] = {"id": 3, "folder": "tv/Rel", "links": {30: {"name": "a.mkv", "status": 0}}}
    PluginStore(addon.pyload.db, "OffcloudComTorrent").store(
        TorrentRef(HASH, "").storage_key, {"request_id": "job1"}
    )
    addon.remove(_record(addon, pids=[3, 99]), delete_files=True)
    assert ("delete_packages", [3]) in addon.pyload.api.calls
    assert not (root / "tv" / "Rel").exists()
    assert (root / "tv").is_dir()
    assert len(addon.submitted) == 1  # the Offcloud job, in the worker
    link = addon.save_torrent("2" * 40, b"d4:infode")
    addon.remove(_record(addon, info_hash="2" * 40, pids=[], link=link), delete_files=False)
    assert len(addon.submitted) == 1  # no job known: nothing to remove
    assert not Path(link[len("file://") :]).exists()  # the upload no decrypter read yet


def test_stop_and_start_map_to_pyloads_stop_and_restart(addon: Any) -> None:
    files = addon.pyload.files
    files.packages[4] = Package(4, "tv/Rel", queue=0)
    files.data[4] = {
        "id": 4,
        "folder": "tv/Rel",
        "links": {
            40: {"url": "u0", "name": "a", "status": 0},
            41: {"url": "u1", "name": "b", "status": 12},
            42: {"url": "u2", "name": "c", "status": 9},
            43: {"url": "u3", "name": "d", "status": 13},
        },
    }
    record = _record(addon, pids=[4])
    addon.stop(record)
    assert ("stop_downloads", [40, 41, 42]) in addon.pyload.api.calls
    addon.start(record)
    assert ("move_package", 1, 4) in addon.pyload.api.calls
    assert ("restart_file", 42) in addon.pyload.api.calls
    assert ("restart_file", 40) not in addon.pyload.api.calls  # finished stays finished
