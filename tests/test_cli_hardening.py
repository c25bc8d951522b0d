"""``offcloud`` hardening (issue 14): downloads that never overwrite (item 1), deep JSON from a
file server (item 3) and server text that never reaches the terminal raw (item 9).

Run in-process against ``responses``, like tests/test_cli.py.
"""

from __future__ import annotations

import json
import logging
import os
import re

import pytest
import responses
from fakes import Outcome, isolate_cli
from responses import matchers

from offcloud_api.cli import app as cli_app
from offcloud_api.cli import context as cli_context
from offcloud_api.cli import main
from offcloud_api.cli.output import ProgressBar, printable

KEY = "SECRET-KEY-123"
BASE = "https://offcloud.com/api"
AUTH = matchers.header_matcher({"Authorization": f"Bearer {KEY}"})

#: What must never reach a terminal from a server: C0 controls but the newline, DEL, C1
#: controls (``\x9b`` is a CSI on some terminals) and bidirectional overrides.
RAW_CONTROL = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)

needs_symlinks = pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks here")


@pytest.fixture(autouse=True)
def environment(monkeypatch, tmp_path):
    isolate_cli(monkeypatch, tmp_path, KEY)
    monkeypatch.setattr(cli_context, "sleep", lambda seconds: None)
    monkeypatch.setattr(cli_context, "clock", lambda: 0.0)


@pytest.fixture
def server():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def run(capsys):
    def invoke(*argv: str) -> Outcome:
        code = main(list(argv))
        captured = capsys.readouterr()
        assert KEY not in captured.out
        assert KEY not in captured.err
        return Outcome(code, captured.out, captured.err)

    return invoke


def job_payload(name="Release", status="downloaded", **extra):
    return {"requestId": "req1", "fileName": name, "status": status, **extra}


def download_responses(server, files, *, name="Release"):
    server.post(
        f"{BASE}/cloud/status",
        json={"status": job_payload(name)},
        match=[AUTH, matchers.json_params_matcher({"requestId": "req1"})],
    )
    server.get(f"{BASE}/cloud/explore/req1", json={"files": files}, match=[AUTH])


def file_requests(server):
    return [call.request for call in server.calls if "offcloud.com/api" not in call.request.url]


# --------------------------------------------------------------------------------------------
# item 1: never overwrite, a folder per job, no crash on odd paths


def test_download_never_overwrites_an_existing_file(server, run, tmp_path):
    download_responses(
        server,
        [
            {"path": "Release/a.mkv", "size": 3, "url": "https://s1/dl/a.mkv"},
            {"path": "Release/b.srt", "size": 3, "url": "https://s1/dl/b.srt"},
        ],
    )
    (tmp_path / "Release").mkdir()
    mine = tmp_path / "Release" / "b.srt"
    mine.write_bytes(b"the user's own subtitles")

    result = run("download", "req1", "--to", str(tmp_path))

    assert result.code == 1
    assert mine.read_bytes() == b"the user's own subtitles"
    assert file_requests(server) == []  # refused before the first byte
    assert not (tmp_path / "Release" / "a.mkv").exists()
    assert result.err_lines == [
        (
            f"offcloud: error: {mine} exists already (24 B, Offcloud lists 3 B); nothing was "
            "downloaded: pass --overwrite to replace it, or choose another --to"
        )
    ]


def test_download_counts_every_file_in_the_way(server, run, tmp_path):
    download_responses(
        server,
        [
            {"path": "Release/a", "size": 3, "url": "https://s1/dl/a"},
            {"path": "Release/b", "size": 3, "url": "https://s1/dl/b"},
            {"path": "Release/c", "size": 3, "url": "https://s1/dl/c"},
        ],
    )
    (tmp_path / "Release").mkdir()
    for name in ("a", "c"):
        (tmp_path / "Release" / name).write_bytes(b"mine!")

    result = run("download", "req1", "--to", str(tmp_path))

    assert result.code == 1
    assert result.err_lines == [
        (
            f"offcloud: error: {tmp_path / 'Release' / 'a'} exists already (5 B, Offcloud lists "
            "3 B); so do 1 more; nothing was downloaded: pass --overwrite to replace them, or "
            "choose another --to"
        )
    ]
    assert file_requests(server) == []


def test_download_overwrite_replaces_existing_files(server, run, tmp_path):
    download_responses(server, [{"path": "Release/a.mkv", "size": 3, "url": "https://s1/dl/a"}])
    server.get("https://s1/dl/a", body=b"new")
    (tmp_path / "Release").mkdir()
    (tmp_path / "Release" / "a.mkv").write_bytes(b"old file")

    result = run("download", "req1", "--to", str(tmp_path), "--overwrite")

    assert result.code == 0
    assert (tmp_path / "Release" / "a.mkv").read_bytes() == b"new"


def test_download_puts_a_job_into_a_folder_of_its_own(server, run, tmp_path):
    # A torrent's author chooses its paths: .bashrc at the top must not land in the user's home.
    download_responses(
        server,
        [
            {"path": ".bashrc", "size": 4, "url": "https://s1/dl/rc"},
            {"path": "notes.txt", "size": 5, "url": "https://s1/dl/notes"},
        ],
        name="Pack",
    )
    server.get("https://s1/dl/rc", body=b"evil")
    server.get("https://s1/dl/notes", body=b"notes")
    home = tmp_path / "home"
    home.mkdir()

    result = run("download", "req1", "--to", str(home))

    assert result.code == 0
    assert not (home / ".bashrc").exists()
    assert (home / "Pack" / ".bashrc").read_bytes() == b"evil"
    assert (home / "Pack" / "notes.txt").read_bytes() == b"notes"


def test_download_of_a_hidden_job_folder_never_writes_into_the_users_dot_folder(
    server, run, tmp_path
):
    download_responses(
        server,
        [{"path": ".ssh/authorized_keys", "size": 8, "url": "https://s1/dl/k"}],
        name=".ssh",
    )
    server.get("https://s1/dl/k", body=b"ssh-rsa ")
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)

    result = run("download", "req1", "--to", str(home))

    assert result.code == 0
    assert list((home / ".ssh").iterdir()) == []
    assert (home / "_ssh" / "authorized_keys").read_bytes() == b"ssh-rsa "


def test_download_of_a_single_file_goes_into_a_folder_named_after_the_job(server, run, tmp_path):
    download_responses(
        server, [{"path": "movie.mkv", "size": 3, "url": "https://s1/dl/m"}], name="movie.mkv"
    )
    server.get("https://s1/dl/m", body=b"mkv")

    result = run("download", "req1", "--to", str(tmp_path))

    assert result.code == 0
    assert (tmp_path / "movie.mkv" / "movie.mkv").read_bytes() == b"mkv"
    assert result.out == f"saved {tmp_path / 'movie.mkv' / 'movie.mkv'} (3 B)\n"


def test_download_no_job_folder_writes_the_paths_as_they_are(server, run, tmp_path):
    download_responses(server, [{"path": "a.txt", "size": 1, "url": "https://s1/dl/a"}])
    server.get("https://s1/dl/a", body=b"a")

    result = run("download", "req1", "--to", str(tmp_path), "--no-job-folder")

    assert result.code == 0
    assert (tmp_path / "a.txt").read_bytes() == b"a"


@pytest.mark.parametrize("path", [".", "./", ""])
def test_download_of_a_dot_path_with_the_default_to_uses_the_name(
    server, run, tmp_path, monkeypatch, path
):
    # Once: ValueError: PosixPath('.') has an empty name, or '<to>.part' beside the folder.
    monkeypatch.chdir(tmp_path)
    download_responses(
        server, [{"path": path, "name": "video.mkv", "size": 3, "url": "https://s1/dl/v"}]
    )
    server.get("https://s1/dl/v", body=b"vid")

    result = run("download", "req1")

    assert result.code == 0, result.err
    assert (tmp_path / "Release" / "video.mkv").read_bytes() == b"vid"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Release"]
    assert not (tmp_path.parent / f"{tmp_path.name}.part").exists()


@pytest.mark.parametrize("to", [None, "out", "out/"])
@pytest.mark.parametrize("path", [".", "./", "/"])
def test_download_of_a_path_that_names_no_file_is_refused_cleanly(
    server, run, tmp_path, monkeypatch, path, to
):
    monkeypatch.chdir(tmp_path)
    download_responses(server, [{"path": path, "size": 3, "url": "https://s1/dl/v"}])

    result = run("download", "req1", *(["--to", to] if to else []))

    assert result.code == 1
    assert len(result.err_lines) == 1
    assert result.err.startswith("offcloud: error: refusing to write the file path")
    assert file_requests(server) == []
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    assert not (tmp_path.parent / f"{tmp_path.name}.part").exists()


@pytest.mark.parametrize("path", ["Release/../../../x", "..", "C:\\x", "a\x00b"])
def test_download_refuses_escaping_paths_with_the_default_to(
    server, run, tmp_path, monkeypatch, path
):
    monkeypatch.chdir(tmp_path)
    download_responses(server, [{"path": path, "size": 1, "url": "https://s1/dl/x"}])

    result = run("download", "req1")

    assert result.code == 1
    assert result.err.startswith("offcloud: error: refusing to write the file path")
    assert list(tmp_path.iterdir()) == []


def test_download_skips_files_already_complete_and_resumes_the_rest(server, run, tmp_path):
    download_responses(
        server,
        [
            {"path": "Release/a.bin", "size": 3, "url": "https://s1/dl/a"},
            {"path": "Release/b.bin", "size": 6, "url": "https://s1/dl/b"},
        ],
    )
    server.get(
        "https://s1/dl/b",
        status=206,
        body=b"def",
        headers={"Content-Range": "bytes 3-5/6"},
        match=[matchers.header_matcher({"Range": "bytes=3-"})],
    )
    (tmp_path / "Release").mkdir()
    (tmp_path / "Release" / "a.bin").write_bytes(b"abc")
    (tmp_path / "Release" / "b.bin.part").write_bytes(b"abc")

    result = run("download", "req1", "--to", str(tmp_path), "--json")

    assert result.code == 0
    assert (tmp_path / "Release" / "b.bin").read_bytes() == b"abcdef"
    assert json.loads(result.out) == [
        {
            "path": "Release/a.bin",
            "file": str(tmp_path / "Release" / "a.bin"),
            "size": 3,
            "state": "present",
        },
        {
            "path": "Release/b.bin",
            "file": str(tmp_path / "Release" / "b.bin"),
            "size": 6,
            "state": "downloaded",
        },
    ]


def test_download_keeps_an_existing_file_of_unknown_size(server, run, tmp_path):
    # The bare URL list has no sizes: an existing file is kept (never replaced) and said so.
    download_responses(server, [{"path": "Release/a.bin", "url": "https://s1/dl/a"}])
    (tmp_path / "Release").mkdir()
    (tmp_path / "Release" / "a.bin").write_bytes(b"from an earlier run")

    result = run("download", "req1", "--to", str(tmp_path))

    assert result.code == 0
    assert (tmp_path / "Release" / "a.bin").read_bytes() == b"from an earlier run"
    assert result.out == (
        f"kept {tmp_path / 'Release' / 'a.bin'} (19 B): it exists already; "
        "--overwrite replaces it\n"
    )


@needs_symlinks
def test_download_never_replaces_a_symlink(server, run, tmp_path):
    download_responses(server, [{"path": "Release/a.bin", "size": 3, "url": "https://s1/dl/a"}])
    precious = tmp_path / "precious"
    precious.write_bytes(b"abc")
    (tmp_path / "Release").mkdir()
    (tmp_path / "Release" / "a.bin").symlink_to(precious)

    result = run("download", "req1", "--to", str(tmp_path))

    assert result.code == 1
    assert "exists already" in result.err
    assert (tmp_path / "Release" / "a.bin").is_symlink()
    assert precious.read_bytes() == b"abc"


def test_download_refuses_two_files_on_one_place(server, run, tmp_path):
    download_responses(
        server,
        [
            {"path": "Release/a.bin", "size": 1, "url": "https://s1/dl/a"},
            {"path": "Release/a.bin.part", "size": 1, "url": "https://s1/dl/b"},
        ],
    )

    result = run("download", "req1", "--to", str(tmp_path))

    assert result.code == 1
    assert "Release/a.bin" in result.err
    assert file_requests(server) == []


def test_download_help_documents_the_new_options(run):
    result = run("download", "--help")

    assert result.code == 0
    assert "--overwrite" in result.out
    assert "--no-job-folder" in result.out


# --------------------------------------------------------------------------------------------
# item 3: deep JSON in a file server's error body


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000, b'{"error": ' * 600 + b"1" + b"}" * 600],
    ids=["too-deep-to-parse", "too-deep-to-redact"],
)
def test_download_with_deep_json_in_an_error_body_is_one_error_line(server, run, tmp_path, body):
    download_responses(server, [{"path": "Release/a.bin", "size": 5, "url": "https://s1/dl/a"}])
    server.get("https://s1/dl/a", status=500, body=body, content_type="application/json")

    result = run("download", "req1", "--to", str(tmp_path))

    assert result.code == 5
    assert result.err_lines[-1] == "offcloud: error: HTTP 500 from GET https://s1/dl/a"


# --------------------------------------------------------------------------------------------
# item 9: server text reaches the terminal without control or escape sequences

EVIL_NAME = "evil\x1b[2J\x1b]0;owned\x07\x9b31m\u202egnp.exe"
SHOWN_NAME = "evil\\x1b[2J\\x1b]0;owned\\x07\\x9b31m\\u202egnp.exe"


def test_printable_escapes_controls_and_keeps_ordinary_text():
    assert printable(EVIL_NAME) == SHOWN_NAME
    assert printable("tab\there\r\nnext\x7f") == "tab\\there\\r\\nnext\\x7f"
    assert printable("Ünïcödé 日本語 🎬 a\\b") == "Ünïcödé 日本語 🎬 a\\b"
    assert printable(printable(EVIL_NAME)) == SHOWN_NAME


def test_status_shows_server_text_escaped(server, run):
    server.post(
        f"{BASE}/cloud/status",
        json={"status": job_payload(EVIL_NAME, status="error", message="bad\x1b[31m\rred")},
    )

    result = run("status", "req1")

    assert result.code == 0
    assert not RAW_CONTROL.search(result.out)
    assert f"Name:        {SHOWN_NAME}" in result.out.splitlines()
    assert "bad\\x1b[31m\\rred" in result.out


def test_json_output_escapes_controls_and_keeps_the_value(server, run):
    server.post(f"{BASE}/cloud/status", json={"status": job_payload(EVIL_NAME)})

    result = run("status", "req1", "--json")

    assert not RAW_CONTROL.search(result.out)
    assert json.loads(result.out)["file_name"] == EVIL_NAME


def test_error_text_from_offcloud_is_escaped(server, run):
    server.post(f"{BASE}/cloud", status=400, json={"error": "no\x1b]52;c;cHduZWQ=\x07 way"})

    result = run("add", "https://host.example/f")

    assert result.code == 1
    assert not RAW_CONTROL.search(result.err)
    assert "no\\x1b]52;c;cHduZWQ=\\x07 way" in result.err


def test_download_progress_and_saved_lines_are_escaped(server, run, tmp_path):
    download_responses(
        server, [{"path": f"Release/{EVIL_NAME}", "size": 3, "url": "https://s1/dl/e"}]
    )
    server.get("https://s1/dl/e", body=b"exe")

    result = run("download", "req1", "--to", str(tmp_path))

    assert result.code == 0
    assert not RAW_CONTROL.search(result.out)
    assert not RAW_CONTROL.search(result.err)
    # On disk the control characters became "_"; the bidi override is escaped where shown.
    (saved,) = (tmp_path / "Release").iterdir()
    assert saved.name == "evil_[2J_]0;owned__31m\u202egnp.exe"
    assert result.out == f"saved {tmp_path}/Release/evil_[2J_]0;owned__31m\\u202egnp.exe (3 B)\n"


def test_wait_progress_is_escaped(server, run):
    server.post(f"{BASE}/cloud/status", json={"status": job_payload(EVIL_NAME)})

    result = run("wait", "req1")

    assert result.code == 0
    assert not RAW_CONTROL.search(result.out)
    assert not RAW_CONTROL.search(result.err)


def test_progress_bar_on_a_terminal_escapes_its_label():
    class Terminal:
        def __init__(self) -> None:
            self.text = ""

        def isatty(self) -> bool:
            return True

        def write(self, text: str) -> None:
            self.text += text

        def flush(self) -> None:
            pass

    stream = Terminal()
    bar = ProgressBar(EVIL_NAME, stream, clock=lambda: 0.0)  # type: ignore[arg-type]
    bar.show(fraction=0.5)
    bar.close()

    assert stream.text.startswith("\r")
    assert not RAW_CONTROL.search(stream.text.replace("\r", "", 1))


def test_verbose_log_lines_are_escaped(server, run):
    server.post(f"{BASE}/cloud", status=400, json={"error": "no\x1b[2J way"})

    result = run("-v", "add", "https://host.example/f")

    assert result.code == 1
    assert not RAW_CONTROL.search(result.err)
    record = logging.LogRecord(
        "offcloud_api.x", logging.DEBUG, "f", 1, "got %s", (EVIL_NAME,), None
    )
    assert cli_app._RedactingFormatter([]).format(record) == f"offcloud_api.x: got {SHOWN_NAME}"


def test_download_says_which_files_it_kept_because_they_are_complete(server, run, tmp_path):
    download_responses(
        server,
        [
            {"path": "Release/a.bin", "size": 3, "url": "https://s1/dl/a"},
            {"path": "Release/b.bin", "size": 3, "url": "https://s1/dl/b"},
        ],
    )
    server.get("https://s1/dl/b", body=b"xyz")
    (tmp_path / "Release").mkdir()
    (tmp_path / "Release" / "a.bin").write_bytes(b"abc")

    result = run("download", "req1", "--to", str(tmp_path))

    assert result.code == 0
    assert result.out.splitlines() == [
        f"kept {tmp_path / 'Release' / 'a.bin'} (3 B): complete already",
        f"saved {tmp_path / 'Release' / 'b.bin'} (3 B)",
    ]
    assert (tmp_path / "Release" / "b.bin").read_bytes() == b"xyz"


def test_download_never_writes_into_a_part_file_it_did_not_make(server, run, tmp_path):
    download_responses(server, [{"path": "Release/a.bin", "size": 3, "url": "https://s1/dl/a"}])
    part = tmp_path / "Release" / "a.bin.part"
    part.mkdir(parents=True)

    result = run("download", "req1", "--to", str(tmp_path), "--overwrite")

    assert result.code == 1
    assert result.err_lines[0].startswith(
        f"offcloud: error: {part} is in the way (not a partial download); nothing was downloaded"
    )
    assert file_requests(server) == []
    assert part.is_dir()


def test_download_refuses_a_folder_where_a_file_goes(server, run, tmp_path):
    download_responses(server, [{"path": "Release/a.bin", "size": 3, "url": "https://s1/dl/a"}])
    folder = tmp_path / "Release" / "a.bin"
    folder.mkdir(parents=True)

    result = run("download", "req1", "--to", str(tmp_path))

    assert result.code == 1
    assert result.err_lines[0].startswith(
        f"offcloud: error: {folder} exists already (a folder); nothing was downloaded"
    )
    assert file_requests(server) == []
