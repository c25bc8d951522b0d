"""The OAuth device flow (offcloud_api.oauth; docs/api.md §1.4), every outcome.

With ``responses``: strict matchers on the two routes (JSON body, timeout, no Authorization),
and a fake clock that the fake sleep moves, so every pause is checked to the second. Then the
simulator's side of the flow (pending for N polls, slow_down, denied, expired, the control API)
over real HTTP, with the library as the client.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import requests
from responses import matchers

from offcloud_api import OffcloudAPI, RetryPolicy
from offcloud_api.client import DEFAULT_TIMEOUT
from offcloud_api.exceptions import (
    AuthError,
    DeviceLoginAbortedError,
    DeviceLoginDeniedError,
    DeviceLoginError,
    DeviceLoginExpiredError,
    DeviceLoginTimeoutError,
    EndpointRemovedError,
    InvalidResponseError,
    OffcloudError,
    ServerError,
    WaitAbortedError,
    WaitTimeoutError,
)
from offcloud_api.oauth import (
    DEFAULT_INTERVAL,
    DEVICE_GRANT,
    MAX_POLL_FAILURES,
    DeviceCode,
    DeviceLogin,
    PollOutcome,
    device_login,
)
from offcloud_api.simulator import (
    DEMO_API_KEY,
    EXPIRED_API_KEY,
    ScenarioError,
    Simulator,
    load_scenario,
)

SITE = "https://offcloud.com"
CODE_URL = f"{SITE}/oauth/device/code"
TOKEN_URL = f"{SITE}/oauth/token"
DEVICE = "device-1"
TOKEN = "tok.3x4mple-Access_Token~"
#: JACK's test fixture (§1.4), the one recorded shape of the answer.
CODE = {
    "device_code": DEVICE,
    "user_code": "ABCD-EFGH",
    "verification_uri": "https://offcloud.com/activate",
    "verification_uri_complete": "https://offcloud.com/activate?code=ABCD-EFGH",
    "interval": 5,
    "expires_in": 600,
}
HTML_404 = (Path(__file__).parent / "fixtures" / "html_404_L3.html").read_text(encoding="utf-8")
HTML_500 = "<html><body><h1>500 Internal Server Error</h1></body></html>"


class World:
    """A clock that only the fake sleep moves; every pause is recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def client(world: World):
    with OffcloudAPI(retry=RetryPolicy(sleep=world.sleep, jitter=lambda c: c)) as api:
        yield api


def no_auth(request: Any) -> tuple[bool, str]:
    """The device flow must never send a key it may have (it is not one of its inputs)."""
    if "Authorization" in request.headers:
        return False, "an Authorization header was sent"
    return True, ""


def code_route(mocked, payload: Any = CODE, **kwargs: Any) -> None:
    mocked.post(
        CODE_URL,
        json=payload,
        match=[
            matchers.json_params_matcher({}),
            matchers.request_kwargs_matcher({"timeout": DEFAULT_TIMEOUT}),
            no_auth,
        ],
        **kwargs,
    )


def token_route(mocked, *, status: int = 400, **kwargs: Any) -> None:
    mocked.post(
        TOKEN_URL,
        status=status,
        match=[
            matchers.json_params_matcher({"grant_type": DEVICE_GRANT, "device_code": DEVICE}),
            matchers.request_kwargs_matcher({"timeout": DEFAULT_TIMEOUT}),
            no_auth,
        ],
        **kwargs,
    )


def pending(mocked, times: int = 1) -> None:
    for _ in range(times):
        token_route(
            mocked,
            json={
                "error": "authorization_pending",
                "error_description": "The user has not yet authorized the device",
            },
        )


def granted(mocked) -> None:
    token_route(mocked, status=200, json={"access_token": TOKEN, "token_type": "Bearer"})


def start(client: OffcloudAPI, world: World) -> DeviceLogin:
    return DeviceLogin.start(client, clock=world.clock, sleep=world.sleep)


# --------------------------------------------------------------------------------------------
# starting: POST /oauth/device/code


def test_start_asks_on_the_site_root_without_a_key_and_reads_the_answer(ordered, world):
    code_route(ordered)
    with OffcloudAPI("SOME-KEY", retry=RetryPolicy(sleep=world.sleep)) as keyed:
        login = start(keyed, world)
    code = login.code
    assert (code.user_code, code.verification_uri, code.verification_uri_complete) == (
        "ABCD-EFGH",
        "https://offcloud.com/activate",
        "https://offcloud.com/activate?code=ABCD-EFGH",
    )
    assert (code.interval, code.expires_in) == (5.0, 600.0)
    assert code.open_url == code.verification_uri_complete
    assert login.interval == 5.0
    assert login.remaining == 600.0
    assert DEVICE not in repr(code)
    assert DEVICE not in repr(login)


def test_start_follows_the_client_base_url(ordered, world):
    ordered.post("http://127.0.0.1:8765/oauth/device/code", json=CODE)
    with OffcloudAPI(base_url="http://127.0.0.1:8765/api", retry=RetryPolicy.never()) as api:
        assert start(api, world).code.user_code == "ABCD-EFGH"


@pytest.mark.parametrize(
    ("extra", "interval", "expires_in"),
    [
        ({"interval": "7"}, 7.0, 600.0),
        ({"interval": None, "expires_in": None}, DEFAULT_INTERVAL, 600.0),
        ({"interval": 0, "expires_in": -1}, DEFAULT_INTERVAL, 600.0),
        ({"interval": True, "expires_in": "soon"}, DEFAULT_INTERVAL, 600.0),
        ({"interval": float("nan"), "expires_in": 900}, DEFAULT_INTERVAL, 900.0),
    ],
)
def test_interval_and_expiry_are_read_tolerantly(extra, interval, expires_in):
    code = DeviceCode.from_api({**CODE, **extra})
    assert (code.interval, code.expires_in) == (interval, expires_in)


def test_an_interval_below_a_second_is_taken_as_one(ordered, client, world):
    code_route(ordered, payload={**CODE, "interval": 0.2})
    assert start(client, world).interval == 1.0


def test_the_older_verification_url_name_and_a_bad_complete_url(ordered):
    code = DeviceCode.from_api(
        {
            **CODE,
            "verification_uri": None,
            "verification_url": "https://offcloud.com/activate",
            "verification_uri_complete": "javascript:alert(1)",
        }
    )
    assert code.verification_uri == "https://offcloud.com/activate"
    assert code.verification_uri_complete is None
    assert code.open_url == "https://offcloud.com/activate"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"device_code": ""}, "no device_code"),
        ({"user_code": None}, "no user_code"),
        ({"user_code": "AB\x1b[2JCD"}, "printable"),
        ({"verification_uri": "ftp://offcloud.com/x"}, "verification_uri"),
        ({"verification_uri": "https://offcloud.com/\x1b[31m"}, "verification_uri"),
    ],
)
def test_an_answer_a_terminal_should_not_show_is_refused(ordered, client, world, change, message):
    code_route(ordered, payload={**CODE, **change})
    with pytest.raises(InvalidResponseError, match=message) as caught:
        start(client, world)
    assert caught.value.path == "/oauth/device/code"


def test_a_server_without_the_device_flow_says_so(ordered, client, world):
    ordered.post(CODE_URL, status=404, body=HTML_404, content_type="text/html")
    with pytest.raises(DeviceLoginError, match="has no device login") as caught:
        start(client, world)
    assert "https://offcloud.com/#/account" in caught.value.message
    assert isinstance(caught.value, AuthError)


# --------------------------------------------------------------------------------------------
# waiting: POST /oauth/token


def test_pending_polls_then_the_token(ordered, client, world):
    code_route(ordered)
    pending(ordered, 2)
    granted(ordered)
    seen: list[PollOutcome] = []

    login = start(client, world)
    token = login.wait(on_poll=seen.append)

    assert token == TOKEN
    assert world.slept == [5.0, 5.0, 5.0]  # the interval before each poll, the first included
    assert [(o.state, o.polls, o.interval, o.remaining) for o in seen] == [
        ("pending", 1, 5.0, 595.0),
        ("pending", 2, 5.0, 590.0),
        ("confirmed", 3, 5.0, 585.0),
    ]


def test_pending_in_a_200_answer_is_pending_too(ordered, client, world):
    # Some clients (POV) treat any answer without a token as pending; an error with HTTP 200 is.
    code_route(ordered)
    token_route(ordered, status=200, json={"error": "authorization_pending"})
    granted(ordered)
    assert start(client, world).wait() == TOKEN


def test_slow_down_adds_five_seconds_to_this_and_every_later_poll(ordered, client, world):
    code_route(ordered)
    pending(ordered)
    token_route(ordered, json={"error": "slow_down"})
    pending(ordered)
    token_route(ordered, json={"error": "slow_down", "error_description": "too fast"})
    granted(ordered)
    seen: list[PollOutcome] = []

    assert start(client, world).wait(on_poll=seen.append) == TOKEN

    assert world.slept == [5.0, 5.0, 10.0, 10.0, 15.0]
    assert [o.state for o in seen] == ["pending", "slow_down", "pending", "slow_down", "confirmed"]
    assert seen[-1].interval == 15.0


def test_access_denied(ordered, client, world):
    code_route(ordered)
    pending(ordered)
    token_route(
        ordered,
        json={"error": "access_denied", "error_description": "The user denied authorization"},
    )
    login = start(client, world)
    with pytest.raises(DeviceLoginDeniedError, match="refused") as caught:
        login.wait()
    error = caught.value
    assert (error.code, error.status, error.path) == ("access_denied", 400, "/oauth/token")
    assert isinstance(error, DeviceLoginError)
    assert isinstance(error, AuthError)
    assert error.__cause__ is None
    assert login.polls == 2


def test_expired_token_from_offcloud(ordered, client, world):
    code_route(ordered)
    token_route(
        ordered,
        json={"error": "expired_token", "error_description": "The device code has expired"},
    )
    with pytest.raises(DeviceLoginExpiredError, match="start a new login") as caught:
        start(client, world).wait()
    assert caught.value.code == "expired_token"


def test_the_code_expiring_here_first_stops_without_asking_again(ordered, client, world):
    code_route(ordered, payload={**CODE, "expires_in": 12})
    pending(ordered, 2)
    login = start(client, world)
    with pytest.raises(DeviceLoginExpiredError):
        login.wait()
    assert world.slept == [5.0, 5.0, 2.0]  # to the code's end, not a third poll
    assert login.polls == 2


def test_the_callers_deadline(ordered, client, world):
    code_route(ordered)
    pending(ordered)
    login = start(client, world)
    with pytest.raises(DeviceLoginTimeoutError, match="within 7 s") as caught:
        login.wait(timeout=7)
    assert world.slept == [5.0, 2.0]
    assert isinstance(caught.value, WaitTimeoutError)
    assert caught.value.job is None


def test_the_abort_hook_is_asked_while_waiting(ordered, client, world):
    code_route(ordered)
    pending(ordered)
    login = start(client, world)
    polls_at_abort = 1

    def should_abort() -> bool:
        return login.polls >= polls_at_abort and world.now >= 1006.0

    with pytest.raises(DeviceLoginAbortedError) as caught:
        login.wait(should_abort=should_abort)
    assert isinstance(caught.value, WaitAbortedError)
    assert max(world.slept) <= 0.2  # small naps, so the hook is heard within 0.2 s
    assert 1006.0 <= world.now <= 1006.2 + 1e-9
    assert login.polls == 1


def test_a_failed_poll_is_asked_again_at_the_next_interval(ordered, client, world):
    code_route(ordered)
    ordered.post(TOKEN_URL, status=500, body=HTML_500, content_type="text/html")
    pending(ordered)
    granted(ordered)
    seen: list[PollOutcome] = []

    assert start(client, world).wait(on_poll=seen.append) == TOKEN
    # Not idempotent (a confirmed code may answer once): the request layer did not repeat it.
    assert [o.state for o in seen] == ["retrying", "pending", "confirmed"]
    assert world.slept == [5.0, 5.0, 5.0]


def test_too_many_failed_polls_in_a_row_end_the_wait(ordered, client, world):
    code_route(ordered)
    for _ in range(MAX_POLL_FAILURES):
        ordered.post(TOKEN_URL, status=502, body=HTML_500, content_type="text/html")
    with pytest.raises(ServerError):
        start(client, world).wait()


def test_a_long_rate_limit_waits_what_offcloud_asked(ordered, client, world):
    code_route(ordered)
    # Longer than the retry policy waits itself (30 s): the poll loop waits it instead.
    ordered.post(TOKEN_URL, status=429, json={"error": "slow"}, headers={"Retry-After": "40"})
    granted(ordered)
    assert start(client, world).wait() == TOKEN
    assert world.slept == [5.0, 40.0]


@pytest.mark.parametrize(
    "answer",
    [
        {"token_type": "Bearer"},
        {"access_token": "", "token_type": "Bearer"},
        {"access_token": "two words", "token_type": "Bearer"},
        {"access_token": "line\r\nInjected: header"},
        ["not", "an", "object"],
    ],
)
def test_an_answer_without_a_usable_token(ordered, client, world, answer):
    code_route(ordered)
    token_route(ordered, status=200, json=answer)
    with pytest.raises(InvalidResponseError, match="without a usable access_token") as caught:
        start(client, world).poll()
    assert "two words" not in str(caught.value)


def test_a_token_of_another_type_is_refused(ordered, client, world):
    code_route(ordered)
    token_route(ordered, status=200, json={"access_token": TOKEN, "token_type": "mac"})
    with pytest.raises(DeviceLoginError, match="'mac' token"):
        start(client, world).poll()


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (400, {"error": "invalid_grant", "error_description": f"Unknown code {DEVICE}"}, None),
        (400, {"error": "unsupported_grant_type"}, "unsupported_grant_type"),
        (401, {"error": "invalid_client"}, "invalid_client"),
    ],
)
def test_other_oauth_errors_end_the_login(ordered, client, world, status, body, code):
    code_route(ordered)
    token_route(ordered, status=status, json=body)
    with pytest.raises(DeviceLoginError) as caught:
        start(client, world).wait()
    error = caught.value
    assert type(error) is DeviceLoginError
    assert error.code == (code or body["error"])
    assert DEVICE not in str(error)  # a server echoing the device code: masked
    assert DEVICE not in repr(error)


def test_the_token_route_missing_is_a_clear_error(ordered, client, world):
    code_route(ordered)
    ordered.post(TOKEN_URL, status=404, body=HTML_404, content_type="text/html")
    with pytest.raises(DeviceLoginError, match="has no device login"):
        start(client, world).wait()


def test_device_login_shows_the_code_then_waits(ordered, client, world):
    code_route(ordered, payload={**CODE, "interval": 1})
    pending(ordered)
    granted(ordered)
    shown: list[DeviceCode] = []

    def show(code: DeviceCode) -> None:
        assert not [c for c in ordered.calls if c.request.url == TOKEN_URL]  # before any poll
        shown.append(code)

    assert device_login(client, show) == TOKEN
    assert [c.user_code for c in shown] == ["ABCD-EFGH"]


# --------------------------------------------------------------------------------------------
# the legacy login points here


def test_login_and_get_api_key_point_to_the_device_flow(mocked, client):
    mocked.post(f"{SITE}/api/login", status=404, body=HTML_404, content_type="text/html")
    mocked.post(f"{SITE}/api/key", status=404, body=HTML_404, content_type="text/html")
    for call in (lambda: client.login("me@example.com", "pw"), client.get_api_key):
        with pytest.raises(EndpointRemovedError) as caught:
            call()
        assert "offcloud login" in caught.value.message
        assert "offcloud_api.oauth.device_login" in caught.value.message
    assert "device_login" in (OffcloudAPI.login.__doc__ or "")
    assert "device_login" in (OffcloudAPI.get_api_key.__doc__ or "")


def test_the_error_tree_says_each_outcome_is_an_auth_error():
    for cls in (
        DeviceLoginDeniedError,
        DeviceLoginExpiredError,
        DeviceLoginTimeoutError,
        DeviceLoginAbortedError,
    ):
        assert issubclass(cls, DeviceLoginError)
        assert issubclass(cls, AuthError)
        assert issubclass(cls, OffcloudError)


# --------------------------------------------------------------------------------------------
# the simulator's device flow, with this client (profile live + oauth on)


def simulator(**oauth: Any) -> Simulator:
    scenario = {"extends": "default", "api": {"oauth": True}, "oauth": {"approve_after": 0}}
    scenario["oauth"].update(oauth)
    return Simulator(load_scenario(scenario))


class SimWorld(World):
    """The fake sleep also moves the simulator's clock: polls come exactly on time."""

    def __init__(self, sim: Simulator) -> None:
        super().__init__()
        self.sim = sim

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        self.sim.advance(seconds)


def sim_login(sim: Simulator) -> tuple[DeviceLogin, SimWorld]:
    world = SimWorld(sim)
    client = OffcloudAPI(base_url=sim.api_url, retry=RetryPolicy(sleep=world.sleep))
    return DeviceLogin.start(client, clock=world.clock), world


def control(sim: Simulator, **body: Any) -> requests.Response:
    return requests.post(f"{sim.url}/_sim/oauth", json=body, timeout=10)


def test_sim_pending_for_n_polls_then_a_token_that_works_as_the_key():
    with simulator(pending_polls=3, interval=2) as sim:
        login, world = sim_login(sim)
        seen: list[PollOutcome] = []
        token = login.wait(on_poll=seen.append)
        assert [o.state for o in seen] == ["pending"] * 3 + ["confirmed"]
        assert world.slept == [2.0] * 4
        # Shaped unlike a key (not 32 letters and digits): nothing may rely on a key's shape.
        assert token.startswith("ocat.")
        assert len(token) != 32
        with OffcloudAPI(token, base_url=sim.api_url) as api:
            assert api.get_account_stats().email == "demo@offcloud-sim.test"
        # The call log masks the device code and the token.
        for call in sim.calls:
            assert token not in call.body_summary
            assert login.code.device_code not in call.body_summary
        (device,) = requests.get(f"{sim.url}/_sim/oauth", timeout=10).json()
        assert (device["state"], device["polls"]) == ("approved", 4)
        assert token not in str(device)
        assert login.code.device_code not in str(device)


def test_sim_slow_down_on_the_polls_the_scenario_names():
    with simulator(pending_polls=2, slow_down_polls=[2], interval=1) as sim:
        login, world = sim_login(sim)
        seen: list[PollOutcome] = []
        login.wait(on_poll=seen.append)
        assert [o.state for o in seen] == ["pending", "slow_down", "pending", "confirmed"]
        assert world.slept == [1.0, 1.0, 6.0, 6.0]


def test_sim_enforces_the_interval_like_rfc_8628():
    with simulator(decision="none", interval=5) as sim:
        login, _ = sim_login(sim)
        assert login.poll() is None  # the first poll is free
        assert login.poll() is None  # at once: too fast, slow_down
        assert login.interval == 10.0
        (device,) = requests.get(f"{sim.url}/_sim/oauth", timeout=10).json()
        assert device["interval"] == 10.0


def test_sim_denied_by_the_scenario():
    with simulator(decision="deny", pending_polls=1, interval=1) as sim:
        login, _ = sim_login(sim)
        with pytest.raises(DeviceLoginDeniedError):
            login.wait()
        assert login.polls == 2


def test_sim_expired_by_the_scenario_clock():
    with simulator(decision="none", expires_in=30, interval=5) as sim:
        login, world = sim_login(sim)
        sim.advance(31)  # Offcloud's clock runs ahead of ours: it says expired first
        with pytest.raises(DeviceLoginExpiredError) as caught:
            login.wait()
        assert caught.value.code == "expired_token"
        assert world.slept == [5.0]


@pytest.mark.parametrize(
    ("action", "error"),
    [("deny", DeviceLoginDeniedError), ("expire", DeviceLoginExpiredError)],
)
def test_sim_control_api_acts_as_the_user(action, error):
    with simulator(decision="none", interval=1) as sim:
        login, _ = sim_login(sim)
        assert login.poll() is None
        answer = control(sim, action=action)
        assert answer.status_code == 200
        assert answer.json() == {"user_code": login.code.user_code, "action": action}
        with pytest.raises(error):
            login.wait()


def test_sim_control_api_approves_a_named_code_as_another_account():
    with simulator(decision="none", interval=1) as sim:
        first, _ = sim_login(sim)
        second, _ = sim_login(sim)
        answer = control(
            sim, action="approve", user_code=first.code.user_code, account=EXPIRED_API_KEY
        )
        assert answer.status_code == 200
        token = first.wait()
        with OffcloudAPI(token, base_url=sim.api_url) as api:
            assert api.get_account_stats().email == "expired@offcloud-sim.test"
        assert second.poll() is None  # the other code is still pending
        states = [d["state"] for d in requests.get(f"{sim.url}/_sim/oauth", timeout=10).json()]
        assert states == ["approved", "pending"]
        assert sim.state.snapshot()["devices"][0]["account"] == "expired@offcloud-sim.test"


def test_sim_control_api_errors():
    with simulator(decision="none") as sim:
        assert control(sim, action="approve").status_code == 404  # no code yet
        sim_login(sim)
        assert control(sim, action="maybe").status_code == 400
        assert control(sim, action="deny", user_code="NOPE-NOPE").status_code == 404
        assert control(sim, action="approve", account="nobody@x.test").status_code == 404


def test_sim_revoking_the_account_key_revokes_its_tokens():
    with simulator(interval=1) as sim:
        login, _ = sim_login(sim)
        token = login.wait()
        sim.revoke_key(DEMO_API_KEY)
        with (
            OffcloudAPI(token, base_url=sim.api_url, retry=RetryPolicy.never()) as api,
            pytest.raises(AuthError),
        ):
            api.get_account_stats()


def test_sim_scenario_validates_the_oauth_section():
    base = {"extends": "default"}
    for oauth, message in (
        ({"decision": "maybe"}, "decision"),
        ({"slow_down_polls": [0]}, "slow_down_polls"),
        ({"pending_polls": -1}, "pending_polls"),
        ({"interval": 0}, "more than 0"),
        ({"colour": "red"}, "colour"),
    ):
        with pytest.raises(ScenarioError, match=message):
            load_scenario({**base, "oauth": oauth})


def test_nothing_of_the_flow_is_logged(ordered, client, world, caplog):
    caplog.set_level(logging.DEBUG)
    code_route(ordered)
    pending(ordered)
    granted(ordered)
    assert start(client, world).wait() == TOKEN
    assert caplog.records
    for record in caplog.records:
        assert TOKEN not in record.getMessage()
        assert DEVICE not in record.getMessage()
