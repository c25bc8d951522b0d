"""Offcloud refuses downloads from this IP for a while (issue 19, item 2; docs/api.md L24).

A real pyLoad with the plugins and the simulator (live profile). The simulator refuses every file
download for a window (its ``ip_refused`` fault: 403 with Offcloud's text, or a bare 403 without
a body, as pyLoad may hand it over); a hoster link and a cached two-file magnet are added at its
start. The account pauses: the links wait saying "IP" (read from pyLoad's queue while it waits),
one probe per ``ip_check`` interval finds out when the IP is accepted, and then every file arrives
intact; no link fails, and the API calls of the window are few (printed). The drill itself is
``bench/ip_refused.py``, which also runs the full 45 s acceptance once.

One pyLoad serves both cases (each with links of its own), with a short window and interval.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyload")

from offcloud_api.harness.stack import OffcloudPyloadStack

from .conftest import StackSpec

pytestmark = pytest.mark.e2e

BENCH = Path(__file__).parents[2] / "bench" / "ip_refused.py"
#: Downloads are refused this long; the probe interval is short so the test stays short.
WINDOW = 12.0
IP_CHECK = 3
#: API calls allowed from the first refused download to the end of the window: the hoster
#: link's own poll and explore (its job may finish just then), and, for a bare 403, one explore
#: for each link refused before the account paused (pyLoad runs 3 downloads at once). Not one
#: more while the pause lasts, however long the window.
MAX_API_CALLS_IN_WINDOW = 5


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location("ip_refused_bench", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


BENCH_MODULE = _bench()


#: How the refused downloads answer: Offcloud's JSON text (pyLoad leaves it in the chunk file,
#: where the downloader reads it back), or a bare 403 without a body (docs/pyload.md §4).
BODIES = {"json": "body-seen", "empty": "bare-403"}
DRILLS = {body: BENCH_MODULE.DrillLinks(tag=tag) for body, tag in zip(BODIES, "ab")}


STACK = StackSpec(
    "ip-refused",
    lambda: BENCH_MODULE.scenario(*DRILLS.values()),
    options=[("OffcloudCom", "ip_check", IP_CHECK)],
)


@pytest.mark.parametrize("body", list(BODIES), ids=list(BODIES.values()))
def test_a_refused_ip_pauses_the_account_and_every_file_arrives(
    stack: OffcloudPyloadStack, body: str
) -> None:
    figures = BENCH_MODULE.drill(
        stack, window=WINDOW, timeout=90, ip_check=IP_CHECK, links=DRILLS[body], body=body
    )
    print(BENCH_MODULE.report(figures))  # noqa: T201 - the figures, for the record

    assert figures.files == BENCH_MODULE.LINKS
    assert figures.intact == BENCH_MODULE.LINKS, "every file arrives with its exact bytes"
    assert figures.not_finished == []  # no link fails
    assert figures.refused_downloads >= 1, "the refusal must have been met"
    # The links said "IP" while waiting, and what to do.
    assert figures.samples_waiting >= 1, figures
    assert figures.waiting_messages, figures
    for message in figures.waiting_messages:
        assert "Offcloud refuses downloads from this IP address" in message, message
        assert "https://offcloud.com/#/account" in message
        assert "resume by themselves" in message
    # No storm: a few explores at the start of the pause, then nothing but cheap probes.
    assert figures.api_in_window_total <= MAX_API_CALLS_IN_WINDOW, figures.api_in_window
    assert "cloud" not in figures.api_in_window, "no job is added while the account pauses"
    assert 1 <= figures.probes <= WINDOW / IP_CHECK + 2
    # The files come promptly once the IP is accepted: within a probe interval and the
    # downloads themselves, not a minute later.
    assert figures.after_window_s <= IP_CHECK + 20, figures.after_window_s
    assert figures.notices == 1  # the user is told once
