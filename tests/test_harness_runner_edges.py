"""PyloadProcess on its edges, with a stand-in for ``python -m pyload`` (no real pyLoad).

The stand-in is a small script run as the interpreter: ``--dry-run`` writes a config and a
database as pyLoad does; otherwise it behaves as the test's ``FAKE_PYLOAD`` says: exit at once,
never answer, or answer the web API (and ignore SIGTERM, as a hung pyLoad would).
"""

from __future__ import annotations

import logging
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from offcloud_api.harness.runner import PyloadProcess, PyloadStartError, free_port
from offcloud_api.install.pyload_local import PyloadError
from offcloud_api.install.webapi import PyloadApiError

#: A key in pyLoad's format: pl_ + 1 + a 1-digit id + 43 characters.
API_KEY = "pl_17" + "a" * 43

FAKE = r"""
import os, signal, sys, time
from http.server import BaseHTTPRequestHandler, HTTPServer

args = sys.argv[1:]
userdir = args[args.index("--userdir") + 1]
if "--dry-run" in args:
    os.makedirs(os.path.join(userdir, "data"), exist_ok=True)
    open(os.path.join(userdir, "data", "pyload.db"), "wb").close()
    with open(os.path.join(userdir, "settings", "pyload.cfg"), "w") as cfg:
        cfg.write(
            'version: 2\n\nwebui - "Web Interface":\n\tip host : "IP address" = 0.0.0.0\n'
            '\tint port : "Port" = 8000\n\nproxy - "Proxy":\n\tbool enabled : "On" = False\n'
            '\tip host : "Host" = localhost\n\tint port : "Port" = 7070\n'
            '\tstr type : "Type" = http\n\ngeneral - "General":\n'
            '\tstr ssl_verify : "SSL" = on\n\tbool debug_mode : "Debug" = False\n'
        )
    sys.exit(0)
mode = os.environ["FAKE_PYLOAD"]
print("fake pyLoad starting in mode", mode, flush=True)
if mode == "exit":
    print("ImportError: no module named pyload", flush=True)
    sys.exit(7)
if mode == "silent":
    time.sleep(60)
    sys.exit(0)
signal.signal(signal.SIGTERM, signal.SIG_IGN)


class Answer(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        body = b'"0.5.0"' if "server_version" in self.path else b"[]"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


HTTPServer(("127.0.0.1", int(os.environ["FAKE_PYLOAD_PORT"])), Answer).serve_forever()
"""


@pytest.fixture
def make(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    python = tmp_path / "fake-python"
    python.write_text(f"#!{sys.executable}\n{FAKE}", encoding="utf-8")
    python.chmod(0o700)
    made: list[PyloadProcess] = []

    def make_process(mode: str, **options: object) -> PyloadProcess:
        port = free_port()
        monkeypatch.setenv("FAKE_PYLOAD", mode)
        monkeypatch.setenv("FAKE_PYLOAD_PORT", str(port))
        process = PyloadProcess(tmp_path / "home", python=python, web_port=port, **options)
        made.append(process)
        return process

    yield make_process
    for process in made:
        process.kill()


def test_an_interpreter_that_cannot_run_is_a_start_error(tmp_path: Path) -> None:
    process = PyloadProcess(tmp_path / "home", python=tmp_path / "no-such-python")
    with pytest.raises(PyloadStartError, match=r"cannot run .*no-such-python -m pyload"):
        process.prepare()


def test_a_failing_dry_run_shows_the_end_of_its_output(tmp_path: Path) -> None:
    python = tmp_path / "broken-python"
    python.write_text("#!/bin/sh\necho 'pyLoad: cannot create the database'\nexit 3\n")
    python.chmod(0o700)
    process = PyloadProcess(tmp_path / "home", python=python)
    with pytest.raises(PyloadStartError) as failed:
        process.prepare()
    assert "'pyload --dry-run' failed (exit code 3" in str(failed.value)
    assert "pyLoad: cannot create the database" in str(failed.value)


def test_a_pyload_that_exits_during_start_up_is_reported_with_its_output(make) -> None:
    process = make("exit")
    with pytest.raises(PyloadStartError) as failed:
        process.start(timeout=30)
    assert "pyLoad exited with code 7 during start-up" in str(failed.value)
    assert "ImportError: no module named pyload" in str(failed.value)
    assert not process.running
    assert process.returncode == 7
    with pytest.raises(PyloadError, match="no API key yet: call start"):
        process.server_version()


def test_a_pyload_that_never_answers_is_killed_after_the_timeout(make) -> None:
    process = make("silent")
    with pytest.raises(PyloadStartError, match=r"did not answer on .* within 0.5 s"):
        process.start(timeout=0.5)
    assert not process.running
    assert process.returncode is not None


def test_a_port_in_use_and_a_live_pid_file_are_refused_before_starting(make) -> None:
    process = make("serve")
    process.prepare()
    process.pidfile.write_text(f"{os.getpid()}\n")
    with pytest.raises(PyloadStartError, match=r"another pyLoad \(pid \d+, from .*\) is running"):
        process.start()
    process.pidfile.unlink()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", process.web_port))
        taken.listen()
        with pytest.raises(PyloadStartError, match=r"port \d+ on 127.0.0.1 is already in use"):
            process.start()
    assert process.starts == 0


def test_a_running_pyload_refuses_config_edits_and_a_second_start(
    make, caplog: pytest.LogCaptureFixture
) -> None:
    process = make("serve", proxy=("127.0.0.1", 3128), extra_config={("general", "debug_mode"): 1})
    process.home.mkdir(parents=True)
    process.apikey_path.write_text(API_KEY + "\n")
    assert repr(process).endswith(", stopped)")
    process.start(timeout=30)
    assert process.running
    assert (
        repr(process)
        == f"PyloadProcess({str(process.home)!r}, {process.web_url}, pid {process.pid})"
    )
    assert process.api_key == API_KEY
    assert process.server_version() == "0.5.0"
    assert process.get_config("proxy", "host") == "127.0.0.1"
    with pytest.raises(PyloadError, match="already running"):
        process.start()
    with pytest.raises(PyloadError, match="prepare\\(\\) needs pyLoad stopped"):
        process.prepare()
    with pytest.raises(PyloadError, match=r"would overwrite pyload\.cfg"):
        process.set_config("general", "debug_mode", True)
    with pytest.raises(PyloadError, match=r"would overwrite plugins\.cfg"):
        process.set_plugin_config("OffcloudCom", "enabled", True)
    assert process.package_folder("My Package/1") == process.storagedir / "My_Package_1"
    with pytest.raises(TimeoutError) as waited:
        process.wait_until(lambda _p: False, timeout=0.3, interval=0.1)
    assert "(no links in the queue)" in str(waited.value)
    assert "fake pyLoad starting in mode serve" in str(waited.value)

    with caplog.at_level(logging.WARNING, logger="offcloud_api.harness.runner"):
        process.stop(timeout=0.3)  # the stand-in ignores SIGTERM
    assert "ignored SIGTERM for 0.3 s; killing it" in caplog.text
    assert not process.running
    assert "SIGTERM timed out after 0.3 s, SIGKILL" in process.log_text()
    with pytest.raises(PyloadError, match="pyLoad is not running"):
        process.wait_until(lambda _p: True, timeout=1)


def test_an_unanswered_call_says_whether_pyload_still_runs(
    make, monkeypatch: pytest.MonkeyPatch
) -> None:
    process = make("exit")
    process.api_key = API_KEY

    def unanswered(method: str, name: str, **params: object) -> object:
        raise PyloadApiError("connection refused", method=method, name=name)

    monkeypatch.setattr(process.web, "call", unanswered)
    with pytest.raises(PyloadApiError, match="connection refused; pyLoad is not running"):
        process.server_version()
