"""Choosing the Offcloud login for the plugins that are not the account's own class."""

from __future__ import annotations

from typing import Any

#: The account plugin every Offcloud plugin uses (the decrypters' own names differ from it).
ACCOUNT_PLUGIN = "OffcloudCom"


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
