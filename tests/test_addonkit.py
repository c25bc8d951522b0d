"""What the addons share: the key by pyLoad's account selection, masking, the serial worker."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any, Optional

from offcloud_api.pyload.addonkit import (
    SerialWorker,
    account_keys,
    has_account,
    masked,
    select_key,
)

KEY_A = "KeyA0000000000000000000000000001"
KEY_B = "KeyB0000000000000000000000000002"


class FakeAccount:
    """pyLoad's account plugin as far as the addons use it."""

    def __init__(self, accounts: dict[str, Any], chosen: Optional[str]) -> None:
        self.accounts = accounts
        self.chosen = chosen
        self.selects = 0

    def select(self) -> tuple[Optional[str], Optional[dict[str, Any]]]:
        self.selects += 1
        return (self.chosen, {}) if self.chosen else (None, None)


def core_with(plugin: Any) -> Any:
    manager = SimpleNamespace(
        get_account_plugin=lambda name: plugin if name == "OffcloudCom" else 0
    )
    return SimpleNamespace(account_manager=manager)


def test_the_key_is_the_one_pyloads_selection_chooses_not_the_first() -> None:
    plugin = FakeAccount(
        {"first": {"password": KEY_A, "valid": True}, "second": {"password": f" {KEY_B} "}},
        chosen="second",
    )
    assert select_key(core_with(plugin)) == KEY_B
    assert plugin.selects == 1


def test_no_key_without_a_usable_account() -> None:
    assert select_key(core_with(FakeAccount({"a": {"password": KEY_A}}, chosen=None))) is None
    assert select_key(core_with(FakeAccount({"a": {"password": "  "}}, chosen="a"))) is None
    assert select_key(core_with(FakeAccount({}, chosen="ghost"))) is None
    assert select_key(core_with(None)) is None
    assert select_key(SimpleNamespace()) is None


def test_an_account_counts_unless_known_invalid_or_without_a_key() -> None:
    assert has_account(core_with(FakeAccount({"a": {"password": KEY_A, "valid": None}}, None)))
    assert not has_account(core_with(FakeAccount({"a": {"password": KEY_A, "valid": False}}, None)))
    assert not has_account(core_with(FakeAccount({"a": {"password": ""}}, None)))
    assert not has_account(core_with(None))


def test_a_broken_account_plugin_means_no_account() -> None:
    def boom(name: str) -> Any:
        raise RuntimeError("plugin failed to load")

    core = SimpleNamespace(account_manager=SimpleNamespace(get_account_plugin=boom))
    assert not has_account(core)
    assert select_key(core) is None
    assert account_keys(core) == []


def test_every_key_is_masked_in_log_arguments() -> None:
    plugin = FakeAccount({"a": {"password": KEY_A + " "}, "b": {"password": KEY_B}}, None)
    keys = account_keys(core_with(plugin))
    assert set(keys) == {KEY_A + " ", KEY_A, KEY_B}
    args = masked((f"key {KEY_A} in text", {"auth": KEY_B}, 42, "?key=abc&x=1"), keys)
    text = " ".join(args)
    assert KEY_A not in text
    assert KEY_B not in text
    assert "abc" not in text  # credential-looking values go too
    assert args[2] == "42"


def test_the_worker_runs_tasks_in_order_and_survives_a_failure() -> None:
    errors: list[BaseException] = []
    worker = SerialWorker("test-worker", errors.append)
    seen: list[int] = []
    threads: set[str] = set()

    def task(n: int) -> None:
        threads.add(threading.current_thread().name)
        if n == 2:
            raise ValueError("two")
        seen.append(n)

    for n in range(5):
        assert worker.submit(lambda n=n: task(n))
    assert worker.join(5)
    assert seen == [0, 1, 3, 4]
    assert [str(e) for e in errors] == ["two"]
    assert threads == {"test-worker"}
    worker.stop()
    assert not worker.submit(lambda: seen.append(99))
    assert not worker.join(0.1)
    time.sleep(0.05)
    assert 99 not in seen


def test_stop_drops_tasks_not_started_yet() -> None:
    worker = SerialWorker("test-worker-2", lambda exc: None)
    gate, started = threading.Event(), threading.Event()
    ran: list[str] = []
    worker.submit(lambda: (started.set(), gate.wait(5), ran.append("first")))
    worker.submit(lambda: ran.append("second"))
    assert started.wait(5)
    worker.stop()
    gate.set()
    time.sleep(0.2)
    assert ran == ["first"]
