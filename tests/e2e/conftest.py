"""What the end-to-end modules share: one way to start the stack, and the call-log helpers.

A module that uses the ``stack`` fixture says which stack it wants in a ``STACK`` line::

    STACK = StackSpec("hosts", _scenario, options=[(HOOK, "follow_interval", 2)])

and gets one pyLoad and one simulator for the whole module (module scope), started with that
scenario and those plugin options set before its first test. A module that needs a second
stack (another profile) starts it with :func:`started_stack` in a fixture of its own.

The helpers read the simulator's call log (``stack.simulator.calls``) the way the modules used
to, each with its own copy: the API calls of a route, the adds of a link, routes without ids.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Optional

import pytest

from offcloud_api.harness.runner import PyloadProcess
from offcloud_api.harness.stack import OffcloudPyloadStack

__all__ = [
    "StackSpec",
    "api_calls",
    "call_paths",
    "cloud_adds",
    "route_of",
    "started_stack",
]


@dataclass(frozen=True)
class StackSpec:
    """The stack a module runs against.

    ``name`` names its folder; ``scenario`` builds the simulator's scenario when the stack
    starts (None: the packaged demo scenario); ``options`` are ``(plugin, option, value)`` set
    in the running pyLoad before the module's first test (short intervals for the test);
    ``stack_class`` is the stack to start (a subclass that adds something of the module's own).
    """

    name: str
    scenario: Optional[Callable[[], Any]] = None
    options: Sequence[tuple[str, str, Any]] = ()
    stack_class: type[OffcloudPyloadStack] = OffcloudPyloadStack


@contextmanager
def started_stack(
    tmp_path_factory: pytest.TempPathFactory, spec: StackSpec
) -> Iterator[OffcloudPyloadStack]:
    """The stack ``spec`` describes, running; stopped when the block ends."""
    home = tmp_path_factory.mktemp(spec.name)
    scenario = spec.scenario() if spec.scenario is not None else None
    with spec.stack_class(home, scenario=scenario) as running:
        for plugin, option, value in spec.options:
            running.process.set_config_value(plugin, option, value, plugin=True)
        yield running


@pytest.fixture(scope="module")
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OffcloudPyloadStack]:
    """One running stack for the module, as its ``STACK`` says."""
    spec = getattr(request.module, "STACK", None)
    if not isinstance(spec, StackSpec):
        pytest.fail(
            f"{request.module.__name__} uses the stack fixture: give it a STACK = StackSpec"
        )
    with started_stack(tmp_path_factory, spec) as running:
        yield running


# ---------------------------------------------------------------------------------------------
# the simulator's call log


def api_calls(
    stack: OffcloudPyloadStack,
    method: Optional[str] = None,
    path: Optional[str] = None,
    needle: str = "",
    *,
    since: int = 0,
) -> list[Any]:
    """The API calls from call number ``since`` on, of ``method`` and ``path`` (all when None),
    whose body summary contains ``needle``."""
    return [
        call
        for call in stack.simulator.calls[since:]
        if call.kind == "api"
        and (method is None or call.method == method)
        and (path is None or call.path == path)
        and needle in (call.body_summary or "")
    ]


def cloud_adds(stack: OffcloudPyloadStack, needle: str, *, ignore_case: bool = False) -> list[Any]:
    """Every ``POST /api/cloud`` whose body names ``needle`` (a link, an info-hash), refused
    or not; with ``ignore_case``, in any case (a hash may be sent in capitals)."""
    if not ignore_case:
        return api_calls(stack, "POST", "/api/cloud", needle)
    wanted = needle.lower()
    return [
        call
        for call in api_calls(stack, "POST", "/api/cloud")
        if wanted in (call.body_summary or "").lower()
    ]


#: A request id in a path (``/api/cloud/explore/<id>``).
_REQUEST_ID = re.compile(r"/[0-9a-f]{24}(?=/|$)")


def route_of(call: Any) -> str:
    """An API call's route without ``/api/`` and ids: ``cloud``, ``cloud/explore`` ..."""
    path = _REQUEST_ID.sub("", call.path)
    return path[len("/api/") :] if path.startswith("/api/") else path


def call_paths(calls: Sequence[Any]) -> list[str]:
    """``METHOD path status [fault]`` of each call: for assertion messages."""
    return [f"{c.method} {c.path} {c.status}{' ' + c.fault if c.fault else ''}" for c in calls]


def resume_notes(pl: PyloadProcess) -> set[int]:
    """The links the addon noted to restart after a pyLoad restart (offcloud_api.pyload.resume),
    read from pyLoad's database; empty while pyLoad writes it."""
    uri = f"file:{pl.database_path}?mode=ro"
    try:
        with sqlite3.connect(uri, uri=True, timeout=5) as db:
            rows = db.execute(
                "SELECT key FROM storage WHERE identifier=? AND key LIKE 'resume:%'",
                ("OffcloudComHook",),
            ).fetchall()
    except sqlite3.Error:  # pyLoad is writing: ask again
        return set()
    return {int(key.partition(":")[2]) for (key,) in rows}
