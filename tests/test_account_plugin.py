"""The account plugin's glue, driven with pyLoad's own base classes and stand-ins (no Core)."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

pytest.importorskip("pyload")

import pyload.core.utils.web.parse  # noqa: F401 - breaks pyLoad's import cycle first
from pyload.plugins.base.multi_account import MultiAccount

from offcloud_api.install import installer
from offcloud_api.pyload.hostlist import HOST_LIST_RETRY_SECONDS


def _account_class() -> Any:
    source = next(
        p for f, p in installer.shipped_files() if f == "accounts" and p.stem == "OffcloudCom"
    )
    spec = importlib.util.spec_from_file_location("pyload.plugins.accounts.OffcloudCom", source)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.OffcloudCom


class Periodical:
    def __init__(self) -> None:
        self.interval = 3.0

    def set_interval(self, value: float) -> bool:
        self.interval = value
        return True


def _account(logged: list[tuple[str, tuple[Any, ...]]]) -> Any:
    account = object.__new__(_account_class())
    account.accounts = {"demo": {"valid": True, "premium": True}}
    account.user = "demo"
    account.periodical = Periodical()
    account._ = lambda text: text
    account.log_warning = lambda *args: logged.append(("warning", args))
    account.log_debug = lambda *args: logged.append(("debug", args))
    return account


def test_an_exception_in_the_host_list_refresh_is_retried_soon(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # pyLoad's periodical task would end for good on this exception (docs/pyload.md §2.2).
    def fails(self: Any, refresh: bool = False) -> None:
        raise KeyError("data")

    monkeypatch.setattr(MultiAccount, "reactivate", fails)
    logged: list[tuple[str, tuple[Any, ...]]] = []
    account = _account(logged)
    assert account.reactivate(refresh=True) is None
    assert account.periodical.interval == HOST_LIST_RETRY_SECONDS
    warnings = [args for kind, args in logged if kind == "warning"]
    assert len(warnings) == 1
    assert "trying again in 10 s" in warnings[0][0]
    assert any("KeyError" in args[0] for kind, args in logged if kind == "debug")


def test_a_refresh_that_works_keeps_pyloads_schedule(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bool] = []

    def works(self: Any, refresh: bool = False) -> str:
        calls.append(refresh)
        return "done"

    monkeypatch.setattr(MultiAccount, "reactivate", works)
    logged: list[tuple[str, tuple[Any, ...]]] = []
    account = _account(logged)
    assert account.reactivate(refresh=True) == "done"
    assert calls == [True]
    assert account.periodical.interval == 3.0
    assert logged == []
