"""offcloud_api.download hardening (issue 14, items 1 and 3).

Item 1: a download never replaces or deletes a file it did not write (an existing file, a
symlink), never writes beside its target (``<to>.part`` for a path of ``.``), and a job goes into
a folder of its own. Item 3: a file server's error body nested too deeply to parse is an error
answer like any other, not a ``RecursionError``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests
import responses

from offcloud_api import download as download_module
from offcloud_api.download import (
    DestinationExistsError,
    UnsafePathError,
    destination_for,
    download_file,
    job_destinations,
    part_path,
    relative_path,
)
from offcloud_api.exceptions import HTTPError, ServerError

URL = "https://s1.offcloud.com/cloud/download/req1/movie.mkv"
CONTENT = b"new content from Offcloud"

needs_symlinks = pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks here")


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def session():
    with requests.Session() as value:
        yield value


# --------------------------------------------------------------------------------------------
# item 1: paths


@pytest.mark.parametrize("relative", [".", "./", "./.", " / ", "\\"])
def test_destination_for_refuses_a_path_that_names_no_file(tmp_path, relative):
    with pytest.raises(UnsafePathError, match="refusing"):
        destination_for(tmp_path, relative)


@pytest.mark.parametrize(
    ("path", "name", "expected"),
    [
        (".", "video.mkv", "video.mkv"),
        ("./", "video.mkv", "video.mkv"),
        ("", "video.mkv", "video.mkv"),
        ("Release/video.mkv", "video.mkv", "Release/video.mkv"),
        (".", ".", "."),  # nothing better to go by: destination_for refuses it
    ],
)
def test_relative_path_falls_back_to_the_name_where_the_path_names_nothing(path, name, expected):
    assert relative_path(path, name) == expected


@pytest.mark.parametrize("dest", [Path(), Path("out/.."), Path("..")])
def test_download_file_refuses_a_destination_without_a_file_name(
    rsps, session, tmp_path, monkeypatch, dest
):
    monkeypatch.chdir(tmp_path)

    with pytest.raises(UnsafePathError):  # not ValueError: PosixPath('.') has an empty name
        download_file(session, URL, dest)

    assert list(tmp_path.iterdir()) == []
    assert not (tmp_path.parent / f"{tmp_path.name}.part").exists()


@pytest.mark.parametrize(
    ("job_name", "paths", "expected"),
    [
        # files that share one top folder keep it: no Release/Release
        ("Release", ["Release/a.mkv", "Release/sub/b.srt"], ["Release/a.mkv", "Release/sub/b.srt"]),
        # ... whatever the job's name
        (None, ["Release/a.mkv", "Release/b.srt"], ["Release/a.mkv", "Release/b.srt"]),
        # files at the top go into a folder named after the job
        ("Pack", [".bashrc", "notes.txt"], ["Pack/.bashrc", "Pack/notes.txt"]),
        ("Pack", ["a.txt", "Sub/b.txt"], ["Pack/a.txt", "Pack/Sub/b.txt"]),
        # a single file too: the folder is the job's name as it is (no guessing at extensions)
        ("movie.mkv", ["movie.mkv"], ["movie.mkv/movie.mkv"]),
        ("Some.Release", ["Some.Release"], ["Some.Release/Some.Release"]),
        # a hidden or odd name never makes a hidden folder, nor one outside the root
        (".ssh", [".ssh/authorized_keys"], ["_ssh/authorized_keys"]),
        ("Pack", [".config/autostart/x.desktop"], ["_config/autostart/x.desktop"]),
        (".bash_profile", [".bash_profile"], ["_bash_profile/.bash_profile"]),
        ("../up", ["a.txt"], ["__up/a.txt"]),
        ("a/b\\c", ["x.txt"], ["a_b_c/x.txt"]),
        ("..", ["x.txt"], ["req1/x.txt"]),
        ("", ["x.txt"], ["req1/x.txt"]),
        (None, ["x.txt", "y.txt"], ["req1/x.txt", "req1/y.txt"]),
        ("esc\x1b[2Jape\n", ["x.txt"], ["esc_[2Jape/x.txt"]),
    ],
)
def test_job_destinations_put_a_job_into_a_folder_of_its_own(tmp_path, job_name, paths, expected):
    targets = job_destinations(tmp_path, paths, job_name=job_name, fallback="req1")
    assert targets == [tmp_path.joinpath(*item.split("/")) for item in expected]


def test_job_destinations_without_a_job_folder_keep_the_paths(tmp_path):
    targets = job_destinations(
        tmp_path, ["a.txt", "Sub/b.txt"], job_name="Pack", fallback="r", own_folder=False
    )
    assert targets == [tmp_path / "a.txt", tmp_path / "Sub" / "b.txt"]


@pytest.mark.parametrize(
    "paths",
    [
        ["Release/a.mkv", "Release/a.mkv"],  # twice the same place
        ["Release/a.mkv", "Release/./a.mkv"],
        ["Release/a.mkv", "Release/a.mkv.part"],  # one file's .part is another file
    ],
)
def test_job_destinations_refuse_two_files_on_one_place(tmp_path, paths):
    with pytest.raises(UnsafePathError, match=r"Release/a\.mkv"):
        job_destinations(tmp_path, paths, job_name="Release", fallback="r")


def test_job_destinations_refuse_an_escaping_path(tmp_path):
    with pytest.raises(UnsafePathError, match="leaves the folder"):
        job_destinations(tmp_path, ["Release/a", "../../x"], job_name="Release", fallback="r")


# --------------------------------------------------------------------------------------------
# item 1: never replace what it did not write


def test_download_file_never_overwrites_an_existing_file(rsps, session, tmp_path):
    dest = tmp_path / "movie.mkv"
    dest.write_bytes(b"the user's own file")

    with pytest.raises(DestinationExistsError, match="exists already"):
        download_file(session, URL, dest, expected_size=len(CONTENT))

    assert dest.read_bytes() == b"the user's own file"
    assert not part_path(dest).exists()
    assert len(rsps.calls) == 0


def test_download_file_replaces_an_existing_file_when_asked(rsps, session, tmp_path):
    rsps.get(URL, body=CONTENT)
    dest = tmp_path / "movie.mkv"
    dest.write_bytes(b"old")

    download_file(session, URL, dest, expected_size=len(CONTENT), overwrite=True)

    assert dest.read_bytes() == CONTENT


def test_download_file_takes_a_file_of_the_listed_size_as_complete(rsps, session, tmp_path):
    dest = tmp_path / "movie.mkv"
    dest.write_bytes(b"x" * len(CONTENT))

    assert download_file(session, URL, dest, expected_size=len(CONTENT)) == dest

    assert dest.read_bytes() == b"x" * len(CONTENT)  # nothing fetched, nothing replaced


def test_a_file_that_appears_during_the_download_is_not_replaced(
    rsps, session, tmp_path, monkeypatch
):
    dest = tmp_path / "movie.mkv"
    rsps.get(URL, body=CONTENT)

    def progress(done: int, total: int | None) -> None:
        if not dest.exists():
            dest.write_bytes(b"written by someone else meanwhile")

    with pytest.raises(DestinationExistsError):
        download_file(session, URL, dest, progress=progress)

    assert dest.read_bytes() == b"written by someone else meanwhile"
    assert part_path(dest).read_bytes() == CONTENT  # kept: the next run may use it


@needs_symlinks
def test_download_file_never_writes_through_a_symlink(rsps, session, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(b"precious")
    dest = tmp_path / "movie.mkv"
    dest.symlink_to(elsewhere)

    with pytest.raises(DestinationExistsError):
        download_file(session, URL, dest, expected_size=len(b"precious"))

    assert dest.is_symlink()
    assert elsewhere.read_bytes() == b"precious"


@needs_symlinks
def test_download_file_never_appends_to_a_part_that_is_a_symlink(rsps, session, tmp_path):
    elsewhere = tmp_path / "authorized_keys"
    elsewhere.write_bytes(b"ssh-ed25519 AAAA me\n")
    dest = tmp_path / "movie.mkv"
    part_path(dest).symlink_to(elsewhere)

    with pytest.raises(DestinationExistsError, match="not a partial download"):
        download_file(session, URL, dest)

    assert elsewhere.read_bytes() == b"ssh-ed25519 AAAA me\n"
    assert not dest.exists()


def test_download_file_resumes_its_own_part(rsps, session, tmp_path):
    dest = tmp_path / "movie.mkv"
    part_path(dest).write_bytes(CONTENT[:5])
    rsps.get(
        URL,
        body=CONTENT[5:],
        status=206,
        headers={"Content-Range": f"bytes 5-{len(CONTENT) - 1}/{len(CONTENT)}"},
    )

    download_file(session, URL, dest, expected_size=len(CONTENT))

    assert dest.read_bytes() == CONTENT
    assert not part_path(dest).exists()


# --------------------------------------------------------------------------------------------
# item 3: deep JSON in an error body


DEEP_BODIES = [
    pytest.param(b"[" * 100_000, id="too-deep-to-parse"),
    pytest.param(b'{"error": ' * 600 + b"1" + b"}" * 600, id="parses-but-too-deep-to-redact"),
    pytest.param(b'{"error": ' + b"[" * 900 + b"]" * 900 + b"}", id="deep-error-value"),
]


@pytest.mark.parametrize("body", DEEP_BODIES)
def test_deep_json_error_body_is_a_plain_error_answer(rsps, session, tmp_path, body):
    rsps.get(URL, status=500, body=body, content_type="application/json")
    dest = tmp_path / "movie.mkv"

    with pytest.raises(ServerError, match="HTTP 500 from GET"):
        download_file(session, URL, dest)

    assert not dest.exists()


@pytest.mark.parametrize("body", DEEP_BODIES)
def test_deep_json_in_a_small_200_answer_is_saved_as_the_file(rsps, session, tmp_path, body):
    # A small JSON 200 is checked for Offcloud's refusal first; too deep, it is just a file.
    rsps.get(
        URL, body=body, content_type="application/json", headers={"Content-Length": str(len(body))}
    )
    dest = tmp_path / "data.json"

    download_file(session, URL, dest)

    assert dest.read_bytes() == body


def test_deep_json_404_is_still_an_http_error(rsps, session, tmp_path):
    rsps.get(URL, status=410, body=b"[" * 5000, content_type="application/json")

    with pytest.raises(HTTPError) as caught:
        download_file(session, URL, tmp_path / "movie.mkv")

    assert caught.value.status == 410


def _no_hard_links(monkeypatch):
    def refuse(source, target):
        raise PermissionError(1, "Operation not permitted")  # as on FAT or some network shares

    monkeypatch.setattr(download_module.os, "link", refuse)


def test_without_hard_links_the_part_is_renamed_into_place(rsps, session, tmp_path, monkeypatch):
    _no_hard_links(monkeypatch)
    rsps.get(URL, body=CONTENT)
    dest = tmp_path / "movie.mkv"

    download_file(session, URL, dest)

    assert dest.read_bytes() == CONTENT
    assert not part_path(dest).exists()


def test_without_hard_links_a_file_that_appeared_is_still_not_replaced(
    rsps, session, tmp_path, monkeypatch
):
    _no_hard_links(monkeypatch)
    dest = tmp_path / "movie.mkv"
    rsps.get(URL, body=CONTENT)

    def progress(done: int, total: int | None) -> None:
        if not dest.exists():
            dest.write_bytes(b"written by someone else meanwhile")

    with pytest.raises(DestinationExistsError, match="appeared while it downloaded"):
        download_file(session, URL, dest, progress=progress)

    assert dest.read_bytes() == b"written by someone else meanwhile"
    assert part_path(dest).read_bytes() == CONTENT
