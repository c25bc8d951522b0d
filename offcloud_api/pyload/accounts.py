"""The Offcloud account in pyLoad: the login the other plugins choose, and what the account
plugin (``plugins/accounts/OffcloudCom.py``) decides: how long Offcloud's answer is reused, what
pyLoad is told of the plan, and which account notices are due."""

from __future__ import annotations

import calendar
import hashlib
import threading
import time
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable, Optional

from ..models import AccountInfo
from . import notices
from .ippause import account_key
from .jobs import JobStore
from .storage import ip_notice_key, notice_key

__all__ = [
    "ACCOUNT_PLUGIN",
    "INFO_REUSE_SECONDS",
    "AccountInfoCache",
    "AccountNotices",
    "Standing",
    "choose_account",
    "no_account_message",
    "options_with_days_left",
    "standing",
]

#: The account plugin every Offcloud plugin uses (the decrypters' own names differ from it).
ACCOUNT_PLUGIN = "OffcloudCom"
#: How long an account answer is reused. pyLoad asks for account info on every download start
#: (select() refreshes every login); one call per 10 minutes is plenty for a plan's state.
INFO_REUSE_SECONDS = 600.0


def choose_account(account_manager: Any) -> Any:
    """The Offcloud account plugin with a usable login chosen, or ``None``.

    pyLoad's ``choose()`` asks ``select()``: premium logins first, then valid, unexpired ones with
    traffic left, least recently used first (never simply the first login). The decrypters'
    class names differ from the account's, so pyLoad would not find it for them by itself.
    """
    plugin = account_manager.get_account_plugin(ACCOUNT_PLUGIN)
    if not plugin or not plugin.choose():
        return None
    return plugin


def no_account_message(account_manager: Any) -> str:
    """Why no Offcloud login could be chosen, as the account plugin last found it."""
    plugin = account_manager.get_account_plugin(ACCOUNT_PLUGIN)
    reason = getattr(plugin, "blocked_reason", None) if plugin else None
    return str(
        reason
        or "No usable Offcloud account: add one in Settings, Accounts (type OffcloudCom) with "
        "your API key as the password"
    )


def _digest(api_key: str) -> str:
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


class AccountInfoCache:
    """Offcloud's answers about accounts, per login and key, reused for ``ttl`` seconds."""

    def __init__(
        self, ttl: float = INFO_REUSE_SECONDS, clock: Callable[[], float] = time.time
    ) -> None:
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[tuple[Optional[str], str], tuple[float, AccountInfo]] = {}

    def get(
        self, login: Optional[str], api_key: str, fetch: Callable[[], AccountInfo]
    ) -> AccountInfo:
        """The answer for ``login`` with ``api_key``: a fresh one reused, else ``fetch()``'s.

        Keyed by login and key: a login re-added with another key must not get the old answer.
        """
        key = (login, _digest(api_key))
        entry = self._entries.get(key)
        if entry is not None and self._clock() - entry[0] < self._ttl:
            return entry[1]
        info = fetch()
        self._entries[key] = (self._clock(), info)
        return info

    def api_generation(self, api_key: str) -> Optional[str]:
        """What the account check learned of this key's API (``"2026"`` or ``"legacy"``), so the
        plugins call no route that API lacks (such as instant on 2026); None before a check."""
        digest = _digest(api_key.strip())
        for (_login, key_digest), (_at, info) in list(self._entries.items()):
            if key_digest == digest:
                return info.api_generation
        return None

    def forget(self) -> None:
        """Drop every answer: the next login asks Offcloud (after a rejected key, say)."""
        self._entries = {}


@dataclass(frozen=True)
class Standing:
    """What pyLoad is told of the plan (its account info fields) and why it may not be used."""

    premium: bool
    validuntil: int  # epoch seconds; -1: no end known
    trafficleft: Optional[int]  # -1: unlimited; 0: pyLoad skips the account; None: no plan
    blocked_reason: Optional[str]


def standing(info: AccountInfo) -> Standing:
    """The account as pyLoad should see it: premium while a plan runs, blocked (no traffic left)
    when Offcloud says it cannot download, with the reason a user reads."""
    validuntil = -1
    if info.expiration is not None:
        # Offcloud gives a day; the account is valid through its end (UTC).
        validuntil = calendar.timegm(info.expiration.timetuple()) + 86399
    premium = info.is_premium and not info.is_expired
    if premium and not info.can_download:
        reason: Optional[str] = (
            "Offcloud reports this account cannot download right now: check "
            "https://offcloud.com/#/account for an unpaid plan, a lock or an IP to confirm"
        )
        return Standing(premium, validuntil, 0, reason)  # pyLoad skips accounts with no traffic
    if not premium:
        reason = (
            f"Your Offcloud premium expired on {info.expiration.isoformat()}"
            if info.expiration is not None
            else "This Offcloud account has no premium plan"
        )
        return Standing(premium, validuntil, None, reason)
    return Standing(premium, validuntil, -1, None)


def options_with_days_left(
    options: Any, state: notices.AccountState, today: date
) -> dict[str, Any]:
    """The login's options with the days the plan has left (for pyLoad's API, get_accounts;
    the Accounts page shows validuntil as the date and has no place for more)."""
    updated = dict(options or {})
    left = notices.days_left_option(state, today)
    if left is None:
        updated.pop(notices.DAYS_LEFT_OPTION, None)
    else:
        updated[notices.DAYS_LEFT_OPTION] = left
    return updated


class AccountNotices:
    """Which account notices are due, remembered in the account's pyLoad storage (``store``).

    pyLoad refreshes the account at every download start: each notice is given once per fact
    (:func:`.notices.decide`), not once per link or refresh, and a restart does not repeat it.
    """

    def __init__(self, store: JobStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._remembered: dict[str, notices.Remembered] = {}

    def due(
        self,
        state: notices.AccountState,
        *,
        user_id: Optional[str],
        api_key: str,
        today: date,
        warn_days: Any,
        label: str,
    ) -> list[notices.Notice]:
        """The notices ``state`` calls for now (what they say is remembered at once)."""
        key = notice_key(user_id, api_key)
        with self._lock:
            remembered = self._remembered.get(key)
            if remembered is None:
                remembered = notices.Remembered.from_stored(self._store.retrieve(key))
            due, now = notices.decide(
                remembered,
                state,
                today=today,
                warn_days=notices.warning_days(warn_days),
                label=label,
                secrets=(api_key, api_key.strip()),
            )
            if now != remembered:
                self._store.store(key, now.to_stored())
            self._remembered[key] = now
        return due

    @staticmethod
    def _ip_key(login: Optional[str]) -> str:
        return ip_notice_key(account_key(login))

    def ip_refused_news(self, login: Optional[str]) -> bool:
        """Whether Offcloud refusing this IP is news for ``login`` (then it is noted as said)."""
        key = self._ip_key(login)
        with self._lock:
            if self._store.retrieve(key):
                return False
            self._store.store(key, True)
        return True

    def ip_notice_given(self, login: Optional[str]) -> bool:
        """Whether the IP notice was given (before a pyLoad restart, say) and still stands."""
        return bool(self._store.retrieve(self._ip_key(login)))

    def ip_accepted(self, login: Optional[str]) -> None:
        """A download worked: a later IP refusal is news again."""
        self._store.delete(self._ip_key(login))
