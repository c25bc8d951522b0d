"""The one translation table from ``offcloud_api`` errors to pyLoad outcomes.

Plugins catch :class:`~offcloud_api.exceptions.OffcloudError` at their edge and hand it here; they
then do what the returned :class:`Outcome` says (``fail``, ``offline``, ``retry`` …). Keeping the
table out of the plugin files makes it testable without pyLoad.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, NoReturn

from ..exceptions import (
    AuthError,
    CloudJobError,
    CloudOnlyError,
    EndpointRemovedError,
    FeatureNotAvailableError,
    FileOfflineError,
    HostUnavailableError,
    IPNotRegisteredError,
    NotFoundError,
    OffcloudError,
    RateLimitError,
    TemporaryError,
    WaitAbortedError,
    WaitTimeoutError,
)

__all__ = ["Action", "Outcome", "apply_outcome", "outcome_for"]

#: Seconds pyLoad waits before trying again after a 429 that named no delay.
DEFAULT_RATE_LIMIT_WAIT = 60
#: Temporary trouble (5xx, broken answers, no connection): waits grow per attempt.
TEMPORARY_WAIT = 30
TEMPORARY_ATTEMPTS = 5
#: A host that is disabled or over its quota today.
HOST_WAIT = 15 * 60
HOST_ATTEMPTS = 3

IP_ADVICE = (
    "Offcloud wants this IP address confirmed: open the link in the e-mail Offcloud sent you "
    "(or visit https://offcloud.com/#/account while on this connection), then restart the link"
)


class Action(str, Enum):
    """What the plugin does; names follow pyLoad's own plugin methods."""

    OFFLINE = "offline"  # the link is dead
    FAIL = "fail"  # a lasting problem; the message says what to do
    RETRY = "retry"  # try again after ``wait`` seconds, at most ``attempts`` times
    ACCOUNT_INVALID = "account_invalid"  # the key is bad: mark the account, then fail
    ABORT = "abort"  # the user stopped it
    USE_CLOUD = "use_cloud"  # the link must go through a cloud job instead


@dataclass(frozen=True)
class Outcome:
    action: Action
    message: str
    wait: int = 0
    attempts: int = 0


def outcome_for(error: OffcloudError) -> Outcome:
    """What a pyLoad plugin should do about ``error``; messages are for the user to read."""
    text = error.message
    if isinstance(error, WaitAbortedError):
        return Outcome(Action.ABORT, "Stopped by the user")
    if isinstance(error, (CloudOnlyError, EndpointRemovedError)) and _is_instant(error):
        return Outcome(Action.USE_CLOUD, f"Instant download not possible ({text}); using cloud")
    if isinstance(error, FileOfflineError):
        return Outcome(Action.OFFLINE, f"File offline: {text}")
    if isinstance(error, AuthError):
        return Outcome(
            Action.ACCOUNT_INVALID,
            "Offcloud rejected the API key: paste the key from https://offcloud.com/#/account "
            "as the password of the Offcloud account in pyLoad",
        )
    if isinstance(error, IPNotRegisteredError):
        return Outcome(Action.FAIL, f"{IP_ADVICE} ({text})")
    if isinstance(error, FeatureNotAvailableError):
        feature = error.feature or "premium"
        return Outcome(
            Action.FAIL,
            f"Your Offcloud plan lacks the '{feature}' add-on this link needs "
            f"(buy it at https://offcloud.com/#/pricing)",
        )
    if isinstance(error, RateLimitError):
        wait = error.retry_after if error.retry_after is not None else DEFAULT_RATE_LIMIT_WAIT
        return Outcome(
            Action.RETRY,
            "Offcloud asks to slow down (HTTP 429)",
            wait=max(1, round(wait)),
            attempts=10,
        )
    if isinstance(error, HostUnavailableError):
        message = f"Host unavailable at Offcloud: {text}"
        return Outcome(Action.RETRY, message, HOST_WAIT, HOST_ATTEMPTS)
    if isinstance(error, TemporaryError):
        return Outcome(
            Action.RETRY,
            f"Offcloud is not answering properly: {text}",
            TEMPORARY_WAIT,
            TEMPORARY_ATTEMPTS,
        )
    if isinstance(error, WaitTimeoutError):
        return Outcome(
            Action.FAIL,
            f"{text}; the job stays in your Offcloud cloud and restarting the link resumes it",
        )
    if isinstance(error, CloudJobError):
        return Outcome(Action.FAIL, f"Offcloud could not fetch the file: {text}")
    if isinstance(error, NotFoundError):
        return Outcome(Action.FAIL, f"Offcloud does not know this job or route: {text}")
    return Outcome(Action.FAIL, f"Offcloud error: {text}")


def _is_instant(error: OffcloudError) -> bool:
    if isinstance(error, CloudOnlyError):
        return True
    return isinstance(error, EndpointRemovedError) and error.feature == "instant"


def apply_outcome(plugin: Any, error: OffcloudError) -> NoReturn:
    """Do to a pyLoad downloader or decrypter what :func:`outcome_for` says; never returns.

    Every pyLoad call used here raises (``Abort``, ``Fail``, ``Retry``); the final ``fail`` also
    covers ``USE_CLOUD``, which only the downloader's instant route acts on before it gets here.
    """
    outcome = outcome_for(error)
    plugin.log_warning(outcome.message)
    if outcome.action is Action.ABORT:
        plugin.abort()
    if outcome.action is Action.OFFLINE:
        plugin.pyfile.error = outcome.message
        plugin.offline()
    if outcome.action is Action.ACCOUNT_INVALID and plugin.account:
        # The account reuses Offcloud's answers for a while; a rejected key must be asked again.
        forget = getattr(plugin.account, "forget_account_info", None)
        if forget is not None:
            forget()
        plugin.account.relogin()
    if outcome.action is Action.RETRY:
        plugin.retry(outcome.attempts, outcome.wait, outcome.message, outcome.message)
    plugin.fail(outcome.message)
    raise AssertionError("pyLoad's fail() returned")  # pragma: no cover - fail() always raises
