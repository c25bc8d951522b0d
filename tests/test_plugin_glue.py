"""The typed helpers the plugin files call with pyLoad objects, tried with stand-ins for them.

The real thing runs in tests/e2e; these pin what each helper asks of pyLoad and what it does with
the answer.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Optional

import pytest

from offcloud_api.exceptions import (
    AuthError,
    FileOfflineError,
    OffcloudError,
    RateLimitError,
    WaitAbortedError,
)
from offcloud_api.models import Job, JobStatus
from offcloud_api.pyload.accounts import choose_account, no_account_message
from offcloud_api.pyload.outcomes import apply_outcome
from offcloud_api.pyload.packages import add_packages
from offcloud_api.pyload.progress import show_progress


class FakePackage:
    def __init__(self, folder: str = "", password: str = "", queue: int = 1) -> None:
        self._folder = folder
        self.password = password
        self.queue = queue
        self.synced = 0

    @property
    def folder(self) -> str:
        return self._folder

    def sync(self) -> None:
        self.synced += 1


class FakeCore:
    """pyLoad's core as add_packages sees it: its API and its file manager."""

    def __init__(self) -> None:
        self.packages: dict[int, FakePackage] = {}
        self.added: list[tuple[str, list[str], int]] = []
        self.data: list[tuple[int, dict[str, Any]]] = []
        self.saves = 0
        self.api = SimpleNamespace(
            add_package=self._add_package,
            set_package_data=lambda pid, data: self.data.append((pid, data)),
        )
        self.files = SimpleNamespace(get_package=self.packages.__getitem__, save=self._save)

    def _add_package(self, name: str, links: list[str], queue: int) -> int:
        self.added.append((name, links, queue))
        package_id = len(self.added)
        # pyLoad's API would flatten the folder; add_packages must set its own.
        self.packages[package_id] = FakePackage(folder=name.replace("/", ""))
        return package_id

    def _save(self) -> None:
        self.saves += 1


PLANS = [
    ("Demo.Release", ["https://a/1"], "Demo.Release"),
    ("Demo.Release/Sub", ["https://a/2", "https://a/3"], "Demo.Release/Sub"),
]


def test_packages_keep_nested_folders_queue_and_password() -> None:
    core = FakeCore()
    source = FakePackage(folder="source", password="secret", queue=0)
    lines: list[str] = []
    ids = add_packages(core, PLANS, source=source, per_package=True, log=lines.append)
    assert ids == [1, 2]
    assert core.added == [
        ("Demo.Release", ["https://a/1"], 0),
        ("Demo.Release/Sub", ["https://a/2", "https://a/3"], 0),
    ]
    assert [core.packages[i].folder for i in ids] == ["Demo.Release", "Demo.Release/Sub"]
    assert all(core.packages[i].synced == 1 for i in ids)
    assert core.saves == 2
    assert core.data == [(1, {"password": "secret"}), (2, {"password": "secret"})]
    assert lines[1] == "Package Demo.Release/Sub: 2 links, folder Demo.Release/Sub"


def test_without_folder_per_package_files_go_to_the_source_folder() -> None:
    core = FakeCore()
    lines: list[str] = []
    add_packages(core, PLANS, source=FakePackage(folder=""), per_package=False, log=lines.append)
    assert [core.packages[i].folder for i in (1, 2)] == ["", "Sub"]
    assert core.data == []  # no password to copy
    assert lines[0] == "Package Demo.Release: 1 links, folder (storage folder)"


def test_a_folder_cannot_climb_out_of_the_storage_folder() -> None:
    core = FakeCore()
    add_packages(
        core,
        [("x", ["https://a/1"], "../../etc/x/../cron.d")],
        source=FakePackage(),
        per_package=True,
        log=lambda _line: None,
    )
    assert core.packages[1].folder == "etc/x/cron.d"


class FakeAccounts:
    def __init__(self, plugin: Any) -> None:
        self.plugin = plugin
        self.asked: list[str] = []

    def get_account_plugin(self, name: str) -> Any:
        self.asked.append(name)
        return self.plugin


class FakeAccountPlugin:
    def __init__(self, chosen: bool, blocked_reason: Optional[str] = None) -> None:
        self.chosen = chosen
        self.blocked_reason = blocked_reason
        self.choices = 0

    def choose(self, user: Optional[str] = None) -> bool:
        assert user is None, "the login must come from pyLoad's select(), not from us"
        self.choices += 1
        return self.chosen


def test_the_account_is_chosen_by_pyload_among_the_offcloud_logins() -> None:
    usable = FakeAccountPlugin(chosen=True)
    manager = FakeAccounts(usable)
    assert choose_account(manager) is usable
    assert manager.asked == ["OffcloudCom"]
    assert usable.choices == 1
    assert choose_account(FakeAccounts(FakeAccountPlugin(chosen=False))) is None
    assert choose_account(FakeAccounts(None)) is None


def test_without_an_account_the_message_says_why() -> None:
    blocked = FakeAccounts(FakeAccountPlugin(chosen=False, blocked_reason="Premium expired"))
    assert no_account_message(blocked) == "Premium expired"
    assert "API key as the password" in no_account_message(FakeAccounts(None))


def test_progress_goes_to_the_link() -> None:
    seen: list[Any] = []
    pyfile = SimpleNamespace(set_custom_status=seen.append, set_progress=seen.append)
    show_progress(pyfile, Job(request_id="r", status=JobStatus.DOWNLOADING, progress=0.42))
    assert seen == ["Offcloud downloading, 42 %", 42]
    seen.clear()
    show_progress(pyfile, Job(request_id="r", status=JobStatus.QUEUED))
    assert seen == ["Offcloud queued"]


class PyloadCallError(Exception):
    """What a fake pyLoad call raises, naming the call."""


class FakePlugin:
    def __init__(self) -> None:
        self.logged: list[str] = []
        self.pyfile = SimpleNamespace(error="")
        self.account = SimpleNamespace(
            relogin=lambda: self.logged.append("relogin"),
            forget_account_info=lambda: self.logged.append("forget"),
        )

    def log_warning(self, text: str) -> None:
        self.logged.append(text)

    def abort(self) -> None:
        raise PyloadCallError("abort")

    def offline(self) -> None:
        raise PyloadCallError("offline")

    def retry(self, attempts: int, wait: int, msg: str, msgfail: str) -> None:
        raise PyloadCallError(f"retry {attempts} {wait}")

    def fail(self, msg: str) -> None:
        raise PyloadCallError(f"fail {msg}")


@pytest.mark.parametrize(
    ("error", "call"),
    [
        (WaitAbortedError("stop"), "abort"),
        (FileOfflineError("gone"), "offline"),
        (RateLimitError("slow", retry_after=7), "retry 10 7"),
        (OffcloudError("odd"), "fail Offcloud error: odd"),
    ],
)
def test_apply_outcome_does_what_the_table_says(error: OffcloudError, call: str) -> None:
    plugin = FakePlugin()
    with pytest.raises(PyloadCallError, match=f"^{call}$"):
        apply_outcome(plugin, error)
    assert plugin.logged


def test_a_rejected_key_makes_pyload_log_in_again_then_fails() -> None:
    plugin = FakePlugin()
    with pytest.raises(PyloadCallError, match=r"^fail Offcloud rejected the API key"):
        apply_outcome(plugin, AuthError("NOAUTH", status=401))
    # The account's reused answer is dropped first, so the login really asks Offcloud.
    assert plugin.logged.index("forget") < plugin.logged.index("relogin")


def test_an_offline_link_keeps_the_reason_on_the_link() -> None:
    plugin = FakePlugin()
    with pytest.raises(PyloadCallError, match=r"^offline$"):
        apply_outcome(plugin, FileOfflineError("The file is not available on the server."))
    assert plugin.pyfile.error.startswith("File offline: The file is not available")
