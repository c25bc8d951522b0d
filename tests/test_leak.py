"""The API key must never leave the library except in the Authorization header.

A whole flow, its error paths included, runs with DEBUG logging on for this library and for
urllib3; then the key is searched in every log record, every raised exception (its chain too) and
every URL and body that was sent (docs/api.md §1.2, §7.4). The last assertion checks
that the key *was* sent as a Bearer token, so a test that never sent it cannot pass.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import requests
import responses

from offcloud_api import JobStatus
from offcloud_api.exceptions import (
    AuthError,
    FeatureNotAvailableError,
    FileOfflineError,
    HTTPError,
    OffcloudConnectionError,
    OffcloudError,
    RefusedError,
    ServerError,
)

KEY = "SECRET-KEY-123"
BASE = "https://offcloud.com/api"
RID = "682fec68087e0a20ce1e7f95"
MAGNET = "magnet:?xt=urn:btih:b6ed43c90bb5699c7a2f5e5453d681436847791a"
HTML = "<html><body><h1>500 Internal Server Error</h1></body></html>"


def chain(error: BaseException) -> Iterator[BaseException]:
    """The exception and everything it was raised from or during."""
    seen: set[int] = set()
    todo: list[BaseException] = [error]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)


def test_key_never_leaks(ordered, api, payload, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")
    caplog.set_level(logging.DEBUG, logger="offcloud_api")

    # --- the happy flow -----------------------------------------------------------------------
    ordered.get(f"{BASE}/account/info", json=payload("account_info_2026"))
    ordered.get(f"{BASE}/sites", status=503, body=HTML)
    ordered.get(f"{BASE}/sites", json=payload("sites_legacy"))
    ordered.post(f"{BASE}/cache", json={"cachedItems": [MAGNET.rpartition(":")[2]]})
    ordered.post(f"{BASE}/cloud", status=429, headers={"Retry-After": "1"})
    ordered.post(f"{BASE}/cloud", json=payload("cloud_add_legacy"))
    ordered.post(f"{BASE}/cloud/status", json=payload("cloud_status_downloading"))
    ordered.post(
        f"{BASE}/cloud/status", json={"status": {"requestId": RID, "status": "downloaded"}}
    )
    # 2026 file URLs may carry the key (doc §7.4): returned to the caller, never logged.
    ordered.get(
        f"{BASE}/cloud/explore/{RID}",
        json={"files": [{"name": "a.mkv", "path": "R/a.mkv", "url": f"https://f/a.mkv?key={KEY}"}]},
    )
    ordered.get(f"{BASE}/cloud/history", json=payload("history_legacy"))
    # §00 L15: removal is a GET; its URL carries the id, never the key.
    ordered.get(f"{BASE}/cloud/remove/{RID}", json=payload("remove_L15"))

    assert api.get_account_stats().is_premium
    assert len(api.get_supported_sites()) == 7
    assert api.cache_info([MAGNET])[0].cached
    job = api.cloud(MAGNET)
    assert api.wait_for_download(job.request_id).status is JobStatus.DOWNLOADED
    (file,) = api.explore_cloud(RID)
    assert KEY in file.url  # the data reaches the caller unchanged
    assert len(api.get_history()) == 1
    api.remove(RID)

    # --- error paths ----------------------------------------------------------------------------
    ordered.get(f"{BASE}/account/info", status=401, json={"error": "NOAUTH"})
    for _ in range(3):
        ordered.get(f"{BASE}/sites", status=500, body=HTML)
    ordered.post(f"{BASE}/cloud", json={"error": f"bad key {KEY}"})
    ordered.post(f"{BASE}/cloud", json={"error": {"detail": f"bad key {KEY}", "list": [KEY]}})
    ordered.post(
        f"{BASE}/cloud",
        status=400,
        json={"error": "invalid_request", "error_description": f"key {KEY} unknown"},
    )
    ordered.post(f"{BASE}/cloud", json={"not_available": f"premium for {KEY}"})
    # §00 L6: a bare JSON string refusal that echoes the key, and one for a dead link.
    ordered.post(f"{BASE}/cloud", status=500, json=f"Error parsing url {KEY} - HTTP code: 503 ")
    ordered.post(f"{BASE}/cloud", status=500, json=f"Error parsing url {KEY} - HTTP code: 404 ")
    for _ in range(3):
        ordered.get(
            f"{BASE}/sites",
            body=requests.exceptions.ConnectionError(
                "HTTPSConnectionPool(host='offcloud.com', port=443): Max retries exceeded "
                "with url: "
                "/api/sites (Caused by NewConnectionError('Connection refused'))"
            ),
        )

    raised: list[BaseException] = []
    for call, expected in (
        (api.get_account_stats, AuthError),
        (api.get_supported_sites, ServerError),
        (lambda: api.cloud(MAGNET), HTTPError),
        (lambda: api.cloud(MAGNET), HTTPError),
        (lambda: api.cloud(MAGNET), HTTPError),
        (lambda: api.cloud(MAGNET), FeatureNotAvailableError),
        (lambda: api.cloud(MAGNET), RefusedError),
        (lambda: api.cloud(MAGNET), FileOfflineError),
        (api.get_supported_sites, OffcloudConnectionError),
    ):
        with pytest.raises(OffcloudError) as caught:
            call()
        assert type(caught.value) is expected
        raised.append(caught.value)
    assert "bad key ***" in str(raised[2])  # Offcloud's text kept, the key masked

    # --- where the key must not be --------------------------------------------------------------
    assert caplog.records, "DEBUG logging produced no records: the log check would be empty"
    for record in caplog.records:
        assert KEY not in record.getMessage(), record.getMessage()
        assert KEY not in repr(record.args)
        assert KEY not in str(record.msg)
    for error in raised:
        for link in chain(error):
            assert KEY not in str(link), repr(link)
            assert KEY not in repr(link)
            assert KEY not in repr(getattr(link, "args", ()))
            assert KEY not in str(getattr(link, "code", "") or "")
    for sent in ordered.calls:
        assert KEY not in sent.request.url
        assert KEY not in str(sent.request.body or "")

    # --- and where it must be -------------------------------------------------------------------
    assert len(ordered.calls) == 24
    assert all(sent.request.headers["Authorization"] == f"Bearer {KEY}" for sent in ordered.calls)
    # ... and every one of those calls, whatever the endpoint, carried the default timeout.
    assert {sent.request.req_kwargs["timeout"] for sent in ordered.calls} == {(10.0, 30.0)}


def test_a_job_message_that_echoes_the_key_is_masked(api, mocked) -> None:
    mocked.add(
        responses.POST,
        "https://offcloud.com/api/cloud/status",
        json={
            "status": {
                "requestId": "r1",
                "status": "error",
                "errorMessage": "key SECRET-KEY-123 refused",
                "message": "SECRET-KEY-123",
            }
        },
    )
    job = api.cloud_status("r1")
    assert job.error_message == "key *** refused"
    assert job.message == "***"


# --------------------------------------------------------------------------------------------
# the device login's token and device code (issue 15)

SITE = "https://offcloud.com"
DEVICE_CODE = "DEVICE-CODE-SECRET-77"
ACCESS_TOKEN = "ocat.ACCESS-TOKEN-SECRET-99"
DEVICE_ANSWER = {
    "device_code": DEVICE_CODE,
    "user_code": "WXYZ-1234",
    "verification_uri": "https://offcloud.com/activate",
    "verification_uri_complete": "https://offcloud.com/activate?code=WXYZ-1234",
    "interval": 5,
    "expires_in": 600,
}


def test_device_login_token_and_code_never_leak(ordered, caplog):
    from offcloud_api import OffcloudAPI, RetryPolicy  # noqa: PLC0415
    from offcloud_api.exceptions import DeviceLoginDeniedError  # noqa: PLC0415
    from offcloud_api.oauth import DeviceLogin  # noqa: PLC0415

    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")
    caplog.set_level(logging.DEBUG, logger="offcloud_api")
    echo = f"unknown device_code {DEVICE_CODE}"
    ordered.post(f"{SITE}/oauth/device/code", json=DEVICE_ANSWER)
    # The first login: a server that echoes the device code in every error, then the token.
    ordered.post(f"{SITE}/oauth/token", status=400, json={"error": "authorization_pending"})
    ordered.post(f"{SITE}/oauth/token", status=500, json={"error": echo})
    ordered.post(f"{SITE}/oauth/token", status=400, json={"error": "slow_down", "x": echo})
    ordered.post(f"{SITE}/oauth/token", json={"access_token": ACCESS_TOKEN, "token_type": "Bearer"})
    # The second: refused, with the echo in the description.
    ordered.post(f"{SITE}/oauth/device/code", json=DEVICE_ANSWER)
    ordered.post(
        f"{SITE}/oauth/token",
        status=400,
        json={"error": "access_denied", "error_description": echo},
    )
    ordered.get(f"{BASE}/account/info", json={"user_id": "u", "is_premium": True})

    slept: list[float] = []
    with OffcloudAPI(retry=RetryPolicy(sleep=slept.append, jitter=lambda c: c)) as client:
        clock = iter(float(n) for n in range(10_000))
        login = DeviceLogin.start(client, clock=lambda: next(clock))
        token = login.wait()
        assert token == ACCESS_TOKEN
        for shown in (repr(login), repr(login.code), str(login.code)):
            assert DEVICE_CODE not in shown

        second = DeviceLogin.start(client, clock=lambda: next(clock))
        with pytest.raises(DeviceLoginDeniedError) as caught:
            second.wait()
        client.api_key = token
        assert client.get_account_stats().is_premium

    for record in caplog.records:
        for secret in (ACCESS_TOKEN, DEVICE_CODE):
            assert secret not in record.getMessage(), record.getMessage()
            assert secret not in repr(record.args)
    for link in chain(caught.value):
        for secret in (ACCESS_TOKEN, DEVICE_CODE):
            assert secret not in str(link)
            assert secret not in repr(link)
            assert secret not in str(getattr(link, "code", "") or "")
    for sent in ordered.calls:
        assert ACCESS_TOKEN not in sent.request.url
        assert DEVICE_CODE not in sent.request.url
        assert ACCESS_TOKEN not in str(sent.request.body or "")
    # The device code travels in the token request's JSON body, and only there.
    token_calls = [c for c in ordered.calls if c.request.url.endswith("/oauth/token")]
    assert all(DEVICE_CODE in str(c.request.body) for c in token_calls)
    assert all("Authorization" not in c.request.headers for c in token_calls)
    # The token, once in use, only as the Bearer credential.
    assert ordered.calls[-1].request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"


def test_cli_login_token_is_in_no_output_log_url_or_process(tmp_path, monkeypatch, capsys, caplog):
    import subprocess  # noqa: PLC0415

    from offcloud_api.cli import context as cli_context  # noqa: PLC0415
    from offcloud_api.cli import main  # noqa: PLC0415
    from offcloud_api.config import load_settings  # noqa: PLC0415
    from offcloud_api.simulator import Simulator, load_scenario  # noqa: PLC0415

    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")
    started: list[object] = []

    class NoProcess:
        def __init__(self, *args: object, **kwargs: object) -> None:
            started.append(args)
            raise AssertionError(f"a process was started: {args!r}")

    monkeypatch.setattr(subprocess, "Popen", NoProcess)
    config = tmp_path / "offcloud" / "config.ini"
    userdir = tmp_path / "pyload"
    (userdir / "plugins" / "accounts").mkdir(parents=True)
    (userdir / "plugins" / "accounts" / "OffcloudCom.py").write_text("#\n", encoding="utf-8")
    monkeypatch.delenv("OFFCLOUD_API_KEY", raising=False)
    monkeypatch.setenv("OFFCLOUD_CONFIG", str(config))
    scenario = load_scenario(
        {"extends": "default", "api": {"oauth": True}, "oauth": {"pending_polls": 1}}
    )
    with Simulator(scenario) as sim:
        monkeypatch.setenv("OFFCLOUD_API_URL", sim.api_url)
        now = [0.0]

        def sleep(seconds: float) -> None:
            now[0] += seconds
            sim.advance(seconds)

        monkeypatch.setattr(cli_context, "sleep", sleep)
        monkeypatch.setattr(cli_context, "clock", lambda: now[0])
        assert main(["-v", "login"]) == 0
        assert main(["-v", "account"]) == 0
        assert main(["-v", "pyload", "login", "--userdir", str(userdir)]) == 0
        secrets = [*sim.state.access_tokens, *sim.state.devices]
        calls = sim.calls
    assert len(secrets) == 4  # two tokens, two device codes
    out = capsys.readouterr()
    assert "offcloud_api" in out.err  # -v logged the requests
    for secret in secrets:
        assert secret not in out.out
        assert secret not in out.err
        for record in caplog.records:
            assert secret not in record.getMessage()
        for call in calls:
            assert secret not in call.path
            assert secret not in call.body_summary
        assert secret not in repr(load_settings())
    assert started == []
    # Where the tokens are: the config file and pyLoad's accounts file, both 0600.
    first, second = (s for s in secrets if s.startswith("ocat."))
    assert first in config.read_text(encoding="utf-8")
    assert second in (userdir / "settings" / "accounts.cfg").read_text(encoding="utf-8")
    for path in (config, userdir / "settings" / "accounts.cfg"):
        assert path.stat().st_mode & 0o077 == 0
    assert [c.key_location for c in calls if c.path == "/api/account/info"] == ["bearer"] * 3
