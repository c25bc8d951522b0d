"""A faithful, stateful local Offcloud: both API generations, downloads, a CONNECT proxy, faults.

``from offcloud_api.simulator import Simulator, serve, load_scenario, default_scenario``.
The scenario format is described in ``SCENARIO.md`` in this folder; the demo scenario is
``default_scenario.json``. Only the standard library is needed; ``cryptography`` (or the
``openssl`` command) is used to make the proxy's TLS certificate.
"""

from __future__ import annotations

from .calllog import CallRecord
from .faults import ERROR_PRESETS, Fault, FaultError
from .files import (
    BLOCK_SIZE,
    FileSpec,
    content_bytes,
    expected_sha256,
    file_sha256,
    iter_content,
)
from .scenario import Scenario, ScenarioError
from .scenario_loading import default_scenario, load_scenario
from .simulator import Simulator, serve

__all__ = [
    "BLOCK_SIZE",
    "DEMO_API_KEY",
    "ERROR_PRESETS",
    "EXPIRED_API_KEY",
    "NO_DOWNLOAD_API_KEY",
    "CallRecord",
    "Fault",
    "FaultError",
    "FileSpec",
    "Scenario",
    "ScenarioError",
    "Simulator",
    "content_bytes",
    "default_scenario",
    "expected_sha256",
    "file_sha256",
    "iter_content",
    "load_scenario",
    "serve",
]

#: The premium account of the demo scenario.
DEMO_API_KEY = "SimDemoKey0000000000000000000001"
#: An account whose premium ran out (``is_premium`` false, expiry in the past).
EXPIRED_API_KEY = "SimExpiredKey0000000000000000002"
#: A premium account with ``can_download: false``.
NO_DOWNLOAD_API_KEY = "SimNoDownloadKey0000000000000003"
