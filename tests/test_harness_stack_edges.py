"""OffcloudPyloadStack's parts that need no pyLoad: the key, the guards, the install step."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from offcloud_api.harness.stack import ACCOUNT_LOGIN, PLUGIN, OffcloudPyloadStack
from offcloud_api.simulator import DEMO_API_KEY


def test_the_key_is_the_given_one_or_the_simulators_demo_key(tmp_path: Path) -> None:
    assert OffcloudPyloadStack(tmp_path).api_key == DEMO_API_KEY
    assert OffcloudPyloadStack(tmp_path, api_key="MY-KEY").api_key == "MY-KEY"


def test_a_stack_that_is_not_started_says_so(tmp_path: Path) -> None:
    stack = OffcloudPyloadStack(tmp_path)
    with pytest.raises(RuntimeError, match="the stack is not started"):
        stack.account()
    stack.stop()  # nothing to stop: no error


class _Accounts:
    """What ``account`` asks of pyLoad: its accounts."""

    def __init__(self, accounts: list[dict[str, Any]]) -> None:
        self.accounts = accounts

    def get_accounts(self, refresh: bool = False) -> list[dict[str, Any]]:
        return self.accounts


def test_an_account_pyload_does_not_list_is_a_lookup_error(tmp_path: Path) -> None:
    stack = OffcloudPyloadStack(tmp_path)
    ours = {"type": PLUGIN, "login": ACCOUNT_LOGIN, "valid": True}
    stack.pyload = _Accounts([{"type": "Other", "login": ACCOUNT_LOGIN}, ours])  # type: ignore[assignment]
    assert stack.account() == ours
    with pytest.raises(LookupError, match=f"no {PLUGIN} account 'someone'"):
        stack.account("someone")


def test_a_failed_plugin_install_shows_the_clis_output(tmp_path: Path) -> None:
    userdir = tmp_path / "userdir"
    theirs = userdir / "plugins" / "accounts" / f"{PLUGIN}.py"
    theirs.parent.mkdir(parents=True)
    theirs.write_text("# someone else's plugin\n", encoding="utf-8")
    stack = OffcloudPyloadStack(tmp_path)
    stack.pyload = SimpleNamespace(userdir=userdir, python=Path(sys.executable))  # type: ignore[assignment]
    with pytest.raises(RuntimeError, match="offcloud pyload install failed") as failed:
        stack._install_plugins()
    assert "was not written by this installer" in str(failed.value)
    assert theirs.read_text(encoding="utf-8") == "# someone else's plugin\n"
