"""The import of jobs finished on offcloud.com: baseline, second sighting, known and imported ids.

The importer reads and writes the addon's storage through the real ``PluginStore`` on a fake of
pyLoad's storage table, and knows pyLoad's own jobs the way the addon does
(``stored_request_ids`` over the plugins' storage, its own included).
"""

from __future__ import annotations

from fakes import FakePyloadDb

from offcloud_api.models import Job, JobStatus
from offcloud_api.pyload.history_import import Importer
from offcloud_api.pyload.storage import (
    HOOK_STORAGE,
    IMPORT_BASELINE_KEY,
    PluginStore,
    imported_key,
    stored_request_ids,
)


def done(request_id: str) -> Job:
    return Job(request_id=request_id, status=JobStatus.DOWNLOADED, file_name=request_id + ".mkv")


def working(request_id: str) -> Job:
    return Job(request_id=request_id, status=JobStatus.DOWNLOADING)


class Rig:
    def __init__(self) -> None:
        self.db = FakePyloadDb()
        self.hook = PluginStore(self.db, HOOK_STORAGE)
        self.downloader = PluginStore(self.db, "OffcloudCom")
        self.queued: list[str] = []
        self.refuse: set[str] = set()
        self.notices: list[str] = []
        self.importer = self.new_importer()

    def new_importer(self) -> Importer:
        return Importer(
            self.hook,
            known=lambda: stored_request_ids([self.downloader, self.hook]),
            queue_job=self.queue_job,
            notice=self.notices.append,
            clock=lambda: 1234.5,
        )

    def queue_job(self, job: Job) -> bool:
        if job.request_id in self.refuse:
            return False
        self.queued.append(job.request_id)
        return True


def test_the_first_history_is_the_baseline_and_never_imported() -> None:
    rig = Rig()
    history = [done("old1"), done("old2"), working("busy")]
    assert rig.importer.on_history(history) == []
    assert rig.hook.retrieve(IMPORT_BASELINE_KEY) == ["old1", "old2"]
    assert rig.notices == [
        (
            "Import: baseline of 2 finished jobs in your Offcloud cloud; jobs finishing from now "
            "on that pyLoad did not add are queued"
        )
    ]
    for _round in range(3):
        assert rig.importer.on_history(history) == []
    assert rig.queued == []
    assert len(rig.notices) == 1


def test_a_job_finishing_later_is_imported_on_its_second_sighting_only() -> None:
    rig = Rig()
    rig.importer.on_history([done("old1"), working("new1")])
    assert rig.importer.on_history([done("old1"), working("new1")]) == []
    assert rig.importer.on_history([done("old1"), done("new1")]) == []  # first sighting
    assert rig.queued == []
    assert rig.importer.on_history([done("old1"), done("new1")]) == ["new1"]
    assert rig.queued == ["new1"]
    assert rig.hook.retrieve(imported_key("new1")) == {"request_id": "new1", "at": 1234.5}


def test_an_imported_job_is_remembered_and_not_imported_again() -> None:
    rig = Rig()
    rig.importer.on_history([])
    rig.importer.on_history([done("new1")])
    assert rig.importer.on_history([done("new1")]) == ["new1"]
    for _round in range(3):
        assert rig.importer.on_history([done("new1")]) == []
    # Also after a pyLoad restart (a new importer on the same storage).
    rig.importer = rig.new_importer()
    for _round in range(3):
        assert rig.importer.on_history([done("new1")]) == []
    assert rig.queued == ["new1"]
    assert rig.notices == [rig.notices[0]]  # the baseline is not taken again either


def test_a_job_pyload_added_itself_is_not_imported() -> None:
    rig = Rig()
    rig.importer.on_history([])
    rig.importer.on_history([done("mine")])  # pyLoad has just added it: id not stored yet
    rig.downloader.store("job:abc", {"request_id": "mine", "retried": False})  # now it is
    assert rig.importer.on_history([done("mine")]) == []
    assert rig.importer.on_history([done("mine")]) == []
    assert rig.queued == []


def test_a_sighting_counts_only_in_the_next_history() -> None:
    rig = Rig()
    rig.importer.on_history([])
    rig.importer.on_history([done("new1")])
    rig.importer.on_history([])  # gone from the history meanwhile: sightings start again
    assert rig.importer.on_history([done("new1")]) == []
    assert rig.importer.on_history([done("new1")]) == ["new1"]


def test_a_job_that_could_not_be_queued_is_tried_again_next_round() -> None:
    rig = Rig()
    rig.importer.on_history([])
    rig.refuse.add("new1")
    rig.importer.on_history([done("new1"), done("new2")])
    assert rig.importer.on_history([done("new1"), done("new2")]) == ["new2"]
    assert rig.hook.retrieve(imported_key("new1")) is None
    assert rig.importer.on_history([done("new1"), done("new2")]) == []
    rig.refuse.clear()
    assert rig.importer.on_history([done("new1"), done("new2")]) == ["new1"]
    assert rig.queued == ["new2", "new1"]


def test_an_empty_cloud_is_a_baseline_too() -> None:
    rig = Rig()
    assert rig.importer.on_history([working("busy")]) == []
    assert rig.hook.retrieve(IMPORT_BASELINE_KEY) == []
    rig.importer = rig.new_importer()  # a stored empty list is a baseline, not "none yet"
    rig.importer.on_history([done("busy")])
    assert rig.importer.on_history([done("busy")]) == ["busy"]
    assert len(rig.notices) == 1
