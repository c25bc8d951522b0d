"""Fixtures for the simulator tests: simulators on port 0, clients that do not sleep."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any, Callable

import pytest
import requests

from offcloud_api import OffcloudAPI
from offcloud_api.simulator import DEMO_API_KEY, Simulator

from .helpers import fast_retry, make_scenario


@pytest.fixture
def simulator() -> Iterator[Simulator]:
    """The demo scenario as packaged (profile ``live``: the 2026 API as probed), fast clock."""
    with Simulator(make_scenario()) as sim:
        yield sim


@pytest.fixture
def rich_simulator() -> Iterator[Simulator]:
    """The demo scenario on the ``rich`` profile (every documented 2026 route and field)."""
    with Simulator(make_scenario(profile="rich")) as sim:
        yield sim


@pytest.fixture
def legacy_simulator() -> Iterator[Simulator]:
    """The demo scenario on a legacy-only server (2026 routes answer 404)."""
    with Simulator(make_scenario(legacy=True)) as sim:
        yield sim


@pytest.fixture
def frozen_simulator() -> Iterator[Simulator]:
    """The ``rich`` profile; the clock barely moves: tests drive it with ``advance``."""
    with Simulator(make_scenario({"clock": {"speedup": 1e-6}}, profile="rich")) as sim:
        yield sim


@pytest.fixture
def frozen_live_simulator() -> Iterator[Simulator]:
    """The ``live`` profile; the clock barely moves: tests drive it with ``advance``."""
    with Simulator(make_scenario({"clock": {"speedup": 1e-6}})) as sim:
        yield sim


@pytest.fixture(params=["live", "rich", "legacy"])
def any_simulator(request: pytest.FixtureRequest) -> Iterator[Simulator]:
    """Each test runs against every profile: live, rich and legacy-only."""
    with Simulator(make_scenario(profile=request.param)) as sim:
        yield sim


@pytest.fixture
def client_for() -> Iterator[Callable[..., OffcloudAPI]]:
    """``client_for(sim, key=DEMO_API_KEY)``: a real client on the simulator's base URL."""
    made: list[OffcloudAPI] = []

    def make(sim: Simulator, key: str | None = DEMO_API_KEY, **options: Any) -> OffcloudAPI:
        options.setdefault("retry", fast_retry())
        client = OffcloudAPI(key, base_url=sim.api_url, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> Iterator[None]:
    """Every simulator a test started is stopped, with its connection threads, by the end."""
    before = {t.ident for t in threading.enumerate()}
    yield
    leaked = [
        t
        for t in threading.enumerate()
        if t.ident not in before and t.is_alive() and t.name.startswith("offcloud-simulator")
    ]
    assert not leaked, f"simulator threads still running: {leaked}"
