"""Account notices: a warning before the premium plan ends, and one when Offcloud refuses downloads.

The account plugin asks Offcloud about the account (``account/info``: ``is_premium``,
``expiration_date``, ``can_download``; docs/api.md L16) whenever pyLoad refreshes
the account, which is at every download start. What to say is decided here, once per fact:

- **The plan ends soon**: one notice per expiry date, when it is ``expiry_warning_days`` days away
  or closer; one per expiry date also when the date has passed and none was given (pyLoad was not
  running in the days before, say). A renewed plan has another date, so it gets its own notice.
  ``0`` days switches these notices off.
- **The cloud is full** and pyLoad found no job of its own to remove (:func:`cloud_full`): one
  notice per full spell, given by whichever link met it first (:mod:`.cloudroom`).
- **Offcloud refuses downloads** (``can_download`` false on a plan that has not expired: an IP to
  confirm, a lock, an unpaid plan): one notice, and another only after downloads were allowed
  again in between.
- **Offcloud refuses this IP** (a file download answered "You are not authorized to download this
  file.", docs/api.md L24): one notice per pause of the account (:func:`ip_refused`, decided by
  :mod:`.ippause`; the account plugin remembers it across a restart), again only after a
  download worked.

What was said is remembered per Offcloud account (:class:`Remembered`, in the plugin's pyLoad
storage under :func:`~offcloud_api.pyload.storage.notice_key`), so neither a pyLoad restart nor
the periodic account refresh repeats a notice. Texts never hold the API key (:func:`decide`
masks it even in the login).

Where the notices go. pyLoad's notification addons (PushOver, PushBullet, Discord, Apprise,
Android and Windows Phone ...) all derive from its ``Notifier`` base, whose ``notify(event, msg)``
sends one message through the addon's service; pyLoad itself calls it only for fixed events
(download finished, captcha ...), and ``ExternalScripts`` or the chat bots know fixed events only.
So :func:`deliver` calls ``notify`` of every active ``Notifier`` addon, which is the one way
pyLoad offers to send a message of our own through the addons the user set up. ``notify`` drops a
message that comes within the addon's ``sendinterval`` of the last one, so :func:`deliver` waits
for that interval first (at most :data:`MAX_WAIT_SECONDS`).

Days left. pyLoad's Accounts page shows an account's ``validuntil`` as a date ("Valid until") and
has no column for other text; its API (``get_accounts``) returns ``validuntil`` and the account's
``options``. The days left go into those options as ``premium_days_left``
(:func:`days_left_option`), beside pyLoad's own ``limit_dl`` and ``time``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Callable, Optional

from ..redact import redact

__all__ = [
    "ACCOUNT_PAGE",
    "CLOUD_PAGE",
    "DAYS_LEFT_OPTION",
    "DEFAULT_WARNING_DAYS",
    "MAX_WAIT_SECONDS",
    "AccountState",
    "Notice",
    "Remembered",
    "cloud_full",
    "days_left",
    "days_left_option",
    "decide",
    "deliver",
    "ip_refused",
    "notifiers",
    "today_utc",
    "warning_days",
]

log = logging.getLogger(__name__)

#: Where a user renews the plan, confirms an IP or sees a lock.
ACCOUNT_PAGE = "https://offcloud.com/#/account"
#: The ``expiry_warning_days`` default of the account plugin.
DEFAULT_WARNING_DAYS = 7
#: The account option (pyLoad's ``get_accounts`` → ``options``) that holds the days left.
DAYS_LEFT_OPTION = "premium_days_left"
#: The longest :func:`deliver` waits for a notification addon's ``sendinterval``.
MAX_WAIT_SECONDS = 60.0
#: What :func:`deliver` adds to a ``sendinterval``: ``notify`` wants strictly more than it.
_INTERVAL_MARGIN = 0.1

#: Where a user sees and deletes the jobs in the cloud (docs/api.md L23).
CLOUD_PAGE = "https://offcloud.com/#/cloud"

EXPIRY_SOON = "expiry_soon"
EXPIRED = "expired"
REFUSED = "refused"
CLOUD_FULL = "cloud_full"
IP_REFUSED = "ip_refused"


@dataclass(frozen=True)
class Notice:
    """One thing to tell the user: ``title`` is the notification's event, ``message`` its text."""

    kind: str
    title: str
    message: str


@dataclass(frozen=True)
class AccountState:
    """What Offcloud said about the account. ``premium``: a plan that has not expired."""

    premium: bool
    can_download: bool
    expiration: Optional[date] = None


@dataclass(frozen=True)
class Remembered:
    """What was said for one Offcloud account (kept in pyLoad's storage).

    ``expiry``: the expiry date (ISO) whose notice was given. ``refused``: the refusal notice was
    given and downloads have not been allowed since.
    """

    expiry: Optional[str] = None
    refused: bool = False

    def to_stored(self) -> dict[str, Any]:
        return {"expiry": self.expiry, "refused": self.refused}

    @classmethod
    def from_stored(cls, value: Any) -> Remembered:
        """Read what :meth:`to_stored` wrote; anything else (nothing stored yet) is a blank."""
        if not isinstance(value, dict):
            return cls()
        expiry = value.get("expiry")
        return cls(
            expiry=expiry if isinstance(expiry, str) and expiry else None,
            refused=value.get("refused") is True,
        )


def today_utc() -> date:
    """Today in UTC, the day Offcloud's expiry dates count in."""
    return datetime.now(timezone.utc).date()


def warning_days(value: Any) -> int:
    """The ``expiry_warning_days`` option as days: a bad or negative value is 0 (off)."""
    try:
        days = int(value)
    except (TypeError, ValueError):
        return 0
    return max(days, 0)


def days_left(expiration: Optional[date], today: date) -> Optional[int]:
    """Whole days until the plan ends: 0 on its last day, negative once it has passed."""
    if expiration is None:
        return None
    return (expiration - today).days


def days_left_option(state: AccountState, today: date) -> Optional[list[str]]:
    """The value of :data:`DAYS_LEFT_OPTION` (pyLoad keeps options as lists of text), or
    ``None`` when there is nothing to show: no plan, no date, or the date has passed."""
    left = days_left(state.expiration, today)
    if not state.premium or left is None or left < 0:
        return None
    return [str(left)]


def _ending(label: str, expiration: date, left: int) -> Notice:
    when = {0: "today", 1: "tomorrow"}.get(left, f"in {left} days")
    return Notice(
        EXPIRY_SOON,
        "Offcloud premium ends soon",
        f"Offcloud account {label}: premium ends {when} ({expiration.isoformat()}); "
        f"renew it at {ACCOUNT_PAGE}",
    )


def _expired(label: str, expiration: date) -> Notice:
    return Notice(
        EXPIRED,
        "Offcloud premium expired",
        f"Offcloud account {label}: premium expired on {expiration.isoformat()}; "
        f"pyLoad downloads nothing through it until it is renewed at {ACCOUNT_PAGE}",
    )


def _refused(label: str) -> Notice:
    return Notice(
        REFUSED,
        "Offcloud refuses downloads",
        f"Offcloud account {label}: Offcloud refuses downloads right now; check {ACCOUNT_PAGE} "
        "for an IP to confirm, a lock or an unpaid plan",
    )


def ip_refused(label: str, advice: str, *, secrets: Iterable[Optional[str]] = ()) -> Notice:
    """The one notice of an IP pause (offcloud_api.pyload.ippause): ``advice`` is the waiting
    links' message (what happened, what to do, that downloads resume by themselves)."""
    masks = [secret for secret in secrets if secret]
    return Notice(
        IP_REFUSED,
        "Offcloud refuses this IP",
        redact(f"Offcloud account {label}: {advice}", masks),
    )


def cloud_full(label: str, *, secrets: Iterable[Optional[str]] = ()) -> Notice:
    """The one notice of a full cloud that pyLoad cannot make room in (offcloud_api.pyload.
    cloudroom gives it once per full spell, not once per link)."""
    text = (
        f"Offcloud account {label}: your Offcloud cloud is full and holds no job pyLoad may "
        f"remove. Delete finished jobs at {CLOUD_PAGE} (or get more storage); the waiting links "
        "go on by themselves once there is room"
    )
    return Notice(CLOUD_FULL, "Offcloud cloud is full", redact(text, [s for s in secrets if s]))


def decide(
    remembered: Remembered,
    state: AccountState,
    *,
    today: date,
    warn_days: int,
    label: str,
    secrets: Iterable[Optional[str]] = (),
) -> tuple[list[Notice], Remembered]:
    """The notices due now for one account, and what to remember afterwards.

    ``label`` names the account in the texts (pyLoad's login); every one of ``secrets`` (the
    API key) is masked in them.
    """
    due: list[Notice] = []
    expiry = remembered.expiry
    left = days_left(state.expiration, today)
    if (
        warn_days > 0
        and state.expiration is not None
        and left is not None
        and remembered.expiry != state.expiration.isoformat()
    ):
        if left < 0:
            due.append(_expired(label, state.expiration))
            expiry = state.expiration.isoformat()
        elif state.premium and left <= warn_days:
            due.append(_ending(label, state.expiration, left))
            expiry = state.expiration.isoformat()
    refused = remembered.refused
    if state.premium and not state.can_download:
        if not refused:
            due.append(_refused(label))
        refused = True
    elif state.premium:
        refused = False  # allowed again: a later refusal is news
    masks = [secret for secret in secrets if secret]
    due = [Notice(n.kind, n.title, redact(n.message, masks)) for n in due]
    return due, Remembered(expiry=expiry, refused=refused)


def notifiers(addons: Iterable[Any], base: type) -> list[Any]:
    """The addons among ``addons`` that are pyLoad notification addons (derived from ``base``,
    pyLoad's ``Notifier``)."""
    return [addon for addon in addons if isinstance(addon, base)]


def _wait_before(addon: Any, now: float) -> float:
    """Seconds until ``addon`` accepts another message (its ``sendinterval`` since the last)."""
    try:
        last = float(getattr(addon, "last_notify", 0) or 0)
        interval = float(addon.config.get("sendinterval", 1) or 0)
    except (AttributeError, TypeError, ValueError):
        return 0.0
    return max(0.0, last + interval + _INTERVAL_MARGIN - now)


def deliver(
    notice: Notice,
    addons: Iterable[Any],
    *,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    max_wait: float = MAX_WAIT_SECONDS,
) -> list[str]:
    """Send ``notice`` through each of ``addons`` (pyLoad ``Notifier`` addons): the names of the
    addons that said they sent it. An addon that fails is logged and skipped."""
    sent: list[str] = []
    for addon in addons:
        name = str(getattr(addon, "__name__", type(addon).__name__))
        wait = _wait_before(addon, clock())
        if wait > 0:
            sleep(min(wait, max_wait))
        try:
            result = addon.notify(notice.title, notice.message)
        except Exception as exc:  # noqa: BLE001 - one broken addon must not stop the others
            log.warning("notification addon %s failed: %s", name, exc)
            continue
        if result:
            sent.append(name)
    return sent
