"""What the Offcloud addons (``hooks/``) need from pyLoad and share: the key, masking, a worker.

Addons have no account of their own: pyLoad's account selection (``select()``, which skips invalid,
expired and exhausted accounts and prefers premium and least recently used ones) picks the Offcloud
account, never "the first in the dict". pyLoad masks an account's key in a plugin's log lines only
when that plugin has ``self.account`` set (docs/pyload.md §4.1), which an addon does not, so the
addons mask every Offcloud key themselves with :func:`masked`.

Addon event handlers run on pyLoad's download and web threads, some of them under pyLoad's locks;
Offcloud calls therefore go to a :class:`SerialWorker`, one background thread per addon.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Callable, Optional, Protocol

from ..client import OffcloudAPI
from ..redact import log_safe, redact
from .accounts import ACCOUNT_PLUGIN
from .notices import cloud_full
from .transport import client_for

__all__ = [
    "Addon",
    "AddonGlue",
    "SerialWorker",
    "account_keys",
    "client_factory",
    "exiting",
    "has_account",
    "masked",
    "notify_cloud_full",
    "open_client",
    "select_key",
]

log = logging.getLogger(__name__)


def _account_plugin(core: Any) -> Any:
    manager = getattr(core, "account_manager", None)
    if manager is None:
        return None
    try:
        return manager.get_account_plugin(ACCOUNT_PLUGIN)
    except Exception:  # pyLoad could not load the plugin; the addons then do nothing
        log.debug("no Offcloud account plugin", exc_info=True)
        return None


def _entries(plugin: Any) -> dict[str, Any]:
    accounts = getattr(plugin, "accounts", None)
    return dict(accounts) if isinstance(accounts, dict) else {}


def has_account(core: Any) -> bool:
    """Whether an Offcloud account is set up and not known to be invalid (no network call)."""
    return any(
        isinstance(entry, dict) and entry.get("valid") is not False and entry.get("password")
        for entry in _entries(_account_plugin(core)).values()
    )


def account_keys(core: Any) -> list[str]:
    """Every Offcloud key pyLoad knows (the accounts' password fields), for masking."""
    keys: list[str] = []
    for entry in _entries(_account_plugin(core)).values():
        password = entry.get("password") if isinstance(entry, dict) else None
        if isinstance(password, str) and password.strip():
            keys.extend({password, password.strip()})
    return keys


def select_key(core: Any) -> Optional[str]:
    """The key of the account pyLoad's ``select()`` chooses, or ``None`` when none is usable."""
    plugin = _account_plugin(core)
    if plugin is None:
        return None
    user, _info = plugin.select()
    if user is None:
        return None
    entry = _entries(plugin).get(user)
    password = entry.get("password") if isinstance(entry, dict) else None
    return password.strip() if isinstance(password, str) and password.strip() else None


class Addon(Protocol):
    """What the library's addon parts need of the pyLoad addon they work for (``self``)."""

    pyload: Any

    def log_debug(self, *args: Any) -> Any: ...

    def log_info(self, *args: Any) -> Any: ...

    def log_warning(self, *args: Any) -> Any: ...


def exiting(core: Any) -> bool:
    """Whether pyLoad is shutting down (its ``exiting`` flag)."""
    return bool(getattr(core, "exiting", False))


def client_factory(addon: Addon) -> Optional[Callable[[], OffcloudAPI]]:
    """What opens clients on the key pyLoad's account selection picks now, through the addon's
    pyLoad network settings; ``None`` when no Offcloud account is usable. The clients' calls
    end when pyLoad exits."""
    key = select_key(addon.pyload)
    if key is None:
        return None
    return lambda: client_for(addon, key, lambda: exiting(addon.pyload))


def open_client(addon: Addon) -> Optional[OffcloudAPI]:
    """One client on the selected key (:func:`client_factory`); ``None``: no usable account."""
    factory = client_factory(addon)
    return factory() if factory is not None else None


def notify_cloud_full(core: Any) -> None:
    """The one notice of a full spell (:mod:`.cloudroom`), given through the account plugin."""
    account = _account_plugin(core)
    give = getattr(account, "offcloud_notice", None)
    if give is not None:
        label = getattr(account, "user", None) or ""
        give(cloud_full(label, secrets=account_keys(core)))


if TYPE_CHECKING:

    class PyloadAddon:
        """What :class:`AddonGlue` uses of pyLoad's addon class (for mypy: pyLoad is untyped)."""

        pyload: Any

        def _log(
            self, level: str, plugintype: str, pluginname: str, args: Any, kwargs: Any
        ) -> Any: ...

else:
    PyloadAddon = object


class AddonGlue(PyloadAddon):
    """The first base of every Offcloud addon class (``class OffcloudComHook(AddonGlue, ...)``)."""

    def _log(self, level: str, plugintype: str, pluginname: str, args: Any, kwargs: Any) -> Any:
        # Addons have no self.account, so pyLoad would not mask the key: masked() does.
        args = masked(args, account_keys(self.pyload))
        return super()._log(level, plugintype, pluginname, args, kwargs)

    def _exiting(self) -> bool:
        return exiting(self.pyload)


def masked(args: Sequence[Any], secrets: Sequence[str]) -> tuple[Any, ...]:
    """Log arguments with every secret, credential-looking value, signed file link and removal
    URL masked."""
    return tuple(
        log_safe(redact(arg if isinstance(arg, str) else str(arg), secrets)) for arg in args
    )


class SerialWorker:
    """Runs submitted callables one after another on a daemon thread of its own.

    ``on_error`` receives what a callable raised (the worker goes on with the next one). A daemon
    thread, so an Offcloud call in flight never holds pyLoad's exit.
    """

    def __init__(self, name: str, on_error: Callable[[BaseException], None]) -> None:
        self._name = name
        self._on_error = on_error
        self._queue: queue.Queue[Optional[Callable[[], None]]] = queue.Queue()
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()
        self._stopped = False

    def submit(self, task: Callable[[], None]) -> bool:
        """Queue ``task``; ``False`` once the worker is stopped."""
        with self._lock:
            if self._stopped:
                return False
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._queue.put(task)
            return True

    def stop(self) -> None:
        """Stop after the task in progress; queued tasks are dropped."""
        with self._lock:
            self._stopped = True
            self._queue.put(None)

    def join(self, timeout: Optional[float] = None) -> bool:
        """Wait until every task queued so far ran; ``False`` on timeout (or once stopped)."""
        done = threading.Event()
        return self.submit(done.set) and done.wait(timeout)

    def _run(self) -> None:
        while True:
            task = self._queue.get()
            if task is None or self._stopped:
                return
            try:
                task()
            except Exception as exc:  # noqa: BLE001 - reported; the next task still runs
                self._on_error(exc)
