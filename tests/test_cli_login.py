"""``offcloud login``, ``logout``, ``account`` and ``pyload login``, in-process, against the
simulator over real HTTP (its device flow: docs/api.md §1.4, SCENARIO.md ``oauth``).

The command line's sleep and clock are swapped for a fake pair that also moves the simulator's
clock, so a ten-minute code, its polls, a ``slow_down`` and an expiry all run in milliseconds and
every pause can be checked. Every run checks that no token the simulator issued, and no device
code, appears on stdout or stderr.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import socket
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, Callable, Optional

import pytest
import requests
from fakes import local_http_server

from offcloud_api.cli import context as cli_context
from offcloud_api.cli import login as login_commands
from offcloud_api.cli import main
from offcloud_api.cli.context import Context
from offcloud_api.install import installer
from offcloud_api.install.login import AccountsFile, PyloadLoginError
from offcloud_api.models import AccountInfo
from offcloud_api.oauth import PollOutcome
from offcloud_api.simulator import DEMO_API_KEY, Simulator, load_scenario

EMAIL = "demo@offcloud-sim.test"
PYLOAD_KEY = "pl_1TestKeyOfAPyload"


@dataclass
class Outcome:
    code: int
    out: str
    err: str


@dataclass
class FakeTime:
    """The command line's clock and sleep; a sleep also moves the simulator's clock."""

    sim: Optional[Simulator] = None
    now: float = 0.0
    slept: list[float] = field(default_factory=list)
    #: Called after each sleep with the number of sleeps so far (the user acting meanwhile).
    on_sleep: Optional[Callable[[int], None]] = None

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds
        if self.sim is not None:
            self.sim.advance(seconds)
        if self.on_sleep is not None:
            self.on_sleep(len(self.slept))

    def clock(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def environment(monkeypatch, tmp_path) -> Path:
    """No key anywhere, a config file of this test's own, no pyLoad key."""
    for name in ("OFFCLOUD_API_KEY", "OFFCLOUD_API_URL", "PYLOAD_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "cfg" / "config.ini"
    monkeypatch.setenv("OFFCLOUD_CONFIG", str(config))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return config


@pytest.fixture
def fake_time(monkeypatch) -> FakeTime:
    time = FakeTime()
    monkeypatch.setattr(cli_context, "sleep", time.sleep)
    monkeypatch.setattr(cli_context, "clock", time.clock)
    return time


@pytest.fixture
def simulator(monkeypatch, fake_time) -> Iterator[Callable[..., Simulator]]:
    """Start a simulator (profile live, device flow on) with these ``oauth`` options."""
    started: list[Simulator] = []

    def start(*, oauth_on: bool = True, **oauth: Any) -> Simulator:
        options = {"approve_after": 0, "interval": 5, **oauth}
        scenario = {"extends": "default", "api": {"oauth": oauth_on}, "oauth": options}
        sim = Simulator(load_scenario(scenario)).start()
        started.append(sim)
        fake_time.sim = sim
        monkeypatch.setenv("OFFCLOUD_API_URL", sim.api_url)
        return sim

    yield start
    for sim in started:
        sim.stop()


@pytest.fixture
def run(capsys, fake_time) -> Callable[..., Outcome]:
    def invoke(*argv: str) -> Outcome:
        code = main(list(argv))
        captured = capsys.readouterr()
        sim = fake_time.sim
        if sim is not None:
            for secret in [*sim.state.access_tokens, *sim.state.devices]:
                assert secret not in captured.out
                assert secret not in captured.err
        return Outcome(code, captured.out, captured.err)

    return invoke


def control(sim: Simulator, **body: Any) -> None:
    answer = requests.post(f"{sim.url}/_sim/oauth", json=body, timeout=10)
    assert answer.status_code == 200, answer.text


def only_token(sim: Simulator) -> str:
    (token,) = sim.state.access_tokens
    return token


def token_polls(sim: Simulator) -> list[int]:
    return [c.status for c in sim.calls if c.path == "/oauth/token"]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --------------------------------------------------------------------------------------------
# offcloud login: the whole flow


def test_login_shows_the_code_waits_stores_the_token_and_the_token_works(
    simulator, run, fake_time, environment
):
    sim = simulator(pending_polls=2)

    result = run("login")

    assert result.code == 0, result.err
    device = sim.state.device_snapshot()[0]
    code = device["user_code"]
    until = sim.scenario.account(DEMO_API_KEY).expiration_date
    stored = f"The login token is stored in {environment}, readable by you only; "
    assert result.out.splitlines() == [
        f"To log in, open this page and confirm the code {code}:",
        f"    https://offcloud.com/activate?code={code}",
        "(or open https://offcloud.com/activate and enter the code there)",
        f"Logged in as {EMAIL} (premium until {until}).",
        stored + "'offcloud logout' removes it.",
    ]
    # A progress line while waiting, on stderr; the interval before every poll.
    assert "Waiting for you to confirm the code  10m00s left" in result.err
    assert fake_time.slept == [5.0, 5.0, 5.0]
    assert token_polls(sim) == [400, 400, 200]
    # Stored, for this user alone, and nothing else in the file.
    token = only_token(sim)
    assert environment.read_text(encoding="utf-8") == f"[offcloud]\naccess_token = {token}\n"
    assert mode(environment) == 0o600
    assert mode(environment.parent) == 0o700

    # Every later command uses it, as the Bearer credential.
    account = run("account")
    assert account.code == 0
    assert f"E-mail:        {EMAIL}" in account.out
    assert f"Credential:    login token in {environment} (from 'offcloud login')" in account.out
    assert token not in account.out
    info_calls = [c for c in sim.calls if c.path == "/api/account/info"]
    assert [c.key_location for c in info_calls] == ["bearer", "bearer"]

    logout = run("logout")
    assert logout.code == 0
    assert logout.out.splitlines() == [
        f"Removed the login token from {environment}.",
        "No credential is configured now; 'offcloud login' logs in again.",
    ]
    assert "access_token" not in environment.read_text(encoding="utf-8")
    assert run("account").code == 3


def test_login_waits_for_the_user_to_confirm_on_the_page(simulator, run, fake_time, environment):
    sim = simulator(decision="none")
    fake_time.on_sleep = lambda sleeps: control(sim, action="approve") if sleeps == 3 else None

    result = run("login")

    assert result.code == 0, result.err
    assert token_polls(sim) == [400, 400, 200]
    assert only_token(sim) in environment.read_text(encoding="utf-8")


def test_login_denied_stores_nothing(simulator, run, environment):
    sim = simulator(decision="deny", pending_polls=1)

    result = run("login")

    assert result.code == 3
    assert result.err.splitlines()[-1] == (
        "offcloud: error: the login was refused on Offcloud's page (access_denied)"
    )
    assert not environment.exists()
    assert sim.state.device_snapshot()[0]["state"] == "denied"


def test_login_with_a_code_that_expired_at_offcloud(simulator, run, fake_time, environment):
    sim = simulator(decision="none")
    fake_time.on_sleep = lambda sleeps: control(sim, action="expire") if sleeps == 2 else None

    result = run("login")

    assert result.code == 3
    assert "the code expired before it was confirmed (expired_token)" in result.err
    assert not environment.exists()
    assert token_polls(sim) == [400, 400]


def test_login_stops_when_the_code_expires_here(simulator, run, fake_time, environment):
    sim = simulator(decision="none", expires_in=12)

    result = run("login")

    assert result.code == 3
    assert "the code expired before it was confirmed; start a new login" in result.err
    assert fake_time.slept == [5.0, 5.0, 2.0]
    assert len(token_polls(sim)) == 2
    assert not environment.exists()


def test_login_slows_down_when_offcloud_asks(simulator, run, fake_time):
    simulator(pending_polls=1, slow_down_polls=[1])

    result = run("login")

    assert result.code == 0
    assert fake_time.slept == [5.0, 10.0, 10.0]
    assert "Offcloud asked to poll every 10 s" in result.err


def test_login_json_is_two_lines(simulator, run, environment):
    simulator()

    result = run("--json", "login")

    assert result.code == 0
    first, second = (json.loads(line) for line in result.out.splitlines())
    assert set(first) == {
        "user_code",
        "verification_uri",
        "verification_uri_complete",
        "expires_in",
    }
    assert second["logged_in"] is True
    assert second["config"] == str(environment)
    assert second["credential"] == "file-token"
    assert second["account"]["email"] == EMAIL


def test_login_keeps_the_files_other_lines_and_says_what_wins(
    simulator, run, environment, monkeypatch
):
    simulator()
    environment.parent.mkdir(parents=True)
    environment.write_text("# mine\n[offcloud]\napi_key = MY-OLD-KEY-123\n", encoding="utf-8")

    result = run("login")

    assert result.code == 0
    assert "the api_key in" in result.err
    text = environment.read_text(encoding="utf-8")
    assert text.startswith("# mine\n[offcloud]\napi_key = MY-OLD-KEY-123\naccess_token = ")
    assert "MY-OLD-KEY-123" not in result.out + result.err

    monkeypatch.setenv("OFFCLOUD_API_KEY", DEMO_API_KEY)
    again = run("login")
    assert "OFFCLOUD_API_KEY is set, and is used instead of the token" in again.err


def test_login_on_a_server_without_the_device_flow(simulator, run, environment):
    simulator(oauth_on=False)  # the live profile as probed: /oauth answers the HTML 404

    result = run("login")

    assert result.code == 3
    assert "has no device login" in result.err
    assert "https://offcloud.com/#/account" in result.err
    assert not environment.exists()


def test_ctrl_c_while_waiting_stores_nothing(simulator, run, fake_time, environment):
    simulator(decision="none")

    def interrupt(sleeps: int) -> None:
        if sleeps == 2:
            raise KeyboardInterrupt

    fake_time.on_sleep = interrupt
    result = run("login")
    assert result.code == 130
    assert not environment.exists()


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_login_makes_a_file_others_could_read_private_and_warns(simulator, run, monkeypatch):
    simulator()
    folder = Path(tempfile.mkdtemp(prefix="offcloud-login-test-"))
    try:
        folder.chmod(0o755)
        config = folder / "config.ini"
        config.write_text("[offcloud]\napi_key = EXPOSED-KEY-1\n", encoding="utf-8")
        config.chmod(0o644)
        monkeypatch.setenv("OFFCLOUD_CONFIG", str(config))

        refused = run("account")
        assert refused.code == 3
        assert f"chmod 600 {config}" in refused.err

        result = run("login")
        assert result.code == 0
        assert mode(config) == 0o600
        assert "consider making a new key" in result.err
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# offcloud account / logout: which credential, never its value


def test_account_names_the_credential_in_use(simulator, run, environment, monkeypatch):
    simulator()
    environment.parent.mkdir(parents=True)
    environment.write_text(f"[offcloud]\napi_key = {DEMO_API_KEY}\n", encoding="utf-8")
    environment.chmod(0o600)

    from_file = run("account")
    assert f"Credential:    API key in {environment}" in from_file.out
    assert DEMO_API_KEY not in from_file.out + from_file.err

    monkeypatch.setenv("OFFCLOUD_API_KEY", DEMO_API_KEY)
    from_env = run("--json", "account")
    data = json.loads(from_env.out)
    assert data["credential"] == {"source": "environment", "config": str(environment)}
    assert data["email"] == EMAIL
    assert DEMO_API_KEY not in from_env.out


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_account_warns_of_a_file_others_can_read_even_with_the_key_in_the_environment(
    simulator, run, monkeypatch
):
    simulator()
    folder = Path(tempfile.mkdtemp(prefix="offcloud-account-test-"))
    try:
        folder.chmod(0o755)
        config = folder / "config.ini"
        config.write_text("[offcloud]\naccess_token = SOME-TOKEN\n", encoding="utf-8")
        config.chmod(0o604)
        monkeypatch.setenv("OFFCLOUD_CONFIG", str(config))
        monkeypatch.setenv("OFFCLOUD_API_KEY", DEMO_API_KEY)

        result = run("account")

        assert result.code == 0
        assert "Credential:    API key from OFFCLOUD_API_KEY" in result.out
        assert result.err.startswith("offcloud: warning: other users can read")
        assert "SOME-TOKEN" not in result.out + result.err
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_logout_without_a_token(run, environment, monkeypatch):
    assert run("logout").out.splitlines() == [
        f"There is no login token in {environment}; nothing to remove.",
        "No credential is configured now; 'offcloud login' logs in again.",
    ]
    monkeypatch.setenv("OFFCLOUD_API_KEY", "ENV-KEY-1234")
    result = run("--json", "logout")
    assert json.loads(result.out) == {
        "removed": False,
        "config": str(environment),
        "credential": "environment",
    }


# --------------------------------------------------------------------------------------------
# offcloud pyload login, pyLoad stopped: its accounts.cfg


@pytest.fixture
def userdir(tmp_path) -> Path:
    """A pyLoad user folder with our account plugin in it (what `pyload install` leaves)."""
    folder = tmp_path / "pyload"
    plugin = folder / "plugins" / "accounts" / "OffcloudCom.py"
    plugin.parent.mkdir(parents=True)
    plugin.write_text("# the plugin\n", encoding="utf-8")
    return folder


def accounts_cfg(userdir: Path) -> str:
    return (userdir / "settings" / "accounts.cfg").read_text(encoding="utf-8")


def test_pyload_login_adds_the_account_to_a_stopped_pyload(simulator, run, tmp_path):
    sim = simulator(pending_polls=1)
    folder = tmp_path / "real-install"
    installer.install(folder)

    result = run("pyload", "login", "--userdir", str(folder))

    assert result.code == 0, result.err
    token = only_token(sim)
    assert accounts_cfg(folder) == f"version: 1\n\nOffcloudCom:\n\n\t{EMAIL}:{token}\n"
    assert mode(folder / "settings" / "accounts.cfg") == 0o600
    until = sim.scenario.account(DEMO_API_KEY).expiration_date
    where = folder / "settings" / "accounts.cfg"
    assert result.out.splitlines()[-2:] == [
        f"Logged in as {EMAIL} (premium until {until}).",
        f"Added the OffcloudCom account '{EMAIL}' in {where}; pyLoad loads it when it starts.",
    ]
    # Read back as pyLoad's AccountManager reads it.
    assert AccountsFile(folder).logins() == [EMAIL]


def test_pyload_login_updates_the_one_account_there_and_keeps_the_rest(simulator, run, userdir):
    sim = simulator()
    settings = userdir / "settings"
    settings.mkdir()
    (settings / "accounts.cfg").write_text(
        "version: 1\n\nOtherHoster:\n\n\tme:secret\n\t@limit 3\n\n"
        "OffcloudCom:\n\n\tmy\\x3alogin:OLD-KEY-0000\n\t@keep yes\n\nLast:\n\n\tx:y\n",
        encoding="utf-8",
    )

    result = run("pyload", "login", "--userdir", str(userdir))

    assert result.code == 0, result.err
    token = only_token(sim)
    assert accounts_cfg(userdir) == (
        "version: 1\n\nOtherHoster:\n\n\tme:secret\n\t@limit 3\n\n"
        f"OffcloudCom:\n\n\tmy\\x3alogin:{token}\n\t@keep yes\n\nLast:\n\n\tx:y\n"
    )
    assert "Updated the OffcloudCom account 'my:login'" in result.out


def test_pyload_login_with_several_accounts_asks_which_before_the_flow(simulator, run, userdir):
    sim = simulator()
    (userdir / "settings").mkdir()
    (userdir / "settings" / "accounts.cfg").write_text(
        "version: 1\n\nOffcloudCom:\n\n\ta:KEY1\n\n\tb:KEY2\n", encoding="utf-8"
    )

    asked = run("pyload", "login", "--userdir", str(userdir))
    assert asked.code == 2
    assert "2 OffcloudCom accounts (a, b)" in asked.err
    assert not [c for c in sim.calls if c.path.startswith("/oauth/")]

    chosen = run("pyload", "login", "--userdir", str(userdir), "--login", "b")
    assert chosen.code == 0
    assert accounts_cfg(userdir).endswith(f"\ta:KEY1\n\n\tb:{only_token(sim)}\n")


def test_pyload_login_needs_the_plugins(simulator, run, tmp_path):
    sim = simulator()
    result = run("pyload", "login", "--userdir", str(tmp_path / "empty"))
    assert result.code == 1
    assert "offcloud pyload install --userdir" in result.err
    assert not sim.calls


def test_pyload_login_refuses_a_running_pyload_without_its_api(simulator, run, userdir):
    sim = simulator()
    note = userdir / "plugins" / "offcloud_lib" / "loaded.json"
    note.parent.mkdir(parents=True)
    note.write_text(
        json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "stamp": "x"}),
        encoding="utf-8",
    )
    result = run("pyload", "login", "--userdir", str(userdir))
    assert result.code == 1
    assert f"pyLoad (pid {os.getpid()}) is running" in result.err
    assert "--pyload-url" in result.err
    assert not sim.calls
    assert not (userdir / "settings" / "accounts.cfg").exists()


def test_pyload_login_denied_leaves_pyload_alone(simulator, run, userdir):
    simulator(decision="deny")
    result = run("pyload", "login", "--userdir", str(userdir))
    assert result.code == 3
    assert "access_denied" in result.err
    assert not (userdir / "settings" / "accounts.cfg").exists()


def test_pyload_login_expired_leaves_pyload_alone(simulator, run, fake_time, userdir):
    sim = simulator(decision="none")
    fake_time.on_sleep = lambda sleeps: control(sim, action="expire")
    result = run("pyload", "login", "--userdir", str(userdir))
    assert result.code == 3
    assert "expired_token" in result.err
    assert not (userdir / "settings" / "accounts.cfg").exists()


def test_accounts_file_refusals(tmp_path):
    accounts = AccountsFile(tmp_path)
    with pytest.raises(PyloadLoginError, match="cannot start with"):
        accounts.set_account("@option", "TOKEN")
    with pytest.raises(PyloadLoginError, match="one line"):
        accounts.set_account("name", "TO\nKEN")
    (tmp_path / "settings").mkdir()
    (tmp_path / "settings" / "accounts.cfg").write_text("version: 2\n", encoding="utf-8")
    with pytest.raises(PyloadLoginError, match="version: 1"):
        accounts.logins()


# --------------------------------------------------------------------------------------------
# offcloud pyload login, pyLoad running: its web API


class FakePyload(BaseHTTPRequestHandler):
    """pyLoad's API as the command uses it: version, accounts, update_account; X-API-Key."""

    accounts: dict[str, str]
    requests_seen: list[tuple[str, str, str]]

    def log_message(self, *args: Any) -> None:
        pass

    def _reply(self, status: int, value: Any) -> None:
        body = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        self.requests_seen.append((self.command, self.path, body))
        if self.headers.get("X-API-Key") != PYLOAD_KEY:
            self._reply(401, {"error": "Invalid API key"})
        elif self.path == "/api/get_server_version":
            self._reply(200, "0.5.0b3.dev101")
        elif self.path == "/api/get_accounts?refresh=false":
            self._reply(
                200,
                [
                    {"type": "OffcloudCom", "login": login, "valid": True, "premium": True}
                    for login in self.accounts
                ],
            )
        elif self.path == "/api/update_account" and self.command == "POST":
            data = json.loads(body)
            assert data["plugin"] == "OffcloudCom"
            self.accounts[data["account"]] = data["password"]
            self._reply(200, None)
        else:
            self._reply(404, {"error": "Not Found"})

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()


@pytest.fixture
def fake_pyload() -> Iterator[tuple[str, type[FakePyload]]]:
    handler = type("Handler", (FakePyload,), {"accounts": {}, "requests_seen": []})
    with local_http_server(handler) as url:
        yield url, handler


def test_pyload_login_through_a_running_pyloads_api(simulator, run, fake_pyload, monkeypatch):
    sim = simulator()
    url, pyload = fake_pyload
    monkeypatch.setenv("PYLOAD_API_KEY", PYLOAD_KEY)

    result = run("pyload", "login", "--pyload-url", url)

    assert result.code == 0, result.err
    token = only_token(sim)
    assert pyload.accounts == {EMAIL: token}
    assert result.out.splitlines()[-1] == (
        f"Added the OffcloudCom account '{EMAIL}' of pyLoad at {url}: valid, premium."
    )
    # The token went in the JSON body only; the pyLoad key in its header only.
    for _method, path, _body in pyload.requests_seen:
        assert token not in path
        assert PYLOAD_KEY not in path
    assert PYLOAD_KEY not in result.out + result.err

    again = run("--json", "pyload", "login", "--pyload-url", url)
    answer = json.loads(again.out.splitlines()[-1])["pyload"]
    assert (answer["added"], answer["via"], answer["valid"], answer["login"]) == (
        False,
        "api",
        True,
        EMAIL,
    )


def test_pyload_login_through_the_api_needs_its_key(simulator, run, fake_pyload, monkeypatch):
    sim = simulator()
    url, _ = fake_pyload
    missing = run("pyload", "login", "--pyload-url", url)
    assert missing.code == 2
    assert "PYLOAD_API_KEY" in missing.err

    monkeypatch.setenv("PYLOAD_API_KEY", "pl_wrong")
    refused = run("pyload", "login", "--pyload-url", url)
    assert refused.code == 1
    assert "refused the API key" in refused.err
    assert "pl_wrong" not in refused.err
    assert not sim.calls  # checked before the user is asked to confirm anything


# --------------------------------------------------------------------------------------------
# the texts of the login commands, one state at a time


@pytest.mark.parametrize(
    ("info", "plan", "owner"),
    [
        (None, "not checked", "your account"),
        (
            AccountInfo(True, True, user_id="u-1", email=EMAIL, expiration=date(2999, 1, 2)),
            "premium until 2999-01-02",
            EMAIL,
        ),
        (AccountInfo(True, True, user_id="u-1"), "premium", "user u-1"),
        (
            AccountInfo(True, False, expiration=date(2001, 2, 3)),
            "premium expired on 2001-02-03",
            "your account",
        ),
        (AccountInfo(False, True, user_id="u-2"), "no premium", "user u-2"),
    ],
)
def test_login_names_the_account_and_its_plan(info, plan, owner):
    assert login_commands.account_plan(info) == plan
    assert login_commands.who(info) == owner


@pytest.mark.parametrize(
    ("state", "note"),
    [
        ("pending", "2m05s left"),
        ("slow_down", "2m05s left; Offcloud asked to poll every 7.5 s"),
        ("retrying", "2m05s left; Offcloud did not answer the last poll, asking again"),
        ("confirmed", "confirmed"),
    ],
)
def test_the_waiting_line_says_what_the_last_poll_found(state, note):
    assert login_commands._poll_note(PollOutcome(state, 3, 7.5, 125.0)) == note


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("http://offcloud.example/api", True),
        ("https://offcloud.example/api", False),
        ("http://127.0.0.1:8765/api", False),
        ("http://localhost:8765/api", False),
    ],
)
def test_a_token_over_plain_http_is_warned_about_unless_local(url, warned):
    err = io.StringIO()
    ctx = Context(argparse.Namespace(), io.StringIO(), err)

    login_commands.warn_if_plain_http(ctx, url, "the login token")

    expected = "offcloud: warning: the login token goes unencrypted over http to offcloud.example\n"
    assert err.getvalue() == (expected if warned else "")


def test_login_when_the_account_cannot_be_checked_keeps_the_token_and_warns(
    simulator, run, environment
):
    sim = simulator()
    sim.inject("server_error", path="/api/account/info", status=503)

    result = run("login")

    assert result.code == 0, result.err
    assert "warning: the account could not be checked now" in result.err
    token = only_token(sim)
    assert environment.read_text(encoding="utf-8") == f"[offcloud]\naccess_token = {token}\n"


def test_logout_says_which_credential_is_still_in_use(run, environment, monkeypatch):
    monkeypatch.setenv("OFFCLOUD_API_KEY", "ENV-KEY-1234")
    result = run("logout")
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0] == f"There is no login token in {environment}; nothing to remove."
    assert lines[1].startswith("In use now: ")
    assert "ENV-KEY-1234" not in result.out
