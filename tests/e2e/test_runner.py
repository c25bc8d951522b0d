"""PyloadProcess against a real headless pyLoad, plus its file-level helpers.

Every e2e test starts its own pyLoad in ``tmp_path``. No network is needed: downloads go to a
"proxy" on a closed local port, which fails them at once.
"""

from __future__ import annotations

import os
import signal
import socket
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Callable

import pytest

from offcloud_api.harness.runner import (
    FINAL_STATUSES,
    STATUS_NAMES,
    LinkStatus,
    PyloadProcess,
    PyloadStartError,
    _plausible_api_key,
    _secure_filename,
    free_port,
)
from offcloud_api.install.pyload_local import PyloadError, PyloadNotFoundError, find_pyload_python
from offcloud_api.install.webapi import PyloadApiError

Factory = Callable[..., PyloadProcess]


@pytest.fixture(scope="session")
def pyload_python() -> Path:
    try:
        return find_pyload_python()
    except PyloadNotFoundError as exc:
        pytest.skip(f"pyLoad is not installed: {exc}")


@pytest.fixture
def closed_port() -> int:
    """A local port nobody listens on: a proxy there fails every download at once."""
    return free_port()


@pytest.fixture
def make_pyload(tmp_path: Path, pyload_python: Path, closed_port: int) -> Iterator[Factory]:
    made: list[PyloadProcess] = []

    def make(name: str = "pl", **kwargs: object) -> PyloadProcess:
        kwargs.setdefault("python", pyload_python)
        kwargs.setdefault("proxy", ("127.0.0.1", closed_port))
        kwargs.setdefault("ssl_verify", False)
        pl = PyloadProcess(tmp_path / name, **kwargs)
        made.append(pl)
        return pl

    yield make
    for pl in made:
        pl.stop()


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


# ---- real pyLoad --------------------------------------------------------------------------


@pytest.mark.e2e
def test_start_applies_prepared_settings(make_pyload: Factory, closed_port: int) -> None:
    pl = make_pyload(extra_config={("download", "max_downloads"): 2})
    pl.start()

    assert pl.running
    assert pl.server_version()
    assert int(pl.pidfile.read_text()) == pl.pid
    assert pl.web_url == f"http://127.0.0.1:{pl.web_port}"
    # The settings as the running pyLoad reports them ...
    assert pl.get_config_value("webui", "host") == "127.0.0.1"
    assert pl.get_config_value("webui", "port") == pl.web_port
    assert pl.get_config_value("proxy", "enabled") is True
    assert pl.get_config_value("proxy", "host") == "127.0.0.1"
    assert pl.get_config_value("proxy", "port") == closed_port
    assert pl.get_config_value("proxy", "type") == "http"
    assert pl.get_config_value("general", "ssl_verify") == "off"
    assert pl.get_config_value("download", "max_downloads") == 2
    # ... and as written in the file; the storage dir stayed outside the userdir.
    assert pl.get_config("webui", "port") == str(pl.web_port)
    assert pl.get_config("proxy", "port") == str(closed_port)
    assert Path(pl.get_config_value("general", "storage_folder")) == pl.storagedir.resolve()
    assert pl.status_server()["proxy"] is True

    # Runtime changes go through the API, core and plugin sections alike.
    pl.set_config_value("download", "max_downloads", 4)
    assert pl.get_config_value("download", "max_downloads") == 4
    pl.set_config_value("UserAgentSwitcher", "enabled", False, plugin=True)
    assert pl.get_config_value("UserAgentSwitcher", "enabled", plugin=True) is False
    with pytest.raises(PyloadError, match=r"pyload\.cfg"):
        pl.set_config("download", "max_downloads", 1)
    with pytest.raises(PyloadApiError) as excinfo:
        pl.set_config_value("proxy", "no_such_option", 1)
    assert excinfo.value.status == 500


@pytest.mark.e2e
def test_api_key_is_kept_across_restarts(make_pyload: Factory) -> None:
    pl = make_pyload()
    pl.start()
    key = pl.api_key
    assert key is not None
    assert key.startswith("pl_")
    assert pl.apikey_path.read_text().strip() == key
    assert stat.S_IMODE(pl.apikey_path.stat().st_mode) == 0o600
    first_pid = pl.pid

    pl.restart()
    assert pl.pid != first_pid
    assert pl.api_key == key
    assert pl.server_version()

    # A new controller on the same home reuses the stored key (and takes its own port).
    pl.stop()
    again = make_pyload()
    again.start()
    assert again.api_key == key
    assert again.get_config_value("webui", "port") == again.web_port

    # Wrong verbs, unknown calls and bad keys come back as PyloadApiError with the status.
    with pytest.raises(PyloadApiError) as excinfo:
        again.api("POST", "get_server_version")
    assert excinfo.value.status == 405
    with pytest.raises(PyloadApiError) as excinfo:
        again.api("GET", "no_such_call")
    assert excinfo.value.status == 404
    again.api_key = "pl_19" + "x" * 43  # well-formed, unknown key id 9
    with pytest.raises(PyloadApiError) as excinfo:
        again.server_version()
    assert excinfo.value.status == 401

    # A refused stored key is replaced by a fresh one at the next start.
    again.stop()
    again.apikey_path.write_text("pl_19" + "y" * 43 + "\n")
    again.api_key = None
    again.start()
    assert again.api_key not in (None, key)
    assert again.server_version()


@pytest.mark.e2e
def test_unreachable_link_ends_failed(make_pyload: Factory, closed_port: int) -> None:
    pl = make_pyload()
    pl.start()
    url = "http://unreachable.example.invalid/file.bin"
    assert pl.check_urls([url]) == {"DefaultPlugin": [url]}
    pid = pl.add_package("Broken package", [url])
    assert isinstance(pid, int)

    files = pl.wait_for_files_done(30, expect_count=1)

    (link,) = files
    assert link["status"] == LinkStatus.FAILED
    assert link["status_name"] == "failed"
    assert link["url"] == url
    assert link["plugin"] == "DefaultPlugin"
    assert link["package_id"] == pid
    assert link["package_name"] == "Broken package"
    assert f"127.0.0.1:{closed_port}" in link["error"]
    assert pl.status_downloads() == []
    assert pl.package_folder("Broken package") == pl.storagedir / "Broken_package"

    # An uploaded container is unpacked by pyLoad's TORRENT container into a package named
    # after the torrent; with no torrent plugin installed, its link then fails.
    pl.upload_container("Some Name's.torrent", b"d4:infod4:name12:Some.Torrentee")
    files = pl.wait_for_files_done(30, expect_count=2)
    torrent = files[1]
    assert torrent["package_name"] == "Some.Torrent"
    assert torrent["plugin"] == "TORRENT"
    assert torrent["url"].startswith("file://")
    assert torrent["status"] == LinkStatus.FAILED
    assert torrent["error"] == "No plugin is associated with torrents / magnets"

    # A timeout explains itself: the links' states and the end of pyload.out.
    start = time.monotonic()
    with pytest.raises(TimeoutError) as excinfo:
        pl.wait_until(lambda p: False, timeout=1.2, interval=0.5)
    assert time.monotonic() - start < 5
    message = str(excinfo.value)
    assert "failed(8)" in message
    assert "Broken package" in message
    assert "pyload.out" in message
    with pytest.raises(TimeoutError, match="still maps to 'DefaultPlugin'"):
        pl.wait_for_plugin(url, "OffcloudCom", timeout=1)


@pytest.mark.e2e
def test_kill_and_start_keeps_the_package(make_pyload: Factory) -> None:
    pl = make_pyload()
    pl.start()
    pl.pause()
    pl.add_package("persisted", ["http://a.example.invalid/1", "http://b.example.invalid/2"])
    assert [f["status"] for f in pl.files()] == [LinkStatus.QUEUED, LinkStatus.QUEUED]
    pid = pl.pid
    assert pid is not None

    pl.kill()
    assert not pl.running
    assert pl.returncode == -9  # SIGKILL
    assert _gone(pid)
    assert not pl.pidfile.exists()

    pl.start()
    files = pl.files()
    assert [f["package_name"] for f in files] == ["persisted", "persisted"]
    # pyLoad marks every unfinished link aborted when it starts, queued ones included.
    assert [f["status"] for f in files] == [LinkStatus.ABORTED, LinkStatus.ABORTED]
    assert b"persisted" in pl.database_bytes()
    assert "Added package persisted containing 2 links" in pl.log_text()

    pl.restart_file(files[0]["fid"])
    assert pl.file_data(files[0]["fid"])["status"] in (
        LinkStatus.QUEUED,
        LinkStatus.STARTING,
        LinkStatus.DOWNLOADING,
        LinkStatus.FAILED,
    )
    done = pl.wait_for_files_done(30)
    assert [f["status"] for f in done] == [LinkStatus.FAILED, LinkStatus.ABORTED]

    # A crash from outside: the waits notice at once, and the stale pid file does not block.
    crashed = pl.pid
    assert crashed is not None
    os.kill(crashed, signal.SIGKILL)
    with pytest.raises(PyloadError, match=r"not running \(exit code -9\)"):
        pl.wait_until(lambda p: False, timeout=10)
    assert int(pl.pidfile.read_text()) == crashed
    pl.start()
    assert len(pl.files()) == 2


@pytest.mark.e2e
def test_stop_leaves_no_process(make_pyload: Factory) -> None:
    with make_pyload() as pl:
        pl.start()
        pid = pl.pid
        port = pl.web_port
        assert pid is not None
    assert not pl.running
    assert _gone(pid)
    if sys.platform != "win32":
        with pytest.raises(ProcessLookupError):
            os.killpg(pid, 0)  # is anyone left in its process group?
    assert not pl.pidfile.exists()  # removed by pyLoad on a clean exit
    with socket.socket() as sock:  # the web port is free again
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
    assert "Received Terminate signal" in pl.log_text()
    pl.stop()  # stopping twice is harmless
    assert pl.returncode == 0
    unanswered = r"cannot reach pyLoad.*not running \(exit code 0\)"
    with pytest.raises(PyloadApiError, match=unanswered) as excinfo:
        pl.server_version()
    assert excinfo.value.status == 0


@pytest.mark.e2e
def test_start_failures_are_explained(make_pyload: Factory, tmp_path: Path) -> None:
    missing = make_pyload("missing", python=tmp_path / "no-such-python")
    with pytest.raises(PyloadStartError, match="cannot run"):
        missing.start()

    fake = tmp_path / "fake-python"
    fake.write_text("#!/bin/sh\necho 'No module named pyload' >&2\nexit 1\n")
    fake.chmod(0o755)
    without = make_pyload("without", python=fake)
    with pytest.raises(PyloadStartError, match=r"(?s)dry-run.*No module named pyload"):
        without.start()

    pl = make_pyload()
    pl.prepare()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", pl.web_port))
        sock.listen()
        with pytest.raises(PyloadStartError, match="already in use"):
            pl.start()
    assert not pl.running


# ---- no pyLoad process needed ---------------------------------------------------------------


def test_status_tables_agree() -> None:
    assert {s.value: s.name for s in LinkStatus}.keys() == STATUS_NAMES.keys()
    assert {0, 1, 4, 6, 8, 9} == FINAL_STATUSES
    assert STATUS_NAMES[LinkStatus.TEMPOFFLINE] == "temp. offline"


def test_secure_filename_matches_pyload_folders() -> None:
    assert _secure_filename("Broken package") == "Broken_package"
    assert _secure_filename("../../etc/passwd") == "etc_passwd"
    assert _secure_filename("Ünïcode name.txt") == "Unicode_name.txt"


def test_plausible_api_key() -> None:
    good = "pl_1" + "7" + "a" * 43
    assert _plausible_api_key(good)
    assert _plausible_api_key("pl_2" + "12" + "-_" * 21 + "z")
    for bad in ["", "pl_", "pl_1x" + "a" * 43, good + "a", "xx_17" + "a" * 43, "pl_0" + "a" * 47]:
        assert not _plausible_api_key(bad)


def test_wait_for_api_budget_sleeps_only_when_the_calls_would_not_fit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No pyLoad is started: any Python will do (without one, looking for pyLoad's would fail).
    process = PyloadProcess(tmp_path / "pl", python=Path(sys.executable))
    process.budget.per_minute = 10
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    now = time.monotonic()
    process.budget.calls.extend([now - 70, now - 30, now - 20, *[now - 1] * 6])
    process.wait_for_api_budget(2)  # 8 calls in the last minute (one expired) + 2 fit
    assert slept == []
    assert len(process.budget.calls) == 8
    process.wait_for_api_budget(4)  # 8 + 4 = 12: wait until the two oldest leave the window
    assert len(slept) == 1
    assert 39 < slept[0] <= 40
