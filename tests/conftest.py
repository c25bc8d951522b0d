"""Shared, generic fixtures: a client with recorded sleeps, strict `responses` mocks, payloads.

The conventions follow docs/development.md: every mock asserts that all its responses were used,
and request shapes are pinned with `responses.matchers`, not inspected after the fact.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Callable

import pytest
import responses
from fakes import ManualClock
from responses import matchers
from responses.registries import OrderedRegistry

from offcloud_api import OffcloudAPI, RetryPolicy
from offcloud_api.client import DEFAULT_TIMEOUT

API_KEY = "SECRET-KEY-123"
BASE_URL = "https://offcloud.com/api"
FIXTURES = Path(__file__).parent / "fixtures"

_UNSET: Any = object()


class _OurBasePlugins(importlib.abc.MetaPathFinder):
    """What pyLoad's import redirector does for our ``plugins/base/*.py`` (docs/pyload.md §1.2).

    Tests load plugin files as ``pyload.plugins.<type>.<Name>``; their ``from ..base.<name>
    import ...`` then asks for ``pyload.plugins.base.<name>``, which pyLoad itself serves from the
    user folder. Here it comes from this project's ``plugins/base``, after pyLoad's own base.
    """

    FOLDER = Path(__file__).resolve().parents[1] / "plugins" / "base"

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: Any = None
    ) -> importlib.machinery.ModuleSpec | None:
        package, _, name = fullname.rpartition(".")
        source = self.FOLDER / f"{name}.py"
        if package != "pyload.plugins.base" or not source.is_file():
            return None
        return importlib.util.spec_from_file_location(fullname, source)


sys.meta_path.append(_OurBasePlugins())


class SleepRecorder:
    """A fake ``sleep`` that only records what it was asked to wait."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def api(sleeps: SleepRecorder) -> Iterator[OffcloudAPI]:
    """A client for key ``SECRET-KEY-123`` whose retries sleep into ``sleeps``, without jitter."""
    client = OffcloudAPI(
        API_KEY,
        base_url=BASE_URL,
        retry=RetryPolicy(sleep=sleeps, jitter=lambda ceiling: ceiling),
    )
    yield client
    client.close()


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    """Strict mock: every registered response must be used; unregistered URLs fail."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


@pytest.fixture
def ordered() -> Iterator[responses.RequestsMock]:
    """Strict mock whose responses are served once each, in registration order."""
    with responses.RequestsMock(
        assert_all_requests_are_fired=True, registry=OrderedRegistry
    ) as rsps:
        yield rsps


@pytest.fixture
def strict() -> Callable[..., list[Any]]:
    """Matchers every API call must satisfy, plus the exact JSON body if one is given.

    Bearer auth, exactly the given query parameters (so never ``key``/``apikey``) and the
    default (connect, read) timeout.
    """

    def build(
        *, json: Any = _UNSET, params: dict[str, str] | None = None, auth: bool = True
    ) -> list[Any]:
        found = [
            matchers.query_param_matcher(params or {}),
            matchers.request_kwargs_matcher({"timeout": DEFAULT_TIMEOUT}),
        ]
        if auth:
            found.append(matchers.header_matcher({"Authorization": f"Bearer {API_KEY}"}))
        if json is not _UNSET:
            found.append(matchers.json_params_matcher(json))
        return found

    return build


@pytest.fixture
def payload() -> Callable[[str], Any]:
    """Load ``tests/fixtures/<name>.json`` (see tests/fixtures/README.md for each source)."""

    def load(name: str) -> Any:
        return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))

    return load


@pytest.fixture
def clock() -> ManualClock:
    """A clock that moves only when the test moves it (a module may define its own ``clock``)."""
    return ManualClock()
