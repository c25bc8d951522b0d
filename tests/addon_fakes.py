"""Stand-ins for what the addon parts (bulk, cloud only, import) touch of pyLoad and the addon."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any, Optional

from fakes import FakePyloadDb


class FakePackage(SimpleNamespace):
    """pyLoad's package object: what the parts read of it (queue, password, folder)."""

    def sync(self) -> None:
        self.synced = getattr(self, "synced", 0) + 1


class FakeCore:
    """pyLoad's core: packages with links, its API's adds and deletes, storage, options."""

    def __init__(self, tempdir: str = "", options: Optional[dict[str, Any]] = None) -> None:
        self.tempdir = tempdir
        self.options = options or {}
        self.db = FakePyloadDb()
        self.exiting = False
        self.packages: dict[int, dict[str, Any]] = {}
        self.calls: list[tuple[Any, ...]] = []
        self.downloader_plugins: dict[str, Any] = {}
        self.plugin_manager = SimpleNamespace(downloader_plugins=self.downloader_plugins)
        self.files = SimpleNamespace(
            lock=threading.Lock(),
            get_package=self._package,
            get_package_data=self._package_data,
            save=lambda: None,
        )
        self.api = SimpleNamespace(
            add_files=self._add_files,
            add_package=self._add_package,
            delete_packages=self._delete_packages,
            get_package_info=self._package_info,
            set_package_data=lambda pid, data: None,
        )
        self.config = SimpleNamespace(
            get_plugin=self._option,
            get=lambda section, name: {("general", "folder_per_package"): True}[(section, name)],
        )

    def package(self, pid: int, name: str = "pack", *, queue: int = 1, links: int = 0) -> int:
        self.packages[pid] = {
            "name": name,
            "queue": queue,
            "links": {n: {"url": f"link{n}"} for n in range(links)},
            "object": FakePackage(queue=queue, password="", folder="", _folder=name),
        }
        return pid

    def _package(self, pid: int) -> Any:
        entry = self.packages.get(pid)
        return entry["object"] if entry else None

    def _package_data(self, pid: int) -> Optional[dict[str, Any]]:
        entry = self.packages.get(pid)
        return {"id": pid, "links": dict(entry["links"])} if entry else None

    def _package_info(self, pid: int) -> Any:
        return SimpleNamespace(name=self.packages[pid]["name"])  # KeyError: gone

    def _add_files(self, pid: int, urls: list[str]) -> None:
        self.calls.append(("add_files", pid, list(urls)))
        links = self.packages[pid]["links"]
        for url in urls:
            links[len(links)] = {"url": url}

    def _add_package(self, name: str, urls: list[str], dest: Any = 1) -> int:
        self.calls.append(("add_package", name, list(urls), int(dest)))
        pid = 100 + len(self.packages)
        self.package(pid, name, queue=int(dest), links=len(urls))
        return pid

    def _delete_packages(self, pids: list[int]) -> None:
        self.calls.append(("delete_packages", list(pids)))
        for pid in pids:
            self.packages.pop(pid, None)

    def _option(self, plugin: str, name: str) -> Any:
        if name not in self.options:
            raise KeyError(name)
        return self.options[name]


class FakeAddon:
    """The addon (``self``) as the parts use it: its core and its log."""

    def __init__(self, core: FakeCore) -> None:
        self.pyload = core
        self.lines: list[tuple[str, str]] = []

    def _say(self, level: str, args: tuple[Any, ...]) -> None:
        self.lines.append((level, " | ".join(str(arg) for arg in args)))

    def log_debug(self, *args: Any) -> None:
        self._say("debug", args)

    def log_info(self, *args: Any) -> None:
        self._say("info", args)

    def log_warning(self, *args: Any) -> None:
        self._say("warning", args)

    def said(self, level: str) -> list[str]:
        return [text for kind, text in self.lines if kind == level]


def run_now(task: Any) -> bool:
    """A worker's ``submit`` that runs the task at once."""
    task()
    return True


def stopped(_task: Any) -> bool:
    """A stopped worker's ``submit``."""
    return False
