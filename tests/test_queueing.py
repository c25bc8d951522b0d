"""pyLoad's queue as the addon's background work uses it, on a stand-in for pyLoad's core."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Optional

import pytest
from fakes import FakePyloadDb

from offcloud_api.models import CloudFile, Job, JobStatus
from offcloud_api.pyload.background import LinkState
from offcloud_api.pyload.queueing import PyloadLinks, queue_job_files
from offcloud_api.pyload.storage import TORRENT_DECRYPTER, FileLinks


class FakeFile:
    """pyLoad's ``PyFile``, what the loop touches of it."""

    def __init__(self, status: int = 9) -> None:
        self.status = status
        self.error = "Aborted"
        self.custom: Optional[str] = None
        self.progress: Optional[int] = None
        self.released = 0

    def set_custom_status(self, text: str) -> None:
        self.custom, self.status = text, 13

    def set_progress(self, percent: int) -> None:
        self.progress = percent

    def set_status(self, name: str) -> None:
        self.status = {"failed": 8}[name]

    def release(self) -> None:
        self.released += 1


class FakePackage:
    def __init__(self, folder: str) -> None:
        self._folder = folder
        self.synced = 0

    def sync(self) -> None:
        self.synced += 1


class FakeCore:
    def __init__(self, options: Optional[dict[str, Any]] = None, core_per_package: bool = True):
        self.pyfiles: dict[int, FakeFile] = {}
        self.active: list[int] = []
        self.restarted: list[int] = []
        self.added: list[tuple[str, list[str], int]] = []
        self.packages: dict[int, FakePackage] = {}
        self.options = options or {}
        self.db = FakePyloadDb()
        self.thread_manager = SimpleNamespace(processing_ids=lambda: list(self.active))
        self.api = SimpleNamespace(
            restart_file=self.restarted.append,
            add_package=self._add_package,
            set_package_data=lambda pid, data: None,
        )
        self.files = SimpleNamespace(
            get_file=self._get_file, get_package=self.packages.__getitem__, save=lambda: None
        )
        self.config = SimpleNamespace(
            get_plugin=self._option,
            get=lambda section, name: {("general", "folder_per_package"): core_per_package}[
                (section, name)
            ],
        )

    def _get_file(self, link_id: int) -> FakeFile:
        if link_id < 0:
            raise ValueError("pyLoad cannot load it")
        return self.pyfiles.get(link_id)  # type: ignore[return-value]

    def _option(self, plugin: str, name: str) -> Any:
        assert plugin == TORRENT_DECRYPTER
        if name not in self.options:
            raise KeyError(name)  # pyLoad raises for an option the plugin does not have
        return self.options[name]

    def _add_package(self, name: str, links: list[str], queue: int) -> int:
        self.added.append((name, links, queue))
        self.packages[len(self.added)] = FakePackage(name)
        return len(self.added)


def test_a_links_state_says_its_status_and_whether_a_thread_has_it() -> None:
    core = FakeCore()
    core.pyfiles[7] = FakeFile(status=9)
    links = PyloadLinks(core)
    assert links.state(7) == LinkState(status=9, busy=False)
    core.active.append(7)
    assert links.state(7) == LinkState(status=9, busy=True)
    assert links.state(8) is None  # deleted
    assert links.state(-1) is None  # pyLoad raised


def test_a_link_shows_the_loops_text_and_progress_and_can_fail() -> None:
    core = FakeCore()
    pyfile = core.pyfiles[7] = FakeFile()
    links = PyloadLinks(core)
    links.show(7, "Offcloud downloading", 150)
    assert (pyfile.custom, pyfile.status, pyfile.progress, pyfile.error) == (
        "Offcloud downloading",
        13,
        100,
        "",
    )
    links.show(7, "Waiting", None)
    assert (pyfile.custom, pyfile.progress) == ("Waiting", 100)
    links.show(7, "Offcloud downloading", -5)
    assert pyfile.progress == 0
    links.fail(7, "Offcloud could not fetch it")
    assert (pyfile.status, pyfile.error, pyfile.released) == (8, "Offcloud could not fetch it", 1)
    links.restart(7)
    assert core.restarted == [7]
    links.show(8, "gone", 5)  # a deleted link: nothing to do
    links.fail(8, "gone")


FILES = [
    CloudFile(name="a.mkv", url="https://cdn.test/a.mkv", path="Demo/a.mkv"),
    CloudFile(name="b.txt", url="https://cdn.test/b.txt", path="Demo/b.txt"),
    CloudFile(name="c.mkv", url="https://cdn.test/c.mkv", path="Demo/Sub/c.mkv"),
]
JOB = Job(request_id="job1", status=JobStatus.DOWNLOADED)


def test_a_jobs_files_are_queued_with_the_decrypters_filters_and_noted() -> None:
    core = FakeCore({"include": "*.mkv", "folder_per_package": "Default"})
    lines: list[str] = []
    source = SimpleNamespace(queue=0, password="", folder="")
    ids = queue_job_files(core, JOB, FILES, name="Demo", source=source, log=lines.append)
    assert ids == [1, 2]
    assert core.added == [
        ("Demo", ["https://cdn.test/a.mkv"], 0),
        ("Demo/Sub", ["https://cdn.test/c.mkv"], 0),
    ]
    assert [core.packages[i]._folder for i in ids] == ["Demo", "Demo/Sub"]
    notes = FileLinks(core.db)
    assert notes.lookup("https://cdn.test/c.mkv") == {
        "request_id": "job1",
        "path": "Demo/Sub/c.mkv",
    }
    assert notes.lookup("https://cdn.test/b.txt") is None  # not queued, not noted
    assert len(lines) == 2


def test_the_decrypters_folder_choice_overrides_pyloads() -> None:
    core = FakeCore({"folder_per_package": "No"}, core_per_package=True)
    source = SimpleNamespace(queue=1, password="", folder="Torrents")
    queue_job_files(core, JOB, FILES[:1], name="Demo", source=source, log=lambda _line: None)
    assert core.packages[1]._folder == "Torrents"


def test_filters_that_keep_nothing_raise_and_queue_nothing() -> None:
    core = FakeCore({"include": "*.iso"})  # folder_per_package unknown: its default
    source = SimpleNamespace(queue=1, password="", folder="")
    with pytest.raises(ValueError, match="left none of the 3 files of Demo"):
        queue_job_files(core, JOB, FILES, name="Demo", source=source, log=lambda _line: None)
    assert core.added == []
    assert core.db.rows == {}
