"""The ``offcloud`` command line, run in-process against ``responses``.

Every run goes through :func:`run`, which also checks that the API key shows up in neither stdout
nor stderr, whatever happened.
"""

from __future__ import annotations

import hashlib
import io
import json
import runpy
import sys
import types
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import responses
from fakes import Outcome, isolate_cli
from responses import matchers

from offcloud_api import __version__
from offcloud_api.cli import context as cli_context
from offcloud_api.cli import main
from offcloud_api.cli.app import describe, exit_code_for
from offcloud_api.cli.output import ProgressBar, format_duration, to_json
from offcloud_api.config import config_path
from offcloud_api.exceptions import (
    AuthError,
    CloudFullError,
    CloudOnlyError,
    EndpointRemovedError,
    FeatureNotAvailableError,
    FileOfflineError,
    HTTPError,
    IPNotRegisteredError,
    NotFoundError,
    OffcloudError,
    RateLimitError,
    ServerError,
)
from offcloud_api.magnet import build_magnet
from offcloud_api.models import Job, JobStatus, Site, SiteStatus
from offcloud_api.units import format_size

KEY = "SECRET-KEY-123"
BASE = "https://offcloud.com/api"
FIXTURES = Path(__file__).parent / "fixtures"
HTML_404 = (FIXTURES / "html_404_L3.html").read_text(encoding="utf-8")
AUTH = matchers.header_matcher({"Authorization": f"Bearer {KEY}"})
HASH_A = "b6ed43c90bb5699c7a2f5e5453d681436847791a"
HASH_B = "f223ab10189810f6aa5fdecc696bf4621ba945b0"
LINK = "https://rapidgator.net/file/abc/movie.mkv.html"


@pytest.fixture(autouse=True)
def environment(monkeypatch, tmp_path):
    """A key in the environment, and no config file that could come from the real home."""
    isolate_cli(monkeypatch, tmp_path, KEY)


@pytest.fixture(autouse=True)
def cli_sleeps(monkeypatch) -> list[float]:
    """Retries and polls sleep into this list instead of waiting; the clock stands still."""
    slept: list[float] = []
    monkeypatch.setattr(cli_context, "sleep", slept.append)
    monkeypatch.setattr(cli_context, "clock", lambda: 0.0)
    return slept


@pytest.fixture
def server():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def run(capsys):
    def invoke(*argv: str, secret: str = KEY) -> Outcome:
        code = main(list(argv))
        captured = capsys.readouterr()
        assert secret not in captured.out
        assert secret not in captured.err
        return Outcome(code, captured.out, captured.err)

    return invoke


@pytest.fixture
def fixture():
    """A recorded shape from tests/fixtures (the README cites the doc row of each)."""
    return lambda name: json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def job_payload(request_id="req1", status="downloaded", **extra):
    return {"requestId": request_id, "fileName": "Release", "status": status, **extra}


# --------------------------------------------------------------------------------------------
# account


ACCOUNT = {
    "user_id": "u-42",
    "is_premium": True,
    "expiration_date": "2099-12-31",
    "can_download": True,
    "email": "me@example.com",
    "limits": {"links": "unlimited", "cloud": 1000},
}


def test_account_human(server, run):
    server.get(f"{BASE}/account/info", json=ACCOUNT, match=[AUTH])

    result = run("account")

    assert result.code == 0
    assert result.out.splitlines() == [
        "Premium:       yes",
        "Can download:  yes",
        "Expires:       2099-12-31",
        "User id:       u-42",
        "E-mail:        me@example.com",
        "Limits:        cloud 1000, links unlimited",
        "API:           2026",
        "Credential:    API key from OFFCLOUD_API_KEY",
    ]
    assert result.err == ""


def test_account_expired_is_marked(server, run):
    server.get(f"{BASE}/account/info", json={**ACCOUNT, "expiration_date": "2001-01-01"})

    assert "Expires:       2001-01-01 (expired)" in run("account").out


@pytest.mark.parametrize("argv", [["--json", "account"], ["account", "--json"]])
def test_account_json_before_or_after_the_command(server, run, argv, tmp_path):
    server.get(f"{BASE}/account/info", json=ACCOUNT, match=[AUTH])

    result = run(*argv)

    assert result.code == 0
    assert json.loads(result.out) == {
        "is_premium": True,
        "can_download": True,
        "user_id": "u-42",
        "email": "me@example.com",
        "expiration": "2099-12-31",
        "limits": {"links": None, "cloud": 1000},
        "api_generation": "2026",
        "credential": {"source": "environment", "config": str(tmp_path / "no-such-config.ini")},
    }


# --------------------------------------------------------------------------------------------
# where the key and the URL come from


def write_config(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_key_and_url_from_the_config_file(server, run, monkeypatch, tmp_path):
    config = write_config(
        tmp_path / "my.ini",
        "[offcloud]\napi_key = FILE-KEY-456\napi_url = http://127.0.0.1:9999/api\n",
    )
    monkeypatch.delenv("OFFCLOUD_API_KEY")
    monkeypatch.setenv("OFFCLOUD_CONFIG", str(config))
    server.get(
        "http://127.0.0.1:9999/api/account/info",
        json=ACCOUNT,
        match=[matchers.header_matcher({"Authorization": "Bearer FILE-KEY-456"})],
    )

    result = run("--json", "account", secret="FILE-KEY-456")

    assert result.code == 0
    assert json.loads(result.out)["user_id"] == "u-42"
    assert result.err == ""  # loopback http: no warning


def test_key_from_the_xdg_config_home(server, run, monkeypatch, tmp_path):
    write_config(tmp_path / "xdg" / "offcloud" / "config.ini", "[offcloud]\napi_key = 'XDG-KEY'\n")
    monkeypatch.delenv("OFFCLOUD_API_KEY")
    monkeypatch.delenv("OFFCLOUD_CONFIG")
    server.get(
        f"{BASE}/account/info",
        json=ACCOUNT,
        match=[matchers.header_matcher({"Authorization": "Bearer XDG-KEY"})],
    )

    assert run("account", secret="XDG-KEY").code == 0


def test_key_from_the_default_config_under_home(server, run, monkeypatch, tmp_path):
    write_config(
        tmp_path / "home" / ".config" / "offcloud" / "config.ini", "[offcloud]\napi_key=H\n"
    )
    monkeypatch.delenv("OFFCLOUD_API_KEY")
    monkeypatch.delenv("OFFCLOUD_CONFIG")
    monkeypatch.delenv("XDG_CONFIG_HOME")
    server.get(
        f"{BASE}/account/info",
        json=ACCOUNT,
        match=[matchers.header_matcher({"Authorization": "Bearer H"})],
    )

    assert run("account").code == 0


def test_environment_wins_over_the_file(server, run, monkeypatch, tmp_path):
    config = write_config(
        tmp_path / "c.ini", "[offcloud]\napi_key = FILE-KEY\napi_url = https://file.example/api\n"
    )
    monkeypatch.setenv("OFFCLOUD_CONFIG", str(config))
    monkeypatch.setenv("OFFCLOUD_API_URL", "https://env.example/api")
    server.get("https://env.example/api/account/info", json=ACCOUNT, match=[AUTH])

    assert run("account", secret="FILE-KEY").code == 0


@pytest.mark.parametrize(
    "argv",
    [
        ["--api-url", "https://flag.example/api", "account"],
        ["account", "--api-url", "https://flag.example/api"],
    ],
)
def test_api_url_flag_wins_over_the_environment(server, run, monkeypatch, argv):
    monkeypatch.setenv("OFFCLOUD_API_URL", "https://env.example/api")
    server.get("https://flag.example/api/account/info", json=ACCOUNT, match=[AUTH])

    assert run(*argv).code == 0


def test_plain_http_to_another_host_warns(server, run):
    server.get("http://offcloud.example/api/account/info", json=ACCOUNT, match=[AUTH])

    result = run("--api-url", "http://offcloud.example/api", "account")

    assert result.code == 0
    assert result.err_lines == [
        "offcloud: warning: the API key goes unencrypted over http to offcloud.example"
    ]


def test_missing_key_is_one_line_and_exit_3(server, run, monkeypatch, tmp_path):
    monkeypatch.delenv("OFFCLOUD_API_KEY")

    result = run("account")

    assert result.code == 3
    assert result.out == ""
    assert len(result.err_lines) == 1
    line = result.err_lines[0]
    assert line.startswith("offcloud: error: no API key: set OFFCLOUD_API_KEY")
    assert str(tmp_path / "no-such-config.ini") in line
    assert "[offcloud]" in line


def test_config_without_the_section_means_no_key(server, run, monkeypatch, tmp_path):
    config = write_config(tmp_path / "c.ini", "[other]\napi_key = NOT-MINE\n")
    monkeypatch.delenv("OFFCLOUD_API_KEY")
    monkeypatch.setenv("OFFCLOUD_CONFIG", str(config))

    result = run("account", secret="NOT-MINE")

    assert result.code == 3
    assert "no API key" in result.err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[offcloud]\napi_key INVALID-SECRET-LINE\n", "is not a valid INI file (line 2)"),
        ("api_key = INVALID-SECRET-LINE\n", "is not a valid INI file (line 1)"),
        (b"[offcloud]\napi_key = \xff INVALID-SECRET-LINE\n", "is not UTF-8 text"),
    ],
)
def test_broken_config_file_never_echoes_its_lines(run, monkeypatch, tmp_path, text, message):
    config = tmp_path / "broken.ini"
    if isinstance(text, bytes):
        config.write_bytes(text)
    else:
        config.write_text(text, encoding="utf-8")
    monkeypatch.setenv("OFFCLOUD_CONFIG", str(config))

    result = run("account", secret="INVALID-SECRET-LINE")

    assert result.code == 3
    assert result.err_lines == [f"offcloud: error: {config} {message}"]


def test_unreadable_config_path_is_reported(run, monkeypatch, tmp_path):
    monkeypatch.setenv("OFFCLOUD_CONFIG", str(tmp_path))  # a directory

    result = run("account")

    assert result.code == 3
    assert result.err.startswith(f"offcloud: error: cannot read {tmp_path}: ")


def test_relative_xdg_config_home_is_ignored():
    path = config_path({"XDG_CONFIG_HOME": "relative/dir"})

    assert path == Path.home() / ".config" / "offcloud" / "config.ini"


# --------------------------------------------------------------------------------------------
# sites


SITES = [
    {"name": "rapidgator.net", "status": "healthy", "maxChunks": 4},
    {"name": "Mega.nz", "status": "cloud only"},
    {"name": "1fichier.com", "status": "dead", "noInstantDownload": True, "maxChunks": 16},
]


def test_sites_human_sorted_in_columns(server, run):
    server.get(f"{BASE}/sites", json=SITES, match=[AUTH])

    result = run("sites")

    assert result.code == 0
    assert result.out.splitlines() == [
        "HOST            STATUS      INSTANT     CHUNKS",
        "1fichier.com    dead        cloud only      16",
        "Mega.nz         cloud only  cloud only       -",
        "rapidgator.net  healthy     yes              4",
    ]


def test_sites_json(server, run):
    server.get(f"{BASE}/sites", json=SITES[:1])

    result = run("sites", "--json")

    assert json.loads(result.out) == [
        {
            "name": "rapidgator.net",
            "status": "healthy",
            "display_name": None,
            "hosts": [],
            "no_instant": False,
            "max_chunks": 4,
            "max_chunks_global": None,
            "max_amount_per_user": None,
        }
    ]


# --------------------------------------------------------------------------------------------
# add


def test_add_makes_a_cloud_job_by_default(server, run):
    server.post(
        f"{BASE}/cloud",
        json=job_payload(status="created"),
        match=[AUTH, matchers.json_params_matcher({"url": LINK})],
    )

    result = run("add", LINK)

    assert result.code == 0
    assert result.out == "cloud req1: Release (created)\n"


def test_add_json(server, run):
    server.post(f"{BASE}/cloud", json=job_payload(status="created"), match=[AUTH])

    result = run("add", "--cloud", LINK, "--json")

    data = json.loads(result.out)
    assert data["request_id"] == "req1"
    assert data["status"] == "created"


def test_add_instant(server, run):
    server.post(
        f"{BASE}/instant",
        json=job_payload(status="created", url="https://s2.offcloud.com/dl/abc/movie.mkv"),
        match=[AUTH, matchers.json_params_matcher({"url": LINK})],
    )

    result = run("add", "--instant", LINK)

    assert result.code == 0
    assert result.out.splitlines() == [
        "instant req1: Release",
        "https://s2.offcloud.com/dl/abc/movie.mkv",
    ]


def test_add_instant_json(server, run):
    server.post(f"{BASE}/instant", json=job_payload(status="created", url="https://x/y"))

    assert json.loads(run("add", "--instant", "--json", LINK).out)["url"] == "https://x/y"


def test_add_instant_falls_back_to_cloud_when_the_endpoint_is_gone(server, run):
    # §00 L3/L4: no instant route on the 2026 API; Offcloud's HTML 404 page says so.
    for path in ("/instant", "/instant/download"):
        server.post(
            f"{BASE}{path}", status=404, body=HTML_404, content_type="text/html", match=[AUTH]
        )
    server.post(
        f"{BASE}/cloud",
        json=job_payload(status="created"),
        match=[AUTH, matchers.json_params_matcher({"url": LINK})],
    )

    result = run("add", "--instant", LINK)

    assert result.code == 0
    assert result.err_lines == [
        "offcloud: Offcloud no longer offers instant downloads here; adding a cloud job"
    ]
    assert result.out == "cloud req1: Release (created)\n"


def test_add_instant_falls_back_to_cloud_for_cloud_only_hosts(server, run):
    server.post(f"{BASE}/instant", json={"error": "This link is supported only via Cloud"})
    server.post(f"{BASE}/cloud", json=job_payload(status="created"))

    result = run("add", "--instant", LINK)

    assert result.code == 0
    assert "works only through cloud downloading" in result.err
    assert result.out.startswith("cloud req1")


def add_wait_responses(server):
    server.post(f"{BASE}/cloud", json=job_payload(status="created"), match=[AUTH])
    status_match = [AUTH, matchers.json_params_matcher({"requestId": "req1"})]
    server.post(
        f"{BASE}/cloud/status",
        json={"status": job_payload(status="downloading", fileSize=2048, amount=1024)},
        match=status_match,
    )
    server.post(
        f"{BASE}/cloud/status",
        json={"status": job_payload(fileSize=2048, server="s1", isDirectory=True)},
        match=status_match,
    )
    server.get(
        f"{BASE}/cloud/explore/req1",
        json={
            "files": [
                {"name": "a.mkv", "path": "Release/a.mkv", "size": 2000, "url": "https://f/a"},
                {"name": "b.nfo", "path": "Release/b.nfo", "size": 48, "url": "https://f/b"},
            ]
        },
        match=[AUTH, matchers.query_param_matcher({"format": "detailed"})],
    )


def test_add_wait_of_a_hoster_link_on_the_live_api(server, run, cli_sleeps, fixture):
    # §00 L5, L8, L10: the add and status answers carry no link; the files come from explore.
    rid = "6a1b2c3d4e5f60718293a4b5"
    server.post(
        f"{BASE}/cloud",
        json=fixture("cloud_add_live_L5"),
        match=[AUTH, matchers.json_params_matcher({"url": LINK})],
    )
    status_match = [AUTH, matchers.json_params_matcher({"requestId": rid})]
    server.post(f"{BASE}/cloud/status", json=fixture("cloud_status_running_L8"), match=status_match)
    server.post(
        f"{BASE}/cloud/status", json=fixture("cloud_status_finished_L8"), match=status_match
    )
    server.get(
        f"{BASE}/cloud/explore/{rid}",
        json=fixture("explore_bare_single_L10"),
        match=[AUTH, matchers.query_param_matcher({"format": "detailed"})],
    )

    result = run("add", LINK, "--wait")

    assert result.code == 0
    assert result.out.splitlines() == fixture("explore_bare_single_L10")
    assert "42.0%" in result.err


def test_add_of_a_cached_magnet_on_the_live_api_does_not_poll(server, run, cli_sleeps, fixture):
    # §00 L5: a cached magnet is downloaded in the add answer itself: add + explore, no status.
    magnet = f"magnet:?xt=urn:btih:{HASH_A}"
    rid = "682fec68087e0a20ce1e7f95"
    server.post(f"{BASE}/cloud", json=fixture("cloud_add_cached_magnet_L5"))
    server.get(f"{BASE}/cloud/explore/{rid}", json=fixture("explore_detailed_L10"))

    result = run("add", magnet, "--wait", "--json")

    data = json.loads(result.out)
    assert [file["size"] for file in data["files"]] == [1503238553, 10485760]
    assert len(server.calls) == 2
    assert cli_sleeps == []


def test_add_of_an_invalid_magnet_sends_nothing(server, run):
    # §00 L7: Offcloud would accept it and leave it "created" for ever.
    result = run("add", "magnet:?xt=urn:btih:zzzz")

    assert result.code == 4
    assert "40 hex or 32 base32" in result.err
    assert len(server.calls) == 0


@pytest.mark.parametrize(
    ("fixture_name", "code"),
    [("add_error_bare_string_L6", 4), ("add_error_bare_string_503_L6", 1)],
)
def test_add_refused_with_a_bare_string_l6(server, run, fixture, fixture_name, code):
    text = fixture(fixture_name)
    server.post(f"{BASE}/cloud", status=500, json=text)

    result = run("add", LINK)

    assert result.code == code
    assert result.err_lines == [f"offcloud: error: {text.strip()} (POST /cloud, HTTP 500)"]
    assert len(server.calls) == 1  # answered: not retried


def test_add_wait_polls_then_prints_the_file_urls(server, run, cli_sleeps):
    add_wait_responses(server)

    result = run("add", LINK, "--wait")

    assert result.code == 0
    assert result.out.splitlines() == ["https://f/a", "https://f/b"]
    assert cli_sleeps == [2.0]  # one pause between the two polls
    assert (
        result.err_lines[0] == "offcloud: added cloud job req1; waiting for Offcloud to download it"
    )
    assert "Release  [##########----------]   50.0%  1.0 KiB / 2.0 KiB" in result.err_lines[1]
    assert result.err_lines[1].endswith("downloading")


def test_add_wait_json(server, run):
    add_wait_responses(server)

    result = run("--json", "add", LINK, "--wait")

    data = json.loads(result.out)
    assert data["job"]["status"] == "downloaded"
    assert [file["path"] for file in data["files"]] == ["Release/a.mkv", "Release/b.nfo"]


def test_add_wait_on_an_already_downloaded_job_does_not_poll(server, run, cli_sleeps):
    server.post(f"{BASE}/cloud", json=job_payload(isDirectory=True, server="s1"))
    server.get(
        f"{BASE}/cloud/explore/req1", json={"files": [{"path": "R/a", "url": "https://f/a"}]}
    )

    result = run("add", LINK, "--wait")

    assert result.out == "https://f/a\n"
    assert cli_sleeps == []


# --------------------------------------------------------------------------------------------
# status, wait, explore


def test_status_human(server, run):
    server.post(
        f"{BASE}/cloud/status",
        json={
            "status": job_payload(
                status="downloading",
                fileSize=1503238553,
                amount=524288000,
                downloadingSpeed=10485760,
                server="de-3",
                originalLink="magnet:?xt=urn:btih:" + HASH_A,
                createdOn="2026-03-01T10:11:12Z",
                message="from 12 peers",
            )
        },
        match=[AUTH, matchers.json_params_matcher({"requestId": "req1"})],
    )

    result = run("status", "req1")

    assert result.code == 0
    assert result.out.splitlines() == [
        "Request id:  req1",
        "Name:        Release",
        "Status:      downloading (34.9%)",
        "Size:        1.4 GiB",
        "Downloaded:  500.0 MiB",
        "Speed:       10.0 MiB/s",
        "ETA:         1m33s",
        "Server:      de-3",
        "Created:     2026-03-01T10:11:12+00:00",
        f"Link:        magnet:?xt=urn:btih:{HASH_A}",
        "Message:     from 12 peers",
    ]


def test_status_of_a_downloaded_single_file_shows_its_url(server, run):
    server.post(
        f"{BASE}/cloud/status",
        json={"status": job_payload(fileName="movie.mkv", server="s1", isDirectory=False)},
    )

    lines = run("status", "req1").out.splitlines()

    assert "Status:      downloaded" in lines
    assert "URL:         https://s1.offcloud.com/cloud/download/req1/movie.mkv" in lines


def test_status_json(server, run):
    server.post(
        f"{BASE}/cloud/status",
        json={"status": job_payload(createdOn="2026-03-01T10:11:12Z", fileSize="1024")},
    )

    data = json.loads(run("status", "req1", "--json").out)

    assert data["status"] == "downloaded"
    assert data["file_size"] == 1024
    assert data["created_on"] == "2026-03-01T10:11:12+00:00"


def test_wait_human(server, run, cli_sleeps):
    server.post(f"{BASE}/cloud/status", json={"status": job_payload(status="queued")})
    server.post(f"{BASE}/cloud/status", json={"status": job_payload(fileSize=3 * 1024**3)})

    result = run("wait", "req1")

    assert result.code == 0
    assert result.out == "req1 downloaded: Release (3.0 GiB)\n"
    assert len(cli_sleeps) == 1
    # Without a terminal: the first state at once, the last one when the wait ends.
    assert result.err_lines == [
        "Release  queued",
        "Release  [####################]  100.0%  downloaded",
    ]


def test_wait_json(server, run):
    server.post(f"{BASE}/cloud/status", json={"status": job_payload()})

    assert json.loads(run("wait", "--json", "req1").out)["request_id"] == "req1"


def test_wait_timeout_gives_up_with_exit_1(server, run):
    server.post(f"{BASE}/cloud/status", json={"status": job_payload(status="downloading")})

    result = run("wait", "req1", "--timeout", "0")

    assert result.code == 1
    assert result.err_lines[-1] == "offcloud: error: Offcloud job req1 still downloading after 0 s"


def test_wait_for_a_failed_job_exits_1(server, run):
    server.post(
        f"{BASE}/cloud/status",
        json={"status": job_payload(status="error", errorMessage="dead torrent")},
    )

    result = run("wait", "req1")

    assert result.code == 1
    assert result.err_lines[-1] == "offcloud: error: Offcloud job req1 failed: dead torrent"


def test_ctrl_c_while_waiting_exits_130(server, run, monkeypatch):
    server.post(f"{BASE}/cloud/status", json={"status": job_payload(status="downloading")})

    def interrupted(seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_context, "sleep", interrupted)

    result = run("wait", "req1")

    assert result.code == 130
    assert result.err_lines[-1] == "offcloud: error: interrupted"


@pytest.mark.parametrize("value", ["-1", "soon", "nan"])
def test_wait_timeout_must_be_minutes(run, value):
    result = run("wait", "req1", "--timeout", value)

    assert result.code == 2
    assert len(result.err_lines) == 1
    assert result.err.startswith("offcloud: error: argument --timeout: ")


EXPLORED = {
    "files": [
        {"id": "1", "name": "a.mkv", "path": "Release/a.mkv", "size": 1536, "url": "https://f/a"},
        {"id": "2", "name": "b.nfo", "path": "Release/b.nfo", "size": 12, "url": "https://f/b"},
    ]
}


def test_explore_human(server, run):
    server.get(f"{BASE}/cloud/explore/req1", json=EXPLORED, match=[AUTH])

    result = run("explore", "req1")

    assert result.out.splitlines() == [
        "   SIZE  PATH           URL",
        "1.5 KiB  Release/a.mkv  https://f/a",
        "   12 B  Release/b.nfo  https://f/b",
    ]


def test_explore_json(server, run):
    server.get(f"{BASE}/cloud/explore/req1", json=EXPLORED)

    data = json.loads(run("--json", "explore", "req1").out)

    assert data[0] == {
        "name": "a.mkv",
        "url": "https://f/a",
        "path": "Release/a.mkv",
        "size": 1536,
        "id": "1",
    }


# --------------------------------------------------------------------------------------------
# cache


def cache_responses(server, *, files=True):
    magnet_b = f"magnet:?xt=urn:btih:{HASH_B}&dn=Other"
    if not files:
        # §00 L13: without files, bare hashes to /cache, answered with the hits only.
        server.post(
            f"{BASE}/cache",
            json={"cachedItems": [HASH_A]},
            match=[AUTH, matchers.json_params_matcher({"hashes": [HASH_A, HASH_B]})],
        )
        return magnet_b
    server.post(
        f"{BASE}/cache/info",
        json=[
            {"cached": True, "files": [{"filename": "a.mkv", "folder": ["Rel"]}, "Rel/b.srt"]},
            {"cached": False},
        ],
        match=[
            AUTH,
            matchers.json_params_matcher(
                {"urls": [build_magnet(HASH_A), magnet_b], "includeFiles": True}
            ),
        ],
    )
    return magnet_b


def test_cache_one_line_per_item(server, run):
    magnet_b = cache_responses(server, files=False)

    result = run("cache", HASH_A.upper(), magnet_b)

    assert result.code == 0
    assert result.out.splitlines() == [f"yes  {HASH_A}  -", f"no   {HASH_B}  -"]


def test_cache_of_many_hashes_is_one_call_per_1000(server, run):
    hashes = [f"{i:040x}" for i in range(1500)]
    for batch in (hashes[:1000], hashes[1000:]):
        server.post(
            f"{BASE}/cache",
            json={"cachedItems": batch[:1]},
            match=[matchers.json_params_matcher({"hashes": batch})],
        )

    result = run("cache", *hashes)

    assert result.code == 0
    assert [line[:3] for line in result.out.splitlines()].count("yes") == 2
    assert len(server.calls) == 2


def test_cache_files_are_listed_on_request(server, run):
    magnet_b = cache_responses(server)

    result = run("cache", "--files", HASH_A, magnet_b)

    assert result.out.splitlines() == [
        f"yes  {HASH_A}  2 files",
        "    Rel/a.mkv",
        "    Rel/b.srt",
        f"no   {HASH_B}  -",
    ]


def test_cache_json(server, run):
    magnet_b = cache_responses(server)

    data = json.loads(run("cache", "--json", "--files", HASH_A, magnet_b).out)

    assert data == [
        {
            "query": HASH_A,
            "info_hash": HASH_A,
            "cached": True,
            "files": [{"path": "Rel/a.mkv"}, {"path": "Rel/b.srt"}],
        },
        {"query": magnet_b, "info_hash": HASH_B, "cached": False, "files": []},
    ]


def test_cache_refuses_what_is_not_a_torrent(server, run):
    result = run("cache", HASH_A, "not-a-hash")

    assert result.code == 2
    assert result.err_lines == [
        "offcloud: error: not a magnet link or info-hash: 'not-a-hash' is not an info-hash"
    ]
    assert len(server.calls) == 0


def test_cache_refuses_a_magnet_without_a_valid_hash(server, run):
    result = run("cache", "magnet:?xt=urn:btih:zzzz")

    assert result.code == 2
    assert "is not a magnet link with a valid info-hash" in result.err
    assert len(server.calls) == 0


# --------------------------------------------------------------------------------------------
# history, remove, retry, proxies


HISTORY = [
    {
        "requestId": "r2",
        "fileName": "New",
        "status": "downloading",
        "createdOn": "2026-03-02T08:00:00Z",
    },
    {"requestId": "r1", "fileName": "Old", "status": "downloaded", "fileSize": 1048576},
    {"requestId": "hidden", "status": "error", "metaData": "hide"},
]


def test_history_human(server, run):
    server.get(f"{BASE}/cloud/history", json=HISTORY, match=[AUTH])

    result = run("history")

    assert result.out.splitlines() == [
        "ID  STATUS          SIZE  CREATED                    NAME",
        "r2  downloading        -  2026-03-02T08:00:00+00:00  New",
        "r1  downloaded   1.0 MiB  -                          Old",
    ]


def test_history_json(server, run):
    server.get(f"{BASE}/cloud/history", json=HISTORY)

    data = json.loads(run("history", "--json").out)

    assert [job["request_id"] for job in data] == ["r2", "r1"]
    assert data[0]["created_on"] == "2026-03-02T08:00:00+00:00"


def test_remove_human(server, run, fixture):
    # §00 L15: one GET per id.
    for rid in ("r1", "r2"):
        server.get(f"{BASE}/cloud/remove/{rid}", json=fixture("remove_L15"), match=[AUTH])

    result = run("remove", "r1", "r2")

    assert result.code == 0
    assert result.out.splitlines() == ["removed r1", "removed r2"]


def test_remove_on_a_legacy_server(server, run):
    server.get(f"{BASE}/cloud/remove/r1", status=404, body=HTML_404, content_type="text/html")
    server.get("https://offcloud.com/cloud/remove/r1", status=404, body="")
    server.post(
        f"{BASE}/cloud/remove",
        json={"success": True},
        match=[AUTH, matchers.json_params_matcher({"requests": ["r1", "r2"]})],
    )

    assert run("remove", "r1", "r2").code == 0


def test_remove_json(server, run):
    server.get(f"{BASE}/cloud/remove/r1", json={"success": True})

    assert json.loads(run("--json", "remove", "r1").out) == {"removed": ["r1"]}


def test_remove_needs_an_id(server, run):
    result = run("remove")

    assert result.code == 2
    assert result.err_lines == [
        "offcloud: error: the following arguments are required: ID (see 'offcloud remove --help')"
    ]


def test_retry_without_a_status_in_the_answer(server, run):
    server.get(f"{BASE}/cloud/retry/r1", json={"success": True}, match=[AUTH])

    result = run("retry", "r1")

    assert result.out == "asked Offcloud to retry r1\n"


def test_retry_with_a_status_in_the_answer(server, run):
    server.get(f"{BASE}/cloud/retry/r1", json=job_payload("r1", status="queued"))

    assert run("retry", "r1").out == "asked Offcloud to retry r1: now queued\n"


def test_retry_json(server, run):
    server.get(f"{BASE}/cloud/retry/r1", json={"success": True})

    assert json.loads(run("retry", "r1", "--json").out) == {"request_id": "r1", "job": None}


PROXIES = {"list": [{"id": "p1", "name": "Main (US, New York)", "region": "us"}, {"id": "p2"}]}


def test_proxies_human(server, run):
    server.post(f"{BASE}/proxy", json=PROXIES, match=[AUTH])

    result = run("proxies")

    assert result.out.splitlines() == [
        "ID  REGION  NAME",
        "p1  us      Main (US, New York)",
        "p2  -       -",
    ]


def test_proxies_json(server, run):
    server.post(f"{BASE}/proxy", json=PROXIES)

    data = json.loads(run("proxies", "--json").out)

    assert data == [
        {"id": "p1", "name": "Main (US, New York)", "region": "us"},
        {"id": "p2", "name": None, "region": None},
    ]


# --------------------------------------------------------------------------------------------
# download


FILE_A = b"A" * 3000
FILE_B = b"subtitle text\n"


def download_responses(server, files):
    server.post(
        f"{BASE}/cloud/status",
        json={"status": job_payload(isDirectory=True, server="s1")},
        match=[AUTH, matchers.json_params_matcher({"requestId": "req1"})],
    )
    server.get(f"{BASE}/cloud/explore/req1", json={"files": files}, match=[AUTH])


def test_download_keeps_paths_and_never_sends_the_key(server, run, tmp_path):
    download_responses(
        server,
        [
            {"path": "Release/a.mkv", "size": 3000, "url": "https://s1.offcloud.com/dl/a.mkv"},
            {"path": "Release/sub/b.srt", "size": 14, "url": "https://s1.offcloud.com/dl/b.srt"},
        ],
    )
    server.get("https://s1.offcloud.com/dl/a.mkv", body=FILE_A)
    server.get("https://s1.offcloud.com/dl/b.srt", body=FILE_B)
    target = tmp_path / "downloads"

    result = run("download", "req1", "--to", str(target))

    assert result.code == 0
    assert (target / "Release" / "a.mkv").read_bytes() == FILE_A
    assert (target / "Release" / "sub" / "b.srt").read_bytes() == FILE_B
    assert result.out.splitlines() == [
        f"saved {target / 'Release' / 'a.mkv'} (2.9 KiB)",
        f"saved {target / 'Release' / 'sub' / 'b.srt'} (14 B)",
    ]
    file_requests = [call.request for call in server.calls if "s1.offcloud.com" in call.request.url]
    assert len(file_requests) == 2
    assert all("Authorization" not in request.headers for request in file_requests)
    assert result.err_lines[0].startswith("Release/a.mkv  [####################]  100.0%")


def test_download_from_the_live_api_cdn_without_sizes(server, run, tmp_path, fixture):
    # §00 L8, L10, L11: status without a link, explore's bare URL array (no sizes), CDN links
    # that carry no key and no request id.
    rid = "6a1b2c3d4e5f60718293a4b5"
    server.post(f"{BASE}/cloud/status", json=fixture("cloud_status_finished_L8"))
    server.get(f"{BASE}/cloud/explore/{rid}", status=404, body=HTML_404, content_type="text/html")
    server.get(f"{BASE}/cloud/explore/{rid}", json=fixture("explore_bare_single_L10"))
    (link,) = fixture("explore_bare_single_L10")
    server.get(link, body=FILE_A)

    result = run("download", rid, "--to", str(tmp_path))

    assert result.code == 0
    # A single file goes into a folder of its own, named after the job (issue 14, item 1).
    assert (tmp_path / "archive.part1.rar" / "archive.part1.rar").read_bytes() == FILE_A
    (file_request,) = [c.request for c in server.calls if "energycdn.com" in c.request.url]
    assert "Authorization" not in file_request.headers


def test_download_resumes_a_part_file(server, run, tmp_path):
    content = bytes(range(256)) * 16
    download_responses(
        server, [{"path": "Release/a.bin", "size": len(content), "url": "https://s1/dl/a.bin"}]
    )
    server.get(
        "https://s1/dl/a.bin",
        body=content[1000:],
        status=206,
        headers={"Content-Range": f"bytes 1000-{len(content) - 1}/{len(content)}"},
        match=[matchers.header_matcher({"Range": "bytes=1000-"})],
    )
    (tmp_path / "Release").mkdir()
    (tmp_path / "Release" / "a.bin.part").write_bytes(content[:1000])

    result = run("download", "req1", "--to", str(tmp_path), "--json")

    assert result.code == 0
    final = tmp_path / "Release" / "a.bin"
    assert hashlib.sha256(final.read_bytes()).hexdigest() == hashlib.sha256(content).hexdigest()
    assert not (tmp_path / "Release" / "a.bin.part").exists()
    assert json.loads(result.out) == [
        {"path": "Release/a.bin", "file": str(final), "size": len(content), "state": "downloaded"}
    ]


def test_download_refuses_paths_that_escape_before_fetching_anything(server, run, tmp_path):
    download_responses(
        server,
        [
            {"path": "Release/ok.txt", "size": 1, "url": "https://s1/dl/ok"},
            {"path": "../../evil.sh", "size": 1, "url": "https://s1/dl/evil"},
        ],
    )
    target = tmp_path / "to"

    result = run("download", "req1", "--to", str(target))

    assert result.code == 1
    assert result.err_lines == [
        "offcloud: error: refusing to write the file path '../../evil.sh': it leaves the folder"
    ]
    assert not target.exists()
    assert not (tmp_path / "evil.sh").exists()


def test_download_of_an_unfinished_job_says_to_wait(server, run, tmp_path):
    server.post(f"{BASE}/cloud/status", json={"status": job_payload(status="downloading")})

    result = run("download", "req1", "--to", str(tmp_path))

    assert result.code == 1
    assert result.err_lines == [
        (
            "offcloud: error: job req1 is downloading, not downloaded yet; "
            "wait for it with 'offcloud wait req1'"
        )
    ]


def test_download_error_messages_never_carry_the_key(server, run, tmp_path):
    url = f"https://s1/dl/{KEY}/a.bin"
    download_responses(server, [{"path": "a.bin", "size": 5, "url": url + "?key=other"}])
    server.get(url, status=404)

    result = run("download", "req1", "--to", str(tmp_path))

    assert result.code == 4
    assert result.err_lines[-1] == "offcloud: error: HTTP 404 from GET https://s1/dl/***/a.bin"


def test_download_into_an_unwritable_place_is_one_error_line(server, run, tmp_path):
    download_responses(server, [{"path": "a.bin", "size": 5, "url": "https://s1/dl/a.bin"}])
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")

    result = run("download", "req1", "--to", str(blocker))

    assert result.code == 1
    assert len(result.err_lines) == 1
    assert result.err.startswith(f"offcloud: error: cannot write {blocker / 'Release' / 'a.bin'}: ")


# --------------------------------------------------------------------------------------------
# exit codes and error lines


@pytest.mark.parametrize(
    ("argv", "method", "path", "answer", "code", "message"),
    [
        (
            ["account"],
            "GET",
            "/account/info",
            {"status": 401, "json": {"error": "NOAUTH"}},
            3,
            "NOAUTH (GET /account/info, HTTP 401)",
        ),
        (
            ["status", "nope"],
            "POST",
            "/cloud/status",
            {"status": 404, "json": {"error": "missing"}},
            4,
            "missing (POST /cloud/status, HTTP 404)",
        ),
        (
            ["add", LINK],
            "POST",
            "/cloud",
            {"json": {"error": "Incorrect URL"}},
            4,
            "Incorrect URL (POST /cloud, HTTP 200)",
        ),
        (
            ["account"],
            "GET",
            "/account/info",
            {"status": 503, "body": "<html>down</html>"},
            5,
            "HTTP 503 with an HTML error page from GET /account/info",
        ),
        (
            ["account"],
            "GET",
            "/account/info",
            {"status": 429, "json": {}, "headers": {"Retry-After": "120"}},
            5,
            "HTTP 429 from GET /account/info; Offcloud asks to retry after 2m00s",
        ),
        (
            ["history"],
            "GET",
            "/cloud/history",
            {"status": 429, "json": {"error": "slow down"}},
            5,
            "slow down (GET /cloud/history, HTTP 429); try again later",
        ),
        (
            ["add", LINK],
            "POST",
            "/cloud",
            {"json": {"not_available": "torrent"}},
            6,
            "not available: torrent (POST /cloud, HTTP 200)",
        ),
        (
            # A full cloud (docs/api.md L23) is no missing add-on: it says how to free it, and
            # exits 6 like the other states of the account only its owner can change.
            ["add", LINK],
            "POST",
            "/cloud",
            {"status": 500, "json": {"not_available": "cloud"}},
            6,
            (
                "Offcloud cloud storage is full (POST /cloud, HTTP 500); remove finished jobs "
                "(offcloud remove ID, or https://offcloud.com/#/cloud)"
            ),
        ),
        (
            ["account"],
            "GET",
            "/account/info",
            {"status": 403, "json": {"error": "Your IP address needs to be registered"}},
            6,
            (
                "Your IP address needs to be registered (GET /account/info, HTTP 403); "
                "confirm this IP with the link Offcloud e-mailed you"
            ),
        ),
        (
            ["add", LINK],
            "POST",
            "/cloud",
            {"status": 400, "json": {"error": "something odd"}},
            1,
            "something odd (POST /cloud, HTTP 400)",
        ),
    ],
)
def test_errors_are_one_line_with_their_exit_code(
    server, run, argv, method, path, answer, code, message
):
    server.add(method, BASE + path, **answer)

    result = run(*argv)

    assert result.code == code
    assert result.out == ""
    assert result.err_lines == [f"offcloud: error: {message}"]


def test_temporary_errors_are_retried_before_exit_5(server, run, cli_sleeps):
    server.get(f"{BASE}/account/info", status=502, json={})

    result = run("account")

    assert result.code == 5
    assert len(server.calls) == 3  # the retry policy's three attempts
    assert len(cli_sleeps) == 2


def test_key_echoed_by_offcloud_is_masked(server, run):
    server.get(f"{BASE}/account/info", status=401, json={"error": f"NOAUTH: bad key {KEY}"})

    result = run("-v", "account")

    assert result.code == 3
    assert (
        result.err_lines[-1] == "offcloud: error: NOAUTH: bad key *** (GET /account/info, HTTP 401)"
    )


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (AuthError("x"), 3),
        (NotFoundError("x"), 4),
        (EndpointRemovedError("x", feature="instant"), 4),
        (FileOfflineError("x"), 4),
        (ServerError("x"), 5),
        (RateLimitError("x", retry_after=3), 5),
        (FeatureNotAvailableError("x", feature="cloud"), 6),
        (IPNotRegisteredError("x"), 6),
        (CloudFullError("Offcloud cloud storage is full"), 6),
        (CloudOnlyError("x"), 1),
        (HTTPError("x"), 1),
        (OffcloudError("x"), 1),
    ],
)
def test_exit_code_table(error, code):
    assert exit_code_for(error) == code


def test_a_full_cloud_says_how_to_free_it():
    # docs/api.md L23: a full cloud is no missing add-on; only removing jobs frees it.
    text = describe(CloudFullError("Offcloud cloud storage is full", code="cloud"))
    assert text.startswith("Offcloud cloud storage is full; remove finished jobs")
    assert "https://offcloud.com/#/cloud" in text
    assert "add-on" not in text


def test_unknown_command_is_a_usage_error(run):
    result = run("frobnicate")

    assert result.code == 2
    assert len(result.err_lines) == 1
    assert result.err.startswith("offcloud: error: argument COMMAND: invalid choice: 'frobnicate'")


def test_no_command_is_a_usage_error(run):
    result = run()

    assert result.code == 2
    assert result.err_lines == [
        "offcloud: error: the following arguments are required: COMMAND (see 'offcloud --help')"
    ]


def test_instant_and_cloud_exclude_each_other(run):
    result = run("add", "--instant", "--cloud", LINK)

    assert result.code == 2
    assert "not allowed with argument" in result.err


def test_the_key_is_not_an_option_and_is_masked_when_typed(run):
    result = run("--api-key", KEY, "account")

    assert result.code == 2
    assert result.err.startswith("offcloud: error: argument COMMAND: invalid choice: '***'")


def test_the_key_typed_as_option_value_is_masked(run):
    result = run("account", "--api-key=SOMETHING-ELSE", secret="SOMETHING-ELSE")

    assert result.code == 2
    assert "unrecognized arguments: --api-key=***" in result.err


# --------------------------------------------------------------------------------------------
# version, help, verbose logging


def test_version(run):
    result = run("--version")

    assert result.code == 0
    assert result.out == f"offcloud {__version__}\n"


def test_python_dash_m_runs_the_command_line(monkeypatch, capsys):
    """``python -m offcloud_api.cli`` is the ``offcloud`` command (its __main__ module)."""
    monkeypatch.setattr(sys, "argv", ["offcloud", "--version"])
    monkeypatch.delitem(sys.modules, "offcloud_api.cli.__main__", raising=False)

    with pytest.raises(SystemExit) as exited:
        runpy.run_module("offcloud_api.cli", run_name="__main__")

    assert exited.value.code == 0
    assert capsys.readouterr().out == f"offcloud {__version__}\n"


def test_help_explains_where_the_key_comes_from(run):
    result = run("--help")

    assert result.code == 0
    assert "OFFCLOUD_API_KEY" in result.out
    assert "deliberately no option for the key" in result.out


def test_verbose_logs_requests_to_stderr_without_the_key(server, run):
    server.get(f"{BASE}/account/info", json=ACCOUNT)

    result = run("account", "-v")

    assert result.code == 0
    assert "offcloud_api.client: GET https://offcloud.com/api/account/info -> 200" in result.err


def test_quiet_by_default(server, run):
    server.get(f"{BASE}/account/info", json=ACCOUNT)

    assert run("account").err == ""


# --------------------------------------------------------------------------------------------
# simulate


@pytest.fixture
def fake_simulator(monkeypatch):
    calls: list[dict] = []

    def serve(**kwargs):
        calls.append(kwargs)
        return 0

    module = types.ModuleType("offcloud_api.simulator")
    module.serve = serve  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "offcloud_api.simulator", module)
    return calls


def test_simulate_calls_serve_with_the_defaults(run, fake_simulator, monkeypatch):
    monkeypatch.delenv("OFFCLOUD_API_KEY")  # the simulator needs no key

    result = run("simulate")

    assert result.code == 0
    assert fake_simulator == [{"host": "127.0.0.1", "port": 8765, "scenario": None}]


def test_simulate_passes_its_options(run, fake_simulator, tmp_path):
    scenario = tmp_path / "scenario.json"

    result = run("simulate", "--port", "0", "--host", "::1", "--scenario", str(scenario))

    assert result.code == 0
    assert fake_simulator == [{"host": "::1", "port": 0, "scenario": scenario}]


def test_simulate_returns_the_exit_code_of_serve(run, monkeypatch):
    module = types.ModuleType("offcloud_api.simulator")
    module.serve = lambda **kwargs: 7  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "offcloud_api.simulator", module)

    assert run("simulate").code == 7


def test_simulate_without_the_simulator_is_a_clear_error(run, monkeypatch):
    monkeypatch.setitem(sys.modules, "offcloud_api.simulator", None)  # makes the import fail

    result = run("simulate")

    assert result.code == 1
    assert len(result.err_lines) == 1
    assert result.err.startswith("offcloud: error: the Offcloud simulator cannot be loaded: ")


def test_simulate_without_serve_is_a_clear_error(run, monkeypatch):
    monkeypatch.setitem(
        sys.modules, "offcloud_api.simulator", types.ModuleType("offcloud_api.simulator")
    )

    result = run("simulate")

    assert result.code == 1
    assert result.err_lines == [
        "offcloud: error: the Offcloud simulator module has no serve() function"
    ]


@pytest.mark.parametrize("port", ["-1", "65536", "http"])
def test_simulate_port_must_be_a_port(run, port):
    result = run("simulate", "--port", port)

    assert result.code == 2
    assert f"not a port number: '{port}'" in result.err


# --------------------------------------------------------------------------------------------
# formatting and the progress bar


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (None, "-"),
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (1536, "1.5 KiB"),
        (1503238553, "1.4 GiB"),
        (5 * 1024**5, "5.0 PiB"),
        (3 * 1024**6, "3072.0 PiB"),
    ],
)
def test_format_size(size, text):
    assert format_size(size) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "-"), (0, "0s"), (59.4, "59s"), (125, "2m05s"), (3720, "1h02m"), (273600, "3d04h")],
)
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


def test_to_json_turns_enums_and_dates_into_strings():
    job = Job(
        request_id="r",
        status=JobStatus.QUEUED,
        created_on=datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
    )
    site = Site(name="h", status=SiteStatus.CLOUD_ONLY, hosts=("a", "b"))

    assert to_json(job)["status"] == "queued"
    assert to_json(job)["created_on"] == "2026-01-02T03:04:05+00:00"
    assert to_json(site)["status"] == "cloud only"
    assert to_json(site)["hosts"] == ["a", "b"]
    assert to_json({"when": date(2026, 1, 2), "where": Path("/x")}) == {
        "when": "2026-01-02",
        "where": "/x",
    }


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_progress_on_a_terminal_redraws_one_line():
    stream, clock = FakeTerminal(), FakeClock()
    bar = ProgressBar("file.bin", stream, clock=clock)

    bar.transfer(0, 4096)
    clock.now = 1.0
    bar.transfer(2048, 4096)
    clock.now = 2.0
    bar.transfer(4096, 4096)
    bar.close()

    frames = stream.getvalue().split("\r")[1:]
    assert len(frames) == 3
    assert frames[1].rstrip() == (
        "file.bin  [##########----------]   50.0%  2.0 KiB / 4.0 KiB  2.0 KiB/s  ETA 1s"
    )
    assert frames[2].startswith("file.bin  [####################]  100.0%  4.0 KiB / 4.0 KiB")
    assert frames[2].endswith("\n")


def test_progress_on_a_terminal_pads_over_a_longer_line():
    stream = FakeTerminal()
    bar = ProgressBar("x", stream, clock=FakeClock(), redraw=0)

    bar.show(note="a much longer note")
    bar.show(note="short")

    last = stream.getvalue().split("\r")[-1]
    assert last == "x  short" + " " * (len("x  a much longer note") - len("x  short"))


def test_progress_elsewhere_prints_a_line_every_few_seconds():
    stream, clock = io.StringIO(), FakeClock()
    bar = ProgressBar("job", stream, clock=clock, every=5.0)

    for second in range(12):
        clock.now = float(second)
        bar.show(fraction=second / 12, note=f"tick {second}")
    bar.close()

    notes = [line.rsplit("  ", 1)[-1] for line in stream.getvalue().splitlines()]
    assert notes == ["tick 0", "tick 5", "tick 10", "tick 11"]


def test_progress_close_writes_nothing_when_nothing_is_pending():
    stream = io.StringIO()
    bar = ProgressBar("job", stream, clock=FakeClock())

    bar.show(note="only")
    bar.close()
    bar.close()

    assert stream.getvalue() == "job  only\n"


def test_progress_shows_offcloud_job_state():
    stream = io.StringIO()
    bar = ProgressBar("req", stream, clock=FakeClock())

    bar.job(
        Job(
            request_id="req",
            status=JobStatus.DOWNLOADING,
            file_name="Movie",
            file_size=10 * 1024**2,
            amount=4 * 1024**2,
            speed=1024**2,
        )
    )

    assert stream.getvalue() == (
        "Movie  [########------------]   40.0%  4.0 MiB / 10.0 MiB  1.0 MiB/s  ETA 6s"
        "  downloading\n"
    )


def test_usage_error_with_a_broken_config_file_is_still_one_line(run, monkeypatch, tmp_path):
    config = write_config(tmp_path / "broken.ini", "no section header\n")
    monkeypatch.setenv("OFFCLOUD_CONFIG", str(config))

    result = run("frobnicate")

    assert result.code == 2
    assert len(result.err_lines) == 1
    assert "invalid choice: 'frobnicate'" in result.err
