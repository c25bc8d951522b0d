"""offcloud_api.download: resume, restart, refusals and error answers of download servers."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pytest
import requests
import responses
from responses import matchers

from offcloud_api.download import (
    CHUNK_SIZE,
    DOWNLOAD_TIMEOUT,
    DestinationExistsError,
    IncompleteDownloadError,
    UnsafePathError,
    destination_for,
    download_file,
    part_path,
)
from offcloud_api.exceptions import (
    HTTPError,
    IPNotRegisteredError,
    NotFoundError,
    OffcloudConnectionError,
    RateLimitError,
    ServerError,
)
from offcloud_api.redact import mask_file_links

URL = "https://s1.offcloud.com/cloud/download/req1/movie.mkv"
CONTENT = bytes(range(256)) * 40  # 10 240 bytes
SHA256 = hashlib.sha256(CONTENT).hexdigest()


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def session():
    with requests.Session() as value:
        yield value


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    return tmp_path / "out" / "movie.mkv"


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int | None]] = []

    def __call__(self, done: int, total: int | None) -> None:
        self.calls.append((done, total))


# --------------------------------------------------------------------------------------------
# destination_for


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("Release/video.mkv", ("Release", "video.mkv")),
        ("video.mkv", ("video.mkv",)),
        ("./Release//sub/./a.txt", ("Release", "sub", "a.txt")),
        ("Release\\sub\\a.txt", ("Release", "sub", "a.txt")),
        ("..foo/bar..", ("..foo", "bar..")),
    ],
)
def test_destination_for_keeps_relative_paths_inside_the_root(tmp_path, relative, expected):
    assert destination_for(tmp_path, relative) == tmp_path.joinpath(*expected)


@pytest.mark.parametrize(
    "relative",
    [
        "../escape.txt",
        "Release/../../escape.txt",
        "Release\\..\\..\\escape.txt",
        "/etc/passwd",
        "\\\\server\\share\\x",
        "C:\\Windows\\x.dll",
        "C:relative.txt",
        "",
        "/",
        "..",
        "a\x00b",
    ],
)
def test_destination_for_refuses_paths_that_escape(tmp_path, relative):
    with pytest.raises(UnsafePathError, match="refusing"):
        destination_for(tmp_path, relative)


# --------------------------------------------------------------------------------------------
# fresh downloads


def test_fresh_download_streams_to_part_then_renames(rsps, session, dest):
    rsps.get(
        URL,
        body=CONTENT,
        match=[
            matchers.header_matcher({"Accept-Encoding": "identity"}),
            matchers.request_kwargs_matcher({"timeout": DOWNLOAD_TIMEOUT, "stream": True}),
        ],
    )
    progress = Recorder()

    result = download_file(
        session, URL, dest, expected_size=len(CONTENT), progress=progress, chunk_size=4096
    )

    assert result == dest
    assert sha256_of(dest) == SHA256
    assert not part_path(dest).exists()
    sent = rsps.calls[0].request.headers
    assert "Range" not in sent
    assert "Authorization" not in sent
    assert progress.calls == [(4096, 10240), (8192, 10240), (10240, 10240)]


def test_default_chunk_size_is_one_mebibyte():
    assert CHUNK_SIZE == 1024 * 1024


def test_total_comes_from_content_length_without_an_expected_size(rsps, session, dest):
    rsps.get(URL, body=CONTENT, headers={"Content-Length": str(len(CONTENT))})
    progress = Recorder()

    download_file(session, URL, dest, progress=progress)

    assert progress.calls == [(len(CONTENT), len(CONTENT))]
    assert sha256_of(dest) == SHA256


def test_existing_complete_file_is_not_fetched_again(rsps, session, dest):
    dest.parent.mkdir(parents=True)
    dest.write_bytes(CONTENT)
    progress = Recorder()

    assert download_file(session, URL, dest, expected_size=len(CONTENT), progress=progress) == dest

    assert len(rsps.calls) == 0
    assert progress.calls == [(len(CONTENT), len(CONTENT))]


def test_existing_file_of_unknown_size_is_kept_unless_overwrite(rsps, session, dest):
    # Issue 14, item 1: a file that is there already is never replaced unless asked.
    dest.parent.mkdir(parents=True)
    dest.write_bytes(b"old contents")

    with pytest.raises(DestinationExistsError):
        download_file(session, URL, dest)
    assert dest.read_bytes() == b"old contents"

    rsps.get(URL, body=CONTENT)
    download_file(session, URL, dest, overwrite=True)
    assert sha256_of(dest) == SHA256


# --------------------------------------------------------------------------------------------
# resume


def write_part(dest: Path, data: bytes) -> Path:
    part = part_path(dest)
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(data)
    return part


def test_resume_sends_range_and_appends_a_206(rsps, session, dest):
    write_part(dest, CONTENT[:4000])
    rsps.get(
        URL,
        body=CONTENT[4000:],
        status=206,
        headers={"Content-Range": f"bytes 4000-{len(CONTENT) - 1}/{len(CONTENT)}"},
        match=[matchers.header_matcher({"Range": "bytes=4000-"})],
    )
    progress = Recorder()

    download_file(session, URL, dest, expected_size=len(CONTENT), progress=progress)

    assert sha256_of(dest) == SHA256
    assert not part_path(dest).exists()
    assert progress.calls[-1] == (len(CONTENT), len(CONTENT))
    assert all(done > 4000 for done, _ in progress.calls)


def test_resume_answered_with_200_starts_again_from_zero(rsps, session, dest):
    write_part(dest, b"x" * 4000)  # not even a prefix: it must not survive
    rsps.get(URL, body=CONTENT, match=[matchers.header_matcher({"Range": "bytes=4000-"})])

    download_file(session, URL, dest, expected_size=len(CONTENT))

    assert sha256_of(dest) == SHA256


def test_416_with_a_whole_part_means_complete(rsps, session, dest):
    write_part(dest, CONTENT)
    rsps.get(URL, status=416, match=[matchers.header_matcher({"Range": f"bytes={len(CONTENT)}-"})])

    download_file(session, URL, dest, expected_size=len(CONTENT))

    assert sha256_of(dest) == SHA256
    assert len(rsps.calls) == 1


@pytest.mark.parametrize("expected_size", [len(CONTENT), None])
def test_416_without_proof_of_completeness_restarts(rsps, session, dest, expected_size):
    write_part(dest, b"junk")
    rsps.get(URL, status=416, match=[matchers.header_matcher({"Range": "bytes=4-"})])
    rsps.get(URL, body=CONTENT)

    download_file(session, URL, dest, expected_size=expected_size)

    assert sha256_of(dest) == SHA256
    assert "Range" not in rsps.calls[1].request.headers


def test_206_from_the_wrong_offset_restarts(rsps, session, dest):
    write_part(dest, CONTENT[:4000])
    rsps.get(URL, body=CONTENT[10:], status=206, headers={"Content-Range": "bytes 10-10239/10240"})
    rsps.get(URL, body=CONTENT)

    download_file(session, URL, dest, expected_size=len(CONTENT))

    assert sha256_of(dest) == SHA256
    assert "Range" not in rsps.calls[1].request.headers


@pytest.mark.parametrize("headers", [{"Content-Range": "items 4000-/x"}, {}])
def test_206_without_a_readable_content_range_is_appended(rsps, session, dest, headers):
    write_part(dest, CONTENT[:4000])
    rsps.get(URL, body=CONTENT[4000:], status=206, headers=headers)

    download_file(session, URL, dest, expected_size=len(CONTENT))

    assert sha256_of(dest) == SHA256


def test_part_larger_than_the_file_is_not_resumed(rsps, session, dest):
    write_part(dest, b"y" * (len(CONTENT) + 1))
    rsps.get(URL, body=CONTENT)

    download_file(session, URL, dest, expected_size=len(CONTENT))

    assert "Range" not in rsps.calls[0].request.headers
    assert sha256_of(dest) == SHA256


# --------------------------------------------------------------------------------------------
# incomplete and failed downloads


def test_short_body_keeps_the_part_for_resuming(rsps, session, dest):
    rsps.get(URL, body=CONTENT[:1000])

    with pytest.raises(IncompleteDownloadError, match="got 1000 of 10240 bytes"):
        download_file(session, URL, dest, expected_size=len(CONTENT))

    assert part_path(dest).read_bytes() == CONTENT[:1000]
    assert not dest.exists()


def test_larger_file_than_listed_is_kept_with_a_warning(rsps, session, dest, caplog):
    rsps.get(URL, body=CONTENT)

    with caplog.at_level(logging.WARNING, logger="offcloud_api.download"):
        download_file(session, URL, dest, expected_size=100)

    assert sha256_of(dest) == SHA256
    assert "Offcloud listed 100" in caplog.text


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (404, b"<html>Not Found</html>", NotFoundError),
        (503, b"Service Unavailable", ServerError),
        (403, b'{"error": "You are not authorized to download this file."}', IPNotRegisteredError),
        (429, b"", RateLimitError),
        (304, b"", HTTPError),
        (204, b"", HTTPError),
    ],
)
def test_error_answers_become_library_errors(rsps, session, dest, status, body, error):
    rsps.get(URL + "?key=SECRET", status=status, body=body, headers={"Retry-After": "7"})

    with pytest.raises(error) as raised:
        download_file(session, URL + "?key=SECRET", dest)

    assert raised.value.status == status
    assert "SECRET" not in str(raised.value)
    assert raised.value.path == URL
    assert not dest.exists()
    if isinstance(raised.value, RateLimitError):
        assert raised.value.retry_after == 7


def test_200_json_refusal_is_an_error_not_a_file(rsps, session, dest):
    body = b'{"error": "You are not authorized to download this file."}'
    rsps.get(URL, body=body, content_type="application/json", headers={"Content-Length": "58"})

    with pytest.raises(IPNotRegisteredError):
        download_file(session, URL, dest)

    assert not dest.exists()


def test_small_json_file_without_an_error_is_saved(rsps, session, dest):
    body = b'{"episodes": [1, 2, 3]}'
    rsps.get(
        URL, body=body, content_type="application/json", headers={"Content-Length": str(len(body))}
    )

    download_file(session, URL, dest)

    assert dest.read_bytes() == body


def test_connection_failure_is_a_connection_error(rsps, session, dest):
    rsps.get(URL + "?token=SECRET", body=requests.ConnectionError("refused token=SECRET"))

    with pytest.raises(OffcloudConnectionError) as raised:
        download_file(session, URL + "?token=SECRET", dest)

    assert "SECRET" not in raised.value.message
    assert URL in raised.value.message


def test_connection_lost_mid_body_keeps_the_part(rsps, session, dest, monkeypatch):
    rsps.get(URL, body=CONTENT)

    def broken_iter_content(self, chunk_size=1, decode_unicode=False):
        yield CONTENT[:100]
        raise requests.exceptions.ChunkedEncodingError("connection reset")

    monkeypatch.setattr(requests.Response, "iter_content", broken_iter_content)

    with pytest.raises(OffcloudConnectionError, match="ChunkedEncodingError"):
        download_file(session, URL, dest, expected_size=len(CONTENT))

    assert part_path(dest).read_bytes() == CONTENT[:100]


def test_unreadable_error_body_still_gives_the_status(rsps, session, dest, monkeypatch):
    rsps.get(URL, status=502)

    def broken_iter_content(self, chunk_size=1, decode_unicode=False):
        raise requests.exceptions.ChunkedEncodingError("connection reset")
        yield b""  # pragma: no cover - makes this a generator

    monkeypatch.setattr(requests.Response, "iter_content", broken_iter_content)

    with pytest.raises(ServerError, match="HTTP 502"):
        download_file(session, URL, dest)


CDN_URL = (
    "https://1-cdn2-ovh-fra.energycdn.com/cdn3sto/littlemouse-sto/SIGNED-TOKEN-9f8e/"
    "Some.Release/movie%20one.mkv"
)


def test_cdn_links_are_fetched_and_their_signed_part_never_logged_l11(rsps, session, dest, caplog):
    # §00 L11: the file links live on a CDN; the path carries an account-scoped token.
    caplog.set_level(logging.DEBUG, logger="offcloud_api")
    rsps.get(CDN_URL, body=CONTENT)
    assert download_file(session, CDN_URL, dest).read_bytes() == CONTENT
    assert "energycdn.com/***/movie%20one.mkv" in caplog.text
    assert "SIGNED-TOKEN" not in caplog.text
    assert "littlemouse" not in caplog.text


def test_cdn_error_carries_no_signed_part(rsps, session, dest):
    rsps.get(CDN_URL, status=410, body="gone")
    with pytest.raises(HTTPError) as caught:
        download_file(session, CDN_URL, dest)
    assert caught.value.path == "https://1-cdn2-ovh-fra.energycdn.com/***/movie%20one.mkv"
    assert "SIGNED-TOKEN" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (CDN_URL, "https://1-cdn2-ovh-fra.energycdn.com/***/movie%20one.mkv"),
        (
            "GET https://1-cdn2-ovh-bea.energycdn.com/cdn3sto/frostyicebreath-sto/t/a.rar, next",
            "GET https://1-cdn2-ovh-bea.energycdn.com/***/a.rar, next",
        ),
        ("http://127.0.0.1:8765/cdn3sto/s-sto/tok/a.mkv", "http://127.0.0.1:8765/***/a.mkv"),
        (URL, URL),  # a legacy file server link has no signed part
        ("no link here", "no link here"),
    ],
)
def test_mask_file_links(text, masked):
    assert mask_file_links(text) == masked
