"""Proxy mode: what pyLoad does (docs/pyload.md §4.3, §5.5), checked with requests and curl."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess

import pytest
import requests

from offcloud_api import OffcloudAPI
from offcloud_api.simulator import DEMO_API_KEY, Simulator, expected_sha256

from .helpers import CLOUD_FOLDER_JOB, DEMO_LINK, bearer, fast_retry, make_scenario


def through(sim: Simulator) -> requests.Session:
    """A session that reaches everything through ``sim``, verifying its CA."""
    session = requests.Session()
    session.trust_env = False  # else REQUESTS_CA_BUNDLE overrides session.verify
    session.proxies = {"https": sim.proxy_url, "http": sim.proxy_url}
    session.verify = sim.ca_cert_path
    return session


@pytest.fixture
def proxied(simulator):
    """Through the default (``live``) simulator."""
    with through(simulator) as session:
        yield session


@pytest.fixture
def rich_proxied(rich_simulator):
    """Through a ``rich`` simulator (``*.offcloud.com`` file links, instant)."""
    with through(rich_simulator) as session:
        yield session


def test_connect_tunnel_to_the_api(simulator, proxied):
    answer = proxied.get("https://offcloud.com/api/account/info", headers=bearer(), timeout=10)
    assert answer.status_code == 200
    assert answer.json()["is_premium"] is True
    connect, call = simulator.calls
    assert (connect.kind, connect.method, connect.path) == (
        "connect",
        "CONNECT",
        "offcloud.com:443",
    )
    assert (call.via, call.host, call.path, call.key_location) == (
        "tunnel",
        "offcloud.com",
        "/api/account/info",
        "bearer",
    )


def test_client_through_the_proxy_gets_offcloud_urls_and_downloads_them(
    rich_simulator, rich_proxied
):
    client = OffcloudAPI(DEMO_API_KEY, session=rich_proxied, retry=fast_retry())
    files = client.explore_cloud(CLOUD_FOLDER_JOB)
    assert files[0].url.startswith(
        f"https://de-3.offcloud.com/cloud/download/{CLOUD_FOLDER_JOB}/1/"
    )
    answer = rich_proxied.get(files[0].url, timeout=10)
    spec = rich_simulator.scenario.job(CLOUD_FOLDER_JOB).files[0]
    assert hashlib.sha256(answer.content).hexdigest() == expected_sha256(spec)
    downloads = [c for c in rich_simulator.calls if c.kind == "file"]
    assert [(c.host, c.via) for c in downloads] == [("de-3.offcloud.com", "tunnel")]


def test_instant_link_through_the_proxy(rich_simulator, rich_proxied):
    made = rich_proxied.post(
        "https://offcloud.com/api/instant", json={"url": DEMO_LINK}, headers=bearer(), timeout=10
    )
    url = made.json()["url"]
    assert url.startswith("https://")
    assert ".offcloud.com/dl/" in url
    ranged = rich_proxied.get(url, headers={"Range": "bytes=10-19"}, timeout=10)
    assert ranged.status_code == 206
    assert len(ranged.content) == 10


def test_plain_http_absolute_uri(simulator):
    with requests.Session() as session:
        session.proxies = {"http": simulator.proxy_url}
        answer = session.get("http://offcloud.com/api/sites", headers=bearer(), timeout=10)
    assert answer.status_code == 200
    assert simulator.calls[-1].via == "proxy"


def test_unknown_hosts_are_refused_never_forwarded(simulator, proxied):
    with pytest.raises(requests.exceptions.ProxyError):
        proxied.get("https://example.com/", timeout=10)
    refused = proxied.get("http://example.com/anything", timeout=10)
    assert refused.status_code == 403
    assert "does not serve" in refused.text
    kinds = [(c.kind, c.host, c.status) for c in simulator.calls]
    assert kinds == [("connect", "example.com", 403), ("refused", "example.com", 403)]


def test_the_simulators_own_address_is_not_a_proxy_target(simulator, proxied):
    answer = proxied.get(f"{simulator.url}/_sim/calls", timeout=10)
    assert answer.status_code == 403


def test_control_api_is_not_reachable_as_offcloud(simulator, proxied):
    assert proxied.get("https://offcloud.com/_sim/calls", timeout=10).status_code == 404


def test_direct_files_baseline_has_the_same_bytes(simulator, proxied):
    answer = proxied.get("https://example-hoster.test/direct/demo.bin", timeout=10)
    spec = simulator.scenario.link(DEMO_LINK).files[0]
    assert hashlib.sha256(answer.content).hexdigest() == expected_sha256(spec)
    assert proxied.get("http://example-hoster.test/direct/nothing", timeout=10).status_code == 404


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_without_verification_too(simulator):
    with requests.Session() as session:
        session.proxies = {"https": simulator.proxy_url}
        answer = session.get(
            "https://offcloud.com/api/sites", headers=bearer(), verify=False, timeout=10
        )
    assert answer.status_code == 200


@pytest.mark.parametrize(
    ("profile", "style", "expected"),
    [
        ("rich", "direct", r"http://127\.0\.0\.1:\d+/cloud/download/"),
        ("rich", "offcloud", r"https://de-3\.offcloud\.com/cloud/download/"),
        ("live", "direct", r"http://127\.0\.0\.1:\d+/cdn3sto/"),
        ("live", "offcloud", r"https://1-cdn2-ovh-[a-z]+\.energycdn\.com/cdn3sto/"),
    ],
)
def test_file_url_style_can_be_forced(http, profile, style, expected):
    with Simulator(make_scenario({"file_url_style": style}, profile=profile)) as sim:
        urls = http.get(
            f"{sim.api_url}/cloud/explore/{CLOUD_FOLDER_JOB}", headers=bearer(), timeout=10
        ).json()
        assert re.match(expected, urls[0]), urls[0]
        with through(sim) as session:
            proxied = session.get(
                f"https://offcloud.com/api/cloud/explore/{CLOUD_FOLDER_JOB}",
                headers=bearer(),
                timeout=10,
            )
            first = proxied.json()[0]
            assert re.match(expected if style == "offcloud" else "https://offcloud.com/", first)
            assert session.head(first, timeout=10).status_code == 200


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_through_the_proxy(simulator):
    command = [
        "curl", "--silent", "--show-error", "--max-time", "10",
        "--proxy", simulator.proxy_url, "--cacert", simulator.ca_cert_path,
        "-H", f"Authorization: Bearer {DEMO_API_KEY}",
        "https://offcloud.com/api/account/info",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=True, timeout=20)
    assert json.loads(result.stdout)["email"] == "demo@offcloud-sim.test"


def test_a_direct_file_can_serve_given_bytes():
    torrent = b"d4:infod4:name4:Demoee"
    scenario = make_scenario(
        {
            "direct_files": [
                {
                    "url": "https://tracker.example/get/Demo.torrent",
                    "data_base64": base64.b64encode(torrent).decode(),
                }
            ]
        }
    )
    with Simulator(scenario) as sim, requests.Session() as session:
        session.trust_env = False
        session.proxies = {"https": sim.proxy_url}
        session.verify = sim.ca_cert_path
        answer = session.get("https://tracker.example/get/Demo.torrent", timeout=10)
    assert answer.status_code == 200
    assert answer.content == torrent
