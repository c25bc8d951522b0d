"""Account notices in a real pyLoad (issue 13, item 6): said once, through the log and pyLoad's
notification addons, and the days left in pyLoad's API.

Two more logins beside the demo account: one whose plan ends in 3 days (inside the default
``expiry_warning_days`` of 7) and one Offcloud refuses downloads for (``can_download`` false).
A notification addon of the test's own, built on pyLoad's ``Notifier`` like PushOver and the
others, writes what it is sent to a file. The accounts are then refreshed as pyLoad does it, and
pyLoad restarted: still one warning each.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyload")

from offcloud_api.harness.stack import PLUGIN, OffcloudPyloadStack
from offcloud_api.simulator import DEMO_API_KEY, NO_DOWNLOAD_API_KEY

from .conftest import StackSpec

pytestmark = pytest.mark.e2e

DEFAULT_SCENARIO = (
    Path(__file__).parents[2] / "offcloud_api" / "simulator" / "default_scenario.json"
)
SOON_KEY = "SimSoonKey0000000000000000000004"
SOON_DAYS = 3
ENDING = f"premium ends in {SOON_DAYS} days"
REFUSED = "Offcloud refuses downloads right now"
PROBE = "OffcloudNoticeProbe"

# A notification addon as pyLoad's own are made (PushOver: get_key and send on its Notifier base).
PROBE_SOURCE = '''import json

from ..base.notifier import Notifier


class {name}(Notifier):
    __name__ = "{name}"
    __type__ = "addon"
    __version__ = "0.01"
    __status__ = "testing"

    __config__ = [
        ("enabled", "bool", "Activated", True),
        ("exit", "bool", "Notify pyLoad shutdown/restart", False),
        ("sendinterval", "int", "Interval in seconds between notifications", 1),
        ("sendpermin", "int", "Max notifications per minute", 60),
        ("ignoreclient", "bool", "Send notifications if client is connected", True),
    ]

    __description__ = """Test notifier: appends each notification to a file"""
    __license__ = "GPLv3"
    __authors__ = [("offcloud tests", "")]

    def get_key(self):
        return "probe"

    def send(self, event, msg, key):
        with open({path!r}, "a", encoding="utf-8") as fh:
            fh.write(json.dumps([event, msg]) + "\\n")
'''


class StackWithProbe(OffcloudPyloadStack):
    """The stack, with the probe addon installed beside our plugins before pyLoad starts."""

    def __init__(self, home: Path, **kwargs: Any) -> None:
        super().__init__(home, **kwargs)
        self.sent = home / "notifications.jsonl"

    def _install_plugins(self) -> None:
        super()._install_plugins()
        addons = self.process.userdir / "plugins" / "addons"
        addons.mkdir(parents=True, exist_ok=True)
        source = PROBE_SOURCE.format(name=PROBE, path=str(self.sent))
        (addons / f"{PROBE}.py").write_text(source, encoding="utf-8")

    def notifications(self) -> list[list[str]]:
        """``[event, message]`` of each notification about Offcloud the probe was sent."""
        if not self.sent.exists():
            return []
        lines = self.sent.read_text(encoding="utf-8").splitlines()
        sent = [json.loads(line) for line in lines if line.strip()]
        return [entry for entry in sent if str(entry[0]).startswith("Offcloud")]


def _scenario() -> dict[str, Any]:
    scenario = json.loads(DEFAULT_SCENARIO.read_text(encoding="utf-8"))
    scenario["accounts"].append(
        {"key": SOON_KEY, "premium": True, "expires_in_days": SOON_DAYS, "can_download": True}
    )
    return scenario


STACK = StackSpec("notices", _scenario, stack_class=StackWithProbe)


def _pyload_log(stack: StackWithProbe) -> str:
    """pyLoad's own log files (``log_text`` adds the console copy, which repeats each line)."""
    logs = stack.process.userdir / "logs"
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in logs.iterdir())


def test_each_warning_once_in_the_log_and_the_notifier_days_left_in_the_api(
    stack: StackWithProbe,
) -> None:
    # Warned from expiry_warning_days before the end: 2 days is too few for a plan ending in 3.
    stack.process.set_config_value(PLUGIN, "expiry_warning_days", SOON_DAYS - 1, plugin=True)
    stack.add_account(SOON_KEY, login="soon")  # pyLoad reads the account before it answers
    assert ENDING not in _pyload_log(stack)
    stack.process.set_config_value(PLUGIN, "expiry_warning_days", SOON_DAYS, plugin=True)
    stack.add_account(SOON_KEY, login="soon")
    stack.add_account(NO_DOWNLOAD_API_KEY, login="blocked")
    stack.process.wait_until(
        lambda pl: len(stack.notifications()) >= 2, timeout=10, interval=0.2, summary=False
    )
    # pyLoad refreshes accounts on its own (every download start, a refresh through its API,
    # an account saved again, a restart): no warning again.
    stack.process.get_accounts(refresh=True)
    stack.add_account(SOON_KEY, login="soon")
    stack.restart_pyload()
    stack.process.get_accounts(refresh=True)
    stack.add_account(NO_DOWNLOAD_API_KEY, login="blocked")

    log = _pyload_log(stack)
    assert log.count(ENDING) == 1, [line for line in log.splitlines() if "Offcloud account" in line]
    assert log.count(REFUSED) == 1
    assert "WARNING" in next(line for line in log.splitlines() if ENDING in line)
    titles = sorted(event for event, _msg in stack.notifications())
    assert titles == ["Offcloud premium ends soon", "Offcloud refuses downloads"]
    (ending,) = [msg for _event, msg in stack.notifications() if ENDING in msg]
    assert "https://offcloud.com/#/account" in ending
    everything = log + stack.sent.read_text(encoding="utf-8")
    for key in (SOON_KEY, NO_DOWNLOAD_API_KEY, DEMO_API_KEY):
        assert key not in everything

    # The days left through pyLoad's API (the Accounts page shows validuntil as the date).
    accounts = {a["login"]: a for a in stack.process.get_accounts(refresh=False)}
    assert accounts["soon"]["options"]["premium_days_left"] == [str(SOON_DAYS)]
    assert accounts["soon"]["premium"] is True
    assert accounts["demo"]["options"]["premium_days_left"] == ["365"]
    assert len(stack.notifications()) == 2  # nothing came late from the refreshes either
