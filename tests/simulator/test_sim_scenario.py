"""The scenario format, the simulator's lifecycle, ``serve()`` and the TLS certificate."""

from __future__ import annotations

import io
import json
import socket
import ssl
import threading
import time
from pathlib import Path

import pytest
import requests

from offcloud_api.simulator import (
    DEMO_API_KEY,
    EXPIRED_API_KEY,
    NO_DOWNLOAD_API_KEY,
    Scenario,
    ScenarioError,
    Simulator,
    default_scenario,
    load_scenario,
    serve,
)
from offcloud_api.simulator import tls as tls_module
from offcloud_api.simulator.scenario_fields import parse_size

from .helpers import bearer

PACKAGE = Path(__file__).parents[2] / "offcloud_api" / "simulator"


def test_default_scenario_has_what_the_demo_needs():
    scenario = default_scenario()
    assert [a.key for a in scenario.accounts] == [
        DEMO_API_KEY,
        EXPIRED_API_KEY,
        NO_DOWNLOAD_API_KEY,
    ]
    assert scenario.accounts[0].is_premium
    assert scenario.accounts[1].is_expired
    assert not scenario.accounts[2].can_download
    statuses = {site.status for site in scenario.sites}
    assert {"Healthy", "Fragile", "Dead", "Cloud only", "Awaiting Demand"} <= statuses
    assert {link.kind for link in scenario.links} == {"file", "folder", "archive"}
    assert any(link.offline for link in scenario.links)
    release = scenario.torrent("Demo.Release")
    assert release.cached
    assert "Demo.Release/Sub/ep1.mkv" in [f.path for f in release.files]
    assert not scenario.torrent("Demo.Uncached").cached
    assert {job.is_directory for job in scenario.jobs if job.status == "downloaded"} == {
        True,
        False,
    }
    assert scenario.direct_files
    assert scenario.api.profile == "live"  # the 2026 API as live probes measured it
    assert scenario.api.modern
    assert not scenario.api.legacy
    assert not scenario.api.instant  # L4
    assert not scenario.api.oauth
    assert "rapidgator" in {site.name for site in scenario.sites}  # a bare name (L17)


def test_default_scenario_file_is_the_packaged_one():
    data = json.loads((PACKAGE / "default_scenario.json").read_text("utf-8"))
    assert load_scenario(data) == default_scenario()
    assert load_scenario(None) == default_scenario()
    assert (PACKAGE / "SCENARIO.md").is_file()


def test_extends_merges_by_identity(tmp_path):
    path = tmp_path / "mine.json"
    path.write_text(
        json.dumps(
            {
                "extends": "default",
                "name": "mine",
                "api": {"legacy": True},
                "links": [
                    {"url": "https://rapidgator.net/file/abc123/demo.bin", "offline": True},
                    {
                        "url": "https://rg.to/file/new/new.bin",
                        "file": {"name": "new.bin", "size": "1 KiB"},
                    },
                ],
            }
        )
    )
    scenario = load_scenario(path)
    assert scenario.name == "mine"
    assert scenario.api.modern
    assert scenario.api.legacy
    assert scenario.link("https://rapidgator.net/file/abc123/demo.bin").offline
    assert scenario.link("https://rg.to/file/new/new.bin").files[0].size == 1024
    assert len(scenario.links) == len(default_scenario().links) + 1
    assert load_scenario(str(path)) == scenario
    child = tmp_path / "child.json"
    child.write_text(json.dumps({"extends": "mine.json", "name": "child"}))
    assert load_scenario(child).api.legacy


def test_yaml_scenario(tmp_path):
    pytest.importorskip("yaml")
    path = tmp_path / "s.yaml"
    path.write_text("extends: default\nname: from-yaml\nclock:\n  speedup: 5\n")
    scenario = load_scenario(path)
    assert (scenario.name, scenario.speedup) == ("from-yaml", 5.0)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"accounts": [{"key": "short"}]}, "32 letters and digits"),
        ({"linkz": []}, "unknown key(s) linkz"),
        (
            {"links": [{"url": "https://x.test/a", "fil": {}}]},
            "scenario.links[0]: unknown key(s) fil",
        ),
        ({"links": [{"url": "https://x.test/a"}]}, "needs a file"),
        ({"sites": [{"name": "x", "status": "Sleepy"}]}, "'Sleepy'"),
        ({"links": [{"url": "https://x.test/a", "file": {"name": "a", "size": "lots"}}]}, "size"),
        ({"api": {"modern": False, "legacy": False}}, "at least one"),
        (
            {"jobs": [{"request_id": "nothex", "file": {"name": "a", "size": 1}}]},
            "24 lower-case hex",
        ),
        ({"file_url_style": "sideways"}, "file_url_style"),
        (
            {"direct_files": [{"url": "https://t.test/a.torrent", "data_base64": "!!"}]},
            "direct_files[0].data_base64: not base64",
        ),
        (
            {"direct_files": [{"url": "https://t.test/a", "data_base64": "YWJj", "size": 4}]},
            "data_base64 holds 3 bytes",
        ),
        ({"direct_files": [{"url": "https://t.test/a"}]}, "direct_files[0].size: required"),
        ({"extends": 3}, "extends"),
    ],
)
def test_bad_scenarios_say_where(document, message):
    with pytest.raises(ScenarioError) as raised:
        load_scenario(document)
    assert message in str(raised.value)


def test_missing_file_is_a_scenario_error(tmp_path):
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "nothing.json")


@pytest.mark.parametrize(
    ("text", "size"),
    [
        (5, 5),
        ("4 MiB", 4 << 20),
        ("200MB", 200_000_000),
        ("1.5 KiB", 1536),
        ("7", 7),
        ("2 gb", 2 * 10**9),
    ],
)
def test_sizes(text, size):
    assert parse_size(text) == size


def test_start_stop_and_context_manager():
    sim = Simulator(Scenario(name="empty"))
    with pytest.raises(RuntimeError):
        _ = sim.port
    assert sim.start() is sim
    assert sim.start() is sim  # idempotent
    assert sim.url == f"http://127.0.0.1:{sim.port}"
    assert sim.api_url == sim.url + "/api"
    assert sim.proxy_url == sim.url
    sim.stop()
    sim.stop()
    assert not sim.running


def test_stop_closes_kept_alive_connections_quickly():
    with requests.Session() as session:
        sim = Simulator().start()
        url = sim.api_url + "/sites"
        assert session.get(url, headers=bearer(), timeout=10).ok
        started = time.monotonic()
        sim.stop()
        assert time.monotonic() - started < 2
        with pytest.raises(requests.exceptions.ConnectionError):
            session.get(url, headers=bearer(), timeout=2)


def test_stop_interrupts_a_delayed_answer():
    sim = Simulator().start()
    sim.inject("delay", delay=30)
    errors: list[BaseException] = []

    def call() -> None:
        try:
            requests.get(sim.api_url + "/sites", headers=bearer(), timeout=10)
        except requests.RequestException as exc:
            errors.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    time.sleep(0.2)
    started = time.monotonic()
    sim.stop()
    caller.join(5)
    assert time.monotonic() - started < 2
    assert errors


def test_serve_prints_how_to_use_it_and_returns_0():
    out = io.StringIO()
    ready, stop = threading.Event(), threading.Event()
    result: list[int] = []
    runner = threading.Thread(
        target=lambda: result.append(serve(port=0, out=out, ready=ready, stop=stop))
    )
    runner.start()
    assert ready.wait(10)
    text = out.getvalue()
    stop.set()
    runner.join(10)
    assert result == [0]
    assert "listening on http://127.0.0.1:" in text
    assert DEMO_API_KEY in text
    assert "OFFCLOUD_API_URL=http://127.0.0.1:" in text
    assert "--proxy" in text


def _handshake(files: tls_module.CertificateFiles, hostname: str) -> None:
    """A real TLS handshake against the certificate, verified with its CA."""
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(files.chain_path, files.key_path)
    client_context = ssl.create_default_context(cafile=str(files.ca_path))
    server_socket, client_socket = socket.socketpair()
    failures: list[BaseException] = []

    def serve_one() -> None:
        try:
            with server_context.wrap_socket(server_socket, server_side=True):
                pass
        except (ssl.SSLError, OSError) as exc:
            failures.append(exc)

    thread = threading.Thread(target=serve_one)
    thread.start()
    try:
        with client_context.wrap_socket(client_socket, server_hostname=hostname) as tls:
            assert tls.version()
    finally:
        thread.join(5)
        server_socket.close()
        client_socket.close()


@pytest.mark.parametrize("hostname", ["offcloud.com", "de-3.offcloud.com", "example-hoster.test"])
def test_certificate_verifies_for_simulated_hosts(simulator, hostname):
    assert simulator.ca_cert_path.endswith("ca.pem")
    files = tls_module.certificate_for(["example-hoster.test"])
    _handshake(files, hostname)
    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(files, "example.com")


def test_certificate_with_the_openssl_command(monkeypatch):
    if tls_module.shutil.which("openssl") is None:
        pytest.skip("no openssl command")

    def no_cryptography(names: tuple[str, ...], files: tls_module.CertificateFiles) -> None:
        raise ImportError("pretend cryptography is missing")

    monkeypatch.setattr(tls_module, "_with_cryptography", no_cryptography)
    files = tls_module.certificate_for(["openssl-made.test"])
    _handshake(files, "openssl-made.test")
    _handshake(files, "fr-1.offcloud.com")
