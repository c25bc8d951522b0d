"""Tolerant parsers: loose types, both naming generations, envelopes (doc §3, §7.8)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from offcloud_api.exceptions import InvalidResponseError
from offcloud_api.models import (
    AccountInfo,
    CachedDownload,
    CacheResult,
    CloudFile,
    Job,
    JobStatus,
    Proxy,
    RemoteAccount,
    Site,
    SiteStatus,
    cloud_file_url,
    parse_list,
    sequence_of_str,
)

RID = "682fec68087e0a20ce1e7f95"


# ---------------------------------------------------------------------------------------------
# AccountInfo


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-12-31", date(2026, 12, 31)),
        ("2026-12-31T23:59:59Z", date(2026, 12, 31)),
        ("31-12-2019", date(2019, 12, 31)),
        ("1-2-2020", date(2020, 2, 1)),
        (1767139200, date(2025, 12, 31)),
        ("1767139200", date(2025, 12, 31)),
        (1767139200000, date(2025, 12, 31)),  # milliseconds
        (1767139200.5, date(2025, 12, 31)),
        ("2026-02-30", None),
        ("31-13-2019", None),
        ("tomorrow", None),
        ("²", None),
        (10**400, None),
        (1e300, None),
        (True, None),
        ([2026, 12, 31], None),
        (None, None),
    ],
    ids=[
        "ymd", "iso", "dmy", "dmy-short", "unix", "unix-str", "unix-ms", "unix-float",
        "bad-day", "bad-month", "words", "superscript", "huge-int", "huge-float", "bool",
        "list", "missing",
    ],
)  # fmt: skip
def test_account_dates_in_every_form(raw, expected):
    info = AccountInfo.from_api({"is_premium": True, "expiration_date": raw})
    assert info.expiration == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (True, True), (False, False), ("true", True), ("False", False), ("yes", True),
        ("0", False), (1, True), (0, False), (0.0, False), ("off", False),
        ("", True),  # an empty value counts as missing: the default applies
    ],
    ids=str,
)  # fmt: skip
def test_account_bools_as_strings(raw, expected):
    assert AccountInfo.from_api({"user_id": "u", "can_download": raw}).can_download is expected


def test_account_unknown_bool_defaults_to_can_download():
    info = AccountInfo.from_api({"user_id": "u", "can_download": "maybe", "is_premium": "maybe"})
    assert info.can_download is True
    assert info.is_premium is False  # no flag, no membership: not premium


def test_account_membership_type_means_premium():
    assert AccountInfo.from_api({"membershipType": "Lifetime"}).is_premium is True
    assert AccountInfo.from_api({"membershipType": "", "userId": "u"}).is_premium is False


def test_account_data_envelope_and_camel_case():
    info = AccountInfo.from_api(
        {"data": {"userId": "u1", "isPremium": 1, "canDownload": "false", "email": " a@b.c "}}
    )
    assert (info.user_id, info.is_premium, info.can_download, info.email) == (
        "u1",
        True,
        False,
        "a@b.c",
    )


@pytest.mark.parametrize(
    "payload",
    [{}, {"email": "x@y.z"}, [], "NOAUTH", None],
    ids=["empty", "no-flag-no-id", "list", "text", "none"],
)
def test_account_without_required_fields(payload):
    with pytest.raises(InvalidResponseError):
        AccountInfo.from_api(payload)


def test_account_is_expired():
    today = datetime.now(timezone.utc).date()
    assert AccountInfo(is_premium=True, can_download=True).is_expired is False
    past = AccountInfo(is_premium=True, can_download=True, expiration=today - timedelta(days=1))
    future = AccountInfo(is_premium=True, can_download=True, expiration=today + timedelta(days=1))
    assert past.is_expired is True
    assert future.is_expired is False


def test_account_limits():
    info = AccountInfo.from_api(
        {
            "isPremium": True,
            "limits": {"links": "Unlimited", "cloud": "1,000", "proxy": None, "x": "n/a"},
        }
    )
    assert info.limits == {"links": None, "cloud": 1000, "proxy": None, "x": None}


# ---------------------------------------------------------------------------------------------
# Site and SiteStatus


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Healthy", SiteStatus.HEALTHY),
        ("Fragile", SiteStatus.FRAGILE),
        ("Limited", SiteStatus.LIMITED),
        ("Dead", SiteStatus.DEAD),
        ("Cloud only", SiteStatus.CLOUD_ONLY),
        ("Awaiting Demand", SiteStatus.AWAITING_DEMAND),
        ("R&D", SiteStatus.COMING_SOON),
        ("Coming soon", SiteStatus.COMING_SOON),
        ("up", SiteStatus.HEALTHY),
        ("down", SiteStatus.DEAD),
        ("active", SiteStatus.HEALTHY),
        ("???", SiteStatus.UNKNOWN),
        (None, SiteStatus.UNKNOWN),
    ],
    ids=str,
)
def test_site_status_parse(raw, expected):
    assert SiteStatus.parse(raw) is expected


def test_site_status_usable():
    usable = {s for s in SiteStatus if s.is_usable}
    assert usable == {
        SiteStatus.HEALTHY,
        SiteStatus.FRAGILE,
        SiteStatus.LIMITED,
        SiteStatus.CLOUD_ONLY,
        SiteStatus.UNKNOWN,
    }


def test_site_from_plain_string():
    site = Site.from_api("mega.nz")
    assert (site.name, site.status, site.hosts, site.domains) == (
        "mega.nz",
        SiteStatus.UNKNOWN,
        ("mega.nz",),
        ("mega.nz",),
    )


def test_site_domains_dedupe_and_lower_case():
    site = Site.from_api(
        {"name": "RapidGator", "displayName": "rapidgator.net", "hosts": ["RG.to", 5, " rg.to "]}
    )
    assert site.hosts == ("RG.to", " rg.to ")
    assert site.domains == ("rg.to", "rapidgator.net", "rapidgator")


def test_site_cloud_only_from_no_instant_string():
    site = Site.from_api({"name": "x", "isActive": "Healthy", "noInstantDownload": "true"})
    assert site.cloud_only is True
    assert site.status is SiteStatus.HEALTHY


def test_site_without_status_or_name():
    assert Site.from_api({"host": "a.b"}).status is SiteStatus.UNKNOWN
    with pytest.raises(InvalidResponseError, match="without a name"):
        Site.from_api({"isActive": "Healthy"})
    with pytest.raises(InvalidResponseError):
        Site.from_api(7)


# ---------------------------------------------------------------------------------------------
# JobStatus and Job


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("created", JobStatus.CREATED),
        (" Downloading ", JobStatus.DOWNLOADING),
        ("downloaded", JobStatus.DOWNLOADED),
        ("failed", JobStatus.ERROR),
        ("dead", JobStatus.ERROR),
        ("fragile", JobStatus.ERROR),
        ("cancelled", JobStatus.CANCELED),
        ("canceled", JobStatus.CANCELED),
        ("seeding", JobStatus.UNKNOWN),
        (None, JobStatus.UNKNOWN),
        (3, JobStatus.UNKNOWN),
    ],
    ids=str,
)
def test_job_status_parse(raw, expected):
    assert JobStatus.parse(raw) is expected


def test_job_status_final_and_failed():
    assert {s for s in JobStatus if s.is_final} == {
        JobStatus.DOWNLOADED,
        JobStatus.ERROR,
        JobStatus.CANCELED,
    }
    assert {s for s in JobStatus if s.is_failed} == {JobStatus.ERROR, JobStatus.CANCELED}


def test_job_snake_case_and_loose_numbers():
    job = Job.from_api(
        {
            "request_id": "r1",
            "status": "downloading",
            "file_name": "a.mkv",
            "file_size": "1,000",
            "downloaded": 250.0,
            "speed": "50 B/s",
            "is_directory": 0,
            "created_on": 1767139200,
            "original_link": "https://x",
            "error": "partial",
        }
    )
    assert (job.file_size, job.amount, job.speed) == (1000, 250, 50.0)
    assert job.is_directory is False
    assert job.created_on == datetime(2025, 12, 31, tzinfo=timezone.utc)
    assert job.error_message == "partial"
    assert job.eta == pytest.approx(15.0)
    assert job.fraction_done == pytest.approx(0.25)


@pytest.mark.parametrize(
    ("fields", "fraction"),
    [
        ({"status": "downloaded"}, 1.0),
        ({"status": "downloading", "progress": 0.5}, 0.5),
        ({"status": "downloading", "progress": "250"}, 1.0),  # 250 % is clamped
        ({"status": "downloading", "progress": -0.5}, 0.0),
        ({"status": "downloading", "amount": 30, "fileSize": 120}, 0.25),
        ({"status": "downloading", "amount": 300, "fileSize": 120}, 1.0),
        ({"status": "downloading", "amount": 30, "fileSize": 0}, None),
        ({"status": "queued"}, None),
    ],
    ids=["downloaded", "progress", "percent-clamped", "negative", "amount", "amount-over",
         "zero-size", "nothing"],
)  # fmt: skip
def test_job_fraction_done(fields, fraction):
    job = Job.from_api({"requestId": "r", **fields})
    assert job.fraction_done == (pytest.approx(fraction) if fraction is not None else None)


@pytest.mark.parametrize(
    ("fields", "eta"),
    [
        ({"downloadingSpeed": 10, "fileSize": 100, "amount": 40}, 6.0),
        ({"downloadingSpeed": 10, "fileSize": 100, "amount": 140}, 0.0),
        ({"downloadingSpeed": 0, "fileSize": 100, "amount": 40}, None),
        ({"downloadingSpeed": 10, "amount": 40}, None),
        ({"downloadingSpeed": 10, "fileSize": 100}, None),
    ],
    ids=["normal", "overshoot", "no-speed", "no-size", "no-amount"],
)
def test_job_eta(fields, eta):
    assert Job.from_api({"requestId": "r", "status": "downloading", **fields}).eta == eta


@pytest.mark.parametrize(
    ("fields", "url"),
    [
        ({"server": "de-3", "fileName": "a b#1.mkv"},
         f"https://de-3.offcloud.com/cloud/download/{RID}/a%20b%231.mkv"),
        ({"server": "de-3", "fileName": "x", "isDirectory": True}, None),
        ({"url": f"https://de-3.offcloud.com/cloud/download/{RID}/", "fileName": "a b"},
         f"https://de-3.offcloud.com/cloud/download/{RID}/a%20b"),
        ({"url": "https://cdn.example/file.mkv", "fileName": "file.mkv"},
         "https://cdn.example/file.mkv"),
        ({"url": "http://[broken/cloud/download", "fileName": "f"}, "http://[broken/cloud/download"),
        ({"fileName": "only-name"}, None),
    ],
    ids=["server", "directory", "folder-url", "direct-url", "unsplittable-url", "nothing"],
)  # fmt: skip
def test_job_file_url(fields, url):
    assert Job.from_api({"requestId": RID, "status": "downloaded", **fields}).file_url == url


def test_cloud_file_url_quotes_everything():
    assert cloud_file_url("de-3", "a/b", "c/d e.mkv") == (
        "https://de-3.offcloud.com/cloud/download/a%2Fb/c%2Fd%20e.mkv"
    )


def test_job_status_envelope_and_required_id():
    job = Job.from_api({"status": {"requestId": "r", "status": "queued"}})
    assert job.status is JobStatus.QUEUED
    assert job.status_text == "queued"
    with pytest.raises(InvalidResponseError, match="request id"):
        Job.from_api({"status": {"status": "queued"}})
    with pytest.raises(InvalidResponseError, match="request id"):
        Job.from_api({"requestId": {"nested": 1}})
    with pytest.raises(InvalidResponseError):
        Job.from_api(["r"])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-05-23T10:11:12.345Z",
         datetime(2025, 5, 23, 10, 11, 12, 345000, tzinfo=timezone.utc)),
        ("2025-05-23T10:11:12", datetime(2025, 5, 23, 10, 11, 12, tzinfo=timezone.utc)),
        ("2025-05-23T12:11:12+02:00",
         datetime(2025, 5, 23, 12, 11, 12, tzinfo=timezone(timedelta(hours=2)))),
        (1767139200000, datetime(2025, 12, 31, tzinfo=timezone.utc)),
        ("not a date", None),
        (10**400, None),
        (True, None),
    ],
    ids=["iso-z", "naive", "offset", "ms", "words", "huge", "bool"],
)  # fmt: skip
def test_job_created_on(raw, expected):
    assert Job.from_api({"requestId": "r", "createdOn": raw}).created_on == expected


def test_job_numbers_that_are_no_numbers():
    job = Job.from_api(
        {"requestId": "r", "fileSize": 10**400, "amount": float("nan"), "speed": [5], "size": 1}
    )
    assert (job.file_size, job.amount, job.speed) == (None, None, None)
    assert Job.from_api({"requestId": "r", "fileSize": "n/a", "amount": True}).file_size is None


# ---------------------------------------------------------------------------------------------
# CloudFile


def test_cloud_file_from_legacy_url():
    f = CloudFile.from_api(f"https://de-3.offcloud.com/cloud/download/{RID}/2/Show%20-%2002.mkv")
    assert (f.name, f.path, f.folder, f.size, f.id) == (
        "Show - 02.mkv",
        "Show - 02.mkv",
        "",
        None,
        None,
    )


@pytest.mark.parametrize("url", ["", "   "], ids=["empty", "blank"])
def test_cloud_file_empty_url(url):
    with pytest.raises(InvalidResponseError):
        CloudFile.from_api(url)


def test_cloud_file_name_and_path_fallbacks():
    nested = CloudFile.from_api({"path": "/Release/Sub/ep.mkv", "url": "https://u", "size": "9"})
    assert (nested.name, nested.path, nested.folder, nested.size) == (
        "ep.mkv",
        "Release/Sub/ep.mkv",
        "Release/Sub",
        9,
    )
    named = CloudFile.from_api({"fileName": "n.txt", "link": "https://u/x"})
    assert (named.name, named.path) == ("n.txt", "n.txt")
    bare = CloudFile.from_api({"downloadUrl": "https://u/dir/"})
    assert (bare.name, bare.path) == ("dir", "dir")
    root = CloudFile.from_api({"url": "https://u/"})
    assert root.name == "file"
    broken = CloudFile.from_api("http://[broken")
    assert broken.name == "file"
    with pytest.raises(InvalidResponseError, match="without a URL"):
        CloudFile.from_api({"name": "x"})


# ---------------------------------------------------------------------------------------------
# CacheResult, CachedDownload


def test_cache_result_shapes():
    assert CacheResult.from_api(True, query="q", info_hash=None).cached is True
    result = CacheResult.from_api(
        {
            "isCached": "yes",
            "files": [
                {"folder": ["A", 2, None], "fileName": "x.mkv"},
                {"folder": 3.5, "name": "y.mkv"},
                {"folder": ["A"]},
                "/B/z.mkv/",
                "",
                7,
            ],
        },
        query="q",
        info_hash="h",
    )
    assert result.cached is True
    assert [f.path for f in result.files] == ["A/2/x.mkv", "y.mkv", "B/z.mkv"]
    assert CacheResult.from_api({}, query="q", info_hash=None).cached is False
    with pytest.raises(InvalidResponseError):
        CacheResult.from_api("cached", query="q", info_hash=None)


@pytest.mark.parametrize(
    ("folder", "path"),
    [
        ("Some.Release", "Some.Release/a.mkv"),  # §00 L14: a string in DMM's fixture
        ("Show/Season 1/", "Show/Season 1/a.mkv"),
        ("Show\\Season 1", "Show/Season 1/a.mkv"),
        ("", "a.mkv"),
        (["Show", "Season 1"], "Show/Season 1/a.mkv"),  # §00 L14: a list of segments in ST
        ([], "a.mkv"),
        ([True, "/Show/", " "], "Show/a.mkv"),
        (None, "a.mkv"),
    ],
)
def test_cache_result_folder_string_or_list_l14(folder, path):
    result = CacheResult.from_api(
        {"cached": True, "files": [{"folder": folder, "filename": "a.mkv", "size": 5}]},
        query="q",
        info_hash="h",
    )
    assert [f.path for f in result.files] == [path]


def test_cached_download():
    item = CachedDownload.from_api({"fileName": "a.mkv", "link": "https://l", "fileSize": "3"})
    assert (item.filename, item.url, item.size) == ("a.mkv", "https://l", 3)
    with pytest.raises(InvalidResponseError, match="without a URL"):
        CachedDownload.from_api({"filename": "a.mkv"})


# ---------------------------------------------------------------------------------------------
# Proxy, RemoteAccount, parse_list


def test_proxy():
    assert Proxy.from_api({"_id": "p", "name": 5}) == Proxy(id="p", name="5", region=None)
    with pytest.raises(InvalidResponseError, match="without an id"):
        Proxy.from_api({"name": "Main"})


def test_remote_account():
    account = RemoteAccount.from_api({"remote_option_id": "r", "account_id": "a", "host": "h"})
    assert (account.remote_option_id, account.account_id, account.path) == ("r", "a", "h")
    with pytest.raises(InvalidResponseError, match="without an id"):
        RemoteAccount.from_api({"username": "me"})


def test_parse_list_envelopes():
    assert parse_list([1, 2], "n", str) == ["1", "2"]
    assert parse_list({"data": [1]}, "n", str, "list", "data") == ["1"]
    with pytest.raises(InvalidResponseError, match="expected a list for n, got dict"):
        parse_list({"data": {}}, "n", str, "data")
    with pytest.raises(InvalidResponseError, match="got NoneType"):
        parse_list(None, "n", str)


def test_sequence_of_str():
    assert sequence_of_str(["a", 1, None, "b"]) == ["a", "b"]
    assert sequence_of_str("ab") == []
