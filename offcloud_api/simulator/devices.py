"""The OAuth device flow's state (docs/api.md §1.4): device codes, their polls, access tokens.

:class:`DeviceFlow` is the part of :class:`~.state.SimState` that starts, polls and decides
device codes; it shares the state's lock, clock, id counter and accounts.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from dataclasses import dataclass
from typing import Any, Optional

from .records import SimClock
from .scenario import Scenario

__all__ = ["DEVICE_OUTCOMES", "Device", "DeviceFlow"]

#: Seconds a ``slow_down`` adds to a device code's interval (RFC 8628 §3.5).
SLOW_DOWN_STEP = 5.0
#: How much sooner than its interval a poll may come before it is too fast (clock jitter).
POLL_TOLERANCE = 0.05
#: What a device code's poll answers (``/oauth/token``): an OAuth error, or ``token``.
DEVICE_OUTCOMES = (
    "authorization_pending",
    "slow_down",
    "access_denied",
    "expired_token",
    "invalid_grant",
    "token",
)


@dataclass
class Device:
    """An OAuth device-code grant in progress (docs/api.md §1.4).

    ``decision`` is the scenario's (``approve``, ``deny``, ``none``); ``forced`` is what the
    control API made the user do (``approve``, ``deny`` or ``expire``), which wins at once.
    """

    device_code: str
    user_code: str
    account_key: str
    created_at: float
    approve_after: float
    expires_in: float
    interval: float = 5.0
    pending_polls: int = 0
    decision: str = "approve"
    slow_down_polls: tuple[int, ...] = ()
    enforce_interval: bool = True
    polls: int = 0
    pending_answered: int = 0
    last_poll: Optional[float] = None
    forced: Optional[str] = None
    token: Optional[str] = None

    def state(self, now: float) -> str:
        """``approved`` (a token was issued), ``denied``, ``expired`` or ``pending``."""
        if self.token is not None:
            return "approved"
        if self.forced == "expire" or now - self.created_at > self.expires_in:
            return "expired"
        if self.forced == "deny" or (self.decision == "deny" and self._user_acted(now)):
            return "denied"
        return "pending"

    def _user_acted(self, now: float) -> bool:
        """Whether the scenario's user has decided by now (time and polls both passed)."""
        return (
            now - self.created_at >= self.approve_after
            and self.pending_answered >= self.pending_polls
        )

    def approves(self, now: float) -> bool:
        if not self.account_key:
            return False
        return self.forced == "approve" or (self.decision == "approve" and self._user_acted(now))


class DeviceFlow:
    """Device codes and the access tokens they give (a part of :class:`~.state.SimState`)."""

    lock: threading.RLock
    clock: SimClock
    scenario: Scenario
    devices: dict[str, Device]
    access_tokens: dict[str, str]

    def _next_id(self, salt: str) -> str:
        """A fresh id from the state's one counter (:meth:`.state.SimState._next_id`)."""
        raise NotImplementedError

    def start_device(self) -> Device:
        options = self.scenario.oauth
        with self.lock:
            ref = options.account or (
                self.scenario.accounts[0].key if self.scenario.accounts else ""
            )
            key = self.scenario.account(ref).key if ref else ""
            device_code = self._next_id("device") + self._next_id("device")
            code = self._next_id("user").upper()
            device = Device(
                device_code=device_code,
                user_code=f"{code[:4]}-{code[4:8]}",
                account_key=key,
                created_at=self.clock.now(),
                approve_after=options.approve_after,
                expires_in=options.expires_in,
                interval=options.interval,
                pending_polls=options.pending_polls,
                decision=options.decision,
                slow_down_polls=options.slow_down_polls,
                enforce_interval=options.enforce_interval,
            )
            self.devices[device_code] = device
            return device

    def poll_device(self, device_code: str) -> tuple[str, Optional[str]]:
        """One poll of ``/oauth/token``: ``(outcome, token)``, the token only for ``token``.

        In this order: an unknown code is ``invalid_grant``; an expired one ``expired_token``
        (confirmed or not); a confirmed code answers its token again; a poll listed in
        ``slow_down_polls``, or one sooner than the interval after the last
        (``enforce_interval``), ``slow_down`` (+5 s to the interval); a denied code
        ``access_denied``; an approved one issues its token; else ``authorization_pending``.
        """
        with self.lock:
            device = self.devices.get(device_code)
            if device is None:
                return "invalid_grant", None
            now = self.clock.now()
            device.polls += 1
            if device.forced == "expire" or now - device.created_at > device.expires_in:
                return "expired_token", None
            if device.token is not None:
                return "token", device.token
            state = device.state(now)
            previous, device.last_poll = device.last_poll, now
            too_soon = (
                device.enforce_interval
                and previous is not None
                and now - previous < device.interval - POLL_TOLERANCE
            )
            if device.polls in device.slow_down_polls or too_soon:
                device.interval += SLOW_DOWN_STEP
                return "slow_down", None
            if state == "denied":
                return "access_denied", None
            if device.approves(now):
                device.token = self._access_token()
                self.access_tokens[device.token] = device.account_key
                return "token", device.token
            device.pending_answered += 1
            return "authorization_pending", None

    def _access_token(self) -> str:
        """A fresh access token, shaped unlike an API key (dots, dashes, 50 characters)."""
        digest = hashlib.sha256(self._next_id("access").encode()).digest()
        return "ocat." + base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def decide_device(
        self, action: str, user_code: Optional[str] = None, account: Optional[str] = None
    ) -> Device:
        """What the user does on the activation page: ``approve`` (as ``account``, a key or an
        e-mail; default the scenario's), ``deny``, or let the code ``expire``.

        ``user_code`` picks the code (default: the newest still pending). Raises ``KeyError``
        for an unknown code or account, ``ValueError`` for an unknown action.
        """
        if action not in ("approve", "deny", "expire"):
            raise ValueError(f"action is approve, deny or expire, not {action!r}")
        with self.lock:
            now = self.clock.now()
            if user_code is not None:
                wanted = user_code.strip().upper()
                device = next((d for d in self.devices.values() if d.user_code == wanted), None)
            else:
                pending = [d for d in self.devices.values() if d.state(now) == "pending"]
                device = pending[-1] if pending else None
            if device is None:
                raise KeyError(user_code or "no pending device code")
            if account is not None:
                device.account_key = self.scenario.account(account).key
            device.forced = action
            return device

    def device_snapshot(self) -> list[dict[str, Any]]:
        """The device codes, oldest first: user code, state, polls, interval, seconds left.

        Neither the device code nor a token: the control API may be shown anywhere.
        """
        with self.lock:
            now = self.clock.now()
            return [
                {
                    "user_code": device.user_code,
                    "state": device.state(now),
                    "polls": device.polls,
                    "interval": device.interval,
                    "expires_in": max(0.0, device.created_at + device.expires_in - now),
                    "account": next(
                        (a.email for a in self.scenario.accounts if a.key == device.account_key),
                        None,
                    ),
                }
                for device in self.devices.values()
            ]
