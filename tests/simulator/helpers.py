"""Shared helpers for the simulator tests."""

from __future__ import annotations

from typing import Any

import requests

from offcloud_api import RetryPolicy
from offcloud_api.simulator import DEMO_API_KEY, Scenario, Simulator, load_scenario

#: Simulated seconds per wall second: the demo's 3-6 s jobs finish in 10-30 ms.
FAST = 200.0
#: The packaged scenario as it is: profile ``live`` (docs/api.md §00, L1-L18).
LIVE = {"extends": "default", "clock": {"speedup": FAST}}
#: The older, kinder 2026 simulation: every documented 2026 field and route (instant, OAuth...).
RICH = {
    "extends": "default",
    "name": "rich",
    "api": {"profile": "rich"},
    "clock": {"speedup": FAST},
}
#: A legacy-only server (2026 routes answer 404 like Express).
LEGACY = {
    "extends": "default",
    "name": "legacy-only",
    "api": {"profile": "legacy"},
    "clock": {"speedup": FAST},
}
PROFILES = {"live": LIVE, "rich": RICH, "legacy": LEGACY}
DEMO_LINK = "https://rapidgator.net/file/abc123/demo.bin"
CLOUD_ONLY_LINK = "https://nitroflare.com/view/CLOUD1/cloud-only.bin"
OFFLINE_LINK = "https://rapidgator.net/file/gone404/gone.bin"
ARCHIVE_LINK = "https://1fichier.com/?demoarchive1"
FOLDER_LINK = "https://example-hoster.test/folder/DemoFolder"
FLAKY_LINK = "https://rapidgator.net/file/fail01/flaky.bin"
PLAIN_LINK = "https://example-hoster.test/file/plain.bin"
CLOUD_FOLDER_JOB = "0896d1afc0082e232c9b10a6"
SINGLE_FILE_JOB = "947f187506f7629c81c81879"
ERRORED_JOB = "138bb025f5c103fe415d247a"
HIDDEN_JOB = "e564b4081d7a9ea4b00dada5"


def fast_retry() -> RetryPolicy:
    """Retries as in production, but without real sleeping."""
    return RetryPolicy(sleep=lambda _seconds: None)


def make_scenario(
    extra: dict[str, Any] | None = None, *, legacy: bool = False, profile: str = "live"
) -> Scenario:
    """The packaged scenario on ``profile`` (``legacy=True`` is ``profile="legacy"``), fast clock.

    ``extra`` is merged one level deep (``{"api": {"oauth": True}}`` keeps the profile).
    """
    base: dict[str, Any] = dict(PROFILES["legacy" if legacy else profile])
    for name, value in (extra or {}).items():
        old = base.get(name)
        base[name] = (
            {**old, **value} if isinstance(old, dict) and isinstance(value, dict) else value
        )
    return load_scenario(base)


def bearer(key: str = DEMO_API_KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def call(
    http: requests.Session, sim: Simulator, method: str, path: str, **kwargs: Any
) -> requests.Response:
    """``method`` on the API path ``path`` (``/cloud``...), with the demo key unless ``headers``."""
    kwargs.setdefault("headers", bearer())
    return http.request(method, sim.api_url + path, timeout=10, **kwargs)


def add(http: requests.Session, sim: Simulator, url: str) -> requests.Response:
    """Add ``url`` to the cloud as the live API takes it (a JSON body)."""
    return call(http, sim, "POST", "/cloud", json={"url": url})
