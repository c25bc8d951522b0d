"""Which Offcloud jobs the clean-up addon removes: after the download, and the hourly clean-up."""

from __future__ import annotations

import json
from base64 import b85encode
from datetime import datetime, timedelta, timezone

import pytest
from fakes import FakePyloadDb

from offcloud_api.models import Job, JobStatus
from offcloud_api.pyload.cleanup import (
    Link,
    Verdict,
    followed_request_ids,
    job_verdict,
    links_from_pyload,
    protected_request_ids,
    request_id_of,
    stale_jobs,
)
from offcloud_api.pyload.storage import DOWNLOADER, PluginStore, job_storage_key

JOB = "0896d1afc0082e232c9b10a6"
OTHER = "947f187506f7629c81c81879"
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)

# pyLoad's link statuses (offcloud_api.harness.runner.LinkStatus)
FINISHED, OFFLINE, QUEUED, SKIPPED = 0, 1, 3, 4
FAILED, ABORTED, DOWNLOADING, PROCESSING = 8, 9, 12, 13


def url(request_id: str, index: int) -> str:
    return f"https://de-3.offcloud.com/cloud/download/{request_id}/{index}/file{index}.bin"


def link(fid: int, status: int, request_id: str = JOB) -> Link:
    return Link(fid=fid, url=url(request_id, fid), status=status, package_id=1)


def test_request_ids_come_from_offcloud_file_urls_only() -> None:
    assert request_id_of(url(JOB, 1)) == JOB
    assert request_id_of(f"https://fr-1.offcloud.com/cloud/download/{JOB}/single.bin") == JOB
    assert request_id_of("https://rapidgator.net/file/abc123/demo.bin") is None
    assert request_id_of("magnet:?xt=urn:btih:3bb71a0a14b2292203a8d3eded8b8d3c259c0603") is None
    assert request_id_of(None) is None
    assert request_id_of("") is None


def test_a_job_goes_once_every_file_from_it_is_downloaded() -> None:
    links = [link(1, FINISHED), link(2, SKIPPED), link(3, DOWNLOADING), link(9, QUEUED, OTHER)]
    ended = link(3, FINISHED)
    assert job_verdict(JOB, links, ended=ended) is Verdict.REMOVE


def test_a_job_the_user_made_outside_this_pyload_stays() -> None:
    # A cloud folder the user pasted: its files are downloaded, but the job is the user's own.
    links = [link(1, FINISHED), link(2, FINISHED)]
    ended = link(2, FINISHED)
    assert job_verdict(JOB, links, ended=ended, ours=set()) is Verdict.NOT_OURS
    assert job_verdict(JOB, links, ended=ended, ours={OTHER}) is Verdict.NOT_OURS
    assert job_verdict(JOB, links, ended=ended, ours={JOB}) is Verdict.REMOVE
    assert job_verdict(JOB, links, ended=ended, ours=None) is Verdict.REMOVE  # only_own off


@pytest.mark.parametrize("status", [QUEUED, DOWNLOADING, PROCESSING, 5, 7, 10, 11, 2, 14])
def test_a_job_waits_while_any_file_from_it_is_still_to_come(status: int) -> None:
    links = [link(1, FINISHED), link(2, status)]
    assert job_verdict(JOB, links, ended=link(1, FINISHED)) is Verdict.WAIT


def test_a_link_pyload_reported_downloaded_counts_as_done_before_its_status_says_so() -> None:
    # pyLoad sets "finished" only after its download_finished event (two files ending together).
    links = [link(1, DOWNLOADING), link(2, DOWNLOADING)]
    ended = link(2, FINISHED)
    assert job_verdict(JOB, links, ended=ended) is Verdict.WAIT
    assert job_verdict(JOB, links, ended=ended, done_fids={1}) is Verdict.REMOVE


@pytest.mark.parametrize("status", [OFFLINE, 6, FAILED, ABORTED])
def test_a_failed_file_keeps_the_job_unless_the_user_lets_it_go(status: int) -> None:
    links = [link(1, status), link(2, DOWNLOADING)]
    ended = link(2, FINISHED)
    assert job_verdict(JOB, links, ended=ended) is Verdict.KEEP_FAILED
    assert job_verdict(JOB, links, ended=ended, keep_failed=False) is Verdict.REMOVE


def test_the_ended_link_counts_with_its_own_status() -> None:
    # A hoster link: its pyLoad URL is the hoster's, its download link names the job.
    hoster = Link(fid=5, url=url(JOB, 1), status=FAILED)
    assert job_verdict(JOB, [], ended=hoster) is Verdict.KEEP_FAILED
    assert job_verdict(JOB, [], ended=hoster, keep_failed=False) is Verdict.REMOVE
    assert job_verdict(JOB, [link(5, DOWNLOADING)], ended=link(5, FINISHED)) is Verdict.REMOVE


def test_a_job_a_plugin_still_follows_stays() -> None:
    assert job_verdict(JOB, [], ended=link(1, FINISHED), in_use={JOB}) is Verdict.IN_USE


def test_links_are_read_from_pyloads_complete_data() -> None:
    data = {
        7: {
            "name": "Demo",
            "links": {
                11: {"id": 11, "url": url(JOB, 1), "status": 0, "package": 7},
                12: {"url": url(JOB, 2), "status": "12"},
                13: "not a link",
                14: {"id": "x", "url": "u", "status": 0},
            },
        },
        8: {"links": None},
        9: "not a package",
    }
    links = links_from_pyload(data)
    assert links == [
        Link(fid=11, url=url(JOB, 1), status=0, package_id=7),
        Link(fid=12, url=url(JOB, 2), status=12, package_id=7),
    ]


def test_protected_jobs_are_those_pyload_still_has_files_of() -> None:
    links = [
        link(1, FINISHED),
        link(2, FAILED, OTHER),
        Link(fid=3, url="https://rapidgator.net/file/x", status=QUEUED),
        link(4, SKIPPED, "aaaaaaaaaaaaaaaaaaaaaaaa"),
    ]
    assert protected_request_ids(links) == {OTHER}


def job(request_id: str, status: JobStatus, hours: float | None) -> Job:
    created = NOW - timedelta(hours=hours) if hours is not None else None
    return Job(request_id=request_id, status=status, created_on=created)


HISTORY = [
    job("a" * 24, JobStatus.DOWNLOADED, 48),
    job("b" * 24, JobStatus.DOWNLOADED, 2),
    job("c" * 24, JobStatus.ERROR, 48),
    job("d" * 24, JobStatus.CANCELED, 30),
    job("e" * 24, JobStatus.DOWNLOADING, 72),
    job("f" * 24, JobStatus.CREATED, 72),
    job("1" * 24, JobStatus.QUEUED, 72),
    job("2" * 24, JobStatus.PROCESSING, 72),
    job("3" * 24, JobStatus.UPLOADING, 72),
    job("4" * 24, JobStatus.UNKNOWN, 72),
    job("5" * 24, JobStatus.DOWNLOADED, None),
    job("6" * 24, JobStatus.DOWNLOADED, 24),
    job("a" * 24, JobStatus.DOWNLOADED, 48),
]


def ids(jobs: list[Job]) -> list[str]:
    return [j.request_id[0] for j in jobs]


def test_the_hourly_clean_up_takes_finished_jobs_older_than_the_limit_only() -> None:
    assert ids(stale_jobs(HISTORY, now=NOW, older_than_hours=24)) == ["a", "6"]


def test_failed_jobs_only_when_asked() -> None:
    stale = stale_jobs(HISTORY, now=NOW, older_than_hours=24, include_failed=True)
    assert ids(stale) == ["a", "c", "d", "6"]


def test_running_jobs_are_never_taken_whatever_their_age() -> None:
    stale = stale_jobs(HISTORY, now=NOW, older_than_hours=0.001, include_failed=True)
    assert not {"e", "f", "1", "2", "3", "4"} & set(ids(stale))
    assert "5" not in ids(stale)  # age unknown


def test_protected_jobs_and_a_zero_limit_take_nothing() -> None:
    assert ids(stale_jobs(HISTORY, now=NOW, older_than_hours=24, protected={"a" * 24})) == ["6"]
    assert stale_jobs(HISTORY, now=NOW, older_than_hours=0) == []
    assert stale_jobs(HISTORY, now=NOW, older_than_hours=-5) == []


def test_naive_times_are_taken_as_utc() -> None:
    naive = Job(request_id="n" * 24, status=JobStatus.DOWNLOADED, created_on=datetime(2026, 4, 1))  # noqa: DTZ001
    assert stale_jobs([naive], now=NOW.replace(tzinfo=None), older_than_hours=1) == [naive]


def pyload_stored(value: object) -> str:
    return b85encode(json.dumps(value).encode()).decode()


def test_the_downloader_follows_a_job_only_while_its_link_is_unfinished() -> None:
    hoster = "https://nitroflare.com/view/CLOUD1/cloud-only.bin"
    expanded = "https://example-hoster.test/folder/DemoFolder"
    failed = "https://rapidgator.net/file/fail01/flaky.bin"
    db = FakePyloadDb()
    db.rows[DOWNLOADER] = {
        job_storage_key(hoster): pyload_stored({"request_id": JOB, "retried": False}),
        job_storage_key(expanded): pyload_stored({"request_id": OTHER}),
        job_storage_key(failed): pyload_stored({"request_id": "c" * 24, "retried": True}),
        job_storage_key("https://gone.test/deleted"): pyload_stored({"request_id": "d" * 24}),
    }
    links = [
        Link(fid=1, url=hoster, status=DOWNLOADING),
        Link(fid=2, url=expanded, status=SKIPPED),  # expanded into per-file links
        Link(fid=3, url=failed, status=FAILED),  # a restart resumes its job
    ]
    entries = PluginStore(db, DOWNLOADER)
    assert followed_request_ids(entries, links) == {JOB, "c" * 24}
    assert followed_request_ids(entries, links, ignore={1}) == {"c" * 24}
    assert followed_request_ids(PluginStore(db, "Nothing"), links) == set()
