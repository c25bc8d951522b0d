"""Offcloud's 2026 host list in a real pyLoad: bare host names, and a list that goes bad.

Offcloud's 2026 ``/api/sites`` was never captured by a probe; what is known (docs/api.md
L17) is that entries may name a host by a bare word (``rapidgator``) and that an empty or odd
list must never switch the multi-hoster off without a word. The simulator's ``live`` profile serves
``[{name, status}]`` with the names the scenario gives.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyload")

from offcloud_api.harness.runner import FINAL_STATUSES, LinkStatus
from offcloud_api.harness.stack import OffcloudPyloadStack
from offcloud_api.simulator import DEMO_API_KEY, expected_sha256, file_sha256

from .conftest import StackSpec

pytestmark = pytest.mark.e2e

DEFAULT_SCENARIO = (
    Path(__file__).parents[2] / "offcloud_api" / "simulator" / "default_scenario.json"
)
# A host Offcloud names by a bare word and pyLoad has no plugin for.
BARE_LINK = "https://files.bareword.test/file/BARE01/bare.bin"
# A host pyLoad has a plugin for (RapidgatorNet), named "rapidgator" in the default scenario.
RAPIDGATOR_LINK = "https://rapidgator.net/file/abc123/demo.bin"


def _scenario() -> dict[str, Any]:
    scenario = json.loads(DEFAULT_SCENARIO.read_text(encoding="utf-8"))
    scenario["sites"].append({"name": "bareword", "hosts": ["files.bareword.test"]})
    scenario["links"].append(
        {"url": BARE_LINK, "file": {"name": "bare.bin", "size": "256 KiB"}, "duration": 1}
    )
    return scenario


STACK = StackSpec("hosts", _scenario)


def _sites_answer(stack: OffcloudPyloadStack) -> Any:
    request = urllib.request.Request(  # noqa: S310 - the simulator's http:// address
        stack.simulator.api_url + "/sites", headers={"Authorization": f"Bearer {DEMO_API_KEY}"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - our simulator
        return json.loads(answer.read())


def test_the_simulator_names_hosts_by_bare_words(stack: OffcloudPyloadStack) -> None:
    sites = _sites_answer(stack)
    assert {"name": "rapidgator", "status": "up"} in sites
    assert {"name": "bareword", "status": "up"} in sites
    assert any(c.kind == "api" and c.path == "/api/sites" for c in stack.simulator.calls)


def test_a_bare_word_with_a_pyload_plugin_becomes_that_plugins_domain(
    stack: OffcloudPyloadStack,
) -> None:
    # pyLoad's own RapidgatorNet keeps its name in the queue but runs Offcloud's downloader.
    assert stack.process.plugin_for(RAPIDGATOR_LINK) == "RapidgatorNet"
    log = stack.process.log_text()
    assert "Overwritten downloaders" in log
    assert "RapidgatorNet" in log.split("Overwritten downloaders", 1)[1].splitlines()[0]


def test_a_bare_word_without_a_plugin_matches_that_host_label_only(
    stack: OffcloudPyloadStack,
) -> None:
    assert stack.process.plugin_for(BARE_LINK) == "OffcloudCom"
    assert stack.process.plugin_for("https://bareword.test/file/x/y.bin") == "OffcloudCom"
    # Not a substring anywhere in a link: another host, or the word in a path, is not Offcloud's.
    assert stack.process.plugin_for("https://notbareword.test/file/x/y.bin") != "OffcloudCom"
    assert stack.process.plugin_for("https://example.com/bareword/y.bin") != "OffcloudCom"


def test_a_link_of_a_bare_named_host_downloads_through_offcloud(
    stack: OffcloudPyloadStack,
) -> None:
    stack.process.add_package("bare", [BARE_LINK])
    stack.process.wait_until(
        lambda pl: any(
            f["package_name"] == "bare" and f["status"] in FINAL_STATUSES for f in pl.files()
        ),
        timeout=60,
    )
    final = next(f for f in stack.process.files() if f["package_name"] == "bare")
    assert final["status"] == LinkStatus.FINISHED, final
    spec = next(link for link in stack.simulator.scenario.links if link.url == BARE_LINK)
    path = stack.process.package_folder("bare") / "bare.bin"
    assert file_sha256(path) == expected_sha256(spec.files[0])
    adds = [
        c
        for c in stack.simulator.calls
        if c.kind == "api" and c.path == "/api/cloud" and "BARE01" in (c.body_summary or "")
    ]
    assert len(adds) == 1


def test_a_failing_host_list_keeps_the_last_good_one_and_says_why(
    stack: OffcloudPyloadStack,
) -> None:
    fault = stack.simulator.inject("server_error", path="/api/sites", status=500)
    asked_before = len([c for c in stack.simulator.calls if c.path == "/api/sites"])
    try:
        # Removing a second login makes the account load the host list again a second later.
        stack.add_account(DEMO_API_KEY, login="second")
        stack.process.remove_account("OffcloudCom", "second")
        stack.process.wait_until(
            lambda pl: "keeping the last good list" in pl.log_text(), timeout=60
        )
        asked_after = len([c for c in stack.simulator.calls if c.path == "/api/sites"])
        assert asked_after > asked_before  # it did ask, and Offcloud failed
        line = next(
            line
            for line in stack.process.log_text().splitlines()
            if "keeping the last good list" in line
        )
        assert "HTTP 500" in line
        stack.process.wait_for_plugin(BARE_LINK, "OffcloudCom", timeout=30)
        assert stack.process.plugin_for(RAPIDGATOR_LINK) == "RapidgatorNet"
    finally:
        stack.simulator.remove_fault(fault)
